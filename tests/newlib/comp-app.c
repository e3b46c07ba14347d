/*
 * A glibc application with a compartment that has 'libc: newlib' (nl:
 * nllib.c, nlprobe.c) and one that keeps glibc (gl: glprobe.c), linked by
 * flexos-link (tests/newlib/compartment.sh).
 *
 *   comp-app check            both C libraries side by side
 *   comp-app nl-read TARGET   the newlib compartment reads TARGET
 *   comp-app nl-write TARGET  the newlib compartment writes a byte of TARGET
 *   comp-app gl-read TARGET   the glibc compartment reads TARGET
 *   comp-app app-read TARGET  the application reads TARGET
 *   comp-app signal           handlers of the application and of the glibc
 *                             compartment run and return, in an image
 *                             with a newlib compartment
 *   comp-app threads          4 threads each call into both compartments
 *   comp-app denied           the application makes a system call the
 *                             intel-mpk filter denies (pkey_alloc)
 *   comp-app nl-denied        the newlib compartment makes one
 *   comp-app sigsys           the application raises SIGSYS itself: denied
 *   comp-app nl-sigcopy stub|restorer
 *                             intel-mpk: the newlib compartment jumps to
 *                             the WRPKRU that opens its thread's signal
 *                             copy areas (the delivery stub's snapshot,
 *                             the restorer's copy) with a frame whose
 *                             XSAVE area is stdout's buffer (key 0)
 *   comp-app clone-raw        the application makes a thread with a raw
 *                             clone and its own, live, thread's TLS,
 *                             which intel-mpk's filter reports (threads
 *                             come only from the runtime's clone site)
 *
 * TARGET: environ (a glibc global), stdout-buffer (glibc's stdout
 * buffer), tls (this thread's errno, in glibc's TLS), app-data (a
 * variable of the application), shared (flexos_shared_malloc), nl-heap
 * (newlib's malloc in nl), ro-entry (intel-mpk: the read-only page with
 * the shared key that the signal restorer reads first, whose PKRUs a
 * compartment would rewrite to return from a signal with more rights).
 * A read that works prints "read TARGET: ok";
 * an isolating backend stops the forbidden ones with a report (exit 123).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <asm/prctl.h>
#include <sys/syscall.h>

#include <flexos/flexos.h>

#include "nllib.h"

long probe_read(const void *p);
int probe_write(void *p);
long gl_probe_read(const void *p);
long gl_signal(int sig);
long probe_pkey_alloc(void);
void probe_sig_copy(void *wrpkru, unsigned pkru, void *gate_page, const void *xsave, int stub,
		    char *frame);

extern char **environ;
/* backends/mpk (intel-mpk images only). */
extern char flexos__mpk_ro_entry[] __attribute__((weak));
extern char flexos__mpk_pkru[] __attribute__((weak));
extern char flexos__mpk_sig_snapshot_checked[] __attribute__((weak));
extern char flexos__mpk_sigreturn_copy_checked[] __attribute__((weak));
static volatile long app_data = 0x5ec2e7;

static int check(void)
{
	char mine[256];
	char *theirs = flexos_shared_malloc(256);
	int failed = 0;

	snprintf(mine, sizeof(mine), NL_FORMAT, NL_ARGS);
	nl_format(theirs, 256);
	if (strcmp(mine, theirs)) {
		printf("FAIL format: glibc '%s', newlib '%s'\n", mine, theirs);
		failed = 1;
	}

	/* errno: each library's own. (What nl reads must be shared.) */
	char *name = flexos_shared_malloc(32);
	strcpy(name, "ENAMETOOLONG");
	int nl_enametoolong = nl_errno_value(name);
	errno = EIO;
	nl_set_errno(nl_enametoolong);
	if (errno != EIO || nl_errno() != nl_enametoolong || nl_enametoolong == ENAMETOOLONG) {
		printf("FAIL errno: glibc %d, newlib %d\n", errno, nl_errno());
		failed = 1;
	}

	/* malloc and strings in the newlib compartment. */
	char *p = nl_malloc(1000);
	p = nl_realloc(p, 100000);
	if (!p || nl_strings()) {
		printf("FAIL newlib malloc/strings\n");
		failed = 1;
	}
	nl_free(p);

	/*
	 * Buffering: newlib's stdout fully buffered, glibc's unbuffered. The
	 * newlib line stays in newlib's buffer until exit, where the runtime
	 * has the compartment flush it: it comes out last.
	 */
	setvbuf(stdout, NULL, _IONBF, 0);
	nl_set_buffering(NL_FULLY_BUFFERED);
	strcpy(name, "held until exit");
	nl_print(name);
	printf("glibc: %s\n", failed ? "FAILED" : "checks passed");
	return failed;
}

