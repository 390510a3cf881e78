/*
 * http_internal: structures shared by http_client.c (requests, pool,
 * completion dispatch) and http_conn.c (one TCP/TLS connection: resolve,
 * connect, handshake, read, write, close). Not for other modules.
 */
#ifndef AG_NET_HTTP_INTERNAL_H
#define AG_NET_HTTP_INTERNAL_H

#include <sys/queue.h>

#include "net/http_client.h"
#include "net/http_url.h"

#define HTTP_READ_BUF (16 * 1024)   /* shared by all connections' reads: one TLS record */
#define HTTP_PLAIN_BUF (16 * 1024)  /* shared TLS plaintext buffer */
#define HTTP_CHUNK_BUF (16 * 1024)  /* streamed request body chunk */
#define HTTP_CHUNK_HDR 16           /* room for "<hex>\r\n" */

enum http_conn_state {
	CONN_RESOLVING,
	CONN_CONNECTING,
	CONN_HANDSHAKE,
	CONN_BUSY,                  /* a request is attached */
	CONN_IDLE,                  /* pooled */
};

enum http_phase {                   /* what the connection timer guards */
	PHASE_CONNECT,
	PHASE_SEND,
	PHASE_RESPONSE,
	PHASE_BODY,
	PHASE_POOL,
};

struct http_conn {
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_getaddrinfo_t gai;
	uv_connect_t connect_req;
	uv_write_t write_req;       /* plain writes: one at a time */
	struct http_client *client;
	struct http_request *req;
	struct tls_session *tls;
	struct tls_profile *profile;  /* referenced; NULL for http */
	struct addrinfo *ai;
	struct addrinfo *ai_next;
	/* An IP literal host is connected to without the resolver (which
	 * runs on the thread pool, where builds may be queued). */
	struct addrinfo literal;
	struct sockaddr_storage literal_addr;
	char host[HTTP_HOST_MAX];
	char server_name[HTTP_HOST_MAX]; /* "" unless overridden */
	int port;
	int use_tls;
	int state;                  /* enum http_conn_state */
	int phase;                  /* enum http_phase */
	uint64_t phase_ms;
	int open_handles;
	int gai_active;
	int closing;
	int reused;
	TAILQ_ENTRY(http_conn) link;
};

struct http_request {
	struct http_client *client;
	struct http_conn *conn;
	struct http_request_opts o; /* url, headers: see head/url below */
	const char *url;            /* copy, in this allocation */
	char *head;                 /* request line + headers, ditto */
	size_t head_len;
	struct http_url u;
	struct http_response_parser parser;
	char *chunk;                /* body_read buffer, while sending */
	int64_t body_sent;
	int send_step;
	int got_bytes;
	int sent_all;
	int retried;
	int finished;
	int has_head;               /* response head delivered */
	int status;
	struct err err;
	TAILQ_ENTRY(http_request) link;
};

TAILQ_HEAD(http_conn_list, http_conn);
TAILQ_HEAD(http_request_list, http_request);

struct http_client {
	uv_loop_t *loop;
	struct http_client_opts opts;
	struct http_conn_list conns;
	struct http_request_list active;
	struct http_request_list done;
	uv_timer_t dispatch;
	int closing;
	unsigned nconns;
	char rbuf[HTTP_READ_BUF];
	char pbuf[HTTP_PLAIN_BUF];
};

/* http_conn.c */
int http_conn_open(struct http_client *c, struct http_request *r,
    struct http_conn **out, struct err *e);
void http_conn_close(struct http_conn *conn);
void http_conn_timer(struct http_conn *conn, int phase, uint64_t ms);
void http_conn_send(struct http_conn *conn);
int http_conn_matches(const struct http_conn *conn,
    const struct http_request *r);

/* http_client.c: events from a connection to its request. */
void http_req_fail(struct http_request *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void http_req_complete(struct http_request *r, int reusable);
void http_req_deliver(struct http_request *r, const char *data, size_t len);
void http_req_eof(struct http_request *r, int uv_status);
void http_client_conn_gone(struct http_client *c);
uint64_t http_req_timeout(const struct http_request *r, int phase);

#endif
