/*
 * Cross-compartment references: what makes unmodified libraries
 * isolatable. A call from compartment A to a global function that an input
 * of compartment B defines is routed through a gate stub by renaming the
 * callee in a private copy of A's input (objcopy --redefine-sym); a call
 * inside a compartment stays what the compiler made. A reference to a
 * variable cannot be gated: it is shared on request, or refused.
 */
#include "autoconfig.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf.h"
#include "table.h"
#include "util.h"
#include "xref.h"


/* A global definition, in link order. */
struct def {
	char *name;
	size_t input;
	char *member;
	char *section;
	uint64_t value;
	bool function;
	bool object;
};

/* The undefined symbols one input refers to, with relocation counts. */
struct refs {
	char **names;
	size_t *counts;
	size_t n;
	struct strmap index; /* name -> position + 1 */
};

struct xscan {
	struct flp_plan *plan;
	size_t input;
	struct def *defs;
	size_t ndefs;
	struct def *locals; /* static functions of objects and archives, for callbacks */
	size_t nlocals;
	struct strmap first;  /* name -> defs index + 1 of its first definition */
	struct strmap *comp;  /* per compartment: names its inputs define */
	struct strmap sec;    /* "input/member/section" -> symbols defined there */
	struct refs *refs;    /* per input */
	struct strmap *taken; /* per input: its own global functions whose address it takes */
	int err;
};

static bool ignored(const char *name)
{
	return !strncmp(name, FLEXOS_GENERATED_PREFIX, strlen(FLEXOS_GENERATED_PREFIX)) ||
	       !strcmp(name, "_GLOBAL_OFFSET_TABLE_");
}

static char *section_key(size_t input, const char *member, const char *section)
{
	return xasprintf("%zu/%s/%s", input, member ? member : "", section);
}

static void add_ref(struct refs *r, const char *name, size_t count)
{
	size_t at = strmap_get(&r->index, name);

	if (at) {
		r->counts[at - 1] += count;
		return;
	}
	r->names = xrealloc(r->names, (r->n + 1) * sizeof(*r->names));
	r->counts = xrealloc(r->counts, (r->n + 1) * sizeof(*r->counts));
	r->names[r->n] = xstrdup(name);
	r->counts[r->n] = count;
	strmap_put(&r->index, name, ++r->n);
}

static int on_symbol(void *ctx, const struct fle_symbol *sym)
{
	struct xscan *s = ctx;
	const struct flp_input *in = &s->plan->inputs[s->input];

	if (ignored(sym->name))
		return 0;
	if (!sym->defined) {
		/* A shared library's calls are only known from its dynamic symbols. */
		if (in->kind == FLP_SHARED && sym->global)
			add_ref(&s->refs[s->input], sym->name, 1);
		return 0;
	}
	if (sym->section && in->kind != FLP_SHARED) {
		char *key = section_key(s->input, sym->member, sym->section);
		strmap_put(&s->sec, key, strmap_get(&s->sec, key) + 1);
		free(key);
	}
	if (!sym->global && sym->function && sym->section && in->kind != FLP_SHARED) {
		s->locals = xrealloc(s->locals, (s->nlocals + 1) * sizeof(*s->locals));
		s->locals[s->nlocals++] = (struct def){
		    .name = xstrdup(sym->name),
		    .input = s->input,
		    .member = sym->member ? xstrdup(sym->member) : NULL,
		    .section = xstrdup(sym->section),
		    .value = sym->value,
		    .function = true,
		};
		return 0;
	}
	if (!sym->global || (!sym->function && !sym->object))
		return 0;
	strmap_put(&s->comp[in->compartment], sym->name, 1);
	s->defs = xrealloc(s->defs, (s->ndefs + 1) * sizeof(*s->defs));
	s->defs[s->ndefs] = (struct def){
		.name = xstrdup(sym->name),
		.input = s->input,
		.member = sym->member ? xstrdup(sym->member) : NULL,
		.section = sym->section ? xstrdup(sym->section) : NULL,
		.value = sym->value,
		.function = sym->function,
		.object = sym->object,
	};
	s->ndefs++;
	if (!strmap_get(&s->first, sym->name))
		strmap_put(&s->first, sym->name, s->ndefs);
	return 0;
}

static int on_reloc(void *ctx, const struct fle_reloc *rel)
{
	struct xscan *s = ctx;

	if (rel->undefined && !ignored(rel->symbol))
		add_ref(&s->refs[s->input], rel->symbol, 1);
	else if (!rel->undefined && rel->type != R_X86_64_PLT32 && !ignored(rel->symbol))
		strmap_put(&s->taken[s->input], rel->symbol, 1);
	return 0;
}

