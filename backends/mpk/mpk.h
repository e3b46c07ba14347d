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
#define MPK_T_GP          0                                  /* this thread's gate page */
#define MPK_T_READY       8                                  /* uint64: initialised */
#define MPK_T_ALTSTACK    (MPK_T_READY + 8 + 16 * MPK_SLOTS) /* key-0 signal stack */
#define MPK_ALTSTACK_SIZE (64 * 1024)
#define MPK_ALT_TABLE_SIZE 32768 /* a power of two: MPK_GATE_PAGES entries exactly */
#define MPK_ALT_ENTRY      32 /* a stack_t padded to a power of two: the filter checks the alignment */
#define MPK_T_CARRY       (MPK_T_ALTSTACK + 8) /* the carry page */

/*
 * Offsets in struct mpk_gate_page: the gate's state of one thread, on a
 * page with the gate key, which every compartment's PKRU may read but not
 * write. The gate opens it for writing between two WRPKRUs of its own
 * (OPEN_GATE in gate.S), each checked against the read-only tables.
 */
#define MPK_G_CUR       0                          /* uint64: running compartment */
/*
 * uint64: gate calls in progress. Right after cur: a gate call's way in
 * and out sets both with one 16-byte store (gate.S: COMMIT_CALL), so that
 * a signal finds the page either before or after the call's switch.
 */
#define MPK_G_DEPTH         8
#define MPK_G_SP            16                         /* uint64[16]: suspended stacks */
#define MPK_G_OWNER     (MPK_G_SP + 8 * MPK_SLOTS) /* uint64: the thread's FS base, or tid */
#define MPK_G_UREC          (MPK_G_OWNER + 8)          /* uint64: the scheduler thread's record */
#define MPK_G_RSP       (MPK_G_UREC + 8)           /* uint64: a record's saved stack pointer */
#define MPK_G_FSBASE    (MPK_G_RSP + 8)            /* uint64: the FS base it was registered for */
#define MPK_G_SIGMARK   (MPK_G_FSBASE + 8)  /* uint64: a delivery in progress: its signal + 1 */
#define MPK_G_TID           (MPK_G_SIGMARK + 8) /* uint64: the bound thread's pid << 32 | tid */
#define MPK_G_CARRY         (MPK_G_TID + 8)     /* uint64: the thread's carry page */
#define MPK_G_ENDED         (MPK_G_CARRY + 8)   /* uint64: a record: MPK_ENDED, MPK_DETACHED */
#define MPK_ENDED           1                   /* its thread has ended */
#define MPK_DETACHED        2                   /* its thread was detached by its compartment */
#define MPK_NAMED           4 /* an own record: its look found no other naming its thread */
#define MPK_G_THREAD        (MPK_G_ENDED + 8)   /* uint64: a record: its thread's state */
#define MPK_G_RETVAL        (MPK_G_THREAD + 8)  /* uint64: a record: what its thread ended with */
#define MPK_G_HOME          (MPK_G_RETVAL + 8)  /* uint64: a record: the compartment that made it */
#define MPK_G_LOOK          (MPK_G_HOME + 8)    /* uint64: a gate page: a look in progress */
#define MPK_LOOK_BIT        63 /* urec_new's, in MPK_G_LOOK: frame << 16 | handle below */
#define MPK_LOOK_FIRST_BIT  62 /* urec_first's, in MPK_G_LOOK: nothing else */
#define MPK_G_IDS           (MPK_G_LOOK + 8) /* uint8[]: each one's caller */
#define MPK_G_SIGNAL_CALLER 0x80 /* in an id of MPK_G_IDS: the delivery stub (gate.S) */
/* With it: the stub called from the interrupted compartment's stack (bit 32 of MPK_G_SIGMARK). */
#define MPK_G_SIGNAL_OWN_STACK 0x40
/*
 * In an id of MPK_G_IDS: a call by the carry path (gate.S CARRY_PATH),
 * whose way back is the only one that takes it; the register path's way
 * back refuses it, and the carry path's refuses any other (limit 11).
 */
#define MPK_G_CARRY_CALLER 0x20
/* Each gate call: its caller's id (1 byte) and floating-point control (4 bytes). */
#define MPK_G_MAX_DEPTH ((4096 - MPK_G_IDS) / 5)
/*
 * uint32[]: each one's caller's MXCSR (low 16 bits) and x87 control word
 * (high 16), for the way back (gate.S PUSH_CALLER, POP_CALLER)
 */
#define MPK_G_FPCTL     (4096 - 4 * MPK_G_MAX_DEPTH)
#define MPK_MXCSR_FLAGS 0x3f /* the MXCSR's status bits: the callee's are kept */
/* Gate pages reserved at start-up (one a thread, never handed out twice to live threads). */
#define MPK_GATE_PAGES 1024

/*
 * The scheduler's switch records (limit 4 of docs/threat-model.md): the
 * gate state of each suspended user-level thread, with the stack pointer
 * it was suspended at, in the layout of a gate page, on pages with the
 * gate key after the gate pages: first one per gate page (the OS
 * thread's own context, handle 0), then MPK_UREC_MAX for the threads the
 * scheduler creates (handles 1..MPK_UREC_MAX). A record's owner is the
 * owner of the gate page of the OS thread whose scheduler has it (0:
 * free); its rsp is 0 unless the thread is suspended, and resuming it
 * clears it, so each suspension is resumed at most once. The gate page's
 * urec is the handle of the thread running.
 */
#define MPK_UREC_MAX   4096
#define MPK_UREC_PAGES (MPK_GATE_PAGES + MPK_UREC_MAX)
/*
 * The records' index (mpk_ro.threads): word h for the record of handle h
 * (1..MPK_UREC_MAX), then word MPK_THREADS_FIRST + i for the own record
 * of gate page i (the OS thread's own context: urec_first).
 */
#define MPK_THREADS_FIRST (MPK_UREC_MAX + 1)
#define MPK_THREADS_WORDS (MPK_THREADS_FIRST + MPK_GATE_PAGES)
/* Offsets in struct mpk_uthread (the scheduler's, key 0). */
#define MPK_U_REC 0 /* uint64: the thread's record */
#define MPK_U_CUR 8 /* uint64: a copy of the record's compartment */

/*
 * The carry page of a thread: where a gate copies stack arguments and an
 * sret result between two compartments that cannot read each other's
 * stacks. It has the gate key (every compartment reads it, only the
 * gate, with its page open, writes it) and holds any size %r10 can
 * encode (255 eightbytes).
 */
#define MPK_CARRY_SIZE 4096

/*
 * Bytes left unused above the first frame of every stack the backend
 * makes: a gate may copy a conservative window of stack arguments
 * (flexos-link's, for callees without a prototype) from above its
 * caller's frame, which must stay mapped.
 */
#define MPK_STACK_HEADROOM 128

/*
 * The report path (gate.S: .Lreport) that the SIGSEGV handler, a gate
 * whose PKRU check failed and a forged entry all end in. It never
 * returns, and it runs on one report stack of the process, tagged with a
 * key no compartment's PKRU opens (the gate key), found through the
 * read-only page below, never through memory a compartment can write.
 * Kinds (its %r12d):
 */
#define MPK_REPORT_FAULT      0 /* a signal delivered by the kernel */
#define MPK_REPORT_FORGED     1 /* the handler's entry called, not delivered */
#define MPK_REPORT_VIOLATION  2 /* a WRPKRU wrote what the table does not say */
#define MPK_REPORT_ENTRY      3 /* a gate asked for no entry of the compartment */
#define MPK_REPORT_GATE_PAGE  4 /* this thread's gate page is not its own, or overflows */
#define MPK_REPORT_SIGRETURN  5 /* a signal frame that would not restore its compartment's PKRU */
#define MPK_REPORT_SWITCH     6 /* the scheduler's switch to a thread whose record does not match */
#define MPK_REPORT_DELIVERY   7 /* the signal delivery stub found no gate page */
#define MPK_REPORT_SIGNAL     8 /* a handler's entry not from the delivery of a signal */
#define MPK_REPORT_CLONE      9 /* a thread made with another's FS base, or without one */
#define MPK_REPORT_SYSCALL \
	10 /* a system call the filter denies (images with newlib compartments) */
#define MPK_REPORT_START_MAIN 11 /* main's start reached again, not from start-up */
#define MPK_REPORT_LOOK       12 /* the page opened again after a look that was not made */
#define MPK_REPORT_WAY_BACK   13 /* a gate call's way back taken by another path's */
#define MPK_REPORT_STACK_SIZE (256 * 1024)
/* FLEXOS_EXIT_FAULT (<flexos/backend.h>), for gate.S. */
#define MPK_EXIT_FAULT 123

/*
 * What a kernel-delivered signal's PKRU looks like: access disabled for
 * every key but 0 (the kernel's default, 0x55555554; no compartment's
 * PKRU is so, each opens its own key). Tested on the AD bits only.
 */
#define MPK_PKRU_AD_ALL_BUT_0 0x55555554u

