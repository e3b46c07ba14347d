/*
 * libFuzzer harness for the ELF and archive reader
 * (tools/flexos-link/elf.c): every walk over any input ends with 0 or -1,
 * and every message is one line that starts with the file name.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elf.h"
#include "stderr.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];
static int fd = -1;
static size_t seen;

/* Reads every string the reader hands out, so that ASan checks them. */
static void touch(const char *s)
{
	if (s)
		seen += strlen(s);
}

static int on_symbol(void *ctx, const struct fle_symbol *s)
{
	touch(s->name);
	touch(s->member);
	touch(s->section);
	return 0;
}

static int on_section(void *ctx, const struct fle_section *s)
{
	touch(s->name);
	if (s->data && s->size)
		seen += s->data[0] + s->data[s->size - 1];
	return 0;
}

static int on_reloc(void *ctx, const struct fle_reloc *r)
{
	touch(r->symbol);
	touch(r->member);
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fd = memfd_create("fuzz.o", 0);
	if (fd < 0)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	fuzz_stderr_init();
	return 0;
}

static void check(int r, const char *what)
{
	size_t len;
	const char *out = fuzz_stderr_end(&len);

	fuzz_check_lines(out, len, path);
	if (r != 0 && r != -1) {
		fprintf(stderr, "fuzz: %s returned %d\n", what, r);
		abort();
	}
	if (r == -1 && len == 0) {
		fprintf(stderr, "fuzz: %s failed without a message\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	fuzz_stderr_begin();
	check(fle_symbols(path, on_symbol, NULL), "fle_symbols");
	fuzz_stderr_begin();
	check(fle_relocations(path, on_reloc, NULL), "fle_relocations");
	fuzz_stderr_begin();
	check(fle_sections(path, on_section, NULL), "fle_sections");
	fuzz_stderr_begin();
	check(fle_image_symbols(path, on_symbol, NULL), "fle_image_symbols");
	fle_is_archive(path);
	return 0;
}
