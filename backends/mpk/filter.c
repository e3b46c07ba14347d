/*
 * The intel-mpk backend's system-call filter. Protection keys guard loads
 * and stores; a compartment that runs code can still ask the kernel to
 * change the rules (pkey_mprotect, pkey_alloc), to replace or move another
 * compartment's pages (mmap MAP_FIXED, munmap, mremap, madvise), or to
 * access them along paths that ignore PKRU (/proc/self/mem,
 * process_vm_readv/writev, ptrace). Once start-up is over (keys allocated,
 * heaps and main's stacks mapped and tagged), just before main, this file
 * seals the process:
 *
 * - no_new_privs and a seccomp filter (libseccomp) that denies those calls,
 *   seccomp() and prctl(PR_SET_SECCOMP) themselves, and new executable
 *   mappings, for every thread (TSYNC) and every thread made later. A
 *   filter cannot be removed, only added to; adding one is denied.
 * - the range rules: every protected range known at start-up (the image,
 *   each compartment's heap, the shared heap, main's stacks, each
 *   compartment's pool of thread stacks and their holders, stacks.c, the
 *   image's symbol table, the copies of the shared libraries' unwind
 *   tables, unwind.c) is
 *   covered by a window that starts MAXLEN below it; windows become
 *   aligned power-of-two blocks, and a call whose address is in a block,
 *   or whose length is above MAXLEN, is denied (backends/common/seccomp.c
 *   says why the filter cannot simply compare addr + len). The free
 *   address space inside the windows is reserved (PROT_NONE), so that no
 *   legitimate mapping made later lands there and trips the rules.
 * - /proc/self/mem: the process is made non-dumpable (its /proc files then
 *   belong to root), and a Landlock ruleset denies opening, for reading or
 *   writing, any file of this process's /proc/<pid> except a list of
 *   harmless ones (maps, status...): the kernel lets a process open its
 *   own mem file whatever its dumpability, and root owns it anyway.
 * - mseal(2) on the protected ranges, where the kernel has it (6.10).
 *
 * A denied call raises SIGSYS (SECCOMP_RET_TRAP): the handler reports the
 * call, its arguments and the compartment, and ends the image with status
 * FLEXOS_EXIT_FAULT (in images with newlib compartments from the report
 * stack: gate.S's flexos__mpk_sigsys_entry). docs/threat-model.md lists
 * what this does not cover.
 */
#include "autoconfig.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <linux/futex.h>
#include <linux/landlock.h>
#include <linux/userfaultfd.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <asm/prctl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/rseq.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "common.h"
#include "mpk.h"

/*
 * The longest mprotect, munmap, mremap, madvise or mmap(MAP_FIXED) an
 * image may make after start-up, and so how far below each protected
 * range the filter's window starts. glibc's largest are its malloc arenas
 * (HEAP_MAX_SIZE, 64 MiB on 64-bit) and thread stacks (8 MiB).
 */
#define MAXLEN ((uintptr_t)64 << 20)

/* Windows are aligned to at least this below; more blocks than MAX_BLOCKS double it. */
#define MIN_ALIGN  ((uintptr_t)1 << 20)
#define MAX_BLOCKS 48

#define MAX_RANGES 96

#ifndef SYS_mseal
#define SYS_mseal 462
#endif
#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1
#endif

static struct flexos__range ranges[MAX_RANGES];
static size_t nranges;
static int too_many; /* a range did not fit: refuse rather than leave it out */

static void add(uintptr_t lo, uintptr_t hi)
{
	long page = sysconf(_SC_PAGESIZE);

	lo &= ~((uintptr_t)page - 1);
	hi = (hi + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
	if (hi <= lo)
		return;
	if (nranges < MAX_RANGES)
		ranges[nranges++] = (struct flexos__range){lo, hi};
	else
		too_many = 1;
}

static int image_range(struct dl_phdr_info *info, size_t size, void *data)
{
	uintptr_t lo = UINTPTR_MAX, hi = 0;

	(void)size;
	(void)data;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *p = &info->dlpi_phdr[i];
		if (p->p_type != PT_LOAD)
			continue;
		if (info->dlpi_addr + p->p_vaddr < lo)
			lo = info->dlpi_addr + p->p_vaddr;
		if (info->dlpi_addr + p->p_vaddr + p->p_memsz > hi)
			hi = info->dlpi_addr + p->p_vaddr + p->p_memsz;
	}
	add(lo, hi);
	return 1; /* the first object is the image */
}

