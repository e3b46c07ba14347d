/*
 * The host side of tests/integration/sandbox.sh:
 *   read  the host reads and writes the sandbox's data and heap (exit 0)
 *   poke  the sandbox writes the host's private data (must be stopped)
 *   vars  the host reads and writes the sandbox's variables by name and
 *         frees the sandbox's allocation through one (sandbox-vars.c,
 *         linked only where it may be)
 */
#include <stdio.h>
#include <string.h>

char *sb_static(void);
char *sb_heap(void);
int sb_first(void);
void sb_poke(int *p);

static volatile int host_private = 7;

int sandbox_vars(void) __attribute__((weak));

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "poke")) {
		sb_poke((int *)&host_private);
		printf("poke: the sandbox wrote the host's memory: %d\n", host_private);
		return 1;
	}
	if (argc > 1 && !strcmp(argv[1], "vars"))
		return sandbox_vars ? sandbox_vars() : 2;
	char *s = sb_static(), *h = sb_heap();
	printf("read: '%s' '%s'\n", s, h ? h : "(null)");
	s[0] = 'S'; /* the host writes into the sandbox; the sandbox must see it */
	int first = sb_first();
	printf("write: the sandbox sees '%c'\n", first);
	return h && !strcmp(h, "sandbox heap") && !strcmp(s, "Sandbox data") && first == 'S' ? 0 : 1;
}
