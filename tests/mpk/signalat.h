/* The attack tests' tracer that delivers a signal at an instruction (tests/mpk/signalat.c). */
#ifndef SIGNALAT_H
#define SIGNALAT_H

#include <stdint.h>
#include <sys/types.h>

/*
 * Traces pid, a child of fork() that called PTRACE_TRACEME and stopped
 * itself twice with SIGSTOP: at the first stop, its threads are traced
 * too; at the second, a breakpoint is put at insn. The first thread to
 * reach it gets the instruction back and signal sig delivered there,
 * after `what` is printed. Returns the child's exit status (128 + the
 * signal that ended it), or 2 if the breakpoint was never reached.
 */
int signal_at(pid_t pid, uintptr_t insn, int sig, const char *what);

#endif
