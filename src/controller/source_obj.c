/*
 * source_obj: the Flux source projection (see source_obj.h), built by the
 * source informers of controller.c and read by reconcile.c.
 */
#include <stdlib.h>
#include <string.h>

#include "base/pack.h"
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

char *
kobj_strdup(const json_t *v)
{
	return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

char *
kobj_borrow(const json_t *v)
{
	return (char *)json_string_value(v);
}

bool
kobj_ready(const json_t *status)
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

void
source_obj_view(const json_t *obj, struct source_obj *o)
{
	const json_t *st = json_object_get(obj, "status");
	const json_t *art = json_object_get(st, "artifact");

	*o = (struct source_obj){ .ready = kobj_ready(st) };
	if (!json_is_object(art))
		return;
	o->url = kobj_borrow(json_object_get(art, "url"));
	o->digest = kobj_borrow(json_object_get(art, "digest"));
	o->revision = kobj_borrow(json_object_get(art, "revision"));
	o->origin_revision = kobj_borrow(json_object_get(json_object_get(art,
	    "metadata"), METADATA_ORIGIN_REVISION));
	/* an artifact without them cannot be fetched: none yet */
	if (o->url == NULL || o->digest == NULL)
		*o = (struct source_obj){ 0 };
}

void
source_obj_pack(struct pack *k, struct source_obj *o)
{
	o->url = pack_str(k, o->url);
	/* ours say "latest@<digest>": the digest is that revision's tail */
	o->revision = pack_str(k, o->revision);
	o->digest = pack_str_tail(k, o->digest, o->revision);
	o->origin_revision = pack_str(k, o->origin_revision);
}

static void
pack_source_obj(struct pack *k, void *obj)
{
	source_obj_pack(k, obj);
}

void *
source_obj_project(const json_t *obj)
{
	struct source_obj o;

	source_obj_view(obj, &o);
	return pack_run(&o, sizeof(o), pack_source_obj);
}

/* One block (base/pack.h). */
void
source_obj_free(void *projection)
{
	free(projection);
}

bool
kobj_differs(const char *a, const char *b)
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
	return old->url == NULL || kobj_differs(old->url, new_->url) ||
	    kobj_differs(old->digest, new_->digest) ||
	    kobj_differs(old->revision, new_->revision) ||
	    kobj_differs(old->origin_revision, new_->origin_revision);
}
