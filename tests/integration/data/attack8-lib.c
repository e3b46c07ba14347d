/*
 * tests/integration/lend-attack.sh: the attacking library (attack8.h). It
 * finds the caller's lending records in this thread's static TLS, which
 * the platform owns, by the address of the copy it was given, and points
 * them at the host's target.
 */
#define _GNU_SOURCE
#include <link.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attack8.h"
#include "heap-ranges.h"

struct ev {
	char *buf;
	size_t size;
};

/* The image's PT_TLS: the first object dl_iterate_phdr reports. */
static int tls_of(struct dl_phdr_info *info, size_t size, void *data)
{
	size_t *tls = data;
	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_TLS) {
			tls[0] = info->dlpi_phdr[i].p_memsz;
			tls[1] = info->dlpi_phdr[i].p_align ? info->dlpi_phdr[i].p_align : 1;
		}
	return 1;
}

/*
 * x86-64 puts the image's TLS block right below the thread pointer:
 * every record {orig, copy, ...} there whose copy is copy gets orig target.
 */
static int redirect(uintptr_t copy, uintptr_t target)
{
	size_t tls[2] = {0, 1};
	uintptr_t tp;
	int n = 0;

	__asm__("mov %%fs:0, %0" : "=r"(tp));
	dl_iterate_phdr(tls_of, tls);
	uintptr_t lo = tp - ((tls[0] + tls[1] - 1) / tls[1] * tls[1]);
	for (uintptr_t *w = (uintptr_t *)lo + 1; (uintptr_t)(w + 1) <= tp; w++)
		if (*w == copy) {
			w[-1] = target;
			n++;
		}
	return n;
}

struct ev *ev_new(void)
{
	return calloc(1, sizeof(struct ev));
}

int ev_open(struct ev *e, char *buf, size_t size)
{
	e->buf = buf;
	e->size = size;
	return 0;
}

int ev_poke(struct ev *e, unsigned long target)
{
	int n = redirect((uintptr_t)e->buf, target);
	memcpy(e->buf, "PWNED", 5);
	return n;
}

int ev_fill(char *out, size_t n, unsigned long target)
{
	int found = redirect((uintptr_t)out, target);
	memcpy(out, "PWNED", n < 5 ? n : 5);
	return found;
}

int ev_member(unsigned long target, struct ev_io *io)
{
	int found = redirect((uintptr_t)io->data, target);
	memcpy(io->data, "PWNED", io->n < 5 ? io->n : 5);
	return found;
}

int ev_rows(char **rows, int n, unsigned long target)
{
	int found = n > 0 ? redirect((uintptr_t)rows[0], target) : 0;
	if (n > 0)
		memcpy(rows[0], "PWNED", 5);
	return found;
}

static struct range *range_of(uintptr_t a)
{
	for (uint32_t i = flexos__heap_nranges; i-- > 0;)
		if (a - flexos__heap_ranges[i].start <
		    flexos__heap_ranges[i].end - flexos__heap_ranges[i].start)
			return &flexos__heap_ranges[i];
	return NULL;
}

char *ev_forge(unsigned long host)
{
	char *p = malloc(24);
	struct range *mine = range_of((uintptr_t)p), *theirs = range_of(host);
	if (p && mine && theirs)
		mine->heap = theirs->heap;
	return p;
}

char *ev_forge_owner(void)
{
	char *p = malloc(24);
	struct range *mine = range_of((uintptr_t)p);
	if (p && mine)
		mine->owner = 0x7fffffff;
	return p;
}

static char leaked[17];
static int steals;

int ev_steal(unsigned long target, struct ev_io *io)
{
	if (!steals++) {
		io->data = (char *)(uintptr_t)target;
		io->n = 16;
		return 0;
	}
	memcpy(leaked, io->data, 16);
	memcpy(io->data, "PWNED", 5);
	return 1;
}

int ev_rows_steal(char **rows, int n, unsigned long target)
{
	static int calls;
	if (n < 1)
		return 0;
	if (!calls++) {
		rows[0] = (char *)(uintptr_t)target;
		return 0;
	}
	memcpy(leaked, rows[0], 16);
	memcpy(rows[0], "PWNED", 5);
	return 1;
}

static volatile uintptr_t race_at, race_target, race_member;
static volatile int race_stop;
static pthread_t racer;

static void *race_writer(void *x)
{
	(void)x;
	while (!race_stop)
		*(volatile uintptr_t *)race_at = race_target;
	return NULL;
}

int ev_race_arm(unsigned long target, struct ev_io *io)
{
	race_at = (uintptr_t)&io->data;
	race_member = (uintptr_t)io->data; /* where a copy of data's 16 bytes lands */
	race_target = target;
	return pthread_create(&racer, NULL, race_writer, NULL);
}

int ev_race(unsigned long target, struct ev_io *io)
{
	char got[16];

	(void)target;
	(void)io;
	memcpy(got, (const char *)race_member, 16);
	if (memcmp(got, "target untouched", 16))
		return 0;
	memcpy(leaked, got, 16);
	memcpy((char *)race_member, "PWNED", 5);
	return 1;
}

void ev_race_end(void)
{
	race_stop = 1;
	pthread_join(racer, NULL);
}

static int grows;

int ev_grow(struct ev_io *io)
{
	if (!grows++) {
		io->n = 48;
		return 0;
	}
	if (io->n < 48)
		return 0;
	memcpy(leaked, io->data + 16, 16);
	memcpy(io->data + 16, "PWNED", 5);
	return 1;
}

int ev_leaked(char *out, size_t n)
{
	memcpy(out, leaked, n < 16 ? n : 16);
	return 0;
}

void ev_free(struct ev *e)
{
	free(e);
}

static volatile uintptr_t deref_buf;

int ev_deref_arm(size_t *len, char *buf)
{
	race_at = (uintptr_t)len;
	race_target = 48;
	deref_buf = (uintptr_t)buf;
	return pthread_create(&racer, NULL, race_writer, NULL);
}

int ev_deref(size_t *len, char *buf)
{
	(void)len;
	if ((uintptr_t)buf != deref_buf - 32)
		return 0;
	memcpy(leaked, buf + 16, 16);
	memcpy(buf + 16, "PWNED", 5);
	return 1;
}
