/*
 * longjmp across intel-mpk gates: the records of the image's setjmps and
 * the checks of a jump that crosses gates (gate.S: flexos__backend_setjmp
 * and flexos__backend_longjmp call these with this thread's gate page
 * open, on the caller's stack).
 *
 * A setjmp records what it needs on the thread's jump page (gate key):
 * a compartment can read the records but not forge one, so a longjmp
 * that crosses gates lands only where a setjmp of the target compartment
 * was made, with that setjmp's registers, never where a jmp_buf (which
 * may be in shared memory) says.
 */
#include "autoconfig.h"

#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"
#include "mpk.h"
#include "runtime.h"

static struct mpk_jump_page *jump_page(struct mpk_gate_page *gp)
{
	return (struct mpk_jump_page *)((char *)gp + MPK_JUMP_OFFSET);
}

void flexos__mpk_jump_reset(struct mpk_gate_page *gp)
{
	struct mpk_jump_page *jp = jump_page(gp);

	memset(jp, 0, sizeof(*jp));
	jp->owner = gp->owner;
}

/* Keeps the records for which keep() is true, in order. */
static void sweep(struct mpk_jump_page *jp, int (*drop)(const struct mpk_jump *, const void *),
		  const void *arg)
{
	uint64_t n = 0;

	for (uint64_t i = 0; i < jp->n && i < MPK_JUMPS; i++)
		if (!drop(&jp->j[i], arg)) {
			if (n != i)
				jp->j[n] = jp->j[i];
			n++;
		}
	jp->n = n;
}

/*
 * What a new setjmp makes stale: records of the same jmp_buf, records of
 * gate calls that have returned (deeper than now, or as deep but in
 * another compartment), and those of frames below this one on the same
 * stack that have returned (their stack pointer is below the new one's).
 */
static int stale_at(const struct mpk_jump *j, const void *arg)
{
	const struct mpk_jump *now = arg;

	return j->env == now->env || j->depth > now->depth ||
	       (j->depth == now->depth && (j->comp != now->comp || j->regs[6] < now->regs[6]));
}

void flexos__mpk_jump_record(struct mpk_gate_page *gp, uint64_t env, uint64_t savemask,
			     const uint64_t *regs, const uint64_t *mask)
{
	struct mpk_jump_page *jp = jump_page(gp);
	struct mpk_jump now = {
	    .env = env,
	    .depth = gp->depth,
	    .comp = gp->cur & (MPK_SLOTS - 1),
	    .savemask = savemask != 0,
	};

	if (jp->owner != gp->owner)
		flexos__mpk_jump_reset(gp);
	memcpy(now.regs, regs, sizeof(now.regs));
	memcpy(now.sp, gp->sp, sizeof(now.sp));
	/*
	 * The mask as it was at the setjmp, which gate.S read before it
	 * blocked every signal for the record (a signal while the page is
	 * open ends the image), with the caller's PKRU, from the caller's
	 * stack: any value there is one the caller could set itself.
	 */
	if (now.savemask)
		memcpy(&now.mask, mask, sizeof(now.mask));
	sweep(jp, stale_at, &now);
	/* Full: the oldest goes; a jump to it that crosses gates is reported. */
	if (jp->n == MPK_JUMPS) {
		memmove(&jp->j[0], &jp->j[1], sizeof(jp->j[0]) * (MPK_JUMPS - 1));
		jp->n--;
	}
	jp->j[jp->n++] = now;
}

static int deeper(const struct mpk_jump *j, const void *arg)
{
	return j->depth > *(const uint64_t *)arg;
}

static noreturn void refuse(const struct mpk_jump *j, uint64_t cur, uint64_t depth, const char *why)
{
	char site[160];

	flexos__describe_pc(site, sizeof(site), j->regs[7]);
	flexos__die(
	    FLEXOS_EXIT_FAULT,
	    "longjmp in compartment '%s' (%lu gate calls deep) to the setjmp of compartment "
	    "'%s' at %s (%lu deep) cannot be honoured: %s",
	    flexos__comp_name((int)cur), (unsigned long)depth, flexos__comp_name((int)j->comp),
	    site, (unsigned long)j->depth, why);
}

