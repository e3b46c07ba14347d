/*
 * A TCP echo server on lwIP's sockets, for tests/lwip/echo.sh: starts lwIP
 * from FLEXOS_LWIP, serves clients on port argv[1] with one lwip_poll loop
 * (so it works on pthreads and on the scheduler, where lwIP runs only
 * while this thread waits in lwIP), and exits 0 after argv[2] connections
 * closed. Everything lwIP reads or writes is in shared memory, so that
 * lwIP may sit in another compartment under any backend.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lwip/sockets.h>

#include <flexos/flexos.h>
#include <flexos/lwip.h>

#define MAX_CLIENTS 32
#define BUF_SIZE    8192

struct shared {
	struct pollfd fds[MAX_CLIENTS + 1];
	struct sockaddr_in addr;
	socklen_t len;
	int one;
	char buf[BUF_SIZE];
};

static int send_all(int s, const char *p, size_t n)
{
	while (n) {
		ssize_t k = lwip_send(s, p, n, 0);
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct shared *sh = flexos_shared_malloc(sizeof(*sh));
	int port, want, served = 0, nfds = 1, err;

	if (argc != 3 || (port = atoi(argv[1])) <= 0 || (want = atoi(argv[2])) <= 0) {
		fprintf(stderr, "usage: %s PORT CONNECTIONS (with FLEXOS_LWIP set)\n", argv[0]);
		return 2;
	}
	if (!sh) {
		fprintf(stderr, "echo: out of shared memory\n");
		return 1;
	}
	memset(sh, 0, sizeof(*sh));
	err = flexos_lwip_start(NULL);
	if (err) {
		fprintf(stderr, "echo: flexos_lwip_start: %s\n", strerror(-err));
		return 1;
	}
	int ls = lwip_socket(AF_INET, SOCK_STREAM, 0);
	sh->one = 1;
	lwip_setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &sh->one, sizeof(sh->one));
	sh->addr.sin_family = AF_INET;
	sh->addr.sin_port = htons((uint16_t)port);
	sh->addr.sin_addr.s_addr = INADDR_ANY;
	if (ls < 0 || lwip_bind(ls, (struct sockaddr *)&sh->addr, sizeof(sh->addr)) < 0 ||
	    lwip_listen(ls, 16) < 0) {
		fprintf(stderr, "echo: cannot listen on port %d: %s\n", port, strerror(errno));
		return 1;
	}
	printf("echo: listening on port %d\n", port);
	fflush(stdout);
	sh->fds[0] = (struct pollfd){.fd = ls, .events = POLLIN};
	while (served < want) {
		if (lwip_poll(sh->fds, (nfds_t)nfds, -1) < 0) {
			fprintf(stderr, "echo: lwip_poll: %s\n", strerror(errno));
			return 1;
		}
		for (int i = nfds - 1; i >= 1; i--) {
			if (!sh->fds[i].revents)
				continue;
			ssize_t n = lwip_recv(sh->fds[i].fd, sh->buf, BUF_SIZE, 0);
			if (n > 0 && send_all(sh->fds[i].fd, sh->buf, (size_t)n) == 0)
				continue;
			lwip_close(sh->fds[i].fd);
			sh->fds[i] = sh->fds[--nfds];
			served++;
		}
		if (sh->fds[0].revents && nfds <= MAX_CLIENTS) {
			sh->len = sizeof(sh->addr);
			int c = lwip_accept(ls, (struct sockaddr *)&sh->addr, &sh->len);
			if (c >= 0)
				sh->fds[nfds++] = (struct pollfd){.fd = c, .events = POLLIN};
		}
	}
	lwip_close(ls);
	err = flexos_lwip_stop();
	printf("echo: served %d connections, stop: %d\n", served, err);
	return err ? 1 : 0;
}
