/*
 * Unit tests for src/kube/client.c and verbs.c against the scripted
 * loopback HTTP server of tsrv.h (plain http, one uv loop): what goes on the
 * wire for each verb (method, path, query, headers, body), decoded answers,
 * Status errors, 429 with Retry-After, 5xx retried only for idempotent
 * verbs, list paging, watch streaming and its ERROR event, a token re-read
 * after a 401, cancellation and destroy with requests in flight, client-side
 * rate limiting, the priority lane (Lease renewals pass a saturated ordinary
 * lane), the API Priority and Fairness probe switching the limiter off. The
 * real API server is exercised by test/integration.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "kube/client.h"
#include "tsrv.h"

/* ---- harness ---- */

struct fx {
	uv_loop_t loop;
	struct tsrv srv;
	struct kube_client *c;
	char url[64];
	char *dir;		/* temp dir holding the token file, or NULL */
	char *token;		/* its path */
	/* outcome of the last done */
	int ndone;
	int status;
	int code;
	char reason[64];
	char msg[ERR_MSG_MAX];
	char *obj;		/* JSON dump of obj */
	char items[16][64];
	int nitems;
	char events[16][64];
	int nevents;
};

static void
fx_start(struct fx *f, const struct tsrv_resp *script, size_t n,
    const struct kube_client_opts *o, const char *token_file)
{
	struct kube_config cfg = { 0 };
	struct kube_client_opts def = { .qps = 0 };
	struct err e = { .msg = "" };

	memset(f, 0, sizeof(*f));
	uv_loop_init(&f->loop);
	tsrv_start(&f->srv, &f->loop, script, n);
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d", f->srv.port);
	cfg.server = f->url;
	cfg.token = token_file ? NULL : "sekret";
	cfg.token_file = (char *)token_file;
	if (kube_client_new(&f->c, &f->loop, &cfg, o ? o : &def, &e) < 0)
		fail_msg("kube_client_new: %s", e.msg);
}

/* Runs the loop until n callbacks completed (bounded by 10 s). */
static void
fx_wait(struct fx *f, int n)
{
	uint64_t until = uv_now(&f->loop) + 10000;

	while (f->ndone < n && uv_now(&f->loop) < until)
		uv_run(&f->loop, UV_RUN_ONCE);
	assert_int_equal(f->ndone, n);
}

static void
wake_cb(uv_timer_t *t)
{
	(void)t;
}

/* Runs the loop for ms milliseconds (a timer wakes it at the end). */
static void
fx_run_ms(struct fx *f, uint64_t ms)
{
	uint64_t until = uv_now(&f->loop) + ms;
	uv_timer_t wake;

	uv_timer_init(&f->loop, &wake);
	uv_timer_start(&wake, wake_cb, ms, 0);
	while (uv_now(&f->loop) < until)
		uv_run(&f->loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&wake, NULL);
	uv_run(&f->loop, UV_RUN_NOWAIT);
}

static void
fx_stop(struct fx *f)
{
	kube_client_destroy(f->c);
	tsrv_close(&f->srv);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	free(f->obj);
	free(f->token);
	if (f->dir)
		tu_rmtree(f->dir);
}

/* fx_start with the API token read from a new temp file holding token. */
static void
fx_start_token_file(struct fx *f, const struct tsrv_resp *script, size_t n,
    const struct kube_client_opts *o, const char *token)
{
	char *dir = tu_mkdtemp(), *tok = tu_path(dir, "token");

	tu_write_str(dir, "token", token);
	fx_start(f, script, n, o, tok);
	f->dir = dir;
	f->token = tok;
}

static void
done_cb(void *data, int status, json_t *obj, const struct kube_status *st,
    const struct err *e)
{
	struct fx *f = data;

	f->ndone++;
	f->status = status;
	free(f->obj);
	f->obj = obj ? json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	if (status == KUBE_OK) {
		assert_null(st);
		assert_string_equal(e->msg, "");
	} else {
		assert_non_null(st);
		assert_null(obj);
	}
	f->code = st ? st->code : 0;
	snprintf(f->reason, sizeof(f->reason), "%s", st ? st->reason : "");
	snprintf(f->msg, sizeof(f->msg), "%s", e->msg);
}

static int
item_cb(void *data, json_t *item, struct err *e)
{
	struct fx *f = data;

	(void)e;
	assert_true(f->nitems < 16);
	snprintf(f->items[f->nitems++], 64, "%s",
	    json_string_value(json_object_get(json_object_get(item,
	    "metadata"), "name")));
	return 0;
}

static int
event_cb(void *data, const struct kube_watch_event *ev, struct err *e)
{
	struct fx *f = data;

	(void)e;
	assert_true(f->nevents < 16);
	snprintf(f->events[f->nevents++], 64, "%s %s",
	    kube_watch_type_name(ev->type),
	    kube_object_resource_version(ev->object) ?
	    kube_object_resource_version(ev->object) : "-");
	return 0;
}

