/*
 * bench/lend: the cost of pointer lending (docs/config.md, "Pointer
 * lending"): a gate that lends a const char * (a private 32-byte string)
 * and one that lends a struct pointer (32 bytes, copied back), next to a
 * gate with an int argument and to the same struct pointer into shared
 * memory (not lent), in the same run; and nested lending: a struct whose
 * two 4 KiB buffer members (counted by members, as a z_stream's) are lent
 * with it.
 *
 * Usage: lend   BENCH_ITERS sets the iterations per round (default 200000).
 * Prints one line per row: "row<TAB>median ns per call".
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <flexos/flexos.h>

struct lend_obj {
	long a, b, c, d;
};

/* Like a z_stream: two buffers the library's lend: rules count. */
struct lend_pair {
	const unsigned char *in;
	unsigned in_len;
	unsigned char *out;
	unsigned out_len;
};

int lend_int(int x);
void lend_pair(struct lend_pair *p);
size_t lend_str(const char *s);
void lend_struct(struct lend_obj *o);

#define ROUNDS 11

static char private_str[] = "a private string of 31 chars...";
static unsigned char pair_in[4096], pair_out[4096];

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

#define MEASURE(name, iters, body)                                \
	do {                                                      \
		double r[ROUNDS];                                 \
		for (int k = 0; k < ROUNDS; k++) {                \
			double t0 = now_ns();                     \
			for (long i = 0; i < (iters); i++) {      \
				body;                             \
			}                                         \
			r[k] = (now_ns() - t0) / (double)(iters); \
		}                                                 \
		qsort(r, ROUNDS, sizeof(r[0]), cmp_double);       \
		printf("%s\t%.1f\n", name, r[ROUNDS / 2]);        \
	} while (0)

int main(void)
{
	const char *e = getenv("BENCH_ITERS");
	long iters = e ? atol(e) : 200000;
	volatile long sink = 0;
	struct lend_obj stack_obj = {0, 0, 0, 0};
	struct lend_obj *shared_obj = flexos_shared_calloc(1, sizeof(*shared_obj));

	if (!shared_obj)
		return 1;
	MEASURE("int", iters, sink += lend_int((int)i));
	MEASURE("string", iters, sink += (long)lend_str(private_str));
	MEASURE("struct", iters, lend_struct(&stack_obj));
	MEASURE("shared", iters, lend_struct(shared_obj));
	struct lend_pair pair = {pair_in, sizeof(pair_in), pair_out, sizeof(pair_out)};
	MEASURE("nested", iters, lend_pair(&pair));
	if (pair.in != pair_in || pair.out != pair_out || pair_out[0] != pair_in[0] + 1) {
		fprintf(stderr, "lend: the pair's pointers or bytes did not come back\n");
		return 1;
	}
	if (stack_obj.a != ROUNDS * iters || shared_obj->a != ROUNDS * iters) {
		fprintf(stderr, "lend: the callee's writes did not come back (%ld, %ld)\n",
			stack_obj.a, shared_obj->a);
		return 1;
	}
	return (int)(sink & 0);
}
