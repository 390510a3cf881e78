/*
 * dir_list: the sorted entry names of a directory, for walks that must be
 * deterministic (pathPattern discovery, dry-run source digests, the copy
 * engine's listings, the tar writer's walk). Callers own
 * the returned array and free it with dir_list_free. Pure and thread-safe.
 */
#ifndef AG_DIR_LIST_H
#define AG_DIR_LIST_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

/*
 * The deepest directory nesting the pure layers accept, one constant for
 * every tree they read: source archives and Extract tarballs (tar_read
 * refuses an entry with more path components), copied source directories
 * and the engine's walks (dir_walk refuses to descend further). A tree too
 * deep fails with "'<path>' is nested deeper than 256 levels" wherever it
 * comes from. Walks hold one descriptor per level, so this also bounds the
 * descriptors a walk keeps open.
 */
#define TREE_DEPTH_MAX 256

/*
 * Reads the names of dirfd's entries (not "." or ".."; not names starting
 * with '.' when skip_hidden), sorted bytewise, into *out (*n of them). dirfd
 * stays open and unchanged. budget (optional) is decremented per entry read;
 * reaching zero is an error. what names the directory in messages.
 */
int dir_list_sorted(int dirfd, const char *what, bool skip_hidden,
    size_t *budget, char ***out, size_t *n, struct err *e);
/* The same, ordered by cmp instead of strcmp (the tar writer sorts with
 * tar_path_cmp). */
int dir_list_sorted_by(int dirfd, const char *what, bool skip_hidden,
    size_t *budget, int (*cmp)(const char *, const char *), char ***out,
    size_t *n, struct err *e);
void dir_list_free(char **names, size_t n);

#endif
