/*
 * Unit tests for src/kube/url.c and src/kube/event.c: request paths for core
 * and group resources, namespaced and cluster-scoped, objects and
 * subresources; invalid path segments refused; query values escaped like Go's
 * url.QueryEscape (label selectors intact); the names used in messages;
 * header composition (bearer token, content type, no header injection); the
 * core/v1 Event document Flux's recorder writes.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "kube/url.h"

static char *
path_of(const struct kube_resource *r)
{
	struct kube_buf b = { 0 };
	struct err e = { .msg = "" };

	if (kube_url_path(&b, "https://h:6443/pre", r, &e) < 0)
		fail_msg("unexpected error: %s", e.msg);
	return b.p;
}

static void
expect_path(const struct kube_resource *r, const char *want)
{
	char *p = path_of(r);

	assert_string_equal(p, want);
	free(p);
}

static void
test_paths(void **state)
{
	struct kube_resource cm = { .version = "v1", .resource = "configmaps",
	    .namespaced = true, .namespace = "flux-system" };
	struct kube_resource ea = { .group = "source.toolkit.fluxcd.io",
	    .version = "v1", .resource = "externalartifacts",
	    .namespaced = true, .namespace = "ns", .name = "x",
	    .subresource = "status" };
	struct kube_resource crd = { .group = "apiextensions.k8s.io",
	    .version = "v1", .resource = "customresourcedefinitions",
	    .name = "a.b.io" };

	(void)state;
	expect_path(&cm, "https://h:6443/pre/api/v1/namespaces/flux-system/"
	    "configmaps");
	cm.namespace = NULL;
	expect_path(&cm, "https://h:6443/pre/api/v1/configmaps");
	cm.namespace = "";
	expect_path(&cm, "https://h:6443/pre/api/v1/configmaps");
	expect_path(&ea, "https://h:6443/pre/apis/source.toolkit.fluxcd.io/v1/"
	    "namespaces/ns/externalartifacts/x/status");
	ea.subresource = NULL;
	expect_path(&ea, "https://h:6443/pre/apis/source.toolkit.fluxcd.io/v1/"
	    "namespaces/ns/externalartifacts/x");
	expect_path(&crd, "https://h:6443/pre/apis/apiextensions.k8s.io/v1/"
	    "customresourcedefinitions/a.b.io");
	/* Characters outside the path set are percent-encoded. */
	crd.name = "a b?#";
	expect_path(&crd, "https://h:6443/pre/apis/apiextensions.k8s.io/v1/"
	    "customresourcedefinitions/a%20b%3F%23");
}

static void
expect_path_error(const struct kube_resource *r, const char *msg)
{
	struct kube_buf b = { 0 };
	struct err e = { .msg = "" };

	assert_int_equal(kube_url_path(&b, "https://h", r, &e), -1);
	assert_string_equal(e.msg, msg);
	kube_buf_free(&b);
}

static void
test_invalid_segments(void **state)
{
	struct kube_resource r = { .version = "v1", .resource = "secrets",
	    .namespaced = true, .namespace = "ns", .name = ".." };

	(void)state;
	expect_path_error(&r, "resource name \"..\": may not be '.' or '..' or "
	    "contain '/' or '%'");
	r.name = "a/b";
	expect_path_error(&r, "resource name \"a/b\": may not be '.' or '..' "
	    "or contain '/' or '%'");
	r.name = "a%2f";
	expect_path_error(&r, "resource name \"a%2f\": may not be '.' or '..' "
	    "or contain '/' or '%'");
	r.name = "x";
	r.namespace = NULL;
	expect_path_error(&r, "secrets \"x\": namespace required");
	r.namespace = "ns";
	r.namespaced = false;
	expect_path_error(&r, "resource secrets is cluster-scoped but a "
	    "namespace \"ns\" was given");
	r.namespaced = true;
	r.version = "";
	expect_path_error(&r, "resource version: empty");
	r.version = "v1";
	r.name = NULL;
	r.subresource = "status";
	expect_path_error(&r, "resource secrets: subresource \"status\" needs "
	    "an object name");
	r.resource = NULL;
	r.subresource = NULL;
	expect_path_error(&r, "resource resource: empty");
}

static void
test_query_escaping(void **state)
{
	struct kube_buf b = { 0 };

	(void)state;
	kube_buf_str(&b, "https://h/api/v1/pods");
	kube_url_query(&b, "labelSelector",
	    "app in (a,b),!legacy,tier!=x y");
	kube_url_query(&b, "fieldSelector", "");
	kube_url_query(&b, "fieldSelector", NULL);
	kube_url_query_uint(&b, "limit", 50);
	kube_url_query(&b, "continue", "eyJ2Ijoi+/=");
	assert_false(b.failed);
	assert_string_equal(b.p, "https://h/api/v1/pods"
	    "?labelSelector=app+in+%28a%2Cb%29%2C%21legacy%2Ctier%21%3Dx+y"
	    "&limit=50&continue=eyJ2Ijoi%2B%2F%3D");
	kube_buf_free(&b);
}

static void
test_url_bound(void **state)
{
	struct kube_buf b = { 0 };
	char *big = malloc(KUBE_URL_MAX);

	(void)state;
	memset(big, 'a', KUBE_URL_MAX - 1);
	big[KUBE_URL_MAX - 1] = '\0';
	kube_buf_str(&b, "https://h/x");
	kube_url_query(&b, "labelSelector", big);
	assert_true(b.failed);
	kube_buf_free(&b);
	free(big);
}

