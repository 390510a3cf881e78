/*
 * events_fwd: the POST of each event to --events-addr, as Flux's recorder
 * (fluxcd/pkg/runtime/events) sends it to notification-controller: the
 * event in fluxcd/pkg/apis/event v1beta1's JSON, one attempt bounded by
 * EVENTS_FORWARD_TIMEOUT_MS, and go-retryablehttp's policy as Flux sets it
 * up: a transport failure (but a rejected certificate), status 0 or a 5xx
 * but 501 is retried up to EVENTS_FORWARD_RETRIES times after waits of
 * EVENTS_FORWARD_WAIT_MIN_MS doubling up to EVENTS_FORWARD_WAIT_MAX_MS (a
 * 503's Retry-After seconds instead, within that bound); a 429 means
 * notification-controller saw a duplicate and is not retried. Giving up is
 * one log line and stats.failed. Unlike Flux, a 4xx other than 429 is also
 * counted and logged as a failure (Flux ignores it silently); it is not
 * retried either.
 *
 * At most EVENTS_FORWARD_INFLIGHT_MAX posts are in flight or waiting to
 * retry; beyond that an event is not forwarded (counted, logged).
 *
 * Ownership: each ev_fwd owns its serialized body and its retry timer; it
 * is freed from the timer's close callback, after which the recorder may
 * be released (ev_maybe_free).
 */
#include "controller/events_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/timefmt.h"

#define FWD_BODY_LIMIT 4096	/* the answer's body, read and dropped */

struct ev_fwd {
	TAILQ_ENTRY(ev_fwd) link;	/* r->fwds */
	struct events_recorder *r;
	char *body;
	size_t len;
	char *kind, *ns, *name;		/* for the log line */
	struct http_request *req;
	uv_timer_t timer;
	unsigned attempts;
	bool ended;
};

static void
set_str(json_t *o, const char *key, const char *v)
{
	if (v != NULL && *v != '\0')
		json_object_set_new(o, key, json_string(v));
}

json_t *
ev_fwd_json(const struct events_recorder *r, const struct events_object *obj,
    const char *severity, const char *reason, const char *message,
    const json_t *metadata, int64_t now_ns)
{
	json_t *ev = json_object(), *inv = json_object();
	char ts[TIME_RFC3339_MAX];

	if (ev == NULL || inv == NULL) {
		json_decref(ev);
		json_decref(inv);
		return NULL;
	}
	time_rfc3339(ts, now_ns / 1000000000);
	/* corev1.ObjectReference's field order, empty fields omitted. */
	set_str(inv, "kind", obj->kind);
	set_str(inv, "namespace", obj->namespace);
	set_str(inv, "name", obj->name);
	set_str(inv, "uid", obj->uid);
	set_str(inv, "apiVersion", obj->api_version);
	set_str(inv, "resourceVersion", obj->resource_version);
	json_object_set_new(ev, "involvedObject", inv);
	json_object_set_new(ev, "severity", json_string(severity));
	json_object_set_new(ev, "timestamp", json_string(ts));
	json_object_set_new(ev, "message", json_string(message));
	json_object_set_new(ev, "reason", json_string(reason));
	if (metadata != NULL && json_object_size(metadata) > 0)
		json_object_set_new(ev, "metadata",
		    json_deep_copy(metadata));
	json_object_set_new(ev, "reportingController",
	    json_string(r->controller));
	set_str(ev, "reportingInstance", r->instance);
	return ev;
}

static void
fwd_fail(struct ev_fwd *f, const char *why)
{
	struct events_object o = { .kind = f->kind, .namespace = f->ns,
		.name = f->name };
	char what[ERR_MSG_MAX];

	snprintf(what, sizeof(what), "POST %s", f->r->addr);
	ev_fail(f->r, &o, what, why);
}

static void
fwd_closed(uv_handle_t *h)
{
	struct ev_fwd *f = h->data;
	struct events_recorder *r = f->r;

	r->nfwd--;
	free(f->body);
	free(f->kind);
	free(f->ns);
	free(f->name);
	free(f);
	ev_maybe_free(r);
}

static void
fwd_end(struct ev_fwd *f)
{
	if (f->ended)
		return;
	f->ended = true;
	TAILQ_REMOVE(&f->r->fwds, f, link);
	uv_close((uv_handle_t *)&f->timer, fwd_closed);
}

static void fwd_done(struct http_request *req, int status,
    const struct http_response *resp, const struct err *e);

static int
fwd_send(struct ev_fwd *f, struct err *e)
{
	static const char *const headers[] = {
		"Content-Type: application/json", NULL };
	struct http_request_opts o = {
		.method = "POST",
		.url = f->r->addr,
		.headers = headers,
		.body = f->body,
		.body_len = f->len,
		.body_limit = FWD_BODY_LIMIT,
		.on_done = fwd_done,
		.connect_timeout_ms = f->r->o.forward_timeout_ms,
		.response_timeout_ms = f->r->o.forward_timeout_ms,
		.stream_idle_timeout_ms = f->r->o.forward_timeout_ms,
		.data = f,
	};

	f->attempts++;
	return http_client_request(f->r->http, &o, &f->req, e);
}

