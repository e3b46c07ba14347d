/*
 * The fortify report: code built with -D_FORTIFY_SOURCE=2 -O2 calls
 * glibc's checked functions (__memcpy_chk...) where the compiler knows the
 * size of the destination. glibc's own end in __chk_fail, an internal call
 * no image can take over, which prints "*** buffer overflow detected ***"
 * and aborts, naming no compartment. Defined in the image, the checked
 * functions below take the calls of the image's objects instead and
 * report through flexos__harden_report. The other checked functions (the
 * wide-character ones, read, fgets, printf's %n...) stay glibc's.
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "harden_impl.h"

#define RET ((uintptr_t)__builtin_return_address(0))

static noreturn void overflow(uintptr_t pc, const char *fn, size_t len, size_t room)
{
	flexos__harden_report(pc, "fortify", NULL,
			      "%s of %zu bytes into a buffer of %zu bytes (buffer overflow)", fn,
			      len, room);
}

void *__memcpy_chk(void *d, const void *s, size_t n, size_t room);
void *__memmove_chk(void *d, const void *s, size_t n, size_t room);
void *__mempcpy_chk(void *d, const void *s, size_t n, size_t room);
void *__memset_chk(void *d, int c, size_t n, size_t room);
char *__strcpy_chk(char *d, const char *s, size_t room);
char *__stpcpy_chk(char *d, const char *s, size_t room);
char *__strncpy_chk(char *d, const char *s, size_t n, size_t room);
char *__stpncpy_chk(char *d, const char *s, size_t n, size_t room);
char *__strcat_chk(char *d, const char *s, size_t room);
char *__strncat_chk(char *d, const char *s, size_t n, size_t room);
int __vsnprintf_chk(char *d, size_t n, int flag, size_t room, const char *fmt, va_list ap);
int __snprintf_chk(char *d, size_t n, int flag, size_t room, const char *fmt, ...);
int __vsprintf_chk(char *d, int flag, size_t room, const char *fmt, va_list ap);
int __sprintf_chk(char *d, int flag, size_t room, const char *fmt, ...);

void *__memcpy_chk(void *d, const void *s, size_t n, size_t room)
{
	if (n > room)
		overflow(RET, "memcpy", n, room);
	return memcpy(d, s, n);
}

void *__memmove_chk(void *d, const void *s, size_t n, size_t room)
{
	if (n > room)
		overflow(RET, "memmove", n, room);
	return memmove(d, s, n);
}

void *__mempcpy_chk(void *d, const void *s, size_t n, size_t room)
{
	if (n > room)
		overflow(RET, "mempcpy", n, room);
	return (char *)memcpy(d, s, n) + n;
}

void *__memset_chk(void *d, int c, size_t n, size_t room)
{
	if (n > room)
		overflow(RET, "memset", n, room);
	return memset(d, c, n);
}

char *__strcpy_chk(char *d, const char *s, size_t room)
{
	size_t n = strlen(s) + 1;

	if (n > room)
		overflow(RET, "strcpy", n, room);
	return memcpy(d, s, n);
}

char *__stpcpy_chk(char *d, const char *s, size_t room)
{
	size_t n = strlen(s) + 1;

	if (n > room)
		overflow(RET, "stpcpy", n, room);
	return (char *)memcpy(d, s, n) + n - 1;
}

char *__strncpy_chk(char *d, const char *s, size_t n, size_t room)
{
	if (n > room)
		overflow(RET, "strncpy", n, room);
	return strncpy(d, s, n);
}

char *__stpncpy_chk(char *d, const char *s, size_t n, size_t room)
{
	if (n > room)
		overflow(RET, "stpncpy", n, room);
	return stpncpy(d, s, n);
}

char *__strcat_chk(char *d, const char *s, size_t room)
{
	size_t have = strnlen(d, room), n = strlen(s) + 1;

	if (have == room || n > room - have)
		overflow(RET, "strcat", have + n, room);
	memcpy(d + have, s, n);
	return d;
}

char *__strncat_chk(char *d, const char *s, size_t n, size_t room)
{
	size_t have = strnlen(d, room), add = strnlen(s, n);

	if (have == room || add + 1 > room - have)
		overflow(RET, "strncat", have + add + 1, room);
	memcpy(d + have, s, add);
	d[have + add] = '\0';
	return d;
}

static int vsn(uintptr_t pc, const char *fn, char *d, size_t n, size_t room, const char *fmt,
	       va_list ap)
{
	if (n > room)
		overflow(pc, fn, n, room);
	return vsnprintf(d, n, fmt, ap);
}

int __vsnprintf_chk(char *d, size_t n, int flag, size_t room, const char *fmt, va_list ap)
{
	(void)flag;
	return vsn(RET, "vsnprintf", d, n, room, fmt, ap);
}

int __snprintf_chk(char *d, size_t n, int flag, size_t room, const char *fmt, ...)
{
	va_list ap;

	(void)flag;
	va_start(ap, fmt);
	int r = vsn(RET, "snprintf", d, n, room, fmt, ap);
	va_end(ap);
	return r;
}

/* sprintf into room bytes: the output must fit, its terminating NUL included. */
static int vs(uintptr_t pc, const char *fn, char *d, size_t room, const char *fmt, va_list ap)
{
	va_list again;

	va_copy(again, ap);
	int n = vsnprintf(NULL, 0, fmt, again);
	va_end(again);
	if (n >= 0 && (size_t)n >= room)
		overflow(pc, fn, (size_t)n + 1, room);
	return vsnprintf(d, room, fmt, ap);
}

int __vsprintf_chk(char *d, int flag, size_t room, const char *fmt, va_list ap)
{
	(void)flag;
	return vs(RET, "vsprintf", d, room, fmt, ap);
}

int __sprintf_chk(char *d, int flag, size_t room, const char *fmt, ...)
{
	va_list ap;

	(void)flag;
	va_start(ap, fmt);
	int r = vs(RET, "sprintf", d, room, fmt, ap);
	va_end(ap);
	return r;
}
