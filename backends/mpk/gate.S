/*
 * The intel-mpk gate: the only code of the image that writes PKRU (with
 * the report path, the scheduler's switch flexos__mpk_thread_resume and
 * its records' helpers, flexos__mpk_start_main and the signal restorer
 * flexos__mpk_sigreturn below; and, in their own blocks at the end,
 * longjmp across gates, the signal delivery stub and the handler table's
 * writer).
 *
 * Entry (from a stub of flexos-link, contract in <flexos/backend.h>):
 * %r11 = callee, %r10 = callee's compartment id (and, above bit 7, what
 * the call passes in memory: see CARRY_PATH), arguments in rdi, rsi, rdx,
 * rcx, r8, r9, %rax and xmm0-7, the caller's return address at (%rsp).
 * For a call with register arguments only, the gate (PRIVATE_GATE)
 *   1. opens this thread's gate page for writing (OPEN_GATE: one more
 *      WRPKRU, checked), records the caller's stack pointer in sp[caller]
 *      and the caller on the page's list of gate calls, and moves to
 *      sp[callee], this thread's stack in the callee (allocated on first
 *      entry by flexos__mpk_gate_slow);
 *   2. writes the callee's PKRU, then masks the id and compares the value
 *      written with the read-only table: a jump straight to the WRPKRU
 *      with a forged %eax ends in flexos__mpk_gate_violation (as ERIM);
 *   3. calls the callee's entry, from the read-only entry table;
 *   4. on return opens the gate page again, restores sp[callee], takes
 *      the caller from the page's list (never from the callee's stack),
 *      goes back to sp[caller], writes and checks the caller's PKRU the
 *      same way, and clears the scratch registers that are not return
 *      values.
 * Nested gates and callbacks (A -> B -> A -> B) work because sp[] always
 * says where each suspended compartment's stack continues. A signal may
 * arrive while the page is open (steps 1-2 and 4): each such window may
 * run again from its start up to its commit, one store of cur and depth,
 * and the signal restorer resumes it there or at its closing switch
 * (COMMIT_CALL, WINDOW, WINDOW_RESUME).
 *
 * Fast path: 127 instructions besides the four WRPKRUs (see
 * docs/threat-model.md for how it was counted; 60 besides two before the
 * gate page).
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

/* The table of WINDOW (below), from flexos__mpk_windows to flexos__mpk_windows_end. */
	.pushsection .rodata.flexos_mpk_windows, "a", @progbits
	.balign	4
	.globl	flexos__mpk_windows
	.hidden	flexos__mpk_windows
flexos__mpk_windows:
	.popsection
/* <linux/sched.h> and <errno.h> are not for the assembler. */
#define MPK_CLONE_VFORK  0x00004000
#define MPK_CLONE_THREAD 0x00010000
#define MPK_CLONE_SETTLS 0x00080000
#define MPK_CLONE_CHILD_CLEARTID 0x00200000
#define MPK_EPERM        1
#define MPK_ESRCH        3
#define MPK_EAGAIN       11
#define MPK_EBUSY        16
#define MPK_EEXIST       17
#define MPK_ENOSPC       28
#define RDPKRU .byte 0x0f, 0x01, 0xee
#define T(off) %fs:flexos__mpk_thread@tpoff + (off)

/*
 * Unwind information across the stack switch (DWARF expressions, which
 * .cfi has no directive for): the gate keeps the caller's stack pointer
 * on the callee's side, so that backtrace(), the fault report and gdb
 * walk from the callee through the gate into the caller.
 * CFA_DEREF_RSP off: CFA = *(rsp + off) + 8 (the caller's return address
 * sits at its saved stack pointer). CFA_DEREF_RBX off, add: CFA =
 * *(rbx + off) + add. SAVED_BELOW_DEREF_RSP / SAVED_ABOVE_DEREF_RBX: where
 * SAVE_CALLEE_SAVED put the caller's callee-saved registers, which the
 * callee gets cleared: below the stack pointer kept at rsp + off (private
 * path), above the one kept at rbx + off (carry path).
 */
#define DW_CFA_def_cfa_expression 0x0f
#define DW_CFA_expression 0x10
#define DW_OP_breg3 0x73
#define DW_OP_breg14 0x7e
#define DW_OP_breg7 0x77
#define DW_OP_deref 0x06
#define DW_OP_plus_uconst 0x23
#define DW_OP_constu 0x10
#define DW_OP_minus 0x1c
/*
 * (DW_OP_breg7's offset is an SLEB128: one byte up to 63; two above, or
 * CFA_DEREF_RSP 200 read as rsp + 840 and lost its deref, a review found.)
 */
.macro CFA_DEREF_RSP off, add=8
	.if \off < 64
	.cfi_escape DW_CFA_def_cfa_expression, 5, DW_OP_breg7, \off, DW_OP_deref, DW_OP_plus_uconst, \add
	.else
	.cfi_escape DW_CFA_def_cfa_expression, 6, DW_OP_breg7, (\off & 0x7f) | 0x80, \off >> 7, DW_OP_deref, DW_OP_plus_uconst, \add
	.endif
.endm
.macro CFA_DEREF_RBX off, add
	.cfi_escape DW_CFA_def_cfa_expression, 5, DW_OP_breg3, \off, DW_OP_deref, DW_OP_plus_uconst, \add
.endm
.macro SAVED_BELOW_DEREF_RSP off
	.cfi_escape DW_CFA_expression, 3, 6, DW_OP_breg7, \off, DW_OP_deref, DW_OP_constu, 8, DW_OP_minus
	.cfi_escape DW_CFA_expression, 6, 6, DW_OP_breg7, \off, DW_OP_deref, DW_OP_constu, 16, DW_OP_minus
	.cfi_escape DW_CFA_expression, 12, 6, DW_OP_breg7, \off, DW_OP_deref, DW_OP_constu, 24, DW_OP_minus
	.cfi_escape DW_CFA_expression, 13, 6, DW_OP_breg7, \off, DW_OP_deref, DW_OP_constu, 32, DW_OP_minus
	.cfi_escape DW_CFA_expression, 14, 6, DW_OP_breg7, \off, DW_OP_deref, DW_OP_constu, 40, DW_OP_minus
	.cfi_escape DW_CFA_expression, 15, 6, DW_OP_breg7, \off, DW_OP_deref, DW_OP_constu, 48, DW_OP_minus
.endm
.macro SAVED_ABOVE_DEREF_RBX off
	.cfi_escape DW_CFA_expression, 3, 5, DW_OP_breg3, \off, DW_OP_deref, DW_OP_plus_uconst, 40
	.cfi_escape DW_CFA_expression, 6, 5, DW_OP_breg3, \off, DW_OP_deref, DW_OP_plus_uconst, 32
	.cfi_escape DW_CFA_expression, 12, 5, DW_OP_breg3, \off, DW_OP_deref, DW_OP_plus_uconst, 24
	.cfi_escape DW_CFA_expression, 13, 5, DW_OP_breg3, \off, DW_OP_deref, DW_OP_plus_uconst, 16
	.cfi_escape DW_CFA_expression, 14, 5, DW_OP_breg3, \off, DW_OP_deref, DW_OP_plus_uconst, 8
	.cfi_escape DW_CFA_expression, 15, 3, DW_OP_breg3, \off, DW_OP_deref
.endm

/*
 * Writes the PKRU of compartment %r10 from the read-only table,
 * then checks the value written against the read-only table: code that
 * jumps to the WRPKRU (at `checked`, a label the forged-gate tests use) with
 * a forged %eax ends in .Lviolation. \reload sets %r10 again between the
 * two, from what such a jump cannot forge: every switch but main's start
 * (which reads its own from the read-only page) reloads it from the gate
 * page, validated (CUR_AGAIN), which the gate wrote with the page open
 * right before; checked against %r10 alone, a jump with another
 * compartment's PKRU and id got that compartment's rights and the gate's
 * ret (attack --forge-pkru, docs/threat-model.md limit 2). Clobbers eax,
 * ecx, edx.
 */
.macro SWITCH_PKRU checked, reload:vararg
	andl	$(MPK_SLOTS - 1), %r10d
	leaq	flexos__mpk_pkru(%rip), %rdx
	movl	(%rdx,%r10,4), %eax
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	WRPKRU
	.globl	\checked
	.hidden	\checked
\checked:
	\reload
	andl	$(MPK_SLOTS - 1), %r10d
	leaq	flexos__mpk_pkru(%rip), %rdx
	cmpl	(%rdx,%r10,4), %eax
	jne	.Lviolation
.endm

/*
 * Right after SWITCH_PKRU's check in the shared-stack gate (%rdx =
 * flexos__mpk_pkru): only in an image with shared stacks, whose signal
 * gate (on the read-only PKRU page) is this one. Its way back returns
 * through the stack pointer it is given, which in an image with private
 * stacks would be a compartment's choice, with its caller's PKRU.
 * Clobbers rcx.
 */
.macro SHARED_STACKS_ONLY
	leaq	flexos__backend_gate_shared_stacks(%rip), %rcx
	cmpq	%rcx, MPK_PKRU_SIGGATE(%rdx)
	jne	.Lviolation
.endm

/*
 * This thread's gate page in \reg (struct mpk_gate_page), from the TLS
 * pointer, which any compartment can write, so validated: inside the
 * region reserved at start-up, page-aligned, and owned by this thread
 * (its FS base, read with RDFSBASE, where the kernel enables FSGSBASE).
 * No pointer yet: \none. Anything else ends in the report. Clobbers
 * \tmp.
 */
.macro LOAD_GP reg, tmp, none
	movq	%fs:flexos__mpk_thread@tpoff + MPK_T_GP, \reg
	testq	\reg, \reg
	jz	\none
	cmpq	flexos__mpk_ro+MPK_RO_GP_LO(%rip), \reg
	jb	.Lbad_gp
	cmpq	flexos__mpk_ro+MPK_RO_GP_HI(%rip), \reg
	jae	.Lbad_gp
	testq	$4095, \reg
	jnz	.Lbad_gp
	cmpl	$0, flexos__mpk_ro+MPK_RO_FSGSBASE(%rip)
	je	.Lgp_ok\@
	rdfsbase \tmp
	cmpq	\tmp, MPK_G_OWNER(\reg)
	jne	.Lbad_gp
.Lgp_ok\@:
.endm

/*
 * Opens this thread's gate page for writing (and key 0, for newlib
 * compartments) on top of the PKRU in force, then checks the value
 * written: it must be the open PKRU (MPK_PKRU_OPEN) of the compartment
 * the validated page says is running. A jump to the WRPKRU with a forged
 * %eax ends in .Lviolation; a jump past it finds the page read-only.
 * Out: %r11 = the page, %eax = the PKRU written. A thread without a page
 * gets one (flexos__mpk_claim). Clobbers ecx, edx.
 */
.macro OPEN_GATE checked
	xorl	%ecx, %ecx
	RDPKRU					/* edx = 0 */
	andl	flexos__mpk_pkru+MPK_PKRU_OPEN_MASK(%rip), %eax
	WRPKRU
	.globl	\checked
	.hidden	\checked
\checked:
	/*
	 * A compartment may leave DF set: every rep below copies up. After
	 * the WRPKRU, which a jump reaches with DF of its choice (a rep
	 * then ran down from the carry page or the page into the gate-key
	 * memory below: another thread's).
	 */
	cld
	LOAD_GP	%r11, %rcx, .Lclaim\@
.Lclaimed\@:
	movq	MPK_G_CUR(%r11), %rcx
	andl	$(MPK_SLOTS - 1), %ecx
	leaq	flexos__mpk_pkru(%rip), %rdx
	cmpl	MPK_PKRU_OPEN(%rdx,%rcx,4), %eax
	jne	.Lviolation
	jmp	.Lopen\@
	/* flexos__mpk_claim_path: back here by a jump, never a return address. */
.Lclaim\@:
	leaq	.Lclaim_back\@(%rip), %rcx
	jmp	flexos__mpk_claim_path
.Lclaim_back\@:
	LOAD_GP	%r11, %rcx, .Lbad_gp
	jmp	.Lclaimed\@
.Lopen\@:
.endm

/*
 * From the caller's stack to the gate stack of this thread's page (%r11,
 * validated, open: mpk.h, MPK_GATE_STACK_SHIFT), for C code run with the
 * page open: \room bytes (a multiple of 16) at %rsp, 16-byte aligned, the
 * caller's %rsp at 0(%rsp); back with `movq 0(%rsp), %rsp'. Clobbers rax, rcx.
 */
.macro ON_GATE_STACK room
	movq	%rsp, %rax
	movq	%r11, %rcx
	subq	flexos__mpk_ro+MPK_RO_GP_LO(%rip), %rcx
	shlq	$(MPK_GATE_STACK_SHIFT - 12), %rcx
	addq	flexos__mpk_ro+MPK_RO_GS_LO(%rip), %rcx
	leaq	((1 << MPK_GATE_STACK_SHIFT) - \room)(%rcx), %rsp
	movq	%rax, 0(%rsp)
.endm

/*
 * Back from ON_GATE_STACK: the C code's frames below %rsp and the \room
 * bytes above the caller's %rsp slot wiped (what is left on a gate stack
 * every compartment may read), then %rsp = the caller's. Clobbers rcx.
 */
.macro OFF_GATE_STACK room
	WIPE_BELOW 4096
	.if \room > 8
	movl	$((\room - 8) / 8), %ecx
.Loff\@:
	movq	$0, 0(%rsp,%rcx,8)
	decl	%ecx
	jnz	.Loff\@
	.endif
	movq	0(%rsp), %rsp
.endm

/*
 * Every signal but SIGSEGV and SIGSYS (mpk.h: MPK_FAULT_SIGNALS) held, the
 * mask as it was written at \old (memory, which also holds the set to
 * block for the call: the kernel reads it before it writes the old mask;
 * no read-only data, which a newlib compartment's PKRU may deny): for the
 * runtime's paths that open the gate page outside a gate call's windows,
 * where a signal's handler would end the image (limit 9). Clobbers rax,
 * rcx, rdx, rsi, rdi, r10, r11.
 */
.macro HOLD_SIGNALS old:vararg
	movq	$~MPK_FAULT_SIGNALS, \old
	movl	$SYS_rt_sigprocmask, %eax
	xorl	%edi, %edi			/* SIG_BLOCK */
	leaq	\old, %rsi
	movq	%rsi, %rdx
	movl	$8, %r10d
	syscall
.endm

/* The mask at \mask put in force (SIG_SETMASK). Clobbers rax, rcx, rdx, rsi, rdi, r10, r11. */
.macro SET_MASK mask:vararg
	movl	$SYS_rt_sigprocmask, %eax
	movl	$2, %edi			/* SIG_SETMASK */
	leaq	\mask, %rsi
	xorl	%edx, %edx
	movl	$8, %r10d
	syscall
.endm

/*
 * A gate's slow path: flexos__mpk_gate_slow(%r10b) on this thread's gate
 * stack, every register the gate took kept, then the gate again (\gate),
 * with the page closed (TO_CUR, checked at \checked): the gate's first
 * pushes go to the stack pointer it came with, which a jump to its
 * opening WRPKRU chooses (an attack review's: with the page still open
 * they wrote six words of a compartment's choice into another thread's
 * gate page, attack --slow-push). It is entered with the page closed
 * (the gate's window that found no stack closes it first: a signal before
 * that WRPKRU resumes there, WINDOW), holds signals (HOLD_SIGNALS, limit
 * 9), then opens the page (\open_checked) while C runs, and puts the mask
 * back only once the page is closed and the caller's stack is back: a
 * handler that runs then may take this slow path itself, from the gate
 * stack's top (with the mask put back on the gate stack, that overwrote
 * the caller's stack pointer there: attack --thread-storm ended the image).
 */
.macro SLOW_PATH gate, open_checked, checked
	/* Entered with the page closed, every register as at the gate's entry. */
	movq	%rax, %xmm8
	movq	%rcx, %xmm9
	movq	%rdx, %xmm10
	movq	%rsi, %xmm11
	movq	%rdi, %xmm12
	movq	%r10, %xmm13
	movq	%r11, %xmm14
	subq	$8, %rsp			/* (below the caller's return address) */
	.cfi_adjust_cfa_offset 8
	HOLD_SIGNALS (%rsp)
	movq	(%rsp), %xmm15			/* the mask as it was */
	addq	$8, %rsp
	.cfi_adjust_cfa_offset -8
	OPEN_GATE \open_checked
	movq	%r11, %rax
	subq	flexos__mpk_ro+MPK_RO_GP_LO(%rip), %rax
	shlq	$(MPK_GATE_STACK_SHIFT - 12), %rax
	addq	flexos__mpk_ro+MPK_RO_GS_LO(%rip), %rax
	addq	$(1 << MPK_GATE_STACK_SHIFT), %rax
	movq	%rsp, %rcx
	movq	%rax, %rsp
	.cfi_def_cfa %rcx, 8			/* (the caller's %rsp, until pushed) */
	pushq	%rcx
	CFA_DEREF_RSP 0
	movq	%xmm8, %rax
	movq	%xmm9, %rcx
	movq	%xmm10, %rdx
	movq	%xmm11, %rsi
	movq	%xmm12, %rdi
	movq	%xmm13, %r10
	movq	%xmm14, %r11
	SAVE_GATE_REGS 0
	subq	$16, %rsp
	CFA_DEREF_RSP 216
	movq	%xmm15, (%rsp)			/* (C may use every vector register) */
	movzbl	%r10b, %edi
	call	flexos__mpk_gate_slow
	movq	(%rsp), %xmm13
	addq	$16, %rsp
	CFA_DEREF_RSP 200
	RESTORE_GATE_REGS 0
	CFA_DEREF_RSP 0
	movq	%rcx, %xmm8			/* (the gate starts over: xmm8-15 are free) */
	WIPE_BELOW 4096
	movq	%rax, %xmm9
	movq	%rdx, %xmm10
	movq	%r10, %xmm11
	movq	%r11, %xmm12
	LOAD_GP	%r11, %rcx, .Lbad_gp
	TO_CUR	\checked, SIG_CHECK_GP %r11, %rcx
	popq	%rsp
	.cfi_def_cfa %rsp, 8
	/*
	 * The mask back on the caller's stack, off the gate stack: a handler
	 * that runs once it is (and crosses into a compartment for the first
	 * time itself) takes the gate stack from its top.
	 */
	movq	%rdi, %xmm14
	movq	%rsi, %xmm15
	movq	%xmm13, -8(%rsp)
	SET_MASK -8(%rsp)
	movq	%xmm14, %rdi
	movq	%xmm15, %rsi
	movq	%xmm8, %rcx
	movq	%xmm9, %rax
	movq	%xmm10, %rdx
	movq	%xmm11, %r10
	movq	%xmm12, %r11
	jmp	\gate
.endm

/*
 * PRIVATE_GATE's slow block (\label, where its window jumps when this
 * thread has no stack in the callee): the page closed first (TO_CUR,
 * checked at \close_checked), a window that is only a tail (a signal
 * before that WRPKRU resumes at \label with the caller's PKRU); then the
 * registers as at the gate's entry (the window kept them in xmm8 and
 * xmm11-15), for SLOW_PATH.
 */
.macro REGISTER_SLOW_BLOCK label, close_checked
\label:
	/* (the window's stack: SAVE_CALLEE_SAVED's six words below the entry's) */
	.cfi_def_cfa_offset 56
	TO_CUR	\close_checked, SIG_CHECK_GP %r11, %rcx
	WINDOW \label, \label, \close_checked, \label
	movq	%xmm11, %rsp
	.cfi_def_cfa_offset 8
	movq	%xmm13, %rax
	movq	%xmm14, %rdx
	movq	%xmm15, %rcx
	movq	%xmm12, %r11
	movq	%xmm8, %r10
	STUB_R10
.endm

/*
 * Writes %al, the caller's id, into the slot above the page's (%r11) list
 * of gate calls, with the caller's MXCSR control bits and x87 control
 * word (MPK_G_FPCTL: stmxcsr writes 4 bytes, whose upper half, reserved
 * and 0, the control word then takes; the status flags are not kept,
 * every compartment may read the page). Out: %rcx the depth with it,
 * which COMMIT_CALL stores: until then the slot is not on the list, and
 * writing it again changes nothing.
 */
.macro PUSH_CALLER
	movq	MPK_G_DEPTH(%r11), %rcx
	cmpq	$MPK_G_MAX_DEPTH, %rcx
	jae	.Lbad_depth
	movb	%al, MPK_G_IDS(%r11,%rcx)
	stmxcsr	MPK_G_FPCTL(%r11,%rcx,4)
	andb	$~MPK_MXCSR_FLAGS, MPK_G_FPCTL(%r11,%rcx,4)
	fnstcw	MPK_G_FPCTL+2(%r11,%rcx,4)
	incq	%rcx
.endm

/*
 * The caller's id of the innermost gate call in %r10, and its
 * floating-point control (PUSH_CALLER) in %r9d, for FP_CONTROL_BACK; out:
 * %rcx the depth without it, which COMMIT_CALL stores (the pop). Writes
 * nothing.
 */
.macro POP_CALLER
	movq	MPK_G_DEPTH(%r11), %rcx
	subq	$1, %rcx
	cmpq	$MPK_G_MAX_DEPTH, %rcx		/* (0 - 1 too) */
	jae	.Lbad_depth
	movl	MPK_G_FPCTL(%r11,%rcx,4), %r9d
	movzbl	MPK_G_IDS(%r11,%rcx), %r10d
	andl	$(MPK_SLOTS - 1), %r10d
.endm

/*
 * A gate call's switch on the page (%r11): cur = %r10 and depth = %rcx
 * (PUSH_CALLER's or POP_CALLER's), in one store (mpk.h: MPK_G_DEPTH), the
 * last instruction before \tail. A signal that finds the page open
 * therefore finds it either as before the call's switch, or as after it
 * with only SWITCH_PKRU's WRPKRU, which writes nothing, to come: the
 * restorer resumes the first at the window's start and the second at
 * \tail (WINDOW). Clobbers \x (an xmm register).
 */
.macro COMMIT_CALL tail, x=%xmm8, loaded=0
	.if !\loaded
	movq	%r10, \x
	.endif
	pinsrq	$1, %rcx, \x
	movdqu	\x, MPK_G_CUR(%r11)
\tail:
.endm

/*
 * A window of a gate path, for the signal restorer (SIGRETURN_COPY,
 * WINDOW_RESUME): from \lo, right after its opening WRPKRU, to \hi, right
 * after its closing one, the thread runs with the gate page open. A
 * signal there is delivered as usual, and its frame, if its rip lies in
 * [\lo, \tail), resumes at \restart (the window's OPEN_GATE, which redoes
 * what the window did before its commit: that writes nothing a second
 * run would not write the same), and if it lies in [\tail, \hi), at \tail
 * (the closing switch, which writes nothing before its WRPKRU); either
 * with the PKRU of the compartment the gate page names, not the open
 * one. So a frame (a real one, or one another thread rewrote before the
 * delivery stub's snapshot) resumes only where that compartment could
 * jump itself. Offsets from flexos__mpk_gate_text_lo, which the PKRU
 * table's page has as addresses from start-up on (signal.c).
 */
.macro WINDOW lo, tail, hi, restart
	.pushsection .rodata.flexos_mpk_windows, "a", @progbits
	.long	\lo - flexos__mpk_gate_text_lo, \tail - flexos__mpk_gate_text_lo
	.long	\hi - flexos__mpk_gate_text_lo, \restart - flexos__mpk_gate_text_lo
	.popsection
.endm

