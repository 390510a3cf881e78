/*
 * events: the event recorder (see events.h). The controller creates one and
 * calls events_record from its reconciles, on the loop thread.
 *
 * The core/v1 side follows client-go's EventCorrelator (tools/record,
 * events_cache.go), which Flux's recorder sits on:
 *   - an event key (source, involved object, type, reason, message) maps, in
 *     an LRU of EVENTS_CACHE_SIZE entries, to the Event written for it (its
 *     name, count, firstTimestamp). A repeat increments the count and PATCHes
 *     count, lastTimestamp and message; a PATCH answered 404 (the Event
 *     expired) creates it again under the same name. Like client-go's
 *     eventLogger, a repeat is folded whatever time has passed since the
 *     first, for as long as its key stays in the LRU;
 *   - a token bucket per (source, object) (EventSourceObjectSpamFilter, its
 *     own LRU): EVENTS_SPAM_BURST events, then one per EVENTS_SPAM_REFILL_MS.
 *     An event over budget is dropped but still counted into its key's
 *     count, as client-go observes before it filters;
 *   - client-go's by-reason aggregation ("(combined from similar events)"
 *     after 10 messages of one reason within 10 minutes) is left out: our
 *     reasons carry few distinct messages and the rate budget bounds them.
 * Unlike client-go, which writes one event at a time from a goroutine, our
 * writes are asynchronous: at most one write per key is in flight, and
 * repeats recorded meanwhile are sent as one PATCH when it completes.
 *
 * Each event also goes to --events-addr (events_fwd.c) unless it is a
 * trace event, as Flux's recorder does; the rate budget does not apply
 * there (Flux posts every event; notification-controller rate-limits).
 *
 * Ownership: the recorder owns its caches, the writes in flight (each holds
 * its Event JSON) and the copied option strings. A write whose cache entry
 * is pushed out finishes without it.
 */
#include "controller/events_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/timefmt.h"

#define EV_META_PREFIX "event.toolkit.fluxcd.io/"
#define NS_PER_MS 1000000

/* The Event written for one event key (client-go's eventLog). */
struct ev_log {
	struct ev_lru_node node;	/* first: the LRU's */
	char *ns, *name;		/* the Event object */
	int64_t first_ns;
	uint32_t count;			/* what the server has or is being sent */
	bool dirty;			/* repeated while w was in flight */
	int64_t dirty_ns;		/* the last such repeat */
	struct ev_write *w;		/* the write in flight, or NULL */
};

/* The rate budget of one (source, object). */
struct ev_spam {
	struct ev_lru_node node;	/* first */
	double tokens;
	int64_t at_ns;			/* last refill */
};

/* One create or patch of an Event, with the whole Event for a create. */
struct ev_write {
	TAILQ_ENTRY(ev_write) link;	/* r->writes */
	struct events_recorder *r;
	struct ev_log *log;		/* NULL once pushed out of the LRU */
	json_t *body;
	struct kube_request *req;
	bool patch;
};

static const struct kube_resource events_res = { .version = "v1",
	.resource = "events", .namespaced = true };