static int by_lo(const void *a, const void *b)
{
	const struct flexos__range *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* The windows: each range from MAXLEN below it, aligned down to align, merged. */
static size_t windows(struct flexos__range *w, uintptr_t align)
{
	size_t n = 0;

	for (size_t i = 0; i < nranges; i++) {
		uintptr_t lo = ranges[i].lo > MAXLEN ? ranges[i].lo - MAXLEN : 0;
		lo &= ~(align - 1);
		if (n && lo <= w[n - 1].hi) {
			if (ranges[i].hi > w[n - 1].hi)
				w[n - 1].hi = ranges[i].hi;
		} else {
			w[n++] = (struct flexos__range){lo, ranges[i].hi};
		}
	}
	return n;
}

/*
 * Maps PROT_NONE over the free parts of the windows, from /proc/self/maps.
 * The gap the program break grows into is left alone.
 */
static int reserve(const struct flexos__range *w, size_t n)
{
	static char buf[1 << 16];
	static struct flexos__range used[4096];
	size_t nused = 0, len = 0;
	uintptr_t brk = (uintptr_t)sbrk(0);
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0)
		return -errno;
	for (;;) {
		r = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (r <= 0)
			break;
		len += (size_t)r;
		buf[len] = 0;
		char *line = buf, *nl;
		while ((nl = strchr(line, '\n'))) {
			char *end;
			uintptr_t lo = strtoul(line, &end, 16);
			uintptr_t hi = strtoul(end + 1, NULL, 16);
			if (nused < sizeof(used) / sizeof(used[0]))
				used[nused++] = (struct flexos__range){lo, hi};
			line = nl + 1;
		}
		len = strlen(line);
		memmove(buf, line, len);
	}
	close(fd);
	if (r < 0)
		return -EIO;

	for (size_t i = 0; i < n; i++) {
		uintptr_t a = w[i].lo;
		for (size_t k = 0; k <= nused && a < w[i].hi; k++) {
			/* Mappings are listed in address order; the last gap runs to the window's
			 * end. */
			uintptr_t next = k < nused ? used[k].lo : w[i].hi;
			if (k < nused && used[k].hi <= a)
				continue;
			if (next > w[i].hi)
				next = w[i].hi;
			if (next > a && !(brk >= a && brk <= next)) {
				void *p = mmap((void *)a, next - a, PROT_NONE,
					       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
						   MAP_FIXED_NOREPLACE,
					       -1, 0);
				if (p == MAP_FAILED)
					return -errno;
			}
			if (k < nused && used[k].hi > a)
				a = used[k].hi;
		}
	}
	return 0;
}

/* ---- /proc/self/mem ------------------------------------------------------ */

static int landlock_allow(int ruleset, int dirfd, const char *name, unsigned long long access)
{
	struct landlock_path_beneath_attr pb = {.allowed_access = access};
	int err = 0;

	pb.parent_fd = openat(dirfd, name, O_PATH | O_CLOEXEC | O_NOFOLLOW);
	if (pb.parent_fd < 0)
		return 0; /* gone, or a symbolic link: nothing to allow */
	int r = (int)syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb, 0);
	/* A file takes no directory right (REFER): its own rights only. */
	if (r && errno == EINVAL && (access & LANDLOCK_ACCESS_FS_REFER)) {
		pb.allowed_access = access & ~LANDLOCK_ACCESS_FS_REFER;
		r = (int)syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &pb,
				 0);
	}
	if (r)
		err = errno == EINVAL ? 0 : -errno; /* a link or a special file */
	close(pb.parent_fd);
	return err;
}

/* Allows every entry of dir except those skip() refuses. */
static int landlock_allow_dir(int ruleset, const char *dir, int (*skip)(const char *),
			      unsigned long long access)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int err = 0;

	if (!d)
		return -errno;
	while (!err && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && !skip(e->d_name))
			err = landlock_allow(ruleset, dirfd(d), e->d_name, access);
	closedir(d);
	return err;
}

/* /proc and /sys have rules of their own. */
static int skip_proc_sys(const char *name)
{
	return !strcmp(name, "proc") || !strcmp(name, "sys");
}

/* Every process's directory, the links to ours, and physical memory (kcore). */
static int skip_pid(const char *name)
{
	return (name[0] >= '0' && name[0] <= '9') || !strcmp(name, "self") ||
	       !strcmp(name, "thread-self") || !strcmp(name, "kcore");
}

/*
 * Landlock allows only what a rule names, beneath it: every entry of /
 * but /proc and /sys, every entry of /proc but the processes' directories
 * and kcore, for reading only, /sys for reading only, and in ours the
 * harmless files. So mem, task/<tid>/mem and /proc/<tid>/mem (a thread's
 * directory is reachable by its id) cannot be opened, for reading or
 * writing; only file opening is restricted (the handled rights), and a
 * Landlock domain also refuses mount(2), so procfs cannot be mounted
 * again elsewhere. The rest is for an image run as root, whose kernel
 * would otherwise read or write another compartment's memory for it:
 * probes defined through tracefs (/sys/kernel/tracing) fetch memory in
 * the probed thread, under the PKRU of the compartment it runs in; a
 * helper named in /proc/sys (kernel.modprobe, kernel.core_pattern) runs
 * as root outside the filter and the rules; /proc/kcore reads physical
 * memory. Returns 1 when the kernel has no Landlock.
 *
 * Moving a file to another directory (rename, link: "refer") is the one
 * right every Landlock domain denies, with EXDEV, unless a rule grants it
 * (ABI 2, Linux 5.19): Redis's AOF rewrite, which renames its temporary
 * file into appendonlydir/, failed so. The entries of / grant it; on
 * ABI 1 no rule can, and such moves fail (docs/threat-model.md).
 */
