/*
 * Signals under intel-mpk: every handler runs in the compartment that
 * installed it (recorded here, entered by gate.S's flexos__mpk_sig_deliver
 * through the gate) and returns through one trusted restorer (gate.S:
 * flexos__mpk_sigreturn), which checks a copy of the frame it would
 * restore, and a filter denies rt_sigreturn from anywhere else
 * (docs/threat-model.md, limit 9).
 *
 * Images linked by flexos-link for intel-mpk wrap sigaction, signal,
 * bsd_signal and (__)sysv_signal (-Wl,--wrap): glibc's would register its own
 * restorer, __restore_rt. sigset is not wrapped.
 */
#define _GNU_SOURCE
#include "autoconfig.h"

#include <cpuid.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"
#include "mpk.h"

/* The frame's fields gate.S's SIG_SCRUB_FRAME zeroes (glibc's ucontext_t is the kernel's there). */
_Static_assert(offsetof(ucontext_t, uc_mcontext.gregs) == MPK_UC_GREGS, "gate.S layout");
_Static_assert(offsetof(ucontext_t, uc_mcontext.fpregs) == MPK_UC_FPREGS, "gate.S layout");
_Static_assert(REG_R8 == 0 && REG_RCX == MPK_UC_GREGS_DATA - 1 && REG_RSP == MPK_UC_GREGS_DATA,
	       "gate.S layout: the general registers before rsp");
_Static_assert(REG_RIP == 16 && REG_EFL == 17, "gate.S layout: MPK_UC_RIP, MPK_UC_EFL");

/* The kernel's struct sigaction on x86-64 (not glibc's). */
struct kernel_sigaction {
	void *handler;
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif

/*
 * The kernel's sigactions the runtime may install once start-up is over,
 * on a read-only page (the shared key in images with newlib compartments,
 * whose PKRU denies key 0): a filter of its own (flexos__mpk_sigaction_filter)
 * allows rt_sigaction only with one of them, or with none. A handler a
 * compartment installed with the system call itself ran with the
 * interrupted compartment's registers in its frame, unscrubbed (an attack
 * review's). Their flags: these bits of the caller's, the rest forced.
 */
#define SIG_KEPT_FLAGS (SA_NOCLDSTOP | SA_NOCLDWAIT | SA_RESTART | SA_RESETHAND)
#define SIG_VARIANTS   16 /* each subset of SIG_KEPT_FLAGS */

/* The table once the filter is in force (before: the caller's own action). */
static const struct kernel_sigaction *sig_actions;
static const struct kernel_sigaction *sig_table_page;
static size_t sig_nactions;

static unsigned long kept_flags(unsigned v)
{
	static const unsigned long bits[] = {SA_NOCLDSTOP, SA_NOCLDWAIT, SA_RESTART, SA_RESETHAND};
	unsigned long f = 0;

	for (unsigned b = 0; b < 4; b++)
		if (v & (1u << b))
			f |= bits[b];
	return f;
}

static void handler_mask(sigset_t *set);

/* The form a sigaction takes once start-up is over: the caller's kept flags only. */
static void normalize(struct kernel_sigaction *k)
{
	unsigned long kept = k->flags & SIG_KEPT_FLAGS;

	if (k->handler == (void *)flexos__mpk_sig_deliver) {
		sigset_t m;
		handler_mask(&m);
		memcpy(&k->mask, &m, sizeof(k->mask));
		k->flags = kept | SA_SIGINFO | SA_ONSTACK | SA_RESTORER;
	} else if (k->handler == (void *)SIG_DFL || k->handler == (void *)SIG_IGN) {
		k->mask = 0;
		k->flags = kept | SA_RESTORER;
	}
}

int flexos__mpk_sigaction_table_seal(void)
{
	const size_t n = 3 * SIG_VARIANTS + 1;
	long page = sysconf(_SC_PAGESIZE);
	struct kernel_sigaction *t =
	    mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	sigset_t all;

	_Static_assert((3 * SIG_VARIANTS + 1) * sizeof(struct kernel_sigaction) <= 4096,
		       "one page");
	if (t == MAP_FAILED)
		return -errno;
	for (unsigned v = 0; v < SIG_VARIANTS; v++) {
		void *handlers[] = {(void *)flexos__mpk_sig_deliver, (void *)SIG_DFL,
				    (void *)SIG_IGN};
		for (unsigned h = 0; h < 3; h++) {
			struct kernel_sigaction *k = &t[h * SIG_VARIANTS + v];
			k->handler = handlers[h];
			k->flags = kept_flags(v);
			k->restorer = flexos__mpk_sigreturn;
			normalize(k);
		}
	}
	/* The fault report's SIGBUS (fault.c: backtrace_and_exit). */
	sigfillset(&all);
	t[n - 1] = (struct kernel_sigaction){.handler = (void *)flexos__mpk_segv_entry,
					     .flags = SA_SIGINFO | SA_ONSTACK | SA_RESTORER,
					     .restorer = flexos__mpk_sigreturn};
	memcpy(&t[n - 1].mask, &all, sizeof(t[n - 1].mask));
	if ((flexos__mpk_ro.ro.shared_key &&
	     pkey_mprotect(t, (size_t)page, PROT_READ, flexos__mpk_ro.ro.shared_key)) ||
	    mprotect(t, (size_t)page, PROT_READ))
		return -errno;
	sig_table_page = t;
	sig_nactions = n;
	return 0;
}

uintptr_t flexos__mpk_sigaction_table(void)
{
	return (uintptr_t)sig_table_page;
}

int flexos__mpk_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	struct kernel_sigaction k, ko;
	const struct kernel_sigaction *kp = NULL;

