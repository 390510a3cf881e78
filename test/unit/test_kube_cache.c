/*
 * Unit tests for src/kube/cache.c, the informer's reconciliation: list pages
 * and watch events fed directly (no server) must leave the store equal to
 * the server's state and call add/update/delete with the right old and new
 * projections; a re-list after 410 synthesises deletes for vanished objects
 * and updates for changed ones, and leaves unchanged ones alone (not even
 * projected again); bookmarks advance the resourceVersion. With an index
 * callback, lookups by key follow adds, key changes, deletes and re-list
 * sweeps, and handlers already see the new keys.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/cache.h"

/* The test projection: "<value of data.v>", or NULL when data.v is
 * "unprojectable". */
static int projections;

static void *
test_project(const json_t *obj)
{
	const char *v = json_string_value(json_object_get(json_object_get(obj,
	    "data"), "v"));

	projections++;
	if (v != NULL && strcmp(v, "unprojectable") == 0)
		return NULL;
	return strdup(v ? v : "");
}

/* What the handlers saw, one line each, e.g. "update ns/a v1->v2". */
struct seen {
	char log[4096];
	int errors;
	char last_error[ERR_MSG_MAX];
};

static void
seen_add(struct seen *s, const char *fmt, const char *ns, const char *name,
    const char *a, const char *b)
{
	size_t n = strlen(s->log);

	snprintf(s->log + n, sizeof(s->log) - n, fmt, ns, name, a, b);
}

static void
on_add(void *data, const char *ns, const char *name, const void *p)
{
	seen_add(data, "add %s/%s %s%s\n", ns, name, p, "");
}

static void
on_update(void *data, const char *ns, const char *name, const void *old,
    const void *p)
{
	seen_add(data, "update %s/%s %s->%s\n", ns, name, old, p);
}

static void
on_delete(void *data, const char *ns, const char *name, const void *old)
{
	seen_add(data, "delete %s/%s %s%s\n", ns, name, old, "");
}

static void
on_error(void *data, const struct err *e)
{
	struct seen *s = data;

	s->errors++;
	snprintf(s->last_error, sizeof(s->last_error), "%s", e->msg);
}

static const struct kube_informer_handlers handlers = {
	.project = test_project,
	.free = free,
	.on_add = on_add,
	.on_update = on_update,
	.on_delete = on_delete,
	.on_error = on_error,
};

static json_t *
obj(const char *ns, const char *name, const char *rv, const char *v)
{
	json_t *md = json_pack("{s:s, s:s}", "name", name, "resourceVersion",
	    rv);

	if (ns != NULL)
		json_object_set_new(md, "namespace", json_string(ns));
	return json_pack("{s:o, s:{s:s}}", "metadata", md, "data", "v", v);
}

static void
list_item(struct kube_cache *c, const char *ns, const char *name,
    const char *rv, const char *v)
{
	json_t *o = obj(ns, name, rv, v);
	struct err e;

	assert_int_equal(kube_cache_list_item(c, o, &e), 0);
	json_decref(o);
}

static int
event(struct kube_cache *c, enum kube_watch_type t, json_t *o)
{
	struct kube_watch_event ev = { t, o };
	struct err e;
	int rc = kube_cache_event(c, &ev, &e);

	json_decref(o);
	return rc;
}

static void
setup_cache(struct kube_cache *c, struct seen *s)
{
	struct err e;

	memset(s, 0, sizeof(*s));
	projections = 0;
	assert_int_equal(kube_cache_init(c, &handlers, s, &e), 0);
}

static void
test_first_list_adds_every_object(void **state)
{
	struct kube_cache c;
	struct seen s;

	(void)state;
	setup_cache(&c, &s);
	assert_string_equal(c.rv, "");
	kube_cache_list_begin(&c);
	list_item(&c, "ns", "a", "10", "va");
	list_item(&c, "other", "a", "11", "vo");
	kube_cache_list_end(&c, "12");
	assert_string_equal(s.log, "add ns/a va\nadd other/a vo\n");
	assert_string_equal(c.rv, "12");
	assert_int_equal(kube_cache_len(&c), 2);
	assert_string_equal(kube_cache_get(&c, "ns", "a"), "va");
	assert_string_equal(kube_cache_get(&c, "other", "a"), "vo");
	assert_string_equal(kube_cache_object_rv(&c, "ns", "a"), "10");
	assert_null(kube_cache_get(&c, "ns", "b"));
	kube_cache_free(&c);
}

