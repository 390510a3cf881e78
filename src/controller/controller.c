/*
 * controller: wiring, informer handlers and shutdown (see controller.h).
 * The handlers decide which changes are worth a reconcile:
 *   generator: added; generation, requestedAt or the reconcile annotation
 *              changed; deletion started;
 *   source:    its artifact appeared or its digest, revision or origin
 *              revision changed (or it went) -> every generator the index
 *              lists for "<Kind>/<ns>/<name>";
 *   ExternalArtifact: changed or deleted -> the generator of spec.sourceRef
 *              (our own writes come back here too: the reconcile then finds
 *              no drift and writes nothing).
 */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "controller/artifact_server.h"
#include "controller/controller.h"
#include "controller/ea_obj.h"
#include "controller/gen_obj.h"
#include "controller/health.h"
#include "controller/metrics.h"
#include "controller/reconcile.h"
#include "controller/source_obj.h"
#include "engine/build.h"
#include "kube/informer.h"
#include "kube/kubeconfig.h"
#include "kube/leader.h"

#define LOGGER "controller"
/* generators, ExternalArtifacts (also the source kind of that name, the
 * last row of source_kinds), the four other source kinds */
#define N_INF (2 + 4)
#define EA_KIND 4		/* source_kinds row of ExternalArtifact */
#define CONTROLLER_TRIM_MS 2000	/* how often an idle controller trims */

struct ctl;

struct inf_slot {
	struct ctl *c;
	int kind;			/* source_kinds row, or -1 */
	struct kube_informer *inf;
};

struct ctl {
	uv_loop_t loop;
	const struct controller_opts *o;
	struct kube_config kc;
	struct kube_client *kube;
	struct http_client *http;
	struct storage storage;
	bool storage_ok;
	struct fetch_cache *fetch;
	struct artifact_server *as;	/* --storage-addr */
	struct build_slots slots;
	struct queue *queue;
	struct events_recorder *events;
	struct kube_leader *leader;	/* NULL without leader election */
	struct ctl_metrics metrics;	/* reg NULL until initialised */
	struct health *health;
	struct http_server *msrv, *hsrv;	/* --metrics-addr, --health-addr */
	struct rc_ctx cx;
	struct inf_slot inf[N_INF];	/* 0 generators, 1 EAs, 2.. sources */
	int synced;
	bool started, stopping;
	uv_signal_t sigterm, sigint;
	uv_signal_t sigusr1;		/* logs the heap's figures */
	uv_timer_t guard;
	bool forced;		/* the guard fired: exit without freeing */
	uv_timer_t trim;		/* gives freed heap back when idle */
	unsigned long trimmed_at;	/* cx.runs at the last trim */
};

static void
enqueue(struct ctl *c, const char *ns, const char *name)
{
	char key[QUEUE_KEY_MAX + 1];
	struct err e;

	if (!c->started || c->stopping)
		return;
	snprintf(key, sizeof(key), "%s/%s", ns, name);
	if (queue_add(c->queue, key, &e) < 0)
		log_msg(LOG_ERROR, LOGGER, e.msg, "cannot queue", NULL);
}

/* ---- generators ---- */

static void
gen_add(void *data, const char *ns, const char *name, const void *p)
{
	(void)p;
	enqueue(((struct inf_slot *)data)->c, ns, name);
}

static void
gen_update(void *data, const char *ns, const char *name, const void *oldp,
    const void *newp)
{
	const struct gen_obj *a = oldp, *b = newp;
	struct ctl *c = ((struct inf_slot *)data)->c;

	rc_ctx_seen(c->cx.written, ns, name, kube_cache_object_rv(
	    kube_informer_cache(c->inf[0].inf), ns, name));
	if (a->generation != b->generation || b->deleting != a->deleting ||
	    a->disabled != b->disabled ||
	    kobj_differs(a->requested_at, b->requested_at) ||
	    (b->deleting && gen_obj_has_finalizer(b)))
		enqueue(c, ns, name);
}

/* ---- sources ---- */

static void
gen_visit(void *ctx, const char *ns, const char *name, const char *rv,
    const void *p)
{
	(void)rv;
	(void)p;
	enqueue(ctx, ns, name);
}

