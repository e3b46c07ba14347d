/*
 * Tests of flexos-link's cross-reference scanner (tools/flexos-link/xref.c):
 * the automatic gates, callback stubs, shared-data sections and refusals
 * it derives from the symbol tables and relocations of unmodified inputs,
 * and the --explain report. One row per case, on inputs compiled at test
 * time (link_fixture.c).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "link_fixture.h"
#include "suites.h"
#include "xref.h"

/* Two compartments, app (the default) and sb, with one mechanism. */
#define TWO(mech)                                                         \
	"compartments:\n- app:\n  mechanism: " mech "\n  default: true\n" \
	"- sb:\n  mechanism: " mech "\nlibraries:\n"

/* The same, sb a sandbox of app. */
#define SANDBOX(mech)                                                     \
	"compartments:\n- app:\n  mechanism: " mech "\n  default: true\n" \
	"- sb:\n  mechanism: " mech "\n  sandbox_of: app\nlibraries:\n"

#define LIB     "- lib: sb\n  inputs: [libauto.a]\n"
#define G_WORK  "__flexos_gate__lib__lib_work"
#define G_APPLY "__flexos_gate__lib__lib_apply"
#define CB      "__flexos_cb__app__app_callback"

/* What app.o (and its variants) calls in libauto.a, under an isolating mechanism. */
/* clang-format off */
#define APP_GATES \
	{G_WORK, "sb", LFX_AUTO, "app", "lib_work"}, \
	{G_APPLY, "sb", LFX_AUTO, "app", "lib_apply"}
#define APP_CALLS(from) \
	{"lib_work", from, "libauto.a", true, false, 1}, \
	{"lib_apply", from, "libauto.a", true, false, 1}
#define APP_COPY(from) \
	{from, "--redefine-sym=lib_work=" G_WORK}, \
	{from, "--redefine-sym=lib_apply=" G_APPLY}
/* What a listed callback app_callback does to app.o. */
#define CB_COPY \
	{"app.o", "--redefine-sym=app_callback=" CB}, \
	{"app.o", "--weaken-symbol=" CB}, \
	{"app.o", "--add-symbol=__flexos_cbfn__app__app_callback=.text:0x*,global,function"}
/*
 * app.o and its variants take the address of app_callback and call into
 * the library: a callback candidate, noted at link time.
 */
#define NOTE_CB(from) \
	"^flexos.yaml: note: function 'app_callback' of compartment 'app' has its address " \
	"taken in " from ", which calls into compartment 'sb': if it calls it through that " \
	"pointer, list it under 'callbacks:' of a library that claims that input$"
/* clang-format on */

