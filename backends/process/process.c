/*
 * The process backend: every non-default compartment in a process of its
 * own, gates as RPCs over shared memory (channel.c).
 *
 * Start-up happens in two steps. init, before the application's
 * constructors, turns the shared section into a shared mapping and maps the
 * control block. run_main, after the constructors (so that libraries
 * start from their initialised state), forks the supervisor: a pristine
 * copy of the image that forks one process per compartment, waits for
 * them, and forks a compartment again from the same pristine state when it
 * crashes with on_crash: restart. Every process then revokes access to the
 * private memory of all the compartments it does not run.
 *
 * Process tree: main -> supervisor -> compartments. Each child has
 * PR_SET_PDEATHSIG(SIGKILL), so killing main, even with SIGKILL, takes the
 * whole tree down.
 */
#include "autoconfig.h"

#include <dlfcn.h>
#include <link.h>
#include <alloca.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include <flexos/flexos.h>

#include "common.h"
#include "process.h"

#include <seccomp.h>

/* si_code of a SIGSYS raised by a seccomp filter (<asm-generic/siginfo.h>). */
#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1
#endif

/* Server-thread stacks: this many slots of this size per compartment. */
#define STACK_SLOTS     64
#define STACK_SLOT_SIZE (4UL << 20)

struct flexos__control *flexos__proc_ctl;
struct flexos__lane *flexos__proc_lanes;
uint32_t flexos__proc_ncomp;
__attribute__((visibility("hidden"))) int flexos__proc_self;
int flexos__proc_started;
uint32_t flexos__proc_stack_revoked = 1;
int flexos__proc_check_pointers;

static const struct flexos_runtime *rt;
static uintptr_t stack_area;    /* ncomp * STACK_SLOTS * STACK_SLOT_SIZE, PROT_NONE */
static unsigned stack_next;     /* this process's next free slot */
static uintptr_t main_stack_lo; /* the part of main's stack that main's frames use */
static uintptr_t main_stack_hi;
static pid_t zygote_self; /* the supervisor's pid, for its children */
/*
 * Pids the control block also holds, in private memory: the supervisor's
 * children (in the supervisor), the supervisor (in main). Whom main and
 * the supervisor kill must not come from memory a compartment can write.
 */
static pid_t child_pid[FLEXOS_MAX_COMPARTMENTS];
static pid_t supervisor_pid;
static volatile sig_atomic_t shutting_down;
static long page_size;

static int is_default(int id)
{
	return (uint32_t)id == rt->image->default_id;
}

/* ---- shared memory ------------------------------------------------------ */

/*
 * The shared section belongs to the executable's private .data: give it the
 * same contents in a memfd mapped over the same range, so that forks share it.
 */
static int share_section(const struct flexos_region *r)
{
	size_t len = r->end - r->start;
	if (!len)
		return 0;
	int fd = memfd_create("flexos-shared", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (size_t done = 0; done < len;) {
		ssize_t n = pwrite(fd, (const char *)r->start + done, len - done, (off_t)done);
		if (n <= 0) {
			int err = n < 0 ? -errno : -EIO;
			close(fd);
			return err;
		}
		done += (size_t)n;
	}
	void *p =
	    mmap((void *)r->start, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	int err = p == MAP_FAILED ? -errno : 0;
	close(fd);
	return err;
}

static int map_control(uint32_t ncomp)
{
	size_t len = sizeof(struct flexos__control) +
		     (size_t)FLEXOS__PROC_MAX_LT * ncomp * sizeof(struct flexos__lane);
	len = (len + (size_t)page_size - 1) & ~((size_t)page_size - 1);
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	flexos__proc_ctl = p;
	flexos__proc_ctl->ncomp = ncomp;
	flexos__proc_ncomp = ncomp;
	flexos__proc_lanes = (struct flexos__lane *)(flexos__proc_ctl + 1);
	return 0;
}

void *flexos__proc_stack(size_t *size)
{
	unsigned slot = __atomic_fetch_add(&stack_next, 1, __ATOMIC_RELAXED);
	if (slot >= STACK_SLOTS)
		return NULL;
	/* The slot's first page stays PROT_NONE: a guard below the stack. */
	uintptr_t base = stack_area +
			 ((uintptr_t)flexos__proc_self * STACK_SLOTS + slot) * STACK_SLOT_SIZE +
			 (uintptr_t)page_size;
	*size = STACK_SLOT_SIZE - (size_t)page_size;
	if (mprotect((void *)base, *size, PROT_READ | PROT_WRITE))
		return NULL;
	return (void *)base;
}

/* The range of main's [stack] mapping, from /proc/self/maps. */
static void find_main_stack(uintptr_t *lo, uintptr_t *hi)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "re");

	*lo = *hi = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long a, b;
		if (strstr(line, "[stack]") && sscanf(line, "%lx-%lx", &a, &b) == 2) {
			*lo = a;
			*hi = b;
		}
	}
	fclose(f);
}

/* ---- isolation ---------------------------------------------------------- */

/*
 * In a compartment's process the memory of the others is replaced by a
 * fresh inaccessible mapping, not mprotect'ed: what the fork copied
 * (secrets constructors wrote, initial .data) is gone, and no mprotect
 * or /proc/self/mem brings it back. main's process keeps its stale
 * copies behind PROT_NONE: the destructors of compartments' shared
 * libraries run there at exit.
 */
static int replace_others;

static int revoke_range(uintptr_t start, uintptr_t end)
{
	if (end <= start)
		return 0;
	if (replace_others)
		return mmap((void *)start, end - start, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1,
			    0) == MAP_FAILED
			       ? -errno
			       : 0;
	return mprotect((void *)start, end - start, PROT_NONE) ? -errno : 0;
}

