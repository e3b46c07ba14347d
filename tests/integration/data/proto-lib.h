/* The header of proto-lib.c, for flexos-link's 'headers:'. */
#include <stdarg.h>

struct pt {
	long x, y, z;
};

double lib_scale(double x, int k);
long lib_sum8(long a, long b, long c, long d, long e, long f, long g, long h);
