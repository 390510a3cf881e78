/*
 * Unit tests for src/kube/watch.c and src/kube/status.c: watch events framed
 * across arbitrary chunk boundaries decode to the same sequence, bookmarks
 * and 410 ERROR events are surfaced, malformed or oversized input fails with
 * a clear message, and Status bodies decode (or are quoted when not JSON).
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/status.h"
#include "kube/watch.h"

struct seen {
	char lines[16][96];
	int n;
};

static int
record_event(void *ctx, const struct kube_watch_event *ev, struct err *e)
{
	struct seen *s = ctx;
	const char *rv = kube_object_resource_version(ev->object);

	(void)e;
	assert_true(s->n < 16);
	snprintf(s->lines[s->n++], sizeof(s->lines[0]), "%s %s/%s rv=%s",
	    kube_watch_type_name(ev->type),
	    kube_object_namespace(ev->object) ? kube_object_namespace(ev->object) : "-",
	    kube_object_name(ev->object) ? kube_object_name(ev->object) : "-",
	    rv ? rv : "-");
	return 0;
}

static const char stream[] =
	"{\"type\":\"ADDED\",\"object\":{\"kind\":\"GitRepository\",\"metadata\":"
	"{\"namespace\":\"flux\",\"name\":\"a\",\"resourceVersion\":\"10\"}}}\n"
	"{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"namespace\":\"flux\","
	"\"name\":\"a\",\"resourceVersion\":\"11\",\"uid\":\"u-1\"}}}\r\n"
	"\n"
	"{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"15\"}}}\n"
	"{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"namespace\":\"flux\","
	"\"name\":\"a\",\"resourceVersion\":\"16\"}}}\n"
	"{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,"
	"\"reason\":\"Expired\",\"message\":\"too old resource version: 5 (16)\"}}\n";

static const char *const expected[] = {
	"ADDED flux/a rv=10",
	"MODIFIED flux/a rv=11",
	"BOOKMARK -/- rv=15",
	"DELETED flux/a rv=16",
	"ERROR -/- rv=-",
};

static void
check_seen(const struct seen *s)
{
	int i;

	assert_int_equal(s->n, 5);
	for (i = 0; i < 5; i++)
		assert_string_equal(s->lines[i], expected[i]);
}

static void
test_events_decode_whole(void **state)
{
	struct kube_watch_decoder d;
	struct seen s = {.n = 0};
	struct err e;

	(void)state;
	kube_watch_decoder_init(&d, 0, record_event, &s);
	assert_int_equal(kube_watch_decoder_feed(&d, stream, strlen(stream), &e), 0);
	assert_int_equal(kube_watch_decoder_finish(&d, &e), 0);
	kube_watch_decoder_free(&d);
	check_seen(&s);
}

static void
test_events_decode_across_every_chunk_size(void **state)
{
	size_t chunk, off, len = strlen(stream), n;
	struct kube_watch_decoder d;
	struct err e;

	(void)state;
	for (chunk = 1; chunk < 64; chunk++) {
		struct seen s = {.n = 0};

		kube_watch_decoder_init(&d, 0, record_event, &s);
		for (off = 0; off < len; off += n) {
			n = len - off < chunk ? len - off : chunk;
			assert_int_equal(kube_watch_decoder_feed(&d, stream + off,
			    n, &e), 0);
		}
		assert_int_equal(kube_watch_decoder_finish(&d, &e), 0);
		kube_watch_decoder_free(&d);
		check_seen(&s);
	}
}

static void
test_error_event_carries_status(void **state)
{
	const char *line = strstr(stream, "{\"type\":\"ERROR\"");
	json_t *root = json_loads(line, JSON_DISABLE_EOF_CHECK, NULL);
	struct kube_status st;

	(void)state;
	assert_non_null(root);
	assert_int_equal(kube_status_from_json(json_object_get(root, "object"),
	    &st), 0);
	assert_int_equal(st.code, 410);
	assert_string_equal(st.reason, "Expired");
	assert_string_equal(st.message, "too old resource version: 5 (16)");
	json_decref(root);
}

static void
test_malformed_streams_fail_clearly(void **state)
{
	struct kube_watch_decoder d;
	struct seen s = {.n = 0};
	struct err e;
	char big[300];

	(void)state;
	kube_watch_decoder_init(&d, 0, record_event, &s);
	assert_int_equal(kube_watch_decoder_feed(&d, "{\"type\":\"ADDED\",\n", 17, &e), -1);
	assert_non_null(strstr(e.msg, "invalid JSON"));
	kube_watch_decoder_free(&d);

	kube_watch_decoder_init(&d, 0, record_event, &s);
	assert_int_equal(kube_watch_decoder_feed(&d,
	    "{\"type\":\"EXPLODED\",\"object\":{}}\n", 33, &e), -1);
	assert_string_equal(e.msg, "watch event: unknown type \"EXPLODED\"");
	kube_watch_decoder_free(&d);

	kube_watch_decoder_init(&d, 0, record_event, &s);
	assert_int_equal(kube_watch_decoder_feed(&d, "{\"type\":\"ADDED\"}\n", 17, &e), -1);
	assert_string_equal(e.msg, "watch event: missing \"type\" or \"object\"");
	kube_watch_decoder_free(&d);

	/* Bounded: a line over max_line fails, buffered or not. */
	memset(big, 'x', sizeof(big));
	kube_watch_decoder_init(&d, 256, record_event, &s);
	assert_int_equal(kube_watch_decoder_feed(&d, big, 200, &e), 0);
	assert_int_equal(kube_watch_decoder_feed(&d, big, 100, &e), -1);
	assert_string_equal(e.msg, "watch event larger than 256 bytes");
	kube_watch_decoder_free(&d);

	/* Truncated stream. */
	kube_watch_decoder_init(&d, 0, record_event, &s);
	assert_int_equal(kube_watch_decoder_feed(&d, "{\"type\":", 8, &e), 0);
	assert_int_equal(kube_watch_decoder_finish(&d, &e), -1);
	assert_string_equal(e.msg, "watch stream ended inside an event (8 bytes pending)");
	kube_watch_decoder_free(&d);
	assert_int_equal(s.n, 0);
}

