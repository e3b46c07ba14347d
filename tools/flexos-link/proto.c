/*
 * Prototypes of gated functions, and what their calls pass where under the
 * System V x86-64 calling convention (psABI 3.2.3). A gate that knows the
 * prototype copies exactly the stack arguments and results the call has;
 * one that does not carries a conservative window (FLX_PROTO_STACK_WINDOW).
 *
 * Sources, best first: the DWARF definition in the callee library's
 * inputs; a DWARF declaration in a caller's input (GCC emits one, with its
 * parameters, for every function an object built with -g references,
 * flexos_gate's __typeof__ declarations included); the library's headers
 * named in the config, compiled into a small object with -g; else assumed.
 */
#include "autoconfig.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plan.h"
#include "proto.h"
#include "util.h"

extern char **environ;

/* The classes of one eightbyte (psABI 3.2.3), before they make an argument's class. */
enum eb_class { EB_NONE, EB_INTEGER, EB_SSE, EB_SSEUP, EB_X87, EB_X87UP, EB_CX87, EB_MEMORY };

/* How one value travels: the classes of its first two eightbytes, or memory. */
struct value_class {
	enum eb_class eb[2];
	bool memory;
	uint64_t size;
	uint64_t align;
};

/* Depth limit for types that refer to themselves through something other than pointers. */
#define MAX_DEPTH 32

void flx_proto_free(struct flx_proto *p)
{
	free(p->origin);
	free(p->text);
	free(p->note);
	free(p->where);
	for (uint32_t i = 0; i < p->nargs; i++) {
		free(p->args[i].name);
		free(p->args[i].pointee_names);
		for (uint32_t m = 0; m < p->args[i].nmembers; m++)
			free(p->args[i].members[m].name);
		free(p->args[i].members);
	}
	free(p->args);
	memset(p, 0, sizeof(*p));
}

void flx_proto_assume(struct flx_proto *p, const char *note)
{
	flx_proto_free(p);
	p->source = FLX_PROTO_ASSUMED;
	p->stack_bytes = FLX_PROTO_STACK_WINDOW;
	p->ret = FLX_RET_ALL;
	p->int_regs = 6;
	p->sse_regs = 8;
	p->note = note ? xstrdup(note) : NULL;
}

bool flx_proto_int_regs_only(const struct flx_proto *p)
{
	return p->source != FLX_PROTO_ASSUMED && !p->variadic && !p->stack_bytes && !p->sret_size &&
	       !p->sse_regs && (p->ret == FLX_RET_VOID || p->ret == FLX_RET_INTEGER);
}

const char *flx_arg_class_name(enum flx_arg_class c)
{
	static const char *const names[] = {"INTEGER", "SSE", "MIXED", "MEMORY"};
	return names[c];
}

/* ---- types --------------------------------------------------------------- */

/* The type a DIE's DW_AT_type names, or NULL for void (or none). */
static Dwarf_Die *type_of(Dwarf_Die *die, Dwarf_Die *mem)
{
	Dwarf_Attribute a;

	if (!dwarf_attr_integrate(die, DW_AT_type, &a))
		return NULL;
	return dwarf_formref_die(&a, mem);
}

static bool is_qualifier(int tag)
{
	return tag == DW_TAG_typedef || tag == DW_TAG_const_type || tag == DW_TAG_volatile_type ||
	       tag == DW_TAG_restrict_type || tag == DW_TAG_atomic_type;
}

/* Strips typedefs and qualifiers; NULL for void. */
static Dwarf_Die *peel(Dwarf_Die *t, Dwarf_Die *mem)
{
	for (int d = 0; t && is_qualifier(dwarf_tag(t)) && d < MAX_DEPTH; d++)
		t = type_of(t, mem);
	if (t && t != mem) {
		*mem = *t;
		t = mem;
	}
	return t;
}

static uint64_t udata(Dwarf_Die *die, unsigned name, uint64_t fallback)
{
	Dwarf_Attribute a;
	Dwarf_Word w;

	if (!dwarf_attr_integrate(die, name, &a) || dwarf_formudata(&a, &w))
		return fallback;
	return w;
}

static bool has_flag(Dwarf_Die *die, unsigned name)
{
	Dwarf_Attribute a;
	bool v = false;

	return dwarf_attr_integrate(die, name, &a) && !dwarf_formflag(&a, &v) && v;
}

/*
 * For pointer lending (table.c): whether a pointer's target type t (as
 * written, qualifiers and typedefs included) is const, and whether it is
 * a character: 2 for plain char (a string), 1 for another 1-byte
 * character type (unsigned char, uint8_t: bytes), else 0.
 */
static bool target_const(Dwarf_Die *t)
{
	Dwarf_Die mem;
	for (int d = 0; t && is_qualifier(dwarf_tag(t)) && d < MAX_DEPTH; d++) {
		if (dwarf_tag(t) == DW_TAG_const_type)
			return true;
		t = type_of(t, &mem);
	}
	return false;
}

static uint8_t target_char(Dwarf_Die *t)
{
	Dwarf_Die mem;
	bool typedefed = false;
	for (int d = 0; t && is_qualifier(dwarf_tag(t)) && d < MAX_DEPTH; d++) {
		typedefed |= dwarf_tag(t) == DW_TAG_typedef;
		t = type_of(t, &mem);
	}
	if (!t || dwarf_tag(t) != DW_TAG_base_type || udata(t, DW_AT_byte_size, 0) != 1)
		return 0;
	uint64_t enc = udata(t, DW_AT_encoding, 0);
	if (enc != DW_ATE_signed_char && enc != DW_ATE_unsigned_char)
		return 0;
	const char *name = dwarf_diename(t);
	return !typedefed && name && !strcmp(name, "char") ? 2 : 1;
}

/*
 * A jmp_buf (struct __jmp_buf_tag, or an array of them): the backends
 * recognise a longjmp's target by where its jmp_buf is, so it is never
 * lent (a copy would be nobody's).
 */
static bool target_jmp_buf(Dwarf_Die *t)
{
	Dwarf_Die mem, emem;
	t = peel(t, &mem);
	if (t && dwarf_tag(t) == DW_TAG_array_type)
		t = peel(type_of(t, &emem), &mem);
	const char *name = t ? dwarf_diename(t) : NULL;
	return t && dwarf_tag(t) == DW_TAG_structure_type && name && !strcmp(name, "__jmp_buf_tag");
}

/* size_t and its kin: an 8-byte unsigned integer, which may count a buffer. */
static bool size_like(Dwarf_Die *pt)
{
	return pt && dwarf_tag(pt) == DW_TAG_base_type && udata(pt, DW_AT_byte_size, 0) == 8 &&
	       udata(pt, DW_AT_encoding, 0) == DW_ATE_unsigned;
}

static uint64_t type_size(Dwarf_Die *t)
{
	Dwarf_Word size;

	if (!t)
		return 0;
	if (dwarf_tag(t) == DW_TAG_pointer_type || dwarf_tag(t) == DW_TAG_reference_type ||
	    dwarf_tag(t) == DW_TAG_rvalue_reference_type)
		return udata(t, DW_AT_byte_size, 8);
	return dwarf_aggregate_size(t, &size) ? 0 : size;
}

static bool is_long_double(Dwarf_Die *t)
{
	const char *name = dwarf_diename(t);
	/*
	 * GCC names _Float64x (x87's format, as long double) apart; __float80
	 * is long double. __float128 and _Float128 are 16-byte floats too, but
	 * SSE class.
	 */
	return name && (strstr(name, "long double") || !strcmp(name, "_Float64x") ||
			!strcmp(name, "__float80"));
}

static uint64_t type_align(Dwarf_Die *t, int depth)
{
	Dwarf_Die mem, child, ctype;
	uint64_t align = 1;

	t = peel(t, &mem);
	if (!t || depth > MAX_DEPTH)
		return 1;
	if (dwarf_hasattr_integrate(t, DW_AT_alignment))
		return udata(t, DW_AT_alignment, 1);
	switch (dwarf_tag(t)) {
	case DW_TAG_base_type:
		if (udata(t, DW_AT_encoding, 0) == DW_ATE_complex_float)
			return type_size(t) / 2 > 16 ? 16 : type_size(t) / 2;
		return type_size(t) > 16 ? 16 : (type_size(t) ? type_size(t) : 1);
	case DW_TAG_array_type:
		if (has_flag(t, DW_AT_GNU_vector))
			return type_size(t);
		return type_align(type_of(t, &ctype), depth + 1);
	case DW_TAG_structure_type:
	case DW_TAG_union_type:
	case DW_TAG_class_type:
		if (dwarf_child(t, &child))
			return 1;
		do {
			if (dwarf_tag(&child) != DW_TAG_member)
				continue;
			uint64_t a = type_align(type_of(&child, &ctype), depth + 1);
			align = a > align ? a : align;
		} while (!dwarf_siblingof(&child, &child));
		return align;
	default:
		return type_size(t) ? type_size(t) : 1;
	}
}

