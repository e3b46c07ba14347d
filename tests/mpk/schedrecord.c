/*
 * attack --sched-record HOW (tests/mpk/attack.c, part of compartment app):
 * the scheduler's record of a suspended thread (limit 4 of
 * docs/threat-model.md). A scheduler thread calls lib1, which calls back
 * into code that yields: the thread is suspended in lib1, on its stack
 * there. app, running on, changes what the scheduler (key-0 memory, which
 * every compartment can write) keeps of that thread, then joins it, so
 * that the scheduler switches to it. HOW:
 *   none      nothing changed (the control): the thread resumes in lib1
 *             and returns 44 (lib1_call: cb(x + 1) + 1), status 0;
 *   sp        its saved stack pointer, to a frame app forged in key-0
 *             memory whose return address reads lib1's data: a switch
 *             that loads that stack pointer with the thread's compartment
 *             (lib1) hands app's code lib1's rights;
 *   comp      the scheduler's copy of its compartment, to app's;
 *   rec       the handle of its switch record, to no record's;
 *   rec-free  that handle, to a record no thread has.
 * Every change must end in the report (status 134), never in the forged
 * frame or a return. And:
 *   swap      a second thread is suspended in app; app copies its
 *             handle, saved stack pointer and compartment into the
 *             first's (suspended in lib1): the switch to the first
 *             resumes the second, in app, on its own stack, where it
 *             stopped (no
 *             rights gained: the scheduler is confused), and the
 *             second's next call of the scheduler (its exit) is reported
 *             (134: the scheduler's current thread, the first, is not
 *             the one the gate page's record names; before that check,
 *             the later switch to the second was reported, its record
 *             being of a thread that had ended);
 *   free      app frees the thread's switch record (gate.S's urec_free,
 *             which a compartment can call) while the thread is
 *             suspended in lib1, then joins it: the record is not freed
 *             (only a thread ends its own), the thread resumes in lib1
 *             and returns 44 (status 0); before, lib1's stack went back to
 *             the pool under the thread's frames and the switch to it
 *             ended the image (134: "is another OS thread's, or free");
 *   end-free  the thread, in app, marks its own record ended itself
 *             (gate.S's urec_end), then calls lib1 and is suspended there;
 *             app frees its record: lib1's stack under its frames stays
 *             the record's (the holders of lib1's pool still name it), and
 *             the switch to it is reported (134: it has ended); before,
 *             that stack went back to lib1's pool;
 *   exit      the thread, called back by lib1, exits there, inside the
 *             gate call: the scheduler ends the image saying so (134);
 *             before, its record and stacks were freed with app's caller
 *             waiting on them.
 *   fpctl     the thread rounds upwards (MXCSR 0x5f80, x87 control word
 *             0x0b7f) when it calls lib1 and is suspended there; app, with
 *             the defaults, makes a gate call of its own on the same OS
 *             thread (its gate page's list of calls then holds app's
 *             control words), then joins it: back from lib1 the thread
 *             finds its own (the switch carries each suspended gate call's
 *             control words in the thread's record, not only its caller's
 *             id); without that, it would get app's.
 *
 * attack --sched-timer HOW: app makes a timer that calls app_tick; lib1
 * (any compartment may write the scheduler's memory, key 0: limit 13)
 * changes it, then app sleeps, so that its thread fires the timer:
 *   none    nothing changed: app_tick runs once, status 0;
 *   fn      its function and argument, to stolen_tick, an app function
 *           the attacker chose: with the callback bound in the backend's
 *           record (gate key) they are not used, app_tick runs (0); before,
 *           stolen_tick ran in app (status 1);
 *   handle  its record, to one app did not bind (a forged handle): the
 *           image ends with the scheduler's message (134);
 *   zero    its record to 0 ("none") and its function and argument to
 *           stolen_tick's: the same message (134); before, stolen_tick ran;
 *   swap    its record to the one of another timer of app's (app_other):
 *           the same message (134); before, app_other ran for it;
 *   watch   a descriptor watch instead (a pipe app watches, then writes):
 *           lib1 rewrites its callback and argument to stolen_watch's,
 *           app's own callback runs (0); before, stolen_watch ran.
 *
 * attack --sched-thread HOW: app makes a scheduler thread that would run
 * app_start(7); lib1 changes what the scheduler keeps of it (key 0)
 * before it starts, then app joins it:
 *   none    nothing changed: app_start runs, in app, status 0;
 *   fn      its function and argument, to stolen_start, an app function
 *           the attacker chose: from the backend's record (gate key) they
 *           are not used, app_start runs (0); before, stolen_start ran in
 *           app (status 1);
 *   handle  its record, to one app did not bind: the image ends with the
 *           scheduler's message (134);
 *   zero    its record to 0 ("none") and its function and argument to
 *           stolen_start's: the same message (134).
 *
 * attack --sched-many: app makes scheduler threads, each blocking on a
 * semaphore once it starts, until flexos_sched_create fails: it must
 * fail with -EAGAIN, at the first thread past app's pool of stacks
 * (private stacks: FLEXOS_MPK_STACKS, 64 by default, main's included) or
 * past the backend's MPK_UREC_MAX switch records (shared stacks: 4096),
 * and the image goes on: every thread made is woken and joined (0).
 *
 * attack --sched-deputy runq|heap (limit 13): lib1 points a pointer of
 * the scheduler's memory (key 0) into app's private data, at
 * deputy_secret: the tail of the run queue (runq; app's thread then
 * yields, and the scheduler, running with app's rights, would link app's
 * thread behind that "thread", writing its address over deputy_secret),
 * or the deadline heap (heap; app's thread then sleeps, and the
 * scheduler would write its timeout's address there). The scheduler
 * checks every pointer it reads from its memory against its own region
 * (arena.c) before writing through it: the image ends with its message
 * (134). Before, the write happened: a second app thread, run next, says
 * what it finds at deputy_secret and ends the image (1 if it changed).
 *
 * attack --sched-wake none|sem|timeout|mutex|fd (limit 13): an app thread
 * waits on app's semaphore (sem: for ever; timeout: at most 10 s), for
 * app's mutex, which main holds (mutex), or for app's pipe to be
 * readable (fd). lib1 then makes the scheduler (key 0) take it for
 * woken: its state runnable, its wake value 0 (-ETIMEDOUT; EPOLLIN for
 * fd), itself at the run queue's head; app yields to it. The wake-up is
 * checked against the object (or the kernel): the thread waits again,
 * and returns only after app posts, unlocks or writes: status 0.
 * Before, it returned at once with a unit never posted, with a timeout
 * 10 s early, owning the mutex main held, or with EPOLLIN on an empty
 * pipe (status 1). none: nothing changed.
 *
 * attack --sched-join HOW (limit 13): app's thread t runs until app lets
 * it return 7, then app joins it:
 *   none    nothing changed: the join returns 7 (status 0);
 *   state   lib1 marks t exited with 0xbad (key 0) while it still runs:
 *           the join waits for t's end and returns 7 (before, it
 *           returned 0xbad at once and released t while it ran);
 *   result  t has exited with 7; lib1 then rewrites its result (key 0)
 *           to 0xbad: the join returns 7, from t's switch record (gate
 *           key; before, 0xbad);
 *   rec     lib1 marks t exited with 0xbad and points its record handle
 *           at the record of another thread of app's that really exited
 *           with 0xbad: that record names its own thread, not t, and
 *           the join waits until the scheduler finds every thread
 *           blocked (-EDEADLK), never taking the other's result;
 *   hijack  lib1 tries to make a record of its own that names t
 *           (thread_init, then gate.S's urec_new by hand, which any
 *           compartment can call), on a frame of its choice, so that t,
 *           resumed, would run lib1's code in lib1 and exit with 0xbad:
 *           both refuse, since app's record in use names t (one record
 *           at most names a state), and app's join returns 7. Before
 *           urec_new looked, the record was made, and app's detach and
 *           join refused t (-EPERM: the record's compartment is lib1's);
 *           without that check too, the join returned 0xbad.
 *   reuse   t waits on app's semaphore; lib1 puts t's control block on
 *           the scheduler's free list (its allocator is key 0), and app
 *           makes its next thread, which would be made over t, with its
 *           own record: the backend finds a record in use (its
 *           compartment's) that names that control block, and the
 *           scheduler ends the image saying so (134); before, the new
 *           thread was made there, t was never resumed, and t's join
 *           returned the new thread's 0xbad.
 *   reuse-exited  the same with t exited (7), not yet joined, and its
 *           switch record freed by lib1 first (urec_free): the record is
 *           app's, so lib1's free leaves it, and the same report (134);
 *           before, the record was freed and t's join returned 0xbad.
 *   reuse-first  lib1 frees the control block of the OS thread's own
 *           context instead, and app makes a thread: the backend knows
 *           that state (thread_first), the same report (134); before, the
 *           thread was made over it;
 *   dead-list  t exits with 7, not joined; lib1 links it into the
 *           scheduler's list of dead threads nobody joins, and app
 *           switches (the reaper runs): t was never detached (its record
 *           says so, gate key), so it stays, app's next thread is made
 *           elsewhere, and t's join returns 7; before, the reaper released
 *           it, the next thread was made over it, and the join returned
 *           0xbad;
 *   detached  lib1 makes a thread (in lib1) and detaches it; it exits.
 *           (And a thread app detaches before it runs is released by
 *           app's switch after it exits: its record is free.)
 *           app's switches leave it (its record is lib1's: a thread of
 *           app's cannot free it), and a switch of app's main thread
 *           while it runs in lib1 releases it: its record is free
 *           (status 0; released by app's switch, the record stayed in use
 *           for ever, status 1).
 * Status 0 if the join never returned 0xbad, 1 if it did.
 *
 * attack --sched-current none|mutex|switch|first|thread|main (limit 13): app's
 * thread t locks app's mutex and waits on app's semaphore. lib1 then makes
 * t the scheduler's current thread (key 0) while main runs:
 *   none    nothing changed: main's unlock of t's mutex is refused
 *           (-EPERM), and t, posted, unlocks it and returns 7 (status 0);
 *   mutex   main unlocks t's mutex: the scheduler finds that its current
 *           thread is not the running one (the gate page's switch
 *           record names main's) and ends the image (134); before, the
 *           unlock succeeded, and main then took the mutex t held;
 *   switch  app has made another thread, ready to run; main yields: the
 *           same report before the switch saves main's registers (134);
 *           before, the switch saved main into t's control block, the
 *           other thread ran, and the next switch to t was reported;
 *   thread  lib1 makes an OS thread of its own, whose own context it
 *           tells the backend is t (urec_first): refused, -1, since t's
 *           record names t (status 0); before urec_first looked, 0, and
 *           on that OS thread the check below took t for running;
 *   main    as thread, with app's main context (which app's OS thread's
 *           own record names): refused, -1; then a state of lib1's own:
 *           0, since the refusal left its own record empty (status 0);
 *           before (the undo removed), -1: the refused state stayed told.
 *   first   as mutex, with t's record handle also set to 0, the OS
 *           thread's own context's, and lib1 telling the backend that t
 *           is that context (gate.S's urec_first, which any compartment
 *           can call: refused, -1, since app's scheduler told it first):
 *           the same report (134); before (the own context taken for
 *           whichever state names no record), the unlock succeeded.
 * Status 1 where main unlocked t's mutex or the other thread ran.
 *
 * attack --sched-record count: single-steps (ptrace, in a child) one
 * warm round trip between two scheduler threads in app (main yields to a
 * thread that yields back: two switches) and prints the instructions
 * executed in all, in switch.S and in the backend's resume (rep
 * iterations count one each); status 1 if the resume took more than its
 * documented 380, or other than 4 WRPKRUs.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <flexos/flexos.h>
#include <flexos/sched.h>

#include "../../backends/mpk/mpk.h"
#include "../../src/sched/sched_impl.h"
#include "attacklib.h"
#include "schedrecord.h"
#include "singlestep.h"

/* Shared: the forged frame reads it with lib1's rights. */
static volatile uintptr_t lib1_data FLEXOS_SHARED;

