/*
 * Unit tests for src/generator/generator_validate.c: a valid generator passes,
 * and each CRD or engine rule, broken on its own, fails with its exact
 * message naming the generator, the field path and the value.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "generator/generator_parse.h"
#include "generator/generator_validate.h"

static const char *const base_json =
    "{\"apiVersion\":\"source.extensions.fluxcd.io/v1beta1\","
    "\"kind\":\"ArtifactGenerator\","
    "\"metadata\":{\"name\":\"gen\",\"namespace\":\"apps\"},"
    "\"spec\":{"
    " \"sources\":[{\"alias\":\"repo\",\"kind\":\"GitRepository\","
    "   \"name\":\"mono\"},"
    "  {\"alias\":\"chart_1\",\"kind\":\"OCIRepository\",\"name\":\"podinfo\","
    "   \"namespace\":\"apps\"}],"
    " \"commonMetadata\":{\"labels\":{\"example.com/team\":\"web\"},"
    "   \"annotations\":{\"example.com/note\":\"any text at all\"}},"
    " \"artifacts\":["
    "  {\"name\":\"web.config\",\"revision\":\"@repo\","
    "   \"originRevision\":\"@chart_1\","
    "   \"copy\":[{\"from\":\"@repo/deploy/**\",\"to\":\"@artifact/\","
    "     \"exclude\":[\"*.md\"]},"
    "    {\"from\":\"@chart_1/values.yaml\",\"to\":\"@artifact/v.yaml\","
    "     \"strategy\":\"Merge\"}]},"
    "  {\"name\":\"other\",\"copy\":[{\"from\":\"@repo/x\","
    "   \"to\":\"@artifact/x\"}]}]}}";

/* Sets (or with val NULL, removes) the value at a dotted path with [i]. */
static void
set_path(json_t *root, const char *path, json_t *val)
{
	char buf[256], *tok, *save = NULL, *next;
	json_t *cur = root;

	snprintf(buf, sizeof(buf), "%s", path);
	tok = strtok_r(buf, ".", &save);
	while (tok != NULL) {
		char *br = strchr(tok, '[');
		long idx = -1;

		if (br != NULL) {
			idx = strtol(br + 1, NULL, 10);
			*br = '\0';
		}
		next = strtok_r(NULL, ".", &save);
		if (next == NULL && idx < 0) {
			if (val == NULL)
				json_object_del(cur, tok);
			else
				json_object_set_new(cur, tok, val);
			return;
		}
		cur = json_object_get(cur, tok);
		if (idx >= 0) {
			if (next == NULL) {
				json_array_set_new(cur, (size_t)idx, val);
				return;
			}
			cur = json_array_get(cur, (size_t)idx);
		}
		assert_non_null(cur);
		tok = next;
	}
}

static json_t *
base(void)
{
	json_error_t je;
	json_t *o = json_loads(base_json, 0, &je);

	if (o == NULL)
		fail_msg("base json: %s", je.text);
	return o;
}

static int
validate(json_t *obj, bool no_cross, struct err *e)
{
	struct gen_validate_opts o = { .no_cross_namespace_refs = no_cross };
	struct generator g;
	int rc;

	if (generator_from_json(obj, &g, e) < 0)
		fail_msg("parse: %s", e->msg);
	rc = generator_validate(&g, &o, e);
	generator_free(&g);
	json_decref(obj);
	return rc;
}

static void
test_valid_generator_passes(void **state)
{
	struct err e;
	json_t *o = base();

	(void)state;
	if (validate(o, true, &e) < 0)
		fail_msg("%s", e.msg);
	o = base();
	set_path(o, "spec.pathPattern", json_string("@repo/apps/{app}/{env}"));
	set_path(o, "spec.artifacts[0].name", json_string("{app}-{env}"));
	if (validate(o, false, &e) < 0)
		fail_msg("%s", e.msg);
}

struct vcase {
	const char *path;
	const char *json;	/* new value as JSON; NULL removes */
	const char *msg;	/* after "ArtifactGenerator apps/gen: " */
};

