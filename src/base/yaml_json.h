/*
 * yaml_json: YAML <-> jansson trees, for the model parser (YAML in) and the
 * dry-run printer (YAML out). Callers: generator_parse.c, dryrun.c.
 *
 * Loading is defensive (the input is untrusted): every limit of struct
 * yaml_json_limits is checked while the events stream in, before the
 * offending node is built, so an oversize input costs little memory; aliases
 * are refused (no billion-laughs); duplicate mapping keys and non-scalar
 * keys are errors. A limit error names the line and column and the path of
 * the node (`spec.artifacts[0].copy[0].exclude`). yaml_json_check applies the
 * same limits, with the same messages but no position, to a jansson tree
 * that came from elsewhere (JSON from the API server), so one limit table
 * governs both inputs. Error positions for reader errors (invalid UTF-8,
 * control characters) are computed from libyaml's byte offset (yaml_pos.h).
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

/* Every field 0 means its default below. */
struct yaml_json_limits {
	size_t max_bytes;	/* the YAML text, and the bytes of all keys and
				 * strings of the tree */
	size_t max_depth;	/* nesting, a document's root at depth 1 */
	size_t max_nodes;	/* scalars + collections, all documents */
	size_t max_items;	/* items of one list or entries of one mapping */
	size_t max_string;	/* bytes of one scalar or key */
};

#define YAML_JSON_MAX_BYTES (8u << 20)
#define YAML_JSON_MAX_DEPTH 64u
#define YAML_JSON_MAX_NODES 1000000u
#define YAML_JSON_MAX_ITEMS 100000u
#define YAML_JSON_MAX_STRING (1u << 20)

/*
 * Parses every document of the stream into *out, a new JSON array (one item
 * per document; an empty document is null). limits may be NULL. On error
 * *out is untouched and e names the line and column.
 */
int yaml_json_load(const char *buf, size_t len,
    const struct yaml_json_limits *limits, json_t **out, struct err *e);

/*
 * Checks a jansson tree (one document) against limits (NULL: the defaults;
 * max_bytes bounds the bytes of its keys and strings). On error e names the
 * path of the first node over a limit.
 */
int yaml_json_check(const json_t *doc, const struct yaml_json_limits *limits,
    struct err *e);

/*
 * Reads the file at path ("-": stdin) into a malloc'd NUL-terminated
 * buffer (*out, length *len), refusing a file larger than max bytes before
 * reading it (regular files) or as soon as more than max bytes arrived.
 * Messages do not name the path; the caller prefixes it.
 */
int yaml_json_read_file(const char *path, size_t max, char **out,
    size_t *len, struct err *e);

/*
 * Emits each item of docs (a JSON array) as one YAML document ("---" before
 * each) into a malloc'd NUL-terminated buffer (*out, length *out_len).
 */
int yaml_json_dump(const json_t *docs, char **out, size_t *out_len,
    struct err *e);

#endif
