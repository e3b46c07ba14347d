/*
 * The exploration file's parser (docs/man/flexos-explore.1 specifies the
 * format). Like flexos-link's config.c it walks libyaml's document tree and
 * reports every mistake as file:line:col, and goes on after one so that a
 * run shows them all.
 */
#include "autoconfig.h"

#include "explore.h"
#include "harden.h"
#include "util.h"
#include "yaml-node.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct parser {
	const char *name;
	FILE *err;
	yaml_document_t doc;
	struct fxe_spec *spec;
	unsigned nerrors;
};

static void error_at(struct parser *p, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void error_at(struct parser *p, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	fput_escaped(p->name, p->err);
	fprintf(p->err, ":%u:%u: error: ", n ? (unsigned)n->start_mark.line + 1 : 1,
		n ? (unsigned)n->start_mark.column + 1 : 1);
	fput_escaped(msg ? msg : "out of memory", p->err);
	fputc('\n', p->err);
	free(msg);
	p->nerrors++;
}

static yaml_node_t *node(struct parser *p, int id)
{
	return yaml_document_get_node(&p->doc, id);
}

static bool is_scalar(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE;
}

static bool is_empty(const yaml_node_t *n)
{
	if (ynode_is_null(n))
		return true;
	if (n->type == YAML_SEQUENCE_NODE)
		return n->data.sequence.items.top == n->data.sequence.items.start;
	if (n->type == YAML_MAPPING_NODE)
		return n->data.mapping.pairs.top == n->data.mapping.pairs.start;
	return false;
}

/* Writes n as YAML flow text: the generated flexos.yaml gets it unchanged. */
static void emit_flow(struct parser *p, const yaml_node_t *n, FILE *f)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:
		if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
			fputs(ynode_str(n), f);
		} else {
			fputc('"', f);
			for (const char *s = ynode_str(n); *s; s++) {
				if (*s == '"' || *s == '\\')
					fputc('\\', f);
				if (*s == '\n')
					fputs("\\n", f);
				else
					fputc(*s, f);
			}
			fputc('"', f);
		}
		break;
	case YAML_SEQUENCE_NODE:
		fputc('[', f);
		for (yaml_node_item_t *i = n->data.sequence.items.start;
		     i < n->data.sequence.items.top; i++) {
			if (i != n->data.sequence.items.start)
				fputs(", ", f);
			emit_flow(p, node(p, *i), f);
		}
		fputc(']', f);
		break;
	case YAML_MAPPING_NODE:
		fputc('{', f);
		for (yaml_node_pair_t *q = n->data.mapping.pairs.start;
		     q < n->data.mapping.pairs.top; q++) {
			if (q != n->data.mapping.pairs.start)
				fputs(", ", f);
			emit_flow(p, node(p, q->key), f);
			fputs(": ", f);
			emit_flow(p, node(p, q->value), f);
		}
		fputc('}', f);
		break;
	default:
		break;
	}
}

static char *flow_text(struct parser *p, const yaml_node_t *n)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f) {
		fputs("flexos-explore: out of memory\n", stderr);
		exit(1);
	}
	emit_flow(p, n, f);
	fclose(f);
	return s;
}

static bool want_scalar(struct parser *p, const yaml_node_t *v, const char *key)
{
	if (is_scalar(v) && !ynode_is_null(v))
		return true;
	error_at(p, v, "'%s' must be a scalar, not %s", key, ynode_kind(v));
	return false;
}

static size_t find_lib(const struct fxe_spec *s, const char *name)
{
	for (size_t i = 0; i < s->nlibs; i++)
		if (strcmp(s->libs[i].name, name) == 0)
			return i;
	return (size_t)-1;
}

