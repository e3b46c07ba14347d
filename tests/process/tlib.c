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

/*
 * regs (docs/threat-model.md, process backend): the registers a call
 * passes, as this function finds them at entry: rdi, rsi, rdx, rcx, r8,
 * r9, rax, then xmm0-xmm7, two quadwords each (seen_reg(0..22)). leave
 * returns 7 (an int) with its own words in the rest of rax, in rdx,
 * xmm0 and xmm1.
 */
static volatile long seen_regs[25] __attribute__((used));

long F(seen_reg)(long i)
{
	return i >= 0 && i < 25 ? seen_regs[i] : -1;
}

__attribute__((naked)) long F(regs)(int a __attribute__((unused)), float x __attribute__((unused)))
{
	__asm__("leaq	seen_regs(%rip), %r11\n\t"
		"movq	%rdi, 0(%r11)\n\t"
		"movq	%rsi, 8(%r11)\n\t"
		"movq	%rdx, 16(%r11)\n\t"
		"movq	%rcx, 24(%r11)\n\t"
		"movq	%r8, 32(%r11)\n\t"
		"movq	%r9, 40(%r11)\n\t"
		"movq	%rax, 48(%r11)\n\t"
		".irp	k, 0, 1, 2, 3, 4, 5, 6, 7\n\t"
		"movq	%xmm\\k, 56+16*\\k(%r11)\n\t"
		"movhps	%xmm\\k, 64+16*\\k(%r11)\n\t"
		".endr\n\t"
		"movl	$1, %eax\n\t"
		"ret");
}

/* regs8: the two eightbytes its int stack arguments take, whole (seen_reg(23, 24)). */
__attribute__((naked)) long F(regs8)(long a __attribute__((unused)), long b __attribute__((unused)),
				     long c __attribute__((unused)), long d __attribute__((unused)),
				     long e __attribute__((unused)), long f __attribute__((unused)),
				     int g __attribute__((unused)), int h __attribute__((unused)))
{
	__asm__("leaq	seen_regs(%rip), %r11\n\t"
		"movq	8(%rsp), %rax\n\t"
		"movq	%rax, 184(%r11)\n\t"
		"movq	16(%rsp), %rax\n\t"
		"movq	%rax, 192(%r11)\n\t"
		"movl	$1, %eax\n\t"
		"ret");
}

__attribute__((naked)) int F(leave)(long unused __attribute__((unused)))
{
	__asm__("movabsq	$0x1eaf000000000000, %rax\n\t"
		"movq	%rax, %rdx\n\t"
		"movq	%rax, %xmm0\n\t"
		"movq	%rax, %xmm1\n\t"
		"orq	$7, %rax\n\t"
		"ret");
}
