/*
 * http_server_int: the request parser of http_server, without sockets
 * (llhttp in request mode), so that unit tests and the fuzz target drive it
 * the way a connection does.
 *
 * One parser per connection. http_reqp_feed() consumes bytes until one
 * request is complete (head parsed, body discarded), then stops: the caller
 * handles the request, and calls http_reqp_next() before feeding the bytes
 * that followed. The head is kept in one buffer that grows up to head_max:
 * "method\0target\0name\0value\0..." (values trimmed). The parser owns the
 * buffer; http_reqp_free() releases it.
 */
#ifndef AG_NET_HTTP_SERVER_INT_H
#define AG_NET_HTTP_SERVER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <llhttp.h>

#include "net/http_server.h"

enum http_reqp_rc {
	HTTP_REQP_MORE = 0,	/* every byte consumed, request incomplete */
	HTTP_REQP_DONE,		/* one request complete (*used bytes) */
	HTTP_REQP_ERROR,	/* p->fail_status says what to answer */
};

struct http_reqp_limits {
	size_t head_max;
	unsigned headers_max;
	size_t target_max;
	size_t body_max;
};

/* The request plus what the server adds (peer) and the parser keeps. */
struct http_req_full {
	struct http_req pub;	/* first: http_req * casts to this */
	const char *hdrs;	/* first header name in buf */
	size_t hdrs_len;	/* bytes of "name\0value\0" pairs */
	char peer[64];
};

struct http_reqp {
	llhttp_t ll;
	struct http_reqp_limits lim;
	char *buf;
	size_t len, cap;
	size_t head_bytes;	/* request line + header bytes so far */
	size_t target_len;
	unsigned nhdr;
	int in;			/* 0, or which string is open (1 method,
				 * 2 url, 3 field, 4 value) */
	uint64_t body_bytes;
	bool started;		/* a byte of this request was seen */
	bool head_done;
	int fail_status;	/* 400, 408, 413, 414, 431, 501, 505 */
	const char *fail_msg;
	struct http_req_full req;
};

void http_reqp_init(struct http_reqp *p, const struct http_reqp_limits *l);
void http_reqp_free(struct http_reqp *p);
/* Feeds bytes; on DONE *used is how many were consumed (the rest belong to
 * the next request), p->req describes the request. */
enum http_reqp_rc http_reqp_feed(struct http_reqp *p, const char *data,
    size_t len, size_t *used);
/* Forgets the completed request; the parser is ready for the next one. */
void http_reqp_next(struct http_reqp *p);

#endif
