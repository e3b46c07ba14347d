/*
 * attack --report-stack (limit 12 of docs/threat-model.md): the fault
 * report walks the faulting thread's stack with a PKRU that reads every
 * compartment's memory, and the stack is the faulting compartment's to
 * write. lib1 writes it, then reads app's data:
 *   wild  its return address becomes 0x10, which the unwinder reads as
 *         code (no unwind information there): the report's own read
 *         faults. The image must still end with the report's status
 *         (123) and say why the backtrace stopped; before, the nested
 *         fault killed it (139) with the report cut short.
 *   leak  its frame's unwind rule takes the return address from a word
 *         of app's private data (app_word): the report must not print
 *         that word; before, the backtrace printed it as a frame.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <flexos/flexos.h>

#include "attacklib.h"
#include "reportstack.h"

/* rs_wild(addr): read addr with the return address 0x10; never returns. */
/* rs_leak(addr, word): read addr with the return address taken from *word. */
void rs_wild(uintptr_t addr);
void rs_leak(uintptr_t addr, uintptr_t word);
__asm__(".text\n"
	".globl rs_wild\n"
	".type rs_wild, @function\n"
	"rs_wild:\n"
	".cfi_startproc\n"
	"	movq $0x10, (%rsp)\n"
	"	movl (%rdi), %eax\n"
	"	ud2\n"
	".cfi_endproc\n"
	".size rs_wild, .-rs_wild\n"
	".globl rs_leak\n"
	".type rs_leak, @function\n"
	"rs_leak:\n"
	".cfi_startproc\n"
	"	movq %rsi, %rbx\n"
	".cfi_def_cfa %rbx, 8\n"
	"	movl (%rdi), %eax\n"
	"	ud2\n"
	".cfi_endproc\n"
	".size rs_leak, .-rs_leak\n");

/* What lib1 is told (shared: lib1 reads it with its own PKRU). */
static struct {
	int leak;
	uintptr_t data, word;
} rs FLEXOS_SHARED;

/* Run by lib1 (lib1_call, a plain call with lib1's PKRU); never returns. */
static long corrupt_in_lib1(long x)
{
	(void)x;
	if (rs.leak)
		rs_leak(rs.data, rs.word);
	else
		rs_wild(rs.data);
	return 0;
}

int report_stack(const char *how, uintptr_t app_data, uintptr_t app_word)
{
	long r = 0;

	if (strcmp(how, "wild") && strcmp(how, "leak"))
		return 2;
	rs.leak = !strcmp(how, "leak");
	rs.data = app_data;
	rs.word = app_word;
	printf("report-stack: lib1 corrupts its stack (%s) and reads app's data; app's word is "
	       "%#lx\n",
	       how, (unsigned long)*(uintptr_t *)app_word);
	fflush(stdout);
	/* lib1_call(x): cb(x + 1) + 1 */
	flexos_gate_r(lib1, r, lib1_call, corrupt_in_lib1, 0);
	printf("report-stack: lib1 returned %ld: FAIL\n", r);
	return 1;
}
