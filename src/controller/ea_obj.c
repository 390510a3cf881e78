/*
 * ea_obj: the published ExternalArtifact projection (see ea_obj.h), built by
 * the ExternalArtifact informer of controller.c, read by reconcile.c.
 */
#include <stdlib.h>
#include <string.h>

#include "controller/ea_obj.h"
#include "controller/source_obj.h"
#include "engine/build.h"

static uint64_t
fnv64(uint64_t h, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	return (h ^ 0xff) * 1099511628211ull;	/* separator */
}

static uint64_t
hash_obj(uint64_t h, const json_t *o)
{
	char *s = json_is_object(o) ? json_dumps(o, JSON_SORT_KEYS |
	    JSON_COMPACT) : NULL;

	h = fnv64(h, s ? s : "");
	free(s);
	return h;
}

uint64_t
ea_meta_hash(const json_t *metadata)
{
	uint64_t h = 14695981039346656037ull;

	h = hash_obj(h, json_object_get(metadata, "labels"));
	return hash_obj(h, json_object_get(metadata, "annotations"));
}

void *
ea_obj_project(const json_t *obj)
{
	const json_t *md = json_object_get(obj, "metadata");
	const json_t *ref = json_object_get(json_object_get(obj, "spec"),
	    "sourceRef");
	const json_t *art = json_object_get(json_object_get(obj, "status"),
	    "artifact");
	struct ea_obj *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return NULL;
	o->gen_uid = kobj_strdup(json_object_get(json_object_get(md, "labels"),
	    LABEL_GENERATOR));
	o->ref_kind = kobj_strdup(json_object_get(ref, "kind"));
	o->ref_namespace = kobj_strdup(json_object_get(ref, "namespace"));
	o->ref_name = kobj_strdup(json_object_get(ref, "name"));
	o->digest = kobj_strdup(json_object_get(art, "digest"));
	o->revision = kobj_strdup(json_object_get(art, "revision"));
	o->url = kobj_strdup(json_object_get(art, "url"));
	o->origin_revision = kobj_strdup(json_object_get(json_object_get(art,
	    "metadata"), METADATA_ORIGIN_REVISION));
	o->ready = kobj_ready(json_object_get(obj, "status"));
	o->meta_hash = ea_meta_hash(md);
	if (o->gen_uid == NULL) {
		ea_obj_free(o);
		return NULL;
	}
	return o;
}

void
ea_obj_free(void *projection)
{
	struct ea_obj *o = projection;

	if (o == NULL)
		return;
	free(o->gen_uid);
	free(o->ref_kind);
	free(o->ref_namespace);
	free(o->ref_name);
	free(o->digest);
	free(o->revision);
	free(o->url);
	free(o->origin_revision);
	free(o);
}

int
ea_obj_index(const void *projection, struct kube_index_keys *keys)
{
	const struct ea_obj *o = projection;

	return kube_index_keys_add(keys, "uid/%s", o->gen_uid);
}

bool
ea_obj_changed(const struct ea_obj *old, const struct ea_obj *new_)
{
	return kobj_differs(old->digest, new_->digest) ||
	    kobj_differs(old->revision, new_->revision) ||
	    kobj_differs(old->url, new_->url) ||
	    kobj_differs(old->origin_revision, new_->origin_revision) ||
	    kobj_differs(old->gen_uid, new_->gen_uid) ||
	    kobj_differs(old->ref_name, new_->ref_name) ||
	    kobj_differs(old->ref_namespace, new_->ref_namespace) ||
	    old->ready != new_->ready || old->meta_hash != new_->meta_hash;
}