/*
 * Right after the way back's SWITCH_PKRU, on the caller's side (its stack,
 * its PKRU, the page closed): the caller's MXCSR control bits and x87
 * control word (%r9d, from POP_CALLER) back, which the ABI makes
 * callee-saved, so that a callee cannot change its caller's rounding,
 * exception masks, flush-to-zero or precision (limit 6 of
 * docs/threat-model.md). The MXCSR's status flags stay the callee's, as
 * after a plain call. An x87 exception the callee left pending was
 * raised by the FWAIT after its call, on its side, so FLDCW raises none
 * here. Uses the 8 bytes below %rsp. Clobbers eax, edx, r9.
 */
.macro FP_CONTROL_BACK
	stmxcsr	-8(%rsp)
	movl	-8(%rsp), %eax
	andl	$MPK_MXCSR_FLAGS, %eax
	movzwl	%r9w, %edx
	orl	%edx, %eax
	movl	%eax, -8(%rsp)
	ldmxcsr	-8(%rsp)
	shrl	$16, %r9d
	movw	%r9w, -8(%rsp)
	fldcw	-8(%rsp)
.endm

/*
 * Right after SWITCH_PKRU's check on the way into a compartment (%r10 its
 * id, %rdx = flexos__mpk_pkru): %r11, the entry index the stub passed
 * (<flexos/backend.h>), must name an entry of the image's read-only
 * table whose compartment is %r10; %r11 becomes that entry's function.
 * The stub's callee address is never called: a jump to the WRPKRU with a
 * forged %r11 reaches only an entry of the compartment whose PKRU it
 * got. The entry's flags (FLEXOS_ENTRY_*: the registers of the call) in
 * \flags, an xmm register (0 where the index names no entry). Clobbers
 * rdx.
 */
.macro CHECK_ENTRY bad_index, flags
	pxor	\flags, \flags
	movl	%r11d, %r11d
	cmpl	flexos__image+MPK_IMAGE_NENTRIES(%rip), %r11d
	jae	\bad_index
	movq	%r11, %rdx
	shlq	$MPK_ENTRY_SHIFT, %rdx
	addq	flexos__image+MPK_IMAGE_ENTRIES(%rip), %rdx
	cmpl	8(%rdx), %r10d
	jne	.Lbad_entry
	movq	(%rdx), %r11
	movq	MPK_ENTRY_FLAGS(%rdx), %rdx	/* and the narrow arguments' bits (32-63) */
	movq	%rdx, \flags
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
 * 128 bytes at (%rsp) to or from the 8 vector registers named, in order:
 * xmm\first at 0, the next at 16...
 */
.macro STORE_XMMS first, regs:vararg
	.irp r, \regs
	movdqu	%xmm\r, ((\r - \first) * 16)(%rsp)
	.endr
.endm
.macro LOAD_XMMS first, regs:vararg
	.irp r, \regs
	movdqu	((\r - \first) * 16)(%rsp), %xmm\r
	.endr
.endm

/*
 * Around a C call on a gate's slow path: everything the callee may receive
 * (the argument registers, %rax, xmm0-7) and the stub's %r10/%r11 survive
 * it, and the stack stays 16-byte aligned.
 */
.macro SAVE_GATE_REGS cfi=1
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
	STORE_XMMS 0, 0, 1, 2, 3, 4, 5, 6, 7
	.if \cfi
	.cfi_adjust_cfa_offset 200
	.endif
.endm

.macro RESTORE_GATE_REGS cfi=1
	LOAD_XMMS 0, 0, 1, 2, 3, 4, 5, 6, 7
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
	.if \cfi
	.cfi_adjust_cfa_offset -200
	.endif
.endm

/* xmm8-15 too, which the gate's paths keep values in across OPEN_GATE's claim. */
.macro SAVE_VECTORS_HI
	subq	$128, %rsp
	STORE_XMMS 8, 8, 9, 10, 11, 12, 13, 14, 15
.endm

.macro RESTORE_VECTORS_HI
	LOAD_XMMS 8, 8, 9, 10, 11, 12, 13, 14, 15
	addq	$128, %rsp
.endm

/*
 * The \size bytes below %rsp zeroed (a multiple of 8): what C code left on
 * a gate stack or the claim's (gate key, which every compartment may
 * read), the caller's saved registers among it. Clobbers rcx.
 */
.macro WIPE_BELOW size
	leaq	-\size(%rsp), %rcx
.Lwipe\@:
	movq	$0, (%rcx)
	addq	$8, %rcx
	cmpq	%rsp, %rcx
	jb	.Lwipe\@
.endm

/*
 * The caller's callee-saved registers go on its own stack, which the
 * callee cannot write (private stacks), and come back from there once the
 * caller's PKRU is back: whatever the callee leaves in them changes
 * nothing of its caller's, and the callee gets them cleared (limit 6 of
 * docs/threat-model.md).
 */
.macro SAVE_CALLEE_SAVED
	pushq	%rbx
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	.cfi_adjust_cfa_offset 48
.endm

/*
 * %rsp at SAVE_CALLEE_SAVED's block, \above bytes of the gate's below the
 * caller's return address; the CFA must be %rsp + 56 + \above.
 */
.macro RESTORE_CALLEE_SAVED above
	.cfi_offset %rbx, -16 - \above
	.cfi_offset %rbp, -24 - \above
	.cfi_offset %r12, -32 - \above
	.cfi_offset %r13, -40 - \above
	.cfi_offset %r14, -48 - \above
	.cfi_offset %r15, -56 - \above
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	.cfi_adjust_cfa_offset -48
	.cfi_restore %rbx
	.cfi_restore %rbp
	.cfi_restore %r12
	.cfi_restore %r13
	.cfi_restore %r14
	.cfi_restore %r15
.endm

/* pxor of each xmm register named (by number) with itself. */
.macro CLEAR_XMMS regs:vararg
	.irp r, \regs
	pxor	%xmm\r, %xmm\r
	.endr
.endm

/*
 * Right before the call: of the caller's registers the callee gets only
 * its arguments; its callee-saved ones (but rbx, the carry path's frame,
 * with rbx=0) and the gate's vector temporaries are cleared.
 */
.macro CLEAR_FOR_CALLEE rbx=1
	.if \rbx
	xorl	%ebx, %ebx
	.endif
	xorl	%ebp, %ebp
	xorl	%r12d, %r12d
	xorl	%r13d, %r13d
	xorl	%r14d, %r14d
	xorl	%r15d, %r15d
	CLEAR_XMMS	8, 9, 10, 11, 12, 13, 14, 15
	CLEAR_EVEX
.endm

/* VZEROUPPER where the host has AVX (MPK_PKRU_AVX): the ymm registers' upper halves cleared. */
.macro ZERO_UPPER_HALVES
	cmpl	$0, flexos__mpk_pkru+MPK_PKRU_AVX(%rip)
	je	.Lno_avx\@
	vzeroupper
.Lno_avx\@:
.endm

/*
 * The x87 registers (st/mm, which FXSAVE shows whatever their tags say):
 * \n zeros pushed, which overwrite the \n physical registers below the
 * stack's top; EMMS after 8 (the top is back where it was) marks them
 * empty again, POP_X87 pops fewer (limit 6 of docs/threat-model.md). The
 * first is loaded from the PKRU table's page, which every compartment
 * reads, so that the last x87 data pointer FXSAVE shows is that word's,
 * not the other side's last operand's address.
 */
.macro CLEAR_X87 n
	flds	flexos__mpk_pkru+MPK_PKRU_X87_ZERO(%rip)
	.rept \n - 1
	fldz
	.endr
.endm
.macro POP_X87 n
	.rept \n
	fstp	%st(0)
	.endr
.endm

/*
 * In CLEAR_ARGS: the bits of the argument registers that a narrow
 * argument does not use (FLEXOS_NARROW_*, <flexos/image.h>: the entry's
 * narrow word, bits 32-63 of \flags) are cleared: an int's upper half, a
 * double's or a float's register past its quadword or doubleword, which
 * the callee would otherwise get as its caller left them. Three
 * instructions where no argument is narrow. Clobbers rax, r10.
 */
.macro NARROW_ARGS flags
	movq	\flags, %r10
	shrq	$32, %r10
	jz	.Lna_done\@
	testb	$0x3f, %r10b
	jz	.Lna_sse\@
	NARROW_INT 0, %edi
	NARROW_INT 1, %esi
	NARROW_INT 2, %edx
	NARROW_INT 3, %ecx
	NARROW_INT 4, %r8d
	NARROW_INT 5, %r9d
.Lna_sse\@:
	testl	$0xffff00, %r10d
	jz	.Lna_done\@
	NARROW_SSE 0
	NARROW_SSE 1
	NARROW_SSE 2
	NARROW_SSE 3
	NARROW_SSE 4
	NARROW_SSE 5
	NARROW_SSE 6
	NARROW_SSE 7
.Lna_done\@:
.endm

/* Integer register \i (its 32-bit name \reg32): its upper half cleared if narrow. */
.macro NARROW_INT i, reg32
	testb	$(1 << \i), %r10b
	jz	.Lni\@
	movl	\reg32, \reg32
.Lni\@:
.endm

/* xmm\i: bits 64-127 cleared (NARROW_Q), or bits 32-127 (NARROW_D). */
.macro NARROW_SSE i
	testl	$(0x10100 << \i), %r10d
	jz	.Lns\@
	movq	%xmm\i, %xmm\i
	testl	$(0x10000 << \i), %r10d
	jz	.Lns\@
	pslldq	$12, %xmm\i
	psrldq	$12, %xmm\i
.Lns\@:
.endm

/*
 * In CARRY_PATH, after CHECK_ENTRY (%rdi the entry index it checked):
 * the entry's narrow_stack (<flexos/image.h>), the stack arguments of at
 * most 4 bytes, into %r10d (free until CLEAR_ARGS). Clobbers rdi.
 */
.macro NARROW_STACK_MASK
	shlq	$MPK_ENTRY_SHIFT, %rdi
	addq	flexos__image+MPK_IMAGE_ENTRIES(%rip), %rdi
	movl	MPK_ENTRY_NARROW_STACK(%rdi), %r10d
.endm

/*
 * Then, once the stack arguments are copied to the callee's stack, at
 * \args: the upper half of each of those is cleared there, with the
 * callee's PKRU (not in the carry page, which only the gate page's
 * opening writes: gate key). Clobbers ecx, edx, r10.
 */
.macro NARROW_STACK_CLEAR args
	testl	%r10d, %r10d
	jz	.Lns_done\@
.Lns_next\@:
	bsfl	%r10d, %ecx
	movl	$0, 4(\args,%rcx,8)
	leal	-1(%r10), %edx
	andl	%edx, %r10d
	jnz	.Lns_next\@
.Lns_done\@:
.endm

/*
 * Right before the call, the entry's flags in \flags (CHECK_ENTRY): where
 * the table knows the call's registers (FLEXOS_ENTRY_REGS,
 * <flexos/image.h>), the integer and vector argument registers past those
 * its arguments take, %rax (%al means nothing to a call that is not
 * variadic) and the upper halves of the vector registers are cleared:
 * the callee gets nothing of its caller's but its arguments. Else
 * nothing. Clobbers r10 (and rax then).
 */
.macro CLEAR_ARGS flags
	CLEAR_X87 8				/* (the ABI: the x87 stack is empty at every call) */
	emms
	movq	\flags, %r10
	testl	$FLEXOS_ENTRY_REGS, %r10d
	jz	.Lca_done\@
	ZERO_UPPER_HALVES			/* (first: the pxors below are then no AVX-SSE transition) */
	shrl	$FLEXOS_ENTRY_NINT_SHIFT, %r10d
	movl	%r10d, %eax
	andl	$7, %eax
	cmpl	$1, %eax
	jb	.Lca_i0\@
	je	.Lca_i1\@
	cmpl	$3, %eax
	jb	.Lca_i2\@
	je	.Lca_i3\@
	cmpl	$5, %eax
	jb	.Lca_i4\@
	je	.Lca_i5\@
	jmp	.Lca_i6\@
.Lca_i0\@:
	xorl	%edi, %edi
.Lca_i1\@:
	xorl	%esi, %esi
.Lca_i2\@:
	xorl	%edx, %edx
.Lca_i3\@:
	xorl	%ecx, %ecx
.Lca_i4\@:
	xorl	%r8d, %r8d
.Lca_i5\@:
	xorl	%r9d, %r9d
.Lca_i6\@:
	shrl	$(FLEXOS_ENTRY_NSSE_SHIFT - FLEXOS_ENTRY_NINT_SHIFT), %r10d
	andl	$15, %r10d
	cmpl	$1, %r10d
	jb	.Lca_x0\@
	je	.Lca_x1\@
	cmpl	$3, %r10d
	jb	.Lca_x2\@
	je	.Lca_x3\@
	cmpl	$5, %r10d
	jb	.Lca_x4\@
	je	.Lca_x5\@
	cmpl	$7, %r10d
	jb	.Lca_x6\@
	je	.Lca_x7\@
	jmp	.Lca_x8\@
.Lca_x0\@:
	pxor	%xmm0, %xmm0
.Lca_x1\@:
	pxor	%xmm1, %xmm1
.Lca_x2\@:
	pxor	%xmm2, %xmm2
.Lca_x3\@:
	pxor	%xmm3, %xmm3
.Lca_x4\@:
	pxor	%xmm4, %xmm4
.Lca_x5\@:
	pxor	%xmm5, %xmm5
.Lca_x6\@:
	pxor	%xmm6, %xmm6
.Lca_x7\@:
	pxor	%xmm7, %xmm7
.Lca_x8\@:
	NARROW_ARGS \flags
	xorl	%eax, %eax
.Lca_done\@:
.endm

/*
 * On the way back, the entry's flags in \flags: where the table knows the
 * call's registers, the result registers the callee's result does not
 * take (rax, rdx, xmm0, xmm1) and the upper halves of the vector
 * registers are cleared: the caller gets nothing of the callee's but its
 * result. Clobbers rcx (0 after).
 */
.macro CLEAR_RESULTS flags
	movq	\flags, %rcx
	testl	$FLEXOS_ENTRY_REGS, %ecx
	jz	.Lcr_done\@
	ZERO_UPPER_HALVES
	/* The x87 registers but the result's: zeros pushed into them, then popped. */
	testl	$(FLEXOS_ENTRY_RET_ST0 | FLEXOS_ENTRY_RET_ST1), %ecx
	jnz	.Lcr_st\@
	CLEAR_X87 8
	emms
	jmp	.Lcr_x87\@
.Lcr_st\@:
	testl	$FLEXOS_ENTRY_RET_ST1, %ecx
	jnz	.Lcr_st1\@
	CLEAR_X87 7
	POP_X87 7
	jmp	.Lcr_x87\@
.Lcr_st1\@:
	CLEAR_X87 6
	POP_X87 6
.Lcr_x87\@:
	testl	$FLEXOS_ENTRY_RET_RAX, %ecx
	jnz	.Lcr_rax\@
	xorl	%eax, %eax
.Lcr_rax\@:
	testl	$FLEXOS_ENTRY_RET_RDX, %ecx
	jnz	.Lcr_rdx\@
	xorl	%edx, %edx
.Lcr_rdx\@:
	testl	$FLEXOS_ENTRY_RET_XMM0, %ecx
	jnz	.Lcr_xmm0\@
	pxor	%xmm0, %xmm0
.Lcr_xmm0\@:
	testl	$FLEXOS_ENTRY_RET_XMM1, %ecx
	jnz	.Lcr_xmm1\@
	pxor	%xmm1, %xmm1
.Lcr_xmm1\@:
	/* And the part of a result's register the result does not take. */
	testl	$FLEXOS_ENTRY_RET_EAX, %ecx
	jz	.Lcr_eax\@
	movl	%eax, %eax
.Lcr_eax\@:
	testl	$FLEXOS_ENTRY_RET_XMM0_Q, %ecx
	jz	.Lcr_q\@
	movq	%xmm0, %xmm0
.Lcr_q\@:
	testl	$FLEXOS_ENTRY_RET_XMM0_D, %ecx
	jz	.Lcr_d\@
	insertps $0x0e, %xmm0, %xmm0		/* (SSE4.1: every CPU with protection keys has it) */
.Lcr_d\@:
.Lcr_done\@:
	xorl	%ecx, %ecx
.endm

/* On the way back: the vector registers that carry no result (xmm0 and xmm1 may). */
.macro CLEAR_VECTORS
	CLEAR_XMMS	2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	CLEAR_EVEX
.endm

/*
 * Where the host has AVX-512 (MPK_PKRU_AVX512): xmm16-xmm31 (their zmm
 * whole: an EVEX write zeroes the rest) and the mask registers k0-k7,
 * which no argument or result takes (the ABI passes masks in integer
 * registers) and which glibc's EVEX string functions leave holding the
 * bytes they copied, compared or searched (memcpy's ymm16 and up,
 * strlen's k0): cleared on the way into a compartment and on the way
 * back (limit 6 of docs/threat-model.md).
 */
.macro CLEAR_EVEX
	cmpl	$0, flexos__mpk_pkru+MPK_PKRU_AVX512(%rip)
	je	.Lno_evex\@
	vpxord	%xmm16, %xmm16, %xmm16
	vpxord	%xmm17, %xmm17, %xmm17
	vpxord	%xmm18, %xmm18, %xmm18
	vpxord	%xmm19, %xmm19, %xmm19
	vpxord	%xmm20, %xmm20, %xmm20
	vpxord	%xmm21, %xmm21, %xmm21
	vpxord	%xmm22, %xmm22, %xmm22
	vpxord	%xmm23, %xmm23, %xmm23
	vpxord	%xmm24, %xmm24, %xmm24
	vpxord	%xmm25, %xmm25, %xmm25
	vpxord	%xmm26, %xmm26, %xmm26
	vpxord	%xmm27, %xmm27, %xmm27
	vpxord	%xmm28, %xmm28, %xmm28
	vpxord	%xmm29, %xmm29, %xmm29
	vpxord	%xmm30, %xmm30, %xmm30
	vpxord	%xmm31, %xmm31, %xmm31
	kxorw	%k0, %k0, %k0
	kxorw	%k1, %k1, %k1
	kxorw	%k2, %k2, %k2
	kxorw	%k3, %k3, %k3
	kxorw	%k4, %k4, %k4
	kxorw	%k5, %k5, %k5
	kxorw	%k6, %k6, %k6
	kxorw	%k7, %k7, %k7
.Lno_evex\@:
.endm

/*
 * The way out of every gate: the callee's result (kept in xmm14/xmm15
 * across the PKRU switch) back in rax/rdx, and nothing else of the
 * callee's: the argument registers and the vector registers but xmm0 and
 * xmm1 are cleared (and those of the results the entry's flags, in
 * \flags, say the callee does not return: CLEAR_RESULTS), rcx is 0, r10
 * and r11 hold compartment ids. An x87 result (st(0), st(1)) stays;
 * the other x87 registers are overwritten where the flags know it.
 */
.macro RETURN_RESULT flags
	movq	%xmm14, %rax
	movq	%xmm15, %rdx
	CLEAR_RESULTS \flags
	xorl	%esi, %esi
	xorl	%edi, %edi
	xorl	%r8d, %r8d
	xorl	%r9d, %r9d
	CLEAR_VECTORS
	ret
.endm

/*
 * The first \words words (a register OPEN_GATE keeps, not 0) of this
 * thread's carry page zeroed, with the gate page opened for the
 * compartment it names, then closed again (checked as the gate's other
 * switches): every compartment may read the carry page (gate key), and
 * what a call's carry copied there is its caller's or callee's alone
 * (limit 3). Clobbers eax, ecx, edx, rdi, r10, r11.
 */
.macro CARRY_CLEAR words, open_checked, close_checked
.Lclear_restart\@:				/* (a window with nothing to commit: WINDOW) */
	OPEN_GATE \open_checked
	movq	MPK_G_CARRY(%r11), %rdi		/* (not TLS: the page is open) */
	/*
	 * At most 255 words, inside this thread's carry page, whatever
	 * \words holds: a jump to the WRPKRU above, with the compartment's
	 * own open PKRU, chooses it (it zeroed on up to the gate page's cur).
	 */
	movzbl	\words, %ecx
	xorl	%eax, %eax
	rep stosq
.Lclear_tail\@:
	TO_CUR	\close_checked, SIG_CHECK_GP %r11, %rcx
	WINDOW \open_checked, .Lclear_tail\@, \close_checked, .Lclear_restart\@
.endm

/* The carry path's register arguments back from xmm8-13, where they wait (CARRY_PATH). */
.macro CARRY_ARGS_BACK
	movq	%xmm8, %rdi
	movq	%xmm9, %rsi
	movq	%xmm10, %rdx
	movq	%xmm11, %rcx
	movq	%xmm12, %r8
	movq	%xmm13, %r9
.endm

/*
 * Calls with stack arguments or an sret result (%r10 above the id: see
 * <flexos/backend.h>). The callee's PKRU cannot read the caller's stack,
 * and the caller's cannot write the callee's, so the arguments cross
 * through this thread's carry page (mpk.h), which both can reach:
 *   1. the register arguments and %rax wait in xmm8-14 (rep movsq and
 *      WRPKRU need rdi, rsi, rcx, eax, edx), the entry index in xmm15;
 *      the caller's sret pointer, the carry and its callee-saved
 *      registers pushed on its stack, where the callee cannot change
 *      them, with its PKRU; then the gate page is opened (OPEN_GATE),
 *      %r10 split into the id and the carry (in r9);
 *   2. stack arguments to the carry page;
 *   3. the caller's id onto the gate page's list, onto the callee's
 *      stack and PKRU (checked); there: the caller's stack pointer (for
 *      unwinders), a 0 where the caller's rbx was and the carry, then rbx = that frame
 *      (rbx is callee-saved: it survives the call), an sret buffer, the
 *      stack arguments copied from the carry page, 16-byte aligned, and
 *      the registers back; the call;
 *   4. on return the gate page opened again: the sret result to the carry
 *      page; the caller's id from the gate page, back onto the caller's
 *      stack and PKRU (checked), and from the carry page to the caller's
 *      pointer, which is returned in rax.
 * After each copy out of the carry page (3 and 4), the words copied are
 * cleared there (CARRY_CLEAR), so that no other compartment reads a
 * call's stack arguments or sret result afterwards.
 * slow: where to go when this thread has no stack in the callee or no
 * carry page yet, with the registers as at the gate's entry.
 */
.macro CARRY_PATH entry_checked, exit_checked, open_checked, reopen_checked, clear_open_checked, clear_checked, clear_back_open_checked, clear_back_checked, slow, slow_close_checked
	movq	%rdi, %xmm8
	movq	%rsi, %xmm9
	movq	%rdx, %xmm10
	movq	%rcx, %xmm11
	movq	%r8, %xmm12
	movq	%r9, %xmm13
	movq	%rax, %xmm14
	movq	%r11, %xmm15			/* the entry index */
	/*
	 * The caller's sret pointer, the carry and its callee-saved
	 * registers on its stack, with its PKRU, before the page is open:
	 * the caller's %rsp is its own, and could point at gate-key memory.
	 */
	pushq	%rdi
	pushq	%r10
	.cfi_adjust_cfa_offset 16
	SAVE_CALLEE_SAVED
	/*
	 * The stack arguments, which the gate copies with the page open (a
	 * newlib compartment's open PKRU also reads key 0), read here with
	 * the caller's PKRU: their first and last bytes (at most 2040 bytes,
	 * so at most two pages), so that they lie in memory it may read.
	 * %edi their words, for the copy (OPEN_GATE keeps it).
	 */
	movl	%r10d, %edi
	shrl	$FLEXOS_GATE_STACK_SHIFT, %edi
	movzbl	%dil, %edi
	testl	%edi, %edi
	jz	0f
	cmpb	$0, 72(%rsp)			/* (above the 64 bytes pushed and the return address) */
	cmpb	$0, 71(%rsp,%rdi,8)
	/*
	 * The window (WINDOW) from here to the callee's PKRU may run again
	 * up to its commit: it changes none of the registers it starts
	 * with. So the carry goes to r9 before it, and %rax's copy to r14
	 * (saved above, cleared before the call): COMMIT_CALL takes xmm14.
	 */
