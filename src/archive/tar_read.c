/*
 * tar_read: safe extraction of untrusted .tar.gz archives (see tar.h).
 *
 * Called by the artifact fetcher (source artifacts downloaded from other
 * controllers) and the dry-run front end. Everything is streamed: zlib
 * inflates into bounded buffers, the tar stream is parsed here (ustar, GNU
 * long names 'L', PAX 'x' records path= and size=; 'g' ignored) and file
 * bytes go straight to disk. Memory is one heap state of about 200 KiB plus
 * zlib's inflate window, whatever the archive holds.
 *
 * Nothing is resolved by path: directories are walked component by component
 * with openat(O_NOFOLLOW | O_DIRECTORY) from the target's descriptor, so a
 * symlink already inside the target is never followed; names with ".." or a
 * leading '/' are rejected before anything is created. Each file is written
 * under a temp name in its directory and renamed when complete; on failure
 * the temp file is removed. Limits are checked before bytes are written, so
 * a gzip bomb fails at its first oversized entry with bounded memory.
 * Entries nested deeper than TREE_DEPTH_MAX and more than max_replaced
 * duplicate file names are refused too.
 *
 * The state is private to one call: safe on any thread.
 */
#include "archive/tar.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "base/dir_list.h"

#define TR_BLOCK 512
#define TR_IN_SIZE (64 * 1024)
#define TR_BUF_SIZE (64 * 1024)		/* file data; also holds PAX data */
#define TR_NAME_MAX 4096		/* longest entry name, NUL included */
#define TR_PAX_MAX TR_BUF_SIZE		/* largest PAX header accepted */
#define TR_SHOW_MAX 256			/* entry names quoted in messages */
#define TR_TEMP_PREFIX ".ag-extract.tmp-"

struct tr_gz {
	int fd;
	z_stream zs;
	bool in_member;		/* a gzip member started, not yet ended */
	bool done;		/* input ended cleanly at a member boundary */
	unsigned members;
	unsigned char in[TR_IN_SIZE];
};

struct tr_state {
	struct tr_gz gz;
	int root_fd;			/* the target directory */
	int dir_fd;			/* cached directory of dir_path, or -1 */
	char dir_path[TR_NAME_MAX];	/* relative to the target */
	uint64_t max_bytes, max_entries, max_replaced;
	uint64_t bytes, entries;	/* consumed so far */
	uint64_t replaced;		/* files that replaced an earlier one */
	bool has_longname, has_paxname, has_paxsize;
	uint64_t paxsize;
	char longname[TR_NAME_MAX];	/* from a GNU 'L' record */
	char paxname[TR_NAME_MAX];	/* from a PAX path= record */
	char raw[TR_NAME_MAX];		/* current entry's name as archived */
	char name[TR_NAME_MAX];		/* the same, cleaned */
	unsigned char hdr[TR_BLOCK];
	unsigned char buf[TR_BUF_SIZE];
};

/* Fails with "archive entry '<raw name>': <message>" (name sanitized). */
static int __attribute__((format(printf, 3, 4)))
tr_fail(struct tr_state *s, struct err *e, const char *fmt, ...)
{
	char shown[TR_SHOW_MAX + 4], msg[ERR_MSG_MAX];
	const unsigned char *p = (const unsigned char *)s->raw;
	size_t i;
	va_list ap;

	for (i = 0; p[i] != '\0' && i < TR_SHOW_MAX; i++)
		shown[i] = (p[i] < 0x20 || p[i] >= 0x7f) ? '?' : (char)p[i];
	strcpy(shown + i, p[i] != '\0' ? "..." : "");
	va_start(ap, fmt);	/* arguments may point into e->msg */
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(e, "archive entry '%s': %s", shown, msg);
}

/* gzip layer */

static int
tr_gz_fill(struct tr_gz *g, struct err *e)
{
	ssize_t n;

	do
		n = read(g->fd, g->in, sizeof(g->in));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_sys(e, errno, "read archive");
	g->zs.next_in = g->in;
	g->zs.avail_in = (uInt)n;
	return 0;
}

/* Inflates up to len bytes into buf; *got < len only at the clean end of
 * the last gzip member. Concatenated members are one stream; anything else
 * after a member is an error. */
static int
tr_gz_read(struct tr_gz *g, void *buf, size_t len, size_t *got,
    struct err *e)
{
	int rc;

