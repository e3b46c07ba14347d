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
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "runtime.h"

#define ALIGNMENT 16u
#define SMALL_STEP 16u
#define SMALL_LIMIT 256u   /* classes 0..15: 16, 32, ... 256 bytes */
#define MEDIUM_LIMIT 65536u /* classes 16..23: 512, 1 KiB, ... 64 KiB */
#define NCLASSES 24
#define CLASS_LARGE 0xffffffffu

#define HEAP_MAGIC 0x70616568534f5846ULL /* "FXOSheap" */
#define CHUNK_LIVE 0x4c495645u
#define CHUNK_FREE 0x46524545u
#define CHUNK_ALIGNED 0x414c4e44u

/* Sits right before every payload, keeping it 16-byte aligned. */
struct chunk {
	uint32_t magic;
	uint32_t cls;
	size_t size; /* capacity; for CHUNK_ALIGNED, the distance back to the real payload */
};

struct free_node {
	struct free_node *next;
};

/* The most ranges a growable heap maps after its first. */
#define MAX_EXTRA 48

struct flexos__heap {
	uint64_t magic;
	int owner;
	int lock; /* a spinlock: the shared heap is shared across processes */
	uintptr_t start, end; /* the first range, with this bookkeeping */
	uintptr_t brk, top;   /* the bump pointer and the end of the range it is in */
	size_t limit;         /* bytes all ranges may reach together */
	size_t reserved;      /* bytes of all ranges */
	size_t in_use;
	int said_full; /* the "heap is full" hint is given once */
	uint32_t nextra; /* published after its range is written: contains() takes no lock */
	struct {
		uintptr_t start, end;
	} extra[MAX_EXTRA];
	struct free_node *free_small[NCLASSES];
	struct free_node *free_large;
};

static void heap_lock(struct flexos__heap *h)
{
	while (__atomic_exchange_n(&h->lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&h->lock, __ATOMIC_RELAXED))
			sched_yield();
}

static void heap_unlock(struct flexos__heap *h)
{
	__atomic_store_n(&h->lock, 0, __ATOMIC_RELEASE);
}

static size_t round_up(size_t n, size_t to)
{
	return (n + to - 1) & ~(to - 1);
}

/* The class of a request and the capacity of its chunks. */
static uint32_t class_of(size_t n, size_t *cap)
{
	if (n <= SMALL_LIMIT) {
		*cap = n ? round_up(n, SMALL_STEP) : SMALL_STEP;
		return (uint32_t)(*cap / SMALL_STEP - 1);
	}
	if (n <= MEDIUM_LIMIT) {
		uint32_t cls = 16;
		size_t c = 512;
		while (c < n) {
			c <<= 1;
			cls++;
		}
		*cap = c;
		return cls;
	}
	*cap = round_up(n + sizeof(struct chunk), (size_t)sysconf(_SC_PAGESIZE)) -
	       sizeof(struct chunk);
	return CLASS_LARGE;
}

struct flexos__heap *flexos__heap_create(size_t len, int owner, int shared)
{
	return flexos__heap_create_growable(len, len, owner, shared);
}

