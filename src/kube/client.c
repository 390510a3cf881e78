/*
 * kube_client: client lifecycle (TLS profile, HTTP client, bearer token
 * refresh) and the request engine every verb goes through: rate-limit delay
 * on a per-request uv timer, send, response decoding, retries (429 with
 * Retry-After; 5xx, refused, reset and timed-out connections for idempotent
 * verbs; one retry with a re-read token after a 401), list paging, watch streaming, and deferred
 * completion so that callbacks always run from the loop. Priority-lane
 * requests skip the rate limiter and the inflight queue; the flowcontrol
 * probe switches the limiter off for good when the server runs API Priority
 * and Fairness.
 *
 * A request owns its URL, body, decoder and timer; it is freed in its timer's
 * close callback after its done callback ran. The client is freed once it
 * was destroyed and its last request and token timer are closed.
 */
#include "kube/client_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kubeconfig.h"
#include "kube/ratelimit.h"
#include "base/log.h"
#include "net/http_client.h"
#include "net/tls.h"

#define KUBE_DEFAULT_QPS 50.0
#define KUBE_DEFAULT_BURST 300
#define KUBE_DEFAULT_BODY_LIMIT (16u << 20)
#define KUBE_DEFAULT_RETRIES 5
#define KUBE_DEFAULT_MAX_INFLIGHT 8
#define KUBE_DEFAULT_TOKEN_REFRESH_MS 60000
#define KUBE_DEFAULT_TIMEOUT_MS 60000
#define KUBE_WATCH_IDLE_NO_TIMEOUT_MS 330000
/* A pooled connection unused this long is closed: each holds about 33 KiB
 * of TLS buffers (mbedTLS' fixed 16 KiB in and out records), and an idle
 * controller needs none but the lease's, renewed every few seconds.
 * client-go keeps them 90 s; a burst reopens them (one handshake each). */
#define KUBE_POOL_IDLE_MS 10000
#define KUBE_ERRBODY_MAX (64u << 10)
#define KUBE_RETRY_AFTER_MAX_S 60
#define KUBE_USER_AGENT "artifact-generator/0.1"

struct kube_client {
	uv_loop_t *loop;
	struct kube_config cfg;
	struct kube_client_opts opts;
	char *user_agent;
	struct http_client *http;
	struct tls_profile *tls;
	char *token;			/* current bearer token, or NULL */
	uv_timer_t token_timer;
	struct kube_ratelimit rl;
	struct kube_request *reqs;	/* live requests */
	unsigned nreq;
	unsigned inflight;		/* non-watch requests on the wire */
	struct kube_request *queue;	/* waiting for an inflight slot */
	struct kube_request *queue_tail;
	uint64_t seed;
	bool flowcontrol;		/* APF seen: no client-side limit */
	bool destroyed;
	bool timer_open;
};

enum req_state {
	REQ_WAIT,		/* timer armed: send when it fires */
	REQ_QUEUED,		/* waiting for an inflight slot */
	REQ_SENT,		/* http request in flight */
	REQ_DONE,		/* timer armed: run the done callback */
	REQ_CLOSING,		/* done ran; timer closing */
};

struct kube_request {
	struct kube_client *c;
	struct kube_request *next, *prev;
	struct kube_request *qnext;	/* in c->queue */
	uv_timer_t timer;
	enum req_state state;
	enum kube_call_kind kind;
	const char *verb;
	const char *method;
	const char *content_type;
	bool idempotent;
	bool priority;			/* KUBE_LANE_PRIORITY */
	bool canceled;
	bool token_retried;
	bool counted;			/* holds an inflight slot */
	unsigned retries;
	unsigned watch_timeout_s;
	char what[256];
	char *url;			/* list_all: without continue */
	char *cont;			/* list_all: the next page's token */
	char *body;
	size_t body_len;
	struct http_request *http;
	struct kube_backoff backoff;
	/* watch */
	struct kube_watch_decoder dec;
	int http_code;
	char *errbody;
	size_t errbody_len;
	/* outcome */
	int stop_status;		/* set by a stream callback before -1 */
	int result;
	json_t *obj;
	struct kube_status st;
	struct err err;
	kube_done_fn done;
	kube_item_fn on_item;
	kube_event_fn on_event;
	void *data;
};