static int close_proc_mem(void)
{
	const unsigned long long rw = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE;
	struct landlock_ruleset_attr attr = {.handled_access_fs = rw};
	unsigned long long all = rw;
	char self[64];
	int err, dir;
	int abi =
	    (int)syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	if (abi >= 2) {
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_REFER;
		all |= LANDLOCK_ACCESS_FS_REFER;
	}
	int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);

	if (ruleset < 0)
		return errno == ENOSYS || errno == EOPNOTSUPP ? 1 : -errno;
	flexos__format(self, sizeof(self), "/proc/%d", (int)getpid());
	err = landlock_allow_dir(ruleset, "/", skip_proc_sys, all);
	if (!err)
		err = landlock_allow_dir(ruleset, "/proc", skip_pid, LANDLOCK_ACCESS_FS_READ_FILE);
	if (!err)
		err = landlock_allow(ruleset, AT_FDCWD, "/sys", LANDLOCK_ACCESS_FS_READ_FILE);
	if (!err && (dir = open(self, O_PATH | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		for (size_t i = 0; i < flexos__mpk_nproc_files && !err; i++)
			err = landlock_allow(ruleset, dir, flexos__mpk_proc_files[i], rw);
		close(dir);
	}
	if (!err && syscall(SYS_landlock_restrict_self, ruleset, 0))
		err = -errno;
	close(ruleset);
	return err;
}

/* ---- the list of allowed calls --------------------------------------------- */

/*
 * The deny list below names what attack reviews found; a call nobody
 * reviewed would go through it. So a second filter allows only the calls
 * of Linux 6.1's x86-64 table (0 to LAST_REVIEWED, less the numbers it
 * leaves unassigned), and mseal, less those no image needs once main
 * runs: system administration (the machine's time, name, swap, reboot,
 * kernel modules, kexec, port I/O, quotas, accounting, the kernel log),
 * mounts, root directories and namespaces, files opened by handle, kernel
 * keys, comparisons of processes' kernel objects, the filesystem-wide
 * notification API, another process's memory release, the LDT, and the
 * calls the kernel never implemented. Anything else, a newer kernel's
 * call included, ends the image with a report (flexos__mpk_report_denied)
 * until it is reviewed and listed here. What the deny list denies stays
 * listed here, so that its rules, and its report, decide.
 */
#define LAST_REVIEWED 450 /* set_mempolicy_home_node, Linux 6.1's last */

static const struct {
	int nr;
	const char *name;
} unlisted[] = {
#define U(name)                       \
	{                             \
		SCMP_SYS(name), #name \
	}
    U(syslog),
    U(vhangup),
    U(modify_ldt),
    U(pivot_root),
    U(_sysctl),
    U(adjtimex),
    U(chroot),
    U(acct),
    U(settimeofday),
    U(mount),
    U(umount2),
    U(swapon),
    U(swapoff),
    U(reboot),
    U(sethostname),
    U(setdomainname),
    U(iopl),
    U(ioperm),
    U(create_module),
    U(delete_module),
    U(get_kernel_syms),
    U(query_module),
    U(quotactl),
    U(nfsservctl),
    U(getpmsg),
    U(putpmsg),
    U(afs_syscall),
    U(tuxcall),
    U(security),
    U(uselib),
    U(ustat),
    U(sysfs),
    U(lookup_dcookie),
    U(epoll_ctl_old),
    U(epoll_wait_old),
    U(vserver),
    U(clock_settime),
    U(clock_adjtime),
    U(kexec_load),
    U(kexec_file_load),
    U(add_key),
    U(request_key),
    U(keyctl),
    U(unshare),
    U(setns),
    U(fanotify_init),
    U(fanotify_mark),
    U(name_to_handle_at),
    U(open_by_handle_at),
    U(kcmp),
    U(open_tree),
    U(move_mount),
    U(fsopen),
    U(fsconfig),
    U(fsmount),
    U(fspick),
    U(mount_setattr),
    U(quotactl_fd),
    U(process_mrelease),
#undef U
};

/* Whether the list allows call nr (x86-64's numbers); its name if it does not. */
static int listed(long nr, const char **name)
{
	*name = NULL;
	for (size_t i = 0; i < sizeof(unlisted) / sizeof(unlisted[0]); i++)
		if (unlisted[i].nr == nr) {
			*name = unlisted[i].name;
			return 0;
		}
	/* (335 to 423: numbers x86-64 skips, which the other ABIs use) */
	return (nr >= 0 && nr <= 334) || (nr >= 424 && nr <= LAST_REVIEWED) || nr == SYS_mseal;
}

/*
 * A libseccomp filter with the attributes both of the backend's have:
 * every thread already made (a constructor's) gets it too (TSYNC), its
 * rules a binary tree, and a call through another ABI (int $0x80, x32),
 * which would dodge every rule by its number, kills the process. NULL
 * and *err set when libseccomp refuses.
 */
static scmp_filter_ctx new_filter(uint32_t default_action, int *err)
{
	scmp_filter_ctx f = seccomp_init(default_action);

	*err = f ? 0 : -ENOMEM;
	if (!*err)
		*err = seccomp_attr_set(f, SCMP_FLTATR_CTL_TSYNC, 1);
	if (!*err)
		*err = seccomp_attr_set(f, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (!*err)
		*err = seccomp_attr_set(f, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (*err && f) {
		seccomp_release(f);
		f = NULL;
	}
	return f;
}

static int build_list_filter(void)
{
	const char *name;
	int err;
	scmp_filter_ctx f = new_filter(SCMP_ACT_TRAP, &err);

	if (!f)
		return err;
	/*
	 * arch_prctl: only the options that read, and those the deny list
	 * decides (an attack review's note: a newer kernel's, shadow
	 * stacks' from 6.6, would have gone through unreviewed). Not
	 * ARCH_SET_CPUID (a thread that faults on CPUID in the next
	 * compartment it enters) nor ARCH_MAP_VDSO_* (new executable
	 * memory), which no image needs.
	 */
	static const int arch_options[] = {
	    0x1001 /* ARCH_SET_GS: the deny list's */,
	    0x1002 /* ARCH_SET_FS: the deny list's */,
	    0x1003 /* ARCH_GET_FS */,
	    0x1004 /* ARCH_GET_GS */,
	    0x1011 /* ARCH_GET_CPUID */,
	    0x1021 /* ARCH_GET_XCOMP_SUPP */,
	    0x1022 /* ARCH_GET_XCOMP_PERM */,
	    0x1023 /* ARCH_REQ_XCOMP_PERM: EPERM */,
	    0x1024 /* ARCH_GET_XCOMP_GUEST_PERM */,
	    0x1025 /* ARCH_REQ_XCOMP_GUEST_PERM: EPERM */,
	    0x4001 /* ARCH_GET_UNTAG_MASK */,
	    0x4003 /* ARCH_GET_MAX_TAG_BITS */,
	};
	for (int nr = 0; nr <= SYS_mseal && !err; nr++)
		if (nr != SYS_arch_prctl && listed(nr, &name))
			err = seccomp_rule_add(f, SCMP_ACT_ALLOW, nr, 0);
	for (size_t i = 0; i < sizeof(arch_options) / sizeof(arch_options[0]) && !err; i++)
		err = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(arch_prctl), 1,
				       SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu,
					       (scmp_datum_t)(uint32_t)arch_options[i]));
	if (!err)
		err = seccomp_load(f);
	seccomp_release(f);
	return err;
}

/* ---- the report ------------------------------------------------------------ */

int flexos__mpk_clone_active;

/*
 * glibc 2.36's __clone up to its parent's ret (Debian 12's libc6 2.36-9):
 * the code the jump replaces and the code it resumes in. Another C library
 * is left alone, and the clone filter is not installed.
 */
static const unsigned char glibc_clone[] = {
    0x48, 0xc7, 0xc0, 0xea, 0xff, 0xff, 0xff, 0x48, 0x85, 0xff, 0x74, 0x3e, 0x48, 0x83, 0xe6,
    0xf0, 0x74, 0x38, 0x48, 0x89, 0x4e, 0xf8, 0x48, 0x83, 0xee, 0x10, 0x48, 0x89, 0x3e, 0x48,
    0x89, 0xd7, 0x4c, 0x89, 0xc2, 0x4d, 0x89, 0xc8, 0x4c, 0x8b, 0x54, 0x24, 0x08, 0xb8, 0x38,
    0x00, 0x00, 0x00, 0x0f, 0x05, 0x48, 0x85, 0xc0, 0x7c, 0x13, 0x74, 0x01, 0xc3,
};

/*
 * glibc's pthread_create blocks every signal around its clone, so the
 * filter cannot send that call anywhere with a SIGSYS (a blocked SIGSYS
 * from seccomp kills the process): instead glibc's __clone itself calls
 * the runtime's (movabs $flexos__mpk_clone_glibc, %r11; call *%r11),
 * written before the filter forbids new executable memory. Returns 0, or
 * 1 when the C library is not the one expected.
 */
static int take_glibc_clone(void)
{
	unsigned char *f = dlsym(RTLD_DEFAULT, "clone");
	uint64_t to = (uint64_t)(uintptr_t)flexos__mpk_clone_glibc;
	unsigned char jump[MPK_GLIBC_CLONE_CALL] = {0x49, 0xbb};
	long page = sysconf(_SC_PAGESIZE);

	if (!f || memcmp(f, glibc_clone, sizeof(glibc_clone)))
		return 1;
	memcpy(jump + 2, &to, sizeof(to));
	jump[10] = 0x41, jump[11] = 0xff, jump[12] = 0xd3;
	uintptr_t lo = (uintptr_t)f & ~((uintptr_t)page - 1);
	size_t len = ((uintptr_t)f + sizeof(jump) - lo + (size_t)page - 1) & ~((size_t)page - 1);
	if (mprotect((void *)lo, len, PROT_READ | PROT_WRITE | PROT_EXEC))
		return -errno;
	memcpy(f, jump, sizeof(jump));
	if (mprotect((void *)lo, len, PROT_READ | PROT_EXEC))
		return -errno;
	return 0;
}

void flexos__mpk_report_denied(const siginfo_t *si, const void *uc_)
{
	static const int regs[6] = {REG_RDI, REG_RSI, REG_RDX, REG_R10, REG_R8, REG_R9};
	const ucontext_t *uc = uc_;
	struct flexos__out o = {.n = 0};
	const char *name = si->si_syscall == SYS_clone    ? "clone"
			   : si->si_syscall == SYS_clone3 ? "clone3"
							  : flexos__syscall_name(si->si_syscall);
	const char *unlisted_name;
	int on_list = listed(si->si_syscall, &unlisted_name);

	if (si->si_code != SYS_SECCOMP) {
		/* A SIGSYS not from the filter (a timer's, an I/O signal's): as without a handler.
		 */
		flexos__out_str(&o,
				"flexos: a SIGSYS the system-call filter did not raise (si_code ");
		flexos__out_int(&o, si->si_code);
		flexos__out_str(&o, "): the image ends as without a handler\n");
		flexos__out_flush(&o);
		_exit(128 + SIGSYS);
	}
	flexos__out_str(&o, "flexos: ");
	flexos__out_comp(&o, flexos__mpk_interrupted(uc_));
	flexos__out_str(&o, on_list ? " made a system call the intel-mpk filter denies: "
				    : " made a system call the intel-mpk filter does not list: ");
	if (!name)
		name = unlisted_name;
	if (name)
		flexos__out_str(&o, name);
	else
		flexos__out_int(&o, si->si_syscall);
	flexos__out_str(&o, "(");
	for (int i = 0; i < 6; i++) {
		flexos__out_str(&o, i ? ", " : "");
		flexos__out_num(&o, (uint64_t)uc->uc_mcontext.gregs[regs[i]], 16);
	}
	flexos__out_str(&o, ") at ");
	flexos__out_num(&o, (uint64_t)uc->uc_mcontext.gregs[REG_RIP], 16);
	flexos__out_str(
	    &o, si->si_syscall == SYS_clone
		    ? "; a thread is made only by the runtime's clone site, which checks "
		      "its FS base: call the C library's pthread_create or clone(), which go "
		      "there, not the system call (docs/threat-model.md, limit 2)\nflexos: "
		      "the image exits with status "
		: on_list
		    ? "; it would change or reach memory or keys behind the backend "
		      "(docs/threat-model.md)\nflexos: the image exits with status "
		    : "; no image needs it once main runs (system administration, mounts, "
		      "namespaces, kernel keys) or no review has listed it yet (a call newer "
		      "than Linux 6.1): docs/backends.md\nflexos: the image exits with status ");
	flexos__out_int(&o, FLEXOS_EXIT_FAULT);
	flexos__out_str(&o, "\n");
	flexos__out_flush(&o);
	_exit(FLEXOS_EXIT_FAULT);
}

/* ---- the filter ------------------------------------------------------------ */

static int build_filter(const struct flexos__range *blocks, size_t nblocks)
{
	/* A denied call raises SIGSYS, whose handler reports it (flexos__mpk_filter_install). */
	const uint32_t deny = SCMP_ACT_TRAP;
	int err;
	scmp_filter_ctx f = new_filter(SCMP_ACT_ALLOW, &err);

	if (!f)
		return err;
	err = flexos__seccomp_deny_remote(f, deny);
	/*
	 * Serving page faults (userfaultfd), kernel workers that do not run
	 * with the caller's PKRU and whose operations seccomp does not see
	 * (io_uring), and changes to the rules themselves: keys, filters,
	 * READ_IMPLIES_EXEC, file pages remapped under a mapping. And the
	 * kernel's own readers of a thread's memory, which read with the PKRU
	 * of whatever compartment the thread runs in when they fire: samples
	 * of the user stack and registers (perf_event_open, where the user
	 * may profile: root, or perf_event_paranoid 2 or less), and BPF
	 * programs on probes (bpf, root). And kernel code of the caller's
	 * (init_module, finit_module, root). And the kernel's deferred
	 * writes: at a thread's exit, 0 to its clear_child_tid, under the
	 * PKRU it has then, so that a library that set it on a thread of
	 * another compartment's zeroed a word of that compartment's when the
	 * thread ended there (set_tid_address; glibc calls it at start-up
	 * only, a new thread gets its address from clone's flags).
	 */
	static const int denied[] = {
	    SCMP_SYS(userfaultfd),
	    SCMP_SYS(io_uring_setup),
	    SCMP_SYS(io_uring_enter),
	    SCMP_SYS(io_uring_register),
	    SCMP_SYS(pkey_alloc),
	    SCMP_SYS(pkey_free),
	    SCMP_SYS(seccomp),
	    SCMP_SYS(personality),
	    SCMP_SYS(remap_file_pages),
	    SCMP_SYS(perf_event_open),
	    SCMP_SYS(bpf),
	    SCMP_SYS(init_module),
	    SCMP_SYS(finit_module),
	    SCMP_SYS(set_tid_address),
	};
	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]) && !err; i++)
		err = seccomp_rule_add(f, deny, denied[i], 0);
	/*
	 * userfaultfd made without its system call: /dev/userfaultfd (6.1,
	 * root by its mode) makes one with this ioctl (an attack review's:
	 * UFFDIO_COPY filled a page of app's that nothing had touched yet).
	 */
	if (!err)
		err =
		    seccomp_rule_add(f, deny, SCMP_SYS(ioctl), 1,
				     SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, USERFAULTFD_IOC_NEW));
	/*
	 * No restartable-sequence area (every thread unregisters glibc's:
	 * mpk.c, drop_rseq): the kernel takes a critical section and its
	 * abort_ip from the area, in memory every compartment writes, and moves
	 * a thread it preempts there, keeping the interrupted compartment's
	 * PKRU. ENOSYS for registrations, which glibc's new threads take as no
	 * rseq; unregistering stays allowed.
	 */
	if (!err)
		err = seccomp_rule_add(f, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(rseq), 1,
				       SCMP_A2(SCMP_CMP_MASKED_EQ, RSEQ_FLAG_UNREGISTER, 0));
	/*
	 * No robust-futex list (the start-up thread's is dropped:
	 * flexos__mpk_filter_install): the kernel walks it when the thread
	 * ends, under the PKRU the thread has then, from a head in the
	 * thread's descriptor (key 0), and rewrites each listed word that
	 * holds the thread's id; a compartment that pointed the list at
	 * another's word had it rewritten when the thread ended there. EPERM,
	 * which glibc's new threads and fork children ignore; clearing stays
	 * allowed.
	 */
	if (!err)
		err = seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(set_robust_list), 1,
				       SCMP_A0(SCMP_CMP_NE, 0));
	/*
	 * No other program: the filters outlive execve, and a program run
	 * after start-up (a fork child's) met them at its first system calls
	 * (its loader's executable mappings, its TLS's set_tid_address) and
	 * died of SIGSYS. EPERM, as posix_spawn's clone gets, so that the
	 * caller can say so and go on.
	 */
	if (!err)
		err = seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(execve), 0);
	if (!err)
		err = seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(execveat), 0);
	if (!err)
		err = flexos__seccomp_deny_ranges(f, deny, blocks, nblocks, MAXLEN);
	/* No new executable memory: code is scanned for WRPKRU at link time only. */
	const struct scmp_arg_cmp exec = SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC);
	if (!err)
		err = seccomp_rule_add(f, deny, SCMP_SYS(mmap), 1, exec);
	if (!err)
		err = seccomp_rule_add(f, deny, SCMP_SYS(mprotect), 1, exec);
	if (!err)
		err = seccomp_rule_add(f, deny, SCMP_SYS(pkey_mprotect), 1, exec);
	/* A SysV segment attached executable: the same without mmap (an attack review's). */
	if (!err)
		err = seccomp_rule_add(f, deny, SCMP_SYS(shmat), 1,
				       SCMP_A2(SCMP_CMP_MASKED_EQ, SHM_EXEC, SHM_EXEC));
	/*
	 * Dumpable again would give /proc/<pid> back to the user; PR_SET_MM
	 * rewrites the layout the kernel reports; PR_SET_SECCOMP adds filters;
	 * syscall user dispatch has the kernel read its selector byte at each
	 * system call, under the PKRU of the compartment making it (a byte of
	 * another compartment's: 0 lets the call through, anything else ends
	 * the process, an oracle).
	 */
	static const int prctls[] = {PR_SET_DUMPABLE, PR_SET_MM, PR_SET_SECCOMP,
				     PR_SET_SYSCALL_USER_DISPATCH};
	/*
	 * The option is an int, the kernel ignores its upper 32 bits: compared
	 * as 64, prctl(1 << 32 | PR_SET_MM, ...) went through (an attack
	 * review's: PR_SET_MM_MAP pointed /proc/self/environ at app's heap).
	 */
	for (size_t i = 0; i < sizeof(prctls) / sizeof(prctls[0]) && !err; i++)
		err = seccomp_rule_add(
		    f, deny, SCMP_SYS(prctl), 1,
		    SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, (scmp_datum_t)(uint32_t)prctls[i]));
	/*
	 * A thread that sets its FS base to another thread's passes the gate
	 * page's owner check (RDFSBASE) with that thread's page (limit 2).
	 * Linear address masking (6.4 and later, on CPUs with LAM): the
	 * kernel would strip the tag bits of an address before mprotect,
	 * munmap, mremap or madvise act on it, while the range rules compare
	 * the bits as given.
	 */
	static const int arch_prctls[] = {ARCH_SET_FS, ARCH_SET_GS,
					  0x4002 /* ARCH_ENABLE_TAGGED_ADDR */,
					  0x4004 /* ARCH_FORCE_TAGGED_SVA */};
	for (size_t i = 0; i < sizeof(arch_prctls) / sizeof(arch_prctls[0]) && !err; i++)
		err = seccomp_rule_add(f, deny, SCMP_SYS(arch_prctl), 1,
				       SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu,
					       (scmp_datum_t)(uint32_t)arch_prctls[i]));
	/*
	 * No SIGSYS sent: the filter's own traps are the only ones, with a
	 * siginfo only the kernel writes (SYS_SECCOMP: a compartment's
	 * sigqueue could forge one, and had a thread of app's report its
	 * registers or go to the clone site with them). The signal is each
	 * call's second argument, the third of tgkill and rt_tgsigqueueinfo.
	 */
	static const struct {
		int nr;
		unsigned arg;
	} senders[] = {{SCMP_SYS(kill), 1},
		       {SCMP_SYS(tkill), 1},
		       {SCMP_SYS(tgkill), 2},
		       {SCMP_SYS(rt_sigqueueinfo), 1},
		       {SCMP_SYS(rt_tgsigqueueinfo), 2},
		       {SCMP_SYS(pidfd_send_signal), 1}};
	for (size_t i = 0; i < sizeof(senders) / sizeof(senders[0]) && !err; i++)
		err = seccomp_rule_add(f, deny, senders[i].nr, 1,
				       SCMP_CMP(senders[i].arg, SCMP_CMP_MASKED_EQ, 0xffffffffu,
						(scmp_datum_t)SIGSYS));
	/*
	 * No AMX tile data: a thread allowed it (and using it) gets signal
	 * frames 8 KiB larger than the ones the restorer takes (signal.c:
	 * frame_xsave_size), and every handler's return would end the image.
	 * EPERM, which a library asking for AMX takes as "not here" and goes
	 * on without it.
	 */
	static const int xcomp_perms[] = {0x1023 /* ARCH_REQ_XCOMP_PERM */,
					  0x1025 /* ARCH_REQ_XCOMP_GUEST_PERM */};
	for (size_t i = 0; i < sizeof(xcomp_perms) / sizeof(xcomp_perms[0]) && !err; i++)
		err = seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(arch_prctl), 1,
				       SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu,
					       (scmp_datum_t)(uint32_t)xcomp_perms[i]));
	if (!err)
		err = seccomp_load(f);
	seccomp_release(f);
	return err;
}

