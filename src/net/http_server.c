/*
 * http_server: listener, connections, request reading, timeouts and close
 * (see http_server.h). Responses are in http_server_res.c, the request
 * parser in http_server_parse.c. The server owns its connections; a
 * connection owns its parser and the bytes read past the current request;
 * a response in flight is owned by the handler until http_res_end.
 */
#include "net/http_server_conn.h"

#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINGER_MS       1000
#define LINGER_BYTES    (4u << 20)

static void
opts_defaults(struct http_server_opts *o)
{
	if (o->max_conns == 0)
		o->max_conns = HTTP_SERVER_MAX_CONNS;
	if (o->head_max == 0)
		o->head_max = HTTP_SERVER_HEAD_MAX;
	if (o->headers_max == 0)
		o->headers_max = HTTP_SERVER_HEADERS_MAX;
	if (o->target_max == 0)
		o->target_max = HTTP_SERVER_TARGET_MAX;
	if (o->body_max == 0)
		o->body_max = HTTP_SERVER_BODY_MAX;
	if (o->head_timeout_ms == 0)
		o->head_timeout_ms = HTTP_SERVER_HEAD_TIMEOUT;
	if (o->idle_timeout_ms == 0)
		o->idle_timeout_ms = HTTP_SERVER_IDLE_TIMEOUT;
	if (o->write_timeout_ms == 0)
		o->write_timeout_ms = HTTP_SERVER_WRITE_TIMEOUT;
	if (o->backlog <= 0)
		o->backlog = 511;
	if (o->name == NULL)
		o->name = "http server";
}

static int
parse_port(const char *s, int *port)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || v > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

/* Splits addr into host (malloc'd, "" for ":port") and port. */
static int
split_addr(const char *addr, char **host, int *port)
{
	const char *colon, *h = addr;
	size_t hlen;

	if (addr[0] == '[') {
		if ((colon = strstr(addr, "]:")) == NULL)
			return -1;
		h = addr + 1;
		hlen = (size_t)(colon - h);
		colon++;
	} else {
		if ((colon = strrchr(addr, ':')) == NULL ||
		    memchr(addr, ':', (size_t)(colon - addr)) != NULL)
			return -1;
		hlen = (size_t)(colon - addr);
	}
	if (parse_port(colon + 1, port) < 0)
		return -1;
	if ((*host = strndup(h, hlen)) == NULL)
		return -1;
	return 0;
}

/* Resolves host into ss: literals, "" (any, v6 dual-stack), names. */
static int
resolve(const char *host, int port, struct sockaddr_storage *ss,
    bool *any, struct err *e)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	int rc;

	*any = host[0] == '\0';
	if (*any)
		return uv_ip6_addr("::", port, (struct sockaddr_in6 *)ss);
	if (uv_ip4_addr(host, port, (struct sockaddr_in *)ss) == 0 ||
	    uv_ip6_addr(host, port, (struct sockaddr_in6 *)ss) == 0)
		return 0;
	if ((rc = getaddrinfo(host, NULL, &hints, &ai)) != 0)
		return err_set(e, "host %s: %s", host, gai_strerror(rc));
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	freeaddrinfo(ai);
	return 0;
}

static void srv_on_connection(uv_stream_t *l, int status);

static int
srv_bind(struct http_server *srv, struct err *e)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_storage got;
	int len = sizeof(got), rc, port;
	char *host = NULL;
	bool any;

	if (split_addr(srv->addr, &host, &port) < 0)
		return err_set(e, "%s: address \"%s\" is not :port, host:port "
		    "or [v6]:port", srv->name, srv->addr);
	if (resolve(host, port, &ss, &any, e) < 0) {
		free(host);
		return err_prefix(e, "%s: address \"%s\"", srv->name,
		    srv->addr);
	}
	free(host);
	rc = uv_tcp_bind(&srv->tcp, (struct sockaddr *)&ss, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&srv->tcp, srv->o.backlog,
		    srv_on_connection);
	if (rc != 0 && any) {       /* no IPv6 here: IPv4 any */
		uv_ip4_addr("0.0.0.0", port, (struct sockaddr_in *)&ss);
		rc = uv_tcp_bind(&srv->tcp, (struct sockaddr *)&ss, 0);
		if (rc == 0)
			rc = uv_listen((uv_stream_t *)&srv->tcp,
			    srv->o.backlog, srv_on_connection);
	}
	if (rc != 0)
		return err_set(e, "%s: listen on %s: %s", srv->name,
		    srv->addr, uv_strerror(rc));
	uv_tcp_getsockname(&srv->tcp, (struct sockaddr *)&got, &len);
	srv->port = ntohs(((struct sockaddr_in *)&got)->sin_port);
	return 0;
}