static void
source_touch(struct inf_slot *s, const char *ns, const char *name)
{
	char key[KUBE_INDEX_KEY_MAX];
	const struct kube_cache *gens;

	gens = kube_informer_cache(s->c->inf[0].inf);
	gen_obj_source_key(key, source_kinds[s->kind].kind, ns, name);
	kube_cache_index_foreach(gens, key, gen_visit, s->c);
}

static void
source_add(void *data, const char *ns, const char *name, const void *p)
{
	const struct source_obj *so = p;

	if (so->url != NULL)
		source_touch(data, ns, name);
}

static void
source_update(void *data, const char *ns, const char *name, const void *oldp,
    const void *newp)
{
	if (source_obj_changed(oldp, newp))
		source_touch(data, ns, name);
}

static void
source_delete(void *data, const char *ns, const char *name, const void *p)
{
	(void)p;
	source_touch(data, ns, name);
}

/* ---- ExternalArtifacts ---- */

/* Enqueues the generator ea was published for, unless the event is our own
 * write (see rc_ctx_own_write); a deletion has no resourceVersion. */
static void
ea_touch(struct inf_slot *s, const char *ns, const char *name,
    const struct ea_obj *ea, bool deleted)
{
	struct ctl *c = s->c;
	const char *rv = NULL;

	if (ea->ref_kind == NULL || strcmp(ea->ref_kind, GENERATOR_KIND) != 0 ||
	    ea->ref_namespace == NULL || ea->ref_name == NULL)
		return;
	if (!deleted)
		rv = kube_cache_object_rv(kube_informer_cache(c->inf[1].inf),
		    ns, name);
	if (rc_ctx_own_write(&c->cx, ea->ref_namespace, ea->ref_name, ns, name,
	    rv))
		return;
	enqueue(c, ea->ref_namespace, ea->ref_name);
}

/* The store delivered ns/name at some resourceVersion: our record of a
 * write it has caught up with is no longer needed (rc_ctx_seen). */
static void
ea_seen(struct inf_slot *s, const char *ns, const char *name)
{
	struct ctl *c = s->c;

	rc_ctx_seen(c->cx.ea_written, ns, name, kube_cache_object_rv(
	    kube_informer_cache(c->inf[1].inf), ns, name));
}

/* An ExternalArtifact is a source (source_* above read its first member)
 * and, when we published it, one of a generator's outputs. */
static void
ea_update(void *data, const char *ns, const char *name, const void *oldp,
    const void *newp)
{
	const struct ea_obj *a = oldp, *b = newp;

	source_update(data, ns, name, &a->src, &b->src);
	if ((a->gen_uid != NULL || b->gen_uid != NULL) && ea_obj_changed(a, b))
		ea_touch(data, ns, name, b->gen_uid != NULL ? b : a, false);
	ea_seen(data, ns, name);
}

static void
ea_add(void *data, const char *ns, const char *name, const void *p)
{
	source_add(data, ns, name, p);
	ea_seen(data, ns, name);
}

static void
ea_delete(void *data, const char *ns, const char *name, const void *p)
{
	const struct ea_obj *ea = p;

	source_delete(data, ns, name, &ea->src);
	if (ea->gen_uid != NULL)
		ea_touch(data, ns, name, ea, true);
	kube_store_delete(((struct inf_slot *)data)->c->cx.ea_written, ns,
	    name, NULL);
}

/* ---- sync and errors ---- */

static void
gen_visit_all(void *ctx, const char *ns, const char *name, const char *rv,
    const void *p)
{
	gen_visit(ctx, ns, name, rv, p);
}

static bool ctl_leading(const struct ctl *c);

/* Every informer listed and, with leader election, this instance leads. */
static void
reconciles_start(struct ctl *c)
{
	if (c->started || c->stopping || c->synced < N_INF || !ctl_leading(c))
		return;
	c->started = true;
	log_msg(LOG_INFO, LOGGER, NULL, "caches synced, starting reconciles",
	    NULL);
	kube_cache_foreach(kube_informer_cache(c->inf[0].inf), gen_visit_all,
	    c);
}

