/*
 * Unit tests for src/engine/yaml_merge.c: Helm values semantics (maps
 * merge recursively, overlay scalars win, lists replaced whole), multi-doc
 * inputs merged in order, null documents, sorted keys, styles and tags kept,
 * aliases expanded, and the errors: invalid YAML (with its real position,
 * also for invalid UTF-8), non-mapping documents, duplicate and non-scalar
 * keys, depth, node and expanded-bytes bounds; many anchors and many
 * unsorted keys take linear / n log n time.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	{ "a redefined anchor: later aliases see the later node",
	    "a: &x 1\nb: *x\nc: &x 2\nd: *x\n", "",
	    "a: 1\nb: 1\nc: 2\nd: 2\n", NULL },
	{ "anchors do not outlive their document",
	    "a: &x 1\n---\nb: *x\n", "", NULL,
	    "invalid YAML in 'base.yaml' at line 3, column 4: unknown alias "
	    "'*x'" },
	{ "invalid UTF-8 names its real line and column",
	    "a: 1\n", "a: 1\nb: 2\nccc: x\xffy\n", NULL,
	    "invalid YAML in 'overlay.yaml' at line 3, column 7: invalid "
	    "leading UTF-8 octet" },
	{ "a control character names its real line and column",
	    "a: 1\nbb: 2\nc: \x01\n", "", NULL,
	    "invalid YAML in 'base.yaml' at line 3, column 4: control "
	    "characters are not allowed" },
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
	/* an alias's expansion counts its own levels: 40 + 30 > 64 */
	{
		char doc[512];

		n = (size_t)snprintf(doc, sizeof(doc), "a: &x ");
		for (i = 0; i < 39; i++)
			doc[n++] = '[';
		n += (size_t)snprintf(doc + n, sizeof(doc) - n, "1");
		for (i = 0; i < 39; i++)
			doc[n++] = ']';
		n += (size_t)snprintf(doc + n, sizeof(doc) - n, "\nb: ");
		for (i = 0; i < 29; i++)
			doc[n++] = '[';
		n += (size_t)snprintf(doc + n, sizeof(doc) - n, "*x");
		for (i = 0; i < 29; i++)
			doc[n++] = ']';
		doc[n++] = '\n';
		assert_int_equal(yaml_merge(doc, n, "deep.yaml", "", 0, "o",
		    &out, &len, &e), -1);
		assert_string_equal(e.msg, "'deep.yaml' at line 2, column 33: "
		    "alias '*x' nests deeper than 64 levels");
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
	/* refused at the alias that would cross the bound, before copying */
	assert_string_equal(e.msg, "'bomb.yaml' at line 6, column 12: alias "
	    "'*e' expands beyond 250000 YAML nodes");
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The case: 274 KB, one anchored 270 KB scalar, 4000 aliases of it
 * (1.09 GB expanded). Refused by bytes at the first alias past the budget. */
static void
test_yaml_merge_alias_bytes_bounded(void **state)
{
	size_t big = 270000, n = 4000, len = 0, i;
	char *doc = malloc(big + 4 * n + 64), *out;
	size_t olen;
	struct err e;
	char want[256];

	(void)state;
	assert_non_null(doc);
	len += (size_t)sprintf(doc, "big: &a ");
	memset(doc + len, 'x', big);
	len += big;
	len += (size_t)sprintf(doc + len, "\nl: [");
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(doc + len, "*a,");
	doc[len - 1] = ']';
	assert_int_equal(yaml_merge("a: 1\n", 5, "base.yaml", doc, len,
	    "overlay.yaml", &out, &olen, &e), -1);
	assert_null(out);
	/* the budget holds the other scalars ("a", "1", "big", "l": 6 bytes),
	 * the anchored one and i copies; alias i (0-based, column 5 + 3 i)
	 * is the first refused */
	i = (YAML_MERGE_MAX_EXPANDED - 6 - big) / big;
	snprintf(want, sizeof(want), "'overlay.yaml' at line 2, column %zu: "
	    "alias '*a' expands beyond %u bytes of YAML scalars", 5 + 3 * i,
	    YAML_MERGE_MAX_EXPANDED);
	free(doc);
	assert_string_equal(e.msg, want);
}

/* 120,000 anchors and 120,000 aliases to them: linear time. */
static void
test_yaml_merge_many_anchors_fast(void **state)
{
	size_t n = 120000, len = 0, i, olen;
	char *doc = malloc(32 * n + 64), *out, line[64];
	double t0 = now();
	struct err e;

	(void)state;
	assert_non_null(doc);
	len += (size_t)sprintf(doc, "anchors:\n");
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(doc + len, "- &a%zu v%zu\n", i, i);
	len += (size_t)sprintf(doc + len, "aliases:\n");
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(doc + len, "- *a%zu\n", n - 1 - i);
	if (yaml_merge("", 0, "base.yaml", doc, len, "overlay.yaml", &out,
	    &olen, &e) != 0)
		fail_msg("%s", e.msg);
	if (now() - t0 > 10)
		fail_msg("took %.1f s", now() - t0);
	/* aliases come first (sorted keys), the first one is the last anchor */
	snprintf(line, sizeof(line), "aliases:\n- v%zu\n- v%zu\n", n - 1,
	    n - 2);
	assert_memory_equal(out, line, strlen(line));
	snprintf(line, sizeof(line), "- v0\nanchors:\n- v0\n- v1\n");
	assert_non_null(strstr(out, line));
	free(out);
	free(doc);
}

/* 120,000 keys in reverse order are sorted in O(n log n). */
static void
test_yaml_merge_many_reversed_keys_fast(void **state)
{
	size_t n = 120000, len = 0, i, olen;
	char *doc = malloc(16 * n), *out, *p;
	double t0 = now();
	struct err e;

	(void)state;
	assert_non_null(doc);
	for (i = n; i > 0; i--)
		len += (size_t)sprintf(doc + len, "k%06zu: %zu\n", i - 1, i - 1);
	if (yaml_merge(doc, len, "base.yaml", "k000007: x\n", 11,
	    "overlay.yaml", &out, &olen, &e) != 0)
		fail_msg("%s", e.msg);
	if (now() - t0 > 10)
		fail_msg("took %.1f s", now() - t0);
	assert_memory_equal(out, "k000000: 0\nk000001: 1\n", 22);
	assert_non_null(strstr(out, "k000006: 6\nk000007: x\nk000008: 8\n"));
	p = out + olen - 16;
	assert_string_equal(p, "k119999: 119999\n");
	free(out);
	free(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml_merge_table),
		cmocka_unit_test(test_yaml_merge_output_is_stable),
		cmocka_unit_test(test_yaml_merge_depth_bound),
		cmocka_unit_test(test_yaml_merge_alias_bomb_bounded),
		cmocka_unit_test(test_yaml_merge_alias_bytes_bounded),
		cmocka_unit_test(test_yaml_merge_many_anchors_fast),
		cmocka_unit_test(test_yaml_merge_many_reversed_keys_fast),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
