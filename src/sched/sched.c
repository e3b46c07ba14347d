/*
 * The scheduler: one per OS thread, a FIFO run queue, and the loop that
 * picks the next thread, fires deadlines and, when nothing can run, waits
 * in epoll.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "sched_impl.h"

/* While threads are runnable, descriptors are still polled this often. */
#define POLL_INTERVAL_NS 1000000ULL

static __thread struct flexos__sched *tls_sched;

uint64_t flexos_sched_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

noreturn void flexos__sched_die(const char *msg)
{
	/* No stdio: the stack or the heap may be what went wrong. */
	static const char prefix[] = "flexos: scheduler: ";
	ssize_t r = write(STDERR_FILENO, prefix, sizeof(prefix) - 1);
	r = write(STDERR_FILENO, msg, strlen(msg));
	r = write(STDERR_FILENO, "\n", 1);
	(void)r;
	abort();
}

static struct flexos_thread *thread_alloc(struct flexos__sched *s)
{
	size_t state = flexos__sched_bstate_size();
	struct flexos_thread *t;

	/* (read-only data: arena.c's slack covers it behind any checked block) */
	if (state > FLEXOS__SCHED_ARENA_SLACK)
		flexos__sched_die("the backend's per-thread state is larger than the scheduler's "
				  "arena allows for (FLEXOS__SCHED_ARENA_SLACK)");
	t = flexos__sched_alloc(sizeof(*t) + state);
	if (!t)
		return NULL;
	t->sched = s;
	t->id = s->next_id++;
	t->io.fd = -1;
	return t;
}

struct flexos__sched *flexos__sched_get(void)
{
	struct flexos__sched *s = OWN(tls_sched); /* (TLS: key 0) */

	if (s)
		return s;
	s = flexos__sched_alloc(sizeof(*s));
	if (!s)
		return NULL;
	s->next_id = 1;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0)
		goto err_free;
	s->main = thread_alloc(s);
	if (!s->main)
		goto err_close;
	s->main->state = T_RUNNING;
	s->current = s->main;
	/* (only the backend's record of it says which thread runs: flexos__sched_current) */
	int err = flexos__sched_backend_thread_first(s->main);
	if (err == -ENXIO)
		flexos__sched_die(
		    "the scheduler was used before the image's backend started (a "
		    "constructor that runs before FlexOS's own: a shared library's, or "
		    "one with a priority of 100 or less); use it from main, or from a "
		    "constructor of the executable without a priority");
	if (err)
		flexos__sched_die(
		    "this OS thread's own context already has another thread's state in "
		    "the backend's records: a compartment told the backend first "
		    "(docs/threat-model.md, limit 13)");
	tls_sched = s;
	return s;

err_close:
	close(s->epfd);
err_free:
	flexos__sched_free(s);
	return NULL;
}

struct flexos_thread *flexos__sched_current(struct flexos__sched *s)
{
	struct flexos_thread *t = OWN(s->current); /* (read once: key 0) */

	if (!flexos__sched_backend_running(t))
		flexos__sched_die(
		    "the scheduler's current thread is not the thread running on this OS thread: "
		    "the scheduler's memory (key 0 under intel-mpk) was changed, which would have "
		    "it act, or save the registers, for another thread; a compartment writes where "
		    "it should not (docs/threat-model.md, limit 13)");
	return t;
}

/* ---- queues ------------------------------------------------------------ */

static void runq_push(struct flexos__sched *s, struct flexos_thread *t)
{
	struct flexos_thread *tail = OWN(s->runq.tail); /* (read once: key 0) */

	t->rq_next = NULL;
	if (tail)
		tail->rq_next = t;
	else
		s->runq.head = t;
	s->runq.tail = t;
}

static struct flexos_thread *runq_pop(struct flexos__sched *s)
{
	struct flexos_thread *t = OWN(s->runq.head);
	if (t) {
		s->runq.head = t->rq_next;
		if (!s->runq.head)
			s->runq.tail = NULL;
	}
	return t;
}

