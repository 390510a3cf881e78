/*
 * fetch: the cache side of the source fetch cache (see fetch.h): the table
 * of entries keyed by digest (a kube_store, the project's hash table), the
 * requests attached to them, delivery of outcomes and removal of trees.
 * The download and extraction of one entry are fetch_dl.c's.
 *
 * Outcomes are never delivered from inside a caller's call: an entry that
 * ends moves its waiting requests to the cache's notify queue and a zero
 * timer delivers them one at a time, so a callback may start, cancel or
 * release any request (its own included) without upsetting a walk.
 *
 * An entry leaves the table when it fails, or when its last request goes
 * and it is not kept idle; what it still has in flight (a request, an
 * extraction) ends on its own and the entry is freed after. A ready entry
 * whose last request goes stays in the table, idle, at the tail of the
 * cache's LRU list (bounded by idle_max, idle_max_bytes; one timer for the
 * TTL of the oldest); a request for its digest takes it out again. Temp names carry a cache-wide sequence
 * number, so a new entry for the same digest never meets an old one's
 * files.
 */
#include "controller/fetch_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fs_tree.h"
#include "controller/metrics.h"

struct fetch_rm {
	uv_work_t work;
	struct fetch_cache *c;
	char name[32];
};

static void fetch_cache_maybe_free(struct fetch_cache *c);

/* ---- removal of trees on the thread pool ---- */

static void
fetch_rm_work(uv_work_t *w)
{
	struct fetch_rm *rm = w->data;
	struct err ignored;

	/* a failure leaves <seq>.del behind: the next start empties .fetch */
	(void)fs_tree_remove(rm->c->dir_fd, rm->name, &ignored);
}

static void
fetch_rm_done(uv_work_t *w, int status)
{
	struct fetch_rm *rm = w->data;
	struct fetch_cache *c = rm->c;

	(void)status;
	free(rm);
	fetch_cache_unpend(c);
}

void
fetch_cache_trash(struct fetch_cache *c, const char *name)
{
	struct fetch_rm *rm = calloc(1, sizeof(*rm));
	struct err ignored;

	if (rm == NULL) {
		(void)fs_tree_remove(c->dir_fd, name, &ignored);
		return;
	}
	rm->c = c;
	rm->work.data = rm;
	snprintf(rm->name, sizeof(rm->name), "%llu.del",
	    (unsigned long long)++c->seq);
	if (renameat(c->dir_fd, name, c->dir_fd, rm->name) != 0) {
		free(rm);
		if (errno != ENOENT)
			(void)fs_tree_remove(c->dir_fd, name, &ignored);
		return;
	}
	if (uv_queue_work(c->loop, &rm->work, fetch_rm_work,
	    fetch_rm_done) != 0) {
		(void)fs_tree_remove(c->dir_fd, rm->name, &ignored);
		free(rm);
		return;
	}
	c->pending++;
}

/* ---- entries ---- */

static void
fetch_entry_untable(struct fetch_entry *en)
{
	if (!en->in_table)
		return;
	en->in_table = false;
	kube_store_delete(en->c->table, NULL, en->key, NULL);
}

/* Frees en once nothing refers to it and nothing of it runs. */
static void
fetch_entry_maybe_free(struct fetch_entry *en)
{
	struct fetch_cache *c = en->c;
	const char *leaf;

	if (en->refs > 0 || en->dl != NULL)
		return;
	fetch_entry_untable(en);
	if (en->state == FETCH_READY && en->dir != NULL) {
		leaf = strrchr(en->dir, '/');
		fetch_cache_trash(c, leaf != NULL ? leaf + 1 : en->dir);
	}
	TAILQ_REMOVE(&c->all, en, link);
	free(en->dir);
	free(en->fail);
	free(en->source);
	free(en);
	fetch_cache_maybe_free(c);
}

/* ---- idle trees ---- */

static void fetch_idle_timer_cb(uv_timer_t *t);

static void
fetch_idle_remove(struct fetch_entry *en)
{
	struct fetch_cache *c = en->c;

	if (!en->idle)
		return;
	en->idle = false;
	TAILQ_REMOVE(&c->idle, en, idle_link);
	c->n_idle--;
	c->idle_bytes -= en->bytes;
}

/* An idle tree goes: out of the table, removed on the pool. */
static void
fetch_idle_evict(struct fetch_entry *en)
{
	fetch_idle_remove(en);
	fetch_entry_maybe_free(en);
}

