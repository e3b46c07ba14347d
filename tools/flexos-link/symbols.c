/*
 * The symbol table of fault reports: a fault handler cannot parse DWARF
 * (it may not allocate, and a compartment's filter may deny open), so the
 * functions and lines it needs are prepared here, once, in a sorted
 * table that the runtime maps at start-up and searches by bisection.
 */
#include "autoconfig.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <flexos/symbols.h>

#include "symbols.h"
#include "util.h"

struct table {
	struct flexos_symbol *funcs;
	size_t nfuncs, capfuncs;
	struct flexos_line *lines;
	size_t nlines, caplines;
	char *str;
	size_t strsize, capstr;
	struct strmap strings; /* offset + 1 of each string */
	/* Per function: how much its name is preferred among aliases (add_func). */
	unsigned char *global;
};

static uint32_t intern(struct table *t, const char *s)
{
	size_t off = strmap_get(&t->strings, s);
	if (off)
		return (uint32_t)(off - 1);
	size_t len = strlen(s) + 1;
	if (t->strsize + len > t->capstr) {
		t->capstr = (t->strsize + len) * 2;
		t->str = xrealloc(t->str, t->capstr);
	}
	memcpy(t->str + t->strsize, s, len);
	strmap_put(&t->strings, s, t->strsize + 1);
	t->strsize += len;
	return (uint32_t)(t->strsize - len);
}

static void add_func(struct table *t, uint64_t addr, uint64_t size, const char *name, int global)
{
	if (t->nfuncs == t->capfuncs) {
		t->capfuncs = t->capfuncs ? t->capfuncs * 2 : 256;
		t->funcs = xrealloc(t->funcs, t->capfuncs * sizeof(*t->funcs));
		t->global = xrealloc(t->global, t->capfuncs);
	}
	/*
	 * Among aliases the report shows the name the source gave: not
	 * flexos-link's (a callback's __flexos_cbfn__ alias of a static
	 * function), then a global one rather than a local.
	 */
	t->global[t->nfuncs] =
	    (unsigned char)((strncmp(name, "__flexos_", 9) ? 2 : 0) + (global ? 1 : 0));
	t->funcs[t->nfuncs++] =
	    (struct flexos_symbol){(uint32_t)addr, (uint32_t)size, intern(t, name)};
}

static void add_line(struct table *t, uint64_t addr, const char *file, int line)
{
	if (t->nlines == t->caplines) {
		t->caplines = t->caplines ? t->caplines * 2 : 1024;
		t->lines = xrealloc(t->lines, t->caplines * sizeof(*t->lines));
	}
	t->lines[t->nlines++] =
	    (struct flexos_line){(uint32_t)addr, file ? intern(t, file) : 0, (uint32_t)line};
}

/* Function symbols with code, by address; sizes are what tells a gap from a function. */
static int read_functions(Elf *elf, struct table *t)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	int found = 0;

	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		found = 1;
		Elf_Data *d = elf_getdata(scn, NULL);
		size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
		for (size_t i = 0; d && i < n; i++) {
			GElf_Sym s;
			if (!gelf_getsym(d, (int)i, &s) || GELF_ST_TYPE(s.st_info) != STT_FUNC ||
			    s.st_shndx == SHN_UNDEF || !s.st_value)
				continue;
			const char *name = elf_strptr(elf, sh.sh_link, s.st_name);
			if (!name || !*name)
				continue;
			/* The table's 32-bit addresses cover every image a default link makes. */
			if (s.st_value > UINT32_MAX || s.st_size > UINT32_MAX)
				continue;
			add_func(t, s.st_value, s.st_size, name,
				 GELF_ST_BIND(s.st_info) != STB_LOCAL);
		}
	}
	return found ? 0 : 1;
}

/* A header of the C library or the compiler, whose inlined code a report should not name. */
static bool system_header(const char *file)
{
	return !strncmp(file, "/usr/include/", 13) || !strncmp(file, "/usr/lib/gcc/", 13) ||
	       !strncmp(file, "/usr/local/include/", 19);
}

/* Code inlined from a system header, and the line of the source that called it. */
struct call_site {
	uint64_t lo, hi;
	const char *file;
	int line;
};

struct call_sites {
	struct call_site *v;
	size_t n, cap;
};

/*
 * Every inlined subroutine of die's subtree that is called from a file
 * other than a system header: deeper ones come later, so the last range
 * that covers an address is its innermost such call.
 */
