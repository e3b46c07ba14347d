/* tests/integration/lend.sh: the library, in its own compartment. */
#include <setjmp.h>
#include <stddef.h>
#include <string.h>

#include "lend-cb.h"

struct point {
	int x, y;
	long tag;
};

struct handle {
	int id;
};

static struct handle handles[1];

size_t lib_strlen(const char *s)
{
	return strlen(s);
}

void lib_fill(struct point *out, int v)
{
	out->x = v;
	out->y = v * 2;
	out->tag = 77;
}

/* Like sqlite3_open: writes a handle of its own through an out-parameter. */
int lib_open(const char *name, struct handle **h)
{
	handles[0].id = (int)strlen(name);
	*h = &handles[0];
	return 0;
}

/* The handle is the library's memory: it must reach it unchanged. */
int lib_handle_id(struct handle *h)
{
	return h->id;
}

long lib_sum(const struct point *p)
{
	return p->x + p->y + p->tag;
}

/* Reads far past the struct it was given: must fault, not read junk. */
long lib_overrun(const struct point *p)
{
	const volatile char *c = (const volatile char *)p;
	long s = 0;
	for (size_t i = 0; i < 8192; i++)
		s += c[i];
	return s;
}

const char *lib_strchr(const char *s, int c)
{
	while (*s && *s != c)
		s++;
	return s;
}

/* A (buffer, length) pair, written in place. */
void lib_upper(char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (buf[i] >= 'a' && buf[i] <= 'z')
			buf[i] = (char)(buf[i] - 'a' + 'A');
}

/* Two arguments on the stack beside a lent pointer: the gate copies them below its frame. */
long lib_many(struct point *p, long a, long b, long c, long d, long e, long f, long g)
{
	p->x = (int)(a + b + c + d + e + f + g);
	return g * 100 + f;
}

struct big {
	long v[4];
};

/* A struct result through the hidden pointer in %rdi, and a lent string in %rsi. */
struct big lib_big(const char *s)
{
	struct big b = {{(long)strlen(s), 2, 3, 4}};
	return b;
}

/* As png_longjmp: leaves the lending gate by a longjmp, never by its return. */
void lib_throw(struct point *p, jmp_buf *env)
{
	p->x++;
	longjmp(*env, 1);
}

/*
 * Nested lending: like zlib's z_stream, pointer + count pairs the
 * config's lend: rules size, a struct pointer and a string the types
 * size; moves next_in and next_out as deflate does.
 */
struct stream {
	const unsigned char *next_in;
	unsigned avail_in;
	unsigned char *next_out;
	unsigned avail_out;
	struct point *pt;
	const char *label;
	unsigned char *spare; /* not lent: no rule sizes it; the callee only stores it */
};

size_t lib_pump(struct stream *s)
{
	unsigned n = s->avail_in < s->avail_out ? s->avail_in : s->avail_out;
	for (unsigned i = 0; i < n; i++) {
		unsigned char c = s->next_in[i];
		s->next_out[i] = c >= 'a' && c <= 'z' ? (unsigned char)(c - 'a' + 'A') : c;
	}
	s->next_in += n;
	s->avail_in -= n;
	s->next_out += n;
	s->avail_out -= n;
	s->pt->x += (int)n;
	s->spare = s->next_out; /* a copy's address, stored: must come back as the caller's */
	return strlen(s->label);
}

/* Reads one byte past what avail_in lends: must fault at the member's guard page. */
int lib_pump_over(const struct stream *s)
{
	return ((const volatile unsigned char *)s->next_in)[s->avail_in];
}

/* A void * and an unsigned count that only the config's lend: rule pairs. */
unsigned lib_read(void *buf, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		((unsigned char *)buf)[i] = (unsigned char)('a' + i % 26);
	return len;
}

/* Hands the callback a word in a buffer on this library's stack. */
int lib_words(const char *text, lend_word_fn fn, void *ud)
{
	int n = 0;
	while (*text) {
		char w[32];
		size_t len = strcspn(text, " ");
		if (len >= sizeof(w))
			len = sizeof(w) - 1;
		memcpy(w, text, len);
		w[len] = '\0';
		fn(ud, w, (int)len);
		n++;
		text += len;
		text += *text == ' ';
	}
	return n;
}

/* Seven out-parameters: the 7th is passed on the stack, and is lent there. */
void lib_seven(int *a, int *b, int *c, int *d, int *e, int *f, int *g)
{
	*a = 1, *b = 2, *c = 3, *d = 4, *e = 5, *f = 6, *g = 70;
}
