/*
 * copy_extract: the Extract strategy of a copy operation. A tarball is
 * extracted by the safe reader (targz_extract_fd) into a fresh scratch
 * directory beside the staging tree, then its files are renamed into the
 * destination one by one, so later files overwrite earlier ones, directories
 * merge, and each written file is reported. The scratch is removed always.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fs_tree.h"
#include "engine/copy_op.h"
#include "archive/tar.h"

static int
copy_extract_move(struct copy_op *o, int sfd, int dfd, const char *dst_rel,
    int depth, struct err *e)
{
	char drel[COPY_PATH_MAX];
	struct copy_fs_entry *l;
	size_t n, i;
	int csfd, cdfd, rc = 0;

	if (depth > COPY_PATH_MAX / 2)
		return err_set(e, "extracted tree too deep at '%s'", dst_rel);
	if (copy_fs_list(sfd, dst_rel, &l, &n, e) != 0)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		if (l[i].kind == COPY_FS_OTHER)
			continue;
		if ((rc = copy_path_join(drel, dst_rel, l[i].name, e)) != 0 ||
		    (rc = copy_op_cancelled(o, e)) != 0)
			break;
		if (l[i].kind == COPY_FS_FILE) {
			if (renameat(sfd, l[i].name, dfd, l[i].name) != 0) {
				rc = errno == EISDIR ? err_set(e, "'%s' is a "
				    "directory in the artifact", drel) :
				    err_sys(e, errno, "move '%s'", drel);
				break;
			}
			copy_op_report(o, drel, l[i].size);
			continue;
		}
		csfd = openat(sfd, l[i].name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (csfd < 0) {
			rc = err_sys(e, errno, "open extracted '%s'", drel);
			break;
		}
		rc = copy_fs_open_dir(dfd, l[i].name, true, &cdfd, e);
		if (rc == 0) {
			rc = copy_extract_move(o, csfd, cdfd, drel, depth + 1,
			    e);
			close(cdfd);
		}
		close(csfd);
	}
	copy_fs_list_free(l, n);
	return rc;
}

/* Extracts into scratch, then moves the files into dest_rel. */
static int
copy_extract_into(struct copy_op *o, int afd, const char *scratch,
    const char *dest_rel, struct err *e)
{
	int sfd, dfd, rc;

	if (targz_extract_fd(afd, scratch, NULL, e) != 0)
		return -1;
	sfd = open(scratch, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0)
		return err_sys(e, errno, "open '%s'", scratch);
	rc = copy_fs_open_dir(o->c->tree_fd, dest_rel, true, &dfd, e);
	if (rc == 0) {
		rc = copy_extract_move(o, sfd, dfd, dest_rel, 0, e);
		close(dfd);
	}
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
