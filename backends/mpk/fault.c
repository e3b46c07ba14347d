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
#include <stdio.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "common.h"
#include "mpk.h"

#ifndef SEGV_PKUERR
#define SEGV_PKUERR 4
#endif

#define BACKTRACE_MAX 32

/*
 * The report's own mask change: the kernel's, not the C library's
 * pthread_sigmask, whose stack protector checks the thread's canary (key
 * 0: another thread of the faulting compartment's could change it during
 * the call), and whose failure path (__stack_chk_fail, __libc_message)
 * calls through the C library's writable .got.plt, with the report's
 * rights (found by an attack review: attack --report-canary).
 */
static void unblock(const sigset_t *set)
{
	syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, set, NULL, sizeof(uint64_t));
}

/* ---- the handler ---------------------------------------------------------- */

/*
 * The PKRU saved in the signal frame whose ucontext (or a copy of it) is
 * uc, or -1 if it has none. delivered: where the kernel wrote that
 * ucontext, on the thread's signal stack, which a compartment may write
 * (another of its threads, while the report copies the frame): the XSAVE
 * area is read only where the kernel puts it, right after that frame
 * (struct rt_sigframe: the return address, the ucontext, the siginfo),
 * at the first 64-byte boundary, never where the frame's fpregs word
 * says (a review's attack pointed it at another compartment's memory,
 * which the report, reading every key, printed as the PKRU).
 */
static int64_t frame_pkru(const ucontext_t *uc, const void *delivered)
{
	const unsigned char *x = (const unsigned char *)uc->uc_mcontext.fpregs;
	uintptr_t frame_end = (uintptr_t)delivered + MPK_UC_COPY + MPK_SI_COPY;
	uint32_t magic1, xstate_size;
	uint64_t xstate_bv;

	if (!x || !flexos__mpk_ro.ro.report_pkru_off ||
	    (uintptr_t)x != ((frame_end + 63) & ~(uintptr_t)63))
		return -1;
	/* struct _fpx_sw_bytes sits at byte 464 of the legacy area. */
	memcpy(&magic1, x + 464, 4);
	memcpy(&xstate_size, x + 464 + 16, 4);
	if (magic1 != 0x46505853u /* FP_XSTATE_MAGIC1 */ ||
	    flexos__mpk_ro.ro.report_pkru_off + 4 > xstate_size)
		return -1;
	memcpy(&xstate_bv, x + 512, 8);
	if (!(xstate_bv & (1u << 9)))
		return 0; /* PKRU in its initial state */
	uint32_t v;
	memcpy(&v, x + flexos__mpk_ro.ro.report_pkru_off, 4);
	return v;
}

/*
 * A SIGSEGV that is not a protection-key fault (a NULL pointer, a signal
 * sent with kill): the default action, a core dump and status 139, as
 * without the backend. Never back to the code that faulted.
 */
static noreturn void default_action(int sig, const siginfo_t *si, int running)
{
	struct flexos__out o = {.n = 0};
	sigset_t set;

	flexos__out_str(&o, "flexos: ");
	flexos__out_signal(&o, sig);
	flexos__out_str(&o, " (si_code ");
	flexos__out_int(&o, si->si_code);
	flexos__out_str(&o, ", address ");
	flexos__out_num(&o, (uintptr_t)si->si_addr, 16);
	flexos__out_str(&o, ") in compartment '");
	flexos__out_str(&o, flexos__comp_name(running));
	flexos__out_str(&o, "': not a protection-key fault; the default action\n");
	/* A thread stack's guard page: the thread ran past its 1 MiB (mpk.h: MPK_STACK_SIZE). */
	const char *what = NULL;
	int owner = flexos__mpk_pool_owner((uintptr_t)si->si_addr, &what);
	if (owner >= 0 && what && !strcmp(what, "stack guard page")) {
		flexos__out_str(&o,
				"flexos:   the address is the guard page below a thread stack of "
				"compartment '");
		flexos__out_str(&o, flexos__comp_name(owner));
		flexos__out_str(&o, "' (1 MiB each, the one a thread starts on included): the "
				    "thread's stack overflowed\n");
	}
	flexos__out_flush(&o);
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	unblock(&set);
	syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), sig); /* (raise checks the canary) */
	_exit(128 + sig);
}

