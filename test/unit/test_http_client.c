/*
 * Unit tests for src/net/http_client.c, http_conn.c and tls.c: a small HTTP
 * server (plain and TLS, mbedTLS server side through the same tls glue) runs
 * in the test's own libuv loop on 127.0.0.1 and answers in the way each test
 * needs (content-length, chunked, slow drip, close mid-body, garbage, huge
 * headers, silence, reset). Certificates are made by the openssl CLI in a
 * temp dir once per suite. Every test is bounded by a watchdog timer, ends
 * by destroying the client and the server, runs the loop to completion and
 * checks that uv_loop_close() returns 0 (no handle left behind).
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include <llhttp.h>
#include <uv.h>

#include "net/http_client.h"
#include "net/tls.h"

#define WATCHDOG_MS 8000
#define MAX_REQ 8

enum srv_mode {
	M_CL, M_CHUNKED, M_DRIP, M_CLOSE, M_CLOSE_MID, M_GARBAGE, M_HUGE,
	M_NEVER, M_RESET, M_STALL, M_ECHO, M_DROP_SECOND, M_HEAD, M_NOCONTENT,
};

struct srv;

struct srv_conn {
	uv_tcp_t tcp;
	uv_timer_t timer;
	struct srv *srv;
	struct tls_session *tls;
	int handshaken;
	llhttp_t parser;
	int nreq;
	int drip_left;
	int closing;
	int open_handles;
	char *body;
	size_t body_len;
	LIST_ENTRY(srv_conn) link;
};

struct srv {
	uv_loop_t *loop;
	uv_tcp_t listener;
	llhttp_settings_t settings;
	struct tls_profile *tls;
	int port;
	int mode;
	const char *body;           /* response body for M_CL etc. */
	size_t body_len;
	int accepts;
	int requests;
	char *last_body;            /* last request body received */
	size_t last_body_len;
	char last_method[16];
	LIST_HEAD(, srv_conn) conns;
};

struct result {
	int done;
	int status;
	int http_status;
	char err[ERR_MSG_MAX];
	char *body;                 /* streamed or buffered body copy */
	size_t body_len;
	int body_calls;
	char x_test[32];
};

struct t {
	uv_loop_t loop;
	uv_timer_t watchdog;
	uv_timer_t aux;
	struct srv srv;
	struct http_client *client;
	struct http_client_opts copts;
	struct tls_profile *ctls;
	int expected;
	int finished;
	int timed_out;
	int cancel_in_body;
	struct http_request *reqs[MAX_REQ];
	struct result res[MAX_REQ];
	unsigned open_at_done[MAX_REQ];
	unsigned open_at_last;      /* open connections at the last on_done */
	void (*next)(struct t *t, int index);
	const char *upload;         /* body_read source */
	size_t upload_len;
	size_t upload_off;
};

static char *certdir;

/* ---- test server ---- */

static void srv_conn_close(struct srv_conn *sc, int reset);

static void
srv_on_conn_closed(uv_handle_t *h)
{
	struct srv_conn *sc = h->data;

	if (--sc->open_handles > 0)
		return;
	tls_session_free(sc->tls);
	free(sc->body);
	free(sc);
}

static void
srv_conn_close(struct srv_conn *sc, int reset)
{
	if (sc->closing)
		return;
	sc->closing = 1;
	LIST_REMOVE(sc, link);
	uv_close((uv_handle_t *)&sc->timer, srv_on_conn_closed);
	if (reset)
		uv_tcp_close_reset(&sc->tcp, srv_on_conn_closed);
	else
		uv_close((uv_handle_t *)&sc->tcp, srv_on_conn_closed);
}

struct srv_write {
	uv_write_t req;
	struct srv_conn *sc;
	int close_after;
	char data[];
};

static void
srv_on_written(uv_write_t *w, int status)
{
	struct srv_write *sw = (struct srv_write *)w;

	if (status == 0 && sw->close_after)
		srv_conn_close(sw->sc, 0);
	free(sw);
}

static void
srv_on_tls_written(void *arg, int status)
{
	if (status == 0)
		srv_conn_close(arg, 0);
}

static void
srv_send(struct srv_conn *sc, const char *data, size_t len, int close_after)
{
	struct srv_write *sw;
	struct err e;
	uv_buf_t b;

	if (sc->closing)
		return;
	if (sc->tls != NULL) {
		assert_int_equal(tls_session_write(sc->tls, data, len,
		    close_after ? srv_on_tls_written : NULL, sc, &e), 0);
		return;
	}
	sw = malloc(sizeof(*sw) + len);
	assert_non_null(sw);
	sw->sc = sc;
	sw->close_after = close_after;
	memcpy(sw->data, data, len);
	b = uv_buf_init(sw->data, (unsigned)len);
	assert_int_equal(uv_write(&sw->req, (uv_stream_t *)&sc->tcp, &b, 1,
	    srv_on_written), 0);
}

