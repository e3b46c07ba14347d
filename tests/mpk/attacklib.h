/* The two libraries of the MPK test image: attacklib.c built twice. */
#ifndef ATTACKLIB_H
#define ATTACKLIB_H

#include <stdint.h>
#include <ucontext.h>

/* What where() returns the address of. */
enum { KIND_DATA, KIND_BSS, KIND_HEAP, KIND_STACK, NKINDS };

/* A result in memory (sret): the gate's carry path. */
struct lib_words {
	long w[4];
};

#define ATTACKLIB_API(n)                                                              \
	uintptr_t lib##n##_where(int kind);                                           \
	long lib##n##_probe(uintptr_t addr, int write);                               \
	long lib##n##_add(long a, long b);                                            \
	long lib##n##_sum8(long, long, long, long, long, long, long, long);           \
	struct lib_words lib##n##_words(long x);                                      \
	long lib##n##_call(long (*cb)(long), long x);                                 \
	long lib##n##_fill(long *p, long x);                                          \
	long lib##n##_print(const char *who);                                         \
	long lib##n##_signal(int sig);                                                \
	long lib##n##_sig_install(int sig, uintptr_t at);                             \
	long lib##n##_sig_hijack(int sig, uintptr_t at, int how);                     \
	long lib##n##_sig_seen(long *out);                                            \
	long lib##n##_raise(int sig);                                                 \
	long lib##n##_clobber(void);                                                  \
	long lib##n##_clobber8(long, long, long, long, long, long, long, long);       \
	long lib##n##_seen(int i);                                                    \
	long lib##n##_find(uintptr_t lo, uintptr_t hi, long v);                       \
	long lib##n##_seen_arg(int i);                                                \
	long lib##n##_regs(long a);                                                   \
	long lib##n##_regs7(long, long, long, long, long, long, long);                \
	long lib##n##_narrow(int a, unsigned char b, float x, double y);              \
	long lib##n##_seen_narrow(int i);                                             \
	long lib##n##_stack_pointer(void);                                            \
	long lib##n##_narrow_stack(long, long, long, long, long, long, int g, int h); \
	long lib##n##_leave(void);                                                    \
	int lib##n##_leave_int(void);                                                 \
	float lib##n##_leave_float(void);                                             \
	double lib##n##_leave_double(void);                                           \
	long lib##n##_std(void);                                                      \
	long lib##n##_std8(long, long, long, long, long, long, long, long);           \
	long lib##n##_fpctl(void);                                                    \
	long lib##n##_fpctl8(long, long, long, long, long, long, long, long);         \
	long lib##n##_evex(long w, long mine);                                        \
	long lib##n##_sig_regs(void);                                                 \
	long lib##n##_sig_regs_own(void);                                             \
	long lib##n##_x87(long mant, long exp);                                       \
	long double lib##n##_x87_ld(void);                                            \
	long double lib##n##_x87_ld8(long, long, long, long, long, long, long, long); \
	long double _Complex lib##n##_x87_cld(void);

ATTACKLIB_API(1)
ATTACKLIB_API(2)
/* call with stack arguments (two of them): the gate's carry path. */
long lib1_call8(long (*cb)(long), long x, long c, long d, long e, long f, long g, long h);
long lib2_call8(long (*cb)(long), long x, long c, long d, long e, long f, long g, long h);

/*
 * x87-regs (limit 6): a long double as FXSAVE shows an x87 register (its
 * 10 bytes: the mantissa, then the sign and exponent), whatever its tag.
 * X87_LEAVE(p, n) pushes it n times and pops it again: it stays in the n
 * physical registers below the stack's top (all of them for 8), as values
 * a function's long double code used do. x87_count(p): how many of the 8 registers hold it.
 */
/* signal-regs: the word lib_sig_regs leaves in its registers. */
#define SIG_REGS_SECRET 0x5ec2e75ec2e70001ull

/* How many of a signal frame's general and xmm registers hold it; -1: no XSAVE area. */
static inline long sig_regs_count(const ucontext_t *uc)
{
	long n = 0;

	if (!uc->uc_mcontext.fpregs)
		return -1;
	for (int i = 0; i < NGREG; i++)
		n += (unsigned long long)uc->uc_mcontext.gregs[i] == SIG_REGS_SECRET;
	for (int i = 0; i < 16; i++) {
		uint64_t lo;
		__builtin_memcpy(&lo, uc->uc_mcontext.fpregs->_xmm[i].element, 8);
		n += lo == SIG_REGS_SECRET;
	}
	return n;
}

#define X87_APP_MANT 0xdec2e75ec2e75ec2ull
#define X87_APP_EXP  0x4001
#define X87_LIB_MANT 0x9eaf1eaf1eaf1eafull
#define X87_LIB_EXP  0x4002

struct x87_pat {
	_Alignas(16) unsigned char b[16];
};

static inline struct x87_pat x87_pat(uint64_t mant, uint16_t exp)
{
	struct x87_pat p = {{0}};

	__builtin_memcpy(p.b, &mant, 8);
	__builtin_memcpy(p.b + 8, &exp, 2);
	return p;
}

#define X87_LEAVE(p, n)                                                                        \
	__asm__ volatile(".rept %c1\n\tfldt %0\n\t.endr\n\t.rept %c1\n\tfstp %%st(0)\n\t.endr" \
			 :                                                                     \
			 : "m"(*(p)), "i"(n))

static inline long x87_count(const struct x87_pat *p)
{
	_Alignas(16) unsigned char area[512];
	long n = 0;

	__asm__ volatile("fxsave %0" : "=m"(area));
	for (int i = 0; i < 8; i++)
		n += !__builtin_memcmp(area + 32 + 16 * i, p->b, 10);
	return n;
}

/* The x87 stack's top (status word bits 11-13) and FXSAVE's abridged tags (1: in use). */
static inline unsigned x87_top_tags(void)
{
	_Alignas(16) unsigned char area[512];

	__asm__ volatile("fxsave %0" : "=m"(area));
	return ((unsigned)(area[3] >> 3) & 7) << 8 | area[4];
}

#endif
