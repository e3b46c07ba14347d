/*
 * Compiled against newlib and placed, with nllib.c, in a compartment that
 * has 'libc: newlib' (tests/newlib/compartment.sh). Probes: reads and
 * writes at addresses its caller hands it, which an isolating backend
 * must stop when they are not the compartment's or shared.
 */
#include <stdint.h>

long probe_read(const void *p);
int probe_write(void *p);

long probe_read(const void *p)
{
	return *(const volatile long *)p;
}

int probe_write(void *p)
{
	*(volatile char *)p = 'X';
	return 0;
}
