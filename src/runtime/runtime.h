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
 * What compartment id runs at exit through the runtime's own crossing
 * (flexos__call_in), fixed before the compartment ran: its newlib's
 * stream flush, or the destructors of its shared libraries that
 * flexos__shlib_take_fini took from the loader (run in reverse order,
 * once); NULL if it has neither. A backend that names crossings by entry
 * accepts this one too.
 */
void (*flexos__fini_of(uint32_t id))(void);

/* call.S: flexos__call_in through gate (the image's, for its stack mode). */
void flexos__call_in_gate(uint32_t id, void (*fn)(void), void (*gate)(void));

/*
 * The heap of compartment id, or the shared heap for FLEXOS__SHARED_HEAP.
 * Any other id aborts with a report: it came from state a compartment
 * overwrote.
 */
#define FLEXOS__SHARED_HEAP (-1)
struct flexos__heap *flexos__heap_of(int id);

/*
 * How malloc (backends/common/malloc.c) routes a call: set once per
 * process, by flexos__set_process_compartment (the process backend's
 * processes) and before main (glibc's malloc_usable_size).
 */
struct flexos__malloc_route {
	int process_compartment; /* this process's compartment, or -1: the running one */
	/* The owner whose pointers free takes without a search, or -2: none. */
	int fast_owner;
	/* process_compartment's heap and text: a call from that text gets that heap. */
	struct flexos__heap *process_heap;
	uintptr_t process_text_start, process_text_end;
	size_t (*libc_usable_size)(void *);
};

/*
 * The runtime's state that start-up writes and nothing writes after, in
 * platform memory: which heap serves each compartment and how malloc
 * routes, the image, the heaps' ranges, the newlib flushes. A compartment
 * that rewrote it would have another compartment's allocations served
 * from memory it reads. It sits alone on whole pages, so that a backend
 * that isolates inside one process makes them read-only before main
 * (intel-mpk: docs/threat-model.md, limit 1); the process backend's
 * processes each have their own copy.
 */
#define FLEXOS__MAX_SHLIB_FINI_LIBS 32
#define FLEXOS__MAX_SHLIB_FINI      256
#define FLEXOS__MAX_CODE_SEGMENTS   64
struct flexos_symbols_header;
struct flexos_symbol;
struct flexos_line;
struct flexos__heap_bounds {
	uintptr_t lo, hi;
};
#define FLEXOS__SHARED_BOUNDS (flexos__ro.s.bounds[FLEXOS_MAX_COMPARTMENTS])

/* Whether [a, a + len) lies inside b. */
static inline int flexos__bounds_hold(const struct flexos__heap_bounds *b, uintptr_t a, size_t len)
{
	return a >= b->lo && a <= b->hi && len <= b->hi - a;
}
struct flexos__ro_state {
	struct flexos_runtime runtime;
	struct flexos__heap *heaps[FLEXOS_MAX_COMPARTMENTS];
	struct flexos__heap *shared_heap;
	/*
	 * heap_fast.h: each heap's range where it never grows and
	 * compartments are isolated (then it is one range: all of it), by
	 * owner, the shared heap's last (FLEXOS__SHARED_BOUNDS); hi == 0
	 * where it is not known. The shared heap with bounds is guarded
	 * (heap.c): its bookkeeping is every compartment's to write, so every
	 * chunk it hands out or follows is checked against them before it is
	 * written. A free, realloc or malloc_usable_size finds
	 * the chunk a pointer's header leads to inside its heap's range,
	 * whatever the table of ranges or the header (a sandbox's host frees
	 * its pointers) say.
	 */
	struct flexos__heap_bounds bounds[FLEXOS_MAX_COMPARTMENTS + 1];
	/* Each newlib compartment's stream flush, read from its glue before it is protected. */
	void (*newlib_fini[FLEXOS_MAX_COMPARTMENTS])(void);
	/*
	 * shlib.c: the destructors of the compartments' shared libraries,
	 * taken from the loader (flexos__shlib_take_fini), each library's in
	 * the order _dl_fini would call them; run at exit in their
	 * compartment. once[id]: a word in compartment id's heap, set by the
	 * first run (only that compartment may write it).
	 */
	struct {
		uint32_t nlibs, nfns;
		struct {
			uint32_t compartment, first, count;
		} libs[FLEXOS__MAX_SHLIB_FINI_LIBS];
		void (*fns[FLEXOS__MAX_SHLIB_FINI])(void);
		int *once[FLEXOS_MAX_COMPARTMENTS];
	} shlib_fini;
	int started;
	struct flexos__malloc_route malloc;
	/*
	 * symbols.c: the image's symbol table, which the fault report reads
	 * with a PKRU that reads every compartment (a forged pointer would
	 * have it print another compartment's memory).
	 */
	struct {
		const struct flexos_symbols_header *table;
		const struct flexos_symbol *funcs;
		const struct flexos_line *lines;
		const char *strings;
		/* The table's counts as checked at start-up: its mapping is key 0. */
		uint32_t nfuncs, nlines, strsize;
		uintptr_t bias, image_lo, image_hi;
		char image_path[256];
		/*
		 * The loaded objects' executable segments at start-up, each
		 * with its object's base and name (the last part): the report
		 * names a return address, and prints it at all, only inside one
		 * (the loader's list is key 0: a compartment could make it
		 * cover its neighbour's data). code_final: the backend refuses
		 * code mapped later (intel-mpk's filter); elsewhere such code is
		 * looked up in the loader's list.
		 */
		uint32_t ncode;
		int code_final;
		struct flexos__code_segment {
			uintptr_t lo, hi, base;
			/*
			 * Its object's unwind table (PT_GNU_EH_FRAME), or 0; under
			 * intel-mpk a shared library's read-only copy of it
			 * (backends/mpk/unwind.c).
			 */
			uintptr_t eh_frame;
			char name[64];
		} code[FLEXOS__MAX_CODE_SEGMENTS];
	} symbols;
};

