/*
 * Gates as RPCs over shared memory.
 *
 * A thread's first gate gives it a call chain: one lane per compartment in
 * the control block. A call into compartment B writes the request into the
 * chain's lane for B and wakes the chain's server thread there (each
 * process runs one server thread per chain that entered it, created on
 * demand by the process's dispatcher). The caller then waits on its own
 * lane, where either the return arrives or a call back into its
 * compartment (a callback, a nested gate), which it serves in place. A
 * waiter spins briefly before it sleeps on the lane's futex.
 */
#include "autoconfig.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <flexos/flexos.h>

#include "common.h"
#include "process.h"

unsigned flexos__proc_spin = 4000;
unsigned flexos__proc_ncpu = 1;

/* The chain of this thread, plus one so that 0 means none. */
static __thread unsigned my_chain;
static pthread_key_t chain_key;
static pthread_once_t chain_key_once = PTHREAD_ONCE_INIT;

void flexos__futex_wait(uint32_t *word, uint32_t val, long timeout_ms)
{
	struct timespec ts = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
	syscall(SYS_futex, word, FUTEX_WAIT, val, timeout_ms >= 0 ? &ts : NULL, NULL, 0);
}

void flexos__futex_wake(uint32_t *word, int n)
{
	syscall(SYS_futex, word, FUTEX_WAKE, n, NULL, NULL, 0);
}

static inline void cpu_relax(void)
{
	__builtin_ia32_pause();
}

/*
 * Output must reach the terminal in the order it was written, though each
 * process has its own stdio buffers: whoever hands the chain to another
 * process flushes first. Peeking at the buffer pointers keeps this at two
 * loads when nothing is pending.
 */
static inline void flush_stdio(void)
{
	if (stdout->_IO_write_ptr != stdout->_IO_write_base)
		fflush(stdout);
	if (stderr->_IO_write_ptr != stderr->_IO_write_base)
		fflush(stderr);
}

static void post(struct flexos__lane *l, uint32_t word)
{
	__atomic_store_n(&l->word, word, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&l->sleeping, __ATOMIC_SEQ_CST))
		flexos__futex_wake(&l->word, 1);
}

/* Whether a waiter must stop and look at the image or its callee. */
static inline int disturbed(int callee, uint32_t gen)
{
	struct flexos__control *ctl = flexos__proc_ctl;
	if (__atomic_load_n(&ctl->end, __ATOMIC_ACQUIRE))
		return 1;
	return callee >= 0 && __atomic_load_n(&ctl->comp[callee].gen, __ATOMIC_ACQUIRE) != gen;
}

/*
 * Waits until the lane holds a message, or the callee's process died, or
 * the image is ending. Returns the lane word, or LANE_POKE for the last two.
 */
static uint32_t wait_lane(struct flexos__lane *l, int callee, uint32_t gen)
{
	uint32_t w, *spinners = &flexos__proc_ctl->spinners;

	/* Spinning only pays while every spinner has a CPU to itself. */
	if (__atomic_add_fetch(spinners, 1, __ATOMIC_RELAXED) <= flexos__proc_ncpu) {
		for (unsigned i = 0; i < flexos__proc_spin; i++) {
			w = __atomic_load_n(&l->word, __ATOMIC_ACQUIRE);
			if (w != LANE_IDLE) {
				__atomic_sub_fetch(spinners, 1, __ATOMIC_RELAXED);
				return w;
			}
			if ((i & 63) == 63 && disturbed(callee, gen))
				break;
			cpu_relax();
		}
	}
	__atomic_sub_fetch(spinners, 1, __ATOMIC_RELAXED);
	for (;;) {
		__atomic_store_n(&l->sleeping, 1, __ATOMIC_SEQ_CST);
		w = __atomic_load_n(&l->word, __ATOMIC_SEQ_CST);
		if (w == LANE_IDLE && !disturbed(callee, gen))
			/* The timeout only bounds a missed poke of the supervisor. */
			flexos__futex_wait(&l->word, LANE_IDLE, 200);
		__atomic_store_n(&l->sleeping, 0, __ATOMIC_RELAXED);
		w = __atomic_load_n(&l->word, __ATOMIC_ACQUIRE);
		if (w != LANE_IDLE)
			return w;
		if (disturbed(callee, gen))
			return LANE_POKE;
	}
}

/* The sizes a stub's %r10 gives (<flexos/backend.h>), in bytes. */
static inline uint32_t carry_field(uint64_t r10, unsigned shift)
{
	return (uint32_t)((r10 >> shift) & FLEXOS_GATE_FIELD_MASK) * 8;
}

typedef struct flexos__proc_pair (*int_fn)(long, long, long, long, long, long);

static const struct flexos_entry *entries;
static uint32_t nentries, ncomp;

/* The image's entries sorted by address, with their indices: the caller's lookup. */
struct entry_key {
	uintptr_t fn;
	uint32_t compartment;
	uint32_t index;
};
static struct entry_key *by_fn;

