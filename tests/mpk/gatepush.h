/* attack --gate-push (tests/mpk/gatepush.c). */
#ifndef GATEPUSH_H
#define GATEPUSH_H

#include <stdint.h>

/*
 * lib1 jumps to the gate entry `gate` (the stub's r10 and r11 as given)
 * with its stack pointer in its own gate page: the report (123), or 1.
 */
int gate_push(const char *gate, unsigned long r10, void *r11);

/*
 * lib1 jumps to the shared-stack gate's way back, in an image with private
 * stacks: the report (134), or 1 if its code ran with app's rights.
 */
int shared_back(uintptr_t app_secret);

#endif
