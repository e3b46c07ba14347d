/*
 * The Linux-side client of tests/lwip/echo.sh: opens CONNECTIONS TCP
 * connections to ADDR:PORT at once, sends BYTES bytes of a pattern on
 * each while reading back what the server echoes, and checks every byte.
 * Exits 0 if all came back intact within TIMEOUT seconds.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONN 64

struct conn {
	int fd;
	size_t sent, got;
};

static unsigned char pattern(size_t conn, size_t i)
{
	return (unsigned char)(i * 7 + conn * 13 + i / 251);
}

int main(int argc, char **argv)
{
	struct conn c[MAX_CONN];
	struct pollfd fds[MAX_CONN];
	struct sockaddr_in sa = {.sin_family = AF_INET};
	unsigned char buf[4096];
	int n, port, timeout_s;
	size_t bytes, done = 0;

	if (argc != 6 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1 ||
	    (port = atoi(argv[2])) <= 0 || (n = atoi(argv[3])) <= 0 || n > MAX_CONN ||
	    (timeout_s = atoi(argv[5])) <= 0) {
		fprintf(stderr, "usage: %s ADDR PORT CONNECTIONS BYTES TIMEOUT\n", argv[0]);
		return 2;
	}
	bytes = strtoul(argv[4], NULL, 10);
	sa.sin_port = htons((uint16_t)port);
	time_t end = time(NULL) + timeout_s;
	for (int i = 0; i < n; i++) {
		c[i] = (struct conn){socket(AF_INET, SOCK_STREAM, 0), 0, 0};
		if (c[i].fd < 0 || connect(c[i].fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			fprintf(stderr, "client: connection %d to %s:%d: %s\n", i, argv[1], port,
				strerror(errno));
			return 1;
		}
		fcntl(c[i].fd, F_SETFL, O_NONBLOCK);
	}
	while (done < (size_t)n) {
		for (int i = 0; i < n; i++)
			fds[i] = (struct pollfd){c[i].fd,
						 (short)(c[i].got < bytes ? POLLIN : 0) |
						     (short)(c[i].sent < bytes ? POLLOUT : 0),
						 0};
		if (time(NULL) > end) {
			fprintf(stderr, "client: timed out after %d s\n", timeout_s);
			for (int i = 0; i < n; i++)
				fprintf(stderr,
					"client: connection %d: sent %zu, got back %zu of %zu\n", i,
					c[i].sent, c[i].got, bytes);
			return 1;
		}
		if (poll(fds, (nfds_t)n, 1000) < 0)
			return 1;
		for (int i = 0; i < n; i++) {
			if ((fds[i].revents & POLLOUT) && c[i].sent < bytes) {
				size_t k = bytes - c[i].sent < sizeof(buf) ? bytes - c[i].sent
									   : sizeof(buf);
				for (size_t j = 0; j < k; j++)
					buf[j] = pattern((size_t)i, c[i].sent + j);
				ssize_t w = write(c[i].fd, buf, k);
				if (w > 0)
					c[i].sent += (size_t)w;
			}
			if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
				ssize_t r = read(c[i].fd, buf, sizeof(buf));
				if (r <= 0 && !(r < 0 && errno == EAGAIN)) {
					fprintf(
					    stderr,
					    "client: connection %d closed after %zu of %zu bytes\n",
					    i, c[i].got, bytes);
					return 1;
				}
				for (ssize_t j = 0; j < r; j++)
					if (buf[j] != pattern((size_t)i, c[i].got + (size_t)j)) {
						fprintf(stderr,
							"client: connection %d: byte %zu differs\n",
							i, c[i].got + (size_t)j);
						return 1;
					}
				if (r > 0) {
					c[i].got += (size_t)r;
					if (c[i].got == bytes) {
						close(c[i].fd);
						c[i].fd = -1; /* poll skips it */
						done++;
					}
				}
			}
		}
	}
	printf("client: %d connections x %zu bytes echoed intact\n", n, bytes);
	return 0;
}
