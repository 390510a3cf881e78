/*
 * storage_gc: retention of old artifact files (storage_gc) and removal of
 * crash leftovers (storage_cleanup_temp); see storage.h.
 *
 * Retention follows Flux's artifact SDK: the files of one artifact
 * directory are examined (at most STORAGE_GC_FILE_LIMIT of them; lock
 * files, temp files, directories and symlinks are not artifact files and
 * are never counted or deleted as such); every file other than the current
 * one whose modification time is older than the TTL goes; then, oldest
 * first, non-current files go until at most `records` remain (the current
 * one counts). A deleted file's "<file>.lock" goes with it. Unlike the SDK,
 * files with equal mtimes are all considered (ties ordered by name) and
 * subdirectories are never entered.
 *
 * All names are resolved relative to directory descriptors with
 * AT_SYMLINK_NOFOLLOW / O_NOFOLLOW; memory is freed before returning.
 */
#include "storage/storage.h"
#include "storage/storage_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* kind/ns/name/file: the depth of artifact files below the root. */
#define STORAGE_TREE_DEPTH 4

struct gc_file {
	char name[STORAGE_NAME_MAX + 1];
	struct timespec mtime;
	bool expired;
	bool doomed;
};

struct gc_list {
	struct gc_file *files;
	int n, cap;		/* grows by doubling, to STORAGE_GC_FILE_LIMIT */
};

#define GC_LIST_FIRST 8	/* most artifact directories hold one or two */

/* True for the entries storage_gc treats as artifact files. */
static bool
gc_is_candidate(int dirfd, const char *name, struct stat *st)
{
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	if (storage_name_is_lock(name) || strstr(name, STORAGE_TEMP_MARKER))
		return false;
	if (fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW) != 0)
		return false;
	return S_ISREG(st->st_mode);
}

/* Room for one more file; -1 when out of memory. */
static int
gc_list_grow(struct gc_list *l)
{
	int cap = l->cap == 0 ? GC_LIST_FIRST : l->cap * 2;
	struct gc_file *f;

	if (l->n < l->cap)
		return 0;
	if (cap > STORAGE_GC_FILE_LIMIT)
		cap = STORAGE_GC_FILE_LIMIT;
	if ((f = realloc(l->files, (size_t)cap * sizeof(*f))) == NULL)
		return -1;
	memset(f + l->cap, 0, (size_t)(cap - l->cap) * sizeof(*f));
	l->files = f;
	l->cap = cap;
	return 0;
}

