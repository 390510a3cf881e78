/*
 * tar: normalized tar.gz archives.
 *
 * Writer (tar_write.c, libtar + zlib): entries carry the Flux SDK's
 * normalization (names relative to the root with '/', directories 0750,
 * regular files 0600 or 0700 when any execute bit is set, uid/gid 0, empty
 * user/group names, zero times, GNU long names); symlinks, devices, fifos,
 * sockets and VCS directories are skipped. The digest (configured algorithm)
 * and the size of the compressed bytes are computed while writing. Output goes
 * to a temp file beside the final name, is fsynced and renamed atomically,
 * mode 0600. The same tree always yields byte-identical archives.
 *
 * Reader (tar_read.c): streaming gunzip + untar of untrusted archives into a
 * target directory, with limits; see targz_extract_*. (The reader's prefix
 * is targz_, not tar_: libtar, linked for the writer, exports its own
 * tar_extract_file(TAR *, char *) and other tar_extract_* symbols.)
 *
 * Pure and synchronous: safe on thread-pool threads. Nothing here is shared
 * between calls; a tar_writer is owned by its caller until tar_writer_finish
 * or tar_writer_abort.
 */
#ifndef AG_TAR_H
#define AG_TAR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/cancel.h"
#include "base/digest.h"
#include "base/err.h"

struct tar_write_opts {
	enum digest_algo algo;
	int level;			/* gzip level 1..9; 0 means 6 */
	const cancel_flag *cancel;	/* optional: non-zero aborts the write */
};

struct tar_write_result {
	char digest[DIGEST_STRING_MAX];	/* digest of the .tar.gz bytes */
	uint64_t size;			/* size of the .tar.gz in bytes */
};

/* Archives every entry under srcdir to dest_path, in the order of a
 * depth-first walk of bytewise-sorted directory listings (Go's filepath.Walk,
 * GNU tar --sort=name): the order tar_path_cmp defines. The walk is
 * iterative (base/dir_walk); a tree nested deeper than TREE_DEPTH_MAX is
 * an error. */
int tar_write_dir(const char *srcdir, const char *dest_path,
    const struct tar_write_opts *opts, struct tar_write_result *res,
    struct err *e);

/*
 * Lower-level writer, for callers that assemble an archive from files that
 * live in several places (the build engine archives straight from the source
 * trees, without a staging copy). The caller adds entries in the order they
 * must appear: sorted with tar_path_cmp, the archive is byte-identical to what
 * tar_write_dir writes for the same tree.
 */
struct tar_writer;

int tar_writer_open(const char *dest_path, const struct tar_write_opts *opts,
    struct tar_writer **out, struct err *e);
/* A directory entry "name/" (name without trailing slash). */
int tar_writer_add_dir(struct tar_writer *w, const char *name, struct err *e);
/* A regular file entry whose bytes are streamed from src_path; executable
 * selects 0700 over 0600. The file must be a regular file (not followed if it
 * is a symlink: that is an error). */
int tar_writer_add_file(struct tar_writer *w, const char *name,
    const char *src_path, struct err *e);
/* Like tar_writer_add_file, from an already opened descriptor (not closed). */
int tar_writer_add_fd(struct tar_writer *w, const char *name, int fd,
    bool executable, struct err *e);
/* Writes the end-of-archive blocks, flushes gzip, fsyncs, renames into place
 * and frees w. On error the temp file is removed and w is freed. */
int tar_writer_finish(struct tar_writer *w, struct tar_write_result *res,
    struct err *e);
/* Removes the temp file and frees w. */
void tar_writer_abort(struct tar_writer *w);

/* Orders relative paths (without trailing '/') as tar_write_dir emits them:
 * bytewise, except that '/' sorts before every other byte, so "a/b" comes
 * before "a-b" and "a.txt" (plain strcmp would put it after them). */
int tar_path_cmp(const char *a, const char *b);

/* True for the version-control directory names the writer skips. */
bool tar_is_vcs_dir(const char *basename);

/* True for a file name ending in .tar.gz or .tgz (any case): what the
 * Extract strategy unpacks and dry-run accepts as a source archive. */
bool tar_name_is_tarball(const char *name);

struct tar_read_limits {
	uint64_t max_bytes;	/* total uncompressed file bytes; 0 = default */
	uint64_t max_entries;	/* entries of any kind; 0 = default */
	uint64_t max_replaced;	/* file entries replacing an earlier file of
				 * the same name; 0 = default */
};

#define TAR_READ_DEFAULT_MAX_BYTES (4ULL << 30)	/* 4 GiB */
#define TAR_READ_DEFAULT_MAX_ENTRIES 1000000ULL
#define TAR_READ_DEFAULT_MAX_REPLACED 10000ULL

/*
 * Extracts a gzip-compressed tar from archive_path into target_dir (which must
 * exist). Rejects, with a message naming the entry: absolute names, `..`
 * components, names resolving outside the target, symlinks, hard links,
 * devices, fifos, truncated or corrupt data, non-gzip input, limits exceeded
 * (bytes, entries, replaced duplicates, nesting deeper than TREE_DEPTH_MAX
 * of base/dir_list.h).
 * Never follows a symlink while creating files. Each file is written under a
 * temp name and renamed when complete, so on failure no partial file stands
 * under its final name. Extracted files are 0600 (0700 if executable),
 * directories 0750.
 */
int targz_extract_file(const char *archive_path, const char *target_dir,
    const struct tar_read_limits *limits, struct err *e);
/* The same from an open descriptor (read to EOF, not closed). */
int targz_extract_fd(int fd, const char *target_dir,
    const struct tar_read_limits *limits, struct err *e);

#endif