static void add_objcopy_arg(struct flp_input *in, char *arg)
{
	in->objcopy_args =
		xrealloc(in->objcopy_args, (in->nobjcopy_args + 1) * sizeof(*in->objcopy_args));
	in->objcopy_args[in->nobjcopy_args++] = arg;
}

static bool has_objcopy_arg(const struct flp_input *in, const char *arg)
{
	for (size_t i = 0; i < in->nobjcopy_args; i++)
		if (!strcmp(in->objcopy_args[i], arg))
			return true;
	return false;
}

/* The name of the side of a reference, for messages: "app.o (compartment 'app')". */
static char *describe(const struct flp_plan *plan, size_t input)
{
	const struct flp_input *in = &plan->inputs[input];
	const struct flc_config *cfg = plan->cfg;

	if (in->library == FLP_NONE)
		return xasprintf("%s (compartment '%s')", in->arg,
				 cfg->compartments[in->compartment].name);
	return xasprintf("%s (library '%s', compartment '%s')", in->arg,
			 cfg->libraries[in->library].name, cfg->compartments[in->compartment].name);
}

/* The library or, for inputs no library claims, the compartment a gate names. */
static const char *gate_owner(const struct flp_plan *plan, size_t input)
{
	const struct flp_input *in = &plan->inputs[input];

	if (in->library != FLP_NONE)
		return plan->cfg->libraries[in->library].name;
	return plan->cfg->compartments[in->compartment].name;
}

static size_t add_gate(struct flp_plan *plan, char *symbol, const char *fn, char *target,
		       size_t library, size_t compartment, bool callback, const char *user)
{
	for (size_t g = 0; g < plan->ngates; g++)
		if (!strcmp(plan->gates[g].symbol, symbol)) {
			free(symbol);
			free(target);
			return g;
		}
	plan->gates = xrealloc(plan->gates, (plan->ngates + 1) * sizeof(*plan->gates));
	plan->gates[plan->ngates] = (struct flp_gate){
		.symbol = symbol,
		.fn = xstrdup(fn),
		.target = target,
		.library = library,
		.compartment = compartment,
		.callback = callback,
		.automatic = true,
		.first_user = user,
	};
	return plan->ngates++;
}

static void route_call(struct xscan *s, size_t from, const struct def *d)
{
	struct flp_plan *plan = s->plan;
	struct flp_input *in = &plan->inputs[from];
	const struct flp_input *to = &plan->inputs[d->input];

	if (in->kind == FLP_SHARED) {
		char *a = describe(plan, from), *b = describe(plan, d->input);
		fprintf(stderr,
			"%s: error: shared library %s calls '%s' of %s, but the calls of a shared "
			"library cannot be routed through a gate; link its static archive instead, "
			"or put both in one compartment in %s\n",
			in->arg, a, d->name, b, plan->cfg->path);
		free(a);
		free(b);
		s->err = -1;
		return;
	}
	char *stub = xasprintf(FLEXOS_GATE_PREFIX "%s" FLEXOS_NAME_SEP "%s",
			       gate_owner(plan, d->input), d->name);
	size_t g = add_gate(plan, xstrdup(stub), d->name, xstrdup(d->name), to->library,
			    to->compartment, false, in->arg);
	plan->gates[g].callers |= 1ULL << in->compartment;
	/* Its stub must read the GOT, which newlib.c refuses under MPK. */
	plan->gates[g].in_shlib = to->kind == FLP_SHARED;
	char *arg = xasprintf("--redefine-sym=%s=%s", d->name, stub);
	if (has_objcopy_arg(in, arg))
		free(arg);
	else
		add_objcopy_arg(in, arg);
	free(stub);
}

/* Characters a linker script cannot hold in a file or section name. */
static bool script_safe(const char *s)
{
	return s && !strpbrk(s, " \t\n\"'()*?[]\\:;,{}=");
}

