/*
 * kube_client: the Kubernetes REST client on one libuv loop.
 *
 * Callers (informers, the reconciler, the event recorder, leader election)
 * describe a resource with struct kube_resource and start an asynchronous
 * verb: get, list (one page, or every page through kube_list_all), watch
 * (streamed events), create, update, server-side apply, merge and JSON patch
 * (each on the object or a subresource such as "status"), delete, and core/v1
 * Event creation. Requests are rate limited client-side (token bucket, Flux's
 * --kube-api-qps / --kube-api-burst), authenticated with the config's bearer
 * token (re-read from its file every minute and after a 401) or client
 * certificate, and answered through one completion callback.
 *
 * Completion contract (like http_client): every verb returns 0 when the
 * request was accepted, and then its kube_done_fn runs exactly once, from
 * the loop, never from inside the call that started it; or -1 with e set
 * for invalid arguments, and then nothing was started and no callback
 * follows. A request handle (*out, may be NULL) is valid until its callback
 * returns; kube_request_cancel() completes it with KUBE_ECANCELED.
 *
 * Lanes: ordinary requests wait for the rate limiter and for one of
 * opts.max_inflight slots (FIFO). Requests on KUBE_LANE_PRIORITY (leader
 * election's Lease get and update) bypass both, so a renewal never waits
 * behind a burst of reconciles; keep that lane for a few small requests.
 * Watches never wait for a slot either (they are long-lived).
 *
 * API Priority and Fairness: kube_client_probe_flowcontrol() asks the server
 * once, as Flux does at startup (fluxcd/pkg/runtime/client GetConfigOrDie ->
 * cli-utils flowcontrol.IsEnabled: GET /livez/ping, enabled when the answer
 * carries X-Kubernetes-PF-FlowSchema-UID or X-Kubernetes-PF-PriorityLevel-UID).
 * When enabled, client-side rate limiting (--kube-api-qps/--kube-api-burst)
 * is switched off for the client's life (logged once at info level); when the
 * headers are absent or the probe fails, the limits stay. The decision is
 * not revisited per response, like Flux's.
 *
 * Retries: 429 is retried after Retry-After seconds (bounded: 1..60 s, at
 * most opts.max_retries times) for every verb (the server did not act on
 * it); 5xx except 501 and transient transport failures (refused, reset,
 * timed out; not DNS, TLS or certificate errors) are retried with jittered
 * backoff for idempotent verbs only (get, list, update, apply). Watches are
 * never retried: the informer resumes them.
 *
 * Ownership: arguments (resource, options, JSON bodies) are borrowed for the
 * duration of the call only: the URL and the serialized body are built
 * before it returns. The JSON object handed to a callback is borrowed for
 * the callback's duration (json_incref it to keep it). The client copies the
 * config it is given. Loop-thread only; no global state.
 */
#ifndef AG_KUBE_CLIENT_H
#define AG_KUBE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <uv.h>

#include "base/err.h"
#include "kube/status.h"
#include "kube/watch.h"

/*
 * Where and how to reach the API server: filled by kubeconfig.h's loaders
 * (or by hand in tests). Every string is owned (malloc'd) and may be NULL;
 * release with kube_config_free(). PEM data is NUL-terminated, its length
 * excluding the NUL.
 */
struct kube_config {
	char *server;		/* "https://host:port[/prefix]", no trailing / */
	char *tls_server_name;	/* verify/SNI name instead of the URL host */
	char *ca_file;		/* trust anchors: file ... */
	char *ca_pem;		/* ... or PEM data (certificate-authority-data) */
	size_t ca_pem_len;
	char *cert_file;	/* client certificate: file or PEM data */
	char *cert_pem;
	size_t cert_pem_len;
	char *key_file;		/* its private key: file or PEM data */
	char *key_pem;
	size_t key_pem_len;
	char *token;		/* bearer token, static ... */
	char *token_file;	/* ... or read from here, re-read periodically */
	bool insecure;		/* insecure-skip-tls-verify */
	char *namespace;	/* the context's namespace, else "default" */
	char *origin;		/* for messages: "kubeconfig /p context c",
				 * "in-cluster" */
};