static void
test_watch_events_update_store_with_old_and_new(void **state)
{
	struct kube_cache c;
	struct seen s;

	(void)state;
	setup_cache(&c, &s);
	kube_cache_list_begin(&c);
	kube_cache_list_end(&c, "5");
	assert_int_equal(event(&c, KUBE_WATCH_ADDED, obj("ns", "a", "6",
	    "v1")), 0);
	assert_int_equal(event(&c, KUBE_WATCH_MODIFIED, obj("ns", "a", "7",
	    "v2")), 0);
	assert_int_equal(event(&c, KUBE_WATCH_ADDED, obj("ns", "b", "8",
	    "b1")), 0);
	assert_int_equal(event(&c, KUBE_WATCH_DELETED, obj("ns", "b", "9",
	    "b1")), 0);
	assert_string_equal(s.log, "add ns/a v1\nupdate ns/a v1->v2\n"
	    "add ns/b b1\ndelete ns/b b1\n");
	assert_string_equal(c.rv, "9");
	assert_int_equal(kube_cache_len(&c), 1);
	assert_string_equal(kube_cache_get(&c, "ns", "a"), "v2");
	assert_string_equal(kube_cache_object_rv(&c, "ns", "a"), "7");
	assert_int_equal(c.stats.adds, 2);
	assert_int_equal(c.stats.updates, 1);
	assert_int_equal(c.stats.deletes, 1);
	kube_cache_free(&c);
}

static void
test_bookmark_advances_rv_without_handlers(void **state)
{
	struct kube_cache c;
	struct seen s;
	json_t *bm;

	(void)state;
	setup_cache(&c, &s);
	kube_cache_list_begin(&c);
	kube_cache_list_end(&c, "5");
	bm = json_pack("{s:{s:s}}", "metadata", "resourceVersion", "42");
	assert_int_equal(event(&c, KUBE_WATCH_BOOKMARK, bm), 0);
	assert_string_equal(c.rv, "42");
	assert_string_equal(s.log, "");
	assert_int_equal(c.stats.bookmarks, 1);
	assert_int_equal(kube_cache_len(&c), 0);
	kube_cache_free(&c);
}

static void
test_delete_of_unknown_object_is_silent(void **state)
{
	struct kube_cache c;
	struct seen s;

	(void)state;
	setup_cache(&c, &s);
	assert_int_equal(event(&c, KUBE_WATCH_DELETED, obj("ns", "gone", "3",
	    "x")), 0);
	assert_string_equal(s.log, "");
	assert_string_equal(c.rv, "3");
	kube_cache_free(&c);
}

/* The 410 case: the store holds a, b, c; meanwhile the server deleted c,
 * changed b and created d. The re-list must yield exactly those three
 * events, leave a untouched (not even re-projected) and end equal to the
 * server's list. */
static void
test_relist_reconciles_with_synthesised_events(void **state)
{
	struct kube_cache c;
	struct seen s;

	(void)state;
	setup_cache(&c, &s);
	kube_cache_list_begin(&c);
	list_item(&c, "ns", "a", "1", "a1");
	list_item(&c, "ns", "b", "2", "b1");
	list_item(&c, "ns", "c", "3", "c1");
	kube_cache_list_end(&c, "3");
	s.log[0] = '\0';
	projections = 0;

	kube_cache_list_begin(&c);
	list_item(&c, "ns", "a", "1", "a1");
	list_item(&c, "ns", "b", "7", "b2");
	list_item(&c, "ns", "d", "8", "d1");
	kube_cache_list_end(&c, "9");
	assert_string_equal(s.log, "update ns/b b1->b2\nadd ns/d d1\n"
	    "delete ns/c c1\n");
	assert_int_equal(projections, 2);
	assert_int_equal(kube_cache_len(&c), 3);
	assert_string_equal(kube_cache_get(&c, "ns", "a"), "a1");
	assert_string_equal(kube_cache_get(&c, "ns", "b"), "b2");
	assert_string_equal(kube_cache_get(&c, "ns", "d"), "d1");
	assert_null(kube_cache_get(&c, "ns", "c"));
	assert_string_equal(c.rv, "9");
	kube_cache_free(&c);
}