/*
 * The fix that applies, where the fault says which: code of another
 * compartment running under this one's key was reached through a pointer
 * without a gate (a callback not listed), and a constant of another
 * compartment was passed across a gate.
 */
static void hint(struct flexos__out *o, int running, int owner, const char *area, uintptr_t ip)
{
	const char *code_area = NULL;
	int code_owner = flexos__owner(ip, &code_area);

	if (code_owner >= 0 && code_owner != running && !strcmp(code_area, ".text")) {
		char fn[200];

		flexos__describe_pc(fn, sizeof(fn), ip);
		flexos__out_str(o, "flexos:   the faulting code at ");
		flexos__out_num(o, ip, 16);
		flexos__out_str(o, ", ");
		flexos__out_str(o, fn);
		flexos__out_str(o, ", is code of compartment '");
		flexos__out_str(o, flexos__comp_name(code_owner));
		flexos__out_str(o, "', running as compartment '");
		flexos__out_str(o, flexos__comp_name(running));
		flexos__out_str(o, "': a function of '");
		flexos__out_str(o, flexos__comp_name(code_owner));
		flexos__out_str(o, "' was called through a pointer, not a gate; list it under "
				   "'callbacks:' of its library in ");
		flexos__out_str(o, flexos__runtime()->image->config_path);
		flexos__out_str(o, "\n");
		return;
	}
	if (owner < 0 || owner == running || strcmp(area, ".rodata"))
		return;
	if (flexos__runtime()->image->compartments[owner].flags & FLEXOS_COMP_CONSTANTS_PRIVATE) {
		flexos__out_str(o, "flexos:   compartment '");
		flexos__out_str(o, flexos__comp_name(owner));
		flexos__out_str(o, "' keeps its constants private (constants: private); if it "
				   "passed a string literal across a gate, drop that key, or pass "
				   "a copy in shared memory (flexos_shared_malloc)\n");
	} else {
		flexos__out_str(o, "flexos:   this read-only data of compartment '");
		flexos__out_str(o, flexos__comp_name(owner));
		flexos__out_str(o, "' is not among the constants it shares: share it "
				   "(FLEXOS_SHARED, or shared_data: in flexos.yaml)\n");
	}
}

/*
 * Whose state, read-only once the runtime has started, lies at addr: the
 * runtime's (runtime.h: the heaps, malloc's route) or this backend's (the
 * keys, the PKRU table, the report's page); NULL for other memory.
 */
static const char *ro_state(uintptr_t addr)
{
	if (addr - (uintptr_t)&flexos__ro < sizeof(flexos__ro))
		return "the runtime's state (the heaps, malloc's route)";
	if (addr - (uintptr_t)&flexos__mpk_ro < sizeof(flexos__mpk_ro) ||
	    addr - (uintptr_t)&flexos__mpk_ro_entry < sizeof(flexos__mpk_ro_entry) ||
	    addr - (uintptr_t)flexos__mpk_pkru < sizeof(flexos__mpk_pkru))
		return "the intel-mpk backend's state (the keys, the PKRU table)";
	return NULL;
}

/*
 * The report's backtrace, from pc. It reads the faulting thread's stack,
 * which the faulting compartment may have written, so its unwinder may
 * fault: SIGSEGV, blocked in its own handler (where the kernel would kill
 * the image with it, the report cut short), is let in, and such a fault
 * ends the image through the report path (gate.S: this thread is
 * reporting already) with FLEXOS_EXIT_FAULT and a line saying so, and
 * so does a SIGBUS. Every other signal stays blocked (the handler's
 * mask).
 */
