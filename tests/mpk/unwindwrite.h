/* attack --unwind-write (tests/mpk/unwindwrite.c). */
#ifndef UNWINDWRITE_H
#define UNWINDWRITE_H

#include <stdint.h>

/*
 * lib1 forges the lists of frames registered with the report's unwinder
 * and faults: a write fault at its registration (139), or 1 if its code
 * ran with app's rights.
 */
int unwind_write(uintptr_t secret);

#endif
