/*
 * A library of the MPK test image, built as lib1 (-DLIB=1) and lib2
 * (-DLIB=2). It knows nothing of compartments: it hands out the addresses
 * of its own memory and reads or writes whatever address it is given.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* REG_RIP */
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include <flexos/flexos.h>

#include "attacklib.h"

#define CAT_(a, b) a##b
#define CAT(a, b)  CAT_(a, b)
#define NAME(fn)   CAT(CAT(lib, LIB), _##fn)

static volatile int lib_data = 7;
static volatile int lib_bss;
static volatile int *lib_heap;

uintptr_t NAME(where)(int kind)
{
	volatile int local = 3;
	uintptr_t a;

	switch (kind) {
	case KIND_DATA:
		return (uintptr_t)&lib_data;
	case KIND_BSS:
		return (uintptr_t)&lib_bss;
	case KIND_HEAP:
		if (!lib_heap)
			lib_heap = malloc(sizeof(*lib_heap));
		return (uintptr_t)lib_heap;
	case KIND_STACK:
		/* Hide the local's address from the compiler, which would return 0. */
		__asm__("" : "=r"(a) : "0"(&local) : "memory");
		return a;
	}
	return 0;
}

long NAME(probe)(uintptr_t addr, int write)
{
	if (write) {
		*(volatile int *)addr = 1;
		return 0;
	}
	return *(volatile int *)addr;
}

/*
 * clobber: what a compromised library can do with the registers its caller
 * keeps across a call (rbx, rbp, r12-r15): record what they hold on entry
 * (seen(0..5) returns it), and return with each changed, as no C function
 * may. clobber8, the same through the gate's path for stack arguments (two,
 * ignored), leaves rbx: that path keeps its frame there (a callee that
 * changes it ends the image with a fault in its own compartment).
 */
static volatile long seen_regs[6] __attribute__((used));
long NAME(seen)(int i)
{
	return i >= 0 && i < 6 ? seen_regs[i] : -1;
}

#define CLOBBER(rbx)                                                                     \
	__asm__("leaq	seen_regs(%rip), %rax\n\t"                                         \
		"movq	%rbx, 0(%rax)\n\t"                                                 \
		"movq	%rbp, 8(%rax)\n\t"                                                 \
		"movq	%r12, 16(%rax)\n\t"                                                \
		"movq	%r13, 24(%rax)\n\t"                                                \
		"movq	%r14, 32(%rax)\n\t"                                                \
		"movq	%r15, 40(%rax)\n\t"                                                \
		"movabsq	$0x6666666666666666, %rax\n\t" rbx "movq	%rax, %rbp\n\t" \
		"movq	%rax, %r12\n\t"                                                    \
		"movq	%rax, %r13\n\t"                                                    \
		"movq	%rax, %r14\n\t"                                                    \
		"movq	%rax, %r15\n\t"                                                    \
		"xorl	%eax, %eax\n\t"                                                    \
		"ret")

__attribute__((naked)) long NAME(clobber)(void)
{
	CLOBBER("movq	%rax, %rbx\n\t");
}

__attribute__((naked)) long NAME(clobber8)(long a, long b, long c, long d, long e, long f, long g,
					   long h)
{
	CLOBBER("");
}

/*
 * regs, leave (limit 6): what a compromised library sees of its caller's
 * registers, and leaves in its own. regs(a) records at its entry the
 * registers its prototype does not use (rsi, rdx, rcx, r8, r9, rax,
 * xmm0-xmm7, and with AVX the upper halves of ymm0-ymm7: a word of each;
 * then xmm8-xmm15, where a gate could keep copies), then returns a + 1;
 * seen_arg(i) reads them back (0..21, then 22..29 for xmm8-xmm15). leave() returns 7 with
 * its own words in rdx, xmm0 and xmm1 (LEAVE_WORD(0..2)), and with AVX in
 * the upper halves of ymm0 and ymm1 too.
 */
static volatile long seen_args[30] __attribute__((used));
static volatile int lib_avx __attribute__((used));

__attribute__((constructor)) static void avx_init(void)
{
	__builtin_cpu_init();
	lib_avx = __builtin_cpu_supports("avx");
}