/* lib1 calls this as a plain function (lib1's PKRU, lib1's stack). */
static long yield_in_lib1(long x)
{
	flexos_sched_yield();
	return x + 1;
}

/* The same, but the thread has marked its own record ended first (end-free). */
static void *victim_ended(void *arg)
{
	long r = 0;

	(void)arg;
	if (flexos__mpk_urec_end(NULL))
		return (void *)-1;
	flexos_gate_r(lib1, r, lib1_call, yield_in_lib1, 41);
	return (void *)r;
}

/* How many stacks of compartment c's pool the holder holds. */
static size_t held_by(uint64_t c, uint64_t holder)
{
	size_t n = 0, k = 0;
	const uint64_t *h = flexos__mpk_pool_holders(c, &n);

	for (size_t i = 0; h && i < n; i++)
		k += h[i] == holder;
	return k;
}

/* The same, but the thread exits there, inside app's gate call to lib1. */
static long exit_in_lib1(long x)
{
	flexos_sched_yield();
	flexos_sched_exit((void *)x);
}

static void *victim(void *arg)
{
	long r = 0;

	flexos_gate_r(lib1, r, lib1_call, arg ? exit_in_lib1 : yield_in_lib1, 41);
	return (void *)r;
}

/* swap: the second thread, suspended in app (the first is in lib1). */
static void *victim_says(void *arg)
{
	flexos_sched_yield();
	printf("sched-record swap: %s resumed, in %s, and returns 45\n", (const char *)arg,
	       flexos_compartment_name());
	fflush(stdout);
	return (void *)45;
}

/* fpctl: rounds upwards, is suspended in lib1, returns what it finds after. */
static void *victim_fp(void *arg)
{
	unsigned mxcsr = 0x5f80;
	unsigned short cw = 0x0b7f;
	long r = 0;

	(void)arg;
	__asm__ volatile("ldmxcsr %0\n\tfldcw %1" : : "m"(mxcsr), "m"(cw));
	flexos_gate_r(lib1, r, lib1_call, yield_in_lib1, 41);
	__asm__ volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(mxcsr), "=m"(cw));
	if (r != 44)
		return NULL;
	return (void *)((uintptr_t)(mxcsr & ~0x3fu) << 16 | cw);
}

static int sched_fpctl(void)
{
	struct flexos_thread *t;
	void *ret = NULL;
	uintptr_t data = 0;

	if (flexos_sched_create(&t, 0, victim_fp, NULL))
		return 1;
	flexos_sched_yield();                             /* it runs into lib1 and yields there */
	flexos_gate_r(lib1, data, lib1_where, KIND_DATA); /* app's gate call, app's defaults */
	if (flexos_sched_join(t, &ret) || !ret || !data)
		return 1;
	uintptr_t v = (uintptr_t)ret;
	int ok = v >> 16 == 0x5f80 && (v & 0xffff) == 0x0b7f;
	printf(
	    "sched-record fpctl: the thread, back from lib1 after app's own gate call, has MXCSR "
	    "control %#lx and x87 control word %#lx%s\n",
	    (unsigned long)(v >> 16), (unsigned long)(v & 0xffff), ok ? "" : ": FAIL");
	return !ok;
}

/* Where the forged frame returns: only lib1's rights read lib1's data. */
static void stolen(void)
{
	char msg[160];
	int n = snprintf(msg, sizeof(msg),
			 "sched-record: the forged frame runs with lib1's rights: lib1's data "
			 "reads %d: FAIL\n",
			 *(volatile int *)lib1_data);
	ssize_t w = write(STDOUT_FILENO, msg, (size_t)n);
	(void)w;
	_exit(0);
}

