/*
 * tests/process/check-pointers.sh: hands private addresses to the library
 * as a pointer argument (MODE pointer), as plain integers (integer) or as
 * variadic arguments (variadic). The library never dereferences them.
 */
#include <stdio.h>
#include <string.h>

int lib_keep(const void *p);
long lib_sum(long a, long b);
int lib_count(int n, ...);

static char private_data[64] = "private";

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	long r = -1;

	if (!strcmp(mode, "pointer"))
		r = lib_keep(private_data);
	else if (!strcmp(mode, "integer"))
		r = lib_sum((long)private_data, (long)(private_data + 8));
	else if (!strcmp(mode, "variadic"))
		r = lib_count(1, private_data);
	printf("%s: %ld\n", mode, r);
	return r < 0;
}