	g->zs.next_out = buf;
	g->zs.avail_out = (uInt)len;
	while (g->zs.avail_out > 0 && !g->done) {
		if (g->zs.avail_in == 0 && tr_gz_fill(g, e) != 0)
			return -1;
		if (g->zs.avail_in == 0) {
			if (g->in_member || g->members == 0)
				return err_set(e, g->members == 0 ?
				    "empty archive: not gzip-compressed data" :
				    "truncated gzip data (unexpected end of "
				    "file)");
			g->done = true;
			break;
		}
		if (!g->in_member) {
			if (g->zs.next_in[0] != 0x1f)
				return err_set(e, g->members == 0 ?
				    "not gzip-compressed data" :
				    "trailing garbage after gzip data");
			if (g->members > 0 && inflateReset(&g->zs) != Z_OK)
				return err_set(e, "gunzip: reset failed");
			g->in_member = true;
			g->members++;
		}
		rc = inflate(&g->zs, Z_NO_FLUSH);
		if (rc == Z_STREAM_END)
			g->in_member = false;
		else if (rc == Z_MEM_ERROR)
			return err_sys(e, ENOMEM, "gunzip");
		else if (rc != Z_OK && rc != Z_BUF_ERROR)
			return err_set(e, "corrupt gzip data: %s",
			    g->zs.msg ? g->zs.msg : "inflate error");
	}
	*got = len - g->zs.avail_out;
	return 0;
}

/* Reads exactly len bytes of the current entry (a truncated stream fails). */
static int
tr_read_exact(struct tr_state *s, void *buf, size_t len, struct err *e)
{
	size_t got;

	if (tr_gz_read(&s->gz, buf, len, &got, e) != 0)
		return tr_fail(s, e, "%s", e->msg);
	if (got < len)
		return tr_fail(s, e, "truncated tar archive (data ends inside "
		    "the entry)");
	return 0;
}

/* Reads and discards len bytes (plus block padding when pad is set). */
static int
tr_skip(struct tr_state *s, uint64_t len, bool pad, struct err *e)
{
	size_t want;

	if (pad)
		len += (TR_BLOCK - len % TR_BLOCK) % TR_BLOCK;
	while (len > 0) {
		want = len < sizeof(s->buf) ? (size_t)len : sizeof(s->buf);
		if (tr_read_exact(s, s->buf, want, e) != 0)
			return -1;
		len -= want;
	}
	return 0;
}

/* tar headers */

static bool
tr_block_is_zero(const unsigned char *b)
{
	size_t i;

	for (i = 0; i < TR_BLOCK; i++)
		if (b[i] != 0)
			return false;
	return true;
}

/* Numeric header field: octal (space/NUL padded) or GNU base-256. */
static int
tr_numeric(const unsigned char *f, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	if (f[0] & 0x80) {
		if (f[0] != 0x80)
			return -1;	/* negative or >= 2^(8n-1) */
		for (i = 1; i < n; i++) {
			if (v >> 55)
				return -1;
			v = (v << 8) | f[i];
		}
		*out = v;
		return 0;
	}
	while (i < n && f[i] == ' ')
		i++;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v >> 60)
			return -1;
		v = (v << 3) | (uint64_t)(f[i] - '0');
	}
	for (; i < n; i++)
		if (f[i] != ' ' && f[i] != '\0')
			return -1;
	*out = v;
	return 0;
}

static bool
tr_checksum_ok(const unsigned char *h)
{
	uint64_t stored;
	unsigned long usum = 0;
	long ssum = 0;
	size_t i;

	if (tr_numeric(h + 148, 8, &stored) != 0)
		return false;
	for (i = 0; i < TR_BLOCK; i++) {
		unsigned char c = (i >= 148 && i < 156) ? ' ' : h[i];

		usum += c;
		ssum += (signed char)c;
	}
	return stored == usum || (int64_t)stored == ssum;
}

/* The raw name of the entry: PAX path, else GNU long name, else the header
 * (POSIX ustar: prefix "/" name). Consumes the pending extension records. */
