/*
 * The UBSan handlers of a hardened `libc: newlib` compartment
 * (libflexos-harden-newlib.a, linked into its partial link): each traps
 * to the platform's report (../trap.h), with its arguments and the
 * address of the instrumented code that called it.
 */
#include <stdint.h>

#include "../trap.h"

#define RET ((uintptr_t)__builtin_return_address(0))

#define BOTH(name, id)                                                             \
	void __ubsan_handle_##name(uintptr_t a, uintptr_t b, uintptr_t c);         \
	void __ubsan_handle_##name##_abort(uintptr_t a, uintptr_t b, uintptr_t c); \
	void __ubsan_handle_##name(uintptr_t a, uintptr_t b, uintptr_t c)          \
	{                                                                          \
		flexos__harden_trap_raise(id, a, b, c, RET);                       \
	}                                                                          \
	void __ubsan_handle_##name##_abort(uintptr_t a, uintptr_t b, uintptr_t c)  \
	{                                                                          \
		flexos__harden_trap_raise(id, a, b, c, RET);                       \
	}
#define ONE(name, id)                                                      \
	void __ubsan_handle_##name(uintptr_t a, uintptr_t b, uintptr_t c); \
	void __ubsan_handle_##name(uintptr_t a, uintptr_t b, uintptr_t c)  \
	{                                                                  \
		flexos__harden_trap_raise(id, a, b, c, RET);               \
	}
FLEXOS__UBSAN_TRAPS(BOTH, ONE)