/* A library entry: "- name:" then inputs, split, compartment, and flexos.yaml's own keys. */
static void parse_library(struct parser *p, const yaml_node_t *e, bool *pinned)
{
	struct fxe_spec *s = p->spec;
	struct fxe_lib *lib = &s->libs[s->nlibs];
	yaml_node_pair_t *first = e->data.mapping.pairs.start;
	const yaml_node_t *name = node(p, first->key);
	char *extra = NULL;
	size_t elen = 0;
	FILE *ef;

	if (!is_scalar(name) || !ynode_is_null(node(p, first->value)) ||
	    !ynode_is_identifier(name)) {
		error_at(p, name,
			 "a library entry starts with its name, a C identifier, alone on its line: "
			 "'- lwip:'");
		return;
	}
	if (find_lib(s, ynode_str(name)) != (size_t)-1) {
		error_at(p, name, "library '%s' is listed twice: remove one", ynode_str(name));
		return;
	}
	lib->name = xstrdup(ynode_str(name));
	lib->line = (unsigned)name->start_mark.line + 1;
	lib->col = (unsigned)name->start_mark.column + 1;
	*pinned = false;
	ef = open_memstream(&extra, &elen);
	if (!ef) {
		fputs("flexos-explore: out of memory\n", stderr);
		exit(1);
	}
	for (yaml_node_pair_t *q = first + 1; q < e->data.mapping.pairs.top; q++) {
		const yaml_node_t *k = node(p, q->key), *v = node(p, q->value);

		if (!is_scalar(k)) {
			error_at(p, k, "a key of library '%s' must be a scalar", lib->name);
			continue;
		}
		if (strcmp(ynode_str(k), "inputs") == 0) {
			lib->inputs = flow_text(p, v);
		} else if (strcmp(ynode_str(k), "split") == 0) {
			if (!is_scalar(v) ||
			    (strcmp(ynode_str(v), "true") && strcmp(ynode_str(v), "false")))
				error_at(p, v, "'split' of library '%s' must be true or false",
					 lib->name);
			else
				*pinned = strcmp(ynode_str(v), "false") == 0;
		} else if (strcmp(ynode_str(k), "compartment") == 0) {
			char *c = NULL;
			size_t clen = 0;
			FILE *cf;

			if (v->type != YAML_MAPPING_NODE) {
				error_at(p, v,
					 "'compartment' of library '%s' must be a mapping of "
					 "flexos.yaml compartment keys, e.g. {syscalls: "
					 "[network]}, not %s",
					 lib->name, ynode_kind(v));
				continue;
			}
			cf = open_memstream(&c, &clen);
			if (!cf)
				exit(1);
			for (yaml_node_pair_t *r = v->data.mapping.pairs.start;
			     r < v->data.mapping.pairs.top; r++) {
				const char *ck =
				    is_scalar(node(p, r->key)) ? ynode_str(node(p, r->key)) : "";

				if (!strcmp(ck, "mechanism") || !strcmp(ck, "default") ||
				    !strcmp(ck, "stack") || !strcmp(ck, "hardening")) {
					error_at(p, node(p, r->key),
						 "'%s' is what flexos-explore varies: remove it "
						 "from the compartment of library '%s'",
						 ck, lib->name);
					continue;
				}
				fprintf(cf, "  ");
				emit_flow(p, node(p, r->key), cf);
				fputs(": ", cf);
				emit_flow(p, node(p, r->value), cf);
				fputc('\n', cf);
			}
			fclose(cf);
			lib->comp_extra = c;
		} else {
			/* headers, callbacks, shared_data...: flexos-link checks them. */
			fprintf(ef, "  %s: ", ynode_str(k));
			emit_flow(p, v, ef);
			fputc('\n', ef);
		}
	}
	fclose(ef);
	lib->lib_extra = extra;
	if (!lib->inputs)
		error_at(p, name, "library '%s' has no 'inputs': name its objects or archives",
			 lib->name);
	s->nlibs++;
}

static void parse_libraries(struct parser *p, const yaml_node_t *v, bool *split)
{
	struct fxe_spec *s = p->spec;
	size_t n;

	if (v->type != YAML_SEQUENCE_NODE) {
		error_at(p, v, "'libraries' must be a sequence of library entries, not %s",
			 ynode_kind(v));
		return;
	}
	n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
	s->libs = xcalloc(n + 1, sizeof(*s->libs));
	for (size_t i = 0; i < n; i++) {
		const yaml_node_t *e = node(p, v->data.sequence.items.start[i]);
		bool pinned = false;
		size_t before = s->nlibs;

		if (e->type != YAML_MAPPING_NODE || is_empty(e)) {
			error_at(
			    p, e,
			    "a library entry must be a mapping ('- lwip:' then its keys), not %s",
			    ynode_kind(e));
			continue;
		}
		parse_library(p, e, &pinned);
		if (s->nlibs > before)
			split[before] = !pinned;
	}
}

