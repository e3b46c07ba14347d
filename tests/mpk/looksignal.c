/*
 * attack --look-signal (limit 13 of docs/threat-model.md; found by a
 * review): urec_first writes the OS thread's own record, then looks for
 * another record naming the same thread with the gate page closed, where
 * signals are delivered. A handler of the caller's compartment that runs
 * there and never returns to the look leaves the record as written.
 * In a child of fork() (the filter off: it is traced), app makes a
 * scheduler thread t, whose record names it; an OS thread of lib1's, whose
 * own record is untold, tells the backend its own context is t
 * (urec_first: the look would refuse it). The parent, its tracer, stops
 * it at the look's first instruction (a breakpoint) and delivers SIGUSR1
 * there, whose handler, lib1's, never returns: it asks the backend
 * whether t runs on its OS thread (thread_running). 0: the state was
 * written but not named (status 0); before (the own record believed as
 * soon as written), 1 (status 1).
 */
#define _GNU_SOURCE 1
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <unistd.h>

#include <flexos/flexos.h>
#include <flexos/sched.h>

#include "../../backends/mpk/mpk.h"
#include "../../src/sched/sched_impl.h"
#include "attacklib.h"
#include "looksignal.h"
#include "signalat.h"

extern char flexos__mpk_urec_first_look_checked[];

/* Between the child's threads and its handler: shared (lib1 reads it too). */
static struct {
	const void *state;
	volatile int running, told;
} ls FLEXOS_SHARED;

static struct flexos_sem ls_sem = FLEXOS_SEM_INITIALIZER(0);

static void *ls_waiter(void *arg)
{
	flexos_sem_wait(&ls_sem, FLEXOS_FOREVER);
	return arg;
}

/* lib1's handler: inside the look, it never goes back there. */
static void ls_handler(int sig)
{
	(void)sig;
	ls.running = flexos__mpk_thread_running(ls.state);
	printf("look-signal: in lib1's handler, inside the look: the backend takes app's thread "
	       "for running on this OS thread: %s\n",
	       ls.running ? "yes: FAIL" : "no");
	fflush(stdout);
	_exit(ls.running ? 1 : 0);
}

static void *ls_os_thread(void *arg)
{
	ls.told = flexos__mpk_urec_first(arg); /* (stopped inside, at the look) */
	return NULL;
}

/* Run by lib1 (lib1_call: cb(x + 1) + 1): its handler, its OS thread. */
static long ls_in_lib1(long x)
{
	struct sigaction sa;
	pthread_t th;

	(void)x;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = ls_handler;
	if (sigaction(SIGUSR1, &sa, NULL))
		return 5;
	raise(SIGSTOP); /* the tracer arms its breakpoint now */
	if (pthread_create(&th, NULL, ls_os_thread, (void *)ls.state) || pthread_join(th, NULL))
		return 6;
	return 7;
}

static void child(void)
{
	struct flexos_thread *t;
	long r = 0;

	ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	raise(SIGSTOP);
	if (!flexos__sched_get() || flexos_sched_create(&t, 0, ls_waiter, NULL))
		_exit(2);
	flexos_sched_yield(); /* t waits: its record names it */
	ls.state = t->bstate;
	flexos_gate_r(lib1, r, lib1_call, ls_in_lib1, 0);
	printf("look-signal: lib1's OS thread's urec_first returned %d, its handler never ran "
	       "(%ld)\n",
	       ls.told, r - 1);
	fflush(stdout);
	_exit(2);
}

int look_signal(void)
{
	return signal_at(child, (uintptr_t)flexos__mpk_urec_first_look_checked, SIGUSR1,
			 "look-signal: lib1's OS thread stopped in urec_first's look; SIGUSR1 "
			 "delivered there");
}
