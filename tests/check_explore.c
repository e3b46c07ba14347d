/*
 * Tests of flexos-explore's library (tools/flexos-explore/): the
 * exploration file, the enumeration, the safety order and its Hasse
 * diagram, pruning and candidates on synthetic measurements, and the
 * results directory. No command runs: a table stands for the benchmark.
 */
#include "autoconfig.h"

#include <check.h>
#include <errno.h>
#include <flexos/harden.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "explore.h"
#include "suites.h"

/* Two libraries, a and b, beside the application. */
#define TWO_LIBS                                                                       \
	"libraries:\n- a:\n  inputs: [liba.a]\n  compartment: {syscalls: [network]}\n" \
	"- b:\n  inputs: [libb.a]\n  headers: [b.h]\n"

static struct fxe_spec *parse(const char *text, char **errors)
{
	size_t len = 0;
	FILE *err = open_memstream(errors, &len);
	struct fxe_spec *s;

	ck_assert_ptr_nonnull(err);
	s = fxe_spec_parse("x.yaml", text, strlen(text), err);
	fclose(err);
	return s;
}

static struct fxe_spec *parse_ok(const char *text)
{
	char *errors = NULL;
	struct fxe_spec *s = parse(text, &errors);

	ck_assert_msg(s != NULL, "refused: %s", errors);
	free(errors);
	return s;
}

static void expect_error(const char *text, const char *message)
{
	char *errors = NULL;
	struct fxe_spec *s = parse(text, &errors);

	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(errors, message) != NULL, "expected '%s' in: %s", message, errors);
	free(errors);
}

static ssize_t find(const struct fxe_space *sp, const char *label, const char *mech)
{
	for (size_t i = 0; i < sp->n; i++)
		if (strcmp(sp->configs[i].label, label) == 0 &&
		    strcmp(fxe_mech_name(sp->configs[i].mech), mech) == 0)
			return (ssize_t)i;
	ck_abort_msg("no configuration %s, %s", label, mech);
	return -1;
}

START_TEST(spec_errors)
{
	expect_error(TWO_LIBS "mechanisms: [none]\nbench: echo 1\nhardening: [asan]\n",
		     "x.yaml:10:12: error: 'hardening' must be a mapping of libraries to the "
		     "options to try");
	expect_error(TWO_LIBS "mechanisms: [none]\nbench: echo 1\nhardening: {c: [asan]}\n",
		     "x.yaml:10:13: error: 'c' is not a library of 'libraries'");
	expect_error(TWO_LIBS "mechanisms: [none]\nbench: echo 1\nhardening: {a: [ubsan, cfi]}\n",
		     "x.yaml:10:24: error: hardening 'cfi' needs clang");
	expect_error(TWO_LIBS "mechanisms: [none]\nbench: echo 1\nhardening: {a: [msan]}\n",
		     "x.yaml:10:17: error: unknown hardening 'msan'");
	expect_error(TWO_LIBS "mechanisms: [none]\nbench: echo 1\nhardening: {a: []}\n",
		     "x.yaml:10:16: error: the hardening of 'a' must be a sequence of options");
	expect_error("libraries:\n- a:\n  inputs: [x]\n- c:\n  inputs: [y]\n  split: false\n"
		     "mechanisms: [none]\nbench: echo 1\nhardening: {c: [ubsan]}\n",
		     "x.yaml:9:13: error: library 'c' has 'split: false'");
	expect_error(TWO_LIBS "mechanisms: [none, mpx]\nbench: echo 1\n",
		     "x.yaml:8:20: error: unknown mechanism 'mpx'");
	expect_error(TWO_LIBS "mechanisms: [none]\nbench: echo 1\nspeed: 3\n",
		     "x.yaml:10:1: error: unknown key 'speed'");
	expect_error(TWO_LIBS "mechanisms: [none]\n", "no 'bench'");
	expect_error(TWO_LIBS "mechanisms: [none]\nbench: echo 1\nbudget: fast\n",
		     "'budget' must be a positive number");
	expect_error(TWO_LIBS "mechanisms: [none]\nbench: echo 1\ngroups: [[a, c]]\n",
		     "'c' is not a library");
	expect_error("libraries:\n- a:\n  inputs: [x]\n  compartment: {mechanism: none}\n"
		     "mechanisms: [none]\nbench: echo 1\n",
		     "'mechanism' is what flexos-explore varies");
	/* A NUL in a name is refused, not cut there ("a"), as flexos-link does. */
	expect_error("libraries:\n- \"a\\0b\":\n  inputs: [x]\nmechanisms: [none]\nbench: echo 1\n",
		     "x.yaml:2:3: error: a library entry starts with its name, a C identifier");
	expect_error(TWO_LIBS "mechanisms: [none]\nbench: echo 1\ndefault: \"a\\0b\"\n",
		     "x.yaml:10:10: error: 'default' must be a C identifier");
	/* Empty hardening: the dimension is not explored. */
	fxe_spec_free(parse_ok(TWO_LIBS "mechanisms: [none]\nbench: echo 1\nhardening: {}\n"));
}
END_TEST

