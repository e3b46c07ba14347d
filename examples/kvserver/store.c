/* The key-value store: a chained hash table (see store.h). */
#include "store.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resp.h"

#define INITIAL_BUCKETS 64

struct entry {
	struct entry *next;
	uint64_t hash;
	char *val;
	size_t vlen;
	size_t klen;
	char key[];
};

struct kv_store {
	struct entry **buckets;
	size_t nbuckets; /* a power of two */
	size_t count;
};

/* FNV-1a: good enough for a table whose clients are benchmarks and tests. */
static uint64_t hash_bytes(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

struct kv_store *kv_store_new(void)
{
	struct kv_store *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->buckets = calloc(INITIAL_BUCKETS, sizeof(*s->buckets));
	if (!s->buckets) {
		free(s);
		return NULL;
	}
	s->nbuckets = INITIAL_BUCKETS;
	return s;
}

static void free_entries(struct kv_store *s)
{
	for (size_t i = 0; i < s->nbuckets; i++) {
		struct entry *e = s->buckets[i], *next;
		for (; e; e = next) {
			next = e->next;
			free(e->val);
			free(e);
		}
		s->buckets[i] = NULL;
	}
	s->count = 0;
}

void kv_store_free(struct kv_store *s)
{
	if (!s)
		return;
	free_entries(s);
	free(s->buckets);
	free(s);
}

void kv_store_clear(struct kv_store *s)
{
	free_entries(s);
	if (s->nbuckets > INITIAL_BUCKETS) {
		struct entry **b = calloc(INITIAL_BUCKETS, sizeof(*b));
		if (b) { /* else keep the big, now empty, table */
			free(s->buckets);
			s->buckets = b;
			s->nbuckets = INITIAL_BUCKETS;
		}
	}
}

size_t kv_store_size(const struct kv_store *s)
{
	return s->count;
}

/* The link that points to key's entry, or to the NULL ending its chain. */
static struct entry **find(const struct kv_store *s, const void *key, size_t klen, uint64_t h)
{
	struct entry **link = &s->buckets[h & (s->nbuckets - 1)];

	for (; *link; link = &(*link)->next) {
		struct entry *e = *link;
		if (e->hash == h && e->klen == klen && memcmp(e->key, key, klen) == 0)
			break;
	}
	return link;
}

/* Doubles the table; a failure only leaves it slower. */
static void grow(struct kv_store *s)
{
	size_t n = s->nbuckets * 2;
	struct entry **b = calloc(n, sizeof(*b));

	if (!b)
		return;
	for (size_t i = 0; i < s->nbuckets; i++) {
		struct entry *e = s->buckets[i], *next;
		for (; e; e = next) {
			next = e->next;
			e->next = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	}
	free(s->buckets);
	s->buckets = b;
	s->nbuckets = n;
}

/* A copy of p[0..n), or NULL; one byte more so that an empty value is not NULL. */
static char *dup_value(const void *p, size_t n)
{
	char *v = malloc(n + 1);

	if (v) {
		memcpy(v, p, n);
		v[n] = '\0';
	}
	return v;
}

int kv_store_set(struct kv_store *s, const void *key, size_t klen, const void *val, size_t vlen)
{
	uint64_t h = hash_bytes(key, klen);
	struct entry **link = find(s, key, klen, h);
	char *v = dup_value(val, vlen);

	if (!v)
		return -ENOMEM;
	if (*link) {
		free((*link)->val);
		(*link)->val = v;
		(*link)->vlen = vlen;
		return 0;
	}
	struct entry *e = malloc(sizeof(*e) + klen);
	if (!e) {
		free(v);
		return -ENOMEM;
	}
	e->hash = h;
	e->klen = klen;
	memcpy(e->key, key, klen);
	e->val = v;
	e->vlen = vlen;
	e->next = NULL;
	*link = e;
	if (++s->count > s->nbuckets)
		grow(s);
	return 0;
}

int kv_store_get(const struct kv_store *s, const void *key, size_t klen, const char **val,
		 size_t *vlen)
{
	struct entry *e = *find(s, key, klen, hash_bytes(key, klen));

	if (!e)
		return 0;
	*val = e->val;
	*vlen = e->vlen;
	return 1;
}

int kv_store_del(struct kv_store *s, const void *key, size_t klen)
{
	struct entry **link = find(s, key, klen, hash_bytes(key, klen));
	struct entry *e = *link;

	if (!e)
		return 0;
	*link = e->next;
	free(e->val);
	free(e);
	s->count--;
	return 1;
}

int kv_store_incr(struct kv_store *s, const void *key, size_t klen, int64_t delta, int64_t *out)
{
	uint64_t h = hash_bytes(key, klen);
	struct entry *e = *find(s, key, klen, h);
	int64_t v = 0;
	char num[24];

	if (e && resp_parse_int(e->val, e->vlen, &v))
		return -EINVAL;
	if (__builtin_add_overflow(v, delta, &v))
		return -ERANGE;
	int n = snprintf(num, sizeof(num), "%" PRId64, v);
	int ret = kv_store_set(s, key, klen, num, (size_t)n);
	if (ret == 0)
		*out = v;
	return ret;
}
