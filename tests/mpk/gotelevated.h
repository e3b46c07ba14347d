/* attack --got-elevated (tests/mpk/gotelevated.c). */
#ifndef GOTELEVATED_H
#define GOTELEVATED_H

#include <stdint.h>

/*
 * lib1 rewrites a writable slot the runtime's C code would follow with
 * more rights than lib1's (how: report, home, claim, unwind) and makes it
 * run: the runtime's own end of the image (134, 123), 3 if no such slot
 * exists, or 1 if lib1's code ran with app's rights.
 */
int got_elevated(const char *how, uintptr_t app_secret);

#endif
