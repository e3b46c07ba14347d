/*
 * longjmp under the process mechanism (backends/common/jump-wrap.S wraps
 * the image's setjmps and longjmps). A jump lands in the process that
 * made the setjmp, on its own stack; what it abandons there is this
 * thread's gate state above the setjmp's level (process.h), which the
 * jump cuts back before the C library's longjmp runs. The gate calls it
 * abandons in other processes are not touched here: each of those
 * processes waits in a gate (or serves a request inside one), and the
 * next message of the chain that reaches it belongs to an outer call,
 * which makes it resume at that call's wait (channel.c, resume_outer),
 * abandoning its frames in between as a longjmp over them would.
 *
 * A jump to a setjmp whose level has ended (its gate call returned, or
 * the request it served did) cannot be honoured: it ends the image with
 * a report naming this compartment and the one of that call, never with
 * a hang.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdnoreturn.h>

#include "common.h"
#include "process.h"
#include "runtime.h"

#define JUMPS 16

__thread struct flexos__proc_calls flexos__proc_calls;

/*
 * A setjmp of this thread: its jmp_buf, the level of the gate state then
 * (n, and the serial and peer of its innermost level), its stack and
 * return.
 */
struct jump {
	uintptr_t env;
	unsigned n;
	int peer;
	uint64_t serial;
	uintptr_t sp;
	uintptr_t pc;
};

static __thread struct jump jumps[JUMPS];
static __thread unsigned njumps;

/* Whether the levels j was made in are all still in progress. */
static int live(const struct jump *j)
{
	const struct flexos__proc_calls *c = &flexos__proc_calls;

	if (j->n > c->n)
		return 0;
	return j->n == 0 || c->lv[j->n - 1].serial == j->serial;
}

void flexos__backend_setjmp(void *env, int savemask, const uintptr_t *sp);
void flexos__backend_setjmp(void *env, int savemask, const uintptr_t *sp)
{
	const struct flexos__proc_calls *c = &flexos__proc_calls;
	struct jump now = {(uintptr_t)env, c->n, -1, 0, (uintptr_t)(sp + 1), *sp};
	unsigned n = 0;

	(void)savemask;
	if (c->n) {
		now.peer = c->lv[c->n - 1].peer;
		now.serial = c->lv[c->n - 1].serial;
	}
	/* Stale now: the same jmp_buf, levels that ended, frames below this one. */
	for (unsigned i = 0; i < njumps; i++) {
		const struct jump *j = &jumps[i];
		if (j->env == now.env || !live(j) ||
		    (j->n == now.n && j->serial == now.serial && j->sp < now.sp))
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

/*
 * Whether env still holds the stack pointer and return address of j's
 * setjmp, as glibc's x86-64 __sigsetjmp stores them (slots 6 and 7,
 * mangled with the thread's pointer guard): a compartment that could
 * write the jmp_buf may have rewritten it, and the jump would land
 * wherever it says.
 */
static int intact(const struct jump *j, const uintptr_t *env)
{
	uintptr_t guard;

	__asm__("movq %%fs:0x30, %0" : "=r"(guard));
	uintptr_t sp = ((env[6] >> 0x11) | (env[6] << (64 - 0x11))) ^ guard;
	uintptr_t pc = ((env[7] >> 0x11) | (env[7] << (64 - 0x11))) ^ guard;
	return sp == j->sp && pc == j->pc;
}

typedef void (*longjmp_fn)(void *, int) __attribute__((__noreturn__));

noreturn void flexos__backend_longjmp(void *env, int val, longjmp_fn real);
noreturn void flexos__backend_longjmp(void *env, int val, longjmp_fn real)
{
	struct flexos__proc_calls *c = &flexos__proc_calls;
	const struct jump *j = NULL;
	char site[160];

	for (unsigned i = 0; i < njumps; i++)
		if (jumps[i].env == (uintptr_t)env)
			j = &jumps[i];
	if (!j)
		real(env, val);
	int crossing = j->n != c->n;
	if (!intact(j, env)) {
		/* Filled since by an unwrapped setjmp (a shared library's): the C library's. */
		if (!crossing)
			real(env, val);
		flexos__describe_pc(site, sizeof(site), j->pc);
		flexos__die(
		    FLEXOS_EXIT_FAULT,
		    "longjmp in compartment '%s' to its setjmp at %s cannot be honoured: its "
		    "jmp_buf no longer holds that setjmp's stack and return (something wrote "
		    "to it; keep jmp_bufs out of memory other compartments can write)",
		    flexos__comp_name(flexos__proc_self), site);
	}
	if (live(j)) {
		flexos__proc_cut_levels(j->n);
		real(env, val);
	}
	/* A setjmp's innermost level is the request its code was serving. */
	flexos__describe_pc(site, sizeof(site), j->pc);
	flexos__die(FLEXOS_EXIT_FAULT,
		    "longjmp in compartment '%s' to its setjmp at %s cannot be honoured: the "
		    "gate call from compartment '%s' it was made in has returned",
		    flexos__comp_name(flexos__proc_self), site, flexos__comp_name(j->peer));
}
