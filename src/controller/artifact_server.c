/*
 * artifact_server: GET/HEAD of storage files over net/http_server (see
 * artifact_server.h). One struct as_req per request: the path check on the
 * loop, the open + fstat on the thread pool, the response head and the
 * sendfile on the loop; the descriptor is closed when the body is done.
 */
#include "controller/artifact_server.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define COMP_MAX 255

struct artifact_server {
	uv_loop_t *loop;
	struct http_server *http;
	struct storage *storage;
	bool (*ready)(void *data);
	void *ready_data;
	struct artifact_server_stats st;
	const struct ctl_metrics *metrics;
	void (*close_cb)(void *data);
	void *close_data;
};

struct as_req {
	struct artifact_server *as;
	struct http_res *res;
	uv_work_t work;
	char buf[ARTIFACT_PATH_MAX + 8];
	const char *comp[4];
	int fd;
	int err;                /* errno of the open, 0 when fd is good */
	struct stat st;
};

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes one component of n raw bytes into out; -1 when refused. */
static int
comp_decode(const char *raw, size_t n, char *out, size_t *len)
{
	size_t i, o = 0;
	int h, l;

	for (i = 0; i < n; i++) {
		char ch = raw[i];

		if (ch == '%') {
			if (i + 2 >= n)
				return -1;
			if ((h = hexval(raw[i + 1])) < 0 ||
			    (l = hexval(raw[i + 2])) < 0)
				return -1;
			ch = (char)(h << 4 | l);
			i += 2;
		}
		if (ch == '/' || ch == '\\' || ch == '\0' || o >= COMP_MAX)
			return -1;
		out[o++] = ch;
	}
	if (o == 0 || out[0] == '.')
		return -1;
	out[o] = '\0';
	*len = o;
	return 0;
}

int
artifact_path_split(const char *path, char *buf, size_t cap,
    const char *out[4])
{
	const char *p = path, *slash;
	size_t used = 0, len, n;
	int i;

	if (path[0] != '/' || strlen(path) > ARTIFACT_PATH_MAX)
		return -1;
	for (i = 0; i < 4; i++) {
		p++;                            /* the '/' */
		slash = strchr(p, '/');
		n = slash == NULL ? strlen(p) : (size_t)(slash - p);
		if ((slash == NULL) != (i == 3) || cap - used < n + 1)
			return -1;
		if (comp_decode(p, n, buf + used, &len) < 0)
			return -1;
		out[i] = buf + used;
		used += len + 1;
		p += n;
	}
	len = strlen(out[3]);
	if ((len >= 5 && strcmp(out[3] + len - 5, ".lock") == 0) ||
	    strstr(out[3], STORAGE_TEMP_MARKER) != NULL)
		return -1;
	return 0;
}

/* ---- open on the pool ---- */

static void
as_open_work(uv_work_t *w)
{
	struct as_req *r = w->data;
	int fd = r->as->storage->root_fd, next, i;

	r->fd = -1;
	for (i = 0; i < 3; i++) {
		next = openat(fd, r->comp[i], O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (i > 0)
			close(fd);
		if (next < 0) {
			r->err = errno;
			return;
		}
		fd = next;
	}
	next = openat(fd, r->comp[3], O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	r->err = next < 0 ? errno : 0;
	close(fd);
	if (next < 0)
		return;
	if (fstat(next, &r->st) != 0 || !S_ISREG(r->st.st_mode)) {
		r->err = ENOENT;
		close(next);
		return;
	}
	r->fd = next;
}

/* ---- answers ---- */

static void
as_simple(struct http_res *res, int status, const char *extra,
    const char *body)
{
	http_res_simple(res, status, "text/plain; charset=utf-8", extra, body,
	    strlen(body));
}

static void
as_req_free(struct as_req *r)
{
	if (r->fd >= 0)
		close(r->fd);
	free(r);
}

static void
as_body_done(struct http_res *res, int status, void *data)
{
	(void)status;
	as_req_free(data);
	http_res_end(res);
}

static void
etag_of(const struct stat *st, char *out, size_t cap)
{
	snprintf(out, cap, "\"%" PRIx64 "-%" PRIx64 "\"",
	    (uint64_t)st->st_mtim.tv_sec * 1000000000u +
	    (uint64_t)st->st_mtim.tv_nsec, (uint64_t)st->st_size);
}

/* Whether an If-None-Match list matches etag (weak comparison). */
static bool
etag_match(const char *list, const char *etag)
{
	const char *p = list, *q;
	size_t n = strlen(etag);

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '*')
			return true;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (strncmp(p, etag, n) == 0 && (p[n] == '\0' || p[n] == ',' ||
		    p[n] == ' ' || p[n] == '\t'))
			return true;
		if ((q = strchr(p, ',')) == NULL)
			break;
		p = q;
	}
	return false;
}

