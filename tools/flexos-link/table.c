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
#include <string.h>

#include <flexos/backend.h> /* the stubs' contract with flexos__backend_gate */
#include <flexos/image.h>

#include "proto.h"
#include "util.h"

#include <flexos/harden.h>
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
AT(struct flexos_image, nentries, 84);
AT(struct flexos_image, shlibs, 88);
AT(struct flexos_image, entries, 96);
AT(struct flexos_image, lends, 104);
AT(struct flexos_image, nlends, 112);
_Static_assert(sizeof(struct flexos_image) == 120, "struct flexos_image");
AT(struct flexos_entry, fn, 0);
AT(struct flexos_entry, compartment, 8);
AT(struct flexos_entry, flags, 12);
AT(struct flexos_entry, narrow, 16);
AT(struct flexos_entry, narrow_stack, 20);
AT(struct flexos_entry, callers, 24);
_Static_assert(sizeof(struct flexos_entry) == 32, "struct flexos_entry");
AT(struct flexos_compartment, name, 0);
AT(struct flexos_compartment, id, 8);
AT(struct flexos_compartment, flags, 12);
AT(struct flexos_compartment, regions, 16);
AT(struct flexos_compartment, libc_glue, 16 + 16 * FLEXOS_REGION_COUNT);
AT(struct flexos_compartment, syscalls, 24 + 16 * FLEXOS_REGION_COUNT);
AT(struct flexos_compartment, heap_size, 32 + 16 * FLEXOS_REGION_COUNT);
_Static_assert(sizeof(struct flexos_compartment) == 40 + 16 * FLEXOS_REGION_COUNT,
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
				 (comp->on_crash == FLC_CRASH_RESTART ? FLEXOS_COMP_RESTART : 0) |
				 (comp->constants_private ? FLEXOS_COMP_CONSTANTS_PRIVATE : 0);
		if (comp->sandbox_of)
			flags |= FLEXOS_COMP_SANDBOX | (unsigned)comp->sandbox_of_index
							   << FLEXOS_COMP_HOST_SHIFT;
		if (comp->libc == FLC_LIBC_NEWLIB)
			flags |= FLEXOS_COMP_NEWLIB;
		if (comp->syscalls_all)
			flags |= FLEXOS_COMP_SYSCALLS_ALL;
		if (comp->syscalls_errno)
			flags |= FLEXOS_COMP_SYSCALLS_ERRNO;
		/* The runtime of libflexos-harden.a acts on them (asan: the heap's red zones). */
		flags |= (comp->harden << FLEXOS_COMP_HARDEN_SHIFT) & FLEXOS_COMP_HARDEN_MASK;
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
		if (comp->nsyscall_nrs)
			fprintf(f, "\t.quad .Lflexos_syscalls%zu\n", c);
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

/* Every gate that crosses is an entry, in the order write_entries writes them. */
static bool is_entry(const struct flp_gate *g)
{
	return !g->direct;
}

static size_t count_entries(const struct flp_plan *plan)
{
	size_t n = 0;
	for (size_t g = 0; g < plan->ngates; g++)
		n += is_entry(&plan->gates[g]);
	return n;
}

/*
 * What FLEXOS_CHECK_POINTERS may know of a target's arguments
 * (FLEXOS_ENTRY_PROTO): which integer argument registers hold a data
 * pointer. Without a prototype, nothing (the check then looks at all).
 */
static uint32_t pointer_flags(const struct flx_proto *p)
{
	if (p->source == FLX_PROTO_ASSUMED)
		return 0;
	uint32_t flags = FLEXOS_ENTRY_PROTO;
	for (uint32_t i = 0; i < p->nargs; i++) {
		const struct flx_proto_arg *a = &p->args[i];
		if (!a->stack && a->pointer && a->int_regs == 1)
			flags |= FLEXOS_ENTRY_PTR_REG(a->first_int_reg);
	}
	if (p->variadic)
		flags |= FLEXOS_ENTRY_VARIADIC | ((uint32_t)p->int_regs << FLEXOS_ENTRY_NAMED_SHIFT);
	return flags;
}

/*
 * Pointer lending (backends/common/lend.c): the arguments a crossing
 * gate lends, read from its prototype. Only in isolating images without
 * newlib compartments (lend.c runs in the caller and uses glibc's TLS),
 * for known, non-variadic prototypes (the stub passes the descriptor in
 * %rax) whose result is not on the x87 stack (lend.c may use it):
 *   T * followed by a size_t: that many elements (an array, a buffer);
 *   const char *: a string, strlen + 1 bytes;
 *   a pointer to another complete type: sizeof the pointee;
 * never void *, incomplete types, a non-const char * without a length, or
 * a jmp_buf.
 */
#define LEND_MAX_SIZE    (64 * 4096) /* the largest slot of the lend arena */
#define LEND_MAX_MEMBERS 64          /* pointer members of one lent struct */

/* write_lend writes struct flexos_lend field by field. */
_Static_assert(sizeof(struct flexos_lend_arg) == 32 &&
		   offsetof(struct flexos_lend_arg, size) == 4 &&
		   offsetof(struct flexos_lend_arg, name) == 8 &&
		   offsetof(struct flexos_lend_arg, members) == 16 &&
		   offsetof(struct flexos_lend_arg, nmembers) == 24 &&
		   offsetof(struct flexos_lend_arg, count_size) == 26 &&
		   offsetof(struct flexos_lend_arg, extra) == 28,
	       "struct flexos_lend_arg's layout");
_Static_assert(sizeof(struct flexos_lend_member) == 32 &&
		   offsetof(struct flexos_lend_member, extra) == 24 &&
		   offsetof(struct flexos_lend_member, kind) == 4 &&
		   offsetof(struct flexos_lend_member, size) == 8 &&
		   offsetof(struct flexos_lend_member, count_offset) == 12 &&
		   offsetof(struct flexos_lend_member, name) == 16,
	       "struct flexos_lend_member's layout");
_Static_assert(offsetof(struct flexos_lend, nargs) == 16 &&
		   offsetof(struct flexos_lend, args) == 24,
	       "struct flexos_lend's layout");

#define LEND_MAX_ARGS 16 /* lent arguments of one gate: the six registers, then the stack's */

struct lend_plan {
	uint32_t n;
	uint32_t ends; /* flexos_lend.ends */
	bool sync;     /* the library keeps objects lent: a descriptor even without arguments */
	struct flexos_lend_arg args[LEND_MAX_ARGS];
	const char *names[LEND_MAX_ARGS];
	struct flexos_lend_member members[LEND_MAX_ARGS][LEND_MAX_MEMBERS];
	const char *count_names[LEND_MAX_ARGS][LEND_MAX_MEMBERS]; /* for --explain */
};

/*
 * The library's lend: rule for member (an argument or member) of type
 * (the function, or one of the names in " a b " form), or NULL; marks it
 * used in used[] when given.
 */
static const struct flc_lend_rule *find_rule(const struct flc_library *lib, const char *type,
					     bool names, const char *member, bool *used)
{
	if (!lib || !member || !type)
		return NULL;
	for (size_t r = 0; r < lib->nlend_rules; r++) {
		const struct flc_lend_rule *rule = &lib->lend_rules[r];
		if (strcmp(rule->member, member) || rule->array)
			continue;
		if (names) {
			size_t n = strlen(rule->type);
			const char *at = type;
			bool found = false;
			while (!found && (at = strstr(at, rule->type)))
				found = at > type && at[-1] == ' ' && at[n] == ' ', at += n;
			if (!found)
				continue;
		} else if (strcmp(rule->type, type)) {
			continue;
		}
		if (used)
			used[r] = true;
		return rule;
	}
	return NULL;
}

/*
 * Whether argument k of p is the one a rule calls want: by its name, or
 * as argN (1-based), for prototypes whose header names no parameters
 * (pcre2.h).
 */
static bool arg_is(const struct flx_proto *p, uint32_t k, const char *want)
{
	char pos[16];
	snprintf(pos, sizeof(pos), "arg%u", k + 1);
	return (p->args[k].name && !strcmp(p->args[k].name, want)) || !strcmp(pos, want);
}

/* The library's lend: rule for argument i of fn, or NULL; marks it used. */
static const struct flc_lend_rule *find_arg_rule(const struct flc_library *lib, const char *fn,
						 const struct flx_proto *p, uint32_t i, bool *used)
{
	for (size_t r = 0; lib && r < lib->nlend_rules; r++)
		if (!strcmp(lib->lend_rules[r].type, fn) &&
		    arg_is(p, i, lib->lend_rules[r].member)) {
			if (used)
				used[r] = true;
			return &lib->lend_rules[r];
		}
	return NULL;
}

/*
 * Nested lending: the pointer members of the struct argument a lends,
 * with the sizes their types or the library's lend: rules give. Members
 * that cannot be lent are listed too (FLEXOS_LEND_TRANSLATE), so that a
 * copy's address the callee stores in them comes back as the caller's.
 */
static uint32_t plan_members(const struct flc_library *lib, const struct flx_proto_arg *a,
			     struct flexos_lend_member *out, const char **count_names, bool *used)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < a->nmembers && n < LEND_MAX_MEMBERS; i++) {
		const struct flx_proto_member *m = &a->members[i];
		if (!m->pointer)
			continue;
		struct flexos_lend_member lm = {
		    .offset = m->offset,
		    .flags = m->pointee_const ? FLEXOS_LEND_IN_ONLY : 0,
		    .name = m->name,
		};
		const struct flc_lend_rule *rule =
		    find_rule(lib, a->pointee_names, true, m->name, used);
		const struct flx_proto_member *c = NULL;
		for (uint32_t k = 0; rule && rule->count && k < a->nmembers && !c; k++)
			if (a->members[k].integer && !strcmp(a->members[k].name, rule->count))
				c = &a->members[k];
		count_names[n] = NULL;
		if (m->no_lend) {
			lm.kind = FLEXOS_LEND_TRANSLATE;
		} else if (rule && rule->count && c && c->size <= 8) {
			lm.kind = FLEXOS_LEND_BUFFER;
			lm.size = m->pointee_size && !m->pointee_char ? m->pointee_size : 1;
			lm.count_offset = c->offset;
			lm.count_size = (uint8_t)c->size;
			lm.flags |= c->is_signed ? FLEXOS_LEND_COUNT_SIGNED : 0;
			lm.extra = (int32_t)rule->extra;
			count_names[n] = c->name;
		} else if (rule && !rule->count && rule->bytes <= LEND_MAX_SIZE) {
			lm.kind = FLEXOS_LEND_OBJECT;
			lm.size = (uint32_t)rule->bytes;
		} else if (rule) {
			lm.kind = FLEXOS_LEND_TRANSLATE; /* flx_check_gates says why */
		} else if (m->pointee_char == 2 && m->pointee_const) {
			lm.kind = FLEXOS_LEND_STRING;
		} else if (!m->pointee_char && m->pointee_size &&
			   m->pointee_size <= LEND_MAX_SIZE) {
			lm.kind = FLEXOS_LEND_OBJECT;
			lm.size = m->pointee_size;
		} else {
			lm.kind = FLEXOS_LEND_TRANSLATE;
		}
		out[n++] = lm;
	}
	return n;
}

