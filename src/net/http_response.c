/*
 * http_response: llhttp callbacks that build a bounded struct http_response
 * and stream the body to the caller (see http_response.h).
 */
#include "net/http_response.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <limits.h>

#define HTTP_PARSER(l) ((struct http_response_parser *)(l)->data)

static int
http_parse_failed(struct http_response_parser *p, int fail)
{
	p->fail = fail;
	return -1;
}

/* Appends header bytes to the bounded header buffer. */
static int
http_hdr_append(struct http_response_parser *p, const char *at, size_t len)
{
	struct http_response *r = &p->resp;
	size_t cap;
	char *n;

	p->head_bytes += len;
	if (p->head_bytes > p->header_max) {
		err_set(p->err, "response headers exceed %zu bytes",
		    p->header_max);
		return http_parse_failed(p, HTTP_PARSE_HEADERS_TOO_BIG);
	}
	if (r->hdr_cap - r->hdr_len < len) {
		cap = r->hdr_cap == 0 ? 512 : r->hdr_cap;
		while (cap - r->hdr_len < len)
			cap *= 2;
		if (cap > p->header_max)
			cap = p->header_max;
		if ((n = realloc(r->hdr, cap)) == NULL) {
			err_set(p->err, "response headers: out of memory");
			return http_parse_failed(p, HTTP_PARSE_HEADERS_TOO_BIG);
		}
		r->hdr = n;
		r->hdr_cap = cap;
	}
	memcpy(r->hdr + r->hdr_len, at, len);
	r->hdr_len += len;
	return 0;
}

static int
http_on_status(llhttp_t *l, const char *at, size_t len)
{
	struct http_response_parser *p = HTTP_PARSER(l);

	(void)at;
	p->head_bytes += len;
	if (p->head_bytes > p->header_max) {
		err_set(p->err, "response headers exceed %zu bytes",
		    p->header_max);
		return http_parse_failed(p, HTTP_PARSE_HEADERS_TOO_BIG);
	}
	return 0;
}

static int
http_on_header_data(llhttp_t *l, const char *at, size_t len)
{
	struct http_response_parser *p = HTTP_PARSER(l);

	if (p->headers_done)        /* trailers: not kept */
		return 0;
	return http_hdr_append(p, at, len);
}

/* Ends a name or value string; keeps the buffer strictly alternating. */
static int
http_hdr_end(struct http_response_parser *p, int value)
{
	struct http_response *r = &p->resp;

	if (p->headers_done)        /* trailers: not kept */
		return 0;
	if (value != p->in_value && http_hdr_append(p, "", 1) != 0)
		return -1;          /* an empty string never reported */
	if (value) {
		while (r->hdr_len > 0 && (r->hdr[r->hdr_len - 1] == ' ' ||
		    r->hdr[r->hdr_len - 1] == '\t'))
			r->hdr_len--;
	}
	p->in_value = !value;
	return http_hdr_append(p, "", 1);
}

static int
http_on_field_end(llhttp_t *l)
{
	return http_hdr_end(HTTP_PARSER(l), 0);
}

static int
http_on_value_end(llhttp_t *l)
{
	return http_hdr_end(HTTP_PARSER(l), 1);
}

static int
http_on_headers_complete(llhttp_t *l)
{
	struct http_response_parser *p = HTTP_PARSER(l);
	struct http_response *r = &p->resp;
	int status = llhttp_get_status_code(l);

	if (p->in_value && http_hdr_end(p, 1) != 0)
		return -1;
	if (status >= 100 && status < 200 && status != 101) {
		/* Informational: forget it, the real response follows. */
		r->hdr_len = 0;
		p->head_bytes = 0;
		return 0;
	}
	p->headers_done = 1;
	r->status = status;
	r->content_length = (l->flags & F_CONTENT_LENGTH) &&
	    !(l->flags & F_CHUNKED) ? (int64_t)l->content_length : -1;
	if (p->body_limit > 0 && r->content_length > (int64_t)p->body_limit) {
		err_set(p->err, "response body exceeds %zu bytes",
		    p->body_limit);
		return http_parse_failed(p, HTTP_PARSE_BODY_TOO_BIG);
	}
	if (p->cbs != NULL && p->cbs->on_headers != NULL &&
	    p->cbs->on_headers(p->data, r, p->err) != 0)
		return http_parse_failed(p, HTTP_PARSE_CALLBACK);
	if (status == 101) {
		err_set(p->err, "unexpected protocol upgrade (status 101)");
		return http_parse_failed(p, HTTP_PARSE_MALFORMED);
	}
	/* No body whatever the headers say (llhttp would wait for a 304's
	 * Content-Length bytes). */
	return p->head_request || status == 204 || status == 304 ? 1 : 0;
}

static int
http_body_buffer(struct http_response_parser *p, const char *at, size_t len)
{
	struct http_response *r = &p->resp;
	size_t cap;
	char *n;

	if (len > p->body_limit - r->body_len) {
		err_set(p->err, "response body exceeds %zu bytes",
		    p->body_limit);
		return http_parse_failed(p, HTTP_PARSE_BODY_TOO_BIG);
	}
	if (p->body_cap - r->body_len <= len) {
		cap = p->body_cap == 0 ? 1024 : p->body_cap;
		if (r->content_length >= 0 && (size_t)r->content_length >= cap)
			cap = (size_t)r->content_length + 1;
		while (cap - r->body_len <= len)
			cap *= 2;
		if (cap > p->body_limit + 1)
			cap = p->body_limit + 1;
		if ((n = realloc(p->body, cap)) == NULL) {
			err_set(p->err, "response body: out of memory");
			return http_parse_failed(p, HTTP_PARSE_BODY_TOO_BIG);
		}
		p->body = n;
		p->body_cap = cap;
		r->body = n;
	}
	memcpy(p->body + r->body_len, at, len);
	r->body_len += len;
	p->body[r->body_len] = '\0';
	return 0;
}

