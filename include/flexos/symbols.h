/*
 * FlexOS for Linux: the symbol table flexos-link adds to an image, so that
 * fault reports name functions and source lines without reading DWARF at
 * report time.
 *
 * This header should only be used by flexos-link and the runtime.
 *
 * After the final link, flexos-link reads the image's .symtab and DWARF
 * line table and appends a section FLEXOS_SYMBOLS_SECTION (not allocated:
 * no address of the image moves, and it is not loaded) holding a
 * struct flexos_symbols_header, then nfuncs struct flexos_symbol sorted by
 * address, then nlines struct flexos_line sorted by address, then strsize
 * bytes of NUL-terminated strings that name and file index. Addresses are
 * the image's link-time addresses (subtract the load bias from a pc).
 * Little-endian, as the image.
 */
#ifndef FLEXOS_SYMBOLS_H
#define FLEXOS_SYMBOLS_H

#include <stdint.h>

/* Not ".flexos.*": those names are the compartments' sections. */
#define FLEXOS_SYMBOLS_SECTION ".flexos-symbols"
/* "FLXSYMS" and the version of this layout. */
#define FLEXOS_SYMBOLS_MAGIC 0x01534d5953584c46ULL

struct flexos_symbols_header {
	uint64_t magic;
	uint32_t nfuncs;
	uint32_t nlines;
	uint32_t strsize;
	uint32_t reserved;
};

/* A function: [addr, addr + size) is its code, name an offset in the strings. */
struct flexos_symbol {
	uint32_t addr;
	uint32_t size;
	uint32_t name;
};

/*
 * The code from addr up to the next entry's addr comes from line `line`
 * of the file whose name is at offset file in the strings; line 0 is code
 * with no line (the end of a sequence, or a gap).
 */
struct flexos_line {
	uint32_t addr;
	uint32_t file;
	uint32_t line;
};

#endif
