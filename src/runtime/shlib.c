/*
 * Shared libraries that the config puts in a compartment: find them loaded,
 * before main, and note their code and data ranges for the backends, the
 * malloc router and fault reports.
 */
#include "autoconfig.h"

#include <errno.h>
#include <limits.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

/* The image's shared library that info is, or NULL. */
static const struct flexos_shlib *shlib_of(const struct flexos_image *img,
					   const struct dl_phdr_info *info)
{
	char real[PATH_MAX];

	/* realpath(3) with a buffer: no allocation before the heaps route it. */
	if (!info->dlpi_name[0] || !realpath(info->dlpi_name, real))
		return NULL;
	for (uint32_t i = 0; i < img->nshlibs; i++)
		if (!strcmp(real, img->shlibs[i].path))
			return &img->shlibs[i];
	return NULL;
}

static int visit(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct search *s = arg;
	const struct flexos_shlib *lib = shlib_of(s->img, info);
	(void)size;

	if (lib) {
		uint32_t comp = lib->compartment;
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

/* What _dl_fini finds in place of a taken destructor. */
static void taken_fini(void)
{
}

struct take {
	const struct flexos_image *img;
	uintptr_t page;
	int err;
};

/*
 * Writes value at a (a word of .fini_array or .dynamic), which is in the
 * library's RELRO segment, read-only since the loader relocated it,
 * unless the library was linked without one: made writable for the
 * store, read-only again after it.
 */
static int put(const struct take *t, uintptr_t relro_lo, uintptr_t relro_hi, uintptr_t *a,
	       uintptr_t value)
{
	uintptr_t page = (uintptr_t)a & ~(t->page - 1);
	int ro = page >= relro_lo && page < relro_hi;

	if (ro && mprotect((void *)page, t->page, PROT_READ | PROT_WRITE))
		return -errno;
	*a = value;
	if (ro && mprotect((void *)page, t->page, PROT_READ))
		return -errno;
	return 0;
}

static int take_one(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct take *t = arg;
	struct flexos__ro_state *ro = &flexos__ro.s;
	const struct flexos_shlib *lib = shlib_of(t->img, info);
	const ElfW(Dyn) *dyn = NULL;
	uintptr_t relro_lo = 0, relro_hi = 0;
	(void)size;

	if (!lib || t->err)
		return t->err;
	for (int k = 0; k < info->dlpi_phnum; k++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[k];
		if (ph->p_type == PT_DYNAMIC)
			dyn = (const ElfW(Dyn) *)(info->dlpi_addr + ph->p_vaddr);
		/* What the loader made read-only: whole pages. */
		if (ph->p_type == PT_GNU_RELRO) {
			relro_lo = (info->dlpi_addr + ph->p_vaddr) & ~(t->page - 1);
			relro_hi = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz) & ~(t->page - 1);
		}
	}
	uintptr_t *array = NULL, nbytes = 0;
	ElfW(Dyn) *fini = NULL;
	for (const ElfW(Dyn) *d = dyn; d && d->d_tag != DT_NULL; d++) {
		if (d->d_tag == DT_FINI_ARRAY)
			array = (uintptr_t *)(info->dlpi_addr + d->d_un.d_ptr);
		else if (d->d_tag == DT_FINI_ARRAYSZ)
			nbytes = d->d_un.d_val;
		else if (d->d_tag == DT_FINI)
			fini = (ElfW(Dyn) *)d;
	}
	size_t n = array ? nbytes / sizeof(*array) : 0;
	if (ro->shlib_fini.nlibs == FLEXOS__MAX_SHLIB_FINI_LIBS ||
	    ro->shlib_fini.nfns + n + 1 > FLEXOS__MAX_SHLIB_FINI) {
		flexos__say("the shared libraries of the compartments have more than %d "
			    "destructors (or more than %d libraries have some); put fewer of "
			    "them in compartments",
			    FLEXOS__MAX_SHLIB_FINI, FLEXOS__MAX_SHLIB_FINI_LIBS);
		return t->err = -E2BIG;
	}
	uint32_t first = ro->shlib_fini.nfns;
	/* _dl_fini's order: the array from its end, then DT_FINI. */
	for (size_t k = n; k-- > 0 && !t->err;) {
		if (array[k] && array[k] != (uintptr_t)-1 && array[k] != (uintptr_t)taken_fini)
			ro->shlib_fini.fns[ro->shlib_fini.nfns++] = (void (*)(void))array[k];
		t->err = put(t, relro_lo, relro_hi, &array[k], (uintptr_t)taken_fini);
	}
	if (fini && !t->err && info->dlpi_addr + fini->d_un.d_ptr != (uintptr_t)taken_fini) {
		ro->shlib_fini.fns[ro->shlib_fini.nfns++] =
		    (void (*)(void))(info->dlpi_addr + fini->d_un.d_ptr);
		t->err = put(t, relro_lo, relro_hi, (uintptr_t *)&fini->d_un.d_ptr,
			     (uintptr_t)taken_fini - info->dlpi_addr);
	}
	if (t->err) {
		flexos__say("cannot take the destructors of %s from the loader: %s", lib->path,
			    flexos__strerror(-t->err));
		return t->err;
	}
	ro->shlib_fini.libs[ro->shlib_fini.nlibs++] =
	    (typeof(ro->shlib_fini.libs[0])){lib->compartment, first, ro->shlib_fini.nfns - first};
	return 0;
}

int flexos__shlib_take_fini(void)
{
	const struct flexos_image *img = flexos__ro.s.runtime.image;
	struct take t = {.img = img, .page = (uintptr_t)sysconf(_SC_PAGESIZE)};

	if (!img->nshlibs)
		return 0;
	dl_iterate_phdr(take_one, &t);
	if (t.err)
		return t.err;
	for (uint32_t l = 0; l < flexos__ro.s.shlib_fini.nlibs; l++) {
		uint32_t id = flexos__ro.s.shlib_fini.libs[l].compartment;
		if (id >= img->ncompartments || flexos__ro.s.shlib_fini.once[id])
			continue;
		if (img->compartments[id].flags & FLEXOS_COMP_NEWLIB) {
			flexos__say("compartment '%s' has libc: newlib and a shared library; "
				    "put the library in another compartment in %s",
				    img->compartments[id].name, img->config_path);
			return -EINVAL;
		}
		flexos__ro.s.shlib_fini.once[id] =
		    flexos__heap_alloc(flexos__ro.s.heaps[id], sizeof(int));
		if (!flexos__ro.s.shlib_fini.once[id])
			return -ENOMEM;
		*flexos__ro.s.shlib_fini.once[id] = 0;
	}
	return 0;
}
