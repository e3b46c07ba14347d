/*
 * FlexOS for Linux: per-compartment hardening, the contract between the
 * compile side (flexos-cc, pkg-config flexos-harden-<option>), flexos-link,
 * which verifies objects, and the hardening runtimes (docs/hardening.md).
 *
 * This header should only be used by flexos-link, flexos-cc and the
 * hardening runtimes. The compiler flags of each option are listed once, in
 * tools/flexos-link/harden.c.
 */
#ifndef FLEXOS_HARDEN_H
#define FLEXOS_HARDEN_H

/*
 * The shadow offset objects of an 'asan' compartment are compiled with
 * (-fasan-shadow-offset): shadow byte of address a is at
 * (a >> 3) + FLEXOS_ASAN_SHADOW_OFFSET. It is userspace ASan's x86-64
 * value, under which the shadow of the whole 47-bit user address space
 * fits in user space; the runtime maps the part it needs. Stack red zones
 * are poisoned inline with it, so an object compiled with another offset
 * is refused by flexos-link.
 */
#define FLEXOS_ASAN_SHADOW_OFFSET 0x7fff8000

/* One bit per hardening option of flexos.yaml, in the order of the table. */
#define FLEXOS_HARDEN_STACK_PROTECTOR 0x1u /* stack-protector */
#define FLEXOS_HARDEN_UBSAN           0x2u /* ubsan */
#define FLEXOS_HARDEN_ASAN            0x4u /* asan */
#define FLEXOS_HARDEN_FORTIFY         0x8u /* fortify */

#endif
