/*
 * tests/abi: calls each function of abilib (an unmodified archive in
 * another compartment) through its automatic gate and through
 * flexos_gate_r, and prints one line per case with both results, exactly
 * (%a for floating values). abi.sh and vm.sh compare the lines with those
 * of a plain build (ABI_PLAIN: plain calls, no FlexOS).
 *
 * Usage: abiapp [CASE...]   (default: every case, in order)
 * Cases marked "proto" need the callee's prototype: without one a gate
 * carries 64 bytes of stack arguments and no sret result.
 */
#include <stdio.h>
#include <string.h>

#include <flexos/flexos.h>

#include "abilib.h"

#ifdef ABI_PLAIN
#define GATE_R(ret, fn, ...) ((ret) = fn(__VA_ARGS__))
#else
#define GATE_R(ret, fn, ...) flexos_gate_r(abilib, ret, fn, __VA_ARGS__)
#endif

/* What the library reads through pointers must be shared memory. */
static char fmt[] FLEXOS_SHARED = "%d %d %d %d %d %d %d %d %s %.17g %.17g %.17g %.17g %.17g "
				  "%.17g %.17g %.17g %.17g %.17g";
static char word[] FLEXOS_SHARED = "gate";

/* Both results of one case, then whether they agree. */
#define SAME(a, b) (memcmp(&(a), &(b), sizeof(a)) == 0)
#define LINE(name, f, a, b) \
	printf("%-9s auto=" f " gate_r=" f " %s\n", name, a, b, SAME(a, b) ? "same" : "differ")

static void c_scale(void)
{
	double a = lib_scale(2.5, 6), b;
	GATE_R(b, lib_scale, 2.5, 6);
	LINE("scale", "%a", a, b);
}

static void c_fmix(void)
{
	float a = lib_fmix(1.5f, 0.25, -3.0f), b;
	GATE_R(b, lib_fmix, 1.5f, 0.25, -3.0f);
	double da = a, db = b;
	LINE("fmix", "%a", da, db);
}

static void c_sum8(void)
{
	long a = lib_sum8(1, 2, 3, 4, 5, 6, 7, 8), b;
	GATE_R(b, lib_sum8, 1, 2, 3, 4, 5, 6, 7, 8);
	LINE("sum8", "%ld", a, b);
}

static void c_sum12(void)
{
	long a = lib_sum12(1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12), b;
	GATE_R(b, lib_sum12, 1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12);
	LINE("sum12", "%ld", a, b);
}

static void c_mix12(void)
{
	double a = lib_mix12(1, 0.5, 3, 0.25f, 5, 1.5, 7, 8, 2.5, 10, 3.5, 12), b;
	GATE_R(b, lib_mix12, 1, 0.5, 3, 0.25f, 5, 1.5, 7, 8, 2.5, 10, 3.5, 12);
	LINE("mix12", "%a", a, b);
}

static void c_fmany(void)
{
	double a = lib_fmany(0.5, 2, 1.5, 4, 2.5, 6, 3.5, 8, 4.5, 10, 5.5, 12, 6.5, 14, 7.5, 16,
			     8.5, 9.5),
	       b;
	GATE_R(b, lib_fmany, 0.5, 2, 1.5, 4, 2.5, 6, 3.5, 8, 4.5, 10, 5.5, 12, 6.5, 14, 7.5, 16,
	       8.5, 9.5);
	LINE("fmany", "%a", a, b);
}

static void c_s8(void)
{
	struct s8 s = {7, 2.5f};
	long a = lib_s8(s), b;
	GATE_R(b, lib_s8, s);
	LINE("s8", "%ld", a, b);
}

static void c_s16i(void)
{
	struct s16i s = {6, 5};
	long a = lib_s16i(s), b;
	GATE_R(b, lib_s16i, s);
	LINE("s16i", "%ld", a, b);
}

static void c_s16d(void)
{
	struct s16d s = {1.0, 3.0};
	double a = lib_s16d(s), b;
	GATE_R(b, lib_s16d, s);
	LINE("s16d", "%a", a, b);
}

static void c_s16m(void)
{
	struct s16m s = {3, 0.75};
	double a = lib_s16m(s), b;
	GATE_R(b, lib_s16m, s);
	LINE("s16m", "%a", a, b);
}

static void c_s24(void)
{
	struct s24 p = {1, 1, 1};
	long a = lib_norm(p), b;
	GATE_R(b, lib_norm, p);
	LINE("s24", "%ld", a, b);
}

static void c_s24d(void)
{
	struct s24d s = {0.5, 0.25, 0.125};
	double a = lib_s24d(3, s), b;
	GATE_R(b, lib_s24d, 3, s);
	LINE("s24d", "%a", a, b);
}

static void c_s64(void)
{
	struct s64 s = {{1, 2, 3, 4, 5, 6, 7, 8}};
	long a = lib_s64(s), b;
	GATE_R(b, lib_s64, s);
	LINE("s64", "%ld", a, b);
}

static void c_s64m(void)
{
	struct s64m s = {{0.5, 1.5, 2.5, 3.5}, {1, 2, 3, 4}};
	double a = lib_s64m(s), b;
	GATE_R(b, lib_s64m, s);
	LINE("s64m", "%a", a, b);
}

