/*
 * Usage: shl-app ok | read-data | read-heap | rekey | mprotect | munmap |
 *        fini-twice | fini-direct | pkru
 * Calls into a shared library of another compartment, then, if asked,
 * reads its data or heap directly: an isolating backend stops that.
 * Under intel-mpk: rekey, mprotect and munmap ask the kernel to give the
 * library's data key 0 (pkey_mprotect), make it readable again with
 * mprotect, or unmap it, then read it (the filter denies each);
 * fini-twice runs the library's compartment's exit-time function through
 * the runtime's crossing twice (its destructor must run once); fini-direct
 * calls that function from the application's compartment (it runs nothing there:
 * the destructor runs once, at exit, in its compartment); pkru prints the
 * PKRU the library's code has in a gate call and has its destructor print
 * its own (intel-mpk only: RDPKRU needs PKU).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <flexos/flexos.h>

/* The runtime's own (src/runtime), which the image's code can name: what an attacker can call. */
void flexos__call_in(uint32_t id, void (*fn)(void));
void (*flexos__fini_of(uint32_t id))(void);
#define LIB_ID 1 /* shl.yaml: app, lib */

int shl_touch(void);
unsigned shl_pkru(void);
int *shl_secret_addr(void);
char *shl_heap_addr(void);

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "ok";
	int r = 0;
	int *secret = NULL;
	char *note = NULL;

	flexos_gate_r(libshl, r, shl_touch);
	flexos_gate_r(libshl, r, shl_touch);
	printf("shl_touch: %d\n", r);
	flexos_gate_r(libshl, secret, shl_secret_addr);
	flexos_gate_r(libshl, note, shl_heap_addr);
	fflush(stdout);
	void *page = (void *)((uintptr_t)secret & ~(uintptr_t)4095);
	int err = 0;
	if (!strcmp(mode, "rekey"))
		err = pkey_mprotect(page, 4096, PROT_READ | PROT_WRITE, 0);
	else if (!strcmp(mode, "mprotect"))
		err = mprotect(page, 4096, PROT_READ);
	else if (!strcmp(mode, "munmap"))
		err = munmap(page, 4096);
	if (err)
		perror(mode);
	if (!strcmp(mode, "rekey") || !strcmp(mode, "mprotect") || !strcmp(mode, "munmap")) {
		printf("%s went through (%d)\n", mode, err);
		fflush(stdout);
		mode = "read-data";
	}
	if (!strcmp(mode, "fini-twice") || !strcmp(mode, "fini-direct")) {
		void (*fini)(void) = flexos__fini_of(LIB_ID);
		if (!fini) {
			printf("compartment 'lib' has nothing to run at exit\n");
			return 1;
		}
		if (!strcmp(mode, "fini-direct")) {
			fini();
		} else {
			flexos__call_in(LIB_ID, fini);
			flexos__call_in(LIB_ID, fini);
		}
		printf("%s: back in main\n", mode);
		fflush(stdout);
	}
	if (!strcmp(mode, "pkru")) {
		unsigned pkru = 0;
		flexos_gate_r(libshl, pkru, shl_pkru);
		printf("lib's PKRU in a call: %#x\n", pkru);
		fflush(stdout);
		setenv("SHL_PKRU", "1", 1);
	}
	if (!strcmp(mode, "read-data"))
		printf("read the library's data: %d (NOT BLOCKED)\n", *(volatile int *)secret);
	else if (!strcmp(mode, "read-heap"))
		printf("read the library's heap: %s (NOT BLOCKED)\n", note);
	return r == 44 ? 0 : 1;
}
