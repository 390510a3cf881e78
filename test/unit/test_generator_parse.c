/*
 * Unit tests for src/base/yaml_json.c and generator_parse.c: YAML typing
 * and bounds, emit/load round trips, the model filled from YAML and JSON,
 * multi-document streams, defaults and shape errors.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "generator/generator_parse.h"
#include "base/yaml_json.h"

static json_t *
load_ok(const char *yaml)
{
	struct err e;
	json_t *docs = NULL;

	if (yaml_json_load(yaml, strlen(yaml), NULL, &docs, &e) < 0)
		fail_msg("load failed: %s", e.msg);
	return docs;
}

static void
test_yaml_scalars_are_typed(void **state)
{
	json_t *docs, *d;

	(void)state;
	docs = load_ok("a: true\nb: False\nc: null\nd: ~\ne: 42\nf: -7\n"
	    "g: 1.5\nh: '42'\ni: \"true\"\nj: !!str 12\nk: yes\nl: 0x1f\n"
	    "m:\nn: 1e3\no: 0o17\np: hello world\n");
	assert_int_equal(json_array_size(docs), 1);
	d = json_array_get(docs, 0);
	assert_true(json_is_true(json_object_get(d, "a")));
	assert_true(json_is_false(json_object_get(d, "b")));
	assert_true(json_is_null(json_object_get(d, "c")));
	assert_true(json_is_null(json_object_get(d, "d")));
	assert_int_equal(json_integer_value(json_object_get(d, "e")), 42);
	assert_int_equal(json_integer_value(json_object_get(d, "f")), -7);
	assert_true(json_real_value(json_object_get(d, "g")) == 1.5);
	assert_string_equal(json_string_value(json_object_get(d, "h")), "42");
	assert_string_equal(json_string_value(json_object_get(d, "i")), "true");
	assert_string_equal(json_string_value(json_object_get(d, "j")), "12");
	/* YAML 1.2 core: yes is a string */
	assert_string_equal(json_string_value(json_object_get(d, "k")), "yes");
	assert_int_equal(json_integer_value(json_object_get(d, "l")), 31);
	assert_true(json_is_null(json_object_get(d, "m")));
	assert_true(json_real_value(json_object_get(d, "n")) == 1000.0);
	assert_int_equal(json_integer_value(json_object_get(d, "o")), 15);
	assert_string_equal(json_string_value(json_object_get(d, "p")),
	    "hello world");
	json_decref(docs);
}

static void
test_yaml_multi_document_stream(void **state)
{
	json_t *docs;

	(void)state;
	docs = load_ok("---\na: 1\n---\n- x\n- y\n---\n");
	assert_int_equal(json_array_size(docs), 3);
	assert_true(json_is_object(json_array_get(docs, 0)));
	assert_int_equal(json_array_size(json_array_get(docs, 1)), 2);
	assert_true(json_is_null(json_array_get(docs, 2)));
	json_decref(docs);
}

static void
expect_load_error(const char *yaml, const struct yaml_json_limits *lim,
    const char *needle)
{
	struct err e;
	json_t *docs = NULL;

	assert_int_equal(yaml_json_load(yaml, strlen(yaml), lim, &docs, &e), -1);
	assert_null(docs);
	if (strstr(e.msg, needle) == NULL)
		fail_msg("message '%s' lacks '%s'", e.msg, needle);
}

static void
test_yaml_aliases_are_refused(void **state)
{
	(void)state;
	expect_load_error("a: &x [1, 2]\nb: [*x, *x, *x]\n", NULL,
	    "aliases are not supported");
}

static void
test_yaml_bounds(void **state)
{
	struct yaml_json_limits depth = { .max_depth = 3 };
	struct yaml_json_limits nodes = { .max_nodes = 5 };
	struct yaml_json_limits bytes = { .max_bytes = 4 };

	(void)state;
	expect_load_error("a: {b: {c: {d: 1}}}\n", &depth, "nesting too deep");
	expect_load_error("[1, 2, 3, 4, 5, 6]\n", &nodes, "too many nodes");
	expect_load_error("a: 12345\n", &bytes, "exceeds the limit of 4 bytes");
	expect_load_error("a: 1\na: 2\n", NULL, "duplicate mapping key 'a'");
	expect_load_error("[1, 2\n", NULL, "invalid YAML at line");
	expect_load_error("? [a]\n: 1\n", NULL, "mapping keys must be scalars");
}

