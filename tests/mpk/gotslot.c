/*
 * The attack tests' search for a shared library's writable code pointer:
 * a .got.plt entry past RELRO, which a compartment that writes key 0 can
 * point at its own code (limit 1 of docs/threat-model.md).
 */
#define _GNU_SOURCE 1
#include <link.h>
#include <string.h>

#include "gotslot.h"

struct search {
	const char *lib;
	uintptr_t want;
	uintptr_t *slot;
};

static int search(struct dl_phdr_info *info, size_t size, void *data)
{
	struct search *s = data;
	uintptr_t lo = 0, hi = 0, relro = 0;

	(void)size;
	if (!strstr(info->dlpi_name, s->lib))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *p = &info->dlpi_phdr[i];
		if (p->p_type == PT_LOAD && (p->p_flags & PF_W)) {
			lo = info->dlpi_addr + p->p_vaddr;
			hi = lo + p->p_filesz;
		}
		if (p->p_type == PT_GNU_RELRO)
			relro = info->dlpi_addr + p->p_vaddr + p->p_memsz;
	}
	for (uintptr_t a = relro > lo ? relro : lo; a + 8 <= hi; a += 8)
		if (*(uintptr_t *)a == s->want) {
			s->slot = (uintptr_t *)a;
			break;
		}
	return 1;
}

uintptr_t *got_slot(const char *lib, uintptr_t want)
{
	struct search s = {lib, want, NULL};

	dl_iterate_phdr(search, &s);
	return s.slot;
}
