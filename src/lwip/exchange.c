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

static ssize_t failed(void)
{
	int e = errno ? errno : EIO;
	return -(e == EWOULDBLOCK ? EAGAIN : e);
}

int flexos_lwip_exchange(struct flexos_lwip_xfer *x, size_t n, int timeout_ms)
{
	struct pollfd on_stack[XFER_ON_STACK], *pfd = on_stack;
	int ready;

	if (n > INT_MAX || (n && !x))
		return -EINVAL;
	/* Whatever happens next, each entry says what was done with it. */
	for (size_t i = 0; i < n; i++) {
		x[i].sent = -EAGAIN;
		x[i].got = -EAGAIN;
		x[i].revents = 0;
	}
	if (n > XFER_ON_STACK && !(pfd = malloc(n * sizeof(*pfd))))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (x[i].out_len) {
			errno = 0;
			ssize_t r = lwip_send(x[i].fd, x[i].out, x[i].out_len, MSG_DONTWAIT);
			x[i].sent = r < 0 ? failed() : r;
		}
		pfd[i].fd = x[i].fd;
		pfd[i].events = x[i].events;
		if (x[i].out_len && (x[i].sent < 0 ? x[i].sent == -EAGAIN
						   : (size_t)x[i].sent < x[i].out_len))
			pfd[i].events |= POLLOUT;
		pfd[i].revents = 0;
	}
	errno = 0;
	ready = lwip_poll(pfd, (nfds_t)n, timeout_ms);
	if (ready < 0) {
		ready = (int)failed();
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		x[i].revents = pfd[i].revents;
		if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) || !x[i].in_room)
			continue;
		errno = 0;
		ssize_t r = lwip_recv(x[i].fd, x[i].in, x[i].in_room, MSG_DONTWAIT);
		x[i].got = r < 0 ? failed() : r;
	}
out:
	if (pfd != on_stack)
		free(pfd);
	return ready;
}