/*
 * The hardening dimension: a library with options is tried hardened and
 * not, only when split off and alone with libraries hardened alike.
 */
START_TEST(hardening_dimension)
{
	struct fxe_spec *s = parse_ok(TWO_LIBS "mechanisms: [none]\nbench: echo 1\n"
					       "hardening: {a: [ubsan, stack-protector]}\n");
	struct fxe_space sp;
	size_t n, plain, hard, together = 0;

	ck_assert_uint_eq(s->units[0].harden, FLEXOS_HARDEN_UBSAN | FLEXOS_HARDEN_STACK_PROTECTOR);
	ck_assert_uint_eq(s->units[1].harden, 0);
	ck_assert_int_eq(fxe_space_build(&sp, s), 0);
	n = sp.n;
	/* 1 + (app+a | b) + 2 x (app+b | a) + (app | a+b) + 2 x (app | a | b). */
	ck_assert_uint_eq(n, 7);
	plain = (size_t)find(&sp, "app+b | a", "none");
	hard = (size_t)find(&sp, "app+b | a[stack-protector, ubsan]", "none");
	ck_assert_ptr_nonnull(strstr(sp.configs[hard].yaml,
				     "- a:\n  mechanism: none\n"
				     "  hardening: [stack-protector, ubsan]\n"
				     "  syscalls: [network]\n"));
	ck_assert_ptr_null(strstr(sp.configs[plain].yaml, "hardening"));
	ck_assert_ptr_null(strstr(sp.configs[0].yaml, "hardening"));
	ck_assert(sp.less[plain * n + hard] && sp.cover[plain * n + hard]);
	ck_assert(!sp.less[hard * n + plain]);
	/* Hardened, a is above the hardened split with b too, and not below the unhardened one. */
	size_t three = (size_t)find(&sp, "app | a[stack-protector, ubsan] | b", "none");
	ck_assert(sp.less[hard * n + three]);
	ck_assert(!sp.less[three * n + (size_t)find(&sp, "app | a | b", "none")]);
	/* a beside b, which has no options, is never hardened; nor a in the default compartment. */
	for (size_t i = 0; i < n; i++) {
		together += strncmp(sp.configs[i].label, "app | a+b", 9) == 0;
		ck_assert(strncmp(sp.configs[i].label, "app+a", 5) || !sp.configs[i].hardening);
	}
	ck_assert_uint_eq(together, 1);
	fxe_space_free(&sp);
	fxe_spec_free(s);
}
END_TEST

START_TEST(budget_syntax)
{
	double v;
	bool ratio;

	ck_assert_int_eq(fxe_parse_budget("0.8x", &v, &ratio), 0);
	ck_assert(ratio && fabs(v - 0.8) < 1e-12);
	ck_assert_int_eq(fxe_parse_budget("500000", &v, &ratio), 0);
	ck_assert(!ratio && v == 500000);
	ck_assert_int_eq(fxe_parse_budget("-1", &v, &ratio), -EINVAL);
	ck_assert_int_eq(fxe_parse_budget("2y", &v, &ratio), -EINVAL);
}
END_TEST