static int
http_on_body(llhttp_t *l, const char *at, size_t len)
{
	struct http_response_parser *p = HTTP_PARSER(l);

	if (p->body_limit > 0 && http_body_buffer(p, at, len) != 0)
		return -1;
	if (p->cbs != NULL && p->cbs->on_body != NULL &&
	    p->cbs->on_body(p->data, at, len, p->err) != 0)
		return http_parse_failed(p, HTTP_PARSE_CALLBACK);
	return 0;
}

static int
http_on_message_complete(llhttp_t *l)
{
	struct http_response_parser *p = HTTP_PARSER(l);

	if (!p->headers_done)       /* end of an informational response */
		return 0;
	p->complete = 1;
	p->resp.keep_alive = llhttp_should_keep_alive(l);
	return HPE_PAUSED;          /* stop: what follows is not ours */
}

void
http_response_parser_init(struct http_response_parser *p, int head_request,
    size_t header_max, size_t body_limit,
    const struct http_response_cbs *cbs, void *data)
{
	memset(p, 0, sizeof(*p));
	llhttp_settings_init(&p->settings);
	p->settings.on_status = http_on_status;
	p->settings.on_header_field = http_on_header_data;
	p->settings.on_header_value = http_on_header_data;
	p->settings.on_header_field_complete = http_on_field_end;
	p->settings.on_header_value_complete = http_on_value_end;
	p->settings.on_headers_complete = http_on_headers_complete;
	p->settings.on_body = http_on_body;
	p->settings.on_message_complete = http_on_message_complete;
	llhttp_init(&p->llhttp, HTTP_RESPONSE, &p->settings);
	p->llhttp.data = p;
	p->cbs = cbs;
	p->data = data;
	p->header_max = header_max > 0 ? header_max : HTTP_HEADERS_MAX_DEFAULT;
	p->body_limit = body_limit;
	p->head_request = head_request;
	p->resp.content_length = -1;
}

static int
http_parse_error(struct http_response_parser *p, llhttp_errno_t rc,
    struct err *e)
{
	const char *reason;

	if (p->fail != 0)           /* our callback already said why */
		return -1;
	reason = llhttp_get_error_reason(&p->llhttp);
	err_set(e, "malformed response: %s (%s)", reason != NULL ? reason :
	    "parse error", llhttp_errno_name(rc));
	return http_parse_failed(p, HTTP_PARSE_MALFORMED);
}

long
http_response_parser_feed(struct http_response_parser *p, const char *data,
    size_t len, struct err *e)
{
	llhttp_errno_t rc;
	const char *pos;

	if (p->fail != 0)
		return err_set(e, "response parser already failed");
	if (p->complete || len == 0)
		return 0;
	if (len > LONG_MAX)
		len = LONG_MAX;
	p->err = e;
	rc = llhttp_execute(&p->llhttp, data, len);
	p->err = NULL;
	if (rc == HPE_OK)
		return (long)len;
	if (rc == HPE_PAUSED && p->complete) {
		pos = llhttp_get_error_pos(&p->llhttp);
		return pos != NULL ? (long)(pos - data) : (long)len;
	}
	return http_parse_error(p, rc, e);
}

int
http_response_parser_eof(struct http_response_parser *p, struct err *e)
{
	llhttp_errno_t rc;

	if (p->complete)
		return 0;
	if (p->fail != 0)
		return -1;
	p->err = e;
	rc = llhttp_finish(&p->llhttp);
	p->err = NULL;
	if (p->fail != 0)
		return -1;
	if ((rc == HPE_OK || rc == HPE_PAUSED) && p->complete)
		return 0;
	if (!p->headers_done)
		err_set(e, "connection closed before the response headers "
		    "were complete");
	else
		err_set(e, "connection closed before the response body was "
		    "complete");
	return http_parse_failed(p, HTTP_PARSE_TRUNCATED);
}

void
http_response_parser_free(struct http_response_parser *p)
{
	free(p->resp.hdr);
	free(p->body);
	p->resp.hdr = NULL;
	p->resp.hdr_len = p->resp.hdr_cap = 0;
	p->resp.body = p->body = NULL;
	p->resp.body_len = p->body_cap = 0;
}

const char *
http_response_header(const struct http_response *r, const char *name)
{
	const char *n, *v;
	size_t pos = 0;

	while (http_response_header_next(r, &pos, &n, &v))
		if (strcasecmp(n, name) == 0)
			return v;
	return NULL;
}

int
http_response_header_next(const struct http_response *r, size_t *pos,
    const char **name, const char **value)
{
	size_t nlen, vlen;

	if (*pos >= r->hdr_len)
		return 0;
	*name = r->hdr + *pos;
	nlen = strnlen(*name, r->hdr_len - *pos);
	if (*pos + nlen + 1 >= r->hdr_len)
		return 0;
	*value = *name + nlen + 1;
	vlen = strnlen(*value, r->hdr_len - *pos - nlen - 1);
	if (*pos + nlen + 1 + vlen >= r->hdr_len)
		return 0;
	*pos += nlen + vlen + 2;
	return 1;
}
