/*
 * This file is private to flexos-link: just enough ELF to read the symbol
 * tables of objects, archives and shared libraries, and the section
 * headers of a linked image.
 */
#ifndef FLEXOS_LINK_ELF_H
#define FLEXOS_LINK_ELF_H

#include <stdbool.h>
#include <stdint.h>

struct fle_symbol {
	const char *name;
	const char *member; /* archive member name, or NULL */
	bool defined;
	bool global; /* global or weak */
	bool function;
	bool object;
	uint64_t value;
	uint64_t size;
	const char *section; /* name of the defining section, or NULL */
};

struct fle_section {
	const char *name;
	uint64_t addr;
	uint64_t size;
	uint64_t offset;
	uint32_t type;
	uint64_t flags;
	const unsigned char *data; /* the contents, or NULL (SHT_NOBITS, out of bounds) */
};

/*
 * Called once per symbol; a non-zero return stops the walk and is returned.
 * The strings in sym are valid only during the call.
 */
typedef int (*fle_symbol_fn)(void *ctx, const struct fle_symbol *sym);
typedef int (*fle_section_fn)(void *ctx, const struct fle_section *sec);

/*
 * Walks the symbols of an ELF64 x86-64 relocatable object, of every member
 * of an ar archive, or of a shared library's dynamic symbol table. Returns
 * what the callback returned, 0, or -1 after printing "path: problem" to
 * stderr (not ELF, truncated, unsupported).
 */
int fle_symbols(const char *path, fle_symbol_fn fn, void *ctx);

/*
 * Walks the full symbol table (.symtab) of a linked image, local and
 * hidden symbols included. Same return convention.
 */
int fle_image_symbols(const char *path, fle_symbol_fn fn, void *ctx);

/*
 * Walks the section headers of an ELF64 file, with each section's contents
 * (valid during the call only). Same return convention.
 */
int fle_sections(const char *path, fle_section_fn fn, void *ctx);

/* A relocation of a relocatable object, against a named symbol. */
struct fle_reloc {
	const char *symbol; /* the name of the symbol it refers to */
	const char *member; /* archive member name, or NULL */
	bool undefined;     /* the symbol is undefined in that object */
	uint32_t type;      /* R_X86_64_* */
};

typedef int (*fle_reloc_fn)(void *ctx, const struct fle_reloc *rel);

/*
 * Walks the relocations (SHT_RELA) of a relocatable object or of every
 * member of an ar archive that refer to a named, non-section symbol. A
 * shared library has none to report. Same return convention as
 * fle_symbols.
 */
int fle_relocations(const char *path, fle_reloc_fn fn, void *ctx);

/* One ELF file, or one member of an archive, during an fle_objects walk. */
struct fle_object;
typedef int (*fle_object_fn)(void *ctx, const char *member, struct fle_object *obj);

/*
 * Calls fn once for an ELF file, or once per member of an ar archive, with
 * the member's name (NULL for a file); obj is valid during the call only.
 * Same return convention as fle_symbols.
 */
int fle_objects(const char *path, fle_object_fn fn, void *ctx);

/* The symbols (.dynsym of a shared library) and the sections of obj. */
int fle_object_symbols(struct fle_object *obj, fle_symbol_fn fn, void *ctx);
int fle_object_sections(struct fle_object *obj, fle_section_fn fn, void *ctx);

/* Whether the file starts like an ar archive ("!<arch>\n"). */
bool fle_is_archive(const char *path);

#endif
