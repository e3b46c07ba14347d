/*
 * Unwind rules that leak a word through the fault report's backtrace, for
 * the attack tests that hand them to the report's unwinder in two ways:
 * registered with it (reportleak.c), or through a shared library's forged
 * table (hdrforge.c).
 */
#include <stdio.h>
#include <string.h>

#include "leakrules.h"

static unsigned char *put8(unsigned char *p, uint64_t v)
{
	memcpy(p, &v, 8);
	return p + 8;
}

static unsigned char *put4(unsigned char *p, uint32_t v)
{
	memcpy(p, &v, 4);
	return p + 4;
}

/* An FDE for [lo, hi): rip = code + 1 + ((*secret >> 16 * rbx) & 0xffff); rbx += 1. */
static unsigned char *fde(unsigned char *p, const unsigned char *cie, struct leak_range r,
			  uintptr_t secret, uintptr_t code)
{
	unsigned char *len = p, *elen, *q;

	p = put4(p + 4, (uint32_t)(p + 4 - cie));
	p = put8(p, r.lo);
	p = put8(p, r.hi - r.lo);
	*p++ = 0;               /* augmentation data: none */
	*p++ = 0x16, *p++ = 16; /* DW_CFA_val_expression rip */
	elen = p++, q = p;
	*p++ = 0x0e; /* DW_OP_const8u: the word's address */
	p = put8(p, secret);
	*p++ = 0x06;                           /* DW_OP_deref: the word */
	*p++ = 0x73, *p++ = 0;                 /* DW_OP_breg3 0: rbx */
	*p++ = 0x34, *p++ = 0x24;              /* DW_OP_lit4, DW_OP_shl */
	*p++ = 0x25;                           /* DW_OP_shr */
	*p++ = 0x0a, *p++ = 0xff, *p++ = 0xff; /* DW_OP_const2u 0xffff */
	*p++ = 0x1a;                           /* DW_OP_and */
	*p++ = 0x0e;                           /* DW_OP_const8u */
	p = put8(p, code + 1);
	*p++ = 0x22; /* DW_OP_plus */
	*elen = (unsigned char)(p - q);
	*p++ = 0x16, *p++ = 3, *p++ = 2, *p++ = 0x73, *p++ = 1; /* rbx = rbx + 1 */
	while ((p - len) % 8)
		*p++ = 0; /* DW_CFA_nop */
	put4(len, (uint32_t)(p - len - 4));
	return p;
}

unsigned char *leak_rules(unsigned char *p, const struct leak_range *r, size_t n, uintptr_t secret,
			  uintptr_t code)
{
	unsigned char *cie = p;

	p = put4(p + 4, 0); /* a CIE: version 1, "zR", absolute pointers, CFA rsp + 16 */
	*p++ = 1, *p++ = 'z', *p++ = 'R', *p++ = 0, *p++ = 1, *p++ = 0x78, *p++ = 16;
	*p++ = 1, *p++ = 0x00, *p++ = 0x0c, *p++ = 7, *p++ = 16;
	while ((p - cie) % 8)
		*p++ = 0;
	put4(cie, (uint32_t)(p - cie - 4));
	for (size_t i = 0; i < n; i++)
		p = fde(p, cie, r[i], secret, code);
	put4(p, 0);
	return p + 4;
}

void leak_offsets(const char *test, uint64_t word, const char *name, uintptr_t code, uintptr_t base)
{
	printf("%s: app's word %#lx would show in the report as", test, (unsigned long)word);
	for (int i = 0; i < 4; i++)
		printf(" %s+%#lx", name,
		       (unsigned long)(code - base + 1 + ((word >> 16 * i) & 0xffff)));
	printf("\n");
	fflush(stdout);
}
