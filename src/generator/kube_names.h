/*
 * kube_names: predicates for the names and labels Kubernetes accepts
 * (DNS-1123 labels and subdomains, label keys and values) and the source
 * alias pattern of source-watcher's CRD. Used by generator_validate (spec
 * checks), path_pattern (rendered names, captured values), the dry-run
 * (--source aliases) and the controller. Pure functions of their
 * argument: no allocation, thread-safe.
 */
#ifndef AG_KUBE_NAMES_H
#define AG_KUBE_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#define GEN_MAX_NAME_LEN 253	/* object names, label key prefixes */
#define GEN_MAX_LABEL_LEN 63	/* DNS labels, label names and values */

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