static void
inf_synced(void *data)
{
	struct inf_slot *s = data;

	++s->c->synced;
	reconciles_start(s->c);
}

static void
inf_error(void *data, const struct err *e)
{
	(void)data;
	log_msg(LOG_ERROR, LOGGER, e->msg, "informer", NULL);
}

static const struct kube_informer_handlers gen_h = {
	.project = gen_obj_project, .free = gen_obj_free,
	.index = gen_obj_index, .on_add = gen_add, .on_update = gen_update,
	.on_synced = inf_synced, .on_error = inf_error,
};
static const struct kube_informer_handlers ea_h = {
	.project = ea_obj_project, .free = ea_obj_free,
	.index = ea_obj_index, .on_add = ea_add, .on_update = ea_update,
	.on_delete = ea_delete,
	.on_synced = inf_synced, .on_error = inf_error,
};
static const struct kube_informer_handlers src_h = {
	.project = source_obj_project, .free = source_obj_free,
	.on_add = source_add, .on_update = source_update,
	.on_delete = source_delete, .on_synced = inf_synced,
	.on_error = inf_error,
};

static int
inf_new(struct ctl *c, int i, const struct kube_informer_opts *io,
    const struct kube_informer_handlers *h, struct err *e)
{
	c->inf[i].c = c;
	c->inf[i].kind = i >= 2 ? i - 2 : i == 1 ? EA_KIND : -1;
	return kube_informer_new(&c->inf[i].inf, &c->loop, c->kube, io, h,
	    &c->inf[i], e);
}

static int
informers_new(struct ctl *c, struct err *e)
{
	const char *ns = c->o->watch_namespace;
	struct kube_informer_opts io = { .group = "source.extensions.fluxcd.io",
	    .version = "v1beta1", .resource = "artifactgenerators",
	    .namespaced = true, .namespace = ns,
	    .label_selector = c->o->watch_label_selector };

	if (io.label_selector && io.label_selector[0] == '\0')
		io.label_selector = NULL;
	if (source_kinds_n != EA_KIND + 1 ||
	    strcmp(source_kinds[EA_KIND].kind, "ExternalArtifact") != 0)
		return err_set(e, "controller: source_kinds must end with "
		    "ExternalArtifact");
	if (inf_new(c, 0, &io, &gen_h, e) < 0)
		return -1;
	/* every ExternalArtifact, ours (labelled) and any a generator
	 * composes: one watch and one copy for both */
	io = (struct kube_informer_opts){ .group = SOURCE_GROUP,
	    .version = SOURCE_VERSION, .resource = "externalartifacts",
	    .namespaced = true, .namespace = ns };
	if (inf_new(c, 1, &io, &ea_h, e) < 0)
		return -1;
	for (size_t k = 0; k < EA_KIND; k++) {
		io.resource = source_kinds[k].resource;
		if (inf_new(c, 2 + (int)k, &io, &src_h, e) < 0)
			return -1;
	}
	return 0;
}

/* ---- events ---- */

static void
ctl_event(void *data, const struct events_object *obj, const char *type,
    const char *reason, const char *message)
{
	struct ctl *c = data;

	if (c->events != NULL)
		events_record(c->events, obj, type, reason, message, NULL);
}

/* ---- leader election (kube/leader.h) ---- */

/* True when this instance may write: it leads, or elects no leader. */
static bool
ctl_leading(const struct ctl *c)
{
	return c->leader == NULL || kube_leader_leading(c->leader);
}

/* The artifact server's readiness (GET /): only the leader serves. */
static bool
ctl_ready_to_serve(void *data)
{
	return ctl_leading(data);
}

static void
leader_started(void *data)
{
	reconciles_start(data);
}

/* Another instance may hold the lease now: no write may follow, so no
 * graceful shutdown (a drain would let reconciles in flight write). */
static void
leader_lost(void *data)
{
	(void)data;
	log_msg(LOG_ERROR, "setup", "leader election lost",
	    "problem running manager", NULL);
	_exit(1);
}

