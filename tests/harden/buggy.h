/* tests/harden: a library with planted bugs, one per function. */
#ifndef BUGGY_H
#define BUGGY_H

#include <stddef.h>
#include <stdint.h>

int buggy_heap_overflow(int i);
int buggy_use_after_free(int v);
int buggy_double_free(int v);
int buggy_stack_overflow(int n);
int buggy_global_overflow(int i);
int buggy_signed_overflow(int a);
int buggy_oob_index(int i);
int buggy_memcpy_overflow(size_t n);
/* No bug: allocates, reallocates, frees, indexes and copies within bounds. */
int buggy_ok(int n);
/* What the library's malloc returns (the heap it allocates from). */
void *buggy_alloc(size_t n);
void buggy_free(void *p);
/*
 * No bug: the sum of the n bytes at p and of a...f, the last two passed
 * on the stack (p: memory the caller shares, which the library reads
 * through its checks).
 */
long buggy_sum(const unsigned char *p, size_t n, long a, long b, long c, long d, long e, long f);
/* No bug: returns v through a longjmp out of a frame with red zones. */
int buggy_longjmp(int v);
/* Writes a zero byte at a, unchecked: what a compromised library may try. */
void buggy_poke(uintptr_t a);
/* The address of a local of the library's, on its stack. */
uintptr_t buggy_stack_addr(void);
/* canary.c, in newlib compartments only: the compartment's stack-protector canary. */
uintptr_t canary_value(void);

#endif
