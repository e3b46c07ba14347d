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

#include "common.h"
#include "heap_fast.h"
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

/*
 * The route (runtime.h: read-only after start-up under intel-mpk, where
 * a compartment could otherwise point the fast path at a heap it reads).
 * The fast paths: that compartment's heap and text (a call from that text
 * gets that heap), and the owner whose pointers free and
 * malloc_usable_size handle without a call: that compartment, unless its
 * heap is asan's (then -2, no owner: everything takes the general path).
 */
#define ROUTE (flexos__ro.s.malloc)

void flexos__set_process_compartment(int id)
{
	const struct flexos_region *text =
	    &flexos__runtime()->image->compartments[id].regions[FLEXOS_REGION_TEXT];

	ROUTE.process_compartment = id;
	ROUTE.process_heap = flexos__heap_of(id);
	if (asan(ROUTE.process_heap))
		return;
	ROUTE.process_text_start = text->start;
	ROUTE.process_text_end = text->end;
	ROUTE.fast_owner = id;
}

/*
 * glibc exports no __libc_ name for malloc_usable_size: its address is
 * found before main, while the route can still be written.
 */
__attribute__((constructor)) static void find_libc_usable_size(void)
{
	ROUTE.libc_usable_size = (size_t(*)(void *))dlsym(RTLD_NEXT, "malloc_usable_size");
}

/*
 * Code of compartment code allocating while compartment running runs: a
 * function of code was called through a pointer, not a gate (one its
 * library handed back, as libjpeg's cinfo.mem->alloc_sarray), and gets
 * running's heap, which code's compartment will fault on later. Said once
 * per pair, naming the function and its caller, with the fix.
 */
static void pointer_call(int code, int running)
{
	static uint64_t said[FLEXOS_MAX_COMPARTMENTS];
	uintptr_t callee, caller;
	char fn[200], from[200];

	if (code >= 64 || running >= FLEXOS_MAX_COMPARTMENTS ||
	    __atomic_fetch_or(&said[running], 1ULL << code, __ATOMIC_RELAXED) & 1ULL << code)
		return;
	if (!flexos__pointer_call(code, running, &callee, &caller))
		return;
	flexos__describe_pc(fn, sizeof(fn), callee);
	flexos__describe_pc(from, sizeof(from), caller);
	fn[strcspn(fn, "+ ")] = '\0';
	struct flexos__out o = {.n = 0};
	flexos__out_str(&o, "flexos: warning: ");
	flexos__out_str(&o, fn);
	flexos__out_str(&o, ", code of ");
	flexos__out_comp(&o, code);
	flexos__out_str(&o, ", allocates memory while ");
	flexos__out_comp(&o, running);
	flexos__out_str(&o, " runs: ");
	flexos__out_str(&o, from);
	flexos__out_str(&o, " called it through a pointer, not a gate, so it gets the heap of '");
	flexos__out_str(&o, flexos__comp_name(running));
	flexos__out_str(&o, "', which '");
	flexos__out_str(&o, flexos__comp_name(code));
	flexos__out_str(&o, "' cannot use; list ");
	flexos__out_str(&o, fn);
	flexos__out_str(&o, " under 'callbacks:' of its library in ");
	flexos__out_str(&o, flexos__runtime()->image->config_path);
	flexos__out_str(&o, "\n");
	flexos__out_flush(&o);
}

/* The heap serving a call from code at ret, or NULL for glibc's. */
static struct flexos__heap *heap_for(void *ret)
{
	int code = flexos__code_owner((uintptr_t)ret);
	if (code < 0)
		return NULL;
	int running = ROUTE.process_compartment;
	if (running < 0)
		running = flexos__backend.current();
	if (__builtin_expect(code != running, 0))
		pointer_call(code, running);
	return flexos__heap_of(running);
}

/*
 * The range of the heap p was allocated from (r, as flexos__heap_find
 * found it), or NULL for glibc's; diagnoses a foreign one. Only the
 * ranges this process maps are searched: under the process mechanism the
 * ranges another compartment's heap grew by are not mapped here, and a
 * pointer into them is glibc's business (it was never ours).
 */
