/* The network layer over the kernel's sockets: the baseline (see net.h). */
#define _GNU_SOURCE
#include "net.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

const char kv_net_name[] = "linux sockets";
volatile sig_atomic_t kv_net_stop;

/* kv_net_exchange's poll set: max_clients + 1 entries. */
static struct pollfd *pfd;
static size_t npfd;

int kv_net_start(const char *spec, size_t max_clients)
{
	struct rlimit rl;

	if (spec) {
		fprintf(stderr, "kvserver: --net is for the lwIP images; the Linux build uses the "
				"kernel's network: remove --net\n");
		return -EINVAL;
	}
	if (!(pfd = calloc(max_clients + 1, sizeof(*pfd)))) {
		fprintf(stderr, "kvserver: out of memory for %zu clients: lower --max-clients\n",
			max_clients);
		return -ENOMEM;
	}
	npfd = max_clients + 1;
	/* One descriptor per client, plus the listener and stdio. */
	rlim_t want = (rlim_t)max_clients + 16;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want) {
		rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur < want)
			fprintf(stderr,
				"kvserver: warning: only %llu descriptors allowed, fewer than "
				"--max-clients %zu needs: raise 'ulimit -n'\n",
				(unsigned long long)rl.rlim_cur, max_clients);
	}
	return 0;
}

int kv_net_listen(int port, int backlog)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int one = 1, err;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	sa.sin_addr.s_addr = htonl(INADDR_ANY);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, backlog)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int kv_net_accept(int lfd)
{
	int one = 1;
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

ssize_t kv_net_send(int fd, const void *buf, size_t n)
{
	ssize_t r;

	do
		r = send(fd, buf, n, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return r;
}

int kv_net_shutdown(int fd)
{
	return shutdown(fd, SHUT_WR) ? -errno : 0;
}

void kv_net_close(int fd)
{
	close(fd);
}

int kv_net_exchange(struct kv_xfer *x, size_t n, int timeout_ms)
{
	int ready;

	for (size_t i = 0; i < n; i++) {
		x[i].sent = x[i].got = -EAGAIN;
		x[i].revents = 0;
	}
	if (n > npfd)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (x[i].out_len)
			x[i].sent = kv_net_send(x[i].fd, x[i].out, x[i].out_len);
		pfd[i] = (struct pollfd){.fd = x[i].fd, .events = x[i].events};
		if (x[i].out_len &&
		    (x[i].sent < 0 ? x[i].sent == -EAGAIN : (size_t)x[i].sent < x[i].out_len))
			pfd[i].events |= POLLOUT;
	}
	ready = poll(pfd, (nfds_t)n, timeout_ms);
	if (ready < 0)
		return -errno;
	for (size_t i = 0; i < n; i++) {
		x[i].revents = pfd[i].revents;
		if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) || !x[i].in_room)
			continue;
		ssize_t r;
		do
			r = recv(x[i].fd, x[i].in, x[i].in_room, 0);
		while (r < 0 && errno == EINTR);
		x[i].got = r >= 0 ? r : errno == EWOULDBLOCK ? -EAGAIN : -errno;
	}
	return ready;
}

void *kv_net_alloc(size_t size)
{
	return malloc(size);
}

void kv_net_free(void *p)
{
	free(p);
}
