/*
 * Tests of what the isolating backends' system-call filters share
 * (backends/common/seccomp.c): the split of a window into aligned blocks,
 * and the range rules, loaded for real in a forked child (seccomp works
 * without protection keys) with EPERM as the action so that the child can
 * tell each call's fate.
 */
#include <check.h>
#include <errno.h>
#include <seccomp.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "suites.h"

START_TEST(test_blocks_cover_exactly)
{
	const struct flexos__range r[2] = {{0x3000, 0x11000}, {0x7f0000100000, 0x7f0004a03000}};
	struct flexos__range b[128];
	size_t n = flexos__range_blocks(r, 2, b, 128);
	uintptr_t next = r[0].lo;
	size_t k = 0;

	ck_assert_uint_le(n, 128);
	for (int i = 0; i < 2; i++, next = i < 2 ? r[i].lo : 0) {
		for (; k < n && b[k].lo < r[i].hi; k++) {
			uintptr_t size = b[k].hi - b[k].lo;
			ck_assert_uint_eq(b[k].lo, next); /* no gap, no overlap */
			ck_assert_uint_eq(size & (size - 1), 0);
			ck_assert_uint_eq(b[k].lo % size, 0);
			next = b[k].hi;
		}
		ck_assert_uint_eq(next, r[i].hi);
	}
	ck_assert_uint_eq(k, n);
	/* Few blocks: about two per bit of the range's size. */
	ck_assert_uint_le(n, 2 * 40);
}
END_TEST

START_TEST(test_blocks_count_beyond_max)
{
	const struct flexos__range r = {0x1000, 0x100000 - 0x1000};
	struct flexos__range b[2];

	ck_assert_uint_gt(flexos__range_blocks(&r, 1, b, 2), 2);
}
END_TEST

#define PAGE   4096ul
#define MAXLEN (64ul * PAGE)

/* 0 when the call failed with EPERM (the filter), 1 when it ran, 2 otherwise. */
static int fate(long r)
{
	return r == 0 ? 1 : errno == EPERM ? 0 : 2;
}

static long fixed(uintptr_t a, size_t len)
{
	void *p = mmap((void *)a, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	return p == MAP_FAILED ? -1 : 0;
}

/*
 * In the child: a protected range of 16 pages with MAXLEN free pages
 * below it (reserved in a real image), and a mapping of its own well
 * below that. Exits with one digit per case, in base 3.
 */
static void child(void)
{
	char *area = mmap(NULL, 4 * MAXLEN, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t base = ((uintptr_t)area + MAXLEN) & ~(MAXLEN - 1);
	uintptr_t lo = base + 2 * MAXLEN, hi = lo + 16 * PAGE;
	const struct flexos__range w = {lo - MAXLEN, hi};
	struct flexos__range b[64];
	size_t n = flexos__range_blocks(&w, 1, b, 64);
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
	int code = 0;

	if (area == MAP_FAILED || n > 64 || !f || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    flexos__seccomp_deny_ranges(f, SCMP_ACT_ERRNO(EPERM), b, n, MAXLEN) || seccomp_load(f))
		_exit(255);
	/* Denied: on the range, from below into it, longer than MAXLEN. */
	code = code * 3 + fate(munmap((void *)lo, PAGE));
	code = code * 3 + fate(mprotect((void *)(hi - PAGE), PAGE, PROT_NONE));
	code = code * 3 + fate(madvise((void *)lo, PAGE, MADV_DONTNEED));
	code = code * 3 + fate(fixed(lo - 4 * PAGE, 8 * PAGE));
	code = code * 3 + fate(fixed(lo - MAXLEN - PAGE, MAXLEN + 2 * PAGE));
	/* Allowed: below the window and short enough, above the range. */
	code = code * 3 + fate(fixed(base, MAXLEN));
	code = code * 3 + fate(munmap((void *)(hi + PAGE), PAGE));
	_exit(code);
}

START_TEST(test_range_rules)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		child();
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	/* 0 0 0 0 0 1 1 in base 3. */
	ck_assert_int_eq(WEXITSTATUS(status), 3 + 1);
}
END_TEST

Suite *seccomp_suite(void)
{
	Suite *s = suite_create("seccomp");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_blocks_cover_exactly);
	tcase_add_test(tc, test_blocks_count_beyond_max);
	tcase_add_test(tc, test_range_rules);
	suite_add_tcase(s, tc);
	return s;
}
