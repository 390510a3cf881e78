/*
 * Unit tests for src/controller/events*.c against two scripted loopback
 * servers (tsrv.h): one plays the API server behind a real kube client, the
 * other notification-controller behind a real HTTP client. What a user of
 * Flux relies on: the core/v1 Event on the generator (involved object,
 * reason, type, annotations), repeats folded into one Event's count as
 * client-go does (PATCH, and a new Event when the old one expired), the
 * per-object rate budget (burst, then a refill every 5 minutes), a bounded
 * cache, failures counted and never fatal, and with --events-addr the POST
 * in Flux's format (severity, metadata, RFC-0008 annotations, no trace
 * events), retried on 5xx and given up on, with a clean shutdown while
 * writes are in flight.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "controller/events.h"
#include "tsrv.h"

/* ---- harness ---- */

static int64_t fake_now = 1700000000LL * 1000000000LL;

static int64_t
fake_clock(void)
{
	return fake_now;
}

struct fx {
	uv_loop_t loop;
	struct tsrv api, nc;
	bool with_nc;
	struct kube_client *kube;
	struct http_client *http;
	struct events_recorder *r;
	char api_url[64], nc_url[64];
};

static const struct events_object gen = {
	.api_version = "source.extensions.fluxcd.io/v1beta1",
	.kind = "ArtifactGenerator",
	.namespace = "apps",
	.name = "podinfo",
	.uid = "1234-5678",
	.resource_version = "42",
};

static void
fx_start(struct fx *f, const struct tsrv_resp *api, size_t napi,
    const struct tsrv_resp *nc, size_t nnc, struct events_opts *o)
{
	struct kube_config cfg = { 0 };
	struct kube_client_opts ko = { .qps = 0 };
	struct events_opts def = { 0 };
	struct err e = { .msg = "" };

	memset(f, 0, sizeof(*f));
	fake_now = 1700000000LL * 1000000000LL;
	uv_loop_init(&f->loop);
	tsrv_start(&f->api, &f->loop, api, napi);
	snprintf(f->api_url, sizeof(f->api_url), "http://127.0.0.1:%d",
	    f->api.port);
	cfg.server = f->api_url;
	cfg.token = "sekret";
	if (kube_client_new(&f->kube, &f->loop, &cfg, &ko, &e) < 0 ||
	    http_client_new(&f->http, &f->loop, NULL, &e) < 0)
		fail_msg("clients: %s", e.msg);
	if (o == NULL)
		o = &def;
	if (nc != NULL) {
		f->with_nc = true;
		tsrv_start(&f->nc, &f->loop, nc, nnc);
		snprintf(f->nc_url, sizeof(f->nc_url),
		    "http://127.0.0.1:%d/", f->nc.port);
		o->events_addr = f->nc_url;
	}
	o->kube = f->kube;
	o->http = f->http;
	o->controller_name = "source-watcher";
	o->instance = "source-watcher-abc";
	if (o->now_ns == NULL)
		o->now_ns = fake_clock;
	if (events_recorder_new(&f->r, &f->loop, o, &e) < 0)
		fail_msg("events_recorder_new: %s", e.msg);
}

static void
fx_stop(struct fx *f)
{
	events_recorder_free(f->r);
	kube_client_destroy(f->kube);
	http_client_destroy(f->http);
	tsrv_close(&f->api);
	if (f->with_nc)
		tsrv_close(&f->nc);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
}

static void
wake_cb(uv_timer_t *t)
{
	(void)t;
}

/* Runs the loop until *count reaches n, or ms milliseconds passed. */
static void
fx_until(struct fx *f, const unsigned long *count, unsigned long n,
    uint64_t ms)
{
	uint64_t until;
	uv_timer_t wake;

	uv_update_time(&f->loop);
	until = uv_now(&f->loop) + ms;
	uv_timer_init(&f->loop, &wake);
	uv_timer_start(&wake, wake_cb, 5, 5);
	while (*count < n && uv_now(&f->loop) < until)
		uv_run(&f->loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&wake, NULL);
	uv_run(&f->loop, UV_RUN_NOWAIT);
}

