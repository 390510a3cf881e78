/*
 * storage_int: helpers shared by the storage files (storage.c, storage_io.c,
 * storage_gc.c); not for other modules. Every helper resolves names relative
 * to an open directory descriptor and never follows a symbolic link.
 */
#ifndef AG_STORAGE_INT_H
#define AG_STORAGE_INT_H

#include <stdbool.h>

#include "storage/storage.h"
#include "base/err.h"

/* Longest file name component accepted (NAME_MAX on Linux). */
#define STORAGE_NAME_MAX 255
/* Directory and file modes of everything the store creates. */
#define STORAGE_DIR_MODE 0750
#define STORAGE_FILE_MODE 0600
/* Suffix of the per-artifact lock files. */
#define STORAGE_LOCK_SUFFIX ".lock"

/*
 * Opens the artifact directory <kind>/<ns>/<name> below s->root_fd one
 * component at a time with O_NOFOLLOW|O_DIRECTORY, creating missing
 * components (mode 0750) when create is true. *dirfd receives an O_CLOEXEC
 * descriptor the caller closes. *missing (optional) tells whether a failure
 * was only a missing component (ENOENT), which callers that merely look or
 * remove treat as "nothing there".
 */
int storage_dir_open(struct storage *s, const struct storage_ref *ref,
    bool create, int *dirfd, bool *missing, struct err *e);

/* Checks a file name component (same rules as the ref components). */
int storage_file_check(const char *file, struct err *e);

/* "<kind>/<ns>/<name>[/<file>]" with the kind lower-cased, for messages
 * (truncated to size; file may be NULL). */
void storage_ref_format(const struct storage_ref *ref, const char *file,
    char *buf, size_t size);

/* True when name ends with STORAGE_LOCK_SUFFIX. */
bool storage_name_is_lock(const char *name);

/* "<file>.lock" into buf (STORAGE_NAME_MAX + 1 bytes); -1 if too long. */
int storage_lock_name(const char *file, char *buf, size_t size);

#endif
