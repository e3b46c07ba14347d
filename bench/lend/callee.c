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