static struct events_stats
fx_stats(struct fx *f)
{
	struct events_stats st;

	events_stats_get(f->r, &st);
	return st;
}

/* Waits for the API server's n-th request and the stats to settle. */
static void
fx_api_wait(struct fx *f, size_t n)
{
	unsigned long got;
	uint64_t until;

	uv_update_time(&f->loop);
	until = uv_now(&f->loop) + 5000;
	for (;;) {
		struct events_stats st = fx_stats(f);

		got = st.created + st.failed;
		if (f->api.nreq >= n || uv_now(&f->loop) >= until)
			break;
		fx_until(f, &got, got + 1, 20);
	}
	assert_int_equal(f->api.nreq, n);
	/* let its answer arrive */
	got = 0;
	fx_until(f, &got, 1, 50);
}

static json_t *
req_json(const struct tsrv_req *q)
{
	json_error_t je;
	json_t *j = json_loads(q->body, 0, &je);

	if (j == NULL)
		fail_msg("request body is not JSON: %s (%s)", je.text, q->body);
	return j;
}

static const char *
jstr(const json_t *o, const char *path)
{
	char buf[256], *p, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = strtok_r(buf, ".", &save); p != NULL;
	    p = strtok_r(NULL, ".", &save))
		o = json_object_get(o, p);
	return json_string_value(o);
}

static long long
jint(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* ---- core/v1 Events ---- */

static void
test_event_created_on_the_object(void **state)
{
	static const struct tsrv_resp api[] = { { 201, "{}", 0, NULL } };
	json_t *ann = json_pack("{s:s}", "source.toolkit.fluxcd.io/revision",
	    "latest@sha256:abc");
	struct fx f;
	json_t *b;

	(void)state;
	fx_start(&f, api, 1, NULL, 0, NULL);
	events_record(f.r, &gen, EVENT_TYPE_NORMAL, "ReconciliationSucceeded",
	    "reconciliation succeeded, generated 2 artifact(s)", ann);
	json_decref(ann);
	fx_api_wait(&f, 1);
	assert_string_equal(f.api.reqs[0].line,
	    "POST /api/v1/namespaces/apps/events");
	b = req_json(&f.api.reqs[0]);
	assert_string_equal(jstr(b, "involvedObject.kind"),
	    "ArtifactGenerator");
	assert_string_equal(jstr(b, "involvedObject.name"), "podinfo");
	assert_string_equal(jstr(b, "involvedObject.uid"), "1234-5678");
	assert_string_equal(jstr(b, "involvedObject.apiVersion"),
	    "source.extensions.fluxcd.io/v1beta1");
	assert_string_equal(jstr(b, "type"), "Normal");
	assert_string_equal(jstr(b, "reason"), "ReconciliationSucceeded");
	assert_string_equal(jstr(b, "source.component"), "source-watcher");
	assert_string_equal(jstr(b, "firstTimestamp"), "2023-11-14T22:13:20Z");
	assert_int_equal(jint(b, "count"), 1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_object_get(b, "metadata"), "annotations"),
	    "source.toolkit.fluxcd.io/revision")), "latest@sha256:abc");
	assert_non_null(strstr(jstr(b, "metadata.name"), "podinfo."));
	json_decref(b);
	assert_int_equal(fx_stats(&f).created, 1);
	assert_int_equal(fx_stats(&f).failed, 0);
	fx_stop(&f);
}

