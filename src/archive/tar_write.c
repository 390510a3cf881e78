/*
 * tar_write: normalized, reproducible .tar.gz archives (see tar.h).
 *
 * Called by the build engine (tar_writer_* for archives assembled from
 * several source trees) and by tar_write_dir (one directory tree). A
 * tar_writer owns its temp file, zlib stream, digest context and buffers
 * until tar_writer_finish or tar_writer_abort frees it.
 *
 * libtar is used for the header layout (struct tar_header), th_set_type and
 * th_finish (GNU magic and checksum), but not for I/O: its tartype_t write
 * callback only receives an int fd, which would force a global or
 * thread-local "current writer" to reach the zlib stream. Instead each
 * 512-byte header is encoded into a stack TAR's th_buf and fed, like the file
 * bytes, straight into deflate. Numbers are encoded here, zero-padded octal as
 * GNU tar and Go write them (libtar's encoders pad with spaces and take an
 * int, too small for sizes over 2 GiB; base-256 is used from 8 GiB); names
 * are copied here too, so th_set_path's GNU long-name handling (a strdup per
 * entry) is not used.
 * th_set_user/th_set_group are never called: they look names up in the
 * password database, and entries must carry uid/gid 0 with empty names.
 *
 * Determinism: the gzip header is fixed (mtime 0, OS 3 "Unix", no name), the
 * deflate parameters depend only on the level, the entries only on names,
 * contents and the executable bit. Memory is bounded: one 128 KiB read buffer,
 * one 64 KiB output buffer and zlib's state (about 270 KiB at level 6).
 */
#include "archive/tar.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <libtar.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "base/dir_walk.h"

/* Per writer, so per concurrent build (zlib's own state is 256 KiB more):
 * small enough that three builds at once stay cheap, large enough that a
 * read or write is rarely a syscall per file block. */
#define TW_IN_SIZE (32 * 1024)
#define TW_OUT_SIZE (16 * 1024)
#define TW_NAME_MAX 4096		/* longest entry name accepted */
#define TW_TEMP_SUFFIX ".tmp-XXXXXX"	/* STORAGE_TEMP_MARKER + mkstemp */
#define TW_GZIP_OS_UNIX 3

struct tar_writer {
	char *dest;			/* final path (owned) */
	char *tmp;			/* temp path beside it (owned) */
	int fd;				/* temp file, -1 once closed */
	dev_t tmp_dev;			/* its identity: never archived */
	ino_t tmp_ino;
	z_stream zs;
	gz_header gzh;			/* zlib keeps a pointer to it */
	struct digest_ctx dg;
	enum digest_algo algo;
	uint64_t size;			/* compressed bytes written */
	const cancel_flag *cancel;
	bool failed;			/* a partial entry was written */
	unsigned char out[TW_OUT_SIZE];
	unsigned char in[TW_IN_SIZE];
};

static const unsigned char tw_zero_block[2 * T_BLOCKSIZE];

bool
tar_is_vcs_dir(const char *name)
{
	static const char *const vcs[] = {
		".git", ".svn", ".hg", ".bzr", "CVS", "_darcs", ".jj",
		".pijul", ".fslckout", "_FOSSIL_", "RCS", "SCCS", "{arch}",
		".arch-ids",
	};
	size_t i;

	for (i = 0; i < sizeof(vcs) / sizeof(vcs[0]); i++)
		if (strcmp(name, vcs[i]) == 0)
			return true;
	return false;
}

bool
tar_name_is_tarball(const char *name)
{
	size_t n = strlen(name);

	return (n >= 7 && strcasecmp(name + n - 7, ".tar.gz") == 0) ||
	    (n >= 4 && strcasecmp(name + n - 4, ".tgz") == 0);
}

