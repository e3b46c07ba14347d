/*
 * pthread_create in intel-mpk images (flexos-link links them with
 * --wrap=pthread_create): the creator registers the new thread's gate
 * page, in its own compartment, before the thread runs anything of a
 * compartment (docs/threat-model.md, limit 2). Without it a thread would
 * get its page at its first gate crossing, in the compartment whose open
 * PKRU it wrote: a compartment could start a thread and jump to the
 * gate's WRPKRU with another compartment's open PKRU.
 */
#include "autoconfig.h"

#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"
#include "mpk.h"
#include "runtime.h"

int __real_pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *),
			  void *arg);
int __wrap_pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *),
			  void *arg);

/*
 * What the new thread starts with, in glibc's heap (key 0): the start
 * routine and its argument are not kept here but in a callback record
 * (gate key, mpk.h: MPK_CB_SLOTS) bound by the creator, in its
 * compartment, for this object: a compartment that rewrote them here
 * before the thread read them would have its choice run with the
 * creator's PKRU (docs/threat-model.md, limit 8).
 */
struct mpk_start {
	int handle;  /* the record of the start routine and its argument */
	uint32_t go; /* 1 once the creator has registered the thread's page */
};

/*
 * A test's hook (tests/mpk/attack.c --thread-start): the creator calls it
 * with the new thread's start data between making the thread and letting
 * it start, where another compartment could write that data. Weak:
 * images define none.
 */
extern void flexos__mpk_test_thread_made(void *start_data) __attribute__((weak));

/*
 * The new thread, with its creator's PKRU: it waits for the creator's
 * registration, binds its page (its first gate crossing), takes the
 * start routine and its argument from the creator's record (which the
 * bound page's compartment, its creator's, must own, for this object)
 * and only then runs the start routine, on a stack of its compartment's
 * pool. A compartment that sets go itself only makes its own thread
 * claim too early: the claim finds no page and reports.
 */
static void *mpk_thread_start(void *p)
{
	struct mpk_start *s = p;
	void (*fn)(void) = NULL;
	void *arg = NULL;

	while (!__atomic_load_n(&s->go, __ATOMIC_ACQUIRE))
		syscall(SYS_futex, &s->go, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	int handle = s->handle;
	MPK_SIGNALS_HELD_VOID(flexos__mpk_thread_bind());
	if (flexos__mpk_cb_take(handle, s, &fn, &arg))
		flexos__abort("pthread_create: the new thread's start routine is not the one its "
			      "creator gave (its record %d was changed, or is another "
			      "compartment's or object's); a compartment rewrote the thread's "
			      "start data in glibc's heap (docs/threat-model.md, limit 8)",
			      handle);
	flexos__mpk_callback_unbind(handle);
	free(s);
	/*
	 * The start routine runs on a stack of its compartment's pool
	 * (private, inside the filter's ranges), not on glibc's, which is
	 * key 0: every compartment could read and write its frames. Only
	 * this trampoline's frame stays there, and glibc's own.
	 */
	uintptr_t top = MPK_SIGNALS_HELD(flexos__mpk_home_stack());
	if (!top)
		return ((void *(*)(void *))fn)(arg); /* shared stacks: every stack is key 0 */
	return flexos__mpk_run_on((void *(*)(void *))fn, arg, top);
}

int __wrap_pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *),
			  void *arg)
{
	/* Before the backend's start-up (constructors): no gate page exists yet. */
	if (!flexos__mpk_ro.ro.gp_lo)
		return __real_pthread_create(thread, attr, start, arg);
	struct mpk_start *s = malloc(sizeof(*s));
	pthread_t t;

	if (!s)
		return EAGAIN;
	s->go = 0;
	s->handle = flexos__mpk_callback_bind((void (*)(void))start, arg, s);
	if (s->handle <= 0) { /* every record taken */
		free(s);
		return EAGAIN;
	}
	int err = __real_pthread_create(&t, attr, mpk_thread_start, s);
	if (err) {
		flexos__mpk_callback_unbind(s->handle);
		free(s);
		return err;
	}
	/*
	 * pthread_t is the thread's descriptor, which glibc makes its FS
	 * base; read from this function's own copy, not from *thread, which
	 * may be memory another compartment writes.
	 */
	/*
	 * Where the clone site is in force it registered the page and the
	 * thread bound it already (mpk.h: flexos__mpk_clone_active).
	 */
	if (!flexos__mpk_clone_active)
		err = MPK_SIGNALS_HELD(flexos__mpk_thread_register((uint64_t)t));
	if (err)
		flexos__abort("pthread_create: cannot register the new thread's gate page: %s",
			      flexos__strerror(-err));
	if (flexos__mpk_test_thread_made)
		flexos__mpk_test_thread_made(s);
	__atomic_store_n(&s->go, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &s->go, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	*thread = t;
	return 0;
}

/*
 * No robust mutexes in intel-mpk images (flexos-link links them with
 * --wrap=pthread_mutexattr_setrobust). The kernel walks a thread's
 * robust-futex list when it ends, under the PKRU it has then, and marks
 * the owner dead in each listed word that holds the thread's id; the
 * list's head is in the thread's descriptor (key 0), which every
 * compartment writes: pointed at another compartment's word, the walk
 * rewrites it (syscalls robust-list). So no thread has a list
 * (filter.c), and a mutex that asks to be robust is refused rather than
 * made without the owner-death it asks for.
 */
int __real_pthread_mutexattr_setrobust(pthread_mutexattr_t *attr, int robust);
int __wrap_pthread_mutexattr_setrobust(pthread_mutexattr_t *attr, int robust);
int __wrap_pthread_mutexattr_setrobust(pthread_mutexattr_t *attr, int robust)
{
	if (robust == PTHREAD_MUTEX_ROBUST)
		return ENOTSUP;
	return __real_pthread_mutexattr_setrobust(attr, robust);
}
