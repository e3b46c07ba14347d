/*
 * The context switch of the scheduler. Only what the System V ABI says a
 * call preserves is saved: rbx, rbp, r12-r15, rsp, and the x87 control
 * word and MXCSR control bits; everything else the caller of a switch has
 * already given up. No signal mask is touched (ucontext's swapcontext makes
 * a sigprocmask system call on every switch).
 *
 * Frame of a suspended thread, from its saved stack pointer up:
 *     0: x87 control word (2 bytes), 4: MXCSR (4 bytes)
 *     8: r15, r14, r13, r12, rbx, rbp, then the return address.
 * sched.c builds the same frame for a new thread, with the return address
 * flexos__sched_trampoline and the thread in rbx.
 */

/* void flexos__sched_switch(void **save_sp, void *load_sp, struct flexos__switch_hook *hook) */
	.text
	.globl	flexos__sched_switch
	.hidden	flexos__sched_switch
	.type	flexos__sched_switch, @function
	.balign	16
flexos__sched_switch:
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	subq	$8, %rsp
	fnstcw	(%rsp)
	stmxcsr	4(%rsp)
	movq	%rsp, (%rdi)
	testq	%rdx, %rdx
	jz	1f
	/*
	 * The hook (backend.c) swaps the data shadow stack and the backend's
	 * thread state, on this thread's stack: no rights change here. It
	 * returns the backend's thread_resume, if it has one, from the
	 * read-only image descriptor: a backend whose switch changes rights
	 * (intel-mpk: PKRU) saves this thread and resumes the next from
	 * records of its own, and pops the frame above; it never comes back.
	 */
	movq	%rsi, %r12
	movq	%rdx, %r13
	movq	(%rdx), %rdi
	movq	8(%rdx), %rsi
	call	flexos__sched_hook
	movq	%r12, %rsi
	testq	%rax, %rax
	jz	1f
	movq	%r12, %rdi
	movq	16(%r13), %rsi
	jmp	*%rax
1:	movq	%rsi, %rsp
	fldcw	(%rsp)
	ldmxcsr	4(%rsp)
	addq	$8, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
	.size	flexos__sched_switch, .-flexos__sched_switch

/* A new thread's first frame returns here, with the thread in rbx. */
	.globl	flexos__sched_trampoline
	.hidden	flexos__sched_trampoline
	.type	flexos__sched_trampoline, @function
flexos__sched_trampoline:
	.cfi_startproc
	.cfi_undefined rip		/* the outermost frame: unwinders stop here */
	movq	%rbx, %rdi
	call	flexos__sched_thread_main
	ud2
	.cfi_endproc
	.size	flexos__sched_trampoline, .-flexos__sched_trampoline

	.section .note.GNU-stack,"",@progbits
