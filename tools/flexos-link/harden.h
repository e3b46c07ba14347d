/*
 * This file is private to flexos-link and flexos-cc: the hardening options
 * of flexos.yaml, the compiler flags each one needs, and the check that the
 * objects of a hardened compartment were built with them
 * (docs/hardening.md).
 */
#ifndef FLEXOS_LINK_HARDEN_H
#define FLEXOS_LINK_HARDEN_H

#include <stdbool.h>
#include <stdio.h>

#include <flexos/harden.h>

struct flp_plan;

/*
 * The local absolute symbol the fortify flags define through the assembler:
 * GCC records no preprocessor option, so _FORTIFY_SOURCE leaves no switch.
 */
#define FLH_FORTIFY_MARKER "__flexos_harden_fortify"

/* The options flexos.yaml accepts; a compartment's set is a mask of their bits. */
#define FLH_NOPTIONS 4

struct flh_option {
	const char *name;          /* as written in flexos.yaml */
	unsigned bit;              /* FLEXOS_HARDEN_* */
	const char *const *cflags; /* what flexos-cc appends, NULL-terminated */
	const char *switches;      /* the recorded switch that shows it, for messages */
	const char *calls;         /* the calls its instrumentation makes, for messages */
	/*
	 * Its instrumentation calls symbols only the hardening runtime
	 * defines; otherwise glibc defines them and the runtime only writes
	 * better reports.
	 */
	bool needs_runtime;
};

/* The options, FLH_NOPTIONS of them, in the order of their bits. */
extern const struct flh_option flh_options[FLH_NOPTIONS];

/*
 * The names flexos.yaml's 'hardening' recognizes, NULL-terminated: the
 * options, then those refused (flh_refused).
 */
extern const char *const flh_config_names[];

/* Flags every hardened compile gets: the switches are recorded in the object. */
extern const char *const flh_common_cflags[];

/* The option called name, or NULL. */
const struct flh_option *flh_find(const char *name);

/* Why flexos.yaml refuses the option called name, or NULL if it does not. */
const char *flh_refused(const char *name);

/*
 * Writes to f the flags for the options in mask: the common ones, then each
 * option's, separated by spaces (the Cflags of flexos-harden-<option>.pc,
 * flexos-cc --print-flags).
 */
void flh_print_cflags(FILE *f, unsigned mask);

/*
 * (harden-check.c) Checks every object and archive member the plan puts in
 * a hardened compartment against the options of that compartment, from the
 * switches recorded in it (.GCC.command.line, or DW_AT_producer under -g)
 * or the instrumentation it calls; and every object of any compartment for
 * instrumentation its compartment does not ask for and that would need the
 * runtime. Prints each refusal as "config:line:col: error: ..." with the
 * command that fixes it. Returns 0, or -1 if any object is refused or
 * cannot be read.
 */
int flh_check_plan(const struct flp_plan *plan);

/* The union of the options of the plan's compartments. */
unsigned flh_plan_mask(const struct flp_plan *plan);

/* The same, of its 'libc: newlib' compartments only. */
unsigned flh_newlib_mask(const struct flp_plan *plan);

/*
 * The hardening runtime of newlib compartments, linked into each hardened
 * one's partial link (newlib.c), and the symbol of the platform's runtime
 * that reports its traps, which the final link must pull (-u).
 */
#define FLH_NEWLIB_RUNTIME "libflexos-harden-newlib.a"
#define FLH_NEWLIB_TRAP    "flexos__harden_trap"
/* What pulls the platform's ASan runtime (and its shadow) for an asan newlib compartment. */
#define FLH_NEWLIB_ASAN_TRAP "flexos__asan_trap_access"

/*
 * The one place that decides how the hardening runtime is linked: sets
 * *arg to the linker argument for it (the path of libflexos-harden.a in
 * libdir, to free), or to NULL when the image needs none: no compartment
 * is hardened, or only with options whose failures glibc reports
 * (stack-protector, fortify) and libdir has no runtime. A hardened newlib
 * compartment needs the runtime for every option: its failures trap to it.
 * Returns 0, or -1 after saying what to do when an option needs the
 * runtime and libdir lacks it.
 */
int flh_runtime_arg(const struct flp_plan *plan, const char *libdir, char **arg);

#endif
