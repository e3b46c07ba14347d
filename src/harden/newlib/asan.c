/*
 * The ASan runtime of a `libc: newlib` compartment built with asan
 * (libflexos-harden-newlib.a, linked into its partial link): the checks
 * gcc calls, the globals' red zones, and red zones and a quarantine around
 * newlib's malloc. A newlib compartment refers to nothing outside its
 * partial link, so this is the compartment's own copy; it reads and writes
 * the shadow the platform's runtime (../asan.c) maps before any
 * constructor, at the fixed offset both are compiled with, and traps to
 * the platform's report on a bug (../trap.h), as the other runtimes of
 * newlib compartments do.
 *
 * The allocator: flexos-link links the compartment with --wrap for
 * newlib's allocation functions, both the public ones (malloc, free, ...:
 * their callers are the compartment's code, which a report names) and the
 * reentrant ones newlib's own code calls (_malloc_r, _free_r, ...). The
 * wrappers take their memory from newlib's allocator (__real__malloc_r),
 * over the glue's sbrk, in the compartment's heap.
 */
#include <errno.h>
#include <malloc.h>
#include <reent.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../shadow.h"
#include "../trap.h"
#include "glue.h"

#define RET ((uintptr_t)__builtin_return_address(0))

/* ---- shadow ------------------------------------------------------------- */

/* Marks [a, a + n) with value; a and n multiples of 8. */
static void poison(uintptr_t a, size_t n, uint8_t value)
{
	memset(FLEXOS__SHADOW(a), value, n >> 3);
}

/* Makes [a, a + n) accessible, a a multiple of 8, the last granule partly. */
static void unpoison(uintptr_t a, size_t n)
{
	memset(FLEXOS__SHADOW(a), 0, n >> 3);
	if (n & 7)
		*FLEXOS__SHADOW(a + (n & ~(size_t)7)) = (int8_t)(n & 7);
}

static int range_ok(uintptr_t a, size_t n)
{
	uintptr_t end = a + n;

	for (uintptr_t g = a & ~(uintptr_t)7; g < end; g += 8) {
		int8_t s = *FLEXOS__SHADOW(g);
		if (!s)
			continue;
		uintptr_t hi = g + 8 < end ? g + 8 : end;
		if (s < 0 || hi > g + (uintptr_t)s)
			return 0;
	}
	return 1;
}

static inline void check(uintptr_t a, size_t n, int write, uintptr_t pc)
{
	if (n <= 8 && (a & 7) + n <= 8) {
		int8_t s = *FLEXOS__SHADOW(a);
		if (__builtin_expect(!s || (int8_t)((a & 7) + n - 1) < s, 1))
			return;
	} else if (!n || range_ok(a, n)) {
		return;
	}
	flexos__harden_trap_raise(FLEXOS__TRAP_ASAN_ACCESS, a, n, (uintptr_t)write, pc);
}

/* The checks gcc calls; as in ../asan.c, both names end the compartment. */
#define ASAN_CHECKS(n)                               \
	void __asan_load##n(uintptr_t a);            \
	void __asan_load##n(uintptr_t a)             \
	{                                            \
		check(a, n, 0, RET);                 \
	}                                            \
	void __asan_load##n##_noabort(uintptr_t a);  \
	void __asan_load##n##_noabort(uintptr_t a)   \
	{                                            \
		check(a, n, 0, RET);                 \
	}                                            \
	void __asan_store##n(uintptr_t a);           \
	void __asan_store##n(uintptr_t a)            \
	{                                            \
		check(a, n, 1, RET);                 \
	}                                            \
	void __asan_store##n##_noabort(uintptr_t a); \
	void __asan_store##n##_noabort(uintptr_t a)  \
	{                                            \
		check(a, n, 1, RET);                 \
	}

ASAN_CHECKS(1)
ASAN_CHECKS(2)
ASAN_CHECKS(4)
ASAN_CHECKS(8)
ASAN_CHECKS(16)

void __asan_loadN(uintptr_t a, size_t n);
void __asan_loadN(uintptr_t a, size_t n)
{
	check(a, n, 0, RET);
}
void __asan_loadN_noabort(uintptr_t a, size_t n);
void __asan_loadN_noabort(uintptr_t a, size_t n)
{
	check(a, n, 0, RET);
}
void __asan_storeN(uintptr_t a, size_t n);
void __asan_storeN(uintptr_t a, size_t n)
{
	check(a, n, 1, RET);
}
void __asan_storeN_noabort(uintptr_t a, size_t n);
void __asan_storeN_noabort(uintptr_t a, size_t n)
{
	check(a, n, 1, RET);
}

