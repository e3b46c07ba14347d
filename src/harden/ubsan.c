/*
 * The UBSan runtime of compartments built with ubsan: the handlers gcc 12
 * calls from C compiled with -fsanitize=undefined
 * -fno-sanitize-recover=undefined (the _abort names; the recoverable names
 * are here too, and end the compartment as well). No libubsan is linked:
 * it would bring its own reports, allocator and options. Each handler
 * reads the source location gcc put in its data and reports through
 * flexos__harden_report.
 */
#include "autoconfig.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <flexos/names.h>

#include "harden_impl.h"
#include "trap.h"

/* The data gcc passes (libsanitizer's ubsan_handlers.h, ubsan_value.h). */
struct source_location {
	const char *file;
	uint32_t line;
	uint32_t column;
};

struct type_descriptor {
	uint16_t kind; /* 0: integer, 1: float */
	uint16_t info; /* integer: bit 0 signed, bits 1..: log2 of the width */
	char name[];
};

struct overflow_data {
	struct source_location loc;
	const struct type_descriptor *type;
};

struct shift_data {
	struct source_location loc;
	const struct type_descriptor *lhs_type, *rhs_type;
};

struct out_of_bounds_data {
	struct source_location loc;
	const struct type_descriptor *array_type, *index_type;
};

struct type_mismatch_data {
	struct source_location loc;
	const struct type_descriptor *type;
	unsigned char log_alignment;
	unsigned char check_kind;
};

struct loc_data {
	struct source_location loc;
};

struct nonnull_arg_data {
	struct source_location loc, attr_loc;
	int arg_index;
};

struct nonnull_return_data {
	struct source_location attr_loc;
};

struct float_cast_data {
	struct source_location loc;
	const struct type_descriptor *from, *to;
};

struct invalid_builtin_data {
	struct source_location loc;
	unsigned char kind;
};

typedef uintptr_t value_handle;

#define RET ((uintptr_t)__builtin_return_address(0))

static noreturn void report(uintptr_t pc, const struct source_location *loc, const char *kind,
			    const char *detail)
{
	char where[256];

	if (loc && loc->file)
		flexos__format(where, sizeof(where), "%s:%u:%u", loc->file, loc->line, loc->column);
	else
		flexos__format(where, sizeof(where), "an unknown line");
	flexos__harden_report(pc, kind, where, "%s", detail);
}

/* An integer value of type t as text; wider than 64 bits the handle points at it. */
static void value(char *buf, size_t size, const struct type_descriptor *t, value_handle v)
{
	unsigned width = t->kind == 0 ? 1u << (t->info >> 1) : 0;

	if (t->kind != 0) {
		flexos__format(buf, size, "a value of type %s", t->name);
	} else if (width > 64) {
		const uint64_t *w = (const uint64_t *)v;
		flexos__format(buf, size, "0x%016llx%016llx", (unsigned long long)w[1],
			       (unsigned long long)w[0]);
	} else if (t->info & 1) {
		int64_t s = (int64_t)(v << (64 - width)) >> (64 - width);
		flexos__format(buf, size, "%lld", (long long)s);
	} else {
		flexos__format(buf, size, "%llu", (unsigned long long)v);
	}
}

static noreturn void overflow(uintptr_t pc, const struct overflow_data *d, value_handle lhs,
			      value_handle rhs, char op)
{
	char a[48], b[48], detail[200];

	value(a, sizeof(a), d->type, lhs);
	value(b, sizeof(b), d->type, rhs);
	flexos__format(detail, sizeof(detail), "%s %c %s cannot be represented in type %s", a, op,
		       b, d->type->name);
	report(pc, &d->loc,
	       d->type->info & 1 ? "signed-integer-overflow" : "unsigned-integer-overflow", detail);
}

/* Each handler under its recoverable name and its _abort name. */
#define BOTH(name, params, args)                   \
	void __ubsan_handle_##name params;         \
	void __ubsan_handle_##name##_abort params; \
	void __ubsan_handle_##name params          \
	{                                          \
		name##_report args;                \
	}                                          \
	void __ubsan_handle_##name##_abort params  \
	{                                          \
		name##_report args;                \
	}

