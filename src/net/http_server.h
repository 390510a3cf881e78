/*
 * http_server: an HTTP/1.1 server on one libuv loop (llhttp in request
 * mode). One implementation behind the three listeners: the artifact server
 * (--storage-addr), health (--health-addr) and metrics (--metrics-addr).
 *
 * Listens on ":port" (every address, IPv6 dual-stack when the host allows,
 * else IPv4), "host:port" (an IPv4 literal, "localhost" or a name resolved
 * once at start) or "[v6]:port". Connections are keep-alive and
 * pipelining-safe: one request at a time per connection is handed to the
 * handler; the parser pauses after it and the next pipelined request is
 * parsed only when its response has ended, so responses go out in order and
 * a connection buffers at most one read (64 KiB) ahead. Limits: request
 * head bytes (request line and headers together, 431 beyond), header count
 * (431), request-target length (414), request body (discarded, 413 beyond
 * body_max), connections (an excess connection gets a 503 with
 * "Connection: close" and is closed). Timeouts: head_timeout from the first
 * byte of a request to the end of its head (slowloris: 408 and close),
 * idle_timeout between keep-alive requests (closed silently), write_timeout
 * when a response makes no progress (the client stopped reading: closed).
 * Malformed requests get 400 and the connection is closed.
 *
 * The handler receives a request and a response object, and completes the
 * response asynchronously, maybe from other callbacks later:
 *   http_res_start (status, extra headers, Content-Length) once, then
 *   http_res_write / http_res_sendfile any number of times (one at a time:
 *   the next after the previous one's callback), then http_res_end once.
 * Every request handed to the handler gets exactly one http_res_end from it
 * (also after a failed write: end then only releases). Write and sendfile
 * callbacks are always called, from the loop and never inside the call,
 * with 0 or a negative libuv error (the peer went away, the server closes);
 * after a failure the remaining writes fail at once with the same error.
 * For HEAD requests the server sends the head only; writes complete without
 * sending. The bytes written must add up to the Content-Length given, else
 * the connection is closed after the response (the client sees a short
 * body, never a desynchronized stream).
 *
 * Ownership: the server owns connections, requests and responses; the
 * request and response pointers are valid until http_res_end returns.
 * Buffers passed to http_res_write must stay valid until its callback;
 * descriptors passed to http_res_sendfile stay owned by the caller.
 * http_server_close stops accepting, closes idle connections, lets
 * responses in flight finish within grace_ms (then closes them, which fails
 * their pending writes) and calls close_cb once every handle is closed;
 * the server memory is freed after close_cb returns.
 */
#ifndef AG_NET_HTTP_SERVER_H
#define AG_NET_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "base/err.h"

/* Defaults (0 in an option means the default). */
#define HTTP_SERVER_MAX_CONNS      1024
#define HTTP_SERVER_HEAD_MAX       (16 * 1024)
#define HTTP_SERVER_HEADERS_MAX    100
#define HTTP_SERVER_TARGET_MAX     4096
#define HTTP_SERVER_BODY_MAX       (64 * 1024)
#define HTTP_SERVER_HEAD_TIMEOUT   10000    /* ms */
#define HTTP_SERVER_IDLE_TIMEOUT   60000
#define HTTP_SERVER_WRITE_TIMEOUT  60000
#define HTTP_SERVER_NO_TIMEOUT     UINT64_MAX   /* a timeout: never */

struct http_server;
struct http_req;
struct http_res;

struct http_server_opts {
	const char *addr;           /* ":port", "host:port", "[v6]:port";
	                             * port 0 picks a free one */
	const char *name;           /* for messages, e.g. "artifact server" */
	unsigned max_conns;
	size_t head_max;            /* request line + headers, bytes */
	unsigned headers_max;       /* header fields */
	size_t target_max;          /* request-target bytes */
	size_t body_max;            /* discarded request body bytes */
	uint64_t head_timeout_ms;
	uint64_t idle_timeout_ms;
	uint64_t write_timeout_ms;
	int backlog;                /* listen backlog, default 511 */
};

/* Called on the loop for each request; see the top comment. */
typedef void (*http_handler_cb)(void *data, struct http_req *req,
    struct http_res *res);
