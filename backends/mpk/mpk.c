/*
 * The intel-mpk backend: one protection key per compartment (the default
 * compartment included), so that each compartment's .data, .bss, .rodata,
 * heap and stacks are reachable only while it runs. Key 0 stays with the
 * platform (C library, loader, TLS) and the shared areas, and every
 * compartment's PKRU allows it. The gate (gate.S) switches PKRU and stack.
 * With shared stacks (per image) every stack stays key 0 and the gate
 * switches PKRU only.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <asm/prctl.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"
#include "mpk.h"
#include "runtime.h"

__thread struct mpk_thread flexos__mpk_thread;

/* Alone on its page: mprotect'ed read-only once the keys are known. */
uint32_t flexos__mpk_pkru[1024] __attribute__((aligned(4096)));
/* Alone on its page too: read-only once fault.c has filled it. */
union mpk_ro_page flexos__mpk_ro __attribute__((aligned(4096)));
union mpk_ro_entry_page flexos__mpk_ro_entry __attribute__((aligned(4096)));

/*
 * The stacks map_stack made (main's, before the filter; threads' come from
 * the pools of stacks.c), for the fault report and the filter: a reader
 * may see an entry half written, which costs at most a less precise report.
 */
#define MAX_STACKS 4096
static struct {
	uintptr_t lo, hi;
	int owner;
} stacks[MAX_STACKS];
static unsigned nstacks;

/* A compartment's PKRU: its key, the shared key, and key 0 unless it has newlib. */
static uint32_t pkru_of(int key, uint32_t flags)
{
	uint32_t pkru =
	    (flags & FLEXOS_COMP_NEWLIB ? ~0u : MPK_PKRU_KEY0_ONLY) & ~(3u << (2 * key));
	/* The gate pages: readable (the malloc router reads cur), never writable. */
	if (flexos__mpk_ro.ro.gate_key)
		pkru &= ~(1u << (2 * flexos__mpk_ro.ro.gate_key));
	return pkru & ~(3u << (2 * flexos__mpk_ro.ro.shared_key));
}

/* The key of what everyone reaches, in images with newlib compartments. */
static bool has_newlib(const struct flexos_image *img)
{
	for (uint32_t id = 0; id < img->ncompartments; id++)
		if (img->compartments[id].flags & FLEXOS_COMP_NEWLIB)
			return true;
	return false;
}

/* The compartment whose PKRU is pkru, or the default one. */
static uint64_t compartment_of_pkru(uint32_t pkru)
{
	for (uint32_t id = 0; id < flexos__mpk_ro.ro.ncomp; id++)
		if (flexos__mpk_pkru[id] == pkru)
			return id;
	return flexos__mpk_ro.ro.runtime->image->default_id;
}


static void *map_stack(size_t size, int owner)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t slack = flexos__asan_key_stack_shadow ? ASAN_STACK_ALIGN : 0;
	size_t above = slack ? ASAN_STACK_ABOVE : 0;
	size_t len = size + (size_t)page + slack + above;
	char *base = mmap(NULL, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	if (slack) {
		/* The stack on the boundary; what is around it goes back. */
		char *lo = (char *)(((uintptr_t)base + (uintptr_t)page + slack - 1) & ~(slack - 1));
		char *start = lo - page, *end = lo + size + above;
		if (start > base)
			munmap(base, (size_t)(start - base));
		if (end < base + len)
			munmap(end, (size_t)(base + len - end));
		base = start;
		len = size + (size_t)page + above;
	}
	/* A guard page below: an overflow faults instead of running into a neighbour. */
	if (mprotect(base, (size_t)page, PROT_NONE) ||
	    pkey_mprotect(base + page, size, PROT_READ | PROT_WRITE, flexos__mpk_ro.ro.keys[owner]) ||
	    (above && mprotect(base + page + size, above, PROT_NONE)) ||
	    (flexos__asan_key_stack_shadow &&
	     flexos__asan_key_stack_shadow((uint32_t)owner, (uintptr_t)base + (uintptr_t)page,
					   (uintptr_t)base + page + size + above,
					   flexos__mpk_ro.ro.keys[owner]))) {
		munmap(base, len);
		return NULL;
	}
	unsigned i = __atomic_fetch_add(&nstacks, 1, __ATOMIC_RELAXED);
	if (i < MAX_STACKS) {
		stacks[i].owner = owner;
		stacks[i].lo = (uintptr_t)base + (uintptr_t)page;
		__atomic_store_n(&stacks[i].hi, (uintptr_t)base + page + size, __ATOMIC_RELEASE);
	}
	return base + page + size;
}

/*
 * glibc registers a restartable-sequence area for each thread, in its TLS
 * (key 0). On preemption the kernel reads the critical section the area
 * names and, if the thread was inside it, moves the thread to its abort_ip,
 * keeping the thread's PKRU: a compartment that writes the area of its own
 * thread (key 0) names the image's code as the section and a gadget of its
 * own as abort_ip (the kernel checks only the 4 bytes before it), crosses
 * into another compartment, and its gadget runs there with that one's
 * rights (found by an attack review: tests/mpk/syscalls.sh rseq). And the
 * kernel writes the area with the thread's PKRU: while a newlib
 * compartment (key 0 denied) runs, that write fails and the kernel kills
 * the thread with SIGSEGV. So every thread gives up rseq, and the filter
 * refuses new registrations (ENOSYS); glibc then asks the kernel for the
 * CPU number (sched_getcpu) instead of reading it there.
 */
static void drop_rseq(void)
{
	if (!__rseq_size)
		return;
	struct rseq *area = (struct rseq *)((char *)__builtin_thread_pointer() + __rseq_offset);
	unsigned len = (unsigned)sizeof(*area);
	/* glibc registers sizeof(struct rseq) bytes, which __rseq_size may not say. */
	if (syscall(SYS_rseq, area, len, RSEQ_FLAG_UNREGISTER, RSEQ_SIG) &&
	    syscall(SYS_rseq, area, __rseq_size, RSEQ_FLAG_UNREGISTER, RSEQ_SIG) &&
	    /*
	     * Nothing registered: a thread glibc does not register, since its
	     * creator's area says unregistered (this function's doing), or
	     * not yet (the clone site's child claims its gate page first).
	     * Proved by registering this area, which only then succeeds.
	     */
	    (errno != EINVAL ||
	     /* After start-up the filter refuses every registration (ENOSYS): nothing to undo. */
	     (syscall(SYS_rseq, area, len, 0, RSEQ_SIG)
		  ? errno != ENOSYS
		  : syscall(SYS_rseq, area, len, RSEQ_FLAG_UNREGISTER, RSEQ_SIG))))
		flexos__die(FLEXOS_EXIT_SETUP,
			    "cannot unregister glibc's restartable sequences (rseq: %s), whose "
			    "area any compartment could point at code of its own; "
			    "run the image with GLIBC_TUNABLES=glibc.pthread.rseq=0",
			    flexos__strerror(errno));
	__atomic_store_n(&area->cpu_id, RSEQ_CPU_ID_UNINITIALIZED, __ATOMIC_RELAXED);
}

