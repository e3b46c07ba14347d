/*
 * The intel-mpk gate: the only code of the image that writes PKRU (with
 * the report path, flexos__mpk_enter and flexos__mpk_start_main below).
 *
 * Entry (from a stub of flexos-link, contract in <flexos/backend.h>):
 * %r11 = callee, %r10 = callee's compartment id (and, above bit 7, what
 * the call passes in memory: see CARRY_PATH), arguments in rdi, rsi, rdx,
 * rcx, r8, r9, %rax and xmm0-7, the caller's return address at (%rsp).
 * For a call with register arguments only, the gate
 *   1. records the caller's stack pointer in sp[caller] and moves to
 *      sp[callee], this thread's stack in the callee (allocated on first
 *      entry by flexos__mpk_gate_slow);
 *   2. writes the callee's PKRU, then masks the id and compares the value
 *      written with the read-only table: a jump straight to the WRPKRU
 *      with a forged %eax ends in flexos__mpk_gate_violation (as ERIM);
 *   3. pushes the caller's id on the callee's stack and calls the callee;
 *   4. on return restores sp[callee], writes and checks the caller's PKRU
 *      the same way, goes back to sp[caller] and clears the scratch
 *      registers that are not return values.
 * Nested gates and callbacks (A -> B -> A -> B) work because sp[] always
 * says where each suspended compartment's stack continues.
 *
 * Fast path: 44 instructions besides the two WRPKRUs (see
 * docs/threat-model.md for how it was counted; 40 before the gate
 * carried %rax and sent calls with stack arguments down a path of their
 * own).
 *
 * flexos__backend_gate_shared_stacks, below, is the gate of images with
 * shared stacks: the same without the stack switch; and
 * flexos__backend_gate_newlib the gate of images whose newlib
 * compartments run without key 0.
 */
#include <sys/syscall.h>

#include <flexos/backend.h>

#include "mpk.h"

#define WRPKRU .byte 0x0f, 0x01, 0xef
#define RDPKRU .byte 0x0f, 0x01, 0xee
#define T(off) %fs:flexos__mpk_thread@tpoff + (off)

/*
 * Unwind information across the stack switch (DWARF expressions, which
 * .cfi has no directive for): the gate keeps the caller's stack pointer
 * on the callee's side, so that backtrace(), the fault report and gdb
 * walk from the callee through the gate into the caller.
 * CFA_DEREF_RSP off: CFA = *(rsp + off) + 8 (the caller's return address
 * sits at its saved stack pointer). CFA_DEREF_RBX off, add: CFA =
 * *(rbx + off) + add. RBX_AT_RBX off: the caller's rbx is at rbx + off.
 */
#define DW_CFA_def_cfa_expression 0x0f
#define DW_CFA_expression 0x10
#define DW_OP_breg3 0x73
#define DW_OP_breg7 0x77
#define DW_OP_deref 0x06
#define DW_OP_plus_uconst 0x23
.macro CFA_DEREF_RSP off
	.cfi_escape DW_CFA_def_cfa_expression, 5, DW_OP_breg7, \off, DW_OP_deref, DW_OP_plus_uconst, 8
.endm
.macro CFA_DEREF_RBX off, add
	.cfi_escape DW_CFA_def_cfa_expression, 5, DW_OP_breg3, \off, DW_OP_deref, DW_OP_plus_uconst, \add
.endm
.macro RBX_AT_RBX off
	.cfi_escape DW_CFA_expression, 3, 2, DW_OP_breg3, \off
.endm

/*
 * Writes the PKRU of compartment %r10 from this thread's copy of the table,
 * then checks the value written against the read-only table: code that
 * jumps to the WRPKRU (at `checked`, a label the forged-gate tests use) with
 * a forged %eax ends in .Lviolation. Clobbers eax, ecx, edx.
 */
.macro SWITCH_PKRU checked
	movl	T(MPK_T_PKRU)(,%r10,4), %eax
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	WRPKRU
	.globl	\checked
	.hidden	\checked
\checked:
	andl	$(MPK_SLOTS - 1), %r10d
	leaq	flexos__mpk_pkru(%rip), %rdx
	cmpl	(%rdx,%r10,4), %eax
	jne	.Lviolation
.endm

/*
 * Right after SWITCH_PKRU's check on the way into a compartment (%r10 its
 * id, %rdx = flexos__mpk_pkru): %r11, the entry index the stub passed
 * (<flexos/backend.h>), must name an entry of the image's read-only
 * table whose compartment is %r10; %r11 becomes that entry's function.
 * The stub's callee address is never called: a jump to the WRPKRU with a
 * forged %r11 reaches only an entry of the compartment whose PKRU it
 * got. Clobbers rdx.
 */