static int key_cmp(const void *a, const void *b)
{
	const struct entry_key *x = a, *y = b;
	if (x->fn != y->fn)
		return x->fn < y->fn ? -1 : 1;
	return x->compartment < y->compartment ? -1 : x->compartment > y->compartment;
}

int flexos__proc_entry_init(const struct flexos_image *img)
{
	entries = img->entries;
	nentries = img->nentries;
	ncomp = img->ncompartments;
	by_fn = calloc(nentries ? nentries : 1, sizeof(*by_fn));
	if (!by_fn)
		return -ENOMEM;
	for (uint32_t i = 0; i < nentries; i++)
		by_fn[i] = (struct entry_key){entries[i].fn, entries[i].compartment, i};
	qsort(by_fn, nentries, sizeof(*by_fn), key_cmp);
	return 0;
}

/* The runtime's own crossing: what a compartment runs at exit (flexos__fini_of). */
#define ENTRY_NEWLIB_FINI ((uint32_t)INT32_MAX)

int32_t flexos__proc_entry_of(uintptr_t fn, uint32_t callee)
{
	struct entry_key key = {fn, callee, 0};
	const struct entry_key *k = bsearch(&key, by_fn, nentries, sizeof(*by_fn), key_cmp);
	if (k)
		return (int32_t)k->index;
	if (fn && fn == (uintptr_t)flexos__fini_of(callee))
		return (int32_t)ENTRY_NEWLIB_FINI;
	return -1;
}

/* A request this compartment must not serve: report it and end the image. */
static void refuse(const char *why, uint32_t entry, int from) __attribute__((__noreturn__));
static void refuse(const char *why, uint32_t entry, int from)
{
	flexos__say("compartment '%s' refused a request %s (entry %u, claimed caller %d '%s'): "
		    "a compartment forged a call through the shared lanes; the image ends",
		    flexos__comp_name(flexos__proc_self), why, entry, from,
		    flexos__comp_name(from));
	flexos__proc_end_image(FLEXOS_EXIT_FAULT);
	flexos__proc_handle_end();
}

static uintptr_t checked_target(uint32_t entry, int from, uint32_t sret_bytes,
				uint32_t stack_bytes)
{
	if (from < 0 || (uint32_t)from >= ncomp || from == flexos__proc_self)
		refuse("from a compartment that does not exist", entry, from);
	/* fork() of the image: only main's process asks for it (fork.c). */
	if (entry == FLEXOS__PROC_ENTRY_FORK &&
	    (uint32_t)from == flexos__runtime()->image->default_id)
		return (uintptr_t)flexos__proc_fork_serve;
	/* Known to this process from before any compartment ran. */
	if (entry == ENTRY_NEWLIB_FINI && flexos__fini_of((uint32_t)flexos__proc_self))
		return (uintptr_t)flexos__fini_of((uint32_t)flexos__proc_self);
	if (entry >= nentries)
		refuse("for an entry the image does not have", entry, from);
	const struct flexos_entry *e = &entries[entry];
	if (e->compartment != (uint32_t)flexos__proc_self)
		refuse("for an entry of another compartment", entry, from);
	if (!(e->callers & (1ULL << from)))
		refuse("for an entry its caller may not call", entry, from);
	if (sret_bytes > FLEXOS_GATE_MAX_CARRY || stack_bytes > FLEXOS_GATE_MAX_CARRY)
		refuse("that carries more than a gate can", entry, from);
	return e->fn;
}

/*
 * The registers a request and a reply carry through the lanes, which every
 * compartment's process maps: where the image's table knows the call's
 * registers (FLEXOS_ENTRY_REGS, <flexos/image.h>), only those the call
 * uses, as intel-mpk's gate clears the others (docs/threat-model.md,
 * limit 6): the caller's side zeroes the argument registers past the
 * arguments, %rax (not variadic) and the bits narrow arguments leave
 * unused (FLEXOS_NARROW_*); the callee's side the result registers the
 * result does not take and the rest of a narrow result's.
 */
static void narrow_xmm(unsigned char *x, int dword, int qword)
{
	if (dword)
		memset(x + 4, 0, 12);
	else if (qword)
		memset(x + 8, 0, 8);
}

static void clear_unused_args(struct flexos__proc_regs *r, uint32_t entry)
{
	if (entry >= nentries || !(entries[entry].flags & FLEXOS_ENTRY_REGS))
		return;
	uint32_t flags = entries[entry].flags, narrow = entries[entry].narrow;
	for (unsigned i = FLEXOS_ENTRY_NINT(flags); i < 6; i++)
		r->gpr[i] = 0;
	for (unsigned i = FLEXOS_ENTRY_NSSE(flags); i < 8; i++)
		memset(r->xmm[i], 0, sizeof(r->xmm[i]));
	r->rax = 0;
	for (unsigned i = 0; i < 6; i++)
		if (narrow & FLEXOS_NARROW_INT(i))
			r->gpr[i] = (long)(uint32_t)r->gpr[i];
	for (unsigned i = 0; i < 8; i++)
		narrow_xmm(r->xmm[i], narrow & FLEXOS_NARROW_D(i), narrow & FLEXOS_NARROW_Q(i));
}

