/*
 * The process backend's gate entry (contract in <flexos/backend.h>): %r11
 * holds the callee, %r10 its compartment in bits 0..7 and what the call
 * passes in memory above, %rdi..%r9, %rax and xmm0-7 the arguments,
 * 8(%rsp) the stack arguments.
 *
 * A call into the compartment of this very process (a callback the
 * compartment hands itself, say) is the plain tail call. Anything else
 * saves the argument registers in a frame (struct flexos__gate_frame)
 * and calls flexos__proc_gate(frame, fn, r10, stack arguments), which
 * carries the call to the compartment's process and back and leaves the
 * results in the frame: rax, rdx, xmm0, xmm1 and what the callee left on
 * the x87 stack (a long double).
 *
 * flexos__backend_gate_int, for calls with integer registers only, saves
 * and carries those six and returns rax:rdx: the lean path.
 *
 * Each process has its own stacks whatever the image says, and a newlib
 * compartment's process simply never touches glibc's memory, so the
 * entries for shared stacks (flexos__backend_gate_shared_stacks) and for
 * images with newlib compartments (flexos__backend_gate_newlib) are this one.
 */
#include "process.h"

	.text
	.globl	flexos__backend_gate
	.type	flexos__backend_gate, @function
	.globl	flexos__backend_gate_shared_stacks
	.type	flexos__backend_gate_shared_stacks, @function
	.globl	flexos__backend_gate_newlib
	.type	flexos__backend_gate_newlib, @function
	.balign	16
flexos__backend_gate:
flexos__backend_gate_shared_stacks:
flexos__backend_gate_newlib:
	.cfi_startproc
	cmpb	%r10b, flexos__proc_self(%rip)	/* ids are below 64: one byte */
	jne	1f
	jmp	*%r11
1:
	pushq	%rbp
	.cfi_adjust_cfa_offset 8
	.cfi_offset %rbp, -16
	movq	%rsp, %rbp
	.cfi_def_cfa_register %rbp
	subq	$PROC_FRAME_SIZE, %rsp
	movq	%rdi, PROC_R_GPR + 0(%rsp)
	movq	%rsi, PROC_R_GPR + 8(%rsp)
	movq	%rdx, PROC_R_GPR + 16(%rsp)
	movq	%rcx, PROC_R_GPR + 24(%rsp)
	movq	%r8, PROC_R_GPR + 32(%rsp)
	movq	%r9, PROC_R_GPR + 40(%rsp)
	movq	%rax, PROC_R_RAX(%rsp)
	movaps	%xmm0, PROC_R_XMM + 0(%rsp)
	movaps	%xmm1, PROC_R_XMM + 16(%rsp)
	movaps	%xmm2, PROC_R_XMM + 32(%rsp)
	movaps	%xmm3, PROC_R_XMM + 48(%rsp)
	movaps	%xmm4, PROC_R_XMM + 64(%rsp)
	movaps	%xmm5, PROC_R_XMM + 80(%rsp)
	movaps	%xmm6, PROC_R_XMM + 96(%rsp)
	movaps	%xmm7, PROC_R_XMM + 112(%rsp)
	movq	%rsp, %rdi
	movq	%r11, %rsi
	movq	%r10, %rdx
	leaq	16(%rbp), %rcx			/* the caller's stack arguments */
	call	flexos__proc_gate
	movq	PROC_REGS_SIZE + PROC_RES_RAX(%rsp), %rax
	movq	PROC_REGS_SIZE + PROC_RES_RDX(%rsp), %rdx
	movaps	PROC_REGS_SIZE + PROC_RES_XMM(%rsp), %xmm0
	movaps	PROC_REGS_SIZE + PROC_RES_XMM + 16(%rsp), %xmm1
	movl	PROC_REGS_SIZE + PROC_RES_NX87(%rsp), %ecx
	testl	%ecx, %ecx
	jnz	2f
	.cfi_remember_state
	leave
	.cfi_def_cfa %rsp, 8
	.cfi_restore %rbp
	ret
	.cfi_restore_state
2:	cmpl	$1, %ecx			/* st(1) first, so that st(0) ends on top */
	je	3f
	fldt	PROC_REGS_SIZE + PROC_RES_X87 + 16(%rsp)
3:	fldt	PROC_REGS_SIZE + PROC_RES_X87(%rsp)
	leave
	.cfi_def_cfa %rsp, 8
	.cfi_restore %rbp
	ret
	.cfi_endproc
	.size	flexos__backend_gate, .-flexos__backend_gate
	.size	flexos__backend_gate_shared_stacks, .-flexos__backend_gate_shared_stacks
	.size	flexos__backend_gate_newlib, .-flexos__backend_gate_newlib

	.globl	flexos__backend_gate_int
	.type	flexos__backend_gate_int, @function
	.balign	16