	if (act) {
		memset(&k, 0, sizeof(k));
		k.handler = (act->sa_flags & SA_SIGINFO) ? (void *)act->sa_sigaction
							 : (void *)act->sa_handler;
		k.flags = (unsigned long)act->sa_flags | SA_RESTORER;
		k.restorer = flexos__mpk_sigreturn;
		memcpy(&k.mask, &act->sa_mask, sizeof(k.mask));
		kp = &k;
		/* After start-up: one of the table's, which the filter allows. */
		if (sig_actions) {
			normalize(&k);
			kp = NULL;
			for (size_t i = 0; i < sig_nactions && !kp; i++)
				if (!memcmp(&sig_actions[i], &k, sizeof(k)))
					kp = &sig_actions[i];
			if (!kp)
				return -EPERM;
		}
	}
	if (syscall(SYS_rt_sigaction, sig, kp, old ? &ko : NULL, sizeof(k.mask)))
		return -errno;
	if (old) {
		memset(old, 0, sizeof(*old));
		old->sa_handler = (void (*)(int))ko.handler;
		old->sa_flags = (int)ko.flags;
		old->sa_restorer = ko.restorer;
		memcpy(&old->sa_mask, &ko.mask, sizeof(ko.mask));
	}
	return 0;
}

/*
 * The handler table (mpk.h: MPK_SIG_*), on a page with the gate key: every
 * compartment may read it, only gate.S's flexos__mpk_sig_record writes
 * it. NULL before the backend's init (a constructor's sigaction).
 */
static struct mpk_sig_handler *sig_table(void)
{
	struct mpk_sig_handler *t;

	memcpy(&t, (const char *)flexos__mpk_pkru + MPK_PKRU_SIGTAB, sizeof(t));
	return t;
}

/*
 * What a handler runs with blocked besides its own mask: every signal but
 * the synchronous ones. While a handler runs on its compartment's stack,
 * the kernel would write a second frame at the top of the signal stack,
 * over the first one; a synchronous signal cannot be blocked (the kernel
 * would kill the process instead), and the fault report never returns.
 */
static void handler_mask(sigset_t *set)
{
	static const int sync[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS};

	sigfillset(set);
	for (size_t i = 0; i < sizeof(sync) / sizeof(sync[0]); i++)
		sigdelset(set, sync[i]);
}

