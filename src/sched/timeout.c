/*
 * Deadlines of sleeping threads, timed waits and timers, in one binary
 * min-heap: arming and disarming are O(log n), the next deadline O(1).
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdlib.h>

#include "sched_impl.h"

static void place(struct flexos__sched *s, size_t i, struct flexos__timeout *t)
{
	s->heap[i] = t;
	t->idx = i;
}

static void sift_up(struct flexos__sched *s, size_t i)
{
	struct flexos__timeout *t = s->heap[i];
	while (i > 1 && s->heap[i / 2]->deadline > t->deadline) {
		place(s, i, s->heap[i / 2]);
		i /= 2;
	}
	place(s, i, t);
}

static void sift_down(struct flexos__sched *s, size_t i)
{
	struct flexos__timeout *t = s->heap[i];
	for (;;) {
		size_t c = 2 * i;
		if (c > s->nheap)
			break;
		if (c < s->nheap && s->heap[c + 1]->deadline < s->heap[c]->deadline)
			c++;
		if (s->heap[c]->deadline >= t->deadline)
			break;
		place(s, i, s->heap[c]);
		i = c;
	}
	place(s, i, t);
}

int flexos__timeout_arm(struct flexos__sched *s, struct flexos__timeout *t, uint64_t deadline)
{
	flexos__timeout_disarm(s, t);
	if (s->nheap + 1 >= s->heap_cap) {
		size_t cap = s->heap_cap ? 2 * s->heap_cap : 64;
		struct flexos__timeout **h = realloc(s->heap, cap * sizeof(*h));
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
	struct flexos__timeout *last = s->heap[s->nheap--];
	if (last == t)
		return;
	place(s, i, last);
	if (i > 1 && s->heap[i / 2]->deadline > last->deadline)
		sift_up(s, i);
	else
		sift_down(s, i);
}

uint64_t flexos__timeout_next(const struct flexos__sched *s)
{
	return s->nheap ? s->heap[1]->deadline : UINT64_MAX;
}

void flexos__timeout_expire(struct flexos__sched *s, uint64_t now)
{
	while (s->nheap && s->heap[1]->deadline <= now) {
		struct flexos__timeout *t = s->heap[1];
		flexos__timeout_disarm(s, t);
		if (t->timer) {
			flexos__timer_fire(s, t->timer, now);
		} else {
			struct flexos_thread *th =
			    (struct flexos_thread *)((char *)t -
						     offsetof(struct flexos_thread, tmo));
			flexos__sched_wake(s, th, -ETIMEDOUT);
		}
	}
}
