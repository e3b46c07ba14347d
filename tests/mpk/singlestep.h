/* The instruction counts of tests/mpk/attack (attack.c, schedrecord.c). */
#ifndef SINGLESTEP_H
#define SINGLESTEP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * fork() for step_child: in the child (0 returned) traced by its parent
 * and stopped once, so that the parent's step_child sees it from its
 * first int3; output flushed first, not written twice.
 */
pid_t step_fork(void);

/*
 * Single-steps child pid (of step_fork) from its first int3 to its
 * second, which enclose what is counted. each(rip, wrpkru, arg) is called for every
 * instruction executed, wrpkru telling whether it is a WRPKRU. The child
 * is killed and reaped after.
 */
void step_child(pid_t pid, void (*each)(uintptr_t rip, bool wrpkru, void *arg), void *arg);

#endif