/* groups: [[a, b], ...]: libraries that are always in the same compartment. */
static void parse_groups(struct parser *p, const yaml_node_t *v, size_t *group_of, bool *split)
{
	struct fxe_spec *s = p->spec;
	size_t g = 0;

	if (ynode_is_null(v))
		return;
	if (v->type != YAML_SEQUENCE_NODE) {
		error_at(p, v, "'groups' must be a sequence of sequences of library names, not %s",
			 ynode_kind(v));
		return;
	}
	for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top;
	     i++, g++) {
		const yaml_node_t *grp = node(p, *i);

		if (grp->type != YAML_SEQUENCE_NODE) {
			error_at(
			    p, grp,
			    "a group must be a sequence of library names, e.g. [lwip, driver]");
			continue;
		}
		for (yaml_node_item_t *j = grp->data.sequence.items.start;
		     j < grp->data.sequence.items.top; j++) {
			const yaml_node_t *ln = node(p, *j);
			size_t l;

			if (!is_scalar(ln) || (l = find_lib(s, ynode_str(ln))) == (size_t)-1) {
				error_at(p, ln, "'%s' is not a library of 'libraries'",
					 is_scalar(ln) ? ynode_str(ln) : "?");
				continue;
			}
			if (!split[l]) {
				error_at(p, ln,
					 "library '%s' has 'split: false': it cannot be in a group",
					 ynode_str(ln));
				continue;
			}
			if (group_of[l]) {
				error_at(p, ln, "library '%s' is in two groups: merge them",
					 ynode_str(ln));
				continue;
			}
			group_of[l] = g + 1;
		}
	}
}

static void parse_mechanisms(struct parser *p, const yaml_node_t *v)
{
	if (v->type != YAML_SEQUENCE_NODE || is_empty(v)) {
		error_at(p, v, "'mechanisms' must be a sequence, e.g. [none, process], not %s",
			 ynode_kind(v));
		return;
	}
	for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top;
	     i++) {
		const yaml_node_t *m = node(p, *i);
		int found = -1;

		for (int k = 0; fxe_mech_name(k); k++)
			if (is_scalar(m) && strcmp(fxe_mech_name(k), ynode_str(m)) == 0)
				found = k;
		if (found < 0)
			error_at(p, m,
				 "unknown mechanism '%s' (expected none, intel-mpk or process)",
				 is_scalar(m) ? ynode_str(m) : "?");
		else
			p->spec->mechs |= 1u << found;
	}
}

static void parse_stack(struct parser *p, const yaml_node_t *v)
{
	const yaml_node_t *one = v;
	yaml_node_item_t *i = NULL, *end = NULL;

	if (v->type == YAML_SEQUENCE_NODE) {
		i = v->data.sequence.items.start;
		end = v->data.sequence.items.top;
		if (i == end) {
			error_at(p, v, "'stack' must name private, shared, or both");
			return;
		}
	}
	do {
		if (i)
			one = node(p, *i);
		if (is_scalar(one) && strcmp(ynode_str(one), "private") == 0)
			p->spec->stacks |= 1u << FXE_STACK_PRIVATE;
		else if (is_scalar(one) && strcmp(ynode_str(one), "shared") == 0)
			p->spec->stacks |= 1u << FXE_STACK_SHARED;
		else
			error_at(p, one, "unknown stack mode '%s' (expected private or shared)",
				 is_scalar(one) ? ynode_str(one) : "?");
	} while (i && ++i < end);
}

