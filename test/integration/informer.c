/*
 * Integration test of src/kube/informer.c against the real plane
 * (test/integration/informer.sh starts it and exports plane.env): an
 * informer on configmaps with a label selector and a tiny page size
 *
 *   - syncs the objects that exist (across LIST pages, selector honoured);
 *   - sees add, update and delete through WATCH with old/new projections;
 *   - advances its resourceVersion through bookmarks alone;
 *   - survives a killed kube-apiserver while objects vanish behind its back
 *     (deleted in etcd) and change right after the restart: afterwards its
 *     store equals a fresh LIST, the vanished object got a synthesised
 *     delete, nothing was added twice;
 *   - on a forced 410 (etcd compacted past its resourceVersion, the API
 *     server's watch cache restarted above it) re-lists without any
 *     spurious add/update/delete;
 *   - stops cleanly: the loop closes with no handle left.
 *
 * Each test waits with a bound (a watchdog on every wait). Loopback only.
 * Prints "ok"/"FAIL" lines; exit status 0 when everything passed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <uv.h>

#include "base/err.h"
#include "kube/client.h"
#include "kube/informer.h"
#include "kube/kubeconfig.h"

#define LABEL_KEY "informer-test"
#define SELECTOR LABEL_KEY "=yes"

struct ctx {
	uv_loop_t loop;
	struct kube_client *client;
	struct kube_informer *inf;
	const char *ns;
	const char *other_ns;
	char log[65536];	/* handler calls, one line each */
	int synced_calls;
	int errors;
	int passed, failed;
};

static struct ctx T;

/* ---- reporting ---- */