static bool
not_modified(const struct http_req *q, const char *etag, int64_t mtime)
{
	const char *inm = http_req_header(q, "If-None-Match");
	const char *ims = http_req_header(q, "If-Modified-Since");
	int64_t t;

	if (inm != NULL)
		return etag_match(inm, etag);
	return ims != NULL && http_date_parse(ims, &t) == 0 && mtime <= t;
}

/* Parses one "bytes=" range against size: 1 with [*off, *off + *len),
 * 0 when the header is to be ignored (absent, several ranges, not bytes),
 * -1 when unsatisfiable. */
static int
range_parse(const char *h, uint64_t size, uint64_t *off, uint64_t *len)
{
	unsigned long long a, b;
	char *end;

	if (h == NULL || strncmp(h, "bytes=", 6) != 0 || strchr(h, ',') !=
	    NULL)
		return 0;
	h += 6;
	if (*h == '-') {                        /* suffix: the last b bytes */
		errno = 0;
		b = strtoull(h + 1, &end, 10);
		if (errno != 0 || *end != '\0' || end == h + 1)
			return 0;
		if (b == 0 || size == 0)
			return -1;
		*len = b < size ? b : size;
		*off = size - *len;
		return 1;
	}
	if (*h < '0' || *h > '9')
		return 0;
	errno = 0;
	a = strtoull(h, &end, 10);
	if (errno != 0 || *end != '-')
		return 0;
	h = end + 1;
	b = size == 0 ? 0 : size - 1;
	if (*h != '\0') {
		if (*h < '0' || *h > '9')
			return 0;
		b = strtoull(h, &end, 10);
		if (errno != 0 || *end != '\0' || b < a)
			return 0;
	}
	if (a >= size)
		return -1;
	if (b >= size)
		b = size - 1;
	*off = a;
	*len = b - a + 1;
	return 1;
}

static const char *
content_type(const char *file)
{
	size_t n = strlen(file);

	if ((n > 7 && strcmp(file + n - 7, ".tar.gz") == 0) ||
	    (n > 4 && strcmp(file + n - 4, ".tgz") == 0))
		return "application/gzip";
	return "application/octet-stream";
}

/* If-Range: the range applies only when it names the current file. */
static bool
if_range_ok(const struct http_req *q, const char *etag, int64_t mtime)
{
	const char *h = http_req_header(q, "If-Range");
	int64_t t;

	if (h == NULL)
		return true;
	if (h[0] == '"')
		return strcmp(h, etag) == 0;
	return http_date_parse(h, &t) == 0 && t == mtime;
}

static void
as_serve_file(struct as_req *r)
{
	struct http_res *res = r->res;
	const struct http_req *q = http_res_req(res);
	uint64_t size = (uint64_t)r->st.st_size, off = 0, len = size;
	int64_t mtime = (int64_t)r->st.st_mtim.tv_sec;
	char etag[64], lm[HTTP_DATE_LEN], hdr[512], cr[96] = "";
	int status = 200, rg;

	etag_of(&r->st, etag, sizeof(etag));
	http_date_format(mtime, lm);
	if (not_modified(q, etag, mtime)) {
		snprintf(hdr, sizeof(hdr), "ETag: %s\r\nLast-Modified: %s\r\n",
		    etag, lm);
		as_req_free(r);
		http_res_start(res, 304, hdr, 0);
		http_res_end(res);
		return;
	}
	rg = if_range_ok(q, etag, mtime) ? range_parse(http_req_header(q,
	    "Range"), size, &off, &len) : 0;
	if (rg < 0) {
		snprintf(hdr, sizeof(hdr), "Content-Range: bytes */%" PRIu64
		    "\r\n", size);
		as_req_free(r);
		as_simple(res, 416, hdr, "range not satisfiable\n");
		return;
	}
	if (rg > 0) {
		status = 206;
		snprintf(cr, sizeof(cr), "Content-Range: bytes %" PRIu64 "-%"
		    PRIu64 "/%" PRIu64 "\r\n", off, off + len - 1, size);
	}
	snprintf(hdr, sizeof(hdr), "Content-Type: %s\r\nETag: %s\r\n"
	    "Last-Modified: %s\r\nAccept-Ranges: bytes\r\n%s",
	    content_type(r->comp[3]), etag, lm, cr);
	http_res_start(res, status, hdr, (int64_t)len);
	http_res_sendfile(res, r->fd, (int64_t)off, len, as_body_done, r);
}