/* The upper half of each stack argument of at most 4 bytes (narrow_stack), of the bytes carried. */
static void clear_narrow_stack(unsigned char *mem, uint32_t bytes, uint32_t entry)
{
	if (entry >= nentries || !(entries[entry].flags & FLEXOS_ENTRY_REGS))
		return;
	for (uint32_t i = 0; i < 32 && 8 * i + 8 <= bytes; i++)
		if (entries[entry].narrow_stack & (1u << i))
			memset(mem + 8 * i + 4, 0, 4);
}

static void clear_unused_results(struct flexos__proc_results *res, uint32_t entry)
{
	if (entry >= nentries || !(entries[entry].flags & FLEXOS_ENTRY_REGS))
		return;
	uint32_t flags = entries[entry].flags;
	if (!(flags & FLEXOS_ENTRY_RET_RAX))
		res->rax = 0;
	else if (flags & FLEXOS_ENTRY_RET_EAX)
		res->rax = (long)(uint32_t)res->rax;
	if (!(flags & FLEXOS_ENTRY_RET_RDX))
		res->rdx = 0;
	if (!(flags & FLEXOS_ENTRY_RET_XMM0))
		memset(res->xmm[0], 0, sizeof(res->xmm[0]));
	narrow_xmm(res->xmm[0], flags & FLEXOS_ENTRY_RET_XMM0_D, flags & FLEXOS_ENTRY_RET_XMM0_Q);
	if (!(flags & FLEXOS_ENTRY_RET_XMM1))
		memset(res->xmm[1], 0, sizeof(res->xmm[1]));
	uint32_t nx87 = flags & FLEXOS_ENTRY_RET_ST1 ? 2 : flags & FLEXOS_ENTRY_RET_ST0 ? 1 : 0;
	if (res->nx87 > nx87)
		res->nx87 = nx87;
	for (uint32_t i = res->nx87; i < 2; i++)
		memset(res->x87[i], 0, sizeof(res->x87[i]));
}

/* Whether this thread serves a request now: a fault report walks the callers. */
static int serving(void)
{
	const struct flexos__proc_calls *c = &flexos__proc_calls;
	for (unsigned k = 0; k < c->n && k < FLEXOS__PROC_LEVELS; k++)
		if (c->lv[k].serve)
			return 1;
	return 0;
}

/* The chain's gate calls in progress where this thread runs now. */
static inline uint32_t chain_depth(void)
{
	const struct flexos__proc_calls *c = &flexos__proc_calls;
	return c->n ? c->lv[c->n - 1].depth : 0;
}

static struct flexos__proc_level *push_level(uint32_t depth, int serve, int peer)
{
	struct flexos__proc_calls *c = &flexos__proc_calls;

	if (c->n >= FLEXOS__PROC_LEVELS)
		flexos__die(FLEXOS_EXIT_FAULT,
			    "compartment '%s' has %d gate calls and callbacks in progress in one "
			    "thread, nested, the most the process mechanism keeps track of; the "
			    "recursion across gates goes too deep",
			    flexos__comp_name(flexos__proc_self), FLEXOS__PROC_LEVELS);
	struct flexos__proc_level *lv = &c->lv[c->n++];
	lv->depth = depth;
	lv->serve = (uint8_t)serve;
	lv->peer = (uint8_t)peer;
	lv->resumable = 0;
	lv->checkpoint = 0;
	lv->serial = ++c->serial;
	return lv;
}

/*
 * Ends the levels from `to` on: returned, or abandoned by a jump. A wait
 * that saved its callee's memory (checkpoint.c) ends its checkpoint here,
 * so that an abandoned call does not keep it open.
 */
void flexos__proc_cut_levels(unsigned to)
{
	struct flexos__proc_calls *c = &flexos__proc_calls;

	while (c->n > to) {
		struct flexos__proc_level *lv = &c->lv[--c->n];
		if (!lv->serve && lv->checkpoint)
			flexos__proc_checkpoint_end(lv->peer);
	}
}

void flexos__proc_out_callers(void)
{
	struct flexos__control *ctl = flexos__proc_ctl;
	struct flexos__out o = {.n = 0};
	char fn[160];

	if (!ctl || !my_chain || !serving())
		return;
	unsigned chain = my_chain - 1;
	int origin = ctl->chains[chain].origin;
	int cur = flexos__proc_self;
	/*
	 * The callers' frames are in other processes. Each compartment's lane
	 * of this chain still holds the request it serves (a return writes
	 * only the result): follow them back to the thread that started the
	 * chain. Shared memory any compartment can write, so every index is
	 * checked, and the report says whose word it is.
	 */
	for (unsigned depth = 0; depth < ncomp + 1; depth++) {
		const struct flexos__lane *l = flexos__lane_of(chain, (unsigned)cur);
		int from = __atomic_load_n(&l->from, __ATOMIC_RELAXED);
		uint32_t entry = __atomic_load_n(&l->entry, __ATOMIC_RELAXED);
		if (from < 0 || (uint32_t)from >= ncomp)
			break;
		flexos__out_str(&o, "flexos:   ");
		flexos__out_comp(&o, cur);
		flexos__out_str(&o, " was called by ");
		flexos__out_comp(&o, from);
		if (entry < nentries) {
			flexos__describe_pc(fn, sizeof(fn), entries[entry].fn);
			flexos__out_str(&o, " through ");
			flexos__out_str(&o, fn);
		}
		flexos__out_str(&o, from == origin ? " (the chain's first caller)\n" : "\n");
		flexos__out_flush(&o);
		if (from == origin)
			break;
		cur = from;
	}
}

