/*
 * The space of configurations: enumeration, the safety order and its Hasse
 * diagram, the bottom-up walk that prunes, and the candidates.
 */
#include "autoconfig.h"

#include "explore.h"
#include "harden.h"
#include "util.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	unsigned max;
} mechs[] = {
#define MECH_ROW(id, name, archive, max, props, libs) [FLEXOS_MECH_##id] = {name, max},
    FLEXOS_MECHANISMS(MECH_ROW)
#undef MECH_ROW
};

const char *fxe_mech_name(int mech)
{
	if (mech < 0 || (size_t)mech >= sizeof(mechs) / sizeof(mechs[0]))
		return NULL;
	return mechs[mech].name;
}

unsigned fxe_mech_max(int mech)
{
	return mechs[mech].max;
}

/*
 * none isolates nothing; a protection key guards data but shares the
 * address space, the kernel and (under the hosted model) key 0; a process
 * shares only what is mapped shared. A new mechanism needs a rank here.
 */
int fxe_mech_strength(int mech)
{
	switch (mech) {
	case FLEXOS_MECH_NONE:
		return 0;
	case FLEXOS_MECH_MPK:
		return 1;
	default:
		return 2;
	}
}

/*
 * Stacks only differ under intel-mpk: none shares everything, a process
 * has stacks of its own. Ranking them so keeps none <= mpk-shared <=
 * mpk-private <= process a chain.
 */
static int stack_rank(const struct fxe_config *c)
{
	if (c->mech == FLEXOS_MECH_NONE)
		return 0;
	if (c->mech == FLEXOS_MECH_MPK)
		return c->stack == FXE_STACK_PRIVATE;
	return 1;
}

bool fxe_leq(const struct fxe_config *a, const struct fxe_config *b, size_t nunits)
{
	if (fxe_mech_strength(a->mech) > fxe_mech_strength(b->mech) ||
	    stack_rank(a) > stack_rank(b) || (a->hardening & ~b->hardening))
		return false;
	/*
	 * b refines a: two units apart in a are apart in b. The default
	 * compartment is block 0 of both, so a unit's being split off from it
	 * counts as well.
	 */
	for (size_t u = 0; u < nunits; u++) {
		if (a->block_of[u] != 0 && b->block_of[u] == 0)
			return false;
		for (size_t v = u + 1; v < nunits; v++)
			if (b->block_of[u] == b->block_of[v] && a->block_of[u] != a->block_of[v])
				return false;
	}
	return true;
}

static int popcount(unsigned x)
{
	return __builtin_popcount(x);
}

/* A linear extension of the order: a < b implies a sorts first. */
static int compare_configs(const void *pa, const void *pb)
{
	const struct fxe_config *a = pa, *b = pb;
	int d;

	if (a->ncomps != b->ncomps)
		return a->ncomps < b->ncomps ? -1 : 1;
	if ((d = fxe_mech_strength(a->mech) - fxe_mech_strength(b->mech)))
		return d;
	if ((d = stack_rank(a) - stack_rank(b)))
		return d;
	if ((d = popcount(a->hardening) - popcount(b->hardening)))
		return d;
	return memcmp(a->block_of, b->block_of, sizeof(a->block_of));
}

static uint64_t fnv1a(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* The name of block k: the first library of the first unit in it. */
static const char *block_name(const struct fxe_spec *s, const struct fxe_config *c, unsigned k)
{
	if (k == 0)
		return s->default_name;
	for (size_t u = 0; u < s->nunits; u++)
		if (c->block_of[u] == k)
			return s->libs[s->units[u].libs[0]].name;
	return "?";
}

static unsigned block_of_lib(const struct fxe_spec *s, const struct fxe_config *c, size_t lib)
{
	for (size_t u = 0; u < s->nunits; u++)
		for (size_t i = 0; i < s->units[u].nlibs; i++)
			if (s->units[u].libs[i] == lib)
				return c->block_of[u];
	return 0; /* split: false */
}

/* Appends the compartment keys of lib, skipping a key the compartment already has. */
static void add_comp_extra(FILE *f, const char *extra, char **seen, size_t *seen_len)
{
	const char *line = extra;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line + 1) : strlen(line);
		const char *colon = memchr(line, ':', len);
		size_t klen = colon ? (size_t)(colon - line) + 1 : len;
		bool dup = false;

		for (const char *k = *seen; k && *k; k += strlen(k) + 1)
			if (strlen(k) == klen && memcmp(k, line, klen) == 0)
				dup = true;
		if (!dup) {
			fwrite(line, 1, len, f);
			*seen = xrealloc(*seen, *seen_len + klen + 2);
			memcpy(*seen + *seen_len, line, klen);
			*seen_len += klen + 1;
			(*seen)[*seen_len - 1] = '\0';
			(*seen)[*seen_len] = '\0';
		}
		line += len;
	}
}