static void
check(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
check(int cond, const char *fmt, ...)
{
	va_list ap;

	printf(cond ? "ok   " : "FAIL ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (cond)
		T.passed++;
	else
		T.failed++;
}

/* ---- bounded waiting on the loop ---- */

typedef int (*pred_fn)(void *arg);

static void
tick(uv_timer_t *t)
{
	(void)t;
}

/* Runs the loop until pred(arg) holds or ms pass; returns pred's value. */
static int
wait_until(pred_fn pred, void *arg, uint64_t ms)
{
	uv_timer_t poll;
	uint64_t deadline = uv_now(&T.loop) + ms;
	int ok;

	uv_timer_init(&T.loop, &poll);
	uv_timer_start(&poll, tick, 20, 20);
	while (!(ok = pred(arg)) && uv_now(&T.loop) < deadline)
		uv_run(&T.loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&poll, NULL);
	uv_run(&T.loop, UV_RUN_NOWAIT);
	return ok;
}

static int
never(void *arg)
{
	(void)arg;
	return 0;
}

static void
sleep_loop(uint64_t ms)
{
	wait_until(never, NULL, ms);
}

/* ---- synchronous verbs for the test's own writes ---- */

struct call {
	int done;
	int status;
	int code;
	json_t *obj;
	char msg[ERR_MSG_MAX];
};

static void
call_done(void *data, int status, json_t *obj, const struct kube_status *st,
    const struct err *e)
{
	struct call *c = data;

	c->done = 1;
	c->status = status;
	c->code = st ? st->code : 0;
	c->obj = obj ? json_incref(obj) : NULL;
	snprintf(c->msg, sizeof(c->msg), "%s", e ? e->msg : "");
}

static int
call_is_done(void *arg)
{
	return ((struct call *)arg)->done;
}

static int
call_wait(struct call *c, int rc, const struct err *e)
{
	if (rc < 0) {
		snprintf(c->msg, sizeof(c->msg), "%s", e->msg);
		c->status = -100;
		return -1;
	}
	if (!wait_until(call_is_done, c, 30000)) {
		snprintf(c->msg, sizeof(c->msg), "no answer in 30 s");
		c->status = -101;
		return -1;
	}
	return c->status == KUBE_OK ? 0 : -1;
}

static struct kube_resource
cm_res(const char *ns, const char *name)
{
	struct kube_resource r = { .version = "v1", .resource = "configmaps",
	    .namespaced = true, .namespace = ns, .name = name };
	return r;
}

/* Creates configmap ns/name with data.v = v, labelled when labelled. */
static int
cm_create(const char *ns, const char *name, const char *v, int labelled)
{
	struct kube_resource r = cm_res(ns, NULL);
	json_t *body = json_pack("{s:s, s:s, s:{s:s, s:{s:s}}, s:{s:s}}",
	    "apiVersion", "v1", "kind", "ConfigMap", "metadata", "name", name,
	    "labels", LABEL_KEY, labelled ? "yes" : "no", "data", "v", v);
	struct call c = { 0 };
	struct err e;
	int rc = call_wait(&c, kube_create(T.client, &r, body, NULL, call_done,
	    &c, NULL, &e), &e);

	json_decref(body);
	json_decref(c.obj);
	if (rc < 0)
		printf("# create %s/%s: %s\n", ns, name, c.msg);
	return rc;
}

static int
cm_set(const char *ns, const char *name, const char *v)
{
	struct kube_resource r = cm_res(ns, name);
	json_t *body = json_pack("{s:{s:s}}", "data", "v", v);
	struct call c = { 0 };
	struct err e;
	int rc = call_wait(&c, kube_patch_merge(T.client, &r, body, NULL,
	    call_done, &c, NULL, &e), &e);

	json_decref(body);
	json_decref(c.obj);
	if (rc < 0)
		printf("# patch %s/%s: %s\n", ns, name, c.msg);
	return rc;
}

static int
cm_delete(const char *ns, const char *name)
{
	struct kube_resource r = cm_res(ns, name);
	struct call c = { 0 };
	struct err e;
	int rc = call_wait(&c, kube_delete(T.client, &r, NULL, call_done, &c,
	    NULL, &e), &e);

	json_decref(c.obj);
	if (rc < 0)
		printf("# delete %s/%s: %s\n", ns, name, c.msg);
	return rc;
}

static int
ns_create(const char *name)
{
	struct kube_resource r = { .version = "v1", .resource = "namespaces" };
	json_t *body = json_pack("{s:{s:s}}", "metadata", "name", name);
	struct call c = { 0 };
	struct err e;
	int rc = call_wait(&c, kube_create(T.client, &r, body, NULL, call_done,
	    &c, NULL, &e), &e);

	json_decref(body);
	json_decref(c.obj);
	return rc < 0 && c.code != 409 ? -1 : 0;
}

/* ---- the informer under test: projection = data.v ---- */

static void *
project(const json_t *obj)
{
	const char *v = json_string_value(json_object_get(json_object_get(obj,
	    "data"), "v"));

	return strdup(v ? v : "");
}

static void
note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
note(const char *fmt, ...)
{
	size_t n = strlen(T.log);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(T.log + n, sizeof(T.log) - n, fmt, ap);
	va_end(ap);
}

static void
on_add(void *data, const char *ns, const char *name, const void *p)
{
	(void)data;
	note("add %s/%s %s\n", ns, name, (const char *)p);
}

static void
on_update(void *data, const char *ns, const char *name, const void *old,
    const void *p)
{
	(void)data;
	note("update %s/%s %s->%s\n", ns, name, (const char *)old,
	    (const char *)p);
}

static void
on_delete(void *data, const char *ns, const char *name, const void *old)
{
	(void)data;
	note("delete %s/%s %s\n", ns, name, (const char *)old);
}

static void
on_synced(void *data)
{
	(void)data;
	T.synced_calls++;
}

static void
on_error(void *data, const struct err *e)
{
	(void)data;
	T.errors++;
	printf("# informer: %s\n", e->msg);
}

static const struct kube_informer_handlers handlers = {
	.project = project, .free = free, .on_add = on_add,
	.on_update = on_update, .on_delete = on_delete,
	.on_synced = on_synced, .on_error = on_error,
};

static int
log_has(void *arg)
{
	return strstr(T.log, arg) != NULL;
}

static int
count_in_log(const char *needle)
{
	const char *p = T.log;
	int n = 0;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

static int
is_synced(void *arg)
{
	(void)arg;
	return kube_informer_synced(T.inf);
}

/* ---- comparing the store with a fresh LIST ---- */

struct cmp {
	json_t *items;		/* name -> resourceVersion from the server */
	int mismatches;
	size_t seen;
};

static void
cmp_visit(void *ctx, const char *ns, const char *name, const char *rv,
    const void *p)
{
	struct cmp *c = ctx;
	const char *want = json_string_value(json_object_get(c->items, name));

	(void)p;
	c->seen++;
	if (strcmp(ns, T.ns) != 0 || want == NULL || strcmp(want, rv) != 0)
		c->mismatches++;
}

/* 1 when the informer's store holds exactly the labelled configmaps of the
 * namespace at their current resourceVersions. */
static int
store_equals_server(void *arg)
{
	struct kube_resource r = cm_res(T.ns, NULL);
	struct kube_list_opts lo = { .label_selector = SELECTOR };
	struct call c = { 0 };
	struct cmp m = { 0 };
	json_t *item;
	size_t i;
	struct err e;

	(void)arg;
	if (call_wait(&c, kube_list(T.client, &r, &lo, call_done, &c, NULL,
	    &e), &e) < 0)
		return 0;
	m.items = json_object();
	json_array_foreach(json_object_get(c.obj, "items"), i, item)
		json_object_set_new(m.items, kube_object_name(item),
		    json_string(kube_object_resource_version(item)));
	kube_cache_foreach(kube_informer_cache(T.inf), cmp_visit, &m);
	i = json_object_size(m.items);
	json_decref(m.items);
	json_decref(c.obj);
	return m.mismatches == 0 && m.seen == i;
}

/* Polls store_equals_server once a second, up to ms. */
static int
converges(uint64_t ms)
{
	uint64_t deadline = uv_now(&T.loop) + ms;

	for (;;) {
		if (store_equals_server(NULL))
			return 1;
		if (uv_now(&T.loop) >= deadline)
			return 0;
		sleep_loop(1000);
	}
}

/* ---- plane control ---- */

static int
shell(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
shell(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0)
		printf("# command failed (%d): %s\n", rc, cmd);
	return rc;
}

/* Base64 of a short string, for etcd's JSON gateway. */
static void
b64(const char *in, char *out, size_t cap)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(in), i, o = 0;
	unsigned v;

	for (i = 0; i < n && o + 5 < cap; i += 3) {
		v = (unsigned char)in[i] << 16;
		if (i + 1 < n)
			v |= (unsigned char)in[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)in[i + 2];
		out[o++] = tab[(v >> 18) & 63];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? tab[v & 63] : '=';
	}
	out[o] = '\0';
}

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0') {
		fprintf(stderr, "informer test: $%s is not set (run "
		    "test/integration/informer.sh)\n", name);
		exit(2);
	}
	return v;
}

