/*
 * The scheduler test image (tests/sched/images.sh, tests/mpk/vm.sh): the
 * application in one compartment, schedlib in another. Scheduler threads
 * call into the library, which yields while they are there, so the
 * scheduler switches between threads that sit in different compartments:
 * with intel-mpk each needs its own stack per compartment and its PKRU
 * restored, or the next access faults. Each thread also keeps values on
 * the data shadow stack (FLEXOS_SHARED_STACK) across switches.
 * A constructor uses the scheduler first, before any compartment runs
 * (under intel-mpk the backend learns there which state is the OS thread's
 * own context: limit 13 of docs/threat-model.md); with SCHEDAPP_BEFORE_START
 * set, one that runs before FlexOS's start-up does, and is refused.
 * Prints "sched-image: ok" and exits 0, or says what went wrong.
 * With --churn: 40 threads made and joined one after the other, each
 * calling into the library once (under intel-mpk each takes a stack of
 * the library's pool and gives it back when it ends: run with a small
 * FLEXOS_MPK_STACKS); prints "sched-image: churn ok".
 */
#include <flexos/flexos.h>
#include <flexos/sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schedlib.h"

#define THREADS 4
#define LOOPS   5
#define ROUNDS  3

static int app_turns; /* the application's .bss */
static int problems;

/*
 * Shared-stack objects acquired and released at uneven depths while other
 * threads do the same: with one shadow stack for all threads they would
 * overlap (and an acquisition zeroes its object).
 */
static int nest(int id, int depth)
{
	FLEXOS_SHARED_STACK(int, v);
	int bad = 0;

	*v = id * 1000 + depth;
	flexos_sched_yield();
	if (depth > 1)
		bad = nest(id, depth - 1);
	flexos_sched_yield();
	if (*v != id * 1000 + depth)
		bad++;
	return bad;
}

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	FLEXOS_SHARED_STACK(int, mine);

	*mine = -id;
	for (int l = 0; l < LOOPS; l++) {
		FLEXOS_SHARED_STACK(int, out);
		int bad;
		app_turns++;
		flexos_gate_r(schedlib, bad, schedlib_work, id, ROUNDS, out);
		problems += bad;
		if (*out != id) {
			printf("thread %d: the library's answer %d was overwritten\n", id, *out);
			problems++;
		}
		flexos_sched_yield();
		problems += nest(id, 1 + (id + l) % 4);
		if (*mine != -id) {
			printf("thread %d: its shared-stack value %d was overwritten\n", id, *mine);
			problems++;
		}
	}
	return (void *)(intptr_t)id;
}

/* A thread that never leaves the application: it runs between the others. */
static void *local_worker(void *arg)
{
	int *n = arg;
	for (int i = 0; i < 50; i++) {
		(*n)++;
		app_turns++;
		flexos_sched_yield();
	}
	return NULL;
}

static void *churn_worker(void *arg)
{
	FLEXOS_SHARED_STACK(int, out);
	int bad = 1;

	flexos_gate_r(schedlib, bad, schedlib_work, (int)(intptr_t)arg, 1, out);
	return (void *)(intptr_t)(bad || *out != (int)(intptr_t)arg);
}

static int churn(void)
{
	for (int i = 1; i <= 40; i++) {
		struct flexos_thread *t;
		void *ret = (void *)1;
		if (flexos_sched_create(&t, 0, churn_worker, (void *)(intptr_t)i) ||
		    flexos_sched_join(t, &ret) || ret) {
			printf("sched-image: churn: thread %d failed\n", i);
			return 1;
		}
	}
	printf("sched-image: churn ok\n");
	return 0;
}

static int early_yield = -1;

/*
 * With SCHEDAPP_BEFORE_START in the environment, a constructor of priority
 * 100, which runs before FlexOS's own start-up (101, flexos-link), uses
 * the scheduler: under intel-mpk the scheduler cannot tell the backend
 * its first thread yet, says so and ends the image (134; tests/mpk/vm.sh).
 * (Its entry is placed by hand: the compiler keeps priorities up to 100
 * for the implementation.)
 */
static void before_start_sched(void)
{
	if (getenv("SCHEDAPP_BEFORE_START"))
		flexos_sched_yield();
}
__attribute__((section(".init_array.00100"), used)) static void (*const before_start_entry)(void) =
    before_start_sched;

__attribute__((constructor)) static void early_sched(void)
{
	early_yield = flexos_sched_yield();
}

int main(int argc, char **argv)
{
	struct flexos_thread *t[THREADS], *local;
	static int local_turns;
	int lib_rounds;
	void *ret;

	if (early_yield) {
		printf("sched-image: a constructor's yield returned %d\n", early_yield);
		return 1;
	}
	if (argc == 2 && !strcmp(argv[1], "--churn"))
		return churn();

	for (int i = 0; i < THREADS; i++)
		if (flexos_sched_create(&t[i], 0, worker, (void *)(intptr_t)(i + 1))) {
			printf("sched-image: cannot create a thread\n");
			return 1;
		}
	if (flexos_sched_create(&local, 0, local_worker, &local_turns))
		return 1;
	for (int i = 0; i < THREADS; i++) {
		if (flexos_sched_join(t[i], &ret) || ret != (void *)(intptr_t)(i + 1)) {
			printf("sched-image: thread %d did not end well\n", i + 1);
			problems++;
		}
	}
	flexos_sched_join(local, NULL);
	flexos_gate_r(schedlib, lib_rounds, schedlib_rounds);
	printf("sched-image: backend %s, %d threads x %d calls x %d rounds in '%s', "
	       "%d turns in '%s'\n",
	       flexos_backend_name(), THREADS, LOOPS, ROUNDS, "schedlib", app_turns,
	       flexos_compartment_name());
	if (lib_rounds != THREADS * LOOPS * ROUNDS || local_turns != 50 ||
	    app_turns != THREADS * LOOPS + 50) {
		printf("sched-image: FAIL: %d library rounds, %d local turns\n", lib_rounds,
		       local_turns);
		problems++;
	}
	if (problems) {
		printf("sched-image: FAIL: %d problems\n", problems);
		return 1;
	}
	printf("sched-image: ok\n");
	return 0;
}
