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
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>
#include <stdlib.h>
#include <string.h>

#include <flexos/flexos.h>

#include "nllib.h"

long probe_read(const void *p);
int probe_write(void *p);
long gl_probe_read(const void *p);
long gl_signal(int sig);

extern char **environ;
/* backends/mpk (intel-mpk images only). */
extern char flexos__mpk_ro_entry[] __attribute__((weak));
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
	/* A timer's signals, which mostly interrupt the newlib compartment's loop. */
	sa.sa_handler = on_alarm;
	struct itimerval every = {{0, 2000}, {0, 2000}}, off = {{0, 0}, {0, 0}};
	if (sigaction(SIGALRM, &sa, NULL) || setitimer(ITIMER_REAL, &every, NULL))
		return 1;
	for (int i = 0; i < 2000 && alarms < 5; i++)
		nl_spin(1000000);
	setitimer(ITIMER_REAL, &off, NULL);
	printf("signal: timer signals during calls into newlib: %s\n",
	       alarms >= 5 ? "handled, 5 or more" : "too few");
	return app_signals != 3 || alarms < 5;
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

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "check"))
		return check();
	if (argc == 2 && !strcmp(argv[1], "signal"))
		return signals();
	if (argc != 3) {
		fprintf(stderr, "usage: comp-app check | nl-read|nl-write|gl-read|app-read TARGET\n");
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
