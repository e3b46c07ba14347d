/*
 * This file is private to the hardening runtimes (src/harden/): the ASan
 * shadow as both ASan runtimes write it, the platform's (asan.c) and the
 * one inside `libc: newlib` compartments (newlib/asan.c), so that a report
 * of either reads the other's marks. It uses <stdint.h> only: it is
 * compiled against glibc and against newlib.
 */
#ifndef FLEXOS_HARDEN_SHADOW_H
#define FLEXOS_HARDEN_SHADOW_H

#include <flexos/harden.h>
#include <stdint.h>

#define FLEXOS__SHADOW(a) ((int8_t *)(((uintptr_t)(a) >> 3) + FLEXOS_ASAN_SHADOW_OFFSET))

/* Shadow values: gcc writes the stack's (asan.h in gcc), the runtimes the rest. */
#define FLEXOS__SH_STACK_LEFT  0xf1
#define FLEXOS__SH_STACK_MID   0xf2
#define FLEXOS__SH_STACK_RIGHT 0xf3
#define FLEXOS__SH_STACK_RET   0xf5
#define FLEXOS__SH_STACK_SCOPE 0xf8
#define FLEXOS__SH_GLOBAL      0xf9
#define FLEXOS__SH_HEAP        0xfa
#define FLEXOS__SH_FREED       0xfd

/* User space on x86-64 with 4-level page tables, and the two parts of its shadow. */
#define FLEXOS__USER_END   0x800000000000ULL
#define FLEXOS__LOW_END    0x7fff8000ULL
#define FLEXOS__HIGH_BEGIN 0x10007fff8000ULL

/* What gcc emits per instrumented global (gcc's asan.c, asan_global_struct). */
struct flexos__asan_global {
	uintptr_t beg;
	uintptr_t size;
	uintptr_t size_with_redzone;
	const char *name;
	const char *module_name;
	uintptr_t has_dynamic_init;
	void *location;
	uintptr_t odr_indicator;
};

#endif