0:	movq	%r10, %r9			/* the carry */
	movq	%xmm14, %r14
.Lcarry_restart\@:
	OPEN_GATE \open_checked
	movzbl	%r9b, %r10d			/* the id */
	andl	$(MPK_SLOTS - 1), %r10d
	movq	MPK_G_CARRY(%r11), %r8		/* (not TLS: the page is open) */
	testq	%r8, %r8
	jz	.Lcarry_slow\@			/* (out of the window: it moves rsp, r14, r9) */
	cmpq	$0, MPK_G_SP(%r11,%r10,8)
	je	.Lcarry_slow\@
2:	movl	%r9d, %ecx			/* the caller's stack arguments (a jump chooses r9) */
	shrl	$FLEXOS_GATE_STACK_SHIFT, %ecx
	movzbl	%cl, %ecx
	leaq	72(%rsp), %rsi			/* (above the 64 bytes pushed and the return address) */
	movq	%r8, %rdi
	rep movsq
	movq	MPK_G_CUR(%r11), %rax		/* the caller's id */
	movq	%rsp, MPK_G_SP(%r11,%rax,8)
	movq	%rsp, %rsi			/* for unwinders */
	movq	MPK_G_SP(%r11,%r10,8), %rbp	/* the callee's stack (rbp: saved above, cleared before the call) */
	orb	$MPK_G_CARRY_CALLER, %al	/* (only this path's way back takes it) */
	PUSH_CALLER
	COMMIT_CALL .Lcarry_tail\@, %xmm14
	SWITCH_PKRU \entry_checked, CUR_AGAIN SIG_CHECK_GP %r11, %rcx
	WINDOW \open_checked, .Lcarry_tail\@, \entry_checked, .Lcarry_restart\@
	movq	%rbp, %rsp
	movq	%xmm15, %r11
	movd	%xmm15, %edi			/* (CHECK_ENTRY checks these 32 bits) */
	CHECK_ENTRY .Lbad_entry, %xmm15
	NARROW_STACK_MASK
	pushq	%rsi				/* (padding: a call needs rsp = 0 mod 16) */
	pushq	%rsi
	movq	%xmm15, %rax
	pushq	%rax				/* the entry's flags, for the way back */
	pushq	$0				/* (was the caller's rbx: its stack has it) */
	pushq	%r9
	movq	%rsp, %rbx
	CFA_DEREF_RBX 24, 72
	SAVED_ABOVE_DEREF_RBX 24
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
	movl	%ecx, %r9d			/* (the words, for the clearing) */
	rep movsq
	NARROW_STACK_CLEAR %rsp
	testl	%r9d, %r9d
	jz	7f
	movq	%r11, %r8			/* (the callee, checked above) */
	CARRY_CLEAR %r9b, \clear_open_checked, \clear_checked
	movq	%r8, %r11
7:
	CARRY_ARGS_BACK
	movq	%r14, %rax
	CLEAR_ARGS %xmm15
	CLEAR_FOR_CALLEE 0
	call	*%r11
	fwait					/* (an x87 exception the callee left pending: raised on its side) */

	movq	%rax, %xmm14			/* the result */
	movq	%rdx, %xmm15
	movq	16(%rbx), %xmm12		/* the entry's flags */
	/*
	 * The sret result's size and place (below the frame, %rbx, which the
	 * callee may have changed), read with the callee's PKRU, and its
	 * first and last bytes too, as the stack arguments on the way in:
	 * %r12 its words, %rsi where it starts (for the probes).
	 */
	movl	(%rbx), %r12d
	shrl	$FLEXOS_GATE_SRET_SHIFT, %r12d
	movzbl	%r12b, %r12d
	testl	%r12d, %r12d
	jz	4f
	leal	1(%r12), %edx
	andl	$-2, %edx
	shll	$3, %edx
	movq	%rbx, %rsi
	subq	%rdx, %rsi
	cmpb	$0, (%rsi)
	cmpb	$0, -1(%rbx)
	/*
	 * The way back's window, as the way in's: rbx and r12 stay (r12:
	 * the callee's, restored from the caller's stack on its side;
	 * POP_CALLER takes r9).
	 */
.Lcarry_back_restart\@:
4:	OPEN_GATE \reopen_checked
	movq	MPK_G_CARRY(%r11), %r8		/* (not TLS: the page is open) */
	movzbl	%r12b, %ecx			/* the sret result, to the carry page (a jump chooses r12) */
	jrcxz	6f
	leal	1(%rcx), %edx			/* (where it starts, again: rep movsq moves rsi) */
	andl	$-2, %edx
	shll	$3, %edx
	movq	%rbx, %rsi
	subq	%rdx, %rsi
	movq	%r8, %rdi
	rep movsq
6:	leaq	40(%rbx), %rdx			/* the callee's stack, without the gate's frame */
	movq	MPK_G_CUR(%r11), %rax		/* callee's id */
	andl	$(MPK_SLOTS - 1), %eax
	movq	%rdx, MPK_G_SP(%r11,%rax,8)
	POP_CALLER
	testb	$MPK_G_CARRY_CALLER, MPK_G_IDS(%r11,%rcx)
	jz	.Lbad_carry_back		/* a call that came in by another path */
	movq	MPK_G_SP(%r11,%r10,8), %rbp	/* the caller's stack (its rbp comes back from there) */
	COMMIT_CALL .Lcarry_back_tail\@
	SWITCH_PKRU \exit_checked, CUR_AGAIN SIG_CHECK_GP %r11, %rcx
	WINDOW \reopen_checked, .Lcarry_back_tail\@, \exit_checked, .Lcarry_back_restart\@
	movq	%rbp, %rsp			/* back on the caller's stack */
	.cfi_def_cfa %rsp, 72
	FP_CONTROL_BACK
	RESTORE_CALLEE_SAVED 16
	popq	%rcx				/* the carry */
	popq	%rdi				/* the caller's sret pointer */
	.cfi_adjust_cfa_offset -16
	movq	%xmm14, %rax
	shrl	$FLEXOS_GATE_SRET_SHIFT, %ecx
	movzbl	%cl, %ecx
	testl	%ecx, %ecx
	jz	5f
	movl	%ecx, %r9d			/* (the words, for the clearing) */
	movq	%rdi, %xmm14			/* the result: the caller's pointer */
	movq	%r8, %rsi
	rep movsq
	CARRY_CLEAR %r9b, \clear_back_open_checked, \clear_back_checked
	movq	%xmm14, %rax
5:	movq	%xmm15, %rdx
	CLEAR_RESULTS %xmm12
	xorl	%esi, %esi
	xorl	%edi, %edi
	xorl	%r8d, %r8d
	xorl	%r9d, %r9d
	xorl	%r11d, %r11d
	CLEAR_VECTORS
	ret
	/*
	 * The way in's slow path, outside the window: the page closed first
	 * (a signal before its WRPKRU resumes here, with the caller's PKRU:
	 * WINDOW), then the stack as at the gate's entry.
	 */
	.cfi_remember_state
.Lcarry_slow\@:
	.cfi_def_cfa %rsp, 72
	TO_CUR	\slow_close_checked, SIG_CHECK_GP %r11, %rcx
	WINDOW .Lcarry_slow\@, .Lcarry_slow\@, \slow_close_checked, .Lcarry_slow\@
	movq	%r14, %rax
	movq	8(%rsp), %r14			/* (the caller's: SAVE_CALLEE_SAVED) */
	leaq	64(%rsp), %rsp			/* (the stack as at the gate's entry) */
	.cfi_def_cfa_offset 8
	movq	%r9, %r10
	CARRY_ARGS_BACK
	jmp	\slow
	.cfi_restore_state
.endm

/*
 * ---- Handlers in their compartments (signal.c, limit 9) ----
 *
 * A gate's entry index MPK_GATE_ENTRY_SIGNAL, from flexos__mpk_sig_deliver
 * below: right after CHECK_ENTRY found no entry of the table (%r10 the
 * callee's id, %rdx = flexos__mpk_pkru, %r11d the index), with the
 * callee's PKRU. The handler of signal %edi, from one word of the handler
 * table, if the callee is the compartment that installed it: then the
 * call; a handler replaced since the stub read it (another thread's
 * sigaction) gets nothing called (flexos__mpk_sig_nothing, in the callee);
 * another index or signal is a forged entry. Clobbers rax.
 */
.macro SIGNAL_ENTRY call, open_checked, close_checked
	cmpl	$MPK_GATE_ENTRY_SIGNAL, %r11d
	jne	.Lbad_entry
	cmpl	$MPK_SIG_SLOTS, %edi
	jae	.Lbad_entry
	/*
	 * Only the delivery stub's call: it marked the gate page with the
	 * signal's number, which is consumed here, with the page open.
	 */
	OPEN_GATE \open_checked
	cmpl	$MPK_SIG_SLOTS, %edi		/* (again: a jump past the first check) */
	jae	.Lbad_signal_entry
	leal	1(%rdi), %ecx			/* (never 0, the page's idle mark) */
	movq	MPK_G_SIGMARK(%r11), %rax
	cmpl	%ecx, %eax
	jne	.Lbad_signal_entry
	movq	$0, MPK_G_SIGMARK(%r11)
	/*
	 * The caller's id on the list marked: the way back goes to the stub
	 * by a jump, not by a return address on the signal stack (which every
	 * compartment may write): PRIVATE_GATE, MPK_G_SIGNAL_CALLER; and
	 * whether the stub called from the interrupted compartment's stack
	 * (bit 32 of the mark: MPK_G_SIGNAL_OWN_STACK).
	 */
	shrq	$32, %rax
	andl	$1, %eax
	shll	$6, %eax
	orb	$MPK_G_SIGNAL_CALLER, %al
	movq	MPK_G_DEPTH(%r11), %rcx
	orb	%al, (MPK_G_IDS - 1)(%r11,%rcx)
	SIG_TO_CUR \close_checked
	movq	MPK_PKRU_SIGTAB(%rdx), %r11
	movl	%edi, %eax
	andl	$(MPK_SIG_SLOTS - 1), %eax
	shlq	$MPK_SIG_SHIFT, %rax
	movq	MPK_SIG_FN(%r11,%rax), %r11
	movq	%r11, %rax
	shrq	$MPK_SIG_COMP_SHIFT, %rax
	cmpl	%eax, %r10d
	jne	.Lsig_gone\@
	shlq	$(64 - MPK_SIG_COMP_SHIFT), %r11
	shrq	$(64 - MPK_SIG_COMP_SHIFT), %r11
	jnz	\call
.Lsig_gone\@:
	leaq	flexos__mpk_sig_nothing(%rip), %r11
	jmp	\call
.endm

/* \reg is a gate page of this thread: LOAD_GP's checks, from the PKRU table's page. Clobbers \tmp. */
.macro SIG_CHECK_GP reg, tmp
	leaq	flexos__mpk_pkru(%rip), \tmp
	cmpq	MPK_PKRU_SIG_GP_LO(\tmp), \reg
	jb	.Lbad_gp
	cmpq	MPK_PKRU_SIG_GP_HI(\tmp), \reg
	jae	.Lbad_gp
	testq	$4095, \reg
	jnz	.Lbad_gp
	cmpl	$0, MPK_PKRU_SIG_FSGSBASE(\tmp)
	je	.Lsig_gp_ok\@
	rdfsbase \tmp
	cmpq	\tmp, MPK_G_OWNER(\reg)
	jne	.Lbad_gp
.Lsig_gp_ok\@:
.endm

/*
 * Back to the PKRU of the compartment the gate page (%r11) names; after
 * the WRPKRU (at `checked`), the page validated by \check_gp (a jump to
 * the WRPKRU comes with any %r11), read again and the value written
 * checked against it: such a jump gets the PKRU of the compartment the
 * thread is in, nothing more. Out: %r10 that compartment, %rdx =
 * flexos__mpk_pkru. Clobbers eax, ecx, and what \check_gp does.
 */
.macro TO_CUR checked, check_gp:vararg
	movq	MPK_G_CUR(%r11), %r10
	SWITCH_PKRU \checked, CUR_AGAIN \check_gp
.endm

/* TO_CUR's reload: the page checked by \check_gp, then its compartment. */
.macro CUR_AGAIN check_gp:vararg
	\check_gp
	movq	MPK_G_CUR(%r11), %r10
.endm

/*
 * TO_CUR in a handler's entry: the page validated from the PKRU table's
 * page (a newlib compartment may not read key 0, where the TLS pointer is).
 */
.macro SIG_TO_CUR checked
	TO_CUR	\checked, SIG_CHECK_GP %r11, %rcx
.endm

	.text
	/* The gate's code, from here to flexos__mpk_gate_text_hi (the signal stub's scrub). */
	.globl	flexos__mpk_gate_text_lo
	.hidden	flexos__mpk_gate_text_lo
flexos__mpk_gate_text_lo:
/*
 * The private-stack gate's register path, for flexos__backend_gate and
 * flexos__backend_gate_newlib (pfx: their labels' prefix; runtime: where a
 * call that names no entry of the table goes, with %rdx =
 * flexos__mpk_pkru):
 *   1. OPEN_GATE: the gate page writable, checked;
 *   2. sp[caller] = the caller's stack, the caller's id onto the page's
 *      list, onto sp[callee], cur = callee;
 *   3. the callee's PKRU, checked, the entry checked, the call;
 *   4. on return OPEN_GATE again, sp[callee] = where its stack is back,
 *      the caller's id from the page's list (never from the callee's
 *      stack), cur = caller, onto sp[caller], its PKRU, checked.
 */
.macro PRIVATE_GATE pfx, entry_checked, exit_checked, open_checked, reopen_checked, runtime
	fwait					/* (an x87 exception pending: raised on this side) */
	ENTRY_INDEX
	testl	$FLEXOS_GATE_CARRY_BITS, %r10d	/* stack arguments or sret: */
	jnz	.L\pfx\()_carry			/* the carry path */
	movzbl	%r10b, %r10d			/* the callee's id */
	movq	%rax, %xmm13			/* %al: vector registers of a variadic call */
	movq	%rdx, %xmm14			/* WRPKRU needs eax, ecx = edx = 0 */
	movq	%rcx, %xmm15
	movq	%r11, %xmm12			/* the entry index */
	movq	%rsp, %xmm11			/* for unwinders, on the callee's side */
	/*
	 * With the caller's PKRU, before the page is open: the caller's
	 * %rsp is its own, and could point at gate-key memory.
	 */
	SAVE_CALLEE_SAVED
	/*
	 * The window (WINDOW) from here to the callee's PKRU: everything up
	 * to the commit may run again from here, so it changes none of the
	 * registers it starts with (rsp, r10 but its masking, xmm11-15).
	 */
.L\pfx\()_restart:
	OPEN_GATE \open_checked
	andl	$(MPK_SLOTS - 1), %r10d
	movq	MPK_G_CUR(%r11), %rax		/* caller's id */
	movq	%rsp, MPK_G_SP(%r11,%rax,8)	/* sp[caller] = caller's stack */
	movq	MPK_G_SP(%r11,%r10,8), %rdx	/* the callee's stack of this thread */
	movq	%r10, %xmm8			/* (COMMIT_CALL's low half; the slow path's id) */
	testq	%rdx, %rdx
	jz	.L\pfx\()_slow
	movq	%rdx, %xmm10			/* (a handler's gate call rewrites sp[callee]) */
	PUSH_CALLER
	COMMIT_CALL .L\pfx\()_tail, %xmm8, 1
	SWITCH_PKRU \entry_checked, CUR_AGAIN SIG_CHECK_GP %r11, %rcx
	WINDOW \open_checked, .L\pfx\()_tail, \entry_checked, .L\pfx\()_restart
	movq	%xmm10, %rsp			/* the callee's stack of this thread */
	movq	%xmm12, %r11
	CHECK_ENTRY \runtime, %xmm12
.L\pfx\()_call:
	movq	%xmm11, %rax
	pushq	%rax				/* the caller's stack pointer, for unwinders */
	movq	%xmm12, %rax
	pushq	%rax				/* the entry's flags, for the way back */
	pushq	%rax				/* (padding: a call needs rsp = 0 mod 16) */
	CFA_DEREF_RSP 16
	SAVED_BELOW_DEREF_RSP 16
	movq	%xmm14, %rdx
	movq	%xmm15, %rcx
	movq	%xmm13, %rax
	CLEAR_ARGS %xmm12
	CLEAR_FOR_CALLEE
	call	*%r11
	fwait					/* (an x87 exception the callee left pending: raised on its side) */

	movq	%rax, %xmm14			/* the result: WRPKRU needs eax */
	movq	%rdx, %xmm15
	movq	8(%rsp), %xmm12			/* the entry's flags */
	addq	$24, %rsp
.L\pfx\()_back_restart:			/* (the way back's window, as the way in's) */
	OPEN_GATE \reopen_checked
	movq	MPK_G_CUR(%r11), %rax		/* callee's id */
	andl	$(MPK_SLOTS - 1), %eax
	movq	%rsp, MPK_G_SP(%r11,%rax,8)	/* its stack is back where it was */
	POP_CALLER				/* the caller's id, in r10 */
	movzbl	MPK_G_IDS(%r11,%rcx), %edx	/* and its mark (SIGNAL_ENTRY) */
	movq	%rdx, %xmm13
	movq	MPK_G_SP(%r11,%r10,8), %rdx	/* the caller's stack */
	movq	%rdx, %xmm10
	COMMIT_CALL .L\pfx\()_back_tail
	SWITCH_PKRU \exit_checked, CUR_AGAIN SIG_CHECK_GP %r11, %rcx
	WINDOW \reopen_checked, .L\pfx\()_back_tail, \exit_checked, .L\pfx\()_back_restart
	movq	%xmm10, %rsp			/* back on the caller's stack */
	.cfi_def_cfa %rsp, 56
	FP_CONTROL_BACK
	RESTORE_CALLEE_SAVED 0
	xorl	%r11d, %r11d
	movq	%xmm13, %rcx
	testb	$(MPK_G_SIGNAL_CALLER | MPK_G_CARRY_CALLER), %cl
	jnz	.L\pfx\()_marked_back
	RETURN_RESULT %xmm12
	/*
	 * A call by the carry path (its caller's stack holds more than this
	 * way back takes) is not returned from here: the report, from
	 * registers. Else back to the delivery stub, past the return address
	 * its call left on the signal stack, without reading it.
	 */
.L\pfx\()_marked_back:
	testb	$MPK_G_CARRY_CALLER, %cl
	jnz	.Lbad_register_back
	movl	%ecx, %eax			/* the mark (a handler's result means nothing) */
	xorl	%ecx, %ecx
	xorl	%esi, %esi
	xorl	%edi, %edi
	xorl	%r8d, %r8d
	xorl	%r9d, %r9d
	CLEAR_VECTORS
	addq	$8, %rsp
	testb	$MPK_G_SIGNAL_OWN_STACK, %al
	jnz	flexos__mpk_sig_deliver_back_own
	jmp	flexos__mpk_sig_deliver_back
.endm

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
	PRIVATE_GATE priv, flexos__mpk_gate_entry_checked, flexos__mpk_gate_exit_checked, flexos__mpk_gate_open_checked, flexos__mpk_gate_reopen_checked, .Lpriv_signal

.Lpriv_carry:
	CARRY_PATH flexos__mpk_gate_carry_entry_checked, flexos__mpk_gate_carry_exit_checked, flexos__mpk_gate_carry_open_checked, flexos__mpk_gate_carry_reopen_checked, flexos__mpk_gate_carry_clear_open_checked, flexos__mpk_gate_carry_clear_checked, flexos__mpk_gate_carry_clear_back_open_checked, flexos__mpk_gate_carry_clear_back_checked, .Lslow_here, flexos__mpk_gate_carry_slow_close_checked

	/* No entry of the table: a signal's handler (SIGNAL_ENTRY), or a forged index. */
.Lpriv_signal:
	SIGNAL_ENTRY .Lpriv_call, flexos__mpk_gate_sig_open_checked, flexos__mpk_gate_sig_checked

	/*
	 * No stack in the callee yet: the page closed (a signal before its
	 * WRPKRU resumes here, with the caller's PKRU: WINDOW), back to the
	 * caller's stack, let C allocate one (SLOW_PATH), then start over.
	 */
	REGISTER_SLOW_BLOCK .Lpriv_slow, flexos__mpk_gate_slow_close_checked
.Lslow_here:
	SLOW_PATH flexos__backend_gate, flexos__mpk_gate_slow_open_checked, flexos__mpk_gate_slow_checked

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

	/* A handler's entry the delivery stub did not mark: %edi the signal. */
.Lbad_signal_entry:
	movl	%eax, %ebx
	movl	%edi, %r13d
	movq	MPK_G_SIGMARK(%r11), %r14
	movl	$MPK_REPORT_SIGNAL, %r12d
	jmp	.Lreport

	/* A gate page that is not this thread's, or a list of calls over- or underflowing. */
.Lbad_gp:
	movq	%r11, %r13
	xorl	%r14d, %r14d
	jmp	1f
.Lbad_depth:
	movq	%r11, %r13
	movq	%rcx, %r14
1:	xorl	%ecx, %ecx
	RDPKRU
	movl	%eax, %ebx
	movl	$MPK_REPORT_GATE_PAGE, %r12d
	jmp	.Lreport

	/*
	 * A way back that is not the one of the path the call came in by
	 * (MPK_G_CARRY_CALLER, limit 11), %r10 the caller: %r14 0, the carry
	 * path's way back of another call; 1, the register path's of a carry
	 * path's call.
	 */
.Lbad_carry_back:
	xorl	%r14d, %r14d
	jmp	1f
.Lbad_register_back:
	movl	$1, %r14d
1:	movq	%r10, %r13
	xorl	%ecx, %ecx
	RDPKRU
	movl	%eax, %ebx
	movl	$MPK_REPORT_WAY_BACK, %r12d
	jmp	.Lreport

/* TAKE_LOOK, TAKE_FIRST_LOOK: the report, %r13 which (0 urec_new, 1 urec_first). */
.Lno_look_first:
	movl	$1, %r13d
	jmp	1f
.Lno_look:
	xorl	%r13d, %r13d
1:	xorl	%ecx, %ecx
	RDPKRU
	movl	%eax, %ebx
	movl	$MPK_REPORT_LOOK, %r12d
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
 * compartment change. The caller's id goes on the gate page's list as
 * in the private gate, and each WRPKRU is checked the same way.
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
	fwait					/* (an x87 exception pending: raised on this side) */
	ENTRY_INDEX
	testl	$FLEXOS_GATE_CARRY_BITS, %r10d	/* stack arguments or sret */
	jnz	.Lshared_carry
	movzbl	%r10b, %r10d
	movq	%rdx, %xmm14			/* WRPKRU needs ecx = edx = 0 */
	movq	%rcx, %xmm15
	movq	%rax, %xmm13			/* and eax */
	movq	%r11, %xmm12			/* the entry index */
	subq	$8, %rsp			/* (a call needs rsp = 0 mod 16) */
	.cfi_adjust_cfa_offset 8
