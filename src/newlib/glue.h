/*
 * This file is private to FlexOS for Linux: the interface between the
 * runtime (and the code flexos-link generates) and the system-call glue
 * of a compartment that has its own newlib (libflexos-newlib.a).
 *
 * Such a compartment is one partially linked object holding the
 * compartment's code, a private copy of newlib's libc.a and of the glue;
 * every global symbol but its API is made local. So each newlib
 * compartment has its own glue instance: the variable flexos__newlib_glue
 * that the glue defines (FLEXOS_NEWLIB_GLUE in <flexos/names.h>).
 * flexos-link keeps that one symbol global, under a name of its own per
 * compartment (FLEXOS_NEWLIB_GLUE_FMT: flexos__newlib_glue__comp2 for
 * compartment comp2), and hands its address to the runtime.
 *
 * Before any code of the compartment runs, the runtime checks magic and
 * version and gives the compartment its heap (flexos__newlib_attach()
 * does both, carving the range out of the compartment's heap). At exit
 * it calls fini, in the compartment, so that newlib's buffered streams
 * are written: glibc's exit() knows nothing of newlib's stdio.
 *
 * This header is compiled against glibc (the runtime) and against newlib
 * (the glue): it uses <stdint.h> only.
 */
#ifndef FLEXOS_NEWLIB_GLUE_H
#define FLEXOS_NEWLIB_GLUE_H

#include <stdint.h>

/* "FXNLglue": the glue instance's magic number. */
#define FLEXOS_NEWLIB_GLUE_MAGIC 0x65756c674c4e5846ULL
/* Bumped whenever the layout of struct flexos_newlib_glue changes. */
#define FLEXOS_NEWLIB_GLUE_VERSION 2

/*
 * The break sbrk starts from when no heap was given: the glue then maps
 * a private range of this size (address space only) on first use. That
 * is for using libflexos-newlib.a without the runtime; under MPK such a
 * range has key 0, which a newlib compartment may not touch, so the
 * runtime always attaches a heap.
 */
#define FLEXOS_NEWLIB_STANDALONE_HEAP (256UL << 20)

struct flexos_newlib_glue {
	/* Written by the glue (statically): what the runtime checks. */
	uint64_t magic;   /* FLEXOS_NEWLIB_GLUE_MAGIC */
	uint32_t version; /* FLEXOS_NEWLIB_GLUE_VERSION */

	/*
	 * Written by the runtime before the compartment runs: its id (-1
	 * until then) and the range [heap_start, heap_end) sbrk hands out.
	 * The range is the compartment's own memory (its key under MPK).
	 */
	int32_t compartment;
	uintptr_t heap_start;
	uintptr_t heap_end;

	/* The glue's: the current break, heap_start until the first sbrk. */
	uintptr_t brk;

	/*
	 * Entry points of the compartment, for the runtime to call in the
	 * compartment (through a gate when the backend isolates it):
	 *   fini            writes newlib's buffered streams; call at exit.
	 *   errno_location  the compartment's errno (newlib's __errno()).
	 */
	void (*fini)(void);
	int *(*errno_location)(void);

	/*
	 * The compartment's stack-protector canary (__stack_chk_guard, read
	 * by code compiled with -mstack-protector-guard=global), in its own
	 * data: the runtime writes a random value there before the
	 * compartment runs, so that it differs from one process start to the
	 * next and from glibc's (which every compartment may read).
	 */
	uintptr_t *stack_guard;
};

#endif
