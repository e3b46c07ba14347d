/*
 * The system-call glue of a newlib compartment (libflexos-newlib.a).
 *
 * newlib, configured with --disable-newlib-supplied-syscalls, calls the
 * system under plain names (read, sbrk, _exit...). This file defines them
 * with raw system calls, compiled against newlib's headers: it is linked
 * into the compartment's partial link, which must not bind to glibc.
 * newlib's constants and structures are not the kernel's, so every call
 * translates: open flags, errno values, signal numbers, clock ids, struct
 * stat. errno is newlib's (this compartment's own).
 *
 * newlib as built here has no locks: one thread at a time may run in a
 * newlib compartment.
 */
#include <errno.h>
#include <fcntl.h>
#include <reent.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "glue.h"
#include "linux.h"

static void glue_fini(void);
static int *glue_errno_location(void);

/*
 * Weak: the definition of newlib's stack_protector.o or of the hardening
 * runtime wins, and this one serves a compartment without either, so that
 * stack_guard always points at the canary the compartment's code reads.
 * The terminator canary until the runtime writes a random one.
 */
__attribute__((weak)) uintptr_t __stack_chk_guard = 0xff0a0000u;

struct flexos_newlib_glue flexos__newlib_glue = {
    .magic = FLEXOS_NEWLIB_GLUE_MAGIC,
    .version = FLEXOS_NEWLIB_GLUE_VERSION,
    .compartment = -1,
    .fini = glue_fini,
    .errno_location = glue_errno_location,
    .stack_guard = &__stack_chk_guard,
};

/* What newlib's exit() does before _exit: flush every stream, if stdio ran. */
static void glue_fini(void)
{
	struct _reent *r = _GLOBAL_REENT;

	if (r->__cleanup)
		r->__cleanup(r);
}

static int *glue_errno_location(void)
{
	return &errno;
}

static int errno_from_linux(long e)
{
	switch (e) {
#define X(name, value) \
	case value:    \
		return name;
		LINUX_ERRNO_MAP(X)
#undef X
	}
	/* A Linux error newlib has no name for (EUCLEAN, ENOKEY...). */
	return EIO;
}

/* A system call's result, or -1 with errno set. */
static long ret(long r)
{
	if ((unsigned long)r > -4096UL) {
		errno = errno_from_linux(-r);
		return -1;
	}
	return r;
}

static long fail(int e)
{
	errno = e;
	return -1;
}

static int signal_to_linux(int sig)
{
	switch (sig) {
	case 0:
		return 0;
#define X(name, value) \
	case name:     \
		return value;
		LINUX_SIGNAL_MAP(X)
#undef X
	}
	return -1;
}

static int signal_from_linux(int sig)
{
	switch (sig) {
#define X(name, value) \
	case value:    \
		return name;
		LINUX_SIGNAL_MAP(X)
#undef X
	}
	return -1;
}

/* newlib's open flags to Linux's and back; unknown flags are refused. */
static const struct {
	int newlib, kernel;
} open_flags[] = {
    {O_CREAT, LINUX_O_CREAT},       {O_EXCL, LINUX_O_EXCL},       {O_NOCTTY, LINUX_O_NOCTTY},
    {O_TRUNC, LINUX_O_TRUNC},       {O_APPEND, LINUX_O_APPEND},   {O_NONBLOCK, LINUX_O_NONBLOCK},
    {O_SYNC, LINUX_O_SYNC},         {O_DIRECT, LINUX_O_DIRECT},   {O_DIRECTORY, LINUX_O_DIRECTORY},
    {O_NOFOLLOW, LINUX_O_NOFOLLOW}, {O_CLOEXEC, LINUX_O_CLOEXEC},
};
#define NOPEN_FLAGS (sizeof(open_flags) / sizeof(open_flags[0]))

static long open_flags_to_linux(int flags)
{
	long out = flags & O_ACCMODE; /* 0, 1, 2 on both */
	int left = flags & ~O_ACCMODE;

	for (size_t i = 0; i < NOPEN_FLAGS; i++)
		if ((left & open_flags[i].newlib) == open_flags[i].newlib) {
			out |= open_flags[i].kernel;
			left &= ~open_flags[i].newlib;
		}
	return left ? -1 : out;
}

