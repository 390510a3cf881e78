/*
 * Unit tests for src/kube/informer.c, the list/watch driver, against a
 * scripted loopback HTTP server (plain http, one uv loop; each request gets
 * the next scripted answer): paginated LIST then WATCH from the list's
 * resourceVersion with bookmarks and a bounded timeoutSeconds; re-watch
 * from the last event/bookmark version after a normal end; re-LIST on an
 * ERROR 410 with synthesised update/add/delete; spaced retries (never a
 * busy loop) when the server drops connections or ends watches at once;
 * free with a request in flight, or from inside a handler, leaves no
 * handle. The real API server is exercised by test/integration/informer.c.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uv.h>

#include "kube/client.h"
#include "kube/informer.h"
#include "tsrv.h"

/* ---- harness: one informer on configmaps in "ns" ---- */

struct fx {
	uv_loop_t loop;
	struct tsrv srv;
	struct kube_client *c;
	struct kube_informer *inf;
	uv_timer_t tick;	/* wakes uv_run(ONCE) every 20 ms */
	char url[64];
	char log[4096];
	int synced, errors;
	int free_in_synced;
	char last_error[ERR_MSG_MAX];
};

static void *
project(const json_t *obj)
{
	const char *v = json_string_value(json_object_get(json_object_get(obj,
	    "data"), "v"));

	return strdup(v ? v : "");
}

static void
note(struct fx *f, const char *what, const char *name, const char *a,
    const char *b)
{
	size_t n = strlen(f->log);

	snprintf(f->log + n, sizeof(f->log) - n, "%s %s %s%s%s\n", what, name,
	    a, b ? "->" : "", b ? b : "");
}

static void
on_add(void *data, const char *ns, const char *name, const void *p)
{
	(void)ns;
	note(data, "add", name, p, NULL);
}

static void
on_update(void *data, const char *ns, const char *name, const void *old,
    const void *p)
{
	(void)ns;
	note(data, "update", name, old, p);
}

static void
on_delete(void *data, const char *ns, const char *name, const void *old)
{
	(void)ns;
	note(data, "delete", name, old, NULL);
}

static void
on_synced(void *data)
{
	struct fx *f = data;

	f->synced++;
	if (f->free_in_synced) {
		kube_informer_free(f->inf);
		f->inf = NULL;
	}
}

static void
on_error(void *data, const struct err *e)
{
	struct fx *f = data;

	f->errors++;
	snprintf(f->last_error, sizeof(f->last_error), "%s", e->msg);
}

static const struct kube_informer_handlers handlers = {
	.project = project, .free = free, .on_add = on_add,
	.on_update = on_update, .on_delete = on_delete,
	.on_synced = on_synced, .on_error = on_error,
};

static void
tick_cb(uv_timer_t *t)
{
	(void)t;
}

static void
fx_start(struct fx *f, const struct tsrv_resp *script, size_t n,
    uint64_t backoff_base_ms)
{
	struct kube_config cfg = { 0 };
	struct kube_client_opts co = { .qps = 0 };
	struct kube_informer_opts o = { .version = "v1",
	    .resource = "configmaps", .namespaced = true, .namespace = "ns",
	    .label_selector = "app=x", .page_size = 2,
	    .watch_timeout_min_s = 60, .watch_timeout_max_s = 90,
	    .backoff_base_ms = backoff_base_ms,
	    .backoff_cap_ms = backoff_base_ms * 4 };
	struct err e = { .msg = "" };

	memset(f, 0, sizeof(*f));
	uv_loop_init(&f->loop);
	tsrv_start(&f->srv, &f->loop, script, n);
	uv_timer_init(&f->loop, &f->tick);
	uv_timer_start(&f->tick, tick_cb, 20, 20);
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d", f->srv.port);
	cfg.server = f->url;
	cfg.token = "sekret";
	if (kube_client_new(&f->c, &f->loop, &cfg, &co, &e) < 0)
		fail_msg("kube_client_new: %s", e.msg);
	if (kube_informer_new(&f->inf, &f->loop, f->c, &o, &handlers, f,
	    &e) < 0)
		fail_msg("kube_informer_new: %s", e.msg);
}

/* Runs the loop until the server has seen n requests (bounded: 10 s). */
static void
fx_wait_reqs(struct fx *f, size_t n)
{
	uint64_t until = uv_now(&f->loop) + 10000;

	while (f->srv.nreq < n && uv_now(&f->loop) < until)
		uv_run(&f->loop, UV_RUN_ONCE);
	assert_true(f->srv.nreq >= n);
}

