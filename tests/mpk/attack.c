/*
 * The application of the MPK test image (compartment 'app'; the libraries
 * lib1 and lib2 are attacklib.c). Every test is a mode:
 *
 *   attack A B KIND OP   code of compartment A reads or writes (OP) memory of
 *                        KIND (data bss heap stack) of compartment B, or a
 *                        shared object (shared-data shared-heap shared-stack)
 *   attack --matrix [shared]  every A, B, KIND and OP in a forked child:
 *                        each access to another compartment must end in a
 *                        fault report naming both (status 123, FLEXOS_EXIT_FAULT), each access to
 *                        its own or shared memory must work; prints counts.
 *                        With 'shared' (an image with shared stacks) another
 *                        compartment's stack must be reachable instead, and
 *                        those accesses are not counted as attacks
 *   attack --forge entry|exit|shared-entry|shared-exit  jumps into the gate
 *                        (private or shared stacks) right after a WRPKRU
 *                        with a PKRU value allowing every key
 *   attack --forge-pkru exit|shared-exit|sig-record  jumps to a WRPKRU
 *                        of the gate's way back (or of the signal table's
 *                        record) with lib1's own PKRU and %r10 = lib1, its
 *                        stack a frame of its making in shared memory whose
 *                        return address is app's code: a report, never
 *                        app's code with lib1's rights
 *   attack --sig-nested  a handler of app's for a signal that interrupted
 *                        lib1 takes a SIGTRAP (int3), handled by app too:
 *                        lib1 resumes from its own snapshot
 *   attack --sig-own-stack  app's handler for a signal that interrupted
 *                        lib1 calls lib1 back: that call runs on lib1's
 *                        stack, not on the signal stack
 *   attack --sig-same-stack  app's handler for a signal that interrupted
 *                        app: its locals on app's stack, not on the
 *                        signal stack (private stacks)
 *   attack --gate-state HOW  app, called back by lib1, changes the gate's
 *                        per-thread state (HOW: see app_tamper), then
 *                        returns through the gate: a report, or harmless
 *   attack --segv-call entry|c CODE  app calls the SIGSEGV handler's entry
 *                        (or its C part) with a forged siginfo (si_code
 *                        CODE): a report and the end, never a return
 *   attack --violation-call  app calls the gate's violation path with PKRU 0
 *   attack --backtrace [fault|libc|vdso]  backtrace() two gates deep (app
 *                        -> lib1 -> app), or a fault report there, in a
 *                        qsort comparison there or in the vDSO's
 *                        clock_gettime (the report walks the C library's
 *                        and the vDSO's frames with copies of their
 *                        tables, limit 12)
 *   attack --symbols-forge  lib1 rewrites the symbol table's counts and
 *                        names, app faults: the report, names "?" (limit 12)
 *   attack --sig-sched [control]  lib1's thread takes a signal where app's
 *                        frame was, inside lib1's handler of app's signal:
 *                        app resumes from its own snapshot (limit 9)
 *   attack --report-leak  lib1 registers unwind rules that read app's
 *                        word and faults: the registration faults (limit 12)
 *   attack --hdr-forge header|copy|record  lib1 forges the loader's unwind
 *                        table header (the report reads its copy), the
 *                        copy's (the mprotect is denied) or the loader's
 *                        record of it, and faults (limit 12)
 *   attack --report-frame fpregs|straddle|bus  the report's reads lib1
 *                        steers: the signal frame's XSAVE pointer (a
 *                        tracer rewrites it), a return address read across
 *                        the end of app's data page, or past a file's end
 *                        (limit 12)
 *   attack --report-block [free]  lib1 makes standard error a full pipe
 *                        and faults (or frees an allocation of app's,
 *                        which the runtime refuses with a fatal message)
 *                        while app's main thread waits 3 s: the report
 *                        (the message) ends the image first
 *   attack --report-lend  (tests/mpk/attack-lend) lib1 forges the lend
 *                        arena's record of a slot and reads its guard
 *                        page: the report names no forged descriptor
 *                        (limit 15)
 *   attack --report-canary  a tracer changes the thread's canary where the
 *                        report's pthread_sigmask would check it: lib1's
 *                        code in the C library's slot never runs with the
 *                        report's rights (limit 1)
 *   attack --unwind-write  lib1 forges the unwinder's lists of registered
 *                        frames and faults: the registration faults (limit 12)
 *   attack --look-signal  a signal handler of lib1's left in urec_first's
 *                        look: its state not taken for running (limit 13)
 *   attack --shared-back  lib1 jumps to the shared-stack gate's way back
 *                        in an image with private stacks: the report
 *   attack --stack-aim   lib1 calls lib2 with its stack pointer just
 *                        above lib2's .data: with shared stacks lib2's
 *                        frames go there (limit 11, a known limit); with
 *                        private stacks, on lib2's own stack
 *   attack --carry-read args|sret  lib1 has the carry path copy another
 *                        compartment's memory: a fault with lib1's own PKRU
 *   attack --carry-leak args|sret  after app's call of lib2 with stack
 *                        arguments (or a result in memory), lib1 looks for
 *                        them in the carry pages: none left (limit 3)
 *   attack --clone-df    lib1 calls the clone site with DF set: the C code
 *                        it runs with the gate key writable must not
 *                        write below its buffers (app's jump records)
 *   attack --carry-clear-len  lib1 jumps to the clearing's opening WRPKRU
 *                        with its own open PKRU and a count of its choice:
 *                        the count stays in its carry page (limit 3)
 *   attack --slow-push   lib1 jumps to the private gate's opening WRPKRU
 *                        on a thread with no stack in lib2: the gate's
 *                        slow path starts over with the page closed, its
 *                        pushes on lib1's stack pointer never reach
 *                        another thread's gate page (limit 2)
 *   attack --carry-back signal|register  lib1 takes the way back of the
 *                        other path than its caller's call came in by:
 *                        the report (limit 11)
 *   attack --gate-push private|carry  lib1 jumps to the gate with its
 *                        stack pointer in its gate page: the report (limit 2)
 *   attack --got-elevated report|home|claim|unwind  lib1 rewrites a slot
 *                        the runtime's own code would follow with more rights
 *                        and makes it run: the runtime ends the image (limit 1)
 *   attack --gate-glibc cancel-report|cancel-register|cancel-abort|canary-jump
 *                        lib1 makes the C library follow its thread's
 *                        descriptor into its code while the runtime's C
 *                        code runs with more rights: never (limit 1)
 *   attack --got-libc    lib1 rewrites the C library's PLT slot that puts
 *                        calls, app calls puts (limit 1, not closed)
 *   attack --look-jump new|first  lib1 jumps to urec_new's or urec_first's
 *                        second opening of the gate page: the report
 *                        (limit 13)
 *   attack --report-stack wild|leak  lib1 corrupts its stack and faults:
 *                        the report, with 123, and no word of app's
 *                        data as a frame (limit 12)
 *   attack --start-main-from-lib1  lib1 jumps into main's start with app's PKRU
 *   attack --forge-target private|shared|newlib HOW  a gate call with a
 *                        forged %r10/%r11 (see forge_target)
 *   attack --stackptr    lib1 writes through a pointer to app's stack: works
 *                        with shared stacks, is a fault with private ones
 *   attack --threads     4 threads x 100000 gates, with nested callbacks
 *   attack --nested      app -> lib1 -> app -> lib2 -> app -> lib1
 *   attack --printf      stdio first used inside lib2, then everywhere
 *   attack --signal      handlers installed by app (sigaction) and by lib1
 *                        (signal) run in their compartments and return,
 *                        through the checked restorer
 *   attack --signal-lib own|secret  a handler lib1 installs, for a signal
 *                        app raises, reads lib1's data (own: works) and
 *                        app's (secret: a fault report)
 *   attack --signal-tamper app|lib1|munmap  writes the handler table, or
 *                        unmaps it: a fault report, or the filter's
 *   attack --sigreturn HOW  app copies a frame the kernel wrote, changes it
 *                        (HOW: direct: PKRU 0, its own rt_sigreturn; tramp:
 *                        PKRU 0 through the runtime's restorer; syscall:
 *                        PKRU 0, a jump to the restorer's syscall; tramp-bv:
 *                        its own PKRU but marked absent (init: 0); own: the
 *                        control, its own PKRU, which must resume) and returns
 *                        with it; nonce-wrpkru: app jumps to the WRPKRU
 *                        that opens the restorer's nonce, with PKRU 0;
 *                        race: a tracer writes PKRU 0 into a real frame
 *                        after the restorer's checks (sigreturn_race);
 *                        window: a signal where a gate has its page open,
 *                        before its commit; window-tail: after it (both
 *                        resume: gate.S, WINDOW); window-switch: where the
 *                        scheduler's switch has it open (held: the handler
 *                        runs after the switch, which goes on);
 *                        window-claim: where a thread claims its page again
 *                        (its TLS pointer cleared): the report;
 *                        window-deliver: a SIGFPE where a handler's
 *                        delivery has the page open: the report (a known
 *                        remainder);
 *                        window-forge-open: a made-up frame inside a
 *                        window, with app's open PKRU and registers that
 *                        would write lib1's data there, resumes at the
 *                        window's start with app's PKRU; window-forge: the
 *                        same with PKRU 0: refused (a report)
 *   attack --thread-claim  a thread app starts past the pthread_create
 *                        wrapper jumps to the gate page's opening WRPKRU
 *                        with lib1's open PKRU: a report, never lib1's data
 *                        (its page is app's, from the clone site)
 *   attack --clone-settls [libc|syscall|site|creator|future|mask]  lib1 makes
 *                        a thread with glibc's clone() and the TLS of an app
 *                        thread parked in app (libc), the same by its own
 *                        clone system call (syscall) or by a jump to the
 *                        syscall of the runtime's clone site (site), or with
 *                        CLONE_VM and no CLONE_SETTLS, so its own FS base
 *                        (creator): a report (limit 2); with the filter
 *                        off, app's data;
 *                        future: with the FS base glibc gives app's next
 *                        thread: app's pthread_create is reported; mask:
 *                        a jump to the site's mask read with %rsp at lib1's
 *                        gate page: reported, the page still naming lib1
 *   attack --clone-race   two lib1 threads clone at once with one TLS (a
 *                        joined thread's): one is reported, never two live
 *                        threads with one FS base (one then read app's data)
 *   attack --fork-clone   in a child of fork(), a lib1 thread clones with
 *                        the forking thread's FS base: reported in the child
 *   attack --vm-clone     lib1 makes a process sharing the image's memory
 *                        (CLONE_VM, no CLONE_THREAD): reported (there it
 *                        cloned a thread with a live one's FS base)
 *   attack --sigio-sigsys  lib1 aims an I/O signal, SIGSYS, at app's
 *                        thread: the image ends as without a handler (159)
 *   attack --thread-reuse [distinct]  threads made and joined one after the other
 *                        (glibc reuses their descriptors, so FS bases), each
 *                        crossing gates (distinct: 1100, more than the gate
 *                        pages, each with a stack, so an FS base, of its own)
 *   attack --stack-steal  app takes the gate page of its thread parked in
 *                        app -> lib1 -> app (registering its FS base), then
 *                        a new thread enters lib1: it must not get the
 *                        parked thread's stack there (run with
 *                        FLEXOS_MPK_STACKS=2: the pool is exhausted, 134)
 *   attack --slow-race N  N new threads of app each enter lib1 for the first
 *                        time (the gate's slow path, which runs C with the
 *                        gate page open), while another thread of app
 *                        writes the address of slow_hijack over the stack
 *                        of each below where it called the gate: that C
 *                        code must never return into it (status 0); run in
 *                        a VM with two CPUs (tests/mpk/vm-race.sh)
 *   attack --signal-frame rip|ret|gate-ret  lib1 installs a handler for
 *                        SIGUSR2 that makes the interrupted code resume in
 *                        lib1's code (the context's rip, the return address
 *                        the kernel pushed, the one of the delivery stub's
 *                        gate call); app raises SIGUSR2: app must resume
 *                        where it was, never lib1's code with app's rights
 *                        (limit 9)
 *   attack --carry-write [reclaim]  app points its TLS pointer to the carry page at a
 *                        callback record (gate key) and calls lib1 with
 *                        stack arguments: the gate must copy them to the
 *                        thread's carry page, never there (limit 3)
 *   attack --callee-saved  app calls lib1_clobber with known values in rbx,
 *                        rbp and r12-r15, which lib1 records and returns
 *                        with changed (limit 6): app must find its own
 *                        values back and lib1 must have seen none of them
 *   attack --gate-stack-wipe  a new thread of app calls lib1 with two
 *                        secret words (the claim of its gate page and the
 *                        gate's slow path, which run C code on gate-key
 *                        stacks every compartment may read); then lib2
 *                        looks for them on every gate stack and the
 *                        claim's: none may be left (limit 3)
 *   attack --thread-stack read|write  lib1 reads or writes a local of the
 *                        start routine of a thread of app's made after
 *                        start-up: a protection-key fault (limit 8);
 *                        deep: that thread uses 1.5 MiB of stack, past its
 *                        pool stack: the report says it overflowed (139)
 *   attack --arg-regs    app calls lib1_regs(long) with its own words in the
 *                        registers that call does not use, and lib1_leave()
 *                        returns a long with lib1's in rdx, xmm0 and xmm1
 *                        (and the upper halves of the vector registers,
 *                        with AVX): neither may see the other's (limit 6);
 *                        lib1_narrow(int, unsigned char, float, double)
 *                        gets app's words in the bits of its registers
 *                        those arguments do not use: it may not see them
 *   attack --spawn       posix_spawn (a vfork-like clone) and vfork: EPERM
 *   attack --timer-thread  a SIGEV_THREAD timer: glibc's helper thread makes
 *                        a thread per expiry; the notify function runs
 *   attack --fs-switch   app sets its FS base to that of an app thread
 *                        parked in a callback (arch_prctl) and crosses a
 *                        gate on its page: the filter's report
 *   attack --sig-entry gate|stub|past-check|queue|range  app runs lib1's signal
 *                        handler without a signal: a gate call with the
 *                        signal entry index, or a call of the delivery stub:
 *                        a report; a jump past the stub's check: it runs
 *                        (what remains of limit 9); queue: a real signal
 *                        app sends itself with a kernel-like siginfo of its
 *                        making: it runs, with that siginfo; range: lib1
 *                        jumps past the entry's first range check with
 *                        signal -1: the report
 *   attack --sched-timer none|fn|handle  lib1 changes a timer of app's
 *                        (schedrecord.c)
 *   attack --thread-start none|fn|handle  lib1 changes the start data of a
 *                        thread app makes with pthread_create (limit 8)
 *   attack --sched-thread none|fn|handle|zero  lib1 changes a scheduler thread
 *                        of app's before it starts (schedrecord.c)
 *   attack --sched-many  scheduler threads until the pool or the switch
 *                        records run out: -EAGAIN, the image goes on
 *   attack --sched-deputy runq|heap  lib1 points the run queue's tail or
 *                        the deadline heap into app's data: the scheduler's
 *                        report when app's thread runs it (limit 13)
 *   attack --sched-wake none|sem|timeout|mutex|fd  lib1 marks an app thread
 *                        waiting on app's semaphore, mutex or pipe woken: it
 *                        waits again (limit 13)
 *   attack --sched-join none|state|result|rec|hijack|reuse|reuse-exited|
 *                        reuse-first|dead-list|detached  lib1 forges the end or the
 *                        result of app's thread, or frees its control
 *                        block: app's join never gets its result (reuse:
 *                        the scheduler's report, limit 13); detached: only
 *                        lib1 releases its own thread
 *   attack --sched-current none|mutex|switch|first|thread|main  lib1 makes app's
 *                        thread that holds app's mutex the scheduler's
 *                        current thread: main's unlock, or switch, is
 *                        reported (limit 13)
 *   attack --sched-frame N  an OS thread of lib1's rewrites the return address
 *                        in the first frame of each of N new scheduler
 *                        threads of app's: each runs its own function
 *                        (limit 13)
 *   attack --sched-map N  an OS thread of lib1's points the mapping of each
 *                        of N new scheduler threads of app's at app's data:
 *                        the scheduler never writes there (limit 13)
 *   attack --dss-bounds  lib1 points the bounds of app's thread's data
 *                        shadow stack (its TLS, key 0) at app's private
 *                        data; app then declares a FLEXOS_SHARED_STACK
 *                        object: the runtime's report (134), never a write
 *                        of app's where lib1 chose (limit 1)
 *   attack --shared-heap list|free|table|size  lib1 points a free list of
 *                        the shared heap (its bookkeeping is everyone's) at
 *                        app's private data, or the header of app's shared
 *                        object at app's own object; app allocates, or
 *                        frees, shared memory: the runtime's report (134),
 *                        never a write there (limit 1); size: a header's
 *                        size 0, app's malloc_usable_size is reported
 *   attack --sched-record HOW  app changes the scheduler's record of a
 *                        thread suspended in lib1 (tests/mpk/schedrecord.c)
 *   attack --count [shared|newlib|carry]  single-steps one gate (the
 *                        private-stack one, the shared-stack one, the one of
 *                        images with newlib compartments, or the private one's
 *                        path for stack arguments) and counts its instructions
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* clone() */
#endif
#include <cpuid.h>
#include <elf.h>
#include <errno.h>
#include <execinfo.h>
#include <pthread.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <spawn.h>
#include <time.h>
#include <asm/prctl.h>
#include <linux/sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <ucontext.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/ptrace.h>
#include <sys/time.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <flexos/flexos.h>
#include <flexos/sched.h>

#include "attacklib.h"
#include "carryback.h"
#include "gateglibc.h"
#include "gotelevated.h"
#include "hdrforge.h"
#include "reportcanary.h"
#include "reportframe.h"
#include "reportblock.h"
#include "reportlend.h"
#include "unwindwrite.h"
#include "schedrecord.h"
#include "singlestep.h"
#include "symforge.h"
#include "reportstack.h"
#include "lookjump.h"
#include "gotlibc.h"
#include "gatepush.h"
#include "stackaim.h"
#include "looksignal.h"
#include "reportleak.h"
#include "sigsched.h"

#define NCOMP 3
static const char *const comp_names[NCOMP] = {"app", "lib1", "lib2"};
static const char *const kind_names[] = {"data",        "bss",         "heap",        "stack",
					 "shared-data", "shared-heap", "shared-stack"};
#define KIND_SHARED_DATA  4
#define KIND_SHARED_HEAP  5
#define KIND_SHARED_STACK 6
#define ALL_KINDS         7

/* FLEXOS_EXIT_FAULT: the status of an image stopped by a fault report. */
#define EXIT_FAULT 123 /* FLEXOS_EXIT_FAULT; <flexos/backend.h> would clash below */

static volatile int app_data = 11;
static volatile int app_bss;
static volatile int *app_heap;
static volatile int shared_data FLEXOS_SHARED = 5;

__attribute__((noinline)) static uintptr_t app_where(int kind)
{
	volatile int local = 3;
	uintptr_t a;

	switch (kind) {
	case KIND_DATA:
		return (uintptr_t)&app_data;
	case KIND_BSS:
		return (uintptr_t)&app_bss;
	case KIND_HEAP:
		if (!app_heap)
			app_heap = malloc(sizeof(*app_heap));
		return (uintptr_t)app_heap;
	case KIND_STACK:
		__asm__("" : "=r"(a) : "0"(&local) : "memory");
		return a;
	}
	return 0;
}

__attribute__((noinline)) static long app_probe(uintptr_t addr, int write)
{
	if (write) {
		*(volatile int *)addr = 1;
		return 0;
	}
	return *(volatile int *)addr;
}

/* attack --report-stack leak: app's private word the unwinder is pointed at. */
static uintptr_t rs_app_word;

static uintptr_t where(int comp, int kind)
{
	uintptr_t a = 0;

	if (comp == 0)
		return app_where(kind);
	if (comp == 1)
		flexos_gate_r(lib1, a, lib1_where, kind);
	else
		flexos_gate_r(lib2, a, lib2_where, kind);
	return a;
}

/*
 * The same, asked from 16 KiB further down the stack. A stack variable's
 * address outlives its frame: with shared stacks the probe's own calls
 * would reuse that slot, and a write there would break them rather than
 * test an access.
 */
__attribute__((noinline)) static uintptr_t where_deep(int comp, int kind)
{
	volatile char pad[16384];

	pad[0] = 0;
	__asm__ volatile("" : : "r"(pad) : "memory");
	return where(comp, kind);
}

static long probe(int comp, uintptr_t addr, int write)
{
	long r = 0;

	if (comp == 0)
		return app_probe(addr, write);
	if (comp == 1)
		flexos_gate_r(lib1, r, lib1_probe, addr, write);
	else
		flexos_gate_r(lib2, r, lib2_probe, addr, write);
	return r;
}

static int lookup(const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	fprintf(stderr, "attack: unknown name '%s'\n", s);
	exit(2);
}

/* One access; returns only if it was allowed. */
static void attempt(int a, int b, int kind, int write)
{
	uintptr_t addr;
	int *shared_heap = NULL;
	FLEXOS_SHARED_STACK(int, shared_stack);

	if (kind == KIND_SHARED_DATA)
		addr = (uintptr_t)&shared_data;
	else if (kind == KIND_SHARED_HEAP)
		addr = (uintptr_t)(shared_heap = flexos_shared_calloc(1, sizeof(int)));
	else if (kind == KIND_SHARED_STACK)
		addr = (uintptr_t)shared_stack;
	else if (kind == KIND_STACK)
		addr = where_deep(b, kind);
	else
		addr = where(b, kind);
	probe(a, addr, write);
	flexos_shared_free(shared_heap);
}

