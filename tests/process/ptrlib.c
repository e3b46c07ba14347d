/* tests/process/check-pointers.sh: functions that never dereference. */
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
