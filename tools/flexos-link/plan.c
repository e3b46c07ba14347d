/*
 * The planner: inputs to libraries to compartments, and gates to either
 * direct calls or backend gates.
 */
#include "autoconfig.h"

#include <elf.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elf.h"
#include "plan.h"
#include "util.h"
#include "xref.h"

/* Where ld looks after the -L directories on Debian x86-64. */
static const char *const system_dirs[] = {
	"/usr/local/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
	"/usr/local/lib", "/lib", "/usr/lib",
};

/* cc options whose value is the next argument. */
static bool takes_value(const char *arg)
{
	static const char *const opts[] = {"-L", "-l", "-Xlinker", "-u", "-z", "-T", "-x",
					   "-include", "-isystem", "-I", "-D", "-U"};
	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
		if (!strcmp(arg, opts[i]))
			return true;
	return false;
}

bool flp_is_input_arg(const char *arg)
{
	return arg[0] != '-' || !strncmp(arg, "-l", 2);
}

/*
 * Component archives that hold a library's code rather than the
 * platform's: like any archive, they go to a compartment. The driver of
 * lwIP must share lwIP's compartment, which calls it back (docs/lwip.md),
 * and so does lwIP's sys_arch on the scheduler, which only lwIP calls:
 * its semaphores, mutexes, mailboxes and thread start data are then in
 * lwIP's heap and data, not in memory every compartment writes
 * (docs/threat-model.md, limit 13). Unless a library claims it, the
 * sys_arch goes where the driver goes (follow_lwip_driver).
 */
static bool is_component_lib(const char *name)
{
	return !strcmp(name, "flexos-lwip") || !strcmp(name, "flexos-lwip-sched");
}

/* Whether in is the archive lib<name>.a. */
static bool is_archive_named(const struct flp_input *in, const char *name)
{
	const char *base = in->path ? strrchr(in->path, '/') : NULL;

	base = base ? base + 1 : in->path;
	return in->kind == FLP_ARCHIVE && base && !strncmp(base, "lib", 3) &&
	       !strncmp(base + 3, name, strlen(name)) && !strcmp(base + 3 + strlen(name), ".a");
}

/* An unclaimed libflexos-lwip-sched.a goes to the compartment of libflexos-lwip.a. */
static void follow_lwip_driver(struct flp_plan *plan)
{
	const struct flp_input *driver = NULL;

	for (size_t i = 0; i < plan->ninputs; i++)
		if (is_archive_named(&plan->inputs[i], "flexos-lwip"))
			driver = &plan->inputs[i];
	for (size_t i = 0; driver && i < plan->ninputs; i++) {
		struct flp_input *in = &plan->inputs[i];
		if (in->library == FLP_NONE && is_archive_named(in, "flexos-lwip-sched")) {
			in->library = driver->library;
			in->compartment = driver->compartment;
		}
	}
}

static bool is_runtime_lib(const char *name)
{
	return !strcmp(name, "flexos") || (!strncmp(name, "flexos-", 7) && !is_component_lib(name));
}

/* -lflexos-sched names a component, not the backend. */
static bool is_backend_lib(const char *name)
{
	for (uint32_t m = 0; m < FLEXOS_MECH_COUNT; m++)
		if (!strcmp(name, flexos_mechanism_archive(m)))
			return true;
	return false;
}

static char *search_lib(const char *name, char **dirs, size_t ndirs, bool prefer_static)
{
	const char *exts[2] = {prefer_static ? ".a" : ".so", prefer_static ? ".so" : ".a"};

	for (size_t pass = 0; pass < 2; pass++) {
		char **list = pass ? (char **)system_dirs : dirs;
		size_t n = pass ? sizeof(system_dirs) / sizeof(system_dirs[0]) : ndirs;
		for (size_t i = 0; i < n; i++)
			for (int e = 0; e < 2; e++) {
				char *p = xasprintf("%s/lib%s%s", list[i], name, exts[e]);
				if (access(p, R_OK) == 0)
					return p;
				free(p);
			}
	}
	return NULL;
}