static void
srv_sendf(struct srv_conn *sc, int close_after, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
srv_sendf(struct srv_conn *sc, int close_after, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	assert_true(n > 0 && n < (int)sizeof(buf));
	srv_send(sc, buf, (size_t)n, close_after);
}

static void
srv_on_drip(uv_timer_t *t)
{
	struct srv_conn *sc = t->data;

	if (sc->drip_left-- > 0) {
		srv_sendf(sc, 0, "a\r\n%010d\r\n", sc->drip_left);
		return;
	}
	uv_timer_stop(t);
	srv_sendf(sc, 0, "0\r\n\r\n");
}

static void
srv_send_chunked(struct srv_conn *sc, const char *body, size_t len)
{
	size_t off, n;
	char hdr[32];

	srv_sendf(sc, 0, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "X-Test: chunked\r\n\r\n");
	for (off = 0; off < len; off += n) {
		n = len > 1000 ? 4000 : 7;   /* small pieces, or fast */
		if (n > len - off)
			n = len - off;
		snprintf(hdr, sizeof(hdr), "%zx\r\n", n);
		srv_send(sc, hdr, strlen(hdr), 0);
		srv_send(sc, body + off, n, 0);
		srv_send(sc, "\r\n", 2, 0);
	}
	srv_sendf(sc, 0, "0\r\n\r\n");
}

static void
srv_send_huge(struct srv_conn *sc)
{
	char line[1024];

	srv_sendf(sc, 0, "HTTP/1.1 200 OK\r\n");
	memset(line, 'h', sizeof(line));
	for (int i = 0; i < 70; i++) {
		int n = snprintf(line, 16, "X-H%03d: ", i);

		line[n] = 'v';
		memcpy(line + sizeof(line) - 2, "\r\n", 2);
		srv_send(sc, line, sizeof(line), 0);
	}
	srv_sendf(sc, 0, "Content-Length: 0\r\n\r\n");
}

static void
srv_send_cl(struct srv_conn *sc, const char *body, size_t len, int close)
{
	srv_sendf(sc, 0, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n"
	    "X-Test: yes\r\n%s\r\n", len, close ? "Connection: close\r\n" : "");
	srv_send(sc, body, len, close);
}

/* Answers one complete request according to the server's mode. */
static void
srv_respond(struct srv_conn *sc)
{
	struct srv *s = sc->srv;

	switch (s->mode) {
	case M_CL: srv_send_cl(sc, s->body, s->body_len, 0); break;
	case M_CHUNKED: srv_send_chunked(sc, s->body, s->body_len); break;
	case M_DRIP:
		srv_sendf(sc, 0, "HTTP/1.1 200 OK\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n");
		sc->drip_left = 40;
		uv_timer_start(&sc->timer, srv_on_drip, 2, 2);
		break;
	case M_CLOSE: srv_send_cl(sc, s->body, s->body_len, 1); break;
	case M_CLOSE_MID:
		srv_sendf(sc, 0, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n"
		    "\r\n");
		srv_send(sc, s->body, s->body_len, 1);
		break;
	case M_GARBAGE: srv_sendf(sc, 0, "HTTP/1.1 2x0 OK\r\n\r\n"); break;
	case M_HUGE: srv_send_huge(sc); break;
	case M_NEVER: break;
	case M_RESET: srv_conn_close(sc, 1); break;
	case M_STALL:
		srv_sendf(sc, 0, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n"
		    "\r\n0123456789");
		break;
	case M_ECHO:
		srv_send_cl(sc, s->last_body != NULL ? s->last_body : "",
		    s->last_body_len, 0);
		break;
	case M_DROP_SECOND:
		if (sc->nreq >= 2)
			srv_conn_close(sc, 0);
		else
			srv_send_cl(sc, s->body, s->body_len, 0);
		break;
	case M_HEAD:
		srv_sendf(sc, 0, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
		break;
	case M_NOCONTENT:
		srv_sendf(sc, 0, "HTTP/1.1 204 No Content\r\n\r\n");
		break;
	}
}

static int
srv_on_body(llhttp_t *p, const char *at, size_t len)
{
	struct srv_conn *sc = p->data;

	sc->body = realloc(sc->body, sc->body_len + len + 1);
	assert_non_null(sc->body);
	memcpy(sc->body + sc->body_len, at, len);
	sc->body_len += len;
	return 0;
}

static int
srv_on_message(llhttp_t *p)
{
	struct srv_conn *sc = p->data;
	struct srv *s = sc->srv;

	sc->nreq++;
	s->requests++;
	snprintf(s->last_method, sizeof(s->last_method), "%s",
	    llhttp_method_name(llhttp_get_method(p)));
	free(s->last_body);
	s->last_body = sc->body;
	s->last_body_len = sc->body_len;
	sc->body = NULL;
	sc->body_len = 0;
	srv_respond(sc);
	return 0;
}

static void
srv_feed(struct srv_conn *sc, const char *data, size_t len)
{
	llhttp_errno_t rc = llhttp_execute(&sc->parser, data, len);

	if (rc != HPE_OK && sc->srv->mode != M_NEVER)
		srv_conn_close(sc, 0);
}

static void
srv_on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	(void)h;
	buf->base = malloc(hint);
	buf->len = hint;
}

static void
srv_on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct srv_conn *sc = st->data;
	char plain[16384];
	struct err e;
	int n;

	if (nread < 0 || sc->closing) {
		if (!sc->closing)
			srv_conn_close(sc, 0);
		free(buf->base);
		return;
	}
	if (sc->tls == NULL) {
		srv_feed(sc, buf->base, (size_t)nread);
		free(buf->base);
		return;
	}
	tls_session_feed(sc->tls, buf->base, (size_t)nread);
	if (!sc->handshaken) {
		n = tls_session_handshake(sc->tls, &e);
		if (n < 0)
			srv_conn_close(sc, 0);
		sc->handshaken = n == TLS_DONE;
	}
	while (sc->handshaken && !sc->closing) {
		n = tls_session_read(sc->tls, plain, sizeof(plain), &e);
		if (n <= 0) {
			if (n != TLS_AGAIN)
				srv_conn_close(sc, 0);
			break;
		}
		srv_feed(sc, plain, (size_t)n);
	}
	if (!sc->closing)
		tls_session_feed(sc->tls, NULL, 0);
	free(buf->base);
}

static void
srv_on_connection(uv_stream_t *l, int status)
{
	struct srv *s = l->data;
	struct srv_conn *sc;
	struct err e;

	assert_int_equal(status, 0);
	sc = calloc(1, sizeof(*sc));
	assert_non_null(sc);
	sc->srv = s;
	uv_tcp_init(s->loop, &sc->tcp);
	uv_timer_init(s->loop, &sc->timer);
	sc->tcp.data = sc->timer.data = sc;
	sc->open_handles = 2;
	LIST_INSERT_HEAD(&s->conns, sc, link);
	assert_int_equal(uv_accept(l, (uv_stream_t *)&sc->tcp), 0);
	s->accepts++;
	llhttp_init(&sc->parser, HTTP_REQUEST, &s->settings);
	sc->parser.data = sc;
	if (s->tls != NULL)
		assert_int_equal(tls_session_new(&sc->tls, s->tls,
		    (uv_stream_t *)&sc->tcp, NULL, &e), 0);
	uv_read_start((uv_stream_t *)&sc->tcp, srv_on_alloc, srv_on_read);
}

