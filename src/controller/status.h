/*
 * status: the generator status the reconcile writes, composed with Flux's
 * semantics (fluxcd/pkg/runtime/conditions as source-watcher uses it):
 * setting a condition stamps the object's generation as its
 * observedGeneration and keeps lastTransitionTime when the status (True,
 * False, Unknown) did not change; MarkReconciling removes Stalled,
 * MarkStalled removes Reconciling; the summary at the end of a reconcile
 * turns Reconciling's reason into ProgressingWithRetry when Ready is False
 * and drops Reconciling when Ready or Stalled is True.
 *
 * Also observedSourcesDigest exactly as source-watcher's
 * HashObservedSources: "sha256:" + hex(sha256(join(sort(
 * "<alias>=[digest=<d>,revision=<r>,url=<u>]"), "|"))), and the JSON of a
 * status for the merge patch of the status subresource; two statuses that
 * give the same JSON need no write.
 *
 * Pure (no clock: callers pass now in unix seconds); called by reconcile.c.
 * A gen_status owns its strings (gen_status_free, gen_obj.h).
 */
#ifndef AG_CONTROLLER_STATUS_H
#define AG_CONTROLLER_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "base/digest.h"
#include "controller/gen_obj.h"

#define MSG_IN_PROGRESS "Reconciliation in progress"
#define MSG_DISABLED "Reconciliation is disabled"
/* Ready's message on success (%zu: the artifact count); the same message
 * for one artifact, the most common, which projections share (gen_obj). */
#define MSG_SUCCEEDED_FMT "reconciliation succeeded, generated %zu artifact(s)"
#define MSG_SUCCEEDED_ONE "reconciliation succeeded, generated 1 artifact(s)"
#define REASON_SUCCEEDED "Succeeded"
#define REASON_PROGRESSING "Progressing"
#define REASON_PROGRESSING_RETRY "ProgressingWithRetry"
#define REASON_SOURCE_FETCH_FAILED "SourceFetchFailed"
#define REASON_BUILD_FAILED "BuildFailed"
#define REASON_RECONCILIATION_FAILED "ReconciliationFailed"
#define REASON_VALIDATION_FAILED "ValidationFailed"
#define REASON_ACCESS_DENIED "AccessDenied"
#define REASON_DISABLED "ReconciliationDisabled"

/* What a generator observed of one source. */
struct observed_source {
	const char *alias;
	const char *digest;
	const char *revision;
	const char *url;
};

/* observedSourcesDigest of src[0..n) into out. -1 on OOM. */
int status_sources_digest(const struct observed_source *src, size_t n,
    char out[DIGEST_STRING_MAX]);

/* Deep copy (dst is overwritten). -1 on OOM (dst then empty). */
int gen_status_copy(struct gen_status *dst, const struct gen_status *src);

/* Sets condition t (see the top comment). -1 on OOM. */
int status_cond_set(struct gen_status *st, enum gen_cond_type t,
    const char *status, const char *reason, const char *message,
    int64_t generation, int64_t now);
void status_cond_delete(struct gen_status *st, enum gen_cond_type t);
/* MarkReconciling (Reconciling True, Stalled removed) and MarkStalled
 * (Stalled True, Reconciling removed). */
int status_mark_reconciling(struct gen_status *st, const char *reason,
    const char *message, int64_t generation, int64_t now);
int status_mark_stalled(struct gen_status *st, const char *reason,
    const char *message, int64_t generation, int64_t now);
/* The end-of-reconcile summary (source-watcher's summarizeStatus). */
void status_summarize(struct gen_status *st);
/* True when condition t has status s. */
bool status_cond_is(const struct gen_status *st, enum gen_cond_type t,
    const char *s);

/* The status object (new reference; NULL on OOM). */
json_t *status_json(const struct gen_status *st);
/* True when a and b give the same status JSON (no write needed). */
bool status_equal(const struct gen_status *a, const struct gen_status *b);
/* "YYYY-MM-DDTHH:MM:SSZ" of now into out. */
void status_rfc3339(int64_t now, char out[32]);

#endif
