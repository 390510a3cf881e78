/*
 * http_server_res: responses of http_server (see http_server.h): the head,
 * writes, sendfile jobs on the libuv pool, the end of a response, and the
 * server's own error answers. A response belongs to its connection while
 * that lives and to the handler until http_res_end; it is freed at the end.
 */
#include "net/http_server_conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <time.h>
#include <unistd.h>

#define RES_HEADERS_MAX   8192
#define SF_JOB_MAX        (8u << 20)     /* bytes one pool job may move */
#define SF_CHUNK          (16 * 1024)    /* probe write when socket full */

const char *
http_status_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 416: return "Range Not Satisfiable";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "";
	}
}

static const char *
srv_date(struct http_server *srv)
{
	int64_t now = (int64_t)time(NULL);

	if (now != srv->date_s) {
		http_date_format(now, srv->date);
		srv->date_s = now;
	}
	return srv->date;
}

/* Copies the parser's request so the connection may parse the next one. */
struct http_res *
srv_res_new(struct srv_conn *c)
{
	const struct http_req_full *f = &c->p.req;
	struct http_res *res;

	if ((res = calloc(1, sizeof(*res))) == NULL)
		return NULL;
	if ((res->reqbuf = malloc(c->p.len)) == NULL) {
		free(res);
		return NULL;
	}
	memcpy(res->reqbuf, c->p.buf, c->p.len);
	res->req = *f;
#define REBASE(x) ((x) == NULL ? NULL : res->reqbuf + ((x) - c->p.buf))
	res->req.pub.method = REBASE(f->pub.method);
	res->req.pub.target = REBASE(f->pub.target);
	res->req.pub.path = REBASE(f->pub.path);
	res->req.pub.query = REBASE(f->pub.query);
	res->req.hdrs = REBASE(f->hdrs);
#undef REBASE
	snprintf(res->req.peer, sizeof(res->req.peer), "%s", c->peer);
	res->srv = c->srv;
	res->c = c;
	res->clen = -1;
	res->sf_fd = -1;
	c->srv->nres++;
	return res;
}

const struct http_req *
http_res_req(const struct http_res *res)
{
	return &res->req.pub;
}

bool
http_res_failed(const struct http_res *res)
{
	return res->failed || res->c == NULL;
}

int
http_res_start(struct http_res *res, int status, const char *headers,
    int64_t content_length)
{
	char cl[48] = "";
	size_t hl = headers == NULL ? 0 : strlen(headers);
	bool close;
	int n;

	if (res->started || status < 100 || status > 999 ||
	    hl > RES_HEADERS_MAX)
		return -1;
	res->started = true;
	res->status = status;
	if (status < 200 || status == 204 || status == 304)
		content_length = 0;     /* never a body, never a length */
	res->clen = content_length;
	if (content_length >= 0 && status >= 200 && status != 204 &&
	    status != 304)
		snprintf(cl, sizeof(cl), "Content-Length: %lld\r\n",
		    (long long)content_length);
	close = content_length < 0 || res->c == NULL || res->c->close_after;
	if (res->c != NULL && content_length < 0)
		res->c->close_after = true;
	n = asprintf(&res->head, "HTTP/1.1 %d %s\r\nDate: %s\r\n%s%s%s\r\n",
	    status, http_status_reason(status), srv_date(res->srv), cl,
	    close ? "Connection: close\r\n" : "", headers == NULL ? "" :
	    headers);
	if (n < 0) {
		res->head = NULL;
		res->failed = true;
		res->err = UV_ENOMEM;
		return -1;
	}
	res->head_len = (size_t)n;
	return 0;
}

static void res_finish(struct http_res *res);

/* Completes the operation in flight and tells its owner. */
static void
res_op_done(struct http_res *res, int status)
{
	http_res_cb cb = res->cb;
	void *data = res->cbdata;

	if (status < 0 && !res->failed) {
		res->failed = true;
		res->err = status;
	}
	res->op = RES_OP_NONE;
	res->cb = NULL;
	if (res->c != NULL)
		srv_timer_arm(res->c, SRV_T_NONE);
	if (cb != NULL)
		cb(res, status, data);
	else if (res->ended)
		res_finish(res);
	if (cb != NULL && res->end_after_op) {
		res->end_after_op = false;
		res_finish(res);
	}
}

