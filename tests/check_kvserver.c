/*
 * Tests of the kvserver example's pure parts: the Redis protocol parser and
 * writer (examples/kvserver/resp.c) and the store (examples/kvserver/store.c).
 */
#include <check.h>
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../examples/kvserver/resp.h"
#include "../examples/kvserver/store.h"
#include "suites.h"

static const struct resp_limits lim = {.max_bulk = 100, .max_args = 8, .max_inline = 64};
static struct resp_cmd cmd;

static void teardown(void)
{
	resp_cmd_free(&cmd);
}

static int arg_is(size_t i, const char *s)
{
	return i < cmd.argc && cmd.argv[i].len == strlen(s) && !memcmp(cmd.argv[i].p, s, strlen(s));
}

/* Parses all of s: the status; *used gets what was consumed. */
static enum resp_status parse(const char *s, size_t *used, const char **err)
{
	*err = NULL;
	*used = 0;
	return resp_parse(s, strlen(s), &lim, &cmd, used, err);
}

START_TEST(test_array)
{
	const char *req = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n*1\r\n$4\r\nPING\r\n";
	size_t used;
	const char *err;

	ck_assert_int_eq(parse(req, &used, &err), RESP_OK);
	ck_assert_uint_eq(cmd.argc, 3);
	ck_assert(arg_is(0, "SET") && arg_is(1, "k") && arg_is(2, ""));
	ck_assert_uint_eq(used, strlen("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n"));
	/* The pipelined second request follows. */
	ck_assert_int_eq(resp_parse(req + used, strlen(req) - used, &lim, &cmd, &used, &err),
			 RESP_OK);
	ck_assert(cmd.argc == 1 && arg_is(0, "PING"));
}
END_TEST

START_TEST(test_binary_bulk)
{
	const char req[] = "*2\r\n$3\r\nGET\r\n$4\r\na\r\n\0\r\n";
	size_t used;
	const char *err;

	ck_assert_int_eq(resp_parse(req, sizeof(req) - 1, &lim, &cmd, &used, &err), RESP_OK);
	ck_assert_uint_eq(cmd.argv[1].len, 4);
	ck_assert(!memcmp(cmd.argv[1].p, "a\r\n\0", 4));
	ck_assert_uint_eq(used, sizeof(req) - 1);
}
END_TEST

/* Every proper prefix of a request is incomplete, never an error. */
START_TEST(test_every_prefix_is_incomplete)
{
	const char *reqs[] = {"*2\r\n$4\r\nECHO\r\n$11\r\nhello world\r\n", "SET a \"b c\"\r\n",
			      "PING\n"};
	size_t used;
	const char *err;

	for (size_t r = 0; r < sizeof(reqs) / sizeof(reqs[0]); r++) {
		size_t n = strlen(reqs[r]);
		for (size_t i = 0; i < n; i++)
			ck_assert_msg(resp_parse(reqs[r], i, &lim, &cmd, &used, &err) ==
					  RESP_INCOMPLETE,
				      "request %zu, prefix of %zu bytes", r, i);
		ck_assert_int_eq(resp_parse(reqs[r], n, &lim, &cmd, &used, &err), RESP_OK);
		ck_assert_uint_eq(used, n);
	}
}
END_TEST

START_TEST(test_inline)
{
	size_t used;
	const char *err;

	ck_assert_int_eq(parse("  SET  key \"a b\" 'c'\r\nGET x\r\n", &used, &err), RESP_OK);
	ck_assert_uint_eq(cmd.argc, 4);
	ck_assert(arg_is(0, "SET") && arg_is(1, "key") && arg_is(2, "a b") && arg_is(3, "c"));
	ck_assert_uint_eq(used, strlen("  SET  key \"a b\" 'c'\r\n"));
	ck_assert_int_eq(parse("\r\n", &used, &err), RESP_EMPTY);
	ck_assert_uint_eq(used, 2);
	ck_assert_int_eq(parse("*0\r\n", &used, &err), RESP_EMPTY);
	ck_assert_uint_eq(used, 4);
	ck_assert_int_eq(parse("SET \"a b\r\n", &used, &err), RESP_ERROR);
	ck_assert_str_eq(err, "Protocol error: unbalanced quotes in request");
}
END_TEST

