/*
 * What the system-call filters of the isolating backends share: the calls
 * that reach memory through the kernel's remote-access path (the process
 * backend's policy leaves them out whatever its table says, the intel-mpk
 * filter denies them), the rules that keep the memory-management calls
 * off protected address ranges, and the names of the calls for reports.
 */
#include "autoconfig.h"

#include <errno.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/shm.h>

#include "common.h"

/*
 * Each reaches another process's memory, or the caller's own, through the
 * kernel's remote-access path, which ignores protection keys even on the
 * process itself. flexos-link refuses them in 'syscalls:' by name
 * (tools/flexos-link/syscalls.c); the process backend's policy skips them
 * again, should a table say otherwise, and the intel-mpk filter denies
 * them.
 */
static const struct {
	int nr;
	const char *name;
} remote[] = {
    {SCMP_SYS(process_vm_readv), "process_vm_readv"},
    {SCMP_SYS(process_vm_writev), "process_vm_writev"},
    {SCMP_SYS(ptrace), "ptrace"},
    {SCMP_SYS(process_madvise), "process_madvise"},
    {SCMP_SYS(pidfd_getfd), "pidfd_getfd"},
};

#define REMOTE_COUNT (sizeof(remote) / sizeof(remote[0]))

/* The names of the calls the filters deny by argument or outright, for reports. */
static const struct {
	int nr;
	const char *name;
} memcalls[] = {
    {SCMP_SYS(mprotect), "mprotect"},
    {SCMP_SYS(pkey_mprotect), "pkey_mprotect"},
    {SCMP_SYS(munmap), "munmap"},
    {SCMP_SYS(mremap), "mremap"},
    {SCMP_SYS(madvise), "madvise"},
    {SCMP_SYS(mmap), "mmap"},
    {SCMP_SYS(shmat), "shmat"},
    {SCMP_SYS(prctl), "prctl"},
    /* what the intel-mpk filter denies besides */
    {SCMP_SYS(userfaultfd), "userfaultfd"},
    {SCMP_SYS(personality), "personality"},
    {SCMP_SYS(pkey_alloc), "pkey_alloc"},
    {SCMP_SYS(pkey_free), "pkey_free"},
    {SCMP_SYS(seccomp), "seccomp"},
    {SCMP_SYS(remap_file_pages), "remap_file_pages"},
    {SCMP_SYS(io_uring_setup), "io_uring_setup"},
    {SCMP_SYS(io_uring_enter), "io_uring_enter"},
    {SCMP_SYS(io_uring_register), "io_uring_register"},
    {SCMP_SYS(arch_prctl), "arch_prctl"},
    {SCMP_SYS(perf_event_open), "perf_event_open"},
    {SCMP_SYS(bpf), "bpf"},
    {SCMP_SYS(ioctl), "ioctl"},
    {SCMP_SYS(init_module), "init_module"},
    {SCMP_SYS(finit_module), "finit_module"},
    {SCMP_SYS(set_tid_address), "set_tid_address"},
    {SCMP_SYS(kill), "kill"},
    {SCMP_SYS(tkill), "tkill"},
    {SCMP_SYS(tgkill), "tgkill"},
    {SCMP_SYS(rt_sigqueueinfo), "rt_sigqueueinfo"},
    {SCMP_SYS(rt_tgsigqueueinfo), "rt_tgsigqueueinfo"},
    {SCMP_SYS(pidfd_send_signal), "pidfd_send_signal"},
};

int flexos__syscall_remote(int nr)
{
	for (size_t i = 0; i < REMOTE_COUNT; i++)
		if (remote[i].nr == nr)
			return 1;
	return 0;
}

const char *flexos__syscall_name(long nr)
{
	for (size_t i = 0; i < REMOTE_COUNT; i++)
		if (remote[i].nr == nr)
			return remote[i].name;
	for (size_t i = 0; i < sizeof(memcalls) / sizeof(memcalls[0]); i++)
		if (memcalls[i].nr == nr)
			return memcalls[i].name;
	return NULL;
}

int flexos__seccomp_deny_remote(scmp_filter_ctx f, uint32_t action)
{
	int err = 0;

	for (size_t i = 0; i < REMOTE_COUNT && !err; i++)
		err = seccomp_rule_add(f, action, remote[i].nr, 0);
	return err;
}

size_t flexos__range_blocks(const struct flexos__range *r, size_t n, struct flexos__range *out,
			    size_t max)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		uintptr_t a = r[i].lo;
		while (a < r[i].hi) {
			/* The largest aligned power of two at a that stays inside. */
			uintptr_t size = a ? a & -a : (uintptr_t)1 << 62;
			while (size > r[i].hi - a)
				size >>= 1;
			if (k < max)
				out[k] = (struct flexos__range){a, a + size};
			k++;
			a += size;
		}
	}
	return k;
}

/*
 * libseccomp 2.5 refuses two comparisons of one argument in one rule
 * (-EINVAL), and no rule can add two arguments: "addr + len > lo" cannot
 * be written. A block [b, b + 2^k) is one comparison, (addr & ~(2^k - 1))
 * == b; the caller's windows start maxlen below what they protect, so a
 * call whose addr is below a window and whose len is at most maxlen ends
 * before the protected bytes, and longer calls are denied everywhere.
 */
int flexos__seccomp_deny_ranges(scmp_filter_ctx f, uint32_t action, const struct flexos__range *w,
				size_t n, uint64_t maxlen)
{
	static const int by_addr[] = {SCMP_SYS(mprotect), SCMP_SYS(pkey_mprotect), SCMP_SYS(munmap),
				      SCMP_SYS(mremap), SCMP_SYS(madvise)};
	const struct scmp_arg_cmp fixed = SCMP_A3(SCMP_CMP_MASKED_EQ, MAP_FIXED, MAP_FIXED);
	int err = 0;

	for (size_t i = 0; i < sizeof(by_addr) / sizeof(by_addr[0]) && !err; i++)
		err = seccomp_rule_add(f, action, by_addr[i], 1, SCMP_A1(SCMP_CMP_GT, maxlen));
	if (!err)
		err = seccomp_rule_add(f, action, SCMP_SYS(mmap), 2, SCMP_A1(SCMP_CMP_GT, maxlen),
				       fixed);
	/* A new address for a mapping (MREMAP_FIXED) or a SysV segment over one (SHM_REMAP). */
	if (!err)
		err = seccomp_rule_add(f, action, SCMP_SYS(mremap), 1,
				       SCMP_A3(SCMP_CMP_MASKED_EQ, MREMAP_FIXED, MREMAP_FIXED));
	if (!err)
		err = seccomp_rule_add(f, action, SCMP_SYS(shmat), 1,
				       SCMP_A2(SCMP_CMP_MASKED_EQ, SHM_REMAP, SHM_REMAP));

	for (size_t b = 0; b < n && !err; b++) {
		scmp_datum_t mask = ~(scmp_datum_t)(w[b].hi - w[b].lo - 1);
		const struct scmp_arg_cmp in = SCMP_A0(SCMP_CMP_MASKED_EQ, mask, w[b].lo);
		for (size_t i = 0; i < sizeof(by_addr) / sizeof(by_addr[0]) && !err; i++)
			err = seccomp_rule_add(f, action, by_addr[i], 1, in);
		if (!err)
			err = seccomp_rule_add(f, action, SCMP_SYS(mmap), 2, in, fixed);
	}
	return err;
}
