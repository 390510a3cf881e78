/*
 * Unit tests for src/controller/fetch.c and fetch_dl.c on a real uv loop
 * with the scripted loopback server (tsrv): a source tarball is fetched,
 * verified and extracted under <storage>/.fetch; fifty requesters of one
 * digest cost one GET; a digest mismatch, an oversize tarball and a 404 fail
 * with messages naming the source, the URL and the digests or status; 500s
 * and a server that is down at first are retried with backoff;
 * SOURCE_CONTROLLER_LOCALHOST replaces the URL's host:port; a cancelled
 * requester's callback never runs and the last cancel aborts the download;
 * the last release removes the tree, or keeps it idle for the next
 * requester of its digest (no second GET) until its TTL, a newer digest of
 * its source or the byte budget says otherwise. Every test is bounded by a watchdog,
 * ends with every handle closed (uv_loop_close == 0) and ASan checks that
 * everything was freed.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <uv.h>

#include "archive/tar.h"
#include "base/digest.h"
#include "controller/fetch.h"
#include "tsrv.h"

#define WATCHDOG_MS 10000
#define MAX_REQS 64

struct got {
	int calls;
	int status;
	char dir[1024];
	char err[ERR_MSG_MAX];
	struct fetch_req *req;
};

struct fx {
	uv_loop_t loop;
	uv_timer_t watchdog;
	int expired;
	char *root;
	struct storage storage;
	struct http_client *http;
	struct fetch_cache *cache;
	struct tsrv srv;
	int srv_up;
	char *tgz;			/* tarball bytes */
	size_t tgz_len;
	char digest[DIGEST_STRING_MAX];
	char url[256];
	struct tsrv_resp ok;		/* 200 with the tarball */
	size_t ok_len;
	struct got got[MAX_REQS];
};

static void
watchdog_cb(uv_timer_t *t)
{
	((struct fx *)t->data)->expired = 1;
}

/* A tarball with x.txt and sub/y.txt; its bytes and digest. */
static void
fx_tarball(struct fx *f)
{
	char *src = tu_path(f->root, "tree"), *out = tu_path(f->root, "a.tgz");
	struct tar_write_result res;
	struct err e;

	tu_write_str(src, "x.txt", "hello\n");
	tu_write_str(src, "sub/y.txt", "world\n");
	if (tar_write_dir(src, out, &(struct tar_write_opts){
	    .algo = DIGEST_SHA256 }, &res, &e) != 0)
		fail_msg("%s", e.msg);
	snprintf(f->digest, sizeof(f->digest), "%s", res.digest);
	f->tgz = tu_read(out, &f->tgz_len);
	free(src);
	free(out);
}

static void
fx_cache(struct fx *f, const struct fetch_cache_opts *extra)
{
	struct fetch_cache_opts o = { .http = f->http,
	    .storage = &f->storage, .retries = 3, .backoff_min_ms = 10,
	    .backoff_max_ms = 40, .localhost = "" };
	struct err e;

	if (extra != NULL) {
		o.max_download = extra->max_download;
		o.retries = extra->retries;
		o.localhost = extra->localhost;
		o.idle_max = extra->idle_max;
		o.idle_max_bytes = extra->idle_max_bytes;
		o.idle_ttl_ms = extra->idle_ttl_ms;
	}
	if (fetch_cache_new(&f->cache, &f->loop, &o, &e) != 0)
		fail_msg("%s", e.msg);
}

/* Starts the server (f->url points at it); lens as tsrv_start_port's. */
static void
fx_listen(struct fx *f, const struct tsrv_resp *script, const size_t *lens,
    size_t n)
{
	tsrv_start_port(&f->srv, &f->loop, 0, script, lens, n);
	f->srv_up = 1;
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d/a.tar.gz",
	    f->srv.port);
}

