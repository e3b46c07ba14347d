/*
 * tests/integration/ro-state.sh: the application. The library (rostate.h)
 * rewrites the runtime's control data, then the application allocates and
 * stores a secret that the library then looks for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rostate.h"

/* Where the secret is kept: the allocation and its contents must happen. */
char *volatile rs_secret;

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	long r;

	if (!strcmp(mode, "heaps"))
		r = rs_forge_heaps();
	else if (!strcmp(mode, "process"))
		r = rs_forge_process();
	else if (!strcmp(mode, "mprotect"))
		r = rs_unprotect_heaps();
	else if (!strcmp(mode, "keys"))
		r = rs_forge_key();
	else if (!strcmp(mode, "control"))
		r = 0;
	else
		return 2;
	if (r < 0) {
		printf("%s: the library found nothing to rewrite\n", mode);
		return 3;
	}
	char *secret = malloc(64);
	if (!secret)
		return 4;
	strcpy(secret, "app-secret-4242");
	rs_secret = secret;
	int leaked = rs_leak();
	printf("%s: the application's secret %s\n", mode, leaked ? "leaked" : "stayed in its heap");
	return 0;
}
