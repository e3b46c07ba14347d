/* The function every row of the gate benchmark calls: as small as a call gets. */
int bench_callee(int x);

__attribute__((noinline)) int bench_callee(int x)
{
	__asm__ volatile("" : "+r"(x));
	return x + 1;
}
