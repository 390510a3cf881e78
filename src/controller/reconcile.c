/*
 * reconcile: one generator's reconcile as one state machine (the steps and
 * their order are in reconcile.h). Every step that waits is a callback: a
 * kube request, a fetch, a build pool, or a work item on libuv's pool
 * (verifying, expanding, removing, garbage-collecting). The state of a run
 * lives in its struct rc, created by reconcile_start and freed by rc_finish,
 * which also ends the queue run; nothing else keeps a pointer to it but
 * cx->running (for cancellation).
 *
 * While a run waits on one thing it touches nothing else, so a pool work
 * item may read and write the struct: the loop leaves it alone until the
 * after-work callback.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "controller/ea_obj.h"
#include "controller/gen_obj.h"
#include "controller/metrics.h"
#include "controller/reconcile.h"
#include "controller/run_writes.h"
#include "controller/source_obj.h"
#include "controller/status.h"
#include "engine/external_artifact.h"
#include "generator/generator_validate.h"
#include "generator/path_pattern.h"
#include "kube/watch.h"

#define LOGGER "ArtifactGenerator"
#define GEN_GROUP "source.extensions.fluxcd.io"
#define GEN_VERSION "v1beta1"
#define GEN_RESOURCE "artifactgenerators"
#define EA_RESOURCE "externalartifacts"

struct rc_src {
	const struct gen_source *spec;	/* in r->o->g */
	char *ns;
	char *url, *digest, *revision, *origin;
	struct fetch_req *req;
	const char *dir;		/* while req holds the tree */
};

struct rc {
	TAILQ_ENTRY(rc) link;
	struct rc_ctx *cx;
	struct queue_run *run;
	char ns[64], name[254];
	char *rv;			/* the generator's at the start */
	struct gen_obj *o;		/* a reference */
	struct gen_status st;		/* what the status should say */
	int64_t now;
	bool cancelled;
	int cancel_status;
	struct kube_request *req;
	struct rc_src *src;
	size_t n_src, fetch_pending;
	char sources_digest[DIGEST_STRING_MAX];
	struct observed_source *obs;	/* while a direct observe runs */
	struct gen_artifact *rendered;
	const struct gen_artifact *arts;
	size_t n_arts;
	struct build_source *bs;
	struct artifact_record *recs;
	const char **known;
	struct build_pool *pool;
	size_t step_i;			/* publish / delete index */
	size_t orphan_i;		/* collect index (old inventory) */
	bool new_revision;
	const char *drift;		/* the drift reason, for the log */
	/* pool work */
	uv_work_t work;
	bool work_busy;
	void (*work_fn)(struct rc *);
	void (*after_fn)(struct rc *);
	int work_rc;
	struct err err;
	/* its ExternalArtifact writes and the watch events meanwhile */
	struct run_writes ea_writes;
};

static void rc_main(struct rc *r);
static void rc_publish_next(struct rc *r);
static void rc_delete_next(struct rc *r);
static void rc_collect_next(struct rc *r);
static void after_orphan_dir(struct rc *r);

/* ---- context ---- */

static void
written_free(void *p)
{
	free(p);
}

int
rc_ctx_init(struct rc_ctx *cx)
{
	TAILQ_INIT(&cx->running);
	cx->written = kube_store_new(written_free);
	cx->ea_written = kube_store_new(written_free);
	return cx->written && cx->ea_written ? 0 : -1;
}

void
rc_ctx_free(struct rc_ctx *cx)
{
	kube_store_free(cx->written);
	kube_store_free(cx->ea_written);
	cx->written = cx->ea_written = NULL;
}

bool
rc_ctx_own_write(struct rc_ctx *cx, const char *gen_ns, const char *gen_name,
    const char *ns, const char *name, const char *rv)
{
	const char *w = kube_store_get(cx->ea_written, ns, name);
	struct rc *r;

	if (w != NULL && rv != NULL && strcmp(w, rv) == 0) {
		kube_store_delete(cx->ea_written, ns, name, NULL);
		return true;
	}
	TAILQ_FOREACH(r, &cx->running, link)
		if (strcmp(r->ns, gen_ns) == 0 &&
		    strcmp(r->name, gen_name) == 0) {
			run_writes_seen(&r->ea_writes, ns, name, rv);
			return true;
		}
	return false;
}

/*
 * True when resourceVersion cur is the written one or newer. The API
 * server's are etcd revisions (decimal); any other form counts as reached
 * (a record must never hold a reconcile back for good).
 */
static bool
rc_rv_reached(const char *written, const char *cur)
{
	char *end1, *end2;
	unsigned long long a = strtoull(written, &end1, 10);
	unsigned long long b = strtoull(cur, &end2, 10);

	return *end1 != '\0' || *end2 != '\0' || b >= a ||
	    strcmp(written, cur) == 0;
}

void
rc_ctx_seen(struct kube_store *written, const char *ns, const char *name,
    const char *rv)
{
	const char *w = kube_store_get(written, ns, name);

	if (w != NULL && rv != NULL && rc_rv_reached(w, rv))
		kube_store_delete(written, ns, name, NULL);
}

/* (reconcile.h) */
void
rc_ctx_record_write(struct kube_store *written, const struct kube_cache *cache,
    const char *ns, const char *name, const json_t *obj)
{
	const char *rv = kube_object_resource_version(obj);
	const char *cur = kube_cache_object_rv(cache, ns, name);
	char *d;

	if (rv == NULL)
		return;
	if (cur != NULL && rc_rv_reached(rv, cur)) {
		kube_store_delete(written, ns, name, NULL);
		return;
	}
	if ((d = strdup(rv)) == NULL)
		return;
	if (kube_store_put(written, ns, name, d, NULL) < 0)
		free(d);
}

int
rc_key_split(const char *key, char ns[64], char name[254])
{
	const char *slash = strchr(key, '/');
	size_t nl;

	if (slash == NULL || (nl = (size_t)(slash - key)) == 0 || nl >= 64 ||
	    strlen(slash + 1) == 0 || strlen(slash + 1) >= 254)
		return -1;
	memcpy(ns, key, nl);
	ns[nl] = '\0';
	strcpy(name, slash + 1);
	return 0;
}

/* ---- the end of a run ---- */

static void
rc_log(struct rc *r, enum log_level lvl, const char *error, const char *msg)
{
	json_t *f = json_pack("{s:s, s:s, s:s}", "ArtifactGenerator",
	    r->name, "namespace", r->ns, "name", r->name);

	log_fields(lvl, LOGGER, error, msg, f);
	json_decref(f);
}

static void
rc_free_build(struct rc *r)
{
	for (size_t i = 0; r->recs && i < r->n_arts; i++)
		artifact_record_free(&r->recs[i]);
	free(r->recs);
	r->recs = NULL;
	for (size_t i = 0; r->rendered && i < r->n_arts; i++)
		gen_artifact_free(&r->rendered[i]);
	free(r->rendered);
	r->rendered = NULL;
	free(r->known);
	r->known = NULL;
	free(r->bs);
	r->bs = NULL;
}

