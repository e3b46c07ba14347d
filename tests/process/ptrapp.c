/*
 * tests/process/check-pointers.sh: hands private addresses to the library
 * as a pointer argument (MODE pointer), as plain integers (integer) or as
 * variadic arguments (variadic). The library never dereferences them.
 * MODE host: the library passes its own static data to app_read.
 */
#include <stdio.h>
#include <string.h>

int lib_keep(const void *p);
long lib_sum(long a, long b);
int lib_count(int n, ...);
long lib_give(void);

/* The library hands the application a pointer to its own private data. */
long app_read(const char *s)
{
	return (long)strlen(s);
}

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
	else if (!strcmp(mode, "host"))
		r = lib_give();
	printf("%s: %ld\n", mode, r);
	return r < 0;
}