static void
fx_run_ms(struct fx *f, uint64_t ms)
{
	uint64_t until = uv_now(&f->loop) + ms;

	while (uv_now(&f->loop) < until)
		uv_run(&f->loop, UV_RUN_ONCE);
}

/* Frees the informer (if still there) and the client, closes the server:
 * the loop must then end with no handle. */
static void
fx_stop(struct fx *f)
{
	kube_informer_free(f->inf);
	kube_client_destroy(f->c);
	uv_close((uv_handle_t *)&f->tick, NULL);
	tsrv_close(&f->srv);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
}

static unsigned
query_uint(const char *line, const char *key)
{
	const char *p = strstr(line, key);

	return p ? (unsigned)strtoul(p + strlen(key), NULL, 10) : 0;
}

#define ITEM(name, rv, v) "{\"metadata\":{\"name\":\"" name "\"," \
	"\"namespace\":\"ns\",\"resourceVersion\":\"" rv "\"},\"data\":{" \
	"\"v\":\"" v "\"}}"
#define EVENT(type, obj) "{\"type\":\"" type "\",\"object\":" obj "}\n"

static void
test_list_watch_rewatch_gone_relist(void **state)
{
	static const struct tsrv_resp script[] = {
		{ 200, "{\"metadata\":{\"continue\":\"c2\",\"resourceVersion\":"
		  "\"10\"},\"items\":[" ITEM("a", "3", "a1") ","
		  ITEM("b", "4", "b1") "]}", 0, NULL },
		{ 200, "{\"metadata\":{\"resourceVersion\":\"10\"},\"items\":["
		  ITEM("c", "5", "c1") "]}", 0, NULL },
		{ 200, EVENT("ADDED", ITEM("d", "11", "d1"))
		  EVENT("MODIFIED", ITEM("a", "12", "a2"))
		  EVENT("BOOKMARK", "{\"metadata\":{\"resourceVersion\":\"15\""
		  "}}"), 0, NULL },
		{ 200, EVENT("ERROR", "{\"kind\":\"Status\",\"code\":410,"
		  "\"reason\":\"Expired\",\"message\":\"too old resource "
		  "version: 15 (19)\"}"), 0, NULL },
		{ 200, "{\"metadata\":{\"resourceVersion\":\"20\"},\"items\":["
		  ITEM("a", "12", "a2") "," ITEM("b", "18", "b2") ","
		  ITEM("e", "19", "e1") "]}", 0, NULL },
		{ 200, "", 1, NULL },
	};
	struct kube_informer_stats st;
	struct fx f;
	unsigned t;

	(void)state;
	fx_start(&f, script, 6, 100);
	kube_informer_start(f.inf);
	fx_wait_reqs(&f, 6);
	fx_run_ms(&f, 50);

	/* LIST in pages of 2 with the selector, then synced once. */
	assert_non_null(strstr(f.srv.reqs[0].line, "GET /api/v1/namespaces/ns/"
	    "configmaps?"));
	assert_non_null(strstr(f.srv.reqs[0].line, "limit=2"));
	assert_non_null(strstr(f.srv.reqs[0].line, "labelSelector=app%3Dx"));
	assert_null(strstr(f.srv.reqs[0].line, "watch"));
	assert_non_null(strstr(f.srv.reqs[1].line, "continue=c2"));
	assert_int_equal(f.synced, 1);
	assert_true(kube_informer_synced(f.inf));
	/* WATCH from the list's version, bookmarks on, timeout in range. */
	assert_non_null(strstr(f.srv.reqs[2].line, "resourceVersion=10&"));
	assert_non_null(strstr(f.srv.reqs[2].line, "watch=true"));
	assert_non_null(strstr(f.srv.reqs[2].line, "allowWatchBookmarks=true"));
	assert_non_null(strstr(f.srv.reqs[2].line, "labelSelector=app%3Dx"));
	t = query_uint(f.srv.reqs[2].line, "timeoutSeconds=");
	assert_true(t >= 60 && t <= 90);
	/* The stream ended normally: re-watch from the bookmark. */
	assert_non_null(strstr(f.srv.reqs[3].line, "resourceVersion=15&"));
	assert_non_null(strstr(f.srv.reqs[3].line, "watch=true"));
	/* 410: re-list (no watch, no resourceVersion), then watch from it. */
	assert_null(strstr(f.srv.reqs[4].line, "watch"));
	assert_null(strstr(f.srv.reqs[4].line, "resourceVersion"));
	assert_non_null(strstr(f.srv.reqs[5].line, "resourceVersion=20&"));
	assert_string_equal(kube_informer_resource_version(f.inf), "20");

	/* What the handlers saw: the list, the watch, the reconciliation
	 * (a unchanged: nothing; c and d vanished: deletes, in any order). */
	assert_non_null(strstr(f.log, "add a a1\nadd b b1\nadd c c1\n"
	    "add d d1\nupdate a a1->a2\nupdate b b1->b2\nadd e e1\n"));
	assert_non_null(strstr(f.log, "delete c c1\n"));
	assert_non_null(strstr(f.log, "delete d d1\n"));
	assert_int_equal(strlen(f.log), strlen("add a a1\nadd b b1\nadd c c1\n"
	    "add d d1\nupdate a a1->a2\nupdate b b1->b2\nadd e e1\n"
	    "delete c c1\ndelete d d1\n"));
	assert_int_equal(kube_cache_len(kube_informer_cache(f.inf)), 3);
	kube_informer_get_stats(f.inf, &st);
	assert_int_equal(st.lists, 2);
	assert_int_equal(st.gone, 1);
	assert_int_equal(st.watches, 3);
	assert_int_equal(st.watch_ends, 1);
	assert_int_equal(st.cache.bookmarks, 1);
	assert_int_equal(f.errors, 1);
	assert_non_null(strstr(f.last_error, "Expired (410)"));
	/* Freed with the last watch in flight. */
	fx_stop(&f);
}

