/*
 * Private to the flexos-link test suites (check_plan.c, check_xref.c):
 * small inputs compiled once into a temporary directory, and a table row
 * type that says what flp_build must make of a config and a command line.
 */
#ifndef FLEXOS_TESTS_LINK_FIXTURE_H
#define FLEXOS_TESTS_LINK_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>

#include "plan.h"

#define LFX_MAX 12

/* An input of the plan: the compartment and library it must be given. */
struct lfx_input {
	const char *arg;         /* as on the command line (in->arg) */
	const char *compartment; /* a compartment's name, or "-" for the platform */
	const char *library;     /* a library's name, or NULL for none */
	enum flp_kind kind;
	const char *path; /* in->path when not NULL; "" stands for NULL */
};

enum {
	LFX_DIRECT = 1 << 0,
	LFX_AUTO = 1 << 1,
	LFX_CALLBACK = 1 << 2,
	LFX_SHLIB = 1 << 3,
};

struct lfx_gate {
	const char *symbol;
	const char *compartment; /* the callee's */
	unsigned flags;          /* LFX_*: each flag must be as given */
	const char *callers;     /* compartments, comma-separated, in config order */
	const char *target;      /* when not NULL */
};

struct lfx_xref {
	const char *symbol;
	const char *from; /* input arg */
	const char *to;   /* input arg */
	bool function;
	bool shared;
	size_t count;
};

struct lfx_shared {
	const char *symbol;
	const char *input;  /* arg */
	const char *member; /* NULL for none */
	const char *section;
};

/* An objcopy option an input's private copy gets: fnmatch(3) pattern. */
struct lfx_objcopy {
	const char *input;
	const char *option;
};

/*
 * One case. The lists are exact when ret is 0: the plan has those
 * inputs, gates, references, shared sections and objcopy options and no
 * others. When ret is -1 only the stderr patterns and the inputs listed
 * are checked.
 */
struct lfx_case {
	const char *name;
	const char *yaml;
	const char *argv[LFX_MAX];
	int ret;
	const char *backend; /* plan->backend_archive, or NULL */
	/* POSIX extended regexes that must each match a line of stderr. */
	const char *stderr_re[4];
	struct lfx_input inputs[LFX_MAX];
	struct lfx_gate gates[LFX_MAX];
	struct lfx_xref xrefs[LFX_MAX];
	struct lfx_shared shared[LFX_MAX];
	struct lfx_objcopy objcopy[LFX_MAX];
};

/*
 * Compiles the fixture inputs once per process, into a directory the
 * process removes at exit; returns it. Call it from an unchecked fixture,
 * so that Check's forked tests share one copy.
 */
const char *lfx_dir(void);

/* The state of one case while it is checked. */
struct lfx_run {
	struct flc_config cfg;
	struct flp_plan plan;
	int ret;
	char *err; /* what flp_build printed on stderr */
};

/*
 * Parses c->yaml (which must be valid), runs flp_build on c->argv in the
 * fixture directory with stderr captured, and checks every expectation of
 * c. Leaves the plan in *r for more checks; free it with lfx_free.
 */
void lfx_check(const struct lfx_case *c, struct lfx_run *r);
void lfx_free(struct lfx_run *r);

/* Whether the POSIX extended regex re matches a line of text. */
bool lfx_matches(const char *text, const char *re);

#endif
