/*
 * The ASan runtime of compartments built with asan, in the spirit of
 * FlexOS's KASan: gcc's -fsanitize=kernel-address with outline checks calls
 * __asan_load and __asan_store functions before every access, poisons the red zones of
 * stack frames itself, and registers the red zones of globals; this file
 * keeps the shadow those read, the red zones and quarantine of the
 * compartment's heap, and the reports.
 *
 * Only compartments built with asan pay: their heap's allocations carry
 * red zones (the hooks of backends/common/malloc.c, or heap_none.c under
 * the none backend, call this file only for them), and only their code
 * calls the checks. The shadow is one mapping of the whole user address
 * space, reserved with MAP_NORESERVE before any constructor, so that it
 * costs address space, and memory only where it is written. Under process,
 * it is private: every compartment's process has its own. Under intel-mpk
 * it is key-0 memory, which every compartment may write (docs/hardening.md
 * says what that leaves open).
 */
#include "autoconfig.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harden_impl.h"
#include "shadow.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static int shadow_ready;

static void map_shadow(uintptr_t lo, uintptr_t hi)
{
	void *p = mmap((void *)lo, hi - lo, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != (void *)lo)
		flexos__die(FLEXOS_EXIT_SETUP,
			    "asan: cannot map the shadow at %#lx-%#lx (%s): something is mapped "
			    "there already, or 'ulimit -v' is too low; an asan compartment needs "
			    "this range of address space free",
			    (unsigned long)lo, (unsigned long)hi,
			    p == MAP_FAILED ? strerror(errno) : "mapped elsewhere");
}

/*
 * Before any constructor: instrumented constructors and the globals'
 * registration write the shadow, and under process it must exist before
 * the compartments' processes are forked.
 */
static void shadow_init(int argc, char **argv, char **envp)
{
	(void)argc, (void)argv, (void)envp;
	if (__atomic_exchange_n(&shadow_ready, 1, __ATOMIC_ACQ_REL))
		return;
	/* The shadow of the shadow (the gap between the two) stays unmapped. */
	map_shadow((uintptr_t)FLEXOS__SHADOW(0), (uintptr_t)FLEXOS__SHADOW(FLEXOS__LOW_END));
	map_shadow((uintptr_t)FLEXOS__SHADOW(FLEXOS__HIGH_BEGIN),
		   (uintptr_t)FLEXOS__SHADOW(FLEXOS__USER_END));
}

__attribute__((used, section(".preinit_array"))) static void (*const shadow_init_entry)(
    int, char **, char **) = shadow_init;

/* ---- shadow ------------------------------------------------------------- */

/* Marks [a, a + n) with value; a and n multiples of 8. */
static void poison(uintptr_t a, size_t n, uint8_t value)
{
	memset(FLEXOS__SHADOW(a), value, n >> 3);
}

/* Makes [a, a + n) accessible, a a multiple of 8, the last granule partly. */
static void unpoison(uintptr_t a, size_t n)
{
	memset(FLEXOS__SHADOW(a), 0, n >> 3);
	if (n & 7)
		*FLEXOS__SHADOW(a + (n & ~(size_t)7)) = (int8_t)(n & 7);
}

/* Whether byte a may be accessed: a granule's shadow s > 0 opens its first s bytes. */
static int byte_ok(uintptr_t a)
{
	int8_t s = *FLEXOS__SHADOW(a);
	return !s || (int8_t)(a & 7) < s;
}

static int range_ok(uintptr_t a, size_t n)
{
	uintptr_t end = a + n;

	for (uintptr_t g = a & ~(uintptr_t)7; g < end; g += 8) {
		int8_t s = *FLEXOS__SHADOW(g);
		if (!s)
			continue;
		uintptr_t hi = g + 8 < end ? g + 8 : end;
		if (s < 0 || hi > g + (uintptr_t)s)
			return 0;
	}
	return 1;
}

/* The kind of bad access at a, by what its shadow holds (ASan's names). */
static const char *kind_of(uintptr_t a)
{
	uint8_t s = (uint8_t)*FLEXOS__SHADOW(a);

	/* A partly open granule: the bytes past its end are those of the next one. */
	if (s > 0 && s < 8)
		s = (uint8_t)*FLEXOS__SHADOW(a + 8);
	switch (s) {
	case FLEXOS__SH_HEAP:
		return "heap-buffer-overflow";
	case FLEXOS__SH_FREED:
		return "heap-use-after-free";
	case FLEXOS__SH_STACK_LEFT:
		return "stack-buffer-underflow";
	case FLEXOS__SH_STACK_MID:
	case FLEXOS__SH_STACK_RIGHT:
		return "stack-buffer-overflow";
	case FLEXOS__SH_STACK_RET:
		return "stack-use-after-return";
	case FLEXOS__SH_STACK_SCOPE:
		return "stack-use-after-scope";
	case FLEXOS__SH_GLOBAL:
		return "global-buffer-overflow";
	default:
		return "unknown-crash";
	}
}

