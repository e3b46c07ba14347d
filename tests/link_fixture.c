/*
 * Fixtures of the flexos-link suites: C sources written and compiled at
 * test time (the planner reads real symbol tables and relocations), and
 * the checker that compares a plan with a table row.
 */
#include "autoconfig.h"

#include <check.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "link_fixture.h"

struct source {
	const char *file;
	const char *text;
};

static const struct source sources[] = {
    /* A ported application: flexos_gate to foo_work of library 'foo'. */
    {"gated.c", "#include <flexos/flexos.h>\n"
		"int foo_work(int x);\n"
		"int main(void)\n{\n\tint r;\n\tflexos_gate_r(foo, r, foo_work, 1);\n"
		"\treturn r;\n}\n"},
    {"foo.c", "int foo_work(int x)\n{\n\treturn x + 1;\n}\n"},
    {"util.c", "int util_fn(void)\n{\n\treturn 2;\n}\n"},
    {"one.c", "int one(void)\n{\n\treturn 1;\n}\n"},
    {"two.c", "int two(void)\n{\n\treturn 2;\n}\n"},
    {"bar.c", "int bar_work(void)\n{\n\treturn 3;\n}\n"},
    {"baz.c", "int baz_work(void)\n{\n\treturn 4;\n}\n"},
    {"qux.c", "int qux_work(void)\n{\n\treturn 5;\n}\n"},
    {"both.c", "int both_work(void)\n{\n\treturn 6;\n}\n"},
    {"notes.txt", "not an object\n"},
    /* A gate naming a library the config does not list. */
    {"nolib.c", "#include <flexos/flexos.h>\n"
		"int foo_work(int x);\n"
		"int use_nolib(void)\n{\n\tint r;\n\tflexos_gate_r(nolib, r, foo_work, 1);\n"
		"\treturn r;\n}\n"},
    /* A gate naming library 'foo' for a function util.o defines. */
    {"wronglib.c", "#include <flexos/flexos.h>\n"
		   "int util_fn(void);\n"
		   "int use_wrong(void)\n{\n\tint r;\n\tflexos_gate_r(foo, r, util_fn);\n"
		   "\treturn r;\n}\n"},
    /* __flexos_gate__foo__bar__baz_work: library foo__bar, not foo. */
    {"longest.c", "#include <flexos/flexos.h>\n"
		  "int baz_work(void);\n"
		  "int use_longest(void)\n{\n\tint r;\n\tflexos_gate_r(foo__bar, r, baz_work);\n"
		  "\treturn r;\n}\n"},
    {"gatebar.c", "#include <flexos/flexos.h>\n"
		  "int bar_work(void);\n"
		  "int use_bar(void)\n{\n\tint r;\n\tflexos_gate_r(bar, r, bar_work);\n"
		  "\treturn r;\n}\n"},
    {"cbuser.c", "#include <flexos/flexos.h>\n"
		 "static int my_cb(int x)\n{\n\treturn x;\n}\n"
		 "void *get_cb(void)\n{\n\treturn (void *)flexos_callback(app, my_cb);\n}\n"},

    /* An unmodified application and library: automatic gates. */
    {"app.c", "int lib_work(int x);\n"
	      "int lib_apply(int (*fn)(int), int x);\n"
	      "extern int lib_counter, lib_shvar;\n"
	      "int app_global = 5;\n"
	      "__attribute__((noinline)) int app_local(int x)\n{\n\treturn x + 1;\n}\n"
	      "int app_callback(int x)\n{\n\treturn x + app_global;\n}\n"
	      "int main(void)\n{\n"
	      "\tint r = lib_work(app_local(1)) + lib_apply(app_callback, 1);\n"
	      "#ifdef USE_DATA\n\tr += lib_counter;\n#endif\n"
	      "#ifdef USE_SHVAR\n\tr += lib_shvar;\n#endif\n"
	      "#ifdef USE_MANY\n\tr += lib_work(2) + lib_work(3);\n#endif\n"
	      "\treturn r;\n}\n"},
    {"lib.c", "#include <flexos/flexos.h>\n"
	      "int lib_counter;\n"
	      "int lib_other_counter;\n"
	      "int lib_shvar FLEXOS_SHARED = 1;\n"
	      "__attribute__((noinline)) int lib_inner(int x)\n{\n\treturn x * 2;\n}\n"
	      "int lib_work(int x)\n{\n"
	      "\treturn lib_inner(x) + lib_inner(1) + lib_counter + lib_other_counter;\n}\n"
	      "int lib_apply(int (*fn)(int), int x)\n{\n\treturn fn(x) + 1;\n}\n"},
    /* Another library calling the application's function by name. */
    {"caller.c", "int app_callback(int x);\n"
		 "int call_back(void)\n{\n\treturn app_callback(3);\n}\n"},
    /* Another library reading the application's variable. */
    {"reader.c", "extern int app_global;\n"
		 "int read_app(void)\n{\n\treturn app_global;\n}\n"},
    {"shl.c", "int shl_var = 1;\n"
	      "int shl_work(int x)\n{\n\treturn x + shl_var;\n}\n"},
    /* A shared library that calls the application: cannot be gated. */
    {"shlcb.c", "int app_local(int x);\n"
		"int shlcb_work(int x)\n{\n\treturn app_local(x);\n}\n"},
    {"app-shl.c", "int shl_work(int x);\n"
		  "int shlcb_work(int x);\n"
		  "extern int shl_var;\n"
		  "int app_local(int x)\n{\n\treturn x;\n}\n"
		  "int main(void)\n{\n\treturn shl_work(1) + shl_var\n"
		  "#ifdef USE_SHLCB\n\t\t+ shlcb_work(2)\n#endif\n\t\t;\n}\n"},
    /* Functions whose names the build below makes hostile. */
    {"evil.c", "int evil_nl(void)\n{\n\treturn 1;\n}\n"
	       "int evil_eq(void)\n{\n\treturn 2;\n}\n"},
    {"evilapp.c", "int evil_nl(void);\nint evil_eq(void);\n"
		  "int main(void)\n{\n\treturn evil_nl() + evil_eq();\n}\n"},
};

