/*
 * http_client: the client object, requests (validation, request head),
 * response handling, the keep-alive pool, the retry rule and the deferred
 * completion queue (see http_client.h). Connections live in http_conn.c.
 *
 * Completion is always deferred to the client's dispatch timer (timeout 0),
 * so that no user callback runs inside an API call and a request's memory
 * (its parser in particular) outlives every stack frame using it.
 */
#include "net/http_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define REQ_OF_PARSER(d) ((struct http_request *)(d))

static void req_start(struct http_request *r);

size_t
http_client_sizeof(void)
{
	return sizeof(struct http_client);
}

size_t
http_conn_sizeof(void)
{
	return sizeof(struct http_conn);
}

size_t
http_request_sizeof(void)
{
	return sizeof(struct http_request);
}

unsigned
http_client_conn_count(const struct http_client *c)
{
	const struct http_conn *conn;
	unsigned n = 0;

	TAILQ_FOREACH(conn, &c->conns, link)
		n += !conn->closing;
	return n;
}

void *
http_request_data(const struct http_request *req)
{
	return req->o.data;
}

uint64_t
http_req_timeout(const struct http_request *r, int phase)
{
	const struct http_client_opts *co = &r->client->opts;

	switch (phase) {
	case PHASE_CONNECT:
		return r->o.connect_timeout_ms ? r->o.connect_timeout_ms :
		    co->connect_timeout_ms;
	case PHASE_RESPONSE:
		return r->o.response_timeout_ms ? r->o.response_timeout_ms :
		    co->response_timeout_ms;
	default:
		return r->o.stream_idle_timeout_ms ?
		    r->o.stream_idle_timeout_ms : co->stream_idle_timeout_ms;
	}
}

/* ---- completion ---- */

static void
client_on_dispatch_closed(uv_handle_t *h)
{
	free(h->data);
}

static void
client_on_dispatch(uv_timer_t *t)
{
	struct http_client *c = t->data;
	struct http_request *r;

	while ((r = TAILQ_FIRST(&c->done)) != NULL) {
		TAILQ_REMOVE(&c->done, r, link);
		r->o.on_done(r, r->status, r->has_head ? &r->parser.resp : NULL,
		    &r->err);
		http_response_parser_free(&r->parser);
		free(r->chunk);
		free(r);
	}
	if (c->closing && TAILQ_EMPTY(&c->conns) && TAILQ_EMPTY(&c->active) &&
	    !uv_is_closing((uv_handle_t *)&c->dispatch))
		uv_close((uv_handle_t *)&c->dispatch,
		    client_on_dispatch_closed);
}

static void
client_dispatch_soon(struct http_client *c)
{
	if (!uv_is_closing((uv_handle_t *)&c->dispatch))
		uv_timer_start(&c->dispatch, client_on_dispatch, 0, 0);
}

void
http_client_conn_gone(struct http_client *c)
{
	if (c->closing)
		client_dispatch_soon(c);
}

static unsigned
pool_count(struct http_client *c, const struct http_request *r)
{
	struct http_conn *conn;
	unsigned n = 0;

	TAILQ_FOREACH(conn, &c->conns, link)
		n += http_conn_matches(conn, r);
	return n;
}

/* Returns a finished request's connection to the pool, or closes it. */
static void
pool_put(struct http_conn *conn, struct http_request *r)
{
	struct http_client *c = conn->client;

	if (c->closing || pool_count(c, r) >= c->opts.max_idle_per_endpoint) {
		http_conn_close(conn);
		return;
	}
	conn->state = CONN_IDLE;
	http_conn_timer(conn, PHASE_POOL, c->opts.idle_timeout_ms);
}

static void
req_finish(struct http_request *r, int status, int reusable)
{
	struct http_conn *conn = r->conn;

	r->finished = 1;
	r->status = status;
	if (conn != NULL) {
		conn->req = NULL;
		r->conn = NULL;
		if (status == 0 && reusable)
			pool_put(conn, r);
		else
			http_conn_close(conn);
	}
	TAILQ_REMOVE(&r->client->active, r, link);
	TAILQ_INSERT_TAIL(&r->client->done, r, link);
	client_dispatch_soon(r->client);
}

