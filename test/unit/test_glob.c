/*
 * Unit tests for src/base/glob.c: every syntax form, '**' at any position,
 * the pruning query, tails, compile errors with positions, linear cost on
 * the common forms, and a budget that runs out being an error naming the
 * pattern (never a "no match").
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/glob.h"

#define BIG_BUDGET (1L << 40)

/* glob_match with a fresh, ample budget; a failure fails the test. */
static bool
match(const struct glob *g, const char *path)
{
	struct glob_work w;
	struct err e;
	int rc;

	glob_work_init(&w, BIG_BUDGET);
	rc = glob_match(g, path, &w, &e);
	glob_work_fini(&w);
	if (rc < 0)
		fail_msg("'%s' vs '%s': %s", glob_pattern(g), path, e.msg);
	return rc == 1;
}

static bool
below(const struct glob *g, const char *dir)
{
	struct glob_work w;
	struct err e;
	int rc;

	glob_work_init(&w, BIG_BUDGET);
	rc = glob_match_below(g, dir, &w, &e);
	glob_work_fini(&w);
	if (rc < 0)
		fail_msg("'%s' below '%s': %s", glob_pattern(g), dir, e.msg);
	return rc == 1;
}

/* Steps one match of pattern against path costs (the match must succeed
 * with the expected answer). */
static long
cost(const char *pattern, const char *path, bool want)
{
	struct glob_work w;
	struct glob *g;
	struct err e;
	long used;

	if (glob_compile(pattern, &g, &e) != 0)
		fail_msg("compile '%.60s': %s", pattern, e.msg);
	glob_work_init(&w, BIG_BUDGET);
	assert_int_equal(glob_match(g, path, &w, &e), want ? 1 : 0);
	used = w.budget - w.left;
	glob_work_fini(&w);
	glob_free(g);
	return used;
}

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
	{ "{a,}/b", "b", true },	/* an empty alternative drops a segment */
	{ "{.,a}/b", "b", true },
	{ "*{*,x}/y", "q/y", true },	/* "**" after expansion: any depth */
	{ "*{*,x}/y", "p/q/y", true },
	{ "[*]x", "*x", true },		/* '*' in a class is literal */
	{ "[*]x", "ax", false },
	{ "*.y*l", "a.yaml", true },
	{ "a*b*b", "abbb", true },	/* the last chunk is anchored at the end */
	{ "a*b*b", "abbc", false },
	{ "*?", "\xc3\xa9", true },
	{ "?*?", "\xc3\xa9", false },	/* one character, not two bytes */
	{ "**/x", "x", true },
	{ "**/x/**", "a/x/b/c", true },
	{ "a/**/**/b", "a/b", true },
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
		if (match(g, c->path) != c->match)
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
		if (below(g, c->dir) != c->below)
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
	assert_true(match(g, "abababab"));
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
	assert_false(match(g, path));
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0);
	glob_free(g);
	/* 101 live positions at most, over 500 segments */
	assert_true(cost(pat, path, false) < 200000);
}

static void
test_glob_tails_match_in_one_pass(void **state)
{
	static const size_t whole[] = { 0 }, base[] = { 0, 2 },
	    sub[] = { 0, 1 }, past[] = { 3 };
	struct glob_work w;
	struct glob *g;
	struct err e;

	(void)state;
	glob_work_init(&w, BIG_BUDGET);
	assert_int_equal(glob_compile("*.md", &g, &e), 0);
	assert_int_equal(glob_match_tails(g, "docs/a/guide.md", whole, 1, &w,
	    &e), 0);
	assert_int_equal(glob_match_tails(g, "docs/a/guide.md", base, 2, &w,
	    &e), 1);
	glob_free(g);
	assert_int_equal(glob_compile("sub/*.yaml", &g, &e), 0);
	assert_int_equal(glob_match_tails(g, "configs/sub/z.yaml", whole, 1,
	    &w, &e), 0);
	assert_int_equal(glob_match_tails(g, "configs/sub/z.yaml", sub, 2, &w,
	    &e), 1);
	/* a tail past the last segment is empty and never matches */
	assert_int_equal(glob_match_tails(g, "a/sub/z.yaml", past, 1, &w, &e),
	    0);
	glob_free(g);
	glob_work_fini(&w);
}

