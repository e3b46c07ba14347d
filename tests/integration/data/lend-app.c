/* tests/integration/lend.sh: the application, passing pointers to its private memory. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flexos/flexos.h>

struct point {
	int x, y;
	long tag;
};
struct handle;

size_t lib_strlen(const char *s);
void lib_fill(struct point *out, int v);
int lib_open(const char *name, struct handle **h);
int lib_handle_id(struct handle *h);
long lib_sum(const struct point *p);
long lib_overrun(const struct point *p);
const char *lib_strchr(const char *s, int c);
void lib_upper(char *buf, size_t n);
long lib_many(struct point *p, long a, long b, long c, long d, long e, long f, long g);
struct big {
	long v[4];
};
struct big lib_big(const char *s);
void lib_throw(struct point *p, jmp_buf *env);
struct stream {
	const unsigned char *next_in;
	unsigned avail_in;
	unsigned char *next_out;
	unsigned avail_out;
	struct point *pt;
	const char *label;
	unsigned char *spare;
};
size_t lib_pump(struct stream *s);
int words(void); /* lend-cb.c */
void lib_seven(int *a, int *b, int *c, int *d, int *e, int *f, int *g);
int lib_pump_over(const struct stream *s);
unsigned lib_read(void *buf, unsigned len);

static jmp_buf env;

/* 100 longjmps out of a lending gate: more than the arena's slots, if they were not freed. */
static int jumps(void)
{
	struct point p = {0, 0, 0};
	volatile int n = 0;
	while (n < 100)
		if (setjmp(env))
			n++;
		else
			lib_throw(&p, &env);
	return printf("jumps: %d\n", n);
}

/* Private: in the application's .data, not a shared constant. */
static char greeting[32] = "hello, lender";

static const char *greeting_ptr(void)
{
	return greeting;
}

/* In the application's .bss: 64 KiB each, as zlib's corpus program has. */
static unsigned char in[65536], out[65536];

/*
 * Nested lending: a stack struct whose members point at .bss buffers,
 * a stack struct and a .data string; the library moves next_in and
 * next_out, and stores a pointer into the output.
 */
static int pump(void)
{
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)"nested lending "[i % 15];
	struct point pt = {0, 0, 0};
	struct stream s = {in, sizeof(in), out, 40000, &pt, greeting_ptr(), NULL};
	size_t len = lib_pump(&s);
	printf("pump: %zu %td %u %td %u %d %td %.15s\n", len, s.next_in - in, s.avail_in,
	       s.next_out - out, s.avail_out, pt.x, s.spare - out, (const char *)out);
	s.avail_out = sizeof(out) - 40000;
	lib_pump(&s);
	printf("pump again: %td %u %td %d %d\n", s.next_in - in, s.avail_in, s.next_out - out, pt.x,
	       memcmp(out + 65520, "NESTED LENDING N", 16) == 0 ? 0 : 1);
	unsigned char small[40];
	printf("read: %u %.5s\n", lib_read(small, 30), (const char *)small + 25);
	return 0;
}

/*
 * A struct on the heap, where: "heap" (private: lent by copy, with its
 * members) or "shared" (the callee reaches it already: its members are
 * not lent, since any compartment may have written them, and under the
 * isolating backends the first call ends the image, naming the member;
 * under none, the plain calls' results). The second call lends only the
 * large buffers, above the small slots the first call's members used.
 */
static int pump_on(const char *where)
{
	void *(*alloc)(size_t) = strcmp(where, "shared") ? malloc : flexos_shared_malloc;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)"in place "[i % 9];
	struct stream *s = alloc(sizeof(*s));
	struct point pt = {0, 0, 0}, *spt = alloc(sizeof(*spt));
	if (!s || !spt)
		return 1;
	*s = (struct stream){in, 100, out, 100, &pt, greeting_ptr(), NULL};
	size_t len = lib_pump(s);
	printf("pump %s: %zu %td %td %d %td %.9s\n", where, len, s->next_in - in,
	       s->next_out - out, pt.x, s->spare - out, (const char *)out);
	*spt = (struct point){0, 0, 0};
	*s = (struct stream){in, 30000, out, 30000, spt, "shared", NULL};
	len = lib_pump(s);
	printf("pump %s again: %zu %td %td %d %td\n", where, len, s->next_in - in,
	       s->next_out - out, spt->x, s->spare - out);
	return 0;
}

static int pump_over(void)
{
	struct stream s = {in, 100, out, 100, NULL, NULL, NULL};
	return printf("pump over: %d\n", lib_pump_over(&s)) < 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "pump"))
		return pump();
	if (argc > 1 && !strcmp(argv[1], "words"))
		return words();
	if (argc > 1 && !strcmp(argv[1], "pumpshared"))
		return pump_on("shared");
	if (argc > 1 && !strcmp(argv[1], "pumpheap"))
		return pump_on("heap");
	if (argc > 1 && !strcmp(argv[1], "pumpover"))
		return pump_over();
	if (argc > 1 && !strcmp(argv[1], "jumps"))
		return jumps() < 0;
	if (argc > 1 && !strcmp(argv[1], "overrun")) {
		struct point p = {1, 2, 3};
		printf("overrun: %ld\n", lib_overrun(&p));
		return 0;
	}
	printf("strlen: %zu\n", lib_strlen(greeting));
	struct point out = {0, 0, 0};
	lib_fill(&out, 21);
	printf("fill: %d %d %ld\n", out.x, out.y, out.tag);
	struct handle *h = NULL;
	lib_open(greeting, &h);
	printf("open: %d\n", lib_handle_id(h));
	struct point *hp = malloc(sizeof(*hp));
	if (!hp)
		return 1;
	*hp = (struct point){1, 2, 3};
	printf("sum: %ld\n", lib_sum(hp));
	free(hp);
	printf("strchr: %td\n", lib_strchr(greeting, ',') - greeting);
	char buf[16];
	memcpy(buf, "abcdef", 7);
	lib_upper(buf, 6);
	printf("upper: %s\n", buf);
	long r = lib_many(&out, 1, 2, 3, 4, 5, 6, 7);
	printf("many: %d %ld\n", out.x, r);
	struct big b = lib_big(greeting);
	printf("big: %ld %ld %ld %ld\n", b.v[0], b.v[1], b.v[2], b.v[3]);
	int v[7] = {0};
	lib_seven(&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]);
	printf("seven: %d %d\n", v[0] + v[1] + v[2] + v[3] + v[4] + v[5], v[6]);
	return 0;
}
