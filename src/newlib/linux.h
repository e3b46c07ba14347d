/*
 * This file is private to the newlib glue (glue.c): the Linux x86-64
 * system-call ABI, spelled out because the glue is compiled against
 * newlib's headers, whose constants (errno values, open flags, signal
 * numbers, clock ids) and structures (struct stat) are not the kernel's.
 * The syscall instruction is issued inline: the glue is linked into a
 * compartment that must not bind to glibc.
 */
#ifndef FLEXOS_NEWLIB_LINUX_H
#define FLEXOS_NEWLIB_LINUX_H

/* System-call numbers (asm/unistd_64.h). */
#define LINUX_SYS_read           0
#define LINUX_SYS_write          1
#define LINUX_SYS_open           2
#define LINUX_SYS_close          3
#define LINUX_SYS_stat           4
#define LINUX_SYS_fstat          5
#define LINUX_SYS_lstat          6
#define LINUX_SYS_lseek          8
#define LINUX_SYS_mmap           9
#define LINUX_SYS_rt_sigprocmask 14
#define LINUX_SYS_ioctl          16
#define LINUX_SYS_access         21
#define LINUX_SYS_dup            32
#define LINUX_SYS_dup2           33
#define LINUX_SYS_nanosleep      35
#define LINUX_SYS_getpid         39
#define LINUX_SYS_kill           62
#define LINUX_SYS_fcntl          72
#define LINUX_SYS_fsync          74
#define LINUX_SYS_ftruncate      77
#define LINUX_SYS_getcwd         79
#define LINUX_SYS_chdir          80
#define LINUX_SYS_rename         82
#define LINUX_SYS_mkdir          83
#define LINUX_SYS_rmdir          84
#define LINUX_SYS_link           86
#define LINUX_SYS_unlink         87
#define LINUX_SYS_gettimeofday   96
#define LINUX_SYS_times          100
#define LINUX_SYS_getppid        110
#define LINUX_SYS_clock_gettime  228
#define LINUX_SYS_exit_group     231
#define LINUX_SYS_getrandom      318

#define LINUX_PROT_READ     0x1
#define LINUX_PROT_WRITE    0x2
#define LINUX_MAP_PRIVATE   0x02
#define LINUX_MAP_ANONYMOUS 0x20
#define LINUX_MAP_NORESERVE 0x4000

#define LINUX_TCGETS 0x5401

/* open(2) flags (asm-generic/fcntl.h). */
#define LINUX_O_ACCMODE   00000003
#define LINUX_O_CREAT     00000100
#define LINUX_O_EXCL      00000200
#define LINUX_O_NOCTTY    00000400
#define LINUX_O_TRUNC     00001000
#define LINUX_O_APPEND    00002000
#define LINUX_O_NONBLOCK  00004000
#define LINUX_O_DSYNC     00010000
#define LINUX_O_DIRECT    00040000
#define LINUX_O_DIRECTORY 00200000
#define LINUX_O_NOFOLLOW  00400000
#define LINUX_O_CLOEXEC   02000000
#define LINUX_O_SYNC      04010000

#define LINUX_SIG_BLOCK   0
#define LINUX_SIG_UNBLOCK 1
#define LINUX_SIG_SETMASK 2

#define LINUX_CLOCK_REALTIME           0
#define LINUX_CLOCK_MONOTONIC          1
#define LINUX_CLOCK_PROCESS_CPUTIME_ID 2
#define LINUX_CLOCK_THREAD_CPUTIME_ID  3
#define LINUX_CLOCK_MONOTONIC_RAW      4
#define LINUX_CLOCK_REALTIME_COARSE    5
#define LINUX_CLOCK_MONOTONIC_COARSE   6

/* times(2) counts in USER_HZ ticks, 100 a second on x86-64. */
#define LINUX_USER_HZ 100

/* The kernel's struct stat on x86-64 (asm/stat.h). */
struct linux_stat {
	unsigned long st_dev;
	unsigned long st_ino;
	unsigned long st_nlink;
	unsigned int st_mode;
	unsigned int st_uid;
	unsigned int st_gid;
	unsigned int pad0;
	unsigned long st_rdev;
	long st_size;
	long st_blksize;
	long st_blocks;
	unsigned long st_atime_sec, st_atime_nsec;
	unsigned long st_mtime_sec, st_mtime_nsec;
	unsigned long st_ctime_sec, st_ctime_nsec;
	long unused[3];
};
_Static_assert(sizeof(struct linux_stat) == 144, "struct stat of Linux x86-64");

/*
 * Linux errno values (asm-generic/errno*.h) of every name newlib also
 * defines, as X(name, linux value); the glue maps them to newlib's values.
 */
