/*
 * source_obj: the Flux source projection (see source_obj.h), built by the
 * source informers of controller.c and read by reconcile.c.
 */
#include <stdlib.h>
#include <string.h>

#include "controller/source_obj.h"
#include "engine/build.h"

const struct source_kind source_kinds[] = {
	{ "GitRepository", "gitrepositories" },
	{ "OCIRepository", "ocirepositories" },
	{ "Bucket", "buckets" },
	{ "HelmChart", "helmcharts" },
	{ "ExternalArtifact", "externalartifacts" },
};
const size_t source_kinds_n = sizeof(source_kinds) / sizeof(source_kinds[0]);

int
source_kind_find(const char *kind)
{
	for (size_t i = 0; i < source_kinds_n; i++)
		if (strcmp(source_kinds[i].kind, kind) == 0)
			return (int)i;
	return -1;
}

static char *
dup_str(const json_t *v)
{
	return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

static bool
ready_true(const json_t *status)
{
	const json_t *c;
	size_t i;

	json_array_foreach(json_object_get(status, "conditions"), i, c) {
		const char *t = json_string_value(json_object_get(c, "type"));
		const char *s = json_string_value(json_object_get(c, "status"));

		if (t && strcmp(t, "Ready") == 0)
			return s && strcmp(s, "True") == 0;
	}
	return false;
}

void *
source_obj_project(const json_t *obj)
{
	const json_t *st = json_object_get(obj, "status");
	const json_t *art = json_object_get(st, "artifact");
	struct source_obj *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return NULL;
	o->ready = ready_true(st);
	if (!json_is_object(art))
		return o;
	o->url = dup_str(json_object_get(art, "url"));
	o->digest = dup_str(json_object_get(art, "digest"));
	o->revision = dup_str(json_object_get(art, "revision"));
	o->origin_revision = dup_str(json_object_get(json_object_get(art,
	    "metadata"), METADATA_ORIGIN_REVISION));
	if (o->url == NULL || o->digest == NULL) {
		/* an artifact without them cannot be fetched: none yet */
		source_obj_free(o);
		return calloc(1, sizeof(struct source_obj));
	}
	return o;
}

void
source_obj_free(void *projection)
{
	struct source_obj *o = projection;

	if (o == NULL)
		return;
	free(o->url);
	free(o->digest);
	free(o->revision);
	free(o->origin_revision);
	free(o);
}

static bool
str_differs(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

bool
source_obj_changed(const struct source_obj *old, const struct source_obj *new_)
{
	if (new_->url == NULL)
		return false;
	return old->url == NULL || str_differs(old->url, new_->url) ||
	    str_differs(old->digest, new_->digest) ||
	    str_differs(old->revision, new_->revision) ||
	    str_differs(old->origin_revision, new_->origin_revision);
}
