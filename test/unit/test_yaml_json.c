/*
 * Unit tests for src/base/yaml_json.c limits and positions and
 * src/base/yaml_pos.c: every limit is refused while parsing with the path
 * and position of the offending node; yaml_json_check gives the same message
 * for the same tree built elsewhere; reader errors (invalid UTF-8, control
 * characters) report their real line and column; yaml_json_read_file
 * refuses an oversize file before reading it.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/yaml_json.h"
#include "base/yaml_pos.h"

static void
expect_load_error_n(const char *yaml, size_t len,
    const struct yaml_json_limits *lim, const char *want)
{
	json_t *docs = NULL;
	struct err e;

	assert_int_equal(yaml_json_load(yaml, len, lim, &docs, &e), -1);
	assert_null(docs);
	assert_string_equal(e.msg, want);
}

static void
expect_load_error(const char *yaml, const struct yaml_json_limits *lim,
    const char *want)
{
	expect_load_error_n(yaml, strlen(yaml), lim, want);
}

static void
test_reader_errors_report_their_line_and_column(void **state)
{
	(void)state;
	expect_load_error("a: 1\nb: 2\nccc: x\xffy\n", NULL,
	    "invalid YAML at line 3 column 7: invalid leading UTF-8 octet");
	expect_load_error("a: 1\nb: 2\nccc: x\x01y\n", NULL,
	    "invalid YAML at line 3 column 7: control characters are not "
	    "allowed");
	/* columns count characters, CRLF is one line break */
	expect_load_error("a: 1\r\nb: 2\r\n\xc3\xa9\xc3\xa9: x\x07\n", NULL,
	    "invalid YAML at line 3 column 6: control characters are not "
	    "allowed");
	/* a truncated 3-byte character at column 9: the octet that breaks it
	 * ('z') is the position */
	expect_load_error("k: v\nlong: ab\xe2\x82z\n", NULL,
	    "invalid YAML at line 2 column 10: invalid trailing UTF-8 octet");
	/* scanner errors keep libyaml's own mark */
	expect_load_error("a: 1\nb: [1, 2\n", NULL,
	    "invalid YAML at line 3 column 1: did not find expected ',' or ']'");
}

static void
test_yaml_pos_offset(void **state)
{
	const char *s = "ab\ncd\r\nef\rg\xc3\xa9h";
	size_t line, col;

	(void)state;
	yaml_pos_offset(s, strlen(s), 0, &line, &col);
	assert_int_equal(line, 1);
	assert_int_equal(col, 1);
	yaml_pos_offset(s, strlen(s), 4, &line, &col);	/* 'd' */
	assert_int_equal(line, 2);
	assert_int_equal(col, 2);
	yaml_pos_offset(s, strlen(s), 7, &line, &col);	/* 'e' after CRLF */
	assert_int_equal(line, 3);
	assert_int_equal(col, 1);
	yaml_pos_offset(s, strlen(s), 13, &line, &col);	/* 'h' after 'g', e-acute */
	assert_int_equal(line, 4);
	assert_int_equal(col, 3);
	yaml_pos_offset(s, 3, 99, &line, &col);		/* clamped to len */
	assert_int_equal(line, 2);
	assert_int_equal(col, 1);
}

static void
test_limits_name_path_and_position(void **state)
{
	struct yaml_json_limits items = { .max_items = 3 };
	struct yaml_json_limits str = { .max_string = 4 };
	struct yaml_json_limits bytes = { .max_bytes = 12 };
	struct yaml_json_limits depth = { .max_depth = 3 };
	struct yaml_json_limits nodes = { .max_nodes = 4 };

	(void)state;
	expect_load_error("a:\n  b: [x, y, z, w]\n", &items,
	    "YAML input over a limit at line 2 column 16: a.b: a list with "
	    "more than 3 items");
	expect_load_error("l:\n- {p: 1, q: 2, r: 3, s: 4}\n", &items,
	    "YAML input over a limit at line 2 column 22: l[0]: a mapping with "
	    "more than 3 entries");
	expect_load_error("a: [ok, toolong]\n", &str,
	    "YAML input over a limit at line 1 column 9: a[1]: a string of 7 "
	    "bytes (at most 4)");
	expect_load_error("keylong: 1\n", &str,
	    "YAML input over a limit at line 1 column 1: a string of 7 bytes "
	    "(at most 4)");
	/* YAML text never holds fewer bytes than its strings: the text bound
	 * comes first */
	expect_load_error("abc: defg\nhij: klm\n", &bytes,
	    "YAML input of 19 bytes exceeds the limit of 12 bytes");
	expect_load_error("a: {b: {c: 1}}\n", &depth,
	    "YAML input over a limit at line 1 column 12: a.b.c: nesting too "
	    "deep (more than 3 levels)");
	expect_load_error("- 1\n- [2, 3]\n", &nodes,
	    "YAML input over a limit at line 2 column 7: [1][1]: too many "
	    "nodes (more than 4)");
}

