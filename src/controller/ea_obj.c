/*
 * ea_obj: the published ExternalArtifact projection (see ea_obj.h), built by
 * the ExternalArtifact informer of controller.c, read by reconcile.c.
 */
#include <stdlib.h>
#include <string.h>

#include "base/pack.h"
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

/* spec.sourceRef.kind of those we publish, kept once. */
static const char *const ea_ref_kinds[] = { GENERATOR_KIND, NULL };

static void
pack_ea_obj(struct pack *k, void *obj)
{
	struct ea_obj *o = obj;

	source_obj_pack(k, &o->src);
	o->gen_uid = pack_str(k, o->gen_uid);
	o->ref_kind = pack_str_common(k, o->ref_kind, ea_ref_kinds);
	o->ref_namespace = pack_str(k, o->ref_namespace);
	o->ref_name = pack_str(k, o->ref_name);
}

void *
ea_obj_project(const json_t *obj)
{
	const json_t *md = json_object_get(obj, "metadata");
	const json_t *ref = json_object_get(json_object_get(obj, "spec"),
	    "sourceRef");
	struct ea_obj o = {
		.gen_uid = kobj_borrow(json_object_get(json_object_get(md,
		    "labels"), LABEL_GENERATOR)),
		.ref_kind = kobj_borrow(json_object_get(ref, "kind")),
		.ref_namespace = kobj_borrow(json_object_get(ref, "namespace")),
		.ref_name = kobj_borrow(json_object_get(ref, "name")),
	};

	source_obj_view(obj, &o.src);
	if (o.gen_uid != NULL)
		o.meta_hash = ea_meta_hash(md);
	return pack_run(&o, sizeof(o), pack_ea_obj);
}

/* One block (base/pack.h). */
void
ea_obj_free(void *projection)
{
	free(projection);
}

int
ea_obj_index(const void *projection, struct kube_index_keys *keys)
{
	const struct ea_obj *o = projection;

	if (o->gen_uid == NULL)
		return 0;
	return kube_index_keys_add(keys, "uid/%s", o->gen_uid);
}

bool
ea_obj_changed(const struct ea_obj *old, const struct ea_obj *new_)
{
	return kobj_differs(old->src.digest, new_->src.digest) ||
	    kobj_differs(old->src.revision, new_->src.revision) ||
	    kobj_differs(old->src.url, new_->src.url) ||
	    kobj_differs(old->src.origin_revision, new_->src.origin_revision) ||
	    kobj_differs(old->gen_uid, new_->gen_uid) ||
	    kobj_differs(old->ref_name, new_->ref_name) ||
	    kobj_differs(old->ref_namespace, new_->ref_namespace) ||
	    old->src.ready != new_->src.ready || old->meta_hash != new_->meta_hash;
}