long NAME(seen_arg)(int i)
{
	return i >= 0 && i < 30 ? seen_args[i] : -1;
}

/* regs: its record of the registers, then a + 1. */
#define RECORD_REGS                                 \
	__asm__("pushq	%rdi\n\t"                    \
		"leaq	seen_args(%rip), %rdi\n\t"    \
		"movq	%rsi, 0(%rdi)\n\t"            \
		"movq	%rdx, 8(%rdi)\n\t"            \
		"movq	%rcx, 16(%rdi)\n\t"           \
		"movq	%r8, 24(%rdi)\n\t"            \
		"movq	%r9, 32(%rdi)\n\t"            \
		"movq	%rax, 40(%rdi)\n\t"           \
		"movq	%xmm0, 48(%rdi)\n\t"          \
		"movq	%xmm1, 56(%rdi)\n\t"          \
		"movq	%xmm2, 64(%rdi)\n\t"          \
		"movq	%xmm3, 72(%rdi)\n\t"          \
		"movq	%xmm4, 80(%rdi)\n\t"          \
		"movq	%xmm5, 88(%rdi)\n\t"          \
		"movq	%xmm6, 96(%rdi)\n\t"          \
		"movq	%xmm7, 104(%rdi)\n\t"         \
		"movq	%xmm8, 176(%rdi)\n\t"         \
		"movq	%xmm9, 184(%rdi)\n\t"         \
		"movq	%xmm10, 192(%rdi)\n\t"        \
		"movq	%xmm11, 200(%rdi)\n\t"        \
		"movq	%xmm12, 208(%rdi)\n\t"        \
		"movq	%xmm13, 216(%rdi)\n\t"        \
		"movq	%xmm14, 224(%rdi)\n\t"        \
		"movq	%xmm15, 232(%rdi)\n\t"        \
		"cmpl	$0, lib_avx(%rip)\n\t"        \
		"je	1f\n\t"                         \
		"vextractf128 $1, %ymm0, %xmm8\n\t" \
		"vmovq	%xmm8, 112(%rdi)\n\t"        \
		"vextractf128 $1, %ymm1, %xmm8\n\t" \
		"vmovq	%xmm8, 120(%rdi)\n\t"        \
		"vextractf128 $1, %ymm2, %xmm8\n\t" \
		"vmovq	%xmm8, 128(%rdi)\n\t"        \
		"vextractf128 $1, %ymm3, %xmm8\n\t" \
		"vmovq	%xmm8, 136(%rdi)\n\t"        \
		"vextractf128 $1, %ymm4, %xmm8\n\t" \
		"vmovq	%xmm8, 144(%rdi)\n\t"        \
		"vextractf128 $1, %ymm5, %xmm8\n\t" \
		"vmovq	%xmm8, 152(%rdi)\n\t"        \
		"vextractf128 $1, %ymm6, %xmm8\n\t" \
		"vmovq	%xmm8, 160(%rdi)\n\t"        \
		"vextractf128 $1, %ymm7, %xmm8\n\t" \
		"vmovq	%xmm8, 168(%rdi)\n\t"        \
		"vzeroupper\n"                      \
		"1:\n\t"                            \
		"popq	%rax\n\t"                     \
		"incq	%rax\n\t"                     \
		"ret")

__attribute__((naked)) long NAME(regs)(long a)
{
	RECORD_REGS;
}

/* The same through the gate's path for stack arguments (g is on the stack). */
__attribute__((naked)) long NAME(regs7)(long a, long b, long c, long d, long e, long f, long g)
{
	RECORD_REGS;
}

/*
 * narrow (limit 6): the whole of the registers its four narrow arguments
 * take, as it finds them at entry: rdi, rsi, xmm0 and xmm1, each vector
 * register's two quadwords; seen_narrow(i) reads them back (0..5).
 * narrow_stack: the two eightbytes its stack arguments g and h (ints)
 * take, whole (6, 7).
 */
static volatile long seen_narrow[8] __attribute__((used));

long NAME(seen_narrow)(int i)
{
	return i >= 0 && i < 8 ? seen_narrow[i] : -1;
}

