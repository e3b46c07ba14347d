/*
 * tests/harden/newlib.sh: the test's window on the stack-protector canary
 * of a `libc: newlib` compartment (compiled against newlib, with
 * -mstack-protector-guard=global), which only the compartment may read.
 */
#include <stdint.h>

#include "buggy.h"

extern uintptr_t __stack_chk_guard;

uintptr_t canary_value(void)
{
	return __stack_chk_guard;
}