#define add_overflow_report(d, l, r, pc) overflow(pc, d, l, r, '+')
#define sub_overflow_report(d, l, r, pc) overflow(pc, d, l, r, '-')
#define mul_overflow_report(d, l, r, pc) overflow(pc, d, l, r, '*')
BOTH(add_overflow, (struct overflow_data * d, value_handle l, value_handle r), (d, l, r, RET))
BOTH(sub_overflow, (struct overflow_data * d, value_handle l, value_handle r), (d, l, r, RET))
BOTH(mul_overflow, (struct overflow_data * d, value_handle l, value_handle r), (d, l, r, RET))

static noreturn void negate_overflow_report(struct overflow_data *d, value_handle v, uintptr_t pc)
{
	char a[48], detail[200];

	value(a, sizeof(a), d->type, v);
	flexos__format(detail, sizeof(detail), "negation of %s cannot be represented in type %s", a,
		       d->type->name);
	report(pc, &d->loc, "signed-integer-overflow", detail);
}
BOTH(negate_overflow, (struct overflow_data * d, value_handle v), (d, v, RET))

static noreturn void divrem_overflow_report(struct overflow_data *d, value_handle l, value_handle r,
					    uintptr_t pc)
{
	char a[48], b[48], detail[200];

	value(a, sizeof(a), d->type, l);
	value(b, sizeof(b), d->type, r);
	if (d->type->kind == 0 && !strcmp(b, "0")) {
		flexos__format(detail, sizeof(detail), "division of %s by zero", a);
		report(pc, &d->loc, "division-by-zero", detail);
	}
	flexos__format(detail, sizeof(detail),
		       "division of %s by %s cannot be represented in type %s", a, b,
		       d->type->name);
	report(pc, &d->loc, "signed-integer-overflow", detail);
}
BOTH(divrem_overflow, (struct overflow_data * d, value_handle l, value_handle r), (d, l, r, RET))

static noreturn void shift_out_of_bounds_report(struct shift_data *d, value_handle l,
						value_handle r, uintptr_t pc)
{
	char a[48], b[48], detail[200];

	value(a, sizeof(a), d->lhs_type, l);
	value(b, sizeof(b), d->rhs_type, r);
	flexos__format(detail, sizeof(detail), "shift of %s by %s in type %s", a, b,
		       d->lhs_type->name);
	report(pc, &d->loc, "shift-out-of-bounds", detail);
}
BOTH(shift_out_of_bounds, (struct shift_data * d, value_handle l, value_handle r), (d, l, r, RET))

static noreturn void out_of_bounds_report(struct out_of_bounds_data *d, value_handle i,
					  uintptr_t pc)
{
	char a[48], detail[200];

	value(a, sizeof(a), d->index_type, i);
	flexos__format(detail, sizeof(detail), "index %s out of bounds for type %s", a,
		       d->array_type->name);
	report(pc, &d->loc, "index-out-of-bounds", detail);
}
BOTH(out_of_bounds, (struct out_of_bounds_data * d, value_handle i), (d, i, RET))

static noreturn void type_mismatch_v1_report(struct type_mismatch_data *d, value_handle p,
					     uintptr_t pc)
{
	static const char *const what[] = {"load of",
					   "store to",
					   "reference binding to",
					   "member access within",
					   "member call on",
					   "constructor call on",
					   "downcast of",
					   "downcast of",
					   "upcast of",
					   "cast to virtual base of",
					   "_Nonnull binding to",
					   "dynamic operation on"};
	const char *op =
	    d->check_kind < sizeof(what) / sizeof(what[0]) ? what[d->check_kind] : "access to";
	uintptr_t align = (uintptr_t)1 << d->log_alignment;
	char detail[200];

	if (!p) {
		flexos__format(detail, sizeof(detail), "%s null pointer of type %s", op,
			       d->type->name);
		report(pc, &d->loc, "null-pointer-dereference", detail);
	}
	if (d->log_alignment && (p & (align - 1))) {
		flexos__format(detail, sizeof(detail),
			       "%s misaligned address %#lx for type %s, which requires %lu-byte "
			       "alignment",
			       op, (unsigned long)p, d->type->name, (unsigned long)align);
		report(pc, &d->loc, "misaligned-access", detail);
	}
	flexos__format(detail, sizeof(detail),
		       "%s address %#lx with insufficient space for an object of "
		       "type %s",
		       op, (unsigned long)p, d->type->name);
	report(pc, &d->loc, "object-size", detail);
}
BOTH(type_mismatch_v1, (struct type_mismatch_data * d, value_handle p), (d, p, RET))

