/*
 * This file is private to flexos-link: --print-map, read back from the
 * linked image.
 */
#ifndef FLEXOS_LINK_MAP_H
#define FLEXOS_LINK_MAP_H

#include <stdio.h>

#include "plan.h"

/*
 * Prints every compartment with its libraries and inputs, then each of its
 * sections in the image (address, end, size), then the shared section.
 * Checks that the compartment sections are page-aligned and disjoint.
 * Returns 0, or -1 after printing what is wrong.
 */
int flx_print_map(FILE *f, const struct flp_plan *plan, const char *image);

#endif
