/*
 * The application of the process backend's tests (the scripts in tests/process).
 * Usage: tapp MODE [ARGS]; see main() for the modes.
 */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <flexos/flexos.h>

#include "tlib.h"

long shared_var FLEXOS_SHARED = 1000;

static const char *const libs[] = {"ta", "tb", "tc"};

/* Gates by library index. */
static long g_addr(int l, long kind)
{
	long r = 0;
	if (l == 0)
		flexos_gate_r(ta, r, ta_addr, kind);
	if (l == 1)
		flexos_gate_r(tb, r, tb_addr, kind);
	if (l == 2)
		flexos_gate_r(tc, r, tc_addr, kind);
	return r;
}

static long g_probe(int l, long addr, long write)
{
	long r = 0;
	if (l == 0)
		flexos_gate_r(ta, r, ta_probe, addr, write);
	if (l == 1)
		flexos_gate_r(tb, r, tb_probe, addr, write);
	if (l == 2)
		flexos_gate_r(tc, r, tc_probe, addr, write);
	return r;
}

static long g_stack_attack(int l, long attacker, long write)
{
	long r = 0;
	if (l == 0)
		flexos_gate_r(ta, r, ta_stack_attack, attacker, write);
	if (l == 1)
		flexos_gate_r(tb, r, tb_stack_attack, attacker, write);
	if (l == 2)
		flexos_gate_r(tc, r, tc_stack_attack, attacker, write);
	return r;
}

static long g_add(int l, long x, long y)
{
	long r = 0;
	if (l == 0)
		flexos_gate_r(ta, r, ta_add, x, y);
	if (l == 1)
		flexos_gate_r(tb, r, tb_add, x, y);
	if (l == 2)
		flexos_gate_r(tc, r, tc_add, x, y);
	return r;
}

static long g_pid(int l)
{
	long r = 0;
	if (l == 0)
		flexos_gate_r(ta, r, ta_pid, 0);
	if (l == 1)
		flexos_gate_r(tb, r, tb_pid, 0);
	if (l == 2)
		flexos_gate_r(tc, r, tc_pid, 0);
	return r;
}

/* One attack: code of library a touches private memory of library b. */
static int attack(int a, int b, int kind, int write)
{
	long r;

	printf("attack: %s %s %s's %s\n", libs[a], write ? "writes" : "reads", libs[b],
	       kind == KIND_DATA ? ".data" : kind == KIND_BSS ? ".bss" :
	       kind == KIND_HEAP ? "heap object" : "stack variable");
	fflush(stdout);
	if (kind == KIND_STACK) {
		r = g_stack_attack(b, a, write);
	} else {
		long addr = g_addr(b, kind);
		r = g_probe(a, addr, write);
	}
	printf("NOT BLOCKED: got %#lx\n", r);
	return 1;
}

/* Shared memory of every kind works across all pairs. */
static int shared(void)
{
	long *heap_obj = flexos_shared_malloc(sizeof(*heap_obj));
	FLEXOS_SHARED_STACK(long, stack_obj);
	long expect_var = 1000, expect_heap = 5, expect_stack = 7;
	int bad = 0;

	*heap_obj = 5;
	*stack_obj = 7;
	for (int round = 0; round < 3; round++) {
		long r = 0;
		if (round == 0)
			flexos_gate_r(ta, r, ta_shared, heap_obj, stack_obj);
		if (round == 1)
			flexos_gate_r(tb, r, tb_shared, heap_obj, stack_obj);
		if (round == 2)
			flexos_gate_r(tc, r, tc_shared, heap_obj, stack_obj);
		if (r != expect_var + expect_heap + expect_stack)
			bad = 1, printf("shared: %s saw %ld\n", libs[round], r);
		expect_var++, expect_heap += 10, expect_stack += 100;
	}
	if (shared_var != expect_var || *heap_obj != expect_heap || *stack_obj != expect_stack)
		bad = 1;
	printf("shared: section %ld heap %ld stack %ld: %s\n", shared_var, *heap_obj, *stack_obj,
	       bad ? "WRONG" : "ok");
	flexos_shared_free(heap_obj);
	return bad;
}

/* Callbacks and nested gates: ta -> tb -> ta -> tb ... */
static long cb_into_b(long depth, long caller_pid);
static long cb_into_a(long depth, long caller_pid);
static int visits_wrong;

static long cb_into_b(long depth, long caller_pid)
{
	long r;
	(void)caller_pid;
	flexos_gate_r(tb, r, tb_nest, depth, flexos_callback(app, cb_into_a));
	return r;
}

