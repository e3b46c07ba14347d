/* The attack tests' search for a shared library's writable code pointer (tests/mpk/gotslot.c). */
#ifndef GOTSLOT_H
#define GOTSLOT_H

#include <stdint.h>

/*
 * The slot past RELRO in the writable segment of the loaded object whose
 * name contains lib that holds want (a .got.plt entry), or NULL.
 */
uintptr_t *got_slot(const char *lib, uintptr_t want);

#endif
