/*
 * config: the flag table of the controller (the parser that reads it is
 * config_table.c; see config.h). main calls config_parse once at startup; tests
 * drive config_table_parse with tables of their own.
 *
 * Adding a flag is one row in config_flags plus its field in struct config:
 * defaults, environment fallback, --help, errors and the startup log all
 * come from the row.
 */
#include "cmd/config.h"
#include "cmd/config_int.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/digest.h"
#include "base/duration.h"
#include "base/log.h"

#define FIELD(f) offsetof(struct config, f)

/* Names, variables, defaults and help as in Flux (fluxcd/pkg artifact/config
 * and runtime/logger, used by source-watcher v2.2). */
static const struct config_flag config_flags[] = {
	{ "storage-path", 0, "STORAGE_PATH", CONFIG_STRING, "/data", NULL,
	  "The path to the directory where artifacts will be stored.",
	  FIELD(storage_path) },
	{ "storage-addr", 0, "STORAGE_ADDRESS", CONFIG_STRING, ":9090", NULL,
	  "The address the artifact server will bind to.",
	  FIELD(storage_addr) },
	{ "storage-adv-addr", 0, "STORAGE_ADV_ADDR", CONFIG_STRING, NULL, NULL,
	  "The in-cluster address the artifact server will advertise to "
	  "clients. When empty: localhost:<port> for an empty host, "
	  "$HOSTNAME:<port> for 0.0.0.0.",
	  FIELD(storage_adv_addr) },
	{ "artifact-retention-ttl", 0, NULL, CONFIG_DURATION, "1m", NULL,
	  "The duration after which stale artifacts are garbage collected.",
	  FIELD(artifact_retention_ttl) },
	{ "artifact-retention-records", 0, NULL, CONFIG_INT, "2", NULL,
	  "The maximum number of artifacts to be kept in storage after a "
	  "garbage collection.",
	  FIELD(artifact_retention_records) },
	{ "artifact-digest-algo", 0, NULL, CONFIG_ENUM, "sha256",
	  digest_algo_names,
	  "The hashing algorithm used to calculate the digest of artifacts.",
	  FIELD(artifact_digest_algo) },
	{ "log-level", 0, NULL, CONFIG_ENUM, "info", log_level_values,
	  "Log verbosity level.",
	  FIELD(log_level) },
	{ "log-encoding", 0, NULL, CONFIG_ENUM, "json", log_encoding_values,
	  "Log encoding format.",
	  FIELD(log_encoding) },
	/* controller-runtime's flag; $KUBECONFIG (first file), in-cluster
	 * and ~/.kube/config are tried by kube_config_resolve when unset. */
	{ "kubeconfig", 0, NULL, CONFIG_STRING, NULL, NULL,
	  "Paths to a kubeconfig. Only required if out-of-cluster.",
	  FIELD(kubeconfig) },
	{ "kube-context", 0, NULL, CONFIG_STRING, NULL, NULL,
	  "The kubeconfig context to use instead of its current-context.",
	  FIELD(kube_context) },
	/* fluxcd/pkg/runtime/client. */
	{ "kube-api-qps", 0, NULL, CONFIG_FLOAT, "50", NULL,
	  "The maximum queries-per-second of requests sent to the "
	  "Kubernetes API.",
	  FIELD(kube_api_qps) },
	{ "kube-api-burst", 0, NULL, CONFIG_INT, "300", NULL,
	  "The maximum burst queries-per-second of requests sent to the "
	  "Kubernetes API.",
	  FIELD(kube_api_burst) },
	/* source-watcher's cmd/main.go. */
	{ "concurrent", 0, NULL, CONFIG_INT, "10", NULL,
	  "The number of concurrent resource reconciles.",
	  FIELD(concurrent) },
	{ "metrics-addr", 0, NULL, CONFIG_STRING, ":8080", NULL,
	  "The address the metric endpoint binds to.",
	  FIELD(metrics_addr) },
	{ "health-addr", 0, NULL, CONFIG_STRING, ":9440", NULL,
	  "The address the health endpoint binds to.",
	  FIELD(health_addr) },
	{ "events-addr", 0, NULL, CONFIG_STRING, NULL, NULL,
	  "The address of the events receiver.",
	  FIELD(events_addr) },
	{ "http-retry", 0, NULL, CONFIG_INT, "9", NULL,
	  "The maximum number of retries when failing to fetch artifacts "
	  "over HTTP.",
	  FIELD(http_retry) },
	{ "reconciliation-timeout", 0, NULL, CONFIG_DURATION, "10m", NULL,
	  "The maximum duration of a reconciliation.",
	  FIELD(reconciliation_timeout) },
	{ "requeue-dependency", 0, NULL, CONFIG_DURATION, "5s", NULL,
	  "The interval at which failing dependencies are reevaluated.",
	  FIELD(requeue_dependency) },
	/* fluxcd/pkg/runtime/acl. */
	{ "no-cross-namespace-refs", 0, NULL, CONFIG_BOOL, "false", NULL,
	  "When set to true, references between custom resources are "
	  "allowed only if the reference and the referee are in the same "
	  "namespace.",
	  FIELD(no_cross_namespace_refs) },
	/* fluxcd/pkg/runtime/features; gates as in internal/features. */
	{ "feature-gates", 0, NULL, CONFIG_LIST, NULL, NULL,
	  "A comma separated list of key=value pairs defining the state of "
	  "experimental features. Supported: DirectSourceFetch (default "
	  "false).",
	  FIELD(feature_gates) },
	/* fluxcd/pkg/runtime/jitter. */
	{ "interval-jitter-percentage", 0, NULL, CONFIG_INT, "5", NULL,
	  "Percentage of jitter to apply to interval durations. A value of "
	  "10 will apply a jitter of +/-10% to the interval duration. It "
	  "cannot be negative, and must be less than 100.",
	  FIELD(interval_jitter_percentage) },
	/* fluxcd/pkg/runtime/leaderelection. */
	{ "enable-leader-election", 0, NULL, CONFIG_BOOL, "false", NULL,
	  "Enable leader election for controller manager. Enabling this "
	  "will ensure there is only one active controller manager.",
	  FIELD(enable_leader_election) },
	{ "leader-election-release-on-cancel", 0, NULL, CONFIG_BOOL, "true",
	  NULL,
	  "Defines if the leader should step down voluntarily on controller "
	  "manager shutdown.",
	  FIELD(leader_election_release_on_cancel) },
	{ "leader-election-lease-duration", 0, NULL, CONFIG_DURATION, "35s",
	  NULL,
	  "Interval at which non-leader candidates will wait to force "
	  "acquire leadership (duration string).",
	  FIELD(leader_election_lease_duration) },
	{ "leader-election-renew-deadline", 0, NULL, CONFIG_DURATION, "30s",
	  NULL,
	  "Duration that the leading controller manager will retry "
	  "refreshing leadership before giving up (duration string).",
	  FIELD(leader_election_renew_deadline) },
	{ "leader-election-retry-period", 0, NULL, CONFIG_DURATION, "5s", NULL,
	  "Duration the LeaderElector clients should wait between tries of "
	  "actions (duration string).",
	  FIELD(leader_election_retry_period) },
	/* fluxcd/pkg/runtime/controller: rate limiter and watch options. */
	{ "min-retry-delay", 0, NULL, CONFIG_DURATION, "750ms", NULL,
	  "The minimum amount of time for which an object being reconciled "
	  "will have to wait before a retry.",
	  FIELD(min_retry_delay) },
	{ "max-retry-delay", 0, NULL, CONFIG_DURATION, "15m", NULL,
	  "The maximum amount of time for which an object being reconciled "
	  "will have to wait before a retry.",
	  FIELD(max_retry_delay) },
	{ "watch-all-namespaces", 0, NULL, CONFIG_BOOL, "true", NULL,
	  "Watch for resources in all namespaces, if set to false it will "
	  "only watch the runtime namespace.",
	  FIELD(watch_all_namespaces) },
	{ "watch-label-selector", 0, NULL, CONFIG_STRING, NULL, NULL,
	  "Watch for resources with matching labels e.g. "
	  "'sharding.fluxcd.io/shard=shard1'.",
	  FIELD(watch_label_selector) },
	{ "watch-configs-label-selector", 0, NULL, CONFIG_STRING,
	  "reconcile.fluxcd.io/watch=Enabled", NULL,
	  "Watch for ConfigMaps and Secrets with matching labels.",
	  FIELD(watch_configs_label_selector) },
};

