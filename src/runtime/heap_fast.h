/*
 * This file is private to the FlexOS runtime: the allocator's hot paths,
 * inline, for heap.c and for the isolating backends' malloc (one search
 * and one header read per free or malloc_usable_size, as glibc's
 * allocator does: Redis asks malloc_usable_size after every malloc and
 * before every free).
 */
#ifndef FLEXOS_HEAP_FAST_H
#define FLEXOS_HEAP_FAST_H

#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>

#include "heap.h"
#include "runtime.h"

/* Whether runtime.h's guard is linked in (heap.c's unit tests link none). */
#ifdef FLEXOS__HEAP_RO_WEAK
#pragma weak flexos__ro
#define FLEXOS__HEAP_GUARDS (&flexos__ro != NULL)
#else
#define FLEXOS__HEAP_GUARDS 1
#endif

#define FLEXOS__HEAP_ALIGNMENT 16u

#define FLEXOS__CHUNK_LIVE 0x4c56u
#define FLEXOS__CHUNK_FREE 0x4652u
#define FLEXOS__CHUNK_ALIGNED 0x414cu

/*
 * Sits in the 8 bytes right before every payload. A chunk is its header
 * and its payload, and takes a multiple of 16 bytes ("stride") from the
 * header on: the payload starts 16-byte aligned and runs up to the next
 * chunk's header, so it holds stride - 8 bytes (glibc's layout: a
 * 24-byte request takes 32 bytes, not 48 as with a 16-byte header, and a
 * keyspace of small objects fits in fewer cache lines).
 */
struct flexos__chunk {
	uint16_t magic;
	uint16_t cls;
	uint32_t units; /* the stride / 16; for an aligned one, the distance back to the real payload / 16 */
};

#define FLEXOS__CHUNK_HDR ((uintptr_t)sizeof(struct flexos__chunk))

/*
 * Every range of every heap this process maps (heap.c): the first ranges
 * (mapped before the process backend forks, so every process has them)
 * and the ranges a heap grew by in this process (only its process maps
 * them). Appended under a lock, never removed; readers take none. Each
 * thread keeps, per 4 MiB of address space (hashed), the entry it found
 * there last: one comparison finds most.
 */
#define FLEXOS__HEAP_MAX_RANGES 1024 /* a power of two */
#define FLEXOS__HEAP_FOUND_SHIFT 22
#define FLEXOS__HEAP_FOUND_SLOTS 64
extern struct flexos__heap_range flexos__heap_ranges[FLEXOS__HEAP_MAX_RANGES];
extern uint32_t flexos__heap_nranges;
extern __thread uint16_t flexos__heap_found[FLEXOS__HEAP_FOUND_SLOTS];

/* What is wrong with p, for a free or malloc_usable_size (what): aborts. */
noreturn void flexos__heap_bad(const char *what, const void *p, const char *problem);

/* The search behind flexos__heap_find when the thread's slot misses. */
const struct flexos__heap_range *flexos__heap_search(uintptr_t a, uint16_t *slot);

/* The thread's slot for the 4 MiB of address space that hold p. */
static inline uint16_t *flexos__heap_slot_of(const void *p)
{
	return &flexos__heap_found[((uintptr_t)p >> FLEXOS__HEAP_FOUND_SHIFT) %
				   FLEXOS__HEAP_FOUND_SLOTS];
}

/*
 * The range the thread's slot for p names: p's range if it holds p (a
 * slot not yet filled names entry 0, which exists or has end 0). Masked:
 * a slot a compartment overwrote still names an entry of the table.
 */
static inline const struct flexos__heap_range *flexos__heap_slot(const void *p)
{
	return &flexos__heap_ranges[*flexos__heap_slot_of(p) & (FLEXOS__HEAP_MAX_RANGES - 1)];
}

static inline int flexos__heap_range_holds(const struct flexos__heap_range *r, const void *p)
{
	return (uintptr_t)p - r->start < r->end - r->start;
}

static inline const struct flexos__heap_range *flexos__heap_find(const void *p)
{
	const struct flexos__heap_range *r = flexos__heap_slot(p);

	if (flexos__heap_range_holds(r, p))
		return r;
	return flexos__heap_search((uintptr_t)p, flexos__heap_slot_of(p));
}

/* The real chunk behind p, in range r, or abort with a message naming the problem. */
/*
 * A chunk of the shared heap where compartments are isolated (runtime.h:
 * guard) must lie in it, header and payload: its header is every
 * compartment's to write, and an aligned one leads to another chunk,
 * whose free or copy would write or read where the header says.
 */
