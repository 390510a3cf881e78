/*
 * generator_validate: the CRD rules of source-watcher's ArtifactGenerator
 * (v1beta1 patterns, lengths, item counts, enums) and the engine's own rules.
 * One check function per level (metadata, source, artifact, copy); each error
 * is prefixed with the generator's namespace/name by generator_validate.
 */
#include "generator/generator_validate.h"

#include <stdio.h>
#include <string.h>

#include "base/glob.h"
#include "generator/kube_names.h"
#include "generator/path_pattern.h"

#define FIELD_MAX 128

static const char *const source_kinds[] = {
	"Bucket", "GitRepository", "OCIRepository", "HelmChart",
	"ExternalArtifact",
};

/*
 * "@alias" (rest == NULL) or "@alias/<rest>": the alias is copied into
 * alias (at most 63 characters) and must match the alias pattern.
 */
static bool
split_alias_ref(const char *ref, char alias[GEN_MAX_LABEL_LEN + 1],
    bool with_path)
{
	const char *end;
	size_t n;

	if (ref[0] != '@')
		return false;
	end = with_path ? strchr(ref + 1, '/') : ref + strlen(ref);
	if (end == NULL)
		return false;
	n = (size_t)(end - ref - 1);
	if (n == 0 || n > GEN_MAX_LABEL_LEN)
		return false;
	memcpy(alias, ref + 1, n);
	alias[n] = '\0';
	return gen_is_alias(alias);
}

static int
check_source(const struct generator *g, size_t i,
    const struct gen_validate_opts *o, struct err *e)
{
	const struct gen_source *s = &g->sources[i];
	bool kind_ok = false;

	if (!gen_is_alias(s->alias))
		return err_set(e, "spec.sources[%zu].alias '%s': must consist of "
		    "lower-case alphanumerics, '-' and '_', start and end with an "
		    "alphanumeric and be at most 63 characters", i, s->alias);
	for (size_t j = 0; j < i; j++)
		if (strcmp(g->sources[j].alias, s->alias) == 0)
			return err_set(e, "spec.sources[%zu].alias '%s': "
			    "duplicate alias (also spec.sources[%zu])", i,
			    s->alias, j);
	for (size_t k = 0; k < sizeof(source_kinds) / sizeof(*source_kinds); k++)
		kind_ok = kind_ok || strcmp(s->kind, source_kinds[k]) == 0;
	if (!kind_ok)
		return err_set(e, "spec.sources[%zu].kind '%s': must be one of "
		    "Bucket, GitRepository, OCIRepository, HelmChart, "
		    "ExternalArtifact", i, s->kind);
	if (!gen_is_dns_label(s->name, GEN_MAX_NAME_LEN))
		return err_set(e, "spec.sources[%zu].name '%s': must consist of "
		    "lower-case alphanumerics and '-', start and end with an "
		    "alphanumeric and be at most 253 characters", i, s->name);
	if (s->namespace == NULL)
		return 0;
	if (!gen_is_dns_label(s->namespace, GEN_MAX_LABEL_LEN))
		return err_set(e, "spec.sources[%zu].namespace '%s': must be a "
		    "DNS label (lower-case alphanumerics and '-', at most 63 "
		    "characters)", i, s->namespace);
	if (o->no_cross_namespace_refs &&
	    strcmp(s->namespace, g->namespace) != 0)
		return err_set(e, "spec.sources[%zu].namespace '%s': "
		    "cross-namespace references are not allowed "
		    "(--no-cross-namespace-refs)", i, s->namespace);
	return 0;
}

static int
check_sources(const struct generator *g, const struct gen_validate_opts *o,
    struct err *e)
{
	if (g->n_sources < 1 || g->n_sources > GEN_MAX_SOURCES)
		return err_set(e, "spec.sources: must have between 1 and %d "
		    "entries, got %zu", GEN_MAX_SOURCES, g->n_sources);
	for (size_t i = 0; i < g->n_sources; i++)
		if (check_source(g, i, o, e) < 0)
			return -1;
	return 0;
}

static int
check_kv(const struct kv_list *l, const char *field, bool values,
    struct err *e)
{
	for (size_t i = 0; i < l->len; i++) {
		if (!gen_is_label_key(l->items[i].key))
			return err_set(e, "%s key '%s': must be a valid label "
			    "key ([prefix/]name, name at most 63 characters of "
			    "alphanumerics, '-', '_' and '.')", field,
			    l->items[i].key);
		if (values && !gen_is_label_value(l->items[i].value))
			return err_set(e, "%s[%s] '%s': must be a valid label "
			    "value (at most 63 characters of alphanumerics, "
			    "'-', '_' and '.', starting and ending "
			    "alphanumeric)", field, l->items[i].key,
			    l->items[i].value);
	}
	return 0;
}

