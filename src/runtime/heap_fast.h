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

/* Whether runtime.h's read-only heap state is linked in (heap.c's unit tests link none). */
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

/* A heap's read-only range by its owner (runtime.h: bounds), or NULL where none is known. */
static inline const struct flexos__heap_bounds *flexos__heap_bounds_of(int owner)
{
	if (!FLEXOS__HEAP_GUARDS)
		return NULL;
	unsigned i = owner == FLEXOS__SHARED_HEAP ? FLEXOS_MAX_COMPARTMENTS : (unsigned)owner;
	if (i > FLEXOS_MAX_COMPARTMENTS || !flexos__ro.s.bounds[i].hi)
		return NULL;
	return &flexos__ro.s.bounds[i];
}

/*
 * The heap a range of the table names (the table is platform memory, key
 * 0): taken from the runtime's read-only state by the range's owner,
 * never from its heap pointer (a compartment could point it at a heap of
 * its own making, in shared memory); p must lie in that heap's range
 * where it is known (runtime.h: bounds), whose entry goes to *bounds.
 * The owner is read once: another compartment may change it meanwhile.
 */
static inline struct flexos__heap *
flexos__heap_of_range_bounds(const struct flexos__heap_range *r, const void *p, const char *what,
			     const struct flexos__heap_bounds **bounds)
{
	struct flexos__heap *h = r->heap;

	*bounds = NULL;
	if (!FLEXOS__HEAP_GUARDS)
		return h;
	int owner = __atomic_load_n(&r->owner, __ATOMIC_RELAXED);
	struct flexos__heap *want = owner == FLEXOS__SHARED_HEAP ? flexos__ro.s.shared_heap
				    : owner >= 0 && owner < FLEXOS_MAX_COMPARTMENTS
					? flexos__ro.s.heaps[owner]
					: NULL;
	if (!want || want != h)
		flexos__heap_bad(what, p,
				 "the table of heap ranges names another heap than its owner's; a "
				 "compartment changed it (docs/threat-model.md, limit 1)");
	const struct flexos__heap_bounds *b = flexos__heap_bounds_of(owner);
	if (b && (uintptr_t)p - b->lo >= b->hi - b->lo)
		flexos__heap_bad(what, p, "pointer was not allocated from this heap");
	*bounds = b;
	return h;
}

static inline struct flexos__heap *flexos__heap_of_range(const struct flexos__heap_range *r,
							 const void *p, const char *what)
{
	const struct flexos__heap_bounds *b;
	return flexos__heap_of_range_bounds(r, p, what, &b);
}

/*
 * p's chunk, its stride in *len, read once (another compartment may
 * write a header of the shared heap, or of a sandbox's, meanwhile), and
 * its heap in *heap (flexos__heap_of_range): where the heap's range is
 * known (runtime.h: bounds), the chunk lies in it and holds p, whatever
 * its header and the table of ranges say.
 */
static inline struct flexos__chunk *flexos__heap_chunk_len(const struct flexos__heap_range *r,
							   const void *p, const char *what,
							   size_t *len, struct flexos__heap **heap)
{
	const void *payload = p;
	const struct flexos__heap_bounds *b;

	*heap = flexos__heap_of_range_bounds(r, p, what, &b);
	if (((uintptr_t)p & (FLEXOS__HEAP_ALIGNMENT - 1)) || (uintptr_t)p < r->lowest)
		flexos__heap_bad(what, p, "pointer was not allocated from this heap");
	struct flexos__chunk *c = (struct flexos__chunk *)((uintptr_t)p - FLEXOS__CHUNK_HDR);
	uint16_t magic = __atomic_load_n(&c->magic, __ATOMIC_RELAXED);
	if (magic == FLEXOS__CHUNK_ALIGNED) {
		p = (const char *)p -
		    (size_t)__atomic_load_n(&c->units, __ATOMIC_RELAXED) * FLEXOS__HEAP_ALIGNMENT;
		if ((uintptr_t)p < r->lowest)
			flexos__heap_bad(what, p, "invalid pointer (heap corrupted?)");
		if (b && (uintptr_t)p - b->lo >= b->hi - b->lo)
			flexos__heap_bad(what, payload,
					 "its header names memory outside its heap; a compartment "
					 "changed it (docs/threat-model.md, limit 1)");
		c = (struct flexos__chunk *)((uintptr_t)p - FLEXOS__CHUNK_HDR);
		magic = __atomic_load_n(&c->magic, __ATOMIC_RELAXED);
	}
	if (__builtin_expect(magic != FLEXOS__CHUNK_LIVE, 0))
		flexos__heap_bad(what, p,
				 magic == FLEXOS__CHUNK_FREE ? "double free"
							     : "invalid pointer (heap corrupted?)");
	*len = (size_t)__atomic_load_n(&c->units, __ATOMIC_RELAXED) * FLEXOS__HEAP_ALIGNMENT;
	uintptr_t a = (uintptr_t)c;
	if (b && (!flexos__bounds_hold(b, a, *len) || *len < FLEXOS__CHUNK_HDR ||
		  (uintptr_t)payload < a + FLEXOS__CHUNK_HDR || (uintptr_t)payload >= a + *len))
		flexos__heap_bad(what, payload,
				 "its header names memory outside its heap; a compartment changed "
				 "it (docs/threat-model.md, limit 1)");
	return c;
}

static inline size_t flexos__heap_usable_size_in(const struct flexos__heap_range *r, const void *p)
{
	size_t len;
	struct flexos__heap *h;
	struct flexos__chunk *c = flexos__heap_chunk_len(r, p, "malloc_usable_size", &len, &h);
	return len - FLEXOS__CHUNK_HDR - ((uintptr_t)p - ((uintptr_t)c + FLEXOS__CHUNK_HDR));
}

#endif