static const struct kube_resource cm_x = { .version = "v1",
	.resource = "configmaps", .namespaced = true, .namespace = "ns",
	.name = "x" };
static const struct kube_resource cms = { .version = "v1",
	.resource = "configmaps", .namespaced = true, .namespace = "ns" };

#define CM_X "{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\"}}"
#define NOT_FOUND "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":" \
	"\"Failure\",\"message\":\"configmaps \\\"x\\\" not found\"," \
	"\"reason\":\"NotFound\",\"code\":404}"

/* ---- tests ---- */

static void
test_get_ok_and_wire_format(void **state)
{
	static const struct tsrv_resp script[] = { { 200, CM_X, 0, NULL } };
	struct fx f;
	struct err e;
	struct kube_request *req = NULL;

	(void)state;
	fx_start(&f, script, 1, NULL, NULL);
	assert_int_equal(kube_get(f.c, &cm_x, done_cb, &f, &req, &e), 0);
	assert_non_null(req);
	assert_int_equal(f.ndone, 0);	/* never inside the call */
	fx_wait(&f, 1);
	assert_int_equal(f.status, KUBE_OK);
	assert_string_equal(f.obj, "{\"kind\":\"ConfigMap\",\"metadata\":"
	    "{\"name\":\"x\"}}");
	assert_string_equal(f.srv.reqs[0].line,
	    "GET /api/v1/namespaces/ns/configmaps/x");
	assert_non_null(strstr(f.srv.reqs[0].headers,
	    "Authorization: Bearer sekret\r\n"));
	assert_non_null(strstr(f.srv.reqs[0].headers,
	    "Accept: application/json\r\n"));
	assert_non_null(strstr(f.srv.reqs[0].headers,
	    "User-Agent: artifact-generator/"));
	fx_stop(&f);
}

static void
test_status_errors_are_decoded(void **state)
{
	static const struct tsrv_resp script[] = {
		{ 404, NOT_FOUND, 0, NULL },
		{ 409, "{\"kind\":\"Status\",\"code\":409,\"reason\":"
		  "\"Conflict\",\"message\":\"Apply failed with 1 conflict: "
		  "conflict with \\\"other\\\": .spec.url\"}", 0, NULL },
		{ 502, "<html>bad gateway</html>", 0, NULL },
	};
	struct kube_write_opts wo = { .field_manager = "ag" };
	json_t *body = json_pack("{s:s}", "kind", "ConfigMap");
	struct fx f;
	struct err e;

	(void)state;
	fx_start(&f, script, 3, NULL, NULL);
	assert_int_equal(kube_get(f.c, &cm_x, done_cb, &f, NULL, &e), 0);
	fx_wait(&f, 1);
	assert_int_equal(f.status, KUBE_EAPI);
	assert_int_equal(f.code, 404);
	assert_string_equal(f.reason, "NotFound");
	assert_string_equal(f.msg, "get configmaps \"ns/x\": NotFound (404): "
	    "configmaps \"x\" not found");
	assert_int_equal(kube_apply(f.c, &cm_x, body, &wo, done_cb, &f, NULL,
	    &e), 0);
	fx_wait(&f, 2);
	assert_int_equal(f.code, 409);
	assert_string_equal(f.msg, "apply configmaps \"ns/x\": Conflict (409): "
	    "Apply failed with 1 conflict: conflict with \"other\": .spec.url");
	/* A create is not retried on 5xx; the HTML body is quoted. */
	assert_int_equal(kube_create(f.c, &cms, body, NULL, done_cb, &f, NULL,
	    &e), 0);
	fx_wait(&f, 3);
	assert_int_equal(f.status, KUBE_EAPI);
	assert_int_equal(f.code, 502);
	assert_string_equal(f.msg, "create configmaps in namespace \"ns\": "
	    "Error (502): unexpected response body: \"<html>bad gateway</html>\"");
	assert_int_equal(f.srv.nreq, 3);
	json_decref(body);
	fx_stop(&f);
}

static void
test_429_retry_after_and_5xx_retry(void **state)
{
	static const struct tsrv_resp script[] = {
		{ 429, "{\"kind\":\"Status\",\"code\":429,\"reason\":"
		  "\"TooManyRequests\"}", 0, "Retry-After: 1\r\n" },
		{ 503, "{}", 0, NULL },
		{ 200, CM_X, 0, NULL },
	};
	struct fx f;
	struct err e;

	(void)state;
	fx_start(&f, script, 3, NULL, NULL);
	assert_int_equal(kube_get(f.c, &cm_x, done_cb, &f, NULL, &e), 0);
	fx_wait(&f, 1);
	assert_int_equal(f.status, KUBE_OK);
	assert_int_equal(f.srv.nreq, 3);
	/* Retry-After: 1 honoured (timer granularity aside). */
	assert_true(f.srv.reqs[1].at_ms - f.srv.reqs[0].at_ms >= 990);
	/* The 503 backoff is jittered between 125 and 250 ms. */
	assert_true(f.srv.reqs[2].at_ms - f.srv.reqs[1].at_ms >= 120);
	assert_true(f.srv.reqs[2].at_ms - f.srv.reqs[1].at_ms < 1000);
	fx_stop(&f);
}

