/*
 * test_controller_status: what a generator's status says after a reconcile
 * (controller/status.c) and what the controller reads from API objects
 * (gen_obj, source_obj, ea_obj): observedSourcesDigest as source-watcher
 * computes it, Flux's condition rules, write-avoidance, projections.
 */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "controller/ea_obj.h"
#include "controller/gen_obj.h"
#include "controller/source_obj.h"
#include "controller/status.h"

/* Given in reverse order: sorted, "|"-joined, sha256 (computed with
 * printf ... | sha256sum from source-watcher's HashObservedSources). */
static void
test_sources_digest(void **state)
{
	struct observed_source s[2] = {
		{ "b", "sha256:2", "main@sha1:2", "http://x/b.tgz" },
		{ "a", "sha256:1", "r1", "u1" },
	};
	char out[DIGEST_STRING_MAX];

	(void)state;
	assert_int_equal(status_sources_digest(s, 2, out), 0);
	assert_string_equal(out, "sha256:97ae7bbe4cfd3e15f2b90c239272658a3684"
	    "929db9bc157e18100cd9dead98e0");
}

/* lastTransitionTime stays while the status stays; Stalled and Reconciling
 * exclude each other; the summary drops Reconciling on success. */
static void
test_conditions(void **state)
{
	struct gen_status st = { 0 }, copy;

	(void)state;
	assert_int_equal(status_cond_set(&st, GEN_COND_READY, "False",
	    "BuildFailed", "x", 3, 1000), 0);
	assert_int_equal(status_cond_set(&st, GEN_COND_READY, "False",
	    "SourceFetchFailed", "y", 4, 2000), 0);
	assert_string_equal(st.cond[GEN_COND_READY].last_transition,
	    "1970-01-01T00:16:40Z");
	assert_int_equal(st.cond[GEN_COND_READY].observed_generation, 4);
	status_mark_reconciling(&st, REASON_PROGRESSING, MSG_IN_PROGRESS, 4,
	    2000);
	status_summarize(&st);
	assert_string_equal(st.cond[GEN_COND_RECONCILING].reason,
	    REASON_PROGRESSING_RETRY);
	status_mark_stalled(&st, "ValidationFailed", "bad", 4, 2000);
	assert_null(st.cond[GEN_COND_RECONCILING].status);
	status_mark_reconciling(&st, REASON_PROGRESSING, MSG_IN_PROGRESS, 4,
	    2000);
	assert_null(st.cond[GEN_COND_STALLED].status);
	status_cond_set(&st, GEN_COND_READY, "True", "Succeeded", "ok", 4,
	    3000);
	assert_string_equal(st.cond[GEN_COND_READY].last_transition,
	    "1970-01-01T00:50:00Z");
	status_summarize(&st);
	assert_null(st.cond[GEN_COND_RECONCILING].status);
	assert_int_equal(gen_status_copy(&copy, &st), 0);
	assert_true(status_equal(&copy, &st));
	status_cond_set(&copy, GEN_COND_READY, "True", "Succeeded", "ok2", 4,
	    3000);
	assert_false(status_equal(&copy, &st));
	gen_status_free(&copy);
	gen_status_free(&st);
}

/* The projection keeps what the reconcile and the handlers use; a spec
 * that does not parse is kept with its message. */
static void
test_gen_obj(void **state)
{
	json_t *obj = json_loads("{\"apiVersion\":\"source.extensions.fluxcd."
	    "io/v1beta1\",\"kind\":\"ArtifactGenerator\",\"metadata\":{\"name\":"
	    "\"g\",\"namespace\":\"ns\",\"uid\":\"u-1\",\"generation\":7,"
	    "\"finalizers\":[\"source.extensions.fluxcd.io/finalizer\"],"
	    "\"annotations\":{\"reconcile.fluxcd.io/requestedAt\":\"t1\","
	    "\"source.extensions.fluxcd.io/reconcile\":\"Disabled\"}},"
	    "\"spec\":{\"sources\":[{\"alias\":\"r\",\"kind\":\"GitRepository\","
	    "\"name\":\"repo\",\"namespace\":\"other\"}],\"artifacts\":[{\"name\":"
	    "\"a\",\"copy\":[{\"from\":\"@r/**\",\"to\":\"@artifact/\"}]}]},"
	    "\"status\":{\"observedSourcesDigest\":\"sha256:1\",\"inventory\":"
	    "[{\"name\":\"a\",\"namespace\":\"ns\",\"digest\":\"sha256:2\","
	    "\"filename\":\"1.tar.gz\"}],\"conditions\":[{\"type\":\"Ready\","
	    "\"status\":\"True\",\"reason\":\"Succeeded\",\"message\":\"m\","
	    "\"observedGeneration\":6,\"lastTransitionTime\":\"x\"}]}}", 0, NULL);
	struct kube_index_keys keys = { 0 };
	struct gen_obj *o;

	(void)state;
	assert_non_null(o = gen_obj_project(obj));
	assert_null(o->invalid);
	assert_string_equal(o->g.uid, "u-1");
	assert_int_equal(o->generation, 7);
	assert_true(o->disabled);
	assert_true(gen_obj_has_finalizer(o));
	assert_string_equal(o->requested_at, "t1");
	assert_int_equal(o->st.n_inv, 1);
	assert_int_equal(o->st.cond[GEN_COND_READY].observed_generation, 6);
	/* shared strings (kept once for all projections) read as given */
	assert_string_equal(o->st.cond[GEN_COND_READY].status, "True");
	assert_string_equal(o->st.cond[GEN_COND_READY].reason, "Succeeded");
	assert_string_equal(o->st.cond[GEN_COND_READY].message, "m");
	assert_string_equal(o->g.sources[0].kind, "GitRepository");
	assert_int_equal(gen_obj_index(o, &keys), 0);
	kube_index_keys_view(&keys);
	assert_int_equal(keys.n, 1);
	assert_string_equal(keys.v[0], "GitRepository/other/repo");
	kube_index_keys_free(&keys);
	gen_obj_free(o);
	json_object_set_new(json_object_get(obj, "spec"), "sources",
	    json_integer(1));
	assert_non_null(o = gen_obj_project(obj));
	assert_non_null(o->invalid);
	assert_string_equal(o->g.name, "g");
	gen_obj_free(o);
	json_decref(obj);
}