/* Optional: called when a response ended (status sent, body bytes sent;
 * ok false when the connection failed before the body was complete). For
 * counters: requests by code, bytes served. */
typedef void (*http_served_cb)(void *data, const struct http_req *req,
    int status, uint64_t body_bytes, bool ok);
typedef void (*http_server_close_cb)(struct http_server *srv, void *data);
/* Write completion: 0 or a negative libuv error. */
typedef void (*http_res_cb)(struct http_res *res, int status, void *data);

/* A parsed request; the strings are NUL-terminated and live in the
 * connection until http_res_end. */
struct http_req {
	const char *method;         /* "GET", "HEAD", ... */
	const char *target;         /* raw request-target, e.g. "/a/b?x=1" */
	const char *path;           /* target before '?', not decoded */
	const char *query;          /* after '?', or NULL */
	unsigned http_minor;        /* 0 or 1 */
	bool keep_alive;            /* the client wants the connection kept */
	bool head;                  /* method is HEAD: no body will be sent */
};

/* First value of header `name` (case-insensitive, trimmed), or NULL. */
const char *http_req_header(const struct http_req *req, const char *name);
/* Peer address as text ("127.0.0.1", "::1"), for logs. */
const char *http_req_peer(const struct http_req *req);

/* Creates the server and starts listening. -1 with a message naming the
 * server and address (bad address, port in use, ...). */
int http_server_new(uv_loop_t *loop, const struct http_server_opts *opts,
    http_handler_cb handler, void *data, struct http_server **out,
    struct err *e);
/* Sets the served callback (may be NULL). */
void http_server_on_served(struct http_server *srv, http_served_cb cb);
/* The bound port (useful with port 0). */
int http_server_port(const struct http_server *srv);
/* Open connections (not counting closing ones). */
unsigned http_server_conn_count(const struct http_server *srv);
/* Stops the server as described above. cb may be NULL. Safe to call once. */
void http_server_close(struct http_server *srv, uint64_t grace_ms,
    http_server_close_cb cb, void *data);

/*
 * Starts the response: status line, Date, Content-Length (when
 * content_length >= 0; -1 means the body ends when the connection closes,
 * which also closes it), Connection: close when the connection will not be
 * kept, then `headers`: zero or more "Name: value\r\n" lines, NULL for none
 * (they must not include Content-Length, Connection, Date or
 * Transfer-Encoding). 1xx, 204 and 304 never have a body: their
 * content_length is taken as 0 and no Content-Length is sent. Sent with the first write or at end. -1 on misuse
 * (already started, header bytes over 8 KiB).
 */
int http_res_start(struct http_res *res, int status, const char *headers,
    int64_t content_length);
/* Queues len bytes of buf (valid until cb). */
void http_res_write(struct http_res *res, const void *buf, size_t len,
    http_res_cb cb, void *data);
/* Sends len bytes of fd from offset off without copying them through user
 * space (uv_fs_sendfile on the pool; fd owned by the caller, kept open
 * until cb). */
void http_res_sendfile(struct http_res *res, int fd, int64_t off,
    uint64_t len, http_res_cb cb, void *data);
/* Ends the response and releases res and its request. */
void http_res_end(struct http_res *res);
/* A whole response from a buffer: start + write (copied) + end.
 * content_type may be NULL. */
void http_res_simple(struct http_res *res, int status,
    const char *content_type, const char *extra_headers,
    const void *body, size_t len);
/* The request of this response. */
const struct http_req *http_res_req(const struct http_res *res);
/* True once a write failed or the server is closing the connection:
 * a handler doing slow work may stop early (it still calls end). */
bool http_res_failed(const struct http_res *res);

/* Reason phrase for a status ("Not Found"), "" for unknown codes. */
const char *http_status_reason(int status);

/* IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") of unix seconds into out
 * (at least HTTP_DATE_LEN bytes); and back: -1 for anything that is not
 * an IMF-fixdate (the obsolete forms are not accepted). */
#define HTTP_DATE_LEN 32
void http_date_format(int64_t unix_s, char *out);
int http_date_parse(const char *s, int64_t *unix_s);

#endif
