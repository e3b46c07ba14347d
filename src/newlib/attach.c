/*
 * The runtime's side of the newlib glue: giving a glue instance its heap.
 * Built into libflexos.a; the glue itself is in glue.c.
 */
#include "autoconfig.h"

#include <errno.h>
#include <unistd.h>

#include "attach.h"
#include "../runtime/heap.h"

int flexos__newlib_attach(struct flexos_newlib_glue *g, int id, struct flexos__heap *h, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	if (g->magic != FLEXOS_NEWLIB_GLUE_MAGIC || g->version != FLEXOS_NEWLIB_GLUE_VERSION)
		return -EPROTO;
	/* A break that moved already points into memory the glue mapped itself. */
	if (g->heap_start || g->brk)
		return -EBUSY;
	len = (len + page - 1) & ~(page - 1);
	if (len == 0)
		return -ENOMEM;
	void *p = flexos__heap_alloc_aligned(h, page, len);
	if (!p)
		return -ENOMEM;
	g->compartment = id;
	g->heap_start = (uintptr_t)p;
	g->heap_end = (uintptr_t)p + len;
	g->brk = g->heap_start;
	return 0;
}
