/*
 * kube_cache: list/watch reconciliation into a kube_store (see cache.h).
 *
 * Each stored value is a struct kube_cache_obj: the caller's projection plus
 * the object's resourceVersion inline (one small allocation), so a re-list
 * recognises unchanged objects without projecting them again and without
 * keeping any JSON.
 */
#include "kube/cache.h"

#include <stdlib.h>
#include <string.h>

struct kube_cache_obj {
	void *projection;
	char rv[];
};

/* The store is created without a free function (one cannot reach the
 * handlers): the cache frees its entries itself, here. */
static void
kube_cache_obj_free(const struct kube_cache *c, struct kube_cache_obj *o)
{
	if (o == NULL)
		return;
	if (o->projection != NULL)
		c->h->free(o->projection);
	free(o);
}

int
kube_cache_init(struct kube_cache *c, const struct kube_informer_handlers *h,
    void *data, struct err *e)
{
	memset(c, 0, sizeof(*c));
	if (h == NULL || h->project == NULL || h->free == NULL)
		return err_set(e, "informer: a projection and its free "
		    "function are required");
	c->store = kube_store_new(NULL);
	if (c->store == NULL)
		return err_set(e, "informer: out of memory creating its store");
	c->h = h;
	c->data = data;
	return 0;
}

static void
kube_cache_free_visit(void *ctx, const char *ns, const char *name, void *p)
{
	(void)ns;
	(void)name;
	kube_cache_obj_free(ctx, p);
}

void
kube_cache_free(struct kube_cache *c)
{
	if (c->store == NULL)
		return;
	kube_store_foreach(c->store, kube_cache_free_visit, c);
	kube_store_free(c->store);
	c->store = NULL;
	kube_index_keys_free(&c->keys);
}

static void
kube_cache_set_rv(struct kube_cache *c, const char *rv)
{
	if (rv == NULL || *rv == '\0' || strlen(rv) >= sizeof(c->rv))
		return;
	memcpy(c->rv, rv, strlen(rv) + 1);
}

static void
kube_cache_report(struct kube_cache *c, const struct err *e)
{
	if (c->h->on_error != NULL)
		c->h->on_error(c->data, e);
}

/* Removes ns/name (if stored), telling on_delete. */
static void
kube_cache_remove(struct kube_cache *c, const char *ns, const char *name)
{
	void *old = NULL;
	struct kube_cache_obj *o;

	if (!kube_store_delete(c->store, ns, name, &old))
		return;
	o = old;
	c->stats.deletes++;
	if (c->h->on_delete != NULL)
		c->h->on_delete(c->data, ns, name, o->projection);
	kube_cache_obj_free(c, o);
}

/* Tells on_add (old NULL) or on_update about o, then frees old. */
static void
kube_cache_announce(struct kube_cache *c, const char *ns, const char *name,
    struct kube_cache_obj *old, const struct kube_cache_obj *o)
{
	if (old == NULL) {
		c->stats.adds++;
		if (c->h->on_add != NULL)
			c->h->on_add(c->data, ns, name, o->projection);
		return;
	}
	c->stats.updates++;
	if (c->h->on_update != NULL)
		c->h->on_update(c->data, ns, name, old->projection,
		    o->projection);
	kube_cache_obj_free(c, old);
}

/* Collects the index keys of projection into c->keys (none without an
 * index callback). -1 with e when the callback refused. */
static int
kube_cache_keys(struct kube_cache *c, const void *projection, struct err *e)
{
	kube_index_keys_reset(&c->keys);
	if (c->h->index == NULL)
		return 0;
	if (c->h->index(projection, &c->keys) < 0)
		return err_set(e, "%s", c->keys.err.msg[0] ? c->keys.err.msg :
		    "the index callback failed");
	kube_index_keys_view(&c->keys);
	return 0;
}

/* A new stored version of obj, projected and with its keys in c->keys; or
 * NULL when it cannot be represented (reported and counted: the caller
 * removes an older version) or on allocation failure (*oom). */
static struct kube_cache_obj *
kube_cache_project(struct kube_cache *c, const json_t *obj, const char *ns,
    const char *name, const char *rv, bool *oom)
{
	struct kube_cache_obj *o;
	size_t rv_len = strlen(rv);
	struct err pe;

	*oom = false;
	if ((o = malloc(sizeof(*o) + rv_len + 1)) == NULL) {
		*oom = true;
		return NULL;
	}
	memcpy(o->rv, rv, rv_len + 1);
	o->projection = c->h->project(obj);
	if (o->projection == NULL)
		err_set(&pe, "it could not be projected");
	else if (kube_cache_keys(c, o->projection, &pe) < 0) {
		c->h->free(o->projection);
		o->projection = NULL;
	}
	if (o->projection != NULL)
		return o;
	free(o);
	c->stats.skipped++;
	err_prefix(&pe, "informer: skipping object \"%s%s%s\" (resourceVersion"
	    " %s)", ns, *ns ? "/" : "", name, rv);
	kube_cache_report(c, &pe);
	return NULL;
}

/*
 * Stores obj under its namespace/name: nothing to do (but clear the stale
 * mark) when the stored version has the same resourceVersion, else project
 * it, index it and tell on_add or on_update. When indexing runs out of
 * memory the object is stored and announced without a resourceVersion (the
 * next re-list projects it again) and -1 is returned.
 */
