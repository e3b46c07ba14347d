/*
 * The system-call policy of a compartment process: a seccomp-bpf filter,
 * built with libseccomp and installed, with no_new_privs, before the
 * process runs any code of its libraries. It is inherited by every thread
 * the process makes afterwards and cannot be lifted.
 *
 * The default allows what a library that computes needs: memory
 * management, threads of its own process, futexes, clocks, signals sent
 * to itself, and I/O on descriptors it already holds. flexos.yaml widens
 * it per compartment ('syscalls:', docs/config.md); the calls that reach
 * into other processes are never allowed. A denied call raises SIGSYS
 * (the fault handler records the call, and the compartment's on_crash
 * policy applies) or, with 'syscalls_denied: errno', fails with EPERM.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"
#include "process.h"

/* What every compartment may do. */
static const int default_allowed[] = {
	/* memory of its own process */
	SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mprotect), SCMP_SYS(mremap),
	SCMP_SYS(madvise), SCMP_SYS(msync), SCMP_SYS(mincore), SCMP_SYS(membarrier),
	/* threads, synchronisation, the thread's own state */
	SCMP_SYS(futex), SCMP_SYS(set_robust_list), SCMP_SYS(get_robust_list), SCMP_SYS(rseq),
	SCMP_SYS(set_tid_address), SCMP_SYS(gettid), SCMP_SYS(getpid), SCMP_SYS(getppid),
	SCMP_SYS(sched_yield), SCMP_SYS(sched_getaffinity), SCMP_SYS(arch_prctl),
	SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(pause), SCMP_SYS(restart_syscall),
	/* time */
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(nanosleep), SCMP_SYS(gettimeofday), SCMP_SYS(time), SCMP_SYS(times),
	SCMP_SYS(getrusage),
	/* signals, delivered within the process */
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(sigaltstack), SCMP_SYS(rt_sigpending), SCMP_SYS(rt_sigtimedwait),
	SCMP_SYS(rt_sigsuspend),
	/* descriptors it holds (the application's, inherited at fork) */
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(pread64),
	SCMP_SYS(pwrite64), SCMP_SYS(lseek), SCMP_SYS(fstat), SCMP_SYS(close), SCMP_SYS(dup),
	SCMP_SYS(dup3), SCMP_SYS(fcntl), SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(fsync),
	SCMP_SYS(fdatasync), SCMP_SYS(getrandom), SCMP_SYS(uname), SCMP_SYS(getuid),
	SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid), SCMP_SYS(prlimit64),
	SCMP_SYS(getrlimit),
	/* waiting on its own descriptors: the scheduler's idle loop */
	SCMP_SYS(epoll_create1), SCMP_SYS(epoll_ctl), SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait),
	SCMP_SYS(epoll_pwait2),
	SCMP_SYS(eventfd2), SCMP_SYS(timerfd_create), SCMP_SYS(timerfd_settime),
	SCMP_SYS(timerfd_gettime),
};

/*
 * Adds one rule; libseccomp returns -errno. A call the config allows
 * outright that the default allows with conditions (ioctl, say) is simply
 * allowed: -EEXIST is not an error.
 */
static int allow(scmp_filter_ctx f, int nr, unsigned n, const struct scmp_arg_cmp *args)
{
	int err = seccomp_rule_add_array(f, SCMP_ACT_ALLOW, nr, n, args);
	return err == -EEXIST ? 0 : err;
}

static int add_default_rules(scmp_filter_ctx f)
{
	int err = 0;
	pid_t self = getpid();

	for (size_t i = 0; i < sizeof(default_allowed) / sizeof(default_allowed[0]) && !err; i++)
		err = allow(f, default_allowed[i], 0, NULL);
	if (err)
		return err;
	/*
	 * Threads of this process only: glibc tries clone3 first and falls
	 * back to clone, whose flags a filter can see (clone3's are in memory).
	 */
	struct scmp_arg_cmp thread = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD);
	/*
	 * A copy of itself for a child of fork() (fork.c), made with
	 * CLONE_PARENT, which the C library's fork() never uses: a library
	 * calling fork() is still denied. The copy runs under this filter.
	 */
	struct scmp_arg_cmp sibling = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_PARENT, CLONE_PARENT);
	if ((err = allow(f, SCMP_SYS(clone), 1, &thread)) ||
	    (err = allow(f, SCMP_SYS(clone), 1, &sibling)) ||
	    (err = seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0)))
		return err;
	/* Signals to itself (raise, abort), never to another process. */
	struct scmp_arg_cmp me = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)self);
	if ((err = allow(f, SCMP_SYS(kill), 1, &me)) || (err = allow(f, SCMP_SYS(tgkill), 1, &me)))
		return err;
	/* stdio asks whether a descriptor is a terminal; nothing else of ioctl. */
	struct scmp_arg_cmp tcgets = SCMP_A1(SCMP_CMP_EQ, TCGETS);
	if ((err = allow(f, SCMP_SYS(ioctl), 1, &tcgets)))
		return err;
	/* glibc's fstat is newfstatat(fd, "", buf, AT_EMPTY_PATH). */
	struct scmp_arg_cmp empty = SCMP_A3(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, AT_EMPTY_PATH);
	if ((err = allow(f, SCMP_SYS(newfstatat), 1, &empty)))
		return err;
	/* The runtime's own thread set-up: the death signal, a thread's name. */
	struct scmp_arg_cmp pdeath = SCMP_A0(SCMP_CMP_EQ, PR_SET_PDEATHSIG);
	struct scmp_arg_cmp name = SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME);
	if ((err = allow(f, SCMP_SYS(prctl), 1, &pdeath)) ||
	    (err = allow(f, SCMP_SYS(prctl), 1, &name)))
		return err;
	return 0;
}

/*
 * Drops every capability, so that a compartment of an image run as root
 * is no stronger than one run by a user: no CAP_SYS_PTRACE, no
 * CAP_DAC_OVERRIDE for the files its policy lets it open.
 */
static int drop_capabilities(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL && errno != EPERM)
			return -errno;
	return syscall(SYS_capset, &h, d) ? -errno : 0;
}

int flexos__proc_confine(int id)
{
	const struct flexos_compartment *c = &flexos__runtime()->image->compartments[id];
	int err;

	/* No ptrace, no /proc/<pid>/mem of it, no core dump of its memory. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	if ((err = drop_capabilities()))
		return err;
	if (c->flags & FLEXOS_COMP_SYSCALLS_ALL)
		return 0;

	uint32_t deny = c->flags & FLEXOS_COMP_SYSCALLS_ERRNO ? SCMP_ACT_ERRNO(EPERM) : SCMP_ACT_TRAP;
	scmp_filter_ctx f = seccomp_init(deny);
	if (!f)
		return -ENOMEM;
	/*
	 * A binary tree of syscall numbers rather than a list: every system
	 * call of the compartment pays the filter (lwIP's make many).
	 */
	err = seccomp_attr_set(f, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (!err)
		err = add_default_rules(f);
	/* flexos-link refuses these by name; a table that lists them anyway is not obeyed. */
	for (const uint32_t *nr = c->syscalls; nr && *nr != FLEXOS_SYSCALLS_END && !err; nr++)
		if (!flexos__syscall_remote((int)*nr))
			err = allow(f, (int)*nr, 0, NULL);
	if (!err)
		err = seccomp_load(f);
	seccomp_release(f);
	return err;
}