/* Bell(3) = 5 partitions of {app, a, b}: one of one compartment, four of more. */
START_TEST(enumeration)
{
	struct fxe_spec *s = parse_ok(TWO_LIBS "mechanisms: [none, process]\nbench: echo 1\n");
	struct fxe_space sp;

	ck_assert_int_eq(fxe_space_build(&sp, s), 0);
	ck_assert_uint_eq(sp.n, 1 + 4 * 2);
	ck_assert_str_eq(sp.configs[0].label, "app+a+b");
	ck_assert_uint_eq(sp.configs[0].ncomps, 1);
	for (size_t i = 0; i < sp.n; i++)
		for (size_t j = i + 1; j < sp.n; j++)
			ck_assert_str_ne(sp.configs[i].id, sp.configs[j].id);
	/* The generated flexos.yaml: a's compartment keys go with a, b's library keys with b. */
	{
		const char *y = sp.configs[find(&sp, "app | a | b", "process")].yaml;

		ck_assert_ptr_nonnull(
		    strstr(y, "- a:\n  mechanism: process\n  syscalls: [network]\n"));
		ck_assert_ptr_nonnull(strstr(y, "- b: b\n  inputs: [libb.a]\n  headers: [b.h]\n"));
		ck_assert_ptr_nonnull(
		    strstr(y, "- app:\n  mechanism: process\n  default: true\n- a:"));
	}
	fxe_space_free(&sp);
	fxe_spec_free(s);

	/* intel-mpk with both stack modes: none, mpk/shared, mpk/private, process. */
	s = parse_ok(TWO_LIBS "mechanisms: [none, intel-mpk, process]\nstack: [private, shared]\n"
			      "bench: echo 1\n");
	ck_assert_int_eq(fxe_space_build(&sp, s), 0);
	ck_assert_uint_eq(sp.n, 1 + 4 * 4);
	ck_assert_ptr_nonnull(
	    strstr(sp.configs[find(&sp, "app | a | b", "intel-mpk")].yaml, "stack: shared"));
	fxe_space_free(&sp);
	fxe_spec_free(s);

	/* A group moves as one; 'split: false' never moves. */
	s = parse_ok(TWO_LIBS "- c:\n  inputs: [c.o]\n  split: false\n"
			      "groups: [[a, b]]\nmechanisms: [none, process]\nbench: echo 1\n");
	ck_assert_int_eq(fxe_space_build(&sp, s), 0);
	ck_assert_uint_eq(sp.n, 3);
	ck_assert_str_eq(sp.configs[1].label, "app | a+b");
	ck_assert_ptr_nonnull(strstr(sp.configs[1].yaml, "- c: app\n"));
	fxe_space_free(&sp);
	fxe_spec_free(s);

	/* Over the compartment limit: skipped, and counted. */
	s = parse_ok(TWO_LIBS "mechanisms: [none, process]\nmax_compartments: 2\nbench: echo 1\n");
	ck_assert_int_eq(fxe_space_build(&sp, s), 0);
	ck_assert_uint_eq(sp.n, 1 + 3 * 2);
	ck_assert_uint_eq(sp.skipped_limit, 2);
	fxe_space_free(&sp);
	fxe_spec_free(s);
	ck_assert_uint_eq(fxe_mech_max(FLEXOS_MECH_MPK), 15);

	/* Bell(9) = 21147 partitions of 8 libraries: too many to walk. */
	s = parse_ok("libraries:\n- a:\n  inputs: [a]\n- b:\n  inputs: [b]\n- c:\n  inputs: [c]\n"
		     "- d:\n  inputs: [d]\n- e:\n  inputs: [e]\n- f:\n  inputs: [f]\n"
		     "- g:\n  inputs: [g]\n- h:\n  inputs: [h]\nmechanisms: [none]\nbench: x\n");
	ck_assert_int_eq(fxe_space_build(&sp, s), -E2BIG);
	fxe_space_free(&sp);
	fxe_spec_free(s);
}
END_TEST

