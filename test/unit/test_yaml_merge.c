/*
 * Unit tests for src/engine/yaml_merge.c: Helm values semantics (maps
 * merge recursively, overlay scalars win, lists replaced whole), multi-doc
 * inputs merged in order, null documents, sorted keys, styles and tags kept,
 * aliases expanded, and the errors: invalid YAML, non-mapping documents,
 * duplicate and non-scalar keys, depth and node bounds.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/yaml_merge.h"

struct merge_case {
	const char *name;
	const char *base, *overlay;
	const char *want;	/* merged output, or NULL */
	const char *error;	/* expected message when want is NULL */
};

static const struct merge_case cases[] = {
	{ "nested maps merge, scalars and lists from the overlay",
	    "image:\n  repo: web\n  tag: \"1.0\"\nports: [80, 443]\nkeep: 1\n",
	    "image:\n  tag: \"2.0\"\n  pull: Always\nports: [8080]\n",
	    "image:\n  pull: Always\n  repo: web\n  tag: \"2.0\"\nkeep: 1\n"
	    "ports:\n- 8080\n", NULL },
	{ "a scalar replaces a map and a map replaces a scalar",
	    "a: {x: 1}\nb: plain\n", "a: 2\nb: {y: 3}\n",
	    "a: 2\nb:\n  y: 3\n", NULL },
	{ "keys sorted bytewise at every level",
	    "zeta: 1\nAlpha: 2\nm: {b: 1, a: 2, B: 3}\n", "",
	    "Alpha: 2\nm:\n  B: 3\n  a: 2\n  b: 1\nzeta: 1\n", NULL },
	{ "multi-document inputs merge in order first",
	    "a: 1\n---\na: 2\nb: 1\n", "c: 1\n---\nc: 2\n---\n",
	    "a: 2\nb: 1\nc: 2\n", NULL },
	{ "null and empty documents are empty maps",
	    "---\n~\n---\n", "", "{}\n", NULL },
	{ "styles and explicit tags are kept",
	    "s: 'single'\nd: \"double\"\nt: !!str 123\nl: |\n  line1\n  line2\n",
	    "", "d: \"double\"\nl: |\n  line1\n  line2\ns: 'single'\n"
	    "t: !!str 123\n", NULL },
	{ "aliases are expanded",
	    "base: &b {x: 1}\nuse: *b\n", "use: {y: 2}\n",
	    "base:\n  x: 1\nuse:\n  x: 1\n  y: 2\n", NULL },
	{ "invalid YAML names the file and line",
	    "a: 1\n", "a:\n  - b\n c: d\n", NULL,
	    "invalid YAML in 'overlay.yaml' at line 3, column 2: did not find "
	    "expected key" },
	{ "a list document is not a mapping",
	    "a: 1\n", "a: 1\n---\n- x\n", NULL,
	    "document 2 of 'overlay.yaml' is not a mapping" },
	{ "a scalar document is not a mapping",
	    "just text\n", "", NULL,
	    "document 1 of 'base.yaml' is not a mapping" },
	{ "duplicate keys are refused",
	    "a: 1\nb: 2\na: 3\n", "", NULL,
	    "'base.yaml': duplicate mapping key 'a'" },
	{ "non-scalar keys are refused",
	    "? [a, b]\n: 1\n", "", NULL,
	    "'base.yaml': mapping keys must be scalars" },
};

static void
test_yaml_merge_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct merge_case *c = &cases[i];
		char *out = NULL;
		size_t len;
		struct err e;
		int rc;

		rc = yaml_merge(c->base, strlen(c->base), "base.yaml",
		    c->overlay, strlen(c->overlay), "overlay.yaml", &out, &len,
		    &e);
		if (c->want != NULL) {
			if (rc != 0)
				fail_msg("case '%s': %s", c->name, e.msg);
			if (strcmp(out, c->want) != 0 || len != strlen(c->want))
				fail_msg("case '%s':\n--- got\n%s--- want\n%s",
				    c->name, out, c->want);
		} else {
			if (rc == 0)
				fail_msg("case '%s': expected an error, got\n%s",
				    c->name, out);
			if (strcmp(e.msg, c->error) != 0)
				fail_msg("case '%s':\n  got  %s\n  want %s",
				    c->name, e.msg, c->error);
			assert_null(out);
		}
		free(out);
	}
}

static void
test_yaml_merge_output_is_stable(void **state)
{
	const char *base = "b: [1, 2]\na: {y: 1, x: 2}\n";
	const char *overlay = "a: {z: 3}\n";
	char *once, *twice;
	size_t l1, l2;
	struct err e;

	(void)state;
	assert_int_equal(yaml_merge(base, strlen(base), "b", overlay,
	    strlen(overlay), "o", &once, &l1, &e), 0);
	/* merging the result again with nothing changes nothing */
	assert_int_equal(yaml_merge(once, l1, "b", "", 0, "o", &twice, &l2,
	    &e), 0);
	assert_string_equal(once, twice);
	free(once);
	free(twice);
}

static void
test_yaml_merge_depth_bound(void **state)
{
	char deep[4 * (YAML_MERGE_MAX_DEPTH + 8)];
	char *out;
	size_t i, n = 0, len;
	struct err e;

	(void)state;
	for (i = 0; i < YAML_MERGE_MAX_DEPTH + 4; i++)
		deep[n++] = '[';
	deep[n] = '\0';
	n += (size_t)snprintf(deep + n, sizeof(deep) - n, "1");
	for (i = 0; i < YAML_MERGE_MAX_DEPTH + 4; i++)
		deep[n++] = ']';
	deep[n] = '\0';
	{
		char *doc;

		if (asprintf(&doc, "a: %s\n", deep) < 0)
			fail_msg("asprintf");
		assert_int_equal(yaml_merge(doc, strlen(doc), "deep.yaml", "",
		    0, "o", &out, &len, &e), -1);
		assert_string_equal(e.msg, "'deep.yaml' is nested deeper than "
		    "64 levels");
		free(doc);
	}
}

/* "Billion laughs": aliases multiply nodes; the node bound stops it. */
static void
test_yaml_merge_alias_bomb_bounded(void **state)
{
	const char *bomb =
	    "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
	    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
	    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
	    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
	    "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
	    "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
	char *out;
	size_t len;
	struct err e;

	(void)state;
	assert_int_equal(yaml_merge(bomb, strlen(bomb), "bomb.yaml", "", 0,
	    "o", &out, &len, &e), -1);
	assert_string_equal(e.msg, "'bomb.yaml' has more than 250000 YAML "
	    "nodes");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml_merge_table),
		cmocka_unit_test(test_yaml_merge_output_is_stable),
		cmocka_unit_test(test_yaml_merge_depth_bound),
		cmocka_unit_test(test_yaml_merge_alias_bomb_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