static int
check_path_pattern(const struct generator *g, struct path_pattern *pp,
    struct err *e)
{
	const char *v = g->path_pattern;

	if (strlen(v) > GEN_MAX_PATTERN_LEN)
		return err_set(e, "spec.pathPattern '%.64s...': longer than "
		    "%d characters", v, GEN_MAX_PATTERN_LEN);
	if (path_pattern_parse(v, pp, e) < 0)
		return err_prefix(e, "spec.pathPattern '%s'", v);
	if (generator_source(g, pp->alias) == NULL)
		return err_set(e, "spec.pathPattern '%s': source alias '%s' is "
		    "not declared in spec.sources", v, pp->alias);
	return 0;
}

/* A revision or originRevision "@<alias>" naming a declared source. */
static int
check_alias_ref(const struct generator *g, const char *field,
    const char *v, struct err *e)
{
	char alias[GEN_MAX_LABEL_LEN + 1];

	if (v == NULL)
		return 0;
	if (strlen(v) > GEN_MAX_REVISION_REF_LEN ||
	    !split_alias_ref(v, alias, false))
		return err_set(e, "%s '%s': must be '@<alias>' (at most %d "
		    "characters)", field, v, GEN_MAX_REVISION_REF_LEN);
	if (generator_source(g, alias) == NULL)
		return err_set(e, "%s '%s': source alias '%s' is not declared "
		    "in spec.sources", field, v, alias);
	return 0;
}

/* Compiles pattern to check its syntax (the engine compiles it again). */
static int
check_glob(const char *field, const char *value, const char *pattern,
    struct err *e)
{
	struct glob *g;

	if (glob_compile(pattern, &g, e) < 0)
		return err_prefix(e, "%s '%s': invalid glob", field, value);
	glob_free(g);
	return 0;
}

static int
check_copy(const struct generator *g, const struct gen_copy *c,
    const char *field, struct err *e)
{
	char alias[GEN_MAX_LABEL_LEN + 1], sub[FIELD_MAX + 32];
	const char *rest;

	if (strlen(c->from) > GEN_MAX_PATTERN_LEN)
		return err_set(e, "%s.from '%.64s...': longer than %d "
		    "characters", field, c->from, GEN_MAX_PATTERN_LEN);
	if (!split_alias_ref(c->from, alias, true))
		return err_set(e, "%s.from '%s': must be '@<alias>/<pattern>'",
		    field, c->from);
	if (generator_source(g, alias) == NULL)
		return err_set(e, "%s.from '%s': source alias '%s' is not "
		    "declared in spec.sources", field, c->from, alias);
	rest = strchr(c->from, '/') + 1;
	snprintf(sub, sizeof(sub), "%s.from", field);
	if (glob_has_meta(rest) && check_glob(sub, c->from, rest, e) < 0)
		return -1;
	if (strlen(c->to) > GEN_MAX_PATTERN_LEN)
		return err_set(e, "%s.to '%.64s...': longer than %d characters",
		    field, c->to, GEN_MAX_PATTERN_LEN);
	if (strncmp(c->to, "@artifact/", 10) != 0)
		return err_set(e, "%s.to '%s': must start with '@artifact/'",
		    field, c->to);
	if (c->n_exclude > GEN_MAX_EXCLUDES)
		return err_set(e, "%s.exclude: at most %d patterns, got %zu",
		    field, GEN_MAX_EXCLUDES, c->n_exclude);
	for (size_t i = 0; i < c->n_exclude; i++) {
		if (c->exclude[i][0] == '\0' ||
		    strlen(c->exclude[i]) > GEN_MAX_PATTERN_LEN)
			return err_set(e, "%s.exclude[%zu] '%.64s': must be a "
			    "non-empty pattern of at most %d characters", field,
			    i, c->exclude[i], GEN_MAX_PATTERN_LEN);
		snprintf(sub, sizeof(sub), "%s.exclude[%zu]", field, i);
		if (check_glob(sub, c->exclude[i], c->exclude[i], e) < 0)
			return -1;
	}
	if (c->strategy != COPY_OVERWRITE && c->strategy != COPY_MERGE &&
	    c->strategy != COPY_EXTRACT)
		return err_set(e, "%s.strategy: unknown strategy %d", field,
		    (int)c->strategy);
	return 0;
}