static char *
repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void
run_case(const struct vcase *c, bool no_cross)
{
	char want[ERR_MSG_MAX];
	json_error_t je;
	struct err e;
	json_t *o = base();

	if (c->json != NULL) {
		json_t *v = json_loads(c->json, JSON_DECODE_ANY, &je);

		if (v == NULL)
			fail_msg("case %s: bad json %s", c->path, c->json);
		set_path(o, c->path, v);
	} else {
		set_path(o, c->path, NULL);
	}
	snprintf(want, sizeof(want), "ArtifactGenerator apps/gen: %s", c->msg);
	if (strncmp(c->path, "metadata.name", 13) == 0 && c->json != NULL)
		snprintf(want, sizeof(want), "ArtifactGenerator apps/%s: %s",
		    json_string_value(json_object_get(json_object_get(o,
		    "metadata"), "name")), c->msg);
	if (strncmp(c->path, "metadata.namespace", 18) == 0)
		snprintf(want, sizeof(want), "ArtifactGenerator %s/gen: %s",
		    json_string_value(json_object_get(json_object_get(o,
		    "metadata"), "namespace")), c->msg);
	assert_int_equal(validate(o, no_cross, &e), -1);
	if (strcmp(e.msg, want) != 0)
		fail_msg("case %s=%s:\n got  '%s'\n want '%s'", c->path,
		    c->json ? c->json : "(removed)", e.msg, want);
}

static const struct vcase cases[] = {
	{ "metadata.name", "\"Gen\"",
	  "metadata.name 'Gen': must be a DNS-1123 subdomain" },
	{ "metadata.namespace", "\"a.b\"",
	  "metadata.namespace 'a.b': must be a DNS label" },
	{ "spec.sources", "[]",
	  "spec.sources: must have between 1 and 1000 entries, got 0" },
	{ "spec.sources[0].alias", "\"Repo\"",
	  "spec.sources[0].alias 'Repo': must consist of lower-case "
	  "alphanumerics, '-' and '_', start and end with an alphanumeric and "
	  "be at most 63 characters" },
	{ "spec.sources[0].alias", "\"repo-\"",
	  "spec.sources[0].alias 'repo-': must consist of lower-case "
	  "alphanumerics, '-' and '_', start and end with an alphanumeric and "
	  "be at most 63 characters" },
	{ "spec.sources[1].alias", "\"repo\"",
	  "spec.sources[1].alias 'repo': duplicate alias (also spec.sources[0])" },
	{ "spec.sources[0].kind", "\"HelmRepository\"",
	  "spec.sources[0].kind 'HelmRepository': must be one of Bucket, "
	  "GitRepository, OCIRepository, HelmChart, ExternalArtifact" },
	{ "spec.sources[0].name", "\"my.repo\"",
	  "spec.sources[0].name 'my.repo': must consist of lower-case "
	  "alphanumerics and '-', start and end with an alphanumeric and be at "
	  "most 253 characters" },
	{ "spec.sources[1].namespace", "\"\"",
	  "spec.sources[1].namespace '': must be a DNS label (lower-case "
	  "alphanumerics and '-', at most 63 characters)" },
	{ "spec.commonMetadata.labels", "{\"bad key!\":\"v\"}",
	  "spec.commonMetadata.labels key 'bad key!': must be a valid label key "
	  "([prefix/]name, name at most 63 characters of alphanumerics, '-', "
	  "'_' and '.')" },
	{ "spec.commonMetadata.labels", "{\"k\":\"-v\"}",
	  "spec.commonMetadata.labels[k] '-v': must be a valid label value (at "
	  "most 63 characters of alphanumerics, '-', '_' and '.', starting and "
	  "ending alphanumeric)" },
	{ "spec.pathPattern", "\"repo/apps/{app}\"",
	  "spec.pathPattern 'repo/apps/{app}': must be '@<alias>/<path>'" },
	{ "spec.pathPattern", "\"@nope/apps/{app}\"",
	  "spec.pathPattern '@nope/apps/{app}': source alias 'nope' is not "
	  "declared in spec.sources" },
	{ "spec.pathPattern", "\"@repo/apps/{app\"",
	  "spec.pathPattern '@repo/apps/{app': unbalanced braces in segment "
	  "'{app'" },
	{ "spec.pathPattern", "\"@repo/apps/x-{app}\"",
	  "spec.pathPattern '@repo/apps/x-{app}': a capture must be a whole "
	  "path segment '{name}', got 'x-{app}'" },
	{ "spec.pathPattern", "\"@repo/{a}/{a}\"",
	  "spec.pathPattern '@repo/{a}/{a}': duplicate capture name 'a'" },
	{ "spec.pathPattern", "\"@repo/{1app}\"",
	  "spec.pathPattern '@repo/{1app}': capture name '1app' must match "
	  "[A-Za-z_][A-Za-z0-9_]* and be a valid label key" },
	{ "spec.pathPattern", "\"@repo/{_app}\"",
	  "spec.pathPattern '@repo/{_app}': capture name '_app' must match "
	  "[A-Za-z_][A-Za-z0-9_]* and be a valid label key" },
	{ "spec.pathPattern", "\"@repo/apps//{app}\"",
	  "spec.pathPattern '@repo/apps//{app}': empty path segment" },
	{ "spec.pathPattern", "\"@repo/../{app}\"",
	  "spec.pathPattern '@repo/../{app}': '.' and '..' segments are not "
	  "allowed" },
	{ "spec.artifacts", "[]",
	  "spec.artifacts: must have between 1 and 1000 entries, got 0" },
	{ "spec.artifacts[1].name", "\"Other\"",
	  "spec.artifacts[1].name 'Other': must be a DNS-1123 subdomain "
	  "(lower-case alphanumerics, '-' and '.', starting and ending "
	  "alphanumeric)" },
	{ "spec.artifacts[1].name", "\"{app}\"",
	  "spec.artifacts[1].name '{app}': must be a DNS-1123 subdomain "
	  "(lower-case alphanumerics, '-' and '.', starting and ending "
	  "alphanumeric)" },
	{ "spec.artifacts[1].name", "\"web.config\"",
	  "spec.artifacts[1].name 'web.config': duplicate artifact name (also "
	  "spec.artifacts[0])" },
	{ "spec.artifacts[0].revision", "\"repo\"",
	  "spec.artifacts[0].revision 'repo': must be '@<alias>' (at most 64 "
	  "characters)" },
	{ "spec.artifacts[0].revision", "\"@git\"",
	  "spec.artifacts[0].revision '@git': source alias 'git' is not "
	  "declared in spec.sources" },
	{ "spec.artifacts[0].originRevision", "\"@Chart\"",
	  "spec.artifacts[0].originRevision '@Chart': must be '@<alias>' (at "
	  "most 64 characters)" },
	{ "spec.artifacts[0].originRevision", "\"@oci\"",
	  "spec.artifacts[0].originRevision '@oci': source alias 'oci' is not "
	  "declared in spec.sources" },
	{ "spec.artifacts[1].copy", "[]",
	  "spec.artifacts[1].copy: must have at least one operation" },
	{ "spec.artifacts[0].copy[1].from", "\"chart_1/values.yaml\"",
	  "spec.artifacts[0].copy[1].from 'chart_1/values.yaml': must be "
	  "'@<alias>/<pattern>'" },
	{ "spec.artifacts[0].copy[1].from", "\"@chart_1\"",
	  "spec.artifacts[0].copy[1].from '@chart_1': must be "
	  "'@<alias>/<pattern>'" },
	{ "spec.artifacts[0].copy[1].from", "\"@helm/values.yaml\"",
	  "spec.artifacts[0].copy[1].from '@helm/values.yaml': source alias "
	  "'helm' is not declared in spec.sources" },
	{ "spec.artifacts[0].copy[0].to", "\"@repo/x\"",
	  "spec.artifacts[0].copy[0].to '@repo/x': must start with "
	  "'@artifact/'" },
	{ "spec.artifacts[0].copy[0].to", "\"@artifact\"",
	  "spec.artifacts[0].copy[0].to '@artifact': must start with "
	  "'@artifact/'" },
	{ "spec.artifacts[0].copy[0].from", "\"@repo/deploy/[a-\"",
	  "spec.artifacts[0].copy[0].from '@repo/deploy/[a-': invalid glob: "
	  "invalid pattern 'deploy/[a-': unterminated '[' at position 8" },
	{ "spec.artifacts[0].copy[0].exclude", "[\"*.md\", \"{a,b\"]",
	  "spec.artifacts[0].copy[0].exclude[1] '{a,b': invalid glob: "
	  "invalid pattern '{a,b': unterminated '{' at position 1" },
	{ "spec.artifacts[0].copy[0].exclude", "[\"\"]",
	  "spec.artifacts[0].copy[0].exclude[0] '': must be a non-empty "
	  "pattern of at most 1024 characters" },
};

