/*
 * User-level threads (the scheduler component, src/sched/) on the intel-mpk
 * backend. Many threads share one OS thread and so one gate page; each
 * suspended thread's gate state (its compartment, its stack in each
 * compartment, its gate calls in progress) and the stack pointer it was
 * suspended at are in a switch record with the gate key (mpk.h:
 * MPK_UREC_MAX), which gate.S's flexos__mpk_thread_resume saves and loads
 * with the gate page open, so that the next thread's stack and PKRU come
 * from memory no compartment can write. The scheduler's memory only
 * names the record (struct mpk_uthread). So each thread has one stack
 * per compartment it entered, as an OS thread does.
 *
 * The stacks a thread got in other compartments (from the gate's slow
 * path) come from the pool (stacks.c), held by the thread's switch
 * record: gate.S's urec_free gives them back when the record is freed.
 *
 * With shared stacks a thread has one stack, the scheduler's, left at key 0
 * so that every compartment the thread enters can use it.
 */
#include "autoconfig.h"

#include <errno.h>
#include <string.h>

#include "common.h"
#include "mpk.h"

/*
 * The switch record the scheduler's state names (its handle, in *h, read
 * once: key 0), if that record names the state as its thread (gate key:
 * read, never written, here), else NULL.
 */
static const struct mpk_gate_page *record_of(const void *state, uint64_t *h)
{
	*h = ((const struct mpk_uthread *)state)->rec;
	const struct mpk_gate_page *r = flexos__mpk_record(*h);
	return r && r->thread == (uintptr_t)state ? r : NULL;
}

int flexos__mpk_thread_init(void *state, void *stack, size_t size, void **sp, const void *frame)
{
	struct mpk_uthread *u = state;
	uint64_t c = flexos__mpk_cur();
	uintptr_t top = (uintptr_t)stack + size - MPK_STACK_HEADROOM - 8;
	uintptr_t end = (uintptr_t)stack + size;
	int shared = flexos__mpk_shared_stacks();
	struct mpk_urec_made made;

	flexos__mpk_self();
	if (shared) {
		made = MPK_SIGNALS_HELD(flexos__mpk_urec_new((uintptr_t)*sp, top, 0, u));
		if (!made.handle)
			return made.top == 2 ? -EEXIST : -EAGAIN;
	} else {
		/*
		 * A thread starts in its creator's compartment, on a stack of
		 * that compartment's pool, inside the system-call filter's
		 * ranges (a stack keyed here, after start-up, could be re-keyed
		 * to key 0 by any compartment); the scheduler's stack only
		 * holds the first switch frame, which is copied to the pool
		 * stack's top from the creator's own copy (that stack is key 0).
		 */
		size_t len = end - (uintptr_t)*sp;
		if (size > MPK_STACK_SIZE) {
			flexos__say("a scheduler thread's stack of %zu KiB is larger than the "
				    "intel-mpk backend's thread stacks (%d KiB); ask for at "
				    "most that much",
				    size >> 10, MPK_STACK_SIZE >> 10);
			return -E2BIG;
		}
		made = MPK_SIGNALS_HELD(flexos__mpk_urec_new(0, 0, len, u));
		if (!made.handle) {
			if (made.top == 2)
				return -EEXIST;
			if (made.top == 1)
				flexos__say("compartment '%s' has no thread stack left for a "
					    "new scheduler thread: all of its pool are in use "
					    "(set FLEXOS_MPK_STACKS in the image's environment "
					    "to reserve more at start-up)",
					    flexos__comp_name((int)c));
			return -EAGAIN;
		}
		memcpy((void *)(made.top - len), frame, len);
		*sp = (void *)(made.top - len);
		stack = (void *)(made.top - MPK_STACK_SIZE);
		size = MPK_STACK_SIZE;
	}
	/* (only once the record is made: a state another record names is left as it is) */
	memset(u, 0, sizeof(*u));
	u->rec = made.handle;
	u->cur = c;
	u->home = c;
	u->stack_lo[c] = (uintptr_t)stack;
	u->stack_hi[c] = (uintptr_t)stack + size;
	return 0;
}

/*
 * The scheduler's hook, before flexos__mpk_thread_resume: what the fault
 * report and thread_fini need, which is not the gate's state.
 */
void flexos__mpk_thread_switch(void *save_to, const void *load_from)
{
	struct mpk_thread *t = &flexos__mpk_thread;
	struct mpk_uthread *s = save_to;
	const struct mpk_uthread *l = load_from;

	if (s == l)
		return;
	s->cur = flexos__mpk_cur();
	memcpy(s->stack_lo, t->stack_lo, sizeof(s->stack_lo));
	memcpy(s->stack_hi, t->stack_hi, sizeof(s->stack_hi));
	memcpy(t->stack_lo, l->stack_lo, sizeof(t->stack_lo));
	memcpy(t->stack_hi, l->stack_hi, sizeof(t->stack_hi));
}

/*
 * The scheduler's thread_exit (backend.h): the running thread's switch
 * record, the one the gate page names (never the scheduler's handle), is
 * marked ended with retval, so that thread_fini may free it and a join
 * take its result; refused inside a gate call, where a caller of another
 * compartment waits on the thread's stacks.
 */
int flexos__mpk_thread_exit(void *state, void *retval)
{
	(void)state;
	return MPK_SIGNALS_HELD(flexos__mpk_urec_end(retval)) ? -EPERM : 0;
}

