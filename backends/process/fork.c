/*
 * fork() of an image under the process backend.
 *
 * The compartments' memory lives in their processes, and the processes
 * share the control block (the lanes), the shared section and the shared
 * heap. A child that only copied main's process would call into its
 * parent's compartments, through its parent's lanes, and both would see
 * each other's shared memory. So fork() makes a whole new image, eagerly,
 * from pthread_atfork handlers (they see every caller of fork(), the C
 * library's own included, without a change to the link):
 *
 * - prepare (the forking thread of main): takes a fork slot, copies the
 *   shared section and the used part of the shared heap into it, and asks
 *   each compartment, over its lane, to fork itself (entry
 *   FLEXOS__PROC_ENTRY_FORK). The compartment's copy moves the slot's
 *   copies over its shared ranges, starts a dispatcher on the slot's
 *   control block and says it is ready. Its memory is the compartment's
 *   as of that call: a snapshot, which is what Redis's BGSAVE wants.
 * - child: main's copy does the same and starts its dispatcher.
 * - parent: nothing, but ending the new compartments if fork() failed.
 *
 * A slot must be shared memory that the new image's processes can all
 * map, and they have no common ancestor younger than main's start: so
 * the slots are reserved at start-up, before the supervisor is forked,
 * and reused once every process of the image that had one is gone.
 *
 * A forked image has no supervisor: its compartments are clones made
 * with CLONE_PARENT (the children of whatever reaps the parent image's
 * compartments, so never zombies for long), and each process holds a
 * robust mutex for as long as it lives. The kernel releases a dead
 * owner's mutex, even after SIGKILL, so main's dispatcher sees a
 * compartment die (a report, as for a crash) and each compartment sees
 * main die (it ends): no process is left behind.
 */
#include "autoconfig.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <flexos/flexos.h>

#include "common.h"
#include "process.h"

#define MAX_SLOTS     8
#define DEFAULT_SLOTS 2
/* How long prepare waits for a free slot and for a compartment's copy. */
#define WAIT_MS 5000

enum { SLOT_FREE, SLOT_SETUP, SLOT_LIVE };

/* A range every process of an image shares: the shared section, the shared heap. */
struct range {
	uintptr_t addr;
	size_t len;
	size_t off;                /* in the slot */
	struct flexos__heap *heap; /* copy only up to its bump pointer */
};

int flexos__proc_forked;
/* A child fork() could not give compartments: its gates end it. */
int flexos__proc_fork_orphan;

static const struct flexos_runtime *rt;
static uint32_t *slot_state; /* nslots words, shared by every image */
static uintptr_t slot_base;  /* nslots * slot_len bytes, shared by every image */
static size_t slot_len;
static unsigned nslots;
static struct range ranges[2];
static unsigned nranges;
static const char *no_fork_why;

/* What prepare did, for the parent and child handlers of the same thread. */
static __thread int fork_prepared;
static __thread int fork_slot;
static __thread int fork_saved_errno;

static int default_id(void)
{
	return (int)rt->image->default_id;
}

static struct flexos__control *slot_ctl(int s)
{
	return (struct flexos__control *)(slot_base + (size_t)s * slot_len);
}

static size_t page_round(size_t n)
{
	size_t p = (size_t)sysconf(_SC_PAGESIZE);
	return (n + p - 1) & ~(p - 1);
}