static void parse_number(struct parser *p, const yaml_node_t *v, const char *key, unsigned *out,
			 unsigned min, unsigned max)
{
	char *end;
	unsigned long n;

	if (!want_scalar(p, v, key))
		return;
	errno = 0;
	n = strtoul(ynode_str(v), &end, 10);
	if (errno || *end || end == ynode_str(v) || n < min || n > max) {
		error_at(p, v, "'%s' must be a whole number from %u to %u, not '%s'", key, min, max,
			 ynode_str(v));
		return;
	}
	*out = (unsigned)n;
}

int fxe_parse_budget(const char *s, double *value, bool *ratio)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (errno || end == s || d <= 0)
		return -EINVAL;
	*ratio = *end == 'x' || *end == 'X';
	if (*ratio)
		end++;
	if (*end)
		return -EINVAL;
	*value = d;
	return 0;
}

/*
 * hardening: {lib: [options]}: the options each library is tried with,
 * besides unhardened (FlexOS's 2^n hardening choices). The build command
 * compiles each library with flexos-cc, which reads its options from the
 * configuration's flexos.yaml.
 */
static void parse_hardening(struct parser *p, const yaml_node_t *v, const bool *split)
{
	struct fxe_spec *s = p->spec;

	if (is_empty(v))
		return;
	if (v->type != YAML_MAPPING_NODE) {
		error_at(p, v,
			 "'hardening' must be a mapping of libraries to the options to try, e.g. "
			 "{lwip: [ubsan, stack-protector]}, not %s",
			 ynode_kind(v));
		return;
	}
	for (yaml_node_pair_t *q = v->data.mapping.pairs.start; q < v->data.mapping.pairs.top;
	     q++) {
		const yaml_node_t *k = node(p, q->key), *opts = node(p, q->value);
		size_t l;

		if (!is_scalar(k) || (l = find_lib(s, ynode_str(k))) == (size_t)-1) {
			error_at(p, k, "'%s' is not a library of 'libraries'",
				 is_scalar(k) ? ynode_str(k) : "?");
			continue;
		}
		if (!split[l]) {
			error_at(p, k,
				 "library '%s' has 'split: false': hardening is tried on libraries "
				 "split off, in a compartment of their own",
				 ynode_str(k));
			continue;
		}
		if (opts->type != YAML_SEQUENCE_NODE || is_empty(opts)) {
			error_at(p, opts,
				 "the hardening of '%s' must be a sequence of options, e.g. "
				 "[ubsan, stack-protector]",
				 ynode_str(k));
			continue;
		}
		for (yaml_node_item_t *i = opts->data.sequence.items.start;
		     i < opts->data.sequence.items.top; i++) {
			const yaml_node_t *o = node(p, *i);
			const struct flh_option *opt = is_scalar(o) ? flh_find(ynode_str(o)) : NULL;
			const char *why = is_scalar(o) ? flh_refused(ynode_str(o)) : NULL;

			if (why)
				error_at(p, o, "hardening '%s' %s", ynode_str(o), why);
			else if (!opt)
				error_at(p, o,
					 "unknown hardening '%s' (expected stack-protector, ubsan, "
					 "asan or fortify)",
					 is_scalar(o) ? ynode_str(o) : "?");
			else
				s->libs[l].harden |= opt->bit;
		}
	}
}

/* Builds the units: a group, or a library alone, in the order of 'libraries'. */
static void make_units(struct parser *p, const yaml_node_t *libs_node, const size_t *group_of,
		       const bool *split)
{
	struct fxe_spec *s = p->spec;
	bool *done = xcalloc(s->nlibs + 1, sizeof(*done));

	s->units = xcalloc(s->nlibs + 1, sizeof(*s->units));
	for (size_t l = 0; l < s->nlibs; l++) {
		struct fxe_unit *u;

		if (!split[l] || done[l])
			continue;
		u = &s->units[s->nunits++];
		u->libs = xcalloc(s->nlibs, sizeof(*u->libs));
		for (size_t m = l; m < s->nlibs; m++)
			if (m == l || (group_of[l] && group_of[m] == group_of[l])) {
				u->libs[u->nlibs++] = m;
				u->harden |= s->libs[m].harden;
				done[m] = true;
			}
	}
	free(done);
	if (s->nunits == 0 && libs_node)
		error_at(p, libs_node,
			 "no library may be split off: list one without 'split: false', or there "
			 "is nothing to explore");
	if (s->nunits > FXE_MAX_UNITS)
		error_at(p, libs_node,
			 "%zu libraries or groups may be split off, flexos-explore handles %d: put "
			 "libraries that belong together in 'groups', or mark some 'split: false'",
			 s->nunits, FXE_MAX_UNITS);
}

