/*
 * attack --look-jump new|first (limit 13 of docs/threat-model.md; found
 * by an attack review): urec_new and urec_first (gate.S) close the gate
 * page for their look for another record naming the thread, then open it
 * again and write a record. lib1 jumps to that second opening, past the
 * first one and its checks, with registers of its choice:
 *   new    %rsi the handle of app's suspended thread's record, %r8 a
 *          switch frame of lib1's in shared memory, whose return address
 *          is lib1's code; lib1 also sets the scheduler's copy of the
 *          thread's stack pointer (key 0) to it, and app yields, so that
 *          the switch would resume the thread there, with app's PKRU;
 *   first  (the undo after a refused look) %rdi its own gate page's cur
 *          less MPK_G_THREAD, so that the zero it writes there names app
 *          (id 0), and a stack in shared memory whose return address is
 *          lib1's code, which would then run with app's PKRU.
 * The page says no look was in progress: the report (134). Before (the
 * record and the addresses taken from registers after the second
 * opening), lib1's code read app's secret with app's PKRU (status 1).
 */
#define _GNU_SOURCE 1
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <flexos/flexos.h>
#include <flexos/sched.h>

#include "../../backends/mpk/mpk.h"
#include "../../src/sched/sched_impl.h"
#include "attacklib.h"
#include "evil.h"
#include "lookjump.h"

extern char flexos__mpk_urec_new_reopen_checked[];
extern char flexos__mpk_urec_first_undo_checked[];

/* The OPEN_GATE before a label: xor, rdpkru, and, wrpkru (14 bytes; its cld is after). */
#define OPEN_GATE_BYTES 14

/* jump_new(handle, rsp, sp, to): urec_new from its second opening, frame 0. */
void jump_new(uint64_t handle, uintptr_t rsp, uintptr_t sp, uintptr_t to);
/* jump_first(rdi, rsi, to, stack): urec_first's undo, with that stack. */
void jump_first(uintptr_t rdi, uint64_t rsi, uintptr_t to, uintptr_t stack);
__asm__(".text\n"
	".globl jump_new\n"
	".type jump_new, @function\n"
	"jump_new:\n"
	"	movq %rsi, %r8\n"
	"	movq %rdx, %r9\n"
	"	movq %rdi, %rsi\n"
	"	pxor %xmm8, %xmm8\n"
	"	jmp *%rcx\n"
	".size jump_new, .-jump_new\n"
	".globl jump_first\n"
	".type jump_first, @function\n"
	"jump_first:\n"
	"	movl $-1, %r8d\n"
	"	movq %rcx, %rsp\n"
	"	jmp *%rdx\n"
	".size jump_first, .-jump_first\n");

/* What lib1 keeps: shared, since its code reads it with app's PKRU too. */
static struct {
	char stack[65536] __attribute__((aligned(16)));
	uintptr_t secret;
	uint32_t app_pkru;
} lj FLEXOS_SHARED;

static volatile int lj_go;

static void *lj_worker(void *arg)
{
	while (!lj_go)
		flexos_sched_yield();
	return arg;
}

/* lib1's code, where the jump would leave it: with app's PKRU, app's secret. */
static void lj_evil(void)
{
	evil_ran("look-jump", lj.secret, lj.app_pkru);
}

/* Run by lib1 (lib1_call: cb(x + 1) + 1): x - 1 is app's suspended thread. */
static long jump_new_in_lib1(long x)
{
	struct flexos_thread *t = (struct flexos_thread *)(x - 1);
	const struct mpk_uthread *u = (const struct mpk_uthread *)t->bstate;
	/* A switch frame (switch.S): control words, six registers, return address. */
	uint64_t *frame = (uint64_t *)(lj.stack + 60000 + 8);

	memset(frame, 0, 9 * sizeof(*frame));
	frame[0] = 0x037f | (uint64_t)0x1f80 << 32;
	frame[7] = (uintptr_t)lj_evil;
	jump_new(u->rec, (uintptr_t)frame, (uintptr_t)frame,
		 (uintptr_t)flexos__mpk_urec_new_reopen_checked - OPEN_GATE_BYTES);
	t->sp = frame; /* the scheduler's copy: key 0 */
	return 0;
}

static long jump_first_in_lib1(long x)
{
	uintptr_t gp = (uintptr_t)flexos__mpk_thread.gp;
	uintptr_t *top = (uintptr_t *)(lj.stack + 60000);

	(void)x;
	*top = (uintptr_t)lj_evil;
	jump_first(gp + MPK_G_CUR - MPK_G_THREAD, 0,
		   (uintptr_t)flexos__mpk_urec_first_undo_checked - OPEN_GATE_BYTES,
		   (uintptr_t)top);
	return 0;
}

int look_jump(const char *how, uintptr_t app_secret)
{
	struct flexos_thread *t;
	long r = 0;

	lj.secret = app_secret;
	lj.app_pkru = flexos__mpk_rdpkru();
	if (!strcmp(how, "first")) {
		printf("look-jump first: lib1 jumps to urec_first's undo\n");
		fflush(stdout);
		flexos_gate_r(lib1, r, lib1_call, jump_first_in_lib1, 0);
		printf("look-jump first: lib1 returned %ld: FAIL\n", r);
		return 1;
	}
	if (strcmp(how, "new"))
		return 2;
	if (flexos_sched_create(&t, 0, lj_worker, (void *)7))
		return 2;
	flexos_sched_yield(); /* t runs and yields back: suspended in app */
	printf("look-jump new: lib1 jumps to urec_new's second opening with the record of app's "
	       "suspended thread\n");
	fflush(stdout);
	flexos_gate_r(lib1, r, lib1_call, jump_new_in_lib1, (long)t);
	printf("look-jump new: lib1 returned %ld; app yields to its thread\n", r);
	fflush(stdout);
	lj_go = 1;
	flexos_sched_yield();
	void *ret = NULL;
	flexos_sched_join(t, &ret);
	printf("look-jump new: app's thread returned %p, not hijacked, but lib1 came back\n", ret);
	return 1;
}
