/*
 * hclient: the raw loopback client of the HTTP server suites (see
 * hclient.h). Runs the caller's loop until the exchange is over.
 */
#include "hclient.h"

#include <stdlib.h>
#include <string.h>

struct hc {
	uv_tcp_t tcp;
	uv_connect_t conn;
	uv_write_t wr;
	uv_shutdown_t sh;
	uv_timer_t timer;
	const void *req;
	size_t len;
	bool half_close;
	bool done;
	int closing;
	uint64_t t0;
	struct hc_result *r;
	char rbuf[65536];
};

static void
hc_closed(uv_handle_t *h)
{
	struct hc *c = h->data;

	if (--c->closing == 0)
		c->done = true;
}

static void
hc_finish(struct hc *c)
{
	if (c->closing > 0)
		return;
	c->r->ms = uv_now(c->tcp.loop) - c->t0;
	c->closing = 2;
	uv_close((uv_handle_t *)&c->tcp, hc_closed);
	uv_close((uv_handle_t *)&c->timer, hc_closed);
}

static void
hc_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct hc *c = h->data;

	(void)hint;
	*b = uv_buf_init(c->rbuf, sizeof(c->rbuf));
}

static void
hc_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct hc *c = s->data;
	struct hc_result *r = c->r;

	if (n < 0) {
		r->closed = true;
		r->reset = n != UV_EOF;
		hc_finish(c);
		return;
	}
	r->data = realloc(r->data, r->len + (size_t)n + 1);
	memcpy(r->data + r->len, b->base, (size_t)n);
	r->len += (size_t)n;
	r->data[r->len] = '\0';
}

static void
hc_shut(uv_shutdown_t *sh, int status)
{
	(void)sh;
	(void)status;
}

static void
hc_written(uv_write_t *w, int status)
{
	struct hc *c = w->data;

	if (status == 0 && c->half_close && c->closing == 0) {
		c->sh.data = c;
		uv_shutdown(&c->sh, (uv_stream_t *)&c->tcp, hc_shut);
	}
}

static void
hc_connected(uv_connect_t *cr, int status)
{
	struct hc *c = cr->data;
	uv_buf_t b = uv_buf_init((char *)c->req, (unsigned)c->len);

	if (status < 0) {
		c->r->closed = c->r->reset = true;
		hc_finish(c);
		return;
	}
	uv_read_start((uv_stream_t *)&c->tcp, hc_alloc, hc_read);
	c->wr.data = c;
	if (c->len > 0)
		uv_write(&c->wr, (uv_stream_t *)&c->tcp, &b, 1, hc_written);
	else
		hc_written(&c->wr, 0);
}

static void
hc_timeout(uv_timer_t *t)
{
	hc_finish(t->data);
}

void
hc_exchange(uv_loop_t *loop, int port, const void *req, size_t len,
    bool half_close, uint64_t timeout_ms, struct hc_result *r)
{
	struct hc *c = calloc(1, sizeof(*c));
	struct sockaddr_in sa;

	memset(r, 0, sizeof(*r));
	r->data = calloc(1, 1);
	c->r = r;
	c->req = req;
	c->len = len;
	c->half_close = half_close;
	uv_update_time(loop);
	c->t0 = uv_now(loop);
	uv_tcp_init(loop, &c->tcp);
	uv_timer_init(loop, &c->timer);
	c->tcp.data = c->timer.data = c->conn.data = c;
	uv_timer_start(&c->timer, hc_timeout, timeout_ms, 0);
	uv_ip4_addr("127.0.0.1", port, &sa);
	uv_tcp_connect(&c->conn, &c->tcp, (struct sockaddr *)&sa,
	    hc_connected);
	while (!c->done)
		uv_run(loop, UV_RUN_ONCE);
	free(c);
}

int
hc_count(const struct hc_result *r, const char *needle)
{
	const char *p = r->data, *end = r->data + r->len;
	size_t nl = strlen(needle);
	int n = 0;

	/* memmem: bodies may hold NUL bytes */
	while ((p = memmem(p, (size_t)(end - p), needle, nl)) != NULL) {
		n++;
		p += nl;
	}
	return n;
}

void
hc_free(struct hc_result *r)
{
	free(r->data);
	r->data = NULL;
}