static void parse_top(struct parser *p, const yaml_node_t *root)
{
	struct fxe_spec *s = p->spec;
	const yaml_node_t *libs = NULL, *groups = NULL, *hardening = NULL;
	size_t *group_of;
	bool *split;

	if (root->type != YAML_MAPPING_NODE) {
		error_at(p, root,
			 "an exploration file is a mapping (libraries, mechanisms, build, "
			 "bench...), not %s",
			 ynode_kind(root));
		return;
	}
	for (yaml_node_pair_t *q = root->data.mapping.pairs.start; q < root->data.mapping.pairs.top;
	     q++) {
		const yaml_node_t *k = node(p, q->key), *v = node(p, q->value);
		const char *key = is_scalar(k) ? ynode_str(k) : "";

		for (yaml_node_pair_t *r = root->data.mapping.pairs.start; r < q; r++)
			if (is_scalar(node(p, r->key)) &&
			    strcmp(ynode_str(node(p, r->key)), key) == 0)
				error_at(p, k, "'%s' is given twice: remove one", key);
		if (strcmp(key, "default") == 0) {
			if (want_scalar(p, v, key)) {
				if (!ynode_is_identifier(v))
					error_at(p, v,
						 "'default' must be a C identifier (a compartment "
						 "name), not '%s'",
						 ynode_str(v));
				else
					s->default_name = xstrdup(ynode_str(v));
			}
		} else if (strcmp(key, "libraries") == 0) {
			libs = v;
		} else if (strcmp(key, "groups") == 0) {
			groups = v;
		} else if (strcmp(key, "mechanisms") == 0) {
			parse_mechanisms(p, v);
		} else if (strcmp(key, "stack") == 0) {
			parse_stack(p, v);
		} else if (strcmp(key, "hardening") == 0) {
			hardening = v;
		} else if (strcmp(key, "build") == 0) {
			if (want_scalar(p, v, key))
				s->build = xstrdup(ynode_str(v));
		} else if (strcmp(key, "bench") == 0) {
			if (want_scalar(p, v, key))
				s->bench = xstrdup(ynode_str(v));
		} else if (strcmp(key, "better") == 0) {
			if (want_scalar(p, v, key)) {
				if (strcmp(ynode_str(v), "higher") == 0)
					s->better = FXE_HIGHER;
				else if (strcmp(ynode_str(v), "lower") == 0)
					s->better = FXE_LOWER;
				else
					error_at(p, v, "'better' must be higher or lower, not '%s'",
						 ynode_str(v));
			}
		} else if (strcmp(key, "runs") == 0) {
			parse_number(p, v, key, &s->runs, 1, 1000);
		} else if (strcmp(key, "max_compartments") == 0) {
			parse_number(p, v, key, &s->max_comps, 1, FLEXOS_MAX_COMPARTMENTS);
		} else if (strcmp(key, "budget") == 0) {
			if (want_scalar(p, v, key) &&
			    fxe_parse_budget(ynode_str(v), &s->budget, &s->budget_ratio) < 0)
				error_at(p, v,
					 "'budget' must be a positive number in the benchmark's "
					 "unit, or a ratio to the one-compartment baseline such as "
					 "0.8x, not '%s'",
					 ynode_str(v));
		} else {
			error_at(p, k,
				 "unknown key '%s' (expected default, libraries, groups, "
				 "mechanisms, stack, hardening, build, bench, better, runs, budget "
				 "or max_compartments)",
				 key);
		}
	}
	if (!s->default_name)
		s->default_name = xstrdup("app");
	if (!libs) {
		error_at(p, root, "no 'libraries': name the libraries that may be split off");
		return;
	}
	split =
	    xcalloc((size_t)(libs->type == YAML_SEQUENCE_NODE
				 ? libs->data.sequence.items.top - libs->data.sequence.items.start
				 : 0) +
			1,
		    sizeof(*split));
	parse_libraries(p, libs, split);
	for (size_t l = 0; l < s->nlibs; l++)
		if (strcmp(s->libs[l].name, s->default_name) == 0 && split[l]) {
			fput_escaped(p->name, p->err);
			fprintf(p->err,
				":%u:%u: error: library '%s' has the default compartment's name: "
				"rename it, or give it 'split: false'\n",
				s->libs[l].line, s->libs[l].col, s->libs[l].name);
			p->nerrors++;
		}
	group_of = xcalloc(s->nlibs + 1, sizeof(*group_of));
	if (groups)
		parse_groups(p, groups, group_of, split);
	if (hardening)
		parse_hardening(p, hardening, split);
	make_units(p, libs, group_of, split);
	free(group_of);
	free(split);
	if (!s->mechs)
		error_at(p, root, "no 'mechanisms': say which to try, e.g. [none, process]");
	if (!s->stacks)
		s->stacks = 1u << FXE_STACK_PRIVATE;
	if (!s->bench)
		error_at(p, root, "no 'bench': give the command that prints the figure to compare");
	if (!s->runs)
		s->runs = 3;
}

