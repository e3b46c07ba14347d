/*
 * The FlexOS allocator: segregated free lists over one reserved range, and
 * for a growable heap more ranges mapped on demand up to its limit.
 *
 * It is deliberately simple. Small requests are rounded to a size class and
 * recycled through a per-class free list; large ones are page multiples
 * kept on one first-fit list. Fresh memory comes from a bump pointer, in
 * the newest range. The bookkeeping sits in the first page of the first
 * range, so whoever may not touch a heap's range cannot touch its free
 * lists either.
 */
#include "autoconfig.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/*
 * The guarded heap and its bounds (runtime.h) are the runtime's read-only
 * state: weak here, so that the heap's unit tests link the heap without
 * the runtime.
 */
#define FLEXOS__HEAP_RO_WEAK 1
#include "heap_fast.h"
#include "runtime.h"

#define ALIGNMENT FLEXOS__HEAP_ALIGNMENT
#define MIN_STRIDE 32u
#define SMALL_LIMIT 512u    /* classes 0..30: strides 32, 48, ... 512 bytes */
#define MEDIUM_LIMIT 65536u /* classes 31..58: four strides per doubling, up to 64 KiB */
#define NCLASSES 59
#define CLASS_LARGE 0xffffu

#define HEAP_MAGIC 0x70616568534f5846ULL /* "FXOSheap" */
#define CHUNK_LIVE FLEXOS__CHUNK_LIVE
#define CHUNK_FREE FLEXOS__CHUNK_FREE
#define CHUNK_ALIGNED FLEXOS__CHUNK_ALIGNED
#define HDR FLEXOS__CHUNK_HDR

struct free_node {
	struct free_node *next;
};

/*
 * Whether h's bookkeeping is every compartment's to write, so that what
 * it names is checked against read-only bounds: the shared heap where
 * compartments are isolated (runtime.h: bounds, FLEXOS__SHARED_BOUNDS).
 */
static inline int is_guarded(const struct flexos__heap *h)
{
	return FLEXOS__HEAP_GUARDS && h == flexos__ro.s.shared_heap && FLEXOS__SHARED_BOUNDS.hi;
}

/* The most ranges a growable heap maps after its first. */
#define MAX_EXTRA 48

struct flexos__heap {
	uint64_t magic;
	int owner;
	int lock; /* a spinlock: the shared heap is shared across processes */
	uintptr_t start, end; /* the first range, with this bookkeeping */
	uintptr_t brk, top;   /* where the next chunk's header goes; the end of its range */
	size_t limit;         /* bytes all ranges may reach together */
	size_t reserved;      /* bytes of all ranges */
	size_t in_use;
	int said_full; /* the "heap is full" hint is given once */
	int said_map;  /* and the "cannot grow" one */
	uint32_t nextra; /* published after its range is written: contains() takes no lock */
	struct {
		uintptr_t start, end;
	} extra[MAX_EXTRA];
	struct free_node *free_small[NCLASSES];
	struct free_node *free_large;
	void *thread_word[FLEXOS__HEAP_THREAD_WORDS];
};

struct flexos__heap_range flexos__heap_ranges[FLEXOS__HEAP_MAX_RANGES];
uint32_t flexos__heap_nranges;
__thread uint16_t flexos__heap_found[FLEXOS__HEAP_FOUND_SLOTS];
static int range_lock;

/*
 * What a held lock holds: 1, plus one for each fork() the process's
 * ancestry made where a lock out of the forking thread's reach could be
 * held (flexos__heap_forked: intel-mpk, whose forking thread cannot take
 * another compartment's heap lock). A child that finds a lock holding an
 * older value finds it held by a thread it does not have: the heap may
 * be half-changed, so the child ends with a report, not a hang.
 */
int flexos__heap_held = 1;

/*
 * Always odd, so never 0 (free), whatever was written there: under
 * intel-mpk the word is key-0 memory every compartment can write, and a
 * 0 would make every lock look free to the threads of the others.
 */
static inline int held_value(void)
{
	return __atomic_load_n(&flexos__heap_held, __ATOMIC_RELAXED) | 1;
}

void flexos__heap_forked(void)
{
	__atomic_store_n(&flexos__heap_held, (int)((unsigned)held_value() + 2u), __ATOMIC_RELAXED);
}

