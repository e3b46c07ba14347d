/*
 * Tests of the scheduler component (src/sched/, <flexos/sched.h>): one
 * test per primitive, fairness, timer accuracy and descriptor waits. Each
 * test runs in a process of its own (Check forks), so each starts with a
 * fresh scheduler whose first thread is the test itself.
 *
 * Timing bounds are loose for a noisy 2-core machine: never early, at most
 * SLACK_MS late.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <flexos/sched.h>

#include "sched_impl.h" /* flexos__sched_wake: a wake-up nobody promised */

#include "suites.h"

#define MS       1000000LL
#define SLACK_MS 250 /* CI runs the emulated-PKU VM beside this on 2 cores */

static uint64_t ms_since(uint64_t t0)
{
	return (flexos_sched_now_ns() - t0) / MS;
}

/* An order log shared by the threads of a test. */
static char order[256];
static size_t norder;

static void note(char c)
{
	if (norder < sizeof(order) - 1)
		order[norder++] = c;
	order[norder] = 0;
}

static void setup(void)
{
	norder = 0;
	order[0] = 0;
}

/* ---- threads --------------------------------------------------------- */

static void *note_and_return(void *arg)
{
	note((char)(uintptr_t)arg);
	return (void *)((uintptr_t)arg + 1000);
}

START_TEST(test_create_join_order)
{
	struct flexos_thread *t[3];
	void *ret;

	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(
		    flexos_sched_create(&t[i], 0, note_and_return, (void *)(uintptr_t)('a' + i)),
		    0);
	/* Cooperative: nothing ran yet. */
	note('m');
	ck_assert_int_eq(flexos_sched_join(t[1], &ret), 0);
	ck_assert_ptr_eq(ret, (void *)(uintptr_t)('b' + 1000));
	/* Creation order; 'c' ran too before main was picked again. */
	ck_assert_str_eq(order, "mabc");
	ck_assert_int_eq(flexos_sched_join(t[0], &ret), 0);
	ck_assert_ptr_eq(ret, (void *)(uintptr_t)('a' + 1000));
	ck_assert_int_eq(flexos_sched_join(t[2], NULL), 0);
	ck_assert_int_eq(flexos_sched_join(flexos_sched_self(), NULL), -EDEADLK);
	ck_assert_uint_eq(flexos_sched_thread_id(flexos_sched_self()), 1);
}
END_TEST

static void *yielder(void *arg)
{
	for (int i = 0; i < 3; i++) {
		note((char)(uintptr_t)arg);
		ck_assert_int_eq(flexos_sched_yield(), 0);
	}
	return NULL;
}

START_TEST(test_yield_round_robin)
{
	struct flexos_thread *a, *b;

	ck_assert_int_eq(flexos_sched_create(&a, 0, yielder, (void *)'a'), 0);
	ck_assert_int_eq(flexos_sched_create(&b, 0, yielder, (void *)'b'), 0);
	for (int i = 0; i < 3; i++) {
		note('m');
		flexos_sched_yield();
	}
	flexos_sched_join(a, NULL);
	flexos_sched_join(b, NULL);
	ck_assert_str_eq(order, "mabmabmab");
}
END_TEST

enum { FAIR_N = 8, FAIR_TURNS = 2000 };
static unsigned turns[FAIR_N];
static unsigned unfair;

static void *fair_worker(void *arg)
{
	unsigned me = (unsigned)(uintptr_t)arg;
	for (int i = 0; i < FAIR_TURNS; i++) {
		turns[me]++;
		/* Round robin: nobody is ever more than one turn ahead of anyone. */
		for (unsigned j = 0; j < FAIR_N; j++)
			if (turns[me] > turns[j] + 1)
				unfair++;
		flexos_sched_yield();
	}
	return NULL;
}

START_TEST(test_fairness)
{
	struct flexos_thread *t[FAIR_N];

	for (unsigned i = 0; i < FAIR_N; i++)
		ck_assert_int_eq(flexos_sched_create(&t[i], 0, fair_worker, (void *)(uintptr_t)i),
				 0);
	for (unsigned i = 0; i < FAIR_N; i++)
		ck_assert_int_eq(flexos_sched_join(t[i], NULL), 0);
	for (unsigned i = 0; i < FAIR_N; i++)
		ck_assert_uint_eq(turns[i], FAIR_TURNS);
	ck_assert_uint_eq(unfair, 0);
}
END_TEST

static void *sleeper(void *arg)
{
	flexos_sched_sleep_ms((uint64_t)(uintptr_t)arg);
	note((char)('0' + (uintptr_t)arg / 10));
	return NULL;
}

START_TEST(test_sleep)
{
	struct flexos_thread *t[3];
	uint64_t t0 = flexos_sched_now_ns();

	ck_assert_int_eq(flexos_sched_sleep_ms(20), 0);
	uint64_t took = ms_since(t0);
	ck_assert_uint_ge(took, 20);
	ck_assert_uint_le(took, 20 + SLACK_MS);

	/* Deadlines, not creation order, decide who wakes first. */
	ck_assert_int_eq(flexos_sched_create(&t[0], 0, sleeper, (void *)30), 0);
	ck_assert_int_eq(flexos_sched_create(&t[1], 0, sleeper, (void *)10), 0);
	ck_assert_int_eq(flexos_sched_create(&t[2], 0, sleeper, (void *)20), 0);
	t0 = flexos_sched_now_ns();
	for (int i = 0; i < 3; i++)
		flexos_sched_join(t[i], NULL);
	ck_assert_str_eq(order, "123");
	/* They slept at the same time. */
	ck_assert_uint_le(ms_since(t0), 30 + SLACK_MS);
}
END_TEST

