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
 * reason, message) within the aggregation window updates the existing
 * Event's count and lastTimestamp instead of creating a new one, and a
 * token bucket per object drops a burst beyond its budget (counted in the
 * stats, never queued without bound). Emitting never blocks the loop and
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

struct events_opts {
	struct kube_client *kube;	/* borrowed */
	struct http_client *http;	/* borrowed; needed with events_addr */
	const char *controller_name;	/* reportingController, source.component */
	const char *instance;		/* reportingInstance (the pod name); may be NULL */
	const char *events_addr;	/* --events-addr URL; NULL or "": none */
};

/* The object an event is about (strings borrowed for the call). */
struct events_object {
	const char *api_version;	/* "source.extensions.fluxcd.io/v1beta1" */
	const char *kind;		/* "ArtifactGenerator" */
	const char *namespace;
	const char *name;
	const char *uid;
	const char *resource_version;
};

struct events_stats {
	unsigned long created;		/* Events created */
	unsigned long aggregated;	/* repeats folded into an existing Event */
	unsigned long dropped;		/* over an object's rate budget */
	unsigned long failed;		/* writes the API server refused */
	unsigned long forwarded;	/* POSTed to --events-addr */
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
