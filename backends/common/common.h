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

/*
 * Sets the compartment every thread of this process runs in, where the
 * backend gives each compartment a process of its own (malloc's route,
 * runtime.h); the route says -1 where a thread crosses compartments (ask
 * flexos__backend.current()). Called by the backend once the runtime has
 * started: malloc's hot path then needs no call to know whose heap
 * serves it.
 */
void flexos__set_process_compartment(int id);

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

/*
 * If addr is in the lend arena, appends prefix and what was lent there (a guard
 * page after a lent object: to which call, how many bytes, what to do)
 * and returns 1; else 0. Async-signal-safe.
 */
int flexos__lend_describe(struct flexos__out *o, const char *prefix, uintptr_t addr);

/* ---- system-call filters (seccomp.c, libseccomp) ------------------------ */

/* An address range [lo, hi). */
struct flexos__range {
	uintptr_t lo, hi;
};

/*
 * Whether nr reaches memory through the kernel's remote-access path
 * (process_vm_readv/writev, ptrace...), which ignores protection keys: no
 * compartment may make it under any backend.
 */
int flexos__syscall_remote(int nr);

/* The name of the calls the filters deny, or NULL. Async-signal-safe. */
const char *flexos__syscall_name(long nr);

#ifdef SCMP_ACT_ALLOW
/* Adds a rule with action for each call flexos__syscall_remote names. */
int flexos__seccomp_deny_remote(scmp_filter_ctx f, uint32_t action);

/*
 * Adds rules with action for mprotect, pkey_mprotect, munmap, mremap,
 * madvise and mmap(MAP_FIXED) at an address in one of the n aligned
 * blocks (flexos__range_blocks), for those calls with a length above
 * maxlen, and for mremap(MREMAP_FIXED) and shmat(SHM_REMAP). The blocks
 * must start maxlen below the bytes they protect: see seccomp.c.
 */
int flexos__seccomp_deny_ranges(scmp_filter_ctx f, uint32_t action,
				const struct flexos__range *blocks, size_t n, uint64_t maxlen);
#endif

/*
 * Splits each of the n ranges (page-aligned) into blocks of a power-of-two
 * size aligned to it, written to out (at most max); returns how many the
 * ranges need, which may exceed max.
 */
size_t flexos__range_blocks(const struct flexos__range *r, size_t n, struct flexos__range *out,
			    size_t max);

#endif