START_TEST(test_limits)
{
	char big[200];
	size_t used;
	const char *err;

	/* Errors as soon as the header is there, before the body. */
	ck_assert_int_eq(parse("*9\r\n", &used, &err), RESP_ERROR);
	ck_assert_str_eq(err, "Protocol error: array of 9 arguments exceeds the limit of 8");
	ck_assert_int_eq(parse("*1\r\n$101\r\n", &used, &err), RESP_ERROR);
	ck_assert_str_eq(err, "Protocol error: bulk length 101 exceeds the limit of 100");
	ck_assert_int_eq(parse("*1\r\n$100\r\n", &used, &err), RESP_INCOMPLETE);
	memset(big, 'a', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(parse(big, &used, &err), RESP_ERROR);
	ck_assert_str_eq(err, "Protocol error: too big inline request");
	ck_assert_int_eq(parse("a b c d e f g h i\r\n", &used, &err), RESP_ERROR);
	ck_assert_int_eq(parse("a b c d e f g h\r\n", &used, &err), RESP_OK);
}
END_TEST

START_TEST(test_malformed)
{
	static const char *bad[] = {
	    "*x\r\n",
	    "*1\r\nGET\r\n",
	    "*1\r\n$-5\r\n",
	    "*1\r\n$3\r\nGETX\r\n",
	    "*1\r\n$1x\r\n",
	    "*1\n",
	    "*99999999999999999999999\r\n",
	    "*11111111111111111111111111111111111",
	};
	size_t used;
	const char *err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(parse(bad[i], &used, &err) == RESP_ERROR, "'%s' accepted", bad[i]);
		ck_assert(!strncmp(err, "Protocol error: ", 16));
	}
}
END_TEST

START_TEST(test_parse_int)
{
	int64_t v;

	ck_assert(!resp_parse_int("0", 1, &v) && v == 0);
	ck_assert(!resp_parse_int("-42", 3, &v) && v == -42);
	ck_assert(!resp_parse_int("9223372036854775807", 19, &v) && v == INT64_MAX);
	ck_assert(!resp_parse_int("-9223372036854775808", 20, &v) && v == INT64_MIN);
	ck_assert(resp_parse_int("9223372036854775808", 19, &v));
	ck_assert(resp_parse_int("01", 2, &v));
	ck_assert(resp_parse_int("-0", 2, &v));
	ck_assert(resp_parse_int("", 0, &v));
	ck_assert(resp_parse_int(" 1", 2, &v));
	ck_assert(resp_parse_int("1a", 2, &v));
}
END_TEST

START_TEST(test_writer)
{
	struct resp_buf b = {0};

	ck_assert(!resp_write_simple(&b, "OK"));
	ck_assert(!resp_write_error(&b, "ERR x"));
	ck_assert(!resp_write_int(&b, -7));
	ck_assert(!resp_write_array(&b, 2));
	ck_assert(!resp_write_bulk(&b, "a\0b", 3));
	ck_assert(!resp_write_nil(&b));
	const char want[] = "+OK\r\n-ERR x\r\n:-7\r\n*2\r\n$3\r\na\0b\r\n$-1\r\n";
	ck_assert_uint_eq(b.len, sizeof(want) - 1);
	ck_assert(!memcmp(b.data, want, b.len));
	resp_buf_consume(&b, 5);
	ck_assert(!memcmp(b.data, "-ERR x\r\n", 8));
	/* Growth keeps the content. */
	for (int i = 0; i < 10000; i++)
		ck_assert(!resp_write_bulk(&b, "0123456789", 10));
	ck_assert_uint_eq(b.len, sizeof(want) - 1 - 5 + 10000 * 17);
	ck_assert(!memcmp(b.data + b.len - 17, "$10\r\n0123456789\r\n", 17));
	resp_buf_free(&b);
	ck_assert_ptr_null(b.data);
}
END_TEST

/* The server bounds an MGET reply by these sizes before writing it. */
START_TEST(test_reply_sizes)
{
	static const size_t lens[] = {0, 1, 9, 10, 99, 100, 65535, 1048576, 10000000};
	static char zeros[10000000];

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct resp_buf b = {0};
		ck_assert(!resp_write_bulk(&b, zeros, lens[i]));
		ck_assert_uint_eq(resp_bulk_size(lens[i]), b.len);
		b.len = 0;
		ck_assert(!resp_write_array(&b, lens[i]));
		ck_assert_uint_eq(resp_array_size(lens[i]), b.len);
		resp_buf_free(&b);
	}
}
END_TEST

/*
 * Bytes glibc's allocator counts as in use. Blocks in its per-thread cache
 * count too, so only compare figures taken after the same work.
 */
static size_t heap_in_use(void)
{
	return mallinfo2().uordblks;
}

