/*
 * copy_fs: descriptor-relative, symlink-safe file operations of the copy
 * engine (see copy_fs.h). Every function here is reentrant.
 */
#include "engine/copy_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/dir_list.h"

#define COPY_FS_LIST_MAX 1000000
#define COPY_FS_BUF 65536

static enum copy_fs_kind
copy_fs_mode_kind(mode_t m)
{
	if (S_ISREG(m))
		return COPY_FS_FILE;
	if (S_ISDIR(m))
		return COPY_FS_DIR;
	return COPY_FS_OTHER;
}

int
copy_fs_kind(int dirfd, const char *name, enum copy_fs_kind *kind)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return -1;
	*kind = copy_fs_mode_kind(st.st_mode);
	return 0;
}

void
copy_fs_list_free(struct copy_fs_entry *l, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(l[i].name);
	free(l);
}

int
copy_fs_list(int dirfd, const char *what, struct copy_fs_entry **out,
    size_t *n, struct err *e)
{
	struct copy_fs_entry *l;
	size_t budget = COPY_FS_LIST_MAX, len, i;
	struct stat st;
	char **names;

	*out = NULL;
	*n = 0;
	if (dir_list_sorted(dirfd, what, false, &budget, &names, &len, e) != 0)
		return -1;
	if ((l = calloc(len ? len : 1, sizeof(*l))) == NULL) {
		dir_list_free(names, len);
		return err_set(e, "out of memory listing '%s'", what);
	}
	for (i = 0; i < len; i++) {	/* names move into l */
		l[i].name = names[i];
		if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) != 0) {
			err_sys(e, errno, "list '%s/%s'", what, names[i]);
			for (i++; i < len; i++)
				free(names[i]);
			free(names);
			copy_fs_list_free(l, len);
			return -1;
		}
		l[i].kind = copy_fs_mode_kind(st.st_mode);
		l[i].size = (uint64_t)st.st_size;
		l[i].executable = (st.st_mode & 0111) != 0;
	}
	free(names);
	*out = l;
	*n = len;
	return 0;
}

int
copy_path_join(char *out, const char *a, const char *b, struct err *e)
{
	int n;

	if (*a == '\0')
		n = snprintf(out, COPY_PATH_MAX, "%s", b);
	else if (*b == '\0')
		n = snprintf(out, COPY_PATH_MAX, "%s", a);
	else
		n = snprintf(out, COPY_PATH_MAX, "%s/%s", a, b);
	if (n < 0 || n >= COPY_PATH_MAX)
		return err_set(e, "path '%s/%s' is longer than %d bytes", a, b,
		    COPY_PATH_MAX - 1);
	return 0;
}

static int
copy_fs_open_one(int fd, const char *comp, bool create, const char *rel,
    struct err *e)
{
	int nfd;

	nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (nfd < 0 && errno == ENOENT && create) {
		if (mkdirat(fd, comp, 0750) != 0 && errno != EEXIST)
			return err_sys(e, errno, "create directory '%s'", rel);
		nfd = openat(fd, comp,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (nfd < 0 && (errno == ENOTDIR || errno == ELOOP))
		return err_set(e, "'%s' is not a directory (component '%s')",
		    rel, comp);
	if (nfd < 0)
		return err_sys(e, errno, "open directory '%s'", rel);
	return nfd;
}

int
copy_fs_open_dir(int root_fd, const char *rel, bool create, int *out,
    struct err *e)
{
	char buf[COPY_PATH_MAX], *comp, *save = NULL;
	int fd, nfd;

	*out = -1;
	if (strlen(rel) >= sizeof(buf))
		return err_set(e, "path '%.64s...' is too long", rel);
	strcpy(buf, rel);
	fd = openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "open directory");
	for (comp = strtok_r(buf, "/", &save); comp != NULL;
	    comp = strtok_r(NULL, "/", &save)) {
		if (strcmp(comp, "..") == 0) {
			close(fd);
			return err_set(e, "path '%s' contains '..'", rel);
		}
		if (strcmp(comp, ".") == 0)
			continue;
		nfd = copy_fs_open_one(fd, comp, create, rel, e);
		close(fd);
		if (nfd < 0)
			return -1;
		fd = nfd;
	}
	*out = fd;
	return 0;
}

static void
copy_fs_temp_name(char name[32])
{
	uint32_t r = 0;

	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r = (uint32_t)getpid() ^ (uint32_t)(uintptr_t)name;
	snprintf(name, 32, ".ag-tmp-%08x", r);
}

static int
copy_fs_stream(int sfd, int dfd, const char *what, struct err *e)
{
	char *buf = malloc(COPY_FS_BUF);
	ssize_t r, w, off;

	if (buf == NULL)
		return err_set(e, "out of memory copying '%s'", what);
	while ((r = read(sfd, buf, COPY_FS_BUF)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		for (off = 0; off < r; off += w) {
			w = write(dfd, buf + off, (size_t)(r - off));
			if (w < 0 && errno == EINTR)
				w = 0;
			else if (w < 0)
				goto fail;
		}
	}
	free(buf);
	return 0;
fail:
	err_sys(e, errno, "copy '%s'", what);
	free(buf);
	return -1;
}

/* Creates tmp in dst_dirfd with the bytes of src_name (a streamed copy). */
static int
copy_fs_copy_to(int src_dirfd, const char *src_name, int dst_dirfd,
    const char *tmp, struct err *e)
{
	struct stat st;
	int sfd, dfd, rc;

	sfd = openat(src_dirfd, src_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0)
		return err_sys(e, errno, "open '%s'", src_name);
	if (fstat(sfd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(sfd);
		return err_set(e, "'%s' is not a regular file", src_name);
	}
	dfd = openat(dst_dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    (st.st_mode & 0111) ? 0700 : 0600);
	if (dfd < 0) {
		rc = errno;
		close(sfd);
		errno = rc;
		return -2;	/* let the caller pick another name */
	}
	rc = copy_fs_stream(sfd, dfd, src_name, e);
	close(sfd);
	if (close(dfd) != 0 && rc == 0)
		rc = err_sys(e, errno, "write '%s'", src_name);
	if (rc != 0)
		unlinkat(dst_dirfd, tmp, 0);
	return rc;
}

/* Makes tmp a new name for the source file: link, or copy when linking
 * is refused. Returns -2 when tmp already exists. */
static int
copy_fs_make_temp(int src_dirfd, const char *src_name, int dst_dirfd,
    const char *tmp, struct err *e)
{
	if (linkat(src_dirfd, src_name, dst_dirfd, tmp, 0) == 0)
		return 0;
	if (errno == EEXIST)
		return -2;
	if (errno != EXDEV && errno != EPERM && errno != EMLINK &&
	    errno != EACCES && errno != ENOTSUP)
		return err_sys(e, errno, "link '%s'", src_name);
	return copy_fs_copy_to(src_dirfd, src_name, dst_dirfd, tmp, e);
}

static int
copy_fs_rename_into(int dst_dirfd, const char *tmp, const char *dst_name,
    uint64_t *size, struct err *e)
{
	struct stat st;

	if (renameat(dst_dirfd, tmp, dst_dirfd, dst_name) != 0) {
		int saved = errno;

		unlinkat(dst_dirfd, tmp, 0);
		if (saved == EISDIR)
			return err_set(e, "'%s' is a directory in the artifact",
			    dst_name);
		return err_sys(e, saved, "rename into '%s'", dst_name);
	}
	/* rename(2) of two links to one inode leaves both: drop the temp */
	unlinkat(dst_dirfd, tmp, 0);
	if (size != NULL) {
		if (fstatat(dst_dirfd, dst_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			return err_sys(e, errno, "stat '%s'", dst_name);
		*size = (uint64_t)st.st_size;
	}
	return 0;
}

int
copy_fs_stage_file(int src_dirfd, const char *src_name, int dst_dirfd,
    const char *dst_name, uint64_t *size, struct err *e)
{
	struct stat st;
	char tmp[32];
	int tries, rc = -2;

	/* The common case, a new name in a fresh staging tree: one link. A
	 * name already taken (EEXIST) is replaced through a temp name and
	 * rename, as are files that cannot be linked (copied). */
	if (linkat(src_dirfd, src_name, dst_dirfd, dst_name, 0) == 0) {
		if (size == NULL)
			return 0;
		if (fstatat(dst_dirfd, dst_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			return err_sys(e, errno, "stat '%s'", dst_name);
		*size = (uint64_t)st.st_size;
		return 0;
	}
	for (tries = 0; tries < 100 && rc == -2; tries++) {
		copy_fs_temp_name(tmp);
		rc = copy_fs_make_temp(src_dirfd, src_name, dst_dirfd, tmp, e);
	}
	if (rc == -2)
		return err_set(e, "no free temp name beside '%s'", dst_name);
	if (rc != 0)
		return -1;
	return copy_fs_rename_into(dst_dirfd, tmp, dst_name, size, e);
}

static int
copy_fs_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t w;

	while (len > 0) {
		w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int
copy_fs_write_file(int dst_dirfd, const char *dst_name, const void *data,
    size_t len, struct err *e)
{
	char tmp[32];
	int fd = -1, tries, rc;

	for (tries = 0; tries < 100 && fd < 0; tries++) {
		copy_fs_temp_name(tmp);
		fd = openat(dst_dirfd, tmp,
		    O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			return err_sys(e, errno, "create '%s'", dst_name);
	}
	if (fd < 0)
		return err_set(e, "no free temp name beside '%s'", dst_name);
	rc = copy_fs_write_all(fd, data, len);
	if (close(fd) != 0)
		rc = -1;
	if (rc != 0) {
		err_sys(e, errno, "write '%s'", dst_name);
		unlinkat(dst_dirfd, tmp, 0);
		return -1;
	}
	return copy_fs_rename_into(dst_dirfd, tmp, dst_name, NULL, e);
}

int
copy_fs_read_file(int dirfd, const char *name, size_t max, char **out,
    size_t *len, struct err *e)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	ssize_t r;
	int fd;

	*out = NULL;
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "open '%s'", name);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(e, "'%s' is not a regular file", name);
	}
	if ((uint64_t)st.st_size > max) {
		close(fd);
		return err_set(e, "'%s' is larger than %zu bytes", name, max);
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return err_set(e, "out of memory reading '%s'", name);
	}
	while (n < (size_t)st.st_size) {
		r = read(fd, buf + n, (size_t)st.st_size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}
