/*
 * tests/integration/longjmp.sh: longjmp back across gates, in both
 * directions. Argument: a (the error of a callback comes back to the
 * library's setjmp through two gates, as in Lua), b (the library calls
 * the application's error handler, which jumps to the application's
 * setjmp, as libpng and libjpeg do), stale (a jump to a jmp_buf whose
 * frame has returned), stale-lib (the library's own jump to its jmp_buf
 * whose gate call has returned), png (the library jumps to the application's
 * jmp_buf itself, as libpng's png_longjmp), tamper (the library rewrites
 * the jmp_buf, in shared memory, before the handler jumps with it), mask
 * (sigsetjmp with the signal mask, changed by the handler before its
 * siglongjmp), threads (case b in 4 threads at once, then in 300 threads
 * one after the other, each ending right after its jump), vec (the
 * library jumps to the application's jmp_buf with its words in vector
 * registers and its rounding in the MXCSR and the x87 control word).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <flexos/flexos.h>

int lib_protected(int (*fn)(int), int x);
void lib_raise(int code);
int lib_run(void (*on_error)(int), int x);
int lib_apply(int (*fn)(int), int x);
void *lib_save(void);
void lib_jump_saved(void);
void lib_fail_to(jmp_buf *env, int code);
void lib_fail_to_vec(jmp_buf *env, int code);
int lib_tamper(void (*on_error)(int), jmp_buf *env);

static jmp_buf app_env;
static jmp_buf shared_env FLEXOS_SHARED;
static sigjmp_buf mask_env;
static __thread jmp_buf thread_env;

int cb_raise(int x)
{
	if (x > 0)
		lib_raise(x + 1);
	return x;
}

void cb_fail(int code)
{
	longjmp(app_env, code);
}

void cb_fail_shared(int code)
{
	longjmp(shared_env, code);
}

void cb_mask_fail(int code)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR2);
	sigprocmask(SIG_BLOCK, &s, NULL);
	siglongjmp(mask_env, code);
}

void cb_fail_thread(int code)
{
	longjmp(thread_env, code);
}

int cb_twice(int x)
{
	return 2 * x;
}

/* One more jump, each time, from deeper: the gate state must come back every time. */
static int case_a(void)
{
	long sum = 0;
	for (int i = 0; i < 1000; i++)
		sum += lib_protected(cb_raise, i);
	/* i = 0: the callback returns 0 * 1000; the others: i + 1 */
	return printf("a: %d %ld %d %d\n", lib_protected(cb_raise, 41), sum,
		      lib_apply(cb_twice, 20), lib_protected(cb_raise, 0));
}

static int case_b(void)
{
	volatile long sum = 0;
	volatile int i = 0;
	/* More than the gate page's 3944 calls deep, were each jump to leave two behind. */
	for (i = 0; i < 3000; i++) {
		int v = setjmp(app_env);
		if (v) {
			sum += v;
			continue;
		}
		sum += lib_run(cb_fail, -(i + 1)) * 1000;
	}
	int v = setjmp(app_env);
	if (!v)
		v = lib_run(cb_fail, 5);
	return printf("b: %ld %d %d\n", (long)sum, v, lib_apply(cb_twice, 20));
}

static int case_png(void)
{
	volatile long sum = 0;
	volatile int i;
	for (i = 1; i <= 100; i++) {
		int v = setjmp(app_env);
		if (v)
			sum += v;
		else
			lib_fail_to(&app_env, i);
	}
	return printf("png: %ld %d\n", (long)sum, lib_apply(cb_twice, 20));
}