/* Offsets in struct mpk_ro (read-only once init is done). */
#define MPK_RO_PKRU     0  /* uint32: the report's PKRU */
#define MPK_RO_STACK    8  /* the report stack's top */
#define MPK_RO_LOCK     16 /* the report's lock word (gate key): the tid reporting */
#define MPK_RO_RESTORER 24 /* glibc's signal restorer (__restore_rt) */
#define MPK_RO_GP_LO    32 /* the gate pages' region */
#define MPK_RO_GP_HI    40
#define MPK_RO_FSGSBASE 48 /* uint32: RDFSBASE works (AT_HWCAP2) */
/* What flexos__mpk_sigreturn checks a signal frame with (gate.S). */
#define MPK_RO_SIGRET_PKRU 52 /* uint32: its PKRU (key 0, the gate key read-only) */
#define MPK_RO_PKRU_OFF    56 /* uint32: PKRU's offset in the XSAVE area */
#define MPK_RO_XSAVE_SIZE  60 /* uint32: the XSAVE area's size in the kernel's frames */
#define MPK_RO_KEY0_OK     64 /* uint32: a frame may return to key 0 only (no newlib compartments) */
#define MPK_RO_NONCE_PKRU  68 /* uint32: its PKRU with the nonce's page readable */
#define MPK_RO_NONCE       72 /* the nonce's page (0: no key was left for it) */
/* The scheduler's switch records (MPK_UREC_PAGES pages, gate key). */
#define MPK_RO_REC_LO 80
#define MPK_RO_REC_HI 88
#define MPK_RO_KEYS   96 /* int32_t[MPK_SLOTS]: each compartment's key */
#define MPK_RO_GS_LO  184 /* the gate stacks (MPK_GATE_STACK_SHIFT) */
#define MPK_RO_CLAIM  192 /* the claim's lock word, its stack above it */
#define MPK_RO_CB     200 /* the scheduler's callback records (MPK_CB_SLOTS) */
#define MPK_RO_THREADS 216 /* the switch records' threads (MPK_THREADS_WORDS words) */
#define MPK_RO_FRAME_PKRU 260 /* uint32: the report path's PKRU for the frame (gate.S) */

/*
 * The scheduler's callbacks (timers, descriptor watches: backend.h,
 * callback_bind), each in a record with the gate key: the compartment that
 * bound it + 1 (0: free), the function, its argument, the scheduler's
 * object that names the record (a timer or a watch). Written
 * only by gate.S's flexos__mpk_cb_bind and _unbind, with the gate page
 * open; the region is reserved at start-up, in the filter's ranges.
 */
#define MPK_CB_SLOTS 4096
#define MPK_CB_SIZE  32

/*
 * The C code the gate runs with a gate page open (its slow path, the
 * registration of threads, setjmp's record and longjmp's unwind, the
 * claim of a page) runs on a stack with the gate key, never on the
 * caller's: another thread of the caller's compartment could write a
 * return address there while the page is open, and get the open PKRU.
 * Each gate page has one (1 << MPK_GATE_STACK_SHIFT bytes, in a region
 * reserved at start-up, in the filter's range rules, at the page's index);
 * a thread that has no page yet claims one on the claim's stack, under
 * its lock (one page with the lock word, then a stack of that size).
 */
#define MPK_GATE_STACK_SHIFT 15
/* struct mpk_ro_entry (flexos__mpk_ro_entry), below. */
#define MPK_ROE_NONCE       0  /* flexos__mpk_ro's nonce */
#define MPK_ROE_NONCE_PKRU  8  /* uint32 */
#define MPK_ROE_SIGRET_PKRU 12 /* uint32 */
#define MPK_ROE_ALL_SIGNALS 16 /* a signal mask with every signal: rt_sigprocmask reads it */

/* The kernel's signal frame (asm/sigcontext.h): where the trampoline looks. */
#define MPK_UC_FPREGS      224 /* ucontext: uc_mcontext.fpregs */
#define MPK_UC_SS_FLAGS    24  /* ucontext: uc_stack.ss_flags */
#define MPK_SS_INVALID     3   /* neither 0, SS_ONSTACK nor SS_DISABLE: sigaltstack refuses it */
#define MPK_UC_GREGS       40  /* ucontext: uc_mcontext.gregs, REG_R8 first */
#define MPK_UC_GREGS_DATA  15  /* REG_R8 .. REG_RCX: then REG_RSP, REG_RIP, ... */
#define MPK_UC_RSP         (MPK_UC_GREGS + 8 * 15) /* gregs[REG_RSP] */
#define MPK_UC_RIP         (MPK_UC_GREGS + 8 * 16) /* gregs[REG_RIP] */
#define MPK_UC_EFL         (MPK_UC_GREGS + 8 * 17) /* gregs[REG_EFL] */
#define MPK_EFLAGS_ARITH   0x8d5                   /* CF, PF, AF, ZF, SF, OF */
#define MPK_FX_SW          464 /* XSAVE area: struct _fpx_sw_bytes */
#define MPK_FX_SW_EXT_SIZE (MPK_FX_SW + 4)
#define MPK_FX_SW_FEATURES (MPK_FX_SW + 8)
#define MPK_FX_SW_SIZE     (MPK_FX_SW + 16)
#define MPK_XSTATE_BV      512        /* XSAVE header: the components present */
#define MPK_XSTATE_MAGIC1  0x46505853 /* FP_XSTATE_MAGIC1 */
#define MPK_XSTATE_MAGIC2  0x46505845 /* FP_XSTATE_MAGIC2 */
#define MPK_XFEATURE_PKRU  9

/*
 * The PKRU table's page (read-only, readable by every compartment) also
 * holds, from this byte on, each compartment's fini (flexos__fini_of: its
 * newlib's flush, or its shared libraries' destructors): the function of
 * the runtime's own crossing (flexos__call_in), copied at init.
 */
#define MPK_PKRU_FINI 2048

/*
 * From this byte on, each compartment's PKRU with the gate key writable
 * (and key 0 open): what OPEN_GATE writes and checks.
 */
#define MPK_PKRU_OPEN 1024
/*
 * uint32: the PKRU bits OPEN_GATE clears (the gate key's write-disable
 * bit, key 0's bits). On this page, not the report's read-only page,
 * because OPEN_GATE reads it before its WRPKRU, where a newlib
 * compartment's PKRU denies key 0.
 */
#define MPK_PKRU_OPEN_MASK (MPK_PKRU_OPEN + 4 * MPK_SLOTS)
/*
 * uint32: 1 where the host runs AVX (VZEROUPPER), which the gates use to
 * clear the upper halves of the vector registers (CLEAR_ARGS, gate.S).
 */
#define MPK_PKRU_AVX (MPK_PKRU_OPEN_MASK + 4)
/*
 * uint32: 1 where the host runs AVX-512 with its VL forms (and the kernel
 * saves its state): the gates clear xmm16-31 and k0-k7 (CLEAR_EVEX).
 */
#define MPK_PKRU_AVX512 (MPK_PKRU_AVX + 4)
/* uint32: 0, the first of the zeros the gates push into the x87 registers (CLEAR_X87). */
#define MPK_PKRU_X87_ZERO (MPK_PKRU_AVX512 + 4)

/*
 * And from this byte on, main's start (flexos__mpk_start_main): function,
 * argv, envp, stack top (uint64 each), argc, compartment (uint32 each),
 * written by mpk_run_main before the page becomes read-only.
 */
#define MPK_PKRU_MAIN       3072
#define MPK_PKRU_MAIN_FN    (MPK_PKRU_MAIN + 0)
#define MPK_PKRU_MAIN_ARGV  (MPK_PKRU_MAIN + 8)
#define MPK_PKRU_MAIN_ENVP  (MPK_PKRU_MAIN + 16)
#define MPK_PKRU_MAIN_STACK (MPK_PKRU_MAIN + 24)
#define MPK_PKRU_MAIN_ARGC  (MPK_PKRU_MAIN + 32)
#define MPK_PKRU_MAIN_ID    (MPK_PKRU_MAIN + 36)

/*
 * And from MPK_PKRU_WINDOWS on, the gate paths' windows (gate.S: WINDOW),
 * MPK_PKRU_WINDOWS_N (uint32) of them, each the addresses lo, tail, hi
 * and restart (uint64): where the signal restorer resumes a frame that a
 * signal left inside one (WINDOW_RESUME), on this page because the
 * restorer reads them with the interrupted compartment's PKRU (which may
 * deny key 0) in force.
 */
#define MPK_PKRU_WINDOWS_N   (MPK_PKRU_MAIN + 64)
#define MPK_PKRU_WINDOWS     (MPK_PKRU_MAIN + 128)
#define MPK_W_LO             0
#define MPK_W_TAIL           8
#define MPK_W_HI             16
#define MPK_W_RESTART        24
#define MPK_W_SIZE           32
#define MPK_PKRU_WINDOWS_MAX ((4096 - MPK_PKRU_WINDOWS) / MPK_W_SIZE)

/*
 * The handlers compartments install (signal.c; gate.S: flexos__mpk_sig_*).
 * The table, by signal, is on a page with the gate key, which every
 * compartment may read and only the gate's OPEN_GATE opens for writing;
 * each entry names the compartment that installed it, taken from the gate
 * page. Its address and the gate the delivery goes through are on the
 * PKRU table's page (read-only, readable by every compartment).
 */
#define MPK_SIG_SLOTS 128 /* entries; a signal number is masked with MPK_SIG_SLOTS - 1 */
/*
 * The signals the runtime's own faults raise, bit sig - 1: SIGSEGV (a
 * key's fault, a bad pointer) and SIGSYS (the system-call filter). A
 * signal with a handler while the gate page is open outside a gate call's
 * windows (gate.S: WINDOW) would end the image (limit 9), so the runtime's
 * other paths that open it hold every signal but these meanwhile: blocked,
 * the kernel would kill the process at such a fault, with no word, and
 * their handler is the fault report. (The other synchronous ones, SIGILL,
 * SIGTRAP, SIGBUS and SIGFPE, are held too: the runtime's code there
 * raises none, and a program's timer or another process may send them.)
 */
