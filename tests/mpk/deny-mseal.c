/*
 * deny-mseal PROGRAM [ARGS...]: runs PROGRAM under a seccomp filter that
 * makes mseal(2) fail with EPERM, as a container's profile that does not
 * know the call may (tests/mpk/vm.sh: an intel-mpk image must start there,
 * saying that its ranges are not sealed). A plain program, not an image.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_mseal
#define SYS_mseal 462
#endif

int main(int argc, char **argv)
{
	struct sock_filter code[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mseal, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};

	if (argc < 2) {
		fprintf(stderr, "usage: deny-mseal PROGRAM [ARGS...]\n");
		return 2;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
		fprintf(stderr, "deny-mseal: cannot install the filter: %s\n", strerror(errno));
		return 2;
	}
	execv(argv[1], argv + 1);
	fprintf(stderr, "deny-mseal: cannot run %s: %s\n", argv[1], strerror(errno));
	return 2;
}
