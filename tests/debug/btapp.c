/*
 * Faults two gates deep, for tests/debug/backtrace.sh, built with -g -O0
 * so that every frame is there:
 *   btapp 1:  main -> app_helper (static) -> mid_call (compartment mid) ->
 *             mid_helper (static) -> leaf_call (compartment leaf) ->
 *             leaf_crash (static), which writes to an unmapped address;
 *   btapp cb: main -> app_helper -> mid_apply (mid) -> app_cb (static, a
 *             callback into app), which crashes in main's compartment with
 *             a gate on its stack.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flexos/flexos.h>

#include "bt.h"

static volatile uintptr_t bad_addr = 16;

static int __attribute__((noinline)) app_cb(int x)
{
	*(volatile int *)bad_addr = x; /* the faulting store of the callback */
	return x;
}

static int __attribute__((noinline)) app_helper(const char *mode)
{
	if (!strcmp(mode, "cb"))
		return mid_apply(flexos_callback(btapp, app_cb), 3) + 1; /* app_helper's callback */
	return mid_call(atoi(mode) + 1) + 1; /* the call from app_helper */
}

int main(int argc, char **argv)
{
	printf("result %d\n", app_helper(argc > 1 ? argv[1] : "0"));
	return 0;
}