__attribute__((naked)) long NAME(narrow_stack)(long a, long b, long c, long d, long e, long f,
					       int g, int h)
{
	__asm__("leaq	seen_narrow(%rip), %r11\n\t"
		"movq	8(%rsp), %rax\n\t"
		"movq	%rax, 48(%r11)\n\t"
		"movq	16(%rsp), %rax\n\t"
		"movq	%rax, 56(%r11)\n\t"
		"movl	$1, %eax\n\t"
		"ret");
}

__attribute__((naked)) long NAME(narrow)(int a, unsigned char b, float x, double y)
{
	__asm__("leaq	seen_narrow(%rip), %r11\n\t"
		"movq	%rdi, 0(%r11)\n\t"
		"movq	%rsi, 8(%r11)\n\t"
		"movq	%xmm0, 16(%r11)\n\t"
		"movhps	%xmm0, 24(%r11)\n\t"
		"movq	%xmm1, 32(%r11)\n\t"
		"movhps	%xmm1, 40(%r11)\n\t"
		"movl	$1, %eax\n\t"
		"ret");
}

/* stack_pointer (sig-own-stack): where this call runs. */
__attribute__((naked)) long NAME(stack_pointer)(void)
{
	__asm__("movq	%rsp, %rax\n\t"
		"ret");
}

__attribute__((naked)) long NAME(leave)(void)
{
	__asm__("movabsq	$0x1eaf000000000000, %rax\n\t"
		"movq	%rax, %rdx\n\t"
		"incq	%rax\n\t"
		"movq	%rax, %xmm0\n\t"
		"incq	%rax\n\t"
		"movq	%rax, %xmm1\n\t"
		"cmpl	$0, lib_avx(%rip)\n\t"
		"je	1f\n\t"
		"vinsertf128 $1, %xmm0, %ymm0, %ymm0\n\t"
		"vinsertf128 $1, %xmm1, %ymm1, %ymm1\n"
		"1:\n\t"
		"movl	$7, %eax\n\t"
		"ret");
}

/*
 * leave_int, leave_float, leave_double: results narrower than their
 * register, with lib's words in the rest: rax's upper half (int 7),
 * xmm0's lanes 1-3 (float 1.0), xmm0's upper quadword (double 1.0).
 */
__attribute__((naked)) int NAME(leave_int)(void)
{
	__asm__("movabsq	$0x1eaf000000000007, %rax\n\t"
		"ret");
}

__attribute__((naked)) float NAME(leave_float)(void)
{
	__asm__("movabsq	$0x1eaf00003f800000, %rax\n\t"
		"movq	%rax, %xmm0\n\t"
		"movq	%rax, %xmm1\n\t"
		"punpcklqdq	%xmm1, %xmm0\n\t"
		"ret");
}

__attribute__((naked)) double NAME(leave_double)(void)
{
	__asm__("movabsq	$0x3ff0000000000000, %rax\n\t"
		"movq	%rax, %xmm0\n\t"
		"movabsq	$0x1eaf000000000009, %rax\n\t"
		"movq	%rax, %xmm1\n\t"
		"punpcklqdq	%xmm1, %xmm0\n\t"
		"ret");
}

/*
 * std, std8: return 5 with the direction flag set, which no C function may
 * (the ABI wants it clear at calls and returns): a caller's rep movs or
 * the gate's own copies would then run downwards. std8 takes stack
 * arguments: the gate's carry path, which copies with rep movsq.
 */
__attribute__((naked)) long NAME(std)(void)
{
	__asm__("std\n\t"
		"movl	$5, %eax\n\t"
		"ret");
}

__attribute__((naked)) long NAME(std8)(long a, long b, long c, long d, long e, long f, long g,
				       long h)
{
	__asm__("std\n\t"
		"movl	$5, %eax\n\t"
		"ret");
}

/*
 * fpctl, fpctl8: return 5 with the MXCSR's rounding set to toward zero,
 * flush-to-zero and denormals-are-zero on, the x87's rounding toward zero
 * and its precision to single (control bits the ABI makes callee-saved),
 * after a division by zero (a status flag, which a callee may leave).
 * fpctl8 takes stack arguments: the gate's carry path.
 */