/* etcd v3 JSON gateway: POST body to path; 0 on success. */
static int
etcd_post(const char *path, const char *body)
{
	return shell("curl -sf -o /dev/null -X POST "
	    "http://127.0.0.1:%s%s -d '%s'", env("PLANE_ETCD_CLIENT_PORT"),
	    path, body);
}

/* Deletes a configmap behind the API server's back. */
static int
etcd_delete_cm(const char *ns, const char *name)
{
	char key[256], k64[400], body[512];

	snprintf(key, sizeof(key), "/registry/configmaps/%s/%s", ns, name);
	b64(key, k64, sizeof(k64));
	snprintf(body, sizeof(body), "{\"key\":\"%s\"}", k64);
	return etcd_post("/v3/kv/deleterange", body);
}

/*
 * Writes a key outside /registry (the revision moves past every version
 * the informer has seen) and compacts etcd at the new revision: no watch
 * can resume from an older resourceVersion.
 */
static int
etcd_bump_and_compact(void)
{
	char k64[64], body[256], out[256];
	FILE *p;
	long rev = 0;

	b64("informer-test/bump", k64, sizeof(k64));
	snprintf(body, sizeof(body), "{\"key\":\"%s\",\"value\":\"eA==\"}", k64);
	if (etcd_post("/v3/kv/put", body) != 0)
		return -1;
	snprintf(body, sizeof(body), "curl -sf -X POST "
	    "http://127.0.0.1:%s/v3/kv/range -d '{\"key\":\"%s\"}'",
	    env("PLANE_ETCD_CLIENT_PORT"), k64);
	p = popen(body, "r");
	if (p == NULL)
		return -1;
	if (fgets(out, sizeof(out), p) != NULL) {
		char *r = strstr(out, "\"revision\":\"");
		if (r != NULL)
			rev = strtol(r + 12, NULL, 10);
	}
	pclose(p);
	if (rev <= 0)
		return -1;
	snprintf(body, sizeof(body), "{\"revision\":\"%ld\",\"physical\":true}",
	    rev);
	return etcd_post("/v3/kv/compaction", body);
}