/* Frees every string of c and zeroes it; c itself is the caller's. */
void kube_config_free(struct kube_config *c);
/* Deep copy into dst (zeroed first); -1 with e on allocation failure. */
int kube_config_copy(struct kube_config *dst, const struct kube_config *src,
    struct err *e);

/*
 * A resource, or one object of it. All strings borrowed for the call.
 *   group ""/NULL is the core group ("/api/v1"), else "/apis/<g>/<v>";
 *   namespaced: the resource lives in namespaces; namespace NULL or "" on
 *   a namespaced resource means all namespaces (list, watch only);
 *   name: the object (get, update, apply, patch, delete), NULL for
 *   collections (list, watch, create);
 *   subresource: e.g. "status" (with a name), else NULL.
 */
struct kube_resource {
	const char *group;
	const char *version;
	const char *resource;	/* lower-case plural, e.g. "configmaps" */
	bool namespaced;
	const char *namespace;
	const char *name;
	const char *subresource;
};

/* Outcome of a request, the callback's status. */
enum kube_result {
	KUBE_OK = 0,
	KUBE_EAPI = -1,		/* the server answered an error: st is set
				 * (code, reason, message) */
	KUBE_ENET = -2,		/* transport: DNS, connect, TLS, certificate,
				 * reset, timeout, malformed HTTP */
	KUBE_EDECODE = -3,	/* success code but the body is not the JSON
				 * expected, or exceeds the body limit */
	KUBE_ECANCELED = -4,	/* kube_request_cancel or client destroyed */
	KUBE_ECALLBACK = -5,	/* a caller's item/event callback failed */
	KUBE_EAUTH = -6,	/* credentials unusable (token file unreadable) */
};

struct kube_client;
struct kube_request;

/*
 * Completion: status is a kube_result. On KUBE_OK obj is the decoded
 * response (the object, the list page, the Status of a delete; for
 * kube_list_all and kube_watch see there) and st is NULL. On failure obj is
 * NULL, e holds one message naming the verb and the object or collection
 * (e.g. `get configmaps "ns/x": NotFound (404): configmaps "x" not found`),
 * and st is non-NULL: for KUBE_EAPI the decoded Status, otherwise code 0.
 * Status code helpers: st->code == 404 NotFound, 409 Conflict/AlreadyExists,
 * 410 Expired/Gone, 422 Invalid, 403 Forbidden.
 */
typedef void (*kube_done_fn)(void *data, int status, json_t *obj,
    const struct kube_status *st, const struct err *e);

/* Streaming callbacks: 0 to go on, -1 (with e) to stop; the request then
 * completes with KUBE_ECALLBACK and that message. obj/ev borrowed. */
typedef int (*kube_item_fn)(void *data, json_t *item, struct err *e);
typedef int (*kube_event_fn)(void *data, const struct kube_watch_event *ev,
    struct err *e);

struct kube_client_opts {
	double qps;		/* <= 0: no client-side limit */
	int burst;
	const char *user_agent;	/* default "artifact-generator/<version>" */
	size_t body_limit;	/* ordinary responses; default 16 MiB */
	size_t watch_line_max;	/* one watch event; default 16 MiB */
	unsigned max_retries;	/* 429 and 5xx; default 5 */
	uint64_t token_refresh_ms;	/* token_file re-read; default 60 s */
	uint64_t request_timeout_ms;	/* headers of non-watch; default 60 s */
	unsigned max_inflight;	/* non-watch requests on the wire at once
				 * (more wait in FIFO order; each is one
				 * pooled TLS connection); default 8 */
};

/*
 * Creates a client for cfg (copied) on loop with opts (NULL: defaults, qps
 * 50, burst 300). Reads the token file and the TLS material now: a missing
 * or unreadable file is an error here, naming it. Free with destroy.
 */
int kube_client_new(struct kube_client **out, uv_loop_t *loop,
    const struct kube_config *cfg, const struct kube_client_opts *opts,
    struct err *e);