static void
rc_free_sources(struct rc *r)
{
	for (size_t i = 0; i < r->n_src; i++) {
		struct rc_src *s = &r->src[i];

		if (s->req != NULL)
			fetch_req_cancel(s->req);	/* or release */
		free(s->ns);
		free(s->url);
		free(s->digest);
		free(s->revision);
		free(s->origin);
	}
	free(r->src);
	r->src = NULL;
	r->n_src = 0;
	free(r->obs);
	r->obs = NULL;
}

/* An ExternalArtifact event during a successful run that none of its own
 * writes explains: someone else changed it, maybe after the run compared
 * it, so the generator runs again (at once, after this run). */
static void
rc_requeue_if_changed(struct rc *r, enum queue_result res)
{
	char key[QUEUE_KEY_MAX + 1];
	struct err e;

	if (res != QUEUE_SUCCESS || r->cancelled || r->cx->stopping ||
	    !run_writes_foreign(&r->ea_writes))
		return;
	rc_log(r, LOG_INFO, NULL, "An ExternalArtifact was changed by someone "
	    "else during the reconciliation; reconciling again");
	snprintf(key, sizeof(key), "%s/%s", r->ns, r->name);
	if (queue_add(r->cx->queue, key, &e) < 0)
		log_msg(LOG_ERROR, LOGGER, e.msg, "cannot queue", NULL);
}

static void
rc_finish(struct rc *r, enum queue_result res, int64_t after)
{
	struct rc_ctx *cx = r->cx;
	struct err e;

	rc_requeue_if_changed(r, res);
	run_writes_free(&r->ea_writes);
	TAILQ_REMOVE(&cx->running, r, link);
	cx->runs++;
	rc_free_build(r);
	rc_free_sources(r);
	gen_status_free(&r->st);
	gen_obj_unref(r->o);
	free(r->rv);
	if (queue_done(cx->queue, r->run, res, after, &e) < 0)
		log_msg(LOG_ERROR, LOGGER, e.msg, "queue_done failed", NULL);
	free(r);
}

/* A cancelled run ends here: a timeout backs off, a shutdown just stops. */
static void
rc_finish_cancelled(struct rc *r)
{
	rc_finish(r, r->cancel_status == UV_ETIMEDOUT ? QUEUE_FAILURE :
	    QUEUE_SUCCESS, 0);
}

static void
rc_event(struct rc *r, const char *type, const char *reason, const char *msg)
{
	struct events_object obj = {
		.api_version = GEN_GROUP "/" GEN_VERSION,
		.kind = GENERATOR_KIND, .namespace = r->ns, .name = r->name,
		.uid = r->o->g.uid, .resource_version = r->rv,
	};

	if (r->cx->event != NULL)
		r->cx->event(r->cx->event_data, &obj, type, reason, msg);
}

/* The generator changed (generation, deletion) or went since the start. */
static bool
rc_stale(const struct rc *r)
{
	const struct gen_obj *cur = kube_cache_get(r->cx->gens, r->ns,
	    r->name);

	return cur == NULL || cur->generation != r->o->generation ||
	    cur->deleting != r->o->deleting;
}

/* ---- pool work ---- */

static void
rc_work_cb(uv_work_t *w)
{
	struct rc *r = w->data;

	r->work_fn(r);
}

static void
rc_after_cb(uv_work_t *w, int status)
{
	struct rc *r = w->data;

	r->work_busy = false;
	if (status != 0 || r->cancelled)
		return rc_finish_cancelled(r);
	r->after_fn(r);
}

static void
rc_queue_work(struct rc *r, void (*fn)(struct rc *), void (*after)(struct rc *))
{
	int rc;

	r->work_fn = fn;
	r->after_fn = after;
	r->work.data = r;
	r->work_busy = true;
	if ((rc = uv_queue_work(r->cx->loop, &r->work, rc_work_cb,
	    rc_after_cb)) != 0) {
		r->work_busy = false;
		rc_log(r, LOG_ERROR, uv_strerror(rc), "cannot queue pool work");
		rc_finish(r, QUEUE_FAILURE, 0);
	}
}

/* ---- kube helpers ---- */

static struct kube_resource
gen_res(const struct rc *r, const char *sub)
{
	return (struct kube_resource){ .group = GEN_GROUP,
	    .version = GEN_VERSION, .resource = GEN_RESOURCE,
	    .namespaced = true, .namespace = r->ns, .name = r->name,
	    .subresource = sub };
}

static struct kube_resource
ea_res(const char *ns, const char *name, const char *sub)
{
	return (struct kube_resource){ .group = SOURCE_GROUP,
	    .version = SOURCE_VERSION, .resource = EA_RESOURCE,
	    .namespaced = true, .namespace = ns, .name = name,
	    .subresource = sub };
}

/* Counts our write of the generator's status (reconcile.h: written). */
static void
rc_written(struct rc *r, const json_t *obj)
{
	r->cx->writes++;
	rc_ctx_record_write(r->cx->written, r->cx->gens, r->ns, r->name, obj);
}

/* True while the store has not seen our last write to this generator. */
static bool
rc_store_lags(struct rc *r)
{
	const char *cur = kube_cache_object_rv(r->cx->gens, r->ns, r->name);

	if (cur == NULL)
		return false;
	rc_ctx_seen(r->cx->written, r->ns, r->name, cur);
	return kube_store_get(r->cx->written, r->ns, r->name) != NULL;
}

/* ---- status ---- */

static void
status_done(void *data, int status, json_t *obj, const struct kube_status *st,
    const struct err *e)
{
	struct rc *r = data;
	enum queue_result res = (enum queue_result)r->work_rc;

	(void)st;
	r->req = NULL;
	if (r->cancelled)
		return rc_finish_cancelled(r);
	if (status != KUBE_OK) {
		rc_log(r, LOG_ERROR, e->msg, "failed to update status");
		return rc_finish(r, QUEUE_FAILURE, 0);
	}
	rc_written(r, obj);
	rc_finish(r, res, res == QUEUE_REQUEUE_AFTER ? r->step_i == 0 ?
	    queue_jitter(r->cx->queue, r->cx->interval) :
	    r->cx->requeue_dependency : 0);
}

/*
 * Ends the run: summarizes the status, writes it when it differs from
 * what the object says (and the run is not stale), then finishes with res.
 * dep: the requeue is --requeue-dependency, else the jittered interval.
 */
