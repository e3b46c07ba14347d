/* The attack tests' tracer that delivers a signal at an instruction (tests/mpk/signalat.c). */
#ifndef SIGNALAT_H
#define SIGNALAT_H

#include <stdint.h>
#include <sys/types.h>

/*
 * Runs child in a child of fork() and traces it: child calls
 * PTRACE_TRACEME and stops itself twice with SIGSTOP, never returns. At
 * the first stop its threads are traced too; at the second, a breakpoint
 * is put at insn. The first thread to reach it gets the instruction back
 * and signal sig delivered there, after `what` is printed. Returns the
 * child's exit status (128 + the signal that ended it), or 2 if the
 * breakpoint was never reached.
 */
int signal_at(void (*child)(void), uintptr_t insn, int sig, const char *what);

/*
 * The same, but at the breakpoint (the thread stopped before insn, its
 * registers in *regs) at(tid, regs) runs, and the thread goes on with the
 * signal it returns (0: none).
 */
struct user_regs_struct;
int trace_at(void (*child)(void), uintptr_t insn, int (*at)(pid_t, struct user_regs_struct *),
	     const char *what);

/* pthread_sigmask's check of the stack canary ("sub %fs:0x28, %rdx"), or 0. */
uintptr_t sigmask_canary_check(void);

/* In a trace_at callback: the stopped thread's canary (%fs:0x28) changed. */
void flip_canary(pid_t tid, const struct user_regs_struct *regs);

#endif
