/*
 * metrics: a small Prometheus registry on the loop thread: counters,
 * gauges and histograms with up to METRICS_LABELS_MAX labels, rendered in
 * the text exposition format 0.0.4 into a bounded buffer.
 *
 *  - a family (name, help, type, label names, histogram buckets) holds
 *    series, one per distinct tuple of label values, created on first use
 *    and kept in creation order; at most max_series per family (bounded
 *    label cardinality): a tuple beyond it gets NULL, and the refusal is
 *    counted in metrics_series_dropped_total{family};
 *  - every update function takes a series that may be NULL and then does
 *    nothing, so instrumented code calls them in one line whether metrics
 *    are on or not (unit tests of other modules pass no registry);
 *  - collect hooks run first in metrics_render, for values read on demand
 *    (queue depth, process metrics from /proc/self);
 *  - numbers are printed as Go's strconv 'g' -1 prints them (client_golang's
 *    text format), so `le` labels read as Prometheus' own controllers write
 *    them (0.005, 1e-08, +Inf).
 *
 * The controller's own set (controller-runtime's, the workqueue's, Flux's
 * gotk_reconcile_duration_seconds, the process collector's and ours) is
 * struct ctl_metrics at the bottom (metrics_ctl.c); the README lists them.
 *
 * Who calls it: controller.c creates the registry and serves the rendering
 * on --metrics-addr; queue, fetch, build and the artifact server count
 * through ctl_metrics. Loop thread only; nothing locks.
 *
 * Ownership: metrics_new returns the registry; metrics_free frees it with
 * every family and series (series pointers become invalid). metrics_render
 * returns a malloc'd buffer the caller frees.
 */
#ifndef AG_CONTROLLER_METRICS_H
#define AG_CONTROLLER_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define METRICS_LABELS_MAX	4
#define METRICS_BUCKETS_MAX	48
#define METRICS_SERIES_MAX	4096		/* default per family */
#define METRICS_LABEL_MAX	256		/* bytes of a label value */
#define METRICS_HOOKS_MAX	8
#define METRICS_OUT_MAX		(8u << 20)	/* bytes of one rendering */

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

struct metrics;
struct metric_family;
struct metric;		/* one series */

typedef void (*metrics_collect_fn)(void *data, struct metrics *m);

struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);

/*
 * A family. labels: label names separated by commas ("" or NULL: none).
 * Histograms take nbuckets upper bounds in increasing order (+Inf is
 * implicit). max_series 0: METRICS_SERIES_MAX. NULL with e set on a bad
 * name, label, bucket list, a duplicate name or OOM.
 */
struct metric_family *metrics_family_new(struct metrics *m,
    enum metric_type type, const char *name, const char *help,
    const char *labels, const double *buckets, size_t nbuckets,
    unsigned max_series, struct err *e);

/* The series of the given label values (as many as the family has labels,
 * passed as const char *), created on first use. NULL when f is NULL, the
 * family is full (counted), a value is over METRICS_LABEL_MAX or on OOM. */
struct metric *metric_family_with(struct metric_family *f, ...);
/* Removes that series if present (e.g. a deleted generator's). */
void metric_family_remove(struct metric_family *f, ...);
/* Series in the family now. */
size_t metric_family_len(const struct metric_family *f);

void metric_inc(struct metric *s);
void metric_add(struct metric *s, double v);	/* counters: v >= 0 */
/* Gauges; also counters a collect hook reads from elsewhere. */
void metric_set(struct metric *s, double v);
void metric_observe(struct metric *s, double v);	/* histograms */
double metric_value(const struct metric *s);	/* sum for histograms */
uint64_t metric_count(const struct metric *s);	/* histogram count */

/* Runs fn(data, m) at the start of every rendering. -1 when full. */
int metrics_on_collect(struct metrics *m, metrics_collect_fn fn, void *data);
/* The same; metrics_free frees data (malloc'd) with the registry. */
int metrics_on_collect_owned(struct metrics *m, metrics_collect_fn fn,
    void *data);

/* Renders every family (collect hooks first) into *out (malloc'd, NUL-
 * terminated, *len bytes). -1 with e set beyond METRICS_OUT_MAX or OOM. */
int metrics_render(struct metrics *m, char **out, size_t *len,
    struct err *e);

/* n bounds start * factor^i, computed as client_golang does (repeated
 * multiplication) so the values print identically. */
void metrics_exp_buckets(double start, double factor, size_t n, double *out);

/* Go's strconv.FormatFloat(v, 'g', -1, 64), with "+Inf", "-Inf", "NaN". */
void metrics_format_float(double v, char buf[32]);

/* The process collector's gauges (resident and virtual memory, CPU, open
 * and max fds, start time) from /proc/self, refreshed at each rendering.
 * -1 with e set on OOM. */
int metrics_process_register(struct metrics *m, struct err *e);

/* ---- the controller's metrics (metrics_ctl.c) ---- */

enum ctl_result { CTL_SUCCESS, CTL_ERROR, CTL_REQUEUE, CTL_REQUEUE_AFTER,
	CTL_RESULTS };

/* Series the instrumented modules update; every pointer may be NULL. */
struct ctl_metrics {
	struct metrics *reg;
	/* controller-runtime, label controller */
	struct metric *reconcile_total[CTL_RESULTS];
	struct metric *reconcile_errors, *terminal_errors;
	struct metric *reconcile_time, *max_concurrent, *active_workers;
	/* client-go's workqueue, labels name and controller */
	struct metric *wq_depth, *wq_adds, *wq_retries;
	struct metric *wq_queue_duration, *wq_work_duration;
	struct metric *wq_unfinished, *wq_longest;
	/* Flux runtime: kind, name, namespace */
	struct metric_family *gotk_duration;
	/* ours */
	struct metric *built, *reused, *archived_bytes;
	struct metric *downloads, *download_failures, *download_bytes;
	struct metric *fetch_shared;
	struct metric_family *http_requests;	/* server, code */
	struct metric_family *http_bytes;	/* server */
};

/* Registers the whole set on a new registry (process collector included)
 * for controller `name` with `concurrent` workers. -1 with e set. */
int ctl_metrics_init(struct ctl_metrics *cm, const char *name, int concurrent,
    struct err *e);
void ctl_metrics_free(struct ctl_metrics *cm);

/* One reconcile ended after `seconds`: controller-runtime's counters and
 * histogram, and gotk_reconcile_duration_seconds of kind/ns/name. */
void ctl_metrics_reconciled(const struct ctl_metrics *cm, enum ctl_result r,
    double seconds, const char *kind, const char *ns, const char *name);
/* Build records of one reconcile: built (archived, bytes) or reused. */
struct artifact_record;
void ctl_metrics_built(const struct ctl_metrics *cm,
    const struct artifact_record *recs, size_t n);
/* A response of an HTTP server ("artifact", "metrics", "health"). */
void ctl_metrics_served(const struct ctl_metrics *cm, const char *server,
    int status, uint64_t bytes);

/* The --metrics-addr handler (data: the ctl_metrics): GET /metrics. */
struct http_req;
struct http_res;
void ctl_metrics_handle(void *data, struct http_req *req,
    struct http_res *res);
/* An http_served_cb for the artifact server: requests by code, bytes. */
void ctl_metrics_on_served(void *data, const struct http_req *req,
    int status, uint64_t bytes, bool ok);

#endif