/* A path of n segments of len 'a's, then "/" tail (n*(len+1) bytes). */
static char *
long_path(size_t n, size_t len, const char *tail)
{
	char *p = malloc(n * (len + 1) + strlen(tail) + 1);
	size_t i, k = 0;

	assert_non_null(p);
	for (i = 0; i < n; i++) {
		memset(p + k, 'a', len);
		k += len;
		p[k++] = '/';
	}
	strcpy(p + k, tail);
	return p;
}

static void
test_glob_common_forms_are_linear(void **state)
{
	static const char *const forms[] = {
		"**/*.yaml", "**/a*a*a*a*a*a*a*a*a*b", "**/*aaaaaaaaaaaaaaaab",
		"**/deploy/**/*.json", "a*/**/*a*.yaml", "**/[ab]*?a*.yaml",
		"{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}*/**",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		char *p1 = long_path(8, 200, "x.txt");
		char *p2 = long_path(16, 200, "x.txt");
		bool want = i == 6;
		long c1 = cost(forms[i], p1, want), c2 = cost(forms[i], p2,
		    want);

		/* a few steps per byte, and twice the path is about twice
		 * the work */
		if (c1 > 8 * (long)strlen(p1) + 4096 ||
		    c2 > 2 * c1 + c1 / 4 + 4096)
			fail_msg("'%s': %ld steps for %zu bytes, %ld for %zu",
			    forms[i], c1, strlen(p1), c2, strlen(p2));
		free(p1);
		free(p2);
	}
}

/* The heavy alternatives run first; the cheap one that matches is last:
 * the old per-match budget answered "no match" here. */
static void
test_glob_match_after_costly_alternatives(void **state)
{
	char pat[400], path[300];
	long c;

	(void)state;
	snprintf(pat, sizeof(pat), "**/{*%s%s,*.yaml}",
	    "{a,aa,aaa}{a,aa,aaa}{a,aa,aaa}{a,aa,aaa}{a,aa,aaa}",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab");
	memcpy(path, "dir/", 4);
	memset(path + 4, 'a', 240);
	strcpy(path + 244, "000.yaml");
	c = cost(pat, path, true);
	assert_true(c < 1000000);
}

static void
test_glob_budget_exhaustion_is_an_error(void **state)
{
	char pat[200], want[600], *path = long_path(1, 250, "");
	struct glob_work w;
	struct glob *g, *cheap;
	struct err e;

	(void)state;
	path[250] = '\0';
	snprintf(pat, sizeof(pat), "*%.100s%s", "????????????????????????????"
	    "????????????????????????????????????????????????????????????????"
	    "????????", "{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}c*");
	assert_int_equal(glob_compile(pat, &g, &e), 0);
	assert_int_equal(glob_compile("*.yaml", &cheap, &e), 0);
	/* the budget is shared: a cheap match takes its share of it */
	glob_work_init(&w, 100000);
	assert_int_equal(glob_match(cheap, "a.yaml", &w, &e), 1);
	assert_true(w.left < 100000);
	assert_int_equal(glob_match(g, path, &w, &e), -1);
	snprintf(want, sizeof(want), "pattern '%s': work budget of 100000 "
	    "steps exhausted matching '%s'", pat, path);
	assert_string_equal(e.msg, want);
	/* once run out, every match fails, even one that costs nothing */
	assert_int_equal(glob_match(cheap, "", &w, &e), -1);
	assert_int_equal(glob_match_below(cheap, "x", &w, &e), -1);
	assert_non_null(strstr(e.msg, "pattern '*.yaml': work budget"));
	glob_work_fini(&w);
	/* with enough budget the answer is a plain "no" */
	glob_work_init(&w, BIG_BUDGET);
	assert_int_equal(glob_match(g, path, &w, &e), 0);
	glob_work_fini(&w);
	glob_free(g);
	glob_free(cheap);
	free(path);
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
		cmocka_unit_test(test_glob_tails_match_in_one_pass),
		cmocka_unit_test(test_glob_common_forms_are_linear),
		cmocka_unit_test(test_glob_match_after_costly_alternatives),
		cmocka_unit_test(test_glob_budget_exhaustion_is_an_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
