/*
 * The files of its own /proc/<pid> that a child of fork() may open.
 *
 * filter.c's Landlock layer allows the harmless files of /proc/<pid>
 * (flexos__mpk_proc_files) of the process that installed it. A child of
 * fork() inherits the layer, which does not name the child's own
 * directory, so the child could not open /proc/self/smaps (Redis's
 * child reports its copy-on-write memory from it), and no later layer
 * can widen an inherited one.
 *
 * So, just before the layer, the image starts a helper process: a
 * grandchild, so that it is nobody's child that wait() would wait for.
 * It keeps one socket and no other descriptor, runs only its request
 * loop (serve) after that, and answers one request: open the file NAME, one of
 * the list, read-only, in the requester's own /proc/<pid>, the pid the
 * kernel attaches to the request (SO_PASSCRED), and pass the descriptor
 * back over the socket the request carried (each request has its own,
 * so that replies to the processes sharing the helper do not cross). It
 * ends when no process holds the other end of its socket any more.
 *
 * The open wrappers (flexos-link adds --wrap=open... under intel-mpk)
 * ask it only where the kernel refused an open of a file of /proc/self
 * (or /proc/<own pid>) with EACCES: where the layer allows the open,
 * nothing changes. The mem file is never on the list.
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mpk.h"
#include "runtime.h"

const char *const flexos__mpk_proc_files[] = {
    "auxv",      "cgroup",   "cmdline",      "comm",   "environ",   "fd",     "fdinfo",    "io",
    "limits",    "loginuid", "maps",         "mounts", "mountinfo", "ns",     "oom_score", "sched",
    "schedstat", "smaps",    "smaps_rollup", "stat",   "statm",     "status", "wchan",
};
const size_t flexos__mpk_nproc_files =
    sizeof(flexos__mpk_proc_files) / sizeof(flexos__mpk_proc_files[0]);

/* The client end of the helper's socket; -1 without a helper. */
static int helper = -1;

static int listed(const char *name)
{
	for (size_t i = 0; i < flexos__mpk_nproc_files; i++)
		if (!strcmp(name, flexos__mpk_proc_files[i]))
			return 1;
	return 0;
}

