/*
 * This file is private to the scheduler component (libflexos-sched.a).
 * Applications use <flexos/sched.h>.
 *
 * Every structure here is allocated by the scheduler from its own region
 * of platform memory (arena.c; protection key 0), so that the scheduler
 * can touch it from whichever compartment the switching thread runs in;
 * every pointer read from there is checked to lie inside it (OWN) before
 * anything is written through it. Objects the application embeds
 * (semaphores, mutexes, ...) are only ever modified by threads that
 * operate on them: a thread woken by a timeout unlinks itself from their
 * queue once it runs again.
 */
#ifndef FLEXOS_SCHED_IMPL_H
#define FLEXOS_SCHED_IMPL_H

#include <flexos/backend.h>
#include <flexos/sched.h>
#include <stdint.h>

/* Thread states. */
#define T_RUNNING  0 /* the current thread */
#define T_RUNNABLE 1 /* on the run queue */
#define T_BLOCKED  2 /* waiting for a wake-up or a timeout */
#define T_EXITED   3

/* A deadline in the scheduler's heap: a thread's timeout or a timer. */
struct flexos__timeout {
	uint64_t deadline;          /* flexos_sched_now_ns() clock */
	size_t idx;                 /* position in the heap, 1-based; 0: not armed */
	struct flexos_timer *timer; /* NULL: the timeout of the thread holding it */
};

/* A registered descriptor: watched with a callback, or waited on by a thread. */
struct flexos__watch {
	int fd;
	int bound; /* the backend's record of cb and arg (then both NULL here), or 0 */
	void (*cb)(int fd, uint32_t revents, void *arg);
	void *arg;
	struct flexos_thread *waiter;
	struct flexos__watch *next; /* the scheduler's list of callback watches */
};

struct flexos__sched;

/* A timer (timer.c): fn and arg, or (bound) the backend's record of them. */
struct flexos_timer {
	struct flexos__timeout tmo;
	struct flexos__sched *sched;
	int bound;
	void (*fn)(void *arg);
	void *arg;
	uint64_t period;
	uint64_t fired;
	int running;   /* its callback is running */
	int destroyed; /* destroyed by its own callback: free it after */
};

struct flexos_thread {
	void *sp; /* saved stack pointer: switch.S */
	struct flexos__sched *sched;
	int state;                     /* T_* */
	int wake;                      /* what the blocking call returns */
	struct flexos_thread *rq_next; /* run queue */
	struct flexos_thread *wq_next; /* the wait queue wq */
	struct flexos_sched_waitq *wq; /* NULL: in no wait queue */
	struct flexos__timeout tmo;
	struct flexos__watch io; /* flexos_sched_wait_fd */
	struct flexos_thread *joiner;
	int bound; /* the backend's record of fn and arg until it starts, or 0 */
	int detached;
	uint64_t id;
	void *(*fn)(void *);
	void *arg;
	void *retval;
	void *map; /* the stack's mapping (guard page included); NULL for main */
	size_t map_size;
	struct flexos_thread *dead_next;
	uintptr_t dss[2];                    /* the runtime's data shadow stack of this thread */
	_Alignas(16) unsigned char bstate[]; /* the backend's thread state */
};

/*
 * What switch.S hands flexos__sched_hook between saving one thread and
 * loading the other (data only: the functions it calls are found in the
 * read-only image descriptor, never in the scheduler's memory).
 */
struct flexos__switch_hook {
	struct flexos_thread *prev, *next;
	const void *load_from; /* next's backend state, for the backend's thread_resume */
};

/* The backend's thread_resume (<flexos/backend.h>). */
typedef void (*flexos__sched_resume_fn)(void *load_sp, const void *load_from);

struct flexos__sched {
	struct flexos_thread *current, *main;
	struct flexos_sched_waitq runq; /* linked through rq_next */
	struct flexos_thread *dead;     /* exited, detached, not yet released */
	uint64_t next_id;
	int in_callback;

	/* Deadlines: a binary min-heap, heap[1] is the earliest. */
	struct flexos__timeout **heap;
	size_t nheap, heap_cap;

	int epfd;
	unsigned nwaiting;             /* registered descriptors, both kinds */
	struct flexos__watch *watches; /* callback watches */
	uint64_t last_poll;