/* Runs one attempt in a child; returns its status, its stderr in out. */
static int run_child(int a, int b, int kind, int write, char *out, size_t len)
{
	int fds[2], status;
	size_t n = 0;
	ssize_t r;

	if (pipe(fds))
		return -1;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		attempt(a, b, kind, write);
		_exit(0);
	}
	close(fds[1]);
	while (n + 1 < len && (r = read(fds[0], out + n, len - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = 0;
	close(fds[0]);
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int matrix(int shared_stacks)
{
	int blocked = 0, attacks = 0, allowed = 0, legit = 0, reachable = 0, stack_tries = 0;
	char out[8192], want_a[128], want_b[128];

	for (int a = 0; a < NCOMP; a++)
		for (int b = 0; b < NCOMP; b++)
			for (int kind = 0; kind < ALL_KINDS; kind++)
				for (int w = 0; w < 2; w++) {
					if (kind >= KIND_SHARED_DATA && b != a)
						continue; /* shared kinds: once per A */
					int foreign = a != b && kind < KIND_SHARED_DATA;
					int st = run_child(a, b, kind, w, out, sizeof(out));

					if (foreign && kind == KIND_STACK && shared_stacks) {
						/* Every stack is key 0: not an attack the image
						 * stops. */
						int ok = st == 0;
						stack_tries++;
						reachable += ok;
						printf(
						    "%-4s %-5s %-4s %-12s %-5s: status %d, %s\n",
						    ok ? "ok" : "FAIL", w ? "write" : "read",
						    comp_names[a], kind_names[kind], comp_names[b],
						    st,
						    ok ? "reachable, as shared stacks allow (not "
							 "isolated)"
						       : "NOT REACHABLE though stacks are shared");
						if (!ok)
							printf("---- its stderr:\n%s----\n", out);
						continue;
					}
					snprintf(want_a, sizeof(want_a),
						 "compartment '%s' tried to %s ", comp_names[a],
						 w ? "write" : "read");
					snprintf(want_b, sizeof(want_b),
						 "belongs to compartment '%s': ", comp_names[b]);
					int ok = foreign
						     ? st == EXIT_FAULT && strstr(out, want_a) &&
							   strstr(out, want_b)
						     : st == 0;
					attacks += foreign;
					blocked += foreign && ok;
					legit += !foreign;
					allowed += !foreign && ok;
					printf("%-4s %-5s %-4s %-12s %-5s: status %d, %s\n",
					       ok ? "ok" : "FAIL", w ? "write" : "read",
					       comp_names[a], kind_names[kind],
					       kind >= KIND_SHARED_DATA ? "" : comp_names[b], st,
					       foreign
						   ? (ok ? "blocked" : "NOT BLOCKED as expected")
						   : (ok ? "allowed" : "NOT ALLOWED"));
					if (!ok)
						printf("---- its stderr:\n%s----\n", out);
				}
	printf("%d/%d blocked\n%d/%d shared or own accesses allowed\n", blocked, attacks, allowed,
	       legit);
	if (shared_stacks)
		printf("%d/%d accesses to another compartment's stack succeeded: shared stacks do "
		       "not isolate stacks (not counted as attacks)\n",
		       reachable, stack_tries);
	return blocked == attacks && allowed == legit && attacks > 0 && reachable == stack_tries
		   ? 0
		   : 1;
}

/* ---- gates under stress ---------------------------------------------------- */

static long app_twice(long x)
{
	long r = 0;
	/* A callback that itself crosses into lib2: app -> lib1 -> app -> lib2. */
	flexos_gate_r(lib2, r, lib2_add, x, 0);
	return r;
}

static volatile sig_atomic_t storm_seen, storm_before_commit, storm_after_commit;
/* cross: the handler calls lib2 each time; its wrong results. */
static volatile sig_atomic_t storm_cross, storm_cross_bad;

/* backends/mpk/mpk.h: struct mpk_window, the gate paths' windows (gate.S: WINDOW). */
extern const struct {
	uint32_t lo, tail, hi, restart;
} flexos__mpk_windows[], flexos__mpk_windows_end[];
extern const char flexos__mpk_gate_text_lo[];

/*
 * Counts the signals whose frame says a gate had its page open (its rip
 * in a window): before the window's commit (resumed from its start) or
 * after it (at its closing switch).
 */
static void storm_tick(int sig, siginfo_t *si, void *ctx)
{
	uintptr_t rip = (uintptr_t)((ucontext_t *)ctx)->uc_mcontext.gregs[REG_RIP];
	uintptr_t off = rip - (uintptr_t)flexos__mpk_gate_text_lo;

	(void)sig;
	(void)si;
	storm_seen++;
	for (size_t w = 0; flexos__mpk_windows + w < flexos__mpk_windows_end; w++)
		if (off >= flexos__mpk_windows[w].lo && off < flexos__mpk_windows[w].tail)
			storm_before_commit++;
		else if (off >= flexos__mpk_windows[w].tail && off < flexos__mpk_windows[w].hi)
			storm_after_commit++;
	if (storm_cross) {
		long r = 0, x = storm_seen;
		flexos_gate_r(lib2, r, lib2_add, x, 3);
		storm_cross_bad += r != 2 * x + 3;
	}
}

static volatile int storm_stop;

/* fn, with SA_SIGINFO, the handler of sig. */
static int handle(int sig, void (*fn)(int, siginfo_t *, void *))
{
	struct sigaction sa = {.sa_sigaction = fn, .sa_flags = SA_SIGINFO};

	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL);
}

/* A storm's timer: SIGALRM every us µs (storm_end stops it). */
static int storm_timer(long us)
{
	struct itimerval it = {{0, us}, {0, us}};

	return setitimer(ITIMER_REAL, &it, NULL);
}

static void storm_end(void)
{
	struct itimerval it = {{0, 0}, {0, 0}};

	setitimer(ITIMER_REAL, &it, NULL);
}

/* --signal-storm's sigwait thread: takes SIGALRM, which the crossing thread blocks. */
static void *storm_waiter(void *arg)
{
	sigset_t *set = arg;
	int sig;

	while (!storm_stop && !sigwait(set, &sig))
		storm_seen++;
	return NULL;
}

/*
 * --signal-storm N US [sigwait]: a timer signal with a handler of app's
 * every US µs while app crosses into lib1 N times, by turns with
 * register arguments, an sret result and stack arguments (the register
 * and carry paths): any signal may land while a gate has its page open,
 * which the restorer then resumes at the window's restart or tail
 * (gate.S: WINDOW). The handler counts those. sigwait: the crossing
 * thread blocks the signal and a thread that never crosses takes it
 * with sigwait, no handler. cross: the handler itself calls into lib2
 * (a gate call from the signal's gate call, which rewrites sp[] of the
 * compartment the signal interrupted).
 */
static int signal_storm(long n, long us, const char *mode)
{
	bool wait = mode && !strcmp(mode, "sigwait");

	storm_cross = mode && !strcmp(mode, "cross");
	long bad = 0, i;
	sigset_t set;
	pthread_t waiter;

	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	if (wait && (pthread_sigmask(SIG_BLOCK, &set, NULL) ||
		     pthread_create(&waiter, NULL, storm_waiter, &set))) {
		printf("signal-storm: cannot start the sigwait thread\n");
		return 1;
	}
	if ((!wait && handle(SIGALRM, storm_tick)) || storm_timer(us)) {
		printf("signal-storm: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < n; i++) {
		long r = 0;
		struct lib_words w = {{0}};
		switch (i % 3) {
		case 0:
			flexos_gate_r(lib1, r, lib1_add, i, 1);
			bad += r != 2 * i + 1;
			break;
		case 1:
			flexos_gate_r(lib1, w, lib1_words, i);
			bad += w.w[0] != i || w.w[3] != i + 3;
			break;
		default:
			flexos_gate_r(lib1, r, lib1_sum8, i, 1, 1, 1, 1, 1, 1, i);
			bad += r != 9 * i + 27;
		}
	}
	storm_end();
	if (wait) {
		storm_stop = 1;
		pthread_kill(waiter, SIGALRM); /* (blocked there too: sigwait takes it) */
		pthread_join(waiter, NULL);
	}
	printf("signal-storm: %ld calls, %d signals %s (%d in a gate's window: %d before its "
	       "commit, %d after), %ld wrong results\n",
	       i, (int)storm_seen, wait ? "taken by sigwait" : "handled",
	       (int)(storm_before_commit + storm_after_commit), (int)storm_before_commit,
	       (int)storm_after_commit, bad);
	if (storm_cross)
		printf("signal-storm: the handler called lib2 %d times, %d wrong results\n",
		       (int)storm_seen, (int)storm_cross_bad);
	return bad != 0 || (wait && !storm_seen) || storm_cross_bad;
}

/*
 * --setjmp-storm N US: the same timer while app calls setjmp N times and
 * longjmps back each time (both wrapped: the backend records each setjmp
 * and looks at each jump with the gate page open, C code included, every
 * signal blocked meanwhile; docs/threat-model.md, limit 9). The signals
 * handled show the mask back after each.
 */
static int setjmp_storm(long n, long us)
{
	static jmp_buf env;
	volatile long jumped = 0;

	if (handle(SIGALRM, storm_tick) || storm_timer(us))
		return 1;
	for (volatile long i = 0; i < n; i++)
		if (!setjmp(env))
			longjmp(env, 1);
		else
			jumped++;
	storm_end();
	printf("setjmp-storm: %ld setjmps and longjmps, %d signals handled, %ld jumps came back\n",
	       n, (int)storm_seen, (long)jumped);
	return jumped != n || !storm_seen;
}

static void *storm_yielder(void *arg)
{
	long *ran = arg;

	while (!storm_stop) {
		flexos_sched_yield();
		(*ran)++;
	}
	return NULL;
}

static void *storm_short(void *arg)
{
	return (char *)arg + 1;
}

/*
 * --sched-storm N US: the same timer, with a handler of app's that calls
 * into lib2 each time, while two scheduler threads of app's yield to each
 * other N times, a third made and joined every 100 yields: the switch and
 * the records' helpers (urec_new, urec_end, urec_free) open the gate page
 * outside a gate call's windows, and hold signals meanwhile (limit 9);
 * before, a signal there ended the image with the report.
 * --sched-storm-sig SIG N US (a review's): the same with the signal SIG
 * (trap, fpe, ill, bus, segv or usr1) of a POSIX timer, not SIGALRM. The
 * paths that hold signals first left every synchronous one unblocked (a
 * fault would kill with no report): a timer's SIGFPE still arrived while
 * the switch had the gate page open (the report). They now leave only
 * SIGSEGV and SIGSYS, which the runtime's own faults raise: a timer's
 * SIGTRAP, SIGFPE, SIGILL or SIGBUS waits, as SIGUSR1 does; a timer's
 * SIGSEGV (app's handler replaces the fault report) still finds the page
 * open (the report, 134).
 */
static int sched_storm(long n, long us, int sig)
{
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = sig};
	struct itimerspec it = {{0, us * 1000}, {0, us * 1000}};
	struct flexos_thread *other;
	timer_t tm;
	long ran = 0, made = 0, bad = 0;

	storm_cross = 1;
	if (handle(sig, storm_tick) || flexos_sched_create(&other, 0, storm_yielder, &ran) ||
	    timer_create(CLOCK_MONOTONIC, &ev, &tm) || timer_settime(tm, 0, &it, NULL))
		return 1;
	for (long i = 0; i < n; i++) {
		flexos_sched_yield();
		if (i % 100 == 0) {
			struct flexos_thread *t;
			void *r = NULL;
			if (flexos_sched_create(&t, 0, storm_short, (void *)i) ||
			    flexos_sched_join(t, &r))
				bad++;
			else
				bad += r != (void *)(i + 1), made++;
		}
	}
	timer_delete(tm);
	storm_stop = 1;
	bad += flexos_sched_join(other, NULL) != 0;
	printf("sched-storm: signal %d, %ld yields (the other thread ran %ld times), %ld threads "
	       "made and joined, %d signals handled (each handler called lib2: %d wrong results), "
	       "%ld wrong\n",
	       sig, n, ran, made, (int)storm_seen, (int)storm_cross_bad, bad);
	return bad || ran < n - 1 || !storm_seen || storm_cross_bad;
}

/* --sched-storm-sig's names. */
static int storm_signal(const char *name)
{
	return !strcmp(name, "trap")   ? SIGTRAP
	       : !strcmp(name, "fpe")  ? SIGFPE
	       : !strcmp(name, "ill")  ? SIGILL
	       : !strcmp(name, "bus")  ? SIGBUS
	       : !strcmp(name, "segv") ? SIGSEGV
				       : SIGUSR1;
}

/* --thread-storm's threads: the first call into lib1 of each (the gate's slow path). */
static void *storm_first(void *arg)
{
	long i = (long)arg, r = 0;

	flexos_gate_r(lib1, r, lib1_add, i, 1);
	return (void *)(long)(r != 2 * i + 1);
}

/*
 * --thread-storm N US: the same timer and handler while app makes N OS
 * threads, one at a time, each calling into lib1 once: their creation
 * (the callback records, the gate page's registration and binding, the
 * home stack) and their first crossing (the gate's slow path) open the
 * gate page outside a gate call's windows, and hold signals meanwhile.
 */
static int thread_storm(long n, long us)
{
	long bad = 0, i;

	storm_cross = 1;
	if (handle(SIGALRM, storm_tick) || storm_timer(us))
		return 1;
	for (i = 0; i < n; i++) {
		pthread_t t;
		void *wrong = NULL;
		if (pthread_create(&t, NULL, storm_first, (void *)i) || pthread_join(t, &wrong))
			break;
		bad += wrong != NULL;
	}
	storm_end();
	printf("thread-storm: %ld threads made, each called lib1 once (%ld wrong results), %d "
	       "signals handled (each handler called lib2: %d wrong results)\n",
	       i, bad, (int)storm_seen, (int)storm_cross_bad);
	return i != n || bad || !storm_seen || storm_cross_bad;
}

static void *thread_main(void *arg)
{
	long id = (long)arg, bad = 0;

	for (long i = 0; i < 100000; i++) {
		long r = 0;
		flexos_gate_r(lib1, r, lib1_add, i, id);
		bad += r != 2 * i + id;
		if (i % 1000 == 0) {
			flexos_gate_r(lib1, r, lib1_call, flexos_callback(app, app_twice), i);
			bad += r != 2 * (i + 1) + 1;
		}
	}
	if (flexos_compartment_id() != 0)
		bad++;
	return (void *)bad;
}

static int threads(void)
{
	pthread_t t[4];
	long bad = 0;

	for (long i = 0; i < 4; i++)
		if (pthread_create(&t[i], NULL, thread_main, (void *)i))
			return 1;
	for (int i = 0; i < 4; i++) {
		void *r;
		pthread_join(t[i], &r);
		printf("thread %d: %ld wrong results of 101 x 1000 gates\n", i, (long)r);
		bad += (long)r;
	}
	printf("threads: %s\n", bad ? "FAIL" : "ok");
	return bad != 0;
}

static long app_inner(long x)
{
	long r = 0;
	flexos_gate_r(lib1, r, lib1_add, x, 1);
	return r;
}

static long app_middle(long x)
{
	long r = 0;
	flexos_gate_r(lib2, r, lib2_call, flexos_callback(app, app_inner), x);
	return r;
}

static int nested(void)
{
	long r = 0;
	/* app -> lib1 -> app -> lib2 -> app -> lib1 */
	flexos_gate_r(lib1, r, lib1_call, flexos_callback(app, app_middle), 10);
	/* lib1_call(10): app_middle(11): lib2_call(11): app_inner(12): 2*12+1 = 25, +1, +1 */
	printf("nested: %ld (expected 27): %s\n", r, r == 27 ? "ok" : "FAIL");
	return r != 27;
}

/* A library writes into its caller's stack variable: needs shared stacks. */
static int stackptr(void)
{
	long v = 0, r = -1;

	printf("stackptr: lib1 writes 42 through a pointer to app's stack variable\n");
	fflush(stdout);
	flexos_gate_r(lib1, r, lib1_fill, &v, 42);
	printf("stackptr: %ld (expected 42): %s\n", v, v == 42 && r == 0 ? "ok" : "FAIL");
	return v == 42 && r == 0 ? 0 : 1;
}

/* A string literal of the application is private to it: pass a shared one. */
static char who[] FLEXOS_SHARED = "app";

static int stdio_test(void)
{
	long r = 0;
	flexos_gate_r(lib2, r, lib2_print, who);
	printf("app: printf from compartment %s\n", flexos_compartment_name());
	flexos_gate_r(lib1, r, lib1_print, who);
	flexos_gate_r(lib2, r, lib2_print, who);
	fprintf(stderr, "app: stderr works too\n");
	printf("printf: ok\n");
	return (int)r;
}

/* ---- gate path length ------------------------------------------------------ */

extern char flexos__backend_gate[], flexos__backend_gate_shared_stacks[];
extern char flexos__mpk_gate_carry_slow_close_checked[];
extern char flexos__mpk_gate_slow_close_checked[];
extern char flexos__backend_gate_newlib[];
extern void flexos__mpk_segv_entry(int, siginfo_t *, void *);
extern long __flexos_gate__lib1__lib1_add(long, long);

enum gate_kind { GATE_PRIVATE, GATE_SHARED, GATE_NEWLIB, GATE_CARRY };

/* A stub of flexos-link, read: its callee (%r11) and its %r10. */
struct stub {
	void *callee;
	unsigned long r10;
};

/*
 * "movq fn@GOTPCREL(%rip), %r11" (or the leaq the linker may relax it
 * into), "movabsq $r10, %r10", "jmp gate".
 */
static struct stub read_stub(const unsigned char *stub)
{
	struct stub st;
	int32_t disp;

	if (stub[0] != 0x4c || (stub[1] != 0x8b && stub[1] != 0x8d) || stub[2] != 0x1d ||
	    stub[7] != 0x49 || stub[8] != 0xba) {
		fprintf(stderr, "attack: the stub at %p is not what flexos-link writes\n",
			(const void *)stub);
		exit(1);
	}
	memcpy(&disp, stub + 3, 4);
	memcpy(&st.r10, stub + 9, 8);
	const unsigned char *at = stub + 7 + disp;
	st.callee = stub[1] == 0x8d ? (void *)at : *(void *const *)at;
	return st;
}

/*
 * fn(a, b) through the gate entry `gate` with the stub's registers r10
 * and r11 as given, on a 16-byte aligned stack below the red zone. With
 * a frame pointer, so that the fault report's backtrace from inside the
 * gate walks on past this frame, whose stack pointer the asm moves (with
 * the frame found from %rsp, the unwinder read garbage, and with some
 * layouts of main faulted: status 139 instead of the report's 123).
 */
__attribute__((noinline, optimize("no-omit-frame-pointer"))) static long
gate_call(const char *gate, unsigned long r10_value, void *r11_value, long a, long b)
{
	register long rdi __asm__("rdi") = a;
	register long rsi __asm__("rsi") = b;
	register void *r11 __asm__("r11") = r11_value;
	register unsigned long r10 __asm__("r10") = r10_value;
	register const char *r12 __asm__("r12") = gate;
	long ret;
	__asm__ volatile("movq %%rsp, %%rbx\n\t"
			 "subq $128, %%rsp\n\t"
			 "andq $-16, %%rsp\n\t"
			 "call *%%r12\n\t"
			 "movq %%rbx, %%rsp"
			 : "=a"(ret), "+r"(rdi), "+r"(rsi), "+r"(r11), "+r"(r10)
			 : "r"(r12)
			 : "rbx", "rcx", "rdx", "r8", "r9", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4",
			   "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
			   "xmm13", "xmm14", "xmm15", "memory", "cc");
	return ret;
}

/*
 * lib1_add(a, b) through the gate entry `gate`, as lib1_add's stub would
 * make it but with its %r10 cleared of what the call carries in memory
 * (a call with register arguments only), or with carry added (what a
 * stub for stack arguments says).
 */
static long add_through_gate(const char *gate, unsigned long carry, long a, long b)
{
	struct stub st = read_stub((const unsigned char *)__flexos_gate__lib1__lib1_add);

	return gate_call(gate, (st.r10 & ~0xffff00ul) | carry, st.callee, a, b);
}

/* What count() counts of the instructions between the child's int3s. */
struct gate_steps {
	uintptr_t lo, hi, stub; /* the gate's code; the stub's first byte */
	long in_gate, in_stub, total, wrpkru;
};

static void count_step(uintptr_t rip, bool wrpkru, void *arg)
{
	struct gate_steps *n = arg;

	n->total++;
	if (rip >= n->lo && rip < n->hi) {
		n->in_gate++;
		n->wrpkru += wrpkru;
	}
	if (rip >= n->stub && rip < n->stub + 24)
		n->in_stub++;
}

/*
 * Counts the instructions one warm gate executes, by single-stepping a
 * child through lib1_add(1, 2) made through the gate's entry with
 * register arguments only (add_through_gate): those inside the gate (from
 * its entry up to the next gate's; WRPKRUs included) and those of the
 * whole call. The limit is each gate's documented count. GATE_CARRY is
 * flexos__backend_gate's path for calls with 64 bytes of stack arguments
 * (lib1_add ignores them), for information.
 */
static int count(enum gate_kind kind)
{
	long r = 0;

	flexos_gate_r(lib1, r, lib1_add, 0, 0); /* this thread's lib1 stack exists now */
	pid_t pid = step_fork();
	if (pid == 0) {
		__asm__ volatile("int3"); /* start */
		static const char *const entry[] = {
		    [GATE_PRIVATE] = flexos__backend_gate,
		    [GATE_SHARED] = flexos__backend_gate_shared_stacks,
		    [GATE_NEWLIB] = flexos__backend_gate_newlib,
		    [GATE_CARRY] = flexos__backend_gate,
		};
		r = add_through_gate(entry[kind], kind == GATE_CARRY ? 8ul << 8 : 0, 1, 2);
		__asm__ volatile("int3"); /* end */
		_exit(r == 4 ? 0 : 1);
	}
	static const struct {
		const char *name;
		long limit, wrpkru; /* instructions besides the WRPKRUs; WRPKRUs */
		const char *lo, *hi;
	} gates[] = {
	    [GATE_PRIVATE] = {"flexos__backend_gate", 311, 4, flexos__backend_gate,
			      flexos__backend_gate_shared_stacks},
	    [GATE_SHARED] = {"flexos__backend_gate_shared_stacks", 278, 4,
			     flexos__backend_gate_shared_stacks, flexos__backend_gate_newlib},
	    [GATE_NEWLIB] = {"flexos__backend_gate_newlib", 311, 4, flexos__backend_gate_newlib,
			     (const char *)flexos__mpk_segv_entry},
	    [GATE_CARRY] = {"flexos__backend_gate (64 bytes of stack arguments)", 451, 6,
			    flexos__backend_gate, flexos__backend_gate_shared_stacks},
	};
	const char *gate = gates[kind].name;
	struct gate_steps n = {.lo = (uintptr_t)gates[kind].lo,
			       .hi = (uintptr_t)gates[kind].hi,
			       .stub = (uintptr_t)__flexos_gate__lib1__lib1_add};

	step_child(pid, count_step, &n);
	printf("gate path: %ld instructions in %s (%ld of them WRPKRU), "
	       "so %ld besides the WRPKRUs; %ld in the stub; %ld for the whole call "
	       "(caller's argument set-up, stub, gate, callee)\n",
	       n.in_gate, gate, n.wrpkru, n.in_gate - n.wrpkru, n.in_stub, n.total);
	/* On AVX-512 hosts CLEAR_EVEX clears 24 registers each way (gate.S). */
	long limit = gates[kind].limit + (__builtin_cpu_supports("avx512vl") ? 48 : 0);
	return n.in_gate - n.wrpkru <= limit && n.wrpkru == gates[kind].wrpkru ? 0 : 1;
}

/* ---- forged gate --------------------------------------------------------- */

extern char flexos__mpk_gate_entry_checked[], flexos__mpk_gate_exit_checked[];
extern char flexos__mpk_gate_shared_entry_checked[], flexos__mpk_gate_shared_exit_checked[];
extern char flexos__mpk_gate_newlib_entry_checked[], flexos__mpk_gate_newlib_exit_checked[];
extern char flexos__mpk_start_main_checked[];
extern char flexos__mpk_gate_open_checked[], flexos__mpk_gate_reopen_checked[];
extern char flexos__mpk_gate_entry_checked[], flexos__mpk_gate_carry_clear_open_checked[];
extern char flexos__mpk_gate_shared_open_checked[], flexos__mpk_gate_shared_entry_checked[];
extern char flexos__mpk_switch_checked[], flexos__mpk_resume_open_checked[];
extern char flexos__mpk_claim[], flexos__mpk_sig_deliver_open_checked[];

/* The head of backends/mpk/mpk.h's struct mpk_gate_page. */
struct gate_page_head {
	uint64_t cur, depth, sp[16], owner;
	uint8_t ids[8];
};

/* The backend's TLS state: its first word points to this thread's gate page. */
extern __thread struct {
	struct gate_page_head *gp;
} flexos__mpk_thread;
extern char flexos__mpk_gate_shared_open_checked[], flexos__mpk_gate_newlib_open_checked[];
extern char flexos__mpk_gate_carry_open_checked[];
extern char flexos__mpk_gate_carry_clear_open_checked[], flexos__mpk_gate_carry_clear_checked[];
extern char flexos__mpk_gate_carry_clear_back_open_checked[];
extern char flexos__mpk_gate_carry_clear_back_checked[];
extern char flexos__mpk_setjmp_open_checked[], flexos__mpk_setjmp_checked[];
extern char flexos__mpk_longjmp_open_checked[], flexos__mpk_longjmp_checked[];
extern const uint32_t flexos__mpk_pkru[];

/* This thread's gate page (the TLS pointer, below). */
static uintptr_t own_gate_page(void);

/* How many times main started (start-main-from-lib1). */
static int starts;

/*
 * Run by lib1 (lib1_call calls it as a plain function pointer, with
 * lib1's PKRU): the WRPKRU of main's start with app's PKRU, which the
 * check after it accepts. What follows must not run main over with
 * app's rights on app's live stack, nor come back here: main's start
 * finds this thread's gate page naming lib1 at depth 1 and ends the
 * image with the report (status 134).
 */
static long jump_to_start_main(long x)
{
	(void)x;
	__asm__ volatile("movl %0, %%eax\n\t"
			 "xorl %%r10d, %%r10d\n\t"
			 "xorl %%ecx, %%ecx\n\t"
			 "xorl %%edx, %%edx\n\t"
			 "jmp *%1"
			 :
			 : "r"(flexos__mpk_pkru[0]),
			   "r"((uintptr_t)flexos__mpk_start_main_checked - 3)
			 : "rax", "rcx", "rdx", "r10", "memory");
	return 0;
}

static int start_main_from_lib1(void)
{
	long r = 0;

	if (starts > 1) {
		printf("start-main: main started over in compartment %s: FAIL\n",
		       flexos_compartment_name());
		return 1;
	}
	printf("start-main: lib1 jumps to main's start's WRPKRU with app's PKRU\n");
	fflush(stdout);
	flexos_gate_r(lib1, r, lib1_call, jump_to_start_main, 0);
	printf("start-main: back in lib1's caller (%ld): FAIL\n", r);
	return 1;
}

static int forge(const char *where_to)
{
	char *target;

	if (!strcmp(where_to, "entry"))
		target = flexos__mpk_gate_entry_checked;
	else if (!strcmp(where_to, "exit"))
		target = flexos__mpk_gate_exit_checked;
	else if (!strcmp(where_to, "shared-entry"))
		target = flexos__mpk_gate_shared_entry_checked;
	else if (!strcmp(where_to, "shared-exit"))
		target = flexos__mpk_gate_shared_exit_checked;
	else if (!strcmp(where_to, "newlib-entry"))
		target = flexos__mpk_gate_newlib_entry_checked;
	else if (!strcmp(where_to, "newlib-exit"))
		target = flexos__mpk_gate_newlib_exit_checked;
	else if (!strcmp(where_to, "start-main"))
		target = flexos__mpk_start_main_checked;
	else if (!strcmp(where_to, "open"))
		target = flexos__mpk_gate_open_checked;
	else if (!strcmp(where_to, "reopen"))
		target = flexos__mpk_gate_reopen_checked;
	else if (!strcmp(where_to, "shared-open"))
		target = flexos__mpk_gate_shared_open_checked;
	else if (!strcmp(where_to, "newlib-open"))
		target = flexos__mpk_gate_newlib_open_checked;
	else if (!strcmp(where_to, "carry-open"))
		target = flexos__mpk_gate_carry_open_checked;
	else if (!strcmp(where_to, "carry-clear-open"))
		target = flexos__mpk_gate_carry_clear_open_checked;
	else if (!strcmp(where_to, "carry-clear"))
		target = flexos__mpk_gate_carry_clear_checked;
	else if (!strcmp(where_to, "carry-clear-back-open"))
		target = flexos__mpk_gate_carry_clear_back_open_checked;
	else if (!strcmp(where_to, "carry-clear-back"))
		target = flexos__mpk_gate_carry_clear_back_checked;
	else if (!strcmp(where_to, "switch"))
		target = flexos__mpk_switch_checked;
	else if (!strcmp(where_to, "setjmp-open"))
		target = flexos__mpk_setjmp_open_checked;
	else if (!strcmp(where_to, "setjmp"))
		target = flexos__mpk_setjmp_checked;
	else if (!strcmp(where_to, "longjmp-open"))
		target = flexos__mpk_longjmp_open_checked;
	else if (!strcmp(where_to, "longjmp"))
		target = flexos__mpk_longjmp_checked;
	else
		return 2;
	target -= 3;
	printf("forge: jumping to the gate's WRPKRU (%s) with eax = 0 (every key open), "
	       "compartment lib1\n",
	       where_to);
	fflush(stdout);
	/*
	 * The 3-byte WRPKRU right before the label, with a forged value: the
	 * gate writes it, then its check must refuse it. %r11: this thread's
	 * own gate page, which the switches validate, so that the check of
	 * the value is what stops the jump.
	 */
	register uint64_t r11 __asm__("r11") = own_gate_page();
	__asm__ volatile("movl $1, %%r10d\n\t"
			 "xorl %%eax, %%eax\n\t"
			 "xorl %%ecx, %%ecx\n\t"
			 "xorl %%edx, %%edx\n\t"
			 "jmp *%0"
			 :
			 : "r"(target), "r"(r11)
			 : "rax", "rcx", "rdx", "r10", "memory");
	printf("forge: the gate let it through: FAIL\n");
	return 1;
}

/*
 * forge-pkru (limit 2): the gate's switches to the compartment it enters
 * or returns to check the PKRU written against the compartment the
 * validated gate page names, not against %r10, a register a jump sets:
 * app jumps to the WRPKRU with lib1's PKRU (the read-only table every
 * compartment reads) in %eax and lib1's id in %r10, its own gate page in
 * %r11, and %rsp at a frame of its making in shared memory (which lib1's
 * PKRU reads), whose return address is steal_as_lib1. Checked against
 * %r10, that ran app's code with lib1's rights and read lib1's data.
 */
extern char flexos__mpk_sig_close_checked[];
static char forged_stack[65536] FLEXOS_SHARED __attribute__((aligned(16)));
static volatile uintptr_t steal_from FLEXOS_SHARED; /* (read with lib1's PKRU) */

static void steal_as_lib1(void)
{
	char msg[128];
	int n = snprintf(msg, sizeof(msg),
			 "forge-pkru: app's code read lib1's %#x with lib1's rights: FAIL\n",
			 *(volatile int *)steal_from);
	if (write(1, msg, (size_t)n) < 0)
		syscall(SYS_exit_group, 2);
	syscall(SYS_exit_group, 1);
}

static int forge_pkru(const char *where_to)
{
	uint64_t *frame = (uint64_t *)(forged_stack + sizeof(forged_stack) - 256);
	char *target;
	int words; /* the callee-saved registers the path pops before its ret */

	if (!strcmp(where_to, "exit"))
		target = flexos__mpk_gate_exit_checked, words = 6;
	else if (!strcmp(where_to, "shared-exit"))
		target = flexos__mpk_gate_shared_exit_checked, words = 0;
	else if (!strcmp(where_to, "sig-record"))
		target = flexos__mpk_sig_close_checked, words = 0;
	else
		return 2;
	steal_from = where(1, KIND_DATA);
	for (int i = 0; i < words; i++)
		frame[i] = 0;
	frame[words] = (uint64_t)(uintptr_t)steal_as_lib1;
	uint32_t mxcsr, cw = 0;
	__asm__ volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(mxcsr), "=m"(cw));
	printf("forge-pkru: jumping to the gate's WRPKRU (%s) with lib1's PKRU %#x and %%r10 = 1\n",
	       where_to, flexos__mpk_pkru[1]);
	fflush(stdout);
	register uint64_t r9 __asm__("r9") = (uint64_t)(mxcsr & 0xffc0) | (uint64_t)(cw & 0xffff)
									      << 16;
	register uint64_t r11 __asm__("r11") = own_gate_page();
	__asm__ volatile("pxor	%%xmm12, %%xmm12\n\t"
			 "pxor	%%xmm13, %%xmm13\n\t"
			 "movq	%%rsi, %%rsp\n\t"
			 "movl	$1, %%r10d\n\t"
			 "xorl	%%ecx, %%ecx\n\t"
			 "xorl	%%edx, %%edx\n\t"
			 "jmp	*%%rdi"
			 :
			 : "D"(target - 3), "S"(frame), "a"(flexos__mpk_pkru[1]), "r"(r9), "r"(r11)
			 : "rcx", "rdx", "r10", "memory");
	__builtin_unreachable();
}

/*
 * sig-nested (limit 9): SIGUSR1 interrupts lib1 and runs app's handler
 * (another compartment's: the stub snapshots lib1's frame, the handler
 * runs on app's stack), which executes int3: the kernel cannot block a
 * SIGTRAP, and writes its frame at the top of the signal stack again, at
 * the address of lib1's. app's SIGTRAP handler counts it; both return,
 * and lib1 must resume from its own snapshot. The nested delivery took
 * over the area recorded for that address (a review found it), so lib1's
 * return copied the signal stack, by then app's frame (which app could
 * also have written as it chose): reported as another PKRU (134).
 */
static volatile int nested_outer, nested_traps;

static void on_nested_trap(int sig)
{
	(void)sig;
	nested_traps++;
}

static void on_nested_outer(int sig)
{
	(void)sig;
	nested_outer++;
	__asm__ volatile("int3");
}

static int sig_nested(void)
{
	struct sigaction sa;
	long r = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_nested_trap;
	if (sigaction(SIGTRAP, &sa, NULL))
		return 2;
	sa.sa_handler = on_nested_outer;
	if (sigaction(SIGUSR1, &sa, NULL))
		return 2;
	flexos_gate_r(lib1, r, lib1_raise, SIGUSR1);
	printf("sig-nested: lib1_raise returned %ld; app's SIGUSR1 handler ran %d time(s), its "
	       "SIGTRAP handler, nested, %d\n",
	       r, nested_outer, nested_traps);
	return r == 0 && nested_outer == 1 && nested_traps == 1 ? 0 : 1;
}

/*
 * sig-own-stack (limit 9): SIGUSR1 interrupts lib1 and runs app's
 * handler, which calls lib1 back: that call must run on lib1's own stack
 * of the thread, not on the signal stack (which every compartment may
 * write), where the stub's call of the handler's gate used to leave
 * lib1's saved stack pointer (a review found it).
 */
static volatile long own_stack_rsp;
int flexos__mpk_shared_stacks(void);

static void on_own_stack(int sig)
{
	long r = 0;

	(void)sig;
	flexos_gate_r(lib1, r, lib1_stack_pointer);
	own_stack_rsp = r;
}

static int sig_own_stack(void)
{
	struct sigaction sa;
	stack_t ss;
	long r = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_own_stack;
	if (sigaction(SIGUSR1, &sa, NULL))
		return 2;
	flexos_gate_r(lib1, r, lib1_raise, SIGUSR1);
	if (sigaltstack(NULL, &ss) || (ss.ss_flags & SS_DISABLE))
		return 2;
	uintptr_t lo = (uintptr_t)ss.ss_sp, hi = lo + ss.ss_size, at = (uintptr_t)own_stack_rsp;
	int on_signal_stack = at >= lo && at < hi, shared = flexos__mpk_shared_stacks();
	printf("sig-own-stack: lib1's call from app's handler ran at %#lx, %s the signal stack "
	       "[%#lx, %#lx)%s\n",
	       (unsigned long)at, on_signal_stack ? "on" : "off", (unsigned long)lo,
	       (unsigned long)hi,
	       !on_signal_stack ? ""
	       : shared         ? " (shared stacks: every stack is everyone's)"
				: ": FAIL");
	return r == 0 && at && (shared || !on_signal_stack) ? 0 : 1;
}

/*
 * sig-same-stack (limit 9): SIGUSR1 interrupts app and runs app's own
 * handler: where its locals are, on app's stack of the thread below the
 * interrupted code, or on the signal stack (key 0: every compartment's).
 */
static volatile uintptr_t same_stack_local;

static void on_same_stack(int sig)
{
	volatile char local = (char)sig;

	same_stack_local = (uintptr_t)&local;
}

static int sig_same_stack(void)
{
	struct sigaction sa;
	stack_t ss;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_same_stack;
	if (sigaction(SIGUSR1, &sa, NULL))
		return 2;
	raise(SIGUSR1);
	if (sigaltstack(NULL, &ss) || (ss.ss_flags & SS_DISABLE))
		return 2;
	uintptr_t lo = (uintptr_t)ss.ss_sp, hi = lo + ss.ss_size, at = same_stack_local;
	uintptr_t stack = where(0, KIND_STACK);
	long d = (long)(at - stack);
	int on_signal_stack = at >= lo && at < hi, shared = flexos__mpk_shared_stacks();
	printf("sig-same-stack: app's handler of a signal that interrupted app had its local at "
	       "%#lx: %s the signal stack [%#lx, %#lx), %s app's stack of this thread (near "
	       "%#lx)%s\n",
	       (unsigned long)at, on_signal_stack ? "on" : "off", (unsigned long)lo,
	       (unsigned long)hi, d > -(1024L * 1024) && d < 4096 ? "on" : "not on",
	       (unsigned long)stack,
	       !on_signal_stack ? ""
	       : shared         ? " (shared stacks: every stack is everyone's)"
				: ": FAIL");
	return at && (shared || !on_signal_stack) ? 0 : 1;
}

/* ---- gate targets ---------------------------------------------------------- */

extern long __flexos_gate__lib2__lib2_add(long, long);

/* What app would like lib1's PKRU to run: app's own code. */
__attribute__((noinline)) static long app_evil(long a, long b)
{
	(void)a;
	(void)b;
	return 666;
}

/*
 * Gate calls a compromised app could forge with the stub's registers, on
 * the gate entry `gate` (private, shared or newlib):
 *   fake-callee   lib1_add's %r10 with %r11 = app_evil: the gate must
 *                 call lib1_add, the table's entry, and return 2a + b
 *   other-entry   lib1's id with lib2_add's entry index
 *   out-of-range  lib1's id with an index beyond the table
 *   unused-id     lib1_add's entry index with id 5, which has no
 *                 compartment (its PKRU allows key 0 only)
 *   runtime       lib1's id with the runtime's index (no newlib fini)
 * All but fake-callee must end in a report (status 134).
 */
static int forge_target(const char *gate_name, const char *how)
{
	const char *gate = !strcmp(gate_name, "shared")   ? flexos__backend_gate_shared_stacks
			   : !strcmp(gate_name, "newlib") ? flexos__backend_gate_newlib
							  : flexos__backend_gate;
	struct stub add1 = read_stub((const unsigned char *)__flexos_gate__lib1__lib1_add);
	struct stub add2 = read_stub((const unsigned char *)__flexos_gate__lib2__lib2_add);
	unsigned long id1 = add1.r10 & 0xff, index_mask = 0xffffffffUL << 32;
	unsigned long r10;
	void *r11 = add1.callee;

	if (!strcmp(how, "fake-callee"))
		r10 = add1.r10, r11 = (void *)app_evil;
	else if (!strcmp(how, "other-entry"))
		r10 = id1 | (add2.r10 & index_mask);
	else if (!strcmp(how, "out-of-range"))
		r10 = id1 | 0xfffffff0UL << 32;
	else if (!strcmp(how, "unused-id"))
		r10 = 5 | (add1.r10 & index_mask);
	else if (!strcmp(how, "runtime"))
		r10 = id1 | 0xffffffffUL << 32;
	else
		return 2;
	printf("forge-target: %s gate, %s: %%r10 %#lx, %%r11 %p\n", gate_name, how, r10, r11);
	fflush(stdout);
	long r = gate_call(gate, r10, r11, 1, 2);
	int ok = !strcmp(how, "fake-callee") && r == 4;
	printf("forge-target: returned %ld: %s\n", r,
	       ok ? "ok: the gate called lib1_add, the table's entry, not %r11"
		  : "FAIL: the gate entered lib1 where the table does not say");
	return ok ? 0 : 1;
}

/* ---- unwinding across gates ----------------------------------------------- */

extern long __flexos_gate__lib1__lib1_call(long (*)(long), long);

/* Code addresses that backtrace() found inside [lo, lo + len). */
static int frames_in(void *const *frames, int n, const void *lo, uintptr_t len)
{
	int k = 0;
	for (int i = 0; i < n; i++)
		k += (uintptr_t)frames[i] >= (uintptr_t)lo &&
		     (uintptr_t)frames[i] < (uintptr_t)lo + len;
	return k;
}

static const char *bt_outer_addr;
static int bt_fault, bt_libc, bt_vdso;

/*
 * bt_libc: the fault is in a callback of the C library's qsort, one frame
 * further; bt_vdso: in the vDSO's clock_gettime, handed lib2's data.
 */
__attribute__((noinline)) static int bt_compare(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b + *(volatile int *)where(2, KIND_DATA);
}

/*
 * Two gates deep (app -> lib1 -> app): backtrace() must walk from here
 * through both gates into lib1_call and bt_outer. With shared stacks app
 * can read every frame, so this is checked here; with private stacks
 * lib1's frames are out of app's reach, so (bt_fault) app reads lib2's
 * data instead and the fault report, which reads every stack, must walk
 * the same way. vm.sh symbolizes both (addr2line -f on the host).
 */
static long bt_inner(long x)
{
	if (bt_fault) {
		printf("backtrace: app %s lib2's data two gates deep%s\n",
		       bt_vdso ? "has clock_gettime write" : "reads",
		       bt_libc ? ", in qsort's comparison" : "");
		fflush(stdout);
		if (bt_vdso)
			return clock_gettime(CLOCK_REALTIME,
					     (struct timespec *)where(2, KIND_DATA));
		if (bt_libc) {
			int v[2] = {2, 1};
			qsort(v, 2, sizeof(v[0]), bt_compare);
			return v[0];
		}
		return *(volatile int *)where(2, KIND_DATA);
	}
	void *frames[32];
	int n = backtrace(frames, 32);
	struct stub call1 = read_stub((const unsigned char *)__flexos_gate__lib1__lib1_call);

	fflush(stdout);
	backtrace_symbols_fd(frames, n, STDOUT_FILENO);
	int in_lib1 = frames_in(frames, n, call1.callee, 64);
	int in_outer = frames_in(frames, n, bt_outer_addr, 256);
	printf("backtrace: %d frames, %d in lib1_call, %d in bt_outer: %s\n", n, in_lib1, in_outer,
	       in_lib1 == 1 && in_outer == 1 ? "ok" : "FAIL");
	return in_lib1 == 1 && in_outer == 1 ? x : -1;
}

__attribute__((noinline)) static int bt_outer(void)
{
	long r = 0;

	flexos_gate_r(lib1, r, lib1_call, flexos_callback(app, bt_inner), 41);
	__asm__ volatile("" ::: "memory"); /* no tail call: this frame stays */
	return r == 43 ? 0 : 1;
}

/* ---- the report path, called instead of entered --------------------------- */

extern char flexos__mpk_violation_entry[];
extern void flexos__mpk_on_segv(int, siginfo_t *, void *, uint32_t, const void *);

/*
 * What app tries after a forged entry returned: reading lib1's data. It
 * only works if the entry left app with lib1's key.
 */
static int after_forged_entry(const char *what, uintptr_t lib1_data)
{
	printf("%s: returned to its caller: FAIL\n", what);
	fflush(stdout);
	printf("%s: lib1's data reads %d: the entry handed out lib1's key: FAIL\n", what,
	       *(volatile int *)lib1_data);
	return 1;
}

/*
 * app calls the SIGSEGV handler's entry (how: "entry"), or its C part
 * ("c"), with a forged siginfo of si_code code and a zeroed ucontext, as
 * a compromised compartment could: the handler must report and end the
 * image, never return (with more keys, as it once did for a si_code that
 * was not SEGV_PKUERR).
 */
static int segv_call(const char *how, int code)
{
	/* Where the handler, in lib1, can read them. */
	static siginfo_t si FLEXOS_SHARED;
	static ucontext_t uc FLEXOS_SHARED;
	uintptr_t lib1_data = where(1, KIND_DATA);

	si.si_signo = SIGSEGV;
	si.si_code = code;
	printf("segv-call: app calls the SIGSEGV handler (%s) with si_code %d\n", how, code);
	fflush(stdout);
	if (!strcmp(how, "entry"))
		flexos__mpk_segv_entry(SIGSEGV, &si, &uc);
	else
		flexos__mpk_on_segv(SIGSEGV, &si, &uc, 0, &uc);
	return after_forged_entry("segv-call", lib1_data);
}

/*
 * app jumps to the gate's violation path with eax = 0 (every key) and an
 * id of lib1, with its own stack: the path must take none of that and end
 * the image with the violation report.
 */
static int violation_call(void)
{
	uintptr_t lib1_data = where(1, KIND_DATA);

	printf("violation-call: app calls the gate's violation path with PKRU 0\n");
	fflush(stdout);
	__asm__ volatile("movl $1, %%r10d\n\t"
			 "xorl %%eax, %%eax\n\t"
			 "call *%0"
			 :
			 : "r"(flexos__mpk_violation_entry)
			 : "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "rbx",
			   "r12", "r13", "r14", "r15", "memory");
	return after_forged_entry("violation-call", lib1_data);
}

/* ---- signal frames (limit 9) ---------------------------------------------- */

extern void flexos__mpk_sigreturn(void);
extern char flexos__mpk_sigreturn_insn[], flexos__mpk_sigreturn_nonce_checked[];
extern uint32_t flexos__mpk_rdpkru(void);

/* Handlers run in the compartment that installed them: app's counts in app's memory. */
static volatile int app_signals;
static unsigned char frame_copy[65536] __attribute__((aligned(64))) FLEXOS_SHARED;
static unsigned char resume_stack[65536] __attribute__((aligned(16))) FLEXOS_SHARED;
#define COPY_UC 64   /* the ucontext in frame_copy: the frame's %rsp */
#define COPY_FP 4096 /* its XSAVE area */

static void on_usr1(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	if (sig == SIGUSR1 && si->si_signo == SIGUSR1 && app_data == 11)
		app_signals++;
}

static int signals(void)
{
	if (handle(SIGUSR1, on_usr1))
		return 1;
	raise(SIGUSR1);
	raise(SIGUSR1);
	printf("signal: app's SIGUSR1 handler ran %d times and returned\n", app_signals);
	/* The signal interrupts lib1: the handler still runs in app. */
	lib1_raise(SIGUSR1);
	printf("signal: app's SIGUSR1 handler raised in lib1 ran in app (%d runs)\n", app_signals);
	long n = lib1_signal(SIGUSR2);
	printf("signal: lib1's SIGUSR2 handler ran %ld times and returned\n", n);
	struct sigaction old;
	if (sigaction(SIGUSR1, NULL, &old) || old.sa_sigaction != on_usr1) {
		printf("signal: sigaction does not give app's handler back: FAIL\n");
		return 1;
	}
	return app_signals == 3 && n == 2 ? 0 : 1;
}

/*
 * A handler lib1 installs, for a signal that app raises (it interrupts
 * app): own: it reads lib1's data on lib1's stack of this thread; secret:
 * it also reads app's data, a fault report naming lib1.
 */
static long sig_seen[5] FLEXOS_SHARED;

static int signal_lib(const char *how)
{
	int secret = !strcmp(how, "secret");

	if (!secret && strcmp(how, "own"))
		return 2;
	if (lib1_sig_install(SIGUSR2, secret ? where(0, KIND_DATA) : 0))
		return 1;
	printf("signal-lib %s: app raises lib1's SIGUSR2\n", how);
	fflush(stdout);
	raise(SIGUSR2);
	raise(SIGUSR2);
	if (secret) {
		printf("signal-lib secret: lib1's handler read app's data and returned: FAIL\n");
		return 1;
	}
	lib1_sig_seen(sig_seen);
	uintptr_t stack = where(1, KIND_STACK);
	long d = sig_seen[2] - (long)stack;
	printf("signal-lib own: lib1's handler ran %ld times and read lib1's data %ld\n",
	       sig_seen[0], sig_seen[1]);
	printf("signal-lib own: its local at %#lx, %s lib1's stack of this thread (near %#lx)\n",
	       (unsigned long)sig_seen[2], d > -(1024L * 1024) && d < 4096 ? "on" : "not on",
	       (unsigned long)stack);
	return sig_seen[0] == 2 && sig_seen[1] == 7 ? 0 : 1;
}

/* ---- a thread nobody registered; a handler's entry called (limits 2, 9) --- */

extern char flexos__mpk_sig_open_checked[];
extern void flexos__mpk_sig_deliver(int sig, siginfo_t *si, void *ctx);
int __real_pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*fn)(void *),
			  void *arg);