int __wrap_sigaction(int sig, const struct sigaction *act, struct sigaction *old);
int __wrap_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	struct mpk_sig_handler *tab = sig_table();
	struct mpk_sig_handler prev = {0, 0, 0};
	struct sigaction k, ko;
	sigset_t all, saved;
	int fn = act && act->sa_handler != SIG_DFL && act->sa_handler != SIG_IGN;
	int err;

	if (sig <= 0 || sig >= _NSIG) {
		errno = EINVAL;
		return -1;
	}
	if (fn) {
		k = *act;
		/* Before the backend's init there is no table: the handler runs as it is. */
		if (tab) {
			k.sa_sigaction = flexos__mpk_sig_deliver;
			k.sa_flags = (act->sa_flags | SA_SIGINFO) & ~SA_NODEFER;
			handler_mask(&k.sa_mask);
		}
		/* The handler cannot push its frame on a compartment's stack. */
		k.sa_flags |= SA_ONSTACK;
	}
	/*
	 * No signal of this thread between the table's entry and the
	 * kernel's. The system call itself, not pthread_sigmask, whose stack
	 * protector checks the thread's canary (key 0): the runtime's abort
	 * and the report call this with more rights than a compartment's
	 * (fault.c: unblock). (sigfillset leaves out the C library's own two.)
	 */
	sigfillset(&all);
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, &saved, sizeof(uint64_t));
	if (tab)
		prev = tab[sig];
	if (fn && tab)
		flexos__mpk_sig_record(sig,
				       (act->sa_flags & SA_SIGINFO) ? (void *)act->sa_sigaction
								    : (void *)act->sa_handler,
				       act->sa_flags);
	/* SIG_DFL and SIG_IGN run nothing: the restorer does not matter. */
	err = flexos__mpk_sigaction(sig, act ? (fn ? &k : act) : NULL, old ? &ko : NULL);
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &saved, NULL, sizeof(uint64_t));
	if (err) {
		errno = -err;
		return -1;
	}
	if (old) {
		*old = ko;
		if (ko.sa_sigaction == flexos__mpk_sig_deliver) {
			uint64_t mask = ((uint64_t)1 << MPK_SIG_COMP_SHIFT) - 1;
			old->sa_handler = (void (*)(int))(uintptr_t)(prev.fn_comp & mask);
			old->sa_flags = prev.flags;
		}
	}
	return 0;
}

/*
 * The image's own sigaltstack: every thread already has a signal stack of
 * the backend's, which the filter lets nothing replace (flexos__mpk_altstack_filter),
 * and every handler runs there (the runtime's sigaction adds SA_ONSTACK).
 * A new stack is checked as the kernel checks it and then not used: the
 * call succeeds, and handlers run on the backend's stack. The old one is
 * the backend's. Before the backend's start-up, the call itself.
 */
#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1u << 31)
#endif
#define KERNEL_MINSIGSTKSZ 2048u /* x86's, in the kernel's uapi */

int __real_sigaltstack(const stack_t *ss, stack_t *old);
int __wrap_sigaltstack(const stack_t *ss, stack_t *old);
int __wrap_sigaltstack(const stack_t *ss, stack_t *old)
{
	stack_t cur;

	if (!flexos__mpk_ro.ro.alt_table)
		return __real_sigaltstack(ss, old);
	if (syscall(SYS_sigaltstack, NULL, &cur))
		return -1;
	if (ss) {
		int mode = ss->ss_flags & ~(int)SS_AUTODISARM;
		/* The kernel's checks, in its order. */
		if (cur.ss_flags & SS_ONSTACK) {
			errno = EPERM;
			return -1;
		}
		if (mode != 0 && mode != SS_ONSTACK && mode != SS_DISABLE) {
			errno = EINVAL;
			return -1;
		}
		/*
		 * The kernel's MINSIGSTKSZ: glibc's macro is sysconf(_SC_SIGSTKSZ)
		 * under _GNU_SOURCE, several times larger (a review found 8 KiB
		 * stacks refused).
		 */
		if (mode != SS_DISABLE && ss->ss_size < KERNEL_MINSIGSTKSZ) {
			errno = ENOMEM;
			return -1;
		}
	}
	if (old)
		*old = cur;
	return 0;
}

/* glibc's signal(): BSD semantics (SA_RESTART, the handler stays). */
sighandler_t __wrap_signal(int sig, sighandler_t fn);
sighandler_t __wrap_signal(int sig, sighandler_t fn)
{
	struct sigaction act, old;

	memset(&act, 0, sizeof(act));
	act.sa_handler = fn;
	act.sa_flags = SA_RESTART;
	sigemptyset(&act.sa_mask);
	if (sig > 0 && sig < _NSIG)
		sigaddset(&act.sa_mask, sig);
	if (__wrap_sigaction(sig, &act, &old))
		return SIG_ERR;
	return old.sa_handler;
}

/* Its other name. */
sighandler_t __wrap_bsd_signal(int sig, sighandler_t fn);
sighandler_t __wrap_bsd_signal(int sig, sighandler_t fn)
{
	return __wrap_signal(sig, fn);
}

