/* bench/lend: the isolated library. */
#include <stddef.h>

struct lend_obj {
	long a, b, c, d;
};

int lend_int(int x)
{
	return x + 1;
}

/* A const char *: lent as a string (strlen + 1 bytes), not copied back. */
size_t lend_str(const char *s)
{
	return (size_t)(unsigned char)s[0];
}

/* A pointer to a struct: lent (32 bytes) and copied back. */
void lend_struct(struct lend_obj *o)
{
	o->a++;
}

struct lend_pair {
	const unsigned char *in;
	unsigned in_len;
	unsigned char *out;
	unsigned out_len;
};

/* Nested lending: the struct (24 bytes) and its two 4 KiB buffers. */
void lend_pair(struct lend_pair *p)
{
	p->out[0] = (unsigned char)(p->in[0] + 1);
}