/* A switch frame (src/sched/switch.S) in key-0 memory that returns to stolen(). */
static void *forge_frame(void)
{
	size_t size = 64 * 1024;
	char *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		return NULL;
	/* After the frame's ret, rsp = 8 (mod 16), as at a function's entry. */
	uint64_t *f = (uint64_t *)(m + size - 256 + 8);
	memset(f, 0, 8 * sizeof(*f));
	f[0] = 0x037f | (uint64_t)0x1f80 << 32; /* x87 and MXCSR defaults */
	f[7] = (uint64_t)(uintptr_t)stolen;
	return f;
}

static void *yielder(void *arg)
{
	for (;;) {
		flexos_sched_yield();
		if (*(volatile int *)arg)
			return NULL;
	}
}

/* What count() counts of the instructions between the child's int3s. */
struct switch_steps {
	long total, wrpkru, in_switch, in_resume;
};

static void count_step(uintptr_t rip, bool wrpkru, void *arg)
{
	struct switch_steps *n = arg;

	n->total++;
	n->wrpkru += wrpkru;
	n->in_switch +=
	    rip >= (uintptr_t)flexos__sched_switch && rip < (uintptr_t)flexos__sched_trampoline;
	n->in_resume +=
	    rip >= (uintptr_t)flexos__mpk_thread_resume && rip < (uintptr_t)flexos__mpk_urec_new;
}

static int count(void)
{
	static int stop;
	struct flexos_thread *t;

	if (flexos_sched_create(&t, 0, yielder, &stop))
		return 1;
	flexos_sched_yield(); /* warm: both threads have run */
	flexos_sched_yield();
	pid_t pid = step_fork();
	if (pid == 0) {
		__asm__ volatile("int3"); /* start */
		flexos_sched_yield();
		__asm__ volatile("int3"); /* end */
		_exit(0);
	}
	struct switch_steps n = {0};

	step_child(pid, count_step, &n);
	stop = 1;
	flexos_sched_join(t, NULL);
	printf("sched-record count: one round trip (two switches): %ld instructions (%ld of them "
	       "WRPKRU), %ld in switch.S, %ld in flexos__mpk_thread_resume\n",
	       n.total, n.wrpkru, n.in_switch, n.in_resume);
	/* The documented cost (docs/threat-model.md, limit 4): 380 and 4 WRPKRUs. */
	return n.in_resume > 0 && n.in_resume <= 380 && n.wrpkru == 4 ? 0 : 1;
}

int sched_record(const char *how)
{
	struct flexos_thread *t;
	void *ret = NULL;
	uintptr_t data = 0;

	if (!strcmp(how, "count"))
		return count();
	if (!strcmp(how, "fpctl"))
		return sched_fpctl();
	flexos_gate_r(lib1, data, lib1_where, KIND_DATA);
	lib1_data = data;
	struct flexos_thread *other = NULL;
	if (flexos_sched_create(&t, 0, strcmp(how, "end-free") ? victim : victim_ended,
				strcmp(how, "exit") ? NULL : (void *)1) ||
	    (!strcmp(how, "swap") &&
	     flexos_sched_create(&other, 0, victim_says, (void *)"the second thread"))) {
		printf("sched-record: cannot create a thread\n");
		return 1;
	}
	flexos_sched_yield(); /* it (and the second) runs into lib1 and yields there */
	struct mpk_uthread *u = (struct mpk_uthread *)t->bstate;
	printf("sched-record %s: the thread is suspended in lib1 (record %lu, compartment "
	       "%lu); app changes the scheduler's record of it and joins it\n",
	       how, (unsigned long)u->rec, (unsigned long)u->cur);
	if (!strcmp(how, "sp")) {
		void *f = forge_frame();
		if (!f)
			return 1;
		t->sp = f;
	} else if (!strcmp(how, "comp")) {
		u->cur = 0;
	} else if (!strcmp(how, "rec")) {
		u->rec = (uint64_t)1 << 40;
	} else if (!strcmp(how, "rec-free")) {
		u->rec = MPK_UREC_MAX;
	} else if (!strcmp(how, "swap")) {
		const struct mpk_uthread *o = (const struct mpk_uthread *)other->bstate;
		u->rec = o->rec;
		u->cur = o->cur;
		t->sp = other->sp;
	} else if (!strcmp(how, "free")) {
		flexos__mpk_urec_free(u->rec);
	} else if (!strcmp(how, "end-free")) {
		/* The record's address, as the holders name it (mpk.c: flexos__mpk_gate_slow). */
		uint64_t holder = (uint64_t)flexos__mpk_record(u->rec);
		size_t before = held_by(1, holder);
		flexos__mpk_urec_free(u->rec);
		size_t after = held_by(1, holder);
		printf("sched-record end-free: the record held %zu stack(s) of lib1's pool, %zu after "
		       "app freed it%s\n",
		       before, after, after < before ? ": FAIL" : "");
		fflush(stdout);
		if (!before || after < before)
			return 1;
	} else if (strcmp(how, "none") && strcmp(how, "exit")) {
		return 2;
	}
	if (flexos_sched_join(t, &ret)) {
		printf("sched-record: join failed\n");
		return 1;
	}
	printf("sched-record: the thread resumed in lib1 and returned %ld (in %s)\n", (long)ret,
	       flexos_compartment_name());
	if (strcmp(how, "none") && strcmp(how, "free")) {
		printf("sched-record: the changed record was used: FAIL\n");
		return 1;
	}
	return ret == (void *)44 ? 0 : 1; /* lib1_call(cb, 41): cb(42) + 1 */
}

static volatile int ticks;
_Static_assert(offsetof(struct flexos_timer, fn) - offsetof(struct flexos_timer, bound) == 8,
	       "lib1_fill writes a long at bound: its padding, not fn");

static void app_tick(void *arg)
{
	(void)arg;
	ticks++;
}

static volatile int others;

static void app_other(void *arg)
{
	(void)arg;
	others++;
	printf("sched-timer: app_other, another timer's callback, ran for the first: FAIL\n");
}

static void stolen_tick(void *arg)
{
	printf("sched-timer: stolen_tick, the function lib1 chose, ran in app with argument %p: "
	       "FAIL\n",
	       arg);
	fflush(stdout);
	_exit(1);
}

static volatile int readable;

static void app_readable(int fd, uint32_t revents, void *arg)
{
	char c;

	(void)revents;
	(void)arg;
	if (read(fd, &c, 1) == 1)
		readable++;
}

static void stolen_watch(int fd, uint32_t revents, void *arg)
{
	(void)fd;
	(void)revents;
	printf("sched-timer: stolen_watch, the function lib1 chose, ran in app with argument %p: "
	       "FAIL\n",
	       arg);
	fflush(stdout);
	_exit(1);
}

static int sched_watch(void)
{
	struct flexos__sched *s;
	int fds[2];
	long r = 0;

	if (pipe(fds) || flexos_sched_watch_fd(fds[0], EPOLLIN, app_readable, NULL) ||
	    !(s = flexos__sched_get()) || !s->watches)
		return 2;
	struct flexos__watch *w = s->watches;
	printf("sched-timer watch: app watches a pipe (bound: %d); lib1 changes the watch\n",
	       w->bound);
	fflush(stdout);
	flexos_gate_r(lib1, r, lib1_fill, (long *)&w->cb, (long)(uintptr_t)stolen_watch);
	flexos_gate_r(lib1, r, lib1_fill, (long *)&w->arg, 0x5e1f);
	(void)r;
	if (write(fds[1], "x", 1) != 1)
		return 2;
	flexos_sched_sleep_ms(20);
	printf("sched-timer watch: app's callback ran %d time(s)\n", readable);
	flexos_sched_unwatch_fd(fds[0]);
	return readable == 1 ? 0 : 1;
}