static volatile int app_signals;

static void on_signal(int sig)
{
	(void)sig;
	app_signals++;
}

static volatile int alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* Signal handlers beside a newlib compartment: each runs and returns. */
static int signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		return 1;
	raise(SIGUSR1);
	raise(SIGUSR1);
	printf("signal: app's handler ran %d times and returned\n", app_signals);
	/* The newlib compartment runs between the application's signals. */
	char *p = nl_malloc(64);
	nl_free(p);
	raise(SIGUSR1);
	printf("signal: after a call into newlib, app's handler ran %d times\n", app_signals);
	printf("signal: gl's handler ran %ld times and returned\n", gl_signal(SIGUSR2));
	/*
	 * A timer's signals, which interrupt the newlib compartment's loop:
	 * one 2 ms after each call starts, the loop lasting far longer (storm
	 * below: signals while the gates cross). A signal that comes before
	 * the call or after it runs in the application.
	 */
	sa.sa_handler = on_alarm;
	struct itimerval once = {{0, 0}, {0, 2000}};
	if (sigaction(SIGALRM, &sa, NULL))
		return 1;
	for (int i = 0; i < 5; i++) {
		if (setitimer(ITIMER_REAL, &once, NULL))
			return 1;
		nl_spin(20000000);
	}
	for (int i = 0; i < 1000 && alarms < 5; i++)
		usleep(1000);
	printf("signal: timer signals during calls into newlib: %s\n",
	       alarms >= 5 ? "handled, 5 or more" : "too few");
	return app_signals != 3 || alarms < 5;
}

/* backends/mpk/mpk.h: the gate paths' windows (intel-mpk images only). */
extern const struct {
	uint32_t lo, tail, hi, restart;
} flexos__mpk_windows[] __attribute__((weak)), flexos__mpk_windows_end[] __attribute__((weak));
extern const char flexos__mpk_gate_text_lo[] __attribute__((weak));

static volatile sig_atomic_t storm_signals, storm_in_window;

static void on_storm(int sig, siginfo_t *si, void *ctx)
{
	uintptr_t off = (uintptr_t)((ucontext_t *)ctx)->uc_mcontext.gregs[REG_RIP] -
			(uintptr_t)flexos__mpk_gate_text_lo;

	(void)sig;
	(void)si;
	storm_signals++;
	for (size_t w = 0; flexos__mpk_windows && flexos__mpk_windows + w < flexos__mpk_windows_end; w++)
		if (off >= flexos__mpk_windows[w].lo && off < flexos__mpk_windows[w].hi)
			storm_in_window++;
}

/*
 * storm N: the application's handler of a timer signal every millisecond
 * while it calls into the newlib compartment N times: signals that find
 * a gate's window open, on the way into newlib or back, with the newlib
 * compartment's PKRU (key 0 denied) once the window has switched,
 * resume (docs/threat-model.md, limit 9).
 */
