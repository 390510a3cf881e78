/*
 * metrics_ctl: the controller's metric set on one registry (see
 * struct ctl_metrics in metrics.h and the README's "Metrics and health"):
 *   controller-runtime's controller_runtime_* (label controller; the
 *     reconcile histogram with controller-runtime's buckets),
 *   client-go's workqueue_* as controller-runtime registers them (labels
 *     name and controller, both the controller's name; depth with an empty
 *     priority; durations in ExponentialBuckets(10e-9, 10, 12)),
 *   Flux's gotk_reconcile_duration_seconds (kind, name, namespace;
 *     ExponentialBuckets(10e-9, 10, 10), fluxcd/pkg/runtime/metrics),
 *   the process collector's process_*,
 *   ours, prefixed artifact_generator_.
 * Called by controller.c (init, free) and the instrumented modules.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/metrics.h"
#include "engine/build.h"
#include "net/http_server.h"

#define OURS "artifact_generator_"

/* controller-runtime's reconcile_time_seconds buckets. */
static const double reconcile_buckets[] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4,
	0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0,
	3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
};

static const char *const result_names[CTL_RESULTS] = {
	"success", "error", "requeue", "requeue_after",
};

struct reg {
	struct metrics *m;
	const char *ctl;
	struct err *e;
	bool failed;
};

static struct metric_family *
fam(struct reg *r, enum metric_type t, const char *name, const char *help,
    const char *labels, const double *b, size_t nb, unsigned max)
{
	struct metric_family *f;

	if (r->failed)
		return NULL;
	f = metrics_family_new(r->m, t, name, help, labels, b, nb, max, r->e);
	r->failed = f == NULL;
	return f;
}

/* A family with one series, its labels all the controller's name. */
static struct metric *
one(struct reg *r, enum metric_type t, const char *name, const char *help,
    const char *labels, const double *b, size_t nb)
{
	struct metric_family *f = fam(r, t, name, help, labels, b, nb, 0);
	struct metric *s;

	if (f == NULL)
		return NULL;
	if (labels == NULL)
		s = metric_family_with(f);
	else if (strchr(labels, ',') == NULL)
		s = metric_family_with(f, r->ctl);
	else if (strcmp(labels, "name,controller,priority") == 0)
		s = metric_family_with(f, r->ctl, r->ctl, "");
	else
		s = metric_family_with(f, r->ctl, r->ctl);
	if (s == NULL && !r->failed) {
		err_set(r->e, "metric %s: out of memory", name);
		r->failed = true;
	}
	return s;
}

static void
reg_runtime(struct ctl_metrics *cm, struct reg *r)
{
	struct metric_family *f;
	int i;

	f = fam(r, METRIC_COUNTER, "controller_runtime_reconcile_total",
	    "Total number of reconciliations per controller",
	    "controller,result", NULL, 0, 0);
	for (i = 0; i < CTL_RESULTS && f != NULL; i++)
		cm->reconcile_total[i] = metric_family_with(f, r->ctl,
		    result_names[i]);
	cm->reconcile_errors = one(r, METRIC_COUNTER,
	    "controller_runtime_reconcile_errors_total",
	    "Total number of reconciliation errors per controller",
	    "controller", NULL, 0);
	cm->terminal_errors = one(r, METRIC_COUNTER,
	    "controller_runtime_terminal_reconcile_errors_total",
	    "Total number of terminal reconciliation errors per controller",
	    "controller", NULL, 0);
	cm->reconcile_time = one(r, METRIC_HISTOGRAM,
	    "controller_runtime_reconcile_time_seconds",
	    "Length of time per reconciliation per controller", "controller",
	    reconcile_buckets,
	    sizeof(reconcile_buckets) / sizeof(reconcile_buckets[0]));
	cm->max_concurrent = one(r, METRIC_GAUGE,
	    "controller_runtime_max_concurrent_reconciles",
	    "Maximum number of concurrent reconciles per controller",
	    "controller", NULL, 0);
	cm->active_workers = one(r, METRIC_GAUGE,
	    "controller_runtime_active_workers",
	    "Number of currently used workers per controller", "controller",
	    NULL, 0);
}

static void
reg_workqueue(struct ctl_metrics *cm, struct reg *r)
{
	double b[12];

	metrics_exp_buckets(10e-9, 10, 12, b);
	cm->wq_depth = one(r, METRIC_GAUGE, "workqueue_depth",
	    "Current depth of workqueue by workqueue and priority",
	    "name,controller,priority", NULL, 0);
	cm->wq_adds = one(r, METRIC_COUNTER, "workqueue_adds_total",
	    "Total number of adds handled by workqueue", "name,controller",
	    NULL, 0);
	cm->wq_queue_duration = one(r, METRIC_HISTOGRAM,
	    "workqueue_queue_duration_seconds",
	    "How long in seconds an item stays in workqueue before being "
	    "requested", "name,controller", b, 12);
	cm->wq_work_duration = one(r, METRIC_HISTOGRAM,
	    "workqueue_work_duration_seconds",
	    "How long in seconds processing an item from workqueue takes.",
	    "name,controller", b, 12);
	cm->wq_unfinished = one(r, METRIC_GAUGE,
	    "workqueue_unfinished_work_seconds",
	    "How many seconds of work has been done that is in progress and "
	    "hasn't been observed by work_duration. Large values indicate "
	    "stuck threads. One can deduce the number of stuck threads by "
	    "observing the rate at which this increases.", "name,controller",
	    NULL, 0);
	cm->wq_longest = one(r, METRIC_GAUGE,
	    "workqueue_longest_running_processor_seconds",
	    "How many seconds has the longest running processor for "
	    "workqueue been running.", "name,controller", NULL, 0);
	cm->wq_retries = one(r, METRIC_COUNTER, "workqueue_retries_total",
	    "Total number of retries handled by workqueue", "name,controller",
	    NULL, 0);
}

