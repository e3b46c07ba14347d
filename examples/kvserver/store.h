/*
 * The key-value store: a chained hash table of binary-safe keys and string
 * values, doubling when it holds more entries than buckets. Every function
 * that allocates returns -ENOMEM and leaves the store unchanged on failure.
 */
#ifndef KVSERVER_STORE_H
#define KVSERVER_STORE_H

#include <stddef.h>
#include <stdint.h>

struct kv_store;

/* A new empty store, or NULL. */
struct kv_store *kv_store_new(void);
/* Frees the store and everything in it. */
void kv_store_free(struct kv_store *s);

/* Sets key to value (replacing any old value): 0 or -ENOMEM. */
int kv_store_set(struct kv_store *s, const void *key, size_t klen, const void *val, size_t vlen);
/*
 * 1 and *val, *vlen (valid until the key is next changed) if key is set,
 * else 0.
 */
int kv_store_get(const struct kv_store *s, const void *key, size_t klen, const char **val,
		 size_t *vlen);
/* 1 if key was set and is now removed, else 0. */
int kv_store_del(struct kv_store *s, const void *key, size_t klen);
/*
 * Adds delta to the integer stored at key (0 if unset) and sets *out: 0,
 * -EINVAL if the value is not a decimal integer, -ERANGE on overflow,
 * -ENOMEM.
 */
int kv_store_incr(struct kv_store *s, const void *key, size_t klen, int64_t delta, int64_t *out);
/* The number of keys. */
size_t kv_store_size(const struct kv_store *s);
/* Removes every key and shrinks the table back to its initial size. */
void kv_store_clear(struct kv_store *s);

#endif
