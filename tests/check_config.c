/*
 * Tests of the flexos.yaml parser (tools/flexos-link/config.c): every
 * accepted form, and every error and warning at its exact line:col.
 */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "config.h"

/* Declared here as well as in the runner, which has no header to share. */
Suite *config_suite(void);

/*
 * The config of the FlexOS tutorial, but for its 'hardening: [cfi, asan]':
 * cfi needs clang (refuses_tutorial_cfi), so comp2 asks for what gcc does.
 */
static const char tutorial[] = "compartments:\n"
			       "- comp1:\n"
			       "  mechanism: intel-mpk\n"
			       "  default: True\n"
			       "- comp2:\n"
			       "  mechanism: intel-mpk\n"
			       "  hardening: [fortify, asan]\n"
			       "libraries:\n"
			       "- libredis: comp1\n"
			       "- libopenjpeg: comp2\n"
			       "- lwip: comp2\n";

static struct flc_config cfg;
static char *out; /* what the parser printed */
static size_t outlen;
static char case_name[96]; /* "row: " of the table row being run, for messages */

static void setup(void)
{
	memset(&cfg, 0, sizeof(cfg));
	out = NULL;
}

static void teardown(void)
{
	flc_free(&cfg);
	free(out);
}

static int parse_len(const char *text, size_t len)
{
	FILE *err;
	int ret;

	free(out);
	out = NULL;
	err = open_memstream(&out, &outlen);
	ck_assert_ptr_nonnull(err);
	ret = flc_parse_string("flexos.yaml", text, len, &cfg, err);
	fclose(err);
	return ret;
}

static int parse(const char *text)
{
	return parse_len(text, strlen(text));
}

/* Lines of the output that contain what. */
static unsigned count(const char *what)
{
	unsigned n = 0;

	for (const char *s = strstr(out, what); s; s = strstr(s + 1, what))
		n++;
	return n;
}

static void expect_output(const char *message)
{
	ck_assert_msg(strstr(out, message), "%sexpected \"%s\" in the output:\n%s", case_name,
		      message, out);
}

/* The config is rejected with exactly this one error (a prefix of it). */
static void expect_error(const char *text, const char *message)
{
	ck_assert_int_eq(parse(text), -1);
	expect_output(message);
	ck_assert_msg(count(": error: ") == 1, "%sexpected one error, got:\n%s", case_name, out);
	ck_assert_ptr_null(cfg.compartments);
	ck_assert_ptr_null(cfg.path);
}

static void expect_ok(const char *text)
{
	ck_assert_msg(parse(text) == 0, "expected success, got:\n%s", out);
	ck_assert_msg(count(": error: ") == 0, "unexpected error:\n%s", out);
}

START_TEST(accepts_heap_size)
{
	expect_ok("compartments:\n- app: {default: true, heap_size: 1G}\n"
		  "- a: {heap_size: 1048577}\n- b: {heap_size: 64MiB}\n- c: {}\n");
	ck_assert_uint_eq(cfg.compartments[0].heap_size, 1ULL << 30);
	ck_assert_uint_eq(cfg.compartments[1].heap_size, (1ULL << 20) + 4096); /* whole pages */
	ck_assert_uint_eq(cfg.compartments[2].heap_size, 64ULL << 20);
	ck_assert_uint_eq(cfg.compartments[3].heap_size, 0); /* the default */
}
END_TEST

START_TEST(accepts_tutorial)
{
	expect_ok(tutorial);
	ck_assert_str_eq(cfg.path, "flexos.yaml");
	ck_assert_uint_eq(cfg.ncompartments, 2);
	ck_assert_str_eq(cfg.compartments[0].name, "comp1");
	ck_assert_uint_eq(cfg.compartments[0].pos.line, 2);
	ck_assert_uint_eq(cfg.compartments[0].pos.col, 3);
	ck_assert_uint_eq(cfg.compartments[0].mechanism_pos.line, 3);
	ck_assert_uint_eq(cfg.compartments[0].mechanism_pos.col, 14);
	ck_assert(cfg.compartments[0].is_default);
	ck_assert(!cfg.compartments[1].is_default);
	ck_assert_int_eq(cfg.mechanism, FLEXOS_MECH_MPK);
	ck_assert_int_eq(cfg.compartments[1].mechanism, FLEXOS_MECH_MPK);
	ck_assert_uint_eq(cfg.default_index, 0);
	ck_assert_uint_eq(cfg.compartments[1].nhardening, 2);
	ck_assert_str_eq(cfg.compartments[1].hardening[0], "fortify");
	ck_assert_str_eq(cfg.compartments[1].hardening[1], "asan");
	ck_assert_uint_eq(cfg.compartments[1].harden, FLEXOS_HARDEN_FORTIFY | FLEXOS_HARDEN_ASAN);
	ck_assert_uint_eq(cfg.compartments[0].harden, 0);
	ck_assert_int_eq(cfg.compartments[1].stack, FLC_STACK_PRIVATE);
	ck_assert_int_eq(cfg.compartments[1].on_crash, FLC_CRASH_ABORT);
	ck_assert_uint_eq(cfg.compartments[0].nlibraries, 1);
	ck_assert_uint_eq(cfg.compartments[1].nlibraries, 2);
	ck_assert_uint_eq(cfg.nlibraries, 3);
	ck_assert_str_eq(cfg.libraries[2].name, "lwip");
	ck_assert_str_eq(cfg.libraries[2].compartment, "comp2");
	ck_assert_uint_eq(cfg.libraries[2].compartment_index, 1);
	ck_assert_uint_eq(cfg.libraries[2].compartment_pos.line, 11);
	ck_assert_uint_eq(cfg.libraries[2].compartment_pos.col, 9);
	ck_assert_uint_eq(cfg.libraries[0].compartment_index, 0);
	ck_assert_uint_eq(cfg.libraries[0].ninputs, 0);
	ck_assert_uint_eq(flc_find_library(&cfg, "libopenjpeg"), 1);
	ck_assert_uint_eq(flc_find_compartment(&cfg, "comp2"), 1);
	ck_assert_uint_eq(flc_find_compartment(&cfg, "comp3"), (size_t)-1);
}
END_TEST

START_TEST(accepts_hardening)
{
	expect_ok("compartments:\n- app: {default: true}\n- c:\n"
		  "  hardening: [stack-protector, ubsan, asan, fortify]\n"
		  "libraries:\n- lib: c\n");
	ck_assert_uint_eq(count(": warning: "), 0);
	const struct flc_compartment *c = &cfg.compartments[1];
	ck_assert_uint_eq(c->harden, FLEXOS_HARDEN_STACK_PROTECTOR | FLEXOS_HARDEN_UBSAN |
					     FLEXOS_HARDEN_ASAN | FLEXOS_HARDEN_FORTIFY);
	/* Each option's position, for flexos-link's refusals of objects. */
	const unsigned col[FLH_NOPTIONS] = {15, 32, 39, 45};
	for (size_t i = 0; i < FLH_NOPTIONS; i++) {
		ck_assert_str_eq(c->hardening[i], flh_options[i].name);
		ck_assert_uint_eq(c->harden_pos[i].line, 4);
		ck_assert_uint_eq(c->harden_pos[i].col, col[i]);
	}
}
END_TEST