static void
test_yaml_dump_round_trips_ambiguous_strings(void **state)
{
	const char *json = "[{\"s\":[\"true\",\"null\",\"\",\"42\",\"1.5\","
	    "\"yes\",\"off\",\"~\",\"a: b\",\"- x\",\"line1\\nline2\","
	    "\"0x1F\",\"1_000\",\"12:30\",\"#c\",\"@artifact/\"],"
	    "\"n\":7,\"r\":2.5,\"b\":false,\"z\":null,\"e\":{},\"l\":[]},"
	    "\"plain\"]";
	json_error_t je;
	json_t *in = json_loads(json, 0, &je), *back;
	struct err e;
	char *yaml;
	size_t len;

	(void)state;
	assert_non_null(in);
	assert_int_equal(yaml_json_dump(in, &yaml, &len, &e), 0);
	assert_int_equal(strlen(yaml), len);
	assert_non_null(strstr(yaml, "---"));
	back = load_ok(yaml);
	if (!json_equal(in, back))
		fail_msg("round trip differs:\n%s", yaml);
	free(yaml);
	json_decref(in);
	json_decref(back);
}

static const char *const full_yaml =
    "apiVersion: source.extensions.fluxcd.io/v1beta1\n"
    "kind: ArtifactGenerator\n"
    "metadata:\n"
    "  name: gen\n"
    "  namespace: apps\n"
    "spec:\n"
    "  sources:\n"
    "    - alias: repo\n"
    "      kind: GitRepository\n"
    "      name: monorepo\n"
    "    - alias: chart\n"
    "      kind: OCIRepository\n"
    "      name: podinfo\n"
    "      namespace: flux-system\n"
    "  pathPattern: \"@repo/apps/{app}\"\n"
    "  commonMetadata:\n"
    "    labels: {team: web}\n"
    "    annotations: {note: hi}\n"
    "  artifacts:\n"
    "    - name: \"{app}-config\"\n"
    "      revision: \"@repo\"\n"
    "      originRevision: \"@chart\"\n"
    "      copy:\n"
    "        - from: \"@repo/apps/{app}/**\"\n"
    "          to: \"@artifact/\"\n"
    "          exclude: [\"*.md\", \"tmp/\"]\n"
    "        - from: \"@chart/values.yaml\"\n"
    "          to: \"@artifact/values.yaml\"\n"
    "          strategy: Merge\n"
    "        - from: \"@chart/*.tgz\"\n"
    "          to: \"@artifact/charts/\"\n"
    "          strategy: Extract\n";

static void
check_full_generator(const struct generator *g)
{
	const struct gen_artifact *a;

	assert_string_equal(g->name, "gen");
	assert_string_equal(g->namespace, "apps");
	assert_null(g->uid);
	assert_int_equal(g->n_sources, 2);
	assert_string_equal(g->sources[0].alias, "repo");
	assert_string_equal(g->sources[0].kind, "GitRepository");
	assert_string_equal(g->sources[0].name, "monorepo");
	assert_null(g->sources[0].namespace);
	assert_string_equal(g->sources[1].namespace, "flux-system");
	assert_string_equal(g->path_pattern, "@repo/apps/{app}");
	assert_int_equal(g->labels.len, 1);
	assert_string_equal(g->labels.items[0].key, "team");
	assert_string_equal(g->labels.items[0].value, "web");
	assert_int_equal(g->annotations.len, 1);
	assert_string_equal(g->annotations.items[0].value, "hi");
	assert_int_equal(g->n_artifacts, 1);
	a = &g->artifacts[0];
	assert_string_equal(a->name, "{app}-config");
	assert_string_equal(a->revision, "@repo");
	assert_string_equal(a->origin_revision, "@chart");
	assert_int_equal(a->n_copy, 3);
	assert_string_equal(a->copy[0].from, "@repo/apps/{app}/**");
	assert_string_equal(a->copy[0].to, "@artifact/");
	assert_int_equal(a->copy[0].n_exclude, 2);
	assert_string_equal(a->copy[0].exclude[1], "tmp/");
	assert_int_equal(a->copy[0].strategy, COPY_OVERWRITE);
	assert_int_equal(a->copy[1].strategy, COPY_MERGE);
	assert_int_equal(a->copy[2].strategy, COPY_EXTRACT);
	assert_ptr_equal(generator_source(g, "chart"), &g->sources[1]);
	assert_null(generator_source(g, "nope"));
}

