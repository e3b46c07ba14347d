/*
 * The compartment stacks of threads (limit 14 of docs/threat-model.md):
 * every stack a thread gets in a compartment it enters (the gate's slow
 * path) comes from a pool reserved at start-up, before the system-call
 * filter, so that the filter's range rules cover it: one mapping per
 * compartment (MAP_NORESERVE), a PROT_NONE guard below each stack, the
 * stacks keyed with the compartment's key and, in images with an asan
 * compartment, on 32 KiB boundaries with their ASan shadow keyed too.
 * Handing a stack out and taking it back maps and protects nothing.
 *
 * Which stacks are free is decided by a table of holders (one word a
 * stack: 0 free, else the gate page or switch record whose thread has
 * it) on pages with the gate key, which every compartment's PKRU may
 * read and none may write: it is written only with the gate page open
 * (the gate's slow path, gate.S's urec_free, the registration of a
 * thread's page), and the table and the pool's bounds (a read-only page)
 * are inside the filter's ranges, so neither can be unmapped, re-keyed or
 * mapped over. A stack is handed out by its index in the pool, never by
 * an address found in memory a compartment can write (the spare lists of
 * key-0 memory this replaces could be forged to hand a new thread a
 * "stack" of the attacker's choosing).
 *
 * A stack goes back to the pool when the switch record of its
 * user-level thread is freed (the thread ended, or its record was freed
 * under it: then it is never resumed), and when the gate page of an OS
 * thread is handed to a new thread after the kernel says the old one is
 * gone (a live thread's page taken by a forged registration keeps its
 * stacks out of the pool for good). An OS thread that ends while its
 * page is not reused keeps its stacks, as before.
 *
 * The size of the pool: MPK_POOL_STACKS stacks a compartment, or
 * FLEXOS_MPK_STACKS in the image's environment at start-up.
 */
#include "autoconfig.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"
#include "mpk.h"
#include "runtime.h"

/* Stacks a compartment by default: 64 MiB of address space, MAP_NORESERVE. */
#define MPK_POOL_STACKS 64
#define MPK_POOL_MAX    4096

/* A holder for stacks whose thread may still run on them: never free again. */
#define HOLDER_LOST 1

struct mpk_pool {
	uintptr_t lo, hi; /* the mapping: guard, stack, guard, stack, ... */
	uint64_t *holder; /* nstacks words, gate key */
};

/*
 * Read-only once made (before the filter, which covers the image). gate.S
 * (flexos__mpk_urec_free) reads table_lo and table_hi (MPK_POOLS_TABLE).
 */
union mpk_pools {
	struct {
		struct mpk_pool pool[MPK_SLOTS];
		uintptr_t table_lo, table_hi; /* every holder table, one mapping */
		size_t nstacks, stride, guard;
		int ready;
	} p;
	char page[4096];
};
union mpk_pools flexos__mpk_pools __attribute__((aligned(4096), visibility("hidden")));
#define pools flexos__mpk_pools
_Static_assert(offsetof(union mpk_pools, p.table_lo) == MPK_POOLS_TABLE, "gate.S layout");
_Static_assert(offsetof(union mpk_pools, p.table_hi) == MPK_POOLS_TABLE + 8, "gate.S layout");
_Static_assert(offsetof(union mpk_pools, p.nstacks) == MPK_POOLS_NSTACKS, "gate.S layout");
_Static_assert(offsetof(union mpk_pools, p.stride) == MPK_POOLS_STRIDE, "gate.S layout");
_Static_assert(sizeof(struct mpk_pool) == 24 && offsetof(struct mpk_pool, holder) == 16,
	       "gate.S layout");

#define P pools.p

static size_t pool_size(void)
{
	const char *s = secure_getenv("FLEXOS_MPK_STACKS");
	char *end;

	if (!s)
		return MPK_POOL_STACKS;
	errno = 0;
	unsigned long n = strtoul(s, &end, 10);
	if (errno || end == s || *end || n < 1 || n > MPK_POOL_MAX)
		flexos__die(FLEXOS_EXIT_SETUP,
			    "FLEXOS_MPK_STACKS='%s' in the environment: it says how many thread "
			    "stacks each compartment reserves at start-up, a number from 1 to %d "
			    "(default %d)",
			    s, MPK_POOL_MAX, MPK_POOL_STACKS);
	return n;
}