static int classify_file(struct flp_input *in)
{
	if (access(in->path, R_OK)) {
		fprintf(stderr, "flexos-link: %s: cannot read this input: %m\n", in->arg);
		return -1;
	}
	if (fle_is_archive(in->path)) {
		/* lib<name>.a: the platform if <name> is libflexos's or a backend's. */
		const char *base = strrchr(in->path, '/');
		base = base ? base + 1 : in->path;
		size_t len = strlen(base);
		char *name = len > 5 && !strncmp(base, "lib", 3) && !strcmp(base + len - 2, ".a")
				 ? xasprintf("%.*s", (int)(len - 5), base + 3)
				 : NULL;
		in->kind = name && is_runtime_lib(name) ? FLP_RUNTIME : FLP_ARCHIVE;
		free(name);
		return 0;
	}
	FILE *f = fopen(in->path, "rb");
	Elf64_Ehdr eh;
	bool elf = f && fread(&eh, sizeof(eh), 1, f) == 1 && !memcmp(eh.e_ident, ELFMAG, SELFMAG);
	if (f)
		fclose(f);
	if (elf && eh.e_type == ET_REL) {
		in->kind = FLP_OBJECT;
		return 0;
	}
	if (elf && eh.e_type == ET_DYN) {
		in->kind = FLP_SHARED;
		return 0;
	}
	fprintf(stderr,
		"flexos-link: %s: not an object file, static archive or shared library; "
		"flexos-link links what the compiler made: compile sources with 'cc -c' first\n",
		in->arg);
	return -1;
}

/* Whether path is a text linker script standing in for a library (libm.so, libc.so). */
static bool is_ld_script(const char *path)
{
	char buf[4] = {0};
	FILE *f = fopen(path, "rb");
	bool elf_or_ar = f && fread(buf, 1, 4, f) == 4 &&
			 (!memcmp(buf, ELFMAG, SELFMAG) || !memcmp(buf, "!<ar", 4));
	if (f)
		fclose(f);
	return f && !elf_or_ar;
}

/* Characters that would change the meaning of a name in a linker script. */
static int check_script_safe(const struct flp_input *in)
{
	if (!in->path || in->kind == FLP_SHARED || in->kind == FLP_RUNTIME)
		return 0;
	for (const char *p = in->path; *p; p++)
		if (strchr(" \t\n\"'()*?[]\\:;,{}=", *p)) {
			fprintf(stderr,
				"flexos-link: %s: the path contains '%c', which a linker script "
				"cannot name; rename or move the file\n",
				in->arg, *p);
			return -1;
		}
	return 0;
}

static int collect_inputs(struct flp_plan *plan, int argc, char **argv)
{
	char **dirs = xcalloc((size_t)argc + 1, sizeof(*dirs));
	size_t ndirs = 0;
	bool prefer_static = false;
	int err = 0;

	plan->inputs = xcalloc((size_t)argc + 1, sizeof(*plan->inputs));
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-static") || !strcmp(a, "-Wl,-Bstatic"))
			prefer_static = true;
		else if (!strcmp(a, "-Wl,-Bdynamic"))
			prefer_static = false;
		if (!strncmp(a, "-L", 2)) {
			dirs[ndirs++] = (char *)(a[2] ? a + 2 : (i + 1 < argc ? argv[i + 1] : ""));
		}
		if (!strncmp(a, "-l", 2)) {
			const char *name = a[2] ? a + 2 : (i + 1 < argc ? argv[++i] : "");
			struct flp_input *in = &plan->inputs[plan->ninputs++];
			in->argi = a[2] ? i : i - 1;
			in->nargv = a[2] ? 1 : 2;
			in->arg = a[2] ? a : argv[i];
			in->path = search_lib(name, dirs, ndirs, prefer_static);
			if (is_runtime_lib(name)) {
				in->kind = FLP_RUNTIME;
				if (is_backend_lib(name))
					plan->backend_archive = xstrdup(name);
			} else if (!in->path || is_ld_script(in->path)) {
				/* Not found, or a linker script (Debian's libm.so): ld's business. */
				in->kind = FLP_UNFOUND;
			} else {
				err |= classify_file(in);
			}
			continue;
		}
		if (a[0] == '-') {
			if (takes_value(a))
				i++;
			continue;
		}
		struct flp_input *in = &plan->inputs[plan->ninputs++];
		in->argi = i;
		in->nargv = 1;
		in->arg = a;
		in->path = xstrdup(a);
		err |= classify_file(in);
		err |= check_script_safe(in);
	}
	free(dirs);
	return err ? -1 : 0;
}

