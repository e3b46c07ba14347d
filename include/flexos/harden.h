/*
 * FlexOS for Linux: hardening per compartment, the contract between the
 * tools that compile and link hardened compartments (flexos-cc,
 * flexos-link) and the runtimes of libflexos-harden.a.
 *
 * This header should only be used by those tools, the runtime and backend
 * implementations; applications need nothing of it.
 */
#ifndef FLEXOS_HARDEN_H
#define FLEXOS_HARDEN_H

#include <stdint.h>

/*
 * Where ASan's shadow lies: the shadow byte of address a is at
 * (a >> 3) + FLEXOS_ASAN_SHADOW_OFFSET. Objects of an asan compartment are
 * compiled with -fasan-shadow-offset=0x7fff8000 (gcc writes the stack's
 * red zones straight to the shadow), and the runtime maps the shadow
 * there: [0x7fff8000, 0x8fff7000) for the low 2 GiB, [0x02008fff7000,
 * 0x10007fff8000) for the rest of user space. The value is the one of
 * userspace ASan on x86-64, so the layout is the one tools know.
 */
#define FLEXOS_ASAN_SHADOW_OFFSET 0x7fff8000ULL

/*
 * The hardening options of a compartment ('hardening:' in flexos.yaml),
 * as bits of flexos_compartment.flags (<flexos/image.h>), which keeps bits
 * 0..15 for itself.
 */
#define FLEXOS_COMP_HARDEN_STACK_PROTECTOR 0x10000u
#define FLEXOS_COMP_HARDEN_UBSAN           0x20000u
#define FLEXOS_COMP_HARDEN_ASAN            0x40000u
#define FLEXOS_COMP_HARDEN_FORTIFY         0x80000u
#define FLEXOS_COMP_HARDEN_MASK            0xf0000u

/*
 * Until flexos-link writes the bits above into the compartment table, an
 * image may name its hardened compartments here: an array ending with a
 * NULL name, read once before any constructor runs. The runtime takes the
 * union of both.
 */
struct flexos_harden_override {
	const char *compartment;
	uint32_t flags; /* FLEXOS_COMP_HARDEN_* */
};

extern const struct flexos_harden_override flexos_harden_override[] __attribute__((weak));

#endif /* FLEXOS_HARDEN_H */