static void
test_retries_are_bounded(void **state)
{
	static const struct tsrv_resp script[] = {
		{ 500, "{}", 0, NULL }, { 500, "{}", 0, NULL },
		{ 500, "{}", 0, NULL },
	};
	struct kube_client_opts o = { .max_retries = 2 };
	struct fx f;
	struct err e;

	(void)state;
	fx_start(&f, script, 3, &o, NULL);
	assert_int_equal(kube_get(f.c, &cm_x, done_cb, &f, NULL, &e), 0);
	fx_wait(&f, 1);
	assert_int_equal(f.status, KUBE_EAPI);
	assert_int_equal(f.code, 500);
	assert_int_equal(f.srv.nreq, 3);
	fx_stop(&f);
}

#define PREFIX "create configmaps in namespace \"ns\": "

static void
test_dropped_connection_retried_only_when_idempotent(void **state)
{
	static const struct tsrv_resp script[] = {
		{ 0, NULL, 2, NULL }, { 200, CM_X, 0, NULL },
		{ 0, NULL, 2, NULL }, { 0, NULL, 2, NULL },
	};
	json_t *body = json_pack("{s:s}", "kind", "ConfigMap");
	struct fx f;
	struct err e;

	(void)state;
	fx_start(&f, script, 4, NULL, NULL);
	assert_int_equal(kube_get(f.c, &cm_x, done_cb, &f, NULL, &e), 0);
	fx_wait(&f, 1);
	assert_int_equal(f.status, KUBE_OK);
	assert_int_equal(f.srv.nreq, 2);
	assert_int_equal(kube_create(f.c, &cms, body, NULL, done_cb, &f, NULL,
	    &e), 0);
	fx_wait(&f, 2);
	assert_int_equal(f.status, KUBE_ENET);
	assert_int_equal(f.code, 0);
	assert_true(strncmp(f.msg, PREFIX, strlen(PREFIX)) == 0);
	/* At most the HTTP client's own single retry of a request that
	 * failed on a reused connection; no backoff retries for a create. */
	assert_true(f.srv.nreq <= 4);
	json_decref(body);
	fx_stop(&f);
}

static void
test_list_all_pages(void **state)
{
	static const struct tsrv_resp script[] = {
		{ 200, "{\"kind\":\"ConfigMapList\",\"metadata\":{"
		  "\"continue\":\"c+1\",\"resourceVersion\":\"5\"},\"items\":["
		  "{\"metadata\":{\"name\":\"a\"}},{\"metadata\":{\"name\":"
		  "\"b\"}}]}", 0, NULL },
		{ 200, "{\"kind\":\"ConfigMapList\",\"metadata\":{"
		  "\"continue\":\"c2\",\"resourceVersion\":\"5\"},\"items\":["
		  "{\"metadata\":{\"name\":\"c\"}},{\"metadata\":{\"name\":"
		  "\"d\"}}]}", 0, NULL },
		{ 200, "{\"kind\":\"ConfigMapList\",\"metadata\":{"
		  "\"resourceVersion\":\"5\"},\"items\":[{\"metadata\":{"
		  "\"name\":\"e\"}}]}", 0, NULL },
	};
	struct kube_list_opts lo = { .limit = 2, .label_selector = "a in (x)" };
	struct fx f;
	struct err e;

	(void)state;
	fx_start(&f, script, 3, NULL, NULL);
	assert_int_equal(kube_list_all(f.c, &cms, &lo, item_cb, done_cb, &f,
	    NULL, &e), 0);
	fx_wait(&f, 1);
	assert_int_equal(f.status, KUBE_OK);
	assert_int_equal(f.nitems, 5);
	assert_string_equal(f.items[0], "a");
	assert_string_equal(f.items[4], "e");
	assert_string_equal(f.obj, "{\"kind\":\"ConfigMapList\",\"metadata\":"
	    "{\"resourceVersion\":\"5\"}}");
	assert_string_equal(f.srv.reqs[0].line, "GET /api/v1/namespaces/ns/"
	    "configmaps?labelSelector=a+in+%28x%29&limit=2");
	assert_string_equal(f.srv.reqs[1].line, "GET /api/v1/namespaces/ns/"
	    "configmaps?labelSelector=a+in+%28x%29&limit=2&continue=c%2B1");
	assert_string_equal(f.srv.reqs[2].line, "GET /api/v1/namespaces/ns/"
	    "configmaps?labelSelector=a+in+%28x%29&limit=2&continue=c2");
	fx_stop(&f);
}

