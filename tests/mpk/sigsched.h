/* attack --sig-sched (tests/mpk/sigsched.c). */
#ifndef SIGSCHED_H
#define SIGSCHED_H

#include <stdint.h>

/* 0 if app resumes where its signal interrupted it, 1 if lib1's code ran with its rights. */
int sig_sched(uintptr_t app_secret, int control);

#endif