/*
 * System V semantics: the handler runs once, unmasked (also what signal()
 * is under strict ISO C: glibc's header redirects it to __sysv_signal).
 */
sighandler_t __wrap_sysv_signal(int sig, sighandler_t fn);
sighandler_t __wrap_sysv_signal(int sig, sighandler_t fn)
{
	struct sigaction act, old;

	memset(&act, 0, sizeof(act));
	act.sa_handler = fn;
	act.sa_flags = SA_RESETHAND | SA_NODEFER;
	sigemptyset(&act.sa_mask);
	if (__wrap_sigaction(sig, &act, &old))
		return SIG_ERR;
	return old.sa_handler;
}

sighandler_t __wrap___sysv_signal(int sig, sighandler_t fn);
sighandler_t __wrap___sysv_signal(int sig, sighandler_t fn)
{
	return __wrap_sysv_signal(sig, fn);
}

/* glibc's sigaction under its other name, which images do not wrap (fault.c). */
int __sigaction(int sig, const struct sigaction *act, struct sigaction *old);

/*
 * The handler table (gate key) and, after it, the copy areas (gate.S:
 * SIG_SNAPSHOT, SIGRETURN_COPY), MPK_SIG_AREAS for each gate page, with
 * the copy key but the first page of each gate page's last area (the
 * gate key: mpk.h, MPK_SIG_COPY_UC says why); and what
 * the delivery stub and the restorer find on the PKRU table's page (still
 * writable: mpk_run_main makes it read-only): the table, the image's gate,
 * the gate pages' bounds, the copy areas, the XSAVE size and each
 * compartment's PKRU that opens them (after the PKRU table: mpk.c).
 */
/*
 * The gate paths' windows (gate.S: WINDOW), as addresses, onto the PKRU
 * table's page, where the restorer reads them (WINDOW_RESUME).
 */
static int windows_init(char *page)
{
	uint32_t n = (uint32_t)(flexos__mpk_windows_end - flexos__mpk_windows);
	uintptr_t text = (uintptr_t)flexos__mpk_gate_text_lo;

	if (n > MPK_PKRU_WINDOWS_MAX)
		return -ENOSPC;
	for (uint32_t i = 0; i < n; i++) {
		const struct mpk_window *w = &flexos__mpk_windows[i];
		uint64_t addr[4] = {text + w->lo, text + w->tail, text + w->hi, text + w->restart};
		/*
		 * Its start before its opening WRPKRU, its tail inside it:
		 * gate.S's own layout; or only a tail, a closing switch (the
		 * slow paths' close), which resumes at itself.
		 */
		if (!((w->restart < w->lo || (w->restart == w->lo && w->lo == w->tail)) &&
		      w->lo <= w->tail && w->tail < w->hi))
			return -EINVAL;
		memcpy(page + MPK_PKRU_WINDOWS + (size_t)i * MPK_W_SIZE, addr, sizeof(addr));
	}
	memcpy(page + MPK_PKRU_WINDOWS_N, &n, sizeof(n));
	return 0;
}

