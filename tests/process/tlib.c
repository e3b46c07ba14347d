/* See tlib.h. LIB names this copy's library: ta, tb or tc. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <flexos/flexos.h>

#include "tlib.h"

#define CAT_(a, b) a##_##b
#define CAT(a, b) CAT_(a, b)
#define F(name) CAT(LIB, name)

static long data_var = 0x1234;
static long bss_var;
static long *heap_obj;
static long calls = 100;
/* Where a crash writes: an unmapped page the compiler cannot see through. */
static volatile uintptr_t crash_addr = 16;

long F(addr)(long kind)
{
	switch (kind) {
	case KIND_DATA:
		return (long)&data_var;
	case KIND_BSS:
		bss_var = 7;
		return (long)&bss_var;
	case KIND_HEAP:
		if (!heap_obj) {
			heap_obj = malloc(sizeof(*heap_obj));
			*heap_obj = 99;
		}
		return (long)heap_obj;
	}
	return 0;
}

long F(probe)(long addr, long write)
{
	volatile long *p = (volatile long *)addr;
	if (write) {
		*p = 0x666;
		return 0x666;
	}
	return *p;
}

/* A local of this compartment's stack, handed to the attacker's probe. */
long F(stack_attack)(long attacker, long write)
{
	volatile long local = 0x5eca;
	long r = 0;
	switch (attacker) {
	case 0:
		flexos_gate_r(ta, r, ta_probe, (long)&local, write);
		break;
	case 1:
		flexos_gate_r(tb, r, tb_probe, (long)&local, write);
		break;
	case 2:
		flexos_gate_r(tc, r, tc_probe, (long)&local, write);
		break;
	}
	return r + local;
}

long F(add)(long x, long y)
{
	return x + y;
}

long F(pid)(long unused __attribute__((unused)))
{
	return (long)getpid();
}

/* depth > 0: call back through cb, which enters another compartment. */
long F(nest)(long depth, long (*cb)(long, long))
{
	if (depth <= 0)
		return (long)getpid() * 0 + 1;
	return 10 * cb(depth - 1, (long)getpid()) + 1;
}

long F(crash)(long crash, long x)
{
	calls++;
	if (crash)
		*(volatile long *)crash_addr = x;
	return 2 * x + 1;
}

long F(calls)(long unused __attribute__((unused)))
{
	return calls;
}

long F(exit)(long status)
{
	printf("[%s] exiting with %ld\n", flexos_compartment_name(), status);
	exit((int)status);
}

/* Shared memory works: the section, the shared heap, the shared stack. */
long F(shared)(long *heap_obj_, long *stack_obj)
{
	long r = shared_var + *heap_obj_ + *stack_obj;
	shared_var += 1;
	*heap_obj_ += 10;
	*stack_obj += 100;
	return r;
}

long F(print)(long n)
{
	for (long i = 0; i < n; i++)
		printf("[%s] line %ld\n", flexos_compartment_name(), i);
	return n;
}

extern unsigned flexos__proc_spin;
extern unsigned flexos__proc_spin __attribute__((weak));

/* For the benchmark: this compartment's spin budget before it sleeps. */
long F(set_spin)(long n)
{
	if (&flexos__proc_spin)
		flexos__proc_spin = (unsigned)n;
	return n;
}

long F(sleep)(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
	return ms;
}

/*
 * mib MiB from this compartment's heap, every page written, read back and
 * freed: the heap grows past its first reservation. 0 if it worked, -1
 * if malloc failed, -2 if the memory did not hold.
 */
long F(bigalloc)(long mib)
{
	size_t n = (size_t)mib << 20;
	unsigned char *p = malloc(n);
	long bad = 0;

	if (!p)
		return -1;
	for (size_t i = 0; i < n; i += 4096)
		p[i] = (unsigned char)(i >> 12);
	for (size_t i = 0; i < n; i += 4096)
		bad |= p[i] != (unsigned char)(i >> 12);
	free(p);
	return bad ? -2 : 0;
}