/* (Re)arms the TTL timer for the oldest idle tree. */
static void
fetch_idle_arm(struct fetch_cache *c)
{
	struct fetch_entry *en = TAILQ_FIRST(&c->idle);
	uint64_t now = uv_now(c->loop), due;

	if (en == NULL || c->closing) {
		uv_timer_stop(&c->idle_timer);
		return;
	}
	due = en->idle_since + c->o.idle_ttl_ms;
	uv_timer_start(&c->idle_timer, fetch_idle_timer_cb,
	    due > now ? due - now : 0, 0);
}

static void
fetch_idle_timer_cb(uv_timer_t *t)
{
	struct fetch_cache *c = t->data;
	struct fetch_entry *en;
	uint64_t now = uv_now(c->loop);

	while ((en = TAILQ_FIRST(&c->idle)) != NULL &&
	    en->idle_since + c->o.idle_ttl_ms <= now)
		fetch_idle_evict(en);
	fetch_idle_arm(c);
}

/* en's last request went: keep its tree for the next requester when it is
 * ready, current and the budget allows; true when kept. */
static bool
fetch_idle_keep(struct fetch_entry *en)
{
	struct fetch_cache *c = en->c;
	struct fetch_entry *old;

	if (c->o.idle_max == 0 || c->closing || en->superseded ||
	    en->state != FETCH_READY || !en->in_table ||
	    en->bytes > c->o.idle_max_bytes)
		return false;
	en->idle = true;
	en->idle_since = uv_now(c->loop);
	TAILQ_INSERT_TAIL(&c->idle, en, idle_link);
	c->n_idle++;
	c->idle_bytes += en->bytes;
	while ((old = TAILQ_FIRST(&c->idle)) != en &&
	    (c->n_idle > c->o.idle_max || c->idle_bytes > c->o.idle_max_bytes))
		fetch_idle_evict(old);
	if (TAILQ_FIRST(&c->idle) == en)
		fetch_idle_arm(c);
	return true;
}

/* A new digest of source is being fetched: its older trees are superseded
 * (idle ones go now, held ones at their last release). */
static void
fetch_supersede(struct fetch_cache *c, const struct fetch_entry *cur)
{
	struct fetch_entry *en, *next;

	for (en = TAILQ_FIRST(&c->all); en != NULL; en = next) {
		next = TAILQ_NEXT(en, link);
		if (en == cur || en->source == NULL ||
		    strcmp(en->source, cur->source) != 0)
			continue;
		en->superseded = true;
		if (en->idle)
			fetch_idle_evict(en);
	}
}

/* The last request went: keep the tree idle, or stop what can be stopped
 * and free. */
static void
fetch_entry_unref(struct fetch_entry *en)
{
	if (--en->refs > 0)
		return;
	if (fetch_idle_keep(en))
		return;
	fetch_entry_untable(en);
	if (en->dl != NULL)
		fetch_dl_abort(en->dl);
	fetch_entry_maybe_free(en);
}

static void fetch_notify_cb(uv_timer_t *t);

/* From fetch_dl.c: the download and extraction ended with dir (ready) or
 * fail; every waiting request is notified, in the order they came. */
void
fetch_entry_done(struct fetch_entry *en, const char *dir, uint64_t bytes,
    const struct err *fail)
{
	struct fetch_cache *c = en->c;
	struct fetch_req *r;

	if (c->o.metrics != NULL)
		metric_inc(dir != NULL ? c->o.metrics->downloads :
		    c->o.metrics->download_failures);
	if (dir != NULL && (en->dir = strdup(dir)) != NULL) {
		en->state = FETCH_READY;
		en->bytes = bytes;
	} else {
		en->state = FETCH_FAILED;
		en->fail = strdup(fail != NULL ? fail->msg : "out of memory");
		fetch_entry_untable(en);
	}
	TAILQ_FOREACH(r, &en->reqs, link) {
		if (r->state != FETCH_REQ_WAIT)
			continue;
		r->state = FETCH_REQ_NOTIFY;
		TAILQ_INSERT_TAIL(&c->notify, r, qlink);
	}
	if (!TAILQ_EMPTY(&c->notify) && !c->closing)
		uv_timer_start(&c->notify_timer, fetch_notify_cb, 0, 0);
}

