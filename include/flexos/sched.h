/*
 * FlexOS for Linux: the scheduler component (libflexos-sched.a,
 * `pkg-config --libs flexos-sched`).
 *
 * Cooperative user-level threads on one OS thread: a thread runs until it
 * blocks, yields, sleeps or exits; nothing preempts it. Semaphores,
 * mutexes, condition variables, mailboxes and timers are built on that.
 * When every thread is blocked, the scheduler waits in epoll on the file
 * descriptors that components registered, with the next timer deadline as
 * timeout.
 *
 * Each OS thread that calls this API gets a scheduler of its own, created
 * on first use; the calling context becomes that scheduler's first thread
 * ("main"). Objects (threads, semaphores, ...) belong to the scheduler of
 * the OS thread that first used them: never share one between OS threads.
 *
 * Functions return 0 or -errno unless said otherwise. Timeouts are in
 * nanoseconds: FLEXOS_FOREVER waits without limit, 0 does not wait.
 * Blocking functions return -EPERM when called from a timer or fd-watch
 * callback, which run inside the scheduler and must not block.
 *
 * The scheduler is platform code: flexos-link links libflexos-* archives
 * into no compartment, so every compartment calls it directly. A thread
 * created from compartment A starts in A. Objects used by threads of
 * different compartments must live in memory all of them may access
 * (FLEXOS_SHARED, flexos_shared_malloc). See docs/sched.md.
 */
#ifndef FLEXOS_SCHED_H
#define FLEXOS_SCHED_H

#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A timeout that never expires. */
#define FLEXOS_FOREVER ((int64_t)-1)

/* Stack size of a thread created with stack_size 0, and the smallest one. */
#define FLEXOS_SCHED_STACK_DEFAULT (256 * 1024)
#define FLEXOS_SCHED_STACK_MIN     (16 * 1024)

/* A user-level thread; opaque. */
struct flexos_thread;

/*
 * A queue of blocked threads, embedded in the objects below. Private: its
 * only public property is that all-zero bytes are an empty queue.
 */
struct flexos_sched_waitq {
	struct flexos_thread *head, *tail;
};

/* ---------------------------------------------------------------------
 * Threads
 * ------------------------------------------------------------------ */

/*
 * Creates a thread running fn(arg) on a stack of stack_size bytes (0: the
 * default; rounded up to pages, at least FLEXOS_SCHED_STACK_MIN) with a
 * guard page below it, and stores it in *thread. It is queued behind the
 * runnable threads; the caller keeps running. Returning from fn is
 * flexos_sched_exit(its result). Every thread must be joined or detached.
 * Returns -ENOMEM if the thread or its stack cannot be allocated; under
 * intel-mpk, -ENOSPC if the backend's 4096 callback records (timers,
 * descriptor watches and threads not started yet) are all taken, and
 * -EAGAIN with more than 4096 live threads.
 */
int flexos_sched_create(struct flexos_thread **thread, size_t stack_size, void *(*fn)(void *),
			void *arg);

/*
 * Waits until thread has exited, stores its result in *retval (if retval
 * is not NULL) and releases it. -EDEADLK if thread is the caller, or if
 * every thread is blocked and nothing (timer, descriptor) can wake one;
 * -EINVAL if thread is detached or another thread already joins it;
 * -EPERM under intel-mpk if another compartment made thread (only the
 * compartment that made a thread joins or detaches it).
 */
int flexos_sched_join(struct flexos_thread *thread, void **retval);

/*
 * Makes thread release itself when it exits; it can no longer be joined.
 * -EINVAL if it is already detached or being joined; -EPERM under
 * intel-mpk if another compartment made it.
 */
int flexos_sched_detach(struct flexos_thread *thread);

/*
 * Ends the calling thread with result retval. The scheduler's first
 * thread (the OS thread's own context) cannot exit this way: it aborts
 * with a message; return from main instead.
 */
noreturn void flexos_sched_exit(void *retval);

/* The calling thread (creating the OS thread's scheduler if needed). */
struct flexos_thread *flexos_sched_self(void);

/* A number naming thread, unique in its scheduler; the first thread is 1. */
uint64_t flexos_sched_thread_id(const struct flexos_thread *thread);

/*
 * Lets the other runnable threads run once, in order (round robin), then
 * returns 0.
 */
int flexos_sched_yield(void);

/*
 * Sleeps at least ns nanoseconds (ms milliseconds) while the other threads
 * run. 0 yields. Returns 0.
 */
