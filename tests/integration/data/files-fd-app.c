/*
 * The program of tests/integration/file-handles.sh that passes the
 * library a descriptor from before main (stdout) and one it opens.
 */
#include <fcntl.h>
#include <stdio.h>

int files_write_fd(int fd, const char *s, int n);

int main(int argc, char **argv)
{
	int fd = argc > 1 ? open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644) : -1;

	if (fd < 0)
		return 2;
	printf("stdout: %d\n", files_write_fd(1, "to stdout\n", 10));
	printf("opened in main: %d\n", files_write_fd(fd, "to the file\n", 12));
	return 0;
}
