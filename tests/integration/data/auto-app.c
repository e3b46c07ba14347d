/* The application side of tests/integration/auto-gates.sh. */
#include <stdio.h>
#include <string.h>

#include <flexos/flexos.h>

int lib_work(int x);
int lib_apply(int (*fn)(int), int x);
#ifdef USE_DATA
extern int lib_counter;
#endif
#ifdef USE_OTHER
extern int lib_other_counter;
#endif

static volatile int app_private = 100;

__attribute__((noinline)) int app_local(int x)
{
	return x + 1;
}

/* Handed to the library: reads the application's private data. */
int app_callback(int x)
{
	return x + app_private + flexos_compartment_id() * 1000;
}

int main(int argc, char **argv)
{
	int expect = 46, r;

	(void)argc;
#ifdef USE_DATA
	lib_counter = 3;
	expect += 3;
#endif
#ifdef USE_OTHER
	/* Two more call sites: --explain counts references, not symbols. */
	lib_other_counter = lib_work(0) - lib_work(0) + 1;
#endif
	r = lib_work(app_local(20));
	printf("lib_work: %d (expected %d)\n", r, expect);
	if (r != expect)
		return 1;
	if (argv[1] && !strcmp(argv[1], "--callback")) {
		/* 5 + 100 + 1, run in the application's compartment (id 0). */
		r = lib_apply(app_callback, 5);
		printf("lib_apply: %d (expected 106)\n", r);
		if (r != 106)
			return 1;
	}
	return 0;
}