START_TEST(order_and_hasse)
{
	struct fxe_spec *s = parse_ok(TWO_LIBS "mechanisms: [none, process]\nbench: echo 1\n");
	struct fxe_space sp;
	size_t n, edges = 0;
	ssize_t base, n1, n2, n3, n4, p1, p4;

	ck_assert_int_eq(fxe_space_build(&sp, s), 0);
	n = sp.n;
	base = find(&sp, "app+a+b", "none");
	n1 = find(&sp, "app+a | b", "none");
	n2 = find(&sp, "app+b | a", "none");
	n3 = find(&sp, "app | a+b", "none");
	n4 = find(&sp, "app | a | b", "none");
	p1 = find(&sp, "app+a | b", "process");
	p4 = find(&sp, "app | a | b", "process");
	/* The baseline is below everything; splitting further or a stronger mechanism is above. */
	for (size_t i = 1; i < n; i++)
		ck_assert(sp.less[(size_t)base * n + i]);
	ck_assert(sp.less[(size_t)n1 * n + (size_t)n4]);
	ck_assert(sp.less[(size_t)n3 * n + (size_t)n4]);
	ck_assert(sp.less[(size_t)n1 * n + (size_t)p1]);
	ck_assert(sp.less[(size_t)n1 * n + (size_t)p4]);
	/* Splitting off different libraries, or a weaker mechanism, is not comparable. */
	ck_assert(!fxe_leq(&sp.configs[n1], &sp.configs[n2], s->nunits));
	ck_assert(!fxe_leq(&sp.configs[n2], &sp.configs[n1], s->nunits));
	ck_assert(!fxe_leq(&sp.configs[n1], &sp.configs[n3], s->nunits));
	ck_assert(!fxe_leq(&sp.configs[p1], &sp.configs[n4], s->nunits));
	ck_assert(fxe_leq(&sp.configs[n1], &sp.configs[n1], s->nunits));
	/* Hardening is compared too: a superset is above. */
	{
		struct fxe_config h = sp.configs[n1];

		h.hardening = 1;
		ck_assert(fxe_leq(&sp.configs[n1], &h, s->nunits));
		ck_assert(!fxe_leq(&h, &sp.configs[n1], s->nunits));
	}
	/*
	 * The Hasse diagram: baseline -> 3 two-compartment none; each none ->
	 * its process twin (4); the three two-compartment ones -> three
	 * compartments, under none and under process (3 + 3).
	 */
	for (size_t i = 0; i < n * n; i++)
		edges += sp.cover[i];
	ck_assert_uint_eq(edges, 13);
	ck_assert(sp.cover[(size_t)base * n + (size_t)n1]);
	ck_assert(!sp.cover[(size_t)base * n + (size_t)p1]);
	ck_assert(!sp.cover[(size_t)n1 * n + (size_t)p4]);
	/* Sorted: everything below a configuration comes before it. */
	for (size_t a = 0; a < n; a++)
		for (size_t b = 0; b < a; b++)
			ck_assert(!fxe_leq(&sp.configs[a], &sp.configs[b], s->nunits));
	fxe_space_free(&sp);
	fxe_spec_free(s);
}
END_TEST

/* A synthetic benchmark: a table of medians by configuration. */
struct synthetic {
	const char *label, *mech;
	double value;
};

struct table {
	const struct synthetic *rows;
	unsigned calls;
};

static int synthetic_measure(struct fxe_space *sp, size_t i, struct fxe_result *r, void *ctx)
{
	struct table *t = ctx;

	t->calls++;
	for (const struct synthetic *row = t->rows; row->label; row++)
		if (strcmp(row->label, sp->configs[i].label) == 0 &&
		    strcmp(row->mech, fxe_mech_name(sp->configs[i].mech)) == 0) {
			r->status = FXE_FAILS; /* measured; the walk compares it with the budget */
			r->median = r->min = r->max = row->value;
			r->nruns = 1;
			return 0;
		}
	ck_abort_msg("no synthetic figure for %s", sp->configs[i].label);
	return -EINVAL;
}

