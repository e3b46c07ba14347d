/* bench/lend/callgrind: the isolated library. */
struct cost_obj {
	long a, b, c, d;
};

int cost_int(int x)
{
	return x + 1;
}

void cost_one(struct cost_obj *o)
{
	o->a++;
}

void cost_three(struct cost_obj *o, struct cost_obj *p, const char *s)
{
	o->a += s[0] != 0;
	p->b++;
}

/* Bumps the first byte of each row. */
static long rows(unsigned char **r, unsigned n)
{
	for (unsigned y = 0; y < n; y++)
		r[y][0]++;
	return n;
}

long cost_rows1(unsigned char **r, unsigned n)
{
	return rows(r, n);
}

/* Distinct bodies: identical ones are folded by gcc -O2, and lose their DWARF. */
long cost_rows16(unsigned char **r, unsigned n)
{
	return rows(r, n) + 16;
}

long cost_rows64(unsigned char **r, unsigned n)
{
	return rows(r, n) + 64;
}
