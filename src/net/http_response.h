/*
 * http_response: the HTTP/1.1 response parser (llhttp) without sockets.
 *
 * The client feeds every plaintext byte read from a connection into
 * http_response_parser_feed(); the parser stores the header block in one
 * buffer bounded by header_max (names and values, NUL-separated), hands body
 * bytes to on_body as they arrive (or buffers them up to body_limit), and
 * stops at the end of the message so that the caller can tell whether bytes
 * followed it. The fuzz target drives it the same way. The parser owns the
 * header and body buffers; http_response_parser_free() releases them.
 */
#ifndef AG_NET_HTTP_RESPONSE_H
#define AG_NET_HTTP_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

#include <llhttp.h>

#include "base/err.h"

#define HTTP_HEADERS_MAX_DEFAULT (64 * 1024)

/* A parsed response head (and buffered body); lives in its parser. */
struct http_response {
	int status;                 /* e.g. 200 */
	int64_t content_length;     /* -1 when not given (chunked, until close) */
	int keep_alive;             /* set once complete: connection reusable */
	const char *body;           /* buffered mode: body bytes (NUL-ended) */
	size_t body_len;
	/* private */
	char *hdr;                  /* "name\0value\0" ... */
	size_t hdr_len;
	size_t hdr_cap;
};

/* First value of header `name` (case-insensitive), or NULL. */
const char *http_response_header(const struct http_response *r,
    const char *name);
/* Iterates headers: start with *pos = 0; returns 0 at the end. */
int http_response_header_next(const struct http_response *r, size_t *pos,
    const char **name, const char **value);

/* Callbacks return 0 to go on, -1 (with e filled) to fail the response. */
struct http_response_cbs {
	int (*on_headers)(void *data, const struct http_response *r,
	    struct err *e);
	int (*on_body)(void *data, const char *p, size_t len, struct err *e);
};

/* Why feed or eof failed. */
enum http_parse_fail {
	HTTP_PARSE_MALFORMED = 1,   /* llhttp rejected the bytes */
	HTTP_PARSE_HEADERS_TOO_BIG, /* header block over header_max */
	HTTP_PARSE_BODY_TOO_BIG,    /* buffered body over body_limit */
	HTTP_PARSE_CALLBACK,        /* a callback returned -1 */
	HTTP_PARSE_TRUNCATED,       /* connection closed mid-response */
};

struct http_response_parser {
	llhttp_t llhttp;
	llhttp_settings_t settings;
	struct http_response resp;
	const struct http_response_cbs *cbs;
	void *data;
	struct err *err;            /* the current feed's error sink */
	size_t header_max;
	size_t head_bytes;          /* status + header bytes seen */
	size_t body_limit;          /* 0: not buffered */
	size_t body_cap;
	char *body;
	int head_request;
	int headers_done;
	int in_value;               /* header buffer ends inside a name */
	int complete;
	int fail;                   /* enum http_parse_fail once failed */
};

/*
 * Prepares a parser for one response. head_request: the request was HEAD
 * (no body follows). header_max 0 means HTTP_HEADERS_MAX_DEFAULT;
 * body_limit > 0 buffers the body up to that many bytes. cbs may be NULL.
 */
void http_response_parser_init(struct http_response_parser *p,
    int head_request, size_t header_max, size_t body_limit,
    const struct http_response_cbs *cbs, void *data);
/*
 * Feeds bytes. Returns the number consumed (less than len only once the
 * response is complete: see p->complete), or -1 with e and p->fail set.
 */
long http_response_parser_feed(struct http_response_parser *p,
    const char *data, size_t len, struct err *e);
/* The peer closed the connection: completes a read-until-close body, or
 * fails (-1, e and p->fail set) when the response is not complete. */
int http_response_parser_eof(struct http_response_parser *p, struct err *e);
void http_response_parser_free(struct http_response_parser *p);

#endif
