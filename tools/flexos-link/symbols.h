/*
 * This file is private to flexos-link: the symbol table of fault reports
 * (the format is in <flexos/symbols.h>).
 */
#ifndef FLEXOS_LINK_SYMBOLS_H
#define FLEXOS_LINK_SYMBOLS_H

/*
 * Reads the functions of image's .symtab and the line table of its DWARF
 * (when it has any), writes them to a file in dir and adds that file to
 * image as a section that is not loaded, with objcopy. An image without a
 * .symtab (linked with -s) gets no table. Returns 0, or -1 after a
 * message naming what failed.
 */
int flx_add_symbols(const char *image, const char *dir);

#endif
