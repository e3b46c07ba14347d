/*
 * The server's network layer: one contract, two implementations chosen at
 * link time, net-linux.c (the kernel's sockets) and net-lwip.c (lwIP's
 * sockets, in a FlexOS image). Descriptors are the implementation's own.
 * Functions return a value >= 0 or -errno.
 */
#ifndef KVSERVER_NET_H
#define KVSERVER_NET_H

#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

/* The implementation's name in messages, e.g. "linux sockets". */
extern const char kv_net_name[];

/*
 * The server's stop flag, set by its signal handler. The implementation
 * defines it in memory every compartment may write: under intel-mpk the
 * kernel runs a handler with the default PKRU (key 0 only), whichever
 * compartment it interrupted.
 */
extern volatile sig_atomic_t kv_net_stop;

/*
 * Starts the network stack with spec, the --net option (NULL if not
 * given), sized for max_clients connections. Prints what is wrong on
 * failure.
 */
int kv_net_start(const char *spec, size_t max_clients);

/* A non-blocking TCP socket listening on port of every IPv4 address. */
int kv_net_listen(int port, int backlog);

/* One new connection, non-blocking, without Nagle's delay; -EAGAIN if none. */
int kv_net_accept(int lfd);

/* Bytes sent, or -EAGAIN when the socket's buffer is full. */
ssize_t kv_net_send(int fd, const void *buf, size_t n);

/* Sends end-of-stream; the socket may still receive. */
int kv_net_shutdown(int fd);

void kv_net_close(int fd);

/* One connection in a kv_net_exchange. */
struct kv_xfer {
	int fd;
	short events;    /* as poll's; POLLOUT is added while out is unsent */
	short revents;   /* set: what the poll reported */
	const char *out; /* sent first, as much as goes without blocking */
	size_t out_len;
	ssize_t sent;   /* set: bytes sent, or -errno (-EAGAIN: none) */
	char *in;       /* received into once readable */
	size_t in_room; /* 0: nothing is received */
	ssize_t got;    /* set: bytes received, 0 at end of stream, or -errno (-EAGAIN: none) */
};

/*
 * A round of I/O over at most max_clients + 1 descriptors: sends each
 * entry's out without blocking, then polls them all (timeout_ms as
 * poll(2)'s), then receives once into the in of each readable one. sent,
 * got and revents are set in every entry, whatever the result. Returns
 * the number of entries with revents, or -errno (-EINTR: a signal came).
 * Buffers are from kv_net_alloc. Over lwIP this is one call into lwIP's
 * compartment (flexos_lwip_exchange): one gate per round, not per socket
 * call.
 */
int kv_net_exchange(struct kv_xfer *x, size_t n, int timeout_ms);

/*
 * Memory the stack may read and write: every buffer passed to it, and the
 * in and out buffers of kv_net_exchange (shared memory when the stack is in
 * another compartment; the kv_xfer array itself may be private).
 */
void *kv_net_alloc(size_t size);
void kv_net_free(void *p);

#endif