static void
test_what(void **state)
{
	struct kube_resource r = { .group = "g", .version = "v1",
	    .resource = "gitrepositories", .namespaced = true };
	char w[128];

	(void)state;
	kube_url_what(w, sizeof(w), &r);
	assert_string_equal(w, "gitrepositories in all namespaces");
	r.namespace = "flux";
	kube_url_what(w, sizeof(w), &r);
	assert_string_equal(w, "gitrepositories in namespace \"flux\"");
	r.name = "podinfo";
	r.subresource = "status";
	kube_url_what(w, sizeof(w), &r);
	assert_string_equal(w, "gitrepositories/status \"flux/podinfo\"");
	r.namespaced = false;
	r.namespace = NULL;
	r.subresource = NULL;
	kube_url_what(w, sizeof(w), &r);
	assert_string_equal(w, "gitrepositories \"podinfo\"");
	r.name = NULL;
	kube_url_what(w, sizeof(w), &r);
	assert_string_equal(w, "gitrepositories");
}

static void
test_headers(void **state)
{
	struct kube_headers h;
	struct err e = { .msg = "" };

	(void)state;
	assert_int_equal(kube_headers_compose(&h, "tok.en", "ag/1",
	    "application/apply-patch+yaml", &e), 0);
	assert_string_equal(h.vec[0], "Accept: application/json");
	assert_string_equal(h.vec[1], "User-Agent: ag/1");
	assert_string_equal(h.vec[2], "Authorization: Bearer tok.en");
	assert_string_equal(h.vec[3],
	    "Content-Type: application/apply-patch+yaml");
	assert_null(h.vec[4]);
	kube_headers_free(&h);

	assert_int_equal(kube_headers_compose(&h, NULL, "ag/1", NULL, &e), 0);
	assert_string_equal(h.vec[1], "User-Agent: ag/1");
	assert_null(h.vec[2]);
	kube_headers_free(&h);
	assert_int_equal(kube_headers_compose(&h, "", "ag/1", NULL, &e), 0);
	assert_null(h.vec[2]);
	kube_headers_free(&h);

	/* A token with a line break would inject headers: refused, and the
	 * message does not quote the secret. */
	assert_int_equal(kube_headers_compose(&h, "abc\r\nX-Evil: 1", "ag/1",
	    NULL, &e), -1);
	assert_string_equal(e.msg, "Authorization header: value contains a "
	    "line break");
	assert_null(strstr(e.msg, "abc"));
}

static void
test_event_document(void **state)
{
	json_t *ann = json_pack("{s:s}", "source.toolkit.fluxcd.io/revision",
	    "latest@sha256:abc");
	struct kube_event ev = {
		.api_version = "source.extensions.fluxcd.io/v1beta1",
		.kind = "ArtifactGenerator", .namespace = "apps",
		.name = "gen", .uid = "u-1", .resource_version = "42",
		.type = "Warning", .reason = "BuildFailed",
		.message = "copy failed", .reporting_controller =
		"source-watcher", .reporting_instance = "pod-1",
		.annotations = ann,
	};
	/* 2026-11-22T04:00:00Z plus 5 ns. */
	int64_t now = 1795320000LL * 1000000000LL + 5;
	json_t *doc, *want;
	char name[64];

	(void)state;
	doc = kube_event_json(&ev, now);
	assert_non_null(doc);
	snprintf(name, sizeof(name), "gen.%llx", (unsigned long long)now);
	want = json_pack("{s:s, s:s, s:{s:s, s:s, s:O}, s:{s:s, s:s, s:s, "
	    "s:s, s:s, s:s}, s:s, s:s, s:s, s:{s:s}, s:s, s:s, s:i, s:s, "
	    "s:s}",
	    "apiVersion", "v1", "kind", "Event",
	    "metadata", "name", name, "namespace", "apps", "annotations", ann,
	    "involvedObject", "apiVersion",
	    "source.extensions.fluxcd.io/v1beta1", "kind", "ArtifactGenerator",
	    "namespace", "apps", "name", "gen", "uid", "u-1",
	    "resourceVersion", "42",
	    "reason", "BuildFailed", "message", "copy failed",
	    "type", "Warning", "source", "component", "source-watcher",
	    "firstTimestamp", "2026-11-22T04:00:00Z",
	    "lastTimestamp", "2026-11-22T04:00:00Z", "count", 1,
	    "reportingComponent", "source-watcher",
	    "reportingInstance", "pod-1");
	if (!json_equal(doc, want)) {
		char *got = json_dumps(doc, JSON_SORT_KEYS);
		fail_msg("event document: %s", got);
	}
	json_decref(doc);
	json_decref(want);
	json_decref(ann);
}

static void
test_event_message_truncated_on_utf8_boundary(void **state)
{
	char msg[1100];
	struct kube_event ev = { .kind = "K", .name = "n", .reason = "R",
	    .message = msg };
	const char *m;
	json_t *doc;

	(void)state;
	memset(msg, 'a', sizeof(msg));
	/* "é" (2 bytes) straddling byte 1024. */
	msg[1023] = (char)0xC3;
	msg[1024] = (char)0xA9;
	msg[sizeof(msg) - 1] = '\0';
	doc = kube_event_json(&ev, 0);
	assert_non_null(doc);
	m = json_string_value(json_object_get(doc, "message"));
	assert_int_equal(strlen(m), 1023);
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(doc, "metadata"), "namespace")), "default");
	assert_null(json_object_get(json_object_get(doc, "involvedObject"),
	    "namespace"));
	json_decref(doc);
	ev.reason = NULL;
	assert_null(kube_event_json(&ev, 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_invalid_segments),
		cmocka_unit_test(test_query_escaping),
		cmocka_unit_test(test_url_bound),
		cmocka_unit_test(test_what),
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_event_document),
		cmocka_unit_test(test_event_message_truncated_on_utf8_boundary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