.macro CHECK_ENTRY bad_index
	movl	%r11d, %r11d
	cmpl	flexos__image+MPK_IMAGE_NENTRIES(%rip), %r11d
	jae	\bad_index
	leaq	(%r11,%r11,2), %rdx
	shlq	$3, %rdx
	addq	flexos__image+MPK_IMAGE_ENTRIES(%rip), %rdx
	cmpl	8(%rdx), %r10d
	jne	.Lbad_entry
	movq	(%rdx), %r11
.endm

/* The entry index of the stub's %r10, in %r11. */
.macro ENTRY_INDEX
	movq	%r10, %r11
	shrq	$FLEXOS_GATE_ENTRY_SHIFT, %r11
.endm

/* Back from ENTRY_INDEX on a slow path: %r10 as the stub made it. */
.macro STUB_R10
	shlq	$FLEXOS_GATE_ENTRY_SHIFT, %r11
	orq	%r11, %r10
.endm

/*
 * Around a C call on a gate's slow path: everything the callee may receive
 * (the argument registers, %rax, xmm0-7) and the stub's %r10/%r11 survive
 * it, and the stack stays 16-byte aligned.
 */
.macro SAVE_GATE_REGS
	pushq	%rdi
	pushq	%rsi
	pushq	%rdx
	pushq	%rcx
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%rax
	subq	$128, %rsp
	movdqu	%xmm0, 0(%rsp)
	movdqu	%xmm1, 16(%rsp)
	movdqu	%xmm2, 32(%rsp)
	movdqu	%xmm3, 48(%rsp)
	movdqu	%xmm4, 64(%rsp)
	movdqu	%xmm5, 80(%rsp)
	movdqu	%xmm6, 96(%rsp)
	movdqu	%xmm7, 112(%rsp)
	.cfi_adjust_cfa_offset 200
.endm

.macro RESTORE_GATE_REGS
	movdqu	0(%rsp), %xmm0
	movdqu	16(%rsp), %xmm1
	movdqu	32(%rsp), %xmm2
	movdqu	48(%rsp), %xmm3
	movdqu	64(%rsp), %xmm4
	movdqu	80(%rsp), %xmm5
	movdqu	96(%rsp), %xmm6
	movdqu	112(%rsp), %xmm7
	addq	$128, %rsp
	popq	%rax
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rcx
	popq	%rdx
	popq	%rsi
	popq	%rdi
	.cfi_adjust_cfa_offset -200
.endm

/*
 * The way out of every gate: the callee's result (kept in xmm14/xmm15
 * across the PKRU switch) back in rax/rdx, and nothing else of the
 * callee's: the argument registers are cleared, rcx is 0 after WRPKRU,
 * r10 and r11 hold compartment ids. xmm0, xmm1 and st(0) are results
 * the gate never touches.
 */
.macro RETURN_RESULT
	movq	%xmm14, %rax
	movq	%xmm15, %rdx
	xorl	%esi, %esi
	xorl	%edi, %edi
	xorl	%r8d, %r8d
	xorl	%r9d, %r9d
	ret
.endm

/*
 * Calls with stack arguments or an sret result (%r10 above the id: see
 * <flexos/backend.h>). The callee's PKRU cannot read the caller's stack,
 * and the caller's cannot write the callee's, so the arguments cross
 * through this thread's carry page (mpk.h), which both can reach:
 *   1. the register arguments and %rax wait in xmm8-14 (rep movsq and
 *      WRPKRU need rdi, rsi, rcx, eax, edx), %r10 is split into the id
 *      and the carry (in r9);
 *   2. under the caller's PKRU: stack arguments to the carry page; the
 *      caller's sret pointer and the carry pushed on the caller's stack,
 *      where the callee cannot change them;
 *   3. onto the callee's stack and PKRU (checked); there: the caller's id,
 *      the caller's rbx and the carry, then rbx = that frame (rbx is
 *      callee-saved: it survives the call), an sret buffer, the stack
 *      arguments copied from the carry page, 16-byte aligned, and the
 *      registers back; the call;
 *   4. on return, under the callee's PKRU: the sret result to the carry
 *      page; back onto the caller's stack and PKRU (checked), and from
 *      the carry page to the caller's pointer, which is returned in rax.
 * Between the checked WRPKRUs the gate reads no memory but the carry page
 * and the stack of the side whose PKRU is in force, and in images with
 * newlib compartments (newlib=1) it opens key 0 for its bookkeeping as
 * the register-only path does. slow: where to go when this thread has no
 * stack in the callee or no carry page yet, with the registers as at the
 * gate's entry.
 */
.macro CARRY_PATH entry_checked, exit_checked, newlib, slow
	movq	%rdi, %xmm8
	movq	%rsi, %xmm9
	movq	%rdx, %xmm10
	movq	%rcx, %xmm11
	movq	%r8, %xmm12
	movq	%r9, %xmm13
	movq	%rax, %xmm14
