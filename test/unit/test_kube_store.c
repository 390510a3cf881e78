/*
 * Unit tests for src/kube/store.c: the informer cache keeps one projection per
 * namespace/name, hands old projections back on replace/delete, grows past
 * its initial size, and a mark/put/sweep re-list removes exactly the objects
 * that vanished.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/store.h"

static int frees;

static void
count_free(void *p)
{
	frees++;
	free(p);
}

static char *
proj(const char *s)
{
	return strdup(s);
}

static void
test_put_get_replace_delete(void **state)
{
	struct kube_store *s = kube_store_new(count_free);
	void *old = NULL;

	(void)state;
	frees = 0;
	assert_int_equal(kube_store_put(s, "ns", "a", proj("v1"), NULL), 0);
	assert_int_equal(kube_store_put(s, "other", "a", proj("o1"), NULL), 0);
	assert_int_equal(kube_store_put(s, NULL, "cluster", proj("c1"), NULL), 0);
	assert_string_equal(kube_store_get(s, "ns", "a"), "v1");
	assert_string_equal(kube_store_get(s, "other", "a"), "o1");
	assert_string_equal(kube_store_get(s, "", "cluster"), "c1");
	assert_null(kube_store_get(s, "ns", "b"));
	/* "n"+"s/a" must not collide with "ns"+"a". */
	assert_null(kube_store_get(s, "n", "s/a"));

	assert_int_equal(kube_store_put(s, "ns", "a", proj("v2"), &old), 0);
	assert_string_equal(old, "v1");
	free(old);
	assert_string_equal(kube_store_get(s, "ns", "a"), "v2");
	assert_int_equal(kube_store_len(s), 3);

	assert_true(kube_store_delete(s, "ns", "a", &old));
	assert_string_equal(old, "v2");
	free(old);
	assert_false(kube_store_delete(s, "ns", "a", NULL));
	assert_true(kube_store_delete(s, "other", "a", NULL));
	assert_int_equal(frees, 1);
	assert_int_equal(kube_store_len(s), 1);
	kube_store_free(s);
	assert_int_equal(frees, 2);
}

static void
test_grows_to_many_objects(void **state)
{
	struct kube_store *s = kube_store_new(free);
	char name[32], want[32];
	int i;

	(void)state;
	for (i = 0; i < 20000; i++) {
		snprintf(name, sizeof(name), "obj-%d", i);
		assert_int_equal(kube_store_put(s, "ns", name, proj(name), NULL), 0);
	}
	assert_int_equal(kube_store_len(s), 20000);
	for (i = 0; i < 20000; i += 997) {
		snprintf(name, sizeof(name), "obj-%d", i);
		snprintf(want, sizeof(want), "obj-%d", i);
		assert_string_equal(kube_store_get(s, "ns", name), want);
	}
	kube_store_free(s);
}

struct visit_log {
	char seen[8][32];
	int n;
};

static void
record_visit(void *ctx, const char *ns, const char *name, void *p)
{
	struct visit_log *log = ctx;

	(void)p;
	assert_true(log->n < 8);
	snprintf(log->seen[log->n++], sizeof(log->seen[0]), "%s/%s", ns, name);
}

static void
test_relist_sweeps_only_vanished_objects(void **state)
{
	struct kube_store *s = kube_store_new(count_free);
	struct visit_log log = {.n = 0};

	(void)state;
	frees = 0;
	kube_store_put(s, "ns", "keep", proj("k1"), NULL);
	kube_store_put(s, "ns", "gone", proj("g1"), NULL);
	kube_store_put(s, "ns", "changed", proj("c1"), NULL);

	kube_store_mark_all(s);
	kube_store_put(s, "ns", "keep", proj("k2"), NULL);
	kube_store_put(s, "ns", "changed", proj("c2"), NULL);
	kube_store_put(s, "ns", "new", proj("n1"), NULL);
	assert_int_equal(kube_store_sweep(s, record_visit, &log), 1);
	assert_int_equal(log.n, 1);
	assert_string_equal(log.seen[0], "ns/gone");
	assert_null(kube_store_get(s, "ns", "gone"));
	assert_string_equal(kube_store_get(s, "ns", "changed"), "c2");
	assert_string_equal(kube_store_get(s, "ns", "new"), "n1");
	assert_int_equal(kube_store_len(s), 3);
	/* A second sweep without a mark removes nothing. */
	assert_int_equal(kube_store_sweep(s, NULL, NULL), 0);
	kube_store_free(s);
	assert_int_equal(frees, 6);
}

static void
count_visit(void *ctx, const char *ns, const char *name, void *p)
{
	(void)ns;
	(void)name;
	(void)p;
	(*(int *)ctx)++;
}

static void
test_foreach_visits_each_object_once(void **state)
{
	struct kube_store *s = kube_store_new(free);
	char name[16];
	int i, n = 0;

	(void)state;
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "o%d", i);
		kube_store_put(s, i % 2 ? "a" : "b", name, proj(name), NULL);
	}
	kube_store_foreach(s, count_visit, &n);
	assert_int_equal(n, 300);
	kube_store_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_replace_delete),
		cmocka_unit_test(test_grows_to_many_objects),
		cmocka_unit_test(test_relist_sweeps_only_vanished_objects),
		cmocka_unit_test(test_foreach_visits_each_object_once),
	};
	return cmocka_run_group_tests_name("kube_store", tests, NULL, NULL);
}
