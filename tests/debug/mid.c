/* The middle library of tests/debug/backtrace.sh. */
#include "bt.h"

static int __attribute__((noinline)) mid_helper(int x)
{
	return leaf_call(x * 2) + 1; /* the call from mid_helper */
}

int mid_call(int x)
{
	return mid_helper(x) + 1;
}

static int __attribute__((noinline)) mid_apply_helper(int (*cb)(int), int x)
{
	return cb(x) + 1; /* the callback from mid_apply_helper */
}

int mid_apply(int (*cb)(int), int x)
{
	return mid_apply_helper(cb, x) + 1;
}
