/* attack --symbols-forge (tests/mpk/symforge.c). */
#ifndef SYMFORGE_H
#define SYMFORGE_H

#include <stdint.h>

/*
 * lib1 rewrites the image's symbol table, then app reads lib1_data: the
 * fault report (123), its backtrace's names "?"; 2 if lib1 could not.
 */
int symbols_forge(uintptr_t lib1_data);

#endif