static void waitq_push(struct flexos_sched_waitq *wq, struct flexos_thread *t)
{
	struct flexos_thread *tail = OWN(wq->tail); /* (read once) */

	t->wq = wq;
	t->wq_next = NULL;
	if (tail)
		tail->wq_next = t;
	else
		wq->head = t;
	wq->tail = t;
}

static void waitq_remove(struct flexos_sched_waitq *wq, struct flexos_thread *t)
{
	struct flexos_thread *prev = NULL;
	for (struct flexos_thread *p = OWN(wq->head); p; prev = p, p = OWN(p->wq_next)) {
		if (p != t)
			continue;
		if (prev)
			prev->wq_next = p->wq_next;
		else
			wq->head = p->wq_next;
		if (wq->tail == p)
			wq->tail = prev;
		break;
	}
	t->wq = NULL;
}

int flexos__waitq_has_waiters(const struct flexos_sched_waitq *wq)
{
	for (const struct flexos_thread *p = OWN(wq->head); p; p = OWN(p->wq_next))
		if (p->state == T_BLOCKED)
			return 1;
	return 0;
}

void flexos__sched_wake(struct flexos__sched *s, struct flexos_thread *t, int result)
{
	OWN(t);
	if (t->state != T_BLOCKED)
		return;
	t->state = T_RUNNABLE;
	t->wake = result;
	runq_push(s, t);
}

struct flexos_thread *flexos__sched_wake_one(struct flexos__sched *s, struct flexos_sched_waitq *wq,
					     int result)
{
	struct flexos_thread *t;

	/* Threads that timed out but have not run yet are dropped on the way. */
	while ((t = OWN(wq->head))) {
		wq->head = t->wq_next;
		if (!wq->head)
			wq->tail = NULL;
		t->wq = NULL;
		if (t->state == T_BLOCKED) {
			flexos__sched_wake(s, t, result);
			return t;
		}
	}
	return NULL;
}

/* ---- switching --------------------------------------------------------- */

static void release(struct flexos_thread *t)
{
	flexos__sched_backend_thread_fini(t);
	if (t->map)
		munmap(t->map, t->map_size);
	flexos__sched_free(t);
}

/* Releases exited threads nobody joins; never the running one, self. */
static void reap(struct flexos__sched *s, const struct flexos_thread *self)
{
	struct flexos_thread **pp = &s->dead;
	struct flexos_thread *t;

	while ((t = OWN(*pp))) {
		if (t == self) {
			pp = &t->dead_next;
			continue;
		}
		void *result;
		int ended = flexos__sched_thread_ended(t, &result);
		if (ended < 0) { /* another compartment's: a thread of it releases it */
			pp = &t->dead_next;
			continue;
		}
		*pp = t->dead_next;
		/*
		 * Not ended, or not detached (its join releases it): linked
		 * here by a forged list (limit 13).
		 */
		if (ended != 2)
			continue;
		release(t);
	}
}

/*
 * Runs the next thread; returns when the current one, prev (from
 * flexos__sched_current), is chosen again. It has put itself where it
 * belongs (run queue, wait queue, dead list) before calling this.
 */
static void schedule(struct flexos__sched *s, struct flexos_thread *prev)
{
	struct flexos_thread *next;

	for (;;) {
		/* The clock only matters with deadlines or descriptors pending. */
		if (s->nheap || s->nwaiting) {
			uint64_t now = flexos_sched_now_ns();
			flexos__timeout_expire(s, now);
			if (s->nwaiting && s->runq.head && now - s->last_poll >= POLL_INTERVAL_NS)
				flexos__io_poll(s, 0);
		}
		if ((next = runq_pop(s)))
			break;
		uint64_t deadline = flexos__timeout_next(s);
		if (deadline == UINT64_MAX && !s->nwaiting) {
			/*
			 * Nothing can ever wake a thread: tell the one that
			 * blocked last, or main if that one is exiting.
			 */
			struct flexos_thread *victim =
			    prev->state == T_BLOCKED ? prev : OWN(s->main);
			if (victim->state != T_BLOCKED)
				flexos__sched_die(
				    "every thread is blocked and nothing can wake one");
			flexos__sched_wake(s, victim, -EDEADLK);
			continue;
		}
		flexos__io_poll(s, deadline);
	}
	next->state = T_RUNNING;
	if (next == prev)
		return;
	s->current = next;
	if (flexos__sched_hooked()) {
		s->hook.prev = prev;
		s->hook.next = next;
		s->hook.load_from = next->bstate;
		flexos__sched_switch(&prev->sp, next->sp, &s->hook);
	} else {
		flexos__sched_switch(&prev->sp, next->sp, NULL);
	}
	/* Back in prev, possibly much later: whoever ran last may have died. */
	if (s->dead)
		reap(s, prev);
}

