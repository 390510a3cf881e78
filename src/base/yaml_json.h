/*
 * yaml_json: YAML <-> jansson trees, for the model parser (YAML in) and the
 * dry-run printer (YAML out). Callers: generator_parse.c, dryrun.c.
 *
 * Loading is defensive (the input is untrusted): the input size, the nesting
 * depth and the node count are bounded; aliases are refused (no
 * billion-laughs); duplicate mapping keys and non-scalar keys are errors.
 * Plain scalars are typed like YAML 1.2's core schema (true/false, null/~/
 * empty, integers, floats); quoted scalars and `!!str` stay strings.
 *
 * Emitting writes a multi-document stream, quoting any string that a YAML
 * reader would otherwise type as something else, so load(emit(x)) == x.
 *
 * Pure, no global state. Returned trees and buffers belong to the caller
 * (json_decref / free).
 */
#ifndef AG_YAML_JSON_H
#define AG_YAML_JSON_H

#include <stddef.h>

#include <jansson.h>

#include "base/err.h"

struct yaml_json_limits {
	size_t max_bytes;	/* input size; 0 = YAML_JSON_MAX_BYTES */
	size_t max_depth;	/* nesting; 0 = YAML_JSON_MAX_DEPTH */
	size_t max_nodes;	/* scalars + collections; 0 = YAML_JSON_MAX_NODES */
};

#define YAML_JSON_MAX_BYTES (8u << 20)
#define YAML_JSON_MAX_DEPTH 64u
#define YAML_JSON_MAX_NODES 1000000u

/*
 * Parses every document of the stream into *out, a new JSON array (one item
 * per document; an empty document is null). limits may be NULL. On error
 * *out is untouched and e names the line and column.
 */
int yaml_json_load(const char *buf, size_t len,
    const struct yaml_json_limits *limits, json_t **out, struct err *e);

/*
 * Emits each item of docs (a JSON array) as one YAML document ("---" before
 * each) into a malloc'd NUL-terminated buffer (*out, length *out_len).
 */
int yaml_json_dump(const json_t *docs, char **out, size_t *out_len,
    struct err *e);

#endif