static int open_flags_from_linux(long flags)
{
	int out = (int)(flags & LINUX_O_ACCMODE);

	for (size_t i = 0; i < NOPEN_FLAGS; i++)
		if ((flags & open_flags[i].kernel) == open_flags[i].kernel)
			out |= open_flags[i].newlib;
	return out;
}

static void stat_from_linux(struct stat *st, const struct linux_stat *k)
{
	*st = (struct stat){
	    .st_dev = (dev_t)k->st_dev,
	    .st_ino = (ino_t)k->st_ino,
	    .st_mode = (mode_t)k->st_mode, /* S_IF* and permission bits agree */
	    .st_nlink = (nlink_t)k->st_nlink,
	    .st_uid = (uid_t)k->st_uid,
	    .st_gid = (gid_t)k->st_gid,
	    .st_rdev = (dev_t)k->st_rdev,
	    .st_size = (off_t)k->st_size,
	    .st_atim = {(time_t)k->st_atime_sec, (long)k->st_atime_nsec},
	    .st_mtim = {(time_t)k->st_mtime_sec, (long)k->st_mtime_nsec},
	    .st_ctim = {(time_t)k->st_ctime_sec, (long)k->st_ctime_nsec},
	    .st_blksize = (blksize_t)k->st_blksize,
	    .st_blocks = (blkcnt_t)k->st_blocks,
	};
}

/* Memory: newlib's malloc grows with sbrk, inside the compartment's heap. */

void *sbrk(ptrdiff_t incr)
{
	struct flexos_newlib_glue *g = &flexos__newlib_glue;

	if (!g->brk) {
		/* No runtime attached a heap: map one (see glue.h). */
		long p = linux_syscall6(
		    LINUX_SYS_mmap, 0, FLEXOS_NEWLIB_STANDALONE_HEAP,
		    LINUX_PROT_READ | LINUX_PROT_WRITE,
		    LINUX_MAP_PRIVATE | LINUX_MAP_ANONYMOUS | LINUX_MAP_NORESERVE, -1, 0);
		if (ret(p) == -1)
			return (void *)-1;
		g->heap_start = g->brk = (uintptr_t)p;
		g->heap_end = g->heap_start + FLEXOS_NEWLIB_STANDALONE_HEAP;
	}
	uintptr_t old = g->brk;
	if (incr > 0 ? (uintptr_t)incr > g->heap_end - old : (uintptr_t)-incr > old - g->heap_start)
		return (void *)fail(ENOMEM);
	g->brk = old + (uintptr_t)incr;
	return (void *)old;
}

/* Files. */

int open(const char *path, int flags, ...)
{
	long lflags = open_flags_to_linux(flags);
	mode_t mode = 0;

	if (flags & O_CREAT) {
		va_list ap;
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (lflags < 0)
		return (int)fail(EINVAL);
	return (int)ret(linux_syscall3(LINUX_SYS_open, path, lflags, mode));
}

int close(int fd)
{
	return (int)ret(linux_syscall1(LINUX_SYS_close, fd));
}

_READ_WRITE_RETURN_TYPE read(int fd, void *buf, size_t n)
{
	return ret(linux_syscall3(LINUX_SYS_read, fd, buf, n));
}

_READ_WRITE_RETURN_TYPE write(int fd, const void *buf, size_t n)
{
	return ret(linux_syscall3(LINUX_SYS_write, fd, buf, n));
}

off_t lseek(int fd, off_t off, int whence)
{
	/* SEEK_SET, SEEK_CUR, SEEK_END are 0, 1, 2 on both. */
	return ret(linux_syscall3(LINUX_SYS_lseek, fd, off, whence));
}

int fstat(int fd, struct stat *st)
{
	struct linux_stat k;
	long r = ret(linux_syscall2(LINUX_SYS_fstat, fd, &k));

	if (r == 0)
		stat_from_linux(st, &k);
	return (int)r;
}

int stat(const char *restrict path, struct stat *restrict st)
{
	struct linux_stat k;
	long r = ret(linux_syscall2(LINUX_SYS_stat, path, &k));

	if (r == 0)
		stat_from_linux(st, &k);
	return (int)r;
}

int isatty(int fd)
{
	unsigned char termios[64]; /* the kernel's struct termios is 36 bytes */

	if (ret(linux_syscall3(LINUX_SYS_ioctl, fd, LINUX_TCGETS, termios)) == -1) {
		if (errno != EBADF)
			errno = ENOTTY;
		return 0;
	}
	return 1;
}

int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);

	/* F_DUPFD..F_SETFL are 0..4 and FD_CLOEXEC is 1 on both. */
	switch (cmd) {
	case F_DUPFD:
	case F_GETFD:
	case F_SETFD:
		return (int)ret(linux_syscall3(LINUX_SYS_fcntl, fd, cmd, arg));
	case F_GETFL: {
		long r = ret(linux_syscall2(LINUX_SYS_fcntl, fd, cmd));
		return r == -1 ? -1 : open_flags_from_linux(r);
	}
	case F_SETFL: {
		long lflags = open_flags_to_linux((int)arg);
		if (lflags < 0)
			return (int)fail(EINVAL);
		return (int)ret(linux_syscall3(LINUX_SYS_fcntl, fd, cmd, lflags));
	}
	}
	return (int)fail(EINVAL);
}