static noreturn void backtrace_and_exit(uintptr_t pc)
{
	sigset_t faults;
	struct sigaction bus;

	/*
	 * A SIGBUS there (a stack pointer in a file mapping past the file's
	 * end) goes to the same entry: the image is ending, and the handler
	 * the kernel would otherwise run (a compartment's, or the default,
	 * 135 with the report cut short) is not wanted any more.
	 */
	memset(&bus, 0, sizeof(bus));
	bus.sa_sigaction = flexos__mpk_segv_entry;
	bus.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigfillset(&bus.sa_mask);
	sigemptyset(&faults);
	/*
	 * SIGSEGV too: in a program that installed its own handler (which
	 * replaces the fault report), a fault of the unwinder walking a
	 * made-up frame ran that handler on the thread that holds the
	 * report's lock (a compartment's, which could then jump into the
	 * report's path). Only to the entry, or not at all.
	 */
	if (!flexos__mpk_sigaction(SIGSEGV, &bus, NULL))
		sigaddset(&faults, SIGSEGV);
	if (!flexos__mpk_sigaction(SIGBUS, &bus, NULL))
		sigaddset(&faults, SIGBUS);
	unblock(&faults);
	flexos__print_backtrace(pc);
	_exit(FLEXOS_EXIT_FAULT);
}

void flexos__mpk_on_segv(int sig, siginfo_t *si, void *ctx, uint32_t entry_pkru,
			 const void *delivered)
{
	ucontext_t *uc = ctx;
	struct flexos__out o = {.n = 0};
	int running = flexos__mpk_thread.gp ? (int)flexos__mpk_cur() : -1;

	(void)entry_pkru;
	if (sig == SIGSEGV && flexos__harden_trap)
		flexos__harden_trap(uc);
	if (si->si_code == SEGV_ACCERR && sig == SIGSEGV) {
		/* A guard page of the lend arena: a callee went past a lent object. */
		uintptr_t addr = (uintptr_t)si->si_addr;
		flexos__out_str(&o, "flexos: compartment '");
		flexos__out_str(&o, flexos__comp_name(running));
		flexos__out_str(&o, "' accessed ");
		flexos__out_num(&o, addr, 16);
		if (flexos__lend_describe(&o, ", in ", addr)) {
			flexos__out_str(&o, "\nflexos:   backtrace:\n");
			flexos__out_flush(&o);
			backtrace_and_exit((uintptr_t)uc->uc_mcontext.gregs[REG_RIP]);
		}
		o.n = 0;
		/* Control data of the runtime or the backend: a compromised compartment. */
		const char *state = ro_state(addr);
		if (state && (uc->uc_mcontext.gregs[REG_ERR] & 2)) {
			flexos__out_str(&o, "flexos: compartment '");
			flexos__out_str(&o, flexos__comp_name(running));
			flexos__out_str(&o, "' tried to write ");
			flexos__out_num(&o, addr, 16);
			flexos__out_str(&o, ", ");
			flexos__out_str(&o, state);
			flexos__out_str(&o, ", which is read-only once the runtime has started; "
					    "no compartment may change it (docs/threat-model.md, "
					    "limit 1)\nflexos:   backtrace:\n");
			flexos__out_flush(&o);
			backtrace_and_exit((uintptr_t)uc->uc_mcontext.gregs[REG_RIP]);
		}
	}
	if (si->si_code != SEGV_PKUERR)
		default_action(sig, si, running);

	uintptr_t addr = (uintptr_t)si->si_addr;
	int write_access = (uc->uc_mcontext.gregs[REG_ERR] & 2) != 0;
	const char *area;
	int owner = flexos__owner(addr, &area);
	int64_t pkru = frame_pkru(uc, delivered);

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
	flexos__out_num(&o, (uint64_t)(running < 0 ? 0 : flexos__mpk_ro.ro.keys[running]), 10);
	flexos__out_str(&o, "), page key ");
	flexos__out_num(&o, si->si_pkey, 10);
	flexos__out_str(&o, ", PKRU ");
	if (pkru >= 0)
		flexos__out_num(&o, (uint64_t)pkru, 16);
	else if (running >= 0) {
		flexos__out_num(&o, flexos__mpk_pkru[running], 16);
		flexos__out_str(&o, " (expected)");
	}
	flexos__out_str(&o, "\n");
	hint(&o, running, owner, area, (uintptr_t)uc->uc_mcontext.gregs[REG_RIP]);
	flexos__out_str(
	    &o, "flexos:   (a system call handed such an address fails with EFAULT instead)\n"
		"flexos:   backtrace:\n");
	flexos__out_flush(&o);

	/*
	 * The report's PKRU reads every compartment's memory (gate.S), so the
	 * unwinder can walk the faulting stack; it runs on the report stack,
	 * which no compartment can write, and the code it walks is never
	 * returned to.
	 */
	backtrace_and_exit((uintptr_t)uc->uc_mcontext.gregs[REG_RIP]);
}