.if \newlib
	OPEN_KEY0
.endif
	movq	%r10, %r9			/* the carry */
	movzbl	%r10b, %r10d			/* the id */
	movq	T(MPK_T_CARRY), %r8
	testq	%r8, %r8
	jz	1f
	cmpq	$0, T(MPK_T_SP)(,%r10,8)
	jne	2f
1:	movq	%r9, %r10
	movq	%xmm8, %rdi
	movq	%xmm9, %rsi
	movq	%xmm10, %rdx
	movq	%xmm11, %rcx
	movq	%xmm12, %r8
	movq	%xmm13, %r9
	movq	%xmm14, %rax
	jmp	\slow
2:	movl	%r9d, %ecx			/* the caller's stack arguments */
	shrl	$FLEXOS_GATE_STACK_SHIFT, %ecx
	movzbl	%cl, %ecx
	leaq	8(%rsp), %rsi
	movq	%r8, %rdi
	rep movsq
	movq	%xmm8, %rax
	pushq	%rax				/* the caller's sret pointer */
	pushq	%r9
	.cfi_adjust_cfa_offset 16
	movq	T(MPK_T_CUR), %rdi		/* the caller's id */
	movq	%rsp, T(MPK_T_SP)(,%rdi,8)
	movq	%rsp, %rsi			/* for unwinders */
	movq	T(MPK_T_SP)(,%r10,8), %rsp
	movq	%r10, T(MPK_T_CUR)
	SWITCH_PKRU \entry_checked
	CHECK_ENTRY .Lbad_entry
	pushq	%rsi				/* (padding: a call needs rsp = 0 mod 16) */
	pushq	%rsi
	pushq	%rdi
	pushq	%rbx
	pushq	%r9
	movq	%rsp, %rbx
	CFA_DEREF_RBX 24, 24
	RBX_AT_RBX 8
	movl	%r9d, %ecx			/* the sret buffer, on the callee's side */
	shrl	$FLEXOS_GATE_SRET_SHIFT, %ecx
	movzbl	%cl, %ecx
	leal	1(%rcx), %edx
	andl	$-2, %edx
	shll	$3, %edx
	subq	%rdx, %rsp
	jrcxz	3f
	movq	%rsp, %xmm8
3:	movl	%r9d, %ecx			/* the stack arguments */
	shrl	$FLEXOS_GATE_STACK_SHIFT, %ecx
	movzbl	%cl, %ecx
	leal	1(%rcx), %edx
	andl	$-2, %edx
	shll	$3, %edx
	subq	%rdx, %rsp
	movq	%rsp, %rdi
	movq	%r8, %rsi
	rep movsq
	movq	%xmm8, %rdi
	movq	%xmm9, %rsi
	movq	%xmm10, %rdx
	movq	%xmm11, %rcx
	movq	%xmm12, %r8
	movq	%xmm13, %r9
	movq	%xmm14, %rax
	call	*%r11

	movq	%rax, %xmm14			/* the result */
	movq	%rdx, %xmm15
.if \newlib
	OPEN_KEY0
.endif
	movq	T(MPK_T_CARRY), %r8
	movl	(%rbx), %ecx			/* the sret result, to the carry page */
	shrl	$FLEXOS_GATE_SRET_SHIFT, %ecx
	movzbl	%cl, %ecx
	jrcxz	4f
	leal	1(%rcx), %edx
	andl	$-2, %edx
	shll	$3, %edx
	movq	%rbx, %rsi
	subq	%rdx, %rsi
	movq	%r8, %rdi
	rep movsq
4:	movq	%rbx, %rsp
	addq	$8, %rsp
	popq	%rbx
	popq	%r10				/* caller's id */
	popq	%rsi
	popq	%rsi
	movq	T(MPK_T_CUR), %r11		/* callee's id */
	movq	%rsp, T(MPK_T_SP)(,%r11,8)
	movq	%r10, T(MPK_T_CUR)
	movq	T(MPK_T_SP)(,%r10,8), %rsp	/* back on the caller's stack */
	.cfi_def_cfa %rsp, 24
	.cfi_restore %rbx
	SWITCH_PKRU \exit_checked
	popq	%rcx				/* the carry */
	popq	%rdi				/* the caller's sret pointer */
	.cfi_adjust_cfa_offset -16
	movq	%xmm14, %rax
	shrl	$FLEXOS_GATE_SRET_SHIFT, %ecx
	movzbl	%cl, %ecx
	jrcxz	5f
	movq	%rdi, %rax
	movq	%r8, %rsi
	rep movsq
5:	movq	%xmm15, %rdx
	xorl	%esi, %esi
	xorl	%edi, %edi
	xorl	%r8d, %r8d
	xorl	%r9d, %r9d
	ret
.endm