/* Every gap between two requests from index `from` on is at least half the
 * base delay: the informer never spins against a failing server. */
static void
expect_spaced_retries(struct fx *f, uint64_t base_ms, size_t min_reqs,
    size_t from)
{
	size_t i;

	assert_true(f->srv.nreq >= min_reqs);
	for (i = from; i < f->srv.nreq; i++)
		assert_true(f->srv.reqs[i].at_ms - f->srv.reqs[i - 1].at_ms >=
		    base_ms / 2 - 1);
}

static void
test_dropped_watches_back_off(void **state)
{
	static struct tsrv_resp script[40];
	struct kube_informer_stats st;
	struct fx f;
	size_t i;

	(void)state;
	script[0] = (struct tsrv_resp){ 200, "{\"metadata\":{"
	    "\"resourceVersion\":\"7\"},\"items\":[]}", 0, NULL };
	for (i = 1; i < 40; i++)
		script[i] = (struct tsrv_resp){ 0, "", 2, NULL };
	fx_start(&f, script, 40, 100);
	kube_informer_start(f.inf);
	fx_run_ms(&f, 1500);
	/* 1.5 s with delays of 50..100, 100..200, then 200..400 ms. */
	assert_true(f.srv.nreq >= 5 && f.srv.nreq <= 16);
	/* Request 2 is the HTTP client's own immediate retry of request 1,
	 * which went out on the LIST's kept-alive connection. */
	assert_string_equal(f.srv.reqs[1].line, f.srv.reqs[2].line);
	expect_spaced_retries(&f, 100, 5, 3);
	for (i = 1; i < f.srv.nreq; i++)
		assert_non_null(strstr(f.srv.reqs[i].line, "resourceVersion=7&"));
	kube_informer_get_stats(f.inf, &st);
	assert_true(st.watch_failures >= 4);
	assert_int_equal(st.lists, 1);
	assert_true(f.errors >= 4);
	fx_stop(&f);
}

static void
test_empty_watches_back_off(void **state)
{
	static struct tsrv_resp script[40];
	struct fx f;
	size_t i;

	(void)state;
	script[0] = (struct tsrv_resp){ 200, "{\"metadata\":{"
	    "\"resourceVersion\":\"7\"},\"items\":[]}", 0, NULL };
	for (i = 1; i < 40; i++)
		script[i] = (struct tsrv_resp){ 200, "", 0, NULL };
	fx_start(&f, script, 40, 100);
	kube_informer_start(f.inf);
	fx_run_ms(&f, 1500);
	assert_true(f.srv.nreq >= 5 && f.srv.nreq <= 16);
	expect_spaced_retries(&f, 100, 5, 2);
	assert_int_equal(f.errors, 0);
	fx_stop(&f);
}

/* The shortest k-th backoff delay with base 100 ms and cap 400 ms. */
static uint64_t
gone_min_delay_ms(size_t k)
{
	return (k < 2 ? (uint64_t)100 << k : 400) / 2;
}

/* A server that answers 410 to every watch at once: after the first, the
 * re-LISTs are spaced by the backoff too. */
