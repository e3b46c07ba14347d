/*
 * This file is private to the backends built from this tree: what the
 * isolating backends (intel-mpk, process) share, compiled once into each
 * of their archives from backends/common/. It includes the runtime's
 * private interface (src/runtime/runtime.h), which backends use too.
 */
#ifndef FLEXOS_BACKENDS_COMMON_H
#define FLEXOS_BACKENDS_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "runtime.h"

/* ---- who owns an address ------------------------------------------------ */

/*
 * Which compartment owns addr, stacks included: returns its id and sets
 * *what to the area (".data", "heap", "stack", ...); or returns -1 and
 * sets *what to "shared data", "shared heap" or "platform memory".
 * Async-signal-safe after start-up.
 */
int flexos__owner(uintptr_t addr, const char **what);

/*
 * Defined by each backend that uses flexos__owner: the compartment whose
 * stack (one the backend made) holds addr, setting *what; or -1.
 * Async-signal-safe.
 */
int flexos__backend_stack_owner(uintptr_t addr, const char **what);

/* The name of compartment id, or "?" when there is no such compartment. */
const char *flexos__comp_name(int id);

/* ---- async-signal-safe reports ------------------------------------------ */

/*
 * A report line in the making: text is appended to a fixed buffer (what
 * does not fit is dropped) and written to stderr with one write(2) per
 * flush. No allocation, no stdio, no locks: usable in signal handlers,
 * with a corrupt heap, and in a process that is about to die.
 */
struct flexos__out {
	char buf[1024];
	size_t n;
};

void flexos__out_str(struct flexos__out *o, const char *s);
/* v in base 10, or in base 16 with a 0x prefix. */
void flexos__out_num(struct flexos__out *o, uint64_t v, unsigned base);
void flexos__out_int(struct flexos__out *o, int64_t v);
/* "compartment 'NAME'" */
void flexos__out_comp(struct flexos__out *o, int id);
/*
 * Who owns addr, as flexos__owner says: "the .data of compartment 'app'",
 * "the stack of compartment 'lib'", or "shared data"...
 */
void flexos__out_owner(struct flexos__out *o, uintptr_t addr);
/* The signal's description ("Segmentation fault"), or "signal N". */
void flexos__out_signal(struct flexos__out *o, int sig);
/* Writes what is buffered to stderr and empties the buffer. */
void flexos__out_flush(struct flexos__out *o);

#endif
