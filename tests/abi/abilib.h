/*
 * tests/abi: a library with a function for each class of the System V
 * x86-64 calling convention (abilib.c), called across a gate by abiapp.c.
 */
#ifndef ABILIB_H
#define ABILIB_H

struct s8 {
	int a;
	float b;
}; /* one INTEGER eightbyte, with a float in it */
struct s16i {
	long x, y;
}; /* two INTEGER eightbytes: rdi, rsi */
struct s16d {
	double x, y;
}; /* two SSE eightbytes: xmm0, xmm1 */
struct s16m {
	long x;
	double y;
}; /* INTEGER + SSE */
struct s24 {
	long x, y, z;
}; /* MEMORY: on the stack, returned through sret */
struct s24d {
	double x, y, z;
};
struct s64 {
	long v[8];
};
struct s64m {
	double d[4];
	long l[4];
};

double lib_scale(double x, int k);
float lib_fmix(float a, double b, float c);
long lib_sum8(long a, long b, long c, long d, long e, long f, long g, long h);
long lib_sum12(long a, long b, long c, long d, long e, long f, long g, long h, long i, long j,
	       long k, long l);
double lib_mix12(int a, double b, long c, float d, int e, double f, long g, int h, double i, long j,
		 double k, int l);
double lib_fmany(double a, int b, double c, int d, double e, int f, double g, int h, double i,
		 int j, double k, int l, double m, int n, double o, int p, double q, double r);
long lib_s8(struct s8 s);
long lib_s16i(struct s16i s);
double lib_s16d(struct s16d s);
double lib_s16m(struct s16m s);
long lib_norm(struct s24 p);
double lib_s24d(int k, struct s24d s);
long lib_s64(struct s64 s);
double lib_s64m(struct s64m s);
struct s16m lib_make16m(long x, double y);
struct s16d lib_make16d(double x, double y);
struct s16i lib_make16i(long x, long y);
struct s24 lib_make24(long x);
struct s64m lib_make64(double d, long l);
long double lib_ld(long double x, int k);
int lib_log(const char *fmt, ...);
double lib_big(double a, long b, double c, long d, double e, long f, double g, long h, double i,
	       long j, double k, long l, double m, long n, double o, long p, double q, long r,
	       double s, long t, double u, long v, double w, long x);
long lib_s64plus(struct s64 s, long a, long b, long c, long d, long e, long f, long g);

#endif
