/* A shared library placed in a compartment: its data and heap are that compartment's. */
#include <stdlib.h>
#include <string.h>

int shl_secret = 42;
static int shl_calls;
static char *shl_note;

int shl_touch(void);
int *shl_secret_addr(void);
char *shl_heap_addr(void);

int shl_touch(void)
{
	shl_calls++;
	free(shl_note);
	shl_note = malloc(64);
	strcpy(shl_note, "kept in the library's heap");
	return shl_secret + shl_calls;
}

int *shl_secret_addr(void)
{
	return &shl_secret;
}

char *shl_heap_addr(void)
{
	return shl_note;
}