struct mpk_thread *flexos__mpk_self(void)
{
	struct mpk_thread *t = &flexos__mpk_thread;

	if (t->ready)
		return t;
	t->ready = 1;
	drop_rseq();
	return t;
}

static uint64_t thread_owner(void)
{
	uint64_t base;

	if (!flexos__mpk_ro.ro.fsgsbase)
		return (uint64_t)syscall(SYS_gettid);
	__asm__ volatile("rdfsbase %0" : "=r"(base));
	return base;
}

/* This thread's FS base (its pthread_t), from the CPU or the kernel, never from TLS. */
static uint64_t fs_base(void)
{
	uint64_t base = 0;

	if (flexos__mpk_ro.ro.fsgsbase)
		__asm__ volatile("rdfsbase %0" : "=r"(base));
	else if (syscall(SYS_arch_prctl, ARCH_GET_FS, &base))
		flexos__abort("gate: cannot read this thread's FS base: %s",
			      flexos__strerror(errno));
	return base;
}

/*
 * Start-up, before any compartment runs: the thread that runs the
 * backend's init holds every key it allocated. No compartment's PKRU, open
 * or not, opens every compartment's key and the nonce's.
 */
int flexos__mpk_starting_up(void)
{
	uint32_t pkru = flexos__mpk_rdpkru(), keys = 0;

	for (uint32_t id = 0; id < flexos__mpk_ro.ro.ncomp && id < MPK_SLOTS; id++)
		keys |= 3u << (2 * flexos__mpk_ro.ro.keys[id]);
	if (flexos__mpk_ro.ro.nonce_key)
		keys |= 3u << (2 * flexos__mpk_ro.ro.nonce_key);
	if (flexos__mpk_ro.ro.copy_key)
		keys |= 3u << (2 * flexos__mpk_ro.ro.copy_key);
	return !(pkru & keys);
}

/* The compartment whose open PKRU (MPK_PKRU_OPEN) is open, or MPK_SLOTS. */
static uint64_t compartment_of_open(uint32_t open)
{
	uint64_t cur = MPK_SLOTS;

	for (uint32_t id = 0; id < flexos__image.ncompartments && id < MPK_SLOTS; id++)
		if (flexos__mpk_pkru[MPK_PKRU_OPEN / 4 + id] == open)
			cur = id;
	return cur;
}

enum mpk_page_thread flexos__mpk_page_thread(const struct mpk_gate_page *gp)
{
	uint64_t tid = __atomic_load_n(&gp->tid, __ATOMIC_ACQUIRE);

	if (!tid)
		return MPK_THREAD_GONE;
	if ((pid_t)(tid >> 32) != getpid())
		return MPK_THREAD_ELSEWHERE;
	if (syscall(SYS_tgkill, getpid(), (pid_t)(uint32_t)tid, 0) && errno == ESRCH)
		return MPK_THREAD_GONE;
	return MPK_THREAD_RUNS;
}

/*
 * Whether the thread that bound gp runs in this process. glibc reuses the
 * descriptor of a thread that ended, which the kernel may not have
 * released yet: up to a second is waited for, with the system call
 * itself: the C library's nanosleep is a cancellation point, which for a
 * thread whose descriptor (key 0) says it is cancelled unwinds it through
 * the C library's link to libgcc_s (key 0 too) with the gate page open
 * (attack --gate-glibc cancel-register).
 */
static bool thread_runs(const struct mpk_gate_page *gp)
{
	const struct timespec ms = {0, 1000000};

	for (int i = 0; i < 1000; i++) {
		if (flexos__mpk_page_thread(gp) != MPK_THREAD_RUNS)
			return false;
		syscall(SYS_nanosleep, &ms, NULL);
	}
	return true;
}

/*
 * A page nobody has, or a page of a thread gone, made gp's afresh (the
 * gate page is open). Its FS base stays as it is throughout (its
 * registration's mark: flexos__mpk_register).
 */
static void reset_page(struct mpk_gate_page *gp, uint64_t cur)
{
	struct mpk_gate_page *pages = (struct mpk_gate_page *)flexos__mpk_ro.ro.gp_lo;

	/* The stacks of the thread that had it go back to the pool (stacks.c). */
	flexos__mpk_stacks_release_page(gp);
	memset(gp, 0, offsetof(struct mpk_gate_page, fsbase));
	memset(&gp->sigmark, 0,
	       offsetof(struct mpk_gate_page, ids) - offsetof(struct mpk_gate_page, sigmark));
	flexos__mpk_jump_reset(gp);
	gp->cur = cur;
	/*
	 * The switch record of this OS thread's own context (handle 0): a
	 * thread that had this page before may have left it suspended.
	 */
	struct mpk_gate_page *home =
	    (struct mpk_gate_page *)flexos__mpk_ro.ro.rec_lo + (gp - pages);
	home->rsp = 0;
	home->owner = 0;
}

/*
 * A page for a new registration, its FS base set to mark (a registration's:
 * bit 0) by one compare-and-swap: the first page that nobody has (FS base
 * 0) or whose thread the kernel says is gone, so that its stacks go back to
 * the pools (reset_page). Read from the pages alone: a count of pages
 * handed out, in key-0 memory, once let a compartment that lowered it have
 * a live thread's page handed out again. Costs a tgkill for each page of a
 * live thread before the first free one.
 */
static struct mpk_gate_page *new_page(uint64_t mark)
{
	struct mpk_gate_page *pages = (struct mpk_gate_page *)flexos__mpk_ro.ro.gp_lo;

