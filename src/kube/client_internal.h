/*
 * kube_client internals shared by client.c (client lifecycle, request
 * engine: rate limit, send, retries, decoding, completion), verbs.c (the
 * public verbs, which build URLs and bodies) and event.c. Not for callers
 * outside src/kube.
 */
#ifndef AG_KUBE_CLIENT_INTERNAL_H
#define AG_KUBE_CLIENT_INTERNAL_H

#include <stdbool.h>

#include "kube/client.h"
#include "kube/url.h"

enum kube_call_kind {
	KUBE_CALL_ONE,		/* one request, one JSON response */
	KUBE_CALL_LIST_ALL,	/* pages until metadata.continue is empty */
	KUBE_CALL_WATCH,	/* streamed events */
	KUBE_CALL_PROBE,	/* any 2xx body; response headers inspected */
};

/* What a verb asks of the engine; borrowed for kube_call_start only. */
struct kube_call {
	enum kube_call_kind kind;
	const char *verb;		/* "get", "apply", ... (static) */
	const char *method;		/* "GET", "PATCH", ... (static) */
	const struct kube_resource *r;
	const json_t *body;		/* serialized now; NULL: no body */
	const char *content_type;	/* static */
	bool idempotent;		/* 5xx and transport errors retried */
	enum kube_lane lane;
	const char *what;		/* for messages; NULL: from r */
	unsigned watch_timeout_s;	/* the watch's timeoutSeconds */
	kube_done_fn done;
	kube_item_fn on_item;
	kube_event_fn on_event;
	void *data;
	struct kube_request **out;
};

/* Starts call at url (taken: freed whatever the outcome). */
int kube_call_start(struct kube_client *c, const struct kube_call *call,
    struct kube_buf *url, struct err *e);

#endif