static int
stop_on_second(void *ctx, const struct kube_watch_event *ev, struct err *e)
{
	int *n = ctx;

	(void)ev;
	if (++*n == 2)
		return err_set(e, "handler refused event");
	return 0;
}

static void
test_callback_error_stops_decoding(void **state)
{
	struct kube_watch_decoder d;
	struct err e;
	int n = 0;

	(void)state;
	kube_watch_decoder_init(&d, 0, stop_on_second, &n);
	assert_int_equal(kube_watch_decoder_feed(&d, stream, strlen(stream), &e), -1);
	assert_string_equal(e.msg, "handler refused event");
	assert_int_equal(n, 2);
	kube_watch_decoder_free(&d);
}

static void
test_status_bodies(void **state)
{
	const char *forbidden = "{\"kind\":\"Status\",\"apiVersion\":\"v1\","
	    "\"status\":\"Failure\",\"message\":\"secrets is forbidden: User "
	    "\\\"system:serviceaccount:flux-system:artifact-generator\\\" cannot "
	    "list resource \\\"secrets\\\" in API group \\\"\\\" at the cluster "
	    "scope\",\"reason\":\"Forbidden\",\"code\":403}";
	const char *html = "<html>\x01 bad gateway</html>";
	struct kube_status st;
	struct err e;

	(void)state;
	kube_status_from_body(403, forbidden, strlen(forbidden), &st);
	assert_int_equal(st.code, 403);
	assert_string_equal(st.reason, "Forbidden");
	assert_false(kube_status_retryable(&st));
	kube_status_err(&e, "list", "secrets", &st);
	assert_non_null(strstr(e.msg, "list secrets: Forbidden (403): secrets is forbidden"));

	kube_status_from_body(502, html, strlen(html), &st);
	assert_int_equal(st.code, 502);
	assert_string_equal(st.message,
	    "unexpected response body: \"<html>. bad gateway</html>\"");
	assert_true(kube_status_retryable(&st));

	kube_status_from_body(429, NULL, 0, &st);
	assert_int_equal(st.code, 429);
	assert_true(kube_status_retryable(&st));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events_decode_whole),
		cmocka_unit_test(test_events_decode_across_every_chunk_size),
		cmocka_unit_test(test_error_event_carries_status),
		cmocka_unit_test(test_malformed_streams_fail_clearly),
		cmocka_unit_test(test_callback_error_stops_decoding),
		cmocka_unit_test(test_status_bodies),
	};
	return cmocka_run_group_tests_name("kube_watch", tests, NULL, NULL);
}
