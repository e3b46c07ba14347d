/*
 * tests/abi: the library, built as an unmodified archive (no FlexOS
 * header): each function mixes every argument into its result, so that a
 * lost or misplaced one changes what the application prints.
 */
#include <stdarg.h>
#include <stdio.h>

#include "abilib.h"

double lib_scale(double x, int k)
{
	return x * k / 2;
}

float lib_fmix(float a, double b, float c)
{
	return a * 3 + (float)b * 5 - c;
}

long lib_sum8(long a, long b, long c, long d, long e, long f, long g, long h)
{
	return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h;
}

long lib_sum12(long a, long b, long c, long d, long e, long f, long g, long h, long i, long j,
	       long k, long l)
{
	return lib_sum8(a, b, c, d, e, f, g, h) + 9 * i + 10 * j + 11 * k + 12 * l;
}

double lib_mix12(int a, double b, long c, float d, int e, double f, long g, int h, double i, long j,
		 double k, int l)
{
	return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h + 9 * i + 10 * j + 11 * k +
	       12 * l;
}

double lib_fmany(double a, int b, double c, int d, double e, int f, double g, int h, double i,
		 int j, double k, int l, double m, int n, double o, int p, double q, double r)
{
	return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h + 9 * i + 10 * j + 11 * k +
	       12 * l + 13 * m + 14 * n + 15 * o + 16 * p + 17 * q + 18 * r;
}

long lib_s8(struct s8 s)
{
	return s.a * 1000 + (long)(s.b * 10);
}

long lib_s16i(struct s16i s)
{
	return s.x * 7 - s.y;
}

double lib_s16d(struct s16d s)
{
	return s.x / s.y;
}

double lib_s16m(struct s16m s)
{
	return (double)s.x * s.y;
}

long lib_norm(struct s24 p)
{
	return p.x + 2 * p.y + 3 * p.z;
}

double lib_s24d(int k, struct s24d s)
{
	return k * (s.x + 2 * s.y + 3 * s.z);
}

long lib_s64(struct s64 s)
{
	long r = 0;
	for (int i = 0; i < 8; i++)
		r = r * 3 + s.v[i];
	return r;
}

double lib_s64m(struct s64m s)
{
	double r = 0;
	for (int i = 0; i < 4; i++)
		r = r * 3 + s.d[i] - (double)s.l[i];
	return r;
}

struct s16m lib_make16m(long x, double y)
{
	return (struct s16m){x * 2, y / 4};
}

struct s16d lib_make16d(double x, double y)
{
	return (struct s16d){x + y, x - y};
}

struct s16i lib_make16i(long x, long y)
{
	return (struct s16i){x * y, x - y};
}

struct s24 lib_make24(long x)
{
	return (struct s24){x, x * x, -x};
}

struct s64m lib_make64(double d, long l)
{
	struct s64m s;
	for (int i = 0; i < 4; i++) {
		s.d[i] = d * (i + 1);
		s.l[i] = l << i;
	}
	return s;
}

long double lib_ld(long double x, int k)
{
	return x * k / 3;
}

/* A checksum of what fmt formats (FNV-1a), so the caller needs no buffer. */
int lib_log(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	unsigned h = 2166136261u;

	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (int i = 0; i < n && i < (int)sizeof(buf) - 1; i++)
		h = (h ^ (unsigned char)buf[i]) * 16777619u;
	return (int)(h & 0x7fffffff);
}

double lib_big(double a, long b, double c, long d, double e, long f, double g, long h, double i,
	       long j, double k, long l, double m, long n, double o, long p, double q, long r,
	       double s, long t, double u, long v, double w, long x)
{
	return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h + 9 * i + 10 * j + 11 * k +
	       12 * l + 13 * m + 14 * n + 15 * o + 16 * p + 17 * q + 18 * r + 19 * s + 20 * t +
	       21 * u + 22 * v + 23 * w + 24 * x;
}

long lib_s64plus(struct s64 s, long a, long b, long c, long d, long e, long f, long g)
{
	return lib_s64(s) * 5 + a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g;
}
