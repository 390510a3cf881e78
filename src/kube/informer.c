/*
 * kube_informer: the list/watch driver (see informer.h). The store logic is
 * kube_cache's; this file owns the requests, the retry timer and the
 * decisions between them:
 *
 *   list ok        -> synced (first time), watch now
 *   list failed    -> list again after backoff
 *   watch ended    -> watch again from the last resourceVersion (now, or
 *                     after backoff when the stream ended at once with
 *                     nothing in it, so a server that closes every watch
 *                     cannot make us spin)
 *   watch 410      -> list now (the server compacted our resourceVersion);
 *                     after backoff when the watch after that list is
 *                     refused at once again, so a server answering 410 to
 *                     every watch cannot make us spin LISTs
 *   watch dropped  -> watch again after backoff (the server may be down)
 *   bad event, rv  -> list again after backoff (an event may be lost, or
 *   too large         the server is behind our resourceVersion)
 *   canceled       -> nothing: the client is going away (destroying the
 *                     client before the informer leaves it idle; free it)
 *
 * Lifetime: the struct lives until both the request in flight (whose
 * completion the client always delivers from the loop) and the timer handle
 * (closed by kube_informer_free) are gone.
 */
#include "kube/informer.h"

#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "kube/ratelimit.h"

enum kube_informer_next { NEXT_LIST, NEXT_WATCH };

struct kube_informer {
	struct kube_client *client;
	uv_loop_t *loop;
	char *group, *version, *resource, *namespace, *label_selector;
	bool namespaced;
	unsigned page_size;
	unsigned timeout_min_s, timeout_max_s;

	/* The caller's, called by the cache too; kube_informer_free clears
	 * the callbacks, so nothing reaches the caller after it. */
	struct kube_informer_handlers h;
	void *data;
	struct kube_cache cache;

	struct kube_request *req;	/* in flight, or NULL */
	uv_timer_t timer;		/* backoff wait */
	struct kube_backoff backoff;
	uint64_t rng;			/* xorshift64 for watch timeouts */
	enum kube_informer_next next;	/* what the timer starts */
	uint64_t watch_started_ms;
	unsigned long watch_events;	/* in the current watch */
	unsigned gone_at_once;		/* watches in a row refused with 410
					 * before any event */

	bool started, synced, closing, timer_closed;
	struct kube_informer_stats stats;
};

static void
kube_informer_on_error(struct kube_informer *inf, const struct err *e)
{
	if (inf->h.on_error != NULL)
		inf->h.on_error(inf->data, e);
}

/* ---- creation and release ---- */

static char *
kube_informer_strdup(const char *s, bool *oom)
{
	char *d;

	if (s == NULL || *s == '\0')
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*oom = true;
	return d;
}

static void
kube_informer_release(struct kube_informer *inf)
{
	kube_cache_free(&inf->cache);
	free(inf->group);
	free(inf->version);
	free(inf->resource);
	free(inf->namespace);
	free(inf->label_selector);
	free(inf);
}

/* Frees once nothing the loop holds points at inf any more. */
static void
kube_informer_maybe_release(struct kube_informer *inf)
{
	if (inf->closing && inf->req == NULL && inf->timer_closed)
		kube_informer_release(inf);
}

static void
kube_informer_timer_closed(uv_handle_t *h)
{
	struct kube_informer *inf = h->data;

	inf->timer_closed = true;
	kube_informer_maybe_release(inf);
}

static void
kube_informer_apply_defaults(struct kube_informer *inf,
    const struct kube_informer_opts *o)
{
	uint64_t base = o->backoff_base_ms ? o->backoff_base_ms : 500;
	uint64_t cap = o->backoff_cap_ms ? o->backoff_cap_ms : 30000;

	inf->namespaced = o->namespaced;
	inf->page_size = o->page_size ? o->page_size : 500;
	inf->timeout_min_s = o->watch_timeout_min_s ? o->watch_timeout_min_s :
	    300;
	inf->timeout_max_s = o->watch_timeout_max_s ? o->watch_timeout_max_s :
	    600;
	if (inf->timeout_max_s < inf->timeout_min_s)
		inf->timeout_max_s = inf->timeout_min_s;
	inf->rng = uv_hrtime() ^ (uint64_t)(uintptr_t)inf;
	if (inf->rng == 0)
		inf->rng = 0x9e3779b97f4a7c15ull;
	kube_backoff_init(&inf->backoff, base, cap < base ? base : cap,
	    inf->rng);
}