/* A source enqueues its generators only on a new artifact or a change of
 * digest, revision or origin revision. */
/* The one-artifact message projections share is what a reconcile of one
 * artifact writes. */
static void
test_success_message(void **state)
{
	char msg[128];

	(void)state;
	snprintf(msg, sizeof(msg), MSG_SUCCEEDED_FMT, (size_t)1);
	assert_string_equal(msg, MSG_SUCCEEDED_ONE);
}

static void
test_source_obj(void **state)
{
	json_t *a = json_loads("{\"status\":{\"artifact\":{\"url\":\"u\","
	    "\"digest\":\"sha256:1\",\"revision\":\"r\",\"metadata\":{"
	    "\"org.opencontainers.image.revision\":\"o1\"}}}}", 0, NULL);
	json_t *none = json_loads("{\"status\":{}}", 0, NULL);
	struct source_obj *s1 = source_obj_project(a), *s0 =
	    source_obj_project(none), *s2;

	(void)state;
	assert_string_equal(s1->origin_revision, "o1");
	assert_null(s0->url);
	assert_true(source_obj_changed(s0, s1));
	assert_false(source_obj_changed(s1, s0));
	json_object_set_new(json_object_get(json_object_get(json_object_get(a,
	    "status"), "artifact"), "metadata"),
	    "org.opencontainers.image.revision", json_string("o2"));
	s2 = source_obj_project(a);
	assert_true(source_obj_changed(s1, s2));
	assert_false(source_obj_changed(s2, s2));
	source_obj_free(s0);
	source_obj_free(s1);
	source_obj_free(s2);
	json_decref(a);
	json_decref(none);
}

static void
test_ea_obj(void **state)
{
	json_t *a = json_loads("{\"metadata\":{\"name\":\"a\",\"labels\":{"
	    "\"source.extensions.fluxcd.io/generator\":\"u-1\"}},\"spec\":{"
	    "\"sourceRef\":{\"kind\":\"ArtifactGenerator\",\"name\":\"g\","
	    "\"namespace\":\"ns\"}},\"status\":{\"artifact\":{\"digest\":"
	    "\"sha256:1\",\"revision\":\"latest@sha256:1\",\"url\":\"u\"},"
	    "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}", 0,
	    NULL);
	json_t *unlabelled = json_loads("{\"metadata\":{\"name\":\"b\"}}", 0,
	    NULL);
	struct ea_obj *e = ea_obj_project(a);

	(void)state;
	assert_non_null(e);
	assert_string_equal(e->gen_uid, "u-1");
	assert_string_equal(e->ref_name, "g");
	assert_true(e->src.ready);
	assert_string_equal(e->src.digest, "sha256:1");
	/* the digest is kept once, as the tail of "latest@<digest>" */
	assert_ptr_equal(e->src.digest, e->src.revision + strlen("latest@"));
	assert_string_equal(e->ref_kind, "ArtifactGenerator");
	assert_string_equal(e->src.url, "u");
	assert_int_equal(e->meta_hash, ea_meta_hash(json_object_get(a,
	    "metadata")));
	assert_false(ea_obj_changed(e, e));
	ea_obj_free(e);
	/* not ours: still a source for generators composing it, no index key */
	e = ea_obj_project(unlabelled);
	assert_non_null(e);
	assert_null(e->gen_uid);
	assert_null(e->src.url);
	assert_false(e->src.ready);
	ea_obj_free(e);
	json_decref(a);
	json_decref(unlabelled);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sources_digest),
		cmocka_unit_test(test_conditions),
		cmocka_unit_test(test_gen_obj),
		cmocka_unit_test(test_success_message),
		cmocka_unit_test(test_source_obj),
		cmocka_unit_test(test_ea_obj),
	};

	return cmocka_run_group_tests_name("controller_status", tests, NULL,
	    NULL);
}
