/*
 * http_server_parse: llhttp request-mode callbacks that collect one request
 * head into a bounded buffer and discard its body (see http_server_int.h).
 * Called by http_server's connections and by the fuzz target.
 */
#include "net/http_server_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/bytes.h"

#define REQP(l) ((struct http_reqp *)(l)->data)
#define HEADER_OVERHEAD 4	/* ": " and CRLF of each header line */

static int
reqp_fail(struct http_reqp *p, int status, const char *msg)
{
	if (p->fail_status == 0) {
		p->fail_status = status;
		p->fail_msg = msg;
	}
	return -1;
}

/* Appends bytes to the head buffer, growing it up to the head limit. */
static int
reqp_append(struct http_reqp *p, const char *at, size_t len)
{
	if (bytes_append(&p->buf, &p->len, &p->cap, 1024, 0, at, len) < 0)
		return reqp_fail(p, 503, "out of memory");
	return 0;
}

static int
reqp_count(struct http_reqp *p, size_t len)
{
	p->head_bytes += len;
	if (p->head_bytes > p->lim.head_max)
		return reqp_fail(p, 431, "request header fields too large");
	return 0;
}

static int
reqp_on_begin(llhttp_t *l)
{
	REQP(l)->started = true;
	return 0;
}

static int
reqp_on_url(llhttp_t *l, const char *at, size_t len)
{
	struct http_reqp *p = REQP(l);

	p->target_len += len;
	if (p->target_len > p->lim.target_max)
		return reqp_fail(p, 414, "request-target too long");
	if (reqp_count(p, len) < 0)
		return -1;
	return reqp_append(p, at, len);
}

static int
reqp_on_url_complete(llhttp_t *l)
{
	return reqp_append(REQP(l), "", 1);
}

static int
reqp_on_field(llhttp_t *l, const char *at, size_t len)
{
	struct http_reqp *p = REQP(l);

	if (p->head_done)	/* trailers of a chunked body: dropped */
		return reqp_count(p, len);
	if (p->in != 3) {
		if (++p->nhdr > p->lim.headers_max)
			return reqp_fail(p, 431, "too many header fields");
		if (reqp_count(p, HEADER_OVERHEAD) < 0)
			return -1;
		p->in = 3;
	}
	if (reqp_count(p, len) < 0)
		return -1;
	return reqp_append(p, at, len);
}

static int
reqp_on_value(llhttp_t *l, const char *at, size_t len)
{
	struct http_reqp *p = REQP(l);

	if (reqp_count(p, len) < 0)
		return -1;
	if (p->head_done)
		return 0;
	p->in = 4;
	return reqp_append(p, at, len);
}

static int
reqp_on_field_complete(llhttp_t *l)
{
	struct http_reqp *p = REQP(l);

	if (p->head_done)
		return 0;
	p->in = 4;		/* an empty value reports no bytes */
	return reqp_append(p, "", 1);
}

static int
reqp_on_value_complete(llhttp_t *l)
{
	struct http_reqp *p = REQP(l);

	if (p->head_done)
		return 0;
	while (p->len > 0 && (p->buf[p->len - 1] == ' ' ||
	    p->buf[p->len - 1] == '\t'))
		p->len--;
	p->in = 0;
	return reqp_append(p, "", 1);
}

static int
reqp_on_headers_complete(llhttp_t *l)
{
	struct http_reqp *p = REQP(l);
	const char *m;

	p->head_done = true;
	p->req.hdrs_len = p->len - (p->target_len + 1);
	if (l->http_major != 1)
		return reqp_fail(p, 505, "HTTP version not supported");
	if (l->method == HTTP_CONNECT)
		return reqp_fail(p, 405, "method not allowed");
	m = llhttp_method_name((llhttp_method_t)l->method);
	if (reqp_append(p, m, strlen(m) + 1) < 0)
		return -1;
	return 0;
}

static int
reqp_on_body(llhttp_t *l, const char *at, size_t len)
{
	struct http_reqp *p = REQP(l);

	(void)at;
	p->body_bytes += len;
	if (p->body_bytes > p->lim.body_max)
		return reqp_fail(p, 413, "request body too large");
	return 0;
}

static int
reqp_on_complete(llhttp_t *l)
{
	(void)l;
	return HPE_PAUSED;
}