struct fxe_spec *fxe_spec_parse(const char *name, const char *text, size_t len, FILE *err)
{
	struct parser p = {.name = name, .err = err};
	yaml_parser_t yp;
	yaml_node_t *root;
	const char *slash;

	p.spec = xcalloc(1, sizeof(*p.spec));
	p.spec->path = xstrdup(name);
	slash = strrchr(name, '/');
	p.spec->dir =
	    slash ? strndup(name, (size_t)(slash - name) + (slash == name)) : xstrdup(".");
	if (!yaml_parser_initialize(&yp)) {
		fputs("flexos-explore: out of memory\n", err);
		fxe_spec_free(p.spec);
		return NULL;
	}
	yaml_parser_set_input_string(&yp, (const unsigned char *)text, len);
	if (!yaml_parser_load(&yp, &p.doc)) {
		fput_escaped(name, err);
		fprintf(err, ":%zu:%zu: error: %s\n", yp.problem_mark.line + 1,
			yp.problem_mark.column + 1, yp.problem ? yp.problem : "not YAML");
		yaml_parser_delete(&yp);
		fxe_spec_free(p.spec);
		return NULL;
	}
	root = yaml_document_get_root_node(&p.doc);
	if (!root) {
		fput_escaped(name, err);
		fputs(":1:1: error: the exploration file is empty\n", err);
		p.nerrors++;
	} else {
		parse_top(&p, root);
	}
	yaml_document_delete(&p.doc);
	yaml_parser_delete(&yp);
	if (p.nerrors) {
		fxe_spec_free(p.spec);
		return NULL;
	}
	return p.spec;
}

struct fxe_spec *fxe_spec_read(const char *path, FILE *err)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t len = 0, cap = 0, got;
	struct fxe_spec *s;

	if (!f) {
		fprintf(err, "flexos-explore: cannot read %s: %s\n", path, strerror(errno));
		return NULL;
	}
	do {
		if (len + 4096 > cap)
			text = xrealloc(text, cap = cap * 2 + 8192);
		got = fread(text + len, 1, cap - len, f);
		len += got;
	} while (got > 0);
	fclose(f);
	s = fxe_spec_parse(path, text, len, err);
	free(text);
	return s;
}

void fxe_spec_free(struct fxe_spec *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nlibs; i++) {
		free(s->libs[i].name);
		free(s->libs[i].inputs);
		free(s->libs[i].lib_extra);
		free(s->libs[i].comp_extra);
	}
	for (size_t i = 0; i < s->nunits; i++)
		free(s->units[i].libs);
	free(s->libs);
	free(s->units);
	free(s->path);
	free(s->dir);
	free(s->default_name);
	free(s->build);
	free(s->bench);
	free(s);
}