int sched_timer(const char *how)
{
	struct flexos_timer *t, *other;
	long r = 0;

	if (!strcmp(how, "watch"))
		return sched_watch();
	if (flexos_timer_create(&t, app_tick, NULL) || flexos_timer_start(t, 1000 * 1000, 0) ||
	    flexos_timer_create(&other, app_other, NULL))
		return 2;
	printf("sched-timer %s: app's timer (bound: %d) fires in 1 ms; lib1 changes it\n", how,
	       t->bound);
	fflush(stdout);
	if (!strcmp(how, "fn")) {
		flexos_gate_r(lib1, r, lib1_fill, (long *)&t->fn, (long)(uintptr_t)stolen_tick);
		flexos_gate_r(lib1, r, lib1_fill, (long *)&t->arg, 0x5e1f);
	} else if (!strcmp(how, "handle")) {
		/* 4000 with 4096 records: one nobody bound. */
		flexos_gate_r(lib1, r, lib1_fill, (long *)&t->bound, 4000);
	} else if (!strcmp(how, "zero")) {
		/* (bound is an int followed by padding: the long lib1 writes covers both) */
		flexos_gate_r(lib1, r, lib1_fill, (long *)&t->bound, 0);
		flexos_gate_r(lib1, r, lib1_fill, (long *)&t->fn, (long)(uintptr_t)stolen_tick);
		flexos_gate_r(lib1, r, lib1_fill, (long *)&t->arg, 0x5e1f);
	} else if (!strcmp(how, "swap")) {
		flexos_gate_r(lib1, r, lib1_fill, (long *)&t->bound, other->bound);
	} else if (strcmp(how, "none")) {
		return 2;
	}
	(void)r;
	flexos_sched_sleep_ms(20);
	printf("sched-timer %s: app's callback ran %d time(s)\n", how, ticks);
	flexos_timer_destroy(t);
	flexos_timer_destroy(other);
	return ticks == 1 && !others ? 0 : 1;
}

_Static_assert(offsetof(struct flexos_thread, detached) - offsetof(struct flexos_thread, bound) ==
		   4,
	       "lib1_fill writes a long at bound: bound and detached (0 here)");

static volatile int started;

static void *app_start(void *arg)
{
	printf("sched-thread: app's thread ran app_start(%p) in %s\n", arg,
	       flexos_compartment_name());
	started++;
	return arg;
}

static void *stolen_start(void *arg)
{
	printf("sched-thread: stolen_start, the function lib1 chose, ran in %s with argument %p: "
	       "FAIL\n",
	       flexos_compartment_name(), arg);
	fflush(stdout);
	_exit(1);
}

int sched_thread(const char *how)
{
	struct flexos_thread *t;
	void *ret = NULL;
	long r = 0;

	if (flexos_sched_create(&t, 0, app_start, (void *)7))
		return 2;
	printf("sched-thread %s: app made a thread (bound: %d); lib1 changes it before it starts\n",
	       how, t->bound);
	fflush(stdout);
	if (!strcmp(how, "fn")) {
		flexos_gate_r(lib1, r, lib1_fill, (long *)&t->fn, (long)(uintptr_t)stolen_start);
		flexos_gate_r(lib1, r, lib1_fill, (long *)&t->arg, 0x5e1f);
	} else if (!strcmp(how, "handle")) {
		/* 4000 with 4096 records: one nobody bound. */
		flexos_gate_r(lib1, r, lib1_fill, (long *)&t->bound, 4000);
	} else if (!strcmp(how, "zero")) {
		/* "no record", as where the backend keeps none, and lib1's choice */
		flexos_gate_r(lib1, r, lib1_fill, (long *)&t->bound, 0);
		flexos_gate_r(lib1, r, lib1_fill, (long *)&t->fn, (long)(uintptr_t)stolen_start);
		flexos_gate_r(lib1, r, lib1_fill, (long *)&t->arg, 0x5e1f);
	} else if (strcmp(how, "none")) {
		return 2;
	}
	(void)r;
	if (flexos_sched_join(t, &ret))
		return 1;
	printf("sched-thread %s: app's thread ran app_start(%p) in app\n", how, ret);
	return started == 1 && ret == (void *)7 ? 0 : 1;
}

static struct flexos_sem many_sem = FLEXOS_SEM_INITIALIZER(0);

static void *many_wait(void *arg)
{
	return flexos_sem_wait(&many_sem, FLEXOS_FOREVER) ? NULL : arg;
}

int sched_many(void)
{
	enum { MAX = MPK_UREC_MAX + 8 };
	static struct flexos_thread *threads[MAX];
	size_t n = 0, joined = 0;
	int err = 0;

	while (n < MAX) {
		err = flexos_sched_create(&threads[n], FLEXOS_SCHED_STACK_MIN, many_wait, threads);
		if (err)
			break;
		n++;
		flexos_sched_yield(); /* it starts (its callback record goes back) and waits */
	}
	printf("sched-many: %zu threads made, then %d (%s)\n", n, err, strerror(-err));
	fflush(stdout);
	for (size_t i = 0; i < n; i++)
		flexos_sem_post(&many_sem);
	for (size_t i = 0; i < n; i++) {
		void *ret = NULL;
		joined += !flexos_sched_join(threads[i], &ret) && ret == threads;
	}
	printf("sched-many: %zu of %zu joined\n", joined, n);
	return err == -EAGAIN && joined == n && n > 0 ? 0 : 1;
}

static struct flexos_sem wake_sem = FLEXOS_SEM_INITIALIZER(0);
static struct flexos_mutex wake_mutex = FLEXOS_MUTEX_INITIALIZER;
static int wake_given; /* app posted, unlocked or wrote */
static int wake_pipe[2];

static void *wake_waiter(void *arg)
{
	const char *how = arg;
	int mutex = !strcmp(how, "mutex"), fd = !strcmp(how, "fd");
	int err =
	    mutex ? flexos_mutex_lock(&wake_mutex)
	    : fd  ? flexos_sched_wait_fd(wake_pipe[0], EPOLLIN, FLEXOS_FOREVER)
		  : flexos_sem_wait(&wake_sem, !strcmp(how, "timeout") ? (int64_t)10000 * 1000000
								       : FLEXOS_FOREVER);

	printf("sched-wake %s: app's waiter: %s returned %d %s app %s\n", how,
	       mutex ? "flexos_mutex_lock"
	       : fd  ? "flexos_sched_wait_fd"
		     : "flexos_sem_wait",
	       err, wake_given ? "after" : "before",
	       mutex ? "unlocked"
	       : fd  ? "wrote"
		     : "posted");
	fflush(stdout);
	if (mutex && !err)
		flexos_mutex_unlock(&wake_mutex);
	return (void *)(intptr_t)((fd ? err != EPOLLIN : err != 0) || !wake_given);
}

int sched_wake(const char *how)
{
	struct flexos__sched *s = flexos__sched_get();
	struct flexos_thread *t;
	void *failed = (void *)1;
	long r = 0;
	int mutex = !strcmp(how, "mutex"), fd = !strcmp(how, "fd"), wake;

	if (strcmp(how, "none") && strcmp(how, "sem") && strcmp(how, "timeout") && !mutex && !fd)
		return 2;
	wake = !strcmp(how, "timeout") ? -ETIMEDOUT : fd ? EPOLLIN : 0;
	if (!s || (mutex && flexos_mutex_lock(&wake_mutex)) || (fd && pipe(wake_pipe)) ||
	    flexos_sched_create(&t, 0, wake_waiter, (void *)how))
		return 2;
	flexos_sched_yield(); /* it blocks */
	if (strcmp(how, "none")) {
		printf("sched-wake %s: lib1 marks app's waiting thread woken (%d)\n", how, wake);
		fflush(stdout);
		/* state (T_RUNNABLE) and wake, one word; the run queue is empty. */
		_Static_assert(offsetof(struct flexos_thread, wake) ==
				   offsetof(struct flexos_thread, state) + sizeof(int),
			       "state, wake");
		flexos_gate_r(lib1, r, lib1_fill, (long *)&t->state,
			      (long)((uint64_t)(uint32_t)wake << 32 | T_RUNNABLE));
		flexos_gate_r(lib1, r, lib1_fill, (long *)&t->rq_next, 0);
		flexos_gate_r(lib1, r, lib1_fill, (long *)&s->runq.head, (long)t);
		flexos_gate_r(lib1, r, lib1_fill, (long *)&s->runq.tail, (long)t);
	}
	(void)r;
	flexos_sched_yield(); /* it runs */
	wake_given = 1;
	if (mutex)
		flexos_mutex_unlock(&wake_mutex);
	else if (fd && write(wake_pipe[1], "x", 1) != 1)
		return 2;
	else if (!fd)
		flexos_sem_post(&wake_sem);
	flexos_sched_join(t, &failed);
	printf("sched-wake %s: %s\n", how,
	       failed ? "app's thread got what app never gave: FAIL"
		      : "app's thread got only what app gave");
	return failed != NULL;
}