static void
srv_start(struct srv *s, uv_loop_t *loop, int mode)
{
	struct sockaddr_storage ss;
	struct sockaddr_in sin;
	int len = sizeof(ss);

	s->loop = loop;
	s->mode = mode;
	if (s->body == NULL) {
		s->body = "hello world";
		s->body_len = 11;
	}
	LIST_INIT(&s->conns);
	llhttp_settings_init(&s->settings);
	s->settings.on_body = srv_on_body;
	s->settings.on_message_complete = srv_on_message;
	uv_tcp_init(loop, &s->listener);
	s->listener.data = s;
	uv_ip4_addr("127.0.0.1", 0, &sin);
	assert_int_equal(uv_tcp_bind(&s->listener,
	    (const struct sockaddr *)&sin, 0), 0);
	assert_int_equal(uv_listen((uv_stream_t *)&s->listener, 16,
	    srv_on_connection), 0);
	uv_tcp_getsockname(&s->listener, (struct sockaddr *)&ss, &len);
	s->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void
srv_stop(struct srv *s)
{
	if (s->loop == NULL || uv_is_closing((uv_handle_t *)&s->listener))
		return;
	uv_close((uv_handle_t *)&s->listener, NULL);
	while (!LIST_EMPTY(&s->conns))
		srv_conn_close(LIST_FIRST(&s->conns), 0);
}

/* ---- harness ---- */

static void
t_shutdown(struct t *t)
{
	http_client_destroy(t->client);
	srv_stop(&t->srv);
	if (!uv_is_closing((uv_handle_t *)&t->watchdog)) {
		uv_close((uv_handle_t *)&t->watchdog, NULL);
		uv_close((uv_handle_t *)&t->aux, NULL);
	}
}

static void
t_on_watchdog(uv_timer_t *w)
{
	struct t *t = w->data;

	t->timed_out = 1;
	t_shutdown(t);
}

static struct t *
t_new(int mode)
{
	struct t *t = calloc(1, sizeof(*t));
	struct err e;

	assert_non_null(t);
	assert_int_equal(uv_loop_init(&t->loop), 0);
	uv_timer_init(&t->loop, &t->watchdog);
	uv_timer_init(&t->loop, &t->aux);
	t->watchdog.data = t->aux.data = t;
	uv_timer_start(&t->watchdog, t_on_watchdog, WATCHDOG_MS, 0);
	t->srv.mode = mode;
	t->expected = 1;
	(void)e;
	return t;
}

/* Starts the server and the client (after the test set options). */
static void
t_start(struct t *t)
{
	struct err e;

	srv_start(&t->srv, &t->loop, t->srv.mode);
	assert_int_equal(http_client_new(&t->client, &t->loop, &t->copts,
	    &e), 0);
}

/* Runs the loop until every handle is closed (the last on_done shuts the
 * client and server down, or the watchdog does). */
static void
t_run(struct t *t)
{
	uv_run(&t->loop, UV_RUN_DEFAULT);
	assert_false(t->timed_out);
}

/* Checks no handle is left and frees the test state. */
static void
t_finish(struct t *t)
{
	uv_run(&t->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&t->loop), 0);
	for (int i = 0; i < MAX_REQ; i++)
		free(t->res[i].body);
	free(t->srv.last_body);
	tls_profile_unref(t->srv.tls);
	tls_profile_unref(t->ctls);
	free(t);
}

static int
t_index(struct t *t, struct http_request *req)
{
	for (int i = 0; i < MAX_REQ; i++)
		if (t->reqs[i] == req)
			return i;
	fail_msg("unknown request");
	return -1;
}

static int
t_on_headers(struct http_request *req, const struct http_response *resp,
    struct err *e)
{
	struct t *t = http_request_data(req);
	struct result *r = &t->res[t_index(t, req)];
	const char *v = http_response_header(resp, "x-test");

	(void)e;
	r->http_status = resp->status;
	snprintf(r->x_test, sizeof(r->x_test), "%s", v != NULL ? v : "");
	return 0;
}

static int
t_on_body(struct http_request *req, const char *p, size_t len, struct err *e)
{
	struct t *t = http_request_data(req);
	struct result *r = &t->res[t_index(t, req)];

	(void)e;
	r->body = realloc(r->body, r->body_len + len + 1);
	memcpy(r->body + r->body_len, p, len);
	r->body_len += len;
	r->body[r->body_len] = '\0';
	r->body_calls++;
	if (t->cancel_in_body && r->body_calls == 3) {
		http_request_cancel(req);
		http_request_cancel(req);
	}
	return 0;
}

static void
t_on_done(struct http_request *req, int status,
    const struct http_response *resp, const struct err *e)
{
	struct t *t = http_request_data(req);
	int i = t_index(t, req);
	struct result *r = &t->res[i];

	r->done++;
	r->status = status;
	snprintf(r->err, sizeof(r->err), "%s", e->msg);
	if (resp != NULL && resp->body != NULL) {
		free(r->body);
		r->body = malloc(resp->body_len + 1);
		memcpy(r->body, resp->body, resp->body_len + 1);
		r->body_len = resp->body_len;
	}
	if (resp != NULL)
		r->http_status = resp->status;
	t->reqs[i] = NULL;
	t->open_at_done[i] = http_client_conn_count(t->client);
	t->open_at_last = t->open_at_done[i];
	t->finished++;
	if (t->next != NULL && t->finished < t->expected)
		t->next(t, t->finished);
	else if (t->finished >= t->expected)
		t_shutdown(t);
}

/* Sends a request; i is the result slot. opts may be pre-filled. */
static void
t_request(struct t *t, int i, struct http_request_opts *o, const char *path)
{
	char url[256];
	struct err e;

	snprintf(url, sizeof(url), "%s://%s:%d%s", t->ctls ? "https" : "http",
	    "127.0.0.1", t->srv.port, path);
	if (o->url == NULL)
		o->url = url;
	if (o->tls == NULL)
		o->tls = t->ctls;
	o->on_headers = t_on_headers;
	if (o->on_body == NULL && o->body_limit == 0)
		o->on_body = t_on_body;
	o->on_done = t_on_done;
	o->data = t;
	t->reqs[i] = (struct http_request *)(intptr_t)-1;
	if (http_client_request(t->client, o, &t->reqs[i], &e) != 0)
		fail_msg("request: %s", e.msg);
}

static void
t_get(struct t *t, int i)
{
	struct http_request_opts o = { 0 };

	t_request(t, i, &o, "/x?y=1");
}

static void
t_next_get(struct t *t, int i)
{
	t_get(t, i);
}

/* Starts t's server, sends one request (o to path) and runs it to the end. */
static void
t_run_request(struct t *t, struct http_request_opts *o, const char *path)
{
	t_start(t);
	t_request(t, 0, o, path);
	t_run(t);
}

/* Starts t's server, sends one GET and runs it to the end. */
static void
t_run_get(struct t *t)
{
	t_start(t);
	t_get(t, 0);
	t_run(t);
}

/* Starts t's server and n requests, each sent from the previous one's
 * on_done (the first a GET, the others from next); runs them all. */
static struct t *
t_sequence(struct t *t, int n, void (*next)(struct t *, int))
{
	t->expected = n;
	t->next = next;
	t_run_get(t);
	return t;
}

/* t_sequence on a new t with its server in mode. */
static struct t *
t_run_sequence(int mode, int n, void (*next)(struct t *, int))
{
	return t_sequence(t_new(mode), n, next);
}

/* Two GETs in sequence both succeeded on accepts connections. Finishes t. */
static void
t_expect_two_gets(struct t *t, int accepts)
{
	assert_int_equal(t->res[0].status, 0);
	assert_int_equal(t->res[1].status, 0);
	assert_string_equal(t->res[1].body, "hello world");
	assert_int_equal(t->srv.accepts, accepts);
	t_finish(t);
}