static enum eb_class merge(enum eb_class a, enum eb_class b)
{
	if (a == b || b == EB_NONE)
		return a;
	if (a == EB_NONE)
		return b;
	if (a == EB_MEMORY || b == EB_MEMORY)
		return EB_MEMORY;
	if (a == EB_INTEGER || b == EB_INTEGER)
		return EB_INTEGER;
	if (a == EB_X87 || a == EB_X87UP || a == EB_CX87 || b == EB_X87 || b == EB_X87UP ||
	    b == EB_CX87)
		return EB_MEMORY;
	return EB_SSE;
}

/* Gives class c to the eightbytes bytes [off, off + size) touch. */
static void mark(struct value_class *v, uint64_t off, uint64_t size, enum eb_class c)
{
	for (uint64_t e = off / 8; size && e <= (off + size - 1) / 8 && e < 2; e++)
		v->eb[e] = merge(v->eb[e], c);
}

/* Classifies type t placed at byte off of the value; -1 if it cannot. */
static int classify_at(struct value_class *v, Dwarf_Die *t, uint64_t off, int depth)
{
	Dwarf_Die mem, child, ctype;
	uint64_t size;

	t = peel(t, &mem);
	if (!t)
		return 0;
	if (depth > MAX_DEPTH)
		return -1;
	size = type_size(t);
	switch (dwarf_tag(t)) {
	case DW_TAG_base_type:
		switch (udata(t, DW_AT_encoding, 0)) {
		case DW_ATE_float:
			if (size == 16 && is_long_double(t)) {
				mark(v, off, 8, EB_X87);
				mark(v, off + 8, 8, EB_X87UP);
			} else if (size == 16) {
				mark(v, off, 8, EB_SSE);
				mark(v, off + 8, 8, EB_SSEUP);
			} else {
				mark(v, off, size, EB_SSE);
			}
			return 0;
		case DW_ATE_complex_float:
			if (size == 32 && is_long_double(t)) {
				v->memory = true;
				mark(v, off, 16, EB_CX87);
			} else if (size <= 16) {
				mark(v, off, size, EB_SSE);
			} else {
				return -1;
			}
			return 0;
		case DW_ATE_decimal_float:
			return -1; /* _Decimal32/64/128 travel in vector registers: not classified
				    */
		default:
			mark(v, off, size, EB_INTEGER);
			return 0;
		}
	case DW_TAG_pointer_type:
	case DW_TAG_reference_type:
	case DW_TAG_rvalue_reference_type:
	case DW_TAG_ptr_to_member_type:
	case DW_TAG_enumeration_type:
	case DW_TAG_subroutine_type:
		mark(v, off, size ? size : 8, EB_INTEGER);
		return 0;
	case DW_TAG_array_type: {
		Dwarf_Die *elem = type_of(t, &ctype);
		if (has_flag(t, DW_AT_GNU_vector)) {
			if (size > 16)
				return -1; /* AVX vectors: not classified. */
			mark(v, off, size > 8 ? 8 : size, EB_SSE);
			if (size > 8)
				mark(v, off + 8, 8, EB_SSEUP);
			return 0;
		}
		uint64_t esize = type_size(elem);
		for (uint64_t at = 0; esize && at + esize <= size && off + at < 16; at += esize)
			if (classify_at(v, elem, off + at, depth + 1))
				return -1;
		return 0;
	}
	case DW_TAG_structure_type:
	case DW_TAG_union_type:
	case DW_TAG_class_type:
		if (dwarf_child(t, &child))
			return 0;
		do {
			if (dwarf_tag(&child) != DW_TAG_member ||
			    has_flag(&child, DW_AT_external) /* C++ static member */)
				continue;
			Dwarf_Die *mt = type_of(&child, &ctype);
			if (dwarf_hasattr(&child, DW_AT_bit_size)) {
				uint64_t bits = udata(&child, DW_AT_bit_size, 0);
				uint64_t bit = udata(&child, DW_AT_data_bit_offset, UINT64_MAX);
				if (bit == UINT64_MAX)
					return -1; /* DWARF 2/3 bit offsets: not read. */
				if (bits)
					mark(v, off + bit / 8, (bit % 8 + bits + 7) / 8,
					     EB_INTEGER);
				continue;
			}
			uint64_t moff = udata(&child, DW_AT_data_member_location,
					      dwarf_tag(t) == DW_TAG_union_type ? 0 : UINT64_MAX);
			if (moff == UINT64_MAX)
				return -1;
			if (moff % type_align(mt, depth + 1)) {
				/* Unaligned (packed) fields make the whole value MEMORY. */
				v->memory = true;
				continue;
			}
			if (classify_at(v, mt, off + moff, depth + 1))
				return -1;
		} while (!dwarf_siblingof(&child, &child));
		return 0;
	default:
		return -1;
	}
}

/*
 * Whether a value of type t (peeled) holds a vector wider than 16 bytes
 * (__m256, __m512, alone or in a struct, union or array): passed in ymm or
 * zmm registers or in memory, as the caller's -mavx says, which the DWARF
 * does not.
 */
static bool has_wide_vector(Dwarf_Die *t, int depth)
{
	Dwarf_Die tmem, pmem, child;

	if (!t || depth > MAX_DEPTH)
		return false;
	switch (dwarf_tag(t)) {
	case DW_TAG_array_type:
		if (has_flag(t, DW_AT_GNU_vector))
			return type_size(t) > 16;
		return has_wide_vector(peel(type_of(t, &tmem), &pmem), depth + 1);
	case DW_TAG_structure_type:
	case DW_TAG_union_type:
	case DW_TAG_class_type:
		if (dwarf_child(t, &child))
			return false;
		do {
			if (dwarf_tag(&child) == DW_TAG_member &&
			    has_wide_vector(peel(type_of(&child, &tmem), &pmem), depth + 1))
				return true;
		} while (!dwarf_siblingof(&child, &child));
		return false;
	default:
		return false;
	}
}

/* The class of a value of type t; as_result keeps x87 classes, which results return in st(0). */
static int classify(Dwarf_Die *t, struct value_class *v)
{
	Dwarf_Die mem;
	Dwarf_Die *p = peel(t, &mem);

	memset(v, 0, sizeof(*v));
	v->size = type_size(p);
	v->align = type_align(p, 0);
	if (p && dwarf_tag(p) != DW_TAG_base_type && dwarf_tag(p) != DW_TAG_pointer_type &&
	    !v->size && !dwarf_hasattr(p, DW_AT_byte_size) && dwarf_tag(p) != DW_TAG_array_type)
		return -1; /* An incomplete type cannot be passed by value. */
	/* A C++ class that is not trivially copyable goes by a hidden reference: not classified. */
	if (p && udata(p, DW_AT_calling_convention, 0) == DW_CC_pass_by_reference)
		return -1;
	if (has_wide_vector(p, 0))
		return -1;
	if (v->size > 16) {
		/* long double _Complex: COMPLEX_X87 (st(0) and st(1) as a result, memory as an
		 * argument). */
		if (p && dwarf_tag(p) == DW_TAG_base_type &&
		    udata(p, DW_AT_encoding, 0) == DW_ATE_complex_float && is_long_double(p))
			return classify_at(v, p, 0, 0);
		v->memory = true;
		return 0;
	}
	if (classify_at(v, p, 0, 0))
		return -1;
	for (int e = 0; e < 2; e++) {
		if (v->eb[e] == EB_MEMORY)
			v->memory = true;
		if (v->eb[e] == EB_X87UP && (e == 0 || v->eb[e - 1] != EB_X87))
			v->memory = true;
		if (v->eb[e] == EB_SSEUP && (e == 0 || (v->eb[0] != EB_SSE)))
			v->eb[e] = EB_SSE;
	}
	return 0;
}

static void count_regs(const struct value_class *v, unsigned *nint, unsigned *nsse)
{
	*nint = *nsse = 0;
	for (int e = 0; e < 2; e++) {
		*nint += v->eb[e] == EB_INTEGER;
		*nsse += v->eb[e] == EB_SSE;
	}
}

static bool has_x87(const struct value_class *v)
{
	for (int e = 0; e < 2; e++)
		if (v->eb[e] == EB_X87 || v->eb[e] == EB_X87UP || v->eb[e] == EB_CX87)
			return true;
	return false;
}