static void *busy_yielder(void *arg)
{
	unsigned *n = arg;
	while (*n < 1000000) {
		(*n)++;
		flexos_sched_yield();
	}
	return NULL;
}

START_TEST(test_sleep_lets_others_run)
{
	struct flexos_thread *t;
	unsigned n = 0;

	ck_assert_int_eq(flexos_sched_create(&t, 0, busy_yielder, &n), 0);
	uint64_t t0 = flexos_sched_now_ns();
	flexos_sched_sleep_ms(20);
	ck_assert_uint_ge(ms_since(t0), 20);
	ck_assert_uint_gt(n, 10);
	n = 1000000;
	flexos_sched_join(t, NULL);
}
END_TEST

/* The x87 control word and MXCSR belong to each thread. */
static void *mxcsr_thread(void *arg)
{
	(void)arg;
	unsigned m = __builtin_ia32_stmxcsr();
	__builtin_ia32_ldmxcsr((m & ~0x6000u) | 0x2000u); /* round down */
	flexos_sched_yield();
	return (void *)(uintptr_t)((__builtin_ia32_stmxcsr() & 0x6000u) == 0x2000u);
}

START_TEST(test_fpu_control_saved)
{
	struct flexos_thread *t;
	void *ok;

	ck_assert_int_eq(flexos_sched_create(&t, 0, mxcsr_thread, NULL), 0);
	flexos_sched_yield();
	/* The thread changed its rounding mode, not ours. */
	ck_assert_uint_eq(__builtin_ia32_stmxcsr() & 0x6000u, 0);
	flexos_sched_join(t, &ok);
	ck_assert_ptr_eq(ok, (void *)1);
}
END_TEST

static void *deep(void *arg)
{
	volatile char big[900 * 1024];
	/* Downwards, as a stack grows: an overflow meets the guard page first. */
	for (size_t i = sizeof(big); i-- > 0;)
		big[i] = 1;
	(void)arg;
	return (void *)(uintptr_t)big[sizeof(big) - 1];
}

START_TEST(test_stack_size)
{
	struct flexos_thread *t;
	void *r;

	ck_assert_int_eq(flexos_sched_create(&t, 1024 * 1024, deep, NULL), 0);
	ck_assert_int_eq(flexos_sched_join(t, &r), 0);
	ck_assert_ptr_eq(r, (void *)1);
}
END_TEST

START_TEST(test_stack_overflow_faults)
{
	struct flexos_thread *t;
	/* 900 KiB on a default (256 KiB) stack hits the guard page. */
	flexos_sched_create(&t, 0, deep, NULL);
	flexos_sched_join(t, NULL);
}
END_TEST

static int detached_ran;

static void *detached_body(void *arg)
{
	(void)arg;
	detached_ran++;
	return NULL;
}

START_TEST(test_detach)
{
	for (int i = 0; i < 100; i++) {
		struct flexos_thread *t;
		ck_assert_int_eq(flexos_sched_create(&t, 0, detached_body, NULL), 0);
		ck_assert_int_eq(flexos_sched_detach(t), 0);
		ck_assert_int_eq(flexos_sched_join(t, NULL), -EINVAL);
		flexos_sched_yield();
	}
	ck_assert_int_eq(detached_ran, 100);
}
END_TEST

/* ---- semaphores ------------------------------------------------------ */

static struct flexos_sem sem;

static void *sem_waiter(void *arg)
{
	int r = flexos_sem_wait(&sem, FLEXOS_FOREVER);
	note((char)(uintptr_t)arg);
	return (void *)(intptr_t)r;
}

START_TEST(test_sem)
{
	struct flexos_thread *t[2];
	void *r;

	flexos_sem_init(&sem, 0);
	ck_assert_int_eq(flexos_sem_trywait(&sem), -EAGAIN);
	flexos_sched_create(&t[0], 0, sem_waiter, (void *)'a');
	flexos_sched_create(&t[1], 0, sem_waiter, (void *)'b');
	flexos_sched_yield();
	ck_assert_str_eq(order, "");
	ck_assert_int_eq(flexos_sem_destroy(&sem), -EBUSY);
	/* Each post wakes one waiter, in arrival order. */
	flexos_sem_post(&sem);
	flexos_sched_yield();
	ck_assert_str_eq(order, "a");
	flexos_sem_post(&sem);
	flexos_sched_join(t[0], &r);
	ck_assert_ptr_eq(r, NULL);
	flexos_sched_join(t[1], &r);
	ck_assert_ptr_eq(r, NULL);
	ck_assert_str_eq(order, "ab");
	ck_assert_uint_eq(sem.count, 0);

	/* Counting. */
	for (int i = 0; i < 3; i++)
		flexos_sem_post(&sem);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(flexos_sem_trywait(&sem), 0);
	ck_assert_int_eq(flexos_sem_trywait(&sem), -EAGAIN);
	ck_assert_int_eq(flexos_sem_destroy(&sem), 0);
}
END_TEST

static void *late_post(void *arg)
{
	flexos_sched_sleep_ms((uint64_t)(uintptr_t)arg);
	flexos_sem_post(&sem);
	return NULL;
}