/* Cancels every request (callbacks run with KUBE_ECANCELED from the loop)
 * and releases the client once its handles are closed. */
void kube_client_destroy(struct kube_client *c);
/* The config's namespace ("default" when none). */
const char *kube_client_namespace(const struct kube_client *c);
/* The server URL the client talks to. */
const char *kube_client_server(const struct kube_client *c);

/*
 * The API Priority and Fairness probe (see above): GET <server>/livez/ping
 * on the priority lane, never retried. done gets KUBE_OK (obj NULL) when
 * the server answered 2xx, whatever the headers said, else the failure (the
 * limits then stay). Call once, before starting informers.
 */
int kube_client_probe_flowcontrol(struct kube_client *c, kube_done_fn done,
    void *data, struct kube_request **out, struct err *e);
/* True once the probe saw Priority and Fairness: no client-side limit. */
bool kube_client_flowcontrol(const struct kube_client *c);

/* Cancels a request whose callback has not run; safe in its callbacks. */
void kube_request_cancel(struct kube_request *req);

/* ---- reads ---- */

enum kube_lane {
	KUBE_LANE_ORDINARY = 0,	/* rate limited, queued for an inflight slot */
	KUBE_LANE_PRIORITY,	/* neither (leader election) */
};

int kube_get(struct kube_client *c, const struct kube_resource *r,
    kube_done_fn done, void *data, struct kube_request **out, struct err *e);
/* kube_get on the given lane. */
int kube_get_lane(struct kube_client *c, const struct kube_resource *r,
    enum kube_lane lane, kube_done_fn done, void *data,
    struct kube_request **out, struct err *e);

struct kube_list_opts {
	const char *label_selector;	/* e.g. "app=x,tier in (a,b)" */
	const char *field_selector;
	unsigned limit;			/* page size; 0: server default (all) */
	const char *continue_token;	/* from the previous page */
	const char *resource_version;	/* NULL: most recent (quorum read) */
	const char *resource_version_match;	/* "NotOlderThan", "Exact" */
};

/* One page: obj is the list (items, metadata.continue,
 * metadata.resourceVersion). Items carry no apiVersion/kind. */
int kube_list(struct kube_client *c, const struct kube_resource *r,
    const struct kube_list_opts *o, kube_done_fn done, void *data,
    struct kube_request **out, struct err *e);

/*
 * Every page (o->limit items each, default 500), handing each item to
 * on_item as its page arrives, so memory stays one page. Then done with
 * obj = the last page's list without its items ({"metadata":
 * {"resourceVersion": ...}, ...}), whose resourceVersion a watch starts
 * from. An expired continue token (410) fails the walk with KUBE_EAPI: the
 * caller restarts it (items already delivered stay delivered).
 */
int kube_list_all(struct kube_client *c, const struct kube_resource *r,
    const struct kube_list_opts *o, kube_item_fn on_item, kube_done_fn done,
    void *data, struct kube_request **out, struct err *e);

struct kube_watch_opts {
	const char *label_selector;
	const char *field_selector;
	const char *resource_version;	/* start after this version */
	unsigned timeout_seconds;	/* server closes after; 0: none */
	bool no_bookmarks;		/* default: allowWatchBookmarks=true */
};

/*
 * Streams watch events (ADDED, MODIFIED, DELETED, BOOKMARK) to on_event as
 * they arrive (bounded to opts.watch_line_max per event). An ERROR event is
 * not passed on: it ends the watch with KUBE_EAPI and its Status in st (410
 * Expired: re-list). A stream the server ends normally (timeoutSeconds)
 * completes with KUBE_OK and obj NULL. A stream silent for timeoutSeconds
 * + 30 s (330 s without timeoutSeconds) fails with KUBE_ENET (timed out):
 * resume from the last resourceVersion seen.
 */
int kube_watch(struct kube_client *c, const struct kube_resource *r,
    const struct kube_watch_opts *o, kube_event_fn on_event,
    kube_done_fn done, void *data, struct kube_request **out, struct err *e);

/* ---- writes: r->name and r->subresource select the object/part ---- */

