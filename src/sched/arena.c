/*
 * The scheduler's own memory: one static region, whose bounds are
 * link-time constants (addresses the code computes, never read from
 * memory), for every structure the scheduler allocates for itself: each
 * OS thread's scheduler, the threads' control blocks, timers, descriptor
 * watches, the deadline heaps, the rings of flexos_mbox_init.
 *
 * Under intel-mpk that memory is key 0, which every compartment writes
 * (docs/threat-model.md, limit 13), and the scheduler runs with the
 * rights of whichever thread calls it. So every pointer it reads from its
 * own memory (or from TLS) is checked to lie in the region before
 * anything is written through it (flexos__sched_own): a forged one ends
 * the image instead of making the scheduler write, with the rights of the
 * compartment whose thread runs it, where another compartment chose
 * (attack --sched-deputy). Forged state can still confuse the scheduler,
 * inside the region.
 *
 * Blocks come in powers of two from 64 bytes, each with a 16-byte header
 * naming its size class, from a bump pointer or the class's free list;
 * whatever of this is read from the region is checked the same way.
 */
#include "autoconfig.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "sched_impl.h"

#define ARENA_SIZE FLEXOS__SCHED_ARENA_SIZE
#define MIN_SHIFT  6
#define NCLASS     15 /* 64 B .. 1 MiB */
#define HEADER     16

/*
 * FLEXOS__SCHED_ARENA_SLACK more bytes, never handed out, behind what
 * OWN checks against: an access a little past a checked object (a
 * thread's backend state behind its control block) stays in the array.
 */
_Alignas(4096) unsigned char flexos__sched_arena[ARENA_SIZE + FLEXOS__SCHED_ARENA_SLACK];
#define arena flexos__sched_arena
static size_t bump;
static unsigned char *free_list[NCLASS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* A fork while another thread allocates leaves the child a usable lock. */
static void fork_prepare(void)
{
	pthread_mutex_lock(&lock);
}

static void fork_parent(void)
{
	pthread_mutex_unlock(&lock);
}

static void fork_child(void)
{
	pthread_mutex_init(&lock, NULL);
}

__attribute__((constructor)) static void arena_atfork(void)
{
	pthread_atfork(fork_prepare, fork_parent, fork_child);
}

noreturn void flexos__sched_not_own(void)
{
	flexos__sched_die("a pointer in the scheduler's memory names memory outside it; "
			  "a compartment changed the scheduler's state (under intel-mpk "
			  "every compartment can write it: docs/threat-model.md, limit 13)");
}

static size_t class_size(unsigned c)
{
	return (size_t)1 << (MIN_SHIFT + c);
}

void *flexos__sched_alloc(size_t size)
{
	unsigned c = 0;
	unsigned char *b;

	if (size > class_size(NCLASS - 1) - HEADER)
		return NULL;
	while (class_size(c) < size + HEADER)
		c++;
	pthread_mutex_lock(&lock);
	b = __atomic_load_n(&free_list[c], __ATOMIC_RELAXED);
	if (b) {
		flexos__sched_own(b, class_size(c));
		free_list[c] = *(unsigned char **)b;
	} else {
		/* (read once: key 0, which other threads may write without the lock) */
		size_t at = __atomic_load_n(&bump, __ATOMIC_RELAXED);
		if (at <= ARENA_SIZE - class_size(c)) {
			b = arena + at;
			__atomic_store_n(&bump, at + class_size(c), __ATOMIC_RELAXED);
		}
	}
	pthread_mutex_unlock(&lock);
	if (!b)
		return NULL;
	memset(b, 0, class_size(c));
	*(uint64_t *)b = c;
	return b + HEADER;
}

/* p's block, checked, and its class. */
static unsigned char *block_of(void *p, unsigned *c)
{
	unsigned char *b = flexos__sched_own((unsigned char *)p - HEADER, HEADER);
	uint64_t cls = *(uint64_t *)b;

	if (cls >= NCLASS)
		flexos__sched_die("a block of the scheduler's memory has no size class; a "
				  "compartment changed the scheduler's state (docs/threat-model.md, "
				  "limit 13)");
	*c = (unsigned)cls;
	return flexos__sched_own(b, class_size(*c));
}

void flexos__sched_free(void *p)
{
	unsigned c;
	unsigned char *b;

	if (!p)
		return;
	b = block_of(p, &c);
	pthread_mutex_lock(&lock);
	*(unsigned char **)b = free_list[c];
	free_list[c] = b;
	pthread_mutex_unlock(&lock);
}

void *flexos__sched_realloc(void *p, size_t size)
{
	unsigned c;
	void *q;

	if (!p)
		return flexos__sched_alloc(size);
	block_of(p, &c);
	if (size <= class_size(c) - HEADER)
		return p;
	q = flexos__sched_alloc(size);
	if (!q)
		return NULL;
	memcpy(q, p, class_size(c) - HEADER);
	flexos__sched_free(p);
	return q;
}