/* ---- plain HTTP tests ---- */

static void
test_get_content_length(void **state)
{
	struct t *t = t_new(M_CL);
	struct http_request_opts o = { .body_limit = 1024 };

	(void)state;
	t_run_request(t, &o, "/a");
	assert_int_equal(t->res[0].done, 1);
	assert_int_equal(t->res[0].status, 0);
	assert_string_equal(t->res[0].err, "");
	assert_int_equal(t->res[0].http_status, 200);
	assert_string_equal(t->res[0].x_test, "yes");
	assert_string_equal(t->res[0].body, "hello world");
	assert_string_equal(t->srv.last_method, "GET");
	t_finish(t);
}

static void
assert_contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle) == NULL)
		fail_msg("'%s' does not contain '%s'", hay, needle);
}

/* One GET in the given mode, expecting failure status and message. */
static void
expect_failure(int mode, struct http_client_opts *co, int status,
    const char *msg)
{
	struct t *t = t_new(mode);

	if (co != NULL)
		t->copts = *co;
	t_run_get(t);
	assert_int_equal(t->res[0].done, 1);
	assert_int_equal(t->res[0].status, status);
	assert_contains(t->res[0].err, msg);
	assert_contains(t->res[0].err, "GET http://127.0.0.1:");
	t_finish(t);
}

static void
test_get_chunked_streamed(void **state)
{
	static const char body[] = "the quick brown fox jumps over the lazy dog";
	struct t *t = t_new(M_CHUNKED);

	(void)state;
	t->srv.body = body;
	t->srv.body_len = strlen(body);
	t_run_get(t);
	assert_int_equal(t->res[0].status, 0);
	assert_string_equal(t->res[0].x_test, "chunked");
	assert_string_equal(t->res[0].body, body);
	assert_true(t->res[0].body_calls >= 1);
	t_finish(t);
}

static void
test_streaming_slow_drip(void **state)
{
	struct t *t = t_new(M_DRIP);
	char want[401];

	(void)state;
	t_run_get(t);
	assert_int_equal(t->res[0].status, 0);
	for (int i = 0; i < 40; i++)
		snprintf(want + i * 10, 11, "%010d", 39 - i);
	assert_int_equal(t->res[0].body_len, 400);
	assert_string_equal(t->res[0].body, want);
	/* delivered as it arrived, not collected */
	assert_true(t->res[0].body_calls >= 20);
	t_finish(t);
}

static void
test_keep_alive_reuses_connection(void **state)
{
	struct t *t;

	(void)state;
	t = t_run_sequence(M_CL, 3, t_next_get);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(t->res[i].status, 0);
		assert_string_equal(t->res[i].body, "hello world");
	}
	assert_int_equal(t->srv.requests, 3);
	assert_int_equal(t->srv.accepts, 1);
	t_finish(t);
}

static void
test_connection_close_not_reused(void **state)
{
	(void)state;
	t_expect_two_gets(t_run_sequence(M_CLOSE, 2, t_next_get), 2);
}

static void
t_on_aux_get(uv_timer_t *a)
{
	struct t *t = a->data;

	assert_int_equal(http_client_conn_count(t->client), 0);
	t_get(t, 1);
}

static void
t_next_get_later(struct t *t, int i)
{
	(void)i;
	uv_timer_start(&t->aux, t_on_aux_get, 150, 0);
}

static void
test_pooled_connection_idle_timeout(void **state)
{
	struct t *t = t_new(M_CL);

	(void)state;
	t->copts.idle_timeout_ms = 40;
	t_sequence(t, 2, t_next_get_later);
	assert_int_equal(t->res[0].status, 0);
	assert_int_equal(t->open_at_done[0], 1);  /* pooled after request 0 */
	assert_int_equal(t->res[1].status, 0);
	assert_int_equal(t->srv.accepts, 2);      /* expired, not reused */
	t_finish(t);
}

static void
test_pool_cap_per_endpoint(void **state)
{
	struct t *t = t_new(M_CL);

	(void)state;
	t->copts.max_idle_per_endpoint = 1;
	t->expected = 2;
	t_start(t);
	t_get(t, 0);
	t_get(t, 1);
	t_run(t);
	assert_int_equal(t->res[0].status, 0);
	assert_int_equal(t->res[1].status, 0);
	assert_int_equal(t->srv.accepts, 2);
	/* two connections were busy; only one is kept once both are idle */
	assert_int_equal(t->open_at_last, 1);
	t_finish(t);
}

static void
test_post_buffer_body(void **state)
{
	static const char body[] = "{\"kind\":\"Example\"}";
	struct t *t = t_new(M_ECHO);
	struct http_request_opts o = { .method = "POST", .body = body,
	    .body_len = sizeof(body) - 1, .body_limit = 4096 };
	const char *hdrs[] = { "Content-Type: application/json", NULL };

	(void)state;
	o.headers = hdrs;
	t_run_request(t, &o, "/post");
	assert_int_equal(t->res[0].status, 0);
	assert_string_equal(t->srv.last_method, "POST");
	assert_int_equal(t->srv.last_body_len, sizeof(body) - 1);
	assert_memory_equal(t->srv.last_body, body, sizeof(body) - 1);
	assert_string_equal(t->res[0].body, body);
	t_finish(t);
}

static ssize_t
t_upload_read(void *data, char *buf, size_t cap, struct err *e)
{
	struct t *t = data;
	size_t n = t->upload_len - t->upload_off;

	(void)e;
	if (n > cap)
		n = cap;
	if (n > 1000)               /* many small pieces */
		n = 1000;
	memcpy(buf, t->upload + t->upload_off, n);
	t->upload_off += n;
	return (ssize_t)n;
}

/* Sends 100000 random bytes (seeded) to the echo server t runs, as o's
 * buffer body or, if o has a body_read, through t_upload_read; checks that
 * the server got them and that they came back. Finishes t. */
static void
t_upload_echo(struct t *t, struct http_request_opts *o, unsigned seed)
{
	char *data = malloc(100000);

	tu_random_bytes(seed, data, 100000);
	t->upload = data;
	t->upload_len = 100000;
	if (o->body_read == NULL) {
		o->body = data;
		o->body_len = 100000;
	}
	t_run_request(t, o, "/upload");
	assert_int_equal(t->res[0].status, 0);
	assert_int_equal(t->srv.last_body_len, 100000);
	assert_memory_equal(t->srv.last_body, data, 100000);
	assert_int_equal(t->res[0].body_len, 100000);
	assert_memory_equal(t->res[0].body, data, 100000);
	free(data);
	t_finish(t);
}