static void collect_calls(Dwarf_Die *die, Dwarf_Files *files, size_t nfiles, struct call_sites *cs,
			  int depth)
{
	Dwarf_Die child;

	if (depth > 64 || dwarf_child(die, &child) != 0)
		return;
	do {
		int tag = dwarf_tag(&child);
		if (tag == DW_TAG_inlined_subroutine) {
			Dwarf_Attribute a;
			Dwarf_Word fidx = 0, line = 0;
			const char *file = NULL;
			if (dwarf_attr(&child, DW_AT_call_file, &a) &&
			    !dwarf_formudata(&a, &fidx) && fidx < nfiles &&
			    dwarf_attr(&child, DW_AT_call_line, &a) &&
			    !dwarf_formudata(&a, &line) && line > 0)
				file = dwarf_filesrc(files, fidx, NULL, NULL);
			if (file && !system_header(file)) {
				Dwarf_Addr base, lo, hi;
				ptrdiff_t off = 0;
				while ((off = dwarf_ranges(&child, off, &base, &lo, &hi)) > 0) {
					if (cs->n == cs->cap) {
						cs->cap = cs->cap ? cs->cap * 2 : 64;
						cs->v = xrealloc(cs->v, cs->cap * sizeof(*cs->v));
					}
					cs->v[cs->n++] =
					    (struct call_site){lo, hi, file, (int)line};
				}
			}
		}
		if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
		    tag == DW_TAG_lexical_block)
			collect_calls(&child, files, nfiles, cs, depth + 1);
	} while (dwarf_siblingof(&child, &child) == 0);
}

/* The innermost call from a source file that covers a, or NULL. */
static const struct call_site *call_at(const struct call_sites *cs, uint64_t a)
{
	for (size_t i = cs->n; i-- > 0;)
		if (a >= cs->v[i].lo && a < cs->v[i].hi)
			return &cs->v[i];
	return NULL;
}

/*
 * The line table of every compilation unit; files by their last path
 * component, which is what a report line has room for. Code inlined
 * from a system header (glibc's fortify wrappers, say) is given the
 * line of the source that called it, as addr2line's outer frame would
 * show: a report names the caller's line, not string_fortified.h's.
 */
static void read_lines(Elf *elf, struct table *t)
{
	Dwarf *dw = dwarf_begin_elf(elf, DWARF_C_READ, NULL);
	Dwarf_Off off = 0, next;
	size_t hsize;
	struct call_sites cs = {0};

	if (!dw)
		return;
	while (dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu;
		Dwarf_Lines *lines;
		Dwarf_Files *files;
		size_t n, nfiles;
		cs.n = 0;
		if (dwarf_offdie(dw, off + hsize, &cu) && dwarf_getsrclines(&cu, &lines, &n) == 0) {
			if (dwarf_getsrcfiles(&cu, &files, &nfiles) == 0)
				collect_calls(&cu, files, nfiles, &cs, 0);
			for (size_t i = 0; i < n; i++) {
				Dwarf_Line *l = dwarf_onesrcline(lines, i);
				Dwarf_Addr a;
				int lineno = 0;
				bool end = false;
				if (!l || dwarf_lineaddr(l, &a) || a > UINT32_MAX || a == 0)
					continue;
				dwarf_lineendsequence(l, &end);
				dwarf_lineno(l, &lineno);
				const char *file = dwarf_linesrc(l, NULL, NULL);
				if (end || !file || lineno <= 0) {
					add_line(t, a, NULL, 0);
					continue;
				}
				const struct call_site *c =
				    system_header(file) ? call_at(&cs, a) : NULL;
				if (c) {
					file = c->file;
					lineno = c->line;
				}
				const char *base = strrchr(file, '/');
				add_line(t, a, base ? base + 1 : file, lineno);
			}
		}
		off = next;
	}
	free(cs.v);
	dwarf_end(dw);
}

