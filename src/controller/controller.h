/*
 * controller: the ArtifactGenerator controller's wiring on one uv loop:
 * kubeconfig -> kube client (API Priority and Fairness probe first) -> an
 * HTTP client and the fetch cache -> storage (temp files and build staging
 * removed before the first reconcile) -> build slots -> the work queue ->
 * informers (generators, the five Flux source kinds, the ExternalArtifacts
 * it publishes) whose handlers turn changes into queue keys -> reconcile.c.
 *
 * Informers watch every namespace, or only $RUNTIME_NAMESPACE with
 * --watch-all-namespaces=false; --watch-label-selector selects generators.
 * No reconcile starts before every informer has listed once.
 *
 * SIGTERM/SIGINT: the queue takes no more work and cancels the reconciles
 * in flight at their next safe point (a write in flight completes or is
 * cancelled; files are only ever renamed into place), then everything is
 * closed and controller_run returns 0; a 10 s guard stops the loop anyway.
 *
 * --enable-leader-election: a Lease "source-watcher-leader-election" (with
 * --watch-label-selector, suffixed with a hash of it, as Flux names it) in
 * $RUNTIME_NAMESPACE, else the kubeconfig's namespace (kube/leader.h).
 * Informers list and watch meanwhile; reconciles start only once this
 * instance leads. Losing the lease exits the process with status 1 at once,
 * before any other callback can write (controller-runtime skips graceful
 * shutdown too); SIGTERM drains, then releases the lease
 * (--leader-election-release-on-cancel) so a standby takes over at its next
 * try.
 *
 * Called by main; owns everything it creates and frees it before return.
 */
#ifndef AG_CONTROLLER_CONTROLLER_H
#define AG_CONTROLLER_CONTROLLER_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "base/digest.h"

#define CONTROLLER_NAME "source-watcher"
#define CONTROLLER_SHUTDOWN_MS 10000
/* At exit, after the last reconcile: how long what was destroyed may take
 * to close its connections and free itself (normally a few ms). */
#define CONTROLLER_DRAIN_MS 1000

/* The settings, from cmd/config's flags (main translates; durations ns). */
struct controller_opts {
	const char *kubeconfig, *kube_context;
	double kube_api_qps;
	int kube_api_burst;
	const char *storage_path, *storage_adv_addr;
	const char *storage_addr;	/* the artifact server listens here */
	enum digest_algo algo;
	int64_t retention_ttl;
	int retention_records;
	int concurrent;
	int http_retry;
	int64_t reconciliation_timeout, requeue_dependency;
	int64_t min_retry_delay, max_retry_delay;
	int jitter_percent;
	bool no_cross_namespace_refs;
	bool direct_source_fetch;	/* --feature-gates=DirectSourceFetch */
	const char *watch_namespace;	/* NULL or "": all */
	const char *watch_label_selector;
	const char *events_addr;
	const char *metrics_addr, *health_addr;	/* NULL, "" or "0": off */
	const char *instance;		/* $HOSTNAME, the pod name */
	bool leader_election;
	bool leader_release_on_cancel;
	int64_t leader_lease_duration, leader_renew_deadline;
	int64_t leader_retry_period;
	const char *leader_namespace;	/* NULL or "": the kubeconfig's */
	char *const *envp;
};

/* Runs until a signal: 0, or -1 with e when startup failed. */
int controller_run(const struct controller_opts *o, struct err *e);

#endif
