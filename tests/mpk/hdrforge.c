/*
 * attack --hdr-forge header|record (limit 12).
 *
 * header (found by an attack review): a shared library's unwind table
 * lies in that library's read-only segment, which the filter's range
 * rules do not cover. lib1 makes the page of the loader's (ld.so's)
 * .eh_frame_hdr writable and points it (an absolute eh_frame pointer, no
 * search table) at rules of its own in shared memory, which compute each
 * caller's return address as a code address of the loader whose offset
 * carries 16 bits of app's private word (as reportleak.c's did); then it
 * faults with a return address into the loader's code. Before faulting,
 * this prints the offsets the report would show if the word leaks;
 * tests/mpk/vm.sh checks that the report, which reads the runtime's
 * read-only copy of the table (backends/mpk/unwind.c), never shows them
 * (before the copies, it did). The C library's page is covered by
 * another range's window in the test image (its mprotect is denied), the
 * loader's is not.
 *
 * copy: lib1 asks the backend's _dl_find_object for the runtime's copy
 * of the loader's table and makes its page writable, to forge that header
 * instead: the filter denies the mprotect (the copies have a range rule).
 *
 * record: the same header, forged in lib1's own memory, and the loader's
 * record of its object for _dl_find_object (key 0) pointed at it. The
 * report's unwinder asks the backend's wrapper (the runtime's read-only
 * copy) instead: no word of app's is printed. With the loader's answer,
 * it was.
 */
#define _GNU_SOURCE 1
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <flexos/flexos.h>

#include "attacklib.h"
#include "hdrforge.h"
#include "leakrules.h"

/* hf_go(addr, ra): jumps to hf_fault with ra as its return address; it reads addr. */
__asm__(".text\n"
	".type hf_fault, @function\n"
	"hf_fault:\n"
	"	.cfi_startproc\n"
	"	xorl %ebx, %ebx\n"
	"	movq (%rdi), %rax\n"
	"	ud2\n"
	"	.cfi_endproc\n"
	".size hf_fault, .-hf_fault\n"
	".type hf_go, @function\n"
	"hf_go:\n"
	"	pushq %rsi\n"
	"	jmp hf_fault\n"
	".size hf_go, .-hf_go\n");
void hf_go(uintptr_t addr, uintptr_t ra);

/* lib1's rules and what it knows: shared (lib1 reads it with its PKRU). */
static struct {
	unsigned char eh[512] __attribute__((aligned(8)));
	unsigned char fake_hdr[16] __attribute__((aligned(8)));
	uintptr_t secret, lo, base, hdr;
	int record, copy;
} hf FLEXOS_SHARED;

/* The backend's lookup for the report's unwinder (backends/mpk/unwind.c). */
int __wrap__dl_find_object(void *pc, struct dl_find_object *result);

/* Whether lib1 may read [p, p + len): a pipe's write takes it with its PKRU (EFAULT if not). */
static int readable(int fd[2], const void *p, size_t len)
{
	char sink[4096];

	if (write(fd[1], p, len) != (ssize_t)len)
		return 0;
	return read(fd[0], sink, len) == (ssize_t)len;
}

/*
 * The loader's record of its own object for _dl_find_object (glibc 2.35:
 * struct dl_find_object_internal, map_start, map_end, map, eh_frame), in
 * the small writable mappings lib1 may read: its eh_frame pointed at
 * fake_hdr.
 */
static int forge_record(void)
{
	FILE *maps = fopen("/proc/self/maps", "r");
	char line[512];
	int fd[2], found = 0;

	if (!maps || pipe(fd))
		return 0;
	while (!found && fgets(line, sizeof(line), maps)) {
		unsigned long lo, hi;
		char perms[8];
		/* (The loader's small mappings: its own data, its start-up allocations.) */
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || perms[1] != 'w' ||
		    hi - lo > (64ul << 10))
			continue;
		for (uintptr_t page = lo; page < hi && !found; page += 4096) {
			if (!readable(fd, (const void *)page, 4096))
				continue;
			uintptr_t *w = (uintptr_t *)page;
			for (int i = 0; i + 3 < 512; i++)
				if (w[i + 3] == hf.hdr && w[i] <= hf.lo && hf.lo < w[i + 1]) {
					printf(
					    "hdr-forge: the loader's record of its object at %p\n",
					    (void *)&w[i]);
					fflush(stdout);
					w[i + 3] = (uintptr_t)hf.fake_hdr;
					found = 1;
					break;
				}
		}
	}
	fclose(maps);
	close(fd[0]);
	close(fd[1]);
	return found;
}

