/*
 * This file is private to the hardening runtimes (src/harden/): the trap
 * by which a `libc: newlib` compartment hands a bug it found to the
 * platform's report (docs/hardening.md, "newlib compartments").
 *
 * A newlib compartment is one partial link that refers to nothing outside
 * it, and under intel-mpk it runs with key 0 denied: it can neither call
 * libflexos-harden.a nor read what a report needs (the compartment table,
 * the symbol table). So its own runtime (newlib.c, linked into it) loads
 * from a non-canonical address, with the handler's arguments in
 * registers. The fault is a SIGSEGV under every backend, whose handler
 * already runs where key 0 is open: it recognizes the trap by the bytes
 * at the faulting pc and the address in %r11, and reports as if the
 * compartment had called the platform's handler (trap.c).
 *
 * Registers at the trap: %eax the id below, %rdi/%rsi/%rdx the handler's
 * arguments, %rcx the return address of the handler (the instrumented
 * code that found the bug), %r11 FLEXOS__HARDEN_TRAP_ADDR.
 */
#ifndef FLEXOS_HARDEN_TRAP_H
#define FLEXOS_HARDEN_TRAP_H

#include <stdint.h>

/* Not canonical (bits 63..47 differ): the load faults with a SIGSEGV. */
#define FLEXOS__HARDEN_TRAP_ADDR 0xf1e05ec0de5afe00ull
/* The faulting instruction, movq (%r11),%r11, and the marker after it. */
#define FLEXOS__HARDEN_TRAP_INSN  "\x4d\x8b\x1b"
#define FLEXOS__HARDEN_TRAP_MAGIC "FLXHARD"
#define FLEXOS__HARDEN_TRAP_LEN   10

/*
 * The UBSan handlers gcc 12 calls for C, each with an id; the ones with
 * a recoverable name have it too (X), the others only the plain one (Y).
 */
#define FLEXOS__UBSAN_TRAPS(X, Y)    \
	X(add_overflow, 1)           \
	X(sub_overflow, 2)           \
	X(mul_overflow, 3)           \
	X(negate_overflow, 4)        \
	X(divrem_overflow, 5)        \
	X(shift_out_of_bounds, 6)    \
	X(out_of_bounds, 7)          \
	X(type_mismatch_v1, 8)       \
	X(vla_bound_not_positive, 9) \
	X(load_invalid_value, 10)    \
	X(pointer_overflow, 11)      \
	X(nonnull_arg, 12)           \
	X(nonnull_return_v1, 13)     \
	X(float_cast_overflow, 14)   \
	X(invalid_builtin, 15)       \
	Y(builtin_unreachable, 16)   \
	Y(missing_return, 17)

enum flexos__ubsan_trap_id {
#define FLEXOS__UBSAN_ID(name, id) FLEXOS__TRAP_UBSAN_##name = id,
	FLEXOS__UBSAN_TRAPS(FLEXOS__UBSAN_ID, FLEXOS__UBSAN_ID)
#undef FLEXOS__UBSAN_ID
};

#define FLEXOS__TRAP_STACK_PROTECT 32 /* no argument */
#define FLEXOS__TRAP_FORTIFY       33 /* %rdi the function (below), %rsi the length, %rdx the room */
#define FLEXOS__TRAP_ASAN_ACCESS   34 /* %rdi the address, %rsi the size, %rdx 1 for a write */
#define FLEXOS__TRAP_ASAN_FREE     35 /* %rdi the pointer, %rsi what, %rdx the function: */

/* What was wrong with a pointer given to the allocator (%rsi of FLEXOS__TRAP_ASAN_FREE). */
#define FLEXOS__ASAN_NOT_HEAP  0 /* not in the compartment's heap */
#define FLEXOS__ASAN_FREED     1 /* freed already */
#define FLEXOS__ASAN_NOT_START 2 /* not the start of an allocation */
/* Which function was given it (%rdx of FLEXOS__TRAP_ASAN_FREE). */
#define FLEXOS__ASAN_FNS(X) \
	X(free, 0)          \
	X(realloc, 1)       \
	X(malloc_usable_size, 2)
#define FLEXOS__ASAN_NFNS 3

/* The checked functions of src/harden/newlib/fortify.c, by index (%rdi of FLEXOS__TRAP_FORTIFY). */
#define FLEXOS__FORTIFY_FNS(X) \
	X(memcpy, 0)           \
	X(memmove, 1)          \
	X(mempcpy, 2)          \
	X(memset, 3)           \
	X(strcpy, 4)           \
	X(stpcpy, 5)           \
	X(strncpy, 6)          \
	X(stpncpy, 7)          \
	X(strcat, 8)           \
	X(strncat, 9)          \
	X(sprintf, 10)         \
	X(vsprintf, 11)        \
	X(snprintf, 12)        \
	X(vsnprintf, 13)       \
	X(unknown, 14)
#define FLEXOS__FORTIFY_NFNS 15

/* Raises the trap; never returns. */
static inline __attribute__((__noreturn__, __always_inline__)) void
flexos__harden_trap_raise(uint32_t id, uintptr_t a, uintptr_t b, uintptr_t c, uintptr_t pc)
{
	__asm__ volatile("movabsq %[addr], %%r11\n\t"
			 "movq (%%r11), %%r11\n\t"
			 ".ascii \"" FLEXOS__HARDEN_TRAP_MAGIC "\"" ::"a"(id),
			 "D"(a), "S"(b), "d"(c), "c"(pc), [addr] "i"(FLEXOS__HARDEN_TRAP_ADDR)
			 : "r11", "memory");
	__builtin_unreachable();
}

#endif
