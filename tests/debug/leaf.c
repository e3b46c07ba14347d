/* The innermost library of tests/debug/backtrace.sh: the fault. */
#include <stdint.h>

#include "bt.h"

/* An unmapped address the compiler cannot see through. */
static volatile uintptr_t bad_addr = 16;

static int __attribute__((noinline)) leaf_crash(int x)
{
	*(volatile int *)bad_addr = x; /* the faulting store */
	return x;
}

int leaf_call(int x)
{
	if (x == 2)
		return 40;
	return leaf_crash(x) + 1;
}