/* Whether t is a va_list: a parameter of that type is a pointer to struct __va_list_tag. */
static bool is_va_list(Dwarf_Die *t)
{
	Dwarf_Die mem;

	for (int d = 0; t && d < MAX_DEPTH; d++) {
		const char *name = dwarf_diename(t);
		int tag = dwarf_tag(t);
		if (tag == DW_TAG_typedef && name &&
		    (!strcmp(name, "va_list") || !strcmp(name, "__gnuc_va_list") ||
		     !strcmp(name, "__builtin_va_list")))
			return true;
		if ((tag == DW_TAG_structure_type) && name && !strcmp(name, "__va_list_tag"))
			return true;
		if (tag != DW_TAG_pointer_type && tag != DW_TAG_array_type && !is_qualifier(tag))
			return false;
		t = type_of(t, &mem);
	}
	return false;
}

/*
 * Whether t is a pointer to a C library's FILE: glibc's struct _IO_FILE
 * (typedef FILE), newlib's struct __sFILE (typedef __FILE), also through
 * a library's own typedef of the pointer (libpng's png_FILE_p).
 */
static bool is_file_ptr(Dwarf_Die *t)
{
	Dwarf_Die mem, pmem;
	Dwarf_Die *pt = peel(t, &pmem);

	if (!pt || dwarf_tag(pt) != DW_TAG_pointer_type)
		return false;
	t = type_of(pt, &mem);
	for (int d = 0; t && d < MAX_DEPTH; d++) {
		const char *name = dwarf_diename(t);
		int tag = dwarf_tag(t);
		if (name && ((tag == DW_TAG_typedef &&
			      (!strcmp(name, "FILE") || !strcmp(name, "__FILE"))) ||
			     (tag == DW_TAG_structure_type &&
			      (!strcmp(name, "_IO_FILE") || !strcmp(name, "__sFILE")))))
			return true;
		if (!is_qualifier(tag))
			return false;
		t = type_of(t, &mem);
	}
	return false;
}

/* "file:line:col" of where die is declared, or NULL when the DWARF does not say. */
static char *decl_where(Dwarf_Die *die)
{
	const char *file = dwarf_decl_file(die);
	int line = 0, col = 0;

	if (!file || dwarf_decl_line(die, &line) || line <= 0)
		return NULL;
	if (dwarf_decl_column(die, &col) || col <= 0)
		return xasprintf("%s:%d", file, line);
	return xasprintf("%s:%d:%d", file, line, col);
}

/* ---- C rendering, for --explain ---------------------------------------------- */

