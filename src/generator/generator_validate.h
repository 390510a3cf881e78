/*
 * generator_validate: checks a parsed generator (generator.h) against
 * source-watcher's CRD patterns and limits and the engine's own rules
 * (declared aliases, unique names, destination prefix, exclude counts,
 * pathPattern syntax, cross-namespace policy). Every error is terminal and
 * reads "ArtifactGenerator <ns>/<name>: <field path> '<value>': <reason>".
 *
 * The Kubernetes name and label predicates it uses are kube_names.h
 * (included here for the callers that need both). Pure and thread-safe.
 */
#ifndef AG_GENERATOR_VALIDATE_H
#define AG_GENERATOR_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "generator/generator.h"
#include "generator/kube_names.h"
#include "base/err.h"

#define GEN_MAX_SOURCES 1000
#define GEN_MAX_ARTIFACTS 1000
#define GEN_MAX_EXCLUDES 100
#define GEN_MAX_PATTERN_LEN 1024
#define GEN_MAX_REVISION_REF_LEN 64

struct gen_validate_opts {
	bool no_cross_namespace_refs;	/* refuse sources in other namespaces */
};

/* opts may be NULL (all defaults). */
int generator_validate(const struct generator *g,
    const struct gen_validate_opts *opts, struct err *e);

#endif