/*
 * The MXCSR's control bits and the x87 control word of the gate call a
 * jump abandons (PUSH_CALLER's copy, on the gate page), as that gate's
 * way back puts them back (FP_CONTROL_BACK): the compartment jumped out
 * of cannot leave its choice there. The MXCSR's status flags stay. An
 * x87 exception the jumper left pending (unmasked) is cleared first:
 * FLDCW would raise it here, with the gate page open (after a plain
 * longjmp it would reach the target's next x87 instruction).
 */
static void fp_control_back(uint32_t saved)
{
	uint32_t mxcsr;
	uint16_t cw = (uint16_t)(saved >> 16), sw;

	__asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
	mxcsr = (mxcsr & MPK_MXCSR_FLAGS) | (saved & 0xffff & ~(uint32_t)MPK_MXCSR_FLAGS);
	__asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
	__asm__ volatile("fnstsw %0" : "=m"(sw));
	if (sw & 0x80) /* ES: an unmasked exception pending */
		__asm__ volatile("fnclex");
	__asm__ volatile("fldcw %0" : : "m"(cw));
}

static int unwind(struct mpk_gate_page *gp, uint64_t env, uint64_t *mask);

int flexos__mpk_jump_unwind(struct mpk_gate_page *gp, uint64_t env, const uint64_t *mask)
{
	uint64_t after = *mask;
	int r = unwind(gp, env, &after);

	/* For gate.S, which puts it in force once the page is closed again. */
	jump_page(gp)->mask_after = after;
	return r;
}

/*
 * The unwind of a jump to env, which crosses gates; *mask becomes the
 * record's mask where its sigsetjmp saved one.
 */
static int unwind(struct mpk_gate_page *gp, uint64_t env, uint64_t *mask)
{
	struct mpk_jump_page *jp = jump_page(gp);
	uint64_t depth = gp->depth, cur = gp->cur & (MPK_SLOTS - 1);
	const struct mpk_jump *j = NULL;
	uint64_t i;

	if (jp->owner != gp->owner)
		return -1;
	for (i = 0; i < jp->n && i < MPK_JUMPS; i++)
		if (jp->j[i].env == env) {
			j = &jp->j[i];
			break;
		}
	/*
	 * No record: a setjmp outside the image's code (a shared library) or
	 * one the full page let go. The C library's jump keeps the PKRU, so
	 * it lands where it may run or faults with a report.
	 */
	if (!j || (j->depth == depth && j->comp == cur))
		return -1;
	if (j->depth > depth)
		refuse(j, cur, depth, "the gate call it was made in has returned");
	if (j->depth == depth)
		refuse(j, cur, depth,
		       "the gate call it was made in has returned (another "
		       "compartment runs at that depth now)");
	if ((gp->ids[j->depth] & (MPK_SLOTS - 1)) != j->comp)
		refuse(j, cur, depth,
		       "the gate call at that depth was made by another compartment "
		       "(the setjmp's frame has returned)");
	/* Its compartment's stack continues below the frame: still live. */
	if (!flexos__mpk_shared_stacks() && gp->sp[j->comp] > j->regs[6])
		refuse(j, cur, depth, "its frame has returned");

	/*
	 * Unwind: each gate call between the two depths made its caller's
	 * stack pointer sp[caller]; the record holds them as they were.
	 * A compartment first entered meanwhile (0 in the record) keeps its
	 * stack where the abandoned call left it.
	 */
	if (!flexos__mpk_shared_stacks())
		for (uint64_t k = j->depth; k < depth; k++) {
			unsigned c = gp->ids[k] & (MPK_SLOTS - 1);
			if (j->sp[c])
				gp->sp[c] = j->sp[c];
		}
	gp->depth = j->depth;
	gp->cur = j->comp;
	fp_control_back(gp->fpctl[j->depth]);
	/* (as pthread_sigmask: never the C library's own SIGCANCEL and SIGSETXID) */
	if (j->savemask)
		*mask = j->mask & ~(3ull << 31);
	/* The calls between have ended: so have their records. */
	uint64_t keep = j->depth;
	sweep(jp, deeper, &keep);
	for (i = 0; i < jp->n; i++)
		if (jp->j[i].env == env)
			break;
	jp->armed = i + 1;
	return (int)i;
}