static volatile int join_go;

static void *join_worker(void *arg)
{
	while (!join_go)
		flexos_sched_yield();
	return arg;
}

/* t resumed on lib1's frame (hijack): in lib1, with t's identity. */
static noreturn void join_hijacked(void)
{
	flexos_sched_exit((void *)0xbad);
}

/* lib1 calls this as a plain function (lib1's PKRU, lib1's stack), with t. */
static long join_hijack_in_lib1(long x)
{
	struct flexos_thread *t = (struct flexos_thread *)x;
	/* A switch frame (switch.S): control words, six registers, return address, padding. */
	uint64_t frame[9] = {0};

	struct mpk_uthread *u = (struct mpk_uthread *)t->bstate;
	struct mpk_urec_made made;
	void *sp = frame;

	frame[0] = 0x037f | (uint64_t)0x1f80 << 32;
	frame[7] = (uintptr_t)join_hijacked;
	/* The backend's thread_init refuses: a record in use (app's) names t. */
	if (flexos__mpk_thread_init(u, frame, sizeof(frame), &sp, frame) != -EEXIST)
		return 100;
	/*
	 * So what it does, by hand: a record of lib1's naming t, on a lib1
	 * pool stack. urec_new itself refuses (2: another record names t).
	 */
	made = flexos__mpk_urec_new(0, 0, sizeof(frame), u);
	if (!made.handle)
		return made.top == 2 ? 3 : 101;
	memcpy((void *)(made.top - sizeof(frame)), frame, sizeof(frame));
	t->sp = (void *)(made.top - sizeof(frame));
	u->rec = made.handle;
	u->cur = u->home = flexos__mpk_cur();
	return 0;
}

/* lib1 calls this as a plain function (lib1's PKRU): the scheduler's free, on t. */
static long join_free_in_lib1(long x)
{
	flexos__sched_free((void *)x);
	return 0;
}

static struct flexos_sem join_sem = FLEXOS_SEM_INITIALIZER(0);

static void *join_waiter(void *arg)
{
	flexos_sem_wait(&join_sem, FLEXOS_FOREVER);
	return arg;
}

/* lib1 calls this as a plain function: gate.S's urec_free, on t's record. */
static long join_free_rec_in_lib1(long x)
{
	flexos__mpk_urec_free((uint64_t)x);
	return 0;
}

/*
 * reuse: lib1 puts the control block of app's thread, waiting on app's
 * semaphore, on the scheduler's free list (its allocator is key 0), and
 * app makes its next thread: it would be made over the waiting one, whose
 * join would then return the new thread's result. reuse-exited: the
 * thread has exited, not yet joined, and lib1 frees its switch record
 * first (urec_free, which any compartment can call).
 */
static int join_reuse(int exited)
{
	const char *how = exited ? "reuse-exited" : "reuse";
	struct flexos_thread *t, *next = NULL;
	void *ret = NULL;
	long r = 0;
	int err;

	join_go = exited;
	if (flexos_sched_create(&t, 0, exited ? join_worker : join_waiter, (void *)7))
		return 2;
	flexos_sched_yield(); /* t waits on join_sem, or exits */
	printf("sched-join %s: lib1 puts app's %s thread's control block on the "
	       "scheduler's free list%s\n",
	       how, exited ? "exited" : "waiting", exited ? ", its record freed first" : "");
	fflush(stdout);
	if (exited)
		flexos_gate_r(lib1, r, lib1_call, join_free_rec_in_lib1,
			      (long)((struct mpk_uthread *)t->bstate)->rec - 1);
	flexos_gate_r(lib1, r, lib1_call, join_free_in_lib1, (long)t - 1);
	(void)r;
	join_go = 1;
	err = flexos_sched_create(&next, 0, join_worker, (void *)0xbad);
	printf("sched-join %s: app's next thread: %d, %s\n", how, err,
	       next == t ? "made over the other: FAIL" : "elsewhere");
	fflush(stdout);
	if (!exited)
		flexos_sem_post(&join_sem);
	err = flexos_sched_join(t, &ret);
	printf("sched-join %s: app's join returned %d, result %#lx: %s\n", how, err,
	       (unsigned long)ret,
	       ret == (void *)0xbad ? "another thread's result: FAIL"
				    : "never another thread's result");
	return next == t || err || ret != (void *)7;
}

/*
 * reuse-first: lib1 puts the control block of app's OS thread's own
 * context (the scheduler's first thread, main, which has no switch record
 * of its making) on the scheduler's free list, and app makes a thread:
 * the backend knows that state as the own context's (thread_first), and
 * the scheduler ends the image (134); before, the thread was made over
 * main's block, which main runs on.
 */
static int join_reuse_first(void)
{
	struct flexos__sched *s = flexos__sched_get();
	struct flexos_thread *first = s->main, *next = NULL;
	long r = 0;
	int err;

	printf("sched-join reuse-first: lib1 puts the control block of app's OS thread's own "
	       "context on the scheduler's free list\n");
	fflush(stdout);
	flexos_gate_r(lib1, r, lib1_call, join_free_in_lib1, (long)first - 1);
	(void)r;
	join_go = 1;
	err = flexos_sched_create(&next, 0, join_worker, (void *)0xbad);
	printf("sched-join reuse-first: app's next thread: %d, %s\n", err,
	       next == first ? "made over the OS thread's own context: FAIL" : "elsewhere");
	return 1;
}

/*
 * dead-list: app's thread t exits with 7 and is not joined yet; lib1
 * links it into the scheduler's list of dead threads nobody joins (key
 * 0), and a switch of app's runs the reaper. t was never detached, so it
 * stays for its join (before, the reaper released it: app's next thread
 * was made over it, and t's join returned that thread's result).
 */
static int join_dead_list(void)
{
	struct flexos__sched *s = flexos__sched_get();
	struct flexos_thread *t, *h, *next = NULL;
	void *ret = NULL;
	long r = 0;
	int err;

	join_go = 1;
	if (flexos_sched_create(&t, 0, join_worker, (void *)7))
		return 2;
	flexos_sched_yield(); /* t exits */
	printf("sched-join dead-list: lib1 links app's exited, unjoined thread into the "
	       "scheduler's list of dead threads\n");
	fflush(stdout);
	flexos_gate_r(lib1, r, lib1_fill, (long *)&t->dead_next, (long)s->dead);
	flexos_gate_r(lib1, r, lib1_fill, (long *)&s->dead, (long)t);
	(void)r;
	/* A switch (to h and back) runs the reaper. */
	if (flexos_sched_create(&h, 0, join_worker, (void *)1))
		return 2;
	flexos_sched_yield();
	err = flexos_sched_create(&next, 0, join_worker, (void *)0xbad);
	printf("sched-join dead-list: app's next thread: %d, %s\n", err,
	       next == t ? "made over the exited one: FAIL" : "elsewhere");
	fflush(stdout);
	err = flexos_sched_join(t, &ret);
	printf("sched-join dead-list: app's join returned %d, result %#lx: %s\n", err,
	       (unsigned long)ret,
	       ret == (void *)0xbad ? "another thread's result: FAIL"
				    : "never another thread's result");
	return next == t || err || ret != (void *)7;
}

/* Run in lib1 (lib1_call: a plain call with lib1's rights). */
static void *detached_worker(void *arg)
{
	return arg;
}