.Lshared_restart:				/* (a window: PRIVATE_GATE's) */
	OPEN_GATE flexos__mpk_gate_shared_open_checked
	andl	$(MPK_SLOTS - 1), %r10d
	movq	MPK_G_CUR(%r11), %rax		/* the caller's id, for the way back */
	PUSH_CALLER
	COMMIT_CALL .Lshared_tail
	SWITCH_PKRU flexos__mpk_gate_shared_entry_checked, CUR_AGAIN SIG_CHECK_GP %r11, %rcx
	WINDOW flexos__mpk_gate_shared_open_checked, .Lshared_tail, flexos__mpk_gate_shared_entry_checked, .Lshared_restart
	SHARED_STACKS_ONLY
	movq	%xmm12, %r11
	CHECK_ENTRY .Lshared_signal, %xmm12
.Lshared_call:
	movq	%xmm12, 0(%rsp)			/* the entry's flags, for the way back */
	movq	%xmm14, %rdx
	movq	%xmm15, %rcx
	movq	%xmm13, %rax
	CLEAR_ARGS %xmm12
	CLEAR_XMMS 8, 9, 10, 11, 12, 13, 14, 15	/* (the caller's, and the gate's copies of rdx, rcx, rax) */
	CLEAR_EVEX
	call	*%r11
	fwait					/* (an x87 exception the callee left pending: raised on its side) */

	movq	%rax, %xmm14			/* the result: WRPKRU needs eax */
	movq	%rdx, %xmm15
	movq	0(%rsp), %xmm12
	addq	$8, %rsp
	.cfi_adjust_cfa_offset -8
.Lshared_back_restart:
	OPEN_GATE flexos__mpk_gate_shared_reopen_checked
	POP_CALLER
	COMMIT_CALL .Lshared_back_tail
	SWITCH_PKRU flexos__mpk_gate_shared_exit_checked, CUR_AGAIN SIG_CHECK_GP %r11, %rcx
	WINDOW flexos__mpk_gate_shared_reopen_checked, .Lshared_back_tail, flexos__mpk_gate_shared_exit_checked, .Lshared_back_restart
	SHARED_STACKS_ONLY
	FP_CONTROL_BACK
	xorl	%r11d, %r11d			/* r10 holds an id; r11 is cleared too */
	RETURN_RESULT %xmm12

	/*
	 * No entry of the table: the runtime's own crossing (flexos__call_in,
	 * its function from the PKRU table's page, as .Lnewlib_runtime), a
	 * signal's handler, or a forged index.
	 */
	.cfi_adjust_cfa_offset 8
.Lshared_signal:
	cmpl	$FLEXOS_GATE_ENTRY_RUNTIME, %r11d
	jne	.Lshared_handler
	movq	MPK_PKRU_FINI(%rdx,%r10,8), %r11
	testq	%r11, %r11
	jz	.Lbad_entry
	jmp	.Lshared_call
.Lshared_handler:
	SIGNAL_ENTRY .Lshared_call, flexos__mpk_gate_shared_sig_open_checked, flexos__mpk_gate_shared_sig_checked
	.cfi_adjust_cfa_offset -8

	/*
	 * Frame (rbx): 0 the entry's flags, 8 padding, 16 the carry, 24 the caller's
	 * sret pointer (rdi), 32 the caller's rbx; below it the sret buffer
	 * and the stack arguments.
	 */
.Lshared_carry:
	movq	%rdx, %xmm10
	movq	%rcx, %xmm11
	movq	%rax, %xmm13
	movq	%rsi, %xmm9
	movq	%rdi, %xmm8
	movq	%r11, %xmm12			/* the entry index */
	pushq	%rbx
	pushq	%rdi
	pushq	%r10
	pushq	%r10
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
.Lshared_carry_restart:				/* (a window: r10 is masked again, the carry is at 16(%rbx)) */
	OPEN_GATE flexos__mpk_gate_shared_carry_open_checked
	movzbl	%r10b, %r10d
	andl	$(MPK_SLOTS - 1), %r10d
	movq	MPK_G_CUR(%r11), %rax
	PUSH_CALLER
	COMMIT_CALL .Lshared_carry_tail, %xmm14	/* (xmm8-13: the registers) */
	SWITCH_PKRU flexos__mpk_gate_shared_carry_entry_checked, CUR_AGAIN SIG_CHECK_GP %r11, %rcx
	WINDOW flexos__mpk_gate_shared_carry_open_checked, .Lshared_carry_tail, flexos__mpk_gate_shared_carry_entry_checked, .Lshared_carry_restart
	SHARED_STACKS_ONLY
	movq	%xmm12, %r11
	CHECK_ENTRY .Lbad_entry, %xmm12
	movq	%xmm12, 0(%rbx)			/* the entry's flags, for the way back */
	movq	%xmm8, %rdi
	movq	%xmm9, %rsi
	movq	%xmm10, %rdx
	movq	%xmm11, %rcx
	movq	%xmm13, %rax
	CLEAR_ARGS %xmm12
	CLEAR_XMMS 8, 9, 10, 11, 12, 13, 14, 15	/* (the caller's, and the gate's copies of its registers) */
	CLEAR_EVEX
	call	*%r11
	fwait					/* (an x87 exception the callee left pending: raised on its side) */

	movq	%rax, %xmm14			/* the result */
	movq	%rdx, %xmm15
	movq	0(%rbx), %xmm12
.Lshared_carry_back_restart:
	OPEN_GATE flexos__mpk_gate_shared_carry_reopen_checked
	POP_CALLER
	COMMIT_CALL .Lshared_carry_back_tail
	SWITCH_PKRU flexos__mpk_gate_shared_carry_exit_checked, CUR_AGAIN SIG_CHECK_GP %r11, %rcx
	WINDOW flexos__mpk_gate_shared_carry_reopen_checked, .Lshared_carry_back_tail, flexos__mpk_gate_shared_carry_exit_checked, .Lshared_carry_back_restart
	SHARED_STACKS_ONLY
	FP_CONTROL_BACK
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
	CLEAR_RESULTS %xmm12
	xorl	%esi, %esi
	xorl	%edi, %edi
	xorl	%r8d, %r8d
	xorl	%r9d, %r9d
	CLEAR_VECTORS
	ret
	.cfi_endproc
	.size	flexos__backend_gate_shared_stacks, .-flexos__backend_gate_shared_stacks

/*
 * The gate of images with a compartment that has 'libc: newlib'
 * (private stacks). Such a compartment runs with key 0 denied; OPEN_GATE
 * opens key 0 with the gate page (the TLS pointer to the page is key 0),
 * so this is flexos__backend_gate's path, plus the runtime's own crossing
 * (flexos__call_in), which has no entry in the table.
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
	PRIVATE_GATE nl, flexos__mpk_gate_newlib_entry_checked, flexos__mpk_gate_newlib_exit_checked, flexos__mpk_gate_newlib_open_checked, flexos__mpk_gate_newlib_reopen_checked, .Lnewlib_runtime

	/*
	 * No entry of the table: the runtime's own crossing (flexos__call_in),
	 * whose function flexos__mpk_init copied next to the PKRU table (which
	 * a newlib compartment may read), or a forged index.
	 */
.Lnewlib_runtime:
	cmpl	$FLEXOS_GATE_ENTRY_RUNTIME, %r11d
	jne	.Lnewlib_signal
	movq	MPK_PKRU_FINI(%rdx,%r10,8), %r11
	testq	%r11, %r11
	jz	.Lbad_entry
	jmp	.Lnl_call
.Lnewlib_signal:
	SIGNAL_ENTRY .Lnl_call, flexos__mpk_gate_newlib_sig_open_checked, flexos__mpk_gate_newlib_sig_checked

.Lnl_carry:
	CARRY_PATH flexos__mpk_gate_newlib_carry_entry_checked, flexos__mpk_gate_newlib_carry_exit_checked, flexos__mpk_gate_newlib_carry_open_checked, flexos__mpk_gate_newlib_carry_reopen_checked, flexos__mpk_gate_newlib_carry_clear_open_checked, flexos__mpk_gate_newlib_carry_clear_checked, flexos__mpk_gate_newlib_carry_clear_back_open_checked, flexos__mpk_gate_newlib_carry_clear_back_checked, .Lnewlib_slow_here, flexos__mpk_gate_newlib_carry_slow_close_checked

	/* No stack in the callee yet: as in flexos__backend_gate. */
	REGISTER_SLOW_BLOCK .Lnl_slow, flexos__mpk_gate_newlib_slow_close_checked
.Lnewlib_slow_here:
	SLOW_PATH flexos__backend_gate_newlib, flexos__mpk_gate_newlib_slow_open_checked, flexos__mpk_gate_newlib_slow_checked
	.cfi_endproc
	.size	flexos__backend_gate_newlib, .-flexos__backend_gate_newlib

/*
 * A signal handler entry's first step, before any memory is touched: sig,
 * si, ctx into %r13-%r15, the PKRU found into %ebx, and ZF set if it is
 * the kernel's default (a signal the kernel delivered). The movs after
 * it keep the flags.
 */
/*
 * The report path's second PKRU (.Lreport, step 5): the report's, which
 * reads every compartment for the unwinder, checked after its WRPKRU.
 * The stack pointer is then taken again from the read-only page, \below
 * bytes under the report stack's top, and this thread must hold the
 * report's lock: a jump to this WRPKRU (with the report's PKRU in %eax)
 * gets neither a stack of its choosing nor a report it did not start.
 * Clobbers rax, rcx, rdx, rsi.
 */
.macro REPORT_KEYS below
	movl	flexos__mpk_ro+MPK_RO_PKRU(%rip), %eax
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	WRPKRU
	cmpl	flexos__mpk_ro+MPK_RO_PKRU(%rip), %eax
	jne	.Lreport_exit
	movq	flexos__mpk_ro+MPK_RO_STACK(%rip), %rsp
	subq	$\below, %rsp
	movl	$SYS_gettid, %eax
	syscall
	movq	flexos__mpk_ro+MPK_RO_LOCK(%rip), %rdx
	cmpl	(%rdx), %eax
	jne	.Lreport_exit
.endm

.macro DELIVERED_CHECK
	movq	%rdi, %r13
	movq	%rsi, %r14
	movq	%rdx, %r15
	xorl	%ecx, %ecx
	RDPKRU
	movl	%eax, %ebx
	andl	$MPK_PKRU_AD_ALL_BUT_0, %eax
	cmpl	$MPK_PKRU_AD_ALL_BUT_0, %eax
.endm

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
	DELIVERED_CHECK
	movl	$MPK_REPORT_FAULT, %r12d
	je	.Lreport
	movl	$MPK_REPORT_FORGED, %r12d
	/* fall through */

/*
 * The report path: %r12d the kind (MPK_REPORT_*), %r13-%r15 its
 * arguments, %ebx the PKRU found on entry. Whatever jumped here, and
 * with whatever PKRU:
 *   1. PKRU = key 0 only, an immediate, checked after the WRPKRU (a jump
 *      to it with another %eax writes it again);
 *   2. the frame's PKRU (key 0, the shared key and the gate key: no
 *      compartment's) from the read-only page, checked the same way;
 *   3. one report at a time: the first thread takes the lock word (gate
 *      key) with its tid; another waits for the image to end; the same
 *      thread again (a fault inside the report) ends the image at once;
 *   4. the report stack, whose address is on the read-only page;
 *   5. a delivered signal: a copy of the kernel's frame (pretcode, then
 *      ucontext and siginfo) on that stack, made with the frame's PKRU;
 *      then the report's PKRU (the compartments' keys read-only too, for
 *      the unwinder; REPORT_KEYS) and flexos__mpk_on_segv entered as the
 *      kernel would enter a handler, so that its unwinder walks through
 *      glibc's restorer into the code that faulted; a denied system call:
 *      flexos__mpk_report with the frame's PKRU, which reads the
 *      siginfo and ucontext in place; a call or a violation: the
 *      report's PKRU and flexos__mpk_report.
 * The frame's PKRU is the one that reads where the siginfo and ucontext
 * pointers point: a jump past an entry's check with pointers into a
 * compartment's memory faults there (the image ends), where the report's
 * PKRU printed that memory as the frame's registers (an attack review's:
 * 7 words of app's secret through the SIGSYS report).
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
	movl	flexos__mpk_ro+MPK_RO_FRAME_PKRU(%rip), %eax
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	WRPKRU
	cmpl	flexos__mpk_ro+MPK_RO_FRAME_PKRU(%rip), %eax
	jne	1b
	/*
	 * Every signal blocked before the lock, for good (the report never
	 * returns): no handler runs on the thread that holds the lock. A
	 * forged report (a call or a jump) kept its caller's mask, and a
	 * handler of evil's that ran on the reporting thread jumped to
	 * REPORT_KEYS with registers of its making and passed its lock check
	 * (an attack review's: app's secret printed in 7 of 10 runs). A fault
	 * from here kills the process (its signal is blocked) until
	 * backtrace_and_exit (fault.c) lets SIGSEGV and SIGBUS in, each to
	 * the SIGSEGV entry.
	 */
	movl	$SYS_rt_sigprocmask, %eax
	xorl	%edi, %edi			/* SIG_BLOCK */
	leaq	.Lreport_blocked(%rip), %rsi
	xorl	%edx, %edx
	movl	$8, %r10d
	syscall
	movl	$SYS_gettid, %eax
	syscall
	movl	%eax, %esi
	movq	flexos__mpk_ro+MPK_RO_LOCK(%rip), %rdx
	xorl	%eax, %eax
	lock cmpxchgl %esi, (%rdx)
	je	3f
	cmpl	%eax, %esi
	je	.Lreport_again			/* this thread is reporting already */
2:	movl	$SYS_sched_yield, %eax		/* another is: the image is ending */
	syscall
	jmp	2b
3:	cld					/* (the report's copies and C code: DF as a jump here left it) */
	movq	flexos__mpk_ro+MPK_RO_STACK(%rip), %rsp
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
	/*
	 * The words of the XSAVE area after the frame that the report reads
	 * through where the kernel wrote it (fault.c, frame_pkru: the magic,
	 * the size, XSTATE_BV, PKRU), read once here with the frame's PKRU,
	 * so that a made-up frame placed against another compartment's
	 * memory faults now rather than have the report read it (an attack
	 * review's: a few bits of app's .bss, as whether a word was the
	 * XSAVE magic).
	 */
	leaq	(MPK_UC_COPY + MPK_SI_COPY + 63)(%r15), %rax
	andq	$-64, %rax
	cmpq	%rax, (8 + MPK_UC_FPREGS)(%rsp)	/* (else frame_pkru reads none) */
	jne	6f
	movl	464(%rax), %ecx
	movl	480(%rax), %ecx
	movq	512(%rax), %rcx
	movl	flexos__mpk_ro+MPK_RO_PKRU_OFF(%rip), %ecx
	movl	(%rax,%rcx), %ecx
6:	REPORT_KEYS MPK_FRAME_COPY
	movq	flexos__mpk_ro+MPK_RO_RESTORER(%rip), %rax
	movq	%rax, (%rsp)
	movl	%r13d, %edi
	leaq	(8 + MPK_UC_COPY)(%rsp), %rsi
	leaq	8(%rsp), %rdx
	movl	%ebx, %ecx
	movq	%r15, %r8			/* where the kernel wrote the ucontext */
	jmp	flexos__mpk_on_segv
4:	cmpl	$MPK_REPORT_SYSCALL, %r12d
	je	5f
	REPORT_KEYS 0
5:	movl	%r12d, %edi
	movq	%r13, %rsi
	movq	%r14, %rdx
	movl	%ebx, %ecx
	call	flexos__mpk_report
	jmp	.Lreport_exit
/*
 * A fault, or a second report, while this thread reports: its backtrace
 * walks a stack the faulting compartment may have written
 * (flexos__mpk_on_segv lets SIGSEGV in for it, which the kernel would
 * otherwise end with SIGSEGV's default).
 */
.Lreport_again:
	/*
	 * As the report's own writes (say.c: flexos__report_write): only
	 * when standard error has room within 1 s, never blocking for ever.
	 * The stack is the kernel's frame's, for a fault delivered here.
	 */
	pushq	$0
	movl	$2, (%rsp)			/* struct pollfd: fd 2, */
	movw	$0x004, 4(%rsp)		/* events POLLOUT (<poll.h>) */
	movq	%rsp, %rdi
	movl	$1, %esi
	movl	$1000, %edx
	movl	$SYS_poll, %eax
	syscall
	testq	%rax, %rax
	jle	.Lreport_exit
	movl	$SYS_write, %eax
	movl	$2, %edi
	leaq	.Lreport_again_msg(%rip), %rsi
	movl	$(.Lreport_again_end - .Lreport_again_msg), %edx
	syscall
.Lreport_exit:
	movl	$SYS_exit_group, %eax
	movl	$MPK_EXIT_FAULT, %edi
	syscall
	ud2
	.size	flexos__mpk_segv_entry, .-flexos__mpk_segv_entry

	.section .rodata
	.balign	8
.Lreport_blocked:
	.quad	-1				/* every signal */
.Lreport_again_msg:
	.ascii	"flexos:   (a fault or a second report while this thread reported, "
	.ascii	"as when its backtrace walks a stack the faulting compartment "
	.ascii	"corrupted: the report stops here; docs/threat-model.md, limit 12)\n"
.Lreport_again_end:
	.text

/*
 * The SIGSYS handler's entry, in every image (filter.c). The kernel
 * enters it with its default PKRU, under which the signal stack of an
 * image with newlib compartments (the shared key) is out of reach, so no
 * C handler could run there; in the others the signal stack is key 0,
 * which every compartment may write while a handler runs on it. As the
 * SIGSEGV entry above: the PKRU found, read before any memory is
 * touched, says whether the kernel delivered the signal (then the report
 * of the denied call, with si and ctx, on the report stack) or a
 * compartment called this (a forged signal); the report path takes over
 * and nothing returns.
 */
	.globl	flexos__mpk_sigsys_entry
	.hidden	flexos__mpk_sigsys_entry
	.type	flexos__mpk_sigsys_entry, @function
flexos__mpk_sigsys_entry:
	DELIVERED_CHECK
	movl	$MPK_REPORT_FORGED, %r12d	/* forged: sig, si */
	jne	.Lreport
	movl	$MPK_REPORT_SYSCALL, %r12d
	movq	%r14, %r13			/* delivered: si, ctx */
	movq	%r15, %r14
	jmp	.Lreport
	.size	flexos__mpk_sigsys_entry, .-flexos__mpk_sigsys_entry

/*
 * The scheduler's switch (limit 4 of docs/threat-model.md). A suspended
 * user-level thread is a switch record (mpk.h: MPK_UREC_MAX) with the
 * gate key: its gate state and the stack pointer it stopped at. The
 * scheduler's memory (key 0) only names the record, so what a resumed
 * thread gets, stack pointer and PKRU, comes from memory no compartment
 * can write, and each suspension is resumed at most once.
 */
/*
 * urec_new's record back after its look, with the page open again (%r11,
 * validated): %r10 the record, %rsi its handle, %xmm8 the first stack's
 * frame size, all from the page's look word (mpk.h: MPK_G_LOOK), which is
 * cleared; none there (a jump to the opening, past urec_new's first
 * one and its checks) is a violation. Clobbers rax.
 * TAKE_FIRST_LOOK: the same for urec_first, whose mark says nothing else.
 */
.macro TAKE_LOOK_WORD bit, none
	movq	MPK_G_LOOK(%r11), %rax
	movq	$0, MPK_G_LOOK(%r11)
	btrq	$\bit, %rax
	jnc	\none
.endm
.macro TAKE_FIRST_LOOK
	TAKE_LOOK_WORD MPK_LOOK_FIRST_BIT, .Lno_look_first
	testq	%rax, %rax
	jnz	.Lno_look_first
.endm

.macro TAKE_LOOK
	TAKE_LOOK_WORD MPK_LOOK_BIT, .Lno_look
	movzwl	%ax, %esi
	testl	%esi, %esi
	jz	.Lno_look
	cmpl	$MPK_UREC_MAX, %esi
	ja	.Lno_look
	shrq	$16, %rax
	cmpq	$4096, %rax
	ja	.Lno_look
	movq	%rax, %xmm8
	leaq	(MPK_GATE_PAGES - 1)(%rsi), %r10
	shlq	$12, %r10
	addq	flexos__mpk_ro+MPK_RO_REC_LO(%rip), %r10
.endm

/*
 * This record's address from \h (0: the one of this OS thread's own
 * context, paired with its gate page %r11), in \reg; \h not a handle:
 * \bad.
 */
.macro REC_ADDR h, reg, bad
	testq	\h, \h
	jnz	.Lrec_thread\@
	movq	%r11, \reg
	subq	flexos__mpk_ro+MPK_RO_GP_LO(%rip), \reg
	jmp	.Lrec_base\@
.Lrec_thread\@:
	cmpq	$MPK_UREC_MAX, \h
	ja	\bad
	leaq	(MPK_GATE_PAGES - 1)(\h), \reg
	shlq	$12, \reg
.Lrec_base\@:
	addq	flexos__mpk_ro+MPK_RO_REC_LO(%rip), \reg
.endm

/*
 * To \found if a record other than the one of index word \mine names
 * \thread (a register; never 0): the records' index (mpk.h: threads)
 * says which may, and the record confirms, in use (a thread's record with
 * an owner; an OS thread's own record, whose state is never released).
 * Both urec_new and urec_first store their index word (locked) before
 * they look, so that of two OS threads naming one state at once, at
 * least the later finds the other. Clobbers eax, ecx, edx.
 */
.macro NAMED_ELSEWHERE thread, mine, found
	movq	flexos__mpk_ro+MPK_RO_THREADS(%rip), %rdx
	movl	$1, %ecx
.Lnamed_loop\@:
	cmpq	\thread, (%rdx,%rcx,8)
	jne	.Lnamed_next\@
	cmpq	\mine, %rcx
	je	.Lnamed_next\@
	cmpq	$MPK_UREC_MAX, %rcx
	ja	.Lnamed_first\@
	leaq	(MPK_GATE_PAGES - 1)(%rcx), %rax
	shlq	$12, %rax
	addq	flexos__mpk_ro+MPK_RO_REC_LO(%rip), %rax
	cmpq	$0, MPK_G_OWNER(%rax)
	je	.Lnamed_next\@
	jmp	.Lnamed_confirm\@
.Lnamed_first\@:
	leaq	-MPK_THREADS_FIRST(%rcx), %rax
	shlq	$12, %rax
	addq	flexos__mpk_ro+MPK_RO_REC_LO(%rip), %rax
.Lnamed_confirm\@:
	cmpq	\thread, MPK_G_THREAD(%rax)
	je	\found
.Lnamed_next\@:
	incq	%rcx
	cmpq	$MPK_THREADS_WORDS, %rcx
	jb	.Lnamed_loop\@
.endm

/*
 * TO_CUR from this thread's gate page (%r11, open), the page validated and
 * read again from the TLS pointer. Clobbers eax, ecx, edx, r10, r11.
 */
.macro CLOSE_GATE checked
	TO_CUR	\checked, LOAD_GP %r11, %rcx, .Lbad_gp
.endm

/*
 * The list of gate calls (%rcx of them, checked) from page \from to page
 * \to: their callers' ids and floating-point control (PUSH_CALLER).
 * Registers only. Clobbers rcx, rdx, rsi, rdi.
 */
.macro COPY_CALLS from, to
	leaq	MPK_G_IDS(\from), %rsi
	leaq	MPK_G_IDS(\to), %rdi
	movq	%rcx, %rdx
	rep movsb
	movq	%rdx, %rcx
	leaq	MPK_G_FPCTL(\from), %rsi
	leaq	MPK_G_FPCTL(\to), %rdi
	rep movsl
.endm