static void
fx_setup(struct fx *f, const struct tsrv_resp *script, size_t n)
{
	struct err e;

	memset(f, 0, sizeof(*f));
	assert_int_equal(uv_loop_init(&f->loop), 0);
	uv_timer_init(&f->loop, &f->watchdog);
	f->watchdog.data = f;
	uv_timer_start(&f->watchdog, watchdog_cb, WATCHDOG_MS, 0);
	f->root = tu_mkdtemp();
	if (storage_init(&f->storage, f->root, "h", &e) != 0 ||
	    http_client_new(&f->http, &f->loop, NULL, &e) != 0)
		fail_msg("%s", e.msg);
	fx_tarball(f);
	f->ok = (struct tsrv_resp){ .code = 200, .body = f->tgz };
	f->ok_len = f->tgz_len;
	if (script != NULL)
		fx_listen(f, script, NULL, n);
}

/* A fixture whose server answers once with the tarball. */
static void
fx_setup_ok(struct fx *f)
{
	fx_setup(f, NULL, 0);
	fx_listen(f, &f->ok, &f->ok_len, 1);
}

static void
fx_teardown(struct fx *f)
{
	fetch_cache_destroy(f->cache);
	http_client_destroy(f->http);
	if (f->srv_up)
		tsrv_close(&f->srv);
	uv_close((uv_handle_t *)&f->watchdog, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	storage_free(&f->storage);
	free(f->tgz);
	tu_rmtree(f->root);
}

static void
on_fetch(struct fetch_req *req, int status, const char *dir,
    const struct err *e, void *data)
{
	struct got *g = data;

	g->calls++;
	g->status = status;
	g->req = status == 0 ? req : NULL;
	snprintf(g->dir, sizeof(g->dir), "%s", dir != NULL ? dir : "");
	snprintf(g->err, sizeof(g->err), "%s", e != NULL ? e->msg : "");
}

static struct fetch_req *
fx_start(struct fx *f, int i, const char *digest)
{
	struct fetch_source src = { "GitRepository/ns/app", f->url,
	    digest != NULL ? digest : f->digest };
	struct fetch_req *r;
	struct err e;

	if (fetch_req_start(f->cache, &src, on_fetch, &f->got[i], &r, &e) != 0)
		fail_msg("%s", e.msg);
	return r;
}

/* Runs the loop until got[0..n) were all called (or the watchdog). */
static void
fx_wait(struct fx *f, int n)
{
	for (;;) {
		int done = 0;

		for (int i = 0; i < n; i++)
			done += f->got[i].calls > 0;
		if (done == n)
			return;
		if (f->expired)
			fail_msg("watchdog: %d of %d callbacks", done, n);
		uv_run(&f->loop, UV_RUN_ONCE);
	}
}

static void
nop_cb(uv_timer_t *t)
{
	(void)t;
}

/* Runs the loop for ms milliseconds. */
static void
fx_spin(struct fx *f, uint64_t ms)
{
	uint64_t end = uv_now(&f->loop) + ms;
	uv_timer_t t;

	uv_timer_init(&f->loop, &t);
	uv_timer_start(&t, nop_cb, ms, 0);
	while (uv_now(&f->loop) < end && !f->expired)
		uv_run(&f->loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(&f->loop, UV_RUN_NOWAIT);
}

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static int
fetch_dir_entries(const struct fx *f)
{
	int status, n;
	char *out = tu_run(&status, "ls -A '%s/.fetch' | wc -l", f->root);

	n = atoi(out);
	free(out);
	return n;
}

static void
test_fetch_extracts_and_release_removes(void **state)
{
	char *x, *path;
	struct fx f;

	(void)state;
	fx_setup_ok(&f);
	fx_cache(&f, NULL);
	fx_start(&f, 0, NULL);
	assert_int_equal(f.got[0].calls, 0);	/* never from inside start */
	fx_wait(&f, 1);
	assert_int_equal(f.got[0].status, 0);
	assert_non_null(strstr(f.got[0].dir, "/.fetch/sha256-"));
	path = tu_path(f.got[0].dir, "sub/y.txt");
	x = tu_read(path, NULL);
	assert_string_equal(x, "world\n");
	free(x);
	free(path);
	assert_int_equal(f.srv.nreq, 1);
	assert_string_equal(f.srv.reqs[0].line, "GET /a.tar.gz");
	assert_int_equal(fetch_dir_entries(&f), 1);	/* no temp file left */
	fetch_req_release(f.got[0].req);
	assert_int_equal(fetch_cache_len(f.cache), 0);
	fx_spin(&f, 50);
	assert_false(exists(f.got[0].dir));
	assert_int_equal(fetch_dir_entries(&f), 0);
	fx_teardown(&f);
}

/* A second wave of requesters arrives while the first download runs. */
struct wave {
	struct fx *f;
	int from, to;
};

static void
wave_cb(uv_timer_t *t)
{
	struct wave *w = t->data;

	for (int i = w->from; i < w->to; i++)
		fx_start(w->f, i, NULL);
	uv_close((uv_handle_t *)t, NULL);
}

static void
test_fifty_requesters_one_get(void **state)
{
	struct wave w;
	uv_timer_t t;
	struct fx f;
	char *dir;

	(void)state;
	fx_setup_ok(&f);
	fx_cache(&f, NULL);
	for (int i = 0; i < 25; i++)
		fx_start(&f, i, NULL);
	w = (struct wave){ &f, 25, 50 };
	uv_timer_init(&f.loop, &t);
	t.data = &w;
	uv_timer_start(&t, wave_cb, 1, 0);
	fx_wait(&f, 50);
	assert_int_equal(f.srv.nreq, 1);
	for (int i = 0; i < 50; i++) {
		assert_int_equal(f.got[i].calls, 1);
		assert_int_equal(f.got[i].status, 0);
		assert_string_equal(f.got[i].dir, f.got[0].dir);
	}
	dir = strdup(f.got[0].dir);
	for (int i = 0; i < 49; i++)
		fetch_req_release(f.got[i].req);
	assert_true(exists(dir));		/* one holder left */
	fetch_req_release(f.got[49].req);
	fx_spin(&f, 50);
	assert_false(exists(dir));
	free(dir);
	fx_teardown(&f);
}

static void
test_digest_mismatch_names_source_and_digests(void **state)
{
	char wrong[DIGEST_STRING_MAX] = "sha256:";
	struct fx f;

	(void)state;
	fx_setup_ok(&f);
	memset(wrong + 7, 'a', 64);
	fx_cache(&f, NULL);
	fx_start(&f, 0, wrong);
	fx_wait(&f, 1);
	assert_int_equal(f.got[0].status, -1);
	assert_non_null(strstr(f.got[0].err, "source 'GitRepository/ns/app'"));
	assert_non_null(strstr(f.got[0].err, wrong));
	assert_non_null(strstr(f.got[0].err, f.digest));
	assert_non_null(strstr(f.got[0].err, f.url));
	assert_int_equal(f.srv.nreq, 1);	/* not retried */
	assert_int_equal(fetch_cache_len(f.cache), 0);
	fx_spin(&f, 20);
	assert_int_equal(fetch_dir_entries(&f), 0);
	fx_teardown(&f);
}

static void
test_oversize_fails(void **state)
{
	struct fx f;

	(void)state;
	fx_setup_ok(&f);
	fx_cache(&f, &(struct fetch_cache_opts){ .max_download = 64,
	    .retries = 3, .localhost = "" });
	fx_start(&f, 0, NULL);
	fx_wait(&f, 1);
	assert_int_equal(f.got[0].status, -1);
	assert_non_null(strstr(f.got[0].err, "max download size of 64 bytes"));
	assert_int_equal(f.srv.nreq, 1);
	fx_spin(&f, 20);
	assert_int_equal(fetch_dir_entries(&f), 0);
	fx_teardown(&f);
}

static void
test_404_fails_at_once(void **state)
{
	const struct tsrv_resp script[] = { { .code = 404, .body = "" } };
	char want[512];
	struct fx f;

	(void)state;
	fx_setup(&f, script, 1);
	fx_cache(&f, NULL);
	fx_start(&f, 0, NULL);
	fx_wait(&f, 1);
	assert_int_equal(f.got[0].status, -1);
	snprintf(want, sizeof(want), "source 'GitRepository/ns/app': failed to "
	    "download artifact from %s (status: 404)", f.url);
	assert_string_equal(f.got[0].err, want);
	assert_int_equal(f.srv.nreq, 1);
	fx_teardown(&f);
}

static void
test_500_retried_then_success(void **state)
{
	struct tsrv_resp script[3] = { { .code = 500, .body = "" },
	    { .code = 503, .body = "" }, { .code = 200 } };
	size_t lens[3] = { 0 };
	struct fx f;

	(void)state;
	fx_setup(&f, NULL, 0);
	lens[2] = f.tgz_len;
	script[2] = f.ok;
	fx_listen(&f, script, lens, 3);
	fx_cache(&f, NULL);
	fx_start(&f, 0, NULL);
	fx_wait(&f, 1);
	assert_int_equal(f.got[0].status, 0);
	assert_int_equal(f.srv.nreq, 3);
	/* backoff 10 ms then 20 ms */
	assert_true(f.srv.reqs[1].at_ms - f.srv.reqs[0].at_ms >= 9);
	assert_true(f.srv.reqs[2].at_ms - f.srv.reqs[1].at_ms >= 19);
	fetch_req_release(f.got[0].req);
	fx_teardown(&f);
}

static void
test_500_gives_up_after_retries(void **state)
{
	const struct tsrv_resp script[] = { { .code = 500, .body = "" },
	    { .code = 500, .body = "" }, { .code = 500, .body = "" },
	    { .code = 500, .body = "" } };
	struct fx f;

	(void)state;
	fx_setup(&f, script, 4);
	fx_cache(&f, NULL);			/* 3 retries */
	fx_start(&f, 0, NULL);
	fx_wait(&f, 1);
	assert_int_equal(f.got[0].status, -1);
	assert_non_null(strstr(f.got[0].err, "(status: 500)"));
	assert_non_null(strstr(f.got[0].err, "giving up after 4 attempts"));
	assert_int_equal(f.srv.nreq, 4);
	fx_teardown(&f);
}

struct late_srv {
	struct fx *f;
	int port;
	struct tsrv_resp ok;
};

static void
late_srv_cb(uv_timer_t *t)
{
	struct late_srv *ls = t->data;

	tsrv_start_port(&ls->f->srv, &ls->f->loop, ls->port, &ls->ok,
	    &ls->f->ok_len, 1);
	ls->f->srv_up = 1;
	uv_close((uv_handle_t *)t, NULL);
}

static void
test_server_down_then_up(void **state)
{
	struct late_srv ls;
	uv_timer_t t;
	struct fx f;

	(void)state;
	fx_setup(&f, NULL, 0);
	/* a free port, closed again: connections are refused */
	tsrv_start(&f.srv, &f.loop, NULL, 0);
	ls = (struct late_srv){ &f, f.srv.port, f.ok };
	tsrv_close(&f.srv);
	uv_run(&f.loop, UV_RUN_NOWAIT);
	snprintf(f.url, sizeof(f.url), "http://127.0.0.1:%d/a.tar.gz", ls.port);
	fx_cache(&f, &(struct fetch_cache_opts){ .retries = 9,
	    .localhost = "" });
	fx_start(&f, 0, NULL);
	uv_timer_init(&f.loop, &t);
	t.data = &ls;
	uv_timer_start(&t, late_srv_cb, 25, 0);
	fx_wait(&f, 1);
	assert_int_equal(f.got[0].status, 0);
	assert_int_equal(f.srv.nreq, 1);
	fetch_req_release(f.got[0].req);
	fx_teardown(&f);
}

static void
test_localhost_env_rewrites_host_port(void **state)
{
	char host[64];
	struct fx f;

	(void)state;
	fx_setup_ok(&f);
	snprintf(f.url, sizeof(f.url), "http://source-controller.flux-system"
	    ".svc.cluster.local.:80/gitrepository/ns/app/abc.tar.gz?x=1");
	snprintf(host, sizeof(host), "127.0.0.1:%d", f.srv.port);
	setenv("SOURCE_CONTROLLER_LOCALHOST", host, 1);
	fx_cache(&f, &(struct fetch_cache_opts){ .retries = 0 });
	unsetenv("SOURCE_CONTROLLER_LOCALHOST");
	fx_start(&f, 0, NULL);
	fx_wait(&f, 1);
	assert_int_equal(f.got[0].status, 0);
	assert_string_equal(f.srv.reqs[0].line,
	    "GET /gitrepository/ns/app/abc.tar.gz?x=1");
	assert_non_null(strstr(f.srv.reqs[0].headers, host));	/* Host */
	fetch_req_release(f.got[0].req);
	fx_teardown(&f);
}

static void
test_url_rewrite(void **state)
{
	struct err e;
	char *u;

	(void)state;
	u = fetch_url_rewrite("http://a.b:9090/p/q.tgz", "localhost:8080", &e);
	assert_string_equal(u, "http://localhost:8080/p/q.tgz");
	free(u);
	u = fetch_url_rewrite("https://u:p@h/x?y#z", "l", &e);
	assert_string_equal(u, "https://u:p@l/x?y#z");
	free(u);
	u = fetch_url_rewrite("http://h", "l:1", &e);
	assert_string_equal(u, "http://l:1");
	free(u);
	assert_null(fetch_url_rewrite("h/x", "l", &e));
	assert_non_null(strstr(e.msg, "'h/x'"));
}

static void
test_cancel_one_of_two(void **state)
{
	struct fetch_req *r0;
	struct fx f;

	(void)state;
	fx_setup_ok(&f);
	fx_cache(&f, NULL);
	r0 = fx_start(&f, 0, NULL);
	fx_start(&f, 1, NULL);
	fetch_req_cancel(r0);
	while (f.got[1].calls == 0 && !f.expired)
		uv_run(&f.loop, UV_RUN_ONCE);
	assert_int_equal(f.got[0].calls, 0);
	assert_int_equal(f.got[1].calls, 1);
	assert_int_equal(f.got[1].status, 0);
	fetch_req_release(f.got[1].req);
	fx_teardown(&f);
}

static void
test_last_cancel_aborts_download(void **state)
{
	const struct tsrv_resp script[] = { { .code = 200, .hold = 1 } };
	struct fetch_req *r0, *r1;
	struct fx f;

	(void)state;
	fx_setup(&f, script, 1);
	fx_cache(&f, NULL);
	r0 = fx_start(&f, 0, NULL);
	r1 = fx_start(&f, 1, NULL);
	while (f.srv.nreq == 0 && !f.expired)
		uv_run(&f.loop, UV_RUN_ONCE);
	fetch_req_cancel(r0);
	fetch_req_cancel(r1);
	assert_int_equal(fetch_cache_len(f.cache), 0);
	fx_spin(&f, 30);
	assert_int_equal(f.got[0].calls + f.got[1].calls, 0);
	assert_int_equal(fetch_dir_entries(&f), 0);	/* .part removed */
	assert_int_equal(http_client_conn_count(f.http), 0);
	fx_teardown(&f);
}

static void
test_bad_digest_rejected_at_start(void **state)
{
	struct fetch_source src = { "GitRepository/ns/app", "http://h/x", "" };
	struct err e;
	struct fx f;

	(void)state;
	fx_setup(&f, NULL, 0);
	fx_cache(&f, NULL);
	assert_int_equal(fetch_req_start(f.cache, &src, on_fetch, &f.got[0],
	    NULL, &e), -1);
	assert_string_equal(e.msg, "source 'GitRepository/ns/app': the "
	    "artifact has an empty digest");
	src.digest = "md5:abc";
	assert_int_equal(fetch_req_start(f.cache, &src, on_fetch, &f.got[0],
	    NULL, &e), -1);
	assert_non_null(strstr(e.msg, "source 'GitRepository/ns/app': the "
	    "artifact's digest"));
	fx_teardown(&f);
}

static void
test_corrupt_tarball_fails_extraction(void **state)
{
	const char body[] = "not a tarball at all";
	struct tsrv_resp bad = { .code = 200, .body = body };
	char *path, dg[DIGEST_STRING_MAX];
	struct err e;
	struct fx f;

	(void)state;
	fx_setup(&f, &bad, 1);
	tu_write_str(f.root, "bad", body);
	path = tu_path(f.root, "bad");
	if (digest_file(path, DIGEST_SHA256, dg, &e) != 0)
		fail_msg("%s", e.msg);
	free(path);
	fx_cache(&f, NULL);
	fx_start(&f, 0, dg);
	fx_wait(&f, 1);
	assert_int_equal(f.got[0].status, -1);
	assert_non_null(strstr(f.got[0].err, "extract the artifact from"));
	fx_spin(&f, 30);
	assert_int_equal(fetch_dir_entries(&f), 0);
	fx_teardown(&f);
}

/* Destroy with one request waiting and one holding a tree: no callback
 * runs, the held one is released as usual, every handle closes. */
static void
test_destroy_with_requests(void **state)
{
	const struct tsrv_resp script[] = { { .code = 200, .hold = 1 } };
	struct tsrv other;
	struct fx f;
	char url[256];

	(void)state;
	fx_setup(&f, script, 1);
	tsrv_start_port(&other, &f.loop, 0, &f.ok, &f.ok_len, 1);
	snprintf(url, sizeof(url), "%s", f.url);
	snprintf(f.url, sizeof(f.url), "http://127.0.0.1:%d/a.tar.gz",
	    other.port);
	fx_cache(&f, NULL);
	fx_start(&f, 0, NULL);
	fx_wait(&f, 1);
	assert_int_equal(f.got[0].status, 0);
	snprintf(f.url, sizeof(f.url), "%s", url);
	fx_start(&f, 1, "sha256:0000000000000000000000000000000000000000000000"
	    "000000000000000000");
	while (f.srv.nreq == 0 && !f.expired)
		uv_run(&f.loop, UV_RUN_ONCE);
	fetch_cache_destroy(f.cache);
	f.cache = NULL;
	fetch_req_release(f.got[0].req);	/* inert, freed */
	tsrv_close(&other);
	fx_spin(&f, 20);
	assert_int_equal(f.got[1].calls, 0);
	fx_teardown(&f);
}

static struct fetch_cache_opts
idle_opts(size_t max, uint64_t bytes, uint64_t ttl_ms)
{
	return (struct fetch_cache_opts){ .retries = 3, .localhost = "",
	    .idle_max = max, .idle_max_bytes = bytes, .idle_ttl_ms = ttl_ms };
}

/* With an ok server and a cache of opts o: one fetch, released; returns
 * the tree's path (the caller frees it). */
static char *
fx_fetch_released(struct fx *f, const struct fetch_cache_opts *o)
{
	char *dir;

	fx_setup_ok(f);
	fx_cache(f, o);
	fx_start(f, 0, NULL);
	fx_wait(f, 1);
	assert_int_equal(f->got[0].status, 0);
	dir = strdup(f->got[0].dir);
	fetch_req_release(f->got[0].req);
	return dir;
}

/* Released trees stay for the next requester: no second download; the
 * TTL removes them. */
static void
test_idle_tree_reused_then_expires(void **state)
{
	struct fetch_cache_opts o = idle_opts(4, 0, 200);
	struct fx f;
	char *dir;

	(void)state;
	dir = fx_fetch_released(&f, &o);
	fx_spin(&f, 20);
	assert_true(exists(dir));
	assert_int_equal(fetch_cache_idle_len(f.cache), 1);
	assert_true(fetch_cache_idle_bytes(f.cache) > 0);
	fx_start(&f, 1, NULL);
	fx_wait(&f, 2);
	assert_int_equal(f.got[1].status, 0);
	assert_string_equal(f.got[1].dir, dir);
	assert_int_equal(f.srv.nreq, 1);	/* served from the idle tree */
	assert_int_equal(fetch_cache_idle_len(f.cache), 0);
	fetch_req_release(f.got[1].req);
	assert_int_equal(fetch_cache_idle_len(f.cache), 1);
	fx_spin(&f, 400);			/* past the TTL */
	assert_int_equal(fetch_cache_idle_len(f.cache), 0);
	assert_int_equal(fetch_cache_len(f.cache), 0);
	assert_false(exists(dir));
	free(dir);
	fx_teardown(&f);
}

/* A new digest of the same source removes its idle tree at once. */
static void
test_superseded_idle_tree_goes(void **state)
{
	struct fetch_cache_opts o = idle_opts(4, 0, 0);
	char other[DIGEST_STRING_MAX] = "sha256:";
	struct tsrv_resp script[2];
	size_t lens[2];
	struct fx f;
	char *dir;

	(void)state;
	fx_setup(&f, NULL, 0);
	script[0] = script[1] = f.ok;
	lens[0] = lens[1] = f.ok_len;
	fx_listen(&f, script, lens, 2);
	memset(other + 7, 'b', 64);
	fx_cache(&f, &o);
	fx_start(&f, 0, NULL);
	fx_wait(&f, 1);
	dir = strdup(f.got[0].dir);
	fetch_req_release(f.got[0].req);
	assert_int_equal(fetch_cache_idle_len(f.cache), 1);
	fx_start(&f, 1, other);		/* the source moved on */
	assert_int_equal(fetch_cache_idle_len(f.cache), 0);
	fx_wait(&f, 2);
	assert_int_equal(f.got[1].status, -1);	/* bytes do not match it */
	fx_spin(&f, 50);
	assert_false(exists(dir));
	assert_int_equal(fetch_dir_entries(&f), 0);
	free(dir);
	fx_teardown(&f);
}

/* A tree larger than the idle byte budget goes with its last release. */
static void
test_idle_byte_budget(void **state)
{
	struct fetch_cache_opts o = idle_opts(4, 1, 0);
	struct fx f;
	char *dir;

	(void)state;
	dir = fx_fetch_released(&f, &o);
	assert_int_equal(fetch_cache_idle_len(f.cache), 0);
	fx_spin(&f, 50);
	assert_false(exists(dir));
	free(dir);
	fx_teardown(&f);
}

static void
test_memory_figures(void **state)
{
	(void)state;
	print_message("fetch: entry %zu B, request %zu B (+ name), download "
	    "%zu B while in flight\n", fetch_entry_sizeof(),
	    fetch_req_sizeof(), fetch_download_sizeof());
	/* one per source digest: the idle LRU's links and budget included */
	assert_true(fetch_entry_sizeof() <= 288);
	assert_true(fetch_req_sizeof() <= 96);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fetch_extracts_and_release_removes),
		cmocka_unit_test(test_fifty_requesters_one_get),
		cmocka_unit_test(test_digest_mismatch_names_source_and_digests),
		cmocka_unit_test(test_oversize_fails),
		cmocka_unit_test(test_404_fails_at_once),
		cmocka_unit_test(test_500_retried_then_success),
		cmocka_unit_test(test_500_gives_up_after_retries),
		cmocka_unit_test(test_server_down_then_up),
		cmocka_unit_test(test_localhost_env_rewrites_host_port),
		cmocka_unit_test(test_url_rewrite),
		cmocka_unit_test(test_cancel_one_of_two),
		cmocka_unit_test(test_last_cancel_aborts_download),
		cmocka_unit_test(test_bad_digest_rejected_at_start),
		cmocka_unit_test(test_corrupt_tarball_fails_extraction),
		cmocka_unit_test(test_destroy_with_requests),
		cmocka_unit_test(test_idle_tree_reused_then_expires),
		cmocka_unit_test(test_superseded_idle_tree_goes),
		cmocka_unit_test(test_idle_byte_budget),
		cmocka_unit_test(test_memory_figures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
