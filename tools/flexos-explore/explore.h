/*
 * This file is private to flexos-explore: the exploration's data model
 * (the space of configurations, their safety order, their measurements)
 * and the library that main.c and tests/check_explore.c drive.
 */
#ifndef FLEXOS_EXPLORE_EXPLORE_H
#define FLEXOS_EXPLORE_EXPLORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <flexos/image.h>

/* The libraries and mechanisms above this make a space too big to walk. */
#define FXE_MAX_UNITS   8
#define FXE_MAX_CONFIGS 20000

enum fxe_stack { FXE_STACK_SHARED, FXE_STACK_PRIVATE };
enum fxe_better { FXE_HIGHER, FXE_LOWER };

/* One library of the exploration file: what its flexos.yaml entry says. */
struct fxe_lib {
	char *name;
	char *inputs;     /* the 'inputs' value, as YAML flow text */
	char *lib_extra;  /* other keys of the library entry, as "k: v" lines */
	char *comp_extra; /* keys its compartment gets when it is split off */
	unsigned harden;  /* FLEXOS_HARDEN_x: the options to try on it ('hardening') */
	unsigned line, col;
};

/* Libraries that move together (a 'groups' entry, or a library alone). */
struct fxe_unit {
	size_t *libs;
	size_t nlibs;
	unsigned harden; /* the union of its libraries' options; 0: never hardened */
};

struct fxe_spec {
	char *path;         /* of the exploration file */
	char *dir;          /* its directory: the commands run there */
	char *default_name; /* the default compartment, which runs main */
	struct fxe_lib *libs;
	size_t nlibs;
	struct fxe_unit *units;
	size_t nunits;
	unsigned mechs;  /* bit FLEXOS_MECH_x: the mechanisms to try */
	unsigned stacks; /* bit FXE_STACK_x: the stack modes (intel-mpk only) */
	char *build;     /* /bin/sh command lines, or NULL */
	char *bench;
	enum fxe_better better;
	unsigned runs;
	double budget;      /* 0: none */
	bool budget_ratio;  /* budget times the baseline's median */
	unsigned max_comps; /* 0: the mechanism's limit only */
};

/*
 * One configuration. blocks[0] is the default compartment; unit u is in
 * compartment block_of[u]. Hardening is one bit per unit (bit u: unit u
 * is hardened with its options). Hardening is per compartment in
 * flexos.yaml: only a unit split off is hardened, and the units of one
 * compartment are hardened together or not at all.
 */
struct fxe_config {
	unsigned block_of[FXE_MAX_UNITS];
	unsigned ncomps;
	int mech; /* FLEXOS_MECH_x; FLEXOS_MECH_NONE for one compartment */
	enum fxe_stack stack;
	unsigned hardening;
	char *yaml;  /* the generated flexos.yaml */
	char id[17]; /* hash of yaml and the commands, in hex */
	char *label; /* "app+x | lwip" */
};

enum fxe_status {
	FXE_UNKNOWN, /* not reached yet */
	FXE_MEETS,   /* measured, within the budget */
	FXE_FAILS,   /* measured, outside the budget */
	FXE_PRUNED,  /* above a measured configuration that fails: assumed to fail */
	FXE_BROKEN,  /* the build or the benchmark failed */
	FXE_MISSING, /* no measurement and none asked for (--collect, --list) */
};

struct fxe_result {
	enum fxe_status status;
	unsigned nruns;
	double median, min, max;
	bool candidate;
	char *why; /* FXE_BROKEN: a sentence */
};

struct fxe_space {
	const struct fxe_spec *spec;
	struct fxe_config *configs; /* sorted: a linear extension of the order */
	size_t n;
	size_t skipped_limit; /* over a mechanism's compartment limit */
	bool *less;           /* n x n: less[a * n + b] when a < b */
	bool *cover;          /* n x n: the Hasse diagram's edges */
	struct fxe_result *results;
	double baseline; /* the one-compartment configuration's median */
	double budget;   /* in the benchmark's unit, after --budget and the baseline */
	size_t measured;
	size_t candidates;
};