int flexos__proc_fork_init(const struct flexos_runtime *runtime)
{
	const struct flexos_image *img = runtime->image;
	const char *s = getenv("FLEXOS_FORK_SLOTS");

	rt = runtime;
	nslots = s && *s ? (unsigned)strtoul(s, NULL, 10) : DEFAULT_SLOTS;
	if (nslots > MAX_SLOTS)
		nslots = MAX_SLOTS;
	for (uint32_t id = 0; id < img->ncompartments; id++)
		if (img->compartments[id].flags & FLEXOS_COMP_SANDBOX)
			no_fork_why = "an image with a sandbox_of compartment cannot be forked yet";
	if (!nslots)
		no_fork_why = "FLEXOS_FORK_SLOTS=0 reserved no fork slot";
	if (no_fork_why) {
		nslots = 0;
		return 0;
	}
	size_t off = page_round(sizeof(struct flexos__control) + (size_t)FLEXOS__PROC_MAX_LT *
								     img->ncompartments *
								     sizeof(struct flexos__lane));
	if (img->shared.end > img->shared.start) {
		size_t len = page_round(img->shared.end - img->shared.start);
		ranges[nranges++] = (struct range){img->shared.start, len, off, NULL};
		off += len;
	}
	size_t hlen = runtime->shared_heap.end - runtime->shared_heap.start;
	ranges[nranges++] = (struct range){runtime->shared_heap.start, hlen, off,
					   flexos__heap_of(FLEXOS__SHARED_HEAP)};
	off += page_round(hlen);
	slot_len = off;

	void *st = mmap(NULL, page_round(sizeof(uint32_t) * MAX_SLOTS), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	void *p = mmap(NULL, nslots * slot_len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (st == MAP_FAILED || p == MAP_FAILED) {
		/* Under a tight ulimit -v: the image runs, its fork() children have no
		 * compartments. */
		int err = errno;
		if (st != MAP_FAILED)
			munmap(st, page_round(sizeof(uint32_t) * MAX_SLOTS));
		nslots = 0;
		no_fork_why = err == ENOMEM
				  ? "no address space was left for fork slots at start-up "
				    "(ulimit -v)"
				  : "the fork slots could not be mapped at start-up";
		return -err;
	}
	slot_state = st;
	slot_base = (uintptr_t)p;
	return 0;
}

/* glibc keeps the owner's tid in the lock word; the kernel clears it when the owner dies. */
static int mutex_dead(pthread_mutex_t *m)
{
	return !(__atomic_load_n((uint32_t *)&m->__data.__lock, __ATOMIC_ACQUIRE) & FUTEX_TID_MASK);
}

static int proc_dead(struct flexos__control *c, int k)
{
	return !__atomic_load_n(&c->ready[k], __ATOMIC_ACQUIRE) || mutex_dead(&c->alive[k]);
}

/* A live slot whose processes have all gone (or never came). */
static int reclaimable(int s)
{
	struct flexos__control *c = slot_ctl(s);

	if (!__atomic_load_n(&c->abandoned, __ATOMIC_ACQUIRE) && !proc_dead(c, default_id()))
		return 0;
	for (uint32_t k = 0; k < flexos__proc_ncomp; k++)
		if ((int)k != default_id() && !proc_dead(c, (int)k))
			return 0;
	return 1;
}

static int slot_take(void)
{
	for (int ms = 0; ms < WAIT_MS; ms++) {
		for (unsigned s = 0; s < nslots; s++) {
			uint32_t st = __atomic_load_n(&slot_state[s], __ATOMIC_ACQUIRE);
			if ((st == SLOT_FREE || (st == SLOT_LIVE && reclaimable((int)s))) &&
			    __atomic_compare_exchange_n(&slot_state[s], &st, SLOT_SETUP, 0,
							__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
				return (int)s;
		}
		/* A child that just exited: its compartments follow within milliseconds. */
		usleep(1000);
	}
	return -1;
}

/* A fresh control block and the copies of the shared ranges, as of now. */
static void slot_setup(int s)
{
	struct flexos__control *c = slot_ctl(s);
	pthread_mutexattr_t a;

	/* Shared anonymous memory: MADV_REMOVE gives back zero pages. */
	madvise(c, slot_len, MADV_REMOVE);
	memset(c, 0, sizeof(*c));
	c->ncomp = flexos__proc_ncomp;
	c->forked = 1;
	c->fault_comp = -1;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	for (unsigned k = 0; k < FLEXOS_MAX_COMPARTMENTS; k++)
		pthread_mutex_init(&c->alive[k], &a);
	pthread_mutexattr_destroy(&a);
	for (unsigned i = 0; i < nranges; i++) {
		const struct range *r = &ranges[i];
		void *dst = (char *)slot_base + (size_t)s * slot_len + r->off;
		if (r->heap)
			flexos__heap_copy_used(r->heap, dst);
		else
			memcpy(dst, (const void *)r->addr, r->len);
	}
}

/* In a process of the new image: its shared ranges and control block become the slot's. */
static void adopt(int s)
{
	for (unsigned i = 0; i < nranges; i++) {
		const struct range *r = &ranges[i];
		void *from = (char *)slot_base + (size_t)s * slot_len + r->off;
		if (mremap(from, r->len, r->len, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)r->addr) ==
		    MAP_FAILED)
			flexos__die(FLEXOS_EXIT_SETUP,
				    "fork: cannot map the child's shared memory: %s",
				    flexos__strerror(errno));
	}
	flexos__proc_ctl = slot_ctl(s);
	flexos__proc_lanes = (struct flexos__lane *)(flexos__proc_ctl + 1);
	flexos__proc_forked = 1;
}

void flexos__proc_fork_alive(void)
{
	struct flexos__control *c = flexos__proc_ctl;
	int self = flexos__proc_self;

	if (pthread_mutex_lock(&c->alive[self]) == EOWNERDEAD)
		pthread_mutex_consistent(&c->alive[self]);
	__atomic_store_n(&c->ready[self], 1, __ATOMIC_RELEASE);
	flexos__futex_wake(&c->ready[self], INT_MAX);
}

/* Waits until *word is nonzero, for at most ms milliseconds; whether it is. */
static int await_set(uint32_t *word, long ms)
{
	for (long t = 0; t < ms; t += 100) {
		if (__atomic_load_n(word, __ATOMIC_ACQUIRE))
			return 1;
		flexos__futex_wait(word, 0, 100);
	}
	return __atomic_load_n(word, __ATOMIC_ACQUIRE) != 0;
}

/*
 * The first thread of a compartment's copy: it watches main and ends the
 * process when main is gone, or when the fork failed.
 */
static void watch_main(struct flexos__control *c) __attribute__((__noreturn__));
static void watch_main(struct flexos__control *c)
{
	int d = default_id();
	uint32_t *word = (uint32_t *)&c->alive[d].__data.__lock;

	while (!__atomic_load_n(&c->ready[d], __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&c->abandoned, __ATOMIC_ACQUIRE))
		flexos__futex_wait(&c->ready[d], 0, 200);
	for (;;) {
		if (__atomic_load_n(&c->abandoned, __ATOMIC_ACQUIRE) ||
		    __atomic_load_n(&c->shutdown, __ATOMIC_ACQUIRE))
			break;
		uint32_t w = __atomic_load_n(word, __ATOMIC_ACQUIRE);
		if (!(w & FUTEX_TID_MASK))
			break;
		/* With FUTEX_WAITERS set, the kernel wakes a waiter when the owner dies. */
		if (!(w & FUTEX_WAITERS) &&
		    !__atomic_compare_exchange_n(word, &w, w | FUTEX_WAITERS, 0, __ATOMIC_ACQ_REL,
						 __ATOMIC_RELAXED))
			continue;
		flexos__futex_wait(word, w | FUTEX_WAITERS, 200);
	}
	/* The kernel woke one of the compartments: the others look too. */
	flexos__futex_wake(word, INT_MAX);
	_exit(0);
}

long flexos__proc_fork_serve(long slot)
{
	if (slot < 0 || (unsigned long)slot >= nslots ||
	    __atomic_load_n(&slot_state[slot], __ATOMIC_ACQUIRE) != SLOT_SETUP)
		return -EINVAL;
	/*
	 * A raw clone, unlike the C library's fork(), takes none of its
	 * locks: hold those the copy needs first (stdio, this compartment's
	 * heap) so that no other thread holds them at the clone.
	 */
	struct flexos__heap *heap = flexos__heap_of(flexos__proc_self);
	flexos__proc_threads_hold();
	flockfile(stdout);
	flockfile(stderr);
	fflush(stdout);
	fflush(stderr);
	if (heap)
		flexos__heap_lock(heap);
	/*
	 * The copy is a sibling, not a child: whatever reaps this process
	 * reaps it. The policy allows clone with CLONE_PARENT (policy.c);
	 * the C library's fork() does not use it and stays denied.
	 */
	long pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL, 0);
	int err = errno;
	if (heap)
		flexos__heap_unlock(heap);
	funlockfile(stderr);
	funlockfile(stdout);
	flexos__proc_threads_release(pid == 0);
	if (pid)
		return pid < 0 ? -err : pid;

	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	adopt((int)slot);
	struct flexos__control *c = flexos__proc_ctl;
	__atomic_store_n(&c->comp[flexos__proc_self].pid, (int32_t)getpid(), __ATOMIC_RELEASE);
	if (flexos__proc_start_dispatcher())
		_exit(FLEXOS_EXIT_SETUP);
	watch_main(c);
}

static void end_slot(int s)
{
	struct flexos__control *c = slot_ctl(s);

	__atomic_store_n(&c->abandoned, 1, __ATOMIC_RELEASE);
	flexos__futex_wake(&c->ready[default_id()], INT_MAX);
	flexos__futex_wake((uint32_t *)&c->alive[default_id()].__data.__lock, INT_MAX);
}

/*
 * This process's heap, locked from prepare to the parent's and the
 * child's handlers: a thread of this process that held its lock at the
 * fork does not exist in the child, whose first allocation would then
 * spin forever (Redis forks with its bio threads freeing).
 */
static __thread struct flexos__heap *fork_heap;

static void prepare_slot(void);

static void on_prepare(void)
{
	prepare_slot();
	/* Ours, as the C library's: no thread holds it in the child. */
	flexos__proc_threads_hold();
	fork_heap = flexos__proc_started ? flexos__heap_of(flexos__proc_self) : NULL;
	if (fork_heap)
		flexos__heap_lock(fork_heap);
}

static void release_locks(int in_child)
{
	if (fork_heap)
		flexos__heap_unlock(fork_heap);
	fork_heap = NULL;
	flexos__proc_threads_release(in_child);
}

static void prepare_slot(void)
{
	const struct flexos_image *img = rt->image;

	fork_prepared = 0;
	if (!flexos__proc_started || flexos__proc_self != default_id() || flexos__proc_fork_orphan)
		return;
	fork_prepared = 1;
	fork_saved_errno = errno;
	fork_slot = -1;
	int s = nslots ? slot_take() : -1;
	if (s < 0) {
		flexos__say("fork: %s; the child has no compartments and ends at its first gate",
			    no_fork_why ? no_fork_why
					: "every fork slot is in use (FLEXOS_FORK_SLOTS)");
		errno = 0;
		return;
	}
	slot_setup(s);
	struct flexos__control *sc = slot_ctl(s);
	for (uint32_t k = 0; k < img->ncompartments; k++) {
		if ((int)k == default_id())
			continue;
		long pid = flexos__proc_request_fork(k, s);
		if (pid <= 0 || !await_set(&sc->ready[k], WAIT_MS)) {
			flexos__say(
			    "fork: compartment '%s' could not be copied (%s); the child has "
			    "no compartments and ends at its first gate",
			    img->compartments[k].name,
			    pid <= 0 ? flexos__strerror((int)-pid) : "it did not start");
			end_slot(s);
			__atomic_store_n(&slot_state[s], SLOT_LIVE, __ATOMIC_RELEASE);
			errno = 0;
			return;
		}
	}
	fork_slot = s;
	errno = 0;
}

static void on_parent(void)
{
	release_locks(0);
	if (!fork_prepared)
		return;
	fork_prepared = 0;
	/* on_prepare cleared errno: fork() sets it only when it fails. */
	int failed = errno != 0;
	if (fork_slot >= 0) {
		if (failed)
			end_slot(fork_slot);
		__atomic_store_n(&slot_state[fork_slot], SLOT_LIVE, __ATOMIC_RELEASE);
	}
	if (!failed)
		errno = fork_saved_errno;
}

static void on_child(void)
{
	release_locks(1);
	if (!fork_prepared)
		return;
	fork_prepared = 0;
	flexos__proc_forget_chain();
	flexos__proc_forked_main();
	if (fork_slot < 0) {
		flexos__proc_fork_orphan = 1;
		errno = fork_saved_errno;
		return;
	}
	adopt(fork_slot);
	struct flexos__control *c = flexos__proc_ctl;
	c->main_pid = getpid();
	c->comp[default_id()].pid = getpid();
	int err = flexos__proc_start_dispatcher();
	if (err)
		flexos__die(FLEXOS_EXIT_SETUP, "fork: the child cannot start its dispatcher: %s",
			    flexos__strerror(-err));
	/* Until main's mutex is held, its compartments cannot tell it from a dead one. */
	while (!await_set(&c->ready[default_id()], 1000))
		;
	errno = fork_saved_errno;
}

void flexos__proc_fork_register(void)
{
	int err = pthread_atfork(on_prepare, on_parent, on_child);
	if (err)
		flexos__die(FLEXOS_EXIT_SETUP, "cannot register the fork handlers: %s",
			    flexos__strerror(err));
}

void flexos__proc_fork_watch(void)
{
	struct flexos__control *c = flexos__proc_ctl;

	if (flexos__proc_self != default_id()) {
		if (__atomic_load_n(&c->shutdown, __ATOMIC_ACQUIRE) ||
		    __atomic_load_n(&c->abandoned, __ATOMIC_ACQUIRE))
			_exit(0);
		return;
	}
	if (__atomic_load_n(&c->shutdown, __ATOMIC_ACQUIRE) ||
	    __atomic_load_n(&c->end, __ATOMIC_ACQUIRE))
		return;
	for (uint32_t k = 0; k < flexos__proc_ncomp; k++) {
		if ((int)k == default_id() || !__atomic_load_n(&c->ready[k], __ATOMIC_ACQUIRE) ||
		    !mutex_dead(&c->alive[k]))
			continue;
		/*
		 * No parent to wait for it here: its fault handler's record
		 * says which signal, if it had time to write it.
		 */
		int sig = __atomic_load_n(&c->comp[k].fault_sig, __ATOMIC_ACQUIRE);
		c->fault_comp = (int)k;
		c->fault_status = sig ? sig : SIGKILL;
		c->comp[k].exit_status = c->fault_status;
		__atomic_store_n(&c->end, END_FAULT, __ATOMIC_RELEASE);
		flexos__proc_poke_all();
		return;
	}
}

void flexos__proc_fork_shutdown(void)
{
	struct flexos__control *c = flexos__proc_ctl;
	static int done;

	if (__atomic_exchange_n(&done, 1, __ATOMIC_ACQ_REL))
		return;
	__atomic_store_n(&c->shutdown, 1, __ATOMIC_RELEASE);
	flexos__futex_wake((uint32_t *)&c->alive[default_id()].__data.__lock, INT_MAX);
	flexos__proc_poke_all();
	/* Nothing of the image outlives main: wait for its compartments (2 s at most). */
	for (int ms = 0; ms < 2000; ms++) {
		int live = 0;
		for (uint32_t k = 0; k < flexos__proc_ncomp; k++)
			if ((int)k != default_id() && !proc_dead(c, (int)k))
				live = 1;
		if (!live)
			return;
		usleep(1000);
	}
}