static uint32_t read_pkru(void)
{
	uint32_t pkru, edx;

	__asm__ volatile(".byte 0x0f, 0x01, 0xee" : "=a"(pkru), "=d"(edx) : "c"(0));
	return pkru;
}

/*
 * Jumps to the WRPKRU that opens the gate page in the handler table's
 * writer (flexos__mpk_sig_record) with PKRU open, as a thread that holds
 * no gate page of its own would: it comes back here if the writer lets it.
 * The red zone is stepped over: the return address is pushed below it.
 */
static inline __attribute__((always_inline)) void jump_to_page_open(uint32_t open)
{
	uintptr_t target = (uintptr_t)flexos__mpk_sig_open_checked - 3;

	__asm__ volatile("subq $128, %%rsp\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "movl %0, %%eax\n\t"
			 "xorl %%ecx, %%ecx\n\t"
			 "xorl %%edx, %%edx\n\t"
			 "xorl %%edi, %%edi\n\t"
			 "xorl %%esi, %%esi\n\t"
			 "jmp *%1\n"
			 "1:\n\t"
			 "addq $128, %%rsp"
			 :
			 : "r"(open), "r"(target)
			 : "rax", "rcx", "rdx", "rdi", "rsi", "r8", "r9", "r10", "r11", "memory",
			   "cc");
}

/*
 * A thread app starts past the pthread_create wrapper, with app's PKRU
 * (the clone site registers it a page in app, which it binds; where the
 * site is not in force, no page is registered for it): it jumps to the
 * WRPKRU that opens the gate page in the handler table's writer
 * (flexos__mpk_sig_record: it writes entry 0, which no signal uses, then
 * the PKRU of the compartment the page names, and returns) with lib1's
 * open PKRU. If the thread got a page of lib1's there, it comes back with
 * lib1's PKRU and reads lib1's data.
 */
static void *unregistered_thread(void *arg)
{
	jump_to_page_open(flexos__mpk_pkru[1024 / 4 + 1]); /* mpk.h: MPK_PKRU_OPEN, lib1's */
	uint32_t pkru = read_pkru();
	int secret = *(volatile int *)arg;
	printf("thread-claim: the unregistered thread runs with PKRU %#x and read lib1's data "
	       "%d: FAIL\n",
	       pkru, secret);
	fflush(stdout);
	exit(1);
}

static int thread_claim(void)
{
	uintptr_t lib1_data = where(1, KIND_DATA);
	pthread_t t;

	printf("thread-claim: app starts a thread past the pthread_create wrapper, which jumps "
	       "to the gate page's opening WRPKRU with lib1's open PKRU\n");
	fflush(stdout);
	if (__real_pthread_create(&t, NULL, unregistered_thread, (void *)lib1_data))
		return 1;
	pthread_join(t, NULL);
	printf("thread-claim: the thread ended without a report: FAIL\n");
	return 1;
}

static void (*volatile sig_deliver)(int, siginfo_t *, void *) = flexos__mpk_sig_deliver;

extern char flexos__mpk_sig_deliver_checked[];
extern const char flexos__mpk_ro[];
static volatile uintptr_t past_check_target;

/*
 * What remains of limit 9: app jumps into the delivery stub past its
 * check of the kernel's PKRU, to the WRPKRU that follows it, with the
 * value it writes (the restorer's, on the read-only page: mpk.h
 * MPK_RO_SIGRET_PKRU) and the stub's registers for sig, si and ctx
 * (r12-r14): the stub marks the gate page and lib1's handler runs, with
 * app's siginfo (it prints the word of lib1's data it reads). The stub
 * then goes to the restorer, never back to its caller: app's made-up
 * frame (right above the stack it gave the stub, with no XSAVE area) is
 * reported there, status 134.
 */
static struct {
	char stack[16384];
	uint64_t ret; /* the "kernel's" return address: never read */
	ucontext_t uc;
} past_check FLEXOS_SHARED __attribute__((aligned(16)));

static int sig_entry_past_check(siginfo_t *si)
{
	register long r12 __asm__("r12") = SIGUSR2;
	register void *r13 __asm__("r13") = si;
	register void *r14 __asm__("r14") = &past_check.uc;
	uint32_t pkru;

	memcpy(&pkru, flexos__mpk_ro + 52, sizeof(pkru));
	/* The interrupted stack the stub calls the handler's gate from: app's own, shared. */
	past_check.uc.uc_mcontext.gregs[15 /* REG_RSP */] =
	    (greg_t)(uintptr_t)(past_check.stack + 8192);
	past_check_target = (uintptr_t)flexos__mpk_sig_deliver_checked - 3;
	__asm__ volatile("movq %0, %%rsp\n\t"
			 "xorl %%ecx, %%ecx\n\t"
			 "xorl %%edx, %%edx\n\t"
			 "jmp *past_check_target(%%rip)"
			 :
			 : "r"(&past_check.ret), "r"(r12), "r"(r13), "r"(r14), "a"(pkru)
			 : "memory");
	__builtin_unreachable();
}

/*
 * queue: what a jump past the stub's check adds to what a compartment can
 * do anyway (limit 9). app sends its own thread SIGUSR2 with
 * rt_tgsigqueueinfo and a siginfo of its making that looks like the
 * kernel's (si_code SI_KERNEL, an address): the kernel lets a thread send
 * itself any si_code, the signal is delivered for real, and lib1's
 * handler runs, in lib1, with that siginfo. Returns 0 when it did.
 */
static int sig_entry_queue(void)
{
	siginfo_t q;

	memset(&q, 0, sizeof(q));
	q.si_signo = SIGUSR2;
	q.si_code = SI_KERNEL;
	q.si_addr = (void *)0xdead0000;
	if (syscall(SYS_rt_tgsigqueueinfo, getpid(), (pid_t)syscall(SYS_gettid), SIGUSR2, &q)) {
		printf("sig-entry queue: rt_tgsigqueueinfo: %s\n", strerror(errno));
		return 1;
	}
	lib1_sig_seen(sig_seen);
	printf("sig-entry queue: lib1's handler ran %ld times with si_code %#lx and si_addr %#lx\n",
	       sig_seen[0], (unsigned long)sig_seen[3], (unsigned long)sig_seen[4]);
	return !(sig_seen[0] == 1 && sig_seen[3] == SI_KERNEL && sig_seen[4] == 0xdead0000);
}

/*
 * app runs lib1's SIGUSR2 handler (lib1_sig_install) with a siginfo of
 * its own, no signal raised: through the gate with the signal entry
 * index (gate), or by calling the delivery stub (stub). Either must be a
 * report; a handler run is a FAIL.
 */
/*
 * range: lib1 jumps past the signal entry's range check, to the WRPKRU
 * that opens its gate page (with its own open PKRU, which the check
 * after it accepts), with signal -1: %edi + 1 is 0, the idle page's mark,
 * so only the second range check, with the page open, stops it (before:
 * the gate went on to the handler table's slot 127 and called what it
 * found there, without a signal). Runs as lib1 (lib1_call).
 */
extern char flexos__mpk_gate_sig_open_checked[];

static long sig_range_from_lib1(long x)
{
	(void)x;
	__asm__ volatile("movl %0, %%eax\n\t"
			 "xorl %%ecx, %%ecx\n\t"
			 "xorl %%edx, %%edx\n\t"
			 "movl $-1, %%edi\n\t"
			 "movl $1, %%r10d\n\t"
			 "jmp *%1"
			 :
			 : "r"(flexos__mpk_pkru[1024 / 4 + 1]), /* mpk.h: MPK_PKRU_OPEN, lib1's */
			   "r"((uintptr_t)flexos__mpk_gate_sig_open_checked - 3)
			 : "rax", "rcx", "rdx", "rdi", "r10", "memory");
	return -1;
}

static int sig_entry(const char *how)
{
	/* Where the handler, in lib1, can read them. */
	static siginfo_t si FLEXOS_SHARED;
	static ucontext_t uc FLEXOS_SHARED;

	si.si_signo = SIGUSR2;
	if (lib1_sig_install(SIGUSR2, !strcmp(how, "past-check") ? where(1, KIND_DATA) : 0))
		return 1;
	printf("sig-entry %s: app enters lib1's SIGUSR2 handler with a siginfo of its own\n", how);
	fflush(stdout);
	if (!strcmp(how, "gate")) {
		struct stub add1 = read_stub((const unsigned char *)__flexos_gate__lib1__lib1_add);
		/* mpk.h: MPK_GATE_ENTRY_SIGNAL, as the entry index */
		unsigned long r10 = (add1.r10 & 0xff) | 0xfffffffeUL << 32;
		gate_call(flexos__backend_gate, r10, add1.callee, SIGUSR2, (long)&si);
	} else if (!strcmp(how, "stub")) {
		register long rdi __asm__("rdi") = SIGUSR2;
		register void *rsi __asm__("rsi") = &si;
		register void *rdx __asm__("rdx") = &uc;
		/* The stub keeps no register of its caller's: rt_sigreturn would restore them. */
		__asm__ volatile("movq %%rsp, %%rax\n\t"
				 "subq $128, %%rsp\n\t"
				 "andq $-16, %%rsp\n\t"
				 "pushq %%rax\n\t"
				 "pushq %%rax\n\t"
				 "call *sig_deliver(%%rip)\n\t"
				 "popq %%rax\n\t"
				 "popq %%rsp"
				 : "+r"(rdi), "+r"(rsi), "+r"(rdx)
				 :
				 : "rax", "rbx", "rcx", "r8", "r9", "r10", "r11", "r12", "r13",
				   "r14", "r15", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5",
				   "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
				   "xmm13", "xmm14", "xmm15", "memory", "cc");
	} else if (!strcmp(how, "past-check")) {
		return sig_entry_past_check(&si);
	} else if (!strcmp(how, "queue")) {
		return sig_entry_queue();
	} else if (!strcmp(how, "range")) {
		long r = 0;

		flexos_gate_r(lib1, r, lib1_call, sig_range_from_lib1, 0);
		printf("sig-entry range: back in app (%ld): FAIL\n", r);
		return 1;
	} else {
		return 2;
	}
	lib1_sig_seen(sig_seen);
	printf("sig-entry %s: lib1's handler ran %ld times without a signal: %s\n", how,
	       sig_seen[0], sig_seen[0] ? "FAIL" : "ok");
	return sig_seen[0] != 0;
}

/*
 * app (or lib1) writes its own handler into app's entry of the handler
 * table (gate key, read-only to compartments), found through the PKRU
 * table's page (mpk.h: MPK_PKRU_SIGTAB): a fault report.
 */
static int signal_tamper(const char *writer)
{
	uintptr_t tab, entry;
	uint64_t forged = (uint64_t)(uintptr_t)on_usr1 | (1ull << 56); /* lib1's */

	memcpy(&tab, (const char *)flexos__mpk_pkru + 2048 + 8 * 16, sizeof(tab));
	entry = tab + 16 * SIGUSR1;
	printf("signal-tamper %s: writes the handler table's entry at %#lx\n", writer,
	       (unsigned long)entry);
	fflush(stdout);
	if (!strcmp(writer, "app"))
		*(volatile uint64_t *)entry = forged;
	else if (!strcmp(writer, "lib1"))
		lib1_probe(entry, 1);
	else if (!strcmp(writer, "munmap")) {
		/* Unmapped, a page of app's own could take its place. */
		if (munmap((void *)(tab & ~(uintptr_t)4095), 4096))
			printf("signal-tamper munmap: refused (%s)\n", strerror(errno));
		else
			printf("signal-tamper munmap: the table's page is unmapped: FAIL\n");
		return 1;
	} else
		return 2;
	printf("signal-tamper %s: the write worked: FAIL\n", writer);
	return 1;
}

/* In a handler (key 0 only): the kernel's frame, copied with its XSAVE area. */
static void capture(int sig, siginfo_t *si, void *ctx)
{
	const unsigned char *uc = ctx;
	const unsigned char *fp = *(unsigned char *const *)(const void *)(uc + 224);
	uint32_t size = *(const uint32_t *)(const void *)(fp + 468); /* extended_size */

	(void)sig;
	(void)si;
	memcpy(frame_copy + COPY_UC, uc, 304);
	memcpy(frame_copy + COPY_FP, fp, size);
	*(unsigned char **)(void *)(frame_copy + COPY_UC + 224) = frame_copy + COPY_FP;
}

static uintptr_t sigreturn_lib1_data;

/* Where a forged frame resumes: with every key, lib1's data reads. */
__attribute__((__noreturn__)) static void resumed(void)
{
	printf("sigreturn: resumed from the frame with PKRU %#x\n", flexos__mpk_rdpkru());
	fflush(stdout);
	if (flexos__mpk_rdpkru() == 0)
		printf("sigreturn: lib1's data reads %d: FAIL\n",
		       *(volatile int *)sigreturn_lib1_data);
	fflush(stdout);
	_exit(flexos__mpk_rdpkru() == 0 ? 1 : 0);
}

static long window_forge_before;

/*
 * window-forge: where the gate's carry path calls %r8 after its window
 * (the frame's r8), with the PKRU it resumed with: app's, and lib1's data
 * as it was.
 */
__attribute__((__noreturn__)) static void window_forge_resumed(void)
{
	uint32_t pkru = flexos__mpk_rdpkru();
	long now = lib1_probe(sigreturn_lib1_data, 0);
	int ok = pkru == flexos__mpk_pkru[0] && now == window_forge_before;

	printf("sigreturn window-forge-open: resumed with PKRU %#x (app's: %#x), lib1's data %s: "
	       "%s\n",
	       pkru, flexos__mpk_pkru[0], now == window_forge_before ? "as it was" : "written",
	       ok ? "ok" : "FAIL");
	fflush(stdout);
	_exit(ok ? 0 : 1);
}

/* Where the race's child notes its frame (MAP_SHARED: the parent reads it). */
static void *volatile *race_uc;

/* The window modes' handler also calls into lib2 (a gate call inside the signal's). */
static int race_cross;

static void note_frame(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)si;
	*race_uc = ctx;
	race_uc[2] = (void *)((ucontext_t *)ctx)->uc_mcontext.gregs[REG_RIP];
	if (race_cross) {
		long r = 0;
		flexos_gate_r(lib2, r, lib2_add, 20, 2);
		race_uc[1] = (void *)r;
	}
}

/* A traced child's start: note_frame for SIGUSR1, traced, stopped until its tracer goes on. */
static void traced_child(void)
{
	if (handle(SIGUSR1, note_frame))
		_exit(2);
	ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	raise(SIGSTOP);
}

/*
 * The race of limit 9: a child raises a signal; its tracer stops it at the
 * restorer's syscall (after every check), writes PKRU 0 into the frame the
 * kernel wrote on the signal stack, as another thread of the child could,
 * and lets rt_sigreturn go. The restorer checked, and hands the kernel, a
 * copy where no compartment can write: the child resumes with app's PKRU.
 * (The tracer needs FLEXOS_MPK_SYSCALL_FILTER=off: the filter denies ptrace.)
 * window: the tracer stops the child instead where a gate has just opened
 * its gate page (flexos__mpk_gate_open_checked) and delivers the signal
 * there: the frame's PKRU is the open one, and the restorer resumes the
 * window from its start (gate.S: WINDOW), with app's PKRU: the call
 * returns what it returns without the signal, and the handler ran.
 * window 3 (window-tail): the same at the window's closing WRPKRU, after
 * its commit: resumed at the switch. window 2 (window-switch): where the
 * scheduler's switch has just opened it (flexos__mpk_resume_open_checked),
 * the child yielding to a new scheduler thread: the switch holds signals
 * while its page is open (gate.S: HOLD_SIGNALS), so the handler runs once
 * the next thread's PKRU is in force (its frame's rip just after the
 * switch's close) and the switch goes on; before, a frame with the page
 * open outside any window: the report (134; docs/threat-model.md, limit 9).
 * window 4 (window-claim): the child clears its TLS pointer to its gate
 * page (key 0: any compartment may), so its next gate call claims the page
 * again, in C with the page open (flexos__mpk_claim), signals not held: a
 * thread with no page pointer gets a handler's delivery reported (134),
 * whatever it interrupted, never the handler run nor the claim resumed.
 * window 5 (window-deliver): while SIGUSR1's delivery stub has the page
 * open (flexos__mpk_sig_deliver_open_checked), the tracer sends SIGFPE,
 * which handlers run with unblocked (a real fault there must reach the
 * report): a known remainder of limit 9, the report (134).
 */