int flexos_sched_sleep_ns(uint64_t ns);
int flexos_sched_sleep_ms(uint64_t ms);

/* CLOCK_MONOTONIC in nanoseconds: the clock of every deadline here. */
uint64_t flexos_sched_now_ns(void);

/* ---------------------------------------------------------------------
 * File descriptors
 * ------------------------------------------------------------------ */

/*
 * Calls cb(fd, revents, arg) from the scheduler whenever epoll reports
 * one of events (EPOLLIN, EPOLLOUT, ...) on fd: in the idle loop, and at
 * least every millisecond while threads are runnable. Level-triggered:
 * cb must consume what is ready, and must not block (it may post, signal,
 * wake threads). -EEXIST if fd is already watched or waited on.
 */
int flexos_sched_watch_fd(int fd, uint32_t events, void (*cb)(int fd, uint32_t revents, void *arg),
			  void *arg);

/* Stops watching fd. -ENOENT if flexos_sched_watch_fd did not watch it. */
int flexos_sched_unwatch_fd(int fd);

/*
 * Parks the calling thread until fd reports one of events, at most
 * timeout_ns (FLEXOS_FOREVER: no limit). Returns the events fd has when
 * the thread runs again (poll's revents: EPOLLIN, ..., EPOLLERR,
 * EPOLLHUP, a positive number; an event another reader consumed first
 * is waited for again), -ETIMEDOUT, or -EEXIST if fd is already watched
 * or waited on.
 */
int flexos_sched_wait_fd(int fd, uint32_t events, int64_t timeout_ns);

/* ---------------------------------------------------------------------
 * Counting semaphores
 * ------------------------------------------------------------------ */

struct flexos_sem {
	unsigned long count;
	struct flexos_sched_waitq waiters;
	size_t handed; /* units posted to waiters that have not taken them yet */
};

/* Static initializer: struct flexos_sem s = FLEXOS_SEM_INITIALIZER(1); */
#define FLEXOS_SEM_INITIALIZER(n)  \
	{                          \
		(n),               \
		{                  \
			NULL, NULL \
		},                 \
		0                  \
	}

/* Initialises sem with count. Returns 0. */
int flexos_sem_init(struct flexos_sem *sem, unsigned long count);

/* Releases sem: -EBUSY if threads wait on it. */
int flexos_sem_destroy(struct flexos_sem *sem);

/*
 * Takes one unit of sem, waiting at most timeout_ns for one: 0, or
 * -ETIMEDOUT (-EAGAIN when timeout_ns is 0 and no unit was there), or
 * -EDEADLK if every thread is blocked and nothing can wake one.
 * Waiters are served in arrival order.
 */
int flexos_sem_wait(struct flexos_sem *sem, int64_t timeout_ns);

/* flexos_sem_wait(sem, 0). */
int flexos_sem_trywait(struct flexos_sem *sem);

/* Adds one unit, handing it to the first waiter if there is one. Returns 0. */
int flexos_sem_post(struct flexos_sem *sem);

/* ---------------------------------------------------------------------
 * Mutexes (not recursive; handed to waiters in arrival order)
 * ------------------------------------------------------------------ */

struct flexos_mutex {
	struct flexos_thread *owner;
	struct flexos_sched_waitq waiters;
};

#define FLEXOS_MUTEX_INITIALIZER   \
	{                          \
		NULL,              \
		{                  \
			NULL, NULL \
		}                  \
	}

int flexos_mutex_init(struct flexos_mutex *m);
/* -EBUSY if it is locked. */
int flexos_mutex_destroy(struct flexos_mutex *m);
/* 0, or -EDEADLK if the caller holds it already or nothing can wake it. */
int flexos_mutex_lock(struct flexos_mutex *m);
/* 0, or -EBUSY if another thread holds it (-EDEADLK: the caller does). */
int flexos_mutex_trylock(struct flexos_mutex *m);
/* 0, or -EPERM if the caller does not hold it. */
int flexos_mutex_unlock(struct flexos_mutex *m);

/* ---------------------------------------------------------------------
 * Condition variables
 * ------------------------------------------------------------------ */

struct flexos_cond {
	struct flexos_sched_waitq waiters;
};

#define FLEXOS_COND_INITIALIZER    \
	{                          \
		{                  \
			NULL, NULL \
		}                  \
	}

int flexos_cond_init(struct flexos_cond *c);
/* -EBUSY if threads wait on it. */
int flexos_cond_destroy(struct flexos_cond *c);

