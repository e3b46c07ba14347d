/*
 * Tests of flexos-link's prototypes (tools/flexos-link/proto.c): C
 * fixtures written and compiled at test time, read back from their DWARF
 * or through a header, and classified as the System V x86-64 convention
 * says. One table row per function.
 */
#include "autoconfig.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "plan.h"
#include "proto.h"
#include "suites.h"

static char dir[] = "/tmp/check-proto.XXXXXX";

static const char types_h[] = "#include <stdarg.h>\n"
			      "#include <stdio.h>\n"
			      "struct s8i { int a, b; };\n"
			      "struct s8f { float a, b; };\n"
			      "struct s16i { long a, b; };\n"
			      "struct s16d { double a, b; };\n"
			      "struct s16m { double d; long l; };\n"
			      "struct s16mi { int a; float f; double d; };\n"
			      "struct s24 { long x, y, z; };\n"
			      "struct s24d { double x, y, z; };\n"
			      "struct s64 { double d[8]; };\n"
			      "struct s64m { long l[4]; double d[4]; };\n"
			      "struct sarr { float f[4]; };\n"
			      "struct sbits { unsigned a : 3, b : 20; float f; };\n"
			      "struct __attribute__((packed)) spk { char c; long l; };\n"
			      "struct snest { struct s8f in; double d; };\n"
			      "union ud { double d; long l; };\n"
			      "struct sld { long double x; };\n"
			      "typedef float v4f __attribute__((vector_size(16)));\n"
			      "typedef float v8f __attribute__((vector_size(32)));\n"
			      "struct sw { v8f v; };\n"
			      "struct opaque;\n";

/* The functions of the fixture library: the definitions, each returning something. */
static const char lib_c[] =
    "#include \"types.h\"\n"
    "double lib_scale(double x, int k) { return x * k; }\n"
    "float lib_f(float a, float b) { return a + b; }\n"
    "long lib_sum7(long a, long b, long c, long d, long e, long f, long g)\n"
    "{ return a + b + c + d + e + f + g; }\n"
    "long lib_sum8(long a, long b, long c, long d, long e, long f, long g, long h)\n"
    "{ return a + b + c + d + e + f + g + h; }\n"
    "double lib_mix12(long a, long b, long c, long d, long e, long f, long g, double h,\n"
    "                 double i, struct s16i j, float k, struct s16m l)\n"
    "{ return a + b + c + d + e + f + g + h + i + j.a + k + l.d; }\n"
    "double lib_d9(double a, double b, double c, double d, double e, double f, double g,\n"
    "              double h, double i) { return a + b + c + d + e + f + g + h + i; }\n"
    "long double lib_ldpos(long a, long b, long c, long d, long e, long f, long g,\n"
    "                      long double x) { return a + b + c + d + e + f + g + x; }\n"
    "int lib_s8i(struct s8i s) { return s.a; }\n"
    "float lib_s8f(struct s8f s) { return s.a; }\n"
    "long lib_s16i(struct s16i s) { return s.a; }\n"
    "double lib_s16d(struct s16d s) { return s.a; }\n"
    "double lib_s16m(struct s16m s) { return s.d; }\n"
    "double lib_s16mi(struct s16mi s) { return s.d; }\n"
    "long lib_s24(struct s24 s) { return s.x; }\n"
    "double lib_s24d(struct s24d s) { return s.x; }\n"
    "double lib_s64(struct s64 s) { return s.d[0]; }\n"
    "double lib_s64m(struct s64m s) { return s.d[0]; }\n"
    "float lib_sarr(struct sarr s) { return s.f[0]; }\n"
    "unsigned lib_sbits(struct sbits s) { return s.a; }\n"
    "long lib_spk(struct spk s) { return s.l; }\n"
    "double lib_snest(struct snest s) { return s.d; }\n"
    "long lib_ud(union ud u) { return u.l; }\n"
    "struct s8i r_s8i(void) { struct s8i s = {1, 2}; return s; }\n"
    "struct s16d r_s16d(void) { struct s16d s = {1, 2}; return s; }\n"
    "struct s16m r_s16m(void) { struct s16m s = {1, 2}; return s; }\n"
    "struct s24 r_s24(long a) { struct s24 s = {a, a, a}; return s; }\n"
    "struct s64 r_s64(long a, long b, long c, long d, long e, long f)\n"
    "{ struct s64 s = {{a, b, c, d, e, f}}; return s; }\n"
    "long double lib_ld(long double x) { return x; }\n"
    "struct sld r_sld(void) { struct sld s = {1}; return s; }\n"
    "_Complex double lib_cplx(_Complex float a, _Complex double b) { return a + b; }\n"
    "__int128 lib_i128(__int128 a, long b) { return a + b; }\n"
    "_Complex long double r_cld(void) { return 1; }\n"
    "_Float64x r_f64x(_Float64x x) { return x; }\n"
    "_Complex _Float128 r_cf128(void) { return 1; }\n"
    "v4f r_v4f(v4f a) { return a; }\n"
    "double lib_sw(struct sw s) { return s.v[0]; }\n"
    "v8f lib_v8(v8f x) { return x; }\n"
    "_Decimal64 lib_dec(_Decimal64 x) { return x; }\n"
    "int lib_log(const char *fmt, ...) { return fmt[0]; }\n"
    "int lib_vlog(const char *fmt, va_list ap) { return fmt[0] + va_arg(ap, int); }\n"
    "void lib_ptrs(struct s24 *p, void *v, const int *i, struct opaque *o, void (*cb)(int))\n"
    "{ (void)p; (void)v; (void)i; (void)o; (void)cb; }\n"
    "void lib_void(void) { }\n"
    "int lib_fput(FILE *f, const char *s) { return fputs(s, f); }\n"
    "typedef FILE *my_file_p;\n"
    "long lib_ftell(const my_file_p f) { return ftell(f); }\n"
    "struct _IO_FILE *lib_fopen(const char *p) { return fopen(p, \"r\"); }\n";