static noreturn void bad_access(uintptr_t a, size_t n, int write, uintptr_t pc)
{
	uintptr_t bad = a;
	const char *what = NULL;

	while (bad < a + n - 1 && byte_ok(bad))
		bad++;
	int owner = flexos__owner_of(bad, &what);
	const struct flexos_image *img = &flexos__image;
	flexos__harden_report(pc, kind_of(bad), NULL,
			      "%s of size %zu at %#lx (byte %#lx is poisoned; it is in %s%s%s%s%s)",
			      write ? "write" : "read", n, (unsigned long)a, (unsigned long)bad,
			      owner >= 0 ? "the " : "", what ? what : "platform memory",
			      owner >= 0 ? " of compartment '" : "",
			      owner >= 0 && img ? img->compartments[owner].name : "",
			      owner >= 0 ? "'" : "");
}

void flexos__asan_trap_access(uintptr_t a, size_t n, int write, uintptr_t pc)
{
	uintptr_t end;

	/*
	 * The arguments come from the trapping compartment's registers: only
	 * shadow that is mapped is read (kind_of reads a granule past the
	 * access), and for a bounded length.
	 */
	if (!n)
		n = 1;
	if (n > (1u << 20))
		n = 1u << 20;
	if (__builtin_add_overflow(a, n + 8, &end) ||
	    !(end <= FLEXOS__LOW_END || (a >= FLEXOS__HIGH_BEGIN && end <= FLEXOS__USER_END)))
		flexos__harden_report(pc, "unknown-crash", NULL,
				      "an ASan check trapped for %#lx, which has no shadow",
				      (unsigned long)a);
	bad_access(a, n, write, pc);
}

static inline void check(uintptr_t a, size_t n, int write, uintptr_t pc)
{
	if (n <= 8 && (a & 7) + n <= 8) {
		int8_t s = *FLEXOS__SHADOW(a);
		if (__builtin_expect(!s || (int8_t)((a & 7) + n - 1) < s, 1))
			return;
	} else if (!n || range_ok(a, n)) {
		return;
	}
	bad_access(a, n, write, pc);
}

/*
 * The checks gcc calls. Compartments are compiled with recovery (the
 * default of kernel-address: the _noabort names), but a report always ends
 * the compartment: both names do the same.
 */
#define RET ((uintptr_t)__builtin_return_address(0))
#define ASAN_CHECKS(n)                               \
	void __asan_load##n(uintptr_t a);            \
	void __asan_load##n(uintptr_t a)             \
	{                                            \
		check(a, n, 0, RET);                 \
	}                                            \
	void __asan_load##n##_noabort(uintptr_t a);  \
	void __asan_load##n##_noabort(uintptr_t a)   \
	{                                            \
		check(a, n, 0, RET);                 \
	}                                            \
	void __asan_store##n(uintptr_t a);           \
	void __asan_store##n(uintptr_t a)            \
	{                                            \
		check(a, n, 1, RET);                 \
	}                                            \
	void __asan_store##n##_noabort(uintptr_t a); \
	void __asan_store##n##_noabort(uintptr_t a)  \
	{                                            \
		check(a, n, 1, RET);                 \
	}

ASAN_CHECKS(1)
ASAN_CHECKS(2)
ASAN_CHECKS(4)
ASAN_CHECKS(8)
ASAN_CHECKS(16)

void __asan_loadN(uintptr_t a, size_t n);
void __asan_loadN(uintptr_t a, size_t n)
{
	check(a, n, 0, RET);
}
void __asan_loadN_noabort(uintptr_t a, size_t n);
void __asan_loadN_noabort(uintptr_t a, size_t n)
{
	check(a, n, 0, RET);
}
void __asan_storeN(uintptr_t a, size_t n);
void __asan_storeN(uintptr_t a, size_t n)
{
	check(a, n, 1, RET);
}
void __asan_storeN_noabort(uintptr_t a, size_t n);
void __asan_storeN_noabort(uintptr_t a, size_t n)
{
	check(a, n, 1, RET);
}

/* ---- globals ------------------------------------------------------------ */

void __asan_register_globals(struct flexos__asan_global *g, size_t n);
void __asan_unregister_globals(struct flexos__asan_global *g, size_t n);

