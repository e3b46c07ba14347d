/*
 * lwIP's sys_arch on the scheduler component (libflexos-lwip-sched.a).
 *
 * liblwip.so calls its sys_* functions through its PLT, so these
 * definitions, exported by the executable, replace its pthread-based
 * ones: lwIP's threads become user-level threads, its semaphores,
 * mutexes and mailboxes the scheduler's. flexos-link places this archive
 * in lwIP's compartment (docs/lwip.md): what it allocates is in lwIP's
 * heap, its statics in lwIP's data, and a mailbox's ring is its own
 * (flexos_mbox_init_ring), so that no other compartment can post to
 * lwIP's mailboxes by writing memory. Everything then runs on the OS
 * thread that started lwIP (one scheduler per OS thread), so nothing here
 * takes a lock, and a critical section (sys_arch_protect) needs nothing:
 * no other thread runs until this one blocks.
 *
 * lwIP's timeouts are milliseconds, 0 meaning forever; a timed wait
 * returns the milliseconds it waited, or SYS_ARCH_TIMEOUT.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include <lwip/err.h>
#include <lwip/sys.h>

#include <flexos/sched.h>

#include "lwip_impl.h"

struct sys_sem {
	struct flexos_sem sem;
};

struct sys_mutex {
	struct flexos_mutex mutex;
};

/*
 * With its ring: both in lwIP's heap when this archive is in lwIP's
 * compartment (flexos-link puts it there), so that no other compartment
 * can post to lwIP's mailboxes by writing memory (limit 13).
 */
struct sys_mbox {
	struct flexos_mbox mbox;
	void *ring[];
};

static struct flexos_thread *tcpip_thread;
static struct flexos_thread *core_holder;
static struct flexos_mutex core_lock = FLEXOS_MUTEX_INITIALIZER;

static int64_t to_ns(u32_t timeout_ms)
{
	return timeout_ms ? (int64_t)timeout_ms * 1000000 : FLEXOS_FOREVER;
}

/* What a wait that started at start_ns and ended with err returns to lwIP. */
static u32_t waited(uint64_t start_ns, int err, const char *what)
{
	if (err == -ETIMEDOUT || err == -EAGAIN)
		return SYS_ARCH_TIMEOUT;
	if (err) {
		/* lwIP would take a deadlock for a wake-up: stop here instead. */
		fprintf(stderr,
			"flexos-lwip: waiting for %s failed (%s): every scheduler thread of this "
			"OS thread is blocked and nothing can wake one; lwIP runs on the OS thread "
			"that called flexos_lwip_start: call lwIP from that OS thread only\n",
			what, err == -EDEADLK ? "deadlock" : "called from a callback");
		abort();
	}
	uint64_t ms = (flexos_sched_now_ns() - start_ns) / 1000000;
	return ms >= SYS_ARCH_TIMEOUT ? SYS_ARCH_TIMEOUT - 1 : (u32_t)ms;
}

void sys_init(void)
{
}

u32_t sys_now(void)
{
	return (u32_t)(flexos_sched_now_ns() / 1000000);
}

u32_t sys_jiffies(void)
{
	return (u32_t)(flexos_sched_now_ns() / 1000);
}

/* ---- semaphores ---------------------------------------------------------- */

err_t sys_sem_new(sys_sem_t *sem, u8_t count)
{
	*sem = malloc(sizeof(**sem));
	if (!*sem)
		return ERR_MEM;
	flexos_sem_init(&(*sem)->sem, count);
	return ERR_OK;
}

void sys_sem_free(sys_sem_t *sem)
{
	flexos_sem_destroy(&(*sem)->sem);
	free(*sem);
	*sem = NULL;
}

void sys_sem_signal(sys_sem_t *sem)
{
	flexos_sem_post(&(*sem)->sem);
}

u32_t sys_arch_sem_wait(sys_sem_t *sem, u32_t timeout)
{
	uint64_t start = flexos_sched_now_ns();
	return waited(start, flexos_sem_wait(&(*sem)->sem, to_ns(timeout)), "a semaphore");
}

/* ---- mutexes ------------------------------------------------------------- */

err_t sys_mutex_new(sys_mutex_t *mutex)
{
	*mutex = malloc(sizeof(**mutex));
	if (!*mutex)
		return ERR_MEM;
	flexos_mutex_init(&(*mutex)->mutex);
	return ERR_OK;
}

void sys_mutex_free(sys_mutex_t *mutex)
{
	flexos_mutex_destroy(&(*mutex)->mutex);
	free(*mutex);
	*mutex = NULL;
}

void sys_mutex_lock(sys_mutex_t *mutex)
{
	waited(0, flexos_mutex_lock(&(*mutex)->mutex), "a mutex");
}

void sys_mutex_unlock(sys_mutex_t *mutex)
{
	flexos_mutex_unlock(&(*mutex)->mutex);
}