/* The options compartment k is hardened with ("asan, ubsan"), between pre and post; or nothing. */
static void print_hardening(FILE *f, const struct fxe_spec *s, const struct fxe_config *c,
			    unsigned k, const char *pre, const char *post)
{
	unsigned mask = 0;
	const char *sep = "";

	for (size_t u = 0; u < s->nunits; u++)
		if (c->block_of[u] == k && (c->hardening & (1u << u)))
			mask |= s->units[u].harden;
	if (!mask)
		return;
	fputs(pre, f);
	for (size_t i = 0; i < FLH_NOPTIONS; i++)
		if (mask & flh_options[i].bit) {
			fprintf(f, "%s%s", sep, flh_options[i].name);
			sep = ", ";
		}
	fputs(post, f);
}

static void describe(const struct fxe_spec *s, struct fxe_config *c)
{
	char *y = NULL, *l = NULL;
	size_t ylen = 0, llen = 0;
	FILE *f = open_memstream(&y, &ylen), *lf = open_memstream(&l, &llen);
	const char *mech = fxe_mech_name(c->mech);
	uint64_t h = 0xcbf29ce484222325ull;

	if (!f || !lf) {
		fputs("flexos-explore: out of memory\n", stderr);
		exit(1);
	}
	for (unsigned k = 0; k < c->ncomps; k++) {
		bool first = true;

		fputs(k ? " | " : "", lf);
		if (k == 0) {
			fputs(s->default_name, lf);
			first = false;
		}
		for (size_t u = 0; u < s->nunits; u++) {
			if (c->block_of[u] != k)
				continue;
			for (size_t i = 0; i < s->units[u].nlibs; i++) {
				fprintf(lf, "%s%s", first ? "" : "+",
					s->libs[s->units[u].libs[i]].name);
				first = false;
			}
		}
		print_hardening(lf, s, c, k, "[", "]");
	}
	fclose(lf);
	c->label = l;

	fprintf(f, "# flexos-explore: %s, %s\ncompartments:\n", l, mech);
	for (unsigned k = 0; k < c->ncomps; k++) {
		char *seen = NULL;
		size_t seen_len = 0;

		fprintf(f, "- %s:\n  mechanism: %s\n", block_name(s, c, k), mech);
		if (k == 0)
			fputs("  default: true\n", f);
		if (c->mech == FLEXOS_MECH_MPK && c->stack == FXE_STACK_SHARED)
			fputs("  stack: shared\n", f);
		print_hardening(f, s, c, k, "  hardening: [", "]\n");
		for (size_t lib = 0; k && lib < s->nlibs; lib++)
			if (block_of_lib(s, c, lib) == k && s->libs[lib].comp_extra)
				add_comp_extra(f, s->libs[lib].comp_extra, &seen, &seen_len);
		free(seen);
	}
	fputs("libraries:\n", f);
	for (size_t lib = 0; lib < s->nlibs; lib++) {
		fprintf(f, "- %s: %s\n  inputs: %s\n", s->libs[lib].name,
			block_name(s, c, block_of_lib(s, c, lib)), s->libs[lib].inputs);
		if (s->libs[lib].lib_extra)
			fputs(s->libs[lib].lib_extra, f);
	}
	fclose(f);
	c->yaml = y;
	h = fnv1a(h, y, ylen + 1);
	h = fnv1a(h, s->build ? s->build : "", s->build ? strlen(s->build) + 1 : 1);
	h = fnv1a(h, s->bench ? s->bench : "", s->bench ? strlen(s->bench) + 1 : 1);
	snprintf(c->id, sizeof(c->id), "%016llx", (unsigned long long)h);
}