START_TEST(refuses_tutorial_cfi)
{
	char *text = strdup(tutorial), *h = strstr(text, "[fortify, asan]");

	memcpy(h, "[cfi,     asan]", 15);
	expect_error(text, "flexos.yaml:7:15: error: hardening 'cfi' of compartment 'comp2' needs "
			   "clang; this version builds with gcc only");
	ck_assert_uint_eq(count(": warning: "), 0);
	free(text);
}
END_TEST

START_TEST(warns_hardening_twice)
{
	expect_ok("compartments:\n- c: {hardening: [ubsan, ubsan]}\n");
	expect_output("flexos.yaml:2:26: warning: hardening 'ubsan' is listed twice");
	ck_assert_uint_eq(cfg.compartments[0].harden, FLEXOS_HARDEN_UBSAN);
	ck_assert_uint_eq(cfg.compartments[0].harden_pos[1].col, 19);
}
END_TEST

START_TEST(accepts_nested_mapping)
{
	expect_ok("compartments:\n"
		  "- comp1: {mechanism: process, default: true, stack: shared}\n"
		  "- comp2:\n"
		  "    mechanism: process\n"
		  "    stack: shared\n"
		  "    on_crash: restart\n"
		  "libraries:\n"
		  "- a: comp2\n");
	ck_assert_uint_eq(cfg.ncompartments, 2);
	ck_assert_int_eq(cfg.mechanism, FLEXOS_MECH_PROCESS);
	ck_assert(cfg.compartments[0].is_default);
	ck_assert_uint_eq(cfg.default_index, 0);
	ck_assert_int_eq(cfg.compartments[0].stack, FLC_STACK_SHARED);
	ck_assert_int_eq(cfg.compartments[1].stack, FLC_STACK_SHARED);
	ck_assert_int_eq(cfg.compartments[1].on_crash, FLC_CRASH_RESTART);
	ck_assert_uint_eq(cfg.compartments[1].mechanism_pos.line, 4);
	ck_assert_uint_eq(cfg.compartments[1].mechanism_pos.col, 16);
	ck_assert_uint_eq(cfg.compartments[1].nlibraries, 1);
	ck_assert_uint_eq(count(": warning: "), 0);
}
END_TEST

START_TEST(accepts_inputs_list)
{
	expect_ok("compartments:\n"
		  "- comp1:\n"
		  "  default: true\n"
		  "- comp2:\n"
		  "libraries:\n"
		  "- libsecret: comp2\n"
		  "  inputs: [libsecret.a, \"build/secret/*.o\"]\n");
	ck_assert_uint_eq(cfg.nlibraries, 1);
	ck_assert_uint_eq(cfg.libraries[0].ninputs, 2);
	ck_assert_str_eq(cfg.libraries[0].inputs[0], "libsecret.a");
	ck_assert_str_eq(cfg.libraries[0].inputs[1], "build/secret/*.o");
	ck_assert_uint_eq(cfg.libraries[0].input_pos[1].line, 7);
	ck_assert_uint_eq(cfg.libraries[0].input_pos[1].col, 25);
	ck_assert_uint_eq(cfg.libraries[0].compartment_index, 1);
	ck_assert_uint_eq(cfg.default_index, 0);
	ck_assert_int_eq(cfg.mechanism, FLEXOS_MECH_NONE);
}
END_TEST

START_TEST(accepts_inputs_scalar)
{
	expect_ok("compartments:\n"
		  "- comp1:\n"
		  "libraries:\n"
		  "- libz: comp1\n"
		  "  inputs: \"-lz\"\n");
	ck_assert_uint_eq(cfg.libraries[0].ninputs, 1);
	ck_assert_str_eq(cfg.libraries[0].inputs[0], "-lz");
	ck_assert_uint_eq(cfg.libraries[0].input_pos[0].line, 5);
	ck_assert_uint_eq(cfg.libraries[0].input_pos[0].col, 11);
}
END_TEST

START_TEST(accepts_single_compartment_unmarked)
{
	expect_ok("compartments:\n- only:\n  mechanism: intel-mpk\n");
	ck_assert_uint_eq(cfg.ncompartments, 1);
	ck_assert(cfg.compartments[0].is_default);
	ck_assert_uint_eq(cfg.default_index, 0);
	ck_assert_int_eq(cfg.mechanism, FLEXOS_MECH_MPK);
	ck_assert_uint_eq(cfg.nlibraries, 0);
	ck_assert_uint_eq(count(": warning: "), 0);
}
END_TEST

START_TEST(accepts_yaml_booleans)
{
	expect_ok("compartments:\n"
		  "- a: {default: no}\n"
		  "- b: {default: On}\n"
		  "- c: {default: off}\n"
		  "libraries:\n"
		  "- x: a\n"
		  "- y: c\n");
	ck_assert(!cfg.compartments[0].is_default);
	ck_assert(cfg.compartments[1].is_default);
	ck_assert(!cfg.compartments[2].is_default);
	ck_assert_uint_eq(cfg.default_index, 1);
}
END_TEST

START_TEST(accepts_empty_libraries)
{
	expect_ok("compartments:\n- comp1: ~\nlibraries: null\n");
	ck_assert_uint_eq(cfg.nlibraries, 0);
	ck_assert_ptr_null(cfg.libraries);
}
END_TEST

START_TEST(accepts_mpk_limit)
{
	char text[2048];
	size_t len = (size_t)sprintf(text, "compartments:\n- c0: {mechanism: intel-mpk, default: true}\n");

	for (int i = 1; i < 15; i++)
		len += (size_t)sprintf(text + len, "- c%d: {mechanism: intel-mpk}\n", i);
	expect_ok(text);
	ck_assert_uint_eq(cfg.ncompartments, 15);
	ck_assert_uint_eq(flexos_mechanism_max(FLEXOS_MECH_MPK), 15);
	ck_assert_uint_eq(count(": warning: "), 14);
}
END_TEST

START_TEST(accepts_libc)
{
	expect_ok("compartments:\n- app: {default: true, libc: glibc}\n- nl: {libc: newlib}\n"
		  "- other: {}\n");
	ck_assert_int_eq(cfg.compartments[0].libc, FLC_LIBC_GLIBC);
	ck_assert_int_eq(cfg.compartments[1].libc, FLC_LIBC_NEWLIB);
	ck_assert_int_eq(cfg.compartments[2].libc, FLC_LIBC_GLIBC);
	ck_assert_uint_eq(flc_count_newlib(&cfg), 1);
	ck_assert_str_eq(flc_libc_name(FLC_LIBC_NEWLIB), "newlib");
}
END_TEST