static void
test_parse_yaml_full_generator(void **state)
{
	struct generator *gs;
	size_t n;
	struct err e;

	(void)state;
	if (generator_parse_yaml(full_yaml, strlen(full_yaml), &gs, &n, &e) < 0)
		fail_msg("%s", e.msg);
	assert_int_equal(n, 1);
	check_full_generator(&gs[0]);
	generator_free(&gs[0]);
	free(gs);
}

static void
test_parse_json_form_is_the_same_model(void **state)
{
	json_t *docs = load_ok(full_yaml);
	char *text = json_dumps(json_array_get(docs, 0), 0);
	json_error_t je;
	json_t *obj = json_loads(text, 0, &je);
	struct generator g;
	struct err e;

	(void)state;
	assert_non_null(obj);
	json_object_set_new(json_object_get(obj, "metadata"), "uid",
	    json_string("1234-abcd"));
	if (generator_from_json(obj, &g, &e) < 0)
		fail_msg("%s", e.msg);
	assert_string_equal(g.uid, "1234-abcd");
	free(g.uid);
	g.uid = NULL;
	check_full_generator(&g);
	generator_free(&g);
	json_decref(obj);
	json_decref(docs);
	free(text);
}

static void
test_parse_defaults_and_multi_documents(void **state)
{
	const char *yaml =
	    "---\n"
	    "apiVersion: source.extensions.fluxcd.io/v1beta1\n"
	    "kind: ArtifactGenerator\n"
	    "metadata: {name: one}\n"
	    "spec:\n"
	    "  sources: [{alias: a, kind: Bucket, name: b}]\n"
	    "  artifacts: [{name: x, copy: [{from: '@a/f', to: '@artifact/'}]}]\n"
	    "---\n"
	    "---\n"
	    "apiVersion: source.extensions.fluxcd.io/v1beta1\n"
	    "kind: ArtifactGenerator\n"
	    "metadata: {name: two, namespace: ns2}\n"
	    "spec: {sources: [], artifacts: []}\n";
	struct generator *gs;
	size_t n;
	struct err e;

	(void)state;
	if (generator_parse_yaml(yaml, strlen(yaml), &gs, &n, &e) < 0)
		fail_msg("%s", e.msg);
	assert_int_equal(n, 2);
	assert_string_equal(gs[0].name, "one");
	assert_string_equal(gs[0].namespace, "default");
	assert_null(gs[0].path_pattern);
	assert_int_equal(gs[0].labels.len, 0);
	assert_int_equal(gs[0].artifacts[0].copy[0].strategy, COPY_OVERWRITE);
	assert_null(gs[0].artifacts[0].revision);
	assert_string_equal(gs[1].namespace, "ns2");
	assert_int_equal(gs[1].n_sources, 0);
	assert_int_equal(gs[1].n_artifacts, 0);
	for (size_t i = 0; i < n; i++)
		generator_free(&gs[i]);
	free(gs);
}

static void
expect_parse_error(const char *yaml, const char *msg)
{
	struct generator *gs = NULL;
	size_t n = 0;
	struct err e;

	assert_int_equal(generator_parse_yaml(yaml, strlen(yaml), &gs, &n, &e),
	    -1);
	assert_null(gs);
	assert_string_equal(e.msg, msg);
}

#define HDR "apiVersion: source.extensions.fluxcd.io/v1beta1\n" \
    "kind: ArtifactGenerator\nmetadata: {name: g, namespace: n}\n"