static void
srv_handle_closed(uv_handle_t *h)
{
	struct http_server *srv = h->data;

	srv->handles--;
	srv_maybe_free(srv);
}

static void srv_on_defer(uv_timer_t *t);

int
http_server_new(uv_loop_t *loop, const struct http_server_opts *opts,
    http_handler_cb handler, void *data, struct http_server **out,
    struct err *e)
{
	struct http_server *srv;

	*out = NULL;
	if (opts == NULL || opts->addr == NULL || handler == NULL)
		return err_set(e, "http server: no address or handler");
	if ((srv = calloc(1, sizeof(*srv))) == NULL)
		return err_set(e, "http server: out of memory");
	srv->o = *opts;
	opts_defaults(&srv->o);
	srv->addr = strdup(opts->addr);
	srv->name = strdup(srv->o.name);
	if (srv->addr == NULL || srv->name == NULL) {
		free(srv->addr);
		free(srv->name);
		free(srv);
		return err_set(e, "http server: out of memory");
	}
	srv->o.addr = srv->addr;
	srv->o.name = srv->name;
	srv->loop = loop;
	srv->handler = handler;
	srv->data = data;
	srv->date_s = -1;
	/* sendfile(2) to a socket the peer closed must fail, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	uv_tcp_init(loop, &srv->tcp);
	uv_timer_init(loop, &srv->defer);
	uv_timer_init(loop, &srv->grace);
	srv->tcp.data = srv->defer.data = srv->grace.data = srv;
	srv->handles = 3;
	if (srv_bind(srv, e) < 0) {
		srv->closing = true;
		srv->own_closed = true;
		uv_close((uv_handle_t *)&srv->tcp, srv_handle_closed);
		uv_close((uv_handle_t *)&srv->defer, srv_handle_closed);
		uv_close((uv_handle_t *)&srv->grace, srv_handle_closed);
		return -1;
	}
	*out = srv;
	return 0;
}

void
http_server_on_served(struct http_server *srv, http_served_cb cb)
{
	srv->served = cb;
}

int
http_server_port(const struct http_server *srv)
{
	return srv->port;
}

unsigned
http_server_conn_count(const struct http_server *srv)
{
	return srv->nconns;
}

/* ---- connections ---- */

static void conn_on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);

static void
conn_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct srv_conn *c = h->data;
	struct http_server *srv = c->srv;

	(void)hint;
	if (srv->rbuf_busy) {       /* never: reads are not nested */
		*buf = uv_buf_init(NULL, 0);
		return;
	}
	srv->rbuf_busy = true;
	*buf = uv_buf_init(srv->rbuf, sizeof(srv->rbuf));
}

static void
conn_read_start(struct srv_conn *c)
{
	if (c->reading || c->closing)
		return;
	if (uv_read_start((uv_stream_t *)&c->tcp, conn_alloc,
	    conn_on_read) == 0)
		c->reading = true;
}

void
srv_read_stop(struct srv_conn *c)
{
	if (!c->reading)
		return;
	uv_read_stop((uv_stream_t *)&c->tcp);
	c->reading = false;
}

static void
conn_on_timer(uv_timer_t *t)
{
	struct srv_conn *c = t->data;

	if (c->res == NULL && c->p.started && !c->answered && !c->closing) {
		srv_send_error(c, 408, "request timeout");
		return;
	}
	srv_conn_close(c);
}

void
srv_timer_arm(struct srv_conn *c, enum srv_timer t)
{
	struct http_server_opts *o = &c->srv->o;
	uint64_t ms = 0;

	if (c->closing)
		return;
	switch (t) {
	case SRV_T_NONE:
		uv_timer_stop(&c->timer);
		return;
	case SRV_T_HEAD:
		ms = o->head_timeout_ms;
		break;
	case SRV_T_IDLE:
		ms = c->first ? o->head_timeout_ms : o->idle_timeout_ms;
		break;
	case SRV_T_WRITE:
		ms = o->write_timeout_ms;
		break;
	}
	if (ms != HTTP_SERVER_NO_TIMEOUT)
		uv_timer_start(&c->timer, conn_on_timer, ms, 0);
}

static void
conn_handle_closed(uv_handle_t *h)
{
	struct srv_conn *c = h->data;
	struct http_server *srv = c->srv;

	if (--c->open_handles > 0)
		return;
	if (c->res != NULL)
		srv_res_conn_gone(c->res, UV_ECANCELED);
	if (c->reject)
		srv->nrejects--;
	else
		srv->nconns--;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else if (srv->conns == c)
		srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	http_reqp_free(&c->p);
	free(c->pend);
	free(c);
	srv_maybe_free(srv);
}

