/*
 * set*id in intel-mpk images (flexos-link links them with --wrap for each
 * of the calls below). In a process with more than one thread glibc has
 * every thread make the call: it sends the others SIGSETXID, whose
 * handler reads the command through a pointer in glibc's memory (key 0)
 * and makes the system call it names. After start-up the sigaction
 * filter refuses glibc's installation of that handler, and the signal's
 * default action ended the image with no word why (status 161). The
 * handler cannot be let run either: in the caller's compartment, a
 * compartment that rewrote the pointer would have its choice of system
 * call made with the caller's rights on each thread; raw, with the
 * kernel's PKRU, it cannot read the command on the caller's stack, and
 * each thread's registers would stay in its frame on the signal stack
 * (key 0). So such a call ends the image, saying so; with one thread the
 * call goes on (glibc makes it on that thread only).
 */
#include "autoconfig.h"

#include <grp.h>
#include <sys/single_threaded.h>
#include <sys/types.h>
#include <unistd.h>

#include "common.h"

static void one_thread_or_end(const char *call)
{
	if (!__libc_single_threaded)
		flexos__abort("%s in an intel-mpk image with more than one thread: glibc would "
			      "have every thread make the call in a SIGSETXID handler, which the "
			      "system-call filter does not let it install (the handler would run "
			      "a system call named in key-0 memory with the caller's rights); "
			      "call it before the first pthread_create, or make the system call "
			      "in each thread yourself (syscall(2)) (docs/backends.md)",
			      call);
}

#define SETXID_WRAP(name, params, args)    \
	int __real_##name params;          \
	int __wrap_##name params;          \
	int __wrap_##name params           \
	{                                  \
		one_thread_or_end(#name);  \
		return __real_##name args; \
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