static void
test_parse_errors_name_document_and_field(void **state)
{
	(void)state;
	expect_parse_error(HDR "spec: {sources: []}\n---\n"
	    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
	    "document 2: kind 'ConfigMap' is not ArtifactGenerator");
	expect_parse_error("- a\n",
	    "document 1: expected an ArtifactGenerator object, got a list");
	expect_parse_error("apiVersion: source.extensions.fluxcd.io/v1\n"
	    "kind: ArtifactGenerator\n",
	    "document 1: apiVersion 'source.extensions.fluxcd.io/v1' is not "
	    "source.extensions.fluxcd.io/v1beta1");
	expect_parse_error(HDR "spec:\n  sources: [{alias: 5, kind: Bucket, "
	    "name: b}]\n",
	    "document 1: ArtifactGenerator n/g: spec.sources[0].alias: "
	    "expected a string, got a number");
	expect_parse_error(HDR "spec:\n  sources: [{alias: a, kind: Bucket}]\n",
	    "document 1: ArtifactGenerator n/g: spec.sources[0].name: "
	    "required field is missing");
	expect_parse_error(HDR "spec:\n  artifacts:\n    - name: x\n      copy:\n"
	    "        - {from: '@a/x', to: '@artifact/', strategy: Copy}\n",
	    "document 1: ArtifactGenerator n/g: spec.artifacts[0].copy[0]."
	    "strategy: unknown strategy 'Copy' (expected Overwrite, Merge or "
	    "Extract)");
	expect_parse_error(HDR "spec:\n  artifacts:\n    - name: x\n      copy:\n"
	    "        - {from: '@a/x', to: '@artifact/', exclude: [1]}\n",
	    "document 1: ArtifactGenerator n/g: spec.artifacts[0].copy[0]."
	    "exclude[0]: expected a string, got a number");
	expect_parse_error(HDR "spec:\n  commonMetadata: {labels: {a: 1}}\n",
	    "document 1: ArtifactGenerator n/g: spec.commonMetadata.labels[a]: "
	    "expected a string, got a number");
	expect_parse_error(HDR "spec: []\n",
	    "document 1: ArtifactGenerator n/g: spec: expected a mapping, got a "
	    "list");
	expect_parse_error("apiVersion: source.extensions.fluxcd.io/v1beta1\n"
	    "kind: ArtifactGenerator\nspec: {}\n",
	    "document 1: metadata: required field is missing");
}

/* HDR plus one artifact whose copy has n excludes, as a flow list. */
static char *
gen_with_excludes(size_t n, size_t *len)
{
	static const char head[] = HDR "spec:\n  artifacts:\n    - name: x\n"
	    "      copy:\n        - from: '@a/x'\n          to: '@artifact/'\n"
	    "          exclude: [";
	char *buf = malloc(sizeof(head) + 2 * n + 2);
	size_t i, off = sizeof(head) - 1;

	assert_non_null(buf);
	memcpy(buf, head, off);
	for (i = 0; i < n; i++) {
		memcpy(buf + off, i ? ",a" : "a", i ? 2 : 1);
		off += i ? 2 : 1;
	}
	memcpy(buf + off, "]\n", 3);
	*len = off + 2;
	return buf;
}

/* A 999,000-item exclude list (2 MB) is refused at item 10,001 of the
 * parse, with its field path: nothing close to its size is built. */