static int sigreturn_race(int window)
{
	unsigned eax, ebx, ecx, edx;
	int status;

	race_uc = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (race_uc == MAP_FAILED || !__get_cpuid_count(0xd, 9, &eax, &ebx, &ecx, &edx))
		return 2;
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		traced_child();
		if (window == 4 || window == 5) {
			race_cross = 1;
			if (window == 4)
				flexos__mpk_thread.gp = NULL;
			else if (handle(SIGFPE, note_frame))
				_exit(2);
			else
				raise(SIGUSR1);
			uintptr_t got = where(1, KIND_DATA);
			printf("sigreturn %s: the child went on (lib1's data %s): FAIL\n",
			       window == 4 ? "window-claim" : "window-deliver",
			       got == sigreturn_lib1_data ? "as it was" : "another value");
			fflush(stdout);
			_exit(1);
		}
		if (window == 2) {
			race_cross = 1;
			int went_on = !sched_switch_once();
			/* Held: the handler runs once the switch has closed the page. */
			uintptr_t rip = (uintptr_t)race_uc[2];
			int held = rip >= (uintptr_t)flexos__mpk_switch_checked &&
				   rip < (uintptr_t)flexos__mpk_switch_checked + 256;
			int ok = went_on && *race_uc && race_uc[1] == (void *)42 && held;
			printf("sigreturn window-switch: the switch %s, app's handler %s (its call "
			       "into lib2 returned %ld), %s: %s\n",
			       went_on ? "went on" : "failed", *race_uc ? "ran" : "did not run",
			       (long)race_uc[1],
			       held ? "once the switch had closed the page"
				    : "elsewhere than after the switch's close",
			       ok ? "ok" : "FAIL");
			fflush(stdout);
			_exit(ok ? 0 : 1);
		}
		if (window) {
			race_cross = 1;
			uintptr_t got = where(1, KIND_DATA);
			int ok = got == sigreturn_lib1_data && *race_uc && race_uc[1] == (void *)42;
			printf("sigreturn window: the gate call returned %s, app's handler %s (its "
			       "call into lib2 returned %ld): %s\n",
			       got == sigreturn_lib1_data ? "lib1's data address" : "another value",
			       *race_uc ? "ran" : "did not run", (long)race_uc[1],
			       ok ? "ok" : "FAIL");
			fflush(stdout);
			_exit(ok ? 0 : 1);
		}
		raise(SIGUSR1);
		uint32_t pkru = flexos__mpk_rdpkru();
		printf("sigreturn race: resumed with PKRU %#x (app's: %#x)%s\n", pkru,
		       flexos__mpk_pkru[0], pkru == flexos__mpk_pkru[0] ? "" : ": FAIL");
		fflush(stdout);
		_exit(pkru == flexos__mpk_pkru[0] ? 0 : 1);
	}
	uintptr_t insn = window == 4   ? (uintptr_t)flexos__mpk_claim
			 : window == 5 ? (uintptr_t)flexos__mpk_sig_deliver_open_checked
			 : window == 3 && flexos__mpk_shared_stacks()
			     ? (uintptr_t)flexos__mpk_gate_shared_entry_checked - 3 /* WRPKRU */
			 : window == 3 ? (uintptr_t)flexos__mpk_gate_entry_checked - 3
			 : window == 2 ? (uintptr_t)flexos__mpk_resume_open_checked
			 : window && flexos__mpk_shared_stacks()
			     ? (uintptr_t)flexos__mpk_gate_shared_open_checked
			 : window ? (uintptr_t)flexos__mpk_gate_open_checked
				  : (uintptr_t)flexos__mpk_sigreturn_insn;
	long code, poked = 0;

	waitpid(pid, &status, 0); /* SIGSTOP */
	code = ptrace(PTRACE_PEEKTEXT, pid, (void *)insn, NULL);
	ptrace(PTRACE_POKETEXT, pid, (void *)insn, (void *)((code & ~0xffL) | 0xcc));
	ptrace(PTRACE_CONT, pid, NULL, NULL);
	while (waitpid(pid, &status, 0) == pid && WIFSTOPPED(status)) {
		struct user_regs_struct regs;
		int sig = WSTOPSIG(status);
		ptrace(PTRACE_GETREGS, pid, NULL, &regs);
		if (sig == SIGTRAP && regs.rip == insn + 1 && !poked && window) {
			printf("sigreturn window: %s delivered %s\n",
			       window == 5 ? "SIGFPE" : "SIGUSR1",
			       window == 5   ? "where SIGUSR1's delivery stub has the page open"
			       : window == 4 ? "as the thread claims its gate page again"
			       : window == 3 ? "at the gate's closing WRPKRU, after its commit"
			       : window == 2 ? "right after the scheduler's switch opened its page"
					     : "right after the gate opened its page");
			fflush(stdout);
			ptrace(PTRACE_POKETEXT, pid, (void *)insn, (void *)code);
			regs.rip = insn;
			ptrace(PTRACE_SETREGS, pid, NULL, &regs);
			poked = 1;
			ptrace(PTRACE_CONT, pid, NULL,
			       (void *)(long)(window == 5 ? SIGFPE : SIGUSR1));
			continue;
		}
		if (sig == SIGTRAP && regs.rip == insn + 1 && !poked) {
			/* At the syscall: the frame on the signal stack gets PKRU 0. */
			uintptr_t uc = (uintptr_t)*race_uc;
			uintptr_t fp =
			    (uintptr_t)ptrace(PTRACE_PEEKDATA, pid, (void *)(uc + 224), NULL);
			long w = ptrace(PTRACE_PEEKDATA, pid, (void *)(fp + ebx), NULL);
			ptrace(PTRACE_POKEDATA, pid, (void *)(fp + ebx),
			       (void *)(w & ~0xffffffffL));
			printf("sigreturn race: at the restorer's syscall, PKRU 0 written into the "
			       "frame at %#lx\n",
			       (unsigned long)uc);
			fflush(stdout);
			ptrace(PTRACE_POKETEXT, pid, (void *)insn, (void *)code);
			regs.rip = insn;
			ptrace(PTRACE_SETREGS, pid, NULL, &regs);
			poked = 1;
			sig = 0;
		}
		if (sig == SIGSTOP || sig == SIGTRAP)
			sig = 0;
		ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
	}
	if (!poked)
		printf("sigreturn race: the child never reached the breakpoint: FAIL\n");
	if (window == 4 || window == 5) {
		int reported = poked && WIFEXITED(status) && WEXITSTATUS(status) == 134;
		printf("sigreturn %s: the child exited with %d: %s\n",
		       window == 4 ? "window-claim" : "window-deliver",
		       WIFEXITED(status) ? WEXITSTATUS(status) : -1,
		       reported ? "ok (the report)" : "FAIL");
		return !reported;
	}
	return poked && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

static long window_slow_result;

/* window-slow's thread: its first call into lib2, by the carry path. */
static void *window_slow_thread(void *arg)
{
	long r = 0;
	if (arg) {
		/* window-slow-close-priv: register arguments only (PRIVATE_GATE). */
		flexos_gate_r(lib2, r, lib2_add, 20, 2);
		window_slow_result = r == 42 ? 204 : r;
		return NULL;
	}
	flexos_gate_r(lib2, r, lib2_sum8, 1, 2, 3, 4, 5, 6, 7, 8);
	window_slow_result = r;
	return NULL;
}

/*
 * window-slow (review): a new thread's first call into lib2 with stack
 * arguments goes through the carry path's slow block (no lib2 stack yet),
 * which lies inside the window's [lo, tail) and moves %rsp (lea 64) and
 * r14 before its jump to the slow path. The tracer delivers SIGUSR1 right
 * after the lea: the restorer resumes at the window's start with %rsp 64
 * bytes up. Without the signal lib2_sum8(1..8) returns 204.
 * control 3 (window-slow-held): the signal delivered inside the slow path,
 * where it holds signals while C runs with the page open: the handler
 * runs once the page is closed, and the call returns 204; before the
 * hold, the report (134).
 */
/* The slow block's first instruction, mov (%r11), %r10, before the closing WRPKRU's label close. */
static uintptr_t slow_block_start(const char *close)
{
	for (int i = 3; i < 64; i++)
		if (!memcmp(close - i, "\x4d\x8b\x13", 3))
			return (uintptr_t)(close - i);
	return 0;
}

static int sigreturn_window_slow(int control)
{
	int status;
	const unsigned char *at = (const unsigned char *)flexos__mpk_gate_carry_open_checked;
	uintptr_t insn = 0;

	/* The first lea 0x40(%rsp),%rsp after the window's opening: the slow block. */
	for (int i = 0; i < 8192 && !insn; i++)
		if (at[i] == 0x48 && at[i + 1] == 0x8d && at[i + 2] == 0x64 && at[i + 3] == 0x24 &&
		    at[i + 4] == 0x40)
			insn = (uintptr_t)(at + i + 5);
	/* insn must be the block's mov %r9, %r10 (4d 89 ca), which the tracer emulates. */
	if (!insn || memcmp((const void *)insn, "\x4d\x89\xca", 3))
		return 2;
	if (control == 3) {
		/*
		 * window-slow-held: inside the slow path itself, where it has
		 * held signals (gate.S: SLOW_PATH, HOLD_SIGNALS), at its movzbl
		 * %r10b, %edi before the call into C (emulated).
		 */
		static const unsigned char movzbl[] = {0x41, 0x0f, 0xb6, 0xfa, 0xe8};
		const unsigned char *g = (const unsigned char *)flexos__backend_gate;
		insn = 0;
		for (int i = 0; i < 16384 && !insn; i++)
			if (!memcmp(g + i, movzbl, sizeof(movzbl)))
				insn = (uintptr_t)(g + i);
		if (!insn)
			return 2;
	}
	/*
	 * window-slow-close: the carry slow block's first instruction, the
	 * page still open, before the WRPKRU that closes it
	 * (flexos__mpk_gate_carry_slow_close_checked): its mov (%r11), %r10
	 * (4d 8b 13), emulated. The window there is only a tail (gate.S:
	 * WINDOW), which resumes at that instruction. window-slow-close-priv
	 * (review): the same in the register path's slow block (.Lpriv_slow,
	 * before flexos__mpk_gate_slow_close_checked); the handler also calls
	 * into lib2 (a first crossing itself, nested).
	 */
	if (control == 4 || control == 5) {
		insn = slow_block_start(control == 4 ? flexos__mpk_gate_carry_slow_close_checked
						     : flexos__mpk_gate_slow_close_checked);
		if (!insn)
			return 2;
	}
	race_uc = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (race_uc == MAP_FAILED)
		return 2;
	if (control == 2) {
		/* No tracer, no signal: the first carry call of a new thread. */
		pthread_t t;
		if (pthread_create(&t, NULL, window_slow_thread, NULL) || pthread_join(t, NULL))
			return 2;
		printf("sigreturn window-slow-plain: lib2_sum8(1..8) returned %ld: %s\n",
		       window_slow_result, window_slow_result == 204 ? "ok" : "FAIL");
		return window_slow_result != 204;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		pthread_t t;
		traced_child();
		race_cross = control == 5;
		if (pthread_create(&t, NULL, window_slow_thread, control == 5 ? (void *)1 : NULL) ||
		    pthread_join(t, NULL))
			_exit(2);
		if (control == 5)
			printf("sigreturn window-slow-close-priv: lib2_add(20, 2) %s, the handler's "
			       "lib2_add(20, 2) returned %ld\n",
			       window_slow_result == 204 ? "returned 42" : "FAILED",
			       (long)(uintptr_t)race_uc[1]);
		printf("sigreturn window-slow: lib2_sum8(1..8) returned %ld (204 without the "
		       "signal), app's handler %s: %s\n",
		       window_slow_result, *race_uc ? "ran" : "did not run",
		       window_slow_result == 204 ? "ok" : "FAIL");
		fflush(stdout);
		_exit(window_slow_result == 204 && (*race_uc || control) ? 0 : 1);
	}
	/*
	 * An int3 over the block's mov %r9, %r10, never taken out (under TCG
	 * a restored byte kept trapping): each hit emulates the mov; the
	 * first one (not in the control) delivers SIGUSR1 there instead.
	 */
	long code, hits = 0;
	waitpid(pid, &status, 0); /* SIGSTOP */
	ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)(long)PTRACE_O_TRACECLONE);
	code = ptrace(PTRACE_PEEKTEXT, pid, (void *)insn, NULL);
	ptrace(PTRACE_POKETEXT, pid, (void *)insn, (void *)((code & ~0xffL) | 0xcc));
	ptrace(PTRACE_CONT, pid, NULL, NULL);
	for (;;) {
		pid_t tid = waitpid(-1, &status, __WALL);
		if (tid < 0)
			break;
		if (tid == pid && !WIFSTOPPED(status))
			break;
		if (!WIFSTOPPED(status))
			continue;
		int sig = WSTOPSIG(status);
		struct user_regs_struct regs;
		ptrace(PTRACE_GETREGS, tid, NULL, &regs);
		if (status >> 16) {
			ptrace(PTRACE_CONT, tid, NULL, NULL); /* the clone event */
			continue;
		}
		if (sig == SIGTRAP && regs.rip == insn + 1) {
			int deliver = control == 0 || control >= 3;
			hits++;
			printf(
			    "sigreturn window-slow: hit %ld of the slow %s (rsp %#llx, r14 %#llx, "
			    "rax %#llx, r9 %#llx)%s\n",
			    hits,
			    control == 3   ? "path, signals held"
			    : control >= 4 ? "block, before it closes the page"
					   : "block",
			    (unsigned long long)regs.rsp, (unsigned long long)regs.r14,
			    (unsigned long long)regs.rax, (unsigned long long)regs.r9,
			    hits == 1 && deliver ? ": SIGUSR1 delivered there" : "");
			fflush(stdout);
			if (control == 5 && hits == 1) {
				/*
				 * The CFI row at the block (gate.S: .cfi_def_cfa_offset 56):
				 * the gate's caller's return address at rsp + 48, above
				 * SAVE_CALLEE_SAVED's six words (with CFA = rsp + 8, as
				 * before a review's fix, an unwinder took the saved r15).
				 */
				unsigned long ra = (unsigned long)ptrace(PTRACE_PEEKDATA, tid,
									 (void *)(regs.rsp + 48), NULL);
				printf("window-slow-close-priv: the caller's return address at rsp + 48 "
				       "(the block's CFA - 8): %s\n",
				       ra - (uintptr_t)window_slow_thread < 512 ? "in window_slow_thread: ok"
										  : "FAIL");
			}
			if (hits == 1 && deliver) {
				regs.rip = insn;
				ptrace(PTRACE_SETREGS, tid, NULL, &regs);
				ptrace(PTRACE_CONT, tid, NULL, (void *)(long)SIGUSR1);
				continue;
			}
			if (control >= 3) {
				if (control == 3)
					regs.rdi = regs.r10 & 0xff;
				else
					regs.r10 = (unsigned long long)ptrace(
					    PTRACE_PEEKDATA, tid, (void *)regs.r11, NULL);
				regs.rip = insn + (control == 3 ? 4 : 3);
				ptrace(PTRACE_SETREGS, tid, NULL, &regs);
				ptrace(PTRACE_CONT, tid, NULL, NULL);
				continue;
			}
			regs.r10 = regs.r9;
			regs.rip = insn + 3;
			ptrace(PTRACE_SETREGS, tid, NULL, &regs);
			ptrace(PTRACE_CONT, tid, NULL, NULL);
			continue;
		}
		if (sig == SIGSTOP || sig == SIGTRAP)
			sig = 0;
		ptrace(PTRACE_CONT, tid, NULL, (void *)(long)sig);
	}
	if (!hits)
		printf("sigreturn window-slow: the thread never reached the breakpoint: FAIL\n");
	/*
	 * Right: the call returns its result (a restart from a clean state)
	 * or the report (a signal outside the windows with the page open,
	 * 134); wrong: anything else (the gate run again on a shifted stack).
	 */
	int reported = (WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT) ||
		       (WIFEXITED(status) && WEXITSTATUS(status) == 134);
	int ok =
	    hits && ((reported && control < 3) || (WIFEXITED(status) && WEXITSTATUS(status) == 0));
	if (WIFSIGNALED(status))
		printf("sigreturn window-slow: the child ended with signal %d: %s\n",
		       WTERMSIG(status), ok ? "ok (the report)" : "FAIL");
	else
		printf("sigreturn window-slow: the child exited with %d: %s\n", WEXITSTATUS(status),
		       ok ? "ok" : "FAIL");
	return ok ? 0 : 1;
}

static int sigreturn_attack(const char *how)
{
	struct sigaction sa;
	unsigned eax, ebx, ecx, edx;

	sigreturn_lib1_data = where(1, KIND_DATA);
	static const char *const slow_modes[] = {"window-slow", "window-slow-control",
						 "window-slow-plain", "window-slow-held",
						 "window-slow-close", "window-slow-close-priv"};
	for (int m = 0; m < 6; m++)
		if (!strcmp(how, slow_modes[m]))
			return sigreturn_window_slow(m);
	static const char *const race_modes[] = {"race",        "window",       "window-switch",
						 "window-tail", "window-claim", "window-deliver"};
	for (int m = 0; m < 6; m++)
		if (!strcmp(how, race_modes[m]))
			return sigreturn_race(m);
	if (!strcmp(how, "nonce-wrpkru")) {
		/* The WRPKRU that opens the nonce, with PKRU 0. */
		printf("sigreturn nonce-wrpkru: app jumps to the nonce's WRPKRU with PKRU 0\n");
		fflush(stdout);
		__asm__ volatile("xorl %%eax, %%eax\n\t"
				 "xorl %%ecx, %%ecx\n\t"
				 "xorl %%edx, %%edx\n\t"
				 "jmp *%0"
				 :
				 : "r"((uintptr_t)flexos__mpk_sigreturn_nonce_checked - 3)
				 : "rax", "rcx", "rdx", "memory");
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = capture;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) || !__get_cpuid_count(0xd, 9, &eax, &ebx, &ecx, &edx))
		return 2;
	raise(SIGUSR1);

	unsigned char *uc = frame_copy + COPY_UC;
	greg_t *gregs = ((ucontext_t *)(void *)uc)->uc_mcontext.gregs;
	gregs[16 /* REG_RIP */] = (greg_t)(uintptr_t)resumed;
	gregs[15 /* REG_RSP */] = (greg_t)(uintptr_t)(resume_stack + sizeof(resume_stack) - 8);
	uint32_t *pkru = (uint32_t *)(void *)(frame_copy + COPY_FP + ebx);
	printf("sigreturn %s: the frame's PKRU was %#x (app's)\n", how, *pkru);
	if (!strcmp(how, "direct") || !strcmp(how, "tramp") || !strcmp(how, "syscall"))
		*pkru = 0;
	else if (!strcmp(how, "window-forge") || !strcmp(how, "window-forge-open")) {
		/*
		 * The rep stosq of the carry path's first clearing window,
		 * rdi at lib1's data: resumed as it is, it would write 0x5eed
		 * there. window-forge-open: with app's open PKRU, as a signal
		 * there would leave it; the restorer resumes it at the
		 * window's start, with app's PKRU: the clearing takes its own
		 * page and r9's 0 words, and the path goes on to call r8.
		 * window-forge: with PKRU 0, which no window of app's runs
		 * with (a frame of another compartment's, or forged): refused.
		 */
		const unsigned char *at =
		    (const unsigned char *)flexos__mpk_gate_carry_clear_open_checked;
		int i = 0;
		while (i < 256 && !(at[i] == 0xf3 && at[i + 1] == 0x48 && at[i + 2] == 0xab))
			i++;
		if (i == 256)
			return 2;
		window_forge_before = lib1_probe(sigreturn_lib1_data, 0);
		gregs[16 /* REG_RIP */] = (greg_t)(uintptr_t)(at + i);
		gregs[15 /* REG_RSP */] =
		    (greg_t)(uintptr_t)(resume_stack + sizeof(resume_stack) - 16);
		gregs[8 /* REG_RDI */] = (greg_t)sigreturn_lib1_data;
		gregs[14 /* REG_RCX */] = 1;
		gregs[13 /* REG_RAX */] = 0x5eed;
		gregs[0 /* REG_R8 */] = (greg_t)(uintptr_t)window_forge_resumed;
		gregs[1 /* REG_R9 */] = 0;
		*pkru = strcmp(how, "window-forge") ? flexos__mpk_pkru[1024 / 4 + 0] : 0;
		printf(
		    "sigreturn %s: a frame at the carry clearing's rep stosq (%p), PKRU %#x, rdi "
		    "at lib1's data\n",
		    how, (void *)(at + i), *pkru);
	} else if (!strcmp(how, "tramp-bv"))
		frame_copy[COPY_FP + 512 + 1] &= (unsigned char)~(1u << (9 - 8));
	else if (strcmp(how, "own"))
		return 2;
	fflush(stdout);
	if (!strcmp(how, "direct"))
		__asm__ volatile("movq %0, %%rsp\n\t"
				 "movl $15, %%eax\n\t"
				 "syscall\n\t"
				 "ud2"
				 :
				 : "r"(uc)
				 : "rax", "rcx", "r11", "memory");
	else if (!strcmp(how, "syscall"))
		__asm__ volatile("movq %0, %%rsp\n\t"
				 "movl $15, %%eax\n\t"
				 "xorl %%edi, %%edi\n\t"
				 "jmp *%1"
				 :
				 : "r"(uc), "r"(flexos__mpk_sigreturn_insn)
				 : "rax", "rdi", "memory");
	else
		__asm__ volatile("movq %0, %%rsp\n\t"
				 "jmp *%1"
				 :
				 : "r"(uc), "r"(flexos__mpk_sigreturn)
				 : "memory");
	__builtin_unreachable();
}

/* ---- the gate's per-thread state (limits 2 and 3) ------------------------- */

static uintptr_t own_gate_page(void)
{
	return (uintptr_t)flexos__mpk_thread.gp;
}

static struct gate_page_head fake_page __attribute__((aligned(4096)));
static const char *tamper_how;

/*
 * app, called back by lib1 through a gate, as a compromised compartment:
 * changes the gate's state of this thread, then returns through the gate
 * to lib1.
 *   tls-fake   the TLS pointer to a page app made: lib1 running, app's
 *              stack pointer as lib2's, one call whose caller is lib2
 *   tls-other  the TLS pointer to the next gate page (no thread's)
 *   tls-null   the TLS pointer cleared: the gate finds the same page again
 *   cur        the page's current compartment written (lib2)
 *   sp         the page's saved stack pointer of lib1 written
 *   id         the word above the return address, where the gate once
 *              pushed the caller's id, rewritten to lib2's (limit 3)
 */
__attribute__((noinline)) static long app_tamper(long x)
{
	volatile uint64_t *frame = __builtin_frame_address(0);
	struct gate_page_head *gp = flexos__mpk_thread.gp;

	if ((uintptr_t)frame[1] < (uintptr_t)flexos__backend_gate ||
	    (uintptr_t)frame[1] >= (uintptr_t)flexos__backend_gate_shared_stacks) {
		printf("gate-state: app_tamper was not called by flexos__backend_gate: FAIL\n");
		exit(1);
	}
	printf("gate-state: app, called back by lib1, changes '%s' and returns through the "
	       "gate\n",
	       tamper_how);
	fflush(stdout);
	if (!strcmp(tamper_how, "tls-fake")) {
		fake_page = *gp;
		fake_page.cur = 1;
		fake_page.sp[2] = (uint64_t)(uintptr_t)frame;
		fake_page.ids[fake_page.depth ? fake_page.depth - 1 : 0] = 2;
		flexos__mpk_thread.gp = &fake_page;
	} else if (!strcmp(tamper_how, "tls-other")) {
		flexos__mpk_thread.gp = (struct gate_page_head *)((char *)gp + 4096);
	} else if (!strcmp(tamper_how, "tls-null")) {
		flexos__mpk_thread.gp = NULL;
	} else if (!strcmp(tamper_how, "cur")) {
		gp->cur = 2;
	} else if (!strcmp(tamper_how, "sp")) {
		gp->sp[1] = (uint64_t)(uintptr_t)frame;
	} else if (!strcmp(tamper_how, "id")) {
		frame[2] = 2;
	} else {
		exit(2);
	}
	return x;
}

/*
 * tls-live: another thread of app is parked in a callback app -> lib1 ->
 * app (park_cb); this thread points its TLS at that thread's gate page,
 * whose compartment is app as its own, and crosses a gate into lib2 and
 * back. Where RDFSBASE proves the page's owner: reported ("is not its own
 * gate page"). Without FSGSBASE (limit 2): the gate takes it, and this
 * thread's crossing runs on the other thread's state.
 */
static volatile int parked, unpark;
static struct gate_page_head *volatile parked_gp;

static long park_cb(long x)
{
	parked_gp = flexos__mpk_thread.gp;
	__atomic_store_n(&parked, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&unpark, __ATOMIC_ACQUIRE))
		usleep(1000);
	return x;
}

/*
 * mask: lib1 jumps into the clone site past its pushes, to the read of
 * the signal mask before, with %rsp at its own gate page (the word the
 * kernel writes there would be the page's running compartment), its
 * signal mask empty (so that word 0: app's id) and no flags (the site
 * then reports a clone without CLONE_SETTLS, naming the compartment the
 * page names). The site reads the mask with lib1's PKRU, which may not
 * write the page: the report names lib1. Before (the read made with the
 * gate page open), the kernel rewrote the page to name app, whose PKRU
 * the gate's next switch would write.
 */
extern const char flexos__mpk_clone_mask_read[];

static long mask_from_lib1(long x)
{
	sigset_t none;

	(void)x;
	sigemptyset(&none);
	if (pthread_sigmask(SIG_SETMASK, &none, NULL))
		return -1;
	printf("clone-settls mask: lib1 runs the clone site's mask read with %%rsp at its "
	       "gate page %#lx\n",
	       (unsigned long)own_gate_page());
	fflush(stdout);
	__asm__ volatile("movq %0, %%rsp\n\t"
			 "xorl %%ebx, %%ebx\n\t"
			 "jmp *%1"
			 :
			 : "r"(own_gate_page()), "r"((uintptr_t)flexos__mpk_clone_mask_read)
			 : "rbx", "memory");
	__builtin_unreachable();
}

static long park_cb_fs(long x);

/* Parks in app inside app -> lib1 -> app; with_fs: noting its FS base first. */
static void *park_thread(void *with_fs)
{
	long r = 0;

	if (with_fs)
		flexos_gate_r(lib1, r, lib1_call, flexos_callback(app, park_cb_fs), 1);
	else
		flexos_gate_r(lib1, r, lib1_call, flexos_callback(app, park_cb), 1);
	return (void *)r;
}

/* Starts a thread of app that parks (park_thread) and waits until it has. */
static int park_app_thread(pthread_t *t, bool with_fs)
{
	if (pthread_create(t, NULL, park_thread, with_fs ? (void *)1 : NULL))
		return 1;
	while (!__atomic_load_n(&parked, __ATOMIC_ACQUIRE))
		usleep(1000);
	return 0;
}

/* Lets the parked thread go on; returns what its gate returned. */
static long unpark_app_thread(pthread_t t)
{
	void *back;

	__atomic_store_n(&unpark, 1, __ATOMIC_RELEASE);
	pthread_join(t, &back);
	return (long)back;
}

static int tls_live(void)
{
	struct gate_page_head *own = flexos__mpk_thread.gp;
	pthread_t t;
	long back;
	long r = 0;

	if (park_app_thread(&t, false))
		return 1;
	printf("gate-state tls-live: app points its TLS at a thread's gate page (%p, its own "
	       "%p), that thread parked in app, and calls lib2\n",
	       (void *)parked_gp, (void *)own);
	fflush(stdout);
	flexos__mpk_thread.gp = parked_gp;
	flexos_gate_r(lib2, r, lib2_add, 20, 2);
	flexos__mpk_thread.gp = own;
	printf("gate-state tls-live: the gate took another thread's page: into lib2 and back "
	       "(%ld), no report\n",
	       r);
	back = unpark_app_thread(t);
	printf("gate-state tls-live: the parked thread came back with %ld\n", back);
	return r != 42 || back != 3;
}

/*
 * clone-settls (limit 2). lib1 (app's function run as a plain pointer by
 * lib1_call, with lib1's PKRU) makes a thread with a raw
 * clone(CLONE_SETTLS) whose TLS, so FS base, is app's parked thread's:
 * the child would find that thread's gate page through the shared TLS,
 * pass the owner check (RDFSBASE says the same), and jump to the WRPKRU
 * that opens the page in the handler table's writer with app's open PKRU.
 * HOW: libc, through glibc's clone(), which the runtime sends to its
 * clone site: the site finds the FS base a live thread's and reports
 * (status 134); creator: the same with CLONE_VM and no CLONE_SETTLS, the
 * child keeping lib1's thread's own FS base; syscall: the clone system
 * call made from lib1's code, which the filter reports (123); site: a
 * jump straight to the site's syscall instruction (no nonce in %r9): the
 * same. Returns 0 when the child read app's data (with the filter off:
 * the hole the filter closes).
 */
extern const char flexos__mpk_clone_syscall[];
static int settls_how FLEXOS_SHARED; /* 0 libc, 1 site, 2 creator, 3 future, 4 syscall */
static int settls_secret = 4242;
static volatile long settls_read FLEXOS_SHARED;
static volatile int settls_done FLEXOS_SHARED;
static volatile uintptr_t victim_fs FLEXOS_SHARED;
static char settls_stack[65536] FLEXOS_SHARED __attribute__((aligned(16)));

static volatile int future_go FLEXOS_SHARED;

__attribute__((used, noinline)) static void settls_child(void)
{
	if (settls_how == 3) { /* future: keep the FS base while app makes a thread */
		__atomic_store_n(&settls_done, 1, __ATOMIC_RELEASE);
		while (!__atomic_load_n(&future_go, __ATOMIC_ACQUIRE))
			__asm__ volatile("pause");
		__asm__ volatile("syscall" : : "a"(SYS_exit), "D"(0) : "rcx", "r11", "memory");
	}
	jump_to_page_open(flexos__mpk_pkru[1024 / 4 + 0]); /* app's open PKRU */
	settls_read = *(volatile int *)&settls_secret;
	__atomic_store_n(&settls_done, 1, __ATOMIC_RELEASE);
	__asm__ volatile("syscall" : : "a"(SYS_exit), "D"(0) : "rcx", "r11", "memory");
	__builtin_unreachable();
}

static int settls_child_fn(void *arg)
{
	(void)arg;
	settls_child();
	return 0;
}

