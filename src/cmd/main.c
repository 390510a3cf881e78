/*
 * main: parses flags, wires the modules together and runs the loop.
 *
 * Flags and environment (config), logging (log), one startup line with the
 * effective settings, then the controller (controller/controller.h) until
 * SIGTERM/SIGINT; --dry-run goes to cmd/dryrun instead. Exit codes: 0
 * success or --help, 1 runtime failure, 2 usage error (one line on stderr
 * naming the flag and the problem). Only main prints usage errors and
 * exits; the modules report through struct err.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/config.h"
#include "cmd/dryrun.h"
#include "controller/controller.h"
#include "controller/pool_size.h"
#include "base/digest.h"
#include "base/log.h"

#define PROG "artifact-generator"

extern char **environ;

/* Turns the validated enum strings into logger settings and starts it. */
static int
main_log_start(const struct config *cfg, struct err *e)
{
	enum log_encoding encoding;
	enum log_level level;

	if (log_level_parse(cfg->log_level, &level, e) < 0 ||
	    log_encoding_parse(cfg->log_encoding, &encoding, e) < 0)
		return -1;
	log_init(level, encoding, stderr);
	return 0;
}

/* The controller's settings from the flags (durations stay ns). */
static int
main_controller_opts(const struct config *cfg, struct controller_opts *o,
    struct err *e)
{
	const char *ns = getenv("RUNTIME_NAMESPACE");

	memset(o, 0, sizeof(*o));
	if (digest_algo_parse(cfg->artifact_digest_algo, &o->algo, e) < 0)
		return err_prefix(e, "--artifact-digest-algo");
	if (!cfg->watch_all_namespaces && (ns == NULL || ns[0] == '\0'))
		return err_set(e, "--watch-all-namespaces=false: "
		    "RUNTIME_NAMESPACE is not set");
	o->kubeconfig = cfg->kubeconfig;
	o->kube_context = cfg->kube_context;
	o->kube_api_qps = cfg->kube_api_qps;
	o->kube_api_burst = cfg->kube_api_burst;
	o->storage_path = cfg->storage_path;
	o->storage_adv_addr = cfg->storage_adv_addr;
	o->storage_addr = cfg->storage_addr;
	o->retention_ttl = cfg->artifact_retention_ttl;
	o->retention_records = cfg->artifact_retention_records;
	o->concurrent = cfg->concurrent;
	o->http_retry = cfg->http_retry;
	o->reconciliation_timeout = cfg->reconciliation_timeout;
	o->requeue_dependency = cfg->requeue_dependency;
	o->min_retry_delay = cfg->min_retry_delay;
	o->max_retry_delay = cfg->max_retry_delay;
	o->jitter_percent = cfg->interval_jitter_percentage;
	o->no_cross_namespace_refs = cfg->no_cross_namespace_refs;
	o->direct_source_fetch = cfg->feature_direct_source_fetch;
	o->watch_namespace = cfg->watch_all_namespaces ? NULL : ns;
	o->watch_label_selector = cfg->watch_label_selector;
	o->events_addr = cfg->events_addr;
	o->metrics_addr = cfg->metrics_addr;
	o->health_addr = cfg->health_addr;
	o->instance = getenv("HOSTNAME");
	o->leader_election = cfg->enable_leader_election;
	o->leader_release_on_cancel = cfg->leader_election_release_on_cancel;
	o->leader_lease_duration = cfg->leader_election_lease_duration;
	o->leader_renew_deadline = cfg->leader_election_renew_deadline;
	o->leader_retry_period = cfg->leader_election_retry_period;
	o->leader_namespace = ns;
	o->envp = environ;
	return 0;
}

int
main(int argc, char **argv)
{
	struct controller_opts copts;
	struct config cfg;
	struct err e;
	json_t *fields;
	int rc;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--dry-run") == 0)
			return dryrun_main(argc, argv, stdout, stderr);
	/* before any uv work: libuv sizes its pool once (pool_size.h) */
	if (controller_pool_size_set(0) < 0) {
		fprintf(stderr, PROG ": set UV_THREADPOOL_SIZE: out of memory\n");
		return 1;
	}
	rc = config_parse(&cfg, argc, argv, environ, &e);
	if (rc == CONFIG_HELP) {
		config_help(stdout);
		config_free(&cfg);
		return 0;
	}
	if (rc < 0 || main_log_start(&cfg, &e) < 0) {
		fprintf(stderr, PROG ": %s\n", e.msg);
		config_free(&cfg);
		return 2;
	}
	fields = config_json(&cfg);
	log_fields(LOG_INFO, "setup", NULL, "starting " PROG, fields);
	json_decref(fields);
	if (main_controller_opts(&cfg, &copts, &e) < 0) {
		fprintf(stderr, PROG ": %s\n", e.msg);
		config_free(&cfg);
		return 2;
	}
	rc = controller_run(&copts, &e) < 0 ? 1 : 0;
	if (rc != 0)
		log_msg(LOG_ERROR, "setup", e.msg, "controller failed", NULL);
	config_free(&cfg);
	return rc;
}