#define MPK_FAULT_SIGNALS 0x40000400
#define MPK_SIG_SHIFT 4   /* 16 bytes an entry: */
/*
 * uint64: the handler (bits 0..55; 0: none) and the compartment that
 * installed it (bits 56..63), in one word, so that one store sets both
 * and one load reads a pair that belongs together.
 */
#define MPK_SIG_FN         0
#define MPK_SIG_COMP_SHIFT 56
#define MPK_SIG_FLAGS      8 /* int32: its sa_flags, for sigaction's old value */
/*
 * On the PKRU table's page: the table's address, the gate of the image,
 * and copies of the gate pages' bounds and of MPK_RO_FSGSBASE, which the
 * delivery stub validates the gate page with where key 0 may be denied.
 */
#define MPK_PKRU_SIGTAB       (MPK_PKRU_FINI + 8 * MPK_SLOTS)
#define MPK_PKRU_SIGGATE      (MPK_PKRU_SIGTAB + 8)
#define MPK_PKRU_SIG_GP_LO    (MPK_PKRU_SIGTAB + 16)
#define MPK_PKRU_SIG_GP_HI    (MPK_PKRU_SIGTAB + 24)
#define MPK_PKRU_SIG_FSGSBASE (MPK_PKRU_SIGTAB + 32)
/*
 * And for the copies of a frame (gate.S: SIG_SNAPSHOT, SIGRETURN_COPY):
 * the copy areas (MPK_SIG_AREAS for each gate page,
 * MPK_PKRU_SIG_COPY_STRIDE bytes each), uint32: a copy of
 * MPK_RO_XSAVE_SIZE, and uint32[MPK_SLOTS]: each compartment's PKRU with
 * the gate key and the copy key writable (key 0 as the compartment's
 * PKRU has it), which the frame is copied with: the frame a compartment
 * can write is all it can have copied. In an area: the ucontext at
 * MPK_SIG_COPY_UC, the XSAVE area (64-byte aligned, as XRSTOR wants it)
 * at MPK_SIG_COPY_FP.
 *
 * The copies hold the interrupted compartment's registers, so they have
 * the copy key (mpk_ro.copy_key), which only the stub's and the
 * restorer's PKRUs open (limit 6 of docs/threat-model.md). But
 * rt_sigreturn, once XRSTOR has put the frame's PKRU (the compartment's)
 * in force, still reads the ucontext's uc_stack (restore_altstack, Linux
 * 6.1), and fails the frame if it cannot: so the copy the restorer
 * resumes from, the last area (MPK_SIG_FRAMES), has its first page with
 * the gate key, which every compartment reads, and the ucontext starts
 * MPK_UC_STACK_END bytes before that page's end: its flags, link and
 * uc_stack (nothing of the compartment's) there, its registers, mask and
 * XSAVE area on the pages after, with the copy key.
 */
#define MPK_PKRU_SIG_COPY        (MPK_PKRU_SIGTAB + 40)
#define MPK_PKRU_SIG_COPY_STRIDE (MPK_PKRU_SIGTAB + 48)
#define MPK_PKRU_SIG_XSAVE_SIZE  (MPK_PKRU_SIGTAB + 56)
#define MPK_PKRU_SIG_COPY_PKRU   (MPK_PKRU_SIGTAB + 64)
/* uint32: a copy of MPK_RO_PKRU_OFF, for the restorer's WINDOW_RESUME (gate.S). */
#define MPK_PKRU_SIG_PKRU_OFF    (MPK_PKRU_SIGTAB + 64 + 4 * MPK_SLOTS)
#define MPK_UC_STACK_END         40 /* the kernel's ucontext: uc_flags, uc_link, uc_stack */
#define MPK_SIG_COPY_UC          (4096 - MPK_UC_STACK_END)
#define MPK_SIG_COPY_FP          4416
/*
 * Each gate page has MPK_SIG_FRAMES such areas (nested signals), each
 * the snapshot of one frame the delivery stub took (gate.S: SIG_SNAPSHOT),
 * with the frame's address at MPK_SIG_COPY_FRAME (0: free), and one more,
 * the copy the restorer resumes from: of a snapshot, or of a frame no
 * delivery took (MPK_SIG_AREAS in all).
 */
#define MPK_SIG_FRAMES     4
#define MPK_SIG_AREAS      (MPK_SIG_FRAMES + 1)
#define MPK_SIG_COPY_FRAME 0
/*
 * uint64: the gate page's depth when the snapshot was taken. A delivery
 * in progress has a depth no deeper than the thread's; a frame at the
 * same address at a deeper level (a nested signal in a handler, which the
 * kernel writes at the top of the signal stack again, the handler running
 * on its compartment's stack) is another delivery, with another area.
 */
#define MPK_SIG_COPY_DEPTH 8
/*
 * uint64: the switch record (MPK_G_UREC) of the user-level thread whose
 * delivery took the snapshot: the areas are the OS thread's, a depth is
 * a user-level thread's, and another thread resumed inside a handler
 * (the scheduler's switch) takes its own signals at the same frame
 * address and depth: only the thread that took a snapshot matches it,
 * or finds it stale.
 */
#define MPK_SIG_COPY_UREC 16
/* The entry index (the gate's %r10 >> FLEXOS_GATE_ENTRY_SHIFT) of a handler's call. */
#define MPK_GATE_ENTRY_SIGNAL 0xfffffffe

/* Offsets in struct flexos_image and struct flexos_entry (<flexos/image.h>), for gate.S. */
#define MPK_IMAGE_NENTRIES 84
#define MPK_IMAGE_ENTRIES  96
#define MPK_ENTRY_FLAGS    12 /* and the narrow word after it */
#define MPK_ENTRY_SHIFT    5  /* an entry's size, 32 bytes */
#define MPK_ENTRY_NARROW_STACK 20

/* A copy of the kernel's signal frame on the report stack: pretcode, ucontext, siginfo. */
#define MPK_UC_COPY    304 /* the kernel's struct ucontext: flags, link, stack, mcontext, mask */
#define MPK_SI_COPY    128
#define MPK_FRAME_COPY (8 + MPK_UC_COPY + MPK_SI_COPY)

/*
 * longjmp across gates (jump.c): each thread's jump page, the page
 * MPK_JUMP_OFFSET bytes after its gate page (same key, same rules: every
 * compartment reads it, only the opened gate writes it), records the
 * setjmps of the image's code: where the jump lands, the gate state to
 * unwind to, and the record a checked jump chose (armed, index + 1).
 */
#define MPK_JUMP_OFFSET (MPK_GATE_PAGES * 4096)
#define MPK_JUMPS       16
#define MPK_J_ARMED     8  /* uint64 in struct mpk_jump_page */
#define MPK_J_MASK_AFTER 24 /* uint64 in struct mpk_jump_page */
#define MPK_J_REC       64 /* the records */
#define MPK_J_SIZE      232
#define MPK_J_COMP      16 /* in struct mpk_jump */
#define MPK_J_REGS      32 /* rbx, rbp, r12..r15, rsp, rip */

/* Stack of each compartment for each thread (main's default stack: 8 MiB). */
/*
 * In an image with an asan compartment, stacks start on a 32 KiB boundary
 * (their sizes are multiples of it): the shadow of such a compartment's
 * stack is then whole pages of its own, which take its key.
 */
#define ASAN_STACK_ALIGN ((size_t)32768)
/*
 * And above each such stack, 64 KiB of nothing (PROT_NONE) whose shadow
 * takes the stack's key too: __asan_handle_no_return (before exit,
 * longjmp) reads and clears the shadow of the 64 KiB above its frame,
 * which past the stack's top would be another mapping's (key 0, which a
 * newlib compartment may not read, or another compartment's key).
 */
#define ASAN_STACK_ABOVE ((size_t)65536)
#define MPK_STACK_SIZE      (1024 * 1024)
#define MPK_MAIN_STACK_SIZE (8 * 1024 * 1024)

/*
 * glibc 2.36's __clone as filter.c changes it at start-up: its first
 * MPK_GLIBC_CLONE_CALL bytes call flexos__mpk_clone_glibc (gate.S), and
 * its code after the syscall is MPK_GLIBC_CLONE_RESUME bytes after that
 * call's return address.
 */
#define MPK_GLIBC_CLONE_CALL   13
#define MPK_GLIBC_CLONE_RESUME (0x32 - MPK_GLIBC_CLONE_CALL)

/*
 * Where stacks.c's flexos__mpk_pools holds its pools (lo, hi, holder: 24
 * bytes each, from offset 0), table_lo and table_hi, nstacks and stride (gate.S).
 */
#define MPK_POOLS_TABLE   (MPK_SLOTS * 24)
#define MPK_POOLS_NSTACKS (MPK_POOLS_TABLE + 16)
#define MPK_POOLS_STRIDE  (MPK_POOLS_TABLE + 24)

#ifndef __ASSEMBLER__

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>
#include <sys/syscall.h>
#include <ucontext.h>

#include <flexos/backend.h>

