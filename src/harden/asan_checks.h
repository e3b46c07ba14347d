/*
 * This file is private to the hardening runtimes: the shadow's upkeep, the
 * checks gcc calls for asan and the layout of an allocation with red zones,
 * included once by each C library's runtime, asan.c (glibc's image) and
 * newlib/asan.c (a `libc: newlib` compartment). Both write the shadow
 * alike, so that a report of either reads the other's marks; what differs
 * is where a bug goes and who maps the shadow, so the includer defines
 * first:
 *   bad_access(a, n, write, pc)  the report of a bad access of n bytes at
 *                                a, which never returns;
 *   shadow_before_globals()      whatever must happen before globals are
 *                                registered for the shadow to be mapped.
 * It uses the includer's C library (memset) and <stdint.h>.
 */
#ifndef FLEXOS_HARDEN_ASAN_CHECKS_H
#define FLEXOS_HARDEN_ASAN_CHECKS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "shadow.h"

#define RET ((uintptr_t)__builtin_return_address(0))

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
#define ASAN_CHECK(name, params, n, write) \
	void name params;                  \
	void name params                   \
	{                                  \
		check(a, n, write, RET);   \
	}
#define ASAN_CHECKS(n)                                            \
	ASAN_CHECK(__asan_load##n, (uintptr_t a), n, 0)           \
	ASAN_CHECK(__asan_load##n##_noabort, (uintptr_t a), n, 0) \
	ASAN_CHECK(__asan_store##n, (uintptr_t a), n, 1)          \
	ASAN_CHECK(__asan_store##n##_noabort, (uintptr_t a), n, 1)

ASAN_CHECKS(1)
ASAN_CHECKS(2)
ASAN_CHECKS(4)
ASAN_CHECKS(8)
ASAN_CHECKS(16)
ASAN_CHECK(__asan_loadN, (uintptr_t a, size_t n), n, 0)
ASAN_CHECK(__asan_loadN_noabort, (uintptr_t a, size_t n), n, 0)
ASAN_CHECK(__asan_storeN, (uintptr_t a, size_t n), n, 1)
ASAN_CHECK(__asan_storeN_noabort, (uintptr_t a, size_t n), n, 1)

/* ---- globals and the stack ---------------------------------------------- */

void __asan_register_globals(struct flexos__asan_global *g, size_t n);
void __asan_unregister_globals(struct flexos__asan_global *g, size_t n);

void __asan_register_globals(struct flexos__asan_global *g, size_t n)
{
	shadow_before_globals();
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

/* ---- an allocation with red zones --------------------------------------- */

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
	uint32_t left; /* from the underlying allocator's chunk to the allocation */
	size_t size;
	size_t cap; /* usable size of the chunk */
};

/*
 * Freed allocations wait here, poisoned, before the underlying allocator
 * may hand their memory out again, so that a use after free finds them
 * poisoned. A FIFO through the allocations' headers.
 */
struct fifo {
	struct hdr *head, *tail;
	size_t bytes;
};

/* How large a chunk an allocation of size bytes aligned to align takes. */
static size_t chunk_bytes(size_t align, size_t size)
{
	return sizeof(struct hdr) + align + ((size + 15) & ~(size_t)15) + RIGHT_RZ;
}

/*
 * Lays out an allocation of size bytes aligned to align (a power of two, at
 * least 16) in raw, a chunk of chunk_bytes(align, size) bytes at least, cap
 * usable: its header, and red zones on both sides. Past the chunk's end
 * nothing is poisoned, whatever cap says.
 */
static void *place(char *raw, size_t cap, size_t align, size_t size)
{
	uintptr_t user = ((uintptr_t)raw + sizeof(struct hdr) + align - 1) & ~(align - 1);
	struct hdr *hd = (struct hdr *)user - 1;

	hd->next = NULL;
	hd->magic = HDR_LIVE;
	hd->left = (uint32_t)(user - (uintptr_t)raw);
	hd->size = size;
	hd->cap = cap;
	/* The underlying allocator's chunk header (16 bytes) before raw is poisoned too. */
	poison((uintptr_t)raw - 16, user - (uintptr_t)raw + 16, FLEXOS__SH_HEAP);
	unpoison(user, size);
	uintptr_t open = user + ((size + 7) & ~(size_t)7);
	uintptr_t end = ((uintptr_t)raw + cap) & ~(uintptr_t)7;
	if (end > open)
		poison(open, end - open, FLEXOS__SH_HEAP);
	return (void *)user;
}

/* The chunk of the underlying allocator that holds hd's allocation. */
static void *chunk_of(struct hdr *hd)
{
	return (char *)(hd + 1) - hd->left;
}

/* Marks hd's allocation freed: a use of it is reported from now on. */
static void mark_freed(struct hdr *hd)
{
	hd->magic = HDR_FREED;
	poison((uintptr_t)(hd + 1), (hd->size + 7) & ~(size_t)7, FLEXOS__SH_FREED);
}

static void fifo_put(struct fifo *q, struct hdr *hd)
{
	if (q->tail)
		q->tail->next = hd;
	else
		q->head = hd;
	q->tail = hd;
	q->bytes += hd->cap;
}

/* The oldest allocation of q, taken out, while q is over its size; else NULL. */
static struct hdr *fifo_evict(struct fifo *q)
{
	if (q->bytes <= QUARANTINE_BYTES || !q->head)
		return NULL;
	struct hdr *old = q->head;
	q->head = old->next;
	if (!q->head)
		q->tail = NULL;
	q->bytes -= old->cap;
	return old;
}

#endif
