/*
 * This file is private to flexos-link: binary inspection of MPK images.
 */
#ifndef FLEXOS_LINK_INSPECT_H
#define FLEXOS_LINK_INSPECT_H

#include "plan.h"

/*
 * Scans the code of every compartment in the linked image for instructions
 * that could change protection-key rights outside the gates: WRPKRU
 * (0f 01 ef), XRSTOR (0f ae /5) and XRSTORS (0f c7 /3), wherever they
 * appear, aligned or not, since a jump can start decoding anywhere. With
 * report, prints each one with its address and symbol. Returns the number
 * found, or -1 if the image cannot be read.
 */
int flx_find_pkru_writers(const struct flp_plan *plan, const char *image, bool report);

#endif
