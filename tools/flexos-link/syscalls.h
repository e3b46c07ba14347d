/*
 * This file is private to flexos-link: the names 'syscalls:' accepts in
 * flexos.yaml, system calls and named groups of them.
 */
#ifndef FLEXOS_LINK_SYSCALLS_H
#define FLEXOS_LINK_SYSCALLS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Appends to *nrs (of *n entries, grown with realloc) the numbers name
 * stands for: a group ("files", "network", ...) or one system call
 * ("openat"). Returns 0; -ENOENT if name is neither; -EPERM if it names a
 * call no compartment may be allowed, with *why saying what it would
 * give away.
 */
int flx_syscalls_resolve(const char *name, uint32_t **nrs, size_t *n, const char **why);

/* The groups, "files, network, ...", for messages. */
const char *flx_syscall_groups(void);

#endif