void __asan_register_globals(struct flexos__asan_global *g, size_t n)
{
	shadow_init(0, NULL, NULL);
	for (size_t i = 0; i < n; i++) {
		size_t open = (g[i].size + 7) & ~(size_t)7;
		unpoison(g[i].beg, g[i].size);
		poison(g[i].beg + open, g[i].size_with_redzone - open, FLEXOS__SH_GLOBAL);
	}
}

/*
 * Called by the destructors of instrumented objects at exit. An image's
 * globals live as long as it does, and under process the destructors run
 * in main's process, which may not read the descriptors in the
 * compartment's data: nothing to do.
 */
void __asan_unregister_globals(struct flexos__asan_global *g, size_t n)
{
	(void)g, (void)n;
}

/*
 * Before a call that does not return (exit, longjmp, a throw): the frames
 * it leaves will not unpoison their red zones, and the stack below will be
 * used again. Stack red zones above this frame, up to 64 KiB, are opened;
 * heap and global poison is left alone, so an overrun into another
 * mapping costs nothing but a missed report there.
 */
void __asan_handle_no_return(void);

void __asan_handle_no_return(void)
{
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0) & ~(uintptr_t)7;
	int8_t *s = FLEXOS__SHADOW(sp), *end = FLEXOS__SHADOW(sp + (64u << 10));

	for (; s < end; s++) {
		uint8_t v = (uint8_t)*s;
		if (v == FLEXOS__SH_STACK_LEFT || v == FLEXOS__SH_STACK_MID ||
		    v == FLEXOS__SH_STACK_RIGHT || v == FLEXOS__SH_STACK_RET ||
		    v == FLEXOS__SH_STACK_SCOPE)
			*s = 0;
	}
}

/* ---- the heap of an asan compartment ------------------------------------ */

#define HDR_LIVE  0x4e415341u /* "ASAN" */
#define HDR_FREED 0x45455246u /* "FREE" */
/* Red zone after every allocation, at least. */
#define RIGHT_RZ 32u
/* Bytes of freed allocations a compartment's quarantine holds before reuse. */
#define QUARANTINE_BYTES (4u << 20)

/* Sits right before every allocation, in its left red zone. */
struct hdr {
	struct hdr *next; /* in the quarantine */
	uint32_t magic;
	uint32_t left; /* from the heap's chunk to the allocation */
	size_t size;
	size_t cap; /* of the heap's chunk */
};

/*
 * Freed allocations wait here, poisoned, before the heap may hand their
 * memory out again, so that a use after free finds them poisoned. One
 * FIFO per compartment; the list runs through the allocations' headers,
 * in the compartment's own heap.
 */
static struct quarantine {
	int lock;
	struct hdr *head, *tail;
	size_t bytes;
} quarantine[FLEXOS_MAX_COMPARTMENTS];

static void q_lock(struct quarantine *q)
{
	while (__atomic_exchange_n(&q->lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&q->lock, __ATOMIC_RELAXED))
			sched_yield();
}

static void q_unlock(struct quarantine *q)
{
	__atomic_store_n(&q->lock, 0, __ATOMIC_RELEASE);
}

int flexos__asan_heap(struct flexos__heap *h)
{
	return h && (flexos__harden_flags(flexos__heap_owner(h)) & FLEXOS_COMP_HARDEN_ASAN);
}

void *flexos__asan_alloc(struct flexos__heap *h, size_t align, size_t size)
{
	if (align < 16)
		align = 16;
	if (size > SIZE_MAX / 2) {
		errno = ENOMEM;
		return NULL;
	}
	size_t total = sizeof(struct hdr) + align + ((size + 15) & ~(size_t)15) + RIGHT_RZ;
	char *raw = flexos__heap_alloc(h, total);
	if (!raw)
		return NULL;
	uintptr_t user = ((uintptr_t)raw + sizeof(struct hdr) + align - 1) & ~(align - 1);
	struct hdr *hd = (struct hdr *)user - 1;
	hd->next = NULL;
	hd->magic = HDR_LIVE;
	hd->left = (uint32_t)(user - (uintptr_t)raw);
	hd->size = size;
	hd->cap = flexos__heap_usable_size(h, raw);
	/* The heap's own chunk header (16 bytes) before raw is poisoned too. */
	poison((uintptr_t)raw - 16, user - (uintptr_t)raw + 16, FLEXOS__SH_HEAP);
	unpoison(user, size);
	uintptr_t open = user + ((size + 7) & ~(size_t)7);
	poison(open, (uintptr_t)raw + hd->cap - open, FLEXOS__SH_HEAP);
	return (void *)user;
}