static long detached_make_in_lib1(long x)
{
	struct flexos_thread *t;

	(void)x;
	if (flexos_sched_create(&t, 0, detached_worker, (void *)5) || flexos_sched_detach(t))
		return -2;
	return (long)t - 1;
}

static long detached_yield_in_lib1(long x)
{
	flexos_sched_yield();
	return x - 1;
}

/*
 * detached: lib1 makes a thread and detaches it; it exits. app's switches
 * leave it (its record is lib1's); the next switch of a thread running in
 * lib1 releases it, and its record is free.
 */
static int join_detached(void)
{
	struct flexos_thread *t, *a;
	const struct mpk_gate_page *rec;
	long r = 0;
	int kept, freed;

	flexos_gate_r(lib1, r, lib1_call, detached_make_in_lib1, 0);
	if (r < 0)
		return 2;
	t = (struct flexos_thread *)r;
	rec = flexos__mpk_record(((struct mpk_uthread *)t->bstate)->rec);
	if (!rec)
		return 2;
	flexos_sched_yield(); /* t runs in lib1 and exits; app's switch back reaps */
	flexos_sched_yield();
	kept = rec->owner && (rec->ended & MPK_ENDED) && rec->thread == (uintptr_t)t->bstate;
	printf("sched-join detached: after app's switches, lib1's exited detached thread's "
	       "record is %s\n",
	       kept ? "still in use" : "free: FAIL");
	fflush(stdout);
	/* A thread of app's to switch to, so that lib1's yield switches (and reaps). */
	if (flexos_sched_create(&a, 0, join_worker, (void *)7))
		return 2;
	join_go = 1;
	flexos_gate_r(lib1, r, lib1_call, detached_yield_in_lib1, 0);
	freed = !rec->owner;
	printf("sched-join detached: after lib1's switch, its record is %s\n",
	       freed ? "free" : "still in use: FAIL");
	fflush(stdout);
	/* And a thread app detaches itself before it runs: app's switch releases it. */
	struct flexos_thread *d;
	if (flexos_sched_create(&d, 0, join_worker, (void *)9) || flexos_sched_detach(d))
		return 2;
	const struct mpk_gate_page *drec =
	    flexos__mpk_record(((struct mpk_uthread *)d->bstate)->rec);
	flexos_sched_yield(); /* d exits; app's switch back reaps */
	int dfreed = drec && !drec->owner;
	printf("sched-join detached: app's own detached thread, exited: its record is %s\n",
	       dfreed ? "free" : "still in use: FAIL");
	return !(kept && freed && dfreed && !flexos_sched_join(a, NULL));
}

int sched_join(const char *how)
{
	struct flexos__sched *s = flexos__sched_get();
	struct flexos_thread *t, *other = NULL;
	void *ret = NULL;
	long r = 0;
	int err, rec = !strcmp(how, "rec"), result = !strcmp(how, "result"), hijack_refused = 0;

	if (s && (!strcmp(how, "reuse") || !strcmp(how, "reuse-exited")))
		return join_reuse(!strcmp(how, "reuse-exited"));
	if (s && !strcmp(how, "reuse-first"))
		return join_reuse_first();
	if (s && !strcmp(how, "detached"))
		return join_detached();
	if (s && !strcmp(how, "dead-list"))
		return join_dead_list();
	if (strcmp(how, "none") && strcmp(how, "state") && !rec && !result && strcmp(how, "hijack"))
		return 2;
	if (!s || flexos_sched_create(&t, 0, join_worker, (void *)7))
		return 2;
	if (rec) {
		join_go = 1; /* the other thread exits with 0xbad at once */
		if (flexos_sched_create(&other, 0, join_worker, (void *)0xbad))
			return 2;
	}
	flexos_sched_yield(); /* t yields back; other, if made, has exited */
	/* result: t exits with 7 at the next yield. */
	join_go = result;
	if (result)
		flexos_sched_yield();
	if (!strcmp(how, "hijack")) {
		printf("sched-join hijack: lib1 makes a record naming app's thread, on its own "
		       "frame\n");
		fflush(stdout);
		/* lib1_call(x): cb(x + 1) + 1; cb: 0 (made), 3 (urec_new refused) */
		flexos_gate_r(lib1, r, lib1_call, join_hijack_in_lib1, (long)t - 1);
		hijack_refused = r == 4;
		if (hijack_refused)
			printf("sched-join hijack: lib1's record naming app's thread is refused: "
			       "another record names it\n");
		else if (r != 1) {
			printf("sched-join hijack: lib1 could not make the record (%ld)\n", r);
			return 2;
		}
	} else if (strcmp(how, "none")) {
		printf("sched-join %s: lib1 marks app's %s thread exited with 0xbad%s\n", how,
		       result ? "exited" : "running",
		       rec ? ", its record the handle of another that exited with 0xbad" : "");
		fflush(stdout);
		_Static_assert(offsetof(struct flexos_thread, wake) ==
				   offsetof(struct flexos_thread, state) + sizeof(int),
			       "state, wake");
		if (!result)
			flexos_gate_r(lib1, r, lib1_fill, (long *)&t->state, T_EXITED);
		flexos_gate_r(lib1, r, lib1_fill, (long *)&t->retval, 0xbad);
		if (rec)
			flexos_gate_r(lib1, r, lib1_fill, (long *)t->bstate,
				      (long)((struct mpk_uthread *)other->bstate)->rec);
	}
	(void)r;
	join_go = 1;
	if (!strcmp(how, "hijack") && !hijack_refused) {
		err = flexos_sched_detach(t);
		printf("sched-join hijack: app's detach returned %d\n", err);
		if (err != -EPERM)
			return 1;
	}
	err = flexos_sched_join(t, &ret);
	printf("sched-join %s: app's join returned %d, result %#lx: %s\n", how, err,
	       (unsigned long)ret,
	       ret == (void *)0xbad ? "a result the thread never gave: FAIL"
				    : "never a result the thread did not give");
	if (ret == (void *)0xbad)
		return 1;
	return rec                                         ? err != -EDEADLK
	       : !strcmp(how, "hijack") && !hijack_refused ? err != -EPERM
							   : err || ret != (void *)7;
}

static long deputy_secret = 4242; /* app's private data */

static void *deputy_check(void *arg)
{
	long now = *(volatile long *)&deputy_secret;

	(void)arg;
	printf("sched-deputy: app's secret is %#lx%s\n", (unsigned long)now,
	       now == 4242
		   ? ""
		   : ": the scheduler, run by app's thread, wrote it where lib1 chose: FAIL");
	fflush(stdout);
	_exit(now != 4242);
}

int sched_deputy(const char *how)
{
	struct flexos__sched *s = flexos__sched_get();
	struct flexos_thread *t;
	long r = 0;

	if (!s || flexos_sched_create(&t, 0, deputy_check, NULL))
		return 2;
	printf("sched-deputy %s: lib1 points the scheduler's %s at app's secret (%#lx)\n", how,
	       !strcmp(how, "runq") ? "run queue's tail" : "deadline heap",
	       (unsigned long)deputy_secret);
	fflush(stdout);
	if (!strcmp(how, "runq")) {
		flexos_gate_r(
		    lib1, r, lib1_fill, (long *)&s->runq.tail,
		    (long)((uintptr_t)&deputy_secret - offsetof(struct flexos_thread, rq_next)));
		flexos_sched_yield();
	} else if (!strcmp(how, "heap")) {
		/* Slot 1 (the first timeout armed) is deputy_secret. */
		flexos_gate_r(lib1, r, lib1_fill, (long *)&s->heap,
			      (long)((uintptr_t)&deputy_secret - sizeof(void *)));
		flexos_gate_r(lib1, r, lib1_fill, (long *)&s->heap_cap, 1L << 20);
		flexos_sched_sleep_ms(1);
	} else {
		return 2;
	}
	(void)r;
	printf("sched-deputy: back in main: FAIL\n");
	return 1;
}