#define FPCTL_BODY                  \
	"subq	$8, %rsp\n\t"         \
	"movl	$0xffc0, (%rsp)\n\t"  \
	"ldmxcsr	(%rsp)\n\t"        \
	"movw	$0x0c7f, 4(%rsp)\n\t" \
	"fldcw	4(%rsp)\n\t"         \
	"movl	$1, %eax\n\t"         \
	"cvtsi2sd	%eax, %xmm1\n\t"  \
	"pxor	%xmm0, %xmm0\n\t"     \
	"divsd	%xmm0, %xmm1\n\t"    \
	"addq	$8, %rsp\n\t"         \
	"movl	$5, %eax\n\t"         \
	"ret"

__attribute__((naked)) long NAME(fpctl)(void)
{
	__asm__(FPCTL_BODY);
}

__attribute__((naked)) long NAME(fpctl8)(long a, long b, long c, long d, long e, long f, long g,
					 long h)
{
	__asm__(FPCTL_BODY);
}

/*
 * evex (AVX-512 hosts only): how many of xmm16-xmm31 hold w, and of the
 * mask registers k0-k7 its low 16 bits, at entry; then leaves mine in
 * all of them (the caller must get none).
 */
__attribute__((naked)) long NAME(evex)(long w, long mine)
{
	__asm__("xorl	%eax, %eax\n\t"
		".irp r, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31\n\t"
		"vmovq	%xmm\\r, %rcx\n\t"
		"cmpq	%rdi, %rcx\n\t"
		"sete	%cl\n\t"
		"movzbl	%cl, %ecx\n\t"
		"addq	%rcx, %rax\n\t"
		".endr\n\t"
		".irp k, 0, 1, 2, 3, 4, 5, 6, 7\n\t"
		"kmovw	%k\\k, %ecx\n\t"
		"cmpw	%di, %cx\n\t"
		"sete	%cl\n\t"
		"movzbl	%cl, %ecx\n\t"
		"addq	%rcx, %rax\n\t"
		".endr\n\t"
		".irp r, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31\n\t"
		"vmovq	%rsi, %xmm\\r\n\t"
		".endr\n\t"
		".irp k, 0, 1, 2, 3, 4, 5, 6, 7\n\t"
		"kmovw	%esi, %k\\k\n\t"
		".endr\n\t"
		"ret");
}

/*
 * x87 (limit 6): how many x87 registers hold the caller's value (mant,
 * exp) at entry; then leaves its own in all eight. x87_ld, x87_ld8 (the
 * carry path) and x87_cld leave theirs in the eight, then their results
 * take one or two (st(0); st(0) and st(1)).
 */
long NAME(x87)(long mant, long exp)
{
	struct x87_pat theirs = x87_pat((uint64_t)mant, (uint16_t)exp);
	struct x87_pat mine = x87_pat(X87_LIB_MANT, X87_LIB_EXP);
	long n = x87_count(&theirs);

	X87_LEAVE(&mine, 8);
	return n;
}

long double NAME(x87_ld)(void)
{
	struct x87_pat mine = x87_pat(X87_LIB_MANT, X87_LIB_EXP);

	X87_LEAVE(&mine, 8);
	return 1.5L;
}

long double NAME(x87_ld8)(long a, long b, long c, long d, long e, long f, long g, long h)
{
	struct x87_pat mine = x87_pat(X87_LIB_MANT, X87_LIB_EXP);

	X87_LEAVE(&mine, 8);
	return 1.5L + (long double)(a + b + c + d + e + f + g + h - 36);
}

long double _Complex NAME(x87_cld)(void)
{
	struct x87_pat mine = x87_pat(X87_LIB_MANT, X87_LIB_EXP);

	X87_LEAVE(&mine, 8);
	return 1.5L + 2.5Li;
}

/*
 * sig_regs (limit 6): its word (SIG_REGS_SECRET) in rbx, rbp, rdx, r8-r10,
 * r12-r15 and xmm0-xmm15, then kill(getpid(), SIGUSR2), whose handler
 * (app's) runs when the system call returns, on a frame of these
 * registers; returns how many of the 26 do not hold the word once it
 * resumes (0: the frame it resumed from was its own).
 */