static long settls_from_lib1(long x)
{
	register long r10 __asm__("r10") = 0;
	register long r8 __asm__("r8") = (long)victim_fs;
	register long r9 __asm__("r9") = 0;
	unsigned long flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
			      CLONE_SYSVSEM | (settls_how == 2 ? 0 : CLONE_SETTLS);
	uintptr_t site = (uintptr_t)flexos__mpk_clone_syscall - 2; /* its syscall instruction */
	long ret;

	if (settls_how == 1) /* only the report can follow */
		__asm__ volatile("jmp *%[site]"
				 :
				 : "a"((long)SYS_clone), "D"(flags),
				   "S"(settls_stack + sizeof(settls_stack)), "d"(0), "r"(r10),
				   "r"(r8), "r"(r9), [site] "r"(site)
				 : "rcx", "r11", "memory");
	if (settls_how != 4)
		ret = clone(settls_child_fn, settls_stack + sizeof(settls_stack), (int)flags, NULL,
			    NULL, (void *)victim_fs, NULL);
	else
		__asm__ volatile("syscall\n\t"
				 "testq %%rax, %%rax\n\t"
				 "jnz 1f\n\t"
				 "call settls_child\n\t"
				 "ud2\n"
				 "1:"
				 : "=a"(ret)
				 : "0"((long)SYS_clone), "D"(flags),
				   "S"(settls_stack + sizeof(settls_stack)), "d"(0), "r"(r10),
				   "r"(r8)
				 : "rcx", "r11", "memory");
	if (ret < 0)
		return ret;
	while (!__atomic_load_n(&settls_done, __ATOMIC_ACQUIRE))
		usleep(1000);
	return x;
}

static long park_cb_fs(long x)
{
	victim_fs = (uintptr_t)pthread_self();
	return park_cb(x);
}

/*
 * future: the FS base of a thread to come. app makes a thread and joins
 * it (glibc keeps its stack, so its descriptor, for the next thread);
 * lib1 clones a thread with that descriptor as its TLS, which no live
 * thread has: allowed, and the clone site registers a page for it, in
 * lib1, which the clone binds. app then makes a thread: glibc hands it
 * the same descriptor, which the clone site finds bound to lib1's live
 * thread: reported, never two threads with one FS base.
 */
static void *reuse_fn(void *arg);

static int clone_future(void)
{
	pthread_t t0, t1;
	long r = 0;
	int err;

	if (pthread_create(&t0, NULL, reuse_fn, NULL) || pthread_join(t0, NULL))
		return 1;
	victim_fs = (uintptr_t)t0;
	flexos_gate_r(lib1, r, lib1_call, settls_from_lib1, 5);
	if (r != 7) {
		printf("clone-settls future: clone failed (%ld)\n", r - 1);
		return 1;
	}
	printf("clone-settls future: lib1's thread runs with the FS base %#lx of app's thread "
	       "gone; app makes a thread\n",
	       (unsigned long)victim_fs);
	fflush(stdout);
	err = pthread_create(&t1, NULL, reuse_fn, (void *)1);
	printf("clone-settls future: pthread_create: %d, FS base %#lx%s\n", err,
	       err ? 0ul : (unsigned long)t1,
	       !err && (uintptr_t)t1 == victim_fs ? ", lib1's thread's too: FAIL" : "");
	__atomic_store_n(&future_go, 1, __ATOMIC_RELEASE);
	if (!err)
		pthread_join(t1, NULL);
	return 1;
}

static int clone_settls(const char *how)
{
	pthread_t t;
	long r = 0;

	if (!strcmp(how, "site"))
		settls_how = 1;
	else if (!strcmp(how, "creator"))
		settls_how = 2;
	else if (!strcmp(how, "future"))
		return settls_how = 3, clone_future();
	else if (!strcmp(how, "syscall"))
		settls_how = 4;
	else if (!strcmp(how, "mask")) {
		flexos_gate_r(lib1, r, lib1_call, mask_from_lib1, 0);
		printf("clone-settls mask: back in app (%ld): FAIL\n", r);
		return 1;
	} else if (strcmp(how, "libc"))
		return 2;

	if (park_app_thread(&t, true))
		return 1;
	printf("clone-settls: lib1 clones a thread with the TLS of app's thread parked in app "
	       "(FS base %#lx)\n",
	       (unsigned long)victim_fs);
	fflush(stdout);
	flexos_gate_r(lib1, r, lib1_call, settls_from_lib1, 5);
	if (r != 7) { /* lib1_call: cb(x + 1) + 1 */
		printf("clone-settls: clone failed (%ld)\n", r - 1);
		return 1;
	}
	printf("clone-settls: lib1's thread read app's data %ld%s\n", (long)settls_read,
	       settls_read == 4242 ? ": what remains (limit 2): it passes the owner check" : "");
	unpark_app_thread(t);
	return settls_read != 4242;
}

/*
 * app -> lib1 -> app_tamper: where app comes back, and with what. The
 * harmless cases (tls-null, id) must come back to app with lib1_call's
 * result; the others must end in a report before anything runs with
 * another compartment's PKRU.
 */
static int gate_state(const char *how)
{
	long r = 0;

	tamper_how = how;
	flexos_gate_r(lib1, r, lib1_call, flexos_callback(app, app_tamper), 10);
	int ok = r == 12 && !strcmp(flexos_compartment_name(), "app");
	printf("gate-state %s: back in compartment %s with %ld (expected app, 12): %s\n", how,
	       flexos_compartment_name(), r, ok ? "ok, harmless" : "FAIL");
	return !ok;
}

/*
 * thread-reuse: threads made and joined one after the other. glibc hands
 * each the descriptor, so the FS base, of the one before, whose gate page
 * still names it: the clone site must let it through once the kernel no
 * longer runs that thread. Each crosses app -> lib1 -> app.
 */
static long reuse_cb(long x)
{
	return x * 2;
}

static void *reuse_fn(void *arg)
{
	long r = 0;

	flexos_gate_r(lib1, r, lib1_call, flexos_callback(app, reuse_cb), (long)arg);
	return (void *)r;
}

/*
 * clone-race (an attack review of 5f833fb): the clone site's scan of the gate pages
 * and its registration are not one step: two threads of lib1 that call
 * clone() with the same tls at the same moment both find no page naming it
 * (neither has registered yet), both register, and both clones are made:
 * two live lib1 threads with one FS base, one TLS, one gate page. One calls
 * app's callback and stays there (the page names app); the other jumps to
 * the WRPKRU that opens the page with app's open PKRU: the check compares
 * with the page (app's), RDFSBASE with its owner (the shared FS base).
 */
/* Until the shared gate page (both threads' TLS) names app (its cur, which every compartment
 * reads). */
static void wait_page_names_app(volatile int *parking)
{
	while (!__atomic_load_n(parking, __ATOMIC_ACQUIRE))
		__asm__ volatile("pause");
	for (;;) {
		struct gate_page_head *volatile gp = flexos__mpk_thread.gp;
		if (gp && (gp->cur & 15) == 0)
			break;
		__asm__ volatile("pause");
	}
	usleep(20000);
}

/*
 * Run by a clone with a live thread's FS base, so with its gate page: once
 * that thread is in app (the page names app), the WRPKRU that opens the
 * page with app's open PKRU passes its check. Returns app's data read so.
 */
static long read_app_through_page(volatile int *started, volatile int *parking)
{
	if (started)
		__atomic_store_n(started, 1, __ATOMIC_RELEASE);
	wait_page_names_app(parking);
	jump_to_page_open(flexos__mpk_pkru[1024 / 4 + 0]); /* app's open PKRU */
	return *(volatile int *)&settls_secret;
}

static volatile int race_arrived FLEXOS_SHARED;
static volatile int race_nchild FLEXOS_SHARED, race_done FLEXOS_SHARED, race_parking FLEXOS_SHARED;
static volatile long race_read FLEXOS_SHARED = -1;
static volatile long race_clone_ret[2] FLEXOS_SHARED;
static long (*volatile race_park)(long) FLEXOS_SHARED;
static volatile uintptr_t race_fs FLEXOS_SHARED;
static char race_stacks[2][65536] FLEXOS_SHARED __attribute__((aligned(16)));

static int race_child_fn(void *arg)
{
	int me = __atomic_fetch_add(&race_nchild, 1, __ATOMIC_ACQ_REL);

	(void)arg;
	if (me == 0) {
		while (__atomic_load_n(&race_nchild, __ATOMIC_ACQUIRE) < 2)
			__asm__ volatile("pause");
		usleep(20000);
		__atomic_store_n(&race_parking, 1, __ATOMIC_RELEASE);
		race_park(1); /* into app, through the callback's gate: parks there */
		__asm__ volatile("syscall" : : "a"(SYS_exit), "D"(0) : "rcx", "r11", "memory");
	}
	race_read = read_app_through_page(NULL, &race_parking);
	__atomic_store_n(&race_done, 1, __ATOMIC_RELEASE);
	__asm__ volatile("syscall" : : "a"(SYS_exit), "D"(0) : "rcx", "r11", "memory");
	__builtin_unreachable();
}

/* Run by lib1 (lib1_call's plain pointer), on two threads at once. */
static long race_from_lib1(long x)
{
	int i = (int)(x - 1);
	unsigned long flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
			      CLONE_SYSVSEM | CLONE_SETTLS;

	__atomic_fetch_add(&race_arrived, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&race_arrived, __ATOMIC_ACQUIRE) < 2)
		__asm__ volatile("pause");
	race_clone_ret[i] = clone(race_child_fn, race_stacks[i] + sizeof(race_stacks[i]),
				  (int)flags, NULL, NULL, (void *)race_fs, NULL);
	if (race_clone_ret[i] < 0)
		return -1;
	if (i == 0)
		while (!__atomic_load_n(&race_done, __ATOMIC_ACQUIRE))
			usleep(1000);
	return x;
}

static void *race_thread(void *arg)
{
	long r = 0;

	(void)arg;
	flexos_gate_r(lib1, r, lib1_call, race_from_lib1, 1); /* x = 2: racer 1 */
	return (void *)r;
}

static int clone_race(void)
{
	pthread_t racer, t0;
	long r = 0;

	race_park = flexos_callback(app, park_cb);
	/* The racer first: the descriptor of t0, joined, is the shared TLS. */
	if (pthread_create(&racer, NULL, race_thread, NULL))
		return 1;
	if (pthread_create(&t0, NULL, reuse_fn, NULL) || pthread_join(t0, NULL))
		return 1;
	race_fs = (uintptr_t)t0;
	usleep(100000);
	printf("clone-race: two lib1 threads clone at once with the TLS %#lx\n",
	       (unsigned long)race_fs);
	fflush(stdout);
	flexos_gate_r(lib1, r, lib1_call, race_from_lib1, 0); /* x = 1: racer 0 */
	printf("clone-race: (%ld) clones %ld %ld; lib1's thread read app's data %ld%s\n", r,
	       race_clone_ret[0], race_clone_ret[1], race_read,
	       race_read == 4242 ? ": FAIL (two threads, one FS base, app's rights)" : "");
	fflush(stdout);
	__atomic_store_n(&unpark, 1, __ATOMIC_RELEASE);
	pthread_join(racer, NULL);
	return race_read == 4242 ? 0 : 1;
}

/*
 * fork-clone (an attack review of 5f833fb): in a child of fork(), the forking
 * thread's gate page records the parent's pid and tid; the clone site's
 * liveness check (tgkill(getpid(), the tid's low half, 0)) finds that tid
 * gone, so lib1, in the child, clones a thread with the forking thread's
 * own FS base: two live threads, one FS base, one gate page. The forking
 * thread enters app through a callback and parks there (the page names
 * app); the clone jumps to the WRPKRU that opens the page with app's open
 * PKRU and reads app's data (the child's copy).
 */
static volatile int fc_started FLEXOS_SHARED, fc_parking FLEXOS_SHARED;

static long (*volatile fc_park)(long) FLEXOS_SHARED;
static char fc_stack[65536] FLEXOS_SHARED __attribute__((aligned(16)));

static int fc_child_fn(void *arg)
{
	char msg[160];
	(void)arg;
	long v = read_app_through_page(&fc_started, &fc_parking);
	int n = snprintf(msg, sizeof(msg),
			 "fork-clone: in the child, lib1's clone (FS base of the forking thread) "
			 "read app's data %ld%s\n",
			 v, v == 4242 ? ": FAIL" : "");
	if (write(1, msg, (size_t)n) < 0)
		v = 0;
	__asm__ volatile("syscall"
			 :
			 : "a"(SYS_exit_group), "D"(v == 4242 ? 42 : 1)
			 : "rcx", "r11", "memory");
	__builtin_unreachable();
}

static volatile uintptr_t fc_fs FLEXOS_SHARED;
static volatile long fc_ret FLEXOS_SHARED;

/* A thread of lib1's in the child: it clones with the forking thread's FS base. */
static void *fc_cloner(void *arg)
{
	unsigned long flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
			      CLONE_SYSVSEM | CLONE_SETTLS;
	(void)arg;
	fc_ret = clone(fc_child_fn, fc_stack + sizeof(fc_stack), (int)flags, NULL, NULL,
		       (void *)fc_fs, NULL);
	return NULL;
}

/* Run by lib1 (lib1_call's plain pointer). */
static long fork_clone_from_lib1(long x)
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		pthread_t d;
		char msg[160];

		fc_fs = (uintptr_t)pthread_self();
		if (pthread_create(&d, NULL, fc_cloner, NULL) || pthread_join(d, NULL))
			_exit(3);
		int n = snprintf(msg, sizeof(msg),
				 "fork-clone: child: lib1's thread cloned with the forking "
				 "thread's FS base %#lx: %ld\n",
				 (unsigned long)fc_fs, fc_ret);
		if (write(1, msg, (size_t)n) < 0 || fc_ret < 0)
			_exit(3);
		while (!__atomic_load_n(&fc_started, __ATOMIC_ACQUIRE))
			__asm__ volatile("pause");
		usleep(20000);
		__atomic_store_n(&fc_parking, 1, __ATOMIC_RELEASE);
		fc_park(1); /* into app through the callback's gate, parked there */
		_exit(4);
	}
	int st = 0;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return x * 1000 + (WIFEXITED(st) ? WEXITSTATUS(st) : 500 + WTERMSIG(st));
}

static int fork_clone(void)
{
	long r = 0;

	fc_park = flexos_callback(app, park_cb);
	flexos_gate_r(lib1, r, lib1_call, fork_clone_from_lib1, 0);
	printf("fork-clone: back in app: %ld (child status %ld)\n", r, r % 1000 - 1);
	return (r % 1000) - 1 == 42 ? 0 : 1;
}

/*
 * sigio-sigsys (an attack review of 5f833fb): the filter denies sending
 * SIGSYS with kill and sigqueue, but an I/O signal can be SIGSYS (fcntl
 * F_SETSIG) and aimed at one thread (F_SETOWN_EX, F_OWNER_TID): were its
 * si_code POLL_IN, 1, which is SYS_SECCOMP, the handler would take it for
 * the filter's and report the interrupted thread's registers (app's, with
 * app's secret in %r8). Linux 6.1 sends it with SI_SIGIO: the handler
 * ends the image as without one (159), no registers printed.
 */
static volatile int sio_tid FLEXOS_SHARED;
static long sio_secret = 0x5ec2e7; /* app's */

static long sio_park_cb(long x)
{
	__atomic_store_n(&sio_tid, (int)syscall(SYS_gettid), __ATOMIC_RELEASE);
	__asm__ volatile("movq %0, %%r8\n\t"
			 "1: pause\n\t"
			 "jmp 1b"
			 :
			 : "r"(sio_secret)
			 : "r8");
	return x;
}

static void *sio_thread(void *arg)
{
	long r = 0;
	(void)arg;
	flexos_gate_r(lib1, r, lib1_call, flexos_callback(app, sio_park_cb), 1);
	return (void *)r;
}

/* Run by lib1 (lib1_call's plain pointer). */
static long sio_from_lib1(long x)
{
	int p[2];
	struct f_owner_ex own = {F_OWNER_TID, sio_tid};

	if (pipe(p))
		return -1;
	/* si_fd is si_syscall: an fd numbered like clone (56) */
	if (dup2(p[0], 56) < 0)
		return -2;
	if (fcntl(56, F_SETOWN_EX, &own) || fcntl(56, F_SETSIG, SIGSYS) ||
	    fcntl(56, F_SETFL, O_ASYNC | O_NONBLOCK)) {
		printf("sigio-sigsys: fcntl: %s\n", strerror(errno));
		return -3;
	}
	printf("sigio-sigsys: lib1 aims an I/O SIGSYS at app's thread %d\n", sio_tid);
	fflush(stdout);
	if (write(p[1], "x", 1) != 1)
		return -4;
	sleep(2);
	return x;
}

static int sigio_sigsys(void)
{
	pthread_t t;
	long r = 0;

	if (pthread_create(&t, NULL, sio_thread, NULL))
		return 1;
	while (!__atomic_load_n(&sio_tid, __ATOMIC_ACQUIRE))
		usleep(1000);
	flexos_gate_r(lib1, r, lib1_call, sio_from_lib1, 0);
	printf("sigio-sigsys: back in app (%ld): nothing delivered\n", r);
	return 1;
}

/*
 * vm-clone (an attack review of 5f833fb): the same hole as fork-clone, in the image
 * itself. lib1 makes, at the clone site, a process that shares the image's
 * memory (CLONE_VM | CLONE_SETTLS, no CLONE_THREAD: its own pid). There,
 * the site's liveness check, tgkill(getpid(), tid, 0), finds every thread
 * of the image gone, so it clones a thread with the FS base of one of
 * lib1's live threads (L, the image's main thread running lib1's code).
 * L enters app through a callback and waits there; the clone jumps to the
 * WRPKRU that opens the page with app's open PKRU, reads app's data and
 * writes it, in the image's memory; app then sees the new value.
 */
static volatile int vc_started FLEXOS_SHARED, vc_parking FLEXOS_SHARED;
static volatile uintptr_t vc_fs FLEXOS_SHARED, vc_qfs FLEXOS_SHARED;
static volatile long vc_ret FLEXOS_SHARED = 1;
static long (*volatile vc_park)(long) FLEXOS_SHARED;
static char vc_stack[65536] FLEXOS_SHARED __attribute__((aligned(16)));
static char vc_qstack[65536] FLEXOS_SHARED __attribute__((aligned(16)));
static volatile int vc_unpark; /* app's */

static long vc_park_cb(long x)
{
	while (!vc_unpark)
		usleep(1000);
	printf("vm-clone: app, back from waiting: its data is now %d%s\n", settls_secret,
	       settls_secret == 31337 ? ": FAIL (lib1 wrote it)" : "");
	fflush(stdout);
	return x;
}

static int vc_child_fn(void *arg)
{
	char msg[200];
	(void)arg;
	long v = read_app_through_page(&vc_started, &vc_parking);
	*(volatile int *)&settls_secret = 31337;
	vc_unpark = 1;
	int n = snprintf(msg, sizeof(msg),
			 "vm-clone: lib1's clone (FS base %#lx, L's) read app's data %ld and "
			 "wrote 31337%s\n",
			 (unsigned long)vc_fs, v, v == 4242 ? ": FAIL" : "");
	if (write(1, msg, (size_t)n) < 0)
		v = 0;
	__asm__ volatile("syscall" : : "a"(SYS_exit_group), "D"(0) : "rcx", "r11", "memory");
	__builtin_unreachable();
}

/* The process that shares the image's memory: its pid is not the image's. */
static int vc_q_fn(void *arg)
{
	unsigned long flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
			      CLONE_SYSVSEM | CLONE_SETTLS;
	(void)arg;
	vc_ret = clone(vc_child_fn, vc_stack + sizeof(vc_stack), (int)flags, NULL, NULL,
		       (void *)vc_fs, NULL);
	for (;;)
		pause();
	return 0;
}

/* Run by lib1 (lib1_call's plain pointer) on the image's main thread, L. */
static long vm_clone_from_lib1(long x)
{
	vc_fs = (uintptr_t)pthread_self();
	long q = clone(vc_q_fn, vc_qstack + sizeof(vc_qstack), CLONE_VM | CLONE_SETTLS | SIGCHLD,
		       NULL, NULL, (void *)vc_qfs, NULL);
	printf("vm-clone: lib1 made a process sharing the image's memory: %ld\n", q);
	fflush(stdout);
	if (q < 0)
		return -1;
	while (!__atomic_load_n(&vc_started, __ATOMIC_ACQUIRE)) {
		if (vc_ret < 0) {
			printf("vm-clone: its clone failed: %ld\n", vc_ret);
			return -2;
		}
		usleep(1000);
	}
	printf("vm-clone: its clone with L's FS base %#lx runs (%ld); L enters app\n",
	       (unsigned long)vc_fs, vc_ret);
	fflush(stdout);
	__atomic_store_n(&vc_parking, 1, __ATOMIC_RELEASE);
	vc_park(1);
	return x;
}

static int vm_clone(void)
{
	pthread_t t0;
	long r = 0;

	vc_park = flexos_callback(app, vc_park_cb);
	/* A descriptor no live thread has, for the process's own FS base. */
	if (pthread_create(&t0, NULL, reuse_fn, NULL) || pthread_join(t0, NULL))
		return 1;
	vc_qfs = (uintptr_t)t0;
	usleep(100000);
	flexos_gate_r(lib1, r, lib1_call, vm_clone_from_lib1, 0);
	printf("vm-clone: back in app (%ld)\n", r);
	return settls_secret == 31337 ? 0 : 1;
}

static int thread_reuse(void)
{
	uintptr_t first = 0;
	int same = 0;

	for (long i = 0; i < 40; i++) {
		pthread_t t;
		void *back;
		if (pthread_create(&t, NULL, reuse_fn, (void *)i)) {
			printf("thread-reuse: pthread_create failed at thread %ld\n", i);
			return 1;
		}
		if (!first)
			first = (uintptr_t)t;
		same += (uintptr_t)t == first;
		pthread_join(t, &back);
		if ((long)back != (i + 1) * 2 + 1) {
			printf("thread-reuse: thread %ld came back with %ld\n", i, (long)back);
			return 1;
		}
	}
	printf("thread-reuse: 40 threads, %d of them with the first one's FS base: ok\n", same);
	return same > 1 ? 0 : 1;
}

/*
 * thread-reuse distinct: more threads than there are gate pages (1024),
 * made and joined one after the other, each on a stack of its own
 * (pthread_attr_setstack), so each with an FS base of its own (glibc puts
 * the descriptor at the stack's top): each needs a page, and gets one of a
 * thread gone, whose stacks go back to the pools with it.
 */
