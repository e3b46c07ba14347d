/* attack --gate-push (tests/mpk/gatepush.c). */
#ifndef GATEPUSH_H
#define GATEPUSH_H

/*
 * lib1 jumps to the gate entry `gate` (the stub's r10 and r11 as given)
 * with its stack pointer in its own gate page: the report (123), or 1.
 */
int gate_push(const char *gate, unsigned long r10, void *r11);

#endif
