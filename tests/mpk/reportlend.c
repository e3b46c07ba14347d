/*
 * attack --report-lend (limit 15; found by an attack review): the lend
 * arena's records (key 0: every glibc compartment writes them) name the
 * descriptor of each lent object, whose function and argument names the
 * fault report prints for a fault in a guard page, with rights that read
 * every compartment. lib1 points slot (0, 0)'s record at a descriptor of
 * its own in shared memory whose names are app's secret string, then
 * reads the guard page after that slot (SEGV_ACCERR). The report must
 * name only the image's own descriptors (it printed the secret before).
 * Run by tests/mpk/attack-lend, whose lib2 lends (an arena is mapped).
 */
#define _GNU_SOURCE 1
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <pthread.h>
#include <unistd.h>

#include <flexos/flexos.h>
#include <flexos/image.h>

#include "../../src/runtime/runtime.h"
#include "attacklib.h"
#include "reportlend.h"

static struct {
	struct flexos_lend desc;
	struct flexos_lend_arg arg;
	uintptr_t secret;
} rl FLEXOS_SHARED;

/*
 * lib1 fills the forged descriptor (app's secret string as its names) and
 * slot (0, 0)'s record, pointed at it with forged (key 0: lib1 may write
 * it); returns the slot's guard page.
 */
static volatile char *forge_record(bool forged)
{
	uintptr_t base = flexos__runtime()->lend_arena.start;
	struct flexos__lend_header *h = (struct flexos__lend_header *)base;

	rl.desc.fn = (const char *)rl.secret;
	rl.desc.nargs = 1;
	rl.arg.name = (const char *)rl.secret;
	if (forged)
		h->meta[0][0].desc = &rl.desc;
	h->meta[0][0].arg = 0;
	h->meta[0][0].size = 8;
	return (volatile char *)flexos__lend_slot_end(base, 0, 0);
}

static long forge_in_lib1(long x)
{
	(void)x;
	return *forge_record(true); /* SEGV_ACCERR */
}

int report_lend(uintptr_t app_secret)
{
	long r = 0;

	if (!flexos__runtime()->lend_arena.start) {
		printf("report-lend: no lend arena in this image\n");
		return 2;
	}
	rl.secret = app_secret;
	printf("report-lend: lib1 forges the lend arena's record of slot (0, 0)\n");
	fflush(stdout);
	flexos_gate_r(lib1, r, lib1_call, forge_in_lib1, 0);
	printf("report-lend: lib1 returned %ld: FAIL\n", r - 1);
	return 1;
}

/*
 * --report-lend-race N (an attack review's): the report named a lent
 * object from its record (key 0) after checking the record's descriptor
 * was one of the image's, but read the descriptor again to print it: a
 * second thread of lib1's flips the record between a genuine descriptor
 * and the forged one of --report-lend (app's secret string as its names),
 * N empty iterations apart, while lib1's first thread reads the slot's
 * guard page. The report printed app's secret in 6 of 15 runs (two
 * CPUs); it now reads the record once and prints only what it checked.
 */
static volatile int race_go FLEXOS_SHARED;
static volatile int race_in FLEXOS_SHARED;
static const struct flexos_lend *race_genuine FLEXOS_SHARED;

static long race_in_lib1(long x)
{
	struct flexos__lend_header *h =
	    (struct flexos__lend_header *)flexos__runtime()->lend_arena.start;
	const struct flexos_lend *volatile *dp =
	    (const struct flexos_lend *volatile *)&h->meta[0][0].desc;
	unsigned n = (unsigned)x;

	while (!race_in)
		;
	*dp = race_genuine;
	race_go = 1;
	for (;;) {
		*dp = race_genuine;
		for (volatile unsigned i = 0; i < n; i++)
			;
		*dp = &rl.desc;
		for (volatile unsigned i = 0; i < n; i++)
			;
	}
	return 0;
}

static void *race_thread(void *x)
{
	long r = 0;
	flexos_gate_r(lib1, r, lib1_call, race_in_lib1, (long)(uintptr_t)x);
	(void)r;
	return NULL;
}

static long fault_in_lib1(long x)
{
	volatile char *guard = forge_record(false);

	(void)x;
	race_in = 1;
	while (!race_go)
		;
	return *guard; /* SEGV_ACCERR */
}

int report_lend_race(uintptr_t app_secret, unsigned spin)
{
	long r = 0;
	pthread_t t;
	const struct flexos_image *img = flexos__runtime()->image;

	if (!flexos__runtime()->lend_arena.start || !img->nlends)
		return 2;
	rl.secret = app_secret;
	race_genuine = img->lends[0];
	printf("report-lend-race: genuine %s, spin %u\n", race_genuine->fn, spin);
	fflush(stdout);
	if (pthread_create(&t, NULL, race_thread, (void *)(uintptr_t)spin))
		return 2;
	flexos_gate_r(lib1, r, lib1_call, fault_in_lib1, 0);
	printf("report-lend-race: lib1 returned %ld: FAIL\n", r - 1);
	return 1;
}
