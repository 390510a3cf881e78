/*
 * generator_validate: checks a parsed generator (generator.h) against
 * source-watcher's CRD patterns and limits and the engine's own rules
 * (declared aliases, unique names, destination prefix, exclude counts,
 * pathPattern syntax, cross-namespace policy). Every error is terminal and
 * reads "ArtifactGenerator <ns>/<name>: <field path> '<value>': <reason>".
 *
 * Also exports the Kubernetes name and label predicates the pathPattern
 * renderer and the controller share. Pure and thread-safe.
 */
#ifndef AG_GENERATOR_VALIDATE_H
#define AG_GENERATOR_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "generator/generator.h"
#include "base/err.h"

#define GEN_MAX_SOURCES 1000
#define GEN_MAX_ARTIFACTS 1000
#define GEN_MAX_EXCLUDES 100
#define GEN_MAX_PATTERN_LEN 1024
#define GEN_MAX_NAME_LEN 253
#define GEN_MAX_LABEL_LEN 63
#define GEN_MAX_REVISION_REF_LEN 64

struct gen_validate_opts {
	bool no_cross_namespace_refs;	/* refuse sources in other namespaces */
};

/* opts may be NULL (all defaults). */
int generator_validate(const struct generator *g,
    const struct gen_validate_opts *opts, struct err *e);

/* ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$, at most max characters. */
bool gen_is_dns_label(const char *s, size_t max);
/* DNS-1123 subdomain: dot-separated labels, at most 253 characters. */
bool gen_is_dns_subdomain(const char *s);
/* ^[a-z0-9]([a-z0-9_-]*[a-z0-9])?$, at most 63 characters. */
bool gen_is_alias(const char *s);
/* Kubernetes label value: empty, or <= 63 characters of [A-Za-z0-9-_.]
 * starting and ending alphanumeric. */
bool gen_is_label_value(const char *s);
/* Kubernetes label key: [<DNS subdomain prefix>/]<name>, name as a
 * non-empty label value. */
bool gen_is_label_key(const char *s);

#endif
