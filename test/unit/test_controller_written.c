/*
 * Unit tests for rc_ctx_seen (src/controller/reconcile.c): the record of
 * our last write of an object (its resourceVersion) lives only until the
 * informer delivers that version or a newer one, so 1000 generators at
 * rest keep no such records; an older version keeps it (the store still
 * lags our write, and the reconcile waits for it). rc_ctx_record_write
 * makes no record when the watch event came before the API server's
 * answer (nothing later would drop it).
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "controller/reconcile.h"

static void
rv_free(void *p)
{
	free(p);
}

static void
test_record_dropped_once_delivered(void **state)
{
	struct kube_store *w = kube_store_new(rv_free);

	(void)state;
	assert_int_equal(kube_store_put(w, "ns", "g", strdup("120"), NULL), 0);
	rc_ctx_seen(w, "ns", "g", "119");
	assert_string_equal(kube_store_get(w, "ns", "g"), "120");
	rc_ctx_seen(w, "ns", "g", NULL);
	assert_string_equal(kube_store_get(w, "ns", "g"), "120");
	rc_ctx_seen(w, "ns", "g", "120");
	assert_null(kube_store_get(w, "ns", "g"));

	/* a newer version (someone else's write after ours) also ends it */
	assert_int_equal(kube_store_put(w, "ns", "g", strdup("99"), NULL), 0);
	rc_ctx_seen(w, "ns", "g", "1000");
	assert_null(kube_store_get(w, "ns", "g"));
	kube_store_free(w);
}

static void
test_unparsable_version_never_holds_back(void **state)
{
	struct kube_store *w = kube_store_new(rv_free);

	(void)state;
	assert_int_equal(kube_store_put(w, "ns", "g", strdup("abc"), NULL), 0);
	rc_ctx_seen(w, "ns", "g", "5");
	assert_null(kube_store_get(w, "ns", "g"));
	/* other objects are left alone */
	assert_int_equal(kube_store_put(w, "ns", "a", strdup("7"), NULL), 0);
	rc_ctx_seen(w, "ns", "b", "9");
	assert_string_equal(kube_store_get(w, "ns", "a"), "7");
	kube_store_free(w);
}

static void *
rv_project(const json_t *obj)
{
	(void)obj;
	return strdup("projection");
}

static const struct kube_informer_handlers rv_handlers = {
	.project = rv_project, .free = rv_free,
};

/* obj as the API server answers a write: metadata.name/namespace/rv. */
static json_t *
answer(const char *name, const char *rv)
{
	return json_pack("{s:{s:s, s:s, s:s}}", "metadata", "name", name,
	    "namespace", "ns", "resourceVersion", rv);
}

static void
test_no_record_when_the_event_came_first(void **state)
{
	struct kube_store *w = kube_store_new(rv_free);
	struct kube_cache c;
	struct err e;
	json_t *in_cache = answer("g", "120"), *a;

	(void)state;
	assert_int_equal(kube_cache_init(&c, &rv_handlers, NULL, &e), 0);
	kube_cache_list_begin(&c);
	assert_int_equal(kube_cache_list_item(&c, in_cache, &e), 0);
	kube_cache_list_end(&c, "120");

	/* the informer already holds 120: our write's 120 is not recorded */
	a = answer("g", "120");
	rc_ctx_record_write(w, &c, "ns", "g", a);
	assert_null(kube_store_get(w, "ns", "g"));
	json_decref(a);
	/* nor an older answer, and an old record of it goes */
	assert_int_equal(kube_store_put(w, "ns", "g", strdup("110"), NULL), 0);
	a = answer("g", "115");
	rc_ctx_record_write(w, &c, "ns", "g", a);
	assert_null(kube_store_get(w, "ns", "g"));
	json_decref(a);
	/* a newer answer is recorded until the informer delivers it */
	a = answer("g", "121");
	rc_ctx_record_write(w, &c, "ns", "g", a);
	assert_string_equal(kube_store_get(w, "ns", "g"), "121");
	json_decref(a);
	/* an object the informer has not seen yet is recorded */
	a = answer("new", "130");
	rc_ctx_record_write(w, &c, "ns", "new", a);
	assert_string_equal(kube_store_get(w, "ns", "new"), "130");
	json_decref(a);

	json_decref(in_cache);
	kube_cache_free(&c);
	kube_store_free(w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_dropped_once_delivered),
		cmocka_unit_test(test_unparsable_version_never_holds_back),
		cmocka_unit_test(test_no_record_when_the_event_came_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
