/* tests/process/check-pointers.sh: functions that never dereference what they are given. */
#include <stdarg.h>

int lib_keep(const void *p)
{
	return p != 0;
}

long lib_sum(long a, long b)
{
	return (a ^ b) & 1;
}

int lib_count(int n, ...)
{
	va_list ap;
	int k = 0;
	va_start(ap, n);
	for (int i = 0; i < n; i++)
		k += va_arg(ap, void *) != 0;
	va_end(ap);
	return k;
}

long app_read(const char *s);

static char lib_private[32] = "the library's own";

/* A sandbox passing its host a pointer to its own memory, which the host may read. */
long lib_give(void)
{
	return app_read(lib_private);
}
