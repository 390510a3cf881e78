/*
 * events_lru: the bounded caches of the event recorder (see events_int.h),
 * like the groupcache LRUs of client-go's correlator: a hash table over
 * fixed-size keys plus a recency list. The caller owns the nodes (embedded
 * first in its own structs); the LRU hands a node pushed out past its
 * capacity to the evict callback, which frees it. The table starts small
 * and doubles with the entries, up to the capacity (a recorder of 4096
 * entries that holds 100 keeps a table for 128).
 */
#include "controller/events_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/blake3.h"

/* The bucket of key in a table of nbuckets (a power of two). */
static size_t
bucket_in(size_t nbuckets, const uint8_t *key)
{
	uint64_t h;

	memcpy(&h, key, sizeof(h));
	return (size_t)h & (nbuckets - 1);
}

static size_t
bucket_of(const struct ev_lru *l, const uint8_t *key)
{
	return bucket_in(l->nbuckets, key);
}

int
ev_lru_init(struct ev_lru *l, size_t cap, ev_lru_evict_fn evict,
    void *data, struct err *e)
{
	memset(l, 0, sizeof(*l));
	l->nbuckets = EV_LRU_BUCKETS_MIN;
	l->buckets = calloc(l->nbuckets, sizeof(*l->buckets));
	if (l->buckets == NULL)
		return err_set(e, "event recorder: out of memory for a cache "
		    "of %zu entries", cap);
	l->cap = cap;
	l->evict = evict;
	l->data = data;
	TAILQ_INIT(&l->all);
	return 0;
}

static void
unlink_node(struct ev_lru *l, struct ev_lru_node *n)
{
	struct ev_lru_node **pp = &l->buckets[bucket_of(l, n->key)];

	while (*pp != n)
		pp = &(*pp)->hnext;
	*pp = n->hnext;
	TAILQ_REMOVE(&l->all, n, link);
	l->n--;
}

void
ev_lru_free(struct ev_lru *l)
{
	struct ev_lru_node *n;

	if (l->buckets == NULL)
		return;
	while ((n = TAILQ_FIRST(&l->all)) != NULL) {
		unlink_node(l, n);
		l->evict(n, l->data);
	}
	free(l->buckets);
	l->buckets = NULL;
}

struct ev_lru_node *
ev_lru_get(struct ev_lru *l, const uint8_t *key)
{
	struct ev_lru_node *n = l->buckets[bucket_of(l, key)];

	while (n != NULL && memcmp(n->key, key, EV_KEY_LEN) != 0)
		n = n->hnext;
	if (n != NULL && n != TAILQ_FIRST(&l->all)) {
		TAILQ_REMOVE(&l->all, n, link);
		TAILQ_INSERT_HEAD(&l->all, n, link);
	}
	return n;
}

/* Doubles the table once it holds as many entries as buckets (not past
 * the capacity); out of memory, the old one stays (longer chains). */
static void
grow(struct ev_lru *l)
{
	size_t nb = l->nbuckets << 1, i, b;
	struct ev_lru_node **t, *n, *next;

	if (l->n < l->nbuckets || l->nbuckets >= l->cap ||
	    (t = calloc(nb, sizeof(*t))) == NULL)
		return;
	for (i = 0; i < l->nbuckets; i++)
		for (n = l->buckets[i]; n != NULL; n = next) {
			next = n->hnext;
			b = bucket_in(nb, n->key);
			n->hnext = t[b];
			t[b] = n;
		}
	free(l->buckets);
	l->buckets = t;
	l->nbuckets = nb;
}

void
ev_lru_add(struct ev_lru *l, struct ev_lru_node *n)
{
	size_t b;
	struct ev_lru_node *old;

	grow(l);
	b = bucket_of(l, n->key);
	n->hnext = l->buckets[b];
	l->buckets[b] = n;
	TAILQ_INSERT_HEAD(&l->all, n, link);
	l->n++;
	while (l->n > l->cap) {
		old = TAILQ_LAST(&l->all, ev_lru_list);
		unlink_node(l, old);
		l->evict(old, l->data);
	}
}

void
ev_key(uint8_t out[EV_KEY_LEN], const char *const *parts, size_t n)
{
	struct blake3_hasher h;
	uint8_t full[BLAKE3_OUT_LEN];
	size_t i;

	blake3_hasher_init(&h);
	for (i = 0; i < n; i++) {
		const char *p = parts[i] ? parts[i] : "";

		blake3_hasher_update(&h, p, strlen(p) + 1);
	}
	blake3_hasher_finalize(&h, full);
	memcpy(out, full, EV_KEY_LEN);
}
