/*
 * Pointer lending, the caller's side of a gate (lend-gate.S enters here): a
 * pointer argument that names the caller's private memory is replaced,
 * for the call, by a copy in the lend arena, which every compartment can
 * reach; what the callee wrote is copied back after the call. Each copy
 * ends at its slot's end, before a guard page, so that a callee reading
 * past the lent size faults instead of reading what lies beyond.
 */
#include "autoconfig.h"

#include <pthread.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <flexos/flexos.h>

#include "common.h"
#include "heap_fast.h"
#include "lend.h"

/* A call lends at most one object a slot: the frame's records hold them all. */
_Static_assert(LEND_OBJS >= FLEXOS__LEND_SLOTS, "lend frame's records");
/* Each lending thread has a word in each compartment's heap (struct lend_book). */
_Static_assert(FLEXOS__HEAP_THREAD_WORDS >= FLEXOS__LEND_THREADS, "heap's thread words");

/* fr->lent: this call's element records are in its book, from fr->elems. */
#define LENT_ELEMS (1u << 30)

/* This thread's slot in the arena (-1: none yet) and its first free slot. */
static __thread int lend_thread = -1;
static __thread unsigned lend_top;

/*
 * The gate calls of this thread that hold slots, innermost last: where
 * their frame is, on which compartment's stack, and the first free slot
 * before them. A longjmp out of a lending gate skips its lend_out; the
 * next lend from the same compartment at or above that frame's place on
 * the stack proves it dead and gives its slots back.
 */
struct lend_call {
	uintptr_t frame;
	int self;
	unsigned top;
};
static __thread struct lend_call lend_calls[FLEXOS__LEND_SLOTS];

/*
 * What each slot of this thread holds, kept here rather than in the
 * arena. In static TLS: out of the callee's reach under process, not
 * under intel-mpk (key 0), so no copy-back takes where to write from
 * here: registers go back through the lend frame, members and stack
 * arguments through the frame's objs, array elements and kept objects
 * through the caller's book. These records serve slot allocation and
 * translate() (a pointer value the callee could write anyway).
 */
struct lend_rec {
	uintptr_t orig, copy; /* orig 0: a slot packed with an array's objects (the book's elems) */
	uint32_t size;
};
static __thread struct lend_rec lend_recs[FLEXOS__LEND_SLOTS];
static __thread unsigned lend_ncalls;

/*
 * The objects the elements of lent arrays of pointers name
 * (FLEXOS_LEND_ARRAY), one record per element, innermost call last: their
 * copies share one slot, so the slot's record cannot say where each came
 * from. size 0: the element was not lent.
 */
#define LEND_ELEMS 1024
struct lend_elem {
	uintptr_t orig, copy;
	uintptr_t frame; /* the lend frame of the call that lent it: copy-backs check it */
	uint32_t size;
	uint32_t dup; /* with size 0: 1 + the index of the element it repeats */
	bool out;
};
/*
 * Objects lent past their call (FLEXOS_LEND_KEPT, a lend: rule "..., kept
 * until FN"): a library that keeps a pointer for its later calls
 * (jpeg_mem_dest's outbuffer, archive_write_open_memory's buffer). The
 * copy lives in the shared heap until this thread calls the callee's FN
 * with the call's first argument (the handle). Every call of this thread
 * from the book's compartment into callee merges both ways: in lend_in,
 * the bytes the caller changed since the last merge go into the copy; in
 * lend_out, the bytes the callee changed go into the object. snap is the
 * copy as last merged, in the caller's heap: only bytes the callee wrote
 * reach the caller's object.
 */
#define LEND_KEPT           16
#define LEND_KEPT_MAX_BYTES (64u << 20)
struct lend_kept {
	uintptr_t orig, copy, handle;
	unsigned char *snap;
	uint32_t size;
	uint8_t until;
	bool out;
	int callee;
};
/*
 * The records that say where a copy-back writes and that outlive the
 * lend frame (kept objects) or do not fit in it (array elements): one
 * book per compartment and lending thread, allocated from that
 * compartment's heap and found through the heap's bookkeeping (its
 * thread word for the thread's lend slot), never through TLS or glibc's
 * heap, which are key 0 under intel-mpk: a callee cannot point them at
 * another object of its caller (tests/integration/lend-attack.sh "kept",
 * "rowsinplace"). calls: the calls with element records, innermost last
 * (the longjmp recovery of lend_calls, for nelems).
 */
struct lend_book {
	pid_t tid; /* the thread the records are of: a book left by an ended thread is emptied */
	unsigned nelems, nkept, ncalls;
	struct {
		uintptr_t frame;
		unsigned elems;
	} calls[FLEXOS__LEND_SLOTS];
	struct lend_kept kept[LEND_KEPT];
	struct lend_elem elems[LEND_ELEMS];
};
/*
 * A hint, in TLS, that spares the calls of images without kept rules a
 * look at the book: how many objects this thread keeps lent (all
 * compartments). A callee that changes it can stop merges, not redirect
 * them.
 */
static __thread unsigned lend_nkept;

static pthread_key_t lend_key;
static pthread_once_t lend_once = PTHREAD_ONCE_INIT;

/* The largest object one slot holds. */
#define LEND_MAX_BYTES (FLEXOS__LEND_MAX_PAGES * FLEXOS__LEND_PAGE)

static struct flexos__lend_header *header(void)
{
	return (struct flexos__lend_header *)flexos__runtime()->lend_arena.start;
}

/* A thread that ends gives its slot back, for the threads that follow. */
static void release_thread(void *v)
{
	uint64_t bit = 1ULL << ((uintptr_t)v - 1);
	__atomic_fetch_and(&header()->claimed, ~bit, __ATOMIC_RELEASE);
}

static void make_key(void)
{
	if (pthread_key_create(&lend_key, release_thread))
		flexos__abort("pointer lending: cannot create a thread key");
}

