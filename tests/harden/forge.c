/*
 * tests/harden: a newlib library that forges the trap of the hardening
 * runtime (src/harden/trap.h) with data of the caller's choosing, as a
 * compromised compartment could: the report must not read it.
 */
#include <stdint.h>

#include "trap.h"

int forge_ubsan(unsigned long data);
int forge_asan_access(unsigned long addr, unsigned long size, unsigned long pc);
int forge_asan_free(unsigned long ptr, unsigned long what, unsigned long fn, unsigned long pc);

int forge_ubsan(unsigned long data)
{
	flexos__harden_trap_raise(FLEXOS__TRAP_UBSAN_add_overflow, (uintptr_t)data, 1, 2,
				  (uintptr_t)__builtin_return_address(0));
}

/* An ASan check's trap for an address, a size and a culprit of the caller's choosing. */
int forge_asan_access(unsigned long addr, unsigned long size, unsigned long pc)
{
	flexos__harden_trap_raise(FLEXOS__TRAP_ASAN_ACCESS, (uintptr_t)addr, (uintptr_t)size, 0,
				  (uintptr_t)pc);
}

/* The allocator's trap, with a reason and a function number out of range. */
int forge_asan_free(unsigned long ptr, unsigned long what, unsigned long fn, unsigned long pc)
{
	flexos__harden_trap_raise(FLEXOS__TRAP_ASAN_FREE, (uintptr_t)ptr, (uintptr_t)what,
				  (uintptr_t)fn, (uintptr_t)pc);
}
