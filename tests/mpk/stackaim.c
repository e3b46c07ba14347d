/*
 * attack --stack-aim (limit 11 of docs/threat-model.md; an attack review's,
 * found by reading): with shared stacks the callee runs on its caller's
 * stack pointer, so a caller chooses where the callee's frames go. lib1
 * points its stack pointer just above lib2's .data page (key lib2), at the
 * image's .bss (key 0, which lib1 may write), and calls lib2_where through
 * the gate: the gate's call pushes its return address, and lib2_where
 * writes its local, into lib2's .data, with lib2's rights (attack-shared:
 * status 1, a known limit). With private stacks (attack) the gate's
 * first push, made with lib1's rights, faults on lib2's .data: the report
 * (123); lib2 runs on its own stack.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <flexos/flexos.h>

#include "attacklib.h"
#include "stackaim.h"

/* What lib1 is told and tells back: shared, it reads and writes it with its own PKRU. */
static struct {
	uintptr_t top; /* the end of lib2's .data page */
	uintptr_t saved[2];
	long local; /* where lib2_where's local went */
} sa FLEXOS_SHARED;

/*
 * lib2_where(KIND_STACK) through the gate, with %rsp = sp at the call:
 * the gate is entered with its return address at sp - 8.
 */
__attribute__((naked, noinline)) static long where_at(uintptr_t sp)
{
	__asm__("pushq	%rbp\n\t"
		"movq	%rsp, %rbp\n\t"
		"movq	%rdi, %rsp\n\t"
		"movl	$3, %edi\n\t" /* KIND_STACK */
		"call	__flexos_gate__lib2__lib2_where\n\t"
		"movq	%rbp, %rsp\n\t"
		"popq	%rbp\n\t"
		"ret");
}

/* Run by lib1 (lib1_call: cb(x + 1) + 1). */
static long aim_in_lib1(long x)
{
	volatile uintptr_t *above = (volatile uintptr_t *)sa.top;

	(void)x;
	/* The two key-0 words above lib2's page, which the gate's way writes too: kept. */
	sa.saved[0] = above[0];
	sa.saved[1] = above[1];
	/*
	 * The gate's return address at top + 8: its entry's flags at top,
	 * the return address of its call of lib2_where at top - 8, and
	 * lib2_where's frame below, all inside lib2's page.
	 */
	sa.local = where_at(sa.top + 16);
	above[0] = sa.saved[0];
	above[1] = sa.saved[1];
	return 0;
}

int stack_aim(void)
{
	long r = 0, before = 0, after = 0, local = 0;
	uintptr_t data = 0;

	flexos_gate_r(lib2, data, lib2_where, KIND_DATA);
	sa.top = (data | 4095) + 1;
	flexos_gate_r(lib2, before, lib2_probe, sa.top - 8, 0);
	printf("stack-aim: lib1 calls lib2_where with its stack pointer at %#lx, above lib2's "
	       ".data page [%#lx, %#lx); lib2's word at %#lx: %#lx\n",
	       (unsigned long)sa.top + 16, (unsigned long)sa.top - 4096, (unsigned long)sa.top,
	       (unsigned long)sa.top - 8, (unsigned long)(uint32_t)before);
	fflush(stdout);
	flexos_gate_r(lib1, r, lib1_call, aim_in_lib1, 0);
	flexos_gate_r(lib2, after, lib2_probe, sa.top - 8, 0);
	bool inside = sa.local >= (long)(sa.top - 4096) && sa.local < (long)sa.top;
	if (inside)
		flexos_gate_r(lib2, local, lib2_probe, (uintptr_t)sa.local, 0);
	printf("stack-aim: lib1 came back (%ld); lib2's word at %#lx: %#lx (was %#lx), "
	       "lib2_where's local at %#lx (%ld)%s\n",
	       r, (unsigned long)sa.top - 8, (unsigned long)(uint32_t)after,
	       (unsigned long)(uint32_t)before, (unsigned long)sa.local, local,
	       inside ? ", inside lib2's .data: lib2's frames went into its private memory: FAIL"
		      : ", not in lib2's .data: ok");
	return inside || after != before;
}