uint64_t flexos__sched_deadline(int64_t timeout_ns)
{
	if (timeout_ns < 0)
		return UINT64_MAX;
	uint64_t now = flexos_sched_now_ns(), d = (uint64_t)timeout_ns;
	return d >= UINT64_MAX - 1 - now ? UINT64_MAX - 1 : now + d;
}

int flexos__sched_block(struct flexos__sched *s, struct flexos_sched_waitq *wq, uint64_t deadline)
{
	struct flexos_thread *t = flexos__sched_current(s);

	if (s->in_callback)
		return -EPERM;
	t->state = T_BLOCKED;
	t->wake = 0;
	if (wq)
		waitq_push(wq, t);
	if (deadline != UINT64_MAX) {
		int err = flexos__timeout_arm(s, &t->tmo, deadline);
		if (err) {
			t->state = T_RUNNING;
			if (wq)
				waitq_remove(wq, t);
			return err;
		}
	}
	schedule(s, t);
	flexos__timeout_disarm(s, &t->tmo);
	/*
	 * Woken by a timeout (or a deadlock): still in the queue, the one
	 * this call was given (the control block's copy is key 0).
	 */
	if (t->wq && wq)
		waitq_remove(wq, t);
	t->wq = NULL;
	int wake = t->wake; /* (read once) */
	/*
	 * What woke the thread is in its control block, which every
	 * compartment can write under intel-mpk (docs/threat-model.md, limit
	 * 13): a timeout is believed only from the clock, a thread in a wait
	 * queue is woken with 0 (or a deadlock), no waker gives another
	 * error (those are this function's, before it waits), and any other
	 * wake-up the caller checks against its own object.
	 */
	if (wake == -ETIMEDOUT && (deadline == UINT64_MAX || flexos_sched_now_ns() < deadline))
		return 0;
	if ((wq || wake < 0) && wake != -ETIMEDOUT && wake != -EDEADLK)
		return 0;
	return wake;
}

int flexos__sched_wait_grant(struct flexos__sched *s, struct flexos_sched_waitq *wq,
			     int64_t timeout_ns, size_t *grants)
{
	uint64_t deadline = flexos__sched_deadline(timeout_ns);

	for (;;) {
		int err = flexos__sched_block(s, wq, deadline);
		if (err == -EPERM || err == -ENOMEM)
			return err; /* (it did not wait) */
		/* The object first, whatever the control block says. */
		if (*grants) {
			(*grants)--;
			return 0;
		}
		if (err)
			return err;
	}
}

/* ---- threads ----------------------------------------------------------- */

noreturn void flexos__sched_thread_main(struct flexos_thread *t)
{
	struct flexos__sched *s = OWN(OWN(t)->sched);
	void (*fn)(void) = (void (*)(void))t->fn;
	void *arg = t->arg;

	if (s->dead)
		reap(s, flexos__sched_current(s));
	/*
	 * Under intel-mpk the function and argument come from the record
	 * bound when the thread was made, in the creator's compartment (which
	 * this thread runs): a compartment that rewrote them here (key 0)
	 * before the thread started would have its choice run with the
	 * creator's rights.
	 */
	int bound = t->bound; /* (read once: key 0) */

	flexos__sched_cb_take(bound, t, &fn, &arg);
	flexos__sched_cb_unbind(bound);
	t->bound = 0;
	flexos_sched_exit(((void *(*)(void *))fn)(arg));
}

