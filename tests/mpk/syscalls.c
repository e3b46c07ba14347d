/*
 * The application of the system-call attack image (compartment 'app'; the
 * attacker is sysattack.c in compartment 'evil'). Under intel-mpk, each
 * mode has the attacker ask the kernel for the application's memory, one
 * PKU Pitfalls class at a time:
 *
 *   syscalls MODE [thread]   runs attack MODE (from a thread made after
 *                            start-up with 'thread'); then checks the
 *                            application's secret. The filter's SIGSYS
 *                            report ends the image with status 123; a
 *                            refused call prints "refused"; an attack that
 *                            went through prints "NOT STOPPED", status 1
 *   syscalls MODE stack      the same from a thread made after start-up,
 *                            against a page of the application's stack
 *                            of another thread (one that entered 'app'
 *                            from 'evil' after start-up, and waits there)
 *   syscalls MODE sched      the same against the page of a scheduler
 *                            thread's frame (one of 'app', made after
 *                            start-up, suspended in 'app'), whose stack
 *                            the backend keys for 'app'
 *   syscalls MODE nonce      the same against the page of the signal-return
 *                            nonce (its own key, which only the restorer
 *                            and the clone site open: docs/threat-model.md,
 *                            limit 9): re-keyed, any compartment would read
 *                            it and pass the filter's nonce checks
 *   syscalls MODE report     the same against the report stack (gate key),
 *                            on which the fault report runs with every
 *                            compartment's key readable
 *   syscalls MODE records|gatestacks|callbacks  the same against the
 *                            scheduler's switch records, the gate stacks,
 *                            the scheduler's callback records (gate key,
 *                            reserved at start-up: re-keyed to key 0, a
 *                            compartment would write them)
 *   syscalls pool-forge      'evil' marks every stack of the pools free
 *                            (writes their holders), then a new thread
 *                            enters 'app': it must not get the stack of
 *                            the thread that waits there
 *   syscalls perf_event_open|bpf  'evil' has the kernel read for it while
 *                            its thread runs in 'app' (app_busy): samples
 *                            of the thread's user stack, a BPF program on
 *                            each system call's entry
 *   syscalls syscall-user-dispatch  the kernel reads a selector byte of
 *                            app's at each of app's system calls
 *   syscalls module-helper|uprobe|kcore  (root) the kernel's module
 *                            helper named in /proc/sys, a probe defined
 *                            through tracefs, physical memory
 *   syscalls rseq|rseq-register  'evil' names the image's code as the
 *                            critical section of its thread's rseq area
 *                            (glibc's, key 0, or one it registers) and a
 *                            gadget of its own as the abort address, then
 *                            calls into 'app': preempted there, the thread
 *                            would run the gadget with app's PKRU
 *   syscalls shmat-exec      new code without mmap: a SysV segment
 *                            attached with SHM_EXEC, holding a PKRU writer
 *   syscalls tagged-addr     linear address masking (arch_prctl)
 *   syscalls userfaultfd-dev  a userfaultfd made through /dev/userfaultfd
 *                            (root), over a page of app's nothing touched
 *                            yet, filled with evil's bytes (UFFDIO_COPY)
 *   syscalls prctl-mm-high|arch_prctl-fs-high  a denied prctl option or
 *                            arch_prctl code with bits above the low 32
 *                            (the kernel takes an int): PR_SET_MM_MAP
 *                            points /proc/self/environ at app's heap
 *   syscalls proc-helper-flood  requests to the /proc helper with two
 *                            descriptors each, then a genuine one
 *   syscalls set-tid-address thread  on a thread app made, 'evil' points
 *                            the thread's clear_child_tid at app's secret:
 *                            the kernel zeroes it when the thread exits in
 *                            app
 *   syscalls sigaltstack-frame  a thread of evil's names a signal stack
 *                            over app's heap, crosses into app and gets a
 *                            signal: the kernel's frame over app's secret
 *   syscalls raw-sigaction   'evil' installs a handler with rt_sigaction
 *                            itself, and signals its thread while it runs
 *                            in app: the handler reads app's registers in
 *                            the frame
 *   syscalls stub-noscrub|stub-scrub-control  the runtime's delivery stub
 *                            installed raw for a signal nobody handles (or
 *                            a handler of evil's, the control), sent to
 *                            evil's thread in app: app's registers left on
 *                            the signal stack?
 *   syscalls table-tail|misaligned-action  sigaltstack and rt_sigaction
 *                            at addresses inside the runtime's tables but
 *                            not at an entry's start
 *   syscalls copy-area-read  a signal to evil's thread while it runs in
 *                            app, handled by evil: app's register in what
 *                            evil can read of the delivery stub's snapshots
 *   syscalls robust-list     on a thread app made, evil points the thread's
 *                            robust-futex list at app's word holding the
 *                            thread's id; the thread ends in app: the
 *                            kernel would mark it owner-died
 *   syscalls exec            a child of fork() runs /bin/true: refused
 *   syscalls amx-perm        arch_prctl(ARCH_REQ_XCOMP_PERM, tile data):
 *                            refused (EPERM): its frames would be larger
 *                            than the ones the restorer takes
 *   syscalls carry-page      evil writes a gate carry page, where calls'
 *                            stack arguments and sret results cross
 *                            between two copies: the report (gate key)
 *   syscalls setxid          not an attack: setresgid with one thread
 *                            (made), then two (the image ends, saying why)
 *   syscalls sigsys-send     evil queues SIGSYS with a siginfo of its own
 *                            (SYS_SECCOMP, as the filter's): denied
 *   syscalls sigsys-timer    a timer of evil's raises SIGSYS: the image
 *                            ends (the raw handler never resumes a frame
 *                            on the signal stack, key 0)
 *   syscalls proc-helper-forge  evil asks the /proc helper for
 *                            /proc/1/environ with a pid of its choosing
 *                            (root): refused
 *   syscalls arch-option     arch_prctl(ARCH_GET_FS) answers; an option of a
 *                            newer kernel (ARCH_SHSTK_ENABLE, 6.6): reported
 *   syscalls sigsys-mask     a timer sends SIGUSR1 every 20 µs to evil's
 *                            thread, which makes a denied call: reported,
 *                            no handler runs during the report
 *   syscalls report-forge-sigsys|report-forge-segv  a jump past the SIGSYS
 *                            (SIGSEGV) entry's check with a ucontext over
 *                            app's secret: the image ends, the secret never
 *                            printed
 *   syscalls report-lock-signal  a forged report's thread gets SIGUSR1 while
 *                            it holds the report's lock, and evil's handler
 *                            jumps into the report: it never runs
 *   syscalls report-fpregs-adjacent  a forged fault whose XSAVE area lies over
 *                            app's .bss: the report never reads it
 *   syscalls report-unwind-handler  a forged fault whose unwinding faults while
 *                            evil's second thread sets SIGSEGV to its
 *                            handler: that handler never runs in the report
 *   syscalls sigsys-smash    evil's second thread fills the top of the first's
 *                            signal stack with its code's address while the
 *                            first makes a denied call: a report (123 or
 *                            159), never evil's code run in it
 *   syscalls copy-key-read|sigreturn-altstack|clone-cleartid-jump  an
 *                            attack review's: a jump into the delivery stub
 *                            reading another thread's copy; a forged
 *                            frame's uc_stack; a jump past the clone
 *                            site's child_tid write
 *   syscalls cancel|cancel-blocked  not attacks: pthread_cancel of a thread
 *                            at pthread_testcancel, and of one in sleep
 *   syscalls kcmp|newer-call|iopl  calls the filter's list leaves out:
 *                            kcmp, cachestat (newer than Linux 6.1), iopl
 *   syscalls proc-helper-empty  a zero-length message to the /proc helper,
 *                            then a legitimate request: answered
 *   syscalls clone-cleartid  a thread of evil's made with
 *                            CLONE_CHILD_CLEARTID at app's secret, which
 *                            ends in app: the kernel would zero the secret
 *   syscalls control         what a library may still do with its own
 *                            memory (mmap, mprotect, madvise, MAP_FIXED,
 *                            mremap and munmap of its pages, /proc/self/maps,
 *                            a thread, a large malloc, an 8 KiB signal
 *                            stack of its own) and with files (a
 *                            rename and a link into another directory,
 *                            which Landlock refuses unless a rule grants
 *                            it): "control: ok"
 *   syscalls --list          the modes, and what stops each
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <flexos/sched.h>

#include "../../backends/mpk/mpk.h"
#include "sysattack.h"

/* TIDWORD: a word of app's holding the id of the thread that runs the attack (in a thread). */
enum target { DATA, HEAP, SECRET, STACK, FRESH, HEAPSECRET, BIGHEAP, TIDWORD };