/* Throughput that only falls as one splits more: the assumption pruning makes. */
static const struct synthetic monotonic[] = {
    {"app+a+b", "none", 100},       {"app+a | b", "none", 90},
    {"app+b | a", "none", 50},      {"app | a+b", "none", 80},
    {"app | a | b", "none", 45},    {"app+a | b", "process", 70},
    {"app+b | a", "process", 40},   {"app | a+b", "process", 60},
    {"app | a | b", "process", 30}, {NULL, NULL, 0},
};

/*
 * The same, but three compartments under none run faster (70) than one of
 * the two-compartment configurations below them (50): a cache effect, or
 * noise. Pruning skips it, since 'app+b | a' fails below it.
 */
static const struct synthetic non_monotonic[] = {
    {"app+a+b", "none", 100},       {"app+a | b", "none", 90},
    {"app+b | a", "none", 50},      {"app | a+b", "none", 80},
    {"app | a | b", "none", 70},    {"app+a | b", "process", 70},
    {"app+b | a", "process", 40},   {"app | a+b", "process", 60},
    {"app | a | b", "process", 30}, {NULL, NULL, 0},
};

static void candidates_of(const struct fxe_space *sp, char *buf, size_t size)
{
	buf[0] = '\0';
	for (size_t i = 0; i < sp->n; i++)
		if (sp->results[i].candidate)
			snprintf(buf + strlen(buf), size - strlen(buf), "[%s, %s]",
				 sp->configs[i].label, fxe_mech_name(sp->configs[i].mech));
}

static void run_synthetic(const struct synthetic *rows, bool prune, unsigned *calls, char *cands,
			  size_t size, struct fxe_space *sp, struct fxe_spec **sout)
{
	struct fxe_spec *s =
	    parse_ok(TWO_LIBS "mechanisms: [none, process]\nbench: echo 1\nbudget: 0.65x\n");
	struct table t = {rows, 0};

	ck_assert_int_eq(fxe_space_build(sp, s), 0);
	ck_assert_int_eq(fxe_explore(sp, synthetic_measure, &t, prune), 0);
	*calls = t.calls;
	candidates_of(sp, cands, size);
	*sout = s;
}

START_TEST(pruning_monotonic)
{
	struct fxe_space sp;
	struct fxe_spec *s;
	unsigned calls;
	char pruned[256], full[256];

	run_synthetic(monotonic, true, &calls, pruned, sizeof(pruned), &sp, &s);
	ck_assert(fabs(sp.budget - 65) < 1e-9);
	/* 'app+b | a' (50) fails: the three configurations above it are not measured. */
	ck_assert_uint_eq(calls, 6);
	ck_assert_uint_eq(sp.measured, 6);
	ck_assert_int_eq(sp.results[find(&sp, "app | a | b", "none")].status, FXE_PRUNED);
	ck_assert_int_eq(sp.results[find(&sp, "app+b | a", "process")].status, FXE_PRUNED);
	ck_assert_int_eq(sp.results[find(&sp, "app | a | b", "process")].status, FXE_PRUNED);
	ck_assert_uint_eq(sp.candidates, 2);
	ck_assert_str_eq(pruned, "[app | a+b, none][app+a | b, process]");
	fxe_space_free(&sp);
	fxe_spec_free(s);

	/* When the assumption holds, pruning finds the same candidates. */
	run_synthetic(monotonic, false, &calls, full, sizeof(full), &sp, &s);
	ck_assert_uint_eq(calls, 9);
	ck_assert_str_eq(full, pruned);
	fxe_space_free(&sp);
	fxe_spec_free(s);
}
END_TEST