static void
test_watch_streams_and_stops_on_error_event(void **state)
{
	static const struct tsrv_resp script[] = {
		{ 200,
		  "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\","
		  "\"resourceVersion\":\"6\"}}}\n"
		  "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{"
		  "\"resourceVersion\":\"9\"}}}\n"
		  "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":"
		  "410,\"reason\":\"Expired\",\"message\":\"too old resource "
		  "version: 2 (9)\"}}\n", 0, NULL },
		{ 200, "{\"type\":\"DELETED\",\"object\":{\"metadata\":{"
		  "\"name\":\"a\",\"resourceVersion\":\"10\"}}}\n", 0, NULL },
	};
	struct kube_watch_opts wo = { .resource_version = "5",
	    .timeout_seconds = 300 };
	struct fx f;
	struct err e;

	(void)state;
	fx_start(&f, script, 2, NULL, NULL);
	assert_int_equal(kube_watch(f.c, &cms, &wo, event_cb, done_cb, &f,
	    NULL, &e), 0);
	fx_wait(&f, 1);
	assert_int_equal(f.nevents, 2);
	assert_string_equal(f.events[0], "ADDED 6");
	assert_string_equal(f.events[1], "BOOKMARK 9");
	assert_int_equal(f.status, KUBE_EAPI);
	assert_int_equal(f.code, 410);
	assert_string_equal(f.msg, "watch configmaps in namespace \"ns\": "
	    "Expired (410): too old resource version: 2 (9)");
	assert_string_equal(f.srv.reqs[0].line, "GET /api/v1/namespaces/ns/"
	    "configmaps?resourceVersion=5&watch=true&allowWatchBookmarks=true"
	    "&timeoutSeconds=300");
	/* A stream the server ends normally completes with KUBE_OK. */
	wo.resource_version = "9";
	assert_int_equal(kube_watch(f.c, &cms, &wo, event_cb, done_cb, &f,
	    NULL, &e), 0);
	fx_wait(&f, 2);
	assert_int_equal(f.status, KUBE_OK);
	assert_int_equal(f.nevents, 3);
	assert_string_equal(f.events[2], "DELETED 10");
	fx_stop(&f);
}

static void
test_watch_malformed_event_is_a_decode_error(void **state)
{
	static const struct tsrv_resp script[] = {
		{ 200, "{\"type\":\"ADDED\",\"object\":{}}\n{not json\n",
		  0, NULL },
	};
	struct fx f;
	struct err e;

	(void)state;
	fx_start(&f, script, 1, NULL, NULL);
	assert_int_equal(kube_watch(f.c, &cms, NULL, event_cb, done_cb, &f,
	    NULL, &e), 0);
	fx_wait(&f, 1);
	assert_int_equal(f.nevents, 1);
	assert_int_equal(f.status, KUBE_EDECODE);
	assert_int_equal(f.code, 0);
	assert_true(strncmp(f.msg, "watch configmaps in namespace \"ns\": ",
	    strlen("watch configmaps in namespace \"ns\": ")) == 0);
	fx_stop(&f);
}

