/*
 * The process backend's gate entry (contract in <flexos/backend.h>): %r11
 * holds the callee, %r10d its compartment, %rdi..%r9 the arguments.
 *
 * A call into the compartment of this very process (a callback the
 * compartment hands itself, say) is the plain tail call. Anything else
 * saves the six argument registers where C can read them and calls
 * flexos__proc_gate(args, fn, compartment), which carries the call to the
 * compartment's process and back.
 *
 * Each process has its own stacks whatever the image says, and a newlib
 * compartment's process simply never touches glibc's memory, so the
 * entries for shared stacks (flexos__backend_gate_shared_stacks) and for
 * images with newlib compartments (flexos__backend_gate_newlib) are this one.
 */
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
	cmpl	%r10d, flexos__proc_self(%rip)
	jne	1f
	jmp	*%r11
1:
	pushq	%rbp
	movq	%rsp, %rbp
	subq	$48, %rsp
	movq	%rdi, 0(%rsp)
	movq	%rsi, 8(%rsp)
	movq	%rdx, 16(%rsp)
	movq	%rcx, 24(%rsp)
	movq	%r8, 32(%rsp)
	movq	%r9, 40(%rsp)
	movq	%rsp, %rdi
	movq	%r11, %rsi
	movl	%r10d, %edx
	call	flexos__proc_gate
	leave
	ret
	.size	flexos__backend_gate, .-flexos__backend_gate
	.size	flexos__backend_gate_shared_stacks, .-flexos__backend_gate_shared_stacks
	.size	flexos__backend_gate_newlib, .-flexos__backend_gate_newlib
	.section .note.GNU-stack,"",@progbits
