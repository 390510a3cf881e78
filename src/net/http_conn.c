/*
 * http_conn: one client connection: DNS (uv_getaddrinfo, skipped for IP
 * literals), TCP connect with fallback over the resolved addresses, TLS
 * handshake, request writing
 * (head, buffer or streamed body, chunked framing), reads handed to the
 * attached request, the phase timer, and closing. A connection is owned by
 * its client; it frees itself when its last handle's close callback ran.
 */
#include "net/http_internal.h"

#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONN_OF(h, field) \
	((struct http_conn *)((char *)(h) - offsetof(struct http_conn, field)))

enum { SEND_HEAD, SEND_BODY, SEND_DONE };

static void conn_connect_next(struct http_conn *conn);
static void conn_send_next(struct http_conn *conn);

static void
conn_maybe_free(struct http_conn *conn)
{
	struct http_client *c = conn->client;

	if (conn->open_handles > 0 || conn->gai_active)
		return;
	tls_session_free(conn->tls);
	tls_profile_unref(conn->profile);
	if (conn->ai != NULL)
		uv_freeaddrinfo(conn->ai);
	TAILQ_REMOVE(&c->conns, conn, link);
	c->nconns--;
	free(conn);
	http_client_conn_gone(c);
}

static void
conn_on_handle_closed(uv_handle_t *h)
{
	struct http_conn *conn = h->data;

	conn->open_handles--;
	conn_maybe_free(conn);
}

void
http_conn_close(struct http_conn *conn)
{
	if (conn->closing)
		return;
	conn->closing = 1;
	conn->req = NULL;
	if (conn->gai_active)
		uv_cancel((uv_req_t *)&conn->gai);
	uv_close((uv_handle_t *)&conn->timer, conn_on_handle_closed);
	if (!uv_is_closing((uv_handle_t *)&conn->tcp))
		uv_close((uv_handle_t *)&conn->tcp, conn_on_handle_closed);
}

/* ---- timer ---- */

static const char *
conn_state_name(int state)
{
	switch (state) {
	case CONN_RESOLVING: return "resolving the host";
	case CONN_CONNECTING: return "connecting";
	case CONN_HANDSHAKE: return "TLS handshake";
	default: return "connecting";
	}
}

static void
conn_on_timer(uv_timer_t *t)
{
	struct http_conn *conn = t->data;
	struct http_request *r = conn->req;
	unsigned long long ms = (unsigned long long)conn->phase_ms;

	if (r == NULL) {            /* pooled connection expired */
		http_conn_close(conn);
		return;
	}
	switch (conn->phase) {
	case PHASE_CONNECT:
		http_req_fail(r, HTTP_ETIMEDOUT, "connect timeout after %llu ms "
		    "(%s %s:%d)", ms, conn_state_name(conn->state), conn->host,
		    conn->port);
		break;
	case PHASE_SEND:
		http_req_fail(r, HTTP_ETIMEDOUT, "no progress sending the "
		    "request for %llu ms", ms);
		break;
	case PHASE_RESPONSE:
		http_req_fail(r, HTTP_ETIMEDOUT, "no response headers within "
		    "%llu ms", ms);
		break;
	default:
		http_req_fail(r, HTTP_ETIMEDOUT, "no data received for %llu ms",
		    ms);
		break;
	}
}

void
http_conn_timer(struct http_conn *conn, int phase, uint64_t ms)
{
	conn->phase = phase;
	conn->phase_ms = ms;
	if (ms == HTTP_NO_TIMEOUT)
		uv_timer_stop(&conn->timer);
	else
		uv_timer_start(&conn->timer, conn_on_timer, ms, 0);
}

/* ---- writing ---- */

static void
conn_written(struct http_conn *conn, int status)
{
	struct http_request *r = conn->req;

	if (conn->closing || r == NULL)
		return;
	if (status < 0) {
		http_req_fail(r, HTTP_ERESET, "sending the request: %s",
		    uv_strerror(status));
		return;
	}
	conn_send_next(conn);
}

static void
conn_on_plain_written(uv_write_t *w, int status)
{
	conn_written(w->data, status);
}

static void
conn_on_tls_written(void *arg, int status)
{
	conn_written(arg, status);
}

