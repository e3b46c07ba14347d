/*
 * Static callbacks: references to a static function are not made through
 * its symbol, which objcopy could rename, but through its section (a
 * relocation against .text + offset) or, inside its own section, through
 * no relocation at all (gas resolves `lea fn(%rip)` itself). This edits
 * flexos-link's private copy of the object so that every reference that
 * takes the function's address names the callback stub instead; direct
 * calls (R_X86_64_PLT32, or none) stay calls to the function, which is in
 * the caller's own compartment.
 */
#include "autoconfig.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rewrite.h"
#include "util.h"

struct obj {
	unsigned char *data;
	size_t size;
	Elf64_Ehdr *eh;
	Elf64_Shdr *sh;
	Elf64_Sym *syms;
	size_t nsyms;
	const char *strs;
	size_t strs_size;
	size_t symtab;
};

static int bad(const char *path, const char *what)
{
	fprintf(stderr, "flexos-link: %s: %s; cannot route its static callbacks\n", path, what);
	return -1;
}

static bool fits(const struct obj *o, uint64_t off, uint64_t len)
{
	return off <= o->size && len <= o->size - off;
}

static int load(const char *path, struct obj *o)
{
	FILE *f = fopen(path, "rb");
	long n;

	memset(o, 0, sizeof(*o));
	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		if (f)
			fclose(f);
		return bad(path, strerror(errno));
	}
	o->size = (size_t)n;
	o->data = xcalloc(1, o->size + 1);
	if (fread(o->data, 1, o->size, f) != o->size) {
		fclose(f);
		return bad(path, "short read");
	}
	fclose(f);
	o->eh = (Elf64_Ehdr *)o->data;
	if (o->size < sizeof(*o->eh) || memcmp(o->eh->e_ident, ELFMAG, SELFMAG) ||
	    o->eh->e_ident[EI_CLASS] != ELFCLASS64 || o->eh->e_type != ET_REL ||
	    o->eh->e_machine != EM_X86_64 || o->eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    !fits(o, o->eh->e_shoff, (uint64_t)o->eh->e_shnum * sizeof(Elf64_Shdr)))
		return bad(path, "not an x86-64 relocatable object");
	o->sh = (Elf64_Shdr *)(o->data + o->eh->e_shoff);
	for (size_t i = 0; i < o->eh->e_shnum; i++) {
		Elf64_Shdr *s = &o->sh[i];
		if (s->sh_type != SHT_SYMTAB)
			continue;
		if (s->sh_link >= o->eh->e_shnum || !fits(o, s->sh_offset, s->sh_size) ||
		    !fits(o, o->sh[s->sh_link].sh_offset, o->sh[s->sh_link].sh_size))
			return bad(path, "malformed symbol table");
		o->syms = (Elf64_Sym *)(o->data + s->sh_offset);
		o->nsyms = s->sh_size / sizeof(Elf64_Sym);
		o->strs = (const char *)o->data + o->sh[s->sh_link].sh_offset;
		o->strs_size = o->sh[s->sh_link].sh_size;
		o->symtab = i;
	}
	if (!o->syms)
		return bad(path, "no symbol table");
	return 0;
}

static const char *sym_name(const struct obj *o, size_t i)
{
	return o->syms[i].st_name < o->strs_size ? o->strs + o->syms[i].st_name : "";
}

static const char *sec_name(const struct obj *o, size_t i)
{
	const Elf64_Shdr *s = &o->sh[o->eh->e_shstrndx];

	if (i >= o->eh->e_shnum || o->sh[i].sh_name >= s->sh_size)
		return "";
	return (const char *)o->data + s->sh_offset + o->sh[i].sh_name;
}

/* The symbol named name that is local (want_local) or not, or 0. */
static size_t find_sym(const struct obj *o, const char *name, bool want_local)
{
	for (size_t i = 1; i < o->nsyms; i++) {
		bool local = ELF64_ST_BIND(o->syms[i].st_info) == STB_LOCAL;
		if (local == want_local && o->syms[i].st_shndx != SHN_UNDEF &&
		    !strcmp(sym_name(o, i), name))
			return i;
	}
	return 0;
}

/*
 * Unwind tables and debug info name the function's start too, and so do
 * constructor tables, which the loader runs: they must keep it.
 */
