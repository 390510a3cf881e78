/*
 * dir_list: sorted directory listings through a dup'd descriptor, so the
 * caller's descriptor (used with openat/fstatat) is left as it is.
 */
#include "base/dir_list.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
dir_list_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int
cmp_names(const void *a, const void *b, void *cmp)
{
	int (*f)(const char *, const char *) = *(int (**)(const char *,
	    const char *))cmp;

	return f(*(char *const *)a, *(char *const *)b);
}

static int
names_push(char ***names, size_t *n, size_t *cap, const char *name)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 32;
		char **p = realloc(*names, c * sizeof(*p));

		if (p == NULL)
			return -1;
		*names = p;
		*cap = c;
	}
	if (((*names)[*n] = strdup(name)) == NULL)
		return -1;
	(*n)++;
	return 0;
}

int
dir_list_sorted(int dirfd, const char *what, bool skip_hidden,
    size_t *budget, char ***out, size_t *n_out, struct err *e)
{
	return dir_list_sorted_by(dirfd, what, skip_hidden, budget, strcmp,
	    out, n_out, e);
}

int
dir_list_sorted_by(int dirfd, const char *what, bool skip_hidden,
    size_t *budget, int (*cmp)(const char *, const char *), char ***out,
    size_t *n_out, struct err *e)
{
	int fd = dup(dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;

	if (d == NULL) {
		if (fd >= 0)
			close(fd);
		return err_sys(e, errno, "cannot list '%s'", what);
	}
	rewinddir(d);
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    (skip_hidden && de->d_name[0] == '.'))
			continue;
		if (budget != NULL && (*budget)-- == 0) {
			err_set(e, "too many directory entries (at '%s')", what);
			goto fail;
		}
		if (names_push(&names, &n, &cap, de->d_name) < 0) {
			err_set(e, "out of memory");
			goto fail;
		}
	}
	if (errno != 0) {
		err_sys(e, errno, "cannot list '%s'", what);
		goto fail;
	}
	closedir(d);
	if (n > 1)
		qsort_r(names, n, sizeof(*names), cmp_names, &cmp);
	*out = names;
	*n_out = n;
	return 0;
fail:
	closedir(d);
	dir_list_free(names, n);
	return -1;
}
