/*
 * Unit tests for src/base/glob.c: every syntax form, '**' at any position,
 * the pruning query, compile errors with positions, and the cost bound on
 * pathological patterns.
 */
#include "testutil.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/glob.h"

struct match_case {
	const char *pattern;
	const char *path;
	bool match;
};

static const struct match_case match_cases[] = {
	{ "a.yaml", "a.yaml", true },
	{ "a.yaml", "b.yaml", false },
	{ "*.yaml", "a.yaml", true },
	{ "*.yaml", ".hidden.yaml", true },
	{ "*.yaml", "dir/a.yaml", false },
	{ "*", "", false },
	{ "dir/*", "dir/x", true },
	{ "dir/*", "dir/x/y", false },
	{ "a?c", "abc", true },
	{ "a?c", "ac", false },
	{ "a?c", "a/c", false },
	{ "a?c", "a\xc3\xa9" "c", true },	/* ? is one UTF-8 character */
	{ "[abc].txt", "b.txt", true },
	{ "[abc].txt", "d.txt", false },
	{ "[a-c]x", "bx", true },
	{ "[a-c]x", "dx", false },
	{ "[!a-c]x", "dx", true },
	{ "[!a-c]x", "ax", false },
	{ "[^a-c]x", "ax", false },
	{ "[]]", "]", true },
	{ "[a-]", "-", true },
	{ "[\\]]", "]", true },
	{ "{a,b}.yaml", "a.yaml", true },
	{ "{a,b}.yaml", "b.yaml", true },
	{ "{a,b}.yaml", "c.yaml", false },
	{ "{x/{p,q},y}/f", "x/q/f", true },
	{ "{x/{p,q},y}/f", "y/f", true },
	{ "{x/{p,q},y}/f", "x/r/f", false },
	{ "**", "a", true },
	{ "**", "a/b/c", true },
	{ "**/*.yaml", "a.yaml", true },
	{ "**/*.yaml", "x/y/a.yaml", true },
	{ "**/*.yaml", "x/y/a.json", false },
	{ "deploy/**/*.yaml", "deploy/a.yaml", true },
	{ "deploy/**/*.yaml", "deploy/x/y/a.yaml", true },
	{ "deploy/**/*.yaml", "other/a.yaml", false },
	{ "a/**/b/**/c", "a/b/c", true },
	{ "a/**/b/**/c", "a/x/b/y/z/c", true },
	{ "a/**/b/**/c", "a/x/y/c", false },
	{ "dir/**", "dir", true },
	{ "dir/**", "dir/a/b", true },
	{ "a**b", "axxb", true },	/* not a whole segment: like '*' */
	{ "a**b", "ax/xb", false },
	{ "\\*", "*", true },
	{ "\\*", "a", false },
	{ "a\\{b", "a{b", true },
	{ "x}", "x}", true },		/* a lone '}' is literal */
	{ "a,b", "a,b", true },
	{ "*a*b*c", "xaybzc", true },
	{ "*a*b*c", "xaybz", false },
	{ "./dir//*.yaml", "dir/a.yaml", true },	/* "." and "" dropped */
};

static void
test_glob_match_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
		const struct match_case *c = &match_cases[i];
		struct glob *g;
		struct err e;

		if (glob_compile(c->pattern, &g, &e) != 0)
			fail_msg("compile '%s': %s", c->pattern, e.msg);
		if (glob_match(g, c->path) != c->match)
			fail_msg("'%s' vs '%s': expected %s", c->pattern,
			    c->path, c->match ? "match" : "no match");
		glob_free(g);
	}
}

struct below_case {
	const char *pattern;
	const char *dir;
	bool below;
};

static const struct below_case below_cases[] = {
	{ "a/b/*.yaml", "", true },
	{ "a/b/*.yaml", "a", true },
	{ "a/b/*.yaml", "a/b", true },
	{ "a/b/*.yaml", "a/c", false },
	{ "a/b/*.yaml", "a/b/c", false },
	{ "*.yaml", "sub", false },
	{ "**/*.yaml", "x/y/z", true },
	{ "a/**", "a/deep/er", true },
	{ "{a,b}/x", "b", true },
	{ "{a,b}/x", "c", false },
};

static void
test_glob_match_below_prunes(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(below_cases) / sizeof(below_cases[0]); i++) {
		const struct below_case *c = &below_cases[i];
		struct glob *g;
		struct err e;

		assert_int_equal(glob_compile(c->pattern, &g, &e), 0);
		if (glob_match_below(g, c->dir) != c->below)
			fail_msg("'%s' below '%s': expected %d", c->pattern,
			    c->dir, c->below);
		glob_free(g);
	}
}

struct error_case {
	const char *pattern;
	const char *message;
};

static void
test_glob_compile_errors_name_pattern_and_position(void **state)
{
	static const struct error_case cases[] = {
		{ "", "invalid pattern '': empty" },
		{ "a/[bc", "invalid pattern 'a/[bc': unterminated '[' at "
		    "position 3" },
		{ "[a/b]", "invalid pattern '[a/b]': unterminated '[' at "
		    "position 1" },
		{ "x{a,b", "invalid pattern 'x{a,b': unterminated '{' at "
		    "position 2" },
		{ "{a,{b}", "invalid pattern '{a,{b}': unterminated '{' at "
		    "position 1" },
		{ "ab\\", "invalid pattern 'ab\\': trailing '\\' at position 3" },
		{ "{{{{{{{{{a}}}}}}}}}", "invalid pattern '{{{{{{{{{a}}}}}}}}}': "
		    "'{' nested deeper than 8 at position 9" },
	};
	struct glob *g;
	struct err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(glob_compile(cases[i].pattern, &g, &e), -1);
		assert_null(g);
		assert_string_equal(e.msg, cases[i].message);
	}
}

static void
test_glob_compile_bounds(void **state)
{
	char big[GLOB_PATTERN_MAX + 2];
	struct glob *g;
	struct err e;

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(glob_compile(big, &g, &e), -1);
	assert_non_null(strstr(e.msg, "longer than 1024"));
	/* 2^9 = 512 expansions exceed the bound of 256 */
	assert_int_equal(glob_compile("{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}"
	    "{a,b}{a,b}", &g, &e), -1);
	assert_non_null(strstr(e.msg, "more than 256 alternatives"));
	/* 2^8 = 256 is allowed */
	assert_int_equal(glob_compile("{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}"
	    "{a,b}", &g, &e), 0);
	assert_true(glob_match(g, "abababab"));
	glob_free(g);
}

static void
test_glob_pathological_is_fast(void **state)
{
	char pat[600], path[1100];
	struct glob *g;
	struct err e;
	clock_t t0;
	size_t i, n = 0;

	(void)state;
	for (i = 0; i < 100; i++)
		n += (size_t)snprintf(pat + n, sizeof(pat) - n, "**/a*");
	snprintf(pat + n, sizeof(pat) - n, "b");
	for (i = 0, n = 0; i < 500; i++)
		n += (size_t)snprintf(path + n, sizeof(path) - n, "a/");
	path[n - 1] = '\0';
	assert_int_equal(glob_compile(pat, &g, &e), 0);
	t0 = clock();
	assert_false(glob_match(g, path));
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0);
	glob_free(g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_glob_match_table),
		cmocka_unit_test(test_glob_match_below_prunes),
		cmocka_unit_test(test_glob_compile_errors_name_pattern_and_position),
		cmocka_unit_test(test_glob_compile_bounds),
		cmocka_unit_test(test_glob_pathological_is_fast),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
