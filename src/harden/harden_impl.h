/*
 * This file is private to the hardening runtimes (src/harden/,
 * libflexos-harden.a): what their parts share. It includes the runtime's
 * private interface (src/runtime/runtime.h).
 */
#ifndef FLEXOS_HARDEN_IMPL_H
#define FLEXOS_HARDEN_IMPL_H

#include <flexos/harden.h>
#include <stdint.h>
#include <stdnoreturn.h>

#include "runtime.h"

/*
 * The FLEXOS_COMP_HARDEN_* options of compartment id, from the compartment
 * table and flexos_harden_override; 0 for an id of no compartment.
 */
uint32_t flexos__harden_flags(int id);

/*
 * Reports a bug found by a hardening runtime and ends the compartment:
 * "flexos: compartment 'C': KIND: DETAIL, at WHERE". C is the compartment
 * whose code is at pc (the instrumented code that found the bug), else
 * the running one; WHERE is where, or pc symbolized ("fn+0x1c (file.c:42)")
 * when where is NULL. Then, as a crash of the compartment would: under
 * process the compartment's process dies of SIGILL and its on_crash
 * applies; under the other backends the image exits with
 * FLEXOS_EXIT_FAULT. Async-signal-safe: one write(2) per line, formatted
 * on the stack, nothing allocated.
 */
noreturn void flexos__harden_report(uintptr_t pc, const char *kind, const char *where,
				    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The stack protector's report (stack.c, and trap.c for newlib compartments). */
#define FLEXOS__STACK_SMASHED                                                    \
	"stack smashing detected: a function's canary was overwritten (a stack " \
	"buffer overflow); found when it returned"

/*
 * ubsan.c: the report of the UBSan handler with trap id id (trap.h) and
 * arguments a, b, c, found by the code at pc of compartment comp, which
 * trapped; returns for an unknown id. It reads only comp's memory.
 */
void flexos__ubsan_trap(uint32_t id, uintptr_t a, uintptr_t b, uintptr_t c, uintptr_t pc,
			int comp);

/*
 * asan.c: whether h is the heap of a compartment built with asan, whose
 * allocations then go through the functions below (red zones, a
 * quarantine). The allocator hooks of backends/common/malloc.c and
 * heap_none.c call them.
 */
int flexos__asan_heap(struct flexos__heap *h);
void *flexos__asan_alloc(struct flexos__heap *h, size_t align, size_t size);
void flexos__asan_free(struct flexos__heap *h, void *p, uintptr_t pc);
void *flexos__asan_realloc(struct flexos__heap *h, void *p, size_t size, uintptr_t pc);
size_t flexos__asan_usable_size(struct flexos__heap *h, const void *p, uintptr_t pc);

/*
 * asan.c: the report of a bad access of n bytes at a (a write if write)
 * that the ASan checks of a `libc: newlib` compartment found in the code at
 * pc, and trapped to report (trap.c, newlib/asan.c). Reads only the shadow.
 */
noreturn void flexos__asan_trap_access(uintptr_t a, size_t n, int write, uintptr_t pc);

/*
 * Under intel-mpk (backends/mpk/mpk.h): the shadow of compartment id's
 * heap and sections takes its key; the ranges keyed, for the system-call
 * filter: range i, 0, 1 if that slot is empty, -1 past the last.
 */
int flexos__asan_key_shadow(uint32_t id, int key);
/* A stack of compartment id, [lo, hi), made by the intel-mpk backend: its shadow takes key. */
int flexos__asan_key_stack_shadow(uint32_t id, uintptr_t lo, uintptr_t hi, int key);
/*
 * In an image with a `libc: newlib` compartment built with asan: the
 * shadow of the n shared regions r (shared data, heap, constants) takes
 * the shared key; 0 or -errno. Their ranges are those of
 * flexos__asan_keyed_shadow(FLEXOS__ASAN_SHARED, ...).
 */
int flexos__asan_key_shared_shadow(const struct flexos_region *r, unsigned n, int key);
#define FLEXOS__ASAN_SHARED FLEXOS_MAX_COMPARTMENTS
int flexos__asan_keyed_shadow(uint32_t id, unsigned i, uintptr_t *lo, uintptr_t *hi);

#endif