static bool pattern_matches(const char *pattern, const char *name)
{
	if (!name)
		return false;
	if (!fnmatch(pattern, name, 0))
		return true;
	if (strchr(pattern, '/'))
		return false;
	const char *base = strrchr(name, '/');
	return base && !fnmatch(pattern, base + 1, 0);
}

/*
 * The patterns of a library: its inputs, or, when it lists none, the file
 * names its name suggests (docs/config.md), which may match nothing.
 */
static size_t library_patterns(const struct flc_library *lib, char *defaults[4],
			       char *const **patterns)
{
	if (lib->ninputs) {
		*patterns = lib->inputs;
		return lib->ninputs;
	}
	defaults[0] = xasprintf("%s.a", lib->name);
	defaults[1] = xasprintf("%s.so", lib->name);
	defaults[2] = xasprintf("lib%s.a", lib->name);
	defaults[3] = xasprintf("lib%s.so", lib->name);
	*patterns = defaults;
	return 4;
}

size_t flp_library_of(const struct flc_config *cfg, const char *name)
{
	size_t l = flc_find_library(cfg, name);
	char *candidates[3] = {xstrdup(name), xasprintf("lib%s.a", name), xasprintf("%s.a", name)};

	for (size_t i = 0; i < cfg->nlibraries && l == FLP_NONE; i++) {
		char *defaults[4] = {0}, *const *patterns;
		size_t npatterns = library_patterns(&cfg->libraries[i], defaults, &patterns);

		for (size_t p = 0; p < npatterns && l == FLP_NONE; p++)
			for (size_t k = 0; k < 3 && l == FLP_NONE; k++)
				if (pattern_matches(patterns[p], candidates[k]))
					l = i;
		for (size_t d = 0; d < 4; d++)
			free(defaults[d]);
	}
	for (size_t k = 0; k < 3; k++)
		free(candidates[k]);
	return l;
}

/* Where to point at in a message about pattern p of lib. */
static struct flc_pos pattern_pos(const struct flc_library *lib, size_t p)
{
	return lib->ninputs ? lib->input_pos[p] : lib->pos;
}