START_TEST(test_sem_timeout)
{
	struct flexos_thread *t;
	struct flexos_sem s2 = FLEXOS_SEM_INITIALIZER(0);

	uint64_t t0 = flexos_sched_now_ns();
	ck_assert_int_eq(flexos_sem_wait(&s2, 20 * MS), -ETIMEDOUT);
	uint64_t took = ms_since(t0);
	ck_assert_uint_ge(took, 20);
	ck_assert_uint_le(took, 20 + SLACK_MS);
	/* The timed-out waiter is gone: a post now is kept. */
	flexos_sem_post(&s2);
	ck_assert_uint_eq(s2.count, 1);

	/* A post before the timeout wins. */
	flexos_sem_init(&sem, 0);
	flexos_sched_create(&t, 0, late_post, (void *)10);
	t0 = flexos_sched_now_ns();
	ck_assert_int_eq(flexos_sem_wait(&sem, 500 * MS), 0);
	took = ms_since(t0);
	ck_assert_uint_ge(took, 10);
	ck_assert_uint_le(took, 10 + SLACK_MS);
	flexos_sched_join(t, NULL);
	ck_assert_uint_eq(sem.count, 0);
}
END_TEST

static void *wait_forever(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)flexos_sem_wait(&sem, FLEXOS_FOREVER);
}

START_TEST(test_deadlock_detected)
{
	struct flexos_thread *t;
	void *r;

	/* Nobody will ever post: the waiter is told instead of hanging. */
	flexos_sem_init(&sem, 0);
	flexos_sched_create(&t, 0, wait_forever, NULL);
	ck_assert_int_eq(flexos_sched_join(t, &r), 0);
	ck_assert_int_eq((int)(intptr_t)r, -EDEADLK);
	ck_assert_int_eq(flexos_sem_wait(&sem, FLEXOS_FOREVER), -EDEADLK);
	/* The last runnable thread exits while main waits: main is told. */
	flexos_sched_create(&t, 0, note_and_return, (void *)'x');
	ck_assert_int_eq(flexos_sem_wait(&sem, FLEXOS_FOREVER), -EDEADLK);
	ck_assert_str_eq(order, "x");
	ck_assert_int_eq(flexos_sched_join(t, NULL), 0);
}
END_TEST

/* ---- mutexes --------------------------------------------------------- */

static struct flexos_mutex mtx = FLEXOS_MUTEX_INITIALIZER;
static unsigned shared_counter;

static void *mutex_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < 500; i++) {
		ck_assert_int_eq(flexos_mutex_lock(&mtx), 0);
		unsigned v = shared_counter;
		/* Others run here; without the lock, updates would be lost. */
		flexos_sched_yield();
		shared_counter = v + 1;
		ck_assert_int_eq(flexos_mutex_unlock(&mtx), 0);
	}
	return NULL;
}

static void *try_and_unlock(void *arg)
{
	(void)arg;
	int busy = flexos_mutex_trylock(&mtx) == -EBUSY;
	int perm = flexos_mutex_unlock(&mtx) == -EPERM;
	return (void *)(uintptr_t)(busy && perm);
}

START_TEST(test_mutex)
{
	struct flexos_thread *t[4];
	void *ok;

	ck_assert_int_eq(flexos_mutex_lock(&mtx), 0);
	ck_assert_int_eq(flexos_mutex_lock(&mtx), -EDEADLK);
	ck_assert_int_eq(flexos_mutex_trylock(&mtx), -EDEADLK);
	ck_assert_int_eq(flexos_mutex_destroy(&mtx), -EBUSY);
	flexos_sched_create(&t[0], 0, try_and_unlock, NULL);
	flexos_sched_join(t[0], &ok);
	ck_assert_ptr_eq(ok, (void *)1);
	ck_assert_int_eq(flexos_mutex_unlock(&mtx), 0);
	ck_assert_int_eq(flexos_mutex_unlock(&mtx), -EPERM);

	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(flexos_sched_create(&t[i], 0, mutex_worker, NULL), 0);
	for (int i = 0; i < 4; i++)
		flexos_sched_join(t[i], NULL);
	ck_assert_uint_eq(shared_counter, 2000);
	ck_assert_ptr_null(mtx.owner);
	ck_assert_int_eq(flexos_mutex_destroy(&mtx), 0);
}
END_TEST

/* ---- condition variables --------------------------------------------- */

static struct flexos_cond cond = FLEXOS_COND_INITIALIZER;
static int ready;

static void *cond_waiter(void *arg)
{
	int r = 0;
	flexos_mutex_lock(&mtx);
	while (!ready && !r)
		r = flexos_cond_wait(&cond, &mtx, FLEXOS_FOREVER);
	note((char)(uintptr_t)arg);
	/* The mutex is ours again. */
	int mine = mtx.owner == flexos_sched_self();
	flexos_mutex_unlock(&mtx);
	return (void *)(uintptr_t)(r == 0 && mine);
}

static void *cond_waiter_once(void *arg)
{
	flexos_mutex_lock(&mtx);
	int r = flexos_cond_wait(&cond, &mtx, FLEXOS_FOREVER);
	note((char)(uintptr_t)arg);
	flexos_mutex_unlock(&mtx);
	return (void *)(intptr_t)r;
}

START_TEST(test_cond_signal)
{
	struct flexos_thread *t[3];

	for (int i = 0; i < 3; i++)
		flexos_sched_create(&t[i], 0, cond_waiter_once, (void *)(uintptr_t)('a' + i));
	flexos_sched_yield();
	ck_assert_int_eq(flexos_cond_destroy(&cond), -EBUSY);
	/* One signal, one waiter: the first. */
	flexos_cond_signal(&cond);
	flexos_sched_yield();
	flexos_sched_yield();
	ck_assert_str_eq(order, "a");
	flexos_cond_signal(&cond);
	flexos_cond_signal(&cond);
	for (int i = 0; i < 3; i++) {
		void *r;
		flexos_sched_join(t[i], &r);
		ck_assert_ptr_eq(r, NULL);
	}
	ck_assert_str_eq(order, "abc");
	/* A signal with no waiter is lost. */
	flexos_cond_signal(&cond);
	ck_assert_ptr_null(cond.waiters.head);
}
END_TEST

