/*
 * Unit tests for rc_ctx_seen (src/controller/reconcile.c): the record of
 * our last write of an object (its resourceVersion) lives only until the
 * informer delivers that version or a newer one, so 1000 generators at
 * rest keep no such records; an older version keeps it (the store still
 * lags our write, and the reconcile waits for it).
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_dropped_once_delivered),
		cmocka_unit_test(test_unparsable_version_never_holds_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