/*
 * Reads the exploration file at path. Errors go to err as
 * file:line:col: messages; returns NULL after any.
 */
struct fxe_spec *fxe_spec_read(const char *path, FILE *err);
struct fxe_spec *fxe_spec_parse(const char *name, const char *text, size_t len, FILE *err);
void fxe_spec_free(struct fxe_spec *s);

/*
 * Parses a budget: a number in the benchmark's unit, or a ratio to the
 * baseline written with an 'x' ("0.8x"). 0 or -EINVAL.
 */
int fxe_parse_budget(const char *s, double *value, bool *ratio);

/* The mechanism's flexos.yaml spelling, its strength and its limit. */
const char *fxe_mech_name(int mech);
int fxe_mech_strength(int mech);
unsigned fxe_mech_max(int mech);

/*
 * Enumerates every valid configuration of spec, sorted so that a
 * configuration comes after everything below it, computes the order and
 * its Hasse diagram. 0, -E2BIG (too many), or -ENOMEM.
 */
int fxe_space_build(struct fxe_space *sp, const struct fxe_spec *spec);
void fxe_space_free(struct fxe_space *sp);

/* a <= b in safety: b splits every compartment of a further (or keeps it), with a mechanism,
 * stack mode and hardening at least as strong. */
bool fxe_leq(const struct fxe_config *a, const struct fxe_config *b, size_t nunits);

/*
 * Measures one configuration: fills r (status FXE_MEETS-or-FAILS is
 * decided by the caller from r->median, so set FXE_FAILS for a
 * measurement, FXE_BROKEN or FXE_MISSING otherwise). Returns 0, or a
 * negative errno to stop the exploration (interrupted).
 */
typedef int (*fxe_measure_fn)(struct fxe_space *sp, size_t i, struct fxe_result *r, void *ctx);

/*
 * Walks the configurations from the bottom up and measures them with
 * measure; with prune, one above a measured configuration that fails the
 * budget is not measured but marked FXE_PRUNED (this assumes that
 * splitting or hardening more never makes an image faster). Then marks the
 * candidates: the maximal configurations that meet the budget. A ratio
 * budget needs the one-compartment configuration: it is measured first.
 * 0 or the first negative value of measure.
 */
int fxe_explore(struct fxe_space *sp, fxe_measure_fn measure, void *ctx, bool prune);

/* Marks candidates from the results alone (after --collect, or a test). */
void fxe_mark_candidates(struct fxe_space *sp);

/* Whether a median is within the budget. */
bool fxe_meets(const struct fxe_space *sp, double median);

/* The median of v[0..n) (sorts v). */
double fxe_median(double *v, size_t n);

/* The results table and the "N configurations, M measured, K candidates" line. */
void fxe_print_table(const struct fxe_space *sp, FILE *out);

/* The poset as graphviz dot: the Hasse diagram, coloured by performance. */
void fxe_write_dot(const struct fxe_space *sp, FILE *out);

/*
 * The results directory: DIR/<id>/ holds flexos.yaml, label, runs (one
 * number a line, appended after each run), median, broken (why), and the
 * commands' logs.
 */
int fxe_cache_load(const char *dir, const struct fxe_config *c, struct fxe_result *r);
int fxe_cache_prepare(const char *dir, const struct fxe_config *c);
int fxe_cache_add_run(const char *dir, const struct fxe_config *c, double value);
int fxe_cache_set_broken(const char *dir, const struct fxe_config *c, const char *why);
int fxe_cache_finish(const char *dir, const struct fxe_config *c, const struct fxe_result *r);

/*
 * Merges the results directory from into dir: a configuration is copied
 * when dir has fewer runs of it. Returns how many were copied, or -errno.
 */
int fxe_cache_collect(const char *dir, const char *from, FILE *err);

#endif
