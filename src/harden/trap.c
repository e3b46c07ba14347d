/*
 * The platform's side of the trap by which the hardening runtime of a
 * `libc: newlib` compartment reports (trap.h, newlib.c). Each backend's
 * SIGSEGV handler calls flexos__harden_trap first; it runs where key 0 is
 * open (under intel-mpk the report path's PKRU reads every compartment),
 * so it can read the compartment table, the symbol table and the UBSan
 * data in the compartment, and report as flexos__harden_report does.
 */
#include "autoconfig.h"

#include <string.h>
#include <ucontext.h>

#include "harden_impl.h"
#include "trap.h"

static const char *const fortify_fns[FLEXOS__FORTIFY_NFNS] = {
#define FN(name, i) [i] = #name,
    FLEXOS__FORTIFY_FNS(FN)
#undef FN
};

static const char *const asan_fns[FLEXOS__ASAN_NFNS] = {
#define FN(name, i) [i] = #name,
    FLEXOS__ASAN_FNS(FN)
#undef FN
};

/*
 * asan.o maps the shadow before any constructor: only images with an
 * asan newlib compartment link it (flexos-link's -u), the others would
 * pay 16 TiB of address space for nothing.
 */
#pragma weak flexos__asan_trap_access

static noreturn void asan_free_trap(uintptr_t p, uintptr_t what, uintptr_t fn, uintptr_t pc)
{
	const char *name = fn < FLEXOS__ASAN_NFNS ? asan_fns[fn] : "free";

	if (what == FLEXOS__ASAN_FREED)
		flexos__harden_report(pc, "double-free", NULL, "%s(%#lx): freed already", name,
				      (unsigned long)p);
	if (what == FLEXOS__ASAN_NOT_START)
		flexos__harden_report(pc, "bad-free", NULL,
				      "%s(%#lx): not the start of an allocation (or its header was "
				      "overwritten)",
				      name, (unsigned long)p);
	flexos__harden_report(pc, "bad-free", NULL, "%s(%#lx): not an allocation of this heap",
			      name, (unsigned long)p);
}

void flexos__harden_trap(const void *ctx)
{
	const ucontext_t *uc = ctx;
	const greg_t *r = uc->uc_mcontext.gregs;
	uint32_t id = (uint32_t)r[REG_RAX];
	uintptr_t a = (uintptr_t)r[REG_RDI], b = (uintptr_t)r[REG_RSI], c = (uintptr_t)r[REG_RDX];
	uintptr_t pc = (uintptr_t)r[REG_RCX];

	/*
	 * %r11 first: with it, the fault was the trap's load, so the bytes at
	 * the pc were just fetched and can be read.
	 */
	if ((uint64_t)r[REG_R11] != FLEXOS__HARDEN_TRAP_ADDR ||
	    memcmp((const void *)r[REG_RIP], FLEXOS__HARDEN_TRAP_INSN FLEXOS__HARDEN_TRAP_MAGIC,
		   FLEXOS__HARDEN_TRAP_LEN))
		return;
	/*
	 * The trap is in the code of the compartment that raised it; the
	 * code it names must be that compartment's too, or the report would
	 * blame another.
	 */
	int comp = flexos__code_owner((uintptr_t)r[REG_RIP]);
	if (comp < 0)
		return;
	if (flexos__code_owner(pc - 1) != comp)
		pc = (uintptr_t)r[REG_RIP] + 1;
	if (id == FLEXOS__TRAP_STACK_PROTECT)
		flexos__harden_report(pc, "stack-protector", NULL, "%s", FLEXOS__STACK_SMASHED);
	if (id == FLEXOS__TRAP_FORTIFY) {
		const char *fn = a < FLEXOS__FORTIFY_NFNS ? fortify_fns[a] : "unknown";
		if (!strcmp(fn, "unknown"))
			flexos__harden_report(pc, "fortify", NULL,
					      "a checked function of newlib found a buffer "
					      "overflow");
		flexos__harden_report(
		    pc, "fortify", NULL,
		    "%s of %zu bytes into a buffer of %zu bytes (buffer overflow)", fn, (size_t)b,
		    (size_t)c);
	}
	if (id == FLEXOS__TRAP_ASAN_ACCESS) {
		if (flexos__asan_trap_access)
			flexos__asan_trap_access(a, (size_t)b, c != 0, pc);
		flexos__harden_report(pc, "asan", NULL,
				      "an ASan check trapped, but the image has no ASan runtime "
				      "(link it with this version of flexos-link)");
	}
	if (id == FLEXOS__TRAP_ASAN_FREE)
		asan_free_trap(a, b, c, pc);
	flexos__ubsan_trap(id, a, b, c, pc, comp);
}
