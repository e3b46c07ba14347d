/*
 * FlexOS for Linux: the image format, the contract between flexos-link and
 * the runtime.
 *
 * This header should only be used by flexos-link, the runtime and backend
 * implementations. Applications use <flexos/flexos.h>; backends implement
 * <flexos/backend.h>.
 *
 * flexos-link writes one image descriptor (struct flexos_image) into every
 * image, as assembly (tools/flexos-link/table.c, whose static assertions
 * pin the layout below). The runtime reads it before main.
 */
#ifndef FLEXOS_IMAGE_H
#define FLEXOS_IMAGE_H

#include <flexos/names.h>

/* "FLEXOS\0\1": the image descriptor's magic number. */
#define FLEXOS_IMAGE_MAGIC 0x0100534f58454c46ULL
/* Bumped whenever the layout of struct flexos_image (or of its tables) changes. */
#define FLEXOS_IMAGE_VERSION 7

/* The most compartments any backend handles; the table is that big. */
#define FLEXOS_MAX_COMPARTMENTS 64

/* Properties of a mechanism (the last column of FLEXOS_MECHANISMS). */
/* Gates cross compartments; without it every gate is the plain call. */
#define FLEXOS_MECH_ISOLATES 0x1u
/*
 * Compartments are protection keys: flexos-link refuses images whose
 * compartment code can write PKRU, and a newlib compartment costs a key.
 */
#define FLEXOS_MECH_PKEYS 0x2u
/* Compartments run under a system-call policy ('syscalls:' in flexos.yaml). */
#define FLEXOS_MECH_SYSCALLS 0x4u

/*
 * The isolation mechanisms, one line each:
 *   X(ID, spelling in flexos.yaml, backend archive and pkg-config name,
 *     most compartments, FLEXOS_MECH_* properties, libraries its images
 *     link besides the archive)
 * FLEXOS_MECH_<ID> is the value of flexos_image.mechanism. Adding a
 * mechanism is a line here plus a directory under backends/
 * (docs/backends.md). intel-mpk: 15 protection keys are left besides key
 * 0, which the platform keeps.
 */
#define FLEXOS_MECHANISMS(X)                                                               \
	X(NONE, "none", "flexos-none", FLEXOS_MAX_COMPARTMENTS, 0, "")                     \
	X(MPK, "intel-mpk", "flexos-mpk", 15, FLEXOS_MECH_ISOLATES | FLEXOS_MECH_PKEYS,    \
	  "-lseccomp")                                                                     \
	X(PROCESS, "process", "flexos-process", FLEXOS_MAX_COMPARTMENTS,                   \
	  FLEXOS_MECH_ISOLATES | FLEXOS_MECH_SYSCALLS, "-lseccomp")

/*
 * The regions of a compartment, in image order, one line each:
 *   X(ID, name, default output section it follows, input sections it collects)
 * A region's output section is .flexos.<comp>.<name>, bounded by
 * __flexos_<comp>_<name>_start/_end (<flexos/names.h>). Relocated
 * constants (.data.rel.ro*) are written at load time, so they go with the
 * data, which .data.* covers.
 */
#define FLEXOS_REGIONS(X)                                   \
	X(TEXT, "text", ".text", ".text .text.*")           \
	X(RODATA, "rodata", ".rodata", ".rodata .rodata.*") \
	X(DATA, "data", ".data", ".data .data.*")           \
	X(BSS, "bss", ".bss", ".bss .bss.* COMMON")

/* Bits of flexos_compartment.flags. */
#define FLEXOS_COMP_DEFAULT       0x1u /* runs main */
#define FLEXOS_COMP_SHARED_STACKS 0x2u /* stack: shared */
#define FLEXOS_COMP_RESTART       0x4u /* on_crash: restart */
/*
 * sandbox_of: this compartment's host may read and write its memory (the
 * sandbox still cannot touch the host's). The host's id is in bits 8..15.
 */
#define FLEXOS_COMP_SANDBOX 0x8u
/*
 * libc: newlib: the compartment has a C library of its own (libc_glue
 * points at its system-call glue) and needs nothing of glibc's memory;
 * under MPK it runs with key 0 denied.
 */
#define FLEXOS_COMP_NEWLIB      0x10u
/* syscalls: all: no system-call policy (FLEXOS_MECH_SYSCALLS mechanisms). */
#define FLEXOS_COMP_SYSCALLS_ALL 0x20u
/* syscalls_denied: errno: a denied system call fails with EPERM instead of a report. */
#define FLEXOS_COMP_SYSCALLS_ERRNO 0x40u
/*
 * constants: private: its string literals stay in its own .rodata, out of
 * the shared read-only section of constants (FLEXOS_CONSTANTS_SECTION).
 */
