/*
 * FlexOS for Linux: the backend contract.
 *
 * This header should only be used by backend implementations, by the
 * runtime and by the code that flexos-link generates. Applications use
 * <flexos/flexos.h>.
 *
 * A backend is one archive (libflexos-<name>.a) built from one directory
 * under backends/. Every backend archive defines the same symbols:
 *
 *   flexos__backend       the descriptor below;
 *   flexos__backend_gate  the entry of every generated gate stub;
 *   flexos__backend_gate_shared_stacks  the same for images with shared
 *                         stacks (stack: shared);
 *   flexos__backend_gate_newlib  the same for images with a compartment
 *                         that has libc: newlib (it may run without key 0);
 *   flexos__backend_gate_int  flexos__backend_gate for calls with integer
 *                         registers only.
 *
 * flexos-link writes an image descriptor (struct flexos_image) into each
 * image; it points at flexos__backend, which is how the backend archive is
 * pulled into the link. The runtime (libflexos.a) reads the descriptor
 * before main, creates the heaps and hands everything to the backend.
 */
#ifndef FLEXOS_BACKEND_H
#define FLEXOS_BACKEND_H

#include <flexos/image.h>

/* The gate contract's %r10 (see flexos__backend_gate below). */
#define FLEXOS_GATE_ID_MASK 0xff
#define FLEXOS_GATE_STACK_SHIFT 8 /* bytes of stack arguments / 8 */
#define FLEXOS_GATE_SRET_SHIFT 16 /* size of the sret result / 8 */
#define FLEXOS_GATE_FIELD_MASK 0xff
/* What the call carries in memory: a call with none takes the gates' fast path. */
#define FLEXOS_GATE_CARRY_BITS 0xffff00
/*
 * Bits 32..63: the callee's index in flexos__image.entries, which a
 * backend may use instead of %r11 (the intel-mpk gate does: it enters a
 * compartment only at an entry of the read-only table).
 */
#define FLEXOS_GATE_ENTRY_SHIFT 32
/* The entry index of the runtime's own crossing (flexos__call_in): a compartment's fini. */
#define FLEXOS_GATE_ENTRY_RUNTIME 0xffffffff
/* The most bytes of stack arguments, and of an sret result, a gate carries. */
#define FLEXOS_GATE_MAX_CARRY 512

#ifndef __ASSEMBLER__

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Kinds of flexos_shlib_region. Only the data is the compartment's: the
 * read-only segments and RELRO hold the symbol tables and .dynamic that the
 * dynamic loader reads on behalf of every compartment.
 */
#define FLEXOS_SHLIB_TEXT 0 /* code: it says which compartment runs */
#define FLEXOS_SHLIB_DATA 1 /* .data, .bss, .got.plt: to protect, read/write */

/* A page-aligned range of a loaded shared library of a compartment. */
struct flexos_shlib_region {
	struct flexos_region range;
	uint32_t compartment;
	uint32_t kind; /* FLEXOS_SHLIB_* */
};

/* The most such ranges in an image (two per library, usually). */
#define FLEXOS_MAX_SHLIB_REGIONS 64

/*
 * What the runtime hands a backend: the image, and the memory it created.
 * heaps[id] is compartment id's heap; shared_heap is reachable from all.
 */
struct flexos_runtime {
	const struct flexos_image *image;
	struct flexos_region heaps[FLEXOS_MAX_COMPARTMENTS];
	struct flexos_region shared_heap;
	/* The loaded shared libraries that compartments claim, by segment. */
	uint32_t nshlib_regions;
	struct flexos_shlib_region shlib_regions[FLEXOS_MAX_SHLIB_REGIONS];
	/* Where lent copies of pointer arguments live (empty if the image lends none). */
	struct flexos_region lend_arena;
};

struct flexos_backend {
	/*
	 * FLEXOS_MECH_*: its name and compartment limit are in the
	 * mechanism table (<flexos/image.h>).
	 */
	uint32_t mechanism;

	/*
	 * Called once before main, after the heaps exist. Returns 0, or -errno
	 * after printing why the image cannot run; the runtime then exits with
	 * status FLEXOS_EXIT_SETUP. A backend must never fall back to running
	 * unprotected.
	 */
	int (*init)(const struct flexos_runtime *rt);

	/*
	 * Runs main(argc, argv, envp) in the default compartment and returns
	 * its status. NULL means: call it directly.
	 */
	int (*run_main)(int (*main_fn)(int, char **, char **), int argc, char **argv,
			char **envp);

	/* The id of the compartment this thread is running in. */
	int (*current)(void);

