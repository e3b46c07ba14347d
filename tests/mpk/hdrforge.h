/* attack --hdr-forge (tests/mpk/hdrforge.c). */
#ifndef HDRFORGE_H
#define HDRFORGE_H

#include <stdint.h>

/*
 * lib1 forges the loader's unwind table header (how: "header", in the
 * loader's page; "record", in its own memory, the loader's record pointed
 * at it) and faults: the report (123); 0 if the table could not be made
 * writable, 3 if the record was not found, 2 if no loader found.
 */
int hdr_forge(uintptr_t app_secret, const char *how);

#endif