/*
 * mseal(2) over every range the filter guards: on kernels before 6.10 it
 * does not exist (ENOSYS) and is not used; a seccomp filter outside the
 * image (a container's) that denies it (EPERM) leaves the ranges to the
 * image's filter, said once; any other failure to seal a range is an
 * error, not left to the filter alone unsaid (attack --mseal, run on a
 * 6.12 kernel, reads each seal back).
 */
static int seal(void)
{
	for (size_t i = 0; i < nranges; i++) {
		if (!syscall(SYS_mseal, ranges[i].lo, ranges[i].hi - ranges[i].lo, 0))
			continue;
		if (errno == ENOSYS)
			return 0;
		if (errno == EPERM && !i) {
			flexos__say("mseal(2) is denied here (EPERM: a seccomp filter outside the "
				    "image, a container's?): the ranges the backend protects are "
				    "guarded by its system-call filter alone, not sealed "
				    "(docs/threat-model.md, limit 14)");
			return 0;
		}
		int err = -errno;
		flexos__say("cannot seal the range %#lx-%#lx that the system-call filter guards "
			    "(mseal: %s); the kernel has mseal(2), so the image does not start "
			    "with it unsealed (docs/threat-model.md, limit 14)",
			    (unsigned long)ranges[i].lo, (unsigned long)ranges[i].hi,
			    flexos__strerror(-err));
		return err;
	}
	return 0;
}

