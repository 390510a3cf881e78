/*
 * kube_index: key -> members (see index.h). Buckets sit in a chained hash
 * table that doubles when it holds more buckets than slots; a bucket is
 * freed with its last posting, so the index holds only keys in use.
 */
#include "kube/index.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kube_index_bucket;

struct kube_index_posting {
	struct kube_index_posting *next, *prev;	/* in the bucket */
	struct kube_index_bucket *bucket;
	void *member;
};

struct kube_index_set {
	size_t n;
	struct kube_index_posting p[];	/* sorted by key */
};

struct kube_index_bucket {
	struct kube_index_bucket *chain;	/* in the table slot */
	struct kube_index_posting *head;
	uint32_t hash;
	uint32_t count;
	char key[];
};

struct kube_index {
	struct kube_index_bucket **tab;
	size_t ntab;		/* a power of two */
	size_t nbuckets;
	size_t npostings;
	size_t bytes;
};

#define KUBE_INDEX_INITIAL_SLOTS 16

struct kube_index *
kube_index_new(void)
{
	struct kube_index *ix = calloc(1, sizeof(*ix));

	if (ix == NULL)
		return NULL;
	ix->tab = calloc(KUBE_INDEX_INITIAL_SLOTS, sizeof(*ix->tab));
	if (ix->tab == NULL) {
		free(ix);
		return NULL;
	}
	ix->ntab = KUBE_INDEX_INITIAL_SLOTS;
	ix->bytes = sizeof(*ix) + ix->ntab * sizeof(*ix->tab);
	return ix;
}

void
kube_index_free(struct kube_index *ix)
{
	struct kube_index_bucket *b, *next;
	size_t i;

	if (ix == NULL)
		return;
	for (i = 0; i < ix->ntab; i++) {
		for (b = ix->tab[i]; b != NULL; b = next) {
			next = b->chain;
			free(b);
		}
	}
	free(ix->tab);
	free(ix);
}

static struct kube_index_bucket **
index_find(const struct kube_index *ix, const char *key, uint32_t hash)
{
	struct kube_index_bucket **link = &ix->tab[hash & (ix->ntab - 1)];

	while (*link != NULL && ((*link)->hash != hash ||
	    strcmp((*link)->key, key) != 0))
		link = &(*link)->chain;
	return link;
}

/* Doubles the table; on allocation failure keeps the old one (longer
 * chains, still correct). */
static void
index_grow(struct kube_index *ix)
{
	size_t n = ix->ntab * 2, i;
	struct kube_index_bucket **t = calloc(n, sizeof(*t));
	struct kube_index_bucket *b, *next;

	if (t == NULL)
		return;
	for (i = 0; i < ix->ntab; i++) {
		for (b = ix->tab[i]; b != NULL; b = next) {
			next = b->chain;
			b->chain = t[b->hash & (n - 1)];
			t[b->hash & (n - 1)] = b;
		}
	}
	free(ix->tab);
	ix->bytes += (n - ix->ntab) * sizeof(*t);
	ix->tab = t;
	ix->ntab = n;
}

/* The bucket of key, created (empty) when missing; NULL on OOM. */
static struct kube_index_bucket *
index_bucket(struct kube_index *ix, const char *key)
{
	uint32_t hash = kube_fnv(KUBE_FNV_INIT, key);
	struct kube_index_bucket **link = index_find(ix, key, hash), *b;
	size_t len;

	if (*link != NULL)
		return *link;
	len = strlen(key);
	if ((b = malloc(sizeof(*b) + len + 1)) == NULL)
		return NULL;
	memcpy(b->key, key, len + 1);
	b->hash = hash;
	b->count = 0;
	b->head = NULL;
	b->chain = *link;
	*link = b;
	ix->bytes += sizeof(*b) + len + 1;
	if (++ix->nbuckets > ix->ntab)
		index_grow(ix);
	return b;
}

static void
index_bucket_drop(struct kube_index *ix, struct kube_index_bucket *b)
{
	struct kube_index_bucket **link = index_find(ix, b->key, b->hash);

	*link = b->chain;
	ix->bytes -= sizeof(*b) + strlen(b->key) + 1;
	ix->nbuckets--;
	free(b);
}

static void
posting_link(struct kube_index *ix, struct kube_index_posting *p,
    struct kube_index_bucket *b, void *member)
{
	p->bucket = b;
	p->member = member;
	p->prev = NULL;
	p->next = b->head;
	if (b->head != NULL)
		b->head->prev = p;
	b->head = p;
	b->count++;
	ix->npostings++;
}

static void
posting_unlink(struct kube_index *ix, struct kube_index_posting *p)
{
	struct kube_index_bucket *b = p->bucket;

	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		b->head = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
	ix->npostings--;
	if (--b->count == 0)
		index_bucket_drop(ix, b);
}

static void
index_set_unlink(struct kube_index *ix, struct kube_index_set *set,
    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		posting_unlink(ix, &set->p[i]);
}

void
kube_index_set_release(struct kube_index *ix, struct kube_index_set *set)
{
	if (set == NULL)
		return;
	index_set_unlink(ix, set, set->n);
	ix->bytes -= sizeof(*set) + set->n * sizeof(set->p[0]);
	free(set);
}

