/*
 * Deadlines of sleeping threads, timed waits and timers, in one binary
 * min-heap: arming and disarming are O(log n), the next deadline O(1).
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "sched_impl.h"

/*
 * The heap's slot i, and the timeout in it: the heap, its indices and
 * its entries are the scheduler's memory (key 0), so each is checked
 * (arena.c) before it is written through.
 */
static struct flexos__timeout **slot(const struct flexos__sched *s, size_t i)
{
	struct flexos__timeout **h = s->heap; /* (read once) */

	if (!h || i > SIZE_MAX / sizeof(*h) - 1)
		flexos__sched_not_own();
	return flexos__sched_own(h + i, sizeof(*h));
}

static struct flexos__timeout *at(const struct flexos__sched *s, size_t i)
{
	return OWN(*slot(s, i));
}

static void place(struct flexos__sched *s, size_t i, struct flexos__timeout *t)
{
	*slot(s, i) = t;
	OWN(t)->idx = i;
}

static void sift_up(struct flexos__sched *s, size_t i)
{
	struct flexos__timeout *t = at(s, i);
	while (i > 1 && at(s, i / 2)->deadline > t->deadline) {
		place(s, i, at(s, i / 2));
		i /= 2;
	}
	place(s, i, t);
}

static void sift_down(struct flexos__sched *s, size_t i)
{
	struct flexos__timeout *t = at(s, i);
	for (;;) {
		size_t c = 2 * i;
		if (c > s->nheap)
			break;
		if (c < s->nheap && at(s, c + 1)->deadline < at(s, c)->deadline)
			c++;
		if (at(s, c)->deadline >= t->deadline)
			break;
		place(s, i, at(s, c));
		i = c;
	}
	place(s, i, t);
}

int flexos__timeout_arm(struct flexos__sched *s, struct flexos__timeout *t, uint64_t deadline)
{
	flexos__timeout_disarm(s, t);
	if (s->nheap + 1 >= s->heap_cap) {
		size_t cap = s->heap_cap ? 2 * s->heap_cap : 64;
		struct flexos__timeout **h = flexos__sched_realloc(s->heap, cap * sizeof(*h));
		if (!h)
			return -ENOMEM;
		s->heap = h;
		s->heap_cap = cap;
	}
	t->deadline = deadline;
	place(s, ++s->nheap, t);
	sift_up(s, t->idx);
	return 0;
}

void flexos__timeout_disarm(struct flexos__sched *s, struct flexos__timeout *t)
{
	size_t i = t->idx;

	if (!i)
		return;
	t->idx = 0;
	struct flexos__timeout *last = at(s, s->nheap--);
	if (last == t)
		return;
	place(s, i, last);
	if (i > 1 && at(s, i / 2)->deadline > last->deadline)
		sift_up(s, i);
	else
		sift_down(s, i);
}

uint64_t flexos__timeout_next(const struct flexos__sched *s)
{
	return s->nheap ? at(s, 1)->deadline : UINT64_MAX;
}

void flexos__timeout_expire(struct flexos__sched *s, uint64_t now)
{
	while (s->nheap && at(s, 1)->deadline <= now) {
		struct flexos__timeout *t = at(s, 1);
		flexos__timeout_disarm(s, t);
		struct flexos_timer *timer = OWN(t->timer);
		if (timer) {
			flexos__timer_fire(s, timer, now);
		} else {
			struct flexos_thread *th =
			    (struct flexos_thread *)((char *)t -
						     offsetof(struct flexos_thread, tmo));
			flexos__sched_wake(s, th, -ETIMEDOUT);
		}
	}
}