/*
 * What pruning misses when splitting more makes an image faster:
 * 'app | a | b' under none meets the budget but is never measured, so it
 * is not a candidate, and 'app | a+b', which it dominates, is reported in
 * its place. Measuring everything (--no-prune) finds the true maximal set.
 */
START_TEST(pruning_non_monotonic)
{
	struct fxe_space sp;
	struct fxe_spec *s;
	unsigned calls;
	char pruned[256], full[256];

	run_synthetic(non_monotonic, true, &calls, pruned, sizeof(pruned), &sp, &s);
	ck_assert_uint_eq(calls, 6);
	ck_assert_int_eq(sp.results[find(&sp, "app | a | b", "none")].status, FXE_PRUNED);
	ck_assert_str_eq(pruned, "[app | a+b, none][app+a | b, process]");
	fxe_space_free(&sp);
	fxe_spec_free(s);

	run_synthetic(non_monotonic, false, &calls, full, sizeof(full), &sp, &s);
	ck_assert_uint_eq(calls, 9);
	ck_assert_int_eq(sp.results[find(&sp, "app | a | b", "none")].status, FXE_MEETS);
	ck_assert_str_eq(full, "[app+a | b, process][app | a | b, none]");
	fxe_space_free(&sp);
	fxe_spec_free(s);
}
END_TEST

/* Lower is better (seconds): the budget is a ceiling. */
START_TEST(lower_is_better)
{
	struct fxe_spec *s = parse_ok(TWO_LIBS "mechanisms: [none]\nbench: echo 1\nbetter: lower\n"
					       "budget: 2x\n");
	struct fxe_space sp;
	static const struct synthetic rows[] = {
	    {"app+a+b", "none", 1.0},   {"app+a | b", "none", 1.5}, {"app+b | a", "none", 2.5},
	    {"app | a+b", "none", 1.9}, {"app | a | b", "none", 3}, {NULL, NULL, 0},
	};
	struct table t = {rows, 0};
	char cands[256];

	ck_assert_int_eq(fxe_space_build(&sp, s), 0);
	ck_assert_int_eq(fxe_explore(&sp, synthetic_measure, &t, true), 0);
	ck_assert(fabs(sp.budget - 2.0) < 1e-12);
	ck_assert(fxe_meets(&sp, 1.99) && !fxe_meets(&sp, 2.01));
	candidates_of(&sp, cands, sizeof(cands));
	ck_assert_str_eq(cands, "[app+a | b, none][app | a+b, none]");
	fxe_space_free(&sp);
	fxe_spec_free(s);
}
END_TEST

START_TEST(table_and_dot)
{
	struct fxe_space sp;
	struct fxe_spec *s;
	unsigned calls;
	char cands[256], *text = NULL;
	size_t len = 0;
	FILE *f;

	run_synthetic(monotonic, true, &calls, cands, sizeof(cands), &sp, &s);
	f = open_memstream(&text, &len);
	fxe_print_table(&sp, f);
	fclose(f);
	ck_assert_ptr_nonnull(
	    strstr(text, "9 configurations, 6 measured, 2 candidates (3 pruned)"));
	ck_assert_ptr_nonnull(strstr(text, "* candidate"));
	free(text);
	f = open_memstream(&text, &len);
	fxe_write_dot(&sp, f);
	fclose(f);
	{
		unsigned edges = 0, doubled = 0;

		for (const char *p = text; (p = strstr(p, "->")); p++)
			edges++;
		for (const char *p = text; (p = strstr(p, "peripheries=2")); p++)
			doubled++;
		ck_assert_uint_eq(edges, 13);
		ck_assert_uint_eq(doubled, 2);
	}
	free(text);
	fxe_space_free(&sp);
	fxe_spec_free(s);
}
END_TEST