/*
 * noreturn void flexos__mpk_thread_resume(void *load_sp, const void *load_from):
 * the backend's thread_resume (<flexos/backend.h>), jumped to by the
 * scheduler's switch.S with %rsp at the running thread's switch frame.
 *   1. OPEN_GATE (checked);
 *   2. the running thread, the one the gate page names (never what the
 *      scheduler says), into its record: the page's compartment, stack
 *      pointers and gate calls, and %rsp;
 *   3. the next thread's record, from its handle (struct mpk_uthread,
 *      key 0): a record of this OS thread, suspended, at the stack
 *      pointer the scheduler saved (load_sp) and in the compartment its
 *      copy says; else the report (MPK_REPORT_SWITCH, %r13 which check);
 *   4. the record marked resumed and copied onto the gate page, %rsp
 *      from it, then the PKRU of its compartment (CLOSE_GATE, checked),
 *      and its switch frame popped.
 * Registers only, no stack, while the page is open.
 */
	.globl	flexos__mpk_thread_resume
	.hidden	flexos__mpk_thread_resume
	.type	flexos__mpk_thread_resume, @function
flexos__mpk_thread_resume:
	.cfi_startproc
	.cfi_undefined rip
	cld
	movq	%rdi, %r12			/* load_sp, the scheduler's copy */
	movq	%rsi, %r13			/* next's struct mpk_uthread */
	/*
	 * Signals held while the page is open (HOLD_SIGNALS: the switch is
	 * not a gate call's window, limit 9), the mask as it was in xmm9
	 * until the next thread's PKRU is in force. (The switch frame is
	 * this thread's: 8 bytes below it, then %rsp as it came.)
	 */
	subq	$8, %rsp
	HOLD_SIGNALS (%rsp)
	movq	(%rsp), %xmm9
	addq	$8, %rsp
	OPEN_GATE flexos__mpk_resume_open_checked
	movq	MPK_G_UREC(%r11), %r14		/* the running thread's record */
	REC_ADDR %r14, %r8, .Lbad_gp
	movq	MPK_G_DEPTH(%r11), %rcx
	cmpq	$MPK_G_MAX_DEPTH, %rcx
	ja	.Lbad_depth
	movq	%rcx, MPK_G_DEPTH(%r8)
	COPY_CALLS %r11, %r8
	leaq	MPK_G_SP(%r11), %rsi		/* sp[] and cur */
	leaq	MPK_G_SP(%r8), %rdi
	movl	$MPK_SLOTS, %ecx
	rep movsq
	movq	MPK_G_CUR(%r11), %rax
	movq	%rax, MPK_G_CUR(%r8)
	movq	MPK_G_OWNER(%r11), %rax
	movq	%rax, MPK_G_OWNER(%r8)
	movq	%rsp, MPK_G_RSP(%r8)		/* suspended: resumable once */

	movq	MPK_U_REC(%r13), %r15		/* the next thread: its handle */
	movq	MPK_U_CUR(%r13), %rbx		/* and the scheduler's copy of its compartment */
	movl	$1, %r13d			/* 1: no record */
	REC_ADDR %r15, %r9, .Lbad_switch
	movl	$2, %r13d			/* 2: not this OS thread's */
	movq	MPK_G_OWNER(%r9), %rax
	cmpq	MPK_G_OWNER(%r11), %rax
	jne	.Lbad_switch
	movl	$3, %r13d			/* 3: not suspended */
	movq	MPK_G_RSP(%r9), %rax
	testq	%rax, %rax
	jz	.Lbad_switch
	movl	$4, %r13d			/* 4: another stack pointer */
	cmpq	%rax, %r12
	jne	.Lbad_switch
	movl	$5, %r13d			/* 5: another compartment */
	cmpq	MPK_G_CUR(%r9), %rbx
	jne	.Lbad_switch
	movl	$7, %r13d			/* 7: its thread has ended */
	testq	$MPK_ENDED, MPK_G_ENDED(%r9)
	jnz	.Lbad_switch
	movl	$6, %r13d			/* 6: too many gate calls */
	movq	MPK_G_DEPTH(%r9), %rcx
	cmpq	$MPK_G_MAX_DEPTH, %rcx
	ja	.Lbad_switch
	movq	$0, MPK_G_RSP(%r9)		/* resumed */
	movq	%rcx, MPK_G_DEPTH(%r11)
	COPY_CALLS %r9, %r11
	leaq	MPK_G_SP(%r9), %rsi		/* sp[], and cur as checked (5) */
	leaq	MPK_G_SP(%r11), %rdi
	movl	$MPK_SLOTS, %ecx
	rep movsq
	movq	%rbx, MPK_G_CUR(%r11)
	movq	%r15, MPK_G_UREC(%r11)
	movq	%rax, %rsp			/* its stack, then its PKRU */
	CLOSE_GATE flexos__mpk_switch_checked
	subq	$8, %rsp			/* the mask back, on its stack */
	movq	%xmm9, (%rsp)
	SET_MASK (%rsp)
	addq	$8, %rsp
	pxor	%xmm9, %xmm9
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
.Lbad_switch:
	movq	%r15, %r14
	xorl	%ecx, %ecx
	RDPKRU
	movl	%eax, %ebx
	movl	$MPK_REPORT_SWITCH, %r12d
	jmp	.Lreport
	.cfi_endproc
	.size	flexos__mpk_thread_resume, .-flexos__mpk_thread_resume

/*
 * struct mpk_urec_made flexos__mpk_urec_new(uintptr_t rsp, uintptr_t top,
 * uint64_t frame, const void *thread) (mpk.h): the first free record above
 * the OS threads' own, taken with this OS thread's owner; in it the
 * compartment the gate page names (never one the caller says), no gate
 * call, the scheduler's state of its thread (thread, which names the
 * record's thread for a join, thread_result, and thread_running; no other
 * record in use may name it: NAMED_ELSEWHERE), and that compartment as the
 * record's home (a join trusts a record only from its own compartment),
 * also in the records' index (mpk.h: threads). With frame 0
 * (shared stacks) the thread's stack is the caller's: suspended at rsp,
 * its stack there ending at top. Else its stack is one of that
 * compartment's pool (stacks.c), held by the record from here on (so
 * urec_free gives it back): the record is suspended at the stack's top
 * less frame bytes (at most a page), where the caller copies the
 * thread's first switch frame; rsp and top are not used. Out: %rax the
 * handle (0: none), %rdx the pool stack's top (0 if no record was free
 * or thread is NULL, 1 if no stack was, 2 if another record in use, or
 * an OS thread's own, names thread: a state is one thread's, whichever
 * compartment asks, NAMED_ELSEWHERE). Registers only while the page is
 * open. Whatever the caller passes, the record and the stack are of its
 * own compartment.
 */
	.globl	flexos__mpk_urec_new
	.hidden	flexos__mpk_urec_new
	.type	flexos__mpk_urec_new, @function
flexos__mpk_urec_new:
	.cfi_startproc
	cld
	movq	%rdi, %r8
	movq	%rsi, %r9
	movq	%rdx, %r10
	movq	%rcx, %xmm9			/* thread */
	OPEN_GATE flexos__mpk_urec_new_open_checked
	movq	%xmm9, %rax
	testq	%rax, %rax
	jz	.Lurec_none			/* (no thread) */
	movq	%r10, %rsi
	cmpq	$4096, %rsi
	ja	.Lurec_none
	movq	%rsi, %xmm8			/* frame */
	movq	flexos__mpk_ro+MPK_RO_REC_LO(%rip), %rdi
	addq	$(MPK_GATE_PAGES * 4096), %rdi
	movl	$1, %esi			/* the handle */
1:	xorl	%eax, %eax
	movq	MPK_G_OWNER(%r11), %rdx
	lock cmpxchgq %rdx, MPK_G_OWNER(%rdi)
	je	2f
	addq	$4096, %rdi
	incq	%rsi
	cmpq	$MPK_UREC_MAX, %rsi
	jbe	1b
.Lurec_none:
	xorl	%esi, %esi			/* none left */
	xorl	%r9d, %r9d
	jmp	3f
2:	movq	%rdi, %r10
	movq	MPK_G_CUR(%r11), %rax
	andl	$(MPK_SLOTS - 1), %eax
	movq	%rax, MPK_G_CUR(%r10)
	movq	%rax, MPK_G_HOME(%r10)
	leaq	MPK_G_SP(%r10), %rdi
	movl	$MPK_SLOTS, %ecx
	xorl	%eax, %eax
	rep stosq
	movq	$0, MPK_G_DEPTH(%r10)
	movq	$0, MPK_G_UREC(%r10)
	movq	$0, MPK_G_ENDED(%r10)
	movq	%xmm9, MPK_G_THREAD(%r10)
	movq	flexos__mpk_ro+MPK_RO_THREADS(%rip), %rax
	movq	%xmm9, %rcx
	xchgq	%rcx, (%rax,%rsi,8)		/* the index (locked: before the look) */
	/*
	 * The caller's stack pointer and top for a record without a frame
	 * (shared stacks), kept in the record until the page is open again
	 * (its retval, set to 0 then, and its stack slot): never taken from
	 * registers after the look.
	 */
	movq	MPK_G_CUR(%r10), %rax
	movq	%r9, MPK_G_SP(%r10,%rax,8)
	movq	%r8, MPK_G_RETVAL(%r10)
	/*
	 * One record at most names a state (limit 13): else none, 2. The
	 * look reads only, with the page closed (a signal while it is open
	 * ends the image): the record, taken, cannot be resumed (rsp 0),
	 * freed (not ended) or taken again meanwhile.
	 */
	movq	%xmm8, %rax			/* (the frame, checked: at most 4096) */
	shlq	$16, %rax
	orq	%rsi, %rax
	btsq	$MPK_LOOK_BIT, %rax
	movq	%rax, MPK_G_LOOK(%r11)
	CLOSE_GATE flexos__mpk_urec_new_look_checked
	movq	%xmm9, %rdi
	NAMED_ELSEWHERE %rdi, %rsi, 8f
	OPEN_GATE flexos__mpk_urec_new_reopen_checked
	TAKE_LOOK
	movq	MPK_G_RETVAL(%r10), %rax
	movq	$0, MPK_G_RETVAL(%r10)
	movq	%xmm8, %rcx
	testq	%rcx, %rcx
	jnz	4f
	movq	%rax, MPK_G_RSP(%r10)
	xorl	%r9d, %r9d
	jmp	3f
	/* A stack of the record's compartment's pool: a holder word 0 -> the record. */
4:	movq	MPK_G_CUR(%r10), %rax
	leaq	(%rax,%rax,2), %rax
	leaq	flexos__mpk_pools(%rip), %rdx
	leaq	(%rdx,%rax,8), %rdx		/* &pool[cur]: lo, hi, holder */
	movq	16(%rdx), %rdi
	testq	%rdi, %rdi
	jz	6f
	xorl	%ecx, %ecx
5:	cmpq	flexos__mpk_pools+MPK_POOLS_NSTACKS(%rip), %rcx
	jae	6f
	xorl	%eax, %eax
	lock cmpxchgq %r10, (%rdi,%rcx,8)
	je	7f
	incq	%rcx
	jmp	5b
	/* None free: the record is free again. */
6:	movq	$0, MPK_G_THREAD(%r10)		/* (before the owner: NAMED_ELSEWHERE reads both) */
	movq	$0, MPK_G_OWNER(%r10)
	xorl	%esi, %esi
	movl	$1, %r9d
	jmp	3f
	/* Named by another record: the record is free again (no stack taken yet). */
8:	OPEN_GATE flexos__mpk_urec_new_undo_checked
	TAKE_LOOK
	movq	$0, MPK_G_THREAD(%r10)		/* (before the owner: NAMED_ELSEWHERE reads both) */
	movq	$0, MPK_G_OWNER(%r10)
	xorl	%esi, %esi
	movl	$2, %r9d
	jmp	3f
	/* Its top: lo + (i + 1) * stride. */
7:	incq	%rcx
	imulq	flexos__mpk_pools+MPK_POOLS_STRIDE(%rip), %rcx
	addq	(%rdx), %rcx
	movq	%rcx, %r9
	movq	MPK_G_CUR(%r10), %rax
	leaq	-(MPK_STACK_HEADROOM + 8)(%rcx), %rdx
	movq	%rdx, MPK_G_SP(%r10,%rax,8)
	movq	%xmm8, %rdx
	subq	%rdx, %rcx
	movq	%rcx, MPK_G_RSP(%r10)
3:	movq	%rsi, %r8
	CLOSE_GATE flexos__mpk_urec_new_checked
	movq	%r8, %rax
	movq	%r9, %rdx
	ret
	.cfi_endproc
	.size	flexos__mpk_urec_new, .-flexos__mpk_urec_new

/*
 * int flexos__mpk_urec_end(void *retval) (mpk.h): the running thread's
 * record, the one the gate page names, is marked ended with retval, 0
 * (a join takes the result from there: thread_result); nothing, -1, for the
 * OS thread's own context (never freed) or inside a gate call: only the
 * thread itself ends its record, in the compartment it runs in with no
 * caller of another compartment waiting on its stacks. Registers only
 * while the page is open.
 */
	.globl	flexos__mpk_urec_end
	.hidden	flexos__mpk_urec_end
	.type	flexos__mpk_urec_end, @function
flexos__mpk_urec_end:
	.cfi_startproc
	movl	$-1, %r8d
	movq	%rdi, %r9
	OPEN_GATE flexos__mpk_urec_end_open_checked
	movq	MPK_G_UREC(%r11), %rdi
	testq	%rdi, %rdi
	jz	1f
	cmpq	$0, MPK_G_DEPTH(%r11)
	jne	1f
	REC_ADDR %rdi, %rdi, 1f
	movq	%r9, MPK_G_RETVAL(%rdi)
	orq	$MPK_ENDED, MPK_G_ENDED(%rdi)
	xorl	%r8d, %r8d
1:	CLOSE_GATE flexos__mpk_urec_end_checked
	movl	%r8d, %eax
	ret
	.cfi_endproc
	.size	flexos__mpk_urec_end, .-flexos__mpk_urec_end

/*
 * void flexos__mpk_urec_free(uint64_t handle) (mpk.h): a record of this
 * OS thread that is not the one running, whose thread has ended
 * (urec_end) and that the running compartment made (its home: another
 * compartment would free the record of a thread that app has not joined
 * yet, and have its control block reused) is free again (the OS threads'
 * own are never freed), and the
 * pool's stacks it held too (with the page open, before the record can be
 * taken again), unless it was suspended inside a gate call (a thread that
 * ended its record and went on: it is never resumed, and keeps its
 * stacks); any other handle changes nothing: a compartment cannot free
 * the record of a thread suspended in another (whose frames are on the
 * stacks it holds).
 */
	.globl	flexos__mpk_urec_free
	.hidden	flexos__mpk_urec_free
	.type	flexos__mpk_urec_free, @function
flexos__mpk_urec_free:
	.cfi_startproc
	movq	%rdi, %r8
	OPEN_GATE flexos__mpk_urec_free_open_checked
	testq	%r8, %r8
	jz	1f
	cmpq	MPK_G_UREC(%r11), %r8
	je	1f
	REC_ADDR %r8, %rdi, 1f
	movq	MPK_G_OWNER(%rdi), %rax
	cmpq	MPK_G_OWNER(%r11), %rax
	jne	1f
	testq	$MPK_ENDED, MPK_G_ENDED(%rdi)
	jz	1f
	cmpq	$0, MPK_G_DEPTH(%rdi)		/* (ended, then suspended inside a gate call) */
	jne	1f
	movq	MPK_G_CUR(%r11), %rax		/* made by the running compartment */
	andl	$(MPK_SLOTS - 1), %eax
	cmpq	MPK_G_HOME(%rdi), %rax
	jne	1f
	/*
	 * Its stacks back to the pools: every holder word (gate key) that
	 * names the record becomes 0. Registers only: no C code, no return
	 * address on the caller's stack, which another thread of the
	 * compartment could write while the page is open.
	 */
	movq	flexos__mpk_pools+MPK_POOLS_TABLE(%rip), %rcx
	movq	flexos__mpk_pools+MPK_POOLS_TABLE+8(%rip), %rdx
	xorl	%r9d, %r9d
2:	cmpq	%rdx, %rcx
	jae	3f
	movq	%rdi, %rax
	lock cmpxchgq %r9, (%rcx)
	addq	$8, %rcx
	jmp	2b
3:
	movq	$0, MPK_G_RSP(%rdi)
	movq	$0, MPK_G_ENDED(%rdi)
	movq	$0, MPK_G_THREAD(%rdi)		/* (before the owner: NAMED_ELSEWHERE reads both) */
	movq	$0, MPK_G_OWNER(%rdi)
1:	CLOSE_GATE flexos__mpk_urec_free_checked
	ret
	.cfi_endproc
	.size	flexos__mpk_urec_free, .-flexos__mpk_urec_free

/*
 * int flexos__mpk_urec_detach(uint64_t handle) (mpk.h): a record of this
 * OS thread that the running compartment made is marked detached, 0:
 * the scheduler releases a thread that has ended without a join only if
 * its compartment said so here (a list of dead threads in its key-0
 * memory could name any); -1 for any other handle. Registers only while
 * the page is open.
 */
	.globl	flexos__mpk_urec_detach
	.hidden	flexos__mpk_urec_detach
	.type	flexos__mpk_urec_detach, @function
flexos__mpk_urec_detach:
	.cfi_startproc
	movl	$-1, %r8d
	movq	%rdi, %r9
	OPEN_GATE flexos__mpk_urec_detach_open_checked
	testq	%r9, %r9
	jz	1f
	REC_ADDR %r9, %rdi, 1f
	movq	MPK_G_OWNER(%rdi), %rax
	cmpq	MPK_G_OWNER(%r11), %rax
	jne	1f
	movq	MPK_G_CUR(%r11), %rax
	andl	$(MPK_SLOTS - 1), %eax
	cmpq	MPK_G_HOME(%rdi), %rax
	jne	1f
	orq	$MPK_DETACHED, MPK_G_ENDED(%rdi)
	xorl	%r8d, %r8d
1:	CLOSE_GATE flexos__mpk_urec_detach_checked
	movl	%r8d, %eax
	ret
	.cfi_endproc
	.size	flexos__mpk_urec_detach, .-flexos__mpk_urec_detach

/*
 * int flexos__mpk_urec_first(const void *thread) (mpk.h): the switch
 * record of this OS thread's own context (handle 0: the gate page's)
 * names thread, the scheduler's state of its first thread, 0: set once
 * (flexos__mpk_claim clears it for a new thread), then only confirmed;
 * named (MPK_NAMED, which thread_running requires) only once its look
 * found no other record naming thread, so that a look a signal handler
 * never returned to leaves nothing named, and is told again;
 * -1 if it names another, if another record names thread (a thread's
 * record in use, or another OS thread's own: NAMED_ELSEWHERE, with the
 * page closed), or thread is NULL. thread_running compares the
 * scheduler's current thread with it while no thread it made runs.
 * Registers only while the page is open.
 */
	.globl	flexos__mpk_urec_first
	.hidden	flexos__mpk_urec_first
	.type	flexos__mpk_urec_first, @function
flexos__mpk_urec_first:
	.cfi_startproc
	movl	$-1, %r8d
	movq	%rdi, %r9
	OPEN_GATE flexos__mpk_urec_first_open_checked
	testq	%r9, %r9
	jz	1f
	xorl	%eax, %eax
	REC_ADDR %rax, %rdi, 1f			/* (handle 0: the page's own record) */
	testq	$MPK_NAMED, MPK_G_ENDED(%rdi)	/* (told: else none, or a look left) */
	jz	2f
	cmpq	MPK_G_THREAD(%rdi), %r9
	jne	1f
	xorl	%r8d, %r8d			/* (told already) */
	jmp	1f
	/* The record, its index word, then the look: no other record names it. */
2:	movq	$0, MPK_G_ENDED(%rdi)
	movq	%r11, %rsi
	subq	flexos__mpk_ro+MPK_RO_GP_LO(%rip), %rsi
	shrq	$12, %rsi
	addq	$MPK_THREADS_FIRST, %rsi
	movq	%r9, MPK_G_THREAD(%rdi)
	movq	flexos__mpk_ro+MPK_RO_THREADS(%rip), %rax
	movq	%r9, %rcx
	xchgq	%rcx, (%rax,%rsi,8)
	/*
	 * The look with the page closed, as urec_new's, its mark on the page;
	 * then the page opened again to take the mark back: 0. The undo takes
	 * the page's own record and index word again from the page opened
	 * again (%r11), never from registers, which a jump to this opening
	 * would choose, and only after a look (the mark): -1.
	 */
	xorl	%eax, %eax
	btsq	$MPK_LOOK_FIRST_BIT, %rax
	movq	%rax, MPK_G_LOOK(%r11)
	CLOSE_GATE flexos__mpk_urec_first_look_checked
	NAMED_ELSEWHERE %r9, %rsi, 3f
	OPEN_GATE flexos__mpk_urec_first_reopen_checked
	TAKE_FIRST_LOOK
	xorl	%eax, %eax
	REC_ADDR %rax, %rdi, .Lviolation
	orq	$MPK_NAMED, MPK_G_ENDED(%rdi)	/* (named: thread_running believes it) */
	xorl	%r8d, %r8d
	jmp	1f
3:	OPEN_GATE flexos__mpk_urec_first_undo_checked
	TAKE_FIRST_LOOK
	movl	$-1, %r8d
	xorl	%eax, %eax
	REC_ADDR %rax, %rdi, .Lviolation
	movq	$0, MPK_G_ENDED(%rdi)
	movq	$0, MPK_G_THREAD(%rdi)
	movq	%r11, %rsi
	subq	flexos__mpk_ro+MPK_RO_GP_LO(%rip), %rsi
	shrq	$12, %rsi
	addq	$MPK_THREADS_FIRST, %rsi
	movq	flexos__mpk_ro+MPK_RO_THREADS(%rip), %rax
	movq	$0, (%rax,%rsi,8)
1:	CLOSE_GATE flexos__mpk_urec_first_checked
	movl	%r8d, %eax
	ret
	.cfi_endproc
	.size	flexos__mpk_urec_first, .-flexos__mpk_urec_first

/*
 * OPEN_GATE's claim of a gate page for a thread that has none (or lost its
 * TLS pointer to it), jumped to with the gate page's key open, %eax the
 * PKRU written and %rcx where to jump back: flexos__mpk_claim(%eax) on the
 * claim's stack (gate key: no compartment may write the return address
 * there), under its lock (mpk.h: MPK_RO_CLAIM), every register OPEN_GATE
 * does not clobber kept (the gate's paths keep values in xmm8-15 too);
 * what the C code left on that stack is wiped. Clobbers ecx, edx, r11.
 */
	.globl	flexos__mpk_claim_path
	.hidden	flexos__mpk_claim_path
	.type	flexos__mpk_claim_path, @function
flexos__mpk_claim_path:
	.cfi_startproc
	.cfi_undefined %rip			/* (jumped to: unwinders stop here) */
	movq	flexos__mpk_ro+MPK_RO_CLAIM(%rip), %r11
1:	lock btsl $0, (%r11)
	jnc	2f
	pause
	jmp	1b
2:	movq	%rsp, %rdx
	leaq	(4096 + (1 << MPK_GATE_STACK_SHIFT))(%r11), %rsp
	pushq	%rdx				/* the caller's stack pointer */
	pushq	%rcx				/* where to go back */
	subq	$8, %rsp			/* (a call needs rsp = 0 mod 16) */
	SAVE_GATE_REGS 0
	SAVE_VECTORS_HI
	movl	%eax, %edi
	call	flexos__mpk_claim
	RESTORE_VECTORS_HI
	RESTORE_GATE_REGS 0
	WIPE_BELOW 4096
	addq	$8, %rsp
	popq	%rdx
	popq	%rsp
	movq	flexos__mpk_ro+MPK_RO_CLAIM(%rip), %r11
	movl	$0, (%r11)
	jmp	*%rdx
	.cfi_endproc
	.size	flexos__mpk_claim_path, .-flexos__mpk_claim_path

