/*
 * The fortify report: code built with -D_FORTIFY_SOURCE=2 -O2 calls
 * glibc's checked functions (__memcpy_chk...) where the compiler knows the
 * size of the destination. glibc's own end in __chk_fail, an internal call
 * no image can take over, which prints "*** buffer overflow detected ***"
 * and aborts, naming no compartment. Defined in the image, the checked
 * functions (fortify_checks.h) take the calls of the image's objects
 * instead and report through flexos__harden_report. The other checked
 * functions (the wide-character ones, read, fgets, printf's %n...) stay
 * glibc's.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stddef.h>

#include "harden_impl.h"

typedef const char *fortify_fn;
#define FORTIFY_FN(name) #name

static noreturn void overflow(uintptr_t pc, fortify_fn fn, size_t len, size_t room)
{
	flexos__harden_report(pc, "fortify", NULL,
			      "%s of %zu bytes into a buffer of %zu bytes (buffer overflow)", fn,
			      len, room);
}

#include "fortify_checks.h"