static const struct flc_library *gate_library(const struct flp_plan *plan,
					      const struct flp_gate *gate)
{
	return gate->library < plan->cfg->nlibraries ? &plan->cfg->libraries[gate->library] : NULL;
}

/*
 * The descriptor's place of an argument that fits one eightbyte: its
 * integer register (0 rdi .. 5 r9), or 6 + its stack slot (the 7th
 * argument and later: the lend gate lends them in the caller's argument
 * area, which the callee owns by the calling convention); -1 otherwise.
 */
static int lend_place(const struct flx_proto_arg *a)
{
	if (!a->stack)
		return a->int_regs == 1 && !a->sse_regs ? a->first_int_reg : -1;
	if (a->cls != FLX_ARG_INTEGER || a->size > 8 || a->stack_offset / 8 > 200)
		return -1;
	return 6 + (int)(a->stack_offset / 8);
}

/* What a "FN.ARG[]" rule needs: a pointer to pointers (T **). */
static bool is_pointer_array(const struct flx_proto_arg *a)
{
	return a->pointer && a->pointee_size == 8 && !a->pointee_char;
}

/*
 * The id of the keeping that a call of fn ends (flexos_lend.ends): 1 + the
 * index of the library's first rule kept until fn; 0 when none is.
 */
static uint32_t kept_id(const struct flc_library *lib, const char *fn)
{
	for (size_t r = 0; lib && r < lib->nlend_rules && r < 255; r++)
		if (lib->lend_rules[r].kept_until && !strcmp(lib->lend_rules[r].kept_until, fn))
			return (uint32_t)r + 1;
	return 0;
}