#define FLEXOS_COMP_CONSTANTS_PRIVATE 0x80u
#define FLEXOS_COMP_HOST_SHIFT  8
#define FLEXOS_COMP_HOST(flags) (((flags) >> FLEXOS_COMP_HOST_SHIFT) & 0xffu)

/*
 * Bits of flexos_entry.flags (below) that the gates read. The registers
 * of the call are known (a prototype, not variadic, no
 * vector argument or result wider than 16 bytes): it passes its arguments
 * in the first FLEXOS_ENTRY_NINT(flags) integer argument registers (rdi,
 * rsi, rdx, rcx, r8, r9; an sret pointer's rdi included) and the first
 * FLEXOS_ENTRY_NSSE(flags) vector ones (xmm0-xmm7), and its result in the
 * FLEXOS_ENTRY_RET_* registers. An isolating gate clears the caller's
 * other registers before the call and the callee's other result registers
 * after it, the x87 ones included. Without FLEXOS_ENTRY_REGS: none of
 * these bits.
 */
#define FLEXOS_ENTRY_REGS        0x20 /* (no suffixes: gate.S reads these) */
#define FLEXOS_ENTRY_RET_RAX     0x40
#define FLEXOS_ENTRY_RET_RDX     0x80
#define FLEXOS_ENTRY_RET_XMM0    0x4000
#define FLEXOS_ENTRY_RET_XMM1    0x8000
/*
 * A result narrower than its register (the gate clears the rest): an
 * integer of at most 4 bytes in %eax; a vector-class result of at most 8
 * bytes in xmm0's low quadword, of at most 4 in its low doubleword.
 */
#define FLEXOS_ENTRY_RET_EAX     0x10000000
#define FLEXOS_ENTRY_RET_XMM0_Q  0x20000000
#define FLEXOS_ENTRY_RET_XMM0_D  0x40000000
/* An x87 result: in st(0) (long double), or st(0) and st(1) (its _Complex). */
#define FLEXOS_ENTRY_RET_ST0     0x800000
#define FLEXOS_ENTRY_RET_ST1     0x80000000
#define FLEXOS_ENTRY_NINT_SHIFT  20 /* 3 bits */
#define FLEXOS_ENTRY_NSSE_SHIFT  24 /* 4 bits */
#define FLEXOS_ENTRY_NINT(flags) (((flags) >> FLEXOS_ENTRY_NINT_SHIFT) & 0x7u)
#define FLEXOS_ENTRY_NSSE(flags) (((flags) >> FLEXOS_ENTRY_NSSE_SHIFT) & 0xfu)
/*
 * Bits of flexos_entry.narrow, with FLEXOS_ENTRY_REGS: the argument
 * registers whose argument is narrower than the register. The gate
 * clears the rest: the upper half of an integer register that holds an
 * argument of at most 4 bytes (the ABI leaves it undefined; a narrower
 * one stays extended to 32 bits, as compilers pass it), bits 64-127 of a
 * vector register that holds at most 8 bytes (a double), bits 32-127 of
 * one that holds at most 4 (a float).
 */
/*
 * flexos_entry.narrow_stack, with FLEXOS_ENTRY_REGS: bit i, the stack
 * argument in eightbyte i (8(%rsp) at the call is eightbyte 0) is at most
 * 4 bytes: a gate that copies the stack arguments clears its upper half.
 */
#define FLEXOS_NARROW_INT(i) (1u << (i))        /* rdi 0 .. r9 5 */
#define FLEXOS_NARROW_Q(i)   (1u << (8 + (i)))  /* xmm0 .. xmm7 */
#define FLEXOS_NARROW_D(i)   (1u << (16 + (i))) /* xmm0 .. xmm7 */

#ifndef __ASSEMBLER__

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

enum flexos_mechanism {
#define FLEXOS__MECH_ENUM(id, name, archive, max, props, libs) FLEXOS_MECH_##id,
	FLEXOS_MECHANISMS(FLEXOS__MECH_ENUM)
#undef FLEXOS__MECH_ENUM
	    FLEXOS_MECH_COUNT
};