static int
key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorts keys, folds duplicates and checks every limit; the count left. */
static int
keys_normalize(const char **keys, size_t *n, struct err *e)
{
	size_t i, out = 0;

	if (*n > KUBE_INDEX_KEYS_MAX)
		return err_set(e, "index: %zu keys for one object (at most %d)",
		    *n, KUBE_INDEX_KEYS_MAX);
	for (i = 0; i < *n; i++) {
		if (keys[i] == NULL || *keys[i] == '\0')
			return err_set(e, "index: an empty key");
		if (strnlen(keys[i], KUBE_INDEX_KEY_MAX) >= KUBE_INDEX_KEY_MAX)
			return err_set(e, "index: key \"%.64s...\" is longer "
			    "than %d bytes", keys[i], KUBE_INDEX_KEY_MAX - 1);
	}
	if (*n > 1)
		qsort(keys, *n, sizeof(*keys), key_cmp);
	for (i = 0; i < *n; i++)
		if (out == 0 || strcmp(keys[out - 1], keys[i]) != 0)
			keys[out++] = keys[i];
	*n = out;
	return 0;
}

static bool
set_equals(const struct kube_index_set *set, const char **keys, size_t n)
{
	size_t i;

	if (set == NULL || set->n != n)
		return set == NULL && n == 0;
	for (i = 0; i < n; i++)
		if (strcmp(set->p[i].bucket->key, keys[i]) != 0)
			return false;
	return true;
}

int
kube_index_set_keys(struct kube_index *ix, struct kube_index_set **set,
    void *member, const char **keys, size_t n, struct err *e)
{
	struct kube_index_set *ns;
	struct kube_index_bucket *b;
	size_t i;

	if (keys_normalize(keys, &n, e) < 0)
		return -1;
	if (set_equals(*set, keys, n))
		return 0;
	if (n == 0) {
		kube_index_set_release(ix, *set);
		*set = NULL;
		return 0;
	}
	if ((ns = malloc(sizeof(*ns) + n * sizeof(ns->p[0]))) == NULL)
		return err_set(e, "index: out of memory");
	for (i = 0; i < n; i++) {
		if ((b = index_bucket(ix, keys[i])) == NULL)
			goto fail;
		posting_link(ix, &ns->p[i], b, member);
	}
	ns->n = n;
	ix->bytes += sizeof(*ns) + n * sizeof(ns->p[0]);
	kube_index_set_release(ix, *set);
	*set = ns;
	return 0;
fail:
	index_set_unlink(ix, ns, i);
	free(ns);
	return err_set(e, "index: out of memory adding key \"%.64s\"",
	    keys[i]);
}

size_t
kube_index_set_len(const struct kube_index_set *set)
{
	return set ? set->n : 0;
}

const char *
kube_index_set_key(const struct kube_index_set *set, size_t i)
{
	return set->p[i].bucket->key;
}

size_t
kube_index_lookup(const struct kube_index *ix, const char *key,
    kube_index_visit_fn fn, void *ctx)
{
	struct kube_index_bucket *b;
	struct kube_index_posting *p;

	if (ix == NULL || key == NULL)
		return 0;
	b = *index_find(ix, key, kube_fnv(KUBE_FNV_INIT, key));
	if (b == NULL)
		return 0;
	if (fn != NULL)
		for (p = b->head; p != NULL; p = p->next)
			fn(ctx, p->member);
	return b->count;
}

void
kube_index_get_stats(const struct kube_index *ix, struct kube_index_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (ix == NULL)
		return;
	st->keys = ix->nbuckets;
	st->postings = ix->npostings;
	st->bytes = ix->bytes;
}

/* ---- the callback's scratch ---- */

static int
keys_reserve(struct kube_index_keys *k, size_t need)
{
	size_t cap;
	char *buf;

	if (k->len + need <= k->cap)
		return 0;
	cap = k->cap ? k->cap : 256;
	while (cap < k->len + need)
		cap *= 2;
	if ((buf = realloc(k->buf, cap)) == NULL)
		return err_set(&k->err, "index: out of memory");
	k->buf = buf;
	k->cap = cap;
	return 0;
}

static int
keys_reserve_slot(struct kube_index_keys *k)
{
	size_t ncap = k->ncap ? k->ncap * 2 : 8, *off;
	const char **v;

	if (k->n < k->ncap)
		return 0;
	if ((off = realloc(k->off, ncap * sizeof(*off))) == NULL)
		return err_set(&k->err, "index: out of memory");
	k->off = off;
	if ((v = realloc(k->v, ncap * sizeof(*v))) == NULL)
		return err_set(&k->err, "index: out of memory");
	k->v = v;
	k->ncap = ncap;
	return 0;
}

int
kube_index_keys_add(struct kube_index_keys *k, const char *fmt, ...)
{
	va_list ap;
	int len;

	if (k->n >= KUBE_INDEX_KEYS_MAX)
		return err_set(&k->err, "index: more than %d keys for one "
		    "object", KUBE_INDEX_KEYS_MAX);
	if (keys_reserve_slot(k) < 0 || keys_reserve(k, KUBE_INDEX_KEY_MAX) < 0)
		return -1;
	va_start(ap, fmt);
	len = vsnprintf(k->buf + k->len, KUBE_INDEX_KEY_MAX, fmt, ap);
	va_end(ap);
	if (len < 0 || len >= KUBE_INDEX_KEY_MAX)
		return err_set(&k->err, "index: key \"%.64s...\" is longer "
		    "than %d bytes", k->buf + k->len, KUBE_INDEX_KEY_MAX - 1);
	if (len == 0)
		return err_set(&k->err, "index: an empty key");
	k->off[k->n++] = k->len;
	k->len += (size_t)len + 1;
	return 0;
}

void
kube_index_keys_reset(struct kube_index_keys *k)
{
	k->len = 0;
	k->n = 0;
	k->err.msg[0] = '\0';
}

void
kube_index_keys_view(struct kube_index_keys *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		k->v[i] = k->buf + k->off[i];
}

void
kube_index_keys_free(struct kube_index_keys *k)
{
	free(k->buf);
	free(k->off);
	free(k->v);
	memset(k, 0, sizeof(*k));
}