/* Completes an operation later from the loop (failed or HEAD writes). */
static void
res_op_defer(struct http_res *res, enum res_op op, http_res_cb cb,
    void *data, int status)
{
	res->op = op;
	res->cb = cb;
	res->cbdata = data;
	res->op_status = status;
	srv_defer(res);
}

void
srv_res_run_deferred(struct http_res *res)
{
	if (res->op != RES_OP_NONE) {
		res_op_done(res, res->op_status);
		return;
	}
	res_finish(res);
}

static void
res_on_write(uv_write_t *w, int status)
{
	struct http_res *res = w->data;

	if (!res->head_sent) {
		res->head_sent = true;
		free(res->head);
		res->head = NULL;
	}
	res_op_done(res, status);
}

/* Writes head (if unsent) and up to one buffer. */
static int
res_uv_write(struct http_res *res, const void *buf, size_t len)
{
	uv_buf_t b[2];
	unsigned n = 0;

	if (!res->head_sent)
		b[n++] = uv_buf_init(res->head, (unsigned)res->head_len);
	if (len > 0)
		b[n++] = uv_buf_init((char *)buf, (unsigned)len);
	res->wr.data = res;
	srv_timer_arm(res->c, SRV_T_WRITE);
	return uv_write(&res->wr, (uv_stream_t *)&res->c->tcp, b, n,
	    res_on_write);
}

static int
res_check(struct http_res *res, http_res_cb cb, void *data)
{
	if (res->op != RES_OP_NONE || res->ended) {
		res_op_defer(res, RES_OP_WRITE, cb, data, UV_EBUSY);
		return -1;
	}
	if (!res->started && http_res_start(res, 200, NULL, -1) < 0) {
		res_op_defer(res, RES_OP_WRITE, cb, data, UV_ENOMEM);
		return -1;
	}
	if (http_res_failed(res)) {
		res_op_defer(res, RES_OP_WRITE, cb, data,
		    res->err != 0 ? res->err : UV_ECANCELED);
		return -1;
	}
	return 0;
}

void
http_res_write(struct http_res *res, const void *buf, size_t len,
    http_res_cb cb, void *data)
{
	int rc;

	if (res_check(res, cb, data) < 0)
		return;
	if (res->req.pub.head || len == 0) {
		res_op_defer(res, RES_OP_WRITE, cb, data, 0);
		return;
	}
	if (len > UINT32_MAX) {
		res_op_defer(res, RES_OP_WRITE, cb, data, UV_EINVAL);
		return;
	}
	res->op = RES_OP_WRITE;
	res->cb = cb;
	res->cbdata = data;
	res->sent += len;
	if ((rc = res_uv_write(res, buf, len)) != 0) {
		res->sent -= len;
		res->op = RES_OP_NONE;
		res_op_defer(res, RES_OP_WRITE, cb, data, rc);
	}
}

/* ---- sendfile: pool jobs that move bytes until the socket is full ---- */

static void
sf_work(uv_work_t *w)
{
	struct http_res *res = w->data;
	uint64_t moved = 0, want;
	ssize_t n, r;

	res->sf_err = 0;
	res->chunk_len = 0;
	while (res->sf_left - moved > 0 && moved < SF_JOB_MAX) {
		off_t off = (off_t)(res->sf_off + (int64_t)moved);

		want = res->sf_left - moved;
		if (want > SF_JOB_MAX)
			want = SF_JOB_MAX;
		n = sendfile(res->sock_fd, res->sf_fd, &off, (size_t)want);
		if (n > 0) {
			moved += (uint64_t)n;
			continue;
		}
		if (n == 0) {
			res->sf_err = UV_EIO;       /* the file got shorter */
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN) {
			res->sf_err = -errno;
			break;
		}
		if (moved > 0)
			break;
		/* Socket full: read a small chunk for libuv to write when
		 * it drains, which also tells us when to go on. */
		want = res->sf_left < SF_CHUNK ? res->sf_left : SF_CHUNK;
		r = pread(res->sf_fd, res->chunk, (size_t)want, off);
		if (r <= 0)
			res->sf_err = r == 0 ? UV_EIO : -errno;
		else
			res->chunk_len = (size_t)r;
		break;
	}
	res->sf_moved = moved;
}

static void sf_next(struct http_res *res);

