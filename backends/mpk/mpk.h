/*
 * This file is private to the intel-mpk backend (backends/mpk/). It is
 * included by C and by gate.S: the offsets below are the layout the gate
 * relies on, checked against the C structures with static assertions.
 */
#ifndef FLEXOS_MPK_H
#define FLEXOS_MPK_H

/*
 * Compartment ids index 16-entry tables; the gate masks every id with
 * MPK_SLOTS - 1 after each WRPKRU instead of bounds-checking it, so an
 * id forged by a caller can only name a table entry, never memory beyond.
 */
#define MPK_SLOTS 16

/* PKRU allowing key 0 only (access and write disabled for keys 1..15). */
#define MPK_PKRU_KEY0_ONLY 0xfffffffcu

/* Offsets in struct mpk_thread (thread-local, key 0). */
#define MPK_T_CUR         0                                  /* uint64: running compartment */
#define MPK_T_SP          8                                  /* uint64[16]: suspended stacks */
#define MPK_T_PKRU        (MPK_T_SP + 8 * MPK_SLOTS)         /* uint32[16]: PKRU per compartment */
#define MPK_T_READY       (MPK_T_PKRU + 4 * MPK_SLOTS)       /* uint64: initialised */
#define MPK_T_ALTSTACK    (MPK_T_READY + 8 + 16 * MPK_SLOTS) /* key-0 signal stack */
#define MPK_ALTSTACK_SIZE (64 * 1024)
#define MPK_T_CARRY       (MPK_T_ALTSTACK + 8) /* the carry page */

/*
 * The carry page of a thread: where a gate copies stack arguments and an
 * sret result between two compartments that cannot read each other's
 * stacks. It has the key of the signal stack (reachable from every
 * compartment) and holds any size %r10 can encode (255 eightbytes).
 */
#define MPK_CARRY_SIZE 4096

/*
 * Bytes left unused above the first frame of every stack the backend
 * makes: a gate may copy a conservative window of stack arguments
 * (flexos-link's, for callees without a prototype) from above its
 * caller's frame, which must stay mapped.
 */
#define MPK_STACK_HEADROOM 128

/* Stack of each compartment for each thread (main's default stack: 8 MiB). */
#define MPK_STACK_SIZE      (1024 * 1024)
#define MPK_MAIN_STACK_SIZE (8 * 1024 * 1024)

#ifndef __ASSEMBLER__

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>

#include <flexos/backend.h>

/*
 * The state of one thread. sp[c] is where compartment c's stack of this
 * thread continues when a gate enters c: its stack pointer at its last
 * gate exit while it is suspended, its stack's top when it is not on the
 * call chain, 0 when this thread has no stack in c yet. pkru[] is a copy
 * of flexos__mpk_pkru: the gate loads from here and checks against the
 * read-only original after WRPKRU.
 *
 * It lives in TLS, key 0: every compartment can write it (see
 * docs/threat-model.md).
 */
struct mpk_thread {
	uint64_t cur;
	uint64_t sp[MPK_SLOTS];
	uint32_t pkru[MPK_SLOTS];
	uint64_t ready;
	uintptr_t stack_lo[MPK_SLOTS]; /* mapping of each stack, for the fault report */
	uintptr_t stack_hi[MPK_SLOTS];
	void *altstack;
	void *carry; /* MPK_CARRY_SIZE bytes: see MPK_T_CARRY */
};

_Static_assert(offsetof(struct mpk_thread, cur) == MPK_T_CUR, "gate.S layout");
_Static_assert(offsetof(struct mpk_thread, sp) == MPK_T_SP, "gate.S layout");
_Static_assert(offsetof(struct mpk_thread, pkru) == MPK_T_PKRU, "gate.S layout");
_Static_assert(offsetof(struct mpk_thread, ready) == MPK_T_READY, "gate.S layout");
_Static_assert(offsetof(struct mpk_thread, altstack) == MPK_T_ALTSTACK, "gate.S layout");
_Static_assert(offsetof(struct mpk_thread, carry) == MPK_T_CARRY, "gate.S layout");
_Static_assert(MPK_CARRY_SIZE >= 8 * FLEXOS_GATE_FIELD_MASK, "gate.S: what %r10 can encode");

