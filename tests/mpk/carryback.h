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

/*
 * lib1 has the carry path copy memory of another compartment's (how:
 * "args", its stack arguments from lib2's .bss, entering the gate at
 * `gate` with r10 and r11; "sret", its sret result from app's .bss): a
 * fault, the report (123), whose PKRU says with which rights the copy read.
 */
int carry_read(const char *how, const char *gate, unsigned long r10, void *r11);

#endif
