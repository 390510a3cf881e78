/*
 * kube_cache: the reconciliation half of an informer, free of any I/O.
 *
 * It turns what the API server says (pages of a LIST, then WATCH events) into
 * the informer's store of projections and into add/update/delete calls to
 * the caller's handlers, each with the old and the new projection:
 *
 *   kube_cache_list_begin()            every stored object is marked stale
 *   kube_cache_list_item(obj) ...      add (new key), update (changed
 *                                      resourceVersion) or nothing (same)
 *   kube_cache_list_end(rv)            objects still stale vanished: delete
 *   kube_cache_event(ev) ...           ADDED/MODIFIED/DELETED/BOOKMARK
 *
 * so a re-list after 410 Gone or an outage reconciles the store with
 * synthesised deletes and updates, never duplicating or losing objects.
 * The last resourceVersion seen (list, event, bookmark) is kept for the
 * next watch.
 *
 * Change detection: on_update runs only when the resourceVersion changed
 * (a re-list's unchanged objects are not even projected again) and gets
 * both projections, the old one still intact, so the caller can compare
 * what it cares about (a source's digest, a generation, an annotation) and
 * enqueue only then.
 *
 * Secondary index: an optional index callback names the index keys of a
 * projection (e.g. "GitRepository/ns/name" for each source a generator
 * references); kube_cache_index_foreach(key) then visits the objects having
 * that key in O(1) + the answer. Keys are recomputed on every add and update
 * (an object moves between keys when its references change) and removed on
 * delete and re-list sweeps; handlers already see the new keys.
 *
 * The informer (informer.c) owns one cache and drives it; unit tests drive
 * it directly. The cache owns every projection (freed with h->free); the
 * projections handed to handlers are borrowed for the call (the old one is
 * freed right after on_update/on_delete returns). Handlers may read the
 * cache (get, index lookups) but must not modify it. Loop-thread only; no
 * global state.
 */
#ifndef AG_KUBE_CACHE_H
#define AG_KUBE_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "base/err.h"
#include "kube/index.h"
#include "kube/store.h"
#include "kube/watch.h"

/* Longest resourceVersion kept (they are opaque; etcd's are decimal). */
#define KUBE_RV_MAX 64

/*
 * The caller's view of objects. project and free are required, the others
 * optional (NULL). project extracts only what the caller needs from obj
 * (borrowed) and returns an owned projection, or NULL when the object
 * cannot be represented (allocation failure, a field the caller requires is
 * missing): it is then treated as absent (a stored older version is
 * deleted) and on_error says which object was skipped.
 *
 * index (optional) adds the projection's index keys to keys with
 * kube_index_keys_add and returns 0; or -1 when an add failed (over the
 * budgets of index.h): the object is then skipped like an unprojectable one.
 */
struct kube_informer_handlers {
	void *(*project)(const json_t *obj);
	void (*free)(void *projection);
	int (*index)(const void *projection, struct kube_index_keys *keys);
	void (*on_add)(void *data, const char *ns, const char *name,
	    const void *projection);
	void (*on_update)(void *data, const char *ns, const char *name,
	    const void *old_projection, const void *new_projection);
	void (*on_delete)(void *data, const char *ns, const char *name,
	    const void *old_projection);
	/* Once, after the first complete LIST is in the store. */
	void (*on_synced)(void *data);
	/* Failures the informer recovers from by itself (logged by the
	 * caller): a failed list or watch, 410 Gone, a skipped object. */
	void (*on_error)(void *data, const struct err *e);
};

struct kube_cache_stats {
	unsigned long adds, updates, deletes;	/* handler calls made */
	unsigned long bookmarks;
	unsigned long skipped;		/* project() returned NULL */
};

struct kube_cache {
	struct kube_store *store;	/* of struct kube_cache_obj */
	const struct kube_informer_handlers *h;
	void *data;
	char rv[KUBE_RV_MAX];		/* last seen; "" before the first list */
	struct kube_cache_stats stats;
	struct kube_index_keys keys;	/* scratch for h->index */
};

/* h (and what it points to) must outlive the cache. -1 with e on
 * allocation failure or when project/free is missing. */
int kube_cache_init(struct kube_cache *c,
    const struct kube_informer_handlers *h, void *data, struct err *e);
/* Frees every projection (without calling on_delete) and the store. */
void kube_cache_free(struct kube_cache *c);

void kube_cache_list_begin(struct kube_cache *c);
/* One listed object (items carry no kind). -1 with e when the object has
 * no name or on allocation failure. */
int kube_cache_list_item(struct kube_cache *c, const json_t *obj,
    struct err *e);
/* The list ended with resourceVersion rv (may be NULL: keep the current
 * one): removes what the list did not contain, calling on_delete. */
void kube_cache_list_end(struct kube_cache *c, const char *rv);

/* One watch event. ERROR events are refused (-1): the watch layer turns
 * them into a failed watch. -1 with e for an object without a name. */
int kube_cache_event(struct kube_cache *c, const struct kube_watch_event *ev,
    struct err *e);

/* The projection of ns/name (ns NULL or "" for cluster-scoped), or NULL. */
const void *kube_cache_get(const struct kube_cache *c, const char *ns,
    const char *name);
size_t kube_cache_len(const struct kube_cache *c);
/* The stored resourceVersion of ns/name, or NULL. */
const char *kube_cache_object_rv(const struct kube_cache *c, const char *ns,
    const char *name);

typedef void (*kube_cache_visit_fn)(void *ctx, const char *ns,
    const char *name, const char *rv, const void *projection);
/* Calls fn for every stored object in unspecified order. */
void kube_cache_foreach(const struct kube_cache *c, kube_cache_visit_fn fn,
    void *ctx);

/* Calls fn (may be NULL) for every object having index key key, in
 * unspecified order; returns how many have it. O(1) + that number. */
size_t kube_cache_index_foreach(const struct kube_cache *c, const char *key,
    kube_cache_visit_fn fn, void *ctx);
/* The index keys of ns/name, as kube_store_index_keys. */
size_t kube_cache_index_keys(const struct kube_cache *c, const char *ns,
    const char *name, const char **keys, size_t max);
void kube_cache_index_stats(const struct kube_cache *c,
    struct kube_index_stats *st);

#endif
