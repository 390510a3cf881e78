/*
 * generator: the internal model of an ArtifactGenerator
 * (source.extensions.fluxcd.io/v1beta1), one representation fed by YAML
 * (dry-run, generator_parse.c) and later by JSON (the controller).
 *
 * A struct generator owns every string and array it points to;
 * generator_free releases it. Validation (generator_validate.c) checks every
 * field against source-watcher's CRD patterns and limits and the engine's own
 * rules; pathPattern expansion (path_pattern.c) turns artifact templates into
 * concrete artifacts. All of it is pure and thread-pool safe.
 */
#ifndef AG_GENERATOR_H
#define AG_GENERATOR_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

#define GENERATOR_API_VERSION "source.extensions.fluxcd.io/v1beta1"
#define GENERATOR_KIND "ArtifactGenerator"

struct kv {
	char *key;
	char *value;
};

struct kv_list {
	struct kv *items;
	size_t len;
};

enum copy_strategy {
	COPY_OVERWRITE = 0,	/* the default */
	COPY_MERGE,
	COPY_EXTRACT,
};

struct gen_source {
	char *alias;
	char *kind;		/* GitRepository, OCIRepository, Bucket, ... */
	char *name;
	char *namespace;	/* NULL: the generator's namespace */
};

struct gen_copy {
	char *from;		/* "@<alias>/<pattern>" */
	char *to;		/* "@artifact/<path>" */
	char **exclude;
	size_t n_exclude;
	enum copy_strategy strategy;
};

struct gen_artifact {
	char *name;
	char *revision;		/* NULL or "@<alias>" */
	char *origin_revision;	/* NULL or "@<alias>" */
	struct gen_copy *copy;
	size_t n_copy;
	struct kv_list captures; /* pathPattern captures (rendered artifacts) */
};

struct generator {
	char *name;
	char *namespace;	/* "default" when the document has none */
	char *uid;		/* NULL in dry-run */
	struct gen_source *sources;
	size_t n_sources;
	char *path_pattern;	/* NULL when unset */
	struct kv_list labels;	/* spec.commonMetadata.labels */
	struct kv_list annotations; /* spec.commonMetadata.annotations */
	struct gen_artifact *artifacts;
	size_t n_artifacts;
};

void generator_free(struct generator *g);
void gen_artifact_free(struct gen_artifact *a);
void kv_list_free(struct kv_list *l);

/* The source declared under alias, or NULL. */
const struct gen_source *generator_source(const struct generator *g,
    const char *alias);

#endif
