/*
 * storage_io: putting files into the store atomically, and verifying a
 * stored file against its digest (see storage.h).
 *
 * A write goes to "<file>.tmp-XXXXXX" in the artifact directory (created
 * O_EXCL|O_NOFOLLOW, mode 0600), is fsynced, renamed over <file> with
 * renameat and the directory is fsynced, so readers see the old file or the
 * whole new one, and a crash leaves at most a temp file that
 * storage_cleanup_temp removes. On any failure the temp file is unlinked.
 * Nothing here allocates memory that outlives a call.
 */
#include "storage/storage.h"
#include "storage/storage_int.h"

#include "base/digest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define STORAGE_IO_BUF (64 * 1024)
#define STORAGE_TEMP_RANDOM 6
#define STORAGE_TEMP_TRIES 100

/* Fills out with STORAGE_TEMP_RANDOM random alphanumerics and a NUL. */
static int
storage_temp_suffix(char *out)
{
	static const char alphabet[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char rnd[STORAGE_TEMP_RANDOM];
	int i;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return -1;
	for (i = 0; i < STORAGE_TEMP_RANDOM; i++)
		out[i] = alphabet[rnd[i] % (sizeof(alphabet) - 1)];
	out[i] = '\0';
	return 0;
}

/*
 * Creates a fresh temp file beside file in dirfd; its name goes to name
 * (STORAGE_NAME_MAX + 1 bytes). The final name's prefix is shortened when
 * needed so the temp name stays within NAME_MAX.
 */
static int
storage_temp_open(int dirfd, const char *file, char *name, struct err *e)
{
	const int max = STORAGE_NAME_MAX - (int)strlen(STORAGE_TEMP_MARKER) -
	    STORAGE_TEMP_RANDOM;
	char suffix[STORAGE_TEMP_RANDOM + 1];
	int len = (int)strlen(file), tries, fd;

	if (len > max)
		len = max;
	for (tries = 0; tries < STORAGE_TEMP_TRIES; tries++) {
		if (storage_temp_suffix(suffix) != 0)
			return err_sys(e, errno, "temp file name");
		snprintf(name, STORAGE_NAME_MAX + 1, "%.*s%s%s", len, file,
		    STORAGE_TEMP_MARKER, suffix);
		fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, STORAGE_FILE_MODE);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			return err_sys(e, errno, "create temp file %s", name);
	}
	return err_set(e, "create temp file for %s: no free name", file);
}

/* Copies all of src into dst through a heap buffer (this runs on pool
 * threads, whose stack pages, once touched, stay resident for good). */
static int
storage_fd_copy(int src, int dst, const char *src_path, struct err *e)
{
	char *buf = malloc(STORAGE_IO_BUF);
	ssize_t n, w, off;
	int rc = -1;

	if (buf == NULL)
		return err_set(e, "copy %s: out of memory", src_path);
	for (;;) {
		n = read(src, buf, STORAGE_IO_BUF);
		if (n == 0) {
			rc = 0;
			break;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err_sys(e, errno, "read %s", src_path);
			break;
		}
		for (off = 0; off < n; off += w) {
			w = write(dst, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				w = 0;
			else if (w < 0)
				break;
		}
		if (off < n) {
			err_sys(e, errno, "write temp file");
			break;
		}
	}
	free(buf);
	return rc;
}

/* Makes a written file durable with the store's mode; closes fd. */
static int
storage_fd_seal(int fd, const char *what, struct err *e)
{
	int rc = 0;

	if (fchmod(fd, STORAGE_FILE_MODE) != 0)
		rc = err_sys(e, errno, "chmod %s", what);
	else if (fsync(fd) != 0)
		rc = err_sys(e, errno, "fsync %s", what);
	if (close(fd) != 0 && rc == 0)
		rc = err_sys(e, errno, "close %s", what);
	return rc;
}

/* Renames tmp over file inside dirfd and makes the rename durable. */
static int
storage_publish(int dirfd, const char *tmp, const char *file, struct err *e)
{
	if (renameat(dirfd, tmp, dirfd, file) != 0)
		return err_sys(e, errno, "rename %s to %s", tmp, file);
	if (fsync(dirfd) != 0)
		return err_sys(e, errno, "fsync artifact directory");
	return 0;
}

/* Opens a caller-supplied source file and checks it is regular. */
static int
storage_src_open(const char *src_path, int extra_flags, struct err *e)
{
	struct stat st;
	int fd;

	fd = open(src_path, O_RDONLY | O_CLOEXEC | extra_flags);
	if (fd < 0)
		return err_sys(e, errno, "open %s", src_path);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(e, "%s is not a regular file", src_path);
	}
	return fd;
}

/* The copy itself, into an already open artifact directory. */
static int
storage_copy_at(int dirfd, const char *file, const char *src_path,
    struct err *e)
{
	char tmp[STORAGE_NAME_MAX + 1];
	int src, fd, rc;