/*
 * Opens key 0 on top of the PKRU in force (images with newlib
 * compartments): see flexos__backend_gate_newlib. Clobbers eax, ecx, edx.
 */
.macro OPEN_KEY0
	xorl	%ecx, %ecx
	RDPKRU				/* eax = PKRU, edx = 0 */
	andl	$~3, %eax
	WRPKRU
.endm

	.text
	.globl	flexos__backend_gate
	.hidden	flexos__backend_gate
	.type	flexos__backend_gate, @function
	/* Calls with integer registers only: the same fast path. */
	.globl	flexos__backend_gate_int
	.hidden	flexos__backend_gate_int
	.type	flexos__backend_gate_int, @function
	.balign	64
flexos__backend_gate:
flexos__backend_gate_int:
	.cfi_startproc
	/* Marked as a signal frame: its caller's frame is on another stack,
	 * which may lie below the callee's, and gdb stops unwinding at a
	 * normal frame whose caller looks "inner"; a signal frame is exempt.
	 * The rows are the same at the call and at its return address. */
	.cfi_signal_frame
	ENTRY_INDEX
	testl	$FLEXOS_GATE_CARRY_BITS, %r10d	/* stack arguments or sret: */
	jnz	.Lcarry				/* the carry path */
	movzbl	%r10b, %r10d			/* the callee's id */
	movq	%rax, %xmm13			/* %al: vector registers of a variadic call */
	movq	T(MPK_T_CUR), %rax		/* caller's id */
	movq	%rsp, T(MPK_T_SP)(,%rax,8)	/* sp[caller] = caller's stack */
	movq	T(MPK_T_SP)(,%r10,8), %rsp	/* the callee's stack of this thread */
	testq	%rsp, %rsp
	jz	.Lslow
	movq	%rdx, %xmm14			/* WRPKRU needs ecx = edx = 0 */
	movq	%rcx, %xmm15
	SWITCH_PKRU flexos__mpk_gate_entry_checked		/* what the forged-gate test jumps to */
	CHECK_ENTRY .Lbad_entry
	movq	T(MPK_T_CUR), %rax
	pushq	T(MPK_T_SP)(,%rax,8)		/* the caller's stack pointer, for unwinders */
	pushq	%rax				/* (padding: a call needs rsp = 0 mod 16) */
	pushq	%rax				/* the caller's id, for the way back */
	CFA_DEREF_RSP 16
	movq	%r10, T(MPK_T_CUR)
	movq	%xmm14, %rdx
	movq	%xmm15, %rcx
	movq	%xmm13, %rax
	call	*%r11

	movq	%rax, %xmm14			/* the result: WRPKRU needs eax */
	movq	%rdx, %xmm15
	popq	%r10				/* caller's id */
	addq	$16, %rsp
	movq	T(MPK_T_CUR), %r11		/* callee's id */
	movq	%rsp, T(MPK_T_SP)(,%r11,8)	/* its stack is back where it was */
	SWITCH_PKRU flexos__mpk_gate_exit_checked
	movq	%r10, T(MPK_T_CUR)
	movq	T(MPK_T_SP)(,%r10,8), %rsp	/* back on the caller's stack */
	.cfi_def_cfa %rsp, 8
	RETURN_RESULT

.Lcarry:
	CARRY_PATH flexos__mpk_gate_carry_entry_checked, flexos__mpk_gate_carry_exit_checked, 0, .Lslow_here

	/* No stack in the callee yet: back to the caller's stack, let C
	 * allocate one (and set up this thread), then start over. */
.Lslow:
	movq	T(MPK_T_SP)(,%rax,8), %rsp
	movq	%xmm13, %rax
	STUB_R10
.Lslow_here:
	SAVE_GATE_REGS
	movzbl	%r10b, %edi
	call	flexos__mpk_gate_slow
	RESTORE_GATE_REGS
	jmp	flexos__backend_gate

	/* The PKRU written is not the one of the compartment named: someone
	 * jumped into the gate. The report path takes it from here with
	 * nothing but registers: it never returns. */
	/* A PKRU that the table says, but no entry of that compartment. */
.Lbad_entry:
	movl	%eax, %ebx
	movq	%r11, %r13
	movq	%r10, %r14
	movl	$MPK_REPORT_ENTRY, %r12d
	jmp	.Lreport

.Lviolation:
	.globl	flexos__mpk_violation_entry
	.hidden	flexos__mpk_violation_entry
flexos__mpk_violation_entry:
	movl	%eax, %ebx			/* the PKRU written */
	movl	%eax, %r13d
	movq	%r10, %r14
	movl	$MPK_REPORT_VIOLATION, %r12d
	jmp	.Lreport
	.cfi_endproc
	.size	flexos__backend_gate, .-flexos__backend_gate
	.size	flexos__backend_gate_int, .-flexos__backend_gate_int

