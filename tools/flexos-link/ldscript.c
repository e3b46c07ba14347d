/*
 * The linker-script writer. The fragment only adds output sections and
 * symbols; the default script of the system linker does everything else,
 * so images stay ordinary executables (PIE, RELRO, dynamic linking).
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <flexos/image.h>

#include "ldscript.h"

/*
 * How an input is named in an input-section description; member selects
 * one member of an archive (NULL: all). A private copy is named by its
 * path, since flexos-link hands the linker the copy itself.
 */
static void write_input_spec_flags(FILE *f, const struct flp_input *in, const char *member,
				   const char *sections, const char *flags)
{
	char prefix[64] = "";

	if (flags && (in->kind == FLP_OBJECT || in->kind == FLP_ARCHIVE))
		snprintf(prefix, sizeof(prefix), "INPUT_SECTION_FLAGS(%s) ", flags);
	switch (in->kind) {
	case FLP_OBJECT:
		fprintf(f, "    %s%s(%s)\n", prefix, flp_link_path(in), sections);
		break;
	case FLP_ARCHIVE:
		if (in->arg[0] == '-' && !in->link_path) {
			/* ld names a searched archive by the directory it found it in. */
			const char *base = strrchr(in->path, '/');
			fprintf(f, "    %s*/%s:%s(%s)\n", prefix, base ? base + 1 : in->path,
				member ? member : "*", sections);
		} else {
			fprintf(f, "    %s%s:%s(%s)\n", prefix, flp_link_path(in),
				member ? member : "*", sections);
		}
		break;
	default:
		/* Shared libraries are mapped by the loader; the runtime finds them. */
		break;
	}
}

static void write_input_spec(FILE *f, const struct flp_input *in, const char *member,
			     const char *sections)
{
	write_input_spec_flags(f, in, member, sections, NULL);
}

/*
 * A `libc: newlib` compartment with asan under protection keys reads the
 * ASan shadow of the memory every compartment shares (the shared data and
 * constants), which takes the shared key (src/harden/asan.c,
 * flexos__asan_key_shared_shadow): one shadow page covers 32 KiB, so those
 * sections start and end on such a boundary, and no shadow page of theirs
 * is also that of another compartment's private memory.
 */
static bool newlib_asan(const struct flc_config *cfg)
{
	if (!(flexos_mechanism_props(cfg->mechanism) & FLEXOS_MECH_PKEYS))
		return false;
	for (size_t c = 0; c < cfg->ncompartments; c++)
		if (cfg->compartments[c].libc == FLC_LIBC_NEWLIB &&
		    (cfg->compartments[c].harden & FLEXOS_HARDEN_ASAN))
			return true;
	return false;
}

/*
 * The alignment of a section's start and end: 32 KiB where its ASan
 * shadow takes a key of its own (one shadow page covers 32 KiB), else a
 * page; and the section's own, which sets its segment's (the loader
 * keeps it).
 */
static const char *boundary(bool shadow_pages)
{
	return shadow_pages ? "0x8000" : "CONSTANT(MAXPAGESIZE)";
}

static const char *own_align(bool shadow_pages)
{
	return shadow_pages ? " ALIGN(0x8000)" : "";
}

/*
 * The read-only constants (.rodata*: string literals, merged constants,
 * const objects and tables) of the compartments that share them. A caller
 * passes literals and const objects across gates without thinking of it
 * (lua_setglobal(L, "arg"), a static const script or table), and under
 * intel-mpk a compartment's .rodata has its key. Statements of the
 * fragment are matched before the default script's and in order, so this
 * section, written before the compartments' own .rodata, takes them first.
 * Its input specs are the compartments', so the default .rodata keeps what
 * no compartment claims (the platform's objects), as before.
 */
static void write_constants(FILE *f, const struct flp_plan *plan)
{
	const struct flc_config *cfg = plan->cfg;
	const struct flexos_region_kind *k = flexos_region_kind(FLEXOS_REGION_RODATA);

	const char *align = boundary(newlib_asan(cfg));

	fprintf(f,
		"  . = ALIGN(%s);\n"
		"  " FLEXOS_CONSTANTS_SECTION " :%s {\n"
		"    HIDDEN(" FLEXOS_CONSTANTS_START " = .);\n",
		align, own_align(newlib_asan(cfg)));
	for (size_t i = 0; i < plan->ninputs; i++) {
		const struct flp_input *in = &plan->inputs[i];
		if (in->compartment < cfg->ncompartments && !in->merged &&
		    !cfg->compartments[in->compartment].constants_private)
			write_input_spec(f, in, NULL, k->inputs);
	}
	fprintf(f,
		"    . = ALIGN(%s);\n"
		"    HIDDEN(" FLEXOS_CONSTANTS_END " = .);\n"
		"  }\n",
		align);
}

