#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "singlestep.h"

/*
 * WRPKRU's encoding (0f 01 ef), read from data: as an immediate in code it
 * would be a WRPKRU that flexos-link's inspection refuses.
 */
static volatile uint32_t wrpkru_bytes = 0xef010f;

pid_t step_fork(void)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		raise(SIGSTOP);
	}
	return pid;
}

void step_child(pid_t pid, void (*each)(uintptr_t rip, bool wrpkru, void *arg), void *arg)
{
	int status, started = 0;

	waitpid(pid, &status, 0); /* SIGSTOP */
	ptrace(PTRACE_CONT, pid, NULL, NULL);
	waitpid(pid, &status, 0); /* first int3 */
	for (;;) {
		struct user_regs_struct regs;
		ptrace(PTRACE_GETREGS, pid, NULL, &regs);
		if (started) {
			unsigned long word =
			    (unsigned long)ptrace(PTRACE_PEEKTEXT, pid, (void *)regs.rip, NULL);
			if ((word & 0xff) == 0xcc)
				break; /* the second int3 */
			each(regs.rip, (word & 0xffffff) == wrpkru_bytes, arg);
		}
		started = 1;
		if (ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL) || waitpid(pid, &status, 0) < 0 ||
		    !WIFSTOPPED(status))
			break;
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}