static int
leader_new(struct ctl *c, struct err *e)
{
	const struct controller_opts *o = c->o;
	char name[KUBE_LEADER_NAME_MAX], id[KUBE_LEADER_ID_MAX];
	struct kube_leader_opts lo = { .name = name, .identity = id,
	    .lease_duration_ms = (uint64_t)o->leader_lease_duration / 1000000,
	    .renew_deadline_ms = (uint64_t)o->leader_renew_deadline / 1000000,
	    .retry_period_ms = (uint64_t)o->leader_retry_period / 1000000,
	    .release_on_cancel = o->leader_release_on_cancel,
	    .on_started = leader_started, .on_lost = leader_lost, .data = c };

	if (!o->leader_election)
		return 0;
	lo.namespace = o->leader_namespace && o->leader_namespace[0] ?
	    o->leader_namespace : kube_client_namespace(c->kube);
	if (kube_leader_lease_name(name, CONTROLLER_NAME "-leader-election",
	    o->watch_label_selector, e) < 0 ||
	    kube_leader_identity_make(id, e) < 0 ||
	    kube_leader_new(&c->leader, &c->loop, c->kube, &lo, e) < 0)
		return -1;
	kube_leader_start(c->leader);
	return 0;
}

/* ---- startup ---- */

static void
probe_done(void *data, int status, json_t *obj, const struct kube_status *st,
    const struct err *e)
{
	struct ctl *c = data;

	(void)obj;
	(void)st;
	if (status != KUBE_OK)
		log_msg(LOG_INFO, LOGGER, e->msg, "flow control probe failed; "
		    "client-side rate limits stay", NULL);
	if (c->stopping)
		return;
	for (int i = 0; i < N_INF; i++)
		kube_informer_start(c->inf[i].inf);
}

static int
storage_start(struct ctl *c, struct err *e)
{
	int removed = 0;

	if (storage_init(&c->storage, c->o->storage_path,
	    c->o->storage_adv_addr, e) < 0)
		return err_prefix(e, "--storage-path");
	c->storage_ok = true;
	if (storage_cleanup_temp(&c->storage, &removed, e) < 0 ||
	    build_staging_cleanup(&c->storage, e) < 0)
		return -1;
	if (removed > 0)
		log_msg(LOG_INFO, LOGGER, NULL, "removed temp files left by a "
		    "previous run", NULL);
	return 0;
}

static int
clients_new(struct ctl *c, struct err *e)
{
	struct kube_client_opts ko = { .qps = c->o->kube_api_qps,
	    .burst = c->o->kube_api_burst };
	struct fetch_cache_opts fo = { .storage = &c->storage,
	    .retries = c->o->http_retry, .idle_max = FETCH_DEFAULT_IDLE_MAX,
	    .metrics = &c->metrics };
	struct events_opts eo = { .controller_name = CONTROLLER_NAME,
	    .instance = c->o->instance, .events_addr = c->o->events_addr };

	if (kube_client_new(&c->kube, &c->loop, &c->kc, &ko, e) < 0 ||
	    http_client_new(&c->http, &c->loop, NULL, e) < 0)
		return -1;
	fo.http = c->http;
	if (fetch_cache_new(&c->fetch, &c->loop, &fo, e) < 0)
		return -1;
	eo.kube = c->kube;
	eo.http = c->http;
	if (events_recorder_new(&c->events, &c->loop, &eo, e) < 0)
		return -1;
	return 0;
}

static int
queue_start(struct ctl *c, struct err *e)
{
	struct queue_config qc = { .concurrent = c->o->concurrent,
	    .min_retry_delay = c->o->min_retry_delay,
	    .max_retry_delay = c->o->max_retry_delay,
	    .reconcile_timeout = c->o->reconciliation_timeout,
	    .jitter_percent = c->o->jitter_percent };
	struct rc_ctx *cx = &c->cx;

	build_slots_init(&c->slots, &c->loop, 0);
	if (rc_ctx_init(cx) < 0)
		return err_set(e, "out of memory");
	if ((c->queue = queue_new(&c->loop, &qc, reconcile_start,
	    reconcile_cancel, cx, e)) == NULL)
		return -1;
	cx->loop = &c->loop;
	cx->kube = c->kube;
	cx->queue = c->queue;
	cx->fetch = c->fetch;
	cx->slots = &c->slots;
	cx->storage = &c->storage;
	cx->event = ctl_event;
	cx->event_data = c;
	cx->controller_name = CONTROLLER_NAME;
	cx->algo = c->o->algo;
	cx->no_cross_namespace_refs = c->o->no_cross_namespace_refs;
	cx->direct_source_fetch = c->o->direct_source_fetch;
	cx->requeue_dependency = c->o->requeue_dependency;
	cx->interval = RC_INTERVAL_NS;
	cx->retention_ttl = c->o->retention_ttl;
	cx->retention_records = c->o->retention_records;
	cx->jobs = build_pool_default_jobs();
	return 0;
}