/*
 * The gate of an image with shared stacks (every stack is key 0): the
 * callee runs on the caller's stack, so only PKRU and the running
 * compartment change. The caller's id is pushed below the return address
 * as in the private gate, and each WRPKRU is checked the same way.
 * Fast path: 39 instructions besides the two WRPKRUs (attack --count
 * shared).
 *
 * The gate's own pushes move the stack arguments away from where the
 * callee expects them (right above its return address), so a call with
 * stack arguments or an sret result takes .Lshared_carry: on the same
 * stack, below a frame of the gate's, the arguments are copied again
 * and a buffer receives the sret result, which is copied to the caller's
 * pointer once the caller's PKRU is back (the caller's pointer may be
 * memory only the caller may write).
 */
	.globl	flexos__backend_gate_shared_stacks
	.hidden	flexos__backend_gate_shared_stacks
	.type	flexos__backend_gate_shared_stacks, @function
	.balign	64
flexos__backend_gate_shared_stacks:
	.cfi_startproc
	cmpq	$0, T(MPK_T_READY)		/* a new thread: set it up first */
	je	.Lshared_init
	ENTRY_INDEX
	testl	$FLEXOS_GATE_CARRY_BITS, %r10d	/* stack arguments or sret */
	jnz	.Lshared_carry
	movzbl	%r10b, %r10d
	movq	%rdx, %xmm14			/* WRPKRU needs ecx = edx = 0 */
	movq	%rcx, %xmm15
	movq	%rax, %xmm13			/* and eax */
	pushq	T(MPK_T_CUR)			/* the caller's id, for the way back */
	.cfi_adjust_cfa_offset 8
	SWITCH_PKRU flexos__mpk_gate_shared_entry_checked
	CHECK_ENTRY .Lbad_entry
	movq	%r10, T(MPK_T_CUR)
	movq	%xmm14, %rdx
	movq	%xmm15, %rcx
	movq	%xmm13, %rax
	call	*%r11

	movq	%rax, %xmm14			/* the result: WRPKRU needs eax */
	movq	%rdx, %xmm15
	popq	%r10				/* caller's id */
	.cfi_adjust_cfa_offset -8
	SWITCH_PKRU flexos__mpk_gate_shared_exit_checked
	movq	%r10, T(MPK_T_CUR)
	xorl	%r11d, %r11d			/* r10 holds an id; r11 is cleared too */
	RETURN_RESULT

	/*
	 * Frame (rbx): 0 padding, 8 the caller's id, 16 the carry, 24 the
	 * caller's sret pointer (rdi), 32 the caller's rbx; below it the sret
	 * buffer and the stack arguments.
	 */
.Lshared_carry:
	movq	%rdx, %xmm10
	movq	%rcx, %xmm11
	movq	%rax, %xmm13
	movq	%rsi, %xmm9
	movq	%rdi, %xmm8
	pushq	%rbx
	pushq	%rdi
	pushq	%r10
	pushq	T(MPK_T_CUR)
	subq	$8, %rsp
	movq	%rsp, %rbx
	.cfi_def_cfa %rbx, 48
	.cfi_offset %rbx, -16
	movl	%r10d, %ecx			/* the sret buffer */
	shrl	$FLEXOS_GATE_SRET_SHIFT, %ecx
	movzbl	%cl, %ecx
	leal	1(%rcx), %edx
	andl	$-2, %edx
	shll	$3, %edx
	subq	%rdx, %rsp
	jrcxz	1f
	movq	%rsp, %xmm8
1:	movl	%r10d, %ecx			/* the stack arguments, from above the return address */
	shrl	$FLEXOS_GATE_STACK_SHIFT, %ecx
	movzbl	%cl, %ecx
	leal	1(%rcx), %edx
	andl	$-2, %edx
	shll	$3, %edx
	subq	%rdx, %rsp
	movq	%rsp, %rdi
	leaq	48(%rbx), %rsi
	rep movsq
	movzbl	%r10b, %r10d
	SWITCH_PKRU flexos__mpk_gate_shared_carry_entry_checked
	CHECK_ENTRY .Lbad_entry
	movq	%r10, T(MPK_T_CUR)
	movq	%xmm8, %rdi
	movq	%xmm9, %rsi
	movq	%xmm10, %rdx
	movq	%xmm11, %rcx
	movq	%xmm13, %rax
	call	*%r11

	movq	%rax, %xmm14			/* the result */
	movq	%rdx, %xmm15
	movq	8(%rbx), %r10			/* caller's id */
	SWITCH_PKRU flexos__mpk_gate_shared_carry_exit_checked
	movq	%r10, T(MPK_T_CUR)
	movq	%xmm14, %rax
	movl	16(%rbx), %ecx			/* the sret result, to the caller's pointer */
	shrl	$FLEXOS_GATE_SRET_SHIFT, %ecx
	movzbl	%cl, %ecx
	jrcxz	2f
	leal	1(%rcx), %edx
	andl	$-2, %edx
	shll	$3, %edx
	movq	%rbx, %rsi
	subq	%rdx, %rsi
	movq	24(%rbx), %rdi
	movq	%rdi, %rax
	rep movsq