static noreturn __attribute__((cold)) void held_at_fork(const int *lock)
{
	const struct flexos_runtime *rt =
	    flexos__runtime_if_started ? flexos__runtime_if_started() : NULL;
	const struct flexos_image *img = rt ? rt->image : NULL;
	const char *whose = "the heaps' range table";
	char name[160];

	for (uint32_t i = 0; i < flexos__heap_nranges; i++) {
		const struct flexos__heap *h = flexos__heap_ranges[i].heap;
		if (&h->lock != lock)
			continue;
		if (h->owner >= 0 && img && (uint32_t)h->owner < img->ncompartments)
			flexos__format(name, sizeof(name), "the heap of compartment '%s'",
				       img->compartments[h->owner].name);
		else if (h->owner >= 0)
			flexos__format(name, sizeof(name), "the heap of compartment %d", h->owner);
		else
			flexos__format(name, sizeof(name), "the shared heap");
		whose = name;
		break;
	}
	flexos__abort("this child of fork() cannot allocate: %s was locked at the fork by "
		      "another thread of the parent, which the child does not have, and may be "
		      "half-changed (under intel-mpk, fork() cannot lock another compartment's "
		      "heap: fork while no other thread allocates there; docs/threat-model.md)",
		      whose);
}

static void spin_lock(int *lock) __attribute__((noinline));
static void spin_lock(int *lock)
{
	int held = held_value();

	for (;;) {
		int v = __atomic_load_n(lock, __ATOMIC_RELAXED);
		if (!v) {
			if (__atomic_compare_exchange_n(lock, &v, held, 0, __ATOMIC_ACQUIRE,
							__ATOMIC_RELAXED))
				return;
			continue;
		}
		if (v != held)
			held_at_fork(lock);
		sched_yield();
	}
}

static void spin_unlock(int *lock)
{
	__atomic_store_n(lock, 0, __ATOMIC_RELEASE);
}

/*
 * Records a range of h whose chunks' payloads start at lowest or above;
 * -ENOMEM when the table is full.
 */
static int add_range(struct flexos__heap *h, uintptr_t start, uintptr_t end, uintptr_t lowest)
{
	int err = 0;

	spin_lock(&range_lock);
	uint32_t n = flexos__heap_nranges;
	if (n == FLEXOS__HEAP_MAX_RANGES) {
		err = -ENOMEM;
	} else {
		flexos__heap_ranges[n] = (struct flexos__heap_range){start, end, lowest, h, h->owner};
		__atomic_store_n(&flexos__heap_nranges, n + 1, __ATOMIC_RELEASE);
	}
	spin_unlock(&range_lock);
	return err;
}

const struct flexos__heap_range *flexos__heap_search(uintptr_t a, uint16_t *slot)
{
	uint32_t n = __atomic_load_n(&flexos__heap_nranges, __ATOMIC_ACQUIRE);
	struct flexos__heap_range *ranges = flexos__heap_ranges;

	/* Newest first: the ranges a heap grows by double, the last is the largest. */
	for (uint32_t i = n; i-- > 0;)
		if (a - ranges[i].start < ranges[i].end - ranges[i].start) {
			*slot = (uint16_t)i;
			return &ranges[i];
		}
	return NULL;
}

void flexos__heap_bad(const char *what, const void *p, const char *problem)
{
	flexos__abort("%s(%p): %s", what, p, problem);
}

static void heap_lock(struct flexos__heap *h)
{
	/* Uncontended, one compare-exchange: spin_lock's loop stays out of the fast paths. */
	int free_ = 0;
	if (__builtin_expect(!__atomic_compare_exchange_n(&h->lock, &free_, held_value(), 0,
							  __ATOMIC_ACQUIRE, __ATOMIC_RELAXED),
			     0))
		spin_lock(&h->lock);
}

static void heap_unlock(struct flexos__heap *h)
{
	spin_unlock(&h->lock);
}

static size_t round_up(size_t n, size_t to)
{
	return (n + to - 1) & ~(to - 1);
}

/*
 * The class of a request and the stride of its chunks; 0 stride when the
 * request cannot be a chunk at all.
 */
