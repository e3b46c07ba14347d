/*
 * The link-time check of hardened compartments (docs/hardening.md, "What
 * flexos-link verifies"): every object and archive member of a hardened
 * compartment must show each option, in the switches GCC recorded in it or
 * in the calls its instrumentation makes.
 *
 * Recorded switches are read from .GCC.command.line (-frecord-gcc-switches,
 * which every hardened compile gets) and, for an object without it, from
 * the DW_AT_producer of each compilation unit (-grecord-gcc-switches, GCC's
 * default under -g), through libdwfl, which relocates the DWARF of
 * relocatable objects.
 */
#include "autoconfig.h"

#include <dwarf.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "elf.h"
#include "harden.h"
#include "plan.h"
#include "util.h"

#define STR_(x) #x
#define STR(x)  STR_(x)

/* ---- what one object shows -------------------------------------------- */

struct facts {
	bool has_code;
	bool has_debug;    /* a .debug_info, whose units may name their producer */
	bool has_record;   /* recorded switches: .GCC.command.line or DW_AT_producer */
	unsigned recorded; /* options every recorded command line enables */
	unsigned evidence; /* options whose instrumentation it calls */
	bool record_O0;    /* some recorded command line compiles without optimisation */
	bool fortify_mark; /* the fortify flags' assembler symbol */
	bool userspace_asan;
	char *bad_offset;            /* a recorded shadow offset that is not ours, in words */
	char *example[FLH_NOPTIONS]; /* a call of the instrumentation of each option */
};

/*
 * The state of one recorded command line, switch after switch; O0 until an
 * -O says otherwise, as GCC's default level is 0.
 */
struct record {
	bool sp, ubsan, kasan, uasan, O0;
	char offset[32]; /* of -fasan-shadow-offset, "" if none */
};

static void sanitize_list(struct record *r, const char *list, bool on)
{
	while (*list) {
		size_t n = strcspn(list, ",");
		if ((n == 9 && !strncmp(list, "undefined", n)) ||
		    (n == 3 && !strncmp(list, "all", n)))
			r->ubsan = on;
		if ((n == 14 && !strncmp(list, "kernel-address", n)) ||
		    (n == 3 && !strncmp(list, "all", n)))
			r->kasan = on;
		if ((n == 7 && !strncmp(list, "address", n)) ||
		    (n == 3 && !strncmp(list, "all", n)))
			r->uasan = on;
		list += n + (list[n] == ',');
	}
}

/* The last switch of a kind wins, as it does for GCC. */
static void record_switch(struct record *r, const char *s, size_t n)
{
	char buf[256];

	if (n >= sizeof(buf))
		return;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (!strcmp(buf, "-fstack-protector-all") || !strcmp(buf, "-fstack-protector-strong"))
		r->sp = true;
	else if (!strncmp(buf, "-fstack-protector", 17) || !strcmp(buf, "-fno-stack-protector"))
		r->sp = false;
	else if (!strncmp(buf, "-fsanitize=", 11))
		sanitize_list(r, buf + 11, true);
	else if (!strncmp(buf, "-fno-sanitize=", 14))
		sanitize_list(r, buf + 14, false);
	else if (!strncmp(buf, "-fasan-shadow-offset=", 21)) {
		const char *v = buf + 21;
		/* Longer than any 64-bit number: not ours, whatever it says. */
		if (strlen(v) >= sizeof(r->offset))
			v = "(too long)";
		memcpy(r->offset, v, strlen(v) + 1);
	} else if (buf[0] == '-' && buf[1] == 'O')
		r->O0 = !strcmp(buf, "-O0");
}

static bool offset_is_ours(const struct record *r)
{
	char *end;
	unsigned long long v = strtoull(r->offset, &end, 0);

	return *r->offset && !*end && v == (unsigned long long)FLEXOS_ASAN_SHADOW_OFFSET;
}

