/*
 * kube_status: decoding of the Kubernetes `Status` objects the API server
 * returns with failed requests and in watch ERROR events (code, reason,
 * message), and turning them into one user-facing error message.
 * Pure; no allocation survives a call except the caller's struct err.
 */
#ifndef AG_KUBE_STATUS_H
#define AG_KUBE_STATUS_H

#include <stddef.h>

#include <jansson.h>

#include "base/err.h"

#define KUBE_REASON_MAX 64
#define KUBE_MESSAGE_MAX 512

struct kube_status {
	int code;			/* HTTP code; 0 when absent */
	char reason[KUBE_REASON_MAX];	/* e.g. "NotFound", "Expired" */
	char message[KUBE_MESSAGE_MAX];	/* the server's message, truncated */
};

/* Fills st from a decoded Status object; -1 if obj is not a Status. */
int kube_status_from_json(const json_t *obj, struct kube_status *st);

/*
 * Fills st from a response body (bounded to len bytes). A body that is not a
 * Status (an HTML error page, garbage, empty) still yields st->code =
 * http_code and a message quoting its first bytes, printable only.
 */
void kube_status_from_body(int http_code, const char *body, size_t len,
    struct kube_status *st);

/* "<verb> <what>: <reason> (<code>): <message>" into e; returns -1. */
int kube_status_err(struct err *e, const char *verb, const char *what,
    const struct kube_status *st);

/* True for statuses a client should retry after a delay (429, 5xx but 501). */
int kube_status_retryable(const struct kube_status *st);

#endif
