/*
 * The runtime's side of the newlib glue: giving a glue instance its heap.
 * Built into libflexos.a; the glue itself is in glue.c.
 */
#include "autoconfig.h"

#include <errno.h>
#include <sys/random.h>
#include <unistd.h>

#include "attach.h"
#include "../runtime/heap.h"

int flexos__newlib_attach(struct flexos_newlib_glue *g, int id, struct flexos__heap *h, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	if (g->magic != FLEXOS_NEWLIB_GLUE_MAGIC || g->version != FLEXOS_NEWLIB_GLUE_VERSION ||
	    !g->stack_guard || ((uintptr_t)g->stack_guard & (sizeof(uintptr_t) - 1)))
		return -EPROTO;
	/* A break that moved already points into memory the glue mapped itself. */
	if (g->heap_start || g->brk)
		return -EBUSY;
	/*
	 * A fresh canary per process start, of its own (not glibc's, which
	 * every compartment may read), its low byte zero as glibc's: a string
	 * copy that runs into it stops there and cannot write it back.
	 */
	uintptr_t canary;
	if (getrandom(&canary, sizeof(canary), 0) != (ssize_t)sizeof(canary))
		return errno ? -errno : -EIO;
	len = (len + page - 1) & ~(page - 1);
	if (len == 0)
		return -ENOMEM;
	void *p = flexos__heap_alloc_aligned(h, page, len);
	if (!p)
		return -ENOMEM;
	*g->stack_guard = canary & ~(uintptr_t)0xff;
	g->compartment = id;
	g->heap_start = (uintptr_t)p;
	g->heap_end = (uintptr_t)p + len;
	g->brk = g->heap_start;
	return 0;
}