static const struct {
	const char *name;
	enum target target;
	const char *stopped_by;
} modes[] = {
    {"control", DATA, "nothing: it must work"},
    {"pkey_alloc", DATA, "filter"},
    {"pkey_free", DATA, "filter"},
    {"pkey_mprotect", DATA, "filter: range"},
    {"mprotect", HEAP, "filter: range"},
    {"mmap-fixed", DATA, "filter: range"},
    {"mmap-fixed-below", HEAP, "filter: range (window below)"},
    {"mmap-fixed-long", DATA, "filter: length"},
    {"munmap", HEAP, "filter: range"},
    {"mremap", HEAP, "filter: range"},
    {"mremap-fixed", DATA, "filter: MREMAP_FIXED"},
    {"madvise", HEAP, "filter: range"},
    {"proc-mem-read", SECRET, "Landlock"},
    {"proc-mem-write", SECRET, "Landlock"},
    {"task-mem-read", SECRET, "Landlock"},
    {"tid-mem-write", SECRET, "Landlock"},
    {"process_vm_readv", SECRET, "filter"},
    {"process_vm_writev", SECRET, "filter"},
    {"ptrace", DATA, "filter"},
    {"userfaultfd", DATA, "filter"},
    {"personality", DATA, "filter"},
    {"seccomp", DATA, "filter"},
    {"prctl-seccomp", DATA, "filter"},
    {"prctl-dumpable", DATA, "filter"},
    {"mmap-exec", DATA, "filter: PROT_EXEC"},
    {"mprotect-exec", DATA, "filter: PROT_EXEC"},
    {"io_uring", DATA, "filter"},
    {"int80", DATA, "filter: another ABI kills the process"},
    {"arch_prctl-fs", DATA, "filter"},
    {"pool-forge", STACK, "the holders' key (gate key)"},
    {"perf_event_open", SECRET, "filter"},
    {"bpf", SECRET, "filter"},
    {"syscall-user-dispatch", SECRET, "filter: prctl"},
    {"module-helper", SECRET, "Landlock: /proc read-only (root)"},
    {"uprobe", SECRET, "Landlock: /sys read-only (root)"},
    {"kcore", SECRET, "Landlock: /proc/kcore (root)"},
    {"init_module", DATA, "filter"},
    {"rseq", SECRET, "no rseq area (every thread unregisters glibc's)"},
    {"rseq-register", SECRET, "filter: rseq registration (ENOSYS)"},
    {"shmat-exec", SECRET, "filter: SHM_EXEC"},
    {"tagged-addr", DATA, "filter: arch_prctl"},
    {"userfaultfd-dev", FRESH, "filter: ioctl USERFAULTFD_IOC_NEW"},
    {"prctl-mm-high", HEAPSECRET, "filter: prctl (its option's low 32 bits)"},
    {"arch_prctl-fs-high", DATA, "filter: arch_prctl (its code's low 32 bits)"},
    {"proc-helper-flood", DATA, "the /proc helper closes what it does not use"},
    {"set-tid-address", SECRET, "filter"},
    {"sigaltstack-frame", BIGHEAP, "filter: sigaltstack only with a stack of the runtime's"},
    {"raw-sigaction", SECRET, "filter: rt_sigaction only with an action of the runtime's"},
    {"stub-noscrub", SECRET, "the delivery stub scrubs a frame it runs no handler for"},
    {"stub-scrub-control", SECRET, "the same with a handler of evil's"},
    {"table-tail", BIGHEAP, "filter: sigaltstack only at an entry of the table"},
    {"misaligned-action", SECRET, "filter: rt_sigaction only at an action of the table"},
    {"copy-area-read", SECRET, "the copy areas: what evil reads of them"},
    {"clone-cleartid", SECRET, "the clone site: child_tid evil writes itself"},
    {"robust-list", TIDWORD, "no robust-futex lists: filter, start-up"},
    {"exec", DATA, "filter: execve (EPERM)"},
    {"x32", DATA, "filter: another ABI kills the process"},
    {"proc-helper-empty", DATA, "the /proc helper survives a zero-length message"},
    {"kcmp", DATA, "the filter's list"},
    {"newer-call", DATA, "the filter's list"},
    {"iopl", DATA, "the filter's list"},
    {"cancel", DATA, "not an attack: pthread_cancel at pthread_testcancel"},
    {"cancel-blocked", DATA, "not an attack: pthread_cancel of a thread in sleep"},
    {"sigreturn-altstack", BIGHEAP, "the restorer: rt_sigreturn does not change the signal stack"},
    {"copy-key-read", SECRET, "the copy windows read no source in the copy areas"},
    {"clone-cleartid-jump", SECRET, "the clone site writes child_tid again before its syscall"},
    {"restorer-close-read", SECRET, "the restorer's %rsp checked after its window closes"},
    {"amx-perm", DATA, "filter: no AMX tile data (EPERM)"},
    {"carry-page", DATA, "not a call: the gate's carry pages have the gate key"},
    {"setxid", DATA, "not an attack: setresgid with one thread, then two"},
    {"sigsys-send", DATA, "filter: no SIGSYS sent (a forged SYS_SECCOMP siginfo)"},
    {"sigsys-timer", DATA, "a SIGSYS not from the filter ends the image"},
    {"proc-helper-forge", DATA, "the /proc helper serves only the image's processes"},
    {"arch-option", DATA, "the filter's list: arch_prctl options of newer kernels"},
    {"sigsys-mask", DATA, "the SIGSYS report runs with every signal blocked"},
    {"sigsys-smash", DATA, "the SIGSYS report runs on the report stack, not the signal stack"},
    {"report-forge-sigsys", SECRET, "the report reads a frame with no compartment's key"},
    {"report-forge-segv", SECRET, "the report reads a frame with no compartment's key"},
    {"report-lock-signal", SECRET, "no handler runs on the thread that holds the report's lock"},
    {"report-fpregs-adjacent", DATA,
     "the report reads a frame's XSAVE words with no compartment's key"},
    {"report-unwind-handler", SECRET, "no handler runs while a report is in progress"},
};