static void req_timer_cb(uv_timer_t *t);

/* ---- client ---- */

static void
client_maybe_free(struct kube_client *c)
{
	if (!c->destroyed || c->nreq > 0 || c->timer_open)
		return;
	if (c->tls != NULL)
		tls_profile_unref(c->tls);
	kube_config_free(&c->cfg);
	free(c->user_agent);
	free(c->token);
	free(c);
}

static void
token_timer_closed(uv_handle_t *h)
{
	struct kube_client *c = h->data;

	c->timer_open = false;
	client_maybe_free(c);
}

/* Re-reads the token file; keeps the old token when that fails. */
static int
client_token_reload(struct kube_client *c, struct err *e)
{
	char *tok;

	if (c->cfg.token_file == NULL)
		return 0;
	if (kube_token_read(c->cfg.token_file, &tok, e) < 0)
		return -1;
	free(c->token);
	c->token = tok;
	return 0;
}

static void
token_timer_cb(uv_timer_t *t)
{
	struct kube_client *c = t->data;
	struct err e;

	if (client_token_reload(c, &e) < 0)
		log_error_kv(e.msg, "cannot re-read the API token; keeping the "
		    "previous one", NULL);
}

static int
client_tls(struct kube_client *c, struct err *e)
{
	struct tls_profile_opts o = {
		.ca_file = c->cfg.ca_file,
		.ca_pem = c->cfg.ca_pem,
		.ca_pem_len = c->cfg.ca_pem_len,
		.cert_file = c->cfg.cert_file,
		.cert_pem = c->cfg.cert_pem,
		.cert_pem_len = c->cfg.cert_pem_len,
		.key_file = c->cfg.key_file,
		.key_pem = c->cfg.key_pem,
		.key_pem_len = c->cfg.key_pem_len,
		.insecure_skip_verify = c->cfg.insecure,
	};

	if (strncmp(c->cfg.server, "https://", 8) != 0)
		return 0;
	if (tls_profile_new(&c->tls, &o, e) < 0)
		return err_prefix(e, "%s", c->cfg.origin ? c->cfg.origin :
		    "API server TLS");
	if (c->cfg.insecure)
		log_msg(LOG_INFO, NULL, NULL, "insecure-skip-tls-verify is "
		    "set: the API server certificate is not verified",
		    "server", c->cfg.server, NULL);
	return 0;
}

static void
client_opts_default(struct kube_client_opts *o,
    const struct kube_client_opts *in)
{
	if (in != NULL)
		*o = *in;
	else {
		memset(o, 0, sizeof(*o));
		o->qps = KUBE_DEFAULT_QPS;
		o->burst = KUBE_DEFAULT_BURST;
	}
	if (o->body_limit == 0)
		o->body_limit = KUBE_DEFAULT_BODY_LIMIT;
	if (o->watch_line_max == 0)
		o->watch_line_max = KUBE_WATCH_DEFAULT_MAX_LINE;
	if (o->max_retries == 0)
		o->max_retries = KUBE_DEFAULT_RETRIES;
	if (o->token_refresh_ms == 0)
		o->token_refresh_ms = KUBE_DEFAULT_TOKEN_REFRESH_MS;
	if (o->request_timeout_ms == 0)
		o->request_timeout_ms = KUBE_DEFAULT_TIMEOUT_MS;
	if (o->max_inflight == 0)
		o->max_inflight = KUBE_DEFAULT_MAX_INFLIGHT;
}

int
kube_client_new(struct kube_client **out, uv_loop_t *loop,
    const struct kube_config *cfg, const struct kube_client_opts *opts,
    struct err *e)
{
	struct http_client_opts ho = { 0 };
	struct kube_client *c;