static int is_sandbox_of(const struct flexos_compartment *c, int host)
{
	return (c->flags & FLEXOS_COMP_SANDBOX) && (int)FLEXOS_COMP_HOST(c->flags) == host;
}

/*
 * Makes the private memory of every compartment but self (and self's
 * sandboxes, which it may reach into) inaccessible in
 * this process. .rodata stays readable: string literals handed across
 * gates are common and harmless.
 */
static int protect_others(int self)
{
	const struct flexos_image *img = rt->image;
	int err = 0;

	for (uint32_t j = 0; j < img->ncompartments && !err; j++) {
		const struct flexos_compartment *c = &img->compartments[j];
		if ((int)j == self || is_sandbox_of(c, self))
			continue;
		err = revoke_range(c->regions[FLEXOS_REGION_DATA].start,
				   c->regions[FLEXOS_REGION_DATA].end);
		if (!err)
			err = revoke_range(c->regions[FLEXOS_REGION_BSS].start,
					   c->regions[FLEXOS_REGION_BSS].end);
		/*
		 * The ranges its heap grew by before the fork (its libraries'
		 * constructors run in main), then the first, which holds the list.
		 */
		uintptr_t s, e;
		struct flexos__heap *h = flexos__heap_of((int)j);
		for (unsigned i = 0; !err && h && !flexos__heap_extra_range(h, i, &s, &e); i++)
			err = revoke_range(s, e);
		if (!err)
			err = revoke_range(rt->heaps[j].start, rt->heaps[j].end);
	}
	/* A shared library's data has no shared copy, even for a sandbox's host. */
	for (uint32_t i = 0; i < rt->nshlib_regions && !err; i++) {
		const struct flexos_shlib_region *r = &rt->shlib_regions[i];
		if (r->kind == FLEXOS_SHLIB_DATA && (int)r->compartment != self)
			err = revoke_range(r->range.start, r->range.end);
	}
	return err;
}

int flexos__backend_stack_owner(uintptr_t a, const char **what)
{
	const struct flexos_image *img = rt->image;

	for (uint32_t j = 0; j < img->ncompartments; j++) {
		uintptr_t s = stack_area + (uintptr_t)j * STACK_SLOTS * STACK_SLOT_SIZE;
		if (a >= s && a < s + STACK_SLOTS * STACK_SLOT_SIZE) {
			*what = "stack";
			return (int)j;
		}
	}
	if (a >= main_stack_lo && a < main_stack_hi) {
		*what = "stack (main thread)";
		return (int)img->default_id;
	}
	return -1;
}

/* Whether integer argument register i may hold a data pointer. */
static bool may_be_pointer(int i, uint32_t flags)
{
	if (!(flags & FLEXOS_ENTRY_PROTO))
		return true;
	if (flags & FLEXOS_ENTRY_PTR_REG(i))
		return true;
	return (flags & FLEXOS_ENTRY_VARIADIC) && (uint32_t)i >= FLEXOS_ENTRY_NAMED(flags);
}

/* Whether compartment owner is a sandbox_of callee, whose memory the host may use. */
static bool host_reads(int owner, uint32_t callee)
{
	uint32_t flags = flexos__runtime()->image->compartments[owner].flags;
	return (flags & FLEXOS_COMP_SANDBOX) && FLEXOS_COMP_HOST(flags) == callee;
}

void flexos__proc_check_args(const long *args, int first, uintptr_t fn, uint32_t callee,
			     uint32_t entry_flags)
{
	for (int i = first; i < 6; i++) {
		const char *what = NULL;
		if (!may_be_pointer(i, entry_flags))
			continue;
		int owner = flexos__owner((uintptr_t)args[i], &what);
		if (owner < 0 || (uint32_t)owner == callee || !strcmp(what, ".text") ||
		    !strcmp(what, ".rodata") || host_reads(owner, callee))
			continue;
		char where[200];
		flexos__describe_pc(where, sizeof(where), fn);
		flexos__say("gate from '%s' to '%s', calling %s: %s %d (%#lx) points into the %s "
			    "of compartment '%s', which '%s' cannot access; pass shared memory "
			    "(FLEXOS_SHARED, flexos_shared_malloc, FLEXOS_SHARED_STACK)%s",
			    flexos__comp_name(flexos__proc_self), flexos__comp_name((int)callee),
			    where,
			    entry_flags & FLEXOS_ENTRY_PTR_REG(i) ? "pointer argument"
			    : entry_flags & FLEXOS_ENTRY_PROTO    ? "variadic argument"
								  : "argument",
			    i + 1, (unsigned long)args[i], what, flexos__comp_name(owner),
			    flexos__comp_name((int)callee),
			    entry_flags & FLEXOS_ENTRY_PROTO
				    ? ""
				    : "; flexos-link had no prototype of this function, so this "
				      "argument may be no pointer: build its callers or the library "
				      "with -g, or name its header under 'headers:' in flexos.yaml, "
				      "to check pointer arguments only");
	}
}

/* ---- faults ------------------------------------------------------------- */

/*
 * The executable's file, load address and end, for reports: dladdr is
 * not async-signal-safe.
 */
static Dl_info image_info;
static uintptr_t image_end;

static int find_image_end(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size, (void)data;
	/* The first object is the executable. */
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t end = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
		if (ph->p_type == PT_LOAD && end > image_end)
			image_end = end;
	}
	return 1;
}

/*
 * Where pc lies, as "fn+0x1c (file.c:42) (compartment 'c')" (or
 * "IMAGE+OFFSET" for addr2line in an image without a symbol table), or
 * just the compartment whose code it is.
 */
