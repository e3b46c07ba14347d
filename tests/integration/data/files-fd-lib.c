/* A library of tests/integration/file-handles.sh that takes a descriptor. */
#include <errno.h>
#include <unistd.h>

int files_write_fd(int fd, const char *s, int n)
{
	ssize_t r = write(fd, s, (size_t)n);

	return r < 0 ? -errno : (int)r;
}
