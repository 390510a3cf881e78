/*
 * reconcile: one ArtifactGenerator's reconcile, as one asynchronous state
 * machine (struct rc in reconcile.c), source-watcher's order:
 *
 *   deleted      -> delete the inventory's ExternalArtifacts and storage
 *                   directories, remove the finalizer
 *   no finalizer -> add it (merge patch, optimistic on resourceVersion)
 *   disabled     -> a log line and a trace event, nothing else
 *   validate     -> Ready=False + Stalled=True (ValidationFailed /
 *                   AccessDenied), no retry until the spec changes
 *   observe      -> the sources from the informer stores (with
 *                   DirectSourceFetch: one GET each, in turn); missing or
 *                   without an artifact: Ready=False SourceFetchFailed,
 *                   requeue after --requeue-dependency
 *   drift        -> previous failure, generation, observedSourcesDigest,
 *                   artifact count, inventory files (verified on the pool),
 *                   published ExternalArtifacts (digest, revision, origin
 *                   revision); no drift: a log line, requeue after the
 *                   interval with jitter, no API write
 *   fetch        -> controller/fetch (one download per digest, shared)
 *   build        -> pathPattern expanded on the pool, then build_pool with
 *                   the last published digests (known_digests)
 *   publish      -> per artifact, server-side apply of the ExternalArtifact,
 *                   then of its status; each skipped when the object already
 *                   says exactly that
 *   collect      -> orphaned ExternalArtifacts deleted with their storage;
 *                   each artifact directory garbage-collected (retention)
 *   status       -> one merge patch of the status subresource, only when it
 *                   changed; events through controller/events
 *
 * A generator whose generation or deletion changes while its reconcile runs
 * gets its result discarded (the queue runs it again: the handler marked it
 * dirty). The informer may lag behind our own status write: a reconcile
 * that starts before the store caught up waits for it (requeue 100 ms).
 *
 * Loop-thread only. The controller (controller.c) owns struct rc_ctx and
 * everything it points to; reconcile_start is the queue's run callback,
 * reconcile_cancel its cancel callback.
 */
#ifndef AG_CONTROLLER_RECONCILE_H
#define AG_CONTROLLER_RECONCILE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include <uv.h>

#include "base/digest.h"
#include "controller/build_pool.h"
#include "controller/events.h"
#include "controller/fetch.h"
#include "controller/queue.h"
#include "kube/cache.h"
#include "kube/client.h"
#include "kube/store.h"
#include "storage/storage.h"

#define RC_INTERVAL_NS (3600LL * 1000000000LL)	/* GetRequeueAfter: 1 h */
#define RC_LAG_RETRY_NS (100LL * 1000000LL)

struct rc;

/* Records an event (NULL: none); the controller binds it to events.h. */
typedef void (*rc_event_fn)(void *data, const struct events_object *obj,
    const char *type, const char *reason, const char *message);

struct rc_ctx {
	uv_loop_t *loop;
	struct kube_client *kube;
	struct queue *queue;
	struct fetch_cache *fetch;
	struct build_slots *slots;
	struct storage *storage;
	rc_event_fn event;
	void *event_data;
	const struct kube_cache *gens;		/* of struct gen_obj */
	const struct kube_cache *eas;		/* of struct ea_obj */
	const struct kube_cache *sources[5];	/* source_kinds order */
	const struct ctl_metrics *metrics;	/* optional */
	const char *controller_name;
	enum digest_algo algo;
	bool no_cross_namespace_refs;
	bool direct_source_fetch;		/* GET sources, not the stores */
	int64_t requeue_dependency;		/* ns */
	int64_t interval;			/* ns */
	int64_t retention_ttl;			/* ns */
	int retention_records;
	int jobs;				/* builds per generator */
	bool stopping;
	struct kube_store *written;		/* key -> our last status rv */
	struct kube_store *ea_written;		/* EA key -> our last write's rv */
	TAILQ_HEAD(, rc) running;
	/* counters for logs and tests */
	unsigned long writes, no_drift, built;
	unsigned long runs;			/* reconciles ended */
};

/* Sets the lists and tables up; -1 on OOM. */
int rc_ctx_init(struct rc_ctx *cx);
void rc_ctx_free(struct rc_ctx *cx);
/*
 * True when an ExternalArtifact event (ns/name at resourceVersion rv, NULL
 * for a deletion; published for generator gen_ns/gen_name) need not
 * enqueue the generator now: rv is what our last write of it returned (the
 * record is consumed), or the generator's reconcile is running, which
 * keeps the event (run_writes.h) and, when it ends, runs the generator
 * again unless one of its own writes explains it.
 */
bool rc_ctx_own_write(struct rc_ctx *cx, const char *gen_ns,
    const char *gen_name, const char *ns, const char *name, const char *rv);

/*
 * Drops the record of our last write of ns/name from `written` (cx->written
 * or cx->ea_written) once the informer delivered resourceVersion rv, that
 * write's or a newer one: the records live only while a write is in flight
 * in the watch, not for as long as the object exists.
 */
void rc_ctx_seen(struct kube_store *written, const char *ns, const char *name,
    const char *rv);
/*
 * Records in `written` the resourceVersion of obj (the API server's answer
 * to our write of ns/name), unless cache already holds that version or a
 * newer one: the watch event can come before the answer, and no later
 * event would drop the record.
 */
void rc_ctx_record_write(struct kube_store *written,
    const struct kube_cache *cache, const char *ns, const char *name,
    const json_t *obj);

void reconcile_start(void *data, struct queue_run *run, const char *key);
void reconcile_cancel(void *data, int status, struct queue_run *run,
    const char *key);

/* Parses "ns/name" into the buffers (KUBE names fit 254 bytes). */
int rc_key_split(const char *key, char ns[64], char name[254]);

#endif