int64_t
ev_now_ns(const struct events_recorder *r)
{
	struct timespec ts;

	if (r->o.now_ns != NULL)
		return r->o.now_ns();
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void
ev_fail(struct events_recorder *r, const struct events_object *obj,
    const char *what, const char *why)
{
	char msg[2 * ERR_MSG_MAX];

	r->st.failed++;
	snprintf(msg, sizeof(msg), "%s: %s", what, why);
	log_msg(LOG_ERROR, NULL, msg, "unable to record event",
	    "name", obj && obj->name ? obj->name : "",
	    "namespace", obj && obj->namespace ? obj->namespace : "",
	    "reconciler kind", obj && obj->kind ? obj->kind : "", NULL);
}

/* The involved object of an Event body, for ev_fail. */
static struct events_object
body_object(const json_t *body)
{
	const json_t *inv = json_object_get(body, "involvedObject");
	struct events_object o = {
		.kind = json_string_value(json_object_get(inv, "kind")),
		.namespace = json_string_value(json_object_get(inv,
		    "namespace")),
		.name = json_string_value(json_object_get(inv, "name")),
	};

	return o;
}

/* ---- the recorder ---- */

static void
log_evict(struct ev_lru_node *n, void *data)
{
	struct ev_log *lg = (struct ev_log *)n;

	(void)data;
	if (lg->w != NULL)
		lg->w->log = NULL;
	free(lg->ns);
	free(lg->name);
	free(lg);
}

static void
spam_evict(struct ev_lru_node *n, void *data)
{
	(void)data;
	free(n);
}

static char *
hostname_dup(void)
{
	char h[256];

	if (gethostname(h, sizeof(h) - 1) < 0)
		return strdup("");
	h[sizeof(h) - 1] = '\0';
	return strdup(h);
}

static void
opts_defaults(struct events_opts *o)
{
	if (o->cache_size == 0)
		o->cache_size = EVENTS_CACHE_SIZE;
	if (o->spam_burst == 0)
		o->spam_burst = EVENTS_SPAM_BURST;
	if (o->spam_refill_ms == 0)
		o->spam_refill_ms = EVENTS_SPAM_REFILL_MS;
	if (o->forward_retries == 0)
		o->forward_retries = EVENTS_FORWARD_RETRIES;
	if (o->forward_wait_min_ms == 0)
		o->forward_wait_min_ms = EVENTS_FORWARD_WAIT_MIN_MS;
	if (o->forward_wait_max_ms == 0)
		o->forward_wait_max_ms = EVENTS_FORWARD_WAIT_MAX_MS;
	if (o->forward_timeout_ms == 0)
		o->forward_timeout_ms = EVENTS_FORWARD_TIMEOUT_MS;
	o->controller_name = NULL;
	o->instance = NULL;
	o->events_addr = NULL;
}

static void
recorder_release(struct events_recorder *r)
{
	ev_lru_free(&r->logs);
	ev_lru_free(&r->spam);
	free(r->controller);
	free(r->instance);
	free(r->addr);
	free(r);
}

int
events_recorder_new(struct events_recorder **out, uv_loop_t *loop,
    const struct events_opts *o, struct err *e)
{
	struct events_recorder *r;
	bool fwd = o->events_addr != NULL && *o->events_addr != '\0';

	*out = NULL;
	if (o->kube == NULL || o->controller_name == NULL ||
	    (fwd && o->http == NULL))
		return err_set(e, "event recorder: a kube client, a controller "
		    "name and, with --events-addr, an HTTP client are needed");
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return err_set(e, "event recorder: out of memory");
	r->loop = loop;
	r->kube = o->kube;
	r->http = o->http;
	r->o = *o;
	opts_defaults(&r->o);
	TAILQ_INIT(&r->writes);
	TAILQ_INIT(&r->fwds);
	r->controller = strdup(o->controller_name);
	r->instance = o->instance ? strdup(o->instance) : hostname_dup();
	r->addr = fwd ? strdup(o->events_addr) : NULL;
	if (r->controller == NULL || r->instance == NULL ||
	    (fwd && r->addr == NULL)) {
		err_set(e, "event recorder: out of memory");
		goto fail;
	}
	if (ev_lru_init(&r->logs, r->o.cache_size, log_evict, r, e) < 0 ||
	    ev_lru_init(&r->spam, r->o.cache_size, spam_evict, r, e) < 0)
		goto fail;
	*out = r;
	return 0;
fail:
	recorder_release(r);
	return -1;
}

void
ev_maybe_free(struct events_recorder *r)
{
	if (r->closing && TAILQ_EMPTY(&r->writes) && r->nfwd == 0)
		recorder_release(r);
}

void
events_recorder_free(struct events_recorder *r)
{
	struct ev_write *w;

	if (r == NULL || r->closing)
		return;
	r->closing = true;
	TAILQ_FOREACH(w, &r->writes, link)
		if (w->req != NULL)
			kube_request_cancel(w->req);
	ev_fwd_cancel_all(r);
	ev_maybe_free(r);
}

void
events_stats_get(const struct events_recorder *r, struct events_stats *st)
{
	*st = r->st;
}

/* ---- core/v1 writes ---- */

static void write_done(void *data, int status, json_t *obj,
    const struct kube_status *st, const struct err *e);

static void
write_free(struct ev_write *w)
{
	TAILQ_REMOVE(&w->r->writes, w, link);
	if (w->log != NULL)
		w->log->w = NULL;
	json_decref(w->body);
	free(w);
}

static int
send_create(struct ev_write *w, struct err *e)
{
	struct kube_resource res = events_res;

	res.namespace = json_string_value(json_object_get(json_object_get(
	    w->body, "metadata"), "namespace"));
	w->patch = false;
	return kube_create(w->r->kube, &res, w->body, NULL, write_done, w,
	    &w->req, e);
}

/* PATCH count, lastTimestamp and message, as client-go's two-way patch. */
static int
send_patch(struct ev_write *w, struct err *e)
{
	struct kube_resource res = events_res;
	json_t *p;
	int rc;

	if (w->log == NULL)
		return err_set(e, "event cache entry gone");
	res.namespace = w->log->ns;
	res.name = w->log->name;
	p = json_pack("{s:O, s:O, s:O}",
	    "count", json_object_get(w->body, "count"),
	    "lastTimestamp", json_object_get(w->body, "lastTimestamp"),
	    "message", json_object_get(w->body, "message"));
	if (p == NULL)
		return err_set(e, "patch event %s/%s: out of memory",
		    w->log->ns, w->log->name);
	w->patch = true;
	rc = kube_patch_merge(w->r->kube, &res, p, NULL, write_done, w,
	    &w->req, e);
	json_decref(p);
	return rc;
}

/* Brings body to the log's Event: its name, count and first time, last
 * seen at last_ns. */
static void
body_from_log(json_t *body, const struct ev_log *lg, int64_t last_ns)
{
	char ts[TIME_RFC3339_MAX];

	json_object_set_new(json_object_get(body, "metadata"), "name",
	    json_string(lg->name));
	json_object_set_new(body, "count", json_integer(lg->count));
	time_rfc3339(ts, lg->first_ns / 1000000000);
	json_object_set_new(body, "firstTimestamp", json_string(ts));
	time_rfc3339(ts, last_ns / 1000000000);
	json_object_set_new(body, "lastTimestamp", json_string(ts));
}

static void
write_fail(struct ev_write *w, const char *why)
{
	struct events_object o = body_object(w->body);

	ev_fail(w->r, &o, w->patch ? "patch event" : "create event", why);
}

/* After a write: send the repeats recorded meanwhile, or finish. */
static void
write_next(struct ev_write *w)
{
	struct err e = { .msg = "" };
	struct ev_log *lg = w->log;

	if (lg == NULL || !lg->dirty) {
		write_free(w);
		return;
	}
	lg->dirty = false;
	body_from_log(w->body, lg, lg->dirty_ns);
	if (send_patch(w, &e) == 0)
		return;
	write_fail(w, e.msg);
	write_free(w);
}

static void
write_done(void *data, int status, json_t *obj, const struct kube_status *st,
    const struct err *e)
{
	struct ev_write *w = data;
	struct events_recorder *r = w->r;
	struct err e2 = { .msg = "" };

	(void)obj;
	w->req = NULL;
	if (status == KUBE_ECANCELED || r->closing) {
		write_free(w);
		ev_maybe_free(r);
		return;
	}
	if (status == KUBE_OK) {
		if (!w->patch)
			r->st.created++;
		write_next(w);
		return;
	}
	/* client-go: the Event expired or was deleted, create it anew. */
	if (w->patch && status == KUBE_EAPI && st->code == 404) {
		if (send_create(w, &e2) == 0)
			return;
		write_fail(w, e2.msg);
	} else {
		write_fail(w, e->msg);
	}
	write_next(w);
}

static void
write_start(struct events_recorder *r, struct ev_log *lg, json_t *body,
    bool patch)
{
	struct err e = { .msg = "" };
	struct ev_write *w = calloc(1, sizeof(*w));
	int rc;

	if (w == NULL) {
		struct events_object o = body_object(body);

		ev_fail(r, &o, "record event", "out of memory");
		json_decref(body);
		return;
	}
	w->r = r;
	w->log = lg;
	w->body = body;
	w->patch = patch;
	lg->w = w;
	TAILQ_INSERT_TAIL(&r->writes, w, link);
	rc = patch ? send_patch(w, &e) : send_create(w, &e);
	if (rc < 0) {
		write_fail(w, e.msg);
		write_free(w);
	}
}

/* ---- the correlator ---- */

/* EventSourceObjectSpamFilter: false when the object is over budget. */
static bool
spam_allow(struct events_recorder *r, const uint8_t *key, int64_t now)
{
	struct ev_spam *s = (struct ev_spam *)ev_lru_get(&r->spam, key);
	double burst = r->o.spam_burst;

	if (s == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			return true;
		memcpy(s->node.key, key, EV_KEY_LEN);
		s->tokens = burst;
		s->at_ns = now;
		ev_lru_add(&r->spam, &s->node);
	} else if (now > s->at_ns) {
		s->tokens += (double)(now - s->at_ns) /
		    ((double)r->o.spam_refill_ms * NS_PER_MS);
		if (s->tokens > burst)
			s->tokens = burst;
		s->at_ns = now;
	}
	if (s->tokens < 1.0)
		return false;
	s->tokens -= 1.0;
	return true;
}

static struct ev_log *
log_new(struct events_recorder *r, const uint8_t *key, const json_t *body,
    int64_t now)
{
	const json_t *meta = json_object_get(body, "metadata");
	struct ev_log *lg = calloc(1, sizeof(*lg));

	if (lg == NULL)
		return NULL;
	memcpy(lg->node.key, key, EV_KEY_LEN);
	lg->ns = strdup(json_string_value(json_object_get(meta, "namespace")));
	lg->name = strdup(json_string_value(json_object_get(meta, "name")));
	if (lg->ns == NULL || lg->name == NULL) {
		free(lg->ns);
		free(lg->name);
		free(lg);
		return NULL;
	}
	lg->first_ns = now;
	lg->count = 1;
	ev_lru_add(&r->logs, &lg->node);
	return lg;
}

static void
keys_of(const struct events_recorder *r, const struct events_object *obj,
    const char *type, const char *reason, const char *message,
    uint8_t key[EV_KEY_LEN], uint8_t skey[EV_KEY_LEN])
{
	/* getEventKey and getSpamKey (source.host and fieldPath are ""). */
	const char *ek[] = { r->controller, "", obj->kind, obj->namespace,
		obj->name, "", obj->uid, obj->api_version, type, reason,
		message };
	const char *sk[] = { r->controller, "", obj->kind, obj->namespace,
		obj->name, obj->uid, obj->api_version };

	ev_key(key, ek, sizeof(ek) / sizeof(ek[0]));
	ev_key(skey, sk, sizeof(sk) / sizeof(sk[0]));
}

static void
record_kube(struct events_recorder *r, const struct events_object *obj,
    const char *type, const char *reason, const char *message,
    const json_t *meta, int64_t now)
{
	struct kube_event ev = { .api_version = obj->api_version,
		.kind = obj->kind, .namespace = obj->namespace,
		.name = obj->name, .uid = obj->uid,
		.resource_version = obj->resource_version, .type = type,
		.reason = reason, .message = message,
		.reporting_controller = r->controller,
		.reporting_instance = r->instance, .annotations = meta };
	uint8_t key[EV_KEY_LEN], skey[EV_KEY_LEN];
	struct ev_log *lg;
	json_t *body;

	keys_of(r, obj, type, reason, message, key, skey);
	lg = (struct ev_log *)ev_lru_get(&r->logs, key);
	if (lg != NULL)
		lg->count++;
	if (!spam_allow(r, skey, now)) {
		r->st.dropped++;
		return;
	}
	if (lg != NULL && lg->w != NULL) {
		r->st.aggregated++;
		lg->dirty = true;
		lg->dirty_ns = now;
		return;
	}
	if ((body = kube_event_json(&ev, now)) == NULL) {
		ev_fail(r, obj, "record event", "out of memory");
		return;
	}
	if (lg != NULL) {
		r->st.aggregated++;
		body_from_log(body, lg, now);
		write_start(r, lg, body, true);
		return;
	}
	if ((lg = log_new(r, key, body, now)) == NULL) {
		ev_fail(r, obj, "record event", "out of memory");
		json_decref(body);
		return;
	}
	write_start(r, lg, body, false);
}

/* The call's annotations plus the object's "event.toolkit.fluxcd.io/"
 * ones (those win, as in Flux); NULL when there are none. */
static json_t *
meta_merge(const json_t *annotations, const json_t *obj_annotations)
{
	json_t *m = json_object(), *v;
	const char *k;

	if (m == NULL)
		return NULL;
	json_object_foreach((json_t *)annotations, k, v)
		if (json_is_string(v))
			json_object_set(m, k, v);
	json_object_foreach((json_t *)obj_annotations, k, v)
		if (json_is_string(v) && strncmp(k, EV_META_PREFIX,
		    strlen(EV_META_PREFIX)) == 0)
			json_object_set(m, k, v);
	if (json_object_size(m) == 0) {
		json_decref(m);
		return NULL;
	}
	return m;
}

/* Flux logs every event at trace level. */
static void
log_event(const struct events_object *obj, const char *type,
    const char *reason, const char *message)
{
	if (!log_enabled(LOG_TRACE))
		return;
	log_msg(strcmp(type, EVENT_TYPE_WARNING) == 0 ? LOG_ERROR : LOG_INFO,
	    NULL, strcmp(type, EVENT_TYPE_WARNING) == 0 ? reason : NULL,
	    message, "name", obj->name, "namespace",
	    obj->namespace ? obj->namespace : "", "reconciler kind", obj->kind,
	    "reason", reason, NULL);
}

static bool
empty(const char *s)
{
	return s == NULL || *s == '\0';
}

void
events_record(struct events_recorder *r, const struct events_object *obj,
    const char *type, const char *reason, const char *message,
    const json_t *annotations)
{
	bool trace = type != NULL && strcmp(type, EVENT_TYPE_TRACE) == 0;
	const char *ktype = type == NULL || trace ? EVENT_TYPE_NORMAL : type;
	json_t *meta, *fwd;
	int64_t now;

	if (r == NULL || r->closing)
		return;
	if (obj == NULL || empty(obj->kind) || empty(obj->name) ||
	    empty(reason)) {
		ev_fail(r, obj, "record event",
		    "the object's kind or name, or the reason, is missing");
		return;
	}
	message = message ? message : "";
	now = ev_now_ns(r);
	log_event(obj, ktype, reason, message);
	meta = meta_merge(annotations, obj->annotations);
	record_kube(r, obj, ktype, reason, message, meta, now);
	if (r->addr != NULL && !trace) {
		fwd = ev_fwd_json(r, obj, strcmp(ktype, EVENT_TYPE_WARNING) ==
		    0 ? "error" : "info", reason, message, meta, now);
		ev_fwd_start(r, obj, fwd);
	}
	json_decref(meta);
}
