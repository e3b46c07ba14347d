/*
 * This file is private to flexos-link: the prototypes of gated functions,
 * and what a gate must carry to make each call exactly as the plain call
 * would (System V x86-64 calling convention).
 */
#ifndef FLEXOS_LINK_PROTO_H
#define FLEXOS_LINK_PROTO_H

#include <stdbool.h>
#include <stdint.h>

/* Where a gate's prototype came from. */
enum flx_proto_source {
	FLX_PROTO_ASSUMED, /* none found: the conservative carry (proto.c says what) */
	FLX_PROTO_DWARF,   /* the DWARF of an input (callee's definition or a caller's declaration) */
	FLX_PROTO_HEADER,  /* a header named in the config (headers:) */
};

/* The class of one argument, after the calling convention's classification. */
enum flx_arg_class {
	FLX_ARG_INTEGER, /* integer registers, or stack once they are used up */
	FLX_ARG_SSE,     /* vector registers, or stack */
	FLX_ARG_MIXED,   /* a struct of one INTEGER and one SSE eightbyte */
	FLX_ARG_MEMORY,  /* always on the stack (big or unaligned structs, long double) */
};

struct flx_proto_arg {
	enum flx_arg_class cls;
	uint32_t size;         /* sizeof the argument */
	bool pointer;          /* a data pointer (issue: lending pointer arguments) */
	uint32_t pointee_size; /* sizeof *arg when known and complete, else 0 */
	bool va_list;          /* a va_list: cannot cross an isolating gate */
};

struct flx_proto {
	enum flx_proto_source source;
	char *origin; /* the file (and member) it was read from, or NULL */
	char *text;   /* C rendering for --explain, e.g. "double lib_scale(double, int)" */
	bool variadic;
	uint32_t nargs; /* named arguments */
	struct flx_proto_arg *args;
	/* Bytes of arguments the caller passes on the stack (a multiple of 8). */
	uint32_t stack_bytes;
	/* Size of a struct result returned through a hidden pointer in %rdi, or 0. */
	uint32_t sret_size;
};

/* Frees what a prototype owns; leaves it FLX_PROTO_ASSUMED and empty. */
void flx_proto_free(struct flx_proto *p);

#endif