static int claim_thread(const struct flexos_lend *d)
{
	struct flexos__lend_header *h = header();
	uint64_t c = __atomic_load_n(&h->claimed, __ATOMIC_RELAXED);

	for (;;) {
		if (c == ~0ULL)
			flexos__die(FLEXOS_EXIT_FAULT,
				    "the call to %s lends a pointer argument, but %d threads "
				    "already lend at once (the lend arena's limit); pass pointers "
				    "to shared memory (flexos_shared_malloc) or write 'lend: none' "
				    "for its library",
				    d->fn, FLEXOS__LEND_THREADS);
		int t = __builtin_ctzll(~c);
		if (__atomic_compare_exchange_n(&h->claimed, &c, c | 1ULL << t, false,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
			pthread_once(&lend_once, make_key);
			pthread_setspecific(lend_key, (void *)(uintptr_t)(t + 1));
			lend_thread = t;
			return t;
		}
	}
}

/*
 * This thread's slot in the arena, claimed on its first lend (and again
 * if a callee wrote a slot past the arena's into the TLS).
 */
static int thread_slot(const struct flexos_lend *d)
{
	return (unsigned)lend_thread < FLEXOS__LEND_THREADS ? lend_thread : claim_thread(d);
}

/*
 * The book of self's calls on this thread (lend slot t), made first when
 * make is set; NULL when there is none. A book a thread that ended left
 * on its slot is emptied for the next: the objects it kept stay in the
 * shared heap, as their libraries may hold them.
 */
static struct lend_book *book_of(int self, int t, bool make, const struct flexos_lend *d)
{
	struct flexos__heap *h = flexos__heap_of(self);
	void **word = h && t >= 0 ? flexos__heap_thread_word(h, (unsigned)t) : NULL;

	if (!word) {
		if (make)
			flexos__abort("pointer lending: compartment %d has no heap for "
				      "the records of lend slot %d",
				      self, t);
		return NULL;
	}
	struct lend_book *b = *word;
	/*
	 * Whose records these are, from the kernel on every use: the slot
	 * number and any hint are in TLS, which a callee may rewrite to
	 * have this thread share another thread's book.
	 */
	if (b) {
		pid_t tid = gettid();
		if (b->tid != tid) {
			b->tid = tid;
			b->nelems = b->nkept = b->ncalls = 0;
		}
	}
	if (b || !make)
		return b;
	b = flexos__heap_alloc(h, sizeof(*b));
	if (!b)
		flexos__die(FLEXOS_EXIT_FAULT,
			    "the call to %s lends an array of pointers or an object kept past "
			    "the call, and the heap of compartment '%s' has no room for the "
			    "lending records of this thread (%zu bytes): raise its 'heap_size'",
			    d->fn, flexos__comp_name(self), sizeof(*b));
	b->tid = gettid();
	b->nelems = b->nkept = b->ncalls = 0;
	*word = b;
	return b;
}

/*
 * Whether p names memory the caller must lend: its own compartment's,
 * code aside. NULL, shared memory, the platform's and other compartments'
 * memory (handles the callee gave out) pass unchanged.
 */
static int lendable(uintptr_t p, int self, bool to_host, int *read_only)
{
	const char *what = NULL;
	if (!p || flexos__owner(p, &what) != self)
		return 0;
	if (!strcmp(what, ".text"))
		return 0;
	/*
	 * A sandbox calling its host (a callback): the host reaches the
	 * sandbox's statics and heap itself, and a copy sized by the
	 * prototype could be too small (expat's NULL-terminated attribute
	 * array is a const char **); only its stacks, which are no other
	 * process's under the process mechanism, are lent.
	 */
	if (to_host && strncmp(what, "stack", 5))
		return 0;
	*read_only = !strcmp(what, ".rodata");
	/* constants: private: the compartment chose to keep even these. */
	if (*read_only &&
	    (flexos__runtime()->image->compartments[self].flags & FLEXOS_COMP_CONSTANTS_PRIVATE))
		return 0;
	return 1;
}

/* A count of count_size bytes (1, 2, 4 or 8; 0 means 8) read from v; negative signed ones are 0. */
static uint64_t count_of(uint64_t v, unsigned count_size, bool is_signed)
{
	switch (count_size) {
	case 1:
		return is_signed ? ((int8_t)v < 0 ? 0 : (uint64_t)(int8_t)v) : (uint8_t)v;
	case 2:
		return is_signed ? ((int16_t)v < 0 ? 0 : (uint64_t)(int16_t)v) : (uint16_t)v;
	case 4:
		return is_signed ? ((int32_t)v < 0 ? 0 : (uint64_t)(int32_t)v) : (uint32_t)v;
	default:
		return is_signed && (int64_t)v < 0 ? 0 : v;
	}
}

/* size plus a lend: rule's extra bytes ("mlen + 16"), never below 0 nor wrapping. */
static uint64_t add_extra(uint64_t size, int32_t extra)
{
	uint64_t less = extra < 0 ? (uint64_t)(-(int64_t)extra) : 0;
	if (extra < 0)
		return size > less ? size - less : 0;
	return size > UINT64_MAX - (uint64_t)extra ? UINT64_MAX : size + (uint64_t)extra;
}

/*
 * The first slot from base (the call's first) that is free and holds
 * size bytes, or FLEXOS__LEND_SLOTS: a small member lent after a large
 * one takes a small slot the large one skipped.
 */
static unsigned fit(unsigned base, uint64_t size)
{
	unsigned s = base;
	while (
	    s < FLEXOS__LEND_SLOTS &&
	    (lend_recs[s].copy || size > (uint64_t)flexos__lend_slot_pages[s] * FLEXOS__LEND_PAGE))
		s++;
	return s;
}

/* Copies size bytes at p into slot s of thread t; returns the copy's address. */
static uintptr_t lend_copy(int t, unsigned s, uintptr_t p, uint64_t size,
			   const struct flexos_lend *d, uint32_t arg)
{
	uintptr_t copy =
	    flexos__lend_slot_end(flexos__runtime()->lend_arena.start, (unsigned)t, s) - size;
	memcpy((void *)copy, (const void *)p, size);
	header()->meta[t][s] = (struct flexos__lend_meta){d, arg, (uint32_t)size};
	lend_recs[s] = (struct lend_rec){p, copy, (uint32_t)size};
	if (lend_top < s + 1)
		lend_top = s + 1;
	return copy;
}

/* The kept object of the book's calls into callee that holds p, or NULL. */
static struct lend_kept *kept_at(struct lend_book *b, uintptr_t p, int callee)
{
	for (unsigned k = 0; b && k < b->nkept; k++) {
		struct lend_kept *e = &b->kept[k];
		if (e->callee == callee && p >= e->orig && p - e->orig < e->size)
			return e;
	}
	return NULL;
}

/* Copies the bytes of from that differ from snap into to and snap. */
static void merge(unsigned char *to, const unsigned char *from, unsigned char *snap, uint32_t size)
{
	for (uint32_t at = 0; at < size; at += 64) {
		uint32_t n = size - at < 64 ? size - at : 64;
		if (!memcmp(from + at, snap + at, n))
			continue;
		for (uint32_t j = at; j < at + n; j++)
			if (from[j] != snap[j])
				to[j] = snap[j] = from[j];
	}
}

/* Both directions of the merge, for the book's calls into callee. */
static void kept_merge(struct lend_book *b, int callee, bool in)
{
	for (unsigned k = 0; k < b->nkept; k++) {
		struct lend_kept *e = &b->kept[k];
		if (e->callee != callee)
			continue;
		if (in)
			merge((unsigned char *)e->copy, (const unsigned char *)e->orig, e->snap,
			      e->size);
		else if (e->out)
			merge((unsigned char *)e->orig, (const unsigned char *)e->copy, e->snap,
			      e->size);
	}
}

/* Starts keeping size bytes at p lent; returns the copy's address. */
static uintptr_t kept_lend(struct lend_book *b, const struct flexos_lend *d,
			   const struct flexos_lend_arg *a, uintptr_t p, uint64_t size, bool out,
			   int self, int callee, uint64_t handle)
{
	const char *what;
	if (size > LEND_KEPT_MAX_BYTES || b->nkept == LEND_KEPT ||
	    flexos__owner(p + size - 1, &what) != self)
		flexos__die(FLEXOS_EXIT_FAULT,
			    "the call to %s keeps argument %u (%s), %llu bytes of the private "
			    "memory of compartment '%s', lent past the call, and %s: put the "
			    "object in shared memory (flexos_shared_malloc) or check its size "
			    "in the lend: rule",
			    d->fn, a->reg + 1u, a->name ? a->name : "unnamed",
			    (unsigned long long)size, flexos__comp_name(self),
			    b->nkept == LEND_KEPT ? "this thread keeps 16 objects lent already "
						    "(does the call that ends them come?)"
			    : size > LEND_KEPT_MAX_BYTES ? "at most 64 MiB are kept"
							 : "the object ends before that size");
	void *copy = flexos_shared_malloc(size);
	unsigned char *snap = flexos__heap_alloc(flexos__heap_of(self), size);
	if (!copy || !snap)
		flexos__die(FLEXOS_EXIT_FAULT,
			    "the call to %s keeps argument %u (%s), %llu bytes, lent past the "
			    "call, and the shared heap or the heap of compartment '%s' has no "
			    "room for its copy",
			    d->fn, a->reg + 1u, a->name ? a->name : "unnamed",
			    (unsigned long long)size, flexos__comp_name(self));
	memcpy(copy, (const void *)p, size);
	memcpy(snap, (const void *)p, size);
	b->kept[b->nkept++] = (struct lend_kept){
	    p, (uintptr_t)copy, handle, snap, (uint32_t)size, a->until, out, callee};
	lend_nkept++;
	return (uintptr_t)copy;
}

/* The objects kept until d's function whose handle the call's first argument is. */
static void kept_end(struct lend_book *b, const struct flexos_lend *d, uint64_t handle, int self,
		     int callee)
{
	for (unsigned k = b->nkept; k-- > 0;) {
		struct lend_kept *e = &b->kept[k];
		if (e->callee != callee || e->until != d->ends || e->handle != handle)
			continue;
		flexos_shared_free((void *)e->copy);
		flexos__heap_free(flexos__heap_of(self), e->snap);
		b->kept[k] = b->kept[--b->nkept];
		if (lend_nkept)
			lend_nkept--;
	}
}

/*
 * Whether p is in shared memory (flexos_shared_malloc, shared_data),
 * which every compartment may write at any time: a pointer read there
 * that names the caller's private memory may be another compartment's
 * choice, not the caller's (a shared stack's frames are the exception:
 * there every compartment may already rewrite the caller's return
 * addresses, limit 11).
 */
static bool in_shared_memory(uintptr_t p)
{
	const char *what = NULL;
	return flexos__owner(p, &what) < 0 && what &&
	       (!strcmp(what, "shared heap") || !strcmp(what, "shared data"));
}

/*
 * A struct or array of pointers in shared memory that names the caller's
 * private memory ends the image: lent, that memory would be copied out
 * to every compartment and the callee's writes copied back into it.
 */
static noreturn void private_in_shared(const struct flexos_lend *d, const struct flexos_lend_arg *a,
				       const char *member, uint64_t element, int self)
{
	char which[96];
	if (member)
		flexos__format(which, sizeof(which),
			       "a struct in shared memory (argument %u, %s) "
			       "whose member '%s'",
			       a->reg + 1u, a->name ? a->name : "unnamed", member);
	else
		flexos__format(which, sizeof(which),
			       "an array in shared memory (argument %u, %s) "
			       "whose element %llu",
			       a->reg + 1u, a->name ? a->name : "unnamed",
			       (unsigned long long)element);
	flexos__die(
	    FLEXOS_EXIT_FAULT,
	    "the call to %s lends %s names private memory of compartment '%s': a pointer "
	    "in shared memory is not lent, since any compartment may have written it; keep "
	    "the %s in the caller's private memory (it is then lent by copy) or put what it "
	    "names in shared memory (flexos_shared_malloc)",
	    d->fn, which, flexos__comp_name(self), member ? "struct" : "array");
}

/*
 * Nested lending: the pointer members of the struct just lent at copy
 * that name the caller's private memory are lent too, where the arena
 * has room, and the copy's members point at their copies. Their values
 * and counts are read at src: the caller's own struct for a copy (the
 * copy is in the arena, which another thread of the callee may write
 * between the copy and the read: attack8 "race"), the struct itself when
 * lent in place (on a shared stack; in shared memory a member naming the
 * caller's private memory ends the image, attack8 "sharedsteal"). A member that
 * cannot be lent (no room, a size beyond its object, an address inside
 * this gate's own frames, where an uninitialised member may point) is
 * left as it is: the callee faults if it uses it, as without lending.
 */
static void lend_members(struct flexos__lend_frame *fr, const struct flexos_lend *d, uint32_t i,
			 uintptr_t src, uintptr_t copy, int self, bool to_host, int t,
			 struct lend_book *kb)
{
	const struct flexos_lend_arg *a = &d->args[i];
	uintptr_t lo = (uintptr_t)__builtin_frame_address(0) - 65536;
	uintptr_t hi = (uintptr_t)fr + LEND_FRAME;
	bool shared = src == copy && in_shared_memory(src);

	for (uint32_t k = 0; k < a->nmembers; k++) {
		const struct flexos_lend_member *m = &a->members[k];
		uintptr_t p;
		int read_only = 0;
		if (m->kind == FLEXOS_LEND_TRANSLATE)
			continue;
		memcpy(&p, (const void *)(src + m->offset), sizeof(p));
		const struct lend_kept *kept = kept_at(kb, p, (int)(fr->r10 & FLEXOS_GATE_ID_MASK));
		if (kept) {
			uintptr_t at = kept->copy + (p - kept->orig);
			memcpy((void *)(copy + m->offset), &at, sizeof(at));
			continue;
		}
		if (!lendable(p, self, to_host, &read_only))
			continue;
		if (shared && !read_only)
			private_in_shared(d, a, m->name ? m->name : "unnamed", 0, self);
		uint64_t size = m->size;
		if (m->kind == FLEXOS_LEND_STRING) {
			size = strnlen((const char *)p, LEND_MAX_BYTES) + 1;
		} else if (m->kind == FLEXOS_LEND_BUFFER) {
			uint64_t v = 0;
			memcpy(&v, (const void *)(src + m->count_offset),
			       m->count_size <= 8 ? m->count_size : 8);
			v = count_of(v, m->count_size, m->flags & FLEXOS_LEND_COUNT_SIGNED);
			if (__builtin_mul_overflow(v, (uint64_t)m->size, &size))
				continue;
			size = add_extra(size, m->extra);
		}
		const char *what;
		if (!size || size > LEND_MAX_BYTES || (p < hi && p + size > lo) ||
		    flexos__owner(p + size - 1, &what) != self)
			continue;
		unsigned s = fit(fr->top, size);
		if (s >= FLEXOS__LEND_SLOTS)
			continue;
		bool out = !(m->flags & FLEXOS_LEND_IN_ONLY) && !read_only;
		uintptr_t mcopy = lend_copy(t, s, p, size, d, i | (k + 1) << 16);
		fr->objs[fr->nobjs++] = (struct flexos__lend_obj){p, mcopy, (uint32_t)size, out};
		memcpy((void *)(copy + m->offset), &mcopy, sizeof(mcopy));
	}
}

/* An argument the arena has no room for ends the image, naming it. */
static void no_room(const struct flexos_lend *d, const struct flexos_lend_arg *a, const char *what,
		    uint64_t size, int self)
{
	char which[32] = "a stack argument";
	if (a->reg < 6)
		flexos__format(which, sizeof(which), "argument %u", a->reg + 1u);
	flexos__die(FLEXOS_EXIT_FAULT,
		    "the call to %s lends %s%s (%s), %llu bytes of the private "
		    "memory of compartment '%s', and the lend arena has no room for it "
		    "(at most %d bytes, fewer in nested calls): put the object in "
		    "shared memory (flexos_shared_malloc, shared_data) or write "
		    "'lend: none' for its library",
		    d->fn, what, which, a->name ? a->name : "unnamed", (unsigned long long)size,
		    flexos__comp_name(self), LEND_MAX_BYTES);
}

/*
 * Where argument place (flexos_lend_arg.reg, len_reg) is: a register
 * of the frame, or from 6 on an eightbyte of the caller's stack
 * arguments, just above the lend gate's return address.
 */
static uint64_t *arg_at(struct flexos__lend_frame *fr, unsigned place)
{
	if (place < 6)
		return &fr->regs[place];
	return (uint64_t *)((uintptr_t)fr + LEND_FRAME + 16) + (place - 6);
}

/* The count a->len_reg gives: the register's value, or the integer it points at. */
static uint64_t count_arg(struct flexos__lend_frame *fr, const struct flexos_lend_arg *a, int self)
{
	uint64_t count = *arg_at(fr, a->len_reg);
	/* "*bufflen": read where the caller's own pointer (or its copy) says. */
	if (a->flags & FLEXOS_LEND_COUNT_DEREF) {
		const char *what;
		uintptr_t at = count;
		const struct flexos_region *arena = &flexos__runtime()->lend_arena;
		/*
		 * A count this call lent already (an argument before it): read
		 * from the caller's own object, not from its copy, which another
		 * thread of the callee may write meanwhile (lend-attack.sh "deref").
		 */
		for (int r = 0; r < 6; r++)
			if ((fr->lent & (1u << (8 + r) | 1u << (16 + r))) == 1u << (8 + r) &&
			    at >= fr->regs[r] && at - fr->regs[r] < fr->size[r]) {
				at = fr->orig[r] + (at - fr->regs[r]);
				break;
			}
		for (unsigned k = 0; k < fr->nobjs; k++)
			if (at >= fr->objs[k].copy && at - fr->objs[k].copy < fr->objs[k].size) {
				at = fr->objs[k].orig + (at - fr->objs[k].copy);
				break;
			}
		count = 0;
		if (at && (flexos__owner(at, &what) == self ||
			   (at >= arena->start && at + a->count_size <= arena->end)))
			memcpy(&count, (const void *)at, a->count_size <= 8 ? a->count_size : 8);
	}
	return count_of(count, a->count_size, a->flags & FLEXOS_LEND_COUNT_SIGNED);
}

/*
 * How many pointers the array at p holds, up to and with its NULL; 0 when
 * there is none in the caller's memory.
 */
static uint64_t null_terminated(uintptr_t p, int self)
{
	const char *what;
	for (uint64_t n = 0; n < LEND_ELEMS; n++) {
		uintptr_t at = p + n * 8;
		/* The first element, and each that reaches into a new page. */
		if ((!n || ((at + 7) & (FLEXOS__LEND_PAGE - 1)) < 8) &&
		    flexos__owner(at + 7, &what) != self)
			return 0;
		if (!*(const uintptr_t *)at)
			return n + 1;
	}
	return 0;
}

/*
 * Whether an array of pointers (or a struct) that is not the caller's
 * private memory may still have its elements (members) lent in place: it
 * is in the caller's own frames above this gate on a stack it shares
 * (stack: shared), which the caller may write and every compartment
 * already reads; or in shared memory (flexos_shared_malloc,
 * shared_data), where an element naming the caller's private memory ends
 * the image (private_in_shared) and only kept copies are translated.
 */
static bool writable_in_place(struct flexos__lend_frame *fr, uintptr_t p)
{
	const char *what = NULL;
	if (!p || (p & 7) || flexos__owner(p, &what) >= 0 || !what)
		return false;
	if (!strcmp(what, "shared heap") || !strcmp(what, "shared data"))
		return true;
	/*
	 * The caller's own frames, only on a stack every compartment shares:
	 * in other images no key-0 memory is the caller's frames.
	 */
	const struct flexos_image *img = flexos__runtime()->image;
	if (!img->ncompartments || !(img->compartments[0].flags & FLEXOS_COMP_SHARED_STACKS))
		return false;
	return p >= (uintptr_t)fr + LEND_FRAME && p - (uintptr_t)fr < (8u << 20);
}

/*
 * The book that holds the element records of this call, from fr->elems
 * on: a dead call (a longjmp skipped its lend_out) at or below the frame
 * gives its records back first.
 */
static struct lend_book *elems_book(struct flexos__lend_frame *fr, const struct flexos_lend *d,
				    int self, int t)
{
	struct lend_book *b = book_of(self, t, true, d);
	if (fr->lent & LENT_ELEMS)
		return b;
	while (b->ncalls && b->calls[b->ncalls - 1].frame <= (uintptr_t)fr)
		b->nelems = b->calls[--b->ncalls].elems;
	fr->elems = (uint16_t)b->nelems;
	fr->book = (uint16_t)(t + 1);
	fr->lent |= LENT_ELEMS;
	if (b->ncalls < FLEXOS__LEND_SLOTS) {
		b->calls[b->ncalls].frame = (uintptr_t)fr;
		b->calls[b->ncalls++].elems = b->nelems;
	}
	return b;
}

/*
 * An array of pointers (a lend: rule "FN.ARG[]"): the array is lent like
 * an object, then each element that names the caller's private memory:
 * a heap object by its allocation (the heap knows its size), another by
 * the rule's size, all copies packed into one slot, the last against the
 * guard page, the others at 16-byte boundaries before it. The array's
 * copy points at the copies; an element that cannot be lent keeps the
 * caller's pointer, and the callee faults on it as without lending.
 */
static void lend_array(struct flexos__lend_frame *fr, const struct flexos_lend *d, uint32_t i,
		       uintptr_t p, int self, bool to_host, int t, int read_only, bool in_place)
{
	const struct flexos_lend_arg *a = &d->args[i];
	const char *what;
	uint64_t n = a->flags & FLEXOS_LEND_NULL_TERMINATED ? null_terminated(p, self)
		     : a->len_reg == FLEXOS_LEND_NO_COUNT   ? (uint64_t)(uint32_t)a->extra
							    : count_arg(fr, a, self);
	if (!n)
		return;
	struct lend_book *b = elems_book(fr, d, self, t);
	if (n > LEND_ELEMS - b->nelems)
		flexos__die(FLEXOS_EXIT_FAULT,
			    "the call to %s lends an array of %llu pointers (argument %u, %s), and "
			    "at most %d elements of arrays are lent at once: put the objects in "
			    "shared memory (flexos_shared_malloc) or write 'lend: none' for its "
			    "library",
			    d->fn, (unsigned long long)n, a->reg + 1u,
			    a->name ? a->name : "unnamed", LEND_ELEMS);
	uint64_t size = n * 8;
	uintptr_t copy = p;
	if (in_place && !writable_in_place(fr, p + size - 8))
		return;
	if (!in_place) {
		if (flexos__owner(p + size - 1, &what) != self)
			return;
		unsigned s = fit(fr->top, size);
		if (s >= FLEXOS__LEND_SLOTS)
			no_room(d, a, "the array of pointers, ", size, self);
		bool out = !(a->flags & FLEXOS_LEND_IN_ONLY) && !read_only;
		copy = lend_copy(t, s, p, size, d, i);
		fr->regs[a->reg] = copy;
		fr->lent |= (out ? 1u << a->reg : 0) | 1u << (8 + a->reg);
	}
	fr->orig[a->reg] = p;
	fr->size[a->reg] = (uint32_t)size;

	uintptr_t *el = (uintptr_t *)copy;
	uintptr_t lo = (uintptr_t)__builtin_frame_address(0) - 65536;
	uintptr_t hi = (uintptr_t)fr + LEND_FRAME;
	struct flexos__heap *h = flexos__heap_of(self);
	struct lend_elem *e = &b->elems[b->nelems];
	uint64_t total = 0;
	uintptr_t highest = 0;
	bool shared = in_place && in_shared_memory(p);
	for (uint64_t j = 0; j < n; j++) {
		/* By copy, from the caller's own array, not its copy (every compartment's). */
		uintptr_t q = in_place ? el[j] : ((const uintptr_t *)p)[j];
		int ro = 0;
		e[j] = (struct lend_elem){q, 0, (uintptr_t)fr, 0, 0, false};
		/* The caller's own heap, the common case (image rows), without the owner lookup. */
		bool heap = !to_host && h && flexos__heap_contains(h, (const void *)q);
		if (!heap && !lendable(q, self, to_host, &ro))
			continue;
		if (shared && !ro)
			private_in_shared(d, a, NULL, j, self);
		/* Rows allocated in order rise: only one not above them all can repeat. */
		for (uint64_t k = 0; q <= highest && k < j && !e[j].dup; k++)
			if (e[k].orig == q && e[k].size)
				e[j].dup = (uint32_t)k + 1;
		highest = q > highest ? q : highest;
		if (e[j].dup)
			continue;
		uint64_t sz = heap ? flexos__heap_object_size(h, (const void *)q) : 0;
		if (!sz && a->size && !(q < hi && q + a->size > lo) &&
		    flexos__owner(q + a->size - 1, &what) == self)
			sz = a->size;
		if (!sz || sz > LEND_MAX_BYTES)
			continue;
		e[j].size = (uint32_t)sz;
		e[j].out = !ro;
		total += (sz + 15) & ~(uint64_t)15;
	}
	if (in_place && !total)
		return;
	b->nelems += (unsigned)n;
	/* An array lent in place stays where it is: lend_out puts the caller's pointers back. */
	if (in_place)
		fr->lent |= 1u << (8 + a->reg) | 1u << (16 + a->reg);
	if (!total)
		return;
	unsigned s2 = fit(fr->top, total);
	if (s2 >= FLEXOS__LEND_SLOTS)
		no_room(d, a, "the objects of the array of pointers, ", total, self);
	uintptr_t end = flexos__lend_slot_end(flexos__runtime()->lend_arena.start, (unsigned)t, s2);
	uintptr_t at = end;
	for (uint64_t j = n; j-- > 0;)
		if (e[j].size) {
			/* The last flush with the guard page, the others 16-byte aligned. */
			at -= e[j].size;
			at &= at + e[j].size == end ? ~(uintptr_t)0 : ~(uintptr_t)15;
			memcpy((void *)at, (const void *)e[j].orig, e[j].size);
			e[j].copy = el[j] = at;
		}
	for (uint64_t j = 0; j < n; j++)
		if (e[j].dup)
			el[j] = e[e[j].dup - 1].copy;
	header()->meta[t][s2] =
	    (struct flexos__lend_meta){d, i | 0xffffu << 16, (uint32_t)(end - at)};
	lend_recs[s2] = (struct lend_rec){0, at, (uint32_t)(end - at)};
	if (lend_top < s2 + 1)
		lend_top = s2 + 1;
}

void flexos__lend_in(struct flexos__lend_frame *fr)
{
	const struct flexos_lend *d = fr->desc;
	int self = flexos__backend.current();
	int callee = (int)(fr->r10 & FLEXOS_GATE_ID_MASK);
	uint32_t flags = flexos__runtime()->image->compartments[self].flags;
	bool to_host = (flags & FLEXOS_COMP_SANDBOX) && (int)FLEXOS_COMP_HOST(flags) == callee;
	uint64_t handle = fr->regs[0];

	fr->lent = 0;
	fr->nobjs = 0;
	fr->elems = 0;
	fr->book = 0;
	/* Images without kept rules skip the book here. */
	struct lend_book *kb = lend_nkept ? book_of(self, lend_thread, false, d) : NULL;
	if (kb) {
		fr->book = (uint16_t)(lend_thread + 1);
		kept_merge(kb, callee, true);
	}

	while (lend_ncalls && lend_calls[lend_ncalls - 1].self == self &&
	       lend_calls[lend_ncalls - 1].frame <= (uintptr_t)fr) {
		lend_ncalls--;
		lend_top = lend_calls[lend_ncalls].top;
	}
	fr->top = lend_top;
	/* A longjmp past a lend_out leaves records that translate() must not see. */
	for (unsigned s = lend_top; s < FLEXOS__LEND_SLOTS; s++)
		lend_recs[s].copy = 0;
	/* A compartment calling itself (a callback stub used inside its library) lends nothing. */
	for (uint32_t i = 0; i < d->nargs && callee != self; i++) {
		const struct flexos_lend_arg *a = &d->args[i];
		uint64_t *at_arg = arg_at(fr, a->reg);
		uintptr_t p = *at_arg;
		int read_only = 0;
		const struct lend_kept *kept = kept_at(kb, p, callee);
		if (kept) {
			/* Already kept lent (the library's buffer handed back to it): that copy. */
			*at_arg = kept->copy + (p - kept->orig);
			continue;
		}
		if (!lendable(p, self, to_host, &read_only)) {
			if (a->kind == FLEXOS_LEND_ARRAY && a->reg < 6 && !to_host &&
			    writable_in_place(fr, p))
				lend_array(fr, d, i, p, self, to_host, thread_slot(d), 0, true);
			/*
			 * A struct the callee reaches already (zlib's z_stream on a
			 * shared stack): its members lent in place, the caller's
			 * pointers put back after the call.
			 */
			if (a->kind == FLEXOS_LEND_OBJECT && a->nmembers && a->reg < 6 &&
			    !to_host && !(p & 7) && writable_in_place(fr, p) &&
			    writable_in_place(fr, (p + a->size - 1) & ~(uintptr_t)7)) {
				/* lend_out puts back what lend_members changed: a copy's or a kept copy's address. */
				lend_members(fr, d, i, p, p, self, to_host, thread_slot(d), kb);
				fr->lent |= 1u << (16 + a->reg);
			}
			continue;
		}
		int t = thread_slot(d);
		if (a->kind == FLEXOS_LEND_ARRAY) {
			if (a->reg < 6)
				lend_array(fr, d, i, p, self, to_host, t, read_only, false);
			continue;
		}
		uint64_t size = a->size;
		if (a->kind == FLEXOS_LEND_STRING)
			size = strlen((const char *)p) + 1;
		else if (a->kind == FLEXOS_LEND_BUFFER &&
			 __builtin_mul_overflow(count_arg(fr, a, self), (uint64_t)a->size, &size))
			size = UINT64_MAX;
		else if (a->kind == FLEXOS_LEND_BUFFER)
			size = add_extra(size, a->extra);
		bool out = !(a->flags & FLEXOS_LEND_IN_ONLY) && !read_only;
		if (a->flags & FLEXOS_LEND_KEPT) {
			/* Nothing to keep (a count of 0): the pointer crosses as it is. */
			if (!size)
				continue;
			if (!kb) {
				kb = book_of(self, t, true, d);
				fr->book = (uint16_t)(t + 1);
			}
			*at_arg = kept_lend(kb, d, a, p, size, out, self, callee, handle);
			continue;
		}
		unsigned s = fit(fr->top, size);
		if (s >= FLEXOS__LEND_SLOTS)
			no_room(d, a, "", size, self);
		/* The frame has room for the registers; a stack argument's goes with the members'. */
		uintptr_t copy = lend_copy(t, s, p, size, d, i);
		if (a->reg >= 6) {
			fr->objs[fr->nobjs++] = (struct flexos__lend_obj){p, copy, (uint32_t)size, out};
			*at_arg = copy;
			continue;
		}
		fr->orig[a->reg] = p;
		fr->size[a->reg] = (uint32_t)size;
		fr->regs[a->reg] = copy;
		if (out)
			fr->lent |= 1u << a->reg;
		fr->lent |= 1u << (8 + a->reg);
		if (a->nmembers)
			lend_members(fr, d, i, p, copy, self, to_host, t, kb);
	}
	if (lend_top != fr->top && lend_ncalls < FLEXOS__LEND_SLOTS)
		lend_calls[lend_ncalls++] = (struct lend_call){(uintptr_t)fr, self, fr->top};
}

/*
 * Whether element record e still says what lend_array wrote for the
 * caller's element want (a second check: the book is in the caller's
 * heap, found through the runtime's table of heaps). Its object must be
 * want, no larger than a heap allocation's usable size (from the chunk's
 * header, in the caller's memory) or the rule's bytes, and its copy in
 * the arena.
 */
/*
 * The record of element j is not this call's: another call or thread
 * wrote that part of the book (a callee that rewrote this thread's lend
 * slot in TLS). Nothing is copied back.
 */
static noreturn void elements_lost(const struct flexos_lend *d, uint32_t j,
				   const struct flexos_lend_arg *a)
{
	flexos__die(FLEXOS_EXIT_FAULT,
		    "after the call to %s, the record of element %u of the array of pointers "
		    "it was lent (argument %u) is another call's: a compartment changed this "
		    "thread's lending slot during the call; nothing is copied back",
		    d->fn, j, a->reg + 1u);
}

static bool element_ok(const struct flexos_lend_arg *a, const struct lend_elem *e, uintptr_t want)
{
	const struct flexos_region *arena = &flexos__runtime()->lend_arena;
	uint64_t bound = a->size;

	if (e->orig != want || e->copy < arena->start || e->copy > arena->end ||
	    e->size > arena->end - e->copy)
		return false;
	if (e->size <= bound)
		return true;
	const struct flexos__chunk *c = (const struct flexos__chunk *)(want - FLEXOS__CHUNK_HDR);
	if ((want & (FLEXOS__HEAP_ALIGNMENT - 1)) || c->magic != FLEXOS__CHUNK_LIVE)
		return false;
	return e->size <= (uint64_t)c->units * FLEXOS__HEAP_ALIGNMENT - FLEXOS__CHUNK_HDR;
}

/*
 * v, or the caller's address it stands for when it points into a copy of
 * this call (b: the call's book, or NULL).
 */
static uintptr_t translate(const struct flexos__lend_frame *fr, const struct lend_book *b,
			   uintptr_t v)
{
	unsigned nelems = b && fr->lent & LENT_ELEMS ? b->nelems : 0;
	/* Packed copies: one's end is the next one's start, which wins. */
	for (unsigned k = fr->elems; k < nelems; k++) {
		const struct lend_elem *e = &b->elems[k];
		if (e->size && v >= e->copy && v < e->copy + e->size)
			return e->orig + (v - e->copy);
	}
	for (unsigned k = fr->elems; k < nelems; k++) {
		const struct lend_elem *e = &b->elems[k];
		if (e->size && v == e->copy + e->size)
			return e->orig + e->size;
	}
	/*
	 * This call's own copies, from its frame first: the slots' records are
	 * in TLS, key 0 under intel-mpk, where a callee that pointed one at
	 * another object of the caller would have a member or the result mean
	 * that object (lend-attack.sh "membercopy").
	 */
	for (unsigned k = 0; k < fr->nobjs; k++)
		if (v >= fr->objs[k].copy && v - fr->objs[k].copy <= fr->objs[k].size)
			return fr->objs[k].orig + (v - fr->objs[k].copy);
	for (int r = 0; r < 6; r++)
		if ((fr->lent & (1u << (8 + r) | 1u << (16 + r))) == 1u << (8 + r) &&
		    v >= fr->regs[r] && v - fr->regs[r] <= fr->size[r])
			return fr->orig[r] + (v - fr->regs[r]);
	for (unsigned s = fr->top; s < lend_top; s++) {
		const struct lend_rec *r = &lend_recs[s];
		if (r->copy && r->orig && v >= r->copy && v <= r->copy + r->size)
			return r->orig + (v - r->copy);
	}
	for (unsigned k = 0; b && k < b->nkept; k++) {
		const struct lend_kept *e = &b->kept[k];
		if (v >= e->copy && v <= e->copy + e->size)
			return e->orig + (v - e->copy);
	}
	return v;
}

/*
 * The bytes the next lend of member m would take from its pointer, by the
 * struct at st: its count times its element's size, its type's size, or
 * for a string its first byte (UINT64_MAX: an overflow).
 */
static uint64_t member_extent(const struct flexos_lend_member *m, uintptr_t st)
{
	uint64_t v = 0, size;

	if (m->kind == FLEXOS_LEND_STRING)
		return 1;
	if (m->kind != FLEXOS_LEND_BUFFER)
		return m->size;
	memcpy(&v, (const void *)(st + m->count_offset), m->count_size <= 8 ? m->count_size : 8);
	v = count_of(v, m->count_size, m->flags & FLEXOS_LEND_COUNT_SIGNED);
	if (__builtin_mul_overflow(v, (uint64_t)m->size, &size))
		return UINT64_MAX;
	return add_extra(size, m->extra);
}

/* Whether len bytes at v lie in the size bytes at lo. */
static bool within(uintptr_t v, uint64_t len, uintptr_t lo, uint64_t size)
{
	return v >= lo && v - lo <= size && len <= size - (v - lo);
}

/* Whether the len bytes at t lie in an object this call lent (which the callee reached). */
static bool lent_span(const struct flexos__lend_frame *fr, const struct lend_book *b, uintptr_t t,
		      uint64_t len)
{
	for (unsigned k = 0; k < fr->nobjs; k++)
		if (within(t, len, fr->objs[k].orig, fr->objs[k].size))
			return true;
	for (int r = 0; r < 6; r++)
		if (fr->lent & 1u << (8 + r) && within(t, len, fr->orig[r], fr->size[r]))
			return true;
	unsigned nelems = b && fr->lent & LENT_ELEMS ? b->nelems : 0;
	for (unsigned k = fr->elems; k < nelems; k++)
		if (b->elems[k].size && within(t, len, b->elems[k].orig, b->elems[k].size))
			return true;
	for (unsigned k = 0; b && k < b->nkept; k++)
		if (within(t, len, b->kept[k].orig, b->kept[k].size))
			return true;
	return false;
}

/*
 * Whether member m of a struct lent by copy may stay as the callee left
 * it, now that the struct is back in the caller's memory at st (prev: the
 * struct as it was before the call). The next call that lends the struct
 * lends what the member names: where that is the caller's private memory,
 * it must lie in an object this call lent (which the callee reached), or
 * in what the member named before the call. Otherwise a callee that
 * pointed the member at another object of the caller, or raised its
 * count, would have that memory copied into the arena for it at the next
 * call, and what it writes there copied back: memory it could neither
 * read nor write without lending (tests/integration/lend-attack.sh
 * "again", "grow").
 */
static bool member_ok(const struct flexos__lend_frame *fr, const struct lend_book *b,
		      const struct flexos_lend_member *m, uintptr_t st, uintptr_t prev, int self,
		      bool to_host)
{
	int ro = 0;
	uint64_t len = member_extent(m, st);
	uintptr_t t, was;

	memcpy(&t, (const void *)(st + m->offset), sizeof(t));
	if (!len || !lendable(t, self, to_host, &ro))
		return true;
	memcpy(&was, (const void *)(prev + m->offset), sizeof(was));
	return within(t, len, was, member_extent(m, prev)) || lent_span(fr, b, t, len);
}

/*
 * Copies back argument a, a struct lent by copy with members, and checks
 * its members where they now are, in the caller's memory (the copy is
 * every compartment's to change meanwhile).
 */
static void struct_back(struct flexos__lend_frame *fr, const struct lend_book *b,
			const struct flexos_lend *d, const struct flexos_lend_arg *a, int self,
			bool to_host)
{
	unsigned char small[256];
	uint32_t size = fr->size[a->reg];
	unsigned char *prev =
	    size <= sizeof(small) ? small : flexos__heap_alloc(flexos__heap_of(self), size);

	if (!prev)
		flexos__die(FLEXOS_EXIT_FAULT,
			    "after the call to %s, the heap of compartment '%s' has no room for "
			    "the check of the struct it was lent (argument %u, %u bytes)",
			    d->fn, flexos__comp_name(self), a->reg + 1u, size);
	memcpy(prev, (const void *)fr->orig[a->reg], size);
	memcpy((void *)fr->orig[a->reg], (const void *)fr->regs[a->reg], size);
	for (uint32_t k = 0; k < a->nmembers; k++) {
		const struct flexos_lend_member *m = &a->members[k];
		if (m->kind != FLEXOS_LEND_TRANSLATE &&
		    !member_ok(fr, b, m, fr->orig[a->reg], (uintptr_t)prev, self, to_host))
			flexos__die(
			    FLEXOS_EXIT_FAULT,
			    "after the call to %s, member '%s' of the struct it was lent "
			    "(argument %u) names private memory of compartment '%s' that "
			    "the call did not lend: the callee wrote it there, and the next "
			    "call would lend that memory to it",
			    d->fn, m->name ? m->name : "unnamed", a->reg + 1u,
			    flexos__comp_name(self));
	}
	if (prev != small)
		flexos__heap_free(flexos__heap_of(self), prev);
}

uint64_t flexos__lend_out(struct flexos__lend_frame *fr, uint64_t rax)
{
	const struct flexos_lend *d = fr->desc;
	uint64_t ret = rax;
	int self = flexos__backend.current();
	int callee = (int)(fr->r10 & FLEXOS_GATE_ID_MASK);
	uint32_t flags = flexos__runtime()->image->compartments[self].flags;
	bool to_host = (flags & FLEXOS_COMP_SANDBOX) && (int)FLEXOS_COMP_HOST(flags) == callee;
	/*
	 * The book lend_in used, by the frame's word; one made during the call
	 * (a callback kept an object lent to this callee) by the thread's slot.
	 */
	struct lend_book *b = fr->book     ? book_of(self, fr->book - 1, false, d)
			      : lend_nkept ? book_of(self, lend_thread, false, d)
					   : NULL;
	bool elems = fr->lent & LENT_ELEMS && b && b->nelems != fr->elems;
	/* The call's first argument as the caller passed it: a kept object's handle. */
	uint64_t handle = fr->lent & 1u << 8 ? fr->orig[0] : translate(fr, b, fr->regs[0]);

	if (b && b->nkept) {
		kept_merge(b, callee, false);
		if (d->ends)
			kept_end(b, d, handle, self, callee);
	}

	/*
	 * Members first: what the callee wrote through them, then their
	 * values in the struct's copy, which point into the arena if the
	 * callee left them there (or moved them: zlib's next_out), and must
	 * mean the caller's objects once the struct is copied back.
	 */
	/*
	 * From the frame's records, not the thread's: static TLS is key 0
	 * under intel-mpk, and a callee that pointed a record at another
	 * object of the caller would have this write there
	 * (tests/integration/lend-attack.sh "member", "membercopy").
	 */
	for (unsigned k = 0; k < fr->nobjs; k++)
		if (fr->objs[k].out)
			memcpy((void *)fr->objs[k].orig, (const void *)fr->objs[k].copy,
			       fr->objs[k].size);
	/* Arrays of pointers: their objects, then the elements as the caller's addresses. */
	unsigned base = fr->elems;
	for (uint32_t i = 0; i < d->nargs && elems; i++) {
		const struct flexos_lend_arg *a = &d->args[i];
		if (a->kind != FLEXOS_LEND_ARRAY || a->reg >= 6 || !(fr->lent & 1u << (8 + a->reg)))
			continue;
		uint32_t n = fr->size[a->reg] / 8;
		/* Lent by copy: the caller's own array, which the callee never saw, says where. */
		const uintptr_t *mine =
		    fr->lent & 1u << (16 + a->reg) ? NULL : (const uintptr_t *)fr->orig[a->reg];
		for (uint32_t j = 0; j < n; j++) {
			const struct lend_elem *e = &b->elems[base + j];
			if (e->frame != (uintptr_t)fr)
				elements_lost(d, j, a);
			if (!e->size || !e->out)
				continue;
			if (mine && !element_ok(a, e, mine[j]))
				flexos__die(FLEXOS_EXIT_FAULT,
					    "after the call to %s, the record of element %u of the "
					    "array of pointers it was lent (argument %u) no longer "
					    "names the caller's object: a compartment changed the "
					    "caller's lending records during the call; the copy "
					    "is not copied back",
					    d->fn, j, a->reg + 1u);
			memcpy((void *)e->orig, (const void *)e->copy, e->size);
		}
		base += n;
	}
	base = fr->elems;
	for (uint32_t i = 0; i < d->nargs && elems; i++) {
		const struct flexos_lend_arg *a = &d->args[i];
		if (a->kind != FLEXOS_LEND_ARRAY || a->reg >= 6 || !(fr->lent & 1u << (8 + a->reg)))
			continue;
		uint32_t n = fr->size[a->reg] / 8;
		uintptr_t *el = (uintptr_t *)fr->regs[a->reg];
		bool back = fr->lent & (1u << a->reg | 1u << (16 + a->reg));
		for (uint32_t j = 0; j < n && back; j++) {
			const struct lend_elem *e = &b->elems[base + j];
			if (e->frame != (uintptr_t)fr)
				elements_lost(d, j, a);
			uintptr_t copy = e->size  ? e->copy
					 : e->dup ? b->elems[base + e->dup - 1].copy
						  : 0;
			/* Where lend_in put it: this element's object, whatever else ends there. */
			el[j] = copy && el[j] == copy ? e->orig : translate(fr, b, el[j]);
		}
		base += n;
	}
	for (uint32_t i = 0; i < d->nargs; i++) {
		const struct flexos_lend_arg *a = &d->args[i];
		/* A struct lent by copy (copied back below), or whose members were lent in place.
		 */
		if (a->reg >= 6 || !a->nmembers ||
		    !(fr->lent & (1u << a->reg | 1u << (16 + a->reg))))
			continue;
		for (uint32_t k = 0; k < a->nmembers; k++) {
			uintptr_t at = fr->regs[a->reg] + a->members[k].offset, v;
			memcpy(&v, (const void *)at, sizeof(v));
			v = translate(fr, b, v);
			memcpy((void *)at, &v, sizeof(v));
		}
	}
	/* Structs with members lent by copy: copied back and checked (not again below). */
	for (uint32_t i = 0; i < d->nargs; i++) {
		const struct flexos_lend_arg *a = &d->args[i];
		if (a->reg >= 6 || !a->nmembers || a->kind != FLEXOS_LEND_OBJECT ||
		    (fr->lent & (1u << a->reg | 1u << (8 + a->reg))) !=
			(1u << a->reg | 1u << (8 + a->reg)))
			continue;
		struct_back(fr, b, d, a, self, to_host);
		fr->lent &= ~(1u << a->reg);
	}
	for (int r = 0; r < 6; r++) {
		if (!(fr->lent & 1u << (8 + r)))
			continue;
		uintptr_t copy = fr->regs[r];
		if (fr->lent & 1u << r)
			memcpy((void *)fr->orig[r], (const void *)copy, fr->size[r]);
	}
	/*
	 * Arrays of pointers lent by copy, back in the caller's memory: each
	 * element names what it named before the call, what this call lent,
	 * or none of the caller's private memory. The next call lends what
	 * the elements name, as the members above. Checked here, in the
	 * caller's own array, not in the loop above: the copy is in the
	 * arena, where another thread of the callee may change an element
	 * between a check there and the copy back.
	 */
	base = fr->elems;
	for (uint32_t i = 0; i < d->nargs && elems; i++) {
		const struct flexos_lend_arg *a = &d->args[i];
		if (a->kind != FLEXOS_LEND_ARRAY || a->reg >= 6 || !(fr->lent & 1u << (8 + a->reg)))
			continue;
		uint32_t n = fr->size[a->reg] / 8;
		const uintptr_t *mine = (const uintptr_t *)fr->orig[a->reg];
		int ro = 0;
		for (uint32_t j = 0;
		     j < n && !(fr->lent & 1u << (16 + a->reg)) && fr->lent & 1u << a->reg; j++)
			if (mine[j] != b->elems[base + j].orig && !lent_span(fr, b, mine[j], 1) &&
			    lendable(mine[j], self, to_host, &ro))
				flexos__die(
				    FLEXOS_EXIT_FAULT,
				    "after the call to %s, element %u of the array of "
				    "pointers it was lent (argument %u) names private memory "
				    "of compartment '%s' that the call did not lend: the "
				    "callee wrote it there, and the next call would lend that "
				    "memory to it",
				    d->fn, j, a->reg + 1u, flexos__comp_name(self));
		base += n;
	}
	/* A result into a copy (strchr, strcpy) means the caller's object. */
	ret = translate(fr, b, rax);
	if ((unsigned)lend_thread < FLEXOS__LEND_THREADS)
		for (unsigned s = fr->top; s < lend_top; s++) {
			header()->meta[lend_thread][s].desc = NULL;
			lend_recs[s].copy = 0;
		}
	if (lend_ncalls && lend_calls[lend_ncalls - 1].frame == (uintptr_t)fr)
		lend_ncalls--;
	lend_top = fr->top;
	if (fr->lent & LENT_ELEMS && b) {
		if (b->ncalls && b->calls[b->ncalls - 1].frame == (uintptr_t)fr)
			b->ncalls--;
		b->nelems = fr->elems;
	}
	return ret;
}

/*
 * Whether d is one of the image's lend descriptors (read-only, written by
 * flexos-link), and arg one of its arguments and member one of that
 * argument's members (or 0, or 0xffff): the fault report reads the lend
 * arena's records, which every compartment can write, with rights that
 * read every compartment, and prints the names they lead to (a review's
 * attack forged one whose names were another compartment's secret).
 */
static int genuine_lend(const struct flexos_lend *d, uint32_t arg, uint32_t member)
{
	const struct flexos_image *img = flexos__runtime()->image;

	for (uint32_t i = 0; img->lends && i < img->nlends; i++)
		if (img->lends[i] == d)
			return arg < d->nargs &&
			       (member == 0 || member == 0xffff || member <= d->args[arg].nmembers);
	return 0;
}

int flexos__lend_describe(struct flexos__out *o, const char *prefix, uintptr_t addr)
{
	const struct flexos_runtime *rt = flexos__runtime();
	uintptr_t base = rt->lend_arena.start;

	if (addr < base || addr >= rt->lend_arena.end)
		return 0;
	uintptr_t page = addr & ~(uintptr_t)(FLEXOS__LEND_PAGE - 1);

	flexos__out_str(o, prefix);
	for (unsigned t = 0; t < FLEXOS__LEND_THREADS; t++)
		for (unsigned s = 0; s < FLEXOS__LEND_SLOTS; s++) {
			uintptr_t end = flexos__lend_slot_end(base, t, s);
			const struct flexos__lend_meta *m =
			    &((struct flexos__lend_header *)base)->meta[t][s];
			/*
			 * The record (key 0: any compartment may rewrite it, another
			 * thread while this one reports) read once, then only that
			 * copy checked and used: a descriptor read again after its
			 * check printed a forged one's names (an attack review's:
			 * app's secret string, 6 of 15 runs).
			 */
			const struct flexos_lend *desc =
			    __atomic_load_n(&m->desc, __ATOMIC_RELAXED);
			uint32_t arg = __atomic_load_n(&m->arg, __ATOMIC_RELAXED);
			uint32_t size = __atomic_load_n(&m->size, __ATOMIC_RELAXED);
			if (page != end || !desc)
				continue;
			uint32_t member = arg >> 16;
			/* A forged record: the arena's guard page, named no further. */
			if (!genuine_lend(desc, arg & 0xffff, member))
				break;
			const struct flexos_lend_arg *a = &desc->args[arg & 0xffff];
			flexos__out_str(o, "the guard page after an object lent to ");
			flexos__out_str(o, desc->fn);
			flexos__out_str(o, " (");
			if (member == 0xffff) {
				flexos__out_str(o, "the objects the array of pointers of ");
			} else if (member) {
				flexos__out_str(o, "member '");
				flexos__out_str(o, a->members[member - 1].name);
				flexos__out_str(o, "' of the struct ");
			}
			if (a->reg < 6) {
				flexos__out_str(o, "argument ");
				flexos__out_int(o, a->reg + 1);
			} else {
				flexos__out_str(o, "a stack argument");
			}
			if (a->name) {
				flexos__out_str(o, ", '");
				flexos__out_str(o, a->name);
				flexos__out_str(o, "'");
			}
			flexos__out_str(o, member == 0xffff
					       ? "): copies of the caller's private objects, "
					       : "): a copy of the caller's private object, ");
			flexos__out_int(o, size);
			flexos__out_str(
			    o, member == 0xffff
				   ? " bytes in all, each a heap allocation or the size the "
				     "library's lend: rule says, in shared memory for the call; "
				     "the callee accessed offset "
			       : member ? " bytes as its type or the library's lend: rule "
					  "says, in shared memory for the call; the callee "
					  "accessed offset "
					: " bytes as the prototype says, in shared memory for the "
					  "call; the callee accessed offset ");
			flexos__out_int(o, (int64_t)(size + (addr - end)));
			flexos__out_str(
			    o, ", beyond it; if it may use more, give its size in a "
			       "lend: rule (FUNCTION.ARGUMENT or STRUCT.MEMBER: COUNT or "
			       "BYTES), put the object in shared memory "
			       "(flexos_shared_malloc, shared_data), or write 'lend: none' "
			       "for the library");
			return 1;
		}
	flexos__out_str(o, "a guard page of the lend arena (copies of lent pointer arguments)");
	return 1;
}