struct buf {
	char *s;
	size_t len, cap;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (b->len + (size_t)n + 1 > b->cap) {
		b->cap = (b->len + (size_t)n + 1) * 2;
		b->s = xrealloc(b->s, b->cap);
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static void render_params(struct buf *b, Dwarf_Die *fn, bool names);

/* Appends the C spelling of type t (abstract declarator). */
static void render(struct buf *b, Dwarf_Die *t, int depth)
{
	Dwarf_Die mem, pmem;
	const char *name = t ? dwarf_diename(t) : NULL;

	if (!t) {
		put(b, "void");
		return;
	}
	if (depth > MAX_DEPTH) {
		put(b, "...");
		return;
	}
	switch (dwarf_tag(t)) {
	case DW_TAG_const_type:
	case DW_TAG_volatile_type:
	case DW_TAG_restrict_type: {
		const char *q = dwarf_tag(t) == DW_TAG_const_type      ? "const"
				: dwarf_tag(t) == DW_TAG_volatile_type ? "volatile"
								       : "restrict";
		Dwarf_Die *in = type_of(t, &mem);
		if (in && dwarf_tag(in) == DW_TAG_pointer_type) {
			render(b, in, depth + 1);
			put(b, "%s", q);
		} else {
			put(b, "%s ", q);
			render(b, in, depth + 1);
		}
		return;
	}
	case DW_TAG_pointer_type: {
		Dwarf_Die *in = type_of(t, &mem);
		Dwarf_Die *p = peel(in, &pmem);
		if (is_va_list(t)) {
			put(b, "va_list");
			return;
		}
		if (in && dwarf_tag(in) == DW_TAG_subroutine_type) {
			render(b, type_of(p, &mem), depth + 1);
			put(b, " (*)(");
			render_params(b, p, false);
			put(b, ")");
			return;
		}
		in = type_of(t, &mem);
		render(b, in, depth + 1);
		put(b, b->len && b->s[b->len - 1] == '*' ? "*" : " *");
		return;
	}
	case DW_TAG_structure_type:
		put(b, "struct %s", name ? name : "{...}");
		return;
	case DW_TAG_union_type:
		put(b, "union %s", name ? name : "{...}");
		return;
	case DW_TAG_enumeration_type:
		put(b, "enum %s", name ? name : "{...}");
		return;
	case DW_TAG_array_type:
		render(b, type_of(t, &mem), depth + 1);
		put(b, "[]");
		return;
	case DW_TAG_subroutine_type:
		render(b, type_of(t, &mem), depth + 1);
		put(b, " (");
		render_params(b, t, false);
		put(b, ")");
		return;
	default:
		put(b, "%s", name ? name : "?");
	}
}

static void render_params(struct buf *b, Dwarf_Die *fn, bool names)
{
	Dwarf_Die child, mem;
	int n = 0;

	if (!dwarf_child(fn, &child))
		do {
			if (dwarf_tag(&child) == DW_TAG_unspecified_parameters) {
				put(b, "%s...", n++ ? ", " : "");
			} else if (dwarf_tag(&child) == DW_TAG_formal_parameter) {
				struct buf t = {0};
				const char *name = names ? dwarf_diename(&child) : NULL;
				render(&t, type_of(&child, &mem), 0);
				char *fp = name ? strstr(t.s, "(*)") : NULL;
				put(b, "%s", n++ ? ", " : "");
				if (fp) /* a function pointer: the name goes inside */
					put(b, "%.*s(*%s)%s", (int)(fp - t.s), t.s, name, fp + 3);
				else if (name)
					put(b, "%s%s%s", t.s, t.s[t.len - 1] == '*' ? "" : " ",
					    name);
				else
					put(b, "%s", t.s);
				free(t.s);
			}
		} while (!dwarf_siblingof(&child, &child));
	if (!n)
		put(b, "void");
}

/* ---- one prototype from a subprogram DIE ------------------------------------- */

static void add_stack_slot(struct flx_proto *p, struct flx_proto_arg *a, uint64_t align)
{
	uint32_t al = align > 8 ? (uint32_t)align : 8;
	p->stack_bytes = (p->stack_bytes + al - 1) / al * al;
	a->stack = true;
	a->stack_offset = p->stack_bytes;
	p->stack_bytes += (a->size + 7) / 8 * 8;
}

static int set_result(struct flx_proto *p, Dwarf_Die *fn)
{
	Dwarf_Die mem;
	Dwarf_Die *rt = type_of(fn, &mem);
	struct value_class v;
	unsigned nint, nsse;

	if (!rt) {
		p->ret = FLX_RET_VOID;
		return 0;
	}
	if (classify(rt, &v))
		return -1;
	p->ret_size = (uint32_t)v.size;
	count_regs(&v, &nint, &nsse);
	p->ret_int_regs = (uint8_t)nint;
	p->ret_sse_regs = (uint8_t)nsse;
	if (!v.memory && has_x87(&v))
		p->ret = FLX_RET_X87;
	else if (v.memory && v.eb[0] == EB_CX87)
		p->ret = FLX_RET_X87; /* long double _Complex: st(0) and st(1) */
	else if (v.memory) {
		p->ret = FLX_RET_MEMORY;
		p->sret_size = (uint32_t)v.size;
		p->int_regs = 1; /* %rdi holds the hidden pointer */
	} else
		p->ret = nint && nsse ? FLX_RET_MIXED : nint ? FLX_RET_INTEGER : FLX_RET_SSE;
	return 0;
}

/* An integer or enum type (peeled): one that may count a buffer; *is_signed says which. */
static bool integer_type(Dwarf_Die *t, bool *is_signed)
{
	if (!t)
		return false;
	if (dwarf_tag(t) == DW_TAG_enumeration_type) {
		*is_signed = false;
		return true;
	}
	if (dwarf_tag(t) != DW_TAG_base_type)
		return false;
	uint64_t enc = udata(t, DW_AT_encoding, 0);
	*is_signed = enc == DW_ATE_signed || enc == DW_ATE_signed_char;
	return enc == DW_ATE_signed || enc == DW_ATE_unsigned || enc == DW_ATE_signed_char ||
	       enc == DW_ATE_unsigned_char || enc == DW_ATE_boolean;
}

/* Fills a pointer's lending facts from its (peeled) pointer type pt. */
static void pointee_facts(Dwarf_Die *pt, bool *pointer, uint32_t *size, bool *is_const,
			  uint8_t *is_char, bool *no_lend)
{
	Dwarf_Die tmem, target_mem, rmem;
	Dwarf_Die *target = peel(type_of(pt, &tmem), &target_mem);
	*pointer = !target || dwarf_tag(target) != DW_TAG_subroutine_type;
	if (target && *pointer && !has_flag(target, DW_AT_declaration))
		*size = (uint32_t)type_size(target);
	if (*pointer) { /* const void * too */
		*is_const = target_const(type_of(pt, &rmem));
		*is_char = target_char(type_of(pt, &rmem));
		*no_lend = target_jmp_buf(type_of(pt, &rmem));
	}
}

/* Appends " name" for each typedef and the tag that t (a pointee as written) goes by. */
static char *pointee_names(Dwarf_Die *t)
{
	Dwarf_Die mem;
	struct buf b = {0};
	for (int d = 0; t && d < MAX_DEPTH; d++) {
		const char *name = dwarf_diename(t);
		int tag = dwarf_tag(t);
		if (name && (tag == DW_TAG_typedef || tag == DW_TAG_structure_type))
			put(&b, " %s", name);
		if (!is_qualifier(tag))
			break;
		t = type_of(t, &mem);
	}
	if (b.s)
		put(&b, " ");
	return b.s;
}

/*
 * The members of struct st (peeled, complete) that nested lending uses:
 * the named, non-bit-field pointers and integers at known offsets.
 */
static void struct_members(Dwarf_Die *st, struct flx_proto_arg *a)
{
	Dwarf_Die child, mem, pmem;

	if (dwarf_child(st, &child))
		return;
	do {
		if (dwarf_tag(&child) != DW_TAG_member || !dwarf_diename(&child) ||
		    dwarf_hasattr(&child, DW_AT_bit_size))
			continue;
		uint64_t off = udata(&child, DW_AT_data_member_location, UINT64_MAX);
		Dwarf_Die *mt = peel(type_of(&child, &mem), &pmem);
		if (off == UINT64_MAX || !mt)
			continue;
		struct flx_proto_member m = {.offset = (uint32_t)off};
		if (dwarf_tag(mt) == DW_TAG_pointer_type) {
			m.size = 8;
			pointee_facts(mt, &m.pointer, &m.pointee_size, &m.pointee_const,
				      &m.pointee_char, &m.no_lend);
			if (!m.pointer)
				continue;
		} else if (integer_type(mt, &m.is_signed)) {
			m.integer = true;
			m.size = (uint32_t)type_size(mt);
		} else {
			continue;
		}
		m.name = xstrdup(dwarf_diename(&child));
		a->members = xrealloc(a->members, (a->nmembers + 1) * sizeof(*a->members));
		a->members[a->nmembers++] = m;
	} while (!dwarf_siblingof(&child, &child));
}

/* Fills p from subprogram fn; -1 if a type is beyond classification. */
static int proto_from_die(Dwarf_Die *fn, const char *name, struct flx_proto *p)
{
	Dwarf_Die child, mem, pmem;
	struct buf text = {0};
	unsigned int_left, sse_left = 8;

	memset(p, 0, sizeof(*p));
	if (set_result(p, fn))
		goto fail;
	int_left = 6 - p->int_regs;
	if (!dwarf_child(fn, &child))
		do {
			if (dwarf_tag(&child) == DW_TAG_unspecified_parameters)
				p->variadic = true;
			if (dwarf_tag(&child) != DW_TAG_formal_parameter)
				continue;
			p->args = xrealloc(p->args, (p->nargs + 1) * sizeof(*p->args));
			struct flx_proto_arg *a = &p->args[p->nargs++];
			memset(a, 0, sizeof(*a));
			a->name = dwarf_diename(&child) ? xstrdup(dwarf_diename(&child)) : NULL;
			Dwarf_Die *t = type_of(&child, &mem);
			if (!t)
				goto fail; /* a parameter of no type: not C we know */
			a->va_list = is_va_list(t);
			a->file = is_file_ptr(t);
			Dwarf_Die *pt = peel(t, &pmem);
			/* Parameters of array or function type are pointers. */
			if (pt &&
			    (dwarf_tag(pt) == DW_TAG_array_type && !has_flag(pt, DW_AT_GNU_vector)))
				pt = NULL, a->pointer = true;
			struct value_class v;
			if (pt && dwarf_tag(pt) == DW_TAG_pointer_type) {
				Dwarf_Die tmem, target_mem;
				pointee_facts(pt, &a->pointer, &a->pointee_size, &a->pointee_const,
					      &a->pointee_char, &a->no_lend);
				Dwarf_Die *target = peel(type_of(pt, &tmem), &target_mem);
				if (a->pointer && a->pointee_size && target &&
				    dwarf_tag(target) == DW_TAG_structure_type) {
					a->pointee_names = pointee_names(type_of(pt, &tmem));
					struct_members(target, a);
				}
			}
			a->size_like = size_like(pt);
			a->integer = pt && integer_type(pt, &a->is_signed);
			if (!pt) {
				memset(&v, 0, sizeof(v));
				v.eb[0] = EB_INTEGER;
				v.size = v.align = 8;
			} else if (classify(pt, &v)) {
				goto fail;
			}
			unsigned nint, nsse;
			count_regs(&v, &nint, &nsse);
			a->size = (uint32_t)v.size;
			bool memory = v.memory || has_x87(&v);
			a->cls = memory         ? FLX_ARG_MEMORY
				 : nint && nsse ? FLX_ARG_MIXED
				 : nsse         ? FLX_ARG_SSE
						: FLX_ARG_INTEGER;
			/* A value that does not fit wholly in the registers left goes on the stack.
			 */
			if (memory || nint > int_left || nsse > sse_left) {
				add_stack_slot(p, a, v.align);
			} else {
				a->int_regs = (uint8_t)nint;
				a->first_int_reg = p->int_regs;
				a->sse_regs = (uint8_t)nsse;
				int_left -= nint;
				sse_left -= nsse;
				p->int_regs += (uint8_t)nint;
				p->sse_regs += (uint8_t)nsse;
			}
		} while (!dwarf_siblingof(&child, &child));
	/* The caller may pass variadic arguments on the stack beyond the named ones. */
	if (p->variadic)
		p->stack_bytes += FLX_PROTO_STACK_WINDOW;

	p->ret_file = p->ret == FLX_RET_INTEGER && is_file_ptr(type_of(fn, &mem));
	p->where = decl_where(fn);
	render(&text, type_of(fn, &mem), 0);
	put(&text, "%s%s(", text.s[text.len - 1] == '*' ? "" : " ", name);
	render_params(&text, fn, true);
	put(&text, ")");
	p->text = text.s;
	p->source = FLX_PROTO_DWARF;
	return 0;
fail:
	free(text.s);
	flx_proto_free(p);
	return -1;
}

/* ---- reading DWARF ------------------------------------------------------------- */

/* One prototype found for a wanted name. */
struct hit {
	size_t input; /* the plan's input, or 0 outside a plan */
	bool definition;
	struct flx_proto proto; /* FLX_PROTO_ASSUMED + note if unclassifiable */
};

struct hits {
	struct hit *v;
	size_t n;
};

struct reader {
	const struct strmap *wanted; /* name -> index + 1 into found */
	struct hits *found;
	size_t input;
	const char *origin;
	bool first_only; /* keep one definition and one declaration per name and file */
};

static bool have_hit(const struct hits *h, size_t input, bool definition)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->v[i].input == input && h->v[i].definition == definition)
			return true;
	return false;
}

static void take_subprogram(struct reader *r, Dwarf_Die *die)
{
	const char *name = dwarf_diename(die);
	size_t at = name ? strmap_get(r->wanted, name) : 0;

	if (!at)
		return;
	bool definition = !has_flag(die, DW_AT_declaration);
	/* Inlined-only instances and unprototyped declarations tell nothing usable. */
	if (!definition && !has_flag(die, DW_AT_prototyped))
		return;
	if (definition && !dwarf_hasattr(die, DW_AT_low_pc) && !dwarf_hasattr(die, DW_AT_ranges))
		return;
	struct hits *h = &r->found[at - 1];
	if (have_hit(h, r->input, definition))
		return;
	h->v = xrealloc(h->v, (h->n + 1) * sizeof(*h->v));
	struct hit *hit = &h->v[h->n++];
	hit->input = r->input;
	hit->definition = definition;
	if (proto_from_die(die, name, &hit->proto)) {
		char *note =
		    xasprintf("%s in %s has a parameter or result of a type flexos-link "
			      "does not classify",
			      definition ? "its definition" : "its declaration", r->origin);
		flx_proto_assume(&hit->proto, note);
		free(note);
	} else {
		hit->proto.origin =
		    xasprintf("%s (%s)", r->origin, definition ? "definition" : "declaration");
		hit->proto.unprototyped = !has_flag(die, DW_AT_prototyped);
	}
}

