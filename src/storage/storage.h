/*
 * storage: the artifact store on disk, with the layout and semantics of
 * Flux's artifact SDK:
 *   <root>/<kind lower-case>/<namespace>/<name>/<file>
 * served as http://<adv-addr>/<kind>/<namespace>/<name>/<file> (or
 * <adv-addr>/<path> when adv-addr already carries a scheme).
 *
 * Every path is joined securely: each component is checked (no empty, ".",
 * ".." or '/'-containing component) and opened relative to the root with
 * O_NOFOLLOW semantics, so nothing resolves outside the root whatever the
 * names contain. Writes go to a temp file beside the final name, are fsynced
 * and renamed atomically.
 *
 * Synchronous; safe on thread-pool threads as long as two threads do not work
 * on the same artifact directory at once (the per-artifact lock file serves
 * cooperating processes). struct storage is owned by its creator; storage_free
 * releases it.
 */
#ifndef AG_STORAGE_H
#define AG_STORAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"

struct storage {
	char *root;		/* absolute path of the storage root */
	char *adv_addr;		/* advertised address, maybe with scheme */
	int root_fd;		/* O_DIRECTORY descriptor of root */
};

/* Identifies one artifact directory: <kind>/<namespace>/<name>. */
struct storage_ref {
	const char *kind;	/* e.g. "ExternalArtifact"; stored lower-cased */
	const char *namespace;
	const char *name;
};

/* Opens (creating if needed, mode 0750) the root. */
int storage_init(struct storage *s, const char *root, const char *adv_addr,
    struct err *e);
void storage_free(struct storage *s);

/* Relative path "<kind>/<ns>/<name>/<file>" (malloc'd, caller frees) or NULL
 * with a message naming the offending component. Each component must be
 * non-empty, not "." or "..", without '/', at most 255 bytes (any other
 * bytes, UTF-8 included, are fine). file == NULL gives the directory path
 * "<kind>/<ns>/<name>". */
char *storage_path(const struct storage_ref *ref, const char *file,
    struct err *e);
/* Absolute path on disk for the same (malloc'd). */
char *storage_local_path(const struct storage *s,
    const struct storage_ref *ref, const char *file, struct err *e);
/* Public URL for a relative path (malloc'd; NULL only when out of memory).
 * Leading '/' of rel_path are dropped. */
char *storage_url(const struct storage *s, const char *rel_path);

/* Creates the artifact directory (and parents) with mode 0750. */
int storage_artifact_dir_create(struct storage *s,
    const struct storage_ref *ref, struct err *e);

/*
 * Atomically moves an existing temp file (on the same file system, e.g. one a
 * tar_writer wrote under the artifact dir) into place as <file>. Or copies the
 * bytes of src_path into place via temp + fsync + rename.
 */
int storage_move_into(struct storage *s, const struct storage_ref *ref,
    const char *file, const char *src_path, struct err *e);
int storage_copy_into(struct storage *s, const struct storage_ref *ref,
    const char *file, const char *src_path, struct err *e);

/* A per-artifact lock (<file>.lock beside the artifact, flock exclusive,
 * non-blocking: -1 with a message if held). Returns the lock fd in *fd
 * (-1 on failure). Creates the artifact directory if needed. Locks are per
 * open file: a second storage_lock on the same artifact fails even from the
 * same process. storage_unlock closes fd (a negative fd is ignored); the
 * lock file stays until storage_gc removes it with its artifact. */
int storage_lock(struct storage *s, const struct storage_ref *ref,
    const char *file, int *fd, struct err *e);
void storage_unlock(int fd);

/* True when <file> exists and is a regular file (symlinks are not). */
bool storage_exists(struct storage *s, const struct storage_ref *ref,
    const char *file);
/* 0 when <file> exists, is regular and matches digest ("<algo>:<hex>");
 * the file is hashed through a descriptor opened with O_NOFOLLOW. */
int storage_verify(struct storage *s, const struct storage_ref *ref,
    const char *file, const char *digest, struct err *e);

/* Removes <file> (a symlink in its place is removed itself, not followed).
 * A missing file or directory is not an error. */
int storage_remove(struct storage *s, const struct storage_ref *ref,
    const char *file, struct err *e);
/* Removes the whole artifact directory <kind>/<ns>/<name> and everything in
 * it (never following a symlink; a missing directory is not an error). */
int storage_remove_all(struct storage *s, const struct storage_ref *ref,
    struct err *e);

struct storage_gc_opts {
	const char *keep;	/* the current file name: never deleted
				 * (NULL: no current file) */
	int64_t ttl_seconds;	/* delete files older than this */
	int records;		/* then keep at most this many newest
				 * (<= 0: only the current one) */
	int64_t now;		/* unix seconds; 0 = time(NULL) */
};

/*
 * Garbage-collects one artifact directory with the SDK's retention semantics:
 * never the current file; files whose modification time is older than the
 * TTL are deleted; of the rest, only the `records` newest are kept (the
 * current file counts); ties in mtime are broken by name. Lock files go
 * with their artifact; lock files, temp files (STORAGE_TEMP_MARKER),
 * subdirectories and symlinks are never counted nor deleted as artifacts.
 * At most STORAGE_GC_FILE_LIMIT artifact files are examined per call (the
 * rest, in directory order, wait for the next call). A missing directory
 * is not an error. *deleted (optional) receives the count removed.
 */
#define STORAGE_GC_FILE_LIMIT 1000

int storage_gc(struct storage *s, const struct storage_ref *ref,
    const struct storage_gc_opts *opts, int *deleted, struct err *e);

/* Removes temp files a crash left anywhere under the root (names written by
 * this module and by tar_writer have a recognisable temp suffix): every
 * non-directory whose name contains STORAGE_TEMP_MARKER, at most 4 levels
 * down (kind/ns/name/file), never through a symlink. Meant for start-up,
 * before any build runs: it would also delete in-progress temp files.
 * *removed (optional) receives the count. */
int storage_cleanup_temp(struct storage *s, int *removed, struct err *e);

/* The temp-name convention shared with tar_writer: "<final>.tmp-XXXXXX". */
#define STORAGE_TEMP_MARKER ".tmp-"

#endif
