/*
 * external_artifact: the ExternalArtifact object and Ready condition the
 * front ends publish (see external_artifact.h). Builds jansson trees only.
 */
#include "engine/external_artifact.h"

#include <stdint.h>

#include "base/timefmt.h"

static json_t *
kv_json(const struct kv_list *l)
{
	json_t *o = json_object();

	for (size_t i = 0; i < l->len; i++)
		json_object_set_new(o, l->items[i].key,
		    json_string(l->items[i].value));
	return o;
}

json_t *
external_artifact_ready_condition(const char *message, int64_t now)
{
	char t[TIME_RFC3339_MAX];

	time_rfc3339(t, now);
	return json_pack("[{s:s, s:s, s:s, s:s, s:s}]",
	    "lastTransitionTime", t, "message", message,
	    "reason", "Succeeded", "status", "True", "type", "Ready");
}

/* The record's labels, then the reserved ones over them. */
static json_t *
labels_json(const struct artifact_record *r, const char *controller_name,
    const char *generator_uid)
{
	json_t *o = kv_json(&r->labels);

	if (o == NULL ||
	    json_object_set_new(o, LABEL_MANAGED_BY,
	    json_string(controller_name)) < 0 ||
	    json_object_set_new(o, LABEL_GENERATOR,
	    json_string(generator_uid)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *
external_artifact_json(const struct generator *g,
    const struct artifact_record *r, const char *controller_name,
    const char *generator_uid, int64_t now)
{
	json_t *md = json_pack("{s:s, s:s, s:o}", "name", r->name,
	    "namespace", r->namespace, "labels",
	    labels_json(r, controller_name, generator_uid));
	json_t *art;
	char t[TIME_RFC3339_MAX];

	if (r->annotations.len > 0)
		json_object_set_new(md, "annotations", kv_json(&r->annotations));
	time_rfc3339(t, r->last_update_time);
	art = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "path", r->path,
	    "url", r->url, "revision", r->revision, "digest", r->digest,
	    "size", (json_int_t)r->size, "lastUpdateTime", t);
	if (r->metadata.len > 0)
		json_object_set_new(art, "metadata", kv_json(&r->metadata));
	return json_pack("{s:s, s:s, s:o, s:{s:{s:s, s:s, s:s, s:s}}, "
	    "s:{s:o, s:o}}",
	    "apiVersion", EA_API_VERSION, "kind", EA_KIND, "metadata", md,
	    "spec", "sourceRef", "apiVersion", GENERATOR_API_VERSION,
	    "kind", GENERATOR_KIND, "name", g->name, "namespace", g->namespace,
	    "status", "artifact", art, "conditions",
	    external_artifact_ready_condition("Artifact is ready", now));
}