/* A re-list that failed half-way (expired continue token, dropped
 * connection) is started again from the beginning: objects seen by the
 * failed attempt are neither duplicated nor deleted. */
static void
test_interrupted_relist_restarts_cleanly(void **state)
{
	struct kube_cache c;
	struct seen s;

	(void)state;
	setup_cache(&c, &s);
	kube_cache_list_begin(&c);
	list_item(&c, "ns", "a", "1", "a1");
	list_item(&c, "ns", "b", "2", "b1");
	kube_cache_list_end(&c, "2");
	s.log[0] = '\0';

	kube_cache_list_begin(&c);
	list_item(&c, "ns", "a", "5", "a2");	/* then the list fails */
	kube_cache_list_begin(&c);
	list_item(&c, "ns", "a", "5", "a2");
	list_item(&c, "ns", "b", "2", "b1");
	list_item(&c, "ns", "e", "6", "e1");
	kube_cache_list_end(&c, "6");
	assert_string_equal(s.log, "update ns/a a1->a2\nadd ns/e e1\n");
	assert_int_equal(kube_cache_len(&c), 3);
	assert_int_equal(c.stats.deletes, 0);
	kube_cache_free(&c);
}

static void
test_relist_to_empty_deletes_everything(void **state)
{
	struct kube_cache c;
	struct seen s;
	char name[16];
	int i;

	(void)state;
	setup_cache(&c, &s);
	kube_cache_list_begin(&c);
	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "o%d", i);
		list_item(&c, "ns", name, "1", "v");
	}
	kube_cache_list_end(&c, "1");
	assert_int_equal(kube_cache_len(&c), 200);
	kube_cache_list_begin(&c);
	kube_cache_list_end(&c, "50");
	assert_int_equal(kube_cache_len(&c), 0);
	assert_int_equal(c.stats.deletes, 200);
	assert_int_equal(c.stats.adds, 200);
	assert_string_equal(c.rv, "50");
	kube_cache_free(&c);
}

static void
test_cluster_scoped_objects(void **state)
{
	struct kube_cache c;
	struct seen s;

	(void)state;
	setup_cache(&c, &s);
	assert_int_equal(event(&c, KUBE_WATCH_ADDED, obj(NULL, "crd", "4",
	    "x")), 0);
	assert_string_equal(kube_cache_get(&c, NULL, "crd"), "x");
	assert_string_equal(kube_cache_get(&c, "", "crd"), "x");
	assert_int_equal(event(&c, KUBE_WATCH_DELETED, obj(NULL, "crd", "5",
	    "x")), 0);
	assert_string_equal(s.log, "add /crd x\ndelete /crd x\n");
	kube_cache_free(&c);
}

/* An object the projection refuses is reported and treated as absent: a
 * stored older version is deleted, so the store never holds stale data. */
static void
test_unprojectable_object_is_skipped_and_reported(void **state)
{
	struct kube_cache c;
	struct seen s;

	(void)state;
	setup_cache(&c, &s);
	assert_int_equal(event(&c, KUBE_WATCH_ADDED, obj("ns", "a", "1",
	    "a1")), 0);
	assert_int_equal(event(&c, KUBE_WATCH_MODIFIED, obj("ns", "a", "2",
	    "unprojectable")), 0);
	assert_string_equal(s.log, "add ns/a a1\ndelete ns/a a1\n");
	assert_int_equal(s.errors, 1);
	assert_non_null(strstr(s.last_error, "\"ns/a\""));
	assert_int_equal(c.stats.skipped, 1);
	assert_int_equal(kube_cache_len(&c), 0);
	assert_string_equal(c.rv, "2");
	kube_cache_free(&c);
}