static struct flexos_mutex current_mutex = FLEXOS_MUTEX_INITIALIZER;
static struct flexos_sem current_sem = FLEXOS_SEM_INITIALIZER(0);

static void *current_holder(void *arg)
{
	int err = flexos_mutex_lock(&current_mutex);

	flexos_sem_wait(&current_sem, FLEXOS_FOREVER);
	if (!err)
		err = flexos_mutex_unlock(&current_mutex);
	return err ? NULL : arg;
}

static void *current_other(void *arg)
{
	printf("sched-current: app's other thread ran, main's registers saved as the holder's\n");
	fflush(stdout);
	return arg;
}

/* lib1 calls this as a plain function: gate.S's urec_first, on t's state. */
static long current_first_in_lib1(long x)
{
	return flexos__mpk_urec_first((const void *)x);
}

/* An OS thread of lib1's: its own context, told as app's thread's state. */
static void *current_first_os_thread(void *arg)
{
	return (void *)(intptr_t)flexos__mpk_urec_first(arg);
}

/* fn(arg) on a new OS thread, made and joined by the caller (lib1): its result, or 100. */
static long on_os_thread(void *(*fn)(void *), void *arg)
{
	pthread_t th;
	void *ret = (void *)(intptr_t)100;

	if (pthread_create(&th, NULL, fn, arg) || pthread_join(th, &ret))
		return 100;
	return (long)(intptr_t)ret;
}

/* lib1 calls this as a plain function: it makes that OS thread, in lib1. */
static long current_first_os_in_lib1(long x)
{
	return on_os_thread(current_first_os_thread, (void *)x);
}

/*
 * An OS thread of lib1's: its own context told as app's main context (the
 * state app's OS thread's own record names), then as a state of its own.
 * Returns the two results as 10 * (first + 1) + (second + 1).
 */
static void *current_main_os_thread(void *arg)
{
	static long own_state; /* (its address only: a state no record names) */
	int first = flexos__mpk_urec_first(arg);
	int second = flexos__mpk_urec_first(&own_state);

	return (void *)(intptr_t)(10 * (first + 1) + (second + 1));
}

/* lib1 calls this as a plain function: it makes that OS thread, in lib1. */
static long current_main_os_in_lib1(long x)
{
	return on_os_thread(current_main_os_thread, (void *)x);
}

int sched_current(const char *how)
{
	struct flexos__sched *s = flexos__sched_get();
	struct flexos_thread *holder, *other;
	void *ret = NULL;
	long r = 0;
	int err;

	if (!s || flexos_sched_create(&holder, 0, current_holder, (void *)7))
		return 2;
	flexos_sched_yield(); /* it locks app's mutex and waits */
	if (!strcmp(how, "switch") && flexos_sched_create(&other, 0, current_other, NULL))
		return 2;
	printf("sched-current %s: app's thread holds app's mutex; lib1 makes it the scheduler's "
	       "current thread while main runs\n",
	       how);
	fflush(stdout);
	if (!strcmp(how, "thread")) {
		/* (lib1_call: cb(x + 1) + 1) */
		flexos_gate_r(lib1, r, lib1_call, current_first_os_in_lib1,
			      (long)holder->bstate - 1);
		printf("sched-current thread: lib1's new OS thread's urec_first of app's thread "
		       "returned %ld%s\n",
		       r - 1, r - 1 ? "" : ": FAIL");
		flexos_sem_post(&current_sem);
		flexos_sched_join(holder, &ret);
		return r - 1 != -1;
	}
	if (!strcmp(how, "main")) {
		/* (lib1_call: cb(x + 1) + 1) */
		flexos_gate_r(lib1, r, lib1_call, current_main_os_in_lib1,
			      (long)s->main->bstate - 1);
		r -= 1;
		printf("sched-current main: lib1's new OS thread's urec_first of app's main "
		       "context returned %ld, then of a state of its own %ld%s\n",
		       r / 10 - 1, r % 10 - 1, r == 1 ? "" : ": FAIL");
		flexos_sem_post(&current_sem);
		flexos_sched_join(holder, &ret);
		return r != 1;
	}
	if (!strcmp(how, "first")) {
		/* (lib1_call: cb(x + 1) + 1) */
		flexos_gate_r(lib1, r, lib1_call, current_first_in_lib1, (long)holder->bstate - 1);
		printf("sched-current first: lib1's urec_first of app's thread returned %ld\n",
		       r - 1);
		flexos_gate_r(lib1, r, lib1_fill, (long *)holder->bstate, 0); /* its record: none */
	}
	if (strcmp(how, "none"))
		flexos_gate_r(lib1, r, lib1_fill, (long *)&s->current, (long)(uintptr_t)holder);
	(void)r;
	if (!strcmp(how, "switch")) {
		flexos_sched_yield();
		printf("sched-current switch: back in main: FAIL\n");
		return 1;
	}
	if (strcmp(how, "none") && strcmp(how, "mutex") && strcmp(how, "first"))
		return 2;
	err = flexos_mutex_unlock(&current_mutex);
	printf("sched-current %s: main's unlock of the mutex app's thread holds returned %d%s\n",
	       how, err, err ? "" : ": FAIL");
	if (!err)
		return 1;
	flexos_sem_post(&current_sem);
	err = flexos_sched_join(holder, &ret);
	printf("sched-current %s: app's thread unlocked its mutex and returned %p\n", how, ret);
	return err || ret != (void *)7;
}

static void *switch_once_thread(void *arg)
{
	return arg;
}

int sched_switch_once(void)
{
	struct flexos_thread *t;

	return flexos_sched_create(&t, 0, switch_once_thread, NULL) || flexos_sched_yield();
}

/*
 * attack --sched-frame N (limit 13): app makes N scheduler threads, one at
 * a time, each joined before the next (so each gets the control block the
 * one before had), while an OS thread of lib1's writes the address of
 * frame_stolen_entry over the return address of each one's first switch
 * frame, which flexos_sched_create builds at the top of the stack it maps
 * (key 0). The backend copies that frame to the thread's stack in app's
 * pool (thread_init) and the thread starts by popping it, with app's
 * PKRU: it must come from app's own memory, never from the mapping. Status
 * 0 if every thread ran its own function; before, a copy made after
 * lib1's write started the thread in frame_stolen, which read app's
 * secret with app's rights and ended the image (1).
 */
static volatile long frame_secret = 0x5ec7e7; /* app's private data */

struct frame_race {
	struct flexos_thread *t;   /* the control block each new thread gets */
	size_t map_size;           /* each thread's mapping's */
	unsigned long armed, done; /* app: this thread's number; lib1: the last it is done with */
	unsigned long rewritten;   /* first frames lib1 rewrote */
	int stop;
	pthread_t racer; /* lib1's OS thread */
};
static struct frame_race frame_race FLEXOS_SHARED;

void frame_stolen_entry(void);
__attribute__((used)) static void frame_stolen(void)
{
	printf("sched-frame: app's new thread %lu started at the return address lib1 wrote "
	       "into its first frame, in %s, and read app's secret %#lx: FAIL\n",
	       frame_race.armed, flexos_compartment_name(), (unsigned long)frame_secret);
	fflush(stdout);
	_exit(1);
}
/* As flexos__sched_trampoline: entered by the frame's ret, rsp 16-aligned. */
__asm__(".text\n"
	".type frame_stolen_entry, @function\n"
	"frame_stolen_entry:\n"
	"\tcall frame_stolen\n"
	"\tud2\n"
	".size frame_stolen_entry, .-frame_stolen_entry\n");