/* A variable listed in shared_data: its section goes to the shared section. */
static void share_variable(struct xscan *s, const struct def *d, const struct flc_library *lib,
			   size_t at)
{
	struct flp_plan *plan = s->plan;
	const struct flp_input *in = &plan->inputs[d->input];
	struct flc_pos pos = lib->shared_data.pos[at];

	for (size_t i = 0; i < plan->nshared_sections; i++)
		if (!strcmp(plan->shared_sections[i].symbol, d->name))
			return;
	if (in->kind == FLP_SHARED)
		return; /* A shared library's data is the loader's: not isolated. */
	if (!d->section) {
		fprintf(stderr,
			"%s:%u:%u: error: '%s' of library '%s' is a common symbol in %s, which "
			"cannot be moved to the shared section; compile the library with "
			"-fno-common, or put the libraries that use it in one compartment\n",
			plan->cfg->path, pos.line, pos.col, d->name, lib->name, in->arg);
		s->err = -1;
		return;
	}
	char *key = section_key(d->input, d->member, d->section);
	size_t n = strmap_get(&s->sec, key);
	free(key);
	if (n != 1 || !script_safe(d->section) || (d->member && !script_safe(d->member))) {
		char *section = xescape(d->section),
		     *member = d->member ? xescape(d->member) : NULL;
		fprintf(stderr,
			"%s:%u:%u: error: '%s' of library '%s' shares section '%s' of %s%s%s%s "
			"with %zu other symbols, so it cannot be moved alone to the shared "
			"section; rebuild the library with -fdata-sections, or put the "
			"libraries that use it in one compartment\n",
			plan->cfg->path, pos.line, pos.col, d->name, lib->name, section, in->arg,
			member ? "(" : "", member ? member : "", member ? ")" : "", n ? n - 1 : 0);
		free(section);
		free(member);
		s->err = -1;
		return;
	}
	plan->shared_sections = xrealloc(plan->shared_sections, (plan->nshared_sections + 1) *
								       sizeof(*plan->shared_sections));
	plan->shared_sections[plan->nshared_sections++] = (struct flp_shared_section){
		.input = d->input,
		.member = d->member ? xstrdup(d->member) : NULL,
		.section = xstrdup(d->section),
		.symbol = xstrdup(d->name),
	};
}

static void refuse_variable(struct xscan *s, size_t from, const struct def *d)
{
	const struct flp_plan *plan = s->plan;
	const struct flp_input *to = &plan->inputs[d->input];
	char *a = describe(plan, from), *b = describe(plan, d->input);
	char *name = xescape(d->name);

	if (to->library != FLP_NONE)
		fprintf(stderr,
			"%s: error: %s uses variable '%s' of %s; a gate can carry calls across "
			"compartments, not variables. Mark it shared (add 'shared_data: [%s]' to "
			"library '%s' in %s) or put both libraries in one compartment\n",
			plan->inputs[from].arg, a, name, b, name,
			plan->cfg->libraries[to->library].name, plan->cfg->path);
	else
		fprintf(stderr,
			"%s: error: %s uses variable '%s' of %s; a gate can carry calls across "
			"compartments, not variables. Mark it shared (declare a library for %s in "
			"%s and add 'shared_data: [%s]' to it) or put both in one compartment\n",
			plan->inputs[from].arg, a, name, b, to->arg, plan->cfg->path, name);
	free(name);
	free(a);
	free(b);
	s->err = -1;
}

/*
 * A crossing call becomes a gate stub in generated assembly and objcopy's
 * --redefine-sym=OLD=NEW: a name with a newline would add lines of its own
 * to the stub (a WRPKRU, say), one with '=' would split the option.
 */
static void refuse_name(struct xscan *s, size_t from, const struct def *d)
{
	const struct flp_plan *plan = s->plan;
	char *a = describe(plan, from), *b = describe(plan, d->input);
	char *name = xescape(d->name);

	fprintf(stderr,
		"%s: error: %s calls \"%s\" of %s, but that name cannot be given a gate: "
		"the names of gated functions may hold only letters, digits, '_', '.' and '$'; "
		"rename the function or put both in one compartment\n",
		plan->inputs[from].arg, a, name, b);
	free(name);
	free(a);
	free(b);
	s->err = -1;
}

/* The definition of name by an input of library l, or NULL. */
static const struct def *def_in_library(const struct xscan *s, const char *name, size_t l)
{
	for (size_t i = 0; i < s->ndefs; i++)
		if (s->plan->inputs[s->defs[i].input].library == l && !strcmp(s->defs[i].name, name))
			return &s->defs[i];
	return NULL;
}

/* "file" or "archive(member)", for messages. */
static char *where(const struct xscan *s, const struct def *d)
{
	const char *arg = s->plan->inputs[d->input].arg;

	return d->member ? xasprintf("%s(%s)", arg, d->member) : xstrdup(arg);
}

/*
 * The one static function named name in the inputs of library l, or NULL
 * after saying why (none, or several: the config cannot say which).
 */
static const struct def *static_in_library(struct xscan *s, const char *name, size_t l,
					   struct flc_pos pos)
{
	const struct flc_library *lib = &s->plan->cfg->libraries[l];
	const struct def *found = NULL;

