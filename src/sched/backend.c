/*
 * What a switch changes besides registers: the backend's per-thread state
 * (with intel-mpk: the running compartment, this thread's stack in each
 * compartment, and PKRU) and the runtime's data shadow stack.
 *
 * Both are optional. The backend is found through the image descriptor,
 * which only images linked by flexos-link have; the data shadow stack only
 * exists if the image uses FLEXOS_SHARED_STACK (weak references pull
 * nothing into the link). Without either, a switch is registers only.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stddef.h>
#include <sys/mman.h>

#include "runtime.h"
#include "sched_impl.h"

#pragma weak flexos__dss_switch
#pragma weak flexos__dss_free

_Static_assert(offsetof(struct flexos__switch_hook, fn) == 0, "switch.S layout");
_Static_assert(offsetof(struct flexos__switch_hook, prev) == 8, "switch.S layout");
_Static_assert(offsetof(struct flexos__switch_hook, next) == 16, "switch.S layout");
_Static_assert(offsetof(struct flexos__switch_hook, stack) == 24, "switch.S layout");
_Static_assert(offsetof(struct flexos__switch_hook, resume) == 32, "switch.S layout");
_Static_assert(offsetof(struct flexos__switch_hook, load_from) == 40, "switch.S layout");
_Static_assert(offsetof(struct flexos_thread, sp) == 0, "switch.S layout");

static void hook(struct flexos_thread *prev, struct flexos_thread *next)
{
	const struct flexos_backend *b = prev->sched->backend;

	if (flexos__dss_switch)
		flexos__dss_switch(prev->dss, next->dss);
	if (b && b->thread_switch)
		b->thread_switch(prev->bstate, next->bstate);
}

int flexos__sched_backend_init(struct flexos__sched *s)
{
	const struct flexos_image *img = &flexos__image;

	if (img && img->backend && (img->backend->thread_switch || img->backend->thread_resume)) {
		s->backend = img->backend;
		s->bstate_size = (img->backend->thread_state_size + 15) & ~(size_t)15;
	}
	if (!s->backend && !flexos__dss_switch)
		return 0;
	/* Key 0, like every mapping the scheduler makes. */
	s->hook_stack = mmap(NULL, FLEXOS__HOOK_STACK_SIZE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (s->hook_stack == MAP_FAILED)
		return -errno;
	s->hook.fn = hook;
	s->hook.stack = (char *)s->hook_stack + FLEXOS__HOOK_STACK_SIZE;
	if (s->backend)
		s->hook.resume = s->backend->thread_resume;
	s->use_hook = 1;
	return 0;
}

int flexos__sched_backend_thread_init(struct flexos__sched *s, struct flexos_thread *t, void *stack,
				      size_t size)
{
	if (s->backend && s->backend->thread_init)
		return s->backend->thread_init(t->bstate, stack, size, t->sp);
	return 0;
}

void flexos__sched_backend_thread_fini(struct flexos__sched *s, struct flexos_thread *t)
{
	if (s->backend && s->backend->thread_fini)
		s->backend->thread_fini(t->bstate);
	if (flexos__dss_free)
		flexos__dss_free(t->dss);
}
