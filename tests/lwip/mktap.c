/*
 * Creates a persistent TAP device NAME (what 'ip tuntap add dev NAME mode
 * tap' does), for the test VM, whose busybox 'ip' cannot.
 */
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/if_tun.h>

int main(int argc, char **argv)
{
	struct ifreq ifr = {0};
	int fd;

	if (argc != 2 || strlen(argv[1]) >= IFNAMSIZ) {
		fprintf(stderr, "usage: %s NAME\n", argv[0]);
		return 2;
	}
	fd = open("/dev/net/tun", O_RDWR);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	strcpy(ifr.ifr_name, argv[1]);
	if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETPERSIST, 1) < 0) {
		perror("mktap: /dev/net/tun");
		return 1;
	}
	return 0;
}