static noreturn void vla_bound_not_positive_report(struct overflow_data *d, value_handle v,
						   uintptr_t pc)
{
	char a[48], detail[200];

	value(a, sizeof(a), d->type, v);
	flexos__format(detail, sizeof(detail), "variable length array bound evaluates to %s", a);
	report(pc, &d->loc, "vla-bound-not-positive", detail);
}
BOTH(vla_bound_not_positive, (struct overflow_data * d, value_handle v), (d, v, RET))

static noreturn void load_invalid_value_report(struct overflow_data *d, value_handle v,
					       uintptr_t pc)
{
	char a[48], detail[200];

	value(a, sizeof(a), d->type, v);
	flexos__format(detail, sizeof(detail), "load of value %s, which is not valid for type %s",
		       a, d->type->name);
	report(pc, &d->loc, "invalid-value", detail);
}
BOTH(load_invalid_value, (struct overflow_data * d, value_handle v), (d, v, RET))

static noreturn void pointer_overflow_report(struct loc_data *d, value_handle base,
					     value_handle result, uintptr_t pc)
{
	char detail[200];

	flexos__format(detail, sizeof(detail), "pointer arithmetic on %#lx overflowed to %#lx",
		       (unsigned long)base, (unsigned long)result);
	report(pc, &d->loc, "pointer-overflow", detail);
}
BOTH(pointer_overflow, (struct loc_data * d, value_handle b, value_handle r), (d, b, r, RET))

static noreturn void nonnull_arg_report(struct nonnull_arg_data *d, uintptr_t pc)
{
	char detail[200];

	flexos__format(detail, sizeof(detail),
		       "null pointer passed as argument %d, which is declared never to be null",
		       d->arg_index);
	report(pc, &d->loc, "nonnull-attribute", detail);
}
BOTH(nonnull_arg, (struct nonnull_arg_data * d), (d, RET))

static noreturn void nonnull_return_v1_report(struct nonnull_return_data *d,
					      struct source_location *loc, uintptr_t pc)
{
	(void)d;
	report(pc, loc, "returns-nonnull-attribute",
	       "null pointer returned from a function declared never to return null");
}
BOTH(nonnull_return_v1, (struct nonnull_return_data * d, struct source_location *l), (d, l, RET))

static noreturn void float_cast_overflow_report(struct float_cast_data *d, value_handle v,
						uintptr_t pc)
{
	char detail[200];

	(void)v;
	flexos__format(detail, sizeof(detail), "a value of type %s is outside the range of type %s",
		       d->from->name, d->to->name);
	report(pc, &d->loc, "float-cast-overflow", detail);
}
BOTH(float_cast_overflow, (struct float_cast_data * d, value_handle v), (d, v, RET))

static noreturn void invalid_builtin_report(struct invalid_builtin_data *d, uintptr_t pc)
{
	report(pc, &d->loc, "invalid-builtin-use",
	       d->kind ? "passing zero to clz(), which is not a valid argument"
		       : "passing zero to ctz(), which is not a valid argument");
}
BOTH(invalid_builtin, (struct invalid_builtin_data * d), (d, RET))

static noreturn void builtin_unreachable_report(struct loc_data *d, uintptr_t pc)
{
	report(pc, &d->loc, "unreachable", "execution reached an unreachable program point");
}

static noreturn void missing_return_report(struct loc_data *d, uintptr_t pc)
{
	report(pc, &d->loc, "missing-return",
	       "execution reached the end of a value-returning function without returning a "
	       "value");
}

