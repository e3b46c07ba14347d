/*
 * User-level threads (the scheduler component, src/sched/) on the intel-mpk
 * backend. Many threads share one OS thread and so one gate page; each
 * suspended thread's gate state (its compartment, its stack in each
 * compartment, its gate calls in progress) and the stack pointer it was
 * suspended at are in a switch record with the gate key (mpk.h:
 * MPK_UREC_MAX), which gate.S's flexos__mpk_thread_resume saves and loads
 * with the gate page open, so that the next thread's stack and PKRU come
 * from memory no compartment can write. The scheduler's memory only
 * names the record (struct mpk_uthread). So each thread has one stack
 * per compartment it entered, as an OS thread does.
 *
 * The stacks a thread got in other compartments (from the gate's slow
 * path) outlive it as spares of their compartment: the next thread that
 * enters that compartment reuses one. They keep their key and their entry
 * in the fault report's table, which never shrinks.
 *
 * With shared stacks a thread has one stack, the scheduler's, left at key 0
 * so that every compartment the thread enters can use it.
 */
#include "autoconfig.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common.h"
#include "mpk.h"

static pthread_mutex_t spare_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	uintptr_t *top;
	size_t n, cap;
} spare[MPK_SLOTS];

uintptr_t flexos__mpk_spare_stack(uint64_t comp)
{
	uintptr_t top = 0;

	pthread_mutex_lock(&spare_lock);
	if (spare[comp].n)
		top = spare[comp].top[--spare[comp].n];
	pthread_mutex_unlock(&spare_lock);
	return top;
}

static void put_spare(uint64_t comp, uintptr_t top)
{
	pthread_mutex_lock(&spare_lock);
	if (spare[comp].n == spare[comp].cap) {
		size_t cap = spare[comp].cap ? 2 * spare[comp].cap : 16;
		uintptr_t *p = realloc(spare[comp].top, cap * sizeof(*p));
		if (!p) {
			/* Lose the stack rather than fail: it stays mapped, unused. */
			pthread_mutex_unlock(&spare_lock);
			return;
		}
		spare[comp].top = p;
		spare[comp].cap = cap;
	}
	spare[comp].top[spare[comp].n++] = top;
	pthread_mutex_unlock(&spare_lock);
}

int flexos__mpk_thread_init(void *state, void *stack, size_t size, void *sp)
{
	struct mpk_uthread *u = state;
	uint64_t c = flexos__mpk_cur();
	uintptr_t top = (uintptr_t)stack + size - MPK_STACK_HEADROOM - 8;

	flexos__mpk_self();
	memset(u, 0, sizeof(*u));
	/* A thread starts in its creator's compartment, on a stack of its key. */
	if (!flexos__mpk_shared_stacks() &&
	    pkey_mprotect(stack, size, PROT_READ | PROT_WRITE, flexos__mpk_ro.ro.keys[c]))
		return -errno;
	u->rec = flexos__mpk_urec_new((uintptr_t)sp, top);
	if (!u->rec)
		return -EAGAIN;
	u->cur = c;
	u->home = c;
	u->stack_lo[c] = (uintptr_t)stack;
	u->stack_hi[c] = (uintptr_t)stack + size;
	return 0;
}

/*
 * The scheduler's hook, before flexos__mpk_thread_resume: what the fault
 * report and thread_fini need, which is not the gate's state.
 */
void flexos__mpk_thread_switch(void *save_to, const void *load_from)
{
	struct mpk_thread *t = &flexos__mpk_thread;
	struct mpk_uthread *s = save_to;
	const struct mpk_uthread *l = load_from;

	if (s == l)
		return;
	s->cur = flexos__mpk_cur();
	memcpy(s->stack_lo, t->stack_lo, sizeof(s->stack_lo));
	memcpy(s->stack_hi, t->stack_hi, sizeof(s->stack_hi));
	memcpy(t->stack_lo, l->stack_lo, sizeof(t->stack_lo));
	memcpy(t->stack_hi, l->stack_hi, sizeof(t->stack_hi));
}

void flexos__mpk_thread_fini(void *state)
{
	struct mpk_uthread *u = state;

	flexos__mpk_urec_free(u->rec);
	for (uint64_t c = 0; c < flexos__mpk_ro.ro.ncomp && c < MPK_SLOTS; c++)
		if (c != u->home && u->stack_hi[c])
			put_spare(c, u->stack_hi[c]);
}
