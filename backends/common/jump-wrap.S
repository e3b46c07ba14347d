/*
 * The image's setjmps and longjmps, wrapped at link time (flexos-link
 * passes -Wl,--wrap for each name to images of isolating mechanisms), so
 * that a longjmp can cross gates back to its setjmp: docs/threat-model.md.
 *
 * setjmp returns twice, so its wrapper has no frame of its own when it
 * reaches the C library's: the backend's flexos__backend_setjmp(env,
 * savemask, the wrapper's stack pointer at entry, where the caller's
 * return address is) records what the backend needs, then the wrapper
 * jumps to __sigsetjmp with the caller's registers and stack untouched
 * (glibc's setjmp and _setjmp are __sigsetjmp with savemask 1 and 0).
 *
 * Each longjmp is flexos__backend_longjmp(env, value, the C library's
 * function), which the backend uses when no gate is crossed.
 */
	.text
	.globl	__wrap_setjmp
	.type	__wrap_setjmp, @function
__wrap_setjmp:
	.cfi_startproc
	movl	$1, %esi
	jmp	__wrap___sigsetjmp
	.cfi_endproc
	.size	__wrap_setjmp, .-__wrap_setjmp

	.globl	__wrap__setjmp
	.type	__wrap__setjmp, @function
__wrap__setjmp:
	.cfi_startproc
	xorl	%esi, %esi
	jmp	__wrap___sigsetjmp
	.cfi_endproc
	.size	__wrap__setjmp, .-__wrap__setjmp

	.globl	__wrap___sigsetjmp
	.type	__wrap___sigsetjmp, @function
__wrap___sigsetjmp:
	.cfi_startproc
	movq	%rsp, %rdx
	pushq	%rdi
	.cfi_adjust_cfa_offset 8
	pushq	%rsi
	.cfi_adjust_cfa_offset 8
	subq	$8, %rsp
	.cfi_adjust_cfa_offset 8
	call	flexos__backend_setjmp
	addq	$8, %rsp
	.cfi_adjust_cfa_offset -8
	popq	%rsi
	.cfi_adjust_cfa_offset -8
	popq	%rdi
	.cfi_adjust_cfa_offset -8
	jmp	*__real___sigsetjmp@GOTPCREL(%rip)
	.cfi_endproc
	.size	__wrap___sigsetjmp, .-__wrap___sigsetjmp

.macro LONGJMP name
	.globl	__wrap_\name
	.type	__wrap_\name, @function
__wrap_\name:
	.cfi_startproc
	movq	__real_\name@GOTPCREL(%rip), %rdx
	jmp	flexos__backend_longjmp
	.cfi_endproc
	.size	__wrap_\name, .-__wrap_\name
.endm

	LONGJMP longjmp
	LONGJMP _longjmp
	LONGJMP siglongjmp
	LONGJMP __longjmp_chk

	.section .note.GNU-stack,"",@progbits