static inline struct flexos__chunk *flexos__heap_guard_chunk(const void *p, struct flexos__chunk *c,
							     const char *what)
{
	if (!FLEXOS__HEAP_GUARDS)
		return c;
	uintptr_t lo = flexos__ro.s.guard.lo, hi = flexos__ro.s.guard.hi, a = (uintptr_t)c;

	if (__builtin_expect((uintptr_t)p - lo >= hi - lo, 1))
		return c;
	/* (read once: another compartment may change it meanwhile) */
	size_t len = (size_t)__atomic_load_n(&c->units, __ATOMIC_RELAXED) * FLEXOS__HEAP_ALIGNMENT;
	if (a < lo || a > hi || len > hi - a || len < FLEXOS__CHUNK_HDR ||
	    (uintptr_t)p < a + FLEXOS__CHUNK_HDR || (uintptr_t)p >= a + len)
		flexos__heap_bad(what, p,
				 "its header names memory outside the shared heap; a compartment "
				 "changed it (docs/threat-model.md, limit 1)");
	return c;
}

/*
 * The heap a range of the table names (the table is platform memory, key
 * 0): taken from the runtime's read-only state by the range's owner,
 * never from its heap pointer (a compartment could point it at a heap of
 * its own making, in shared memory); and a pointer the shared heap's
 * range holds only where compartments are isolated (runtime.h: guard).
 */
static inline struct flexos__heap *flexos__heap_of_range(const struct flexos__heap_range *r,
							 const void *p, const char *what)
{
	struct flexos__heap *h = r->heap;

	if (!FLEXOS__HEAP_GUARDS)
		return h;
	int owner = r->owner;
	struct flexos__heap *want = owner == FLEXOS__SHARED_HEAP ? flexos__ro.s.shared_heap
				    : owner >= 0 && owner < FLEXOS_MAX_COMPARTMENTS
					? flexos__ro.s.heaps[owner]
					: NULL;
	if (!want || want != h)
		flexos__heap_bad(what, p,
				 "the table of heap ranges names another heap than its owner's; a "
				 "compartment changed it (docs/threat-model.md, limit 1)");
	if (h == flexos__ro.s.guard.heap &&
	    (uintptr_t)p - flexos__ro.s.guard.lo >= flexos__ro.s.guard.hi - flexos__ro.s.guard.lo)
		flexos__heap_bad(what, p, "pointer was not allocated from this heap");
	return h;
}

static inline struct flexos__chunk *flexos__heap_chunk(const struct flexos__heap_range *r,
							 const void *p, const char *what)
{
	flexos__heap_of_range(r, p, what);
	if (((uintptr_t)p & (FLEXOS__HEAP_ALIGNMENT - 1)) || (uintptr_t)p < r->lowest)
		flexos__heap_bad(what, p, "pointer was not allocated from this heap");
	struct flexos__chunk *c = (struct flexos__chunk *)((uintptr_t)p - FLEXOS__CHUNK_HDR);
	if (__builtin_expect(c->magic == FLEXOS__CHUNK_LIVE, 1))
		return flexos__heap_guard_chunk(p, c, what);
	if (c->magic == FLEXOS__CHUNK_ALIGNED) {
		const void *payload = p;
		p = (const char *)p - (size_t)c->units * FLEXOS__HEAP_ALIGNMENT;
		if ((uintptr_t)p < r->lowest)
			flexos__heap_bad(what, p, "invalid pointer (heap corrupted?)");
		c = (struct flexos__chunk *)((uintptr_t)p - FLEXOS__CHUNK_HDR);
		if (c->magic == FLEXOS__CHUNK_LIVE)
			return flexos__heap_guard_chunk(payload, c, what);
	}
	flexos__heap_bad(what, p,
			 c->magic == FLEXOS__CHUNK_FREE ? "double free"
							: "invalid pointer (heap corrupted?)");
}

static inline size_t flexos__heap_usable_size_in(const struct flexos__heap_range *r, const void *p)
{
	struct flexos__chunk *c = flexos__heap_chunk(r, p, "malloc_usable_size");
	return (size_t)c->units * FLEXOS__HEAP_ALIGNMENT - FLEXOS__CHUNK_HDR -
	       ((uintptr_t)p - ((uintptr_t)c + FLEXOS__CHUNK_HDR));
}

#endif
