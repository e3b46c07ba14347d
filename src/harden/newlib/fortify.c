/*
 * The checked functions of a `libc: newlib` compartment built with
 * fortify (libflexos-harden-newlib.a): newlib's headers call them
 * (ssp/string.h, ssp/stdio.h) where the compiler knows the size of the
 * destination. They check here, in the compartment, and copy with
 * newlib's functions; an overflow traps to the platform's report
 * (../trap.h). newlib's own would print "buffer overflow detected" and
 * abort, naming no compartment. Linked before newlib's libc.a, they take
 * its calls.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "../trap.h"

#define RET ((uintptr_t)__builtin_return_address(0))

enum {
#define FN(name, i) FN_##name = i,
	FLEXOS__FORTIFY_FNS(FN)
#undef FN
};

static __attribute__((__noreturn__, __noinline__)) void overflow(uintptr_t pc, int fn, size_t len,
								 size_t room)
{
	flexos__harden_trap_raise(FLEXOS__TRAP_FORTIFY, (uintptr_t)fn, len, room, pc);
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
void __chk_fail(void);

void *__memcpy_chk(void *d, const void *s, size_t n, size_t room)
{
	if (n > room)
		overflow(RET, FN_memcpy, n, room);
	return memcpy(d, s, n);
}

void *__memmove_chk(void *d, const void *s, size_t n, size_t room)
{
	if (n > room)
		overflow(RET, FN_memmove, n, room);
	return memmove(d, s, n);
}

void *__mempcpy_chk(void *d, const void *s, size_t n, size_t room)
{
	if (n > room)
		overflow(RET, FN_mempcpy, n, room);
	return (char *)memcpy(d, s, n) + n;
}

void *__memset_chk(void *d, int c, size_t n, size_t room)
{
	if (n > room)
		overflow(RET, FN_memset, n, room);
	return memset(d, c, n);
}

char *__strcpy_chk(char *d, const char *s, size_t room)
{
	size_t n = strlen(s) + 1;

	if (n > room)
		overflow(RET, FN_strcpy, n, room);
	return memcpy(d, s, n);
}

char *__stpcpy_chk(char *d, const char *s, size_t room)
{
	size_t n = strlen(s) + 1;

	if (n > room)
		overflow(RET, FN_stpcpy, n, room);
	return (char *)memcpy(d, s, n) + n - 1;
}

char *__strncpy_chk(char *d, const char *s, size_t n, size_t room)
{
	if (n > room)
		overflow(RET, FN_strncpy, n, room);
	return strncpy(d, s, n);
}

char *__stpncpy_chk(char *d, const char *s, size_t n, size_t room)
{
	if (n > room)
		overflow(RET, FN_stpncpy, n, room);
	return stpncpy(d, s, n);
}

char *__strcat_chk(char *d, const char *s, size_t room)
{
	size_t have = strnlen(d, room), n = strlen(s) + 1;

	if (have == room || n > room - have)
		overflow(RET, FN_strcat, have + n, room);
	memcpy(d + have, s, n);
	return d;
}

char *__strncat_chk(char *d, const char *s, size_t n, size_t room)
{
	size_t have = strnlen(d, room), add = strnlen(s, n);

	if (have == room || add + 1 > room - have)
		overflow(RET, FN_strncat, have + add + 1, room);
	memcpy(d + have, s, add);
	d[have + add] = '\0';
	return d;
}

static int vsn(uintptr_t pc, int fn, char *d, size_t n, size_t room, const char *fmt, va_list ap)
{
	if (n > room)
		overflow(pc, fn, n, room);
	return vsnprintf(d, n, fmt, ap);
}

int __vsnprintf_chk(char *d, size_t n, int flag, size_t room, const char *fmt, va_list ap)
{
	(void)flag;
	return vsn(RET, FN_vsnprintf, d, n, room, fmt, ap);
}

int __snprintf_chk(char *d, size_t n, int flag, size_t room, const char *fmt, ...)
{
	va_list ap;

	(void)flag;
	va_start(ap, fmt);
	int r = vsn(RET, FN_snprintf, d, n, room, fmt, ap);
	va_end(ap);
	return r;
}

/* sprintf into room bytes: the output must fit, its terminating NUL included. */
static int vs(uintptr_t pc, int fn, char *d, size_t room, const char *fmt, va_list ap)
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
	return vs(RET, FN_vsprintf, d, room, fmt, ap);
}

int __sprintf_chk(char *d, int flag, size_t room, const char *fmt, ...)
{
	va_list ap;

	(void)flag;
	va_start(ap, fmt);
	int r = vs(RET, FN_sprintf, d, room, fmt, ap);
	va_end(ap);
	return r;
}

/* What newlib's other checked code would call: the size is not known here. */
void __chk_fail(void)
{
	overflow(RET, FN_unknown, 0, 0);
}