enum flexos_region_id {
#define FLEXOS__REGION_ENUM(id, name, after, inputs) FLEXOS_REGION_##id,
	FLEXOS_REGIONS(FLEXOS__REGION_ENUM)
#undef FLEXOS__REGION_ENUM
	    FLEXOS_REGION_COUNT
};

/* One line of FLEXOS_MECHANISMS. */
struct flexos_mechanism_info {
	const char *name;    /* spelling in flexos.yaml */
	const char *archive; /* lib<archive>.a, <archive>.pc */
	uint32_t max;        /* most compartments */
	uint32_t props;      /* FLEXOS_MECH_* */
	const char *libs;    /* what its images link besides the archive, or "" */
};

/* Mechanism m's line of the table, or NULL if there is no such mechanism. */
static inline const struct flexos_mechanism_info *flexos_mechanism(uint32_t m)
{
	static const struct flexos_mechanism_info table[] = {
#define FLEXOS__MECH_INFO(id, name, archive, max, props, libs) {name, archive, max, props, libs},
		FLEXOS_MECHANISMS(FLEXOS__MECH_INFO)
#undef FLEXOS__MECH_INFO
	};
	return m < FLEXOS_MECH_COUNT ? &table[m] : NULL;
}

/* The spelling of mechanism m in flexos.yaml, or NULL if there is none. */
static inline const char *flexos_mechanism_name(uint32_t m)
{
	return m < FLEXOS_MECH_COUNT ? flexos_mechanism(m)->name : NULL;
}

/* The backend archive of mechanism m (lib<archive>.a, <archive>.pc). */
static inline const char *flexos_mechanism_archive(uint32_t m)
{
	return m < FLEXOS_MECH_COUNT ? flexos_mechanism(m)->archive : NULL;
}

/* The most compartments an image of mechanism m may have (0: no such mechanism). */
static inline uint32_t flexos_mechanism_max(uint32_t m)
{
	return m < FLEXOS_MECH_COUNT ? flexos_mechanism(m)->max : 0;
}

/* The FLEXOS_MECH_* properties of mechanism m (0: no such mechanism). */
static inline uint32_t flexos_mechanism_props(uint32_t m)
{
	return m < FLEXOS_MECH_COUNT ? flexos_mechanism(m)->props : 0;
}

/* The libraries images of mechanism m link besides its archive ("" if none). */
static inline const char *flexos_mechanism_libs(uint32_t m)
{
	return m < FLEXOS_MECH_COUNT ? flexos_mechanism(m)->libs : "";
}

/* The mechanism spelled name in flexos.yaml, or -1. */
static inline int flexos_mechanism_by_name(const char *name)
{
	for (uint32_t m = 0; m < FLEXOS_MECH_COUNT; m++)
		if (!strcmp(flexos_mechanism_name(m), name))
			return (int)m;
	return -1;
}

/* A region: its name ("text"), the section it follows (".text"), its inputs. */
struct flexos_region_kind {
	const char *name;
	const char *after;
	const char *inputs;
};

/* The region with this id (FLEXOS_REGION_*). */
static inline const struct flexos_region_kind *flexos_region_kind(uint32_t id)
{
	static const struct flexos_region_kind kinds[] = {
#define FLEXOS__REGION_KIND(id, name, after, inputs) {name, after, inputs},
	    FLEXOS_REGIONS(FLEXOS__REGION_KIND)
#undef FLEXOS__REGION_KIND
	};
	return id < FLEXOS_REGION_COUNT ? &kinds[id] : NULL;
}

/* A page-aligned address range [start, end). */
struct flexos_region {
	uintptr_t start;
	uintptr_t end;
};

struct flexos_compartment {
	const char *name;
	uint32_t id;
	uint32_t flags; /* FLEXOS_COMP_* */
	struct flexos_region regions[FLEXOS_REGION_COUNT];
	void *libc_glue; /* FLEXOS_COMP_NEWLIB: its struct flexos_newlib_glue; else NULL */
	/*
	 * System calls allowed besides the backend's default policy, by
	 * number, ending with FLEXOS_SYSCALLS_END; NULL if none.
	 */
	const uint32_t *syscalls;
	uint64_t heap_size; /* bytes of address space its heap reserves (heap_size) */
};

#define FLEXOS_SYSCALLS_END UINT32_MAX

/*
 * A heap's size unless the config says 'heap_size': address space,
 * reserved at start-up and touched only as it is used. The shared heap
 * gets the largest heap_size of the image's compartments.
 */