/*
 * Runs the request waiting in lane me, the chain's crossing `depth` (read
 * once from the lane by the caller, which checked it), then posts its
 * return to the caller.
 */
static void serve(unsigned chain, struct flexos__lane *me, uint32_t depth)
{
	struct flexos__control *ctl = flexos__proc_ctl;
	struct flexos__proc_results res = {0};
	struct flexos__proc_regs regs;
	unsigned char sret[FLEXOS_GATE_MAX_CARRY] __attribute__((aligned(16)));
	int from = me->from;
	uint32_t from_gen = me->from_gen;
	uint32_t sret_bytes = me->sret_bytes;
	uint32_t stack_bytes = me->stack_bytes;
	int int_only = me->int_only;
	uint32_t entry = me->entry;
	unsigned at = flexos__proc_calls.n;
	/*
	 * Everything in the lane is shared memory any compartment can write:
	 * take each field once, check it, and call only a target of the
	 * read-only entry table that this compartment serves and the caller
	 * may call.
	 */
	uintptr_t fn = checked_target(entry, from, sret_bytes, stack_bytes);
	push_level(depth, 1, from);

	/*
	 * The lane's stack window is read in place: until this call returns
	 * or calls out, nothing else of this chain can write to the lane.
	 * The sret result goes to a buffer of this process, which the
	 * callee may write, and travels back in the caller's lane.
	 */
	if (int_only) {
		long *a = regs.gpr;
		memcpy(a, me->regs.gpr, sizeof(regs.gpr));
		__atomic_store_n(&me->word, LANE_IDLE, __ATOMIC_RELEASE);
		struct flexos__proc_pair r = ((int_fn)fn)(a[0], a[1], a[2], a[3], a[4], a[5]);
		res.rax = r.rax;
		res.rdx = r.rdx;
	} else {
		memcpy(&regs, &me->regs, sizeof(regs));
		if (sret_bytes)
			regs.gpr[0] = (long)(uintptr_t)sret;
		__atomic_store_n(&me->word, LANE_IDLE, __ATOMIC_RELEASE);
		flexos__proc_call(fn, &regs, me->mem, stack_bytes, &res);
	}
	clear_unused_results(&res, entry);
	flexos__proc_calls.n = at;
	flush_stdio();
	/* A caller whose process died meanwhile is not waiting any more. */
	if (__atomic_load_n(&ctl->comp[from].gen, __ATOMIC_ACQUIRE) != from_gen)
		return;
	struct flexos__lane *back = flexos__lane_of(chain, (unsigned)from);
	if (int_only) {
		back->res.rax = res.rax;
		back->res.rdx = res.rdx;
	} else {
		back->res = res;
		if (sret_bytes)
			memcpy(back->mem, sret, sret_bytes);
	}
	back->depth = depth;
	post(back, LANE_RET);
}

/* Consumes a poke, and ends this process if the image is ending. */
static void consume_poke(struct flexos__lane *me)
{
	uint32_t poke = LANE_POKE;
	__atomic_compare_exchange_n(&me->word, &poke, LANE_IDLE, 0, __ATOMIC_ACQ_REL,
				    __ATOMIC_RELAXED);
	if (__atomic_load_n(&flexos__proc_ctl->end, __ATOMIC_ACQUIRE))
		flexos__proc_handle_end();
}