static void
test_write_verbs_on_the_wire(void **state)
{
	static const struct tsrv_resp script[] = {
		{ 200, CM_X, 0, NULL }, { 200, CM_X, 0, NULL },
		{ 200, CM_X, 0, NULL }, { 201, CM_X, 0, NULL },
		{ 200, "{\"kind\":\"Status\",\"status\":\"Success\"}", 0, NULL },
		{ 201, "{\"kind\":\"Event\"}", 0, NULL },
	};
	struct kube_resource st = cm_x;
	struct kube_write_opts wo = { .field_manager = "artifact-generator",
	    .force = true };
	struct kube_delete_opts dopt = { .propagation_policy = "Background",
	    .grace_period_seconds = -1 };
	struct kube_event ev = { .kind = "ConfigMap", .namespace = "ns",
	    .name = "x", .reason = "R", .message = "m" };
	json_t *body = json_pack("{s:s,s:s}", "apiVersion", "v1", "kind",
	    "ConfigMap");
	json_t *jp = json_pack("[{s:s,s:s}]", "op", "remove", "path", "/x");
	struct fx f;
	struct err e;

	(void)state;
	st.subresource = "status";
	fx_start(&f, script, 6, NULL, NULL);
	/* One at a time: concurrent requests may use several connections
	 * and reach the server in any order. */
	assert_int_equal(kube_apply(f.c, &st, body, &wo, done_cb, &f, NULL,
	    &e), 0);
	fx_wait(&f, 1);
	assert_int_equal(kube_patch_merge(f.c, &cm_x, body, NULL, done_cb, &f,
	    NULL, &e), 0);
	fx_wait(&f, 2);
	assert_int_equal(kube_patch_json(f.c, &cm_x, jp, NULL, done_cb, &f,
	    NULL, &e), 0);
	fx_wait(&f, 3);
	wo.force = false;
	wo.dry_run = true;
	assert_int_equal(kube_create(f.c, &cms, body, &wo, done_cb, &f, NULL,
	    &e), 0);
	fx_wait(&f, 4);
	assert_int_equal(kube_delete(f.c, &cm_x, &dopt, done_cb, &f, NULL,
	    &e), 0);
	fx_wait(&f, 5);
	assert_int_equal(kube_event_create(f.c, &ev, done_cb, &f, NULL, &e),
	    0);
	fx_wait(&f, 6);
	assert_int_equal(f.status, KUBE_OK);
	assert_string_equal(f.srv.reqs[0].line, "PATCH /api/v1/namespaces/ns/"
	    "configmaps/x/status?fieldManager=artifact-generator&force=true");
	assert_non_null(strstr(f.srv.reqs[0].headers,
	    "Content-Type: application/apply-patch+yaml\r\n"));
	assert_string_equal(f.srv.reqs[0].body,
	    "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\"}");
	assert_string_equal(f.srv.reqs[1].line,
	    "PATCH /api/v1/namespaces/ns/configmaps/x");
	assert_non_null(strstr(f.srv.reqs[1].headers,
	    "Content-Type: application/merge-patch+json\r\n"));
	assert_non_null(strstr(f.srv.reqs[2].headers,
	    "Content-Type: application/json-patch+json\r\n"));
	assert_string_equal(f.srv.reqs[2].body,
	    "[{\"op\":\"remove\",\"path\":\"/x\"}]");
	assert_string_equal(f.srv.reqs[3].line, "POST /api/v1/namespaces/ns/"
	    "configmaps?fieldManager=artifact-generator&dryRun=All");
	assert_string_equal(f.srv.reqs[4].line,
	    "DELETE /api/v1/namespaces/ns/configmaps/x");
	assert_string_equal(f.srv.reqs[4].body, "{\"apiVersion\":\"v1\","
	    "\"kind\":\"DeleteOptions\",\"propagationPolicy\":\"Background\"}");
	assert_string_equal(f.srv.reqs[5].line,
	    "POST /api/v1/namespaces/ns/events");
	assert_non_null(strstr(f.srv.reqs[5].body, "\"involvedObject\":{"
	    "\"kind\":\"ConfigMap\",\"namespace\":\"ns\",\"name\":\"x\"}"));
	json_decref(body);
	json_decref(jp);
	fx_stop(&f);
}

static void
test_invalid_arguments_start_nothing(void **state)
{
	struct kube_resource noname = cms;
	struct kube_write_opts nofm = { 0 };
	json_t *body = json_object();
	struct fx f;
	struct err e;

	(void)state;
	fx_start(&f, NULL, 0, NULL, NULL);
	assert_int_equal(kube_get(f.c, &noname, done_cb, &f, NULL, &e), -1);
	assert_string_equal(e.msg, "get configmaps: no object name");
	assert_int_equal(kube_apply(f.c, &cm_x, body, &nofm, done_cb, &f,
	    NULL, &e), -1);
	assert_string_equal(e.msg, "apply configmaps: a field manager is "
	    "required");
	assert_int_equal(kube_patch_json(f.c, &cm_x, body, NULL, done_cb, &f,
	    NULL, &e), -1);
	assert_string_equal(e.msg, "patch configmaps: a JSON patch is an "
	    "array");
	noname.name = "a/b";
	assert_int_equal(kube_get(f.c, &noname, done_cb, &f, NULL, &e), -1);
	assert_string_equal(e.msg, "get: resource name \"a/b\": may not be "
	    "'.' or '..' or contain '/' or '%'");
	assert_int_equal(kube_get(f.c, &cm_x, NULL, &f, NULL, &e), -1);
	uv_run(&f.loop, UV_RUN_NOWAIT);
	assert_int_equal(f.ndone, 0);
	assert_int_equal(f.srv.nreq, 0);
	json_decref(body);
	fx_stop(&f);
}

