/*
 * The flexos.yaml parser. libyaml builds the document tree; this file walks
 * it and keeps every node's start mark, so that each message can say
 * file:line:col. The format is specified in docs/config.md.
 */
#include "autoconfig.h"

#include "config.h"
#include "harden.h"
#include "syscalls.h"
#include "util.h"
#include "yaml-node.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define NOT_FOUND ((size_t)-1)

enum top_key { TKEY_COMPARTMENTS, TKEY_LIBRARIES };

static const char *const top_keys[] = {
	[TKEY_COMPARTMENTS] = "compartments",
	[TKEY_LIBRARIES] = "libraries",
	NULL,
};

enum compartment_key {
	CKEY_MECHANISM,
	CKEY_DEFAULT,
	CKEY_HARDENING,
	CKEY_STACK,
	CKEY_ON_CRASH,
	CKEY_SANDBOX_OF,
	CKEY_LIBC,
	CKEY_SYSCALLS,
	CKEY_SYSCALLS_DENIED,
	CKEY_HEAP_SIZE,
	CKEY_CONSTANTS,
};

static const char *const compartment_keys[] = {
	[CKEY_MECHANISM] = "mechanism",
	[CKEY_DEFAULT] = "default",
	[CKEY_HARDENING] = "hardening",
	[CKEY_STACK] = "stack",
	[CKEY_ON_CRASH] = "on_crash",
	[CKEY_SANDBOX_OF] = "sandbox_of",
	[CKEY_LIBC] = "libc",
	[CKEY_SYSCALLS] = "syscalls",
	[CKEY_SYSCALLS_DENIED] = "syscalls_denied",
	[CKEY_HEAP_SIZE] = "heap_size",
	[CKEY_CONSTANTS] = "constants",
	NULL,
};

static const char *const syscalls_denied_names[] = {"report", "errno", NULL};

static const char *const mechanism_names[] = {
#define MECH_NAME(id, name, archive, max, props, libs) [FLEXOS_MECH_##id] = name,
	FLEXOS_MECHANISMS(MECH_NAME)
#undef MECH_NAME
	NULL,
};

static const char *const stack_names[] = {
	[FLC_STACK_PRIVATE] = "private",
	[FLC_STACK_SHARED] = "shared",
	NULL,
};

static const char *const on_crash_names[] = {
	[FLC_CRASH_ABORT] = "abort",
	[FLC_CRASH_RESTART] = "restart",
	NULL,
};

static const char *const constants_names[] = {"shared", "private", NULL};

static const char *const libc_names[] = {
	[FLC_LIBC_GLIBC] = "glibc",
	[FLC_LIBC_NEWLIB] = "newlib",
	NULL,
};

/* What the checks need to know about a compartment beyond config.h. */
struct comp_extra {
	struct flc_pos default_pos; /* of the 'true' when marked default */
	bool has_mechanism;
	struct flc_pos stack_pos; /* of the 'stack' value, when there is one */
	bool has_stack;
	/* Set after an error on that key, which then needs no second error. */
	bool bad_mechanism;
	bool bad_default;
	bool bad_stack;
};

/*
 * Errors are counted here rather than returned by the walk, so that the
 * walk goes on and reports every independent mistake in one run.
 */
#define KEY_CACHE_SLOTS 4

/* The keys of one large mapping: key -> index of its first pair + 1. */
struct key_cache {
	const yaml_node_t *map;
	struct strmap index;
};

struct parser {
	struct key_cache keys[KEY_CACHE_SLOTS];
	unsigned next_key_slot;
	const char *name;
	const char *text;
	size_t len;
	FILE *err;
	yaml_document_t doc;
	struct flc_config *cfg;
	struct comp_extra *extra; /* parallel to cfg->compartments */
	unsigned nerrors;
	bool nomem_reported;
};

static void report(struct parser *p, struct flc_pos pos, const char *kind, const char *fmt,
		   va_list ap)
{
	char *msg = NULL;

	/* Scalars quoted in a message may hold newlines: one message, one line. */
	fput_escaped(p->name, p->err);
	fprintf(p->err, ":%u:%u: %s: ", pos.line, pos.col, kind);
	if (vasprintf(&msg, fmt, ap) < 0) {
		fputs("out of memory\n", p->err);
		return;
	}
	fput_escaped(msg, p->err);
	fputc('\n', p->err);
	free(msg);
}

static void error_at(struct parser *p, struct flc_pos pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void warning_at(struct parser *p, struct flc_pos pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void error_at(struct parser *p, struct flc_pos pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(p, pos, "error", fmt, ap);
	va_end(ap);
	p->nerrors++;
}

static void warning_at(struct parser *p, struct flc_pos pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(p, pos, "warning", fmt, ap);
	va_end(ap);
}

/* Out of memory has no position; say it once however often it happens. */
static void nomem(struct parser *p)
{
	if (!p->nomem_reported)
		fprintf(p->err, "%s: error: out of memory\n", p->name);
	p->nomem_reported = true;
	p->nerrors++;
}

static struct flc_pos mark_pos(yaml_mark_t m)
{
	return (struct flc_pos){ .line = (unsigned)m.line + 1, .col = (unsigned)m.column + 1 };
}

static struct flc_pos pos_of(const yaml_node_t *n)
{
	return mark_pos(n->start_mark);
}

static yaml_node_t *node(struct parser *p, int id)
{
	return yaml_document_get_node(&p->doc, id);
}

static size_t nitems(const yaml_node_t *seq)
{
	return (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
}

static yaml_node_t *item(struct parser *p, const yaml_node_t *seq, size_t i)
{
	return node(p, seq->data.sequence.items.start[i]);
}

static size_t npairs(const yaml_node_t *map)
{
	return (size_t)(map->data.mapping.pairs.top - map->data.mapping.pairs.start);
}

static yaml_node_t *key_node(struct parser *p, const yaml_node_t *map, size_t i)
{
	return node(p, map->data.mapping.pairs.start[i].key);
}

static yaml_node_t *value_node(struct parser *p, const yaml_node_t *map, size_t i)
{
	return node(p, map->data.mapping.pairs.start[i].value);
}

static size_t find_name(const char *const *names, const char *s)
{
	for (size_t i = 0; names[i]; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return NOT_FOUND;
}

/* Writes "a, b or c" into buf; the tables above all fit in 128 bytes. */
static const char *join_names(char *buf, size_t size, const char *const *names)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; names[i] && used < size; i++) {
		const char *sep = i == 0 ? "" : names[i + 1] ? ", " : " or ";

		used += (size_t)snprintf(buf + used, size - used, "%s%s", sep, names[i]);
	}
	return buf;
}

static char *copy_scalar(struct parser *p, const yaml_node_t *n)
{
	char *s;

	if (strlen(ynode_str(n)) != n->data.scalar.length) {
		error_at(p, pos_of(n), "'%s' contains a NUL character: remove it", ynode_str(n));
		return NULL;
	}
	s = strdup(ynode_str(n));
	if (!s)
		nomem(p);
	return s;
}

static void *alloc_array(struct parser *p, size_t n, size_t size)
{
	void *a = calloc(n, size);

	if (!a)
		nomem(p);
	return a;
}

/*
 * Returns the name of the key of pair i of map, or NULL after an error:
 * libyaml accepts any node as a key and keeps duplicate keys, and the
 * second of two equal keys would otherwise silently win.
 */
/*
 * The index of the first pair of map whose key equals key's. Small maps
 * are scanned; a large one is indexed once, so that a mapping of many
 * keys is not quadratic. Walks nest a few maps deep: a few slots do.
 */
static size_t first_key(struct parser *p, const yaml_node_t *map, const yaml_node_t *key)
{
	size_t n = npairs(map);

	if (n <= 16) {
		for (size_t j = 0; j < n; j++) {
			const yaml_node_t *k = key_node(p, map, j);
			if (k->type == YAML_SCALAR_NODE &&
			    strcmp(ynode_str(k), ynode_str(key)) == 0)
				return j;
		}
		return n;
	}
	struct key_cache *slot = NULL;
	for (size_t s = 0; s < KEY_CACHE_SLOTS && !slot; s++)
		if (p->keys[s].map == map)
			slot = &p->keys[s];
	if (!slot) {
		slot = &p->keys[p->next_key_slot++ % KEY_CACHE_SLOTS];
		strmap_free(&slot->index);
		slot->map = map;
		for (size_t j = n; j-- > 0;) {
			const yaml_node_t *k = key_node(p, map, j);
			if (k->type == YAML_SCALAR_NODE)
				strmap_put(&slot->index, ynode_str(k), j + 1);
		}
	}
	size_t at = strmap_get(&slot->index, ynode_str(key));
	return at ? at - 1 : n;
}

static const char *key_at(struct parser *p, const yaml_node_t *map, size_t i)
{
	const yaml_node_t *key = key_node(p, map, i);

	if (key->type != YAML_SCALAR_NODE) {
		error_at(p, pos_of(key), "a key must be a scalar, not %s", ynode_kind(key));
		return NULL;
	}
	size_t first = first_key(p, map, key);
	if (first < i) {
		const yaml_node_t *prev = key_node(p, map, first);
		error_at(p, pos_of(key), "duplicate key '%s' (first at %u:%u): keep only one",
			 ynode_str(key), pos_of(prev).line, pos_of(prev).col);
		return NULL;
	}
	return ynode_str(key);
}

/*
 * Maps v, the value of key in compartment comp, onto its index in names.
 * Returns NOT_FOUND after an error that lists the accepted names.
 */
static size_t choose(struct parser *p, const struct flc_compartment *comp, const yaml_node_t *key,
		     const yaml_node_t *v, const char *const *names)
{
	char expected[128];
	size_t i;

	join_names(expected, sizeof(expected), names);
	if (ynode_is_null(v)) {
		error_at(p, pos_of(key), "'%s' of compartment '%s' has no value (expected %s)",
			 ynode_str(key), comp->name, expected);
		return NOT_FOUND;
	}
	if (v->type != YAML_SCALAR_NODE) {
		error_at(p, pos_of(v), "'%s' of compartment '%s' must be one of %s, not %s",
			 ynode_str(key), comp->name, expected, ynode_kind(v));
		return NOT_FOUND;
	}
	i = find_name(names, ynode_str(v));
	if (i == NOT_FOUND)
		error_at(p, pos_of(v), "unknown %s '%s' (expected %s)", ynode_str(key),
			 ynode_str(v), expected);
	return i;
}

/* YAML 1.1 booleans, as the FlexOS tutorial writes "True"; quoted ones are strings. */
static int get_bool(struct parser *p, const struct flc_compartment *comp, const yaml_node_t *key,
		    const yaml_node_t *v, bool *out)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes", "YES",
					   "on",   "On",   "ON",   NULL };
	static const char *const no[] = { "false", "False", "FALSE", "no", "No", "NO",
					  "off",   "Off",   "OFF",   NULL };

	if (ynode_is_null(v)) {
		error_at(p, pos_of(key),
			 "'%s' of compartment '%s' has no value (expected true or false)",
			 ynode_str(key), comp->name);
		return -1;
	}
	if (v->type != YAML_SCALAR_NODE) {
		error_at(p, pos_of(v), "'%s' of compartment '%s' must be true or false, not %s",
			 ynode_str(key), comp->name, ynode_kind(v));
		return -1;
	}
	if (v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
		error_at(p, pos_of(v),
			 "'%s' of compartment '%s' must be true or false, not the string '%s': "
			 "remove the quotes",
			 ynode_str(key), comp->name, ynode_str(v));
		return -1;
	}
	if (find_name(yes, ynode_str(v)) != NOT_FOUND) {
		*out = true;
		return 0;
	}
	if (find_name(no, ynode_str(v)) != NOT_FOUND) {
		*out = false;
		return 0;
	}
	error_at(p, pos_of(v), "'%s' of compartment '%s' must be true or false, not '%s'",
		 ynode_str(key), comp->name, ynode_str(v));
	return -1;
}