static void
retry_cb(uv_timer_t *t)
{
	struct ev_fwd *f = t->data;
	struct err e = { .msg = "" };

	if (fwd_send(f, &e) == 0)
		return;
	fwd_fail(f, e.msg);
	fwd_end(f);
}

/* The wait before the next attempt (retryablehttp's DefaultBackoff). */
static uint64_t
fwd_wait_ms(const struct ev_fwd *f, const struct http_response *resp)
{
	const struct events_opts *o = &f->r->o;
	uint64_t w = o->forward_wait_min_ms;
	const char *ra;
	unsigned i;

	if (resp != NULL && resp->status == 503 &&
	    (ra = http_response_header(resp, "Retry-After")) != NULL) {
		char *end;
		unsigned long s = strtoul(ra, &end, 10);

		if (end != ra && *end == '\0')
			return s * 1000 < o->forward_wait_max_ms ? s * 1000 :
			    o->forward_wait_max_ms;
	}
	for (i = 1; i < f->attempts && w < o->forward_wait_max_ms; i++)
		w *= 2;
	return w < o->forward_wait_max_ms ? w : o->forward_wait_max_ms;
}

static void
fwd_done(struct http_request *req, int status,
    const struct http_response *resp, const struct err *e)
{
	struct ev_fwd *f = http_request_data(req);
	struct events_recorder *r = f->r;
	char why[ERR_MSG_MAX];
	int code = resp != NULL ? resp->status : 0;

	f->req = NULL;
	if (status == HTTP_ECANCELED || r->closing) {
		fwd_end(f);
		return;
	}
	if (status == HTTP_OK && code != 0 && code < 500) {
		if (code < 400 || code == 429)
			r->st.forwarded++;
		else {
			snprintf(why, sizeof(why), "unexpected HTTP status %d",
			    code);
			fwd_fail(f, why);
		}
		fwd_end(f);
		return;
	}
	if (status == HTTP_OK && code == 501) {
		fwd_fail(f, "unexpected HTTP status 501");
		fwd_end(f);
		return;
	}
	if (status == HTTP_OK)
		snprintf(why, sizeof(why), "unexpected HTTP status %d", code);
	else
		snprintf(why, sizeof(why), "%s", e->msg);
	if (status == HTTP_ECERT || f->attempts > r->o.forward_retries) {
		char msg[ERR_MSG_MAX + 64];

		snprintf(msg, sizeof(msg), "giving up after %u attempt(s): %s",
		    f->attempts, why);
		fwd_fail(f, msg);
		fwd_end(f);
		return;
	}
	r->st.retried++;
	uv_timer_start(&f->timer, retry_cb, fwd_wait_ms(f, resp), 0);
}

static char *
dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

void
ev_fwd_start(struct events_recorder *r, const struct events_object *obj,
    json_t *body)
{
	struct err e = { .msg = "" };
	struct ev_fwd *f;

	if (body == NULL) {
		ev_fail(r, obj, "forward event", "out of memory");
		return;
	}
	if (obj->namespace == NULL || *obj->namespace == '\0') {
		ev_fail(r, obj, "forward event", "failed to get object "
		    "namespace");
		json_decref(body);
		return;
	}
	if (r->nfwd >= EVENTS_FORWARD_INFLIGHT_MAX) {
		ev_fail(r, obj, "forward event", "too many events waiting for "
		    "--events-addr");
		json_decref(body);
		return;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		ev_fail(r, obj, "forward event", "out of memory");
		json_decref(body);
		return;
	}
	f->r = r;
	f->body = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	f->kind = dup_or_empty(obj->kind);
	f->ns = dup_or_empty(obj->namespace);
	f->name = dup_or_empty(obj->name);
	uv_timer_init(r->loop, &f->timer);
	f->timer.data = f;
	r->nfwd++;
	TAILQ_INSERT_TAIL(&r->fwds, f, link);
	if (f->body == NULL || f->kind == NULL || f->ns == NULL ||
	    f->name == NULL) {
		ev_fail(r, obj, "forward event", "out of memory");
		fwd_end(f);
		return;
	}
	f->len = strlen(f->body);
	if (fwd_send(f, &e) < 0) {
		fwd_fail(f, e.msg);
		fwd_end(f);
	}
}

void
ev_fwd_cancel_all(struct events_recorder *r)
{
	struct ev_fwd *f, *next;

	for (f = TAILQ_FIRST(&r->fwds); f != NULL; f = next) {
		next = TAILQ_NEXT(f, link);
		if (f->req != NULL)
			http_request_cancel(f->req);
		else
			fwd_end(f);
	}
}
