/* Code of lib1's that an attack test makes run where it should not. */
#ifndef EVIL_H
#define EVIL_H

#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

uint32_t flexos__mpk_rdpkru(void); /* (backends/mpk/mpk.h) */

/*
 * Where an attack would have lib1's code run with app's rights: says with
 * which PKRU it runs and reads app's word at secret ("read app's secret",
 * which the tests look for), then ends the image with status 1.
 */
__attribute__((__noreturn__)) static inline void evil_ran(const char *test, uintptr_t secret,
						      uint32_t app_pkru)
{
	uint32_t pkru = flexos__mpk_rdpkru();
	long v = *(volatile long *)secret;

	printf("%s: lib1's code runs with PKRU %#x (app's %#x) and read app's secret %#lx: FAIL\n",
	       test, pkru, app_pkru, v);
	fflush(stdout);
	_exit(1);
}

#endif
