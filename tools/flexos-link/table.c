/*
 * The image descriptor and gate stubs, written as assembly so that the
 * image needs no header and no compiler flags beyond the link itself. The
 * layout must match struct flexos_image in <flexos/backend.h>.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <flexos/backend.h>

#include "ldscript.h"
#include "newlib.h"
#include "proto.h"
#include "table.h"

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

static unsigned mechanism_code(enum flc_mechanism m)
{
	switch (m) {
	case FLC_MECH_MPK:
		return FLEXOS_MECH_MPK;
	case FLC_MECH_PROCESS:
		return FLEXOS_MECH_PROCESS;
	case FLC_MECH_NONE:
		break;
	}
	return FLEXOS_MECH_NONE;
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
		for (size_t k = 0; k < FLEXOS_REGION_COUNT; k++)
			fprintf(f, "\t.quad __flexos_%s_%s_start, __flexos_%s_%s_end\n", comp->name,
				flx_section_kinds[k].name, comp->name, flx_section_kinds[k].name);
		if (comp->libc == FLC_LIBC_NEWLIB)
			fprintf(f, "\t.quad %s__%s\n", NEWLIB_GLUE_SYMBOL, comp->name);
		else
			fprintf(f, "\t.quad 0\n");
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
	fprintf(f, "\t.section .rodata.flexos__strings,\"a\"\n");
	for (size_t i = 0; i < plan->ninputs; i++) {
		if (!flp_claimed_shlib(&plan->inputs[i]))
			continue;
		char label[64], *real = realpath(plan->inputs[i].path, NULL);
		snprintf(label, sizeof(label), ".Lflexos_shlib%zu", i);
		write_string(f, label, real ? real : plan->inputs[i].path);
		free(real);
	}
	fprintf(f, "\t.section .data.rel.ro.flexos__image,\"aw\"\n");
}

/*
 * Without a prototype the gate carries this many bytes of stack arguments
 * (8 eightbytes: up to 14 integer arguments, or small structs by value).
 * A prototype's numbers are taken as given: proto.c already counts a
 * variadic call's window beyond its named arguments.
 */
#define ASSUMED_STACK_BYTES 64

static uint32_t carry_stack_bytes(const struct flx_proto *p)
{
	if (p->source == FLX_PROTO_ASSUMED && p->stack_bytes == 0)
		return ASSUMED_STACK_BYTES;
	return p->stack_bytes;
}

/* Whether the gate leaves the caller's compartment (not the plain call). */
static bool crosses(const struct flp_gate *gate)
{
	return !gate->direct;
}

int flx_check_gates(const struct flp_plan *plan)
{
	int err = 0;

	for (size_t g = 0; g < plan->ngates; g++) {
		const struct flp_gate *gate = &plan->gates[g];
		const struct flx_proto *p = &gate->proto;
		if (!crosses(gate))
			continue;
		const char *how = p->source == FLX_PROTO_DWARF    ? "as its DWARF says"
				  : p->source == FLX_PROTO_HEADER ? "as its header says"
								  : "without a prototype";
		if (carry_stack_bytes(p) > FLEXOS_GATE_MAX_CARRY) {
			fprintf(stderr,
				"%s: the call to %s passes %u bytes on the stack (%s), "
				"more than the %d a gate carries; pass a pointer to shared "
				"memory instead, or put %s in its caller's compartment\n",
				gate->first_user ? gate->first_user : plan->cfg->path, gate->fn,
				carry_stack_bytes(p), how, FLEXOS_GATE_MAX_CARRY, gate->fn);
			err = -EINVAL;
		}
		if (p->sret_size > FLEXOS_GATE_MAX_CARRY) {
			fprintf(stderr,
				"%s: %s returns a struct of %u bytes, more than the %d a gate "
				"carries back; return it through a pointer to shared memory, "
				"or put %s in its caller's compartment\n",
				gate->first_user ? gate->first_user : plan->cfg->path, gate->fn,
				p->sret_size, FLEXOS_GATE_MAX_CARRY, gate->fn);
			err = -EINVAL;
		}
	}
	return err;
}