static void
conn_write(struct http_conn *conn, const char *p, size_t len)
{
	struct err e;
	uv_buf_t b;
	int rc;

	http_conn_timer(conn, PHASE_SEND,
	    http_req_timeout(conn->req, PHASE_SEND));
	if (conn->tls != NULL) {
		if (tls_session_write(conn->tls, p, len, conn_on_tls_written,
		    conn, &e) != 0)
			http_req_fail(conn->req, HTTP_ETLS, "%s", e.msg);
		return;
	}
	b = uv_buf_init((char *)p, (unsigned)len);
	conn->write_req.data = conn;
	rc = uv_write(&conn->write_req, (uv_stream_t *)&conn->tcp, &b, 1,
	    conn_on_plain_written);
	if (rc != 0)
		http_req_fail(conn->req, HTTP_ERESET, "sending the request: %s",
		    uv_strerror(rc));
}

/* Pulls the next chunk of a streamed body and writes it (chunk-framed when
 * the length is unknown). Returns 1 if a write was started, 0 at the end,
 * -1 after failing the request. */
static int
conn_send_chunk(struct http_conn *conn)
{
	struct http_request *r = conn->req;
	int64_t declared = r->o.body_read_len;
	char size[HTTP_CHUNK_HDR];
	struct err e;
	ssize_t n;
	int hl;

	if (r->chunk == NULL &&
	    (r->chunk = malloc(HTTP_CHUNK_HDR + HTTP_CHUNK_BUF + 2)) == NULL) {
		http_req_fail(r, HTTP_EIO, "request body: out of memory");
		return -1;
	}
	e.msg[0] = '\0';
	n = r->o.body_read(r->o.data, r->chunk + HTTP_CHUNK_HDR,
	    HTTP_CHUNK_BUF, &e);
	if (n < 0 || n > HTTP_CHUNK_BUF) {
		http_req_fail(r, HTTP_ECALLBACK, "request body: %s",
		    n < 0 ? e.msg : "read callback overflowed its buffer");
		return -1;
	}
	if (declared >= 0 && (n == 0 ? r->body_sent != declared :
	    r->body_sent + n > declared)) {
		http_req_fail(r, HTTP_ECALLBACK, "request body: %lld bytes "
		    "sent, %lld declared", (long long)(r->body_sent + n),
		    (long long)declared);
		return -1;
	}
	r->body_sent += n;
	if (declared >= 0) {
		if (n == 0)
			return 0;
		conn_write(conn, r->chunk + HTTP_CHUNK_HDR, (size_t)n);
		return 1;
	}
	if (n == 0) {
		r->send_step = SEND_DONE;
		conn_write(conn, "0\r\n\r\n", 5);
		return 1;
	}
	hl = snprintf(size, sizeof(size), "%zx\r\n", (size_t)n);
	memcpy(r->chunk + HTTP_CHUNK_HDR - hl, size, (size_t)hl);
	memcpy(r->chunk + HTTP_CHUNK_HDR + n, "\r\n", 2);
	conn_write(conn, r->chunk + HTTP_CHUNK_HDR - hl, (size_t)(hl + n + 2));
	return 1;
}

/* Writes the next part of a buffer body: all of it in plain text (libuv
 * writes from the caller's buffer), 16 KiB at a time over TLS so that the
 * ciphertext queued at once stays small. */
static void
conn_send_slice(struct http_conn *conn)
{
	struct http_request *r = conn->req;
	size_t n = r->o.body_len - (size_t)r->body_sent;
	const char *p = (const char *)r->o.body + r->body_sent;

	if (conn->tls != NULL && n > HTTP_CHUNK_BUF)
		n = HTTP_CHUNK_BUF;
	r->body_sent += (int64_t)n;
	conn_write(conn, p, n);
}

static void
conn_send_next(struct http_conn *conn)
{
	struct http_request *r = conn->req;

	switch (r->send_step) {
	case SEND_HEAD:
		r->send_step = SEND_BODY;
		conn_write(conn, r->head, r->head_len);
		return;
	case SEND_BODY:
		if (r->o.body_read != NULL) {
			if (conn_send_chunk(conn) != 0)
				return;
		} else if (r->o.body_len > (size_t)r->body_sent) {
			conn_send_slice(conn);
			return;
		}
		break;
	default:
		break;
	}
	r->send_step = SEND_DONE;
	r->sent_all = 1;
	free(r->chunk);
	r->chunk = NULL;
	if (r->has_head)
		http_conn_timer(conn, PHASE_BODY,
		    http_req_timeout(r, PHASE_BODY));
	else
		http_conn_timer(conn, PHASE_RESPONSE,
		    http_req_timeout(r, PHASE_RESPONSE));
}

void
http_conn_send(struct http_conn *conn)
{
	conn->state = CONN_BUSY;
	conn->req->send_step = SEND_HEAD;
	conn_send_next(conn);
}

/* ---- TLS ---- */