/*
 * Its own ASan runtime serves a newlib compartment under every backend
 * (under intel-mpk the shadow it reads and writes has its key or the shared
 * key: tests/harden/newlib.sh).
 */
START_TEST(accepts_newlib_asan)
{
	static const char *const mechs[] = {"none", "process", "intel-mpk"};

	for (size_t i = 0; i < 3; i++) {
		char text[256];
		snprintf(text, sizeof(text),
			 "compartments:\n- app: {default: true, mechanism: %s}\n"
			 "- lib: {mechanism: %s, libc: newlib, hardening: [ubsan, asan]}\n",
			 mechs[i], mechs[i]);
		expect_ok(text);
		ck_assert_uint_eq(cfg.compartments[1].harden, FLEXOS_HARDEN_UBSAN | FLEXOS_HARDEN_ASAN);
		ck_assert_int_eq(cfg.compartments[1].libc, FLC_LIBC_NEWLIB);
	}
}
END_TEST

START_TEST(accepts_constants)
{
	expect_ok("compartments:\n- app: {default: true, constants: private}\n"
		  "- lib: {constants: shared}\n- other: {}\n");
	ck_assert(cfg.compartments[0].constants_private);
	ck_assert(!cfg.compartments[1].constants_private);
	ck_assert(!cfg.compartments[2].constants_private);
}
END_TEST

/* newlib compartments deny key 0, so their shared data takes a key: 14 left. */
START_TEST(mpk_limit_with_newlib)
{
	char text[2048];
	size_t len = (size_t)sprintf(text, "compartments:\n- c0: {mechanism: intel-mpk, default: true}\n"
					   "- c1: {mechanism: intel-mpk, libc: newlib}\n");

	for (int i = 2; i < 14; i++)
		len += (size_t)sprintf(text + len, "- c%d: {mechanism: intel-mpk}\n", i);
	expect_ok(text);
	flc_free(&cfg);
	free(out);
	out = NULL;
	sprintf(text + len, "- c14: {mechanism: intel-mpk}\n");
	expect_error(text, "flexos.yaml:16:3: error: too many compartments for intel-mpk with 'libc: newlib': 15 declared, at most 14");
}
END_TEST

START_TEST(parses_file)
{
	char path[] = "/tmp/check_config_XXXXXX";
	int fd = mkstemp(path);
	FILE *err = open_memstream(&out, &outlen);
	/* With a warning, whose message must name the file. */
	char *text = strdup(tutorial), *h = strstr(text, "[fortify, asan]");
	int ret;

	memcpy(h, "[asan,    asan]", 15);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	free(text);
	ret = flc_parse_file(path, &cfg, err);
	fclose(err);
	unlink(path);
	ck_assert_int_eq(ret, 0);
	ck_assert_str_eq(cfg.path, path);
	ck_assert_uint_eq(cfg.nlibraries, 3);
	ck_assert_msg(strncmp(out, path, strlen(path)) == 0, "messages must start with the path:\n%s",
		      out);
}
END_TEST

START_TEST(rejects_missing_file)
{
	FILE *err = open_memstream(&out, &outlen);
	int ret = flc_parse_file("/nonexistent/flexos.yaml", &cfg, err);

	fclose(err);
	ck_assert_int_eq(ret, -1);
	expect_output("/nonexistent/flexos.yaml: error: cannot open the config: No such file");
}
END_TEST

START_TEST(names_mechanisms)
{
	ck_assert_str_eq(flexos_mechanism_name(FLEXOS_MECH_NONE), "none");
	ck_assert_str_eq(flexos_mechanism_name(FLEXOS_MECH_MPK), "intel-mpk");
	ck_assert_str_eq(flexos_mechanism_name(FLEXOS_MECH_PROCESS), "process");
	ck_assert_uint_eq(flexos_mechanism_max(FLEXOS_MECH_NONE), 64);
	ck_assert_uint_eq(flexos_mechanism_max(FLEXOS_MECH_PROCESS), 64);
}
END_TEST

START_TEST(rejects_too_many_mpk)
{
	char text[2048];
	size_t len = (size_t)sprintf(text, "compartments:\n- c0: {mechanism: intel-mpk, default: true}\n");

	for (int i = 1; i < 16; i++)
		len += (size_t)sprintf(text + len, "- c%d: {mechanism: intel-mpk}\n", i);
	expect_error(text,
		     "flexos.yaml:17:3: error: too many compartments for intel-mpk: 16 declared, at most 15 (15 protection keys are available besides key 0");
}
END_TEST

START_TEST(rejects_too_many_process)
{
	char text[4096];
	size_t len = (size_t)sprintf(text, "compartments:\n- c0: {mechanism: process, default: true}\n");

	for (int i = 1; i < 65; i++)
		len += (size_t)sprintf(text + len, "- c%d: {mechanism: process}\n", i);
	expect_error(text,
		     "flexos.yaml:66:3: error: too many compartments for process: 65 declared, at most 64");
}
END_TEST

START_TEST(warns_empty_compartment)
{
	expect_ok("compartments:\n"
		  "- comp1: {default: true}\n"
		  "- comp2:\n"
		  "- comp3:\n"
		  "libraries:\n"
		  "- lwip: comp3\n");
	expect_output("flexos.yaml:3:3: warning: compartment 'comp2' has no library and is not the default");
	ck_assert_uint_eq(count(": warning: "), 1);
}
END_TEST

START_TEST(reports_independent_errors)
{
	ck_assert_int_eq(parse("compartments:\n"
			       "- comp1:\n"
			       "  mechanism: mpx\n"
			       "- comp2:\n"
			       "  mechanism: intel-mpk\n"
			       "  default: maybe\n"
			       "  colour: red\n"
			       "libraries:\n"
			       "- lwip: comp9\n"),
			 -1);
	expect_output("flexos.yaml:3:14: error: unknown mechanism 'mpx'");
	expect_output("flexos.yaml:6:12: error: 'default' of compartment 'comp2' must be true or false");
	expect_output("flexos.yaml:7:3: error: unknown key 'colour' in compartment 'comp2'");
	expect_output("flexos.yaml:9:9: error: library 'lwip' is placed in unknown compartment 'comp9'");
	/* A bad mechanism or default is not reported again as mixed or missing. */
	ck_assert_uint_eq(count(": error: "), 4);
}
END_TEST