/* ---- mailboxes ----------------------------------------------------------- */

err_t sys_mbox_new(sys_mbox_t *mbox, int size)
{
	size_t capacity = flexos__lwip_mbox_capacity(size);

	*mbox = calloc(1, sizeof(**mbox) + capacity * sizeof((*mbox)->ring[0]));
	if (!*mbox)
		return ERR_MEM;
	flexos_mbox_init_ring(&(*mbox)->mbox, (*mbox)->ring, capacity);
	return ERR_OK;
}

void sys_mbox_free(sys_mbox_t *mbox)
{
	if (flexos_mbox_destroy(&(*mbox)->mbox)) {
		/* Freed, a thread still to take from it would use freed memory. */
		fprintf(stderr, "flexos-lwip: lwIP frees a mailbox that threads wait on or were "
				"woken for; lwIP should have emptied it first\n");
		abort();
	}
	free(*mbox);
	*mbox = NULL;
}

void sys_mbox_post(sys_mbox_t *mbox, void *msg)
{
	waited(0, flexos_mbox_post(&(*mbox)->mbox, msg, FLEXOS_FOREVER), "room in a mailbox");
}

err_t sys_mbox_trypost(sys_mbox_t *mbox, void *msg)
{
	return flexos_mbox_trypost(&(*mbox)->mbox, msg) ? ERR_MEM : ERR_OK;
}

err_t sys_mbox_trypost_fromisr(sys_mbox_t *mbox, void *msg)
{
	return sys_mbox_trypost(mbox, msg);
}

u32_t sys_arch_mbox_fetch(sys_mbox_t *mbox, void **msg, u32_t timeout)
{
	uint64_t start = flexos_sched_now_ns();
	return waited(start, flexos_mbox_fetch(&(*mbox)->mbox, msg, to_ns(timeout)), "a message");
}

u32_t sys_arch_mbox_tryfetch(sys_mbox_t *mbox, void **msg)
{
	return flexos_mbox_tryfetch(&(*mbox)->mbox, msg) ? SYS_MBOX_EMPTY : 0;
}

/* ---- threads --------------------------------------------------------------- */

struct start {
	lwip_thread_fn fn;
	void *arg;
};

static void *trampoline(void *arg)
{
	struct start s = *(struct start *)arg;
	free(arg);
	s.fn(s.arg);
	return NULL;
}

sys_thread_t sys_thread_new(const char *name, lwip_thread_fn thread, void *arg, int stacksize,
			    int prio)
{
	struct flexos_thread *t;
	struct start *s = malloc(sizeof(*s));
	size_t size = stacksize > FLEXOS_SCHED_STACK_DEFAULT ? (size_t)stacksize : 0;

	if (s) {
		*s = (struct start){thread, arg};
		if (flexos_sched_create(&t, size, trampoline, s) == 0) {
			flexos_sched_detach(t);
			return (sys_thread_t)t;
		}
	}
	/* lwIP has no way to fail here: its unix port aborts too. */
	fprintf(stderr, "flexos-lwip: cannot create lwIP's thread '%s': out of memory\n",
		name ? name : "?");
	abort();
}

/* ---- the core lock and critical sections ----------------------------------- */

void sys_lock_tcpip_core(void)
{
	waited(0, flexos_mutex_lock(&core_lock), "lwIP's core lock");
	core_holder = flexos_sched_self();
}

void sys_unlock_tcpip_core(void)
{
	core_holder = NULL;
	flexos_mutex_unlock(&core_lock);
}

void sys_mark_tcpip_thread(void)
{
	tcpip_thread = flexos_sched_self();
}

void sys_check_core_locking(void)
{
	if (tcpip_thread && core_holder != flexos_sched_self()) {
		fprintf(stderr, "flexos-lwip: an lwIP core function was called without lwIP's "
				"core lock; call lwIP through its sockets or netconn API, or take "
				"LOCK_TCPIP_CORE() around it\n");
		abort();
	}
}

sys_prot_t sys_arch_protect(void)
{
	return 0;
}

void sys_arch_unprotect(sys_prot_t pval)
{
}

/* ---- the driver's receive thread (lwip_impl.h) ----------------------------- */

static int thread_start(void **thread, void *(*fn)(void *), void *arg)
{
	return flexos_sched_create((struct flexos_thread **)thread, 0, fn, arg);
}

static void thread_join(void *thread)
{
	flexos_sched_join(thread, NULL);
}

static int wait_readable(int fd, int64_t timeout_ns)
{
	return flexos_sched_wait_fd(fd, EPOLLIN, timeout_ns);
}

static void yield(void)
{
	flexos_sched_yield();
}

const struct flexos__lwip_sched_ops flexos__lwip_sched = {
    .thread_start = thread_start,
    .thread_join = thread_join,
    .wait_readable = wait_readable,
    .yield = yield,
};