/* These two have no recoverable form. */
void __ubsan_handle_builtin_unreachable(struct loc_data *d);
void __ubsan_handle_builtin_unreachable(struct loc_data *d)
{
	builtin_unreachable_report(d, RET);
}

void __ubsan_handle_missing_return(struct loc_data *d);
void __ubsan_handle_missing_return(struct loc_data *d)
{
	missing_return_report(d, RET);
}

extern const char flexos__constants_start[] __asm__(FLEXOS_CONSTANTS_START) __attribute__((weak));
extern const char flexos__constants_end[] __asm__(FLEXOS_CONSTANTS_END) __attribute__((weak));

/*
 * Whether [p, p + len) is memory compartment comp may read itself: its
 * sections or heap, or the constants every compartment shares (string
 * literals, such as the file names of UBSan's data, are there unless
 * the compartment keeps its constants private).
 */
static bool mine(const void *p, size_t len, int comp)
{
	const char *what;
	uintptr_t a = (uintptr_t)p, lo = (uintptr_t)flexos__constants_start,
		  hi = (uintptr_t)flexos__constants_end;

	if (!p)
		return false;
	if (lo && a >= lo && a + len <= hi)
		return true;
	return flexos__owner_of(a, &what) == comp && flexos__owner_of(a + len - 1, &what) == comp;
}

static bool loc_mine(const struct source_location *loc, int comp)
{
	return mine(loc, sizeof(*loc), comp) && (!loc->file || mine(loc->file, 1, comp));
}

/* A type descriptor's name is read up to its NUL: its start must be the compartment's. */
static bool type_mine(const struct type_descriptor *t, int comp)
{
	return mine(t, sizeof(*t) + 1, comp);
}

/*
 * The report reads the data the trap points at with the rights of the
 * fault handler, which under intel-mpk reads every compartment: a
 * compartment that forged a trap must not have it print another's memory.
 * So everything read must be the trapping compartment's own.
 */
static bool trap_data_mine(uint32_t id, uintptr_t a, uintptr_t b, int comp)
{
	const struct overflow_data *o = (const void *)a;

	switch (id) {
	case FLEXOS__TRAP_UBSAN_add_overflow:
	case FLEXOS__TRAP_UBSAN_sub_overflow:
	case FLEXOS__TRAP_UBSAN_mul_overflow:
	case FLEXOS__TRAP_UBSAN_negate_overflow:
	case FLEXOS__TRAP_UBSAN_divrem_overflow:
	case FLEXOS__TRAP_UBSAN_vla_bound_not_positive:
	case FLEXOS__TRAP_UBSAN_load_invalid_value:
		return mine(o, sizeof(*o), comp) && loc_mine(&o->loc, comp) &&
		       type_mine(o->type, comp);
	case FLEXOS__TRAP_UBSAN_shift_out_of_bounds: {
		const struct shift_data *d = (const void *)a;
		return mine(d, sizeof(*d), comp) && loc_mine(&d->loc, comp) &&
		       type_mine(d->lhs_type, comp) && type_mine(d->rhs_type, comp);
	}
	case FLEXOS__TRAP_UBSAN_out_of_bounds: {
		const struct out_of_bounds_data *d = (const void *)a;
		return mine(d, sizeof(*d), comp) && loc_mine(&d->loc, comp) &&
		       type_mine(d->array_type, comp) && type_mine(d->index_type, comp);
	}
	case FLEXOS__TRAP_UBSAN_type_mismatch_v1: {
		const struct type_mismatch_data *d = (const void *)a;
		return mine(d, sizeof(*d), comp) && loc_mine(&d->loc, comp) &&
		       type_mine(d->type, comp);
	}
	case FLEXOS__TRAP_UBSAN_float_cast_overflow: {
		const struct float_cast_data *d = (const void *)a;
		return mine(d, sizeof(*d), comp) && loc_mine(&d->loc, comp) &&
		       type_mine(d->from, comp) && type_mine(d->to, comp);
	}
	case FLEXOS__TRAP_UBSAN_nonnull_return_v1:
		return mine((const void *)a, sizeof(struct nonnull_return_data), comp) &&
		       loc_mine((const void *)b, comp);
	case FLEXOS__TRAP_UBSAN_nonnull_arg:
		return mine((const void *)a, sizeof(struct nonnull_arg_data), comp) &&
		       loc_mine((const void *)a, comp);
	case FLEXOS__TRAP_UBSAN_invalid_builtin:
		return mine((const void *)a, sizeof(struct invalid_builtin_data), comp) &&
		       loc_mine((const void *)a, comp);
	default: /* pointer_overflow, builtin_unreachable, missing_return: a location only */
		return loc_mine((const void *)a, comp);
	}
}

