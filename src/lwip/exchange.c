/*
 * flexos_lwip_exchange: a round of sends, one poll and receives over lwIP
 * sockets in one call (include/flexos/lwip.h). It runs in lwIP's
 * compartment (it is in libflexos-lwip.a, placed with lwIP), so that a
 * caller elsewhere pays one gate per round.
 */
#include "autoconfig.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include <lwip/sockets.h>

#include <flexos/lwip.h>

/* Rounds up to this many sockets poll from the stack. */
#define XFER_ON_STACK 64

/*
 * Larger rounds poll from a buffer of the calling thread that only grows,
 * in lwIP's compartment's heap (not freed when the thread ends).
 */
static __thread struct pollfd *big;
static __thread size_t big_n;

static struct pollfd *poll_set(struct pollfd *on_stack, size_t n)
{
	if (n <= XFER_ON_STACK)
		return on_stack;
	if (n > big_n) {
		struct pollfd *p = realloc(big, n * sizeof(*p));
		if (!p)
			return NULL;
		big = p;
		big_n = n;
	}
	return big;
}

/*
 * The error of the lwIP call that just failed. Here, in lwIP's
 * compartment, lwIP's errno is at hand (the caller's may not be, see
 * examples/kvserver/net-lwip.c); a failure that set none is -EIO.
 */
static ssize_t failed(void)
{
	int e = errno ? errno : EIO;
	return -(e == EWOULDBLOCK ? EAGAIN : e);
}

int flexos_lwip_exchange(struct flexos_lwip_xfer *x, size_t n, int timeout_ms)
{
	struct pollfd on_stack[XFER_ON_STACK], *pfd;
	int ready;

	if (n > INT_MAX || (n && !x))
		return -EINVAL;
	/* Whatever happens next, each entry says what was done with it. */
	for (size_t i = 0; i < n; i++) {
		x[i].sent = -EAGAIN;
		x[i].got = -EAGAIN;
		x[i].revents = 0;
	}
	if (!(pfd = poll_set(on_stack, n)))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (x[i].out_len) {
			errno = 0;
			ssize_t r = lwip_send(x[i].fd, x[i].out, x[i].out_len, MSG_DONTWAIT);
			x[i].sent = r < 0 ? failed() : r;
		}
		pfd[i].fd = x[i].fd;
		pfd[i].events = x[i].events;
		if (x[i].out_len &&
		    (x[i].sent < 0 ? x[i].sent == -EAGAIN : (size_t)x[i].sent < x[i].out_len))
			pfd[i].events |= POLLOUT;
		pfd[i].revents = 0;
	}
	errno = 0;
	/* lwIP takes no array with 0 entries: then it only sleeps. */
	ready = lwip_poll(n ? pfd : NULL, (nfds_t)n, timeout_ms);
	if (ready < 0)
		return (int)failed();
	for (size_t i = 0; i < n; i++) {
		x[i].revents = pfd[i].revents;
		if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) || !x[i].in_room)
			continue;
		errno = 0;
		ssize_t r = lwip_recv(x[i].fd, x[i].in, x[i].in_room, MSG_DONTWAIT);
		x[i].got = r < 0 ? failed() : r;
	}
	return ready;
}
