/* attack --report-canary (tests/mpk/reportcanary.c). */
#ifndef REPORTCANARY_H
#define REPORTCANARY_H

#include <stdint.h>

/*
 * A tracer changes the faulting thread's stack-protector canary at
 * pthread_sigmask's check on the report stack, lib1 having pointed the C
 * library's strchrnul slot at its code, and lib1 reads app's secret: 2
 * when the report never reaches that check (the report's own status 123
 * in the output), 1 if lib1's code ran with the report's rights, 3 if
 * pthread_sigmask's check was not found.
 */
int report_canary(uintptr_t app_secret);

#endif
