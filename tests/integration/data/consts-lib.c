/* The library of tests/integration/constants.sh: it reads what it is given. */
#include <stddef.h>

size_t consts_strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

const char *consts_name(void)
{
	return "a literal of the library";
}

long consts_sum(const long *v, size_t n)
{
	long sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += v[i];
	return sum;
}
