/*
 * Introspection: which compartment is running, and the image's map.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>

#include <flexos/flexos.h>

#include "runtime.h"

static const struct flexos_image *image(void)
{
	return flexos__runtime()->image;
}

static int in_region(uintptr_t a, const struct flexos_region *r)
{
	return a >= r->start && a < r->end;
}

/* The compartment of a shared library's range of this kind holding addr, or -1. */
static int shlib_owner(const struct flexos_runtime *rt, uintptr_t addr, uint32_t kind)
{
	for (uint32_t i = 0; i < rt->nshlib_regions; i++)
		if (rt->shlib_regions[i].kind == kind && in_region(addr, &rt->shlib_regions[i].range))
			return (int)rt->shlib_regions[i].compartment;
	return -1;
}

int flexos__code_owner(uintptr_t addr)
{
	const struct flexos_runtime *rt = flexos__runtime();
	const struct flexos_image *img = rt->image;

	for (uint32_t id = 0; id < img->ncompartments; id++)
		if (in_region(addr, &img->compartments[id].regions[FLEXOS_REGION_TEXT]))
			return (int)id;
	return shlib_owner(rt, addr, FLEXOS_SHLIB_TEXT);
}

int flexos__compartment_of_code(uintptr_t addr)
{
	int id = flexos__code_owner(addr);
	return id >= 0 ? id : (int)image()->default_id;
}

int flexos__owner_of(uintptr_t addr, const char **what)
{
	const struct flexos_runtime *rt = flexos__runtime();
	const struct flexos_image *img = rt->image;

	for (uint32_t id = 0; id < img->ncompartments; id++) {
		for (int r = 0; r < FLEXOS_REGION_COUNT; r++)
			if (in_region(addr, &img->compartments[id].regions[r])) {
				*what = flexos_region_kind((uint32_t)r)->after;
				return (int)id;
			}
		if (in_region(addr, &rt->heaps[id])) {
			*what = "heap";
			return (int)id;
		}
	}
	int owner = shlib_owner(rt, addr, FLEXOS_SHLIB_DATA);
	if (owner >= 0) {
		*what = "shared library's data";
		return owner;
	}
	if (in_region(addr, &img->shared))
		*what = "shared data";
	else if (in_region(addr, &rt->shared_heap))
		*what = "shared heap";
	else if (in_region(addr, &rt->lend_arena))
		*what = "the lend arena (copies of lent pointer arguments)";
	else
		*what = NULL;
	return -1;
}

/* noinline: the return address must be our caller's. */
__attribute__((noinline)) int flexos_compartment_id(void)
{
	return flexos__compartment_of_code((uintptr_t)__builtin_return_address(0));
}

__attribute__((noinline)) const char *flexos_compartment_name(void)
{
	int id = flexos__compartment_of_code((uintptr_t)__builtin_return_address(0));
	return image()->compartments[id].name;
}

int flexos_compartment_count(void)
{
	return (int)image()->ncompartments;
}

const char *flexos_compartment_name_of(int id)
{
	if (id < 0 || (uint32_t)id >= image()->ncompartments)
		return NULL;
	return image()->compartments[id].name;
}

__thread int flexos__gate_error;

int flexos_last_gate_error(void)
{
	return flexos__gate_error;
}

const char *flexos_backend_name(void)
{
	return flexos_mechanism_name(flexos__backend.mechanism);
}

static void print_limited(FILE *f, const char *name, const struct flexos_region *r, uint64_t limit)
{
	fprintf(f, "    %-8s %#14lx-%#14lx %8lu KiB", name, (unsigned long)r->start,
		(unsigned long)r->end, (unsigned long)(r->end - r->start) / 1024);
	/* A heap that reserved less than its heap_size grows on demand (start.c). */
	if (limit > r->end - r->start)
		fprintf(f, " (grows to %lu KiB)", (unsigned long)(limit / 1024));
	fprintf(f, "\n");
}

static void print_region(FILE *f, const char *name, const struct flexos_region *r)
{
	print_limited(f, name, r, 0);
}

static uint64_t heap_limit(const struct flexos_compartment *c)
{
	return c->heap_size ? c->heap_size : FLEXOS_DEFAULT_HEAP_SIZE;
}

int flexos_print_map(FILE *f)
{
	const struct flexos_runtime *rt = flexos__runtime();
	const struct flexos_image *img = rt->image;

	fprintf(f, "flexos: %u compartment%s, backend %s, config %s\n", img->ncompartments,
		img->ncompartments == 1 ? "" : "s",
		flexos_mechanism_name(flexos__backend.mechanism), img->config_path);
	for (uint32_t id = 0; id < img->ncompartments; id++) {
		const struct flexos_compartment *c = &img->compartments[id];
		fprintf(f, "  compartment %u '%s'%s\n", id, c->name,
			c->flags & FLEXOS_COMP_DEFAULT ? " (default)" : "");
		fprintf(f, "    libraries");
		for (uint32_t l = 0; l < img->nlibraries; l++)
			if (img->libraries[l].compartment == id)
				fprintf(f, " %s", img->libraries[l].name);
		fprintf(f, "\n");
		for (int r = 0; r < FLEXOS_REGION_COUNT; r++)
			print_region(f, flexos_region_kind((uint32_t)r)->name, &c->regions[r]);
		print_limited(f, "heap", &rt->heaps[id], heap_limit(c));
		for (uint32_t i = 0; i < rt->nshlib_regions; i++)
			if (rt->shlib_regions[i].compartment == id)
				print_region(f,
					     rt->shlib_regions[i].kind == FLEXOS_SHLIB_TEXT ? "so text"
											    : "so data",
					     &rt->shlib_regions[i].range);
	}
	fprintf(f, "  shared\n");
	print_region(f, "data", &img->shared);
	uint64_t shared_limit = FLEXOS_DEFAULT_HEAP_SIZE;
	for (uint32_t id = 0; id < img->ncompartments; id++)
		if (heap_limit(&img->compartments[id]) > shared_limit)
			shared_limit = heap_limit(&img->compartments[id]);
	print_limited(f, "heap", &rt->shared_heap, shared_limit);
	return fflush(f) == 0 && !ferror(f) ? 0 : -errno;
}