static void out_code(struct flexos__out *o, uintptr_t pc)
{
	int cn = flexos__code_owner(pc);

	if (image_info.dli_fname && pc >= (uintptr_t)image_info.dli_fbase && pc < image_end) {
		char where[200];
		flexos__describe_pc(where, sizeof(where), pc);
		flexos__out_str(o, where);
		if (cn < 0)
			return;
		flexos__out_str(o, " (");
		flexos__out_comp(o, cn);
		flexos__out_str(o, ")");
	} else if (cn >= 0) {
		flexos__out_comp(o, cn);
	} else {
		flexos__out_str(o, "outside the image (in a shared library: the C library's wrapper "
				   "of a system call, say)");
	}
}

static void on_fault_record(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	struct flexos__comp_state *cs = &flexos__proc_ctl->comp[flexos__proc_self];

	cs->fault_code = si->si_code;
	cs->fault_addr = (uintptr_t)si->si_addr;
	cs->fault_pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	cs->fault_tid = (int32_t)syscall(SYS_gettid);
	cs->fault_syscall = -1;
	if (sig == SIGSYS && si->si_code == SYS_SECCOMP) {
		static const int regs[6] = {REG_RDI, REG_RSI, REG_RDX, REG_R10, REG_R8, REG_R9};
		cs->fault_syscall = si->si_syscall;
		for (int i = 0; i < 6; i++)
			cs->fault_args[i] = (uint64_t)uc->uc_mcontext.gregs[regs[i]];
	}
	__atomic_store_n(&cs->fault_sig, sig, __ATOMIC_RELEASE);
}

/*
 * The first fault's signal while its report is being written: unwinding a
 * smashed stack may fault again, and the handler (SA_NODEFER) would be
 * entered again, each time recording the new fault over the first.
 */
static volatile sig_atomic_t reporting_fault;

static void on_fault(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	struct flexos__out o = {.n = 0};

	if (reporting_fault) {
		sig = reporting_fault;
		goto die;
	}
	/* Before the fault is recorded: its report ends in a SIGILL, recorded as the crash. */
	if (sig == SIGSEGV && flexos__harden_trap)
		flexos__harden_trap(uc);
	reporting_fault = sig;
	on_fault_record(sig, si, uc);
	/*
	 * Only this process can unwind its stack: its part of the report
	 * comes now, main's summary when the supervisor has seen it die.
	 */
	flexos__out_str(&o, "flexos: ");
	flexos__out_comp(&o, flexos__proc_self);
	flexos__out_str(&o, " (pid ");
	flexos__out_int(&o, getpid());
	flexos__out_str(&o, ") got signal ");
	flexos__out_int(&o, sig);
	flexos__out_str(&o, " (");
	flexos__out_signal(&o, sig);
	flexos__out_str(&o, "); backtrace:\n");
	flexos__out_flush(&o);
	flexos__print_backtrace((uintptr_t)uc->uc_mcontext.gregs[REG_RIP]);
	flexos__proc_out_callers();
	/*
	 * A copy made for a child of fork() has no supervisor to see it die,
	 * and its policy only lets it signal the process it was copied from
	 * (the pid is in the filter): main learns of the death from its
	 * robust mutex and of the signal from the record above.
	 */
	if (flexos__proc_forked)
		_exit(128 + sig);
die:
	/* Die of the same signal, so that the supervisor sees it. */
	signal(sig, SIG_DFL);
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
	raise(sig);
}

static void report_fault(int comp);
static void shutdown_children(void);

/*
 * A fault in main's own process: report it like any compartment's, take
 * the compartments down and exit. The application may install its own
 * handlers over this one.
 */
static void on_main_fault(int sig, siginfo_t *si, void *uc)
{
	struct flexos__control *ctl = flexos__proc_ctl;
	int self = flexos__proc_self;

	if (reporting_fault) {
		/* A fault in the report itself (a smashed stack unwound): end now. */
		shutdown_children();
		_exit(FLEXOS_EXIT_FAULT);
	}
	reporting_fault = sig;
	on_fault_record(sig, si, uc);
	ctl->comp[self].pid = getpid();
	ctl->fault_status = sig;
	report_fault(self);
	flexos__say("backtrace of compartment '%s':", flexos__comp_name(self));
	flexos__print_backtrace((uintptr_t)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP]);
	flexos__proc_out_callers();
	shutdown_children();
	_exit(FLEXOS_EXIT_FAULT);
}

static void install_fault_handlers(int main_process)
{
	static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS};
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = main_process ? on_main_fault : on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	/* In main, an abort() keeps its usual meaning. */
	for (size_t i = 0; i < (main_process ? 4 : sizeof(sigs) / sizeof(sigs[0])); i++)
		sigaction(sigs[i], &sa, NULL);
}

/*
 * "made a system call its policy denies: openat(0xffffff9c, 0x5610...,
 * 0, 0, 0, 0); the code at ... was ...". Not async-signal-safe
 * (libseccomp allocates the name): only a compartment's process, which
 * is not main's, runs under a policy, so this never runs in main's own
 * fault handler.
 */