/*
 * The gate's state of one thread, on its gate page. sp[c] is where
 * compartment c's stack of this thread continues when a gate enters c:
 * its stack pointer at its last gate exit while it is suspended, its
 * stack's top when it is not on the call chain, 0 when this thread has no
 * stack in c yet. ids[] are the callers of the gate calls in progress:
 * the way back reads its compartment there, not on the callee's stack.
 */
struct mpk_gate_page {
	uint64_t cur;
	uint64_t depth;
	uint64_t sp[MPK_SLOTS];
	uint64_t owner;
	uint64_t urec; /* a gate page: the record of the thread running (MPK_UREC_MAX) */
	uint64_t rsp;  /* a switch record: where its thread is suspended, or 0 */
	/*
	 * The FS base (pthread_t) of the thread that pthread_create made
	 * for this page; while owner is 0 the page waits for that thread.
	 */
	uint64_t fsbase;
	/*
	 * Set by the signal delivery stub (gate.S) for the one gate call
	 * with MPK_GATE_ENTRY_SIGNAL it makes, which clears it: the signal's
	 * number + 1, or 0.
	 */
	uint64_t sigmark;
	/*
	 * The thread that bound the page, from the kernel (gettid at the
	 * claim, in the low half; getpid in the high one): the clone site
	 * (gate.S) asks the kernel whether it still runs before it lets a new
	 * thread take this page's FS base; a page bound in another process
	 * (a child of fork()) keeps its stacks out of the pools for good.
	 */
	uint64_t tid;
	/*
	 * The thread's carry page, set at the claim from the pages reserved
	 * at start-up (mpk_ro.carry_lo): the carry path copies there with the
	 * page open, so never to an address from TLS, which every compartment
	 * may write.
	 */
	uint64_t carry;
	/*
	 * A switch record: MPK_ENDED once its thread has ended (urec_end, by
	 * the thread itself, outside any gate call); only such a record is
	 * freed (urec_free), and it is never resumed. MPK_DETACHED once the
	 * compartment that made it detached its thread (urec_detach): only
	 * then may the thread be released without a join.
	 */
	uint64_t ended;
	/*
	 * A switch record: the scheduler's state of its thread (the backend's
	 * part of the thread's control block, as urec_new's caller says),
	 * which a join names, the value the thread ended with (urec_end),
	 * and the compartment that made the record (the gate page's, at
	 * urec_new): the thread's result comes from here, never from the
	 * scheduler's key-0 memory, and only for that compartment, since
	 * any compartment can make a record that names any thread
	 * (thread_result).
	 */
	uint64_t thread;
	uint64_t retval;
	uint64_t home;
	/*
	 * A gate page: a look with the page closed in progress (gate.S's
	 * NAMED_ELSEWHERE), taken back when the page is opened again after
	 * it, and required there: urec_new's record in the making
	 * (MPK_LOOK_BIT, the first stack's frame size << 16, the record's
	 * handle), whose record and frame then come from here, never from
	 * registers, which a jump to that opening would choose; or
	 * urec_first's (MPK_LOOK_FIRST_BIT), whose undo so runs only after
	 * its look.
	 */
	uint64_t look;
	uint8_t ids[MPK_G_MAX_DEPTH];
	uint8_t pad[MPK_G_FPCTL - MPK_G_IDS - MPK_G_MAX_DEPTH];
	/*
	 * Each gate call's caller's MXCSR and x87 control word, which the ABI
	 * makes callee-saved: put back on the way back, whatever the callee
	 * left (limit 6 of docs/threat-model.md).
	 */
	uint32_t fpctl[MPK_G_MAX_DEPTH];
};

_Static_assert(sizeof(struct mpk_gate_page) == 4096, "one page");
_Static_assert(MPK_PKRU_SIG_PKRU_OFF + 4 <= MPK_PKRU_MAIN, "the PKRU page's layout");
_Static_assert(MPK_PKRU_MAIN_ID + 4 <= MPK_PKRU_WINDOWS_N, "the PKRU page's layout");
_Static_assert(offsetof(struct mpk_gate_page, depth) == MPK_G_CUR + 8, "gate.S: COMMIT_CALL");
_Static_assert(offsetof(struct mpk_gate_page, sp) == MPK_G_SP, "gate.S layout");
_Static_assert(offsetof(struct mpk_gate_page, owner) == MPK_G_OWNER, "gate.S layout");
_Static_assert(offsetof(struct mpk_gate_page, depth) == MPK_G_DEPTH, "gate.S layout");
_Static_assert(offsetof(struct mpk_gate_page, urec) == MPK_G_UREC, "gate.S layout");
_Static_assert(offsetof(struct mpk_gate_page, rsp) == MPK_G_RSP, "gate.S layout");
_Static_assert(offsetof(struct mpk_gate_page, fsbase) == MPK_G_FSBASE, "gate.S layout");
_Static_assert(offsetof(struct mpk_gate_page, thread) == MPK_G_THREAD, "gate.S layout");
_Static_assert(offsetof(struct mpk_gate_page, retval) == MPK_G_RETVAL, "gate.S layout");
_Static_assert(offsetof(struct mpk_gate_page, home) == MPK_G_HOME, "gate.S layout");
_Static_assert(offsetof(struct mpk_gate_page, sigmark) == MPK_G_SIGMARK, "gate.S layout");
_Static_assert(offsetof(struct mpk_gate_page, tid) == MPK_G_TID, "gate.S layout");
_Static_assert(offsetof(struct mpk_gate_page, carry) == MPK_G_CARRY, "gate.S layout");
_Static_assert(offsetof(struct mpk_gate_page, ended) == MPK_G_ENDED, "gate.S layout");
_Static_assert(offsetof(struct mpk_gate_page, look) == MPK_G_LOOK, "gate.S layout");
_Static_assert(offsetof(struct mpk_gate_page, ids) == MPK_G_IDS, "gate.S layout");
_Static_assert(offsetof(struct mpk_gate_page, fpctl) == MPK_G_FPCTL, "gate.S layout");

/*
 * What else a thread keeps, in TLS (key 0, which every compartment can
 * write): gp is only a hint, which the gate validates on every use
 * (gate.S: LOAD_GP); the rest is for the fault report and the carry path
 * (docs/threat-model.md).
 */
struct mpk_thread {
	struct mpk_gate_page *gp;
	uint64_t ready;
	uintptr_t stack_lo[MPK_SLOTS]; /* mapping of each stack, for the fault report */
	uintptr_t stack_hi[MPK_SLOTS];
	void *altstack;
	/*
	 * Unused since the carry pages are mpk_ro.carry_lo's (MPK_G_CARRY);
	 * kept at MPK_T_CARRY, where tests/mpk/attack --carry-write points it
	 * at gate-key memory to show that no claim reads it.
	 */
	void *carry;
};

_Static_assert(offsetof(struct mpk_thread, gp) == MPK_T_GP, "gate.S layout");
_Static_assert(offsetof(struct mpk_thread, ready) == MPK_T_READY, "gate.S layout");
_Static_assert(offsetof(struct mpk_thread, altstack) == MPK_T_ALTSTACK, "gate.S layout");
_Static_assert(offsetof(struct mpk_thread, carry) == MPK_T_CARRY, "gate.S layout");
_Static_assert(MPK_CARRY_SIZE >= 8 * FLEXOS_GATE_FIELD_MASK, "gate.S: what %r10 can encode");

/*
 * What the scheduler keeps of a user-level thread for this backend
 * (backend.h: thread_state_size and friends), in its own memory (key 0):
 * the handle of the thread's switch record (MPK_UREC_MAX), a copy of the
 * compartment the record says (the switch refuses a record that differs),
 * and the stack bounds of the fault report, swapped in and out of TLS.
 * The gate state itself (compartment, stack pointers, gate calls) and the
 * stack pointer the thread resumes at are only in the record.
 */
struct mpk_uthread {
	uint64_t rec;
	uint64_t cur;
	uintptr_t stack_lo[MPK_SLOTS];
	uintptr_t stack_hi[MPK_SLOTS];
	uint64_t home; /* the compartment of the stack the scheduler mapped */
};

_Static_assert(offsetof(struct mpk_uthread, rec) == MPK_U_REC, "gate.S layout");
_Static_assert(offsetof(struct mpk_uthread, cur) == MPK_U_CUR, "gate.S layout");

/*
 * What the report path needs, on a page of its own that is read-only
 * once init is done: a compartment cannot redirect the report's stack
 * or widen its PKRU.
 */
