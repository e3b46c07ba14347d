/*
 * Tests of the allocator behind every compartment heap (src/runtime/heap.c).
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../src/runtime/heap_fast.h"
#include "suites.h"

#define HEAP_SIZE (64u << 20)

static struct flexos__heap *h;

static void setup(void)
{
	h = flexos__heap_create(HEAP_SIZE, 3, 0);
	ck_assert_ptr_nonnull(h);
}

START_TEST(test_alloc_is_aligned_and_inside)
{
	for (size_t n = 0; n < 5000; n += 7) {
		char *p = flexos__heap_alloc(h, n);
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_eq((uintptr_t)p % 16, 0);
		ck_assert(flexos__heap_contains(h, p));
		ck_assert(flexos__heap_contains(h, p + (n ? n - 1 : 0)));
		ck_assert_uint_ge(flexos__heap_usable_size(h, p), n);
		memset(p, 0xab, n);
	}
}
END_TEST

START_TEST(test_blocks_do_not_overlap)
{
	enum { N = 512 };
	unsigned char *p[N];
	for (int i = 0; i < N; i++) {
		size_t n = (size_t)(i * 37 % 3000) + 1;
		p[i] = flexos__heap_alloc(h, n);
		memset(p[i], i & 0xff, n);
	}
	for (int i = 0; i < N; i++) {
		unsigned char want[3000];
		size_t n = (size_t)(i * 37 % 3000) + 1;
		memset(want, i & 0xff, n);
		ck_assert_msg(!memcmp(p[i], want, n), "block %d was overwritten", i);
	}
}
END_TEST

START_TEST(test_free_recycles_and_accounts)
{
	void *a = flexos__heap_alloc(h, 100);
	ck_assert_uint_eq(flexos__heap_in_use(h), flexos__heap_usable_size(h, a));
	/* glibc's layout: the header takes 8 bytes of a 16-byte multiple. */
	ck_assert_uint_eq(flexos__heap_usable_size(h, a), 104);
	flexos__heap_free(h, a);
	ck_assert_uint_eq(flexos__heap_in_use(h), 0);
	void *b = flexos__heap_alloc(h, 100);
	ck_assert_ptr_eq(a, b);
	void *big = flexos__heap_alloc(h, 1 << 20);
	flexos__heap_free(h, big);
	ck_assert_ptr_eq(flexos__heap_alloc(h, 1 << 20), big);
}
END_TEST

START_TEST(test_aligned)
{
	for (size_t align = 1; align <= 65536; align <<= 1) {
		void *p = flexos__heap_alloc_aligned(h, align, 40);
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_eq((uintptr_t)p % align, 0);
		ck_assert_uint_ge(flexos__heap_usable_size(h, p), 40);
		flexos__heap_free(h, p);
	}
	ck_assert_uint_eq(flexos__heap_in_use(h), 0);
	ck_assert_ptr_null(flexos__heap_alloc_aligned(h, 24, 8));
}
END_TEST

START_TEST(test_realloc_keeps_contents)
{
	char *p = flexos__heap_realloc(h, NULL, 10);
	strcpy(p, "123456789");
	p = flexos__heap_realloc(h, p, 100000);
	ck_assert_str_eq(p, "123456789");
	p = flexos__heap_realloc(h, p, 5);
	ck_assert_int_eq(memcmp(p, "12345", 5), 0);
	ck_assert_ptr_null(flexos__heap_realloc(h, p, 0));
	ck_assert_uint_eq(flexos__heap_in_use(h), 0);
}
END_TEST

START_TEST(test_exhaustion_is_enomem)
{
	ck_assert_ptr_null(flexos__heap_alloc(h, HEAP_SIZE));
	ck_assert_ptr_null(flexos__heap_alloc(h, SIZE_MAX));
	ck_assert_ptr_nonnull(flexos__heap_alloc(h, HEAP_SIZE / 2));
}
END_TEST

