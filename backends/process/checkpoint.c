/*
 * Checkpoints of a sandbox (the functions under 'checkpoint:' of its
 * library, FLEXOS_ENTRY_CHECKPOINT).
 *
 * A sandbox restarted after a crash (on_crash: restart) keeps its data,
 * bss and heap as the crash left them: shared with its host, they outlive
 * its process. A library caught halfway through a call (an interpreter
 * with a frame pushed, a lock taken, a count raised) is then inconsistent
 * for every later call. So the host, which may write its sandbox's
 * memory, saves it before the outermost call of a checkpointed function,
 * and the supervisor puts it back when the sandbox dies during that call,
 * before the new process is forked and before the host's gate learns of
 * the crash: the gate returns its error with the sandbox as it was before
 * the call.
 *
 * The copy is a mapping made before the supervisor is forked, so that the
 * host and the supervisor share it; every other process unmaps it (the
 * sandbox must not read or plant its own checkpoint).
 */
#include "autoconfig.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <flexos/flexos.h>

#include "common.h"
#include "process.h"

struct checkpoint {
	uint32_t active; /* a saved state is valid: a call is in progress */
	uint32_t reserved;
	size_t heap_bytes; /* of the heap's first range, from its start */
			   /* Then: data, bss, heap, at page-aligned offsets. */
};

static struct {
	struct checkpoint *ck; /* NULL: the compartment has no checkpoint here */
	size_t len;
	int host;
	uintptr_t data, data_end, bss, bss_end, heap, heap_end;
} saved[FLEXOS_MAX_COMPARTMENTS];

/* The host's outermost checkpointed call per sandbox: only it saves. */
static __thread unsigned depth[FLEXOS_MAX_COMPARTMENTS];

static size_t page_round(size_t n)
{
	size_t p = (size_t)sysconf(_SC_PAGESIZE);
	return (n + p - 1) & ~(p - 1);
}

int flexos__proc_checkpoint_init(const struct flexos_runtime *rt)
{
	const struct flexos_image *img = rt->image;

	for (uint32_t e = 0; e < img->nentries; e++) {
		uint32_t c = img->entries[e].compartment;
		if (!(img->entries[e].flags & FLEXOS_ENTRY_CHECKPOINT) || c >= img->ncompartments ||
		    saved[c].ck)
			continue;
		const struct flexos_compartment *comp = &img->compartments[c];
		/* flexos-link allows 'checkpoint' only on a sandbox that restarts. */
		if (!(comp->flags & FLEXOS_COMP_SANDBOX) || !(comp->flags & FLEXOS_COMP_RESTART))
			continue;
		saved[c].host = (int)FLEXOS_COMP_HOST(comp->flags);
		saved[c].data = comp->regions[FLEXOS_REGION_DATA].start;
		saved[c].data_end = comp->regions[FLEXOS_REGION_DATA].end;
		saved[c].bss = comp->regions[FLEXOS_REGION_BSS].start;
		saved[c].bss_end = comp->regions[FLEXOS_REGION_BSS].end;
		saved[c].heap = rt->heaps[c].start;
		saved[c].heap_end = rt->heaps[c].end;
		size_t len = page_round(sizeof(struct checkpoint)) +
			     page_round(saved[c].data_end - saved[c].data) +
			     page_round(saved[c].bss_end - saved[c].bss) +
			     page_round(saved[c].heap_end - saved[c].heap);
		void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			return -errno;
		saved[c].ck = p;
		saved[c].len = len;
	}
	return 0;
}

void flexos__proc_checkpoint_keep(int self)
{
	for (uint32_t c = 0; c < FLEXOS_MAX_COMPARTMENTS; c++) {
		if (!saved[c].ck || saved[c].host == self)
			continue;
		munmap(saved[c].ck, saved[c].len);
		saved[c].ck = NULL;
	}
}

/* Where the parts of compartment c's checkpoint lie. */
static unsigned char *part(uint32_t c, int which)
{
	unsigned char *p = (unsigned char *)saved[c].ck + page_round(sizeof(struct checkpoint));
	if (which > 0)
		p += page_round(saved[c].data_end - saved[c].data);
	if (which > 1)
		p += page_round(saved[c].bss_end - saved[c].bss);
	return p;
}

int flexos__proc_checkpoint_begin(uint32_t callee, uint32_t entry_flags)
{
	if (callee >= FLEXOS_MAX_COMPARTMENTS || !saved[callee].ck ||
	    !(entry_flags & FLEXOS_ENTRY_CHECKPOINT) || saved[callee].host != flexos__proc_self)
		return 0;
	if (depth[callee]++)
		return 1;
	struct checkpoint *ck = saved[callee].ck;
	uint32_t idle = 0;
	/*
	 * Another thread of the host has a call saved: restoring either's
	 * state would undo the other's call, so this one goes unsaved.
	 */
	if (!__atomic_compare_exchange_n(&ck->active, &idle, 2, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		depth[callee]--;
		return 0;
	}
	memcpy(part(callee, 0), (void *)saved[callee].data,
	       saved[callee].data_end - saved[callee].data);
	memcpy(part(callee, 1), (void *)saved[callee].bss,
	       saved[callee].bss_end - saved[callee].bss);
	ck->heap_bytes = flexos__heap_copy_used(flexos__heap_of((int)callee), part(callee, 2));
	/* 1: complete, the supervisor may restore it. */
	__atomic_store_n(&ck->active, 1, __ATOMIC_RELEASE);
	return 1;
}

void flexos__proc_checkpoint_end(uint32_t callee)
{
	if (--depth[callee])
		return;
	__atomic_store_n(&saved[callee].ck->active, 0, __ATOMIC_RELEASE);
}

int flexos__proc_checkpoint_restore(int c)
{
	if (c < 0 || c >= FLEXOS_MAX_COMPARTMENTS || !saved[c].ck)
		return 0;
	struct checkpoint *ck = saved[c].ck;
	if (__atomic_load_n(&ck->active, __ATOMIC_ACQUIRE) != 1)
		return 0;
	memcpy((void *)saved[c].data, part((uint32_t)c, 0), saved[c].data_end - saved[c].data);
	memcpy((void *)saved[c].bss, part((uint32_t)c, 1), saved[c].bss_end - saved[c].bss);
	memcpy((void *)saved[c].heap, part((uint32_t)c, 2), ck->heap_bytes);
	/* The host's gate ends the call; until then, a second crash restores it again. */
	return 1;
}
