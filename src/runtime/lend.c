/*
 * The lend arena: shared memory where a gate's caller puts copies of the
 * private objects its pointer arguments name (backends/common/lend.c).
 * Mapped here, at start-up, because under the process backend every
 * compartment process must see it at the same address with the same
 * guard pages, and page protections are per process.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdbool.h>
#include <sys/mman.h>

#include "runtime.h"

/* Small slots first: nested gates take them in order, most lend strings. */
/* Two large ones: nested lending's buffer pairs (zlib's next_in, next_out). */
const uint8_t flexos__lend_slot_pages[FLEXOS__LEND_SLOTS] = {1, 1,  1,  1,
							     4, 16, 32, FLEXOS__LEND_MAX_PAGES};

_Static_assert(sizeof(struct flexos__lend_header) <= FLEXOS__LEND_HEADER_PAGES * FLEXOS__LEND_PAGE,
	       "the lend header fits its pages");

uintptr_t flexos__lend_slot_end(uintptr_t base, unsigned t, unsigned s)
{
	uintptr_t p =
	    base + (uintptr_t)(FLEXOS__LEND_HEADER_PAGES + t * FLEXOS__LEND_THREAD_PAGES) *
		       FLEXOS__LEND_PAGE;
	for (unsigned i = 0; i <= s; i++)
		p += (uintptr_t)(1 + flexos__lend_slot_pages[i]) * FLEXOS__LEND_PAGE;
	return p;
}

static bool image_lends(const struct flexos_image *img)
{
	for (uint32_t i = 0; i < img->nentries; i++)
		if (img->entries[i].flags & FLEXOS_ENTRY_LEND)
			return true;
	return false;
}

int flexos__lend_arena_create(const struct flexos_image *img, struct flexos_region *out)
{
	out->start = out->end = 0;
	if (!image_lends(img))
		return 0;
	size_t len = (size_t)(FLEXOS__LEND_HEADER_PAGES +
			      FLEXOS__LEND_THREADS * FLEXOS__LEND_THREAD_PAGES + 1) *
		     FLEXOS__LEND_PAGE;
	/* As the shared heap: shared between processes only where there are some. */
	int flags = (img->mechanism == FLEXOS_MECH_PROCESS ? MAP_SHARED : MAP_PRIVATE) |
		    MAP_ANONYMOUS | MAP_NORESERVE;
	char *base = mmap(NULL, len, PROT_NONE, flags, -1, 0);
	if (base == MAP_FAILED)
		return -errno;
	int err =
	    mprotect(base, FLEXOS__LEND_HEADER_PAGES * FLEXOS__LEND_PAGE, PROT_READ | PROT_WRITE);
	for (unsigned t = 0; t < FLEXOS__LEND_THREADS && !err; t++)
		for (unsigned s = 0; s < FLEXOS__LEND_SLOTS && !err; s++) {
			size_t n = (size_t)flexos__lend_slot_pages[s] * FLEXOS__LEND_PAGE;
			err = mprotect((void *)(flexos__lend_slot_end((uintptr_t)base, t, s) - n),
				       n, PROT_READ | PROT_WRITE);
		}
	if (err) {
		err = -errno;
		munmap(base, len);
		return err;
	}
	out->start = (uintptr_t)base;
	out->end = (uintptr_t)base + len;
	return 0;
}