START_TEST(accepts_sandbox_shared_data_callbacks)
{
	expect_ok("compartments:\n"
		  "- app:\n"
		  "  default: true\n"
		  "- lib:\n"
		  "  sandbox_of: app\n"
		  "libraries:\n"
		  "- app: app\n"
		  "  callbacks: on_row\n"
		  "- sqlite: lib\n"
		  "  shared_data: [a, b]\n");
	ck_assert_ptr_null(cfg.compartments[0].sandbox_of);
	ck_assert_str_eq(cfg.compartments[1].sandbox_of, "app");
	ck_assert_uint_eq(cfg.compartments[1].sandbox_of_index, 0);
	ck_assert_uint_eq(cfg.libraries[0].callbacks.count, 1);
	ck_assert_str_eq(cfg.libraries[0].callbacks.names[0], "on_row");
	ck_assert_uint_eq(cfg.libraries[1].shared_data.count, 2);
	ck_assert_str_eq(cfg.libraries[1].shared_data.names[1], "b");
	ck_assert_uint_eq(cfg.libraries[1].shared_data.pos[1].line, 10);
	ck_assert_uint_eq(cfg.libraries[1].shared_data.pos[1].col, 20);
	ck_assert(flc_names_has(&cfg.libraries[1].shared_data, "a", NULL));
	ck_assert(!flc_names_has(&cfg.libraries[1].shared_data, "c", NULL));
}
END_TEST

/*
 * Configs rejected with exactly one error (a prefix of it), one row each;
 * also: more output that must appear; no_warning: none may.
 */
struct rejected {
	const char *name;
	const char *text;
	const char *error;
	const char *also;
	bool no_warning;
};

