/*
 * This file is private to flexos-link: the prototypes of gated functions,
 * and what a gate must carry to make each call exactly as the plain call
 * would (System V x86-64 calling convention).
 */
#ifndef FLEXOS_LINK_PROTO_H
#define FLEXOS_LINK_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Where a gate's prototype came from. */
enum flx_proto_source {
	FLX_PROTO_ASSUMED, /* none found: the conservative carry (proto.c says what) */
	FLX_PROTO_DWARF, /* the DWARF of an input (callee's definition or a caller's declaration) */
	FLX_PROTO_HEADER, /* a header named in the config (headers:) */
};

/* The class of one argument, after the calling convention's classification. */
enum flx_arg_class {
	FLX_ARG_INTEGER, /* integer registers, or stack once they are used up */
	FLX_ARG_SSE,     /* vector registers, or stack */
	FLX_ARG_MIXED,   /* a struct of one INTEGER and one SSE eightbyte */
	FLX_ARG_MEMORY,  /* always on the stack (big or unaligned structs, long double) */
};

/*
 * A member of the struct a pointer argument points to, for nested
 * lending (table.c): its pointer members are lent with the struct, their
 * counts may be other members (the config's lend: rules).
 */
struct flx_proto_member {
	char *name;
	uint32_t offset;
	uint32_t size;         /* sizeof the member */
	bool pointer;          /* a data pointer */
	uint32_t pointee_size; /* as for arguments */
	bool pointee_const;
	uint8_t pointee_char;
	bool no_lend;
	bool integer; /* an integer or enum: may count a buffer */
	bool is_signed;
};

struct flx_proto_arg {
	enum flx_arg_class cls;
	uint32_t size;         /* sizeof the argument */
	bool pointer;          /* a data pointer (issue: lending pointer arguments) */
	uint32_t pointee_size; /* sizeof *arg when known and complete, else 0 */
	bool pointee_const;    /* a pointer to const: the callee does not write through it */
	uint8_t pointee_char;  /* *arg is plain char (2) or another 1-byte character type (1) */
	bool size_like;        /* an 8-byte unsigned integer (size_t): may count a buffer */
	bool no_lend;          /* *arg must keep its address (a jmp_buf) */
	bool va_list;          /* a va_list: cannot cross an isolating gate */
	bool file;             /* a FILE *: a handle that means something to one C library only */
	/*
	 * Where the caller put it: on the stack at stack_offset bytes above
	 * the return address's slot (8(%rsp) at entry is offset 0), or in
	 * int_regs integer and sse_regs vector registers, taken in order.
	 */
	bool stack;
	uint32_t stack_offset;
	uint8_t int_regs;
	uint8_t sse_regs;
	uint8_t first_int_reg; /* with int_regs: the first one's index (rdi 0 .. r9 5) */
	char *name; /* the parameter's name when the source had one, else NULL */
	bool integer;   /* an integer or enum in one register: may count a buffer */
	bool is_signed; /* ... a signed one */
	/*
	 * A pointer to a complete struct: the names it goes by (its tag and
	 * typedefs, " z_stream_s z_stream ", spaces around each) and its
	 * members, for nested lending.
	 */
	char *pointee_names;
	struct flx_proto_member *members;
	uint32_t nmembers;
};

/* Where the result comes back. */
enum flx_ret_class {
	FLX_RET_ALL,     /* unknown (assumed): rax, rdx, xmm0, xmm1 and st(0) */
	FLX_RET_VOID,    /* nothing */
	FLX_RET_INTEGER, /* rax, and rdx for a second eightbyte */
	FLX_RET_SSE,     /* xmm0, and xmm1 for a second eightbyte */
	FLX_RET_MIXED,   /* rax and xmm0, in the order of the eightbytes */
	FLX_RET_X87,     /* st(0), and st(1) for long double _Complex */
	FLX_RET_MEMORY,  /* sret_size bytes written through %rdi; rax returns %rdi */
};