static void
test_token_reread_after_401(void **state)
{
	static const struct tsrv_resp script[] = {
		{ 401, "{\"kind\":\"Status\",\"code\":401,\"reason\":"
		  "\"Unauthorized\",\"message\":\"Unauthorized\"}", 0, NULL },
		{ 200, CM_X, 0, NULL },
	};
	struct fx f;
	struct err e;

	(void)state;
	fx_start_token_file(&f, script, 2, NULL, "old-token\n");
	/* The token rotates after the client read it. */
	tu_write_str(f.dir, "token", "new-token\n");
	assert_int_equal(kube_get(f.c, &cm_x, done_cb, &f, NULL, &e), 0);
	fx_wait(&f, 1);
	assert_int_equal(f.status, KUBE_OK);
	assert_non_null(strstr(f.srv.reqs[0].headers, "Bearer old-token\r\n"));
	assert_non_null(strstr(f.srv.reqs[1].headers, "Bearer new-token\r\n"));
	fx_stop(&f);
}

static void
test_token_file_reread_periodically(void **state)
{
	static const struct tsrv_resp script[] = {
		{ 200, CM_X, 0, NULL }, { 200, CM_X, 0, NULL },
	};
	struct kube_client_opts o = { .token_refresh_ms = 50 };
	struct fx f;
	struct err e;

	(void)state;
	fx_start_token_file(&f, script, 2, &o, "first\n");
	assert_int_equal(kube_get(f.c, &cm_x, done_cb, &f, NULL, &e), 0);
	fx_wait(&f, 1);
	tu_write_str(f.dir, "token", "second\n");
	fx_run_ms(&f, 200);
	/* A failed re-read (file gone) keeps the last good token. */
	remove(f.token);
	fx_run_ms(&f, 120);
	assert_int_equal(kube_get(f.c, &cm_x, done_cb, &f, NULL, &e), 0);
	fx_wait(&f, 2);
	assert_non_null(strstr(f.srv.reqs[0].headers, "Bearer first\r\n"));
	assert_non_null(strstr(f.srv.reqs[1].headers, "Bearer second\r\n"));
	fx_stop(&f);
}

static void
test_cancel_and_destroy_in_flight(void **state)
{
	static const struct tsrv_resp script[] = {
		{ 0, NULL, 1, NULL }, { 0, NULL, 1, NULL },
	};
	struct kube_request *req;
	struct fx f;
	struct err e;

	(void)state;
	fx_start(&f, script, 2, NULL, NULL);
	assert_int_equal(kube_get(f.c, &cm_x, done_cb, &f, &req, &e), 0);
	while (f.srv.nreq < 1)
		uv_run(&f.loop, UV_RUN_ONCE);
	kube_request_cancel(req);
	assert_int_equal(f.ndone, 0);
	fx_wait(&f, 1);
	assert_int_equal(f.status, KUBE_ECANCELED);
	assert_string_equal(f.msg, "get configmaps \"ns/x\": canceled");
	/* Destroy with a request held by the server and one not yet sent. */
	assert_int_equal(kube_get(f.c, &cm_x, done_cb, &f, NULL, &e), 0);
	while (f.srv.nreq < 2)
		uv_run(&f.loop, UV_RUN_ONCE);
	assert_int_equal(kube_list(f.c, &cms, NULL, done_cb, &f, NULL, &e), 0);
	kube_client_destroy(f.c);
	f.c = NULL;
	fx_wait(&f, 3);
	assert_int_equal(f.status, KUBE_ECANCELED);
	fx_stop(&f);
}

static void
test_inflight_cap_queues_requests(void **state)
{
	static const struct tsrv_resp script[] = {
		{ 0, NULL, 1, NULL },
		{ 200, "{\"type\":\"ADDED\",\"object\":{\"metadata\":"
		  "{\"name\":\"w\",\"resourceVersion\":\"1\"}}}\n", 0, NULL },
		{ 200, "{\"kind\":\"ConfigMapList\",\"items\":[]}", 0, NULL },
	};
	struct kube_client_opts o = { .max_inflight = 1 };
	struct kube_request *held, *queued;
	struct fx f;
	struct err e;

	(void)state;
	fx_start(&f, script, 3, &o, NULL);
	assert_int_equal(kube_get(f.c, &cm_x, done_cb, &f, &held, &e), 0);
	while (f.srv.nreq < 1)
		uv_run(&f.loop, UV_RUN_ONCE);
	assert_int_equal(kube_list(f.c, &cms, NULL, done_cb, &f, &queued,
	    &e), 0);
	fx_run_ms(&f, 100);
	assert_int_equal(f.srv.nreq, 1);	/* the list waits its turn */
	/* A queued request can be cancelled ... */
	kube_request_cancel(queued);
	fx_wait(&f, 1);
	assert_int_equal(f.status, KUBE_ECANCELED);
	assert_int_equal(kube_list(f.c, &cms, NULL, done_cb, &f, NULL, &e), 0);
	/* ... and a watch never waits for a slot. */
	assert_int_equal(kube_watch(f.c, &cms, NULL, event_cb, done_cb, &f,
	    NULL, &e), 0);
	fx_run_ms(&f, 100);
	assert_int_equal(f.srv.nreq, 2);
	assert_true(strstr(f.srv.reqs[1].line, "watch=true") != NULL);
	/* Finishing the held request sends the queued list. */
	kube_request_cancel(held);
	fx_wait(&f, 4);
	assert_int_equal(f.srv.nreq, 3);
	assert_string_equal(f.srv.reqs[2].line,
	    "GET /api/v1/namespaces/ns/configmaps");
	assert_int_equal(f.nevents, 1);
	assert_int_equal(f.status, KUBE_OK);
	assert_string_equal(f.obj, "{\"items\":[],\"kind\":\"ConfigMapList\"}");
	fx_stop(&f);
}