static int sig_table_init(const struct mpk_ro *ro)
{
	char *page = (char *)flexos__mpk_pkru;
	void (*gate)(void) = flexos__backend_gate;
	uint64_t stride = (MPK_SIG_COPY_FP + ro->xsave_size + 4 + 4095) & ~(uint64_t)4095;
	size_t size = 4096 + (size_t)MPK_GATE_PAGES * MPK_SIG_AREAS * stride;
	char *tab = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *copy = tab + 4096;
	uint32_t fsgsbase = ro->fsgsbase;
	int copy_key = ro->copy_key ? ro->copy_key : (int)ro->gate_key;
	uint32_t copy_writable =
	    ~(2u << (2 * flexos__mpk_ro.ro.gate_key)) & ~(3u << (2 * copy_key));

	if (tab == MAP_FAILED)
		return -errno;
	if (pkey_mprotect(tab, 4096, PROT_READ | PROT_WRITE, ro->gate_key) ||
	    pkey_mprotect(copy, size - 4096, PROT_READ | PROT_WRITE, copy_key))
		return -errno;
	for (uint32_t i = 0; ro->copy_key && i < MPK_GATE_PAGES; i++) {
		char *resumed = copy + ((size_t)i * MPK_SIG_AREAS + MPK_SIG_FRAMES) * stride;
		if (pkey_mprotect(resumed, 4096, PROT_READ | PROT_WRITE, ro->gate_key))
			return -errno;
	}
	if (flexos__mpk_ro.ro.shared_key)
		gate = flexos__backend_gate_newlib;
	else if (flexos__mpk_shared_stacks())
		gate = flexos__backend_gate_shared_stacks;
	memcpy(page + MPK_PKRU_SIGTAB, &tab, sizeof(tab));
	memcpy(page + MPK_PKRU_SIGGATE, &gate, sizeof(gate));
	memcpy(page + MPK_PKRU_SIG_GP_LO, &ro->gp_lo, sizeof(ro->gp_lo));
	memcpy(page + MPK_PKRU_SIG_GP_HI, &ro->gp_hi, sizeof(ro->gp_hi));
	memcpy(page + MPK_PKRU_SIG_FSGSBASE, &fsgsbase, sizeof(fsgsbase));
	memcpy(page + MPK_PKRU_SIG_COPY, &copy, sizeof(copy));
	memcpy(page + MPK_PKRU_SIG_COPY_STRIDE, &stride, sizeof(stride));
	memcpy(page + MPK_PKRU_SIG_XSAVE_SIZE, &ro->xsave_size, sizeof(ro->xsave_size));
	for (uint32_t id = 0; id < MPK_SLOTS; id++) {
		uint32_t copy_pkru = flexos__mpk_pkru[id] & copy_writable;
		memcpy(page + MPK_PKRU_SIG_COPY_PKRU + 4 * id, &copy_pkru, sizeof(copy_pkru));
	}
	memcpy(page + MPK_PKRU_SIG_PKRU_OFF, &ro->pkru_off, sizeof(ro->pkru_off));
	return windows_init(page);
}

/* What the probe's frame said (frame_xsave_size): its fpx_sw_bytes words, or 0. */
static volatile uint32_t probed_magic1, probed_size, probed_magic2;
static volatile uint64_t probed_features;

static void probe_frame(int sig, siginfo_t *si, void *uc_)
{
	const ucontext_t *uc = uc_;
	const char *fp = (const char *)uc->uc_mcontext.fpregs;

	(void)sig;
	(void)si;
	if (!fp)
		return;
	probed_magic1 = *(const uint32_t *)(fp + MPK_FX_SW);
	probed_features = *(const uint64_t *)(fp + MPK_FX_SW_FEATURES);
	probed_size = *(const uint32_t *)(fp + MPK_FX_SW_SIZE);
	if (probed_magic1 == MPK_XSTATE_MAGIC1 &&
	    probed_size <= *(const uint32_t *)(fp + MPK_FX_SW_EXT_SIZE))
		probed_magic2 = *(const uint32_t *)(fp + probed_size);
}

/*
 * The size of the XSAVE area in the frames the kernel writes for this
 * process, which the restorer requires of every frame and the copies
 * take: the frame's own word for it (fpx_sw_bytes.xstate_size), read from
 * a signal this thread sends itself at start-up (glibc's sigaction and
 * restorer: no compartment runs yet). Not CPUID's (leaf 0xd, sub-leaf 0:
 * `cpuid_size'), which counts every feature XCR0 enables: on hosts with
 * AMX, Linux enables the tile data in XCR0 but writes frames without it
 * for a process that never asked for it (arch_prctl ARCH_REQ_XCOMP_PERM,
 * which the filter refuses), 8 KiB smaller; with CPUID's size the
 * restorer would refuse every handler's return there, and the copies read
 * past the top of the signal stack. A frame without PKRU, or larger than
 * CPUID says, and the image refuses to start.
 */