/*
 * One function: its arguments as tokens (class I, S, X for mixed, M; *N:
 * a data pointer to N bytes; F: a FILE *; V: a va_list; @N: on the stack
 * at offset N),
 * then the carry.
 */
struct row {
	const char *fn;
	const char *args;
	uint32_t stack_bytes;
	unsigned int_regs, sse_regs;
	enum flx_ret_class ret;
	uint32_t ret_size;
	uint32_t sret_size;
	bool variadic;
	const char *text; /* a prefix of the C rendering, or NULL */
};

static const struct row rows[] = {
    {"lib_scale", "S I", 0, 1, 1, FLX_RET_SSE, 8, 0, false, "double lib_scale(double x, int k)"},
    {"lib_f", "S S", 0, 0, 2, FLX_RET_SSE, 4, 0, false, "float lib_f(float a, float b)"},
    {"lib_sum7", "I I I I I I I@0", 8, 6, 0, FLX_RET_INTEGER, 8, 0, false, NULL},
    {"lib_sum8", "I I I I I I I@0 I@8", 16, 6, 0, FLX_RET_INTEGER, 8, 0, false, NULL},
    /* j (two INTEGER eightbytes) and l (MIXED) find no integer register left. */
    {"lib_mix12", "I I I I I I I@0 S S I@8 S X@24", 40, 6, 3, FLX_RET_SSE, 8, 0, false, NULL},
    {"lib_d9", "S S S S S S S S S@0", 8, 0, 8, FLX_RET_SSE, 8, 0, false, NULL},
    /* long double is 16-byte aligned on the stack: a hole after g. */
    {"lib_ldpos", "I I I I I I I@0 M@16", 32, 6, 0, FLX_RET_X87, 16, 0, false, NULL},
    {"lib_s8i", "I", 0, 1, 0, FLX_RET_INTEGER, 4, 0, false, "int lib_s8i(struct s8i s)"},
    {"lib_s8f", "S", 0, 0, 1, FLX_RET_SSE, 4, 0, false, NULL},
    {"lib_s16i", "I", 0, 2, 0, FLX_RET_INTEGER, 8, 0, false, NULL},
    {"lib_s16d", "S", 0, 0, 2, FLX_RET_SSE, 8, 0, false, NULL},
    {"lib_s16m", "X", 0, 1, 1, FLX_RET_SSE, 8, 0, false, NULL},
    /* int and float share the first eightbyte: INTEGER wins. */
    {"lib_s16mi", "X", 0, 1, 1, FLX_RET_SSE, 8, 0, false, NULL},
    {"lib_s24", "M@0", 24, 0, 0, FLX_RET_INTEGER, 8, 0, false, NULL},
    {"lib_s24d", "M@0", 24, 0, 0, FLX_RET_SSE, 8, 0, false, NULL},
    {"lib_s64", "M@0", 64, 0, 0, FLX_RET_SSE, 8, 0, false, NULL},
    {"lib_s64m", "M@0", 64, 0, 0, FLX_RET_SSE, 8, 0, false, NULL},
    {"lib_sarr", "S", 0, 0, 2, FLX_RET_SSE, 4, 0, false, NULL},
    {"lib_sbits", "I", 0, 1, 0, FLX_RET_INTEGER, 4, 0, false, NULL},
    /* An unaligned field puts the struct in memory: 9 bytes, one 16-byte slot. */
    {"lib_spk", "M@0", 16, 0, 0, FLX_RET_INTEGER, 8, 0, false, NULL},
    {"lib_snest", "S", 0, 0, 2, FLX_RET_SSE, 8, 0, false, NULL},
    {"lib_ud", "I", 0, 1, 0, FLX_RET_INTEGER, 8, 0, false, NULL},
    {"r_s8i", "", 0, 0, 0, FLX_RET_INTEGER, 8, 0, false, "struct s8i r_s8i(void)"},
    {"r_s16d", "", 0, 0, 0, FLX_RET_SSE, 16, 0, false, NULL},
    {"r_s16m", "", 0, 0, 0, FLX_RET_MIXED, 16, 0, false, NULL},
    /* The hidden pointer takes %rdi: a goes in %rsi. */
    {"r_s24", "I", 0, 2, 0, FLX_RET_MEMORY, 24, 24, false, NULL},
    /* ... and pushes the sixth integer argument to the stack. */
    {"r_s64", "I I I I I I@0", 8, 6, 0, FLX_RET_MEMORY, 64, 64, false, NULL},
    {"lib_ld", "M@0", 16, 0, 0, FLX_RET_X87, 16, 0, false, "long double lib_ld(long double x)"},
    {"r_sld", "", 0, 0, 0, FLX_RET_X87, 16, 0, false, NULL},
    {"lib_cplx", "S S", 0, 0, 3, FLX_RET_SSE, 16, 0, false, NULL},
    {"lib_i128", "I I", 0, 3, 0, FLX_RET_INTEGER, 16, 0, false, NULL},
    /* The variadic rest: a window of stack beyond the named arguments. */
    {"lib_log", "I*1", 64, 1, 0, FLX_RET_INTEGER, 4, 0, true, "int lib_log(const char *fmt, ...)"},
    {"lib_vlog", "I*1 I*24V", 0, 2, 0, FLX_RET_INTEGER, 4, 0, false,
     "int lib_vlog(const char *fmt, va_list ap)"},
    /* Unknown pointee sizes are 0; a function pointer is no data pointer. */
    {"lib_ptrs", "I*24 I*0 I*4 I*0 I", 0, 5, 0, FLX_RET_VOID, 0, 0, false,
     "void lib_ptrs(struct s24 *p, void *v, const int *i, struct opaque *o, void (*cb)(int))"},
    {"lib_void", "", 0, 0, 0, FLX_RET_VOID, 0, 0, false, "void lib_void(void)"},
    /* A FILE *, also through a typedef of the pointer; struct _IO_FILE is 216 bytes. */
    {"lib_fput", "I*216F I*1", 0, 2, 0, FLX_RET_INTEGER, 4, 0, false,
     "int lib_fput(FILE *f, const char *s)"},
    {"lib_ftell", "I*216F", 0, 1, 0, FLX_RET_INTEGER, 8, 0, false, NULL},
    {"lib_fopen", "I*1", 0, 1, 0, FLX_RET_INTEGER, 8, 0, false, NULL},
    /* COMPLEX_X87: st(0) and st(1), no hidden pointer (it was one before a review). */
    {"r_cld", "", 0, 0, 0, FLX_RET_X87, 32, 0, false, NULL},
    /* _Float64x is long double's format, named apart: memory, st(0) (review). */
    {"r_f64x", "M@0", 16, 0, 0, FLX_RET_X87, 16, 0, false, NULL},
    {"r_v4f", "S", 0, 0, 1, FLX_RET_SSE, 16, 0, false, NULL},
    /* 32 bytes but no long double: memory, through a hidden pointer (review). */
    {"r_cf128", "", 0, 1, 0, FLX_RET_MEMORY, 32, 32, false, NULL},
};

