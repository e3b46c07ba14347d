/*
 * The ASan runtime of compartments built with asan, in the spirit of
 * FlexOS's KASan: gcc's -fsanitize=kernel-address with outline checks calls
 * __asan_load and __asan_store functions before every access, poisons the red zones of
 * stack frames itself, and registers the red zones of globals; this file
 * keeps the shadow those read, the red zones and quarantine of the
 * compartment's heap, and the reports. The shadow's upkeep and the checks
 * are those of the runtime of `libc: newlib` compartments too
 * (asan_checks.h).
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
			    p == MAP_FAILED ? flexos__strerror(errno) : "mapped elsewhere");
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

/* ---- reports ------------------------------------------------------------ */

/* Whether byte a may be accessed: a granule's shadow s > 0 opens its first s bytes. */
static int byte_ok(uintptr_t a)
{
	int8_t s = *FLEXOS__SHADOW(a);
	return !s || (int8_t)(a & 7) < s;
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

/* Globals of shared libraries may be registered before .preinit_array runs. */
static inline void shadow_before_globals(void)
{
	shadow_init(0, NULL, NULL);
}

#include "asan_checks.h"

/* ---- the heap of an asan compartment ------------------------------------ */

/* One quarantine per compartment, in the compartment's own heap. */
static struct quarantine {
	int lock;
	struct fifo fifo;
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
	char *raw = flexos__heap_alloc(h, chunk_bytes(align, size));
	if (!raw)
		return NULL;
	return place(raw, flexos__heap_usable_size(h, raw), align, size);
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
	struct hdr *evict = NULL, *old;

	mark_freed(hd);
	q_lock(q);
	fifo_put(&q->fifo, hd);
	/* The oldest leave once the quarantine is over its size; the heap reuses them. */
	while ((old = fifo_evict(&q->fifo))) {
		old->next = evict;
		evict = old;
	}
	q_unlock(q);
	while (evict) {
		struct hdr *next = evict->next;
		flexos__heap_free(h, chunk_of(evict));
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

/*
 * The shadow ranges keyed per compartment: its heap's, its sections', and
 * its stacks' (main's stack, the pool of thread stacks: KEYED_STACKS);
 * under FLEXOS__ASAN_SHARED those of the shared memory.
 */
#define KEYED_STACKS 2
#define KEYED_RANGES (4 + KEYED_STACKS)
static struct {
	uintptr_t lo, hi;
} keyed[FLEXOS__ASAN_SHARED + 1][KEYED_RANGES];

/*
 * Keys the shadow pages wholly inside the shadow of [start, end); the
 * range keyed in *lo, *hi (equal: none). 0 or -errno.
 */
static int key_pages(uintptr_t start, uintptr_t end, int key, uintptr_t *lo, uintptr_t *hi)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);

	*lo = ((uintptr_t)FLEXOS__SHADOW(start) + page - 1) & ~(page - 1);
	*hi = (uintptr_t)FLEXOS__SHADOW(end) & ~(page - 1);
	if (*hi <= *lo) {
		*hi = *lo;
		return 0;
	}
	return pkey_mprotect((void *)*lo, *hi - *lo, PROT_READ | PROT_WRITE, key) ? -errno : 0;
}

/* The same, recorded as keyed range slot of compartment id, for the filter. */
static int key_range(uint32_t id, unsigned slot, uintptr_t start, uintptr_t end, int key)
{
	uintptr_t lo, hi;
	int err = key_pages(start, end, key, &lo, &hi);

	if (!err) {
		keyed[id][slot].lo = lo;
		keyed[id][slot].hi = hi;
	}
	return err;
}

/*
 * Called by the intel-mpk backend while it tags each compartment's memory,
 * before any constructor and the system-call filter. One shadow page
 * covers 32 KiB: the pages of the shadow of the heap's first range (the
 * heap maps it on 32 KiB boundaries, src/runtime/heap.c) and of the
 * compartment's .rodata, .data and .bss take its key (flexos-link aligns
 * an asan compartment's sections to 32 KiB under intel-mpk), so that no
 * other compartment's shadow shares a page with theirs. Its stacks'
 * shadow is keyed as the backend makes them, at start-up too
 * (flexos__asan_key_stack_shadow: main's stack, the pool of thread
 * stacks), and recorded for the filter's range rules.
 */
int flexos__asan_key_shadow(uint32_t id, int key)
{
	const struct flexos_runtime *rt = flexos__runtime();
	static const uint32_t sections[] = {FLEXOS_REGION_RODATA, FLEXOS_REGION_DATA,
					    FLEXOS_REGION_BSS};
	int err;

	if (id >= FLEXOS_MAX_COMPARTMENTS ||
	    !(flexos__harden_flags((int)id) & FLEXOS_COMP_HARDEN_ASAN))
		return 0;
	if ((err = key_range(id, 0, rt->heaps[id].start, rt->heaps[id].end, key)))
		return err;
	for (unsigned i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		const struct flexos_region *r = &rt->image->compartments[id].regions[sections[i]];
		if ((err = key_range(id, 1 + i, r->start, r->end, key)))
			return err;
	}
	return 0;
}

/*
 * A `libc: newlib` compartment runs with key 0 denied, and its checks read
 * the shadow of every byte its code touches: also of the memory every
 * compartment shares (the shared heap, the shared data, the constants),
 * whose shadow therefore takes the shared key, which it may read and
 * write. Only in images with such a compartment built with asan: there
 * flexos-link aligns the shared sections to 32 KiB (the heaps are), so
 * that those shadow pages are the shared memory's alone. Another
 * compartment that writes them can at worst poison shared memory for the
 * newlib compartment's checks: it can write that memory itself.
 */
int flexos__asan_key_shared_shadow(const struct flexos_region *r, unsigned n, int key)
{
	const struct flexos_image *img = flexos__runtime()->image;
	uint32_t id;
	int err;

	for (id = 0; id < img->ncompartments; id++)
		if ((img->compartments[id].flags & FLEXOS_COMP_NEWLIB) &&
		    (flexos__harden_flags((int)id) & FLEXOS_COMP_HARDEN_ASAN))
			break;
	if (id == img->ncompartments)
		return 0;
	if (n > KEYED_RANGES)
		return -E2BIG;
	for (unsigned i = 0; i < n; i++)
		if (r[i].end > r[i].start &&
		    (err = key_range(FLEXOS__ASAN_SHARED, i, r[i].start, r[i].end, key)))
			return err;
	return 0;
}

int flexos__asan_key_stack_shadow(uint32_t id, uintptr_t lo, uintptr_t hi, int key)
{
	if (id >= FLEXOS_MAX_COMPARTMENTS ||
	    !(flexos__harden_flags((int)id) & FLEXOS_COMP_HARDEN_ASAN))
		return 0;
	for (unsigned slot = 4; slot < KEYED_RANGES; slot++)
		if (keyed[id][slot].lo == keyed[id][slot].hi)
			return key_range(id, slot, lo, hi, key);
	return -ENOSPC; /* the backend keys a compartment's stacks twice at most */
}

int flexos__asan_keyed_shadow(uint32_t id, unsigned i, uintptr_t *lo, uintptr_t *hi)
{
	if (id > FLEXOS__ASAN_SHARED || i >= KEYED_RANGES)
		return -1;
	if (keyed[id][i].lo == keyed[id][i].hi)
		return 1;
	*lo = keyed[id][i].lo;
	*hi = keyed[id][i].hi;
	return 0;
}
