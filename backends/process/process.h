/*
 * This file is private to the process backend (libflexos-process.a).
 *
 * Every non-default compartment runs in a process of its own, forked from
 * one image, so code and data sit at the same addresses everywhere. What
 * the processes share is mapped MAP_SHARED before they are forked: the
 * image's shared section, the shared heap and the control block below,
 * which holds the RPC channels and the supervisor's view of each process.
 */
#ifndef FLEXOS_PROCESS_H
#define FLEXOS_PROCESS_H

#include <flexos/backend.h>

/*
 * Offsets in struct flexos__gate_frame (gate.S builds it on the caller's
 * stack) and struct flexos__proc_results (the trampoline fills it): the
 * static assertions below check them against the C structures.
 */
#define PROC_R_GPR      0  /* rdi, rsi, rdx, rcx, r8, r9 */
#define PROC_R_RAX      48 /* %al: vector registers of a variadic call */
#define PROC_R_XMM      64 /* xmm0-7, 16 bytes each */
#define PROC_REGS_SIZE  192
#define PROC_RES_RAX    0
#define PROC_RES_RDX    8
#define PROC_RES_XMM    16 /* xmm0, xmm1 */
#define PROC_RES_X87    48 /* st(0), st(1) as stored by fstpt, 16 bytes each */
#define PROC_RES_NX87   80 /* how many of them the callee left on the x87 stack */
#define PROC_RES_SIZE   96
#define PROC_FRAME_SIZE (PROC_REGS_SIZE + PROC_RES_SIZE)

#ifndef __ASSEMBLER__

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* The argument registers of a call, as the System V convention fills them. */
struct flexos__proc_regs {
	long gpr[6];
	long rax;
	long reserved;
	unsigned char xmm[8][16] __attribute__((aligned(16)));
};

/* What a call returns in registers. */
struct flexos__proc_results {
	long rax, rdx;
	unsigned char xmm[2][16] __attribute__((aligned(16)));
	unsigned char x87[2][16];
	uint32_t nx87;
	uint32_t reserved[3];
};

/* What gate.S hands flexos__proc_gate: the caller's registers, room for the results. */
struct flexos__gate_frame {
	struct flexos__proc_regs regs;
	struct flexos__proc_results res;
};

_Static_assert(offsetof(struct flexos__proc_regs, rax) == PROC_R_RAX, "gate.S layout");
_Static_assert(offsetof(struct flexos__proc_regs, xmm) == PROC_R_XMM, "gate.S layout");
_Static_assert(sizeof(struct flexos__proc_regs) == PROC_REGS_SIZE, "gate.S layout");
_Static_assert(offsetof(struct flexos__proc_results, rdx) == PROC_RES_RDX, "gate.S layout");
_Static_assert(offsetof(struct flexos__proc_results, xmm) == PROC_RES_XMM, "gate.S layout");
_Static_assert(offsetof(struct flexos__proc_results, x87) == PROC_RES_X87, "gate.S layout");
_Static_assert(offsetof(struct flexos__proc_results, nx87) == PROC_RES_NX87, "gate.S layout");
_Static_assert(sizeof(struct flexos__proc_results) == PROC_RES_SIZE, "gate.S layout");
_Static_assert(offsetof(struct flexos__gate_frame, res) == PROC_REGS_SIZE, "gate.S layout");

/* Call chains ("logical threads") the control block has room for. */
#define FLEXOS__PROC_MAX_LT 256

/* Words of a lane: what waits there for the thread of that compartment. */
#define LANE_IDLE 0u
#define LANE_REQ 1u  /* a call into this compartment */
#define LANE_RET 2u  /* the return of this compartment's outstanding call */
#define LANE_POKE 3u /* the supervisor changed something: look again */
#define LANE_EXIT 4u /* the server thread must end: its chain ended */

/*
 * One compartment's mailbox in one call chain. A chain runs in one place
 * at a time, so each compartment has at most one message pending in it:
 * a request, or the return of the call it made. The request's integer
 * arguments share the first cache line with the word the waiter polls.
 */
