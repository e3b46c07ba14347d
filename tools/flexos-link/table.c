/*
 * The image descriptor and gate stubs, written as assembly so that the
 * image needs no header and no compiler flags beyond the link itself. The
 * static assertions below pin struct flexos_image (<flexos/image.h>) to
 * the order in which the descriptor is written here.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include <flexos/image.h>

#include "table.h"

/* What flx_write_table emits, field by field: any layout change breaks the build. */
#define AT(type, field, off) _Static_assert(offsetof(type, field) == (off), #type "." #field)
AT(struct flexos_image, magic, 0);
AT(struct flexos_image, version, 8);
AT(struct flexos_image, mechanism, 12);
AT(struct flexos_image, ncompartments, 16);
AT(struct flexos_image, default_id, 20);
AT(struct flexos_image, nlibraries, 24);
AT(struct flexos_image, reserved, 28);
AT(struct flexos_image, compartments, 32);
AT(struct flexos_image, libraries, 40);
AT(struct flexos_image, shared, 48);
AT(struct flexos_image, backend, 64);
AT(struct flexos_image, config_path, 72);
AT(struct flexos_image, nshlibs, 80);
AT(struct flexos_image, reserved2, 84);
AT(struct flexos_image, shlibs, 88);
_Static_assert(sizeof(struct flexos_image) == 96, "struct flexos_image");
AT(struct flexos_compartment, name, 0);
AT(struct flexos_compartment, id, 8);
AT(struct flexos_compartment, flags, 12);
AT(struct flexos_compartment, regions, 16);
AT(struct flexos_compartment, libc_glue, 16 + 16 * FLEXOS_REGION_COUNT);
AT(struct flexos_compartment, heap_size, 24 + 16 * FLEXOS_REGION_COUNT);
_Static_assert(sizeof(struct flexos_compartment) == 32 + 16 * FLEXOS_REGION_COUNT,
	       "struct flexos_compartment");
AT(struct flexos_library, name, 0);
AT(struct flexos_library, compartment, 8);
_Static_assert(sizeof(struct flexos_library) == 16, "struct flexos_library");
AT(struct flexos_shlib, path, 0);
AT(struct flexos_shlib, compartment, 8);
_Static_assert(sizeof(struct flexos_shlib) == 16, "struct flexos_shlib");
AT(struct flexos_region, start, 0);
AT(struct flexos_region, end, 8);
#undef AT

