/*
 * The none backend: compartments are a layout only. flexos-link resolves
 * every gate and callback to the direct call, so nothing here runs on a
 * call path.
 *
 * A crash still gets a report naming the compartment whose code crashed
 * and a symbolized backtrace, then dies of its signal as it would have
 * without FlexOS (same status, same core dump).
 */
#include "autoconfig.h"

#include <signal.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include <flexos/backend.h>

#include "runtime.h"

static void on_crash(int sig, siginfo_t *si, void *uc_)
{
	const ucontext_t *uc = uc_;
	uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	const struct flexos_image *img = flexos__runtime()->image;
	int comp = flexos__compartment_of_code(pc);
	char where[256];

	if (sig == SIGSEGV && flexos__harden_trap)
		flexos__harden_trap(uc);
	if (si->si_code <= 0) {
		/* Sent by kill(2): nothing crashed here. The handler was reset: die of it. */
		raise(sig);
		return;
	}
	flexos__describe_pc(where, sizeof(where), pc);
	flexos__say("compartment '%s' crashed: signal %d (%s) at address %#lx, in %s; backtrace:",
		    img->compartments[comp].name, sig, sigdescr_np(sig) ? sigdescr_np(sig) : "?",
		    (unsigned long)(uintptr_t)si->si_addr, where);
	flexos__print_backtrace(pc);
	/* SA_RESETHAND: the faulting instruction runs again and the default action follows. */
}

static int none_init(const struct flexos_runtime *rt)
{
	static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE};
	struct sigaction sa, old;

	(void)rt;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_crash;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	/* A handler that is already there (a sanitizer's) keeps its signal. */
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (!sigaction(sigs[i], NULL, &old) && old.sa_handler == SIG_DFL)
			sigaction(sigs[i], &sa, NULL);
	return 0;
}

static int none_current(void)
{
	return (int)flexos__runtime()->image->default_id;
}

const struct flexos_backend flexos__backend = {
    .mechanism = FLEXOS_MECH_NONE,
    .init = none_init,
    .run_main = NULL,
    .current = none_current,
    .gate_newlib = flexos__backend_gate_newlib,
};
