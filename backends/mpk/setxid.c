/*
 * set*id in intel-mpk images with threads (flexos-link links them with
 * --wrap for each of the calls below). glibc makes every thread take the
 * new credentials: it sends the others SIGSETXID, whose handler makes the
 * same system call there, reading the command from the caller's stack.
 * After start-up the sigaction filter refuses glibc's own installation
 * of that handler, and the image ended (status 161: `syscalls setxid').
 * So the caller installs it first, through the runtime's sigaction, as
 * any handler of its own: it runs in the caller's compartment on each
 * thread (signal.c: flexos__mpk_setxid_handler, the delivery stub and
 * the restorer as for every handler), where the caller's stack is
 * readable. One call at a time: the handler belongs to one compartment.
 */
#include "autoconfig.h"

#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "mpk.h"

/* glibc's SIGSETXID (its __SIGRTMIN + 1). */
#define SETXID_SIGNAL 33

int __wrap_sigaction(int sig, const struct sigaction *act, struct sigaction *old);

static pthread_mutex_t setxid_lock = PTHREAD_MUTEX_INITIALIZER;

static void setxid_begin(void)
{
	void *h = flexos__mpk_setxid_handler();

	pthread_mutex_lock(&setxid_lock);
	if (h) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = (void (*)(int, siginfo_t *, void *))h;
		sa.sa_flags = SA_SIGINFO | SA_RESTART;
		sigemptyset(&sa.sa_mask);
		__wrap_sigaction(SETXID_SIGNAL, &sa, NULL);
	}
}

static int setxid_end(int r)
{
	int err = errno;

	pthread_mutex_unlock(&setxid_lock);
	errno = err;
	return r;
}

#define SETXID_WRAP(name, params, args)                \
	int __real_##name params;                      \
	int __wrap_##name params;                      \
	int __wrap_##name params                       \
	{                                              \
		setxid_begin();                        \
		return setxid_end(__real_##name args); \
	}

SETXID_WRAP(setuid, (uid_t u), (u))
SETXID_WRAP(setgid, (gid_t g), (g))
SETXID_WRAP(seteuid, (uid_t u), (u))
SETXID_WRAP(setegid, (gid_t g), (g))
SETXID_WRAP(setreuid, (uid_t r, uid_t e), (r, e))
SETXID_WRAP(setregid, (gid_t r, gid_t e), (r, e))
SETXID_WRAP(setresuid, (uid_t r, uid_t e, uid_t s), (r, e, s))
SETXID_WRAP(setresgid, (gid_t r, gid_t e, gid_t s), (r, e, s))
SETXID_WRAP(setgroups, (size_t n, const gid_t *list), (n, list))
SETXID_WRAP(initgroups, (const char *user, gid_t g), (user, g))