static void
test_repeat_patches_count_and_last_timestamp(void **state)
{
	static const struct tsrv_resp api[] = {
		{ 201, "{}", 0, NULL }, { 200, "{}", 0, NULL },
		{ 201, "{}", 0, NULL },
	};
	struct fx f;
	json_t *b0, *b1;
	char want[512];

	(void)state;
	fx_start(&f, api, 3, NULL, 0, NULL);
	events_record(f.r, &gen, EVENT_TYPE_WARNING, "BuildFailed", "boom",
	    NULL);
	fx_api_wait(&f, 1);
	fake_now += 90LL * 1000000000LL;
	events_record(f.r, &gen, EVENT_TYPE_WARNING, "BuildFailed", "boom",
	    NULL);
	fx_api_wait(&f, 2);
	b0 = req_json(&f.api.reqs[0]);
	snprintf(want, sizeof(want), "PATCH /api/v1/namespaces/apps/events/%s",
	    jstr(b0, "metadata.name"));
	assert_string_equal(f.api.reqs[1].line, want);
	assert_non_null(strstr(f.api.reqs[1].headers,
	    "application/merge-patch+json"));
	b1 = req_json(&f.api.reqs[1]);
	assert_int_equal(jint(b1, "count"), 2);
	assert_string_equal(jstr(b1, "lastTimestamp"), "2023-11-14T22:14:50Z");
	assert_string_equal(jstr(b1, "message"), "boom");
	json_decref(b0);
	json_decref(b1);
	/* Another message is another Event. */
	events_record(f.r, &gen, EVENT_TYPE_WARNING, "BuildFailed", "bang",
	    NULL);
	fx_api_wait(&f, 3);
	assert_string_equal(f.api.reqs[2].line,
	    "POST /api/v1/namespaces/apps/events");
	assert_int_equal(fx_stats(&f).created, 2);
	assert_int_equal(fx_stats(&f).aggregated, 1);
	fx_stop(&f);
}

static void
test_repeats_while_in_flight_are_one_patch(void **state)
{
	static const struct tsrv_resp api[] = {
		{ 201, "{}", 0, NULL }, { 200, "{}", 0, NULL },
	};
	struct fx f;
	json_t *b;
	int i;

	(void)state;
	fx_start(&f, api, 2, NULL, 0, NULL);
	for (i = 0; i < 4; i++)
		events_record(f.r, &gen, EVENT_TYPE_WARNING,
		    "SourceFetchFailed", "source GitRepository/apps/a not "
		    "found", NULL);
	fx_api_wait(&f, 2);
	assert_non_null(strstr(f.api.reqs[1].line, "PATCH "));
	b = req_json(&f.api.reqs[1]);
	assert_int_equal(jint(b, "count"), 4);
	json_decref(b);
	/* nothing more is sent */
	{
		unsigned long never = 0;

		fx_until(&f, &never, 1, 100);
	}
	assert_int_equal(f.api.nreq, 2);
	assert_int_equal(fx_stats(&f).aggregated, 3);
	fx_stop(&f);
}

static void
test_expired_event_is_created_again(void **state)
{
	static const struct tsrv_resp api[] = {
		{ 201, "{}", 0, NULL },
		{ 404, "{\"kind\":\"Status\",\"code\":404,\"reason\":"
		    "\"NotFound\",\"message\":\"events \\\"x\\\" not found\"}",
		    0, NULL },
		{ 201, "{}", 0, NULL },
	};
	struct fx f;
	json_t *b0, *b2;

	(void)state;
	fx_start(&f, api, 3, NULL, 0, NULL);
	events_record(f.r, &gen, EVENT_TYPE_NORMAL, "NewArtifact", "a", NULL);
	fx_api_wait(&f, 1);
	fake_now += 3600LL * 1000000000LL;
	events_record(f.r, &gen, EVENT_TYPE_NORMAL, "NewArtifact", "a", NULL);
	fx_api_wait(&f, 3);
	assert_string_equal(f.api.reqs[2].line,
	    "POST /api/v1/namespaces/apps/events");
	b0 = req_json(&f.api.reqs[0]);
	b2 = req_json(&f.api.reqs[2]);
	assert_string_equal(jstr(b2, "metadata.name"),
	    jstr(b0, "metadata.name"));
	assert_int_equal(jint(b2, "count"), 2);
	assert_string_equal(jstr(b2, "firstTimestamp"), "2023-11-14T22:13:20Z");
	assert_string_equal(jstr(b2, "lastTimestamp"), "2023-11-14T23:13:20Z");
	json_decref(b0);
	json_decref(b2);
	assert_int_equal(fx_stats(&f).created, 2);
	assert_int_equal(fx_stats(&f).failed, 0);
	fx_stop(&f);
}