static int assign_inputs(struct flp_plan *plan)
{
	const struct flc_config *cfg = plan->cfg;
	size_t *matched = xcalloc(cfg->nlibraries + 1, sizeof(*matched));
	int err = 0;

	for (size_t i = 0; i < plan->ninputs; i++) {
		struct flp_input *in = &plan->inputs[i];
		in->library = FLP_NONE;
		in->compartment = in->kind == FLP_RUNTIME ? FLP_NONE : cfg->default_index;
	}
	for (size_t l = 0; l < cfg->nlibraries; l++) {
		const struct flc_library *lib = &cfg->libraries[l];
		char *defaults[4] = {0}, *const *patterns;
		size_t npatterns = library_patterns(lib, defaults, &patterns);

		for (size_t i = 0; i < plan->ninputs; i++) {
			struct flp_input *in = &plan->inputs[i];
			if (in->kind == FLP_RUNTIME)
				continue;
			/* docs/config.md: "-l NAME" is matched as written, "-lNAME". */
			char *joined = in->nargv == 2 ? xasprintf("-l%s", in->arg) : NULL;
			for (size_t p = 0; p < npatterns; p++) {
				if (!pattern_matches(patterns[p], in->arg) &&
				    !pattern_matches(patterns[p], in->path) &&
				    !pattern_matches(patterns[p], joined))
					continue;
				matched[l]++;
				if (in->library != FLP_NONE) {
					const struct flc_library *other = &cfg->libraries[in->library];
					struct flc_pos at = pattern_pos(lib, p);
					fprintf(stderr,
						"%s:%u:%u: error: input '%s' is claimed by library "
						"'%s' and by library '%s' (line %u); make the "
						"patterns disjoint\n",
						cfg->path, at.line, at.col, in->arg, lib->name,
						other->name, other->pos.line);
					err = -1;
				} else {
					in->library = l;
					in->compartment = lib->compartment_index;
				}
				break;
			}
			free(joined);
		}
		for (size_t d = 0; d < 4; d++)
			free(defaults[d]);

		if (lib->ninputs && !matched[l]) {
			fprintf(stderr,
				"%s:%u:%u: error: no input given to flexos-link matches the inputs "
				"of library '%s'; check the patterns, or pass its objects or "
				"archives on the command line\n",
				cfg->path, lib->input_pos[0].line, lib->input_pos[0].col, lib->name);
			err = -1;
		} else if (!matched[l] && lib->compartment_index != cfg->default_index) {
			fprintf(stderr,
				"%s:%u:%u: warning: no input matches library '%s' (it lists no "
				"inputs, and no %s.a, lib%s.a or -l%s was given), so nothing is "
				"placed in compartment '%s' for it; add 'inputs:' to it\n",
				cfg->path, lib->pos.line, lib->pos.col, lib->name, lib->name,
				lib->name, lib->name, lib->compartment);
		}
	}
	free(matched);
	follow_lwip_driver(plan);
	return err;
}

/* ---- gates ------------------------------------------------------------- */

struct scan {
	struct flp_plan *plan;
	size_t input;
	struct strmap defs; /* defined global function -> input index + 1 */
	int err;
};

static size_t find_gate(const struct flp_plan *plan, const char *symbol)
{
	for (size_t g = 0; g < plan->ngates; g++)
		if (!strcmp(plan->gates[g].symbol, symbol))
			return g;
	return FLP_NONE;
}

/* Splits "lib__fn" knowing the library names; the longest name wins. */
static size_t split_gate(const struct flc_config *cfg, const char *rest, const char **fn)
{
	size_t best = FLP_NONE, best_len = 0;

	for (size_t l = 0; l < cfg->nlibraries; l++) {
		size_t n = strlen(cfg->libraries[l].name);
		if (n > best_len && !strncmp(rest, cfg->libraries[l].name, n) &&
		    !strncmp(rest + n, FLEXOS_NAME_SEP, 2) && rest[n + 2]) {
			best = l;
			best_len = n;
		}
	}
	if (best != FLP_NONE)
		*fn = rest + best_len + 2;
	return best;
}

