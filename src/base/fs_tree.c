/*
 * fs_tree: iterative tree removal (see fs_tree.h).
 *
 * The walk holds one descriptor, the directory being emptied. It deletes
 * every non-directory entry there; at the first subdirectory it pushes the
 * subdirectory's name (and the identity of the directory it is in) and
 * descends. An empty directory is left by opening "..", checking that it is
 * the directory recorded on the way down, and removing the child by name.
 * Reading a directory again after coming back up costs a rescan of what is
 * left in it, which is only the entries not yet removed.
 */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs_tree.h"

struct fs_level {
	char *name;		/* the child we descended into */
	dev_t dev;		/* identity of the directory holding it */
	ino_t ino;
};

struct fs_walk {
	const char *root;	/* as the caller named it, for messages */
	struct fs_level *stack;
	size_t depth, cap;
};

static int
fs_open_dir(int at, const char *name, struct stat *st)
{
	int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);

	if (fd >= 0 && fstat(fd, st) != 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static bool
fs_is_dir(int fd, const struct dirent *de)
{
	struct stat st;

	if (de->d_type != DT_UNKNOWN)
		return de->d_type == DT_DIR;
	return fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode);
}

/*
 * Removes every non-directory entry of fd. *sub is set to the name of one
 * subdirectory (malloc'd) or NULL when fd is now empty.
 */
static int
fs_empty_files(struct fs_walk *w, int fd, char **sub, struct err *e)
{
	struct dirent *de;
	DIR *dir;
	int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	int rc = 0;

	*sub = NULL;
	if (dup_fd < 0 || (dir = fdopendir(dup_fd)) == NULL) {
		if (dup_fd >= 0)
			close(dup_fd);
		return err_sys(e, errno, "remove '%s': read directory", w->root);
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(dir)) == NULL) {
			if (errno != 0)
				rc = err_sys(e, errno, "remove '%s': read "
				    "directory", w->root);
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fs_is_dir(fd, de)) {
			if ((*sub = strdup(de->d_name)) == NULL)
				rc = err_set(e, "out of memory");
			break;
		}
		if (unlinkat(fd, de->d_name, 0) != 0 && errno != ENOENT) {
			rc = err_sys(e, errno, "remove '%s': entry '%s'",
			    w->root, de->d_name);
			break;
		}
	}
	closedir(dir);
	return rc;
}

static int
fs_push(struct fs_walk *w, char *name, const struct stat *at)
{
	if (w->depth == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		struct fs_level *s = realloc(w->stack, cap * sizeof(*s));

		if (s == NULL)
			return -1;
		w->stack = s;
		w->cap = cap;
	}
	w->stack[w->depth++] = (struct fs_level){ name, at->st_dev, at->st_ino };
	return 0;
}

/* Climbs from the emptied directory *fd to its parent and removes it. */
static int
fs_climb(struct fs_walk *w, int *fd, struct stat *st, struct err *e)
{
	struct fs_level *top = &w->stack[w->depth - 1];
	int parent = fs_open_dir(*fd, "..", st);

	if (parent < 0)
		return err_sys(e, errno, "remove '%s': open parent of '%s'",
		    w->root, top->name);
	close(*fd);
	*fd = parent;
	if (st->st_dev != top->dev || st->st_ino != top->ino)
		return err_set(e, "remove '%s': directory '%s' was moved "
		    "during removal", w->root, top->name);
	if (unlinkat(parent, top->name, AT_REMOVEDIR) != 0 && errno != ENOENT)
		return err_sys(e, errno, "remove '%s': directory '%s'", w->root,
		    top->name);
	free(top->name);
	w->depth--;
	return 0;
}

static int
fs_remove_dir(struct fs_walk *w, int at, const char *name, struct err *e)
{
	struct stat st;
	char *sub;
	int fd, next, rc = -1;

	if ((fd = fs_open_dir(at, name, &st)) < 0)
		return errno == ENOENT ? 0 : err_sys(e, errno, "remove '%s'",
		    w->root);
	for (;;) {
		if (fs_empty_files(w, fd, &sub, e) != 0)
			goto out;
		if (sub != NULL) {
			if (fs_push(w, sub, &st) != 0) {
				free(sub);
				err_set(e, "out of memory");
				goto out;
			}
			if ((next = fs_open_dir(fd, sub, &st)) < 0) {
				err_sys(e, errno, "remove '%s': open '%s'",
				    w->root, sub);
				goto out;
			}
			close(fd);
			fd = next;
			continue;
		}
		if (w->depth == 0)
			break;
		if (fs_climb(w, &fd, &st, e) != 0)
			goto out;
	}
	rc = 0;
out:
	close(fd);
	if (rc == 0 && unlinkat(at, name, AT_REMOVEDIR) != 0 && errno != ENOENT)
		rc = err_sys(e, errno, "remove directory '%s'", w->root);
	return rc;
}

int
fs_tree_remove(int dirfd, const char *name, struct err *e)
{
	struct fs_walk w = { .root = name };
	struct stat st;
	int rc;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 0 : err_sys(e, errno, "remove '%s'",
		    name);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dirfd, name, 0) != 0 && errno != ENOENT)
			return err_sys(e, errno, "remove '%s'", name);
		return 0;
	}
	rc = fs_remove_dir(&w, dirfd, name, e);
	for (size_t i = 0; i < w.depth; i++)
		free(w.stack[i].name);
	free(w.stack);
	return rc;
}
