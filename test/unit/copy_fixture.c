/*
 * copy_fixture: see copy_fixture.h.
 */
#include "copy_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

void
fx_write_tree(const char *dir, const struct fx_file *files)
{
	size_t i;

	for (i = 0; files != NULL && files[i].path != NULL; i++)
		tu_write_str(dir, files[i].path, files[i].content);
}

static int
fx_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *
fx_join(char **entries, size_t n)
{
	size_t i, len = 1;
	char *out;

	if (n > 1)
		qsort(entries, n, sizeof(*entries), fx_cmp);
	for (i = 0; i < n; i++)
		len += strlen(entries[i]) + 1;
	out = calloc(1, len);
	for (i = 0; i < n; i++) {
		strcat(out, entries[i]);
		strcat(out, ";");
		free(entries[i]);
	}
	free(entries);
	return out;
}

char *
fx_read_tree(const char *dir)
{
	char *list, *line, *save = NULL, *path, *content, **entries = NULL;
	size_t n = 0;
	int status;

	list = tu_run(&status, "cd '%s' && find . -type f | sed 's|^\\./||'",
	    dir);
	assert_int_equal(status, 0);
	for (line = strtok_r(list, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		path = tu_path(dir, line);
		content = tu_read(path, NULL);
		entries = realloc(entries, (n + 1) * sizeof(*entries));
		if (asprintf(&entries[n++], "%s=%s", line, content) < 0)
			fail_msg("asprintf");
		free(content);
		free(path);
	}
	free(list);
	return fx_join(entries, n);
}

char *
fx_expect(const struct fx_file *files)
{
	char **entries = NULL;
	size_t n = 0;

	for (; files != NULL && files->path != NULL; files++) {
		entries = realloc(entries, (n + 1) * sizeof(*entries));
		if (asprintf(&entries[n++], "%s=%s", files->path,
		    files->content) < 0)
			fail_msg("asprintf");
	}
	return fx_join(entries, n);
}

void
fx_assert_tree(const char *dir, const struct fx_file *want)
{
	char *got = fx_read_tree(dir), *exp = fx_expect(want);

	assert_string_equal(got, exp);
	free(got);
	free(exp);
}