2:	leaq	40(%rbx), %rsp
	movq	32(%rbx), %rbx
	.cfi_def_cfa %rsp, 8
	.cfi_restore %rbx
	xorl	%r11d, %r11d
	movq	%xmm15, %rdx
	xorl	%esi, %esi
	xorl	%edi, %edi
	xorl	%r8d, %r8d
	xorl	%r9d, %r9d
	ret

	/* This thread's state (pkru[], cur) does not exist yet. */
.Lshared_init:
	SAVE_GATE_REGS
	call	flexos__mpk_self
	RESTORE_GATE_REGS
	jmp	flexos__backend_gate_shared_stacks
	.cfi_endproc
	.size	flexos__backend_gate_shared_stacks, .-flexos__backend_gate_shared_stacks

/*
 * The gate of images with a compartment that has 'libc: newlib'
 * (private stacks). Such a compartment runs with key 0 denied, and key 0
 * holds this thread's gate state (TLS), so the gate first opens key 0 on
 * top of whatever PKRU is in force, does its bookkeeping, and touches no
 * key-0 memory after the checked WRPKRU of the other side:
 *   1. caller's PKRU + key 0 (RDPKRU, clear key 0's two bits, WRPKRU);
 *   2. sp[caller] = caller's stack, onto sp[callee], cur = callee;
 *   3. the callee's PKRU, checked as in flexos__backend_gate, then the
 *      caller's id is pushed on the callee's stack and the callee called;
 *   4. on return the same way back: callee's PKRU + key 0, bookkeeping,
 *      onto the caller's stack, the caller's PKRU, checked.
 * The WRPKRU of step 1 is not checked: it can only be reached on the way
 * to a checked one (step 3, or the C slow path and then step 3), and no
 * code but the gate's runs in between, so a jump to it with a forged %eax
 * gains nothing a gate call would not give. Calls with stack arguments or
 * an sret result take the carry path of flexos__backend_gate, with the
 * same two openings of key 0.
 */
	.globl	flexos__backend_gate_newlib
	.hidden	flexos__backend_gate_newlib
	.type	flexos__backend_gate_newlib, @function
	.balign	64
flexos__backend_gate_newlib:
	.cfi_startproc
	/* Marked as a signal frame: its caller's frame is on another stack,
	 * which may lie below the callee's, and gdb stops unwinding at a
	 * normal frame whose caller looks "inner"; a signal frame is exempt.
	 * The rows are the same at the call and at its return address. */
	.cfi_signal_frame
	ENTRY_INDEX
	testl	$FLEXOS_GATE_CARRY_BITS, %r10d	/* stack arguments or sret */
	jnz	.Lnewlib_carry
	movzbl	%r10b, %r10d
	movq	%rdx, %xmm14			/* RDPKRU and WRPKRU need ecx, edx */
	movq	%rcx, %xmm15
	movq	%rax, %xmm12			/* and eax */
	OPEN_KEY0
	movq	T(MPK_T_CUR), %rax		/* caller's id */
	movq	%rsp, T(MPK_T_SP)(,%rax,8)	/* sp[caller] = caller's stack */
	movq	%rsp, %xmm11			/* and for unwinders, on the callee's side */
	movq	T(MPK_T_SP)(,%r10,8), %rsp	/* the callee's stack of this thread */
	testq	%rsp, %rsp
	jz	.Lnewlib_slow
	movq	%rax, %xmm13			/* the caller's id, pushed once on the callee's side */
	movq	%r10, T(MPK_T_CUR)
	SWITCH_PKRU flexos__mpk_gate_newlib_entry_checked
	CHECK_ENTRY .Lnewlib_runtime
.Lnewlib_call:
	movq	%xmm11, %rax
	pushq	%rax
	movq	%xmm13, %rax
	pushq	%rax				/* (padding: a call needs rsp = 0 mod 16) */
	pushq	%rax
	CFA_DEREF_RSP 16
	movq	%xmm14, %rdx
	movq	%xmm15, %rcx
	movq	%xmm12, %rax
	call	*%r11

	movq	%rax, %xmm14			/* the result */
	movq	%rdx, %xmm15
	popq	%r10				/* caller's id, from the callee's stack */
	addq	$16, %rsp
	OPEN_KEY0
	movq	T(MPK_T_CUR), %r11		/* callee's id */
	movq	%rsp, T(MPK_T_SP)(,%r11,8)	/* its stack is back where it was */
	movq	%r10, T(MPK_T_CUR)
	movq	T(MPK_T_SP)(,%r10,8), %rsp	/* back on the caller's stack */
	.cfi_def_cfa %rsp, 8
	SWITCH_PKRU flexos__mpk_gate_newlib_exit_checked
	RETURN_RESULT

	/*
	 * No entry of the table: the runtime's own crossing (flexos__call_in),
	 * whose function flexos__mpk_init copied next to the PKRU table (which
	 * a newlib compartment may read), or a forged index.
	 */