/*
 * void flexos__mpk_sigreturn(void): the restorer of every handler the
 * image registers (signal.c), entered by the handler's ret with %rsp at
 * the kernel's ucontext. rt_sigreturn restores PKRU from the frame's
 * XSAVE area, and the filter lets it come from the syscall below only,
 * so this is where a frame is checked:
 *   0. the nonce into %rdi, from a page whose key only this code opens
 *      (a WRPKRU checked as the others), with every signal blocked
 *      after that WRPKRU (the frame's mask comes back with
 *      rt_sigreturn): the filter also wants it in the first argument, so
 *      a jump straight to the syscall, skipping the checks, is killed; no
 *      signal frame can catch it in %rdi, and every later step keeps it
 *      there or reports;
 *   1. PKRU = key 0 and the gate key read-only (the gate page), from the
 *      read-only page, checked after the WRPKRU;
 *   2. this thread's gate page (validated as the gate does) names the
 *      compartment that was running;
 *   3. the XSAVE area is one the kernel restores in full (both magic
 *      words, the size of the kernel's frames, PKRU among the features
 *      and present in XSTATE_BV: otherwise the kernel would load PKRU's
 *      init value, 0, every key open), and its PKRU is that
 *      compartment's, or key 0 only (a signal that interrupted a handler)
 *      in images without newlib compartments.
 * Anything else ends in the report (MPK_REPORT_SIGRETURN, %r13 what
 * failed, %r14 the compartment). Only registers and the frame are used:
 * rt_sigreturn restores them all.
 */
/*
 * ---- The frame checked where no compartment can write it (limit 9) ----
 *
 * The kernel writes a signal frame on the thread's signal stack, which
 * every compartment may write (key 0, or the shared key): a handler of
 * another compartment, or another thread, could change the registers the
 * interrupted compartment resumes with. So the delivery stub snapshots
 * the frame at once (SIG_SNAPSHOT), into a free one of this thread's
 * MPK_SIG_FRAMES copy areas (gate key), which records the frame's address;
 * and the restorer (SIGRETURN_COPY) resumes from the snapshot of the frame
 * at %rsp, never from the frame: what a handler changes in the context is
 * not used. A frame no delivery snapshotted (one the runtime's own
 * handlers made, or one a compartment forged and jumps to the restorer
 * with) is copied to the first area as before: it resumes, at most, the
 * compartment the gate page names with its own PKRU (checked below).
 *
 * The areas' pages are opened for writing by one WRPKRU: the PKRU of the
 * compartment the validated gate page (%r11) names, with the gate key
 * writable (MPK_PKRU_SIG_COPY_PKRU, from the PKRU table's page), checked
 * against the page validated again (SIG_CHECK_GP: key 0 may be denied),
 * and the areas are found from that page: a jump to that WRPKRU writes
 * only this thread's areas (where RDFSBASE proves the owner). So the frame
 * is read with the rights of the compartment that was interrupted, the
 * one the kernel wrote it with: a frame or an XSAVE pointer a compartment
 * forges (a jump to the WRPKRU, a call of the restorer) copies only what
 * that compartment may read itself; with key 0 open, a newlib compartment
 * had key-0 memory copied where it may read it. The restorer's PKRU is
 * back (checked) before anything reads a copy.
 *
 * SIG_AREAS: with the areas open, %rax = this thread's first area, %r8 =
 * the stride. Clobbers rcx, rdx.
 */
.macro SIG_AREAS checked
	leaq	flexos__mpk_pkru(%rip), %rdx
	movq	MPK_G_CUR(%r11), %rax
	andl	$(MPK_SLOTS - 1), %eax
	movl	MPK_PKRU_SIG_COPY_PKRU(%rdx,%rax,4), %eax
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	WRPKRU
	.globl	\checked
	.hidden	\checked
\checked:
	cld					/* (a jump to the WRPKRU chooses DF: the copies' rep movs) */
	SIG_CHECK_GP %r11, %rdx
	leaq	flexos__mpk_pkru(%rip), %rdx
	movq	MPK_G_CUR(%r11), %rcx
	andl	$(MPK_SLOTS - 1), %ecx
	cmpl	MPK_PKRU_SIG_COPY_PKRU(%rdx,%rcx,4), %eax
	jne	.Lviolation
	movq	%r11, %rax
	subq	MPK_PKRU_SIG_GP_LO(%rdx), %rax
	shrq	$12, %rax
	imulq	$MPK_SIG_AREAS, %rax, %rax
	movq	MPK_PKRU_SIG_COPY_STRIDE(%rdx), %r8
	imulq	%r8, %rax
	addq	MPK_PKRU_SIG_COPY(%rdx), %rax
.endm

/*
 * The restorer's PKRU again (read from the entry page: key 0 may be
 * denied until this WRPKRU), checked, and %r11 validated again: that
 * PKRU reads the copy key, and a jump to this WRPKRU, which any
 * compartment reaches, must not have the code after it read where a
 * register it chose points (an attack review's). Clobbers eax, ecx, edx.
 */
.macro SIG_AREAS_CLOSE checked
	movl	flexos__mpk_ro_entry+MPK_ROE_SIGRET_PKRU(%rip), %eax
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	WRPKRU
	.globl	\checked
	.hidden	\checked
\checked:
	cmpl	flexos__mpk_ro+MPK_RO_SIGRET_PKRU(%rip), %eax
	jne	.Lviolation
	SIG_CHECK_GP %r11, %rdx
.endm

/*
 * With a copy window open: \src, \len bytes (a register or an
 * immediate; with xsave=1, the XSAVE size from the PKRU table's page and
 * 4), must lie outside the copy areas, whose key only the windows open: a
 * "frame" or an XSAVE pointer there would have the window read another
 * thread's copy (an attack review's: with a jump past the delivery
 * stub's check and %r14 in app's thread's area, the copy faulted on
 * app's register taken for the XSAVE pointer, and evil's SIGSEGV
 * handler read it in si_addr). Else the report (MPK_REPORT_SIGRETURN,
 * 7). Clobbers rcx, rsi, rdi.
 */
.macro SIG_SOURCE_CHECK src, len, xsave=0
	leaq	flexos__mpk_pkru(%rip), %rdi
	.if \xsave
	movl	MPK_PKRU_SIG_XSAVE_SIZE(%rdi), %ecx
	addq	$4, %rcx
	.else
	movq	\len, %rcx
	.endif
	addq	\src, %rcx
	jc	.Lsig_source_bad
	cmpq	MPK_PKRU_SIG_COPY(%rdi), %rcx
	jbe	.Lsource_ok\@
	movq	MPK_PKRU_SIG_COPY_STRIDE(%rdi), %rsi
	imulq	$(MPK_GATE_PAGES * MPK_SIG_AREAS), %rsi, %rsi
	addq	MPK_PKRU_SIG_COPY(%rdi), %rsi
	cmpq	%rsi, \src
	jb	.Lsig_source_bad
.Lsource_ok\@:
.endm

/*
 * Copies the ucontext at \uc (a register other than rax, rcx, rdx, rsi,
 * rdi, r8, r9) and its XSAVE area (its size from the read-only page, and
 * the magic word after it) into the area at %rax, whose fpregs then
 * points to the copied XSAVE area; with checked=1 (a frame from outside:
 * the kernel's, or a compartment's), both first checked to lie outside
 * the copy areas (SIG_SOURCE_CHECK). Clobbers rcx, rsi, rdi, r9.
 */
.macro SIG_COPY_FRAME uc, checked=1
	.if \checked
	SIG_SOURCE_CHECK \uc, $MPK_UC_COPY
	.endif
	movq	MPK_UC_FPREGS(\uc), %r9	/* the XSAVE area */
	.if \checked
	testq	%r9, %r9
	jz	.Lsource_fp_ok\@
	SIG_SOURCE_CHECK %r9, 0, 1
.Lsource_fp_ok\@:
	.endif
	leaq	MPK_SIG_COPY_UC(%rax), %rdi
	movq	\uc, %rsi
	movl	$(MPK_UC_COPY / 8), %ecx
	rep movsq
	/*
	 * The pointer as read and checked above, not as rep movsq read it
	 * again: another thread may have changed it in between (an attack
	 * review's).
	 */
	movq	%r9, (MPK_SIG_COPY_UC + MPK_UC_FPREGS)(%rax)
	testq	%r9, %r9			/* none: the restorer reports it */
	jz	.Lcopied\@
	leaq	MPK_SIG_COPY_FP(%rax), %rdi
	movq	%rdi, (MPK_SIG_COPY_UC + MPK_UC_FPREGS)(%rax)
	movq	%r9, %rsi
	leaq	flexos__mpk_pkru(%rip), %rcx	/* (key 0 may be denied) */
	movl	MPK_PKRU_SIG_XSAVE_SIZE(%rcx), %ecx
	addl	$4, %ecx			/* and FP_XSTATE_MAGIC2 */
	rep movsb
.Lcopied\@:
.endm

/*
 * The registers of the interrupted compartment in the frame at \uc (its
 * ucontext), zeroed once the snapshot holds them, for a handler of
 * another compartment (limit 6 of docs/threat-model.md): the general
 * registers but rsp and rip (and the fault's err, trapno, cr2), the
 * flags' arithmetic bits, the x87 registers' last instruction and data
 * pointers, the x87 and xmm registers, and every XSAVE component after
 * the legacy area and its header (the upper halves, AVX-512, PKRU:
 * nothing reads them back, the restorer resumes from the snapshot). The
 * XSAVE area at %rbp (the one the snapshot copied, not the frame's
 * pointer read again), %ebx bytes at most (the read-only size; the
 * frame's own if smaller). With the interrupted compartment's
 * PKRU, the one the kernel wrote the frame with: whatever \uc and %rbp
 * point at (a forged call of the stub), this writes only what that
 * compartment may write itself. Clobbers rax, rcx, rdi.
 */
.macro SIG_SCRUB_FRAME uc
	xorl	%eax, %eax
	leaq	MPK_UC_GREGS(\uc), %rdi
	movl	$MPK_UC_GREGS_DATA, %ecx
	rep stosq
	andq	$~MPK_EFLAGS_ARITH, MPK_UC_EFL(\uc)
	testq	%rbp, %rbp
	jz	.Lscrubbed\@
	movq	%rax, 8(%rbp)			/* the last x87 instruction's address */
	movq	%rax, 16(%rbp)			/* and its operand's */
	leaq	32(%rbp), %rdi			/* st0-st7, xmm0-xmm15 */
	movl	$((416 - 32) / 8), %ecx
	rep stosq
	leaq	576(%rbp), %rdi			/* past the header: the extended components */
	movl	MPK_FX_SW_SIZE(%rbp), %ecx	/* the frame's size, if smaller (AMX hosts) */
	cmpl	%ebx, %ecx
	cmoval	%ebx, %ecx
	subl	$576, %ecx
	jbe	.Lscrubbed\@
	shrl	$3, %ecx
	rep stosq
.Lscrubbed\@:
.endm

/*
 * The delivery stub's snapshot of the frame at %r14 (its ucontext), %r11
 * the validated gate page, the restorer's PKRU in force: into the area
 * that already records this frame's address at this depth (a handler
 * left with siglongjmp), else a free one, or one recorded deeper than
 * the thread is now (left the same way); none ends in the report. An
 * area recorded less deep is a delivery in progress (this is a signal in
 * its handler, or a handler that jumped here with the frame's address):
 * never overwritten (a review found a nested signal's snapshot, at the
 * same address, replacing the interrupted compartment's). Out: %r8 and
 * %rsi the snapshot's rip and rsp (the areas have the copy key, closed
 * again at the end), %r9 the kernel's XSAVE area. Clobbers rax, rcx, rdx,
 * rdi.
 */
.macro SIG_SNAPSHOT
	cld
	SIG_AREAS flexos__mpk_sig_snapshot_checked
	movq	MPK_G_DEPTH(%r11), %r9
	movq	MPK_G_UREC(%r11), %rdx		/* the user-level thread's: the areas are shared */
	xorl	%esi, %esi			/* a free area */
	movl	$MPK_SIG_FRAMES, %ecx
1:	cmpq	%r14, MPK_SIG_COPY_FRAME(%rax)
	jne	4f
	cmpq	%r9, MPK_SIG_COPY_DEPTH(%rax)
	jne	4f
	cmpq	%rdx, MPK_SIG_COPY_UREC(%rax)
	je	3f
4:	testq	%rsi, %rsi
	jnz	2f
	cmpq	$0, MPK_SIG_COPY_FRAME(%rax)
	je	5f
	cmpq	%rdx, MPK_SIG_COPY_UREC(%rax)	/* (another thread's delivery: in use) */
	jne	2f
	cmpq	%r9, MPK_SIG_COPY_DEPTH(%rax)
	jbe	2f
5:	movq	%rax, %rsi
2:	addq	%r8, %rax
	decl	%ecx
	jnz	1b
	movq	%rsi, %rax
	testq	%rax, %rax
	jz	.Lsig_frames_full
3:	movq	%r14, MPK_SIG_COPY_FRAME(%rax)
	movq	%r9, MPK_SIG_COPY_DEPTH(%rax)
	movq	%rdx, MPK_SIG_COPY_UREC(%rax)
	SIG_COPY_FRAME %r14
	/* (out: the snapshot's rip and rsp, read while the copy key is open) */
	movq	(MPK_SIG_COPY_UC + MPK_UC_RIP)(%rax), %r8
	movq	(MPK_SIG_COPY_UC + MPK_UC_RSP)(%rax), %rsi
	SIG_AREAS_CLOSE flexos__mpk_sig_snapshotted_checked
.endm

/*
 * In SIGRETURN_COPY, with the copy at %rax open (its key writable): a
 * frame whose rip lies in a gate path's window (WINDOW: a signal that
 * found the gate page open), from the table on the PKRU table's page, is
 * made to resume at the window's restart or tail, with the PKRU of the
 * compartment the gate page (%r11) names, in the copy's XSAVE area (the
 * checks after it then find that PKRU); before the commit only a frame
 * with that compartment's open PKRU. Any other frame is left as it
 * is: one with an open PKRU outside the windows is still the report
 * (MPK_REPORT_SIGRETURN, 5). Clobbers rcx, rdx, rsi, rdi, r8, r9.
 */
.macro WINDOW_RESUME
	leaq	flexos__mpk_pkru(%rip), %rdx
	movq	(MPK_SIG_COPY_UC + MPK_UC_RIP)(%rax), %rsi
	leaq	MPK_PKRU_WINDOWS(%rdx), %rdi
	movl	MPK_PKRU_WINDOWS_N(%rdx), %r8d
	cmpl	$MPK_PKRU_WINDOWS_MAX, %r8d
	jbe	1f
	movl	$MPK_PKRU_WINDOWS_MAX, %r8d
1:	testl	%r8d, %r8d
	jz	.Lwindow_none\@
	cmpq	MPK_W_LO(%rdi), %rsi
	jb	2f
	cmpq	MPK_W_HI(%rdi), %rsi
	jb	3f
2:	addq	$MPK_W_SIZE, %rdi
	decl	%r8d
	jmp	1b
3:	movq	MPK_G_CUR(%r11), %rcx
	andl	$(MPK_SLOTS - 1), %ecx
	movl	MPK_PKRU_SIG_PKRU_OFF(%rdx), %r8d
	movq	MPK_W_TAIL(%rdi), %r9
	cmpq	%r9, %rsi
	jae	4f
	/*
	 * Before the commit the window runs with the open PKRU of the
	 * compartment the page names: a frame with another (a snapshot left
	 * by a handler that jumped out, taken in another compartment at the
	 * same depth; a forged one) is left as it is, and refused below.
	 */
	movl	MPK_SIG_COPY_FP(%rax,%r8), %esi
	cmpl	MPK_PKRU_OPEN(%rdx,%rcx,4), %esi
	jne	.Lwindow_none\@
	movq	MPK_W_RESTART(%rdi), %r9
4:	movq	%r9, (MPK_SIG_COPY_UC + MPK_UC_RIP)(%rax)
	movl	(%rdx,%rcx,4), %ecx
	movl	%ecx, MPK_SIG_COPY_FP(%rax,%r8)
.Lwindow_none\@:
.endm

/*
 * In flexos__mpk_sigreturn, once the gate page has named the compartment
 * (%r11 the page, %rdi the nonce, %rsp the frame's ucontext): %rsp moves
 * to a copy, in the last area, of the snapshot of that frame, whose area
 * is free again (signals are blocked until rt_sigreturn), or of the frame
 * if no delivery snapshotted it. The last area, because rt_sigreturn
 * reads its uc_stack with the compartment's PKRU (mpk.h: MPK_SIG_COPY_UC).
 * Clobbers every register but %rdi, %rbx, %r12-%r15.
 */
.macro SIGRETURN_COPY
	movq	%rdi, %r10			/* the nonce: rep movs needs rdi */
	cld
	SIG_AREAS flexos__mpk_sigreturn_copy_checked
	movq	MPK_G_DEPTH(%r11), %r9
	movq	MPK_G_UREC(%r11), %rdx
	movl	$MPK_SIG_FRAMES, %ecx
1:	cmpq	%rsp, MPK_SIG_COPY_FRAME(%rax)
	jne	4f
	cmpq	%r9, MPK_SIG_COPY_DEPTH(%rax)	/* (the snapshot this depth took) */
	jne	4f
	cmpq	%rdx, MPK_SIG_COPY_UREC(%rax)	/* (of this user-level thread) */
	je	2f
4:	addq	%r8, %rax
	decl	%ecx
	jnz	1b
	movq	%rsp, %rdx			/* none: a copy of the frame, in the last area */
	SIG_COPY_FRAME %rdx
	jmp	3f
2:	movq	$0, MPK_SIG_COPY_FRAME(%rax)
	leaq	MPK_SIG_COPY_UC(%rax), %rdx	/* the snapshot, copied to the last area */
	imulq	%r8, %rcx			/* (%ecx areas from this one to it) */
	addq	%rcx, %rax
	SIG_COPY_FRAME %rdx, 0
	/*
	 * rt_sigreturn sets the thread's signal stack from the frame's
	 * uc_stack (restore_altstack), past the sigaltstack filter: a frame
	 * a compartment forged named a stack over app's heap, where the
	 * kernel then wrote a frame (an attack review's: syscalls
	 * sigreturn-altstack). A mode sigaltstack refuses makes it keep
	 * the stack it has; the error is ignored.
	 */
3:	movl	$MPK_SS_INVALID, (MPK_SIG_COPY_UC + MPK_UC_SS_FLAGS)(%rax)
	WINDOW_RESUME
	leaq	MPK_SIG_COPY_UC(%rax), %rsp
	SIG_AREAS_CLOSE flexos__mpk_sigreturn_copied_checked
	/*
	 * %rsp must be this thread's last area's ucontext, from the page
	 * validated again: the checks below read where it points with the
	 * restorer's PKRU, which reads the copy key (a jump to the WRPKRU
	 * above with %rsp in another thread's area made a fault's address
	 * tell its words: an attack review's).
	 */
	leaq	flexos__mpk_pkru(%rip), %rdx
	movq	%r11, %rax
	subq	MPK_PKRU_SIG_GP_LO(%rdx), %rax
	shrq	$12, %rax
	imulq	$MPK_SIG_AREAS, %rax, %rax
	addq	$MPK_SIG_FRAMES, %rax
	imulq	MPK_PKRU_SIG_COPY_STRIDE(%rdx), %rax
	addq	MPK_PKRU_SIG_COPY(%rdx), %rax
	addq	$MPK_SIG_COPY_UC, %rax
	cmpq	%rax, %rsp
	jne	.Lsig_source_bad
	movq	%r10, %rdi
.endm

/* rt_sigprocmask(SIG_SETMASK, all): clobbers rax, rcx, rdx, rsi, rdi, r10, r11. */
.macro BLOCK_SIGNALS mask=.Lall_signals
	movl	$SYS_rt_sigprocmask, %eax
	movl	$2, %edi			/* SIG_SETMASK */
	leaq	\mask(%rip), %rsi
	xorl	%edx, %edx
	movl	$8, %r10d
	syscall
.endm

	.globl	flexos__mpk_sigreturn
	.hidden	flexos__mpk_sigreturn
	.type	flexos__mpk_sigreturn, @function
flexos__mpk_sigreturn:
	/*
	 * Entered with the interrupted compartment's PKRU, which may deny key
	 * 0 (a newlib compartment's): until the first WRPKRU, only the entry
	 * page (the shared key in such images, read-only).
	 */
	movq	flexos__mpk_ro_entry+MPK_ROE_NONCE(%rip), %rsi
	testq	%rsi, %rsi
	jz	2f
	movl	flexos__mpk_ro_entry+MPK_ROE_NONCE_PKRU(%rip), %eax
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	WRPKRU
	.globl	flexos__mpk_sigreturn_nonce_checked
	.hidden	flexos__mpk_sigreturn_nonce_checked
flexos__mpk_sigreturn_nonce_checked:
	cmpl	flexos__mpk_ro+MPK_RO_NONCE_PKRU(%rip), %eax
	jne	.Lviolation
	/*
	 * Between this WRPKRU and the load (the only way to a PKRU that reads
	 * the nonce): no signal, so that no frame, which a compartment can
	 * read, ever holds the nonce in %rdi.
	 */
	BLOCK_SIGNALS
	movq	flexos__mpk_ro+MPK_RO_NONCE(%rip), %rsi
	movq	(%rsi), %rdi			/* kept to the syscall: the filter's token */
	jmp	1f
2:	BLOCK_SIGNALS flexos__mpk_ro_entry+MPK_ROE_ALL_SIGNALS
	xorl	%edi, %edi
1:	movl	flexos__mpk_ro_entry+MPK_ROE_SIGRET_PKRU(%rip), %eax
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	WRPKRU
	.globl	flexos__mpk_sigreturn_checked
	.hidden	flexos__mpk_sigreturn_checked
flexos__mpk_sigreturn_checked:
	cmpl	flexos__mpk_ro+MPK_RO_SIGRET_PKRU(%rip), %eax
	jne	.Lviolation
	movl	%eax, %ebx
	movq	$-1, %r14
	movl	$1, %r13d			/* 1: no gate page */
	LOAD_GP	%r11, %rcx, .Lsig_bad
	movq	MPK_G_CUR(%r11), %r14
	andl	$(MPK_SLOTS - 1), %r14d
	SIGRETURN_COPY
	movl	$2, %r13d			/* 2: no XSAVE area (in the copy) */
	movq	MPK_UC_FPREGS(%rsp), %r8
	testq	%r8, %r8
	jz	.Lsig_bad
	movl	$3, %r13d			/* 3: not restored in full */
	cmpl	$MPK_XSTATE_MAGIC1, MPK_FX_SW(%r8)
	jne	.Lsig_bad
	movl	MPK_FX_SW_SIZE(%r8), %ecx
	cmpl	flexos__mpk_ro+MPK_RO_XSAVE_SIZE(%rip), %ecx
	jne	.Lsig_bad
	cmpl	MPK_FX_SW_EXT_SIZE(%r8), %ecx
	ja	.Lsig_bad
	cmpl	$MPK_XSTATE_MAGIC2, (%r8,%rcx)
	jne	.Lsig_bad
	btq	$MPK_XFEATURE_PKRU, MPK_FX_SW_FEATURES(%r8)
	jnc	.Lsig_bad
	btq	$MPK_XFEATURE_PKRU, MPK_XSTATE_BV(%r8)
	jnc	.Lsig_bad
	movl	$4, %r13d			/* 4: another PKRU */
	movl	flexos__mpk_ro+MPK_RO_PKRU_OFF(%rip), %ecx
	movl	(%r8,%rcx), %eax
	leaq	flexos__mpk_pkru(%rip), %rdx
	cmpl	(%rdx,%r14,4), %eax
	je	.Lsig_ok
	cmpl	MPK_PKRU_OPEN(%rdx,%r14,4), %eax
	jne	1f
	movl	$5, %r13d			/* 5: a gate had its page open */
