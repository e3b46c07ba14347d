/*
 * malloc and friends, routed to the heap of the running compartment, so
 * that unmodified libraries get private heaps without a source change.
 *
 * Part of backends/common/: compiled into the archives of the isolating backends
 * (libflexos-mpk.a, libflexos-process.a), never into libflexos.a: under
 * the none backend glibc's allocator stays, and nothing is paid for it.
 *
 * Who allocates decides where: a call from code inside a compartment goes
 * to the heap of the compartment that is running; a call from anywhere else
 * (the C library filling in its stdio buffers, the loader, the runtime) goes
 * to glibc's own allocator, in platform memory every compartment reaches.
 * Otherwise a stdio buffer allocated on the first printf of an isolated
 * library would fault in every other compartment. Frees are routed by the
 * address freed.
 */
#include "autoconfig.h"

#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

/* glibc's allocator under its other, always exported, names. */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t nmemb, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void *__libc_memalign(size_t align, size_t size);
extern void __libc_free(void *p);

/*
 * The allocator of compartments built with asan (red zones, a quarantine:
 * src/harden/asan.c, declared in src/harden/harden_impl.h). Weak: an
 * image without instrumented code does not link it, and pays one test of
 * a constant per call.
 */
extern int flexos__asan_heap(struct flexos__heap *h) __attribute__((weak));
extern void *flexos__asan_alloc(struct flexos__heap *h, size_t align, size_t size)
    __attribute__((weak));
extern void flexos__asan_free(struct flexos__heap *h, void *p, uintptr_t pc) __attribute__((weak));
extern void *flexos__asan_realloc(struct flexos__heap *h, void *p, size_t size, uintptr_t pc)
    __attribute__((weak));
extern size_t flexos__asan_usable_size(struct flexos__heap *h, const void *p, uintptr_t pc)
    __attribute__((weak));

static int asan(struct flexos__heap *h)
{
	return flexos__asan_heap && flexos__asan_heap(h);
}

#define CALLER ((uintptr_t)__builtin_return_address(0))

/* The heap serving a call from code at ret, or NULL for glibc's. */
static struct flexos__heap *heap_for(void *ret)
{
	if (flexos__code_owner((uintptr_t)ret) < 0)
		return NULL;
	return flexos__heap_of(flexos__backend.current());
}

/* The heap p was allocated from, or NULL for glibc's; diagnoses a foreign one. */
static struct flexos__heap *heap_owning(const void *p, const char *what)
{
	const struct flexos_runtime *rt = flexos__runtime();
	uintptr_t a = (uintptr_t)p;

	if (a >= rt->shared_heap.start && a < rt->shared_heap.end)
		return flexos__heap_of(FLEXOS__SHARED_HEAP);
	for (uint32_t id = 0; id < rt->image->ncompartments; id++) {
		if (a < rt->heaps[id].start || a >= rt->heaps[id].end)
			continue;
		int running = flexos__backend.current();
		if ((uint32_t)running != id)
			flexos__abort("%s(%p): compartment '%s' passed a pointer of compartment "
				      "'%s''s heap; only the compartment that allocated it may "
				      "%s it",
				      what, p, rt->image->compartments[running].name,
				      rt->image->compartments[id].name, what);
		return flexos__heap_of((int)id);
	}
	/*
	 * The ranges a growable heap added later (never under protection
	 * keys): only the running compartment's are mapped in this process.
	 */
	if (flexos_mechanism_props(rt->image->mechanism) & FLEXOS_MECH_PKEYS)
		return NULL;
	int running = flexos__backend.current();
	struct flexos__heap *own = running >= 0 ? flexos__heap_of(running) : NULL;
	if (own && flexos__heap_contains(own, p))
		return own;
	return NULL;
}

void *malloc(size_t size)
{
	struct flexos__heap *h = heap_for(__builtin_return_address(0));
	if (h && asan(h))
		return flexos__asan_alloc(h, 16, size);
	return h ? flexos__heap_alloc(h, size) : __libc_malloc(size);
}

void *calloc(size_t nmemb, size_t size)
{
	struct flexos__heap *h = heap_for(__builtin_return_address(0));
	size_t total;

	if (!h)
		return __libc_calloc(nmemb, size);
	if (__builtin_mul_overflow(nmemb, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	void *p = asan(h) ? flexos__asan_alloc(h, 16, total) : flexos__heap_alloc(h, total);
	if (p)
		memset(p, 0, total);
	return p;
}

void free(void *p)
{
	if (!p)
		return;
	struct flexos__heap *h = heap_owning(p, "free");
	if (h && asan(h))
		flexos__asan_free(h, p, CALLER);
	else if (h)
		flexos__heap_free(h, p);
	else
		__libc_free(p);
}

void *realloc(void *p, size_t size)
{
	struct flexos__heap *h;

	if (!p) {
		h = heap_for(__builtin_return_address(0));
		if (h && asan(h))
			return flexos__asan_alloc(h, 16, size);
		return h ? flexos__heap_alloc(h, size) : __libc_malloc(size);
	}
	h = heap_owning(p, "realloc");
	if (h && asan(h))
		return flexos__asan_realloc(h, p, size, CALLER);
	return h ? flexos__heap_realloc(h, p, size) : __libc_realloc(p, size);
}

static void *aligned(void *ret, size_t align, size_t size)
{
	struct flexos__heap *h = heap_for(ret);
	if (h && asan(h)) {
		if (!align || (align & (align - 1))) {
			errno = EINVAL;
			return NULL;
		}
		return flexos__asan_alloc(h, align, size);
	}
	return h ? flexos__heap_alloc_aligned(h, align, size) : __libc_memalign(align, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
	if (align < sizeof(void *) || (align & (align - 1)))
		return EINVAL;
	int saved = errno;
	void *p = aligned(__builtin_return_address(0), align, size);
	if (!p)
		return ENOMEM;
	errno = saved;
	*out = p;
	return 0;
}

void *aligned_alloc(size_t align, size_t size)
{
	return aligned(__builtin_return_address(0), align, size);
}

void *memalign(size_t align, size_t size)
{
	return aligned(__builtin_return_address(0), align, size);
}

size_t malloc_usable_size(void *p);

size_t malloc_usable_size(void *p)
{
	static size_t (*libc_usable_size)(void *);

	if (!p)
		return 0;
	struct flexos__heap *h = heap_owning(p, "malloc_usable_size");
	if (h && asan(h))
		return flexos__asan_usable_size(h, p, CALLER);
	if (h)
		return flexos__heap_usable_size(h, p);
	/* glibc exports no __libc_ name for this one. */
	if (!libc_usable_size)
		libc_usable_size = (size_t(*)(void *))dlsym(RTLD_NEXT, "malloc_usable_size");
	return libc_usable_size(p);
}