static void
rc_status_end(struct rc *r, enum queue_result res, bool dep)
{
	struct kube_write_opts wo = { .field_manager = r->cx->controller_name };
	struct kube_resource kr = gen_res(r, "status");
	json_t *body;
	struct err e;
	int64_t after;

	if (r->o->requested_at != NULL) {
		free(r->st.last_handled);
		r->st.last_handled = strdup(r->o->requested_at);
	}
	status_summarize(&r->st);
	after = dep ? r->cx->requeue_dependency :
	    queue_jitter(r->cx->queue, r->cx->interval);
	if (res != QUEUE_REQUEUE_AFTER)
		after = 0;
	if (rc_stale(r))
		return rc_finish(r, QUEUE_SUCCESS, 0);
	if (status_equal(&r->st, &r->o->st))
		return rc_finish(r, res, after);
	body = json_pack("{s:o}", "status", status_json(&r->st));
	r->work_rc = (int)res;
	r->step_i = dep ? 1 : 0;
	if (body == NULL || kube_patch_merge(r->cx->kube, &kr, body, &wo,
	    status_done, r, &r->req, &e) < 0) {
		rc_log(r, LOG_ERROR, body ? e.msg : "out of memory",
		    "failed to update status");
		json_decref(body);
		return rc_finish(r, QUEUE_FAILURE, 0);
	}
	json_decref(body);
}

/* A failure: Ready=False (and Stalled when terminal), a Warning event. */
static void
rc_fail(struct rc *r, const char *reason, const char *msg, bool terminal,
    enum queue_result res, bool dep)
{
	int64_t gen = r->o->generation;

	status_cond_set(&r->st, GEN_COND_READY, "False", reason, msg, gen,
	    r->now);
	if (terminal)
		status_mark_stalled(&r->st, reason, msg, gen, r->now);
	rc_event(r, EVENT_TYPE_WARNING, reason, msg);
	rc_log(r, LOG_ERROR, msg, terminal ? "reconciliation stalled" :
	    "reconciliation failed");
	rc_status_end(r, res, dep);
}

/* ---- deletion ---- */

static void
finalizer_patch_done(void *data, int status, json_t *obj,
    const struct kube_status *st, const struct err *e)
{
	struct rc *r = data;
	bool adding = !r->o->deleting;

	(void)st;
	r->req = NULL;
	if (r->cancelled)
		return rc_finish_cancelled(r);
	if (status != KUBE_OK) {
		rc_log(r, LOG_ERROR, e->msg, adding ? "failed to add finalizer" :
		    "failed to remove finalizer");
		return rc_finish(r, QUEUE_FAILURE, 0);
	}
	if (!adding) {
		rc_log(r, LOG_INFO, NULL, "Removed finalizer");
		kube_store_delete(r->cx->written, r->ns, r->name, NULL);
		r->cx->writes++;
		return rc_finish(r, QUEUE_SUCCESS, 0);
	}
	rc_written(r, obj);
	free(r->rv);
	r->rv = strdup(json_string_value(json_object_get(json_object_get(obj,
	    "metadata"), "resourceVersion")) ?: "");
	rc_main(r);
}

/* Merge patch of metadata.finalizers with or without ours, guarded by the
 * resourceVersion read at the start (a conflict retries). */
static void
rc_patch_finalizers(struct rc *r, bool add)
{
	struct kube_write_opts wo = { .field_manager = r->cx->controller_name };
	struct kube_resource kr = gen_res(r, NULL);
	json_t *fin = json_array(), *body;
	struct err e;

	for (size_t i = 0; i < r->o->n_finalizers; i++)
		if (strcmp(r->o->finalizers[i], GEN_FINALIZER) != 0)
			json_array_append_new(fin,
			    json_string(r->o->finalizers[i]));
	if (add) {
		rc_log(r, LOG_INFO, NULL, "Adding finalizer");
		json_array_append_new(fin, json_string(GEN_FINALIZER));
	}
	body = json_pack("{s:{s:o, s:s}}", "metadata", "finalizers", fin,
	    "resourceVersion", r->rv ? r->rv : "");
	if (body == NULL || kube_patch_merge(r->cx->kube, &kr, body, &wo,
	    finalizer_patch_done, r, &r->req, &e) < 0) {
		rc_log(r, LOG_ERROR, body ? e.msg : "out of memory",
		    "failed to patch finalizers");
		json_decref(body);
		return rc_finish(r, QUEUE_FAILURE, 0);
	}
	json_decref(body);
}

static void
ea_delete_done(void *data, int status, json_t *obj,
    const struct kube_status *st, const struct err *e)
{
	struct rc *r = data;
	const struct gen_inv *inv = &r->o->st.inv[r->step_i];
	char msg[600];

	(void)obj;
	r->req = NULL;
	if (r->cancelled)
		return rc_finish_cancelled(r);
	if (status != KUBE_OK && st->code != 404) {
		rc_log(r, LOG_ERROR, e->msg, "Failed to delete ExternalArtifact");
	} else {
		snprintf(msg, sizeof(msg), "ExternalArtifact/%s/%s deleted from "
		    "cluster", inv->namespace, inv->name);
		rc_log(r, LOG_INFO, NULL, msg);
		if (status == KUBE_OK)
			r->cx->writes++;
		run_writes_ours(&r->ea_writes, inv->namespace, inv->name, NULL);
	}
	r->step_i++;
	rc_delete_next(r);
}

/* Pool: removes the storage directory of inventory entry step_i. */
static void
work_remove_dir(struct rc *r)
{
	const struct gen_inv *inv = &r->o->st.inv[r->step_i];
	struct storage_ref ref = { EA_KIND, inv->namespace, inv->name };

	r->work_rc = storage_remove_all(r->cx->storage, &ref, &r->err);
}

static void
after_remove_dir(struct rc *r)
{
	const struct gen_inv *inv = &r->o->st.inv[r->step_i];
	struct kube_resource kr = ea_res(inv->namespace, inv->name, NULL);
	struct err e;

	if (r->work_rc < 0)
		rc_log(r, LOG_ERROR, r->err.msg,
		    "Failed to delete artifact from storage");
	if (kube_delete(r->cx->kube, &kr, NULL, ea_delete_done, r, &r->req,
	    &e) < 0) {
		rc_log(r, LOG_ERROR, e.msg, "Failed to delete ExternalArtifact");
		r->step_i++;
		rc_delete_next(r);
	}
}

/* Deletion: each inventory entry's storage, then its object; then the
 * finalizer goes. */
static void
rc_delete_next(struct rc *r)
{
	if (r->step_i < r->o->st.n_inv)
		return rc_queue_work(r, work_remove_dir, after_remove_dir);
	rc_patch_finalizers(r, false);
}

/* ---- observe ---- */

static const struct source_obj *
rc_source_lookup(struct rc *r, const struct gen_source *s, const char *ns,
    char *msg, size_t len)
{
	int k = source_kind_find(s->kind);
	const struct source_obj *so;

	if (k < 0 || r->cx->sources[k] == NULL) {
		snprintf(msg, len, "source `%s` kind '%s' not supported",
		    s->name, s->kind);
		return NULL;
	}
	so = kube_cache_get(r->cx->sources[k], ns, s->name);
	if (so == NULL)
		snprintf(msg, len, "%s.%s \"%s\" not found",
		    source_kinds[k].resource, SOURCE_GROUP, s->name);
	else if (so->url == NULL)
		snprintf(msg, len, "source '%s/%s/%s' is not ready", s->kind,
		    ns, s->name);
	return so && so->url ? so : NULL;
}