struct flexos__lane {
	uint32_t word;     /* LANE_*; the futex */
	uint32_t sleeping; /* the waiter is (about to be) in futex_wait */
	int32_t from;      /* LANE_REQ: the caller's compartment */
	uint32_t from_gen; /* LANE_REQ: generation of that compartment's process */
	/* LANE_REQ: the callee, by its index in the image's read-only entry table. */
	uint32_t entry;
	/*
	 * The chain's crossing this message belongs to: LANE_REQ, the new
	 * call's (one more than the gate calls then in progress on the
	 * chain); LANE_RET, the call's that returns. A waiter sees from it
	 * whether a jump elsewhere abandoned the frames it waits in.
	 */
	uint32_t depth;
	uint32_t int_only;               /* LANE_REQ: integer registers in, rax:rdx out */
	uint32_t stack_bytes;            /* LANE_REQ: bytes of stack arguments in mem */
	uint32_t sret_bytes;             /* LANE_REQ: size of the sret result, returned in mem */
	struct flexos__proc_regs regs;   /* LANE_REQ (only gpr when int_only) */
	struct flexos__proc_results res; /* LANE_RET */
	/* LANE_REQ: the stack arguments; LANE_RET: the sret result. */
	unsigned char mem[FLEXOS_GATE_MAX_CARRY] __attribute__((aligned(16)));
} __attribute__((aligned(64)));

/* Server-thread states of a chain in a compartment. */
#define SRV_NONE 0u
#define SRV_WANTED 1u
#define SRV_RUNNING 2u

struct flexos__chain {
	uint32_t used;   /* 0 free, 1 in use, 2 draining */
	int32_t origin;  /* the compartment of the thread that started it */
	uint32_t server[FLEXOS_MAX_COMPARTMENTS];
};

/* Values of control.end: why the image is ending. */
#define END_NONE 0u
#define END_EXIT 1u  /* a compartment called exit: exit_status */
#define END_FAULT 2u /* a compartment crashed without on_crash: restart */

struct flexos__comp_state {
	int32_t pid;
	uint32_t gen;       /* bumped every time its process dies */
	uint32_t spawn_seq; /* futex of its dispatcher */
	uint32_t restarts;
	/* Written by its fault handler just before it dies. */
	int32_t fault_sig;
	int32_t fault_code;
	uintptr_t fault_addr;
	uintptr_t fault_pc;
	int32_t fault_tid;
	/* SIGSYS from the system-call policy: the call and its arguments. */
	int32_t fault_syscall;
	uint64_t fault_args[6];
	int32_t exit_status; /* the supervisor's view of the last death */
	int32_t stopped_sig; /* it was killed for being stopped by this signal */
};

struct flexos__control {
	int32_t main_pid;
	int32_t zygote_pid;
	uint32_t end; /* END_* */
	int32_t exit_status;
	int32_t fault_comp;
	int32_t fault_status; /* the wait status of the crashed process */
	uint32_t shutdown;    /* main is exiting: deaths are expected */
	uint32_t ncomp;
	/*
	 * An image made by fork() (fork.c): no supervisor; each process's
	 * dispatcher holds its robust mutex alive[] for as long as the
	 * process lives, and ready[] says it does.
	 */
	uint32_t forked;
	uint32_t abandoned; /* the fork() failed: the compartments made for it end */
	uint32_t ready[FLEXOS_MAX_COMPARTMENTS];
	pthread_mutex_t alive[FLEXOS_MAX_COMPARTMENTS];
	/* Waiters spinning now, in all processes; a cache line of its own. */
	uint32_t spinners __attribute__((aligned(64)));
	struct flexos__comp_state comp[FLEXOS_MAX_COMPARTMENTS] __attribute__((aligned(64)));
	struct flexos__chain chains[FLEXOS__PROC_MAX_LT];
	/* Followed by FLEXOS__PROC_MAX_LT * ncomp lanes. */
};

/* Set once in init; read everywhere. */
extern struct flexos__control *flexos__proc_ctl;
extern struct flexos__lane *flexos__proc_lanes;
/* The compartment of this process; gate.S reads it. */
extern int flexos__proc_self;

/*
 * The gate state of this thread (jump.c keeps it, channel.c pushes and
 * pops it): its gate calls waiting for a return and the requests it
 * serves, nested, innermost last, each with the chain's crossing it
 * belongs to. A longjmp (jump.c) cuts it back to its setjmp's level; a
 * waiter that receives a message for an outer crossing resumes at the
 * wait the message belongs to (ctx), abandoning the frames above.
 */
