/*
 * tests/harden: the application beside the buggy library. "app BUG" calls
 * the library's planted bug and prints "survived BUG" if nothing stopped
 * it; "app ok" runs the library's correct code ("app longjmp" a longjmp
 * out of a frame); "app shared-sum" has it read shared memory and stack
 * arguments; "app lib-pokes-shadow-C" has it write the shadow of
 * compartment C's heap; "app rekey-shadow-C" asks the kernel for key 0 on
 * that shadow ("-shared": the shared heap's); "app heaps" says whose heap
 * the library's and the application's allocations come from; "app
 * poke-shadow-C" writes the ASan shadow of compartment C's heap,
 * "poke-first-shadow-C" ("poke-last-shadow-C") that of its heap's first
 * (last) byte, "poke-bss-shadow-C" that of its .bss, "poke-stack-shadow-lib" (or -app)
 * that of a local on the library's (or the application's) stack;
 * "rekey-stack-shadow-lib" re-keys (pkey_mprotect, to key 0) and writes
 * the shadow of a local on the library's stack of a thread made after
 * start-up: under intel-mpk the filter must deny it.
 */
#define _GNU_SOURCE /* pkey_mprotect */
#include <flexos/backend.h>
#include <flexos/flexos.h>
#include <flexos/harden.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "buggy.h"

/* A thread's stack in the library: the address of a local there. */
static void *lib_local(void *arg)
{
	*(uintptr_t *)arg = buggy_stack_addr();
	return NULL;
}