static long cb_into_a(long depth, long caller_pid)
{
	/* Runs in the application's compartment, called back from tb. */
	if (caller_pid == getpid() || strcmp(flexos_compartment_name(), "ca"))
		visits_wrong++;
	if (depth <= 0)
		return 1;
	return 10 * cb_into_b(depth - 1, getpid()) + 1;
}

static int nested(int depth)
{
	long r;
	long expect = 1;

	for (int i = 0; i < depth; i++)
		expect = 10 * expect + 1;
	flexos_gate_r(tb, r, tb_nest, depth, flexos_callback(app, cb_into_a));
	printf("nested: depth %d, result %ld (expected %ld), %d wrong visits, main pid %s tb's\n",
	       depth, r, expect, visits_wrong, g_pid(1) == getpid() ? "==" : "!=");
	return r != expect || visits_wrong || g_pid(1) == getpid();
}

struct worker {
	int id, lib;
	long iters, errors;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	for (long i = 0; i < w->iters; i++) {
		long x = (long)w->id << 32 | i;
		if (g_add(w->lib, x, i) != x + i)
			w->errors++;
	}
	return NULL;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int threads(int n, long iters)
{
	pthread_t t[64];
	struct worker w[64];
	long errors = 0;
	double t0 = now();

	for (int i = 0; i < n; i++) {
		w[i] = (struct worker){.id = i, .lib = 1 + i % 2, .iters = iters};
		pthread_create(&t[i], NULL, work, &w[i]);
	}
	for (int i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		errors += w[i].errors;
	}
	printf("threads: %d x %ld gates, %ld wrong results, %.0f ns per gate (wall)\n", n, iters,
	       errors, (now() - t0) * 1e9 / ((double)n * iters));
	return errors != 0;
}

/* Crashes every `every`-th call of tc_crash; all other results must be right. */
static int crash(long ncrash, long every)
{
	long crashes = 0, wrong = 0, ok = 0;

	for (long i = 0; crashes < ncrash; i++) {
		int want_crash = i % every == every - 1;
		long r;
		flexos_gate_r(tc, r, tc_crash, want_crash, i);
		int err = flexos_last_gate_error();
		if (want_crash) {
			if (r != -1 || err != SIGSEGV)
				wrong++, printf("crash: call %ld returned %ld, error %d\n", i, r, err);
			crashes++;
			/* Restarted from its initial state. */
			long calls;
			flexos_gate_r(tc, calls, tc_calls, 0);
			if (calls != 100)
				wrong++, printf("crash: tc restarted with calls = %ld\n", calls);
		} else if (r != 2 * i + 1 || err) {
			wrong++;
		} else {
			ok++;
		}
		/* Calls into the other compartment are unaffected. */
		if (g_add(1, i, 1) != i + 1)
			wrong++;
	}
	printf("crash: survived %ld crashes, %ld correct results, %ld wrong\n", crashes, ok, wrong);
	return wrong != 0;
}

/* Round-trip gate cost against getppid, in one run; see tests/process/README. */
static int bench(long n)
{
	double t0, gate_spin, gate_sleep, sys;
	long r, spin_default;

	for (long i = 0; i < 10000; i++)
		flexos_gate_r(tb, r, tb_add, i, 1);
	t0 = now();
	for (long i = 0; i < n; i++)
		flexos_gate_r(tb, r, tb_add, i, 1);
	gate_spin = (now() - t0) * 1e9 / n;
	t0 = now();
	for (long i = 0; i < n; i++)
		getppid();
	sys = (now() - t0) * 1e9 / n;

	/* Both sides sleep on the futex at once. */
	extern unsigned flexos__proc_spin;
	spin_default = flexos__proc_spin;
	flexos_gate(tb, tb_set_spin, 0);
	flexos__proc_spin = 0;
	t0 = now();
	for (long i = 0; i < n / 10; i++)
		flexos_gate_r(tb, r, tb_add, i, 1);
	gate_sleep = (now() - t0) * 1e9 / (n / 10);
	flexos__proc_spin = (unsigned)spin_default;
	flexos_gate(tb, tb_set_spin, spin_default);

	printf("bench: getppid %.0f ns; process gate, spinning %.0f ns (%.2fx getppid); "
	       "sleeping %.0f ns (%.2fx getppid)\n",
	       sys, gate_spin, gate_spin / sys, gate_sleep, gate_sleep / sys);
	(void)r;
	return 0;
}

/*
 * regs: app calls tb_regs(int 41, float 1.5) through its gate with its
 * words (REG_MARK) in every argument register those arguments do not
 * use and in the bits of rdi and xmm0 they leave unused; tb records the
 * registers whole. Then tb_leave() returns an int, 7, with tb's words in
 * the rest of rax, in rdx, xmm0 and xmm1. The request and the reply
 * cross shared memory that every compartment maps: each should carry
 * only what the call passes and returns.
 */
#define REG_MARK 0x0a5c0000l
long through_regs(const void *stub);
long through_leave(const void *stub, long *out);
__asm__(".text\n"
	"	.type	through_regs, @function\n"
	"through_regs:\n"
	"	subq	$8, %rsp\n"
	"	movq	%rdi, %r11\n"
	"	movabsq	$0x0a5c000000000029, %rdi\n"
	"	movl	$0x0a5c0000, %eax\n"
	"	movq	%rax, %rsi\n"
	"	movq	%rax, %rdx\n"
	"	movq	%rax, %rcx\n"
	"	movq	%rax, %r8\n"
	"	movq	%rax, %r9\n"
	"	movq	%rax, %xmm8\n"
	"	.irp	k, 1, 2, 3, 4, 5, 6, 7\n"
	"	movq	%rax, %xmm\\k\n"
	"	punpcklqdq %xmm8, %xmm\\k\n"
	"	.endr\n"
	"	movabsq	$0x0a5c00003fc00000, %rax\n"
	"	movq	%rax, %xmm0\n"
	"	punpcklqdq %xmm8, %xmm0\n"
	"	movl	$0x0a5c0000, %eax\n"
	"	call	*%r11\n"
	"	addq	$8, %rsp\n"
	"	ret\n"
	"	.size	through_regs, .-through_regs\n"
	"	.type	through_leave, @function\n"
	"through_leave:\n"
	"	pushq	%rsi\n"
	"	movq	%rdi, %r11\n"
	"	call	*%r11\n"
	"	popq	%rsi\n"
	"	movq	%rax, 0(%rsi)\n"
	"	movq	%rdx, 8(%rsi)\n"
	"	movq	%xmm0, 16(%rsi)\n"
	"	movq	%xmm1, 24(%rsi)\n"
	"	ret\n"
	"	.size	through_leave, .-through_leave\n"
	"	.type	through_regs8, @function\n"
	"through_regs8:\n"
	"	subq	$8, %rsp\n"
	"	movq	%rdi, %r11\n"
	"	movabsq	$0x0a5c000000000008, %rax\n"
	"	pushq	%rax\n"
	"	movabsq	$0x0a5c000000000007, %rax\n"
	"	pushq	%rax\n"
	"	movl	$1, %edi\n"
	"	movl	$2, %esi\n"
	"	movl	$3, %edx\n"
	"	movl	$4, %ecx\n"
	"	movl	$5, %r8d\n"
	"	movl	$6, %r9d\n"
	"	call	*%r11\n"
	"	addq	$24, %rsp\n"
	"	ret\n"
	"	.size	through_regs8, .-through_regs8\n");
long through_regs8(const void *stub);
extern long __flexos_gate__tb__tb_regs8(long, long, long, long, long, long, int, int);
extern long __flexos_gate__tb__tb_regs(int, float);
extern int __flexos_gate__tb__tb_leave(long);

static int regs(void)
{
	static const long want[23] = {41, [7] = 0x3fc00000};
	long seen[23], out[4];
	int marks = 0, wrong = 0, back = 0;

	long r = through_regs((const void *)__flexos_gate__tb__tb_regs);
	for (long i = 0; i < 23; i++) {
		flexos_gate_r(tb, seen[i], tb_seen_reg, i);
		/* app's word, in either half of the register */
		marks += (unsigned long)seen[i] >> 32 == REG_MARK || (uint32_t)seen[i] == REG_MARK;
		wrong += i == 0 || i == 7 ? (uint32_t)seen[i] != (uint32_t)want[i] : 0;
	}
	/* Two int stack arguments, app's word in the upper half of each eightbyte. */
	long r8 = through_regs8((const void *)__flexos_gate__tb__tb_regs8);
	for (long i = 23; i < 25; i++) {
		flexos_gate_r(tb, seen[i - 23], tb_seen_reg, i);
		marks += (unsigned long)seen[i - 23] >> 32 == REG_MARK;
		wrong += (uint32_t)seen[i - 23] != (uint32_t)(i - 16);
	}
	through_leave((const void *)__flexos_gate__tb__tb_leave, out);
	for (int i = 0; i < 4; i++)
		back += (unsigned long)out[i] >> 48 == 0x1eaf; /* tb's word */
	printf(
	    "regs: tb saw app's word in %d of the 25 quadwords of its argument registers and int "
	    "stack arguments, %d arguments arrived wrong; app got tb's words in %d of 4 result "
	    "registers; tb_regs returned %ld, tb_regs8 %ld, tb_leave %d\n",
	    marks, wrong, back, r, r8, (int)out[0]);
	return marks || wrong || back || r != 1 || r8 != 1 || (int)out[0] != 7;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	long a1 = argc > 2 ? atol(argv[2]) : 0, a2 = argc > 3 ? atol(argv[3]) : 0;
	long a3 = argc > 4 ? atol(argv[4]) : 0, a4 = argc > 5 ? atol(argv[5]) : 0;

	if (!strcmp(mode, "attack"))
		return attack((int)a1, (int)a2, (int)a3, (int)a4);
	if (!strcmp(mode, "shared"))
		return shared();
	if (!strcmp(mode, "regs"))
		return regs();
	if (!strcmp(mode, "nested"))
		return nested((int)a1);
	if (!strcmp(mode, "threads"))
		return threads((int)a1, a2);
	if (!strcmp(mode, "crash"))
		return crash(a1, a2);
	if (!strcmp(mode, "exit")) {
		printf("[%s] main calls tb_exit(%ld)\n", flexos_compartment_name(), a1);
		long r;
		flexos_gate_r(tb, r, tb_exit, a1);
		printf("tb_exit returned %ld\n", r);
		return 99;
	}
	if (!strcmp(mode, "print")) {
		for (int i = 0; i < 3; i++) {
			printf("[ca] before %d\n", i);
			flexos_gate(tb, tb_print, 2);
			flexos_gate(tc, tc_print, 1);
		}
		printf("[ca] done\n");
		return 0;
	}
	if (!strcmp(mode, "sleep")) {
		printf("pids: main %d tb %ld tc %ld\n", getpid(), g_pid(1), g_pid(2));
		fflush(stdout);
		flexos_gate(tb, tb_sleep, a1);
		return 0;
	}
	if (!strcmp(mode, "idle")) {
		/* main sleeps outside any gate, then calls: tests/process/robust.sh. */
		printf("pids: main %d tb %ld tc %ld\n", getpid(), g_pid(1), g_pid(2));
		fflush(stdout);
		struct timespec ts = {a1 / 1000, (a1 % 1000) * 1000000L};
		nanosleep(&ts, NULL);
		long r;
		flexos_gate_r(tb, r, tb_add, 1, 2);
		printf("idle: tb_add returned %ld, error %d\n", r, flexos_last_gate_error());
		return 0;
	}
	if (!strcmp(mode, "crashexit")) {
		/* Ends while the supervisor restarts cc (restart.yaml): no process, no stall. */
		long r;
		flexos_gate_r(tc, r, tc_crash, 1, 0);
		printf("crashexit: tc_crash returned %ld, error %d\n", r, flexos_last_gate_error());
		return 0;
	}
	if (!strcmp(mode, "grow")) {
		/* cb allocates a1 MiB, a2 times: tests/process/heap.sh. */
		flexos_print_map(stdout);
		for (long i = 0; i < (a2 ? a2 : 1); i++) {
			long r;
			flexos_gate_r(tb, r, tb_bigalloc, a1);
			printf("grow: tb_bigalloc(%ld) returned %ld\n", a1, r);
		}
		return 0;
	}
	if (!strcmp(mode, "foreign")) {
		/*
		 * main hands an object of cb's heap to free (a1 = 0) or
		 * malloc_usable_size (a1 = 1): reported, never served from
		 * main's heap (tests/process/heap.sh).
		 */
		long obj;
		void *mine = malloc(24);
		flexos_gate_r(tb, obj, tb_addr, KIND_HEAP);
		printf("foreign: own object usable size %zu\n", malloc_usable_size(mine));
		fflush(stdout);
		if (a1)
			printf("foreign: usable size %zu\n", malloc_usable_size((void *)obj));
		else
			free((void *)obj);
		printf("foreign: not stopped\n");
		return 0;
	}
	if (!strcmp(mode, "bench"))
		return bench(a1 ? a1 : 200000);
	fprintf(stderr, "usage: tapp attack|shared|nested|threads|crash|exit|print|sleep|idle|"
			"crashexit|grow|foreign|bench ...\n");
	return 2;
}
