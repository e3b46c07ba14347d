/*
 * tests/integration/sandbox.sh, "vars": the host uses its sandbox's
 * variables by name, a counter and a function pointer (as libxml2's
 * programs call xmlFree), and frees what the sandbox allocated.
 */
#include <stdio.h>

char *sb_heap(void);
int sb_first(void);
extern int sb_calls;
extern void (*sb_free)(void *);

int sandbox_vars(void)
{
	sb_first();
	int seen = sb_calls;
	sb_calls = 40; /* the host writes the sandbox's counter; the sandbox goes on from it */
	sb_first();
	char *h = sb_heap();
	sb_free(h);
	printf("vars: %d then %d, freed\n", seen, sb_calls);
	return seen == 1 && sb_calls == 41 ? 0 : 1;
}
