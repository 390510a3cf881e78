/*
 * http_server_conn: the structures shared by http_server.c (listener,
 * connections, reading, timeouts, close) and http_server_res.c (responses,
 * writes, sendfile). Private to src/net.
 */
#ifndef AG_NET_HTTP_SERVER_CONN_H
#define AG_NET_HTTP_SERVER_CONN_H

#include "net/http_server_int.h"

/* One per server, shared by its connections' reads (requests are GETs of a
 * few hundred bytes; llhttp parses across reads, so this bounds no request):
 * 16 KiB, each of the controller's three servers keeps one for its life. */
#define HTTP_SRV_READ_BUF (16 * 1024)

struct srv_conn;

struct http_server {
	uv_loop_t *loop;
	struct http_server_opts o;
	char *addr;             /* copy of o.addr */
	char *name;             /* copy of o.name */
	http_handler_cb handler;
	http_served_cb served;
	void *data;
	uv_tcp_t tcp;
	uv_timer_t defer;       /* runs deferred callbacks */
	uv_timer_t grace;
	int port;
	int handles;            /* open uv handles of the server itself */
	unsigned nconns;        /* open connections (not counting rejects) */
	unsigned nrejects;      /* 503 connections being closed */
	unsigned nres;          /* responses not yet ended */
	struct srv_conn *conns; /* list of connections */
	struct http_res *deferred;      /* singly linked, FIFO by tail */
	struct http_res *deferred_tail;
	struct srv_conn *resume;        /* conns to resume parsing */
	bool closing;
	bool own_closed;         /* defer and grace closed */
	http_server_close_cb close_cb;
	void *close_data;
	char rbuf[HTTP_SRV_READ_BUF];
	bool rbuf_busy;
	char date[HTTP_DATE_LEN];
	int64_t date_s;
};

enum srv_timer { SRV_T_NONE, SRV_T_HEAD, SRV_T_IDLE, SRV_T_WRITE };

struct srv_conn {
	uv_tcp_t tcp;
	uv_timer_t timer;
	struct http_server *srv;
	struct srv_conn *prev, *next;
	struct srv_conn *resume_next;
	struct http_reqp p;
	char *pend;             /* bytes read past the current request */
	size_t pend_len;
	struct http_res *res;   /* response in flight, or NULL */
	int open_handles;
	bool closing;
	bool reading;
	bool reject;            /* over the cap: 503 then close */
	bool close_after;       /* close once the current response ended */
	bool in_resume;
	bool work_busy;         /* a sendfile job holds the socket fd */
	bool first;             /* no request completed yet */
	bool answered;          /* the server answered an error: closing */
	char peer[64];
};

enum res_op { RES_OP_NONE, RES_OP_WRITE, RES_OP_SENDFILE };

struct http_res {
	struct http_server *srv;
	struct srv_conn *c;     /* NULL once the connection is gone */
	struct http_req_full req;       /* copy; strings in reqbuf */
	char *reqbuf;
	int status;
	int64_t clen;
	uint64_t sent;
	char *head;             /* status line and headers, until sent */
	size_t head_len;
	bool started, head_sent, ended, failed;
	int err;                /* first failure */
	/* The operation in flight. */
	enum res_op op;
	http_res_cb cb;
	void *cbdata;
	int op_status;
	uv_write_t wr;
	uv_work_t work;
	int sf_fd;
	int sock_fd;
	int64_t sf_off;
	uint64_t sf_left;
	uint64_t sf_moved;      /* by the last job */
	int sf_err;
	char *chunk;            /* probe chunk when the socket was full */
	size_t chunk_len;
	void *simple_body;      /* http_res_simple's copy */
	bool end_after_op;
	bool in_defer;
	struct http_res *defer_next;
};

/* http_server.c */
void srv_conn_close(struct srv_conn *c);
void srv_read_stop(struct srv_conn *c);
void srv_linger(struct srv_conn *c);
void srv_timer_arm(struct srv_conn *c, enum srv_timer t);
void srv_defer(struct http_res *res);
void srv_res_done(struct srv_conn *c, bool close);
void srv_maybe_free(struct http_server *srv);
/* http_server_res.c */
struct http_res *srv_res_new(struct srv_conn *c);
void srv_res_run_deferred(struct http_res *res);
void srv_res_conn_gone(struct http_res *res, int err);
void srv_send_error(struct srv_conn *c, int status, const char *msg);

#endif