/* The header of p, or a report naming the bad free. */
static struct hdr *live_hdr(struct flexos__heap *h, const void *p, const char *what, uintptr_t pc)
{
	struct hdr *hd = (struct hdr *)p - 1;

	if (((uintptr_t)p & 15) || !flexos__heap_contains(h, hd))
		flexos__harden_report(pc, "bad-free", NULL,
				      "%s(%p): not an allocation of this heap", what, p);
	if (hd->magic == HDR_FREED)
		flexos__harden_report(pc, "double-free", NULL, "%s(%p): freed already", what, p);
	if (hd->magic != HDR_LIVE)
		flexos__harden_report(pc, "bad-free", NULL,
				      "%s(%p): not the start of an allocation (or its header was "
				      "overwritten)",
				      what, p);
	return hd;
}

void flexos__asan_free(struct flexos__heap *h, void *p, uintptr_t pc)
{
	struct hdr *hd = live_hdr(h, p, "free", pc);
	int owner = flexos__heap_owner(h);
	struct quarantine *q = &quarantine[owner];
	struct hdr *evict = NULL;

	hd->magic = HDR_FREED;
	poison((uintptr_t)p, (hd->size + 7) & ~(size_t)7, FLEXOS__SH_FREED);
	q_lock(q);
	if (q->tail)
		q->tail->next = hd;
	else
		q->head = hd;
	q->tail = hd;
	q->bytes += hd->cap;
	/* The oldest leave once the quarantine is over its size; the heap reuses them. */
	while (q->bytes > QUARANTINE_BYTES && q->head) {
		struct hdr *old = q->head;
		q->head = old->next;
		if (!q->head)
			q->tail = NULL;
		q->bytes -= old->cap;
		old->next = evict;
		evict = old;
	}
	q_unlock(q);
	while (evict) {
		struct hdr *next = evict->next;
		flexos__heap_free(h, (char *)(evict + 1) - evict->left);
		evict = next;
	}
}

size_t flexos__asan_usable_size(struct flexos__heap *h, const void *p, uintptr_t pc)
{
	return live_hdr(h, p, "malloc_usable_size", pc)->size;
}

void *flexos__asan_realloc(struct flexos__heap *h, void *p, size_t size, uintptr_t pc)
{
	if (!p)
		return flexos__asan_alloc(h, 16, size);
	struct hdr *hd = live_hdr(h, p, "realloc", pc);
	if (!size) {
		flexos__asan_free(h, p, pc);
		return NULL;
	}
	/* Always a new allocation: the old one goes to the quarantine. */
	void *q = flexos__asan_alloc(h, 16, size);
	if (!q)
		return NULL;
	memcpy(q, p, hd->size < size ? hd->size : size);
	flexos__asan_free(h, p, pc);
	return q;
}

/* ---- the shadow's key under intel-mpk ----------------------------------- */

/* The shadow range keyed per compartment; lo == hi: none. */
static struct {
	uintptr_t lo, hi;
} keyed[FLEXOS_MAX_COMPARTMENTS];

/*
 * Called by the intel-mpk backend while it tags each compartment's memory,
 * before any constructor and the system-call filter. One shadow page
 * covers 32 KiB: only the pages wholly inside the shadow of the heap's
 * first range take its key, the others stay key 0 (the first and last 32
 * KiB of the heap at most, and the shadow of its sections and stacks).
 */
int flexos__asan_key_shadow(uint32_t id, int key)
{
	const struct flexos_runtime *rt = flexos__runtime();
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);

	if (id >= FLEXOS_MAX_COMPARTMENTS ||
	    !(flexos__harden_flags((int)id) & FLEXOS_COMP_HARDEN_ASAN))
		return 0;
	uintptr_t lo = ((uintptr_t)FLEXOS__SHADOW(rt->heaps[id].start) + page - 1) & ~(page - 1);
	uintptr_t hi = (uintptr_t)FLEXOS__SHADOW(rt->heaps[id].end) & ~(page - 1);
	if (hi <= lo)
		return 0;
	if (pkey_mprotect((void *)lo, hi - lo, PROT_READ | PROT_WRITE, key))
		return -errno;
	keyed[id].lo = lo;
	keyed[id].hi = hi;
	return 0;
}

int flexos__asan_keyed_shadow(uint32_t id, uintptr_t *lo, uintptr_t *hi)
{
	if (id >= FLEXOS_MAX_COMPARTMENTS || keyed[id].lo == keyed[id].hi)
		return -1;
	*lo = keyed[id].lo;
	*hi = keyed[id].hi;
	return 0;
}