	*out = NULL;
	if (cfg->server == NULL)
		return err_set(e, "API server config: no server URL");
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return err_set(e, "API client: out of memory");
	c->loop = loop;
	c->destroyed = true;	/* until fully built: fail frees */
	client_opts_default(&c->opts, opts);
	c->user_agent = strdup(c->opts.user_agent ? c->opts.user_agent :
	    KUBE_USER_AGENT);
	c->opts.user_agent = c->user_agent;
	if (c->user_agent == NULL) {
		err_set(e, "API client: out of memory");
		goto fail;
	}
	if (kube_config_copy(&c->cfg, cfg, e) < 0 || client_tls(c, e) < 0)
		goto fail;
	if (c->cfg.token != NULL && (c->token = strdup(c->cfg.token)) ==
	    NULL) {
		err_set(e, "API client: out of memory");
		goto fail;
	}
	if (client_token_reload(c, e) < 0)
		goto fail;
	ho.response_timeout_ms = c->opts.request_timeout_ms;
	ho.max_idle_per_endpoint = c->opts.max_inflight;
	ho.idle_timeout_ms = KUBE_POOL_IDLE_MS;
	if (http_client_new(&c->http, loop, &ho, e) < 0)
		goto fail;
	uv_timer_init(loop, &c->token_timer);
	c->token_timer.data = c;
	c->timer_open = true;
	if (c->cfg.token_file != NULL) {
		uv_timer_start(&c->token_timer, token_timer_cb,
		    c->opts.token_refresh_ms, c->opts.token_refresh_ms);
		uv_unref((uv_handle_t *)&c->token_timer);
	}
	kube_ratelimit_init(&c->rl, c->opts.qps, c->opts.burst,
	    uv_now(loop));
	c->seed = (uint64_t)(uintptr_t)c ^ uv_hrtime();
	c->destroyed = false;
	*out = c;
	return 0;
fail:
	client_maybe_free(c);
	return -1;
}

void
kube_client_destroy(struct kube_client *c)
{
	struct kube_request *r, *next;

	if (c == NULL || c->destroyed)
		return;
	c->destroyed = true;
	for (r = c->reqs; r != NULL; r = next) {
		next = r->next;
		kube_request_cancel(r);
	}
	http_client_destroy(c->http);
	c->http = NULL;
	uv_close((uv_handle_t *)&c->token_timer, token_timer_closed);
}

const char *
kube_client_namespace(const struct kube_client *c)
{
	return c->cfg.namespace ? c->cfg.namespace : "default";
}

const char *
kube_client_server(const struct kube_client *c)
{
	return c->cfg.server;
}

/* ---- request lifecycle ---- */

static void
req_closed(uv_handle_t *h)
{
	struct kube_request *r = h->data;
	struct kube_client *c = r->c;

	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		c->reqs = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	kube_watch_decoder_free(&r->dec);
	json_decref(r->obj);
	free(r->url);
	free(r->cont);
	free(r->body);
	free(r->errbody);
	free(r);
	c->nreq--;
	client_maybe_free(c);
}

/* Records the outcome and defers the done callback to the next loop turn. */
static void
req_complete(struct kube_request *r, int status, json_t *obj)
{
	r->result = status;
	r->obj = obj;
	if (status == KUBE_OK)
		memset(&r->st, 0, sizeof(r->st));
	r->state = REQ_DONE;
	uv_timer_start(&r->timer, req_timer_cb, 0, 0);
}

/* Fails with "<verb> <what>: <msg>" (msg may be r->err.msg). */
static void
req_fail(struct kube_request *r, int status, const char *msg)
{
	char copy[ERR_MSG_MAX];

	snprintf(copy, sizeof(copy), "%s", msg);
	if (status != KUBE_EAPI)
		memset(&r->st, 0, sizeof(r->st));
	err_set(&r->err, "%s %s: %s", r->verb, r->what, copy);
	req_complete(r, status, NULL);
}

/* Arms the timer to send after delay_ms or the rate limiter's wait (none
 * on the priority lane or under API Priority and Fairness). */
static void
req_schedule(struct kube_request *r, uint64_t delay_ms)
{
	uint64_t wait = 0;

	if (!r->priority && !r->c->flowcontrol)
		wait = kube_ratelimit_take(&r->c->rl, uv_now(r->c->loop));

	r->state = REQ_WAIT;
	uv_timer_start(&r->timer, req_timer_cb, delay_ms > wait ? delay_ms :
	    wait, 0);
}

