/*
 * tests/integration/ro-state.sh: the attacking library (rostate.h). It
 * knows the image as an attacker would (the layout of the runtime's
 * tables, the compartment ids of flexos.yaml) and writes only memory its
 * PKRU allows: key 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <flexos/image.h>

#include "heap-ranges.h"
#include "rostate.h"
#include "runtime.h" /* the layout of the runtime's state, as the attacker knows it */

/*
 * Where the attacked words are: before the runtime's state was made
 * read-only, in variables of their own; since, in the pages flexos__ro
 * (runtime.h) and flexos__mpk_ro (backends/mpk/mpk.h: MPK_RO_KEYS).
 */
extern int flexos__process_compartment __attribute__((weak));
extern int flexos__mpk_keys[] __attribute__((weak));
extern char flexos__mpk_ro[] __attribute__((weak));

static int *process_compartment(void)
{
#ifdef FLEXOS__RO_PAGE
	return &flexos__ro.s.malloc.process_compartment;
#else
	return &flexos__process_compartment;
#endif
}

static int *mpk_keys(void)
{
	if (flexos__mpk_keys)
		return flexos__mpk_keys;
	return flexos__mpk_ro ? (int *)(flexos__mpk_ro + 96) : NULL;
}
extern void *__libc_malloc(size_t size);

/* The heap of compartment owner (-1: the shared heap), from the table of ranges. */
static void *heap_of(int owner)
{
	for (uint32_t i = 0; i < flexos__heap_nranges; i++)
		if (flexos__heap_ranges[i].owner == owner)
			return flexos__heap_ranges[i].heap;
	return NULL;
}

/* Whether [a, a + 16) is in a section of a compartment (keyed: not to be read). */
static int keyed(uintptr_t a)
{
	for (uint32_t id = 0; id < flexos__image.ncompartments; id++)
		for (int r = 0; r < FLEXOS_REGION_COUNT; r++) {
			const struct flexos_region *g = &flexos__image.compartments[id].regions[r];
			if (a + 16 > g->start && a < g->end)
				return 1;
		}
	return 0;
}

struct scan {
	void *want[2];
	uintptr_t found;
};

/* The first 8-byte-aligned pair of words {want[0], want[1]} in the image's writable segments. */
static int scan_image(struct dl_phdr_info *info, size_t size, void *data)
{
	struct scan *s = data;
	(void)size;
	for (int i = 0; i < info->dlpi_phnum && !s->found; i++) {
		const ElfW(Phdr) *p = &info->dlpi_phdr[i];
		if (p->p_type != PT_LOAD || !(p->p_flags & PF_W))
			continue;
		uintptr_t a = (info->dlpi_addr + p->p_vaddr + 7) & ~(uintptr_t)7;
		uintptr_t end = info->dlpi_addr + p->p_vaddr + p->p_memsz;
		for (; a + 16 <= end; a += 8) {
			if (keyed(a)) {
				a = (a | 4095) - 7; /* sections are whole pages */
				continue;
			}
			void *const *w = (void *const *)a;
			if (w[0] == s->want[0] && w[1] == s->want[1]) {
				s->found = a;
				break;
			}
		}
	}
	return 1; /* the first object is the image */
}

/* The runtime's table of heaps: heaps[app] and heaps[app + 1] side by side. */
static void **heaps_table(void)
{
	int app = (int)flexos__image.default_id;
	struct scan s = {{heap_of(app), heap_of(app + 1)}, 0};
	if (!s.want[0] || !s.want[1])
		return NULL;
	dl_iterate_phdr(scan_image, &s);
	return s.found ? (void **)s.found - app : NULL;
}

long rs_forge_heaps(void)
{
	void **heaps = heaps_table();
	void *shared = heap_of(-1);
	if (!heaps || !shared)
		return -1;
	printf("heaps: the table of heaps is at %p; pointing the application's entry at the "
	       "shared heap\n",
	       (void *)heaps);
	fflush(stdout);
	heaps[flexos__image.default_id] = shared;
	return 1;
}

long rs_unprotect_heaps(void)
{
	void **heaps = heaps_table();
	void *shared = heap_of(-1);
	if (!heaps || !shared)
		return -1;
	uintptr_t page = (uintptr_t)heaps & ~(uintptr_t)4095;
	printf("mprotect: making the table of heaps writable\n");
	fflush(stdout);
	if (mprotect((void *)page, 8192, PROT_READ | PROT_WRITE)) {
		printf("mprotect: %s\n", strerror(errno));
		return -1;
	}
	heaps[flexos__image.default_id] = shared;
	return 1;
}

long rs_forge_process(void)
{
	void **heaps = heaps_table();
	void *shared = heap_of(-1);
	/* A word of glibc's heap (key 0), which lies above the image. */
	void **slot = __libc_malloc(sizeof(*slot));
	if (!heaps || !shared || !slot || (uintptr_t)slot < (uintptr_t)heaps)
		return -1;
	*slot = shared;
	uintptr_t n = (uintptr_t)(slot - heaps);
	if (n > 0x7fffffff)
		return -1;
	printf("process: pointing the compartment malloc serves at %lu, a word that holds the "
	       "shared heap\n",
	       (unsigned long)n);
	fflush(stdout);
	*process_compartment() = (int)n;
	return (long)n;
}

int rs_forge_key(void)
{
	int *keys = mpk_keys();
	if (!keys)
		return -1;
	printf("keys: setting the application's protection key to 0\n");
	fflush(stdout);
	keys[flexos__image.default_id] = 0;
	return 0;
}

int rs_leak(void)
{
	struct range *r = NULL;
	for (uint32_t i = 0; i < flexos__heap_nranges; i++)
		if (flexos__heap_ranges[i].owner == -1)
			r = &flexos__heap_ranges[i];
	if (!r)
		return 0;
	size_t len = r->end - r->start < (1u << 20) ? r->end - r->start : (1u << 20);
	const char *hit = memmem((const void *)r->start, len, "app-secret-", 11);
	if (!hit)
		return 0;
	printf("the library read '%.15s'\n", hit);
	return 1;
}