struct flx_proto {
	enum flx_proto_source source;
	char *origin; /* the file (and member) it was read from, or NULL */
	char *text;   /* C rendering for --explain, e.g. "double lib_scale(double, int)" */
	bool variadic;
	/*
	 * A definition without a prototype (K&R): its callers pass float
	 * arguments promoted to double, whatever the DWARF says.
	 */
	bool unprototyped;
	uint32_t nargs; /* named arguments */
	struct flx_proto_arg *args;
	/* Bytes of arguments the caller passes on the stack (a multiple of 8). */
	uint32_t stack_bytes;
	/* Size of a struct result returned through a hidden pointer in %rdi, or 0. */
	uint32_t sret_size;
	/* Added for the gate writers: the result, and the registers the named arguments take. */
	enum flx_ret_class ret;
	uint32_t ret_size; /* sizeof the result, 0 for void or unknown */
	uint8_t ret_int_regs, ret_sse_regs; /* registers the result takes (rax, rdx; xmm0, xmm1) */
	uint8_t int_regs;  /* integer argument registers used, the sret pointer's %rdi included */
	uint8_t sse_regs;  /* vector argument registers used by named arguments */
	char *note;        /* why a source was passed over, for --explain, or NULL */
	bool ret_file;     /* the result is a FILE * */
	char *where;       /* "file:line:col" of the declaration the DWARF names, or NULL */
};

/*
 * Stack bytes an assumed prototype carries, and the most a variadic call
 * may pass on the stack beyond its named arguments: the limit of what a
 * gate can carry without knowing the prototype (docs/config.md).
 */
#define FLX_PROTO_STACK_WINDOW 64

/* Frees what a prototype owns; leaves it FLX_PROTO_ASSUMED and empty. */
void flx_proto_free(struct flx_proto *p);

/*
 * Makes p the conservative carry: every argument register, %al, and
 * FLX_PROTO_STACK_WINDOW bytes of stack arguments; every result register.
 * Frees what p held first; note (copied, may be NULL) says why.
 */
void flx_proto_assume(struct flx_proto *p, const char *note);

/*
 * Reads the prototype of function fn from the DWARF of path (an object,
 * an archive, whose members are all read, or a shared library): its
 * definition if there is one, else, unless definition_only, a declaration
 * with a prototype. Returns 1 and fills *out (FLX_PROTO_DWARF, origin
 * "path" or "archive(member)"), 0 when path has no such DWARF, or -1 when
 * a type is beyond what proto.c classifies (*out is then assumed).
 */
int flx_proto_read(const char *path, const char *fn, bool definition_only, struct flx_proto *out);

/*
 * Reads the prototypes of fns[0..n) declared by headers (each included as
 * #include "h"), compiling a C file that takes their addresses with
 * $CC -g -O0 -c and cflags. Fills out[i] (FLX_PROTO_HEADER) for each
 * declared one; the others are left assumed, with a note. Returns 0, or
 * -1 when the headers do not compile: then *bad is the index of the first
 * header that does not compile alone (or n when only all together fail)
 * and *message the compiler's first error line (free it).
 */
int flx_proto_from_headers(char *const *headers, size_t nheaders, char *const *cflags,
			   size_t ncflags, char *const *fns, size_t n, struct flx_proto *out,
			   size_t *bad, char **message);

/*
 * Whether a call needs no more than today's fast gate carries: a known
 * prototype, not variadic, integer registers in and rax (or nothing) out,
 * nothing on the stack, no sret, no x87 or vector register.
 */
bool flx_proto_int_regs_only(const struct flx_proto *p);

/* "INTEGER", "SSE", "MIXED" or "MEMORY". */
const char *flx_arg_class_name(enum flx_arg_class c);

/* Prints what --explain says of p: its text, source and carry, indented. */
void flx_proto_explain(FILE *f, const struct flx_proto *p);

struct flp_plan;

/*
 * Fills the prototype of every gate of the plan that is not a direct call,
 * from the sources in the order proto.c gives, and refuses what a gate
 * cannot carry (a va_list across private stacks; a FILE * between
 * compartments that do not share one C library: processes, or a 'libc:
 * newlib' compartment and any other). Direct gates keep a
 * zeroed prototype. A zeroed prototype (FLX_PROTO_ASSUMED, as in plans
 * built by hand) means the same as an assumed one: carry everything, with
 * FLX_PROTO_STACK_WINDOW bytes of stack. Returns 0, or -1 after printing
 * errors.
 */
int flx_find_protos(struct flp_plan *plan);

#endif