static void parse_hardening(struct parser *p, struct flc_compartment *comp, const yaml_node_t *key,
			    const yaml_node_t *v)
{
	size_t n;

	if (ynode_is_null(v))
		return;
	if (v->type != YAML_SEQUENCE_NODE) {
		error_at(
		    p, pos_of(v),
		    "'hardening' of compartment '%s' must be a sequence, e.g. [cfi, asan], not %s",
		    comp->name, ynode_kind(v));
		return;
	}
	n = nitems(v);
	if (n == 0)
		return;
	comp->hardening = alloc_array(p, n, sizeof(*comp->hardening));
	if (!comp->hardening)
		return;
	for (size_t i = 0; i < n; i++) {
		const yaml_node_t *h = item(p, v, i);
		char *s;

		const struct flh_option *o;
		const char *why;

		if (choose(p, comp, key, h, flh_config_names) == NOT_FOUND)
			continue;
		if ((why = flh_refused(ynode_str(h)))) {
			error_at(p, pos_of(h), "hardening '%s' of compartment '%s' %s",
				 ynode_str(h), comp->name, why);
			continue;
		}
		o = flh_find(ynode_str(h));
		if (comp->harden & o->bit) {
			warning_at(p, pos_of(h), "hardening '%s' is listed twice", ynode_str(h));
			continue;
		}
		comp->harden |= o->bit;
		comp->harden_pos[o - flh_options] = pos_of(h);
		s = copy_scalar(p, h);
		if (s)
			comp->hardening[comp->nhardening++] = s;
	}
}

/*
 * syscalls: 'all', or a list of system calls and groups, each checked
 * here so that a typo is an error at its line, not a denied call at run
 * time.
 */
static void parse_syscalls(struct parser *p, struct flc_compartment *comp, const yaml_node_t *key,
			   const yaml_node_t *v)
{
	size_t n = v->type == YAML_SEQUENCE_NODE ? nitems(v) : 1;

	comp->syscalls_pos = pos_of(key);
	if (v->type == YAML_SCALAR_NODE && !ynode_is_null(v) && !strcmp(ynode_str(v), "all")) {
		comp->syscalls_all = true;
		warning_at(p, pos_of(v),
			   "'syscalls: all' lifts the system-call policy of compartment '%s': code running there may call anything the process may, other processes included",
			   comp->name);
		return;
	}
	if (ynode_is_null(v) || n == 0) {
		error_at(p, pos_of(key),
			 "'syscalls' of compartment '%s' is empty: list system calls or groups (%s), e.g. [files], or 'all', or remove the key",
			 comp->name, flx_syscall_groups());
		return;
	}
	comp->syscalls.names = alloc_array(p, n, sizeof(*comp->syscalls.names));
	comp->syscalls.pos = alloc_array(p, n, sizeof(*comp->syscalls.pos));
	if (!comp->syscalls.names || !comp->syscalls.pos)
		return;
	for (size_t i = 0; i < n; i++) {
		const yaml_node_t *it = v->type == YAML_SEQUENCE_NODE ? item(p, v, i) : v;
		const char *why = NULL;
		int err;

		if (it->type != YAML_SCALAR_NODE || ynode_is_null(it) || !ynode_is_identifier(it)) {
			error_at(p, pos_of(it),
				 "an item of 'syscalls' of compartment '%s' must be a system call "
				 "or a group (%s), not %s",
				 comp->name, flx_syscall_groups(),
				 it->type == YAML_SCALAR_NODE && !ynode_is_null(it)
				     ? "this"
				     : ynode_kind(it));
			continue;
		}
		err = flx_syscalls_resolve(ynode_str(it), &comp->syscall_nrs, &comp->nsyscall_nrs,
					   &why);
		if (err == -ENOENT) {
			error_at(p, pos_of(it),
				 "unknown system call or group '%s' in 'syscalls' of compartment "
				 "'%s' (groups: %s; system calls by their Linux name, e.g. openat)",
				 ynode_str(it), comp->name, flx_syscall_groups());
			continue;
		}
		if (err == -EPERM) {
			error_at(p, pos_of(it),
				 "'%s' cannot be allowed to compartment '%s': %s; only 'syscalls: "
				 "all' lifts the policy",
				 ynode_str(it), comp->name, why);
			continue;
		}
		comp->syscalls.names[comp->syscalls.count] = copy_scalar(p, it);
		if (!comp->syscalls.names[comp->syscalls.count])
			return;
		comp->syscalls.pos[comp->syscalls.count++] = pos_of(it);
	}
}

/*
 * heap_size: bytes, or a number with K, M or G (binary multiples). What is
 * reserved is address space: it counts against 'ulimit -v', not memory.
 */
static void parse_heap_size(struct parser *p, struct flc_compartment *comp, const yaml_node_t *k,
			    const yaml_node_t *v)
{
	const char *s = v->type == YAML_SCALAR_NODE && !ynode_is_null(v) ? ynode_str(v) : NULL;
	unsigned long long n = 0, mult = 1;
	char *end = NULL;

	if (s && *s >= '0' && *s <= '9') {
		errno = 0;
		n = strtoull(s, &end, 10);
		if (errno)
			end = NULL;
	}
	if (end && *end) {
		static const char units[] = "KMG";
		const char *u = strchr(units, *end);
		if (u && (!end[1] || !strcmp(end + 1, "iB") || !strcmp(end + 1, "B")))
			mult = 1ULL << (10 * (u - units + 1));
		else
			end = NULL;
	}
	if (!end) {
		error_at(p, ynode_is_null(v) ? pos_of(k) : pos_of(v),
			 "'heap_size' of compartment '%s' must be a size such as 64M or 1G (bytes, "
			 "or K, M, G), not %s",
			 comp->name, ynode_kind(v));
		return;
	}
	if (n > FLEXOS_MAX_HEAP_SIZE / mult || n * mult < FLEXOS_MIN_HEAP_SIZE ||
	    n * mult > FLEXOS_MAX_HEAP_SIZE) {
		error_at(p, pos_of(v),
			 "'heap_size' of compartment '%s' is %s: it must be between 1M and 1024G",
			 comp->name, s);
		return;
	}
	/* Whole pages: the backends protect a heap page by page. */
	comp->heap_size = (n * mult + 4095) & ~4095ULL;
	comp->heap_size_pos = pos_of(v);
}