static const struct lfx_case cases[] = {
    {
	.name = "process: a call from app.o into libauto.a gets an automatic gate",
	.yaml = TWO("process") LIB,
	.argv = {"app.o", "libauto.a"},
	.stderr_re = {NOTE_CB("app.o")},
	.inputs = {{"app.o", "app", NULL, FLP_OBJECT}, {"libauto.a", "sb", "lib", FLP_ARCHIVE}},
	.gates = {APP_GATES},
	.xrefs = {APP_CALLS("app.o")},
	.objcopy = {APP_COPY("app.o")},
    },
    {
	.name = "intel-mpk: a call into another compartment gets an automatic gate",
	.yaml = TWO("intel-mpk") LIB,
	.argv = {"app.o", "libauto.a"},
	.stderr_re = {NOTE_CB("app.o")},
	.gates = {APP_GATES},
	.xrefs = {APP_CALLS("app.o")},
	.objcopy = {APP_COPY("app.o")},
    },
    {
	.name = "none: crossings are listed, nothing is rewritten",
	.yaml = TWO("none") LIB,
	.argv = {"app.o", "libauto.a"},
	.xrefs = {APP_CALLS("app.o")},
    },
    {
	.name = "calls inside one compartment cross nothing",
	.yaml = TWO("process") "- lib: app\n  inputs: [libauto.a]\n",
	.argv = {"app.o", "libauto.a"},
	.inputs = {{"app.o", "app", NULL, FLP_OBJECT}, {"libauto.a", "app", "lib", FLP_ARCHIVE}},
    },
    {
	.name = "references are counted per relocation",
	.yaml = TWO("process") LIB,
	.argv = {"app-many.o", "libauto.a"},
	.stderr_re = {NOTE_CB("app-many.o")},
	.gates = {APP_GATES},
	.xrefs = {{"lib_work", "app-many.o", "libauto.a", true, false, 3},
		  {"lib_apply", "app-many.o", "libauto.a", true, false, 1}},
	.objcopy = {APP_COPY("app-many.o")},
    },
    {
	.name = "a variable used across compartments is refused with its name",
	.yaml = TWO("process") LIB,
	.argv = {"app-data.o", "libauto.a"},
	.ret = -1,
	.stderr_re = {"^app-data.o: error: app-data.o \\(compartment 'app'\\) uses variable "
		      "'lib_counter' of libauto.a \\(library 'lib', compartment 'sb'\\); a gate "
		      "can carry calls across compartments, not variables. Mark it shared \\(add "
		      "'shared_data: \\[lib_counter\\]' to library 'lib' in flexos.yaml\\) or put "
		      "both libraries in one compartment$"},
    },
    {
	.name = "none: a variable used across compartments is allowed",
	.yaml = TWO("none") LIB,
	.argv = {"app-data.o", "libauto.a"},
	.xrefs = {APP_CALLS("app-data.o"),
		  {"lib_counter", "app-data.o", "libauto.a", false, false, 1}},
    },
    {
	.name = "shared_data moves the variable's section to the shared section",
	.yaml = TWO("process") LIB "  shared_data: [lib_counter]\n",
	.argv = {"app-data.o", "libauto.a"},
	.stderr_re = {NOTE_CB("app-data.o")},
	.gates = {APP_GATES},
	.xrefs = {APP_CALLS("app-data.o"),
		  {"lib_counter", "app-data.o", "libauto.a", false, true, 1}},
	.shared = {{"lib_counter", "libauto.a", "lib.o", ".bss.lib_counter"}},
	.objcopy = {APP_COPY("app-data.o")},
    },
    {
	.name = "none: shared_data moves nothing",
	.yaml = TWO("none") LIB "  shared_data: [lib_counter]\n",
	.argv = {"app-data.o", "libauto.a"},
	.xrefs = {APP_CALLS("app-data.o"),
		  {"lib_counter", "app-data.o", "libauto.a", false, true, 1}},
    },
    {
	.name = "a FLEXOS_SHARED variable is shared already",
	.yaml = TWO("process") LIB,
	.argv = {"app-shvar.o", "libauto.a"},
	.stderr_re = {NOTE_CB("app-shvar.o")},
	.gates = {APP_GATES},
	.xrefs = {APP_CALLS("app-shvar.o"),
		  {"lib_shvar", "app-shvar.o", "libauto.a", false, true, 1}},
	.objcopy = {APP_COPY("app-shvar.o")},
    },
    {
	.name = "shared_data refuses a variable that shares its section",
	.yaml = TWO(
	    "process") "- lib: sb\n  inputs: [packed/libauto.a]\n  shared_data: [lib_counter]\n",
	.argv = {"app-data.o", "packed/libauto.a"},
	.ret = -1,
	.stderr_re = {"^flexos.yaml:10:17: error: 'lib_counter' of library 'lib' shares section "
		      "'.bss' of packed/libauto.a\\(lib.o\\) with [1-9][0-9]* other symbols, so it "
		      "cannot be moved alone to the shared section; rebuild the library with "
		      "-fdata-sections"},
    },
    {
	.name = "a crossing call to a name with a newline or '=' is refused, the name escaped",
	.yaml = TWO("intel-mpk") "- lib: sb\n  inputs: [libevil.a]\n",
	.argv = {"evilapp.o", "libevil.a"},
	.ret = -1,
	.stderr_re =
	    {"^evilapp.o: error: evilapp.o \\(compartment 'app'\\) calls "
	     "\"evil\\\\n\\\\twrpkru\\\\n_\" of libevil.a \\(library 'lib', compartment 'sb'\\), "
	     "but that name cannot be given a gate",
	     "^evilapp.o: error: .* calls \"evil=eq\" of libevil.a .*only letters, "
	     "digits, '_', '.' and '\\$'"},
    },
    {
	.name = "under none a hostile name crosses nothing that is generated",
	.yaml = TWO("none") "- lib: sb\n  inputs: [libevil.a]\n",
	.argv = {"evilapp.o", "libevil.a"},
	.xrefs = {{"evil\n\twrpkru\n_", "evilapp.o", "libevil.a", true, false, 1},
		  {"evil=eq", "evilapp.o", "libevil.a", true, false, 1}},
    },
    {
	.name = "shared_data refuses a common symbol",
	.yaml = TWO(
	    "process") "- lib: sb\n  inputs: [common/libauto.a]\n  shared_data: [lib_counter]\n",
	.argv = {"app-data.o", "common/libauto.a"},
	.ret = -1,
	.stderr_re = {"^flexos.yaml:10:17: error: 'lib_counter' of library 'lib' is a common "
		      "symbol in common/libauto.a, which cannot be moved to the shared section; "
		      "compile the library with -fno-common"},
    },
    {
	.name = "shared_data must name a variable, not a function",
	.yaml = TWO("process") LIB "  shared_data: [lib_work]\n",
	.argv = {"app.o", "libauto.a"},
	.ret = -1,
	.stderr_re = {"^flexos.yaml:10:17: error: shared_data 'lib_work' of library 'lib' is "
		      "not a global variable defined by an input of that library; check the "
		      "name$"},
    },
    {
	.name = "none: shared_data must still name a variable of the library",
	.yaml = TWO("none") LIB "  shared_data: [lib_counter, nope]\n",
	.argv = {"app.o", "libauto.a"},
	.ret = -1,
	.stderr_re = {"^flexos.yaml:10:30: error: shared_data 'nope' of library 'lib'"},
    },
    {
	.name = "callbacks: a stub for the listed function, its object renamed",
	.yaml = TWO("process") "- app: app\n  inputs: [app.o]\n  callbacks: [app_callback]\n" LIB,
	.argv = {"app.o", "libauto.a"},
	.inputs = {{"app.o", "app", "app", FLP_OBJECT}, {"libauto.a", "sb", "lib", FLP_ARCHIVE}},
	.gates = {APP_GATES,
		  {CB, "app", LFX_AUTO | LFX_CALLBACK, "", "__flexos_cbfn__app__app_callback"}},
	.xrefs = {APP_CALLS("app.o")},
	.objcopy = {APP_COPY("app.o"), CB_COPY},
    },
    {
	.name = "none: a listed callback is the function itself",
	.yaml = TWO("none") "- app: app\n  inputs: [app.o]\n  callbacks: [app_callback]\n" LIB,
	.argv = {"app.o", "libauto.a"},
	.xrefs = {APP_CALLS("app.o")},
    },
    {
	.name = "a callback called by name from another compartment goes through its stub",
	.yaml = TWO("process") "- app: app\n  inputs: [app.o]\n  callbacks: [app_callback]\n"
			       "- cl: sb\n  inputs: [caller.o]\n",
	.argv = {"app.o", "caller.o"},
	.gates = {{CB, "app", LFX_AUTO | LFX_CALLBACK, "", "__flexos_cbfn__app__app_callback"}},
	.xrefs = {{"app_callback", "caller.o", "app.o", true, false, 1}},
	.objcopy = {CB_COPY, {"caller.o", "--redefine-sym=app_callback=" CB}},
    },
    {
	.name = "a gate into an input no library claims names its compartment",
	.yaml = TWO("process") "- cl: sb\n  inputs: [caller.o]\n",
	.argv = {"app.o", "caller.o"},
	.gates = {{"__flexos_gate__app__app_callback", "app", LFX_AUTO, "sb", "app_callback"}},
	.xrefs = {{"app_callback", "caller.o", "app.o", true, false, 1}},
	.objcopy = {{"caller.o", "--redefine-sym=app_callback=__flexos_gate__app__app_callback"}},
    },
    {
	.name = "a callback must be a function of its library",
	.yaml = TWO("process") LIB "  callbacks: [lib_counter]\n",
	.argv = {"app.o", "libauto.a"},
	.ret = -1,
	.stderr_re = {"^flexos.yaml:10:15: error: callback 'lib_counter' of library 'lib' is "
		      "not a function defined by an input of that library"},
    },
    {
	/* objcopy applies its options to every member: the symbols go to lib_apply's alone. */
	.name =
	    "a callback defined in an archive: renamed in the archive, its symbols in its member",
	.yaml = TWO("process") LIB "  callbacks: [lib_apply]\n",
	.argv = {"app.o", "libauto.a"},
	.stderr_re = {NOTE_CB("app.o")},
	.gates = {{G_WORK, "sb", LFX_AUTO, "app", "lib_work"},
		  {"__flexos_cb__lib__lib_apply", "sb", LFX_AUTO | LFX_CALLBACK, "",
		   "__flexos_cbfn__lib__lib_apply"}},
	.xrefs = {APP_CALLS("app.o")},
	.objcopy = {{"app.o", "--redefine-sym=lib_work=" G_WORK},
		    {"app.o", "--redefine-sym=lib_apply=__flexos_cb__lib__lib_apply"},
		    {"libauto.a", "--redefine-sym=lib_apply=__flexos_cb__lib__lib_apply"},
		    {"libauto.a", "--weaken-symbol=__flexos_cb__lib__lib_apply"}},
    },
    {
	.name = "a variable of an input no library claims is refused",
	.yaml = TWO("process") "- rd: sb\n  inputs: [reader.o]\n",
	.argv = {"app.o", "reader.o"},
	.ret = -1,
	.stderr_re = {"^reader.o: error: reader.o \\(library 'rd', compartment 'sb'\\) uses "
		      "variable 'app_global' of app.o \\(compartment 'app'\\); .* Mark it shared "
		      "\\(declare a library for app.o in flexos.yaml and add 'shared_data: "
		      "\\[app_global\\]' to it\\) or put both in one compartment$"},
    },
    {
	.name = "sandbox_of: the host's calls into its sandbox are gated",
	.yaml = SANDBOX("process") LIB,
	.argv = {"app.o", "libauto.a"},
	.stderr_re = {NOTE_CB("app.o")},
	.gates = {APP_GATES},
	.xrefs = {APP_CALLS("app.o")},
	.objcopy = {APP_COPY("app.o")},
    },
    {
	/* The host may read and write its sandbox's data and bss (libxml2's xmlFree). */
	.name = "sandbox_of: the host naming its sandbox's variable needs no gate",
	.yaml = SANDBOX("intel-mpk") LIB,
	.argv = {"app-data.o", "libauto.a"},
	.stderr_re = {NOTE_CB("app-data.o")},
	.gates = {APP_GATES},
	.xrefs = {APP_CALLS("app-data.o"),
		  {"lib_counter", "app-data.o", "libauto.a", false, false, 1}},
	.objcopy = {APP_COPY("app-data.o")},
    },
    {
	.name = "sandbox_of: the sandbox naming the host's variable is refused",
	.yaml = SANDBOX("process") "- rd: sb\n  inputs: [reader.o]\n",
	.argv = {"app.o", "reader.o"},
	.ret = -1,
	.stderr_re = {"uses variable 'app_global' of app.o \\(compartment 'app'\\)"},
    },
    {
	.name = "a call into a claimed shared library is gated; its variables are the loader's",
	.yaml = TWO("process") "- shl: sb\n",
	.argv = {"app-shl.o", "libshl.so"},
	.inputs = {{"app-shl.o", "app", NULL, FLP_OBJECT}, {"libshl.so", "sb", "shl", FLP_SHARED}},
	.gates = {{"__flexos_gate__shl__shl_work", "sb", LFX_AUTO | LFX_SHLIB, "app", "shl_work"}},
	.xrefs = {{"shl_work", "app-shl.o", "libshl.so", true, false, 1}},
	.objcopy = {{"app-shl.o", "--redefine-sym=shl_work=__flexos_gate__shl__shl_work"}},
    },
    {
	.name = "a shared library no library claims is the platform's: nothing crosses",
	.yaml = TWO("process") LIB,
	.argv = {"app-shl.o", "libshl.so", "libauto.a"},
	.inputs = {{"app-shl.o", "app", NULL, FLP_OBJECT},
		   {"libshl.so", "app", NULL, FLP_SHARED},
		   {"libauto.a", "sb", "lib", FLP_ARCHIVE}},
    },
    {
	.name = "a shared library calling another compartment is refused",
	.yaml = TWO("process") "- shlcb: sb\n",
	.argv = {"app-shlcb.o", "libshlcb.so"},
	.ret = -1,
	.stderr_re = {"^libshlcb.so: error: shared library libshlcb.so \\(library 'shlcb', "
		      "compartment 'sb'\\) calls 'app_local' of app-shlcb.o \\(compartment "
		      "'app'\\), but the calls of a shared library cannot be routed through a "
		      "gate; link its static archive instead"},
    },
    {
	.name = "a shared library calling a callback by name is refused",
	.yaml = TWO("process") "- app: app\n  inputs: [app-shlcb.o]\n  callbacks: [app_local]\n"
			       "- shlcb: sb\n",
	.argv = {"app-shlcb.o", "libshlcb.so"},
	.ret = -1,
	.stderr_re = {"^libshlcb.so: error: shared library libshlcb.so calls callback "
		      "'app_local' of library 'app' by name, which cannot be routed through its "
		      "stub"},
    },
};

