/*
 * Mailboxes: a ring of pointers with a queue of readers (waiting while it
 * is empty) and one of writers (waiting while it is full). A message is
 * handed straight to a waiting reader, and a slot to a waiting writer, so
 * order is kept and nobody retries.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdlib.h>

#include "sched_impl.h"

int flexos_mbox_init(struct flexos_mbox *mb, size_t size)
{
	if (!size || size > SIZE_MAX / sizeof(void *))
		return -EINVAL;
	mb->ring = calloc(size, sizeof(void *));
	if (!mb->ring)
		return -ENOMEM;
	mb->size = size;
	mb->head = mb->count = 0;
	mb->readers.head = mb->readers.tail = NULL;
	mb->writers.head = mb->writers.tail = NULL;
	return 0;
}

int flexos_mbox_destroy(struct flexos_mbox *mb)
{
	if (flexos__waitq_has_waiters(&mb->readers) || flexos__waitq_has_waiters(&mb->writers))
		return -EBUSY;
	free(mb->ring);
	mb->ring = NULL;
	mb->size = mb->count = 0;
	return 0;
}

size_t flexos_mbox_count(const struct flexos_mbox *mb)
{
	return mb->count;
}

static void push(struct flexos_mbox *mb, void *msg)
{
	mb->ring[(mb->head + mb->count) % mb->size] = msg;
	mb->count++;
}

static void *pop(struct flexos_mbox *mb)
{
	void *msg = mb->ring[mb->head];
	mb->head = (mb->head + 1) % mb->size;
	mb->count--;
	return msg;
}

int flexos_mbox_post(struct flexos_mbox *mb, void *msg, int64_t timeout_ns)
{
	struct flexos__sched *s = flexos__sched_get();
	struct flexos_thread *r;
	int err;

	if (!s)
		return -ENOMEM;
	if (mb->count == mb->size) {
		if (!timeout_ns)
			return -EAGAIN;
		/* A reader that makes room stores our message for us: see fetch. */
		s->current->msg = msg;
		err = flexos__sched_block(s, &mb->writers, timeout_ns);
		return err;
	}
	/* Readers only wait while the ring is empty. */
	r = mb->readers.head;
	while (r && r->state != T_BLOCKED)
		r = r->wq_next;
	if (r) {
		r->msg = msg;
		flexos__sched_wake_one(s, &mb->readers, 0);
		return 0;
	}
	push(mb, msg);
	return 0;
}

int flexos_mbox_trypost(struct flexos_mbox *mb, void *msg)
{
	return flexos_mbox_post(mb, msg, 0);
}

int flexos_mbox_fetch(struct flexos_mbox *mb, void **msg, int64_t timeout_ns)
{
	struct flexos__sched *s = flexos__sched_get();
	struct flexos_thread *w;
	void *m;
	int err;

	if (!s)
		return -ENOMEM;
	if (!mb->count) {
		if (!timeout_ns)
			return -EAGAIN;
		err = flexos__sched_block(s, &mb->readers, timeout_ns);
		if (err)
			return err;
		if (msg)
			*msg = s->current->msg;
		return 0;
	}
	m = pop(mb);
	/* Room again: the first waiting writer's message goes in. */
	w = mb->writers.head;
	while (w && w->state != T_BLOCKED)
		w = w->wq_next;
	if (w) {
		push(mb, w->msg);
		flexos__sched_wake_one(s, &mb->writers, 0);
	}
	if (msg)
		*msg = m;
	return 0;
}

int flexos_mbox_tryfetch(struct flexos_mbox *mb, void **msg)
{
	return flexos_mbox_fetch(mb, msg, 0);
}