static int
kube_cache_upsert(struct kube_cache *c, const json_t *obj, struct err *e)
{
	const char *ns = kube_object_namespace(obj);
	const char *name = kube_object_name(obj);
	const char *rv = kube_object_resource_version(obj);
	struct kube_cache_obj *cur, *o;
	void *old = NULL;
	bool oom;
	int rc = 0;

	if (name == NULL || *name == '\0')
		return err_set(e, "informer: an object without metadata.name");
	rv = rv ? rv : "";
	ns = ns ? ns : "";
	cur = kube_store_get(c->store, ns, name);
	if (cur != NULL && *rv != '\0' && strcmp(cur->rv, rv) == 0) {
		/* Unchanged: re-put the same entry to clear its mark. */
		if (kube_store_put(c->store, ns, name, cur, &old) < 0)
			return err_set(e, "informer: out of memory");
		return 0;
	}
	if ((o = kube_cache_project(c, obj, ns, name, rv, &oom)) == NULL) {
		if (oom)
			return err_set(e, "informer: out of memory storing "
			    "\"%s/%s\"", ns, name);
		kube_cache_remove(c, ns, name);
		return 0;
	}
	if (kube_store_put(c->store, ns, name, o, &old) < 0) {
		kube_cache_obj_free(c, o);
		return err_set(e, "informer: out of memory storing \"%s/%s\"",
		    ns, name);
	}
	if (c->h->index != NULL && kube_store_index_set(c->store, ns, name,
	    c->keys.v, c->keys.n, e) < 0) {
		o->rv[0] = '\0';
		rc = err_prefix(e, "informer: indexing \"%s/%s\"", ns, name);
	}
	kube_cache_announce(c, ns, name, old, o);
	return rc;
}

void
kube_cache_list_begin(struct kube_cache *c)
{
	kube_store_mark_all(c->store);
}

int
kube_cache_list_item(struct kube_cache *c, const json_t *obj, struct err *e)
{
	return kube_cache_upsert(c, obj, e);
}

static void
kube_cache_sweep_visit(void *ctx, const char *ns, const char *name, void *p)
{
	struct kube_cache *c = ctx;
	struct kube_cache_obj *o = p;

	c->stats.deletes++;
	if (c->h->on_delete != NULL)
		c->h->on_delete(c->data, ns, name, o->projection);
	kube_cache_obj_free(c, o);
}

void
kube_cache_list_end(struct kube_cache *c, const char *rv)
{
	kube_store_sweep(c->store, kube_cache_sweep_visit, c);
	kube_cache_set_rv(c, rv);
}

int
kube_cache_event(struct kube_cache *c, const struct kube_watch_event *ev,
    struct err *e)
{
	const char *name, *ns;

	switch (ev->type) {
	case KUBE_WATCH_ADDED:
	case KUBE_WATCH_MODIFIED:
		if (kube_cache_upsert(c, ev->object, e) < 0)
			return -1;
		break;
	case KUBE_WATCH_DELETED:
		name = kube_object_name(ev->object);
		ns = kube_object_namespace(ev->object);
		if (name == NULL || *name == '\0')
			return err_set(e, "informer: a DELETED event without "
			    "metadata.name");
		kube_cache_remove(c, ns ? ns : "", name);
		break;
	case KUBE_WATCH_BOOKMARK:
		c->stats.bookmarks++;
		break;
	case KUBE_WATCH_ERROR:
	default:
		return err_set(e, "informer: unexpected %s watch event",
		    kube_watch_type_name(ev->type));
	}
	kube_cache_set_rv(c, kube_object_resource_version(ev->object));
	return 0;
}

const void *
kube_cache_get(const struct kube_cache *c, const char *ns, const char *name)
{
	const struct kube_cache_obj *o = kube_store_get(c->store, ns, name);

	return o ? o->projection : NULL;
}

size_t
kube_cache_len(const struct kube_cache *c)
{
	return kube_store_len(c->store);
}

const char *
kube_cache_object_rv(const struct kube_cache *c, const char *ns,
    const char *name)
{
	const struct kube_cache_obj *o = kube_store_get(c->store, ns, name);

	return o ? o->rv : NULL;
}

struct kube_cache_visit {
	kube_cache_visit_fn fn;
	void *ctx;
};

static void
kube_cache_foreach_visit(void *ctx, const char *ns, const char *name, void *p)
{
	struct kube_cache_visit *v = ctx;
	const struct kube_cache_obj *o = p;

	v->fn(v->ctx, ns, name, o->rv, o->projection);
}

void
kube_cache_foreach(const struct kube_cache *c, kube_cache_visit_fn fn,
    void *ctx)
{
	struct kube_cache_visit v = { fn, ctx };

	kube_store_foreach(c->store, kube_cache_foreach_visit, &v);
}

size_t
kube_cache_index_foreach(const struct kube_cache *c, const char *key,
    kube_cache_visit_fn fn, void *ctx)
{
	struct kube_cache_visit v = { fn, ctx };

	return kube_store_index_foreach(c->store, key, fn ?
	    kube_cache_foreach_visit : NULL, &v);
}

size_t
kube_cache_index_keys(const struct kube_cache *c, const char *ns,
    const char *name, const char **keys, size_t max)
{
	return kube_store_index_keys(c->store, ns, name, keys, max);
}

void
kube_cache_index_stats(const struct kube_cache *c,
    struct kube_index_stats *st)
{
	kube_store_index_stats(c->store, st);
}