static int storm(long n)
{
	struct sigaction sa = {.sa_sigaction = on_storm, .sa_flags = SA_SIGINFO};
	struct itimerval it = {{0, 1000}, {0, 1000}};
	long bad = 0, i;

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) || setitimer(ITIMER_REAL, &it, NULL))
		return 1;
	for (i = 0; i < n; i++)
		bad += nl_spin(3) != 3;
	it = (struct itimerval){{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &it, NULL);
	printf("storm: %ld calls into newlib, %d signals handled (%d in a gate's window), %ld "
	       "wrong results\n",
	       i, (int)storm_signals, (int)storm_in_window, bad);
	return bad != 0;
}

static const void *target(const char *name)
{
	static char *heap;

	if (!strcmp(name, "environ"))
		return &environ;
	if (!strcmp(name, "stdout-buffer")) {
		printf("stdout is buffered\n");
		return stdout->_IO_buf_base;
	}
	if (!strcmp(name, "tls"))
		return &errno;
	if (!strcmp(name, "app-data"))
		return (const void *)&app_data;
	if (!strcmp(name, "shared"))
		return flexos_shared_calloc(1, 64);
	if (!strcmp(name, "ro-entry") && flexos__mpk_ro_entry)
		return flexos__mpk_ro_entry + 12; /* the restorer's PKRU (MPK_ROE_SIGRET_PKRU) */
	if (!strcmp(name, "nl-heap"))
		return heap = nl_malloc(64);
	fprintf(stderr, "comp-app: unknown target '%s'\n", name);
	exit(2);
}

/*
 * newlib as built has no locks: one thread at a time in its compartment
 * (docs/newlib.md, "Threads"). Without this, two threads' nl_format
 * (newlib's Balloc, its unlocked heap) failed newlib's assertion, now and
 * then (1 run in 30 in the VM).
 */
static pthread_mutex_t nl_lock = PTHREAD_MUTEX_INITIALIZER;

static void *thread_main(void *arg)
{
	long i = (long)arg, sum;
	char *buf = flexos_shared_malloc(256);
	/*
	 * gl reads the sum from shared memory: the thread's stack is app's
	 * (a stack of its pool, as main's), not glibc's key-0 one.
	 */
	long *shared_sum = buf ? (long *)(buf + 128) : NULL;
	int formatted;

	pthread_mutex_lock(&nl_lock);
	sum = nl_spin(1000 + i);
	formatted = buf && nl_format(buf, 128) > 0;
	pthread_mutex_unlock(&nl_lock);
	int ok = formatted && (*shared_sum = sum, gl_probe_read(shared_sum) == sum);
	flexos_shared_free(buf);
	return (void *)(long)ok;
}

static int threads(void)
{
	pthread_t t[4];
	int ok = 0;

	for (long i = 0; i < 4; i++)
		if (pthread_create(&t[i], NULL, thread_main, (void *)i))
			return 1;
	for (int i = 0; i < 4; i++) {
		void *r;
		pthread_join(t[i], &r);
		ok += (int)(long)r;
	}
	printf("threads: %d of 4 called both compartments\n", ok);
	return ok != 4;
}

/*
 * A thread made with a raw clone and the FS base of this (live) thread:
 * it would pass the gate's owner check with this thread's gate page. The
 * child, if made, exits at once (in assembly: it has no stack frame).
 */
static int clone_raw(void)
{
	static char stack[16384] __attribute__((aligned(16)));
	unsigned long fs = 0;
	long r;

	if (syscall(SYS_arch_prctl, ARCH_GET_FS, &fs))
		return 1;
	register long tid __asm__("r10") = 0;
	register long tls __asm__("r8") = (long)fs;
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "mov $60, %%eax\n\t"
			 "xor %%edi, %%edi\n\t"
			 "syscall\n"
			 "1:"
			 : "=a"(r)
			 : "0"((long)SYS_clone),
			   "D"((long)(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
				      CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS)),
			   "S"(stack + sizeof(stack)), "d"(0L), "r"(tid), "r"(tls)
			 : "rcx", "r11", "memory");
	printf("clone-raw: the clone returned %ld: a thread with this thread's FS base\n", r);
	return 0;
}