	/*
	 * What the hook gets. Whether a switch uses it, and how large the
	 * backend's per-thread state is, are never kept here (key 0): a
	 * compartment that cleared such a flag would have the switch load a
	 * stack pointer of its choosing without the backend's checks
	 * (backend.c: flexos__sched_hooked).
	 */
	struct flexos__switch_hook hook;
};

/*
 * switch.S: saves the caller in *save_sp; with hook, calls
 * flexos__sched_hook(hook->prev, hook->next) on the caller's stack, and if
 * that returns the backend's thread_resume, jumps there (load_sp,
 * hook->load_from); else resumes load_sp.
 */
void flexos__sched_switch(void **save_sp, void *load_sp, struct flexos__switch_hook *hook);
/*
 * backend.c: swaps the data shadow stack and the backend's thread state
 * (thread_switch); returns the backend's thread_resume, or NULL.
 */
flexos__sched_resume_fn flexos__sched_hook(struct flexos_thread *prev, struct flexos_thread *next);
/* switch.S: where a new thread starts; calls flexos__sched_thread_main(rbx). */
void flexos__sched_trampoline(void);
/* sched.c: the body of every created thread. */
noreturn void flexos__sched_thread_main(struct flexos_thread *t);

/* sched.c: the calling OS thread's scheduler, created on first use (NULL: no memory). */
struct flexos__sched *flexos__sched_get(void);

/* The clock's value timeout_ns from now (FLEXOS_FOREVER: UINT64_MAX, no deadline). */
uint64_t flexos__sched_deadline(int64_t timeout_ns);

/*
 * Blocks the current thread, in wq if not NULL, until it is woken or the
 * clock reaches deadline (UINT64_MAX: no limit). Returns what woke it:
 * the waker's value (0 in a wait queue), -ETIMEDOUT (only once the clock
 * has passed deadline), -EDEADLK; or, without waiting, -EPERM inside a
 * callback or -ENOMEM (no room for the deadline). A wake-up can be
 * forged under intel-mpk (limit 13): a caller that waits for something
 * (a unit, a lock, a message) checks its own object for it, and waits
 * again until deadline if it is not there.
 */
int flexos__sched_block(struct flexos__sched *s, struct flexos_sched_waitq *wq, uint64_t deadline);

/*
 * Blocks in wq, for at most timeout_ns (FLEXOS_FOREVER: no limit; not
 * 0), until one of the grants the object keeps (a semaphore's handed
 * units, a mailbox's promises) is there, and takes it: 0, or what
 * flexos__sched_block says once none is (-ETIMEDOUT at the deadline).
 * The count, in the object's memory, decides: a wake-up without a grant
 * waits again, and one with a grant is taken whatever the control block
 * says (limit 13); a grant taken in another waiter's place leaves that
 * one to wait again in its turn.
 */
int flexos__sched_wait_grant(struct flexos__sched *s, struct flexos_sched_waitq *wq,
			     int64_t timeout_ns, size_t *grants);

/* Makes t runnable with result if it is blocked. */
void flexos__sched_wake(struct flexos__sched *s, struct flexos_thread *t, int result);

/* Wakes the first thread still blocked in wq with result; returns it or NULL. */
struct flexos_thread *flexos__sched_wake_one(struct flexos__sched *s, struct flexos_sched_waitq *wq,
					     int result);

/* Whether wq holds a thread that is still blocked. */
int flexos__waitq_has_waiters(const struct flexos_sched_waitq *wq);

/* timeout.c: the deadline heap. */
int flexos__timeout_arm(struct flexos__sched *s, struct flexos__timeout *t, uint64_t deadline);
void flexos__timeout_disarm(struct flexos__sched *s, struct flexos__timeout *t);
/* The earliest deadline, or UINT64_MAX. */
uint64_t flexos__timeout_next(const struct flexos__sched *s);
/* Fires every deadline up to now: wakes threads, runs timers. */
void flexos__timeout_expire(struct flexos__sched *s, uint64_t now);
/* timer.c: a timer's deadline passed. */
void flexos__timer_fire(struct flexos__sched *s, struct flexos_timer *timer, uint64_t now);

/* io.c: waits at most until deadline (UINT64_MAX: no limit; 0: do not wait). */
void flexos__io_poll(struct flexos__sched *s, uint64_t deadline);

