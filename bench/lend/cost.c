/*
 * bench/lend/callgrind: what lending adds to the caller's side of a gate,
 * counted in instructions (deterministic, unlike time on a shared
 * machine). MODE picks the gate called CALLS times: int (an int
 * argument, nothing lent), one (a lent 32-byte struct), three (two lent
 * structs and a lent string), rows1, rows16, rows64 (an array of that
 * many pointers to 64-byte heap rows, lent with a "[]" rule).
 *
 * Usage: cost MODE [CALLS]   (CALLS defaults to 1000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cost_obj {
	long a, b, c, d;
};

int cost_int(int x);
void cost_one(struct cost_obj *o);
void cost_three(struct cost_obj *o, struct cost_obj *p, const char *s);
long cost_rows1(unsigned char **rows, unsigned n);
long cost_rows16(unsigned char **rows, unsigned n);
long cost_rows64(unsigned char **rows, unsigned n);

static char private_str[] = "a private string of 31 chars...";
/*
 * Static, not on main's stack: under valgrind main runs on a stack the
 * runtime does not know as the application's, which it would not lend.
 */
static struct cost_obj o, p;
static unsigned char *rows[64];

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	long calls = argc > 2 ? atol(argv[2]) : 1000, sink = 0;
	unsigned n = 0;

	for (int y = 0; y < 64; y++)
		rows[y] = calloc(1, 64);
	if (!strcmp(mode, "rows1") || !strcmp(mode, "rows16") || !strcmp(mode, "rows64"))
		n = (unsigned)atoi(mode + 4);
	for (long i = 0; i < calls; i++) {
		if (!strcmp(mode, "int"))
			sink += cost_int((int)i);
		else if (!strcmp(mode, "one"))
			cost_one(&o);
		else if (!strcmp(mode, "three"))
			cost_three(&o, &p, private_str);
		else if (n == 1)
			sink += cost_rows1(rows, 1);
		else if (n == 16)
			sink += cost_rows16(rows, 16);
		else if (n == 64)
			sink += cost_rows64(rows, 64);
		else
			return 2;
	}
	/* The callee's writes came back through the lent copies. */
	if ((!strcmp(mode, "int") && sink != calls * (calls + 1) / 2) ||
	    (!strcmp(mode, "one") && o.a != calls) ||
	    (!strcmp(mode, "three") && (o.a != calls || p.b != calls)) ||
	    (n && (rows[0][0] != (unsigned char)calls || rows[n - 1][0] != (unsigned char)calls ||
		   rows[63][0] != (n == 64 ? (unsigned char)calls : 0)))) {
		fprintf(stderr, "cost: %s: the callee's writes did not come back\n", mode);
		return 1;
	}
	printf("cost: %s: %ld calls\n", mode, calls);
	return 0;
}