/* Reads up to STORAGE_GC_FILE_LIMIT artifact files of dirfd into l. */
static int
gc_list_read(int dirfd, struct gc_list *l, struct err *e)
{
	struct dirent *de;
	struct stat st;
	DIR *dir;
	int fd;

	*l = (struct gc_list){ 0 };
	if ((fd = dup(dirfd)) < 0 || (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return err_sys(e, errno, "read artifact directory");
	}
	while (l->n < STORAGE_GC_FILE_LIMIT && (de = readdir(dir)) != NULL) {
		if (strlen(de->d_name) > STORAGE_NAME_MAX ||
		    !gc_is_candidate(dirfd, de->d_name, &st))
			continue;
		if (gc_list_grow(l) < 0) {
			closedir(dir);
			return err_sys(e, ENOMEM, "list artifact files");
		}
		strcpy(l->files[l->n].name, de->d_name);
		l->files[l->n].mtime = st.st_mtim;
		l->n++;
	}
	closedir(dir);
	return 0;
}

static int
gc_file_cmp(const void *a, const void *b)
{
	const struct gc_file *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Marks the files to delete: expired ones, then the oldest over records. */
static void
gc_list_mark(struct gc_list *l, const struct storage_gc_opts *o, int64_t now)
{
	int i, remaining = l->n, records = o->records > 0 ? o->records : 0;

	qsort(l->files, (size_t)l->n, sizeof(*l->files), gc_file_cmp);
	for (i = 0; i < l->n; i++) {
		struct gc_file *f = &l->files[i];

		if (o->keep != NULL && strcmp(f->name, o->keep) == 0)
			continue;
		f->expired = now - (int64_t)f->mtime.tv_sec > o->ttl_seconds;
		f->doomed = f->expired;
		remaining -= f->expired;
	}
	for (i = 0; i < l->n && remaining > records; i++) {
		struct gc_file *f = &l->files[i];

		if (f->doomed || (o->keep != NULL && strcmp(f->name, o->keep) == 0))
			continue;
		f->doomed = true;
		remaining--;
	}
}

/* Unlinks the marked files and their lock files; keeps going on errors
 * and reports the first. */
static int
gc_list_delete(int dirfd, const struct gc_list *l, int *deleted,
    struct err *e)
{
	char lock[STORAGE_NAME_MAX + 1];
	int i, rc = 0;

	for (i = 0; i < l->n; i++) {
		const char *name = l->files[i].name;

		if (!l->files[i].doomed)
			continue;
		if (unlinkat(dirfd, name, 0) == 0)
			(*deleted)++;
		else if (errno != ENOENT && rc == 0)
			rc = err_sys(e, errno, "remove %s", name);
		if (storage_lock_name(name, lock, sizeof(lock)) == 0 &&
		    unlinkat(dirfd, lock, 0) != 0 && errno != ENOENT && rc == 0)
			rc = err_sys(e, errno, "remove %s", lock);
	}
	return rc;
}

int
storage_gc(struct storage *s, const struct storage_ref *ref,
    const struct storage_gc_opts *opts, int *deleted, struct err *e)
{
	struct gc_list l = { 0 };
	char shown[1024];
	bool missing;
	int dirfd, count = 0, rc;

	if (deleted != NULL)
		*deleted = 0;
	storage_ref_format(ref, NULL, shown, sizeof(shown));
	if (storage_dir_open(s, ref, false, &dirfd, &missing, e) != 0)
		return missing ? 0 : err_prefix(e, "garbage-collect %s", shown);
	rc = gc_list_read(dirfd, &l, e);
	if (rc == 0) {
		gc_list_mark(&l, opts, opts->now ? opts->now : time(NULL));
		rc = gc_list_delete(dirfd, &l, &count, e);
	}
	free(l.files);
	close(dirfd);
	if (deleted != NULL)
		*deleted = count;
	if (rc != 0)
		return err_prefix(e, "garbage-collect %s", shown);
	return 0;
}

/*
 * Removes temp files below dirfd, descending (never through a symlink) while
 * depth < STORAGE_TREE_DEPTH. Keeps going on errors and reports the first.
 */
static int
cleanup_dir(int dirfd, int depth, int *removed, struct err *e)
{
	struct dirent *de;
	struct err sub_e;
	struct stat st;
	DIR *dir;
	int fd, sub, rc = 0;

	if ((fd = dup(dirfd)) < 0 || (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return err_sys(e, errno, "read storage directory");
	}
	while ((de = readdir(dir)) != NULL) {
		const char *name = de->d_name;

		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
		    fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (S_ISDIR(st.st_mode) && depth + 1 < STORAGE_TREE_DEPTH) {
			sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0)
				continue;
			if (cleanup_dir(sub, depth + 1, removed, &sub_e) != 0 &&
			    rc == 0) {
				*e = sub_e;
				rc = err_prefix(e, "in %s", name);
			}
			close(sub);
		} else if (!S_ISDIR(st.st_mode) &&
		    strstr(name, STORAGE_TEMP_MARKER) != NULL) {
			if (unlinkat(dirfd, name, 0) == 0)
				(*removed)++;
			else if (errno != ENOENT && rc == 0)
				rc = err_sys(e, errno, "remove %s", name);
		}
	}
	closedir(dir);
	return rc;
}

int
storage_cleanup_temp(struct storage *s, int *removed, struct err *e)
{
	int count = 0, rc;

	rc = cleanup_dir(s->root_fd, 0, &count, e);
	if (removed != NULL)
		*removed = count;
	if (rc != 0)
		return err_prefix(e, "clean up temp files in %s", s->root);
	return 0;
}
