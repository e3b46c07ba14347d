/*
 * Binary inspection: under intel-mpk the gates are the only code allowed to
 * write PKRU. Compartment code holding such an instruction, even one that
 * only appears when decoding from the middle of another, could grant itself
 * every key, so flexos-link refuses the image (the check ERIM makes).
 * Gates, the runtime and the C library lie outside compartment sections.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf.h"
#include "inspect.h"
#include "util.h"

struct func {
	uint64_t addr, size;
	char *name;
};

struct scan {
	const struct flp_plan *plan;
	const char *image;
	struct func *funcs;
	size_t nfuncs;
	int found;
};

static int collect_func(void *ctx, const struct fle_symbol *sym)
{
	struct scan *s = ctx;
	if (!sym->defined || !sym->function)
		return 0;
	s->funcs = xrealloc(s->funcs, (s->nfuncs + 1) * sizeof(*s->funcs));
	s->funcs[s->nfuncs++] = (struct func){sym->value, sym->size, xstrdup(sym->name)};
	return 0;
}

static void describe(const struct scan *s, uint64_t addr, char *buf, size_t size)
{
	for (size_t i = 0; i < s->nfuncs; i++) {
		const struct func *f = &s->funcs[i];
		if (addr >= f->addr && addr < f->addr + (f->size ? f->size : 1)) {
			snprintf(buf, size, "%s+%#llx", f->name, (unsigned long long)(addr - f->addr));
			return;
		}
	}
	snprintf(buf, size, "no symbol");
}

/* The name of the PKRU-writing instruction starting at p, or NULL. */
static const char *pkru_writer(const unsigned char *p, size_t left)
{
	if (left < 3 || p[0] != 0x0f)
		return NULL;
	unsigned mod = p[2] >> 6, reg = (p[2] >> 3) & 7;
	if (p[1] == 0x01 && p[2] == 0xef)
		return "WRPKRU (0f 01 ef)";
	/* With a register operand (mod 3) these encodings are fences, not restores. */
	if (p[1] == 0xae && reg == 5 && mod != 3)
		return "XRSTOR (0f ae /5)";
	if (p[1] == 0xc7 && reg == 3 && mod != 3)
		return "XRSTORS (0f c7 /3)";
	return NULL;
}

static int scan_section(void *ctx, const struct fle_section *sec)
{
	struct scan *s = ctx;
	const struct flc_config *cfg = s->plan->cfg;

	for (size_t c = 0; c < cfg->ncompartments && sec->data; c++) {
		char *name = xasprintf(FLEXOS_COMP_SECTION_FMT, cfg->compartments[c].name,
				       flexos_region_kind(FLEXOS_REGION_TEXT)->name);
		bool match = !strcmp(sec->name, name);
		free(name);
		if (!match)
			continue;
		for (size_t off = 0; off < sec->size; off++) {
			const char *what = pkru_writer(sec->data + off, sec->size - off);
			if (!what)
				continue;
			char where[256];
			describe(s, sec->addr + off, where, sizeof(where));
			fprintf(stderr,
				"flexos-link: error: %s: the code of compartment '%s' contains %s "
				"at %#llx (%s); only gates may write PKRU under intel-mpk: remove "
				"it from the compartment's inputs, or link with another "
				"mechanism\n",
				s->image, cfg->compartments[c].name, what,
				(unsigned long long)(sec->addr + off), where);
			s->found++;
		}
	}
	return 0;
}

int flx_find_pkru_writers(const struct flp_plan *plan, const char *image)
{
	struct scan s = {.plan = plan, .image = image};
	int err = fle_image_symbols(image, collect_func, &s);

	if (!err)
		err = fle_sections(image, scan_section, &s);
	for (size_t i = 0; i < s.nfuncs; i++)
		free(s.funcs[i].name);
	free(s.funcs);
	return err ? -1 : s.found;
}
