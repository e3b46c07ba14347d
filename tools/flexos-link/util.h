/*
 * This file is private to flexos-link: allocation that cannot fail (the
 * tool exits with a message instead) and a small string map.
 */
#ifndef FLEXOS_LINK_UTIL_H
#define FLEXOS_LINK_UTIL_H

#include <stddef.h>

void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A map from strings to non-zero size_t values; 0 means absent. */
struct strmap {
	char **keys;
	size_t *values;
	size_t cap, count;
};

void strmap_put(struct strmap *m, const char *key, size_t value);
size_t strmap_get(const struct strmap *m, const char *key);
void strmap_free(struct strmap *m);

#endif
