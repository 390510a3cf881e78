/*
 * Unit tests for src/engine/external_artifact.c: the object both front ends
 * publish for a built artifact: apiVersion/kind, metadata with the record's
 * labels and the reserved labels winning over them (managed-by, generator
 * uid), annotations only when there are some, spec.sourceRef naming the
 * generator, status.artifact from the record, the Ready condition at the
 * given time.
 */
#include "testutil.h"

#include <string.h>

#include "engine/external_artifact.h"

static const char *
str(json_t *o, const char *k1, const char *k2, const char *k3)
{
	json_t *v = json_object_get(o, k1);

	if (k2 != NULL)
		v = json_object_get(v, k2);
	if (k3 != NULL)
		v = json_object_get(v, k3);
	if (!json_is_string(v))
		fail_msg("no string at %s.%s.%s", k1, k2 ? k2 : "",
		    k3 ? k3 : "");
	return json_string_value(v);
}

static void
test_external_artifact_object(void **state)
{
	struct kv labels[] = { { "team", "a" },
	    { LABEL_MANAGED_BY, "spoofed" }, { LABEL_GENERATOR, "spoofed" } };
	struct kv meta[] = { { METADATA_ORIGIN_REVISION, "main@sha1:1" } };
	struct generator g = { .name = "gen", .namespace = "apps" };
	struct artifact_record r = { .name = "web", .namespace = "apps",
	    .filename = "1.tar.gz", .path = "externalartifact/apps/web/1.tar.gz",
	    .url = "http://h/externalartifact/apps/web/1.tar.gz",
	    .revision = "latest@sha256:ab", .digest = "sha256:ab", .size = 7,
	    .last_update_time = 86400, .labels = { labels, 3 },
	    .metadata = { meta, 1 } };
	json_t *ea, *c;

	(void)state;
	ea = external_artifact_json(&g, &r, "source-watcher", "uid-1",
	    1700000000);
	assert_non_null(ea);
	assert_string_equal(str(ea, "apiVersion", NULL, NULL),
	    "source.toolkit.fluxcd.io/v1");
	assert_string_equal(str(ea, "kind", NULL, NULL), "ExternalArtifact");
	assert_string_equal(str(ea, "metadata", "name", NULL), "web");
	assert_string_equal(str(ea, "metadata", "namespace", NULL), "apps");
	assert_int_equal(json_object_size(json_object_get(json_object_get(ea,
	    "metadata"), "labels")), 3);
	assert_string_equal(str(ea, "metadata", "labels", "team"), "a");
	assert_string_equal(str(ea, "metadata", "labels", LABEL_MANAGED_BY),
	    "source-watcher");
	assert_string_equal(str(ea, "metadata", "labels", LABEL_GENERATOR),
	    "uid-1");
	assert_null(json_object_get(json_object_get(ea, "metadata"),
	    "annotations"));
	assert_string_equal(str(ea, "spec", "sourceRef", "apiVersion"),
	    "source.extensions.fluxcd.io/v1beta1");
	assert_string_equal(str(ea, "spec", "sourceRef", "kind"),
	    "ArtifactGenerator");
	assert_string_equal(str(ea, "spec", "sourceRef", "name"), "gen");
	assert_string_equal(str(ea, "spec", "sourceRef", "namespace"), "apps");
	assert_string_equal(str(ea, "status", "artifact", "path"), r.path);
	assert_string_equal(str(ea, "status", "artifact", "url"), r.url);
	assert_string_equal(str(ea, "status", "artifact", "digest"), r.digest);
	assert_string_equal(str(ea, "status", "artifact", "revision"),
	    r.revision);
	assert_string_equal(str(ea, "status", "artifact", "lastUpdateTime"),
	    "1970-01-02T00:00:00Z");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(
	    json_object_get(ea, "status"), "artifact"), "size")), 7);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    json_object_get(json_object_get(ea, "status"), "artifact"),
	    "metadata"), METADATA_ORIGIN_REVISION)), "main@sha1:1");
	c = json_array_get(json_object_get(json_object_get(ea, "status"),
	    "conditions"), 0);
	assert_string_equal(str(c, "type", NULL, NULL), "Ready");
	assert_string_equal(str(c, "status", NULL, NULL), "True");
	assert_string_equal(str(c, "reason", NULL, NULL), "Succeeded");
	assert_string_equal(str(c, "message", NULL, NULL), "Artifact is ready");
	assert_string_equal(str(c, "lastTransitionTime", NULL, NULL),
	    "2023-11-14T22:13:20Z");
	json_decref(ea);
}

static void
test_external_artifact_annotations(void **state)
{
	struct kv annot[] = { { "example.com/note", "hello" } };
	struct generator g = { .name = "gen", .namespace = "ns" };
	struct artifact_record r = { .name = "a", .namespace = "ns",
	    .path = "p", .url = "u", .revision = "r", .digest = "d",
	    .annotations = { annot, 1 } };
	json_t *ea = external_artifact_json(&g, &r, "ctl", "u-2", 0);

	(void)state;
	assert_non_null(ea);
	assert_string_equal(str(ea, "metadata", "annotations",
	    "example.com/note"), "hello");
	/* an empty record still carries the reserved labels */
	assert_string_equal(str(ea, "metadata", "labels", LABEL_MANAGED_BY),
	    "ctl");
	assert_string_equal(str(ea, "metadata", "labels", LABEL_GENERATOR),
	    "u-2");
	assert_null(json_object_get(json_object_get(json_object_get(ea,
	    "status"), "artifact"), "metadata"));
	json_decref(ea);
}

static void
test_ready_condition_message_and_time(void **state)
{
	json_t *c = external_artifact_ready_condition("generated 3", 0);

	(void)state;
	assert_int_equal(json_array_size(c), 1);
	assert_string_equal(str(json_array_get(c, 0), "message", NULL, NULL),
	    "generated 3");
	assert_string_equal(str(json_array_get(c, 0), "lastTransitionTime",
	    NULL, NULL), "1970-01-01T00:00:00Z");
	json_decref(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_external_artifact_object),
		cmocka_unit_test(test_external_artifact_annotations),
		cmocka_unit_test(test_ready_condition_message_and_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
