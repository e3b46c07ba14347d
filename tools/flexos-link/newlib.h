/*
 * This file is private to flexos-link: compartments with 'libc: newlib'
 * (docs/newlib.md).
 */
#ifndef FLEXOS_LINK_NEWLIB_H
#define FLEXOS_LINK_NEWLIB_H

#include "plan.h"

/*
 * For every compartment with 'libc: newlib': partially links its inputs
 * (their private copies, whose calls to other compartments already name
 * gate stubs) with newlib's libc.a and libm.a and the system-call glue
 * found under libdir, into dir/<n>-newlib-<comp>.o. Every global symbol
 * but the compartment's entry points (what gates reach) and its glue
 * instance, renamed flexos__newlib_glue__<comp>, is made local. Refuses,
 * naming the symbol and the input that needs it, anything the partial
 * link leaves undefined besides gate stubs and shared data of other
 * compartments: glibc would satisfy it silently in the final link. The
 * first input of the compartment then stands for the partial link; the
 * others are marked merged. Returns 0, or -1 after printing errors.
 */
int flx_link_newlib(struct flp_plan *plan, const char *dir, const char *libdir);

#endif