static void
run_streamed_upload(int64_t declared)
{
	struct http_request_opts o = { .method = "PUT",
	    .body_read = t_upload_read, .body_read_len = declared,
	    .body_limit = 1 << 20 };

	t_upload_echo(t_new(M_ECHO), &o, 7);
}

static void
test_put_streamed_body_chunked(void **state)
{
	(void)state;
	run_streamed_upload(-1);
}

static void
test_put_streamed_body_with_length(void **state)
{
	(void)state;
	run_streamed_upload(100000);
}

static void
test_body_limit_fails_cleanly(void **state)
{
	struct t *t = t_new(M_CL);
	struct http_request_opts o = { .body_limit = 5 };

	(void)state;
	t_run_request(t, &o, "/big");
	assert_int_equal(t->res[0].status, HTTP_ETOOBIG);
	assert_contains(t->res[0].err, "response body exceeds 5 bytes");
	t_finish(t);
}

static void
test_body_limit_chunked(void **state)
{
	struct t *t = t_new(M_CHUNKED);
	struct http_request_opts o = { .body_limit = 10 };

	(void)state;
	t->srv.body = "0123456789abcdefghij";
	t->srv.body_len = 20;
	t_run_request(t, &o, "/big");
	assert_int_equal(t->res[0].status, HTTP_ETOOBIG);
	assert_contains(t->res[0].err, "response body exceeds 10 bytes");
	t_finish(t);
}

static void
test_head_and_no_content(void **state)
{
	struct t *t = t_new(M_HEAD);
	struct http_request_opts o = { .method = "HEAD" };

	(void)state;
	t->expected = 1;
	t_run_request(t, &o, "/h");
	assert_int_equal(t->res[0].status, 0);
	assert_int_equal(t->res[0].http_status, 200);
	assert_int_equal(t->res[0].body_len, 0);
	t_finish(t);

	t = t_run_sequence(M_NOCONTENT, 2, t_next_get);
	assert_int_equal(t->res[0].status, 0);
	assert_int_equal(t->res[0].http_status, 204);
	assert_int_equal(t->res[1].http_status, 204);
	assert_int_equal(t->srv.accepts, 1);
	t_finish(t);
}

static void
test_response_timeout(void **state)
{
	struct http_client_opts co = { .response_timeout_ms = 100 };

	(void)state;
	expect_failure(M_NEVER, &co, HTTP_ETIMEDOUT,
	    "no response headers within 100 ms");
}

static void
test_idle_stream_timeout(void **state)
{
	struct http_client_opts co = { .stream_idle_timeout_ms = 100 };

	(void)state;
	expect_failure(M_STALL, &co, HTTP_ETIMEDOUT,
	    "no data received for 100 ms");
}

static void
test_close_mid_body(void **state)
{
	(void)state;
	expect_failure(M_CLOSE_MID, NULL, HTTP_ERESET,
	    "connection closed before the response body was complete");
}

static void
test_malformed_response(void **state)
{
	(void)state;
	expect_failure(M_GARBAGE, NULL, HTTP_EPROTO, "malformed response: ");
}

static void
test_huge_headers(void **state)
{
	(void)state;
	expect_failure(M_HUGE, NULL, HTTP_EPROTO,
	    "response headers exceed 65536 bytes");
}

static void
test_reset_by_server(void **state)
{
	(void)state;
	expect_failure(M_RESET, NULL, HTTP_ERESET, "connection reset by peer");
}

static void
test_refused_port(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	struct http_request_opts o = { 0 };
	struct t *t = t_new(M_CL);
	char url[64], want[192];
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int port;

	(void)state;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	getsockname(fd, (struct sockaddr *)&sin, &len);
	port = ntohs(sin.sin_port);
	close(fd);                  /* nothing listens there now */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	o.url = url;
	t_run_request(t, &o, "/");
	assert_int_equal(t->res[0].status, HTTP_ECONNREFUSED);
	snprintf(want, sizeof(want), "GET %s: cannot connect to 127.0.0.1:%d: "
	    "connection refused", url, port);
	assert_string_equal(t->res[0].err, want);
	t_finish(t);
}

static void
test_dns_failure(void **state)
{
	struct http_request_opts o = {
		.url = "http://does-not-exist.invalid/x",
		.connect_timeout_ms = 5000,
	};
	struct t *t = t_new(M_CL);

	(void)state;
	t_run_request(t, &o, "/");
	assert_int_equal(t->res[0].status, HTTP_EDNS);
	assert_contains(t->res[0].err, "GET http://does-not-exist.invalid/x: "
	    "cannot resolve host 'does-not-exist.invalid': ");
	t_finish(t);
}

/* A listener with a full accept queue drops SYNs: connect hangs. */
static void
test_connect_timeout(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	struct http_request_opts o = { .connect_timeout_ms = 150 };
	struct t *t = t_new(M_CL);
	int lfd = socket(AF_INET, SOCK_STREAM, 0), fill[3];
	char url[64];

	(void)state;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(lfd, 0), 0);
	getsockname(lfd, (struct sockaddr *)&sin, &len);
	for (int i = 0; i < 3; i++) {
		fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		connect(fill[i], (struct sockaddr *)&sin, sizeof(sin));
	}
	usleep(20000);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", ntohs(sin.sin_port));
	o.url = url;
	t_run_request(t, &o, "/");
	assert_int_equal(t->res[0].status, HTTP_ETIMEDOUT);
	assert_contains(t->res[0].err, "connect timeout after 150 ms");
	for (int i = 0; i < 3; i++)
		close(fill[i]);
	close(lfd);
	t_finish(t);
}

static void
t_on_aux_cancel(uv_timer_t *a)
{
	struct t *t = a->data;

	http_request_cancel(t->reqs[0]);
	http_request_cancel(t->reqs[0]);   /* a second cancel is a no-op */
}

static void
test_cancel_in_flight(void **state)
{
	struct t *t = t_new(M_NEVER);

	(void)state;
	t_start(t);
	t_get(t, 0);
	uv_timer_start(&t->aux, t_on_aux_cancel, 50, 0);
	t_run(t);
	assert_int_equal(t->res[0].done, 1);
	assert_int_equal(t->res[0].status, HTTP_ECANCELED);
	assert_contains(t->res[0].err, "cancelled");
	t_finish(t);
}

static void
test_cancel_inside_body_callback(void **state)
{
	struct t *t = t_new(M_DRIP);

	(void)state;
	t->cancel_in_body = 1;
	t_run_get(t);
	assert_int_equal(t->res[0].done, 1);
	assert_int_equal(t->res[0].status, HTTP_ECANCELED);
	assert_int_equal(t->res[0].body_calls, 3);
	t_finish(t);
}

static void
t_on_aux_destroy(uv_timer_t *a)
{
	t_shutdown(a->data);
}

