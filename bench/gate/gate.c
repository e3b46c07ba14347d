/*
 * bench/gate: the cost of one call through a gate, next to a plain call and
 * a getppid system call measured in the same run, as ns and as ratios.
 *
 * Usage: gate [ROW...]   rows: call, gate, gate8, getppid (default: call,
 * gate, getppid); gate8 calls a function of eight arguments, two of which
 * a gate carries on the stack.
 * BENCH_ITERS sets the iterations per round (default 2000000).
 * Prints one line per row: "row<TAB>backend<TAB>median ns per call".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <flexos/flexos.h>

int bench_callee(int x);
long bench_callee8(long a, long b, long c, long d, long e, long f, long g, long h);

/*
 * The plain-call row calls this copy of bench_callee, in the application's
 * own compartment: a call to the isolated one would be routed through a gate
 * by flexos-link under an isolating backend.
 */
static __attribute__((noinline)) int local_callee(int x)
{
	__asm__ volatile("" : "+r"(x));
	return x + 1;
}

#define ROUNDS 15

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median over ROUNDS of the mean cost of one iteration of body, in ns. */
#define MEASURE(iters, body)                                       \
	({                                                         \
		double t[ROUNDS];                                  \
		for (int r_ = 0; r_ < ROUNDS; r_++) {              \
			double t0 = now_ns();                      \
			for (long i_ = 0; i_ < (iters); i_++) {    \
				body;                              \
			}                                          \
			t[r_] = (now_ns() - t0) / (double)(iters); \
		}                                                  \
		qsort(t, ROUNDS, sizeof(t[0]), cmp_double);        \
		t[ROUNDS / 2];                                     \
	})

int main(int argc, char **argv)
{
	static char *all[] = {"call", "gate", "getppid"};
	long iters = getenv("BENCH_ITERS") ? atol(getenv("BENCH_ITERS")) : 2000000;
	char **rows = argc > 1 ? argv + 1 : all;
	int nrows = argc > 1 ? argc - 1 : 3;
	volatile int sink = 0;

	for (int i = 0; i < nrows; i++) {
		if (!strcmp(rows[i], "call")) {
			printf("call\t-\t%.2f\n", MEASURE(iters, sink = local_callee(sink)));
		} else if (!strcmp(rows[i], "gate")) {
			int r = 0;
			double ns = MEASURE(iters, {
				flexos_gate_r(callee, r, bench_callee, sink);
				sink = r;
			});
			printf("gate\t%s\t%.2f\n", flexos_backend_name(), ns);
		} else if (!strcmp(rows[i], "gate8")) {
			long r = 0;
			double ns = MEASURE(iters, {
				flexos_gate_r(callee, r, bench_callee8, sink, 1, 2, 3, 4, 5, 6, 7);
				sink = (int)r;
			});
			printf("gate8\t%s\t%.2f\n", flexos_backend_name(), ns);
		} else if (!strcmp(rows[i], "getppid")) {
			printf("getppid\t-\t%.2f\n",
			       MEASURE(iters / 10, sink += (int)syscall(SYS_getppid)));
		} else {
			fprintf(stderr, "gate: unknown row '%s' (call, gate, gate8 or getppid)\n",
				rows[i]);
			return 2;
		}
		fflush(stdout);
	}
	return 0;
}