static void
test_malformed_input_is_refused(void **state)
{
	struct kube_cache c;
	struct seen s;
	struct err e;
	json_t *noname = json_pack("{s:{s:s}}", "metadata", "resourceVersion",
	    "3");
	struct kube_watch_event ev = { KUBE_WATCH_ERROR, noname };

	(void)state;
	setup_cache(&c, &s);
	assert_int_equal(kube_cache_list_item(&c, noname, &e), -1);
	assert_non_null(strstr(e.msg, "metadata.name"));
	assert_int_equal(kube_cache_event(&c, &ev, &e), -1);
	assert_non_null(strstr(e.msg, "ERROR"));
	ev.type = KUBE_WATCH_DELETED;
	assert_int_equal(kube_cache_event(&c, &ev, &e), -1);
	assert_string_equal(s.log, "");
	assert_int_equal(kube_cache_len(&c), 0);
	json_decref(noname);
	kube_cache_free(&c);
}

static void
test_init_requires_projection(void **state)
{
	struct kube_cache c;
	struct kube_informer_handlers h = { 0 };
	struct err e;

	(void)state;
	assert_int_equal(kube_cache_init(&c, &h, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "projection"));
	kube_cache_free(&c);
}


/* ---- secondary index ---- */

/* Index keys: "src/<part>" for each comma-separated part of the
 * projection; "many" asks for one key over the budget. */
static int
test_index(const void *projection, struct kube_index_keys *keys)
{
	const char *p = projection, *end;
	int i;

	if (strcmp(p, "many") == 0) {
		for (i = 0; i <= KUBE_INDEX_KEYS_MAX; i++)
			if (kube_index_keys_add(keys, "src/%d", i) < 0)
				return -1;
		return 0;
	}
	while (*p) {
		end = strchr(p, ',');
		if (end == NULL)
			end = p + strlen(p);
		if (kube_index_keys_add(keys, "src/%.*s", (int)(end - p), p) < 0)
			return -1;
		p = *end ? end + 1 : end;
	}
	return 0;
}

/* The objects having key, sorted, joined by spaces. */
struct having {
	char s[512];
	char v[16][64];
	size_t n;
};