/* Reads the options of comp from the pairs of map, starting at pair first. */
static void parse_compartment_options(struct parser *p, struct flc_compartment *comp,
				      struct comp_extra *x, const yaml_node_t *map, size_t first)
{
	char expected[128];

	for (size_t i = first; i < npairs(map); i++) {
		const char *name = key_at(p, map, i);
		const yaml_node_t *k = key_node(p, map, i);
		const yaml_node_t *v = value_node(p, map, i);
		size_t c;

		if (!name)
			continue;
		switch (find_name(compartment_keys, name)) {
		case CKEY_MECHANISM:
			c = choose(p, comp, k, v, mechanism_names);
			if (c == NOT_FOUND) {
				x->bad_mechanism = true;
				break;
			}
			comp->mechanism = (enum flexos_mechanism)c;
			comp->mechanism_pos = pos_of(v);
			x->has_mechanism = true;
			break;
		case CKEY_DEFAULT:
			if (get_bool(p, comp, k, v, &comp->is_default) == 0)
				x->default_pos = pos_of(v);
			else
				x->bad_default = true;
			break;
		case CKEY_HARDENING:
			parse_hardening(p, comp, k, v);
			break;
		case CKEY_STACK:
			c = choose(p, comp, k, v, stack_names);
			if (c != NOT_FOUND) {
				comp->stack = (enum flc_stack_mode)c;
				x->stack_pos = pos_of(v);
				x->has_stack = true;
			} else {
				x->bad_stack = true;
			}
			break;
		case CKEY_ON_CRASH:
			c = choose(p, comp, k, v, on_crash_names);
			if (c != NOT_FOUND) {
				comp->on_crash = (enum flc_on_crash)c;
				comp->on_crash_pos = pos_of(v);
			}
			break;
		case CKEY_SANDBOX_OF:
			if (ynode_is_null(v) || v->type != YAML_SCALAR_NODE) {
				error_at(p, ynode_is_null(v) ? pos_of(k) : pos_of(v),
					 "'sandbox_of' of compartment '%s' must name the host "
					 "compartment, e.g. 'sandbox_of: app', not %s",
					 comp->name, ynode_kind(v));
				break;
			}
			comp->sandbox_of = copy_scalar(p, v);
			comp->sandbox_of_pos = pos_of(v);
			break;
		case CKEY_SYSCALLS:
			parse_syscalls(p, comp, k, v);
			break;
		case CKEY_SYSCALLS_DENIED:
			c = choose(p, comp, k, v, syscalls_denied_names);
			if (c != NOT_FOUND)
				comp->syscalls_errno = c == 1;
			if (!comp->syscalls_pos.line)
				comp->syscalls_pos = pos_of(k);
			break;
		case CKEY_LIBC:
			c = choose(p, comp, k, v, libc_names);
			if (c != NOT_FOUND) {
				comp->libc = (enum flc_libc)c;
				comp->libc_pos = pos_of(v);
			}
			break;
		case CKEY_HEAP_SIZE:
			parse_heap_size(p, comp, k, v);
			break;
		case CKEY_CONSTANTS:
			c = choose(p, comp, k, v, constants_names);
			if (c != NOT_FOUND)
				comp->constants_private = c == 1;
			break;
		default:
			error_at(p, pos_of(k), "unknown key '%s' in compartment '%s' (expected: %s)", name,
				 comp->name, join_names(expected, sizeof(expected), compartment_keys));
		}
	}
}

/*
 * A compartment is one mapping whose first key is its name, with a null
 * value: "- comp1:" followed by the options at the same indentation, which
 * is how the FlexOS tutorial writes it. The options may instead be the
 * value of the name: "- comp1: {mechanism: none}".
 */
static void parse_compartment(struct parser *p, const yaml_node_t *it)
{
	struct flc_config *cfg = p->cfg;
	struct flc_compartment *comp = &cfg->compartments[cfg->ncompartments];
	struct comp_extra *x = &p->extra[cfg->ncompartments];
	const yaml_node_t *name, *v;

	if (it->type != YAML_MAPPING_NODE || npairs(it) == 0) {
		error_at(p, pos_of(it),
			 "each compartment must be a mapping whose first key is its name, e.g. '- "
			 "comp1:', not %s",
			 ynode_kind(it));
		return;
	}
	if (!key_at(p, it, 0))
		return;
	name = key_node(p, it, 0);
	v = value_node(p, it, 0);
	if (find_name(compartment_keys, ynode_str(name)) != NOT_FOUND && !ynode_is_null(v) &&
	    v->type != YAML_MAPPING_NODE) {
		error_at(p, pos_of(name),
			 "this compartment has no name: it starts with '%s'; start it with its "
			 "name, e.g. '- comp1:'",
			 ynode_str(name));
		return;
	}
	if (!ynode_is_identifier(name))
		error_at(p, pos_of(name),
			 "compartment name '%s' is not a C identifier ([A-Za-z_][A-Za-z0-9_]*): "
			 "rename it, it is used in symbol names",
			 ynode_str(name));
	comp->name = copy_scalar(p, name);
	if (!comp->name)
		return;
	cfg->ncompartments++;
	comp->pos = pos_of(name);
	comp->mechanism_pos = comp->pos;

	if (v->type == YAML_MAPPING_NODE) {
		parse_compartment_options(p, comp, x, v, 0);
		for (size_t i = 1; i < npairs(it); i++)
			error_at(p, pos_of(key_node(p, it, i)),
				 "compartment '%s' already has its options in a nested mapping: move this key into it",
				 comp->name);
		return;
	}
	if (v->type == YAML_SCALAR_NODE && !ynode_is_null(v))
		error_at(p, pos_of(v),
			 "the name of compartment '%s' must be followed by ':' alone, not by '%s': "
			 "write each option on its own line below the name, e.g. 'mechanism: %s'",
			 comp->name, ynode_str(v), ynode_str(v));
	else if (v->type == YAML_SEQUENCE_NODE)
		error_at(p, pos_of(v),
			 "the name of compartment '%s' must be followed by ':' alone or by a mapping of options, not by a sequence",
			 comp->name);
	parse_compartment_options(p, comp, x, it, 1);
}

static void parse_compartments(struct parser *p, const yaml_node_t *key, const yaml_node_t *seq)
{
	size_t n;

	if (ynode_is_null(seq) || (seq->type == YAML_SEQUENCE_NODE && nitems(seq) == 0)) {
		error_at(p, pos_of(key),
			 "'compartments' is empty: declare at least one compartment, e.g. '- comp1:'");
		return;
	}
	if (seq->type != YAML_SEQUENCE_NODE) {
		error_at(p, pos_of(seq),
			 "'compartments' must be a sequence of '- name:' items, not %s",
			 ynode_kind(seq));
		return;
	}
	n = nitems(seq);
	p->cfg->compartments = alloc_array(p, n, sizeof(*p->cfg->compartments));
	p->extra = alloc_array(p, n, sizeof(*p->extra));
	if (!p->cfg->compartments || !p->extra)
		return;
	for (size_t i = 0; i < n; i++)
		parse_compartment(p, item(p, seq, i));
}

static void add_input(struct parser *p, struct flc_library *lib, const yaml_node_t *in)
{
	char *s;

	if (in->type != YAML_SCALAR_NODE || ynode_is_null(in)) {
		error_at(p, pos_of(in),
			 "an input of library '%s' must be a file name or pattern, not %s",
			 lib->name, ynode_kind(in));
		return;
	}
	if (in->data.scalar.length == 0) {
		error_at(p, pos_of(in), "an input of library '%s' is empty: give a file name or pattern",
			 lib->name);
		return;
	}
	s = copy_scalar(p, in);
	if (!s)
		return;
	lib->inputs[lib->ninputs] = s;
	lib->input_pos[lib->ninputs] = pos_of(in);
	lib->ninputs++;
}

