/* The two libraries of the MPK test image: attacklib.c built twice. */
#ifndef ATTACKLIB_H
#define ATTACKLIB_H

#include <stdint.h>

/* What where() returns the address of. */
enum { KIND_DATA, KIND_BSS, KIND_HEAP, KIND_STACK, NKINDS };

#define ATTACKLIB_API(n)                                                        \
	uintptr_t lib##n##_where(int kind);                                     \
	long lib##n##_probe(uintptr_t addr, int write);                         \
	long lib##n##_add(long a, long b);                                      \
	long lib##n##_call(long (*cb)(long), long x);                           \
	long lib##n##_fill(long *p, long x);                                    \
	long lib##n##_print(const char *who);                                   \
	long lib##n##_signal(int sig);                                          \
	long lib##n##_sig_install(int sig, uintptr_t at);                       \
	long lib##n##_sig_hijack(int sig, uintptr_t at, int how);               \
	long lib##n##_sig_seen(long *out);                                      \
	long lib##n##_raise(int sig);                                           \
	long lib##n##_clobber(void);                                            \
	long lib##n##_clobber8(long, long, long, long, long, long, long, long); \
	long lib##n##_seen(int i);                                              \
	long lib##n##_find(uintptr_t lo, uintptr_t hi, long v);                 \
	long lib##n##_seen_arg(int i);                                          \
	long lib##n##_regs(long a);                                             \
	long lib##n##_regs7(long, long, long, long, long, long, long);          \
	long lib##n##_leave(void);                                              \
	int lib##n##_leave_int(void);                                           \
	float lib##n##_leave_float(void);                                       \
	double lib##n##_leave_double(void);                                     \
	long lib##n##_std(void);                                                \
	long lib##n##_std8(long, long, long, long, long, long, long, long);     \
	long lib##n##_fpctl(void);                                              \
	long lib##n##_fpctl8(long, long, long, long, long, long, long, long);   \
	long lib##n##_evex(long w, long mine);

ATTACKLIB_API(1)
ATTACKLIB_API(2)

#endif
