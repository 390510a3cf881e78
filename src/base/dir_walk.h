/*
 * dir_walk: an iterative depth-first walk of a directory tree in sorted
 * order (dir_list), never following a symlink. The stack of open levels
 * lives on the heap and is at most TREE_DEPTH_MAX deep, so the C stack
 * does not grow with the tree. Used by the engine's walks (dirhash,
 * build_ignore, Extract's moves) and the tar writer's directory walk.
 *
 * The walk owns every descriptor and listing it opens and frees them
 * before returning, on success and on error. Pure and reentrant.
 */
#ifndef AG_DIR_WALK_H
#define AG_DIR_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "base/cancel.h"
#include "base/dir_list.h"
#include "base/err.h"

#define DIR_WALK_PATH_MAX 4096	/* longest relative path, NUL included */

/* Returned by a visit callback for a directory: do not descend into it. */
#define DIR_WALK_SKIP 1

struct dir_walk_entry {
	int dirfd;		/* the directory holding name (walk's own) */
	const char *name;
	const char *rel;	/* prefix + path below the root */
	const struct stat *st;	/* lstat of the entry */
	size_t depth;		/* 0 for the root's own entries */
};

/*
 * visit is called for every entry (directories before their contents).
 * It returns 0 to go on (and to descend into a directory), DIR_WALK_SKIP
 * to leave a directory out, or -1 with e set to stop the walk. It may
 * remove the entry it is given (then it must return DIR_WALK_SKIP for a
 * directory).
 */
typedef int (*dir_walk_fn)(void *ctx, const struct dir_walk_entry *ent,
    struct err *e);

struct dir_walk_opts {
	const char *prefix;	/* rel of the root ("" or NULL: none) */
	int (*cmp)(const char *, const char *);	/* NULL: strcmp */
	bool skip_hidden;	/* leave out names starting with '.' */
	const cancel_flag *cancel;	/* optional: raised stops */
	dir_walk_fn visit;
	void *ctx;
};

/*
 * Walks root_fd (not consumed). A directory deeper than TREE_DEPTH_MAX is
 * an error "'<rel>' is nested deeper than 256 levels"; a path longer than
 * DIR_WALK_PATH_MAX - 1 bytes is an error naming it.
 */
int dir_walk(int root_fd, const struct dir_walk_opts *o, struct err *e);

#endif