static void
test_client_side_rate_limit(void **state)
{
	static const struct tsrv_resp script[] = {
		{ 200, CM_X, 0, NULL }, { 200, CM_X, 0, NULL },
		{ 200, CM_X, 0, NULL },
	};
	struct kube_client_opts o = { .qps = 10, .burst = 1 };
	struct fx f;
	struct err e;
	int i;

	(void)state;
	fx_start(&f, script, 3, &o, NULL);
	for (i = 0; i < 3; i++)
		assert_int_equal(kube_get(f.c, &cm_x, done_cb, &f, NULL, &e),
		    0);
	fx_wait(&f, 3);
	/* One token at once, then one per 100 ms. */
	assert_true(f.srv.reqs[2].at_ms - f.srv.reqs[0].at_ms >= 190);
	fx_stop(&f);
}


static const struct kube_resource lease = { .group = "coordination.k8s.io",
    .version = "v1", .resource = "leases", .namespaced = true,
    .namespace = "ns", .name = "leader" };
#define LEASE "{\"kind\":\"Lease\",\"metadata\":{\"name\":\"leader\"," \
	"\"resourceVersion\":\"7\"}}"

/* Eight slow ordinary requests fill every slot, two more wait for a token
 * and a slot: the Lease get and update on the priority lane still go out
 * and complete at once. */
static void
test_priority_lane_passes_a_saturated_lane(void **state)
{
	static const struct tsrv_resp script[] = {
		{ 0, NULL, 1, NULL }, { 0, NULL, 1, NULL },
		{ 0, NULL, 1, NULL }, { 0, NULL, 1, NULL },
		{ 0, NULL, 1, NULL }, { 0, NULL, 1, NULL },
		{ 0, NULL, 1, NULL }, { 0, NULL, 1, NULL },
		{ 200, LEASE, 0, NULL }, { 200, LEASE, 0, NULL },
		{ 200, CM_X, 0, NULL }, { 200, CM_X, 0, NULL },
	};
	struct kube_client_opts o = { .qps = 1, .burst = 8 };
	struct kube_write_opts wo = { .lane = KUBE_LANE_PRIORITY };
	json_t *body = json_pack("{s:s, s:s, s:{s:s, s:s}}", "apiVersion",
	    "coordination.k8s.io/v1", "kind", "Lease", "metadata", "name",
	    "leader", "resourceVersion", "7");
	uint64_t t0;
	struct fx f;
	struct err e;
	int i;

	(void)state;
	fx_start(&f, script, 12, &o, NULL);
	for (i = 0; i < 10; i++)
		assert_int_equal(kube_get(f.c, &cm_x, done_cb, &f, NULL, &e),
		    0);
	while (f.srv.nreq < 8)
		uv_run(&f.loop, UV_RUN_ONCE);
	t0 = uv_now(&f.loop);
	assert_int_equal(kube_get_lane(f.c, &lease, KUBE_LANE_PRIORITY,
	    done_cb, &f, NULL, &e), 0);
	fx_wait(&f, 1);
	assert_int_equal(f.status, KUBE_OK);
	assert_string_equal(f.srv.reqs[8].line,
	    "GET /apis/coordination.k8s.io/v1/namespaces/ns/leases/leader");
	assert_int_equal(kube_update(f.c, &lease, body, &wo, done_cb, &f,
	    NULL, &e), 0);
	fx_wait(&f, 2);
	assert_int_equal(f.status, KUBE_OK);
	assert_string_equal(f.srv.reqs[9].line,
	    "PUT /apis/coordination.k8s.io/v1/namespaces/ns/leases/leader");
	/* Neither waited for the limiter's next token (1 s) nor a slot. */
	print_message("priority lane: Lease get + update in %llu ms past 8 "
	    "held and 2 queued requests\n",
	    (unsigned long long)(uv_now(&f.loop) - t0));
	assert_true(uv_now(&f.loop) - t0 < 900);
	assert_int_equal(f.srv.nreq, 10);
	json_decref(body);
	fx_stop(&f);
}

