/* See flib.h. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "flib.h"

static long value;
static long *obj;

long flib_set(long v)
{
	value = v;
	if (!obj)
		obj = malloc(sizeof(*obj));
	*obj = v + 1;
	return 0;
}

long flib_get(long what)
{
	if (what == 0)
		return value;
	if (what == 1)
		return obj ? *obj : -1;
	return (long)getpid();
}

long flib_shared(long *p, long write, long v)
{
	if (write)
		*p = v;
	return *p;
}

long flib_crash(long addr)
{
	*(volatile long *)addr = 1;
	return 0;
}

long flib_fork(long unused)
{
	(void)unused;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	/* The child goes on in this compartment and returns through the gate. */
	if (pid == 0)
		return -100;
	int st = 0;
	if (waitpid(pid, &st, 0) != pid)
		return -2;
	return st;
}

long flib_churn(long n)
{
	for (long i = 0; i < n; i++)
		free(*(void *volatile *)&(void *){malloc(64 + (size_t)(i & 255))});
	return n;
}