int
kube_informer_new(struct kube_informer **out, uv_loop_t *loop,
    struct kube_client *c, const struct kube_informer_opts *o,
    const struct kube_informer_handlers *h, void *data, struct err *e)
{
	struct kube_informer *inf;
	bool oom = false;

	*out = NULL;
	if (o->version == NULL || *o->version == '\0' || o->resource == NULL ||
	    *o->resource == '\0')
		return err_set(e, "informer: a version and a resource are "
		    "required");
	inf = calloc(1, sizeof(*inf));
	if (inf == NULL)
		return err_set(e, "informer: out of memory");
	inf->client = c;
	inf->h = *h;
	inf->data = data;
	if (kube_cache_init(&inf->cache, &inf->h, data, e) < 0) {
		free(inf);
		return -1;
	}
	inf->group = kube_informer_strdup(o->group, &oom);
	inf->version = kube_informer_strdup(o->version, &oom);
	inf->resource = kube_informer_strdup(o->resource, &oom);
	inf->namespace = kube_informer_strdup(o->namespace, &oom);
	inf->label_selector = kube_informer_strdup(o->label_selector, &oom);
	if (oom) {
		kube_informer_release(inf);
		return err_set(e, "informer: out of memory");
	}
	kube_informer_apply_defaults(inf, o);
	inf->loop = loop;
	uv_timer_init(inf->loop, &inf->timer);
	inf->timer.data = inf;
	*out = inf;
	return 0;
}

void
kube_informer_free(struct kube_informer *inf)
{
	if (inf == NULL || inf->closing)
		return;
	inf->closing = true;
	/* The cache reads inf->h at each call: only project, free and
	 * index stay (no handler runs after this). */
	inf->h = (struct kube_informer_handlers){ .project = inf->h.project,
	    .free = inf->h.free, .index = inf->h.index };
	if (inf->req != NULL)
		kube_request_cancel(inf->req);
	uv_timer_stop(&inf->timer);
	uv_close((uv_handle_t *)&inf->timer, kube_informer_timer_closed);
}

/* ---- the list/watch cycle ---- */

static void kube_informer_list(struct kube_informer *inf);
static void kube_informer_watch(struct kube_informer *inf);

static void
kube_informer_resource(const struct kube_informer *inf,
    struct kube_resource *r)
{
	memset(r, 0, sizeof(*r));
	r->group = inf->group;
	r->version = inf->version;
	r->resource = inf->resource;
	r->namespaced = inf->namespaced;
	r->namespace = inf->namespace;
}

static void
kube_informer_timer_fired(uv_timer_t *t)
{
	struct kube_informer *inf = t->data;

	if (inf->next == NEXT_LIST)
		kube_informer_list(inf);
	else
		kube_informer_watch(inf);
}

/* Runs `next` after the next backoff delay. */
static void
kube_informer_retry(struct kube_informer *inf, enum kube_informer_next next)
{
	if (inf->closing)
		return;
	inf->next = next;
	inf->stats.retries++;
	uv_timer_start(&inf->timer, kube_informer_timer_fired,
	    kube_backoff_next(&inf->backoff), 0);
}

static int
kube_informer_list_item(void *data, json_t *item, struct err *e)
{
	struct kube_informer *inf = data;

	if (inf->closing)
		return err_set(e, "informer: stopped");
	return kube_cache_list_item(&inf->cache, item, e);
}

static const char *
kube_informer_list_rv(const json_t *list)
{
	return json_string_value(json_object_get(json_object_get(list,
	    "metadata"), "resourceVersion"));
}

/*
 * A LIST leaves the heap with the freed JSON of its pages interleaved with
 * the small projections it kept: glibc keeps those free pages resident
 * (with 10,000 objects, about 9 MiB, twice the store itself). Hand them
 * back to the kernel once per list; watches only allocate one event at a
 * time and need no such care.
 */
static void
kube_informer_trim(void)
{
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}

static void
kube_informer_list_done(void *data, int status, json_t *obj,
    const struct kube_status *st, const struct err *e)
{
	struct kube_informer *inf = data;
	struct err le;

	(void)st;
	inf->req = NULL;
	if (inf->closing) {
		kube_informer_maybe_release(inf);
		return;
	}
	if (status == KUBE_ECANCELED)
		return;		/* the client is being destroyed: stay idle */
	if (status != KUBE_OK) {
		inf->stats.list_failures++;
		kube_informer_on_error(inf, e);
		kube_informer_retry(inf, NEXT_LIST);
		return;
	}
	if (kube_informer_list_rv(obj) == NULL) {
		inf->stats.list_failures++;
		err_set(&le, "informer: list %s: the response has no "
		    "metadata.resourceVersion", inf->resource);
		kube_informer_on_error(inf, &le);
		kube_informer_retry(inf, NEXT_LIST);
		return;
	}
	inf->stats.lists++;
	kube_cache_list_end(&inf->cache, kube_informer_list_rv(obj));
	kube_informer_trim();
	/* The backoff is reset by a watch that works, not here: a server
	 * that lists fine but fails every watch still sees growing delays. */
	if (!inf->synced && !inf->closing) {
		inf->synced = true;
		if (inf->h.on_synced != NULL)
			inf->h.on_synced(inf->data);
	}
	/* A handler may have freed us: req is NULL, the timer's close
	 * callback releases the memory. */
	if (!inf->closing)
		kube_informer_watch(inf);
}