static uint32_t class_of(size_t n, size_t *stride)
{
	if (n > SIZE_MAX / 2) {
		*stride = 0;
		return CLASS_LARGE;
	}
	size_t s = round_up(n + HDR, ALIGNMENT);
	if (s < MIN_STRIDE)
		s = MIN_STRIDE;
	if (s <= SMALL_LIMIT) {
		*stride = s;
		return (uint32_t)(s / ALIGNMENT - 2);
	}
	if (s <= MEDIUM_LIMIT) {
		/* 2^e < s <= 2^(e+1): strides 5/4, 6/4, 7/4, 8/4 of 2^e. */
		unsigned e = 63u - (unsigned)__builtin_clzll((unsigned long long)(s - 1));
		size_t quarter = (size_t)1 << (e - 2);
		*stride = round_up(s, quarter);
		return 31u + (e - 9u) * 4u + (uint32_t)(*stride >> (e - 2)) - 5u;
	}
	*stride = round_up(s, (size_t)sysconf(_SC_PAGESIZE));
	if (*stride / ALIGNMENT > UINT32_MAX)
		*stride = 0;
	return CLASS_LARGE;
}

struct flexos__heap *flexos__heap_create(size_t len, int owner, int shared)
{
	return flexos__heap_create_growable(len, len, owner, shared);
}

/*
 * A heap's first range starts and ends on FIRST_ALIGN: one page of ASan
 * shadow covers 32 KiB, so the shadow of the whole range is whole pages,
 * which the intel-mpk backend gives the heap's key (src/harden/asan.c)
 * without sharing one with another compartment's memory.
 */
#define FIRST_ALIGN ((size_t)32 << 10)

/* len bytes mapped at a FIRST_ALIGN boundary, or MAP_FAILED. */
static void *map_aligned(size_t len, int flags)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t slack = FIRST_ALIGN > page ? FIRST_ALIGN - page : 0;
	char *raw = mmap(NULL, len + slack, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (raw == MAP_FAILED)
		return MAP_FAILED;
	char *base = (char *)round_up((uintptr_t)raw, FIRST_ALIGN);
	if (base > raw)
		munmap(raw, (size_t)(base - raw));
	if (raw + len + slack > base + len)
		munmap(base + len, (size_t)(raw + len + slack - (base + len)));
	return base;
}

struct flexos__heap *flexos__heap_create_growable(size_t first, size_t limit, int owner, int shared)
{
	int flags = (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | MAP_NORESERVE;
	if (first > limit)
		first = limit;
	first = round_up(first, FIRST_ALIGN);
	if (limit < first)
		limit = first;
	void *base = map_aligned(first, flags);
	if (base == MAP_FAILED)
		return NULL;

	struct flexos__heap *h = base;
	h->magic = HEAP_MAGIC;
	h->owner = owner;
	h->start = (uintptr_t)base;
	h->end = h->start + first;
	/* The first payload is 16-byte aligned, its header right before it. */
	h->brk = h->start + round_up(sizeof(*h) + HDR, ALIGNMENT) - HDR;
	h->top = h->end;
	h->limit = limit;
	h->reserved = first;
	int err = add_range(h, h->start, h->end, h->brk + HDR);
	if (err) {
		munmap(base, first);
		errno = -err;
		return NULL;
	}
	return h;
}

/*
 * A new range for a chunk of stride bytes: at least as large as what the
 * heap has (so ranges double), within the limit. The rest of the current
 * range is left unused. Called with the lock held; 0, -ENOMEM (past the
 * limit: the caller says which key to raise), or -EAGAIN (the system
 * refused the range: said here).
 */
static int grow(struct flexos__heap *h, size_t stride)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t room = h->limit - h->reserved;
	size_t len = round_up(stride + ALIGNMENT - HDR, page);

	/* (the shared heap where it is guarded never grows: its bookkeeping is everyone's) */
	if (is_guarded(h))
		return -ENOMEM;
	if (h->nextra == MAX_EXTRA || len > room)
		return -ENOMEM;
	if (len < h->reserved)
		len = h->reserved < room ? h->reserved : room;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		/* Not heap_size: the process's address space (ulimit -v) or the system's. */
		int err = errno;
		char whose[48] = "the shared heap";
		if (h->owner != FLEXOS__SHARED_HEAP)
			flexos__format(whose, sizeof(whose), "the heap of compartment %d",
				       h->owner);
		if (!__atomic_exchange_n(&h->said_map, 1, __ATOMIC_ACQ_REL))
			flexos__say("%s cannot grow by %zu KiB (it has %zu of its %zu MiB): mmap: "
				    "%s; allocations fail with ENOMEM: check the process's "
				    "address-space limit (ulimit -v)",
				    whose, len >> 10, h->reserved >> 20, h->limit >> 20,
				    flexos__strerror(err));
		return -EAGAIN;
	}
	if (add_range(h, (uintptr_t)p, (uintptr_t)p + len, (uintptr_t)p + ALIGNMENT)) {
		munmap(p, len);
		return -ENOMEM;
	}
	h->extra[h->nextra].start = (uintptr_t)p;
	h->extra[h->nextra].end = (uintptr_t)p + len;
	__atomic_store_n(&h->nextra, h->nextra + 1, __ATOMIC_RELEASE);
	h->reserved += len;
	h->brk = (uintptr_t)p + ALIGNMENT - HDR;
	h->top = (uintptr_t)p + len;
	return 0;
}

