/*
 * This file is private to the FlexOS runtime: the allocator behind every
 * compartment heap and the shared heap.
 *
 * A heap is one reserved range of address space; its bookkeeping lives at
 * the start of that range, so protecting the range protects the
 * bookkeeping too and a compartment can never reach another's allocator
 * state. Every function is thread-safe.
 */
#ifndef FLEXOS_HEAP_H
#define FLEXOS_HEAP_H

#include <stddef.h>
#include <stdint.h>

struct flexos__heap;

/*
 * Reserves len bytes (a multiple of the page size) at a kernel-chosen
 * address, mapped shared between processes when shared is nonzero (the
 * process backend forks after this), and sets up a heap in them owned by
 * owner (a compartment id, or -1 for the shared heap). Returns NULL and
 * sets errno on failure.
 */
struct flexos__heap *flexos__heap_create(size_t len, int owner, int shared);

/*
 * A heap that reserves first bytes and maps more ranges (private, never
 * shared) as allocations need them, up to limit bytes in all. Its first
 * range holds the bookkeeping: protecting that range protects the
 * allocator, but not the later ranges, which only the process that
 * mapped them has. NULL and errno on failure.
 */
struct flexos__heap *flexos__heap_create_growable(size_t first, size_t limit, int owner,
						  int shared);

/* The first range of the heap, bookkeeping included; a growable heap has more. */
void flexos__heap_range(const struct flexos__heap *h, uintptr_t *start, uintptr_t *end);

/*
 * For the process backend's fork and checkpoints: copies the part of the
 * first range the bump allocator has handed out, bookkeeping included, to
 * dst (room for the whole range), under the heap's lock, and leaves the
 * copy unlocked; returns how many bytes it copied. lock and unlock hold
 * the heap still across a clone of the process.
 */
size_t flexos__heap_copy_used(struct flexos__heap *h, void *dst);
void flexos__heap_lock(struct flexos__heap *h);
void flexos__heap_unlock(struct flexos__heap *h);
/*
 * In a child of fork() whose parent may have held a heap's lock in a
 * thread the child does not have (intel-mpk): such a lock then ends the
 * child with a report instead of a hang.
 */
void flexos__heap_forked(void);

/* The owner given to flexos__heap_create. */
int flexos__heap_owner(const struct flexos__heap *h);

/*
 * Word i (below FLEXOS__HEAP_THREAD_WORDS) of those the heap's
 * bookkeeping keeps for the runtime, one per lending thread (pointer
 * lending's records, backends/common/lend.c), or NULL past them: they
 * have the heap's protection, and no other compartment can make its
 * owner look elsewhere for them, as it could through TLS or glibc's
 * heap (key 0 under intel-mpk). Only the heap's owner uses them.
 */
#define FLEXOS__HEAP_THREAD_WORDS 64
void **flexos__heap_thread_word(struct flexos__heap *h, unsigned i);

/*
 * The i-th range a growable heap added to its first: 0, or -1 when it has
 * no more. A backend that protects a heap protects these too.
 */
int flexos__heap_extra_range(const struct flexos__heap *h, unsigned i, uintptr_t *start,
			     uintptr_t *end);

/* Whether p lies inside one of the heap's ranges. Lock-free: async-signal-safe. */
int flexos__heap_contains(const struct flexos__heap *h, const void *p);

/* One range of a heap, as flexos__heap_find finds it. */
struct flexos__heap_range {
	uintptr_t start, end;
	uintptr_t lowest; /* no payload starts below: the bookkeeping is below */
	struct flexos__heap *heap;
	int owner; /* the heap's, kept here: the caller may not read the heap's bookkeeping */
};

/*
 * flexos__heap_find(p) (heap_fast.h, inline): the range, among those of
 * all heaps this process maps, that p lies in; NULL when p is in none.
 * Lock-free: async-signal-safe.
 */

/* malloc, aligned allocation (align a power of two), free, realloc. */
void *flexos__heap_alloc(struct flexos__heap *h, size_t size);
void *flexos__heap_alloc_aligned(struct flexos__heap *h, size_t align, size_t size);
void flexos__heap_free(struct flexos__heap *h, void *p);
void *flexos__heap_realloc(struct flexos__heap *h, void *p, size_t size);

/* The usable size of an allocation of this heap. */
size_t flexos__heap_usable_size(struct flexos__heap *h, const void *p);

/*
 * free and realloc of a non-null p that flexos__heap_find found in r
 * (malloc_usable_size: heap_fast.h): malloc's hot path, one search per
 * call.
 */
void flexos__heap_free_in(const struct flexos__heap_range *r, void *p);
void *flexos__heap_realloc_in(const struct flexos__heap_range *r, void *p, size_t size);

/*
 * The usable size of the live allocation that starts at p, or 0 when p
 * is not the start of one (an interior pointer, freed memory, another
 * heap's): never aborts, for callers that only guess p is one.
 */
size_t flexos__heap_object_size(const struct flexos__heap *h, const void *p);

/* Bytes currently allocated (the usable sizes of the live allocations). */
size_t flexos__heap_in_use(struct flexos__heap *h);

#endif
