/*
 * copy_fixture: shared helpers of the copy and build suites: writing a
 * source tree from a file table, and reading a staged tree (or an extracted
 * artifact) back as one sorted "path=content;" string to compare with the
 * exact expected file map.
 */
#ifndef AG_COPY_FIXTURE_H
#define AG_COPY_FIXTURE_H

#include <stddef.h>

struct fx_file {
	const char *path;
	const char *content;
};

#define FX_MAX_FILES 16

/* Writes every file of the NULL-path-terminated table under dir. */
void fx_write_tree(const char *dir, const struct fx_file *files);
/* "path=content;" for every regular file below dir, sorted by path
 * (malloc'd). */
char *fx_read_tree(const char *dir);
/* The same string for a NULL-path-terminated expected table (malloc'd). */
char *fx_expect(const struct fx_file *files);
/* Fails the test unless the files below dir are exactly want. */
void fx_assert_tree(const char *dir, const struct fx_file *want);

#endif