START_TEST(cache_and_collect)
{
	struct fxe_spec *s = parse_ok(TWO_LIBS "mechanisms: [none]\nbench: echo 1\n");
	struct fxe_space sp;
	struct fxe_result r;
	char a[] = "/tmp/check-explore-XXXXXX", b[] = "/tmp/check-explore-XXXXXX";
	char *cmd;

	ck_assert_ptr_nonnull(mkdtemp(a));
	ck_assert_ptr_nonnull(mkdtemp(b));
	ck_assert_int_eq(fxe_space_build(&sp, s), 0);
	ck_assert_int_eq(fxe_cache_load(a, &sp.configs[1], &r), 0);
	ck_assert_int_eq(r.status, FXE_MISSING);
	ck_assert_int_eq(fxe_cache_prepare(a, &sp.configs[1]), 0);
	ck_assert_int_eq(fxe_cache_add_run(a, &sp.configs[1], 3), 0);
	ck_assert_int_eq(fxe_cache_add_run(a, &sp.configs[1], 1), 0);
	ck_assert_int_eq(fxe_cache_add_run(a, &sp.configs[1], 2), 0);
	ck_assert_int_eq(fxe_cache_load(a, &sp.configs[1], &r), 0);
	ck_assert_uint_eq(r.nruns, 3);
	ck_assert(r.median == 2 && r.min == 1 && r.max == 3);
	ck_assert_int_eq(fxe_cache_prepare(a, &sp.configs[2]), 0);
	ck_assert_int_eq(fxe_cache_set_broken(a, &sp.configs[2], "the build failed"), 0);
	ck_assert_int_eq(fxe_cache_load(a, &sp.configs[2], &r), 0);
	ck_assert_int_eq(r.status, FXE_BROKEN);
	ck_assert_str_eq(r.why, "the build failed");
	free(r.why);

	/* b has one run of configuration 1: collecting a brings three; b's more runs stay. */
	ck_assert_int_eq(fxe_cache_prepare(b, &sp.configs[1]), 0);
	ck_assert_int_eq(fxe_cache_add_run(b, &sp.configs[1], 9), 0);
	ck_assert_int_eq(fxe_cache_collect(b, a, stderr), 2);
	ck_assert_int_eq(fxe_cache_load(b, &sp.configs[1], &r), 0);
	ck_assert_uint_eq(r.nruns, 3);
	ck_assert(r.median == 2);
	ck_assert_int_eq(fxe_cache_collect(a, b, stderr), 0);
	/* Measured elsewhere, broken here: the measurement wins, the 'broken' goes. */
	cmd = NULL;
	ck_assert_int_gt(asprintf(&cmd, "%s/%s/broken", b, sp.configs[2].id), 0);
	ck_assert_int_eq(unlink(cmd), 0); /* the first collect brought it */
	free(cmd);
	ck_assert_int_eq(fxe_cache_add_run(b, &sp.configs[2], 4), 0);
	ck_assert_int_eq(fxe_cache_collect(a, b, stderr), 1);
	ck_assert_int_eq(fxe_cache_load(a, &sp.configs[2], &r), 0);
	ck_assert_int_eq(r.status, FXE_FAILS);
	ck_assert(r.median == 4);
	{
		FILE *quiet = fopen("/dev/null", "w");

		ck_assert_int_eq(fxe_cache_collect(b, "/nonexistent/results", quiet), -ENOENT);
		fclose(quiet);
	}

	cmd = NULL;
	ck_assert_int_gt(asprintf(&cmd, "rm -rf '%s' '%s'", a, b), 0);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	fxe_space_free(&sp);
	fxe_spec_free(s);
}
END_TEST

Suite *explore_suite(void)
{
	Suite *s = suite_create("explore");
	TCase *tc = tcase_create("explore");

	tcase_add_test(tc, spec_errors);
	tcase_add_test(tc, budget_syntax);
	tcase_add_test(tc, hardening_dimension);
	tcase_add_test(tc, enumeration);
	tcase_add_test(tc, order_and_hasse);
	tcase_add_test(tc, pruning_monotonic);
	tcase_add_test(tc, pruning_non_monotonic);
	tcase_add_test(tc, lower_is_better);
	tcase_add_test(tc, table_and_dot);
	tcase_add_test(tc, cache_and_collect);
	suite_add_tcase(s, tc);
	return s;
}
