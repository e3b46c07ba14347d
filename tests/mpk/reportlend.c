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
#include <stdint.h>
#include <stdio.h>

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

static long forge_in_lib1(long x)
{
	uintptr_t base = flexos__runtime()->lend_arena.start;
	struct flexos__lend_header *h = (struct flexos__lend_header *)base;

	(void)x;
	rl.desc.fn = (const char *)rl.secret;
	rl.desc.nargs = 1;
	rl.arg.name = (const char *)rl.secret;
	h->meta[0][0].desc = &rl.desc; /* key 0: lib1 may write it */
	h->meta[0][0].arg = 0;
	h->meta[0][0].size = 8;
	return *(volatile char *)flexos__lend_slot_end(base, 0, 0); /* SEGV_ACCERR */
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
