/*
 * kube_store: a chained hash table of projections keyed by namespace/name
 * (see store.h). Keys are stored inline in each entry (one allocation per
 * object: entry header + "ns\0name\0"); the bucket array doubles when the load
 * passes 1, so lookups stay O(1) at any informer size. The secondary index
 * (index.c) is created on the first kube_store_index_set; each entry points
 * at its own set of postings, released with the entry.
 */
#include "kube/store.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct kube_store_entry {
	struct kube_store_entry *next;
	void *projection;
	struct kube_index_set *keys;	/* secondary index keys, or NULL */
	uint32_t hash;
	uint16_t ns_len;
	bool stale;
	char key[];		/* "<ns>\0<name>\0" */
};

struct kube_store {
	struct kube_store_entry **buckets;
	size_t n_buckets;	/* a power of two */
	size_t len;
	kube_store_free_fn free_fn;
	struct kube_index *index;	/* NULL until a key is set */
};

#define KUBE_STORE_INITIAL_BUCKETS 64

/* FNV-1a over namespace, a separator, and name. */
static uint32_t
kube_store_hash(const char *ns, const char *name)
{
	return kube_fnv(kube_fnv(kube_fnv(KUBE_FNV_INIT, ns), "/"), name);
}

static bool
kube_store_entry_is(const struct kube_store_entry *en, uint32_t hash,
    const char *ns, const char *name)
{
	return en->hash == hash && strcmp(en->key, ns) == 0 &&
	    strcmp(en->key + en->ns_len + 1, name) == 0;
}

struct kube_store *
kube_store_new(kube_store_free_fn free_fn)
{
	struct kube_store *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->buckets = calloc(KUBE_STORE_INITIAL_BUCKETS, sizeof(*s->buckets));
	if (s->buckets == NULL) {
		free(s);
		return NULL;
	}
	s->n_buckets = KUBE_STORE_INITIAL_BUCKETS;
	s->free_fn = free_fn;
	return s;
}

static void
kube_store_release(struct kube_store *s, void *projection)
{
	if (projection != NULL && s->free_fn != NULL)
		s->free_fn(projection);
}

/* Frees an entry unlinked from its chain, with its index keys. */
static void
kube_store_entry_free(struct kube_store *s, struct kube_store_entry *en)
{
	kube_index_set_release(s->index, en->keys);
	free(en);
}

void
kube_store_free(struct kube_store *s)
{
	struct kube_store_entry *en, *next;
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n_buckets; i++) {
		for (en = s->buckets[i]; en != NULL; en = next) {
			next = en->next;
			kube_store_release(s, en->projection);
			kube_store_entry_free(s, en);
		}
	}
	kube_index_free(s->index);
	free(s->buckets);
	free(s);
}

size_t
kube_store_len(const struct kube_store *s)
{
	return s->len;
}

static struct kube_store_entry **
kube_store_find(const struct kube_store *s, const char *ns, const char *name,
    uint32_t hash)
{
	struct kube_store_entry **link = &s->buckets[hash & (s->n_buckets - 1)];

	while (*link != NULL && !kube_store_entry_is(*link, hash, ns, name))
		link = &(*link)->next;
	return link;
}

void *
kube_store_get(const struct kube_store *s, const char *ns, const char *name)
{
	struct kube_store_entry **link;

	if (ns == NULL)
		ns = "";
	link = kube_store_find(s, ns, name, kube_store_hash(ns, name));
	return *link ? (*link)->projection : NULL;
}

/* Doubles the bucket array; on allocation failure keeps the old one (the
 * table still works, only with longer chains). */
static void
kube_store_grow(struct kube_store *s)
{
	size_t n = s->n_buckets * 2, i;
	struct kube_store_entry **b = calloc(n, sizeof(*b));
	struct kube_store_entry *en, *next;

	if (b == NULL)
		return;
	for (i = 0; i < s->n_buckets; i++) {
		for (en = s->buckets[i]; en != NULL; en = next) {
			next = en->next;
			en->next = b[en->hash & (n - 1)];
			b[en->hash & (n - 1)] = en;
		}
	}
	free(s->buckets);
	s->buckets = b;
	s->n_buckets = n;
}