static void
tr_name_take(struct tr_state *s)
{
	const char *h = (const char *)s->hdr;
	size_t nlen = strnlen(h, 100), plen = strnlen(h + 345, 155);

	if (s->has_paxname)
		memcpy(s->raw, s->paxname, sizeof(s->raw));
	else if (s->has_longname)
		memcpy(s->raw, s->longname, sizeof(s->raw));
	else if (memcmp(h + 257, "ustar\0", 6) == 0 && plen > 0)
		snprintf(s->raw, sizeof(s->raw), "%.*s/%.*s", (int)plen,
		    h + 345, (int)nlen, h);
	else
		snprintf(s->raw, sizeof(s->raw), "%.*s", (int)nlen, h);
	s->has_paxname = s->has_longname = false;
}

/* s->raw -> s->name: relative, no ".", "..", empty or leading '/'. An empty
 * result names the target itself. */
static int
tr_name_clean(struct tr_state *s, struct err *e)
{
	const char *p = s->raw, *slash;
	size_t len, out = 0;

	if (*p == '/')
		return tr_fail(s, e, "absolute path not allowed");
	for (; *p != '\0'; p += len + (slash ? 1 : 0)) {
		slash = strchr(p, '/');
		len = slash ? (size_t)(slash - p) : strlen(p);
		if (len == 0 || (len == 1 && p[0] == '.'))
			continue;
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return tr_fail(s, e, "'..' path component not allowed "
			    "(path traversal)");
		if (out > 0)
			s->name[out++] = '/';
		memcpy(s->name + out, p, len);
		out += len;
	}
	s->name[out] = '\0';
	return 0;
}

/* Directories nest at most TREE_DEPTH_MAX levels below the target: a
 * directory entry of n components is n levels deep, a file n - 1. */
static int
tr_depth_check(struct tr_state *s, bool is_dir, struct err *e)
{
	size_t levels = s->name[0] != '\0';

	for (const char *p = s->name; *p != '\0'; p++)
		levels += *p == '/';
	if (!is_dir && levels > 0)
		levels--;
	if (levels > TREE_DEPTH_MAX)
		return tr_fail(s, e, "nested deeper than %d levels",
		    TREE_DEPTH_MAX);
	return 0;
}

/* Extension records */

static int
tr_longname(struct tr_state *s, uint64_t size, struct err *e)
{
	size_t padded;

	if (size == 0 || size >= TR_NAME_MAX)
		return tr_fail(s, e, "GNU long name of %" PRIu64 " bytes "
		    "(limit %d)", size, TR_NAME_MAX - 1);
	padded = (size_t)size + (TR_BLOCK - size % TR_BLOCK) % TR_BLOCK;
	if (tr_read_exact(s, s->longname, padded, e) != 0)
		return -1;
	s->longname[size] = '\0';
	s->has_longname = true;
	return 0;
}

/* One PAX record "<len> <key>=<value>\n" at p (n bytes left); *used gets
 * its length. Only path and size matter; others are ignored. */
static int
tr_pax_record(struct tr_state *s, const char *p, size_t n, size_t *used,
    struct err *e)
{
	const char *key, *eq, *val, *end;
	size_t len = 0, i = 0, vlen;
	uint64_t v = 0;

	for (; i < n && p[i] >= '0' && p[i] <= '9' && len < n; i++)
		len = len * 10 + (size_t)(p[i] - '0');
	if (i == 0 || i >= n || p[i] != ' ' || len <= i + 1 || len > n ||
	    p[len - 1] != '\n')
		return tr_fail(s, e, "malformed PAX header record");
	key = p + i + 1;
	end = p + len - 1;
	eq = memchr(key, '=', (size_t)(end - key));
	if (eq == NULL)
		return tr_fail(s, e, "malformed PAX header record");
	val = eq + 1;
	vlen = (size_t)(end - val);
	*used = len;
	if ((size_t)(eq - key) == 4 && memcmp(key, "path", 4) == 0) {
		if (vlen == 0 || vlen >= TR_NAME_MAX || memchr(val, 0, vlen))
			return tr_fail(s, e, "invalid PAX path");
		memcpy(s->paxname, val, vlen);
		s->paxname[vlen] = '\0';
		s->has_paxname = true;
	} else if ((size_t)(eq - key) == 4 && memcmp(key, "size", 4) == 0) {
		for (i = 0; i < vlen && val[i] >= '0' && val[i] <= '9'; i++) {
			if (v > (UINT64_MAX >> 4))
				return tr_fail(s, e, "invalid PAX size");
			v = v * 10 + (uint64_t)(val[i] - '0');
		}
		if (i == 0 || i != vlen)
			return tr_fail(s, e, "invalid PAX size");
		s->paxsize = v;
		s->has_paxsize = true;
	}
	return 0;
}

