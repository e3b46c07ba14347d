/*
 * Compartments with 'libc: newlib': one partial link each, of the
 * compartment's inputs with a private copy of newlib and of the
 * system-call glue, that exports nothing but the compartment's entry
 * points and its glue instance (docs/newlib.md, "Linking").
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elf.h"
#include "harden.h"
#include "newlib.h"
#include "util.h"

/* What one compartment's partial link needs and finds. */
struct nl_link {
	struct flp_plan *plan;
	size_t comp;
	const char *comp_name;
	struct strmap keep;    /* entry points: what gates of other compartments reach */
	char **keep_names;     /* the same, in order */
	size_t nkeep;
	struct strmap allowed; /* shared data of other compartments it may refer to */
	struct strmap missing; /* undefined after the partial link, 1-based order */
	char **missing_names;
	size_t nmissing;
	struct strmap libc_defs; /* global definitions of newlib's libc.a and libm.a */
};

static bool is_file(const char *path)
{
	return access(path, R_OK) == 0;
}

/* newlib's libraries: installed in <libdir>/flexos-linux/newlib, built in <builddir>/newlib. */
static char *find_newlib_dir(const char *libdir)
{
	static const char *const subdirs[] = {"flexos-linux/newlib/lib", "newlib/lib"};

	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		char *dir = xasprintf("%s/%s", libdir, subdirs[i]);
		char *libc = xasprintf("%s/libc.a", dir);
		bool found = is_file(libc);
		free(libc);
		if (found)
			return dir;
		free(dir);
	}
	return NULL;
}

static int on_libc_symbol(void *ctx, const struct fle_symbol *sym)
{
	struct nl_link *l = ctx;

	if (sym->defined && sym->global)
		strmap_put(&l->libc_defs, sym->name, 1);
	return 0;
}

static int on_partial_symbol(void *ctx, const struct fle_symbol *sym)
{
	struct nl_link *l = ctx;
	const char *n = sym->name;

	if (sym->defined || !*n)
		return 0;
	if (!strncmp(n, FLEXOS_GATE_PREFIX, strlen(FLEXOS_GATE_PREFIX)) ||
	    !strncmp(n, FLEXOS_CB_PREFIX, strlen(FLEXOS_CB_PREFIX)) ||
	    !strcmp(n, "_GLOBAL_OFFSET_TABLE_") || strmap_get(&l->allowed, n) ||
	    strmap_get(&l->missing, n))
		return 0;
	l->missing_names = xrealloc(l->missing_names, (l->nmissing + 1) * sizeof(char *));
	l->missing_names[l->nmissing++] = xstrdup(n);
	strmap_put(&l->missing, n, l->nmissing);
	return 0;
}

/* The first input of the compartment that refers to sym, for the message. */
struct who_refers {
	const char *symbol;
	bool found;
};

static int on_input_reloc(void *ctx, const struct fle_reloc *rel)
{
	struct who_refers *w = ctx;

	if (rel->undefined && !strcmp(rel->symbol, w->symbol)) {
		w->found = true;
		return 1;
	}
	return 0;
}

static const char *referrer(const struct nl_link *l, const char *symbol)
{
	for (size_t i = 0; i < l->plan->ninputs; i++) {
		const struct flp_input *in = &l->plan->inputs[i];
		struct who_refers w = {symbol, false};
		if (in->compartment != l->comp)
			continue;
		fle_relocations(flp_link_path(in), on_input_reloc, &w);
		if (w.found)
			return in->arg;
	}
	return NULL;
}

/* Names glibc's headers emit on their own: code compiled against glibc. */
static bool glibc_abi_name(const char *n)
{
	static const char *const names[] = {
	    "__errno_location", "stdout", "stderr", "stdin", "__ctype_b_loc", "__ctype_tolower_loc",
	    "__ctype_toupper_loc", "__stack_chk_fail", "__assert_fail", "__fxstat", "__xstat",
	};
	size_t len = strlen(n);

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(n, names[i]))
			return true;
	return !strncmp(n, "__isoc99_", 9) || !strncmp(n, "__isoc23_", 9) ||
	       (len > 4 && !strcmp(n + len - 4, "_chk"));
}

static void report_missing(const struct nl_link *l)
{
	const struct flc_config *cfg = l->plan->cfg;
	bool glibc_abi = false;

	for (size_t i = 0; i < l->nmissing; i++) {
		const char *n = l->missing_names[i], *who = referrer(l, n);
		fprintf(stderr,
			"%s: error: compartment '%s' has 'libc: newlib', but %s needs '%s', which "
			"neither newlib nor its system-call glue defines; glibc would supply it "
			"unisolated, so the link stops\n",
			cfg->path, l->comp_name, who ? who : "its code", n);
		glibc_abi |= glibc_abi_name(n);
	}
	if (glibc_abi)
		fprintf(stderr,
			"%s: note: names such as __errno_location, stdout or __*_chk come from "
			"glibc's headers: compile the code of compartment '%s' against newlib, "
			"with $(pkg-config --cflags flexos-newlib)\n",
			cfg->path, l->comp_name);
	else
		fprintf(stderr,
			"%s: note: remove those calls from compartment '%s', or define them in "
			"it; docs/newlib.md lists the system calls the glue serves\n",
			cfg->path, l->comp_name);
}

