/*
 * gen_obj: the ArtifactGenerator projection (see gen_obj.h). Built by the
 * generator informer from each object it lists or watches; read by the
 * event handlers (controller.c) and the reconcile (reconcile.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "controller/gen_obj.h"
#include "generator/generator_parse.h"

static const char *const cond_names[GEN_COND_N] = {
	"Ready", "Reconciling", "Stalled",
};

const char *
gen_cond_name(enum gen_cond_type t)
{
	return cond_names[t];
}

static char *
dup_str(const json_t *v)
{
	return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

void
gen_cond_free(struct gen_cond *c)
{
	free(c->status);
	free(c->reason);
	free(c->message);
	free(c->last_transition);
	memset(c, 0, sizeof(*c));
}

void
gen_status_free(struct gen_status *s)
{
	for (size_t i = 0; i < s->n_inv; i++) {
		free(s->inv[i].name);
		free(s->inv[i].namespace);
		free(s->inv[i].digest);
		free(s->inv[i].filename);
	}
	free(s->inv);
	free(s->sources_digest);
	free(s->last_handled);
	for (int i = 0; i < GEN_COND_N; i++)
		gen_cond_free(&s->cond[i]);
	memset(s, 0, sizeof(*s));
}

static void
cond_from_json(const json_t *c, struct gen_status *out)
{
	const char *type = json_string_value(json_object_get(c, "type"));
	struct gen_cond *d = NULL;

	for (int i = 0; type && i < GEN_COND_N; i++)
		if (strcmp(type, cond_names[i]) == 0)
			d = &out->cond[i];
	if (d == NULL || d->status != NULL)
		return;
	d->status = dup_str(json_object_get(c, "status"));
	d->reason = dup_str(json_object_get(c, "reason"));
	d->message = dup_str(json_object_get(c, "message"));
	d->last_transition = dup_str(json_object_get(c, "lastTransitionTime"));
	d->observed_generation = json_integer_value(json_object_get(c,
	    "observedGeneration"));
}

/* Fills out from a status object (NULL: empty). -1 on OOM. */
int
gen_status_from_json(const json_t *status, struct gen_status *out)
{
	const json_t *inv = json_object_get(status, "inventory"), *v;
	size_t i, n = json_array_size(inv);

	memset(out, 0, sizeof(*out));
	if (n > 0 && (out->inv = calloc(n, sizeof(*out->inv))) == NULL)
		return -1;
	json_array_foreach(inv, i, v) {
		struct gen_inv *d = &out->inv[out->n_inv++];

		d->name = dup_str(json_object_get(v, "name"));
		d->namespace = dup_str(json_object_get(v, "namespace"));
		d->digest = dup_str(json_object_get(v, "digest"));
		d->filename = dup_str(json_object_get(v, "filename"));
		if (!d->name || !d->namespace || !d->digest || !d->filename)
			goto fail;
	}
	out->sources_digest = dup_str(json_object_get(status,
	    "observedSourcesDigest"));
	out->last_handled = dup_str(json_object_get(status,
	    "lastHandledReconcileAt"));
	json_array_foreach(json_object_get(status, "conditions"), i, v)
		cond_from_json(v, out);
	return 0;
fail:
	gen_status_free(out);
	return -1;
}

static int
meta_from_json(const json_t *md, struct gen_obj *o)
{
	const json_t *fin = json_object_get(md, "finalizers"), *v;
	const json_t *ann = json_object_get(md, "annotations");
	const char *rec = json_string_value(json_object_get(ann,
	    GEN_ANN_RECONCILE));
	size_t i, n = json_array_size(fin);

	o->generation = json_integer_value(json_object_get(md, "generation"));
	o->deleting = json_object_get(md, "deletionTimestamp") != NULL;
	o->disabled = rec != NULL && strcasecmp(rec, "disabled") == 0;
	o->requested_at = dup_str(json_object_get(ann, GEN_ANN_REQUESTED_AT));
	if (n > 0 && (o->finalizers = calloc(n, sizeof(char *))) == NULL)
		return -1;
	json_array_foreach(fin, i, v)
		if (json_is_string(v) &&
		    (o->finalizers[o->n_finalizers++] = dup_str(v)) == NULL)
			return -1;
	return 0;
}

/* An unparsable spec: keep the name and the message. */
static int
gen_obj_invalid(const json_t *md, struct gen_obj *o, const struct err *pe)
{
	const char *ns = json_string_value(json_object_get(md, "namespace"));

	o->g.name = dup_str(json_object_get(md, "name"));
	o->g.namespace = strdup(ns ? ns : "default");
	o->g.uid = dup_str(json_object_get(md, "uid"));
	o->invalid = strdup(pe->msg);
	return o->g.name && o->g.namespace && o->invalid ? 0 : -1;
}

void *
gen_obj_project(const json_t *obj)
{
	const json_t *md = json_object_get(obj, "metadata");
	struct gen_obj *o;
	struct err pe;

	if (!json_is_string(json_object_get(md, "name")) ||
	    (o = calloc(1, sizeof(*o))) == NULL)
		return NULL;
	o->refs = 1;
	if (generator_from_json(obj, &o->g, &pe) < 0 &&
	    gen_obj_invalid(md, o, &pe) < 0)
		goto fail;
	if (meta_from_json(md, o) < 0 ||
	    gen_status_from_json(json_object_get(obj, "status"), &o->st) < 0)
		goto fail;
	return o;
fail:
	gen_obj_unref(o);
	return NULL;
}

struct gen_obj *
gen_obj_ref(struct gen_obj *o)
{
	o->refs++;
	return o;
}

void
gen_obj_unref(struct gen_obj *o)
{
	if (o == NULL || --o->refs > 0)
		return;
	generator_free(&o->g);
	free(o->invalid);
	for (size_t i = 0; i < o->n_finalizers; i++)
		free(o->finalizers[i]);
	free(o->finalizers);
	free(o->requested_at);
	gen_status_free(&o->st);
	free(o);
}

void
gen_obj_free(void *projection)
{
	gen_obj_unref(projection);
}

const char *
gen_obj_source_key(char *buf, const char *kind, const char *ns,
    const char *name)
{
	snprintf(buf, KUBE_INDEX_KEY_MAX, "%s/%s/%s", kind, ns, name);
	return buf;
}

int
gen_obj_index(const void *projection, struct kube_index_keys *keys)
{
	const struct gen_obj *o = projection;
	const struct generator *g = &o->g;

	for (size_t i = 0; i < g->n_sources; i++) {
		const struct gen_source *s = &g->sources[i];

		if (kube_index_keys_add(keys, "%s/%s/%s", s->kind,
		    s->namespace ? s->namespace : g->namespace, s->name) < 0)
			return -1;
	}
	return 0;
}

bool
gen_obj_has_finalizer(const struct gen_obj *o)
{
	for (size_t i = 0; i < o->n_finalizers; i++)
		if (strcmp(o->finalizers[i], GEN_FINALIZER) == 0)
			return true;
	return false;
}