#define NFLAGS (sizeof(config_flags) / sizeof(config_flags[0]))

/*
 * Go's net.SplitHostPort: host (malloc'd, brackets removed) and port (a
 * pointer into addr), or -1 with the reason in e.
 */
static int
hostport_split(const char *addr, char **host, const char **port,
    struct err *e)
{
	const char *colon = strrchr(addr, ':'), *close, *hstart, *j, *k;
	size_t hlen;

	if (colon == NULL)
		return err_set(e, "missing port in address");
	if (addr[0] == '[') {
		close = strchr(addr, ']');
		if (close == NULL)
			return err_set(e, "missing ']' in address");
		if (close[1] == '\0')
			return err_set(e, "missing port in address");
		if (close + 1 != colon)
			return err_set(e, close[1] == ':' ?
			    "too many colons in address" :
			    "missing port in address");
		hstart = addr + 1;
		hlen = (size_t)(close - hstart);
		j = addr + 1;
		k = close + 1;
	} else {
		hstart = addr;
		hlen = (size_t)(colon - addr);
		if (memchr(addr, ':', hlen) != NULL)
			return err_set(e, "too many colons in address");
		j = k = addr;
	}
	if (strchr(j, '[') != NULL)
		return err_set(e, "unexpected '[' in address");
	if (strchr(k, ']') != NULL)
		return err_set(e, "unexpected ']' in address");
	*host = strndup(hstart, hlen);
	if (*host == NULL)
		return err_set(e, "out of memory");
	*port = colon + 1;
	return 0;
}

