/*
 * An attacker with code execution inside compartment 'atk': each function
 * tries one way out of the compartment, with addresses and pids handed in
 * as integers, and returns what it got (a value read, or -errno).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "atk.h"
#include "process.h" /* the lanes' layout: the attacker knows it */

static long result(long r)
{
	return r < 0 ? -errno : r;
}

long atk_vm_read(long pid, long addr)
{
	long v = 0;
	struct iovec local = {&v, sizeof(v)}, remote = {(void *)addr, sizeof(v)};
	long n = process_vm_readv((pid_t)pid, &local, 1, &remote, 1, 0);
	return n < 0 ? -errno : v;
}

long atk_vm_write(long pid, long addr)
{
	long v = 0x4b4e5750; /* "PWNK" */
	struct iovec local = {&v, sizeof(v)}, remote = {(void *)addr, sizeof(v)};
	return result(process_vm_writev((pid_t)pid, &local, 1, &remote, 1, 0));
}

long atk_ptrace(long pid)
{
	return result(ptrace(PTRACE_ATTACH, (pid_t)pid, 0, 0));
}

/* Reads 8 bytes at addr of process pid ("self" when pid is 0) through /proc. */
long atk_proc_mem(long pid, long addr)
{
	char path[64] = "/proc/self/mem";
	long v = 0;
	if (pid) {
		char digits[24];
		int i = 0;
		for (long p = pid; p; p /= 10)
			digits[i++] = (char)('0' + p % 10);
		strcpy(path, "/proc/");
		size_t n = strlen(path);
		while (i)
			path[n++] = digits[--i];
		strcpy(path + n, "/mem");
	}
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	long r = pread(fd, &v, sizeof(v), (off_t)addr);
	close(fd);
	return r < 0 ? -errno : v;
}

/* Makes the page of addr readable again and reads it. */
long atk_mprotect_read(long addr)
{
	uintptr_t page = (uintptr_t)addr & ~(uintptr_t)4095;
	if (mprotect((void *)page, 4096, PROT_READ))
		return -errno;
	return *(volatile long *)addr;
}

long atk_open_shadow(void)
{
	int fd = open("/etc/shadow", O_RDONLY);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

long atk_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* fork + execve a program; the exit status it had, or -errno. */
long atk_exec(void)
{
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		char *argv[] = {"true", NULL}, *envp[] = {NULL};
		execve("/bin/true", argv, envp);
		_exit(127);
	}
	int st;
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Signal 0: whether the process could be signalled at all. */
long atk_kill(long pid)
{
	return result(kill((pid_t)pid, 0));
}

/* A computation: what the default policy must keep working. */
long atk_compute(long n)
{
	long s = 0;
	for (long i = 1; i <= n; i++)
		s += i;
	return s;
}

/*
 * Writes a forged call request into the lane of compartment target in
 * every call chain: "call entry N for compartment from". The caller of
 * this very gate waits on one of them and serves what it finds there.
 * Waits until one was taken, so that its own return does not overwrite it.
 */
long atk_forge(long lanes, long ncomp, long target, long entry)
{
	struct flexos__lane *l = (struct flexos__lane *)lanes;
	for (unsigned c = 0; c < FLEXOS__PROC_MAX_LT; c++) {
		struct flexos__lane *to = &l[c * (unsigned long)ncomp + (unsigned long)target];
		to->from = 1;
		to->from_gen = 0;
		to->entry = (uint32_t)entry;
		to->int_only = 1;
		to->stack_bytes = to->sret_bytes = 0;
		__atomic_store_n(&to->word, LANE_REQ, __ATOMIC_SEQ_CST);
		syscall(SYS_futex, &to->word, FUTEX_WAKE, 1, NULL, NULL, 0);
	}
	for (int i = 0; i < 2000; i++) {
		for (unsigned c = 0; c < FLEXOS__PROC_MAX_LT; c++)
			if (__atomic_load_n(&l[c * (unsigned long)ncomp + (unsigned long)target].word,
					    __ATOMIC_ACQUIRE) != LANE_REQ)
				return 1;
		usleep(1000);
	}
	return 0;
}
