/*
 * The names of 'syscalls:'. System calls are looked up with libseccomp,
 * which knows every architecture's numbers; groups are ours.
 */
#include "autoconfig.h"

#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "syscalls.h"
#include "util.h"

struct group {
	const char *name;
	const char *const *calls;
};

static const char *const files[] = {
	"open", "openat", "openat2", "creat", "stat", "lstat", "newfstatat", "statx", "access",
	"faccessat", "faccessat2", "readlink", "readlinkat", "getdents64", "mkdir", "mkdirat",
	"rmdir", "unlink", "unlinkat", "rename", "renameat", "renameat2", "link", "linkat",
	"symlink", "symlinkat", "chmod", "fchmod", "fchmodat", "truncate", "ftruncate",
	"fallocate", "getcwd", "chdir", "fchdir", "utimensat", "statfs", "fstatfs", "flock",
	"pipe", "pipe2", "dup2", "fadvise64", "sendfile", "copy_file_range", "splice", NULL,
};

static const char *const network[] = {
	"socket", "socketpair", "connect", "bind", "listen", "accept", "accept4", "sendto",
	"recvfrom", "sendmsg", "recvmsg", "sendmmsg", "recvmmsg", "shutdown", "setsockopt",
	"getsockopt", "getsockname", "getpeername", NULL,
};

static const char *const events[] = {
	"epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2",
	"select", "pselect6", "eventfd", "eventfd2", "timerfd_create", "timerfd_settime",
	"timerfd_gettime", "signalfd", "signalfd4", NULL,
};

static const char *const processes[] = {
	"fork", "vfork", "clone", "execve", "execveat", "wait4", "waitid", NULL,
};

static const struct group groups[] = {
	{"files", files},
	{"network", network},
	{"events", events},
	{"processes", processes},
};

/*
 * Calls that reach into other processes, never allowed: any of them would give a
 * compartment the memory or the life of the application and its siblings.
 */
static const char *const forbidden[] = {
	"ptrace", "process_vm_readv", "process_vm_writev", "kill", "tkill", "tgkill",
	"rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_open", "pidfd_getfd",
	"pidfd_send_signal", "kcmp", "process_madvise", NULL,
};

static void add(uint32_t **nrs, size_t *n, int nr)
{
	for (size_t i = 0; i < *n; i++)
		if ((*nrs)[i] == (uint32_t)nr)
			return;
	*nrs = xrealloc(*nrs, (*n + 1) * sizeof(**nrs));
	(*nrs)[(*n)++] = (uint32_t)nr;
}

int flx_syscalls_resolve(const char *name, uint32_t **nrs, size_t *n, const char **why)
{
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		if (strcmp(groups[g].name, name))
			continue;
		for (const char *const *c = groups[g].calls; *c; c++) {
			int nr = seccomp_syscall_resolve_name(*c);
			/* A group names calls some architectures lack (open, fork). */
			if (nr >= 0)
				add(nrs, n, nr);
		}
		return 0;
	}
	for (const char *const *f = forbidden; *f; f++)
		if (!strcmp(*f, name)) {
			*why = "it reaches into other processes (their memory or their life); "
			       "signals a compartment sends itself are allowed already";
			return -EPERM;
		}
	int nr = seccomp_syscall_resolve_name(name);
	if (nr < 0)
		return -ENOENT;
	add(nrs, n, nr);
	return 0;
}

const char *flx_syscall_groups(void)
{
	return "files, network, events, processes";
}
