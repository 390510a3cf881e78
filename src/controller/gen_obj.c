/*
 * gen_obj: the ArtifactGenerator projection (see gen_obj.h). Built by the
 * generator informer from each object it lists or watches; read by the
 * event handlers (controller.c) and the reconcile (reconcile.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/pack.h"
#include "controller/gen_obj.h"
#include "controller/source_obj.h"
#include "controller/status.h"
#include "generator/generator_parse.h"

static const char *const cond_names[GEN_COND_N] = {
	"Ready", "Reconciling", "Stalled",
};

const char *
gen_cond_name(enum gen_cond_type t)
{
	return cond_names[t];
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
	d->status = kobj_strdup(json_object_get(c, "status"));
	d->reason = kobj_strdup(json_object_get(c, "reason"));
	d->message = kobj_strdup(json_object_get(c, "message"));
	d->last_transition = kobj_strdup(json_object_get(c, "lastTransitionTime"));
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

		d->name = kobj_strdup(json_object_get(v, "name"));
		d->namespace = kobj_strdup(json_object_get(v, "namespace"));
		d->digest = kobj_strdup(json_object_get(v, "digest"));
		d->filename = kobj_strdup(json_object_get(v, "filename"));
		if (!d->name || !d->namespace || !d->digest || !d->filename)
			goto fail;
	}
	out->sources_digest = kobj_strdup(json_object_get(status,
	    "observedSourcesDigest"));
	out->last_handled = kobj_strdup(json_object_get(status,
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
	o->requested_at = kobj_strdup(json_object_get(ann, GEN_ANN_REQUESTED_AT));
	if (n > 0 && (o->finalizers = calloc(n, sizeof(char *))) == NULL)
		return -1;
	json_array_foreach(fin, i, v)
		if (json_is_string(v) &&
		    (o->finalizers[o->n_finalizers++] = kobj_strdup(v)) == NULL)
			return -1;
	return 0;
}

/* An unparsable spec: keep the name and the message. */
static int
gen_obj_invalid(const json_t *md, struct gen_obj *o, const struct err *pe)
{
	const char *ns = json_string_value(json_object_get(md, "namespace"));

	o->g.name = kobj_strdup(json_object_get(md, "name"));
	o->g.namespace = strdup(ns ? ns : "default");
	o->g.uid = kobj_strdup(json_object_get(md, "uid"));
	o->invalid = strdup(pe->msg);
	return o->g.name && o->g.namespace && o->invalid ? 0 : -1;
}

/* ---- one block per projection (base/pack.h) ---- */

/* The strings most projections hold, kept once (pack_str_common). */
static const char *const gen_common[] = {
	"GitRepository", "OCIRepository", "Bucket", "HelmChart",
	"ExternalArtifact", GEN_FINALIZER, "True", "False", "Unknown",
	REASON_SUCCEEDED, REASON_PROGRESSING, REASON_PROGRESSING_RETRY,
	REASON_SOURCE_FETCH_FAILED, REASON_BUILD_FAILED,
	REASON_RECONCILIATION_FAILED, REASON_VALIDATION_FAILED,
	REASON_ACCESS_DENIED, MSG_IN_PROGRESS, MSG_SUCCEEDED_ONE, NULL
};

static void
pack_kv(struct pack *k, struct kv_list *l)
{
	l->items = pack_mem(k, l->items, l->len * sizeof(*l->items));
	for (size_t i = 0; i < l->len; i++) {
		l->items[i].key = pack_str(k, l->items[i].key);
		l->items[i].value = pack_str(k, l->items[i].value);
	}
}

static void
pack_copy(struct pack *k, struct gen_copy *c)
{
	c->from = pack_str(k, c->from);
	c->to = pack_str(k, c->to);
	c->exclude = pack_mem(k, c->exclude, c->n_exclude * sizeof(char *));
	for (size_t i = 0; i < c->n_exclude; i++)
		c->exclude[i] = pack_str(k, c->exclude[i]);
}

static void
pack_artifact(struct pack *k, struct gen_artifact *a)
{
	a->name = pack_str(k, a->name);
	a->revision = pack_str(k, a->revision);
	a->origin_revision = pack_str(k, a->origin_revision);
	a->copy = pack_mem(k, a->copy, a->n_copy * sizeof(*a->copy));
	for (size_t i = 0; i < a->n_copy; i++)
		pack_copy(k, &a->copy[i]);
	pack_kv(k, &a->captures);
}

static void
pack_generator(struct pack *k, struct generator *g)
{
	g->name = pack_str(k, g->name);
	g->namespace = pack_str(k, g->namespace);
	g->uid = pack_str(k, g->uid);
	g->sources = pack_mem(k, g->sources, g->n_sources * sizeof(*g->sources));
	for (size_t i = 0; i < g->n_sources; i++) {
		struct gen_source *s = &g->sources[i];

		s->alias = pack_str(k, s->alias);
		s->kind = pack_str_common(k, s->kind, gen_common);
		s->name = pack_str(k, s->name);
		s->namespace = pack_str(k, s->namespace);
	}
	g->path_pattern = pack_str(k, g->path_pattern);
	pack_kv(k, &g->labels);
	pack_kv(k, &g->annotations);
	g->artifacts = pack_mem(k, g->artifacts,
	    g->n_artifacts * sizeof(*g->artifacts));
	for (size_t i = 0; i < g->n_artifacts; i++)
		pack_artifact(k, &g->artifacts[i]);
}

static void
pack_status(struct pack *k, struct gen_status *st)
{
	st->inv = pack_mem(k, st->inv, st->n_inv * sizeof(*st->inv));
	for (size_t i = 0; i < st->n_inv; i++) {
		struct gen_inv *v = &st->inv[i];

		v->name = pack_str(k, v->name);
		v->namespace = pack_str(k, v->namespace);
		v->digest = pack_str(k, v->digest);
		v->filename = pack_str(k, v->filename);
	}
	st->sources_digest = pack_str(k, st->sources_digest);
	st->last_handled = pack_str(k, st->last_handled);
	for (int i = 0; i < GEN_COND_N; i++) {
		struct gen_cond *c = &st->cond[i];

		c->status = pack_str_common(k, c->status, gen_common);
		c->reason = pack_str_common(k, c->reason, gen_common);
		c->message = pack_str_common(k, c->message, gen_common);
		c->last_transition = pack_str(k, c->last_transition);
	}
}

static void
pack_gen_obj(struct pack *k, void *obj)
{
	struct gen_obj *o = obj;

	pack_generator(k, &o->g);
	o->invalid = pack_str(k, o->invalid);
	o->finalizers = pack_mem(k, o->finalizers,
	    o->n_finalizers * sizeof(char *));
	for (size_t i = 0; i < o->n_finalizers; i++)
		o->finalizers[i] = pack_str_common(k, o->finalizers[i],
		    gen_common);
	o->requested_at = pack_str(k, o->requested_at);
	pack_status(k, &o->st);
}

/* The parsed projection moved into one block (o freed either way). */
static struct gen_obj *
gen_obj_pack(struct gen_obj *o)
{
	struct gen_obj *p = pack_run(o, sizeof(*o), pack_gen_obj);

	gen_obj_unref(o);
	if (p != NULL)
		p->packed = true;
	return p;
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
	return gen_obj_pack(o);
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
	if (o->packed) {	/* one block */
		free(o);
		return;
	}
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