START_TEST(xref_case)
{
	struct lfx_run r;

	lfx_check(&cases[_i], &r);
	ck_assert_msg(r.plan.scanned, "%s: the plan was not scanned", cases[_i].name);
	lfx_free(&r);
}
END_TEST

/* --explain of one case: lines that must appear, in this order. */
struct explain_case {
	const char *name; /* of a row of cases[] */
	const char *lines[8];
};

static const struct explain_case explained[] = {
    {"shared_data moves the variable's section to the shared section",
     {"^cross-compartment references \\(flexos.yaml, mechanism process\\):$",
      "^kind +from \\[compartment/library\\] +to \\[compartment/library\\] +symbol +refs  "
      "resolved as$",
      "^call +app-data.o \\[app\\] +libauto.a \\[sb/lib\\] +lib_work +1  gate$",
      "^call +app-data.o \\[app\\] +libauto.a \\[sb/lib\\] +lib_apply +1  gate$",
      "^data +app-data.o \\[app\\] +libauto.a \\[sb/lib\\] +lib_counter +1  shared section$",
      "^total: 2 calls \\(2 references\\) and 1 variables \\(1 references\\) cross "
      "compartments; 2 automatic gates, 0 callback stubs$"}},
    /* A refused link is explained too: main.c prints it when flp_build fails. */
    {"a variable used across compartments is refused with its name",
     {"^call +app-data.o \\[app\\] +libauto.a \\[sb/lib\\] +lib_work +1  gate$",
      "^data +app-data.o \\[app\\] +libauto.a \\[sb/lib\\] +lib_counter +1  ERROR: not "
      "shared$",
      "^total: 2 calls \\(2 references\\) and 1 variables"}},
    {"none: a variable used across compartments is allowed",
     {"^cross-compartment references \\(flexos.yaml, mechanism none\\):$",
      "^call +app-data.o \\[app\\] +libauto.a \\[sb/lib\\] +lib_work +1  direct \\(nothing "
      "isolates\\)$",
      "^data +app-data.o \\[app\\] +libauto.a \\[sb/lib\\] +lib_counter +1  direct "
      "\\(nothing isolates\\)$",
      "; 0 automatic gates, 0 callback stubs$"}},
    {"references are counted per relocation",
     {"^call +app-many.o \\[app\\] +libauto.a \\[sb/lib\\] +lib_work +3  gate$",
      "^total: 2 calls \\(4 references\\) and 0 variables \\(0 references\\)"}},
    {"a callback called by name from another compartment goes through its stub",
     {"^call +caller.o \\[sb/cl\\] +app.o \\[app/app\\] +app_callback +1  callback stub$",
      "^total: 1 calls \\(1 references\\) and 0 variables \\(0 references\\) cross "
      "compartments; 0 automatic gates, 1 callback stubs$"}},
};