	for (size_t i = 0; i < s->nlocals; i++) {
		const struct def *d = &s->locals[i];
		if (s->plan->inputs[d->input].library != l || strcmp(d->name, name))
			continue;
		if (found) {
			char *a = where(s, found), *b = where(s, d);
			fprintf(stderr,
				"%s:%u:%u: error: callback '%s' of library '%s' names two static "
				"functions, in %s and in %s; rename one, or split the library so "
				"that each is in a library of its own\n",
				s->plan->cfg->path, pos.line, pos.col, name, lib->name, a, b);
			free(a);
			free(b);
			s->err = -1;
			return NULL;
		}
		found = d;
	}
	if (!found) {
		fprintf(stderr,
			"%s:%u:%u: error: callback '%s' of library '%s' is not a function defined "
			"by an input of that library; list functions the library defines, global "
			"or static\n",
			s->plan->cfg->path, pos.line, pos.col, name, lib->name);
		s->err = -1;
	}
	return found;
}

/* Whether name is a listed callback of any library. */
static bool is_callback(const struct flc_config *cfg, const char *name)
{
	for (size_t l = 0; l < cfg->nlibraries; l++)
		if (flc_names_has(&cfg->libraries[l].callbacks, name, NULL))
			return true;
	return false;
}

/*
 * A listed callback: the definition is renamed to a weak symbol that the
 * strong callback stub overrides, so that every reference, address-taking
 * ones included, goes through the stub; the function itself keeps a new
 * global name, the stub's target.
 */
static void route_callback(struct xscan *s, size_t l, size_t at)
{
	struct flp_plan *plan = s->plan;
	const struct flc_library *lib = &plan->cfg->libraries[l];
	const char *fn = lib->callbacks.names[at];
	struct flc_pos pos = lib->callbacks.pos[at];
	const struct def *d = def_in_library(s, fn, l);
	bool is_static = false;

	if (!d || !d->function) {
		d = static_in_library(s, fn, l, pos);
		if (!d)
			return;
		is_static = true;
	}
	if (!flp_isolates(plan))
		return; /* Under none, a callback is the function itself. */
	struct flp_input *in = &plan->inputs[d->input];
	bool member = in->kind == FLP_ARCHIVE && d->member && script_safe(d->member) &&
		      !strchr(d->member, '/');
	if ((in->kind != FLP_OBJECT && !member) || !script_safe(d->section)) {
		fprintf(stderr,
			"%s:%u:%u: error: callback '%s' of library '%s' is defined in %s, which is "
			"not an object file nor a member of a static archive with a plain name; "
			"flexos-link can only turn functions of objects into callbacks: pass the "
			"object itself, or use flexos_callback() in the source\n",
			plan->cfg->path, pos.line, pos.col, fn, lib->name, in->arg);
		s->err = -1;
		return;
	}
	char *stub = xasprintf(FLEXOS_CB_PREFIX "%s" FLEXOS_NAME_SEP "%s", lib->name, fn);
	char *target = xasprintf(FLEXOS_CBFN_PREFIX "%s" FLEXOS_NAME_SEP "%s", lib->name, fn);
	add_gate(plan, xstrdup(stub), fn, xstrdup(target), l, lib->compartment_index, true,
		 in->arg);
	/*
	 * A weak symbol at a static function for rewrite.c to point the
	 * address-taking references at (the strong stub overrides it), and
	 * the target's global one. objcopy applies its arguments to every
	 * member of an archive: there, these two go to the member alone.
	 */
	char *weak = is_static ? xasprintf("--add-symbol=%s=%s:0x%llx,weak,function", stub,
					   d->section, (unsigned long long)d->value)
			       : NULL;
	char *global = xasprintf("--add-symbol=%s=%s:0x%llx,global,function", target, d->section,
				 (unsigned long long)d->value);
	if (is_static || member) {
		in->static_cbs =
		    xrealloc(in->static_cbs, (in->nstatic_cbs + 1) * sizeof(*in->static_cbs));
		in->static_cbs[in->nstatic_cbs++] =
		    (struct flx_static_callback){xstrdup(fn),
						 is_static ? xstrdup(stub) : NULL,
						 member ? xstrdup(d->member) : NULL,
						 {member ? weak : NULL, member ? global : NULL}};
	}
	if (!is_static) {
		add_objcopy_arg(in, xasprintf("--redefine-sym=%s=%s", fn, stub));
		add_objcopy_arg(in, xasprintf("--weaken-symbol=%s", stub));
	}
	if (!member) {
		if (weak)
			add_objcopy_arg(in, weak);
		add_objcopy_arg(in, global);
	} else if (!in->nobjcopy_args) {
		/* A private copy is made only for inputs with objcopy arguments. */
		add_objcopy_arg(in, xstrdup("--preserve-dates"));
	}
	/* Every other input that names the function reaches it through the stub. */
	for (size_t i = 0; i < plan->ninputs; i++) {
		if (i == d->input || !strmap_get(&s->refs[i].index, fn))
			continue;
		if (plan->inputs[i].kind == FLP_SHARED) {
			fprintf(stderr,
				"%s: error: shared library %s calls callback '%s' of library '%s' "
				"by name, which cannot be routed through its stub; link its static "
				"archive instead\n",
				plan->inputs[i].arg, plan->inputs[i].arg, fn, lib->name);
			s->err = -1;
			continue;
		}
		add_objcopy_arg(&plan->inputs[i], xasprintf("--redefine-sym=%s=%s", fn, stub));
	}
	free(stub);
	free(target);
}

