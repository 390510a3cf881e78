/*
 * http_client: asynchronous HTTP/1.1 client on one libuv loop.
 *
 * Requests go to http:// or https:// URLs (TLS through net/tls.h with a
 * caller-owned tls_profile). Response heads are parsed by llhttp into a
 * bounded buffer and handed to on_headers; body bytes go to on_body as they
 * arrive (watch streams and downloads are never held whole), or, with
 * body_limit > 0, are collected into resp->body up to that limit (beyond it
 * the request fails with "response body exceeds N bytes").
 *
 * Every request that http_client_request() accepted (returned 0) gets its
 * on_done called exactly once, from the loop (never from inside an API
 * call), with 0 or a negative HTTP_E* code and a message naming the method
 * and URL; after on_done returns the request handle is gone. Cancelling and
 * destroying the client both complete pending requests with HTTP_ECANCELED.
 *
 * Connections are pooled per endpoint (scheme, host, port, TLS profile and
 * server name) while idle and keep-alive, up to max_idle_per_endpoint, for
 * idle_timeout_ms. A request on a reused connection that fails before any
 * response byte arrived is retried once on a fresh connection if its method
 * is idempotent and its body (if any) is a buffer.
 *
 * http_client_destroy() closes every handle; the client memory is freed once
 * the last handle's close callback ran, so a loop run to completion after it
 * ends with no handles left.
 */
#ifndef AG_NET_HTTP_CLIENT_H
#define AG_NET_HTTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "base/err.h"
#include "net/http_response.h"
#include "net/tls.h"

enum http_error {
	HTTP_OK = 0,
	HTTP_EDNS = -1,             /* host name did not resolve */
	HTTP_ECONNREFUSED = -2,     /* connection refused */
	HTTP_ECONNECT = -3,         /* other connect failure */
	HTTP_ERESET = -4,           /* reset or closed by the peer */
	HTTP_ETLS = -5,             /* TLS failure, including peer alerts */
	HTTP_ECERT = -6,            /* server certificate rejected */
	HTTP_EPROTO = -7,           /* malformed response, headers too big */
	HTTP_ETIMEDOUT = -8,        /* connect, response or idle timeout */
	HTTP_ETOOBIG = -9,          /* buffered body over body_limit */
	HTTP_ECANCELED = -10,       /* cancelled or client destroyed */
	HTTP_ECALLBACK = -11,       /* a caller callback failed */
	HTTP_EIO = -12,             /* write failure, out of memory */
};

/* Timeout value meaning "never". 0 in an option means "the default". */
#define HTTP_NO_TIMEOUT UINT64_MAX

struct http_client_opts {
	unsigned max_idle_per_endpoint; /* default 2 */
	uint64_t idle_timeout_ms;       /* pooled connection, default 90 s */
	uint64_t connect_timeout_ms;    /* DNS+TCP+TLS, default 30 s */
	uint64_t response_timeout_ms;   /* request sent -> headers, 60 s */
	uint64_t stream_idle_timeout_ms;/* no byte for this long, 300 s */
	size_t header_max;              /* response head, default 64 KiB */
};

struct http_client;
struct http_request;

/* Streamed request body: fill buf (up to cap), return bytes, 0 at the end,
 * -1 with e set on failure. */
typedef ssize_t (*http_body_read_cb)(void *data, char *buf, size_t cap,
    struct err *e);
typedef int (*http_headers_cb)(struct http_request *req,
    const struct http_response *resp, struct err *e);
typedef int (*http_body_cb)(struct http_request *req, const char *p,
    size_t len, struct err *e);
/* resp is NULL when no response head arrived; e->msg is "" on success. */
typedef void (*http_done_cb)(struct http_request *req, int status,
    const struct http_response *resp, const struct err *e);

struct http_request_opts {
	const char *method;             /* default "GET" */
	const char *url;                /* copied */
	const char *const *headers;     /* "Name: value", NULL-ended; copied.
	                                 * Host is added unless given here. */
	/* Body: a buffer (must stay valid until on_done) ... */
	const void *body;
	size_t body_len;
	/* ... or streamed: body_read called until it returns 0. */
	http_body_read_cb body_read;
	int64_t body_read_len;          /* its length, or -1: chunked */
	struct tls_profile *tls;        /* required for https (not owned) */
	const char *tls_server_name;    /* verify/SNI name instead of host */
	size_t body_limit;              /* > 0: buffer body into resp->body */
	http_headers_cb on_headers;     /* optional */
	http_body_cb on_body;           /* optional */
	http_done_cb on_done;           /* required */
	uint64_t connect_timeout_ms;    /* 0: the client's */
	uint64_t response_timeout_ms;
	uint64_t stream_idle_timeout_ms;
	void *data;
};

/* Creates a client on loop; opts may be NULL. Frees with destroy. */
int http_client_new(struct http_client **out, uv_loop_t *loop,
    const struct http_client_opts *opts, struct err *e);
/* Cancels every request (on_done with HTTP_ECANCELED), closes connections;
 * memory goes once the loop has run the close callbacks. */
void http_client_destroy(struct http_client *c);

/* Starts a request. -1 (with e) for invalid options, nothing started;
 * otherwise 0 and on_done will be called. *out (may be NULL) is valid
 * until on_done returns. */
int http_client_request(struct http_client *c,
    const struct http_request_opts *o, struct http_request **out,
    struct err *e);
/* Cancels a request whose on_done has not run yet; on_done follows from
 * the loop with HTTP_ECANCELED. Safe inside the request's callbacks. */
void http_request_cancel(struct http_request *req);
void *http_request_data(const struct http_request *req);

/* Figures for memory reports. */
size_t http_client_sizeof(void);
size_t http_conn_sizeof(void);
size_t http_request_sizeof(void);
/* Connections currently open (idle or busy), not counting closing ones. */
unsigned http_client_conn_count(const struct http_client *c);

#endif
