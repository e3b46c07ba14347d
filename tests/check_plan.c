/*
 * Tests of flexos-link's planner (tools/flexos-link/plan.c): which
 * compartment and library every input goes to, how flexos_gate and
 * flexos_callback gates are resolved, which backend archive is linked,
 * and what is refused. One row per case, on inputs compiled at test time
 * (link_fixture.c).
 */
#include <check.h>
#include <string.h>

#include "link_fixture.h"
#include "suites.h"

/* Two compartments, app (the default) and lib, with one mechanism. */
#define TWO(mech)                                                         \
	"compartments:\n- app:\n  mechanism: " mech "\n  default: true\n" \
	"- lib:\n  mechanism: " mech "\nlibraries:\n"

#define GATE_FOO "__flexos_gate__foo__foo_work"

static const struct lfx_case cases[] = {
    {
	.name = "unclaimed inputs go to the default compartment",
	.yaml = TWO("none") "- foo: lib\n  inputs: [libfoo.a]\n",
	.argv = {"gated.o", "libfoo.a", "util.o"},
	.inputs = {{"gated.o", "app", NULL, FLP_OBJECT, "gated.o"},
		   {"libfoo.a", "lib", "foo", FLP_ARCHIVE, "libfoo.a"},
		   {"util.o", "app", NULL, FLP_OBJECT}},
	.gates = {{GATE_FOO, "lib", LFX_DIRECT, "app", "foo_work"}},
    },
    {
	.name = "a library without inputs claims lib<name>.a",
	.yaml = TWO("process") "- foo: lib\n",
	.argv = {"gated.o", "libfoo.a", "util.o"},
	.inputs = {{"gated.o", "app", NULL, FLP_OBJECT},
		   {"libfoo.a", "lib", "foo", FLP_ARCHIVE},
		   {"util.o", "app", NULL, FLP_OBJECT}},
	.gates = {{GATE_FOO, "lib", 0, "app", "foo_work"}},
    },
    {
	.name = "a library without inputs claims lib<name>.so",
	.yaml = TWO("process") "- bar: lib\n",
	.argv = {"util.o", "libbar.so"},
	.inputs = {{"util.o", "app", NULL, FLP_OBJECT}, {"libbar.so", "lib", "bar", FLP_SHARED}},
    },
    {
	.name = "a library of another compartment that matches nothing is a warning",
	.yaml = TWO("none") "- baz: lib\n",
	.argv = {"util.o"},
	.stderr_re = {"^flexos.yaml:8:3: warning: no input matches library 'baz' \\(it lists "
		      "no inputs, and no baz.a, libbaz.a or -lbaz was given\\), so nothing is "
		      "placed in compartment 'lib' for it; add 'inputs:' to it$"},
	.inputs = {{"util.o", "app", NULL, FLP_OBJECT}},
    },
    {
	.name = "a library of the default compartment may match nothing",
	.yaml = TWO("none") "- baz: app\n",
	.argv = {"util.o"},
	.inputs = {{"util.o", "app", NULL, FLP_OBJECT}},
    },
    {
	.name = "a glob with a directory matches the argument",
	.yaml = TWO("process") "- parts: lib\n  inputs: [\"sub/*.o\"]\n",
	.argv = {"util.o", "sub/one.o", "sub/two.o"},
	.inputs = {{"util.o", "app", NULL, FLP_OBJECT},
		   {"sub/one.o", "lib", "parts", FLP_OBJECT},
		   {"sub/two.o", "lib", "parts", FLP_OBJECT}},
    },
    {
	.name = "a pattern without a directory matches the file name",
	.yaml = TWO("process") "- parts: lib\n  inputs: [one.o]\n",
	.argv = {"sub/one.o", "sub/two.o"},
	.inputs = {{"sub/one.o", "lib", "parts", FLP_OBJECT},
		   {"sub/two.o", "app", NULL, FLP_OBJECT}},
    },
    {
	.name = "a glob on the file name claims an archive",
	.yaml = TWO("intel-mpk") "- foo: lib\n  inputs: [\"*.a\"]\n",
	.argv = {"gated.o", "libfoo.a"},
	.inputs = {{"gated.o", "app", NULL, FLP_OBJECT}, {"libfoo.a", "lib", "foo", FLP_ARCHIVE}},
	.gates = {{GATE_FOO, "lib", 0, "app"}},
    },
    {
	.name = "a pattern with a directory does not match the file name alone",
	.yaml = TWO("process") "- parts: lib\n  inputs: [other/one.o]\n",
	.argv = {"sub/one.o"},
	.ret = -1,
	.stderr_re = {"^flexos.yaml:9:12: error: no input given to flexos-link matches the "
		      "inputs of library 'parts'; check the patterns"},
	.inputs = {{"sub/one.o", "app", NULL, FLP_OBJECT}},
    },
    {
	.name = "a gate symbol with a newline is refused before it reaches the stubs",
	.yaml = TWO("intel-mpk") "- foo: lib\n  inputs: [libfoo.a]\n",
	.argv = {"evilgate.o", "libfoo.a"},
	.ret = -1,
	.stderr_re = {"^evilgate.o: error: gate symbol "
		      "\"__flexos_gate__foo__foo_work\\\\n\\\\twrpkru\\\\n_\" holds characters"},
    },
    {
	.name = "a gate within one compartment is the direct call",
	.yaml = TWO("process") "- foo: app\n  inputs: [libfoo.a]\n",
	.argv = {"gated.o", "libfoo.a"},
	.inputs = {{"gated.o", "app", NULL, FLP_OBJECT}, {"libfoo.a", "app", "foo", FLP_ARCHIVE}},
	.gates = {{GATE_FOO, "app", LFX_DIRECT, "app", "foo_work"}},
    },
    {
	.name = "intel-mpk: a gate across compartments is a backend gate",
	.yaml = TWO("intel-mpk") "- foo: lib\n  inputs: [libfoo.a]\n",
	.argv = {"gated.o", "libfoo.a"},
	.gates = {{GATE_FOO, "lib", 0, "app", "foo_work"}},
    },
    {
	.name = "process: a gate across compartments is a backend gate",
	.yaml = TWO("process") "- foo: lib\n  inputs: [libfoo.a]\n",
	.argv = {"gated.o", "libfoo.a"},
	.gates = {{GATE_FOO, "lib", 0, "app", "foo_work"}},
    },
    {
	.name = "none: a gate across compartments is the direct call",
	.yaml = TWO("none") "- foo: lib\n  inputs: [libfoo.a]\n",
	.argv = {"gated.o", "libfoo.a"},
	.gates = {{GATE_FOO, "lib", LFX_DIRECT, "app", "foo_work"}},
    },
    {
	.name = "a callback gate enters its compartment even from inside it",
	.yaml = TWO("process") "- app: app\n",
	.argv = {"cbuser.o"},
	.inputs = {{"cbuser.o", "app", NULL, FLP_OBJECT}},
	.gates = {{"__flexos_cb__app__my_cb", "app", LFX_CALLBACK, "app",
		   "__flexos_cbfn__app__my_cb"}},
    },
    {
	.name = "none: a callback gate is the function",
	.yaml = TWO("none") "- app: app\n",
	.argv = {"cbuser.o"},
	.gates = {{"__flexos_cb__app__my_cb", "app", LFX_DIRECT | LFX_CALLBACK, "app",
		   "__flexos_cbfn__app__my_cb"}},
    },
    {
	.name = "one compartment: every gate is direct, callbacks too",
	.yaml = "compartments:\n- app:\n  mechanism: process\nlibraries:\n- app: app\n",
	.argv = {"cbuser.o"},
	.gates = {{"__flexos_cb__app__my_cb", "app", LFX_DIRECT | LFX_CALLBACK, "app"}},
    },
    {
	.name = "the longest library name wins in a gate symbol",
	.yaml = TWO("process") "- foo: app\n  inputs: [libfoo.a]\n"
			       "- foo__bar: lib\n  inputs: [-lbaz]\n",
	.argv = {"longest.o", "libfoo.a", "-LL", "-lbaz"},
	.inputs = {{"longest.o", "app", NULL, FLP_OBJECT},
		   {"libfoo.a", "app", "foo", FLP_ARCHIVE},
		   {"-lbaz", "lib", "foo__bar", FLP_ARCHIVE, "L/libbaz.a"}},
	.gates = {{"__flexos_gate__foo__bar__baz_work", "lib", 0, "app", "baz_work"}},
    },
    {
	.name = "a gate to a function of a shared library",
	.yaml = TWO("process") "- bar: lib\n",
	.argv = {"gatebar.o", "libbar.so"},
	.inputs = {{"gatebar.o", "app", NULL, FLP_OBJECT}, {"libbar.so", "lib", "bar", FLP_SHARED}},
	.gates = {{"__flexos_gate__bar__bar_work", "lib", LFX_SHLIB, "app", "bar_work"}},
    },
    {
	.name = "none: a gate to a shared library is direct",
	.yaml = TWO("none") "- bar: lib\n",
	.argv = {"gatebar.o", "libbar.so"},
	.gates = {{"__flexos_gate__bar__bar_work", "lib", LFX_DIRECT | LFX_SHLIB, "app"}},
    },
    {
	.name = "-lNAME is found in a -L directory",
	.yaml = TWO("process") "- baz: lib\n",
	.argv = {"util.o", "-LL", "-lbaz"},
	.inputs = {{"util.o", "app", NULL, FLP_OBJECT},
		   {"-lbaz", "lib", "baz", FLP_ARCHIVE, "L/libbaz.a"}},
    },
    {
	.name = "-L DIR and -l NAME as separate arguments",
	.yaml = TWO("process") "- baz: lib\n",
	.argv = {"util.o", "-L", "L", "-l", "baz"},
	.inputs = {{"util.o", "app", NULL, FLP_OBJECT},
		   {"baz", "lib", "baz", FLP_ARCHIVE, "L/libbaz.a"}},
    },
    {
	.name = "-lNAME as a pattern",
	.yaml = TWO("process") "- mine: lib\n  inputs: [-lbaz]\n",
	.argv = {"util.o", "-LL", "-lbaz"},
	.inputs = {{"util.o", "app", NULL, FLP_OBJECT},
		   {"-lbaz", "lib", "mine", FLP_ARCHIVE, "L/libbaz.a"}},
    },
    {
	.name = "-lNAME as a pattern claims -l NAME",
	.yaml = TWO("process") "- mine: lib\n  inputs: [-lbaz]\n",
	.argv = {"util.o", "-L", "L", "-l", "baz"},
	.inputs = {{"util.o", "app", NULL, FLP_OBJECT},
		   {"baz", "lib", "mine", FLP_ARCHIVE, "L/libbaz.a"}},
    },
    {
	.name = "-lNAME finds a shared library",
	.yaml = TWO("process") "- qux: lib\n",
	.argv = {"util.o", "-LL", "-lqux"},
	.inputs = {{"util.o", "app", NULL, FLP_OBJECT},
		   {"-lqux", "lib", "qux", FLP_SHARED, "L/libqux.so"}},
    },
    {
	.name = "-lNAME prefers the shared library, as ld does",
	.yaml = TWO("process") "- both: lib\n",
	.argv = {"-LL", "-lboth"},
	.inputs = {{"-lboth", "lib", "both", FLP_SHARED, "L/libboth.so"}},
    },
    {
	.name = "-Wl,-Bstatic makes -lNAME prefer the archive",
	.yaml = TWO("process") "- both: lib\n",
	.argv = {"-LL", "-Wl,-Bstatic", "-lboth"},
	.inputs = {{"-lboth", "lib", "both", FLP_ARCHIVE, "L/libboth.a"}},
    },
    {
	.name = "-Wl,-Bdynamic after -static prefers the shared library again",
	.yaml = TWO("process") "- both: lib\n",
	.argv = {"-static", "-LL", "-Wl,-Bdynamic", "-lboth"},
	.inputs = {{"-lboth", "lib", "both", FLP_SHARED, "L/libboth.so"}},
    },
    {
	.name = "a -l library that is not found is left to the linker",
	.yaml = TWO("process") "- foo: lib\n  inputs: [libfoo.a]\n",
	.argv = {"libfoo.a", "-LL", "-lnosuch"},
	.inputs = {{"libfoo.a", "lib", "foo", FLP_ARCHIVE},
		   {"-lnosuch", "app", NULL, FLP_UNFOUND, ""}},
    },
    {
	.name = "a -l library that is a linker script is left to the linker",
	.yaml = TWO("process") "- foo: lib\n  inputs: [libfoo.a]\n",
	.argv = {"libfoo.a", "-lm"},
	.inputs = {{"libfoo.a", "lib", "foo", FLP_ARCHIVE}, {"-lm", "app", NULL, FLP_UNFOUND}},
    },
    {
	.name = "libflexos and its components are the platform",
	.yaml = TWO("process") "- foo: lib\n  inputs: [\"lib*.a\"]\n",
	.argv = {"libfoo.a", "libflexos.a", "-lflexos", "-lflexos-sched"},
	.inputs = {{"libfoo.a", "lib", "foo", FLP_ARCHIVE},
		   {"libflexos.a", "-", NULL, FLP_RUNTIME},
		   {"-lflexos", "-", NULL, FLP_RUNTIME},
		   {"-lflexos-sched", "-", NULL, FLP_RUNTIME}},
    },
    {
	.name = "-lflexos-lwip is a component archive: a library claims it",
	.yaml = TWO("process") "- lwip: lib\n  inputs: [-lflexos-lwip]\n",
	.argv = {"util.o", "-lflexos-lwip"},
	.inputs = {{"util.o", "app", NULL, FLP_OBJECT},
		   {"-lflexos-lwip", "lib", "lwip", FLP_UNFOUND, ""}},
    },
    {
	.name = "lwIP's sys_arch on the scheduler goes where lwIP's driver goes",
	.yaml = TWO("intel-mpk") "- lwip: lib\n  inputs: [libflexos-lwip.a]\n",
	.argv = {"util.o", "libflexos-lwip.a", "libflexos-lwip-sched.a"},
	.inputs = {{"util.o", "app", NULL, FLP_OBJECT},
		   {"libflexos-lwip.a", "lib", "lwip", FLP_ARCHIVE},
		   {"libflexos-lwip-sched.a", "lib", "lwip", FLP_ARCHIVE}},
    },
    {
	.name = "a library that claims lwIP's sys_arch keeps it",
	.yaml = TWO("intel-mpk") "- lwip: lib\n  inputs: [libflexos-lwip.a]\n"
				 "- glue: app\n  inputs: [libflexos-lwip-sched.a]\n",
	.argv = {"libflexos-lwip.a", "libflexos-lwip-sched.a"},
	.inputs = {{"libflexos-lwip.a", "lib", "lwip", FLP_ARCHIVE},
		   {"libflexos-lwip-sched.a", "app", "glue", FLP_ARCHIVE}},
    },
    {
	.name = "-lflexos-process is the process backend",
	.yaml = TWO("process") "- foo: lib\n  inputs: [libfoo.a]\n",
	.argv = {"libfoo.a", "-lflexos-process"},
	.backend = "flexos-process",
	.inputs = {{"libfoo.a", "lib", "foo", FLP_ARCHIVE},
		   {"-lflexos-process", "-", NULL, FLP_RUNTIME}},
    },
    {
	.name = "-lflexos-mpk is the intel-mpk backend",
	.yaml = TWO("intel-mpk") "- foo: lib\n  inputs: [libfoo.a]\n",
	.argv = {"libfoo.a", "-lflexos-mpk"},
	.backend = "flexos-mpk",
    },
    {
	.name = "-lflexos-none is the none backend",
	.yaml = TWO("none") "- foo: lib\n  inputs: [libfoo.a]\n",
	.argv = {"-lflexos-none", "libfoo.a"},
	.backend = "flexos-none",
    },
    {
	.name = "a backend that contradicts the mechanism is refused",
	.yaml = TWO("process") "- foo: lib\n  inputs: [libfoo.a]\n",
	.argv = {"libfoo.a", "-lflexos-mpk"},
	.ret = -1,
	.backend = "flexos-mpk",
	.stderr_re = {"^flexos-link: error: -lflexos-mpk links the 'mpk' backend, but "
		      "flexos.yaml asks for mechanism 'process'; drop the -l option"},
    },
    {
	.name = "the none backend under intel-mpk is refused",
	.yaml = TWO("intel-mpk") "- foo: lib\n  inputs: [libfoo.a]\n",
	.argv = {"libfoo.a", "-lflexos-none"},
	.ret = -1,
	.backend = "flexos-none",
	.stderr_re = {"-lflexos-none links the 'none' backend, but flexos.yaml asks for "
		      "mechanism 'intel-mpk'"},
    },
    {
	.name = "an input two libraries claim is refused",
	.yaml = TWO("process") "- a: lib\n  inputs: [libfoo.a]\n"
			       "- b: app\n  inputs: [\"lib*.a\"]\n",
	.argv = {"libfoo.a"},
	.ret = -1,
	.stderr_re = {"^flexos.yaml:11:12: error: input 'libfoo.a' is claimed by library "
		      "'b' and by library 'a' \\(line 8\\); make the patterns disjoint$"},
    },
    {
	.name = "a library whose inputs match nothing is refused",
	.yaml = TWO("process") "- foo: lib\n  inputs: [util.o, missing.a]\n",
	.argv = {"gated.o"},
	.ret = -1,
	.stderr_re = {"^flexos.yaml:9:12: error: no input given to flexos-link matches the "
		      "inputs of library 'foo'"},
    },
    {
	.name = "an unreadable input is refused",
	.yaml = TWO("none"),
	.argv = {"util.o", "nosuch.o"},
	.ret = -1,
	.stderr_re = {"^flexos-link: nosuch.o: cannot read this input: No such file or "
		      "directory$"},
    },
    {
	.name = "an input that is not ELF is refused",
	.yaml = TWO("none"),
	.argv = {"notes.txt"},
	.ret = -1,
	.stderr_re = {"^flexos-link: notes.txt: not an object file, static archive or "
		      "shared library; .*compile sources with 'cc -c' first$"},
    },
    {
	.name = "a path a linker script cannot name is refused",
	.yaml = TWO("none"),
	.argv = {"odd,name.o"},
	.ret = -1,
	.stderr_re = {"^flexos-link: odd,name.o: the path contains ',', which a linker "
		      "script cannot name; rename or move the file$"},
    },
    {
	.name = "a gate naming a library the config lacks is refused",
	.yaml = TWO("process") "- foo: lib\n  inputs: [libfoo.a]\n",
	.argv = {"nolib.o", "libfoo.a"},
	.ret = -1,
	.stderr_re = {"^nolib.o: error: flexos_gate\\(nolib, \\.\\.\\.\\) names library "
		      "'nolib', which flexos.yaml does not list; add it under "
		      "'libraries:'$"},
    },
    {
	.name = "a gate naming the wrong library is refused",
	.yaml = TWO("process") "- foo: lib\n  inputs: [libfoo.a]\n",
	.argv = {"wronglib.o", "util.o", "libfoo.a"},
	.ret = -1,
	.stderr_re = {"^wronglib.o: error: a gate names 'util_fn' of library 'foo', but "
		      "'util_fn' is defined in util.o, which belongs to the default "
		      "compartment; name the right library in the gate$"},
    },
    {
	.name = "a gate naming another library's function is refused",
	.yaml = TWO("process") "- foo: lib\n  inputs: [libfoo.a]\n- u: lib\n  inputs: [util.o]\n",
	.argv = {"wronglib.o", "util.o", "libfoo.a"},
	.ret = -1,
	.stderr_re = {"is defined in util.o, which belongs to library 'u'; name the right "
		      "library in the gate$"},
    },
    {
	.name = "a gate into a library that defines nothing is refused",
	.yaml = TWO("process") "- foo: lib\n",
	.argv = {"gated.o"},
	.ret = -1,
	.stderr_re = {"^flexos.yaml:8:3: warning: no input matches library 'foo'",
		      "^gated.o: error: a gate names 'foo_work' of library 'foo', but no "
		      "input of that library defines it; the library lists no inputs: add "
		      "'inputs:' to it in the config$"},
    },
    {
	.name = "a gate into the default compartment's library is left to the linker",
	.yaml = TWO("process") "- foo: app\n",
	.argv = {"gated.o"},
	.inputs = {{"gated.o", "app", NULL, FLP_OBJECT}},
	.gates = {{GATE_FOO, "app", LFX_DIRECT, "app", "foo_work"}},
    },
};

START_TEST(plan_case)
{
	struct lfx_run r;

	lfx_check(&cases[_i], &r);
	lfx_free(&r);
}
END_TEST

/* Claimed shared libraries must allocate from their compartment (main.c). */
START_TEST(counts_claimed_shlibs)
{
	static const struct lfx_case c = {
	    .name = "claimed shared libraries",
	    .yaml = TWO("process") "- bar: lib\n",
	    .argv = {"util.o", "libbar.so", "-LL", "-lqux"},
	};
	struct lfx_run r;

	lfx_check(&c, &r);
	ck_assert_uint_eq(flp_count_claimed_shlibs(&r.plan), 1);
	ck_assert(flp_claimed_shlib(&r.plan.inputs[1]));
	ck_assert(!flp_claimed_shlib(&r.plan.inputs[2]));
	ck_assert(flp_isolates(&r.plan));
	lfx_free(&r);
}
END_TEST

static void setup(void)
{
	lfx_dir();
}

Suite *plan_suite(void)
{
	Suite *s = suite_create("plan");
	TCase *tc = tcase_create("cases");

	tcase_add_unchecked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, plan_case, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, counts_claimed_shlibs);
	suite_add_tcase(s, tc);
	return s;
}
