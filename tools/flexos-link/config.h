/*
 * This file is private to flexos-link: the in-memory form of flexos.yaml.
 * The format itself is specified in docs/config.md.
 */
#ifndef FLEXOS_LINK_CONFIG_H
#define FLEXOS_LINK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <flexos/image.h> /* the mechanism table */

#include "harden.h" /* FLH_NOPTIONS */
#include "util.h"   /* struct strmap */

/* Where a value came from, so that every message can say file:line:col. */
struct flc_pos {
	unsigned line; /* 1-based */
	unsigned col;  /* 1-based */
};

enum flc_stack_mode {
	FLC_STACK_PRIVATE = 0, /* "private" (default) */
	FLC_STACK_SHARED = 1,  /* "shared" */
};

enum flc_on_crash {
	FLC_CRASH_ABORT = 0,   /* "abort" (default): report and exit */
	FLC_CRASH_RESTART = 1, /* "restart": the gate returns an error */
};

enum flc_libc {
	FLC_LIBC_GLIBC = 0,  /* "glibc" (default): the process's C library, key 0 */
	FLC_LIBC_NEWLIB = 1, /* "newlib": a private copy of newlib (docs/newlib.md) */
};

/* A list of symbol names from the config, each with its position. */
struct flc_names {
	char **names;
	struct flc_pos *pos;
	size_t count;
	struct strmap index; /* name -> position + 1: lookups stay linear in all */
};

struct flc_compartment {
	char *name;
	struct flc_pos pos; /* position of the name */
	enum flexos_mechanism mechanism;
	struct flc_pos mechanism_pos;
	bool is_default;
	char **hardening; /* as written, e.g. "asan", "ubsan" */
	size_t nhardening;
	unsigned harden;                         /* FLEXOS_HARDEN_* bits of the options asked for */
	struct flc_pos harden_pos[FLH_NOPTIONS]; /* of each option, by flh_options index */
	enum flc_stack_mode stack;
	enum flc_on_crash on_crash;
	struct flc_pos on_crash_pos; /* of the value, when there is one */
	enum flc_libc libc;
	struct flc_pos libc_pos; /* of the value, when there is one */
	unsigned nlibraries; /* filled by the parser: libraries placed here */
	/*
	 * sandbox_of: the host compartment, which may read and write this
	 * one's memory while this one cannot touch the host's. NULL if none.
	 */
	char *sandbox_of;
	struct flc_pos sandbox_of_pos;
	size_t sandbox_of_index; /* index into config.compartments, or (size_t)-1 */
	/*
	 * syscalls: what the compartment may call besides its mechanism's
	 * default policy: names and groups as written, and the system-call
	 * numbers they stand for; or 'all' (no policy).
	 */
	struct flc_names syscalls;
	uint32_t *syscall_nrs;
	size_t nsyscall_nrs;
	bool syscalls_all;
	struct flc_pos syscalls_pos; /* of the key, when there is one */
	bool syscalls_errno; /* syscalls_denied: errno */
	/* heap_size: bytes of address space its heap reserves; 0: the default. */
	unsigned long long heap_size;
	struct flc_pos heap_size_pos;
	/*
	 * constants: private: its string literals and merged constants stay
	 * in its own .rodata instead of the shared read-only section.
	 */
	bool constants_private;
};

/*
 * A lend: rule of a library (docs/config.md, "Pointer lending"): how many
 * bytes argument or member "member" of function or struct "type" lends.
 */
struct flc_lend_rule {
	char *type;               /* a function, or a struct's tag or typedef name */
	char *member;             /* one of its arguments or members */
	char *count;              /* the argument or member that counts its elements, or NULL */
	unsigned long long bytes; /* without count: a fixed size in bytes */
	long extra;               /* with count: bytes added ("mlen + 16") */
	bool deref;               /* "*bufflen": the count argument points at the count */
	/*
	 * "FN.ARG[]": an array of pointers whose elements are lent too. Its
	 * length is count, or bytes (a fixed number of elements), or up to a
	 * NULL; each element not on the heap lends each bytes (0: none).
	 */
	bool array;
	bool null_terminated;
	unsigned long long each;
	/*
	 * "..., kept until FN": the library keeps the pointer past the call;
	 * the object stays lent until the caller's call of FN (a function of
	 * the same library) with the same first argument. Neither count nor
	 * bytes: the size the prototype gives.
	 */
	char *kept_until;
	struct flc_pos pos;
};

/* A prototypes: entry: function fn has the type a function-pointer typedef names. */
struct flc_prototype {
	char *fn;
	char *type;
	struct flc_pos pos;
};

struct flc_library {
	char *name;
	struct flc_pos pos;
	char *compartment; /* name as written */
	struct flc_pos compartment_pos;
	size_t compartment_index; /* index into config.compartments */
	char **inputs; /* path or glob patterns, as written */
	struct flc_pos *input_pos;
	size_t ninputs;
	/* shared_data: variables of this library other compartments may use. */
	struct flc_names shared_data;
	/* callbacks: functions of this library whose address other compartments call. */
	struct flc_names callbacks;
	/* headers: where flexos-link reads the prototypes DWARF does not give (proto.c). */
	struct flc_names headers;
	/* cflags: compiler options for those headers (-I, -D). */
	struct flc_names cflags;
	/* lend: none: its gates do not lend pointer arguments (table.c). */
	bool lend_none;
	/* lend: {TYPE.MEMBER: COUNT or BYTES, ...}: sizes the prototypes do not give. */
	struct flc_lend_rule *lend_rules;
	size_t nlend_rules;
	/* prototypes: {fn: TYPE}: static callbacks' prototypes, from its headers' typedefs. */
	struct flc_prototype *prototypes;
	size_t nprototypes;
	/*
	 * checkpoint: functions of this library whose calls from the host save
	 * the sandbox's memory, restored if the sandbox crashes during the call.
	 */
	struct flc_names checkpoint;
};

struct flc_config {
	char *path; /* file name used in messages */
	struct flc_compartment *compartments;
	size_t ncompartments;
	struct flc_library *libraries;
	size_t nlibraries;
	size_t default_index; /* index of the default compartment */
	enum flexos_mechanism mechanism; /* the one mechanism all compartments use */
	/* name -> index + 1, so that a config of many names parses in linear time. */
	struct strmap compartment_index, library_index;
};

/*
 * Parses and validates the YAML config at path. On success returns 0 and
 * fills *out. On error returns -1 after printing one or more
 * "path:line:col: error: ..." lines to err; warnings
 * ("path:line:col: warning: ...") go to err too and do not fail.
 */
int flc_parse_file(const char *path, struct flc_config *out, FILE *err);

/* Same, from a buffer; name is used in messages in place of a path. */
int flc_parse_string(const char *name, const char *text, size_t len, struct flc_config *out,
		     FILE *err);

/* Frees what flc_parse_* allocated; *cfg may then be reused. */
void flc_free(struct flc_config *cfg);

/* "glibc" or "newlib". */
const char *flc_libc_name(enum flc_libc l);

/* How many compartments have 'libc: newlib'. */
size_t flc_count_newlib(const struct flc_config *cfg);

/* Index of the compartment called name, or (size_t)-1. */
size_t flc_find_compartment(const struct flc_config *cfg, const char *name);

/* Whether names holds name; its index in *at if so. */
bool flc_names_has(const struct flc_names *names, const char *name, size_t *at);

/* Index of the library called name, or (size_t)-1. */
size_t flc_find_library(const struct flc_config *cfg, const char *name);

#endif