/* Which inputs are this compartment's; refuses what a partial link cannot take. */
static int check_inputs(const struct nl_link *l, size_t *first)
{
	const struct flp_plan *plan = l->plan;
	const char *path = plan->cfg->path;
	int err = 0;

	*first = FLP_NONE;
	for (size_t i = 0; i < plan->ninputs; i++) {
		const struct flp_input *in = &plan->inputs[i];
		if (in->compartment != l->comp)
			continue;
		if (in->kind == FLP_SHARED || in->kind == FLP_UNFOUND) {
			fprintf(stderr,
				"%s: error: compartment '%s' has 'libc: newlib', but its input %s "
				"is %s: a newlib compartment is linked statically, with its own C "
				"library; give it the static archive (lib*.a) built against newlib\n",
				path, l->comp_name, in->arg,
				in->kind == FLP_SHARED ? "a shared library" : "not found");
			err = -1;
			continue;
		}
		if (*first == FLP_NONE)
			*first = i;
	}
	for (size_t k = 0; k < plan->nshared_sections; k++)
		if (plan->inputs[plan->shared_sections[k].input].compartment == l->comp) {
			fprintf(stderr,
				"%s: error: compartment '%s' has 'libc: newlib' and its variable "
				"'%s' is listed in shared_data: not supported yet; share it with "
				"flexos_shared_malloc() or FLEXOS_SHARED instead\n",
				path, l->comp_name, plan->shared_sections[k].symbol);
			err = -1;
		}
	if (!err && *first == FLP_NONE) {
		fprintf(stderr,
			"%s: error: compartment '%s' has 'libc: newlib' but no input: place a "
			"library compiled against newlib in it ($(pkg-config --cflags "
			"flexos-newlib)), or remove 'libc: newlib'\n",
			path, l->comp_name);
		err = -1;
	}
	return err;
}

/*
 * A gate's stub reads a shared library's function from the GOT, which is
 * the process's (key 0): out of reach of a newlib compartment under MPK.
 */
static int check_shlib_calls(const struct nl_link *l)
{
	const struct flp_plan *plan = l->plan;
	int err = 0;

	if (!(flexos_mechanism_props(plan->cfg->mechanism) & FLEXOS_MECH_PKEYS))
		return 0;
	for (size_t g = 0; g < plan->ngates; g++) {
		const struct flp_gate *gate = &plan->gates[g];
		if (!gate->in_shlib || !(gate->callers & (1ULL << l->comp)))
			continue;
		fprintf(stderr,
			"%s: error: compartment '%s' has 'libc: newlib' and calls '%s' of a shared "
			"library: under intel-mpk it cannot reach the process's GOT; link that "
			"library's static archive instead\n",
			plan->cfg->path, l->comp_name, gate->fn);
		err = -1;
	}
	return err;
}

static void collect_entry_points(struct nl_link *l)
{
	const struct flp_plan *plan = l->plan;

	for (size_t g = 0; g < plan->ngates; g++)
		if (plan->gates[g].compartment == l->comp &&
		    !strmap_get(&l->keep, plan->gates[g].target)) {
			strmap_put(&l->keep, plan->gates[g].target, 1);
			l->keep_names = xrealloc(l->keep_names, (l->nkeep + 1) * sizeof(char *));
			l->keep_names[l->nkeep++] = plan->gates[g].target;
		}
	/*
	 * Without isolation (none) other compartments call the compartment's
	 * functions, and it calls theirs, directly: what crosses stays global
	 * or undefined. With isolation, calls go through gates (above) and
	 * the only other crossings are shared variables.
	 */
	for (size_t x = 0; x < plan->nxrefs; x++) {
		const struct flp_xref *r = &plan->xrefs[x];
		if (plan->inputs[r->from].compartment == l->comp)
			strmap_put(&l->allowed, r->symbol, 1);
		else if (plan->inputs[r->to].compartment == l->comp && !strmap_get(&l->keep, r->symbol)) {
			strmap_put(&l->keep, r->symbol, 1);
			l->keep_names = xrealloc(l->keep_names, (l->nkeep + 1) * sizeof(char *));
			l->keep_names[l->nkeep++] = r->symbol;
		}
	}
}