void flexos__heap_range(const struct flexos__heap *h, uintptr_t *start, uintptr_t *end)
{
	*start = h->start;
	*end = h->end;
}

size_t flexos__heap_copy_used(struct flexos__heap *h, void *dst)
{
	heap_lock(h);
	uintptr_t end = h->brk > h->start && h->brk <= h->end ? h->brk : h->end;
	memcpy(dst, (const void *)h->start, end - h->start);
	heap_unlock(h);
	((struct flexos__heap *)dst)->lock = 0;
	return end - h->start;
}

void flexos__heap_lock(struct flexos__heap *h)
{
	heap_lock(h);
}

void flexos__heap_unlock(struct flexos__heap *h)
{
	heap_unlock(h);
}

int flexos__heap_owner(const struct flexos__heap *h)
{
	return h->owner;
}

void **flexos__heap_thread_word(struct flexos__heap *h, unsigned i)
{
	return i < FLEXOS__HEAP_THREAD_WORDS ? &h->thread_word[i] : NULL;
}

int flexos__heap_extra_range(const struct flexos__heap *h, unsigned i, uintptr_t *start,
			     uintptr_t *end)
{
	if (i >= __atomic_load_n(&h->nextra, __ATOMIC_ACQUIRE))
		return -1;
	*start = h->extra[i].start;
	*end = h->extra[i].end;
	return 0;
}

/*
 * Reads only the heap's bookkeeping, not the table of ranges: fault
 * reports and the sanitizers' runtimes ask from compartments that may
 * only reach their own memory.
 */
/*
 * The range of h's own bookkeeping that holds a: its end, and in *lowest
 * the lowest payload address in it; 0 when none holds a.
 */
static uintptr_t own_range(const struct flexos__heap *h, uintptr_t a, uintptr_t *lowest)
{
	/* The shared heap's bounds, where its bookkeeping is everyone's: read-only ones. */
	if (is_guarded(h)) {
		if (a < FLEXOS__SHARED_BOUNDS.lo || a >= FLEXOS__SHARED_BOUNDS.hi)
			return 0;
		*lowest = FLEXOS__SHARED_BOUNDS.lo + round_up(sizeof(*h) + HDR, ALIGNMENT);
		return FLEXOS__SHARED_BOUNDS.hi;
	}
	if (a >= h->start && a < h->end) {
		*lowest = h->start + round_up(sizeof(*h) + HDR, ALIGNMENT);
		return h->end;
	}
	uint32_t n = __atomic_load_n(&h->nextra, __ATOMIC_ACQUIRE);
	for (uint32_t i = 0; i < n; i++)
		if (a >= h->extra[i].start && a < h->extra[i].end) {
			*lowest = h->extra[i].start + ALIGNMENT;
			return h->extra[i].end;
		}
	return 0;
}

int flexos__heap_contains(const struct flexos__heap *h, const void *p)
{
	uintptr_t lowest;
	return own_range(h, (uintptr_t)p, &lowest) != 0;
}

static struct flexos__chunk *chunk_of(const void *p)
{
	return (struct flexos__chunk *)((uintptr_t)p - HDR);
}

/*
 * A chunk of len bytes at a, named by h's bookkeeping, about to be read or
 * written: where others may write that bookkeeping (is_guarded), it must
 * lie in h's range as the runtime's read-only state says.
 */
static inline void guarded(const struct flexos__heap *h, uintptr_t a, size_t len)
{
	if (__builtin_expect(!is_guarded(h), 1))
		return;
	if (!flexos__bounds_hold(&FLEXOS__SHARED_BOUNDS, a, len))
		flexos__heap_bad("the shared heap's bookkeeping", (const void *)a,
				 "names memory outside the shared heap; a compartment changed it "
				 "(docs/threat-model.md, limit 1)");
}

static size_t stride_of(const struct flexos__chunk *c)
{
	return (size_t)c->units * ALIGNMENT;
}