/* Walks the DIEs that can hold subprograms: the CU, functions and blocks. */
static void walk(struct reader *r, Dwarf_Die *parent, int depth)
{
	Dwarf_Die child;

	if (depth > MAX_DEPTH || dwarf_child(parent, &child))
		return;
	do {
		int tag = dwarf_tag(&child);
		if (tag == DW_TAG_subprogram)
			take_subprogram(r, &child);
		if (tag == DW_TAG_subprogram || tag == DW_TAG_lexical_block)
			walk(r, &child, depth + 1);
	} while (!dwarf_siblingof(&child, &child));
}

static int on_module(Dwfl_Module *mod, void **user, const char *name, Dwarf_Addr start, void *arg)
{
	struct reader *r = arg;
	Dwarf_Addr bias;
	const char *file = NULL;

	/* libdwfl applies the relocations of ET_REL objects to their DWARF here. */
	if (!dwfl_module_getdwarf(mod, &bias))
		return DWARF_CB_OK;
	dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, &file, NULL);
	r->origin = file ? file : name;
	for (Dwarf_Die *cu = NULL; (cu = dwfl_module_nextcu(mod, cu, &bias));)
		walk(r, cu, 0);
	return DWARF_CB_OK;
}

static int no_debuginfo(Dwfl_Module *mod, void **user, const char *modname, Dwarf_Addr base,
			const char *file, const char *debuglink, GElf_Word crc, char **path)
{
	return -1; /* Only the inputs' own DWARF describes them: no separate debug files. */
}

/* Reads path's DWARF, adding a hit for every wanted subprogram. */
static void read_file(struct reader *r, const char *path)
{
	static char *debuginfo_path;
	static const Dwfl_Callbacks callbacks = {
	    .find_elf = dwfl_build_id_find_elf,
	    .find_debuginfo = no_debuginfo,
	    .section_address = dwfl_offline_section_address,
	    .debuginfo_path = &debuginfo_path,
	};
	Dwfl *dwfl = dwfl_begin(&callbacks);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (!dwfl || fd < 0) {
		if (fd >= 0)
			close(fd);
		dwfl_end(dwfl);
		return;
	}
	/* dwfl_report_offline owns fd from here, and reports an archive's members. */
	if (dwfl_report_offline(dwfl, path, path, fd) && !dwfl_report_end(dwfl, NULL, NULL))
		dwfl_getmodules(dwfl, on_module, r, 0);
	dwfl_end(dwfl);
}

static void free_hits(struct hits *found, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < found[i].n; k++)
			flx_proto_free(&found[i].v[k].proto);
		free(found[i].v);
	}
	free(found);
}

/* Moves hit's prototype to out. */
static void take(struct flx_proto *out, struct hit *hit)
{
	flx_proto_free(out);
	*out = hit->proto;
	memset(&hit->proto, 0, sizeof(hit->proto));
}

int flx_proto_read(const char *path, const char *fn, bool definition_only, struct flx_proto *out)
{
	struct strmap wanted = {0};
	struct hits *found = xcalloc(1, sizeof(*found));
	struct reader r = {.wanted = &wanted, .found = found};
	int ret = 0;

	strmap_put(&wanted, fn, 1);
	read_file(&r, path);
	for (int pass = 0; pass < 2 && !ret; pass++)
		for (size_t k = 0; k < found->n && !ret; k++)
			if (found->v[k].definition == !pass && (!pass || !definition_only)) {
				ret = found->v[k].proto.source == FLX_PROTO_ASSUMED ? -1 : 1;
				take(out, &found->v[k]);
			}
	free_hits(found, 1);
	strmap_free(&wanted);
	return ret;
}

/* ---- headers ------------------------------------------------------------------ */

/* Runs $CC with args after it, its stderr to err_path. Returns its status, or -1. */
static int run_cc(char *const *args, size_t nargs, const char *err_path)
{
	char *cc = xstrdup(tool_from_env("CC", "cc"));
	char **argv = xcalloc(nargs + strlen(cc) + 2, sizeof(*argv));
	size_t n = 0;
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status = -1;

	for (char *tok = strtok(cc, " \t"); tok; tok = strtok(NULL, " \t"))
		argv[n++] = tok;
	for (size_t i = 0; i < nargs; i++)
		argv[n++] = args[i];
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (n && !posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) &&
	    waitpid(pid, &status, 0) == pid)
		status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	else
		status = -1;
	posix_spawn_file_actions_destroy(&fa);
	free(argv);
	free(cc);
	return status;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	struct buf b = {0};
	char line[1024];

	put(&b, "%s", "");
	while (f && fgets(line, sizeof(line), f))
		put(&b, "%s", line);
	if (f)
		fclose(f);
	return b.s;
}

/* The compiler's first error line, without the temporary directory. */
static char *first_error(const char *text, const char *dir)
{
	const char *line = strstr(text, "error");
	if (!line)
		line = text;
	while (line > text && line[-1] != '\n')
		line--;
	size_t len = strcspn(line, "\n");
	size_t dlen = strlen(dir);
	if (!strncmp(line, dir, dlen) && line[dlen] == '/') {
		line += dlen + 1;
		len -= dlen + 1;
	}
	/* Where in the generated file says nothing to the user; the header's own lines do. */
	if (!strncmp(line, "protos.c:", 9)) {
		size_t skip = 9 + strspn(line + 9, "0123456789:");
		skip += strspn(line + skip, " ");
		line += skip;
		len -= skip;
	}
	return len ? xasprintf("%.*s", (int)len, line) : xstrdup("the compiler failed");
}

/* Writes the C file: the headers, then the address of each fns[i] with use[i]. */
static int write_stub(const char *path, char *const *headers, size_t nheaders, char *const *fns,
		      size_t n, const bool *use)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	for (size_t h = 0; h < nheaders; h++)
		fprintf(f, "#include \"%s\"\n", headers[h]);
	/* "name:type": a function the headers do not declare, of a function-pointer type they do.
	 */
	for (size_t i = 0; i < n; i++)
		if ((!use || use[i]) && strchr(fns[i], ':'))
			fprintf(f, "extern __typeof__(*(%s)0) %.*s;\n", strchr(fns[i], ':') + 1,
				(int)(strchr(fns[i], ':') - fns[i]), fns[i]);
	fprintf(f, "void (*const flexos__proto_refs[])(void) = {\n");
	for (size_t i = 0; i < n; i++)
		if (!use || use[i])
			fprintf(f, "\t(void (*)(void))&%.*s,\n", (int)strcspn(fns[i], ":"), fns[i]);
	fprintf(f, "\t0,\n};\n");
	return fclose(f) ? -1 : 0;
}

static int compile_stub(const char *dir, char *const *cflags, size_t ncflags, char **errors)
{
	char *src = xasprintf("%s/protos.c", dir), *obj = xasprintf("%s/protos.o", dir);
	char *err = xasprintf("%s/cc.err", dir);
	char **args = xcalloc(ncflags + 8, sizeof(*args));
	size_t n = 0;

	args[n++] = "-g";
	args[n++] = "-O0";
	args[n++] = "-w"; /* Warnings of the library's headers are not ours to report. */
	for (size_t i = 0; i < ncflags; i++)
		args[n++] = cflags[i];
	args[n++] = "-c";
	args[n++] = "-o";
	args[n++] = obj;
	args[n++] = src;
	int status = run_cc(args, n, err);
	*errors = status < 0 ? xasprintf("cannot run the compiler '%s': %s; set CC",
					 tool_from_env("CC", "cc"), strerror(errno))
			     : slurp(err);
	unlink(err);
	free(args);
	free(src);
	free(obj);
	free(err);
	return status;
}

/* Whether the compiler said fn is undeclared ("'fn' undeclared"). */
static bool said_undeclared(const char *errors, const char *fn)
{
	char *needle = xasprintf("'%s' undeclared", fn);
	char *needle2 = xasprintf("\xe2\x80\x98%s\xe2\x80\x99 undeclared", fn); /* UTF-8 quotes */
	bool yes = strstr(errors, needle) || strstr(errors, needle2);
	free(needle);
	free(needle2);
	return yes;
}

