/* A shared library placed in a compartment: its data and heap are that compartment's. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int shl_secret = 42;
static int shl_calls;
static char *shl_note;

int shl_touch(void);
unsigned shl_pkru(void);
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

/* The PKRU this code runs with (the caller must know the CPU has PKU: RDPKRU faults otherwise). */
unsigned shl_pkru(void)
{
	unsigned eax, edx;

	__asm__ volatile(".byte 0x0f, 0x01, 0xee" : "=a"(eax), "=d"(edx) : "c"(0));
	return eax;
}

int *shl_secret_addr(void)
{
	return &shl_secret;
}

char *shl_heap_addr(void)
{
	return shl_note;
}

/*
 * Registered by the library's constructor: glibc's atexit in a shared
 * library registers it for the library (__cxa_atexit with its
 * __dso_handle), which crtstuff's destructor runs (__cxa_finalize) if exit
 * has not yet. Writes the library's data too.
 */
static int shl_exits;
static void shl_atexit(void)
{
	shl_exits++;
	if (getenv("SHL_PKRU"))
		printf("shl atexit: PKRU %#x, runs %d\n", shl_pkru(), shl_exits);
	fflush(stdout);
}

/* A thread made by the constructor (SHL_CTOR_THREAD): it waits for ever. */
static void *shl_waiter(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

__attribute__((constructor)) static void shl_init(void)
{
	pthread_t t;

	atexit(shl_atexit);
	if (getenv("SHL_CTOR_THREAD") && pthread_create(&t, NULL, shl_waiter, NULL) == 0)
		printf("shl constructor: made a thread\n");
	fflush(stdout);
}

/*
 * Runs at exit (from _dl_fini, or under intel-mpk from the runtime's exit
 * handler, in the library's compartment): writes the library's data, which
 * faults in any other compartment.
 */
__attribute__((destructor)) static void shl_fini(void)
{
	shl_calls += 100;
	printf("shl destructor: calls %d, secret %d\n", shl_calls, shl_secret);
	if (getenv("SHL_PKRU"))
		printf("shl destructor: PKRU %#x\n", shl_pkru());
	fflush(stdout);
}