/* lib1's OS thread: once per thread app makes, rewrites its first frame's return address. */
static void *frame_racer(void *arg)
{
	struct frame_race *fr = arg;

	while (!__atomic_load_n(&fr->stop, __ATOMIC_ACQUIRE)) {
		unsigned long n = __atomic_load_n(&fr->armed, __ATOMIC_ACQUIRE);
		struct flexos_thread *t = fr->t;
		if (n == __atomic_load_n(&fr->done, __ATOMIC_RELAXED))
			continue;
		/* (app clears map once it joined a thread: a mapping here is the new one's) */
		uintptr_t map = (uintptr_t)__atomic_load_n(&t->map, __ATOMIC_ACQUIRE);
		if (!map)
			continue;
		/* flexos_sched_create's frame: 8 words below 16 unused ones at the stack's top */
		volatile uint64_t *first = (volatile uint64_t *)(map + fr->map_size) - 24;
		if (first[7] != (uint64_t)(uintptr_t)flexos__sched_trampoline)
			continue; /* not built yet */
		first[7] = (uint64_t)(uintptr_t)frame_stolen_entry;
		fr->rewritten++;
		__atomic_store_n(&fr->done, n, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* lib1 calls these as plain functions: its OS thread starts, and is joined. */
static long frame_race_start_in_lib1(long x)
{
	(void)x;
	return pthread_create(&frame_race.racer, NULL, frame_racer, &frame_race) ? 100 : 0;
}

static long frame_race_stop_in_lib1(long x)
{
	(void)x;
	__atomic_store_n(&frame_race.stop, 1, __ATOMIC_RELEASE);
	return pthread_join(frame_race.racer, NULL) ? 100 : 0;
}

static void *frame_own(void *arg)
{
	return arg;
}

int sched_frame(int n)
{
	struct flexos_thread *t = NULL;
	void *ret = NULL;
	long r = 0;
	int ran = 0;

	/* The first thread's control block is the one every later thread gets. */
	if (n < 1 || flexos_sched_create(&t, 0, frame_own, NULL) || flexos_sched_join(t, &ret))
		return 2;
	frame_race.t = t;
	frame_race.map_size = t->map_size;
	t->map = NULL;
	flexos_gate_r(lib1, r, lib1_call, frame_race_start_in_lib1, 0);
	if (r != 1)
		return 2;
	for (int i = 1; i <= n; i++) {
		struct flexos_thread *u;
		__atomic_store_n(&frame_race.armed, (unsigned long)i, __ATOMIC_RELEASE);
		if (flexos_sched_create(&u, 0, frame_own, (void *)(intptr_t)i) || u != t)
			return 2;
		/* lib1 is done with the mapping before the join unmaps it. */
		while (__atomic_load_n(&frame_race.done, __ATOMIC_ACQUIRE) != (unsigned long)i)
			sched_yield();
		if (flexos_sched_join(t, &ret) || ret != (void *)(intptr_t)i)
			return 1;
		t->map = NULL;
		ran++;
	}
	flexos_gate_r(lib1, r, lib1_call, frame_race_stop_in_lib1, 0);
	printf("sched-frame: lib1 rewrote the first frame of %lu of %d new threads in the "
	       "scheduler's stack; %d ran their own function, in app\n",
	       frame_race.rewritten, n, ran);
	return r == 1 && ran == n ? 0 : 1;
}

/*
 * attack --sched-map N (limit 13): as --sched-frame, but lib1's OS thread
 * points each new thread's mapping in its control block (key 0) at
 * map_area, app's private data, as soon as flexos_sched_create has stored
 * it (the mprotect of its guard page, which takes the mapping from a
 * register, then goes on), so that a scheduler that reads it back for the
 * stack would write the thread's first frame there with app's rights.
 * lib1 puts the mapping back once app made the thread (app's join unmaps
 * it). Status 0 if map_area stays as app wrote it and every thread ran
 * its own function; before, the scheduler wrote the frame over it (1).
 */
static volatile uint64_t map_area[24]; /* app's private data, where the frame would land */

struct map_race {
	struct flexos_thread *t;
	size_t map_size;                 /* each thread's mapping's */
	unsigned long armed, made, done; /* app: this thread's number, made; lib1: done with it */
	uintptr_t real;                  /* the mapping app stored */
	unsigned long pointed;
	int stop;
	pthread_t racer;
};
static struct map_race map_race FLEXOS_SHARED;

/*
 * lib1's OS thread: while app makes a thread, keeps pointing its mapping at
 * map_area's, noting the mapping app stored there (to put it back).
 */
static void *map_racer(void *arg)
{
	struct map_race *mr = arg;

	while (!__atomic_load_n(&mr->stop, __ATOMIC_ACQUIRE)) {
		unsigned long n = __atomic_load_n(&mr->armed, __ATOMIC_ACQUIRE);
		struct flexos_thread *t = mr->t;
		if (n == __atomic_load_n(&mr->done, __ATOMIC_RELAXED))
			continue;
		/* (the frame goes at the top of the mapping: 24 words below its end) */
		uintptr_t evil = (uintptr_t)(map_area + 24) - mr->map_size;
		void *map = __atomic_load_n(&t->map, __ATOMIC_ACQUIRE);
		if ((uintptr_t)map != evil &&
		    __atomic_compare_exchange_n(&t->map, &map, (void *)evil, 0, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE) &&
		    map)
			mr->real = (uintptr_t)map;
		/* app made it: lib1 is done with this one once it saw the real mapping */
		if (__atomic_load_n(&mr->made, __ATOMIC_ACQUIRE) == n && mr->real) {
			mr->pointed++;
			__atomic_store_n(&mr->done, n, __ATOMIC_RELEASE);
		}
	}
	return NULL;
}

static long map_race_start_in_lib1(long x)
{
	(void)x;
	return pthread_create(&map_race.racer, NULL, map_racer, &map_race) ? 100 : 0;
}

static long map_race_stop_in_lib1(long x)
{
	(void)x;
	__atomic_store_n(&map_race.stop, 1, __ATOMIC_RELEASE);
	return pthread_join(map_race.racer, NULL) ? 100 : 0;
}

/* lib1 calls this as a plain function: the mapping back where it was (key 0). */
static long map_restore_in_lib1(long x)
{
	(void)x;
	map_race.t->map = (void *)map_race.real;
	return 0;
}

int sched_map(int n)
{
	struct flexos_thread *t = NULL;
	void *ret = NULL;
	long r = 0;
	int ran = 0;

	for (int k = 0; k < 24; k++)
		map_area[k] = 0x5ec7e7;
	if (n < 1 || flexos_sched_create(&t, 0, frame_own, NULL) || flexos_sched_join(t, &ret))
		return 2;
	map_race.t = t;
	map_race.map_size = t->map_size;
	flexos_gate_r(lib1, r, lib1_call, map_race_start_in_lib1, 0);
	if (r != 1)
		return 2;
	for (int i = 1; i <= n; i++) {
		struct flexos_thread *u;
		map_race.real = 0;
		__atomic_store_n(&map_race.armed, (unsigned long)i, __ATOMIC_RELEASE);
		if (flexos_sched_create(&u, 0, frame_own, (void *)(intptr_t)i) || u != t)
			return 2;
		__atomic_store_n(&map_race.made, (unsigned long)i, __ATOMIC_RELEASE);
		while (__atomic_load_n(&map_race.done, __ATOMIC_ACQUIRE) != (unsigned long)i)
			sched_yield();
		for (int k = 0; k < 24; k++) {
			if (map_area[k] == 0x5ec7e7)
				continue;
			printf("sched-map: making app's thread %d, the scheduler wrote %#lx "
			       "over app's private data (word %d), where lib1 pointed the "
			       "thread's mapping: FAIL\n",
			       i, (unsigned long)map_area[k], k);
			fflush(stdout);
			_exit(1);
		}
		flexos_gate_r(lib1, r, lib1_call, map_restore_in_lib1, 0);
		if (flexos_sched_join(t, &ret) || ret != (void *)(intptr_t)i)
			return 1;
		ran++;
	}
	flexos_gate_r(lib1, r, lib1_call, map_race_stop_in_lib1, 0);
	printf("sched-map: lib1 pointed the mapping of %lu of %d new threads at app's private "
	       "data; it stayed as app wrote it, and %d ran their own function, in app\n",
	       map_race.pointed, n, ran);
	return r == 1 && ran == n ? 0 : 1;
}