static const struct rejected rejected[] = {
	{
		.name = "rejects_invalid_yaml",
		.text = "compartments: [comp1\n",
		.error = "flexos.yaml:2:1: error: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence at 1:15)",
	},
	{
		/* One message, one line: the scalar's newline and CR come out escaped. */
		.name = "rejects_name_with_newline_on_one_line",
		.text = "compartments:\n- \"app\\nflexos.yaml:1:1 fake\\r\": {default: true}\n",
		.error = "flexos.yaml:2:3: error: compartment name 'app\\nflexos.yaml:1:1 fake\\r' is not a C identifier",
		.no_warning = true,
	},
	{
		.name = "rejects_heap_size_with_unknown_unit",
		.text = "compartments:\n- app: {default: true, heap_size: 64X}\n",
		.error = "flexos.yaml:2:35: error: 'heap_size' of compartment 'app' must be a size such as 64M or 1G (bytes, or K, M, G), not",
	},
	{
		.name = "rejects_heap_size_below_1M",
		.text = "compartments:\n- app: {default: true, heap_size: 4096}\n",
		.error = "flexos.yaml:2:35: error: 'heap_size' of compartment 'app' is 4096: it must be between 1M and 1024G",
	},
	{
		.name = "rejects_heap_size_overflowing",
		.text = "compartments:\n- app: {default: true, heap_size: 99999999999999999G}\n",
		.error = "flexos.yaml:2:35: error: 'heap_size' of compartment 'app' is 99999999999999999G: it must be between 1M and 1024G",
	},
	{
		.name = "rejects_heap_size_sequence",
		.text = "compartments:\n- app: {default: true, heap_size: [1]}\n",
		.error = "flexos.yaml:2:35: error: 'heap_size' of compartment 'app' must be a size",
	},
	{
		.name = "rejects_unknown_constants",
		.text = "compartments:\n- app: {default: true}\n- lib: {constants: secret}\n",
		.error = "flexos.yaml:3:20: error: unknown constants 'secret' (expected shared or private)",
	},
	{
		.name = "rejects_constants_sequence",
		.text = "compartments:\n- app: {default: true}\n- lib: {constants: [private]}\n",
		.error = "flexos.yaml:3:20: error: 'constants' of compartment 'lib' must be one of shared or private, not a sequence",
	},
	{
		.name = "rejects_unknown_libc",
		.text = "compartments:\n- app: {default: true}\n- lib: {libc: musl}\n",
		.error = "flexos.yaml:3:15: error: unknown libc 'musl' (expected glibc or newlib)",
	},
	{
		.name = "rejects_newlib_default",
		.text = "compartments:\n- app: {default: true, libc: newlib}\n- lib: {}\n",
		.error = "flexos.yaml:2:30: error: the default compartment 'app' cannot have 'libc: newlib'",
	},
	{
		.name = "rejects_newlib_shared_stacks",
		.text = "compartments:\n- app: {default: true, stack: shared}\n"
			"- lib: {libc: newlib, stack: shared}\n",
		.error = "flexos.yaml:3:15: error: compartment 'lib' has 'libc: newlib' but the image uses 'stack: shared'",
	},
	{
		.name = "rejects_tab_indentation",
		.text = "compartments:\n- comp1:\n\tdefault: true\n",
		.error = "flexos.yaml:3:1: error: invalid YAML: found character that cannot start any token",
		.also = "YAML does not allow tabs in indentation",
	},
	{
		.name = "rejects_invalid_utf8",
		.text = "compartments:\n- comp\xff:\n",
		.error = "flexos.yaml:2:7: error: invalid YAML: invalid leading UTF-8 octet (byte 0xFF)",
	},
	{
		.name = "rejects_undefined_alias",
		.text = "compartments:\n- comp1: *opts\n",
		.error = "flexos.yaml:2:10: error: invalid YAML: found undefined alias",
	},
	{
		.name = "rejects_second_document",
		.text = "compartments:\n- comp1:\n---\ncompartments:\n- comp2:\n",
		.error = "flexos.yaml:3:1: error: a second YAML document starts here",
	},
	{
		.name = "rejects_syntax_error_after_document",
		.text = "compartments:\n- comp1:\n---\n[\n",
		.error = "flexos.yaml:5:1: error: invalid YAML: did not find expected node content",
	},
	{
		.name = "rejects_empty_file",
		.text = "",
		.error = "flexos.yaml:1:1: error: the file is empty: declare at least one compartment",
	},
	{
		.name = "rejects_comments_only",
		.text = "# nothing yet\n\n",
		.error = "flexos.yaml:1:1: error: the file is empty",
	},
	{
		.name = "rejects_empty_document",
		.text = "---\n",
		.error = "flexos.yaml:2:1: error: the document is empty: declare at least one",
	},
	{
		.name = "rejects_top_level_sequence",
		.text = "- comp1:\n",
		.error = "flexos.yaml:1:1: error: the top level must be a mapping with the keys 'compartments' and 'libraries', not a sequence",
	},
	{
		.name = "rejects_top_level_scalar",
		.text = "comp1\n",
		.error = "flexos.yaml:1:1: error: the top level must be a mapping",
	},
	{
		.name = "rejects_unknown_top_level_key",
		.text = "compartments:\n- comp1:\nlibrary:\n- lwip: comp1\n",
		.error = "flexos.yaml:3:1: error: unknown top-level key 'library' (expected: compartments or libraries)",
	},
	{
		.name = "rejects_missing_compartments",
		.text = "libraries:\n- lwip: comp1\n",
		.error = "flexos.yaml:1:1: error: no 'compartments' key: declare at least one compartment",
	},
	{
		.name = "rejects_null_compartments",
		.text = "libraries:\ncompartments:\n",
		.error = "flexos.yaml:2:1: error: 'compartments' is empty: declare at least one compartment",
	},
	{
		.name = "rejects_empty_compartments",
		.text = "compartments: []\n",
		.error = "flexos.yaml:1:1: error: 'compartments' is empty",
	},
	{
		.name = "rejects_compartments_mapping",
		.text = "compartments:\n  comp1:\n    default: true\n",
		.error = "flexos.yaml:2:3: error: 'compartments' must be a sequence of '- name:' items, not a mapping",
	},
	{
		.name = "rejects_compartment_scalar",
		.text = "compartments:\n- comp1:\n- comp2\n",
		.error = "flexos.yaml:3:3: error: each compartment must be a mapping whose first key is its name, e.g. '- comp1:', not a scalar",
	},
	{
		.name = "rejects_compartment_without_name",
		.text = "compartments:\n- mechanism: none\n  default: true\n",
		.error = "flexos.yaml:2:3: error: this compartment has no name: it starts with 'mechanism'",
	},
	{
		.name = "rejects_value_after_name",
		.text = "compartments:\n- comp1: intel-mpk\n",
		.error = "flexos.yaml:2:10: error: the name of compartment 'comp1' must be followed by ':' alone, not by 'intel-mpk'",
		.also = "e.g. 'mechanism: intel-mpk'",
	},
	{
		.name = "rejects_options_in_both_forms",
		.text = "compartments:\n- comp1: {mechanism: none}\n  default: true\n",
		.error = "flexos.yaml:3:3: error: compartment 'comp1' already has its options in a nested mapping: move this key into it",
	},
	{
		.name = "rejects_unknown_compartment_key",
		.text = "compartments:\n- comp1:\n  mechansim: none\n",
		.error = "flexos.yaml:3:3: error: unknown key 'mechansim' in compartment 'comp1' (expected: mechanism, default, hardening, stack, on_crash, sandbox_of, libc, syscalls, syscalls_denied, heap_size or constants)",
	},
	{
		.name = "rejects_mechanism_not_scalar",
		.text = "compartments:\n- comp1:\n  mechanism: [intel-mpk]\n",
		.error = "flexos.yaml:3:14: error: 'mechanism' of compartment 'comp1' must be one of none, intel-mpk or process, not a sequence",
	},
	{
		.name = "rejects_mechanism_without_value",
		.text = "compartments:\n- comp1:\n  mechanism:\n",
		.error = "flexos.yaml:3:3: error: 'mechanism' of compartment 'comp1' has no value (expected none, intel-mpk or process)",
	},
	{
		.name = "rejects_unknown_mechanism",
		.text = "compartments:\n- comp1:\n  default: true\n  mechanism: mpx\n",
		.error = "flexos.yaml:4:14: error: unknown mechanism 'mpx' (expected none, intel-mpk or process)",
	},
	{
		.name = "rejects_mpk_alias",
		.text = "compartments:\n- comp1: {mechanism: mpk}\n",
		.error = "flexos.yaml:2:22: error: unknown mechanism 'mpk'",
	},
	{
		.name = "rejects_default_not_boolean",
		.text = "compartments:\n- comp1:\n  default: maybe\n",
		.error = "flexos.yaml:3:12: error: 'default' of compartment 'comp1' must be true or false, not 'maybe'",
	},
	{
		.name = "rejects_default_quoted",
		.text = "compartments:\n- comp1:\n  default: \"true\"\n",
		.error = "flexos.yaml:3:12: error: 'default' of compartment 'comp1' must be true or false, not the string 'true': remove the quotes",
	},
	{
		.name = "rejects_default_mapping",
		.text = "compartments:\n- comp1:\n  default: {x: 1}\n",
		.error = "flexos.yaml:3:12: error: 'default' of compartment 'comp1' must be true or false, not a mapping",
	},
	{
		.name = "rejects_default_without_value",
		.text = "compartments:\n- comp1:\n  default:\n",
		.error = "flexos.yaml:3:3: error: 'default' of compartment 'comp1' has no value (expected true or false)",
	},
	{
		.name = "rejects_hardening_scalar",
		.text = "compartments:\n- comp1:\n  hardening: cfi\n",
		.error = "flexos.yaml:3:14: error: 'hardening' of compartment 'comp1' must be a sequence, e.g. [cfi, asan], not a scalar",
	},
	{
		.name = "rejects_unknown_hardening",
		.text = "compartments:\n- comp1:\n  hardening:\n  - ubsan\n  - cet\n",
		.error = "flexos.yaml:5:5: error: unknown hardening 'cet' (expected stack-protector, ubsan, asan, fortify, cfi or safestack)",
		.no_warning = true,
	},
	{
		.name = "rejects_safestack",
		.text = "compartments:\n- comp1:\n  hardening:\n  - asan\n  - safestack\n",
		.error = "flexos.yaml:5:5: error: hardening 'safestack' of compartment 'comp1' needs clang; this version builds with gcc only",
		.no_warning = true,
	},
	{
		.name = "rejects_unknown_stack",
		.text = "compartments:\n- comp1: {stack: split}\n",
		.error = "flexos.yaml:2:18: error: unknown stack 'split' (expected private or shared)",
	},
	{
		.name = "rejects_unknown_on_crash",
		.text = "compartments:\n- comp1:\n  on_crash: reboot\n",
		.error = "flexos.yaml:3:13: error: unknown on_crash 'reboot' (expected abort or restart)",
	},
	{
		.name = "rejects_restart_under_mpk",
		.text = "compartments:\n- app: {mechanism: intel-mpk, default: true}\n- lib:\n"
			"  mechanism: intel-mpk\n  on_crash: restart\n",
		.error = "flexos.yaml:5:13: error: compartment 'lib' has 'on_crash: restart', which "
			 "intel-mpk does not implement",
	},
	{
		.name = "rejects_no_default",
		.text = "compartments:\n- comp1:\n- comp2:\n",
		.error = "flexos.yaml:2:1: error: no default compartment: mark one of the 2 compartments with 'default: true'",
	},
	{
		.name = "rejects_two_defaults",
		.text = "compartments:\n"
			"- comp1:\n"
			"  default: true\n"
			"- comp2:\n"
			"  default: yes\n",
		.error = "flexos.yaml:5:12: error: compartments 'comp1' (3:12) and 'comp2' (5:12) are both marked 'default: true': keep only one",
	},
	{
		/* comp1 is empty, but a misspelt compartment makes that no news. */
		.name = "rejects_unknown_library_compartment",
		.text = "compartments:\n- comp1:\n- comp2: {default: true}\nlibraries:\n- lwip: comp3\n",
		.error = "flexos.yaml:5:9: error: library 'lwip' is placed in unknown compartment 'comp3': declare it under 'compartments' or fix the name",
		.no_warning = true,
	},
	{
		.name = "rejects_duplicate_compartment",
		.text = "compartments:\n- comp1: {default: true}\n- comp2:\n- comp1:\n",
		.error = "flexos.yaml:4:3: error: compartment 'comp1' is declared twice (first at 2:3)",
	},
	{
		.name = "rejects_duplicate_library",
		.text = "compartments:\n- comp1:\nlibraries:\n- lwip: comp1\n- lwip: comp1\n",
		.error = "flexos.yaml:5:3: error: library 'lwip' is declared twice (first at 4:3)",
	},
	{
		.name = "rejects_mixed_mechanisms",
		.text = "compartments:\n"
			"- comp1:\n"
			"  mechanism: intel-mpk\n"
			"  default: True\n"
			"- comp2:\n"
			"  mechanism: process\n",
		.error = "flexos.yaml:6:14: error: all compartments must use the same mechanism: 'comp1' uses intel-mpk (3:14) but 'comp2' uses process",
	},
	{
		.name = "rejects_mixed_with_default_mechanism",
		.text = "compartments:\n"
			"- comp1:\n"
			"  mechanism: intel-mpk\n"
			"  default: True\n"
			"- comp2:\n",
		.error = "flexos.yaml:5:3: error: all compartments must use the same mechanism: 'comp1' uses intel-mpk (3:14) but 'comp2' uses none (it has no 'mechanism' key)",
	},
	{
		/* The stack mode is per image: one compartment saying shared is an error. */
		.name = "rejects_mixed_stacks",
		.text = "compartments:\n"
			"- comp1:\n"
			"  mechanism: intel-mpk\n"
			"  default: True\n"
			"- comp2:\n"
			"  mechanism: intel-mpk\n"
			"  stack: shared\n",
		.error = "flexos.yaml:7:10: error: compartment 'comp2' uses stack shared but 'comp1' uses private (the default): the stack mode is per image: set 'stack: shared' on every compartment, or on none",
	},
	{
		.name = "rejects_mixed_stacks_default_last",
		.text = "compartments:\n"
			"- comp1: {default: true, stack: shared}\n"
			"- comp2: {stack: shared}\n"
			"- comp3:\n",
		.error = "flexos.yaml:4:3: error: compartment 'comp3' uses stack private (the default) but 'comp1' uses shared: the stack mode is per image",
	},
	{
		.name = "rejects_mixed_stacks_explicit",
		.text = "compartments:\n"
			"- comp1: {default: true, stack: shared}\n"
			"- comp2: {stack: private}\n",
		.error = "flexos.yaml:3:18: error: compartment 'comp2' uses stack private but 'comp1' uses shared: the stack mode is per image: set 'stack: shared' on every compartment, or on none",
	},
	{
		/* A bad stack value is one error, not also a mixed mode. */
		.name = "rejects_unknown_stack_not_mixed",
		.text = "compartments:\n"
			"- comp1: {default: true, stack: split}\n"
			"- comp2: {stack: shared}\n",
		.error = "flexos.yaml:2:33: error: unknown stack 'split' (expected private or shared)",
	},
	{
		.name = "rejects_compartment_name_not_identifier",
		.text = "compartments:\n- comp-1:\n",
		.error = "flexos.yaml:2:3: error: compartment name 'comp-1' is not a C identifier ([A-Za-z_][A-Za-z0-9_]*)",
	},
	{
		.name = "rejects_library_name_not_identifier",
		.text = "compartments:\n- comp1:\nlibraries:\n- 9lib: comp1\n",
		.error = "flexos.yaml:4:3: error: library name '9lib' is not a C identifier",
	},
	{
		.name = "rejects_duplicate_key",
		.text = "compartments:\n- comp1:\n  mechanism: none\n  mechanism: process\n",
		.error = "flexos.yaml:4:3: error: duplicate key 'mechanism' (first at 3:3): keep only one",
	},
	{
		.name = "rejects_duplicate_top_level_key",
		.text = "compartments:\n- comp1:\ncompartments:\n- comp2:\n",
		.error = "flexos.yaml:3:1: error: duplicate key 'compartments' (first at 1:1)",
	},
	{
		.name = "rejects_key_not_scalar",
		.text = "compartments:\n- comp1:\n? [a, b]\n: 1\n",
		.error = "flexos.yaml:3:3: error: a key must be a scalar, not a sequence",
	},
	{
		.name = "rejects_libraries_mapping",
		.text = "compartments:\n- comp1:\nlibraries:\n  lwip: comp1\n",
		.error = "flexos.yaml:4:3: error: 'libraries' must be a sequence of '- name: compartment' items, not a mapping",
	},
	{
		.name = "rejects_library_scalar",
		.text = "compartments:\n- comp1:\nlibraries:\n- lwip\n",
		.error = "flexos.yaml:4:3: error: each library must be a mapping 'name: compartment', e.g. '- lwip: comp1', not a scalar",
	},
	{
		.name = "rejects_library_without_compartment",
		.text = "compartments:\n- comp1:\nlibraries:\n- lwip:\n",
		.error = "flexos.yaml:4:3: error: library 'lwip' has no compartment: write '- lwip: COMPARTMENT'",
	},
	{
		.name = "rejects_library_compartment_not_scalar",
		.text = "compartments:\n- comp1:\nlibraries:\n- lwip: [comp1]\n",
		.error = "flexos.yaml:4:9: error: the compartment of library 'lwip' must be a name, not a sequence",
	},
	{
		.name = "rejects_unknown_library_key",
		.text = "compartments:\n- comp1:\nlibraries:\n- lwip: comp1\n  input: liblwip.a\n",
		.error = "flexos.yaml:5:3: error: unknown key 'input' in library 'lwip' (expected: inputs, shared_data, callbacks, headers, cflags, lend, prototypes or checkpoint)",
	},
	{
		.name = "rejects_empty_inputs",
		.text = "compartments:\n- comp1:\nlibraries:\n- lwip: comp1\n  inputs: []\n",
		.error = "flexos.yaml:5:3: error: 'inputs' of library 'lwip' is empty",
	},
	{
		.name = "rejects_input_not_scalar",
		.text = "compartments:\n- comp1:\nlibraries:\n- lwip: comp1\n  inputs: [a.o, [b.o]]\n",
		.error = "flexos.yaml:5:17: error: an input of library 'lwip' must be a file name or pattern, not a sequence",
	},
	{
		.name = "rejects_empty_input",
		.text = "compartments:\n- comp1:\nlibraries:\n- lwip: comp1\n  inputs: ['']\n",
		.error = "flexos.yaml:5:12: error: an input of library 'lwip' is empty",
	},
	{
		.name = "rejects_input_with_nul",
		.text = "compartments:\n- comp1:\nlibraries:\n- lwip: comp1\n  inputs: \"a\\0b\"\n",
		.error = "flexos.yaml:5:11: error: 'a' contains a NUL character",
	},
	{
		.name = "rejects_bad_sandbox/1",
		.text = "compartments:\n- app:\n  default: true\n- lib:\n  sandbox_of: ap\n",
		.error = "flexos.yaml:5:15: error: compartment 'lib' is a sandbox of unknown compartment 'ap'",
	},
	{
		.name = "rejects_bad_sandbox/2",
		.text = "compartments:\n- app:\n  default: true\n- lib:\n  sandbox_of: lib\n",
		.error = "flexos.yaml:5:15: error: compartment 'lib' cannot be a sandbox of itself",
	},
	{
		.name = "rejects_bad_sandbox/3",
		.text = "compartments:\n- a:\n  default: true\n- b:\n  sandbox_of: a\n"
			"- c:\n  sandbox_of: b\n",
		.error = "flexos.yaml:7:15: error: compartment 'c' is a sandbox of 'b', which is a sandbox itself",
	},
	{
		.name = "rejects_bad_sandbox/4",
		.text = "compartments:\n- app:\n  sandbox_of: [x]\n",
		.error = "flexos.yaml:3:15: error: 'sandbox_of' of compartment 'app' must name the host compartment",
	},
	{
		.name = "rejects_bad_symbol_lists/1",
		.text = "compartments:\n- c:\nlibraries:\n- l: c\n  shared_data: [ok, 9x]\n",
		.error = "flexos.yaml:5:21: error: an item of 'shared_data' of library 'l' must be a symbol name",
	},
	{
		.name = "rejects_bad_symbol_lists/2",
		.text = "compartments:\n- c:\nlibraries:\n- l: c\n  callbacks: []\n",
		.error = "flexos.yaml:5:3: error: 'callbacks' of library 'l' is empty",
	},
	{
		.name = "rejects_bad_symbol_lists/3",
		.text = "compartments:\n- c:\nlibraries:\n- l: c\n  callbacks: [f, f]\n",
		.error = "flexos.yaml:5:18: error: 'f' is listed twice in 'callbacks' of library 'l'",
	},
	{
		.name = "rejects_bad_headers_cflags/1",
		.text = "compartments:\n- c:\nlibraries:\n- l: c\n  headers: []\n",
		.error = "flexos.yaml:5:3: error: 'headers' of library 'l' is empty: list at least one "
			 "header name",
	},
	{
		.name = "rejects_bad_headers_cflags/2",
		.text = "compartments:\n- c:\nlibraries:\n- l: c\n  headers: [a.h, {b: c}]\n",
		.error = "flexos.yaml:5:18: error: an item of 'headers' of library 'l' must be a header "
			 "name, e.g. [pcre2.h], not a mapping",
	},
	{
		.name = "rejects_bad_headers_cflags/3",
		.text = "compartments:\n- c:\nlibraries:\n- l: c\n  cflags: [\"\"]\n",
		.error = "flexos.yaml:5:12: error: an item of 'cflags' of library 'l' must be a compiler "
			 "option, e.g. [-I/opt/pcre2/include], not an empty string",
	},
	{
		.name = "rejects_bad_headers_cflags/4",
		.text = "compartments:\n- c:\nlibraries:\n- l: c\n  header: [a.h]\n",
		.error = "flexos.yaml:5:3: error: unknown key 'header' in library 'l' (expected: inputs, "
			 "shared_data, callbacks, headers, cflags, lend, prototypes or checkpoint)",
	},
	{
		.name = "rejects_bad_lend",
		.text = "compartments:\n- c:\nlibraries:\n- l: c\n  lend: sometimes\n",
		.error = "flexos.yaml:5:9: error: 'lend' of library 'l' must be 'copy' (lend the "
			 "caller's private objects to its functions, the default), 'none', or a "
			 "mapping of sizes such as '{z_stream.next_in: avail_in}'",
	},
	{
		.name = "rejects_bad_prototypes",
		.text = "compartments:\n- c:\nlibraries:\n- l: c\n  prototypes: {on_text: \"void (*)(int)\"}\n",
		.error = "flexos.yaml:5:16: error: 'on_text' in 'prototypes' of library 'l' must be "
			 "'FUNCTION: TYPE', both C identifiers",
	},
	{
		.name = "rejects_bad_lend/rule_key",
		.text = "compartments:\n- c:\nlibraries:\n- l: c\n  lend: {z_stream: avail_in}\n",
		.error = "flexos.yaml:5:10: error: 'z_stream' in 'lend' of library 'l' must be "
			 "FUNCTION.ARGUMENT or STRUCT.MEMBER, e.g. 'z_stream.next_in: avail_in', "
			 "or FUNCTION.ARGUMENT[] for an array of pointers",
	},
	{
		.name = "rejects_bad_lend/array_rule",
		.text = "compartments:\n- c:\nlibraries:\n- l: c\n  lend: {\"f.rows[]\": \"n, x\"}\n",
		.error = "flexos.yaml:5:22: error: 'f.rows[]' in 'lend' of library 'l' is an array "
			 "of pointers: give its length (an integer argument, a number of elements "
			 "up to 65536, or NULL when a NULL element ends it) and, after a comma, the "
			 "bytes each element lends when it is not a heap allocation, e.g. "
			 "'f.rows[]: num_lines, 96'",
	},
	{
		.name = "rejects_bad_lend/array_key",
		.text = "compartments:\n- c:\nlibraries:\n- l: c\n  lend: {\"f.[]\": n}\n",
		.error = "flexos.yaml:5:10: error: 'f.[]' in 'lend' of library 'l' must be "
			 "FUNCTION.ARGUMENT or STRUCT.MEMBER, e.g. 'z_stream.next_in: avail_in', "
			 "or FUNCTION.ARGUMENT[] for an array of pointers",
	},
	{
		.name = "rejects_bad_lend/rule_size",
		.text = "compartments:\n- c:\nlibraries:\n- l: c\n  lend: {f.out: 0}\n",
		.error = "flexos.yaml:5:17: error: 'f.out' in 'lend' of library 'l': '0' is not a "
			 "size in bytes (1 to 1073741824) nor a name",
	},
	{
		.name = "rejects_bad_lend/rule_count",
		.text = "compartments:\n- c:\nlibraries:\n- l: c\n  lend: {f.out: \"len * 2\"}\n",
		.error = "flexos.yaml:5:17: error: 'f.out' in 'lend' of library 'l': 'len * 2' must "
			 "name the argument or member that counts the elements (optionally + or - "
			 "a number of bytes, as 'mlen + 16'; '*bufflen': an argument that points "
			 "at the count), or be a size in bytes",
	},
	{
		.name = "rejects_checkpoint/no_sandbox",
		.text = "compartments:\n- a:\n  mechanism: process\n  default: true\n- b:\n"
			"  mechanism: process\n  on_crash: restart\nlibraries:\n- l: b\n"
			"  checkpoint: [f]\n",
		.error = "flexos.yaml:10:16: error: library 'l' has 'checkpoint' but its compartment "
			 "'b' is no sandbox: add 'sandbox_of: HOST' to 'b'",
	},
	{
		.name = "rejects_checkpoint/no_restart",
		.text = "compartments:\n- a:\n  mechanism: process\n  default: true\n- b:\n"
			"  mechanism: process\n  sandbox_of: a\nlibraries:\n- l: b\n"
			"  checkpoint: [f]\n",
		.error = "flexos.yaml:10:16: error: library 'l' has 'checkpoint' but its compartment "
			 "'b' has 'on_crash: abort'",
	},
	{
		.name = "rejects_bad_syscalls/unknown",
		.text = "compartments:\n- a:\n  mechanism: process\n  default: true\n- b:\n"
			"  mechanism: process\n"
			"  syscalls: [files, opnat]\n",
		.error = "flexos.yaml:7:21: error: unknown system call or group 'opnat' in 'syscalls' of "
			 "compartment 'b'",
	},
	{
		.name = "rejects_bad_syscalls/forbidden",
		.text = "compartments:\n- a:\n  mechanism: process\n  default: true\n- b:\n"
			"  mechanism: process\n"
			"  syscalls: [ptrace]\n",
		.error = "flexos.yaml:7:14: error: 'ptrace' cannot be allowed to compartment 'b': it "
			 "reaches into other processes",
	},
	{
		.name = "rejects_bad_syscalls/empty",
		.text = "compartments:\n- a:\n  mechanism: process\n  default: true\n- b:\n"
			"  mechanism: process\n"
			"  syscalls: []\n",
		.error = "flexos.yaml:7:3: error: 'syscalls' of compartment 'b' is empty",
	},
	{
		.name = "rejects_bad_syscalls/default",
		.text = "compartments:\n- a:\n  mechanism: process\n  default: true\n"
			"  syscalls: [files]\n- b:\n  mechanism: process\n",
		.error = "flexos.yaml:5:3: error: compartment 'a' runs main in the application's "
			 "process, which has no system-call policy",
	},
	{
		.name = "rejects_bad_syscalls/denied",
		.text = "compartments:\n- a:\n  mechanism: process\n  default: true\n- b:\n"
			"  mechanism: process\n"
			"  syscalls_denied: silently\n",
		.error = "flexos.yaml:7:20: error: unknown syscalls_denied 'silently' (expected report "
			 "or errno)",
	},
};

