/*
 * The checked functions of a `libc: newlib` compartment built with
 * fortify (libflexos-harden-newlib.a): newlib's headers call them
 * (ssp/string.h, ssp/stdio.h) where the compiler knows the size of the
 * destination. They check here, in the compartment (../fortify_checks.h),
 * and copy with newlib's functions; an overflow traps to the platform's
 * report (../trap.h), which names the function by its index. newlib's own
 * would print "buffer overflow detected" and abort, naming no compartment.
 * Linked before newlib's libc.a, they take its calls.
 */
#include <stddef.h>
#include <stdint.h>

#include "../trap.h"

enum {
#define FN(name, i) FN_##name = i,
	FLEXOS__FORTIFY_FNS(FN)
#undef FN
};

typedef int fortify_fn;
#define FORTIFY_FN(name) FN_##name

static __attribute__((__noreturn__, __noinline__)) void overflow(uintptr_t pc, fortify_fn fn,
								 size_t len, size_t room)
{
	flexos__harden_trap_raise(FLEXOS__TRAP_FORTIFY, (uintptr_t)fn, len, room, pc);
}

#include "../fortify_checks.h"

void __chk_fail(void);

/* What newlib's other checked code would call: the size is not known here. */
void __chk_fail(void)
{
	overflow(RET, FN_unknown, 0, 0);
}