int flexos__mpk_filter_install(const struct flexos_runtime *rt)
{
	const struct flexos_image *img = rt->image;
	static struct flexos__range w[MAX_RANGES], blocks[MAX_BLOCKS];
	uintptr_t align = MIN_ALIGN;
	size_t nw, nb;
	int err;

	dl_iterate_phdr(image_range, NULL);
	/* The sigactions allowed after start-up, read-only (signal.c). */
	if ((err = flexos__mpk_sigaction_table_seal()))
		return err;
	add(flexos__mpk_sigaction_table(), flexos__mpk_sigaction_table() + 4096);
	for (uint32_t id = 0; id < img->ncompartments; id++) {
		uintptr_t lo, hi;
		add(rt->heaps[id].start, rt->heaps[id].end);
		/* The keyed shadow of an asan compartment's heap and sections. */
		int r;
		for (unsigned i = 0; flexos__asan_keyed_shadow &&
				     (r = flexos__asan_keyed_shadow(id, i, &lo, &hi)) >= 0;
		     i++)
			if (!r)
				add(lo, hi);
	}
	add(rt->shared_heap.start, rt->shared_heap.end);
	/* The data of the compartments' shared libraries, keyed through exit (mpk.c). */
	for (uint32_t i = 0; i < rt->nshlib_regions; i++)
		if (rt->shlib_regions[i].kind == FLEXOS_SHLIB_DATA)
			add(rt->shlib_regions[i].range.start, rt->shlib_regions[i].range.end);
	/* The shadow of the shared memory, keyed where a newlib compartment has asan. */
	for (unsigned i = 0; flexos__asan_keyed_shadow; i++) {
		uintptr_t lo, hi;
		int r = flexos__asan_keyed_shadow(MPK_ASAN_SHARED, i, &lo, &hi);
		if (r < 0)
			break;
		if (!r)
			add(lo, hi);
	}
	/* The gate pages, the jump pages after them,
	 * and the switch records (rec_lo..rec_hi): pkey_mprotect or mmap
	 * over them would hand out the gate's state. */
	add(flexos__mpk_ro.ro.gp_lo, flexos__mpk_ro.ro.gp_hi + MPK_JUMP_OFFSET);
	add(flexos__mpk_ro.ro.rec_lo, flexos__mpk_ro.ro.rec_hi);
	/* The image's symbol table, which the report reads (symbols.c: a forged one misnames code).
	 */
	if (flexos__ro.s.symbols.table)
		add((uintptr_t)flexos__ro.s.symbols.table,
		    (uintptr_t)(flexos__ro.s.symbols.strings + flexos__ro.s.symbols.strsize));
	/* The copies of the shared libraries' unwind tables, which the report reads (unwind.c). */
	if (flexos__mpk_ro.ro.unwind_lo)
		add(flexos__mpk_ro.ro.unwind_lo, flexos__mpk_ro.ro.unwind_hi);
	/* The signal stacks and their read-only stack_t (mpk.h: alt_lo, alt_table). */
	add(flexos__mpk_ro.ro.alt_lo,
	    flexos__mpk_ro.ro.alt_lo + (uintptr_t)MPK_GATE_PAGES * MPK_ALTSTACK_SIZE);
	add(flexos__mpk_ro.ro.alt_table, flexos__mpk_ro.ro.alt_table + MPK_ALT_TABLE_SIZE);
	/* The carry pages (mpk.h: carry_lo), which the gate writes with its page open. */
	add(flexos__mpk_ro.ro.carry_lo,
	    flexos__mpk_ro.ro.carry_lo + (uintptr_t)MPK_GATE_PAGES * MPK_CARRY_SIZE);
	/* The scheduler's callback records (mpk.h: MPK_CB_SLOTS). */
	add(flexos__mpk_ro.ro.cb, flexos__mpk_ro.ro.cb + (uintptr_t)MPK_CB_SLOTS * MPK_CB_SIZE);
	/* The switch records' index (mpk.h: threads), which urec_new and urec_first trust. */
	add(flexos__mpk_ro.ro.threads,
	    flexos__mpk_ro.ro.threads + (uintptr_t)MPK_THREADS_WORDS * sizeof(uint64_t));
	/* The gate stacks and the claim's lock and stack (mpk.h: MPK_GATE_STACK_SHIFT). */
	add(flexos__mpk_ro.ro.gs_lo,
	    flexos__mpk_ro.ro.claim + 4096 + ((uintptr_t)1 << MPK_GATE_STACK_SHIFT));
	/*
	 * The report stack with its guard (gate key: the report reads every
	 * compartment's key on it) and the signal-return nonce's page (its
	 * own key): re-keyed to key 0, a compartment would write the
	 * report's return addresses, or read the nonce that the filter's
	 * rt_sigreturn and clone rules want.
	 */
	add(flexos__mpk_ro.ro.lock - (uintptr_t)sysconf(_SC_PAGESIZE), flexos__mpk_ro.ro.report_stack);
	if (flexos__mpk_ro.ro.nonce)
		add((uintptr_t)flexos__mpk_ro.ro.nonce, (uintptr_t)flexos__mpk_ro.ro.nonce + 4096);
	/*
	 * The handler table and the restorer's copy areas (signal.c): a page
	 * mapped over them would name any handler for any compartment, or
	 * let a frame change after its check.
	 */
	uintptr_t sigtab, copy;
	uint64_t stride;
	memcpy(&sigtab, (const char *)flexos__mpk_pkru + MPK_PKRU_SIGTAB, sizeof(sigtab));
	memcpy(&copy, (const char *)flexos__mpk_pkru + MPK_PKRU_SIG_COPY, sizeof(copy));
	memcpy(&stride, (const char *)flexos__mpk_pkru + MPK_PKRU_SIG_COPY_STRIDE, sizeof(stride));
	if (sigtab)
		add(sigtab, copy + (uintptr_t)MPK_GATE_PAGES * MPK_SIG_AREAS * stride);
	nb = flexos__mpk_stack_ranges(ranges + nranges, MAX_RANGES - nranges);
	nranges += nb;
	if (too_many || nranges == MAX_RANGES) {
		flexos__say(
		    "more than %d memory ranges to protect; the filter would leave some out",
		    MAX_RANGES - 1);
		return -E2BIG;
	}
	qsort(ranges, nranges, sizeof(ranges[0]), by_lo);
	/*
	 * Coarser windows need fewer blocks; past 1 GiB the windows would deny
	 * legitimate calls far from any compartment.
	 */
	for (;;) {
		nw = windows(w, align);
		nb = flexos__range_blocks(w, nw, blocks, MAX_BLOCKS);
		if (nb <= MAX_BLOCKS)
			break;
		if ((align <<= 1) > ((uintptr_t)1 << 30)) {
			flexos__say("the protected memory is too scattered for the filter's rules "
				    "(%zu ranges)",
				    nranges);
			return -E2BIG;
		}
	}

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	if ((err = reserve(w, nw))) {
		flexos__say("cannot reserve the address space around the compartments: %s",
			    flexos__strerror(-err));
		return err;
	}
	/* Before the layer, which it must not have (procfiles.c). */
	if ((err = flexos__mpk_proc_files_start())) {
		flexos__say("cannot start the helper that opens a child's /proc/self files: %s",
			    flexos__strerror(-err));
		return err;
	}
	if ((err = close_proc_mem()) < 0) {
		flexos__say("cannot close /proc/self/mem with Landlock: %s",
			    flexos__strerror(-err));
		return err;
	}
	if (err == 1)
		flexos__say("this kernel has no Landlock: /proc/self/mem stays open to an image "
			    "run as root (docs/threat-model.md)");

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	/*
	 * The entry in gate.S, in every image: it checks that the kernel
	 * delivered the signal (a compartment that calls it is a forged
	 * signal) and reports from the report stack (gate key), not on the
	 * signal stack, which every compartment may write (key 0; in images
	 * with newlib compartments the shared key, out of the kernel's
	 * default PKRU's reach). It never returns: the restorer would resume
	 * the frame the kernel wrote on the signal stack, which any
	 * compartment can rewrite meanwhile (an attack review's: a thread of
	 * evil's, preempted in app, resumed in evil's code with app's PKRU).
	 * So a SIGSYS the filter did not raise (a timer's, an I/O signal's:
	 * the filter denies sending SIGSYS) ends the image, and a
	 * thread-making clone from anywhere but the runtime's site is
	 * reported, not moved to the site (glibc's own __clone goes to the
	 * site directly: take_glibc_clone).
	 */
	sa.sa_sigaction = flexos__mpk_sigsys_entry;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	/*
	 * Every signal blocked while it runs (raw, with the kernel's PKRU):
	 * another's frame on top of its own on the signal stack ended the
	 * image (139, an attack review's).
	 */
	sigfillset(&sa.sa_mask);
	if ((err = flexos__mpk_sigaction(SIGSYS, &sa, NULL)))
		return err;
	/* First: the second filter denies seccomp(). */
	if ((err = flexos__mpk_sigreturn_filter())) {
		flexos__say("cannot install the rt_sigreturn filter: %s", flexos__strerror(-err));
		return err;
	}
	/*
	 * Threads only from the runtime's clone site. Not without a key for
	 * the nonce: there a thread can still be made with another's FS base
	 * (docs/threat-model.md, limit 2).
	 */
	if (flexos__mpk_ro.ro.nonce && (err = take_glibc_clone())) {
		if (err < 0) {
			flexos__say("cannot redirect the C library's clone: %s",
				    flexos__strerror(-err));
			return err;
		}
		flexos__say(
		    "this C library's clone is not glibc 2.36's: threads are not "
		    "restricted to the runtime's clone site (docs/threat-model.md, limit 2)");
	} else if (flexos__mpk_ro.ro.nonce) {
		if ((err = flexos__mpk_clone_filter())) {
			flexos__say("cannot install the clone filter: %s", flexos__strerror(-err));
			return err;
		}
		flexos__mpk_clone_active = 1;
	}
	if ((err = flexos__mpk_altstack_filter())) {
		flexos__say("cannot install the sigaltstack filter: %s", flexos__strerror(-err));
		return err;
	}
	if ((err = flexos__mpk_sigaction_filter())) {
		flexos__say("cannot install the sigaction filter: %s", flexos__strerror(-err));
		return err;
	}
	/* The start-up thread's robust-futex list, glibc's (build_filter says why). */
	if (syscall(SYS_set_robust_list, NULL, sizeof(struct robust_list_head)))
		return -errno;
	/* Before the last: that one denies seccomp(). */
	if ((err = build_list_filter())) {
		flexos__say("cannot install the list of allowed system calls: %s",
			    flexos__strerror(-err));
		return err;
	}
	if ((err = build_filter(blocks, nb))) {
		flexos__say("cannot install the system-call filter: %s", flexos__strerror(-err));
		return err;
	}
	return seal();
}
