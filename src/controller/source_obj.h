/*
 * source_obj: the controller's projection of a Flux source
 * (source.toolkit.fluxcd.io/v1 GitRepository, OCIRepository, Bucket,
 * HelmChart, ExternalArtifact): what a generator observes of it,
 * status.artifact's url, digest, revision and the origin revision from
 * metadata["org.opencontainers.image.revision"], and its Ready condition.
 *
 * One table (source_kinds) names the five kinds with their resources; the
 * controller starts one informer per row. Pure; the informer owns the
 * projections (source_obj_free).
 */
#ifndef AG_CONTROLLER_SOURCE_OBJ_H
#define AG_CONTROLLER_SOURCE_OBJ_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define SOURCE_GROUP "source.toolkit.fluxcd.io"
#define SOURCE_VERSION "v1"

struct source_kind {
	const char *kind;	/* "GitRepository" */
	const char *resource;	/* "gitrepositories" */
};
extern const struct source_kind source_kinds[];
extern const size_t source_kinds_n;
/* The row of kind, or -1. */
int source_kind_find(const char *kind);

struct source_obj {
	char *url;		/* NULL: no artifact yet */
	char *digest;
	char *revision;
	char *origin_revision;	/* NULL when the artifact has none */
	bool ready;		/* Ready condition True */
};

void *source_obj_project(const json_t *obj);
/* The projection of obj with its strings borrowed from obj (valid while
 * obj is), for projections that embed one (ea_obj), and their packing. */
void source_obj_view(const json_t *obj, struct source_obj *o);
struct pack;
void source_obj_pack(struct pack *k, struct source_obj *o);
void source_obj_free(void *projection);
/* True when a generator using the source must look again: the artifact
 * appeared or its digest, revision or origin revision changed. */
bool source_obj_changed(const struct source_obj *old,
    const struct source_obj *new_);

/* Helpers shared by the projections (gen_obj, ea_obj): a string member's
 * copy (NULL when absent or not a string), the Ready condition of a status
 * being True, and string inequality with NULL as a value. */
char *kobj_strdup(const json_t *v);
/* A string member's value borrowed from v (NULL when not a string): only
 * until the projection holding it is packed (base/pack.h). */
char *kobj_borrow(const json_t *v);
bool kobj_ready(const json_t *status);
bool kobj_differs(const char *a, const char *b);

#endif
