/*
 * Compiled against newlib and placed, with nllib.c, in a compartment that
 * has 'libc: newlib' (tests/newlib/compartment.sh). Probes: reads and
 * writes at addresses its caller hands it, which an isolating backend
 * must stop when they are not the compartment's or shared.
 */
#include <stdint.h>

long probe_read(const void *p);
int probe_write(void *p);
long probe_pkey_alloc(void);

long probe_read(const void *p)
{
	return *(const volatile long *)p;
}

int probe_write(void *p)
{
	*(volatile char *)p = 'X';
	return 0;
}

/* pkey_alloc(0, 0) made here, in the newlib compartment: a denied call. */
long probe_pkey_alloc(void)
{
	long r;
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "0"(330L), "D"(0L), "S"(0L)
			 : "rcx", "r11", "memory");
	return r;
}