/* Run in the fixture directory by sh -e; $CC and $INC are set. */
static const char build[] = "$CC -c $INC gated.c foo.c util.c one.c two.c nolib.c wronglib.c "
			    "longest.c \\\n\tgatebar.c cbuser.c\n"
			    "ar cr libfoo.a foo.o\n"
			    "mkdir sub L\n"
			    "mv one.o two.o sub/\n"
			    "cp util.o 'odd,name.o'\n"
			    "cp libfoo.a libflexos.a\n"
			    "$CC -shared -fPIC -o libbar.so bar.c\n"
			    "$CC -c baz.c qux.c both.c\n"
			    "ar cr L/libbaz.a baz.o\n"
			    "ar cr L/libboth.a both.o\n"
			    "ar cr libflexos-lwip.a baz.o\n"
			    "ar cr libflexos-lwip-sched.a qux.o\n"
			    "$CC -shared -fPIC -o L/libqux.so qux.c\n"
			    "$CC -shared -fPIC -o L/libboth.so both.c\n"
			    "$CC -c $INC app.c caller.c reader.c app-shl.c\n"
			    "$CC -c $INC -DUSE_DATA -o app-data.o app.c\n"
			    "$CC -c $INC -DUSE_SHVAR -o app-shvar.o app.c\n"
			    "$CC -c $INC -DUSE_MANY -o app-many.o app.c\n"
			    "$CC -c $INC -DUSE_SHLCB -o app-shlcb.o app-shl.c\n"
			    "$CC -c $INC -fdata-sections lib.c\n"
			    "ar cr libauto.a lib.o\n"
			    "mkdir packed common\n"
			    "$CC -c $INC -o packed/lib.o lib.c\n"
			    "ar cr packed/libauto.a packed/lib.o\n"
			    "$CC -c $INC -fcommon -o common/lib.o lib.c\n"
			    "ar cr common/libauto.a common/lib.o\n"
			    "$CC -shared -fPIC -o libshl.so shl.c\n"
			    "$CC -shared -fPIC -o libshlcb.so shlcb.c\n"
			    /* A newline in a name would inject lines into a stub; '=' splits objcopy's option. */
			    "nl=$(printf '\\n\\twrpkru\\n_')\n"
			    "$CC -c evil.c evilapp.c\n"
			    "for o in evil.o evilapp.o; do objcopy --redefine-sym \"evil_nl=evil$nl\" "
			    "--redefine-sym evil_eq=evil=eq $o; done\n"
			    "ar cr libevil.a evil.o\n"
			    "cp gated.o evilgate.o\n"
			    "objcopy --redefine-sym \"__flexos_gate__foo__foo_work=__flexos_gate__foo__foo_work$nl\" "
			    "evilgate.o\n";

