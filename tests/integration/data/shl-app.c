/*
 * Usage: shl-app ok | read-data | read-heap
 * Calls into a shared library of another compartment, then, if asked,
 * reads its data or heap directly: an isolating backend stops that.
 */
#include <stdio.h>
#include <string.h>

#include <flexos/flexos.h>

int shl_touch(void);
int *shl_secret_addr(void);
char *shl_heap_addr(void);

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "ok";
	int r = 0;
	int *secret = NULL;
	char *note = NULL;

	flexos_gate_r(libshl, r, shl_touch);
	flexos_gate_r(libshl, r, shl_touch);
	printf("shl_touch: %d\n", r);
	flexos_gate_r(libshl, secret, shl_secret_addr);
	flexos_gate_r(libshl, note, shl_heap_addr);
	fflush(stdout);
	if (!strcmp(mode, "read-data"))
		printf("read the library's data: %d (NOT BLOCKED)\n", *(volatile int *)secret);
	else if (!strcmp(mode, "read-heap"))
		printf("read the library's heap: %s (NOT BLOCKED)\n", note);
	return r == 44 ? 0 : 1;
}