static int thread_reuse_distinct(void)
{
	const long n = 1100, shift = 4096, size = 128 * 1024;
	char *area = mmap(NULL, (size_t)(n * shift + size), PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t prev = 0;

	if (area == MAP_FAILED)
		return 2;
	for (long i = 0; i < n; i++) {
		pthread_attr_t attr;
		pthread_t t;
		void *back;
		if (pthread_attr_init(&attr) ||
		    pthread_attr_setstack(&attr, area + i * shift, (size_t)size) ||
		    pthread_create(&t, &attr, reuse_fn, (void *)i)) {
			printf("thread-reuse distinct: pthread_create failed at thread %ld\n", i);
			return 1;
		}
		pthread_attr_destroy(&attr);
		if ((uintptr_t)t == prev) {
			printf(
			    "thread-reuse distinct: thread %ld has the FS base of the one before\n",
			    i);
			return 1;
		}
		prev = (uintptr_t)t;
		pthread_join(t, &back);
		if ((long)back != (i + 1) * 2 + 1) {
			printf("thread-reuse distinct: thread %ld came back with %ld\n", i,
			       (long)back);
			return 1;
		}
	}
	printf("thread-reuse distinct: %ld threads, each with an FS base of its own: ok\n", n);
	return 0;
}

/*
 * stack-steal (limit 8): app registers a gate page for the FS base of its
 * thread parked in app -> lib1 -> app, which takes that live thread's
 * page (mpk.c: flexos__mpk_register). The stacks the page held must not
 * go back to the pool while their thread may still run on them: a new
 * thread that enters lib1 must not get the parked thread's stack there.
 * With FLEXOS_MPK_STACKS=2 (main's stack in lib1, the parked thread's)
 * the new thread finds the pool exhausted (134); returns 1 when it got a
 * stack, the parked thread's.
 */
int flexos__mpk_thread_register(uint64_t fsbase);
static volatile uintptr_t steal_parked_lib1;

static void *steal_park(void *arg)
{
	long r = 0;

	(void)arg;
	steal_parked_lib1 = where(1, KIND_STACK);
	flexos_gate_r(lib1, r, lib1_call, flexos_callback(app, park_cb), 1);
	return (void *)r;
}

static void *steal_new(void *arg)
{
	*(uintptr_t *)arg = where(1, KIND_STACK);
	return NULL;
}

/*
 * dss-bounds: the data shadow stack's bounds are in TLS (key 0). lib1
 * finds them in the executable's static TLS block (below the thread
 * pointer) by their value, the address of app's last shared-stack object,
 * and points them at app's private dss_secret.
 */
static long dss_secret = 4242;
static volatile uintptr_t forge_lo FLEXOS_SHARED, forge_hi FLEXOS_SHARED, forge_was FLEXOS_SHARED,
    forge_to FLEXOS_SHARED;

static uintptr_t dss_use(long v)
{
	FLEXOS_SHARED_STACK(long, x);
	*x = v;
	return (uintptr_t)x;
}

/* The executable's static TLS block, just below the thread pointer: its size. */
static size_t exe_tls_size(void)
{
	const Elf64_Phdr *ph = (const Elf64_Phdr *)getauxval(AT_PHDR);
	size_t n = getauxval(AT_PHNUM);

	for (size_t i = 0; ph && i < n; i++)
		if (ph[i].p_type == PT_TLS) {
			size_t align = ph[i].p_align ? ph[i].p_align : 1;
			return (ph[i].p_memsz + align - 1) & ~(align - 1);
		}
	return 0;
}

/*
 * Run by lib1 (lib1_call: a plain call, lib1's PKRU): every word of
 * [forge_lo, forge_hi) that holds forge_was is set to forge_to; returns
 * how many, less one (lib1_call adds one).
 */
static long forge_in_lib1(long x)
{
	long n = 0;

	(void)x;
	for (volatile uintptr_t *w = (uintptr_t *)forge_lo; w < (uintptr_t *)forge_hi; w++)
		if (*w == forge_was) {
			*w = forge_to;
			n++;
		}
	return n - 1;
}

static int dss_bounds(void)
{
	size_t tls = exe_tls_size();
	long r = 0;

	forge_was = dss_use(1); /* base and top both hold it now */
	forge_hi = (uintptr_t)__builtin_thread_pointer();
	forge_lo = forge_hi - tls;
	forge_to = (uintptr_t)&dss_secret;
	flexos_gate_r(lib1, r, lib1_call, forge_in_lib1, 0);
	printf("dss-bounds: lib1 pointed %ld words of app's TLS (%zu bytes) at app's secret\n", r,
	       tls);
	fflush(stdout);
	if (r < 1)
		return 2;
	dss_use(0x41);
	printf("dss-bounds: app's secret is %#lx%s\n", (unsigned long)dss_secret,
	       dss_secret == 4242 ? ""
				  : ": app's shared-stack object was made where lib1 chose: FAIL");
	return dss_secret != 4242;
}

/*
 * shared-heap list: the shared heap's bookkeeping (at its start) is every
 * compartment's to write. lib1 points the free list of a small class at
 * app's private heap_secret; app then allocates shared memory of that
 * class. shared-heap free: lib1 rewrites the header of app's shared
 * object as that of an aligned allocation whose chunk is app's private
 * object (malloc'd, in app's heap); app frees its shared object.
 */
static _Alignas(16) long heap_secret[4] = {4242, 4242, 4242, 4242};

/* The runtime's table of heap ranges (platform memory, key 0): 5 words an entry. */
extern uintptr_t flexos__heap_ranges[];
static volatile uintptr_t lowest_of FLEXOS_SHARED;

/* Run by lib1: the shared heap's entry (start lowest_of) says nothing is below its payloads. */
static long lowest_in_lib1(long x)
{
	long n = 0;

	(void)x;
	for (int i = 0; i < 64; i++)
		if (flexos__heap_ranges[5 * i] == lowest_of) {
			flexos__heap_ranges[5 * i + 2] = 0;
			n++;
		}
	return n - 1;
}

/* The start of the mapping that holds p, from /proc/self/maps (0: none). */
static uintptr_t mapping_of(const void *p)
{
	FILE *maps = fopen("/proc/self/maps", "r");
	unsigned long lo, hi;
	uintptr_t at = 0;

	while (maps && fscanf(maps, "%lx-%lx%*[^\n]", &lo, &hi) == 2)
		if (lo <= (uintptr_t)p && (uintptr_t)p < hi)
			at = lo;
	if (maps)
		fclose(maps);
	return at;
}

static int shared_heap_free(void)
{
	long *p = flexos_shared_malloc(24), *own = malloc(24), r = 0;

	if (!p || !own || (uintptr_t)own >= (uintptr_t)p)
		return 2;
	own[0] = 4242;
	/* The table's lower bound first (else the free stops there, at the heap's start). */
	lowest_of = mapping_of(p);
	flexos_gate_r(lib1, r, lib1_call, lowest_in_lib1, 0);
	if (r < 1)
		return 2;
	/* The header: magic ALIGNED (0x414c), class 0, units back to own. */
	uint64_t hdr = 0x414c | (uint64_t)(((uintptr_t)p - (uintptr_t)own) / 16) << 32;
	flexos_gate_r(lib1, r, lib1_fill, p - 1, (long)hdr);
	(void)r;
	printf("shared-heap free: lib1 points app's shared object's header at app's own object\n");
	fflush(stdout);
	flexos_shared_free(p);
	printf("shared-heap free: app's own object holds %#lx%s\n", (unsigned long)own[0],
	       own[0] == 4242 ? "" : ": app's free of shared memory wrote it: FAIL");
	return own[0] != 4242;
}

/*
 * shared-heap size: lib1 sets the size in the header of app's shared
 * object to 0 (a chunk that cannot hold it), and app asks its usable size:
 * before the header had to hold its own payload, the size wrapped to
 * nearly 2^64, which code that trusts malloc_usable_size would then
 * write up to.
 */
size_t malloc_usable_size(void *p);

static int shared_heap_size(void)
{
	long *p = flexos_shared_malloc(24), r = 0;

	if (!p)
		return 2;
	/* The header: its magic and class kept, its units (the chunk's size / 16) 0. */
	uint64_t hdr = (uint64_t)p[-1] & 0xffffffffu;
	flexos_gate_r(lib1, r, lib1_fill, p - 1, (long)hdr);
	(void)r;
	printf("shared-heap size: lib1 sets the size in app's shared object's header to 0\n");
	fflush(stdout);
	size_t n = malloc_usable_size(p);
	printf("shared-heap size: app's malloc_usable_size returned %zu%s\n", n,
	       n > 24 ? ": more than the chunk holds: FAIL" : "");
	return n > 24;
}

/*
 * shared-heap table: lib1 makes a heap of its own in shared memory (a copy
 * of the shared heap's bookkeeping, found at the start of its mapping,
 * whose range it sets to app's heap and whose free lists all name a
 * buffer of its), and points the table of heap ranges' entry for app's
 * heap at it (platform memory); app then reallocates one of its own
 * objects, which holds a secret. The heap comes from the owner, through
 * the runtime's read-only state: the report (134). Before, the new object
 * was lib1's buffer, in shared memory, with app's secret copied there.
 */
static volatile uintptr_t table_hs FLEXOS_SHARED, table_he FLEXOS_SHARED, table_as FLEXOS_SHARED,
    table_ae FLEXOS_SHARED, table_probe FLEXOS_SHARED;
static uint64_t *table_fake FLEXOS_SHARED, *table_buf FLEXOS_SHARED;

static long table_in_lib1(long x)
{
	uint64_t *f = table_fake, *hs = (uint64_t *)table_hs;
	long found = 0;

	(void)x;
	memcpy(f, hs, 4096);
	for (int i = 0; i < 512; i++) {
		if (i < 16 && f[i] == table_hs)
			f[i] = table_as, found |= 1;
		else if (i < 16 && f[i] == table_he)
			f[i] = table_ae, found |= 2;
		else if (f[i] == table_probe) {
			/* free_small[0] and every class after it: lib1's buffer */
			for (int k = 0; k < 59; k++)
				f[i + k] = (uint64_t)&table_buf[2];
			found |= 4;
			break;
		}
	}
	table_buf[1] = (uint64_t)(4096 / 16) << 32; /* a header: units */
	for (int i = 0; i < 64; i++)
		if (flexos__heap_ranges[5 * i] == table_as) {
			flexos__heap_ranges[5 * i + 3] = (uintptr_t)f;
			found |= 8;
		}
	return found - 1;
}

static int shared_heap_table(void)
{
	char *own = malloc(24), *p0 = flexos_shared_malloc(24), *q;
	long r = 0;

	table_fake = flexos_shared_malloc(8192);
	table_buf = flexos_shared_calloc(1, 8192);
	if (!own || !p0 || !table_fake || !table_buf)
		return 2;
	strcpy(own, "app's secret");
	flexos_shared_free(p0); /* free_small[0]: p0, which lib1 finds the list by */
	table_probe = (uintptr_t)p0;
	table_hs = mapping_of(p0);
	table_as = mapping_of(own);
	/* The mappings' ends: the bookkeeping's end words (from /proc/self/maps too). */
	FILE *maps = fopen("/proc/self/maps", "r");
	unsigned long lo, hi;
	while (maps && fscanf(maps, "%lx-%lx%*[^\n]", &lo, &hi) == 2) {
		if (lo == table_hs)
			table_he = hi;
		if (lo == table_as)
			table_ae = hi;
	}
	if (maps)
		fclose(maps);
	flexos_gate_r(lib1, r, lib1_call, table_in_lib1, 0);
	printf("shared-heap table: lib1 made a heap of its own and pointed app's range at it "
	       "(%#lx)\n",
	       (unsigned long)r);
	fflush(stdout);
	q = realloc(own, 1000);
	printf("shared-heap table: app's reallocated object is %s%s\n",
	       q == (char *)&table_buf[2] ? "lib1's buffer" : "elsewhere",
	       !strcmp((char *)&table_buf[2], "app's secret")
		   ? ", and lib1 reads app's secret there: FAIL"
		   : "");
	return q == (char *)&table_buf[2];
}

static int shared_heap_list(void)
{
	void *p = flexos_shared_malloc(24);
	long r = 0;

	if (!p)
		return 2;
	flexos_shared_free(p); /* the class's free list: p */
	/* The heap's bookkeeping: at the start of its mapping, below p. */
	forge_lo = mapping_of(p);
	if (!forge_lo)
		return 2;
	forge_hi = (uintptr_t)p;
	forge_was = (uintptr_t)p;
	forge_to = (uintptr_t)&heap_secret[2];
	flexos_gate_r(lib1, r, lib1_call, forge_in_lib1, 0);
	printf("shared-heap: lib1 pointed %ld words of the shared heap's bookkeeping at app's "
	       "secret\n",
	       r);
	fflush(stdout);
	if (r < 1)
		return 2;
	long *q = flexos_shared_calloc(1, 24);
	q[0] = 0x41;
	printf("shared-heap: app's secret is %#lx%s\n", (unsigned long)heap_secret[2],
	       heap_secret[2] == 4242 ? "" : ": app's shared allocation was made there: FAIL");
	return heap_secret[2] != 4242;
}

static int stack_steal(void)
{
	pthread_t t, n;
	uintptr_t a = 0;

	if (pthread_create(&t, NULL, steal_park, NULL))
		return 1;
	while (!__atomic_load_n(&parked, __ATOMIC_ACQUIRE))
		usleep(1000);
	printf("stack-steal: app registers its parked thread's FS base (stack in lib1 near %#lx), "
	       "then a new thread enters lib1\n",
	       (unsigned long)steal_parked_lib1);
	fflush(stdout);
	flexos__mpk_thread_register((uint64_t)t);
	if (pthread_create(&n, NULL, steal_new, &a) || pthread_join(n, NULL))
		return 1;
	uintptr_t d = a > steal_parked_lib1 ? a - steal_parked_lib1 : steal_parked_lib1 - a;
	printf("stack-steal: the new thread got a stack in lib1 near %#lx%s\n", (unsigned long)a,
	       d < (1 << 20) ? ": the parked thread's, FAIL" : "");
	return 1;
}

/*
 * slow-race (the gate's C code runs on the gate stack, mpk.h): the C code
 * a gate runs with the gate page open once ran on the caller's stack,
 * where another thread of the caller's compartment can write: a return
 * address replaced there while the page was open ran app's code with the
 * gate key writable. Here a sprayer thread of app writes slow_hijack's
 * address over the 4 KiB below the stack pointer at which each new
 * thread calls lib1 for the first time (the slow path: it has no stack in
 * lib1 yet), as long as that thread is in the gate, but the 64 bytes
 * right below it: the stub's return address and the caller's
 * callee-saved registers, which the gate keeps there for app (limit 6)
 * and which app's own threads may write (the thread then returns with
 * them changed: app's business, not the gate's).
 */
static volatile uintptr_t race_sp;
static volatile int race_stop;

__attribute__((noinline, aligned(16))) static void slow_hijack(void)
{
	char msg[200];
	int n = snprintf(msg, sizeof(msg),
			 "slow-race: app's code runs from inside the gate with PKRU %#x (app's is "
			 "%#x): FAIL\n",
			 flexos__mpk_rdpkru(), flexos__mpk_pkru[0]);
	ssize_t w = write(STDOUT_FILENO, msg, (size_t)n);
	(void)w;
	_exit(1);
}

static void *race_spray(void *arg)
{
	(void)arg;
	while (!race_stop) {
		uintptr_t sp = race_sp;
		if (!sp)
			continue;
		for (uintptr_t *p = (uintptr_t *)(sp - 4096);
		     p < (uintptr_t *)(sp - 64) && race_sp == sp; p++)
			*(volatile uintptr_t *)p = (uintptr_t)slow_hijack;
	}
	return NULL;
}

static void *race_enter(void *arg)
{
	uintptr_t sp;
	long r = 0;

	__asm__ volatile("movq %%rsp, %0" : "=r"(sp));
	race_sp = sp;
	flexos_gate_r(lib1, r, lib1_add, 2, 3);
	race_sp = 0;
	*(long *)arg = r;
	return NULL;
}

static int slow_race(int n)
{
	pthread_t s, t;
	long r = 0;

	if (pthread_create(&s, NULL, race_spray, NULL))
		return 2;
	for (int i = 0; i < n; i++) {
		r = 0;
		if (pthread_create(&t, NULL, race_enter, &r) || pthread_join(t, NULL))
			return 2;
		if (r != 7) { /* 2 * a + b */
			printf("slow-race: thread %d: lib1_add(2, 3) returned %ld\n", i, r);
			return 1;
		}
	}
	race_stop = 1;
	pthread_join(s, NULL);
	printf("slow-race: %d threads entered lib1 by the slow path while app wrote their "
	       "stacks: the gate's C code never returned into app's writes\n",
	       n);
	return 0;
}

/*
 * carry-write (limit 3): the carry path copies stack arguments with the
 * gate page open, so with the gate key writable; it once took the carry
 * page from TLS (key 0), where a compartment could point it at any
 * gate-key memory: here the last of the scheduler's callback records
 * (mpk.h: MPK_RO_CB in the read-only state, 4096 records of 32 bytes).
 */
static int carry_write(int reclaim)
{
	uintptr_t records, saved, tls;
	long r = 0;

	/* backends/mpk/mpk.h: MPK_RO_CB, the records; MPK_T_CARRY, the TLS word (280). */
	memcpy(&records, flexos__mpk_ro + 200, sizeof(records));
	__asm__("" : "=r"(tls) : "0"((uintptr_t)&flexos__mpk_thread));
	volatile uintptr_t *carry = (volatile uintptr_t *)(tls + 280);
	volatile uint64_t *target = (volatile uint64_t *)(records + 4095 * 32);
	flexos_gate_r(lib1, r, lib1_add, 1, 2); /* this thread's lib1 stack exists */
	printf("carry-write: app points its carry page at a callback record (%p: %#lx) and calls "
	       "lib1 with stack arguments\n",
	       (void *)target, (unsigned long)*target);
	fflush(stdout);
	saved = *carry;
	*carry = (uintptr_t)target;
	/*
	 * reclaim: the TLS pointer to the gate page cleared too, so that the
	 * gate claims the page again (a review found the claim taking the
	 * page's carry pointer from TLS then).
	 */
	if (reclaim)
		flexos__mpk_thread.gp = NULL;
	flexos_gate_r(lib1, r, lib1_clobber8, 1, 2, 3, 4, 5, 6, 0x6666, 0x7777);
	*carry = saved;
	(void)r;
	printf("carry-write: the record holds %#lx: %s\n", (unsigned long)*target,
	       *target == 0x6666 ? "app wrote gate-key memory through the gate: FAIL"
				 : "the gate copied to the thread's carry page");
	return *target == 0x6666;
}

/*
 * mseal (limit 14): where the kernel has mseal(2) (6.10), the backend
 * seals the ranges its filter guards once start-up is over, so that even
 * a call the filter let through could not unmap, re-protect or re-key
 * them. Each region's mapping is looked up in /proc/self/smaps (on the
 * Landlock layer's list) for the "sl" of its VmFlags. A scratch page this
 * program seals itself, and one it does not, show that the reading tells
 * them apart. A kernel without mseal (ENOSYS: Debian 12's 6.1) seals
 * nothing: said so, the filter alone guards the ranges.
 */
static int sealed_at(uintptr_t a)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	uintptr_t lo = 0, hi = 0;
	int found = -1;

	if (!f)
		return -2;
	while (found < 0 && fgets(line, sizeof(line), f)) {
		unsigned long l, h;
		if (sscanf(line, "%lx-%lx ", &l, &h) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			lo = l;
			hi = h;
		} else if (!strncmp(line, "VmFlags:", 8) && a >= lo && a < hi) {
			found = strstr(line, " sl") != NULL;
		}
	}
	fclose(f);
	return found;
}

static int mseal_check(void)
{
	char *scratch =
	    mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t gp_lo, text = (uintptr_t)mseal_check;
	void *heap = malloc(64);
	static volatile long app_word = 1;
	int bad = 0;

	if (scratch == MAP_FAILED || !heap)
		return 2;
	/* Two mappings: the second page made another by its protection. */
	if (mprotect(scratch + 4096, 4096, PROT_READ))
		return 2;
	memcpy(&gp_lo, flexos__mpk_ro + 32, sizeof(gp_lo)); /* mpk.h: MPK_RO_GP_LO */
	if (syscall(462 /* SYS_mseal */, scratch, 4096, 0) && errno == ENOSYS) {
		int any = sealed_at((uintptr_t)&app_word) == 1 || sealed_at(gp_lo) == 1;
		printf("mseal: this kernel has no mseal(2) (ENOSYS): nothing is sealed, the filter "
		       "alone guards the ranges%s\n",
		       any ? ": yet a range reads sealed: FAIL" : "");
		return any;
	}
	int self = sealed_at((uintptr_t)scratch), other = sealed_at((uintptr_t)scratch + 4096);
	printf("mseal: the scratch page this program sealed reads %s, the one it did not %s%s\n",
	       self == 1 ? "sealed" : "not sealed", other == 1 ? "sealed" : "not sealed",
	       self == 1 && other == 0 ? "" : ": FAIL");
	bad |= !(self == 1 && other == 0);
	const struct {
		const char *what;
		uintptr_t at;
	} regions[] = {
	    {"app's code", text},
	    {"app's data", (uintptr_t)&app_word},
	    {"app's heap", (uintptr_t)heap},
	    {"lib1's data", where(1, KIND_DATA)},
	    {"the gate pages", gp_lo},
	    {"the backend's read-only state", (uintptr_t)flexos__mpk_ro},
	};
	for (size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); i++) {
		int r = sealed_at(regions[i].at);
		printf("mseal: %s (%#lx): %s\n", regions[i].what, (unsigned long)regions[i].at,
		       r == 1   ? "sealed"
		       : r == 0 ? "NOT SEALED: FAIL"
				: "no mapping found: FAIL");
		bad |= r != 1;
	}
	return bad;
}

/*
 * carry-leak (limit 3): a call's stack arguments and sret result cross
 * through the thread's carry page, which every compartment may read (gate
 * key): app calls lib2 with a secret word as two stack arguments (args) or
 * gets it back from lib2 as a result in memory (sret), then lib1 reads
 * every carry page (mpk_ro.carry_lo, MPK_GATE_PAGES pages of 4 KiB) for
 * it. The gate clears what it copied out of the page.
 */
static int carry_leak(const char *what)
{
	const long secret = 0x5ec2e7ca77e1eafl;
	uintptr_t lo;
	long n = -1, r = 0;

	memcpy(&lo, flexos__mpk_ro + 208, sizeof(lo)); /* backends/mpk/mpk.h: carry_lo */
	if (!strcmp(what, "args")) {
		flexos_gate_r(lib2, r, lib2_clobber8, 1, 2, 3, 4, 5, 6, secret, secret);
	} else if (!strcmp(what, "sret")) {
		struct lib_words w = {{0}};
		flexos_gate_r(lib2, w, lib2_words, secret - 2);
		r = w.w[2] == secret ? 0 : -1;
	} else {
		return 2;
	}
	if (r) {
		printf("carry-leak %s: the call to lib2 returned %ld\n", what, r);
		return 2;
	}
	flexos_gate_r(lib1, n, lib1_find, lo, lo + 1024 * 4096ul, secret);
	printf("carry-leak %s: lib1 finds app's word %ld time(s) in the carry pages: %s\n", what, n,
	       n ? "FAIL" : "the gate cleared it");
	return n != 0;
}

/*
 * carry-clear-len (review): lib1 jumps to CARRY_CLEAR's opening WRPKRU
 * with its own open PKRU (which the check accepts) and a word count of
 * its choice in %r9d: the rep stosq zeroes from its carry page up to the
 * first word (cur) of its own gate page. The closing TO_CUR then switches
 * to the compartment the page names, 0 (app), and the path calls %r8.
 */
static volatile long cc_secret = 4242;
static char *cc_stack;

static void cc_as_app(void)
{
	uint32_t pkru;
	__asm__ volatile("rdpkru" : "=a"(pkru) : "c"(0) : "rdx");
	long v = cc_secret;
	cc_secret = 6666;
	printf(
	    "carry-clear-len: lib1's code runs with PKRU %#x (app's %#x): read app's secret %ld, "
	    "wrote %ld: FAIL\n",
	    pkru, flexos__mpk_pkru[0], v, cc_secret);
	fflush(stdout);
	_exit(1);
}

static long cc_from_lib1(long x)
{
	uintptr_t gp = own_gate_page();
	uint64_t carry = *(volatile uint64_t *)(gp + 192); /* mpk.h: MPK_G_CARRY */
	char *stack = (char *)x;                           /* key 0 */
	if (!carry || carry >= gp)
		return -100;
	uint64_t words = (gp - carry) / 8 + 1; /* up to and including gp->cur */
	printf("carry-clear-len: in lib1, carry page %#lx, gate page %#lx: %lu words\n",
	       (unsigned long)carry, (unsigned long)gp, (unsigned long)words);
	fflush(stdout);
	char *target = flexos__mpk_gate_carry_clear_open_checked;
	__asm__("" : "+r"(target));
	target -= 3; /* the WRPKRU */
	register uint64_t r9 __asm__("r9") = words;
	register uint64_t r8 __asm__("r8") = (uint64_t)(uintptr_t)cc_as_app;
	__asm__ volatile("pxor %%xmm15, %%xmm15\n\t"
			 "movq %%rsi, %%rsp\n\t"
			 "xorl %%ecx, %%ecx\n\t"
			 "xorl %%edx, %%edx\n\t"
			 "jmp *%%rdi"
			 :
			 : "D"(target), "S"(stack + 65536 - 64),
			   "a"(flexos__mpk_pkru[1024 / 4 + 1]), "r"(r9), "r"(r8)
			 : "rcx", "rdx", "memory");
	__builtin_unreachable();
}

/*
 * clone-df (review): the clone site's WRPKRU opens the gate key
 * (flexos__mpk_clone_open_checked) and the site then calls
 * flexos__mpk_register, C code, on the gate stack. lib1 enters the site
 * (a call, or a jump to that WRPKRU) with DF set: the compiled memsets
 * of reset_page and flexos__mpk_jump_reset (rep stosq) then run down,
 * from the new page and its jump page into the page below: another
 * thread's gate page and jump page (here app's main thread's, whose
 * setjmp records lib1 wipes). Its clone then fails (CLONE_THREAD without
 * CLONE_SIGHAND: EINVAL) and the site comes back to lib1.
 */
extern char flexos__mpk_clone[];
static jmp_buf cdf_env[3];

static unsigned cdf_nonzero(uintptr_t gp)
{
	const volatile unsigned char *jp = (const unsigned char *)(gp + 1024ul * 4096);
	unsigned n = 0;
	for (unsigned i = 344; i < 4096; i++) /* what a jump page's downward memset reaches */
		n += jp[i] != 0;
	return n;
}

static long cdf_from_lib1(long x)
{
	uint64_t lo;
	memcpy(&lo, flexos__mpk_ro + 32, sizeof(lo)); /* mpk.h: MPK_RO_GP_LO */
	unsigned k = 0;
	while (k < 1024 && *(volatile uint64_t *)(lo + k * 4096ul + 168)) /* MPK_G_FSBASE */
		k++;
	uintptr_t victim = lo + (k - 1) * 4096ul;
	printf("clone-df: in lib1, the next page registered is %u; the one below it is %s\n", k,
	       victim == own_gate_page() ? "this thread's (app's main thread)" : "another's");
	fflush(stdout);
	unsigned char tls[256] __attribute__((aligned(64)));
	register long r10 __asm__("r10") = 0;
	register long r8 __asm__("r8") = (long)(uintptr_t)tls;
	long rdi = CLONE_VM | CLONE_THREAD | CLONE_SETTLS, rsi = 0, rdx = 0, ret;
	__asm__ volatile("std\n\t"
			 "leaq 1f(%%rip), %%r11\n\t"
			 "jmp *%%rcx\n"
			 "1:\tcld"
			 : "=a"(ret), "+D"(rdi), "+S"(rsi), "+d"(rdx), "+r"(r10), "+r"(r8)
			 : "c"(flexos__mpk_clone)
			 : "r9", "r11", "memory", "cc");
	(void)x;
	return ret;
}

__attribute__((noinline)) static int cdf_nest(int i)
{
	long r = 0;

	if (setjmp(cdf_env[i]))
		return 100;
	if (i < 2)
		return cdf_nest(i + 1) + 1;
	unsigned before = cdf_nonzero(own_gate_page());
	flexos_gate_r(lib1, r, lib1_call, cdf_from_lib1, 0);
	unsigned after = cdf_nonzero(own_gate_page());
	printf("clone-df: the clone came back with %ld; app's jump page: %u nonzero bytes before, "
	       "%u after%s\n",
	       r - 1, before, after,
	       after < before ? ": lib1 wrote app's setjmp records (gate key): FAIL" : ": ok");
	fflush(stdout);
	return after < before || !before;
}

static int clone_df(void)
{
	return cdf_nest(0) != 2;
}

static int carry_clear_len(void)
{
	long r = 0;

	cc_stack = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (cc_stack == MAP_FAILED)
		return 2;
	flexos_gate_r(lib1, r, lib1_call, cc_from_lib1, (long)cc_stack);
	printf("carry-clear-len: lib1 came back (%ld); app's secret %ld\n", r, cc_secret);
	return 2;
}

/*
 * slow-push (review): the private gate's slow path (no stack in the
 * callee yet) let C allocate one with the gate page open, then started
 * the gate over with the page still open, on the stack pointer it kept
 * in %xmm11, which a jump to the opening WRPKRU chooses: the gate's
 * first pushes (the caller's callee-saved registers) then wrote six
 * words of its choice wherever it pointed in gate-key memory. lib1, on
 * a thread of app's (T1) that has no stack in lib2 yet, jumps to the
 * private gate's opening WRPKRU with its own open PKRU, %r10 lib2 with
 * lib2_call's entry, %xmm11 just above the main thread's sp[0..5]: app's
 * saved stack pointer there becomes a frame in key-0 memory, and the
 * main thread's return from lib1 to app then returns into lib1's code
 * with app's PKRU. T1 goes on into lib2_call, which parks it.
 */
extern long __flexos_gate__lib2__lib2_call(long (*)(long), long);

struct slow_push {
	_Alignas(16) uint64_t below[8];
	uint64_t frame[8]; /* r15..rbx, the return address */
	volatile uint64_t main_gp, go, parked, index;
	char t1_stack[65536];
};

static void sp_as_app(void)
{
	uint32_t pkru;
	__asm__ volatile("rdpkru" : "=a"(pkru) : "c"(0) : "rdx");
	long v = cc_secret;
	cc_secret = 7777;
	printf("slow-push: lib1's code runs with PKRU %#x (app's %#x): read app's secret %ld, "
	       "wrote %ld: FAIL\n",
	       pkru, flexos__mpk_pkru[0], v, cc_secret);
	fflush(stdout);
	_exit(1);
}

static long sp_park(long x)
{
	struct slow_push *s = (struct slow_push *)(x - 1); /* (lib2_call passes x + 1) */

	s->parked = 1;
	for (;;)
		pause();
	return 0;
}

/* lib1, on the main thread: the frame, then waits for T1's write. */
static long sp_main_lib1(long x)
{
	struct slow_push *s = (struct slow_push *)(x - 1); /* (lib1_call passes x + 1) */
	struct gate_page_head *gp = (struct gate_page_head *)own_gate_page();

	memset(s->frame, 0, sizeof(s->frame));
	s->frame[6] = (uint64_t)(uintptr_t)sp_as_app;
	s->main_gp = (uint64_t)(uintptr_t)gp;
	__atomic_store_n(&s->go, 1, __ATOMIC_SEQ_CST);
	for (int i = 0; i < 500; i++) {
		if (*(volatile uint64_t *)&gp->sp[0] == (uint64_t)(uintptr_t)s->frame && s->parked)
			break;
		usleep(10000);
	}
	printf("slow-push: main's sp[app] %#lx (the frame %p), T1 %s\n",
	       (unsigned long)*(volatile uint64_t *)&gp->sp[0], (void *)s->frame,
	       s->parked ? "parked in lib2" : "not in lib2");
	fflush(stdout);
	return 0;
}

/* lib1, on T1: the jump. */
static long sp_t1_lib1(long x)
{
	struct slow_push *s = (struct slow_push *)(x - 1);

	while (!__atomic_load_n(&s->go, __ATOMIC_SEQ_CST))
		usleep(1000);
	struct gate_page_head *mgp = (struct gate_page_head *)(uintptr_t)s->main_gp;
	struct gate_page_head *own = (struct gate_page_head *)own_gate_page();
	printf("slow-push: in lib1 on T1 (gate page %p, sp[lib2] %#lx), main's gate page %p\n",
	       (void *)own, (unsigned long)own->sp[2], (void *)mgp);
	fflush(stdout);
	if (own->sp[2])
		return -100;
	char *target = flexos__mpk_gate_open_checked;
	__asm__("" : "+r"(target));
	target -= 3; /* the WRPKRU */
	/* r15, r14, r13, r12, rbp, rbx (pushed in reverse), xmm11, xmm12, rsp, target, eax */
	static __thread uint64_t v[11];
	v[0] = (uint64_t)(uintptr_t)s->frame;
	for (int i = 1; i < 6; i++)
		v[i] = mgp->sp[i];
	v[6] = (uint64_t)(uintptr_t)&mgp->sp[6]; /* the pushes go below */
	v[7] = s->index;
	v[8] = (uint64_t)(uintptr_t)(s->t1_stack + sizeof(s->t1_stack) - 64);
	v[9] = (uint64_t)(uintptr_t)target;
	v[10] = flexos__mpk_pkru[1024 / 4 + 1];
	register uint64_t r11 __asm__("r11") = (uint64_t)(uintptr_t)v;
	__asm__ volatile("movq 0(%%r11), %%r15\n\t"
			 "movq 8(%%r11), %%r14\n\t"
			 "movq 16(%%r11), %%r13\n\t"
			 "movq 24(%%r11), %%r12\n\t"
			 "movq 32(%%r11), %%rbp\n\t"
			 "movq 40(%%r11), %%rbx\n\t"
			 "movq 48(%%r11), %%xmm11\n\t"
			 "movq 56(%%r11), %%xmm12\n\t"
			 "movq 64(%%r11), %%rsp\n\t"
			 "movl 80(%%r11), %%eax\n\t"
			 "movl $2, %%r10d\n\t"
			 "xorl %%ecx, %%ecx\n\t"
			 "xorl %%edx, %%edx\n\t"
			 "jmp *72(%%r11)"
			 :
			 : "r"(r11), "D"(sp_park), "S"(s)
			 : "memory");
	__builtin_unreachable();
}

static void *sp_t1(void *arg)
{
	long r = 0;

	flexos_gate_r(lib1, r, lib1_call, sp_t1_lib1, (long)arg);
	printf("slow-push: T1 came back (%ld)\n", r);
	fflush(stdout);
	return NULL;
}

static int slow_push(void)
{
	struct slow_push *s =
	    mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pthread_t t;
	long r = 0;

	if (s == MAP_FAILED)
		return 2;
	s->index = read_stub((const unsigned char *)__flexos_gate__lib2__lib2_call).r10 >> 32;
	if (pthread_create(&t, NULL, sp_t1, s))
		return 2;
	flexos_gate_r(lib1, r, lib1_call, sp_main_lib1, (long)s);
	printf("slow-push: lib1 came back to app (%ld); app's secret %ld\n", r, cc_secret);
	return 2;
}

/*
 * signal-frame (limit 9): a handler runs in the compartment that installed
 * it, but the context it gets is the interrupted compartment's, and the
 * restorer resumes that compartment from it with its PKRU: a handler of
 * lib1 that rewrites the saved rip makes app run lib1's code with app's
 * rights.
 */
static volatile int frame_secret = 0x5ec2e7;

static int signal_frame(const char *how)
{
	static const char *const hows[] = {"rip", "ret", "gate-ret"};
	long r = -1;
	int h = 0;

	while (h < 3 && strcmp(how, hows[h]))
		h++;
	if (h == 3)
		return 2;
	flexos_gate_r(lib1, r, lib1_sig_hijack, SIGUSR2, (uintptr_t)&frame_secret, h);
	if (r)
		return 2;
	raise(SIGUSR2);
	printf("signal-frame %s: app resumed where SIGUSR2 interrupted it, not in lib1's code\n",
	       how);
	return 0;
}

/*
 * callee-saved (limit 6): through_clobber(stub, after) calls the gate stub
 * with rbx, rbp, r12-r15 = CALLER_REG(0..5), then stores what they hold
 * after the call into after[0..5].
 */