static void
kube_informer_list(struct kube_informer *inf)
{
	struct kube_resource r;
	struct kube_list_opts lo = { 0 };
	struct err e;

	kube_informer_resource(inf, &r);
	lo.label_selector = inf->label_selector;
	lo.limit = inf->page_size;
	kube_cache_list_begin(&inf->cache);
	if (kube_list_all(inf->client, &r, &lo, kube_informer_list_item,
	    kube_informer_list_done, inf, &inf->req, &e) < 0) {
		inf->req = NULL;
		inf->stats.list_failures++;
		kube_informer_on_error(inf, &e);
		kube_informer_retry(inf, NEXT_LIST);
	}
}

static int
kube_informer_event(void *data, const struct kube_watch_event *ev,
    struct err *e)
{
	struct kube_informer *inf = data;

	if (inf->closing)
		return err_set(e, "informer: stopped");
	inf->watch_events++;
	return kube_cache_event(&inf->cache, ev, e);
}

static void
kube_informer_watch_done(void *data, int status, json_t *obj,
    const struct kube_status *st, const struct err *e)
{
	struct kube_informer *inf = data;
	uint64_t lasted;

	(void)obj;
	inf->req = NULL;
	if (inf->closing) {
		kube_informer_maybe_release(inf);
		return;
	}
	if (status == KUBE_ECANCELED)
		return;		/* the client is being destroyed: stay idle */
	lasted = uv_now(inf->loop) - inf->watch_started_ms;
	if (status == KUBE_OK) {
		inf->stats.watch_ends++;
		if (inf->watch_events > 0 || lasted >= 1000) {
			kube_backoff_reset(&inf->backoff);
			inf->gone_at_once = 0;
			kube_informer_watch(inf);
		} else {
			kube_informer_retry(inf, NEXT_WATCH);
		}
		return;
	}
	kube_informer_on_error(inf, e);
	if (inf->closing)
		return;
	if (status == KUBE_EAPI && st != NULL && st->code == 410) {
		inf->stats.gone++;
		if (inf->watch_events > 0 || lasted >= 1000)
			inf->gone_at_once = 0;
		if (inf->gone_at_once++ == 0)
			kube_informer_list(inf);
		else	/* 410 at once, again and again: do not spin LISTs */
			kube_informer_retry(inf, NEXT_LIST);
		return;
	}
	inf->stats.watch_failures++;
	/* client-go re-lists too when the server is behind the version we
	 * ask for (an etcd restored from a backup): 504 "Too large resource
	 * version". */
	if (status == KUBE_EDECODE || status == KUBE_ECALLBACK ||
	    (status == KUBE_EAPI && st != NULL &&
	    strstr(st->message, "Too large resource version") != NULL)) {
		kube_informer_retry(inf, NEXT_LIST);
		return;
	}
	if (inf->watch_events > 0) {
		kube_backoff_reset(&inf->backoff);
		inf->gone_at_once = 0;
	}
	kube_informer_retry(inf, NEXT_WATCH);
}

/* A timeoutSeconds in [min, max], so that many informers restarted together
 * do not all re-watch at the same instant. */
static unsigned
kube_informer_watch_timeout(struct kube_informer *inf)
{
	uint64_t x = inf->rng, span;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	inf->rng = x;
	span = (uint64_t)(inf->timeout_max_s - inf->timeout_min_s) + 1;
	return inf->timeout_min_s + (unsigned)(x % span);
}

static void
kube_informer_watch(struct kube_informer *inf)
{
	struct kube_resource r;
	struct kube_watch_opts wo = { 0 };
	struct err e;

	kube_informer_resource(inf, &r);
	wo.label_selector = inf->label_selector;
	wo.resource_version = inf->cache.rv;
	wo.timeout_seconds = kube_informer_watch_timeout(inf);
	inf->watch_started_ms = uv_now(inf->loop);
	inf->watch_events = 0;
	inf->stats.watches++;
	if (kube_watch(inf->client, &r, &wo, kube_informer_event,
	    kube_informer_watch_done, inf, &inf->req, &e) < 0) {
		inf->req = NULL;
		inf->stats.watch_failures++;
		kube_informer_on_error(inf, &e);
		kube_informer_retry(inf, NEXT_LIST);
	}
}

void
kube_informer_start(struct kube_informer *inf)
{
	if (inf->started || inf->closing)
		return;
	inf->started = true;
	kube_informer_list(inf);
}

/* ---- accessors ---- */

bool
kube_informer_synced(const struct kube_informer *inf)
{
	return inf->synced;
}

const char *
kube_informer_resource_version(const struct kube_informer *inf)
{
	return inf->cache.rv;
}

const struct kube_cache *
kube_informer_cache(const struct kube_informer *inf)
{
	return &inf->cache;
}

void
kube_informer_get_stats(const struct kube_informer *inf,
    struct kube_informer_stats *st)
{
	*st = inf->stats;
	st->cache = inf->cache.stats;
}
