/* An untrusted library for tests/integration/sandbox.sh; knows nothing of FlexOS. */
#include <stdlib.h>
#include <string.h>

static char sb_data[64] = "sandbox data";

/* Variables the host uses by name, as libxml2's programs use xmlFree. */
int sb_calls;
void (*sb_free)(void *) = free;

/* Hands back pointers into its own memory, as SQLite and zlib do. */
char *sb_static(void)
{
	return sb_data;
}

char *sb_heap(void)
{
	char *p = malloc(32);
	if (p)
		strcpy(p, "sandbox heap");
	return p;
}

/* Reads its own data: sees what the host wrote there. */
int sb_first(void)
{
	sb_calls++;
	return sb_data[0];
}

/* Writes where it is told: a stray pointer into the host must be stopped. */
void sb_poke(int *p)
{
	*p = 42;
}