/* The compartment whose PKRU is pkru, or -1. */
static int compartment_of(uint32_t pkru)
{
	for (uint32_t id = 0; id < flexos__mpk_ro.ro.ncomp && id < MPK_SLOTS; id++)
		if (flexos__mpk_pkru[id] == pkru)
			return (int)id;
	return -1;
}

int flexos__mpk_interrupted(const void *ctx)
{
	int64_t pkru = frame_pkru(ctx, ctx); /* the kernel's frame itself (filter.c) */

	return pkru < 0 ? -1 : compartment_of((uint32_t)pkru);
}

void flexos__mpk_report(uint32_t kind, uint64_t a, uint64_t b, uint32_t entry_pkru)
{
	struct flexos__out o = {.n = 0};

	if (kind == MPK_REPORT_VIOLATION)
		flexos__mpk_gate_violation(a, b);
	if (kind == MPK_REPORT_SYSCALL)
		flexos__mpk_report_denied((const siginfo_t *)a, (const void *)b);
	if (kind == MPK_REPORT_GATE_PAGE)
		flexos__abort("gate: this thread's gate state at %#lx is not its own gate page, or "
			      "its gate calls nest deeper than %u (depth %lu); a compartment "
			      "overwrote the thread's pointer to it, or returned through a gate "
			      "it was not called by",
			      (unsigned long)a, MPK_G_MAX_DEPTH, (unsigned long)b);
	if (kind == MPK_REPORT_START_MAIN)
		flexos__abort(
		    "main's start: reached again by a thread running compartment '%s' at "
		    "gate depth %lu, with main's PKRU; main starts once, from start-up, in "
		    "the default compartment: a compartment jumped into the backend's "
		    "start-up code (docs/threat-model.md)",
		    flexos__comp_name((int)(a & (MPK_SLOTS - 1))), (unsigned long)b);
	if (kind == MPK_REPORT_SIGRETURN && a == 6)
		flexos__abort(
		    "signal delivery: more than %d signal frames in handling on this "
		    "thread (nested handlers, or handlers left with siglongjmp from "
		    "nested frames); the backend keeps a copy of each (docs/threat-model.md, "
		    "limit 9)",
		    MPK_SIG_FRAMES);
	if (kind == MPK_REPORT_SIGRETURN && a == 5)
		flexos__abort(
		    "signal return: the signal arrived while the runtime had this thread's "
		    "gate page open (compartment %ld), which the frame would restore, "
		    "outside the gate calls' windows that a signal may interrupt and the "
		    "paths that hold signals (what is left: a SIGSEGV sent while the "
		    "runtime holds the others, or a synchronous signal sent while it "
		    "delivers a handler's signal; resuming such a frame needs a kernel "
		    "that writes it where no compartment can: docs/threat-model.md, "
		    "limit 9), or a compartment forged such a frame; for a signal of the "
		    "program's own (a timer's) there, block it in the threads that do "
		    "these and take it in one that does not, with sigwait or signalfd",
		    (long)b);
	if (kind == MPK_REPORT_SIGRETURN) {
		static const char *const why[] = {
		    "?",
		    "this thread has no gate page",
		    "the frame has no XSAVE area",
		    "its XSAVE area would not be restored in full (the kernel would load PKRU 0)",
		    "its XSAVE area holds another PKRU",
		    "?",
		    "?",
		    "the frame or its XSAVE area lies in the copies of signal frames, which "
		    "only the runtime reads (a compartment jumped into the delivery stub or "
		    "the restorer)"};
		flexos__abort("signal return: a frame that would not restore the PKRU of "
			      "compartment %ld, the one this thread was running: %s; a "
			      "compartment forged a signal frame",
			      (long)b, why[a < 8 ? a : 0]);
	}
	if (kind == MPK_REPORT_CLONE) {
		static const char *const why[] = {
		    "?",
		    "without CLONE_SETTLS, so with its creator's FS base (clone flags %#lx)",
		    "with the FS base %#lx of a thread that has a gate page and still runs",
		    "by a thread that has no gate page (it was not made by the image's "
		    "pthread_create) (%#lx)",
		    "with no key left for the nonce that marks the runtime's clone (%#lx)",
		    "with the FS base %#lx that pthread_create registered for a thread "
		    "that has not started yet",
		    "without CLONE_THREAD, so as another process that shares the image's "
		    "memory, where no thread of this one counts as running (clone flags "
		    "%#lx)",
		    "with the FS base %#lx, which another thread registers at the same "
		    "moment"};
		char what[200];
		flexos__format(what, sizeof(what), why[a < 8 ? a : 0], (unsigned long)b);
		/* The pages that name that FS base: whose thread, in which compartment. */
		const struct mpk_gate_page *p = (const void *)flexos__mpk_ro.ro.gp_lo;
		for (; (a == 2 || a == 5 || a == 7) && (uintptr_t)p < flexos__mpk_ro.ro.gp_hi; p++)
			if (p->fsbase == b)
				flexos__say("clone: gate page %p names FS base %#lx: bound to %#lx "
					    "(tid %lu), compartment '%s'",
					    (const void *)p, (unsigned long)b,
					    (unsigned long)p->owner,
					    (unsigned long)(uint32_t)p->tid,
					    flexos__comp_name((int)(p->cur & (MPK_SLOTS - 1))));
		flexos__abort("clone: a thread made %s, by a thread running compartment '%s'; "
			      "it would pass the gate's owner check with another thread's gate "
			      "page (docs/threat-model.md, limit 2)",
			      what,
			      flexos__mpk_page_cur() >= 0
				  ? flexos__comp_name(flexos__mpk_page_cur())
				  : "(no valid gate page)");
	}
	if (kind == MPK_REPORT_DELIVERY)
		flexos__abort("signal %lu: this thread has no gate page (it has neither crossed a "
			      "gate nor allocated, or a compartment cleared its pointer to it), "
			      "so no compartment can be said to run it and "
			      "the handler cannot be entered in its own",
			      (unsigned long)a);
	if (kind == MPK_REPORT_SIGNAL && b == (uint64_t)-1)
		flexos__abort("signal %lu: the delivery stub was called (PKRU %#x), not entered by "
			      "the kernel: a compartment tried to run a handler with a siginfo and "
			      "context of its own",
			      (unsigned long)a, entry_pkru);
	if (kind == MPK_REPORT_SIGNAL)
		flexos__abort("signal %lu: a gate call with the signal entry index that the "
			      "delivery stub did not make (the gate page's mark is %lu): a "
			      "compartment tried to run a handler as if the signal had arrived",
			      (unsigned long)a, (unsigned long)b);
	if (kind == MPK_REPORT_SWITCH) {
		static const char *const why[] = {
		    "?",
		    "names no record",
		    "is another OS thread's, or free",
		    "is not suspended (it runs, or was resumed already)",
		    "was suspended at another stack pointer than the scheduler's",
		    "is in another compartment than the scheduler's copy says",
		    "holds more gate calls than a gate page",
		    "is of a thread that has ended"};
		flexos__abort("scheduler switch: the next thread's switch record %lu %s; a "
			      "compartment changed the scheduler's record of a suspended thread",
			      (unsigned long)b, why[a < 8 ? a : 0]);
	}
	if (kind == MPK_REPORT_LOOK)
		flexos__abort("gate: %s opened this thread's gate page again after a look for "
			      "another record naming its thread, but no look was in progress "
			      "(a compartment jumped into the middle of it, past its checks)",
			      a ? "urec_first" : "urec_new");
	if (kind == MPK_REPORT_WAY_BACK)
		flexos__abort("gate: the way back of a gate call that compartment %lu made by the "
			      "%s path was taken by the %s path's (a compartment jumped into the "
			      "middle of the gate)",
			      (unsigned long)a, b ? "carry" : "register", b ? "register" : "carry");
	if (kind == MPK_REPORT_ENTRY)
		flexos__abort("gate: compartment %lu was asked for entry %lu, which is not one of "
			      "its entries in the image's table (%u entries); a compartment forged "
			      "a gate call",
			      (unsigned long)b, (unsigned long)a, flexos__image.nentries);
	/*
	 * Not the kernel: the PKRU found (read before anything else, and
	 * only a gate's checked WRPKRU writes one) names the caller.
	 */
	(void)b;
	flexos__out_str(&o, "flexos: the runtime's handler of signal ");
	flexos__out_int(&o, (int64_t)a);
	flexos__out_str(&o, " was called (PKRU ");
	flexos__out_num(&o, entry_pkru, 16);
	flexos__out_str(&o, ": compartment '");
	flexos__out_str(&o, flexos__comp_name(compartment_of(entry_pkru)));
	flexos__out_str(&o, "'), not entered by the kernel: a compartment forged a fault; "
			    "the image ends\n");
	flexos__out_flush(&o);
	_exit(FLEXOS_EXIT_FAULT);
}

