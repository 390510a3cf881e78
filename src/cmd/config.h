/*
 * config: command-line flags and environment variables, with Flux's names
 * and defaults, described by one table row per flag.
 *
 * The engine (config_table_*) works on any table and destination struct:
 * rows give the long name, an optional single-dash alias, an optional
 * environment variable, the type, the default (written as a user would type
 * it), the help text and the offset of the field to fill. Accepted forms:
 * --name=value, --name value, -n value, -nvalue, -n=value; bools as --name,
 * --name=true|false (never consuming the next argument) and combined short
 * bools (-ab); "--" ends the flags; other arguments are positional; -h and
 * --help are reserved (they ask for help, wherever a flag may stand). The last
 * occurrence of a flag wins, except for lists, which collect every one.
 * When a flag is absent its environment variable, if set and non-empty, is
 * used instead (as Flux's envOrDefault does); lists split it at commas.
 *
 * The library never prints or exits: errors come back in struct err as one
 * line naming the flag and the problem, e.g.
 *   --artifact-retention-records: "abc" is not an integer
 * and main prints it and exits 2.
 *
 * Ownership: a parsed struct owns its strings and lists; release them with
 * config_free (or config_table_free for another table). Enum fields point
 * into the table's static list of allowed values and are never freed.
 */
#ifndef AG_CONFIG_H
#define AG_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/err.h"

enum config_type {
	CONFIG_STRING,		/* char * (owned) */
	CONFIG_INT,		/* int, decimal */
	CONFIG_BOOL,		/* bool, Go's strconv.ParseBool spellings */
	CONFIG_DURATION,	/* int64_t nanoseconds, Go syntax (duration.h) */
	CONFIG_ENUM,		/* const char *, one of the row's allowed values */
	CONFIG_LIST,		/* struct config_list, repeatable string flag */
	CONFIG_FLOAT,		/* double, finite, within float32's range */
};

/* A repeatable flag's values in command-line order (owned). */
struct config_list {
	char **items;
	size_t len;
};

struct config_flag {
	const char *name;		/* long name, without "--" */
	char short_name;		/* single-dash alias, or 0 */
	const char *env;		/* environment variable, or NULL */
	enum config_type type;
	const char *def;		/* default in flag syntax, or NULL */
	const char *const *allowed;	/* CONFIG_ENUM: NULL-terminated */
	const char *help;
	size_t offset;			/* of the field in the struct */
};

/* Outcomes of config_table_parse / config_parse besides -1. */
#define CONFIG_OK	0
#define CONFIG_HELP	1	/* -h or --help: print help, exit 0 */

/*
 * Fills dst from defaults, argv[1..argc-1] and envp (a NULL-terminated
 * "NAME=value" array such as environ; NULL for none). Positional arguments
 * are appended to args. Returns CONFIG_OK, CONFIG_HELP, or -1 with e set;
 * whatever the outcome, dst and args must be released by the caller.
 */
int config_table_parse(const struct config_flag *flags, size_t nflags,
    void *dst, int argc, char *const argv[], char *const envp[],
    struct config_list *args, struct err *e);

/* Frees the strings and lists of dst that the table describes. */
void config_table_free(const struct config_flag *flags, size_t nflags,
    void *dst);

/* Prints "Usage: <usage>" and every flag with type, help, default and
 * environment variable. */
void config_table_help(const struct config_flag *flags, size_t nflags,
    const char *usage, FILE *out);

/* An object {"<flag name>": value, ...} in table order (durations in Go's
 * form, lists as arrays), for logging; the caller owns it. NULL on OOM. */
json_t *config_table_json(const struct config_flag *flags, size_t nflags,
    const void *dst);

/* Frees a list's items and empties it. */
void config_list_free(struct config_list *list);

/* The controller's settings, one field per row of config.c's table. */
struct config {
	char *storage_path;
	char *storage_addr;
	char *storage_adv_addr;		/* derived when not given */
	int64_t artifact_retention_ttl;	/* nanoseconds */
	int artifact_retention_records;
	const char *artifact_digest_algo;
	const char *log_level;
	const char *log_encoding;
	char *kubeconfig;		/* "": $KUBECONFIG, in-cluster, ~/.kube */
	char *kube_context;		/* "": the kubeconfig's current one */
	double kube_api_qps;
	int kube_api_burst;
	/* source-watcher's own flags (cmd/main.go) */
	int concurrent;			/* >= 1 */
	char *metrics_addr;
	char *health_addr;
	char *events_addr;		/* "": no events receiver */
	int http_retry;			/* >= 0 */
	int64_t reconciliation_timeout;	/* ns, 0: none */
	int64_t requeue_dependency;	/* ns */
	/* fluxcd/pkg/runtime options bound by source-watcher */
	bool no_cross_namespace_refs;
	struct config_list feature_gates;	/* "Name=bool[,...]" as given */
	bool feature_direct_source_fetch;	/* from feature_gates */
	int interval_jitter_percentage;	/* 0..99 */
	bool enable_leader_election;
	bool leader_election_release_on_cancel;
	int64_t leader_election_lease_duration;	/* ns */
	int64_t leader_election_renew_deadline;	/* ns */
	int64_t leader_election_retry_period;	/* ns */
	int64_t min_retry_delay;	/* ns, > 0 */
	int64_t max_retry_delay;	/* ns, >= min_retry_delay */
	bool watch_all_namespaces;
	char *watch_label_selector;
	char *watch_configs_label_selector;
	struct config_list args;	/* positional arguments */
};

/*
 * Parses the controller's flags (see config_table_parse), checks the values
 * Flux checks after parsing (ranges, feature gates; every message names the
 * flag), then derives storage_adv_addr when it is empty
 * (config_adv_addr_derive, with $HOSTNAME from envp). Release cfg with
 * config_free whatever the outcome.
 */
int config_parse(struct config *cfg, int argc, char *const argv[],
    char *const envp[], struct err *e);
void config_free(struct config *cfg);
void config_help(FILE *out);
/* Effective settings as a JSON object for the startup log (caller owns). */
json_t *config_json(const struct config *cfg);

/*
 * The advertised address Flux derives from the storage bind address
 * (host:port, IPv6 in brackets): an empty host becomes "localhost", host
 * "0.0.0.0" becomes hostname (the value of $HOSTNAME) or, when that is NULL
 * or empty, gethostname(); any other host is kept. Returns a malloc'd
 * "host:port" in *out, or -1 with e set for an address without a port or
 * with misplaced colons or brackets.
 */
int config_adv_addr_derive(const char *storage_addr, const char *hostname,
    char **out, struct err *e);

#endif
