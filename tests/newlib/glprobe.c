/*
 * The same probes as nlprobe.c, compiled against glibc, for a compartment
 * that keeps glibc: the key-0 memory a newlib compartment may not touch
 * is reachable from here (docs/threat-model.md).
 */
#include <signal.h>

long gl_probe_read(const void *p);
long gl_signal(int sig);

long gl_probe_read(const void *p)
{
	return *(const volatile long *)p;
}

static volatile long gl_signals;

static void on_signal(int sig)
{
	(void)sig;
	gl_signals++;
}

/* A handler of this glibc compartment, for a signal raised here: how many times it ran. */
long gl_signal(int sig)
{
	if (signal(sig, on_signal) == SIG_ERR)
		return -1;
	raise(sig);
	raise(sig);
	return gl_signals;
}