static int
tr_pax(struct tr_state *s, uint64_t size, struct err *e)
{
	size_t off = 0, used = 0;

	if (size > TR_PAX_MAX)
		return tr_fail(s, e, "PAX header of %" PRIu64 " bytes (limit "
		    "%d)", size, TR_PAX_MAX);
	if (tr_read_exact(s, s->buf, (size_t)size +
	    (TR_BLOCK - size % TR_BLOCK) % TR_BLOCK, e) != 0)
		return -1;
	while (off < size) {
		if (tr_pax_record(s, (const char *)s->buf + off,
		    (size_t)size - off, &used, e) != 0)
			return -1;
		off += used;
	}
	return 0;
}

/* Filesystem side */

/* Opens (creating if needed) the directory `path` (relative, cleaned) one
 * component at a time without following symlinks; the descriptor is cached
 * in s and owned by it. Empty path: the target itself. */
static int
tr_dir_open(struct tr_state *s, const char *path, int *out, struct err *e)
{
	size_t start = 0, clen = strlen(s->dir_path), len;
	const char *p, *slash;
	char comp[TR_NAME_MAX];
	int fd = s->root_fd, nfd;
	bool created;

	if (*path == '\0') {
		*out = s->root_fd;
		return 0;
	}
	if (s->dir_fd >= 0 && strncmp(path, s->dir_path, clen) == 0 &&
	    (path[clen] == '\0' || path[clen] == '/')) {
		if (path[clen] == '\0') {
			*out = s->dir_fd;
			return 0;
		}
		fd = s->dir_fd;		/* continue below the cached dir */
		start = clen + 1;
	} else if (s->dir_fd >= 0) {
		close(s->dir_fd);
	}
	s->dir_fd = -1;
	for (p = path + start; *p != '\0'; p += len + (slash ? 1 : 0)) {
		slash = strchr(p, '/');
		len = slash ? (size_t)(slash - p) : strlen(p);
		memcpy(comp, p, len);
		comp[len] = '\0';
		nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (nfd < 0 && errno == ENOENT) {
			created = mkdirat(fd, comp, 0750) == 0;
			if (!created && errno != EEXIST)
				nfd = -1;
			else
				nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY |
				    O_NOFOLLOW | O_CLOEXEC);
			if (nfd >= 0 && created)
				fchmod(nfd, 0750);	/* whatever the umask */
		}
		if (fd != s->root_fd)
			close(fd);
		if (nfd < 0 && (errno == ELOOP || errno == ENOTDIR))
			return tr_fail(s, e, "'%.*s' exists and is not a "
			    "directory (symbolic links are not followed)",
			    (int)(p - path + len), path);
		if (nfd < 0)
			return tr_fail(s, e, "create directory '%.*s': %s",
			    (int)(p - path + len), path, strerror(errno));
		fd = nfd;
	}
	s->dir_fd = fd;
	snprintf(s->dir_path, sizeof(s->dir_path), "%s", path);
	*out = fd;
	return 0;
}

/* Entry data of size bytes must fit in what is left of max_bytes: checked
 * before anything is read, so an oversized entry fails at its header. */
static int
tr_limit_check(struct tr_state *s, uint64_t size, struct err *e)
{
	if (size > s->max_bytes - s->bytes)
		return tr_fail(s, e, "size %" PRIu64 " exceeds the remaining "
		    "extraction limit (max_bytes %" PRIu64 ")", size,
		    s->max_bytes);
	return 0;
}

/* Creates a fresh temp file in dfd; tmp gets its name. */
static int
tr_temp_open(struct tr_state *s, int dfd, mode_t mode, char *tmp, size_t n,
    struct err *e)
{
	unsigned char rnd[6];
	int attempt, fd;

	for (attempt = 0; attempt < 16; attempt++) {
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			return tr_fail(s, e, "getrandom: %s", strerror(errno));
		snprintf(tmp, n, TR_TEMP_PREFIX "%02x%02x%02x%02x%02x%02x",
		    rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5]);
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, mode);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			break;
	}
	return tr_fail(s, e, "create temp file: %s", strerror(errno));
}

