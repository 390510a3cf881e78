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
	/* fluxcd/pkg/runtime/client; Flux's qps is a float32, whole numbers
	 * here. */
	{ "kube-api-qps", 0, NULL, CONFIG_INT, "50", NULL,
	  "The maximum queries-per-second of requests sent to the "
	  "Kubernetes API.",
	  FIELD(kube_api_qps) },
	{ "kube-api-burst", 0, NULL, CONFIG_INT, "300", NULL,
	  "The maximum burst queries-per-second of requests sent to the "
	  "Kubernetes API.",
	  FIELD(kube_api_burst) },
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
