/*
 * Unit tests for src/base/fs_tree.c: a whole tree goes, whatever its depth
 * or path length; symlinks are removed, never followed; a missing name is
 * fine; a single file is removed.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs_tree.h"

static bool
exists(const char *dir, const char *rel)
{
	char *p = tu_path(dir, rel);
	struct stat st;
	bool ok = lstat(p, &st) == 0;

	free(p);
	return ok;
}

/* Builds a chain of depth directories named name below dirfd, each holding
 * one file; returns nothing, fails the test on error. */
static void
make_chain(int dirfd, const char *name, int depth)
{
	int fd = dup(dirfd), next;

	assert_true(fd >= 0);
	for (int i = 0; i < depth; i++) {
		assert_int_equal(mkdirat(fd, name, 0755), 0);
		next = openat(fd, "f", O_WRONLY | O_CREAT | O_EXCL, 0644);
		assert_true(next >= 0);
		close(next);
		next = openat(fd, name, O_RDONLY | O_DIRECTORY);
		assert_true(next >= 0);
		close(fd);
		fd = next;
	}
	close(fd);
}

static void
test_removes_nested_tree_with_files_and_links(void **state)
{
	char *root = tu_mkdtemp();
	char *outside = tu_mkdtemp();
	char *target = tu_path(outside, "keep.txt");
	struct err e;
	int fd;

	(void)state;
	tu_write_str(outside, "keep.txt", "keep");
	tu_write_str(outside, "dir/inner.txt", "keep");
	tu_write_str(root, "t/a.txt", "a");
	tu_write_str(root, "t/sub/b.txt", "b");
	tu_write_str(root, "t/sub/deeper/c.txt", "c");
	tu_write_str(root, "t/empty/.hidden", "");
	tu_symlink(root, "t/link-file", target);
	tu_symlink(root, "t/sub/link-dir", outside);
	fd = open(root, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_int_equal(fs_tree_remove(fd, "t", &e), 0);
	close(fd);
	assert_false(exists(root, "t"));
	assert_true(exists(outside, "keep.txt"));
	assert_true(exists(outside, "dir/inner.txt"));
	free(target);
	tu_rmtree(outside);
	tu_rmtree(root);
}

/* Paths far longer than PATH_MAX: every step is relative to a descriptor. */
static void
test_removes_tree_longer_than_path_max(void **state)
{
	char *root = tu_mkdtemp();
	char name[201];
	struct err e;
	int fd;

	(void)state;
	memset(name, 'n', 200);
	name[200] = '\0';
	fd = open(root, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_int_equal(mkdirat(fd, "t", 0755), 0);
	int t = openat(fd, "t", O_RDONLY | O_DIRECTORY);
	make_chain(t, name, 60);	/* ~12,000 bytes of path */
	close(t);
	assert_int_equal(fs_tree_remove(fd, "t", &e), 0);
	assert_false(exists(root, "t"));
	close(fd);
	tu_rmtree(root);
}

/* Deep enough that one stack frame per level would be a risk. */
static void
test_removes_very_deep_tree(void **state)
{
	char *root = tu_mkdtemp();
	char *path = tu_path(root, "t");
	struct err e;
	int fd;

	(void)state;
	fd = open(root, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_int_equal(mkdirat(fd, "t", 0755), 0);
	int t = openat(fd, "t", O_RDONLY | O_DIRECTORY);
	make_chain(t, "d", 5000);
	close(t);
	close(fd);
	assert_int_equal(fs_tree_remove(AT_FDCWD, path, &e), 0);
	assert_false(exists(root, "t"));
	free(path);
	tu_rmtree(root);
}

static void
test_wide_directory_of_subdirectories(void **state)
{
	char *root = tu_mkdtemp();
	char rel[64];
	struct err e;
	int fd;

	(void)state;
	for (int i = 0; i < 2000; i++) {
		snprintf(rel, sizeof(rel), "t/d%04d/f", i);
		tu_write_str(root, rel, "x");
	}
	fd = open(root, O_RDONLY | O_DIRECTORY);
	assert_int_equal(fs_tree_remove(fd, "t", &e), 0);
	assert_false(exists(root, "t"));
	close(fd);
	tu_rmtree(root);
}

static void
test_missing_name_and_single_file(void **state)
{
	char *root = tu_mkdtemp();
	struct err e;
	int fd;

	(void)state;
	tu_write_str(root, "file", "x");
	tu_symlink(root, "dangling", "/nonexistent/target");
	fd = open(root, O_RDONLY | O_DIRECTORY);
	assert_int_equal(fs_tree_remove(fd, "missing", &e), 0);
	assert_int_equal(fs_tree_remove(fd, "file", &e), 0);
	assert_int_equal(fs_tree_remove(fd, "dangling", &e), 0);
	assert_false(exists(root, "file"));
	assert_false(exists(root, "dangling"));
	close(fd);
	tu_rmtree(root);
}

/* A failure names what could not be removed (here: not a directory fd). */
static void
test_error_names_the_tree(void **state)
{
	char *root = tu_mkdtemp();
	char *file = tu_path(root, "plain");
	struct err e;
	int fd;

	(void)state;
	tu_write_str(root, "plain", "x");
	fd = open(file, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(fs_tree_remove(fd, "child", &e), -1);
	assert_non_null(strstr(e.msg, "'child'"));
	close(fd);
	free(file);
	tu_rmtree(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_removes_nested_tree_with_files_and_links),
		cmocka_unit_test(test_removes_tree_longer_than_path_max),
		cmocka_unit_test(test_removes_very_deep_tree),
		cmocka_unit_test(test_wide_directory_of_subdirectories),
		cmocka_unit_test(test_missing_name_and_single_file),
		cmocka_unit_test(test_error_names_the_tree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