#define APF_HEADERS "X-Kubernetes-PF-FlowSchema-UID: 5f3c\r\n" \
	"X-Kubernetes-PF-PriorityLevel-UID: 9a1e\r\n"

/* Probe and gets race for the server's first answers, so every answer is
 * the same: with or without the Priority and Fairness headers. */
static void
probe_then_burst(struct fx *f, int probe_status, const char *headers, int n)
{
	static struct tsrv_resp script[12];
	struct kube_client_opts o = { .qps = 1, .burst = 2 };
	struct err e;
	int i;

	script[0] = (struct tsrv_resp){ probe_status, CM_X, 0, headers };
	for (i = 1; i < 12; i++)
		script[i] = (struct tsrv_resp){ 200, CM_X, 0, headers };
	fx_start(f, script, 12, &o, NULL);
	assert_false(kube_client_flowcontrol(f->c));
	assert_int_equal(kube_client_probe_flowcontrol(f->c, done_cb, f,
	    NULL, &e), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(kube_get(f->c, &cm_x, done_cb, f, NULL, &e),
		    0);
}

static bool
probe_was_sent(const struct fx *f)
{
	size_t i;

	for (i = 0; i < f->srv.nreq; i++)
		if (strcmp(f->srv.reqs[i].line, "GET /livez/ping") == 0)
			return true;
	return false;
}

static void
test_flowcontrol_headers_disable_the_rate_limit(void **state)
{
	uint64_t t0;
	struct fx f;

	(void)state;
	probe_then_burst(&f, 200, APF_HEADERS, 8);
	t0 = uv_now(&f.loop);
	/* qps 1 burst 2 would spread 8 gets over 6 s; the probe's answer
	 * releases the ones waiting for a token. */
	fx_wait(&f, 9);
	print_message("flowcontrol: probe + 8 gets (qps 1, burst 2) in %llu "
	    "ms\n", (unsigned long long)(uv_now(&f.loop) - t0));
	assert_true(uv_now(&f.loop) - t0 < 900);
	assert_true(kube_client_flowcontrol(f.c));
	assert_true(probe_was_sent(&f));
	assert_int_equal(f.srv.nreq, 9);
	fx_stop(&f);
}

/* A service account may not GET /livez/ping: the 403 carries the headers
 * all the same, and they decide. */
static void
test_flowcontrol_headers_on_a_forbidden_probe(void **state)
{
	struct fx f;

	(void)state;
	probe_then_burst(&f, 403, APF_HEADERS, 0);
	fx_wait(&f, 1);
	assert_true(kube_client_flowcontrol(f.c));
	assert_true(probe_was_sent(&f));
	fx_stop(&f);
}

static void
test_no_flowcontrol_headers_keep_the_rate_limit(void **state)
{
	uint64_t first = UINT64_MAX, last = 0;
	struct fx f;
	size_t i;

	(void)state;
	probe_then_burst(&f, 200, NULL, 4);
	fx_wait(&f, 5);
	assert_false(kube_client_flowcontrol(f.c));
	assert_true(probe_was_sent(&f));
	for (i = 0; i < f.srv.nreq; i++) {
		if (strcmp(f.srv.reqs[i].line, "GET /livez/ping") == 0)
			continue;
		first = f.srv.reqs[i].at_ms < first ? f.srv.reqs[i].at_ms :
		    first;
		last = f.srv.reqs[i].at_ms > last ? f.srv.reqs[i].at_ms : last;
	}
	/* Two tokens at once, then one per second. */
	assert_true(last - first >= 1900);
	fx_stop(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_ok_and_wire_format),
		cmocka_unit_test(test_status_errors_are_decoded),
		cmocka_unit_test(test_429_retry_after_and_5xx_retry),
		cmocka_unit_test(test_retries_are_bounded),
		cmocka_unit_test(test_dropped_connection_retried_only_when_idempotent),
		cmocka_unit_test(test_list_all_pages),
		cmocka_unit_test(test_watch_streams_and_stops_on_error_event),
		cmocka_unit_test(test_watch_malformed_event_is_a_decode_error),
		cmocka_unit_test(test_write_verbs_on_the_wire),
		cmocka_unit_test(test_invalid_arguments_start_nothing),
		cmocka_unit_test(test_token_reread_after_401),
		cmocka_unit_test(test_token_file_reread_periodically),
		cmocka_unit_test(test_cancel_and_destroy_in_flight),
		cmocka_unit_test(test_inflight_cap_queues_requests),
		cmocka_unit_test(test_client_side_rate_limit),
		cmocka_unit_test(test_priority_lane_passes_a_saturated_lane),
		cmocka_unit_test(test_flowcontrol_headers_disable_the_rate_limit),
		cmocka_unit_test(test_flowcontrol_headers_on_a_forbidden_probe),
		cmocka_unit_test(test_no_flowcontrol_headers_keep_the_rate_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
