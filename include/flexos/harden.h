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
#define FLEXOS_ASAN_SHADOW_OFFSET 0x7fff8000

/* One bit per hardening option of flexos.yaml, in the order of flexos-link's table. */
#define FLEXOS_HARDEN_STACK_PROTECTOR 0x1u /* stack-protector */
#define FLEXOS_HARDEN_UBSAN           0x2u /* ubsan */
#define FLEXOS_HARDEN_ASAN            0x4u /* asan */
#define FLEXOS_HARDEN_FORTIFY         0x8u /* fortify */

/*
 * The same, as flexos-link writes them into flexos_compartment.flags
 * (<flexos/image.h>), which keeps bits 0..15 for itself.
 */
#define FLEXOS_COMP_HARDEN_SHIFT           16
#define FLEXOS_COMP_HARDEN_STACK_PROTECTOR (FLEXOS_HARDEN_STACK_PROTECTOR << FLEXOS_COMP_HARDEN_SHIFT)
#define FLEXOS_COMP_HARDEN_UBSAN           (FLEXOS_HARDEN_UBSAN << FLEXOS_COMP_HARDEN_SHIFT)
#define FLEXOS_COMP_HARDEN_ASAN            (FLEXOS_HARDEN_ASAN << FLEXOS_COMP_HARDEN_SHIFT)
#define FLEXOS_COMP_HARDEN_FORTIFY         (FLEXOS_HARDEN_FORTIFY << FLEXOS_COMP_HARDEN_SHIFT)
#define FLEXOS_COMP_HARDEN_MASK            (0xfu << FLEXOS_COMP_HARDEN_SHIFT)

/*
 * Besides the bits flexos-link writes into the compartment table, an
 * image may name hardened compartments here (the runtime's own tests do):
 * an array ending with a NULL name, read once before any constructor runs.
 * The runtime takes the union of both.
 */
struct flexos_harden_override {
	const char *compartment;
	uint32_t flags; /* FLEXOS_COMP_HARDEN_* */
};

extern const struct flexos_harden_override flexos_harden_override[] __attribute__((weak));

#endif /* FLEXOS_HARDEN_H */