/* ---- metrics and health ---- */

static bool
ctl_synced(void *data, char *why, size_t len)
{
	struct ctl *c = data;

	if (c->started)
		return true;
	snprintf(why, len, "informers not synced (%d of %d listed)",
	    c->synced, N_INF);
	return false;
}

static int
serve(struct ctl *c, const char *addr, const char *name, http_handler_cb h,
    void *data, struct http_server **out, struct err *e)
{
	struct http_server_opts so = { .addr = addr, .name = name };

	if (addr == NULL || *addr == '\0' || strcmp(addr, "0") == 0)
		return 0;
	return http_server_new(&c->loop, &so, h, data, out, e);
}

/* Counted from the start; served once the queue exists. */
static int
observe_start(struct ctl *c, struct err *e)
{
	queue_set_metrics(c->queue, &c->metrics);
	c->cx.metrics = &c->metrics;
	if ((c->health = health_new(&c->loop, 0, 0, e)) == NULL)
		return -1;
	health_add_check(c->health, "informers", ctl_synced, c);
	if (serve(c, c->o->metrics_addr, "metrics server", ctl_metrics_handle,
	    &c->metrics, &c->msrv, e) < 0 ||
	    serve(c, c->o->health_addr, "health server", health_handle,
	    c->health, &c->hsrv, e) < 0)
		return -1;
	return 0;
}

/* After the informers exist: the reconcile reads their stores. */
static void
caches_bind(struct ctl *c)
{
	c->cx.gens = kube_informer_cache(c->inf[0].inf);
	c->cx.eas = kube_informer_cache(c->inf[1].inf);
	for (size_t k = 0; k < EA_KIND; k++)
		c->cx.sources[k] = kube_informer_cache(c->inf[2 + k].inf);
	c->cx.sources[EA_KIND] = c->cx.eas;	/* ea_obj starts with a
						 * source_obj */
}

/* ---- shutdown ---- */

/* Reconciles still run (a build on the thread pool): stop without freeing
 * what their completions would touch; the process exits right after, and
 * every write in flight is a temp file the next start removes. */
static void
guard_fired(uv_timer_t *t)
{
	struct ctl *c = t->data;

	log_msg(LOG_ERROR, LOGGER, NULL, "shutdown took too long; stopping",
	    NULL);
	c->forced = true;
	uv_stop(t->loop);
}

static void
released(void *data)
{
	struct ctl *c = data;

	uv_stop(&c->loop);
}

/* Last step of a shutdown: give the lease up (kube_leader_stop releases it
 * with --leader-election-release-on-cancel), then stop. */
static void
leader_release(struct ctl *c)
{
	if (c->leader != NULL)
		kube_leader_stop(c->leader, released, c);
	else
		uv_stop(&c->loop);
}

static void
as_closed(void *data)
{
	struct ctl *c = data;

	c->as = NULL;
	leader_release(c);
}

/* Nothing writes any more: the artifact server lets downloads in flight
 * finish (a second), then the lease goes. */
static void
drained(void *data, int status)
{
	struct ctl *c = data;

	(void)status;
	log_msg(LOG_INFO, LOGGER, NULL, "reconciles stopped", NULL);
	if (c->as != NULL)	/* downloads in flight get a second */
		artifact_server_close(c->as, 1000, as_closed, c);
	else
		leader_release(c);
}

static void
on_signal(uv_signal_t *s, int signum)
{
	struct ctl *c = s->data;

	if (c->stopping)
		return;
	c->stopping = true;
	c->cx.stopping = true;
	log_msg(LOG_INFO, LOGGER, NULL, signum == SIGTERM ? "SIGTERM: "
	    "shutting down" : "SIGINT: shutting down", NULL);
	uv_timer_start(&c->guard, guard_fired, CONTROLLER_SHUTDOWN_MS, 0);
	queue_shutdown(c->queue, drained, c);
}

