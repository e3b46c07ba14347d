/*
 * Tests of the runtime's own printf (src/runtime/format.c): every
 * conversion the runtime's messages use gives what glibc's snprintf gives.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "runtime.h"
#include "suites.h"

/* The truncations and the null %s are what is tested. */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#pragma GCC diagnostic ignored "-Wformat-overflow"

/* Both formatters into buffers of `size`; the results must be equal. */
#define SAME(size, ...)                                                                 \
	do {                                                                            \
		char ours[size], libc[size];                                            \
		memset(ours, 'Z', sizeof(ours));                                        \
		int n = flexos__format(ours, sizeof(ours), __VA_ARGS__);                \
		int m = snprintf(libc, sizeof(libc), __VA_ARGS__);                      \
		ck_assert_str_eq(ours, libc);                                           \
		ck_assert_int_eq(n, m < (int)sizeof(libc) ? m : (int)sizeof(libc) - 1); \
	} while (0)

START_TEST(test_format_like_glibc)
{
	SAME(256, "plain text, no conversion");
	SAME(256, "%s and %s", "one", "two");
	SAME(256, "[%d] [%d] [%d] [%i]", 0, -1, 2147483647, (int)-2147483647 - 1);
	SAME(256, "[%u] [%lu] [%zu] [%llu]", 4294967295u, 18446744073709551615ul, (size_t)12345,
	     18446744073709551615ull);
	SAME(256, "[%ld] [%lld]", -9223372036854775807l - 1, -42ll);
	SAME(256, "[%#lx] [%#lx] [%lx] [%#x] [%x] [%X]", 0ul, 0xdeadbeeful, 0x1234ul, 0xffu, 0u,
	     0xabcu);
	SAME(256, "[%016llx] [%#14lx] [%#14lx]", 0x1234ull, 0x7f00ul, 0ul);
	SAME(256, "[%8lu] [%-8s] [%-8s] [%8s]", 42ul, "ab", "abcdefghij", "x");
	SAME(256, "[%.*s] [%.*s] [%.3s]", 3, "abcdef", 0, "abc", "ab");
	SAME(256, "[%c%c] [%%] [100%%]", 'o', 'k');
	SAME(256, "[%p] [%p]", (void *)0x7ffd1234, (void *)0);
	SAME(256, "[%s]", (char *)NULL);
	SAME(256, "[%05d] [%-5d|] [%5d] [%.3d] [%.0d]", -42, 7, 123456, 5, 0);
}
END_TEST

START_TEST(test_format_truncates_and_terminates)
{
	SAME(8, "%s", "a long string that does not fit");
	SAME(8, "%lu", 18446744073709551615ul);
	SAME(1, "%s", "nothing fits");
	char buf[4] = "xyz";
	ck_assert_int_eq(flexos__format(buf, 0, "%s", "abc"), 0);
	ck_assert_str_eq(buf, "xyz"); /* size 0: nothing written */
}
END_TEST

START_TEST(test_strerror_is_glibcs)
{
	ck_assert_str_eq(flexos__strerror(ENOENT), strerror(ENOENT));
	ck_assert_str_eq(flexos__strerror(ENOMEM), strerror(ENOMEM));
	ck_assert_str_eq(flexos__strerror(100000), "unknown error");
}
END_TEST

Suite *format_suite(void)
{
	Suite *s = suite_create("format");
	TCase *tc = tcase_create("format");
	tcase_add_test(tc, test_format_like_glibc);
	tcase_add_test(tc, test_format_truncates_and_terminates);
	tcase_add_test(tc, test_strerror_is_glibcs);
	suite_add_tcase(s, tc);
	return s;
}
