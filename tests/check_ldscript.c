/*
 * Tests of what flexos-link writes: the linker-script fragment
 * (tools/flexos-link/ldscript.c) and the image descriptor and gate stubs
 * (tools/flexos-link/table.c), for a plan built by hand.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flexos/backend.h>

#include "ldscript.h"
#include "proto.h"
#include "suites.h"
#include "table.h"

static struct flc_compartment comps[2] = {
	{.name = "app", .is_default = true},
	{.name = "lib", .stack = FLC_STACK_SHARED},
};
static struct flc_library libs[1] = {
	{.name = "libz", .compartment = "lib", .compartment_index = 1},
};
static struct flc_config cfg = {
	.path = "test.yaml",
	.compartments = comps,
	.ncompartments = 2,
	.libraries = libs,
	.nlibraries = 1,
	.default_index = 0,
	.mechanism = FLEXOS_MECH_MPK,
};
static struct flp_input inputs[4] = {
	{.arg = "main.o", .path = "main.o", .kind = FLP_OBJECT, .library = FLP_NONE,
	 .compartment = 0},
	{.arg = "deps/libz.a", .path = "deps/libz.a", .kind = FLP_ARCHIVE, .library = 0,
	 .compartment = 1},
	{.arg = "-lm", .path = "/usr/lib/x86_64-linux-gnu/libm.a", .kind = FLP_ARCHIVE,
	 .library = FLP_NONE, .compartment = 0},
	{.arg = "-lflexos-mpk", .kind = FLP_RUNTIME, .library = FLP_NONE,
	 .compartment = FLP_NONE},
};
static struct flp_gate gates[2] = {
	{.symbol = "__flexos_gate__libz__deflate", .fn = "deflate", .target = "deflate",
	 .library = 0, .compartment = 1, .callers = 1},
	{.symbol = "__flexos_gate__libz__crc32", .fn = "crc32", .target = "crc32",
	 .library = 0, .compartment = 1, .callers = 2, .direct = true},
};
static struct flp_plan plan = {
	.cfg = &cfg, .inputs = inputs, .ninputs = 4, .gates = gates, .ngates = 2};

static char *written(int (*writer)(FILE *, const struct flp_plan *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ck_assert_int_eq(writer(f, &plan), 0);
	fclose(f);
	return buf;
}

#define ck_assert_contains(haystack, needle)                                                \
	ck_assert_msg(strstr((haystack), (needle)), "missing: %s", (needle))

START_TEST(test_sections_per_compartment)
{
	char *s = written(flx_write_ldscript);
	static const char *const kinds[] = {"text", "rodata", "data", "bss"};
	for (int k = 0; k < 4; k++) {
		char want[128];
		snprintf(want, sizeof(want), ".flexos.lib.%s : {\n    HIDDEN(__flexos_lib_%s_start = .);",
			 kinds[k], kinds[k]);
		ck_assert_contains(s, want);
		snprintf(want, sizeof(want), "HIDDEN(__flexos_app_%s_end = .);", kinds[k]);
		ck_assert_contains(s, want);
	}
	ck_assert_contains(s, "INSERT AFTER .text;");
	ck_assert_contains(s, "INSERT AFTER .rodata;");
	ck_assert_contains(s, "INSERT AFTER .data;");
	ck_assert_contains(s, "INSERT AFTER .bss;");
	free(s);
}
END_TEST

START_TEST(test_inputs_are_named_as_ld_sees_them)
{
	char *s = written(flx_write_ldscript);
	ck_assert_contains(s, "    main.o(.text .text.*)\n");
	ck_assert_contains(s, "    deps/libz.a:*(.data .data.*)\n");
	ck_assert_contains(s, "    */libm.a:*(.bss .bss.* COMMON)\n");
	ck_assert_ptr_null(strstr(s, "flexos-mpk"));
	/* Each input appears once per kind of section: in its own compartment. */
	char *lib = strstr(s, ".flexos.lib.text");
	ck_assert_ptr_nonnull(lib);
	ck_assert_ptr_null(strstr(strstr(s, ".flexos.lib.text"), "main.o(.text"));
	free(s);
}
END_TEST

START_TEST(test_shared_section_and_page_alignment)
{
	char *s = written(flx_write_ldscript);
	ck_assert_contains(s, "*(.flexos.shared .flexos.shared.* .data_shared)");
	ck_assert_contains(s, "HIDDEN(__flexos_shared_start = .);");
	/* Every output section starts and ends on a page boundary. */
	int starts = 0, ends = 0;
	for (char *p = s; (p = strstr(p, " : {\n")); p++)
		starts++;
	for (char *p = s; (p = strstr(p, ". = ALIGN(CONSTANT(MAXPAGESIZE));\n    HIDDEN(")); p++)
		ends++;
	/*
	 * Per kind, a section per compartment; the shared data and constants;
	 * under protection keys the report's unwinder's state.
	 */
	ck_assert_int_eq(starts, 4 * 2 + 3);
	ck_assert_int_eq(ends, 4 * 2 + 3);
	ck_assert_contains(s, ".flexos.unwind : {\n    HIDDEN(__flexos_unwind_start = .);\n"
			      "    *libgcc_eh.a:*(.data .data.* .bss .bss.*)\n");
	free(s);
}
END_TEST