START_TEST(test_cond_broadcast)
{
	struct flexos_thread *t[4];

	for (int i = 0; i < 4; i++)
		flexos_sched_create(&t[i], 0, cond_waiter, (void *)(uintptr_t)('a' + i));
	flexos_sched_yield();
	ck_assert_str_eq(order, "");
	flexos_mutex_lock(&mtx);
	ready = 1;
	flexos_cond_broadcast(&cond);
	flexos_mutex_unlock(&mtx);
	for (int i = 0; i < 4; i++) {
		void *ok;
		flexos_sched_join(t[i], &ok);
		ck_assert_ptr_eq(ok, (void *)1);
	}
	ck_assert_str_eq(order, "abcd");
}
END_TEST

START_TEST(test_cond_timeout)
{
	flexos_mutex_lock(&mtx);
	uint64_t t0 = flexos_sched_now_ns();
	ck_assert_int_eq(flexos_cond_wait(&cond, &mtx, 20 * MS), -ETIMEDOUT);
	uint64_t took = ms_since(t0);
	ck_assert_uint_ge(took, 20);
	ck_assert_uint_le(took, 20 + SLACK_MS);
	ck_assert_ptr_eq(mtx.owner, flexos_sched_self());
	flexos_mutex_unlock(&mtx);
	ck_assert_int_eq(flexos_cond_wait(&cond, &mtx, 20 * MS), -EPERM);
}
END_TEST

/* ---- mailboxes ------------------------------------------------------- */

static struct flexos_mbox mb;

static void *mbox_writer(void *arg)
{
	/* Blocks: the box is full until main fetches. */
	return (void *)(intptr_t)flexos_mbox_post(&mb, arg, FLEXOS_FOREVER);
}

static void *mbox_reader(void *arg)
{
	void *m = NULL;
	int r = flexos_mbox_fetch(&mb, &m, FLEXOS_FOREVER);
	(void)arg;
	return r ? (void *)-1 : m;
}

START_TEST(test_mbox_full_empty)
{
	struct flexos_thread *t;
	void *m, *r;
	int x, y, z;

	ck_assert_int_eq(flexos_mbox_init(&mb, 0), -EINVAL);
	ck_assert_int_eq(flexos_mbox_init(&mb, 2), 0);
	ck_assert_int_eq(flexos_mbox_tryfetch(&mb, &m), -EAGAIN);
	ck_assert_int_eq(flexos_mbox_trypost(&mb, &x), 0);
	ck_assert_int_eq(flexos_mbox_trypost(&mb, NULL), 0);
	ck_assert_int_eq(flexos_mbox_trypost(&mb, &y), -EAGAIN);
	ck_assert_uint_eq(flexos_mbox_count(&mb), 2);

	/* A writer blocked on a full box gets in, in order, when room appears. */
	flexos_sched_create(&t, 0, mbox_writer, &z);
	flexos_sched_yield();
	ck_assert_int_eq(flexos_mbox_destroy(&mb), -EBUSY);
	ck_assert_int_eq(flexos_mbox_fetch(&mb, &m, FLEXOS_FOREVER), 0);
	ck_assert_ptr_eq(m, &x);
	ck_assert_uint_eq(flexos_mbox_count(&mb), 2);
	flexos_sched_join(t, &r);
	ck_assert_ptr_eq(r, NULL);
	ck_assert_int_eq(flexos_mbox_fetch(&mb, &m, 0), 0);
	ck_assert_ptr_eq(m, NULL);
	ck_assert_int_eq(flexos_mbox_fetch(&mb, &m, 0), 0);
	ck_assert_ptr_eq(m, &z);

	/* A reader blocked on an empty box gets the next message directly. */
	flexos_sched_create(&t, 0, mbox_reader, NULL);
	flexos_sched_yield();
	ck_assert_int_eq(flexos_mbox_post(&mb, &y, 0), 0);
	ck_assert_uint_eq(flexos_mbox_count(&mb), 0);
	flexos_sched_join(t, &r);
	ck_assert_ptr_eq(r, &y);
	ck_assert_int_eq(flexos_mbox_destroy(&mb), 0);
}
END_TEST

START_TEST(test_mbox_timeout)
{
	void *m = &m;
	int x;

	ck_assert_int_eq(flexos_mbox_init(&mb, 1), 0);
	uint64_t t0 = flexos_sched_now_ns();
	ck_assert_int_eq(flexos_mbox_fetch(&mb, &m, 20 * MS), -ETIMEDOUT);
	uint64_t took = ms_since(t0);
	ck_assert_uint_ge(took, 20);
	ck_assert_uint_le(took, 20 + SLACK_MS);
	ck_assert_ptr_eq(m, &m);

	ck_assert_int_eq(flexos_mbox_post(&mb, &x, 0), 0);
	t0 = flexos_sched_now_ns();
	ck_assert_int_eq(flexos_mbox_post(&mb, &m, 20 * MS), -ETIMEDOUT);
	took = ms_since(t0);
	ck_assert_uint_ge(took, 20);
	ck_assert_uint_le(took, 20 + SLACK_MS);
	/* The timed-out message was not queued. */
	ck_assert_uint_eq(flexos_mbox_count(&mb), 1);
	ck_assert_int_eq(flexos_mbox_fetch(&mb, &m, 0), 0);
	ck_assert_ptr_eq(m, &x);
	ck_assert_int_eq(flexos_mbox_destroy(&mb), 0);
}
END_TEST

