/*
 * dirhash: Adler-32 tree hash of a staged artifact (see dirhash.h).
 * Walks the tree with dir_walk (iterative, sorted, no symlinks followed),
 * checksums each file while walking, then sorts the (path, checksum) pairs
 * globally, since a per-directory walk order is not bytewise path order
 * ("a.b" sorts before "a/b").
 */
#include "engine/dirhash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "base/dir_walk.h"
#include "engine/copy_fs.h"

#define DIRHASH_BUF 65536

struct dirhash_file {
	char *path;		/* "<prefix>/<relative path>" */
	uint32_t sum;
};

struct dirhash_walk {
	struct dirhash_file *files;
	size_t n, cap;
	unsigned char *buf;
};

static int
dirhash_file_sum(int dirfd, const char *name, const char *path,
    unsigned char *buf, uint32_t *sum, struct err *e)
{
	uLong a = adler32(0L, Z_NULL, 0);
	ssize_t r;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "open '%s'", path);
	while ((r = read(fd, buf, DIRHASH_BUF)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err_sys(e, errno, "read '%s'", path);
			close(fd);
			return -1;
		}
		a = adler32(a, buf, (uInt)r);
	}
	close(fd);
	*sum = (uint32_t)a;
	return 0;
}

static int
dirhash_add(struct dirhash_walk *w, int dirfd, const char *name,
    const char *path, struct err *e)
{
	struct dirhash_file *grown;
	uint32_t sum = 0;

	if (strchr(path, '\n') != NULL)
		return err_set(e, "file names with newlines are not supported "
		    "('%s')", path);
	if (dirhash_file_sum(dirfd, name, path, w->buf, &sum, e) != 0)
		return -1;
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		grown = realloc(w->files, w->cap * sizeof(*w->files));
		if (grown == NULL)
			return err_set(e, "out of memory");
		w->files = grown;
	}
	if ((w->files[w->n].path = strdup(path)) == NULL)
		return err_set(e, "out of memory");
	w->files[w->n++].sum = sum;
	return 0;
}

/* One entry of the walk: regular files are summed, the rest skipped. */
static int
dirhash_visit(void *ctx, const struct dir_walk_entry *ent, struct err *e)
{
	if (!S_ISREG(ent->st->st_mode))
		return 0;
	return dirhash_add(ctx, ent->dirfd, ent->name, ent->rel, e);
}

static int
dirhash_file_cmp(const void *a, const void *b)
{
	const struct dirhash_file *x = a, *y = b;

	return strcmp(x->path, y->path);
}

int
dirhash_tree(int dirfd, const char *prefix, const cancel_flag *cancel,
    char out[DIRHASH_STRING_MAX], struct err *e)
{
	struct dirhash_walk w = { 0 };
	struct dir_walk_opts wo = { .prefix = prefix, .cancel = cancel,
	    .visit = dirhash_visit, .ctx = &w };
	char line[COPY_PATH_MAX + 16];
	uLong total = adler32(0L, Z_NULL, 0);
	size_t i;
	int rc, n;

	if ((w.buf = malloc(DIRHASH_BUF)) == NULL)
		return err_set(e, "out of memory");
	if ((rc = dir_walk(dirfd, &wo, e)) != 0)
		err_prefix(e, "dirhash");
	if (rc == 0 && w.n > 1)
		qsort(w.files, w.n, sizeof(*w.files), dirhash_file_cmp);
	for (i = 0; rc == 0 && i < w.n; i++) {
		n = snprintf(line, sizeof(line), "%x  %s\n", w.files[i].sum,
		    w.files[i].path);
		total = adler32(total, (const Bytef *)line, (uInt)n);
	}
	if (rc == 0)
		snprintf(out, DIRHASH_STRING_MAX, "%lu",
		    (unsigned long)(uint32_t)total);
	for (i = 0; i < w.n; i++)
		free(w.files[i].path);
	free(w.files);
	free(w.buf);
	return rc;
}