static void
queue_remove(struct kube_client *c, struct kube_request *r)
{
	struct kube_request **pp, *prev = NULL;

	for (pp = &c->queue; *pp != NULL; prev = *pp, pp = &(*pp)->qnext) {
		if (*pp != r)
			continue;
		*pp = r->qnext;
		if (c->queue_tail == r)
			c->queue_tail = prev;
		r->qnext = NULL;
		return;
	}
}

void
kube_request_cancel(struct kube_request *r)
{
	if (r == NULL || r->canceled || r->state >= REQ_DONE)
		return;
	r->canceled = true;
	if (r->state == REQ_SENT && r->http != NULL) {
		http_request_cancel(r->http);	/* its on_done completes */
		return;
	}
	if (r->state == REQ_QUEUED)
		queue_remove(r->c, r);
	uv_timer_stop(&r->timer);
	req_fail(r, KUBE_ECANCELED, "canceled");
}

/* ---- responses ---- */

static int
watch_event(void *ctx, const struct kube_watch_event *ev, struct err *e)
{
	struct kube_request *r = ctx;

	if (ev->type == KUBE_WATCH_ERROR) {
		if (kube_status_from_json(ev->object, &r->st) < 0) {
			r->st.code = 0;
			snprintf(r->st.message, sizeof(r->st.message),
			    "ERROR event without a Status object");
		}
		r->stop_status = KUBE_EAPI;
		return kube_status_err(e, r->verb, r->what, &r->st);
	}
	if (r->on_event(r->data, ev, e) < 0) {
		r->stop_status = KUBE_ECALLBACK;
		return -1;
	}
	return 0;
}

static int
on_headers(struct http_request *h, const struct http_response *resp,
    struct err *e)
{
	struct kube_request *r = http_request_data(h);

	(void)e;
	r->http_code = resp->status;
	return 0;
}

static int
on_body(struct http_request *h, const char *p, size_t len, struct err *e)
{
	struct kube_request *r = http_request_data(h);
	size_t n;

	if (r->http_code / 100 != 2) {		/* keep a bounded error body */
		n = KUBE_ERRBODY_MAX - r->errbody_len;
		n = len < n ? len : n;
		if (r->errbody == NULL &&
		    (r->errbody = malloc(KUBE_ERRBODY_MAX)) == NULL)
			return err_set(e, "out of memory");
		memcpy(r->errbody + r->errbody_len, p, n);
		r->errbody_len += n;
		return 0;
	}
	if (kube_watch_decoder_feed(&r->dec, p, len, &r->err) == 0)
		return 0;
	if (r->stop_status == 0) {	/* the decoder's own error */
		r->stop_status = KUBE_EDECODE;
		err_prefix(&r->err, "%s %s", r->verb, r->what);
	}
	return err_set(e, "%s", r->err.msg);
}

/* Seconds of a Retry-After header (1..60), or 0 when absent/invalid. */
static uint64_t
retry_after_s(const struct http_response *resp)
{
	const char *v = http_response_header(resp, "Retry-After");
	char *end;
	unsigned long s;

	if (v == NULL)
		return 0;
	s = strtoul(v, &end, 10);
	if (end == v || *end != '\0')
		return 0;
	if (s < 1)
		s = 1;
	return s > KUBE_RETRY_AFTER_MAX_S ? KUBE_RETRY_AFTER_MAX_S : s;
}

/* Decides on a retry for an error answer; true when one is scheduled. */
static bool
req_retry(struct kube_request *r, int code, const struct http_response *resp)
{
	struct err e;
	uint64_t s;

	if (code == 401 && r->c->cfg.token_file != NULL &&
	    !r->token_retried && client_token_reload(r->c, &e) == 0) {
		r->token_retried = true;
		req_schedule(r, 0);
		return true;
	}
	if (r->retries >= r->c->opts.max_retries || r->kind == KUBE_CALL_WATCH)
		return false;
	if (code == 429) {
		r->retries++;
		s = retry_after_s(resp);
		req_schedule(r, s ? s * 1000 : kube_backoff_next(&r->backoff));
		return true;
	}
	if ((code >= 500 && code != 501 && r->idempotent) ||
	    (code == 0 && r->idempotent)) {
		r->retries++;
		req_schedule(r, kube_backoff_next(&r->backoff));
		return true;
	}
	return false;
}

