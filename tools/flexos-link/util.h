/*
 * This file is private to flexos-link: allocation that cannot fail (the
 * tool exits with a message instead) and a small string map.
 */
#ifndef FLEXOS_LINK_UTIL_H
#define FLEXOS_LINK_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Writes s to f with every byte that could break a one-line message (control
 * characters, DEL, bytes above 0x7f) and the backslash written as C escapes
 * (\n, \r, \t, \\, \xNN), so that a name read from an input cannot split a
 * message over lines or fake one.
 */
void fput_escaped(const char *s, FILE *f);

/* s escaped as fput_escaped writes it, in a new string. */
char *xescape(const char *s);

/*
 * Whether s may name a symbol in generated assembly and objcopy arguments:
 * not empty, only letters, digits, '_', '.' and '$', not starting with a digit.
 */
bool symbol_name_ok(const char *s);

/*
 * Runs args[0] (searched in PATH) with args and waits for it. Returns its
 * exit status (128 + N if signal N killed it), or -1 with errno set if it
 * could not be started.
 */
int run_program(char *const *args);

/* $name if set and not empty, else fallback: OBJCOPY, LD, CC. */
const char *tool_from_env(const char *name, const char *fallback);

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
