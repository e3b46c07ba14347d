/*
 * What a switch changes besides registers: the backend's per-thread state
 * (with intel-mpk: the running compartment, this thread's stack in each
 * compartment, and PKRU) and the runtime's data shadow stack.
 *
 * Both are optional. The backend is found through the image descriptor,
 * which only images linked by flexos-link have; the data shadow stack only
 * exists if the image uses FLEXOS_SHARED_STACK (weak references pull
 * nothing into the link). Without either, a switch is registers only.
 *
 * The backend's functions are always read from the image descriptor,
 * which is read-only (RELRO), never from the scheduler's memory (key 0
 * under intel-mpk): a compartment that could replace them there would
 * have them called with the rights of whichever thread switches or
 * creates a thread next.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stddef.h>

#include "runtime.h"
#include "sched_impl.h"

#pragma weak flexos__dss_switch
#pragma weak flexos__dss_free

_Static_assert(offsetof(struct flexos__switch_hook, prev) == 0, "switch.S layout");
_Static_assert(offsetof(struct flexos__switch_hook, next) == 8, "switch.S layout");
_Static_assert(offsetof(struct flexos__switch_hook, load_from) == 16, "switch.S layout");
_Static_assert(offsetof(struct flexos_thread, sp) == 0, "switch.S layout");

static const struct flexos_backend *backend(void)
{
	const struct flexos_image *img = &flexos__image;

	return img ? img->backend : NULL;
}

flexos__sched_resume_fn flexos__sched_hook(struct flexos_thread *prev, struct flexos_thread *next)
{
	const struct flexos_backend *b = backend();

	/* switch.S read them back from the scheduler's memory (key 0). */
	OWN(prev);
	OWN(next);

	if (flexos__dss_switch)
		flexos__dss_switch(prev->dss, next->dss);
	if (!b)
		return NULL;
	if (b->thread_switch)
		b->thread_switch(prev->bstate, next->bstate);
	return b->thread_resume;
}

int flexos__sched_cb_bind(void (*fn)(void), void *arg, const void *obj)
{
	const struct flexos_backend *b = backend();

	return b && b->callback_bind ? b->callback_bind(fn, arg, obj) : 0;
}

void flexos__sched_cb_take(int handle, const void *obj, void (**fn)(void), void **arg)
{
	const struct flexos_backend *b = backend();

	/*
	 * With the backend's records, every callback comes from one (a handle
	 * of 0 in the scheduler's memory is a forged one, not "none").
	 */
	if (b && b->callback_take ? b->callback_take(handle, obj, fn, arg) != 0 : handle != 0)
		flexos__sched_die("a timer or descriptor callback (or a new thread's function) "
				  "registered by another compartment, for another timer, watch "
				  "or thread, or forged, was about to run in this thread's "
				  "compartment; under intel-mpk a scheduler callback runs only in "
				  "the compartment that registered it: let a thread of that "
				  "compartment run the scheduler (docs/sched.md)");
}

void flexos__sched_cb_unbind(int handle)
{
	const struct flexos_backend *b = backend();

	if (handle && b && b->callback_unbind)
		b->callback_unbind(handle);
}

static int has_backend(const struct flexos_backend *b)
{
	return b && (b->thread_switch || b->thread_resume);
}

int flexos__sched_hooked(void)
{
	return has_backend(backend()) || flexos__dss_switch;
}

size_t flexos__sched_bstate_size(void)
{
	const struct flexos_backend *b = backend();

	return has_backend(b) ? (b->thread_state_size + 15) & ~(size_t)15 : 0;
}

int flexos__sched_backend_thread_init(struct flexos_thread *t, void *stack, size_t size, void **sp,
				      const void *frame)
{
	const struct flexos_backend *b = backend();

	if (has_backend(b) && b->thread_init)
		return b->thread_init(t->bstate, stack, size, sp, frame);
	return 0;
}

int flexos__sched_backend_thread_exit(struct flexos_thread *t, void *retval)
{
	const struct flexos_backend *b = backend();

	if (has_backend(b) && b->thread_exit)
		return b->thread_exit(t->bstate, retval);
	return 0;
}

int flexos__sched_thread_ended(struct flexos_thread *t, void **retval)
{
	const struct flexos_backend *b = backend();

	/*
	 * Both: a thread may mark its backend record ended and go on
	 * (thread_exit succeeds once), and it is not released before it has
	 * exited (or while it is suspended).
	 */
	if (has_backend(b) && b->thread_result) {
		int r = b->thread_result(t->bstate, retval);
		if (r == -EPERM)
			return -EPERM;
		if (r < 0 || t->state != T_EXITED)
			return 0;
		return 1 + (b->thread_detach ? r == 1 : t->detached != 0);
	}
	if (t->state != T_EXITED)
		return 0;
	*retval = t->retval;
	return 1 + (t->detached != 0);
}

int flexos__sched_backend_thread_detach(struct flexos_thread *t)
{
	const struct flexos_backend *b = backend();

	if (has_backend(b) && b->thread_result && b->thread_detach)
		return b->thread_detach(t->bstate);
	return 0;
}

int flexos__sched_backend_thread_first(struct flexos_thread *t)
{
	const struct flexos_backend *b = backend();

	if (has_backend(b) && b->thread_first)
		return b->thread_first(t->bstate);
	return 0;
}

int flexos__sched_backend_running(const struct flexos_thread *t)
{
	const struct flexos_backend *b = backend();

	return !has_backend(b) || !b->thread_running || b->thread_running(t->bstate);
}

void flexos__sched_backend_thread_fini(struct flexos_thread *t)
{
	const struct flexos_backend *b = backend();

	if (has_backend(b) && b->thread_fini)
		b->thread_fini(t->bstate);
	if (flexos__dss_free)
		flexos__dss_free(t->dss);
}