struct kube_write_opts {
	const char *field_manager;	/* required for apply */
	bool force;			/* apply: take conflicting fields */
	bool dry_run;			/* dryRun=All */
	enum kube_lane lane;		/* default ordinary */
};

/* POST body to the collection (r->name NULL) or to a subresource. */
int kube_create(struct kube_client *c, const struct kube_resource *r,
    const json_t *body, const struct kube_write_opts *o, kube_done_fn done,
    void *data, struct kube_request **out, struct err *e);
/* PUT body (must carry metadata.resourceVersion for optimistic locking). */
int kube_update(struct kube_client *c, const struct kube_resource *r,
    const json_t *body, const struct kube_write_opts *o, kube_done_fn done,
    void *data, struct kube_request **out, struct err *e);
/*
 * Server-side apply: PATCH application/apply-patch+yaml (the JSON body is
 * YAML) with fieldManager and force. body must carry apiVersion, kind and
 * metadata.name. A conflict without force completes with KUBE_EAPI, code
 * 409, reason "Conflict", the message naming the other manager and fields.
 */
int kube_apply(struct kube_client *c, const struct kube_resource *r,
    const json_t *body, const struct kube_write_opts *o, kube_done_fn done,
    void *data, struct kube_request **out, struct err *e);
/* PATCH application/merge-patch+json (RFC 7386). */
int kube_patch_merge(struct kube_client *c, const struct kube_resource *r,
    const json_t *body, const struct kube_write_opts *o, kube_done_fn done,
    void *data, struct kube_request **out, struct err *e);
/* PATCH application/json-patch+json (RFC 6902): body is an array. */
int kube_patch_json(struct kube_client *c, const struct kube_resource *r,
    const json_t *body, const struct kube_write_opts *o, kube_done_fn done,
    void *data, struct kube_request **out, struct err *e);

struct kube_delete_opts {
	const char *propagation_policy;	/* "Background", "Foreground",
					 * "Orphan" or NULL */
	const char *precondition_uid;	/* fail with 409 if it differs */
	const char *precondition_resource_version;
	int64_t grace_period_seconds;	/* < 0: unset; 0 is immediate */
	bool dry_run;
};

/* DELETE; obj is what the server returned (the object while finalizers
 * hold it, or a Status). o may be NULL. */
int kube_delete(struct kube_client *c, const struct kube_resource *r,
    const struct kube_delete_opts *o, kube_done_fn done, void *data,
    struct kube_request **out, struct err *e);

/* ---- events ---- */

/*
 * A core/v1 Event, as Flux's recorder (client-go's record package) writes
 * them: named "<object name>.<unix nanoseconds in hex>" in the object's
 * namespace, involvedObject, reason, message, type, count 1,
 * first/lastTimestamp, source.component = reporting_controller,
 * reportingComponent/reportingInstance, and Flux's annotations
 * (e.g. "source.toolkit.fluxcd.io/revision"). Strings borrowed.
 */
struct kube_event {
	const char *api_version;	/* of the involved object */
	const char *kind;
	const char *namespace;
	const char *name;
	const char *uid;
	const char *resource_version;
	const char *type;		/* "Normal" or "Warning" */
	const char *reason;		/* e.g. "ReconciliationSucceeded" */
	const char *message;		/* truncated to 1024 bytes */
	const char *action;		/* optional */
	const char *reporting_controller;	/* e.g. "source-watcher" */
	const char *reporting_instance;		/* e.g. the pod name */
	const json_t *annotations;	/* object of strings, or NULL */
};

/* The Event object for ev at time now (ns since the epoch); caller owns.
 * NULL on allocation failure or when name/kind/reason is missing. */
json_t *kube_event_json(const struct kube_event *ev, int64_t now_ns);
/* Builds kube_event_json(ev, now) and creates it in ev->namespace
 * ("default" when the object is cluster-scoped). */
int kube_event_create(struct kube_client *c, const struct kube_event *ev,
    kube_done_fn done, void *data, struct kube_request **out, struct err *e);

#endif
