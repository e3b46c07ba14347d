/* attack --gate-glibc (tests/mpk/gateglibc.c). */
#ifndef GATEGLIBC_H
#define GATEGLIBC_H

#include <stdint.h>

/*
 * lib1 makes the C library follow its thread's state (key 0) into lib1's
 * code while the runtime's C code runs with more rights than lib1's (how:
 * cancel-report, cancel-register, cancel-abort, canary-jump): the
 * runtime's own end of the image (123, 134), 0 where nothing went wrong
 * (the registration comes back, the tracer's check is reached on lib1's
 * own stack), 3 if the C library is not the one the test knows, or 1 if
 * lib1's code ran with app's rights.
 */
int gate_glibc(const char *how, uintptr_t app_secret);

#endif