void
fetch_entry_dl_gone(struct fetch_entry *en)
{
	en->dl = NULL;
	fetch_entry_maybe_free(en);
}

/* ---- requests ---- */

static void
fetch_req_free(struct fetch_req *r)
{
	struct fetch_entry *en = r->entry;

	if (en != NULL) {
		if (r->state == FETCH_REQ_NOTIFY)
			TAILQ_REMOVE(&en->c->notify, r, qlink);
		TAILQ_REMOVE(&en->reqs, r, link);
	}
	free(r->name);
	free(r);
	if (en != NULL)
		fetch_entry_unref(en);
}

void
fetch_req_cancel(struct fetch_req *r)
{
	fetch_req_free(r);
}

void
fetch_req_release(struct fetch_req *r)
{
	fetch_req_free(r);
}

static void
fetch_req_deliver(struct fetch_req *r)
{
	struct fetch_entry *en = r->entry;
	struct err e;

	TAILQ_REMOVE(&en->c->notify, r, qlink);
	if (en->state == FETCH_READY) {
		r->state = FETCH_REQ_HELD;
		r->cb(r, 0, en->dir, NULL, r->data);
		return;
	}
	r->state = FETCH_REQ_HELD;	/* out of the notify queue */
	err_set(&e, "source '%s': %s", r->name, en->fail != NULL ?
	    en->fail : "out of memory");
	r->cb(r, -1, NULL, &e, r->data);
	fetch_req_free(r);
}

static void
fetch_notify_cb(uv_timer_t *t)
{
	struct fetch_cache *c = t->data;
	struct fetch_req *r;

	while (!c->closing && (r = TAILQ_FIRST(&c->notify)) != NULL)
		fetch_req_deliver(r);
}

/* "sha256:<hex>" (or bare hex, taken as sha256) -> normalized key. */
static int
fetch_digest_key(const char *digest, char key[DIGEST_STRING_MAX],
    enum digest_algo *algo, uint8_t raw[DIGEST_RAW_MAX], struct err *e)
{
	char buf[DIGEST_STRING_MAX + 8];

	if (digest == NULL || *digest == '\0')
		return err_set(e, "the artifact has an empty digest");
	if (strlen(digest) >= DIGEST_STRING_MAX)
		return err_set(e, "the artifact's digest is too long (%zu bytes)",
		    strlen(digest));
	snprintf(buf, sizeof(buf), "%s%s", strchr(digest, ':') != NULL ?
	    "" : "sha256:", digest);
	if (digest_parse(buf, algo, raw, e) != 0)
		return err_prefix(e, "the artifact's digest");
	digest_format(*algo, raw, key);
	return 0;
}

static struct fetch_entry *
fetch_entry_new(struct fetch_cache *c, const char *key, const char *source)
{
	struct fetch_entry *en = calloc(1, sizeof(*en));

	if (en == NULL)
		return NULL;
	if ((en->source = strdup(source)) == NULL) {
		free(en);
		return NULL;
	}
	en->c = c;
	TAILQ_INIT(&en->reqs);
	snprintf(en->key, sizeof(en->key), "%s", key);
	if (kube_store_put(c->table, NULL, key, en, NULL) != 0) {
		free(en->source);
		free(en);
		return NULL;
	}
	en->in_table = true;
	TAILQ_INSERT_TAIL(&c->all, en, link);
	return en;
}

/* The entry for src's digest: the table's, or a new one downloading. */
static struct fetch_entry *
fetch_entry_get(struct fetch_cache *c, const struct fetch_source *src,
    struct err *e)
{
	char key[DIGEST_STRING_MAX], *url;
	uint8_t raw[DIGEST_RAW_MAX];
	struct fetch_entry *en;
	enum digest_algo algo;
	int rc;

	if (fetch_digest_key(src->digest, key, &algo, raw, e) != 0)
		return NULL;
	if ((en = kube_store_get(c->table, NULL, key)) != NULL) {
		fetch_idle_remove(en);		/* held again */
		return en;
	}
	if (src->url == NULL || *src->url == '\0') {
		err_set(e, "the artifact has an empty URL");
		return NULL;
	}
	url = *c->localhost != '\0' ?
	    fetch_url_rewrite(src->url, c->localhost, e) : strdup(src->url);
	if (url == NULL) {
		if (*c->localhost == '\0')
			err_set(e, "out of memory");
		return NULL;
	}
	if ((en = fetch_entry_new(c, key, src->name ? src->name : "")) ==
	    NULL) {
		free(url);
		err_set(e, "out of memory");
		return NULL;
	}
	fetch_supersede(c, en);
	rc = fetch_dl_start(en, url, algo, raw, e);
	free(url);
	if (rc != 0) {
		fetch_entry_maybe_free(en);
		return NULL;
	}
	return en;
}