static void
req_list_page(struct kube_request *r, json_t *page)
{
	json_t *items = json_object_get(page, "items"), *item;
	const char *cont;
	size_t i;

	if (!json_is_array(items)) {
		json_decref(page);
		req_fail(r, KUBE_EDECODE, "response has no items");
		return;
	}
	json_array_foreach(items, i, item) {
		if (r->on_item(r->data, item, &r->err) < 0) {
			json_decref(page);
			memset(&r->st, 0, sizeof(r->st));
			req_complete(r, KUBE_ECALLBACK, NULL);
			return;
		}
	}
	json_object_del(page, "items");
	cont = json_string_value(json_object_get(json_object_get(page,
	    "metadata"), "continue"));
	if (cont == NULL || *cont == '\0') {
		req_complete(r, KUBE_OK, page);
		return;
	}
	free(r->cont);
	r->cont = strdup(cont);
	json_decref(page);
	if (r->cont == NULL) {
		req_fail(r, KUBE_EDECODE, "out of memory");
		return;
	}
	r->retries = 0;
	kube_backoff_reset(&r->backoff);
	req_schedule(r, 0);
}

/*
 * The server runs API Priority and Fairness: stop limiting client-side, as
 * Flux does (its QPS and Burst become -1), and send at once the requests
 * that were only waiting for a token (not those waiting out a retry).
 */
static void
client_flowcontrol_on(struct kube_client *c)
{
	struct kube_request *r;

	if (c->flowcontrol)
		return;
	c->flowcontrol = true;
	log_msg(LOG_INFO, NULL, NULL, "the API server has API Priority and "
	    "Fairness enabled: client-side rate limiting (--kube-api-qps, "
	    "--kube-api-burst) is disabled", "server", c->cfg.server, NULL);
	for (r = c->reqs; r != NULL; r = r->next)
		if (r->state == REQ_WAIT && r->retries == 0 &&
		    !r->token_retried)
			uv_timer_start(&r->timer, req_timer_cb, 0, 0);
}

bool
kube_client_flowcontrol(const struct kube_client *c)
{
	return c->flowcontrol;
}

static void
req_success(struct kube_request *r, const struct http_response *resp)
{
	json_error_t jerr;
	json_t *obj;

	if (r->kind == KUBE_CALL_WATCH) {
		if (kube_watch_decoder_finish(&r->dec, &r->err) < 0) {
			req_fail(r, KUBE_ENET, r->err.msg);
			return;
		}
		req_complete(r, KUBE_OK, NULL);
		return;
	}
	obj = json_loadb(resp->body ? resp->body : "", resp->body_len,
	    JSON_REJECT_DUPLICATES, &jerr);
	if (obj == NULL) {
		snprintf(r->err.msg, sizeof(r->err.msg), "response is not "
		    "JSON: %s", jerr.text);
		req_fail(r, KUBE_EDECODE, r->err.msg);
		return;
	}
	if (r->kind == KUBE_CALL_LIST_ALL)
		req_list_page(r, obj);
	else
		req_complete(r, KUBE_OK, obj);
}

/*
 * Transport failures worth retrying: the server restarting or a connection
 * dropped. DNS, TLS and certificate failures and malformed responses are
 * not: retrying cannot change them, and the caller should hear at once.
 */
static bool
transient(int http_status)
{
	switch (http_status) {
	case HTTP_ECONNREFUSED:
	case HTTP_ECONNECT:
	case HTTP_ERESET:
	case HTTP_ETIMEDOUT:
		return true;
	default:
		return false;
	}
}

/* The flow-control probe is answered by the headers, whatever the status:
 * the API server's Priority and Fairness filter runs before authorization,
 * so even a 403 (a service account may not GET /livez/ping: the public
 * info role covers /livez only) carries them. */