struct mpk_ro {
	uint32_t report_pkru;
	uint32_t gate_key;
	uintptr_t report_stack;
	uintptr_t lock;
	uintptr_t restorer;
	uintptr_t gp_lo, gp_hi;
	uint32_t fsgsbase;
	uint32_t sigret_pkru;
	uint32_t pkru_off;
	uint32_t xsave_size;
	uint32_t key0_ok;
	uint32_t nonce_pkru;
	const uint64_t *nonce;
	uintptr_t rec_lo, rec_hi;
	/*
	 * What start-up decides once and the backend uses after it: a
	 * compartment that rewrote a key would have the next stack made for
	 * a compartment tagged with the key it chose (key 0, which it reads).
	 * The key of each compartment (0 for unused ids), the key of the
	 * sigreturn nonce (signal.c; 0 if none was left) and the shared key
	 * (images with newlib compartments: what every compartment may
	 * reach, since newlib compartments run with key 0 denied; 0 in
	 * others), the number of compartments, the runtime's view, and the
	 * offset of PKRU in a signal frame's XSAVE area (0: unknown). The
	 * gate key is gate_key above (0 if none was left: then the gate
	 * pages are key 0, as the TLS state was), allocated before the PKRU
	 * table is made. tools/gdb/flexos.py reads keys at MPK_RO_KEYS.
	 */
	int32_t keys[MPK_SLOTS];
	int32_t nonce_key;
	int32_t shared_key;
	uint32_t ncomp;
	uint32_t report_pkru_off;
	const struct flexos_runtime *runtime;
	uintptr_t gs_lo; /* MPK_GATE_STACK_SHIFT */
	uintptr_t claim;
	uintptr_t cb; /* MPK_CB_SLOTS records of MPK_CB_SIZE bytes */
	/*
	 * The carry pages, one for each gate page (MPK_CARRY_SIZE bytes at
	 * carry_lo + its index), with the gate key (the signal stacks' key
	 * without one: fault.c says why): a page's carry pointer
	 * (MPK_G_CARRY) is set from here, never from the thread's TLS,
	 * which a compartment can point at gate-key memory that the carry
	 * path writes with the page open.
	 */
	uintptr_t carry_lo;
	/*
	 * The switch records' index (gate key, MPK_THREADS_WORDS words): word
	 * h is the thread (its state) urec_new last made record h for, and
	 * word MPK_THREADS_FIRST + i the state urec_first gave gate page i's
	 * own record, so that urec_new and urec_first find a record in use
	 * that already names a state (the scheduler's memory, key 0, handed
	 * out twice, or a compartment naming another's thread) without
	 * reading every record's page: a state is named by one record at
	 * most. Written by urec_new and urec_first, by the claim of a page
	 * for a new thread (its own record's word cleared), and by
	 * thread_first before any compartment runs (flexos__mpk_first_set).
	 */
	uintptr_t threads;
	/* The copies of the shared libraries' unwind tables (unwind.c), read-only. */
	uintptr_t unwind_lo, unwind_hi;
	/*
	 * The signal stacks, one a gate page (alt_lo + its index *
	 * MPK_ALTSTACK_SIZE, reserved at start-up, with the carry pages' key),
	 * and the stack_t of each, read-only (alt_table, MPK_ALT_TABLE_SIZE
	 * bytes aligned to their size): sigaltstack is allowed only with one
	 * of those (signal.c, flexos__mpk_altstack_filter). The kernel writes
	 * a signal frame where the thread's signal stack says, under the
	 * interrupted PKRU: one named by a compartment (an attack review's)
	 * had the frame written over another compartment's memory.
	 */
	uintptr_t alt_lo, alt_table;
	/*
	 * The key of the signal frames' copies (signal.c, sig_table_init;
	 * 0 if none was left: then they have the gate key).
	 */
	int32_t copy_key;
	/*
	 * The report path's PKRU while it copies or reads a signal's frame:
	 * the report's without the compartments' keys (gate.S: .Lreport).
	 */
	uint32_t report_frame_pkru;
};

_Static_assert(offsetof(struct mpk_ro, report_pkru) == MPK_RO_PKRU, "gate.S layout");
_Static_assert(offsetof(struct mpk_ro, report_stack) == MPK_RO_STACK, "gate.S layout");
_Static_assert(offsetof(struct mpk_ro, lock) == MPK_RO_LOCK, "gate.S layout");
_Static_assert(offsetof(struct mpk_ro, restorer) == MPK_RO_RESTORER, "gate.S layout");
_Static_assert(offsetof(struct mpk_ro, gp_lo) == MPK_RO_GP_LO, "gate.S layout");
_Static_assert(offsetof(struct mpk_ro, gp_hi) == MPK_RO_GP_HI, "gate.S layout");
_Static_assert(offsetof(struct mpk_ro, fsgsbase) == MPK_RO_FSGSBASE, "gate.S layout");
_Static_assert(offsetof(struct mpk_ro, sigret_pkru) == MPK_RO_SIGRET_PKRU, "gate.S layout");
_Static_assert(offsetof(struct mpk_ro, pkru_off) == MPK_RO_PKRU_OFF, "gate.S layout");
_Static_assert(offsetof(struct mpk_ro, xsave_size) == MPK_RO_XSAVE_SIZE, "gate.S layout");
_Static_assert(offsetof(struct mpk_ro, key0_ok) == MPK_RO_KEY0_OK, "gate.S layout");
_Static_assert(offsetof(struct mpk_ro, nonce_pkru) == MPK_RO_NONCE_PKRU, "gate.S layout");
_Static_assert(offsetof(struct mpk_ro, nonce) == MPK_RO_NONCE, "gate.S layout");
_Static_assert(offsetof(struct mpk_ro, rec_lo) == MPK_RO_REC_LO, "gate.S layout");
_Static_assert(offsetof(struct mpk_ro, rec_hi) == MPK_RO_REC_HI, "gate.S layout");
_Static_assert(offsetof(struct mpk_ro, keys) == MPK_RO_KEYS, "tools/gdb/flexos.py layout");
_Static_assert(offsetof(struct mpk_ro, gs_lo) == MPK_RO_GS_LO, "gate.S layout");
_Static_assert(offsetof(struct mpk_ro, claim) == MPK_RO_CLAIM, "gate.S layout");
_Static_assert(offsetof(struct mpk_ro, cb) == MPK_RO_CB, "gate.S layout");
_Static_assert(offsetof(struct mpk_ro, threads) == MPK_RO_THREADS, "gate.S layout");
_Static_assert(offsetof(struct mpk_ro, report_frame_pkru) == MPK_RO_FRAME_PKRU, "gate.S layout");
_Static_assert(offsetof(ucontext_t, uc_mcontext.fpregs) == MPK_UC_FPREGS, "gate.S: the frame");
_Static_assert(offsetof(struct flexos_image, nentries) == MPK_IMAGE_NENTRIES, "gate.S layout");
_Static_assert(offsetof(struct flexos_image, entries) == MPK_IMAGE_ENTRIES, "gate.S layout");
_Static_assert(sizeof(struct flexos_entry) == 1 << MPK_ENTRY_SHIFT &&
		   offsetof(struct flexos_entry, compartment) == 8 &&
		   offsetof(struct flexos_entry, flags) == MPK_ENTRY_FLAGS &&
		   offsetof(struct flexos_entry, narrow) == MPK_ENTRY_FLAGS + 4 &&
		   offsetof(struct flexos_entry, narrow_stack) == MPK_ENTRY_NARROW_STACK,
	       "gate.S: CHECK_ENTRY");
_Static_assert(MPK_UC_COPY == offsetof(ucontext_t, uc_sigmask) + 8,
	       "gate.S: the kernel's ucontext is glibc's up to uc_sigmask's first word");
_Static_assert(MPK_SI_COPY == sizeof(siginfo_t), "gate.S: siginfo");

_Static_assert(MPK_EXIT_FAULT == FLEXOS_EXIT_FAULT, "gate.S: the report's exit status");

/* struct mpk_ro alone on its page. */
union mpk_ro_page {
	struct mpk_ro ro;
	char page[4096];
};
extern union mpk_ro_page flexos__mpk_ro __attribute__((visibility("hidden")));

/*
 * What the signal restorer reads before its first WRPKRU, while the PKRU
 * is the interrupted compartment's: a newlib compartment's denies key 0,
 * where flexos__mpk_ro is, so this page has the shared key in images with
 * newlib compartments (key 0 in others), read-only. The checks after the
 * WRPKRUs compare against flexos__mpk_ro.
 */
struct mpk_ro_entry {
	const uint64_t *nonce;
	uint32_t nonce_pkru, sigret_pkru;
	uint64_t all_signals;
};
_Static_assert(offsetof(struct mpk_ro_entry, nonce_pkru) == MPK_ROE_NONCE_PKRU &&
		   offsetof(struct mpk_ro_entry, sigret_pkru) == MPK_ROE_SIGRET_PKRU &&
		   offsetof(struct mpk_ro_entry, all_signals) == MPK_ROE_ALL_SIGNALS,
	       "gate.S layout");
union mpk_ro_entry_page {
	struct mpk_ro_entry e;
	char page[4096];
};
extern union mpk_ro_entry_page flexos__mpk_ro_entry __attribute__((visibility("hidden")));

extern __thread struct mpk_thread flexos__mpk_thread
    __attribute__((tls_model("local-exec"), visibility("hidden")));

/*
 * The PKRU value of each compartment, indexed by id; unused entries allow
 * key 0 only. It sits alone on a page that is read-only once init is done.
 */
extern uint32_t flexos__mpk_pkru[1024] __attribute__((visibility("hidden")));

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

/* The report of a PKRU value written that is not the expected one. */
noreturn void flexos__mpk_gate_violation(uint64_t written, uint64_t id);

/*
 * The report path's C part, on the report stack with the report's PKRU
 * (gate.S): kind MPK_REPORT_FORGED (a, b: sig, si of the call),
 * MPK_REPORT_VIOLATION (a, b: written, id) or MPK_REPORT_ENTRY (a, b:
 * what the gate made of the entry index, id); entry_pkru: the PKRU found on
 * entry. Never returns.
 */
noreturn void flexos__mpk_report(uint32_t kind, uint64_t a, uint64_t b, uint32_t entry_pkru);

/* Initialises the calling thread's TLS state if needed. */
struct mpk_thread *flexos__mpk_self(void);