/* newlib's allocation functions, public and reentrant, as the asan runtime wraps them. */
static const char *const asan_wraps[] = {
    "--wrap=malloc",     "--wrap=free",        "--wrap=calloc",
    "--wrap=realloc",    "--wrap=memalign",    "--wrap=malloc_usable_size",
    "--wrap=_malloc_r",  "--wrap=_free_r",     "--wrap=_calloc_r",
    "--wrap=_realloc_r", "--wrap=_memalign_r", "--wrap=_malloc_usable_size_r",
};

static int run_ld(const struct nl_link *l, const char *out, const char *newlib_dir,
		  const char *libdir)
{
	const struct flp_plan *plan = l->plan;
	size_t cap = 40 + 2 * l->nkeep + plan->ninputs;
	char **args = xcalloc(cap, sizeof(*args)), **own = xcalloc(cap, sizeof(*own));
	size_t n = 0, nown = 0;

	args[n++] = (char *)tool_from_env("LD", "ld");
	args[n++] = "-r";
	args[n++] = "-d"; /* common symbols get their space: they can then be made local */
	args[n++] = "-z";
	args[n++] = "noexecstack"; /* newlib's assembly has no .note.GNU-stack */
	args[n++] = "-o";
	args[n++] = (char *)out;
	/* Archive members are pulled for the entry points, as a final link would. */
	for (size_t k = 0; k < l->nkeep; k++) {
		args[n++] = "-u";
		args[n++] = l->keep_names[k];
	}
	args[n++] = "-u";
	args[n++] = FLEXOS_NEWLIB_GLUE;
	for (size_t i = 0; i < plan->ninputs; i++)
		if (plan->inputs[i].compartment == l->comp)
			args[n++] = (char *)flp_link_path(&plan->inputs[i]);
	args[n++] = own[nown++] = xasprintf("-L%s", newlib_dir);
	args[n++] = own[nown++] = xasprintf("-L%s", libdir);
	/*
	 * Before newlib's libc.a, whose __stack_chk_fail and __*_chk would
	 * abort without naming the compartment, and whose __stack_chk_guard
	 * comes with its __stack_chk_fail.
	 */
	if (plan->cfg->compartments[l->comp].harden & FLEXOS_HARDEN_ASAN) {
		/*
		 * The runtime's asan.o puts red zones and a quarantine around
		 * newlib's allocator: its callers, the compartment's and
		 * newlib's own, reach it through --wrap; -u pulls it in even if
		 * only newlib allocates.
		 */
		for (size_t w = 0; w < sizeof(asan_wraps) / sizeof(asan_wraps[0]); w++)
			args[n++] = (char *)asan_wraps[w];
		args[n++] = "-u";
		args[n++] = "__wrap__malloc_r";
	}
	if (plan->cfg->compartments[l->comp].harden)
		args[n++] = own[nown++] = xasprintf("%s/%s", libdir, FLH_NEWLIB_RUNTIME);
	args[n++] = "--start-group";
	args[n++] = "-lc";
	args[n++] = "-lm";
	args[n++] = "-lflexos-newlib";
	args[n++] = "--end-group";
	int status = run_program(args);
	if (status < 0)
		fprintf(stderr, "flexos-link: cannot run '%s' for compartment '%s': %s; install "
				"binutils or set LD\n",
			args[0], l->comp_name, strerror(errno));
	else if (status)
		fprintf(stderr, "%s: error: the partial link of compartment '%s' with newlib "
				"failed (the linker's message is above)\n",
			plan->cfg->path, l->comp_name);
	for (size_t k = 0; k < nown; k++)
		free(own[k]);
	free(own);
	free(args);
	return status ? -1 : 0;
}

/* Everything local but the entry points and the glue, renamed per compartment. */
static int run_hide(const struct nl_link *l, const char *in, const char *out)
{
	size_t cap = 8 + l->nkeep;
	char **args = xcalloc(cap, sizeof(*args));
	char *glue = xasprintf(FLEXOS_NEWLIB_GLUE_FMT, l->comp_name);
	char *rename = xasprintf("--redefine-sym=%s=%s", FLEXOS_NEWLIB_GLUE, glue);
	char *keep_glue = xasprintf("--keep-global-symbol=%s", glue);
	char **keeps = xcalloc(l->nkeep + 1, sizeof(*keeps));
	size_t n = 0;

	args[n++] = (char *)tool_from_env("OBJCOPY", "objcopy");
	args[n++] = rename;
	args[n++] = keep_glue;
	for (size_t k = 0; k < l->nkeep; k++)
		args[n++] = keeps[k] = xasprintf("--keep-global-symbol=%s", l->keep_names[k]);
	args[n++] = (char *)in;
	args[n++] = (char *)out;
	int status = run_program(args);
	if (status)
		fprintf(stderr, "flexos-link: %s could not hide the symbols of compartment '%s'%s%s\n",
			args[0], l->comp_name, status < 0 ? ": " : " (see its message above)",
			status < 0 ? strerror(errno) : "");
	for (size_t k = 0; k < l->nkeep; k++)
		free(keeps[k]);
	free(keeps);
	free(keep_glue);
	free(rename);
	free(glue);
	free(args);
	return status ? -1 : 0;
}

