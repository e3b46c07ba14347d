#include "autoconfig.h"

#include <errno.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "util.h"

extern char **environ;

static void *check(void *p)
{
	if (!p) {
		fputs("flexos-link: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	return check(calloc(n ? n : 1, size ? size : 1));
}

void *xrealloc(void *p, size_t size)
{
	return check(realloc(p, size ? size : 1));
}

char *xstrdup(const char *s)
{
	return check(strdup(s));
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return check(n < 0 ? NULL : s);
}

void fput_escaped(const char *s, FILE *f)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\n')
			fputs("\\n", f);
		else if (c == '\r')
			fputs("\\r", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c == '\\')
			fputs("\\\\", f);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

char *xescape(const char *s)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return check(NULL);
	fput_escaped(s, f);
	if (fclose(f))
		return check(NULL);
	return out;
}

bool symbol_name_ok(const char *s)
{
	/* Not isalnum(): it follows the locale. */
	static const char ok[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.$";

	return *s && !(*s >= '0' && *s <= '9') && strspn(s, ok) == strlen(s);
}

/* FNV-1a */
static size_t hash(const char *s)
{
	size_t h = 14695981039346656037ULL;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static void grow(struct strmap *m)
{
	struct strmap big = {
		.keys = xcalloc(m->cap ? m->cap * 2 : 64, sizeof(char *)),
		.values = xcalloc(m->cap ? m->cap * 2 : 64, sizeof(size_t)),
		.cap = m->cap ? m->cap * 2 : 64,
	};
	for (size_t i = 0; i < m->cap; i++)
		if (m->keys[i]) {
			size_t j = hash(m->keys[i]) & (big.cap - 1);
			while (big.keys[j])
				j = (j + 1) & (big.cap - 1);
			big.keys[j] = m->keys[i];
			big.values[j] = m->values[i];
		}
	big.count = m->count;
	free(m->keys);
	free(m->values);
	*m = big;
}

void strmap_put(struct strmap *m, const char *key, size_t value)
{
	if ((m->count + 1) * 2 > m->cap)
		grow(m);
	size_t j = hash(key) & (m->cap - 1);
	while (m->keys[j] && strcmp(m->keys[j], key))
		j = (j + 1) & (m->cap - 1);
	if (!m->keys[j]) {
		m->keys[j] = xstrdup(key);
		m->count++;
	}
	m->values[j] = value;
}

size_t strmap_get(const struct strmap *m, const char *key)
{
	if (!m->cap)
		return 0;
	size_t j = hash(key) & (m->cap - 1);
	while (m->keys[j]) {
		if (!strcmp(m->keys[j], key))
			return m->values[j];
		j = (j + 1) & (m->cap - 1);
	}
	return 0;
}

void strmap_free(struct strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->values);
	memset(m, 0, sizeof(*m));
}

int run_program(char *const *args)
{
	pid_t pid;
	int status;

	errno = posix_spawnp(&pid, args[0], NULL, NULL, args, environ);
	if (errno)
		return -1;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

const char *tool_from_env(const char *name, const char *fallback)
{
	const char *v = getenv(name);
	return v && *v ? v : fallback;
}