static void
test_parse_yaml_refuses_huge_lists_while_parsing(void **state)
{
	struct generator *gs = NULL;
	size_t n = 0, len;
	char *yaml = gen_with_excludes(999000, &len);
	struct err e;

	(void)state;
	assert_int_equal(generator_parse_yaml(yaml, len, &gs, &n, &e), -1);
	assert_null(gs);
	/* "          exclude: [" is 20 columns; item 10,001 is 20,000 later */
	assert_string_equal(e.msg, "YAML input over a limit at line 10 column "
	    "20021: spec.artifacts[0].copy[0].exclude: a list with more than "
	    "10000 items");
	free(yaml);
	/* below the parse limit, the list is the validator's business */
	yaml = gen_with_excludes(GENERATOR_MAX_ITEMS, &len);
	assert_int_equal(generator_parse_yaml(yaml, len, &gs, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_int_equal(gs[0].artifacts[0].copy[0].n_exclude,
	    GENERATOR_MAX_ITEMS);
	generator_free(&gs[0]);
	free(gs);
	free(yaml);
}

/* The API server's JSON gets the same limits and words as YAML. */
static void
test_parse_json_refuses_what_yaml_refuses(void **state)
{
	struct generator g;
	json_t *obj, *ex, *labels;
	struct err e;
	char key[32];
	size_t i;

	(void)state;
	obj = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:{s:{}}, s:[{s:s, s:"
	    "[{s:s, s:s, s:[]}]}]}}", "apiVersion", GENERATOR_API_VERSION,
	    "kind", GENERATOR_KIND, "metadata", "name", "g", "namespace", "n",
	    "spec", "commonMetadata", "labels", "artifacts", "name", "x",
	    "copy", "from", "@a/x", "to", "@artifact/", "exclude");
	assert_non_null(obj);
	ex = json_object_get(json_array_get(json_object_get(json_array_get(
	    json_object_get(json_object_get(obj, "spec"), "artifacts"), 0),
	    "copy"), 0), "exclude");
	labels = json_object_get(json_object_get(json_object_get(obj, "spec"),
	    "commonMetadata"), "labels");
	for (i = 0; i < 999000; i++)
		json_array_append_new(ex, json_string("a"));
	assert_int_equal(generator_from_json(obj, &g, &e), -1);
	assert_string_equal(e.msg, "ArtifactGenerator n/g is over a limit: "
	    "spec.artifacts[0].copy[0].exclude: a list with more than 10000 "
	    "items");
	json_array_clear(ex);
	/* one string longer than GENERATOR_MAX_STRING */
	{
		char *s = malloc(GENERATOR_MAX_STRING + 2);

		assert_non_null(s);
		memset(s, 'n', GENERATOR_MAX_STRING + 1);
		s[GENERATOR_MAX_STRING + 1] = '\0';
		json_object_set_new(json_array_get(json_object_get(json_object_get(
		    obj, "spec"), "artifacts"), 0), "name", json_string(s));
		free(s);
	}
	assert_int_equal(generator_from_json(obj, &g, &e), -1);
	assert_string_equal(e.msg, "ArtifactGenerator n/g is over a limit: "
	    "spec.artifacts[0].name: a string of 262145 bytes (at most "
	    "262144)");
	json_object_set_new(json_array_get(json_object_get(json_object_get(obj,
	    "spec"), "artifacts"), 0), "name", json_string("x"));
	for (i = 0; i <= GENERATOR_MAX_ITEMS; i++) {
		snprintf(key, sizeof(key), "k%zu", i);
		json_object_set_new(labels, key, json_string("v"));
	}
	assert_int_equal(generator_from_json(obj, &g, &e), -1);
	assert_string_equal(e.msg, "ArtifactGenerator n/g is over a limit: "
	    "spec.commonMetadata.labels: a mapping with more than 10000 "
	    "entries");
	json_object_clear(labels);
	assert_int_equal(generator_from_json(obj, &g, &e), 0);
	generator_free(&g);
	json_decref(obj);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml_scalars_are_typed),
		cmocka_unit_test(test_yaml_multi_document_stream),
		cmocka_unit_test(test_yaml_aliases_are_refused),
		cmocka_unit_test(test_yaml_bounds),
		cmocka_unit_test(test_yaml_dump_round_trips_ambiguous_strings),
		cmocka_unit_test(test_parse_yaml_full_generator),
		cmocka_unit_test(test_parse_json_form_is_the_same_model),
		cmocka_unit_test(test_parse_defaults_and_multi_documents),
		cmocka_unit_test(test_parse_errors_name_document_and_field),
		cmocka_unit_test(test_parse_yaml_refuses_huge_lists_while_parsing),
		cmocka_unit_test(test_parse_json_refuses_what_yaml_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