static const struct flexos__heap_range *heap_owning(const struct flexos__heap_range *r,
						     const void *p, const char *what)
{
	if (!r || r->owner == FLEXOS__SHARED_HEAP)
		return r;
	int running = ROUTE.process_compartment;
	if (running < 0)
		running = flexos__backend.current();
	/*
	 * A sandbox's host, which may write its memory anyway (sandbox_of),
	 * may free what the sandbox allocated and handed back (libjpeg's
	 * output buffer; its heap is shared memory under process). Only free:
	 * it writes the chunk and the heap's lists, in the sandbox's heap;
	 * realloc would copy as many bytes as the sandbox's header says.
	 */
	/* r->owner is from the table of ranges (platform memory): bounded before use. */
	const struct flexos_image *img = flexos__runtime()->image;
	uint32_t flags = r->owner >= 0 && (uint32_t)r->owner < img->ncompartments
			     ? img->compartments[r->owner].flags
			     : 0;
	if (r->owner != running &&
	    !((flags & FLEXOS_COMP_SANDBOX) && (int)FLEXOS_COMP_HOST(flags) == running &&
	      !strcmp(what, "free")))
		flexos__abort("%s(%p): compartment '%s' passed a pointer of compartment "
			      "'%s''s heap; only the compartment that allocated it may "
			      "%s it (and the host of a sandbox free it)",
			      what, p, flexos__comp_name(running), flexos__comp_name(r->owner),
			      what);
	return r;
}

/* p's range when free and malloc_usable_size may take their fast path for it, or NULL. */
static inline const struct flexos__heap_range *fast_range(const void *p)
{
	const struct flexos__heap_range *r = flexos__heap_slot(p);
	return flexos__heap_range_holds(r, p) && r->owner == ROUTE.fast_owner ? r : NULL;
}

static void *malloc_slow(void *ret, size_t size) __attribute__((noinline));

void *malloc(size_t size)
{
	uintptr_t ret = CALLER;

	if (__builtin_expect(ret - ROUTE.process_text_start <
				 ROUTE.process_text_end - ROUTE.process_text_start,
			     1))
		return flexos__heap_alloc(ROUTE.process_heap, size);
	return malloc_slow(__builtin_return_address(0), size);
}

static void *malloc_slow(void *ret, size_t size)
{
	struct flexos__heap *h = heap_for(ret);
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

static void free_slow(void *p) __attribute__((noinline));

void free(void *p)
{
	const struct flexos__heap_range *r = fast_range(p);
	if (r)
		flexos__heap_free_in(r, p);
	else
		free_slow(p);
}

static void free_slow(void *p)
{
	if (!p)
		return;
	const struct flexos__heap_range *r = heap_owning(flexos__heap_find(p), p, "free");
	struct flexos__heap *rh = r ? flexos__heap_of_range(r, p, "free") : NULL;
	if (rh && asan(rh))
		flexos__asan_free(rh, p, CALLER);
	else if (r)
		flexos__heap_free_in(r, p);
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
	const struct flexos__heap_range *r = heap_owning(flexos__heap_find(p), p, "realloc");
	struct flexos__heap *rh = r ? flexos__heap_of_range(r, p, "realloc") : NULL;
	if (rh && asan(rh))
		return flexos__asan_realloc(rh, p, size, CALLER);
	return r ? flexos__heap_realloc_in(r, p, size) : __libc_realloc(p, size);
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

static size_t usable_size_slow(void *p) __attribute__((noinline));

size_t malloc_usable_size(void *p)
{
	const struct flexos__heap_range *r = fast_range(p);
	if (r)
		return flexos__heap_usable_size_in(r, p);
	return usable_size_slow(p);
}

static size_t usable_size_slow(void *p)
{
	if (!p)
		return 0;
	const struct flexos__heap_range *r = heap_owning(flexos__heap_find(p), p, "malloc_usable_size");
	struct flexos__heap *rh = r ? flexos__heap_of_range(r, p, "malloc_usable_size") : NULL;
	if (rh && asan(rh))
		return flexos__asan_usable_size(rh, p, CALLER);
	if (r)
		return flexos__heap_usable_size_in(r, p);
	size_t (*libc_usable_size)(void *) = ROUTE.libc_usable_size;
	/* A constructor that ran before find_libc_usable_size: looked up, not kept (the route may
	 * be read-only). */
	if (!libc_usable_size)
		libc_usable_size = (size_t(*)(void *))dlsym(RTLD_NEXT, "malloc_usable_size");
	if (!libc_usable_size)
		flexos__abort("malloc_usable_size: the C library's is not found (dlsym)");
	return libc_usable_size(p);
}