/* The library jumps to the application's jmp_buf with its words in xmm2 and xmm3. */
static int case_vec(void)
{
	long x2 = 0, x3 = 0;
	unsigned mxcsr = 0x5f80; /* upwards, in both: not the defaults */
	unsigned short cw = 0x0b7f;

	__asm__ volatile("ldmxcsr %0\n\tfldcw %1" : : "m"(mxcsr), "m"(cw));
	if (setjmp(app_env)) {
		_Alignas(16) unsigned char area[512];
		int x87 = 0;

		__asm__ volatile("movq %%xmm2, %0\n\tmovq %%xmm3, %1" : "=r"(x2), "=r"(x3));
		__asm__ volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(mxcsr), "=m"(cw));
		__asm__ volatile("fxsave %0" : "=m"(area));
		for (int i = 0; i < 8; i++) /* the library's long double (ljmp-lib.c) */
			x87 += !memcmp(area + 32 + 16 * i,
				       "\xaf\x1e\xaf\x1e\xaf\x1e\xaf\x9e\x02\x40", 10);
		return printf("vec: the application found %#lx and %#lx in xmm2 and xmm3%s; MXCSR "
			      "control %#x, x87 control word %#x; %d of the library's values in the "
			      "x87 registers\n",
			      (unsigned long)x2, (unsigned long)x3,
			      x2 == 0x5ec7e7beefL || x3 == 0x5ec7e7beefL ? ": the library's" : "",
			      mxcsr & ~0x3fu, cw, x87);
	}
	lib_fail_to_vec(&app_env, 1);
	return 0;
}

static int case_tamper(void)
{
	int v = setjmp(shared_env);
	if (!v)
		v = lib_tamper(cb_fail_shared, &shared_env);
	return printf("tamper: %d %d\n", v, lib_apply(cb_twice, 20));
}

static void *thread_b(void *arg)
{
	volatile long sum = 0;
	volatile int i;
	for (i = 0; i < (int)(intptr_t)arg; i++) {
		int v = setjmp(thread_env);
		if (v) {
			sum += v;
			continue;
		}
		sum += lib_run(cb_fail_thread, -(i + 1)) * 1000;
	}
	return (void *)(intptr_t)sum;
}

static long join_sum(int n, pthread_t *t)
{
	long sum = 0;
	for (int i = 0; i < n; i++) {
		void *r;
		if (pthread_join(t[i], &r))
			return -1;
		sum += (long)(intptr_t)r;
	}
	return sum;
}

static int case_threads(void)
{
	pthread_t t[4];
	long together, one_by_one = 0;
	for (int i = 0; i < 4; i++)
		if (pthread_create(&t[i], NULL, thread_b, (void *)(intptr_t)500))
			return printf("threads: cannot create\n");
	together = join_sum(4, t);
	/* Each thread's chain ends while the library sits in the frames its jump abandoned. */
	for (int i = 0; i < 300; i++) {
		if (pthread_create(&t[0], NULL, thread_b, (void *)(intptr_t)1))
			return printf("threads: cannot create\n");
		one_by_one += join_sum(1, t);
	}
	return printf("threads: %ld %ld %d\n", together, one_by_one, lib_apply(cb_twice, 20));
}

/* SIGUSR1 blocked at the sigsetjmp, SIGUSR2 by the handler: the jump restores the first. */
static int case_mask(void)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigprocmask(SIG_BLOCK, &s, NULL);
	int v = sigsetjmp(mask_env, 1);
	if (!v)
		v = lib_run(cb_mask_fail, -3);
	sigprocmask(SIG_BLOCK, NULL, &s);
	return printf("mask: %d %d %d\n", v, sigismember(&s, SIGUSR1), sigismember(&s, SIGUSR2));
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "a";
	if (!strcmp(what, "a"))
		case_a();
	else if (!strcmp(what, "b"))
		case_b();
	else if (!strcmp(what, "png"))
		case_png();
	else if (!strcmp(what, "tamper"))
		case_tamper();
	else if (!strcmp(what, "vec"))
		case_vec();
	else if (!strcmp(what, "mask"))
		case_mask();
	else if (!strcmp(what, "threads"))
		case_threads();
	else if (!strcmp(what, "stale")) {
		jmp_buf *gone = lib_save();
		printf("stale: jumping\n");
		fflush(stdout);
		longjmp(*gone, 1);
	} else if (!strcmp(what, "stale-lib")) {
		lib_save();
		printf("stale-lib: jumping\n");
		fflush(stdout);
		lib_jump_saved();
	} else
		return 2;
	return 0;
}