	if ((src = storage_src_open(src_path, 0, e)) < 0)
		return -1;
	if ((fd = storage_temp_open(dirfd, file, tmp, e)) < 0) {
		close(src);
		return -1;
	}
	rc = storage_fd_copy(src, fd, src_path, e);
	close(src);
	if (rc != 0)
		close(fd);
	else
		rc = storage_fd_seal(fd, tmp, e);
	if (rc == 0)
		rc = storage_publish(dirfd, tmp, file, e);
	if (rc != 0)
		(void)unlinkat(dirfd, tmp, 0);
	return rc;
}

/* Syncs the source before the rename so the published name never points
 * at data still in the page cache only. */
static int
storage_move_at(int dirfd, const char *file, const char *src_path,
    struct err *e)
{
	int fd;

	if ((fd = storage_src_open(src_path, O_NOFOLLOW, e)) < 0)
		return -1;
	if (storage_fd_seal(fd, src_path, e) != 0)
		return -1;
	if (renameat(AT_FDCWD, src_path, dirfd, file) == 0) {
		if (fsync(dirfd) != 0)
			return err_sys(e, errno, "fsync artifact directory");
		return 0;
	}
	if (errno != EXDEV)
		return err_sys(e, errno, "rename %s", src_path);
	/* Another file system: copy, then drop the source. */
	if (storage_copy_at(dirfd, file, src_path, e) != 0)
		return -1;
	if (unlink(src_path) != 0)
		return err_sys(e, errno, "remove %s after copying it",
		    src_path);
	return 0;
}

typedef int (*storage_put_fn)(int dirfd, const char *file,
    const char *src_path, struct err *e);

/* Opens (creating) the artifact directory and runs put inside it. */
static int
storage_put(struct storage *s, const struct storage_ref *ref,
    const char *file, const char *src_path, storage_put_fn put,
    struct err *e)
{
	char shown[1024];
	int dirfd, rc;

	if (storage_file_check(file, e) != 0)
		return -1;
	storage_ref_format(ref, file, shown, sizeof(shown));
	if (storage_dir_open(s, ref, true, &dirfd, NULL, e) != 0)
		return err_prefix(e, "store artifact %s", shown);
	rc = put(dirfd, file, src_path, e);
	close(dirfd);
	if (rc != 0)
		return err_prefix(e, "store artifact %s", shown);
	return 0;
}

int
storage_copy_into(struct storage *s, const struct storage_ref *ref,
    const char *file, const char *src_path, struct err *e)
{
	return storage_put(s, ref, file, src_path, storage_copy_at, e);
}

int
storage_move_into(struct storage *s, const struct storage_ref *ref,
    const char *file, const char *src_path, struct err *e)
{
	return storage_put(s, ref, file, src_path, storage_move_at, e);
}

/*
 * Hashes an open file with the algorithm of expected and compares. The
 * file is read through the descriptor opened with O_NOFOLLOW, never
 * re-resolved by path, so nothing can swap it for a link in between.
 */
static int
storage_fd_verify(int fd, const char *expected, struct err *e)
{
	char want[DIGEST_STRING_MAX], got[DIGEST_STRING_MAX];
	uint8_t raw[DIGEST_RAW_MAX];
	struct digest_ctx ctx;
	enum digest_algo algo;

	if (expected == NULL || expected[0] == '\0')
		return err_set(e, "no digest to verify against");
	if (digest_parse(expected, &algo, raw, e) != 0)
		return -1;
	digest_format(algo, raw, want);
	if (digest_init(&ctx, algo, e) != 0)
		return -1;
	if (digest_fd(&ctx, fd, NULL, e) != 0) {
		digest_abort(&ctx);
		return -1;
	}
	digest_final_string(&ctx, got);
	if (strcmp(want, got) != 0)
		return err_set(e, "digest mismatch: expected %s, computed %s",
		    want, got);
	return 0;
}

/* Opens file in dirfd for reading only if it is a regular file. */
static int
storage_regular_open(int dirfd, const char *file, struct err *e)
{
	struct stat st;
	int fd;

	if (fstatat(dirfd, file, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return err_sys(e, errno, "stat");
	if (!S_ISREG(st.st_mode))
		return err_set(e, "%s", S_ISLNK(st.st_mode) ?
		    "is a symbolic link, refusing to follow it" :
		    "is not a regular file");
	fd = openat(dirfd, file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "open");
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(e, "is not a regular file");
	}
	return fd;
}

int
storage_verify(struct storage *s, const struct storage_ref *ref,
    const char *file, const char *digest, struct err *e)
{
	char shown[1024];
	int dirfd, fd, rc;

	if (storage_file_check(file, e) != 0)
		return -1;
	storage_ref_format(ref, file, shown, sizeof(shown));
	if (storage_dir_open(s, ref, false, &dirfd, NULL, e) != 0)
		return err_prefix(e, "verify artifact %s", shown);
	fd = storage_regular_open(dirfd, file, e);
	close(dirfd);
	if (fd < 0)
		return err_prefix(e, "verify artifact %s", shown);
	rc = storage_fd_verify(fd, digest, e);
	close(fd);
	if (rc != 0)
		return err_prefix(e, "verify artifact %s", shown);
	return 0;
}