/* The same tree over the same limit gives the same words from both paths. */
static void
test_check_agrees_with_the_loader(void **state)
{
	static const char *const docs[] = {
		"spec:\n  artifacts:\n  - copy:\n    - exclude: [a, b, c, d]\n",
		"spec: {labels: {a: '1', b: '2', c: '3', d: '4'}}\n",
		"spec: {x: [[[[deep]]]]}\n",
		"spec: {name: abcdefghijklmnopqrstuvwxyz}\n",
	};
	struct yaml_json_limits lim = { .max_items = 3, .max_depth = 5,
	    .max_string = 16 };
	struct err e1, e2;
	json_t *tree, *none = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		const char *tail;

		if (yaml_json_load(docs[i], strlen(docs[i]), NULL, &tree,
		    &e1) < 0)
			fail_msg("%s", e1.msg);
		assert_int_equal(yaml_json_check(json_array_get(tree, 0),
		    &lim, &e1), -1);
		assert_int_equal(yaml_json_load(docs[i], strlen(docs[i]), &lim,
		    &none, &e2), -1);
		assert_null(none);
		tail = strstr(e2.msg, ": spec");
		assert_non_null(tail);
		assert_string_equal(e1.msg, tail + 2);
		assert_int_equal(yaml_json_check(json_array_get(tree, 0), NULL,
		    &e1), 0);
		json_decref(tree);
	}
}

/* A tree from elsewhere (JSON) has its strings' bytes bounded. */
static void
test_check_bounds_string_bytes(void **state)
{
	struct yaml_json_limits bytes = { .max_bytes = 12 };
	json_t *doc = json_pack("{s:s, s:[s, s]}", "abc", "defg", "hij", "k",
	    "lmnop");
	struct err e;

	(void)state;
	assert_non_null(doc);
	assert_int_equal(yaml_json_check(doc, &bytes, &e), -1);
	assert_string_equal(e.msg, "hij[1]: more than 12 bytes of keys and "
	    "strings");
	json_decref(doc);
}

/* A 999,000-item list is refused at item 1001, not after being built. */
static void
test_long_list_refused_while_parsing(void **state)
{
	struct yaml_json_limits lim = { .max_items = 1000 };
	size_t n = 999000, i, len = 0;
	char *yaml = malloc(2 * n + 16);
	json_t *docs = NULL;
	struct err e;

	(void)state;
	assert_non_null(yaml);
	len += (size_t)sprintf(yaml, "x: [");
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(yaml + len, "a,");
	yaml[len - 1] = ']';
	assert_int_equal(yaml_json_load(yaml, len, &lim, &docs, &e), -1);
	/* "x: [" is 4 columns, item 1001 starts 2000 bytes later */
	assert_string_equal(e.msg, "YAML input over a limit at line 1 column "
	    "2005: x: a list with more than 1000 items");
	free(yaml);
}

static void
test_read_file_is_bounded(void **state)
{
	char *dir = tu_mkdtemp(), *path, *buf;
	size_t len;
	struct err e;

	(void)state;
	tu_write_str(dir, "small.yaml", "a: 1\n");
	tu_write_str(dir, "big.yaml", "a: 123456789\n");
	path = tu_path(dir, "small.yaml");
	assert_int_equal(yaml_json_read_file(path, 5, &buf, &len, &e), 0);
	assert_int_equal(len, 5);
	assert_string_equal(buf, "a: 1\n");
	free(buf);
	free(path);
	path = tu_path(dir, "big.yaml");
	assert_int_equal(yaml_json_read_file(path, 12, &buf, &len, &e), -1);
	assert_null(buf);
	assert_string_equal(e.msg, "file of 13 bytes is larger than the limit "
	    "of 12 bytes");
	free(path);
	path = tu_path(dir, "missing.yaml");
	assert_int_equal(yaml_json_read_file(path, 12, &buf, &len, &e), -1);
	assert_non_null(strstr(e.msg, "cannot open"));
	free(path);
	tu_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reader_errors_report_their_line_and_column),
		cmocka_unit_test(test_yaml_pos_offset),
		cmocka_unit_test(test_limits_name_path_and_position),
		cmocka_unit_test(test_check_agrees_with_the_loader),
		cmocka_unit_test(test_check_bounds_string_bytes),
		cmocka_unit_test(test_long_list_refused_while_parsing),
		cmocka_unit_test(test_read_file_is_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