static void
as_open_done(uv_work_t *w, int status)
{
	struct as_req *r = w->data;
	struct http_res *res = r->res;

	if (status < 0 || r->fd < 0) {
		int e = status < 0 ? EIO : r->err;

		as_req_free(r);
		if (e == ENOENT || e == ELOOP || e == ENOTDIR || e == 0)
			as_simple(res, 404, NULL, "404 page not found\n");
		else if (e == EACCES)
			as_simple(res, 403, NULL, "forbidden\n");
		else
			as_simple(res, 500, NULL, "internal error\n");
		return;
	}
	as_serve_file(r);
}

static void
as_handle(void *data, struct http_req *q, struct http_res *res)
{
	struct artifact_server *as = data;
	struct as_req *r;

	if (strcmp(q->method, "GET") != 0 && strcmp(q->method, "HEAD") != 0) {
		as_simple(res, 405, "Allow: GET, HEAD\r\n",
		    "method not allowed\n");
		return;
	}
	if (strcmp(q->path, "/") == 0) {
		if (as->ready != NULL && !as->ready(as->ready_data))
			as_simple(res, 503, NULL, "not serving\n");
		else
			as_simple(res, 200, NULL, "ok\n");
		return;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		as_simple(res, 503, NULL, "out of memory\n");
		return;
	}
	r->as = as;
	r->res = res;
	r->fd = -1;
	if (artifact_path_split(q->path, r->buf, sizeof(r->buf),
	    r->comp) < 0) {
		free(r);
		as_simple(res, 404, NULL, "404 page not found\n");
		return;
	}
	r->work.data = r;
	if (uv_queue_work(as->loop, &r->work, as_open_work, as_open_done)
	    != 0) {
		free(r);
		as_simple(res, 503, NULL, "busy\n");
	}
}

static void
as_served(void *data, const struct http_req *q, int status,
    uint64_t bytes, bool ok)
{
	struct artifact_server_stats *st = &((struct artifact_server *)
	    data)->st;
	int cls = status / 100;

	(void)q;
	(void)ok;
	st->requests++;
	st->by_class[cls >= 2 && cls <= 5 ? cls : 0]++;
	st->not_found += status == 404;
	st->not_modified += status == 304;
	st->partial += status == 206;
	st->bytes += bytes;
	ctl_metrics_served(((struct artifact_server *)data)->metrics,
	    "artifact", status, bytes);
}

int
artifact_server_start(uv_loop_t *loop, const struct artifact_server_opts *o,
    struct artifact_server **out, struct err *e)
{
	struct http_server_opts ho = o->http;
	struct artifact_server *as;

	*out = NULL;
	if ((as = calloc(1, sizeof(*as))) == NULL)
		return err_set(e, "artifact server: out of memory");
	as->loop = loop;
	as->storage = o->storage;
	as->ready = o->ready;
	as->ready_data = o->ready_data;
	as->metrics = o->metrics;
	ho.addr = o->addr;
	ho.name = "artifact server (--storage-addr)";
	if (http_server_new(loop, &ho, as_handle, as, &as->http, e) < 0) {
		free(as);
		return -1;
	}
	http_server_on_served(as->http, as_served);
	*out = as;
	return 0;
}

int
artifact_server_port(const struct artifact_server *as)
{
	return http_server_port(as->http);
}

const struct artifact_server_stats *
artifact_server_stats(const struct artifact_server *as)
{
	return &as->st;
}

static void
as_closed(struct http_server *srv, void *data)
{
	struct artifact_server *as = data;

	(void)srv;
	if (as->close_cb != NULL)
		as->close_cb(as->close_data);
	free(as);
}

void
artifact_server_close(struct artifact_server *as, uint64_t grace_ms,
    void (*cb)(void *data), void *data)
{
	as->close_cb = cb;
	as->close_data = data;
	http_server_close(as->http, grace_ms, as_closed, as);
}
