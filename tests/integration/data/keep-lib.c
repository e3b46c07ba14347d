/* tests/integration/lend-kept.sh: the library (keep.h). */
#include <stdlib.h>
#include <string.h>

#include "keep.h"

struct sink {
	char *buf;
	size_t size, *used;
	char *blocks[8];
	int nblocks;
	struct sink_ops ops;
};

static char *sink_alloc(struct sink *s, size_t n)
{
	if (s->nblocks == 8)
		return NULL;
	return s->blocks[s->nblocks++] = calloc(1, n);
}

struct sink *sink_new(void)
{
	struct sink *s = calloc(1, sizeof(*s));
	if (s)
		s->ops.alloc = sink_alloc;
	return s;
}

int sink_open(struct sink *s, char *buf, size_t size, size_t *used)
{
	s->buf = buf;
	s->size = size;
	s->used = used;
	*used = 0;
	return 0;
}

int sink_write(struct sink *s, const char *data, size_t n)
{
	if (!s->used || n > s->size - *s->used)
		return -1;
	memcpy(s->buf + *s->used, data, n);
	*s->used += n;
	return 0;
}

const struct sink_ops *sink_ops(struct sink *s)
{
	return &s->ops;
}

char *sink_dup(struct sink *s, size_t n)
{
	char *p = malloc(n + 1);
	if (p) {
		memcpy(p, s->buf, n);
		p[n] = 0;
	}
	return p;
}

void sink_free(struct sink *s)
{
	for (int i = 0; i < s->nblocks; i++)
		free(s->blocks[i]);
	free(s);
}
