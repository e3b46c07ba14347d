/* attack --hdr-forge (tests/mpk/hdrforge.c). */
#ifndef HDRFORGE_H
#define HDRFORGE_H

#include <stdint.h>

/*
 * lib1 forges the loader's unwind table header and faults: the report
 * (123); 0 if the table could not be made writable, 2 if no loader found.
 */
int hdr_forge(uintptr_t app_secret);

#endif