static char *path_in(const char *name)
{
	char *p = NULL;
	ck_assert_int_ge(asprintf(&p, "%s/%s", dir, name), 0);
	return p;
}

static void write_to(const char *name, const char *text)
{
	char *p = path_in(name);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
	free(p);
}

static void compile(const char *src, const char *obj, const char *flags)
{
	char *cmd = NULL;
	ck_assert_int_ge(asprintf(&cmd, "cd %s && cc %s -c -o %s %s", dir, flags, obj, src), 0);
	ck_assert_msg(system(cmd) == 0, "%s failed", cmd);
	free(cmd);
}

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	write_to("types.h", types_h);
	write_to("lib.c", lib_c);
	compile("lib.c", "lib.o", "-g -O0");
	compile("lib.c", "lib-nodebug.o", "-O2");
	/* Through an archive too: libdwfl reads (and relocates) its members. */
	char *cmd = NULL;
	ck_assert_int_ge(asprintf(&cmd, "cd %s && ar rc liblib.a lib.o", dir), 0);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

static void teardown(void)
{
	char *cmd = NULL;
	ck_assert_int_ge(asprintf(&cmd, "rm -rf %s", dir), 0);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	strcpy(dir, "/tmp/check-proto.XXXXXX");
}

/* The tokens of the row format for p's arguments. */
static void describe_args(const struct flx_proto *p, char *buf, size_t len)
{
	static const char cls[] = {'I', 'S', 'X', 'M'};
	size_t n = 0;

	buf[0] = 0;
	for (uint32_t i = 0; i < p->nargs && n < len; i++) {
		const struct flx_proto_arg *a = &p->args[i];
		n += (size_t)snprintf(buf + n, len - n, "%s%c", i ? " " : "", cls[a->cls]);
		if (a->pointer && n < len)
			n += (size_t)snprintf(buf + n, len - n, "*%u", a->pointee_size);
		if (a->file && n < len)
			n += (size_t)snprintf(buf + n, len - n, "F");
		if (a->va_list && n < len)
			n += (size_t)snprintf(buf + n, len - n, "V");
		if (a->stack && n < len)
			n += (size_t)snprintf(buf + n, len - n, "@%u", a->stack_offset);
	}
}