static char *
dup_opt(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Allocates r->src and the observed list for the generator's sources. */
static int
rc_observe_alloc(struct rc *r, struct observed_source **obs, char *msg,
    size_t len)
{
	size_t n = r->o->g.n_sources;

	if ((r->src = calloc(n ? n : 1, sizeof(*r->src))) == NULL ||
	    (*obs = calloc(n ? n : 1, sizeof(**obs))) == NULL) {
		snprintf(msg, len, "out of memory");
		return -1;
	}
	return 0;
}

/* Copies what source i's artifact says (so) into r->src[i] and obs[i]. */
static int
rc_observe_one(struct rc *r, size_t i, const struct source_obj *so,
    struct observed_source *obs, char *msg, size_t len)
{
	const struct gen_source *s = &r->o->g.sources[i];
	const char *ns = s->namespace ? s->namespace : r->o->g.namespace;
	struct rc_src *d = &r->src[i];

	d->spec = s;
	r->n_src = i + 1;
	d->ns = strdup(ns);
	d->url = strdup(so->url);
	d->digest = strdup(so->digest ? so->digest : "");
	d->revision = dup_opt(so->revision ? so->revision : "");
	d->origin = dup_opt(so->origin_revision);
	if (!d->ns || !d->url || !d->digest || !d->revision ||
	    (so->origin_revision && !d->origin)) {
		snprintf(msg, len, "out of memory");
		return -1;
	}
	obs[i] = (struct observed_source){ s->alias, d->digest, d->revision,
	    d->url };
	return 0;
}

/* The sources digest of obs (freed here). */
static int
rc_observe_end(struct rc *r, struct observed_source *obs, char *msg,
    size_t len)
{
	int rv = status_sources_digest(obs, r->o->g.n_sources,
	    r->sources_digest);

	free(obs);
	if (rv < 0)
		snprintf(msg, len, "out of memory");
	return rv < 0 ? -1 : 0;
}

/* Copies what every source's artifact in the informer stores says into
 * r->src; msg on failure. */
static int
rc_observe(struct rc *r, char *msg, size_t len)
{
	const struct generator *g = &r->o->g;
	struct observed_source *obs = NULL;

	if (rc_observe_alloc(r, &obs, msg, len) < 0)
		goto fail;
	for (size_t i = 0; i < g->n_sources; i++) {
		const struct gen_source *s = &g->sources[i];
		const char *ns = s->namespace ? s->namespace : g->namespace;
		const struct source_obj *so = rc_source_lookup(r, s, ns, msg,
		    len);

		if (so == NULL || rc_observe_one(r, i, so, obs, msg, len) < 0)
			goto fail;
	}
	return rc_observe_end(r, obs, msg, len);
fail:
	free(obs);
	return -1;
}

/*
 * --feature-gates=DirectSourceFetch=true: every source read with a GET at
 * reconcile time, one after another (source-watcher's APIReader), instead
 * of from the informer stores; the informers still enqueue on changes. The
 * same projection and the same failures as rc_observe.
 */
#define RC_SRC_MSG_MAX (ERR_MSG_MAX + 512)	/* + kind, namespace, name */

static void rc_observe_direct_next(struct rc *r);
static void rc_observed(struct rc *r);
static void rc_observe_failed(struct rc *r, const char *msg);

static void
source_get_done(void *data, int status, json_t *obj,
    const struct kube_status *st, const struct err *e)
{
	struct rc *r = data;
	const struct gen_source *s = &r->o->g.sources[r->n_src];
	const char *ns = s->namespace ? s->namespace : r->o->g.namespace;
	struct source_obj so;
	char msg[RC_SRC_MSG_MAX];

	r->req = NULL;
	if (r->cancelled)
		return rc_finish_cancelled(r);
	if (status != KUBE_OK && st->code == 404 && st->message[0] != '\0')
		return rc_observe_failed(r, st->message);
	if (status != KUBE_OK) {
		snprintf(msg, sizeof(msg), "unable to get source '%s/%s': %s",
		    ns, s->name, e->msg);
		return rc_observe_failed(r, msg);
	}
	source_obj_view(obj, &so);
	if (so.url == NULL) {
		snprintf(msg, sizeof(msg), "source '%s/%s/%s' is not ready",
		    s->kind, ns, s->name);
		return rc_observe_failed(r, msg);
	}
	if (rc_observe_one(r, r->n_src, &so, r->obs, msg, sizeof(msg)) < 0)
		return rc_observe_failed(r, msg);
	rc_observe_direct_next(r);
}

/* GETs source r->n_src, or ends the observe when every one is in. */
static void
rc_observe_direct_next(struct rc *r)
{
	const struct generator *g = &r->o->g;
	const struct gen_source *s;
	struct kube_resource kr;
	char msg[RC_SRC_MSG_MAX];
	struct err e;
	int k;

	if (r->n_src == g->n_sources) {
		if (rc_observe_end(r, r->obs, msg, sizeof(msg)) < 0) {
			r->obs = NULL;
			return rc_observe_failed(r, msg);
		}
		r->obs = NULL;
		return rc_observed(r);
	}
	s = &g->sources[r->n_src];
	if ((k = source_kind_find(s->kind)) < 0) {
		snprintf(msg, sizeof(msg), "source `%s` kind '%s' not "
		    "supported", s->name, s->kind);
		return rc_observe_failed(r, msg);
	}
	kr = (struct kube_resource){ .group = SOURCE_GROUP,
	    .version = SOURCE_VERSION, .resource = source_kinds[k].resource,
	    .namespaced = true, .name = s->name,
	    .namespace = s->namespace ? s->namespace : g->namespace };
	if (kube_get(r->cx->kube, &kr, source_get_done, r, &r->req, &e) < 0) {
		snprintf(msg, sizeof(msg), "unable to get source '%s/%s': %s",
		    kr.namespace, s->name, e.msg);
		return rc_observe_failed(r, msg);
	}
}

static void
rc_observe_direct(struct rc *r)
{
	char msg[RC_SRC_MSG_MAX];

	if (rc_observe_alloc(r, &r->obs, msg, sizeof(msg)) < 0)
		return rc_observe_failed(r, msg);
	rc_observe_direct_next(r);
}

/* ---- drift ---- */

static const struct rc_src *
rc_src_by_alias(const struct rc *r, const char *ref)
{
	if (ref == NULL || ref[0] != '@')
		return NULL;
	for (size_t i = 0; i < r->n_src; i++)
		if (strcmp(r->src[i].spec->alias, ref + 1) == 0)
			return &r->src[i];
	return NULL;
}

static bool
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* The published object matches inventory entry inv: uid, digest and, for
 * a spec artifact, the revision and origin revision it should carry. */
static bool
rc_ea_matches(const struct rc *r, const struct gen_inv *inv)
{
	const struct ea_obj *ea = kube_cache_get(r->cx->eas, inv->namespace,
	    inv->name);
	const struct gen_artifact *a = NULL;
	const struct rc_src *s;
	char rev[DIGEST_STRING_MAX + 8];

	if (ea == NULL || !ea->src.ready || !str_eq(ea->gen_uid, r->o->g.uid) ||
	    !str_eq(ea->src.digest, inv->digest))
		return false;
	for (size_t i = 0; r->o->g.path_pattern == NULL &&
	    i < r->o->g.n_artifacts; i++)
		if (strcmp(r->o->g.artifacts[i].name, inv->name) == 0)
			a = &r->o->g.artifacts[i];
	if (a == NULL)
		return true;
	snprintf(rev, sizeof(rev), "latest@%s", inv->digest);
	s = rc_src_by_alias(r, a->revision);
	if (!str_eq(ea->src.revision, s ? s->revision : rev))
		return false;
	s = rc_src_by_alias(r, a->origin_revision);
	return s == NULL || str_eq(ea->src.origin_revision,
	    s->origin ? s->origin : s->revision);
}

/* The checks that need no disk, in source-watcher's order. */
static const char *
rc_drift_cheap(const struct rc *r)
{
	const struct gen_status *st = &r->o->st;
	const struct generator *g = &r->o->g;

	if (!status_cond_is(st, GEN_COND_READY, "True"))
		return "NotReady";
	if (st->cond[GEN_COND_READY].observed_generation != r->o->generation)
		return "GenerationChanged";
	if (!str_eq(st->sources_digest, r->sources_digest))
		return "SourcesChanged";
	if (g->path_pattern == NULL && st->n_inv != g->n_artifacts)
		return "ArtifactsChanged";
	return NULL;
}

/* Pool: every inventory file exists and verifies. A corrupt one goes. */
static void
work_verify(struct rc *r)
{
	r->work_rc = 0;
	for (size_t i = 0; i < r->o->st.n_inv; i++) {
		const struct gen_inv *inv = &r->o->st.inv[i];
		struct storage_ref ref = { EA_KIND, inv->namespace, inv->name };

		if (!storage_exists(r->cx->storage, &ref, inv->filename)) {
			r->work_rc = 1;
			return;
		}
		if (storage_verify(r->cx->storage, &ref, inv->filename,
		    inv->digest, &r->err) < 0) {
			storage_remove(r->cx->storage, &ref, inv->filename,
			    &r->err);
			r->work_rc = 2;
			return;
		}
	}
}

static void rc_fetch(struct rc *r);

static void
after_verify(struct rc *r)
{
	const struct generator *g = &r->o->g;
	char key[KUBE_INDEX_KEY_MAX], msg[128];

	if (r->work_rc == 1)
		r->drift = "ArtifactMissing";
	else if (r->work_rc == 2)
		r->drift = "ArtifactCorrupted";
	if (r->drift == NULL) {
		snprintf(key, sizeof(key), "uid/%s", g->uid ? g->uid : "");
		if (kube_cache_index_foreach(r->cx->eas, key, NULL, NULL) !=
		    r->o->st.n_inv)
			r->drift = "ExternalArtifactsChanged";
		for (size_t i = 0; !r->drift && i < r->o->st.n_inv; i++)
			if (!rc_ea_matches(r, &r->o->st.inv[i]))
				r->drift = "ExternalArtifactsChanged";
	}
	if (r->drift != NULL)
		return rc_fetch(r);
	r->cx->no_drift++;
	snprintf(msg, sizeof(msg), "No drift detected, %zu artifact(s) up to "
	    "date", r->o->st.n_inv);
	rc_log(r, LOG_INFO, NULL, msg);
	rc_status_end(r, QUEUE_REQUEUE_AFTER, false);
}

/* ---- fetch ---- */

static void rc_build(struct rc *r);

static void
fetch_done(struct fetch_req *req, int status, const char *dir,
    const struct err *e, void *data)
{
	struct rc *r = data;
	char msg[ERR_MSG_MAX + 32];

	for (size_t i = 0; i < r->n_src; i++)
		if (r->src[i].req == req) {
			r->src[i].dir = status == 0 ? dir : NULL;
			if (status != 0)
				r->src[i].req = NULL;	/* gone */
		}
	if (status != 0 && r->err.msg[0] == '\0')
		r->err = *e;
	if (--r->fetch_pending > 0)
		return;
	if (r->cancelled)
		return rc_finish_cancelled(r);
	if (r->err.msg[0] != '\0') {
		snprintf(msg, sizeof(msg), "fetch sources failed: %s",
		    r->err.msg);
		return rc_fail(r, REASON_SOURCE_FETCH_FAILED, msg, false,
		    QUEUE_REQUEUE_AFTER, true);
	}
	rc_build(r);
}

static void
rc_fetch(struct rc *r)
{
	char msg[ERR_MSG_MAX + 32], name[600];
	struct err e;

	rc_log(r, LOG_INFO, NULL, MSG_IN_PROGRESS);
	status_mark_reconciling(&r->st, REASON_PROGRESSING, MSG_IN_PROGRESS,
	    r->o->generation, r->now);
	status_cond_set(&r->st, GEN_COND_READY, "Unknown", REASON_PROGRESSING,
	    MSG_IN_PROGRESS, r->o->generation, r->now);
	r->err.msg[0] = '\0';
	r->fetch_pending = 1;	/* held until every request started */
	for (size_t i = 0; i < r->n_src; i++) {
		struct rc_src *s = &r->src[i];
		struct fetch_source fs = { name, s->url, s->digest };

		snprintf(name, sizeof(name), "%s/%s/%s", s->spec->kind, s->ns,
		    s->spec->name);
		r->fetch_pending++;
		if (fetch_req_start(r->cx->fetch, &fs, fetch_done, r, &s->req,
		    &e) < 0) {
			s->req = NULL;
			r->fetch_pending--;
			if (r->err.msg[0] == '\0')
				r->err = e;
		}
	}
	if (--r->fetch_pending > 0)
		return;
	snprintf(msg, sizeof(msg), "fetch sources failed: %s", r->err.msg);
	if (r->err.msg[0] != '\0')
		return rc_fail(r, REASON_SOURCE_FETCH_FAILED, msg, false,
		    QUEUE_REQUEUE_AFTER, true);
	rc_build(r);
}

/* ---- build ---- */

static const struct rc_src *
rc_pattern_src(const struct rc *r)
{
	struct path_pattern pp;
	const struct rc_src *s = NULL;
	struct err e;

	if (path_pattern_parse(r->o->g.path_pattern, &pp, &e) < 0)
		return NULL;
	for (size_t i = 0; i < r->n_src; i++)
		if (strcmp(r->src[i].spec->alias, pp.alias) == 0)
			s = &r->src[i];
	path_pattern_free(&pp);
	return s;
}

/* Pool: the pathPattern's artifacts from its source's tree. */
static void
work_expand(struct rc *r)
{
	const struct rc_src *s = rc_pattern_src(r);
	size_t n = 0;

	r->work_rc = -1;
	if (s == NULL) {
		err_setc(&r->err, ERR_TERMINAL, "spec.pathPattern '%s': its "
		    "alias is not a source", r->o->g.path_pattern);
		return;
	}
	r->work_rc = path_pattern_expand(&r->o->g, s->dir, &r->rendered, &n,
	    &r->err);
	r->n_arts = n;
	r->arts = r->rendered;
}

static void
build_done(struct build_pool *p, int status, const struct err *e, void *data)
{
	struct rc *r = data;
	char msg[ERR_MSG_MAX + 32];

	(void)p;
	r->pool = NULL;
	if (r->cancelled) {
		free(r->recs);
		r->recs = NULL;
		return rc_finish_cancelled(r);
	}
	if (status != 0) {
		free(r->recs);
		r->recs = NULL;
		snprintf(msg, sizeof(msg), "%s", e->msg);
		return rc_fail(r, REASON_BUILD_FAILED, msg,
		    e->cls == ERR_TERMINAL, QUEUE_FAILURE, false);
	}
	r->cx->built += r->n_arts;
	ctl_metrics_built(r->cx->metrics, r->recs, r->n_arts);
	r->step_i = 0;
	rc_publish_next(r);
}

/* The digest last published for an artifact name, from the inventory. */
static const char *
rc_known_digest(const struct rc *r, const char *name)
{
	for (size_t i = 0; i < r->o->st.n_inv; i++)
		if (strcmp(r->o->st.inv[i].name, name) == 0)
			return r->o->st.inv[i].digest;
	return NULL;
}

static void
after_expand(struct rc *r)
{
	struct build_opts o = { .algo = r->cx->algo };
	struct build_pool_args a;
	char msg[ERR_MSG_MAX + 32];
	struct err e;

	if (r->work_rc < 0) {
		snprintf(msg, sizeof(msg), "%s", r->err.msg);
		return rc_fail(r, REASON_BUILD_FAILED, msg,
		    r->err.cls == ERR_TERMINAL, QUEUE_FAILURE, false);
	}
	if (r->n_arts == 0)
		return rc_publish_next(r);
	r->bs = calloc(r->n_src, sizeof(*r->bs));
	r->recs = calloc(r->n_arts, sizeof(*r->recs));
	r->known = calloc(r->n_arts, sizeof(*r->known));
	if (r->bs == NULL || r->recs == NULL || r->known == NULL)
		return rc_fail(r, REASON_BUILD_FAILED, "out of memory", false,
		    QUEUE_FAILURE, false);
	for (size_t i = 0; i < r->n_src; i++)
		r->bs[i] = (struct build_source){ r->src[i].spec->alias,
		    r->src[i].dir, r->src[i].revision, r->src[i].origin };
	for (size_t i = 0; i < r->n_arts; i++)
		r->known[i] = rc_known_digest(r, r->arts[i].name);
	a = (struct build_pool_args){ .g = &r->o->g, .arts = r->arts,
	    .n = r->n_arts, .sources = r->bs, .n_sources = r->n_src,
	    .storage = r->cx->storage, .opts = &o, .jobs = r->cx->jobs,
	    .recs = r->recs, .known_digests = r->known };
	if (build_pool_start(r->cx->slots, &a, build_done, r, &r->pool,
	    &e) < 0) {
		free(r->recs);
		r->recs = NULL;
		snprintf(msg, sizeof(msg), "%s", e.msg);
		rc_fail(r, REASON_BUILD_FAILED, msg, false, QUEUE_FAILURE,
		    false);
	}
}

static void
rc_build(struct rc *r)
{
	if (r->o->g.path_pattern != NULL)
		return rc_queue_work(r, work_expand, after_expand);
	r->arts = r->o->g.artifacts;
	r->n_arts = r->o->g.n_artifacts;
	r->work_rc = 0;
	after_expand(r);
}

/* ---- publish ---- */

static const char *
rec_origin(const struct artifact_record *rec)
{
	for (size_t i = 0; i < rec->metadata.len; i++)
		if (strcmp(rec->metadata.items[i].key,
		    METADATA_ORIGIN_REVISION) == 0)
			return rec->metadata.items[i].value;
	return NULL;
}

/* What the published object lacks: 1 the object, 2 its status. */
static int
rc_publish_needs(const struct rc *r, const struct artifact_record *rec,
    const json_t *desired)
{
	const struct ea_obj *ea = kube_cache_get(r->cx->eas, rec->namespace,
	    rec->name);
	int need = 0;

	if (ea == NULL || !str_eq(ea->gen_uid, r->o->g.uid) ||
	    !str_eq(ea->ref_name, r->o->g.name) ||
	    !str_eq(ea->ref_namespace, r->o->g.namespace) ||
	    ea->meta_hash != ea_meta_hash(json_object_get(desired,
	    "metadata")))
		need |= 1;
	if (ea == NULL || !ea->src.ready || !str_eq(ea->src.digest, rec->digest) ||
	    !str_eq(ea->src.revision, rec->revision) ||
	    !str_eq(ea->src.url, rec->url) ||
	    !str_eq(ea->src.origin_revision, rec_origin(rec)))
		need |= 2;
	return need;
}

static void publish_status(struct rc *r, const struct artifact_record *rec);

static void
publish_done(void *data, int status, json_t *obj, const struct kube_status *st,
    const struct err *e)
{
	struct rc *r = data;
	const struct artifact_record *rec = &r->recs[r->step_i];
	char msg[ERR_MSG_MAX + 300];
	bool status_phase = r->work_rc == 2;

	(void)st;
	r->req = NULL;
	if (r->cancelled)
		return rc_finish_cancelled(r);
	if (status != KUBE_OK) {
		snprintf(msg, sizeof(msg), "%s reconcile failed: %s", rec->name,
		    e->msg);
		return rc_fail(r, REASON_RECONCILIATION_FAILED, msg, false,
		    QUEUE_FAILURE, false);
	}
	r->cx->writes++;
	rc_ctx_record_write(r->cx->ea_written, r->cx->eas, rec->namespace,
	    rec->name, obj);
	run_writes_ours(&r->ea_writes, rec->namespace, rec->name,
	    kube_object_resource_version(obj));
	if (!status_phase && (r->work_rc & 4))
		return publish_status(r, rec);
	snprintf(msg, sizeof(msg), "ExternalArtifact/%s/%s reconciled with "
	    "revision %s", rec->namespace, rec->name, rec->revision);
	rc_log(r, LOG_INFO, NULL, msg);
	r->step_i++;
	rc_publish_next(r);
}

static void
publish_status(struct rc *r, const struct artifact_record *rec)
{
	struct kube_write_opts wo = { .field_manager = r->cx->controller_name,
	    .force = true };
	struct kube_resource kr = ea_res(rec->namespace, rec->name, "status");
	json_t *ea = external_artifact_json(&r->o->g, rec,
	    r->cx->controller_name, r->o->g.uid, r->now), *body;
	struct err e;

	body = ea ? json_pack("{s:s, s:s, s:{s:s, s:s}, s:O}", "apiVersion",
	    EA_API_VERSION, "kind", EA_KIND, "metadata", "name", rec->name,
	    "namespace", rec->namespace, "status",
	    json_object_get(ea, "status")) : NULL;
	json_decref(ea);
	r->work_rc = 2;
	if (body == NULL || kube_apply(r->cx->kube, &kr, body, &wo,
	    publish_done, r, &r->req, &e) < 0) {
		json_decref(body);
		return rc_fail(r, REASON_RECONCILIATION_FAILED,
		    body ? e.msg : "out of memory", false, QUEUE_FAILURE, false);
	}
	json_decref(body);
}

/* Publishes recs[step_i] (object, then status; each only when needed),
 * never before build_pool stored and verified its file. */
static void
rc_publish_one(struct rc *r)
{
	const struct artifact_record *rec = &r->recs[r->step_i];
	struct kube_write_opts wo = { .field_manager = r->cx->controller_name,
	    .force = true };
	struct kube_resource kr = ea_res(rec->namespace, rec->name, NULL);
	json_t *ea = external_artifact_json(&r->o->g, rec,
	    r->cx->controller_name, r->o->g.uid, r->now);
	const char *old = rc_known_digest(r, rec->name);
	struct err e;
	int need;

	if (ea == NULL)
		return rc_fail(r, REASON_RECONCILIATION_FAILED, "out of memory",
		    false, QUEUE_FAILURE, false);
	if (old == NULL || strcmp(old, rec->digest) != 0)
		r->new_revision = true;
	need = rc_publish_needs(r, rec, ea);
	json_object_del(ea, "status");
	if (need == 0) {
		json_decref(ea);
		r->step_i++;
		return rc_publish_next(r);
	}
	if (!(need & 1)) {
		json_decref(ea);
		return publish_status(r, rec);
	}
	r->work_rc = 1 | ((need & 2) ? 4 : 0);
	if (kube_apply(r->cx->kube, &kr, ea, &wo, publish_done, r, &r->req,
	    &e) < 0) {
		json_decref(ea);
		return rc_fail(r, REASON_RECONCILIATION_FAILED, e.msg, false,
		    QUEUE_FAILURE, false);
	}
	json_decref(ea);
}

/* ---- collect and status ---- */

static bool
rc_produced(const struct rc *r, const struct gen_inv *inv)
{
	for (size_t i = 0; i < r->n_arts; i++)
		if (strcmp(r->recs[i].name, inv->name) == 0 &&
		    strcmp(r->recs[i].namespace, inv->namespace) == 0)
			return true;
	return false;
}

/* Pool: retention GC of every artifact directory produced now. */
static void
work_gc(struct rc *r)
{
	struct storage_gc_opts go = {
		.ttl_seconds = r->cx->retention_ttl / 1000000000LL,
		.records = r->cx->retention_records,
	};
	struct err e;

	for (size_t i = 0; i < r->n_arts; i++) {
		const struct artifact_record *rec = &r->recs[i];
		struct storage_ref ref = { EA_KIND, rec->namespace, rec->name };
		int deleted = 0;

		go.keep = rec->filename;
		if (storage_gc(r->cx->storage, &ref, &go, &deleted, &e) < 0)
			log_msg(LOG_ERROR, LOGGER, e.msg,
			    "failed to garbage collect artifacts", NULL);
	}
}

static void
after_gc(struct rc *r)
{
	struct gen_status *st = &r->st;
	char msg[128];

	for (size_t i = 0; i < st->n_inv; i++) {
		free(st->inv[i].name);
		free(st->inv[i].namespace);
		free(st->inv[i].digest);
		free(st->inv[i].filename);
	}
	free(st->inv);
	st->n_inv = 0;
	st->inv = r->n_arts ? calloc(r->n_arts, sizeof(*st->inv)) : NULL;
	for (size_t i = 0; st->inv && i < r->n_arts; i++, st->n_inv++) {
		st->inv[i].name = strdup(r->recs[i].name);
		st->inv[i].namespace = strdup(r->recs[i].namespace);
		st->inv[i].digest = strdup(r->recs[i].digest);
		st->inv[i].filename = strdup(r->recs[i].filename);
	}
	free(st->sources_digest);
	st->sources_digest = strdup(r->sources_digest);
	snprintf(msg, sizeof(msg), MSG_SUCCEEDED_FMT, r->n_arts);
	status_cond_set(st, GEN_COND_READY, "True", REASON_SUCCEEDED, msg,
	    r->o->generation, r->now);
	rc_log(r, LOG_INFO, NULL, msg);
	if (r->new_revision || !status_cond_is(&r->o->st, GEN_COND_READY,
	    "True"))
		rc_event(r, EVENT_TYPE_NORMAL, "Ready", msg);
	rc_status_end(r, QUEUE_REQUEUE_AFTER, false);
}

/* Pool: removes the storage directory of orphan orphan_i. */
static void
work_remove_orphan(struct rc *r)
{
	const struct gen_inv *inv = &r->o->st.inv[r->orphan_i];
	struct storage_ref ref = { EA_KIND, inv->namespace, inv->name };

	r->work_rc = storage_remove_all(r->cx->storage, &ref, &r->err);
}

/* Orphans: inventory entries not produced now; deleted one by one with
 * their storage (step_i walks the old inventory). */
static void
rc_collect_next(struct rc *r)
{
	while (r->orphan_i < r->o->st.n_inv &&
	    rc_produced(r, &r->o->st.inv[r->orphan_i]))
		r->orphan_i++;
	if (r->orphan_i < r->o->st.n_inv)
		return rc_queue_work(r, work_remove_orphan, after_orphan_dir);
	rc_queue_work(r, work_gc, after_gc);
}

static void
orphan_done(void *data, int status, json_t *obj, const struct kube_status *st,
    const struct err *e)
{
	struct rc *r = data;
	const struct gen_inv *inv = &r->o->st.inv[r->orphan_i];

	(void)obj;
	r->req = NULL;
	if (r->cancelled)
		return rc_finish_cancelled(r);
	if (status != KUBE_OK && st->code != 404)
		rc_log(r, LOG_ERROR, e->msg, "Failed to delete ExternalArtifact");
	else if (status == KUBE_OK)
		r->cx->writes++;
	if (status == KUBE_OK || st->code == 404)
		run_writes_ours(&r->ea_writes, inv->namespace, inv->name, NULL);
	r->orphan_i++;
	rc_collect_next(r);
}

static void
after_orphan_dir(struct rc *r)
{
	const struct gen_inv *inv = &r->o->st.inv[r->orphan_i];
	struct kube_resource kr = ea_res(inv->namespace, inv->name, NULL);
	char msg[600];
	struct err e;

	if (r->work_rc < 0)
		rc_log(r, LOG_ERROR, r->err.msg,
		    "Failed to delete artifact from storage");
	snprintf(msg, sizeof(msg), "ExternalArtifact/%s/%s deleted",
	    inv->namespace, inv->name);
	rc_log(r, LOG_INFO, NULL, msg);
	if (kube_delete(r->cx->kube, &kr, NULL, orphan_done, r, &r->req,
	    &e) < 0) {
		rc_log(r, LOG_ERROR, e.msg, "Failed to delete ExternalArtifact");
		r->orphan_i++;
		rc_collect_next(r);
	}
}

/* Publishes recs[step_i] until all are out, then collects. */
static void
rc_publish_next(struct rc *r)
{
	if (r->step_i < r->n_arts) {
		if (rc_stale(r))
			return rc_finish(r, QUEUE_SUCCESS, 0);
		return rc_publish_one(r);
	}
	rc_collect_next(r);
}

/* ---- the run ---- */

/* Validation: the parse error or the engine's rules; AccessDenied for a
 * cross-namespace reference refused by --no-cross-namespace-refs. */
static int
rc_validate(struct rc *r, const char **reason, char *msg, size_t len)
{
	const struct generator *g = &r->o->g;
	struct gen_validate_opts vo = {
		.no_cross_namespace_refs = r->cx->no_cross_namespace_refs };
	struct err e;

	*reason = REASON_VALIDATION_FAILED;
	if (r->o->invalid != NULL) {
		snprintf(msg, len, "%s", r->o->invalid);
		return -1;
	}
	for (size_t i = 0; vo.no_cross_namespace_refs && i < g->n_sources; i++)
		if (g->sources[i].namespace != NULL &&
		    strcmp(g->sources[i].namespace, g->namespace) != 0) {
			*reason = REASON_ACCESS_DENIED;
			snprintf(msg, len, "cross-namespace reference to source "
			    "%s/%s/%s is not allowed", g->sources[i].kind,
			    g->sources[i].namespace, g->sources[i].name);
			return -1;
		}
	if (generator_validate(g, &vo, &e) < 0) {
		snprintf(msg, len, "%s", e.msg);
		return -1;
	}
	return 0;
}

/* After the finalizer: suspend, validate, observe, drift. */
static void
rc_main(struct rc *r)
{
	const char *reason;
	char msg[ERR_MSG_MAX + 64];

	if (r->o->disabled) {
		rc_log(r, LOG_INFO, NULL, MSG_DISABLED);
		rc_event(r, EVENT_TYPE_TRACE, REASON_DISABLED, MSG_DISABLED);
		return rc_finish(r, QUEUE_SUCCESS, 0);
	}
	if (rc_validate(r, &reason, msg, sizeof(msg)) < 0)
		return rc_fail(r, reason, msg, true, QUEUE_SUCCESS, false);
	if (r->cx->direct_source_fetch)
		return rc_observe_direct(r);
	if (rc_observe(r, msg, sizeof(msg)) < 0)
		return rc_observe_failed(r, msg);
	rc_observed(r);
}

/* Observing failed (msg names the source): Ready=False SourceFetchFailed,
 * requeue after --requeue-dependency. */
static void
rc_observe_failed(struct rc *r, const char *msg)
{
	char m[RC_SRC_MSG_MAX + 32];

	snprintf(m, sizeof(m), "get sources failed: %s", msg);
	rc_fail(r, REASON_SOURCE_FETCH_FAILED, m, false, QUEUE_REQUEUE_AFTER,
	    true);
}

/* The sources are in r->src: drift, then fetch or verify. */
static void
rc_observed(struct rc *r)
{
	if ((r->drift = rc_drift_cheap(r)) != NULL)
		return rc_fetch(r);
	rc_queue_work(r, work_verify, after_verify);
}

static void
rc_begin(struct rc *r)
{
	struct gen_obj *o = (struct gen_obj *)kube_cache_get(r->cx->gens,
	    r->ns, r->name);
	const char *rv = kube_cache_object_rv(r->cx->gens, r->ns, r->name);

	if (o == NULL)
		return rc_finish(r, QUEUE_SUCCESS, 0);
	if (rc_store_lags(r))
		return rc_finish(r, QUEUE_REQUEUE_AFTER, RC_LAG_RETRY_NS);
	r->o = gen_obj_ref(o);
	r->rv = strdup(rv ? rv : "");
	if (r->rv == NULL || gen_status_copy(&r->st, &o->st) < 0) {
		rc_log(r, LOG_ERROR, "out of memory", "reconcile");
		return rc_finish(r, QUEUE_FAILURE, 0);
	}
	if (o->deleting) {
		if (!gen_obj_has_finalizer(o))
			return rc_finish(r, QUEUE_SUCCESS, 0);
		r->step_i = 0;
		return rc_delete_next(r);
	}
	if (!gen_obj_has_finalizer(o))
		return rc_patch_finalizers(r, true);
	rc_main(r);
}

void
reconcile_start(void *data, struct queue_run *run, const char *key)
{
	struct rc_ctx *cx = data;
	struct rc *r = calloc(1, sizeof(*r));
	struct err e;

	if (r == NULL || rc_key_split(key, r->ns, r->name) < 0) {
		log_msg(LOG_ERROR, LOGGER, r ? "bad key" : "out of memory", key,
		    NULL);
		free(r);
		if (queue_done(cx->queue, run, QUEUE_SUCCESS, 0, &e) < 0)
			log_msg(LOG_ERROR, LOGGER, e.msg, "queue_done", NULL);
		return;
	}
	r->cx = cx;
	r->run = run;
	r->now = (int64_t)time(NULL);
	TAILQ_INSERT_TAIL(&cx->running, r, link);
	rc_begin(r);
}

void
reconcile_cancel(void *data, int status, struct queue_run *run,
    const char *key)
{
	struct rc_ctx *cx = data;
	struct rc *r;

	(void)key;
	TAILQ_FOREACH(r, &cx->running, link)
		if (r->run == run)
			break;
	if (r == NULL || r->cancelled)
		return;
	r->cancelled = true;
	r->cancel_status = status;
	rc_log(r, LOG_INFO, uv_strerror(status), "reconcile cancelled");
	if (r->req != NULL)
		return kube_request_cancel(r->req);	/* its callback ends it */
	if (r->pool != NULL)
		return build_pool_cancel(r->pool);	/* done_cb ends it */
	if (r->fetch_pending > 0) {
		for (size_t i = 0; i < r->n_src; i++)
			if (r->src[i].req != NULL && r->src[i].dir == NULL) {
				fetch_req_cancel(r->src[i].req);
				r->src[i].req = NULL;
			}
		r->fetch_pending = 0;
		return rc_finish_cancelled(r);
	}
	/* pool work: its after callback sees the flag */
}
