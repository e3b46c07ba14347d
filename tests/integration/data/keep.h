/*
 * tests/integration/lend-kept.sh: a library that keeps the caller's
 * pointers past the call (as libarchive's archive_write_open_memory and
 * libjpeg's jpeg_mem_dest do) and hands back a static function through a
 * struct (as libjpeg's cinfo.mem->alloc_sarray).
 */
#ifndef KEEP_H
#define KEEP_H

#include <stddef.h>

struct sink;

struct sink_ops {
	/* A buffer of n bytes from the library's own memory, freed by sink_free. */
	char *(*alloc)(struct sink *s, size_t n);
};

struct sink *sink_new(void);
/* Keeps buf and used until sink_free: every sink_write appends to buf and updates *used. */
int sink_open(struct sink *s, char *buf, size_t size, size_t *used);
int sink_write(struct sink *s, const char *data, size_t n);
const struct sink_ops *sink_ops(struct sink *s);
/* A copy of the first n bytes written so far, in the library's heap: the caller frees it. */
char *sink_dup(struct sink *s, size_t n);
void sink_free(struct sink *s);

#endif