static void check_row(const struct row *r, const struct flx_proto *p)
{
	char args[256];

	describe_args(p, args, sizeof(args));
	ck_assert_msg(!strcmp(args, r->args), "%s: arguments '%s', expected '%s'", r->fn, args,
		      r->args);
	ck_assert_msg(p->stack_bytes == r->stack_bytes, "%s: stack_bytes %u, expected %u", r->fn,
		      p->stack_bytes, r->stack_bytes);
	ck_assert_msg(p->int_regs == r->int_regs && p->sse_regs == r->sse_regs,
		      "%s: %u integer and %u vector registers, expected %u and %u", r->fn,
		      p->int_regs, p->sse_regs, r->int_regs, r->sse_regs);
	ck_assert_msg(p->ret == r->ret && p->ret_size == r->ret_size &&
			  p->sret_size == r->sret_size,
		      "%s: result class %d size %u sret %u, expected %d size %u sret %u", r->fn,
		      p->ret, p->ret_size, p->sret_size, r->ret, r->ret_size, r->sret_size);
	ck_assert_msg(p->variadic == r->variadic, "%s: variadic %d", r->fn, p->variadic);
	if (r->text)
		ck_assert_msg(p->text && !strcmp(p->text, r->text),
			      "%s: rendered '%s', expected '%s'", r->fn,
			      p->text ? p->text : "(null)", r->text);
}

START_TEST(classifies_definitions)
{
	const struct row *r = &rows[_i];
	struct flx_proto p = {0};
	char *obj = path_in("lib.o");

	ck_assert_int_eq(flx_proto_read(obj, r->fn, true, &p), 1);
	ck_assert_int_eq(p.source, FLX_PROTO_DWARF);
	ck_assert_msg(p.origin && strstr(p.origin, "lib.o (definition)"), "origin %s", p.origin);
	check_row(r, &p);
	flx_proto_free(&p);
	free(obj);
}
END_TEST

/*
 * The registers a result takes (the gate clears the others under intel-mpk:
 * FLEXOS_ENTRY_RET_*): by the eightbytes' classes, not the size (a 16-byte
 * vector takes xmm0 alone).
 */
START_TEST(counts_result_registers)
{
	static const struct {
		const char *fn;
		unsigned nint, nsse;
	} rets[] = {{"lib_i128", 2, 0}, {"r_s16d", 0, 2},    {"r_v4f", 0, 1},
		    {"r_s16m", 1, 1},   {"lib_scale", 0, 1}, {"lib_s8i", 1, 0}};
	char *obj = path_in("lib.o");

	for (size_t i = 0; i < sizeof(rets) / sizeof(rets[0]); i++) {
		struct flx_proto p = {0};
		ck_assert_int_eq(flx_proto_read(obj, rets[i].fn, true, &p), 1);
		ck_assert_msg(
		    p.ret_int_regs == rets[i].nint && p.ret_sse_regs == rets[i].nsse,
		    "%s: result in %u integer and %u vector registers, expected %u and %u",
		    rets[i].fn, p.ret_int_regs, p.ret_sse_regs, rets[i].nint, rets[i].nsse);
		flx_proto_free(&p);
	}
	free(obj);
}
END_TEST

/*
 * Types whose registers the DWARF does not tell: a vector wider than 16
 * bytes (ymm, or memory without -mavx), alone or in a struct, and
 * _Decimal64 (a vector register, not an integer one): the prototype is
 * assumed (-1), never classified wrongly.
 */