static int cmp_func(const void *a, const void *b)
{
	const struct flexos_symbol *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Sorted by address; at one address an end of sequence comes first, so the code after it wins. */
static int cmp_line(const void *a, const void *b)
{
	const struct flexos_line *x = a, *y = b;
	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return (x->line != 0) - (y->line != 0);
}

/*
 * One function per address (the preferred name among aliases; any
 * one of equals), and lines only where they change: the table stays small.
 */
static void compact(struct table *t)
{
	size_t n = 0;

	/* Sorted with its entry, the global flag picks among aliases. */
	struct {
		struct flexos_symbol s;
		unsigned char g;
	} *tmp = xcalloc(t->nfuncs ? t->nfuncs : 1, sizeof(*tmp));
	for (size_t i = 0; i < t->nfuncs; i++)
		tmp[i].s = t->funcs[i], tmp[i].g = t->global[i];
	qsort(tmp, t->nfuncs, sizeof(*tmp), cmp_func);
	for (size_t i = 0; i < t->nfuncs; i++) {
		if (n && t->funcs[n - 1].addr == tmp[i].s.addr) {
			if (tmp[i].g > t->global[n - 1]) {
				t->funcs[n - 1] = tmp[i].s;
				t->global[n - 1] = tmp[i].g;
			}
			continue;
		}
		t->funcs[n] = tmp[i].s;
		t->global[n++] = tmp[i].g;
	}
	t->nfuncs = n;
	free(tmp);

	qsort(t->lines, t->nlines, sizeof(*t->lines), cmp_line);
	n = 0;
	for (size_t i = 0; i < t->nlines; i++) {
		struct flexos_line *l = &t->lines[i];
		if (n && t->lines[n - 1].addr == l->addr) {
			t->lines[n - 1] = *l;
			continue;
		}
		if (n && t->lines[n - 1].file == l->file && t->lines[n - 1].line == l->line)
			continue;
		t->lines[n++] = *l;
	}
	t->nlines = n;
}

static int write_table(const char *path, const struct table *t)
{
	struct flexos_symbols_header h = {
	    .magic = FLEXOS_SYMBOLS_MAGIC,
	    .nfuncs = (uint32_t)t->nfuncs,
	    .nlines = (uint32_t)t->nlines,
	    .strsize = (uint32_t)t->strsize,
	};
	FILE *f = fopen(path, "wb");

	if (!f)
		return -1;
	fwrite(&h, sizeof(h), 1, f);
	fwrite(t->funcs, sizeof(*t->funcs), t->nfuncs, f);
	fwrite(t->lines, sizeof(*t->lines), t->nlines, f);
	fwrite(t->str, 1, t->strsize, f);
	return fclose(f) ? -1 : 0;
}

static void free_table(struct table *t)
{
	free(t->funcs);
	free(t->global);
	free(t->lines);
	free(t->str);
	strmap_free(&t->strings);
}

int flx_add_symbols(const char *image, const char *dir)
{
	struct table t = {0};
	int fd = open(image, O_RDONLY | O_CLOEXEC), status = -1;
	Elf *elf = NULL;

	if (fd < 0) {
		fprintf(stderr, "flexos-link: cannot read %s: %s\n", image, strerror(errno));
		return -1;
	}
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	/* Offset 0 is the empty string: a line without a file. */
	intern(&t, "");
	int r = elf ? read_functions(elf, &t) : -1;
	if (r < 0) {
		fprintf(stderr,
			"flexos-link: %s: cannot read its symbol table for fault "
			"reports (a broken ELF file?)\n",
			image);
		goto out;
	}
	if (r > 0) { /* Stripped: reports fall back to offsets. */
		status = 0;
		goto out;
	}
	read_lines(elf, &t);
	compact(&t);
	elf_end(elf);
	elf = NULL;
	close(fd);
	fd = -1;

	char *blob = xasprintf("%s/flexos-symbols.bin", dir);
	char *section = xasprintf(FLEXOS_SYMBOLS_SECTION "=%s", blob);
	char *args[] = {(char *)tool_from_env("OBJCOPY", "objcopy"),
			"--add-section",
			section,
			"--set-section-flags",
			FLEXOS_SYMBOLS_SECTION "=readonly",
			(char *)image,
			NULL};
	if (write_table(blob, &t)) {
		fprintf(stderr, "flexos-link: cannot write %s: %s\n", blob, strerror(errno));
	} else {
		int st = run_program(args);
		if (st)
			fprintf(stderr,
				"flexos-link: %s could not add the symbol table to %s%s%s\n",
				args[0], image, st < 0 ? ": " : " (see its message above)",
				st < 0 ? strerror(errno) : "");
		status = st ? -1 : 0;
	}
	unlink(blob);
	free(section);
	free(blob);
out:
	if (elf)
		elf_end(elf);
	if (fd >= 0)
		close(fd);
	free_table(&t);
	return status;
}