/*
 * proto.c's: whether a call passes integer registers only and returns in
 * rax:rdx only. Weak, so that without the prototype code linked in (NULL)
 * every gate takes the entry that carries everything.
 */
extern bool flx_proto_int_regs_only(const struct flx_proto *p) __attribute__((weak));

static bool int_regs_only(const struct flx_proto *p)
{
	return flx_proto_int_regs_only && flx_proto_int_regs_only(p);
}

/*
 * The stub's %r10 (contract in <flexos/backend.h>): the id, and in the
 * upper bits what the call passes in memory; exactly the id for calls
 * with register arguments only.
 */
static unsigned long gate_r10(const struct flp_gate *gate)
{
	unsigned long stack_q = carry_stack_bytes(&gate->proto) / 8;
	unsigned long sret_q = (gate->proto.sret_size + 7) / 8;

	return (unsigned long)gate->compartment |
	       (stack_q & FLEXOS_GATE_FIELD_MASK) << FLEXOS_GATE_STACK_SHIFT |
	       (sret_q & FLEXOS_GATE_FIELD_MASK) << FLEXOS_GATE_SRET_SHIFT;
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
		 * compartment and what the call carries in memory. A newlib
		 * compartment may not read the GOT (key 0): its stubs take the
		 * address of the image's own functions directly (newlib.c
		 * refuses its calls into shared libraries).
		 */
		bool direct_address = has_newlib && !gate->in_shlib;
		const char *to = entry;
		if (!strcmp(entry, "flexos__backend_gate") && int_regs_only(&gate->proto))
			to = "flexos__backend_gate_int";
		fprintf(f,
			"\t.globl %s\n\t.hidden %s\n\t.type %s, @function\n\t.balign 16\n%s:\n"
			"\t%s %s%s(%%rip), %%r11\n"
			"\tmovl $%#lx, %%r10d\n"
			"\tjmp %s\n"
			"\t.size %s, .-%s\n",
			gate->symbol, gate->symbol, gate->symbol, gate->symbol,
			direct_address ? "leaq" : "movq", gate->target,
			direct_address ? "" : "@GOTPCREL", gate_r10(gate), to, gate->symbol,
			gate->symbol);
	}
}

int flx_write_table(FILE *f, const struct flp_plan *plan)
{
	const struct flc_config *cfg = plan->cfg;

	fprintf(f, "/* Generated by flexos-link from %s: do not edit. */\n", cfg->path);
	fprintf(f, "\t.section .data.rel.ro.flexos__image,\"aw\"\n"
		   "\t.balign 8\n"
		   "\t.globl flexos__image\n"
		   "\t.hidden flexos__image\n"
		   "\t.type flexos__image, @object\n"
		   "flexos__image:\n");
	fprintf(f, "\t.quad %#llx\n", (unsigned long long)FLEXOS_IMAGE_MAGIC);
	fprintf(f, "\t.long %u, %u, %zu, %zu, %zu, 0\n", FLEXOS_IMAGE_VERSION,
		mechanism_code(cfg->mechanism), cfg->ncompartments, cfg->default_index,
		cfg->nlibraries);
	fprintf(f, "\t.quad .Lflexos_compartments, .Lflexos_libraries\n"
		   "\t.quad __flexos_shared_start, __flexos_shared_end\n"
		   "\t.quad flexos__backend\n"
		   "\t.quad .Lflexos_config\n");
	fprintf(f, "\t.long %zu, 0\n\t.quad .Lflexos_shlibs\n", flp_count_claimed_shlibs(plan));
	fprintf(f, "\t.size flexos__image, .-flexos__image\n");
	write_compartments(f, cfg);
	write_shlibs(f, plan);

	fprintf(f, "\n\t.section .rodata.flexos__strings,\"a\"\n");
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
	fprintf(f, "\n\t.section .init_array.00101,\"aw\"\n\t.balign 8\n\t.quad flexos__start\n");
	write_stubs(f, plan);
	fprintf(f, "\t.section .note.GNU-stack,\"\",@progbits\n");
	return fflush(f) || ferror(f) ? -EIO : 0;
}