/*
 * The part of struct mpk_thread that belongs to a user-level thread of the
 * scheduler (backend.h: thread_state_size and friends): swapped in and out
 * of the TLS copy on every switch. pkru[], ready and altstack stay with
 * the OS thread.
 */
struct mpk_uthread {
	uint64_t cur;
	uint64_t sp[MPK_SLOTS];
	uintptr_t stack_lo[MPK_SLOTS];
	uintptr_t stack_hi[MPK_SLOTS];
	uint64_t home; /* the compartment of the stack the scheduler mapped */
};

extern __thread struct mpk_thread flexos__mpk_thread
    __attribute__((tls_model("local-exec"), visibility("hidden")));

/*
 * The PKRU value of each compartment, indexed by id; unused entries allow
 * key 0 only. It sits alone on a page that is read-only once init is done.
 */
extern uint32_t flexos__mpk_pkru[1024] __attribute__((visibility("hidden")));

/* The key of each compartment (0 for unused ids). */
extern int flexos__mpk_keys[MPK_SLOTS] __attribute__((visibility("hidden")));

/* Number of compartments of the image. */
extern uint32_t flexos__mpk_ncomp __attribute__((visibility("hidden")));

/*
 * Whether the image uses shared stacks (every compartment says 'stack:
 * shared'): then every stack is key 0, main and the scheduler's threads
 * stay on theirs and the gate switches PKRU only. Read from the image
 * descriptor, which is read-only, not from a variable a compartment could
 * overwrite.
 */
int flexos__mpk_shared_stacks(void);

/* Called by the gate when this thread has no stack in callee yet. */
void flexos__mpk_gate_slow(uint64_t callee);

/* Called by the gate when the PKRU value it wrote is not the expected one. */
noreturn void flexos__mpk_gate_violation(uint64_t written, uint64_t id);

/* Initialises the calling thread's state if needed. */
struct mpk_thread *flexos__mpk_self(void);

/*
 * gate.S: runs main_fn(argc, argv, envp) on the stack whose top is stack
 * (16-byte aligned) with the PKRU of compartment id; PKRU stays so.
 */
int flexos__mpk_run_on(int (*main_fn)(int, char **, char **), int argc, char **argv, char **envp,
		       void *stack, uint64_t id);

/* gate.S: writes the PKRU of compartment id (checked); returns nothing. */
void flexos__mpk_enter(uint64_t id);

/* gate.S: the current PKRU. */
uint32_t flexos__mpk_rdpkru(void);

/*
 * thread.c: the backend's user-level thread state (backend.h), and the
 * stacks ended threads left in compartment comp (0 if none), top first.
 */
int flexos__mpk_thread_init(void *state, void *stack, size_t size);
void flexos__mpk_thread_switch(void *save_to, const void *load_from);
void flexos__mpk_thread_fini(void *state);
uintptr_t flexos__mpk_spare_stack(uint64_t comp);

/* fault.c: installs the fault reporter; sigaltstack for the calling thread. */
/*
 * Images with newlib compartments: the key of what every compartment may
 * reach (the shared section and heap, the signal stacks, the read-only
 * PKRU table), since newlib compartments run with key 0 denied. 0 in
 * other images, where all of that is key 0.
 */
extern int flexos__mpk_shared_key __attribute__((visibility("hidden")));

int flexos__mpk_fault_init(const struct flexos_runtime *rt);

/* The fault report (fault.c), and its entry in images with newlib compartments (gate.S). */
void flexos__mpk_on_segv(int sig, siginfo_t *si, void *ctx);
void flexos__mpk_segv_entry(int sig, siginfo_t *si, void *ctx);
int flexos__mpk_altstack(struct mpk_thread *t);

/*
 * filter.c: the system-call filter, Landlock and mseal, installed once
 * start-up is over; for good. Returns 0 or -errno (after saying why).
 */
int flexos__mpk_filter_install(const struct flexos_runtime *rt);

/* mpk.c: the stacks made so far, as ranges (at most max); returns how many. */
struct flexos__range;
size_t flexos__mpk_stack_ranges(struct flexos__range *out, size_t max);

#endif /* __ASSEMBLER__ */
#endif /* FLEXOS_MPK_H */