static void out_denied_syscall(struct flexos__out *o, int comp,
			       const struct flexos__comp_state *cs)
{
	char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, cs->fault_syscall);

	flexos__out_str(o, "made a system call its policy denies: ");
	if (name)
		flexos__out_str(o, name);
	else
		flexos__out_int(o, cs->fault_syscall);
	flexos__out_str(o, "(");
	for (int i = 0; i < 6; i++) {
		flexos__out_str(o, i ? ", " : "");
		flexos__out_num(o, cs->fault_args[i], 16);
	}
	flexos__out_str(o, "); the code at ");
	flexos__out_num(o, cs->fault_pc, 16);
	flexos__out_str(o, " was ");
	out_code(o, cs->fault_pc);
	flexos__out_str(o, "\nflexos:   to allow it, add ");
	flexos__out_str(o, name ? name : "it");
	flexos__out_str(o, " (or its group) to 'syscalls' of ");
	flexos__out_comp(o, comp);
	flexos__out_str(o, " in ");
	flexos__out_str(o, rt->image->config_path);
	free(name);
}

/*
 * Code of another compartment ran in this one's process: it was reached
 * through a function pointer, which no gate turns into a call.
 */
static void out_callback_hint(struct flexos__out *o, int comp, uintptr_t pc)
{
	int cn = flexos__code_owner(pc);

	if (cn < 0 || cn == comp)
		return;
	flexos__out_str(o, "\nflexos:   that is code of ");
	flexos__out_comp(o, cn);
	flexos__out_str(o, ", run in the process of ");
	flexos__out_comp(o, comp);
	flexos__out_str(o, ": a function of '");
	flexos__out_str(o, flexos__comp_name(cn));
	flexos__out_str(o, "' was called through a pointer, not a gate; list it under "
			   "'callbacks:' of its library in ");
	flexos__out_str(o, rt->image->config_path);
}

/*
 * Runs in main's process, in a signal handler (on_main_fault) or when a
 * waiter learns that the image ends: async-signal-safe, but for a denied
 * system call (out_denied_syscall).
 */
static void report_fault(int comp)
{
	struct flexos__control *ctl = flexos__proc_ctl;
	struct flexos__comp_state *cs = &ctl->comp[comp];
	int status = ctl->fault_status;
	int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	struct flexos__out o = {.n = 0};

	flexos__out_str(&o, "flexos: ");
	flexos__out_comp(&o, comp);
	flexos__out_str(&o, " (pid ");
	flexos__out_int(&o, cs->pid);
	if (cs->fault_sig == SIGSYS && cs->fault_syscall >= 0) {
		flexos__out_str(&o, ") ");
		out_denied_syscall(&o, comp, cs);
	} else if (cs->fault_sig) {
		const char *what = NULL;
		int owner = flexos__owner(cs->fault_addr, &what);
		flexos__out_str(&o, ") crashed: signal ");
		flexos__out_int(&o, cs->fault_sig);
		flexos__out_str(&o, " (");
		flexos__out_signal(&o, cs->fault_sig);
		flexos__out_str(&o, ") at address ");
		flexos__out_num(&o, cs->fault_addr, 16);
		if (owner >= 0) {
			flexos__out_str(&o, ", in ");
			flexos__out_owner(&o, cs->fault_addr);
		} else if (flexos__lend_describe(&o, ", in ", cs->fault_addr)) {
			/* said: an overrun of a lent copy */
		}
		flexos__out_str(&o, "; the code at ");
		flexos__out_num(&o, cs->fault_pc, 16);
		flexos__out_str(&o, " was ");
		out_code(&o, cs->fault_pc);
		out_callback_hint(&o, comp, cs->fault_pc);
	} else if (sig == SIGKILL && cs->stopped_sig) {
		flexos__out_str(&o, ") was stopped by signal ");
		flexos__out_int(&o, cs->stopped_sig);
		flexos__out_str(&o, " (");
		flexos__out_signal(&o, cs->stopped_sig);
		flexos__out_str(&o, ") for a second, and killed: a stopped compartment would hold "
				    "its callers forever");
	} else {
		flexos__out_str(&o, ") was killed by signal ");
		flexos__out_int(&o, sig);
		flexos__out_str(&o, " (");
		flexos__out_signal(&o, sig);
		flexos__out_str(&o, ")");
	}
	flexos__out_str(&o, "\nflexos: the image exits with status ");
	flexos__out_int(&o, FLEXOS_EXIT_FAULT);
	flexos__out_str(&o, " (");
	flexos__out_comp(&o, comp);
	flexos__out_str(&o, " has on_crash: abort)\n");
	flexos__out_flush(&o);
}

/* ---- life cycle --------------------------------------------------------- */

static char proc_state(pid_t pid);
static int stays_stopped(pid_t pid, unsigned ms);
/* main is ending the image: the supervisor's death is expected (private memory). */
static int main_ending;

/*
 * Kills the compartments and waits until the supervisor has reaped them
 * and left, so that nothing of the image outlives main, not even a zombie.
 */