void
srv_conn_close(struct srv_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	srv_read_stop(c);
	uv_timer_stop(&c->timer);
	if (c->res != NULL && !c->res->failed) {
		c->res->failed = true;
		c->res->err = UV_ECANCELED;
	}
	if (c->work_busy)           /* the sendfile job closes us after */
		return;
	uv_close((uv_handle_t *)&c->tcp, conn_handle_closed);
	uv_close((uv_handle_t *)&c->timer, conn_handle_closed);
}

static void
linger_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct srv_conn *c = s->data;

	c->srv->rbuf_busy = false;
	(void)buf;
	if (n < 0 || (c->pend_len += (size_t)n) > LINGER_BYTES)
		srv_conn_close(c);
}

/* After an error answer and a shutdown: read (and drop) what the client
 * still sends for a moment, so that closing does not reset the connection
 * before the client read the answer. */
void
srv_linger(struct srv_conn *c)
{
	c->pend_len = 0;
	if (uv_read_start((uv_stream_t *)&c->tcp, conn_alloc,
	    linger_read) == 0)
		c->reading = true;
	uv_timer_start(&c->timer, conn_on_timer, LINGER_MS, 0);
}

/* Hands a complete request to the handler. */
static void
conn_dispatch(struct srv_conn *c)
{
	struct http_res *res;

	srv_timer_arm(c, SRV_T_NONE);
	srv_read_stop(c);
	c->first = false;
	if ((res = srv_res_new(c)) == NULL) {
		srv_send_error(c, 503, "out of memory");
		return;
	}
	c->res = res;
	if (!res->req.pub.keep_alive || c->srv->closing)
		c->close_after = true;
	c->srv->handler(c->srv->data, &res->req.pub, res);
}

/* Keeps bytes that follow the current request for the next one. */
static int
conn_keep(struct srv_conn *c, const char *p, size_t n)
{
	char *b;

	if (n == 0) {
		free(c->pend);
		c->pend = NULL;
		c->pend_len = 0;
		return 0;
	}
	if ((b = malloc(n)) == NULL)
		return -1;
	memcpy(b, p, n);
	free(c->pend);
	c->pend = b;
	c->pend_len = n;
	return 0;
}

/* Feeds bytes; dispatches at most one request. */
static void
conn_feed(struct srv_conn *c, const char *p, size_t n)
{
	enum http_reqp_rc rc;
	size_t used;

	rc = http_reqp_feed(&c->p, p, n, &used);
	if (rc == HTTP_REQP_MORE) {
		conn_read_start(c);
		return;
	}
	if (rc == HTTP_REQP_ERROR) {
		srv_send_error(c, c->p.fail_status, c->p.fail_msg);
		return;
	}
	if (conn_keep(c, p + used, n - used) < 0) {
		srv_send_error(c, 503, "out of memory");
		return;
	}
	conn_dispatch(c);
}

static void
conn_on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct srv_conn *c = s->data;

	c->srv->rbuf_busy = false;
	(void)buf;
	if (n == 0 || c->closing)
		return;
	if (n < 0) {                /* EOF or error: nothing to answer */
		srv_conn_close(c);
		return;
	}
	if (!c->p.started)          /* the head timeout runs from here */
		srv_timer_arm(c, SRV_T_HEAD);
	conn_feed(c, c->srv->rbuf, (size_t)n);
}

/* Continues a connection whose response ended (from the defer timer). */
static void
conn_resume(struct srv_conn *c)
{
	char *p;
	size_t n;

	if (c->closing || c->res != NULL)
		return;
	if (c->pend_len == 0) {
		srv_timer_arm(c, SRV_T_IDLE);
		conn_read_start(c);
		return;
	}
	p = c->pend;
	n = c->pend_len;
	c->pend = NULL;
	c->pend_len = 0;
	srv_timer_arm(c, SRV_T_HEAD);
	conn_feed(c, p, n);
	free(p);
}

/* The current response ended: close, or go on with the next request. */
void
srv_res_done(struct srv_conn *c, bool close)
{
	struct http_server *srv = c->srv;

	c->res = NULL;
	if (close || c->close_after || srv->closing) {
		srv_conn_close(c);
		return;
	}
	http_reqp_next(&c->p);
	if (!c->in_resume) {
		c->in_resume = true;
		c->resume_next = srv->resume;
		srv->resume = c;
	}
	uv_timer_start(&srv->defer, srv_on_defer, 0, 0);
}