static int
apiserver(const char *verb)
{
	return shell("\"%s/scripts/plane-restart-apiserver.sh\" %s "
	    ">/dev/null", env("AG_ROOT"), verb);
}

/* ---- the tests ---- */

static void
test_sync(void)
{
	struct kube_informer_opts o = { .version = "v1",
	    .resource = "configmaps", .namespaced = true, .namespace = T.ns,
	    .label_selector = SELECTOR, .page_size = 2,
	    .watch_timeout_min_s = 5, .watch_timeout_max_s = 8,
	    .backoff_base_ms = 300, .backoff_cap_ms = 2000 };
	struct err e;
	int ok = 1;
	char name[16];
	int i;

	for (i = 1; i <= 5; i++) {
		snprintf(name, sizeof(name), "cm%d", i);
		ok &= cm_create(T.ns, name, "v1", 1) == 0;
	}
	ok &= cm_create(T.ns, "unlabelled", "v1", 0) == 0;
	check(ok, "created 5 labelled configmaps and 1 unlabelled");
	if (kube_informer_new(&T.inf, &T.loop, T.client, &o, &handlers, NULL,
	    &e) < 0) {
		check(0, "kube_informer_new: %s", e.msg);
		exit(1);
	}
	kube_informer_start(T.inf);
	check(wait_until(is_synced, NULL, 20000), "informer synced (LIST "
	    "across pages of 2)");
	check(T.synced_calls == 1, "on_synced called once (got %d)",
	    T.synced_calls);
	check(kube_cache_len(kube_informer_cache(T.inf)) == 5 &&
	    count_in_log("add ") == 5, "store holds the 5 labelled objects, "
	    "5 adds (store %zu)", kube_cache_len(kube_informer_cache(T.inf)));
	check(kube_cache_get(kube_informer_cache(T.inf), T.ns,
	    "unlabelled") == NULL, "label selector honoured");
	check(store_equals_server(NULL), "store equals a fresh LIST");
}

static void
test_watch_add_update_delete(void)
{
	char want[128];

	T.log[0] = '\0';
	snprintf(want, sizeof(want), "add %s/cm6 new\n", T.ns);
	check(cm_create(T.ns, "cm6", "new", 1) == 0 && wait_until(log_has,
	    want, 15000), "WATCH add with the new projection (%.*s)",
	    (int)strlen(want) - 1, want);

	snprintf(want, sizeof(want), "update %s/cm1 v1->v2\n", T.ns);
	check(cm_set(T.ns, "cm1", "v2") == 0 && wait_until(log_has, want,
	    15000), "WATCH update with old and new projections (%.*s)",
	    (int)strlen(want) - 1, want);

	snprintf(want, sizeof(want), "delete %s/cm2 v1\n", T.ns);
	check(cm_delete(T.ns, "cm2") == 0 && wait_until(log_has, want,
	    15000), "WATCH delete with the old projection");
	check(cm_set(T.ns, "unlabelled", "x") == 0, "unlabelled changed");
	sleep_loop(500);
	check(count_in_log("unlabelled") == 0, "no event for an object "
	    "outside the selector");
	check(store_equals_server(NULL), "store equals a fresh LIST");
}

struct bm {
	unsigned long long from;
	unsigned long bookmarks;
};

static int
bookmark_advanced(void *arg)
{
	struct bm *b = arg;
	struct kube_informer_stats st;

	kube_informer_get_stats(T.inf, &st);
	return st.cache.bookmarks > b->bookmarks &&
	    strtoull(kube_informer_resource_version(T.inf), NULL, 10) >
	    b->from;
}

