/*
 * This file is private to flexos-link: the linker-script writer.
 */
#ifndef FLEXOS_LINK_LDSCRIPT_H
#define FLEXOS_LINK_LDSCRIPT_H

#include <stdio.h>

#include "plan.h"

/*
 * Writes a GNU ld script fragment (INSERT style, added to the default
 * script with -T) that gives every compartment page-aligned output
 * sections .flexos.<comp>.{text,rodata,data,bss} bounded by
 * __flexos_<comp>_<kind>_start/_end, puts shared data in .flexos.shared,
 * and resolves direct gates with PROVIDE. Returns 0 or -errno.
 */
int flx_write_ldscript(FILE *f, const struct flp_plan *plan);

#endif
