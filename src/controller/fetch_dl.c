/*
 * fetch_dl: one download of a fetch entry (see fetch.h): GET with retries,
 * the body streamed to <seq>.part in the cache directory while it is
 * digested and counted against the size cap, then the safe extraction of
 * that file into <seq>.x on the thread pool and the rename of the tree to
 * its digest's name. Created by fetch.c for a new entry; frees itself (and
 * tells the entry) once its timer handle has closed.
 *
 * Body bytes are written with write(2) from the loop thread: the HTTP
 * client has no backpressure, so an asynchronous write would have to queue
 * every chunk in memory while the disk lags; a page-cache write of one
 * socket read (at most 64 KiB) is short and keeps memory bounded.
 */
#include "controller/fetch_int.h"
#include "controller/metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/dir_walk.h"

struct fetch_dl {
	struct fetch_entry *en;
	uv_timer_t timer;		/* backoff between attempts */
	uv_work_t work;			/* the extraction */
	struct http_request *req;	/* the attempt in flight */
	char *url;
	enum digest_algo algo;
	uint8_t want[DIGEST_RAW_MAX];
	struct digest_ctx dctx;
	bool dctx_live, aborted, fatal, extracting, ending;
	int fd;				/* <seq>.part */
	int http_status;		/* of the current attempt */
	unsigned attempt;		/* retries so far */
	uint64_t got;			/* body bytes of the current attempt */
	uint64_t retry_after_ms;
	int xrc;
	uint64_t bytes;			/* the extracted tree on disk */
	struct err err;			/* fatal, or the extraction's */
	char part[32], xdir[32];
};

size_t
fetch_dl_sizeof(void)
{
	return sizeof(struct fetch_dl);
}

static void
fetch_dl_closed(uv_handle_t *h)
{
	struct fetch_dl *dl = h->data;
	struct fetch_entry *en = dl->en;
	struct fetch_cache *c = en->c;

	free(dl);
	fetch_entry_dl_gone(en);
	fetch_cache_unpend(c);
}

/* Removes what the download left and closes its timer; the rest follows
 * in fetch_dl_closed. */
static void
fetch_dl_end(struct fetch_dl *dl)
{
	struct fetch_cache *c = dl->en->c;

	if (dl->ending)
		return;
	dl->ending = true;
	if (dl->dctx_live)
		digest_abort(&dl->dctx);
	dl->dctx_live = false;
	if (dl->fd >= 0)
		close(dl->fd);
	dl->fd = -1;
	(void)unlinkat(c->dir_fd, dl->part, 0);
	free(dl->url);
	dl->url = NULL;
	uv_timer_stop(&dl->timer);
	uv_close((uv_handle_t *)&dl->timer, fetch_dl_closed);
}

static void
fetch_dl_fail(struct fetch_dl *dl, const struct err *e)
{
	fetch_entry_done(dl->en, NULL, 0, e);
	fetch_dl_end(dl);
}

void
fetch_dl_abort(struct fetch_dl *dl)
{
	if (dl->ending || dl->aborted)
		return;
	dl->aborted = true;
	if (dl->req != NULL)
		http_request_cancel(dl->req);	/* on_done ends it */
	else if (!dl->extracting)
		fetch_dl_end(dl);		/* waiting for a retry */
	/* extracting: the after-work callback ends it */
}

/* ---- the HTTP attempt ---- */

