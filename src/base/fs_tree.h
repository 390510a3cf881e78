/*
 * fs_tree: removes a directory tree, relative to a directory descriptor.
 *
 * The one tree remover of the project: the copy engine's staging and
 * scratch trees, storage's artifact directories and the dry-run's extracted
 * sources all go through it. It never recurses (an explicit stack on the
 * heap, whatever the depth), keeps two descriptors open at most, never
 * follows a symlink (a link is removed, not what it points to) and works on
 * trees whose paths are longer than PATH_MAX, since every call is relative
 * to the directory it is in. Pure and thread-safe; nothing to free.
 */
#ifndef AG_FS_TREE_H
#define AG_FS_TREE_H

#include "base/err.h"

/*
 * Removes name (a file, a link or a whole directory tree) in dirfd
 * (AT_FDCWD for a path). A missing name is not an error. Fails, naming name,
 * on the first entry that cannot be removed, or when a directory on the way
 * down was moved away while the walk climbs back (never removes elsewhere).
 */
int fs_tree_remove(int dirfd, const char *name, struct err *e);

#endif
