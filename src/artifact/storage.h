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

#include "err.h"

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
 * with a message naming the offending component. */
char *storage_path(const struct storage_ref *ref, const char *file,
    struct err *e);
/* Absolute path on disk for the same (malloc'd). */
char *storage_local_path(const struct storage *s,
    const struct storage_ref *ref, const char *file, struct err *e);
/* Public URL for a relative path (malloc'd). */
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
 * non-blocking: -1 with a message if held). Returns the lock fd in *fd. */
int storage_lock(struct storage *s, const struct storage_ref *ref,
    const char *file, int *fd, struct err *e);
void storage_unlock(int fd);

/* True when <file> exists and is a regular file (symlinks are not). */
bool storage_exists(struct storage *s, const struct storage_ref *ref,
    const char *file);
/* 0 when <file> exists, is regular and matches digest ("<algo>:<hex>"). */
int storage_verify(struct storage *s, const struct storage_ref *ref,
    const char *file, const char *digest, struct err *e);

int storage_remove(struct storage *s, const struct storage_ref *ref,
    const char *file, struct err *e);
/* Removes the whole artifact directory <kind>/<ns>/<name>. */
int storage_remove_all(struct storage *s, const struct storage_ref *ref,
    struct err *e);

struct storage_gc_opts {
	const char *keep;	/* the current file name: never deleted */
	int64_t ttl_seconds;	/* delete files older than this */
	int records;		/* then keep at most this many newest */
	int64_t now;		/* unix seconds; 0 = time(NULL) */
};

/*
 * Garbage-collects one artifact directory with the SDK's retention semantics:
 * never the current file; files whose modification time is older than the
 * TTL are deleted; of the rest, only the `records` newest are kept (the
 * current file counts). Lock files go with their artifact. At most 1000 files
 * are examined. *deleted (optional) receives the count removed.
 */
int storage_gc(struct storage *s, const struct storage_ref *ref,
    const struct storage_gc_opts *opts, int *deleted, struct err *e);

/* Removes temp files a crash left anywhere under the root (names written by
 * this module and by tar_writer have a recognisable temp suffix). */
int storage_cleanup_temp(struct storage *s, int *removed, struct err *e);

/* The temp-name convention shared with tar_writer: "<final>.tmp-XXXXXX". */
#define STORAGE_TEMP_MARKER ".tmp-"

#endif