START_TEST(explains)
{
	const struct explain_case *e = &explained[_i];
	const struct lfx_case *c = NULL;
	struct lfx_run r;
	char *text = NULL;
	size_t len;

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]) && !c; k++)
		if (!strcmp(cases[k].name, e->name))
			c = &cases[k];
	ck_assert_msg(c, "no case '%s'", e->name);
	lfx_check(c, &r);
	FILE *f = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(flx_explain(f, &r.plan), 0);
	fclose(f);
	const char *at = text;
	for (size_t k = 0; k < 8 && e->lines[k]; k++) {
		ck_assert_msg(
		    lfx_matches(at, e->lines[k]),
		    "%s: --explain has no line matching /%s/ after the previous ones:\n%s", c->name,
		    e->lines[k], text);
		/* The next line must come after the first line that matches this one. */
		while (*at) {
			const char *nl = strchr(at, '\n');
			char *line = strndup(at, nl ? (size_t)(nl - at) : strlen(at));
			bool m = lfx_matches(line, e->lines[k]);
			free(line);
			at = nl ? nl + 1 : at + strlen(at);
			if (m)
				break;
		}
	}
	free(text);
	lfx_free(&r);
}
END_TEST

static void setup(void)
{
	lfx_dir();
}

Suite *xref_suite(void)
{
	Suite *s = suite_create("xref");
	TCase *tc = tcase_create("cases");

	tcase_add_unchecked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, xref_case, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_loop_test(tc, explains, 0, sizeof(explained) / sizeof(explained[0]));
	suite_add_tcase(s, tc);
	return s;
}
