/*
 * Unit tests for src/kube/store.c: the informer cache keeps one projection per
 * namespace/name, hands old projections back on replace/delete, grows past
 * its initial size, and a mark/put/sweep re-list removes exactly the objects
 * that vanished. The secondary index answers "which objects have key K"
 * exactly, as keys are set, changed, and as objects are deleted or swept.
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


/* The objects having key, sorted and joined by spaces ("ns/a ns/b"). */
struct names {
	char v[64][64];
	size_t n;
	char s[1024];
};

static void
names_visit(void *ctx, const char *ns, const char *name, void *p)
{
	struct names *n = ctx;

	(void)p;
	assert_true(n->n < 64);
	snprintf(n->v[n->n++], sizeof(n->v[0]), "%s/%s", ns, name);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static const char *
having(struct kube_store *s, const char *key, struct names *n)
{
	size_t i, len, count;

	n->n = 0;
	n->s[0] = '\0';
	count = kube_store_index_foreach(s, key, names_visit, n);
	assert_int_equal(count, n->n);
	assert_int_equal(kube_store_index_foreach(s, key, NULL, NULL), n->n);
	qsort(n->v, n->n, sizeof(n->v[0]), name_cmp);
	for (i = 0; i < n->n; i++) {
		len = strlen(n->s);
		snprintf(n->s + len, sizeof(n->s) - len, "%s%s", i ? " " : "",
		    n->v[i]);
	}
	return n->s;
}

static void
set_keys(struct kube_store *s, const char *ns, const char *name,
    const char *k1, const char *k2, const char *k3)
{
	const char *keys[3] = { k1, k2, k3 };
	size_t n = k3 ? 3 : k2 ? 2 : k1 ? 1 : 0;
	struct err e;

	if (kube_store_index_set(s, ns, name, keys, n, &e) < 0)
		fail_msg("kube_store_index_set: %s", e.msg);
}

static void
test_index_follows_key_changes(void **state)
{
	struct kube_store *s = kube_store_new(free);
	struct kube_index_stats st;
	struct names n;
	const char *keys[4];

	(void)state;
	kube_store_put(s, "ns", "a", proj("a"), NULL);
	kube_store_put(s, "ns", "b", proj("b"), NULL);
	kube_store_put(s, "other", "c", proj("c"), NULL);
	/* Nothing indexed yet: lookups answer nothing. */
	assert_string_equal(having(s, "Git/ns/x", &n), "");
	set_keys(s, "ns", "a", "Git/ns/x", "OCI/ns/y", NULL);
	set_keys(s, "ns", "b", "Git/ns/x", "Git/ns/x", NULL);	/* once */
	set_keys(s, "other", "c", "OCI/ns/y", NULL, NULL);
	assert_string_equal(having(s, "Git/ns/x", &n), "ns/a ns/b");
	assert_string_equal(having(s, "OCI/ns/y", &n), "ns/a other/c");
	assert_string_equal(having(s, "Git/ns/none", &n), "");
	assert_int_equal(kube_store_index_keys(s, "ns", "b", keys, 4), 1);
	assert_int_equal(kube_store_index_keys(s, "ns", "a", keys, 4), 2);
	assert_string_equal(keys[0], "Git/ns/x");
	assert_string_equal(keys[1], "OCI/ns/y");

	/* a stops using x and starts using z: it moves between buckets. */
	set_keys(s, "ns", "a", "OCI/ns/y", "Git/ns/z", NULL);
	assert_string_equal(having(s, "Git/ns/x", &n), "ns/b");
	assert_string_equal(having(s, "Git/ns/z", &n), "ns/a");
	assert_string_equal(having(s, "OCI/ns/y", &n), "ns/a other/c");
	/* Replacing the projection keeps the keys; clearing them drops it. */
	kube_store_put(s, "ns", "a", proj("a2"), NULL);
	assert_string_equal(having(s, "Git/ns/z", &n), "ns/a");
	set_keys(s, "ns", "a", NULL, NULL, NULL);
	assert_string_equal(having(s, "Git/ns/z", &n), "");
	assert_string_equal(having(s, "OCI/ns/y", &n), "other/c");
	/* A key nobody has any more costs nothing. */
	kube_store_index_stats(s, &st);
	assert_int_equal(st.keys, 2);
	assert_int_equal(st.postings, 2);
	kube_store_free(s);
}

static void
test_index_drops_deleted_and_swept_objects(void **state)
{
	struct kube_store *s = kube_store_new(free);
	struct kube_index_stats st;
	struct names n;

	(void)state;
	kube_store_put(s, "ns", "a", proj("a"), NULL);
	kube_store_put(s, "ns", "b", proj("b"), NULL);
	kube_store_put(s, "ns", "c", proj("c"), NULL);
	set_keys(s, "ns", "a", "k1", NULL, NULL);
	set_keys(s, "ns", "b", "k1", "k2", NULL);
	set_keys(s, "ns", "c", "k2", NULL, NULL);
	assert_true(kube_store_delete(s, "ns", "a", NULL));
	assert_string_equal(having(s, "k1", &n), "ns/b");
	/* Re-list: b vanished, c stayed. */
	kube_store_mark_all(s);
	kube_store_put(s, "ns", "c", proj("c2"), NULL);
	assert_int_equal(kube_store_sweep(s, NULL, NULL), 1);
	assert_string_equal(having(s, "k1", &n), "");
	assert_string_equal(having(s, "k2", &n), "ns/c");
	kube_store_index_stats(s, &st);
	assert_int_equal(st.keys, 1);
	assert_int_equal(st.postings, 1);
	/* A re-created object starts without keys. */
	kube_store_put(s, "ns", "b", proj("b2"), NULL);
	assert_int_equal(kube_store_index_keys(s, "ns", "b", NULL, 0), 0);
	assert_string_equal(having(s, "k2", &n), "ns/c");
	kube_store_free(s);
}

static void
test_index_limits_keep_the_old_keys(void **state)
{
	static const char *many[KUBE_INDEX_KEYS_MAX + 1];
	char long_key[KUBE_INDEX_KEY_MAX + 8], bufs[KUBE_INDEX_KEYS_MAX + 1][8];
	struct kube_store *s = kube_store_new(free);
	const char *keys[2];
	struct names n;
	struct err e;
	size_t i;

	(void)state;
	kube_store_put(s, "ns", "a", proj("a"), NULL);
	set_keys(s, "ns", "a", "k1", NULL, NULL);
	memset(long_key, 'x', sizeof(long_key) - 1);
	long_key[sizeof(long_key) - 1] = '\0';
	keys[0] = "k2";
	keys[1] = long_key;
	assert_int_equal(kube_store_index_set(s, "ns", "a", keys, 2, &e), -1);
	assert_non_null(strstr(e.msg, "longer than 511 bytes"));
	keys[1] = "";
	assert_int_equal(kube_store_index_set(s, "ns", "a", keys, 2, &e), -1);
	assert_non_null(strstr(e.msg, "empty key"));
	for (i = 0; i <= KUBE_INDEX_KEYS_MAX; i++) {
		snprintf(bufs[i], sizeof(bufs[i]), "m%zu", i);
		many[i] = bufs[i];
	}
	assert_int_equal(kube_store_index_set(s, "ns", "a", many,
	    KUBE_INDEX_KEYS_MAX + 1, &e), -1);
	assert_non_null(strstr(e.msg, "257 keys for one object"));
	assert_string_equal(having(s, "k1", &n), "ns/a");
	assert_string_equal(having(s, "k2", &n), "");
	/* Exactly the budget is fine. */
	assert_int_equal(kube_store_index_set(s, "ns", "a", many,
	    KUBE_INDEX_KEYS_MAX, &e), 0);
	assert_string_equal(having(s, "m255", &n), "ns/a");
	assert_string_equal(having(s, "k1", &n), "");
	/* Only stored objects have keys. */
	keys[0] = "k1";
	assert_int_equal(kube_store_index_set(s, "ns", "ghost", keys, 1, &e),
	    -1);
	assert_string_equal(e.msg, "index: \"ns/ghost\" is not in the store");
	kube_store_free(s);
}

/* The memory figure of docs/ARCHITECTURE.md: 1000 generators, each using
 * two sources out of 500, half of them shared. */
static void
test_index_memory_per_entry(void **state)
{
	struct kube_store *s = kube_store_new(free);
	struct kube_index_stats st;
	char name[32], k1[64], k2[64];
	int i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "gen-%04d", i);
		snprintf(k1, sizeof(k1), "GitRepository/flux-system/repo-%03d",
		    i % 250);
		snprintf(k2, sizeof(k2), "OCIRepository/flux-system/oci-%03d",
		    i / 4);
		kube_store_put(s, "flux-system", name, proj(name), NULL);
		set_keys(s, "flux-system", name, k1, k2, NULL);
	}
	kube_store_index_stats(s, &st);
	assert_int_equal(st.keys, 500);
	assert_int_equal(st.postings, 2000);
	print_message("index: %zu keys, %zu postings, %zu bytes (%.1f per "
	    "posting)\n", st.keys, st.postings, st.bytes,
	    (double)st.bytes / (double)st.postings);
	/* 32 per posting, 8 per set, ~64 per key, the table: under 60. */
	assert_true(st.bytes < 60 * st.postings);
	assert_int_equal(kube_store_index_foreach(s,
	    "GitRepository/flux-system/repo-007", NULL, NULL), 4);
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
		cmocka_unit_test(test_index_follows_key_changes),
		cmocka_unit_test(test_index_drops_deleted_and_swept_objects),
		cmocka_unit_test(test_index_limits_keep_the_old_keys),
		cmocka_unit_test(test_index_memory_per_entry),
	};
	return cmocka_run_group_tests_name("kube_store", tests, NULL, NULL);
}
