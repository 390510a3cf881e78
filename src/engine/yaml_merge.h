/*
 * yaml_merge: the Merge strategy's YAML deep merge, with Helm's values
 * semantics as source-watcher implements them: each input (base = the file
 * already staged, overlay = the source file) has its documents merged in
 * order first; then maps merge recursively, the overlay wins for scalars and
 * replaces lists whole. A null or empty document is an empty map; any other
 * non-mapping document, a non-scalar or duplicate key, or invalid YAML is an
 * error naming the file (and line). The output is one document with keys
 * sorted bytewise at every level (deterministic), scalars keep their style
 * and tag; comments and anchors are not preserved (aliases are expanded).
 *
 * Inputs are bounded: YAML_MERGE_MAX_BYTES of text each, YAML_MERGE_MAX_DEPTH
 * nesting, and one budget per call for both inputs together of
 * YAML_MERGE_MAX_NODES nodes and YAML_MERGE_MAX_EXPANDED bytes of scalars
 * and tags, alias expansions included: an alias is charged the nodes and
 * bytes it expands to before it is copied, so a small file whose aliases
 * repeat a big scalar is refused (naming the file, the alias and where it
 * is) instead of growing without bound. Anchor lookup is O(1), key sorting
 * O(n log n). Pure and reentrant; *out is malloc'd and owned by the caller.
 */
#ifndef AG_YAML_MERGE_H
#define AG_YAML_MERGE_H

#include <stddef.h>

#include "base/err.h"

#define YAML_MERGE_MAX_BYTES (16u << 20)
#define YAML_MERGE_MAX_NODES 250000	/* ~25 MiB of tree at most */
#define YAML_MERGE_MAX_DEPTH 64
#define YAML_MERGE_MAX_EXPANDED YAML_MERGE_MAX_BYTES	/* scalar bytes */

int yaml_merge(const char *base, size_t base_len, const char *base_name,
    const char *overlay, size_t overlay_len, const char *overlay_name,
    char **out, size_t *out_len, struct err *e);

#endif