/* ---- globals and the stack ---------------------------------------------- */

void __asan_register_globals(struct flexos__asan_global *g, size_t n);
void __asan_unregister_globals(struct flexos__asan_global *g, size_t n);

/*
 * From the constructors of the compartment's instrumented objects, which
 * run with the image's (before main, and before the process backend
 * forks its compartments): the shadow is mapped by then (.preinit_array).
 */
void __asan_register_globals(struct flexos__asan_global *g, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t open = (g[i].size + 7) & ~(size_t)7;
		unpoison(g[i].beg, g[i].size);
		poison(g[i].beg + open, g[i].size_with_redzone - open, FLEXOS__SH_GLOBAL);
	}
}

/* The globals live as long as the image: nothing to undo at exit. */
void __asan_unregister_globals(struct flexos__asan_global *g, size_t n)
{
	(void)g, (void)n;
}

/* As ../asan.c's: opens the stack red zones of the frames a longjmp leaves. */
void __asan_handle_no_return(void);
void __asan_handle_no_return(void)
{
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0) & ~(uintptr_t)7;
	int8_t *s = FLEXOS__SHADOW(sp), *end = FLEXOS__SHADOW(sp + (64u << 10));

	for (; s < end; s++) {
		uint8_t v = (uint8_t)*s;
		if (v == FLEXOS__SH_STACK_LEFT || v == FLEXOS__SH_STACK_MID ||
		    v == FLEXOS__SH_STACK_RIGHT || v == FLEXOS__SH_STACK_RET ||
		    v == FLEXOS__SH_STACK_SCOPE)
			*s = 0;
	}
}

/* ---- the allocator ------------------------------------------------------ */

#define HDR_LIVE         0x4e415341u /* "ASAN" */
#define HDR_FREED        0x45455246u /* "FREE" */
#define RIGHT_RZ         32u
#define QUARANTINE_BYTES (4u << 20)

/* Sits right before every allocation, in its left red zone. */
struct hdr {
	struct hdr *next; /* in the quarantine */
	uint32_t magic;
	uint32_t left; /* from newlib's allocation to this one */
	size_t size;
	size_t cap; /* usable size of newlib's allocation */
};

/* The FIFO of freed allocations, in the compartment's data (one thread at a time). */
static struct {
	struct hdr *head, *tail;
	size_t bytes;
} quarantine;

extern struct flexos_newlib_glue flexos__newlib_glue;

void *__real__malloc_r(struct _reent *r, size_t n);
void *__real__memalign_r(struct _reent *r, size_t align, size_t n);
void __real__free_r(struct _reent *r, void *p);
size_t __real__malloc_usable_size_r(struct _reent *r, void *p);

static void *alloc(struct _reent *r, size_t align, size_t size)
{
	if (align < 16)
		align = 16;
	if (size > SIZE_MAX / 2 || (align & (align - 1))) {
		r->_errno = ENOMEM;
		return NULL;
	}
	size_t total = sizeof(struct hdr) + align + ((size + 15) & ~(size_t)15) + RIGHT_RZ;
	char *raw = align > 16 ? __real__memalign_r(r, align, total) : __real__malloc_r(r, total);
	if (!raw)
		return NULL;
	uintptr_t user = ((uintptr_t)raw + sizeof(struct hdr) + align - 1) & ~(align - 1);
	struct hdr *hd = (struct hdr *)user - 1;
	hd->next = NULL;
	hd->magic = HDR_LIVE;
	hd->left = (uint32_t)(user - (uintptr_t)raw);
	hd->size = size;
	hd->cap = __real__malloc_usable_size_r(r, raw);
	/* newlib's chunk header (16 bytes) before raw is poisoned too. */
	poison((uintptr_t)raw - 16, user - (uintptr_t)raw + 16, FLEXOS__SH_HEAP);
	unpoison(user, size);
	uintptr_t open = user + ((size + 7) & ~(size_t)7);
	uintptr_t end = ((uintptr_t)raw + hd->cap) & ~(uintptr_t)7;
	if (end > open)
		poison(open, end - open, FLEXOS__SH_HEAP);
	return (void *)user;
}

