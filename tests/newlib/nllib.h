/*
 * The API of the test library (nllib.c), which is compiled against newlib
 * and called from a glibc program (host.c). Only these names, and the
 * glue instance, stay global in its partial link.
 */
#ifndef NLLIB_H
#define NLLIB_H

#include <stddef.h>

/* Both C libraries format this; the strings must be equal. */
#define NL_FORMAT "%d|%5.2f|%-6s|%zu|%lld|%#x|%.3e|%c|%%|%s"
#define NL_ARGS   -42, 3.14159, "abc", (size_t)123456789, -9000000000LL, 255u, 6.02e23, 'z', "end"

/* Buffering modes of nl_set_buffering. */
#define NL_UNBUFFERED     0
#define NL_FULLY_BUFFERED 1

int nl_format(char *buf, size_t n);
int nl_set_buffering(int mode);
int nl_print(const char *s);
int nl_flush(void);
void *nl_stdout(void);

void *nl_malloc(size_t n);
void *nl_realloc(void *p, size_t n);
void *nl_aligned(size_t align, size_t n);
void nl_free(void *p);
int nl_strings(void);
/* Spins for n iterations (a signal may interrupt it): returns a sum. */
long nl_spin(long n);

int nl_errno(void);
void nl_set_errno(int e);
int *nl_errno_location(void);
/* newlib's value of an errno name (ENOENT, ENAMETOOLONG, ENOMEM...), or -1. */
int nl_errno_value(const char *name);
int nl_open(const char *path);

int nl_file_write(const char *path, const char *text);
int nl_file_read(const char *path, char *buf, size_t n);
int nl_file_checks(const char *path);

long nl_time(void);
long nl_clock_realtime(void);
int nl_getpid(void);
int nl_isatty(int fd);

#endif
