/*
 * tests/harden: the application beside forge.c. It hands the newlib
 * compartment the address of UBSan data in its own memory whose file
 * name is a secret; the forged trap must not print it.
 */
#include <stdint.h>
#include <stdio.h>

int forge_ubsan(unsigned long data);

static const char secret[] = "SECRET-OF-THE-APPLICATION";
static const struct {
	const char *file;
	uint32_t line, column;
	const void *type;
} fake = {secret, 1, 1, secret};

int main(void)
{
	int r = forge_ubsan((unsigned long)&fake);

	printf("survived the forged trap (%d)\n", r);
	return 0;
}