static void
conn_handshake(struct http_conn *conn)
{
	struct err e;
	int rc;

	rc = tls_session_handshake(conn->tls, &e);
	if (rc == TLS_AGAIN)
		return;
	if (rc == TLS_DONE) {
		http_conn_send(conn);
		return;
	}
	http_req_fail(conn->req, rc == TLS_ECERT ? HTTP_ECERT : HTTP_ETLS,
	    "%s", e.msg);
}

static void
conn_tls_start(struct http_conn *conn)
{
	const char *name = conn->server_name[0] ? conn->server_name :
	    conn->host;
	struct err e;

	if (tls_session_new(&conn->tls, conn->profile,
	    (uv_stream_t *)&conn->tcp, name, &e) != 0) {
		http_req_fail(conn->req, HTTP_ETLS, "%s", e.msg);
		return;
	}
	conn->state = CONN_HANDSHAKE;
	conn_handshake(conn);
}

/* Decrypts everything fed so far and hands it to the request. */
static void
conn_tls_drain(struct http_conn *conn)
{
	struct http_client *c = conn->client;
	struct err e;
	int n;

	while (!conn->closing && conn->state == CONN_BUSY) {
		n = tls_session_read(conn->tls, c->pbuf, sizeof(c->pbuf), &e);
		if (n == TLS_AGAIN)
			return;
		if (n == TLS_EOF) {
			http_req_eof(conn->req, UV_EOF);
			return;
		}
		if (n < 0) {
			http_req_fail(conn->req, HTTP_ETLS, "%s", e.msg);
			return;
		}
		http_req_deliver(conn->req, c->pbuf, (size_t)n);
	}
}

/* ---- reading ---- */

static void
conn_on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct http_conn *conn = h->data;

	(void)hint;
	*buf = uv_buf_init(conn->client->rbuf, sizeof(conn->client->rbuf));
}

static void
conn_on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct http_conn *conn = s->data;

	if (conn->closing || nread == 0)
		return;
	if (conn->req == NULL) {    /* pooled: data, EOF or alert: drop it */
		http_conn_close(conn);
		return;
	}
	if (nread < 0) {
		if (conn->state == CONN_HANDSHAKE)
			http_req_fail(conn->req, HTTP_ETLS, "connection %s "
			    "during the TLS handshake", nread == UV_EOF ?
			    "closed by the server" : uv_strerror((int)nread));
		else
			http_req_eof(conn->req, (int)nread);
		return;
	}
	if (conn->tls == NULL) {
		http_req_deliver(conn->req, buf->base, (size_t)nread);
		return;
	}
	tls_session_feed(conn->tls, buf->base, (size_t)nread);
	if (conn->state == CONN_HANDSHAKE)
		conn_handshake(conn);
	conn_tls_drain(conn);
	if (conn->tls != NULL)
		tls_session_feed(conn->tls, NULL, 0);
}

/* ---- resolving and connecting ---- */

static void
conn_on_connected(uv_connect_t *creq, int status)
{
	struct http_conn *conn = CONN_OF(creq, connect_req);
	int rc;

	if (conn->closing || status == UV_ECANCELED)
		return;
	if (status < 0) {
		if (conn->ai_next != NULL) {
			conn_connect_next(conn);
			return;
		}
		http_req_fail(conn->req, status == UV_ECONNREFUSED ?
		    HTTP_ECONNREFUSED : HTTP_ECONNECT, "cannot connect to "
		    "%s:%d: %s", conn->host, conn->port, status ==
		    UV_ECONNREFUSED ? "connection refused" :
		    uv_strerror(status));
		return;
	}
	/* Requests are small writes answered by the peer: without NODELAY,
	 * Nagle + delayed ACK add ~40 ms to every keep-alive request. */
	(void)uv_tcp_nodelay(&conn->tcp, 1);
	rc = uv_read_start((uv_stream_t *)&conn->tcp, conn_on_alloc,
	    conn_on_read);
	if (rc != 0) {
		http_req_fail(conn->req, HTTP_ECONNECT, "reading from %s:%d: %s",
		    conn->host, conn->port, uv_strerror(rc));
		return;
	}
	if (conn->use_tls)
		conn_tls_start(conn);
	else
		http_conn_send(conn);
}

/* Connects to one resolved address; the rest are kept for fallback. */
static void
conn_connect_to(struct http_conn *conn, struct addrinfo *ai)
{
	int rc;

	conn->ai_next = ai->ai_next;
	rc = uv_tcp_connect(&conn->connect_req, &conn->tcp, ai->ai_addr,
	    conn_on_connected);
	if (rc != 0)
		http_req_fail(conn->req, HTTP_ECONNECT, "cannot connect to "
		    "%s:%d: %s", conn->host, conn->port, uv_strerror(rc));
}