/* The compartments the input calls into, as a bit set. */
static uint64_t compartments_called(const struct flp_plan *plan, size_t input)
{
	uint64_t into = 0;

	for (size_t x = 0; x < plan->nxrefs; x++) {
		const struct flp_xref *r = &plan->xrefs[x];
		size_t c = plan->inputs[r->to].compartment;
		if (r->from == input && r->function && c != plan->inputs[input].compartment &&
		    c < 64)
			into |= 1ULL << c;
	}
	return into;
}

static void note_possible_callback(const struct flp_plan *plan, const char *fn, size_t input,
				   uint64_t into)
{
	const struct flc_config *cfg = plan->cfg;
	const struct flp_input *in = &plan->inputs[input];
	char names[256] = "";
	size_t len = 0;

	for (size_t c = 0; c < cfg->ncompartments && c < 64; c++)
		if (into & (1ULL << c) && len < sizeof(names))
			len += (size_t)snprintf(names + len, sizeof(names) - len, "%s'%s'",
						len ? ", " : "", cfg->compartments[c].name);
	fprintf(stderr,
		"%s: note: function '%s' of %s '%s' has its address taken in %s, which calls "
		"into compartment %s: if %s calls it through that pointer, list it under "
		"'callbacks:' of %s\n",
		cfg->path, fn, in->library != FLP_NONE ? "library" : "compartment",
		gate_owner(plan, input), in->arg, names,
		__builtin_popcountll(into) > 1 ? "one of them" : "it",
		in->library != FLP_NONE ? "that library" : "a library that claims that input");
}

/*
 * A function whose address its own input takes, in an input that calls
 * into other compartments, may be handed to them as a callback: without a
 * stub it would run there, with their keys or in their process. flexos-link
 * cannot follow the pointer, so this is a note; the fault report says the
 * same when it happens.
 */
static void note_possible_callbacks(struct xscan *s)
{
	const struct flp_plan *plan = s->plan;
	const struct flc_config *cfg = plan->cfg;
	uint64_t *into = xcalloc(plan->ninputs + 1, sizeof(*into));

	for (size_t i = 0; i < plan->ninputs; i++)
		into[i] = compartments_called(plan, i);
	for (size_t d = 0; d < s->ndefs; d++) {
		const struct def *def = &s->defs[d];
		if (def->function && into[def->input] &&
		    strmap_get(&s->taken[def->input], def->name) && !is_callback(cfg, def->name))
			note_possible_callback(plan, def->name, def->input, into[def->input]);
	}
	/* Static functions, in objects: their references go through their section. */
	for (size_t i = 0; i < plan->ninputs; i++) {
		if (!into[i] || plan->inputs[i].kind != FLP_OBJECT)
			continue;
		const char **fns = NULL;
		size_t n = 0;
		for (size_t d = 0; d < s->nlocals; d++)
			if (s->locals[d].input == i && !is_callback(cfg, s->locals[d].name)) {
				fns = xrealloc(fns, (n + 1) * sizeof(*fns));
				fns[n++] = s->locals[d].name;
			}
		bool *taken = xcalloc(n + 1, sizeof(*taken));
		if (n && !flx_static_address_taken(plan->inputs[i].path, fns, n, taken))
			for (size_t k = 0; k < n; k++)
				if (taken[k])
					note_possible_callback(plan, fns[k], i, into[i]);
		free(taken);
		free(fns);
	}
	free(into);
}

static void check_shared_data_names(struct xscan *s)
{
	const struct flc_config *cfg = s->plan->cfg;

	for (size_t l = 0; l < cfg->nlibraries; l++) {
		const struct flc_library *lib = &cfg->libraries[l];
		for (size_t k = 0; k < lib->shared_data.count; k++) {
			const struct def *d = def_in_library(s, lib->shared_data.names[k], l);
			if (d && d->object) {
				if (flp_isolates(s->plan))
					share_variable(s, d, lib, k);
				continue;
			}
			fprintf(stderr,
				"%s:%u:%u: error: shared_data '%s' of library '%s' is not a global "
				"variable defined by an input of that library; check the name\n",
				cfg->path, lib->shared_data.pos[k].line, lib->shared_data.pos[k].col,
				lib->shared_data.names[k], lib->name);
			s->err = -1;
		}
	}
}

