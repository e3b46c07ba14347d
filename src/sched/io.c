/*
 * File descriptors: the scheduler's epoll instance, polled when no thread
 * can run (until the next deadline) and every POLL_INTERVAL_NS while some
 * can.
 */
#include "autoconfig.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>

#include "sched_impl.h"

#define MAX_EVENTS 64

/* Watches removed by a callback while their events may still be pending. */
static __thread struct flexos__watch *graveyard;
static __thread int polling;

static int wait_events(struct flexos__sched *s, struct epoll_event *ev, uint64_t deadline)
{
	static int no_pwait2;
	uint64_t now;
	int n;

	if (deadline == 0)
		return epoll_wait(s->epfd, ev, MAX_EVENTS, 0);
	if (deadline == UINT64_MAX)
		return epoll_wait(s->epfd, ev, MAX_EVENTS, -1);
	now = flexos_sched_now_ns();
	uint64_t left = deadline > now ? deadline - now : 0;
	if (!no_pwait2) {
		/* Nanoseconds: a timer is not rounded up to the next millisecond. */
		struct timespec ts = {(time_t)(left / 1000000000), (long)(left % 1000000000)};
		n = epoll_pwait2(s->epfd, ev, MAX_EVENTS, &ts, NULL);
		if (n >= 0 || errno != ENOSYS)
			return n;
		no_pwait2 = 1;
	}
	uint64_t ms = (left + 999999) / 1000000;
	return epoll_wait(s->epfd, ev, MAX_EVENTS, ms > 1000000000 ? 1000000000 : (int)ms);
}

void flexos__io_poll(struct flexos__sched *s, uint64_t deadline)
{
	struct epoll_event ev[MAX_EVENTS];
	int n = wait_events(s, ev, deadline);

	s->last_poll = flexos_sched_now_ns();
	polling = 1;
	for (int i = 0; i < n; i++) {
		/* (what the scheduler registered, or what another caller of epoll_ctl did) */
		struct flexos__watch *w = OWN((struct flexos__watch *)ev[i].data.ptr);
		if (w->fd < 0)
			continue;
		struct flexos_thread *waiter = w->waiter; /* (wake checks it) */
		if (waiter) {
			flexos__sched_wake(s, waiter, (int)ev[i].events);
		} else {
			void (*cb)(void) = (void (*)(void))w->cb;
			void *arg = w->arg;
			flexos__sched_cb_take(w->bound, w, &cb, &arg);
			s->in_callback++;
			((void (*)(int, uint32_t, void *))cb)(w->fd, ev[i].events, arg);
			s->in_callback--;
		}
	}
	polling = 0;
	while (graveyard) {
		struct flexos__watch *w = OWN(graveyard);
		graveyard = w->next;
		flexos__sched_free(w);
	}
}

int flexos_sched_watch_fd(int fd, uint32_t events, void (*cb)(int fd, uint32_t revents, void *arg),
			  void *arg)
{
	struct flexos__sched *s = flexos__sched_get();
	struct flexos__watch *w;

	if (!s || !(w = flexos__sched_alloc(sizeof(*w))))
		return -ENOMEM;
	w->fd = fd;
	w->bound = flexos__sched_cb_bind((void (*)(void))cb, arg, w);
	if (w->bound < 0) {
		int err = w->bound;
		flexos__sched_free(w);
		return err;
	}
	if (!w->bound) {
		w->cb = cb;
		w->arg = arg;
	}
	struct epoll_event ev = {.events = events, .data.ptr = w};
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		int err = -errno;
		flexos__sched_cb_unbind(w->bound);
		flexos__sched_free(w);
		return err;
	}
	w->next = s->watches;
	s->watches = w;
	s->nwaiting++;
	return 0;
}

int flexos_sched_unwatch_fd(int fd)
{
	struct flexos__sched *s = flexos__sched_get();

	if (!s)
		return -ENOMEM;
	for (struct flexos__watch **pp = &s->watches, *w; (w = OWN(*pp)); pp = &w->next) {
		if (w->fd != fd)
			continue;
		*pp = w->next;
		epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
		s->nwaiting--;
		w->fd = -1;
		flexos__sched_cb_unbind(w->bound);
		w->bound = 0;
		if (polling) {
			w->next = graveyard;
			graveyard = w;
		} else {
			flexos__sched_free(w);
		}
		return 0;
	}
	return -ENOENT;
}

int flexos_sched_wait_fd(int fd, uint32_t events, int64_t timeout_ns)
{
	struct flexos__sched *s = flexos__sched_get();

	if (!s)
		return -ENOMEM;
	if (s->in_callback)
		return -EPERM;
	if (!timeout_ns) {
		/* EPOLLIN, EPOLLOUT, ... have poll's values. */
		struct pollfd p = {.fd = fd, .events = (short)events};
		int n = poll(&p, 1, 0);
		return n < 0 ? -errno : n ? p.revents : -ETIMEDOUT;
	}
	struct flexos_thread *t = flexos__sched_current(s);
	struct epoll_event ev = {.events = events | EPOLLONESHOT, .data.ptr = &t->io};
	t->io.fd = fd;
	t->io.waiter = t;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		t->io.fd = -1;
		return -errno;
	}
	s->nwaiting++;
	/* A descriptor already ready is seen at the next switch, not after a period. */
	s->last_poll = 0;
	uint64_t deadline = flexos__sched_deadline(timeout_ns);
	int r;

	/*
	 * Only the descriptor's events or the clock end the wait, and the
	 * events returned are the kernel's, asked again (the woken thread's
	 * control block is key 0: limit 13). A wake-up with none (0), or
	 * with events the descriptor does not have now (forged, or taken by
	 * another reader meanwhile), waits again, armed again: an event
	 * that fired while the thread was runnable was dropped (one-shot).
	 */
	for (;;) {
		r = flexos__sched_block(s, NULL, deadline);
		if (r > 0) {
			struct pollfd p = {.fd = fd, .events = (short)events};
			int n = poll(&p, 1, 0);
			r = n < 0 ? -errno : p.revents;
		}
		if (r)
			break;
		s->last_poll = 0;
		epoll_ctl(s->epfd, EPOLL_CTL_MOD, fd, &ev);
	}
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, fd, NULL);
	s->nwaiting--;
	t->io.fd = -1;
	t->io.waiter = NULL;
	return r;
}