/*
 * A message promised to a woken reader stays its own until it runs, and
 * a slot promised to a woken writer the same; the promises keep the order
 * of messages and block destroy.
 */
START_TEST(test_mbox_promises)
{
	struct flexos_thread *t;
	void *m, *r;
	int x, y, z;

	ck_assert_int_eq(flexos_mbox_init(&mb, 1), 0);
	flexos_sched_create(&t, 0, mbox_reader, NULL);
	flexos_sched_yield(); /* the reader blocks on the empty box */
	ck_assert_int_eq(flexos_mbox_post(&mb, &x, 0), 0);
	ck_assert_uint_eq(flexos_mbox_count(&mb), 0);
	ck_assert_int_eq(flexos_mbox_tryfetch(&mb, &m), -EAGAIN); /* x is the reader's */
	ck_assert_int_eq(flexos_mbox_trypost(&mb, &y), -EAGAIN);  /* the only slot holds x */
	ck_assert_int_eq(flexos_mbox_destroy(&mb), -EBUSY);
	flexos_sched_join(t, &r);
	ck_assert_ptr_eq(r, &x);

	ck_assert_int_eq(flexos_mbox_trypost(&mb, &y), 0);
	flexos_sched_create(&t, 0, mbox_writer, &z);
	flexos_sched_yield(); /* the writer blocks on the full box */
	ck_assert_int_eq(flexos_mbox_fetch(&mb, &m, 0), 0);
	ck_assert_ptr_eq(m, &y);
	ck_assert_uint_eq(flexos_mbox_count(&mb), 1);            /* z, promised */
	ck_assert_int_eq(flexos_mbox_trypost(&mb, &x), -EAGAIN); /* the slot is z's */
	ck_assert_int_eq(flexos_mbox_tryfetch(&mb, &m), -EAGAIN);
	ck_assert_int_eq(flexos_mbox_destroy(&mb), -EBUSY);
	flexos_sched_join(t, &r);
	ck_assert_ptr_eq(r, NULL);
	ck_assert_int_eq(flexos_mbox_fetch(&mb, &m, 0), 0);
	ck_assert_ptr_eq(m, &z);
	ck_assert_int_eq(flexos_mbox_destroy(&mb), 0);
}
END_TEST

/*
 * A reader woken without a promise (under intel-mpk, by a thread's
 * record changed in the scheduler's key-0 memory) waits again: it takes
 * nothing from an empty ring and the mailbox's counts stay whole.
 */
START_TEST(test_mbox_spurious_wake)
{
	struct flexos_thread *t;
	void *r;
	int x;

	ck_assert_int_eq(flexos_mbox_init(&mb, 2), 0);
	flexos_sched_create(&t, 0, mbox_reader, NULL);
	flexos_sched_yield(); /* the reader blocks on the empty box */
	flexos__sched_wake(flexos__sched_get(), t, 0);
	flexos_sched_yield(); /* it runs, finds no promise, and blocks again */
	ck_assert_uint_eq(flexos_mbox_count(&mb), 0);
	ck_assert_int_eq(flexos_mbox_post(&mb, &x, 0), 0);
	flexos_sched_join(t, &r);
	ck_assert_ptr_eq(r, &x);
	ck_assert_uint_eq(flexos_mbox_count(&mb), 0);
	ck_assert_int_eq(flexos_mbox_destroy(&mb), 0);
}
END_TEST

/*
 * A wake-up the waiter's object does not account for (under intel-mpk,
 * another compartment writing the thread's control block, key 0: limit
 * 13) gives nothing: a semaphore's waiter gets no unit, a mutex's no
 * lock, and a timed wait or a sleep no early timeout. Each waits again
 * and gets what a real post, unlock or deadline gives it.
 */
static void *forged_sem_waiter(void *arg)
{
	int r = flexos_sem_wait(&sem, (int64_t)(intptr_t)arg);
	note('w');
	return (void *)(intptr_t)r;
}

static void forged_wake_sem(int64_t timeout_ns, int forged)
{
	struct flexos_thread *t;
	void *r;

	setup();
	flexos_sem_init(&sem, 0);
	flexos_sched_create(&t, 0, forged_sem_waiter, (void *)(intptr_t)timeout_ns);
	flexos_sched_yield(); /* it blocks */
	flexos__sched_wake(flexos__sched_get(), t, forged);
	flexos_sched_yield(); /* it runs, finds no unit handed, and waits again */
	ck_assert_str_eq(order, "");
	ck_assert_int_eq(flexos_sem_destroy(&sem), -EBUSY);
	flexos_sem_post(&sem);
	flexos_sched_join(t, &r);
	ck_assert_ptr_eq(r, NULL);
	ck_assert_str_eq(order, "w");
	ck_assert_uint_eq(sem.count, 0);
	ck_assert_int_eq(flexos_sem_destroy(&sem), 0);
}

START_TEST(test_forged_wake_sem)
{
	forged_wake_sem(FLEXOS_FOREVER, 0);
	forged_wake_sem(10000 * MS, 0);
	forged_wake_sem(10000 * MS, -ETIMEDOUT);
	forged_wake_sem(FLEXOS_FOREVER, 1); /* (a value no waker of a queue gives) */
}
END_TEST

/* A joiner woken with a value no waker gives waits for the thread's end. */
static volatile int forged_join_go;

static void *forged_join_target(void *arg)
{
	while (!forged_join_go)
		flexos_sched_yield();
	return arg;
}