START_TEST(test_constants_are_shared_unless_private)
{
	char *s = written(flx_write_ldscript);
	ck_assert_contains(s, ".flexos.constants : {\n    HIDDEN(__flexos_constants_start = .);\n"
			      "    main.o(.rodata .rodata.*)\n"
			      "    deps/libz.a:*(.rodata .rodata.*)\n"
			      "    */libm.a:*(.rodata .rodata.*)\n");
	/* The fragment's statements match in order: it must come first. */
	ck_assert_ptr_nonnull(strstr(strstr(s, ".flexos.constants :"), ".flexos.app.rodata :"));
	free(s);

	comps[0].constants_private = true;
	s = written(flx_write_ldscript);
	/* Only libz's compartment still shares its constants. */
	char *shared = strstr(s, ".flexos.constants :");
	ck_assert_ptr_nonnull(shared);
	char *end = strstr(shared, "HIDDEN(__flexos_constants_end");
	ck_assert_ptr_nonnull(end);
	*end = 0;
	ck_assert_contains(shared, "    deps/libz.a:*(.rodata .rodata.*)\n");
	ck_assert_ptr_null(strstr(shared, "main.o"));
	ck_assert_ptr_null(strstr(shared, "*/libm.a"));
	free(s);
	s = written(flx_write_table);
	ck_assert_contains(s, "\t.long 0, 0x81\n");
	comps[0].constants_private = false;
	free(s);
}
END_TEST

START_TEST(test_direct_gate_is_provided)
{
	char *s = written(flx_write_ldscript);
	ck_assert_contains(s, "PROVIDE(__flexos_gate__libz__crc32 = crc32);\nEXTERN(crc32);");
	ck_assert_ptr_null(strstr(s, "__flexos_gate__libz__deflate"));
	free(s);
}
END_TEST

START_TEST(test_table_layout)
{
	char *s = written(flx_write_table);
	ck_assert_contains(s, "flexos__image:\n\t.quad 0x100534f58454c46\n");
	/* version, mechanism (mpk), compartments, default, libraries */
	ck_assert_contains(s, "\t.long 7, 1, 2, 0, 1, 0\n");
	/* The index of the gates' lend descriptors, and their count. */
	ck_assert_contains(s, "\t.quad .Lflexos_lends\n\t.long .Lflexos_nlends, 0\n");
	ck_assert_contains(s, ".Lflexos_lends:\n");
	/* Each compartment's heap_size, the default here. */
	ck_assert_contains(s, "\t.quad 0\n\t.quad 67108864\n");
	ck_assert_contains(s, "\t.long 1, 0x2\n"); /* lib: id 1, shared stacks */
	ck_assert_contains(s, "\t.long 0, 0x1\n"); /* app: id 0, default */
	ck_assert_contains(s, "__flexos_lib_bss_start, __flexos_lib_bss_end");
	ck_assert_contains(s, ".asciz \"test.yaml\"");
	ck_assert_contains(s, ".section .init_array.00101");
	free(s);
}
END_TEST

START_TEST(test_stub_only_for_crossing_gates)
{
	char *s = written(flx_write_table);
	/*
	 * No prototype: the conservative 64 bytes (8 eightbytes) of stack
	 * arguments. Unwind information, so that a backtrace from inside the
	 * stub reaches its caller.
	 */
	ck_assert_contains(s, "__flexos_gate__libz__deflate:\n"
			      "\t.cfi_startproc\n"
			      "\tmovq deflate@GOTPCREL(%rip), %r11\n"
			      "\tmovabsq $0x801, %r10\n"
			      "\tjmp flexos__backend_gate\n"
			      "\t.cfi_endproc\n");
	ck_assert_ptr_null(strstr(s, "__flexos_gate__libz__crc32"));
	free(s);
}
END_TEST

START_TEST(test_shared_stack_images_use_the_shared_gate)
{
	/* The stack mode is per image (the config parser enforces it). */
	comps[0].stack = FLC_STACK_SHARED;
	comps[1].stack = FLC_STACK_SHARED;
	char *s = written(flx_write_table);
	comps[0].stack = FLC_STACK_PRIVATE;
	ck_assert_contains(s, "\tmovabsq $0x801, %r10\n"
			      "\tjmp flexos__backend_gate_shared_stacks\n");
	ck_assert_ptr_null(strstr(s, "jmp flexos__backend_gate\n"));
	free(s);
}
END_TEST