#define STR_(x) #x
#define STR(x)  STR_(x)
__attribute__((naked)) long NAME(sig_regs)(void)
{
	__asm__(
	    "pushq	%rbx\n\t"
	    "pushq	%rbp\n\t"
	    "pushq	%r12\n\t"
	    "pushq	%r13\n\t"
	    "pushq	%r14\n\t"
	    "pushq	%r15\n\t"
	    "movabsq	$" STR(
		SIG_REGS_SECRET) ", %rbx\n\t"
				 ".irp r, rbp, rdx, r8, r9, r10, r12, r13, r14, r15\n\t"
				 "movq	%rbx, %\\r\n\t"
				 ".endr\n\t"
				 ".irp x, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15\n\t"
				 "movq	%rbx, %xmm\\x\n\t"
				 ".endr\n\t"
				 "movl	$39, %eax\n\t" /* getpid */
				 "syscall\n\t"
				 "movl	%eax, %edi\n\t"
				 "movl	$12, %esi\n\t" /* SIGUSR2 */
				 "movl	$62, %eax\n\t" /* kill */
				 "syscall\n\t"
				 "movabsq	$" STR(
				     SIG_REGS_SECRET) ", %rdi\n\t"
						      "xorl	%eax, %eax\n\t"
						      ".irp r, rbx, rbp, rdx, r8, r9, r10, r12, "
						      "r13, r14, r15\n\t"
						      "cmpq	%rdi, %\\r\n\t"
						      "setne	%cl\n\t"
						      "movzbl	%cl, %ecx\n\t"
						      "addl	%ecx, %eax\n\t"
						      ".endr\n\t"
						      ".irp x, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, "
						      "11, 12, 13, 14, 15\n\t"
						      "movq	%xmm\\x, %rsi\n\t"
						      "cmpq	%rdi, %rsi\n\t"
						      "setne	%cl\n\t"
						      "movzbl	%cl, %ecx\n\t"
						      "addl	%ecx, %eax\n\t"
						      ".endr\n\t"
						      "popq	%r15\n\t"
						      "popq	%r14\n\t"
						      "popq	%r13\n\t"
						      "popq	%r12\n\t"
						      "popq	%rbp\n\t"
						      "popq	%rbx\n\t"
						      "ret");
}

/*
 * sig_regs_own: the same with a handler of its own (the control: the
 * interrupted compartment's handler sees its registers). Returns
 * 100 * how many its handler found + how many changed.
 */
static volatile long own_found = -2;

static void own_regs_handler(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)si;
	own_found = sig_regs_count(ctx);
}

long NAME(sig_regs_own)(void)
{
	struct sigaction sa = {.sa_sigaction = own_regs_handler, .sa_flags = SA_SIGINFO};

	if (sigaction(SIGUSR2, &sa, NULL))
		return -1;
	long changed = NAME(sig_regs)();
	return own_found * 100 + changed;
}

long NAME(add)(long a, long b)
{
	lib_data++;
	return 2 * a + b;
}

/* Each argument times its place: two of them on the stack (the carry path). */
long NAME(sum8)(long a, long b, long c, long d, long e, long f, long g, long h)
{
	return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h;
}

/* x and the next three words: a result in memory (carry-leak). */
struct lib_words NAME(words)(long x)
{
	return (struct lib_words){{x, x + 1, x + 2, x + 3}};
}

/* How many aligned words of [lo, hi) hold v: what it can read of others' memory. */
long NAME(find)(uintptr_t lo, uintptr_t hi, long v)
{
	long n = 0;

	for (const volatile long *p = (const long *)lo; p < (const long *)hi; p++)
		n += *p == v;
	return n;
}

/* Writes through a pointer its caller hands it, to its stack say. */
long NAME(fill)(long *p, long x)
{
	*p = x;
	return 0;
}

long NAME(call)(long (*cb)(long), long x)
{
	return cb(x + 1) + 1;
}

/* The same through the gate's path for stack arguments (two of them). */
long NAME(call8)(long (*cb)(long), long x, long c, long d, long e, long f, long g, long h)
{
	return cb(x + 1 + c + d + e + f + g + h) + 1;
}

long NAME(print)(const char *who)
{
	printf("lib%d: printf from compartment lib%d, asked by %s\n", LIB, LIB, who);
	fflush(stdout);
	return 0;
}