static const llhttp_settings_t reqp_settings = {
	.on_message_begin = reqp_on_begin,
	.on_url = reqp_on_url,
	.on_url_complete = reqp_on_url_complete,
	.on_header_field = reqp_on_field,
	.on_header_value = reqp_on_value,
	.on_header_field_complete = reqp_on_field_complete,
	.on_header_value_complete = reqp_on_value_complete,
	.on_headers_complete = reqp_on_headers_complete,
	.on_body = reqp_on_body,
	.on_message_complete = reqp_on_complete,
};

void
http_reqp_init(struct http_reqp *p, const struct http_reqp_limits *lim)
{
	memset(p, 0, sizeof(*p));
	p->lim = *lim;
	llhttp_init(&p->ll, HTTP_REQUEST, &reqp_settings);
	p->ll.data = p;
}

void
http_reqp_free(struct http_reqp *p)
{
	free(p->buf);
	p->buf = NULL;
	p->cap = p->len = 0;
}

/* Points the public request into the buffer once the message is complete. */
static int
reqp_finish(struct http_reqp *p)
{
	struct http_req *r = &p->req.pub;
	char *q;

	if (p->buf == NULL || p->target_len == 0 || p->buf[0] != '/' ||
	    memchr(p->buf, '\0', p->target_len) != NULL)
		return reqp_fail(p, 400, "bad request-target");
	r->target = p->buf;
	p->req.hdrs = p->buf + p->target_len + 1;
	r->method = p->req.hdrs + p->req.hdrs_len;
	r->http_minor = p->ll.http_minor;
	r->keep_alive = llhttp_should_keep_alive(&p->ll) != 0 &&
	    p->ll.upgrade == 0;
	r->head = p->ll.method == HTTP_HEAD;
	r->query = NULL;
	r->path = r->target;
	if ((q = strchr(p->buf, '?')) != NULL) {
		*q = '\0';	/* path and query share the target bytes */
		r->query = q + 1;
	}
	if (r->http_minor >= 1 && http_req_header(r, "Host") == NULL)
		return reqp_fail(p, 400, "missing Host header");
	return 0;
}

enum http_reqp_rc
http_reqp_feed(struct http_reqp *p, const char *data, size_t len,
    size_t *used)
{
	llhttp_errno_t rc;

	*used = 0;
	if (p->fail_status != 0)
		return HTTP_REQP_ERROR;
	if (len == 0)
		return HTTP_REQP_MORE;
	rc = llhttp_execute(&p->ll, data, len);
	if (rc == HPE_OK) {
		*used = len;
		return HTTP_REQP_MORE;
	}
	if (rc == HPE_PAUSED || rc == HPE_PAUSED_UPGRADE) {
		*used = (size_t)(llhttp_get_error_pos(&p->ll) - data);
		if (reqp_finish(p) < 0)
			return HTTP_REQP_ERROR;
		return HTTP_REQP_DONE;
	}
	if (p->fail_status == 0)
		reqp_fail(p, 400, "malformed request");
	return HTTP_REQP_ERROR;
}

void
http_reqp_next(struct http_reqp *p)
{
	struct http_reqp_limits lim = p->lim;
	char *buf = p->buf;
	size_t cap = p->cap;

	/* Restart the parser rather than resume it: the connection has read
	 * nothing of the next request yet (the caller feeds it afresh), and
	 * an upgrade request never gets a successor. Keep the buffer unless
	 * it grew large, so busy keep-alive connections do not churn malloc. */
	if (cap > 4096) {
		free(buf);
		buf = NULL;
		cap = 0;
	}
	http_reqp_init(p, &lim);
	p->buf = buf;
	p->cap = cap;
}

const char *
http_req_header(const struct http_req *req, const char *name)
{
	const struct http_req_full *f = (const struct http_req_full *)req;
	const char *p = f->hdrs, *end = f->hdrs + f->hdrs_len, *v;

	while (p < end) {
		v = p + strlen(p) + 1;
		if (v >= end)
			break;
		if (strcasecmp(p, name) == 0)
			return v;
		p = v + strlen(v) + 1;
	}
	return NULL;
}

const char *
http_req_peer(const struct http_req *req)
{
	return ((const struct http_req_full *)req)->peer;
}