#define CALLER_REG(i) (0x0c0ffee000000000l + (i))
long through_clobber(const void *stub, long *after);
__asm__(".text\n"
	"	.type	through_clobber, @function\n"
	"through_clobber:\n"
	"	pushq	%rbx\n"
	"	pushq	%rbp\n"
	"	pushq	%r12\n"
	"	pushq	%r13\n"
	"	pushq	%r14\n"
	"	pushq	%r15\n"
	"	pushq	%rsi\n"
	"	movabsq	$0x0c0ffee000000000, %rbx\n"
	"	leaq	1(%rbx), %rbp\n"
	"	leaq	2(%rbx), %r12\n"
	"	leaq	3(%rbx), %r13\n"
	"	leaq	4(%rbx), %r14\n"
	"	leaq	5(%rbx), %r15\n"
	"	call	*%rdi\n"
	"	popq	%rsi\n"
	"	movq	%rbx, 0(%rsi)\n"
	"	movq	%rbp, 8(%rsi)\n"
	"	movq	%r12, 16(%rsi)\n"
	"	movq	%r13, 24(%rsi)\n"
	"	movq	%r14, 32(%rsi)\n"
	"	movq	%r15, 40(%rsi)\n"
	"	popq	%r15\n"
	"	popq	%r14\n"
	"	popq	%r13\n"
	"	popq	%r12\n"
	"	popq	%rbp\n"
	"	popq	%rbx\n"
	"	ret\n"
	"	.size	through_clobber, .-through_clobber\n");

extern long __flexos_gate__lib1__lib1_clobber(void);
extern long __flexos_gate__lib1__lib1_clobber8(long, long, long, long, long, long, long, long);

static int callee_saved(void)
{
	static const char *const names[6] = {"rbx", "rbp", "r12", "r13", "r14", "r15"};
	long after[6];
	int changed = 0, seen = 0;

	/* lib1_clobber's stub (register arguments only), then lib1_clobber8's (the carry path). */
	for (int k = 0; k < 2; k++) {
		through_clobber(k ? (const void *)__flexos_gate__lib1__lib1_clobber8
				  : (const void *)__flexos_gate__lib1__lib1_clobber,
				after);
		for (int i = 0; i < 6; i++) {
			long v = 0;
			flexos_gate_r(lib1, v, lib1_seen, i);
			if (after[i] != CALLER_REG(i)) {
				printf("callee-saved: app's %s is %#lx after the call, not %#lx: "
				       "FAIL\n",
				       names[i], (unsigned long)after[i],
				       (unsigned long)CALLER_REG(i));
				changed++;
			}
			if (v == CALLER_REG(i)) {
				printf("callee-saved: lib1 saw app's %s (%#lx): FAIL\n", names[i],
				       (unsigned long)v);
				seen++;
			}
		}
	}
	printf("callee-saved: %d of app's callee-saved registers (6, on 2 paths) changed by lib1, "
	       "%d seen by "
	       "it, through its register and stack-argument paths\n",
	       changed, seen);
	return changed || seen;
}

/*
 * gate-stack-wipe (limit 3): the claim of a gate page and the gate's slow
 * path save the caller's registers (its arguments among them) and run C
 * code on stacks with the gate key, which every compartment may read, and
 * wipe what they leave there before the gate goes on. A new thread of app
 * clears its TLS pointer to its gate page and calls lib1_add with two
 * secret words: the claim finds its page again, then the slow path gives
 * it a stack in lib1 (its first crossing). Then lib2, which was no party
 * to that call, reads every gate stack and the claim's for them.
 */
#define WIPE_SECRET(i) (0x5ec7e7000000l + (i))
static void *wipe_enter(void *arg)
{
	long r = 0;

	/* (The page was registered at the thread's creation: the claim finds it again.) */
	flexos__mpk_thread.gp = NULL;
	flexos_gate_r(lib1, r, lib1_add, WIPE_SECRET(0), WIPE_SECRET(1));
	*(long *)arg = r;
	return NULL;
}

static int gate_stack_wipe(void)
{
	uintptr_t gs, claim;
	pthread_t t;
	long r = 0, found = 0;

	/* backends/mpk/mpk.h: MPK_RO_GS_LO and MPK_RO_CLAIM, MPK_GATE_PAGES stacks of 32 KiB. */
	memcpy(&gs, flexos__mpk_ro + 184, sizeof(gs));
	memcpy(&claim, flexos__mpk_ro + 192, sizeof(claim));
	if (!gs || !claim || pthread_create(&t, NULL, wipe_enter, &r) || pthread_join(t, NULL))
		return 2;
	if (r != 2 * WIPE_SECRET(0) + WIPE_SECRET(1))
		return 2;
	for (int i = 0; i < 2; i++) {
		long n = 0, m = 0;
		flexos_gate_r(lib2, n, lib2_find, gs, gs + ((uintptr_t)1024 << 15), WIPE_SECRET(i));
		flexos_gate_r(lib2, m, lib2_find, claim, claim + 4096 + (1 << 15), WIPE_SECRET(i));
		printf("gate-stack-wipe: app's argument %d to lib1 (%#lx): %ld time(s) on the gate "
		       "stacks, %ld on the claim's, read by lib2%s\n",
		       i, (unsigned long)WIPE_SECRET(i), n, m, n + m ? ": FAIL" : "");
		found += n + m;
	}
	return found ? 1 : 0;
}

/*
 * arg-regs (limit 6): with the callee's prototype in the image's table,
 * the gate clears what a call does not pass and what a result does not
 * take. through_marked(stub, avx) calls the gate stub of lib1_regs(41)
 * with rsi, rdx, rcx, r8, r9, rax = ARG_MARK(0..5), xmm0-xmm7 =
 * ARG_MARK(6..13) and, with avx, the upper halves of ymm0-ymm7 =
 * ARG_MARK(14..21): none is an argument of lib1_regs(long), and but the
 * first five none of lib1_regs7 (six integer registers and a stack word:
 * the gate's carry path). through_leave
 * (stub, out, avx) calls lib1_leave's and stores what rdx, xmm0, xmm1 and,
 * with avx, the upper halves of ymm0 and ymm1 hold after it in out[0..4]:
 * lib1_leave returns a long, in rax.
 */
#define ARG_MARK(i)   (0x0a5c000000000000l + (i))
#define LEAVE_WORD(i) (0x1eaf000000000000l + (i))
long through_marked(const void *stub, int avx);
long through_leave(const void *stub, long *out, int avx);
extern long __flexos_gate__lib1__lib1_leave_int(void);
extern long __flexos_gate__lib1__lib1_leave_float(void);
extern long __flexos_gate__lib1__lib1_leave_double(void);
__asm__(".text\n"
	"	.type	through_marked, @function\n"
	"through_marked:\n"
	"	subq	$8, %rsp\n"
	"	movq	%rdi, %r11\n"
	"	movl	%esi, %r10d\n"
	"	movabsq	$0x0a5c000000000000, %rax\n"
	"	leaq	0(%rax), %rsi\n"
	"	leaq	1(%rax), %rdx\n"
	"	leaq	2(%rax), %rcx\n"
	"	leaq	3(%rax), %r8\n"
	"	leaq	4(%rax), %r9\n"
	"	.irp	k, 0, 1, 2, 3, 4, 5, 6, 7\n"
	"	leaq	6+\\k(%rax), %rdi\n"
	"	movq	%rdi, %xmm\\k\n"
	"	.endr\n"
	"	testl	%r10d, %r10d\n"
	"	jz	1f\n"
	"	.irp	k, 0, 1, 2, 3, 4, 5, 6, 7\n"
	"	leaq	14+\\k(%rax), %rdi\n"
	"	movq	%rdi, %xmm8\n"
	"	vinsertf128 $1, %xmm8, %ymm\\k, %ymm\\k\n"
	"	.endr\n"
	"1:	leaq	5(%rax), %rax\n"
	"	movl	$41, %edi\n"
	"	call	*%r11\n"
	"	addq	$8, %rsp\n"
	"	ret\n"
	"	.size	through_marked, .-through_marked\n"
	"	.type	through_leave, @function\n"
	"through_leave:\n"
	"	pushq	%rsi\n"
	"	pushq	%rdx\n"
	"	subq	$8, %rsp\n"
	"	call	*%rdi\n"
	"	addq	$8, %rsp\n"
	"	popq	%r10\n"
	"	popq	%rsi\n"
	"	movq	%rdx, 0(%rsi)\n"
	"	movq	%xmm0, 8(%rsi)\n"
	"	movq	%xmm1, 16(%rsi)\n"
	"	movq	%rax, 40(%rsi)\n"
	"	movhlps	%xmm0, %xmm2\n"
	"	movq	%xmm2, 48(%rsi)\n"
	"	testl	%r10d, %r10d\n"
	"	jz	1f\n"
	"	vextractf128 $1, %ymm0, %xmm2\n"
	"	vmovq	%xmm2, 24(%rsi)\n"
	"	vextractf128 $1, %ymm1, %xmm2\n"
	"	vmovq	%xmm2, 32(%rsi)\n"
	"	vzeroupper\n"
	"1:	ret\n"
	"	.size	through_leave, .-through_leave\n");

/*
 * What lib1 found in xmm8-xmm15 (seen_arg 22..29), where a gate could keep
 * copies of the caller's registers: how many hold a word of app's that is
 * no argument (ARG_MARK(first..21)).
 */
static int marks_in_temporaries(int first, const char *path)
{
	int k = 0;

	for (int i = 22; i < 30; i++) {
		long v = 0;
		flexos_gate_r(lib1, v, lib1_seen_arg, i);
		if (v >= ARG_MARK(first) && v <= ARG_MARK(21)) {
			printf("arg-regs: lib1 found app's %#lx in xmm%d%s: FAIL\n",
			       (unsigned long)v, i - 14, path);
			k++;
		}
	}
	return k;
}

extern long __flexos_gate__lib1__lib1_regs(long);
extern long __flexos_gate__lib1__lib1_regs7(long, long, long, long, long, long, long);
extern long __flexos_gate__lib1__lib1_leave(void);

/*
 * The narrow arguments of lib1_narrow(int 41, unsigned char 2, float 1.5,
 * double 2.5), with app's words (NARROW_MARK(0..4)) in the bits of their
 * registers they do not use: rdi's and rsi's upper halves, xmm0's bits
 * 32-63 and 64-127, xmm1's 64-127. lib1 records the registers whole.
 */
#define NARROW_MARK(i) (0x0a5c0016l + (i))
long through_narrow(const void *stub);
__asm__(".text\n"
	"	.type	through_narrow, @function\n"
	"through_narrow:\n"
	"	subq	$8, %rsp\n"
	"	movq	%rdi, %r11\n"
	"	movabsq	$0x0a5c001600000029, %rdi\n"
	"	movabsq	$0x0a5c001700000002, %rsi\n"
	"	movabsq	$0x0a5c00183fc00000, %rax\n"
	"	movq	%rax, %xmm0\n"
	"	movabsq	$0x0a5c0019, %rax\n"
	"	movq	%rax, %xmm2\n"
	"	punpcklqdq %xmm2, %xmm0\n"
	"	movabsq	$0x4004000000000000, %rax\n"
	"	movq	%rax, %xmm1\n"
	"	movabsq	$0x0a5c001a, %rax\n"
	"	movq	%rax, %xmm2\n"
	"	punpcklqdq %xmm2, %xmm1\n"
	"	call	*%r11\n"
	"	addq	$8, %rsp\n"
	"	ret\n"
	"	.size	through_narrow, .-through_narrow\n");
extern long __flexos_gate__lib1__lib1_narrow(int, unsigned char, float, double);

/*
 * lib1_narrow_stack(1, ..., 6, int 7, int 8): its two int arguments on
 * the stack (the carry path), with app's words (NARROW_MARK(5, 6)) in
 * the upper halves of their eightbytes.
 */
long through_narrow_stack(const void *stub);
__asm__(".text\n"
	"	.type	through_narrow_stack, @function\n"
	"through_narrow_stack:\n"
	"	subq	$8, %rsp\n"
	"	movq	%rdi, %r11\n"
	"	movabsq	$0x0a5c001c00000008, %rax\n"
	"	pushq	%rax\n"
	"	movabsq	$0x0a5c001b00000007, %rax\n"
	"	pushq	%rax\n"
	"	movl	$1, %edi\n"
	"	movl	$2, %esi\n"
	"	movl	$3, %edx\n"
	"	movl	$4, %ecx\n"
	"	movl	$5, %r8d\n"
	"	movl	$6, %r9d\n"
	"	call	*%r11\n"
	"	addq	$24, %rsp\n"
	"	ret\n"
	"	.size	through_narrow_stack, .-through_narrow_stack\n");
extern long __flexos_gate__lib1__lib1_narrow_stack(long, long, long, long, long, long, int, int);

/* How many of app's words lib1_narrow saw; *intact: its arguments' own bits arrived. */
static int narrow_args(int *intact)
{
	static const char *const where[5] = {
	    "rdi's upper half (an int)", "rsi's upper half (an unsigned char)",
	    "xmm0's bits 32-63 (a float)", "xmm0's bits 64-127 (a float)",
	    "xmm1's bits 64-127 (a double)"};
	long v[6] = {0};
	int seen = 0;

	long r = through_narrow((const void *)__flexos_gate__lib1__lib1_narrow);
	for (int i = 0; i < 6; i++)
		flexos_gate_r(lib1, v[i], lib1_seen_narrow, i);
	unsigned long word[5] = {(unsigned long)v[0] >> 32, (unsigned long)v[1] >> 32,
				 (unsigned long)v[2] >> 32, (unsigned long)v[3],
				 (unsigned long)v[5]};
	for (int i = 0; i < 5; i++)
		if (word[i] == (unsigned long)NARROW_MARK(i)) {
			printf("arg-regs: lib1 saw app's %#lx in %s: FAIL\n", word[i], where[i]);
			seen++;
		}
	*intact = r == 1 && (uint32_t)v[0] == 41 && (uint32_t)v[1] == 2 &&
		  (uint32_t)v[2] == 0x3fc00000u && v[4] == 0x4004000000000000l;
	printf(
	    "arg-regs: lib1_narrow(41, 2, 1.5, 2.5): lib1 saw %d of app's 5 words in the bits its "
	    "narrow arguments do not use; the arguments %s\n",
	    seen, *intact ? "arrived whole" : "did not arrive: FAIL");
	/* Narrow stack arguments (private stacks: the carry path copies them). */
	int shared_stacks = flexos__mpk_shared_stacks(), stack_seen = 0;
	long rs = through_narrow_stack((const void *)__flexos_gate__lib1__lib1_narrow_stack);
	for (int i = 6; i < 8; i++) {
		flexos_gate_r(lib1, v[i - 6], lib1_seen_narrow, i);
		if ((unsigned long)v[i - 6] >> 32 == (unsigned long)NARROW_MARK(i - 1)) {
			printf("arg-regs: lib1 saw app's %#lx in the upper half of stack argument "
			       "%d%s\n",
			       (unsigned long)v[i - 6] >> 32, i + 1,
			       shared_stacks ? " (shared stacks: it reads app's stack)" : ": FAIL");
			stack_seen++;
		}
	}
	bool stack_intact = rs == 1 && (uint32_t)v[0] == 7 && (uint32_t)v[1] == 8;
	printf("arg-regs: lib1_narrow_stack(1, ..., 6, 7, 8): lib1 saw %d of app's 2 words in the "
	       "upper halves of its int stack arguments; the arguments %s\n",
	       stack_seen, stack_intact ? "arrived whole" : "did not arrive: FAIL");
	*intact = *intact && stack_intact;
	return seen + (shared_stacks ? 0 : stack_seen);
}

static int arg_regs(void)
{
	static const char *const names[22] = {
	    "rsi",        "rdx",        "rcx",        "r8",         "r9",         "rax",
	    "xmm0",       "xmm1",       "xmm2",       "xmm3",       "xmm4",       "xmm5",
	    "xmm6",       "xmm7",       "ymm0 upper", "ymm1 upper", "ymm2 upper", "ymm3 upper",
	    "ymm4 upper", "ymm5 upper", "ymm6 upper", "ymm7 upper"};
	static const char *const back[5] = {"rdx", "xmm0", "xmm1", "ymm0 upper", "ymm1 upper"};
	static const int word[5] = {0, 1, 2, 1, 2};
	__builtin_cpu_init();
	int avx = __builtin_cpu_supports("avx");
	int n = avx ? 22 : 14, nback = avx ? 5 : 3, seen = 0, got = 0;
	long out[7] = {0};

	long r = through_marked((const void *)__flexos_gate__lib1__lib1_regs, avx);
	for (int i = 0; i < n; i++) {
		long v = 0;
		flexos_gate_r(lib1, v, lib1_seen_arg, i);
		if (v == ARG_MARK(i)) {
			printf("arg-regs: lib1 saw app's %s (%#lx): FAIL\n", names[i],
			       (unsigned long)v);
			seen++;
		}
	}
	seen += marks_in_temporaries(0, "");
	/* lib1_regs7 takes all six integer registers and a stack word: the carry path. */
	long r7 = through_marked((const void *)__flexos_gate__lib1__lib1_regs7, avx);
	for (int i = 5; i < n; i++) {
		long v = 0;
		flexos_gate_r(lib1, v, lib1_seen_arg, i);
		if (v == ARG_MARK(i)) {
			printf("arg-regs: lib1 saw app's %s (%#lx) through the carry path: FAIL\n",
			       names[i], (unsigned long)v);
			seen++;
		}
	}
	seen += marks_in_temporaries(5, " through the carry path");
	long r2 = through_leave((const void *)__flexos_gate__lib1__lib1_leave, out, avx);
	for (int i = 0; i < nback; i++)
		if (out[i] == LEAVE_WORD(word[i])) {
			printf("arg-regs: app got lib1's %s (%#lx) back: FAIL\n", back[i],
			       (unsigned long)out[i]);
			got++;
		}
	/*
	 * Narrow results (out[5]: all of rax; out[1]: xmm0's low quadword,
	 * out[6] its high one): the rest of their register is cleared.
	 */
	memset(out, 0, sizeof(out));
	through_leave((const void *)__flexos_gate__lib1__lib1_leave_int, out, 0);
	if ((unsigned long)out[5] >> 32) {
		printf("arg-regs: app got lib1's %#lx in the upper half of rax with an int: FAIL\n",
		       (unsigned long)out[5] >> 32);
		got++;
	}
	memset(out, 0, sizeof(out));
	through_leave((const void *)__flexos_gate__lib1__lib1_leave_float, out, 0);
	if ((unsigned long)out[1] >> 32 || out[6]) {
		printf("arg-regs: app got lib1's %#lx and %#lx beside a float in xmm0: FAIL\n",
		       (unsigned long)out[1] >> 32, (unsigned long)out[6]);
		got++;
	}
	memset(out, 0, sizeof(out));
	through_leave((const void *)__flexos_gate__lib1__lib1_leave_double, out, 0);
	if (out[6]) {
		printf("arg-regs: app got lib1's %#lx beside a double in xmm0: FAIL\n",
		       (unsigned long)out[6]);
		got++;
	}
	printf("arg-regs: lib1_regs(41) returned %ld, lib1_regs7(41, ...) %ld, lib1_leave() %ld; "
	       "lib1 saw %d of the %d registers of app's that their prototypes do not use, app "
	       "got %d of the %d of lib1's words that its results do not take (AVX: %s)\n",
	       r, r7, r2, seen, n + n - 5, got, nback + 3, avx ? "yes" : "no");
	int intact = 0;
	seen += narrow_args(&intact);
	return r == 42 && r7 == 42 && r2 == 7 && !seen && !got && intact ? 0 : 1;
}

/*
 * thread-stack (limit 8): a thread of app's, made after start-up, keeps a
 * secret in a local of its start routine; lib1, called by main, reads
 * it (read) or writes it (write). The start routine runs on a stack of
 * app's pool, so each is a protection-key fault (123); on glibc's thread
 * stack (key 0), lib1 read the secret, or changed it.
 */
static volatile uintptr_t thread_local_at;
static volatile int thread_local_done;

/* About n * 4 KiB of stack. */
__attribute__((noinline)) static long deep_frames(int n)
{
	volatile char buf[4000];

	buf[0] = (char)n;
	return n ? deep_frames(n - 1) + buf[0] : 0;
}

static void *thread_stack_start(void *arg)
{
	volatile long secret = 0x5ec2e7;

	if (arg) {
		printf("thread-stack deep: a thread of app's uses about 1.5 MiB of stack\n");
		fflush(stdout);
		return (void *)deep_frames(400);
	}
	thread_local_at = (uintptr_t)&secret;
	while (!thread_local_done)
		usleep(1000);
	return (void *)(uintptr_t)secret;
}

static int thread_stack(const char *how)
{
	pthread_t t;
	void *ret = NULL;
	long r = 0;
	int write = !strcmp(how, "write");

	if (!strcmp(how, "deep")) {
		if (pthread_create(&t, NULL, thread_stack_start, (void *)1) ||
		    pthread_join(t, &ret))
			return 2;
		printf("thread-stack deep: it returned, on more than its pool stack: FAIL\n");
		return 1;
	}

	if ((!write && strcmp(how, "read")) || pthread_create(&t, NULL, thread_stack_start, NULL))
		return 2;
	while (!thread_local_at)
		usleep(1000);
	printf("thread-stack %s: lib1 %s a local of the start routine of a thread of app's "
	       "(%#lx)\n",
	       how, write ? "writes" : "reads", (unsigned long)thread_local_at);
	fflush(stdout);
	flexos_gate_r(lib1, r, lib1_probe, thread_local_at, write);
	thread_local_done = 1;
	pthread_join(t, &ret);
	printf("thread-stack %s: lib1 read %#lx; the local is %#lx: FAIL\n", how, (unsigned long)r,
	       (unsigned long)(uintptr_t)ret);
	return 1;
}

/*
 * thread-start (limit 8): the start data of a thread app makes with
 * pthread_create is in glibc's heap (key 0), where lib1 can write it
 * between the thread's making and its start (the backend's test hook,
 * flexos__mpk_test_thread_made, hands this test that moment and the
 * data's address):
 *   none    nothing changed: app_thread_start runs, in app (status 0);
 *   fn      lib1 writes the start routine and argument where they were
 *           kept (the data's first two words) as stolen_thread_start and
 *           0x5e1f: the thread takes them from the creator's record
 *           (gate key) and the changed handle ends the image with the
 *           report (134); before, stolen_thread_start ran with app's
 *           PKRU (status 1);
 *   handle  lib1 binds a record of its own (stolen_thread_start, for
 *           this data) and puts its handle there: not app's record, the
 *           report (134).
 */
static const char *thread_start_how FLEXOS_SHARED;
static int thread_start_handle FLEXOS_SHARED;
static void *thread_start_data FLEXOS_SHARED;

static void *app_thread_start(void *arg)
{
	printf("thread-start: app_thread_start(%p) runs in %s\n", arg, flexos_compartment_name());
	return arg;
}

static void *stolen_thread_start(void *arg)
{
	printf("thread-start: stolen_thread_start, lib1's choice, runs in %s with argument %p "
	       "(PKRU %#x): FAIL\n",
	       flexos_compartment_name(), arg, read_pkru());
	fflush(stdout);
	_exit(1);
}

int flexos__mpk_cb_bind(void (*fn)(void), void *arg, const void *obj); /* backends/mpk/mpk.h */
void flexos__mpk_test_thread_made(void *start_data);                   /* backends/mpk/pthread.c */

/* Run by lib1 (lib1_call): a callback record of lib1's for the start data. */
static long bind_as_lib1(long x)
{
	(void)x;
	thread_start_handle = flexos__mpk_cb_bind((void (*)(void))stolen_thread_start,
						  (void *)0x5e1f, thread_start_data);
	return 0;
}

void flexos__mpk_test_thread_made(void *start_data)
{
	long r = 0;

	if (!thread_start_how || !strcmp(thread_start_how, "none"))
		return;
	thread_start_data = start_data;
	if (!strcmp(thread_start_how, "fn")) {
		flexos_gate_r(lib1, r, lib1_fill, (long *)start_data,
			      (long)(uintptr_t)stolen_thread_start);
		flexos_gate_r(lib1, r, lib1_fill, (long *)start_data + 1, 0x5e1f);
	} else if (!strcmp(thread_start_how, "handle")) {
		flexos_gate_r(lib1, r, lib1_call, bind_as_lib1, 0);
		printf("thread-start handle: lib1 bound record %d for the thread's start data\n",
		       thread_start_handle);
		fflush(stdout);
		flexos_gate_r(lib1, r, lib1_fill, (long *)start_data, thread_start_handle);
	}
	(void)r;
}

static int thread_start(const char *how)
{
	pthread_t t;
	void *ret = NULL;

	if (strcmp(how, "none") && strcmp(how, "fn") && strcmp(how, "handle"))
		return 2;
	thread_start_how = how;
	printf("thread-start %s: app makes a thread; lib1 changes its start data before it "
	       "starts\n",
	       how);
	fflush(stdout);
	if (pthread_create(&t, NULL, app_thread_start, (void *)7) || pthread_join(t, &ret))
		return 2;
	printf("thread-start %s: the thread returned %p\n", how, ret);
	return ret == (void *)7 && !strcmp(how, "none") ? 0 : 1;
}

/*
 * direction-flag (limit 6): lib1_std and lib1_std8 (stack arguments: the
 * carry path) return with DF set. through_std(stub, a) calls the stub
 * with eight arguments a.. (two on the stack) and returns rflags after
 * it (then clears DF itself). DF must be clear after the gate, as the ABI
 * wants at every return: with it set, app's own string copies (and the
 * gate's copies of stack arguments and sret results) would run downwards.
 */
long through_std(const void *stub, long a);
__asm__(".text\n"
	"	.type	through_std, @function\n"
	"through_std:\n"
	"	movq	%rdi, %rax\n"
	"	movq	%rsi, %rdi\n"
	"	pushq	%rsi\n"
	"	pushq	%rsi\n"
	"	call	*%rax\n"
	"	addq	$16, %rsp\n"
	"	pushfq\n"
	"	popq	%rax\n"
	"	cld\n"
	"	ret\n"
	"	.size	through_std, .-through_std\n");

extern long __flexos_gate__lib1__lib1_std(void);
extern long __flexos_gate__lib1__lib1_std8(long, long, long, long, long, long, long, long);

static int direction_flag(void)
{
	long f1 = through_std((const void *)__flexos_gate__lib1__lib1_std, 1);
	long f8 = through_std((const void *)__flexos_gate__lib1__lib1_std8, 1);
	int set1 = (f1 & 0x400) != 0, set8 = (f8 & 0x400) != 0;

	printf("direction-flag: after lib1_std, DF is %d; after lib1_std8 (the carry path), %d%s\n",
	       set1, set8, set1 || set8 ? ": FAIL" : "");
	return set1 || set8;
}

/*
 * fp-control (limit 6): lib1_fpctl and lib1_fpctl8 (the carry path)
 * return with the MXCSR's rounding, flush-to-zero and denormals-are-zero
 * changed and the x87 control word too, which the ABI makes callee-saved:
 * app, which rounds upwards in both (0x5f80 and 0x0b7f, not the
 * defaults, which a gate that reset them would give), must find its own
 * after the gate; with a callee's it would round, or flush, as the callee
 * chose.
 * The division by zero lib1 made must still show (a status flag, which a
 * callee may leave, as after a plain call).
 */
extern long __flexos_gate__lib1__lib1_fpctl(void);
extern long __flexos_gate__lib1__lib1_fpctl8(long, long, long, long, long, long, long, long);

static void fp_control_read(unsigned *mxcsr, unsigned short *cw)
{
	__asm__ volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(*mxcsr), "=m"(*cw));
}

static void fp_control_set(unsigned mxcsr, unsigned short cw)
{
	__asm__ volatile("ldmxcsr %0\n\tfldcw %1" : : "m"(mxcsr), "m"(cw));
}

/* The same through the gate of images with newlib compartments (PRIVATE_GATE too). */
static int fp_control_newlib(void)
{
	struct stub st = read_stub((const unsigned char *)__flexos_gate__lib1__lib1_fpctl);
	unsigned mx;
	unsigned short cw;

	fp_control_set(0x5f80, 0x0b7f);
	gate_call((const char *)flexos__backend_gate_newlib, st.r10, st.callee, 0, 0);
	fp_control_read(&mx, &cw);
	fp_control_set(0x1f80, 0x037f);
	int bad = (mx & ~0x3fu) != 0x5f80 || cw != 0x0b7f || !(mx & 0x4);
	printf(
	    "fp-control newlib: after lib1_fpctl through flexos__backend_gate_newlib, MXCSR %#x, "
	    "x87 control word %#x%s\n",
	    mx, cw, bad ? ": FAIL" : "");
	return bad;
}

static int fp_control(const char *how)
{
	unsigned mx[2];
	unsigned short cw[2];
	int bad = 0;

	if (how)
		return strcmp(how, "newlib") ? 2 : fp_control_newlib();
	for (int i = 0; i < 2; i++) {
		fp_control_set(0x5f80, 0x0b7f);
		if (i == 0)
			__flexos_gate__lib1__lib1_fpctl();
		else
			__flexos_gate__lib1__lib1_fpctl8(1, 2, 3, 4, 5, 6, 7, 8);
		fp_control_read(&mx[i], &cw[i]);
		fp_control_set(0x1f80, 0x037f);
		bad |= (mx[i] & ~0x3fu) != 0x5f80 || cw[i] != 0x0b7f || !(mx[i] & 0x4);
	}
	printf("fp-control: after lib1_fpctl, MXCSR %#x, x87 control word %#x; after lib1_fpctl8 "
	       "(the carry path), %#x, %#x%s\n",
	       mx[0], cw[0], mx[1], cw[1], bad ? ": FAIL" : "");
	return bad;
}

