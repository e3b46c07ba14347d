/*
 * Messages from the runtime. They are formatted into a stack buffer and
 * written with one write(2) (a fatal one only when standard error has
 * room: flexos__report_write): no allocation, no stdio and no call into the
 * C library's printf (format.c), so they work in signal handlers, before
 * the heaps exist, when a heap is corrupt, and with more rights than a
 * compartment's (the intel-mpk report, the gate's C code). For the same
 * reason they make their system calls themselves: the C library's write
 * is a cancellation point, which for a thread whose descriptor (key 0)
 * says it is cancelled unwinds it through the C library's link to
 * libgcc_s (key 0 too), and its raise checks the thread's stack canary
 * (key 0), whose failure path calls through the C library's writable
 * .got.plt (attack --gate-glibc cancel-report, cancel-abort).
 */
#include "autoconfig.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime.h"

/* A message; fatal: the image ends after it, so that it never blocks for ever. */
static void vsay(int fatal, const char *fmt, va_list ap)
{
	char buf[1024];
	int n = flexos__format(buf, sizeof(buf), "flexos: ");
	n += flexos__vformat(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	if (fatal) {
		flexos__report_write(buf, (size_t)n);
		return;
	}
	long unused = syscall(SYS_write, STDERR_FILENO, buf, (size_t)n);
	(void)unused;
}

/*
 * How long a fault report waits for room on standard error, a write at a
 * time. A compartment may have made standard error a pipe nobody reads
 * (dup2): a blocking write would hold the report, and its lock, for ever,
 * while the image's other threads ran on with the fault unreported (an
 * attack review). After a wait that finds no room the rest of the report
 * is dropped, and the image still ends as the report ends it.
 */
#define REPORT_WAIT_MS 1000

void flexos__report_write(const char *buf, size_t n)
{
	static int gone;
	size_t done = 0;

	while (!gone && done < n) {
		struct pollfd p = {STDERR_FILENO, POLLOUT, 0};
		/* The system call itself: no C library code on the report's path. */
		if (syscall(SYS_poll, &p, 1, REPORT_WAIT_MS) <= 0 || !(p.revents & POLLOUT)) {
			gone = 1;
			break;
		}
		/* At most a pipe's buffer page, which room for one write guarantees. */
		size_t chunk = n - done < 4096 ? n - done : 4096;
		long w = syscall(SYS_write, STDERR_FILENO, buf + done, chunk);
		if (w <= 0)
			break;
		done += (size_t)w;
	}
}

void flexos__say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay(0, fmt, ap);
	va_end(ap);
}

void flexos__die(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay(1, fmt, ap);
	va_end(ap);
	_exit(status);
}

void flexos__abort(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay(1, fmt, ap);
	va_end(ap);
	/* abort() may run handlers that touch the state we just found broken. */
	signal(SIGABRT, SIG_DFL);
	syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGABRT);
	_exit(134);
}