/* An entry point with a C library name would replace glibc's for the whole process. */
static int check_clashes(struct nl_link *l, const char *newlib_dir)
{
	int err = 0;

	for (size_t i = 0; i < 2; i++) {
		char *lib = xasprintf("%s/%s", newlib_dir, i ? "libm.a" : "libc.a");
		fle_symbols(lib, on_libc_symbol, l);
		free(lib);
	}
	for (size_t k = 0; k < l->nkeep; k++) {
		const char *n = l->keep_names[k];
		if (!strmap_get(&l->libc_defs, n))
			continue;
		fprintf(stderr,
			"%s: error: '%s' is an entry point of compartment '%s' (another "
			"compartment calls it), and a C library function: exported from a "
			"newlib compartment it would replace glibc's '%s' in the whole process; "
			"rename it in the library\n",
			l->plan->cfg->path, n, l->comp_name, n);
		err = -1;
	}
	return err;
}

static int link_one(struct flp_plan *plan, size_t c, const char *dir, const char *libdir,
		    const char *newlib_dir)
{
	struct nl_link l = {
		.plan = plan,
		.comp = c,
		.comp_name = plan->cfg->compartments[c].name,
	};
	char *full = xasprintf("%s/newlib-%s.full.o", dir, l.comp_name);
	char *out = xasprintf("%s/newlib-%s.o", dir, l.comp_name);
	size_t first;
	int err = check_inputs(&l, &first);

	if (!err && plan->cfg->compartments[c].harden) {
		char *rt = xasprintf("%s/%s", libdir, FLH_NEWLIB_RUNTIME);
		if (!is_file(rt)) {
			fprintf(stderr,
				"%s: error: compartment '%s' has 'libc: newlib' and 'hardening', "
				"whose runtime %s is not there; install it (FlexOS built without "
				"--disable-newlib), or point --flexos-libdir at the directory that "
				"holds it\n",
				plan->cfg->path, l.comp_name, rt);
			err = -1;
		}
		free(rt);
	}
	if (!err) {
		collect_entry_points(&l);
		err = check_clashes(&l, newlib_dir) | check_shlib_calls(&l);
	}
	if (!err)
		err = run_ld(&l, full, newlib_dir, libdir);
	if (!err) {
		err = fle_symbols(full, on_partial_symbol, &l) ? -1 : 0;
		if (!err && l.nmissing) {
			report_missing(&l);
			err = -1;
		}
	}
	if (!err)
		err = run_hide(&l, full, out);
	unlink(full);
	if (!err) {
		/* The first input stands for the partial link; the others are in it. */
		for (size_t i = 0; i < plan->ninputs; i++) {
			struct flp_input *in = &plan->inputs[i];
			if (in->compartment != c || i == first)
				continue;
			in->merged = true;
		}
		struct flp_input *in = &plan->inputs[first];
		if (in->link_path) {
			unlink(in->link_path);
			free(in->link_path);
		}
		in->link_path = out;
		in->kind = FLP_OBJECT;
		out = NULL;
	} else {
		unlink(out);
	}
	free(out);
	free(full);
	for (size_t i = 0; i < l.nmissing; i++)
		free(l.missing_names[i]);
	free(l.missing_names);
	strmap_free(&l.keep);
	free(l.keep_names);
	strmap_free(&l.allowed);
	strmap_free(&l.missing);
	strmap_free(&l.libc_defs);
	return err;
}

int flx_link_newlib(struct flp_plan *plan, const char *dir, const char *libdir)
{
	const struct flc_config *cfg = plan->cfg;
	char *newlib_dir = NULL;
	int err = 0;

	if (!flc_count_newlib(cfg))
		return 0;
	newlib_dir = find_newlib_dir(libdir);
	if (!newlib_dir) {
		fprintf(stderr,
			"%s: error: a compartment has 'libc: newlib', but newlib is not under %s "
			"(flexos-linux/newlib/lib/libc.a): install FlexOS built without "
			"--disable-newlib, or point --flexos-libdir at a build that has it\n",
			cfg->path, libdir);
		return -1;
	}
	for (size_t c = 0; c < cfg->ncompartments; c++)
		if (cfg->compartments[c].libc == FLC_LIBC_NEWLIB && link_one(plan, c, dir, libdir, newlib_dir))
			err = -1;
	free(newlib_dir);
	return err;
}