1:	cmpl	$0, flexos__mpk_ro+MPK_RO_KEY0_OK(%rip)
	je	.Lsig_bad
	cmpl	$MPK_PKRU_AD_ALL_BUT_0, %eax
	jne	.Lsig_bad
.Lsig_ok:
	movl	$SYS_rt_sigreturn, %eax
	.globl	flexos__mpk_sigreturn_insn
	.hidden	flexos__mpk_sigreturn_insn
flexos__mpk_sigreturn_insn:
	syscall
	.globl	flexos__mpk_sigreturn_syscall
	.hidden	flexos__mpk_sigreturn_syscall
flexos__mpk_sigreturn_syscall:
	ud2
.Lsig_bad:
	xorl	%edi, %edi
	movl	$MPK_REPORT_SIGRETURN, %r12d
	jmp	.Lreport
	/* A frame or XSAVE area in the copy areas (SIG_SOURCE_CHECK). */
.Lsig_source_bad:
	xorl	%edi, %edi
	movq	MPK_G_CUR(%r11), %r14		/* (%r11: the validated gate page) */
	andl	$(MPK_SLOTS - 1), %r14d
	movl	$7, %r13d
	movl	$MPK_REPORT_SIGRETURN, %r12d
	jmp	.Lreport
	/* More frames in handling on this thread than it has copy areas. */
.Lsig_frames_full:
	xorl	%edi, %edi
	movl	$6, %r13d
	movl	$MPK_REPORT_SIGRETURN, %r12d
	jmp	.Lreport
	.size	flexos__mpk_sigreturn, .-flexos__mpk_sigreturn

	.section .rodata
	.balign	8
.Lall_signals:
	.quad	-1
	.text

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
	/*
	 * Only the thread that runs the default compartment, outside any
	 * gate call, may come here: at start-up, main's thread. A thread of
	 * another compartment, or one inside a gate call, that jumps here
	 * with main's legitimate PKRU would run main over with main's
	 * rights on main's live stack.
	 */
	LOAD_GP	%r11, %rcx, .Lbad_gp
	cmpq	MPK_G_CUR(%r11), %r10
	jne	.Lstart_main_again
	cmpq	$0, MPK_G_DEPTH(%r11)
	jne	.Lstart_main_again
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
.Lstart_main_again:
	movq	MPK_G_CUR(%r11), %r13
	movq	MPK_G_DEPTH(%r11), %r14
	movl	%eax, %ebx
	movl	$MPK_REPORT_START_MAIN, %r12d
	jmp	.Lreport
	.cfi_endproc
	.size	flexos__mpk_start_main, .-flexos__mpk_start_main

/*
 * longjmp across gates (jump.c). The image's setjmps and longjmps are
 * wrapped at link time (backends/common/jump-wrap.S). The wrapped setjmp
 * calls flexos__backend_setjmp (rdi = jmp_buf, esi = savemask, rdx = its
 * own stack pointer at entry, where the address its caller returns to
 * is), which records, with the gate page open, what the jump must
 * restore: the caller's callee-saved registers and return, the gate
 * depth and compartment, the gate page's sp[]. The wrapped longjmp calls
 * flexos__backend_longjmp (rdi = jmp_buf, esi = value, rdx = the C
 * library's function): a jump that crosses no gate is the C library's;
 * one that does unwinds the gate page (jump.c checks it first), then
 * switches to the PKRU of the compartment the page then names (checked
 * after the WRPKRU against the page, read again) and resumes from the
 * armed record of the jump page, both on gate-key memory: the jmp_buf,
 * in memory the target may share, is not read on that path.
 */

/*
 * setjmp's and longjmp's start: every signal but SIGSEGV and SIGSYS held
 * (their C code runs with the gate page open, not a gate call's window:
 * limit 9), 24 bytes taken on the caller's stack, the mask as it was at
 * 0(%rsp); rdi and rsi kept. Clobbers rax, rcx, rdx, r10, r11.
 */
.macro BLOCK_KEEP_MASK
	subq	$24, %rsp
	.cfi_adjust_cfa_offset 24
	movq	%rdi, 8(%rsp)
	movq	%rsi, 16(%rsp)
	HOLD_SIGNALS (%rsp)
	movq	8(%rsp), %rdi
	movq	16(%rsp), %rsi
.endm

/* Writes the PKRU of the compartment this thread's gate page names, checked against the page read again. */
.macro SWITCH_TO_CUR checked
	LOAD_GP	%r11, %rcx, .Lbad_gp
	CLOSE_GATE \checked
.endm

	.text
	.globl	flexos__backend_setjmp
	.hidden	flexos__backend_setjmp
	.type	flexos__backend_setjmp, @function
flexos__backend_setjmp:
	.cfi_startproc
	movq	%rdx, %r8			/* OPEN_GATE keeps r8 and r9 */
	/*
	 * Every signal but SIGSEGV and SIGSYS held from here to the end:
	 * a signal while the gate page is open for the record (jump.c's C
	 * code, not a gate call's window) would end the image (limit 9),
	 * and every setjmp of the image comes here. The mask as it was at 0(%rsp), for the record
	 * (jump.c) and back at the end. (The wrapper keeps rdi and rsi.)
	 */
	BLOCK_KEEP_MASK
	/*
	 * Where it returns, and the mask, read with the caller's PKRU: a
	 * newlib compartment's open PKRU opens key 0, which it may not read.
	 */
	movq	(%r8), %r9
	movq	0(%rsp), %r10			/* (OPEN_GATE keeps it too) */
	OPEN_GATE flexos__mpk_setjmp_open_checked
	ON_GATE_STACK 96
	CFA_DEREF_RSP 0, 32
	movq	%rdi, 8(%rsp)
	movq	%rsi, 16(%rsp)
	movq	%r10, 24(%rsp)			/* the mask */
	/* at 32: struct mpk_jump's regs */
	movq	%rbx, 32(%rsp)
	movq	%rbp, 40(%rsp)
	movq	%r12, 48(%rsp)
	movq	%r13, 56(%rsp)
	movq	%r14, 64(%rsp)
	movq	%r15, 72(%rsp)
	leaq	8(%r8), %rcx			/* the caller's stack once setjmp returns */
	movq	%rcx, 80(%rsp)
	movq	%r9, 88(%rsp)			/* where it returns */
	movq	%r11, %rdi
	movq	8(%rsp), %rsi
	movl	16(%rsp), %edx
	leaq	32(%rsp), %rcx
	leaq	24(%rsp), %r8			/* the mask as it was */
	call	flexos__mpk_jump_record
	OFF_GATE_STACK 96
	.cfi_def_cfa %rsp, 32
	SWITCH_TO_CUR flexos__mpk_setjmp_checked
	SET_MASK (%rsp)
	addq	$24, %rsp
	.cfi_adjust_cfa_offset -24
	xorl	%r11d, %r11d
	ret
	.cfi_endproc
	.size	flexos__backend_setjmp, .-flexos__backend_setjmp

	.globl	flexos__backend_longjmp
	.hidden	flexos__backend_longjmp
	.type	flexos__backend_longjmp, @function
flexos__backend_longjmp:
	.cfi_startproc
	movq	%rdx, %r8			/* the C library's longjmp */
	/*
	 * Every signal but SIGSEGV and SIGSYS held while the page is open
	 * (jump.c's C code, not a gate call's window: limit 9), the jumper's
	 * mask kept at 0(%rsp)
	 * and, read with its PKRU, in r9 for jump.c, which says in the jump
	 * page's mask_after what to put in force once the page is closed.
	 */
	BLOCK_KEEP_MASK
	movq	0(%rsp), %r9			/* (OPEN_GATE keeps r8 and r9) */
	OPEN_GATE flexos__mpk_longjmp_open_checked
	ON_GATE_STACK 48
	CFA_DEREF_RSP 0, 32
	movq	%rdi, 8(%rsp)
	movq	%rsi, 16(%rsp)
	movq	%r8, 24(%rsp)
	movq	%r9, 32(%rsp)			/* the jumper's mask */
	leaq	32(%rsp), %rdx
	movq	%rdi, %rsi
	movq	%r11, %rdi
	call	flexos__mpk_jump_unwind
	movq	8(%rsp), %rdi
	movq	16(%rsp), %rsi
	movq	24(%rsp), %r8
	OFF_GATE_STACK 48
	.cfi_def_cfa %rsp, 32
	/* The record jump.c armed, if any, from the page, disarmed while the page is open. */
	LOAD_GP	%r11, %rcx, .Lbad_gp
	movq	$MPK_JUMP_OFFSET, %r9
	addq	%r11, %r9
	movq	MPK_J_ARMED(%r9), %rax
	movq	$0, MPK_J_ARMED(%r9)
	movq	%rax, %xmm8
	SWITCH_TO_CUR flexos__mpk_longjmp_checked
	/* The mask jump.c chose, from the page (r11: validated), the page closed. */
	movq	%rdi, %xmm9
	movq	%rsi, %xmm10
	movq	%r10, %xmm11
	movq	%r11, %xmm12
	SET_MASK MPK_JUMP_OFFSET + MPK_J_MASK_AFTER(%r11)
	addq	$24, %rsp			/* (the jumper's frame, as it came) */
	.cfi_adjust_cfa_offset -24
	movq	%xmm9, %rdi
	movq	%xmm10, %rsi
	movq	%xmm11, %r10
	movq	%xmm12, %r11
	pxor	%xmm9, %xmm9
	pxor	%xmm10, %xmm10
	pxor	%xmm11, %xmm11
	pxor	%xmm12, %xmm12
	movq	%xmm8, %rax
	subq	$1, %rax
	jb	1f				/* no gate crossed: the C library's */
	/* r11: the validated page; r10: the compartment it names now */
	andl	$(MPK_JUMPS - 1), %eax
	imulq	$MPK_J_SIZE, %rax, %rax
	leaq	MPK_JUMP_OFFSET + MPK_J_REC(%r11,%rax), %r9
	cmpq	MPK_J_COMP(%r9), %r10
	jne	.Lviolation
	movl	%esi, %eax			/* longjmp(env, 0) returns 1 */
	testl	%eax, %eax
	jnz	2f
	movl	$1, %eax
2:	movq	MPK_J_REGS + 0(%r9), %rbx
	movq	MPK_J_REGS + 8(%r9), %rbp
	movq	MPK_J_REGS + 16(%r9), %r12
	movq	MPK_J_REGS + 24(%r9), %r13
	movq	MPK_J_REGS + 32(%r9), %r14
	movq	MPK_J_REGS + 40(%r9), %r15
	movq	MPK_J_REGS + 48(%r9), %rsp
	movq	MPK_J_REGS + 56(%r9), %r11
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	xorl	%esi, %esi
	xorl	%edi, %edi
	xorl	%r8d, %r8d
	xorl	%r9d, %r9d
	/* Nothing of the jumper's compartment in the vector registers either. */
	ZERO_UPPER_HALVES
	CLEAR_XMMS 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
	CLEAR_EVEX
	CLEAR_X87 8				/* (jump.c cleared a pending exception) */
	emms
	jmp	*%r11
1:	xorl	%r11d, %r11d
	jmp	*%r8
	.cfi_endproc
	.size	flexos__backend_longjmp, .-flexos__backend_longjmp


/*
 * ---- Handlers in their compartments (signal.c, limit 9) ----
 *
 * void flexos__mpk_sig_deliver(int sig, siginfo_t *si, void *ctx): the
 * handler the kernel calls for every handler a compartment installs, on
 * this thread's signal stack, with its default PKRU (key 0 only), which
 * can read neither the gate page nor the handler table. Like the
 * scheduler's switch:
 *   1. PKRU = key 0 and the gate key read-only (the restorer's, from the
 *      read-only page), checked;
 *   2. this thread's gate page (validated) names the compartment that was
 *      running; its PKRU, checked after the WRPKRU against the page,
 *      validated again from copies of the bounds on the PKRU table's page
 *      (a newlib compartment may not read key 0): a jump to the WRPKRU
 *      gets only the PKRU this thread's page says it runs;
 *   3. from there the stub is that compartment calling the gate of the
 *      image with entry MPK_GATE_ENTRY_SIGNAL: the gate's own path enters
 *      the compartment that installed the handler (SIGNAL_ENTRY checks
 *      it), on its stack of this thread, and comes back;
 *   4. the ret goes to the frame's pretcode, flexos__mpk_sigreturn, with
 *      the interrupted compartment's PKRU, which the frame must restore.
 * Every register is the stub's: rt_sigreturn restores them all. A thread
 * without a gate page (one that has neither crossed a gate nor
 * allocated) cannot say what it runs: a report.
 */

	.globl	flexos__mpk_sig_deliver
	.hidden	flexos__mpk_sig_deliver
	.type	flexos__mpk_sig_deliver, @function
flexos__mpk_sig_deliver:
	.cfi_startproc
	movq	%rdx, %r14			/* ctx, si, sig */
	/*
	 * Unwinders go from here to the interrupted code, through the
	 * kernel's ucontext at %r14 (kept to the end: the gate and the
	 * handler preserve it), as glibc's restorer describes its frame:
	 * CFA = the interrupted %rsp, and rip, rbp, rbx, r12-r15 saved in
	 * uc_mcontext.gregs (sys/ucontext.h: REG_*).
	 */
	.cfi_signal_frame
	.cfi_escape DW_CFA_def_cfa_expression, 4, DW_OP_breg14, 0xa0, 0x01, DW_OP_deref
	.cfi_escape DW_CFA_expression, 16, 3, DW_OP_breg14, 0xa8, 0x01
	.cfi_escape DW_CFA_expression, 6, 3, DW_OP_breg14, 0xf8, 0x00
	.cfi_escape DW_CFA_expression, 3, 3, DW_OP_breg14, 0x80, 0x01
	.cfi_escape DW_CFA_expression, 12, 3, DW_OP_breg14, 0xc8, 0x00
	.cfi_escape DW_CFA_expression, 13, 3, DW_OP_breg14, 0xd0, 0x00
	.cfi_escape DW_CFA_expression, 14, 3, DW_OP_breg14, 0xd8, 0x00
	.cfi_escape DW_CFA_expression, 15, 3, DW_OP_breg14, 0xe0, 0x00
	movl	%edi, %r12d
	movq	%rsi, %r13
	/*
	 * Entered by the kernel, with its PKRU (every key but 0
	 * access-disabled), which no compartment's is: a compartment that
	 * calls the stub, to run a handler with a siginfo of its own, is
	 * reported.
	 */
	xorl	%ecx, %ecx
	RDPKRU
	movl	%eax, %ebx
	andl	$MPK_PKRU_AD_ALL_BUT_0, %eax
	cmpl	$MPK_PKRU_AD_ALL_BUT_0, %eax
	jne	.Ldeliver_called
	movl	flexos__mpk_ro+MPK_RO_SIGRET_PKRU(%rip), %eax
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	WRPKRU
	.globl	flexos__mpk_sig_deliver_checked
	.hidden	flexos__mpk_sig_deliver_checked
flexos__mpk_sig_deliver_checked:
	cmpl	flexos__mpk_ro+MPK_RO_SIGRET_PKRU(%rip), %eax
	jne	.Lviolation
	/*
	 * No handler runs while a report is in progress (its lock word,
	 * gate key, holds the reporting thread's tid): the image is ending.
	 * On the reporting thread, once its unwinder lets SIGSEGV in, a
	 * compartment that had set SIGSEGV's action to a handler of its own
	 * again had that handler run there and jump into the report's path
	 * with the lock held (an attack review's: app's secret printed).
	 */
	movq	flexos__mpk_ro+MPK_RO_LOCK(%rip), %rax
	testq	%rax, %rax
	jz	1f
	movl	(%rax), %eax
	testl	%eax, %eax
	jnz	.Ldeliver_reporting
1:	LOAD_GP	%r11, %rcx, .Ldeliver_no_gp
	SIG_SNAPSHOT
	/*
	 * The handler and its compartment, from the table (gate key:
	 * readable), read once. A handler of another compartment than the
	 * one interrupted, or any handler of a signal that interrupted the
	 * gate's code (where the other side's registers may not be cleared
	 * yet), gets a frame without the interrupted registers: the restorer
	 * resumes from the snapshot. Decided here (the XSAVE size is key 0),
	 * done with the interrupted compartment's PKRU (SIG_SCRUB_FRAME).
	 */
	movq	%r9, %rbp			/* the kernel's XSAVE area, as the snapshot read it */
	/*
	 * 0: no scrub, else the XSAVE size. Scrubbed unless the interrupted
	 * compartment's own handler runs: with no handler recorded (the
	 * table's stub action installed raw for a signal nobody handles) the
	 * frame stayed on the signal stack, unscrubbed (an attack review's).
	 */
	movl	flexos__mpk_ro+MPK_RO_XSAVE_SIZE(%rip), %ebx
	xorl	%r15d, %r15d
	cmpl	$MPK_SIG_SLOTS, %r12d
	jae	1f
	leaq	flexos__mpk_pkru(%rip), %rdx
	movq	MPK_PKRU_SIGTAB(%rdx), %rax
	movl	%r12d, %ecx
	shlq	$MPK_SIG_SHIFT, %rcx
	movq	MPK_SIG_FN(%rax,%rcx), %r15
	testq	%r15, %r15
	jz	1f
	movq	%r8, %rax			/* (the snapshot's rip: %r14 is not read here) */
	leaq	flexos__mpk_gate_text_lo(%rip), %rcx
	cmpq	%rcx, %rax
	jb	2f
	leaq	flexos__mpk_gate_text_hi(%rip), %rcx
	cmpq	%rcx, %rax
	jb	1f				/* in the gate: scrub */
2:	movq	%r15, %rax
	shrq	$MPK_SIG_COMP_SHIFT, %rax
	andl	$(MPK_SLOTS - 1), %eax
	movq	MPK_G_CUR(%r11), %rcx
	andl	$(MPK_SLOTS - 1), %ecx
	cmpl	%eax, %ecx
	jne	1f
	xorl	%ebx, %ebx			/* its own compartment's handler */
1:	movq	MPK_G_CUR(%r11), %r10
	andl	$(MPK_SLOTS - 1), %r10d
	leaq	flexos__mpk_pkru(%rip), %rdx
	movl	(%rdx,%r10,4), %eax
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	WRPKRU
	.globl	flexos__mpk_sig_deliver_cur_checked
	.hidden	flexos__mpk_sig_deliver_cur_checked
flexos__mpk_sig_deliver_cur_checked:
	SIG_CHECK_GP %r11, %rcx
	movq	MPK_G_CUR(%r11), %r10
	andl	$(MPK_SLOTS - 1), %r10d
	leaq	flexos__mpk_pkru(%rip), %rdx
	cmpl	(%rdx,%r10,4), %eax
	jne	.Lviolation
	testl	%ebx, %ebx
	jz	1f
	SIG_SCRUB_FRAME %r14
1:	testq	%r15, %r15
	jz	.Ldeliver_done			/* none yet: sigaction is installing it */
	/*
	 * Where the call to the handler's gate is made from: in images with
	 * private stacks, for a signal that did not interrupt the gate's
	 * code, the interrupted compartment's own stack below its red zone
	 * (its stack pointer from the snapshot, %r8), so that what the gate
	 * keeps for it (its stack pointer, its callee-saved registers) and
	 * any call the handler makes into it are on memory of its key, not
	 * on the signal stack, which every compartment may write (a review
	 * found a handler's call into the interrupted compartment running it
	 * there); else the signal stack, as the kernel left it (%rbp = 0).
	 */
	xorl	%ebp, %ebp
	leaq	flexos__backend_gate_shared_stacks(%rip), %rax
	leaq	flexos__mpk_pkru(%rip), %rcx
	cmpq	%rax, MPK_PKRU_SIGGATE(%rcx)
	je	3f
	movq	%r8, %rax			/* (the snapshot's rip and rsp: SIG_SNAPSHOT) */
	leaq	flexos__mpk_gate_text_lo(%rip), %rcx
	cmpq	%rcx, %rax
	jb	2f
	leaq	flexos__mpk_gate_text_hi(%rip), %rcx
	cmpq	%rcx, %rax
	jb	3f
2:	movq	%rsi, %rbp
	subq	$128, %rbp
	andq	$-16, %rbp
	subq	$8, %rbp			/* (as the kernel leaves the stub's: 8 mod 16) */
3:
	/*
	 * The mark that lets the gate take this one call with the signal
	 * entry index (SIGNAL_ENTRY consumes it), written with the page
	 * open, then this compartment's PKRU again, checked.
	 */
	OPEN_GATE flexos__mpk_sig_deliver_open_checked
	leal	1(%r12), %ecx
	testq	%rbp, %rbp
	jz	4f
	btsq	$32, %rcx			/* (the own stack: MPK_G_SIGNAL_OWN_STACK) */
4:	movq	%rcx, MPK_G_SIGMARK(%r11)
	SIG_TO_CUR flexos__mpk_sig_deliver_mark_checked
	movq	%r15, %r10
	shrq	$MPK_SIG_COMP_SHIFT, %r10
	andl	$(MPK_SLOTS - 1), %r10d
	movl	$MPK_GATE_ENTRY_SIGNAL, %r11d
	shlq	$FLEXOS_GATE_ENTRY_SHIFT, %r11
	orq	%r11, %r10
	movq	MPK_PKRU_SIGGATE(%rdx), %rax
	movq	%rax, %r11
	movl	%r12d, %edi
	movq	%r13, %rsi
	movq	%r14, %rdx
	xorl	%eax, %eax
	testq	%rbp, %rbp
	jz	5f
	movq	%rbp, %rsp			/* the interrupted compartment's stack */
5:	subq	$8, %rsp			/* the gate expects rsp = 8 (mod 16), as after a call */
	call	*%r11
	/* Where the private-stack gates come back to (PRIVATE_GATE), by a jump. */
	.globl	flexos__mpk_sig_deliver_back
	.hidden	flexos__mpk_sig_deliver_back
flexos__mpk_sig_deliver_back:
	addq	$8, %rsp
	/*
	 * To the restorer without the kernel's return address (on the signal
	 * stack, which every compartment may write): %rsp at the ucontext.
	 */
.Ldeliver_done:
	addq	$8, %rsp
	jmp	flexos__mpk_sigreturn
	/*
	 * The same for a call made from the interrupted compartment's stack
	 * (MPK_G_SIGNAL_OWN_STACK): %r14, the frame, as the gate took it back
	 * from that stack, which only that compartment writes.
	 */
	.globl	flexos__mpk_sig_deliver_back_own
	.hidden	flexos__mpk_sig_deliver_back_own
flexos__mpk_sig_deliver_back_own:
	movq	%r14, %rsp
	jmp	flexos__mpk_sigreturn
.Ldeliver_no_gp:
	movl	%eax, %ebx
	movl	%r12d, %r13d
	xorl	%r14d, %r14d
	movl	$MPK_REPORT_DELIVERY, %r12d
	jmp	.Lreport
.Ldeliver_called:
	movl	%r12d, %r13d
	movq	$-1, %r14
	movl	$MPK_REPORT_SIGNAL, %r12d
	jmp	.Lreport
	/* The reporting thread ends the image at once; another waits for it to end. */
.Ldeliver_reporting:
	movl	%eax, %ebx
	movl	$SYS_gettid, %eax
	syscall
	cmpl	%eax, %ebx
	je	.Lreport_again
