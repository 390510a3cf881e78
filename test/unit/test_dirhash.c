/*
 * Unit tests for src/engine/dirhash.c against the formula computed
 * independently here (zlib's adler32 over the sorted "%x  %s\n" lines):
 * bytewise ordering across directories, empty files counted, empty
 * directories not, content and name sensitivity.
 */
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "engine/dirhash.h"
#include "copy_fixture.h"

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The formula, from the file table (not from the directory walk): paths
 * "<prefix>/<path>" sorted bytewise, then one line per file. */
static void
expected_hash(const char *prefix, const struct fx_file *files, char *out)
{
	char *paths[FX_MAX_FILES], line[512];
	const char *content;
	uLong total = adler32(0L, Z_NULL, 0), sum;
	size_t n = 0, i, k;

	for (; files[n].path != NULL; n++)
		if (asprintf(&paths[n], "%s/%s", prefix, files[n].path) < 0)
			fail_msg("asprintf");
	qsort(paths, n, sizeof(*paths), cmp_str);
	for (i = 0; i < n; i++) {
		for (k = 0, content = NULL; k < n; k++)
			if (strcmp(paths[i] + strlen(prefix) + 1,
			    files[k].path) == 0)
				content = files[k].content;
		sum = adler32(adler32(0L, Z_NULL, 0), (const Bytef *)content,
		    (uInt)strlen(content));
		snprintf(line, sizeof(line), "%x  %s\n", (unsigned)sum,
		    paths[i]);
		total = adler32(total, (const Bytef *)line,
		    (uInt)strlen(line));
		free(paths[i]);
	}
	sprintf(out, "%lu", total);
}

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

static void
test_dirhash_matches_formula(void **state)
{
	struct fx_file files[] = {
		{ "a/b", "slash" },	/* "a.b" sorts before "a/b" */
		{ "a.b", "dot" },
		{ "empty", "" },
		{ "z/deep/er/file.yaml", "key: value\n" },
		{ NULL, NULL },
	};
	char *dir = tu_mkdtemp(), *emptydir, got[DIRHASH_STRING_MAX],
	    want[32];

	(void)state;
	fx_write_tree(dir, files);
	emptydir = tu_path(dir, "nothing");	/* directories do not count */
	assert_int_equal(mkdir(emptydir, 0755), 0);
	hash_dir(dir, "my-artifact", got);
	expected_hash("my-artifact", files, want);
	assert_string_equal(got, want);
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
		cmocka_unit_test(test_dirhash_matches_formula),
		cmocka_unit_test(test_dirhash_empty_tree_is_adler_of_nothing),
		cmocka_unit_test(test_dirhash_sensitive_to_content_name_and_prefix),
		cmocka_unit_test(test_dirhash_refuses_newline_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