static int add_config(struct fxe_space *sp, size_t *cap, const unsigned *rgs, unsigned ncomps,
		      int mech, enum fxe_stack stack, unsigned hardening)
{
	struct fxe_config *c;

	if (sp->n == FXE_MAX_CONFIGS)
		return -E2BIG;
	if (sp->n == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		sp->configs = xrealloc(sp->configs, *cap * sizeof(*sp->configs));
	}
	c = &sp->configs[sp->n++];
	memset(c, 0, sizeof(*c));
	memcpy(c->block_of, rgs, sizeof(c->block_of));
	c->ncomps = ncomps;
	c->mech = mech;
	c->stack = stack;
	c->hardening = hardening;
	return 0;
}

/*
 * Whether hardening (a bit per unit) fits the partition rgs: only units
 * with options to try, split off, and all the units of a compartment
 * alike, since hardening is per compartment.
 */
static bool hardening_fits(const struct fxe_spec *s, const unsigned *rgs, unsigned hardening)
{
	for (size_t u = 0; u < s->nunits; u++) {
		bool on = hardening & (1u << u);

		if (on && (!s->units[u].harden || rgs[u] == 0))
			return false;
		for (size_t v = u + 1; v < s->nunits; v++)
			if (rgs[v] == rgs[u] && on != !!(hardening & (1u << v)))
				return false;
	}
	return true;
}

/* The configuration, once with each hardening that fits it. */
static int add_hardened(struct fxe_space *sp, size_t *cap, const unsigned *rgs, unsigned ncomps,
			int mech, enum fxe_stack stack)
{
	const struct fxe_spec *s = sp->spec;
	int err;

	for (unsigned h = 0; h < 1u << s->nunits; h++)
		if (hardening_fits(s, rgs, h) &&
		    (err = add_config(sp, cap, rgs, ncomps, mech, stack, h)))
			return err;
	return 0;
}

/*
 * Every set partition of {default, unit 0, ..., unit n-1} as a restricted
 * growth string (a unit's block is at most one more than any before it),
 * the default compartment always block 0; then each mechanism, under
 * intel-mpk each stack mode, and each hardening that fits. One
 * compartment is one configuration: its mechanism changes nothing, so it
 * is the none baseline (unhardened).
 */
static int enumerate(struct fxe_space *sp)
{
	const struct fxe_spec *s = sp->spec;
	unsigned rgs[FXE_MAX_UNITS] = {0};
	size_t cap = 0;
	int err;

	for (;;) {
		unsigned ncomps = 1;

		for (size_t u = 0; u < s->nunits; u++)
			if (rgs[u] + 1 > ncomps)
				ncomps = rgs[u] + 1;
		if (ncomps == 1) {
			if ((err = add_config(sp, &cap, rgs, 1, FLEXOS_MECH_NONE, FXE_STACK_PRIVATE,
					      0)))
				return err;
		} else {
			for (int m = 0; fxe_mech_name(m); m++) {
				if (!(s->mechs & (1u << m)))
					continue;
				for (int st = FXE_STACK_SHARED; st <= FXE_STACK_PRIVATE; st++) {
					bool want = m == FLEXOS_MECH_MPK ? (s->stacks & (1u << st))
									 : st == FXE_STACK_PRIVATE;

					if (!want)
						continue;
					if (ncomps > fxe_mech_max(m) ||
					    (s->max_comps && ncomps > s->max_comps)) {
						sp->skipped_limit++;
						continue;
					}
					if ((err = add_hardened(sp, &cap, rgs, ncomps, m,
								(enum fxe_stack)st)))
						return err;
				}
			}
		}
		/* The next restricted growth string, or the end. */
		size_t u = s->nunits;
		while (u > 0) {
			unsigned max = 0;

			u--;
			for (size_t v = 0; v < u; v++)
				if (rgs[v] > max)
					max = rgs[v];
			if (rgs[u] <= max) {
				rgs[u]++;
				for (size_t v = u + 1; v < s->nunits; v++)
					rgs[v] = 0;
				break;
			}
			if (u == 0)
				return 0;
		}
		if (s->nunits == 0)
			return 0;
	}
}

