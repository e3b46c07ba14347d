/* The instruction counts of tests/mpk/attack (attack.c, schedrecord.c). */
#ifndef SINGLESTEP_H
#define SINGLESTEP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Single-steps child pid from its first int3 to its second: the child
 * called ptrace(PTRACE_TRACEME), raise(SIGSTOP), then runs what is
 * counted between two int3s. each(rip, wrpkru, arg) is called for every
 * instruction executed, wrpkru telling whether it is a WRPKRU. The child
 * is killed and reaped after.
 */
void step_child(pid_t pid, void (*each)(uintptr_t rip, bool wrpkru, void *arg), void *arg);

#endif