static void *forged_joiner(void *arg)
{
	void *r = NULL;
	int err = flexos_sched_join(arg, &r);

	return err ? (void *)(intptr_t)err : r;
}

START_TEST(test_forged_wake_join)
{
	struct flexos_thread *t, *j;
	void *r;

	forged_join_go = 0;
	flexos_sched_create(&t, 0, forged_join_target, (void *)7);
	flexos_sched_create(&j, 0, forged_joiner, t);
	flexos_sched_yield(); /* t yields, j blocks in its join */
	flexos__sched_wake(flexos__sched_get(), j, 5);
	flexos_sched_yield(); /* j runs: t has not ended, it waits again */
	forged_join_go = 1;
	flexos_sched_join(j, &r);
	ck_assert_ptr_eq(r, (void *)7);
}
END_TEST

/* A unit handed to a waiter is taken whatever error its control block then says. */
START_TEST(test_forged_error_after_post)
{
	struct flexos_thread *t;
	void *r;

	flexos_sem_init(&sem, 0);
	flexos_sched_create(&t, 0, forged_sem_waiter, (void *)(intptr_t)FLEXOS_FOREVER);
	flexos_sched_yield();  /* it blocks */
	flexos_sem_post(&sem); /* its unit, handed */
	t->wake = -EDEADLK;    /* (the control block, key 0 under intel-mpk) */
	flexos_sched_join(t, &r);
	ck_assert_ptr_eq(r, NULL);
	ck_assert_uint_eq(sem.count, 0);
	ck_assert_int_eq(flexos_sem_destroy(&sem), 0); /* no unit left handed */
}
END_TEST

static void *forged_mutex_waiter(void *arg)
{
	int r = flexos_mutex_lock(&mtx);
	note('m');
	flexos_mutex_unlock(&mtx);
	return (void *)(intptr_t)r;
}

START_TEST(test_forged_wake_mutex)
{
	struct flexos_thread *t;
	void *r;

	ck_assert_int_eq(flexos_mutex_lock(&mtx), 0);
	flexos_sched_create(&t, 0, forged_mutex_waiter, NULL);
	flexos_sched_yield(); /* it blocks */
	flexos__sched_wake(flexos__sched_get(), t, 0);
	flexos_sched_yield(); /* it runs, is not the owner, and waits again */
	ck_assert_str_eq(order, "");
	ck_assert_ptr_eq(mtx.owner, flexos_sched_self());
	ck_assert_int_eq(flexos_mutex_unlock(&mtx), 0);
	flexos_sched_join(t, &r);
	ck_assert_ptr_eq(r, NULL);
	ck_assert_str_eq(order, "m");
	ck_assert_ptr_null(mtx.owner);
}
END_TEST

static void *forged_sleeper(void *arg)
{
	uint64_t t0 = flexos_sched_now_ns();

	(void)arg;
	if (flexos_sched_sleep_ms(50))
		return NULL; /* (it returns 0) */
	return (void *)(uintptr_t)ms_since(t0);
}

START_TEST(test_forged_wake_sleep)
{
	static const int forged[] = {-ETIMEDOUT, 0, 1, -EPERM, -ENOMEM};
	struct flexos_thread *t;
	void *r;

	for (size_t i = 0; i < sizeof(forged) / sizeof(forged[0]); i++) {
		flexos_sched_create(&t, 0, forged_sleeper, NULL);
		flexos_sched_yield(); /* it sleeps */
		flexos__sched_wake(flexos__sched_get(), t, forged[i]);
		flexos_sched_join(t, &r);
		ck_assert_uint_ge((uintptr_t)r, 50);
	}
}
END_TEST

/* A ring the caller gives holds the messages, and destroy leaves it. */
START_TEST(test_mbox_init_ring)
{
	void *ring[2] = {NULL, NULL}, *m;
	int x;

	ck_assert_int_eq(flexos_mbox_init_ring(&mb, ring, 0), -EINVAL);
	ck_assert_int_eq(flexos_mbox_init_ring(&mb, NULL, 2), -EINVAL);
	ck_assert_int_eq(flexos_mbox_init_ring(&mb, ring, 2), 0);
	ck_assert_int_eq(flexos_mbox_trypost(&mb, &x), 0);
	ck_assert_ptr_eq(ring[0], &x);
	ck_assert_int_eq(flexos_mbox_tryfetch(&mb, &m), 0);
	ck_assert_ptr_eq(m, &x);
	ck_assert_int_eq(flexos_mbox_destroy(&mb), 0); /* (free(ring) would abort: a stack array) */
}
END_TEST

/* ---- the scheduler's own memory (arena.c) ---------------------------- */

START_TEST(test_arena_alloc)
{
	unsigned char *p = flexos__sched_alloc(100), *q;

	ck_assert_ptr_nonnull(p);
	for (int i = 0; i < 100; i++)
		ck_assert_uint_eq(p[i], 0);
	memset(p, 0xab, 100);
	ck_assert_ptr_eq(flexos__sched_own(p, 100), p);
	q = flexos__sched_realloc(p, 5000);
	ck_assert_ptr_nonnull(q);
	ck_assert_uint_eq(q[99], 0xab);
	flexos__sched_free(q);
	ck_assert_ptr_null(flexos__sched_alloc((size_t)2 << 20)); /* past the largest block */
}
END_TEST

/* A pointer outside the scheduler's memory ends the image (limit 13). */
START_TEST(test_arena_own_refuses_outside)
{
	long local = 0;

	flexos__sched_own(&local, sizeof(local));
}
END_TEST

/* ---- timers ---------------------------------------------------------- */

struct shot {
	uint64_t at[64];
	unsigned n;
	struct flexos_sem done;
	int block_result;
};