void
http_req_complete(struct http_request *r, int reusable)
{
	if (r->finished)
		return;
	r->err.msg[0] = '\0';
	req_finish(r, 0, reusable);
}

static int
req_idempotent(const struct http_request *r)
{
	static const char *const ok[] = { "GET", "HEAD", "PUT", "DELETE",
	    "OPTIONS", "TRACE" };
	size_t mlen = strcspn(r->head, " ");

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strlen(ok[i]) == mlen && memcmp(ok[i], r->head, mlen) == 0)
			return 1;
	return 0;
}

/* A reused connection the server had already dropped: try a fresh one. */
static int
req_retry(struct http_request *r, int status)
{
	struct http_conn *conn = r->conn;
	size_t limit = r->parser.body_limit;
	size_t hmax = r->parser.header_max;

	if (conn == NULL || !conn->reused || r->got_bytes || r->retried ||
	    r->o.body_read != NULL || r->client->closing ||
	    (status != HTTP_ERESET && status != HTTP_ETLS) ||
	    !req_idempotent(r))
		return 0;
	conn->req = NULL;
	r->conn = NULL;
	http_conn_close(conn);
	r->retried = 1;
	r->sent_all = 0;
	r->body_sent = 0;
	http_response_parser_free(&r->parser);
	http_response_parser_init(&r->parser, r->parser.head_request, hmax,
	    limit, r->parser.cbs, r);
	req_start(r);
	return 1;
}

void
http_req_fail(struct http_request *r, int status, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	if (r->finished || req_retry(r, status))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err_set(&r->err, "%.*s %s: %s", (int)strcspn(r->head, " "), r->head,
	    r->url, msg);
	req_finish(r, status, 0);
}

/* ---- response events from the connection ---- */

static int
req_on_headers(void *data, const struct http_response *resp, struct err *e)
{
	struct http_request *r = REQ_OF_PARSER(data);

	r->has_head = 1;
	if (r->conn != NULL && r->sent_all)
		http_conn_timer(r->conn, PHASE_BODY,
		    http_req_timeout(r, PHASE_BODY));
	if (r->o.on_headers != NULL && r->o.on_headers(r, resp, e) != 0)
		return -1;
	return r->finished ? -1 : 0;
}

static int
req_on_body(void *data, const char *p, size_t len, struct err *e)
{
	struct http_request *r = REQ_OF_PARSER(data);

	if (r->o.on_body != NULL && r->o.on_body(r, p, len, e) != 0)
		return -1;
	return r->finished ? -1 : 0;
}

static const struct http_response_cbs req_parser_cbs = {
	.on_headers = req_on_headers,
	.on_body = req_on_body,
};

static int
req_parse_status(int fail)
{
	switch (fail) {
	case HTTP_PARSE_BODY_TOO_BIG: return HTTP_ETOOBIG;
	case HTTP_PARSE_CALLBACK: return HTTP_ECALLBACK;
	case HTTP_PARSE_TRUNCATED: return HTTP_ERESET;
	default: return HTTP_EPROTO;
	}
}

void
http_req_deliver(struct http_request *r, const char *data, size_t len)
{
	struct http_conn *conn = r->conn;
	struct err e;
	long n;
	int reusable;

	r->got_bytes = 1;
	if (r->has_head && r->sent_all)
		http_conn_timer(conn, PHASE_BODY, http_req_timeout(r,
		    PHASE_BODY));
	n = http_response_parser_feed(&r->parser, data, len, &e);
	if (r->finished)            /* cancelled from a callback */
		return;
	if (n < 0) {
		http_req_fail(r, req_parse_status(r->parser.fail), "%s", e.msg);
		return;
	}
	if (!r->parser.complete)
		return;
	reusable = r->parser.resp.keep_alive && (size_t)n == len &&
	    r->sent_all && (conn->tls == NULL ||
	    tls_session_pending(conn->tls) == 0);
	http_req_complete(r, reusable);
}