static int add_gate_use(struct scan *s, const struct fle_symbol *sym, bool callback)
{
	struct flp_plan *plan = s->plan;
	const struct flp_input *in = &plan->inputs[s->input];
	size_t g = find_gate(plan, sym->name);

	/* The name goes into generated assembly: a newline would add lines to it. */
	if (g == FLP_NONE && !symbol_name_ok(sym->name)) {
		char *name = xescape(sym->name),
		     *member = sym->member ? xescape(sym->member) : NULL;
		fprintf(stderr,
			"%s%s%s: error: gate symbol \"%s\" holds characters a gate's name cannot "
			"hold (only letters, digits, '_', '.' and '$'); rebuild the input with "
			"flexos_gate() on C identifiers\n",
			in->arg, member ? ": " : "", member ? member : "", name);
		free(name);
		free(member);
		s->err = -1;
		return 0;
	}
	if (g == FLP_NONE) {
		const char *rest =
		    sym->name + strlen(callback ? FLEXOS_CB_PREFIX : FLEXOS_GATE_PREFIX);
		const char *fn = NULL;
		size_t lib = split_gate(plan->cfg, rest, &fn);
		if (lib == FLP_NONE) {
			const char *end = strstr(rest, FLEXOS_NAME_SEP);
			fprintf(stderr,
				"%s: error: %s(%.*s, ...) names library '%.*s', which %s does not "
				"list; add it under 'libraries:'\n",
				in->arg, callback ? "flexos_callback" : "flexos_gate",
				(int)(end ? end - rest : (long)strlen(rest)), rest,
				(int)(end ? end - rest : (long)strlen(rest)), rest, plan->cfg->path);
			s->err = -1;
			return 0;
		}
		plan->gates = xrealloc(plan->gates, (plan->ngates + 1) * sizeof(*plan->gates));
		g = plan->ngates++;
		plan->gates[g] = (struct flp_gate){
			.symbol = xstrdup(sym->name),
			.fn = xstrdup(fn),
		    .target = callback ? xasprintf(FLEXOS_CBFN_PREFIX "%s", rest) : xstrdup(fn),
			.library = lib,
			.compartment = plan->cfg->libraries[lib].compartment_index,
			.callback = callback,
			.first_user = in->arg,
		};
	}
	plan->gates[g].callers |= 1ULL << in->compartment;
	return 0;
}

static int scan_symbol(void *ctx, const struct fle_symbol *sym)
{
	struct scan *s = ctx;

	if (sym->defined) {
		if (sym->global && sym->function && !strmap_get(&s->defs, sym->name))
			strmap_put(&s->defs, sym->name, s->input + 1);
		return 0;
	}
	if (!strncmp(sym->name, FLEXOS_GATE_PREFIX, strlen(FLEXOS_GATE_PREFIX)))
		return add_gate_use(s, sym, false);
	if (!strncmp(sym->name, FLEXOS_CB_PREFIX, strlen(FLEXOS_CB_PREFIX)))
		return add_gate_use(s, sym, true);
	return 0;
}

/* The gate's function must be defined by the library the gate names. */
static int check_gate_target(const struct scan *s, struct flp_gate *g)
{
	const struct flp_plan *plan = s->plan;
	const struct flc_config *cfg = plan->cfg;
	const struct flc_library *lib = &cfg->libraries[g->library];
	size_t def = strmap_get(&s->defs, g->target);

	if (def) {
		const struct flp_input *in = &plan->inputs[def - 1];
		g->in_shlib = in->kind == FLP_SHARED;
		if (in->library == g->library ||
		    (!lib->ninputs && in->library == FLP_NONE &&
		     in->compartment == g->compartment))
			return 0;
		fprintf(stderr,
			"%s: error: a gate names '%s' of library '%s', but '%s' is defined in %s, "
			"which belongs to %s%s%s; name the right library in the gate\n",
			g->first_user, g->fn, lib->name, g->fn, in->arg,
			in->library == FLP_NONE ? "the default compartment" : "library '",
			in->library == FLP_NONE ? "" : cfg->libraries[in->library].name,
			in->library == FLP_NONE ? "" : "'");
		return -1;
	}
	if (!lib->ninputs && g->compartment == cfg->default_index)
		return 0; /* Defined outside every listed input: the linker decides. */
	fprintf(stderr,
		"%s: error: a gate names '%s' of library '%s', but no input of that library "
		"defines it%s\n",
		g->first_user, g->fn, lib->name,
		lib->ninputs ? "" : "; the library lists no inputs: add 'inputs:' to it in the config");
	return -1;
}