int unlink(const char *path)
{
	return (int)ret(linux_syscall1(LINUX_SYS_unlink, path));
}

int link(const char *from, const char *to)
{
	return (int)ret(linux_syscall2(LINUX_SYS_link, from, to));
}

int mkdir(const char *path, mode_t mode)
{
	return (int)ret(linux_syscall2(LINUX_SYS_mkdir, path, mode));
}

int rmdir(const char *path)
{
	return (int)ret(linux_syscall1(LINUX_SYS_rmdir, path));
}

int access(const char *path, int mode)
{
	/* F_OK, R_OK, W_OK, X_OK are 0, 4, 2, 1 on both. */
	return (int)ret(linux_syscall2(LINUX_SYS_access, path, mode));
}

int dup(int fd)
{
	return (int)ret(linux_syscall1(LINUX_SYS_dup, fd));
}

int dup2(int fd, int to)
{
	return (int)ret(linux_syscall2(LINUX_SYS_dup2, fd, to));
}

int fsync(int fd)
{
	return (int)ret(linux_syscall1(LINUX_SYS_fsync, fd));
}

int ftruncate(int fd, off_t len)
{
	return (int)ret(linux_syscall2(LINUX_SYS_ftruncate, fd, len));
}

int chdir(const char *path)
{
	return (int)ret(linux_syscall1(LINUX_SYS_chdir, path));
}

char *getcwd(char *buf, size_t size)
{
	if (!buf)
		return (char *)(uintptr_t)fail(EINVAL); /* no allocating getcwd(NULL, 0) */
	return ret(linux_syscall2(LINUX_SYS_getcwd, buf, size)) == -1 ? NULL : buf;
}

/* Processes and signals. */

pid_t getpid(void)
{
	return (pid_t)linux_syscall0(LINUX_SYS_getpid);
}

pid_t getppid(void)
{
	return (pid_t)linux_syscall0(LINUX_SYS_getppid);
}

int kill(pid_t pid, int sig)
{
	int lsig = signal_to_linux(sig);

	if (lsig < 0)
		return (int)fail(EINVAL);
	return (int)ret(linux_syscall2(LINUX_SYS_kill, pid, lsig));
}

void _exit(int status)
{
	/* The whole image ends, as with glibc's _exit. */
	for (;;)
		linux_syscall1(LINUX_SYS_exit_group, status);
}

int sigprocmask(int how, const sigset_t *restrict set, sigset_t *restrict old)
{
	unsigned long lset = 0, lold = 0;
	int lhow;

	switch (how) {
	case SIG_BLOCK:
		lhow = LINUX_SIG_BLOCK;
		break;
	case SIG_UNBLOCK:
		lhow = LINUX_SIG_UNBLOCK;
		break;
	case SIG_SETMASK:
		lhow = LINUX_SIG_SETMASK;
		break;
	default:
		return (int)fail(EINVAL);
	}
	if (set)
		for (int sig = 1; sig < NSIG; sig++) {
			int lsig = signal_to_linux(sig);
			if (lsig > 0 && (*set & (1UL << (sig - 1))))
				lset |= 1UL << (lsig - 1);
		}
	if (ret(linux_syscall4(LINUX_SYS_rt_sigprocmask, lhow, set ? &lset : NULL, &lold,
			       sizeof(lset))) == -1)
		return -1;
	if (old) {
		*old = 0;
		for (int lsig = 1; lsig <= 64; lsig++) {
			int sig = signal_from_linux(lsig);
			if (sig > 0 && (lold & (1UL << (lsig - 1))))
				*old |= 1UL << (sig - 1);
		}
	}
	return 0;
}