#define FLEXOS_DEFAULT_HEAP_SIZE (64ULL << 20)
#define FLEXOS_MIN_HEAP_SIZE     (1ULL << 20)
#define FLEXOS_MAX_HEAP_SIZE     (1ULL << 40)

struct flexos_library {
	const char *name;
	uint32_t compartment; /* id */
	uint32_t reserved;
};

/* A shared library a library of the config claims: its data is its compartment's. */
struct flexos_shlib {
	const char *path; /* realpath() at link time */
	uint32_t compartment;
	uint32_t reserved;
};

/*
 * A gate target: a function of a compartment that gates (or callback
 * stubs) enter, and the compartments that may call it. A backend that
 * carries calls as requests (process) names the target by its index in
 * this read-only table, never by an address taken from shared memory.
 */
struct flexos_entry {
	uintptr_t fn;
	uint32_t compartment;
	uint32_t flags;   /* FLEXOS_ENTRY_* */
	uint32_t narrow;  /* FLEXOS_NARROW_* (gate.S reads it with flags, one quadword) */
	uint32_t narrow_stack;
	uint64_t callers; /* bit i: compartment i may call it; all ones for callbacks */
};

#define FLEXOS_ENTRY_CALLBACK 0x1u /* reached through a function pointer, from anywhere */
/*
 * The prototype is known: bits FLEXOS_ENTRY_PTR_SHIFT.. mark the integer
 * argument registers (rdi, rsi, rdx, rcx, r8, r9) that hold a data
 * pointer, and only those are pointers; with FLEXOS_ENTRY_VARIADIC the
 * registers from FLEXOS_ENTRY_NAMED(flags) on may hold anything.
 */
#define FLEXOS_ENTRY_PROTO 0x2u
#define FLEXOS_ENTRY_VARIADIC 0x4u
#define FLEXOS_ENTRY_PTR_SHIFT 8
#define FLEXOS_ENTRY_PTR_REG(i) (1u << (FLEXOS_ENTRY_PTR_SHIFT + (i)))
#define FLEXOS_ENTRY_NAMED_SHIFT 16
#define FLEXOS_ENTRY_NAMED(flags) (((flags) >> FLEXOS_ENTRY_NAMED_SHIFT) & 0xfu)
/*
 * Pointer lending: the stubs of this entry enter flexos__lend_gate with
 * %rax pointing at a struct flexos_lend (the callee is not variadic, so
 * %rax carries nothing). The runtime maps the lend arena only in images
 * that have such an entry.
 */
#define FLEXOS_ENTRY_LEND 0x8u
/*
 * A function under 'checkpoint:' of its library: a call to it from the
 * sandbox's host saves the sandbox's memory first, and a crash of the
 * sandbox during the call (on_crash: restart) puts that memory back.
 */
#define FLEXOS_ENTRY_CHECKPOINT 0x10u

/* Kinds of flexos_lend_arg and flexos_lend_member: how many bytes the pointer lends. */
#define FLEXOS_LEND_OBJECT 1 /* size bytes: a complete object type, or a size the config gives */
#define FLEXOS_LEND_STRING 2 /* strlen + 1: a const char * */
#define FLEXOS_LEND_BUFFER 3 /* size times a count: register len_reg, or a member */
#define FLEXOS_LEND_TRANSLATE 4 /* member only: not lent, but translated back if it points into a copy */
/*
 * Argument only: an array of pointers (a lend: rule "FN.ARG[]"), counted by
 * register len_reg, or by extra when len_reg is FLEXOS_LEND_NO_COUNT, or
 * up to its NULL (FLEXOS_LEND_NULL_TERMINATED). Each element that names
 * the caller's private memory is lent too: a heap object by its
 * allocation, another by size bytes (0: not lent).
 */
#define FLEXOS_LEND_ARRAY    5
#define FLEXOS_LEND_NO_COUNT 0xffu
/* Bits of flexos_lend_arg.flags and flexos_lend_member.flags. */
#define FLEXOS_LEND_IN_ONLY 0x1u      /* a pointer to const: nothing is copied back */
#define FLEXOS_LEND_COUNT_SIGNED 0x2u /* the count is a signed integer (negative: nothing lent) */
#define FLEXOS_LEND_COUNT_DEREF 0x4u  /* argument only: len_reg points at the count */
#define FLEXOS_LEND_NULL_TERMINATED 0x8u  /* FLEXOS_LEND_ARRAY: up to and with its NULL */
/*
 * Argument only: the library keeps the pointer past the call (a lend:
 * rule "..., kept until FN"): the object stays lent, its copy in the
 * shared heap, until the caller calls the function whose
 * flexos_lend.ends is this argument's until, with the same first
 * argument; each call from the caller into the callee's compartment
 * brings the copy and the object up to date in between.
 */
