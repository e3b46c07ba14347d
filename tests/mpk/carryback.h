/* attack --carry-back (tests/mpk/carryback.c). */
#ifndef CARRYBACK_H
#define CARRYBACK_H

#include <stdint.h>

/*
 * lib1 takes the private-stack gate's way back of the other path than the
 * one app's call came in by (how: "signal", from a handler called from the
 * signal stack, to the carry path's; "register", from a carry path's call,
 * to the register path's): the report (134), or 1 if its code ran with
 * app's rights, 2 if the test could not run.
 */
int carry_back(const char *how, uintptr_t app_secret);

#endif
