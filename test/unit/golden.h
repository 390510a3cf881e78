/*
 * golden: the dirhash golden vectors (test/unit/golden/
 * dirhash-source-watcher.json, copied from ../shared/golden): for each of 24
 * random trees, the artifact name and the file name a real source-watcher
 * v2.2.1 stored after copying the whole tree (from '@s/' followed by a
 * recursive glob, to '@artifact/') into that artifact. The oracle of the
 * dirhash and dry-run suites; read relative to the repository root, where
 * the suites run. Helpers abort the test (cmocka fail) on error.
 */
#ifndef AG_GOLDEN_H
#define AG_GOLDEN_H

#include <jansson.h>

#define GOLDEN_DIRHASH "test/unit/golden/dirhash-source-watcher.json"

/* The whole document (the caller json_decrefs it) and its "vectors". */
json_t *golden_load(void);
json_t *golden_vectors(json_t *doc);
/* Writes vector v's files (base64 contents decoded) under dir. */
void golden_write_tree(json_t *v, const char *dir);
/* v's "artifact" and "filename" strings. */
const char *golden_artifact(json_t *v);
const char *golden_filename(json_t *v);

#endif
