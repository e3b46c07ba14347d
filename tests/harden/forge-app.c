/*
 * tests/harden: the application beside forge.c. It hands the newlib
 * compartment the address of UBSan data in its own memory whose file
 * name is a secret; the forged trap must not print it.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int forge_ubsan(unsigned long data);

static const char secret[] = "SECRET-OF-THE-APPLICATION";
static const struct {
	const char *file;
	uint32_t line, column;
	const void *type;
} fake = {secret, 1, 1, secret};

int forge_asan_access(unsigned long addr, unsigned long size, unsigned long pc);
int forge_asan_free(unsigned long ptr, unsigned long what, unsigned long fn, unsigned long pc);

/*
 * Usage: app [ubsan | asan-app | asan-noshadow | asan-free]: the trap to
 * forge; the ASan ones (in an image whose 'lib' has asan) name the
 * application's secret or no memory at all, and main as the culprit.
 */
int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "ubsan";
	unsigned long culprit = (unsigned long)&main;
	int r = -1;

	if (!strcmp(mode, "ubsan"))
		r = forge_ubsan((unsigned long)&fake);
	else if (!strcmp(mode, "asan-app"))
		r = forge_asan_access((unsigned long)secret, sizeof(secret), culprit);
	else if (!strcmp(mode, "asan-noshadow"))
		r = forge_asan_access(0xffff800000001000ul, 1ul << 40, culprit);
	else if (!strcmp(mode, "asan-free"))
		r = forge_asan_free((unsigned long)secret, 99, 12345, culprit);
	else
		return 2;
	printf("survived the forged trap (%d)\n", r);
	return 0;
}
