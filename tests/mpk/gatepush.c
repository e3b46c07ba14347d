/*
 * attack --gate-push private|carry (limit 2 of docs/threat-model.md; found
 * by an audit): the private-stack gate saves the caller's callee-saved
 * registers (and, on its carry path, the sret pointer and the carry) on
 * the caller's stack. lib1 jumps to the gate, for lib2_add, with its stack
 * pointer in its own gate page (gate key: every compartment reads it,
 * none writes it), over sp[] slots no compartment of the image uses, and
 * marks in its callee-saved registers. The gate pushes them with lib1's
 * PKRU, before it opens the page: a protection-key fault at the first
 * push, the report (123). Before, it pushed them after opening the page,
 * and so wrote lib1's values into the gate page (here the fault came
 * later, on the way back, with lib1's PKRU: another address); with CUR
 * among them, a caller's id of lib1's choosing, the way back took that
 * compartment's PKRU.
 */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include <flexos/flexos.h>

#include "../../backends/mpk/mpk.h"
#include "attacklib.h"
#include "evil.h"
#include "gatepush.h"

/* What lib1 is told: shared, since it reads it with its own PKRU. */
static struct {
	const char *gate;
	unsigned long r10;
	void *r11;
} gp FLEXOS_SHARED;

/* Run by lib1 (lib1_call: cb(x + 1) + 1); never returns. */
static long push_in_lib1(long x)
{
	/* sp[14]: the pushes land on sp[8..13], slots no compartment here uses. */
	uintptr_t sp = (uintptr_t)flexos__mpk_thread.gp + MPK_G_SP + 8 * 14;
	register unsigned long r10 __asm__("r10") = gp.r10;
	register void *r11 __asm__("r11") = gp.r11;

	(void)x;
	__asm__ volatile("movq $0x7070707070707070, %%rbx\n\t"
			 "movq %%rbx, %%rbp\n\t"
			 "movq %%rbx, %%r12\n\t"
			 "movq %%rbx, %%r13\n\t"
			 "movq %%rbx, %%r14\n\t"
			 "movq %%rbx, %%r15\n\t"
			 "movq %[sp], %%rsp\n\t"
			 "jmp *%[gate]"
			 :
			 : "r"(r10), "r"(r11), [sp] "r"(sp), [gate] "r"(gp.gate)
			 : "rbx", "r12", "r13", "r14", "r15", "memory");
	__builtin_unreachable();
}

int gate_push(const char *gate, unsigned long r10, void *r11)
{
	long r = 0;

	gp.gate = gate;
	gp.r10 = r10;
	gp.r11 = r11;
	printf("gate-push: lib1 jumps to the gate with its stack pointer in its gate page; the "
	       "gate's first push would write %#lx\n",
	       (unsigned long)((uintptr_t)flexos__mpk_thread.gp + MPK_G_SP + 8 * 13));
	fflush(stdout);
	flexos_gate_r(lib1, r, lib1_call, push_in_lib1, 0);
	printf("gate-push: lib1 came back (%ld): FAIL\n", r);
	return 1;
}

/*
 * attack --shared-back (found by an audit): the shared-stack gate's way
 * back returns through the stack pointer it is given, with its caller's
 * PKRU, since with shared stacks every stack is everyone's (limit 11).
 * In this image (private stacks), app calls lib1, and lib1 jumps to that
 * way back with its stack pointer in shared memory full of the address of
 * code of its choosing: the gate refuses to run in an image with private
 * stacks (134). Before, the way back took app off the page's list of
 * callers and returned to lib1's choice with app's PKRU.
 */
extern char flexos__mpk_gate_shared_reopen_checked[];

static struct {
	uintptr_t words[64];
	uintptr_t secret;
	uint32_t app_pkru;
} sb FLEXOS_SHARED;

static void sb_evil(void)
{
	evil_ran("shared-back", sb.secret, sb.app_pkru);
}

/* Run by lib1 (lib1_call: cb(x + 1) + 1); never returns. */
static long back_in_lib1(long x)
{
	(void)x;
	for (int i = 0; i < 64; i++)
		sb.words[i] = (uintptr_t)sb_evil;
	__asm__ volatile("movq %0, %%rsp\n\t"
			 "pxor %%xmm12, %%xmm12\n\t"
			 "jmp *%1"
			 :
			 : "r"(&sb.words[32]),
			   "r"((uintptr_t)flexos__mpk_gate_shared_reopen_checked -
			       14) /* OPEN_GATE: xorl, RDPKRU, andl, WRPKRU */
			 : "memory");
	__builtin_unreachable();
}

int shared_back(uintptr_t app_secret)
{
	long r = 0;

	sb.secret = app_secret;
	sb.app_pkru = flexos__mpk_rdpkru();
	printf("shared-back: lib1 jumps to the shared-stack gate's way back\n");
	fflush(stdout);
	flexos_gate_r(lib1, r, lib1_call, back_in_lib1, 0);
	printf("shared-back: lib1 came back (%ld): FAIL\n", r);
	return 1;
}
