/*
 * kube_index: a secondary index over an informer's store, free of any I/O:
 * index key (a string the caller derives from a projection, such as
 * "GitRepository/ns/name" for each source a generator references) -> the
 * members (store entries) carrying it, so that "which generators use this
 * source" is one hash lookup plus the size of the answer, never a scan.
 *
 * A member's keys live in one kube_index_set (one allocation: a posting per
 * key, 32 bytes each); each distinct key is one bucket (header + the key)
 * whose postings form a doubly linked list, so adding, moving and removing a
 * member costs O(its keys). The store (store.c) owns one index and one set
 * per indexed entry and releases the set when the entry goes (delete,
 * re-list sweep, free). kube_index_keys is the bounded scratch the cache
 * hands to the caller's index callback to collect an object's keys.
 *
 * Loop-thread only; no global state.
 */
#ifndef AG_KUBE_INDEX_H
#define AG_KUBE_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* Budgets: keys per object, bytes per key (with its NUL). */
#define KUBE_INDEX_KEYS_MAX 256
#define KUBE_INDEX_KEY_MAX 512

struct kube_index;
struct kube_index_set;

typedef void (*kube_index_visit_fn)(void *ctx, void *member);

struct kube_index_stats {
	size_t keys;		/* distinct keys (buckets) */
	size_t postings;	/* (member, key) pairs */
	size_t bytes;		/* requested bytes: buckets, sets, table */
};

/* NULL on allocation failure. */
struct kube_index *kube_index_new(void);
/* Frees the buckets and the table; every set must have been released. */
void kube_index_free(struct kube_index *ix);

/*
 * Gives member the keys keys[0..n) (any order; duplicates count once;
 * the array is sorted in place), replacing *set (NULL: none yet). An
 * unchanged key set allocates nothing. n == 0 releases the set (*set =
 * NULL). -1 with e when a key is empty or too long, n is over budget, or on
 * allocation failure: *set and the index are then unchanged.
 */
int kube_index_set_keys(struct kube_index *ix, struct kube_index_set **set,
    void *member, const char **keys, size_t n, struct err *e);
/* Removes set's postings from the index and frees it (NULL: no-op). */
void kube_index_set_release(struct kube_index *ix, struct kube_index_set *set);
/* The keys of a set, in bytewise order (i < kube_index_set_len). */
size_t kube_index_set_len(const struct kube_index_set *set);
const char *kube_index_set_key(const struct kube_index_set *set, size_t i);

/* Calls fn for each member having key (unspecified order; fn must not
 * modify ix). Returns the number of members visited. fn may be NULL. */
size_t kube_index_lookup(const struct kube_index *ix, const char *key,
    kube_index_visit_fn fn, void *ctx);
void kube_index_get_stats(const struct kube_index *ix,
    struct kube_index_stats *st);

/*
 * The scratch an index callback fills: kube_index_keys_add copies one key
 * (printf format, at most KUBE_INDEX_KEY_MAX - 1 bytes, not empty). Over
 * budget or out of memory it returns -1 with k->err set and the callback
 * should return -1 too. The owner (the cache) resets it before each object
 * and frees it with kube_index_keys_free.
 */
struct kube_index_keys {
	char *buf;		/* the keys, each NUL-terminated */
	size_t len, cap;
	size_t *off;		/* where each key starts in buf */
	const char **v;		/* filled by kube_index_keys_view */
	size_t n, ncap;
	struct err err;
};

int kube_index_keys_add(struct kube_index_keys *k, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void kube_index_keys_reset(struct kube_index_keys *k);
/* Points k->v[0..n) at the keys (valid until the next add or reset). */
void kube_index_keys_view(struct kube_index_keys *k);
void kube_index_keys_free(struct kube_index_keys *k);

/* FNV-1a of s continuing from h (start with KUBE_FNV_INIT); shared by the
 * store's and the index's hash tables. */
#define KUBE_FNV_INIT 2166136261u
static inline uint32_t
kube_fnv(uint32_t h, const char *s)
{
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

#endif
