/*
 * This file is private to the FlexOS runtime: how it gives a newlib
 * compartment's glue instance (glue.h) its heap.
 */
#ifndef FLEXOS_NEWLIB_ATTACH_H
#define FLEXOS_NEWLIB_ATTACH_H

#include <stddef.h>

#include "glue.h"

struct flexos__heap;

/*
 * Checks that g is a glue instance this runtime understands, then gives
 * it len bytes (rounded up to pages) of heap h, page-aligned, for its
 * sbrk, writes a random stack-protector canary (low byte zero) through
 * g->stack_guard, and records compartment id. Call it once per instance,
 * before the compartment runs. Returns 0, -EPROTO for a glue of another
 * version (or not a glue at all), -EBUSY if g already has a heap, -ENOMEM
 * if h cannot spare len bytes, or getrandom's -errno.
 */
int flexos__newlib_attach(struct flexos_newlib_glue *g, int id, struct flexos__heap *h, size_t len);

#endif
