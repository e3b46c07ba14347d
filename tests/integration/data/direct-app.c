/* Calls work() of library `worker` through a gate, or directly with -DDIRECT. */
#include <flexos/flexos.h>

int work(int a, int b, int c);

__attribute__((noinline)) int caller(int x)
{
	int r;
#ifdef DIRECT
	r = work(x, x + 1, x + 2);
#else
	flexos_gate_r(worker, r, work, x, x + 1, x + 2);
#endif
	return r + 1;
}

int main(int argc, char **argv)
{
	(void)argv;
	return caller(argc) == 3 * argc + 4 ? 0 : 1;
}