#define FLEXOS_LEND_KEPT 0x10u

/*
 * A pointer member of a struct an argument lends (nested lending): lent
 * too, for the same call, when it names the caller's private memory.
 */
struct flexos_lend_member {
	uint32_t offset;       /* of the pointer in the struct */
	uint8_t kind;          /* FLEXOS_LEND_* */
	uint8_t flags;         /* FLEXOS_LEND_IN_ONLY, FLEXOS_LEND_COUNT_SIGNED */
	uint8_t count_size;    /* FLEXOS_LEND_BUFFER: bytes of the count member (1, 2, 4, 8) */
	uint8_t reserved;
	uint32_t size;         /* bytes of the pointee (FLEXOS_LEND_BUFFER: of one element) */
	uint32_t count_offset; /* FLEXOS_LEND_BUFFER: the count member's offset in the struct */
	const char *name;      /* the member's name */
	int32_t extra;         /* FLEXOS_LEND_BUFFER: bytes added to count times size */
	uint32_t reserved2;
};

/*
 * What a gate with lendable pointer arguments lends (flexos-link writes
 * one per such gate, read-only; backends/common/lend.c reads them).
 */
struct flexos_lend_arg {
	uint8_t reg;      /* integer argument register: 0 rdi .. 5 r9 */
	uint8_t kind;     /* FLEXOS_LEND_* */
	uint8_t len_reg;  /* FLEXOS_LEND_BUFFER: the register that holds the count */
	uint8_t flags;    /* FLEXOS_LEND_IN_ONLY, FLEXOS_LEND_COUNT_SIGNED */
	uint32_t size;    /* bytes of the pointee (FLEXOS_LEND_BUFFER: of one element) */
	const char *name; /* the parameter's name, or NULL */
	const struct flexos_lend_member *members; /* a lent struct's pointer members, or NULL */
	uint16_t nmembers;
	uint8_t count_size; /* FLEXOS_LEND_BUFFER: bytes of the count register's type */
	uint8_t until;      /* FLEXOS_LEND_KEPT: which call ends the keeping (flexos_lend.ends) */
	int32_t extra; /* FLEXOS_LEND_BUFFER: bytes added to count times size */
};

/*
 * A gate into a library with kept objects (FLEXOS_LEND_KEPT) has one even
 * without lendable arguments: its calls bring the kept objects up to date.
 */
struct flexos_lend {
	void (*gate)(void); /* the backend's gate the plain stub would enter */
	const char *fn;     /* the callee's name, for reports */
	uint32_t nargs;
	uint32_t ends; /* non-zero: this call ends the keeping of the objects whose until it is */
	struct flexos_lend_arg args[];
};

struct flexos_backend;

/*
 * The image descriptor. flexos-link writes it field by field in this
 * order (tools/flexos-link/table.c asserts every offset).
 */
struct flexos_image {
	uint64_t magic;     /* FLEXOS_IMAGE_MAGIC */
	uint32_t version;   /* FLEXOS_IMAGE_VERSION */
	uint32_t mechanism; /* FLEXOS_MECH_* */
	uint32_t ncompartments;
	uint32_t default_id;
	uint32_t nlibraries;
	uint32_t reserved;
	const struct flexos_compartment *compartments; /* indexed by id */
	const struct flexos_library *libraries;
	struct flexos_region shared; /* the shared static data section */
	const struct flexos_backend *backend;
	const char *config_path; /* the flexos.yaml it was linked from */
	uint32_t nshlibs;
	uint32_t nentries;
	const struct flexos_shlib *shlibs;
	const struct flexos_entry *entries; /* gate targets, FLEXOS_ENTRY_* */
	/*
	 * Every gate's lend descriptor: a report names a lent object only
	 * from one of these (the lend arena's records are every compartment's).
	 */
	const struct flexos_lend *const *lends;
	uint32_t nlends;
	uint32_t reserved2;
};

/* The image descriptor flexos-link wrote; NULL if it did not link this. */
extern const struct flexos_image flexos__image __attribute__((weak));

#ifdef __cplusplus
}
#endif

#endif /* __ASSEMBLER__ */
#endif /* FLEXOS_IMAGE_H */