static void *take_large(struct flexos__heap *h, size_t stride)
{
	struct free_node **link = &h->free_large;

	/* First fit, but do not waste more than half of a recycled chunk. */
	for (struct free_node *n = *link; n; link = &n->next, n = n->next) {
		guarded(h, (uintptr_t)n - HDR, HDR + sizeof(*n));
		size_t have = stride_of(chunk_of(n));
		if (have >= stride && have / 2 <= stride) {
			guarded(h, (uintptr_t)n - HDR, have);
			*link = n->next;
			return n;
		}
	}
	return NULL;
}

/* ENOMEM; heap_size is the limit: say once which key to raise. */
static void *full(struct flexos__heap *h, size_t size)
{
	if (!__atomic_exchange_n(&h->said_full, 1, __ATOMIC_ACQ_REL)) {
		if (h->owner == FLEXOS__SHARED_HEAP)
			flexos__say(
			    "the shared heap is full (%zu MiB): an allocation of %zu bytes "
			    "fails with ENOMEM; raise the largest 'heap_size' in the config",
			    h->limit >> 20, size);
		else
			flexos__say(
			    "the heap of compartment %d is full (%zu MiB): an allocation of "
			    "%zu bytes fails with ENOMEM; raise its 'heap_size' in the config",
			    h->owner, h->limit >> 20, size);
	}
	errno = ENOMEM;
	return NULL;
}

/* flexos__heap_alloc beyond a recycled small chunk. */
static void *alloc_slow(struct flexos__heap *h, size_t size) __attribute__((noinline));
static void *alloc_slow(struct flexos__heap *h, size_t size)
{
	size_t stride;
	uint32_t cls;
	void *p = NULL;

	if (size > h->limit)
		return full(h, size);
	cls = class_of(size, &stride);
	if (!stride)
		return full(h, size);

	heap_lock(h);
	if (cls != CLASS_LARGE && h->free_small[cls]) {
		struct free_node *n = h->free_small[cls];
		guarded(h, (uintptr_t)n - HDR, stride);
		h->free_small[cls] = n->next;
		p = n;
	} else if (cls == CLASS_LARGE) {
		p = take_large(h, stride);
	}
	if (!p) {
		int err = h->top - h->brk < stride ? grow(h, stride) : 0;
		if (err) {
			heap_unlock(h);
			if (err == -ENOMEM)
				return full(h, size);
			errno = ENOMEM; /* (said by grow) */
			return NULL;
		}
		struct flexos__chunk *c = (struct flexos__chunk *)h->brk;
		guarded(h, (uintptr_t)c, stride);
		c->units = (uint32_t)(stride / ALIGNMENT);
		c->cls = (uint16_t)cls;
		h->brk += stride;
		p = (char *)c + HDR;
	}
	struct flexos__chunk *c = chunk_of(p);
	c->magic = CHUNK_LIVE;
	h->in_use += stride_of(c) - HDR;
	heap_unlock(h);
	return p;
}

void *flexos__heap_alloc(struct flexos__heap *h, size_t size)
{
	/* The fast path: a small request and a recycled chunk of its class. */
	if (__builtin_expect(size <= SMALL_LIMIT - HDR, 1)) {
		size_t stride = size + HDR <= MIN_STRIDE ? MIN_STRIDE : round_up(size + HDR, ALIGNMENT);
		uint32_t cls = (uint32_t)(stride / ALIGNMENT - 2);

		heap_lock(h);
		struct free_node *n = h->free_small[cls];
		if (n) {
			guarded(h, (uintptr_t)n - HDR, stride);
			h->free_small[cls] = n->next;
			chunk_of(n)->magic = CHUNK_LIVE;
			h->in_use += stride - HDR;
			heap_unlock(h);
			return n;
		}
		heap_unlock(h);
	}
	return alloc_slow(h, size);
}

void *flexos__heap_alloc_aligned(struct flexos__heap *h, size_t align, size_t size)
{
	if (align == 0 || (align & (align - 1))) {
		errno = EINVAL;
		return NULL;
	}
	if (align <= ALIGNMENT)
		return flexos__heap_alloc(h, size);
	if (size > SIZE_MAX - align) {
		errno = ENOMEM;
		return NULL;
	}

	char *raw = flexos__heap_alloc(h, size + align);
	if (!raw || !((uintptr_t)raw & (align - 1)))
		return raw;
	/* At least 16 bytes past raw: room for the header that leads back to it. */
	uintptr_t p = round_up((uintptr_t)raw + 1, align);
	struct flexos__chunk *c = chunk_of((void *)p);
	c->magic = CHUNK_ALIGNED;
	c->cls = 0;
	c->units = (uint32_t)((p - (uintptr_t)raw) / ALIGNMENT);
	return (void *)p;
}