	/*
	 * User-level threads (the scheduler, src/sched/) run many threads on
	 * one OS thread. A backend that keeps per-thread state in TLS (which
	 * compartment runs, its stack in each compartment) describes it here
	 * so that each user-level thread has its own. All zero / NULL: the
	 * backend keeps none (none, process).
	 *
	 * thread_state_size: bytes of state per user-level thread (the
	 *   scheduler aligns it to 16 bytes).
	 * thread_init(state, stack, size, sp, frame): prepares the state of a
	 *   new thread that will start in the calling thread's compartment,
	 *   on the stack [stack, stack + size) the scheduler mapped, whose
	 *   first frame (see thread_resume) is at *sp, from there to the
	 *   stack's end, with a copy of those bytes at frame, in the calling
	 *   thread's own memory (its stack); returns 0 or -errno, -EEXIST
	 *   where state is still that of a thread the backend has not seen
	 *   released (the scheduler's memory handed it out twice: forged). A
	 *   backend may start the thread on a stack of its own instead: it
	 *   copies the frame there from frame, never from the mapped stack,
	 *   which other compartments may write meanwhile, and sets *sp to the
	 *   copy (the scheduler's stack is then never run on).
	 * thread_switch(save_to, load_from): stores this OS thread's state in
	 *   save_to and makes load_from current. Called on the running thread's
	 *   stack, between saving its registers and loading the other's; it
	 *   must not change rights (thread_resume does). save_to may equal
	 *   load_from.
	 * thread_resume(load_sp, load_from): optional; where set, the switch
	 *   ends here instead of loading load_sp itself: entered by a jump
	 *   (after thread_switch) on the running thread's stack, with %rsp at
	 *   its switch frame (from %rsp up: x87 control word (2 bytes), MXCSR
	 *   at 4, r15, r14, r13, r12, rbx, rbp, the return address), it saves
	 *   the running thread and resumes load_from, which the scheduler
	 *   suspended at load_sp, popping that frame. Never returns. A backend
	 *   whose switch changes rights uses it to take the next thread's stack
	 *   pointer and rights from records of its own, which the scheduler's
	 *   memory (load_sp, load_from) can only name, not change.
	 * thread_exit(state, retval): optional; the running thread (state)
	 *   ends with retval, called by the thread itself before its last
	 *   switch; 0, or -errno
	 *   where it may not end here (the scheduler then ends the process
	 *   with the reason). A backend frees a thread's state in thread_fini
	 *   only once the thread said so here, so that no other thread can
	 *   free the state of one that is only suspended.
	 * thread_result(state, retval): optional (with thread_exit); 0 and
	 *   the retval the thread state gave thread_exit if it has ended (1
	 *   and the retval if thread_detach marked it too), -ESRCH if not,
	 *   -EPERM if another compartment than the calling one made it. A
	 *   backend whose compartments share the scheduler's memory keeps
	 *   these where no compartment can change them, so that a join
	 *   neither returns a forged result nor frees a thread that has not
	 *   ended, and a thread nobody detached is released only by its join.
	 *   NULL: the scheduler's own record of them.
	 * thread_detach(state): optional (with thread_result); marks the
	 *   thread detached, for the calling compartment, which made it: 0,
	 *   -ESRCH, or -EPERM (another compartment's thread). NULL: the
	 *   scheduler's own mark decides which ended threads it releases
	 *   without a join.
	 * thread_fini(state): releases what the backend allocated for a
	 *   thread that has ended (its stacks in other compartments). Never
	 *   called for the OS thread's own context.
	 * thread_first(state): optional, with thread_running (a backend sets
	 *   both or neither: without it the OS thread's own context is never
	 *   known to run); the state of the OS thread's own context (the
	 *   scheduler's first thread), told once, when the OS thread's
	 *   scheduler is made: 0, -EEXIST if this OS thread's context already
	 *   has another state (or another thread has state), -ENXIO before
	 *   the backend's start-up.
	 * thread_running(state): optional, with thread_first; 1 if state is the thread that runs
	 *   on this OS thread (as the backend's records say: the thread its
	 *   last thread_resume resumed, or the OS thread's own context), 0 if
	 *   not. A backend whose compartments share the scheduler's memory
	 *   answers from memory no compartment can change, so that the
	 *   scheduler never acts, or saves the registers, for another thread
	 *   than the running one (its current thread changed in its memory).
	 */
	size_t thread_state_size;
	int (*thread_init)(void *state, void *stack, size_t size, void **sp, const void *frame);
	void (*thread_switch)(void *save_to, const void *load_from);
	void (*thread_resume)(void *load_sp, const void *load_from);
	int (*thread_exit)(void *state, void *retval);
	int (*thread_result)(const void *state, void **retval);
	int (*thread_detach)(void *state);
	void (*thread_fini)(void *state);
	int (*thread_first)(const void *state);
	int (*thread_running)(const void *state);

	/*
	 * Callbacks the scheduler runs later (timers, descriptor watches), on
	 * whichever thread runs its loop. A backend whose compartments share
	 * the scheduler's memory keeps them where no compartment can change
	 * them, bound to the compartment that registered them. All NULL: the
	 * scheduler keeps fn and arg itself (none, process).
	 *
	 * callback_bind(fn, arg, obj): records fn and arg for the calling
	 *   compartment and the scheduler's object obj (the timer or watch
	 *   that names the record); returns a handle (> 0) or -errno.
	 * callback_take(handle, obj, fn, arg): the record's fn and arg, if the
	 *   calling compartment bound it for obj; -EPERM otherwise (another
	 *   compartment's, another object's, or no record: handle 0 too).
	 * callback_unbind(handle): the record is free again, if the calling
	 *   compartment bound it.
	 */
	int (*callback_bind)(void (*fn)(void), void *arg, const void *obj);
	int (*callback_take)(int handle, const void *obj, void (**fn)(void), void **arg);
	void (*callback_unbind)(int handle);