int flexos_sched_create(struct flexos_thread **thread, size_t stack_size, void *(*fn)(void *),
			void *arg)
{
	struct flexos__sched *s = flexos__sched_get();
	size_t page = (size_t)sysconf(_SC_PAGESIZE), map_size;
	struct flexos_thread *t;
	void *map;
	int err = -ENOMEM;

	if (!s)
		return -ENOMEM;
	if (!stack_size)
		stack_size = FLEXOS_SCHED_STACK_DEFAULT;
	if (stack_size < FLEXOS_SCHED_STACK_MIN)
		stack_size = FLEXOS_SCHED_STACK_MIN;
	if (stack_size > SIZE_MAX / 2)
		return -ENOMEM;
	stack_size = (stack_size + page - 1) & ~(page - 1);

	t = thread_alloc(s);
	if (!t)
		return -ENOMEM;
	t->bound = flexos__sched_cb_bind((void (*)(void))fn, arg, t);
	if (t->bound < 0) {
		err = t->bound;
		t->bound = 0;
		goto err_free;
	}
	if (!t->bound) {
		t->fn = fn;
		t->arg = arg;
	}
	/*
	 * The stack is used here as mapped, never as read back from the
	 * control block, which only keeps it for the release: under intel-mpk
	 * another compartment could point it at this compartment's memory
	 * meanwhile, and the frame below would be written there with this
	 * compartment's rights (docs/threat-model.md, limit 13).
	 */
	map_size = stack_size + page;
	map = mmap(NULL, map_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (map == MAP_FAILED)
		goto err_free;
	t->map_size = map_size;
	t->map = map;
	/* A guard page below: an overflow faults instead of corrupting a neighbour. */
	if (mprotect(map, page, PROT_NONE))
		goto err_unmap;

	/*
	 * The frame switch.S pops (see there); rsp is 16-aligned after its ret.
	 * 128 bytes above it stay mapped and unused: a gate without the
	 * callee's prototype copies a window of stack arguments from above
	 * its caller's frame (<flexos/backend.h>). It is built here, on this
	 * thread's stack, and the backend copies it from here, not from the
	 * new stack, nor takes the stack pointer from the control block:
	 * under intel-mpk both are key 0, which another compartment could
	 * rewrite before the copy, and the thread starts with its creator's
	 * rights (docs/threat-model.md, limit 13).
	 */
	_Alignas(16) uint64_t first[8 + 16] = {0};
	first[0] = 0x037f | (uint64_t)0x1f80 << 32; /* x87 and MXCSR defaults */
	first[5] = (uint64_t)(uintptr_t)t;          /* rbx */
	first[7] = (uint64_t)(uintptr_t)flexos__sched_trampoline;
	char *stack = (char *)map + page;
	void *sp = stack + stack_size - sizeof(first);
	memcpy(sp, first, sizeof(first));

	/* (the backend's thread_init records sp, or moves the thread and sp) */
	err = flexos__sched_backend_thread_init(t, stack, stack_size, &sp, first);
	if (err == -EEXIST)
		flexos__sched_die(
		    "flexos_sched_create: the scheduler's allocator handed out the "
		    "control block of a thread that has not been released; a "
		    "compartment changed the scheduler's state (under intel-mpk "
		    "every compartment can write it: docs/threat-model.md, limit 13)");
	if (err)
		goto err_unmap;
	t->sp = sp;
	t->state = T_RUNNABLE;
	runq_push(s, t);
	*thread = t;
	return 0;

err_unmap:
	munmap(map, map_size);
err_free:
	flexos__sched_cb_unbind(t->bound);
	flexos__sched_free(t);
	return err;
}

noreturn void flexos_sched_exit(void *retval)
{
	struct flexos__sched *s = flexos__sched_get();
	struct flexos_thread *t = s ? flexos__sched_current(s) : NULL;

	if (!t || t == s->main)
		flexos__sched_die(
		    "flexos_sched_exit: the scheduler's first thread (the OS thread's own "
		    "context) cannot exit; return from it instead");
	if (s->in_callback)
		flexos__sched_die("flexos_sched_exit: called from a timer or descriptor callback");
	if (flexos__sched_backend_thread_exit(t, retval))
		flexos__sched_die("flexos_sched_exit: called inside a gate call, with a caller in "
				  "another compartment waiting on the thread; return to the "
				  "thread's function (or call flexos_sched_exit there) instead");
	t->retval = retval;
	t->state = T_EXITED;
	struct flexos_thread *joiner = t->joiner; /* (read once; wake checks it) */
	if (joiner)
		flexos__sched_wake(s, joiner, 0);
	if (t->detached) {
		t->dead_next = s->dead;
		s->dead = t;
	}
	schedule(s, t);
	flexos__sched_die("an exited thread was scheduled again");
}

int flexos_sched_join(struct flexos_thread *t, void **retval)
{
	struct flexos__sched *s = flexos__sched_get();

	if (!s)
		return -ENOMEM;
	OWN(t); /* (a handle the caller passes: its own, but checked all the same) */
	struct flexos_thread *self = flexos__sched_current(s);
	if (t == self)
		return -EDEADLK;
	if (t == s->main || t->detached || t->joiner)
		return -EINVAL;
	void *result;
	int ended;
	while (!(ended = flexos__sched_thread_ended(t, &result))) {
		t->joiner = self;
		int err = flexos__sched_block(s, NULL, UINT64_MAX);
		t->joiner = NULL;
		if (err < 0) /* (a positive value is no waker's: looked at again) */
			return err;
	}
	if (ended < 0)
		return ended;
	if (retval)
		*retval = result;
	release(t);
	return 0;
}

int flexos_sched_detach(struct flexos_thread *t)
{
	struct flexos__sched *s = flexos__sched_get();

	if (!s)
		return -ENOMEM;
	OWN(t);
	if (t == s->main || t->detached || t->joiner)
		return -EINVAL;
	void *result;
	int ended = flexos__sched_thread_ended(t, &result);
	if (ended < 0)
		return ended;
	if (ended) {
		release(t);
		return 0;
	}
	/* Where the backend keeps threads' ends, reap releases only a thread it marked. */
	int err = flexos__sched_backend_thread_detach(t);
	if (err)
		return err;
	t->detached = 1;
	return 0;
}

struct flexos_thread *flexos_sched_self(void)
{
	struct flexos__sched *s = flexos__sched_get();
	return s ? flexos__sched_current(s) : NULL;
}

uint64_t flexos_sched_thread_id(const struct flexos_thread *t)
{
	return t->id;
}

int flexos_sched_yield(void)
{
	struct flexos__sched *s = flexos__sched_get();

	if (!s)
		return -ENOMEM;
	if (s->in_callback)
		return -EPERM;
	struct flexos_thread *t = flexos__sched_current(s);
	t->state = T_RUNNABLE;
	runq_push(s, t);
	schedule(s, t);
	return 0;
}

int flexos_sched_sleep_ns(uint64_t ns)
{
	struct flexos__sched *s = flexos__sched_get();

	if (!s)
		return -ENOMEM;
	if (!ns)
		return flexos_sched_yield();
	uint64_t deadline = flexos__sched_deadline(ns > INT64_MAX ? INT64_MAX : (int64_t)ns);
	int err;

	/*
	 * Only the clock ends a sleep: nothing wakes a sleeping thread (a
	 * deadline is pending: no deadlock either), so any other value is
	 * forged (limit 13), except the failure to arm the deadline.
	 */
	do
		err = flexos__sched_block(s, NULL, deadline);
	while (err != -ETIMEDOUT && err != -ENOMEM && err != -EPERM);
	return err == -ETIMEDOUT ? 0 : err;
}

int flexos_sched_sleep_ms(uint64_t ms)
{
	return flexos_sched_sleep_ns(ms > UINT64_MAX / 1000000 ? UINT64_MAX : ms * 1000000);
}
