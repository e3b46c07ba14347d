/* attack --look-signal (tests/mpk/looksignal.c). */
#ifndef LOOKSIGNAL_H
#define LOOKSIGNAL_H

/* 0 if the state a left look wrote is not taken for running, 1 if it is, 2 if not run. */
int look_signal(void);

#endif
