/*
 * events: the controller's event recorder. Reconciles report what happened
 * to a generator (a new revision, a failure) through one call; the recorder
 * turns it into a core/v1 Event on the generator (kube/client.h's
 * kube_event_create), and, with --events-addr, also POSTs it to Flux's
 * notification-controller in Flux's event format (fluxcd/pkg/runtime/events:
 * involvedObject, severity "info"/"error", timestamp, message, reason,
 * metadata, reportingController, reportingInstance).
 *
 * Like client-go's recorder (tools/record), which Flux uses, repeats are
 * aggregated and rate-limited per involved object: the same (object, type,
 * reason, message) as an event still in the recorder's LRU (the last
 * EVENTS_CACHE_SIZE keys, as client-go keeps them, with no time window)
 * updates the existing Event's count and lastTimestamp instead of creating
 * a new one, and a token bucket per object drops a burst beyond its budget
 * (counted in the stats, never queued without bound). Trace events
 * (EVENT_TYPE_TRACE) are Normal Events that are not forwarded. Emitting never blocks the loop and
 * never fails the reconcile that called it: a failed write is logged and
 * counted.
 *
 * Created once by the controller; loop-thread only. The recorder borrows the
 * kube and HTTP clients (which must outlive it) and copies every string it is
 * given. events_recorder_free cancels writes in flight; memory is released
 * once the loop has delivered their completions.
 */
#ifndef AG_CONTROLLER_EVENTS_H
#define AG_CONTROLLER_EVENTS_H

#include <stdint.h>
#include <uv.h>

#include "base/err.h"
#include "kube/client.h"
#include "net/http_client.h"

#define EVENT_TYPE_NORMAL "Normal"
#define EVENT_TYPE_WARNING "Warning"
/* Flux's trace events (eventv1.EventTypeTrace): a Normal core/v1 Event,
 * never forwarded to --events-addr. */
#define EVENT_TYPE_TRACE "Trace"

/* client-go's correlator defaults (tools/record/events_cache.go). */
#define EVENTS_CACHE_SIZE 4096		/* LRU entries per cache */
#define EVENTS_SPAM_BURST 25		/* events per object at once ... */
#define EVENTS_SPAM_REFILL_MS 300000	/* ... then one per 5 minutes */
/* Flux's recorder (fluxcd/pkg/runtime/events, go-retryablehttp). */
#define EVENTS_FORWARD_RETRIES 4	/* retries after the first POST */
#define EVENTS_FORWARD_WAIT_MIN_MS 1000	/* doubled per retry ... */
#define EVENTS_FORWARD_WAIT_MAX_MS 30000	/* ... up to this */
#define EVENTS_FORWARD_TIMEOUT_MS 5000	/* one attempt */
#define EVENTS_FORWARD_INFLIGHT_MAX 64	/* POSTs in flight or waiting */

struct events_opts {
	struct kube_client *kube;	/* borrowed */
	struct http_client *http;	/* borrowed; needed with events_addr */
	const char *controller_name;	/* reportingController, source.component */
	const char *instance;		/* reportingInstance (the pod name); may be NULL */
	const char *events_addr;	/* --events-addr URL; NULL or "": none */
	/* Tuning, 0 for the defaults above (tests shorten them). */
	size_t cache_size;
	unsigned spam_burst;
	uint64_t spam_refill_ms;
	unsigned forward_retries;
	uint64_t forward_wait_min_ms;
	uint64_t forward_wait_max_ms;
	uint64_t forward_timeout_ms;
	/* The clock (ns since the epoch) for timestamps and the rate budget;
	 * NULL: CLOCK_REALTIME. For tests. */
	int64_t (*now_ns)(void);
};

/* The object an event is about (strings borrowed for the call). */
struct events_object {
	const char *api_version;	/* "source.extensions.fluxcd.io/v1beta1" */
	const char *kind;		/* "ArtifactGenerator" */
	const char *namespace;
	const char *name;
	const char *uid;
	const char *resource_version;
	/* The object's metadata.annotations (or NULL): those under
	 * "event.toolkit.fluxcd.io/" join the event's annotations (Flux's
	 * RFC-0008 custom metadata), winning over the call's. */
	const json_t *annotations;
};

struct events_stats {
	unsigned long created;		/* Events the API server created */
	unsigned long aggregated;	/* repeats folded into an existing Event
					 * (counted when recorded) */
	unsigned long dropped;		/* over an object's rate budget */
	unsigned long failed;		/* writes refused or undeliverable (API
					 * server or --events-addr) */
	unsigned long forwarded;	/* POSTs --events-addr accepted */
	unsigned long retried;		/* POSTs to --events-addr repeated */
};

struct events_recorder;

int events_recorder_new(struct events_recorder **out, uv_loop_t *loop,
    const struct events_opts *o, struct err *e);
void events_recorder_free(struct events_recorder *r);

/*
 * Records an event of type EVENT_TYPE_NORMAL or EVENT_TYPE_WARNING with a
 * Flux reason ("ReconciliationSucceeded", "BuildFailed", ...) and message.
 * annotations (optional, a JSON object of strings, borrowed) carry Flux's
 * metadata, e.g. "source.toolkit.fluxcd.io/revision"; they become the
 * Event's annotations and the forwarded event's metadata.
 */
void events_record(struct events_recorder *r, const struct events_object *obj,
    const char *type, const char *reason, const char *message,
    const json_t *annotations);

void events_stats_get(const struct events_recorder *r, struct events_stats *st);

#endif
