/*
 * The attack tests' tracer that delivers a signal at an instruction
 * (attack --look-signal, --carry-back signal): a breakpoint, then the
 * signal with the thread stopped there, as if it had arrived at that
 * instruction. The images run it with the system-call filter off, which
 * denies ptrace.
 */
#define _GNU_SOURCE 1
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "signalat.h"

static int deliver_sig;

static int deliver(pid_t tid, struct user_regs_struct *regs)
{
	(void)tid, (void)regs;
	return deliver_sig;
}

int signal_at(void (*child)(void), uintptr_t insn, int sig_at, const char *what)
{
	deliver_sig = sig_at;
	return trace_at(child, insn, deliver, what);
}

int trace_at(void (*child)(void), uintptr_t insn, int (*at)(pid_t, struct user_regs_struct *),
	     const char *what)
{
	long code = 0;
	int status, armed = 0, hit = 0;

	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0)
		child();
	waitpid(pid, &status, 0); /* its first SIGSTOP */
	ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)(long)PTRACE_O_TRACECLONE);
	ptrace(PTRACE_CONT, pid, NULL, NULL);
	for (;;) {
		pid_t w = waitpid(-1, &status, __WALL);
		if (w < 0)
			break;
		if (WIFEXITED(status) || WIFSIGNALED(status)) {
			if (w == pid)
				break;
			continue;
		}
		int sig = WSTOPSIG(status);
		struct user_regs_struct regs;
		ptrace(PTRACE_GETREGS, w, NULL, &regs);
		if (w == pid && sig == SIGSTOP && !armed) {
			/* Its second SIGSTOP: the breakpoint. */
			code = ptrace(PTRACE_PEEKTEXT, pid, (void *)insn, NULL);
			ptrace(PTRACE_POKETEXT, pid, (void *)insn,
			       (void *)((code & ~0xffL) | 0xcc));
			armed = 1;
			sig = 0;
		} else if (sig == SIGTRAP && armed && !hit && regs.rip == insn + 1) {
			printf("%s\n", what);
			fflush(stdout);
			ptrace(PTRACE_POKETEXT, w, (void *)insn, (void *)code);
			regs.rip = insn;
			ptrace(PTRACE_SETREGS, w, NULL, &regs);
			hit = 1;
			sig = at(w, &regs);
		} else if (sig == SIGSTOP || sig == SIGTRAP) {
			sig = 0;
		}
		ptrace(PTRACE_CONT, w, NULL, (void *)(long)sig);
	}
	if (!hit) {
		printf("the breakpoint was never reached\n");
		return 2;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 2;
}

uintptr_t sigmask_canary_check(void)
{
	const unsigned char *p = (const unsigned char *)(uintptr_t)pthread_sigmask;

	for (int i = 0; i < 256; i++)
		if (!memcmp(p + i, "\x64\x48\x2b\x14\x25\x28\x00\x00\x00", 9))
			return (uintptr_t)(p + i);
	return 0;
}

void flip_canary(pid_t tid, const struct user_regs_struct *regs)
{
	long c = ptrace(PTRACE_PEEKDATA, tid, (void *)(regs->fs_base + 0x28), NULL);

	ptrace(PTRACE_POKEDATA, tid, (void *)(regs->fs_base + 0x28), (void *)(c ^ 0x100));
}