START_TEST(accepts_headers_cflags)
{
	expect_ok("compartments:\n- c:\nlibraries:\n- l: c\n  headers: [pcre2.h, sys/x.h]\n"
		  "  cflags: -DPCRE2_CODE_UNIT_WIDTH=8\n- m: c\n");
	ck_assert_uint_eq(cfg.libraries[0].headers.count, 2);
	ck_assert_str_eq(cfg.libraries[0].headers.names[0], "pcre2.h");
	ck_assert_str_eq(cfg.libraries[0].headers.names[1], "sys/x.h");
	ck_assert_uint_eq(cfg.libraries[0].headers.pos[1].line, 5);
	ck_assert_uint_eq(cfg.libraries[0].headers.pos[1].col, 22);
	ck_assert_uint_eq(cfg.libraries[0].cflags.count, 1);
	ck_assert_str_eq(cfg.libraries[0].cflags.names[0], "-DPCRE2_CODE_UNIT_WIDTH=8");
	ck_assert_uint_eq(cfg.libraries[1].headers.count, 0);
	ck_assert_uint_eq(cfg.libraries[1].cflags.count, 0);
}
END_TEST

/* Groups expand to their calls, a name to its number, each once; 'all' lifts the policy. */
START_TEST(accepts_syscalls)
{
	expect_ok("compartments:\n- a:\n  mechanism: process\n  default: true\n- b:\n"
			"  mechanism: process\n"
		  "  syscalls: [network, socket, openat]\n  syscalls_denied: errno\n- c:\n"
		  "  mechanism: process\n  syscalls: all\n");
	const struct flc_compartment *b = &cfg.compartments[1], *c = &cfg.compartments[2];
	ck_assert_uint_eq(b->syscalls.count, 3);
	ck_assert(b->syscalls_errno);
	ck_assert(!b->syscalls_all);
	size_t sockets = 0, openats = 0;
	for (size_t i = 0; i < b->nsyscall_nrs; i++) {
		sockets += b->syscall_nrs[i] == SYS_socket;
		openats += b->syscall_nrs[i] == SYS_openat;
	}
	ck_assert_uint_eq(sockets, 1);
	ck_assert_uint_eq(openats, 1);
	ck_assert_uint_gt(b->nsyscall_nrs, 10);
	ck_assert(c->syscalls_all);
	ck_assert_uint_eq(c->nsyscall_nrs, 0);
	ck_assert_ptr_nonnull(strstr(out, "'syscalls: all' lifts the system-call policy"));
}
END_TEST