#define NMODES (sizeof(modes) / sizeof(modes[0]))

/* Pages of app's that nothing touches: not yet in memory (userfaultfd-dev). */
static volatile long fresh[2 * 4096 / sizeof(long)] __attribute__((aligned(4096)));

/* Alone on its page, so that the page attacks aim at it and nothing else of app's. */
static volatile long secret __attribute__((aligned(4096))) = 0x5ec2e7;
static char pad[4096] __attribute__((used));

struct job {
	int mode;
	uintptr_t target, len;
	long result;
	int err;
	int tid; /* the thread's that ran it (TIDWORD) */
};

/* app's word that holds a thread's id, as a lock's owner field does (TIDWORD). */
static volatile int tid_word;

/*
 * The frames of the threads 'evil' makes, which enter 'app' (app_hold):
 * the first waits there, on its stack in 'app' (a thread's stack in its
 * own compartment is glibc's, key 0: limit 8), until `hold_done'.
 */
static volatile uintptr_t held[3];
static volatile int hold_done;

void app_hold(int which)
{
	volatile char frame[64];

	frame[0] = 1;
	held[which] = (uintptr_t)frame;
	while (which == 1 && !hold_done)
		usleep(1000);
}

void app_end_thread(void)
{
	for (;;)
		syscall(SYS_exit, 0);
}