void
http_req_eof(struct http_request *r, int uv_status)
{
	struct err e;

	if (uv_status != UV_EOF) {
		http_req_fail(r, HTTP_ERESET, "connection %s",
		    uv_status == UV_ECONNRESET ? "reset by peer" :
		    uv_strerror(uv_status));
		return;
	}
	if (!r->got_bytes) {
		http_req_fail(r, HTTP_ERESET, "connection closed by the server "
		    "before any response");
		return;
	}
	if (http_response_parser_eof(&r->parser, &e) != 0) {
		http_req_fail(r, req_parse_status(r->parser.fail), "%s", e.msg);
		return;
	}
	http_req_complete(r, 0);
}

/* ---- starting requests ---- */

static void
req_start(struct http_request *r)
{
	struct http_client *c = r->client;
	struct http_conn *conn;
	struct err e;

	if (!r->retried) {
		TAILQ_FOREACH(conn, &c->conns, link) {
			if (!http_conn_matches(conn, r))
				continue;
			conn->req = r;
			conn->reused = 1;
			r->conn = conn;
			http_conn_send(conn);
			return;
		}
	}
	if (http_conn_open(c, r, &conn, &e) != 0)
		http_req_fail(r, HTTP_EIO, "%s", e.msg);
}

static int
req_check_token(const char *s, const char *what, struct err *e)
{
	if (*s == '\0')
		return err_set(e, "HTTP request: empty %s", what);
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f ||
		    strchr("()<>@,;:\\\"/[]?={}", *s) != NULL)
			return err_set(e, "HTTP request: invalid %s", what);
	return 0;
}

static int
req_check_headers(const char *const *h, struct err *e)
{
	for (; h != NULL && *h != NULL; h++) {
		const char *colon = strchr(*h, ':');

		if (colon == NULL || colon == *h || strpbrk(*h, "\r\n") != NULL)
			return err_set(e, "HTTP request: invalid header line "
			    "'%.64s'", *h);
	}
	return 0;
}

static int
req_check(const struct http_client *c, const struct http_request_opts *o,
    struct err *e)
{
	if (c->closing)
		return err_set(e, "HTTP client is shutting down");
	if (o->url == NULL || o->on_done == NULL)
		return err_set(e, "HTTP request: url and on_done are required");
	if (o->body_read != NULL && o->body != NULL)
		return err_set(e, "HTTP request: body and body_read are "
		    "exclusive");
	if (o->body == NULL && o->body_len > 0)
		return err_set(e, "HTTP request: body_len without body");
	if (o->method != NULL &&
	    req_check_token(o->method, "method", e) != 0)
		return -1;
	return req_check_headers(o->headers, e);
}

static int
req_has_header(const char *const *h, const char *name)
{
	size_t len = strlen(name);

	for (; h != NULL && *h != NULL; h++)
		if (strncasecmp(*h, name, len) == 0 && (*h)[len] == ':')
			return 1;
	return 0;
}

/* Writes the request line and headers; returns the length (size bound). */
static size_t
req_head_write(char *p, size_t cap, const struct http_request_opts *o,
    const struct http_url *u, const char *method)
{
	size_t n;

	n = (size_t)snprintf(p, cap, "%s %s%.*s HTTP/1.1\r\n", method,
	    u->target_len == 0 || u->target[0] != '/' ? "/" : "",
	    (int)u->target_len, u->target);
	if (!req_has_header(o->headers, "host")) {
		n += (size_t)snprintf(p + n, cap - n, "Host: %s%s%s",
		    u->ipv6 ? "[" : "", u->host, u->ipv6 ? "]" : "");
		if (!u->default_port)
			n += (size_t)snprintf(p + n, cap - n, ":%d", u->port);
		n += (size_t)snprintf(p + n, cap - n, "\r\n");
	}
	for (const char *const *h = o->headers; h != NULL && *h; h++)
		n += (size_t)snprintf(p + n, cap - n, "%s\r\n", *h);
	if (o->body_read != NULL && o->body_read_len < 0)
		n += (size_t)snprintf(p + n, cap - n,
		    "Transfer-Encoding: chunked\r\n");
	else if (o->body_read != NULL)
		n += (size_t)snprintf(p + n, cap - n, "Content-Length: %lld\r\n",
		    (long long)o->body_read_len);
	else if (o->body != NULL || strcmp(method, "POST") == 0 ||
	    strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0)
		n += (size_t)snprintf(p + n, cap - n, "Content-Length: %zu\r\n",
		    o->body_len);
	n += (size_t)snprintf(p + n, cap - n, "\r\n");
	return n;
}

