/*
 * The ASan runtime of a `libc: newlib` compartment built with asan
 * (libflexos-harden-newlib.a, linked into its partial link): the checks
 * gcc calls, the globals' red zones, and red zones and a quarantine around
 * newlib's malloc. A newlib compartment refers to nothing outside its
 * partial link, so this is the compartment's own copy of the checks and
 * the allocation layout the platform's runtime (../asan.c) uses too
 * (../asan_checks.h); it reads and writes the shadow that runtime maps
 * before any constructor, at the fixed offset both are compiled with, and
 * traps to the platform's report on a bug (../trap.h), as the other
 * runtimes of newlib compartments do.
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

#include "../trap.h"
#include "glue.h"

static inline __attribute__((__noreturn__, __always_inline__)) void
bad_access(uintptr_t a, size_t n, int write, uintptr_t pc)
{
	flexos__harden_trap_raise(FLEXOS__TRAP_ASAN_ACCESS, a, n, (uintptr_t)write, pc);
}

/*
 * The compartment's instrumented objects register their globals from
 * constructors, which run with the image's (before main, and before the
 * process backend forks its compartments): the platform's runtime has
 * mapped the shadow by then (.preinit_array).
 */
static inline void shadow_before_globals(void)
{
}

#include "../asan_checks.h"

/* ---- the allocator ------------------------------------------------------ */

/* The FIFO of freed allocations, in the compartment's data (one thread at a time). */
static struct fifo quarantine;

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
	size_t total = chunk_bytes(align, size);
	char *raw = align > 16 ? __real__memalign_r(r, align, total) : __real__malloc_r(r, total);
	if (!raw)
		return NULL;
	return place(raw, __real__malloc_usable_size_r(r, raw), align, size);
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
	struct hdr *hd, *old;

	if (!p)
		return;
	hd = live_hdr(p, 0, pc);
	mark_freed(hd);
	fifo_put(&quarantine, hd);
	/* The oldest go back to newlib once the quarantine is over its size. */
	while ((old = fifo_evict(&quarantine)))
		__real__free_r(r, chunk_of(old));
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