/*
 * A handler the library installs with signal(): it runs in the library's
 * compartment (docs/threat-model.md, limit 9), so it counts in the
 * library's own memory.
 */
static volatile int lib_signals;

static void on_signal(int sig)
{
	(void)sig;
	lib_signals += lib_data == 7;
}

long NAME(signal)(int sig)
{
	if (signal(sig, on_signal) == SIG_ERR)
		return -1;
	raise(sig);
	raise(sig);
	return lib_signals;
}

/*
 * A handler the library installs with sigaction(), for signals another
 * compartment raises: it reads the library's data, notes where its stack
 * is, and reads the word at peek_at if one was given (another
 * compartment's secret: a fault report).
 */
static volatile int peek_runs;
static volatile int peek_data;
static volatile uintptr_t peek_stack;
static volatile uintptr_t peek_at;
static volatile long peek_code;
static volatile uintptr_t peek_addr;

static void on_peek(int sig, siginfo_t *si, void *ctx)
{
	volatile int local = sig;
	uintptr_t a;

	(void)ctx;
	if (si->si_signo != sig)
		return;
	__asm__("" : "=r"(a) : "0"(&local) : "memory");
	peek_stack = a;
	peek_data = lib_data;
	peek_code = si->si_code;
	peek_addr = (uintptr_t)si->si_addr;
	if (peek_at) {
		printf("lib%d: the handler reads %#lx\n", LIB, (unsigned long)peek_at);
		fflush(stdout);
		peek_data = *(volatile int *)peek_at;
	}
	peek_runs++;
}

long NAME(sig_install)(int sig, uintptr_t at)
{
	struct sigaction sa;

	peek_at = at;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_peek;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL) ? -1 : 0;
}

/*
 * sig_hijack(sig, at, how): a handler for sig that makes the interrupted
 * code resume in steal(), the library's code, which reads the word at
 * `at' with the rights the thread resumes with (another compartment's, if
 * the signal interrupted it) and ends the image. how: 0, the saved rip in
 * the context; 1, the return address the kernel pushed above the
 * context (the delivery stub's); 2, the return address of the stub's call
 * of the gate, 16 bytes below that (backends/mpk/gate.S: the signal stack
 * is every compartment's).
 */
static volatile uintptr_t steal_at FLEXOS_SHARED; /* shared: steal() reads it with any rights */
static volatile int hijack_how;

__attribute__((noinline)) static void steal(void)
{
	printf("lib%d: the library's code runs with the interrupted compartment's rights and "
	       "reads %#x at %#lx: FAIL\n",
	       LIB, *(volatile int *)steal_at, (unsigned long)steal_at);
	fflush(stdout);
	_exit(1);
}

/* Entered by a ret, with rsp = 0 (mod 16): as right after a call, for steal(). */
__attribute__((naked)) static void steal_ret(void)
{
	__asm__("subq	$8, %rsp\n\t"
		"jmp	steal");
}

static void on_hijack(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	(void)sig;
	(void)si;
	if (hijack_how == 0) {
		uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)steal;
		/* As right after a call: rsp = 8 (mod 16). */
		uc->uc_mcontext.gregs[REG_RSP] =
		    ((uc->uc_mcontext.gregs[REG_RSP] - 256) & ~(greg_t)15) - 8;
	} else {
		uintptr_t *slot = (uintptr_t *)(void *)((char *)ctx - (hijack_how == 1 ? 8 : 24));
		*slot = (uintptr_t)steal_ret;
	}
}

long NAME(sig_hijack)(int sig, uintptr_t at, int how)
{
	struct sigaction sa;

	steal_at = at;
	hijack_how = how;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_hijack;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL) ? -1 : 0;
}

/*
 * What the handler saw: how often it ran (out[0]), the data it read, its
 * stack, and the last siginfo's si_code and si_addr.
 */
long NAME(sig_seen)(long *out)
{
	out[0] = peek_runs;
	out[1] = peek_data;
	out[2] = (long)peek_stack;
	out[3] = peek_code;
	out[4] = (long)peek_addr;
	return 0;
}

long NAME(raise)(int sig)
{
	return raise(sig);
}
