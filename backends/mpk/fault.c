/*
 * The fault report: a SIGSEGV handler that turns a protection-key fault
 * into a report naming who touched whose memory, then exits with
 * FLEXOS_EXIT_FAULT. It runs on a key-0 alternate stack with the PKRU the
 * kernel gives handlers (key 0 only) and uses write(2) alone: no stdio,
 * no allocation.
 */
#include "autoconfig.h"

#include <cpuid.h>
#include <errno.h>
#include <execinfo.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "common.h"
#include "mpk.h"

#ifndef SEGV_PKUERR
#define SEGV_PKUERR 4
#endif

#define BACKTRACE_MAX 32

static const struct flexos_runtime *runtime;
/* Offset of PKRU in the XSAVE area of a signal frame (0: unknown). */
static unsigned pkru_offset;

/* ---- the handler ---------------------------------------------------------- */

/* The PKRU saved in the signal frame, or -1 if the frame has none. */
static int64_t frame_pkru(const ucontext_t *uc)
{
	const unsigned char *x = (const unsigned char *)uc->uc_mcontext.fpregs;
	uint32_t magic1, xstate_size;
	uint64_t xstate_bv;

	if (!x || !pkru_offset)
		return -1;
	/* struct _fpx_sw_bytes sits at byte 464 of the legacy area. */
	memcpy(&magic1, x + 464, 4);
	memcpy(&xstate_size, x + 464 + 16, 4);
	if (magic1 != 0x46505853u /* FP_XSTATE_MAGIC1 */ || pkru_offset + 4 > xstate_size)
		return -1;
	memcpy(&xstate_bv, x + 512, 8);
	if (!(xstate_bv & (1u << 9)))
		return 0; /* PKRU in its initial state */
	uint32_t v;
	memcpy(&v, x + pkru_offset, 4);
	return v;
}

void flexos__mpk_on_segv(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	struct flexos__out o = {.n = 0};

	if (si->si_code != SEGV_PKUERR) {
		/* Not ours: the default action, on the same fault or signal. */
		signal(SIGSEGV, SIG_DFL);
		if (si->si_code <= 0)
			raise(sig);
		return;
	}

	struct mpk_thread *t = &flexos__mpk_thread;
	uintptr_t addr = (uintptr_t)si->si_addr;
	int write_access = (uc->uc_mcontext.gregs[REG_ERR] & 2) != 0;
	int running = t->ready ? (int)t->cur : -1;
	const char *area;
	int owner = flexos__owner(addr, &area);
	int64_t pkru = frame_pkru(uc);

	flexos__out_str(&o, "flexos: protection-key fault: compartment '");
	flexos__out_str(&o, flexos__comp_name(running));
	flexos__out_str(&o, write_access ? "' tried to write " : "' tried to read ");
	flexos__out_num(&o, addr, 16);
	flexos__out_str(&o, "\nflexos:   the address belongs to ");
	if (owner >= 0) {
		flexos__out_str(&o, "compartment '");
		flexos__out_str(&o, flexos__comp_name(owner));
		flexos__out_str(&o, "': ");
	}
	flexos__out_str(&o, area);
	flexos__out_str(&o, "\nflexos:   running compartment '");
	flexos__out_str(&o, flexos__comp_name(running));
	flexos__out_str(&o, "' (id ");
	flexos__out_num(&o, (uint64_t)(running < 0 ? 0 : running), 10);
	flexos__out_str(&o, ", key ");
	flexos__out_num(&o, (uint64_t)(running < 0 ? 0 : flexos__mpk_keys[running & 15]), 10);
	flexos__out_str(&o, "), page key ");
	flexos__out_num(&o, si->si_pkey, 10);
	flexos__out_str(&o, ", PKRU ");
	if (pkru >= 0)
		flexos__out_num(&o, (uint64_t)pkru, 16);
	else if (running >= 0) {
		flexos__out_num(&o, flexos__mpk_pkru[running & 15], 16);
		flexos__out_str(&o, " (expected)");
	}
	flexos__out_str(
	    &o, "\nflexos:   (a system call handed such an address fails with EFAULT instead)\n"
		"flexos:   backtrace:\n");
	flexos__out_flush(&o);

	/*
	 * The unwinder reads the faulting compartment's stack: take its
	 * rights. In images with newlib compartments the handler already has
	 * every key (flexos__mpk_segv_entry), and a newlib compartment's
	 * rights would deny the unwinder's own key-0 data.
	 */
	if (running >= 0 && !flexos__mpk_shared_key)
		flexos__mpk_enter((uint64_t)running);
	flexos__print_backtrace((uintptr_t)uc->uc_mcontext.gregs[REG_RIP]);
	_exit(FLEXOS_EXIT_FAULT);
}

int flexos__mpk_altstack(struct mpk_thread *t)
{
	stack_t ss = {.ss_size = MPK_ALTSTACK_SIZE};

	if (t->altstack)
		return 0;
	ss.ss_sp = mmap(NULL, MPK_ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (ss.ss_sp == MAP_FAILED)
		return -errno;
	/* The kernel writes the frame with the faulting code's PKRU: see mpk.h. */
	if (flexos__mpk_shared_key &&
	    pkey_mprotect(ss.ss_sp, MPK_ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
			  flexos__mpk_shared_key)) {
		int err = -errno;
		munmap(ss.ss_sp, MPK_ALTSTACK_SIZE);
		return err;
	}
	if (sigaltstack(&ss, NULL)) {
		int err = -errno;
		munmap(ss.ss_sp, MPK_ALTSTACK_SIZE);
		return err;
	}
	t->altstack = ss.ss_sp;
	return 0;
}

int flexos__mpk_fault_init(const struct flexos_runtime *rt)
{
	struct sigaction sa;
	unsigned eax, ebx, ecx, edx;
	void *frames[2];

	runtime = rt;
	/* CPUID leaf 0xd, sub-leaf 9: size and offset of the PKRU state. */
	if (__get_cpuid_count(0xd, 9, &eax, &ebx, &ecx, &edx) && eax >= 4)
		pkru_offset = ebx;
	/* The first backtrace() loads libgcc_s: do it now, not in the handler. */
	backtrace(frames, 2);

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = flexos__mpk_shared_key ? flexos__mpk_segv_entry : flexos__mpk_on_segv;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGSEGV, &sa, NULL) ? -errno : 0;
}
