/*
 * reopen HOST PORT [N]: N times, a connection that the server closes
 * first (a protocol error's reply), then a new one from the same source
 * port right after: it must be answered (PING) within 3 s. A TCP that
 * keeps the first in TIME-WAIT and refuses to reopen it leaves the
 * second in SYN-SENT (tests/kvserver/checks.sh: check_reopen).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int open_from(const struct sockaddr_in *to, unsigned short sport)
{
	struct sockaddr_in from = {.sin_family = AF_INET, .sin_port = htons(sport)};
	struct timeval tv = {3, 0};
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    bind(fd, (struct sockaddr *)&from, sizeof(from)) ||
	    connect(fd, (const struct sockaddr *)to, sizeof(*to))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct sockaddr_in to = {.sin_family = AF_INET};
	int n = argc > 3 ? atoi(argv[3]) : 1;
	static const char bad[] = "*2\r\n$3\r\nGET\r\n$2000000000\r\n";
	char buf[4096];

	if (argc < 3 || inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) {
		fprintf(stderr, "usage: reopen HOST PORT [N]\n");
		return 2;
	}
	to.sin_port = htons((unsigned short)atoi(argv[2]));
	for (int i = 0; i < n; i++) {
		struct sockaddr_in me;
		socklen_t len = sizeof(me);
		int fd = open_from(&to, 0);
		if (fd < 0 || getsockname(fd, (struct sockaddr *)&me, &len) ||
		    write(fd, bad, sizeof(bad) - 1) != sizeof(bad) - 1) {
			printf("the first connection failed: %s\n", strerror(errno));
			return 1;
		}
		while (read(fd, buf, sizeof(buf)) > 0)
			; /* the error reply, then the server's close */
		close(fd);
		usleep(300000); /* our LAST-ACK ends: the port is free here */
		fd = open_from(&to, ntohs(me.sin_port));
		ssize_t got = -1;
		if (fd >= 0 && write(fd, "PING\r\n", 6) == 6)
			got = read(fd, buf, sizeof(buf) - 1);
		if (got != 7 || memcmp(buf, "+PONG\r\n", 7)) {
			printf("a new connection from port %u, which the server had just closed, "
			       "was not answered within 3 s: %s\n",
			       ntohs(me.sin_port),
			       fd >= 0                ? "no PONG"
			       : errno == EINPROGRESS ? "connect timed out"
						      : strerror(errno));
			return 1;
		}
		close(fd);
	}
	return 0;
}
