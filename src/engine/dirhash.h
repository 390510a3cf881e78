/*
 * dirhash: the content hash that names an artifact file, exactly as
 * source-watcher computes it (golang.org/x/mod/sumdb/dirhash.HashDir with
 * source-watcher's Adler-32 hash function):
 *
 *   for every regular file of the tree, sorted bytewise by
 *   "<prefix>/<relative path>", the line "%x  %s\n" (the file's Adler-32 in
 *   lower-case hex without padding, two spaces, the prefixed path); the
 *   result is the Adler-32 of all lines, in decimal.
 *
 * Directories do not contribute (an empty directory changes nothing), empty
 * files do (Adler-32 of nothing is 1). A name containing a newline is an
 * error, as upstream. Files are streamed; memory holds one (path, checksum)
 * pair per file. Pure and reentrant.
 */
#ifndef AG_DIRHASH_H
#define AG_DIRHASH_H

#include "base/cancel.h"
#include "base/err.h"

#define DIRHASH_STRING_MAX 16	/* a decimal uint32 and its NUL */

/* Hashes the tree below dirfd (not consumed); cancel (optional) aborts. */
int dirhash_tree(int dirfd, const char *prefix, const cancel_flag *cancel,
    char out[DIRHASH_STRING_MAX], struct err *e);

#endif