/* A full heap says once which config key to raise. */
START_TEST(test_full_heap_names_heap_size)
{
	FILE *tmp = tmpfile();
	char out[1024] = "";
	int saved = dup(2);

	ck_assert_ptr_nonnull(tmp);
	dup2(fileno(tmp), 2);
	ck_assert_ptr_nonnull(flexos__heap_alloc(h, HEAP_SIZE / 2));
	ck_assert_ptr_null(flexos__heap_alloc(h, HEAP_SIZE / 2));
	ck_assert_ptr_null(flexos__heap_alloc(h, HEAP_SIZE / 2));
	dup2(saved, 2);
	rewind(tmp);
	size_t n = fread(out, 1, sizeof(out) - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	ck_assert_msg(strstr(out, "flexos: the heap of compartment 3 is full (64 MiB): an "
				  "allocation of 33554432 bytes fails with ENOMEM; raise its "
				  "'heap_size' in the config\n") == out &&
			  !strchr(out, '\n')[1],
		      "expected the message once, got: %s", out);
}
END_TEST

START_TEST(test_double_free_aborts)
{
	void *p = flexos__heap_alloc(h, 32);
	flexos__heap_free(h, p);
	flexos__heap_free(h, p);
}
END_TEST

/*
 * A header the heap's compartment forged (a sandbox, for a block its host
 * frees): a class past the free lists must stop the free, not index past them.
 */
START_TEST(test_forged_class_aborts)
{
	void *p = flexos__heap_alloc(h, 32);
	((struct flexos__chunk *)((uintptr_t)p - FLEXOS__CHUNK_HDR))->cls = 0x7fff;
	flexos__heap_free(h, p);
}
END_TEST

/*
 * An entry of the table of ranges a compartment rewrote (platform memory
 * under intel-mpk) to name another heap: a free through it must stop, not
 * put the chunk on that heap's lists, which would hand it out there
 * (tests/integration/lend-attack.sh "forge" is the attack).
 */
START_TEST(test_forged_range_heap_aborts)
{
	struct flexos__heap *other = flexos__heap_create(HEAP_SIZE, 4, 0);
	void *p = flexos__heap_alloc(other, 24);
	struct flexos__heap_range forged = *flexos__heap_find(p);

	forged.heap = h;
	flexos__heap_free_in(&forged, p);
	ck_assert_ptr_ne(flexos__heap_alloc(h, 24), p);
}
END_TEST

START_TEST(test_foreign_pointer_aborts)
{
	static char not_from_heap[64];
	flexos__heap_free(h, not_from_heap + 16);
}
END_TEST

START_TEST(test_interior_pointer_aborts)
{
	char *p = flexos__heap_alloc(h, 256);
	flexos__heap_free(h, p + 32);
}
END_TEST

static void *churn(void *arg)
{
	(void)arg;
	void *keep[64] = {0};
	for (int i = 0; i < 20000; i++) {
		int k = i % 64;
		flexos__heap_free(h, keep[k]);
		keep[k] = flexos__heap_alloc(h, (size_t)(i % 700) + 1);
		memset(keep[k], k, (size_t)(i % 700) + 1);
	}
	for (int k = 0; k < 64; k++)
		flexos__heap_free(h, keep[k]);
	return NULL;
}

START_TEST(test_threads)
{
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, churn, NULL), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	ck_assert_uint_eq(flexos__heap_in_use(h), 0);
}
END_TEST

/*
 * A growable heap maps more ranges as it needs, up to its limit: what they
 * hold is allocated, freed and recycled like the first range's.
 */
START_TEST(test_growable_heap_grows_to_its_limit)
{
	struct flexos__heap *g = flexos__heap_create_growable(1u << 20, 8u << 20, 4, 0);
	uintptr_t s0, e0, s, e;

	ck_assert_ptr_nonnull(g);
	flexos__heap_range(g, &s0, &e0);
	ck_assert_uint_eq(e0 - s0, 1u << 20);
	ck_assert_int_eq(flexos__heap_extra_range(g, 0, &s, &e), -1);
	char *big = flexos__heap_alloc(g, 3u << 20);
	ck_assert_ptr_nonnull(big);
	ck_assert_int_eq(flexos__heap_extra_range(g, 0, &s, &e), 0);
	ck_assert((uintptr_t)big >= s && (uintptr_t)big + (3u << 20) <= e);
	ck_assert(flexos__heap_contains(g, big));
	ck_assert(flexos__heap_contains(g, big + (3u << 20) - 1));
	memset(big, 0x5a, 3u << 20);
	ck_assert_uint_ge(flexos__heap_usable_size(g, big), 3u << 20);
	flexos__heap_free(g, big);
	ck_assert_ptr_eq(flexos__heap_alloc(g, 3u << 20), big);
	/* 4 MiB of 8 are reserved now: 5 MiB more do not fit, 3 MiB do. */
	ck_assert_ptr_null(flexos__heap_alloc(g, 5u << 20));
	ck_assert_ptr_nonnull(flexos__heap_alloc(g, 3u << 20));
	ck_assert_int_eq(flexos__heap_extra_range(g, 1, &s, &e), 0);
	ck_assert_int_eq(flexos__heap_extra_range(g, 2, &s, &e), -1);
}
END_TEST