#define FLEXOS__PROC_LEVELS 128
struct flexos__proc_level {
	uint32_t depth;    /* the chain's crossing: lane depth */
	uint8_t serve;     /* 1: serving its request; 0: waiting for its return */
	uint8_t peer;      /* the caller (serve) or the callee (wait) */
	uint8_t resumable; /* a wait that serves a nested request: ctx is live */
	uint8_t checkpoint; /* a wait that saved its callee's memory (checkpoint.c) */
	uint64_t serial; /* unique in this thread: a setjmp's level is still live */
	void *ctx[5];    /* __builtin_setjmp's buffer */
};
struct flexos__proc_calls {
	unsigned n;      /* levels in progress */
	int has_base;    /* a server thread: base is its loop's place */
	uint64_t serial; /* the last level's */
	void *base[5];
	struct flexos__proc_level lv[FLEXOS__PROC_LEVELS];
};
extern __thread struct flexos__proc_calls flexos__proc_calls;
void flexos__proc_cut_levels(unsigned to);
/* 0 until a compartment's first thread has revoked main's stack. */
extern uint32_t flexos__proc_stack_revoked;
/* Nonzero once the compartment processes exist. */
extern int flexos__proc_started;

/*
 * The number of compartments, from the read-only image: the copy in the
 * shared control block is any compartment's to overwrite.
 */
extern uint32_t flexos__proc_ncomp;

static inline struct flexos__lane *flexos__lane_of(unsigned chain, unsigned comp)
{
	return &flexos__proc_lanes[chain * flexos__proc_ncomp + comp];
}

/*
 * The C half of flexos__backend_gate: carries the call described by the
 * caller's registers (f->regs), the stub's %r10 (<flexos/backend.h>) and
 * the caller's stack arguments to fn in compartment r10 & 0xff, and
 * leaves what it returned in f->res.
 */
void flexos__proc_gate(struct flexos__gate_frame *f, uintptr_t fn, uint64_t r10,
		       const void *stack_args);

/* rax:rdx, as a function returns a pair of integers. */
struct flexos__proc_pair {
	long rax, rdx;
};

/*
 * The C half of flexos__backend_gate_int: a call with the six integer
 * argument registers args and a result in rax:rdx only.
 */
struct flexos__proc_pair flexos__proc_gate_int(const long *args, uintptr_t fn, uint32_t callee);

/*
 * gate.S: calls fn with the registers r, the nbytes (a multiple of 8) at
 * stack as its stack arguments, and stores everything it returns in res.
 */
void flexos__proc_call(uintptr_t fn, const struct flexos__proc_regs *r, const void *stack,
		       size_t nbytes, struct flexos__proc_results *res);

/*
 * policy.c: confines the calling process, compartment id's, for good:
 * non-dumpable, no capabilities, no new privileges, and its system-call
 * filter. Returns 0 or -errno.
 */
int flexos__proc_confine(int id);

/*
 * The gate targets of the image (flexos__image.entries) by address, for
 * the caller's side of a gate: prepared before the compartments are
 * forked. entry_init returns 0 or -errno; entry_of returns the index of
 * fn, an entry of compartment callee, or -1.
 */
int flexos__proc_entry_init(const struct flexos_image *img);
int32_t flexos__proc_entry_of(uintptr_t fn, uint32_t callee);

/*
 * Ends the image with status, as if a compartment had called exit: used
 * by a server that refuses a forged request, after its report.
 */
void flexos__proc_end_image(int status);

/* Server side: runs a compartment's dispatcher loop in this thread (never returns). */
void flexos__proc_dispatch(void) __attribute__((__noreturn__));
/* Starts the dispatcher of this process in a thread of its own. */
int flexos__proc_start_dispatcher(void);
/*
 * Holds off the starts and ends of this process's threads (and waits
 * for those ending to be gone), for a clone of the process; release
 * after it, in the parent and (in_copy set) in the copy.
 */
void flexos__proc_threads_hold(void);
void flexos__proc_threads_release(int in_copy);

/* Ends this process as the image's end (control.end) requires. */
void flexos__proc_handle_end(void) __attribute__((__noreturn__));

