/*
 * The library of the scheduler test image: it runs in its own compartment
 * and yields from there, so that threads switch while in different
 * compartments.
 */
#include <flexos/flexos.h>
#include <flexos/sched.h>
#include <stdio.h>
#include <string.h>

#include "schedlib.h"

static int rounds_run;          /* the library's .bss */
static const char *home = NULL; /* its compartment's name, on first call */

int schedlib_work(int id, int rounds, int *out)
{
	volatile int canary[64]; /* this thread's stack in the library's compartment */
	int bad = 0;

	if (!home)
		home = flexos_compartment_name();
	for (int i = 0; i < 64; i++)
		canary[i] = id * 100 + i;
	for (int r = 0; r < rounds; r++) {
		rounds_run++;
		flexos_sched_yield();
		for (int i = 0; i < 64; i++)
			if (canary[i] != id * 100 + i)
				bad++;
		if (strcmp(flexos_compartment_name(), home)) {
			fprintf(stderr, "schedlib: thread %d resumed in '%s', not '%s'\n", id,
				flexos_compartment_name(), home);
			bad++;
		}
	}
	*out = id;
	return bad;
}

int schedlib_rounds(void)
{
	return rounds_run;
}