/*
 * gate.S's OPEN_GATE, for a thread without a gate page, with the gate
 * page writable: finds this thread's page (a thread that lost its TLS
 * pointer), or binds the page pthread_create registered for it, whose
 * compartment must be the one whose open PKRU is `open' (the PKRU
 * OPEN_GATE wrote). A thread that nobody registered gets no page: the
 * report. Never returns NULL.
 */
struct mpk_gate_page *flexos__mpk_claim(uint32_t open);

/*
 * pthread.c: every pthread_create of an intel-mpk image (flexos-link
 * links with --wrap=pthread_create) starts the thread in a trampoline,
 * which waits until its creator has registered a gate page for it, then
 * binds it and calls the start routine. thread_register (gate.S): with
 * the gate page open (OPEN_GATE, checked), flexos__mpk_register (mpk.c)
 * takes a page for the thread whose FS base is fsbase, in the
 * compartment whose open PKRU is in force (the creator's, never one the
 * caller names); returns 0, or -EAGAIN (a page registered for that FS
 * base waits for its thread), -EEXIST (a page's thread with that FS
 * base runs), -EBUSY (another registration of it is under way), which
 * the clone site reports. thread_bind (gate.S): OPEN_GATE and back, so
 * that the trampoline's thread claims its page.
 */
int flexos__mpk_thread_register(uint64_t fsbase);
int flexos__mpk_register(uint64_t fsbase);
/* The same path: a page registered for fsbase and not bound is free again. */
int flexos__mpk_thread_unregister(uint64_t fsbase);
int flexos__mpk_unregister(uint64_t fsbase);
void flexos__mpk_thread_bind(void);
/*
 * home_stack (gate.S): with the gate page open, flexos__mpk_home_take
 * (mpk.c) gives the thread a stack of the pool of the compartment its
 * page names, held by the page, and returns its top (16-aligned; 0 in
 * images with shared stacks), for the trampoline to run the start routine
 * on (run_on: fn(arg) on the stack ending at top, then back): a
 * thread's first stack is glibc's, key 0.
 */
uintptr_t flexos__mpk_home_stack(void);
int flexos__mpk_callback_bind(void (*fn)(void), void *arg, const void *obj);
void flexos__mpk_callback_unbind(int handle);
uintptr_t flexos__mpk_home_take(void);
void *flexos__mpk_run_on(void *(*fn)(void *), void *arg, uintptr_t top);

/* At start-up (every key open): the main thread's gate page. */
struct mpk_gate_page *flexos__mpk_gp(void);

/*
 * fault.c: the compartment a signal interrupted, from the PKRU in its
 * frame (a handler runs with key 0 only: the gate pages are out of its
 * reach); -1 if that PKRU is no compartment's.
 */
int flexos__mpk_interrupted(const void *ctx);

/* The running compartment: the validated gate page's, or the PKRU's. */
uint64_t flexos__mpk_cur(void);
/* The running compartment the validated gate page names, or -1: no valid page. */
int flexos__mpk_page_cur(void);
/* The validated gate page's owner (its OS thread's, as the records name it), or 0. */
uint64_t flexos__mpk_page_owner(void);
/* This thread's gate page, from TLS, validated as the gate does, or NULL. */
const struct mpk_gate_page *flexos__mpk_own_page(void);
/*
 * Start-up, before any compartment runs (constructors): this thread holds
 * every key the backend allocated.
 */
int flexos__mpk_starting_up(void);

/* fault.c: reserves the gate pages (gate key) and fills in their bounds. */
int flexos__mpk_gate_pages_init(void);

/* main's start, on the PKRU table's page (MPK_PKRU_MAIN). */
struct mpk_main {
	int (*fn)(int, char **, char **);
	char **argv;
	char **envp;
	uintptr_t stack;
	uint32_t argc;
	uint32_t id;
};

_Static_assert(offsetof(struct mpk_main, argv) == MPK_PKRU_MAIN_ARGV - MPK_PKRU_MAIN, "gate.S");
_Static_assert(offsetof(struct mpk_main, envp) == MPK_PKRU_MAIN_ENVP - MPK_PKRU_MAIN, "gate.S");
_Static_assert(offsetof(struct mpk_main, stack) == MPK_PKRU_MAIN_STACK - MPK_PKRU_MAIN, "gate.S");
_Static_assert(offsetof(struct mpk_main, argc) == MPK_PKRU_MAIN_ARGC - MPK_PKRU_MAIN, "gate.S");
_Static_assert(offsetof(struct mpk_main, id) == MPK_PKRU_MAIN_ID - MPK_PKRU_MAIN, "gate.S");

/*
 * gate.S: main of the PKRU table's page (struct mpk_main), on its stack,
 * with its compartment's PKRU (checked), then exit() with its result.
 * Everything comes from that read-only page, and it runs only for a
 * thread whose gate page names the default compartment at depth 0 (else
 * MPK_REPORT_START_MAIN): a jump to its WRPKRU from another compartment
 * ends the image.
 */
noreturn void flexos__mpk_start_main(void);

/*
 * gate.S: the scheduler's switch records (MPK_UREC_MAX). urec_new: a
 * record for a new thread of this OS thread's scheduler, in the running
 * compartment: with frame 0 (shared stacks) suspended at rsp, its stack
 * there ending at top; else on a stack of that compartment's pool, top
 * returned, suspended frame bytes below it (the caller copies the first
 * switch frame there). urec_end: the running thread's record is marked
 * ended, 0; -1 (nothing marked) for the OS thread's own context or inside
 * a gate call. urec_free: the record of an ended thread of this OS thread
 * (not the running one) is free again, and its pool stacks.
 * thread_resume: the backend's thread_resume (backend.h).
 */
struct mpk_urec_made {
	uint64_t handle; /* 0: none */
	uintptr_t top;   /* the pool stack's; with no handle, 1 if no stack was free, 2 if
			    another record names the thread */
};
/*
 * The switch record of handle h (1 to MPK_UREC_MAX: gate.S's REC_ADDR),
 * or NULL. Gate key: C reads it, only gate.S writes it.
 */
static inline struct mpk_gate_page *flexos__mpk_record(uint64_t h)
{
	if (!h || h > MPK_UREC_MAX || !flexos__mpk_ro.ro.rec_lo)
		return NULL;
	return (struct mpk_gate_page *)(flexos__mpk_ro.ro.rec_lo +
					((MPK_GATE_PAGES - 1 + h) << 12));
}
/*
 * The switch record of the OS thread's own context whose gate page is gp
 * (handle 0: gate.S's REC_ADDR), or NULL.
 */
static inline struct mpk_gate_page *flexos__mpk_first_record(const struct mpk_gate_page *gp)
{
	if (!flexos__mpk_ro.ro.rec_lo)
		return NULL;
	return (struct mpk_gate_page *)(flexos__mpk_ro.ro.rec_lo +
					((uintptr_t)gp - flexos__mpk_ro.ro.gp_lo));
}
/*
 * Gate page gp's own record, and its index word, name state (0: none), as
 * gate.S's urec_first does: C with the page open (a claim), or before any
 * compartment runs. No look for another record naming it: none can yet.
 */
static inline void flexos__mpk_first_set(const struct mpk_gate_page *gp, uintptr_t state)
{
	struct mpk_gate_page *first = flexos__mpk_first_record(gp);
	uint64_t *threads = (uint64_t *)flexos__mpk_ro.ro.threads;

	if (!first || !threads)
		return;
	first->thread = state;
	first->ended = state ? MPK_NAMED : 0;
	threads[MPK_THREADS_FIRST + ((uintptr_t)gp - flexos__mpk_ro.ro.gp_lo) / 4096] = state;
}
/*
 * Every signal but SIGSEGV and SIGSYS (MPK_FAULT_SIGNALS) blocked, for a
 * call that opens the gate page outside a gate call's windows; returns the
 * mask as it was, for flexos__mpk_signals_release. The system call itself:
 * no errno, no stack protector (both key 0).
 */
static inline uint64_t flexos__mpk_signals_hold(void)
{
	/* (read-only: on glibc's stack, key 0, another compartment could clear it meanwhile) */
	static const uint64_t set = ~(uint64_t)MPK_FAULT_SIGNALS;
	uint64_t old = 0;
	register long size __asm__("r10") = sizeof(set);
	long r = SYS_rt_sigprocmask;

	__asm__ volatile("syscall"
			 : "+a"(r)
			 : "D"((long)SIG_BLOCK), "S"(&set), "d"(&old), "r"(size)
			 : "rcx", "r11", "memory");
	return old;
}
static inline void flexos__mpk_signals_release(uint64_t old)
{
	register long size __asm__("r10") = sizeof(old);
	long r = SYS_rt_sigprocmask;

	__asm__ volatile("syscall"
			 : "+a"(r)
			 : "D"((long)SIG_SETMASK), "S"(&old), "d"(0L), "r"(size)
			 : "rcx", "r11", "memory");
}
/*
 * call, with every signal but SIGSEGV and SIGSYS held meanwhile: for the
 * runtime's calls that open the gate page outside a gate call's windows
 * (the scheduler records' helpers, the callback records, a thread's
 * registration and binding, its home stack), where a signal's handler
 * would end the image (limit 9). Two system calls; no gate call pays them.
 */