	for (unsigned i = 0; i < MPK_GATE_PAGES; i++) {
		uint64_t f = __atomic_load_n(&pages[i].fsbase, __ATOMIC_SEQ_CST);
		uint64_t tid = 0;
		/* (a claim binds the tid before the owner: flexos__mpk_claim) */
		if (f && ((f & 1) || !__atomic_load_n(&pages[i].owner, __ATOMIC_SEQ_CST) ||
			  !(tid = __atomic_load_n(&pages[i].tid, __ATOMIC_SEQ_CST)) ||
			  flexos__mpk_page_thread(&pages[i]) != MPK_THREAD_GONE))
			continue;
		if (!__atomic_compare_exchange_n(&pages[i].fsbase, &f, mark, false,
						 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			continue;
		if (f) {
			/*
			 * Between the look and the mark the page may have been
			 * registered again for the same FS base and bound (its
			 * tid then is another's, or 0 while the claim binds):
			 * given back. Else its old owner goes at once, so that
			 * no live thread that has the FS base it names (a later
			 * registration passes over a marked page, and so does
			 * the claim's release of its owner's pages) can take it
			 * for its own (LOAD_GP, SIG_CHECK_GP) while it is marked,
			 * or after a registration that gives it back (-EBUSY).
			 */
			if (__atomic_load_n(&pages[i].tid, __ATOMIC_SEQ_CST) != tid ||
			    flexos__mpk_page_thread(&pages[i]) != MPK_THREAD_GONE) {
				__atomic_store_n(&pages[i].fsbase, f, __ATOMIC_SEQ_CST);
				continue;
			}
			__atomic_store_n(&pages[i].owner, 0, __ATOMIC_SEQ_CST);
		}
		return &pages[i];
	}
	flexos__abort("gate: more than %u threads that cross gates run at once; each needs a "
		      "gate page of the %u reserved at start-up",
		      MPK_GATE_PAGES, MPK_GATE_PAGES);
}

int flexos__mpk_register(uint64_t fsbase)
{
	struct mpk_gate_page *pages = (struct mpk_gate_page *)flexos__mpk_ro.ro.gp_lo;
	/*
	 * The creator's compartment from the PKRU in force, which only
	 * OPEN_GATE's checked WRPKRU, for the compartment of the creator's
	 * own page, makes an open PKRU: whatever calls this gets a thread of
	 * its own compartment, or (without the page open) a report.
	 */
	uint32_t open = flexos__mpk_rdpkru();
	/* The clone site's PKRU also reads the nonce (gate.S: flexos__mpk_clone). */
	if (flexos__mpk_ro.ro.nonce)
		open |= flexos__mpk_ro.ro.sigret_pkru ^ flexos__mpk_ro.ro.nonce_pkru;
	uint64_t cur = compartment_of_open(open);
	struct mpk_gate_page *gp = NULL;

	if (cur == MPK_SLOTS)
		flexos__mpk_gate_violation(open, MPK_SLOTS);
	if (!fsbase || (fsbase & 1))
		return -EINVAL;
	/*
	 * glibc hands a new thread the descriptor, so the FS base, of one
	 * that ended: its page is free again; never while a page registered
	 * for it waits for its thread, or its thread runs (two live threads
	 * with one FS base would share one gate page: limit 2). Every page is
	 * read (not the count handed out, which is key-0 memory). Two threads
	 * that register one FS base at once (an attack review's: two threads
	 * of lib1, one of them then in app, the other with app's rights
	 * through their page) cannot both have it: a page is claimed by one
	 * compare-and-swap that marks its FS base (bit 0, which no thread
	 * descriptor has), and a registration that meets a mark fails.
	 */
	for (unsigned i = 0; i < MPK_GATE_PAGES && !gp; i++) {
		uint64_t f = __atomic_load_n(&pages[i].fsbase, __ATOMIC_SEQ_CST);
		if ((f & ~1ul) != fsbase)
			continue;
		if (f != fsbase ||
		    !__atomic_compare_exchange_n(&pages[i].fsbase, &f, fsbase | 1, false,
						 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			return -EBUSY;
		gp = &pages[i];
		int err = !gp->owner ? -EAGAIN : thread_runs(gp) ? -EEXIST : 0;
		if (err) {
			__atomic_store_n(&gp->fsbase, fsbase, __ATOMIC_SEQ_CST);
			return err;
		}
	}
	if (!gp) {
		/* A new page: marked first, then no other may name the FS base. */
		gp = new_page(fsbase | 1);
		for (unsigned i = 0; i < MPK_GATE_PAGES; i++)
			if (&pages[i] != gp &&
			    (__atomic_load_n(&pages[i].fsbase, __ATOMIC_SEQ_CST) & ~1ul) ==
				fsbase) {
				__atomic_store_n(&gp->fsbase, 0, __ATOMIC_SEQ_CST);
				return -EBUSY;
			}
	}
	reset_page(gp, cur);
	__atomic_store_n(&gp->fsbase, fsbase, __ATOMIC_RELEASE);
	return 0;
}

int flexos__mpk_unregister(uint64_t fsbase)
{
	struct mpk_gate_page *pages = (struct mpk_gate_page *)flexos__mpk_ro.ro.gp_lo;

	for (unsigned i = 0; i < MPK_GATE_PAGES && fsbase && !(fsbase & 1); i++) {
		uint64_t f = fsbase;
		if (!__atomic_load_n(&pages[i].owner, __ATOMIC_SEQ_CST))
			__atomic_compare_exchange_n(&pages[i].fsbase, &f, 0, false,
						    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	}
	return 0;
}

/*
 * A gate page's carry page (mpk.h: carry_lo), from the page's index: the
 * carry path writes it with the page open, so it never comes from the
 * thread's TLS (t->carry), which a compartment can point at gate-key
 * memory (a review found the page's current compartment rewritten so).
 */
static uint64_t carry_of(const struct mpk_gate_page *gp)
{
	const struct mpk_gate_page *pages = (const struct mpk_gate_page *)flexos__mpk_ro.ro.gp_lo;

	return flexos__mpk_ro.ro.carry_lo + (uint64_t)(gp - pages) * MPK_CARRY_SIZE;
}

/*
 * The signal stack of the thread's page, or the image ends: without one a
 * handler's frame would go on the compartment's own stack, where the
 * delivery stub, entered with key 0 only, cannot read it.
 */
static void take_altstack(struct mpk_thread *t, size_t page)
{
	int err = flexos__mpk_altstack(t, page);

	if (err)
		flexos__abort("gate: this thread cannot take the signal stack of its gate page %zu "
			      "(sigaltstack: %s)",
			      page, flexos__strerror(-err));
}

struct mpk_gate_page *flexos__mpk_claim(uint32_t open)
{
	struct mpk_thread *t = &flexos__mpk_thread;
	struct mpk_gate_page *pages = (struct mpk_gate_page *)flexos__mpk_ro.ro.gp_lo;
	uint64_t owner = thread_owner();
	int fresh = !t->ready;
	uint64_t cur = compartment_of_open(open);
	struct mpk_gate_page *gp = NULL;

	if (cur == MPK_SLOTS)
		flexos__mpk_gate_violation(open, MPK_SLOTS);
	flexos__mpk_self();
	/* A thread that had a page and lost its TLS pointer (a compartment wrote it) gets it back.
	 */
	for (unsigned i = 0; i < MPK_GATE_PAGES && !fresh; i++)
		if (pages[i].owner == owner)
			gp = &pages[i];
	if (gp) {
		gp->carry = carry_of(gp);
		t->gp = gp;
		take_altstack(t, (size_t)(gp - pages));
		return gp;
	}
	uint64_t fs = fs_base();
	for (unsigned i = 0; i < MPK_GATE_PAGES; i++)
		if (!pages[i].owner && __atomic_load_n(&pages[i].fsbase, __ATOMIC_ACQUIRE) == fs)
			gp = &pages[i];
	if (!gp && flexos__mpk_starting_up()) {
		gp = new_page(fs | 1);
		reset_page(gp, cur);
		__atomic_store_n(&gp->fsbase, fs, __ATOMIC_RELEASE);
	}
	if (!gp)
		flexos__abort(
		    "gate: this thread (FS base %#lx) has no gate page registered for it: "
		    "it was not made by the image's pthread_create (a raw clone, a "
		    "thread the C library made, or pthread_create called past "
		    "flexos-link's wrapper), so no compartment is known to run it",
		    (unsigned long)fs);
	if ((gp->cur & (MPK_SLOTS - 1)) != cur)
		flexos__abort(
		    "gate: this thread was made by compartment '%s' and first crosses a "
		    "gate as compartment '%s'; something jumped into the middle of a gate",
		    flexos__comp_name((int)(gp->cur & (MPK_SLOTS - 1))),
		    flexos__comp_name((int)cur));
	/*
	 * A page of a thread gone that had this owner (tid) is nobody's now,
	 * and its stacks go back to the pools (unless its thread still runs).
	 */
	for (unsigned i = 0; i < MPK_GATE_PAGES; i++) {
		uint64_t f = __atomic_load_n(&pages[i].fsbase, __ATOMIC_SEQ_CST);
		/*
		 * A page of this owner that a registration has marked: waited
		 * for (new_page clears its owner; register's own marks end),
		 * never passed over while it still names this owner.
		 */
		while (&pages[i] != gp && (f & 1) &&
		       __atomic_load_n(&pages[i].owner, __ATOMIC_SEQ_CST) == owner) {
			__builtin_ia32_pause();
			f = __atomic_load_n(&pages[i].fsbase, __ATOMIC_SEQ_CST);
		}
		/* (taken by its mark, as a registration takes a page: new_page) */
		if (&pages[i] != gp && pages[i].owner == owner && !(f & 1) &&
		    __atomic_compare_exchange_n(&pages[i].fsbase, &f, f | 1, false,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
			flexos__mpk_stacks_release_page(&pages[i]);
			pages[i].owner = 0;
			__atomic_store_n(&pages[i].fsbase, 0, __ATOMIC_SEQ_CST);
		}
	}
	/*
	 * The process too: in a child of fork() the tid is the parent's
	 * thread's (stacks.c). Bound before the owner: a page with an owner
	 * and no tid yet is not taken for a thread gone (new_page).
	 */
	__atomic_store_n(&gp->tid, (uint64_t)getpid() << 32 | (uint32_t)syscall(SYS_gettid),
			 __ATOMIC_SEQ_CST);
	__atomic_store_n(&gp->owner, owner, __ATOMIC_SEQ_CST);
	/* Its own context's state is its scheduler's to tell (thread_first). */
	flexos__mpk_first_set(gp, 0);
	gp->carry = carry_of(gp);
	/* The signal stack of this page: every thread has a page before it runs user code. */
	take_altstack(t, (size_t)(gp - pages));
	t->gp = gp;
	return gp;
}

struct mpk_gate_page *flexos__mpk_gp(void)
{
	struct mpk_thread *t = flexos__mpk_self();

	if (t->gp)
		return t->gp;
	uint64_t id = compartment_of_pkru(flexos__mpk_rdpkru());
	return flexos__mpk_claim(flexos__mpk_pkru[MPK_PKRU_OPEN / 4 + id]);
}

const struct mpk_gate_page *flexos__mpk_own_page(void)
{
	const struct mpk_gate_page *gp = flexos__mpk_thread.gp;
	uintptr_t a = (uintptr_t)gp;

	if (a >= flexos__mpk_ro.ro.gp_lo && a < flexos__mpk_ro.ro.gp_hi && !(a & 4095) &&
	    (!flexos__mpk_ro.ro.fsgsbase || gp->owner == thread_owner()))
		return gp;
	return NULL;
}

int flexos__mpk_page_cur(void)
{
	const struct mpk_gate_page *gp = flexos__mpk_own_page();

	return gp ? (int)(gp->cur & (MPK_SLOTS - 1)) : -1;
}

uint64_t flexos__mpk_page_owner(void)
{
	const struct mpk_gate_page *gp = flexos__mpk_own_page();

	return gp ? gp->owner : 0;
}

uint64_t flexos__mpk_cur(void)
{
	int cur = flexos__mpk_page_cur();

	return cur >= 0 ? (uint64_t)cur : compartment_of_pkru(flexos__mpk_rdpkru());
}

int flexos__mpk_shared_stacks(void)
{
	const struct flexos_image *img = flexos__mpk_ro.ro.runtime->image;

	return img->ncompartments && (img->compartments[0].flags & FLEXOS_COMP_SHARED_STACKS);
}

/*
 * For C code the gate runs with the page open: the gate validated the
 * page, TLS may have changed since; it must be this thread's page, as far
 * as the gate can tell (without FSGSBASE it cannot: limit 2).
 */
static void own_page_or_abort(const struct mpk_gate_page *gp, const char *who)
{
	uintptr_t a = (uintptr_t)gp;

	if (!gp || a < flexos__mpk_ro.ro.gp_lo || a >= flexos__mpk_ro.ro.gp_hi || (a & 4095) ||
	    (flexos__mpk_ro.ro.fsgsbase && gp->owner != thread_owner()))
		flexos__abort("%s: this thread has no gate page of its own (%#lx)", who,
			      (unsigned long)a);
}

void flexos__mpk_gate_slow(uint64_t callee)
{
	struct mpk_thread *t = flexos__mpk_self();
	struct mpk_gate_page *gp = t->gp;

	/* Only the private gate comes here: a keyed stack would break shared ones. */
	if (flexos__mpk_shared_stacks())
		flexos__abort("gate: the private-stack gate was entered in an image with "
			      "shared stacks");
	callee &= MPK_SLOTS - 1;
	if (callee >= flexos__mpk_ro.ro.ncomp)
		flexos__abort("gate: no compartment %lu in this image (%u compartments)",
			      (unsigned long)callee, flexos__mpk_ro.ro.ncomp);
	uintptr_t a = (uintptr_t)gp;
	own_page_or_abort(gp, "gate");
	if (gp->sp[callee])
		return;
	/* The stack is held by the thread running: a user-level thread's record, or the page. */
	const struct mpk_gate_page *rec = flexos__mpk_record(gp->urec);
	uint64_t holder = rec ? (uint64_t)rec : (uint64_t)a;
	char *top = (char *)flexos__mpk_stack_take(callee, holder);
	if (!top)
		flexos__abort("gate: no stack pool in compartment '%s'",
			      flexos__mpk_ro.ro.runtime->image->compartments[callee].name);
	t->stack_lo[callee] = (uintptr_t)top - MPK_STACK_SIZE;
	t->stack_hi[callee] = (uintptr_t)top;
	/* A gate entry expects rsp = 8 (mod 16), as right after a call. */
	gp->sp[callee] = (uint64_t)(uintptr_t)top - MPK_STACK_HEADROOM - 8;
}

/*
 * gate.S's flexos__mpk_home_stack, on the gate stack with the page open:
 * a stack of the pool of the compartment this thread's page names, held
 * by the page (given back with it, stacks.c), for its start routine
 * (pthread.c), so that its frames are not on glibc's stack, key 0. Only at
 * a thread's start: the OS thread's own context, no gate call in
 * progress; 0 in images with shared stacks (every stack is key 0 there).
 */
uintptr_t flexos__mpk_home_take(void)
{
	struct mpk_thread *t = flexos__mpk_self();
	struct mpk_gate_page *gp = t->gp;
	uintptr_t a = (uintptr_t)gp;

	if (flexos__mpk_shared_stacks())
		return 0;
	own_page_or_abort(gp, "pthread_create");
	if (gp->depth || gp->urec)
		flexos__abort("pthread_create: a thread's start stack was asked for inside a gate "
			      "call or a scheduler thread (%lu gate calls, record %lu)",
			      (unsigned long)gp->depth, (unsigned long)gp->urec);
	uint64_t cur = gp->cur & (MPK_SLOTS - 1);
	char *top = (char *)flexos__mpk_stack_take(cur, (uint64_t)a);
	if (!top)
		flexos__abort("pthread_create: no stack pool in compartment '%s'",
			      flexos__comp_name((int)cur));
	t->stack_lo[cur] = (uintptr_t)top - MPK_STACK_SIZE;
	t->stack_hi[cur] = (uintptr_t)top;
	return (uintptr_t)top - MPK_STACK_HEADROOM;
}

void flexos__mpk_gate_violation(uint64_t written, uint64_t id)
{
	flexos__abort("gate: PKRU %#lx written for compartment %lu is not that "
		      "compartment's; something jumped into the middle of a gate",
		      (unsigned long)written, (unsigned long)id);
}

size_t flexos__mpk_stack_ranges(struct flexos__range *out, size_t max)
{
	unsigned n = __atomic_load_n(&nstacks, __ATOMIC_RELAXED);
	size_t k = 0;

	for (unsigned i = 0; i < n && i < MAX_STACKS && k < max; i++) {
		uintptr_t hi = __atomic_load_n(&stacks[i].hi, __ATOMIC_ACQUIRE);
		/* The guard page below belongs to the stack's mapping too, and what is above. */
		out[k++] = (struct flexos__range){
		    stacks[i].lo - (uintptr_t)sysconf(_SC_PAGESIZE),
		    hi + (flexos__asan_key_stack_shadow ? ASAN_STACK_ABOVE : 0)};
	}
	return k + flexos__mpk_pool_ranges(out + k, max - k);
}

int flexos__backend_stack_owner(uintptr_t a, const char **what)
{
	unsigned n = __atomic_load_n(&nstacks, __ATOMIC_RELAXED);

	if (a >= flexos__mpk_ro.ro.gp_lo && a < flexos__mpk_ro.ro.gp_hi) {
		*what = "the gate's per-thread state (gate key: no compartment may write it)";
		return -1;
	}
	if (flexos__mpk_ro.ro.gate_key && a >= flexos__mpk_ro.ro.carry_lo &&
	    a < flexos__mpk_ro.ro.carry_lo + (uintptr_t)MPK_GATE_PAGES * MPK_CARRY_SIZE) {
		*what = "the gate's carry pages, where calls' stack arguments and results cross "
			"(gate key: no compartment may write them)";
		return -1;
	}
	if (a >= flexos__mpk_ro.ro.rec_lo && a < flexos__mpk_ro.ro.rec_hi) {
		*what = "the scheduler's switch records (gate key: no compartment may write them)";
		return -1;
	}
	if (a >= flexos__mpk_ro.ro.threads &&
	    a < flexos__mpk_ro.ro.threads + (uintptr_t)MPK_THREADS_WORDS * sizeof(uint64_t)) {
		*what = "the index of the scheduler's switch records (gate key: no compartment may "
			"write it)";
		return -1;
	}

	for (unsigned i = 0; i < n && i < MAX_STACKS; i++) {
		uintptr_t hi = __atomic_load_n(&stacks[i].hi, __ATOMIC_ACQUIRE);
		if (a >= stacks[i].lo && a < hi) {
			*what = "stack";
			return stacks[i].owner;
		}
	}
	return flexos__mpk_pool_owner(a, what);
}

static int tag(const struct flexos_region *r, int prot, int key)
{
	if (r->end <= r->start)
		return 0;
	return pkey_mprotect((void *)r->start, r->end - r->start, prot, key) ? -errno : 0;
}

static int on_object(struct dl_phdr_info *info, size_t size, void *data)
{
	struct flexos_region *relro = data;
	long page = sysconf(_SC_PAGESIZE);

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_GNU_RELRO) {
			uintptr_t start = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
			uintptr_t end = start + info->dlpi_phdr[i].p_memsz;
			/* What the loader made read-only: whole pages. */
			relro->start = start & ~((uintptr_t)page - 1);
			relro->end = end & ~((uintptr_t)page - 1);
		}
	return 1; /* the first object is the image */
}

/*
 * Code compiled as position-independent (newlib, and libraries built
 * against it) reads some addresses, its own functions' included, from the
 * image's GOT, which the linker makes for the whole image: a newlib
 * compartment must be able to read it. The image is linked with -z now
 * (flexos-link), so the GOT is inside the RELRO segment, read-only once
 * relocated: that segment gets the shared key, read-only. It holds
 * addresses and the image's constant tables, no compartment's data
 * (compartments' .data.rel.ro are in their own sections).
 */
static int tag_relro(void)
{
	struct flexos_region relro = {0, 0};

	dl_iterate_phdr(on_object, &relro);
	if (relro.end <= relro.start) {
		flexos__say("the image has no read-only GOT (PT_GNU_RELRO), which its newlib "
			    "compartments need; relink it with flexos-link");
		return -ENOEXEC;
	}
	return tag(&relro, PROT_READ, flexos__mpk_ro.ro.shared_key);
}

/*
 * The shared section of constants (string literals), from the symbols the
 * fragment defines; weak, so that an image linked without it has none.
 */
extern const char flexos__constants_start[] __asm__(FLEXOS_CONSTANTS_START) __attribute__((weak));
extern const char flexos__constants_end[] __asm__(FLEXOS_CONSTANTS_END) __attribute__((weak));

/* Key 0 is denied to newlib compartments: the literals they share need the shared key. */
static int tag_constants(void)
{
	struct flexos_region r = {(uintptr_t)flexos__constants_start,
				  (uintptr_t)flexos__constants_end};

	if (r.end <= r.start)
		return 0;
	return tag(&r, PROT_READ, flexos__mpk_ro.ro.shared_key);
}

/* Their ASan shadow, which a newlib compartment built with asan reads. */
static int key_shared_shadow(const struct flexos_runtime *rt)
{
	const struct flexos_region r[] = {
	    rt->image->shared,
	    rt->shared_heap,
	    {(uintptr_t)flexos__constants_start, (uintptr_t)flexos__constants_end},
	};

	if (!flexos__asan_key_shared_shadow)
		return 0;
	return flexos__asan_key_shared_shadow(r, sizeof(r) / sizeof(r[0]), flexos__mpk_ro.ro.shared_key);
}

/*
 * The heap of the forking thread's compartment, locked from fork()'s
 * prepare to its parent and child handlers: a thread that held its lock
 * at the fork does not exist in the child, whose next allocation there
 * would spin forever (Redis forks for BGSAVE while its bio threads
 * free). The runtime does the same for the shared heap. Another
 * compartment's heap is out of this thread's reach (its key): a thread
 * allocating there at the fork can still leave it locked in the child,
 * which then ends with a report at its first allocation there
 * (flexos__heap_forked; docs/threat-model.md).
 */
static struct flexos__heap *fork_heap(void)
{
	/*
	 * Found again by each handler, from the gate page (gate key): a
	 * pointer kept between them in TLS (key 0) could be rewritten by
	 * another compartment's thread into one to any word, which the
	 * unlock would then write.
	 */
	return flexos__heap_of((int)flexos__mpk_cur());
}

static void fork_prepare(void)
{
	flexos__mpk_self(); /* a thread's first call sets up its state */
	flexos__heap_lock(fork_heap());
}

static void fork_release(void)
{
	flexos__heap_unlock(fork_heap());
}

static void fork_child(void)
{
	fork_release();
	flexos__heap_forked();
}

/*
 * Without FSGSBASE (Linux before 5.9, or booted with 'nofsgsbase') the
 * gate cannot compare a gate page's owner with the running thread on
 * each crossing without a system call, so a compromised compartment can
 * point its TLS at another thread's gate page and cross gates on that
 * thread's state (docs/threat-model.md, limit 2). The image refuses to
 * run with that hole unless whoever starts it accepts it, read before
 * any compartment runs.
 */
/*
 * Whether whoever starts the image accepted a known hole, with VAR=accept
 * in its environment (read before any compartment runs); if so, says so:
 * "WHY; running as asked (VAR=accept): WHAT".
 */
static bool hole_accepted(const char *var, const char *why, const char *what)
{
	const char *v = secure_getenv(var);

	if (!v || strcmp(v, "accept"))
		return false;
	flexos__say("%s; running as asked (%s=accept): %s", why, var, what);
	return true;
}

static void refuse_without_fsgsbase(const struct flexos_image *img)
{
	if ((getauxval(AT_HWCAP2) & 2) ||
	    hole_accepted("FLEXOS_MPK_NO_FSGSBASE", "this kernel does not enable FSGSBASE",
			  "a compartment can cross gates on another thread's gate state "
			  "(docs/threat-model.md, limit 2)"))
		return;
	flexos__die(FLEXOS_EXIT_SETUP,
		    "this kernel does not enable FSGSBASE (Linux before 5.9, or booted with "
		    "'nofsgsbase'), without which the intel-mpk gate cannot check on each "
		    "crossing that a thread's gate state is its own: a compromised compartment "
		    "could cross gates on another thread's saved stacks (docs/threat-model.md, "
		    "limit 2). Run the image on Linux 5.9 or later without 'nofsgsbase', relink "
		    "it with mechanism 'process' in %s, or accept that hole with "
		    "FLEXOS_MPK_NO_FSGSBASE=accept in its environment",
		    img->config_path);
}

/*
 * The gate key (gate pages, report stack, signal handler table), the
 * nonce's key (signal returns, the clone site) and the copy key (the
 * copies of signal frames) come after the compartments' keys: an image
 * with too many compartments leaves none, and those would be key 0, the
 * gate key or missing (docs/threat-model.md, limits 2, 6 and 9). It refuses to run so unless
 * whoever starts it accepts that.
 */
static void refuse_without_runtime_keys(const struct flexos_image *img, bool have)
{
	if (have || hole_accepted("FLEXOS_MPK_FEWER_KEYS",
				  "no protection key is left for the gate's state, the "
				  "signal-return nonce or the copies of signal frames",
				  "they are unprotected, and so are the table of who holds which "
				  "thread stack, the gate stacks and the scheduler's callback "
				  "records, and the registers of an interrupted compartment "
				  "(docs/threat-model.md, limits 2, 6, 9, 13 and 14)"))
		return;
	unsigned shared = flexos__mpk_ro.ro.shared_key ? 1 : 0;
	flexos__die(FLEXOS_EXIT_SETUP,
		    "%u compartments%s leave no protection key for the gate's own state, the "
		    "signal-return nonce and the copies of signal frames (the CPU has 15 keys; "
		    "this image needs %u: one per compartment, %sthree for the runtime), which "
		    "would then be unprotected (docs/threat-model.md, limits 2, 6 and 9). Put "
		    "compartments together in %s (intel-mpk takes at most %u here), or accept "
		    "that with FLEXOS_MPK_FEWER_KEYS=accept in the image's environment",
		    img->ncompartments, shared ? " and the shared key" : "",
		    img->ncompartments + shared + 3,
		    shared ? "one shared by newlib compartments, " : "", img->config_path,
		    12 - shared);
}

static int mpk_init(const struct flexos_runtime *rt)
{
	const struct flexos_image *img = rt->image;
	int err;

	flexos__mpk_ro.ro.runtime = rt;
	flexos__mpk_ro.ro.ncomp = img->ncompartments;
	if (has_newlib(img) && (flexos__mpk_ro.ro.shared_key = pkey_alloc(0, 0)) < 0)
		flexos__die(FLEXOS_EXIT_SETUP,
			    "this CPU or kernel has no memory protection keys (pkey_alloc: %s), "
			    "which the intel-mpk backend needs; the image never runs "
			    "unprotected. Relink it with mechanism 'none' or 'process' in %s, "
			    "or run it where PKU works, or under emulated PKU: flexos-run -- IMAGE",
			    flexos__strerror(errno), img->config_path);
	for (uint32_t id = 0; id < img->ncompartments; id++) {
		/* flexos-link enforces this; a hand-made table must not mix the modes. */
		if ((img->compartments[id].flags ^ img->compartments[0].flags) &
		    FLEXOS_COMP_SHARED_STACKS)
			flexos__die(FLEXOS_EXIT_SETUP,
				    "%s: compartments '%s' and '%s' use different stack modes, "
				    "which is per image; relink the image with flexos-link",
				    img->config_path, img->compartments[0].name,
				    img->compartments[id].name);
		int key = pkey_alloc(0, 0);
		if (key < 0 && id == 0)
			flexos__die(FLEXOS_EXIT_SETUP,
				    "this CPU or kernel has no memory protection keys "
				    "(pkey_alloc: %s), which the intel-mpk backend needs; the "
				    "image never runs unprotected. Relink it with mechanism "
				    "'none' or 'process' in %s, or run it where PKU works, "
				    "or under emulated PKU: flexos-run -- IMAGE",
				    flexos__strerror(errno), img->config_path);
		if (key < 0)
			flexos__die(FLEXOS_EXIT_SETUP,
				    "cannot allocate a protection key for compartment '%s' "
				    "(pkey_alloc: %s); %u compartments need %u keys of the 15 "
				    "the CPU has, and something else took some",
				    img->compartments[id].name, flexos__strerror(errno),
				    img->ncompartments, img->ncompartments);
		flexos__mpk_ro.ro.keys[id] = key;
	}
	refuse_without_fsgsbase(img);
	/* Before the PKRU table: every compartment's PKRU says what it may do with it. */
	int gate_key = pkey_alloc(0, 0);
	flexos__mpk_ro.ro.gate_key = gate_key > 0 ? (uint32_t)gate_key : 0;
	/* And the key of the sigreturn nonce (signal.c), which no compartment opens. */
	int nonce_key = pkey_alloc(0, 0);
	flexos__mpk_ro.ro.nonce_key = nonce_key > 0 ? nonce_key : 0;
	/* And the key of the signal frames' copies (signal.c), which no compartment opens either.
	 */
	int copy_key = pkey_alloc(0, 0);
	flexos__mpk_ro.ro.copy_key = copy_key > 0 ? copy_key : 0;
	refuse_without_runtime_keys(img, gate_key > 0 && nonce_key > 0 && copy_key > 0);
	for (uint32_t id = 0; id < MPK_PKRU_OPEN / 4; id++)
		flexos__mpk_pkru[id] =
		    id < img->ncompartments
			? pkru_of(flexos__mpk_ro.ro.keys[id], img->compartments[id].flags)
			: MPK_PKRU_KEY0_ONLY;
	/* A host may also read and write its sandboxes' memory: their keys open too. */
	for (uint32_t id = 0; id < img->ncompartments; id++) {
		uint32_t flags = img->compartments[id].flags;
		uint32_t host = FLEXOS_COMP_HOST(flags);
		if (!(flags & FLEXOS_COMP_SANDBOX))
			continue;
		if (host >= img->ncompartments || host == id)
			flexos__die(FLEXOS_EXIT_SETUP,
				    "the compartment table names host %u for sandbox '%s'; relink "
				    "the image with flexos-link",
				    host, img->compartments[id].name);
		flexos__mpk_pkru[host] &= ~(3u << (2 * flexos__mpk_ro.ro.keys[id]));
	}
	uint32_t open_mask = ~(3u | (2u << (2 * flexos__mpk_ro.ro.gate_key)));
	flexos__mpk_pkru[MPK_PKRU_OPEN_MASK / 4] = open_mask;
	__builtin_cpu_init(); /* (this may run before libgcc's constructor) */
	flexos__mpk_pkru[MPK_PKRU_AVX / 4] = __builtin_cpu_supports("avx") ? 1 : 0;
	/* (libgcc's check includes the kernel's: XCR0's opmask and ZMM bits) */
	flexos__mpk_pkru[MPK_PKRU_AVX512 / 4] =
	    __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") ? 1 : 0;
	flexos__mpk_pkru[MPK_PKRU_X87_ZERO / 4] = 0;
	for (uint32_t id = 0; id < MPK_SLOTS; id++)
		flexos__mpk_pkru[MPK_PKRU_OPEN / 4 + id] = flexos__mpk_pkru[id] & open_mask;

	for (uint32_t id = 0; id < img->ncompartments; id++) {
		const struct flexos_compartment *c = &img->compartments[id];
		int key = flexos__mpk_ro.ro.keys[id];
		/* .text needs no key: MPK does not guard instruction fetch. */
		if ((err = tag(&c->regions[FLEXOS_REGION_RODATA], PROT_READ, key)) ||
		    (err = tag(&c->regions[FLEXOS_REGION_DATA], PROT_READ | PROT_WRITE, key)) ||
		    (err = tag(&c->regions[FLEXOS_REGION_BSS], PROT_READ | PROT_WRITE, key)) ||
		    (err = tag(&rt->heaps[id], PROT_READ | PROT_WRITE, key)) ||
		    (flexos__asan_key_shadow && (err = flexos__asan_key_shadow(id, key)))) {
			flexos__say("cannot tag the memory of compartment '%s' with key %d: %s",
				    c->name, key, flexos__strerror(-err));
			return err;
		}
	}
	for (uint32_t i = 0; i < rt->nshlib_regions; i++) {
		const struct flexos_shlib_region *r = &rt->shlib_regions[i];
		if (r->kind != FLEXOS_SHLIB_DATA)
			continue;
		if ((err = tag(&r->range, PROT_READ | PROT_WRITE,
			       flexos__mpk_ro.ro.keys[r->compartment]))) {
			flexos__say("cannot tag a shared library's data (%#lx) for compartment "
				    "'%s': %s",
				    (unsigned long)r->range.start,
				    img->compartments[r->compartment].name, flexos__strerror(-err));
			return err;
		}
	}
	/*
	 * The shared libraries of compartments have destructors (crtstuff's,
	 * at least) that _dl_fini would run after main, in the compartment
	 * that called exit: the runtime takes them and runs them in their
	 * compartments (the gate's runtime crossing, from the PKRU table's
	 * page below), so that their data keeps its key, inside the
	 * filter's range rules, until the process ends.
	 */
	if (rt->nshlib_regions && (err = flexos__shlib_take_fini()))
		return err;
	for (uint32_t id = 0; id < img->ncompartments && id < MPK_SLOTS; id++) {
		void (*fini)(void) = flexos__fini_of(id);
		memcpy((char *)flexos__mpk_pkru + MPK_PKRU_FINI + 8 * id, &fini, sizeof(fini));
	}
	/* Read-only once main's start is on it too (mpk_run_main). */
	if (pkey_mprotect(flexos__mpk_pkru, sizeof(flexos__mpk_pkru), PROT_READ | PROT_WRITE,
			  flexos__mpk_ro.ro.shared_key))
		return -errno;
	/* Newlib compartments deny key 0: what they share needs the shared key. */
	if (flexos__mpk_ro.ro.shared_key &&
	    ((err = tag(&img->shared, PROT_READ | PROT_WRITE, flexos__mpk_ro.ro.shared_key)) ||
	     (err = tag(&rt->shared_heap, PROT_READ | PROT_WRITE, flexos__mpk_ro.ro.shared_key)) ||
	     (err = tag_relro()) || (err = tag_constants()) || (err = key_shared_shadow(rt)))) {
		flexos__say("cannot tag the shared memory with key %d: %s",
			    flexos__mpk_ro.ro.shared_key, flexos__strerror(-err));
		return err;
	}

	/* Before the backend's state is read-only (fault.c): the copies' bounds are in it. */
	if ((err = flexos__mpk_unwind_tables_copy(&flexos__mpk_ro.ro)))
		return err;
	if ((err = flexos__mpk_fault_init(rt)))
		return err;
	/* After the gate key (fault.c), before the filter: the thread stacks' pool. */
	if (!flexos__mpk_shared_stacks() && (err = flexos__mpk_stacks_init(img->ncompartments)))
		return err;
	if ((err = pthread_atfork(fork_prepare, fork_release, fork_child)))
		return -err;
	flexos__mpk_gp();
	return 0;
}

static void install_filter(void)
{
	/*
	 * For tools that trace the image from inside it (tests/mpk/attack
	 * --count single-steps a gate from a forked child): a choice of who
	 * starts the image, read before any compartment runs. A compartment
	 * cannot turn the filter off later: filters survive execve.
	 */
	const char *off = secure_getenv("FLEXOS_MPK_SYSCALL_FILTER");
	if (off && !strcmp(off, "off")) {
		flexos__say(
		    "the intel-mpk system-call filter is off (FLEXOS_MPK_SYSCALL_FILTER=off): "
		    "compartments can ask the kernel for each other's memory");
		return;
	}
	int err = flexos__mpk_filter_install(flexos__mpk_ro.ro.runtime);

	if (err)
		flexos__die(FLEXOS_EXIT_SETUP,
			    "the intel-mpk backend cannot confine system calls (%s), and the "
			    "image never runs unprotected",
			    flexos__strerror(-err));
}

/*
 * Isolation starts with main's thread alone. A thread made before the
 * backend's start-up (by a shared library's constructor, which runs
 * before it) has no gate page, so no compartment is known to run it, and
 * it keeps glibc's robust-futex list and rseq area, which every other
 * thread drops before the filter (docs/threat-model.md, limit 7): the
 * image does not start.
 */
static void alone_at_start(void)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC), n = -1;
	ssize_t len = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	const char *line = NULL;

	if (fd >= 0)
		close(fd);
	if (len > 0) {
		buf[len] = 0;
		line = strstr(buf, "\nThreads:");
	}
	if (line)
		n = atoi(line + strlen("\nThreads:"));
	if (n == 1)
		return;
	if (n < 1)
		flexos__die(
		    FLEXOS_EXIT_SETUP,
		    "cannot tell from /proc/self/status whether threads made before main "
		    "run (mount /proc): a thread made before isolation starts would keep "
		    "glibc's robust-futex list and rseq area (docs/threat-model.md, limit 7)");
	flexos__die(FLEXOS_EXIT_SETUP,
		    "%d threads run where isolation starts, before main: one was made before "
		    "the backend's start-up (a shared library's constructor?), with no gate page, "
		    "glibc's robust-futex list and rseq area kept; make it from main or later "
		    "(docs/threat-model.md, limit 7)",
		    n);
}

static int mpk_run_main(int (*main_fn)(int, char **, char **), int argc, char **argv, char **envp)
{
	uint32_t def = flexos__mpk_ro.ro.runtime->image->default_id;
	struct mpk_thread *t = flexos__mpk_self();
	struct mpk_gate_page *gp = flexos__mpk_gp();
	struct mpk_main m = {main_fn, argv, envp, 0, (uint32_t)argc, def};

	if (flexos__mpk_shared_stacks()) {
		/* main stays on the process's stack, key 0 like every stack. */
		m.stack = ((uintptr_t)__builtin_frame_address(0) - 4096) & ~(uintptr_t)15;
	} else {
		char *top = map_stack(MPK_MAIN_STACK_SIZE, (int)def);
		if (!top)
			flexos__die(FLEXOS_EXIT_SETUP,
				    "cannot allocate main's stack in compartment "
				    "'%s': %s",
				    flexos__mpk_ro.ro.runtime->image->compartments[def].name,
				    flexos__strerror(errno));
		t->stack_lo[def] = (uintptr_t)top - MPK_MAIN_STACK_SIZE;
		t->stack_hi[def] = (uintptr_t)top;
		m.stack = (uintptr_t)top - MPK_STACK_HEADROOM;
	}
	gp->cur = def;
	/*
	 * main's thread gets its stack in every compartment now rather than
	 * at its first gate there (from the pool, which the filter's range
	 * rules cover, as every thread's).
	 */
	if (!flexos__mpk_shared_stacks())
		for (uint32_t id = 0; id < flexos__mpk_ro.ro.runtime->image->ncompartments; id++)
			if (id != def)
				flexos__mpk_gate_slow(id);
	memcpy((char *)flexos__mpk_pkru + MPK_PKRU_MAIN, &m, sizeof(m));
	if (pkey_mprotect(flexos__mpk_pkru, sizeof(flexos__mpk_pkru), PROT_READ,
			  flexos__mpk_ro.ro.shared_key))
		flexos__die(FLEXOS_EXIT_SETUP, "cannot make the PKRU table read-only: %s",
			    flexos__strerror(errno));
	/*
	 * The runtime's state that start-up wrote (runtime.h: the heaps,
	 * malloc's route), read-only from now on, with the key it has (0):
	 * every compartment reads it, none writes it, and the filter's range
	 * rule over the image keeps it so. A write is reported (fault.c).
	 */
	/*
	 * The fault report prints return addresses only in the code loaded
	 * so far (runtime.h): the filter refuses new executable mappings.
	 */
	flexos__ro.s.symbols.code_final = 1;
	if (mprotect(&flexos__ro, sizeof(flexos__ro), PROT_READ))
		flexos__die(FLEXOS_EXIT_SETUP, "cannot make the runtime's state read-only: %s",
			    flexos__strerror(errno));
	flexos__mpk_unwinder_seal();
	alone_at_start();
	/* Last: the filter denies pkey_mprotect over the image. */
	install_filter();
	flexos__mpk_start_main();
}

static int mpk_current(void)
{
	flexos__mpk_self(); /* a thread's first allocation gives up rseq (drop_rseq) */
	return (int)flexos__mpk_cur();
}

const struct flexos_backend flexos__backend = {
    .mechanism = FLEXOS_MECH_MPK,
    .init = mpk_init,
    .run_main = mpk_run_main,
    .current = mpk_current,
    .thread_state_size = sizeof(struct mpk_uthread),
    .thread_init = flexos__mpk_thread_init,
    .thread_switch = flexos__mpk_thread_switch,
    .thread_resume = flexos__mpk_thread_resume,
    .thread_exit = flexos__mpk_thread_exit,
    .thread_result = flexos__mpk_thread_result,
    .thread_detach = flexos__mpk_thread_detach,
    .thread_fini = flexos__mpk_thread_fini,
    .thread_first = flexos__mpk_thread_first,
    .thread_running = flexos__mpk_thread_running,
    .callback_bind = flexos__mpk_callback_bind,
    .callback_take = flexos__mpk_cb_take,
    .callback_unbind = flexos__mpk_callback_unbind,
    .gate_newlib = flexos__backend_gate_newlib,
};