START_TEST(unclassified_types_are_assumed)
{
	static const char *const fns[] = {"lib_sw", "lib_v8", "lib_dec"};
	char *obj = path_in("lib.o");

	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		struct flx_proto p = {0};
		ck_assert_msg(flx_proto_read(obj, fns[i], true, &p) == -1, "%s classified", fns[i]);
		ck_assert_int_eq(p.source, FLX_PROTO_ASSUMED);
		flx_proto_free(&p);
	}
	free(obj);
}
END_TEST

/* A FILE * result is told apart from other pointers; the declaration's place is kept. */
START_TEST(tells_file_results)
{
	static const char *const fns[] = {"lib_fopen", "lib_fput", "lib_ptrs", "lib_void"};
	char *obj = path_in("lib.o");

	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		struct flx_proto p = {0};
		ck_assert_int_eq(flx_proto_read(obj, fns[i], true, &p), 1);
		ck_assert_msg(p.ret_file == (i == 0), "%s: ret_file %d", fns[i], p.ret_file);
		ck_assert_msg(p.where && strstr(p.where, "/lib.c:"), "%s: where %s", fns[i],
			      p.where ? p.where : "(null)");
		flx_proto_free(&p);
	}
	free(obj);
}
END_TEST

/* The gate's fast path: integer registers in, rax out, nothing else. */
START_TEST(tells_the_fast_path)
{
	static const struct {
		const char *fn;
		bool fast;
	} cases[] = {
	    {"lib_s8i", true},   {"lib_s16i", true},   {"lib_ptrs", true},  {"lib_void", true},
	    {"lib_i128", true},  {"lib_scale", false}, {"lib_sum7", false}, {"lib_s16m", false},
	    {"lib_log", false},  {"r_s24", false},     {"lib_ld", false},   {"r_s16m", false},
	    {"lib_sbits", true},
	};
	char *obj = path_in("lib.o");

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct flx_proto p = {0};
		ck_assert_int_eq(flx_proto_read(obj, cases[i].fn, true, &p), 1);
		ck_assert_msg(flx_proto_int_regs_only(&p) == cases[i].fast, "%s: fast path %d",
			      cases[i].fn, !cases[i].fast);
		flx_proto_free(&p);
	}
	struct flx_proto assumed = {0};
	flx_proto_assume(&assumed, NULL);
	ck_assert(!flx_proto_int_regs_only(&assumed));
	free(obj);
}
END_TEST

START_TEST(reads_archive_members)
{
	struct flx_proto p = {0};
	char *ar = path_in("liblib.a");

	ck_assert_int_eq(flx_proto_read(ar, "lib_mix12", true, &p), 1);
	ck_assert_msg(strstr(p.origin, "liblib.a(lib.o)"), "origin %s", p.origin);
	check_row(&rows[4], &p);
	flx_proto_free(&p);
	free(ar);
}
END_TEST

/* A caller's declarations carry the same prototypes as the definitions. */
START_TEST(classifies_caller_declarations)
{
	static const char app_c[] =
	    "#include \"types.h\"\n"
	    "double lib_mix12(long, long, long, long, long, long, long, double, double,\n"
	    "                 struct s16i, float, struct s16m);\n"
	    "struct s64 r_s64(long, long, long, long, long, long);\n"
	    "int lib_log(const char *fmt, ...);\n"
	    "int lib_vlog(const char *fmt, va_list ap);\n"
	    "double lib_scale(double x, int k);\n"
	    "void *refs[] = {lib_mix12, r_s64, lib_log, lib_vlog};\n"
	    "double app(void)\n"
	    "{\n"
	    "\textern __typeof__(lib_scale) __flexos_gate__lib__lib_scale;\n"
	    "\treturn __flexos_gate__lib__lib_scale(2.5, 3);\n"
	    "}\n";
	static const size_t which[] = {4, 26, 31, 32};
	struct flx_proto p = {0};
	char *obj = path_in("app.o");

	write_to("app.c", app_c);
	compile("app.c", "app.o", "-g -O0");
	ck_assert_int_eq(flx_proto_read(obj, "lib_mix12", true, &p), 0);
	for (size_t k = 0; k < sizeof(which) / sizeof(which[0]); k++) {
		ck_assert_int_eq(flx_proto_read(obj, rows[which[k]].fn, false, &p), 1);
		ck_assert_msg(strstr(p.origin, "app.o (declaration)"), "origin %s", p.origin);
		struct row r = rows[which[k]];
		r.text = NULL; /* the declarations name no parameters */
		check_row(&r, &p);
	}
	/* flexos_gate's __typeof__ declaration, in a block of the caller. */
	ck_assert_int_eq(flx_proto_read(obj, "__flexos_gate__lib__lib_scale", false, &p), 1);
	struct row gate = rows[0];
	gate.text = "double __flexos_gate__lib__lib_scale(double, int)";
	check_row(&gate, &p);
	flx_proto_free(&p);
	free(obj);
}
END_TEST