static int
check_artifact_name(const struct generator *g, size_t i,
    const struct path_pattern *pp, struct err *e)
{
	const char *name = g->artifacts[i].name;

	if (strlen(name) > GEN_MAX_NAME_LEN)
		return err_set(e, "spec.artifacts[%zu].name '%.64s...': longer "
		    "than %d characters", i, name, GEN_MAX_NAME_LEN);
	if (pp != NULL) {
		if (path_pattern_check_template(pp, name, e) < 0)
			return err_prefix(e, "spec.artifacts[%zu].name '%s'", i,
			    name);
	} else if (!gen_is_dns_subdomain(name)) {
		return err_set(e, "spec.artifacts[%zu].name '%s': must be a "
		    "DNS-1123 subdomain (lower-case alphanumerics, '-' and '.', "
		    "starting and ending alphanumeric)", i, name);
	}
	for (size_t j = 0; j < i; j++)
		if (strcmp(g->artifacts[j].name, name) == 0)
			return err_set(e, "spec.artifacts[%zu].name '%s': "
			    "duplicate artifact name (also spec.artifacts[%zu])",
			    i, name, j);
	return 0;
}

static int
check_artifact(const struct generator *g, size_t i,
    const struct path_pattern *pp, struct err *e)
{
	const struct gen_artifact *a = &g->artifacts[i];
	char field[FIELD_MAX];

	if (check_artifact_name(g, i, pp, e) < 0)
		return -1;
	snprintf(field, sizeof(field), "spec.artifacts[%zu].revision", i);
	if (check_alias_ref(g, field, a->revision, e) < 0)
		return -1;
	snprintf(field, sizeof(field), "spec.artifacts[%zu].originRevision", i);
	if (check_alias_ref(g, field, a->origin_revision, e) < 0)
		return -1;
	if (a->n_copy == 0)
		return err_set(e, "spec.artifacts[%zu].copy: must have at least "
		    "one operation", i);
	for (size_t k = 0; k < a->n_copy; k++) {
		snprintf(field, sizeof(field), "spec.artifacts[%zu].copy[%zu]",
		    i, k);
		if (check_copy(g, &a->copy[k], field, e) < 0)
			return -1;
	}
	return 0;
}

static int
check_metadata(const struct generator *g, struct err *e)
{
	if (!gen_is_dns_subdomain(g->name))
		return err_set(e, "metadata.name '%s': must be a DNS-1123 "
		    "subdomain", g->name);
	if (!gen_is_dns_label(g->namespace, GEN_MAX_LABEL_LEN))
		return err_set(e, "metadata.namespace '%s': must be a DNS "
		    "label", g->namespace);
	if (check_kv(&g->labels, "spec.commonMetadata.labels", true, e) < 0 ||
	    check_kv(&g->annotations, "spec.commonMetadata.annotations", false,
	    e) < 0)
		return -1;
	return 0;
}

static int
check_all(const struct generator *g, const struct gen_validate_opts *o,
    struct path_pattern *pp, bool *have_pp, struct err *e)
{
	if (check_metadata(g, e) < 0 || check_sources(g, o, e) < 0)
		return -1;
	if (g->path_pattern != NULL) {
		if (check_path_pattern(g, pp, e) < 0)
			return -1;
		*have_pp = true;
	}
	if (g->n_artifacts < 1 || g->n_artifacts > GEN_MAX_ARTIFACTS)
		return err_set(e, "spec.artifacts: must have between 1 and %d "
		    "entries, got %zu", GEN_MAX_ARTIFACTS, g->n_artifacts);
	for (size_t i = 0; i < g->n_artifacts; i++)
		if (check_artifact(g, i, *have_pp ? pp : NULL, e) < 0)
			return -1;
	return 0;
}

int
generator_validate(const struct generator *g,
    const struct gen_validate_opts *opts, struct err *e)
{
	static const struct gen_validate_opts defaults = { 0 };
	struct path_pattern pp = { 0 };
	bool have_pp = false;
	int rc;

	rc = check_all(g, opts ? opts : &defaults, &pp, &have_pp, e);
	path_pattern_free(&pp);
	if (rc < 0)
		return err_prefix(e, "%s %s/%s", GENERATOR_KIND,
		    g->namespace ? g->namespace : "", g->name ? g->name : "");
	return 0;
}