static bool keeps_objects(const struct flc_library *lib)
{
	for (size_t r = 0; lib && r < lib->nlend_rules; r++)
		if (lib->lend_rules[r].kept_until)
			return true;
	return false;
}

/*
 * Fills lp with what the gate lends; returns whether it needs a
 * descriptor (it lends, or its library keeps objects lent).
 */
static bool plan_lends(const struct flp_plan *plan, const struct flp_gate *gate,
		       struct lend_plan *lp, bool *used)
{
	const struct flc_config *cfg = plan->cfg;
	const struct flx_proto *p = &gate->proto;
	const struct flc_library *lib = gate_library(plan, gate);

	lp->n = 0;
	lp->ends = 0;
	lp->sync = false;
	if (gate->direct || !(flexos_mechanism_props(cfg->mechanism) & FLEXOS_MECH_ISOLATES) ||
	    flc_count_newlib(cfg) > 0)
		return false;
	if (lib && lib->lend_none)
		return false;
	if (p->variadic || p->ret == FLX_RET_X87 || p->ret == FLX_RET_ALL)
		return false;
	if (!gate->callback && keeps_objects(lib)) {
		lp->sync = true;
		lp->ends = kept_id(lib, gate->fn);
	}
	if (p->source == FLX_PROTO_ASSUMED)
		return lp->sync;
	for (uint32_t i = 0; i < p->nargs && lp->n < LEND_MAX_ARGS; i++) {
		const struct flx_proto_arg *a = &p->args[i];
		const struct flx_proto_arg *next = i + 1 < p->nargs ? &p->args[i + 1] : NULL;
		int place = lend_place(a);
		if (!a->pointer || a->no_lend || place < 0)
			continue;
		uint32_t reg = (uint32_t)place;
		struct flexos_lend_arg la = {
		    .reg = (uint8_t)reg,
		    .flags = a->pointee_const ? FLEXOS_LEND_IN_ONLY : 0,
		};
		const struct flc_lend_rule *kept = find_arg_rule(lib, gate->fn, p, i, used);
		/* A rule that only says "kept until FN" sizes the object as if there were none. */
		const struct flc_lend_rule *rule =
		    kept && !kept->count && !kept->bytes && !kept->array ? NULL : kept;
		const struct flx_proto_arg *c = NULL;
		for (uint32_t k = 0; rule && rule->count && k < p->nargs && !c; k++)
			if (arg_is(p, k, rule->count) && lend_place(&p->args[k]) >= 0 &&
			    (rule->deref ? p->args[k].pointer && p->args[k].pointee_size &&
					       p->args[k].pointee_size <= 8
					 : p->args[k].integer))
				c = &p->args[k];
		if (rule && rule->array) {
			/* In a register: lend.c keeps the array's frame record there. */
			if (!is_pointer_array(a) || (rule->count && !c) ||
			    rule->each > LEND_MAX_SIZE || reg >= 6)
				continue; /* flx_check_gates says why */
			la.kind = FLEXOS_LEND_ARRAY;
			la.size = (uint32_t)rule->each;
			la.len_reg = FLEXOS_LEND_NO_COUNT;
			la.flags |= rule->null_terminated ? FLEXOS_LEND_NULL_TERMINATED : 0;
			la.extra = (int32_t)rule->bytes;
			if (c) {
				la.len_reg = (uint8_t)lend_place(c);
				la.count_size = (uint8_t)(rule->deref ? c->pointee_size : c->size);
				la.flags |= rule->deref ? FLEXOS_LEND_COUNT_DEREF : 0;
				la.flags |= c->is_signed ? FLEXOS_LEND_COUNT_SIGNED : 0;
				la.extra = 0;
			}
		} else if (rule && c) {
			la.kind = FLEXOS_LEND_BUFFER;
			la.size = a->pointee_size && !a->pointee_char ? a->pointee_size : 1;
			la.len_reg = (uint8_t)lend_place(c);
			la.count_size = (uint8_t)(rule->deref ? c->pointee_size : c->size);
			la.flags |= rule->deref ? FLEXOS_LEND_COUNT_DEREF : 0;
			la.flags |= c->is_signed ? FLEXOS_LEND_COUNT_SIGNED : 0;
			la.extra = (int32_t)rule->extra;
		} else if (rule && !rule->count && rule->bytes <= LEND_MAX_SIZE) {
			la.kind = FLEXOS_LEND_OBJECT;
			la.size = (uint32_t)rule->bytes;
		} else if (rule) {
			continue; /* flx_check_gates says why */
		} else if ((a->pointee_char || a->pointee_size) && next && next->size_like &&
			   lend_place(next) == (int)reg + 1) {
			la.kind = FLEXOS_LEND_BUFFER;
			la.size = a->pointee_char ? 1 : a->pointee_size;
			la.len_reg = (uint8_t)(reg + 1);
			la.count_size = 8;
		} else if (a->pointee_char == 2 && a->pointee_const) {
			la.kind = FLEXOS_LEND_STRING;
		} else if (!a->pointee_char && a->pointee_size &&
			   a->pointee_size <= LEND_MAX_SIZE) {
			la.kind = FLEXOS_LEND_OBJECT;
			la.size = a->pointee_size;
			/* A stack argument's struct is lent alone (lend.c keeps no frame for it).
			 */
			if (reg < 6)
				la.nmembers = (uint16_t)plan_members(lib, a, lp->members[lp->n],
								     lp->count_names[lp->n], used);
		}
		if (la.kind && kept && kept->kept_until && !kept->array && reg < 6) {
			la.flags |= FLEXOS_LEND_KEPT;
			la.until = (uint8_t)kept_id(lib, kept->kept_until);
			la.nmembers = 0; /* a kept struct is kept whole, its members as they are */
		}
		if (la.kind) {
			lp->names[lp->n] = a->name;
			lp->args[lp->n++] = la;
		}
	}
	return lp->n || lp->sync;
}