/* Asks the callee's dispatcher for a server thread of this chain. */
static void ensure_server(unsigned chain, uint32_t callee)
{
	struct flexos__chain *c = &flexos__proc_ctl->chains[chain];
	uint32_t none = SRV_NONE;

	if (__atomic_load_n(&c->server[callee], __ATOMIC_ACQUIRE) != SRV_NONE)
		return;
	if (!__atomic_compare_exchange_n(&c->server[callee], &none, SRV_WANTED, 0,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return;
	struct flexos__comp_state *cs = &flexos__proc_ctl->comp[callee];
	__atomic_add_fetch(&cs->spawn_seq, 1, __ATOMIC_SEQ_CST);
	flexos__futex_wake(&cs->spawn_seq, 1);
}

/* A chain ends with the thread that started it: its server threads end too. */
static void chain_release(void *arg)
{
	unsigned chain = (unsigned)(uintptr_t)arg - 1;
	struct flexos__control *ctl = flexos__proc_ctl;
	struct flexos__chain *c = &ctl->chains[chain];

	__atomic_store_n(&c->used, 2, __ATOMIC_RELEASE);
	for (uint32_t k = 0; k < flexos__proc_ncomp; k++)
		if ((int)k != c->origin &&
		    __atomic_load_n(&c->server[k], __ATOMIC_ACQUIRE) != SRV_NONE)
			post(flexos__lane_of(chain, k), LANE_EXIT);
	my_chain = 0;
}

static void make_key(void)
{
	pthread_key_create(&chain_key, chain_release);
}

static unsigned chain_alloc(void)
{
	struct flexos__control *ctl = flexos__proc_ctl;

	pthread_once(&chain_key_once, make_key);
	for (unsigned round = 0; round < 1000; round++) {
		for (unsigned i = 0; i < FLEXOS__PROC_MAX_LT; i++) {
			struct flexos__chain *c = &ctl->chains[i];
			uint32_t st = __atomic_load_n(&c->used, __ATOMIC_ACQUIRE);
			if (st == 1)
				continue;
			if (st == 2) {
				/* Draining: free once every server thread has gone. */
				int busy = 0;
				for (uint32_t k = 0; k < flexos__proc_ncomp; k++)
					if ((int)k != c->origin &&
					    __atomic_load_n(&c->server[k], __ATOMIC_ACQUIRE) !=
						    SRV_NONE)
						busy = 1;
				if (busy)
					continue;
			}
			if (!__atomic_compare_exchange_n(&c->used, &st, 1, 0, __ATOMIC_ACQ_REL,
							 __ATOMIC_RELAXED))
				continue;
			c->origin = flexos__proc_self;
			for (uint32_t k = 0; k < flexos__proc_ncomp; k++) {
				c->server[k] = SRV_NONE;
				flexos__lane_of(i, k)->word = LANE_IDLE;
				flexos__lane_of(i, k)->sleeping = 0;
			}
			c->server[flexos__proc_self] = SRV_RUNNING;
			pthread_setspecific(chain_key, (void *)(uintptr_t)(i + 1));
			return i + 1;
		}
		sched_yield();
	}
	flexos__abort("the process backend has no call chain left (%d threads make gates)",
		      FLEXOS__PROC_MAX_LT);
}

/*
 * The lane of callee in this thread's chain, for the caller to write its
 * request into (after fn, from and the flags, set here), or NULL when the
 * call is to be made directly: before the compartments exist, or into
 * this very process.
 */
static struct flexos__lane *request_lane(uint32_t callee, uintptr_t fn, const long *gpr, int first,
					 uint32_t int_only, uint32_t *entry_out)
{
	if (!flexos__proc_started || callee == (uint32_t)flexos__proc_self)
		return NULL;
	if (flexos__proc_fork_orphan)
		flexos__die(FLEXOS_EXIT_FAULT,
			    "gate to compartment '%s' in a child of fork() that has no compartments "
			    "(fork said why above)",
			    flexos__comp_name((int)callee));
	int32_t entry = flexos__proc_entry_of(fn, callee);
	if (entry < 0)
		flexos__abort("gate: %#lx is not an entry point of compartment '%s' (not a gate "
			      "target or callback flexos-link made); something jumped into the gate",
			      (unsigned long)fn, flexos__comp_name((int)callee));
	if (flexos__proc_check_pointers)
		flexos__proc_check_args(gpr, first, fn, callee,
					(uint32_t)entry < nentries ? entries[entry].flags : 0);
	if (!my_chain)
		my_chain = chain_alloc();
	struct flexos__lane *to = flexos__lane_of(my_chain - 1, callee);
	int self = flexos__proc_self;
	flush_stdio();
	to->entry = (uint32_t)entry;
	*entry_out = (uint32_t)entry; /* (not read back from the lane, which others map) */
	to->int_only = int_only;
	to->from = self;
	to->from_gen = __atomic_load_n(&flexos__proc_ctl->comp[self].gen, __ATOMIC_RELAXED);
	return to;
}

static inline void idle(struct flexos__lane *me)
{
	__atomic_store_n(&me->word, LANE_IDLE, __ATOMIC_RELEASE);
}

/*
 * A message came to this thread's lane that does not belong to the wait
 * at level `at` (a gate call into waiting_for): a jump in another process
 * abandoned that wait and the frames above it, as a longjmp over them
 * would in one process. Resumes at the outer wait the message belongs to
 * (a return: the wait for that call; a request: the innermost wait for a
 * call older than it), or at the server thread's loop; returns only after
 * dropping a stale return (its call's frames are gone already).
 */
static void resume_outer(struct flexos__lane *me, uint32_t w, uint32_t depth, unsigned at,
			 int waiting_for)
{
	struct flexos__proc_calls *c = &flexos__proc_calls;

	if (w == LANE_RET && depth > c->lv[at].depth) {
		idle(me);
		return;
	}
	for (unsigned k = at; k-- > 0;) {
		struct flexos__proc_level *lv = &c->lv[k];
		if (lv->serve)
			continue;
		if (w == LANE_RET ? lv->depth == depth : lv->depth < depth) {
			if (!lv->resumable)
				break;
			flexos__proc_cut_levels(k + 1);
			__builtin_longjmp(lv->ctx, 1);
		}
		if (lv->depth < depth)
			break;
	}
	if (w != LANE_RET && c->has_base) {
		flexos__proc_cut_levels(0);
		__builtin_longjmp(c->base, 1);
	}
	if (w == LANE_REQ) {
		int from = me->from;
		uint32_t entry = me->entry;
		/* A request that fails the usual checks is reported as they report it. */
		checked_target(entry, from, me->sret_bytes, me->stack_bytes);
		refuse("for a gate call older than any it waits in", entry, from);
	}
	flexos__say("compartment '%s' received the return of the chain's gate call %u, which "
		    "none of its frames waits for (it waits for its call %u, into compartment "
		    "'%s'): a compartment forged it, or lost track of its jumps; the image ends",
		    flexos__comp_name(flexos__proc_self), depth, c->lv[at].depth,
		    flexos__comp_name(waiting_for));
	flexos__proc_end_image(FLEXOS_EXIT_FAULT);
	flexos__proc_handle_end();
}

/*
 * Serves a request nested in the wait lv, which becomes a place to resume
 * at (resume_outer): the frames above it are abandoned when a message for
 * this wait comes while they run or wait.
 */
static __attribute__((noinline)) void serve_nested(unsigned chain, struct flexos__lane *me,
						   struct flexos__proc_level *lv, uint32_t depth)
{
	if (__builtin_setjmp(lv->ctx)) {
		lv->resumable = 0;
		return;
	}
	lv->resumable = 1;
	serve(chain, me, depth);
	lv->resumable = 0;
}

/*
 * Posts the request written in `to` and waits for its return, serving the
 * calls back into this compartment meanwhile. Returns this compartment's
 * lane, whose res (and mem, for sret) holds the return, which the caller
 * must read before calling idle(); or NULL when the callee crashed
 * (flexos__gate_error says how).
 */
static struct flexos__lane *exchange(uint32_t callee, struct flexos__lane *to)
{
	struct flexos__control *ctl = flexos__proc_ctl;
	struct flexos__proc_calls *calls = &flexos__proc_calls;
	unsigned chain = my_chain - 1;
	struct flexos__lane *me = flexos__lane_of(chain, (unsigned)flexos__proc_self);
	uint32_t gen = __atomic_load_n(&ctl->comp[callee].gen, __ATOMIC_ACQUIRE);
	unsigned at = calls->n;
	uint32_t depth = chain_depth() + 1;
	struct flexos__proc_level *lv = push_level(depth, 0, (int)callee);
	uint32_t e = to->entry;
	lv->checkpoint =
	    (uint8_t)(e < nentries && flexos__proc_checkpoint_begin(callee, entries[e].flags));

	to->depth = depth;
	post(to, LANE_REQ);
	ensure_server(chain, callee);
	for (;;) {
		uint32_t w = wait_lane(me, (int)callee, gen);
		if (w == LANE_RET || w == LANE_REQ) {
			uint32_t d = __atomic_load_n(&me->depth, __ATOMIC_RELAXED);
			if (w == LANE_RET && d == depth) {
				flexos__gate_error = 0;
				flexos__proc_cut_levels(at);
				return me;
			}
			if (w == LANE_REQ && d > depth)
				serve_nested(chain, me, lv, d);
			else
				resume_outer(me, w, d, at, (int)callee);
			continue;
		}
		if (w == LANE_EXIT) {
			/* The chain ended while this thread was in abandoned frames. */
			resume_outer(me, w, 0, at, (int)callee);
			continue;
		}
		consume_poke(me);
		if (__atomic_load_n(&ctl->comp[callee].gen, __ATOMIC_ACQUIRE) != gen) {
			/* The callee crashed and was restarted (on_crash: restart). */
			int st = __atomic_load_n(&ctl->comp[callee].exit_status, __ATOMIC_ACQUIRE);
			flexos__gate_error = WIFSIGNALED(st) ? WTERMSIG(st) : SIGKILL;
			flexos__proc_cut_levels(at);
			return NULL;
		}
	}
}

long flexos__proc_request_fork(uint32_t callee, long slot)
{
	if (!my_chain)
		my_chain = chain_alloc();
	struct flexos__lane *to = flexos__lane_of(my_chain - 1, callee);
	int self = flexos__proc_self;
	flush_stdio();
	to->entry = FLEXOS__PROC_ENTRY_FORK;
	to->int_only = 1;
	to->from = self;
	to->from_gen = __atomic_load_n(&flexos__proc_ctl->comp[self].gen, __ATOMIC_RELAXED);
	memset(to->regs.gpr, 0, sizeof(to->regs.gpr));
	to->regs.gpr[0] = slot;
	struct flexos__lane *me = exchange(callee, to);
	if (!me)
		return -ECHILD;
	long pid = me->res.rax;
	idle(me);
	return pid;
}

void flexos__proc_forget_chain(void)
{
	/* The chain's lanes are the parent image's: the child starts without one. */
	my_chain = 0;
	flexos__proc_calls.n = 0;
	if (chain_key_once != PTHREAD_ONCE_INIT)
		pthread_setspecific(chain_key, NULL);
}

void flexos__proc_gate(struct flexos__gate_frame *f, uintptr_t fn, uint64_t r10,
		       const void *stack_args)
{
	uint32_t callee = (uint32_t)(r10 & FLEXOS_GATE_ID_MASK);
	uint32_t stack_bytes = carry_field(r10, FLEXOS_GATE_STACK_SHIFT);
	uint32_t sret_bytes = carry_field(r10, FLEXOS_GATE_SRET_SHIFT);

	if (stack_bytes > FLEXOS_GATE_MAX_CARRY || sret_bytes > FLEXOS_GATE_MAX_CARRY)
		flexos__abort("gate: a stub asks to carry %u bytes of stack arguments and %u of "
			      "result, more than the %d flexos-link allows",
			      stack_bytes, sret_bytes, FLEXOS_GATE_MAX_CARRY);
	uint32_t entry = 0;
	struct flexos__lane *to =
	    request_lane(callee, fn, f->regs.gpr, sret_bytes ? 1 : 0, 0, &entry);
	if (!to) {
		/* In this process the callee writes the caller's sret pointer itself. */
		flexos__proc_call(fn, &f->regs, stack_args, stack_bytes, &f->res);
		return;
	}
	to->stack_bytes = stack_bytes;
	to->sret_bytes = sret_bytes;
	/* Cleared here, then written: the lane never holds what the call does not pass. */
	struct flexos__proc_regs regs = f->regs;
	clear_unused_args(&regs, entry);
	to->regs = regs;
	if (stack_bytes) {
		unsigned char mem[FLEXOS_GATE_MAX_CARRY] __attribute__((aligned(16)));
		memcpy(mem, stack_args, stack_bytes);
		clear_narrow_stack(mem, stack_bytes, entry);
		memcpy(to->mem, mem, stack_bytes);
	}
	struct flexos__lane *me = exchange(callee, to);
	if (!me) {
		memset(&f->res, 0, sizeof(f->res));
		f->res.rax = -1;
		return;
	}
	f->res = me->res;
	if (sret_bytes) {
		void *dst = (void *)(uintptr_t)f->regs.gpr[0];
		memcpy(dst, me->mem, sret_bytes);
		f->res.rax = (long)(uintptr_t)dst;
	}
	idle(me);
}

struct flexos__proc_pair flexos__proc_gate_int(const long *args, uintptr_t fn, uint32_t callee)
{
	uint32_t entry = 0;
	struct flexos__lane *to = request_lane(callee, fn, args, 0, 1, &entry);
	struct flexos__proc_pair r = {-1, 0};

	if (!to)
		return ((int_fn)fn)(args[0], args[1], args[2], args[3], args[4], args[5]);
	struct flexos__proc_regs regs;
	memcpy(regs.gpr, args, sizeof(regs.gpr));
	clear_unused_args(&regs, entry);
	memcpy(to->regs.gpr, regs.gpr, sizeof(regs.gpr));
	struct flexos__lane *me = exchange(callee, to);
	if (me) {
		r.rax = me->res.rax;
		r.rdx = me->res.rdx;
		idle(me);
	}
	return r;
}

/* ---- the server side ---------------------------------------------------- */

/*
 * The server thread's loop: also the place where a thread whose every
 * frame a jump abandoned (resume_outer) takes up the next request.
 */
static __attribute__((noinline)) void serve_loop(unsigned chain, struct flexos__lane *me)
{
	struct flexos__proc_calls *c = &flexos__proc_calls;

	__builtin_setjmp(c->base);
	c->has_base = 1;
	for (;;) {
		uint32_t w = wait_lane(me, -1, 0);
		if (w == LANE_REQ)
			serve(chain, me, __atomic_load_n(&me->depth, __ATOMIC_RELAXED));
		else if (w == LANE_EXIT)
			break;
		else if (w == LANE_POKE)
			consume_poke(me);
		else /* A stale return: its caller is gone. */
			idle(me);
	}
	c->has_base = 0;
}

/*
 * The starts and ends of this process's threads, held off while
 * flexos__proc_fork_serve clones the process. A raw clone copies the C
 * library's locks as they are (its fork() resets them, a raw clone does
 * not): one that a thread held in pthread_create or in its exit (the TLS
 * and stack lists') would stay held in the copy, and its dispatcher would
 * never start.
 */
static pthread_mutex_t lifecycle = PTHREAD_MUTEX_INITIALIZER;
/* Threads past thread_ends, still in the C library's exit path. */
#define MAX_ENDING 64
static pid_t ending[MAX_ENDING];
static unsigned nending;

/* Drops the ending threads the kernel no longer has; lifecycle held. */
static void forget_ended(int wait)
{
	pid_t pid = getpid();

	for (unsigned i = 0; i < nending;) {
		if (syscall(SYS_tgkill, pid, ending[i], 0) && errno == ESRCH)
			ending[i] = ending[--nending];
		else if (wait)
			sched_yield();
		else
			i++;
	}
}

/* The calling thread is about to return into the C library's thread exit. */
static void thread_ends(void)
{
	pthread_mutex_lock(&lifecycle);
	forget_ended(0);
	while (nending == MAX_ENDING) {
		pthread_mutex_unlock(&lifecycle);
		sched_yield();
		pthread_mutex_lock(&lifecycle);
		forget_ended(0);
	}
	ending[nending++] = (pid_t)syscall(SYS_gettid);
	pthread_mutex_unlock(&lifecycle);
}

void flexos__proc_threads_hold(void)
{
	pthread_mutex_lock(&lifecycle);
	forget_ended(1);
}

void flexos__proc_threads_release(int in_copy)
{
	if (in_copy)
		nending = 0;
	pthread_mutex_unlock(&lifecycle);
}

static void *server_main(void *arg)
{
	unsigned chain = (unsigned)(uintptr_t)arg;
	struct flexos__lane *me = flexos__lane_of(chain, (unsigned)flexos__proc_self);
	struct flexos__chain *c = &flexos__proc_ctl->chains[chain];

	sigset_t none;
	/* Faults must reach the fault handler; the dispatcher blocks all. */
	sigemptyset(&none);
	pthread_sigmask(SIG_SETMASK, &none, NULL);
	flexos__proc_thread_init();
	my_chain = chain + 1;
	serve_loop(chain, me);
	__atomic_store_n(&me->word, LANE_IDLE, __ATOMIC_RELEASE);
	my_chain = 0;
	__atomic_store_n(&c->server[flexos__proc_self], SRV_NONE, __ATOMIC_RELEASE);
	thread_ends();
	return NULL;
}

/*
 * A detached thread on one of this compartment's protected stack slots
 * (glibc's own stack when they are used up). Returns 0 or an error number.
 */
static int spawn_detached(void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	pthread_t t;
	size_t size;
	void *stack = flexos__proc_stack(&size);

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (stack)
		pthread_attr_setstack(&attr, stack, size);
	pthread_mutex_lock(&lifecycle);
	int err = pthread_create(&t, &attr, fn, arg);
	pthread_mutex_unlock(&lifecycle);
	pthread_attr_destroy(&attr);
	return err;
}

static void start_server(unsigned chain)
{
	int err = spawn_detached(server_main, (void *)(uintptr_t)chain);
	if (err)
		flexos__die(FLEXOS_EXIT_SETUP, "compartment '%s' cannot start a server thread: %s",
			    flexos__runtime()->image->compartments[flexos__proc_self].name,
			    flexos__strerror(err));
}

void flexos__proc_dispatch(void)
{
	struct flexos__control *ctl = flexos__proc_ctl;
	int self = flexos__proc_self;
	struct flexos__comp_state *cs = &ctl->comp[self];

	flexos__proc_thread_init();
	/* Serve nothing while main's stack is still readable here. */
	while (!__atomic_load_n(&flexos__proc_stack_revoked, __ATOMIC_ACQUIRE))
		syscall(SYS_futex, &flexos__proc_stack_revoked, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	if (flexos__proc_forked)
		flexos__proc_fork_alive();
	for (;;) {
		uint32_t seq = __atomic_load_n(&cs->spawn_seq, __ATOMIC_ACQUIRE);
		if (__atomic_load_n(&ctl->end, __ATOMIC_ACQUIRE))
			flexos__proc_handle_end();
		for (unsigned i = 0; i < FLEXOS__PROC_MAX_LT; i++) {
			uint32_t wanted = SRV_WANTED;
			if (__atomic_load_n(&ctl->chains[i].server[self], __ATOMIC_ACQUIRE) ==
				    SRV_WANTED &&
			    __atomic_compare_exchange_n(&ctl->chains[i].server[self], &wanted,
							SRV_RUNNING, 0, __ATOMIC_ACQ_REL,
							__ATOMIC_RELAXED))
				start_server(i);
		}
		/* main's dispatcher is also the one watcher of the supervisor. */
		if (self == (int)flexos__runtime()->image->default_id) {
			flexos__futex_wait(&cs->spawn_seq, seq, FLEXOS__PROC_WATCH_MS);
			flexos__proc_watch();
		} else if (flexos__proc_forked) {
			/* No supervisor: this dispatcher watches main itself. */
			flexos__futex_wait(&cs->spawn_seq, seq, FLEXOS__PROC_WATCH_MS);
			flexos__proc_fork_watch();
		} else {
			flexos__futex_wait(&cs->spawn_seq, seq, -1);
		}
	}
}

static void *dispatcher_main(void *arg)
{
	(void)arg;
	sigset_t all;
	/* Signals meant for the application go to its own threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	flexos__proc_dispatch();
}

int flexos__proc_start_dispatcher(void)
{
	return -spawn_detached(dispatcher_main, NULL);
}
