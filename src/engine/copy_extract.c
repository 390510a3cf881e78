/*
 * copy_extract: the Extract strategy of a copy operation. A tarball is
 * extracted by the safe reader (targz_extract_fd) into a fresh scratch
 * directory beside the staging tree, then its files are renamed into the
 * destination one by one, so later files overwrite earlier ones, directories
 * merge, and each written file is reported. The scratch is removed always.
 * The moves are an iterative dir_walk (no recursion, no buffer per level);
 * the reader refuses trees deeper than TREE_DEPTH_MAX, as copies do.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs_tree.h"
#include "engine/copy_op.h"
#include "archive/tar.h"
#include "base/dir_walk.h"

/* The destination directory of the last move, kept open: files of one
 * directory are visited one after another. */
struct copy_extract_walk {
	struct copy_op *o;
	int dfd;			/* -1 when none */
	char drel[COPY_PATH_MAX];	/* staging path of dfd */
};

/* Makes w->dfd the staging directory rel (created when missing). */
static int
copy_extract_dest(struct copy_extract_walk *w, const char *rel, size_t len,
    struct err *e)
{
	if (w->dfd >= 0 && strlen(w->drel) == len &&
	    memcmp(w->drel, rel, len) == 0)
		return 0;
	if (w->dfd >= 0)
		close(w->dfd);
	w->dfd = -1;
	memcpy(w->drel, rel, len);
	w->drel[len] = '\0';
	return copy_fs_open_dir(w->o->c->tree_fd, w->drel, true, &w->dfd, e);
}

/* One entry of the extracted tree (rel is its staging path): directories
 * are created (and merged), files renamed into place. */
static int
copy_extract_visit(void *ctx, const struct dir_walk_entry *ent,
    struct err *e)
{
	struct copy_extract_walk *w = ctx;
	const char *slash = strrchr(ent->rel, '/');

	if (S_ISDIR(ent->st->st_mode))
		return copy_extract_dest(w, ent->rel, strlen(ent->rel), e);
	if (!S_ISREG(ent->st->st_mode))
		return 0;	/* the reader creates nothing else */
	if (copy_extract_dest(w, ent->rel, slash ? (size_t)(slash - ent->rel) :
	    0, e) != 0)
		return -1;
	if (renameat(ent->dirfd, ent->name, w->dfd, ent->name) != 0)
		return errno == EISDIR ? err_set(e, "'%s' is a directory in the "
		    "artifact", ent->rel) : err_sys(e, errno, "move '%s'",
		    ent->rel);
	copy_op_report(w->o, ent->rel, (uint64_t)ent->st->st_size);
	return 0;
}

/* Extracts into scratch, then moves the files into dest_rel. */
static int
copy_extract_into(struct copy_op *o, int afd, const char *scratch,
    const char *dest_rel, struct err *e)
{
	struct copy_extract_walk w = { .o = o, .dfd = -1 };
	struct dir_walk_opts wo = { .prefix = dest_rel, .cancel = o->c->cancel,
	    .visit = copy_extract_visit, .ctx = &w };
	int sfd, rc;

	if (targz_extract_fd(afd, scratch, NULL, e) != 0)
		return -1;
	sfd = open(scratch, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0)
		return err_sys(e, errno, "open '%s'", scratch);
	rc = copy_extract_dest(&w, dest_rel, strlen(dest_rel), e);
	if (rc == 0)
		rc = dir_walk(sfd, &wo, e);
	if (w.dfd >= 0)
		close(w.dfd);
	close(sfd);
	return rc;
}

int
copy_extract(struct copy_op *o, int src_dirfd, const char *src_name,
    const char *src_rel, const char *dest_rel, struct err *e)
{
	char scratch[COPY_PATH_MAX];
	struct err cleanup;
	int afd, pfd, rc;

	if (copy_op_cancelled(o, e) != 0)
		return -1;
	if (snprintf(scratch, sizeof(scratch), "%s/x-XXXXXX", o->c->scratch) >=
	    (int)sizeof(scratch))
		return err_set(e, "scratch path too long");
	if (mkdtemp(scratch) == NULL)
		return err_sys(e, errno, "create scratch directory");
	afd = openat(src_dirfd, src_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (afd < 0)
		rc = err_sys(e, errno, "open '%s'", src_rel);
	else {
		rc = copy_extract_into(o, afd, scratch, dest_rel, e);
		close(afd);
	}
	pfd = open(o->c->scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd >= 0) {
		fs_tree_remove(pfd, strrchr(scratch, '/') + 1, &cleanup);
		close(pfd);
	}
	if (rc != 0)
		return err_prefix(e, "extract tarball '%s' to '%s'", src_rel,
		    *dest_rel ? dest_rel : "/");
	return 0;
}