START_TEST(no_dwarf_is_assumed)
{
	struct flx_proto p = {0};
	char *obj = path_in("lib-nodebug.o");

	ck_assert_int_eq(flx_proto_read(obj, "lib_scale", false, &p), 0);
	flx_proto_assume(&p, NULL);
	ck_assert_int_eq(p.source, FLX_PROTO_ASSUMED);
	ck_assert_uint_eq(p.stack_bytes, FLX_PROTO_STACK_WINDOW);
	ck_assert_uint_eq(p.stack_bytes, 64);
	ck_assert_uint_eq(p.sret_size, 0);
	ck_assert_int_eq(p.ret, FLX_RET_ALL);
	ck_assert_uint_eq(p.int_regs, 6);
	ck_assert_uint_eq(p.sse_regs, 8);
	flx_proto_free(&p);
	free(obj);
}
END_TEST

START_TEST(reads_headers)
{
	static const char hdr_h[] = "#include \"types.h\"\n"
				    "double h_scale(double x, int k);\n"
				    "struct s24 h_mk(long a);\n"
				    "int h_log(const char *fmt, ...);\n";
	char *fns[] = {"h_scale", "h_missing", "h_mk", "h_log"};
	char *headers[] = {"hdr.h"};
	char *cflags[] = {NULL};
	struct flx_proto p[4] = {0};
	size_t bad = 99;
	char *message = NULL;

	write_to("hdr.h", hdr_h);
	ck_assert_int_ge(asprintf(&cflags[0], "-I%s", dir), 0);
	ck_assert_int_eq(flx_proto_from_headers(headers, 1, cflags, 1, fns, 4, p, &bad, &message),
			 0);
	ck_assert_ptr_null(message);
	ck_assert_int_eq(p[0].source, FLX_PROTO_HEADER);
	check_row(&(struct row){"h_scale", "S I", 0, 1, 1, FLX_RET_SSE, 8, 0, false,
				"double h_scale(double, int)"},
		  &p[0]);
	ck_assert_int_eq(p[1].source, FLX_PROTO_ASSUMED);
	ck_assert_str_eq(p[1].note, "header hdr.h does not declare it");
	ck_assert_int_eq(p[2].source, FLX_PROTO_HEADER);
	check_row(&(struct row){"h_mk", "I", 0, 2, 0, FLX_RET_MEMORY, 24, 24, false, NULL}, &p[2]);
	check_row(&(struct row){"h_log", "I*1", 64, 1, 0, FLX_RET_INTEGER, 4, 0, true, NULL},
		  &p[3]);
	for (int i = 0; i < 4; i++)
		flx_proto_free(&p[i]);
	free(cflags[0]);
}
END_TEST

START_TEST(bad_header_is_an_error)
{
	char *fns[] = {"h_scale"};
	char *headers[] = {"types.h", "nothere.h"};
	char *cflags[] = {NULL};
	struct flx_proto p = {0};
	size_t bad = 99;
	char *message = NULL;

	ck_assert_int_ge(asprintf(&cflags[0], "-I%s", dir), 0);
	ck_assert_int_eq(flx_proto_from_headers(headers, 2, cflags, 1, fns, 1, &p, &bad, &message),
			 -1);
	ck_assert_uint_eq(bad, 1);
	ck_assert_msg(message && strstr(message, "nothere.h") && strstr(message, "error"),
		      "message: %s", message);
	free(message);
	flx_proto_free(&p);
	free(cflags[0]);
}
END_TEST

/* ---- through a plan: the order of the sources, and what is refused ---- */

static struct flc_config cfg;
static struct flp_plan plan;

static int plan_protos(const char *yaml, const char *app, const char *lib)
{
	char *argv[2] = {path_in(app), path_in(lib)};
	FILE *err = fopen("/dev/null", "w");
	int ret;

	ck_assert_int_eq(flc_parse_string("flexos.yaml", yaml, strlen(yaml), &cfg, err), 0);
	fclose(err);
	ck_assert_int_eq(flp_build(&plan, &cfg, 2, argv), 0);
	ret = flx_find_protos(&plan);
	free(argv[0]);
	free(argv[1]);
	return ret;
}

static void plan_free(void)
{
	flp_free(&plan);
	flc_free(&cfg);
}