static void end_record(struct facts *f, const struct record *r)
{
	unsigned on = (r->sp ? FLEXOS_HARDEN_STACK_PROTECTOR : 0) |
		      (r->ubsan ? FLEXOS_HARDEN_UBSAN : 0) | (r->kasan ? FLEXOS_HARDEN_ASAN : 0);

	f->recorded = f->has_record ? f->recorded & on : on;
	f->has_record = true;
	f->record_O0 |= r->O0;
	f->userspace_asan |= r->uasan;
	if (r->kasan && !offset_is_ours(r) && !f->bad_offset)
		f->bad_offset = *r->offset ? xescape(r->offset)
					   : xstrdup("GCC's own (no -fasan-shadow-offset)");
}

/*
 * GCC 12 writes one string per compilation unit, "GNU C17 12.2.0 -O2 ...";
 * older ones wrote one string per switch. A relocatable link (ld -r) of
 * several units keeps every unit's: an option counts only if all have it.
 */
static void read_command_lines(struct facts *f, const char *data, size_t size)
{
	struct record r = {.O0 = true};
	bool open = false;

	for (size_t off = 0; off < size;) {
		size_t len = strnlen(data + off, size - off);
		/* A copy: the section's last string may lack its NUL. */
		char *s = xcalloc(len + 1, 1);

		memcpy(s, data + off, len);
		if (!strncmp(s, "GNU ", 4)) {
			if (open)
				end_record(f, &r);
			memset(&r, 0, sizeof(r));
			r.O0 = true;
		}
		open = true;
		for (size_t i = 0; i < len;) {
			size_t n = strcspn(s + i, " ");
			if (n)
				record_switch(&r, s + i, n);
			i += n + 1;
		}
		free(s);
		off += len + 1;
	}
	if (open)
		end_record(f, &r);
}

