/*
 * This file is private to flexos-link: cross-compartment references found
 * in the symbol tables and relocations of the inputs, the automatic gates
 * they call for, and the private copies of inputs whose calls are routed
 * through those gates.
 */
#ifndef FLEXOS_LINK_XREF_H
#define FLEXOS_LINK_XREF_H

#include <stdio.h>

#include "plan.h"

/*
 * Finds every reference from an input of one compartment to a global
 * symbol defined by an input of another (plan->xrefs). Under an isolating
 * mechanism, a call becomes an automatic gate (a plan->gates entry, and
 * --redefine-sym options for the caller's input), a variable listed in
 * shared_data has its section moved to the shared section, and any other
 * variable is an error naming both sides and the remedies. Functions listed
 * in callbacks get callback stubs. Returns 0, or -1 after printing errors.
 */
int flx_find_xrefs(struct flp_plan *plan);

/* Prints every cross-compartment call and data reference, with counts. */
int flx_explain(FILE *f, const struct flp_plan *plan);

/*
 * Writes the private copy of every input that has objcopy options, in dir,
 * and sets its link_path. Returns 0, or -1 after printing why not.
 */
int flx_make_copies(struct flp_plan *plan, const char *dir);

/* Removes the copies flx_make_copies wrote. */
void flx_remove_copies(const struct flp_plan *plan);

#endif