static void
test_rate_budget_per_object(void **state)
{
	static struct tsrv_resp api[TSRV_MAX_REQS];
	struct events_object other = gen;
	struct fx f;
	char msg[32];
	int i;

	(void)state;
	for (i = 0; i < TSRV_MAX_REQS; i++)
		api[i] = (struct tsrv_resp){ 201, "{}", 0, NULL };
	fx_start(&f, api, TSRV_MAX_REQS, NULL, 0, NULL);
	for (i = 0; i < 30; i++) {
		snprintf(msg, sizeof(msg), "message %d", i);
		events_record(f.r, &gen, EVENT_TYPE_NORMAL, "Progressing", msg,
		    NULL);
	}
	assert_int_equal(fx_stats(&f).dropped, 5);
	/* another object has its own budget */
	other.name = "other";
	other.uid = "9";
	events_record(f.r, &other, EVENT_TYPE_NORMAL, "Progressing", "x",
	    NULL);
	fx_api_wait(&f, 26);
	/* one more after 5 minutes, not two */
	fake_now += 300LL * 1000000000LL;
	events_record(f.r, &gen, EVENT_TYPE_NORMAL, "Progressing", "late 1",
	    NULL);
	events_record(f.r, &gen, EVENT_TYPE_NORMAL, "Progressing", "late 2",
	    NULL);
	fx_api_wait(&f, 27);
	assert_int_equal(fx_stats(&f).created, 27);
	assert_int_equal(fx_stats(&f).dropped, 6);
	fx_stop(&f);
}

static void
test_cache_is_bounded(void **state)
{
	static const struct tsrv_resp api[] = {
		{ 201, "{}", 0, NULL }, { 201, "{}", 0, NULL },
		{ 201, "{}", 0, NULL }, { 201, "{}", 0, NULL },
		{ 200, "{}", 0, NULL },
	};
	struct events_opts o = { .cache_size = 2 };
	struct fx f;

	(void)state;
	fx_start(&f, api, 5, NULL, 0, &o);
	events_record(f.r, &gen, EVENT_TYPE_NORMAL, "R", "a", NULL);
	events_record(f.r, &gen, EVENT_TYPE_NORMAL, "R", "b", NULL);
	events_record(f.r, &gen, EVENT_TYPE_NORMAL, "R", "c", NULL);
	fx_api_wait(&f, 3);
	/* "a" was pushed out: created again; "c" is still known: patched */
	events_record(f.r, &gen, EVENT_TYPE_NORMAL, "R", "a", NULL);
	fx_api_wait(&f, 4);
	events_record(f.r, &gen, EVENT_TYPE_NORMAL, "R", "a", NULL);
	fx_api_wait(&f, 5);
	assert_non_null(strstr(f.api.reqs[3].line, "POST "));
	assert_non_null(strstr(f.api.reqs[4].line, "PATCH "));
	assert_int_equal(fx_stats(&f).created, 4);
	fx_stop(&f);
}

static void
test_refused_write_is_counted_not_fatal(void **state)
{
	static const struct tsrv_resp api[] = {
		{ 403, "{\"kind\":\"Status\",\"code\":403,\"reason\":"
		    "\"Forbidden\",\"message\":\"events is forbidden\"}", 0,
		    NULL },
	};
	struct events_object bad = gen;
	struct fx f;

	(void)state;
	fx_start(&f, api, 1, NULL, 0, NULL);
	events_record(f.r, &gen, EVENT_TYPE_WARNING, "BuildFailed", "x", NULL);
	fx_api_wait(&f, 1);
	assert_int_equal(fx_stats(&f).failed, 1);
	assert_int_equal(fx_stats(&f).created, 0);
	/* an object without a name is refused before any request */
	bad.name = NULL;
	events_record(f.r, &bad, EVENT_TYPE_WARNING, "BuildFailed", "x", NULL);
	assert_int_equal(fx_stats(&f).failed, 2);
	assert_int_equal(f.api.nreq, 1);
	fx_stop(&f);
}

/* ---- --events-addr ---- */

static void
fx_nc_wait(struct fx *f, size_t n)
{
	uint64_t until;
	unsigned long never = 0;

	uv_update_time(&f->loop);
	until = uv_now(&f->loop) + 5000;
	while (f->nc.nreq < n && uv_now(&f->loop) < until)
		fx_until(f, &never, 1, 20);
	assert_int_equal(f->nc.nreq, n);
	fx_until(f, &never, 1, 50);
}

