/*
 * yaml_emit: the one libyaml emitter setup of the project, writing into a
 * growable, bounded memory buffer. Callers: yaml_json.c (jansson trees to
 * YAML for the dry-run printer) and yaml_merge.c (merged documents).
 *
 * Usage: yaml_emit_open, then documents (yaml_emit_doc_start, nodes through
 * yaml_emit_scalar / yaml_emit_collection_start / _end, yaml_emit_doc_end),
 * then yaml_emit_close, which hands over the NUL-terminated buffer (the
 * caller frees it), or yaml_emit_abort. Every function frees nothing else;
 * after an error the caller calls yaml_emit_abort.
 *
 * Output style: block collections, indent 2, unlimited line width, UTF-8
 * kept as is. Pure, no global state.
 */
#ifndef AG_YAML_EMIT_H
#define AG_YAML_EMIT_H

#include <stdbool.h>
#include <stddef.h>

#include <yaml.h>

#include "base/err.h"

struct yaml_emit {
	yaml_emitter_t em;
	char *buf;		/* owned until yaml_emit_close */
	size_t len, cap;
	size_t max;		/* output bound in bytes; 0 = none */
	bool full;		/* the bound was hit */
};

/* Starts the stream; max bounds the output (0 = unbounded). */
int yaml_emit_open(struct yaml_emit *y, size_t max, struct err *e);
/* implicit: no "---" line before the document. */
int yaml_emit_doc_start(struct yaml_emit *y, bool implicit, struct err *e);
int yaml_emit_doc_end(struct yaml_emit *y, struct err *e);
/* A scalar with an optional explicit tag (NULL: resolved implicitly) in
 * the given style (YAML_ANY_SCALAR_STYLE lets libyaml choose). */
int yaml_emit_scalar(struct yaml_emit *y, const char *tag, const char *text,
    size_t len, yaml_scalar_style_t style, struct err *e);
/* A block mapping (map) or sequence; yaml_emit_collection_end closes it. */
int yaml_emit_collection_start(struct yaml_emit *y, bool map, struct err *e);
int yaml_emit_collection_end(struct yaml_emit *y, bool map, struct err *e);
/* Ends the stream; *out (never NULL on success) and *len go to the
 * caller. On error everything is released. */
int yaml_emit_close(struct yaml_emit *y, char **out, size_t *len,
    struct err *e);
void yaml_emit_abort(struct yaml_emit *y);

#endif
