/*
 * A fault two gates deep, for tests/debug/backtrace.sh: main -> app_helper
 * (static) -> mid_call (compartment mid) -> mid_helper (static) ->
 * leaf_call (compartment leaf) -> leaf_crash (static), which writes to an
 * unmapped address. Built with -g -O0, so that every frame is there.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bt.h"

static int __attribute__((noinline)) app_helper(int x)
{
	return mid_call(x + 1) + 1; /* the call from app_helper */
}

int main(int argc, char **argv)
{
	int x = argc > 1 ? atoi(argv[1]) : 0;
	printf("result %d\n", app_helper(x));
	return 0;
}
