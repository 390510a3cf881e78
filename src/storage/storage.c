/*
 * storage: the store's root, its layout and names, and the operations that
 * only look up or remove entries (see storage.h). Writing lives in
 * storage_io.c, retention and crash clean-up in storage_gc.c.
 *
 * Every artifact path is resolved from s->root_fd one component at a time
 * with openat(O_NOFOLLOW|O_DIRECTORY), and files are then addressed with the
 * *at() calls relative to the artifact directory's descriptor. A symbolic
 * link planted anywhere below the root is therefore never followed; an
 * operation meeting one fails (or reports "absent") instead.
 *
 * Strings returned by storage_path/local_path/url are malloc'd and owned by
 * the caller. storage_init allocates root and adv_addr; storage_free
 * releases them and closes root_fd.
 */
#include "storage/storage.h"
#include "storage/storage_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs_tree.h"

/* Creates every missing directory of an absolute or relative path. */
static int
storage_mkdirs(const char *path, struct err *e)
{
	char *copy, *p;
	int rc = 0;

	if ((copy = strdup(path)) == NULL)
		return err_sys(e, errno, "storage root %s", path);
	for (p = copy + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char saved = *p;
		*p = '\0';
		if (mkdir(copy, STORAGE_DIR_MODE) != 0 && errno != EEXIST) {
			rc = err_sys(e, errno, "create storage root %s", copy);
			break;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	free(copy);
	return rc;
}

int
storage_init(struct storage *s, const char *root, const char *adv_addr,
    struct err *e)
{
	memset(s, 0, sizeof(*s));
	s->root_fd = -1;
	if (root == NULL || root[0] == '\0')
		return err_set(e, "storage root: empty path");
	if (storage_mkdirs(root, e) != 0)
		return -1;
	if ((s->root = realpath(root, NULL)) == NULL) {
		err_sys(e, errno, "storage root %s", root);
		goto fail;
	}
	s->root_fd = open(s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->root_fd < 0) {
		err_sys(e, errno, "open storage root %s", s->root);
		goto fail;
	}
	if ((s->adv_addr = strdup(adv_addr ? adv_addr : "")) == NULL) {
		err_sys(e, errno, "storage advertised address");
		goto fail;
	}
	return 0;
fail:
	storage_free(s);
	return -1;
}

void
storage_free(struct storage *s)
{
	if (s == NULL)
		return;
	if (s->root_fd >= 0)
		close(s->root_fd);
	free(s->root);
	free(s->adv_addr);
	s->root = NULL;
	s->adv_addr = NULL;
	s->root_fd = -1;
}

/*
 * A component must be a single, non-empty directory entry name: not "." or
 * "..", no '/', at most STORAGE_NAME_MAX bytes. NUL cannot occur inside a C
 * string, so a name cut short by one is simply shorter. Any other byte,
 * UTF-8 included, is allowed.
 */
static int
storage_component_check(const char *what, const char *c, struct err *e)
{
	size_t len;

	if (c == NULL || c[0] == '\0')
		return err_set(e, "invalid %s \"\": must not be empty", what);
	len = strnlen(c, STORAGE_NAME_MAX + 1);
	if (len > STORAGE_NAME_MAX)
		return err_set(e, "invalid %s \"%.40s...\": longer than %d "
		    "bytes", what, c, STORAGE_NAME_MAX);
	if (strcmp(c, ".") == 0 || strcmp(c, "..") == 0)
		return err_set(e, "invalid %s \"%s\": \".\" and \"..\" are "
		    "not allowed", what, c);
	if (strchr(c, '/') != NULL)
		return err_set(e, "invalid %s \"%s\": must not contain '/'",
		    what, c);
	return 0;
}

static int
storage_ref_check(const struct storage_ref *ref, struct err *e)
{
	if (storage_component_check("kind", ref->kind, e) != 0 ||
	    storage_component_check("namespace", ref->namespace, e) != 0 ||
	    storage_component_check("name", ref->name, e) != 0)
		return -1;
	return 0;
}

int
storage_file_check(const char *file, struct err *e)
{
	return storage_component_check("file name", file, e);
}

/* Lower-cases ASCII letters only; out holds STORAGE_NAME_MAX + 1 bytes. */
static void
storage_kind_lower(const char *kind, char *out)
{
	size_t i;

	for (i = 0; kind[i] != '\0' && i < STORAGE_NAME_MAX; i++)
		out[i] = (kind[i] >= 'A' && kind[i] <= 'Z') ?
		    (char)(kind[i] - 'A' + 'a') : kind[i];
	out[i] = '\0';
}

void
storage_ref_format(const struct storage_ref *ref, const char *file,
    char *buf, size_t size)
{
	char kind[STORAGE_NAME_MAX + 1];

	storage_kind_lower(ref->kind ? ref->kind : "", kind);
	snprintf(buf, size, "%s/%s/%s%s%s", kind,
	    ref->namespace ? ref->namespace : "", ref->name ? ref->name : "",
	    file ? "/" : "", file ? file : "");
}

bool
storage_name_is_lock(const char *name)
{
	size_t n = strlen(name), k = strlen(STORAGE_LOCK_SUFFIX);

	return n > k && strcmp(name + n - k, STORAGE_LOCK_SUFFIX) == 0;
}

int
storage_lock_name(const char *file, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s%s", file, STORAGE_LOCK_SUFFIX);

	if (n < 0 || (size_t)n >= size || n > STORAGE_NAME_MAX)
		return -1;
	return 0;
}

char *
storage_path(const struct storage_ref *ref, const char *file, struct err *e)
{
	char kind[STORAGE_NAME_MAX + 1];
	char *out;
	int n;

	if (storage_ref_check(ref, e) != 0)
		return NULL;
	if (file != NULL && storage_file_check(file, e) != 0)
		return NULL;
	storage_kind_lower(ref->kind, kind);
	if (file != NULL)
		n = asprintf(&out, "%s/%s/%s/%s", kind, ref->namespace,
		    ref->name, file);
	else
		n = asprintf(&out, "%s/%s/%s", kind, ref->namespace,
		    ref->name);
	if (n < 0) {
		err_sys(e, ENOMEM, "artifact path");
		return NULL;
	}
	return out;
}

char *
storage_local_path(const struct storage *s, const struct storage_ref *ref,
    const char *file, struct err *e)
{
	char *rel, *out;

	if ((rel = storage_path(ref, file, e)) == NULL)
		return NULL;
	if (asprintf(&out, "%s/%s", s->root, rel) < 0) {
		err_sys(e, ENOMEM, "artifact path %s", rel);
		out = NULL;
	}
	free(rel);
	return out;
}

char *
storage_url(const struct storage *s, const char *rel_path)
{
	const char *fmt = "http://%s/%s";
	char *out;

	if (strncmp(s->adv_addr, "http://", 7) == 0 ||
	    strncmp(s->adv_addr, "https://", 8) == 0)
		fmt = "%s/%s";
	while (*rel_path == '/')
		rel_path++;
	if (asprintf(&out, fmt, s->adv_addr, rel_path) < 0)
		return NULL;
	return out;
}

/* Opens (optionally creating) one directory below parent without following
 * a symlink; -1 with errno set on failure. */
static int
storage_subdir_open(int parent, const char *name, bool create)
{
	const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	bool created = false;
	int fd;

	fd = openat(parent, name, flags);
	if (fd >= 0 || errno != ENOENT || !create)
		return fd;
	if (mkdirat(parent, name, STORAGE_DIR_MODE) == 0)
		created = true;
	else if (errno != EEXIST)
		return -1;
	fd = openat(parent, name, flags);
	/* Enforce the mode whatever the umask. */
	if (fd >= 0 && created)
		(void)fchmod(fd, STORAGE_DIR_MODE);
	return fd;
}

/* Explains why a component could not be opened as a directory. */
static int
storage_subdir_error(int parent, const char *name, const char *shown,
    int errnum, struct err *e)
{
	struct stat st;

	if ((errnum == ELOOP || errnum == ENOTDIR) &&
	    fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISLNK(st.st_mode))
			return err_set(e, "storage: %s is a symbolic link, "
			    "refusing to follow it", shown);
		if (!S_ISDIR(st.st_mode))
			return err_set(e, "storage: %s is not a directory",
			    shown);
	}
	return err_sys(e, errnum, "storage: open directory %s", shown);
}

/* Opens the first n of kind/ns/name (kind lower-cased) below the root. */
static int
storage_walk_open(struct storage *s, const struct storage_ref *ref, int n,
    bool create, int *dirfd, bool *missing, struct err *e)
{
	char kind[STORAGE_NAME_MAX + 1], shown[3 * (STORAGE_NAME_MAX + 1)];
	const char *comps[3];
	int fd = s->root_fd, next, i, errnum;

	if (missing != NULL)
		*missing = false;
	if (storage_ref_check(ref, e) != 0)
		return -1;
	storage_kind_lower(ref->kind, kind);
	comps[0] = kind;
	comps[1] = ref->namespace;
	comps[2] = ref->name;
	for (i = 0; i < n; i++) {
		next = storage_subdir_open(fd, comps[i], create);
		errnum = errno;
		if (next < 0) {
			snprintf(shown, sizeof(shown), "%s%s%s%s%s", comps[0],
			    i > 0 ? "/" : "", i > 0 ? comps[1] : "",
			    i > 1 ? "/" : "", i > 1 ? comps[2] : "");
			storage_subdir_error(fd, comps[i], shown, errnum, e);
			if (missing != NULL && errnum == ENOENT)
				*missing = true;
		}
		if (fd != s->root_fd)
			close(fd);
		if (next < 0)
			return -1;
		fd = next;
	}
	*dirfd = fd;
	return 0;
}

int
storage_dir_open(struct storage *s, const struct storage_ref *ref,
    bool create, int *dirfd, bool *missing, struct err *e)
{
	return storage_walk_open(s, ref, 3, create, dirfd, missing, e);
}

int
storage_artifact_dir_create(struct storage *s, const struct storage_ref *ref,
    struct err *e)
{
	int fd;

	if (storage_dir_open(s, ref, true, &fd, NULL, e) != 0)
		return -1;
	close(fd);
	return 0;
}

bool
storage_exists(struct storage *s, const struct storage_ref *ref,
    const char *file)
{
	struct stat st;
	struct err e;
	int fd, rc;

	if (storage_file_check(file, &e) != 0 ||
	    storage_dir_open(s, ref, false, &fd, NULL, &e) != 0)
		return false;
	rc = fstatat(fd, file, &st, AT_SYMLINK_NOFOLLOW);
	close(fd);
	return rc == 0 && S_ISREG(st.st_mode);
}

int
storage_lock(struct storage *s, const struct storage_ref *ref,
    const char *file, int *fd, struct err *e)
{
	char lock[STORAGE_NAME_MAX + 1], shown[1024];
	int dirfd, lfd;

	*fd = -1;
	if (storage_file_check(file, e) != 0)
		return -1;
	storage_ref_format(ref, file, shown, sizeof(shown));
	if (storage_lock_name(file, lock, sizeof(lock)) != 0)
		return err_set(e, "lock artifact %s: file name too long for a "
		    "lock file", shown);
	if (storage_dir_open(s, ref, true, &dirfd, NULL, e) != 0)
		return err_prefix(e, "lock artifact %s", shown);
	lfd = openat(dirfd, lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    STORAGE_FILE_MODE);
	close(dirfd);
	if (lfd < 0)
		return err_sys(e, errno, "lock artifact %s: open %s", shown,
		    lock);
	if (flock(lfd, LOCK_EX | LOCK_NB) != 0) {
		int errnum = errno;

		close(lfd);
		if (errnum == EWOULDBLOCK)
			return err_set(e, "artifact %s is locked by another "
			    "writer (%s is held)", shown, lock);
		return err_sys(e, errnum, "lock artifact %s", shown);
	}
	*fd = lfd;
	return 0;
}

void
storage_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

int
storage_remove(struct storage *s, const struct storage_ref *ref,
    const char *file, struct err *e)
{
	char shown[1024];
	bool missing;
	int dirfd, rc = 0;

	if (storage_file_check(file, e) != 0)
		return -1;
	storage_ref_format(ref, file, shown, sizeof(shown));
	if (storage_dir_open(s, ref, false, &dirfd, &missing, e) != 0)
		return missing ? 0 : err_prefix(e, "remove artifact %s", shown);
	if (unlinkat(dirfd, file, 0) != 0 && errno != ENOENT)
		rc = err_sys(e, errno, "remove artifact %s", shown);
	close(dirfd);
	return rc;
}

int
storage_remove_all(struct storage *s, const struct storage_ref *ref,
    struct err *e)
{
	char shown[1024];
	bool missing;
	int nsfd, rc;

	if (storage_ref_check(ref, e) != 0)
		return -1;
	storage_ref_format(ref, NULL, shown, sizeof(shown));
	if (storage_walk_open(s, ref, 2, false, &nsfd, &missing, e) != 0)
		return missing ? 0 : err_prefix(e, "remove artifact directory "
		    "%s", shown);
	rc = fs_tree_remove(nsfd, ref->name, e);
	close(nsfd);
	if (rc != 0)
		return err_prefix(e, "remove artifact directory %s", shown);
	return 0;
}