static bool keeps_function(const struct obj *o, size_t target)
{
	const Elf64_Shdr *t = &o->sh[target];

	return !(t->sh_flags & SHF_ALLOC) || !strcmp(sec_name(o, target), ".eh_frame") ||
	       t->sh_type == SHT_INIT_ARRAY || t->sh_type == SHT_FINI_ARRAY ||
	       t->sh_type == SHT_PREINIT_ARRAY;
}

/* Whether the relocation section r (NULL: none) relocates the field at off. */
static bool relocated(const struct obj *o, const Elf64_Shdr *r, uint64_t off)
{
	if (!r || !fits(o, r->sh_offset, r->sh_size))
		return false;
	const Elf64_Rela *rel = (const Elf64_Rela *)(o->data + r->sh_offset);
	for (size_t k = 0; k < r->sh_size / sizeof(*rel); k++)
		if (rel[k].r_offset == off)
			return true;
	return false;
}

/*
 * Whether the rel32 field at off of section sec is the operand of a
 * direct call or jump (e8, e9, 0f 8x): gcc relocates those with PC32 too
 * when they reach another section, and they call the function rather than
 * take its address.
 */
static bool branch_operand(const struct obj *o, const Elf64_Shdr *sec, uint64_t off)
{
	if (sec->sh_type != SHT_PROGBITS || off < 1 || off > sec->sh_size ||
	    !fits(o, sec->sh_offset, sec->sh_size))
		return false;
	const unsigned char *b = o->data + sec->sh_offset;
	return b[off - 1] == 0xe8 || b[off - 1] == 0xe9 ||
	       (off >= 2 && b[off - 2] == 0x0f && (b[off - 1] & 0xf0) == 0x80);
}