static void
test_destroy_with_request_in_flight(void **state)
{
	struct t *t = t_new(M_NEVER);

	(void)state;
	t_start(t);
	t_get(t, 0);
	uv_timer_start(&t->aux, t_on_aux_destroy, 30, 0);
	t_run(t);
	assert_int_equal(t->res[0].done, 1);
	assert_int_equal(t->res[0].status, HTTP_ECANCELED);
	t_finish(t);
}

/* Every thread-pool worker blocked (as by builds) until the request ends:
 * an IP literal host connects without the resolver, which runs there. */
#define POOL_THREADS 2		/* UV_THREADPOOL_SIZE, set in main */

struct pool_block {
	uv_work_t work;
	uv_timer_t poll;
	struct t *t;
	int pipe[2];
	int polls;
};

static void
pool_block_work(uv_work_t *w)
{
	struct pool_block *b = w->data;
	char c;

	if (read(b->pipe[0], &c, 1) != 1)
		abort();
}

static void
pool_block_after(uv_work_t *w, int status)
{
	(void)w;
	(void)status;
}

/* Releases the workers once the request is done (or after ~6 s). */
static void
pool_block_on_poll(uv_timer_t *h)
{
	struct pool_block *b = h->data;

	if (!b->t->res[0].done && ++b->polls < 600)
		return;
	for (int i = 0; i < POOL_THREADS; i++)
		if (write(b->pipe[1], "x", 1) != 1)
			abort();
	uv_close((uv_handle_t *)h, NULL);
}

static void
test_ip_literal_connects_with_pool_busy(void **state)
{
	struct pool_block b[POOL_THREADS];
	struct pool_block *ctl = &b[0];
	struct t *t = t_new(M_CL);

	(void)state;
	assert_int_equal(pipe(ctl->pipe), 0);
	ctl->t = t;
	ctl->polls = 0;
	for (int i = 0; i < POOL_THREADS; i++) {
		b[i].work.data = ctl;
		assert_int_equal(uv_queue_work(&t->loop, &b[i].work,
		    pool_block_work, pool_block_after), 0);
	}
	uv_timer_init(&t->loop, &ctl->poll);
	ctl->poll.data = ctl;
	uv_timer_start(&ctl->poll, pool_block_on_poll, 10, 10);
	t->copts.connect_timeout_ms = 3000;
	t_run_get(t);
	assert_int_equal(t->res[0].status, 0);
	assert_string_equal(t->res[0].body, "hello world");
	assert_true(ctl->polls < 300);	/* done before the workers were freed */
	close(ctl->pipe[0]);
	close(ctl->pipe[1]);
	t_finish(t);
}

static void
test_cancel_and_destroy_while_resolving(void **state)
{
	struct http_request_opts o = { .url = "http://does-not-exist.invalid/" };
	struct t *t = t_new(M_CL);

	(void)state;
	t->expected = 2;
	t_start(t);
	t_request(t, 0, &o, "/");
	http_request_cancel(t->reqs[0]);    /* cancel at once */
	memset(&o, 0, sizeof(o));
	o.url = "http://does-not-exist.invalid/";
	t_request(t, 1, &o, "/");
	http_client_destroy(t->client);     /* destroy with DNS in flight */
	t_run(t);
	assert_int_equal(t->res[0].done, 1);
	assert_int_equal(t->res[0].status, HTTP_ECANCELED);
	assert_int_equal(t->res[1].done, 1);
	assert_int_equal(t->res[1].status, HTTP_ECANCELED);
	t_finish(t);
}

static int
t_on_body_fail(struct http_request *req, const char *p, size_t len,
    struct err *e)
{
	(void)req;
	(void)p;
	(void)len;
	return err_set(e, "writing the download: No space left on device");
}

static void
test_body_callback_failure(void **state)
{
	struct t *t = t_new(M_CL);
	struct http_request_opts o = { .on_body = t_on_body_fail };

	(void)state;
	t_run_request(t, &o, "/dl");
	assert_int_equal(t->res[0].status, HTTP_ECALLBACK);
	assert_contains(t->res[0].err, "/dl: writing the download: No space "
	    "left on device");
	t_finish(t);
}

static void
t_next_post(struct t *t, int i)
{
	struct http_request_opts o = { .method = "POST", .body = "x",
	    .body_len = 1 };

	t_request(t, i, &o, "/p");
}

static void
test_retry_once_on_stale_connection(void **state)
{
	struct t *t;

	(void)state;
	/* the pooled connection died without answering: GET retried */
	t_expect_two_gets(t_run_sequence(M_DROP_SECOND, 2, t_next_get), 2);

	t = t_run_sequence(M_DROP_SECOND, 2, t_next_post);
	assert_int_equal(t->res[0].status, 0);
	/* POST is not idempotent: not retried */
	assert_int_equal(t->res[1].status, HTTP_ERESET);
	assert_contains(t->res[1].err, "POST http://127.0.0.1:");
	assert_int_equal(t->srv.accepts, 1);
	t_finish(t);
}

static void
test_invalid_requests_fail_synchronously(void **state)
{
	struct t *t = t_new(M_CL);
	struct http_request_opts o = { .on_done = t_on_done };
	const char *bad_hdr[] = { "X-Evil: a\r\nInjected: b", NULL };
	struct http_request *req;
	struct err e;

	(void)state;
	t_start(t);
	o.url = "ftp://example.com/";
	assert_int_equal(http_client_request(t->client, &o, &req, &e), -1);
	assert_contains(e.msg, "scheme must be http or https");
	o.url = "https://127.0.0.1/";
	assert_int_equal(http_client_request(t->client, &o, &req, &e), -1);
	assert_contains(e.msg, "https needs a TLS profile");
	o.url = "http://127.0.0.1/";
	o.headers = bad_hdr;
	assert_int_equal(http_client_request(t->client, &o, &req, &e), -1);
	assert_contains(e.msg, "invalid header line");
	assert_null(req);
	t_shutdown(t);
	t_run(t);
	t_finish(t);
}

/* ---- TLS ---- */

static void
gen(const char *cmd)
{
	int status;
	char *out = tu_run(&status, "cd '%s' && (%s) >/dev/null 2>&1",
	    certdir, cmd);

	free(out);
	if (status != 0)
		fail_msg("openssl failed: %s", cmd);
}

#define EC "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"

/* CA, server cert (IP:127.0.0.1, DNS:localhost), a server cert with only
 * another name, an unrelated CA, a client cert signed by the CA. */