void flx_explain_lends(FILE *f, const struct flp_plan *plan, const struct flp_gate *gate)
{
	static const char *const regs[] = {"rdi", "rsi", "rdx", "rcx", "r8", "r9"};
	struct lend_plan lp;

	if (!plan_lends(plan, gate, &lp, NULL))
		return;
	if (lp.sync)
		fprintf(f, "      keeps: %s\n",
			lp.ends
			    ? "brings the objects kept lent to its library up to date, then ends "
			      "those kept until it"
			    : "brings the objects kept lent to its library up to date");
	if (!lp.n)
		return;
	fprintf(f, "      lends:");
	for (uint32_t i = 0; i < lp.n; i++) {
		const struct flexos_lend_arg *a = &lp.args[i];
		const char *where = a->reg < 6 ? regs[a->reg] : "stack";
		const char *count = a->len_reg < 6 ? regs[a->len_reg] : "a stack argument";
		fprintf(f, "%s %s (%s", i ? "," : "", lp.names[i] ? lp.names[i] : "?", where);
		if (a->kind == FLEXOS_LEND_ARRAY) {
			if (a->flags & FLEXOS_LEND_NULL_TERMINATED)
				fprintf(f, ", pointers up to a NULL");
			else if (a->len_reg == FLEXOS_LEND_NO_COUNT)
				fprintf(f, ", %d pointers", a->extra);
			else
				fprintf(f, ", as many pointers as %s says", count);
			fprintf(f, ", each object lent: a heap allocation whole");
			if (a->size)
				fprintf(f, ", another %u bytes", a->size);
			else
				fprintf(f, ", no other");
		} else if (a->kind == FLEXOS_LEND_STRING)
			fprintf(f, ", a string");
		else if (a->kind == FLEXOS_LEND_BUFFER)
			fprintf(f, ", as many %s as %s says", a->size == 1 ? "bytes" : "elements",
				count);
		else
			fprintf(f, ", %u bytes", a->size);
		fprintf(f, a->flags & FLEXOS_LEND_IN_ONLY ? ", in" : ", in and out");
		if (a->flags & FLEXOS_LEND_KEPT)
			fprintf(f, ", kept until %s",
				gate_library(plan, gate)->lend_rules[a->until - 1].kept_until);
		bool first = true;
		for (uint32_t m = 0; m < a->nmembers; m++) {
			const struct flexos_lend_member *lm = &lp.members[i][m];
			if (lm->kind == FLEXOS_LEND_TRANSLATE)
				continue;
			fprintf(f, "%s%s", first ? "; members " : ", ", lm->name);
			first = false;
			if (lm->kind == FLEXOS_LEND_STRING)
				fprintf(f, " (a string)");
			else if (lm->kind == FLEXOS_LEND_BUFFER)
				fprintf(f, " (%s %s)", lp.count_names[i][m],
					lm->size == 1 ? "bytes" : "elements");
			else
				fprintf(f, " (%u bytes)", lm->size);
		}
		fprintf(f, ")");
	}
	fprintf(f, "\n");
}