/* With dry set, only counts the references; cb->stub may then be NULL. */
static int rewrite_one(const char *path, struct obj *o, const struct flx_static_callback *cb,
		       bool dry, size_t *count)
{
	size_t fn = find_sym(o, cb->fn, true), stub = dry ? 0 : find_sym(o, cb->stub, false);

	if (!fn || (!dry && !stub) || ELF64_ST_TYPE(o->syms[fn].st_info) != STT_FUNC)
		return bad(path, "the static function or its stub symbol is missing");
	size_t shndx = o->syms[fn].st_shndx;
	uint64_t value = o->syms[fn].st_value;
	Elf64_Shdr *rela_of_text = NULL;

	for (size_t i = 0; i < o->eh->e_shnum; i++) {
		Elf64_Shdr *r = &o->sh[i];
		if (r->sh_type != SHT_RELA || r->sh_link != o->symtab ||
		    r->sh_info >= o->eh->e_shnum)
			continue;
		if (r->sh_info == shndx)
			rela_of_text = r;
		if (keeps_function(o, r->sh_info))
			continue;
		if (!fits(o, r->sh_offset, r->sh_size) || r->sh_entsize != sizeof(Elf64_Rela))
			return bad(path, "malformed relocation section");
		Elf64_Rela *rel = (Elf64_Rela *)(o->data + r->sh_offset);
		for (size_t k = 0; k < r->sh_size / sizeof(*rel); k++) {
			size_t s = ELF64_R_SYM(rel[k].r_info);
			uint32_t type = ELF64_R_TYPE(rel[k].r_info);
			if (s >= o->nsyms)
				continue;
			int64_t base;
			if (s == fn)
				base = (int64_t)value;
			else if (ELF64_ST_TYPE(o->syms[s].st_info) == STT_SECTION &&
				 o->syms[s].st_shndx == shndx)
				base = 0;
			else
				continue;
			/* PC-relative fields end 4 bytes after where they start. */
			bool pc =
			    type == R_X86_64_PC32 && base + rel[k].r_addend + 4 == (int64_t)value;
			bool abs =
			    (type == R_X86_64_64 || type == R_X86_64_32 || type == R_X86_64_32S) &&
			    base + rel[k].r_addend == (int64_t)value;
			if (!pc && !abs)
				continue;
			if (pc && branch_operand(o, &o->sh[r->sh_info], rel[k].r_offset))
				continue;
			(*count)++;
			if (dry)
				continue;
			rel[k].r_addend = pc ? -4 : 0;
			rel[k].r_info = ELF64_R_INFO(stub, type);
		}
	}

	/*
	 * lea fn(%rip), %reg in fn's own section: REX.W, 8d, ModRM with
	 * mod 00 and r/m 101, disp32. It gets a relocation to the stub.
	 */
	Elf64_Shdr *text = &o->sh[shndx];
	if (text->sh_type != SHT_PROGBITS || !fits(o, text->sh_offset, text->sh_size))
		return 0;
	const unsigned char *b = o->data + text->sh_offset;
	Elf64_Rela *added = NULL;
	size_t nadded = 0;
	for (uint64_t off = 0; off + 7 <= text->sh_size; off++) {
		if ((b[off] & 0xf8) != 0x48 || b[off + 1] != 0x8d || (b[off + 2] & 0xc7) != 0x05)
			continue;
		int32_t disp;
		memcpy(&disp, b + off + 3, 4);
		if ((int64_t)off + 7 + disp != (int64_t)value ||
		    relocated(o, rela_of_text, off + 3))
			continue;
		added = xrealloc(added, (nadded + 1) * sizeof(*added));
		added[nadded++] = (Elf64_Rela){off + 3, ELF64_R_INFO(stub, R_X86_64_PC32), -4};
	}
	if (!nadded || dry) {
		*count += nadded;
		free(added);
		return 0;
	}
	if (!rela_of_text) {
		free(added);
		return bad(path, "the section of a static callback has no relocation section to "
				 "add its address-taking references to");
	}
	/* The grown table goes at the end of the file; the old bytes stay, unused. */
	size_t old = rela_of_text->sh_size, at = (o->size + 7) & ~(size_t)7;
	size_t shoff = (size_t)((unsigned char *)o->sh - o->data);
	size_t ridx = (size_t)(rela_of_text - o->sh);
	size_t grown = at + old + nadded * sizeof(Elf64_Rela);
	o->data = xrealloc(o->data, grown);
	memset(o->data + o->size, 0, grown - o->size);
	o->eh = (Elf64_Ehdr *)o->data;
	o->sh = (Elf64_Shdr *)(o->data + shoff);
	rela_of_text = &o->sh[ridx];
	memcpy(o->data + at, o->data + rela_of_text->sh_offset, old);
	memcpy(o->data + at + old, added, nadded * sizeof(Elf64_Rela));
	for (size_t k = 0; k < nadded; k++)
		memset(o->data + o->sh[shndx].sh_offset + added[k].r_offset, 0, 4);
	rela_of_text->sh_offset = at;
	rela_of_text->sh_size = old + nadded * sizeof(Elf64_Rela);
	o->size = grown;
	/* Symbols pointers into the buffer moved with it. */
	o->syms = (Elf64_Sym *)(o->data + o->sh[o->symtab].sh_offset);
	o->strs = (const char *)o->data + o->sh[o->sh[o->symtab].sh_link].sh_offset;
	*count += nadded;
	free(added);
	return 0;
}

int flx_rewrite_static_callbacks(const char *path, const struct flx_static_callback *cbs, size_t n)
{
	struct obj o;
	int err = load(path, &o);

	for (size_t i = 0; i < n && !err; i++) {
		size_t count = 0;
		err = rewrite_one(path, &o, &cbs[i], false, &count);
		if (!err && !count) {
			fprintf(
			    stderr,
			    "flexos-link: %s: found no reference that takes the address of static "
			    "function '%s', so its callback stub would never be used; remove it "
			    "from 'callbacks:'\n",
			    path, cbs[i].fn);
			err = -1;
		}
	}
	if (!err) {
		FILE *f = fopen(path, "wb");
		bool ok = f && fwrite(o.data, 1, o.size, f) == o.size;
		if ((f && fclose(f)) || !ok)
			err = bad(path, strerror(errno));
	}
	free(o.data);
	return err;
}

int flx_static_address_taken(const char *path, const char *const *fns, size_t n, bool *taken)
{
	struct obj o;
	int err = load(path, &o);

	for (size_t i = 0; i < n && !err; i++) {
		struct flx_static_callback cb = {.fn = (char *)fns[i]};
		size_t count = 0;
		err = rewrite_one(path, &o, &cb, true, &count);
		taken[i] = count != 0;
	}
	free(o.data);
	return err;
}