static void write_kind(FILE *f, const struct flp_plan *plan, uint32_t region)
{
	const struct flc_config *cfg = plan->cfg;
	const struct flexos_region_kind *k = flexos_region_kind(region);

	fprintf(f, "SECTIONS\n{\n");
	if (region == FLEXOS_REGION_DATA) {
		fprintf(f,
			"  . = ALIGN(%s);\n"
			"  " FLEXOS_SHARED_SECTION " :%s {\n"
			"    HIDDEN(" FLEXOS_SHARED_START " = .);\n"
			"    *(" FLEXOS_SHARED_SECTION " " FLEXOS_SHARED_SECTION
			".* " FLEXOS_SHARED_SECTION_LEGACY ")\n",
			boundary(newlib_asan(cfg)), own_align(newlib_asan(cfg)));
		/* Variables listed in shared_data, each alone in its section. */
		for (size_t j = 0; j < plan->nshared_sections; j++) {
			const struct flp_shared_section *sh = &plan->shared_sections[j];
			write_input_spec(f, &plan->inputs[sh->input], sh->member, sh->section);
		}
		fprintf(f,
			"    . = ALIGN(%s);\n"
			"    HIDDEN(" FLEXOS_SHARED_END " = .);\n"
			"  }\n",
			boundary(newlib_asan(cfg)));
	}
	if (region == FLEXOS_REGION_RODATA && flp_isolates(plan))
		write_constants(f, plan);
	/*
	 * The report's unwinder's state (the list of frames registered with
	 * it, its register table) alone on its pages, which the backend
	 * makes read-only once set up: a compartment can then neither
	 * register unwind rules for the report to evaluate with its rights
	 * nor change the table (main.c links libgcc_eh under protection keys).
	 */
	if (region == FLEXOS_REGION_DATA &&
	    (flexos_mechanism_props(cfg->mechanism) & FLEXOS_MECH_PKEYS))
		fprintf(f,
			"  . = ALIGN(%s);\n"
			"  " FLEXOS_UNWIND_SECTION " : {\n"
			"    HIDDEN(" FLEXOS_UNWIND_START " = .);\n"
			"    *libgcc_eh.a:*(.data .data.* .bss .bss.*)\n"
			"    . = ALIGN(%s);\n"
			"    HIDDEN(" FLEXOS_UNWIND_END " = .);\n"
			"  }\n",
			boundary(false), boundary(false));
	for (size_t c = 0; c < cfg->ncompartments; c++) {
		const char *name = cfg->compartments[c].name;
		/*
		 * One page of ASan shadow covers 32 KiB: an asan compartment's
		 * data under protection keys starts and ends on such a boundary,
		 * so that its shadow pages are its own and take its key
		 * (src/harden/asan.c, flexos__asan_key_shadow).
		 */
		bool shadow_pages = region != FLEXOS_REGION_TEXT &&
				    (cfg->compartments[c].harden & FLEXOS_HARDEN_ASAN) &&
				    (flexos_mechanism_props(cfg->mechanism) & FLEXOS_MECH_PKEYS);
		const char *align = boundary(shadow_pages);
		fprintf(f, "  . = ALIGN(%s);\n", align);
		fprintf(f, "  " FLEXOS_COMP_SECTION_FMT " :%s {\n", name, k->name,
			own_align(shadow_pages));
		fprintf(f, "    HIDDEN(" FLEXOS_COMP_START_FMT " = .);\n", name, k->name);
		if (region == FLEXOS_REGION_TEXT && plan->text_pad)
			fprintf(f, "    . += %#x;\n", plan->text_pad);
		for (size_t i = 0; i < plan->ninputs; i++)
			if (plan->inputs[i].compartment == c && !plan->inputs[i].merged)
				write_input_spec(f, &plan->inputs[i], NULL, k->inputs);
		fprintf(f, "    . = ALIGN(%s);\n", align);
		fprintf(f, "    HIDDEN(" FLEXOS_COMP_END_FMT " = .);\n", name, k->name);
		fprintf(f, "  }\n");
	}
	fprintf(f, "}\nINSERT AFTER %s;\n\n", k->after);
}

int flx_write_ldscript(FILE *f, const struct flp_plan *plan)
{
	fprintf(f, "/* Generated by flexos-link from %s: do not edit. */\n\n", plan->cfg->path);
	for (uint32_t k = 0; k < FLEXOS_REGION_COUNT; k++)
		write_kind(f, plan, k);

	/*
	 * A gate that crosses nothing is the call itself: no added instruction.
	 * A script cannot name a symbol of a shared library, so for those
	 * table.c writes a one-jump stub instead.
	 */
	for (size_t g = 0; g < plan->ngates; g++) {
		const struct flp_gate *gate = &plan->gates[g];
		if (gate->direct && !gate->in_shlib)
			fprintf(f, "PROVIDE(%s = %s);\nEXTERN(%s);\n", gate->symbol, gate->target,
				gate->target);
	}
	return fflush(f) || ferror(f) ? -EIO : 0;
}