/*
 * The gate targets (struct flexos_entry), in RELRO: read-only once the
 * loader has relocated them. Callbacks may be called through a pointer
 * from any compartment.
 */
/* Whether the gate's target is listed under 'checkpoint:' of its library. */
static bool checkpointed(const struct flp_plan *plan, const struct flp_gate *g)
{
	return !g->callback && g->library < plan->cfg->nlibraries &&
	       flc_names_has(&plan->cfg->libraries[g->library].checkpoint, g->fn, NULL);
}

/*
 * A function under 'checkpoint:' that no other compartment calls is most
 * likely misspelt: say so, since nothing would be saved for it.
 */
static void warn_unused_checkpoints(const struct flp_plan *plan)
{
	const struct flc_config *cfg = plan->cfg;

	for (size_t l = 0; l < cfg->nlibraries; l++) {
		const struct flc_names *names = &cfg->libraries[l].checkpoint;
		for (size_t i = 0; i < names->count; i++) {
			bool found = false;
			for (size_t g = 0; g < plan->ngates && !found; g++)
				found = is_entry(&plan->gates[g]) && plan->gates[g].library == l &&
					!strcmp(plan->gates[g].fn, names->names[i]);
			if (!found && flp_isolates(plan))
				fprintf(stderr,
					"%s:%u:%u: warning: '%s' under 'checkpoint' of library '%s' "
					"is no function of it that another compartment calls: nothing "
					"is saved for it\n",
					cfg->path, names->pos[i].line, names->pos[i].col,
					names->names[i], cfg->libraries[l].name);
		}
	}
}

/*
 * The registers a call of prototype p uses (FLEXOS_ENTRY_REGS,
 * <flexos/image.h>): the gate clears the others. Nothing for a prototype
 * that is assumed or variadic, or passes or returns a vector wider than
 * 16 bytes (its upper half is in a ymm register).
 */
static uint32_t register_flags(const struct flx_proto *p)
{
	if (p->source == FLX_PROTO_ASSUMED || p->variadic || p->int_regs > 6 || p->sse_regs > 8)
		return 0;
	for (uint32_t i = 0; i < p->nargs; i++)
		if (p->args[i].cls == FLX_ARG_SSE && p->args[i].size > 16)
			return 0;
	uint32_t f = FLEXOS_ENTRY_REGS | (uint32_t)p->int_regs << FLEXOS_ENTRY_NINT_SHIFT |
		     (uint32_t)p->sse_regs << FLEXOS_ENTRY_NSSE_SHIFT;
	switch (p->ret) {
	case FLX_RET_VOID:
		return f;
	case FLX_RET_X87: /* long double: st(0); its _Complex: st(0) and st(1) */
		return f | FLEXOS_ENTRY_RET_ST0 | (p->ret_size > 16 ? FLEXOS_ENTRY_RET_ST1 : 0);
	case FLX_RET_INTEGER:
		if (p->ret_int_regs > 1)
			return f | FLEXOS_ENTRY_RET_RAX | FLEXOS_ENTRY_RET_RDX;
		return f | FLEXOS_ENTRY_RET_RAX |
		       (p->ret_size && p->ret_size <= 4 ? FLEXOS_ENTRY_RET_EAX : 0);
	case FLX_RET_SSE:
		if (p->ret_size > 16)
			return 0;
		if (p->ret_sse_regs > 1)
			return f | FLEXOS_ENTRY_RET_XMM0 | FLEXOS_ENTRY_RET_XMM1;
		/* One register: its low doubleword, its low quadword, or all of it (__m128). */
		if (!p->ret_size || p->ret_size > 8)
			return f | FLEXOS_ENTRY_RET_XMM0;
		return f | FLEXOS_ENTRY_RET_XMM0 |
		       (p->ret_size <= 4 ? FLEXOS_ENTRY_RET_XMM0_D : FLEXOS_ENTRY_RET_XMM0_Q);
	case FLX_RET_MIXED:
		return f | FLEXOS_ENTRY_RET_RAX | FLEXOS_ENTRY_RET_XMM0;
	case FLX_RET_MEMORY: /* rax returns the sret pointer */
		return f | FLEXOS_ENTRY_RET_RAX;
	case FLX_RET_ALL:
		break;
	}
	return 0;
}

/*
 * With register_flags: the argument registers a narrow argument takes
 * (FLEXOS_NARROW_*, <flexos/image.h>), whose other bits the gate clears.
 * An integer or pointer of at most 4 bytes in one register; a vector
 * argument of at most 8 bytes in one (float, double, a struct of two
 * floats): its register's count from the arguments before it.
 */
static uint32_t narrow_flags(const struct flx_proto *p)
{
	if (!register_flags(p))
		return 0;
	uint32_t narrow = 0, sse = 0;
	for (uint32_t i = 0; i < p->nargs; i++) {
		const struct flx_proto_arg *a = &p->args[i];
		if (a->stack)
			continue;
		if (a->cls == FLX_ARG_INTEGER && a->int_regs == 1 && a->size && a->size <= 4)
			narrow |= FLEXOS_NARROW_INT(a->first_int_reg);
		/* (A K&R definition's float comes as a double: its 8 bytes at most.) */
		if (a->cls == FLX_ARG_SSE && a->sse_regs == 1 && a->size && a->size <= 8)
			narrow |= a->size <= 4 && !p->unprototyped ? FLEXOS_NARROW_D(sse)
								   : FLEXOS_NARROW_Q(sse);
		sse += a->sse_regs;
	}
	return narrow;
}