static char dir[64];
static pid_t creator;

static void remove_dir(void)
{
	/* Check's forked test processes exit too: only the creator cleans up. */
	if (getpid() != creator || !dir[0])
		return;
	char *cmd;
	if (asprintf(&cmd, "rm -rf '%s'", dir) > 0) {
		if (system(cmd))
			fprintf(stderr, "cannot remove %s\n", dir);
		free(cmd);
	}
}

const char *lfx_dir(void)
{
	if (dir[0])
		return dir;
	snprintf(dir, sizeof(dir), "/tmp/check_link.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	creator = getpid();
	atexit(remove_dir);
	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
		char *path;
		ck_assert_int_gt(asprintf(&path, "%s/%s", dir, sources[i].file), 0);
		FILE *f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		fputs(sources[i].text, f);
		ck_assert_int_eq(fclose(f), 0);
		free(path);
	}
	char *script;
	ck_assert_int_gt(asprintf(&script, "%s/build.sh", dir), 0);
	FILE *f = fopen(script, "w");
	ck_assert_ptr_nonnull(f);
	fputs(build, f);
	ck_assert_int_eq(fclose(f), 0);
	free(script);
	const char *cc = getenv("CC") && *getenv("CC") ? getenv("CC") : "cc";
	char *cmd;
	ck_assert_int_gt(
	    asprintf(&cmd, "cd '%s' && CC='%s' INC='-I%s/include' sh -e build.sh", dir, cc, SRCDIR),
	    0);
	int status = system(cmd);
	free(cmd);
	ck_assert_msg(status == 0, "cannot build the fixtures in %s", dir);
	return dir;
}

bool lfx_matches(const char *text, const char *re)
{
	regex_t rx;
	int err = regcomp(&rx, re, REG_EXTENDED | REG_NEWLINE | REG_NOSUB);
	ck_assert_msg(err == 0, "bad regex in the table: %s", re);
	bool m = regexec(&rx, text, 0, NULL, 0) == 0;
	regfree(&rx);
	return m;
}