/* The name of the compartment whose heap holds p, or "no compartment". */
static const char *heap_of(const void *p)
{
	const struct flexos_runtime *rt = flexos__runtime();

	for (uint32_t id = 0; id < rt->image->ncompartments; id++)
		if ((uintptr_t)p >= rt->heaps[id].start && (uintptr_t)p < rt->heaps[id].end)
			return rt->image->compartments[id].name;
	return "no compartment";
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	int r = 0;

	if (!strcmp(what, "heap-overflow"))
		r = buggy_heap_overflow(16);
	else if (!strcmp(what, "use-after-free"))
		r = buggy_use_after_free(7);
	else if (!strcmp(what, "double-free"))
		r = buggy_double_free(7);
	else if (!strcmp(what, "stack-overflow"))
		r = buggy_stack_overflow(40);
	else if (!strcmp(what, "global-overflow"))
		r = buggy_global_overflow(8);
	else if (!strcmp(what, "signed-overflow"))
		r = buggy_signed_overflow(INT_MAX);
	else if (!strcmp(what, "oob-index"))
		r = buggy_oob_index(8);
	else if (!strcmp(what, "memcpy-overflow"))
		r = buggy_memcpy_overflow(40);
	else if (!strcmp(what, "ok")) {
		r = buggy_ok(100);
		printf("ok %d\n", r);
		return r == 300 ? 0 : 1;
	} else if (!strcmp(what, "longjmp")) {
		r = buggy_longjmp(7);
		printf("longjmp %d\n", r);
		return r == 7 ? 0 : 1;
	} else if (!strcmp(what, "shared-sum")) {
		/*
		 * The library reads shared memory: the shared heap and shared
		 * data, each from its first to its last byte, and two
		 * arguments on the stack.
		 */
		static unsigned char data[64] FLEXOS_SHARED;
		unsigned char *heap = flexos_shared_malloc(100);
		if (!heap)
			return 1;
		memset(heap, 1, 100);
		memset(data, 2, sizeof(data));
		long s = buggy_sum(heap, 100, 1, 2, 3, 4, 5, 6) +
			 buggy_sum(data, sizeof(data), 10, 20, 30, 40, 50, 60);
		printf("shared-sum %ld\n", s);
		flexos_shared_free(heap);
		return s == 100 + 21 + 128 + 210 ? 0 : 1;
	} else if (!strcmp(what, "lib-pokes-shadow-app") || !strcmp(what, "lib-pokes-shadow-lib")) {
		/* The library writes the shadow of the middle of app's heap, or of its own. */
		const struct flexos_runtime *rt = flexos__runtime();
		const char *name = what + strlen("lib-pokes-shadow-");
		for (uint32_t id = 0; id < rt->image->ncompartments; id++) {
			if (strcmp(rt->image->compartments[id].name, name))
				continue;
			uintptr_t a = (rt->heaps[id].start + rt->heaps[id].end) / 2;
			buggy_poke((a >> 3) + FLEXOS_ASAN_SHADOW_OFFSET);
			printf("lib poked the shadow of %#lx, in the heap of %s\n",
			       (unsigned long)a, name);
			return 0;
		}
		return 2;
	} else if (!strncmp(what, "rekey-shadow-", 13)) {
		/*
		 * Asks the kernel to give key 0 to the shadow page of the middle
		 * of compartment C's heap ("shared": the shared heap), which
		 * the intel-mpk filter must deny.
		 */
		const struct flexos_runtime *rt = flexos__runtime();
		const char *name = what + 13;
		const struct flexos_region *r = strcmp(name, "shared") ? NULL : &rt->shared_heap;
		for (uint32_t id = 0; id < rt->image->ncompartments && !r; id++)
			if (!strcmp(rt->image->compartments[id].name, name))
				r = &rt->heaps[id];
		if (!r)
			return 2;
		uintptr_t a = (r->start + r->end) / 2;
		uintptr_t s = ((a >> 3) + FLEXOS_ASAN_SHADOW_OFFSET) & ~(uintptr_t)4095;
		if (pkey_mprotect((void *)s, 4096, PROT_READ | PROT_WRITE, 0)) {
			perror("pkey_mprotect");
			return 1;
		}
		printf("rekeyed the shadow of %#lx, in the heap of %s\n", (unsigned long)a, name);
		return 0;
	} else if (!strcmp(what, "heaps")) {
		void *lib = buggy_alloc(32), *own = malloc(32);
		printf("heaps: the library allocates from %s, the application from %s\n",
		       heap_of(lib), heap_of(own));
		buggy_free(lib);
		free(own);
		return 0;
	} else if (!strcmp(what, "poke-stack-shadow-lib") ||
		   !strcmp(what, "poke-stack-shadow-app")) {
		/* Writes the shadow of a local of the library's, or of the application's. */
		volatile char own = 0;
		uintptr_t a = what[18] == 'l' ? buggy_stack_addr() : (uintptr_t)&own;
		volatile int8_t *s = (int8_t *)((a >> 3) + FLEXOS_ASAN_SHADOW_OFFSET);
		*s = 0;
		printf("poked the shadow of %#lx, on the stack of %s\n", (unsigned long)a,
		       what + 18);
		return 0;
	} else if (!strcmp(what, "rekey-stack-shadow-lib")) {
		pthread_t t;
		uintptr_t a = 0;
		if (pthread_create(&t, NULL, lib_local, &a) || pthread_join(t, NULL) || !a)
			return 2;
		uintptr_t s = (a >> 3) + FLEXOS_ASAN_SHADOW_OFFSET;
		if (syscall(SYS_pkey_mprotect, s & ~(uintptr_t)4095, 4096, PROT_READ | PROT_WRITE,
			    0)) {
			printf("rekey-stack-shadow-lib: refused (%s)\n", strerror(errno));
			return 1;
		}
		*(volatile int8_t *)s = 0;
		printf("re-keyed and poked the shadow of %#lx, on a thread's stack of lib\n",
		       (unsigned long)a);
		return 1;
	} else if (!strncmp(what, "poke-shadow-", 12) || !strncmp(what, "poke-bss-shadow-", 16) ||
		   !strncmp(what, "poke-first-shadow-", 18) ||
		   !strncmp(what, "poke-last-shadow-", 17)) {
		/*
		 * Writes the shadow of the middle of a compartment's heap, of its
		 * .bss, or of the heap's first or last byte.
		 */
		const struct flexos_runtime *rt = flexos__runtime();
		char where = what[5]; /* s(hadow), b(ss), f(irst), l(ast) */
		const char *name = strstr(what, "shadow-") + strlen("shadow-");
		for (uint32_t id = 0; id < rt->image->ncompartments; id++) {
			if (strcmp(rt->image->compartments[id].name, name))
				continue;
			const struct flexos_region *r =
			    where == 'b' ? &rt->image->compartments[id].regions[FLEXOS_REGION_BSS]
					 : &rt->heaps[id];
			uintptr_t a = where == 'f'   ? r->start
				      : where == 'l' ? r->end - 1
						     : (r->start + r->end) / 2;
			volatile int8_t *s = (int8_t *)((a >> 3) + FLEXOS_ASAN_SHADOW_OFFSET);
			*s = 0;
			printf("poked the shadow of %#lx, in the %s of %s\n", (unsigned long)a,
			       where == 'b' ? ".bss" : "heap", name);
			return 0;
		}
		return 2;
	} else {
		fprintf(stderr,
			"usage: app heap-overflow|use-after-free|double-free|stack-overflow|"
			"global-overflow|signed-overflow|oob-index|memcpy-overflow|ok|longjmp|"
			"shared-sum|heaps|lib-pokes-shadow-COMPARTMENT|rekey-shadow-COMPARTMENT|"
			"rekey-shadow-shared|poke-shadow-COMPARTMENT|poke-first-shadow-COMPARTMENT|"
			"poke-last-shadow-COMPARTMENT|poke-bss-shadow-COMPARTMENT|poke-stack-"
			"shadow-lib|"
			"poke-stack-shadow-app|rekey-stack-shadow-lib\n");
		return 2;
	}
	printf("survived %s (%d)\n", what, r);
	return 0;
}