static int loader(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size, (void)data;
	if (!info->dlpi_name || !strstr(info->dlpi_name, "ld-linux"))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && !hf.lo) {
			hf.base = info->dlpi_addr;
			hf.lo = info->dlpi_addr + ph->p_vaddr;
		}
		if (ph->p_type == PT_GNU_EH_FRAME)
			hf.hdr = info->dlpi_addr + ph->p_vaddr;
	}
	return 1;
}

/* Run by lib1 (lib1_call: cb(x + 1) + 1); never returns if it can write the header. */
static long forge_in_lib1(long x)
{
	const struct leak_range r[] = {{hf.lo + 0x10000, hf.lo + 0x20002}};
	uintptr_t page = hf.hdr & ~(uintptr_t)4095, eh = (uintptr_t)hf.eh;
	unsigned char *h = (unsigned char *)hf.hdr;

	(void)x;
	leak_rules(hf.eh, r, 1, hf.secret, hf.lo + 0x10000);
	if (hf.record) {
		/* The header, forged in lib1's memory, and the loader's record pointed at it. */
		h = hf.fake_hdr;
		h[0] = 1;
	} else if (hf.copy) {
		struct dl_find_object found;
		if (__wrap__dl_find_object((void *)(hf.lo + 0x10001), &found) ||
		    !found.dlfo_eh_frame)
			return -102;
		h = found.dlfo_eh_frame;
		page = (uintptr_t)h & ~(uintptr_t)4095;
		printf("hdr-forge: the runtime's copy of the loader's table at %p, the loader's at "
		       "%p\n",
		       (void *)h, (void *)hf.hdr);
		fflush(stdout);
		if (mprotect((void *)page, (((uintptr_t)h + 12 + 4095) & ~(uintptr_t)4095) - page,
			     PROT_READ | PROT_WRITE))
			return -100;
	} else if (mprotect((void *)page, 4096, PROT_READ | PROT_WRITE)) {
		return -100;
	}
	h[1] = 0x00; /* eh_frame_ptr_enc: an absolute pointer */
	h[2] = 0xff; /* fde_count_enc: none, so no search table: a linear search */
	h[3] = 0xff;
	memcpy(h + 4, &eh, 8);
	if (hf.record && !forge_record())
		return -101;
	hf_go(hf.secret, hf.lo + 0x10001);
	return 0;
}

int hdr_forge(uintptr_t app_secret, const char *how)
{
	long r = 0;
	uint64_t word = *(volatile uint64_t *)app_secret;

	hf.secret = app_secret;
	hf.record = !strcmp(how, "record");
	hf.copy = !strcmp(how, "copy");
	if ((!hf.record && !hf.copy && strcmp(how, "header")) || !dl_iterate_phdr(loader, NULL) ||
	    !hf.hdr || !hf.lo)
		return 2;
	leak_offsets("hdr-forge", word, "ld-linux-x86-64.so.2", hf.lo + 0x10000, hf.base);
	flexos_gate_r(lib1, r, lib1_call, forge_in_lib1, 0);
	printf("hdr-forge: lib1 returned %ld (%s)\n", r - 1,
	       r == -99    ? "the loader's unwind table could not be made writable"
	       : r == -100 ? "the loader's record was not found in memory lib1 may read"
	       : r == -101 ? "the backend named no table for the loader's code"
			   : "?");
	return r == -99 ? 0 : r == -100 ? 3 : 1;
}