START_TEST(test_store_basics)
{
	struct kv_store *s = kv_store_new();
	const char *v;
	size_t n;

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(kv_store_get(s, "k", 1, &v, &n), 0);
	ck_assert_int_eq(kv_store_set(s, "k", 1, "v1", 2), 0);
	ck_assert_int_eq(kv_store_set(s, "k\0x", 3, "", 0), 0);
	ck_assert_int_eq(kv_store_get(s, "k", 1, &v, &n), 1);
	ck_assert(n == 2 && !memcmp(v, "v1", 2));
	ck_assert_int_eq(kv_store_set(s, "k", 1, "other", 5), 0);
	ck_assert_int_eq(kv_store_get(s, "k", 1, &v, &n), 1);
	ck_assert(n == 5 && !memcmp(v, "other", 5));
	ck_assert_int_eq(kv_store_get(s, "k\0x", 3, &v, &n), 1);
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(kv_store_size(s), 2);
	ck_assert_int_eq(kv_store_del(s, "k", 1), 1);
	ck_assert_int_eq(kv_store_del(s, "k", 1), 0);
	ck_assert_uint_eq(kv_store_size(s), 1);
	kv_store_free(s);
}
END_TEST

START_TEST(test_store_incr)
{
	struct kv_store *s = kv_store_new();
	const char *v;
	size_t n;
	int64_t out;

	ck_assert_int_eq(kv_store_incr(s, "c", 1, 1, &out), 0);
	ck_assert_int_eq(out, 1);
	ck_assert_int_eq(kv_store_incr(s, "c", 1, -11, &out), 0);
	ck_assert_int_eq(out, -10);
	ck_assert_int_eq(kv_store_get(s, "c", 1, &v, &n), 1);
	ck_assert(n == 3 && !memcmp(v, "-10", 3));
	kv_store_set(s, "s", 1, "abc", 3);
	ck_assert_int_eq(kv_store_incr(s, "s", 1, 1, &out), -EINVAL);
	kv_store_set(s, "s", 1, " 1", 2);
	ck_assert_int_eq(kv_store_incr(s, "s", 1, 1, &out), -EINVAL);
	kv_store_set(s, "m", 1, "9223372036854775807", 19);
	ck_assert_int_eq(kv_store_incr(s, "m", 1, 1, &out), -ERANGE);
	ck_assert_int_eq(kv_store_get(s, "m", 1, &v, &n), 1);
	ck_assert(n == 19 && !memcmp(v, "9223372036854775807", 19)); /* unchanged */
	kv_store_free(s);
}
END_TEST

/*
 * Many keys: the table grows, every key stays reachable, nothing leaks.
 * Counts failures instead of asserting: Check's assertions allocate.
 */
static int fill_and_empty(void)
{
	struct kv_store *s = kv_store_new();
	char key[32];
	const char *v;
	size_t n;
	int bad = !s;

	for (int round = 0; round < 3 && s; round++) {
		for (int i = 0; i < 50000; i++) {
			int len = snprintf(key, sizeof(key), "key:%d", i);
			bad += kv_store_set(s, key, (size_t)len, key, (size_t)len) != 0;
		}
		bad += kv_store_size(s) != 50000;
		for (int i = 0; i < 50000; i += 7) {
			int len = snprintf(key, sizeof(key), "key:%d", i);
			bad += kv_store_get(s, key, (size_t)len, &v, &n) != 1 || n != (size_t)len ||
			       memcmp(v, key, n);
		}
		if (round == 1) {
			kv_store_clear(s);
			bad += kv_store_size(s) != 0;
			continue;
		}
		for (int i = 0; i < 50000; i++) {
			int len = snprintf(key, sizeof(key), "key:%d", i);
			bad += kv_store_del(s, key, (size_t)len) != 1;
		}
		bad += kv_store_size(s) != 0;
	}
	kv_store_set(s, "left", 4, "over", 4); /* kv_store_free frees what is left */
	kv_store_free(s);
	return bad;
}

START_TEST(test_store_grow_and_free)
{
	int bad = fill_and_empty();
	size_t after_one = heap_in_use();
	for (int i = 0; i < 4; i++)
		bad += fill_and_empty();
	size_t after_five = heap_in_use();
	ck_assert_int_eq(bad, 0);
	/*
	 * One leaked value per key would be megabytes; the slack is for blocks
	 * glibc keeps in its per-thread cache.
	 */
	ck_assert_uint_le(after_five, after_one + 256 * 1024);
}
END_TEST

Suite *kvserver_suite(void)
{
	Suite *s = suite_create("kvserver");
	TCase *tc = tcase_create("resp");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_array);
	tcase_add_test(tc, test_reply_sizes);
	tcase_add_test(tc, test_binary_bulk);
	tcase_add_test(tc, test_every_prefix_is_incomplete);
	tcase_add_test(tc, test_inline);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_parse_int);
	tcase_add_test(tc, test_writer);
	suite_add_tcase(s, tc);
	tc = tcase_create("store");
	tcase_add_test(tc, test_store_basics);
	tcase_add_test(tc, test_store_incr);
	tcase_add_test(tc, test_store_grow_and_free);
	suite_add_tcase(s, tc);
	return s;
}
