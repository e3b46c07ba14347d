/*
 * attack --report-frame fpregs|straddle|bus (limit 12; the first two
 * found by an attack review): the fault report reads every compartment's
 * memory, and two of its reads took an address from memory the faulting
 * compartment writes.
 *
 * fpregs: the report read the interrupted PKRU through the fpregs word
 * of the kernel's signal frame, which lies on the thread's signal stack
 * (key 0). A second thread of lib1's rewrote that word between the
 * kernel's write and the report's copy of the frame (the review won that
 * race 2 to 9 times in 6 to 19 tries), to an "XSAVE area" whose PKRU word
 * was app's, and the report printed 4 bytes of app's word as the PKRU.
 * Here a tracer wins the race every time: stopped at the SIGSEGV entry's
 * first instruction, the thread has its frame's fpregs pointed at an area
 * lib1 forged in shared memory, whose PKRU word is FORGED_PKRU. The report
 * must not print it (the filter is off: it denies ptrace).
 *
 * straddle: lib1 faults with its stack pointer 2 bytes below the end of
 * app's .data page, which lib1's own data follows: the default unwind
 * rule reads the return address across the page boundary, app's 2 bytes
 * and 6 of lib1's, chosen so that the word lies in the C library's code,
 * which the report prints (as libc.so.6+offset, the offset's low 16 bits
 * app's). The report must stop at that frame instead.
 *
 * bus: lib1 faults with its stack pointer in a page of a shared file
 * mapping past the file's end, so that the report's unwinder, reading the
 * return address there, takes a SIGBUS: the report must end as for a
 * fault of its unwinder's (123 and a line saying so), not be cut short
 * by SIGBUS's default action (135).
 */
#define _GNU_SOURCE 1
#include <link.h>
#include <sys/mman.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <unistd.h>

#include <flexos/flexos.h>

#include "../../backends/mpk/mpk.h"
#include "attacklib.h"
#include "reportframe.h"
#include "signalat.h"

#define FORGED_PKRU 0x5eb0f00du

extern void flexos__mpk_segv_entry(int, siginfo_t *, void *);

static struct {
	unsigned char area[8192] __attribute__((aligned(64)));
	uintptr_t app_word, end, text;
} rf FLEXOS_SHARED;

/* ---- fpregs ----------------------------------------------------------------- */

/* The tracer, at the entry: the kernel's frame's fpregs (its ucontext in %rdx) at the area. */
static int point_fpregs(pid_t tid, struct user_regs_struct *regs)
{
	ptrace(PTRACE_POKEDATA, tid, (void *)(regs->rdx + MPK_UC_FPREGS), (void *)rf.area);
	return 0;
}

static long read_app_word(long x)
{
	(void)x;
	return (long)*(volatile uint64_t *)rf.app_word;
}

static void fault_child(void)
{
	long r = 0;

	ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	raise(SIGSTOP); /* traced */
	raise(SIGSTOP); /* the tracer arms its breakpoint now */
	flexos_gate_r(lib1, r, lib1_call, read_app_word, 0);
	printf("report-frame: lib1 read app's word (%#lx): FAIL\n", (unsigned long)r);
	fflush(stdout);
	_exit(1);
}

static int forge_fpregs(void)
{
	uint32_t off = flexos__mpk_ro.ro.report_pkru_off, magic = 0x46505853u, size = off + 8;
	uint32_t pkru = FORGED_PKRU;
	uint64_t bv = 1u << 9;

	if (!off || off + 8 > sizeof(rf.area))
		return 2;
	/* An XSAVE area as frame_pkru checks one: its magic, its size, PKRU present. */
	memcpy(rf.area + 464, &magic, 4);
	memcpy(rf.area + 480, &size, 4);
	memcpy(rf.area + 512, &bv, 8);
	memcpy(rf.area + off, &pkru, 4);
	printf("report-frame: an XSAVE area forged at %p, its PKRU %#x\n", (void *)rf.area, pkru);
	return trace_at(fault_child, (uintptr_t)flexos__mpk_segv_entry, point_fpregs,
			"report-frame: the kernel's frame's fpregs pointed at the forged area");
}

/* ---- straddle --------------------------------------------------------------- */

/* st_go(sp, addr): the stack pointer at sp, then a read of addr; never returns. */
__asm__(".text\n"
	".type st_go, @function\n"
	"st_go:\n"
	"	.cfi_startproc\n"
	"	movq %rdi, %rsp\n"
	"	movq (%rsi), %rax\n"
	"	ud2\n"
	"	.cfi_endproc\n"
	".size st_go, .-st_go\n");
void st_go(uintptr_t sp, uintptr_t addr);

/* A 64 KiB-aligned window of the C library's code, 64 KiB into it. */
static int libc_text(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size, (void)data;
	if (!info->dlpi_name || !strstr(info->dlpi_name, "libc.so"))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && ph->p_memsz > 0x30000)
			rf.text = ((info->dlpi_addr + ph->p_vaddr + 0x1ffff) & ~(uintptr_t)0xffff);
	}
	return 1;
}

/* Run by lib1: the 6 high bytes of the return address in its own data, then the fault. */
static long straddle_in_lib1(long x)
{
	int fd[2];
	uint64_t high = rf.text >> 16;

	(void)x;
	/* lib1 may write the page after app's (a pipe's read writes it with lib1's PKRU). */
	if (pipe(fd) || write(fd[1], &high, 6) != 6 || read(fd[0], (void *)rf.end, 6) != 6)
		return -100;
	st_go(rf.end - 2, rf.app_word);
	return 0;
}

static int straddle(uintptr_t app_data)
{
	long r = 0;

	rf.end = (app_data | 4095) + 1;
	rf.app_word = app_data;
	*(volatile uint16_t *)(rf.end - 2) = 0xbeef; /* app's last 2 bytes of that page */
	dl_iterate_phdr(libc_text, NULL);
	if (!rf.text)
		return 2;
	printf("report-frame: app's data page ends at %#lx with 0xbeef; the report would show "
	       "the C library's code at %#lx\n",
	       (unsigned long)rf.end, (unsigned long)(rf.text | 0xbeef));
	fflush(stdout);
	flexos_gate_r(lib1, r, lib1_call, straddle_in_lib1, 0);
	printf("report-frame: lib1 returned %ld (%s)\n", r - 1,
	       r == -99 ? "the page after app's data is not lib1's to write" : "?");
	return r == -99 ? 3 : 1;
}

/* ---- bus --------------------------------------------------------------------- */

/* Run by lib1: a file of one page mapped over two, its stack pointer in the second. */
static long bus_in_lib1(long x)
{
	int fd = memfd_create("report-frame", 0);
	char *m;

	(void)x;
	if (fd < 0 || ftruncate(fd, 4096))
		return -100;
	m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return -100;
	printf("report-frame: lib1's stack pointer at %p, past its file's end\n",
	       (void *)(m + 4096 + 64));
	fflush(stdout);
	st_go((uintptr_t)m + 4096 + 64, rf.app_word);
	return 0;
}

static int bus(void)
{
	long r = 0;

	flexos_gate_r(lib1, r, lib1_call, bus_in_lib1, 0);
	printf("report-frame: lib1 returned %ld (no file mapping)\n", r - 1);
	return 3;
}

int report_frame(const char *how, uintptr_t app_data)
{
	rf.app_word = app_data;
	if (!strcmp(how, "fpregs"))
		return forge_fpregs();
	if (!strcmp(how, "straddle"))
		return straddle(app_data);
	if (!strcmp(how, "bus"))
		return bus();
	return 2;
}