int
kube_store_put(struct kube_store *s, const char *ns, const char *name,
    void *projection, void **old)
{
	size_t ns_len, name_len;
	struct kube_store_entry **link, *en;
	uint32_t hash;

	if (ns == NULL)
		ns = "";
	hash = kube_store_hash(ns, name);
	link = kube_store_find(s, ns, name, hash);
	if (*link != NULL) {
		en = *link;
		if (old != NULL)
			*old = en->projection;
		else
			kube_store_release(s, en->projection);
		en->projection = projection;
		en->stale = false;
		return 0;
	}
	ns_len = strlen(ns);
	name_len = strlen(name);
	if (ns_len > UINT16_MAX)
		return -1;
	en = malloc(sizeof(*en) + ns_len + name_len + 2);
	if (en == NULL)
		return -1;
	memcpy(en->key, ns, ns_len + 1);
	memcpy(en->key + ns_len + 1, name, name_len + 1);
	en->ns_len = (uint16_t)ns_len;
	en->hash = hash;
	en->projection = projection;
	en->keys = NULL;
	en->stale = false;
	en->next = *link;
	*link = en;
	if (old != NULL)
		*old = NULL;
	if (++s->len > s->n_buckets)
		kube_store_grow(s);
	return 0;
}

bool
kube_store_delete(struct kube_store *s, const char *ns, const char *name,
    void **old)
{
	struct kube_store_entry **link, *en;

	if (ns == NULL)
		ns = "";
	link = kube_store_find(s, ns, name, kube_store_hash(ns, name));
	if (*link == NULL) {
		if (old != NULL)
			*old = NULL;
		return false;
	}
	en = *link;
	*link = en->next;
	if (old != NULL)
		*old = en->projection;
	else
		kube_store_release(s, en->projection);
	kube_store_entry_free(s, en);
	s->len--;
	return true;
}

void
kube_store_foreach(const struct kube_store *s, kube_store_visit_fn fn,
    void *ctx)
{
	struct kube_store_entry *en;
	size_t i;

	for (i = 0; i < s->n_buckets; i++)
		for (en = s->buckets[i]; en != NULL; en = en->next)
			fn(ctx, en->key, en->key + en->ns_len + 1,
			    en->projection);
}

void
kube_store_mark_all(struct kube_store *s)
{
	struct kube_store_entry *en;
	size_t i;

	for (i = 0; i < s->n_buckets; i++)
		for (en = s->buckets[i]; en != NULL; en = en->next)
			en->stale = true;
}

size_t
kube_store_sweep(struct kube_store *s, kube_store_visit_fn fn, void *ctx)
{
	struct kube_store_entry **link, *en;
	size_t i, removed = 0;

	for (i = 0; i < s->n_buckets; i++) {
		link = &s->buckets[i];
		while ((en = *link) != NULL) {
			if (!en->stale) {
				link = &en->next;
				continue;
			}
			*link = en->next;
			if (fn != NULL)
				fn(ctx, en->key, en->key + en->ns_len + 1,
				    en->projection);
			kube_store_release(s, en->projection);
			kube_store_entry_free(s, en);
			s->len--;
			removed++;
		}
	}
	return removed;
}

int
kube_store_index_set(struct kube_store *s, const char *ns, const char *name,
    const char **keys, size_t n, struct err *e)
{
	struct kube_store_entry *en;

	if (ns == NULL)
		ns = "";
	en = *kube_store_find(s, ns, name, kube_store_hash(ns, name));
	if (en == NULL)
		return err_set(e, "index: \"%s%s%s\" is not in the store", ns,
		    *ns ? "/" : "", name);
	if (n > 0 && s->index == NULL && (s->index = kube_index_new()) == NULL)
		return err_set(e, "index: out of memory");
	if (s->index == NULL)
		return 0;
	return kube_index_set_keys(s->index, &en->keys, en, keys, n, e);
}

struct kube_store_index_visit {
	kube_store_visit_fn fn;
	void *ctx;
};

static void
kube_store_index_visit(void *ctx, void *member)
{
	struct kube_store_index_visit *v = ctx;
	struct kube_store_entry *en = member;

	v->fn(v->ctx, en->key, en->key + en->ns_len + 1, en->projection);
}

size_t
kube_store_index_foreach(const struct kube_store *s, const char *key,
    kube_store_visit_fn fn, void *ctx)
{
	struct kube_store_index_visit v = { fn, ctx };

	return kube_index_lookup(s->index, key, fn ? kube_store_index_visit :
	    NULL, &v);
}

size_t
kube_store_index_keys(const struct kube_store *s, const char *ns,
    const char *name, const char **keys, size_t max)
{
	struct kube_store_entry *en;
	size_t i, n;

	if (ns == NULL)
		ns = "";
	en = *kube_store_find(s, ns, name, kube_store_hash(ns, name));
	n = en ? kube_index_set_len(en->keys) : 0;
	for (i = 0; i < n && i < max; i++)
		keys[i] = kube_index_set_key(en->keys, i);
	return n;
}

void
kube_store_index_stats(const struct kube_store *s,
    struct kube_index_stats *st)
{
	kube_index_get_stats(s->index, st);
}