static int
tr_write_all(int fd, const unsigned char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Streams the entry's bytes into fd (then reads the block padding). */
static int
tr_file_body(struct tr_state *s, int fd, uint64_t size, struct err *e)
{
	uint64_t left = size;
	size_t want;

	while (left > 0) {
		want = left < sizeof(s->buf) ? (size_t)left : sizeof(s->buf);
		if (tr_read_exact(s, s->buf, want, e) != 0)
			return -1;
		if (tr_write_all(fd, s->buf, want) != 0)
			return tr_fail(s, e, "write: %s", strerror(errno));
		s->bytes += want;
		left -= want;
	}
	return tr_skip(s, (TR_BLOCK - size % TR_BLOCK) % TR_BLOCK, false, e);
}

/*
 * Renames tmp over base. An entry replacing a file written earlier (a
 * duplicate name, as `tar -r` appends) costs a file creation and deletion
 * each: they are counted, and more than max_replaced is an error, so an
 * archive of a million duplicates fails in about a second instead of
 * rewriting one file a million times.
 */
static int
tr_rename(struct tr_state *s, int dfd, const char *tmp, const char *base,
    struct err *e)
{
	if (renameat2(dfd, tmp, dfd, base, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EEXIST && errno != EINVAL && errno != ENOSYS)
		return tr_fail(s, e, "rename into place: %s", strerror(errno));
	if (errno == EEXIST && ++s->replaced > s->max_replaced)
		return tr_fail(s, e, "more than %" PRIu64 " entries replace a "
		    "file of the same name extracted earlier (limit "
		    "max_replaced)", s->max_replaced);
	if (renameat(dfd, tmp, dfd, base) != 0)
		return tr_fail(s, e, "rename into place: %s", strerror(errno));
	return 0;
}

static int
tr_file(struct tr_state *s, uint64_t size, bool exec, struct err *e)
{
	char tmp[64], *slash = strrchr(s->name, '/');
	const char *base = slash ? slash + 1 : s->name;
	mode_t mode = exec ? 0700 : 0600;
	int dfd, fd;

	if (s->name[0] == '\0')
		return tr_fail(s, e, "a file entry cannot name the target "
		    "directory itself");
	if (slash)
		*slash = '\0';
	if (tr_dir_open(s, slash ? s->name : "", &dfd, e) != 0)
		return -1;
	if (slash)
		*slash = '/';
	if ((fd = tr_temp_open(s, dfd, mode, tmp, sizeof(tmp), e)) < 0)
		return -1;
	if (tr_file_body(s, fd, size, e) != 0)
		goto fail;
	if (fchmod(fd, mode) != 0 || close(fd) != 0) {
		fd = -1;
		tr_fail(s, e, "finish file: %s", strerror(errno));
		goto fail;
	}
	fd = -1;
	if (tr_rename(s, dfd, tmp, base, e) != 0)
		goto fail;
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlinkat(dfd, tmp, 0);
	return -1;
}

/* One header block in s->hdr (not the end marker). */
static int
tr_entry(struct tr_state *s, struct err *e)
{
	uint64_t size, mode = 0;
	char type = (char)s->hdr[156];
	bool is_dir;

	snprintf(s->raw, sizeof(s->raw), "%.*s", 100, (const char *)s->hdr);
	if (!tr_checksum_ok(s->hdr))
		return tr_fail(s, e, "header checksum mismatch (corrupt tar "
		    "header)");
	if (++s->entries > s->max_entries)
		return tr_fail(s, e, "too many entries (limit max_entries %"
		    PRIu64 ")", s->max_entries);
	if (tr_numeric(s->hdr + 124, 12, &size) != 0)
		return tr_fail(s, e, "invalid size field");
	if (type == 'L' || type == 'K' || type == 'x' || type == 'g') {
		if (tr_limit_check(s, size, e) != 0)
			return -1;
		s->bytes += size;	/* metadata counts toward the limit */
		if (type == 'L')
			return tr_longname(s, size, e);
		if (type == 'x')
			return tr_pax(s, size, e);
		if (size > (type == 'K' ? TR_NAME_MAX : TR_PAX_MAX))
			return tr_fail(s, e, "'%c' record of %" PRIu64
			    " bytes is too large", type, size);
		return tr_skip(s, size, true, e);
	}
	tr_name_take(s);
	if (s->has_paxsize) {
		size = s->paxsize;
		s->has_paxsize = false;
	}
	if (tr_limit_check(s, size, e) != 0)
		return -1;
	switch (type) {
	case '1':
		return tr_fail(s, e, "hard links are not allowed");
	case '2':
		return tr_fail(s, e, "symbolic links are not allowed");
	case '3':
	case '4':
		return tr_fail(s, e, "device files are not allowed");
	case '6':
		return tr_fail(s, e, "fifos are not allowed");
	case '0': case '\0': case '7': case '5':
		break;
	default:
		return tr_fail(s, e, "unsupported entry type '%c'",
		    type >= 0x20 && type < 0x7f ? type : '?');
	}
	if (tr_name_clean(s, e) != 0)
		return -1;
	tr_numeric(s->hdr + 100, 8, &mode);
	is_dir = type == '5' || (type == '\0' && s->raw[0] != '\0' &&
	    s->raw[strlen(s->raw) - 1] == '/');
	if (tr_depth_check(s, is_dir, e) != 0)
		return -1;
	if (is_dir) {
		s->bytes += size;
		if (tr_dir_open(s, s->name, &(int){0}, e) != 0)
			return -1;
		return tr_skip(s, size, true, e);
	}
	return tr_file(s, size, (mode & 0111) != 0, e);
}

/* After the end-of-archive marker: the rest (record padding) is read to
 * check the gzip trailer, counted against the byte limit. */
static int
tr_drain(struct tr_state *s, struct err *e)
{
	size_t got;

	do {
		if (tr_gz_read(&s->gz, s->buf, sizeof(s->buf), &got, e) != 0)
			return err_prefix(e, "after the end of the tar archive");
		s->bytes += got;
		if (s->bytes > s->max_bytes)
			return err_set(e, "data after the end of the tar "
			    "archive exceeds the extraction limit (max_bytes %"
			    PRIu64 ")", s->max_bytes);
	} while (got == sizeof(s->buf));
	return 0;
}

static int
tr_run(struct tr_state *s, struct err *e)
{
	size_t got;

	for (;;) {
		if (tr_gz_read(&s->gz, s->hdr, TR_BLOCK, &got, e) != 0)
			return -1;
		if (got == 0)
			return err_set(e, "truncated tar archive: no "
			    "end-of-archive marker");
		if (got < TR_BLOCK)
			return err_set(e, "truncated tar archive: partial "
			    "header block");
		if (tr_block_is_zero(s->hdr))
			return tr_drain(s, e);
		if (tr_entry(s, e) != 0)
			return -1;
	}
}

int
targz_extract_fd(int fd, const char *target_dir,
    const struct tar_read_limits *limits, struct err *e)
{
	struct tr_state *s;
	int rc;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return err_sys(e, ENOMEM, "extract into %s", target_dir);
	s->gz.fd = fd;
	s->dir_fd = -1;
	s->max_bytes = limits && limits->max_bytes ? limits->max_bytes :
	    TAR_READ_DEFAULT_MAX_BYTES;
	s->max_entries = limits && limits->max_entries ?
	    limits->max_entries : TAR_READ_DEFAULT_MAX_ENTRIES;
	s->max_replaced = limits && limits->max_replaced ?
	    limits->max_replaced : TAR_READ_DEFAULT_MAX_REPLACED;
	s->root_fd = open(target_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->root_fd < 0) {
		rc = err_sys(e, errno, "extract: open target %s", target_dir);
		free(s);
		return rc;
	}
	if (inflateInit2(&s->gz.zs, 15 + 16) != Z_OK) {
		rc = err_set(e, "extract: zlib initialisation failed");
	} else {
		rc = tr_run(s, e);
		inflateEnd(&s->gz.zs);
	}
	if (s->dir_fd >= 0)
		close(s->dir_fd);
	close(s->root_fd);
	free(s);
	return rc;
}

int
targz_extract_file(const char *archive_path, const char *target_dir,
    const struct tar_read_limits *limits, struct err *e)
{
	int fd, rc;

	fd = open(archive_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return err_sys(e, errno, "extract %s", archive_path);
	rc = targz_extract_fd(fd, target_dir, limits, e);
	close(fd);
	if (rc != 0)
		err_prefix(e, "extract %s", archive_path);
	return rc;
}