int fxe_space_build(struct fxe_space *sp, const struct fxe_spec *spec)
{
	int err;
	size_t n;

	memset(sp, 0, sizeof(*sp));
	sp->spec = spec;
	if ((err = enumerate(sp)) < 0)
		return err;
	qsort(sp->configs, sp->n, sizeof(*sp->configs), compare_configs);
	for (size_t i = 0; i < sp->n; i++)
		describe(spec, &sp->configs[i]);
	n = sp->n;
	sp->less = xcalloc(n * n + 1, sizeof(bool));
	sp->cover = xcalloc(n * n + 1, sizeof(bool));
	sp->results = xcalloc(n + 1, sizeof(*sp->results));
	for (size_t a = 0; a < n; a++)
		for (size_t b = a + 1; b < n; b++)
			sp->less[a * n + b] =
			    fxe_leq(&sp->configs[a], &sp->configs[b], spec->nunits);
	/* b covers a when nothing lies between; sorted, a middle c has a < c < b. */
	for (size_t a = 0; a < n; a++)
		for (size_t b = a + 1; b < n; b++) {
			bool between = false;

			if (!sp->less[a * n + b])
				continue;
			for (size_t c = a + 1; c < b && !between; c++)
				between = sp->less[a * n + c] && sp->less[c * n + b];
			sp->cover[a * n + b] = !between;
		}
	return 0;
}

void fxe_space_free(struct fxe_space *sp)
{
	for (size_t i = 0; i < sp->n; i++) {
		free(sp->configs[i].yaml);
		free(sp->configs[i].label);
		if (sp->results)
			free(sp->results[i].why);
	}
	free(sp->configs);
	free(sp->less);
	free(sp->cover);
	free(sp->results);
	memset(sp, 0, sizeof(*sp));
}

bool fxe_meets(const struct fxe_space *sp, double median)
{
	if (sp->budget <= 0)
		return true;
	return sp->spec->better == FXE_HIGHER ? median >= sp->budget : median <= sp->budget;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double fxe_median(double *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void settle(struct fxe_space *sp, size_t i)
{
	struct fxe_result *r = &sp->results[i];

	if (r->status == FXE_MEETS || r->status == FXE_FAILS)
		r->status = fxe_meets(sp, r->median) ? FXE_MEETS : FXE_FAILS;
}

/* Resolves a ratio budget once the baseline (configuration 0) is known. */
static void set_budget(struct fxe_space *sp)
{
	const struct fxe_spec *s = sp->spec;
	const struct fxe_result *base = &sp->results[0];
	bool have_base = base->status == FXE_MEETS || base->status == FXE_FAILS;

	sp->baseline = have_base ? base->median : 0;
	if (!s->budget_ratio)
		sp->budget = s->budget;
	else
		sp->budget = have_base ? s->budget * base->median : 0;
}

void fxe_mark_candidates(struct fxe_space *sp)
{
	size_t n = sp->n;

	set_budget(sp);
	sp->measured = sp->candidates = 0;
	for (size_t i = 0; i < n; i++) {
		settle(sp, i);
		if (sp->results[i].status == FXE_MEETS || sp->results[i].status == FXE_FAILS)
			sp->measured++;
	}
	for (size_t i = 0; i < n; i++) {
		struct fxe_result *r = &sp->results[i];

		r->candidate = r->status == FXE_MEETS;
		for (size_t j = i + 1; j < n && r->candidate; j++)
			if (sp->less[i * n + j] && sp->results[j].status == FXE_MEETS)
				r->candidate = false;
		sp->candidates += r->candidate;
	}
}

int fxe_explore(struct fxe_space *sp, fxe_measure_fn measure, void *ctx, bool prune)
{
	size_t n = sp->n;

	for (size_t i = 0; i < n; i++) {
		struct fxe_result *r = &sp->results[i];
		bool pruned = false;
		int err;

		/* A failing configuration below is enough: a pruned one has one below it too. */
		for (size_t j = 0; prune && j < i && !pruned; j++)
			pruned = sp->less[j * n + i] && sp->results[j].status == FXE_FAILS;
		if (pruned) {
			r->status = FXE_PRUNED;
			continue;
		}
		if ((err = measure(sp, i, r, ctx)) < 0)
			return err;
		if (i == 0)
			set_budget(sp);
		settle(sp, i);
	}
	fxe_mark_candidates(sp);
	return 0;
}