#define MPK_SIGNALS_HELD(call)                               \
	(__extension__({                                     \
		uint64_t held_ = flexos__mpk_signals_hold(); \
		__typeof__(call) r_ = (call);                \
		flexos__mpk_signals_release(held_);          \
		r_;                                          \
	}))
#define MPK_SIGNALS_HELD_VOID(call)                          \
	do {                                                 \
		uint64_t held_ = flexos__mpk_signals_hold(); \
		call;                                        \
		flexos__mpk_signals_release(held_);          \
	} while (0)
struct mpk_urec_made flexos__mpk_urec_new(uintptr_t rsp, uintptr_t top, uint64_t frame,
					  const void *thread);
int flexos__mpk_urec_end(void *retval);
int flexos__mpk_urec_detach(uint64_t handle);
int flexos__mpk_urec_first(const void *thread);
void flexos__mpk_urec_free(uint64_t handle);
noreturn void flexos__mpk_thread_resume(void *load_sp, const void *load_from);

/* gate.S: the current PKRU. */
uint32_t flexos__mpk_rdpkru(void);

/* thread.c: the backend's user-level thread state (backend.h). */
int flexos__mpk_thread_init(void *state, void *stack, size_t size, void **sp, const void *frame);
void flexos__mpk_thread_switch(void *save_to, const void *load_from);
int flexos__mpk_thread_exit(void *state, void *retval);
int flexos__mpk_thread_result(const void *state, void **retval);
int flexos__mpk_thread_detach(void *state);
void flexos__mpk_thread_fini(void *state);
int flexos__mpk_thread_first(const void *state);
int flexos__mpk_thread_running(const void *state);

/* fault.c: installs the fault reporter; sigaltstack for the calling thread. */
int flexos__mpk_fault_init(const struct flexos_runtime *rt);

/*
 * The fault report (fault.c), entered by gate.S's report path on a copy of
 * the kernel's signal frame (delivered: where the kernel wrote its
 * ucontext, which locates the XSAVE area), and the handler's entry
 * (gate.S), which tells a delivered signal from a call by the PKRU it
 * finds.
 */
noreturn void flexos__mpk_on_segv(int sig, siginfo_t *si, void *ctx, uint32_t entry_pkru,
				  const void *delivered);
void flexos__mpk_segv_entry(int sig, siginfo_t *si, void *ctx);
/*
 * The SIGSYS handler's entry in images with newlib compartments (gate.S),
 * and the report of a denied system call (filter.c) it ends in.
 */
void flexos__mpk_sigsys_entry(int sig, siginfo_t *si, void *ctx);
noreturn void flexos__mpk_report_denied(const siginfo_t *si, const void *ctx);
/* The report path itself (gate.S), for the attack tests. */
/*
 * unwind.c, the report's unwinder. _dl_find_object for it (flexos-link
 * wraps the image's calls under intel-mpk): the runtime's read-only
 * table of the code loaded at start-up.
 */
struct dl_find_object;
int __real__dl_find_object(void *pc, struct dl_find_object *result);
int __wrap__dl_find_object(void *pc, struct dl_find_object *result);
/*
 * Copies each shared library's unwind table into read-only memory of its
 * own (bounds in ro->unwind_lo, unwind_hi) and points the start-up table
 * of code at the copies. Returns 0 or -errno (after saying why).
 */
int flexos__mpk_unwind_tables_copy(struct mpk_ro *ro);
/* Makes the unwinder's own state read-only, after one walk sets it up. */
void flexos__mpk_unwinder_seal(void);
void flexos__mpk_violation_entry(void);
/* This thread's signal stack: the one of its gate page, of index page. */
int flexos__mpk_altstack(struct mpk_thread *t, size_t page);
/* signal.c: sigaltstack only with a stack_t of mpk_ro.alt_table, or none. */
int flexos__mpk_altstack_filter(void);
/*
 * signal.c: the read-only page of the sigactions the runtime may install
 * after start-up (made by _seal, its address by _table), and the filter
 * that allows rt_sigaction only with one of them, or with none.
 */
int flexos__mpk_sigaction_table_seal(void);
uintptr_t flexos__mpk_sigaction_table(void);
int flexos__mpk_sigaction_filter(void);

/*
 * filter.c: the system-call filter, Landlock and mseal, installed once
 * start-up is over; for good. Returns 0 or -errno (after saying why).
 */
int flexos__mpk_filter_install(const struct flexos_runtime *rt);
/*
 * The files of /proc/<pid> a process may open under the filter (none maps
 * its memory), and the helper that opens them for a child of fork()
 * (procfiles.c): started before the Landlock layer, 0 or -errno.
 */
extern const char *const flexos__mpk_proc_files[] __attribute__((visibility("hidden")));
extern const size_t flexos__mpk_nproc_files __attribute__((visibility("hidden")));
int flexos__mpk_proc_files_start(void);

/*
 * signal.c: how every handler with a function is registered: with
 * SA_RESTORER pointing at gate.S's flexos__mpk_sigreturn (glibc's
 * sigaction would put its own restorer there, whose rt_sigreturn the
 * filter denies). Returns 0 or -errno.
 */
int flexos__mpk_sigaction(int sig, const struct sigaction *act, struct sigaction *old);

/*
 * gate.S: the only restorer of the image. Checks the frame at %rsp
 * (its XSAVE area restores PKRU) against the compartment this thread's
 * gate page says was running, then rt_sigreturn; anything else ends in
 * the report. flexos__mpk_sigreturn_syscall: the address right after its
 * syscall instruction, the only one the filter lets rt_sigreturn come from.
 */
void flexos__mpk_sigreturn(void);
extern const char flexos__mpk_sigreturn_syscall[];

/*
 * signal.c: the filter that allows rt_sigreturn only from
 * flexos__mpk_sigreturn (raw BPF: libseccomp cannot test the instruction
 * pointer), and what the trampoline needs on the read-only page. The
 * filter is loaded before libseccomp's, which denies seccomp(); both apply.
 */
int flexos__mpk_sigreturn_filter(void);
int flexos__mpk_sigreturn_init(struct mpk_ro *ro);

/*
 * Threads made after start-up (limit 2 of docs/threat-model.md). A thread
 * made with a live thread's FS base (clone with CLONE_SETTLS), or with its
 * creator's (clone with CLONE_VM and no CLONE_SETTLS), would pass the gate
 * page's owner check with that thread's page. flexos__mpk_clone_filter
 * (signal.c, raw BPF: libseccomp cannot test the instruction pointer)
 * answers clone3 ENOSYS (glibc then uses clone, whose arguments are
 * registers), lets clone without CLONE_VM, CLONE_THREAD or CLONE_SETTLS
 * (fork) through, refuses vfork and a vfork-like clone (EPERM), and lets every other
 * clone through only from the syscall of flexos__mpk_clone with the
 * nonce in %r9; anything else raises SIGSYS, whose handler (filter.c)
 * reports it (it never returns: the frame it would resume is on the
 * signal stack, key 0, which any compartment can rewrite meanwhile).
 *
 * flexos__mpk_clone (gate.S), entered with clone's registers (%rdi flags,
 * %rsi stack, %rdx parent_tid, %r10 child_tid, %r8 tls) and in %r11 the
 * address to resume at (glibc's, after its syscall): with every signal
 * blocked and the nonce readable (a WRPKRU checked as the others),
 * requires CLONE_SETTLS and a tls that no gate page names for a thread the
 * kernel still runs (or registered and not bound yet), registers a page
 * for it in this compartment, loads the nonce, writes the PKRU of the
 * compartment (checked), makes the syscall; the child binds its page;
 * both threads jump to %r11 with %rax = clone's result; anything else ends
 * in the report (MPK_REPORT_CLONE). flexos__mpk_clone_syscall: the address
 * right after its syscall instruction.
 */
int flexos__mpk_clone_filter(void);
void flexos__mpk_clone(void);
extern const char flexos__mpk_clone_syscall[];
/*
 * glibc 2.36's __clone, which pthread_create calls with every signal
 * blocked (so a SIGSYS would kill the process): filter.c makes it call
 * flexos__mpk_clone_glibc (gate.S: movabs $it, %r11; call *%r11, 13
 * bytes), which goes on at flexos__mpk_clone and resumes in glibc's right
 * after its syscall, MPK_GLIBC_CLONE_RESUME bytes after that call's
 * return address.
 */
void flexos__mpk_clone_glibc(void);
/*
 * The clone site is in force (filter.c): it registers and binds each new
 * thread's page itself, and pthread_create's wrapper must not register it
 * again (which would take the page from the thread that bound it).
 */
extern int flexos__mpk_clone_active;

/*
 * One setjmp: its jmp_buf's address, the gate depth and compartment it
 * ran in, the registers the jump restores (regs: rbx, rbp, r12..r15, the
 * stack pointer and address it returns to), the signal mask (sigsetjmp
 * with savemask) and the gate page's sp[] then, which the jump restores
 * for the compartments whose gate calls it unwinds.
 */
struct mpk_jump {
	uint64_t env;
	uint64_t depth;
	uint64_t comp;
	uint64_t savemask;
	uint64_t regs[8];
	uint64_t mask;
	uint64_t sp[MPK_SLOTS];
};

struct mpk_jump_page {
	uint64_t owner; /* the gate page's owner when the records were made */
	uint64_t armed;
	uint64_t n;
	/*
	 * The signal mask a longjmp puts in force once the page is closed
	 * (gate.S: flexos__backend_longjmp, which blocks every signal while
	 * it is open): the record's (siglongjmp) or the jumper's.
	 */
	uint64_t mask_after;
	uint64_t pad[4];
	struct mpk_jump j[MPK_JUMPS];
};

