/*
 * Semaphores, mutexes and condition variables. A unit or a lock is handed
 * straight to the first waiter rather than left for whoever runs first,
 * which keeps them fair. The hand-over is recorded in the object (a
 * semaphore's handed units, a mutex's owner), which is in its users'
 * memory, never in the woken thread's control block, which under
 * intel-mpk every compartment can write (docs/threat-model.md, limit 13):
 * a waiter woken without one waits again.
 */
#include "autoconfig.h"

#include <errno.h>

#include "sched_impl.h"

/* ---- semaphores -------------------------------------------------------- */

int flexos_sem_init(struct flexos_sem *sem, unsigned long count)
{
	sem->count = count;
	sem->handed = 0;
	sem->waiters.head = sem->waiters.tail = NULL;
	return 0;
}

int flexos_sem_destroy(struct flexos_sem *sem)
{
	return flexos__waitq_has_waiters(&sem->waiters) || sem->handed ? -EBUSY : 0;
}

int flexos_sem_wait(struct flexos_sem *sem, int64_t timeout_ns)
{
	struct flexos__sched *s = flexos__sched_get();

	if (!s)
		return -ENOMEM;
	if (sem->count) {
		sem->count--;
		return 0;
	}
	if (!timeout_ns)
		return -EAGAIN;
	/* A unit flexos_sem_post handed to a waiter. */
	return flexos__sched_wait_grant(s, &sem->waiters, timeout_ns, &sem->handed);
}

int flexos_sem_trywait(struct flexos_sem *sem)
{
	return flexos_sem_wait(sem, 0);
}

int flexos_sem_post(struct flexos_sem *sem)
{
	struct flexos__sched *s = flexos__sched_get();

	if (!s)
		return -ENOMEM;
	if (flexos__sched_wake_one(s, &sem->waiters, 0))
		sem->handed++;
	else
		sem->count++;
	return 0;
}

/* ---- mutexes ----------------------------------------------------------- */

int flexos_mutex_init(struct flexos_mutex *m)
{
	m->owner = NULL;
	m->waiters.head = m->waiters.tail = NULL;
	return 0;
}

int flexos_mutex_destroy(struct flexos_mutex *m)
{
	return m->owner ? -EBUSY : 0;
}

/* m for self, the running thread (flexos__sched_current), if it is free. */
static int trylock_for(struct flexos_mutex *m, struct flexos_thread *self)
{
	if (m->owner == self)
		return -EDEADLK;
	if (m->owner)
		return -EBUSY;
	m->owner = self;
	return 0;
}

int flexos_mutex_trylock(struct flexos_mutex *m)
{
	struct flexos__sched *s = flexos__sched_get();

	return s ? trylock_for(m, flexos__sched_current(s)) : -ENOMEM;
}

int flexos_mutex_lock(struct flexos_mutex *m)
{
	struct flexos__sched *s = flexos__sched_get();

	if (!s)
		return -ENOMEM;
	struct flexos_thread *self = flexos__sched_current(s);
	int err = trylock_for(m, self);
	if (err != -EBUSY)
		return err;
	/* Until flexos_mutex_unlock makes this thread the owner. */
	for (;;) {
		err = flexos__sched_block(s, &m->waiters, UINT64_MAX);
		if (err == -EPERM || err == -ENOMEM)
			return err; /* (it did not wait) */
		/* The object first, whatever the control block says. */
		if (m->owner == self)
			return 0;
		if (err)
			return err;
	}
}

int flexos_mutex_unlock(struct flexos_mutex *m)
{
	struct flexos__sched *s = flexos__sched_get();
	struct flexos_thread *next;

	if (!s)
		return -ENOMEM;
	if (m->owner != flexos__sched_current(s))
		return -EPERM;
	/* Pick the heir first: waking it must not see a free mutex. */
	next = OWN(m->waiters.head);
	while (next && next->state != T_BLOCKED)
		next = OWN(next->wq_next);
	m->owner = next;
	if (next)
		flexos__sched_wake_one(s, &m->waiters, 0);
	return 0;
}

/* ---- condition variables ----------------------------------------------- */

int flexos_cond_init(struct flexos_cond *c)
{
	c->waiters.head = c->waiters.tail = NULL;
	return 0;
}

int flexos_cond_destroy(struct flexos_cond *c)
{
	return flexos__waitq_has_waiters(&c->waiters) ? -EBUSY : 0;
}

int flexos_cond_wait(struct flexos_cond *c, struct flexos_mutex *m, int64_t timeout_ns)
{
	struct flexos__sched *s = flexos__sched_get();
	int err, lerr;

	if (!s)
		return -ENOMEM;
	if (m->owner != flexos__sched_current(s))
		return -EPERM;
	if (s->in_callback)
		return -EPERM;
	if (!timeout_ns)
		return -ETIMEDOUT;
	flexos_mutex_unlock(m);
	err = flexos__sched_block(s, &c->waiters, flexos__sched_deadline(timeout_ns));
	lerr = flexos_mutex_lock(m);
	return err ? err : lerr;
}

int flexos_cond_signal(struct flexos_cond *c)
{
	struct flexos__sched *s = flexos__sched_get();

	if (!s)
		return -ENOMEM;
	flexos__sched_wake_one(s, &c->waiters, 0);
	return 0;
}

int flexos_cond_broadcast(struct flexos_cond *c)
{
	struct flexos__sched *s = flexos__sched_get();

	if (!s)
		return -ENOMEM;
	while (flexos__sched_wake_one(s, &c->waiters, 0))
		;
	return 0;
}