#define FLEXOS__RO_PAGE 4096
union flexos__ro_page {
	struct flexos__ro_state s;
	char pages[(sizeof(struct flexos__ro_state) + FLEXOS__RO_PAGE - 1) / FLEXOS__RO_PAGE *
		   FLEXOS__RO_PAGE];
};
extern union flexos__ro_page flexos__ro;

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

/*
 * For a backend that keeps the compartments' shared libraries' data
 * under their keys until the process ends (intel-mpk): takes each such
 * library's destructors (DT_FINI_ARRAY, DT_FINI) from the loader, so
 * that _dl_fini, which runs them after main in whatever compartment
 * calls exit, finds a function that does nothing in their place; the
 * runtime's exit handler runs them in their compartment instead
 * (flexos__fini_of). At start-up, before any compartment runs and while
 * flexos__ro is writable. Returns 0 or -errno (with a message).
 */
int flexos__shlib_take_fini(void);

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
 * The lend arena (pointer lending, backends/common/lend.c): a header
 * page run, then for each of FLEXOS__LEND_THREADS threads
 * FLEXOS__LEND_SLOTS slots of flexos__lend_slot_pages[s] pages, each slot
 * after a guard page, and one guard page at the very end. Its layout is
 * made at start-up, before any compartment process exists, so that it is
 * the same in every process. Lent objects end at their slot's end.
 */
#define FLEXOS__LEND_PAGE         4096
#define FLEXOS__LEND_THREADS      64
#define FLEXOS__LEND_SLOTS        8
#define FLEXOS__LEND_HEADER_PAGES 4
#define FLEXOS__LEND_THREAD_PAGES (FLEXOS__LEND_SLOTS + 120) /* guards + slot pages */
#define FLEXOS__LEND_MAX_PAGES    64 /* the last, largest slot */
extern const uint8_t flexos__lend_slot_pages[FLEXOS__LEND_SLOTS];

struct flexos__lend_meta {
	const struct flexos_lend *desc; /* NULL: the slot holds nothing now */
	uint32_t arg;
	uint32_t size;
};

struct flexos__lend_header {
	uint64_t claimed; /* bit t: thread slot t is taken */
	uint64_t reserved;
	struct flexos__lend_meta meta[FLEXOS__LEND_THREADS][FLEXOS__LEND_SLOTS];
};

/* The end of slot s of thread t of the arena at base. */
uintptr_t flexos__lend_slot_end(uintptr_t base, unsigned t, unsigned s);

/* Maps the arena into *out if some entry of img lends; 0 or -errno. */
/*
 * The runtime's view once started, else NULL (flexos__runtime starts it).
 * Weak: the heap's unit tests link the heap without the runtime.
 */
const struct flexos_runtime *flexos__runtime_if_started(void) __attribute__((weak));

int flexos__lend_arena_create(const struct flexos_image *img, struct flexos_region *out);

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
 * Code of compartment code runs as compartment running, with no gate
 * between: finds, on this thread's stack, the outermost of code's frames
 * (in *callee: a return address inside the function called through a
 * pointer) and running's frame that called it (*caller). Returns 1 if both
 * were found.
 */
int flexos__pointer_call(int code, int running, uintptr_t *callee, uintptr_t *caller);

/*
 * src/harden/trap.c (libflexos-harden.a): if the SIGSEGV whose ucontext is
 * uc is the trap of a newlib compartment's hardening runtime, reports the
 * bug and ends as flexos__harden_report does; otherwise returns. Each
 * backend's SIGSEGV handler calls it first. Weak: NULL unless flexos-link
 * linked the runtime for a hardened newlib compartment.
 */
void flexos__harden_trap(const void *uc) __attribute__((weak));

/* The executable segment of an object loaded at start-up that holds pc (symbols.c), or NULL. */
const struct flexos__code_segment *flexos__code_segment(uintptr_t pc);

/*
 * Prints "flexos: " and the message to stderr without allocating (safe in
 * signal handlers and before the heaps exist), then exits or aborts.
 */
void flexos__say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * Writes a fault report's text to standard error, waiting a bounded time
 * for room (say.c): a report never blocks for ever.
 */
void flexos__report_write(const char *buf, size_t n);
noreturn void flexos__die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
noreturn void flexos__abort(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * snprintf and vsnprintf without the C library (format.c), for every
 * message of the runtime and the backends: some are written with more
 * rights than the compartment that got there, where a call into glibc's
 * printf would go through its writable .got.plt (docs/threat-model.md,
 * limit 1). Returns the characters written (what fits, NUL excluded).
 */
int flexos__format(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int flexos__vformat(char *buf, size_t size, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
/* strerror's text in the C locale, from glibc's read-only table: no call through a GOT. */
const char *flexos__strerror(int err);

#endif