static void parse_inputs(struct parser *p, struct flc_library *lib, const yaml_node_t *key,
			 const yaml_node_t *v)
{
	size_t n = v->type == YAML_SEQUENCE_NODE ? nitems(v) : 1;

	if (ynode_is_null(v) || n == 0) {
		error_at(p, pos_of(key),
			 "'inputs' of library '%s' is empty: list at least one file or pattern, or remove the key",
			 lib->name);
		return;
	}
	lib->inputs = alloc_array(p, n, sizeof(*lib->inputs));
	lib->input_pos = alloc_array(p, n, sizeof(*lib->input_pos));
	if (!lib->inputs || !lib->input_pos)
		return;
	if (v->type != YAML_SEQUENCE_NODE) {
		add_input(p, lib, v);
		return;
	}
	for (size_t i = 0; i < n; i++)
		add_input(p, lib, item(p, v, i));
}

/*
 * A list of C identifiers under key of library lib: a sequence, or one
 * name alone (shared_data, callbacks).
 */
static void parse_names(struct parser *p, const struct flc_library *lib, const yaml_node_t *key,
			const yaml_node_t *v, struct flc_names *out)
{
	size_t n = v->type == YAML_SEQUENCE_NODE ? nitems(v) : 1;

	if (ynode_is_null(v) || n == 0) {
		error_at(p, pos_of(key),
			 "'%s' of library '%s' is empty: list at least one symbol, e.g. [name], or "
			 "remove the key",
			 ynode_str(key), lib->name);
		return;
	}
	out->names = alloc_array(p, n, sizeof(*out->names));
	out->pos = alloc_array(p, n, sizeof(*out->pos));
	if (!out->names || !out->pos)
		return;
	for (size_t i = 0; i < n; i++) {
		const yaml_node_t *it = v->type == YAML_SEQUENCE_NODE ? item(p, v, i) : v;

		if (it->type != YAML_SCALAR_NODE || ynode_is_null(it) || !ynode_is_identifier(it)) {
			error_at(p, pos_of(it),
				 "an item of '%s' of library '%s' must be a symbol name (a C "
				 "identifier), not %s",
				 ynode_str(key), lib->name,
				 it->type == YAML_SCALAR_NODE && !ynode_is_null(it)
				     ? "this"
				     : ynode_kind(it));
			continue;
		}
		if (flc_names_has(out, ynode_str(it), NULL)) {
			error_at(p, pos_of(it),
				 "'%s' is listed twice in '%s' of library '%s': keep one",
				 ynode_str(it), ynode_str(key), lib->name);
			continue;
		}
		out->names[out->count] = copy_scalar(p, it);
		if (!out->names[out->count])
			return;
		out->pos[out->count++] = pos_of(it);
		strmap_put(&out->index, ynode_str(it), out->count);
	}
}

/*
 * A list of non-empty strings under key of library lib: a sequence, or one
 * alone (headers, cflags). what names one item in messages.
 */
static void parse_strings(struct parser *p, const struct flc_library *lib, const yaml_node_t *key,
			  const yaml_node_t *v, struct flc_names *out, const char *what)
{
	size_t n = v->type == YAML_SEQUENCE_NODE ? nitems(v) : 1;

	if (ynode_is_null(v) || n == 0) {
		error_at(p, pos_of(key),
			 "'%s' of library '%s' is empty: list at least one %s, or remove the key",
			 ynode_str(key), lib->name, what);
		return;
	}
	out->names = alloc_array(p, n, sizeof(*out->names));
	out->pos = alloc_array(p, n, sizeof(*out->pos));
	if (!out->names || !out->pos)
		return;
	for (size_t i = 0; i < n; i++) {
		const yaml_node_t *it = v->type == YAML_SEQUENCE_NODE ? item(p, v, i) : v;

		if (it->type != YAML_SCALAR_NODE || ynode_is_null(it) ||
		    it->data.scalar.length == 0) {
			error_at(
			    p, pos_of(it), "an item of '%s' of library '%s' must be a %s, not %s",
			    ynode_str(key), lib->name, what,
			    it->type == YAML_SCALAR_NODE && !ynode_is_null(it) ? "an empty string"
									       : ynode_kind(it));
			continue;
		}
		out->names[out->count] = copy_scalar(p, it);
		if (!out->names[out->count])
			return;
		out->pos[out->count++] = pos_of(it);
	}
}

bool flc_names_has(const struct flc_names *names, const char *name, size_t *at)
{
	if (names->index.count) {
		size_t k = strmap_get(&names->index, name);
		if (k && at)
			*at = k - 1;
		return k != 0;
	}
	for (size_t i = 0; i < names->count; i++)
		if (strcmp(names->names[i], name) == 0) {
			if (at)
				*at = i;
			return true;
		}
	return false;
}

/*
 * lend: copy (the default) or none: whether the gates into the library
 * lend the caller's private objects their pointer arguments name. A
 * mapping means copy, with rules "TYPE.MEMBER: COUNT" (the argument or
 * member COUNT of the same function or struct counts MEMBER's elements)
 * or "TYPE.MEMBER: BYTES".
 */
/*
 * "FN.ARG[]: COUNT[, BYTES]": ARG is an array of pointers of COUNT
 * elements (an integer argument, a number, or NULL: up to a NULL
 * element), each lent with the call; BYTES sizes the elements that are
 * not heap allocations (the heap's are lent whole).
 */
static void parse_array_rule(struct parser *p, struct flc_library *lib, const yaml_node_t *k,
			     const yaml_node_t *v, struct flc_lend_rule *r)
{
	const char *key = ynode_str(k);
	const char *val = v && v->type == YAML_SCALAR_NODE ? ynode_str(v) : "";
	const char *comma = strchr(val, ',');
	size_t n = comma ? (size_t)(comma - val) : strlen(val);
	bool ok = n > 0;

	while (n && val[n - 1] == ' ')
		n--;
	for (size_t i = 0; i < n && ok; i++)
		ok = val[i] == '_' || (val[i] >= '0' && val[i] <= '9') ||
		     (val[i] >= 'a' && val[i] <= 'z') || (val[i] >= 'A' && val[i] <= 'Z');
	if (ok && comma) {
		char *end;
		errno = 0;
		r->each = strtoull(comma + 1, &end, 10);
		while (*end == ' ')
			end++;
		ok = !*end && !errno && r->each > 0 && r->each <= 1ULL << 30;
	}
	if (ok && (n == 4 && (!strncmp(val, "NULL", 4) || !strncmp(val, "null", 4)))) {
		r->null_terminated = true;
	} else if (ok && val[0] >= '0' && val[0] <= '9') {
		char *end;
		errno = 0;
		r->bytes = strtoull(val, &end, 10);
		ok = end == val + n && !errno && r->bytes > 0 && r->bytes <= 65536;
	} else if (ok) {
		r->count = strndup(val, n);
		if (!r->count)
			nomem(p);
	}
	if (!ok) {
		error_at(p, pos_of(v ? v : k),
			 "'%s' in 'lend' of library '%s' is an array of pointers: give its "
			 "length (an integer argument, a number of elements up to 65536, or "
			 "NULL when a NULL element ends it) and, after a comma, the bytes "
			 "each element lends when it is not a heap allocation, e.g. "
			 "'%s: num_lines, 96'",
			 key, lib->name, key);
		return;
	}
	r->array = true;
}

/*
 * A rule's value may end in "kept until FN" (after a comma when a size
 * comes first): the library keeps the pointer past the call, until FN.
 * Returns the value without it (in *buf when it had it), or NULL after
 * an error.
 */
static const char *parse_kept(struct parser *p, struct flc_library *lib, const yaml_node_t *k,
			      const yaml_node_t *v, struct flc_lend_rule *r, char **buf)
{
	const char *val = ynode_str(v);
	const char *at = strstr(val, "kept");
	size_t n;

	*buf = NULL;
	if (!at || (at > val && at[-1] != ' ' && at[-1] != ','))
		return val;
	const char *fn = at + 4;
	bool ok = !strncmp(fn, " until ", 7);
	fn += ok ? 7 : 0;
	while (*fn == ' ')
		fn++;
	for (n = 0; ok && fn[n] && fn[n] != ' '; n++)
		ok = fn[n] == '_' || (fn[n] >= '0' && fn[n] <= '9') ||
		     (fn[n] >= 'a' && fn[n] <= 'z') || (fn[n] >= 'A' && fn[n] <= 'Z');
	ok = ok && n && (fn[0] < '0' || fn[0] > '9') && !fn[n + strspn(fn + n, " ")];
	if (!ok) {
		error_at(p, pos_of(v),
			 "'%s' in 'lend' of library '%s': 'kept' must be followed by 'until' "
			 "and the function of the library that ends the keeping, e.g. '%s: "
			 "kept until jpeg_destroy_compress' (after a comma when a size comes "
			 "first)",
			 ynode_str(k), lib->name, ynode_str(k));
		return NULL;
	}
	r->kept_until = strndup(fn, n);
	size_t len = (size_t)(at - val);
	while (len && (val[len - 1] == ' ' || val[len - 1] == ','))
		len--;
	*buf = strndup(val, len);
	if (!r->kept_until || !*buf)
		nomem(p);
	return *buf;
}

