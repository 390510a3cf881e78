/*
 * generator_parse: fills the model (generator.h) from a JSON object (the
 * controller's API objects) or from a YAML stream of documents (dry-run,
 * through yaml_json.c). Parsing checks shapes and types only (a field of the
 * wrong type is an error naming its path); generator_validate.c checks the
 * values. Unknown fields are ignored, as the API server prunes them.
 *
 * Input limits (one table, generator_limits, for both inputs): YAML is
 * checked while it is parsed (yaml_json_load), so an oversize file is
 * refused before it is built in memory; a JSON object is checked by
 * generator_from_json before any of it is copied. The limits sit well above
 * any valid generator (the CRD's longest lists, sources and artifacts, have
 * 1000 items; patterns are at most 1024 bytes; Kubernetes stores at most
 * 1.5 MiB per object and 256 KiB of annotations); generator_validate.c then
 * applies the CRD's exact limits with their own messages. With them a
 * maximal file costs tens of MiB as a jansson tree, not hundreds.
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
#include "base/yaml_json.h"

#define GENERATOR_MAX_BYTES (4u << 20)	/* a file, or one object's strings */
#define GENERATOR_MAX_DEPTH 32u
#define GENERATOR_MAX_NODES 200000u	/* a file, or one object */
#define GENERATOR_MAX_ITEMS 10000u	/* of any one list or mapping */
#define GENERATOR_MAX_STRING (256u << 10)	/* one key or value */

extern const struct yaml_json_limits generator_limits;

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