/*
 * evex-regs (limit 6), on hosts with AVX-512 (VL): app leaves its word in
 * xmm16-xmm31 and the mask registers k0-k7 (as glibc's EVEX memcpy and
 * strlen do with what they copy and search) and calls lib1_evex, which
 * counts how many hold it, then leaves its own word in all 24, and app
 * counts how many hold that. evex_through(stub, w, mine) fills, calls
 * the stub with (w, mine), and returns the count after in bits 32..63,
 * the stub's result in the rest. Both counts must be 0. Elsewhere: not
 * run (the emulated-PKU VM's CPU has no AVX-512).
 */
long evex_through(const void *stub, long w, long mine);
__asm__(".text\n"
	"	.type	evex_through, @function\n"
	"evex_through:\n"
	"	pushq	%rbx\n"
	"	pushq	%r12\n"
	"	subq	$8, %rsp\n"
	"	movq	%rdi, %rbx\n"
	"	movq	%rdx, %r12\n"
	"	.irp r, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31\n"
	"	vmovq	%rsi, %xmm\\r\n"
	"	.endr\n"
	"	.irp k, 0, 1, 2, 3, 4, 5, 6, 7\n"
	"	kmovw	%esi, %k\\k\n"
	"	.endr\n"
	"	movq	%rsi, %rdi\n"
	"	movq	%rdx, %rsi\n"
	"	call	*%rbx\n"
	"	xorl	%edx, %edx\n"
	"	.irp r, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31\n"
	"	vmovq	%xmm\\r, %rcx\n"
	"	cmpq	%r12, %rcx\n"
	"	sete	%cl\n"
	"	movzbl	%cl, %ecx\n"
	"	addq	%rcx, %rdx\n"
	"	.endr\n"
	"	.irp k, 0, 1, 2, 3, 4, 5, 6, 7\n"
	"	kmovw	%k\\k, %ecx\n"
	"	cmpw	%r12w, %cx\n"
	"	sete	%cl\n"
	"	movzbl	%cl, %ecx\n"
	"	addq	%rcx, %rdx\n"
	"	.endr\n"
	"	shlq	$32, %rdx\n"
	"	movl	%eax, %eax\n"
	"	orq	%rdx, %rax\n"
	"	addq	$8, %rsp\n"
	"	popq	%r12\n"
	"	popq	%rbx\n"
	"	ret\n"
	"	.size	evex_through, .-evex_through\n");

extern long __flexos_gate__lib1__lib1_evex(long, long);

static int evex_regs(void)
{
	if (!__builtin_cpu_supports("avx512vl")) {
		printf("evex-regs: no AVX-512 on this CPU: not run\n");
		return 0;
	}
	long r = evex_through((const void *)__flexos_gate__lib1__lib1_evex, 0x5ec2e75ec2e7L,
			      0x1eaf1eaf1eafL);
	long seen = (long)(uint32_t)r, got = (long)((unsigned long)r >> 32);
	printf("evex-regs: lib1 saw %ld of app's 24 words in xmm16-31 and k0-7, app got %ld of "
	       "lib1's%s\n",
	       seen, got, seen || got ? ": FAIL" : "");
	return seen || got;
}

/*
 * x87-regs (limit 6): app leaves a value in all eight x87 registers (as
 * its long double code would: FXSAVE shows them after they were popped)
 * and calls lib1_x87, which counts the registers that hold it and leaves
 * its own in all eight; app counts those after it, after lib1_x87_ld (a
 * long double result in st(0)), lib1_x87_ld8 (the same through the carry
 * path) and lib1_x87_cld (a long double _Complex in st(0) and st(1)),
 * whose results must come back whole. Every count must be 0, and after
 * lib1_x87 the stack's top and tags as before the call (what a plain call
 * leaves).
 */
extern long __flexos_gate__lib1__lib1_x87(long, long);
extern long double __flexos_gate__lib1__lib1_x87_ld(void);
extern long double __flexos_gate__lib1__lib1_x87_ld8(long, long, long, long, long, long, long,
						     long);
extern long double _Complex __flexos_gate__lib1__lib1_x87_cld(void);

/* lib1_x87 through the gate of images with newlib compartments. */
static int x87_regs_newlib(void)
{
	struct stub st = read_stub((const unsigned char *)__flexos_gate__lib1__lib1_x87);
	struct x87_pat app = x87_pat(X87_APP_MANT, X87_APP_EXP);
	struct x87_pat lib = x87_pat(X87_LIB_MANT, X87_LIB_EXP);

	X87_LEAVE(&app, 8);
	long seen = gate_call((const char *)flexos__backend_gate_newlib, st.r10, st.callee,
			      (long)X87_APP_MANT, X87_APP_EXP);
	long got = x87_count(&lib);
	printf("x87-regs newlib: through flexos__backend_gate_newlib, lib1 saw %ld of app's 8, app "
	       "got %ld of lib1's 8%s\n",
	       seen, got, seen || got ? ": FAIL" : "");
	return seen || got;
}

static int x87_regs(void)
{
	struct x87_pat app = x87_pat(X87_APP_MANT, X87_APP_EXP);
	struct x87_pat lib = x87_pat(X87_LIB_MANT, X87_LIB_EXP);

	X87_LEAVE(&app, 8);
	unsigned before = x87_top_tags();
	long seen = __flexos_gate__lib1__lib1_x87((long)X87_APP_MANT, X87_APP_EXP);
	unsigned after = x87_top_tags();
	long got = x87_count(&lib);
	long double r = __flexos_gate__lib1__lib1_x87_ld();
	long got_ld = x87_count(&lib);
	long double r8 = __flexos_gate__lib1__lib1_x87_ld8(1, 2, 3, 4, 5, 6, 7, 8);
	long got_ld8 = x87_count(&lib);
	long double _Complex c = __flexos_gate__lib1__lib1_x87_cld();
	long got_cld = x87_count(&lib);
	int bad = seen || got || got_ld || got_ld8 || got_cld || after != before || r != 1.5L ||
		  r8 != 1.5L || __real__ c != 1.5L || __imag__ c != 2.5L;

	printf("x87-regs: lib1 saw %ld of app's 8 values in the x87 registers; app got %ld of "
	       "lib1's 8 after lib1_x87 (top and tags %#x, before %#x), %ld after lib1_x87_ld "
	       "(result %Lg), %ld after lib1_x87_ld8 (the carry path, %Lg), %ld after "
	       "lib1_x87_cld (%Lg%+Lgi)%s\n",
	       seen, got, after, before, got_ld, r, got_ld8, r8, got_cld, __real__ c, __imag__ c,
	       bad ? ": FAIL" : "");
	return bad;
}

/*
 * signal-regs (limits 6 and 9): lib1_sig_regs fills 26 registers with its
 * word and sends the process SIGUSR2, whose handler is app's: the frame
 * the handler gets (on the signal stack, which every compartment reads)
 * must not hold lib1's registers, and lib1 must resume with all of them.
 */
static volatile long sig_regs_found = -1;

static void sig_regs_handler(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)si;
	sig_regs_found = sig_regs_count(ctx);
}

extern long __flexos_gate__lib1__lib1_sig_regs(void);
extern long __flexos_gate__lib1__lib1_sig_regs_own(void);

static int signal_regs(const char *how)
{
	struct sigaction sa = {.sa_sigaction = sig_regs_handler, .sa_flags = SA_SIGINFO};

	if (how) {
		if (strcmp(how, "own"))
			return 2;
		long r = __flexos_gate__lib1__lib1_sig_regs_own();
		printf("signal-regs own: lib1's own handler found %ld of its 26 registers in the "
		       "frame; lib1 resumed with %ld of them changed%s\n",
		       r / 100, r % 100, r == 2600 ? "" : ": FAIL");
		return r != 2600;
	}
	if (sigaction(SIGUSR2, &sa, NULL))
		return 2;
	long changed = __flexos_gate__lib1__lib1_sig_regs();
	printf("signal-regs: app's handler found %ld of lib1's 26 registers in the frame; lib1 "
	       "resumed with %ld of them changed%s\n",
	       sig_regs_found, changed, sig_regs_found || changed ? ": FAIL" : "");
	return sig_regs_found != 0 || changed != 0;
}

/*
 * fork-steal (limits 2 and 8): in a child of fork(), the forking thread's
 * gate page still names the parent's thread (its tid), which the kernel
 * says is gone there. A thread of the child registers the forking
 * thread's FS base (a forged registration): the stacks its page holds
 * (its start stack among them, in app's pool) must not go back to the
 * pool while it runs on them. Status 0, or 1 when one did.
 */
const uint64_t *flexos__mpk_pool_holders(uint64_t comp, size_t *n);
static uint64_t fork_forker_fs;

static void *fork_forge(void *arg)
{
	(void)arg;
	flexos__mpk_thread_register(fork_forker_fs);
	return NULL;
}

static void *fork_forker(void *arg)
{
	(void)arg;
	pid_t pid = fork();
	if (pid == 0) {
		uint64_t page = (uint64_t)(uintptr_t)flexos__mpk_thread.gp;
		size_t n = 0, held[8], k = 0, freed = 0;
		const uint64_t *h = flexos__mpk_pool_holders(0, &n);
		pthread_t g;

		for (size_t i = 0; h && i < n && k < 8; i++)
			if (h[i] == page)
				held[k++] = i;
		fork_forker_fs = (uint64_t)pthread_self();
		if (!k || pthread_create(&g, NULL, fork_forge, NULL) || pthread_join(g, NULL))
			_exit(2);
		for (size_t i = 0; i < k; i++)
			freed += h[held[i]] == 0;
		printf("fork-steal: in the child, the forking thread's page held %zu stack(s) of "
		       "app's "
		       "pool; after a thread registered its FS base, %zu of them free%s\n",
		       k, freed, freed ? ": FAIL" : "");
		fflush(stdout);
		_exit(freed ? 1 : 0);
	}
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return (void *)2;
	return (void *)(intptr_t)(WIFEXITED(st) ? WEXITSTATUS(st) : 3);
}

static int fork_steal(void)
{
	pthread_t t;
	void *r = NULL;

	if (pthread_create(&t, NULL, fork_forker, NULL) || pthread_join(t, &r))
		return 2;
	return (int)(intptr_t)r;
}

/* spawn: posix_spawn's clone (CLONE_VM | CLONE_VFORK) and vfork are refused with EPERM. */
extern char **environ;
static int spawn(void)
{
	char *args[] = {"true", NULL};
	pid_t pid;
	int err = posix_spawnp(&pid, "true", NULL, NULL, args, environ);

	printf("spawn: posix_spawn: %s\n", err ? strerror(err) : "ok");
	if (!err)
		waitpid(pid, NULL, 0);
	pid = vfork();
	if (!pid)
		_exit(0);
	int verr = pid < 0 ? errno : 0;
	printf("spawn: vfork: %s\n", verr ? strerror(verr) : "ok");
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return err != EPERM || verr != EPERM;
}

/*
 * timer-thread: timer_create(SIGEV_THREAD) has glibc make a helper
 * thread (not through the image's pthread_create), which makes a thread
 * per expiry: each gets a gate page from the clone site, in its creator's
 * compartment (app), so the notify function runs in app. Three expiries:
 * the later threads reuse the FS base of the ones gone.
 */
static volatile int notified;
static void timer_notify(union sigval v)
{
	(void)v;
	notified++;
}

static int timer_thread(void)
{
	struct sigevent ev;
	struct itimerspec its = {.it_value = {0, 10 * 1000 * 1000},
				 .it_interval = {0, 300 * 1000 * 1000}};
	timer_t tm;

	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_THREAD;
	ev.sigev_notify_function = timer_notify;
	if (timer_create(CLOCK_MONOTONIC, &ev, &tm)) {
		printf("timer-thread: timer_create: %s\n", strerror(errno));
		return 1;
	}
	printf("timer-thread: timer_create made glibc's helper thread\n");
	fflush(stdout);
	timer_settime(tm, 0, &its, NULL);
	for (int i = 0; i < 100 && notified < 3; i++)
		usleep(100 * 1000);
	timer_delete(tm);
	printf("timer-thread: the notify function ran %d times in app\n", notified);
	return notified < 3;
}

/*
 * fs-switch (limit 2): app sets its FS base to that of an app thread
 * parked in a callback (app -> lib1 -> app) and calls lib2: the gate
 * would find that thread's page through its TLS and, RDFSBASE agreeing,
 * run on its state. The filter denies arch_prctl(ARCH_SET_FS) after
 * start-up: status 123 and the filter's report. With the filter off:
 * into lib2 and back, no report (returns 0).
 */
static int fs_switch(void)
{
	uintptr_t own = (uintptr_t)pthread_self();
	pthread_t t;
	long r = 0, err;

	if (park_app_thread(&t, true))
		return 1;
	printf("fs-switch: app sets its FS base to that of its thread parked in app (%#lx) "
	       "and calls lib2\n",
	       (unsigned long)victim_fs);
	fflush(stdout);
	err = syscall(SYS_arch_prctl, ARCH_SET_FS, victim_fs);
	if (!err) {
		flexos_gate_r(lib2, r, lib2_add, 20, 2);
		syscall(SYS_arch_prctl, ARCH_SET_FS, own);
	}
	printf("fs-switch: arch_prctl: %ld; into lib2 and back on that thread's gate page "
	       "(%ld), no report\n",
	       err, r);
	unpark_app_thread(t);
	return r != 42;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	starts++;
	if (argc == 2 && !strcmp(argv[1], "--start-main-from-lib1"))
		return start_main_from_lib1();
	int shared = argc == 3 && !strcmp(argv[2], "shared");

	if ((argc == 2 || shared) && !strcmp(argv[1], "--matrix"))
		return matrix(shared);
	if (argc == 2 && !strcmp(argv[1], "--stackptr"))
		return stackptr();
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "--signal-storm"))
		return signal_storm(atol(argv[2]), atol(argv[3]), argc == 5 ? argv[4] : NULL);
	if (argc == 4 && !strcmp(argv[1], "--setjmp-storm"))
		return setjmp_storm(atol(argv[2]), atol(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "--sched-storm"))
		return sched_storm(atol(argv[2]), atol(argv[3]), SIGALRM);
	if (argc == 5 && !strcmp(argv[1], "--sched-storm-sig"))
		return sched_storm(atol(argv[3]), atol(argv[4]), storm_signal(argv[2]));
	if (argc == 4 && !strcmp(argv[1], "--thread-storm"))
		return thread_storm(atol(argv[2]), atol(argv[3]));
	if (argc == 2 && !strcmp(argv[1], "--threads"))
		return threads();
	if (argc == 2 && !strcmp(argv[1], "--nested"))
		return nested();
	if ((argc == 2 || shared) && !strcmp(argv[1], "--count"))
		return count(shared ? GATE_SHARED : GATE_PRIVATE);
	if (argc == 3 && !strcmp(argv[1], "--count") && !strcmp(argv[2], "newlib"))
		return count(GATE_NEWLIB);
	if (argc == 3 && !strcmp(argv[1], "--count") && !strcmp(argv[2], "carry"))
		return count(GATE_CARRY);
	if (argc == 2 && !strcmp(argv[1], "--printf"))
		return stdio_test();
	if (argc == 3 && !strcmp(argv[1], "--forge"))
		return forge(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "--forge-pkru"))
		return forge_pkru(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "--sig-nested"))
		return sig_nested();
	if (argc == 2 && !strcmp(argv[1], "--sig-own-stack"))
		return sig_own_stack();
	if (argc == 2 && !strcmp(argv[1], "--sig-same-stack"))
		return sig_same_stack();
	if (argc == 4 && !strcmp(argv[1], "--segv-call"))
		return segv_call(argv[2], atoi(argv[3]));
	if (argc == 2 && !strcmp(argv[1], "--symbols-forge"))
		return symbols_forge(where(1, KIND_DATA));
	if ((argc == 2 || argc == 3) && !strcmp(argv[1], "--sig-sched")) {
		static volatile long sched_secret = 0x5ec2e7;
		return sig_sched((uintptr_t)&sched_secret,
				 argc == 3 && !strcmp(argv[2], "control"));
	}
	if (argc == 2 && !strcmp(argv[1], "--report-leak")) {
		static volatile uint64_t leak_secret = 0x1122334455667788;
		return report_leak((uintptr_t)&leak_secret);
	}
	if (argc == 2 && !strcmp(argv[1], "--report-block")) {
		static volatile uint64_t rb_word = 0x1122334455667788;
		return report_block((uintptr_t)&rb_word, 0);
	}
	if (argc == 3 && !strcmp(argv[1], "--report-block") && !strcmp(argv[2], "free"))
		return report_block((uintptr_t)malloc(16), 1);
	if (argc == 3 && !strcmp(argv[1], "--report-lend-race")) {
		static char lend_secret[] = "APP-SECRET-c0ffee";
		return report_lend_race((uintptr_t)lend_secret, (unsigned)atoi(argv[2]));
	}
	if (argc == 2 && !strcmp(argv[1], "--report-lend")) {
		static char lend_secret[] = "APP-SECRET-c0ffee";
		return report_lend((uintptr_t)lend_secret);
	}
	if (argc == 2 && !strcmp(argv[1], "--report-canary")) {
		static volatile uint64_t rc_secret = 0x1122334455667788;
		return report_canary((uintptr_t)&rc_secret);
	}
	if (argc == 3 && !strcmp(argv[1], "--report-frame")) {
		static volatile uint64_t rf_secret = 0x1122334455667788;
		return report_frame(argv[2], (uintptr_t)&rf_secret);
	}
	if (argc == 3 && !strcmp(argv[1], "--hdr-forge")) {
		static volatile uint64_t hdr_secret = 0x1122334455667788;
		return hdr_forge((uintptr_t)&hdr_secret, argv[2]);
	}
	if (argc == 2 && !strcmp(argv[1], "--unwind-write")) {
		static volatile long unwind_secret = 0x5ec2e7;
		return unwind_write((uintptr_t)&unwind_secret);
	}
	if (argc == 2 && !strcmp(argv[1], "--look-signal"))
		return look_signal();
	if (argc == 2 && !strcmp(argv[1], "--shared-back")) {
		static volatile long back_secret = 0x5ec2e7;
		return shared_back((uintptr_t)&back_secret);
	}
	if (argc == 2 && !strcmp(argv[1], "--stack-aim"))
		return stack_aim();
	if (argc == 3 && !strcmp(argv[1], "--carry-back")) {
		static volatile long carry_secret = 0x5ec2e7;
		return carry_back(argv[2], (uintptr_t)&carry_secret);
	}
	if (argc == 3 && !strcmp(argv[1], "--carry-read")) {
		struct stub st = read_stub((const unsigned char *)__flexos_gate__lib2__lib2_add);
		return carry_read(argv[2], flexos__backend_gate, (st.r10 & ~0xffff00ul) | 8ul << 8,
				  st.callee);
	}
	if (argc == 3 && !strcmp(argv[1], "--gate-push")) {
		struct stub st = read_stub((const unsigned char *)__flexos_gate__lib2__lib2_add);
		int carry = !strcmp(argv[2], "carry");
		if (!carry && strcmp(argv[2], "private"))
			return 2;
		return gate_push(flexos__backend_gate,
				 (st.r10 & ~0xffff00ul) | (carry ? 8ul << 8 : 0), st.callee);
	}
	if (argc == 3 && !strcmp(argv[1], "--got-elevated")) {
		static volatile long elevated_secret = 0x5ec2e7;
		return got_elevated(argv[2], (uintptr_t)&elevated_secret);
	}
	if (argc == 3 && !strcmp(argv[1], "--gate-glibc")) {
		static volatile long glibc_secret = 0x5ec2e7;
		return gate_glibc(argv[2], (uintptr_t)&glibc_secret);
	}
	if (argc == 2 && !strcmp(argv[1], "--got-libc")) {
		static volatile long got_secret = 0x5ec2e7;
		return got_libc((uintptr_t)&got_secret);
	}
	if (argc == 3 && !strcmp(argv[1], "--look-jump"))
		return look_jump(argv[2], where(0, KIND_DATA));
	if (argc == 3 && !strcmp(argv[1], "--report-stack")) {
		rs_app_word = where(0, KIND_DATA);
		return report_stack(argv[2], where(0, KIND_DATA), (uintptr_t)&rs_app_word);
	}
	if ((argc == 2 || argc == 3) && !strcmp(argv[1], "--backtrace")) {
		bt_libc = argc == 3 && !strcmp(argv[2], "libc");
		bt_vdso = argc == 3 && !strcmp(argv[2], "vdso");
		bt_fault = bt_libc || bt_vdso || (argc == 3 && !strcmp(argv[2], "fault"));
		bt_outer_addr = (const char *)bt_outer;
		return bt_outer();
	}
	if (argc == 4 && !strcmp(argv[1], "--forge-target"))
		return forge_target(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "--gate-state") && !strcmp(argv[2], "tls-live"))
		return tls_live();
	if (argc == 3 && !strcmp(argv[1], "--gate-state"))
		return gate_state(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "--violation-call"))
		return violation_call();
	if (argc == 2 && !strcmp(argv[1], "--signal"))
		return signals();
	if (argc == 3 && !strcmp(argv[1], "--signal-lib"))
		return signal_lib(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "--signal-tamper"))
		return signal_tamper(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "--sigreturn"))
		return sigreturn_attack(argv[2]);
	if ((argc == 2 || argc == 3) && !strcmp(argv[1], "--clone-settls"))
		return clone_settls(argc == 3 ? argv[2] : "libc");
	if (argc == 2 && !strcmp(argv[1], "--clone-race"))
		return clone_race();
	if (argc == 2 && !strcmp(argv[1], "--fork-clone"))
		return fork_clone();
	if (argc == 2 && !strcmp(argv[1], "--sigio-sigsys"))
		return sigio_sigsys();
	if (argc == 2 && !strcmp(argv[1], "--vm-clone"))
		return vm_clone();
	if (argc == 2 && !strcmp(argv[1], "--thread-reuse"))
		return thread_reuse();
	if (argc == 3 && !strcmp(argv[1], "--thread-reuse") && !strcmp(argv[2], "distinct"))
		return thread_reuse_distinct();
	if (argc == 2 && !strcmp(argv[1], "--spawn"))
		return spawn();
	if (argc == 3 && !strcmp(argv[1], "--thread-stack"))
		return thread_stack(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "--fork-steal"))
		return fork_steal();
	if (argc == 2 && !strcmp(argv[1], "--direction-flag"))
		return direction_flag();
	if ((argc == 2 || argc == 3) && !strcmp(argv[1], "--signal-regs"))
		return signal_regs(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "--x87-regs"))
		return x87_regs();
	if (argc == 3 && !strcmp(argv[1], "--x87-regs") && !strcmp(argv[2], "newlib"))
		return x87_regs_newlib();
	if (argc == 2 && !strcmp(argv[1], "--evex-regs"))
		return evex_regs();
	if ((argc == 2 || argc == 3) && !strcmp(argv[1], "--fp-control"))
		return fp_control(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "--arg-regs"))
		return arg_regs();
	if (argc == 2 && !strcmp(argv[1], "--gate-stack-wipe"))
		return gate_stack_wipe();
	if (argc == 2 && !strcmp(argv[1], "--callee-saved"))
		return callee_saved();
	if (argc == 2 && !strcmp(argv[1], "--mseal"))
		return mseal_check();
	if (argc == 2 && !strcmp(argv[1], "--carry-write"))
		return carry_write(0);
	if (argc == 3 && !strcmp(argv[1], "--carry-write") && !strcmp(argv[2], "reclaim"))
		return carry_write(1);
	if (argc == 2 && !strcmp(argv[1], "--clone-df"))
		return clone_df();
	if (argc == 2 && !strcmp(argv[1], "--carry-clear-len"))
		return carry_clear_len();
	if (argc == 2 && !strcmp(argv[1], "--slow-push"))
		return slow_push();
	if (argc == 3 && !strcmp(argv[1], "--carry-leak"))
		return carry_leak(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "--signal-frame"))
		return signal_frame(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "--slow-race"))
		return slow_race(atoi(argv[2]));
	if (argc == 2 && !strcmp(argv[1], "--dss-bounds"))
		return dss_bounds();
	if (argc == 3 && !strcmp(argv[1], "--shared-heap"))
		return !strcmp(argv[2], "list")    ? shared_heap_list()
		       : !strcmp(argv[2], "free")  ? shared_heap_free()
		       : !strcmp(argv[2], "table") ? shared_heap_table()
		       : !strcmp(argv[2], "size")  ? shared_heap_size()
						   : 2;
	if (argc == 2 && !strcmp(argv[1], "--stack-steal"))
		return stack_steal();
	if (argc == 2 && !strcmp(argv[1], "--timer-thread"))
		return timer_thread();
	if (argc == 2 && !strcmp(argv[1], "--fs-switch"))
		return fs_switch();
	if (argc == 2 && !strcmp(argv[1], "--thread-claim"))
		return thread_claim();
	if (argc == 3 && !strcmp(argv[1], "--sig-entry"))
		return sig_entry(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "--sched-record"))
		return sched_record(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "--sched-timer"))
		return sched_timer(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "--thread-start"))
		return thread_start(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "--sched-many"))
		return sched_many();
	if (argc == 3 && !strcmp(argv[1], "--sched-deputy"))
		return sched_deputy(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "--sched-wake"))
		return sched_wake(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "--sched-join"))
		return sched_join(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "--sched-thread"))
		return sched_thread(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "--sched-current"))
		return sched_current(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "--sched-frame"))
		return sched_frame(atoi(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "--sched-map"))
		return sched_map(atoi(argv[2]));
	if (argc == 5) {
		int w = !strcmp(argv[4], "write");
		if (!w && strcmp(argv[4], "read"))
			return 2;
		attempt(lookup(argv[1], comp_names, NCOMP), lookup(argv[2], comp_names, NCOMP),
			lookup(argv[3], kind_names, ALL_KINDS), w);
		printf("access allowed\n");
		return 0;
	}
	fprintf(
	    stderr,
	    "usage: attack --matrix [shared] | --threads | --nested | --printf | "
	    "--stackptr | --count [shared|newlib|carry] | "
	    "--forge entry|exit|shared-entry|shared-exit|newlib-entry|newlib-exit|"
	    "open|reopen|shared-open|newlib-open|carry-open|carry-clear-open|carry-clear|"
	    "carry-clear-back-open|carry-clear-back|switch|setjmp-open|setjmp|"
	    "longjmp-open|longjmp | "
	    "--segv-call entry|c CODE | --violation-call | --signal | --sig-own-stack | "
	    "--sig-same-stack | "
	    "--signal-lib own|secret | --signal-tamper app|lib1|munmap | "
	    "--sigreturn direct|tramp|syscall|tramp-bv|own|nonce-wrpkru|race|window|window-tail|"
	    "window-forge|window-forge-open|"
	    "window-switch|window-claim|window-deliver|window-slow|window-slow-control|window-"
	    "slow-held|window-slow-close|window-slow-close-priv | "
	    "--thread-claim | --clone-settls [libc|syscall|site|creator|future|mask] | "
	    "--clone-race | --fork-clone | --vm-clone | --sigio-sigsys | "
	    "--thread-reuse [distinct] | --spawn | "
	    "--timer-thread | --fs-switch | --sig-entry gate|stub|past-check|queue|range | "
	    "--gate-state tls-fake|tls-other|tls-null|tls-live|cur|sp|id | "
	    "--forge-target private|shared|newlib HOW | --start-main-from-lib1 | "
	    "--sig-sched [control] | --report-leak | --hdr-forge header|copy|record | "
	    "--report-frame fpregs|straddle|bus | --report-canary | --report-lend | "
	    "--report-block [free] | "
	    "--unwind-write | "
	    "--look-signal | "
	    "--shared-back | --stack-aim | "
	    "--carry-back signal|register | --carry-read args|sret | --carry-leak args|sret | "
	    "--carry-clear-len | --slow-push | --clone-df | "
	    "--gate-push private|carry "
	    "| --got-elevated report|home|claim|unwind | --got-libc | "
	    "--gate-glibc cancel-report|cancel-register|cancel-abort|canary-jump | "
	    "--backtrace [fault|libc|vdso] | "
	    "--symbols-forge | "
	    "--report-stack wild|leak | "
	    "--look-jump "
	    "new|first | "
	    "--sched-record none|sp|comp|rec|rec-free|swap|free|exit|end-free|count | "
	    "--sched-timer none|fn|handle|zero|swap|watch | --sched-thread none|fn|handle|zero "
	    "| --sched-many | --sched-deputy runq|heap | "
	    "--sched-wake none|sem|timeout|mutex|fd | "
	    "--sched-join none|state|result|rec|hijack|reuse|reuse-exited|reuse-first|"
	    "dead-list|detached | --sched-current none|mutex|switch|first|thread|main | "
	    "--thread-start none|fn|handle | "
	    "--slow-race N | "
	    "--signal-frame rip|ret|gate-ret | --carry-write | --callee-saved | "
	    "--stack-steal | --dss-bounds | --shared-heap list|free|table|size | "
	    "--gate-stack-wipe | "
	    "--arg-regs | "
	    "--direction-flag | "
	    "--fp-control [newlib] | --evex-regs | --x87-regs [newlib] | --signal-regs [own] | "
	    "--fork-steal | --sched-record fpctl | "
	    "--thread-stack read|write | A B "
	    "KIND read|write\n");
	return 2;
}