/* p's range in h, or abort. */
static const struct flexos__heap_range *range_in(struct flexos__heap *h, const void *p,
						 const char *what)
{
	const struct flexos__heap_range *r = flexos__heap_find(p);
	if (!r || flexos__heap_of_range(r, p, what) != h)
		flexos__abort("%s(%p): pointer was not allocated from this heap", what, p);
	return r;
}

void flexos__heap_free_in(const struct flexos__heap_range *r, void *p)
{
	struct flexos__heap *h;
	size_t len;
	struct flexos__chunk *c = flexos__heap_chunk_len(r, p, "free", &len, &h);
	struct free_node *n = (struct free_node *)((char *)c + HDR);
	/* (read once: a sandbox, or anyone for the shared heap, may change it meanwhile) */
	uint16_t cls = __atomic_load_n(&c->cls, __ATOMIC_RELAXED);
	uintptr_t lowest;

	/*
	 * r is in the table of ranges, platform memory any compartment may
	 * write: a range pointed at another compartment's heap would put this
	 * chunk on that heap's lists, and hand it out there. The heap's own
	 * bookkeeping, which only its compartment (and a sandbox's host)
	 * writes, must hold p.
	 */
	if (!own_range(h, (uintptr_t)p, &lowest))
		flexos__heap_bad("free", p, "pointer was not allocated from this heap");
	/*
	 * The header is the heap's compartment's to write: a class past the
	 * lists would make this free write beyond the heap's bookkeeping,
	 * with the rights of whoever frees (a sandbox's host may).
	 */
	if (cls != CLASS_LARGE && cls >= NCLASSES)
		flexos__heap_bad("free", p, "invalid pointer (heap corrupted?)");
	heap_lock(h);
	c->magic = CHUNK_FREE;
	h->in_use -= len - HDR;
	if (cls == CLASS_LARGE) {
		n->next = h->free_large;
		h->free_large = n;
	} else {
		n->next = h->free_small[cls];
		h->free_small[cls] = n;
	}
	heap_unlock(h);
}

void flexos__heap_free(struct flexos__heap *h, void *p)
{
	if (p)
		flexos__heap_free_in(range_in(h, p, "free"), p);
}

size_t flexos__heap_usable_size(struct flexos__heap *h, const void *p)
{
	if (!p)
		return 0;
	return flexos__heap_usable_size_in(range_in(h, p, "malloc_usable_size"), p);
}

void *flexos__heap_realloc_in(const struct flexos__heap_range *r, void *p, size_t size)
{
	if (size == 0) {
		flexos__heap_free_in(r, p);
		return NULL;
	}
	struct flexos__heap *h;
	size_t len;
	struct flexos__chunk *c = flexos__heap_chunk_len(r, p, "realloc", &len, &h);
	size_t usable = len - HDR - ((uintptr_t)p - ((uintptr_t)c + HDR));
	if (size <= usable)
		return p;
	void *q = flexos__heap_alloc(h, size);
	if (!q)
		return NULL;
	memcpy(q, p, usable);
	flexos__heap_free_in(r, p);
	return q;
}

size_t flexos__heap_object_size(const struct flexos__heap *h, const void *p)
{
	uintptr_t a = (uintptr_t)p, lowest;
	/* The heap's own bookkeeping, not the table: see flexos__heap_contains. */
	uintptr_t end = own_range(h, a, &lowest);

	if (!end || (a & (ALIGNMENT - 1)) || a < lowest)
		return 0;
	const struct flexos__chunk *c = chunk_of(p);
	/* An aligned allocation's header counts from the real payload. */
	size_t skip = 0;
	if (c->magic == CHUNK_ALIGNED) {
		skip = stride_of(c);
		if (skip > a - lowest)
			return 0;
		c = chunk_of((const char *)p - skip);
	}
	size_t usable = stride_of(c) - HDR;
	if (c->magic != CHUNK_LIVE || usable < skip || usable - skip > end - a)
		return 0;
	return usable - skip;
}

void *flexos__heap_realloc(struct flexos__heap *h, void *p, size_t size)
{
	if (!p)
		return flexos__heap_alloc(h, size);
	return flexos__heap_realloc_in(range_in(h, p, "realloc"), p, size);
}

size_t flexos__heap_in_use(struct flexos__heap *h)
{
	heap_lock(h);
	size_t n = h->in_use;
	heap_unlock(h);
	return n;
}