int
tar_path_cmp(const char *a, const char *b)
{
	const unsigned char *p = (const unsigned char *)a;
	const unsigned char *q = (const unsigned char *)b;
	int x, y;

	for (; *p != '\0' && *p == *q; p++, q++)
		;
	x = *p == '/' ? 1 : *p == '\0' ? 0 : *p + 1;
	y = *q == '/' ? 1 : *q == '\0' ? 0 : *q + 1;
	return x - y;
}

/* Writes the compressed bytes gathered in w->out and digests them. */
static int
tw_out_flush(struct tar_writer *w, struct err *e)
{
	size_t len = TW_OUT_SIZE - w->zs.avail_out, off = 0;
	ssize_t n;

	while (off < len) {
		n = write(w->fd, w->out + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_sys(e, errno, "write %s", w->tmp);
		off += (size_t)n;
	}
	digest_update(&w->dg, w->out, len);
	w->size += len;
	w->zs.next_out = w->out;
	w->zs.avail_out = TW_OUT_SIZE;
	return 0;
}

/* Feeds len bytes of tar stream to deflate; Z_FINISH ends the gzip member. */
static int
tw_deflate(struct tar_writer *w, const void *data, size_t len, int mode,
    struct err *e)
{
	int rc;

	w->zs.next_in = (Bytef *)(uintptr_t)data;
	w->zs.avail_in = (uInt)len;
	for (;;) {
		if (w->zs.avail_out == 0 && tw_out_flush(w, e) != 0)
			return -1;
		rc = deflate(&w->zs, mode);
		if (rc == Z_STREAM_ERROR)
			return err_set(e, "compress %s: zlib stream error",
			    w->tmp);
		if (mode == Z_FINISH) {
			if (rc == Z_STREAM_END)
				break;
			continue;
		}
		if (w->zs.avail_in == 0 && w->zs.avail_out != 0)
			break;
	}
	return 0;
}

/* Zero-padded octal in a field of n bytes (n-1 digits and a NUL), or GNU
 * base-256 when the value does not fit (sizes of 8 GiB and more). */
static void
tw_numeric(char *field, size_t n, uint64_t v)
{
	size_t i;

	if (v < (1ULL << (3 * (n - 1)))) {
		field[n - 1] = '\0';
		for (i = n - 1; i > 0; i--, v >>= 3)
			field[i - 1] = (char)('0' + (v & 7));
		return;
	}
	for (i = n; i > 1; i--, v >>= 8)
		field[i - 1] = (char)(v & 0xff);
	field[0] = (char)0x80;
}

/* Encodes one normalized header block (name at most T_NAMELEN bytes). */
static void
tw_header_encode(TAR *t, const char *name, size_t len, char type,
    mode_t perm, uint64_t size)
{
	memset(&t->th_buf, 0, sizeof(t->th_buf));
	memcpy(t->th_buf.name, name, len < T_NAMELEN ? len : T_NAMELEN);
	if (type == DIRTYPE)
		th_set_type(t, S_IFDIR);
	else if (type == REGTYPE)
		th_set_type(t, S_IFREG);
	else
		t->th_buf.typeflag = type;
	tw_numeric(t->th_buf.mode, sizeof(t->th_buf.mode), perm);
	tw_numeric(t->th_buf.uid, sizeof(t->th_buf.uid), 0);
	tw_numeric(t->th_buf.gid, sizeof(t->th_buf.gid), 0);
	tw_numeric(t->th_buf.size, sizeof(t->th_buf.size), size);
	tw_numeric(t->th_buf.mtime, sizeof(t->th_buf.mtime), 0);
	th_finish(t);		/* GNU magic (TAR_GNU) and checksum */
}

/* Emits the header(s) of one entry: a GNU `././@LongLink` record first when
 * the name does not fit the 100-byte field (GNU tar's rule: >= 100). */
static int
tw_header_write(struct tar_writer *w, const char *name, char type,
    mode_t perm, uint64_t size, struct err *e)
{
	size_t len = strlen(name);
	TAR t;

	memset(&t, 0, sizeof(t));
	t.options = TAR_GNU;
	if (len >= T_NAMELEN) {
		tw_header_encode(&t, "././@LongLink", 13, GNU_LONGNAME_TYPE,
		    0644, len + 1);
		if (tw_deflate(w, &t.th_buf, T_BLOCKSIZE, Z_NO_FLUSH, e) != 0 ||
		    tw_deflate(w, name, len + 1, Z_NO_FLUSH, e) != 0 ||
		    tw_deflate(w, tw_zero_block,
		    (T_BLOCKSIZE - (len + 1) % T_BLOCKSIZE) % T_BLOCKSIZE,
		    Z_NO_FLUSH, e) != 0)
			return -1;
	}
	tw_header_encode(&t, name, len, type, perm, size);
	return tw_deflate(w, &t.th_buf, T_BLOCKSIZE, Z_NO_FLUSH, e);
}

/* Entry names are relative, '/'-separated, without "." or ".." parts. */
static int
tw_name_check(const char *name, struct err *e)
{
	const char *p = name, *slash;
	size_t len;

	if (*name == '\0' || *name == '/')
		return err_set(e, "archive entry '%s': name must be a relative "
		    "path", name);
	if (strlen(name) >= TW_NAME_MAX - 1)
		return err_set(e, "archive entry '%.64s...': name longer than "
		    "%d bytes", name, TW_NAME_MAX - 2);
	for (;;) {
		slash = strchr(p, '/');
		len = slash ? (size_t)(slash - p) : strlen(p);
		if (len == 0 || (len == 1 && p[0] == '.') ||
		    (len == 2 && p[0] == '.' && p[1] == '.'))
			return err_set(e, "archive entry '%s': empty, '.' or "
			    "'..' path component", name);
		if (slash == NULL)
			return 0;
		p = slash + 1;
	}
}

static int
tw_cancelled(struct tar_writer *w, struct err *e)
{
	if (cancel_requested(w->cancel))
		return err_set(e, "archive %s: cancelled", w->dest);
	return 0;
}

int
tar_writer_open(const char *dest_path, const struct tar_write_opts *opts,
    struct tar_writer **out, struct err *e)
{
	struct tar_writer *w;
	struct stat st;
	int level = opts->level == 0 ? 6 : opts->level;

	*out = NULL;
	if (level < 1 || level > 9)
		return err_set(e, "archive %s: gzip level %d out of range 1..9",
		    dest_path, opts->level);
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return err_sys(e, ENOMEM, "archive %s", dest_path);
	w->fd = -1;
	w->cancel = opts->cancel;
	w->algo = opts->algo;
	w->dest = strdup(dest_path);
	if (w->dest == NULL ||
	    asprintf(&w->tmp, "%s%s", dest_path, TW_TEMP_SUFFIX) < 0) {
		w->tmp = NULL;
		free(w->dest);
		free(w);
		return err_sys(e, ENOMEM, "archive %s", dest_path);
	}
	if (digest_init(&w->dg, opts->algo, e) != 0) {
		free(w->tmp);
		free(w->dest);
		free(w);
		return err_prefix(e, "archive %s", dest_path);
	}
	if (deflateInit2(&w->zs, level, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK) {
		digest_abort(&w->dg);
		free(w->tmp);
		free(w->dest);
		free(w);
		return err_set(e, "archive %s: zlib initialisation failed",
		    dest_path);
	}
	w->gzh.os = TW_GZIP_OS_UNIX;	/* the rest zero: no name, mtime 0 */
	deflateSetHeader(&w->zs, &w->gzh);
	w->zs.next_out = w->out;
	w->zs.avail_out = TW_OUT_SIZE;
	w->fd = mkostemp(w->tmp, O_CLOEXEC);
	if (w->fd < 0) {
		err_sys(e, errno, "create temp file %s", w->tmp);
		free(w->tmp);
		w->tmp = NULL;
		tar_writer_abort(w);
		return -1;
	}
	if (fchmod(w->fd, 0600) != 0 || fstat(w->fd, &st) != 0) {
		err_sys(e, errno, "chmod %s", w->tmp);
		tar_writer_abort(w);
		return -1;
	}
	w->tmp_dev = st.st_dev;
	w->tmp_ino = st.st_ino;
	*out = w;
	return 0;
}

int
tar_writer_add_dir(struct tar_writer *w, const char *name, struct err *e)
{
	char buf[TW_NAME_MAX];

	if (tw_name_check(name, e) != 0 || tw_cancelled(w, e) != 0)
		return -1;
	snprintf(buf, sizeof(buf), "%s/", name);
	if (tw_header_write(w, buf, DIRTYPE, 0750, 0, e) != 0) {
		w->failed = true;
		return -1;
	}
	return 0;
}

/* Streams exactly size bytes of fd, then the block padding. */
static int
tw_body_write(struct tar_writer *w, const char *name, int fd, uint64_t size,
    struct err *e)
{
	uint64_t left = size;
	size_t want;
	ssize_t n;

	while (left > 0) {
		want = left < TW_IN_SIZE ? (size_t)left : TW_IN_SIZE;
		n = read(fd, w->in, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_sys(e, errno, "archive entry '%s': read",
			    name);
		if (n == 0)
			return err_set(e, "archive entry '%s': file shrank "
			    "while being archived", name);
		if (tw_deflate(w, w->in, (size_t)n, Z_NO_FLUSH, e) != 0)
			return -1;
		left -= (uint64_t)n;
		if (left > 0 && tw_cancelled(w, e) != 0)
			return -1;
	}
	return tw_deflate(w, tw_zero_block,
	    (T_BLOCKSIZE - size % T_BLOCKSIZE) % T_BLOCKSIZE, Z_NO_FLUSH, e);
}

int
tar_writer_add_fd(struct tar_writer *w, const char *name, int fd,
    bool executable, struct err *e)
{
	struct stat st;

	if (tw_name_check(name, e) != 0 || tw_cancelled(w, e) != 0)
		return -1;
	if (fstat(fd, &st) != 0)
		return err_sys(e, errno, "archive entry '%s': stat", name);
	if (!S_ISREG(st.st_mode))
		return err_set(e, "archive entry '%s': not a regular file",
		    name);
	w->failed = true;	/* until the whole entry is written */
	if (tw_header_write(w, name, REGTYPE, executable ? 0700 : 0600,
	    (uint64_t)st.st_size, e) != 0 ||
	    tw_body_write(w, name, fd, (uint64_t)st.st_size, e) != 0)
		return -1;
	w->failed = false;
	return 0;
}

int
tar_writer_add_file(struct tar_writer *w, const char *name,
    const char *src_path, struct err *e)
{
	struct stat st;
	int fd, rc;

	fd = open(src_path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
	    O_NOCTTY);
	if (fd < 0 && errno == ELOOP)
		return err_set(e, "archive entry '%s': %s is a symbolic link",
		    name, src_path);
	if (fd < 0)
		return err_sys(e, errno, "archive entry '%s': open %s", name,
		    src_path);
	if (fstat(fd, &st) != 0) {
		rc = err_sys(e, errno, "archive entry '%s': stat %s", name,
		    src_path);
		close(fd);
		return rc;
	}
	rc = tar_writer_add_fd(w, name, fd, (st.st_mode & 0111) != 0, e);
	close(fd);
	return rc;
}

/* Flushes and closes the temp file, renames it into place, syncs the dir. */
static int
tw_commit(struct tar_writer *w, struct err *e)
{
	char *dircopy;
	int dfd, rc;

	if (tw_deflate(w, NULL, 0, Z_FINISH, e) != 0 || tw_out_flush(w, e) != 0)
		return -1;
	if (fsync(w->fd) != 0)
		return err_sys(e, errno, "fsync %s", w->tmp);
	rc = close(w->fd);
	w->fd = -1;
	if (rc != 0)
		return err_sys(e, errno, "close %s", w->tmp);
	if (rename(w->tmp, w->dest) != 0)
		return err_sys(e, errno, "rename %s to %s", w->tmp, w->dest);
	free(w->tmp);
	w->tmp = NULL;		/* nothing left to remove on failure */
	dircopy = strdup(w->dest);
	if (dircopy == NULL)
		return err_sys(e, ENOMEM, "archive %s", w->dest);
	dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dircopy);
	if (dfd < 0)
		return err_sys(e, errno, "open directory of %s", w->dest);
	rc = fsync(dfd);
	close(dfd);
	if (rc != 0)
		return err_sys(e, errno, "fsync directory of %s", w->dest);
	return 0;
}

int
tar_writer_finish(struct tar_writer *w, struct tar_write_result *res,
    struct err *e)
{
	if (w->failed) {
		err_set(e, "archive %s: an entry failed to be written",
		    w->dest);
		tar_writer_abort(w);
		return -1;
	}
	if (tw_deflate(w, tw_zero_block, sizeof(tw_zero_block), Z_NO_FLUSH,
	    e) != 0 || tw_commit(w, e) != 0) {
		tar_writer_abort(w);
		return -1;
	}
	digest_final_string(&w->dg, res->digest);
	res->size = w->size;
	deflateEnd(&w->zs);
	free(w->dest);
	free(w);
	return 0;
}

void
tar_writer_abort(struct tar_writer *w)
{
	if (w == NULL)
		return;
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmp != NULL)
		unlink(w->tmp);
	deflateEnd(&w->zs);
	digest_abort(&w->dg);
	free(w->tmp);
	free(w->dest);
	free(w);
}

/* Directory walk for tar_write_dir: one dir_walk entry, ordered by
 * tar_path_cmp, archived. */
static int
tw_walk_visit(void *ctx, const struct dir_walk_entry *ent, struct err *e)
{
	struct tar_writer *w = ctx;
	struct stat st;
	int fd, rc;

	if (S_ISDIR(ent->st->st_mode)) {
		if (tar_is_vcs_dir(ent->name))
			return DIR_WALK_SKIP;
		return tar_writer_add_dir(w, ent->rel, e);
	}
	if (!S_ISREG(ent->st->st_mode))
		return 0;	/* symlinks, devices, fifos, sockets */
	fd = openat(ent->dirfd, ent->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return err_sys(e, errno, "open '%s'", ent->rel);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		rc = 0;		/* replaced by something else meanwhile */
	else if (st.st_dev == w->tmp_dev && st.st_ino == w->tmp_ino)
		rc = 0;		/* our own output, when dest is inside */
	else
		rc = tar_writer_add_fd(w, ent->rel, fd,
		    (st.st_mode & 0111) != 0, e);
	close(fd);
	return rc;
}

int
tar_write_dir(const char *srcdir, const char *dest_path,
    const struct tar_write_opts *opts, struct tar_write_result *res,
    struct err *e)
{
	struct dir_walk_opts wo = { .cmp = tar_path_cmp,
	    .visit = tw_walk_visit };
	struct tar_writer *w;
	int dfd, rc;

	dfd = open(srcdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return err_sys(e, errno, "archive source %s", srcdir);
	if (tar_writer_open(dest_path, opts, &w, e) != 0) {
		close(dfd);
		return -1;
	}
	wo.ctx = w;
	rc = dir_walk(dfd, &wo, e);
	if (rc == 0)
		rc = tar_writer_finish(w, res, e);
	else
		tar_writer_abort(w);
	if (rc != 0)
		err_prefix(e, "archive %s", srcdir);
	close(dfd);
	return rc;
}