/*
 * The scheduler's thread_result (backend.h): read, never written, here
 * (gate key: readable by every compartment). The handle is the
 * scheduler's (key 0), so the record must name state as its thread; and
 * since any compartment can make a record naming any thread (urec_new's
 * argument), it must have been made by the running compartment, the one
 * that made the thread (a thread of another compartment: -EPERM), be
 * this OS thread's, and have ended outside any gate call (as urec_free
 * requires).
 */
int flexos__mpk_thread_result(const void *state, void **retval)
{
	uint64_t h;
	const struct mpk_gate_page *r = record_of(state, &h);

	/* (a record of another OS thread's scheduler, as urec_free and urec_detach refuse) */
	if (!r || __atomic_load_n(&r->owner, __ATOMIC_ACQUIRE) != flexos__mpk_page_owner())
		return -ESRCH;
	if (r->home != flexos__mpk_cur())
		return -EPERM;
	uint64_t ended = __atomic_load_n(&r->ended, __ATOMIC_ACQUIRE);
	if (!(ended & MPK_ENDED) || r->depth)
		return -ESRCH;
	*retval = (void *)r->retval;
	return (ended & MPK_DETACHED) != 0;
}

/*
 * The scheduler's thread_detach (backend.h): the record is marked by
 * gate.S (urec_detach), only for the compartment that made it; release
 * without a join (reap) wants that mark, which a forged list of dead
 * threads in the scheduler's memory cannot give.
 */
int flexos__mpk_thread_detach(void *state)
{
	uint64_t h;
	const struct mpk_gate_page *r = record_of(state, &h);

	if (!r)
		return -ESRCH;
	if (r->home != flexos__mpk_cur())
		return -EPERM;
	return MPK_SIGNALS_HELD(flexos__mpk_urec_detach(h)) ? -ESRCH : 0;
}

void flexos__mpk_thread_fini(void *state)
{
	uint64_t h;
	const struct mpk_gate_page *r = record_of(state, &h);

	/*
	 * And its stacks in other compartments go back to the pool
	 * (stacks.c): only if its thread ended its record itself, and only
	 * the record thread_result took the thread's end from (the handle
	 * read again here could name another thread's).
	 */
	if (r && r->home == flexos__mpk_cur())
		MPK_SIGNALS_HELD_VOID(flexos__mpk_urec_free(h));
}

/*
 * The backend's callback_bind and callback_unbind (backend.h), also
 * pthread_create's: gate.S's records (cb_bind, cb_unbind), with signals
 * held (MPK_SIGNALS_HELD).
 */
int flexos__mpk_callback_bind(void (*fn)(void), void *arg, const void *obj)
{
	return MPK_SIGNALS_HELD(flexos__mpk_cb_bind(fn, arg, obj));
}

void flexos__mpk_callback_unbind(int handle)
{
	MPK_SIGNALS_HELD_VOID(flexos__mpk_cb_unbind(handle));
}

/*
 * The scheduler's thread_first (backend.h): the OS thread's own context
 * has no record of its own making, so its state is written, once, into
 * the gate page's record (gate.S's urec_first); thread_running compares
 * with it. A scheduler made by a constructor, before any compartment
 * runs, with every key open: written here, as gate.S would.
 */
int flexos__mpk_thread_first(const void *state)
{
	if (!flexos__mpk_ro.ro.rec_lo)
		return -ENXIO; /* (before the backend's start-up: nowhere to tell) */
	if (flexos__mpk_starting_up()) {
		const struct mpk_gate_page *gp = flexos__mpk_gp();
		const struct mpk_gate_page *first = flexos__mpk_first_record(gp);
		if (!first || !state ||
		    ((first->ended & MPK_NAMED) && first->thread != (uintptr_t)state))
			return -EEXIST;
		flexos__mpk_first_set(gp, (uintptr_t)state);
		return 0;
	}
	return MPK_SIGNALS_HELD(flexos__mpk_urec_first(state)) ? -EEXIST : 0;
}

/*
 * The scheduler's thread_running (backend.h): the validated gate page
 * names the running thread's switch record (thread_resume put it there;
 * 0, the page's own record, for the OS thread's own context), and that
 * record names its thread's state (urec_new, urec_first): both gate key,
 * read, never written, here.
 */
int flexos__mpk_thread_running(const void *state)
{
	const struct mpk_gate_page *gp = flexos__mpk_own_page();

	if (!gp)
		return 0;
	uint64_t h = gp->urec; /* (read once) */
	const struct mpk_gate_page *r = h ? flexos__mpk_record(h) : flexos__mpk_first_record(gp);
	/*
	 * An own record names its state once urec_first's look found no
	 * other record naming it (MPK_NAMED): a look a signal handler left
	 * (never returning to it) leaves the state written, not named.
	 */
	return r && r->thread == (uintptr_t)state && (h || (r->ended & MPK_NAMED));
}

/*
 * The scheduler's callback_take (backend.h): the record is read, never
 * written, here (gate key: readable by every compartment); it is the
 * running compartment's, as the validated gate page says, or nothing.
 */
int flexos__mpk_cb_take(int handle, const void *obj, void (**fn)(void), void **arg)
{
	if (handle <= 0 || handle > MPK_CB_SLOTS || !flexos__mpk_ro.ro.cb)
		return -EPERM;
	const struct mpk_cb *r = (const struct mpk_cb *)flexos__mpk_ro.ro.cb + (handle - 1);
	/* Its compartment's, and the object's it was bound for: not another callback of it. */
	if (__atomic_load_n(&r->owner, __ATOMIC_ACQUIRE) != flexos__mpk_cur() + 1 || r->obj != obj)
		return -EPERM;
	*fn = r->fn;
	*arg = r->arg;
	return 0;
}
