/*
 * libFuzzer harness for the copies of unwind tables the intel-mpk fault
 * report walks (backends/mpk/ehcopy.c). The input is a segment of a
 * loaded object: its first two bytes say where in it the .eh_frame_hdr
 * lies, the rest is the segment, in a buffer of its own size (so that
 * the address sanitizer sees any read outside it). What the copier owes
 * its caller: a table it measures lies inside the segment, and its
 * copies, moved and flat, stay inside the room it asked for.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ehcopy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c)                                                                            \
	do {                                                                                  \
		if (!(c)) {                                                                   \
			fprintf(stderr, "fuzz-ehcopy: %s failed at line %d\n", #c, __LINE__); \
			abort();                                                              \
		}                                                                             \
	} while (0)

static void copy(const struct flexos__eh_table *measured, int flat)
{
	struct flexos__eh_table t = *measured;
	size_t room = flexos__eh_room(&t);
	unsigned char *at = malloc(room);

	REQUIRE(at);
	if (!flexos__eh_copy(&t, at, flat)) {
		REQUIRE(t.copy >= at && t.copy_end <= at + room && t.copy <= t.copy_end);
		REQUIRE(t.copy_hdr >= t.copy && t.copy_hdr < t.copy_end);
		REQUIRE(!flat || t.flat);
	}
	free(at);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	size_t len = size - 2, hdr = ((size_t)data[0] | (size_t)data[1] << 8) % len;
	unsigned char *seg = malloc(len);
	struct flexos__eh_table t = {0};

	REQUIRE(seg);
	memcpy(seg, data + 2, len);
	t.hdr = seg + hdr;
	t.seg_lo = seg;
	t.seg_end = seg + len;
	if (!flexos__eh_measure(&t)) {
		REQUIRE(t.lo >= t.seg_lo && t.hi <= t.seg_end && t.lo < t.hi);
		REQUIRE(t.eh >= t.lo && t.eh_end <= t.hi);
		copy(&t, 0);
		copy(&t, 1);
	}
	free(seg);
	return 0;
}
