/*
 * The runtime's own printf: the conversions its messages use, formatted
 * without the C library. Its messages are also written on the paths that
 * run with more rights than the compartment that got there (the intel-mpk
 * report, the gate's C code with the gate page open): glibc's printf
 * family calls its own string functions through the C library's
 * `.got.plt`, which every compartment with key 0 can rewrite
 * (docs/threat-model.md, limit 1), so a compartment could have its code
 * run there with those rights.
 *
 * Flags '-', '0', '#'; a width and a precision (digits or '*'); the
 * lengths hh, h, l, ll, z, j, t; the conversions d, i, u, x, X, c, s, p
 * and %%. As glibc: "(null)" for a null %s, "(nil)" for a null %p, no
 * 0x before a 0 with '#'.
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "runtime.h"

struct sink {
	char *p;
	size_t left; /* room, the terminating NUL's included */
	int n;
};

static void put(struct sink *s, char c)
{
	if (s->left > 1) {
		*s->p++ = c;
		s->left--;
		s->n++;
	}
}

static void pad(struct sink *s, char c, int n)
{
	while (n-- > 0)
		put(s, c);
}

/* A field: prefix (sign or 0x), zeros, body of len chars, as the flags say. */
static void field(struct sink *s, const char *prefix, const char *body, int len, int width,
		  int left, int zero)
{
	int plen = 0;

	while (prefix[plen])
		plen++;
	int fill = width - plen - len;
	if (!left && !zero)
		pad(s, ' ', fill);
	for (int i = 0; i < plen; i++)
		put(s, prefix[i]);
	if (!left && zero)
		pad(s, '0', fill);
	for (int i = 0; i < len; i++)
		put(s, body[i]);
	if (left)
		pad(s, ' ', fill);
}

static void number(struct sink *s, uint64_t v, int negative, unsigned base, int upper,
		   const char *prefix, int width, int prec, int left, int zero)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[64];
	int i = (int)sizeof(tmp);

	do {
		tmp[--i] = digits[v % base];
		v /= base;
	} while (v && i > 0);
	if (prec == 0 && tmp[i] == '0' && i == (int)sizeof(tmp) - 1)
		i = (int)sizeof(tmp); /* "%.0d" of 0: nothing */
	while (prec > (int)sizeof(tmp) - i && i > 0)
		tmp[--i] = '0';
	field(s, negative ? "-" : prefix, tmp + i, (int)sizeof(tmp) - i, width, left,
	      zero && prec < 0);
}

int flexos__vformat(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct sink s = {buf, size, 0};

	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&s, *fmt);
			continue;
		}
		int left = 0, zero = 0, alt = 0, width = 0, prec = -1, len = 0;
		for (;; fmt++) {
			if (fmt[1] == '-')
				left = 1;
			else if (fmt[1] == '0')
				zero = 1;
			else if (fmt[1] == '#')
				alt = 1;
			else
				break;
		}
		fmt++;
		if (*fmt == '*') {
			width = va_arg(ap, int);
			if (width < 0) {
				left = 1;
				width = -width;
			}
			fmt++;
		} else {
			while (*fmt >= '0' && *fmt <= '9')
				width = width * 10 + (*fmt++ - '0');
		}
		if (*fmt == '.') {
			fmt++;
			prec = 0;
			if (*fmt == '*') {
				prec = va_arg(ap, int);
				fmt++;
			} else {
				while (*fmt >= '0' && *fmt <= '9')
					prec = prec * 10 + (*fmt++ - '0');
			}
		}
		/* len: 0 int, 1 long (l, z, j, t: 64 bits here), 2 long long; h and hh as int. */
		while (*fmt == 'h' || *fmt == 'l' || *fmt == 'z' || *fmt == 'j' || *fmt == 't') {
			if (*fmt == 'l' || *fmt == 'z' || *fmt == 'j' || *fmt == 't')
				len++;
			fmt++;
		}
		switch (*fmt) {
		case 'd':
		case 'i': {
			int64_t v = len == 0   ? va_arg(ap, int)
				    : len == 1 ? va_arg(ap, long)
					       : va_arg(ap, long long);
			number(&s, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, v < 0, 10, 0,
			       "", width, prec, left, zero);
			break;
		}
		case 'u':
		case 'x':
		case 'X': {
			uint64_t v = len == 0   ? va_arg(ap, unsigned)
				     : len == 1 ? va_arg(ap, unsigned long)
						: va_arg(ap, unsigned long long);
			unsigned base = *fmt == 'u' ? 10 : 16;
			const char *prefix =
			    alt && v && base == 16 ? (*fmt == 'X' ? "0X" : "0x") : "";
			number(&s, v, 0, base, *fmt == 'X', prefix, width, prec, left, zero);
			break;
		}
		case 'p': {
			const void *v = va_arg(ap, const void *);
			if (v)
				number(&s, (uintptr_t)v, 0, 16, 0, "0x", width, prec, left, zero);
			else
				field(&s, "", "(nil)", 5, width, left, 0);
			break;
		}
		case 'c': {
			char c = (char)va_arg(ap, int);
			field(&s, "", &c, 1, width, left, 0);
			break;
		}
		case 's': {
			const char *v = va_arg(ap, const char *);
			int n = 0;
			if (!v)
				v = prec < 0 || prec >= 6 ? "(null)" : "";
			while ((prec < 0 || n < prec) && v[n])
				n++;
			field(&s, "", v, n, width, left, 0);
			break;
		}
		case '%':
			put(&s, '%');
			break;
		default: /* not one of ours: shown as written */
			put(&s, '%');
			if (!*fmt)
				fmt--;
			else
				put(&s, *fmt);
			break;
		}
	}
	if (size)
		*s.p = '\0';
	return s.n;
}

int flexos__format(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = flexos__vformat(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

const char *flexos__strerror(int err)
{
	/* glibc's table of descriptions (read-only; no locale, no call): strerror's in C. */
	const char *d = strerrordesc_np(err);

	return d ? d : "unknown error";
}