static void
reg_ours(struct ctl_metrics *cm, struct reg *r)
{
	double b[10];

	metrics_exp_buckets(10e-9, 10, 10, b);
	cm->gotk_duration = fam(r, METRIC_HISTOGRAM,
	    "gotk_reconcile_duration_seconds",
	    "The duration in seconds of a GitOps Toolkit resource "
	    "reconciliation.", "kind,name,namespace", b, 10, 0);
	cm->built = one(r, METRIC_COUNTER, OURS "artifacts_built_total",
	    "Artifacts archived into storage (content changed).", NULL,
	    NULL, 0);
	cm->reused = one(r, METRIC_COUNTER, OURS "artifacts_reused_total",
	    "Artifacts built whose stored archive was reused unchanged.",
	    NULL, NULL, 0);
	cm->archived_bytes = one(r, METRIC_COUNTER,
	    OURS "archived_bytes_total",
	    "Bytes of tar.gz archives written into storage.", NULL, NULL, 0);
	cm->downloads = one(r, METRIC_COUNTER,
	    OURS "source_downloads_total",
	    "Source artifact downloads completed and verified.", NULL, NULL,
	    0);
	cm->download_failures = one(r, METRIC_COUNTER,
	    OURS "source_download_failures_total",
	    "Source artifact downloads that failed after their retries.",
	    NULL, NULL, 0);
	cm->download_bytes = one(r, METRIC_COUNTER,
	    OURS "source_download_bytes_total",
	    "Bytes of source artifacts downloaded.", NULL, NULL, 0);
	cm->fetch_shared = one(r, METRIC_COUNTER,
	    OURS "source_fetch_shared_total",
	    "Source fetches answered by a download already done or in flight "
	    "for the same digest.", NULL, NULL, 0);
	cm->http_requests = fam(r, METRIC_COUNTER,
	    OURS "http_requests_total",
	    "HTTP responses by server (artifact, metrics, health) and status "
	    "code.", "server,code", NULL, 0, 256);
	cm->http_bytes = fam(r, METRIC_COUNTER,
	    OURS "http_response_bytes_total",
	    "Body bytes sent by server.", "server", NULL, 0, 16);
}

int
ctl_metrics_init(struct ctl_metrics *cm, const char *name, int concurrent,
    struct err *e)
{
	struct reg r = { .ctl = name, .e = e };

	memset(cm, 0, sizeof(*cm));
	r.m = cm->reg = metrics_new();
	if (r.m == NULL)
		return err_set(e, "metrics: out of memory");
	reg_runtime(cm, &r);
	reg_workqueue(cm, &r);
	reg_ours(cm, &r);
	if (r.failed || metrics_process_register(r.m, e) < 0) {
		ctl_metrics_free(cm);
		return -1;
	}
	metric_set(cm->max_concurrent, concurrent);
	return 0;
}

void
ctl_metrics_free(struct ctl_metrics *cm)
{
	metrics_free(cm->reg);
	memset(cm, 0, sizeof(*cm));
}

void
ctl_metrics_reconciled(const struct ctl_metrics *cm, enum ctl_result r,
    double seconds, const char *kind, const char *ns, const char *name)
{
	if (cm == NULL || r < 0 || r >= CTL_RESULTS)
		return;
	metric_inc(cm->reconcile_total[r]);
	if (r == CTL_ERROR)
		metric_inc(cm->reconcile_errors);
	metric_observe(cm->reconcile_time, seconds);
	metric_observe(metric_family_with(cm->gotk_duration, kind, name, ns),
	    seconds);
}

void
ctl_metrics_built(const struct ctl_metrics *cm,
    const struct artifact_record *recs, size_t n)
{
	size_t i;

	for (i = 0; cm != NULL && i < n; i++) {
		metric_inc(recs[i].reused ? cm->reused : cm->built);
		if (!recs[i].reused)
			metric_add(cm->archived_bytes, (double)recs[i].size);
	}
}

void
ctl_metrics_served(const struct ctl_metrics *cm, const char *server,
    int status, uint64_t bytes)
{
	char code[16];

	if (cm == NULL)
		return;
	snprintf(code, sizeof(code), "%d", status);
	metric_inc(metric_family_with(cm->http_requests, server, code));
	metric_add(metric_family_with(cm->http_bytes, server), (double)bytes);
}

/* The --metrics-addr handler: GET/HEAD /metrics in format 0.0.4. */
void
ctl_metrics_handle(void *data, struct http_req *req, struct http_res *res)
{
	const struct ctl_metrics *cm = data;
	struct err e;
	char *text;
	size_t len;

	if (strcmp(req->path, "/metrics") != 0) {
		http_res_simple(res, 404, "text/plain; charset=utf-8", NULL,
		    "404 page not found\n", 19);
		return;
	}
	if (strcmp(req->method, "GET") != 0 && !req->head) {
		http_res_simple(res, 405, "text/plain; charset=utf-8",
		    "Allow: GET, HEAD\r\n", "method not allowed\n", 19);
		return;
	}
	if (metrics_render(cm->reg, &text, &len, &e) < 0) {
		http_res_simple(res, 500, "text/plain; charset=utf-8", NULL,
		    e.msg, strlen(e.msg));
		return;
	}
	http_res_simple(res, 200, "text/plain; version=0.0.4; charset=utf-8",
	    NULL, text, len);
	free(text);
}

/* The servers' served callback (data: the ctl_metrics). */
void
ctl_metrics_on_served(void *data, const struct http_req *req, int status,
    uint64_t bytes, bool ok)
{
	(void)req;
	(void)ok;
	ctl_metrics_served(data, "artifact", status, bytes);
}
