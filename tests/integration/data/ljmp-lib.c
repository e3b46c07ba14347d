/* tests/integration/longjmp.sh: a library with setjmp/longjmp error handling. */
#include <setjmp.h>
#include <string.h>

static jmp_buf lib_env;
static jmp_buf returned_env;

/* Case (a), as lua_pcall: the callback's error comes back here through lib_raise. */
int lib_protected(int (*fn)(int), int x)
{
	int v = setjmp(lib_env);
	if (v)
		return v;
	return fn(x) * 1000;
}

/* As lua_error: called by the callback, from the application's compartment. */
void lib_raise(int code)
{
	longjmp(lib_env, code);
}

/* Case (b), as libpng: the application's error handler does not return. */
int lib_run(void (*on_error)(int), int x)
{
	if (x < 0)
		on_error(-x);
	return x + 1;
}

/* A plain callback call, to check the gate state after a jump. */
int lib_apply(int (*fn)(int), int x)
{
	return fn(x) + 1;
}

/* A setjmp whose frame returns: its jmp_buf is stale afterwards. */
__attribute__((noinline)) void *lib_save(void)
{
	if (setjmp(returned_env))
		return 0;
	return &returned_env;
}

/* The library's own jump to the setjmp of lib_save, whose call has returned. */
void lib_jump_saved(void)
{
	longjmp(returned_env, 1);
}

/* As libpng's png_longjmp: the library jumps to the application's jmp_buf itself. */
void lib_fail_to(jmp_buf *env, int code)
{
	longjmp(*env, code);
}

/*
 * The same, with words of the library's in xmm2 and xmm3 and the x87
 * registers, and its own rounding (toward zero) and flush-to-zero in the
 * MXCSR and the x87 control word when it jumps: the application must
 * find none of them (vec).
 */
void lib_fail_to_vec(jmp_buf *env, int code)
{
	unsigned mxcsr = 0xffc0;
	unsigned short cw = 0x0c7f;
	/* A long double of its own (mantissa 0x9eaf..., exponent 0x4002) in all eight x87 registers. */
	_Alignas(16) unsigned char ld[16] = {0xaf, 0x1e, 0xaf, 0x1e, 0xaf, 0x1e, 0xaf, 0x9e, 0x02, 0x40};

	__asm__ volatile(".rept 8\n\tfldt %0\n\t.endr\n\t.rept 8\n\tfstp %%st(0)\n\t.endr" : : "m"(ld));
	__asm__ volatile("ldmxcsr %0\n\tfldcw %1" : : "m"(mxcsr), "m"(cw));
	__asm__ volatile("movq %0, %%xmm2\n\tmovq %0, %%xmm3" : : "r"(0x5ec7e7beefL) : "xmm2", "xmm3");
	longjmp(*env, code);
}

/*
 * A compromised library rewrites the jmp_buf it can write (the application
 * put it in shared memory) before it calls the error handler.
 */
int lib_tamper(void (*on_error)(int), jmp_buf *env)
{
	memset(env, 0x41, sizeof(*env));
	on_error(9);
	return 0;
}
