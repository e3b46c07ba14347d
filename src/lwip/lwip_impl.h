/*
 * This file is private to the lwIP component (src/lwip/): what the
 * driver (libflexos-lwip.a) and the scheduler's sys_arch
 * (libflexos-lwip-sched.a) share.
 */
#ifndef FLEXOS_LWIP_IMPL_H
#define FLEXOS_LWIP_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lwip/ip4_addr.h>

/* A parsed spec (include/flexos/lwip.h). */
struct flexos__lwip_spec {
	char tap[16]; /* IFNAMSIZ */
	ip4_addr_t addr, netmask, gw;
	uint8_t mac[6];
};

/*
 * Parses spec into *out: 0, or -EINVAL after printing what is wrong to
 * stderr.
 */
int flexos__lwip_parse_spec(const char *spec, struct flexos__lwip_spec *out);

/*
 * How the driver runs its receive thread on the scheduler. Defined by
 * libflexos-lwip-sched.a, next to the sys_arch it gives lwIP; the driver
 * refers to it weakly, so that without that archive lwIP and the driver
 * run on pthreads.
 */
struct flexos__lwip_sched_ops {
	/* Creates a joinable scheduler thread running fn(arg). 0 or -errno. */
	int (*thread_start)(void **thread, void *(*fn)(void *), void *arg);
	/* Joins it. */
	void (*thread_join)(void *thread);
	/* Parks the caller until fd is readable or timeout_ns passed. */
	int (*wait_readable)(int fd, int64_t timeout_ns);
	/* Lets the other threads run. */
	void (*yield)(void);
};

extern const struct flexos__lwip_sched_ops flexos__lwip_sched;

/*
 * The fewest slots an lwIP mailbox gets, on pthreads (mbox_pthread.c) and
 * on the scheduler (sys_arch_sched.c). Debian's build asks 0 for every
 * mailbox, and its unix port ignores the size anyway: 128 slots, 127
 * used. A listening socket's accept mailbox holds every connection that
 * completed its handshake and is not accepted yet, and nothing refuses
 * connections before it (Debian's lwIP has no listen backlog,
 * TCP_LISTEN_BACKLOG 0): when it is full, lwIP resets the new connection.
 * Under process each accept is an RPC, and a burst of 200 clients
 * overflowed 127. lwIP's sizes cannot tell that mailbox from a socket's
 * receive mailbox, so every mailbox pays the 8 KiB of 1024 slots.
 */
#define FLEXOS__LWIP_MBOX_MIN 1024

/* The capacity of a mailbox for which lwIP asks size slots (0: its default). */
static inline size_t flexos__lwip_mbox_capacity(int size)
{
	return size > FLEXOS__LWIP_MBOX_MIN ? (size_t)size : FLEXOS__LWIP_MBOX_MIN;
}

/*
 * Whether liblwip.so has created a mailbox with mbox_pthread.c's
 * sys_mbox_new, i.e. whether its calls reach the image's mailboxes. The
 * driver asks on pthreads, which also links mbox_pthread.o in.
 */
bool flexos__lwip_mbox_pthread_used(void);

#endif /* FLEXOS_LWIP_IMPL_H */
