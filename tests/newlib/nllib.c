/*
 * A small library compiled against newlib, not glibc (flexos-newlib.pc's
 * flags): stdio, malloc, strings, errno and files, all newlib's.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nllib.h"

/* Proof that this is newlib's stdio.h, not glibc's. */
#ifndef _NEWLIB_VERSION
#error "nllib.c must be compiled against newlib"
#endif

int nl_format(char *buf, size_t n)
{
	return snprintf(buf, n, NL_FORMAT, NL_ARGS);
}

int nl_set_buffering(int mode)
{
	return setvbuf(stdout, NULL, mode == NL_UNBUFFERED ? _IONBF : _IOFBF, BUFSIZ);
}

int nl_print(const char *s)
{
	return printf("newlib: %s\n", s);
}

int nl_flush(void)
{
	return fflush(stdout);
}

void *nl_stdout(void)
{
	return stdout;
}

void *nl_malloc(size_t n)
{
	return malloc(n);
}

void *nl_realloc(void *p, size_t n)
{
	return realloc(p, n);
}

/* aligned_alloc needs posix_memalign, which newlib lacks and the glue adds. */
void *nl_aligned(size_t align, size_t n)
{
	return aligned_alloc(align, n);
}

long nl_spin(long n)
{
	volatile long sum = 0;
	for (long i = 0; i < n; i++)
		sum += i;
	return sum;
}

void nl_free(void *p)
{
	free(p);
}

static int by_value(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* 0, or the number of the first check that failed. */
int nl_strings(void)
{
	char buf[64], *save, *tok;
	int v[] = {5, 3, 9, 1};

	if (strlen("compartment") != 11)
		return 1;
	strcpy(buf, "key=value;other=thing");
	if (strcmp(strchr(buf, '=') + 1, "value;other=thing") != 0)
		return 2;
	tok = strtok_r(buf, ";", &save);
	if (!tok || strcmp(tok, "key=value") != 0 ||
	    strcmp(strtok_r(NULL, ";", &save), "other=thing"))
		return 3;
	if (strtol("-0x1f", NULL, 16) != -31 || atoi("1234") != 1234)
		return 4;
	char *d = strdup("duplicate");
	if (!d || strcmp(d, "duplicate") != 0)
		return 5;
	for (char *p = d; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	if (strcmp(d, "DUPLICATE") != 0 || !strstr(d, "PLIC"))
		return 6;
	free(d);
	memmove(buf + 1, buf, 8);
	if (memcmp(buf + 1, "key=valu", 8) != 0)
		return 7;
	qsort(v, 4, sizeof(v[0]), by_value);
	if (v[0] != 1 || v[3] != 9)
		return 8;
	return 0;
}

int nl_errno(void)
{
	return errno;
}

void nl_set_errno(int e)
{
	errno = e;
}

int *nl_errno_location(void)
{
	return &errno;
}

int nl_errno_value(const char *name)
{
	static const struct {
		const char *name;
		int value;
	} names[] = {
	    {"ENOENT", ENOENT}, {"ENAMETOOLONG", ENAMETOOLONG},
	    {"EEXIST", EEXIST}, {"ENOMEM", ENOMEM},
	    {"EBADF", EBADF},   {"ENOTDIR", ENOTDIR},
	    {"ENOTTY", ENOTTY},
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i].name, name) == 0)
			return names[i].value;
	return -1;
}

int nl_open(const char *path)
{
	return open(path, O_RDONLY);
}

int nl_file_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	if (fputs(text, f) < 0) {
		fclose(f);
		return -1;
	}
	return fclose(f);
}

int nl_file_read(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	size_t got = fread(buf, 1, n - 1, f);
	buf[got] = '\0';
	int err = ferror(f);
	fclose(f);
	return err ? -1 : (int)got;
}

/* 0, or the number of the first check that failed. */
int nl_file_checks(const char *path)
{
	struct stat st;
	char line[64];
	FILE *f = fopen(path, "w+");

	if (!f)
		return 1;
	for (int i = 0; i < 100; i++)
		fprintf(f, "line %03d\n", i);
	if (fflush(f) != 0 || fstat(fileno(f), &st) != 0 || st.st_size != 900 ||
	    !S_ISREG(st.st_mode))
		return 2;
	if (fseek(f, 9 * 42, SEEK_SET) != 0 || ftell(f) != 378)
		return 3;
	if (!fgets(line, sizeof(line), f) || strcmp(line, "line 042\n") != 0)
		return 4;
	fclose(f);
	if (stat(path, &st) != 0 || st.st_size != 900)
		return 5;
	/* open(2) flags are translated: O_CREAT | O_EXCL on an existing file. */
	errno = 0;
	if (open(path, O_WRONLY | O_CREAT | O_EXCL, 0600) != -1 || errno != EEXIST)
		return 6;
	int fd = open(path, O_WRONLY | O_APPEND);
	if (fd < 0 || write(fd, "tail\n", 5) != 5 || close(fd) != 0)
		return 7;
	if (stat(path, &st) != 0 || st.st_size != 905)
		return 8;
	if (unlink(path) != 0 || stat(path, &st) != -1 || errno != ENOENT)
		return 9;
	if (open(path, O_RDONLY) != -1 || errno != ENOENT)
		return 10;
	return 0;
}

long nl_time(void)
{
	return (long)time(NULL);
}

/*
 * newlib's <time.h> declares clock_gettime only where _POSIX_TIMERS is set,
 * which it is not for this target; the glue defines it all the same.
 */
int clock_gettime(clockid_t id, struct timespec *ts);

long nl_clock_realtime(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return -1;
	return (long)ts.tv_sec;
}

int nl_getpid(void)
{
	return getpid();
}

int nl_isatty(int fd)
{
	return isatty(fd);
}