_Static_assert(sizeof(struct mpk_jump) == MPK_J_SIZE, "gate.S layout");
_Static_assert(offsetof(struct mpk_jump, comp) == MPK_J_COMP, "gate.S layout");
_Static_assert(offsetof(struct mpk_jump, regs) == MPK_J_REGS, "gate.S layout");
_Static_assert(offsetof(struct mpk_jump_page, armed) == MPK_J_ARMED, "gate.S layout");
_Static_assert(offsetof(struct mpk_jump_page, mask_after) == MPK_J_MASK_AFTER, "gate.S layout");
_Static_assert(offsetof(struct mpk_jump_page, j) == MPK_J_REC, "gate.S layout");
_Static_assert(sizeof(struct mpk_jump_page) <= 4096, "one page");
_Static_assert((MPK_JUMPS & (MPK_JUMPS - 1)) == 0, "gate.S masks the index");

/*
 * jump.c, called by gate.S with the gate page open: records a setjmp
 * (env, savemask; regs as in struct mpk_jump; mask, the thread's signal
 * mask at the setjmp, which gate.S has blocked since), and checks a longjmp to
 * env: -1 when it crosses no gate (the C library's longjmp does it),
 * else the gate state is unwound to the record's and the record armed
 * for gate.S's jump; either way the mask to put in force after
 * (mask_after of the jump page) is *mask, the jumper's, or the record's
 * where its sigsetjmp saved one. A jump that cannot be honoured ends in
 * a report.
 */
void flexos__mpk_jump_record(struct mpk_gate_page *gp, uint64_t env, uint64_t savemask,
			     const uint64_t *regs, const uint64_t *mask);
int flexos__mpk_jump_unwind(struct mpk_gate_page *gp, uint64_t env, const uint64_t *mask);
/* mpk.c's claim: a thread's fresh gate page starts with no records. */
void flexos__mpk_jump_reset(struct mpk_gate_page *gp);

/* An entry of the handler table (MPK_SIG_*). */
struct mpk_sig_handler {
	uint64_t fn_comp;
	int32_t flags;
	uint32_t unused;
};

_Static_assert(sizeof(struct mpk_sig_handler) == 1 << MPK_SIG_SHIFT, "gate.S layout");
_Static_assert(offsetof(struct mpk_sig_handler, flags) == MPK_SIG_FLAGS, "gate.S layout");
_Static_assert(MPK_SIG_SLOTS >= _NSIG && MPK_SIG_SLOTS * 16 <= 4096, "one page");
_Static_assert(MPK_FAULT_SIGNALS == (1u << (SIGSEGV - 1) | 1u << (SIGSYS - 1)),
	       "the signals of the runtime's faults");
_Static_assert(MPK_PKRU_SIG_COPY_PKRU + 4 <= MPK_PKRU_MAIN, "the PKRU table's page");
_Static_assert(MPK_SIG_COPY_UC + MPK_UC_COPY <= MPK_SIG_COPY_FP && MPK_SIG_COPY_FP % 64 == 0,
	       "gate.S: SIGRETURN_COPY");
_Static_assert(offsetof(ucontext_t, uc_stack.ss_flags) == MPK_UC_SS_FLAGS,
	       "gate.S: SIGRETURN_COPY");
_Static_assert(offsetof(ucontext_t, uc_mcontext) == MPK_UC_STACK_END &&
		   MPK_SIG_COPY_UC + MPK_UC_STACK_END == 4096 &&
		   MPK_SIG_COPY_UREC + 8 <= MPK_SIG_COPY_UC,
	       "signal.c: the resumed copy's first page");

/*
 * gate.S: the handler the kernel calls for every handler the wrapped
 * sigaction registers. With the PKRU of the compartment this thread's gate
 * page says is running (checked), it calls the gate of the image with
 * entry MPK_GATE_ENTRY_SIGNAL: the gate enters the compartment that
 * installed the handler of sig, on its stack of this thread, calls the
 * handler and comes back; then its ret goes to the kernel's pretcode,
 * flexos__mpk_sigreturn.
 */
void flexos__mpk_sig_deliver(int sig, siginfo_t *si, void *ctx);

/*
 * gate.S: the gate paths' windows (WINDOW), as offsets from
 * flexos__mpk_gate_text_lo, which signal.c puts on the PKRU table's page
 * as addresses (MPK_PKRU_WINDOWS).
 */
struct mpk_window {
	uint32_t lo, tail, hi, restart;
};
extern const struct mpk_window flexos__mpk_windows[], flexos__mpk_windows_end[];
extern const char flexos__mpk_gate_text_lo[];

/*
 * gate.S: records fn (flags) as the handler of sig, installed by the
 * compartment this thread's gate page says is running, with the gate
 * page's key open for the write (OPEN_GATE, checked). Returns 0.
 */
int flexos__mpk_sig_record(int sig, void *fn, int flags);

/* A scheduler callback's record (MPK_CB_SIZE), and the backend's callback_* (backend.h). */
struct mpk_cb {
	uint64_t owner; /* the compartment that bound it + 1; 0: free */
	void (*fn)(void);
	void *arg;
	const void *obj; /* the scheduler's timer or watch that names it */
};
_Static_assert(sizeof(struct mpk_cb) == MPK_CB_SIZE, "gate.S layout");
int flexos__mpk_cb_bind(void (*fn)(void), void *arg, const void *obj);               /* gate.S */
void flexos__mpk_cb_unbind(int handle);                                              /* gate.S */
int flexos__mpk_cb_take(int handle, const void *obj, void (**fn)(void), void **arg); /* thread.c */

/*
 * stacks.c: the pool of thread stacks (limit 14 of docs/threat-model.md).
 * stacks_init, at start-up before the filter: reserves, guards and keys
 * each compartment's pool and its holders' table (gate key); 0 or -errno.
 * stack_take, with the gate page open: a free stack of comp, now
 * holder's (a gate page or switch record address); its top. Ends in a
 * report naming FLEXOS_MPK_STACKS when none is left. (A switch record's
 * stacks go back in gate.S's flexos__mpk_urec_free, with registers only:
 * every holder word naming it in [table_lo, table_hi) of
 * flexos__mpk_pools, at MPK_POOLS_TABLE, becomes 0.)
 * stacks_release_page: a gate page's stacks back to the pools when it is
 * handed to a new thread, unless its old thread still runs. pool_ranges: the pools and the
 * table, for the filter (at most max; how many). pool_owner: the
 * compartment of a pool's address, for the fault report, or -1.
 * pool_holders: comp's table and its length, for the attack tests.
 */
int flexos__mpk_stacks_init(uint32_t ncomp);
uintptr_t flexos__mpk_stack_take(uint64_t comp, uint64_t holder);
void flexos__mpk_stacks_release_page(const struct mpk_gate_page *gp);
/*
 * The thread that bound gp, by the kernel (tgkill with signal 0 on the
 * tid the page recorded): gone; running in this process; or bound in
 * another (this is a child of fork(): the forking thread runs here under
 * another tid until its first clone records its own, the others are not
 * here). Nothing bound: gone.
 */
enum mpk_page_thread { MPK_THREAD_GONE, MPK_THREAD_RUNS, MPK_THREAD_ELSEWHERE };
enum mpk_page_thread flexos__mpk_page_thread(const struct mpk_gate_page *gp);
struct flexos__range;
size_t flexos__mpk_pool_ranges(struct flexos__range *out, size_t max);
int flexos__mpk_pool_owner(uintptr_t a, const char **what);
const uint64_t *flexos__mpk_pool_holders(uint64_t comp, size_t *n);

/* mpk.c: the stacks made so far, as ranges (at most max); returns how many. */
struct flexos__range;
size_t flexos__mpk_stack_ranges(struct flexos__range *out, size_t max);

/*
 * libflexos-harden.a (src/harden/asan.c), linked when a compartment is
 * built with asan: gives the shadow of compartment id's heap and sections
 * its key (the pages wholly inside it), and says which ranges those were
 * for the filter's range rules (range i: 0; 1 if that slot is empty; -1
 * past the last). Weak: NULL otherwise.
 */
int flexos__asan_key_shadow(uint32_t id, int key) __attribute__((weak));
/*
 * The same for a stack of compartment id, [lo, hi), recorded for the
 * filter (main's stack and the pool of thread stacks: twice a
 * compartment at most): 0 or -errno. Weak.
 */
int flexos__asan_key_stack_shadow(uint32_t id, uintptr_t lo, uintptr_t hi, int key)
    __attribute__((weak));
int flexos__asan_keyed_shadow(uint32_t id, unsigned i, uintptr_t *lo, uintptr_t *hi) __attribute__((weak));
/*
 * In an image with a `libc: newlib` compartment built with asan: the
 * shadow of the n shared regions r takes the shared key (nothing
 * otherwise); their ranges are flexos__asan_keyed_shadow's for id
 * MPK_ASAN_SHARED. 0 or -errno. Weak.
 */
struct flexos_region;
int flexos__asan_key_shared_shadow(const struct flexos_region *r, unsigned n, int key)
    __attribute__((weak));
#define MPK_ASAN_SHARED FLEXOS_MAX_COMPARTMENTS

#endif /* __ASSEMBLER__ */
#endif /* FLEXOS_MPK_H */