/*
 * nl-sigcopy: what the newlib compartment needs for its jump, found here
 * (glibc, key 0 readable) from the PKRU table's page (backends/mpk/mpk.h:
 * MPK_PKRU_SIG_GP_LO, _HI and MPK_PKRU_SIG_COPY_PKRU), and this thread's
 * gate page, the one whose owner (MPK_G_OWNER) is this thread's FS base.
 */
static int sig_copy(const char *how)
{
	const char *page = flexos__mpk_pkru;
	uint64_t lo, hi, fs = 0;
	uint32_t pkru;
	int nl = -1;

	if (!page || !flexos__mpk_sig_snapshot_checked || !flexos__mpk_sigreturn_copy_checked)
		return 2;
	for (int id = 0; id < flexos_compartment_count(); id++)
		if (!strcmp(flexos_compartment_name_of(id), "nl"))
			nl = id;
	if (nl < 0 || nl_spin(1) < 0 || syscall(SYS_arch_prctl, ARCH_GET_FS, &fs))
		return 2;
	memcpy(&lo, page + 2048 + 8 * 16 + 16, sizeof(lo));
	memcpy(&hi, page + 2048 + 8 * 16 + 24, sizeof(hi));
	memcpy(&pkru, page + 2048 + 8 * 16 + 64 + 4 * nl, sizeof(pkru));
	for (uint64_t gp = lo; gp < hi; gp += 4096)
		if (*(const uint64_t *)(uintptr_t)(gp + 16 + 8 * 16) == fs) { /* MPK_G_OWNER */
			char *wrpkru = (!strcmp(how, "stub") ? flexos__mpk_sig_snapshot_checked
							     : flexos__mpk_sigreturn_copy_checked) -
				       3;
			printf("nl-sigcopy %s: the copy of stdout's buffer\n", how);
			fflush(stdout);
			probe_sig_copy(wrpkru, pkru, (void *)(uintptr_t)gp, stdout->_IO_buf_base,
				       !strcmp(how, "stub"), flexos_shared_calloc(1, 1024));
		}
	return 2;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "check"))
		return check();
	if (argc == 2 && !strcmp(argv[1], "signal"))
		return signals();
	if (argc == 3 && !strcmp(argv[1], "storm"))
		return storm(atol(argv[2]));
	if (argc == 2 && !strcmp(argv[1], "threads"))
		return threads();
	if (argc == 2 && !strcmp(argv[1], "clone-raw"))
		return clone_raw();
	if (argc == 2 && !strcmp(argv[1], "sigsys")) {
		/* No SIGSYS is sent: the filter's traps are the only ones (a report). */
		raise(SIGSYS);
		printf("sigsys: survived\n");
		return 0;
	}
	if (argc == 2 && (!strcmp(argv[1], "denied") || !strcmp(argv[1], "nl-denied"))) {
		long r = argv[1][0] == 'n' ? probe_pkey_alloc() : syscall(SYS_pkey_alloc, 0, 0);
		printf("%s: pkey_alloc returned %ld\n", argv[1], r);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "nl-sigcopy"))
		return sig_copy(argv[2]);
	if (argc != 3) {
		fprintf(stderr,
			"usage: comp-app check|signal|threads|denied|nl-denied|clone-raw|sigsys | storm N | "
			"nl-read|nl-write|gl-read|app-read TARGET | nl-sigcopy stub|restorer\n");
		return 2;
	}
	const void *t = target(argv[2]);
	fflush(stdout);
	if (!strcmp(argv[1], "nl-read"))
		probe_read(t);
	else if (!strcmp(argv[1], "nl-write"))
		probe_write((void *)t);
	else if (!strcmp(argv[1], "gl-read"))
		gl_probe_read(t);
	else
		(void)*(const volatile long *)t;
	printf("%s %s: ok\n", strchr(argv[1], '-') + 1, argv[2]);
	return 0;
}