	/*
	 * flexos__backend_gate_newlib: referring to it from here pulls the
	 * gate into every link, for the runtime's own crossings
	 * (flexos__call_in), whatever the order of the archives.
	 */
	void (*gate_newlib)(void);
};

/* Exit status of an image whose backend could not set up compartments. */
#define FLEXOS_EXIT_SETUP 125
/*
 * Exit status of an image stopped by a fault report (an access across
 * compartments, or a crash of a compartment with on_crash: abort). Not 124,
 * which timeout(1) uses.
 */
#define FLEXOS_EXIT_FAULT 123

/* Defined by every backend archive. */
extern const struct flexos_backend flexos__backend;

/*
 * The entry of every gate stub flexos-link generates for a call that
 * crosses compartments. On entry every register and stack slot of the
 * System V x86-64 calling convention holds what the callee must receive:
 * the integer arguments in rdi, rsi, rdx, rcx, r8, r9, %al the number of
 * vector registers a variadic call uses (all of %rax is carried), xmm0-7
 * the floating arguments (all 128 bits), and the stack as at a call: the
 * caller's return address at (%rsp), then its stack arguments. Besides:
 *
 *   %r11  the callee's address;
 *   %r10  the callee's compartment id in bits 0..7, and what the call
 *         passes in memory (FLEXOS_GATE_*):
 *           bits 8..15   bytes of stack arguments / 8, copied from
 *                        8(%rsp) to where the callee finds them;
 *           bits 16..23  the size / 8 of a struct result returned through
 *                        the hidden pointer in %rdi (sret), 0 if none;
 *           bits 32..63  the callee's index in the image's read-only
 *                        table of entries (flexos__image.entries), whose
 *                        fn is %r11 and whose compartment is bits 0..7.
 *         A call with register arguments only has bits 8..31 clear: the
 *         gates' fast path.
 *
 * The gate returns to the stub's caller what the callee returned: rax:rdx,
 * xmm0:xmm1 and st(0) (long double; st(1) too for a complex one); with
 * sret, the result written to the caller's pointer (the callee writes into
 * a buffer of its own side, the gate copies it back) and that pointer in
 * %rax. The callee-saved registers (rbx, rbp, r12-r15, the x87 and MXCSR
 * control words) are preserved. At most FLEXOS_GATE_MAX_CARRY bytes of
 * each kind cross; a larger call is refused by flexos-link.
 */
void flexos__backend_gate(void);

/*
 * flexos__backend_gate for a call whose prototype flexos-link knows to
 * pass integer registers only and return in rax:rdx only (nothing on the
 * stack, no sret, no vector or x87 register, no variadic %al): a backend
 * may carry just those (the process backend's lean path). flexos-link
 * uses it only where it would use flexos__backend_gate; a backend with
 * nothing to save makes it an alias of flexos__backend_gate.
 */
void flexos__backend_gate_int(void);

/*
 * The entry of the gate stubs of an image whose compartments all say
 * 'stack: shared' (the stack mode is per image). Same register contract as
 * flexos__backend_gate, but the callee runs on the caller's stack, so the
 * caller may hand it pointers to its stack variables; every stack of the
 * image is then reachable from every compartment. A backend without stack
 * switching makes it an alias of flexos__backend_gate.
 */
void flexos__backend_gate_shared_stacks(void);

/*
 * The entry of the gate stubs of an image with a compartment that has
 * 'libc: newlib' (private stacks only). Same register contract as
 * flexos__backend_gate; the caller or the callee may run without access to
 * the process's memory (key 0 under MPK), so the gate must not touch it
 * while either's protection is in force. A backend where that cannot
 * happen makes it an alias of flexos__backend_gate.
 */
void flexos__backend_gate_newlib(void);

/*
 * Calls fn() in compartment id through flexos__backend_gate_newlib, or
 * flexos__backend_gate_shared_stacks in an image with shared stacks (the
 * runtime's own crossing: what each compartment runs at exit, its
 * newlib's flush or its shared libraries' destructors). A backend's gate
 * that names crossings by entry accepts the entry index
 * FLEXOS_GATE_ENTRY_RUNTIME and takes the function from what the runtime
 * said before any compartment ran (flexos__fini_of), never from %r11.
 */
void flexos__call_in(uint32_t id, void (*fn)(void));

/* The runtime's view: valid after start-up. */
const struct flexos_runtime *flexos__runtime(void);

#ifdef __cplusplus
}
#endif

#endif /* __ASSEMBLER__ */
#endif /* FLEXOS_BACKEND_H */