/*
 * A growable heap whose next range cannot be mapped (the address-space
 * limit, not heap_size) says so once, naming the limit, and fails with
 * ENOMEM.
 */
START_TEST(test_heap_that_cannot_map_says_why)
{
	struct flexos__heap *g = flexos__heap_create_growable(1u << 20, 64u << 20, 4, 0);
	struct rlimit saved, tight;
	unsigned long vm_kib = 0;
	char line[256], out[1024] = "";
	FILE *st = fopen("/proc/self/status", "r"), *tmp = tmpfile();
	int saved_err = dup(2);

	ck_assert_ptr_nonnull(g);
	ck_assert_ptr_nonnull(st);
	ck_assert_ptr_nonnull(tmp);
	while (fgets(line, sizeof(line), st))
		sscanf(line, "VmSize: %lu kB", &vm_kib);
	fclose(st);
	ck_assert_uint_gt(vm_kib, 0);
	ck_assert_int_eq(getrlimit(RLIMIT_AS, &saved), 0);
	tight = saved;
	tight.rlim_cur = (vm_kib + 2048) << 10; /* 2 MiB of room: not the 8 asked for */
	ck_assert_int_eq(setrlimit(RLIMIT_AS, &tight), 0);
	dup2(fileno(tmp), 2);
	errno = 0;
	void *p = flexos__heap_alloc(g, 8u << 20);
	int err = errno;
	void *q = flexos__heap_alloc(g, 8u << 20);
	dup2(saved_err, 2);
	setrlimit(RLIMIT_AS, &saved);
	ck_assert_ptr_null(p);
	ck_assert_ptr_null(q);
	ck_assert_int_eq(err, ENOMEM);
	rewind(tmp);
	size_t n = fread(out, 1, sizeof(out) - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	ck_assert_msg(strstr(out,
			     "flexos: the heap of compartment 4 cannot grow by 8200 KiB (it has "
			     "1 of its 64 MiB): mmap: Cannot allocate memory; allocations "
			     "fail with ENOMEM: check the process's address-space limit "
			     "(ulimit -v)\n") == out &&
			  !strchr(out, '\n')[1],
		      "expected the message once, got: %s", out);
	/* With room again, it grows. */
	ck_assert_ptr_nonnull(flexos__heap_alloc(g, 8u << 20));
}
END_TEST

/*
 * glibc's layout: an 8-byte header in a 16-byte multiple, so small objects
 * pack as densely as under glibc (Redis's keyspace: tests/redis, bench/redis).
 */
START_TEST(test_small_chunks_pack_like_glibc)
{
	char *a = flexos__heap_alloc(h, 24), *b = flexos__heap_alloc(h, 24);
	char *c = flexos__heap_alloc(h, 25), *d = flexos__heap_alloc(h, 1);

	ck_assert_uint_eq(b - a, 32);
	ck_assert_uint_eq(c - b, 32);
	ck_assert_uint_eq(d - c, 48);
	ck_assert_uint_eq(flexos__heap_usable_size(h, a), 24);
	ck_assert_uint_eq(flexos__heap_usable_size(h, c), 40);
	ck_assert_uint_eq(flexos__heap_usable_size(h, d), 24);
	memset(a, 1, 24);
	memset(b, 2, 24);
	ck_assert_int_eq(a[23], 1);
}
END_TEST

/* flexos__heap_find names the range and owner of a heap's pointers, first or grown ranges. */
START_TEST(test_find_names_range_and_owner)
{
	static char not_from_heap[64];
	struct flexos__heap *g = flexos__heap_create_growable(1u << 20, 8u << 20, 5, 0);
	char *small = flexos__heap_alloc(g, 100), *big = flexos__heap_alloc(g, 3u << 20);
	char *mine = flexos__heap_alloc(h, 10);

	const struct flexos__heap_range *r = flexos__heap_find(small);
	ck_assert(r && r->heap == g && r->owner == 5);
	ck_assert((uintptr_t)small >= r->lowest);
	r = flexos__heap_find(big);
	ck_assert(r && r->heap == g && r->owner == 5 && r->start != (uintptr_t)g);
	r = flexos__heap_find(mine);
	ck_assert(r && r->heap == h && r->owner == 3);
	ck_assert_ptr_null(flexos__heap_find(not_from_heap + 16));
	ck_assert_ptr_null(flexos__heap_find(NULL));
	/* The bookkeeping is no payload. */
	r = flexos__heap_find(g);
	ck_assert(r && (uintptr_t)g < r->lowest);
}
END_TEST

/*
 * The thread's slots are platform memory a compartment can write: an
 * overwritten slot still names an entry of the table, and find still
 * finds the right range (or none).
 */
START_TEST(test_overwritten_slot_stays_in_the_table)
{
	static char not_from_heap[64];
	char *p = flexos__heap_alloc(h, 32);
	const uint16_t forged[] = {0xffff, 0x8000, FLEXOS__HEAP_MAX_RANGES - 1, 0};

	for (size_t i = 0; i < sizeof(forged) / sizeof(forged[0]); i++) {
		*flexos__heap_slot_of(p) = forged[i];
		const struct flexos__heap_range *s = flexos__heap_slot(p);
		ck_assert(s >= flexos__heap_ranges && s < flexos__heap_ranges + FLEXOS__HEAP_MAX_RANGES);
		const struct flexos__heap_range *r = flexos__heap_find(p);
		ck_assert(r && r->heap == h && r->owner == 3);
		*flexos__heap_slot_of(not_from_heap) = forged[i];
		ck_assert_ptr_null(flexos__heap_find(not_from_heap));
	}
}
END_TEST

/*
 * The words a heap keeps for lending threads (backends/common/lend.c
 * finds its records there): in the first range's bookkeeping, so with
 * the heap's protection, below every payload, none shared between
 * threads' slots or heaps, and none past FLEXOS__HEAP_THREAD_WORDS.
 */
START_TEST(test_thread_words)
{
	struct flexos__heap *g = flexos__heap_create_growable(1u << 20, 8u << 20, 5, 0);
	struct flexos__heap *heaps[] = {h, g};

	for (size_t k = 0; k < 2; k++) {
		uintptr_t start, end;
		flexos__heap_range(heaps[k], &start, &end);
		const struct flexos__heap_range *r = flexos__heap_find((void *)start);
		ck_assert(r && r->heap == heaps[k]);
		for (unsigned i = 0; i < FLEXOS__HEAP_THREAD_WORDS; i++) {
			void **w = flexos__heap_thread_word(heaps[k], i);
			ck_assert_ptr_nonnull(w);
			ck_assert((uintptr_t)w >= start && (uintptr_t)w + sizeof(*w) <= r->lowest);
			ck_assert_ptr_null(*w);
			*w = (void *)(uintptr_t)(k << 8 | i);
		}
		ck_assert_ptr_null(flexos__heap_thread_word(heaps[k], FLEXOS__HEAP_THREAD_WORDS));
		ck_assert_ptr_null(flexos__heap_thread_word(heaps[k], ~0u));
	}
	/* Allocations, first range or grown, leave them as written. */
	ck_assert_ptr_nonnull(flexos__heap_alloc(g, 3u << 20));
	for (size_t n = 16; n < 70000; n *= 2)
		ck_assert_ptr_nonnull(flexos__heap_alloc(h, n));
	for (size_t k = 0; k < 2; k++)
		for (unsigned i = 0; i < FLEXOS__HEAP_THREAD_WORDS; i++)
			ck_assert_ptr_eq(*flexos__heap_thread_word(heaps[k], i),
					 (void *)(uintptr_t)(k << 8 | i));
}
END_TEST

/* A fixed heap never maps a second range. */
START_TEST(test_fixed_heap_does_not_grow)
{
	uintptr_t s, e;

	ck_assert_ptr_nonnull(flexos__heap_alloc(h, HEAP_SIZE / 2));
	ck_assert_ptr_null(flexos__heap_alloc(h, HEAP_SIZE / 2));
	ck_assert_int_eq(flexos__heap_extra_range(h, 0, &s, &e), -1);
}
END_TEST

/*
 * The size lending uses for a heap row (backends/common/lend.c): the
 * usable size at an allocation's start, 0 for anything else, and never
 * an abort on what is no allocation.
 */
START_TEST(test_object_size)
{
	char *a = flexos__heap_alloc(h, 40);
	char *b = flexos__heap_alloc(h, 300);
	char *c = flexos__heap_alloc_aligned(h, 64, 100);
	struct flexos__heap *g = flexos__heap_create_growable(1u << 20, 8u << 20, 5, 0);
	char *big = flexos__heap_alloc(g, 3u << 20);
	static char outside[64] __attribute__((aligned(16)));

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_nonnull(big);
	memset(b, 0x5a, 300);
	ck_assert_uint_eq(flexos__heap_object_size(h, a), flexos__heap_usable_size(h, a));
	ck_assert_uint_ge(flexos__heap_object_size(h, a), 40);
	ck_assert_uint_ge(flexos__heap_object_size(h, b), 300);
	ck_assert_uint_eq(flexos__heap_object_size(h, c), flexos__heap_usable_size(h, c));
	ck_assert_uint_ge(flexos__heap_object_size(h, c), 100);
	ck_assert_uint_ge(flexos__heap_object_size(g, big), 3u << 20);
	/* Inside an allocation, unaligned, outside the heap, another heap's, freed. */
	ck_assert_uint_eq(flexos__heap_object_size(h, b + 16), 0);
	ck_assert_uint_eq(flexos__heap_object_size(h, a + 1), 0);
	ck_assert_uint_eq(flexos__heap_object_size(h, outside), 0);
	ck_assert_uint_eq(flexos__heap_object_size(g, a), 0);
	flexos__heap_free(h, a);
	ck_assert_uint_eq(flexos__heap_object_size(h, a), 0);
}
END_TEST

/* fork() under intel-mpk: a lock a thread the child does not have held at the fork. */
START_TEST(test_lock_held_at_fork_is_reported)
{
	flexos__heap_lock(h);
	flexos__heap_forked(); /* the child's handler: this holder is of the parent */
	flexos__heap_alloc(h, 32);
}
END_TEST

/* The control: the forking thread's own lock, released in the child, is free. */
START_TEST(test_lock_released_at_fork_is_free)
{
	flexos__heap_lock(h);
	flexos__heap_forked();
	flexos__heap_unlock(h);
	void *p = flexos__heap_alloc(h, 32);
	ck_assert_ptr_nonnull(p);
	flexos__heap_free(h, p);
}
END_TEST

extern int flexos__heap_held;
static volatile int forged_allocated;

static void *alloc_once(void *arg)
{
	(void)arg;
	void *p = flexos__heap_alloc(h, 32);
	forged_allocated = 1;
	flexos__heap_free(h, p);
	return NULL;
}

/*
 * The held value is memory a compartment can write (key 0 under
 * intel-mpk): 0 written there must not make a held lock look free.
 */
START_TEST(test_forged_held_value_keeps_exclusion)
{
	pthread_t t;

	flexos__heap_held = 0;
	flexos__heap_lock(h);
	ck_assert_int_eq(pthread_create(&t, NULL, alloc_once, NULL), 0);
	usleep(100 * 1000);
	ck_assert_msg(!forged_allocated, "another thread allocated while the heap was locked");
	flexos__heap_unlock(h);
	pthread_join(t, NULL);
	ck_assert(forged_allocated);
}
END_TEST

Suite *heap_suite(void)
{
	Suite *s = suite_create("heap");
	TCase *tc = tcase_create("heap");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_alloc_is_aligned_and_inside);
	tcase_add_test(tc, test_blocks_do_not_overlap);
	tcase_add_test(tc, test_free_recycles_and_accounts);
	tcase_add_test(tc, test_aligned);
	tcase_add_test(tc, test_realloc_keeps_contents);
	tcase_add_test(tc, test_exhaustion_is_enomem);
	tcase_add_test(tc, test_full_heap_names_heap_size);
	tcase_add_test_raise_signal(tc, test_double_free_aborts, SIGABRT);
	tcase_add_test_raise_signal(tc, test_forged_class_aborts, SIGABRT);
	tcase_add_test_raise_signal(tc, test_forged_range_heap_aborts, SIGABRT);
	tcase_add_test_raise_signal(tc, test_foreign_pointer_aborts, SIGABRT);
	tcase_add_test_raise_signal(tc, test_interior_pointer_aborts, SIGABRT);
	tcase_add_test(tc, test_threads);
	tcase_add_test_raise_signal(tc, test_lock_held_at_fork_is_reported, SIGABRT);
	tcase_add_test(tc, test_lock_released_at_fork_is_free);
	tcase_add_test(tc, test_forged_held_value_keeps_exclusion);
	tcase_add_test(tc, test_growable_heap_grows_to_its_limit);
	tcase_add_test(tc, test_heap_that_cannot_map_says_why);
	tcase_add_test(tc, test_fixed_heap_does_not_grow);
	tcase_add_test(tc, test_small_chunks_pack_like_glibc);
	tcase_add_test(tc, test_find_names_range_and_owner);
	tcase_add_test(tc, test_object_size);
	tcase_add_test(tc, test_overwritten_slot_stays_in_the_table);
	tcase_add_test(tc, test_thread_words);
	suite_add_tcase(s, tc);
	return s;
}