START_TEST(rejects_table_row)
{
	const struct rejected *r = &rejected[_i];

	snprintf(case_name, sizeof(case_name), "%s: ", r->name);
	expect_error(r->text, r->error);
	if (r->also)
		expect_output(r->also);
	if (r->no_warning)
		ck_assert_msg(count(": warning: ") == 0, "%s: unexpected warning:\n%s", r->name, out);
}
END_TEST

Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *ok = tcase_create("accepted");
	TCase *bad = tcase_create("rejected");

	tcase_add_checked_fixture(ok, setup, teardown);
	tcase_add_test(ok, accepts_tutorial);
	tcase_add_test(ok, accepts_heap_size);
	tcase_add_test(ok, accepts_sandbox_shared_data_callbacks);
	tcase_add_test(ok, accepts_hardening);
	tcase_add_test(ok, refuses_tutorial_cfi);
	tcase_add_test(ok, warns_hardening_twice);
	tcase_add_test(ok, accepts_nested_mapping);
	tcase_add_test(ok, accepts_inputs_list);
	tcase_add_test(ok, accepts_inputs_scalar);
	tcase_add_test(ok, accepts_single_compartment_unmarked);
	tcase_add_test(ok, accepts_yaml_booleans);
	tcase_add_test(ok, accepts_empty_libraries);
	tcase_add_test(ok, accepts_mpk_limit);
	tcase_add_test(ok, accepts_libc);
	tcase_add_test(ok, accepts_newlib_asan);
	tcase_add_test(ok, accepts_constants);
	tcase_add_test(ok, accepts_headers_cflags);
	tcase_add_test(ok, accepts_syscalls);
	tcase_add_test(ok, mpk_limit_with_newlib);
	tcase_add_test(ok, parses_file);
	tcase_add_test(ok, names_mechanisms);
	tcase_add_test(ok, warns_empty_compartment);
	suite_add_tcase(s, ok);

	tcase_add_checked_fixture(bad, setup, teardown);
	tcase_add_loop_test(bad, rejects_table_row, 0, sizeof(rejected) / sizeof(rejected[0]));
	tcase_add_test(bad, rejects_missing_file);
	tcase_add_test(bad, rejects_too_many_mpk);
	tcase_add_test(bad, rejects_too_many_process);
	tcase_add_test(bad, reports_independent_errors);
	suite_add_tcase(s, bad);
	return s;
}
