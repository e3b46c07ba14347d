/* Unwind rules that leak a word through the fault report's backtrace (tests/mpk/leakrules.c). */
#ifndef LEAKRULES_H
#define LEAKRULES_H

#include <stddef.h>
#include <stdint.h>

/* A code range [lo, hi) the rules cover. */
struct leak_range {
	uintptr_t lo, hi;
};

/*
 * At p (8-byte aligned, room for 64 + 64 * n bytes): an .eh_frame of a
 * CIE and one FDE per range, then its terminator. Each FDE computes the
 * caller's return address as code + 1 + ((*secret >> 16 * rbx) & 0xffff)
 * and adds 1 to rbx, so a walk that starts with rbx = 0 through frames
 * the rules cover prints secret's word 16 bits a frame, as offsets of
 * code. Returns the end.
 */
unsigned char *leak_rules(unsigned char *p, const struct leak_range *r, size_t n, uintptr_t secret,
			  uintptr_t code);

/* Prints the offsets (from base, after name) the report would show for word, starting at code. */
void leak_offsets(const char *test, uint64_t word, const char *name, uintptr_t code,
		  uintptr_t base);

#endif
