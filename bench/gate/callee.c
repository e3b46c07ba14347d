/* The function every row of the gate benchmark calls: as small as a call gets. */
int bench_callee(int x);

__attribute__((noinline)) int bench_callee(int x)
{
	__asm__ volatile("" : "+r"(x));
	return x + 1;
}

/* Eight arguments: two of them on the stack, what a gate carries in memory. */
long bench_callee8(long a, long b, long c, long d, long e, long f, long g, long h);

__attribute__((noinline)) long bench_callee8(long a, long b, long c, long d, long e, long f, long g,
					     long h)
{
	__asm__ volatile("" : "+r"(a));
	return a + b + c + d + e + f + g + h;
}
