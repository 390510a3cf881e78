/*
 * copy_fs: the file-system primitives of the copy engine, all relative to
 * directory descriptors and never following a symlink: sorted directory
 * listings, creating/opening directories inside the staging tree, staging a
 * file by hard link (or a streamed copy when linking is not possible),
 * writing a new file by temp + rename, reading a bounded file, and removing
 * a tree. Used by copy.c, copy_extract.c, dirhash.c and build.c.
 *
 * Staged files may be hard links to source files, so nothing here ever
 * writes into an existing file: every write creates a new inode under a temp
 * name and renames it over the destination.
 */
#ifndef AG_COPY_FS_H
#define AG_COPY_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define COPY_PATH_MAX 4096

enum copy_fs_kind {
	COPY_FS_OTHER,		/* symlink, device, fifo, socket: skipped */
	COPY_FS_FILE,
	COPY_FS_DIR,
};

struct copy_fs_entry {
	char *name;
	enum copy_fs_kind kind;
	uint64_t size;
	bool executable;
};

/* Lists dirfd (not consumed) sorted bytewise by name, without "." and "..";
 * what names the directory in messages. The caller frees the list with
 * copy_fs_list_free. */
int copy_fs_list(int dirfd, const char *what, struct copy_fs_entry **out,
    size_t *n, struct err *e);
void copy_fs_list_free(struct copy_fs_entry *l, size_t n);

/* Kind of name in dirfd, without following a symlink (-1 if missing). */
int copy_fs_kind(int dirfd, const char *name, enum copy_fs_kind *kind);

/* Opens the directory rel ("" = root_fd itself) below root_fd, component by
 * component with O_NOFOLLOW; with create, missing directories are made
 * (0750). A component that is not a directory is an error naming it.
 * *out is an fd the caller closes. */
int copy_fs_open_dir(int root_fd, const char *rel, bool create, int *out,
    struct err *e);

/* Puts the regular file src_name of src_dirfd at dst_name in dst_dirfd,
 * replacing any file there: hard link when possible, else streamed copy.
 * *size (optional) receives the file size. */
int copy_fs_stage_file(int src_dirfd, const char *src_name, int dst_dirfd,
    const char *dst_name, uint64_t *size, struct err *e);

/* Writes data as a new file at dst_name (temp + rename, mode 0600). */
int copy_fs_write_file(int dst_dirfd, const char *dst_name, const void *data,
    size_t len, struct err *e);

/* Reads a whole regular file (at most max bytes, else an error) into a
 * malloc'd NUL-terminated buffer the caller frees. */
int copy_fs_read_file(int dirfd, const char *name, size_t max, char **out,
    size_t *len, struct err *e);

/* "a" + "b" -> "a/b" ("" is the root); -1 when longer than COPY_PATH_MAX. */
int copy_path_join(char *out, const char *a, const char *b, struct err *e);

#endif