static void
test_bookmarks(void)
{
	struct kube_informer_stats st;
	struct bm b;
	size_t log_len;

	kube_informer_get_stats(T.inf, &st);
	b.from = strtoull(kube_informer_resource_version(T.inf), NULL, 10);
	b.bookmarks = st.cache.bookmarks;
	log_len = strlen(T.log);
	/* A write the informer does not watch moves the global revision. */
	check(cm_create(T.other_ns, "elsewhere", "x", 1) == 0,
	    "write outside the watched namespace");
	check(wait_until(bookmark_advanced, &b, 30000), "a BOOKMARK advanced "
	    "the resourceVersion from %llu to %s", b.from,
	    kube_informer_resource_version(T.inf));
	check(strlen(T.log) == log_len, "bookmarks call no handler");
}

static int
watch_ended(void *arg)
{
	const struct kube_informer_stats *before = arg;
	struct kube_informer_stats now;

	kube_informer_get_stats(T.inf, &now);
	return now.watch_ends > before->watch_ends;
}

/* The server ends each watch after timeoutSeconds (5..8 s here): the
 * informer watches again from where it was, without a LIST, and misses
 * nothing. */
static void
test_rewatch_after_timeout(void)
{
	struct kube_informer_stats before, after;
	char want[128];

	kube_informer_get_stats(T.inf, &before);
	check(wait_until(watch_ended, &before, 20000), "the server ended a "
	    "watch (timeoutSeconds)");
	snprintf(want, sizeof(want), "update %s/cm6 new->again\n", T.ns);
	check(cm_set(T.ns, "cm6", "again") == 0 && wait_until(log_has, want,
	    15000), "a change after the re-watch arrives");
	kube_informer_get_stats(T.inf, &after);
	check(after.lists == before.lists && after.watches > before.watches,
	    "re-watched without a re-list (lists %lu, watches %lu->%lu)",
	    after.lists, before.watches, after.watches);
}

static void
log_counts(int *adds, int *updates, int *deletes)
{
	*adds = count_in_log("add ");
	*updates = count_in_log("update ");
	*deletes = count_in_log("delete ");
}

static int
relisted_after_gone(void *arg)
{
	const struct kube_informer_stats *before = arg;
	struct kube_informer_stats now;

	kube_informer_get_stats(T.inf, &now);
	return now.gone > before->gone && now.lists > before->lists;
}

static void
test_apiserver_restart(void)
{
	struct kube_informer_stats before, after, down0, down1;
	char want[128];
	int adds, updates, deletes;

	kube_informer_get_stats(T.inf, &before);
	T.log[0] = '\0';

	check(apiserver("stop --kill") == 0, "kube-apiserver killed mid-watch");
	/* Down for 6 s with the loop running: spaced retries (backoff 300 ms
	 * doubling to 2 s, jittered), neither none nor a busy loop. */
	kube_informer_get_stats(T.inf, &down0);
	sleep_loop(6000);
	kube_informer_get_stats(T.inf, &down1);
	check(down1.retries - down0.retries >= 3 &&
	    down1.retries - down0.retries <= 12, "while down: %lu retries in "
	    "6 s (backoff, no busy loop)", down1.retries - down0.retries);
	check(etcd_delete_cm(T.ns, "cm3") == 0, "cm3 deleted in etcd while "
	    "the API server is down");
	check(etcd_bump_and_compact() == 0, "etcd revision moved and "
	    "compacted while down");
	check(apiserver("start") == 0, "kube-apiserver restarted");
	/* Changes right after the restart, racing the informer's backoff. */
	check(cm_create(T.ns, "cm7", "late", 1) == 0 &&
	    cm_set(T.ns, "cm4", "v2") == 0 && cm_delete(T.ns, "cm5") == 0,
	    "create cm7, update cm4, delete cm5 after the restart");
	check(wait_until(relisted_after_gone, &before, 60000), "the informer "
	    "reconnected and re-listed");
	check(converges(30000), "store equals a fresh LIST after the outage");
	kube_informer_get_stats(T.inf, &after);
	snprintf(want, sizeof(want), "delete %s/cm3 v1\n", T.ns);
	check(strstr(T.log, want) != NULL, "synthesised delete for the object "
	    "that vanished while down");
	snprintf(want, sizeof(want), "%s/cm7 ", T.ns);
	check(count_in_log(want) == 1, "cm7 added exactly once");
	snprintf(want, sizeof(want), "update %s/cm4 v1->v2\n", T.ns);
	check(count_in_log(want) == 1, "cm4 updated exactly once");
	log_counts(&adds, &updates, &deletes);
	check(adds == 1 && updates == 1 && deletes == 2, "exactly the "
	    "changes made: %d adds, %d updates, %d deletes\n%s", adds,
	    updates, deletes, T.log);
	check(after.retries > before.retries, "retried with backoff while the "
	    "server was down (%lu retries)", after.retries - before.retries);
}