static size_t
req_head_bound(const struct http_request_opts *o, const char *method,
    size_t url_len)
{
	size_t n = strlen(method) + url_len + HTTP_HOST_MAX + 128;

	for (const char *const *h = o->headers; h != NULL && *h; h++)
		n += strlen(*h) + 2;
	return n;
}

int
http_client_request(struct http_client *c, const struct http_request_opts *o,
    struct http_request **out, struct err *e)
{
	const char *method = o->method != NULL ? o->method : "GET";
	struct http_request *r;
	struct http_url u;
	size_t url_len, head_cap;

	if (out != NULL)
		*out = NULL;
	if (req_check(c, o, e) != 0 || http_url_parse(&u, o->url, e) != 0)
		return -1;
	if (u.tls && o->tls == NULL)
		return err_set(e, "%s %s: https needs a TLS profile", method,
		    o->url);
	url_len = strlen(o->url);
	head_cap = req_head_bound(o, method, url_len);
	if ((r = calloc(1, sizeof(*r) + url_len + 1 + head_cap)) == NULL)
		return err_set(e, "%s %s: out of memory", method, o->url);
	r->client = c;
	r->o = *o;
	r->o.url = r->url = memcpy((char *)(r + 1), o->url, url_len + 1);
	r->o.headers = NULL;
	r->head = (char *)(r + 1) + url_len + 1;
	r->head_len = req_head_write(r->head, head_cap, o, &u, method);
	r->o.method = NULL;
	if (http_url_parse(&r->u, r->url, e) != 0) {
		free(r);
		return -1;
	}
	http_response_parser_init(&r->parser, strcmp(method, "HEAD") == 0,
	    c->opts.header_max, o->body_limit, &req_parser_cbs, r);
	TAILQ_INSERT_TAIL(&c->active, r, link);
	if (out != NULL)
		*out = r;
	req_start(r);
	return 0;
}

void
http_request_cancel(struct http_request *req)
{
	if (req->finished)
		return;
	err_set(&req->err, "%.*s %s: cancelled", (int)strcspn(req->head, " "),
	    req->head, req->url);
	req_finish(req, HTTP_ECANCELED, 0);
}

/* ---- the client ---- */

int
http_client_new(struct http_client **out, uv_loop_t *loop,
    const struct http_client_opts *opts, struct err *e)
{
	struct http_client *c;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return err_set(e, "HTTP client: out of memory");
	if (opts != NULL)
		c->opts = *opts;
	if (c->opts.max_idle_per_endpoint == 0)
		c->opts.max_idle_per_endpoint = 2;
	if (c->opts.idle_timeout_ms == 0)
		c->opts.idle_timeout_ms = 90000;
	if (c->opts.connect_timeout_ms == 0)
		c->opts.connect_timeout_ms = 30000;
	if (c->opts.response_timeout_ms == 0)
		c->opts.response_timeout_ms = 60000;
	if (c->opts.stream_idle_timeout_ms == 0)
		c->opts.stream_idle_timeout_ms = 300000;
	if (c->opts.header_max == 0)
		c->opts.header_max = HTTP_HEADERS_MAX_DEFAULT;
	c->loop = loop;
	TAILQ_INIT(&c->conns);
	TAILQ_INIT(&c->active);
	TAILQ_INIT(&c->done);
	uv_timer_init(loop, &c->dispatch);
	c->dispatch.data = c;
	*out = c;
	return 0;
}

void
http_client_destroy(struct http_client *c)
{
	struct http_conn *conn;
	struct http_request *r;

	if (c == NULL || c->closing)
		return;
	c->closing = 1;
	while ((r = TAILQ_FIRST(&c->active)) != NULL)
		http_request_cancel(r);
	TAILQ_FOREACH(conn, &c->conns, link)   /* closing keeps it listed */
		http_conn_close(conn);
	client_dispatch_soon(c);
}
