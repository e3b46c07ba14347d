/*
 * The fault report's unwinder under intel-mpk (limit 12 in
 * docs/threat-model.md). The report walks every compartment's stack with
 * its own rights, which read every key, and evaluates each frame's unwind
 * rules: rules a compartment wrote would have it read another
 * compartment's memory and print it as return addresses. So everything
 * the unwinder (libgcc_eh, linked into the image) reads or writes is out
 * of the compartments' reach once start-up is over:
 *
 * - its own state (registered frames, register sizes) is read-only
 *   (flexos__mpk_unwinder_seal);
 * - it finds a code address's table through _dl_find_object, which
 *   flexos-link wraps: the answer comes from the runtime's read-only
 *   table of the code loaded at start-up, not from the loader's records
 *   (key 0);
 * - the tables: the image's lie in its read-only segments, which the
 *   filter's range rules keep so. A shared library's lie in that
 *   library's segments, which a compartment may make writable (range
 *   rules over every library make the filter too scattered to build), so
 *   start-up copies each library's .eh_frame_hdr and the .eh_frame
 *   records it names into one mapping of its own (ehcopy.c: the
 *   pc-relative pointers moved by the copy's distance, or every pointer
 *   absolute where the copy lies more than 2 GiB away), makes it
 *   read-only and gives it a range rule (filter.c).
 *
 * A copy still points into its library at the personality routine's slot
 * and at the language-specific data (.gcc_except_table): exception
 * handling reads them with the rights of the compartment that throws; the
 * report's walk (_Unwind_Backtrace) reads the slot and calls nothing.
 */
#include "autoconfig.h"

#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unwind.h>

#include "common.h"
#include "ehcopy.h"
#include "mpk.h"
#include "runtime.h"

/* ---- the unwinder's state -------------------------------------------------- */

/* The bounds of the report's unwinder's state (flexos-link's script; absent: none to seal). */
extern char flexos__unwind_start[] __asm__(FLEXOS_UNWIND_START)
    __attribute__((weak, visibility("hidden")));
extern char flexos__unwind_end[] __asm__(FLEXOS_UNWIND_END)
    __attribute__((weak, visibility("hidden")));

static _Unwind_Reason_Code unwind_first_frame(struct _Unwind_Context *ctx, void *arg)
{
	(void)ctx;
	(void)arg;
	return _URC_END_OF_STACK;
}

/*
 * The unwinder keeps its state in key-0 memory: the frames registered
 * with it (a compartment could register rules of its own) and its table
 * of register sizes. flexos-link puts that state on pages of its own; one
 * walk sets the table up, then the pages are made read-only, and the
 * filter's range rule over the image keeps them so. Nothing is registered
 * on this platform (the unwinder finds the tables through
 * _dl_find_object), so the walks it does later write nothing there; a
 * registration is then a write fault.
 */
void flexos__mpk_unwinder_seal(void)
{
	uintptr_t lo = (uintptr_t)flexos__unwind_start, hi = (uintptr_t)flexos__unwind_end;

	if (!lo || hi <= lo)
		return;
	_Unwind_Backtrace(unwind_first_frame, NULL);
	if (mprotect(flexos__unwind_start, hi - lo, PROT_READ))
		flexos__die(FLEXOS_EXIT_SETUP,
			    "cannot make the fault report's unwinder state "
			    "read-only: %s",
			    flexos__strerror(errno));
}

/*
 * The unwinder's lookup: from the runtime's read-only table of the code
 * loaded at start-up (symbols.c), whose tables the copies below replace
 * for the shared libraries. Before that table is final, the loader's
 * answer.
 */
