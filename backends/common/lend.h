/*
 * The frame flexos__lend_gate (lend-gate.S) keeps on the caller's stack and
 * hands to flexos__lend_in / flexos__lend_out (lend.c). Offsets from the
 * frame's base, which is 16-byte aligned.
 */
#ifndef FLEXOS_BACKENDS_LEND_H
#define FLEXOS_BACKENDS_LEND_H

#define LEND_FR_REGS  0   /* rdi, rsi, rdx, rcx, r8, r9: what the callee gets */
#define LEND_FR_DESC  48  /* the gate's struct flexos_lend */
#define LEND_FR_TOP   56  /* the thread's first free slot before this call (4 bytes) */
#define LEND_FR_LENT  60  /* bit i: register i was lent (4 bytes) */
#define LEND_FR_ORIG  64  /* the caller's pointers, by register */
#define LEND_FR_SIZE  112 /* bytes lent, by register (4 bytes each) */
#define LEND_FR_R10   136
#define LEND_FR_R11   144
#define LEND_FR_ELEMS 152 /* the book's first free element record before this call (2 bytes) */
#define LEND_FR_BOOK  154 /* 1 + the lend slot of the caller's book this call uses, or 0 (2 bytes) \
			   */
#define LEND_FR_XMM   160 /* xmm0-7 */
#define LEND_FR_RAX   288 /* the results, while lend_out runs */
#define LEND_FR_RDX   296
#define LEND_FR_XRET  304 /* xmm0, xmm1 */
#define LEND_FR_NOBJS 156 /* records in LEND_FR_OBJS (4 bytes) */
/*
 * The members and stack arguments this call lent, where each copy goes
 * back: on the caller's stack, where the callee cannot point a copy-back
 * elsewhere (the thread's records are in static TLS, key 0 under
 * intel-mpk). At most one a slot.
 */
#define LEND_FR_OBJS  336
#define LEND_OBJS     8
#define LEND_FRAME    528

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

#include <flexos/image.h>

struct flexos__lend_obj {
	uint64_t orig, copy;
	uint32_t size, out;
};

struct flexos__lend_frame {
	uint64_t regs[6];
	const struct flexos_lend *desc;
	uint32_t top;
	uint32_t lent;
	uint64_t orig[6];
	uint32_t size[6];
	uint64_t r10, r11;
	uint16_t elems;
	uint16_t book;
	uint32_t nobjs;
	unsigned char xmm_and_results[LEND_FR_OBJS - LEND_FR_XMM];
	struct flexos__lend_obj objs[LEND_OBJS];
};

_Static_assert(offsetof(struct flexos__lend_frame, desc) == LEND_FR_DESC, "lend frame");
_Static_assert(offsetof(struct flexos__lend_frame, top) == LEND_FR_TOP, "lend frame");
_Static_assert(offsetof(struct flexos__lend_frame, lent) == LEND_FR_LENT, "lend frame");
_Static_assert(offsetof(struct flexos__lend_frame, orig) == LEND_FR_ORIG, "lend frame");
_Static_assert(offsetof(struct flexos__lend_frame, size) == LEND_FR_SIZE, "lend frame");
_Static_assert(offsetof(struct flexos__lend_frame, r10) == LEND_FR_R10, "lend frame");
_Static_assert(offsetof(struct flexos__lend_frame, elems) == LEND_FR_ELEMS &&
		   offsetof(struct flexos__lend_frame, book) == LEND_FR_BOOK &&
		   offsetof(struct flexos__lend_frame, nobjs) == LEND_FR_NOBJS &&
		   offsetof(struct flexos__lend_frame, xmm_and_results) == LEND_FR_XMM,
	       "lend frame");
_Static_assert(offsetof(struct flexos__lend_frame, objs) == LEND_FR_OBJS &&
		   sizeof(struct flexos__lend_frame) == LEND_FRAME && LEND_FRAME % 16 == 0,
	       "lend frame");

void flexos__lend_in(struct flexos__lend_frame *fr);
uint64_t flexos__lend_out(struct flexos__lend_frame *fr, uint64_t rax);
#endif

#endif