static void
test_each_rule_has_its_message(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i], false);
}

static void
test_cross_namespace_refs_refused_when_told(void **state)
{
	const struct vcase c = { "spec.sources[1].namespace",
	    "\"flux-system\"", "spec.sources[1].namespace 'flux-system': "
	    "cross-namespace references are not allowed "
	    "(--no-cross-namespace-refs)" };
	struct err e;
	json_t *o = base();

	(void)state;
	run_case(&c, true);
	set_path(o, "spec.sources[1].namespace", json_string("flux-system"));
	if (validate(o, false, &e) < 0)
		fail_msg("allowed by default, got: %s", e.msg);
}

static void
test_pathpattern_name_templates(void **state)
{
	json_t *o;
	struct err e;

	(void)state;
	/* with a pathPattern set, names are templates checked after render */
	o = base();
	set_path(o, "spec.pathPattern", json_string("@repo/apps/{app}"));
	set_path(o, "spec.artifacts[0].name", json_string("{app}-{region}"));
	assert_int_equal(validate(o, false, &e), -1);
	assert_string_equal(e.msg, "ArtifactGenerator apps/gen: "
	    "spec.artifacts[0].name '{app}-{region}': unknown capture "
	    "'{region}' (not in spec.pathPattern)");
	o = base();
	set_path(o, "spec.pathPattern", json_string("@repo/apps/{app}"));
	set_path(o, "spec.artifacts[0].name", json_string("{app"));
	assert_int_equal(validate(o, false, &e), -1);
	assert_string_equal(e.msg, "ArtifactGenerator apps/gen: "
	    "spec.artifacts[0].name '{app': unbalanced '{'");
}