1:	movl	$SYS_sched_yield, %eax
	syscall
	jmp	1b
	.cfi_endproc
	.size	flexos__mpk_sig_deliver, .-flexos__mpk_sig_deliver

/* What a gate calls for a handler replaced while its signal was on the way. */
	.globl	flexos__mpk_sig_nothing
	.hidden	flexos__mpk_sig_nothing
	.type	flexos__mpk_sig_nothing, @function
flexos__mpk_sig_nothing:
	ret
	.size	flexos__mpk_sig_nothing, .-flexos__mpk_sig_nothing

/*
 * int flexos__mpk_sig_record(int sig, void *fn, int flags) (mpk.h): with
 * the gate page's key open (OPEN_GATE, checked), one store of fn and the
 * compartment the gate page says is running into the handler table, then
 * that compartment's PKRU again (checked). The signal number is masked
 * into the table, so a jump past any check writes only an entry of it,
 * and only for the compartment the page names.
 */
	.globl	flexos__mpk_sig_record
	.hidden	flexos__mpk_sig_record
	.type	flexos__mpk_sig_record, @function
flexos__mpk_sig_record:
	.cfi_startproc
	movl	%edx, %r8d			/* flags: OPEN_GATE clobbers rdx */
	OPEN_GATE flexos__mpk_sig_open_checked
	andl	$(MPK_SIG_SLOTS - 1), %edi
	shlq	$MPK_SIG_SHIFT, %rdi
	movq	MPK_G_CUR(%r11), %r10
	andl	$(MPK_SLOTS - 1), %r10d
	leaq	flexos__mpk_pkru(%rip), %rdx
	addq	MPK_PKRU_SIGTAB(%rdx), %rdi
	movq	%r10, %rcx
	shlq	$MPK_SIG_COMP_SHIFT, %rcx
	shlq	$(64 - MPK_SIG_COMP_SHIFT), %rsi
	shrq	$(64 - MPK_SIG_COMP_SHIFT), %rsi
	orq	%rcx, %rsi
	movl	%r8d, MPK_SIG_FLAGS(%rdi)
	movq	%rsi, MPK_SIG_FN(%rdi)
	SWITCH_PKRU flexos__mpk_sig_close_checked, CUR_AGAIN SIG_CHECK_GP %r11, %rcx
	xorl	%eax, %eax
	ret
	.cfi_endproc
	.size	flexos__mpk_sig_record, .-flexos__mpk_sig_record

/*
 * int flexos__mpk_cb_bind(void (*fn)(void), void *arg, const void *obj)
 * (mpk.h): with the gate page open (checked), the first free callback
 * record takes the compartment the page names, fn, arg and obj; then
 * that compartment's PKRU
 * again (checked). Returns the handle (the record's index + 1), or
 * -ENOSPC when every record is taken. Registers only while open.
 */
	.globl	flexos__mpk_cb_bind
	.hidden	flexos__mpk_cb_bind
	.type	flexos__mpk_cb_bind, @function
flexos__mpk_cb_bind:
	.cfi_startproc
	movq	%rdi, %r8
	movq	%rsi, %r9
	movq	%rdx, %r10
	OPEN_GATE flexos__mpk_cb_bind_open_checked
	movq	MPK_G_CUR(%r11), %rdx
	andl	$(MPK_SLOTS - 1), %edx
	incq	%rdx				/* the owner: its id + 1 */
	movq	flexos__mpk_ro+MPK_RO_CB(%rip), %rdi
	testq	%rdi, %rdi
	jz	2f
	xorl	%esi, %esi
1:	xorl	%eax, %eax
	lock cmpxchgq %rdx, (%rdi)
	je	3f
	addq	$MPK_CB_SIZE, %rdi
	incl	%esi
	cmpl	$MPK_CB_SLOTS, %esi
	jb	1b
2:	movq	$-MPK_ENOSPC, %r8
	jmp	4f
3:	movq	%r8, 8(%rdi)
	movq	%r9, 16(%rdi)
	movq	%r10, 24(%rdi)
	leal	1(%rsi), %r8d
4:	CLOSE_GATE flexos__mpk_cb_bind_checked
	movq	%r8, %rax
	xorl	%r11d, %r11d
	ret
	.cfi_endproc
	.size	flexos__mpk_cb_bind, .-flexos__mpk_cb_bind

/*
 * void flexos__mpk_cb_unbind(int handle) (mpk.h): the record is free
 * again if the compartment the gate page names bound it; else nothing.
 */
	.globl	flexos__mpk_cb_unbind
	.hidden	flexos__mpk_cb_unbind
	.type	flexos__mpk_cb_unbind, @function
flexos__mpk_cb_unbind:
	.cfi_startproc
	movslq	%edi, %r8
	OPEN_GATE flexos__mpk_cb_unbind_open_checked
	decq	%r8
	cmpq	$MPK_CB_SLOTS, %r8
	jae	1f
	movq	flexos__mpk_ro+MPK_RO_CB(%rip), %rdi
	testq	%rdi, %rdi
	jz	1f
	imulq	$MPK_CB_SIZE, %r8, %r8
	addq	%rdi, %r8
	movq	MPK_G_CUR(%r11), %rdx
	andl	$(MPK_SLOTS - 1), %edx
	incq	%rdx
	cmpq	%rdx, (%r8)
	jne	1f
	movq	$0, 8(%r8)
	movq	$0, 16(%r8)
	movq	$0, 24(%r8)
	movq	$0, (%r8)
1:	CLOSE_GATE flexos__mpk_cb_unbind_checked
	xorl	%r11d, %r11d
	ret
	.cfi_endproc
	.size	flexos__mpk_cb_unbind, .-flexos__mpk_cb_unbind

/*
 * ---- Threads: a gate page made by the creator (pthread.c, limit 2) ----
 *
 * int flexos__mpk_thread_register(uint64_t fsbase) (mpk.h): with the gate
 * page open (OPEN_GATE, checked: the PKRU in force is then the open PKRU
 * of the compartment this thread's page names), flexos__mpk_register
 * takes a page for the thread whose FS base is fsbase, in the compartment
 * of that PKRU; then that compartment's PKRU again (CLOSE_GATE, checked
 * against the page, validated again). Returns what it returned.
 */
	.globl	flexos__mpk_thread_register
	.hidden	flexos__mpk_thread_register
	.type	flexos__mpk_thread_register, @function
flexos__mpk_thread_register:
	.cfi_startproc
	movq	%rdi, %r8			/* OPEN_GATE keeps r8 */
	OPEN_GATE flexos__mpk_register_open_checked
	ON_GATE_STACK 16
	CFA_DEREF_RSP 0
	movq	%r8, %rdi
	call	flexos__mpk_register
	OFF_GATE_STACK 16
	.cfi_def_cfa %rsp, 8
	movq	%rax, %r8
	LOAD_GP	%r11, %rcx, .Lbad_gp
	CLOSE_GATE flexos__mpk_register_checked
	movq	%r8, %rax
	xorl	%r11d, %r11d
	ret
	.cfi_endproc
	.size	flexos__mpk_thread_register, .-flexos__mpk_thread_register

/*
 * uintptr_t flexos__mpk_home_stack(void) (mpk.h): with the gate page open
 * (checked), flexos__mpk_home_take, on the gate stack, gives this thread a
 * stack of the pool of the compartment its page names (held by the page:
 * written only with the page open), then that compartment's PKRU again.
 * Returns the stack's top.
 */
	.globl	flexos__mpk_home_stack
	.hidden	flexos__mpk_home_stack
	.type	flexos__mpk_home_stack, @function
flexos__mpk_home_stack:
	.cfi_startproc
	OPEN_GATE flexos__mpk_home_open_checked
	ON_GATE_STACK 16
	CFA_DEREF_RSP 0
	call	flexos__mpk_home_take
	OFF_GATE_STACK 16
	.cfi_def_cfa %rsp, 8
	movq	%rax, %r8
	LOAD_GP	%r11, %rcx, .Lbad_gp
	CLOSE_GATE flexos__mpk_home_checked
	movq	%r8, %rax
	xorl	%r11d, %r11d
	ret
	.cfi_endproc
	.size	flexos__mpk_home_stack, .-flexos__mpk_home_stack

/*
 * void *flexos__mpk_run_on(void *(*fn)(void *), void *arg, uintptr_t top)
 * (mpk.h): fn(arg) on the stack that ends at top (16-aligned), then back
 * on the caller's stack. No rights change; unwinders walk through it
 * (rbp keeps the caller's stack pointer).
 */
	.globl	flexos__mpk_run_on
	.hidden	flexos__mpk_run_on
	.type	flexos__mpk_run_on, @function
flexos__mpk_run_on:
	.cfi_startproc
	pushq	%rbp
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbp, 0
	movq	%rsp, %rbp
	.cfi_def_cfa_register %rbp
	movq	%rdx, %rsp
	movq	%rdi, %rax
	movq	%rsi, %rdi
	call	*%rax
	movq	%rbp, %rsp
	.cfi_def_cfa_register %rsp
	popq	%rbp
	.cfi_adjust_cfa_offset -8
	.cfi_restore %rbp
	ret
	.cfi_endproc
	.size	flexos__mpk_run_on, .-flexos__mpk_run_on

/*
 * int flexos__mpk_thread_unregister(uint64_t fsbase) (mpk.h): the same
 * path for flexos__mpk_unregister: a page registered for fsbase and not
 * bound is free again (the clone site's, for a clone that failed).
 */
	.globl	flexos__mpk_thread_unregister
	.hidden	flexos__mpk_thread_unregister
	.type	flexos__mpk_thread_unregister, @function
flexos__mpk_thread_unregister:
	.cfi_startproc
	movq	%rdi, %r8
	OPEN_GATE flexos__mpk_unregister_open_checked
	ON_GATE_STACK 16
	CFA_DEREF_RSP 0
	movq	%r8, %rdi
	call	flexos__mpk_unregister
	OFF_GATE_STACK 16
	.cfi_def_cfa %rsp, 8
	movq	%rax, %r8
	LOAD_GP	%r11, %rcx, .Lbad_gp
	CLOSE_GATE flexos__mpk_unregister_checked
	movq	%r8, %rax
	xorl	%r11d, %r11d
	ret
	.cfi_endproc
	.size	flexos__mpk_thread_unregister, .-flexos__mpk_thread_unregister

/*
 * void flexos__mpk_thread_bind(void) (mpk.h): the page opened and closed
 * again: a thread without one claims, in OPEN_GATE, the page its creator
 * registered for it.
 */
	.globl	flexos__mpk_thread_bind
	.hidden	flexos__mpk_thread_bind
	.type	flexos__mpk_thread_bind, @function
flexos__mpk_thread_bind:
	.cfi_startproc
	OPEN_GATE flexos__mpk_bind_open_checked
	CLOSE_GATE flexos__mpk_bind_checked
	xorl	%r11d, %r11d
	ret
	.cfi_endproc
	.size	flexos__mpk_thread_bind, .-flexos__mpk_thread_bind

/*
 * void flexos__mpk_clone(void) (mpk.h): the one place a thread is made
 * after start-up (limit 2 of docs/threat-model.md). The gate's owner check
 * trusts the FS base, which clone sets (CLONE_SETTLS) or copies from the
 * creator; so a new thread must get an FS base that no other live thread
 * has, and keep it to itself. The filter lets clone with CLONE_VM through
 * only from the syscall below with the nonce in %r9, which only the
 * checked WRPKRU below makes readable: a jump past that WRPKRU cannot read
 * it, a jump to it runs every step after it:
 *   1. PKRU: the open PKRU of the compartment this thread's page names,
 *      with the nonce's page readable too, checked against the page;
 *   2. every signal blocked (no frame, which compartments can read, ever
 *      holds the nonce, and no handler runs in the window);
 *   3. CLONE_SETTLS and CLONE_THREAD; this thread's pid and tid on its page;
 *   4. a page registered for the tls, in this compartment
 *      (flexos__mpk_register), which refuses a tls that a gate page names
 *      for a thread registered and not yet bound, or bound and known to
 *      the kernel, or that another thread registers at the same moment,
 *      so that no later thread can take that FS base while this one
 *      runs, even if it never crosses a gate;
 *   5. the nonce into %r9, this compartment's PKRU (CLOSE_GATE, checked),
 *      the syscall; the child binds its page (flexos__mpk_thread_bind)
 *      before anything else runs in it; a clone that failed gives its
 *      page back (flexos__mpk_thread_unregister).
 * Both threads resume at %r11 with %rax = clone's result. Anything else
 * ends in the report (MPK_REPORT_CLONE, %r13 which check).
 */
	.globl	flexos__mpk_clone
	.hidden	flexos__mpk_clone
	.type	flexos__mpk_clone, @function
flexos__mpk_clone:
	/*
	 * posix_spawn's vfork-like clone (CLONE_VM | CLONE_VFORK, the
	 * creator's FS base): refused with EPERM rather than reported, so
	 * that posix_spawn and system() fail and the image goes on.
	 */
	testl	$(MPK_CLONE_SETTLS | MPK_CLONE_THREAD), %edi
	jnz	1f
	testl	$MPK_CLONE_VFORK, %edi
	jz	1f
	movq	$-MPK_EPERM, %rax
	jmp	*%r11
	/*
	 * CLONE_CHILD_CLEARTID: when the thread ends, the kernel writes 0 at
	 * child_tid under the PKRU the thread has then, so a thread that
	 * ends in another compartment would zero a word of that one's (an
	 * attack review's; set_tid_address, which moves it later, is
	 * denied). So child_tid must be memory the creating compartment
	 * writes itself: written here, its value kept, with the caller's
	 * PKRU; anything else faults here, and the report names the address
	 * (syscalls clone-cleartid).
	 */
1:	testl	$MPK_CLONE_CHILD_CLEARTID, %edi
	jz	1f
	testq	%r10, %r10
	jz	1f
	lock orl $0, (%r10)
1:	pushq	%rbx
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	subq	$8, %rsp			/* the signal mask before */
	movq	%rdi, %rbx			/* flags */
	movq	%rsi, %rbp			/* stack */
	movq	%rdx, %r12			/* parent_tid */
	movq	%r10, %r13			/* child_tid */
	movq	%r8, %r14			/* tls */
	movq	%r11, %r15			/* where both threads resume */
	/*
	 * The mask before, read with the caller's PKRU: no system call
	 * writes through a pointer a caller chose while the PKRU below, with
	 * the gate key writable, is in force (with %rsp at a gate page, the
	 * kernel wrote the old mask there: a review found a page's current
	 * compartment rewritten so; attack --clone-settls mask).
	 */
	.globl	flexos__mpk_clone_mask_read
	.hidden	flexos__mpk_clone_mask_read
flexos__mpk_clone_mask_read:
	movl	$SYS_rt_sigprocmask, %eax
	xorl	%edi, %edi			/* (SIG_BLOCK of nothing: the mask is read) */
	xorl	%esi, %esi
	movq	%rsp, %rdx
	movl	$8, %r10d
	syscall
	cmpq	$0, flexos__mpk_ro+MPK_RO_NONCE(%rip)
	je	.Lclone_no_nonce
	xorl	%ecx, %ecx
	RDPKRU					/* edx = 0 */
	andl	flexos__mpk_pkru+MPK_PKRU_OPEN_MASK(%rip), %eax
	movl	flexos__mpk_ro+MPK_RO_SIGRET_PKRU(%rip), %ecx
	xorl	flexos__mpk_ro+MPK_RO_NONCE_PKRU(%rip), %ecx
	notl	%ecx				/* all but the nonce key's access-disable bit */
	andl	%ecx, %eax
	xorl	%ecx, %ecx
	WRPKRU
	.globl	flexos__mpk_clone_open_checked
	.hidden	flexos__mpk_clone_open_checked
flexos__mpk_clone_open_checked:
	/*
	 * The C code below (flexos__mpk_register) runs with the gate key
	 * writable: DF as the ABI wants it, whatever the caller (or a jump
	 * to the WRPKRU) left (an attack review's: with DF set its memsets
	 * ran down from the new page into the gate page and jump page below,
	 * another thread's, attack --clone-df).
	 */
	cld
	LOAD_GP	%r11, %rcx, .Lclone_no_page
	movq	MPK_G_CUR(%r11), %rcx
	andl	$(MPK_SLOTS - 1), %ecx
	leaq	flexos__mpk_pkru(%rip), %rdx
	movl	MPK_PKRU_OPEN(%rdx,%rcx,4), %edx
	movl	flexos__mpk_ro+MPK_RO_SIGRET_PKRU(%rip), %ecx
	xorl	flexos__mpk_ro+MPK_RO_NONCE_PKRU(%rip), %ecx
	notl	%ecx
	andl	%ecx, %edx
	cmpl	%edx, %eax
	jne	.Lviolation
	movl	$SYS_rt_sigprocmask, %eax
	movl	$2, %edi			/* SIG_SETMASK */
	leaq	.Lall_signals(%rip), %rsi
	xorl	%edx, %edx			/* (read above) */
	movl	$8, %r10d
	syscall
	testl	$MPK_CLONE_SETTLS, %ebx
	jz	.Lclone_no_settls
	/*
	 * A thread of this process: with CLONE_VM and no CLONE_THREAD the
	 * clone is another process that shares the image's memory, where
	 * getpid() differs and the registration found every thread gone (an
	 * attack review's: lib1's process cloned a thread with the FS base
	 * of a live one, which read app's data with app's PKRU).
	 */
	testl	$MPK_CLONE_THREAD, %ebx
	jz	.Lclone_no_thread
	/*
	 * This thread's page records its pid and tid as they are now: in a
	 * child of fork() the forking thread's page held the parent's, so
	 * the registration took that thread for gone and let another take
	 * its FS base (an attack review's). In a child the forking thread is
	 * alone until its first clone, which comes here.
	 */
	movl	$SYS_getpid, %eax
	syscall
	movq	%rax, %r8
	shlq	$32, %r8
	movl	$SYS_gettid, %eax
	syscall
	movl	%eax, %eax
	orq	%rax, %r8
	LOAD_GP	%r11, %rcx, .Lclone_no_page	/* (the system calls above clobber r11) */
	movq	%r8, MPK_G_TID(%r11)
	ON_GATE_STACK 16
	movq	%r14, %rdi
	call	flexos__mpk_register
	OFF_GATE_STACK 16
	cmpl	$-MPK_EEXIST, %eax		/* its thread runs */
	je	.Lclone_live
	cmpl	$-MPK_EAGAIN, %eax		/* registered: its thread is on its way */
	je	.Lclone_waiting
	cmpl	$-MPK_EBUSY, %eax		/* another thread registers the same FS base */
	je	.Lclone_busy
	testl	%eax, %eax
	jnz	.Lclone_no_settls
	movq	flexos__mpk_ro+MPK_RO_NONCE(%rip), %rsi
	movq	(%rsi), %r9			/* kept to the syscall: the filter's token */
	LOAD_GP	%r11, %rcx, .Lclone_no_page
	CLOSE_GATE flexos__mpk_clone_checked
	/*
	 * child_tid written again, here, where every clone with the nonce
	 * passes, with this compartment's PKRU: a jump past the first write,
	 * with the prologue's registers made up, made the thread (an attack
	 * review's: syscalls clone-cleartid-jump). Signals are blocked: a
	 * fault here ends the image with SIGSEGV, not a report.
	 */
	testl	$MPK_CLONE_CHILD_CLEARTID, %ebx
	jz	1f
	testq	%r13, %r13
	jz	1f
	lock orl $0, (%r13)
1:	movq	%rbx, %rdi
	movq	%rbp, %rsi
	movq	%r12, %rdx
	movq	%r13, %r10
	movq	%r14, %r8
	movl	$SYS_clone, %eax
	syscall
	.globl	flexos__mpk_clone_syscall
	.hidden	flexos__mpk_clone_syscall
flexos__mpk_clone_syscall:
	xorl	%r9d, %r9d
	testq	%rax, %rax
	jnz	2f
	/*
	 * The new thread, on the stack clone gave it: its TLS may be a thread's
	 * gone (or made up), so its page is found again, by its FS base.
	 */
	movq	$0, %fs:flexos__mpk_thread@tpoff + MPK_T_GP
	call	flexos__mpk_thread_bind
	xorl	%eax, %eax
	jmp	*%r15
2:	movq	%rax, %r13
	jg	3f
	movq	%r14, %rdi
	call	flexos__mpk_thread_unregister
3:	movl	$SYS_rt_sigprocmask, %eax
	movl	$2, %edi
	movq	%rsp, %rsi
	xorl	%edx, %edx
	movl	$8, %r10d
	syscall
	movq	%r13, %rax
	movq	%r15, %r11
	addq	$8, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	jmp	*%r11
.Lclone_no_settls:
	movq	%rbx, %r14			/* the flags */
	movl	$1, %r13d
	jmp	.Lclone_bad
.Lclone_live:
	movl	$2, %r13d			/* (%r14: the FS base) */
	jmp	.Lclone_bad
.Lclone_busy:
	movl	$7, %r13d			/* (%r14: the FS base) */
	jmp	.Lclone_bad
.Lclone_waiting:
	movl	$5, %r13d
	jmp	.Lclone_bad
.Lclone_no_page:
	movl	$3, %r13d
	jmp	.Lclone_bad
.Lclone_no_nonce:
	movl	$4, %r13d
	jmp	.Lclone_bad
.Lclone_no_thread:
	movq	%rbx, %r14			/* the flags */
	movl	$6, %r13d
.Lclone_bad:
	xorl	%r9d, %r9d
	xorl	%ecx, %ecx
	RDPKRU
	movl	%eax, %ebx
	movl	$MPK_REPORT_CLONE, %r12d
	jmp	.Lreport
	.size	flexos__mpk_clone, .-flexos__mpk_clone

/*
 * glibc's __clone (int clone(fn, stack, flags, arg, parent_tid, tls,
 * child_tid)), whose first bytes filter.c replaces at start-up with a
 * call here: pthread_create, posix_spawn and a compartment's clone() all
 * come to flexos__mpk_clone. The return address that call pushed, in
 * glibc's code, which no compartment can write, says where glibc's goes on
 * after its syscall (MPK_GLIBC_CLONE_RESUME bytes later): both threads
 * resume there, where glibc's parent returns and its child calls fn.
 * (Memory would not do: a compartment that wrote it would send every
 * other compartment's pthread_create to its code.) A compartment that
 * calls this with a return address of its own only sends its own threads
 * there. Then does what glibc's does before its syscall (fn and arg onto
 * the new stack).
 */
	.globl	flexos__mpk_clone_glibc
	.hidden	flexos__mpk_clone_glibc
	.type	flexos__mpk_clone_glibc, @function
flexos__mpk_clone_glibc:
	popq	%r11
	addq	$MPK_GLIBC_CLONE_RESUME, %r11
	movq	$-22, %rax			/* -EINVAL */
	testq	%rdi, %rdi
	jz	1f
	andq	$-16, %rsi
	jz	1f
	movq	%rcx, -8(%rsi)
	subq	$16, %rsi
	movq	%rdi, (%rsi)
	movq	%rdx, %rdi
	movq	%r8, %rdx
	movq	%r9, %r8
	movq	8(%rsp), %r10
	jmp	flexos__mpk_clone
1:	jmp	*%r11
	.size	flexos__mpk_clone_glibc, .-flexos__mpk_clone_glibc

	.text
	.globl	flexos__mpk_gate_text_hi
	.hidden	flexos__mpk_gate_text_hi
flexos__mpk_gate_text_hi:

	.pushsection .rodata.flexos_mpk_windows, "a", @progbits
	.globl	flexos__mpk_windows_end
	.hidden	flexos__mpk_windows_end
flexos__mpk_windows_end:
	.popsection

	.section .note.GNU-stack,"",@progbits