int
fetch_req_start(struct fetch_cache *c, const struct fetch_source *src,
    fetch_cb cb, void *data, struct fetch_req **out, struct err *e)
{
	const char *name = src->name != NULL ? src->name : "";
	struct fetch_entry *en;
	struct fetch_req *r;

	if (c->closing)
		return err_set(e, "source '%s': the fetch cache is closing",
		    name);
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->name = strdup(name)) == NULL) {
		free(r);
		return err_set(e, "source '%s': out of memory", name);
	}
	if ((en = fetch_entry_get(c, src, e)) == NULL) {
		free(r->name);
		free(r);
		return err_prefix(e, "source '%s'", name);
	}
	r->entry = en;
	r->cb = cb;
	r->data = data;
	r->state = FETCH_REQ_WAIT;
	TAILQ_INSERT_TAIL(&en->reqs, r, link);
	if (en->refs > 0 && c->o.metrics != NULL)	/* shared fetch */
		metric_inc(c->o.metrics->fetch_shared);
	en->refs++;
	if (en->state == FETCH_READY) {
		r->state = FETCH_REQ_NOTIFY;
		TAILQ_INSERT_TAIL(&c->notify, r, qlink);
		uv_timer_start(&c->notify_timer, fetch_notify_cb, 0, 0);
	}
	if (out != NULL)
		*out = r;
	return 0;
}

/* ---- the cache ---- */

static int
fetch_cache_open_dir(struct fetch_cache *c, struct storage *s, struct err *e)
{
	if (fs_tree_remove(s->root_fd, ".fetch", e) != 0)
		return err_prefix(e, "empty '%s/.fetch'", s->root);
	if (mkdirat(s->root_fd, ".fetch", 0700) != 0 && errno != EEXIST)
		return err_sys(e, errno, "create '%s/.fetch'", s->root);
	c->dir_fd = openat(s->root_fd, ".fetch", O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC);
	if (c->dir_fd < 0)
		return err_sys(e, errno, "open '%s/.fetch' (it must be a "
		    "directory, not a symlink)", s->root);
	if (asprintf(&c->path, "%s/.fetch", s->root) < 0) {
		c->path = NULL;
		return err_set(e, "out of memory");
	}
	return 0;
}

static void
fetch_cache_defaults(struct fetch_cache_opts *o)
{
	if (o->max_download == 0)
		o->max_download = FETCH_DEFAULT_MAX_DOWNLOAD;
	if (o->retries < 0)
		o->retries = FETCH_DEFAULT_RETRIES;
	if (o->backoff_min_ms == 0)
		o->backoff_min_ms = FETCH_DEFAULT_BACKOFF_MIN_MS;
	if (o->backoff_max_ms == 0)
		o->backoff_max_ms = FETCH_DEFAULT_BACKOFF_MAX_MS;
	if (o->backoff_max_ms < o->backoff_min_ms)
		o->backoff_max_ms = o->backoff_min_ms;
	if (o->idle_max_bytes == 0)
		o->idle_max_bytes = FETCH_DEFAULT_IDLE_BYTES;
	if (o->idle_ttl_ms == 0)
		o->idle_ttl_ms = FETCH_DEFAULT_IDLE_TTL_MS;
}

static void
fetch_cache_free_now(struct fetch_cache *c)
{
	if (c->dir_fd >= 0)
		close(c->dir_fd);
	if (c->table != NULL)
		kube_store_free(c->table);
	free(c->localhost);
	free(c->path);
	free(c);
}