static void
having_visit(void *ctx, const char *ns, const char *name, const char *rv,
    const void *p)
{
	struct having *h = ctx;

	(void)rv;
	(void)p;
	assert_true(h->n < 16);
	snprintf(h->v[h->n++], sizeof(h->v[0]), "%s/%s", ns, name);
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static const char *
having(const struct kube_cache *c, const char *key)
{
	static struct having h;
	size_t i, len, count;

	memset(&h, 0, sizeof(h));
	count = kube_cache_index_foreach(c, key, having_visit, &h);
	assert_int_equal(count, h.n);
	qsort(h.v, h.n, sizeof(h.v[0]), str_cmp);
	for (i = 0; i < h.n; i++) {
		len = strlen(h.s);
		snprintf(h.s + len, sizeof(h.s) - len, "%s%s", i ? " " : "",
		    h.v[i]);
	}
	return h.s;
}

/* An update handler that also records who has src/z at that moment. */
static const struct kube_cache *indexed_cache;

static void
on_update_indexed(void *data, const char *ns, const char *name,
    const void *old, const void *p)
{
	on_update(data, ns, name, old, p);
	seen_add(data, "  src/z: %s%s%s%s\n", having(indexed_cache, "src/z"),
	    "", "", "");
}

static const struct kube_informer_handlers indexed = {
	.project = test_project,
	.free = free,
	.index = test_index,
	.on_add = on_add,
	.on_update = on_update_indexed,
	.on_delete = on_delete,
	.on_error = on_error,
};

static void
setup_indexed(struct kube_cache *c, struct seen *s)
{
	struct err e;

	memset(s, 0, sizeof(*s));
	projections = 0;
	assert_int_equal(kube_cache_init(c, &indexed, s, &e), 0);
	indexed_cache = c;
}

static void
test_index_follows_adds_updates_and_deletes(void **state)
{
	struct kube_cache c;
	struct kube_index_stats st;
	const char *keys[4];
	struct seen s;

	(void)state;
	setup_indexed(&c, &s);
	kube_cache_list_begin(&c);
	list_item(&c, "ns", "a", "1", "x,y");
	list_item(&c, "ns", "b", "2", "x");
	list_item(&c, "other", "c", "3", "");
	kube_cache_list_end(&c, "3");
	assert_string_equal(having(&c, "src/x"), "ns/a ns/b");
	assert_string_equal(having(&c, "src/y"), "ns/a");
	assert_string_equal(having(&c, "src/none"), "");
	assert_int_equal(kube_cache_index_keys(&c, "other", "c", keys, 4), 0);
	assert_int_equal(kube_cache_index_keys(&c, "ns", "a", keys, 4), 2);
	assert_string_equal(keys[1], "src/y");

	/* a now uses y and z: the update handler already sees a under z. */
	s.log[0] = '\0';
	assert_int_equal(event(&c, KUBE_WATCH_MODIFIED, obj("ns", "a", "4",
	    "y,z")), 0);
	assert_string_equal(s.log, "update ns/a x,y->y,z\n  src/z: ns/a\n");
	assert_string_equal(having(&c, "src/x"), "ns/b");
	assert_string_equal(having(&c, "src/z"), "ns/a");
	assert_int_equal(event(&c, KUBE_WATCH_DELETED, obj("ns", "b", "5",
	    "x")), 0);
	assert_string_equal(having(&c, "src/x"), "");
	kube_cache_index_stats(&c, &st);
	assert_int_equal(st.keys, 2);		/* y, z */
	assert_int_equal(st.postings, 2);
	kube_cache_free(&c);
}

static void
test_index_relist_sweeps_vanished_objects(void **state)
{
	struct kube_cache c;
	struct seen s;

	(void)state;
	setup_indexed(&c, &s);
	kube_cache_list_begin(&c);
	list_item(&c, "ns", "a", "1", "x");
	list_item(&c, "ns", "b", "2", "x,y");
	list_item(&c, "ns", "c", "3", "y");
	kube_cache_list_end(&c, "3");
	projections = 0;
	/* After a 410: a unchanged, b changed to z, c gone. */
	kube_cache_list_begin(&c);
	list_item(&c, "ns", "a", "1", "x");
	list_item(&c, "ns", "b", "7", "z");
	kube_cache_list_end(&c, "8");
	assert_int_equal(projections, 1);
	assert_string_equal(having(&c, "src/x"), "ns/a");
	assert_string_equal(having(&c, "src/y"), "");
	assert_string_equal(having(&c, "src/z"), "ns/b");
	kube_cache_free(&c);
}

static void
test_index_over_budget_skips_the_object(void **state)
{
	struct kube_cache c;
	struct seen s;

	(void)state;
	setup_indexed(&c, &s);
	assert_int_equal(event(&c, KUBE_WATCH_ADDED, obj("ns", "a", "1",
	    "x")), 0);
	assert_int_equal(event(&c, KUBE_WATCH_MODIFIED, obj("ns", "a", "2",
	    "many")), 0);
	assert_string_equal(s.log, "add ns/a x\ndelete ns/a x\n");
	assert_int_equal(s.errors, 1);
	assert_non_null(strstr(s.last_error, "\"ns/a\""));
	assert_non_null(strstr(s.last_error, "more than 256 keys"));
	assert_int_equal(c.stats.skipped, 1);
	assert_string_equal(having(&c, "src/x"), "");
	kube_cache_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_list_adds_every_object),
		cmocka_unit_test(test_watch_events_update_store_with_old_and_new),
		cmocka_unit_test(test_bookmark_advances_rv_without_handlers),
		cmocka_unit_test(test_delete_of_unknown_object_is_silent),
		cmocka_unit_test(test_relist_reconciles_with_synthesised_events),
		cmocka_unit_test(test_interrupted_relist_restarts_cleanly),
		cmocka_unit_test(test_relist_to_empty_deletes_everything),
		cmocka_unit_test(test_cluster_scoped_objects),
		cmocka_unit_test(test_unprojectable_object_is_skipped_and_reported),
		cmocka_unit_test(test_malformed_input_is_refused),
		cmocka_unit_test(test_init_requires_projection),
		cmocka_unit_test(test_index_follows_adds_updates_and_deletes),
		cmocka_unit_test(test_index_relist_sweeps_vanished_objects),
		cmocka_unit_test(test_index_over_budget_skips_the_object),
	};
	return cmocka_run_group_tests_name("kube_cache", tests, NULL, NULL);
}
