/* Calls the functions of proto-lib.c; -DVLOG adds a va_list argument. */
#include <stdarg.h>

#include "proto-lib.h"

long lib_norm(struct pt p);
int lib_vlog(const char *fmt, va_list ap);

#ifdef VLOG
static int app_log(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = lib_vlog(fmt, ap);
	va_end(ap);
	return n;
}
#endif

int main(void)
{
	struct pt p = {1, 2, 3};
	long r = (long)lib_scale(2.5, 3) + lib_sum8(1, 2, 3, 4, 5, 6, 7, 8) + lib_norm(p);
#ifdef VLOG
	r += app_log("%d", 1) - 1; /* "1" */
#endif
	return r == 7 + 36 + 6 ? 0 : 1;
}
