/*
 * generator_parse: fills the model (generator.h) from a JSON object (the
 * controller's API objects) or from a YAML stream of documents (dry-run,
 * through yaml_json.c). Parsing checks shapes and types only (a field of the
 * wrong type is an error naming its path); generator_validate.c checks the
 * values. Unknown fields are ignored, as the API server prunes them.
 *
 * Defaults: a missing metadata.namespace is "default"; a missing strategy is
 * Overwrite. The caller owns the filled structs (generator_free) and, for
 * generator_parse_yaml, the array (free after freeing each item).
 */
#ifndef AG_GENERATOR_PARSE_H
#define AG_GENERATOR_PARSE_H

#include <stddef.h>

#include <jansson.h>

#include "generator/generator.h"
#include "base/err.h"

/* Reads one ArtifactGenerator object. On error *out is left zeroed. */
int generator_from_json(const json_t *obj, struct generator *out,
    struct err *e);

/*
 * Reads every document of a YAML stream; each must be an ArtifactGenerator
 * (a document of another kind is an error naming its index and kind; empty
 * documents are skipped). *out is a malloc'd array of *n_out generators.
 */
int generator_parse_yaml(const char *buf, size_t len, struct generator **out,
    size_t *n_out, struct err *e);
/* The same, also returning in *docs (a new JSON array owned by the caller)
 * the source document of each generator, in the same order. */
int generator_parse_yaml_docs(const char *buf, size_t len,
    struct generator **out, size_t *n_out, json_t **docs, struct err *e);

#endif