/*
 * Unlocks m (which the caller must hold: -EPERM otherwise), waits until
 * c is signalled or timeout_ns passed, and locks m again before it
 * returns, in every case: 0, -ETIMEDOUT, or -EDEADLK. As with POSIX
 * condition variables, 0 may come without a signal: check the predicate
 * (under intel-mpk, another compartment can wake the thread, but never
 * fake a timeout, a semaphore's unit, a mutex or a mailbox's message:
 * docs/threat-model.md, limit 13).
 */
int flexos_cond_wait(struct flexos_cond *c, struct flexos_mutex *m, int64_t timeout_ns);

/* Wakes the longest waiter / every waiter. Return 0. */
int flexos_cond_signal(struct flexos_cond *c);
int flexos_cond_broadcast(struct flexos_cond *c);

/* ---------------------------------------------------------------------
 * Mailboxes: bounded FIFO queues of pointers
 * ------------------------------------------------------------------ */

struct flexos_mbox {
	void **ring;
	size_t size, head, count;
	size_t handed;   /* messages in the ring promised to woken readers */
	size_t promised; /* slots promised to woken writers */
	int ring_given;  /* the ring is the caller's (flexos_mbox_init_ring) */
	struct flexos_sched_waitq readers, writers;
};

/*
 * Initialises mb with room for size messages (1 to 131070); the ring
 * comes from the scheduler's own memory (under intel-mpk: key 0, which
 * every compartment writes). -EINVAL, -ENOMEM.
 */
int flexos_mbox_init(struct flexos_mbox *mb, size_t size);

/*
 * The same with ring, the caller's storage for size pointers, which
 * flexos_mbox_destroy leaves to the caller: with mb and ring in one
 * compartment's memory, no other compartment can change the messages
 * (docs/sched.md). -EINVAL.
 */
int flexos_mbox_init_ring(struct flexos_mbox *mb, void **ring, size_t size);

/*
 * Frees the ring (unless it is the caller's): -EBUSY if threads wait on
 * mb, or were woken for it and have not run yet. Pending messages are
 * dropped.
 */
int flexos_mbox_destroy(struct flexos_mbox *mb);

/*
 * Appends msg (any pointer, NULL included), waiting at most timeout_ns
 * while mb is full: 0, -ETIMEDOUT (-EAGAIN for timeout 0), -EDEADLK.
 */
int flexos_mbox_post(struct flexos_mbox *mb, void *msg, int64_t timeout_ns);

/* flexos_mbox_post(mb, msg, 0). */
int flexos_mbox_trypost(struct flexos_mbox *mb, void *msg);

/*
 * Takes the oldest message into *msg (if msg is not NULL), waiting at
 * most timeout_ns while mb is empty: 0, -ETIMEDOUT (-EAGAIN for timeout
 * 0), -EDEADLK.
 */
int flexos_mbox_fetch(struct flexos_mbox *mb, void **msg, int64_t timeout_ns);

/* flexos_mbox_fetch(mb, msg, 0). */
int flexos_mbox_tryfetch(struct flexos_mbox *mb, void **msg);

/* Messages waiting in mb. */
size_t flexos_mbox_count(const struct flexos_mbox *mb);

/* ---------------------------------------------------------------------
 * Timers
 * ------------------------------------------------------------------ */

/* A timer; opaque, allocated by the scheduler. */
struct flexos_timer;

/*
 * Creates a stopped timer that calls fn(arg) when it fires. fn runs inside
 * the scheduler, in the context (and, with intel-mpk, the compartment) of
 * whichever thread is switching: it must not block, and should be a
 * flexos_callback() if it must run in a given compartment.
 */
int flexos_timer_create(struct flexos_timer **timer, void (*fn)(void *arg), void *arg);

/*
 * (Re)starts timer: it fires delay_ns from now, then every period_ns if
 * period_ns is not 0. A periodic timer that falls behind skips the
 * periods it missed instead of firing in a burst. Never fires early.
 */
int flexos_timer_start(struct flexos_timer *timer, uint64_t delay_ns, uint64_t period_ns);

/* Stops timer; 0 even if it was not running. It may be started again. */
int flexos_timer_stop(struct flexos_timer *timer);

/* How many times timer fired since it was last started. */
uint64_t flexos_timer_fired(const struct flexos_timer *timer);

/* Stops and frees timer (also from its own callback). */
void flexos_timer_destroy(struct flexos_timer *timer);

#ifdef __cplusplus
}
#endif

#endif /* FLEXOS_SCHED_H */