static void
conn_reject(struct http_server *srv, struct srv_conn *c)
{
	c->reject = true;
	srv->nrejects++;
	srv_send_error(c, 503, "too many connections");
}

static void
srv_on_connection(uv_stream_t *l, int status)
{
	struct http_server *srv = l->data;
	struct sockaddr_storage ss;
	int len = sizeof(ss);
	struct srv_conn *c;

	if (status != 0 || srv->closing)
		return;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return;
	c->srv = srv;
	c->first = true;
	uv_tcp_init(srv->loop, &c->tcp);
	uv_timer_init(srv->loop, &c->timer);
	c->tcp.data = c->timer.data = c;
	c->open_handles = 2;
	c->next = srv->conns;
	if (srv->conns != NULL)
		srv->conns->prev = c;
	srv->conns = c;
	if (uv_accept(l, (uv_stream_t *)&c->tcp) != 0) {
		srv->nconns++;
		srv_conn_close(c);
		return;
	}
	uv_tcp_nodelay(&c->tcp, 1);
	if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) == 0)
		uv_ip_name((struct sockaddr *)&ss, c->peer, sizeof(c->peer));
	if (srv->nconns >= srv->o.max_conns) {
		if (srv->nrejects >= srv->o.max_conns) {
			srv->nconns++;
			srv_conn_close(c);
			return;
		}
		conn_reject(srv, c);
		return;
	}
	srv->nconns++;
	http_reqp_init(&c->p, &(struct http_reqp_limits){
	    .head_max = srv->o.head_max, .headers_max = srv->o.headers_max,
	    .target_max = srv->o.target_max, .body_max = srv->o.body_max });
	srv_timer_arm(c, SRV_T_IDLE);
	conn_read_start(c);
}

/* ---- deferred work, close ---- */

static void
srv_on_defer(uv_timer_t *t)
{
	struct http_server *srv = t->data;
	struct http_res *res;
	struct srv_conn *c;

	while ((res = srv->deferred) != NULL) {
		srv->deferred = res->defer_next;
		if (srv->deferred == NULL)
			srv->deferred_tail = NULL;
		res->in_defer = false;
		srv_res_run_deferred(res);
	}
	while ((c = srv->resume) != NULL) {
		srv->resume = c->resume_next;
		c->in_resume = false;
		conn_resume(c);
	}
}

void
srv_defer(struct http_res *res)
{
	struct http_server *srv = res->srv;

	if (res->in_defer)
		return;
	res->in_defer = true;
	res->defer_next = NULL;
	if (srv->deferred_tail != NULL)
		srv->deferred_tail->defer_next = res;
	else
		srv->deferred = res;
	srv->deferred_tail = res;
	if (!srv->own_closed)
		uv_timer_start(&srv->defer, srv_on_defer, 0, 0);
}

void
srv_maybe_free(struct http_server *srv)
{
	http_server_close_cb cb;

	if (!srv->closing || srv->conns != NULL || srv->nres > 0)
		return;
	if (!srv->own_closed && srv->deferred == NULL) {
		/* Every connection is gone: close our own handles. */
		srv->own_closed = true;
		uv_close((uv_handle_t *)&srv->defer, srv_handle_closed);
		uv_close((uv_handle_t *)&srv->grace, srv_handle_closed);
		return;
	}
	if (srv->handles > 0)
		return;
	cb = srv->close_cb;
	if (cb != NULL)
		cb(srv, srv->close_data);
	free(srv->addr);
	free(srv->name);
	free(srv);
}

static void
srv_on_grace(uv_timer_t *t)
{
	struct http_server *srv = t->data;
	struct srv_conn *c, *next;

	for (c = srv->conns; c != NULL; c = next) {
		next = c->next;
		srv_conn_close(c);
	}
}

void
http_server_close(struct http_server *srv, uint64_t grace_ms,
    http_server_close_cb cb, void *data)
{
	struct srv_conn *c, *next;

	if (srv->closing)
		return;
	srv->closing = true;
	srv->close_cb = cb;
	srv->close_data = data;
	uv_close((uv_handle_t *)&srv->tcp, srv_handle_closed);
	for (c = srv->conns; c != NULL; c = next) {
		next = c->next;
		if (c->res == NULL)
			srv_conn_close(c);
		else
			c->close_after = true;
	}
	if (srv->conns != NULL)
		uv_timer_start(&srv->grace, srv_on_grace, grace_ms, 0);
	srv_maybe_free(srv);
}
