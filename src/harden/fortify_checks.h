/*
 * This file is private to the hardening runtimes: the checked functions of
 * fortify, included once by each C library's runtime, fortify.c (glibc's
 * image) and newlib/fortify.c (a `libc: newlib` compartment). They check
 * and copy alike; only the report differs, so the includer defines first:
 *   FORTIFY_FN(name)  how it names a checked function in its report;
 *   fortify_fn        the type of FORTIFY_FN(name);
 *   overflow(pc, fn, len, room)  the report, which never returns.
 * The copies use the includer's C library (memcpy, vsnprintf...).
 */
#ifndef FLEXOS_HARDEN_FORTIFY_CHECKS_H
#define FLEXOS_HARDEN_FORTIFY_CHECKS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define RET ((uintptr_t)__builtin_return_address(0))

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
		overflow(RET, FORTIFY_FN(memcpy), n, room);
	return memcpy(d, s, n);
}

void *__memmove_chk(void *d, const void *s, size_t n, size_t room)
{
	if (n > room)
		overflow(RET, FORTIFY_FN(memmove), n, room);
	return memmove(d, s, n);
}

void *__mempcpy_chk(void *d, const void *s, size_t n, size_t room)
{
	if (n > room)
		overflow(RET, FORTIFY_FN(mempcpy), n, room);
	return (char *)memcpy(d, s, n) + n;
}

void *__memset_chk(void *d, int c, size_t n, size_t room)
{
	if (n > room)
		overflow(RET, FORTIFY_FN(memset), n, room);
	return memset(d, c, n);
}

char *__strcpy_chk(char *d, const char *s, size_t room)
{
	size_t n = strlen(s) + 1;

	if (n > room)
		overflow(RET, FORTIFY_FN(strcpy), n, room);
	return memcpy(d, s, n);
}

char *__stpcpy_chk(char *d, const char *s, size_t room)
{
	size_t n = strlen(s) + 1;

	if (n > room)
		overflow(RET, FORTIFY_FN(stpcpy), n, room);
	return (char *)memcpy(d, s, n) + n - 1;
}

char *__strncpy_chk(char *d, const char *s, size_t n, size_t room)
{
	if (n > room)
		overflow(RET, FORTIFY_FN(strncpy), n, room);
	return strncpy(d, s, n);
}

char *__stpncpy_chk(char *d, const char *s, size_t n, size_t room)
{
	if (n > room)
		overflow(RET, FORTIFY_FN(stpncpy), n, room);
	return stpncpy(d, s, n);
}

char *__strcat_chk(char *d, const char *s, size_t room)
{
	size_t have = strnlen(d, room), n = strlen(s) + 1;

	if (have == room || n > room - have)
		overflow(RET, FORTIFY_FN(strcat), have + n, room);
	memcpy(d + have, s, n);
	return d;
}

char *__strncat_chk(char *d, const char *s, size_t n, size_t room)
{
	size_t have = strnlen(d, room), add = strnlen(s, n);

	if (have == room || add + 1 > room - have)
		overflow(RET, FORTIFY_FN(strncat), have + add + 1, room);
	memcpy(d + have, s, add);
	d[have + add] = '\0';
	return d;
}

static int vsn(uintptr_t pc, fortify_fn fn, char *d, size_t n, size_t room, const char *fmt,
	       va_list ap)
{
	if (n > room)
		overflow(pc, fn, n, room);
	return vsnprintf(d, n, fmt, ap);
}

int __vsnprintf_chk(char *d, size_t n, int flag, size_t room, const char *fmt, va_list ap)
{
	(void)flag;
	return vsn(RET, FORTIFY_FN(vsnprintf), d, n, room, fmt, ap);
}

int __snprintf_chk(char *d, size_t n, int flag, size_t room, const char *fmt, ...)
{
	va_list ap;

	(void)flag;
	va_start(ap, fmt);
	int r = vsn(RET, FORTIFY_FN(snprintf), d, n, room, fmt, ap);
	va_end(ap);
	return r;
}

/* sprintf into room bytes: the output must fit, its terminating NUL included. */
static int vs(uintptr_t pc, fortify_fn fn, char *d, size_t room, const char *fmt, va_list ap)
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
	return vs(RET, FORTIFY_FN(vsprintf), d, room, fmt, ap);
}

int __sprintf_chk(char *d, int flag, size_t room, const char *fmt, ...)
{
	va_list ap;

	(void)flag;
	va_start(ap, fmt);
	int r = vs(RET, FORTIFY_FN(sprintf), d, room, fmt, ap);
	va_end(ap);
	return r;
}

#endif