struct flexos__heap *flexos__heap_create_growable(size_t first, size_t limit, int owner, int shared)
{
	int flags = (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | MAP_NORESERVE;
	if (first > limit)
		first = limit;
	void *base = mmap(NULL, first, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (base == MAP_FAILED)
		return NULL;

	struct flexos__heap *h = base;
	h->magic = HEAP_MAGIC;
	h->owner = owner;
	h->start = (uintptr_t)base;
	h->end = h->start + first;
	h->brk = h->start + round_up(sizeof(*h), ALIGNMENT);
	h->top = h->end;
	h->limit = limit;
	h->reserved = first;
	return h;
}

/*
 * A new range for a bump allocation of need bytes: at least as large as
 * what the heap has (so ranges double), within the limit. The rest of the
 * current range is left unused. Called with the lock held; 0 or -ENOMEM.
 */
static int grow(struct flexos__heap *h, size_t need)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t room = h->limit - h->reserved;
	size_t len = round_up(need, page);

	if (h->nextra == MAX_EXTRA || len > room)
		return -ENOMEM;
	if (len < h->reserved)
		len = h->reserved < room ? h->reserved : room;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	h->extra[h->nextra].start = (uintptr_t)p;
	h->extra[h->nextra].end = (uintptr_t)p + len;
	__atomic_store_n(&h->nextra, h->nextra + 1, __ATOMIC_RELEASE);
	h->reserved += len;
	h->brk = (uintptr_t)p;
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

/* The start of the range of h that holds a, or 0. */
static uintptr_t range_of(const struct flexos__heap *h, uintptr_t a)
{
	if (a >= h->start && a < h->end)
		return h->start;
	uint32_t n = __atomic_load_n(&h->nextra, __ATOMIC_ACQUIRE);
	for (uint32_t i = 0; i < n; i++)
		if (a >= h->extra[i].start && a < h->extra[i].end)
			return h->extra[i].start;
	return 0;
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

int flexos__heap_contains(const struct flexos__heap *h, const void *p)
{
	return range_of(h, (uintptr_t)p) != 0;
}

static struct chunk *chunk_of(const void *p)
{
	return (struct chunk *)((uintptr_t)p - sizeof(struct chunk));
}

static void *take_large(struct flexos__heap *h, size_t cap)
{
	struct free_node **link = &h->free_large;

	/* First fit, but do not waste more than half of a recycled chunk. */
	for (struct free_node *n = *link; n; link = &n->next, n = n->next) {
		struct chunk *c = chunk_of(n);
		if (c->size >= cap && c->size / 2 <= cap) {
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

void *flexos__heap_alloc(struct flexos__heap *h, size_t size)
{
	size_t cap;
	uint32_t cls;
	void *p = NULL;

	if (size > h->limit)
		return full(h, size);
	cls = class_of(size, &cap);

	heap_lock(h);
	if (cls != CLASS_LARGE && h->free_small[cls]) {
		struct free_node *n = h->free_small[cls];
		h->free_small[cls] = n->next;
		p = n;
	} else if (cls == CLASS_LARGE) {
		p = take_large(h, cap);
	}
	if (!p) {
		if (h->top - h->brk < cap + sizeof(struct chunk) &&
		    grow(h, cap + sizeof(struct chunk))) {
			heap_unlock(h);
			return full(h, size);
		}
		struct chunk *c = (struct chunk *)h->brk;
		c->size = cap;
		c->cls = cls;
		h->brk += sizeof(struct chunk) + cap;
		p = c + 1;
	}
	struct chunk *c = chunk_of(p);
	c->magic = CHUNK_LIVE;
	h->in_use += c->size;
	heap_unlock(h);
	return p;
}

void *flexos__heap_alloc_aligned(struct flexos__heap *h, size_t align, size_t size)
{
	if (align == 0 || (align & (align - 1))) {
		errno = EINVAL;
		return NULL;
	}
	if (align <= ALIGNMENT)
		return flexos__heap_alloc(h, size);
	if (size > SIZE_MAX - align - sizeof(struct chunk)) {
		errno = ENOMEM;
		return NULL;
	}

	char *raw = flexos__heap_alloc(h, size + align + sizeof(struct chunk));
	if (!raw)
		return NULL;
	uintptr_t p = round_up((uintptr_t)raw + sizeof(struct chunk), align);
	struct chunk *c = chunk_of((void *)p);
	c->magic = CHUNK_ALIGNED;
	c->cls = 0;
	c->size = p - (uintptr_t)raw;
	return (void *)p;
}

/* The real chunk behind p, or abort with a message naming the problem. */
static struct chunk *checked_chunk(struct flexos__heap *h, const void *p, const char *what)
{
	uintptr_t range = range_of(h, (uintptr_t)p);
	if (!range || ((uintptr_t)p & (ALIGNMENT - 1)) ||
	    (uintptr_t)p < range + (range == h->start ? sizeof(*h) : 0) + sizeof(struct chunk))
		flexos__abort("%s(%p): pointer was not allocated from this heap", what, p);
	struct chunk *c = chunk_of(p);
	if (c->magic == CHUNK_ALIGNED) {
		p = (const char *)p - c->size;
		c = chunk_of(p);
	}
	if (c->magic == CHUNK_FREE)
		flexos__abort("%s(%p): double free", what, p);
	if (c->magic != CHUNK_LIVE)
		flexos__abort("%s(%p): invalid pointer (heap corrupted?)", what, p);
	return c;
}

void flexos__heap_free(struct flexos__heap *h, void *p)
{
	if (!p)
		return;
	struct chunk *c = checked_chunk(h, p, "free");
	struct free_node *n = (struct free_node *)(c + 1);

	heap_lock(h);
	c->magic = CHUNK_FREE;
	h->in_use -= c->size;
	if (c->cls == CLASS_LARGE) {
		n->next = h->free_large;
		h->free_large = n;
	} else {
		n->next = h->free_small[c->cls];
		h->free_small[c->cls] = n;
	}
	heap_unlock(h);
}

size_t flexos__heap_usable_size(struct flexos__heap *h, const void *p)
{
	if (!p)
		return 0;
	struct chunk *c = checked_chunk(h, p, "malloc_usable_size");
	return c->size - ((uintptr_t)p - (uintptr_t)(c + 1));
}

size_t flexos__heap_object_size(const struct flexos__heap *h, const void *p)
{
	uintptr_t a = (uintptr_t)p, range = range_of(h, a);
	uintptr_t end = range == h->start ? h->end : range;

	if (!range || (a & (ALIGNMENT - 1)) ||
	    a < range + (range == h->start ? sizeof(*h) : 0) + sizeof(struct chunk))
		return 0;
	for (uint32_t i = 0; range != h->start && i < MAX_EXTRA; i++)
		if (h->extra[i].start == range)
			end = h->extra[i].end;
	const struct chunk *c = chunk_of(p);
	/* An aligned allocation's header counts from the real payload. */
	size_t skip = 0;
	if (c->magic == CHUNK_ALIGNED) {
		skip = c->size;
		if (skip > a - range)
			return 0;
		c = chunk_of((const char *)p - skip);
	}
	if (c->magic != CHUNK_LIVE || c->size < skip || c->size - skip > end - a)
		return 0;
	return c->size - skip;
}

void *flexos__heap_realloc(struct flexos__heap *h, void *p, size_t size)
{
	if (!p)
		return flexos__heap_alloc(h, size);
	if (size == 0) {
		flexos__heap_free(h, p);
		return NULL;
	}
	size_t usable = flexos__heap_usable_size(h, p);
	if (size <= usable)
		return p;
	void *q = flexos__heap_alloc(h, size);
	if (!q)
		return NULL;
	memcpy(q, p, usable);
	flexos__heap_free(h, p);
	return q;
}

size_t flexos__heap_in_use(struct flexos__heap *h)
{
	heap_lock(h);
	size_t n = h->in_use;
	heap_unlock(h);
	return n;
}
