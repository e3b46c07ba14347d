/*
 * Compiled against newlib and placed, with nllib.c, in a compartment that
 * has 'libc: newlib' (tests/newlib/compartment.sh). Probes: reads and
 * writes at addresses its caller hands it, which an isolating backend
 * must stop when they are not the compartment's or shared.
 */
#include <stdint.h>

long probe_read(const void *p);
int probe_write(void *p);
long probe_pkey_alloc(void);
void probe_sig_copy(void *wrpkru, unsigned pkru, void *gate_page, const void *xsave, int stub,
		    char *frame);

long probe_read(const void *p)
{
	return *(const volatile long *)p;
}

int probe_write(void *p)
{
	*(volatile char *)p = 'X';
	return 0;
}

/* pkey_alloc(0, 0) made here, in the newlib compartment: a denied call. */
long probe_pkey_alloc(void)
{
	long r;
	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "0"(330L), "D"(0L), "S"(0L)
			 : "rcx", "r11", "memory");
	return r;
}

/*
 * A forged copy of a signal frame into this thread's copy areas (gate.S:
 * SIG_AREAS, which the delivery stub's snapshot and the restorer's copy
 * use): a jump to the WRPKRU that opens the areas, with the value it
 * must write (pkru) and this thread's gate page (gate_page, %r11), and a
 * "frame" at frame (shared memory, which any PKRU that copies frames
 * reads, as the signal stacks) whose XSAVE pointer (uc_mcontext.fpregs,
 * byte 224 of the ucontext) is xsave, memory this compartment may not
 * read. %r14 is the frame for the stub's snapshot (stub: %rsp
 * below it, as the kernel leaves it), %rsp for the restorer's copy (which
 * follows the stub's on the way back): whichever
 * the WRPKRU is, the copy must be made with this compartment's rights,
 * or the areas, which it may read, would hold the bytes at xsave. The
 * stub's signal number (%r12) names no handler. Never returns: the copy
 * faults (a report), or the restorer finds no frame it can resume.
 */
void probe_sig_copy(void *wrpkru, unsigned pkru, void *gate_page, const void *xsave, int stub,
		    char *frame)
{
	char *uc = frame + 64;

	*(const void **)(uc + 224) = xsave;
	register void *r11 __asm__("r11") = gate_page;
	register long r12 __asm__("r12") = 1000;
	register void *r14 __asm__("r14") = uc;
	__asm__ volatile("movq %%r14, %%rsp\n\t"
			 "subq %%rdi, %%rsp\n\t"
			 "xorl %%ecx, %%ecx\n\t"
			 "xorl %%edx, %%edx\n\t"
			 "jmp *%%rsi"
			 :
			 : "S"(wrpkru), "D"(stub ? 8L : 0L), "a"(pkru), "r"(r11), "r"(r12), "r"(r14)
			 : "memory");
	__builtin_unreachable();
}