/* The stub of deflate, written with the prototype p. */
static char *stub_with(struct flx_proto p)
{
	gates[0].proto = p;
	char *s = written(flx_write_table);
	gates[0].proto = (struct flx_proto){0};
	return s;
}

START_TEST(test_stub_carries_what_the_prototype_says)
{
	/* Registers only: %r10 is the id alone, the gates' fast path. */
	char *s = stub_with((struct flx_proto){.source = FLX_PROTO_DWARF});
	ck_assert_contains(s, "\tmovabsq $0x1, %r10\n\tjmp flexos__backend_gate\n");
	free(s);
	/* 16 bytes of stack arguments (2 eightbytes), a 20-byte sret result (3). */
	s = stub_with(
	    (struct flx_proto){.source = FLX_PROTO_HEADER, .stack_bytes = 16, .sret_size = 20});
	ck_assert_contains(s, "\tmovabsq $0x30201, %r10\n");
	free(s);
	/* Variadic: proto.c counts the window beyond the named arguments. */
	s = stub_with(
	    (struct flx_proto){.source = FLX_PROTO_DWARF, .variadic = true, .stack_bytes = 72});
	ck_assert_contains(s, "\tmovabsq $0x901, %r10\n");
	free(s);
	/* A prototype read as "assumed" but with numbers: taken as given. */
	s = stub_with((struct flx_proto){.source = FLX_PROTO_ASSUMED, .stack_bytes = 128});
	ck_assert_contains(s, "\tmovabsq $0x1001, %r10\n");
	free(s);
}
END_TEST

START_TEST(test_stub_passes_its_entry_index)
{
	/* Every crossing gate is an entry, in plan order: crc32 crossing too is entry 1. */
	gates[1].direct = false;
	char *s = written(flx_write_table);
	gates[1].direct = true;
	ck_assert_contains(s, "__flexos_gate__libz__deflate:\n"
			      "\t.cfi_startproc\n"
			      "\tmovq deflate@GOTPCREL(%rip), %r11\n"
			      "\tmovabsq $0x801, %r10\n");
	ck_assert_contains(s, "__flexos_gate__libz__crc32:\n"
			      "\t.cfi_startproc\n"
			      "\tmovq crc32@GOTPCREL(%rip), %r11\n"
			      "\tmovabsq $0x100000801, %r10\n");
	/* The entry table in the same order: deflate, then crc32. */
	const char *d = strstr(s, "\t.quad deflate\n"), *c = strstr(s, "\t.quad crc32\n");
	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_nonnull(c);
	ck_assert(d < c);
	free(s);
}
END_TEST

START_TEST(test_gates_that_cannot_carry_are_refused)
{
	const struct {
		struct flx_proto p;
		int expected;
	} cases[] = {
	    {{.source = FLX_PROTO_DWARF, .stack_bytes = FLEXOS_GATE_MAX_CARRY}, 0},
	    {{.source = FLX_PROTO_DWARF, .stack_bytes = FLEXOS_GATE_MAX_CARRY + 8}, -EINVAL},
	    {{.source = FLX_PROTO_DWARF, .sret_size = FLEXOS_GATE_MAX_CARRY}, 0},
	    {{.source = FLX_PROTO_DWARF, .sret_size = FLEXOS_GATE_MAX_CARRY + 1}, -EINVAL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		gates[0].proto = cases[i].p;
		ck_assert_msg(flx_check_gates(&plan) == cases[i].expected, "case %zu", i);
		/* A direct gate is the plain call: it carries anything. */
		gates[0].direct = true;
		ck_assert_int_eq(flx_check_gates(&plan), 0);
		gates[0].direct = false;
	}
	gates[0].proto = (struct flx_proto){0};
}
END_TEST

Suite *ldscript_suite(void)
{
	Suite *s = suite_create("ldscript");
	TCase *tc = tcase_create("writers");
	tcase_add_test(tc, test_sections_per_compartment);
	tcase_add_test(tc, test_inputs_are_named_as_ld_sees_them);
	tcase_add_test(tc, test_shared_section_and_page_alignment);
	tcase_add_test(tc, test_constants_are_shared_unless_private);
	tcase_add_test(tc, test_direct_gate_is_provided);
	tcase_add_test(tc, test_table_layout);
	tcase_add_test(tc, test_stub_only_for_crossing_gates);
	tcase_add_test(tc, test_shared_stack_images_use_the_shared_gate);
	tcase_add_test(tc, test_stub_carries_what_the_prototype_says);
	tcase_add_test(tc, test_stub_passes_its_entry_index);
	tcase_add_test(tc, test_gates_that_cannot_carry_are_refused);
	suite_add_tcase(s, tc);
	return s;
}