static void
test_forwarded_in_flux_format(void **state)
{
	static const struct tsrv_resp api[] = {
		{ 201, "{}", 0, NULL }, { 201, "{}", 0, NULL },
		{ 201, "{}", 0, NULL },
	};
	static const struct tsrv_resp nc[] = {
		{ 202, "", 0, NULL }, { 200, "", 0, NULL },
	};
	json_t *ann = json_pack("{s:s, s:s}",
	    "source.toolkit.fluxcd.io/revision", "latest@sha256:abc",
	    "event.toolkit.fluxcd.io/cluster", "call");
	json_t *objann = json_pack("{s:s, s:s}",
	    "event.toolkit.fluxcd.io/cluster", "edge-1",
	    "example.com/other", "not sent");
	struct events_object o = gen;
	struct fx f;
	json_t *b, *m;

	(void)state;
	o.annotations = objann;
	fx_start(&f, api, 3, nc, 2, NULL);
	events_record(f.r, &o, EVENT_TYPE_NORMAL, "ReconciliationSucceeded",
	    "generated 1 artifact(s)", ann);
	fx_nc_wait(&f, 1);
	assert_string_equal(f.nc.reqs[0].line, "POST /");
	assert_non_null(strstr(f.nc.reqs[0].headers,
	    "Content-Type: application/json"));
	b = req_json(&f.nc.reqs[0]);
	assert_string_equal(jstr(b, "involvedObject.kind"),
	    "ArtifactGenerator");
	assert_string_equal(jstr(b, "involvedObject.namespace"), "apps");
	assert_string_equal(jstr(b, "involvedObject.name"), "podinfo");
	assert_string_equal(jstr(b, "involvedObject.uid"), "1234-5678");
	assert_string_equal(jstr(b, "involvedObject.apiVersion"),
	    "source.extensions.fluxcd.io/v1beta1");
	assert_string_equal(jstr(b, "involvedObject.resourceVersion"), "42");
	assert_string_equal(jstr(b, "severity"), "info");
	assert_string_equal(jstr(b, "timestamp"), "2023-11-14T22:13:20Z");
	assert_string_equal(jstr(b, "message"), "generated 1 artifact(s)");
	assert_string_equal(jstr(b, "reason"), "ReconciliationSucceeded");
	assert_string_equal(jstr(b, "reportingController"), "source-watcher");
	assert_string_equal(jstr(b, "reportingInstance"),
	    "source-watcher-abc");
	m = json_object_get(b, "metadata");
	assert_int_equal(json_object_size(m), 2);
	assert_string_equal(json_string_value(json_object_get(m,
	    "source.toolkit.fluxcd.io/revision")), "latest@sha256:abc");
	assert_string_equal(json_string_value(json_object_get(m,
	    "event.toolkit.fluxcd.io/cluster")), "edge-1");
	json_decref(b);
	/* the Kubernetes Event carries the same annotations */
	b = req_json(&f.api.reqs[0]);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_object_get(b, "metadata"), "annotations"),
	    "event.toolkit.fluxcd.io/cluster")), "edge-1");
	json_decref(b);
	/* Warning is "error"; a trace event is a Normal Event, not sent */
	events_record(f.r, &gen, EVENT_TYPE_WARNING, "BuildFailed", "x", NULL);
	events_record(f.r, &gen, EVENT_TYPE_TRACE, "ReconciliationDisabled",
	    "Reconciliation is disabled", NULL);
	fx_nc_wait(&f, 2);
	fx_api_wait(&f, 3);
	b = req_json(&f.nc.reqs[1]);
	assert_string_equal(jstr(b, "severity"), "error");
	assert_null(json_object_get(b, "metadata"));
	json_decref(b);
	b = req_json(&f.api.reqs[2]);
	assert_string_equal(jstr(b, "type"), "Normal");
	assert_string_equal(jstr(b, "reason"), "ReconciliationDisabled");
	json_decref(b);
	assert_int_equal(fx_stats(&f).forwarded, 2);
	assert_int_equal(f.nc.nreq, 2);
	json_decref(ann);
	json_decref(objann);
	fx_stop(&f);
}

