/*
 * tests/integration/static-callbacks.sh: a static function handed to the
 * library, by its address (lea) or from a table of function pointers.
 */
#include <stdio.h>
#include <string.h>

#include <flexos/flexos.h>

int lib_apply(int (*fn)(int), int x);

static volatile int app_private = 100;

/* Reads the application's private data: it must run in its compartment. */
static int app_cb(int x)
{
	return x + app_private + flexos_compartment_id() * 1000;
}

static int (*const table[])(int) = {app_cb};
static volatile int which;

int main(int argc, char **argv)
{
	int r;

	if (argc > 1 && !strcmp(argv[1], "table"))
		r = lib_apply(table[which], 5);
	else
		r = lib_apply(app_cb, 5);
	/* 5 + 100 + 1, run in the application's compartment (id 0). */
	printf("lib_apply: %d (expected 106)\n", r);
	return r != 106;
}
