/*
 * The network layer over lwIP's sockets (see net.h), for FlexOS images.
 * lwIP may sit in another compartment: everything handed to it is in shared
 * memory, and errno may not come back from it (under the process backend
 * lwIP sets its own process's errno), so a failure without errno is told
 * apart through SO_ERROR.
 */
#define _GNU_SOURCE
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include <lwip/sockets.h>

#include <flexos/flexos.h>
#include <flexos/lwip.h>

const char kv_net_name[] = "lwIP sockets";
volatile sig_atomic_t kv_net_stop FLEXOS_SHARED;

/* Arguments lwIP reads or writes, in one block of shared memory. */
struct scratch {
	struct sockaddr_in sa;
	int one;
	int err;
	socklen_t len;
	char spec[256];
};
static struct scratch *scratch;
/* kv_net_exchange's entries as lwIP reads them: max_clients + 1, shared. */
static struct flexos_lwip_xfer *xfer;
static size_t nxfer;

int kv_net_start(const char *spec, size_t max_clients)
{
	scratch = flexos_shared_calloc(1, sizeof(*scratch));
	xfer = flexos_shared_calloc(max_clients + 1, sizeof(*xfer));
	if (!scratch || !xfer) {
		flexos_shared_free(scratch);
		flexos_shared_free(xfer);
		fprintf(stderr, "kvserver: out of shared memory\n");
		return -ENOMEM;
	}
	if (spec && strlen(spec) >= sizeof(scratch->spec)) {
		fprintf(stderr, "kvserver: --net is longer than %zu characters: shorten it\n",
			sizeof(scratch->spec) - 1);
		return -EINVAL;
	}
	if (spec)
		strcpy(scratch->spec, spec);
	nxfer = max_clients + 1;
	return flexos_lwip_start(spec ? scratch->spec : NULL);
}

/* The error of a failed call: errno if lwIP's reached us, else SO_ERROR. */
static int failure(int fd)
{
	if (errno)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	scratch->err = 0;
	scratch->len = sizeof(scratch->err);
	if (lwip_getsockopt(fd, SOL_SOCKET, SO_ERROR, &scratch->err, &scratch->len) == 0 &&
	    scratch->err)
		return -scratch->err;
	return -EAGAIN;
}

static int set_nonblocking(int fd)
{
	errno = 0;
	if (lwip_fcntl(fd, F_SETFL, O_NONBLOCK) == 0)
		return 0;
	int err = failure(fd);
	return err == -EAGAIN ? -EINVAL : err;
}

int kv_net_listen(int port, int backlog)
{
	int fd, err;

	errno = 0;
	fd = lwip_socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return errno ? -errno : -ENFILE;
	memset(&scratch->sa, 0, sizeof(scratch->sa));
	scratch->sa.sin_family = AF_INET;
	scratch->sa.sin_port = htons((uint16_t)port);
	scratch->sa.sin_addr.s_addr = htonl(INADDR_ANY);
	scratch->one = 1;
	lwip_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &scratch->one, sizeof(scratch->one));
	errno = 0;
	if (lwip_bind(fd, (struct sockaddr *)&scratch->sa, sizeof(scratch->sa)) ||
	    lwip_listen(fd, backlog)) {
		err = errno ? -errno : -EADDRINUSE;
		lwip_close(fd);
		return err;
	}
	err = set_nonblocking(fd);
	if (err) {
		lwip_close(fd);
		return err;
	}
	return fd;
}

int kv_net_accept(int lfd)
{
	int fd, err;

	errno = 0;
	fd = lwip_accept(lfd, NULL, NULL);
	if (fd < 0)
		return failure(lfd);
	err = set_nonblocking(fd);
	if (err) {
		lwip_close(fd);
		return err;
	}
	scratch->one = 1;
	lwip_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &scratch->one, sizeof(scratch->one));
	return fd;
}

ssize_t kv_net_send(int fd, const void *buf, size_t n)
{
	errno = 0;
	ssize_t r = lwip_send(fd, buf, n, 0);
	return r < 0 ? failure(fd) : r;
}

int kv_net_shutdown(int fd)
{
	errno = 0;
	return lwip_shutdown(fd, SHUT_WR) ? (errno ? -errno : -ENOTCONN) : 0;
}

void kv_net_close(int fd)
{
	lwip_close(fd);
}

int kv_net_exchange(struct kv_xfer *x, size_t n, int timeout_ms)
{
	if (n > nxfer) {
		for (size_t i = 0; i < n; i++) {
			x[i].sent = x[i].got = -EAGAIN;
			x[i].revents = 0;
		}
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		xfer[i] = (struct flexos_lwip_xfer){.fd = x[i].fd,
						    .events = x[i].events,
						    .out = x[i].out,
						    .out_len = x[i].out_len,
						    .in = x[i].in,
						    .in_room = x[i].in_room};
	int r = flexos_lwip_exchange(xfer, n, timeout_ms);
	for (size_t i = 0; i < n; i++) {
		x[i].revents = xfer[i].revents;
		x[i].sent = xfer[i].sent;
		x[i].got = xfer[i].got;
	}
	return r;
}

void *kv_net_alloc(size_t size)
{
	return flexos_shared_malloc(size);
}

void kv_net_free(void *p)
{
	if (p)
		flexos_shared_free(p);
}
