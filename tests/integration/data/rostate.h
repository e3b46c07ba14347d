/*
 * tests/integration/ro-state.sh: a compromised library that rewrites the
 * runtime's control data in platform memory (key 0) so that the
 * application's next allocation lands where the library can read it.
 */
#ifndef ROSTATE_H
#define ROSTATE_H

/*
 * Finds the runtime's table of heaps by the heap pointers it holds and
 * points the application's entry at the shared heap. Returns the number
 * of words rewritten, or -1 when it found no such table.
 */
long rs_forge_heaps(void);
/*
 * Points the compartment malloc routes to (flexos__process_compartment)
 * at a word past the table of heaps that holds the shared heap. Returns
 * the index it wrote, or -1.
 */
long rs_forge_process(void);
/*
 * Makes the page of the table of heaps writable again (mprotect), then
 * does what rs_forge_heaps does. Returns 1, or -1.
 */
long rs_unprotect_heaps(void);
/* Points the application's protection key at key 0. Returns 0, or -1. */
int rs_forge_key(void);
/* Searches the shared heap for the application's secret: 1 if found (and prints it). */
int rs_leak(void);

#endif
