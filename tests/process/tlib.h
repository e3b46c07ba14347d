/*
 * The test libraries of the process backend: one source, built three
 * times as libraries ta, tb and tc (-DLIB=ta ...), each placed in its own
 * compartment by the test configs.
 */
#ifndef TLIB_H
#define TLIB_H

#define TLIB_DECLARE(l)                                                   \
	long l##_addr(long kind);                                         \
	long l##_probe(long addr, long write);                            \
	long l##_stack_attack(long attacker, long write);                 \
	long l##_add(long x, long y);                                     \
	long l##_pid(long unused);                                        \
	long l##_nest(long depth, long (*cb)(long, long));                \
	long l##_crash(long crash, long x);                               \
	long l##_calls(long unused);                                      \
	long l##_exit(long status);                                       \
	long l##_shared(long *heap_obj, long *stack_obj);                 \
	long l##_print(long n);                                           \
	long l##_set_spin(long n);                                        \
	long l##_sleep(long ms);                                          \
	long l##_bigalloc(long mib);                                      \
	long l##_regs(int a, float x);                                    \
	long l##_seen_reg(long i);                                        \
	long l##_regs8(long, long, long, long, long, long, int g, int h); \
	int l##_leave(long unused);

TLIB_DECLARE(ta)
TLIB_DECLARE(tb)
TLIB_DECLARE(tc)

/* Kinds of private memory an attack aims at. */
#define KIND_DATA 0
#define KIND_BSS 1
#define KIND_HEAP 2
#define KIND_STACK 3

/* A variable in the shared section, defined by the application. */
extern long shared_var;

#endif