static int
setup_certs(void **state)
{
	(void)state;
	certdir = tu_mkdtemp();
	gen("openssl req -x509 " EC " -keyout ca.key -out ca.crt -days 30 "
	    "-subj /CN=test-ca");
	gen("openssl req -x509 " EC " -keyout other-ca.key -out other-ca.crt "
	    "-days 30 -subj /CN=other-ca");
	gen("printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > srv.ext");
	gen("openssl req " EC " -keyout srv.key -out srv.csr -subj /CN=srv");
	gen("openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key "
	    "-CAcreateserial -out srv.crt -days 30 -extfile srv.ext");
	gen("openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key "
	    "-CAcreateserial -out expired.crt -days -1 -extfile srv.ext");
	gen("printf 'subjectAltName=DNS:other.example\\n' > srv2.ext");
	gen("openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key "
	    "-CAcreateserial -out srv2.crt -days 30 -extfile srv2.ext");
	gen("printf 'extendedKeyUsage=clientAuth\\n' > cli.ext");
	gen("openssl req " EC " -keyout cli.key -out cli.csr -subj /CN=client");
	gen("openssl x509 -req -in cli.csr -CA ca.crt -CAkey ca.key "
	    "-CAcreateserial -out cli.crt -days 30 -extfile cli.ext");
	return 0;
}

static int
teardown_certs(void **state)
{
	(void)state;
	tu_rmtree(certdir);
	return 0;
}

static struct tls_profile *
profile(int server, const char *ca, const char *cert, const char *key,
    int insecure)
{
	struct tls_profile_opts o = { .server = server,
	    .insecure_skip_verify = insecure };
	char *paths[3] = { 0 };
	struct tls_profile *p;
	struct err e;

	if (ca != NULL)
		o.ca_file = paths[0] = tu_path(certdir, ca);
	if (cert != NULL)
		o.cert_file = paths[1] = tu_path(certdir, cert);
	if (key != NULL)
		o.key_file = paths[2] = tu_path(certdir, key);
	if (tls_profile_new(&p, &o, &e) != 0)
		fail_msg("profile: %s", e.msg);
	for (int i = 0; i < 3; i++)
		free(paths[i]);
	return p;
}

/* A TLS test: server profile, client profile, one GET. */
static struct t *
tls_run(struct tls_profile *sp, struct tls_profile *cp,
    struct http_request_opts *o)
{
	struct t *t = t_new(M_CL);

	t->srv.tls = sp;
	t->ctls = cp;
	t_run_request(t, o, "/secure");
	assert_int_equal(t->res[0].done, 1);
	return t;
}

/* A TLS GET that succeeds: the body arrives whole. Takes both profiles. */
static void
tls_expect_ok(struct tls_profile *sp, struct tls_profile *cp)
{
	struct http_request_opts o = { .body_limit = 100 };
	struct t *t = tls_run(sp, cp, &o);

	assert_int_equal(t->res[0].status, 0);
	assert_string_equal(t->res[0].body, "hello world");
	t_finish(t);
}

/* A TLS GET to a server presenting srv_crt, verified against ca (and
 * server_name, if not NULL), that the client rejects with msg. */
static void
tls_expect_bad_cert(const char *srv_crt, const char *ca,
    const char *server_name, const char *msg)
{
	struct http_request_opts o = { .tls_server_name = server_name };
	struct t *t;

	t = tls_run(profile(1, NULL, srv_crt, "srv.key", 0),
	    profile(0, ca, NULL, NULL, 0), &o);
	assert_int_equal(t->res[0].status, HTTP_ECERT);
	assert_contains(t->res[0].err, "TLS: bad server certificate: ");
	assert_contains(t->res[0].err, msg);
	t_finish(t);
}

/* The usual pair: a server with srv.crt, a client trusting ca.crt. */
static void
t_tls_default(struct t *t)
{
	t->srv.tls = profile(1, NULL, "srv.crt", "srv.key", 0);
	t->ctls = profile(0, "ca.crt", NULL, NULL, 0);
}

static void
test_tls_get_with_ca(void **state)
{
	(void)state;
	tls_expect_ok(profile(1, NULL, "srv.crt", "srv.key", 0),
	    profile(0, "ca.crt", NULL, NULL, 0));
}

static void
test_tls_dns_name_and_keep_alive(void **state)
{
	char url[64];
	struct t *t = t_new(M_CHUNKED);
	char *big = malloc(200000);

	(void)state;
	for (int i = 0; i < 200000; i++)
		big[i] = (char)('a' + i % 26);
	t->srv.body = big;
	t->srv.body_len = 200000;
	t_tls_default(t);
	t->expected = 2;
	t->next = t_next_get;
	t_start(t);
	snprintf(url, sizeof(url), "https://localhost:%d/", t->srv.port);
	{
		struct http_request_opts o = { .url = url };

		t_request(t, 0, &o, "/");
	}
	t_run(t);
	assert_int_equal(t->res[0].status, 0);
	assert_int_equal(t->res[0].body_len, 200000);
	assert_memory_equal(t->res[0].body, big, 200000);
	assert_int_equal(t->res[1].status, 0);   /* via 127.0.0.1: new conn */
	assert_int_equal(t->res[1].body_len, 200000);
	assert_int_equal(t->srv.accepts, 2);
	free(big);
	t_finish(t);
}

static void
test_tls_wrong_ca(void **state)
{
	(void)state;
	tls_expect_bad_cert("srv.crt", "other-ca.crt", NULL,
	    "not correctly signed by the trusted CA");
}

static void
test_tls_expired_certificate(void **state)
{
	(void)state;
	tls_expect_bad_cert("expired.crt", "ca.crt", NULL,
	    "validity has expired");
}

static void
test_tls_hostname_mismatch(void **state)
{
	(void)state;
	tls_expect_bad_cert("srv.crt", "ca.crt", "wrong.example",
	    "Common Name (CN) does not match");
}

static void
test_tls_ip_san_mismatch(void **state)
{
	(void)state;
	/* srv2.crt names only other.example: 127.0.0.1 is not in its SANs */
	tls_expect_bad_cert("srv2.crt", "ca.crt", NULL,
	    "Common Name (CN) does not match");
}

static void
test_tls_client_certificate(void **state)
{
	struct http_request_opts o = { 0 };
	struct t *t;

	(void)state;
	tls_expect_ok(profile(1, "ca.crt", "srv.crt", "srv.key", 0),
	    profile(0, "ca.crt", "cli.crt", "cli.key", 0));
	/* the same server refuses a client without a certificate */
	t = tls_run(profile(1, "ca.crt", "srv.crt", "srv.key", 0),
	    profile(0, "ca.crt", NULL, NULL, 0), &o);
	assert_int_equal(t->res[0].status, HTTP_ETLS);
	assert_contains(t->res[0].err, "TLS: the peer sent a fatal alert: "
	    "bad certificate (42)");
	assert_contains(t->res[0].err, "GET https://127.0.0.1:");
	t_finish(t);
}