/*
 * A compartment cannot make processes: a fork would copy the whole image
 * behind the runtime's back.
 */
pid_t fork(void)
{
	return (int)fail(ENOSYS);
}

int execve(const char *path, char *const argv[], char *const envp[])
{
	return (int)fail(ENOSYS);
}

pid_t wait(int *status)
{
	return (int)fail(ENOSYS);
}

/* Time. */

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	/* newlib's struct timeval is the kernel's: 64-bit seconds, long usec. */
	return (int)ret(linux_syscall2(LINUX_SYS_gettimeofday, tv, tz));
}

/*
 * newlib's clock ids (its time.h). It declares clock_gettime and names
 * most clocks only where _POSIX_TIMERS and friends are set, which they are
 * not for this target; code that declares clock_gettime itself gets it.
 */
#define NEWLIB_CLOCK_REALTIME_COARSE    0
#define NEWLIB_CLOCK_REALTIME           1
#define NEWLIB_CLOCK_PROCESS_CPUTIME_ID 2
#define NEWLIB_CLOCK_THREAD_CPUTIME_ID  3
#define NEWLIB_CLOCK_MONOTONIC          4
#define NEWLIB_CLOCK_MONOTONIC_RAW      5
#define NEWLIB_CLOCK_MONOTONIC_COARSE   6
_Static_assert(CLOCK_REALTIME == NEWLIB_CLOCK_REALTIME, "newlib's clock ids");

int clock_gettime(clockid_t id, struct timespec *ts);

static int clock_to_linux(clockid_t id)
{
	switch (id) {
	case NEWLIB_CLOCK_REALTIME:
		return LINUX_CLOCK_REALTIME;
	case NEWLIB_CLOCK_MONOTONIC:
		return LINUX_CLOCK_MONOTONIC;
	case NEWLIB_CLOCK_PROCESS_CPUTIME_ID:
		return LINUX_CLOCK_PROCESS_CPUTIME_ID;
	case NEWLIB_CLOCK_THREAD_CPUTIME_ID:
		return LINUX_CLOCK_THREAD_CPUTIME_ID;
	case NEWLIB_CLOCK_MONOTONIC_RAW:
		return LINUX_CLOCK_MONOTONIC_RAW;
	case NEWLIB_CLOCK_REALTIME_COARSE:
		return LINUX_CLOCK_REALTIME_COARSE;
	case NEWLIB_CLOCK_MONOTONIC_COARSE:
		return LINUX_CLOCK_MONOTONIC_COARSE;
	}
	return -1;
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
	int lid = clock_to_linux(id);

	if (lid < 0)
		return (int)fail(EINVAL);
	return (int)ret(linux_syscall2(LINUX_SYS_clock_gettime, lid, ts));
}

int nanosleep(const struct timespec *req, struct timespec *rem);

int nanosleep(const struct timespec *req, struct timespec *rem)
{
	return (int)ret(linux_syscall2(LINUX_SYS_nanosleep, req, rem));
}

/* newlib's clock() divides times() by CLOCKS_PER_SEC: scale the ticks. */
clock_t times(struct tms *buf)
{
	struct {
		long utime, stime, cutime, cstime;
	} k;
	long r = ret(linux_syscall1(LINUX_SYS_times, &k));
	const long scale = CLOCKS_PER_SEC / LINUX_USER_HZ;

	_Static_assert(CLOCKS_PER_SEC % LINUX_USER_HZ == 0, "CLOCKS_PER_SEC");
	if (r == -1)
		return (clock_t)-1;
	if (buf)
		*buf = (struct tms){
		    .tms_utime = (clock_t)(k.utime * scale),
		    .tms_stime = (clock_t)(k.stime * scale),
		    .tms_cutime = (clock_t)(k.cutime * scale),
		    .tms_cstime = (clock_t)(k.cstime * scale),
		};
	return (clock_t)(r * scale);
}

/* Randomness, for arc4random. */

int getentropy(void *buf, size_t len)
{
	unsigned char *p = buf;

	if (len > 256)
		return (int)fail(EIO);
	while (len) {
		long r = ret(linux_syscall3(LINUX_SYS_getrandom, p, len, 0));
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}
