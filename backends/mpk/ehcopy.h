/*
 * This header is private to the intel-mpk backend: copies of unwind
 * tables for the fault report's unwinder (ehcopy.c).
 */
#ifndef FLEXOS_MPK_EHCOPY_H
#define FLEXOS_MPK_EHCOPY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A loaded object's unwind table, and its copy. */
struct flexos__eh_table {
	/* Set by the caller: the table's header, and the segment holding it. */
	unsigned char *hdr, *seg_lo, *seg_end;
	/* Set by flexos__eh_measure. */
	unsigned char *eh;      /* .eh_frame */
	unsigned char *lo, *hi; /* what is copied: the header and the records */
	unsigned char *eh_end;  /* the end of the records in it */
	uint8_t eh_enc;         /* how the header points at .eh_frame */
	uint32_t count;         /* the search table's entries (0: none) */
	size_t entries;         /* where they start, from the header */
	/* Set by flexos__eh_copy. */
	unsigned char *copy, *copy_end; /* the copy */
	unsigned char *copy_hdr;        /* its header: what _dl_find_object answers */
	int flat;                       /* it is flat */
	size_t flat_size;               /* then its size */
};

struct dl_phdr_info;

/*
 * Sets t's header and segment from a loaded object's program headers
 * (PT_GNU_EH_FRAME, and the PT_LOAD holding it), clearing the rest.
 * Returns 1, or 0 for an object without a table (t cleared; a table
 * outside every segment has no segment set, and is not measured).
 */
int flexos__eh_table_of(const struct dl_phdr_info *info, struct flexos__eh_table *t);

/*
 * Reads t's header and finds what a copy holds: the header and the
 * records of .eh_frame it names (with their CIEs), or without a search
 * table every record up to the section's end. Returns 0 or -EINVAL (a
 * table not laid out as GNU ld lays it out).
 */
int flexos__eh_measure(struct flexos__eh_table *t);

/* The bytes a copy of a measured table may take, alignment included. */
size_t flexos__eh_room(const struct flexos__eh_table *t);

/*
 * Writes a copy of the measured table t at at (flexos__eh_room bytes):
 * the table with its pointers moved, or (flat, or when the copy lies more
 * than 2 GiB from the table) a flat one, whose FDEs hold absolute
 * addresses and which has no search table. Returns 0, -ERANGE (too far,
 * and the table holds what a flat copy cannot), or -EINVAL.
 */
int flexos__eh_copy(struct flexos__eh_table *t, unsigned char *at, int flat);

#endif
