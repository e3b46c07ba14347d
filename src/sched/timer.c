/*
 * Timers: callbacks run by the scheduler at a deadline, once or
 * periodically.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdlib.h>

#include "sched_impl.h"

int flexos_timer_create(struct flexos_timer **timer, void (*fn)(void *arg), void *arg)
{
	struct flexos__sched *s = flexos__sched_get();
	struct flexos_timer *t;

	if (!s || !(t = flexos__sched_alloc(sizeof(*t))))
		return -ENOMEM;
	t->tmo.timer = t;
	t->sched = s;
	t->bound = flexos__sched_cb_bind((void (*)(void))fn, arg, t);
	if (t->bound < 0) {
		int err = t->bound;
		flexos__sched_free(t);
		return err;
	}
	if (!t->bound) {
		t->fn = fn;
		t->arg = arg;
	}
	*timer = t;
	return 0;
}

int flexos_timer_start(struct flexos_timer *t, uint64_t delay_ns, uint64_t period_ns)
{
	uint64_t now = flexos_sched_now_ns();

	OWN(t); /* (the caller's handle: checked all the same) */
	t->period = period_ns;
	t->fired = 0;
	return flexos__timeout_arm(OWN(t->sched), &t->tmo,
				   delay_ns > UINT64_MAX - 1 - now ? UINT64_MAX - 1
								   : now + delay_ns);
}

int flexos_timer_stop(struct flexos_timer *t)
{
	flexos__timeout_disarm(OWN(OWN(t)->sched), &t->tmo);
	return 0;
}

uint64_t flexos_timer_fired(const struct flexos_timer *t)
{
	return t->fired;
}

void flexos_timer_destroy(struct flexos_timer *t)
{
	if (!t)
		return;
	flexos__timeout_disarm(OWN(OWN(t)->sched), &t->tmo);
	flexos__sched_cb_unbind(t->bound);
	t->bound = 0;
	if (t->running)
		t->destroyed = 1;
	else
		flexos__sched_free(t);
}

void flexos__timer_fire(struct flexos__sched *s, struct flexos_timer *t, uint64_t now)
{
	uint64_t period = t->period; /* (read once: key 0) */

	if (period) {
		/* Next period after now: a late timer skips, it does not burst. */
		uint64_t d = t->tmo.deadline + period;
		if (d <= now)
			d += (now - d) / period * period + period;
		/* Without memory to re-arm, it stops rather than fire late forever. */
		(void)flexos__timeout_arm(s, &t->tmo, d);
	}
	void (*fn)(void) = (void (*)(void))t->fn;
	void *arg = t->arg;
	flexos__sched_cb_take(t->bound, t, &fn, &arg);
	t->fired++;
	t->running = 1;
	s->in_callback++;
	((void (*)(void *))fn)(arg);
	s->in_callback--;
	t->running = 0;
	if (t->destroyed)
		flexos__sched_free(t);
}
