/*
 * This file is private to the FlexOS runtime (libflexos.a) and to the
 * backends built from this tree. Applications use <flexos/flexos.h>.
 */
#ifndef FLEXOS_RUNTIME_H
#define FLEXOS_RUNTIME_H

#include <flexos/backend.h>
#include <stdarg.h>
#include <stdnoreturn.h>

#include "heap.h"

/* The runtime's state, for debuggers (tools/gdb/flexos.py reads it). */
extern const struct flexos_runtime *const flexos__debug_runtime;

/* Starts the runtime once; every public entry point may call it. */
void flexos__start(int argc, char **argv, char **envp);

/*
 * What must happen at exit while the compartments still run: each newlib
 * compartment flushes its streams. Registered with atexit by the runtime;
 * a backend whose own exit handler ends the compartments calls it first.
 * Runs once.
 */
void flexos__before_exit(void);

/*
 * The exit-time flush of compartment id's newlib (the runtime's own
 * crossing, flexos__call_in), read from its glue before the compartment
 * ran; NULL if it has none. A backend that names crossings by entry
 * accepts this one too.
 */
void (*flexos__newlib_fini_of(uint32_t id))(void);

/* The heap of compartment id, or the shared heap for FLEXOS__SHARED_HEAP. */
#define FLEXOS__SHARED_HEAP (-1)
struct flexos__heap *flexos__heap_of(int id);

/*
 * What flexos_last_gate_error() reports for this thread: a backend that can
 * lose a callee (the process backend) sets it on every gate it completes.
 */
extern __thread int flexos__gate_error;

/*
 * shared.c, for user-level threads (src/sched/): store this OS thread's
 * data shadow stack in save and make load current; release a stack saved
 * by a thread that ended. {0, 0} is a thread that has none yet.
 */
void flexos__dss_switch(uintptr_t save[2], const uintptr_t load[2]);
void flexos__dss_free(uintptr_t state[2]);

/*
 * Fills rt->shlib_regions from the image's shared libraries that are
 * loaded. Returns 0, or -1 if there are too many segments.
 */
int flexos__find_shlibs(struct flexos_runtime *rt);

/* The compartment whose .text holds addr, or -1 outside every compartment. */
int flexos__code_owner(uintptr_t addr);

/* The compartment whose .text holds addr, or the default compartment. */
int flexos__compartment_of_code(uintptr_t addr);

/*
 * Which compartment's sections or heap hold addr: returns its id and sets
 * *what to the section name or "heap"; or returns -1 and sets *what to
 * "shared data", "shared heap" or NULL (memory of no compartment). Stacks
 * are the backends' to add. Async-signal-safe after start-up.
 */
int flexos__owner_of(uintptr_t addr, const char **what);

/*
 * symbols.c: maps the symbol table flexos-link added to the image (at
 * start-up, before any system-call filter; a no-op for an image without
 * one) and loads the unwinder.
 */
void flexos__symbols_init(void);

/*
 * Writes the calling thread's backtrace to stderr, a line per frame:
 * "flexos:   #1 0x... fn+0x1c (file.c:42) [compartment]". With fault_pc
 * (the pc a signal interrupted), it starts at that frame and leaves out
 * the handler's own. Async-signal-safe after flexos__symbols_init.
 */
void flexos__print_backtrace(uintptr_t fault_pc);

/*
 * pc as the backtrace names it ("fn+0x1c (file.c:42)"), NUL-terminated in
 * buf. Async-signal-safe after flexos__symbols_init.
 */
void flexos__describe_pc(char *buf, size_t size, uintptr_t pc);

/*
 * Prints "flexos: " and the message to stderr without allocating (safe in
 * signal handlers and before the heaps exist), then exits or aborts.
 */
void flexos__say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void flexos__die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
noreturn void flexos__abort(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