static void
sf_chunk_written(uv_write_t *w, int status)
{
	struct http_res *res = w->data;

	if (status < 0 || res->c == NULL || res->c->closing) {
		res_op_done(res, status < 0 ? status : UV_ECANCELED);
		return;
	}
	res->sf_off += (int64_t)res->chunk_len;
	res->sf_left -= res->chunk_len;
	res->sent += res->chunk_len;
	res->chunk_len = 0;
	sf_next(res);
}

static void
sf_after(uv_work_t *w, int status)
{
	struct http_res *res = w->data;
	struct srv_conn *c = res->c;
	uv_buf_t b;
	int rc;

	c->work_busy = false;
	if (c->closing) {
		c->closing = false;         /* let srv_conn_close run */
		srv_conn_close(c);
		res_op_done(res, UV_ECANCELED);
		return;
	}
	if (status < 0 || res->sf_err < 0) {
		res_op_done(res, status < 0 ? status : res->sf_err);
		return;
	}
	res->sf_off += (int64_t)res->sf_moved;
	res->sf_left -= res->sf_moved;
	res->sent += res->sf_moved;
	if (res->chunk_len == 0) {
		sf_next(res);
		return;
	}
	b = uv_buf_init(res->chunk, (unsigned)res->chunk_len);
	res->wr.data = res;
	srv_timer_arm(c, SRV_T_WRITE);
	if ((rc = uv_write(&res->wr, (uv_stream_t *)&c->tcp, &b, 1,
	    sf_chunk_written)) != 0)
		res_op_done(res, rc);
}

/* Queues the next job, or completes the sendfile. */
static void
sf_next(struct http_res *res)
{
	struct srv_conn *c = res->c;
	int rc;

	if (res->sf_left == 0) {
		free(res->chunk);
		res->chunk = NULL;
		res_op_done(res, 0);
		return;
	}
	if (res->chunk == NULL && (res->chunk = malloc(SF_CHUNK)) == NULL) {
		res_op_done(res, UV_ENOMEM);
		return;
	}
	res->work.data = res;
	srv_timer_arm(c, SRV_T_WRITE);
	if ((rc = uv_queue_work(res->srv->loop, &res->work, sf_work,
	    sf_after)) != 0) {
		res_op_done(res, rc);
		return;
	}
	c->work_busy = true;
}

static void
sf_head_written(uv_write_t *w, int status)
{
	struct http_res *res = w->data;

	res->head_sent = true;
	free(res->head);
	res->head = NULL;
	if (status < 0 || res->c == NULL || res->c->closing) {
		res_op_done(res, status < 0 ? status : UV_ECANCELED);
		return;
	}
	sf_next(res);
}

void
http_res_sendfile(struct http_res *res, int fd, int64_t off, uint64_t len,
    http_res_cb cb, void *data)
{
	uv_os_fd_t sock;
	uv_buf_t b;
	int rc;

	if (res_check(res, cb, data) < 0)
		return;
	if (res->req.pub.head || len == 0) {
		res_op_defer(res, RES_OP_SENDFILE, cb, data, 0);
		return;
	}
	if (fd < 0 || off < 0 ||
	    uv_fileno((uv_handle_t *)&res->c->tcp, &sock) != 0) {
		res_op_defer(res, RES_OP_SENDFILE, cb, data, UV_EINVAL);
		return;
	}
	res->op = RES_OP_SENDFILE;
	res->cb = cb;
	res->cbdata = data;
	res->sf_fd = fd;
	res->sock_fd = sock;
	res->sf_off = off;
	res->sf_left = len;
	if (res->head_sent) {
		sf_next(res);
		return;
	}
	b = uv_buf_init(res->head, (unsigned)res->head_len);
	res->wr.data = res;
	srv_timer_arm(res->c, SRV_T_WRITE);
	if ((rc = uv_write(&res->wr, (uv_stream_t *)&res->c->tcp, &b, 1,
	    sf_head_written)) != 0)
		res_op_done(res, rc);
}

/* ---- the end ---- */

static void
res_free(struct http_res *res)
{
	free(res->head);
	free(res->chunk);
	free(res->simple_body);
	free(res->reqbuf);
	free(res);
}