/* FLEXOS_SHARED variables (and the prototype's .data_shared) are shared already. */
static bool in_shared_section(const struct def *d)
{
	return d->section &&
	       (!strncmp(d->section, FLEXOS_SHARED_SECTION, strlen(FLEXOS_SHARED_SECTION)) ||
		!strcmp(d->section, FLEXOS_SHARED_SECTION_LEGACY));
}

/*
 * Whether compartment host is the host of compartment c (sandbox_of),
 * which may read and write c's data and bss (docs/config.md, "Sandboxes"):
 * its references to c's variables need no gate.
 */
static bool hosts(const struct flc_config *cfg, size_t host, size_t c)
{
	return host != FLP_NONE && c != FLP_NONE && c < cfg->ncompartments &&
	       cfg->compartments[c].sandbox_of_index == host;
}

static void find_crossings(struct xscan *s)
{
	struct flp_plan *plan = s->plan;
	const struct flc_config *cfg = plan->cfg;

	for (size_t i = 0; i < plan->ninputs; i++) {
		const struct flp_input *in = &plan->inputs[i];
		const struct refs *r = &s->refs[i];
		if (in->kind == FLP_RUNTIME || in->kind == FLP_UNFOUND)
			continue;
		for (size_t k = 0; k < r->n; k++) {
			size_t f = strmap_get(&s->first, r->names[k]);
			if (!f || strmap_get(&s->comp[in->compartment], r->names[k]))
				continue;
			const struct def *d = &s->defs[f - 1];
			const struct flp_input *to = &plan->inputs[d->input];
			/* A shared library's variables are the loader's: not isolated. */
			if (!d->function && to->kind == FLP_SHARED)
				continue;
			size_t at = 0;
			bool shared = !d->function &&
				      (in_shared_section(d) ||
				       (to->library != FLP_NONE &&
					flc_names_has(&cfg->libraries[to->library].shared_data,
						      d->name, &at)));
			plan->xrefs = xrealloc(plan->xrefs, (plan->nxrefs + 1) * sizeof(*plan->xrefs));
			plan->xrefs[plan->nxrefs++] = (struct flp_xref){
				.symbol = xstrdup(d->name),
				.from = i,
				.to = d->input,
				.function = d->function,
				.shared = shared,
				.count = r->counts[k],
			};
			if (!flp_isolates(plan) || (d->function && is_callback(cfg, d->name)))
				continue;
			if (d->function && !symbol_name_ok(d->name)) {
				refuse_name(s, i, d);
				continue;
			}
			if (d->function)
				route_call(s, i, d);
			else if (!shared && !hosts(cfg, in->compartment, to->compartment))
				refuse_variable(s, i, d);
		}
	}
}

int flx_find_xrefs(struct flp_plan *plan)
{
	const struct flc_config *cfg = plan->cfg;
	struct xscan s = {.plan = plan};

	s.comp = xcalloc(cfg->ncompartments, sizeof(*s.comp));
	s.refs = xcalloc(plan->ninputs + 1, sizeof(*s.refs));
	s.taken = xcalloc(plan->ninputs + 1, sizeof(*s.taken));
	for (s.input = 0; s.input < plan->ninputs; s.input++) {
		const struct flp_input *in = &plan->inputs[s.input];
		if (in->kind == FLP_RUNTIME || in->kind == FLP_UNFOUND)
			continue;
		if (fle_symbols(in->path, on_symbol, &s) < 0 ||
		    (in->kind != FLP_SHARED && fle_relocations(in->path, on_reloc, &s) < 0))
			s.err = -1;
	}
	if (!s.err) {
		find_crossings(&s);
		check_shared_data_names(&s);
		for (size_t l = 0; l < cfg->nlibraries; l++)
			for (size_t k = 0; k < cfg->libraries[l].callbacks.count; k++)
				route_callback(&s, l, k);
		if (flp_isolates(plan))
			note_possible_callbacks(&s);
	}
	plan->scanned = true;

	for (size_t i = 0; i < s.ndefs; i++) {
		free(s.defs[i].name);
		free(s.defs[i].member);
		free(s.defs[i].section);
	}
	free(s.defs);
	for (size_t i = 0; i < s.nlocals; i++) {
		free(s.locals[i].name);
		free(s.locals[i].member);
		free(s.locals[i].section);
	}
	free(s.locals);
	for (size_t c = 0; c < cfg->ncompartments; c++)
		strmap_free(&s.comp[c]);
	free(s.comp);
	for (size_t i = 0; i < plan->ninputs; i++) {
		for (size_t k = 0; k < s.refs[i].n; k++)
			free(s.refs[i].names[k]);
		free(s.refs[i].names);
		free(s.refs[i].counts);
		strmap_free(&s.refs[i].index);
		strmap_free(&s.taken[i]);
	}
	free(s.refs);
	free(s.taken);
	strmap_free(&s.first);
	strmap_free(&s.sec);
	return s.err;
}