/* Sends len bytes of buf and, where fd >= 0, the descriptor; sendmsg's result. */
static ssize_t send_with_fd(int sock, const void *buf, size_t len, int fd, int flags)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = {(void *)buf, len};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	memset(&u, 0, sizeof(u));
	if (fd >= 0) {
		m.msg_control = u.buf;
		m.msg_controllen = sizeof(u.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	while ((n = sendmsg(sock, &m, MSG_NOSIGNAL | flags)) < 0 && errno == EINTR)
		;
	return n;
}

/* The image's process id, which the helper serves (and its descendants). */
static pid_t image_pid;

/*
 * Whether the process whose /proc directory is dir (opened first, so
 * that its number cannot be another process's by the time its files are
 * opened) is the image or a descendant of it, by its parents' ids. The
 * pid a request carries is the kernel's, but a sender with CAP_SYS_ADMIN
 * may name any process in it (an attack review's: evil, as root, had the
 * helper open /proc/1/environ, which Landlock refuses it).
 */
static int in_image(int dir, pid_t pid)
{
	char buf[512], path[64];
	int fd = openat(dir, "stat", O_RDONLY | O_CLOEXEC);

	if (pid == image_pid)
		return fd >= 0 ? (close(fd), 1) : 0;
	for (int depth = 0; depth < 256 && fd >= 0; depth++) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			return 0;
		buf[n] = 0;
		/* "pid (comm) state ppid ...": comm may hold any byte but NUL. */
		const char *p = strrchr(buf, ')');
		char state;
		int ppid;
		if (!p || sscanf(p + 1, " %c %d", &state, &ppid) != 2 || ppid <= 1)
			return 0;
		if (ppid == image_pid)
			return 1;
		flexos__format(path, sizeof(path), "/proc/%d/stat", ppid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

static noreturn void serve(int sock)
{
	for (;;) {
		char name[32];
		union {
			struct cmsghdr h;
			char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int))];
		} u;
		struct iovec iov = {name, sizeof(name) - 1};
		struct msghdr m = {.msg_iov = &iov,
				   .msg_iovlen = 1,
				   .msg_control = u.buf,
				   .msg_controllen = sizeof(u.buf)};
		ssize_t n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);

		if (n < 0 && errno == EINTR)
			continue;
		/*
		 * No process holds the other end any more. A zero-length
		 * request also reads 0, but with the credentials the kernel
		 * attaches to every message (SO_PASSCRED): one ended the helper
		 * (an attack review's; syscalls proc-helper-empty). It names no
		 * file, and is answered as one not listed.
		 */
		if (n < 0 || (n == 0 && m.msg_controllen == 0))
			_exit(0);
		name[n] = 0;
		int back = -1;
		pid_t pid = 0;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
			if (c->cmsg_level != SOL_SOCKET)
				continue;
			if (c->cmsg_type == SCM_CREDENTIALS &&
			    c->cmsg_len == CMSG_LEN(sizeof(struct ucred))) {
				struct ucred cr;
				memcpy(&cr, CMSG_DATA(c), sizeof(cr));
				pid = cr.pid;
			} else if (c->cmsg_type == SCM_RIGHTS) {
				/*
				 * Every descriptor the kernel installed: one alone is
				 * the reply's, any other is closed (an attack review's:
				 * requests with two leaked them until the helper had
				 * none left to open).
				 */
				size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
				for (size_t i = 0; i < nfd; i++) {
					int fd;
					memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
					if (back < 0 && nfd == 1)
						back = fd;
					else
						close(fd);
				}
			}
		}
		if (back < 0)
			continue;
		int fd = -1, err = EACCES;
		if (pid > 0 && !(m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) && listed(name)) {
			char path[64];
			flexos__format(path, sizeof(path), "/proc/%d", (int)pid);
			int dir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (dir >= 0 && in_image(dir, pid)) {
				fd = openat(dir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
				err = fd < 0 ? errno : 0;
			}
			if (dir >= 0)
				close(dir);
		}
		/* Never blocked by its peer (a reply socket whose buffer the asker filled). */
		send_with_fd(back, &err, sizeof(err), fd, MSG_DONTWAIT);
		if (fd >= 0)
			close(fd);
		close(back);
	}
}

int flexos__mpk_proc_files_start(void)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	int on = 1;
	if (setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on))) {
		int err = errno;
		close(sv[0]);
		close(sv[1]);
		return -err;
	}
	image_pid = getpid();
	/* A raw fork: none of fork()'s handlers (this process's heaps) run. */
	long pid = syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);
	if (pid == 0) {
		if (syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0) != 0)
			_exit(0); /* the helper's parent ends at once */
		sigset_t all;
		sigfillset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		/* Nothing but its socket: not the image's pipes, not the client end. */
		int keep = sv[1];
		if (keep != 3 && dup3(keep, 3, 0) == 3)
			keep = 3;
		syscall(SYS_close_range, 0, 2, 0);
		syscall(SYS_close_range, keep + 1, ~0U, 0);
		serve(keep);
	}
	int err = pid < 0 ? errno : 0;
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return -err;
	}
	while (waitpid((pid_t)pid, NULL, 0) < 0 && errno == EINTR)
		;
	helper = sv[0];
	return 0;
}

/* NAME of "/proc/self/NAME" or "/proc/<own pid>/NAME", else NULL. */
static const char *own_proc_file(const char *path)
{
	if (!path || strncmp(path, "/proc/", 6))
		return NULL;
	const char *p = path + 6;
	if (!strncmp(p, "self/", 5)) {
		p += 5;
	} else {
		char *end;
		long pid = strtol(p, &end, 10);
		if (end == p || *end != '/' || pid != (long)getpid())
			return NULL;
		p = end + 1;
	}
	return listed(p) ? p : NULL;
}

#define ASK_WAIT_S 2