/* ---- parameter names from a header's text ------------------------------------- */

static bool ident_char(char c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

/*
 * The name one parameter declaration [b, e) gives, or NULL: the last
 * identifier, when something precedes it and it is not a type's keyword
 * ("unsigned len" names len; "unsigned int", "gzFile" and "char *" name
 * nothing); for a function pointer, the identifier after "(*".
 */
static char *param_name(const char *b, const char *e)
{
	static const char *const keywords[] = {
	    "int",    "char",   "long",  "short", "unsigned",   "signed",
	    "double", "float",  "void",  "const", "volatile",   "restrict",
	    "_Bool",  "struct", "union", "enum",  "__restrict", NULL};
	for (const char *q = b; q + 1 < e; q++)
		if (q[0] == '(' && q[1] == '*') {
			q += 2;
			while (q < e && *q == ' ')
				q++;
			const char *n = q;
			while (q < e && ident_char(*q))
				q++;
			return q > n ? xasprintf("%.*s", (int)(q - n), n) : NULL;
		}
	while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == ']')) {
		if (e[-1] == ']')
			while (e > b && e[-1] != '[')
				e--;
		e--;
	}
	const char *n = e;
	while (n > b && ident_char(n[-1]))
		n--;
	if (n == e || (*n >= '0' && *n <= '9'))
		return NULL;
	const char *before = n;
	while (before > b && (before[-1] == ' ' || before[-1] == '\t' || before[-1] == '\n'))
		before--;
	if (before == b)
		return NULL; /* a type alone */
	for (int k = 0; keywords[k]; k++)
		if ((size_t)(e - n) == strlen(keywords[k]) &&
		    !strncmp(n, keywords[k], (size_t)(e - n)))
			return NULL;
	return xasprintf("%.*s", (int)(e - n), n);
}

/*
 * GCC's DWARF names no parameters of a declaration, so the prototypes a
 * header gives have none; lend: rules and --explain want them. Read
 * them from the declaration's text, where p->where points: the
 * parameter list after fn's name (through one K&R-compatibility macro
 * such as zlib's OF((...))). Only when it yields one name or none for
 * each argument; otherwise p keeps its unnamed arguments.
 */
static void names_from_source(struct flx_proto *p, const char *fn)
{
	if (!p->where || !p->nargs)
		return;
	char *path = xstrdup(p->where);
	char *colon = strchr(path, ':');
	long line = colon ? strtol(colon + 1, NULL, 10) : 0;
	if (colon)
		*colon = '\0';
	FILE *f = line > 0 ? fopen(path, "r") : NULL;
	free(path);
	if (!f)
		return;
	char text[4096];
	size_t len = 0;
	char buf[1024];
	for (long l = 1; fgets(buf, sizeof(buf), f) && len < sizeof(text) - 1;)
		if (strchr(buf, '\n') ? l++ >= line : l >= line) {
			size_t k = strlen(buf);
			if (k > sizeof(text) - 1 - len)
				k = sizeof(text) - 1 - len;
			memcpy(text + len, buf, k);
			len += k;
		}
	fclose(f);
	text[len] = '\0';
	size_t fl = strlen(fn);
	const char *q = text;
	while ((q = strstr(q, fn)) && ((q > text && ident_char(q[-1])) || ident_char(q[fl])))
		q += fl;
	if (!q)
		return;
	q += fl;
	while (*q == ' ' || *q == '\t' || *q == '\n' || ident_char(*q))
		q++;
	if (*q != '(')
		return;
	q++;
	while (*q == ' ' || *q == '\t' || *q == '\n')
		q++;
	if (*q == '(') /* OF((int a, ...)) */
		q++;
	char *names[64];
	uint32_t n = 0;
	int depth = 0;
	const char *b = q;
	for (; *q && n < 64; q++) {
		if (*q == '(' || *q == '[')
			depth++;
		else if ((*q == ')' || *q == ']') && depth)
			depth--;
		else if ((*q == ',' || *q == ')') && !depth) {
			names[n++] = param_name(b, q);
			b = q + 1;
			if (*q == ')')
				break;
		}
	}
	bool ok = *q == ')' && (n == p->nargs || (p->variadic && n == p->nargs + 1));
	for (uint32_t i = 0; i < n; i++) {
		if (ok && i < p->nargs && !p->args[i].name)
			p->args[i].name = names[i];
		else
			free(names[i]);
	}
}

int flx_proto_from_headers(char *const *headers, size_t nheaders, char *const *cflags,
			   size_t ncflags, char *const *fns, size_t n, struct flx_proto *out,
			   size_t *bad, char **message)
{
	char dir[] = "/tmp/flexos-proto.XXXXXX";
	bool *use = xcalloc(n + 1, sizeof(*use));
	char *src = NULL, *obj = NULL, *errors = NULL;
	int ret = -1, status = -1;

	*bad = nheaders;
	*message = NULL;
	for (size_t i = 0; i < n; i++) {
		use[i] = true;
		flx_proto_assume(&out[i], NULL);
	}
	if (!mkdtemp(dir)) {
		*message = xasprintf("cannot create a directory in /tmp: %s", strerror(errno));
		free(use);
		return -1;
	}
	src = xasprintf("%s/protos.c", dir);
	obj = xasprintf("%s/protos.o", dir);
	/* Twice at most: the names a header does not declare are dropped after the first. */
	for (int round = 0; round < 2; round++) {
		bool dropped = false;
		free(errors);
		errors = NULL;
		if (write_stub(src, headers, nheaders, fns, n, use)) {
			*message = xasprintf("cannot write %s: %s", src, strerror(errno));
			goto out;
		}
		status = compile_stub(dir, cflags, ncflags, &errors);
		if (!status || round)
			break;
		for (size_t i = 0; i < n; i++)
			if (said_undeclared(errors, fns[i])) {
				use[i] = false;
				dropped = true;
			}
		if (!dropped)
			break;
	}
	if (status) {
		/* Name the header at fault: the first that does not compile alone. */
		for (size_t h = 0; h < nheaders && *bad == nheaders; h++) {
			char *e = NULL;
			if (write_stub(src, &headers[h], 1, fns, 0, NULL) == 0 &&
			    compile_stub(dir, cflags, ncflags, &e) != 0) {
				*bad = h;
				free(errors);
				errors = e;
			} else {
				free(e);
			}
		}
		*message = first_error(errors, dir);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		char *note = NULL;
		if (use[i]) {
			char *name = xasprintf("%.*s", (int)strcspn(fns[i], ":"), fns[i]);
			int found = flx_proto_read(obj, name, false, &out[i]);
			free(name);
			if (found > 0) {
				out[i].source = FLX_PROTO_HEADER;
				if (!strchr(fns[i], ':'))
					names_from_source(&out[i], fns[i]);
				free(out[i].origin);
				out[i].origin = NULL;
				continue;
			}
			if (found < 0)
				continue; /* assumed, with flx_proto_read's note */
		}
		if (nheaders == 1)
			note = xasprintf("header %s does not declare it", headers[0]);
		else
			note = xstrdup("none of the library's headers declares it");
		flx_proto_assume(&out[i], note);
		free(note);
	}
	ret = 0;
out:
	unlink(src);
	unlink(obj);
	rmdir(dir);
	free(src);
	free(obj);
	free(errors);
	free(use);
	return ret;
}

/* ---- --explain ---------------------------------------------------------------- */

static const char *ret_name(enum flx_ret_class r)
{
	static const char *const names[] = {
	    "any of rax, rdx, xmm0, xmm1, st(0) (all carried)",
	    "none (void)",
	    "rax (and rdx)",
	    "xmm0 (and xmm1)",
	    "rax and xmm0",
	    "st(0) (x87)",
	    "through the hidden pointer in %rdi",
	};
	return names[r];
}

