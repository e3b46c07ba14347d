/*
 * flexos__lend_gate: the stub of a gate with lendable pointer arguments
 * enters here instead of the backend's gate, with %r11/%r10 as the gate
 * contract says (<flexos/backend.h>) and %rax at the gate's struct
 * flexos_lend. Runs in the caller's compartment: lends (lend.c), calls
 * the backend's gate with the stack arguments copied below its own frame,
 * copies back what the callee wrote, and returns the callee's results.
 */
#include <flexos/backend.h>

#include "lend.h"

	.text
	.globl flexos__lend_gate
	.hidden flexos__lend_gate
	.type flexos__lend_gate, @function
	.balign 16
flexos__lend_gate:
	.cfi_startproc
	pushq %rbp
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	movq %rsp, %rbp
	.cfi_def_cfa_register %rbp
	subq $LEND_FRAME, %rsp
	movq %rdi, LEND_FR_REGS+0(%rsp)
	movq %rsi, LEND_FR_REGS+8(%rsp)
	movq %rdx, LEND_FR_REGS+16(%rsp)
	movq %rcx, LEND_FR_REGS+24(%rsp)
	movq %r8, LEND_FR_REGS+32(%rsp)
	movq %r9, LEND_FR_REGS+40(%rsp)
	movq %rax, LEND_FR_DESC(%rsp)
	movq %r10, LEND_FR_R10(%rsp)
	movq %r11, LEND_FR_R11(%rsp)
	movaps %xmm0, LEND_FR_XMM+0(%rsp)
	movaps %xmm1, LEND_FR_XMM+16(%rsp)
	movaps %xmm2, LEND_FR_XMM+32(%rsp)
	movaps %xmm3, LEND_FR_XMM+48(%rsp)
	movaps %xmm4, LEND_FR_XMM+64(%rsp)
	movaps %xmm5, LEND_FR_XMM+80(%rsp)
	movaps %xmm6, LEND_FR_XMM+96(%rsp)
	movaps %xmm7, LEND_FR_XMM+112(%rsp)
	movq %rsp, %rdi
	call flexos__lend_in

	/*
	 * The backend's gate finds the stack arguments at 8(%rsp) of its
	 * entry: a copy of the caller's, which are above our return address.
	 */
	movq LEND_FR_R10(%rsp), %rcx
	shrq $FLEXOS_GATE_STACK_SHIFT, %rcx
	andq $FLEXOS_GATE_FIELD_MASK, %rcx
	leaq 0(,%rcx,8), %rax
	subq %rax, %rsp
	andq $-16, %rsp
	leaq 16(%rbp), %rsi
	movq %rsp, %rdi
	rep movsq

	leaq -LEND_FRAME(%rbp), %rax
	movq LEND_FR_REGS+0(%rax), %rdi
	movq LEND_FR_REGS+8(%rax), %rsi
	movq LEND_FR_REGS+16(%rax), %rdx
	movq LEND_FR_REGS+24(%rax), %rcx
	movq LEND_FR_REGS+32(%rax), %r8
	movq LEND_FR_REGS+40(%rax), %r9
	movq LEND_FR_R10(%rax), %r10
	movq LEND_FR_R11(%rax), %r11
	movaps LEND_FR_XMM+0(%rax), %xmm0
	movaps LEND_FR_XMM+16(%rax), %xmm1
	movaps LEND_FR_XMM+32(%rax), %xmm2
	movaps LEND_FR_XMM+48(%rax), %xmm3
	movaps LEND_FR_XMM+64(%rax), %xmm4
	movaps LEND_FR_XMM+80(%rax), %xmm5
	movaps LEND_FR_XMM+96(%rax), %xmm6
	movaps LEND_FR_XMM+112(%rax), %xmm7
	/* The callee is not variadic: %rax carries nothing to it. */
	movq LEND_FR_DESC(%rax), %rax
	call *(%rax)

	leaq -LEND_FRAME(%rbp), %rsp
	movq %rax, LEND_FR_RAX(%rsp)
	movq %rdx, LEND_FR_RDX(%rsp)
	movaps %xmm0, LEND_FR_XRET(%rsp)
	movaps %xmm1, LEND_FR_XRET+16(%rsp)
	movq %rsp, %rdi
	movq %rax, %rsi
	call flexos__lend_out
	movq LEND_FR_RDX(%rsp), %rdx
	movaps LEND_FR_XRET(%rsp), %xmm0
	movaps LEND_FR_XRET+16(%rsp), %xmm1
	leave
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_endproc
	.size flexos__lend_gate, .-flexos__lend_gate

	.section .note.GNU-stack,"",@progbits