/* sched.c: says msg on stderr (no stdio) and aborts. */
noreturn void flexos__sched_die(const char *msg);
/*
 * sched.c: s's current thread, read once, which must be the thread that
 * runs (the backend's records say so, limit 13 of docs/threat-model.md),
 * else the image ends: every use of the current thread goes through here.
 */
struct flexos_thread *flexos__sched_current(struct flexos__sched *s);

/*
 * arena.c: the scheduler's own memory (zeroed), and the check of a
 * pointer read from it: p if NULL or size bytes inside it, else the
 * image ends (docs/threat-model.md, limit 13).
 */
void *flexos__sched_alloc(size_t size);
void flexos__sched_free(void *p);
void *flexos__sched_realloc(void *p, size_t size);

/* Address space (only the pages used are touched), and what follows it unused (arena.c). */
#define FLEXOS__SCHED_ARENA_SIZE  ((size_t)64 << 20)
#define FLEXOS__SCHED_ARENA_SLACK ((size_t)64 << 10)
extern unsigned char flexos__sched_arena[FLEXOS__SCHED_ARENA_SIZE + FLEXOS__SCHED_ARENA_SLACK]
    __attribute__((visibility("hidden")));
noreturn void flexos__sched_not_own(void);

static inline void *flexos__sched_own(const void *p, size_t size)
{
	uintptr_t a = (uintptr_t)p, lo = (uintptr_t)flexos__sched_arena;

	/*
	 * The bounds are the linker's constants, never read from memory. (The
	 * empty asm keeps the compiler from taking p for a pointer into the
	 * arena array, whose object size it would then apply to p's accesses.)
	 */
	__asm__("" : "+r"(lo));
	if (p &&
	    (a < lo || size > FLEXOS__SCHED_ARENA_SIZE || a - lo > FLEXOS__SCHED_ARENA_SIZE - size))
		flexos__sched_not_own();
	return (void *)p;
}
/*
 * For a thread's control block too: the backend's state behind it (at
 * most FLEXOS__SCHED_ARENA_SLACK bytes: thread_alloc) stays in the
 * arena's array past a checked block.
 */
#define OWN(p) ((__typeof__(p))flexos__sched_own((p), sizeof(*(p))))

/*
 * backend.c: a timer's or watch's (obj) callback, with the backend's
 * callback_bind (<flexos/backend.h>): the handle (> 0), 0 if the
 * scheduler keeps fn and arg itself, or -errno. cb_take: fn and arg from
 * the handle's record (a backend without records: *fn and *arg stay), or
 * the image ends if the running compartment did not bind it for obj.
 */
int flexos__sched_cb_bind(void (*fn)(void), void *arg, const void *obj);
void flexos__sched_cb_take(int handle, const void *obj, void (**fn)(void), void **arg);
void flexos__sched_cb_unbind(int handle);

/*
 * backend.c, from the read-only image descriptor and the link: whether a
 * switch goes through the hook (the backend's thread state, or the data
 * shadow stack), and the size of the backend's per-thread state.
 */
int flexos__sched_hooked(void);
size_t flexos__sched_bstate_size(void);
/* thread_init (backend.h): the first frame at *sp on the stack, and its copy at frame. */
int flexos__sched_backend_thread_init(struct flexos_thread *t, void *stack, size_t size, void **sp,
				      const void *frame);
/* The running thread t ends with retval (the backend's thread_exit): 0 or -errno. */
int flexos__sched_backend_thread_exit(struct flexos_thread *t, void *retval);
/*
 * Whether t has exited (1, and then what with; 2 if it was detached too;
 * 0 if not): its state says so, and where the backend keeps them
 * (thread_result; intel-mpk: the thread's state and result in its
 * control block are key 0, limit 13) the backend's record says so too
 * and gives the result and whether it was detached, else t's; -EPERM:
 * another compartment made t (the backend's records).
 */
int flexos__sched_thread_ended(struct flexos_thread *t, void **retval);
/* thread_detach (backend.h) where the backend keeps threads' ends: 0 or -errno. */
int flexos__sched_backend_thread_detach(struct flexos_thread *t);
void flexos__sched_backend_thread_fini(struct flexos_thread *t);
/* thread_first (backend.h): t is the OS thread's own context; 0 or -errno. */
int flexos__sched_backend_thread_first(struct flexos_thread *t);
/* thread_running (backend.h): whether t runs on this OS thread; 1 without the op. */
int flexos__sched_backend_running(const struct flexos_thread *t);

#endif
