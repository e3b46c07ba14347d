/*
 * tests/harden: a newlib library that forges the trap of the hardening
 * runtime (src/harden/trap.h) with data of the caller's choosing, as a
 * compromised compartment could: the report must not read it.
 */
#include <stdint.h>

#include "trap.h"

int forge_ubsan(unsigned long data);

int forge_ubsan(unsigned long data)
{
	flexos__harden_trap_raise(FLEXOS__TRAP_UBSAN_add_overflow, (uintptr_t)data, 1, 2,
				  (uintptr_t)__builtin_return_address(0));
}