int flexos__mpk_stacks_init(uint32_t ncomp)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t guard = flexos__asan_key_stack_shadow ? ASAN_STACK_ALIGN : (size_t)page;
	size_t n = pool_size(), stride = MPK_STACK_SIZE + guard;
	size_t table = (ncomp * n * sizeof(uint64_t) + (size_t)page - 1) & ~((size_t)page - 1);
	int err;

	if (ncomp > MPK_SLOTS)
		return -EINVAL;
	P.nstacks = n;
	P.stride = stride;
	P.guard = guard;
	char *t = mmap(NULL, table, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t == MAP_FAILED)
		return -errno;
	/* Readable by every compartment (the gate key's access bit is clear in each PKRU). */
	if (flexos__mpk_ro.ro.gate_key &&
	    pkey_mprotect(t, table, PROT_READ | PROT_WRITE, flexos__mpk_ro.ro.gate_key))
		return -errno;
	P.table_lo = (uintptr_t)t;
	P.table_hi = (uintptr_t)t + table;
	for (uint32_t c = 0; c < ncomp; c++) {
		/*
		 * One stride more, so that the first guard can start on a 32 KiB
		 * boundary, and in asan images ASAN_STACK_ABOVE after the last
		 * stack (mpk.h), whose shadow has the stacks' key.
		 */
		size_t above = flexos__asan_key_stack_shadow ? ASAN_STACK_ABOVE : 0;
		size_t len = n * stride + above + guard;
		char *m = mmap(NULL, len, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
		if (m == MAP_FAILED) {
			err = -errno;
			flexos__say("cannot reserve %zu MiB of address space for the %zu thread "
				    "stacks of compartment '%s' (%s); lower FLEXOS_MPK_STACKS in "
				    "the image's environment or raise 'ulimit -v'",
				    len >> 20, n, flexos__comp_name((int)c),
				    flexos__strerror(-err));
			return err;
		}
		char *lo = (char *)(((uintptr_t)m + guard - 1) & ~(uintptr_t)(guard - 1));
		if (lo > m)
			munmap(m, (size_t)(lo - m));
		char *end = lo + n * stride + above;
		if (end < m + len)
			munmap(end, (size_t)(m + len - end));
		for (size_t i = 0; i < n; i++) {
			char *s = lo + i * stride + guard;
			if (pkey_mprotect(s, MPK_STACK_SIZE, PROT_READ | PROT_WRITE,
					  flexos__mpk_ro.ro.keys[c]))
				return -errno;
		}
		/* The stacks' shadow: one range, which asan.c records for the filter. */
		if (flexos__asan_key_stack_shadow &&
		    (err = flexos__asan_key_stack_shadow(c, (uintptr_t)lo + guard, (uintptr_t)end,
							 flexos__mpk_ro.ro.keys[c])))
			return err;
		P.pool[c] = (struct mpk_pool){(uintptr_t)lo, (uintptr_t)end,
					      (uint64_t *)(t + c * n * sizeof(uint64_t))};
	}
	P.ready = 1;
	if (mprotect(&pools, sizeof(pools), PROT_READ))
		return -errno;
	return 0;
}

uintptr_t flexos__mpk_stack_take(uint64_t comp, uint64_t holder)
{
	const struct mpk_pool *p = &P.pool[comp & (MPK_SLOTS - 1)];

	if (!P.ready || !p->holder)
		return 0;
	for (size_t i = 0; i < P.nstacks; i++) {
		uint64_t none = 0;
		if (__atomic_load_n(&p->holder[i], __ATOMIC_RELAXED) == 0 &&
		    __atomic_compare_exchange_n(&p->holder[i], &none, holder, false,
						__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			return p->lo + (i + 1) * P.stride;
	}
	flexos__abort("gate: compartment '%s' has no thread stack left for this thread: all "
		      "%zu of its pool are in use (set FLEXOS_MPK_STACKS, from 1 to %d, in the "
		      "image's environment to reserve more at start-up)",
		      flexos__comp_name((int)(comp & (MPK_SLOTS - 1))), P.nstacks, MPK_POOL_MAX);
}

/* The stacks holder has go to `to' (0: back to the pool). */
static void hand_over(uint64_t holder, uint64_t to)
{
	for (uint32_t c = 0; P.ready && c < MPK_SLOTS; c++)
		for (size_t i = 0; P.pool[c].holder && i < P.nstacks; i++) {
			uint64_t h = holder;
			__atomic_compare_exchange_n(&P.pool[c].holder[i], &h, to, false,
						    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
		}
}

void flexos__mpk_stacks_release_page(const struct mpk_gate_page *gp)
{
	/*
	 * Unless the kernel says the thread that had the page is gone, it
	 * may still run on them: they are nobody's ever again. A page bound
	 * in another process (this is a child of fork()) may be the forking
	 * thread's, which runs here under another tid: the same.
	 */
	if (flexos__mpk_page_thread(gp) != MPK_THREAD_GONE)
		hand_over((uint64_t)(uintptr_t)gp, HOLDER_LOST);
	else
		hand_over((uint64_t)(uintptr_t)gp, 0);
}

size_t flexos__mpk_pool_ranges(struct flexos__range *out, size_t max)
{
	size_t k = 0;

	if (!P.ready)
		return 0;
	if (k < max)
		out[k++] = (struct flexos__range){P.table_lo, P.table_hi};
	for (uint32_t c = 0; c < MPK_SLOTS && k < max; c++)
		if (P.pool[c].hi)
			out[k++] = (struct flexos__range){P.pool[c].lo, P.pool[c].hi};
	return k;
}

int flexos__mpk_pool_owner(uintptr_t a, const char **what)
{
	if (!P.ready)
		return -1;
	if (a >= P.table_lo && a < P.table_hi) {
		*what = "the thread stacks' holders (gate key: no compartment may write them)";
		return -1;
	}
	for (uint32_t c = 0; c < MPK_SLOTS; c++)
		if (a >= P.pool[c].lo && a < P.pool[c].hi) {
			*what =
			    (a - P.pool[c].lo) % P.stride < P.guard ? "stack guard page" : "stack";
			return (int)c;
		}
	return -1;
}

const uint64_t *flexos__mpk_pool_holders(uint64_t comp, size_t *n)
{
	*n = P.ready ? P.nstacks : 0;
	return P.pool[comp & (MPK_SLOTS - 1)].holder;
}
