/*
 * The stack protector of a hardened `libc: newlib` compartment
 * (libflexos-harden-newlib.a): its canary and its failure, which traps to
 * the platform's report (../trap.h). newlib's own would print "stack
 * smashing detected" and abort, naming no compartment.
 */
#include <stdint.h>

#include "../trap.h"

#define RET ((uintptr_t)__builtin_return_address(0))

/*
 * The canary of code compiled with -mstack-protector-guard=global (newlib's
 * flags): this compartment's, in its own data. Defined here, so that
 * newlib's member, which defines it with __stack_chk_fail, is not pulled.
 * The terminator canary newlib itself uses without getentropy until the
 * runtime, before the compartment runs, writes a random one through the
 * glue's stack_guard (src/newlib/attach.c).
 */
uintptr_t __stack_chk_guard = 0xff0a0000u;

void __stack_chk_fail(void);
void __stack_chk_fail(void)
{
	flexos__harden_trap_raise(FLEXOS__TRAP_STACK_PROTECT, 0, 0, 0, RET);
}