/* The header of p, or a trap naming the bad pointer. */
static struct hdr *live_hdr(const void *p, uintptr_t fn, uintptr_t pc)
{
	const struct flexos_newlib_glue *g = &flexos__newlib_glue;
	struct hdr *hd = (struct hdr *)p - 1;

	if (((uintptr_t)p & 15) || (uintptr_t)hd < g->heap_start || (uintptr_t)p >= g->brk)
		flexos__harden_trap_raise(FLEXOS__TRAP_ASAN_FREE, (uintptr_t)p,
					  FLEXOS__ASAN_NOT_HEAP, fn, pc);
	if (hd->magic == HDR_FREED)
		flexos__harden_trap_raise(FLEXOS__TRAP_ASAN_FREE, (uintptr_t)p, FLEXOS__ASAN_FREED,
					  fn, pc);
	if (hd->magic != HDR_LIVE)
		flexos__harden_trap_raise(FLEXOS__TRAP_ASAN_FREE, (uintptr_t)p,
					  FLEXOS__ASAN_NOT_START, fn, pc);
	return hd;
}

static void release(struct _reent *r, void *p, uintptr_t pc)
{
	if (!p)
		return;
	struct hdr *hd = live_hdr(p, 0, pc);
	hd->magic = HDR_FREED;
	poison((uintptr_t)p, (hd->size + 7) & ~(size_t)7, FLEXOS__SH_FREED);
	if (quarantine.tail)
		quarantine.tail->next = hd;
	else
		quarantine.head = hd;
	quarantine.tail = hd;
	quarantine.bytes += hd->cap;
	/* The oldest go back to newlib once the quarantine is over its size. */
	while (quarantine.bytes > QUARANTINE_BYTES && quarantine.head) {
		struct hdr *old = quarantine.head;
		quarantine.head = old->next;
		if (!quarantine.head)
			quarantine.tail = NULL;
		quarantine.bytes -= old->cap;
		__real__free_r(r, (char *)(old + 1) - old->left);
	}
}

static void *zeroed(struct _reent *r, size_t n, size_t size)
{
	size_t total;

	if (__builtin_mul_overflow(n, size, &total)) {
		r->_errno = ENOMEM;
		return NULL;
	}
	void *p = alloc(r, 16, total);
	if (p)
		memset(p, 0, total);
	return p;
}

/* Always a new allocation: the old one goes to the quarantine. */
static void *resize(struct _reent *r, void *p, size_t size, uintptr_t pc)
{
	if (!p)
		return alloc(r, 16, size);
	struct hdr *hd = live_hdr(p, 1, pc);
	if (!size) {
		release(r, p, pc);
		return NULL;
	}
	void *q = alloc(r, 16, size);
	if (!q)
		return NULL;
	memcpy(q, p, hd->size < size ? hd->size : size);
	release(r, p, pc);
	return q;
}

#define WRAP(ret, name, params)   \
	ret __wrap_##name params; \
	ret __wrap_##name params

WRAP(void *, _malloc_r, (struct _reent * r, size_t n))
{
	return alloc(r, 16, n);
}
WRAP(void *, malloc, (size_t n))
{
	return alloc(_REENT, 16, n);
}
WRAP(void, _free_r, (struct _reent * r, void *p))
{
	release(r, p, RET);
}
WRAP(void, free, (void *p))
{
	release(_REENT, p, RET);
}
WRAP(void *, _calloc_r, (struct _reent * r, size_t n, size_t size))
{
	return zeroed(r, n, size);
}
WRAP(void *, calloc, (size_t n, size_t size))
{
	return zeroed(_REENT, n, size);
}
WRAP(void *, _realloc_r, (struct _reent * r, void *p, size_t n))
{
	return resize(r, p, n, RET);
}
WRAP(void *, realloc, (void *p, size_t n))
{
	return resize(_REENT, p, n, RET);
}
WRAP(void *, _memalign_r, (struct _reent * r, size_t align, size_t n))
{
	return alloc(r, align, n);
}
WRAP(void *, memalign, (size_t align, size_t n))
{
	return alloc(_REENT, align, n);
}
WRAP(size_t, _malloc_usable_size_r, (struct _reent * r, void *p))
{
	(void)r;
	return p ? live_hdr(p, 2, RET)->size : 0;
}
WRAP(size_t, malloc_usable_size, (void *p))
{
	return p ? live_hdr(p, 2, RET)->size : 0;
}
