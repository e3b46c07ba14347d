/* A library whose functions need more than six integer registers to call. */
#include <stdarg.h>
#include <stdio.h>

#include "proto-lib.h"

double lib_scale(double x, int k)
{
	return x * k;
}

long lib_sum8(long a, long b, long c, long d, long e, long f, long g, long h)
{
	return a + b + c + d + e + f + g + h;
}

long lib_norm(struct pt p)
{
	return p.x + p.y + p.z;
}

int lib_vlog(const char *fmt, va_list ap)
{
	return vsnprintf(NULL, 0, fmt, ap);
}