static char *read_all(int fd)
{
	struct stat st;
	ck_assert_int_eq(fstat(fd, &st), 0);
	char *buf = calloc(1, (size_t)st.st_size + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(pread(fd, buf, (size_t)st.st_size, 0), st.st_size);
	return buf;
}

/* flp_build with stderr in r->err, run where the fixtures are. */
static void build_plan(const struct lfx_case *c, struct lfx_run *r)
{
	char path[] = "/tmp/check_link_err.XXXXXX";
	int argc = 0, cwd = open(".", O_RDONLY | O_DIRECTORY), fd = mkstemp(path);

	while (argc < LFX_MAX && c->argv[argc])
		argc++;
	ck_assert_int_ge(cwd, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(chdir(lfx_dir()), 0);
	fflush(stderr);
	int saved = dup(2);
	ck_assert_int_ge(dup2(fd, 2), 0);
	r->ret = flp_build(&r->plan, &r->cfg, argc, (char **)c->argv);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	ck_assert_int_eq(fchdir(cwd), 0);
	close(cwd);
	r->err = read_all(fd);
	close(fd);
	unlink(path);
}

static const char *comp_name(const struct flc_config *cfg, size_t i)
{
	return i == FLP_NONE ? "-" : cfg->compartments[i].name;
}

static const char *lib_name(const struct flc_config *cfg, size_t i)
{
	return i == FLP_NONE ? NULL : cfg->libraries[i].name;
}

static bool same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static const char *or_none(const char *s)
{
	return s ? s : "(none)";
}

static size_t input_index(const struct lfx_case *c, const struct flp_plan *plan, const char *arg)
{
	for (size_t i = 0; i < plan->ninputs; i++)
		if (!strcmp(plan->inputs[i].arg, arg))
			return i;
	ck_abort_msg("%s: no input '%s' in the plan", c->name, arg);
	return FLP_NONE;
}

static void check_inputs(const struct lfx_case *c, const struct lfx_run *r)
{
	const struct flp_plan *plan = &r->plan;
	size_t n = 0;

	for (; n < LFX_MAX && c->inputs[n].arg; n++) {
		const struct lfx_input *e = &c->inputs[n];
		const struct flp_input *in = &plan->inputs[input_index(c, plan, e->arg)];
		ck_assert_msg(!strcmp(comp_name(&r->cfg, in->compartment), e->compartment),
			      "%s: input %s is in compartment '%s', expected '%s'", c->name, e->arg,
			      comp_name(&r->cfg, in->compartment), e->compartment);
		ck_assert_msg(same(lib_name(&r->cfg, in->library), e->library),
			      "%s: input %s is in library %s, expected %s", c->name, e->arg,
			      or_none(lib_name(&r->cfg, in->library)), or_none(e->library));
		ck_assert_msg(in->kind == e->kind, "%s: input %s is of kind %d, expected %d",
			      c->name, e->arg, in->kind, e->kind);
		if (e->path)
			ck_assert_msg(same(in->path, *e->path ? e->path : NULL),
				      "%s: input %s has path %s, expected %s", c->name, e->arg,
				      or_none(in->path), *e->path ? e->path : "(none)");
	}
	if (n && c->ret == 0)
		ck_assert_msg(plan->ninputs == n, "%s: %zu inputs in the plan, expected %zu",
			      c->name, plan->ninputs, n);
}

static void callers_of(const struct flc_config *cfg, uint64_t mask, char *buf, size_t len)
{
	size_t at = 0;

	buf[0] = 0;
	for (size_t i = 0; i < cfg->ncompartments; i++)
		if (mask & (1ULL << i))
			at += (size_t)snprintf(buf + at, len - at, "%s%s", at ? "," : "",
					       cfg->compartments[i].name);
}

static void check_gates(const struct lfx_case *c, const struct lfx_run *r)
{
	const struct flp_plan *plan = &r->plan;
	size_t n = 0;

	for (; n < LFX_MAX && c->gates[n].symbol; n++) {
		const struct lfx_gate *e = &c->gates[n];
		const struct flp_gate *g = NULL;
		for (size_t k = 0; k < plan->ngates && !g; k++)
			if (!strcmp(plan->gates[k].symbol, e->symbol))
				g = &plan->gates[k];
		ck_assert_msg(g, "%s: no gate %s in the plan", c->name, e->symbol);
		ck_assert_msg(!strcmp(comp_name(&r->cfg, g->compartment), e->compartment),
			      "%s: gate %s enters '%s', expected '%s'", c->name, e->symbol,
			      comp_name(&r->cfg, g->compartment), e->compartment);
		unsigned flags = (g->direct ? LFX_DIRECT : 0) | (g->automatic ? LFX_AUTO : 0) |
				 (g->callback ? LFX_CALLBACK : 0) | (g->in_shlib ? LFX_SHLIB : 0);
		ck_assert_msg(flags == e->flags,
			      "%s: gate %s has flags %#x (direct 1, auto 2, callback 4, shlib 8), "
			      "expected %#x",
			      c->name, e->symbol, flags, e->flags);
		if (e->callers) {
			char buf[256];
			callers_of(&r->cfg, g->callers, buf, sizeof(buf));
			ck_assert_msg(!strcmp(buf, e->callers),
				      "%s: gate %s is called from '%s', expected '%s'", c->name,
				      e->symbol, buf, e->callers);
		}
		if (e->target)
			ck_assert_msg(!strcmp(g->target, e->target),
				      "%s: gate %s reaches %s, expected %s", c->name, e->symbol,
				      g->target, e->target);
	}
	ck_assert_msg(plan->ngates == n, "%s: %zu gates in the plan, expected %zu (first: %s)",
		      c->name, plan->ngates, n, plan->ngates ? plan->gates[0].symbol : "none");
}

static void check_xrefs(const struct lfx_case *c, const struct lfx_run *r)
{
	const struct flp_plan *plan = &r->plan;
	size_t n = 0;

	for (; n < LFX_MAX && c->xrefs[n].symbol; n++) {
		const struct lfx_xref *e = &c->xrefs[n];
		const struct flp_xref *x = NULL;
		for (size_t k = 0; k < plan->nxrefs && !x; k++)
			if (!strcmp(plan->xrefs[k].symbol, e->symbol) &&
			    !strcmp(plan->inputs[plan->xrefs[k].from].arg, e->from) &&
			    !strcmp(plan->inputs[plan->xrefs[k].to].arg, e->to))
				x = &plan->xrefs[k];
		ck_assert_msg(x, "%s: no reference to %s from %s to %s", c->name, e->symbol,
			      e->from, e->to);
		ck_assert_msg(x->function == e->function && x->shared == e->shared &&
				  x->count == e->count,
			      "%s: reference to %s: function %d shared %d count %zu, expected "
			      "%d %d %zu",
			      c->name, e->symbol, x->function, x->shared, x->count, e->function,
			      e->shared, e->count);
	}
	ck_assert_msg(plan->nxrefs == n, "%s: %zu references in the plan, expected %zu (first: %s)",
		      c->name, plan->nxrefs, n, plan->nxrefs ? plan->xrefs[0].symbol : "none");
}

static void check_shared(const struct lfx_case *c, const struct lfx_run *r)
{
	const struct flp_plan *plan = &r->plan;
	size_t n = 0;

	for (; n < LFX_MAX && c->shared[n].symbol; n++) {
		const struct lfx_shared *e = &c->shared[n];
		const struct flp_shared_section *s = NULL;
		for (size_t k = 0; k < plan->nshared_sections && !s; k++)
			if (!strcmp(plan->shared_sections[k].symbol, e->symbol))
				s = &plan->shared_sections[k];
		ck_assert_msg(s, "%s: %s is not in the shared section", c->name, e->symbol);
		ck_assert_msg(!strcmp(plan->inputs[s->input].arg, e->input) &&
				  same(s->member, e->member) && !strcmp(s->section, e->section),
			      "%s: %s is shared as %s(%s) %s, expected %s(%s) %s", c->name,
			      e->symbol, plan->inputs[s->input].arg, or_none(s->member), s->section,
			      e->input, or_none(e->member), e->section);
	}
	ck_assert_msg(plan->nshared_sections == n, "%s: %zu shared sections, expected %zu", c->name,
		      plan->nshared_sections, n);
}

static void check_objcopy(const struct lfx_case *c, const struct lfx_run *r)
{
	const struct flp_plan *plan = &r->plan;
	size_t n = 0, total = 0;

	for (; n < LFX_MAX && c->objcopy[n].input; n++) {
		const struct lfx_objcopy *e = &c->objcopy[n];
		const struct flp_input *in = &plan->inputs[input_index(c, plan, e->input)];
		bool found = false;
		for (size_t k = 0; k < in->nobjcopy_args && !found; k++)
			found = !fnmatch(e->option, in->objcopy_args[k], 0);
		ck_assert_msg(found, "%s: %s has no objcopy option %s (it has %zu, first %s)",
			      c->name, e->input, e->option, in->nobjcopy_args,
			      in->nobjcopy_args ? in->objcopy_args[0] : "none");
	}
	for (size_t i = 0; i < plan->ninputs; i++)
		total += plan->inputs[i].nobjcopy_args;
	ck_assert_msg(total == n, "%s: %zu objcopy options, expected %zu", c->name, total, n);
}

void lfx_check(const struct lfx_case *c, struct lfx_run *r)
{
	char *cfgerr = NULL;
	size_t len;

	memset(r, 0, sizeof(*r));
	FILE *f = open_memstream(&cfgerr, &len);
	ck_assert_ptr_nonnull(f);
	int parsed = flc_parse_string("flexos.yaml", c->yaml, strlen(c->yaml), &r->cfg, f);
	fclose(f);
	ck_assert_msg(parsed == 0, "%s: the config of the table is not valid:\n%s", c->name,
		      cfgerr);
	free(cfgerr);

	build_plan(c, r);
	ck_assert_msg(r->ret == c->ret, "%s: flp_build returned %d, expected %d; stderr:\n%s",
		      c->name, r->ret, c->ret, r->err);
	for (size_t k = 0; k < 4 && c->stderr_re[k]; k++)
		ck_assert_msg(lfx_matches(r->err, c->stderr_re[k]),
			      "%s: expected a line matching /%s/ on stderr, got:\n%s", c->name,
			      c->stderr_re[k], r->err);
	if (c->ret == 0)
		ck_assert_msg(!strstr(r->err, "error"), "%s: unexpected error:\n%s", c->name,
			      r->err);
	if (!c->stderr_re[0])
		ck_assert_msg(!*r->err, "%s: unexpected output on stderr:\n%s", c->name, r->err);
	ck_assert_msg(same(r->plan.backend_archive, c->backend),
		      "%s: backend archive %s, expected %s", c->name,
		      or_none(r->plan.backend_archive), or_none(c->backend));
	check_inputs(c, r);
	if (c->ret)
		return;
	check_gates(c, r);
	check_xrefs(c, r);
	check_shared(c, r);
	check_objcopy(c, r);
}

void lfx_free(struct lfx_run *r)
{
	flp_free(&r->plan);
	flc_free(&r->cfg);
	free(r->err);
	memset(r, 0, sizeof(*r));
}
