/*
 * tsrv: a scripted loopback HTTP/1.1 server for unit suites of API clients
 * (see tsrv.h). A request's body, if any, is framed by Content-Length;
 * each request gets the next scripted answer with a Content-Length body.
 */
#include "tsrv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "testutil.h"

struct tsrv_conn {
	uv_tcp_t tcp;
	struct tsrv *s;
	char buf[16384];
	size_t len;
};

static void
conn_closed(uv_handle_t *h)
{
	free(h->data);
}

static void
alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct tsrv_conn *c = h->data;

	(void)hint;
	b->base = c->buf + c->len;
	b->len = sizeof(c->buf) - c->len;
}

static void
write_done(uv_write_t *w, int status)
{
	(void)status;
	free(w->data);
	free(w);
}

static void
tsrv_answer(struct tsrv_conn *c, const struct tsrv_resp *r, size_t len)
{
	uv_write_t *w = malloc(sizeof(*w));
	size_t blen = len > 0 ? len : strlen(r->body);
	char *head, *out;
	int n;
	uv_buf_t b;

	n = asprintf(&head, "HTTP/1.1 %d X\r\nContent-Type: application/json"
	    "\r\nContent-Length: %zu\r\n%s\r\n", r->code, blen,
	    r->headers ? r->headers : "");
	assert_true(n > 0);
	out = malloc((size_t)n + blen);
	assert_non_null(out);
	memcpy(out, head, (size_t)n);
	memcpy(out + n, r->body, blen);
	free(head);
	w->data = out;
	b = uv_buf_init(out, (unsigned)((size_t)n + blen));
	uv_write(w, (uv_stream_t *)&c->tcp, &b, 1, write_done);
}

/* Records one request: head (NUL-terminated at its blank line) and body. */
static void
tsrv_record(struct tsrv *s, const char *head, const char *body, size_t blen)
{
	struct tsrv_req *q;
	size_t eol = strcspn(head, "\r");

	assert_true(s->nreq < TSRV_MAX_REQS);
	q = &s->reqs[s->nreq];
	/* The request line without its " HTTP/1.1". */
	snprintf(q->line, sizeof(q->line), "%.*s", (int)eol, head);
	if (strrchr(q->line, ' ') != NULL)
		*strrchr(q->line, ' ') = '\0';
	snprintf(q->headers, sizeof(q->headers), "%s\r\n",
	    head[eol] != '\0' ? head + eol + 2 : "");
	snprintf(q->body, sizeof(q->body), "%.*s", (int)blen, body);
	q->at_ms = uv_now(s->loop);
}

/* Handles every complete request in the buffer. */
static void
tsrv_parse(struct tsrv_conn *c)
{
	struct tsrv *s = c->s;
	char *end, *cl;
	size_t head, blen, total;
	const struct tsrv_resp *r;

	while ((end = memmem(c->buf, c->len, "\r\n\r\n", 4)) != NULL) {
		head = (size_t)(end - c->buf) + 4;
		*end = '\0';
		cl = strcasestr(c->buf, "\r\ncontent-length:");
		blen = cl != NULL ? strtoul(cl + 17, NULL, 10) : 0;
		total = head + blen;
		if (c->len < total) {
			*end = '\r';
			return;
		}
		tsrv_record(s, c->buf, c->buf + head, blen);
		r = s->nreq < s->nscript ? &s->script[s->nreq] : NULL;
		s->nreq++;
		if (r != NULL && r->hold == 2) {
			uv_close((uv_handle_t *)&c->tcp, conn_closed);
			return;
		}
		if (r != NULL && r->hold == 0)
			tsrv_answer(c, r, s->lens != NULL ?
			    s->lens[r - s->script] : 0);
		memmove(c->buf, c->buf + total, c->len - total);
		c->len -= total;
	}
}

static void
read_cb(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
	struct tsrv_conn *c = st->data;

	(void)b;
	if (n < 0) {
		uv_close((uv_handle_t *)st, conn_closed);
		return;
	}
	c->len += (size_t)n;
	tsrv_parse(c);
}

static void
on_conn(uv_stream_t *server, int status)
{
	struct tsrv *s = server->data;
	struct tsrv_conn *c = calloc(1, sizeof(*c));

	assert_int_equal(status, 0);
	c->s = s;
	uv_tcp_init(s->loop, &c->tcp);
	c->tcp.data = c;
	assert_int_equal(uv_accept(server, (uv_stream_t *)&c->tcp), 0);
	uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, read_cb);
}

void
tsrv_start(struct tsrv *s, uv_loop_t *loop, const struct tsrv_resp *script,
    size_t n)
{
	tsrv_start_port(s, loop, 0, script, NULL, n);
}

void
tsrv_start_port(struct tsrv *s, uv_loop_t *loop, int port,
    const struct tsrv_resp *script, const size_t *lens, size_t n)
{
	struct sockaddr_in a;
	struct sockaddr_storage got;
	int len = sizeof(got);

	memset(s, 0, sizeof(*s));
	s->loop = loop;
	s->script = script;
	s->lens = lens;
	s->nscript = n;
	uv_tcp_init(loop, &s->tcp);
	s->tcp.data = s;
	uv_ip4_addr("127.0.0.1", port, &a);
	assert_int_equal(uv_tcp_bind(&s->tcp, (struct sockaddr *)&a, 0), 0);
	assert_int_equal(uv_listen((uv_stream_t *)&s->tcp, 16, on_conn), 0);
	uv_tcp_getsockname(&s->tcp, (struct sockaddr *)&got, &len);
	s->port = ntohs(((struct sockaddr_in *)&got)->sin_port);
}

static void
tsrv_close_walk(uv_handle_t *h, void *arg)
{
	struct tsrv *s = arg;

	if (uv_is_closing(h))
		return;
	if (h == (uv_handle_t *)&s->tcp)
		uv_close(h, NULL);
	else if (h->type == UV_TCP && h->data != NULL &&
	    ((struct tsrv_conn *)h->data)->s == s)
		uv_close(h, conn_closed);
}

void
tsrv_close(struct tsrv *s)
{
	uv_walk(s->loop, tsrv_close_walk, s);
}