void flx_proto_explain(FILE *f, const struct flx_proto *p)
{
	if (p->source == FLX_PROTO_ASSUMED) {
		fprintf(f, "      prototype: assumed (%s)\n",
			p->note ? p->note
				: "no DWARF of the library or its callers declares it, "
				  "and the library names no headers");
		fprintf(
		    f,
		    "      carries: all 6 integer and 8 vector argument registers, %%al, and the "
		    "first %u bytes of stack arguments; result: %s\n",
		    p->stack_bytes, ret_name(p->ret));
		return;
	}
	if (p->source == FLX_PROTO_HEADER)
		fprintf(f, "      prototype: %s   [header %s]\n", p->text, p->origin);
	else
		fprintf(f, "      prototype: %s   [DWARF of %s]\n", p->text, p->origin);
	if (p->note)
		fprintf(f, "      note: %s\n", p->note);
	fprintf(f, "      carries:");
	for (uint32_t i = 0; i < p->nargs; i++)
		fprintf(f, "%s %s%s%s%s", i ? "," : "", flx_arg_class_name(p->args[i].cls),
			p->args[i].stack ? "@stack" : "", p->args[i].va_list ? " (va_list)" : "",
			p->args[i].file ? " (FILE *)" : "");
	fprintf(f, "%s%s; %u integer and %u vector registers, %u stack bytes%s",
		p->variadic ? ", ... (%al and a variadic stack window)" : "",
		p->nargs || p->variadic ? "" : " no arguments", p->int_regs, p->sse_regs,
		p->stack_bytes, p->variadic ? " (64 of them for the variadic rest)" : "");
	if (p->sret_size)
		fprintf(f, "; sret: %u bytes", p->sret_size);
	fprintf(f, "; result: %s%s\n", ret_name(p->ret), p->ret_file ? ", a FILE *" : "");
}

/* ---- the plan's gates ------------------------------------------------------------ */

/* Whether input i holds the callee's code of gate g. */
static bool is_callee_input(const struct flp_plan *plan, const struct flp_gate *g, size_t i)
{
	const struct flp_input *in = &plan->inputs[i];

	if (g->library != FLP_NONE)
		return in->library == g->library;
	return in->library == FLP_NONE && in->compartment == g->compartment;
}

static bool is_caller_input(const struct flp_plan *plan, const struct flp_gate *g, size_t i)
{
	const struct flp_input *in = &plan->inputs[i];

	return in->compartment != FLP_NONE && (g->callers >> in->compartment & 1) &&
	       !is_callee_input(plan, g, i);
}

/* The first hit of name in an input that pick accepts, definitions or declarations. */
static struct hit *pick(const struct flp_plan *plan, const struct flp_gate *g,
			const struct strmap *wanted, struct hits *found, const char *name,
			bool definition,
			bool (*accept)(const struct flp_plan *, const struct flp_gate *, size_t))
{
	size_t at = strmap_get(wanted, name);
	struct hit *best = NULL;

	if (!at)
		return NULL;
	for (size_t k = 0; k < found[at - 1].n; k++) {
		struct hit *h = &found[at - 1].v[k];
		if (h->definition != definition || !accept(plan, g, h->input))
			continue;
		/* A classified prototype wins over one that had to be assumed; then input order. */
		if (!best ||
		    (best->proto.source == FLX_PROTO_ASSUMED &&
		     h->proto.source != FLX_PROTO_ASSUMED) ||
		    (h->proto.source == best->proto.source && h->input < best->input))
			best = h;
	}
	return best;
}

/* A copy of a hit's prototype (hits may serve several gates). */
static void copy_proto(struct flx_proto *out, const struct flx_proto *in)
{
	flx_proto_free(out);
	*out = *in;
	out->origin = in->origin ? xstrdup(in->origin) : NULL;
	out->text = in->text ? xstrdup(in->text) : NULL;
	out->note = in->note ? xstrdup(in->note) : NULL;
	out->where = in->where ? xstrdup(in->where) : NULL;
	out->args = in->nargs ? xcalloc(in->nargs, sizeof(*out->args)) : NULL;
	for (uint32_t i = 0; i < in->nargs; i++) {
		const struct flx_proto_arg *a = &in->args[i];
		out->args[i] = *a;
		out->args[i].name = a->name ? xstrdup(a->name) : NULL;
		out->args[i].pointee_names = a->pointee_names ? xstrdup(a->pointee_names) : NULL;
		out->args[i].members =
		    a->nmembers ? xcalloc(a->nmembers, sizeof(*a->members)) : NULL;
		for (uint32_t m = 0; m < a->nmembers; m++) {
			out->args[i].members[m] = a->members[m];
			out->args[i].members[m].name = xstrdup(a->members[m].name);
		}
	}
}

static bool from_dwarf(const struct flp_plan *plan, struct flp_gate *g, const struct strmap *wanted,
		       struct hits *found)
{
	struct hit *h = pick(plan, g, wanted, found, g->fn, true, is_callee_input);

	if (!h || h->proto.source == FLX_PROTO_ASSUMED) {
		struct hit *d = pick(plan, g, wanted, found, g->symbol, false, is_caller_input);
		if (!d || d->proto.source == FLX_PROTO_ASSUMED)
			d = pick(plan, g, wanted, found, g->fn, false, is_caller_input);
		if (d && (!h || d->proto.source != FLX_PROTO_ASSUMED))
			h = d;
	}
	if (!h)
		return false;
	copy_proto(&g->proto, &h->proto);
	return g->proto.source != FLX_PROTO_ASSUMED;
}

/* The gates of library l still assumed get the prototypes its headers declare. */
static int from_headers(struct flp_plan *plan, size_t l)
{
	const struct flc_config *cfg = plan->cfg;
	const struct flc_library *lib = &cfg->libraries[l];
	char **fns = xcalloc(plan->ngates + 1, sizeof(*fns));
	size_t n = 0, bad;
	char *message;
	int err = 0;

	for (size_t g = 0; g < plan->ngates; g++) {
		struct flp_gate *gate = &plan->gates[g];
		if (gate->direct || gate->library != l || gate->proto.source != FLX_PROTO_ASSUMED)
			continue;
		bool dup = false;
		for (size_t k = 0; k < n; k++)
			dup |= !strcmp(fns[k], gate->fn);
		if (dup)
			continue;
		fns[n++] = gate->fn;
		/* prototypes: {fn: TYPE}, for a static callback no header declares. */
		for (size_t t = 0; t < lib->nprototypes; t++)
			if (!strcmp(lib->prototypes[t].fn, gate->fn)) {
				const char *type = lib->prototypes[t].type;
				const char *dot = strchr(type, '.');
				fns[n - 1] =
				    dot ? xasprintf("%s:__typeof__(((struct %.*s *)0)->%s)",
						    gate->fn, (int)(dot - type), type, dot + 1)
					: xasprintf("%s:%s", gate->fn, type);
			}
	}
	if (!n)
		goto out;
	struct flx_proto *protos = xcalloc(n, sizeof(*protos));
	if (flx_proto_from_headers(lib->headers.names, lib->headers.count, lib->cflags.names,
				   lib->cflags.count, fns, n, protos, &bad, &message)) {
		struct flc_pos pos =
		    bad < lib->headers.count ? lib->headers.pos[bad] : lib->headers.pos[0];
		if (bad < lib->headers.count)
			fprintf(
			    stderr,
			    "%s:%u:%u: error: header '%s' of library '%s' does not compile: %s; "
			    "check its name, and give the directory that holds it in 'cflags: "
			    "[-IDIR]'\n",
			    cfg->path, pos.line, pos.col, lib->headers.names[bad], lib->name,
			    message);
		else
			fprintf(stderr,
				"%s:%u:%u: error: the headers of library '%s' do not compile "
				"together: %s; list them in an order that compiles, or add the "
				"options they need to 'cflags'\n",
				cfg->path, pos.line, pos.col, lib->name, message);
		free(message);
		err = -1;
	} else {
		for (size_t k = 0; k < n; k++) {
			if (protos[k].source == FLX_PROTO_HEADER) {
				free(protos[k].origin);
				protos[k].origin =
				    xstrdup(lib->headers.count == 1 ? lib->headers.names[0]
								    : "of the library");
				if (lib->headers.count > 1) {
					struct buf b = {0};
					for (size_t h = 0; h < lib->headers.count; h++)
						put(&b, "%s%s", h ? ", " : "",
						    lib->headers.names[h]);
					free(protos[k].origin);
					protos[k].origin = b.s;
				}
			}
			for (size_t g = 0; g < plan->ngates; g++) {
				struct flp_gate *gate = &plan->gates[g];
				if (!gate->direct && gate->library == l &&
				    gate->proto.source == FLX_PROTO_ASSUMED &&
				    !strncmp(gate->fn, fns[k], strcspn(fns[k], ":")) &&
				    !gate->fn[strcspn(fns[k], ":")])
					copy_proto(&gate->proto, &protos[k]);
			}
		}
	}
	for (size_t k = 0; k < n; k++)
		flx_proto_free(&protos[k]);
	free(protos);
out:
	for (size_t k = 0; k < n; k++)
		if (strchr(fns[k], ':'))
			free(fns[k]);
	free(fns);
	return err;
}