static int frame_xsave_size(struct mpk_ro *ro, uint32_t cpuid_size)
{
	struct sigaction sa, old;
	sigset_t only, mask;
	int err = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = probe_frame;
	sa.sa_flags = SA_SIGINFO;
	sigfillset(&sa.sa_mask);
	sigemptyset(&only);
	sigaddset(&only, SIGURG);
	if (__sigaction(SIGURG, &sa, &old))
		return -errno;
	if ((err = pthread_sigmask(SIG_UNBLOCK, &only, &mask)) == 0) {
		/* Delivered before the call returns: the signal is this thread's, and not blocked.
		 */
		if (syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), SIGURG))
			err = errno;
		pthread_sigmask(SIG_SETMASK, &mask, NULL);
	}
	if (__sigaction(SIGURG, &old, NULL) && !err)
		err = errno;
	if (err)
		return -err;
	uint32_t size = probed_size;
	if (probed_magic1 != MPK_XSTATE_MAGIC1 || probed_magic2 != MPK_XSTATE_MAGIC2 ||
	    !(probed_features & (1ULL << MPK_XFEATURE_PKRU)) || size < ro->pkru_off + 4 ||
	    !ro->pkru_off || size > cpuid_size) {
		flexos__say("the kernel's signal frames on this machine are not ones the "
			    "intel-mpk restorer can check (XSAVE area of %u bytes where CPUID "
			    "says %u at most, PKRU at %u, features %#llx%s): report this "
			    "machine's kernel and CPU (docs/threat-model.md, limit 9)",
			    size, cpuid_size, ro->pkru_off, (unsigned long long)probed_features,
			    probed_magic1 == MPK_XSTATE_MAGIC1 ? "" : ", no extended state");
		return -ENOTSUP;
	}
	ro->xsave_size = size;
	return 0;
}

int flexos__mpk_sigreturn_init(struct mpk_ro *ro)
{
	unsigned eax, ebx, ecx, edx;
	uint64_t *nonce;
	int err;

	ro->sigret_pkru = MPK_PKRU_KEY0_ONLY;
	if (ro->gate_key)
		ro->sigret_pkru &= ~(1u << (2 * ro->gate_key));
	/* The copies it checks and resumes from, read-only. */
	if (ro->copy_key)
		ro->sigret_pkru &= ~(1u << (2 * ro->copy_key));
	/*
	 * With newlib compartments the signal stacks have the shared key (the
	 * kernel writes a frame with the interrupted PKRU, and a newlib
	 * compartment's denies key 0): the restorer reads the frame there.
	 * Every compartment may write that key, as key 0 in other images: the
	 * checks read the copy in the gate-keyed area all the same.
	 */
	if (flexos__mpk_ro.ro.shared_key)
		ro->sigret_pkru &= ~(3u << (2 * flexos__mpk_ro.ro.shared_key));
	/* The kernel writes the standard (non-compacted) format in frames: offsets from CPUID. */
	if (__get_cpuid_count(0xd, 9, &eax, &ebx, &ecx, &edx) && eax >= 4)
		ro->pkru_off = ebx;
	if (!__get_cpuid_count(0xd, 0, &eax, &ebx, &ecx, &edx))
		ebx = 0;
	if ((err = frame_xsave_size(ro, ebx)))
		return err;
	if ((err = sig_table_init(ro)))
		return err;
	/* A newlib compartment's PKRU denies key 0: key 0 only would widen it. */
	ro->key0_ok = flexos__mpk_ro.ro.shared_key == 0;
	if (!flexos__mpk_ro.ro.nonce_key)
		return 0;
	nonce = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (nonce == MAP_FAILED)
		return -errno;
	if (getrandom(nonce, sizeof(*nonce), 0) != sizeof(*nonce))
		return errno ? -errno : -EIO;
	if (pkey_mprotect(nonce, 4096, PROT_READ, flexos__mpk_ro.ro.nonce_key))
		return -errno;
	ro->nonce = nonce;
	ro->nonce_pkru = ro->sigret_pkru & ~(1u << (2 * flexos__mpk_ro.ro.nonce_key));
	return 0;
}

/*
 * Whether the system call is the runtime's own: made by the instruction
 * at ip, with the nonce in the argument at offset arg of seccomp_data.
 * If so, the filter jumps over the next skip instructions after these
 * eight; if not, it goes on with the next one.
 */
#define BPF_IP_LO offsetof(struct seccomp_data, instruction_pointer)
#define BPF_RUNTIME_CALL(ip, arg, nonce, skip)                                 \
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, BPF_IP_LO),                         \
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(ip), 0, 6),         \
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, BPF_IP_LO + 4),                 \
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)((ip) >> 32), 0, 4), \
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (arg)),                         \
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(nonce), 0, 2),      \
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (arg) + 4),                     \
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)((nonce) >> 32), (skip), 0)

/*
 * Installs the n instructions of code as a filter of every thread, then
 * wipes them: the callers' stacks are key 0, and their code holds the
 * nonce.
 */
static int install_filter(struct sock_filter *code, unsigned short n)
{
	struct sock_fprog prog = {.len = n, .filter = code};
	int err = 0;

	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog))
		err = -errno;
	explicit_bzero(code, n * sizeof(*code));
	return err;
}