/* A stack for a server thread from this compartment's private area; NULL if none left. */
void *flexos__proc_stack(size_t *size);

/* In a compartment process, makes this thread die with the supervisor. */
void flexos__proc_thread_init(void);

/*
 * For a fault report in a compartment: which compartment called this
 * thread's compartment through which entry, and so on back to the
 * thread that started the call chain, as the chain's lanes say. A line
 * each, to stderr. Async-signal-safe.
 */
void flexos__proc_out_callers(void);

/*
 * In main's process (its dispatcher, every FLEXOS__PROC_WATCH_MS): ends
 * the image with a report if the supervisor died, or stays stopped.
 */
#define FLEXOS__PROC_WATCH_MS 250
void flexos__proc_watch(void);

/*
 * fork() of an image (fork.c). fork_init, in init: reserves the memory the
 * images forked later use (0, or -errno: fork then gives children without
 * compartments). fork_register, in main once the compartments exist: the
 * pthread_atfork handlers. fork_serve: a compartment's side of a fork
 * request (entry FLEXOS__PROC_ENTRY_FORK): forks this process into the
 * image of fork slot `slot`; returns the child's pid or -errno.
 */
#define FLEXOS__PROC_ENTRY_FORK ((uint32_t)INT32_MAX - 1)
int flexos__proc_fork_init(const struct flexos_runtime *rt);
void flexos__proc_fork_register(void);
long flexos__proc_fork_serve(long slot);
/* Nonzero in the processes of a forked image (none of them has a supervisor). */
extern int flexos__proc_forked;
/* Nonzero in a child fork() could not give compartments. */
extern int flexos__proc_fork_orphan;
/* A forked image: the watch of main's dispatcher, and main's end. */
void flexos__proc_fork_watch(void);
void flexos__proc_fork_shutdown(void);
/* Main's dispatcher and a compartment's: holds this process's alive[] mutex. */
void flexos__proc_fork_alive(void);
/* channel.c: the fork request to callee; its pid or -errno. */
long flexos__proc_request_fork(uint32_t callee, long slot);
/* channel.c: this thread's chain belongs to the image it was forked from. */
void flexos__proc_forget_chain(void);
/* process.c: the supervisor's pid in main (0: none) and main's stack range. */
void flexos__proc_forked_main(void);
void flexos__proc_poke_all(void);

/*
 * checkpoint.c: the sandboxes' checkpoints (FLEXOS_ENTRY_CHECKPOINT).
 * init, before the supervisor is forked: reserves them (0 or -errno).
 * keep, in each process once it knows its compartment: unmaps those of
 * sandboxes it does not host. begin, on the caller's side of a gate
 * before it posts the request: saves the callee's memory if the entry
 * asks for it and this is the outermost such call of this thread; returns
 * whether end must follow the call. restore, in the supervisor when c
 * died: puts back a saved state; returns whether there was one.
 */
int flexos__proc_checkpoint_init(const struct flexos_runtime *rt);
void flexos__proc_checkpoint_keep(int self);
int flexos__proc_checkpoint_begin(uint32_t callee, uint32_t entry_flags);
void flexos__proc_checkpoint_end(uint32_t callee);
int flexos__proc_checkpoint_restore(int c);

/* Futex helpers on shared (not process-private) memory. */
void flexos__futex_wait(uint32_t *word, uint32_t val, long timeout_ms);
void flexos__futex_wake(uint32_t *word, int n);

/* Pointer checks (FLEXOS_CHECK_POINTERS=1). */
extern int flexos__proc_check_pointers;
/*
 * Checks the integer arguments args[first..5] (1 skips an sret pointer)
 * that may be data pointers: those the entry's flags mark when flexos-link
 * knew fn's prototype (FLEXOS_ENTRY_PROTO), else all of them.
 */
void flexos__proc_check_args(const long *args, int first, uintptr_t fn, uint32_t callee,
			     uint32_t entry_flags);

/* Spin iterations before a waiter sleeps (FLEXOS_SPIN). */
extern unsigned flexos__proc_spin;
/* Online CPUs: at most this many waiters spin at once. */
extern unsigned flexos__proc_ncpu;

#endif /* __ASSEMBLER__ */
#endif