static int find_gates(struct flp_plan *plan)
{
	struct scan s = {.plan = plan};

	for (s.input = 0; s.input < plan->ninputs; s.input++) {
		const struct flp_input *in = &plan->inputs[s.input];
		if (in->kind == FLP_RUNTIME || in->kind == FLP_UNFOUND)
			continue;
		if (fle_symbols(in->path, scan_symbol, &s) < 0)
			s.err = -1;
	}
	for (size_t g = 0; g < plan->ngates && !s.err; g++)
		if (check_gate_target(&s, &plan->gates[g]))
			s.err = -1;
	strmap_free(&s.defs);
	if (s.err)
		return s.err;
	/* Unmodified libraries: the calls their symbol tables say cross compartments. */
	s.err = flx_find_xrefs(plan);
	for (size_t g = 0; g < plan->ngates; g++) {
		struct flp_gate *gate = &plan->gates[g];
		/* Zero cost where nothing is crossed: the gate is the call itself. */
		gate->direct = !(flexos_mechanism_props(plan->cfg->mechanism) & FLEXOS_MECH_ISOLATES) ||
			       plan->cfg->ncompartments == 1 ||
			       (!gate->callback && gate->callers == 1ULL << gate->compartment);
	}
	return s.err;
}

int flp_build(struct flp_plan *plan, const struct flc_config *cfg, int argc, char **argv)
{
	memset(plan, 0, sizeof(*plan));
	plan->cfg = cfg;
	if (collect_inputs(plan, argc, argv))
		return -1;
	if (plan->backend_archive &&
	    strcmp(plan->backend_archive, flexos_mechanism_archive(cfg->mechanism))) {
		fprintf(stderr,
			"flexos-link: error: -l%s links the '%s' backend, but %s asks for "
			"mechanism '%s'; drop the -l option (flexos-link adds the right backend) "
			"or change the config\n",
			plan->backend_archive, plan->backend_archive + strlen("flexos-"), cfg->path,
			flexos_mechanism_name(cfg->mechanism));
		return -1;
	}
	if (assign_inputs(plan))
		return -1;
	return find_gates(plan);
}

bool flp_isolates(const struct flp_plan *plan)
{
	return (flexos_mechanism_props(plan->cfg->mechanism) & FLEXOS_MECH_ISOLATES) &&
	       plan->cfg->ncompartments > 1;
}

const char *flp_link_path(const struct flp_input *in)
{
	return in->link_path ? in->link_path : in->path;
}

void flp_free(struct flp_plan *plan)
{
	for (size_t i = 0; i < plan->ninputs; i++) {
		free(plan->inputs[i].path);
		free(plan->inputs[i].link_path);
		for (size_t k = 0; k < plan->inputs[i].nobjcopy_args; k++)
			free(plan->inputs[i].objcopy_args[k]);
		free(plan->inputs[i].objcopy_args);
		for (size_t k = 0; k < plan->inputs[i].nstatic_cbs; k++) {
			free(plan->inputs[i].static_cbs[k].fn);
			free(plan->inputs[i].static_cbs[k].stub);
			free(plan->inputs[i].static_cbs[k].member);
			free(plan->inputs[i].static_cbs[k].add[0]);
			free(plan->inputs[i].static_cbs[k].add[1]);
		}
		free(plan->inputs[i].static_cbs);
	}
	for (size_t x = 0; x < plan->nxrefs; x++)
		free(plan->xrefs[x].symbol);
	free(plan->xrefs);
	for (size_t k = 0; k < plan->nshared_sections; k++) {
		free(plan->shared_sections[k].member);
		free(plan->shared_sections[k].section);
		free(plan->shared_sections[k].symbol);
	}
	free(plan->shared_sections);
	for (size_t g = 0; g < plan->ngates; g++) {
		free(plan->gates[g].symbol);
		free(plan->gates[g].fn);
		free(plan->gates[g].target);
		flx_proto_free(&plan->gates[g].proto);
	}
	free(plan->inputs);
	free(plan->gates);
	free(plan->backend_archive);
	memset(plan, 0, sizeof(*plan));
}

bool flp_claimed_shlib(const struct flp_input *in)
{
	return in->kind == FLP_SHARED && in->library != FLP_NONE && in->path;
}

size_t flp_count_claimed_shlibs(const struct flp_plan *plan)
{
	size_t n = 0;
	for (size_t i = 0; i < plan->ninputs; i++)
		n += flp_claimed_shlib(&plan->inputs[i]);
	return n;
}
