/*
 * A library whose partial link leaves a system call undefined: newlib
 * declares getuid but neither it nor the glue defines it. Linked into a
 * glibc program, glibc's getuid would silently satisfy it; the check of
 * newlib.sh must refuse it and name it.
 */
#include <unistd.h>

#include "nllib.h"

int nl_uid(void);

int nl_uid(void)
{
	return (int)getuid();
}