void app_busy(void)
{
	volatile long frame[64];
	struct timespec t0, t;
	/* Kept in a register too, as code keeps a key it works with. */
	long v = app_stack_value(secret);

	for (size_t i = 0; i < sizeof(frame) / sizeof(frame[0]); i++)
		frame[i] = v;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (volatile int spin = 0; spin < 100000; spin++)
			frame[spin & 63] = v;
		getppid();
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < 300);
	for (size_t i = 0; i < sizeof(frame) / sizeof(frame[0]); i++)
		frame[i] = 0;
}

/* A scheduler thread of 'app', suspended there with its frame on its stack in 'app'. */
static volatile uintptr_t sched_frame;
static volatile int sched_done;

static void *sched_hold(void *arg)
{
	volatile long frame[8];

	(void)arg;
	frame[0] = 0x5ec2e7;
	sched_frame = (uintptr_t)frame;
	while (!sched_done)
		flexos_sched_yield();
	return frame[0] == 0x5ec2e7 ? NULL : (void *)1;
}

static void *run(void *arg)
{
	struct job *j = arg;

	if (modes[j->mode].target == TIDWORD)
		tid_word = j->tid = (int)syscall(SYS_gettid);
	errno = 0;
	j->result = evil_attack(j->mode, j->target, j->len, 0x5ec2e7);
	j->err = errno;
	return NULL;
}

