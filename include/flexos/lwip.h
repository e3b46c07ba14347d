/*
 * FlexOS for Linux: the lwIP component (libflexos-lwip.a,
 * `pkg-config --libs flexos-lwip`).
 *
 * Starts Debian's lwIP (liblwip.so, NO_SYS=0) with one Ethernet interface
 * over a TAP device, so that the image can serve real clients through
 * lwIP's sockets (lwip_socket, lwip_bind, lwip_poll, ... from
 * <lwip/sockets.h>).
 *
 * lwIP runs on pthreads (liblwip's own sys_arch), or on the scheduler
 * component when libflexos-lwip-sched.a is linked too
 * (`pkg-config --libs flexos-lwip-sched`): then its threads are
 * user-level threads of the OS thread that called flexos_lwip_start, and
 * every lwIP call must come from that OS thread. See docs/lwip.md, which
 * also says where lwIP may be placed under each backend.
 */
#ifndef FLEXOS_LWIP_H
#define FLEXOS_LWIP_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Starts lwIP and brings up one interface on a TAP device that already
 * exists (`ip tuntap add dev NAME mode tap`). spec is a comma-separated
 * list of fields:
 *
 *   tap=NAME,addr=A.B.C.D,netmask=A.B.C.D[,gw=A.B.C.D][,mac=xx:xx:xx:xx:xx:xx]
 *
 * tap, addr and netmask are required; gw defaults to 0.0.0.0 (no gateway);
 * mac defaults to a locally administered address derived from addr
 * (02:00:A:B:C:D). A NULL spec reads the environment variable
 * FLEXOS_LWIP. The interface becomes lwIP's default one.
 *
 * Returns 0, or -errno after printing to stderr what is wrong and what to
 * do: -EINVAL (a bad spec), -EALREADY (an interface is already up), the error
 * of opening or attaching the TAP device (-ENODEV, -ENOENT, -EPERM, -EBUSY, ...),
 * -ENOMEM.
 */
int flexos_lwip_start(const char *spec);

/*
 * Removes the interface, stops the receive thread and closes the TAP
 * device. lwIP itself (its tcpip thread, its sockets) keeps running, as
 * lwIP 2.1 cannot be shut down: a later flexos_lwip_start brings up an
 * interface again. Returns 0, or -EINVAL if no interface is up.
 */
int flexos_lwip_stop(void);

/* One lwIP socket in a flexos_lwip_exchange. */
struct flexos_lwip_xfer {
	int fd;          /* an lwIP socket, non-blocking */
	short events;    /* as poll's; POLLOUT is added while out is unsent */
	short revents;   /* set: what lwip_poll reported */
	const void *out; /* sent first, as much as lwIP takes without blocking */
	size_t out_len;
	ssize_t sent;   /* set: bytes sent, or -errno (-EAGAIN: none) */
	void *in;       /* received into once the socket is readable */
	size_t in_room; /* 0: nothing is received */
	ssize_t got;    /* set: bytes received, 0 at end of stream, or -errno
			 * (-EAGAIN: nothing) */
};

/*
 * A round of socket I/O in one call: for each entry, sends out (without
 * blocking), then polls every entry as lwip_poll would (timeout_ms: -1
 * waits, 0 does not), then receives once into in for each entry that is
 * readable. Returns how many entries have revents, or -errno: EINVAL or
 * ENOMEM before anything is sent, or lwip_poll's error after the sends
 * (then sent holds what they did, and nothing is received). sent, got and
 * revents are set in every entry whatever the result.
 *
 * When lwIP is in another compartment, each lwIP call is a gate: an
 * application that serves many sockets crosses once per round with this
 * call rather than once per send, poll and receive. The array and the
 * buffers must then be memory lwIP's compartment may use (shared memory).
 * lwIP's errno is read where it is set, in lwIP's compartment.
 */
int flexos_lwip_exchange(struct flexos_lwip_xfer *x, size_t n, int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif /* FLEXOS_LWIP_H */