static const struct flp_gate *gate_of(const char *fn)
{
	for (size_t g = 0; g < plan.ngates; g++)
		if (!strcmp(plan.gates[g].fn, fn))
			return &plan.gates[g];
	ck_abort_msg("no gate for %s", fn);
	return NULL;
}

static const char app_calls[] =
    "#include \"types.h\"\n"
    "double lib_scale(double x, int k);\n"
    "struct s64 r_s64(long, long, long, long, long, long);\n"
    "double app(void) { return lib_scale(1, 2) + r_s64(1, 2, 3, 4, 5, 6).d[0]; }\n";

static const char process_yaml[] = "compartments:\n- app:\n  mechanism: process\n  default: True\n"
				   "- sb:\n  mechanism: process\nlibraries:\n- lib: sb\n"
				   "  inputs: [lib*.o]\n";

START_TEST(plan_prefers_callee_definition)
{
	write_to("app.c", app_calls);
	compile("app.c", "app.o", "-g");
	ck_assert_int_eq(plan_protos(process_yaml, "app.o", "lib.o"), 0);
	const struct flp_gate *g = gate_of("lib_scale");
	ck_assert_int_eq(g->proto.source, FLX_PROTO_DWARF);
	ck_assert_msg(strstr(g->proto.origin, "lib.o (definition)"), "%s", g->proto.origin);
	check_row(&rows[0], &g->proto);
	check_row(&rows[26], &gate_of("r_s64")->proto);
	plan_free();
}
END_TEST

/* A callback stub's prototype is its target's: the definition in the library. */
START_TEST(plan_reads_callback_targets)
{
	char *yaml = NULL;

	write_to("app.c", app_calls);
	compile("app.c", "app.o", "");
	ck_assert_int_ge(asprintf(&yaml, "%s  callbacks: [lib_d9]\n", process_yaml), 0);
	ck_assert_int_eq(plan_protos(yaml, "app.o", "lib.o"), 0);
	const struct flp_gate *g = gate_of("lib_d9");
	ck_assert(g->callback);
	ck_assert_str_eq(g->symbol, "__flexos_cb__lib__lib_d9");
	ck_assert_int_eq(g->proto.source, FLX_PROTO_DWARF);
	check_row(&rows[5], &g->proto);
	plan_free();
	free(yaml);
}
END_TEST

START_TEST(plan_falls_back_to_caller_declaration)
{
	write_to("app.c", app_calls);
	compile("app.c", "app.o", "-g");
	ck_assert_int_eq(plan_protos(process_yaml, "app.o", "lib-nodebug.o"), 0);
	const struct flp_gate *g = gate_of("r_s64");
	ck_assert_int_eq(g->proto.source, FLX_PROTO_DWARF);
	ck_assert_msg(strstr(g->proto.origin, "app.o (declaration)"), "%s", g->proto.origin);
	check_row(&rows[26], &g->proto);
	plan_free();
}
END_TEST

START_TEST(plan_falls_back_to_headers_then_assumed)
{
	char *yaml = NULL;

	write_to("app.c", app_calls);
	write_to("hdr.h", "#include \"types.h\"\ndouble lib_scale(double x, int k);\n");
	compile("app.c", "app.o", "");
	ck_assert_int_ge(
	    asprintf(&yaml, "%s  headers: [hdr.h]\n  cflags: [-I%s]\n", process_yaml, dir), 0);
	ck_assert_int_eq(plan_protos(yaml, "app.o", "lib-nodebug.o"), 0);
	const struct flp_gate *g = gate_of("lib_scale");
	ck_assert_int_eq(g->proto.source, FLX_PROTO_HEADER);
	ck_assert_str_eq(g->proto.origin, "hdr.h");
	struct row r = rows[0];
	r.text = "double lib_scale(double, int)";
	check_row(&r, &g->proto);
	g = gate_of("r_s64");
	ck_assert_int_eq(g->proto.source, FLX_PROTO_ASSUMED);
	ck_assert_str_eq(g->proto.note, "header hdr.h does not declare it");
	ck_assert_uint_eq(g->proto.stack_bytes, 64);
	plan_free();
	free(yaml);
}
END_TEST