int __wrap__dl_find_object(void *pc, struct dl_find_object *result)
{
	if (!flexos__ro.s.symbols.code_final)
		return __real__dl_find_object(pc, result);
	const struct flexos__code_segment *seg = flexos__code_segment((uintptr_t)pc);
	if (!seg || !seg->eh_frame)
		return -1;
	memset(result, 0, sizeof(*result));
	result->dlfo_map_start = (void *)seg->lo;
	result->dlfo_map_end = (void *)seg->hi;
	result->dlfo_eh_frame = (void *)seg->eh_frame;
	return 0;
}

/* ---- the shared libraries' tables ------------------------------------------- */

#define MAX_TABLES FLEXOS__MAX_CODE_SEGMENTS
static struct table {
	struct flexos__eh_table eh;
	const char *name;
} tables[MAX_TABLES];
static size_t ntables;
static int too_many_tables;

/* Each shared library's table (not the image's: the filter's range rules keep it). */
static int find_table(struct dl_phdr_info *info, size_t size, void *data)
{
	int *seen = data;
	const char *name = info->dlpi_name ? strrchr(info->dlpi_name, '/') : NULL;

	(void)size;
	if (!(*seen)++)
		return 0;
	if (ntables == MAX_TABLES) {
		too_many_tables = 1;
		return 1;
	}
	struct table *t = &tables[ntables];
	if (flexos__eh_table_of(info, &t->eh)) {
		t->name = name ? name + 1 : info->dlpi_name;
		ntables++;
	}
	return 0;
}

int flexos__mpk_unwind_tables_copy(struct mpk_ro *ro)
{
	struct flexos__ro_state *s = &flexos__ro.s;
	size_t total = 0;
	int seen = 0, err;

	dl_iterate_phdr(find_table, &seen);
	if (too_many_tables) {
		flexos__say("more than %d shared libraries with unwind tables to copy; link fewer",
			    MAX_TABLES);
		return -E2BIG;
	}
	for (size_t i = 0; i < ntables; i++) {
		struct table *t = &tables[i];
		if (!t->eh.seg_end || flexos__eh_measure(&t->eh)) {
			flexos__say(
			    "cannot read the unwind table of %s (.eh_frame_hdr at %p): it is "
			    "not laid out as GNU ld lays it out",
			    t->name, (void *)t->eh.hdr);
			return -EINVAL;
		}
		total += flexos__eh_room(&t->eh);
	}
	if (!total)
		return 0;
	total = (total + 4095) & ~(size_t)4095;
	unsigned char *copy =
	    mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (copy == MAP_FAILED)
		return -errno;
	unsigned char *pos = copy;
	for (size_t i = 0; i < ntables; i++) {
		struct table *t = &tables[i];
		if ((err = flexos__eh_copy(&t->eh, pos, 0))) {
			flexos__say("cannot copy the unwind table of %s to %p: %s", t->name,
				    (void *)pos,
				    err == -ERANGE ? "the copy lies more than 2 GiB from it, and "
						     "its table cannot be made position-independent"
						   : "an encoding it does not expect");
			munmap(copy, total);
			return err;
		}
		pos = t->eh.copy_end;
	}
	if (mprotect(copy, total, PROT_READ)) {
		err = -errno;
		munmap(copy, total);
		return err;
	}
	/* Every code segment outside the image now names its library's copy. */
	for (uint32_t i = 0; i < s->symbols.ncode && i < FLEXOS__MAX_CODE_SEGMENTS; i++) {
		struct flexos__code_segment *seg = &s->symbols.code[i];
		size_t k = 0;
		while (k < ntables && (uintptr_t)tables[k].eh.hdr != seg->eh_frame)
			k++;
		if (k < ntables)
			seg->eh_frame = (uintptr_t)tables[k].eh.copy_hdr;
		else if (seg->eh_frame && (seg->eh_frame < s->symbols.image_lo ||
					   seg->eh_frame >= s->symbols.image_hi))
			seg->eh_frame = 0; /* never the library's own: no table */
	}
	ro->unwind_lo = (uintptr_t)copy;
	ro->unwind_hi = (uintptr_t)copy + total;
	return 0;
}
