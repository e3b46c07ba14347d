/*
 * stderr capture for the harnesses. The sanitizers write their reports to
 * a duplicate of the real stderr, so that a crash during a capture is
 * still seen by the fuzzer.
 */
#define _GNU_SOURCE
#include "stderr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

void __sanitizer_set_report_fd(void *fd);

static int real_stderr = -1, capture = -1;
static char *buf;
static size_t cap;

void fuzz_stderr_init(void)
{
	real_stderr = dup(2);
	capture = memfd_create("fuzz-stderr", MFD_CLOEXEC);
	if (real_stderr < 0 || capture < 0)
		abort();
	__sanitizer_set_report_fd((void *)(long)real_stderr);
}

void fuzz_stderr_begin(void)
{
	fflush(stderr);
	if (ftruncate(capture, 0) || lseek(capture, 0, SEEK_SET) || dup2(capture, 2) < 0)
		abort();
}

const char *fuzz_stderr_end(size_t *len)
{
	off_t n;

	fflush(stderr);
	if (dup2(real_stderr, 2) < 0)
		abort();
	n = lseek(capture, 0, SEEK_END);
	if (n < 0)
		abort();
	if ((size_t)n + 1 > cap) {
		cap = (size_t)n + 1;
		buf = realloc(buf, cap);
		if (!buf)
			abort();
	}
	if (pread(capture, buf, (size_t)n, 0) != n)
		abort();
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

void fuzz_check_lines(const char *out, size_t len, const char *prefix)
{
	size_t plen = strlen(prefix);

	if (len && out[len - 1] != '\n') {
		fprintf(stderr, "fuzz: message without a final newline: %.*s\n", (int)len, out);
		abort();
	}
	for (const char *p = out; p < out + len;) {
		const char *nl = memchr(p, '\n', (size_t)(out + len - p));
		if ((size_t)(nl - p) < plen || memcmp(p, prefix, plen)) {
			fprintf(stderr, "fuzz: a message line does not start with '%s':\n%.*s\n",
				prefix, (int)len, out);
			abort();
		}
		for (const char *c = p; c < nl; c++)
			if ((unsigned char)*c < 0x20 && *c != '\t') {
				fprintf(stderr, "fuzz: a control character in a message:\n%.*s\n",
					(int)len, out);
				abort();
			}
		p = nl + 1;
	}
}
