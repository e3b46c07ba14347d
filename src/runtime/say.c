/*
 * Messages from the runtime. They are formatted into a stack buffer and
 * written with one write(2): no allocation, no stdio and no call into the
 * C library's printf (format.c), so they work in signal handlers, before
 * the heaps exist, when a heap is corrupt, and with more rights than a
 * compartment's (the intel-mpk report, the gate's C code).
 */
#include "autoconfig.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "runtime.h"

static void vsay(const char *fmt, va_list ap)
{
	char buf[1024];
	int n = flexos__format(buf, sizeof(buf), "flexos: ");
	n += flexos__vformat(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	ssize_t unused = write(STDERR_FILENO, buf, (size_t)n);
	(void)unused;
}

void flexos__say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
}

void flexos__die(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
	_exit(status);
}

void flexos__abort(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
	/* abort() may run handlers that touch the state we just found broken. */
	signal(SIGABRT, SIG_DFL);
	raise(SIGABRT);
	_exit(134);
}
