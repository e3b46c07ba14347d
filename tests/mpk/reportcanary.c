/*
 * attack --report-canary (limit 1; found by an attack review): the fault
 * report called the C library's pthread_sigmask (backtrace_and_exit's
 * sigprocmask), whose stack protector compares the faulting thread's
 * canary (its TCB, %fs:0x28, key 0) before and after the system call. A
 * second thread of lib1's could change that canary in between, so that
 * glibc's __stack_chk_fail ran with the report's PKRU: __fortify_fail ->
 * __libc_message -> strchrnul through the C library's writable .got.plt,
 * whose slot lib1 rewrote to its own code. A tracer (the filter off: it
 * denies ptrace) stands in for that thread, deterministically: it changes
 * the canary at pthread_sigmask's check when the thread reaches it on the
 * report stack. lib1's code must never run with the report's rights; the
 * report (status 123) no longer calls pthread_sigmask, so the tracer's
 * breakpoint is never reached (status 2 from the tracer).
 */
#define _GNU_SOURCE 1
#include <link.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <unistd.h>

#include <flexos/flexos.h>

#include "../../backends/mpk/mpk.h"
#include "attacklib.h"
#include "gotslot.h"
#include "reportcanary.h"
#include "signalat.h"

static struct {
	uintptr_t secret, want, orig;
	uintptr_t *slot;
	volatile int done;
	uint32_t lib1_pkru, app_pkru;
} rc FLEXOS_SHARED;

/* lib1's code in the C library's strchrnul slot. */
static char *rc_hook(const char *s, int c)
{
	uint32_t pkru = flexos__mpk_rdpkru();

	if (!rc.done && pkru != rc.lib1_pkru && pkru != rc.app_pkru) {
		rc.done = 1;
		*rc.slot = rc.orig;
		uint64_t v = *(volatile uint64_t *)rc.secret;
		uint32_t *lock = (uint32_t *)flexos__mpk_ro.ro.lock;
		uint32_t held = *lock;
		*(volatile uint32_t *)lock = 0; /* the report's lock (gate key): released */
		printf(
		    "report-canary: lib1's code runs with PKRU %#x (lib1's %#x, the report's %#x), "
		    "read app's secret %#lx, and wrote the report's lock (gate key) from %u to %u: "
		    "FAIL\n",
		    pkru, rc.lib1_pkru, flexos__mpk_ro.ro.report_pkru, (unsigned long)v, held,
		    *lock);
		fflush(stdout);
		_exit(1);
	}
	return ((char *(*)(const char *, int))rc.orig)(s, c);
}

static int setup_slot(void)
{
	rc.lib1_pkru = flexos__mpk_rdpkru();
	rc.slot = got_slot("libc.so.6", rc.want);
	if (!rc.slot) {
		printf("report-canary: no slot of libc.so.6 holds strchrnul\n");
		fflush(stdout);
		return -1;
	}
	rc.orig = *rc.slot;
	*rc.slot = (uintptr_t)rc_hook;
	return 0;
}

/* ---- trace: the tracer changes the canary at pthread_sigmask's check -------- */

static int at_check(pid_t tid, struct user_regs_struct *regs)
{
	uintptr_t top = flexos__mpk_ro.ro.report_stack;

	if (regs->rsp > top || regs->rsp < top - MPK_REPORT_STACK_SIZE) {
		printf("report-canary: the check was reached off the report stack (%#llx)\n",
		       regs->rsp);
		fflush(stdout);
		return 0;
	}
	flip_canary(tid, regs);
	return 0;
}

static long trace_in_lib1(long x)
{
	(void)x;
	if (setup_slot())
		return -100;
	return *(volatile long *)rc.secret;
}

static void trace_child(void)
{
	long r = 0;

	ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	raise(SIGSTOP);
	raise(SIGSTOP);
	flexos_gate_r(lib1, r, lib1_call, trace_in_lib1, 0);
	printf("report-canary: back in app (%ld)\n", r - 1);
	fflush(stdout);
	_exit(1);
}

int report_canary(uintptr_t app_secret)
{
	uintptr_t check = sigmask_canary_check();

	rc.secret = app_secret;
	rc.want = (uintptr_t)strchrnul;
	rc.app_pkru = flexos__mpk_rdpkru();
	if (!check)
		return 3;
	return trace_at(trace_child, check, at_check,
			"report-canary: the tracer changes the canary at pthread_sigmask's check");
}