static void
probe_answered(struct kube_request *r, const struct http_response *resp)
{
	if (http_response_header(resp, "X-Kubernetes-PF-FlowSchema-UID")
	    != NULL || http_response_header(resp,
	    "X-Kubernetes-PF-PriorityLevel-UID") != NULL)
		client_flowcontrol_on(r->c);
	req_complete(r, KUBE_OK, NULL);
}

/* Decides what an answer (or a transport failure) means for r. */
static void
req_answered(struct kube_request *r, int status,
    const struct http_response *resp, const struct err *e)
{
	const char *body;
	size_t len;

	if (r->canceled || status == HTTP_ECANCELED)
		return req_fail(r, KUBE_ECANCELED, "canceled");
	if (r->stop_status != 0) {
		if (r->stop_status != KUBE_EAPI)
			memset(&r->st, 0, sizeof(r->st));
		return req_complete(r, r->stop_status, NULL);
	}
	if (status != 0) {
		if (status == HTTP_ETOOBIG)
			return req_fail(r, KUBE_EDECODE, e->msg);
		if (resp == NULL && transient(status) &&
		    r->kind != KUBE_CALL_WATCH && req_retry(r, 0, NULL))
			return;
		return req_fail(r, KUBE_ENET, e->msg);
	}
	if (r->kind == KUBE_CALL_PROBE)
		return probe_answered(r, resp);
	if (resp->status / 100 == 2)
		return req_success(r, resp);
	if (req_retry(r, resp->status, resp))
		return;
	body = r->kind == KUBE_CALL_WATCH ? r->errbody : resp->body;
	len = r->kind == KUBE_CALL_WATCH ? r->errbody_len : resp->body_len;
	kube_status_from_body(resp->status, body, len, &r->st);
	kube_status_err(&r->err, r->verb, r->what, &r->st);
	req_complete(r, KUBE_EAPI, NULL);
}

static void req_send(struct kube_request *r);

/* Sends queued requests while inflight slots are free. */
static void
queue_dispatch(struct kube_client *c)
{
	struct kube_request *r;

	while (c->queue != NULL && c->inflight < c->opts.max_inflight) {
		r = c->queue;
		c->queue = r->qnext;
		if (c->queue == NULL)
			c->queue_tail = NULL;
		r->qnext = NULL;
		req_send(r);
	}
}

static void
on_done(struct http_request *h, int status, const struct http_response *resp,
    const struct err *e)
{
	struct kube_request *r = http_request_data(h);
	struct kube_client *c = r->c;

	r->http = NULL;
	if (r->counted) {
		r->counted = false;
		c->inflight--;
	}
	req_answered(r, status, resp, e);
	queue_dispatch(c);
}

/* ---- sending ---- */

static void
req_send(struct kube_request *r)
{
	struct kube_client *c = r->c;
	struct http_request_opts o = { 0 };
	struct kube_headers h;
	struct kube_buf url = { 0 };
	struct err e;

	if (c->destroyed || r->canceled)
		return req_fail(r, KUBE_ECANCELED, "canceled");
	/* Watches are long-lived and priority requests must not wait: they
	 * never take a slot. */
	if (r->kind != KUBE_CALL_WATCH && !r->priority &&
	    c->inflight >= c->opts.max_inflight) {
		r->state = REQ_QUEUED;
		if (c->queue_tail != NULL)
			c->queue_tail->qnext = r;
		else
			c->queue = r;
		c->queue_tail = r;
		return;
	}
	if (kube_headers_compose(&h, c->token, c->user_agent,
	    r->content_type, &e) < 0)
		return req_fail(r, KUBE_EAUTH, e.msg);
	url.p = r->url;
	if (r->cont != NULL) {		/* list_all: the next page */
		url.p = NULL;
		kube_buf_str(&url, r->url);
		kube_url_query(&url, "continue", r->cont);
	}
	o.method = r->method;
	o.url = url.p;
	o.headers = h.vec;
	o.body = r->body;
	o.body_len = r->body_len;
	o.tls = c->tls;
	o.tls_server_name = c->cfg.tls_server_name;
	o.on_done = on_done;
	o.data = r;
	if (r->kind == KUBE_CALL_WATCH) {
		o.on_headers = on_headers;
		o.on_body = on_body;
		o.stream_idle_timeout_ms = r->watch_timeout_s ?
		    (uint64_t)(r->watch_timeout_s + 30) * 1000 :
		    KUBE_WATCH_IDLE_NO_TIMEOUT_MS;
	} else {
		o.body_limit = c->opts.body_limit;
	}
	if (url.failed)
		err_set(&e, "URL too long or out of memory");
	r->http_code = 0;
	r->errbody_len = 0;
	r->state = REQ_SENT;
	r->counted = r->kind != KUBE_CALL_WATCH && !r->priority;
	c->inflight += r->counted;
	if (url.failed || http_client_request(c->http, &o, &r->http, &e) < 0) {
		r->http = NULL;
		c->inflight -= r->counted;
		r->counted = false;
		req_fail(r, KUBE_ENET, e.msg);
	}
	kube_headers_free(&h);
	if (url.p != r->url)
		kube_buf_free(&url);
}

