/*
 * This file is private to flexos-link: the writer of the image descriptor
 * (struct flexos_image in <flexos/backend.h>) and of the gate stubs.
 */
#ifndef FLEXOS_LINK_TABLE_H
#define FLEXOS_LINK_TABLE_H

#include <stdio.h>

#include "plan.h"

/*
 * Writes, as GNU assembly, the image descriptor flexos__image, an
 * .init_array entry that starts the runtime before any constructor, and a
 * stub for every gate that is not direct. Returns 0 or -errno.
 */
int flx_write_table(FILE *f, const struct flp_plan *plan);

/*
 * Checks that every gate that leaves its caller's compartment can carry
 * its call: stack arguments and struct result within
 * FLEXOS_GATE_MAX_CARRY (a va_list is proto.c's to refuse). Returns 0, or
 * -EINVAL after printing, for each gate that cannot, the function and
 * what to do.
 */
int flx_check_gates(const struct flp_plan *plan);

/*
 * For --explain: what gate lends (docs/config.md, "Pointer lending"), one
 * indented line, or nothing when it lends nothing.
 */
void flx_explain_lends(FILE *f, const struct flp_plan *plan, const struct flp_gate *gate);

#endif