static void
test_lengths_and_counts(void **state)
{
	char *long_alias = repeat('a', 64), *long_pat = repeat('x', 1020);
	char *long_name = repeat('n', 254), buf[2048], want[ERR_MSG_MAX];
	json_t *o, *arr;
	struct err e;

	(void)state;
	o = base();
	set_path(o, "spec.sources[0].alias", json_string(long_alias));
	assert_int_equal(validate(o, false, &e), -1);
	assert_non_null(strstr(e.msg, "spec.sources[0].alias 'aaaa"));

	o = base();
	set_path(o, "spec.artifacts[1].name", json_string(long_name));
	assert_int_equal(validate(o, false, &e), -1);
	snprintf(want, sizeof(want), "ArtifactGenerator apps/gen: "
	    "spec.artifacts[1].name '%.64s...': longer than 253 characters",
	    long_name);
	assert_string_equal(e.msg, want);

	o = base();
	snprintf(buf, sizeof(buf), "@repo/%s", long_pat);
	set_path(o, "spec.artifacts[0].copy[0].from", json_string(buf));
	assert_int_equal(validate(o, false, &e), -1);
	snprintf(want, sizeof(want), "ArtifactGenerator apps/gen: "
	    "spec.artifacts[0].copy[0].from '%.64s...': longer than 1024 "
	    "characters", buf);
	assert_string_equal(e.msg, want);

	o = base();
	snprintf(buf, sizeof(buf), "@artifact/%s", long_pat);
	set_path(o, "spec.artifacts[0].copy[0].to", json_string(buf));
	assert_int_equal(validate(o, false, &e), -1);
	assert_non_null(strstr(e.msg, "copy[0].to '@artifact/xxx"));
	assert_non_null(strstr(e.msg, "longer than 1024 characters"));

	o = base();
	arr = json_array();
	for (int i = 0; i < 101; i++)
		json_array_append_new(arr, json_string("*.md"));
	set_path(o, "spec.artifacts[0].copy[0].exclude", arr);
	assert_int_equal(validate(o, false, &e), -1);
	assert_string_equal(e.msg, "ArtifactGenerator apps/gen: "
	    "spec.artifacts[0].copy[0].exclude: at most 100 patterns, got 101");

	o = base();
	arr = json_object_get(json_object_get(o, "spec"), "sources");
	for (int i = 0; i < 999; i++) {
		snprintf(buf, sizeof(buf), "{\"alias\":\"s%d\",\"kind\":"
		    "\"Bucket\",\"name\":\"b\"}", i);
		json_array_append_new(arr, json_loads(buf, 0, NULL));
	}
	assert_int_equal(validate(o, false, &e), -1);
	assert_string_equal(e.msg, "ArtifactGenerator apps/gen: spec.sources: "
	    "must have between 1 and 1000 entries, got 1001");
	free(long_alias);
	free(long_pat);
	free(long_name);
}

static void
test_name_predicates(void **state)
{
	(void)state;
	assert_true(gen_is_dns_subdomain("a.b-c.d"));
	assert_false(gen_is_dns_subdomain("a..b"));
	assert_false(gen_is_dns_subdomain(".a"));
	assert_false(gen_is_dns_subdomain("a_b"));
	assert_true(gen_is_label_value(""));
	assert_true(gen_is_label_value("Prod_1.x"));
	assert_false(gen_is_label_value("x-"));
	assert_true(gen_is_label_key("app"));
	assert_true(gen_is_label_key("example.com/App_1"));
	assert_false(gen_is_label_key("/app"));
	assert_false(gen_is_label_key("Example.com/app"));
	assert_false(gen_is_label_key("example.com/"));
	assert_true(gen_is_alias("a_b-1"));
	assert_false(gen_is_alias("_a"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_generator_passes),
		cmocka_unit_test(test_each_rule_has_its_message),
		cmocka_unit_test(test_cross_namespace_refs_refused_when_told),
		cmocka_unit_test(test_pathpattern_name_templates),
		cmocka_unit_test(test_lengths_and_counts),
		cmocka_unit_test(test_name_predicates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
