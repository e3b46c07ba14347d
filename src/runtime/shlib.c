/*
 * Shared libraries that the config puts in a compartment: find them loaded,
 * before main, and note their code and data ranges for the backends, the
 * malloc router and fault reports.
 */
#include "autoconfig.h"

#include <limits.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime.h"

struct search {
	const struct flexos_image *img;
	struct flexos_runtime *rt;
	uintptr_t page;
	int err;
};

static void add(struct search *s, uint32_t comp, uint32_t kind, uintptr_t start, uintptr_t end)
{
	struct flexos_runtime *rt = s->rt;

	start &= ~(s->page - 1);
	end = (end + s->page - 1) & ~(s->page - 1);
	if (start >= end)
		return;
	if (rt->nshlib_regions == FLEXOS_MAX_SHLIB_REGIONS) {
		s->err = -1;
		return;
	}
	rt->shlib_regions[rt->nshlib_regions++] =
		(struct flexos_shlib_region){{start, end}, comp, kind};
}

static int visit(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct search *s = arg;
	char real[PATH_MAX];
	(void)size;

	/* realpath(3) with a buffer: no allocation before the heaps route it. */
	if (!info->dlpi_name[0] || !realpath(info->dlpi_name, real))
		return 0;
	for (uint32_t i = 0; i < s->img->nshlibs; i++) {
		if (strcmp(real, s->img->shlibs[i].path))
			continue;
		uint32_t comp = s->img->shlibs[i].compartment;
		uintptr_t relro_end = 0;
		for (int k = 0; k < info->dlpi_phnum; k++)
			if (info->dlpi_phdr[k].p_type == PT_GNU_RELRO)
				relro_end = info->dlpi_addr + info->dlpi_phdr[k].p_vaddr +
					    info->dlpi_phdr[k].p_memsz;
		for (int k = 0; k < info->dlpi_phnum; k++) {
			const ElfW(Phdr) *ph = &info->dlpi_phdr[k];
			uintptr_t start = info->dlpi_addr + ph->p_vaddr, end = start + ph->p_memsz;
			if (ph->p_type != PT_LOAD)
				continue;
			if (ph->p_flags & PF_X)
				add(s, comp, FLEXOS_SHLIB_TEXT, start, end);
			/* ld.so rounds RELRO's end down to a page; the rest is data. */
			if (ph->p_flags & PF_W)
				add(s, comp, FLEXOS_SHLIB_DATA,
				    start > relro_end ? start : relro_end & ~(s->page - 1), end);
		}
	}
	return 0;
}

int flexos__find_shlibs(struct flexos_runtime *rt)
{
	struct search s = {
		.img = rt->image, .rt = rt, .page = (uintptr_t)sysconf(_SC_PAGESIZE)};

	rt->nshlib_regions = 0;
	if (!rt->image->nshlibs)
		return 0;
	dl_iterate_phdr(visit, &s);
	return s.err;
}