static void
test_repeated_gone_backs_off(void **state)
{
	static struct tsrv_resp script[40];
	struct kube_informer_stats st;
	struct fx f;
	size_t i;

	(void)state;
	for (i = 0; i < 40; i++)
		script[i] = i % 2 == 0 ?
		    (struct tsrv_resp){ 200, "{\"metadata\":{\"resourceVersion\""
		    ":\"7\"},\"items\":[" ITEM("a", "2", "a1") "]}", 0, NULL } :
		    (struct tsrv_resp){ 200, EVENT("ERROR", "{\"kind\":\"Status\","
		    "\"code\":410,\"reason\":\"Expired\",\"message\":\"gone\"}"),
		    0, NULL };
	fx_start(&f, script, 40, 100);
	kube_informer_start(f.inf);
	fx_run_ms(&f, 1500);
	/* The k-th delay is jittered in [d/2, d], d = min(100 << k, 400):
	 * at the shortest (50, 100, 200, 200, ...) ten LISTs and their
	 * watches fit in 1500 ms. */
	assert_true(f.srv.nreq >= 6 && f.srv.nreq <= 20);
	/* The first 410 re-lists at once (an ordinary compaction), the
	 * following ones after growing delays. */
	for (i = 2; i < f.srv.nreq; i += 2) {
		assert_null(strstr(f.srv.reqs[i].line, "watch"));
		if (i >= 4)
			assert_true(f.srv.reqs[i].at_ms - f.srv.reqs[i - 1].at_ms >=
			    gone_min_delay_ms((i - 4) / 2) - 1);
	}
	kube_informer_get_stats(f.inf, &st);
	assert_true(st.gone >= 3);
	/* The object never changed: one add, no churn. */
	assert_string_equal(f.log, "add a a1\n");
	fx_stop(&f);
}

static void
test_failed_list_is_retried(void **state)
{
	static const struct tsrv_resp script[] = {
		{ 500, "{\"kind\":\"Status\",\"code\":500,\"reason\":"
		  "\"InternalError\",\"message\":\"boom\"}", 0, NULL },
		{ 200, "{\"metadata\":{\"resourceVersion\":\"3\"},\"items\":["
		  ITEM("a", "2", "a1") "]}", 0, NULL },
		{ 200, "", 1, NULL },
	};
	struct fx f;
	size_t i;

	(void)state;
	fx_start(&f, script, 3, 100);
	kube_informer_start(f.inf);
	/* The client itself retries a 5xx list; either way, the informer
	 * syncs once the server answers. */
	for (i = 0; i < 200 && !f.synced; i++)
		fx_run_ms(&f, 50);
	assert_int_equal(f.synced, 1);
	assert_string_equal(f.log, "add a a1\n");
	fx_stop(&f);
}

static void
test_free_in_synced_handler(void **state)
{
	static const struct tsrv_resp script[] = {
		{ 200, "{\"metadata\":{\"resourceVersion\":\"3\"},\"items\":["
		  ITEM("a", "2", "a1") "]}", 0, NULL },
		{ 200, "", 1, NULL },
	};
	struct fx f;

	(void)state;
	fx_start(&f, script, 2, 100);
	f.free_in_synced = 1;
	kube_informer_start(f.inf);
	fx_wait_reqs(&f, 1);
	fx_run_ms(&f, 300);
	assert_int_equal(f.synced, 1);
	assert_null(f.inf);
	assert_int_equal(f.srv.nreq, 1);	/* no watch after free */
	fx_stop(&f);
}

static void
test_free_before_start_and_bad_options(void **state)
{
	struct kube_informer_opts o = { .resource = "configmaps" };
	struct kube_informer *inf = NULL;
	static const struct tsrv_resp none[] = { { 200, "", 1, NULL } };
	struct fx f;
	struct err e;

	(void)state;
	fx_start(&f, none, 1, 100);
	assert_int_equal(kube_informer_new(&inf, &f.loop, f.c, &o, &handlers,
	    &f, &e), -1);
	assert_null(inf);
	assert_non_null(strstr(e.msg, "version"));
	fx_stop(&f);		/* frees the informer never started */
	assert_int_equal(f.srv.nreq, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_watch_rewatch_gone_relist),
		cmocka_unit_test(test_dropped_watches_back_off),
		cmocka_unit_test(test_empty_watches_back_off),
		cmocka_unit_test(test_repeated_gone_backs_off),
		cmocka_unit_test(test_failed_list_is_retried),
		cmocka_unit_test(test_free_in_synced_handler),
		cmocka_unit_test(test_free_before_start_and_bad_options),
	};
	return cmocka_run_group_tests_name("kube_informer", tests, NULL, NULL);
}