/* ---- --explain ---------------------------------------------------------- */

static const char *side(const struct flp_plan *plan, size_t input, char *buf, size_t len)
{
	const struct flp_input *in = &plan->inputs[input];
	const struct flc_config *cfg = plan->cfg;

	if (in->library != FLP_NONE)
		snprintf(buf, len, "%s [%s/%s]", in->arg, cfg->compartments[in->compartment].name,
			 cfg->libraries[in->library].name);
	else
		snprintf(buf, len, "%s [%s]", in->arg, cfg->compartments[in->compartment].name);
	return buf;
}

int flx_explain(FILE *f, const struct flp_plan *plan)
{
	const struct flc_config *cfg = plan->cfg;
	size_t ncalls = 0, ndata = 0, callrefs = 0, datarefs = 0;
	char a[512], b[512];

	fprintf(f, "cross-compartment references (%s, mechanism %s):\n", cfg->path,
		flexos_mechanism_name(cfg->mechanism));
	fprintf(f, "%-5s %-40s %-40s %-32s %6s  %s\n", "kind", "from [compartment/library]",
		"to [compartment/library]", "symbol", "refs", "resolved as");
	for (int pass = 0; pass < 2; pass++)
		for (size_t x = 0; x < plan->nxrefs; x++) {
			const struct flp_xref *r = &plan->xrefs[x];
			if (r->function != !pass)
				continue;
			const char *how;
			if (!flp_isolates(plan))
				how = "direct (nothing isolates)";
			else if (r->function)
				how = is_callback(cfg, r->symbol) ? "callback stub" : "gate";
			else
				how = r->shared ? "shared section" : "ERROR: not shared";
			fprintf(f, "%-5s %-40s %-40s %-32s %6zu  %s\n", r->function ? "call" : "data",
				side(plan, r->from, a, sizeof(a)), side(plan, r->to, b, sizeof(b)),
				r->symbol, r->count, how);
			if (r->function) {
				ncalls++;
				callrefs += r->count;
			} else {
				ndata++;
				datarefs += r->count;
			}
		}
	size_t ngates = 0, ncallbacks = 0;
	for (size_t g = 0; g < plan->ngates; g++)
		if (plan->gates[g].automatic && !plan->gates[g].direct) {
			ngates += !plan->gates[g].callback;
			ncallbacks += plan->gates[g].callback;
		}
	fprintf(f,
		"total: %zu calls (%zu references) and %zu variables (%zu references) cross "
		"compartments; %zu automatic gates, %zu callback stubs\n",
		ncalls, callrefs, ndata, datarefs, ngates, ncallbacks);
	for (size_t g = 0; g < plan->ngates; g++) {
		const struct flp_gate *gate = &plan->gates[g];
		if (gate->direct)
			continue;
		fprintf(f, "%s %s -> %s [%s]\n", gate->callback ? "callback" : "gate", gate->fn,
			gate->symbol, cfg->compartments[gate->compartment].name);
		flx_proto_explain(f, &gate->proto);
		flx_explain_lends(f, plan, gate);
	}
	return ferror(f) ? -EIO : 0;
}

/* ---- private copies ----------------------------------------------------- */

static int run_objcopy(const struct flp_input *in, const char *out)
{
	const char *tool = tool_from_env("OBJCOPY", "objcopy");
	char **args = xcalloc(in->nobjcopy_args + 4, sizeof(*args));
	size_t n = 0;

	args[n++] = (char *)tool;
	for (size_t i = 0; i < in->nobjcopy_args; i++)
		args[n++] = in->objcopy_args[i];
	args[n++] = in->path;
	args[n++] = (char *)out;
	int status = run_program(args);
	if (status < 0)
		fprintf(stderr, "flexos-link: cannot run '%s' to route the calls of %s through "
				"gates: %s; install binutils or set OBJCOPY\n",
			tool, in->arg, strerror(errno));
	else if (status)
		fprintf(stderr, "flexos-link: %s failed on %s (see its message above), so its "
				"calls cannot be routed through gates\n",
			tool, in->arg);
	free(args);
	return status ? -1 : 0;
}

/* Counts the members of an archive named name (fle_objects' callback). */
struct member_count {
	const char *name;
	size_t n;
};

static int count_member(void *ctx, const char *member, struct fle_object *obj)
{
	struct member_count *c = ctx;
	(void)obj;
	c->n += member && !strcmp(member, c->name);
	return 0;
}