/* Whether the callee of g runs on a stack the caller's va_list cannot point into. */
static bool private_stacks(const struct flp_plan *plan, const struct flp_gate *g)
{
	const struct flc_config *cfg = plan->cfg;

	uint32_t props = flexos_mechanism_props(cfg->mechanism);

	if (!(props & FLEXOS_MECH_ISOLATES))
		return false;
	/* Protection keys share one address space: 'stack: shared' shares the stacks too. */
	if (props & FLEXOS_MECH_PKEYS)
		return cfg->compartments[g->compartment].stack != FLC_STACK_SHARED;
	return true;
}

static int check_carry(const struct flp_plan *plan, const struct flp_gate *g)
{
	const struct flx_proto *p = &g->proto;

	if (!private_stacks(plan, g))
		return 0;
	for (uint32_t i = 0; i < p->nargs; i++) {
		if (!p->args[i].va_list)
			continue;
		const char *lib = g->library != FLP_NONE
				      ? plan->cfg->libraries[g->library].name
				      : plan->cfg->compartments[g->compartment].name;
		fprintf(stderr,
			"%s: error: '%s' of '%s' takes a va_list (argument %u%s%s%s), whose "
			"arguments live on the caller's stack, which compartment '%s' cannot read "
			"under mechanism '%s'; call a variadic or fixed-argument function of '%s' "
			"through the gate instead, put caller and callee in one compartment%s\n",
			g->first_user, g->fn, lib, i + 1, p->args[i].name ? ", '" : "",
			p->args[i].name ? p->args[i].name : "", p->args[i].name ? "'" : "",
			plan->cfg->compartments[g->compartment].name,
			flexos_mechanism_name(plan->cfg->mechanism), lib,
			flexos_mechanism_props(plan->cfg->mechanism) & FLEXOS_MECH_PKEYS
			    ? ", or give the compartments "
			      "'stack: shared'"
			    : "");
		return -1;
	}
	return 0;
}

/* Whether the mechanism gives each compartment a process, and so a glibc, of its own. */
static bool own_processes(const struct flc_config *cfg)
{
	uint32_t props = flexos_mechanism_props(cfg->mechanism);

	return (props & FLEXOS_MECH_ISOLATES) && !(props & FLEXOS_MECH_PKEYS);
}

/* Whether compartments a and b use one C library, whose FILEs both can use. */
static bool one_libc(const struct flc_config *cfg, size_t a, size_t b)
{
	if (a == b)
		return true;
	if (own_processes(cfg))
		return false;
	return cfg->compartments[a].libc != FLC_LIBC_NEWLIB &&
	       cfg->compartments[b].libc != FLC_LIBC_NEWLIB;
}

/*
 * A FILE * points into one C library's state (its buffer, its lock, its
 * descriptor number): another process's glibc, or a newlib, would crash
 * on it or use a stranger's buffer. No gate can translate it, so it is
 * refused at link time, where the fix can be named.
 */
static int check_handles(const struct flp_plan *plan, const struct flp_gate *g)
{
	const struct flc_config *cfg = plan->cfg;
	const struct flx_proto *p = &g->proto;
	size_t other = FLP_NONE;
	char *what = NULL;

	/* A callback's callers are not known: its address went to another compartment. */
	uint64_t callers = g->callback ? ~0ULL : g->callers;

	for (size_t c = 0; c < cfg->ncompartments && other == FLP_NONE; c++)
		if ((callers >> c & 1) && !one_libc(cfg, c, g->compartment))
			other = c;
	if (other == FLP_NONE)
		return 0;
	for (uint32_t i = 0; i < p->nargs && !what; i++)
		if (p->args[i].file)
			what = xasprintf("takes a FILE * (argument %u%s%s%s)", i + 1,
					 p->args[i].name ? ", '" : "",
					 p->args[i].name ? p->args[i].name : "",
					 p->args[i].name ? "'" : "");
	if (!what && p->ret_file)
		what = xstrdup("returns a FILE *");
	if (!what)
		return 0;

	const char *lib = g->library != FLP_NONE ? cfg->libraries[g->library].name
						 : cfg->compartments[g->compartment].name;
	bool procs = own_processes(cfg);
	char *apart =
	    procs
		? xasprintf("under mechanism '%s' compartments '%s' and '%s' are two "
			    "processes, each with a glibc of its own",
			    flexos_mechanism_name(cfg->mechanism), cfg->compartments[other].name,
			    cfg->compartments[g->compartment].name)
		: xasprintf("compartments '%s' and '%s' do not share a C library (libc: "
			    "newlib)",
			    cfg->compartments[other].name, cfg->compartments[g->compartment].name);
	fprintf(stderr,
		"%s: error: '%s' of library '%s' %s, called from %s: a FILE is the state of "
		"one C library, and %s, so the pointer would mean nothing on the other side "
		"and libc would crash on it; open the file in the compartment that uses it "
		"(pass library '%s' a path, or a file descriptor%s), %s, or put the caller "
		"and library '%s' in one compartment\n",
		p->where ? p->where : g->first_user, g->fn, lib, what, g->first_user, apart, lib,
		procs ? " opened before main, the only ones all processes share" : "",
		procs ? "or link with mechanism none or intel-mpk (one glibc for all "
			"compartments)"
		      : "or give both compartments the same 'libc'",
		lib);
	free(apart);
	free(what);
	return -1;
}

/*
 * Gates without a prototype carry a fixed window: say so once per library
 * under an isolating mechanism, with the fix, since a call that passes
 * more than the window on the stack would be carried wrong.
 */
static void note_assumed(const struct flp_plan *plan)
{
	const struct flc_config *cfg = plan->cfg;

	if (!(flexos_mechanism_props(cfg->mechanism) & FLEXOS_MECH_ISOLATES))
		return;
	for (size_t l = 0; l <= cfg->nlibraries; l++) {
		size_t n = 0;
		const char *first = NULL;
		for (size_t g = 0; g < plan->ngates; g++) {
			const struct flp_gate *gate = &plan->gates[g];
			size_t lib = gate->library == FLP_NONE ? cfg->nlibraries : gate->library;
			if (gate->direct || lib != l || gate->proto.source != FLX_PROTO_ASSUMED)
				continue;
			if (!n++)
				first = gate->fn;
		}
		if (!n)
			continue;
		const char *name =
		    l < cfg->nlibraries ? cfg->libraries[l].name : "(unclaimed inputs)";
		fprintf(
		    stderr,
		    "flexos-link: note: %zu gate%s into library '%s' (%s%s) %s no prototype (no "
		    "DWARF, no 'headers:'): each carries the argument registers and %d bytes of "
		    "stack arguments, and a call that passes more would arrive wrong; add "
		    "'headers: [...]' to library '%s' in %s or build it with -g (--explain lists "
		    "them)\n",
		    n, n == 1 ? "" : "s", name, first, n > 1 ? ", ..." : "",
		    n == 1 ? "has" : "have", FLX_PROTO_STACK_WINDOW, name, cfg->path);
	}
}

int flx_find_protos(struct flp_plan *plan)
{
	struct strmap wanted = {0};
	size_t nwanted = 0;
	int err = 0;

	for (size_t g = 0; g < plan->ngates; g++) {
		struct flp_gate *gate = &plan->gates[g];
		if (gate->direct)
			continue;
		flx_proto_assume(&gate->proto, NULL);
		const char *names[2] = {gate->fn, gate->symbol};
		for (int k = 0; k < 2; k++)
			if (!strmap_get(&wanted, names[k]))
				strmap_put(&wanted, names[k], ++nwanted);
	}
	if (!nwanted)
		return 0;

	struct hits *found = xcalloc(nwanted, sizeof(*found));
	struct reader r = {.wanted = &wanted, .found = found};
	for (r.input = 0; r.input < plan->ninputs; r.input++) {
		const struct flp_input *in = &plan->inputs[r.input];
		if (in->kind != FLP_RUNTIME && in->kind != FLP_UNFOUND && in->path)
			read_file(&r, in->path);
	}
	for (size_t g = 0; g < plan->ngates; g++)
		if (!plan->gates[g].direct)
			from_dwarf(plan, &plan->gates[g], &wanted, found);
	free_hits(found, nwanted);
	strmap_free(&wanted);

	for (size_t l = 0; l < plan->cfg->nlibraries; l++)
		if (plan->cfg->libraries[l].headers.count && from_headers(plan, l))
			err = -1;
	for (size_t g = 0; g < plan->ngates; g++)
		if (!plan->gates[g].direct &&
		    (check_carry(plan, &plan->gates[g]) || check_handles(plan, &plan->gates[g])))
			err = -1;
	note_assumed(plan);
	return err;
}