/*
 * SIGUSR1: one info line with the heap's figures (mallinfo2), for measuring
 * memory on a running controller (docs/ARCHITECTURE.md, "Controller memory").
 * The main arena's in-use and free bytes, mmap'd chunks, and what a trim
 * could give back from the top.
 */
static void
on_usr1(uv_signal_t *s, int signum)
{
	struct mallinfo2 mi = mallinfo2();
	char v[5][24];

	(void)s;
	(void)signum;
	snprintf(v[0], sizeof(v[0]), "%zu", mi.arena);
	snprintf(v[1], sizeof(v[1]), "%zu", mi.uordblks);
	snprintf(v[2], sizeof(v[2]), "%zu", mi.fordblks);
	snprintf(v[3], sizeof(v[3]), "%zu", mi.hblkhd);
	snprintf(v[4], sizeof(v[4]), "%zu", mi.keepcost);
	log_msg(LOG_INFO, LOGGER, NULL, "heap", "arena", v[0], "inUse", v[1],
	    "free", v[2], "mmapped", v[3], "topFree", v[4], NULL);
}

static void
close_walk(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

/* The handles ctl_start opened for itself (once initialised). */
static void
ctl_close_own(struct ctl *c)
{
	uv_handle_t *own[] = { (uv_handle_t *)&c->sigterm,
	    (uv_handle_t *)&c->sigint, (uv_handle_t *)&c->sigusr1,
	    (uv_handle_t *)&c->guard, (uv_handle_t *)&c->trim };

	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (own[i]->loop == &c->loop && !uv_is_closing(own[i]))
			uv_close(own[i], NULL);
}

static void
drain_expired(uv_timer_t *t)
{
	*(bool *)t->data = true;
}

/*
 * Runs the loop until nothing keeps it alive (what ctl_free destroyed
 * closes its connections and frees itself from its own close callbacks;
 * work in the pool ends), at most ms: a deadline timer that does not keep
 * the loop alive wakes it. True when everything ended in time.
 */
static bool
ctl_drain(uv_loop_t *loop, uint64_t ms)
{
	uv_timer_t deadline;
	bool expired = false;
	int alive = 1;

	uv_timer_init(loop, &deadline);
	deadline.data = &expired;
	uv_timer_start(&deadline, drain_expired, ms, 0);
	uv_unref((uv_handle_t *)&deadline);
	while (!expired && alive)
		alive = uv_run(loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&deadline, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
	return !alive;
}

/*
 * Frees in reverse order, closes the handles of its own, lets the loop run
 * until the rest has closed and freed itself (ctl_drain); then closes what
 * is still open (never, but a bug must not hang the exit).
 */
static void
ctl_free(struct ctl *c)
{
	if (c->forced)
		return;
	if (c->as != NULL)	/* startup failed after it started */
		artifact_server_close(c->as, 0, NULL, NULL);
	if (c->msrv != NULL)
		http_server_close(c->msrv, 0, NULL, NULL);
	if (c->hsrv != NULL)
		http_server_close(c->hsrv, 0, NULL, NULL);
	health_free(c->health);
	for (int i = 0; i < N_INF; i++)
		kube_informer_free(c->inf[i].inf);
	if (c->queue != NULL)
		queue_free(c->queue);
	kube_leader_free(c->leader);
	if (c->events != NULL)
		events_recorder_free(c->events);
	if (c->fetch != NULL)
		fetch_cache_destroy(c->fetch);
	if (c->http != NULL)
		http_client_destroy(c->http);
	if (c->kube != NULL)
		kube_client_destroy(c->kube);
	ctl_close_own(c);
	if (!ctl_drain(&c->loop, CONTROLLER_DRAIN_MS))
		log_msg(LOG_DEBUG, LOGGER, NULL, "handles or requests still "
		    "open at exit; closing them", NULL);
	uv_walk(&c->loop, close_walk, NULL);
	for (int i = 0; i < 100 && uv_run(&c->loop, UV_RUN_NOWAIT) != 0; i++)
		;
	rc_ctx_free(&c->cx);
	ctl_metrics_free(&c->metrics);
	if (c->storage_ok)
		storage_free(&c->storage);
	kube_config_free(&c->kc);
	if (uv_loop_close(&c->loop) != 0)
		log_msg(LOG_DEBUG, LOGGER, NULL, "loop closed with handles "
		    "still open", NULL);
}

/*
 * After a burst of reconciles, once none runs: malloc_trim, so what the
 * burst freed (request and response bodies, build records, jansson trees)
 * goes back to the OS instead of staying in the idle controller's RSS.
 */
static void
trim_check(uv_timer_t *t)
{
	struct ctl *c = t->data;

	if (c->cx.runs == c->trimmed_at || !TAILQ_EMPTY(&c->cx.running))
		return;
	c->trimmed_at = c->cx.runs;
	malloc_trim(0);
}

static int
ctl_start(struct ctl *c, struct err *e)
{
	/* the cluster first: a bad kubeconfig leaves the disk alone */
	if (kube_config_resolve(&c->kc, c->o->kubeconfig, c->o->kube_context,
	    c->o->envp, NULL, e) < 0 ||
	    ctl_metrics_init(&c->metrics, "artifactgenerator",
	    c->o->concurrent, e) < 0 ||
	    storage_start(c, e) < 0 || clients_new(c, e) < 0 ||
	    queue_start(c, e) < 0 || observe_start(c, e) < 0 ||
	    informers_new(c, e) < 0 || leader_new(c, e) < 0 ||
	    artifact_server_start(&c->loop, &(struct artifact_server_opts){
	    .addr = c->o->storage_addr, .storage = &c->storage,
	    .ready = ctl_ready_to_serve, .ready_data = c,
	    .metrics = &c->metrics }, &c->as, e) < 0)
		return -1;
	caches_bind(c);
	c->sigterm.data = c->sigint.data = c->guard.data = c;
	uv_signal_init(&c->loop, &c->sigterm);
	uv_signal_init(&c->loop, &c->sigint);
	uv_signal_init(&c->loop, &c->sigusr1);
	uv_timer_init(&c->loop, &c->guard);
	uv_timer_init(&c->loop, &c->trim);
	c->trim.data = c;
	uv_timer_start(&c->trim, trim_check, CONTROLLER_TRIM_MS,
	    CONTROLLER_TRIM_MS);
	uv_unref((uv_handle_t *)&c->trim);
	uv_signal_start(&c->sigterm, on_signal, SIGTERM);
	uv_signal_start(&c->sigint, on_signal, SIGINT);
	uv_signal_start(&c->sigusr1, on_usr1, SIGUSR1);
	uv_unref((uv_handle_t *)&c->sigusr1);
	return kube_client_probe_flowcontrol(c->kube, probe_done, c, NULL, e);
}

int
controller_run(const struct controller_opts *o, struct err *e)
{
	struct ctl *c = calloc(1, sizeof(*c));
	int rc;

	if (c == NULL)
		return err_set(e, "out of memory");
	c->o = o;
	/* one heap for the loop and the pool threads: a pool thread's own
	 * arena keeps its peak in RSS (about 400 KiB each, measured), and pool
	 * work allocates little next to the files it reads and writes */
	(void)mallopt(M_ARENA_MAX, 1);
	if ((rc = uv_loop_init(&c->loop)) != 0) {
		free(c);
		return err_set(e, "event loop: %s", uv_strerror(rc));
	}
	rc = ctl_start(c, e);
	if (rc == 0) {
		log_msg(LOG_INFO, LOGGER, NULL, "controller started", NULL);
		if (o->direct_source_fetch)
			log_msg(LOG_INFO, LOGGER, NULL, "DirectSourceFetch "
			    "feature gate is enabled, sources will be fetched "
			    "directly from the API server bypassing the cache",
			    NULL);
		uv_run(&c->loop, UV_RUN_DEFAULT);
	}
	ctl_free(c);
	if (!c->forced)		/* else pool threads may still hold parts */
		free(c);
	return rc;
}