/* The helper's descriptor for NAME, or -1 with errno. */
static int ask(const char *name)
{
	int sv[2];

	if (helper < 0) {
		errno = EACCES;
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -1;
	/* A helper that does not answer (stopped, killed) fails the open, never hangs it. */
	struct timeval wait = {ASK_WAIT_S, 0};
	ssize_t n = setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait))
			? -1
			: send_with_fd(helper, name, strlen(name), sv[1], MSG_DONTWAIT);
	close(sv[1]);
	int err = EACCES, fd = -1;
	if (n >= 0) {
		union {
			struct cmsghdr h;
			char buf[CMSG_SPACE(sizeof(int))];
		} u;
		struct iovec iov = {&err, sizeof(err)};
		struct msghdr m = {.msg_iov = &iov,
				   .msg_iovlen = 1,
				   .msg_control = u.buf,
				   .msg_controllen = sizeof(u.buf)};
		while ((n = recvmsg(sv[0], &m, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
			;
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		if (n == (ssize_t)sizeof(err) && c && c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
		else if (n != (ssize_t)sizeof(err) || !err)
			err = EACCES;
	}
	close(sv[0]);
	if (fd < 0)
		errno = err;
	return fd;
}

/* After an open that failed: the helper's descriptor where that applies. */
static int retry(const char *path, int flags)
{
	const char *name;
	int saved = errno;

	if (saved != EACCES || (flags & O_ACCMODE) != O_RDONLY ||
	    (flags & (O_CREAT | O_DIRECTORY | O_PATH)) || !(name = own_proc_file(path))) {
		errno = saved;
		return -1;
	}
	int fd = ask(name);
	if (fd >= 0 && !(flags & O_CLOEXEC))
		fcntl(fd, F_SETFD, 0);
	if (fd < 0)
		errno = saved;
	return fd;
}

int __real_open(const char *path, int flags, ...);
int __real_open64(const char *path, int flags, ...);
int __real_openat(int dirfd, const char *path, int flags, ...);
int __real_openat64(int dirfd, const char *path, int flags, ...);
FILE *__real_fopen(const char *path, const char *mode);
FILE *__real_fopen64(const char *path, const char *mode);
int __wrap_open(const char *path, int flags, ...);
int __wrap_open64(const char *path, int flags, ...);
int __wrap_openat(int dirfd, const char *path, int flags, ...);
int __wrap_openat64(int dirfd, const char *path, int flags, ...);
FILE *__wrap_fopen(const char *path, const char *mode);
FILE *__wrap_fopen64(const char *path, const char *mode);

#define MODE_ARG(flags, last)                   \
	mode_t mode = 0;                        \
	if ((flags) & (O_CREAT | O_TMPFILE)) {  \
		va_list ap;                     \
		va_start(ap, last);             \
		mode = (mode_t)va_arg(ap, int); \
		va_end(ap);                     \
	}

int __wrap_open(const char *path, int flags, ...)
{
	MODE_ARG(flags, flags);
	int fd = __real_open(path, flags, mode);
	return fd >= 0 ? fd : retry(path, flags);
}

int __wrap_open64(const char *path, int flags, ...)
{
	MODE_ARG(flags, flags);
	int fd = __real_open64(path, flags, mode);
	return fd >= 0 ? fd : retry(path, flags);
}

int __wrap_openat(int dirfd, const char *path, int flags, ...)
{
	MODE_ARG(flags, flags);
	int fd = __real_openat(dirfd, path, flags, mode);
	return fd >= 0 ? fd : retry(path, flags);
}

int __wrap_openat64(int dirfd, const char *path, int flags, ...)
{
	MODE_ARG(flags, flags);
	int fd = __real_openat64(dirfd, path, flags, mode);
	return fd >= 0 ? fd : retry(path, flags);
}

/* fopen's modes that open for reading only ("r", "rb", "re", "rm"...). */
static FILE *fopen_retry(const char *path, const char *mode)
{
	int saved = errno;

	if (!mode || mode[0] != 'r' || strchr(mode, '+')) {
		errno = saved;
		return NULL;
	}
	int fd = retry(path, strchr(mode, 'e') ? O_RDONLY | O_CLOEXEC : O_RDONLY);
	if (fd < 0)
		return NULL;
	FILE *f = fdopen(fd, mode);
	if (!f) {
		saved = errno;
		close(fd);
		errno = saved;
	}
	return f;
}

FILE *__wrap_fopen(const char *path, const char *mode)
{
	FILE *f = __real_fopen(path, mode);
	return f ? f : fopen_retry(path, mode);
}

FILE *__wrap_fopen64(const char *path, const char *mode)
{
	FILE *f = __real_fopen64(path, mode);
	return f ? f : fopen_retry(path, mode);
}