int
config_adv_addr_derive(const char *storage_addr, const char *hostname,
    char **out, struct err *e)
{
	char q[CONFIG_QUOTE_BUF], hostbuf[HOST_NAME_MAX + 1];
	const char *port = NULL, *h;
	char *host;
	int rc;

	if (hostport_split(storage_addr, &host, &port, e) < 0)
		return err_prefix(e, "%s is not a host:port address",
		    config_quote(storage_addr, q));
	h = host;
	if (*host == '\0') {
		h = "localhost";
	} else if (strcmp(host, "0.0.0.0") == 0) {
		h = hostname;
		if (h == NULL || *h == '\0') {
			if (gethostname(hostbuf, sizeof(hostbuf)) != 0) {
				free(host);
				return err_sys(e, errno, "0.0.0.0 specified in "
				    "storage address but the hostname is "
				    "unavailable");
			}
			hostbuf[sizeof(hostbuf) - 1] = '\0';
			h = hostbuf;
		}
	}
	rc = asprintf(out, strchr(h, ':') != NULL ? "[%s]:%s" : "%s:%s", h,
	    port);
	free(host);
	if (rc < 0) {
		*out = NULL;
		return err_set(e, "out of memory");
	}
	return 0;
}

/* ---- checks after parsing ---- */

/* One "Name=bool" pair of --feature-gates (spaces around either part are
 * trimmed, as Kubernetes' MapStringBool does). */
static int
feature_gate_set(struct config *cfg, char *pair, struct err *e)
{
	char q[CONFIG_QUOTE_BUF], *eq, *k, *v, *end;

	eq = strchr(pair, '=');
	if (eq == NULL)
		return err_set(e, "missing bool value for %s",
		    config_quote(pair, q));
	*eq = '\0';
	for (k = pair; *k == ' '; k++)
		;
	for (end = eq; end > k && end[-1] == ' '; end--)
		*(end - 1) = '\0';
	for (v = eq + 1; *v == ' '; v++)
		;
	for (end = v + strlen(v); end > v && end[-1] == ' '; end--)
		*(end - 1) = '\0';
	if (strcmp(k, "DirectSourceFetch") != 0)
		return err_set(e, "feature-gate %s not supported",
		    config_quote(k, q));
	if (config_bool_parse(v, &cfg->feature_direct_source_fetch) < 0)
		return err_set(e, "invalid value of %s=%s: not a boolean", k,
		    config_quote(v, q));
	return 0;
}

