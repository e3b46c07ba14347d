/*
 * FlexOS for Linux: the public API for code that runs in compartments.
 *
 * Nothing here decides how a library is isolated: the image's flexos.yaml
 * does, and flexos-link turns every gate, callback and shared variable
 * below into what the chosen backend needs. The same object files link
 * unchanged with the `none`, `intel-mpk` and `process` backends.
 *
 * See docs/api.md for a tour with examples.
 */
#ifndef FLEXOS_FLEXOS_H
#define FLEXOS_FLEXOS_H

#include <stddef.h>
#include <stdio.h>

#include <flexos/names.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------
 * Gates
 * ------------------------------------------------------------------ */

/* Internal: the link-time symbol a gate to `fn` of library `lib` calls. */
#define FLEXOS__GATE_SYM(lib, fn) FLEXOS__CAT(FLEXOS_GATE_PREFIX_TOKEN, lib##__##fn)
#define FLEXOS__CB_SYM(lib, fn)   FLEXOS__CAT(FLEXOS_CB_PREFIX_TOKEN, lib##__##fn)

/*
 * Calls fn, a function of library lib (the name used in flexos.yaml), and
 * discards its result. When lib shares the caller's compartment, or the image
 * uses the `none` backend, flexos-link resolves the gate to the direct call
 * `fn(...)`: no added instruction. Otherwise the call enters lib's
 * compartment and comes back.
 *
 * The call crosses as the plain call would make it (System V x86-64):
 * arguments of any type and number, integer, floating (float, double,
 * long double) and structs by value, variadic calls, and every kind of
 * result, struct results returned in memory included. What a gate copies
 * on the stack comes from fn's prototype (flexos-link --explain says
 * which); at most FLEXOS_GATE_MAX_CARRY (512) bytes of stack arguments
 * and of struct result, else flexos-link refuses the gate. What does not
 * cross: the memory pointers point to, which must be shared (FLEXOS_SHARED,
 * flexos_shared_malloc, FLEXOS_SHARED_STACK) when the callee's compartment
 * may not reach it, and a va_list (it points into the caller's stack),
 * which flexos-link refuses where the callee cannot read that stack.
 */
#define flexos_gate(lib, fn, ...)                                                          \
	((void)__extension__({                                                             \
		extern __typeof__(fn) FLEXOS__GATE_SYM(lib, fn);                           \
		FLEXOS__GATE_SYM(lib, fn)(__VA_ARGS__);                                    \
	}))

/* Like flexos_gate, and assigns fn's return value to the lvalue ret. */
#define flexos_gate_r(lib, ret, fn, ...)                                                   \
	((void)__extension__({                                                             \
		extern __typeof__(fn) FLEXOS__GATE_SYM(lib, fn);                           \
		(ret) = FLEXOS__GATE_SYM(lib, fn)(__VA_ARGS__);                            \
	}))

/*
 * Whether the last gate this thread made completed: 0 if it did, or the
 * number of the signal that killed the callee's compartment during the
 * call. Only a compartment with `on_crash: restart` is restarted instead
 * of ending the image; its gate then returns -1 (converted to fn's return
 * type) and this function says why. Backends that cannot lose a callee
 * always return 0.
 */
int flexos_last_gate_error(void);

/*
 * A pointer to fn, a function of library lib, that may be handed to another
 * compartment: calling it from anywhere enters lib's compartment first. Use
 * it for callbacks. Under `none` it is fn itself; otherwise it differs from
 * &fn, so do not compare the two.
 */
#define flexos_callback(lib, fn)                                                           \
	(__extension__({                                                                   \
		FLEXOS__CB_TARGET(lib, fn);                                                \
		extern __typeof__(fn) FLEXOS__CB_SYM(lib, fn);                             \
		&FLEXOS__CB_SYM(lib, fn);                                                  \
	}))

#define FLEXOS__CBFN_NAME(lib, fn) FLEXOS_CBFN_PREFIX #lib FLEXOS_NAME_SEP #fn

/*
 * Internal: gives fn, even a static function, the global name
 * __flexos_cbfn__<lib>__<fn> that flexos-link points the callback at.
 */
#define FLEXOS__CB_TARGET(lib, fn)                                                                \
	__asm__(                                                                                  \
	    ".ifndef " FLEXOS__CBFN_NAME(                                                         \
		lib, fn) "\n\t"                                                                   \
			 ".globl " FLEXOS__CBFN_NAME(                                             \
			     lib, fn) "\n\t"                                                      \
				      ".hidden " FLEXOS__CBFN_NAME(                               \
					  lib, fn) "\n\t"                                         \
						   ".set " FLEXOS__CBFN_NAME(lib, fn) ", %c0\n\t" \
										      ".endif"    \
	    :                                                                                     \
	    : "i"(fn))

/* ---------------------------------------------------------------------
 * Shared data
 * ------------------------------------------------------------------ */

/*
 * Places a static or global variable in the image's shared section, which
 * every compartment may read and write:
 *     static char buf[32] FLEXOS_SHARED;
 * Sections named ".data_shared" (the FlexOS prototype's spelling) are
 * treated the same way.
 */
#define FLEXOS_SHARED __attribute__((section(FLEXOS_SHARED_SECTION)))

/*
 * Allocates from the shared heap, which every compartment may read and
 * write. Same contract as malloc, calloc and free; flexos_shared_free
 * aborts with a message if p was not allocated here.
 */
void *flexos_shared_malloc(size_t size);
void *flexos_shared_calloc(size_t nmemb, size_t size);
void flexos_shared_free(void *p);

/*
 * Declares `name` as a pointer to a fresh, zeroed object of type `type` that
 * every compartment may access, released when the enclosing block ends:
 *     FLEXOS_SHARED_STACK(int, x);        then use *x
 *     FLEXOS_SHARED_STACK(char[64], buf); then use *buf
 * It lives on the calling thread's data shadow stack, in shared memory,
 * because a compartment's own stack is private to it. Aborts with a
 * message if that stack (FLEXOS_SHARED_STACK_SIZE bytes a thread) is full.
 */
#define FLEXOS_SHARED_STACK(type, name)                                                    \
	__typeof__(type) *const name                                                       \
		__attribute__((cleanup(flexos__dss_release))) =                           \
			(__typeof__(type) *)flexos__dss_acquire(sizeof(type),              \
								_Alignof(type))

/* Size of each thread's data shadow stack. */
#define FLEXOS_SHARED_STACK_SIZE (64 * 1024)

/* Internal: implementation of FLEXOS_SHARED_STACK. */
void *flexos__dss_acquire(size_t size, size_t align);
void flexos__dss_release(const void *slot);

/* ---------------------------------------------------------------------
 * Introspection
 * ------------------------------------------------------------------ */

/*
 * The compartment the calling code belongs to: its id (0 .. count - 1) and
 * its name from flexos.yaml. Code outside every compartment (the C library,
 * for example) is reported as the default compartment.
 */
int flexos_compartment_id(void);
const char *flexos_compartment_name(void);

/* Number of compartments in the image. */
int flexos_compartment_count(void);

/* Name of the compartment with this id, or NULL if there is none. */
const char *flexos_compartment_name_of(int id);

/* The backend the image was linked with: "none", "intel-mpk" or "process". */
const char *flexos_backend_name(void);

/*
 * Prints the image's compartment map to f: each compartment with its
 * libraries, its sections (addresses and sizes) and its heap, then the
 * shared areas. Returns 0, or -errno if writing failed.
 */
int flexos_print_map(FILE *f);

#ifdef __cplusplus
}
#endif

#endif /* FLEXOS_FLEXOS_H */