int flexos__mpk_altstack(struct mpk_thread *t, size_t page)
{
	const stack_t *ss = (const stack_t *)(flexos__mpk_ro.ro.alt_table + page * MPK_ALT_ENTRY);

	if (page >= MPK_GATE_PAGES)
		return -EINVAL;
	if (t->altstack == ss->ss_sp)
		return 0;
	/* The system call itself: the image's sigaltstack is the backend's wrapper (signal.c). */
	if (syscall(SYS_sigaltstack, ss, NULL))
		return -errno;
	t->altstack = ss->ss_sp;
	return 0;
}

/*
 * The report path's stack and PKRU (gate.S: .Lreport): a key of its own
 * that no compartment's PKRU opens, if one is left (else key 0, which
 * every compartment but a newlib one can write: docs/threat-model.md).
 */
static int report_init(void)
{
	struct mpk_ro *ro = &flexos__mpk_ro.ro;
	long page = sysconf(_SC_PAGESIZE);

	char *base = mmap(NULL, MPK_REPORT_STACK_SIZE + (size_t)page, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (base == MAP_FAILED)
		return -errno;
	if (mprotect(base, (size_t)page, PROT_NONE) ||
	    pkey_mprotect(base + page, MPK_REPORT_STACK_SIZE, PROT_READ | PROT_WRITE,
			  (int)ro->gate_key))
		return -errno;
	ro->lock = (uintptr_t)(base + page);
	ro->report_stack = (uintptr_t)(base + page + MPK_REPORT_STACK_SIZE);
	/* Every compartment's key read-only (the unwinder), key 0, the shared and gate keys. */
	uint32_t pkru = MPK_PKRU_KEY0_ONLY;
	for (uint32_t id = 0; id < flexos__mpk_ro.ro.ncomp && id < MPK_SLOTS; id++)
		pkru = (pkru & ~(3u << (2 * flexos__mpk_ro.ro.keys[id]))) |
		       (2u << (2 * flexos__mpk_ro.ro.keys[id]));
	pkru &= ~(3u << (2 * flexos__mpk_ro.ro.shared_key));
	pkru &= ~(3u << (2 * ro->gate_key));
	ro->report_pkru = pkru;
	/* The same without the compartments' keys: what a frame is read with. */
	ro->report_frame_pkru = MPK_PKRU_KEY0_ONLY & ~(3u << (2 * flexos__mpk_ro.ro.shared_key)) &
				~(3u << (2 * ro->gate_key));
	return flexos__mpk_gate_pages_init();
}

/* size bytes of address space with the gate key (MAP_NORESERVE), or NULL with errno set. */
static char *map_gate_keyed(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (pkey_mprotect(p, size, PROT_READ | PROT_WRITE, (int)flexos__mpk_ro.ro.gate_key)) {
		int err = errno;
		munmap(p, size);
		errno = err;
		return NULL;
	}
	return p;
}

/*
 * All threads' gate pages, in one region reserved now: the system-call
 * filter denies pkey_mprotect over ranges known at start-up, and the gate
 * trusts a page only inside this region (gate.S: LOAD_GP). The other
 * gate-key state threads get after start-up is reserved here too.
 */
int flexos__mpk_gate_pages_init(void)
{
	struct mpk_ro *ro = &flexos__mpk_ro.ro;
	size_t pages = (size_t)MPK_GATE_PAGES * 4096;
	size_t stacks = (size_t)MPK_GATE_PAGES << MPK_GATE_STACK_SHIFT;
	/* The gate pages, followed by as many jump pages (jump.c). */
	char *gp = map_gate_keyed(2 * pages);
	/* The scheduler's switch records, which the gate trusts only in theirs. */
	char *rec = map_gate_keyed((size_t)MPK_UREC_PAGES * 4096);
	/* Each page's gate stack, then the claim's lock page and stack (mpk.h). */
	char *gs = map_gate_keyed(stacks + 4096 + ((size_t)1 << MPK_GATE_STACK_SHIFT));
	/* The scheduler's callback records (mpk.h: MPK_CB_SLOTS). */
	char *cb = map_gate_keyed((size_t)MPK_CB_SLOTS * MPK_CB_SIZE);
	/* Which thread each switch record names (mpk.h: threads). */
	char *threads = map_gate_keyed((size_t)MPK_THREADS_WORDS * sizeof(uint64_t));

	/*
	 * The carry pages (mpk.h: carry_lo), with the gate key: the carry
	 * path writes them only with the gate page open and reads them with
	 * a compartment's PKRU, so no other thread can change a call's stack
	 * arguments or sret result between its two copies (with key 0, any
	 * compartment could: limit 3). Without a gate key, the signal
	 * stacks' key, which newlib compartments read.
	 */
	size_t carry_size = (size_t)MPK_GATE_PAGES * MPK_CARRY_SIZE;
	char *carry = mmap(NULL, carry_size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	int carry_key = flexos__mpk_ro.ro.gate_key ? (int)flexos__mpk_ro.ro.gate_key
						   : (int)flexos__mpk_ro.ro.shared_key;

	if (carry == MAP_FAILED ||
	    (carry_key && pkey_mprotect(carry, carry_size, PROT_READ | PROT_WRITE, carry_key)))
		return -errno;
	/*
	 * The signal stacks, one a gate page, with the same key (the kernel
	 * writes a frame with the faulting code's PKRU: mpk.h), and their
	 * stack_t, read-only from now on (mpk.h: alt_table).
	 */
	size_t alt_size = (size_t)MPK_GATE_PAGES * MPK_ALTSTACK_SIZE;
	char *alt = mmap(NULL, alt_size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	char *table = mmap(NULL, 2 * MPK_ALT_TABLE_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (alt == MAP_FAILED || table == MAP_FAILED ||
	    (flexos__mpk_ro.ro.shared_key &&
	     pkey_mprotect(alt, alt_size, PROT_READ | PROT_WRITE, flexos__mpk_ro.ro.shared_key)))
		return -errno;
	/*
	 * The table fills its page group exactly, at a power-of-two stride:
	 * any address the filter allows (aligned, inside) is an entry's, and
	 * no stack_t read there reaches past the table (an attack review's:
	 * the last 8 bytes, 0, as ss_sp and 16 writable bytes after the table
	 * as ss_flags and ss_size named a stack ending anywhere).
	 */
	_Static_assert(sizeof(stack_t) <= MPK_ALT_ENTRY &&
			   (size_t)MPK_GATE_PAGES * MPK_ALT_ENTRY == MPK_ALT_TABLE_SIZE,
		       "MPK_ALT_TABLE_SIZE");
	stack_t *ss = (stack_t *)(((uintptr_t)table + MPK_ALT_TABLE_SIZE - 1) &
				  ~(uintptr_t)(MPK_ALT_TABLE_SIZE - 1));
	for (size_t i = 0; i < MPK_GATE_PAGES; i++)
		*(stack_t *)((char *)ss + i * MPK_ALT_ENTRY) =
		    (stack_t){.ss_sp = alt + i * MPK_ALTSTACK_SIZE, .ss_size = MPK_ALTSTACK_SIZE};
	if (mprotect(ss, MPK_ALT_TABLE_SIZE, PROT_READ))
		return -errno;
	ro->alt_lo = (uintptr_t)alt;
	ro->alt_table = (uintptr_t)ss;
	if (!gp || !rec || !gs || !cb || !threads)
		return -errno;
	ro->carry_lo = (uintptr_t)carry;
	ro->gp_lo = (uintptr_t)gp;
	ro->gp_hi = (uintptr_t)gp + pages;
	ro->rec_lo = (uintptr_t)rec;
	ro->rec_hi = (uintptr_t)rec + (size_t)MPK_UREC_PAGES * 4096;
	ro->gs_lo = (uintptr_t)gs;
	ro->claim = (uintptr_t)gs + stacks;
	ro->cb = (uintptr_t)cb;
	ro->threads = (uintptr_t)threads;
	/* The kernel sets CR4.FSGSBASE where it reports this (5.9 and later). */
	ro->fsgsbase = (getauxval(AT_HWCAP2) & 2) != 0;
	return 0;
}

/* glibc's sigaction under its other name, which images do not wrap. */
int __sigaction(int sig, const struct sigaction *act, struct sigaction *old);

int flexos__mpk_fault_init(const struct flexos_runtime *rt)
{
	struct sigaction sa;
	unsigned eax, ebx, ecx, edx;
	void *frames[2];

	(void)rt; /* the backend's init stored it in flexos__mpk_ro */
	/* CPUID leaf 0xd, sub-leaf 9: size and offset of the PKRU state. */
	if (__get_cpuid_count(0xd, 9, &eax, &ebx, &ecx, &edx) && eax >= 4)
		flexos__mpk_ro.ro.report_pkru_off = ebx;
	/* The first backtrace() loads libgcc_s: do it now, not in the handler. */
	backtrace(frames, 2);

	int err = report_init();
	if (err)
		return err;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = flexos__mpk_segv_entry;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigfillset(&sa.sa_mask);
	/*
	 * glibc's own sigaction (images wrap the name): the handler never
	 * returns, and the report's copy of the frame needs glibc's restorer,
	 * which the unwinder recognizes. Every signal is blocked while it
	 * runs: no compartment's handler runs in the middle of a report.
	 */
	if (__sigaction(SIGSEGV, &sa, NULL) || __sigaction(SIGSEGV, NULL, &sa))
		return -errno;
	/* The restorer glibc gave the kernel: the report's copy of the frame returns there. */
	flexos__mpk_ro.ro.restorer = (uintptr_t)sa.sa_restorer;
	if ((err = flexos__mpk_sigreturn_init(&flexos__mpk_ro.ro)))
		return err;
	struct mpk_ro_entry *e = &flexos__mpk_ro_entry.e;
	e->nonce = flexos__mpk_ro.ro.nonce;
	e->nonce_pkru = flexos__mpk_ro.ro.nonce_pkru;
	e->sigret_pkru = flexos__mpk_ro.ro.sigret_pkru;
	e->all_signals = ~0ULL;
	if (flexos__mpk_ro.ro.shared_key
		? pkey_mprotect(&flexos__mpk_ro_entry, sizeof(flexos__mpk_ro_entry), PROT_READ,
				flexos__mpk_ro.ro.shared_key)
		: mprotect(&flexos__mpk_ro_entry, sizeof(flexos__mpk_ro_entry), PROT_READ))
		return -errno;
	return mprotect(&flexos__mpk_ro, sizeof(flexos__mpk_ro), PROT_READ) ? -errno : 0;
}