/* The stack arguments of at most 4 bytes, by eightbyte (flexos_entry.narrow_stack). */
static uint32_t narrow_stack_flags(const struct flx_proto *p)
{
	if (!register_flags(p))
		return 0;
	uint32_t narrow = 0;
	for (uint32_t i = 0; i < p->nargs; i++) {
		const struct flx_proto_arg *a = &p->args[i];
		if (a->stack &&
		    (a->cls == FLX_ARG_INTEGER || (a->cls == FLX_ARG_SSE && !p->unprototyped)) &&
		    a->size && a->size <= 4 && a->stack_offset / 8 < 32)
			narrow |= 1u << (a->stack_offset / 8);
	}
	return narrow;
}

static void write_entries(FILE *f, const struct flp_plan *plan)
{
	fprintf(f, "\t.balign 8\n.Lflexos_entries:\n");
	for (size_t g = 0; g < plan->ngates; g++) {
		const struct flp_gate *gate = &plan->gates[g];
		if (!is_entry(gate))
			continue;
		bool callback = gate->callback;
		struct lend_plan lp;
		/* A shared library's function: a dynamic relocation, like its GOT slot's. */
		fprintf(f, "\t.quad %s\n\t.long %zu, %#x, %#x, %#x\n\t.quad %#llx\n", gate->target,
			gate->compartment,
			(callback ? FLEXOS_ENTRY_CALLBACK : 0) | pointer_flags(&gate->proto) |
			    (plan_lends(plan, gate, &lp, NULL) ? FLEXOS_ENTRY_LEND : 0) |
			    (checkpointed(plan, gate) ? FLEXOS_ENTRY_CHECKPOINT : 0) |
			    register_flags(&gate->proto),
			narrow_flags(&gate->proto), narrow_stack_flags(&gate->proto),
			callback ? ~0ULL : (unsigned long long)gate->callers);
	}
}

