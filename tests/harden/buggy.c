/*
 * tests/harden: a library with planted bugs, compiled with each hardening
 * option's flags (tests/harden/harden.sh). Every bug sits on a line that
 * ends with "BUG: <name>": the test finds its line number there, and the
 * report must name it. The arguments come from the caller, so that the
 * compiler cannot see the bug.
 */
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "buggy.h"

int buggy_table[8];
static const char source[64] = "a source larger than the buffers it is copied to";

int buggy_heap_overflow(int i)
{
	char *p = malloc(16);
	p[i] = 1; /* BUG: heap-overflow */
	int r = p[0];
	free(p);
	return r;
}

int buggy_use_after_free(int v)
{
	int *p = malloc(4 * sizeof(int));
	p[0] = v;
	free(p);
	return p[0]; /* BUG: use-after-free */
}

int buggy_double_free(int v)
{
	/* volatile: gcc would drop an allocation nothing reads, frees and all. */
	char *volatile p = malloc(8);
	p[0] = (char)v;
	free(p);
	free(p); /* BUG: double-free */
	return v;
}

int buggy_stack_overflow(int n)
{
	volatile char buf[16];
	for (int i = 0; i < n; i++)
		buf[i] = (char)i; /* BUG: stack-overflow */
	return buf[3];
}

int buggy_global_overflow(int i)
{
	return buggy_table[i]; /* BUG: global-overflow */
}

int buggy_signed_overflow(int a)
{
	return a + 1; /* BUG: signed-overflow */
}

int buggy_oob_index(int i)
{
	int local[8] = {0};
	local[i & 7] = i;
	return local[i]; /* BUG: oob-index */
}

int buggy_memcpy_overflow(size_t n)
{
	char buf[8];
	memcpy(buf, source, n); /* BUG: memcpy-overflow */
	return buf[0] + buf[7];
}

int buggy_ok(int n)
{
	char stack[32];
	int sum = 0;
	char *p = malloc((size_t)n);
	if (!p)
		return -1;
	memset(p, 1, (size_t)n);
	p = realloc(p, (size_t)n * 2);
	memset(p + n, 2, (size_t)n);
	for (int i = 0; i < 2 * n; i++)
		sum += p[i];
	free(p);
	memcpy(stack, source, sizeof(stack));
	for (int i = 0; i < 8; i++)
		buggy_table[i] = stack[i];
	for (int i = 0; i < 8; i++)
		sum += buggy_table[i] - stack[i];
	for (int k = 0; k < 1000; k++) {
		char *q = calloc(1, 24 + (size_t)k % 100);
		q[23] = (char)k;
		sum += q[0];
		free(q);
	}
	return sum;
}

long buggy_sum(const unsigned char *p, size_t n, long a, long b, long c, long d, long e, long f)
{
	/* Arguments in memory the library's checks read: its own stack. */
	volatile long args[6] = {a, b, c, d, e, f};
	long sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += p[i];
	for (int i = 0; i < 6; i++)
		sum += args[i];
	return sum;
}

static jmp_buf jump_back;

static __attribute__((noinline)) void jump(volatile char *frame)
{
	frame[0] = 1;
	longjmp(jump_back, 1);
}

int buggy_longjmp(int v)
{
	volatile char frame[16];

	if (setjmp(jump_back))
		return v;
	jump(frame);
	return 0;
}

__attribute__((no_sanitize_address)) void buggy_poke(uintptr_t a)
{
	*(volatile char *)a = 0;
}

void *buggy_alloc(size_t n)
{
	return malloc(n);
}

void buggy_free(void *p)
{
	free(p);
}

uintptr_t buggy_stack_addr(void)
{
	volatile char local = 0;
	return (uintptr_t)&local;
}