/* Every --feature-gates value, in order: a later pair wins. */
static int
feature_gates_apply(struct config *cfg, struct err *e)
{
	char *copy, *pair, *save = NULL;
	size_t i;
	int rc = 0;

	cfg->feature_direct_source_fetch = false;
	for (i = 0; i < cfg->feature_gates.len && rc == 0; i++) {
		copy = strdup(cfg->feature_gates.items[i]);
		if (copy == NULL)
			return err_set(e, "out of memory");
		for (pair = strtok_r(copy, ",", &save); pair != NULL &&
		    rc == 0; pair = strtok_r(NULL, ",", &save))
			rc = feature_gate_set(cfg, pair, e);
		free(copy);
	}
	return rc < 0 ? err_prefix(e, "--feature-gates") : 0;
}

/* The ranges the controller needs (Flux checks the jitter alone; a zero
 * --concurrent or inverted retry delays would stall the work queue). */
static int
ranges_check(const struct config *cfg, struct err *e)
{
	char a[DURATION_FMT_MAX], b[DURATION_FMT_MAX];

	if (cfg->concurrent < 1)
		return err_set(e, "--concurrent: %d is out of range (at least "
		    "1)", cfg->concurrent);
	if (cfg->http_retry < 0)
		return err_set(e, "--http-retry: %d is out of range (at least "
		    "0)", cfg->http_retry);
	if (cfg->interval_jitter_percentage < 0 ||
	    cfg->interval_jitter_percentage >= 100)
		return err_set(e, "--interval-jitter-percentage: %d is out of "
		    "range (the interval jitter percentage must be a "
		    "non-negative value and less than 100)",
		    cfg->interval_jitter_percentage);
	if (cfg->kube_api_qps < 0)
		return err_set(e, "--kube-api-qps: %g is out of range (at "
		    "least 0)", cfg->kube_api_qps);
	if (cfg->reconciliation_timeout < 0)
		return err_set(e, "--reconciliation-timeout: %s is negative",
		    duration_format(cfg->reconciliation_timeout, a));
	if (cfg->min_retry_delay <= 0)
		return err_set(e, "--min-retry-delay: %s is out of range "
		    "(must be positive)",
		    duration_format(cfg->min_retry_delay, a));
	if (cfg->max_retry_delay < cfg->min_retry_delay)
		return err_set(e, "--max-retry-delay: %s is below "
		    "--min-retry-delay %s",
		    duration_format(cfg->max_retry_delay, a),
		    duration_format(cfg->min_retry_delay, b));
	return 0;
}

/* ---- the controller's configuration ---- */

int
config_parse(struct config *cfg, int argc, char *const argv[],
    char *const envp[], struct err *e)
{
	char q[CONFIG_QUOTE_BUF], *adv;
	int rc;

	rc = config_table_parse(config_flags, NFLAGS, cfg, argc, argv, envp,
	    &cfg->args, e);
	if (rc != CONFIG_OK)
		return rc;
	/* The controller takes none; a front end that does reads args. */
	if (cfg->args.len > 0)
		return err_set(e, "%s: unexpected argument (flags start with "
		    "--)", config_quote(cfg->args.items[0], q));
	if (ranges_check(cfg, e) < 0 || feature_gates_apply(cfg, e) < 0)
		return -1;
	if (cfg->storage_adv_addr[0] != '\0')
		return CONFIG_OK;
	if (config_adv_addr_derive(cfg->storage_addr, config_env_get(envp,
	    "HOSTNAME"), &adv, e) < 0)
		return err_prefix(e, "--storage-addr");
	free(cfg->storage_adv_addr);
	cfg->storage_adv_addr = adv;
	return CONFIG_OK;
}

void
config_free(struct config *cfg)
{
	config_table_free(config_flags, NFLAGS, cfg);
	config_list_free(&cfg->args);
}

void
config_help(FILE *out)
{
	config_table_help(config_flags, NFLAGS, "artifact-generator [flags]",
	    out);
}

json_t *
config_json(const struct config *cfg)
{
	return config_table_json(config_flags, NFLAGS, cfg);
}