/*
 * The handlers of a newlib compartment's runtime (newlib/ubsan.c) trap
 * with their id and arguments (trap.h); trap.c hands them here, where the
 * report is written as if the compartment had called the handler.
 */
void flexos__ubsan_trap(uint32_t id, uintptr_t a, uintptr_t b, uintptr_t c, uintptr_t pc, int comp)
{
	if (id < 1 || id > FLEXOS__TRAP_UBSAN_missing_return)
		return;
	if (!trap_data_mine(id, a, b, comp))
		flexos__harden_report(pc, "ubsan", "an unknown line", "%s",
				      "a UBSan check trapped with data outside its compartment "
				      "(a forged trap?), which the report does not read");
	switch (id) {
	case FLEXOS__TRAP_UBSAN_add_overflow:
		add_overflow_report((struct overflow_data *)a, b, c, pc);
	case FLEXOS__TRAP_UBSAN_sub_overflow:
		sub_overflow_report((struct overflow_data *)a, b, c, pc);
	case FLEXOS__TRAP_UBSAN_mul_overflow:
		mul_overflow_report((struct overflow_data *)a, b, c, pc);
	case FLEXOS__TRAP_UBSAN_negate_overflow:
		negate_overflow_report((struct overflow_data *)a, b, pc);
	case FLEXOS__TRAP_UBSAN_divrem_overflow:
		divrem_overflow_report((struct overflow_data *)a, b, c, pc);
	case FLEXOS__TRAP_UBSAN_shift_out_of_bounds:
		shift_out_of_bounds_report((struct shift_data *)a, b, c, pc);
	case FLEXOS__TRAP_UBSAN_out_of_bounds:
		out_of_bounds_report((struct out_of_bounds_data *)a, b, pc);
	case FLEXOS__TRAP_UBSAN_type_mismatch_v1:
		type_mismatch_v1_report((struct type_mismatch_data *)a, b, pc);
	case FLEXOS__TRAP_UBSAN_vla_bound_not_positive:
		vla_bound_not_positive_report((struct overflow_data *)a, b, pc);
	case FLEXOS__TRAP_UBSAN_load_invalid_value:
		load_invalid_value_report((struct overflow_data *)a, b, pc);
	case FLEXOS__TRAP_UBSAN_pointer_overflow:
		pointer_overflow_report((struct loc_data *)a, b, c, pc);
	case FLEXOS__TRAP_UBSAN_nonnull_arg:
		nonnull_arg_report((struct nonnull_arg_data *)a, pc);
	case FLEXOS__TRAP_UBSAN_nonnull_return_v1:
		nonnull_return_v1_report((struct nonnull_return_data *)a,
					 (struct source_location *)b, pc);
	case FLEXOS__TRAP_UBSAN_float_cast_overflow:
		float_cast_overflow_report((struct float_cast_data *)a, b, pc);
	case FLEXOS__TRAP_UBSAN_invalid_builtin:
		invalid_builtin_report((struct invalid_builtin_data *)a, pc);
	case FLEXOS__TRAP_UBSAN_builtin_unreachable:
		builtin_unreachable_report((struct loc_data *)a, pc);
	case FLEXOS__TRAP_UBSAN_missing_return:
		missing_return_report((struct loc_data *)a, pc);
	default:
		return;
	}
}
