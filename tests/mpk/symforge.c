/*
 * attack --symbols-forge (limit 12 of docs/threat-model.md): the symbol
 * table the fault report reads (.flexos-symbols, mapped at start-up) is
 * key 0; with the system-call filter off (its range rule covers the
 * table), a compartment may make it writable and rewrite it. lib1 does:
 * the counts in its header become 2^32 - 1, and every function's name an
 * offset past the strings. app then faults (it reads lib1's data): the report takes the
 * counts and the strings' size from the runtime's read-only state, so it
 * prints its backtrace, every name "?", and ends with 123. Before (found
 * by a review), it took them from the mapping, and searched and read up
 * to 4 GiB past the table.
 */
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

#include <flexos/flexos.h>
#include <flexos/symbols.h>

#include "../../src/runtime/runtime.h"
#include "attacklib.h"
#include "symforge.h"

/* Run by lib1 (lib1_call, a plain call with lib1's PKRU): 0, or why not. */
static long forge_in_lib1(long x)
{
	struct flexos_symbols_header *h =
	    (struct flexos_symbols_header *)flexos__ro.s.symbols.table;

	(void)x;
	if (!h)
		return 3;
	uintptr_t lo = (uintptr_t)h & ~(uintptr_t)4095;
	uintptr_t hi = (uintptr_t)(flexos__ro.s.symbols.strings + flexos__ro.s.symbols.strsize);
	if (mprotect((void *)lo, hi - lo, PROT_READ | PROT_WRITE))
		return 4;
	struct flexos_symbol *f = (struct flexos_symbol *)(h + 1);
	for (uint32_t i = 0; i < flexos__ro.s.symbols.nfuncs; i++)
		f[i].name = 0xfffffff0u;
	h->nfuncs = h->nlines = h->strsize = 0xffffffffu;
	return 0;
}

int symbols_forge(uintptr_t lib1_data)
{
	long r = 0;

	/* lib1_call(x): cb(x + 1) + 1 */
	flexos_gate_r(lib1, r, lib1_call, forge_in_lib1, 0);
	printf("symbols-forge: lib1 rewrote the symbol table's counts and names: %s\n",
	       r == 1 ? "done" : "could not");
	fflush(stdout);
	if (r != 1)
		return 2;
	printf("symbols-forge: app reads lib1's data\n");
	fflush(stdout);
	(void)*(volatile int *)lib1_data;
	printf("symbols-forge: app read lib1's data: FAIL\n");
	return 1;
}
