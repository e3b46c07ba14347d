/*
 * Mailboxes: a ring of pointers with a queue of readers (waiting while it
 * is empty) and one of writers (waiting while it is full). A message is
 * promised to a waiting reader, and a slot to a waiting writer, so order
 * is kept and nobody retries.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdlib.h>

#include "sched_impl.h"

/*
 * A message handed to a waiting reader, or a slot to a waiting writer,
 * is a promise counted in the mailbox (handed, promised), which the woken
 * thread redeems when it runs: the message itself stays in the ring, and
 * a woken writer's stays on its own stack until it puts it there. Nothing
 * passes through the threads' control blocks, which under intel-mpk are
 * memory every compartment writes (docs/threat-model.md, limit 13), so
 * a mailbox whose ring and structure are in one compartment's memory
 * (lwIP's, sys_arch_sched.c) carries only what that compartment posted.
 */

static int init(struct flexos_mbox *mb, void **ring, size_t size, int ring_given)
{
	mb->ring = ring;
	mb->size = size;
	mb->head = mb->count = 0;
	mb->handed = mb->promised = 0;
	mb->ring_given = ring_given;
	mb->readers.head = mb->readers.tail = NULL;
	mb->writers.head = mb->writers.tail = NULL;
	return 0;
}

int flexos_mbox_init(struct flexos_mbox *mb, size_t size)
{
	void **ring;

	if (!size || size > SIZE_MAX / sizeof(void *))
		return -EINVAL;
	ring = size > SIZE_MAX / sizeof(void *) - 64 ? NULL
						     : flexos__sched_alloc(size * sizeof(void *));
	if (!ring)
		return -ENOMEM;
	return init(mb, ring, size, 0);
}

int flexos_mbox_init_ring(struct flexos_mbox *mb, void **ring, size_t size)
{
	if (!size || !ring)
		return -EINVAL;
	return init(mb, ring, size, 1);
}

int flexos_mbox_destroy(struct flexos_mbox *mb)
{
	if (flexos__waitq_has_waiters(&mb->readers) || flexos__waitq_has_waiters(&mb->writers) ||
	    mb->handed || mb->promised)
		return -EBUSY;
	if (!mb->ring_given)
		flexos__sched_free(mb->ring);
	mb->ring = NULL;
	mb->size = mb->count = 0;
	return 0;
}

size_t flexos_mbox_count(const struct flexos_mbox *mb)
{
	return mb->count - mb->handed + mb->promised;
}

static void push(struct flexos_mbox *mb, void *msg)
{
	mb->ring[(mb->head + mb->count) % mb->size] = msg;
	mb->count++;
}

static void *pop(struct flexos_mbox *mb)
{
	void *msg = mb->ring[mb->head];
	mb->ring[mb->head] = NULL; /* (no stale message stays behind) */
	mb->head = (mb->head + 1) % mb->size;
	mb->count--;
	return msg;
}

/* msg goes into the ring; the first blocked reader, if any, is woken for it. */
static void deliver(struct flexos__sched *s, struct flexos_mbox *mb, void *msg)
{
	push(mb, msg);
	if (flexos__sched_wake_one(s, &mb->readers, 0))
		mb->handed++;
}

/* The oldest message leaves; its slot goes to the first blocked writer, if any. */
static void *take(struct flexos__sched *s, struct flexos_mbox *mb)
{
	void *msg = pop(mb);

	if (flexos__sched_wake_one(s, &mb->writers, 0))
		mb->promised++;
	return msg;
}

int flexos_mbox_post(struct flexos_mbox *mb, void *msg, int64_t timeout_ns)
{
	struct flexos__sched *s = flexos__sched_get();
	int err;

	if (!s)
		return -ENOMEM;
	/* Readers wait only while every message is promised: then deliver wakes one. */
	if (mb->count + mb->promised >= mb->size) {
		if (!timeout_ns)
			return -EAGAIN;
		/* A slot a reader made for this message (flexos__sched_wait_grant). */
		err = flexos__sched_wait_grant(s, &mb->writers, timeout_ns, &mb->promised);
		if (err)
			return err;
	}
	deliver(s, mb, msg);
	return 0;
}

int flexos_mbox_trypost(struct flexos_mbox *mb, void *msg)
{
	return flexos_mbox_post(mb, msg, 0);
}

int flexos_mbox_fetch(struct flexos_mbox *mb, void **msg, int64_t timeout_ns)
{
	struct flexos__sched *s = flexos__sched_get();
	void *m;
	int err;

	if (!s)
		return -ENOMEM;
	if (mb->count == mb->handed) {
		if (!timeout_ns)
			return -EAGAIN;
		/* A message a writer put in for this reader. */
		err = flexos__sched_wait_grant(s, &mb->readers, timeout_ns, &mb->handed);
		if (err)
			return err;
	}
	m = take(s, mb);
	if (msg)
		*msg = m;
	return 0;
}

int flexos_mbox_tryfetch(struct flexos_mbox *mb, void **msg)
{
	return flexos_mbox_fetch(mb, msg, 0);
}