static void
test_forced_gone_without_changes(void)
{
	struct kube_informer_stats before, after;
	size_t len = kube_cache_len(kube_informer_cache(T.inf));

	kube_informer_get_stats(T.inf, &before);
	T.log[0] = '\0';
	check(apiserver("stop") == 0 && etcd_bump_and_compact() == 0 &&
	    apiserver("start") == 0, "etcd compacted past the informer's "
	    "resourceVersion, API server restarted");
	/* The store equalled the server before: wait for the re-list so
	 * that the checks below are about it. */
	check(wait_until(relisted_after_gone, &before, 60000), "410 Gone "
	    "forced a re-list");
	check(converges(30000), "store equals a fresh LIST");
	kube_informer_get_stats(T.inf, &after);
	printf("# gone %lu->%lu, lists %lu->%lu\n", before.gone, after.gone,
	    before.lists, after.lists);
	check(T.log[0] == '\0' && kube_cache_len(kube_informer_cache(T.inf)) ==
	    len, "no object lost or duplicated, no spurious event (%zu "
	    "objects)%s%s", len, T.log[0] ? ":\n" : "", T.log);
}

static void
client_destroyed(void)
{
	kube_informer_free(T.inf);
	T.inf = NULL;
	kube_client_destroy(T.client);
	T.client = NULL;
}

static void
walk_cb(uv_handle_t *h, void *arg)
{
	(*(int *)arg)++;
	printf("# handle left: %s\n", uv_handle_type_name(h->type));
}

static void
test_stop_closes_cleanly(void)
{
	int left = 0, rc;

	client_destroyed();
	rc = uv_run(&T.loop, UV_RUN_DEFAULT);
	uv_walk(&T.loop, walk_cb, &left);
	check(rc == 0 && left == 0, "informer and client freed mid-watch: the "
	    "loop ends with no handle (%d left)", left);
	check(uv_loop_close(&T.loop) == 0, "uv_loop_close succeeds");
}

int
main(void)
{
	struct kube_config cfg = { 0 };
	struct kube_client_opts co = { .qps = 0 };
	struct err e;
	char ns[64], other[64];

	setvbuf(stdout, NULL, _IOLBF, 0);
	uv_loop_init(&T.loop);
	if (kube_config_load_file(&cfg, env("PLANE_ADMIN_KUBECONFIG"), NULL,
	    &e) < 0 || kube_client_new(&T.client, &T.loop, &cfg, &co, &e) < 0) {
		fprintf(stderr, "informer test: %s\n", e.msg);
		return 2;
	}
	kube_config_free(&cfg);
	snprintf(ns, sizeof(ns), "informer-%ld", (long)getpid());
	snprintf(other, sizeof(other), "informer-other-%ld", (long)getpid());
	T.ns = ns;
	T.other_ns = other;
	check(ns_create(ns) == 0 && ns_create(other) == 0, "namespaces %s, %s",
	    ns, other);

	test_sync();
	test_watch_add_update_delete();
	test_bookmarks();
	test_rewatch_after_timeout();
	test_apiserver_restart();
	test_forced_gone_without_changes();
	test_stop_closes_cleanly();
	printf("informer program: %d passed, %d failed\n", T.passed, T.failed);
	return T.failed ? 1 : 0;
}