flexos__backend_gate_int:
	.cfi_startproc
	cmpb	%r10b, flexos__proc_self(%rip)
	jne	1f
	jmp	*%r11
1:
	pushq	%rbp
	.cfi_adjust_cfa_offset 8
	.cfi_offset %rbp, -16
	movq	%rsp, %rbp
	.cfi_def_cfa_register %rbp
	subq	$48, %rsp
	movq	%rdi, 0(%rsp)
	movq	%rsi, 8(%rsp)
	movq	%rdx, 16(%rsp)
	movq	%rcx, 24(%rsp)
	movq	%r8, 32(%rsp)
	movq	%r9, 40(%rsp)
	movq	%rsp, %rdi
	movq	%r11, %rsi
	movzbl	%r10b, %edx
	call	flexos__proc_gate_int		/* returns rax:rdx */
	leave
	.cfi_def_cfa %rsp, 8
	.cfi_restore %rbp
	ret
	.cfi_endproc
	.size	flexos__backend_gate_int, .-flexos__backend_gate_int

/*
 * void flexos__proc_call(fn, regs, stack, nbytes, res): the server side's
 * call (and the direct one, in the caller's own process): the stack
 * arguments copied below a 16-byte aligned stack pointer, every argument
 * register loaded, and every result register stored. The x87 stack is
 * empty at a call, so its top (TOP in the status word) says how many
 * values the callee returned there (a long double: one; a complex one:
 * two); they are popped into res, as the caller's gate pushes them back.
 */
	.globl	flexos__proc_call
	.hidden	flexos__proc_call
	.type	flexos__proc_call, @function
	.balign	16
flexos__proc_call:
	.cfi_startproc
	pushq	%rbp
	.cfi_adjust_cfa_offset 8
	.cfi_offset %rbp, -16
	movq	%rsp, %rbp
	.cfi_def_cfa_register %rbp
	pushq	%rbx
	.cfi_offset %rbx, -24
	pushq	%r12
	.cfi_offset %r12, -32
	movq	%rsi, %rbx
	movq	%r8, %r12
	movq	%rdi, %r11
	leaq	15(%rcx), %rax
	andq	$-16, %rax
	subq	%rax, %rsp
	movq	%rdx, %rsi
	movq	%rsp, %rdi
	rep movsb
	movaps	PROC_R_XMM + 0(%rbx), %xmm0
	movaps	PROC_R_XMM + 16(%rbx), %xmm1
	movaps	PROC_R_XMM + 32(%rbx), %xmm2
	movaps	PROC_R_XMM + 48(%rbx), %xmm3
	movaps	PROC_R_XMM + 64(%rbx), %xmm4
	movaps	PROC_R_XMM + 80(%rbx), %xmm5
	movaps	PROC_R_XMM + 96(%rbx), %xmm6
	movaps	PROC_R_XMM + 112(%rbx), %xmm7
	movq	PROC_R_RAX(%rbx), %rax
	movq	PROC_R_GPR + 40(%rbx), %r9
	movq	PROC_R_GPR + 32(%rbx), %r8
	movq	PROC_R_GPR + 24(%rbx), %rcx
	movq	PROC_R_GPR + 16(%rbx), %rdx
	movq	PROC_R_GPR + 8(%rbx), %rsi
	movq	PROC_R_GPR + 0(%rbx), %rdi
	call	*%r11
	movq	%rax, PROC_RES_RAX(%r12)
	movq	%rdx, PROC_RES_RDX(%r12)
	movaps	%xmm0, PROC_RES_XMM(%r12)
	movaps	%xmm1, PROC_RES_XMM + 16(%r12)
	fnstsw	%ax
	shrl	$11, %eax
	negl	%eax
	andl	$7, %eax			/* values on the x87 stack: (8 - TOP) mod 8 */
	movl	%eax, PROC_RES_NX87(%r12)
	jz	2f
	fstpt	PROC_RES_X87(%r12)
	cmpl	$1, %eax
	je	2f
	fstpt	PROC_RES_X87 + 16(%r12)
2:	leaq	-16(%rbp), %rsp
	popq	%r12
	.cfi_restore %r12
	popq	%rbx
	.cfi_restore %rbx
	popq	%rbp
	.cfi_def_cfa %rsp, 8
	.cfi_restore %rbp
	ret
	.cfi_endproc
	.size	flexos__proc_call, .-flexos__proc_call
	.section .note.GNU-stack,"",@progbits