#define LINUX_ERRNO_MAP(X)      \
	X(EPERM, 1)             \
	X(ENOENT, 2)            \
	X(ESRCH, 3)             \
	X(EINTR, 4)             \
	X(EIO, 5)               \
	X(ENXIO, 6)             \
	X(E2BIG, 7)             \
	X(ENOEXEC, 8)           \
	X(EBADF, 9)             \
	X(ECHILD, 10)           \
	X(EAGAIN, 11)           \
	X(ENOMEM, 12)           \
	X(EACCES, 13)           \
	X(EFAULT, 14)           \
	X(EBUSY, 16)            \
	X(EEXIST, 17)           \
	X(EXDEV, 18)            \
	X(ENODEV, 19)           \
	X(ENOTDIR, 20)          \
	X(EISDIR, 21)           \
	X(EINVAL, 22)           \
	X(ENFILE, 23)           \
	X(EMFILE, 24)           \
	X(ENOTTY, 25)           \
	X(ETXTBSY, 26)          \
	X(EFBIG, 27)            \
	X(ENOSPC, 28)           \
	X(ESPIPE, 29)           \
	X(EROFS, 30)            \
	X(EMLINK, 31)           \
	X(EPIPE, 32)            \
	X(EDOM, 33)             \
	X(ERANGE, 34)           \
	X(EDEADLK, 35)          \
	X(ENAMETOOLONG, 36)     \
	X(ENOLCK, 37)           \
	X(ENOSYS, 38)           \
	X(ENOTEMPTY, 39)        \
	X(ELOOP, 40)            \
	X(ENOMSG, 42)           \
	X(EIDRM, 43)            \
	X(ENOSTR, 60)           \
	X(ENODATA, 61)          \
	X(ETIME, 62)            \
	X(ENOSR, 63)            \
	X(ENOLINK, 67)          \
	X(EPROTO, 71)           \
	X(EMULTIHOP, 72)        \
	X(EBADMSG, 74)          \
	X(EOVERFLOW, 75)        \
	X(EILSEQ, 84)           \
	X(ENOTSOCK, 88)         \
	X(EDESTADDRREQ, 89)     \
	X(EMSGSIZE, 90)         \
	X(EPROTOTYPE, 91)       \
	X(ENOPROTOOPT, 92)      \
	X(EPROTONOSUPPORT, 93)  \
	X(EOPNOTSUPP, 95)       \
	X(EPFNOSUPPORT, 96)     \
	X(EAFNOSUPPORT, 97)     \
	X(EADDRINUSE, 98)       \
	X(EADDRNOTAVAIL, 99)    \
	X(ENETDOWN, 100)        \
	X(ENETUNREACH, 101)     \
	X(ENETRESET, 102)       \
	X(ECONNABORTED, 103)    \
	X(ECONNRESET, 104)      \
	X(ENOBUFS, 105)         \
	X(EISCONN, 106)         \
	X(ENOTCONN, 107)        \
	X(ETOOMANYREFS, 109)    \
	X(ETIMEDOUT, 110)       \
	X(ECONNREFUSED, 111)    \
	X(EHOSTDOWN, 112)       \
	X(EHOSTUNREACH, 113)    \
	X(EALREADY, 114)        \
	X(EINPROGRESS, 115)     \
	X(ESTALE, 116)          \
	X(EDQUOT, 122)          \
	X(ECANCELED, 125)       \
	X(EOWNERDEAD, 130)      \
	X(ENOTRECOVERABLE, 131) \
	/* end */

/* Linux signal numbers of the names newlib defines for x86-64. */
#define LINUX_SIGNAL_MAP(X) \
	X(SIGHUP, 1)        \
	X(SIGINT, 2)        \
	X(SIGQUIT, 3)       \
	X(SIGILL, 4)        \
	X(SIGTRAP, 5)       \
	X(SIGABRT, 6)       \
	X(SIGBUS, 7)        \
	X(SIGFPE, 8)        \
	X(SIGKILL, 9)       \
	X(SIGUSR1, 10)      \
	X(SIGSEGV, 11)      \
	X(SIGUSR2, 12)      \
	X(SIGPIPE, 13)      \
	X(SIGALRM, 14)      \
	X(SIGTERM, 15)      \
	X(SIGCHLD, 17)      \
	X(SIGCONT, 18)      \
	X(SIGSTOP, 19)      \
	X(SIGTSTP, 20)      \
	X(SIGTTIN, 21)      \
	X(SIGTTOU, 22)      \
	X(SIGURG, 23)       \
	X(SIGWINCH, 28)     \
	X(SIGIO, 29)        \
	X(SIGSYS, 31)
/* end */

/* The raw system call: the result, or -errno (Linux's value). */
static inline long linux_syscall6(long n, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

#define linux_syscall0(n)          linux_syscall6((n), 0, 0, 0, 0, 0, 0)
#define linux_syscall1(n, a)       linux_syscall6((n), (long)(a), 0, 0, 0, 0, 0)
#define linux_syscall2(n, a, b)    linux_syscall6((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define linux_syscall3(n, a, b, c) linux_syscall6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define linux_syscall4(n, a, b, c, d) \
	linux_syscall6((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

#endif