static int collect_section(void *ctx, const struct fle_section *sec)
{
	struct facts *f = ctx;

	if ((sec->flags & 0x4 /* SHF_EXECINSTR */) && sec->size)
		f->has_code = true;
	if (!strcmp(sec->name, ".GCC.command.line") && sec->data)
		read_command_lines(f, (const char *)sec->data, sec->size);
	if (!strcmp(sec->name, ".debug_info"))
		f->has_debug = true;
	return 0;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static void note_evidence(struct facts *f, unsigned bit, const char *symbol)
{
	f->evidence |= bit;
	for (size_t i = 0; i < FLH_NOPTIONS; i++)
		if (flh_options[i].bit == bit && !f->example[i])
			f->example[i] = xstrdup(symbol);
}

static int collect_symbol(void *ctx, const struct fle_symbol *sym)
{
	struct facts *f = ctx;
	const char *s = sym->name;
	size_t n = strlen(s);

	if (sym->defined) {
		if (!sym->global && !strcmp(s, FLH_FORTIFY_MARKER))
			f->fortify_mark = true;
		return 0;
	}
	if (!strcmp(s, "__stack_chk_fail") || !strcmp(s, "__stack_chk_fail_local"))
		note_evidence(f, FLEXOS_HARDEN_STACK_PROTECTOR, s);
	else if (has_prefix(s, "__ubsan_handle_"))
		note_evidence(f, FLEXOS_HARDEN_UBSAN, s);
	else if (has_prefix(s, "__asan_")) {
		/* Userspace ASan's module constructor: its runtime owns malloc. */
		if (!strcmp(s, "__asan_init") || has_prefix(s, "__asan_version_mismatch_check"))
			f->userspace_asan = true;
		note_evidence(f, FLEXOS_HARDEN_ASAN, s);
	} else if (n > 6 && s[0] == '_' && s[1] == '_' && !strcmp(s + n - 4, "_chk"))
		note_evidence(f, FLEXOS_HARDEN_FORTIFY, s);
	return 0;
}

static void free_facts(struct facts *f)
{
	free(f->bad_offset);
	for (size_t i = 0; i < FLH_NOPTIONS; i++)
		free(f->example[i]);
}

/* ---- the check -------------------------------------------------------- */

/* One kind of refusal of one input: reported once, with its first member. */
struct finding {
	char *first; /* "path(member)" */
	size_t more; /* members besides the first */
	char *detail;
};

enum { F_MISSING = 0, F_UNASKED = FLH_NOPTIONS, F_USERSPACE = 2 * FLH_NOPTIONS, F_OFFSET, F_N };

/* An object, or a member of an archive, and what it shows. */
struct member {
	char *name; /* NULL for an object */
	struct facts f;
	bool unique; /* no other member has its name: libdwfl names modules by it */
};

struct check {
	const struct flp_plan *plan;
	const struct flp_input *in;
	unsigned mask; /* the options of the input's compartment */
	struct member *members;
	size_t nmembers;
	struct finding found[F_N];
	int err;
};

static void add_finding(struct check *c, int kind, const char *member, char *detail)
{
	struct finding *fd = &c->found[kind];

	if (fd->first) {
		fd->more++;
		free(detail);
		return;
	}
	char *path = xescape(c->in->path), *m = member ? xescape(member) : NULL;
	fd->first = m ? xasprintf("%s(%s)", path, m) : xstrdup(path);
	fd->detail = detail;
	free(path);
	free(m);
}

static bool shows(const struct facts *f, size_t i)
{
	unsigned bit = flh_options[i].bit;

	if (f->evidence & bit)
		return true;
	if (bit == FLEXOS_HARDEN_FORTIFY)
		return f->fortify_mark && !f->record_O0;
	return f->recorded & bit;
}

static char *why_missing(const struct facts *f, const struct flh_option *o)
{
	if (o->bit == FLEXOS_HARDEN_FORTIFY && f->fortify_mark)
		return xstrdup("it was compiled without optimisation, which turns fortify off");
	if (o->bit == FLEXOS_HARDEN_FORTIFY)
		return xstrdup("it has no " FLH_FORTIFY_MARKER " symbol, which the fortify flags "
			       "define, and calls no __*_chk function");
	if (f->has_record)
		return xasprintf("its recorded switches have no %s, and it calls no %s",
				 o->switches, o->calls);
	return xasprintf(
	    "it records no compiler switches (-frecord-gcc-switches, or -g), and calls "
	    "no %s",
	    o->calls);
}

static int collect_object(void *ctx, const char *name, struct fle_object *obj)
{
	struct check *c = ctx;
	struct member *m;

	c->members = xrealloc(c->members, (c->nmembers + 1) * sizeof(*c->members));
	m = &c->members[c->nmembers++];
	memset(m, 0, sizeof(*m));
	m->name = name ? xstrdup(name) : NULL;
	m->unique = true;
	for (size_t k = 0; name && k + 1 < c->nmembers; k++)
		if (!strcmp(c->members[k].name, name))
			m->unique = c->members[k].unique = false;
	if (fle_object_sections(obj, collect_section, &m->f) ||
	    fle_object_symbols(obj, collect_symbol, &m->f))
		return -1;
	return 0;
}

/* What the check needs of a member and does not have yet: its producers. */
static bool wants_producer(const struct check *c, const struct member *m)
{
	if (m->f.has_record || !m->f.has_debug || !m->f.has_code || !m->unique)
		return false;
	for (size_t i = 0; i < FLH_NOPTIONS; i++)
		if ((c->mask & flh_options[i].bit) && !shows(&m->f, i))
			return true;
	return false;
}

static int on_module(Dwfl_Module *mod, void **user, const char *name, Dwarf_Addr start, void *arg)
{
	struct check *c = arg;
	size_t plen = strlen(c->in->path);
	const char *member = NULL;
	struct member *m = NULL;
	Dwarf_Addr bias;

	(void)user;
	(void)start;
	/* libdwfl names an archive's members "ARCHIVE:MEMBER". */
	if (c->in->kind == FLP_ARCHIVE) {
		if (strncmp(name, c->in->path, plen) || name[plen] != ':')
			return DWARF_CB_OK;
		member = name + plen + 1;
	}
	for (size_t k = 0; k < c->nmembers && !m; k++)
		if (!member || (c->members[k].name && !strcmp(c->members[k].name, member)))
			m = &c->members[k];
	if (!m || !wants_producer(c, m) || !dwfl_module_getdwarf(mod, &bias))
		return DWARF_CB_OK;
	for (Dwarf_Die *cu = NULL; (cu = dwfl_module_nextcu(mod, cu, &bias));) {
		Dwarf_Attribute a;
		const char *producer =
		    dwarf_attr(cu, DW_AT_producer, &a) ? dwarf_formstring(&a) : NULL;
		/* A unit that names no producer is a record of no switch: it shows nothing. */
		if (!producer)
			producer = "";
		read_command_lines(&m->f, producer, strlen(producer) + 1);
	}
	return DWARF_CB_OK;
}

static int no_debuginfo(Dwfl_Module *mod, void **user, const char *modname, Dwarf_Addr base,
			const char *file, const char *debuglink, GElf_Word crc, char **path)
{
	(void)mod, (void)user, (void)modname, (void)base, (void)file, (void)debuglink, (void)crc,
	    (void)path;
	return -1; /* The members' own DWARF only. */
}

/*
 * DW_AT_producer, for the members that record no .GCC.command.line but
 * have DWARF; libdwfl relocates a relocatable object's .debug_info, which
 * a plain reader would see with every string offset 0.
 */
static void read_producers(struct check *c)
{
	static char *debuginfo_path;
	static const Dwfl_Callbacks callbacks = {
	    .find_elf = dwfl_build_id_find_elf,
	    .find_debuginfo = no_debuginfo,
	    .section_address = dwfl_offline_section_address,
	    .debuginfo_path = &debuginfo_path,
	};
	bool wanted = false;

	for (size_t k = 0; k < c->nmembers; k++)
		wanted |= wants_producer(c, &c->members[k]);
	if (!wanted)
		return;
	Dwfl *dwfl = dwfl_begin(&callbacks);
	int fd = open(c->in->path, O_RDONLY | O_CLOEXEC);
	if (!dwfl || fd < 0) {
		if (fd >= 0)
			close(fd);
		dwfl_end(dwfl);
		return;
	}
	/* dwfl_report_offline owns fd from here. */
	if (dwfl_report_offline(dwfl, c->in->path, c->in->path, fd) &&
	    !dwfl_report_end(dwfl, NULL, NULL))
		dwfl_getmodules(dwfl, on_module, c, 0);
	dwfl_end(dwfl);
}

static void judge(struct check *c, const struct member *m)
{
	const struct facts *f = &m->f;

	for (size_t i = 0; i < FLH_NOPTIONS; i++) {
		const struct flh_option *o = &flh_options[i];
		/* Nothing to instrument: data only. */
		if ((c->mask & o->bit) && f->has_code && !shows(f, i))
			add_finding(c, F_MISSING + (int)i, m->name, why_missing(f, o));
		/* Its calls would reach a runtime that does not know the compartment. */
		if (!(c->mask & o->bit) && o->needs_runtime && (f->evidence & o->bit))
			add_finding(c, F_UNASKED + (int)i, m->name, xstrdup(f->example[i]));
	}
	if (f->userspace_asan && (c->mask & FLEXOS_HARDEN_ASAN))
		add_finding(c, F_USERSPACE, m->name, NULL);
	else if (f->bad_offset && (c->mask & FLEXOS_HARDEN_ASAN))
		add_finding(c, F_OFFSET, m->name, xstrdup(f->bad_offset));
}

static const char *comp_name(const struct check *c)
{
	return c->plan->cfg->compartments[c->in->compartment].name;
}

/* "flexos-cc -c flexos.yaml -l libfoo -- gcc ..." for the input's library. */
static char *fix_command(const struct check *c)
{
	const struct flc_config *cfg = c->plan->cfg;

	if (c->in->library != FLP_NONE)
		return xasprintf("flexos-cc -c %s -l %s -- gcc ...", cfg->path,
				 cfg->libraries[c->in->library].name);
	return xasprintf("flexos-cc -c %s -C %s -- gcc ...", cfg->path, comp_name(c));
}

static void print_others(const struct finding *fd)
{
	if (fd->more)
		fprintf(stderr, " (and %zu other member%s)", fd->more, fd->more == 1 ? "" : "s");
}

static void report(struct check *c)
{
	const struct flc_config *cfg = c->plan->cfg;
	const struct flc_compartment *comp = &cfg->compartments[c->in->compartment];
	char *fix = fix_command(c);

	for (int k = 0; k < F_N; k++) {
		struct finding *fd = &c->found[k];
		if (!fd->first)
			continue;
		c->err = -1;
		if (k < F_UNASKED) {
			const struct flh_option *o = &flh_options[k];
			struct flc_pos at = comp->harden_pos[k];
			fprintf(stderr, "%s:%u:%u: error: %s", cfg->path, at.line, at.col,
				fd->first);
			print_others(fd);
			fprintf(stderr,
				" of compartment '%s' was not built with %s (%s); rebuild it with "
				"`%s`, or add `pkg-config --cflags flexos-harden-%s` to its "
				"CFLAGS\n",
				comp->name, o->name, fd->detail, fix, o->name);
		} else if (k < F_USERSPACE) {
			const struct flh_option *o = &flh_options[k - F_UNASKED];
			fprintf(stderr, "%s:%u:%u: error: %s", cfg->path, comp->pos.line,
				comp->pos.col, fd->first);
			print_others(fd);
			fprintf(stderr,
				" of compartment '%s' is instrumented for %s (it calls %s), which "
				"'%s' does not ask for: its checks would need the hardening "
				"runtime and could not know its compartment; add %s to its "
				"'hardening', or rebuild it without %s\n",
				comp->name, o->name, fd->detail, comp->name, o->name, o->switches);
		} else {
			struct flc_pos at = comp->harden_pos[2]; /* asan */
			fprintf(stderr, "%s:%u:%u: error: %s", cfg->path, at.line, at.col,
				fd->first);
			print_others(fd);
			if (k == F_USERSPACE)
				fprintf(
				    stderr,
				    " of compartment '%s' was built with userspace ASan "
				    "(-fsanitize=address), whose runtime replaces malloc for the "
				    "whole process; rebuild it with `%s`, which uses "
				    "-fsanitize=kernel-address\n",
				    comp->name, fix);
			else
				fprintf(
				    stderr,
				    " of compartment '%s' was built with ASan shadow offset %s, "
				    "but the runtime's is %s; rebuild it with `%s`\n",
				    comp->name, fd->detail, STR(FLEXOS_ASAN_SHADOW_OFFSET), fix);
		}
		free(fd->first);
		free(fd->detail);
		fd->first = fd->detail = NULL;
		fd->more = 0;
	}
	free(fix);
}

int flh_check_plan(const struct flp_plan *plan)
{
	const struct flc_config *cfg = plan->cfg;
	int err = 0;

	for (size_t i = 0; i < plan->ninputs; i++) {
		const struct flp_input *in = &plan->inputs[i];
		if (in->compartment == FLP_NONE)
			continue;
		struct check c = {
		    .plan = plan, .in = in, .mask = cfg->compartments[in->compartment].harden};

		if (in->kind == FLP_SHARED && c.mask) {
			const struct flc_compartment *comp = &cfg->compartments[in->compartment];
			char *path = xescape(in->path);
			fprintf(stderr,
				"%s:%u:%u: warning: %s of compartment '%s' is a shared library, "
				"whose objects flexos-link cannot tell apart: its hardening is not "
				"verified; link its static archive to have it checked\n",
				cfg->path, comp->pos.line, comp->pos.col, path, comp->name);
			free(path);
			continue;
		}
		if (in->kind != FLP_OBJECT && in->kind != FLP_ARCHIVE)
			continue;
		if (fle_objects(in->path, collect_object, &c)) {
			err = -1;
		} else {
			read_producers(&c);
			for (size_t k = 0; k < c.nmembers; k++)
				judge(&c, &c.members[k]);
			report(&c);
			err |= c.err;
		}
		for (size_t k = 0; k < c.nmembers; k++) {
			free(c.members[k].name);
			free_facts(&c.members[k].f);
		}
		free(c.members);
	}
	return err;
}
