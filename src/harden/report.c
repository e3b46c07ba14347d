/*
 * The reports of the hardening runtimes, and which compartments are
 * hardened. A report reuses the runtime's own report path: compartment
 * names from the image, flexos__describe_pc and flexos__print_backtrace
 * to symbolize, flexos__say to write.
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "harden_impl.h"

static uint32_t comp_flags[FLEXOS_MAX_COMPARTMENTS];

/*
 * Before any constructor: the table and the override are read while no
 * protection is in force yet, and kept in platform memory that every
 * compartment may read.
 */
static void read_flags(int argc, char **argv, char **envp)
{
	const struct flexos_image *img = &flexos__image;

	(void)argc, (void)argv, (void)envp;
	if (!img)
		return;
	for (uint32_t id = 0; id < img->ncompartments && id < FLEXOS_MAX_COMPARTMENTS; id++) {
		const char *name = img->compartments[id].name;
		comp_flags[id] = img->compartments[id].flags & FLEXOS_COMP_HARDEN_MASK;
		if (!flexos_harden_override)
			continue;
		for (const struct flexos_harden_override *o = flexos_harden_override;
		     o->compartment; o++)
			if (!strcmp(o->compartment, name))
				comp_flags[id] |= o->flags & FLEXOS_COMP_HARDEN_MASK;
	}
}

__attribute__((used, section(".preinit_array"))) static void (*const read_flags_entry)(
    int, char **, char **) = read_flags;

uint32_t flexos__harden_flags(int id)
{
	if (id < 0 || id >= FLEXOS_MAX_COMPARTMENTS)
		return 0;
	return comp_flags[id];
}

static const char *comp_name(int id)
{
	const struct flexos_image *img = &flexos__image;

	if (!img || id < 0 || (uint32_t)id >= img->ncompartments)
		return "?";
	return img->compartments[id].name;
}

/*
 * Whose bug: the compartment of the code that found it, else the running
 * one. pc is a return address: after a call that does not return it may
 * be the first byte past the function, so the call's own byte is asked.
 */
static int culprit(uintptr_t pc)
{
	int id = flexos__code_owner(pc - 1);

	return id >= 0 ? id : flexos__backend.current();
}

noreturn void flexos__harden_report(uintptr_t pc, const char *kind, const char *where,
				    const char *fmt, ...)
{
	char detail[512], code[256];
	va_list ap;
	uint32_t mech = flexos__backend.mechanism;

	/* Formatted without the C library (flexos__vformat): no allocation, no GOT. */
	va_start(ap, fmt);
	flexos__vformat(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (!where) {
		/* pc is a return address: the call is the instruction before it. */
		flexos__describe_pc(code, sizeof(code), pc - 1);
		where = code;
	}
	flexos__say("compartment '%s': %s: %s, at %s", comp_name(culprit(pc)), kind, detail, where);
	/*
	 * Under process the compartment's process dies of a trap: its
	 * backend reports it with the backtrace and applies on_crash, as for
	 * any crash of the compartment. Under intel-mpk the unwinder would
	 * walk into stacks the compartment's key does not open: no backtrace.
	 */
	if (mech == FLEXOS_MECH_PROCESS)
		__builtin_trap();
	if (mech == FLEXOS_MECH_NONE) {
		flexos__say("backtrace:");
		flexos__print_backtrace(0);
	}
	flexos__say("the image exits with status %d", FLEXOS_EXIT_FAULT);
	_exit(FLEXOS_EXIT_FAULT);
}
