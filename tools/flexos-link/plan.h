/*
 * This file is private to flexos-link: the link plan. It says which
 * compartment every input belongs to, and how every gate and callback the
 * inputs use is resolved.
 */
#ifndef FLEXOS_LINK_PLAN_H
#define FLEXOS_LINK_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "proto.h"
#include "rewrite.h"

#define FLP_NONE ((size_t)-1)

enum flp_kind {
	FLP_OBJECT,  /* a relocatable object */
	FLP_ARCHIVE, /* a static archive */
	FLP_SHARED,  /* a shared library */
	FLP_RUNTIME, /* libflexos.a or a backend archive: the platform */
	FLP_UNFOUND, /* a -l library the linker will look for itself */
};

struct flp_input {
	const char *arg;  /* as given to flexos-link */
	char *path;       /* the file, or NULL for FLP_UNFOUND */
	enum flp_kind kind;
	size_t library;     /* index in the config, or FLP_NONE */
	size_t compartment; /* index in the config; FLP_NONE for FLP_RUNTIME */
	int argi;           /* its first argument in the argv given to flp_build */
	int nargv;          /* 1, or 2 for "-l NAME" */
	/*
	 * objcopy options that route its calls through gates (--redefine-sym
	 * fn=stub, ...); when there are any, link_path is the private copy
	 * they were applied to, which is linked in place of the input.
	 */
	char **objcopy_args;
	size_t nobjcopy_args;
	char *link_path;
	/* Static functions listed under 'callbacks:': rewrite.c edits the copy for them. */
	struct flx_static_callback *static_cbs;
	size_t nstatic_cbs;
	/*
	 * Part of a newlib compartment's partial link, which the first input
	 * of that compartment stands for: not given to the linker itself.
	 */
	bool merged;
};

/* A reference from one compartment to a global symbol another one defines. */
struct flp_xref {
	char *symbol;
	size_t from;      /* the referencing input */
	size_t to;        /* the defining input */
	bool function;    /* a call (gated); otherwise data */
	bool shared;      /* data listed in shared_data */
	size_t count;     /* relocations against it in the referencing input */
};

/* A section of an input placed in the shared section (shared_data). */
struct flp_shared_section {
	size_t input;
	char *member;  /* archive member, or NULL */
	char *section;
	char *symbol;  /* the variable that asked for it */
};

struct flp_gate {
	char *symbol;   /* __flexos_gate__lib__fn or __flexos_cb__lib__fn */
	char *fn;       /* the function it reaches, as named in the source */
	char *target;   /* the symbol the linker resolves: fn, or its callback alias */
	size_t library; /* lib, as named in the gate */
	size_t compartment; /* the callee's compartment */
	bool callback;
	bool automatic;     /* found by flexos-link, not written with flexos_gate */
	bool direct;        /* resolved to the plain call */
	bool in_shlib;      /* fn is defined by a shared library */
	uint64_t callers;   /* bit i: compartment i uses it */
	const char *first_user; /* input that first referenced it, for messages */
	struct flx_proto proto; /* what the gate carries (proto.h) */
};

struct flp_plan {
	const struct flc_config *cfg;
	struct flp_input *inputs;
	size_t ninputs;
	struct flp_gate *gates;
	size_t ngates;
	char *backend_archive; /* a -lflexos-<backend> the user passed, or NULL */
	struct flp_xref *xrefs;
	size_t nxrefs;
	struct flp_shared_section *shared_sections;
	size_t nshared_sections;
	bool scanned; /* xrefs holds every cross-compartment reference */
	/*
	 * Bytes the linker script puts before each compartment's code: 0,
	 * unless an intel-mpk image held PKRU-writer bytes by chance in an
	 * address (main.c relinks it with another layout).
	 */
	uint32_t text_pad;
};

/* Whether the plan's mechanism isolates its compartments from each other. */
bool flp_isolates(const struct flp_plan *plan);

/*
 * The path the linker should read for input i: its private copy if it has
 * one, else the file itself.
 */
const char *flp_link_path(const struct flp_input *in);

/*
 * Classifies the input arguments (objects, archives, shared libraries and
 * -l options, searched in the -L directories), assigns each to a library
 * and compartment, then finds and resolves every gate. Returns 0, or -1
 * after printing errors to stderr.
 */
int flp_build(struct flp_plan *plan, const struct flc_config *cfg, int argc, char **argv);

void flp_free(struct flp_plan *plan);

/*
 * Whether input is a shared library that a library of the config claims:
 * its data becomes its compartment's at run time. Unclaimed ones (libc,
 * libm) stay platform memory, reachable from every compartment.
 */
bool flp_claimed_shlib(const struct flp_input *in);

/* How many inputs flp_claimed_shlib() holds for. */
size_t flp_count_claimed_shlibs(const struct flp_plan *plan);

/*
 * The library of cfg that name stands for, as flexos-link would place it:
 * the library called name, else the first whose input patterns match
 * name, libNAME.a or NAME.a (its default patterns when it lists none).
 * FLP_NONE if none.
 */
size_t flp_library_of(const struct flc_config *cfg, const char *name);

/* Whether the argument is an input file or -l option (not a flag). */
bool flp_is_input_arg(const char *arg);

#endif