static void c_ret16m(void)
{
	struct s16m a = lib_make16m(21, 3.0), b;
	GATE_R(b, lib_make16m, 21, 3.0);
	printf("ret16m    auto=%ld,%a gate_r=%ld,%a %s\n", a.x, a.y, b.x, b.y,
	       SAME(a, b) ? "same" : "differ");
}

static void c_ret16d(void)
{
	struct s16d a = lib_make16d(1.25, 0.5), b;
	GATE_R(b, lib_make16d, 1.25, 0.5);
	printf("ret16d    auto=%a,%a gate_r=%a,%a %s\n", a.x, a.y, b.x, b.y,
	       SAME(a, b) ? "same" : "differ");
}

static void c_ret16i(void)
{
	struct s16i a = lib_make16i(6, 7), b;
	GATE_R(b, lib_make16i, 6, 7);
	printf("ret16i    auto=%ld,%ld gate_r=%ld,%ld %s\n", a.x, a.y, b.x, b.y,
	       SAME(a, b) ? "same" : "differ");
}

static void c_ret24(void) /* proto: sret */
{
	struct s24 a = lib_make24(9), b;
	GATE_R(b, lib_make24, 9);
	printf("ret24     auto=%ld,%ld,%ld gate_r=%ld,%ld,%ld %s\n", a.x, a.y, a.z, b.x, b.y, b.z,
	       SAME(a, b) ? "same" : "differ");
}

static void c_ret64(void) /* proto: sret */
{
	struct s64m a = lib_make64(0.5, 3), b;
	GATE_R(b, lib_make64, 0.5, 3);
	printf("ret64     auto=%a,%a,%a,%a,%ld,%ld,%ld,%ld gate_r=%a,%a,%a,%a,%ld,%ld,%ld,%ld %s\n",
	       a.d[0], a.d[1], a.d[2], a.d[3], a.l[0], a.l[1], a.l[2], a.l[3], b.d[0], b.d[1],
	       b.d[2], b.d[3], b.l[0], b.l[1], b.l[2], b.l[3], SAME(a, b) ? "same" : "differ");
}

static void c_ld(void)
{
	long double a = lib_ld(1.0L / 7, 5), b;
	GATE_R(b, lib_ld, 1.0L / 7, 5);
	/* The 10 bytes of the 80-bit value: padding is not part of it. */
	printf("ld        auto=%La gate_r=%La %s\n", a, b, !memcmp(&a, &b, 10) ? "same" : "differ");
}

static void c_log(void)
{
	/* 8 ints (3 on the stack), a string, 10 doubles (2 on the stack, %al = 8). */
	int a = lib_log(fmt, 1, 2, 3, 4, 5, 6, 7, 8, word, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8,
			0.9, 1.1),
	    b;
	GATE_R(b, lib_log, fmt, 1, 2, 3, 4, 5, 6, 7, 8, word, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7,
	       0.8, 0.9, 1.1);
	LINE("log", "%d", a, b);
}

static void c_big(void) /* proto: 80 bytes of stack arguments */
{
	double a = lib_big(0.5, 2, 1.5, 4, 2.5, 6, 3.5, 8, 4.5, 10, 5.5, 12, 6.5, 14, 7.5, 16, 8.5,
			   18, 9.5, 20, 10.5, 22, 11.5, 24),
	       b;
	GATE_R(b, lib_big, 0.5, 2, 1.5, 4, 2.5, 6, 3.5, 8, 4.5, 10, 5.5, 12, 6.5, 14, 7.5, 16, 8.5,
	       18, 9.5, 20, 10.5, 22, 11.5, 24);
	LINE("big", "%a", a, b);
}

static void c_s64plus(void) /* proto: 72 bytes of stack arguments */
{
	struct s64 s = {{8, 7, 6, 5, 4, 3, 2, 1}};
	long a = lib_s64plus(s, 1, 2, 3, 4, 5, 6, 7), b;
	GATE_R(b, lib_s64plus, s, 1, 2, 3, 4, 5, 6, 7);
	LINE("s64plus", "%ld", a, b);
}

static const struct {
	const char *name;
	void (*run)(void);
} cases[] = {
    {"scale", c_scale},   {"fmix", c_fmix},   {"sum8", c_sum8},       {"sum12", c_sum12},
    {"mix12", c_mix12},   {"fmany", c_fmany}, {"s8", c_s8},           {"s16i", c_s16i},
    {"s16d", c_s16d},     {"s16m", c_s16m},   {"s24", c_s24},         {"s24d", c_s24d},
    {"s64", c_s64},       {"s64m", c_s64m},   {"ret16m", c_ret16m},   {"ret16d", c_ret16d},
    {"ret16i", c_ret16i}, {"ret24", c_ret24}, {"ret64", c_ret64},     {"ld", c_ld},
    {"log", c_log},       {"big", c_big},     {"s64plus", c_s64plus},
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (size_t i = 0; i < NCASES; i++)
			printf("%s\n", cases[i].name);
		return 0;
	}
	for (size_t i = 0; i < NCASES; i++) {
		int want = argc < 2;
		for (int k = 1; k < argc; k++)
			want |= !strcmp(argv[k], cases[i].name);
		if (want)
			cases[i].run();
	}
	return 0;
}