static void parse_lend_rule(struct parser *p, struct flc_library *lib, const yaml_node_t *k,
			    const yaml_node_t *v)
{
	const char *key = ynode_str(k);
	const char *dot = strchr(key, '.');
	struct flc_lend_rule *r = &lib->lend_rules[lib->nlend_rules];
	size_t len = strlen(key);
	bool array = len > 2 && !strcmp(key + len - 2, "[]");
	bool ok = dot && dot != key && dot[1] && dot + 1 != key + len - 2 * array;

	for (const char *c = key; ok && c < key + len - 2 * array; c++)
		ok = c == dot || *c == '_' || (*c >= '0' && *c <= '9') ||
		     (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z');
	if (!ok) {
		error_at(p, pos_of(k),
			 "'%s' in 'lend' of library '%s' must be FUNCTION.ARGUMENT or "
			 "STRUCT.MEMBER, e.g. 'z_stream.next_in: avail_in', or "
			 "FUNCTION.ARGUMENT[] for an array of pointers",
			 key, lib->name);
		return;
	}
	if (array) {
		parse_array_rule(p, lib, k, v, r);
		if (!r->array)
			return;
		r->type = strndup(key, (size_t)(dot - key));
		r->member = strndup(dot + 1, (size_t)(key + len - 2 - (dot + 1)));
		if (!r->type || !r->member)
			nomem(p);
		r->pos = pos_of(k);
		lib->nlend_rules++;
		return;
	}
	if (!v || v->type != YAML_SCALAR_NODE || !*ynode_str(v)) {
		error_at(p, pos_of(v ? v : k),
			 "'%s' in 'lend' of library '%s' needs the argument or member that "
			 "counts its elements, or a size in bytes, e.g. '%s: 32'",
			 key, lib->name, key);
		return;
	}
	char *val_buf = NULL;
	const char *val = parse_kept(p, lib, k, v, r, &val_buf);
	if (!val)
		return;
	if (!*val) {
		/* "kept until FN" alone: the size the prototype gives. */
	} else if (*val >= '0' && *val <= '9') {
		char *end;
		errno = 0;
		unsigned long long n = strtoull(val, &end, 10);
		if (*end || errno || n == 0 || n > 1ULL << 30) {
			error_at(p, pos_of(v),
				 "'%s' in 'lend' of library '%s': '%s' is not a size in bytes "
				 "(1 to 1073741824) nor a name",
				 key, lib->name, val);
			free(val_buf);
			free(r->kept_until);
			r->kept_until = NULL;
			return;
		}
		r->bytes = n;
	} else {
		/* COUNT, or COUNT + N / COUNT - N bytes (crypto_secretbox_easy's mlen + 16). */
		bool deref = *val == '*';
		val += deref;
		size_t n = 0;
		while (val[n] == '_' || (val[n] >= 'a' && val[n] <= 'z') ||
		       (val[n] >= 'A' && val[n] <= 'Z') || (val[n] >= '0' && val[n] <= '9'))
			n++;
		const char *q = val + n;
		while (*q == ' ')
			q++;
		char *end = (char *)q;
		long extra = 0;
		if (*q == '+' || *q == '-') {
			errno = 0;
			extra = strtol(q + 1, &end, 10);
			if (end == q + 1 || errno || extra > 1 << 20)
				end = (char *)q;
			else if (*q == '-')
				extra = -extra;
		}
		if (!n || *end || (*val >= '0' && *val <= '9')) {
			error_at(p, pos_of(v),
				 "'%s' in 'lend' of library '%s': '%s' must name the argument or "
				 "member that counts the elements (optionally + or - a number of "
				 "bytes, as 'mlen + 16'; '*bufflen': an argument that points at "
				 "the count), or be a size in bytes",
				 key, lib->name, ynode_str(v));
			free(val_buf);
			free(r->kept_until);
			r->kept_until = NULL;
			return;
		}
		r->count = strndup(val, n);
		if (!r->count)
			nomem(p);
		r->extra = extra;
		r->deref = deref;
	}
	free(val_buf);
	r->type = strndup(key, (size_t)(dot - key));
	r->member = strdup(dot + 1);
	if (!r->type || !r->member)
		nomem(p);
	r->pos = pos_of(k);
	lib->nlend_rules++;
}

static void parse_lend(struct parser *p, struct flc_library *lib, const yaml_node_t *v)
{
	if (v && v->type == YAML_MAPPING_NODE) {
		lib->lend_rules =
		    alloc_array(p, npairs(v) ? npairs(v) : 1, sizeof(*lib->lend_rules));
		for (size_t i = 0; i < npairs(v) && lib->lend_rules; i++)
			if (key_at(p, v, i))
				parse_lend_rule(p, lib, key_node(p, v, i), value_node(p, v, i));
	} else if (v && v->type == YAML_SCALAR_NODE && strcmp(ynode_str(v), "none") == 0) {
		lib->lend_none = true;
	} else if (!v || v->type != YAML_SCALAR_NODE || strcmp(ynode_str(v), "copy") != 0) {
		error_at(p, pos_of(v),
			 "'lend' of library '%s' must be 'copy' (lend the caller's private "
			 "objects to its functions, the default), 'none', or a mapping of "
			 "sizes such as '{z_stream.next_in: avail_in}'",
			 lib->name);
	}
}

/*
 * prototypes: {FUNCTION: TYPE}: the prototype of a function of the
 * library that no header declares (a static callback), as a
 * function-pointer type its headers: declare (expat's
 * XML_CharacterDataHandler), so that its gate knows its pointer arguments.
 */
static void parse_prototypes(struct parser *p, struct flc_library *lib, const yaml_node_t *v)
{
	if (!v || v->type != YAML_MAPPING_NODE || !npairs(v)) {
		error_at(p, pos_of(v),
			 "'prototypes' of library '%s' must be a mapping of functions to "
			 "function-pointer types its headers declare, e.g. '{on_text: "
			 "XML_CharacterDataHandler}', or to a function-pointer member of a "
			 "struct, '{alloc_sarray: jpeg_memory_mgr.alloc_sarray}'",
			 lib->name);
		return;
	}
	lib->prototypes = alloc_array(p, npairs(v), sizeof(*lib->prototypes));
	for (size_t i = 0; i < npairs(v) && lib->prototypes; i++) {
		if (!key_at(p, v, i))
			continue;
		const yaml_node_t *k = key_node(p, v, i), *t = value_node(p, v, i);
		/* TYPE, or STRUCT.MEMBER: a function-pointer member of struct STRUCT. */
		const char *dot =
		    t && t->type == YAML_SCALAR_NODE ? strchr(ynode_str(t), '.') : NULL;
		bool member = dot && dot != ynode_str(t) && dot[1] && !strchr(dot + 1, '.');
		for (const char *c = member ? ynode_str(t) : ""; *c && member; c++)
			member = c == dot || *c == '_' || (*c >= '0' && *c <= '9') ||
				 (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z');
		if (!ynode_is_identifier(k) || !t || t->type != YAML_SCALAR_NODE ||
		    (!ynode_is_identifier(t) && !member)) {
			error_at(p, pos_of(k),
				 "'%s' in 'prototypes' of library '%s' must be 'FUNCTION: TYPE', "
				 "both C identifiers, or 'FUNCTION: STRUCT.MEMBER' (a "
				 "function-pointer member of struct STRUCT)",
				 ynode_str(k), lib->name);
			continue;
		}
		struct flc_prototype *pr = &lib->prototypes[lib->nprototypes++];
		pr->fn = copy_scalar(p, k);
		pr->type = copy_scalar(p, t);
		pr->pos = pos_of(k);
	}
}

/*
 * A library is one mapping "name: compartment", optionally with "inputs",
 * "shared_data", "callbacks", "headers", "cflags", "lend" and "checkpoint".
 */
static void parse_library(struct parser *p, const yaml_node_t *it)
{
	struct flc_config *cfg = p->cfg;
	struct flc_library *lib = &cfg->libraries[cfg->nlibraries];
	const yaml_node_t *name, *v;

	if (it->type != YAML_MAPPING_NODE || npairs(it) == 0) {
		error_at(p, pos_of(it),
			 "each library must be a mapping 'name: compartment', e.g. '- lwip: "
			 "comp1', not %s",
			 ynode_kind(it));
		return;
	}
	if (!key_at(p, it, 0))
		return;
	name = key_node(p, it, 0);
	v = value_node(p, it, 0);
	if (!ynode_is_identifier(name))
		error_at(p, pos_of(name),
			 "library name '%s' is not a C identifier ([A-Za-z_][A-Za-z0-9_]*): rename "
			 "it, it is used in symbol names",
			 ynode_str(name));
	lib->name = copy_scalar(p, name);
	if (!lib->name)
		return;
	cfg->nlibraries++;
	lib->pos = pos_of(name);
	lib->compartment_index = NOT_FOUND;

	if (ynode_is_null(v)) {
		error_at(p, pos_of(name), "library '%s' has no compartment: write '- %s: COMPARTMENT'",
			 lib->name, lib->name);
	} else if (v->type != YAML_SCALAR_NODE) {
		error_at(p, pos_of(v), "the compartment of library '%s' must be a name, not %s",
			 lib->name, ynode_kind(v));
	} else {
		lib->compartment = copy_scalar(p, v);
		lib->compartment_pos = pos_of(v);
	}

	for (size_t i = 1; i < npairs(it); i++) {
		const char *key = key_at(p, it, i);

		if (!key)
			continue;
		if (strcmp(key, "inputs") == 0)
			parse_inputs(p, lib, key_node(p, it, i), value_node(p, it, i));
		else if (strcmp(key, "shared_data") == 0)
			parse_names(p, lib, key_node(p, it, i), value_node(p, it, i),
				    &lib->shared_data);
		else if (strcmp(key, "callbacks") == 0)
			parse_names(p, lib, key_node(p, it, i), value_node(p, it, i),
				    &lib->callbacks);
		else if (strcmp(key, "headers") == 0)
			parse_strings(p, lib, key_node(p, it, i), value_node(p, it, i),
				      &lib->headers, "header name, e.g. [pcre2.h]");
		else if (strcmp(key, "cflags") == 0)
			parse_strings(p, lib, key_node(p, it, i), value_node(p, it, i),
				      &lib->cflags, "compiler option, e.g. [-I/opt/pcre2/include]");
		else if (strcmp(key, "lend") == 0)
			parse_lend(p, lib, value_node(p, it, i));
		else if (strcmp(key, "prototypes") == 0)
			parse_prototypes(p, lib, value_node(p, it, i));
		else if (strcmp(key, "checkpoint") == 0)
			parse_names(p, lib, key_node(p, it, i), value_node(p, it, i),
				    &lib->checkpoint);
		else
			error_at(p, pos_of(key_node(p, it, i)),
				 "unknown key '%s' in library '%s' (expected: inputs, shared_data, "
				 "callbacks, headers, cflags, lend, prototypes or checkpoint)",
				 key, lib->name);
	}
}

static void parse_libraries(struct parser *p, const yaml_node_t *seq)
{
	size_t n;

	if (ynode_is_null(seq))
		return;
	if (seq->type != YAML_SEQUENCE_NODE) {
		error_at(p, pos_of(seq),
			 "'libraries' must be a sequence of '- name: compartment' items, not %s",
			 ynode_kind(seq));
		return;
	}
	n = nitems(seq);
	if (n == 0)
		return;
	p->cfg->libraries = alloc_array(p, n, sizeof(*p->cfg->libraries));
	if (!p->cfg->libraries)
		return;
	for (size_t i = 0; i < n; i++)
		parse_library(p, item(p, seq, i));
}

static void check_mechanisms(struct parser *p)
{
	struct flc_config *cfg = p->cfg;
	const struct flc_compartment *first = &cfg->compartments[0];
	char how[96];
	size_t max;
	bool mixed = false;

	cfg->mechanism = first->mechanism;
	for (size_t i = 0; i < cfg->ncompartments; i++)
		if (p->extra[i].bad_mechanism)
			return;
	if (p->extra[0].has_mechanism)
		snprintf(how, sizeof(how), "%s (%u:%u)", flexos_mechanism_name(first->mechanism),
			 first->mechanism_pos.line, first->mechanism_pos.col);
	else
		snprintf(how, sizeof(how), "none (it has no 'mechanism' key, %u:%u)", first->pos.line,
			 first->pos.col);
	for (size_t i = 1; i < cfg->ncompartments; i++) {
		const struct flc_compartment *c = &cfg->compartments[i];

		if (c->mechanism == first->mechanism)
			continue;
		error_at(p, c->mechanism_pos,
			 "all compartments must use the same mechanism: '%s' uses %s but '%s' uses %s%s",
			 first->name, how, c->name, flexos_mechanism_name(c->mechanism),
			 p->extra[i].has_mechanism ? "" : " (it has no 'mechanism' key)");
		mixed = true;
	}
	max = flexos_mechanism_max(cfg->mechanism);
	/* newlib compartments deny key 0: what they share needs a key of its own. */
	if ((flexos_mechanism_props(cfg->mechanism) & FLEXOS_MECH_PKEYS) && flc_count_newlib(cfg) &&
	    !mixed &&
	    cfg->ncompartments > max - 1) {
		error_at(p, cfg->compartments[max - 1].pos,
			 "too many compartments for %s with 'libc: newlib': %zu declared, at most %zu (one protection key goes to the shared data, which newlib compartments reach without key 0): merge some compartments",
			 flexos_mechanism_name(cfg->mechanism), cfg->ncompartments, max - 1);
		return;
	}
	if (mixed || cfg->ncompartments <= max)
		return;
	if (flexos_mechanism_props(cfg->mechanism) & FLEXOS_MECH_PKEYS)
		error_at(p, cfg->compartments[max].pos,
			 "too many compartments for %s: %zu declared, at most %zu (%zu protection keys are available besides key 0, which the runtime keeps): merge some compartments",
			 flexos_mechanism_name(cfg->mechanism), cfg->ncompartments, max, max);
	else
		error_at(p, cfg->compartments[max].pos,
			 "too many compartments for %s: %zu declared, at most %zu: merge some compartments",
			 flexos_mechanism_name(cfg->mechanism), cfg->ncompartments, max);
}

/*
 * Gates are generated for the whole image, and one compartment on a
 * private stack cannot take pointers to a shared one's stack: the stack
 * mode is per image.
 */
static void check_stacks(struct parser *p)
{
	const struct flc_config *cfg = p->cfg;
	const struct flc_compartment *first = &cfg->compartments[0];

	for (size_t i = 0; i < cfg->ncompartments; i++)
		if (p->extra[i].bad_stack)
			return;
	for (size_t i = 1; i < cfg->ncompartments; i++) {
		const struct flc_compartment *c = &cfg->compartments[i];
		const struct comp_extra *x = &p->extra[i];

		if (c->stack == first->stack)
			continue;
		error_at(p, x->has_stack ? x->stack_pos : c->pos,
			 "compartment '%s' uses stack %s%s but '%s' uses %s%s: the stack mode is per image: set 'stack: shared' on every compartment, or on none",
			 c->name, stack_names[c->stack], x->has_stack ? "" : " (the default)",
			 first->name, stack_names[first->stack],
			 p->extra[0].has_stack ? "" : " (the default)");
	}
}

/* A sole compartment is the default whether marked or not: there is no choice. */
static void check_default(struct parser *p, const yaml_node_t *seq)
{
	struct flc_config *cfg = p->cfg;
	size_t first = NOT_FOUND;
	bool bad = false;

	if (cfg->ncompartments == 1) {
		cfg->compartments[0].is_default = true;
		cfg->default_index = 0;
		return;
	}
	for (size_t i = 0; i < cfg->ncompartments; i++) {
		const struct flc_compartment *c = &cfg->compartments[i];
		struct flc_pos at = p->extra[i].default_pos;

		bad |= p->extra[i].bad_default;
		if (!c->is_default)
			continue;
		if (first == NOT_FOUND) {
			first = i;
			continue;
		}
		error_at(p, at,
			 "compartments '%s' (%u:%u) and '%s' (%u:%u) are both marked 'default: true': keep only one",
			 cfg->compartments[first].name, p->extra[first].default_pos.line,
			 p->extra[first].default_pos.col, c->name, at.line, at.col);
	}
	if (first == NOT_FOUND && !bad)
		error_at(p, pos_of(seq),
			 "no default compartment: mark one of the %zu compartments with 'default: true' (it receives every input no library claims)",
			 cfg->ncompartments);
	else if (first != NOT_FOUND)
		cfg->default_index = first;
}

/*
 * sandbox_of names another compartment, which is not a sandbox itself: the
 * host's right to reach into its sandbox would otherwise be transitive.
 */
static void check_sandboxes(struct parser *p)
{
	struct flc_config *cfg = p->cfg;

	for (size_t i = 0; i < cfg->ncompartments; i++) {
		struct flc_compartment *c = &cfg->compartments[i];
		size_t h;

		c->sandbox_of_index = NOT_FOUND;
		if (!c->sandbox_of)
			continue;
		h = flc_find_compartment(cfg, c->sandbox_of);
		if (h == NOT_FOUND)
			error_at(p, c->sandbox_of_pos,
				 "compartment '%s' is a sandbox of unknown compartment '%s': name a compartment declared under 'compartments'",
				 c->name, c->sandbox_of);
		else if (h == i)
			error_at(p, c->sandbox_of_pos,
				 "compartment '%s' cannot be a sandbox of itself: name the host compartment that may reach into it",
				 c->name);
		else if (cfg->compartments[h].sandbox_of)
			error_at(p, c->sandbox_of_pos,
				 "compartment '%s' is a sandbox of '%s', which is a sandbox itself: a host must not be a sandbox, remove 'sandbox_of' from one of them",
				 c->name, c->sandbox_of);
		else
			c->sandbox_of_index = h;
	}
}

/*
 * A newlib compartment holds libraries, never main: the default compartment
 * runs glibc's start-up and main. Its stacks are its own (shared stacks
 * are key 0, which it may not touch under MPK).
 */
static void check_libcs(struct parser *p)
{
	struct flc_config *cfg = p->cfg;

	for (size_t i = 0; i < cfg->ncompartments; i++) {
		const struct flc_compartment *c = &cfg->compartments[i];

		if (c->libc != FLC_LIBC_NEWLIB)
			continue;
		if (i == cfg->default_index && c->is_default)
			error_at(p, c->libc_pos,
				 "the default compartment '%s' cannot have 'libc: newlib': it runs main and glibc's start-up; give newlib to a compartment that holds libraries",
				 c->name);
		else if (c->stack == FLC_STACK_SHARED)
			error_at(p, c->libc_pos,
				 "compartment '%s' has 'libc: newlib' but the image uses 'stack: "
				 "shared': shared stacks are the process's (key 0), which a newlib "
				 "compartment may not touch; use private stacks",
				 c->name);
	}
}

/* A system-call policy needs a mechanism that has one, and a process of its own. */
static void check_syscalls(struct parser *p)
{
	const struct flc_config *cfg = p->cfg;

	for (size_t i = 0; i < cfg->ncompartments; i++) {
		const struct flc_compartment *c = &cfg->compartments[i];

		if (!c->syscalls_pos.line)
			continue;
		/*
		 * The same config links under every mechanism: one without a
		 * policy says so rather than refusing the file.
		 */
		if (!(flexos_mechanism_props(cfg->mechanism) & FLEXOS_MECH_SYSCALLS))
			warning_at(p, c->syscalls_pos,
				   "mechanism '%s' has no system-call policy: 'syscalls' of compartment '%s' takes effect under 'process' only",
				   flexos_mechanism_name(cfg->mechanism), c->name);
		else if (c->is_default)
			error_at(p, c->syscalls_pos,
				 "compartment '%s' runs main in the application's process, which has no system-call policy: move 'syscalls'/'syscalls_denied' to the compartments you isolate",
				 c->name);
	}
}

/*
 * intel-mpk has no 'restart': a compartment that crashes shares the
 * process with the others, and may stop holding a lock of glibc (malloc,
 * stdio) or halfway through an update of key-0 memory every compartment
 * uses; returning an error from its gate would let the others run on
 * that state. The process backend restarts a compartment's own process.
 */
static void check_on_crash(struct parser *p)
{
	const struct flc_config *cfg = p->cfg;

	if (cfg->mechanism != FLEXOS_MECH_MPK)
		return;
	for (size_t i = 0; i < cfg->ncompartments; i++) {
		const struct flc_compartment *c = &cfg->compartments[i];

		if (c->on_crash == FLC_CRASH_RESTART)
			error_at(p, c->on_crash_pos,
				 "compartment '%s' has 'on_crash: restart', which intel-mpk does not implement: a compartment that crashes shares the process (glibc's locks, key-0 memory) and cannot be unwound safely; use 'on_crash: abort', or mechanism 'process', whose compartments restart in a fresh process",
				 c->name);
	}
}

static void check_compartments(struct parser *p, const yaml_node_t *seq)
{
	struct flc_config *cfg = p->cfg;

	if (cfg->ncompartments == 0)
		return;
	for (size_t i = 0; i < cfg->ncompartments; i++) {
		const struct flc_compartment *c = &cfg->compartments[i];
		size_t j = strmap_get(&cfg->compartment_index, c->name);

		if (!j) {
			strmap_put(&cfg->compartment_index, c->name, i + 1);
			continue;
		}
		error_at(
		    p, c->pos,
		    "compartment '%s' is declared twice (first at %u:%u): rename or remove one",
		    c->name, cfg->compartments[j - 1].pos.line, cfg->compartments[j - 1].pos.col);
	}
	check_mechanisms(p);
	check_stacks(p);
	check_default(p, seq);
	check_sandboxes(p);
	check_libcs(p);
	check_syscalls(p);
	check_on_crash(p);
}

/*
 * A checkpoint is the sandbox's memory, saved by its host (which may
 * write it) and put back when the sandbox restarts: it needs both.
 */
static void check_checkpoint(struct parser *p, const struct flc_library *lib)
{
	const struct flc_compartment *c = &p->cfg->compartments[lib->compartment_index];

	if (!lib->checkpoint.count)
		return;
	if (!c->sandbox_of)
		error_at(p, lib->checkpoint.pos[0],
			 "library '%s' has 'checkpoint' but its compartment '%s' is no sandbox: add 'sandbox_of: HOST' to '%s' (the host saves and restores the sandbox's memory), or remove 'checkpoint'",
			 lib->name, c->name, c->name);
	else if (c->on_crash != FLC_CRASH_RESTART)
		error_at(p, lib->checkpoint.pos[0],
			 "library '%s' has 'checkpoint' but its compartment '%s' has 'on_crash: abort': a checkpoint is restored when the compartment restarts; add 'on_crash: restart' to '%s', or remove 'checkpoint'",
			 lib->name, c->name, c->name);
}

static void check_libraries(struct parser *p)
{
	struct flc_config *cfg = p->cfg;

	for (size_t i = 0; i < cfg->nlibraries; i++) {
		struct flc_library *lib = &cfg->libraries[i];
		size_t c;

		size_t j = strmap_get(&cfg->library_index, lib->name);
		if (!j)
			strmap_put(&cfg->library_index, lib->name, i + 1);
		else
			error_at(p, lib->pos,
				 "library '%s' is declared twice (first at %u:%u): a library lives "
				 "in one compartment, remove one",
				 lib->name, cfg->libraries[j - 1].pos.line,
				 cfg->libraries[j - 1].pos.col);
		if (!lib->compartment)
			continue;
		c = flc_find_compartment(cfg, lib->compartment);
		if (c == NOT_FOUND) {
			error_at(p, lib->compartment_pos,
				 "library '%s' is placed in unknown compartment '%s': declare it under 'compartments' or fix the name",
				 lib->name, lib->compartment);
			continue;
		}
		lib->compartment_index = c;
		cfg->compartments[c].nlibraries++;
		check_checkpoint(p, lib);
	}
}

/*
 * Only on a config without errors: a misspelt compartment in 'libraries'
 * would otherwise also show up as a spurious empty compartment.
 */
static void warn_empty_compartments(struct parser *p)
{
	struct flc_config *cfg = p->cfg;

	if (p->nerrors)
		return;
	for (size_t i = 0; i < cfg->ncompartments; i++) {
		const struct flc_compartment *c = &cfg->compartments[i];

		if (c->nlibraries == 0 && !c->is_default)
			warning_at(p, c->pos,
				   "compartment '%s' has no library and is not the default: nothing will be placed in it",
				   c->name);
	}
}

static void walk(struct parser *p)
{
	const yaml_node_t *root = yaml_document_get_root_node(&p->doc);
	const yaml_node_t *comps = NULL;
	char expected[64];

	if (!root) {
		error_at(p, (struct flc_pos){ 1, 1 },
			 "the file is empty: declare at least one compartment under 'compartments:'");
		return;
	}
	if (ynode_is_null(root)) {
		error_at(p, pos_of(root),
			 "the document is empty: declare at least one compartment under 'compartments:'");
		return;
	}
	if (root->type != YAML_MAPPING_NODE) {
		error_at(p, pos_of(root),
			 "the top level must be a mapping with the keys 'compartments' and "
			 "'libraries', not %s",
			 ynode_kind(root));
		return;
	}
	for (size_t i = 0; i < npairs(root); i++) {
		const char *key = key_at(p, root, i);

		if (!key)
			continue;
		switch (find_name(top_keys, key)) {
		case TKEY_COMPARTMENTS:
			comps = value_node(p, root, i);
			parse_compartments(p, key_node(p, root, i), comps);
			break;
		case TKEY_LIBRARIES:
			parse_libraries(p, value_node(p, root, i));
			break;
		default:
			error_at(p, pos_of(key_node(p, root, i)), "unknown top-level key '%s' (expected: %s)",
				 key, join_names(expected, sizeof(expected), top_keys));
		}
	}
	if (!comps) {
		error_at(p, pos_of(root),
			 "no 'compartments' key: declare at least one compartment under 'compartments:'");
		return;
	}
	check_compartments(p, comps);
	check_libraries(p);
	warn_empty_compartments(p);
}

static struct flc_pos pos_at_offset(const struct parser *p, size_t offset)
{
	struct flc_pos pos = { 1, 1 };

	for (size_t i = 0; i < offset && i < p->len; i++) {
		if (p->text[i] == '\n') {
			pos.line++;
			pos.col = 1;
		} else {
			pos.col++;
		}
	}
	return pos;
}

/* Tabs are the usual cause of a scanner error in hand-written YAML. */
static bool indented_with_tab(const struct parser *p, unsigned line)
{
	size_t i = 0;

	for (unsigned l = 1; l < line && i < p->len; i++)
		if (p->text[i] == '\n')
			l++;
	for (; i < p->len && (p->text[i] == ' ' || p->text[i] == '\t'); i++)
		if (p->text[i] == '\t')
			return true;
	return false;
}

static void report_yaml_error(struct parser *p, const yaml_parser_t *yp)
{
	struct flc_pos pos = mark_pos(yp->problem_mark);
	char context[160] = "";

	if (yp->error == YAML_MEMORY_ERROR) {
		nomem(p);
		return;
	}
	if (yp->error == YAML_READER_ERROR) {
		error_at(p, pos_at_offset(p, yp->problem_offset),
			 "invalid YAML: %s (byte 0x%02X): the file must be UTF-8 text", yp->problem,
			 (unsigned)yp->problem_value & 0xff);
		return;
	}
	if (yp->context)
		snprintf(context, sizeof(context), " (%s at %u:%u)", yp->context,
			 mark_pos(yp->context_mark).line, mark_pos(yp->context_mark).col);
	error_at(p, pos, "invalid YAML: %s%s%s", yp->problem ? yp->problem : "unknown error", context,
		 indented_with_tab(p, pos.line) ? ": YAML does not allow tabs in indentation, use spaces"
						: "");
}

/*
 * libyaml reports a syntax error in the stream only when it reaches it, so
 * the rest of the stream is loaded too: it must hold no second document.
 */
static int check_rest(struct parser *p, yaml_parser_t *yp)
{
	yaml_document_t next;
	const yaml_node_t *root;

	if (!yaml_parser_load(yp, &next)) {
		report_yaml_error(p, yp);
		return -1;
	}
	root = yaml_document_get_root_node(&next);
	if (root)
		error_at(p, mark_pos(next.start_mark),
			 "a second YAML document starts here: flexos.yaml holds one, remove this '---' and what follows");
	yaml_document_delete(&next);
	return root ? -1 : 0;
}

int flc_parse_string(const char *name, const char *text, size_t len, struct flc_config *out,
		     FILE *err)
{
	struct parser p = { .name = name, .text = text, .len = len, .err = err, .cfg = out };
	yaml_parser_t yp;

	memset(out, 0, sizeof(*out));
	if (!yaml_parser_initialize(&yp)) {
		nomem(&p);
		return -1;
	}
	yaml_parser_set_input_string(&yp, (const unsigned char *)text, len);
	if (!yaml_parser_load(&yp, &p.doc)) {
		report_yaml_error(&p, &yp);
		yaml_parser_delete(&yp);
		return -1;
	}
	out->path = strdup(name);
	if (!out->path)
		nomem(&p);
	else if (check_rest(&p, &yp) == 0)
		walk(&p);
	yaml_document_delete(&p.doc);
	yaml_parser_delete(&yp);
	free(p.extra);
	for (size_t i = 0; i < KEY_CACHE_SLOTS; i++)
		strmap_free(&p.keys[i].index);
	if (p.nerrors) {
		flc_free(out);
		return -1;
	}
	return 0;
}

static int read_all(FILE *f, char **buf, size_t *len)
{
	size_t size = 4096, n = 0;
	char *b = NULL;

	for (;;) {
		char *bigger = realloc(b, size);

		if (!bigger) {
			free(b);
			errno = ENOMEM;
			return -1;
		}
		b = bigger;
		n += fread(b + n, 1, size - n, f);
		if (n < size)
			break;
		size *= 2;
	}
	if (ferror(f)) {
		free(b);
		errno = EIO;
		return -1;
	}
	*buf = b;
	*len = n;
	return 0;
}

int flc_parse_file(const char *path, struct flc_config *out, FILE *err)
{
	FILE *f = fopen(path, "rb");
	char *text;
	size_t len;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!f) {
		fprintf(err, "%s: error: cannot open the config: %s\n", path, strerror(errno));
		return -1;
	}
	ret = read_all(f, &text, &len);
	if (ret < 0)
		fprintf(err, "%s: error: cannot read the config: %s\n", path, strerror(errno));
	fclose(f);
	if (ret < 0)
		return -1;
	ret = flc_parse_string(path, text, len, out, err);
	free(text);
	return ret;
}

static void free_strings(char **s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(s[i]);
	free(s);
}

void flc_free(struct flc_config *cfg)
{
	for (size_t i = 0; i < cfg->ncompartments; i++) {
		free(cfg->compartments[i].name);
		free(cfg->compartments[i].sandbox_of);
		free_strings(cfg->compartments[i].hardening, cfg->compartments[i].nhardening);
		free_strings(cfg->compartments[i].syscalls.names, cfg->compartments[i].syscalls.count);
		free(cfg->compartments[i].syscalls.pos);
		free(cfg->compartments[i].syscall_nrs);
	}
	for (size_t i = 0; i < cfg->nlibraries; i++) {
		free(cfg->libraries[i].name);
		free(cfg->libraries[i].compartment);
		free_strings(cfg->libraries[i].inputs, cfg->libraries[i].ninputs);
		free(cfg->libraries[i].input_pos);
		free_strings(cfg->libraries[i].shared_data.names, cfg->libraries[i].shared_data.count);
		free(cfg->libraries[i].shared_data.pos);
		strmap_free(&cfg->libraries[i].shared_data.index);
		free_strings(cfg->libraries[i].callbacks.names, cfg->libraries[i].callbacks.count);
		free(cfg->libraries[i].callbacks.pos);
		free_strings(cfg->libraries[i].checkpoint.names, cfg->libraries[i].checkpoint.count);
		free(cfg->libraries[i].checkpoint.pos);
		strmap_free(&cfg->libraries[i].checkpoint.index);
		free_strings(cfg->libraries[i].headers.names, cfg->libraries[i].headers.count);
		free(cfg->libraries[i].headers.pos);
		free_strings(cfg->libraries[i].cflags.names, cfg->libraries[i].cflags.count);
		free(cfg->libraries[i].cflags.pos);
		strmap_free(&cfg->libraries[i].callbacks.index);
		strmap_free(&cfg->libraries[i].headers.index);
		strmap_free(&cfg->libraries[i].cflags.index);
		for (size_t r = 0; r < cfg->libraries[i].nlend_rules; r++) {
			free(cfg->libraries[i].lend_rules[r].type);
			free(cfg->libraries[i].lend_rules[r].member);
			free(cfg->libraries[i].lend_rules[r].count);
			free(cfg->libraries[i].lend_rules[r].kept_until);
		}
		free(cfg->libraries[i].lend_rules);
		for (size_t r = 0; r < cfg->libraries[i].nprototypes; r++) {
			free(cfg->libraries[i].prototypes[r].fn);
			free(cfg->libraries[i].prototypes[r].type);
		}
		free(cfg->libraries[i].prototypes);
	}
	strmap_free(&cfg->compartment_index);
	strmap_free(&cfg->library_index);
	free(cfg->compartments);
	free(cfg->libraries);
	free(cfg->path);
	memset(cfg, 0, sizeof(*cfg));
}

const char *flc_libc_name(enum flc_libc l)
{
	return libc_names[l];
}

size_t flc_count_newlib(const struct flc_config *cfg)
{
	size_t n = 0;
	for (size_t i = 0; i < cfg->ncompartments; i++)
		n += cfg->compartments[i].libc == FLC_LIBC_NEWLIB;
	return n;
}

size_t flc_find_compartment(const struct flc_config *cfg, const char *name)
{
	if (cfg->compartment_index.count)
		return strmap_get(&cfg->compartment_index, name) - 1; /* 0 - 1: NOT_FOUND */
	for (size_t i = 0; i < cfg->ncompartments; i++)
		if (strcmp(cfg->compartments[i].name, name) == 0)
			return i;
	return NOT_FOUND;
}

size_t flc_find_library(const struct flc_config *cfg, const char *name)
{
	if (cfg->library_index.count)
		return strmap_get(&cfg->library_index, name) - 1; /* 0 - 1: NOT_FOUND */
	for (size_t i = 0; i < cfg->nlibraries; i++)
		if (strcmp(cfg->libraries[i].name, name) == 0)
			return i;
	return NOT_FOUND;
}