int
fetch_cache_new(struct fetch_cache **out, uv_loop_t *loop,
    const struct fetch_cache_opts *opts, struct err *e)
{
	struct fetch_cache *c = calloc(1, sizeof(*c));
	const char *lh = opts->localhost;

	if (c == NULL)
		return err_set(e, "fetch cache: out of memory");
	c->loop = loop;
	c->o = *opts;
	c->dir_fd = -1;
	fetch_cache_defaults(&c->o);
	TAILQ_INIT(&c->all);
	TAILQ_INIT(&c->notify);
	TAILQ_INIT(&c->idle);
	if (lh == NULL)
		lh = getenv(FETCH_LOCALHOST_ENV);
	if ((c->localhost = strdup(lh != NULL ? lh : "")) == NULL ||
	    (c->table = kube_store_new(NULL)) == NULL) {
		fetch_cache_free_now(c);
		return err_set(e, "fetch cache: out of memory");
	}
	if (fetch_cache_open_dir(c, opts->storage, e) != 0) {
		fetch_cache_free_now(c);
		return -1;
	}
	uv_timer_init(loop, &c->notify_timer);
	c->notify_timer.data = c;
	uv_timer_init(loop, &c->idle_timer);
	c->idle_timer.data = c;
	uv_unref((uv_handle_t *)&c->idle_timer);	/* never keeps a loop up */
	c->pending = 2;			/* the timers, until closed */
	*out = c;
	return 0;
}

static void
fetch_cache_timer_closed(uv_handle_t *h)
{
	fetch_cache_unpend(h->data);
}

void
fetch_cache_unpend(struct fetch_cache *c)
{
	c->pending--;
	fetch_cache_maybe_free(c);
}

static void
fetch_cache_maybe_free(struct fetch_cache *c)
{
	if (c->closing && c->pending == 0 && TAILQ_EMPTY(&c->all))
		fetch_cache_free_now(c);
}

/* Drops every request of en: waiting ones are freed, held ones become
 * inert; then the entry winds down as if its last request went. */
static void
fetch_cache_drop_entry(struct fetch_entry *en)
{
	struct fetch_req *r;

	en->refs++;			/* keep en while its requests go */
	while ((r = TAILQ_FIRST(&en->reqs)) != NULL) {
		TAILQ_REMOVE(&en->reqs, r, link);
		if (r->state == FETCH_REQ_NOTIFY)
			TAILQ_REMOVE(&en->c->notify, r, qlink);
		r->entry = NULL;
		en->refs--;
		if (r->state != FETCH_REQ_HELD) {
			free(r->name);
			free(r);
		}
	}
	fetch_entry_unref(en);
}

void
fetch_cache_destroy(struct fetch_cache *c)
{
	struct fetch_entry *en, *next;

	if (c == NULL || c->closing)
		return;
	c->closing = true;
	c->pending++;			/* no free while we walk */
	while ((en = TAILQ_FIRST(&c->idle)) != NULL)
		fetch_idle_evict(en);
	for (en = TAILQ_FIRST(&c->all); en != NULL; en = next) {
		next = TAILQ_NEXT(en, link);
		if (en->refs > 0)	/* others are winding down */
			fetch_cache_drop_entry(en);
	}
	uv_close((uv_handle_t *)&c->notify_timer, fetch_cache_timer_closed);
	uv_close((uv_handle_t *)&c->idle_timer, fetch_cache_timer_closed);
	fetch_cache_unpend(c);
}

char *
fetch_url_rewrite(const char *url, const char *host, struct err *e)
{
	const char *p = strstr(url, "://"), *h, *end, *at;
	char *out;

	if (p == NULL) {
		err_set(e, "artifact URL '%s' has no scheme", url);
		return NULL;
	}
	h = p + 3;
	end = h + strcspn(h, "/?#");
	at = memchr(h, '@', (size_t)(end - h));
	if (at != NULL)
		h = at + 1;
	if (asprintf(&out, "%.*s%s%s", (int)(h - url), url, host, end) < 0) {
		err_set(e, "out of memory");
		return NULL;
	}
	return out;
}

size_t
fetch_entry_sizeof(void)
{
	return sizeof(struct fetch_entry);
}

size_t
fetch_req_sizeof(void)
{
	return sizeof(struct fetch_req);
}

size_t
fetch_download_sizeof(void)
{
	return fetch_dl_sizeof();
}

size_t
fetch_cache_len(const struct fetch_cache *c)
{
	return kube_store_len(c->table);
}

size_t
fetch_cache_idle_len(const struct fetch_cache *c)
{
	return c->n_idle;
}

uint64_t
fetch_cache_idle_bytes(const struct fetch_cache *c)
{
	return c->idle_bytes;
}
