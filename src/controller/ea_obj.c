/*
 * ea_obj: the published ExternalArtifact projection (see ea_obj.h), built by
 * the ExternalArtifact informer of controller.c, read by reconcile.c.
 */
#include <stdlib.h>
#include <string.h>

#include "controller/ea_obj.h"
#include "engine/build.h"

static char *
dup_str(const json_t *v)
{
	return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

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
	o->gen_uid = dup_str(json_object_get(json_object_get(md, "labels"),
	    LABEL_GENERATOR));
	o->ref_kind = dup_str(json_object_get(ref, "kind"));
	o->ref_namespace = dup_str(json_object_get(ref, "namespace"));
	o->ref_name = dup_str(json_object_get(ref, "name"));
	o->digest = dup_str(json_object_get(art, "digest"));
	o->revision = dup_str(json_object_get(art, "revision"));
	o->url = dup_str(json_object_get(art, "url"));
	o->origin_revision = dup_str(json_object_get(json_object_get(art,
	    "metadata"), METADATA_ORIGIN_REVISION));
	o->ready = ready_true(json_object_get(obj, "status"));
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

static bool
differs(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

bool
ea_obj_changed(const struct ea_obj *old, const struct ea_obj *new_)
{
	return differs(old->digest, new_->digest) ||
	    differs(old->revision, new_->revision) ||
	    differs(old->url, new_->url) ||
	    differs(old->origin_revision, new_->origin_revision) ||
	    differs(old->gen_uid, new_->gen_uid) ||
	    differs(old->ref_name, new_->ref_name) ||
	    differs(old->ref_namespace, new_->ref_namespace) ||
	    old->ready != new_->ready || old->meta_hash != new_->meta_hash;
}