static uint64_t
fetch_retry_after_ms(const struct http_response *resp, uint64_t max_ms)
{
	const char *v = http_response_header(resp, "Retry-After");
	char *end;
	unsigned long long s;

	if (v == NULL)
		return 0;
	errno = 0;
	s = strtoull(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0')
		return 0;		/* an HTTP date: use the backoff */
	return s > max_ms / 1000 ? max_ms : s * 1000;
}

static int
fetch_on_headers(struct http_request *req, const struct http_response *resp,
    struct err *e)
{
	struct fetch_dl *dl = http_request_data(req);
	uint64_t max = dl->en->c->o.max_download;

	dl->http_status = resp->status;
	if (resp->status != 200) {
		if (resp->status == 429 || resp->status == 503)
			dl->retry_after_ms = fetch_retry_after_ms(resp,
			    dl->en->c->o.backoff_max_ms);
		return err_set(e, "status %d", resp->status);
	}
	if (resp->content_length > 0 && (uint64_t)resp->content_length > max) {
		dl->fatal = true;
		err_set(&dl->err, "artifact from %s is %" PRId64 " bytes, more "
		    "than the max download size of %" PRIu64 " bytes", dl->url,
		    resp->content_length, max);
		return err_set(e, "%s", dl->err.msg);
	}
	return 0;
}

static int
fetch_on_body(struct http_request *req, const char *p, size_t len,
    struct err *e)
{
	struct fetch_dl *dl = http_request_data(req);
	struct fetch_cache *c = dl->en->c;
	ssize_t n;

	if (len > c->o.max_download - dl->got) {
		dl->fatal = true;
		err_set(&dl->err, "artifact from %s exceeds the max download "
		    "size of %" PRIu64 " bytes", dl->url, c->o.max_download);
		return err_set(e, "%s", dl->err.msg);
	}
	dl->got += len;
	digest_update(&dl->dctx, p, len);
	while (len > 0) {
		n = write(dl->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			dl->fatal = true;
			err_sys(&dl->err, errno, "write '%s/%s'", c->path,
			    dl->part);
			return err_set(e, "%s", dl->err.msg);
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void fetch_on_done(struct http_request *req, int status,
    const struct http_response *resp, const struct err *e);

/* One attempt: the temp file emptied, the digest restarted, a GET. */
static int
fetch_dl_request(struct fetch_dl *dl, struct err *e)
{
	struct fetch_cache *c = dl->en->c;
	struct http_request_opts o = {
		.url = dl->url, .tls = c->o.tls, .on_headers = fetch_on_headers,
		.on_body = fetch_on_body, .on_done = fetch_on_done, .data = dl,
	};

	if (ftruncate(dl->fd, 0) != 0 || lseek(dl->fd, 0, SEEK_SET) != 0)
		return err_sys(e, errno, "truncate '%s/%s'", c->path, dl->part);
	if (dl->dctx_live)
		digest_abort(&dl->dctx);
	dl->dctx_live = false;
	if (digest_init(&dl->dctx, dl->algo, e) != 0)
		return -1;
	dl->dctx_live = true;
	dl->got = 0;
	dl->http_status = 0;
	dl->retry_after_ms = 0;
	return http_client_request(c->o.http, &o, &dl->req, e);
}

static bool
fetch_retryable(int status, int http_status)
{
	if (http_status != 0 && http_status != 200)
		return http_status == 429 ||
		    (http_status >= 500 && http_status != 501);
	switch (status) {
	case HTTP_EDNS: case HTTP_ECONNREFUSED: case HTTP_ECONNECT:
	case HTTP_ERESET: case HTTP_ETIMEDOUT: case HTTP_ETLS:
	case HTTP_EPROTO:
		return true;
	default:
		return false;
	}
}

/* retryablehttp's DefaultBackoff: min * 2^attempt, at most max. */
static uint64_t
fetch_backoff_ms(const struct fetch_dl *dl)
{
	const struct fetch_cache_opts *o = &dl->en->c->o;
	uint64_t d = o->backoff_min_ms;

	if (dl->retry_after_ms > 0)
		return dl->retry_after_ms;
	for (unsigned i = 0; i < dl->attempt && d < o->backoff_max_ms; i++)
		d *= 2;
	return d < o->backoff_max_ms ? d : o->backoff_max_ms;
}

static void
fetch_retry_cb(uv_timer_t *t)
{
	struct fetch_dl *dl = t->data;
	struct err e;

	if (dl->aborted) {
		fetch_dl_end(dl);
		return;
	}
	dl->attempt++;
	if (fetch_dl_request(dl, &e) != 0)
		fetch_dl_fail(dl, &e);
}

/* The attempt failed: another one later, or the entry fails. */
static void
fetch_dl_retry_or_fail(struct fetch_dl *dl, int status, const struct err *e)
{
	unsigned retries = (unsigned)dl->en->c->o.retries;
	struct err f;

	if (dl->http_status != 0 && dl->http_status != 200)
		err_set(&f, "failed to download artifact from %s (status: %d)",
		    dl->url, dl->http_status);
	else
		f = *e;
	if (fetch_retryable(status, dl->http_status) &&
	    dl->attempt < retries) {
		uv_timer_start(&dl->timer, fetch_retry_cb,
		    fetch_backoff_ms(dl), 0);
		return;
	}
	if (dl->attempt > 0) {
		size_t n = strlen(f.msg);

		snprintf(f.msg + n, sizeof(f.msg) - n, " (giving up after %u "
		    "attempts)", dl->attempt + 1);
	}
	fetch_dl_fail(dl, &f);
}

static void fetch_dl_extract(struct fetch_dl *dl);

/* 0 when the bytes have the digest the source published. */
static int
fetch_dl_verify(struct fetch_dl *dl, struct err *e)
{
	char want[DIGEST_STRING_MAX], got[DIGEST_STRING_MAX];
	uint8_t raw[DIGEST_RAW_MAX];

	digest_final(&dl->dctx, raw);
	dl->dctx_live = false;
	if (memcmp(raw, dl->want, digest_algo_size(dl->algo)) == 0)
		return 0;
	digest_format(dl->algo, dl->want, want);
	digest_format(dl->algo, raw, got);
	return err_set(e, "artifact from %s has digest %s, expected %s",
	    dl->url, got, want);
}

static void
fetch_on_done(struct http_request *req, int status,
    const struct http_response *resp, const struct err *e)
{
	struct fetch_dl *dl = http_request_data(req);
	struct err v;

	(void)resp;
	dl->req = NULL;
	if (dl->aborted) {
		fetch_dl_end(dl);
	} else if (dl->fatal) {
		fetch_dl_fail(dl, &dl->err);
	} else if (status != 0 || dl->http_status != 200) {
		fetch_dl_retry_or_fail(dl, status, e);
	} else if (fetch_dl_verify(dl, &v) != 0) {
		fetch_dl_fail(dl, &v);
	} else {
		fetch_dl_extract(dl);
	}
}

/* ---- extraction on the thread pool ---- */

static int
fetch_tree_bytes_visit(void *ctx, const struct dir_walk_entry *ent,
    struct err *e)
{
	uint64_t *sum = ctx;

	(void)e;
	*sum += (uint64_t)ent->st->st_blocks * 512;
	return 0;
}

/* Pool: the disk use of the tree name (in dir_fd), for the idle budget. */
static int
fetch_tree_bytes(int dir_fd, const char *name, uint64_t *out, struct err *e)
{
	struct dir_walk_opts o = { .visit = fetch_tree_bytes_visit,
	    .ctx = out };
	int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	int rc;

	*out = 0;
	if (fd < 0)
		return err_sys(e, errno, "open the extracted tree '%s'", name);
	rc = dir_walk(fd, &o, e);
	close(fd);
	return rc;
}

static void
fetch_extract_work(uv_work_t *w)
{
	struct fetch_dl *dl = w->data;
	struct fetch_cache *c = dl->en->c;
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", c->path, dl->xdir);
	dl->xrc = targz_extract_fd(dl->fd, path, &c->o.untar, &dl->err);
	if (dl->xrc == 0)
		dl->xrc = fetch_tree_bytes(c->dir_fd, dl->xdir, &dl->bytes,
		    &dl->err);
}

/* The tree under its digest's name ("sha256:ab.." -> "sha256-ab.."). */
static void
fetch_final_name(const struct fetch_entry *en, char name[DIGEST_STRING_MAX])
{
	snprintf(name, DIGEST_STRING_MAX, "%s", en->key);
	name[strcspn(name, ":")] = '-';
}

static void
fetch_extract_done(uv_work_t *w, int status)
{
	struct fetch_dl *dl = w->data;
	struct fetch_cache *c = dl->en->c;
	char name[DIGEST_STRING_MAX], *dir = NULL;
	struct err e;

	dl->extracting = false;
	if (dl->aborted) {
		fetch_cache_trash(c, dl->xdir);
		fetch_dl_end(dl);
		return;
	}
	if (status != 0 || dl->xrc != 0) {
		err_set(&e, "extract the artifact from %s: %s", dl->url,
		    status != 0 ? uv_strerror(status) : dl->err.msg);
		fetch_cache_trash(c, dl->xdir);
		fetch_dl_fail(dl, &e);
		return;
	}
	fetch_final_name(dl->en, name);
	if (renameat(c->dir_fd, dl->xdir, c->dir_fd, name) != 0) {
		err_sys(&e, errno, "rename '%s/%s' to '%s'", c->path, dl->xdir,
		    name);
		fetch_cache_trash(c, dl->xdir);
		fetch_dl_fail(dl, &e);
		return;
	}
	if (asprintf(&dir, "%s/%s", c->path, name) < 0)
		dir = NULL;
	if (c->o.metrics != NULL)
		metric_add(c->o.metrics->download_bytes, (double)dl->got);
	fetch_entry_done(dl->en, dir, dl->bytes, NULL);	/* NULL: OOM */
	free(dir);
	fetch_dl_end(dl);
}

static void
fetch_dl_extract(struct fetch_dl *dl)
{
	struct fetch_cache *c = dl->en->c;
	struct err e;
	int rc;

	if (mkdirat(c->dir_fd, dl->xdir, 0750) != 0) {
		err_sys(&e, errno, "create '%s/%s'", c->path, dl->xdir);
		fetch_dl_fail(dl, &e);
		return;
	}
	if (lseek(dl->fd, 0, SEEK_SET) != 0) {
		err_sys(&e, errno, "rewind '%s/%s'", c->path, dl->part);
		fetch_cache_trash(c, dl->xdir);
		fetch_dl_fail(dl, &e);
		return;
	}
	dl->en->state = FETCH_EXTRACTING;
	dl->extracting = true;
	dl->work.data = dl;
	rc = uv_queue_work(c->loop, &dl->work, fetch_extract_work,
	    fetch_extract_done);
	if (rc != 0) {
		dl->extracting = false;
		err_set(&e, "extract the artifact from %s: %s", dl->url,
		    uv_strerror(rc));
		fetch_cache_trash(c, dl->xdir);
		fetch_dl_fail(dl, &e);
	}
}

int
fetch_dl_start(struct fetch_entry *en, const char *url, enum digest_algo algo,
    const uint8_t *want, struct err *e)
{
	struct fetch_cache *c = en->c;
	struct fetch_dl *dl = calloc(1, sizeof(*dl));
	unsigned long long seq = ++c->seq;

	if (dl == NULL || (dl->url = strdup(url)) == NULL) {
		free(dl);
		return err_set(e, "out of memory");
	}
	dl->en = en;
	dl->algo = algo;
	memcpy(dl->want, want, digest_algo_size(algo));
	snprintf(dl->part, sizeof(dl->part), "%llu.part", seq);
	snprintf(dl->xdir, sizeof(dl->xdir), "%llu.x", seq);
	dl->fd = openat(c->dir_fd, dl->part, O_RDWR | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (dl->fd < 0) {
		err_sys(e, errno, "create '%s/%s'", c->path, dl->part);
		goto fail;
	}
	if (fetch_dl_request(dl, e) != 0)
		goto fail;
	uv_timer_init(c->loop, &dl->timer);
	dl->timer.data = dl;
	en->dl = dl;
	c->pending++;
	return 0;
fail:
	if (dl->dctx_live)
		digest_abort(&dl->dctx);
	if (dl->fd >= 0) {
		close(dl->fd);
		(void)unlinkat(c->dir_fd, dl->part, 0);
	}
	free(dl->url);
	free(dl);
	return -1;
}
