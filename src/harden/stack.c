/*
 * The stack protector's report: code built with -fstack-protector-all
 * calls __stack_chk_fail when a function finds its canary overwritten on
 * return. Defined in the image, this one takes the calls of the image's
 * objects instead of glibc's, which would only print "stack smashing
 * detected" and abort, naming no compartment.
 */
#include "autoconfig.h"

#include "harden_impl.h"

void __stack_chk_fail(void);

void __stack_chk_fail(void)
{
	flexos__harden_report((uintptr_t)__builtin_return_address(0), "stack-protector", NULL, "%s",
			      FLEXOS__STACK_SMASHED);
}