int main(int argc, char **argv)
{
	long page = sysconf(_SC_PAGESIZE);
	struct job j = {.mode = -1, .len = (uintptr_t)page};
	pthread_t t;

	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (size_t i = 0; i < NMODES; i++)
			printf("%-18s %s\n", modes[i].name, modes[i].stopped_by);
		return 0;
	}
	for (size_t i = 0; argc >= 2 && i < NMODES; i++)
		if (!strcmp(argv[1], modes[i].name))
			j.mode = (int)i;
	int stack = argc == 3 && !strcmp(argv[2], "stack");
	int sched = argc == 3 && !strcmp(argv[2], "sched");
	int nonce = argc == 3 && !strcmp(argv[2], "nonce");
	int report = argc == 3 && !strcmp(argv[2], "report");
	/* The gate-key regions reserved at start-up (mpk.h): where they are is no secret. */
	uintptr_t gate_keyed = 0;
	if (argc == 3 && !strcmp(argv[2], "records"))
		gate_keyed = flexos__mpk_ro.ro.rec_lo;
	if (argc == 3 && !strcmp(argv[2], "gatestacks"))
		gate_keyed = flexos__mpk_ro.ro.gs_lo;
	if (argc == 3 && !strcmp(argv[2], "callbacks"))
		gate_keyed = flexos__mpk_ro.ro.cb;
	/* (and two more regions of the runtime's: the signal stacks, the frames' copies) */
	if (argc == 3 && !strcmp(argv[2], "altstacks"))
		gate_keyed = flexos__mpk_ro.ro.alt_lo;
	if (argc == 3 && !strcmp(argv[2], "copyareas"))
		memcpy(&gate_keyed, (const char *)flexos__mpk_pkru + MPK_PKRU_SIG_COPY,
		       sizeof(gate_keyed));
	struct flexos_thread *st = NULL;
	if (j.mode < 0 || argc > 3 ||
	    (argc == 3 && !stack && !sched && !nonce && !report && !gate_keyed &&
	     strcmp(argv[2], "thread"))) {
		fprintf(stderr, "usage: syscalls MODE "
				"[thread|stack|sched|nonce|report|records|gatestacks|callbacks|"
				"altstacks|copyareas] | "
				"--list\n");
		return 2;
	}
	if (sched) {
		if (flexos_sched_create(&st, 0, sched_hold, NULL))
			return 2;
		while (!sched_frame)
			flexos_sched_yield();
	}
	if (stack || modes[j.mode].target == STACK) {
		/* A thread with a stack in 'app' made after start-up, waiting on it. */
		if (evil_spawn(1))
			return 2;
		while (!held[1])
			usleep(1000);
	}
	/* The application's heap: the page of a fresh allocation. */
	char *heap = malloc(16);
	volatile long *big = NULL;
	switch (modes[j.mode].target) {
	case DATA:
		j.target = (uintptr_t)&secret;
		break;
	case HEAP:
		j.target = (uintptr_t)heap & ~(uintptr_t)(page - 1);
		break;
	case SECRET:
		j.target = (uintptr_t)&secret;
		j.len = sizeof(secret);
		break;
	case STACK:
		break;
	case FRESH:
		j.target = (uintptr_t)fresh;
		break;
	case BIGHEAP: /* app's secret in the middle of 16 KiB of its heap */
		big = malloc(16384);
		big[1024] = 0x5ec2e7;
		j.target = (uintptr_t)&big[1024];
		j.len = sizeof(long);
		break;
	case HEAPSECRET: /* app's secret in its heap (anonymous memory) */
		*(volatile long *)heap = 0x5ec2e7;
		j.target = (uintptr_t)heap;
		j.len = sizeof(long);
		break;
	case TIDWORD:
		j.target = (uintptr_t)&tid_word;
		j.len = sizeof(tid_word);
		break;
	}
	/* 64 KiB below the waiting thread's frame: its stack, which it does not use now. */
	if (stack)
		j.target = (held[1] & ~(uintptr_t)(page - 1)) - 16 * (uintptr_t)page;
	if (sched)
		j.target = sched_frame & ~(uintptr_t)(page - 1);
	/* Where they are is no secret: the backend's read-only state says. */
	if (nonce)
		j.target = (uintptr_t)flexos__mpk_ro.ro.nonce;
	if (report)
		j.target = flexos__mpk_ro.ro.report_stack - (uintptr_t)page;
	if (gate_keyed)
		j.target = gate_keyed;
	if ((nonce || report) && !j.target) {
		printf("%s: this image has no %s\n", argv[1], nonce ? "nonce" : "report stack");
		return 2;
	}
	if (argc == 3 || modes[j.mode].target == STACK || modes[j.mode].target == TIDWORD) {
		if (pthread_create(&t, NULL, run, &j) || pthread_join(t, NULL))
			return 2;
	} else {
		run(&j);
	}
	if (modes[j.mode].target == STACK) {
		/* A new thread enters 'app': where does its stack there start? */
		if (evil_spawn(2))
			return 2;
		while (!held[2])
			usleep(1000);
		uintptr_t d = held[2] > held[1] ? held[2] - held[1] : held[1] - held[2];
		if (d < (1 << 20)) {
			printf("%s: NOT STOPPED (a new thread got the stack in 'app' of a thread "
			       "still on it: %#lx, %#lx)\n",
			       argv[1], (unsigned long)held[1], (unsigned long)held[2]);
			return 1;
		}
	}
	hold_done = 1;
	sched_done = 1;
	void *sched_ret = NULL;
	if (st && (flexos_sched_join(st, &sched_ret) || sched_ret)) {
		printf("%s: the scheduler thread's frame changed\n", argv[1]);
		return 1;
	}
	if (j.mode == 0) {
		printf("control: %s\n", j.result ? "ok" : "FAILED");
		return j.result ? 0 : 1;
	}
	if (modes[j.mode].target == FRESH && fresh[0])
		printf("%s: app's untouched page now holds %ld\n", argv[1], (long)fresh[0]);
	if (modes[j.mode].target == TIDWORD && tid_word != j.tid) {
		printf("%s: NOT STOPPED (app's word holding thread %d's id now %#x)\n", argv[1],
		       j.tid, (unsigned)tid_word);
		return 1;
	}
	if (big && big[1024] != 0x5ec2e7) {
		printf("%s: NOT STOPPED (app's heap secret now %#lx)\n", argv[1], (long)big[1024]);
		return 1;
	}
	if (j.result || secret != 0x5ec2e7) {
		printf("%s: NOT STOPPED (secret now %#lx)\n", argv[1], (long)secret);
		return 1;
	}
	printf("%s: refused (%s); secret intact\n", argv[1], strerror(j.err));
	return 0;
}
