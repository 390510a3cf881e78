/*
 * kube_store: an informer's local cache, keyed by "namespace/name" (or
 * "name" for cluster-scoped objects), holding a caller-defined projection of
 * each object rather than its JSON. The informer that owns a store creates it
 * with the projection's free function; the store owns every projection put
 * into it and frees it on replace, delete and kube_store_free.
 *
 * Re-list support: kube_store_mark_all() then kube_store_put() for each listed
 * object (which clears the mark) and kube_store_sweep() to remove, one by
 * one through a callback, the objects that vanished while the watch was down.
 *
 * Secondary index (index.h): kube_store_index_set() gives an object index
 * keys; kube_store_index_foreach() visits the objects having a key in
 * O(1) + the answer's size. kube_store_put() keeps the keys of a replaced
 * object; delete, sweep and free drop them with the object.
 *
 * Loop-thread only (not thread-safe); no global state.
 */
#ifndef AG_KUBE_STORE_H
#define AG_KUBE_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "kube/index.h"

struct kube_store;

typedef void (*kube_store_free_fn)(void *projection);
typedef void (*kube_store_visit_fn)(void *ctx, const char *ns,
    const char *name, void *projection);

/* NULL on allocation failure. free_fn may be NULL (projections not freed). */
struct kube_store *kube_store_new(kube_store_free_fn free_fn);
void kube_store_free(struct kube_store *s);

size_t kube_store_len(const struct kube_store *s);
/* The projection stored under ns/name (ns may be NULL or ""), or NULL. */
void *kube_store_get(const struct kube_store *s, const char *ns,
    const char *name);

/*
 * Stores projection under ns/name, taking ownership. If an object was there,
 * its projection is handed back through *old (caller frees with the store's
 * free function, or keeps it to compare) when old is non-NULL, else freed.
 * Returns 0, or -1 on allocation failure (projection not taken).
 */
int kube_store_put(struct kube_store *s, const char *ns, const char *name,
    void *projection, void **old);

/* Removes ns/name; hands its projection back through *old (or frees it when
 * old is NULL). Returns true when the object was present. */
bool kube_store_delete(struct kube_store *s, const char *ns, const char *name,
    void **old);

/* Calls fn for every object in unspecified order; fn must not modify s. */
void kube_store_foreach(const struct kube_store *s, kube_store_visit_fn fn,
    void *ctx);

/* Marks every object stale; kube_store_put clears the mark of what it sets. */
void kube_store_mark_all(struct kube_store *s);
/* Removes every object still marked, calling fn (may be NULL) before each
 * projection is freed. Returns the number removed. */
size_t kube_store_sweep(struct kube_store *s, kube_store_visit_fn fn,
    void *ctx);

/*
 * Replaces the index keys of the stored object ns/name with keys[0..n)
 * (borrowed, copied; the array is reordered; n == 0 clears them). -1 with e
 * when the object is not stored, a key breaks a limit of index.h or on
 * allocation failure: the old keys then stay.
 */
int kube_store_index_set(struct kube_store *s, const char *ns,
    const char *name, const char **keys, size_t n, struct err *e);
/* Calls fn (may be NULL) for every object having key, in unspecified
 * order; fn must not modify s. Returns the number of such objects. */
size_t kube_store_index_foreach(const struct kube_store *s, const char *key,
    kube_store_visit_fn fn, void *ctx);
/* The index keys of ns/name in bytewise order: up to max pointers (valid
 * until the object's keys change) into keys; returns how many it has. */
size_t kube_store_index_keys(const struct kube_store *s, const char *ns,
    const char *name, const char **keys, size_t max);
void kube_store_index_stats(const struct kube_store *s,
    struct kube_index_stats *st);

#endif
