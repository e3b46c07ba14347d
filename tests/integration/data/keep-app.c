/*
 * tests/integration/lend-kept.sh: an unmodified program of the library
 * of keep.h. Its buffer (static) and its count (on its stack) are kept by
 * the library across calls; a block comes from a static function of the
 * library called through a pointer; a copy from the library's heap is
 * freed here. Prints what it reads back.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keep.h"

static char buf[8192];

/*
 * "thread": one thread keeps tbuf and tused lent and ends; the next keeps
 * an object of its own, then writes to the first thread's sink.
 */
static char tbuf[64];
static size_t tused;
static struct sink *ts;

static void *keeper(void *arg)
{
	(void)arg;
	ts = sink_new();
	if (!ts || sink_open(ts, tbuf, sizeof(tbuf), &tused) || sink_write(ts, "first", 5))
		ts = NULL;
	return NULL;
}

/* Keeps an object of its own first, then writes to the first thread's sink. */
static void *writer(void *arg)
{
	static char wbuf[16];
	(void)arg;
	size_t wused = 0;
	struct sink *ws = sink_new();
	if (!ws || sink_open(ws, wbuf, sizeof(wbuf), &wused) || sink_write(ts, "second", 6))
		return wbuf;
	sink_free(ws);
	return NULL;
}

int main(int argc, char **argv)
{
	size_t used = 1;
	struct sink *s = sink_new();
	if (!s || sink_open(s, buf, sizeof(buf), &used))
		return 1;
	const char *words[] = {"kept ", "until ", "sink_free"};
	for (int i = 0; i < 3; i++)
		if (sink_write(s, words[i], strlen(words[i])))
			return 2;
	printf("after writes: used %zu, buf '%.*s'\n", used, (int)used, buf);
	/* The program changes its own buffer between calls: the library sees it. */
	buf[0] = 'K';
	char *copy = sink_dup(s, used);
	printf("dup: '%s'\n", copy ? copy : "(null)");
	free(copy);
	char *block = sink_ops(s)->alloc(s, 16);
	if (!block)
		return 3;
	strcpy(block, "block");
	if (sink_write(s, block, 5))
		return 4;
	sink_free(s);
	printf("after free: used %zu, tail '%.*s'\n", used, 5, buf + used - 5);
	if (argc > 1 && !strcmp(argv[1], "thread")) {
		pthread_t t;
		void *r = NULL;
		if (pthread_create(&t, NULL, keeper, NULL) || pthread_join(t, NULL) || !ts ||
		    pthread_create(&t, NULL, writer, NULL) || pthread_join(t, &r) || r)
			return 6;
		printf("thread: used %zu, buf '%.*s'\n", tused, (int)tused, tbuf);
	}
	if (argc > 1 && !strcmp(argv[1], "twice")) {
		/* A second sink on the same objects, after the first was freed. */
		s = sink_new();
		if (!s || sink_open(s, buf, sizeof(buf), &used) || sink_write(s, "again", 5))
			return 5;
		sink_free(s);
		printf("again: used %zu, buf '%.*s'\n", used, (int)used, buf);
	}
	return 0;
}