static void on_timer(void *arg)
{
	struct shot *s = arg;
	if (s->n < 64)
		s->at[s->n] = flexos_sched_now_ns();
	s->n++;
	flexos_sem_post(&s->done);
	/* Callbacks run inside the scheduler: they must not block. */
	s->block_result = flexos_sem_wait(&s->done, FLEXOS_FOREVER);
}

START_TEST(test_timer_oneshot)
{
	struct flexos_timer *tm;
	static struct shot s;

	flexos_sem_init(&s.done, 0);
	ck_assert_int_eq(flexos_timer_create(&tm, on_timer, &s), 0);
	uint64_t t0 = flexos_sched_now_ns();
	ck_assert_int_eq(flexos_timer_start(tm, 30 * MS, 0), 0);
	ck_assert_int_eq(flexos_sem_wait(&s.done, 500 * MS), 0);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_uint_ge(s.at[0] - t0, 30 * MS);
	ck_assert_uint_le(s.at[0] - t0, (30 + SLACK_MS) * MS);
	ck_assert_int_eq(s.block_result, -EPERM);
	/* One shot: nothing more. */
	flexos_sched_sleep_ms(60);
	ck_assert_uint_eq(s.n, 1);
	ck_assert_uint_eq(flexos_timer_fired(tm), 1);

	/* Stopped before its deadline, it never fires. */
	flexos_timer_start(tm, 10 * MS, 0);
	flexos_timer_stop(tm);
	flexos_sched_sleep_ms(30);
	ck_assert_uint_eq(s.n, 1);
	flexos_timer_destroy(tm);
}
END_TEST

START_TEST(test_timer_periodic)
{
	struct flexos_timer *tm;
	static struct shot s;
	const uint64_t period = 10 * MS;
	enum { TICKS = 8 };

	flexos_sem_init(&s.done, 0);
	ck_assert_int_eq(flexos_timer_create(&tm, on_timer, &s), 0);
	uint64_t t0 = flexos_sched_now_ns();
	ck_assert_int_eq(flexos_timer_start(tm, period, period), 0);
	for (unsigned k = 0; k < TICKS; k++)
		ck_assert_int_eq(flexos_sem_wait(&s.done, (int64_t)(period + SLACK_MS * MS)), 0);
	flexos_timer_stop(tm);
	unsigned n = s.n;
	ck_assert_uint_ge(n, TICKS);
	for (unsigned k = 0; k < n && k < 64; k++) {
		/* Firing k is due at t0 + (k + 1) periods: never early, and late
		 * by at most the slack, however many came before it (no drift). */
		ck_assert_uint_ge(s.at[k] - t0, (k + 1) * period);
		ck_assert_uint_le(s.at[k] - t0, (k + 1) * period + SLACK_MS * MS);
	}
	/* Stopped, it fires no more. */
	flexos_sched_sleep_ms(30);
	ck_assert_uint_eq(s.n, n);
	flexos_timer_destroy(tm);
}
END_TEST

/* ---- file descriptors ------------------------------------------------ */

static int pipefd[2];

static void *pipe_reader(void *arg)
{
	(void)arg;
	int r = flexos_sched_wait_fd(pipefd[0], EPOLLIN, FLEXOS_FOREVER);
	note('r');
	return (void *)(intptr_t)r;
}

START_TEST(test_wait_fd_pipe)
{
	struct flexos_thread *t;
	void *r;
	char c = 'x';

	ck_assert_int_eq(pipe(pipefd), 0);
	ck_assert_int_eq(flexos_sched_wait_fd(pipefd[0], EPOLLIN, 0), -ETIMEDOUT);
	uint64_t t0 = flexos_sched_now_ns();
	ck_assert_int_eq(flexos_sched_wait_fd(pipefd[0], EPOLLIN, 20 * MS), -ETIMEDOUT);
	ck_assert_uint_ge(ms_since(t0), 20);

	flexos_sched_create(&t, 0, pipe_reader, NULL);
	/* The reader parks; main sleeps: the scheduler idles in epoll. */
	flexos_sched_sleep_ms(20);
	ck_assert_str_eq(order, "");
	ck_assert_int_eq(write(pipefd[1], &c, 1), 1);
	flexos_sched_join(t, &r);
	ck_assert_int_eq((int)(intptr_t)r, EPOLLIN);
	ck_assert_str_eq(order, "r");
	ck_assert_int_eq(flexos_sched_wait_fd(pipefd[0], EPOLLIN, 0), EPOLLIN);
	close(pipefd[0]);
	close(pipefd[1]);
}
END_TEST

static void *pipe_reader_2s(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)flexos_sched_wait_fd(pipefd[0], EPOLLIN, 2000 * MS);
}

/*
 * A descriptor's waiter woken with nothing (a forged wake-up, limit 13),
 * whose one-shot event then fires while it is runnable (and so is
 * dropped), waits again armed: it gets the event, not a timeout.
 */
START_TEST(test_forged_wake_fd)
{
	struct flexos__sched *s = flexos__sched_get();
	struct flexos_thread *t;
	void *r;
	char c = 'x';

	ck_assert_int_eq(pipe(pipefd), 0);
	flexos_sched_create(&t, 0, pipe_reader_2s, NULL);
	flexos_sched_yield(); /* it waits */
	flexos__sched_wake(s, t, 0);
	ck_assert_int_eq(write(pipefd[1], &c, 1), 1);
	flexos__io_poll(s, 0);
	flexos_sched_join(t, &r);
	ck_assert_int_eq((int)(intptr_t)r, EPOLLIN);
	close(pipefd[0]);
	close(pipefd[1]);
}
END_TEST

