/*
 * Constants across a gate: the application hands the library a string
 * literal, a literal that the library hands back, and a private const
 * table (tests/integration/constants.sh).
 */
#include <stdio.h>
#include <string.h>

size_t consts_strlen(const char *s);
const char *consts_name(void);
long consts_sum(const long *v, size_t n);

/* Not a literal: a const object, shared read-only with the literals. */
static const long table[64] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "literal";

	if (!strcmp(what, "literal")) {
		printf("literal: %zu\n", consts_strlen("hello from the application's .rodata"));
		printf("back: %s\n", consts_name());
	} else if (!strcmp(what, "table")) {
		printf("table: %ld\n", consts_sum(table, 64));
	} else {
		fprintf(stderr, "usage: %s literal|table\n", argv[0]);
		return 2;
	}
	return 0;
}