/* Runs a tool; returns 0, or -1 after saying what failed. */
static int run_tool(char **args, const char *why, const char *arg)
{
	int status = run_program(args);
	if (status)
		fprintf(stderr, "flexos-link: %s %s on %s: %s, so %s\n", args[0],
			status < 0 ? "could not run" : "failed", arg,
			status < 0 ? strerror(errno) : "see its message above", why);
	return status ? -1 : 0;
}

/*
 * The callbacks of archive members (struct flx_static_callback.member):
 * each member is taken out of the private copy of the archive, given its
 * symbols, rewritten, and put back in its place.
 */
static int route_member_callbacks(struct flp_input *in, const char *dir, size_t i)
{
	const char *ar = tool_from_env("AR", "ar");
	const char *objcopy = tool_from_env("OBJCOPY", "objcopy");
	const char *why = "its static callbacks cannot be routed through their stubs";

	for (size_t k = 0; k < in->nstatic_cbs; k++) {
		const char *member = in->static_cbs[k].member;
		bool first = true;
		for (size_t j = 0; j < k && first; j++)
			first =
			    !in->static_cbs[j].member || strcmp(in->static_cbs[j].member, member);
		if (!member || !first)
			continue;
		struct member_count count = {member, 0};
		if (fle_objects(in->link_path, count_member, &count) < 0)
			return -1;
		if (count.n != 1) {
			fprintf(stderr,
				"flexos-link: %s holds %zu members named %s, so the callback '%s' "
				"defined there cannot be routed through its stub; list callbacks "
				"of archives whose member names are unique, or pass the object "
				"itself\n",
				in->arg, count.n, member, in->static_cbs[k].fn);
			return -1;
		}
		char *mdir = xasprintf("%s/%zu-members", dir, i);
		char *path = xasprintf("%s/%s", mdir, member);
		char *out = xasprintf("--output=%s", mdir);
		char *xargs[] = {(char *)ar, out, (char *)"x", in->link_path, (char *)member, NULL};
		char **oargs = xcalloc(2 * in->nstatic_cbs + 3, sizeof(*oargs));
		struct flx_static_callback *cbs = xcalloc(in->nstatic_cbs, sizeof(*cbs));
		size_t n = 0, ncbs = 0;
		oargs[n++] = (char *)objcopy;
		for (size_t j = k; j < in->nstatic_cbs; j++) {
			if (!in->static_cbs[j].member || strcmp(in->static_cbs[j].member, member))
				continue;
			for (int a = 0; a < 2; a++)
				if (in->static_cbs[j].add[a])
					oargs[n++] = in->static_cbs[j].add[a];
			if (in->static_cbs[j].stub)
				cbs[ncbs++] = in->static_cbs[j];
		}
		oargs[n++] = path;
		char *rargs[] = {(char *)ar, (char *)"r", in->link_path, path, NULL};
		int err = (mkdir(mdir, 0700) && errno != EEXIST) ? -1 : 0;
		if (err)
			fprintf(stderr, "flexos-link: cannot create %s: %s\n", mdir,
				strerror(errno));
		err = err || run_tool(xargs, why, in->arg) || run_tool(oargs, why, in->arg) ||
		      (ncbs && flx_rewrite_static_callbacks(path, cbs, ncbs)) ||
		      run_tool(rargs, why, in->arg);
		unlink(path);
		rmdir(mdir);
		free(cbs);
		free(oargs);
		free(out);
		free(path);
		free(mdir);
		if (err)
			return -1;
	}
	return 0;
}

int flx_make_copies(struct flp_plan *plan, const char *dir)
{
	for (size_t i = 0; i < plan->ninputs; i++) {
		struct flp_input *in = &plan->inputs[i];
		if (!in->nobjcopy_args)
			continue;
		const char *base = strrchr(in->path, '/');
		char *name = xstrdup(base ? base + 1 : in->path);
		for (char *p = name; *p; p++)
			if (!script_safe((char[]){*p, 0}))
				*p = '_';
		in->link_path = xasprintf("%s/%zu-%s", dir, i, name);
		free(name);
		if (run_objcopy(in, in->link_path))
			return -1;
		if (in->kind == FLP_ARCHIVE ? route_member_callbacks(in, dir, i)
		    : in->nstatic_cbs ? flx_rewrite_static_callbacks(in->link_path, in->static_cbs,
								     in->nstatic_cbs)
				      : 0)
			return -1;
	}
	return 0;
}

void flx_remove_copies(const struct flp_plan *plan)
{
	for (size_t i = 0; i < plan->ninputs; i++)
		if (plan->inputs[i].link_path)
			unlink(plan->inputs[i].link_path);
}