static void
res_finish(struct http_res *res)
{
	struct http_server *srv = res->srv;
	struct srv_conn *c = res->c;
	bool ok, short_body;

	if (res->in_defer || res->op != RES_OP_NONE)
		return;             /* finishes when that completes */
	if (c != NULL && !res->failed && !res->head_sent) {
		res->op = RES_OP_WRITE;
		if (res_uv_write(res, NULL, 0) != 0) {
			res->op = RES_OP_NONE;
			res->failed = true;
		} else {
			return;     /* res_on_write finishes */
		}
	}
	short_body = !res->req.pub.head && res->clen >= 0 &&
	    res->sent != (uint64_t)res->clen;
	ok = !res->failed && !short_body;
	if (srv->served != NULL)
		srv->served(srv->data, &res->req.pub, res->status,
		    res->req.pub.head ? 0 : res->sent, ok);
	srv->nres--;
	res_free(res);
	if (c != NULL)
		srv_res_done(c, !ok || short_body);
	else
		srv_maybe_free(srv);
}

void
http_res_end(struct http_res *res)
{
	if (res->ended)
		return;
	res->ended = true;
	if (!res->started && http_res_start(res, 500, NULL, 0) < 0)
		res->failed = true;
	if (res->op != RES_OP_NONE) {
		res->end_after_op = true;
		return;
	}
	res_finish(res);
}

static void
simple_written(struct http_res *res, int status, void *data)
{
	(void)status;
	(void)data;
	http_res_end(res);
}

void
http_res_simple(struct http_res *res, int status, const char *content_type,
    const char *extra_headers, const void *body, size_t len)
{
	char *h = NULL;

	if (asprintf(&h, "%s%s%s%s", content_type != NULL ?
	    "Content-Type: " : "", content_type != NULL ? content_type : "",
	    content_type != NULL ? "\r\n" : "", extra_headers != NULL ?
	    extra_headers : "") < 0)
		h = NULL;
	if (h == NULL || http_res_start(res, status, h, (int64_t)len) < 0) {
		free(h);
		res->failed = true;
		http_res_end(res);
		return;
	}
	free(h);
	if (len > 0 && (res->simple_body = malloc(len)) != NULL)
		memcpy(res->simple_body, body, len);
	if (len > 0 && res->simple_body == NULL)
		res->failed = true;
	http_res_write(res, res->simple_body, len, simple_written, NULL);
}

/* The connection was freed while the handler still holds the response. */
void
srv_res_conn_gone(struct http_res *res, int err)
{
	res->c = NULL;
	if (!res->failed) {
		res->failed = true;
		res->err = err;
	}
}

/* ---- the server's own answers: write, shut down, linger, close ---- */

struct srv_errw {
	uv_write_t wr;
	uv_shutdown_t sh;
	struct srv_conn *c;
	char buf[512];
};

static void
errw_shut(uv_shutdown_t *sh, int status)
{
	struct srv_errw *w = sh->data;
	struct srv_conn *c = w->c;

	free(w);
	if (status < 0 || c->closing) {
		srv_conn_close(c);
		return;
	}
	srv_linger(c);
}

static void
errw_done(uv_write_t *wr, int status)
{
	struct srv_errw *w = wr->data;

	if (status < 0 || w->c->closing) {
		srv_conn_close(w->c);
		free(w);
		return;
	}
	w->sh.data = w;
	if (uv_shutdown(&w->sh, (uv_stream_t *)&w->c->tcp, errw_shut) != 0) {
		srv_conn_close(w->c);
		free(w);
	}
}

void
srv_send_error(struct srv_conn *c, int status, const char *msg)
{
	struct srv_errw *w;
	uv_buf_t b;
	int n;

	srv_read_stop(c);
	c->answered = true;
	free(c->pend);
	c->pend = NULL;
	c->pend_len = 0;
	if (msg == NULL)
		msg = http_status_reason(status);
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		srv_conn_close(c);
		return;
	}
	w->c = c;
	n = snprintf(w->buf, sizeof(w->buf), "HTTP/1.1 %d %s\r\nDate: %s\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\nContent-Length: %zu"
	    "\r\nConnection: close\r\n\r\n%s\n", status,
	    http_status_reason(status), srv_date(c->srv), strlen(msg) + 1,
	    msg);
	b = uv_buf_init(w->buf, (unsigned)n);
	w->wr.data = w;
	c->close_after = true;
	srv_timer_arm(c, SRV_T_WRITE);
	if (uv_write(&w->wr, (uv_stream_t *)&c->tcp, &b, 1, errw_done) != 0) {
		free(w);
		srv_conn_close(c);
	}
}