static void
test_forward_retries_5xx_then_gives_up(void **state)
{
	static const struct tsrv_resp api[] = {
		{ 201, "{}", 0, NULL }, { 201, "{}", 0, NULL },
		{ 201, "{}", 0, NULL },
	};
	static const struct tsrv_resp nc[] = {
		{ 500, "", 0, NULL }, { 502, "", 0, NULL },
		{ 500, "", 0, NULL },
		{ 503, "", 0, "Retry-After: 0\r\n" }, { 200, "", 0, NULL },
		{ 429, "", 0, NULL },
	};
	struct events_opts o = { .forward_retries = 2,
		.forward_wait_min_ms = 20 };
	struct fx f;
	uint64_t t0;

	(void)state;
	fx_start(&f, api, 3, nc, 6, &o);
	uv_update_time(&f.loop);
	t0 = uv_now(&f.loop);
	events_record(f.r, &gen, EVENT_TYPE_WARNING, "BuildFailed", "a", NULL);
	fx_nc_wait(&f, 3);
	/* waits of 20 then 40 ms between the three attempts */
	assert_true(f.nc.reqs[1].at_ms - f.nc.reqs[0].at_ms >= 20);
	assert_true(f.nc.reqs[2].at_ms - f.nc.reqs[1].at_ms >= 40);
	assert_true(f.nc.reqs[2].at_ms - t0 < 2000);
	assert_int_equal(fx_stats(&f).retried, 2);
	assert_int_equal(fx_stats(&f).failed, 1);
	assert_int_equal(fx_stats(&f).forwarded, 0);
	/* a 503 with Retry-After is retried and then accepted */
	events_record(f.r, &gen, EVENT_TYPE_WARNING, "BuildFailed", "b", NULL);
	fx_nc_wait(&f, 5);
	assert_int_equal(fx_stats(&f).forwarded, 1);
	assert_int_equal(fx_stats(&f).retried, 3);
	/* a 429 (a duplicate for notification-controller) is not retried */
	events_record(f.r, &gen, EVENT_TYPE_WARNING, "BuildFailed", "c", NULL);
	fx_nc_wait(&f, 6);
	{
		unsigned long never = 0;

		fx_until(&f, &never, 1, 100);
	}
	assert_int_equal(f.nc.nreq, 6);
	assert_int_equal(fx_stats(&f).retried, 3);
	assert_int_equal(fx_stats(&f).forwarded, 2);
	assert_int_equal(fx_stats(&f).failed, 1);
	fx_stop(&f);
}

static void
test_free_with_writes_in_flight(void **state)
{
	static const struct tsrv_resp api[] = { { 0, NULL, 1, NULL } };
	static const struct tsrv_resp nc[] = { { 500, "", 0, NULL } };
	struct events_opts o = { .forward_wait_min_ms = 10000 };
	struct fx f;

	(void)state;
	fx_start(&f, api, 1, nc, 1, &o);
	events_record(f.r, &gen, EVENT_TYPE_WARNING, "BuildFailed", "a", NULL);
	fx_nc_wait(&f, 1);
	assert_int_equal(fx_stats(&f).retried, 1);
	assert_int_equal(f.api.nreq, 1);
	/* a POST waiting to retry and a create never answered: fx_stop
	 * frees the recorder, and the loop ends with nothing left */
	fx_stop(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_event_created_on_the_object),
		cmocka_unit_test(test_repeat_patches_count_and_last_timestamp),
		cmocka_unit_test(test_repeats_while_in_flight_are_one_patch),
		cmocka_unit_test(test_expired_event_is_created_again),
		cmocka_unit_test(test_rate_budget_per_object),
		cmocka_unit_test(test_cache_is_bounded),
		cmocka_unit_test(test_refused_write_is_counted_not_fatal),
		cmocka_unit_test(test_forwarded_in_flux_format),
		cmocka_unit_test(test_forward_retries_5xx_then_gives_up),
		cmocka_unit_test(test_free_with_writes_in_flight),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