static void shutdown_children(void)
{
	struct flexos__control *ctl = flexos__proc_ctl;

	if (ctl && flexos__proc_forked) {
		flexos__proc_fork_shutdown();
		return;
	}
	if (!ctl || !supervisor_pid || __atomic_exchange_n(&main_ending, 1, __ATOMIC_ACQ_REL))
		return;
	__atomic_store_n(&ctl->shutdown, 1, __ATOMIC_RELEASE);
	/* The supervisor kills its children; it leaves once it has none left: give it 2 s. */
	kill(supervisor_pid, SIGUSR1);
	for (int i = 0; i < 2000; i++) {
		pid_t r = waitpid(supervisor_pid, NULL, WNOHANG);
		if (r == supervisor_pid || (r < 0 && errno != EINTR))
			return;
		usleep(1000);
	}
	/* Its children follow it (PR_SET_PDEATHSIG). */
	kill(supervisor_pid, SIGKILL);
	while (waitpid(supervisor_pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/*
 * The supervisor is gone (status st, as waitpid gave it) or was stopped
 * and is now killed: its compartments die with it (PR_SET_PDEATHSIG), no
 * crash can be reported any more and every gate would wait forever. End
 * the image now, from whichever thread of main's process noticed.
 */
static void supervisor_lost(int st, int stopped) __attribute__((__noreturn__));
static void supervisor_lost(int st, int stopped)
{
	/* Another thread may hold stdout's lock forever: flush only if it is free. */
	if (!ftrylockfile(stdout)) {
		fflush(stdout);
		funlockfile(stdout);
	}
	if (stopped)
		flexos__say("the supervisor (pid %d) was stopped for a second: without it no "
			    "crash of a compartment can be reported, so it was killed",
			    (int)supervisor_pid);
	else if (WIFSIGNALED(st))
		flexos__say("the supervisor (pid %d) was killed by signal %d (%s)",
			    (int)supervisor_pid, WTERMSIG(st),
			    sigdescr_np(WTERMSIG(st)) ? sigdescr_np(WTERMSIG(st)) : "?");
	else
		flexos__say("the supervisor (pid %d) is gone (exit status %d)", (int)supervisor_pid,
			    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	flexos__say("the compartments ended with it; the image exits with status %d",
		    FLEXOS_EXIT_FAULT);
	_exit(FLEXOS_EXIT_FAULT);
}

void flexos__proc_watch(void)
{
	int st = 0;

	if (flexos__proc_forked) {
		flexos__proc_fork_watch();
		return;
	}
	if (!supervisor_pid || __atomic_load_n(&main_ending, __ATOMIC_ACQUIRE))
		return;
	pid_t r = waitpid(supervisor_pid, &st, WNOHANG);
	if (__atomic_load_n(&main_ending, __ATOMIC_ACQUIRE))
		return;
	if (r == supervisor_pid || (r < 0 && errno == ECHILD))
		supervisor_lost(st, 0);
	/* Job control stops main too; then this thread does not run. */
	if (proc_state(supervisor_pid) == 'T' && stays_stopped(supervisor_pid, 1000) &&
	    !__atomic_load_n(&main_ending, __ATOMIC_ACQUIRE)) {
		kill(supervisor_pid, SIGKILL);
		while (waitpid(supervisor_pid, &st, 0) < 0 && errno == EINTR)
			;
		supervisor_lost(st, 1);
	}
}

/*
 * The shared libraries of compartments have their destructors run in
 * their processes (flexos__shlib_take_fini); what _dl_fini still runs in
 * this process after the atexit handlers (a library loaded later) finds
 * the stale copies here opened once the compartments are gone.
 */
static void reopen_shlib_data(void)
{
	for (uint32_t i = 0; i < rt->nshlib_regions; i++) {
		const struct flexos_shlib_region *r = &rt->shlib_regions[i];
		if (r->kind == FLEXOS_SHLIB_DATA)
			mprotect((void *)r->range.start, r->range.end - r->range.start,
				 PROT_READ | PROT_WRITE);
	}
}

static void at_exit(void)
{
	flexos__before_exit(); /* registered earlier, so it would run after this */
	shutdown_children();
	reopen_shlib_data();
}

void flexos__proc_handle_end(void)
{
	static int ending;
	struct flexos__control *ctl = flexos__proc_ctl;

	if (__atomic_exchange_n(&ending, 1, __ATOMIC_ACQ_REL))
		for (;;)
			pause();
	uint32_t end = __atomic_load_n(&ctl->end, __ATOMIC_ACQUIRE);
	if (!is_default(flexos__proc_self))
		_exit(end == END_EXIT ? ctl->exit_status : FLEXOS_EXIT_FAULT);
	if (end == END_EXIT)
		exit(ctl->exit_status);
	fflush(stdout);
	fflush(stderr);
	/* The supervisor wrote it, in memory a compartment could also write. */
	int comp = ctl->fault_comp;
	if (comp >= 0 && (uint32_t)comp < flexos__proc_ncomp)
		report_fault(comp);
	else
		flexos__say("a compartment crashed; the record of which one was overwritten");
	shutdown_children();
	_exit(FLEXOS_EXIT_FAULT);
}

static void poke_all(void);

void flexos__proc_poke_all(void)
{
	poke_all();
}

void flexos__proc_forked_main(void)
{
	/* The supervisor is the parent image's: this image has none (fork.c). */
	supervisor_pid = 0;
}

void flexos__proc_end_image(int status)
{
	struct flexos__control *ctl = flexos__proc_ctl;
	uint32_t none = END_NONE;

	ctl->exit_status = status;
	if (__atomic_compare_exchange_n(&ctl->end, &none, END_EXIT, 0, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE))
		poke_all();
}

/* Tells every waiter and dispatcher of every process to look again. */
static void poke_all(void)
{
	struct flexos__control *ctl = flexos__proc_ctl;

	for (unsigned i = 0; i < FLEXOS__PROC_MAX_LT; i++) {
		if (!__atomic_load_n(&ctl->chains[i].used, __ATOMIC_ACQUIRE))
			continue;
		for (uint32_t k = 0; k < flexos__proc_ncomp; k++) {
			struct flexos__lane *l = flexos__lane_of(i, k);
			uint32_t idle = LANE_IDLE;
			__atomic_compare_exchange_n(&l->word, &idle, LANE_POKE, 0, __ATOMIC_ACQ_REL,
						    __ATOMIC_RELAXED);
			flexos__futex_wake(&l->word, 1);
		}
	}
	for (uint32_t k = 0; k < flexos__proc_ncomp; k++) {
		__atomic_add_fetch(&ctl->comp[k].spawn_seq, 1, __ATOMIC_SEQ_CST);
		flexos__futex_wake(&ctl->comp[k].spawn_seq, 1);
	}
}

static void set_death_signal(pid_t parent)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(FLEXOS_EXIT_FAULT);
}

void flexos__proc_thread_init(void)
{
	/*
	 * The death signal belongs to a thread: a new thread does not inherit
	 * it. A forked image's compartments watch main instead (fork.c).
	 */
	if (!is_default(flexos__proc_self) && !flexos__proc_forked)
		set_death_signal(zygote_self);
}

/* The first thread of a compartment process: set up, then leave main's stack. */
static void become(int c) __attribute__((__noreturn__));
static void become(int c)
{
	char name[16];
	sigset_t all;

	set_death_signal(zygote_self);
	flexos__proc_self = c;
	flexos__set_process_compartment(c);
	flexos__format(name, sizeof(name), "fx:%s", flexos__comp_name(c));
	prctl(PR_SET_NAME, name);
	install_fault_handlers(0);
	replace_others = 1;
	flexos__proc_checkpoint_keep(c);
	if (protect_others(c))
		flexos__die(FLEXOS_EXIT_SETUP, "compartment '%s' cannot protect the others: %s",
			    flexos__comp_name(c), flexos__strerror(errno));
	/* Before any code of its libraries runs here: gates come after the dispatcher. */
	int confined = flexos__proc_confine(c);
	if (confined)
		flexos__die(FLEXOS_EXIT_SETUP, "compartment '%s' cannot be confined: %s",
			    flexos__comp_name(c), flexos__strerror(-confined));
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	flexos__proc_stack_revoked = 0;
	int err = flexos__proc_start_dispatcher();
	if (err)
		flexos__die(FLEXOS_EXIT_SETUP, "compartment '%s' cannot start: %s",
			    flexos__comp_name(c), flexos__strerror(-err));

	/*
	 * The rest of main's stack (where main's frames live in main's
	 * process) must fault here too. This thread runs on it, so it revokes
	 * it and then sleeps for good without touching it again: only
	 * registers in between, and every signal is blocked. It stays, so
	 * that the process keeps its name and command line for ps.
	 */
	uintptr_t lo = main_stack_lo, len = main_stack_hi - main_stack_lo;
	register long r10 __asm__("r10") = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE;
	register long r8 __asm__("r8") = -1;
	register long r9 __asm__("r9") = 0;
	/* A mapping, not mprotect: the stack would grow down into a bare gap. */
	__asm__ volatile("syscall\n\t"
			 /* Then let the dispatcher serve: stack_revoked = 1 and wake it. */
			 "movl $1, %[flag]\n\t"
			 "leaq %[flag], %%rdi\n\t"
			 "movl %[wake], %%esi\n\t"
			 "movl $1, %%edx\n\t"
			 "movl %[futex], %%eax\n\t"
			 "syscall\n\t"
			 "1: movl %[pause], %%eax\n\t"
			 "syscall\n\t"
			 "jmp 1b"
			 :
			 : [flag] "m"(flexos__proc_stack_revoked), "a"((long)SYS_mmap), "D"(lo),
			   "S"(len), "d"(PROT_NONE), "r"(r10), "r"(r8),
			   "r"(r9), [pause] "i"(SYS_pause), [futex] "i"(SYS_futex),
			   [wake] "i"(FUTEX_WAKE_PRIVATE)
			 : "rcx", "r11", "memory");
	__builtin_unreachable();
}

static pid_t spawn(int c)
{
	pid_t pid = fork();
	if (pid == 0)
		become(c);
	if (pid > 0) {
		child_pid[c] = pid;
		__atomic_store_n(&flexos__proc_ctl->comp[c].pid, pid, __ATOMIC_RELEASE);
	}
	return pid;
}

/* The supervisor's SIGUSR1: main is ending; the compartments end now. */
static void on_shutdown(int sig)
{
	(void)sig;
	shutting_down = 1;
	for (uint32_t c = 0; c < FLEXOS_MAX_COMPARTMENTS; c++)
		if (child_pid[c] > 0)
			kill(child_pid[c], SIGKILL);
}

/* A compartment crashed and restarts: fail the calls it had, fork it again. */
static void restart(int c)
{
	struct flexos__control *ctl = flexos__proc_ctl;
	struct flexos__comp_state *cs = &ctl->comp[c];

	if (cs->fault_sig == SIGSYS && cs->fault_syscall >= 0) {
		struct flexos__out o = {.n = 0};
		flexos__out_str(&o, "flexos: ");
		flexos__out_comp(&o, c);
		flexos__out_str(&o, " (pid ");
		flexos__out_int(&o, cs->pid);
		flexos__out_str(&o, ") ");
		out_denied_syscall(&o, c, cs);
		flexos__out_str(&o, "\nflexos: restarting it (on_crash: restart)\n");
		flexos__out_flush(&o);
	} else {
		flexos__say("compartment '%s' (pid %d) crashed: signal %d at address %#lx; "
			    "restarting it (on_crash: restart)",
			    flexos__comp_name(c), cs->pid, WTERMSIG(cs->exit_status),
			    (unsigned long)cs->fault_addr);
	}
	/* Before the gen bump: the caller's gate returns only after it. */
	if (flexos__proc_checkpoint_restore(c))
		flexos__say("compartment '%s': its memory is put back as it was before the "
			    "checkpointed call the crash interrupted",
			    flexos__comp_name(c));
	__atomic_add_fetch(&cs->gen, 1, __ATOMIC_SEQ_CST);
	for (unsigned i = 0; i < FLEXOS__PROC_MAX_LT; i++) {
		__atomic_store_n(&flexos__lane_of(i, (unsigned)c)->word, LANE_IDLE,
				 __ATOMIC_RELEASE);
		__atomic_store_n(&ctl->chains[i].server[c], SRV_NONE, __ATOMIC_RELEASE);
	}
	cs->restarts++;
	poke_all();
	__atomic_store_n(&cs->fault_sig, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&cs->stopped_sig, 0, __ATOMIC_RELEASE);
	if (spawn(c) < 0) {
		ctl->fault_comp = c;
		__atomic_store_n(&ctl->end, END_FAULT, __ATOMIC_RELEASE);
		poke_all();
	}
}

/* The state letter of /proc/PID/stat ('T': stopped), or 0. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512];

	flexos__format(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* "pid (comm) S ...": comm may hold anything but ends at the last ')'. */
	char *p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* Whether pid stays stopped for about ms milliseconds. */
static int stays_stopped(pid_t pid, unsigned ms)
{
	for (unsigned i = 0; i < ms / 10; i++) {
		char st = proc_state(pid);
		if (st != 'T' && st != 't')
			return 0;
		usleep(10000);
	}
	return 1;
}

/*
 * A stopped compartment would hold its callers forever: unless the whole
 * image is stopped (job control: main too) or it continues within a
 * second, it is killed, and its death is handled as a crash (a report,
 * or a restart).
 */
static void stopped_child(pid_t pid, int sig, pid_t main_pid)
{
	struct flexos__control *ctl = flexos__proc_ctl;
	int c = -1;

	for (uint32_t k = 0; k < rt->image->ncompartments; k++)
		if (child_pid[k] == pid)
			c = (int)k;
	if (c < 0 || shutting_down || !stays_stopped(pid, 1000) || proc_state(main_pid) == 'T')
		return;
	__atomic_store_n(&ctl->comp[c].stopped_sig, sig, __ATOMIC_RELEASE);
	kill(pid, SIGKILL);
}

/* The supervisor: forks the compartments and watches them. Never returns. */
static void supervise(pid_t main_pid) __attribute__((__noreturn__));
static void supervise(pid_t main_pid)
{
	struct flexos__control *ctl = flexos__proc_ctl;
	const struct flexos_image *img = rt->image;

	set_death_signal(main_pid);
	prctl(PR_SET_NAME, "fx:supervisor");
	zygote_self = getpid();
	/* No SA_RESTART: waitpid returns, and the loop kills what a restart forked meanwhile. */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_shutdown;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	for (uint32_t c = 0; c < img->ncompartments; c++)
		if (!is_default((int)c) && spawn((int)c) < 0) {
			ctl->fault_comp = (int)c;
			__atomic_store_n(&ctl->end, END_FAULT, __ATOMIC_RELEASE);
			poke_all();
		}
	for (;;) {
		int st;
		/*
		 * SIGUSR1 may have come while a restart forked: that child
		 * was not in child_pid yet. child_pid holds live children
		 * only (a reaped one is cleared below), so killing again
		 * never hits a recycled pid.
		 */
		if (shutting_down)
			on_shutdown(SIGUSR1);
		/*
		 * The compartments of images forked from this one are children
		 * too (fork.c): they live on with their own main, unwaited.
		 */
		int known = 0;
		for (uint32_t k = 0; k < img->ncompartments; k++)
			known |= child_pid[k] > 0;
		if (!known && (shutting_down || __atomic_load_n(&ctl->shutdown, __ATOMIC_ACQUIRE)))
			_exit(0);
		pid_t pid = waitpid(-1, &st, WUNTRACED);
		if (pid > 0 && WIFSTOPPED(st)) {
			stopped_child(pid, WSTOPSIG(st), main_pid);
			continue;
		}
		if (pid < 0) {
			if (errno == ECHILD &&
			    (shutting_down || __atomic_load_n(&ctl->shutdown, __ATOMIC_ACQUIRE)))
				_exit(0);
			if (errno == ECHILD)
				usleep(1000);
			continue;
		}
		int c = -1;
		for (uint32_t k = 0; k < img->ncompartments; k++)
			if (child_pid[k] == pid)
				c = (int)k;
		if (c >= 0)
			child_pid[c] = 0;
		if (c < 0 || shutting_down || __atomic_load_n(&ctl->shutdown, __ATOMIC_ACQUIRE) ||
		    __atomic_load_n(&ctl->end, __ATOMIC_ACQUIRE))
			continue;
		ctl->comp[c].exit_status = st;
		if (WIFEXITED(st)) {
			/* exit() in a compartment ends the image with its status. */
			ctl->exit_status = WEXITSTATUS(st);
			__atomic_store_n(&ctl->end, END_EXIT, __ATOMIC_RELEASE);
			poke_all();
		} else if (img->compartments[c].flags & FLEXOS_COMP_RESTART) {
			restart(c);
		} else {
			ctl->fault_comp = c;
			ctl->fault_status = st;
			__atomic_store_n(&ctl->end, END_FAULT, __ATOMIC_RELEASE);
			poke_all();
		}
	}
}

/* ---- the backend -------------------------------------------------------- */

static int process_init(const struct flexos_runtime *runtime)
{
	const struct flexos_image *img = runtime->image;
	const char *s;
	int err;

	rt = runtime;
	page_size = sysconf(_SC_PAGESIZE);
	/* This backend is linked into the executable: its code names it. */
	if (!dladdr((void *)(uintptr_t)process_init, &image_info))
		memset(&image_info, 0, sizeof(image_info));
	dl_iterate_phdr(find_image_end, NULL);
	flexos__proc_self = (int)img->default_id;
	flexos__set_process_compartment(flexos__proc_self);
	flexos__proc_ncpu = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	if ((s = getenv("FLEXOS_SPIN")) && *s)
		flexos__proc_spin = (unsigned)strtoul(s, NULL, 0);
	flexos__proc_check_pointers = (s = getenv("FLEXOS_CHECK_POINTERS")) && *s == '1';

	if ((err = share_section(&img->shared))) {
		flexos__say("cannot map the shared section: %s", flexos__strerror(-err));
		return err;
	}
	/*
	 * A sandbox's data and bss are mapped shared too, so that its host
	 * sees what the sandbox's process writes there (its heap is shared
	 * from the start, see src/runtime/start.c).
	 */
	for (uint32_t id = 0; id < img->ncompartments; id++) {
		const struct flexos_compartment *c = &img->compartments[id];
		if (!(c->flags & FLEXOS_COMP_SANDBOX))
			continue;
		if ((err = share_section(&c->regions[FLEXOS_REGION_DATA])) ||
		    (err = share_section(&c->regions[FLEXOS_REGION_BSS]))) {
			flexos__say("cannot share the memory of sandbox '%s' with its host: %s",
				    c->name, flexos__strerror(-err));
			return err;
		}
	}
	if ((err = flexos__proc_entry_init(img))) {
		flexos__say("cannot index the gate targets: %s", flexos__strerror(-err));
		return err;
	}
	/*
	 * Before any fork: the shared libraries' destructors run at exit in
	 * their compartments' processes (flexos__before_exit), on the data
	 * the compartment wrote, not by _dl_fini here on this process's
	 * stale copy of it.
	 */
	if ((err = flexos__shlib_take_fini()))
		return err;
	if ((err = map_control(img->ncompartments))) {
		flexos__say("cannot map the control block: %s", flexos__strerror(-err));
		return err;
	}
	void *p = mmap(NULL, (size_t)img->ncompartments * STACK_SLOTS * STACK_SLOT_SIZE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		err = -errno;
		flexos__say("cannot reserve the compartments' stacks: %s", flexos__strerror(-err));
		return err;
	}
	stack_area = (uintptr_t)p;
	/*
	 * Before any fork, so that every process made later shares them;
	 * last, so that under a tight ulimit -v only fork() goes without.
	 */
	flexos__proc_fork_init(runtime);
	if ((err = flexos__proc_checkpoint_init(runtime))) {
		flexos__say("cannot reserve the checkpoints of the sandboxes: %s",
			    flexos__strerror(-err));
		return err;
	}
	return 0;
}

static int process_run_main(int (*main_fn)(int, char **, char **), int argc, char **argv,
			    char **envp)
{
	struct flexos__control *ctl = flexos__proc_ctl;
	const struct flexos_image *img = rt->image;
	uintptr_t lo, hi;

	/*
	 * main's frames go below this one; compartments must not see them,
	 * down to where the stack may grow (RLIMIT_STACK, at most 256 MiB).
	 */
	struct rlimit rl;
	uintptr_t max = 256UL << 20;
	find_main_stack(&lo, &hi);
	if (!getrlimit(RLIMIT_STACK, &rl) && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < max)
		max = rl.rlim_cur;
	uintptr_t here = (uintptr_t)__builtin_frame_address(0);
	main_stack_hi = here & ~((uintptr_t)page_size - 1);
	/* Pushes main's frames below that page boundary. */
	void *gap = __builtin_alloca(here - main_stack_hi + 256);
	__asm__ volatile("" : : "r"(gap) : "memory");
	main_stack_lo = hi > max ? ((hi - max) & ~((uintptr_t)page_size - 1)) : 0;
	if (!hi || main_stack_hi < lo || main_stack_hi > hi || main_stack_lo >= main_stack_hi)
		main_stack_lo = main_stack_hi = 0;

	/*
	 * A compartment allowed to open files must not open /proc/<pid>/mem
	 * of main or of the supervisor (a pristine copy of main, forked
	 * below, that inherits this): the same user may, while a process is
	 * dumpable. The price: no core dump of main, and a debugger must
	 * start the image rather than attach to it.
	 */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		flexos__die(FLEXOS_EXIT_SETUP, "cannot make the image non-dumpable: %s",
			    flexos__strerror(errno));
	/* The children must not inherit output and print it again. */
	fflush(stdout);
	fflush(stderr);
	ctl->main_pid = getpid();
	flexos__proc_started = 1;
	pid_t pid = fork();
	if (pid < 0)
		flexos__die(FLEXOS_EXIT_SETUP, "the process backend cannot fork: %s",
			    flexos__strerror(errno));
	if (pid == 0)
		supervise(ctl->main_pid);
	ctl->zygote_pid = pid;
	supervisor_pid = pid;
	ctl->comp[img->default_id].pid = ctl->main_pid;
	atexit(at_exit);
	flexos__proc_fork_register();
	install_fault_handlers(1);
	flexos__proc_checkpoint_keep((int)img->default_id);
	if (protect_others((int)img->default_id))
		flexos__die(FLEXOS_EXIT_SETUP, "cannot protect the compartments: %s",
			    flexos__strerror(errno));
	int err = flexos__proc_start_dispatcher();
	if (err)
		flexos__die(FLEXOS_EXIT_SETUP, "cannot start the dispatcher: %s",
			    flexos__strerror(-err));
	return main_fn(argc, argv, envp);
}

static int process_current(void)
{
	return flexos__proc_self;
}

const struct flexos_backend flexos__backend = {
	.mechanism = FLEXOS_MECH_PROCESS,
	.init = process_init,
	.run_main = process_run_main,
	.current = process_current,
	.gate_newlib = flexos__backend_gate_newlib,
};