static void
req_timer_cb(uv_timer_t *t)
{
	struct kube_request *r = t->data;
	const struct kube_status *st;

	if (r->state == REQ_WAIT) {
		req_send(r);
		return;
	}
	if (r->state != REQ_DONE)
		return;
	r->state = REQ_CLOSING;
	st = r->result == KUBE_OK ? NULL : &r->st;
	if (r->result == KUBE_OK)
		r->err.msg[0] = '\0';
	r->done(r->data, r->result, r->result == KUBE_OK ? r->obj : NULL, st,
	    &r->err);
	uv_close((uv_handle_t *)&r->timer, req_closed);
}

static int
req_body(struct kube_request *r, const json_t *body, struct err *e)
{
	if (body == NULL)
		return 0;
	r->body = json_dumps(body, JSON_COMPACT);
	if (r->body == NULL)
		return err_set(e, "%s %s: cannot serialize the body", r->verb,
		    r->what);
	r->body_len = strlen(r->body);
	return 0;
}

int
kube_call_start(struct kube_client *c, const struct kube_call *call,
    struct kube_buf *url, struct err *e)
{
	struct kube_request *r;

	if (call->out != NULL)
		*call->out = NULL;
	if (c->destroyed) {
		kube_buf_free(url);
		return err_set(e, "%s: the API client is shut down", call->verb);
	}
	if (call->done == NULL || (call->kind == KUBE_CALL_LIST_ALL &&
	    call->on_item == NULL) || (call->kind == KUBE_CALL_WATCH &&
	    call->on_event == NULL)) {
		kube_buf_free(url);
		return err_set(e, "%s: missing callback", call->verb);
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		kube_buf_free(url);
		return err_set(e, "%s: out of memory", call->verb);
	}
	r->c = c;
	r->kind = call->kind;
	r->verb = call->verb;
	r->method = call->method;
	r->content_type = call->content_type;
	r->idempotent = call->idempotent;
	r->priority = call->lane == KUBE_LANE_PRIORITY;
	r->watch_timeout_s = call->watch_timeout_s;
	r->done = call->done;
	r->on_item = call->on_item;
	r->on_event = call->on_event;
	r->data = call->data;
	r->url = url->p;
	url->p = NULL;
	kube_buf_free(url);
	if (call->what != NULL)
		snprintf(r->what, sizeof(r->what), "%s", call->what);
	else
		kube_url_what(r->what, sizeof(r->what), call->r);
	if (req_body(r, call->body, e) < 0) {
		free(r->url);
		free(r);
		return -1;
	}
	kube_backoff_init(&r->backoff, 250, 8000, c->seed++);
	kube_watch_decoder_init(&r->dec, c->opts.watch_line_max, watch_event,
	    r);
	uv_timer_init(c->loop, &r->timer);
	r->timer.data = r;
	r->next = c->reqs;
	if (c->reqs != NULL)
		c->reqs->prev = r;
	c->reqs = r;
	c->nreq++;
	req_schedule(r, 0);
	if (call->out != NULL)
		*call->out = r;
	return 0;
}