static int fd_written;

static void *pipe_reader_noted(void *arg)
{
	(void)arg;
	int r = flexos_sched_wait_fd(pipefd[0], EPOLLIN, 2000 * MS);
	return (void *)(intptr_t)(fd_written ? r : -1000);
}

/*
 * A descriptor's waiter woken with events its descriptor does not have
 * (forged, limit 13) waits again: it returns only once the pipe is
 * written, with the kernel's events.
 */
START_TEST(test_forged_wake_fd_events)
{
	struct flexos_thread *t;
	void *r;
	char c = 'x';

	ck_assert_int_eq(pipe(pipefd), 0);
	fd_written = 0;
	flexos_sched_create(&t, 0, pipe_reader_noted, NULL);
	flexos_sched_yield(); /* it waits */
	flexos__sched_wake(flexos__sched_get(), t, EPOLLIN | EPOLLPRI);
	flexos_sched_yield(); /* it runs, and waits again */
	fd_written = 1;
	ck_assert_int_eq(write(pipefd[1], &c, 1), 1);
	flexos_sched_join(t, &r);
	ck_assert_int_eq((int)(intptr_t)r, EPOLLIN);
	close(pipefd[0]);
	close(pipefd[1]);
}
END_TEST

struct watched {
	struct flexos_sem got;
	char buf[8];
	int n;
};

static void on_readable(int fd, uint32_t revents, void *arg)
{
	struct watched *w = arg;
	if (revents & EPOLLIN && read(fd, w->buf + w->n, 1) == 1)
		w->n++;
	flexos_sem_post(&w->got);
}

static void *slow_writer(void *arg)
{
	(void)arg;
	for (int i = 0; i < 3; i++) {
		flexos_sched_sleep_ms(5);
		if (write(pipefd[1], "abc" + i, 1) != 1)
			return (void *)-1;
	}
	return NULL;
}

START_TEST(test_watch_fd)
{
	struct flexos_thread *t;
	static struct watched w;

	ck_assert_int_eq(pipe(pipefd), 0);
	flexos_sem_init(&w.got, 0);
	ck_assert_int_eq(flexos_sched_watch_fd(pipefd[0], EPOLLIN, on_readable, &w), 0);
	ck_assert_int_eq(flexos_sched_watch_fd(pipefd[0], EPOLLIN, on_readable, &w), -EEXIST);
	ck_assert_int_eq(flexos_sched_wait_fd(pipefd[0], EPOLLIN, 10 * MS), -EEXIST);
	flexos_sched_create(&t, 0, slow_writer, NULL);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(flexos_sem_wait(&w.got, 500 * MS), 0);
	ck_assert_int_eq(w.n, 3);
	ck_assert_int_eq(memcmp(w.buf, "abc", 3), 0);
	flexos_sched_join(t, NULL);
	ck_assert_int_eq(flexos_sched_unwatch_fd(pipefd[0]), 0);
	ck_assert_int_eq(flexos_sched_unwatch_fd(pipefd[0]), -ENOENT);
	/* Unwatched: data stays unread. */
	ck_assert_int_eq(write(pipefd[1], "d", 1), 1);
	flexos_sched_sleep_ms(10);
	ck_assert_int_eq(w.n, 3);
	close(pipefd[0]);
	close(pipefd[1]);
}
END_TEST

Suite *sched_suite(void)
{
	Suite *s = suite_create("sched");
	TCase *tc = tcase_create("threads");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_create_join_order);
	tcase_add_test(tc, test_yield_round_robin);
	tcase_add_test(tc, test_fairness);
	tcase_add_test(tc, test_sleep);
	tcase_add_test(tc, test_sleep_lets_others_run);
	tcase_add_test(tc, test_fpu_control_saved);
	tcase_add_test(tc, test_stack_size);
	tcase_add_test_raise_signal(tc, test_stack_overflow_faults, SIGSEGV);
	tcase_add_test(tc, test_detach);
	suite_add_tcase(s, tc);

	tc = tcase_create("sync");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_sem);
	tcase_add_test(tc, test_sem_timeout);
	tcase_add_test(tc, test_deadlock_detected);
	tcase_add_test(tc, test_mutex);
	tcase_add_test(tc, test_cond_signal);
	tcase_add_test(tc, test_cond_broadcast);
	tcase_add_test(tc, test_cond_timeout);
	tcase_add_test(tc, test_mbox_full_empty);
	tcase_add_test(tc, test_mbox_timeout);
	tcase_add_test(tc, test_mbox_promises);
	tcase_add_test(tc, test_mbox_init_ring);
	tcase_add_test(tc, test_mbox_spurious_wake);
	tcase_add_test(tc, test_forged_wake_sem);
	tcase_add_test(tc, test_forged_error_after_post);
	tcase_add_test(tc, test_forged_wake_join);
	tcase_add_test(tc, test_forged_wake_mutex);
	tcase_add_test(tc, test_forged_wake_sleep);
	tcase_add_test(tc, test_arena_alloc);
	tcase_add_test_raise_signal(tc, test_arena_own_refuses_outside, SIGABRT);
	suite_add_tcase(s, tc);

	tc = tcase_create("timers and descriptors");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_timer_oneshot);
	tcase_add_test(tc, test_timer_periodic);
	tcase_add_test(tc, test_wait_fd_pipe);
	tcase_add_test(tc, test_forged_wake_fd);
	tcase_add_test(tc, test_forged_wake_fd_events);
	tcase_add_test(tc, test_watch_fd);
	suite_add_tcase(s, tc);
	return s;
}
