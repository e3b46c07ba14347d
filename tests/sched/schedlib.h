/* The library of the scheduler test image (tests/sched/). */
#ifndef SCHEDLIB_H
#define SCHEDLIB_H

/*
 * Runs rounds rounds in the library's compartment, yielding to the other
 * scheduler threads in each, and checks after every yield that its stack
 * and the library's data are as it left them. Stores id in *out (shared
 * memory). Returns the number of problems seen.
 */
int schedlib_work(int id, int rounds, int *out);

/* How many rounds the library ran, over all threads. */
int schedlib_rounds(void);

#endif