.Lnewlib_runtime:
	cmpl	$FLEXOS_GATE_ENTRY_RUNTIME, %r11d
	jne	.Lbad_entry
	movq	MPK_PKRU_FINI(%rdx,%r10,8), %r11
	testq	%r11, %r11
	jz	.Lbad_entry
	jmp	.Lnewlib_call

.Lnewlib_carry:
	CARRY_PATH flexos__mpk_gate_newlib_carry_entry_checked, flexos__mpk_gate_newlib_carry_exit_checked, 1, .Lnewlib_slow_here

	/* No stack in the callee yet: as in flexos__backend_gate, with key 0
	 * open (the C code needs it), then start over. */
.Lnewlib_slow:
	movq	T(MPK_T_SP)(,%rax,8), %rsp
	movq	%xmm14, %rdx
	movq	%xmm15, %rcx
	movq	%xmm12, %rax
	STUB_R10
.Lnewlib_slow_here:
	SAVE_GATE_REGS
	movzbl	%r10b, %edi
	call	flexos__mpk_gate_slow
	RESTORE_GATE_REGS
	jmp	flexos__backend_gate_newlib
	.cfi_endproc
	.size	flexos__backend_gate_newlib, .-flexos__backend_gate_newlib

/*
 * The SIGSEGV handler's entry, in every image. The kernel enters it with
 * its default PKRU (every key but 0 access-disabled), which no
 * compartment's PKRU is; a compartment that calls it (with a forged
 * siginfo, say) arrives with its own. So the PKRU found, read before any
 * memory is touched, says which it is; either way the report path takes
 * over and nothing returns.
 */
	.globl	flexos__mpk_segv_entry
	.hidden	flexos__mpk_segv_entry
	.type	flexos__mpk_segv_entry, @function
flexos__mpk_segv_entry:
	movq	%rdi, %r13			/* sig, si, ctx */
	movq	%rsi, %r14
	movq	%rdx, %r15
	xorl	%ecx, %ecx
	RDPKRU
	movl	%eax, %ebx
	andl	$MPK_PKRU_AD_ALL_BUT_0, %eax
	movl	$MPK_REPORT_FAULT, %r12d
	cmpl	$MPK_PKRU_AD_ALL_BUT_0, %eax
	je	.Lreport
	movl	$MPK_REPORT_FORGED, %r12d
	/* fall through */

/*
 * The report path: %r12d the kind (MPK_REPORT_*), %r13-%r15 its
 * arguments, %ebx the PKRU found on entry. Whatever jumped here, and
 * with whatever PKRU:
 *   1. PKRU = key 0 only, an immediate, checked after the WRPKRU (a jump
 *      to it with another %eax writes it again);
 *   2. the report's PKRU (key 0, the shared key, the gate key, and the
 *      compartments' keys read-only, for the unwinder) from the read-only
 *      page, checked the same way;
 *   3. one report at a time: the first thread takes the lock word (gate
 *      key) with its tid; another waits for the image to end; the same
 *      thread again (a fault inside the report) ends the image at once;
 *   4. the report stack, whose address is on the read-only page;
 *   5. a delivered signal: a copy of the kernel's frame (pretcode, then
 *      ucontext and siginfo) on that stack, and flexos__mpk_on_segv
 *      entered as the kernel would enter a handler, so that its unwinder
 *      walks through glibc's restorer into the code that faulted; a call
 *      or a violation: flexos__mpk_report.
 * No compartment can write the report stack, the page or the lock, and
 * nothing here reads a stack pointer or a return address from memory a
 * compartment can write.
 */
.Lreport:
1:	movl	$MPK_PKRU_KEY0_ONLY, %eax
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	WRPKRU
	cmpl	$MPK_PKRU_KEY0_ONLY, %eax
	jne	1b
	movq	flexos__mpk_ro+MPK_RO_STACK(%rip), %rax
	testq	%rax, %rax
	jz	.Lreport_exit			/* before init: no report possible */
	movl	flexos__mpk_ro+MPK_RO_PKRU(%rip), %eax
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	WRPKRU
	cmpl	flexos__mpk_ro+MPK_RO_PKRU(%rip), %eax
	jne	1b
	movl	$SYS_gettid, %eax
	syscall
	movl	%eax, %esi
	movq	flexos__mpk_ro+MPK_RO_LOCK(%rip), %rdx
	xorl	%eax, %eax
	lock cmpxchgl %esi, (%rdx)
	je	3f
	cmpl	%eax, %esi
	je	.Lreport_exit			/* this thread is reporting already */