static void write_string(FILE *f, const char *label, const char *s)
{
	fprintf(f, "%s:\n\t.asciz \"", label);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			fprintf(f, "\\%03o", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fprintf(f, "\"\n");
}

static void write_compartments(FILE *f, const struct flc_config *cfg)
{
	fprintf(f, "\t.balign 8\n.Lflexos_compartments:\n");
	for (size_t c = 0; c < cfg->ncompartments; c++) {
		const struct flc_compartment *comp = &cfg->compartments[c];
		unsigned flags = (c == cfg->default_index ? FLEXOS_COMP_DEFAULT : 0) |
				 (comp->stack == FLC_STACK_SHARED ? FLEXOS_COMP_SHARED_STACKS : 0) |
				 (comp->on_crash == FLC_CRASH_RESTART ? FLEXOS_COMP_RESTART : 0);
		if (comp->sandbox_of)
			flags |= FLEXOS_COMP_SANDBOX |
				 (unsigned)comp->sandbox_of_index << FLEXOS_COMP_HOST_SHIFT;
		if (comp->libc == FLC_LIBC_NEWLIB)
			flags |= FLEXOS_COMP_NEWLIB;
		fprintf(f, "\t.quad .Lflexos_cname%zu\n\t.long %zu, %#x\n", c, c, flags);
		for (uint32_t k = 0; k < FLEXOS_REGION_COUNT; k++) {
			const char *kind = flexos_region_kind(k)->name;
			fprintf(f, "\t.quad " FLEXOS_COMP_START_FMT ", " FLEXOS_COMP_END_FMT "\n",
				comp->name, kind, comp->name, kind);
		}
		if (comp->libc == FLC_LIBC_NEWLIB)
			fprintf(f, "\t.quad " FLEXOS_NEWLIB_GLUE_FMT "\n", comp->name);
		else
			fprintf(f, "\t.quad 0\n");
		fprintf(f, "\t.quad %llu\n",
			comp->heap_size ? comp->heap_size : FLEXOS_DEFAULT_HEAP_SIZE);
	}
	fprintf(f, ".Lflexos_libraries:\n");
	for (size_t l = 0; l < cfg->nlibraries; l++)
		fprintf(f, "\t.quad .Lflexos_lname%zu\n\t.long %zu, 0\n", l,
			cfg->libraries[l].compartment_index);
}

/* Claimed shared libraries: the runtime finds them loaded, by real path. */
static void write_shlibs(FILE *f, const struct flp_plan *plan)
{
	fprintf(f, "\t.balign 8\n.Lflexos_shlibs:\n");
	for (size_t i = 0; i < plan->ninputs; i++)
		if (flp_claimed_shlib(&plan->inputs[i]))
			fprintf(f, "\t.quad .Lflexos_shlib%zu\n\t.long %zu, 0\n", i,
				plan->inputs[i].compartment);
	fprintf(f, "\t.section " FLEXOS_STRINGS_SECTION ",\"a\"\n");
	for (size_t i = 0; i < plan->ninputs; i++) {
		if (!flp_claimed_shlib(&plan->inputs[i]))
			continue;
		char label[64], *real = realpath(plan->inputs[i].path, NULL);
		snprintf(label, sizeof(label), ".Lflexos_shlib%zu", i);
		write_string(f, label, real ? real : plan->inputs[i].path);
		free(real);
	}
	fprintf(f, "\t.section " FLEXOS_IMAGE_SECTION ",\"aw\"\n");
}

static void write_stubs(FILE *f, const struct flp_plan *plan)
{
	/*
	 * The stack mode is per image (config.c checks that all agree), and
	 * newlib compartments have private stacks.
	 */
	const bool has_newlib = flc_count_newlib(plan->cfg) > 0;
	const char *entry = "flexos__backend_gate";
	if (has_newlib)
		entry = "flexos__backend_gate_newlib";
	else if (plan->cfg->ncompartments && plan->cfg->compartments[0].stack == FLC_STACK_SHARED)
		entry = "flexos__backend_gate_shared_stacks";

	fprintf(f, "\n\t.text\n");
	for (size_t g = 0; g < plan->ngates; g++) {
		const struct flp_gate *gate = &plan->gates[g];
		if (gate->direct && gate->in_shlib) {
			fprintf(f,
				"\t.globl %s\n\t.hidden %s\n\t.type %s, @function\n%s:\n"
				"\tjmp %s@PLT\n\t.size %s, .-%s\n",
				gate->symbol, gate->symbol, gate->symbol, gate->symbol,
				gate->target, gate->symbol, gate->symbol);
			continue;
		}
		if (gate->direct)
			continue;
		/*
		 * The contract of flexos__backend_gate: %r11 callee, %r10 its
		 * compartment. A newlib compartment may not read the GOT (key
		 * 0): its stubs take the address of the image's own functions
		 * directly (newlib.c refuses its calls into shared libraries).
		 */
		bool direct_address = has_newlib && !gate->in_shlib;
		fprintf(f,
			"\t.globl %s\n\t.hidden %s\n\t.type %s, @function\n\t.balign 16\n%s:\n"
			"\t%s %s%s(%%rip), %%r11\n"
			"\tmovl $%zu, %%r10d\n"
			"\tjmp %s\n"
			"\t.size %s, .-%s\n",
			gate->symbol, gate->symbol, gate->symbol, gate->symbol,
			direct_address ? "leaq" : "movq", gate->target,
			direct_address ? "" : "@GOTPCREL", gate->compartment, entry, gate->symbol,
			gate->symbol);
	}
}

int flx_write_table(FILE *f, const struct flp_plan *plan)
{
	const struct flc_config *cfg = plan->cfg;

	fprintf(f, "/* Generated by flexos-link from %s: do not edit. */\n", cfg->path);
	/* The fields of struct flexos_image, in order (asserted above). */
	fprintf(f, "\t.section " FLEXOS_IMAGE_SECTION ",\"aw\"\n"
		   "\t.balign 8\n"
		   "\t.globl " FLEXOS_IMAGE_SYMBOL "\n"
		   "\t.hidden " FLEXOS_IMAGE_SYMBOL "\n"
		   "\t.type " FLEXOS_IMAGE_SYMBOL ", @object\n" FLEXOS_IMAGE_SYMBOL ":\n");
	fprintf(f, "\t.quad %#llx\n", (unsigned long long)FLEXOS_IMAGE_MAGIC);
	fprintf(f, "\t.long %u, %u, %zu, %zu, %zu, 0\n", FLEXOS_IMAGE_VERSION,
		(unsigned)cfg->mechanism, cfg->ncompartments, cfg->default_index, cfg->nlibraries);
	fprintf(f, "\t.quad .Lflexos_compartments, .Lflexos_libraries\n"
		   "\t.quad " FLEXOS_SHARED_START ", " FLEXOS_SHARED_END "\n"
		   "\t.quad flexos__backend\n"
		   "\t.quad .Lflexos_config\n");
	fprintf(f, "\t.long %zu, 0\n\t.quad .Lflexos_shlibs\n", flp_count_claimed_shlibs(plan));
	fprintf(f, "\t.size " FLEXOS_IMAGE_SYMBOL ", .-" FLEXOS_IMAGE_SYMBOL "\n");
	write_compartments(f, cfg);
	write_shlibs(f, plan);

	fprintf(f, "\n\t.section " FLEXOS_STRINGS_SECTION ",\"a\"\n");
	write_string(f, ".Lflexos_config", cfg->path);
	for (size_t c = 0; c < cfg->ncompartments; c++) {
		char label[64];
		snprintf(label, sizeof(label), ".Lflexos_cname%zu", c);
		write_string(f, label, cfg->compartments[c].name);
	}
	for (size_t l = 0; l < cfg->nlibraries; l++) {
		char label[64];
		snprintf(label, sizeof(label), ".Lflexos_lname%zu", l);
		write_string(f, label, cfg->libraries[l].name);
	}

	/* Priority 101 runs before every constructor of the application. */
	fprintf(f,
		"\n\t.section .init_array.00101,\"aw\"\n\t.balign 8\n\t.quad " FLEXOS_START_SYMBOL
		"\n");
	write_stubs(f, plan);
	fprintf(f, "\t.section .note.GNU-stack,\"\",@progbits\n");
	return fflush(f) || ferror(f) ? -EIO : 0;
}
