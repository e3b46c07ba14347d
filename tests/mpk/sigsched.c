/*
 * attack --sig-sched [control] (limit 9 of docs/threat-model.md; found by
 * an attack review): the signal restorer's snapshots of signal frames
 * live in copy areas of the OS thread's gate page, while the scheduler
 * runs several user-level threads on it. app (gate depth 0) takes
 * SIGUSR2, whose handler is lib1's: app's snapshot takes an area, for
 * the frame at X, the top of the signal stack. lib1's handler yields to a
 * scheduler thread of lib1's (depth 0 too), which takes SIGUSR1 (lib1's
 * handler): the kernel writes that frame at X again, and lib1's handler
 * rewrites it (key 0) with app's PKRU, a pc of lib1's choosing and a
 * stack in shared memory. Then both return. Each snapshot names the
 * user-level thread that took it (its switch record), so lib1's thread
 * took another area, and app's restorer resumes app from its own
 * snapshot (status 0). Before, lib1's thread's snapshot matched app's
 * area (same frame, same depth) and its return freed it; app's restorer
 * then found none and copied the frame at X: lib1's code ran with app's
 * PKRU (status 1). control: lib1 rewrites app's frame itself, without a
 * signal of its thread's: app's snapshot holds (status 0).
 */
#define _GNU_SOURCE 1
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include <flexos/flexos.h>
#include <flexos/sched.h>

#include "../../backends/mpk/mpk.h"
#include "attacklib.h"
#include "evil.h"
#include "sigsched.h"

/* What lib1 keeps and is told: shared (its code also runs with app's PKRU). */
static struct {
	char stack[65536] __attribute__((aligned(16)));
	uintptr_t secret;
	uint32_t app_pkru;
	volatile int b_done, control;
	uintptr_t a_ctx;
	struct flexos_thread *b;
} ss FLEXOS_SHARED;

/* Where lib1 would have app's thread resume: with app's PKRU, app's secret. */
static void ss_evil(void)
{
	evil_ran("sig-sched", ss.secret, ss.app_pkru);
}

/* lib1's handler of SIGUSR1, taken by its thread: the frame is where app's was. */
static void ss_on_b(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	(void)sig, (void)si;
	uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)ss_evil;
	uc->uc_mcontext.gregs[REG_RSP] = (greg_t)(uintptr_t)(ss.stack + 60000 - 8);
	*(uint32_t *)((char *)uc->uc_mcontext.fpregs + flexos__mpk_ro.ro.pkru_off) = ss.app_pkru;
}

/* lib1's handler of SIGUSR2, taken by app: yields to lib1's thread. */
static void ss_on_a(int sig, siginfo_t *si, void *ctx)
{
	(void)sig, (void)si;
	ss.a_ctx = (uintptr_t)ctx;
	printf("sig-sched: lib1's handler of app's SIGUSR2 yields to lib1's thread\n");
	fflush(stdout);
	while (!ss.b_done)
		flexos_sched_yield();
}

static void *ss_b(void *arg)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
	if (ss.control) /* no signal of its own: lib1 rewrites app's frame at X itself */
		ss_on_b(SIGUSR1, NULL, (void *)ss.a_ctx);
	else
		raise(SIGUSR1);
	ss.b_done = 1;
	return arg;
}

/* Run by lib1 (lib1_call: cb(x + 1) + 1): its handlers, its thread. */
static long ss_in_lib1(long x)
{
	struct sigaction sa;

	(void)x;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = ss_on_a;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGUSR2, &sa, NULL))
		return -1;
	sa.sa_sigaction = ss_on_b;
	if (sigaction(SIGUSR1, &sa, NULL))
		return -1;
	return flexos_sched_create(&ss.b, 0, ss_b, NULL) ? -1 : 0;
}

int sig_sched(uintptr_t app_secret, int control)
{
	long r = -1;

	ss.control = control;
	ss.secret = app_secret;
	ss.app_pkru = flexos__mpk_rdpkru();
	flexos_gate_r(lib1, r, lib1_call, ss_in_lib1, 0);
	if (r != 1)
		return 2;
	raise(SIGUSR2);
	printf("sig-sched%s: app resumed where SIGUSR2 interrupted it\n", control ? " control" : "");
	return 0;
}
