/*
 * sigframe-probe: does this kernel write a signal frame on a signal stack
 * whose protection key the interrupted thread's PKRU denies? Linux 6.1
 * writes the frame with the interrupted PKRU, so it cannot, and kills the
 * process (SIGSEGV); from 6.12 it writes the frame with every key enabled
 * (arch/x86/kernel/signal.c, sig_prepare_pkru). docs/threat-model.md
 * (limits 6 and 9) says why that matters: on such a kernel a signal stack
 * that no compartment may write becomes possible. A plain program, not an
 * image (an image's filter denies pkey_alloc and its own sigaltstack).
 *
 * Exit status: 0 (and one line saying which) for either answer; 77 where
 * the machine has no protection keys; 1 for anything else.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t ran;

/* Reached from on_usr1 once PKRU opens every key (the stack is the keyed one). */
void probe_handler(void);
void probe_handler(void)
{
	ran = 1;
}

/*
 * The handler the kernel enters with its default PKRU (key 0 only): it
 * opens every key before it touches its stack, as the kernel's comment
 * asks of a handler on a keyed signal stack, and returns with PKRU 0;
 * rt_sigreturn restores the frame's.
 */
__asm__(".text\n"
	".globl on_usr1\n"
	".type on_usr1, @function\n"
	"on_usr1:\n"
	"	xorl %eax, %eax\n"
	"	xorl %ecx, %ecx\n"
	"	xorl %edx, %edx\n"
	"	wrpkru\n"
	"	subq $8, %rsp\n"
	"	call probe_handler\n"
	"	addq $8, %rsp\n"
	"	ret\n"
	".size on_usr1, .-on_usr1\n");
void on_usr1(int sig);

static uint32_t rdpkru(void)
{
	uint32_t eax, edx;
	__asm__ volatile("rdpkru" : "=a"(eax), "=d"(edx) : "c"(0));
	return eax;
}

static void wrpkru(uint32_t v)
{
	__asm__ volatile("wrpkru" : : "a"(v), "c"(0), "d"(0) : "memory");
}

static int child(void)
{
	size_t size = 64 * 1024;
	char *stack = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int key = pkey_alloc(0, 0);
	if (stack == MAP_FAILED || key < 0 ||
	    pkey_mprotect(stack, size, PROT_READ | PROT_WRITE, key))
		return 77;
	stack_t ss = {.ss_sp = stack, .ss_size = size};
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_ONSTACK;
	if (sigaltstack(&ss, NULL) || sigaction(SIGUSR1, &sa, NULL))
		return 1;
	/* The signal stack's key access-disabled in the interrupted PKRU. */
	wrpkru(rdpkru() | 1u << (2 * key));
	raise(SIGUSR1);
	wrpkru(rdpkru() & ~(3u << (2 * key)));
	return ran ? 0 : 1;
}

int main(void)
{
	struct utsname u;
	int status;

	if (!uname(&u))
		printf("sigframe-probe: kernel %s\n", u.release);
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0)
		_exit(child());
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
		printf("sigframe-probe: no protection keys here\n");
		return 77;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		printf("sigframe-probe: the kernel wrote the frame on a signal stack whose key the "
		       "interrupted PKRU denies, and the handler ran (Linux 6.12 and later)\n");
		return 0;
	}
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV) {
		printf(
		    "sigframe-probe: the kernel could not write the frame on a signal stack whose "
		    "key the interrupted PKRU denies: killed by SIGSEGV (Linux 6.1)\n");
		return 0;
	}
	printf("sigframe-probe: the child ended otherwise (status %#x): FAIL\n", status);
	return 1;
}
