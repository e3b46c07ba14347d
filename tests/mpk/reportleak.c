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
#include "leakrules.h"
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

/* Run by lib1 (lib1_call: cb(x + 1) + 1); never returns. */
static long leak_in_lib1(long x)
{
	const struct leak_range r[] = {{(uintptr_t)rl_fault, (uintptr_t)rl_fault_end},
				       {rl.libc_lo + 0x100000, rl.libc_lo + 0x110002}};

	(void)x;
	leak_rules(rl.eh, r, 2, rl.secret, rl.libc_lo + 0x100000);
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
	leak_offsets("report-leak", word, "libc.so.6", rl.libc_lo + 0x100000, rl.libc_base);
	flexos_gate_r(lib1, r, lib1_call, leak_in_lib1, 0);
	printf("report-leak: lib1 returned %ld: FAIL\n", r);
	return 1;
}
