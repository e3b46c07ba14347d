/*
 * longjmp under the process mechanism (backends/common/jump-wrap.S wraps
 * the image's setjmps and longjmps). A jump inside one process that
 * leaves no gate call behind is the C library's. One that would unwind
 * gate calls still in progress cannot be honoured: each of those calls
 * runs in another process, on that process's stack, which this jump
 * cannot reach (the callee's server would stay in the middle of the
 * call, and the next call of this chain would run on top of it). So it
 * ends the image with a report naming this compartment and the one whose
 * call it would abandon, never with a hang.
 */
#include <stdint.h>
#include <stdnoreturn.h>

#include "common.h"
#include "process.h"
#include "runtime.h"

#define JUMPS 16

__thread struct flexos__proc_calls flexos__proc_calls;

/* A setjmp of this thread: its jmp_buf, the gate calls then in progress, its stack and return. */
struct jump {
	uintptr_t env;
	unsigned depth;
	uintptr_t sp;
	uintptr_t pc;
};

static __thread struct jump jumps[JUMPS];
static __thread unsigned njumps;

void flexos__backend_setjmp(void *env, int savemask, const uintptr_t *sp);
void flexos__backend_setjmp(void *env, int savemask, const uintptr_t *sp)
{
	struct jump now = {(uintptr_t)env, flexos__proc_calls.depth, (uintptr_t)(sp + 1), *sp};
	unsigned n = 0;

	(void)savemask;
	/* Stale now: the same jmp_buf, calls that returned, frames below this one. */
	for (unsigned i = 0; i < njumps; i++) {
		const struct jump *j = &jumps[i];
		if (j->env == now.env || j->depth > now.depth ||
		    (j->depth == now.depth && j->sp < now.sp))
			continue;
		jumps[n++] = *j;
	}
	if (n == JUMPS) {
		for (unsigned i = 1; i < JUMPS; i++)
			jumps[i - 1] = jumps[i];
		n--;
	}
	jumps[n++] = now;
	njumps = n;
}

typedef void (*longjmp_fn)(void *, int) __attribute__((__noreturn__));

noreturn void flexos__backend_longjmp(void *env, int val, longjmp_fn real);
noreturn void flexos__backend_longjmp(void *env, int val, longjmp_fn real)
{
	const struct jump *j = NULL;
	unsigned depth = flexos__proc_calls.depth;
	char site[160];

	for (unsigned i = 0; i < njumps; i++)
		if (jumps[i].env == (uintptr_t)env)
			j = &jumps[i];
	if (!j || j->depth == depth)
		real(env, val);
	flexos__describe_pc(site, sizeof(site), j->pc);
	if (j->depth > depth)
		flexos__die(FLEXOS_EXIT_FAULT,
			    "longjmp in compartment '%s' to its setjmp at %s cannot be honoured: "
			    "the gate call it was made in has returned",
			    flexos__comp_name(flexos__proc_self), site);
	unsigned to = j->depth < FLEXOS_PROC_CALLS_MAX ? flexos__proc_calls.to[j->depth] : 0;
	flexos__die(FLEXOS_EXIT_FAULT,
		    "longjmp in compartment '%s' to its setjmp at %s cannot be honoured: it "
		    "would abandon %u gate call(s) still running in other processes, the first "
		    "into compartment '%s', whose process the jump cannot unwind (the process "
		    "mechanism does not unwind across gates; intel-mpk and none do)",
		    flexos__comp_name(flexos__proc_self), site, depth - j->depth,
		    flexos__comp_name((int)to));
}
