/*
 * Tests of flexos-link's ELF reader (tools/flexos-link/elf.c) on the
 * objects and archives of this build, and on broken input.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elf.h"
#include "suites.h"

struct seen {
	int lib_func_defined, gate_undefined, cb_alias, members;
	char last_member[64]; /* the reader's strings live only during the callback */
};

static int note(void *ctx, const struct fle_symbol *sym)
{
	struct seen *s = ctx;
	if (!strcmp(sym->name, "lib_func") && sym->defined && sym->function && sym->global)
		s->lib_func_defined++;
	if (!strcmp(sym->name, "__flexos_gate__libsecret__lib_func") && !sym->defined)
		s->gate_undefined++;
	if (!strcmp(sym->name, "__flexos_cbfn__app__app_callback") && sym->defined &&
	    sym->global)
		s->cb_alias++;
	if (sym->member && strcmp(s->last_member, sym->member)) {
		s->members++;
		snprintf(s->last_member, sizeof(s->last_member), "%s", sym->member);
	}
	return 0;
}

START_TEST(test_archive_members)
{
	struct seen s = {0};
	ck_assert_int_eq(fle_symbols(BUILDDIR "/examples/hello/libsecret.a", note, &s), 0);
	ck_assert_int_eq(s.lib_func_defined, 1);
	ck_assert_int_eq(s.members, 1);
	ck_assert_str_eq(s.last_member, "libsecret_a-secretlib.o");
	ck_assert(fle_is_archive(BUILDDIR "/examples/hello/libsecret.a"));
}
END_TEST

START_TEST(test_object_references)
{
	struct seen s = {0};
	ck_assert_int_eq(fle_symbols(BUILDDIR "/examples/hello/app.o", note, &s), 0);
	ck_assert_int_eq(s.gate_undefined, 1);
	ck_assert_int_eq(s.cb_alias, 1);
	ck_assert_int_eq(s.lib_func_defined, 0);
	ck_assert(!fle_is_archive(BUILDDIR "/examples/hello/app.o"));
}
END_TEST

static int stop_at_first(void *ctx, const struct fle_symbol *sym)
{
	(void)ctx, (void)sym;
	return 7;
}

START_TEST(test_callback_return_stops_walk)
{
	ck_assert_int_eq(fle_symbols(BUILDDIR "/examples/hello/app.o", stop_at_first, NULL), 7);
}
END_TEST

START_TEST(test_rejects_non_elf_and_truncated)
{
	char path[] = "/tmp/check_elf.XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "hello, not ELF", 14), 14);
	close(fd);
	ck_assert_int_eq(fle_symbols(path, note, &(struct seen){0}), -1);

	/* The first 100 bytes of a real object: the section table is missing. */
	FILE *in = fopen(BUILDDIR "/examples/hello/app.o", "rb");
	char head[100];
	ck_assert_uint_eq(fread(head, 1, sizeof(head), in), sizeof(head));
	fclose(in);
	FILE *out = fopen(path, "wb");
	fwrite(head, 1, sizeof(head), out);
	fclose(out);
	ck_assert_int_eq(fle_symbols(path, note, &(struct seen){0}), -1);
	unlink(path);
	ck_assert_int_eq(fle_symbols("/nonexistent/file.o", note, &(struct seen){0}), -1);
}
END_TEST

Suite *elf_suite(void)
{
	Suite *s = suite_create("elf");
	TCase *tc = tcase_create("reader");
	tcase_add_test(tc, test_archive_members);
	tcase_add_test(tc, test_object_references);
	tcase_add_test(tc, test_callback_return_stops_walk);
	tcase_add_test(tc, test_rejects_non_elf_and_truncated);
	suite_add_tcase(s, tc);
	return s;
}
