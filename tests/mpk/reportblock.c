/*
 * attack --report-block (found by an attack review): lib1 makes standard
 * error a pipe nobody reads, fills it, and faults. The report's first
 * write blocked for ever, holding the report's lock, while app's other
 * threads ran on: app's main thread, 3 s later, exited 0 with the fault
 * unreported. The report must give up on a standard error without room
 * and end the image (123) before that.
 *
 * attack --report-block free: the same, but lib1 frees an allocation of
 * app's, which the runtime refuses with a fatal message (flexos__abort)
 * written the same way, then SIGABRT (134).
 */
#define _GNU_SOURCE 1
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <flexos/flexos.h>

#include "attacklib.h"
#include "reportblock.h"

static uintptr_t rb_secret FLEXOS_SHARED;
static int rb_free FLEXOS_SHARED;

static long block_in_lib1(long x)
{
	int p[2];
	char buf[4096];

	(void)x;
	memset(buf, 'x', sizeof(buf));
	if (pipe(p) || dup2(p[1], 2) < 0)
		return -100;
	fcntl(2, F_SETFL, O_NONBLOCK);
	while (write(2, buf, sizeof(buf)) > 0)
		;
	fcntl(2, F_SETFL, 0);
	if (rb_free) {
		/* Not lib1's heap's: the runtime's fatal message, then SIGABRT. */
		free((void *)rb_secret);
		return -101;
	}
	return *(volatile long *)rb_secret; /* a protection-key fault: the report */
}

static void *block_thread(void *x)
{
	long r = 0;

	(void)x;
	flexos_gate_r(lib1, r, lib1_call, block_in_lib1, 0);
	printf("report-block: lib1 returned %ld\n", r - 1);
	fflush(stdout);
	return NULL;
}

int report_block(uintptr_t app_secret, int free_it)
{
	pthread_t t;

	rb_secret = app_secret;
	rb_free = free_it;
	printf(free_it ? "report-block: lib1 fills standard error, a pipe, and frees app's "
			 "allocation\n"
		       : "report-block: lib1 fills standard error, a pipe, and faults\n");
	fflush(stdout);
	if (pthread_create(&t, NULL, block_thread, NULL))
		return 2;
	sleep(3);
	printf("report-block: 3 s after lib1's %s app still runs: FAIL\n",
	       free_it ? "refused free" : "protection-key fault");
	fflush(stdout);
	return 0;
}