2:	movl	$SYS_sched_yield, %eax		/* another is: the image is ending */
	syscall
	jmp	2b
3:	movq	flexos__mpk_ro+MPK_RO_STACK(%rip), %rsp
	cmpl	$MPK_REPORT_FAULT, %r12d
	jne	4f
	subq	$MPK_FRAME_COPY, %rsp
	leaq	8(%rsp), %rdi
	movq	%r15, %rsi
	movl	$(MPK_UC_COPY / 8), %ecx
	rep movsq
	movq	%r14, %rsi
	movl	$(MPK_SI_COPY / 8), %ecx
	rep movsq
	movq	flexos__mpk_ro+MPK_RO_RESTORER(%rip), %rax
	movq	%rax, (%rsp)
	movl	%r13d, %edi
	leaq	(8 + MPK_UC_COPY)(%rsp), %rsi
	leaq	8(%rsp), %rdx
	movl	%ebx, %ecx
	jmp	flexos__mpk_on_segv
4:	movl	%r12d, %edi
	movq	%r13, %rsi
	movq	%r14, %rdx
	movl	%ebx, %ecx
	call	flexos__mpk_report
.Lreport_exit:
	movl	$SYS_exit_group, %eax
	movl	$MPK_EXIT_FAULT, %edi
	syscall
	ud2
	.size	flexos__mpk_segv_entry, .-flexos__mpk_segv_entry

/* void flexos__mpk_enter(uint64_t id): PKRU of compartment id, checked. */
	.globl	flexos__mpk_enter
	.hidden	flexos__mpk_enter
	.type	flexos__mpk_enter, @function
flexos__mpk_enter:
	movq	%rdi, %r10
	andl	$(MPK_SLOTS - 1), %r10d
	leaq	flexos__mpk_pkru(%rip), %rdx
	movl	(%rdx,%r10,4), %eax
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	WRPKRU
	andl	$(MPK_SLOTS - 1), %r10d
	leaq	flexos__mpk_pkru(%rip), %rdx
	cmpl	(%rdx,%r10,4), %eax
	jne	.Lviolation
	ret
	.size	flexos__mpk_enter, .-flexos__mpk_enter

/* uint32_t flexos__mpk_rdpkru(void) */
	.globl	flexos__mpk_rdpkru
	.hidden	flexos__mpk_rdpkru
	.type	flexos__mpk_rdpkru, @function
flexos__mpk_rdpkru:
	xorl	%ecx, %ecx
	RDPKRU
	ret
	.size	flexos__mpk_rdpkru, .-flexos__mpk_rdpkru

/*
 * noreturn void flexos__mpk_start_main(void) (mpk.h): main's function,
 * arguments, stack and compartment all from the read-only PKRU page,
 * read again after the WRPKRU, so that any way into this code ends the
 * same: main from the start in its compartment, then exit(). The PKRU is
 * not widened again: exit-time code runs in the default compartment, as
 * if main had called exit().
 */
	.globl	flexos__mpk_start_main
	.hidden	flexos__mpk_start_main
	.type	flexos__mpk_start_main, @function
flexos__mpk_start_main:
	.cfi_startproc
	.cfi_undefined rip			/* main's caller: the outermost frame */
	leaq	flexos__mpk_pkru(%rip), %rdx
	movl	MPK_PKRU_MAIN_ID(%rdx), %r10d
	andl	$(MPK_SLOTS - 1), %r10d
	movl	(%rdx,%r10,4), %eax
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	WRPKRU
	.globl	flexos__mpk_start_main_checked
	.hidden	flexos__mpk_start_main_checked
flexos__mpk_start_main_checked:
	leaq	flexos__mpk_pkru(%rip), %rdx
	movl	MPK_PKRU_MAIN_ID(%rdx), %r10d
	andl	$(MPK_SLOTS - 1), %r10d
	cmpl	(%rdx,%r10,4), %eax
	jne	.Lviolation
	movq	MPK_PKRU_MAIN_STACK(%rdx), %rsp
	movl	MPK_PKRU_MAIN_ARGC(%rdx), %edi
	movq	MPK_PKRU_MAIN_ARGV(%rdx), %rsi
	movq	MPK_PKRU_MAIN_FN(%rdx), %rax
	movq	MPK_PKRU_MAIN_ENVP(%rdx), %rdx
	xorl	%ebp, %ebp
	call	*%rax
	movl	%eax, %edi
	call	exit@PLT
	ud2
	.cfi_endproc
	.size	flexos__mpk_start_main, .-flexos__mpk_start_main

	.section .note.GNU-stack,"",@progbits