/* The system calls each compartment may make besides the default policy. */
static void write_syscalls(FILE *f, const struct flc_config *cfg)
{
	fprintf(f, "\t.section " FLEXOS_STRINGS_SECTION ",\"a\"\n\t.balign 4\n");
	for (size_t c = 0; c < cfg->ncompartments; c++) {
		const struct flc_compartment *comp = &cfg->compartments[c];
		if (!comp->nsyscall_nrs)
			continue;
		fprintf(f, ".Lflexos_syscalls%zu:\n", c);
		for (size_t i = 0; i < comp->nsyscall_nrs; i++)
			fprintf(f, "\t.long %u\n", comp->syscall_nrs[i]);
		fprintf(f, "\t.long %#x\n", FLEXOS_SYSCALLS_END);
	}
	fprintf(f, "\t.section " FLEXOS_IMAGE_SECTION ",\"aw\"\n");
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

/* Complains about a lend: rule; error or warning. */
static void rule_message(const struct flc_config *cfg, const struct flc_lend_rule *r, bool error,
			 const char *fmt, const char *a, const char *b)
{
	fprintf(stderr, "%s:%u:%u: %s: lend rule '%s.%s': ", cfg->path, r->pos.line, r->pos.col,
		error ? "error" : "warning", r->type, r->member);
	fprintf(stderr, fmt, a, b);
	fputc('\n', stderr);
}

/*
 * The lend: rules of each library against the prototypes of the gates
 * into it: a count that is not an integer argument (or member) of the
 * same function (or struct), or a rule on something that is not a
 * pointer, is an error; a rule that matches nothing, a warning.
 */
static int check_lend_rules(const struct flp_plan *plan)
{
	const struct flc_config *cfg = plan->cfg;
	int err = 0;

	if (!(flexos_mechanism_props(cfg->mechanism) & FLEXOS_MECH_ISOLATES))
		return 0; /* plain calls lend nothing: the rules wait for an isolating mechanism */
	for (size_t l = 0; l < cfg->nlibraries; l++) {
		const struct flc_library *lib = &cfg->libraries[l];
		if (!lib->nlend_rules)
			continue;
		bool *used = xcalloc(lib->nlend_rules, sizeof(*used));
		bool *bad = xcalloc(lib->nlend_rules, sizeof(*bad));
		for (size_t g = 0; g < plan->ngates; g++) {
			const struct flp_gate *gate = &plan->gates[g];
			const struct flx_proto *p = &gate->proto;
			if (!crosses(gate) || gate->library != l)
				continue;
			for (uint32_t i = 0; i < p->nargs; i++) {
				const struct flx_proto_arg *a = &p->args[i];
				const struct flc_lend_rule *r =
				    find_arg_rule(lib, gate->fn, p, i, used);
				bool ok = true;
				if (r && r->count) {
					ok = false;
					for (uint32_t k = 0; k < p->nargs; k++)
						ok |= arg_is(p, k, r->count) &&
						      lend_place(&p->args[k]) >= 0 &&
						      (r->deref ? p->args[k].pointer &&
								      p->args[k].pointee_size &&
								      p->args[k].pointee_size <= 8
								: p->args[k].integer);
				}
				if (r && !bad[r - lib->lend_rules] && (!ok || !a->pointer)) {
					bad[r - lib->lend_rules] = true;
					rule_message(
					    cfg, r, true,
					    !a->pointer ? "argument '%s' of %s is not a pointer"
							: "'%s' is not an integer argument "
							  "of %s passed in a register (with '*', a "
							  "pointer to one)",
					    !a->pointer ? r->member : r->count, gate->fn);
				} else if (r && !bad[r - lib->lend_rules] && r->kept_until &&
					   lend_place(a) >= 6) {
					bad[r - lib->lend_rules] = true;
					rule_message(cfg, r, true,
						     "argument '%s' of %s is passed on the stack, "
						     "and only arguments in registers are kept "
						     "lent; put the object in shared memory "
						     "(flexos_shared_malloc) instead",
						     r->member, gate->fn);
				} else if (r && !bad[r - lib->lend_rules] && r->array &&
					   !is_pointer_array(a)) {
					bad[r - lib->lend_rules] = true;
					rule_message(cfg, r, true,
						     "argument '%s' of %s is not an array of "
						     "pointers (a T **); write the rule without "
						     "'[]'",
						     r->member, gate->fn);
				}
				for (uint32_t m = 0; m < a->nmembers; m++) {
					const struct flx_proto_member *pm = &a->members[m];
					r = find_rule(lib, a->pointee_names, true, pm->name, used);
					if (!r || bad[r - lib->lend_rules])
						continue;
					ok = !r->count;
					for (uint32_t k = 0; !ok && k < a->nmembers; k++)
						ok = a->members[k].integer &&
						     !strcmp(a->members[k].name, r->count);
					ok = ok && !r->deref;
					/* A kept rule on a member: refused below (no such function). */
					if (!r->kept_until && (!ok || !pm->pointer)) {
						bad[r - lib->lend_rules] = true;
						rule_message(
						    cfg, r, true,
						    !pm->pointer
							? "member '%s' of %s is not a pointer"
							: "'%s' is not an integer member of %s",
						    !pm->pointer ? pm->name : r->count, r->type);
					}
				}
			}
		}
		for (size_t r = 0; r < lib->nlend_rules; r++) {
			const struct flc_lend_rule *rule = &lib->lend_rules[r];
			bool ends = !rule->kept_until, is_fn = !rule->kept_until;
			for (size_t g = 0; g < plan->ngates && rule->kept_until; g++) {
				const struct flp_gate *gate = &plan->gates[g];
				if (!crosses(gate) || gate->library != l || gate->callback)
					continue;
				ends |= !strcmp(gate->fn, rule->kept_until);
				is_fn |= !strcmp(gate->fn, rule->type);
			}
			if (bad[r]) {
				err = -EINVAL;
			} else if (!is_fn) {
				rule_message(
				    cfg, rule, true,
				    "'kept until' applies to arguments of the functions of "
				    "library '%s' that another compartment calls, and '%s' is "
				    "none",
				    lib->name, rule->type);
				err = -EINVAL;
			} else if (!ends) {
				rule_message(cfg, rule, true,
					     "'%s' is no function of library '%s' that another "
					     "compartment calls, so the object would be kept lent "
					     "for ever; name the call that ends the library's use "
					     "of it",
					     rule->kept_until, lib->name);
				err = -EINVAL;
			} else if (rule->each > LEND_MAX_SIZE ||
				   (!rule->array && rule->bytes > LEND_MAX_SIZE)) {
				rule_message(
				    cfg, rule, true,
				    "%s%s: more than the lend arena's largest slot; put the "
				    "object in shared memory (flexos_shared_malloc) instead",
				    "the size is over ", "262144 bytes");
				err = -EINVAL;
			} else if (!used[r])
				rule_message(
				    cfg, rule, false,
				    "no call into library '%s' has an argument or a struct "
				    "member that it names%s",
				    lib->name,
				    " (check the spelling; the prototypes come from "
				    "DWARF or headers:)");
		}
		free(used);
		free(bad);
	}
	return err;
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
	if (check_lend_rules(plan))
		err = -EINVAL;
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
static unsigned long long gate_r10(const struct flp_gate *gate, size_t entry)
{
	unsigned long long stack_q = carry_stack_bytes(&gate->proto) / 8;
	unsigned long long sret_q = (gate->proto.sret_size + 7) / 8;

	return (unsigned long long)gate->compartment |
	       (stack_q & FLEXOS_GATE_FIELD_MASK) << FLEXOS_GATE_STACK_SHIFT |
	       (sret_q & FLEXOS_GATE_FIELD_MASK) << FLEXOS_GATE_SRET_SHIFT |
	       (unsigned long long)entry << FLEXOS_GATE_ENTRY_SHIFT;
}

/* The gate's struct flexos_lend, read-only, and the names it points at. */
static void write_lend(FILE *f, const struct flp_gate *gate, size_t g, const char *to,
		       const struct lend_plan *lp)
{
	fprintf(f, "\t.section " FLEXOS_STRINGS_SECTION ",\"a\"\n");
	char label[64];
	snprintf(label, sizeof(label), ".Lflexos_lendfn%zu", g);
	write_string(f, label, gate->fn);
	for (uint32_t i = 0; i < lp->n; i++)
		if (lp->names[i]) {
			snprintf(label, sizeof(label), ".Lflexos_lendarg%zu_%u", g, i);
			write_string(f, label, lp->names[i]);
		}
	for (uint32_t i = 0; i < lp->n; i++) {
		if (!lp->args[i].nmembers)
			continue;
		fprintf(f, "\t.section " FLEXOS_STRINGS_SECTION ",\"a\"\n");
		for (uint32_t m = 0; m < lp->args[i].nmembers; m++) {
			snprintf(label, sizeof(label), ".Lflexos_lendmn%zu_%u_%u", g, i, m);
			write_string(f, label, lp->members[i][m].name);
		}
		fprintf(f,
			"\t.section " FLEXOS_IMAGE_SECTION ",\"aw\"\n\t.balign 8\n"
			".Lflexos_lendm%zu_%u:\n",
			g, i);
		for (uint32_t m = 0; m < lp->args[i].nmembers; m++) {
			const struct flexos_lend_member *lm = &lp->members[i][m];
			fprintf(f,
				"\t.long %u\n\t.byte %u, %u, %u, 0\n\t.long %u, %u\n"
				"\t.quad .Lflexos_lendmn%zu_%u_%u\n\t.long %d, 0\n",
				lm->offset, lm->kind, lm->flags, lm->count_size, lm->size,
				lm->count_offset, g, i, m, lm->extra);
		}
	}
	fprintf(f,
		"\t.section " FLEXOS_IMAGE_SECTION ",\"aw\"\n\t.balign 8\n.Lflexos_lend%zu:\n"
		"\t.quad %s, .Lflexos_lendfn%zu\n\t.long %u, %u\n",
		g, to, g, lp->n, lp->ends);
	for (uint32_t i = 0; i < lp->n; i++) {
		const struct flexos_lend_arg *a = &lp->args[i];
		fprintf(f, "\t.byte %u, %u, %u, %u\n\t.long %u\n", a->reg, a->kind, a->len_reg,
			a->flags, a->size);
		if (lp->names[i])
			fprintf(f, "\t.quad .Lflexos_lendarg%zu_%u\n", g, i);
		else
			fprintf(f, "\t.quad 0\n");
		if (a->nmembers)
			fprintf(f, "\t.quad .Lflexos_lendm%zu_%u\n", g, i);
		else
			fprintf(f, "\t.quad 0\n");
		fprintf(f, "\t.short %u\n\t.byte %u, %u\n\t.long %d\n", a->nmembers, a->count_size,
			a->until, a->extra);
	}
	fprintf(f, "\t.text\n");
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
	/* The index of each crossing gate in the table write_entries writes. */
	size_t next_entry = 0;
	/* The gates with a lend descriptor (.Lflexos_lendG), for the image's index of them. */
	size_t *lends = xcalloc(plan->ngates ? plan->ngates : 1, sizeof(*lends)), nlends = 0;
	for (size_t g = 0; g < plan->ngates; g++) {
		const struct flp_gate *gate = &plan->gates[g];
		if (gate->direct && gate->in_shlib) {
			fprintf(f,
				"\t.globl %s\n\t.hidden %s\n\t.type %s, @function\n%s:\n"
				"\t.cfi_startproc\n\tjmp %s@PLT\n\t.cfi_endproc\n\t.size %s, .-%s\n",
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
		struct lend_plan lp;
		if (plan_lends(plan, gate, &lp, NULL)) {
			write_lend(f, gate, g, to, &lp);
			lends[nlends++] = g;
			fprintf(
			    f,
			    "\t.globl %s\n\t.hidden %s\n\t.type %s, @function\n\t.balign 16\n%s:\n"
			    "\t.cfi_startproc\n"
			    "\tmovq %s@GOTPCREL(%%rip), %%r11\n"
			    "\tmovabsq $%#llx, %%r10\n"
			    "\tleaq .Lflexos_lend%zu(%%rip), %%rax\n"
			    "\tjmp flexos__lend_gate\n"
			    "\t.cfi_endproc\n"
			    "\t.size %s, .-%s\n",
			    gate->symbol, gate->symbol, gate->symbol, gate->symbol, gate->target,
			    gate_r10(gate, next_entry++), g, gate->symbol, gate->symbol);
			continue;
		}
		fprintf(f,
			"\t.globl %s\n\t.hidden %s\n\t.type %s, @function\n\t.balign 16\n%s:\n"
			"\t.cfi_startproc\n"
			"\t%s %s%s(%%rip), %%r11\n"
			"\tmovabsq $%#llx, %%r10\n"
			"\tjmp %s\n"
			"\t.cfi_endproc\n"
			"\t.size %s, .-%s\n",
			gate->symbol, gate->symbol, gate->symbol, gate->symbol,
			direct_address ? "leaq" : "movq", gate->target,
			direct_address ? "" : "@GOTPCREL", gate_r10(gate, next_entry++), to,
			gate->symbol, gate->symbol);
	}
	fprintf(f, "\t.section " FLEXOS_IMAGE_SECTION ",\"aw\"\n\t.balign 8\n.Lflexos_lends:\n");
	for (size_t i = 0; i < nlends; i++)
		fprintf(f, "\t.quad .Lflexos_lend%zu\n", lends[i]);
	fprintf(f, "\t.set .Lflexos_nlends, %zu\n\t.text\n", nlends);
	free(lends);
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
	fprintf(f, "\t.long %zu, %zu\n\t.quad .Lflexos_shlibs, .Lflexos_entries\n",
		flp_count_claimed_shlibs(plan), count_entries(plan));
	fprintf(f, "\t.quad .Lflexos_lends\n\t.long .Lflexos_nlends, 0\n");
	fprintf(f, "\t.size " FLEXOS_IMAGE_SYMBOL ", .-" FLEXOS_IMAGE_SYMBOL "\n");
	write_compartments(f, cfg);
	write_shlibs(f, plan);
	warn_unused_checkpoints(plan);
	write_entries(f, plan);
	write_syscalls(f, cfg);

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
