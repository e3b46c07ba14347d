/*
 * This file is private to the lwIP component (src/lwip/): what the
 * driver (libflexos-lwip.a) and the scheduler's sys_arch
 * (libflexos-lwip-sched.a) share.
 */
#ifndef FLEXOS_LWIP_IMPL_H
#define FLEXOS_LWIP_IMPL_H

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

#endif /* FLEXOS_LWIP_IMPL_H */
