/*
 * A small ELF64 reader over a memory-mapped file. Every offset read from the
 * file is checked against the mapping, so a truncated or hostile input is
 * reported, never followed.
 */
#include "autoconfig.h"

#include <ar.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf.h"
#include "util.h"

struct mapped {
	const unsigned char *data;
	size_t size;
};

static int map_file(const char *path, struct mapped *m)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	m->size = (size_t)st.st_size;
	m->data = m->size ? mmap(NULL, m->size, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
	close(fd);
	if (m->size && m->data == MAP_FAILED) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static void unmap_file(struct mapped *m)
{
	if (m->size)
		munmap((void *)m->data, m->size);
}

static bool in_range(size_t size, uint64_t off, uint64_t len)
{
	return off <= size && len <= size - off;
}

/*
 * Tables are read in place as arrays of ELF structures, which need 8-byte
 * alignment; a linker always aligns them, a hostile file may not.
 */
static bool table_at(size_t size, uint64_t off, uint64_t len)
{
	return in_range(size, off, len) && off % 8 == 0;
}

/* One ELF image inside the mapping (a whole file, or an archive member). */
struct elf_view {
	const char *path;
	const char *member;
	const unsigned char *data;
	size_t size;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	const char *shstr;
	size_t shstr_size;
};

static int bad(const struct elf_view *v, const char *what)
{
	/* A member's name is the archive's to choose: it may hold a newline. */
	fput_escaped(v->path, stderr);
	if (v->member) {
		fputs(": ", stderr);
		fput_escaped(v->member, stderr);
	}
	fprintf(stderr, ": %s\n", what);
	return -1;
}

static int open_view(struct elf_view *v)
{
	if (v->size < sizeof(Elf64_Ehdr) || memcmp(v->data, ELFMAG, SELFMAG))
		return bad(v, "not an ELF file");
	v->eh = (const Elf64_Ehdr *)v->data;
	if (v->eh->e_ident[EI_CLASS] != ELFCLASS64 || v->eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    v->eh->e_machine != EM_X86_64)
		return bad(v, "not an x86-64 ELF64 file");
	if (v->eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    !table_at(v->size, v->eh->e_shoff, (uint64_t)v->eh->e_shnum * sizeof(Elf64_Shdr)))
		return bad(v, "truncated or misaligned section header table");
	v->sh = (const Elf64_Shdr *)(v->data + v->eh->e_shoff);
	if (v->eh->e_shstrndx >= v->eh->e_shnum)
		return bad(v, "bad section name table index");
	const Elf64_Shdr *s = &v->sh[v->eh->e_shstrndx];
	if (!in_range(v->size, s->sh_offset, s->sh_size))
		return bad(v, "truncated section name table");
	v->shstr = (const char *)v->data + s->sh_offset;
	v->shstr_size = s->sh_size;
	return 0;
}

static const char *string_at(const char *tab, size_t size, uint64_t off)
{
	if (off >= size || !memchr(tab + off, '\0', size - off))
		return NULL;
	return tab + off;
}

static const char *section_name(const struct elf_view *v, size_t i)
{
	if (i == 0 || i >= v->eh->e_shnum)
		return NULL;
	return string_at(v->shstr, v->shstr_size, v->sh[i].sh_name);
}

static int walk_view_symbols(struct elf_view *v, uint32_t table, fle_symbol_fn fn, void *ctx)
{
	if (open_view(v))
		return -1;
	for (size_t i = 0; i < v->eh->e_shnum; i++) {
		const Elf64_Shdr *s = &v->sh[i];
		if (s->sh_type != table)
			continue;
		if (s->sh_link >= v->eh->e_shnum || s->sh_entsize != sizeof(Elf64_Sym) ||
		    !table_at(v->size, s->sh_offset, s->sh_size))
			return bad(v, "malformed symbol table");
		const Elf64_Shdr *strs = &v->sh[s->sh_link];
		if (!in_range(v->size, strs->sh_offset, strs->sh_size))
			return bad(v, "malformed string table");
		const char *str = (const char *)v->data + strs->sh_offset;
		const Elf64_Sym *syms = (const Elf64_Sym *)(v->data + s->sh_offset);
		size_t n = s->sh_size / sizeof(Elf64_Sym);

		for (size_t k = 1; k < n; k++) {
			const Elf64_Sym *e = &syms[k];
			unsigned bind = ELF64_ST_BIND(e->st_info), type = ELF64_ST_TYPE(e->st_info);
			struct fle_symbol sym = {
				.name = string_at(str, strs->sh_size, e->st_name),
				.member = v->member,
				.defined = e->st_shndx != SHN_UNDEF,
				.global = bind == STB_GLOBAL || bind == STB_WEAK,
				.function = type == STT_FUNC || type == STT_GNU_IFUNC,
				.object = type == STT_OBJECT || type == STT_TLS ||
					  (type == STT_NOTYPE && e->st_shndx == SHN_COMMON),
				.value = e->st_value,
				.size = e->st_size,
				.section = e->st_shndx < SHN_LORESERVE ? section_name(v, e->st_shndx)
								       : NULL,
			};
			if (!sym.name)
				return bad(v, "symbol name out of bounds");
			if (!*sym.name || type == STT_SECTION || type == STT_FILE)
				continue;
			int r = fn(ctx, &sym);
			if (r)
				return r;
		}
	}
	return 0;
}

struct ar_header {
	char name[16], date[12], uid[6], gid[6], mode[8], size[10], fmag[2];
};

/* What walk_archive does with each member. */
typedef int (*view_fn)(struct elf_view *v, void *fn, void *ctx);

static int view_symbols(struct elf_view *v, void *fn, void *ctx)
{
	return walk_view_symbols(v, SHT_SYMTAB, (fle_symbol_fn)fn, ctx);
}

static int walk_archive(const char *path, const struct mapped *m, view_fn walk, void *fn,
			void *ctx)
{
	const char *longnames = NULL;
	size_t longnames_size = 0;
	size_t off = SARMAG;

	while (off + sizeof(struct ar_header) <= m->size) {
		const struct ar_header *h = (const struct ar_header *)(m->data + off);
		char sizebuf[11], name[256];
		char *end;

		if (memcmp(h->fmag, "`\n", 2)) {
			fprintf(stderr, "%s: malformed archive member header at offset %zu\n", path,
				off);
			return -1;
		}
		memcpy(sizebuf, h->size, 10);
		sizebuf[10] = '\0';
		unsigned long long size = strtoull(sizebuf, &end, 10);
		off += sizeof(*h);
		if (!in_range(m->size, off, size)) {
			fprintf(stderr, "%s: truncated archive member at offset %zu\n", path, off);
			return -1;
		}

		/* GNU naming: "/" symbol index, "//" long names, "/N" long, "name/" short. */
		if (!memcmp(h->name, "// ", 3)) {
			longnames = (const char *)m->data + off;
			longnames_size = size;
		} else if (h->name[0] == '/' && h->name[1] >= '0' && h->name[1] <= '9') {
			unsigned long idx = strtoul(h->name + 1, NULL, 10);
			size_t k = 0;
			while (longnames && idx + k < longnames_size && k < sizeof(name) - 1 &&
			       longnames[idx + k] != '/' && longnames[idx + k] != '\n') {
				name[k] = longnames[idx + k];
				k++;
			}
			name[k] = '\0';
		} else if (h->name[0] != '/') {
			size_t k = 0;
			while (k < 16 && h->name[k] != '/' && h->name[k] != ' ')
				k++;
			memcpy(name, h->name, k);
			name[k] = '\0';
		}
		if (h->name[0] != '/' || (h->name[1] >= '0' && h->name[1] <= '9')) {
			struct elf_view v = {
				.path = path, .member = name, .data = m->data + off, .size = size};
			/* ar aligns members on 2 bytes only; the ELF structures need 8. */
			unsigned char *copy = NULL;
			if ((uintptr_t)v.data % 8) {
				copy = malloc(size ? size : 1);
				if (!copy) {
					fprintf(stderr, "%s: out of memory\n", path);
					return -1;
				}
				memcpy(copy, v.data, size);
				v.data = copy;
			}
			int r = walk(&v, fn, ctx);
			free(copy);
			if (r)
				return r;
		}
		off += size + (size & 1);
	}
	return 0;
}

bool fle_is_archive(const char *path)
{
	char buf[SARMAG];
	FILE *f = fopen(path, "rb");
	bool yes = f && fread(buf, 1, SARMAG, f) == SARMAG && !memcmp(buf, ARMAG, SARMAG);
	if (f)
		fclose(f);
	return yes;
}

int fle_symbols(const char *path, fle_symbol_fn fn, void *ctx)
{
	struct mapped m;
	int r;

	if (map_file(path, &m))
		return -1;
	if (m.size >= SARMAG && !memcmp(m.data, ARMAG, SARMAG)) {
		r = walk_archive(path, &m, view_symbols, (void *)fn, ctx);
	} else if (m.size >= 8 && !memcmp(m.data, "!<thin>\n", 8)) {
		fprintf(stderr, "%s: thin archives are not supported; create it without 'T'\n",
			path);
		r = -1;
	} else {
		struct elf_view v = {.path = path, .data = m.data, .size = m.size};
		r = open_view(&v);
		if (!r)
			r = walk_view_symbols(&v, v.eh->e_type == ET_DYN ? SHT_DYNSYM : SHT_SYMTAB,
					      fn, ctx);
	}
	unmap_file(&m);
	return r;
}

int fle_image_symbols(const char *path, fle_symbol_fn fn, void *ctx)
{
	struct mapped m;
	int r;

	if (map_file(path, &m))
		return -1;
	struct elf_view v = {.path = path, .data = m.data, .size = m.size};
	r = walk_view_symbols(&v, SHT_SYMTAB, fn, ctx);
	unmap_file(&m);
	return r;
}

static int view_relocations(struct elf_view *v, void *fnp, void *ctx)
{
	fle_reloc_fn fn = (fle_reloc_fn)fnp;

	if (open_view(v))
		return -1;
	if (v->eh->e_type != ET_REL)
		return 0;
	for (size_t i = 0; i < v->eh->e_shnum; i++) {
		const Elf64_Shdr *s = &v->sh[i];
		if (s->sh_type != SHT_RELA)
			continue;
		if (s->sh_link >= v->eh->e_shnum || s->sh_entsize != sizeof(Elf64_Rela) ||
		    !table_at(v->size, s->sh_offset, s->sh_size))
			return bad(v, "malformed relocation section");
		const Elf64_Shdr *symtab = &v->sh[s->sh_link];
		if (symtab->sh_type != SHT_SYMTAB || symtab->sh_link >= v->eh->e_shnum ||
		    symtab->sh_entsize != sizeof(Elf64_Sym) ||
		    !table_at(v->size, symtab->sh_offset, symtab->sh_size))
			return bad(v, "malformed symbol table");
		const Elf64_Shdr *strs = &v->sh[symtab->sh_link];
		if (!in_range(v->size, strs->sh_offset, strs->sh_size))
			return bad(v, "malformed string table");
		const char *str = (const char *)v->data + strs->sh_offset;
		const Elf64_Sym *syms = (const Elf64_Sym *)(v->data + symtab->sh_offset);
		size_t nsyms = symtab->sh_size / sizeof(Elf64_Sym);
		const Elf64_Rela *rel = (const Elf64_Rela *)(v->data + s->sh_offset);
		size_t n = s->sh_size / sizeof(Elf64_Rela);

		for (size_t k = 0; k < n; k++) {
			size_t si = ELF64_R_SYM(rel[k].r_info);
			if (si == 0)
				continue;
			if (si >= nsyms)
				return bad(v, "relocation symbol out of bounds");
			const Elf64_Sym *e = &syms[si];
			unsigned type = ELF64_ST_TYPE(e->st_info);
			if (type == STT_SECTION || type == STT_FILE)
				continue;
			struct fle_reloc r = {
				.symbol = string_at(str, strs->sh_size, e->st_name),
				.member = v->member,
				.undefined = e->st_shndx == SHN_UNDEF,
				.type = (uint32_t)ELF64_R_TYPE(rel[k].r_info),
			};
			if (!r.symbol)
				return bad(v, "symbol name out of bounds");
			if (!*r.symbol)
				continue;
			int ret = fn(ctx, &r);
			if (ret)
				return ret;
		}
	}
	return 0;
}

int fle_relocations(const char *path, fle_reloc_fn fn, void *ctx)
{
	struct mapped m;
	int r;

	if (map_file(path, &m))
		return -1;
	if (m.size >= SARMAG && !memcmp(m.data, ARMAG, SARMAG)) {
		r = walk_archive(path, &m, view_relocations, (void *)fn, ctx);
	} else {
		struct elf_view v = {.path = path, .data = m.data, .size = m.size};
		r = view_relocations(&v, (void *)fn, ctx);
	}
	unmap_file(&m);
	return r;
}

static int view_sections(struct elf_view *v, fle_section_fn fn, void *ctx)
{
	int r = open_view(v);

	for (size_t i = 1; !r && i < v->eh->e_shnum; i++) {
		struct fle_section s = {
			.name = section_name(v, i),
			.addr = v->sh[i].sh_addr,
			.size = v->sh[i].sh_size,
			.offset = v->sh[i].sh_offset,
			.type = v->sh[i].sh_type,
			.flags = v->sh[i].sh_flags,
			.data = v->sh[i].sh_type != SHT_NOBITS &&
					in_range(v->size, v->sh[i].sh_offset, v->sh[i].sh_size)
					? v->data + v->sh[i].sh_offset
					: NULL,
		};
		if (!s.name)
			return bad(v, "section name out of bounds");
		r = fn(ctx, &s);
	}
	return r;
}

int fle_sections(const char *path, fle_section_fn fn, void *ctx)
{
	struct mapped m;
	int r;

	if (map_file(path, &m))
		return -1;
	struct elf_view v = {.path = path, .data = m.data, .size = m.size};
	r = view_sections(&v, fn, ctx);
	unmap_file(&m);
	return r;
}

static int view_object(struct elf_view *v, void *fn, void *ctx)
{
	if (open_view(v))
		return -1;
	return ((fle_object_fn)fn)(ctx, v->member, (struct fle_object *)v);
}

int fle_objects(const char *path, fle_object_fn fn, void *ctx)
{
	struct mapped m;
	int r;

	if (map_file(path, &m))
		return -1;
	if (m.size >= SARMAG && !memcmp(m.data, ARMAG, SARMAG)) {
		r = walk_archive(path, &m, view_object, (void *)fn, ctx);
	} else {
		struct elf_view v = {.path = path, .data = m.data, .size = m.size};
		r = view_object(&v, (void *)fn, ctx);
	}
	unmap_file(&m);
	return r;
}

int fle_object_symbols(struct fle_object *obj, fle_symbol_fn fn, void *ctx)
{
	struct elf_view *v = (struct elf_view *)obj;
	return walk_view_symbols(v, v->eh->e_type == ET_DYN ? SHT_DYNSYM : SHT_SYMTAB, fn, ctx);
}

int fle_object_sections(struct fle_object *obj, fle_section_fn fn, void *ctx)
{
	return view_sections((struct elf_view *)obj, fn, ctx);
}