static void
test_tls_insecure_skip_verify(void **state)
{
	struct tls_profile *cp = profile(0, NULL, NULL, NULL, 1);

	(void)state;
	assert_int_equal(tls_profile_insecure(cp), 1);
	tls_expect_ok(profile(1, NULL, "srv2.crt", "srv.key", 0), cp);
}

static void
test_tls_retry_on_stale_connection(void **state)
{
	struct t *t = t_new(M_DROP_SECOND);

	(void)state;
	t_tls_default(t);
	t_expect_two_gets(t_sequence(t, 2, t_next_get), 2);
}

static void
test_tls_post_large_buffer(void **state)
{
	struct t *t = t_new(M_ECHO);
	struct http_request_opts o = { .method = "POST", .body_limit = 1 << 20 };

	(void)state;
	t_tls_default(t);
	t_upload_echo(t, &o, 11);
}

static void
test_tls_handshake_timeout(void **state)
{
	struct http_request_opts o = { .connect_timeout_ms = 150 };
	struct t *t = t_new(M_NEVER);    /* plain server: never answers TLS */

	(void)state;
	t->ctls = profile(0, "ca.crt", NULL, NULL, 0);
	t_run_request(t, &o, "/");
	assert_int_equal(t->res[0].status, HTTP_ETIMEDOUT);
	assert_contains(t->res[0].err, "connect timeout after 150 ms (TLS "
	    "handshake");
	t_finish(t);
}

static void
test_tls_profile_errors(void **state)
{
	struct tls_profile_opts o = { .ca_pem = "not a cert", .ca_pem_len = 10 };
	struct tls_profile *p;
	struct err e;

	(void)state;
	assert_int_equal(tls_profile_new(&p, &o, &e), -1);
	assert_contains(e.msg, "CA certificate");
	memset(&o, 0, sizeof(o));
	o.cert_file = "/nonexistent/cert.pem";
	assert_int_equal(tls_profile_new(&p, &o, &e), -1);
	assert_contains(e.msg, "needs its key");
}

static void
test_tls_pem_data_profile(void **state)
{
	char *ca = tu_path(certdir, "ca.crt");
	size_t len;
	char *pem = tu_read(ca, &len);
	struct tls_profile_opts po = { .ca_pem = pem, .ca_pem_len = len };
	struct tls_profile *cp;
	struct err e;

	(void)state;
	assert_int_equal(tls_profile_new(&cp, &po, &e), 0);
	free(pem);
	free(ca);
	tls_expect_ok(profile(1, NULL, "srv.crt", "srv.key", 0), cp);
}

static size_t heap_before;

static void
t_next_measure(struct t *t, int i)
{
	struct mallinfo2 mi = mallinfo2();

	print_message("heap with one idle pooled TLS connection, its finishing "
	    "request and the test server's connection: %zu bytes\n",
	    mi.uordblks - heap_before);
	t_get(t, i);
}

static void
test_memory_figures(void **state)
{
	struct t *t = t_new(M_CL);

	(void)state;
	print_message("sizeof: client %zu (shared read buffers), connection "
	    "%zu, request %zu, TLS session with record buffers %zu bytes\n",
	    http_client_sizeof(), http_conn_sizeof(), http_request_sizeof(),
	    tls_session_sizeof());
	assert_true(http_conn_sizeof() < 2048);
	assert_true(http_request_sizeof() < 4096);
	t_tls_default(t);
	t->expected = 2;
	t->next = t_next_measure;
	t_start(t);
	heap_before = mallinfo2().uordblks;
	t_get(t, 0);
	t_run(t);
	assert_int_equal(t->res[1].status, 0);
	assert_int_equal(t->srv.accepts, 1);
	t_finish(t);
}

int
main(void)
{
	/* test_ip_literal_connects_with_pool_busy blocks every worker */
	setenv("UV_THREADPOOL_SIZE", "2", 1);

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_content_length),
		cmocka_unit_test(test_get_chunked_streamed),
		cmocka_unit_test(test_streaming_slow_drip),
		cmocka_unit_test(test_keep_alive_reuses_connection),
		cmocka_unit_test(test_connection_close_not_reused),
		cmocka_unit_test(test_pooled_connection_idle_timeout),
		cmocka_unit_test(test_pool_cap_per_endpoint),
		cmocka_unit_test(test_post_buffer_body),
		cmocka_unit_test(test_put_streamed_body_chunked),
		cmocka_unit_test(test_put_streamed_body_with_length),
		cmocka_unit_test(test_body_limit_fails_cleanly),
		cmocka_unit_test(test_body_limit_chunked),
		cmocka_unit_test(test_head_and_no_content),
		cmocka_unit_test(test_response_timeout),
		cmocka_unit_test(test_idle_stream_timeout),
		cmocka_unit_test(test_close_mid_body),
		cmocka_unit_test(test_malformed_response),
		cmocka_unit_test(test_huge_headers),
		cmocka_unit_test(test_reset_by_server),
		cmocka_unit_test(test_refused_port),
		cmocka_unit_test(test_dns_failure),
		cmocka_unit_test(test_connect_timeout),
		cmocka_unit_test(test_cancel_in_flight),
		cmocka_unit_test(test_cancel_inside_body_callback),
		cmocka_unit_test(test_destroy_with_request_in_flight),
		cmocka_unit_test(test_retry_once_on_stale_connection),
		cmocka_unit_test(test_cancel_and_destroy_while_resolving),
		cmocka_unit_test(test_ip_literal_connects_with_pool_busy),
		cmocka_unit_test(test_body_callback_failure),
		cmocka_unit_test(test_invalid_requests_fail_synchronously),
		cmocka_unit_test(test_tls_get_with_ca),
		cmocka_unit_test(test_tls_dns_name_and_keep_alive),
		cmocka_unit_test(test_tls_wrong_ca),
		cmocka_unit_test(test_tls_expired_certificate),
		cmocka_unit_test(test_tls_hostname_mismatch),
		cmocka_unit_test(test_tls_ip_san_mismatch),
		cmocka_unit_test(test_tls_client_certificate),
		cmocka_unit_test(test_tls_insecure_skip_verify),
		cmocka_unit_test(test_tls_retry_on_stale_connection),
		cmocka_unit_test(test_tls_post_large_buffer),
		cmocka_unit_test(test_tls_handshake_timeout),
		cmocka_unit_test(test_tls_profile_errors),
		cmocka_unit_test(test_tls_pem_data_profile),
		cmocka_unit_test(test_memory_figures),
	};
	return cmocka_run_group_tests_name("http_client", tests, setup_certs,
	    teardown_certs);
}