START_TEST(plan_refuses_va_list_across_private_stacks)
{
	static const char app_c[] = "#include \"types.h\"\n"
				    "int lib_vlog(const char *fmt, va_list ap);\n"
				    "int app(const char *f, ...)\n"
				    "{ va_list ap; va_start(ap, f); int r = lib_vlog(f, ap); "
				    "va_end(ap); return r; }\n";
	static const char shared_yaml[] = "compartments:\n- app:\n  mechanism: intel-mpk\n"
					  "  default: True\n  stack: shared\n- sb:\n"
					  "  mechanism: intel-mpk\n  stack: shared\nlibraries:\n"
					  "- lib: sb\n  inputs: [lib*.o]\n";
	write_to("app.c", app_c);
	compile("app.c", "app.o", "-g");
	ck_assert_int_eq(plan_protos(process_yaml, "app.o", "lib.o"), -1);
	ck_assert(gate_of("lib_vlog")->proto.args[1].va_list);
	plan_free();
	ck_assert_int_eq(plan_protos(shared_yaml, "app.o", "lib.o"), 0);
	ck_assert(gate_of("lib_vlog")->proto.args[1].va_list);
	plan_free();
}
END_TEST

/*
 * A FILE * means something to one C library only: refused between
 * processes, and between a 'libc: newlib' compartment and another, in
 * either direction (a callback too); allowed where one glibc serves all.
 */
START_TEST(plan_refuses_file_across_libcs)
{
	static const char app_c[] = "#include \"types.h\"\n"
				    "int lib_fput(FILE *f, const char *s);\n"
				    "FILE *lib_fopen(const char *p);\n"
				    "int app(void) { return lib_fput(stdout, \"x\"); }\n"
				    "FILE *app2(void) { return lib_fopen(\"x\"); }\n";
	static const char mpk_yaml[] = "compartments:\n- app:\n  mechanism: intel-mpk\n"
				       "  default: True\n- sb:\n  mechanism: intel-mpk\n"
				       "libraries:\n- lib: sb\n  inputs: [lib*.o]\n";
	static const char newlib_yaml[] = "compartments:\n- app:\n  mechanism: intel-mpk\n"
					  "  default: True\n- sb:\n  mechanism: intel-mpk\n"
					  "  libc: newlib\nlibraries:\n- lib: sb\n"
					  "  inputs: [lib*.o]\n";
	static const char cb_yaml[] = "compartments:\n- app:\n  mechanism: process\n"
				      "  default: True\n- sb:\n  mechanism: process\n"
				      "libraries:\n- lib: sb\n  inputs: [lib*.o]\n"
				      "  callbacks: [lib_fput]\n";
	write_to("app.c", app_c);
	compile("app.c", "app.o", "");
	ck_assert_int_eq(plan_protos(process_yaml, "app.o", "lib.o"), -1);
	ck_assert(gate_of("lib_fput")->proto.args[0].file);
	ck_assert(gate_of("lib_fopen")->proto.ret_file);
	plan_free();
	ck_assert_int_eq(plan_protos(mpk_yaml, "app.o", "lib.o"), 0);
	plan_free();
	ck_assert_int_eq(plan_protos(newlib_yaml, "app.o", "lib.o"), -1);
	plan_free();

	write_to("app.c", "int app(void) { return 0; }\n");
	compile("app.c", "app.o", "");
	ck_assert_int_eq(plan_protos(process_yaml, "app.o", "lib.o"), 0);
	plan_free();
	ck_assert_int_eq(plan_protos(cb_yaml, "app.o", "lib.o"), -1);
	ck_assert(gate_of("lib_fput")->callback);
	plan_free();
}
END_TEST

Suite *proto_suite(void)
{
	Suite *s = suite_create("proto");
	TCase *dwarf = tcase_create("dwarf");
	TCase *plans = tcase_create("plan");

	tcase_add_unchecked_fixture(dwarf, setup, teardown);
	tcase_add_loop_test(dwarf, classifies_definitions, 0, sizeof(rows) / sizeof(rows[0]));
	tcase_add_test(dwarf, tells_the_fast_path);
	tcase_add_test(dwarf, counts_result_registers);
	tcase_add_test(dwarf, unclassified_types_are_assumed);
	tcase_add_test(dwarf, tells_file_results);
	tcase_add_test(dwarf, reads_archive_members);
	tcase_add_test(dwarf, classifies_caller_declarations);
	tcase_add_test(dwarf, no_dwarf_is_assumed);
	tcase_add_test(dwarf, reads_headers);
	tcase_add_test(dwarf, bad_header_is_an_error);
	suite_add_tcase(s, dwarf);

	tcase_add_unchecked_fixture(plans, setup, teardown);
	tcase_add_test(plans, plan_prefers_callee_definition);
	tcase_add_test(plans, plan_reads_callback_targets);
	tcase_add_test(plans, plan_falls_back_to_caller_declaration);
	tcase_add_test(plans, plan_falls_back_to_headers_then_assumed);
	tcase_add_test(plans, plan_refuses_va_list_across_private_stacks);
	tcase_add_test(plans, plan_refuses_file_across_libcs);
	suite_add_tcase(s, plans);
	return s;
}
