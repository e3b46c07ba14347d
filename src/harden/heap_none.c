/*
 * Under the none backend glibc's allocator serves every compartment
 * (backends/none): this member of libflexos-harden.a routes the
 * allocations of compartments built with asan to their own heap, with red
 * zones and a quarantine (asan.c), and leaves every other call to glibc.
 *
 * Under the isolating backends backends/common/malloc.c does this; both
 * define malloc, so this file is an archive of its own,
 * libflexos-harden-none.a, linked only into none images with an asan
 * compartment.
 */
#include "autoconfig.h"

#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "harden_impl.h"

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t nmemb, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void *__libc_memalign(size_t align, size_t size);
extern void __libc_free(void *p);

/* The heap of the asan compartment whose code is at ret, or NULL for glibc's. */
static struct flexos__heap *heap_for(void *ret)
{
	/* The runtime's own allocations while it starts are glibc's. */
	if (!flexos__debug_runtime->image)
		return NULL;
	int id = flexos__code_owner((uintptr_t)ret);
	if (id < 0 || !(flexos__harden_flags(id) & FLEXOS_COMP_HARDEN_ASAN))
		return NULL;
	return flexos__heap_of(id);
}

/* The asan heap p belongs to, or NULL for glibc's. */
static struct flexos__heap *heap_owning(const void *p)
{
	const struct flexos_image *img = flexos__debug_runtime->image;

	if (!img)
		return NULL;
	for (uint32_t id = 0; id < img->ncompartments; id++) {
		if (!(flexos__harden_flags((int)id) & FLEXOS_COMP_HARDEN_ASAN))
			continue;
		struct flexos__heap *h = flexos__heap_of((int)id);
		if (flexos__heap_contains(h, p))
			return h;
	}
	return NULL;
}

void *malloc(size_t size)
{
	struct flexos__heap *h = heap_for(__builtin_return_address(0));
	return h ? flexos__asan_alloc(h, 16, size) : __libc_malloc(size);
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
	void *p = flexos__asan_alloc(h, 16, total);
	if (p)
		memset(p, 0, total);
	return p;
}

void free(void *p)
{
	if (!p)
		return;
	struct flexos__heap *h = heap_owning(p);
	if (h)
		flexos__asan_free(h, p, (uintptr_t)__builtin_return_address(0));
	else
		__libc_free(p);
}

void *realloc(void *p, size_t size)
{
	void *ret = __builtin_return_address(0);
	struct flexos__heap *h = p ? heap_owning(p) : heap_for(ret);

	if (!h)
		return __libc_realloc(p, size);
	return flexos__asan_realloc(h, p, size, (uintptr_t)ret);
}

static void *aligned(void *ret, size_t align, size_t size)
{
	struct flexos__heap *h = heap_for(ret);

	if (!h)
		return __libc_memalign(align, size);
	if (!align || (align & (align - 1))) {
		errno = EINVAL;
		return NULL;
	}
	return flexos__asan_alloc(h, align, size);
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
	struct flexos__heap *h = heap_owning(p);
	if (h)
		return flexos__asan_usable_size(h, p, (uintptr_t)__builtin_return_address(0));
	if (!libc_usable_size)
		libc_usable_size = (size_t(*)(void *))dlsym(RTLD_NEXT, "malloc_usable_size");
	return libc_usable_size(p);
}
