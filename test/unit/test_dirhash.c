/*
 * Unit tests for src/engine/dirhash.c: the names source-watcher v2.2.1
 * stored for 24 random trees (golden vectors, test/unit/golden/), empty
 * directories not counted, the empty tree, content, name and prefix
 * sensitivity, names with newlines refused.
 */
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/dirhash.h"
#include "copy_fixture.h"
#include "golden.h"

static void
hash_dir(const char *dir, const char *prefix, char *out)
{
	struct err e;
	int fd = open(dir, O_RDONLY | O_DIRECTORY);

	assert_true(fd >= 0);
	if (dirhash_tree(fd, prefix, NULL, out, &e) != 0)
		fail_msg("%s", e.msg);
	close(fd);
}

/* The oracle is source-watcher itself: the names it stored for 24 random
 * trees (spaces, unicode, dot-files, binary and empty files, nesting). */
static void
test_dirhash_matches_source_watcher(void **state)
{
	json_t *doc = golden_load(), *v;
	char got[DIRHASH_STRING_MAX + 8];
	size_t i;

	(void)state;
	json_array_foreach(golden_vectors(doc), i, v) {
		char *dir = tu_mkdtemp();

		golden_write_tree(v, dir);
		hash_dir(dir, golden_artifact(v), got);
		strcat(got, ".tar.gz");
		if (strcmp(got, golden_filename(v)) != 0)
			fail_msg("vector %zu (%s): dirhash %s, source-watcher "
			    "stored %s", i, golden_artifact(v), got,
			    golden_filename(v));
		tu_rmtree(dir);
	}
	json_decref(doc);
}

/* Directories do not count: an empty one leaves the hash as it was. */
static void
test_dirhash_ignores_empty_directories(void **state)
{
	struct fx_file files[] = {
		{ "a/b", "slash" }, { "a.b", "dot" }, { "empty", "" },
		{ NULL, NULL },
	};
	char *dir = tu_mkdtemp(), *emptydir, before[DIRHASH_STRING_MAX],
	    after[DIRHASH_STRING_MAX];

	(void)state;
	fx_write_tree(dir, files);
	hash_dir(dir, "my-artifact", before);
	emptydir = tu_path(dir, "nothing");
	assert_int_equal(mkdir(emptydir, 0755), 0);
	hash_dir(dir, "my-artifact", after);
	assert_string_equal(before, after);
	free(emptydir);
	tu_rmtree(dir);
}

static void
test_dirhash_empty_tree_is_adler_of_nothing(void **state)
{
	char *dir = tu_mkdtemp(), got[DIRHASH_STRING_MAX];

	(void)state;
	hash_dir(dir, "x", got);
	assert_string_equal(got, "1");
	tu_rmtree(dir);
}

static void
test_dirhash_sensitive_to_content_name_and_prefix(void **state)
{
	struct fx_file one[] = {{ "f", "1" }, { NULL, NULL }};
	struct fx_file two[] = {{ "f", "2" }, { NULL, NULL }};
	struct fx_file renamed[] = {{ "g", "1" }, { NULL, NULL }};
	char *a = tu_mkdtemp(), *b = tu_mkdtemp(), *c = tu_mkdtemp();
	char ha[DIRHASH_STRING_MAX], hb[DIRHASH_STRING_MAX],
	    hc[DIRHASH_STRING_MAX], hp[DIRHASH_STRING_MAX];

	(void)state;
	fx_write_tree(a, one);
	fx_write_tree(b, two);
	fx_write_tree(c, renamed);
	hash_dir(a, "p", ha);
	hash_dir(b, "p", hb);
	hash_dir(c, "p", hc);
	hash_dir(a, "q", hp);
	assert_string_not_equal(ha, hb);
	assert_string_not_equal(ha, hc);
	assert_string_not_equal(ha, hp);
	tu_rmtree(a);
	tu_rmtree(b);
	tu_rmtree(c);
}

static void
test_dirhash_refuses_newline_names(void **state)
{
	struct fx_file bad[] = {{ "a\nb", "x" }, { NULL, NULL }};
	char *dir = tu_mkdtemp(), out[DIRHASH_STRING_MAX];
	struct err e;
	int fd;

	(void)state;
	fx_write_tree(dir, bad);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_int_equal(dirhash_tree(fd, "p", NULL, out, &e), -1);
	assert_non_null(strstr(e.msg, "newlines are not supported"));
	close(fd);
	tu_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dirhash_matches_source_watcher),
		cmocka_unit_test(test_dirhash_ignores_empty_directories),
		cmocka_unit_test(test_dirhash_empty_tree_is_adler_of_nothing),
		cmocka_unit_test(test_dirhash_sensitive_to_content_name_and_prefix),
		cmocka_unit_test(test_dirhash_refuses_newline_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
