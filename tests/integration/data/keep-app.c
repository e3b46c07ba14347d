/*
 * tests/integration/lend-kept.sh: an unmodified program of the library
 * of keep.h. Its buffer (static) and its count (on its stack) are kept by
 * the library across calls; a block comes from a static function of the
 * library called through a pointer; a copy from the library's heap is
 * freed here. Prints what it reads back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keep.h"

static char buf[8192];

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
