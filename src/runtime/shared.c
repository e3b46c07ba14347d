/*
 * Shared memory that every compartment may access: the shared heap, and
 * each thread's data shadow stack behind FLEXOS_SHARED_STACK.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <flexos/flexos.h>

#include "runtime.h"

void *flexos_shared_malloc(size_t size)
{
	return flexos__heap_alloc(flexos__heap_of(FLEXOS__SHARED_HEAP), size);
}

void *flexos_shared_calloc(size_t nmemb, size_t size)
{
	size_t total;
	if (__builtin_mul_overflow(nmemb, size, &total)) {
		errno = ENOMEM;
		return NULL;
	}
	void *p = flexos_shared_malloc(total);
	if (p)
		memset(p, 0, total);
	return p;
}

void flexos_shared_free(void *p)
{
	flexos__heap_free(flexos__heap_of(FLEXOS__SHARED_HEAP), p);
}

/*
 * The data shadow stack: one block of the shared heap per thread, used
 * strictly last-in first-out by FLEXOS_SHARED_STACK's cleanup. Only the
 * pointers live in thread-local storage, which is key 0 under intel-mpk
 * (docs/threat-model.md, limit 1): another compartment may change them,
 * and the object would be zeroed and written, with the rights of the
 * compartment that declares it, where that compartment chose. So where
 * compartments are isolated, each object must lie in the shared heap, as
 * the runtime's read-only state bounds it (a fixed range there: only the
 * none mechanism grows it).
 */
static __thread uintptr_t dss_base, dss_top;

static void dss_check(uintptr_t p, size_t size)
{
	const struct flexos__heap_bounds *b = &FLEXOS__SHARED_BOUNDS;

	if (!b->hi) /* (known only where compartments are isolated) */
		return;
	if (!flexos__bounds_hold(b, p, size))
		flexos__abort("FLEXOS_SHARED_STACK: this thread's shared stack (at %#lx) is not "
			      "in the shared heap: a compartment changed its bounds, which are "
			      "in thread-local storage (docs/threat-model.md, limit 1)",
			      (unsigned long)p);
}

void *flexos__dss_acquire(size_t size, size_t align)
{
	if (!dss_base) {
		dss_base = (uintptr_t)flexos_shared_malloc(FLEXOS_SHARED_STACK_SIZE);
		if (!dss_base)
			flexos__abort("cannot allocate this thread's shared stack (%d bytes)",
				      FLEXOS_SHARED_STACK_SIZE);
		dss_top = dss_base;
	}
	uintptr_t p = (dss_top + align - 1) & ~(uintptr_t)(align - 1);
	if (p + size > dss_base + FLEXOS_SHARED_STACK_SIZE || p + size < p)
		flexos__abort("FLEXOS_SHARED_STACK: this thread's shared stack is full (%zu "
			      "bytes requested, %d in all); allocate large objects with "
			      "flexos_shared_malloc",
			      size, FLEXOS_SHARED_STACK_SIZE);
	dss_check(p, size);
	memset((void *)p, 0, size);
	dss_top = p + size;
	return (void *)p;
}

void flexos__dss_release(const void *slot)
{
	/* Blocks end in reverse order, so the top returns to this object. */
	dss_top = *(const uintptr_t *)slot;
}

/*
 * User-level threads (src/sched/) share one OS thread's TLS: each keeps its
 * own data shadow stack, swapped in here on every switch, or LIFO order
 * would break across threads.
 */
void flexos__dss_switch(uintptr_t save[2], const uintptr_t load[2])
{
	save[0] = dss_base;
	save[1] = dss_top;
	dss_base = load[0];
	dss_top = load[1];
}

void flexos__dss_free(uintptr_t state[2])
{
	if (state[0])
		flexos_shared_free((void *)state[0]);
	state[0] = state[1] = 0;
}