/* After a failed attempt the socket cannot be reused: close, re-init. */
static void
conn_on_tcp_reclosed(uv_handle_t *h)
{
	struct http_conn *conn = h->data;
	struct addrinfo *ai = conn->ai_next;

	if (conn->closing) {
		conn_on_handle_closed(h);
		return;
	}
	uv_tcp_init(conn->client->loop, &conn->tcp);
	conn->tcp.data = conn;
	conn_connect_to(conn, ai);
}

static void
conn_connect_next(struct http_conn *conn)
{
	uv_close((uv_handle_t *)&conn->tcp, conn_on_tcp_reclosed);
}

static void
conn_on_resolved(uv_getaddrinfo_t *g, int status, struct addrinfo *res)
{
	struct http_conn *conn = CONN_OF(g, gai);

	conn->gai_active = 0;
	conn->ai = res;
	if (conn->closing) {
		conn_maybe_free(conn);
		return;
	}
	if (status < 0) {
		http_req_fail(conn->req, HTTP_EDNS, "cannot resolve host '%s': "
		    "%s", conn->host, uv_strerror(status));
		return;
	}
	conn->state = CONN_CONNECTING;
	conn_connect_to(conn, res);
}

/* True (and conn->literal filled) when the host is an IPv4 or IPv6
 * literal: nothing to resolve. */
static bool
conn_host_literal(struct http_conn *conn)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)&conn->literal_addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&conn->literal_addr;

	memset(&conn->literal, 0, sizeof(conn->literal));
	if (uv_ip4_addr(conn->host, conn->port, in4) == 0) {
		conn->literal.ai_family = AF_INET;
		conn->literal.ai_addrlen = sizeof(*in4);
	} else if (uv_ip6_addr(conn->host, conn->port, in6) == 0) {
		conn->literal.ai_family = AF_INET6;
		conn->literal.ai_addrlen = sizeof(*in6);
	} else {
		return false;
	}
	conn->literal.ai_socktype = SOCK_STREAM;
	conn->literal.ai_addr = (struct sockaddr *)&conn->literal_addr;
	return true;
}

int
http_conn_open(struct http_client *c, struct http_request *r,
    struct http_conn **out, struct err *e)
{
	struct addrinfo hints;
	struct http_conn *conn;
	char port[8];
	int rc;

	if ((conn = calloc(1, sizeof(*conn))) == NULL)
		return err_set(e, "connection: out of memory");
	conn->client = c;
	memcpy(conn->host, r->u.host, sizeof(conn->host));
	if (r->o.tls_server_name != NULL)
		snprintf(conn->server_name, sizeof(conn->server_name), "%s",
		    r->o.tls_server_name);
	conn->port = r->u.port;
	conn->use_tls = r->u.tls;
	if (conn->use_tls)
		conn->profile = tls_profile_ref(r->o.tls);
	uv_tcp_init(c->loop, &conn->tcp);
	uv_timer_init(c->loop, &conn->timer);
	conn->tcp.data = conn;
	conn->timer.data = conn;
	conn->open_handles = 2;
	conn->state = CONN_RESOLVING;
	conn->req = r;
	r->conn = conn;
	TAILQ_INSERT_TAIL(&c->conns, conn, link);
	c->nconns++;
	*out = conn;
	http_conn_timer(conn, PHASE_CONNECT, http_req_timeout(r, PHASE_CONNECT));
	if (conn_host_literal(conn)) {
		conn->state = CONN_CONNECTING;
		conn_connect_to(conn, &conn->literal);
		return 0;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof(port), "%d", conn->port);
	rc = uv_getaddrinfo(c->loop, &conn->gai, conn_on_resolved, conn->host,
	    port, &hints);
	if (rc != 0) {
		http_req_fail(r, HTTP_EDNS, "cannot resolve host '%s': %s",
		    conn->host, uv_strerror(rc));
		return 0;
	}
	conn->gai_active = 1;
	return 0;
}

int
http_conn_matches(const struct http_conn *conn, const struct http_request *r)
{
	const char *sn = r->o.tls_server_name != NULL ? r->o.tls_server_name :
	    "";

	return conn->state == CONN_IDLE && !conn->closing &&
	    conn->use_tls == r->u.tls && conn->port == r->u.port &&
	    strcmp(conn->host, r->u.host) == 0 &&
	    conn->profile == (r->u.tls ? r->o.tls : NULL) &&
	    strcmp(conn->server_name, sn) == 0;
}
