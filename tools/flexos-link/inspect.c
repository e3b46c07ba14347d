/*
 * Binary inspection: under intel-mpk the gates are the only code allowed to
 * write PKRU. Code holding such an instruction, even one that only appears
 * when decoding from the middle of another, could grant itself every key,
 * so flexos-link refuses the image (the check ERIM makes). Every executable
 * section of the image is scanned: compartment code may hold none; outside
 * it, only the runtime's own functions (flexos__*, linked from the backend
 * archive into .text) may. An executable section of a compartment's input
 * that is not named .text* lands outside the compartment's text, and is
 * scanned there too.
 */
#include "autoconfig.h"

#include <stdbool.h>
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
	bool report;
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

static const struct func *func_at(const struct scan *s, uint64_t addr)
{
	for (size_t i = 0; i < s->nfuncs; i++) {
		const struct func *f = &s->funcs[i];
		if (addr >= f->addr && addr < f->addr + (f->size ? f->size : 1))
			return f;
	}
	return NULL;
}

static void describe(const struct scan *s, uint64_t addr, char *buf, size_t size)
{
	const struct func *f = func_at(s, addr);

	if (f)
		snprintf(buf, size, "%s+%#llx", f->name, (unsigned long long)(addr - f->addr));
	else
		snprintf(buf, size, "no symbol");
}

/* A gate of the backend archive: its WRPKRUs are the checked ones. */
static bool runtime_code(const struct scan *s, const struct fle_section *sec, uint64_t addr)
{
	const struct func *f = func_at(s, addr);
	return !strcmp(sec->name, ".text") && f && !strncmp(f->name, "flexos__", 8);
}

/*
 * Whether the opcode at code + off can be reached with an F3 prefix: the
 * bytes right before it, legacy prefixes and REX bytes (at most 14: an
 * instruction has 15), hold one. WRFSBASE and WRGSBASE need it: without,
 * their bytes are an invalid instruction, and a jump can only land on
 * bytes the code holds.
 */
static bool f3_before(const unsigned char *code, size_t off)
{
	for (size_t k = 1; k <= 14 && k <= off; k++) {
		unsigned char b = code[off - k];
		if (b == 0xf3)
			return true;
		bool legacy = b == 0xf0 || b == 0xf2 || b == 0x2e || b == 0x36 || b == 0x3e ||
			      b == 0x26 || b == 0x64 || b == 0x65 || b == 0x66 || b == 0x67;
		if (!legacy && (b & 0xf0) != 0x40)
			return false;
	}
	return false;
}

/*
 * The name of the instruction at code + off (left bytes on) that writes
 * PKRU, or the FS or GS base the gates rely on, or NULL.
 */
static const char *pkru_writer(const unsigned char *code, size_t off, size_t left)
{
	const unsigned char *p = code + off;

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
	/*
	 * WRFSBASE, WRGSBASE (f3 [REX] 0f ae /2, /3, register operand): a
	 * thread that sets its FS base to another thread's passes the gate
	 * page's owner check (RDFSBASE) with that thread's page. Refused where
	 * an F3 prefix can precede them, other prefixes or REX bytes between;
	 * the same bytes after any other (a call's displacement that happens
	 * to hold them) decode as nothing that runs.
	 */
	if (p[1] == 0xae && mod == 3 && (reg == 2 || reg == 3) && f3_before(code, off))
		return reg == 2 ? "WRFSBASE (0f ae /2)" : "WRGSBASE (0f ae /3)";
	return NULL;
}

/* SHF_EXECINSTR */
#define EXECUTABLE 0x4

/*
 * Reports every PKRU writer of an executable section: compartment comp's
 * code, or (comp < 0) code outside the compartments, where only the
 * runtime's gates may hold one.
 */
static void scan_bytes(struct scan *s, const struct fle_section *sec, int comp)
{
	const struct flc_config *cfg = s->plan->cfg;

	for (size_t off = 0; off < sec->size; off++) {
		const char *what = pkru_writer(sec->data, off, sec->size - off);
		if (!what || (comp < 0 && runtime_code(s, sec, sec->addr + off)))
			continue;
		s->found++;
		if (!s->report)
			continue;
		char where[256], whose[256];
		describe(s, sec->addr + off, where, sizeof(where));
		if (comp >= 0)
			snprintf(whose, sizeof(whose), "the code of compartment '%s'",
				 cfg->compartments[comp].name);
		else
			snprintf(whose, sizeof(whose), "section '%s', outside the compartments' code,",
				 sec->name);
		fprintf(
		    stderr,
		    "flexos-link: error: %s: %s contains %s at %#llx (%s); only gates may write "
		    "PKRU (or the FS/GS base, which the gates check) under intel-mpk: %s, or "
		    "link with another mechanism\n",
		    s->image, whose, what, (unsigned long long)(sec->addr + off), where,
		    comp >= 0 ? "remove it from the compartment's inputs"
			      : "an executable section of an input that is not named .text* is "
				"not placed in its compartment's code; rename or remove it");
	}
}

/* SHF_EXECINSTR */
#define EXECUTABLE 0x4

static int scan_section(void *ctx, const struct fle_section *sec)
{
	struct scan *s = ctx;
	const struct flc_config *cfg = s->plan->cfg;
	int comp = -1;

	if (!(sec->flags & EXECUTABLE) || !sec->data)
		return 0;
	for (size_t c = 0; c < cfg->ncompartments && comp < 0; c++) {
		char *name = xasprintf(FLEXOS_COMP_SECTION_FMT, cfg->compartments[c].name,
				       flexos_region_kind(FLEXOS_REGION_TEXT)->name);
		if (!strcmp(sec->name, name))
			comp = (int)c;
		free(name);
	}
	scan_bytes(s, sec, comp);
	return 0;
}

int flx_find_pkru_writers(const struct flp_plan *plan, const char *image, bool report)
{
	struct scan s = {.plan = plan, .image = image, .report = report};
	int err = fle_image_symbols(image, collect_func, &s);

	if (!err)
		err = fle_sections(image, scan_section, &s);
	for (size_t i = 0; i < s.nfuncs; i++)
		free(s.funcs[i].name);
	free(s.funcs);
	return err ? -1 : s.found;
}