int flexos__mpk_sigreturn_filter(void)
{
	uintptr_t ip = (uintptr_t)flexos__mpk_sigreturn_syscall;
	/* Start-up: every key is still open. */
	const uint64_t nonce = flexos__mpk_ro.ro.nonce ? *flexos__mpk_ro.ro.nonce : 0;
	const uint32_t arg0 = offsetof(struct seccomp_data, args[0]);
	struct sock_filter code[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    /* x32 numbers (the x32 rt_sigreturn): the other filter kills them too. */
	    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 9, 0),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_rt_sigreturn, 0, 9),
	    /* The trampoline's %rdi (rt_sigreturn takes no argument): the nonce. */
	    BPF_RUNTIME_CALL(ip, arg0, nonce, 1),
	    /*
	     * Killed, not trapped: the SIGSYS report's own return would be
	     * the next rt_sigreturn, and a handler the attacker registered
	     * could catch the signal.
	     */
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	return install_filter(code, sizeof(code) / sizeof(code[0]));
}

/*
 * A filter that lets system call nr through with its argument at offset
 * arg of seccomp_data either 0 or the start of an entry (entry bytes, a
 * power of two) of the read-only table at table (size bytes, a power of
 * two, aligned to it), and refuses it otherwise (EPERM): what it reads
 * there is then one of the runtime's, never made up of the caller's
 * bytes (an attack review found both reads of a misaligned address).
 */
static int table_filter(int nr, uint32_t arg, uint64_t table, uint32_t size, uint32_t entry)
{
	struct sock_filter code[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 10),
	    /* None (a query): allowed. */
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, arg + 4),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, arg),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 6, 0),
	    /* In the table, at an entry's start. */
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, arg + 4),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(table >> 32), 0, 3),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, arg),
	    BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~(size - 1) | (entry - 1)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)table, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	if (!table || (table & (size - 1)) || (size & (size - 1)) || (entry & (entry - 1)))
		return -EINVAL;
	return install_filter(code, sizeof(code) / sizeof(code[0]));
}

int flexos__mpk_altstack_filter(void)
{
	/* The stack_t of the stacks the runtime reserved (mpk.h: alt_table). */
	return table_filter(SYS_sigaltstack, offsetof(struct seccomp_data, args[0]),
			    flexos__mpk_ro.ro.alt_table, MPK_ALT_TABLE_SIZE, MPK_ALT_ENTRY);
}

_Static_assert((sizeof(struct kernel_sigaction) & (sizeof(struct kernel_sigaction) - 1)) == 0,
	       "the filter's alignment check");

int flexos__mpk_sigaction_filter(void)
{
	int err = table_filter(SYS_rt_sigaction, offsetof(struct seccomp_data, args[1]),
			       (uint64_t)(uintptr_t)sig_table_page, 4096,
			       (uint32_t)sizeof(struct kernel_sigaction));
	if (!err)
		sig_actions = sig_table_page;
	return err;
}

int flexos__mpk_clone_filter(void)
{
	uintptr_t ip = (uintptr_t)flexos__mpk_clone_syscall;
	const uint64_t nonce = *flexos__mpk_ro.ro.nonce; /* start-up: every key is still open */
	const uint32_t flags = offsetof(struct seccomp_data, args[0]);
	const uint32_t r9 = offsetof(struct seccomp_data, args[5]);
	/* Of these, any one makes a thread-like child that shares the memory and the FS base. */
	const uint32_t shared = CLONE_VM | CLONE_THREAD | CLONE_SETTLS;
	struct sock_filter code[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    /* glibc falls back to clone, whose arguments the filter can read. */
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
	    /* vfork(2): the child shares the memory and its creator's FS base. */
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_vfork, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 15),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, flags),
	    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, shared, 0, 13), /* fork */
	    BPF_RUNTIME_CALL(ip, r9, nonce, 5),
	    /*
	     * posix_spawn's vfork-like clone (CLONE_VM | CLONE_VFORK, the
	     * creator's FS base): refused, not reported, so that system()
	     * and posix_spawn fail with EPERM rather than end the image.
	     */
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, flags),
	    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_THREAD | CLONE_SETTLS, 2, 0),
	    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_VFORK, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	    /* The SIGSYS handler (filter.c) reports it. */
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	return install_filter(code, sizeof(code) / sizeof(code[0]));
}
