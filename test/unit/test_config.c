/*
 * Unit tests for src/cmd/config.c: the table-driven parser on a table of every
 * type (flag forms, short aliases, lists, env fallback and precedence, every
 * error message), the controller's own flags with Flux's names and defaults,
 * the advertised-address rules, --help, and the built binary's exit codes.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/config.h"
#include "base/duration.h"

/* ---- a test table with every type ---- */

struct tcfg {
	char *name;
	int count;
	bool verbose;
	bool force;
	int64_t wait;
	const char *mode;
	struct config_list files;
	struct config_list sources;
};

static const char *const tmodes[] = { "fast", "slow", NULL };

#define TF(f) offsetof(struct tcfg, f)

static const struct config_flag tflags[] = {
	{ "name", 'n', "T_NAME", CONFIG_STRING, "anon", NULL, "A name.",
	  TF(name) },
	{ "count", 'c', "T_COUNT", CONFIG_INT, "3", NULL, "A count.",
	  TF(count) },
	{ "verbose", 'v', "T_VERBOSE", CONFIG_BOOL, NULL, NULL, "Talk more.",
	  TF(verbose) },
	{ "force", 'F', NULL, CONFIG_BOOL, "true", NULL, "Force.",
	  TF(force) },
	{ "wait", 'w', "T_WAIT", CONFIG_DURATION, "90s", NULL, "Wait.",
	  TF(wait) },
	{ "mode", 0, "T_MODE", CONFIG_ENUM, "fast", tmodes, "Mode.",
	  TF(mode) },
	{ "file", 'f', NULL, CONFIG_LIST, NULL, NULL, "A file.", TF(files) },
	{ "source", 0, "T_SOURCES", CONFIG_LIST, NULL, NULL,
	  "ALIAS=PATH.", TF(sources) },
};

#define NT (sizeof(tflags) / sizeof(tflags[0]))

/* argv with a program name, NULL-terminated. */
#define ARGV(...) ((char *const[]){ "prog", __VA_ARGS__, NULL })
#define NOARGS ((char *const[]){ "prog", NULL })
#define ENV(...) ((char *const[]){ __VA_ARGS__, NULL })

struct tparse {
	struct tcfg cfg;
	struct config_list args;
	struct err e;
	int rc;
};

static int
argv_count(char *const argv[])
{
	int n = 0;

	while (argv[n] != NULL)
		n++;
	return n;
}

static void
tparse(struct tparse *t, char *const argv[], char *const envp[])
{
	memset(t, 0x5a, sizeof(*t));	/* the parser must not need zeroing */
	t->e.msg[0] = '\0';
	t->rc = config_table_parse(tflags, NT, &t->cfg, argv_count(argv), argv,
	    envp, &t->args, &t->e);
}

static void
tfree(struct tparse *t)
{
	config_table_free(tflags, NT, &t->cfg);
	config_list_free(&t->args);
}

static void
assert_list(const struct config_list *l, const char *const *want, size_t n)
{
	size_t i;

	assert_int_equal(l->len, n);
	for (i = 0; i < n; i++)
		assert_string_equal(l->items[i], want[i]);
}

static void
test_table_defaults(void **state)
{
	struct tparse t;

	(void)state;
	tparse(&t, NOARGS, NULL);
	assert_int_equal(t.rc, CONFIG_OK);
	assert_string_equal(t.cfg.name, "anon");
	assert_int_equal(t.cfg.count, 3);
	assert_false(t.cfg.verbose);
	assert_true(t.cfg.force);
	assert_true(t.cfg.wait == 90 * DURATION_SEC);
	assert_string_equal(t.cfg.mode, "fast");
	assert_int_equal(t.cfg.files.len, 0);
	assert_int_equal(t.cfg.sources.len, 0);
	assert_int_equal(t.args.len, 0);
	tfree(&t);
}

static void
test_table_long_forms(void **state)
{
	struct tparse t;

	(void)state;
	tparse(&t, ARGV("--name=web", "--count", "-5", "--wait=2h45m30.5s",
	    "--mode", "slow"), NULL);
	assert_int_equal(t.rc, CONFIG_OK);
	assert_string_equal(t.cfg.name, "web");
	assert_int_equal(t.cfg.count, -5);
	assert_true(t.cfg.wait == 9930500 * DURATION_MS);
	assert_string_equal(t.cfg.mode, "slow");
	tfree(&t);

	/* "=" keeps everything after the first '=', even empty or '='. */
	tparse(&t, ARGV("--name=a=b", "--count", "+7"), NULL);
	assert_string_equal(t.cfg.name, "a=b");
	assert_int_equal(t.cfg.count, 7);
	tfree(&t);
	tparse(&t, ARGV("--name="), NULL);
	assert_int_equal(t.rc, CONFIG_OK);
	assert_string_equal(t.cfg.name, "");
	tfree(&t);

	/* The last occurrence wins. */
	tparse(&t, ARGV("--name", "a", "--name=b", "-n", "c"), NULL);
	assert_string_equal(t.cfg.name, "c");
	tfree(&t);
}

static void
test_table_bool_forms(void **state)
{
	static const struct {
		char *arg;
		bool verbose;
	} cases[] = {
		{ "--verbose", true }, { "--verbose=true", true },
		{ "--verbose=false", false }, { "--verbose=1", true },
		{ "--verbose=0", false }, { "--verbose=T", true },
		{ "--verbose=F", false }, { "--verbose=TRUE", true },
		{ "--verbose=False", false }, { "-v", true },
		{ "-v=false", false },
	};
	struct tparse t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tparse(&t, ARGV(cases[i].arg), NULL);
		assert_int_equal(t.rc, CONFIG_OK);
		assert_int_equal(t.cfg.verbose, cases[i].verbose);
		tfree(&t);
	}
	/* A default-true bool is turned off with =false. */
	tparse(&t, ARGV("--force=false"), NULL);
	assert_false(t.cfg.force);
	tfree(&t);
	/* A bool never takes the next argument: "false" is positional. */
	tparse(&t, ARGV("--verbose", "false"), NULL);
	assert_int_equal(t.rc, CONFIG_OK);
	assert_true(t.cfg.verbose);
	assert_list(&t.args, (const char *const[]){ "false" }, 1);
	tfree(&t);
}

static void
test_table_short_forms(void **state)
{
	struct tparse t;

	(void)state;
	tparse(&t, ARGV("-n", "a"), NULL);
	assert_string_equal(t.cfg.name, "a");
	tfree(&t);
	tparse(&t, ARGV("-nb"), NULL);
	assert_string_equal(t.cfg.name, "b");
	tfree(&t);
	tparse(&t, ARGV("-n=c", "-c9", "-w", "1.5s"), NULL);
	assert_string_equal(t.cfg.name, "c");
	assert_int_equal(t.cfg.count, 9);
	assert_true(t.cfg.wait == 1500 * DURATION_MS);
	tfree(&t);
	/* Combined bools, then one flag taking the rest or the next arg. */
	tparse(&t, ARGV("-vF=false", "-vnx"), NULL);
	assert_int_equal(t.rc, CONFIG_OK);
	assert_true(t.cfg.verbose);
	assert_false(t.cfg.force);
	assert_string_equal(t.cfg.name, "x");
	tfree(&t);
	tparse(&t, ARGV("-vf", "a.yaml"), NULL);
	assert_true(t.cfg.verbose);
	assert_list(&t.cfg.files, (const char *const[]){ "a.yaml" }, 1);
	tfree(&t);
}

static void
test_table_repeatable_lists(void **state)
{
	struct tparse t;

	(void)state;
	tparse(&t, ARGV("-f", "a.yaml", "--file=b.yaml", "-fc.yaml",
	    "--source", "git=./repo", "--file", "d.yaml",
	    "--source=oci=/tmp/x"), NULL);
	assert_int_equal(t.rc, CONFIG_OK);
	assert_list(&t.cfg.files, (const char *const[]){ "a.yaml", "b.yaml",
	    "c.yaml", "d.yaml" }, 4);
	assert_list(&t.cfg.sources, (const char *const[]){ "git=./repo",
	    "oci=/tmp/x" }, 2);
	tfree(&t);

	/* From the environment, a list splits at commas... */
	tparse(&t, NOARGS, ENV("T_SOURCES=a=1,b=2,,c=3"));
	assert_list(&t.cfg.sources, (const char *const[]){ "a=1", "b=2",
	    "c=3" }, 3);
	tfree(&t);
	/* ...and the command line replaces it entirely. */
	tparse(&t, ARGV("--source", "z=9"), ENV("T_SOURCES=a=1,b=2"));
	assert_list(&t.cfg.sources, (const char *const[]){ "z=9" }, 1);
	tfree(&t);
}

static void
test_table_positionals_and_double_dash(void **state)
{
	struct tparse t;

	(void)state;
	tparse(&t, ARGV("one", "-", "--name", "x", "two", "--", "--name", "y",
	    "-v"), NULL);
	assert_int_equal(t.rc, CONFIG_OK);
	assert_string_equal(t.cfg.name, "x");
	assert_false(t.cfg.verbose);
	assert_list(&t.args, (const char *const[]){ "one", "-", "two",
	    "--name", "y", "-v" }, 6);
	tfree(&t);
}

static void
test_table_env_fallback_and_precedence(void **state)
{
	struct tparse t;

	(void)state;
	tparse(&t, NOARGS, ENV("OTHER=1", "T_NAME=from-env", "T_COUNT=11",
	    "T_VERBOSE=true", "T_WAIT=2m", "T_MODE=slow"));
	assert_int_equal(t.rc, CONFIG_OK);
	assert_string_equal(t.cfg.name, "from-env");
	assert_int_equal(t.cfg.count, 11);
	assert_true(t.cfg.verbose);
	assert_true(t.cfg.wait == 2 * DURATION_MIN);
	assert_string_equal(t.cfg.mode, "slow");
	tfree(&t);

	/* The flag wins over the variable, whatever the order. */
	tparse(&t, ARGV("--name", "from-flag", "-c", "1", "--verbose=false"),
	    ENV("T_NAME=from-env", "T_COUNT=11", "T_VERBOSE=true"));
	assert_string_equal(t.cfg.name, "from-flag");
	assert_int_equal(t.cfg.count, 1);
	assert_false(t.cfg.verbose);
	tfree(&t);

	/* An empty variable counts as unset (Flux's envOrDefault). */
	tparse(&t, NOARGS, ENV("T_NAME=", "T_COUNT="));
	assert_int_equal(t.rc, CONFIG_OK);
	assert_string_equal(t.cfg.name, "anon");
	assert_int_equal(t.cfg.count, 3);
	tfree(&t);

	/* Only exact names match: T_NAMES is not T_NAME. */
	tparse(&t, NOARGS, ENV("T_NAMES=x", "T_NAM=y"));
	assert_string_equal(t.cfg.name, "anon");
	tfree(&t);

	/* A bad variable is an error naming both, unless the flag is set. */
	tparse(&t, NOARGS, ENV("T_COUNT=lots"));
	assert_int_equal(t.rc, -1);
	assert_string_equal(t.e.msg,
	    "--count (from $T_COUNT): \"lots\" is not an integer");
	tfree(&t);
	tparse(&t, ARGV("--count=4"), ENV("T_COUNT=lots"));
	assert_int_equal(t.rc, CONFIG_OK);
	assert_int_equal(t.cfg.count, 4);
	tfree(&t);
}

static void
test_table_help(void **state)
{
	struct tparse t;

	(void)state;
	tparse(&t, ARGV("--help"), NULL);
	assert_int_equal(t.rc, CONFIG_HELP);
	tfree(&t);
	tparse(&t, ARGV("--name", "x", "-h"), NULL);
	assert_int_equal(t.rc, CONFIG_HELP);
	tfree(&t);
	tparse(&t, ARGV("-vh"), NULL);
	assert_int_equal(t.rc, CONFIG_HELP);
	tfree(&t);
	/* Arguments are read in order: an earlier error is reported. */
	tparse(&t, ARGV("--bogus", "--help"), NULL);
	assert_int_equal(t.rc, -1);
	tfree(&t);
	/* After "--", --help is just an argument. */
	tparse(&t, ARGV("--", "--help"), NULL);
	assert_int_equal(t.rc, CONFIG_OK);
	tfree(&t);
}

static void
test_table_error_messages(void **state)
{
	const struct {
		char *const *argv;
		const char *msg;
	} cases[] = {
		{ ARGV("--count=abc"), "--count: \"abc\" is not an integer" },
		{ ARGV("--count", "12x"), "--count: \"12x\" is not an integer" },
		{ ARGV("--count="), "--count: \"\" is not an integer" },
		{ ARGV("--count= 5"), "--count: \" 5\" is not an integer" },
		{ ARGV("--count=1.5"), "--count: \"1.5\" is not an integer" },
		{ ARGV("--count=99999999999"), "--count: \"99999999999\" is out "
		  "of range (-2147483648 to 2147483647)" },
		{ ARGV("-c", "x"), "-c: \"x\" is not an integer" },
		{ ARGV("--verbose=yes"), "--verbose: \"yes\" is not a boolean "
		  "(use true or false)" },
		{ ARGV("--wait=5"), "--wait: \"5\" is not a valid duration: "
		  "missing unit (valid units are ns, us, µs, ms, s, m, h)" },
		{ ARGV("--wait", "1d"), "--wait: \"1d\" is not a valid duration: "
		  "unknown unit \"d\" (valid units are ns, us, µs, ms, s, m, h)" },
		{ ARGV("--wait=99999999h"), "--wait: \"99999999h\" is not a valid "
		  "duration: out of range" },
		{ ARGV("--mode=medium"), "--mode: \"medium\" is not one of fast, "
		  "slow" },
		{ ARGV("--nope"), "--nope: unknown flag (see --help)" },
		{ ARGV("--verbos"), "--verbos: unknown flag (did you mean "
		  "--verbose?)" },
		{ ARGV("--cuont=1"), "--cuont: unknown flag (did you mean "
		  "--count?)" },
		{ ARGV("--sources", "a=b"), "--sources: unknown flag (did you "
		  "mean --source?)" },
		{ ARGV("--x"), "--x: unknown flag (see --help)" },
		{ ARGV("--nope=1"), "--nope: unknown flag (see --help)" },
		{ ARGV("-x"), "-x: unknown flag (see --help)" },
		{ ARGV("-vq"), "-q: unknown flag (see --help)" },
		{ ARGV("--name"), "--name: missing value" },
		{ ARGV("-n"), "-n: missing value" },
		{ ARGV("-vf"), "-f: missing value" },
		{ ARGV("--name=x", "--count"), "--count: missing value" },
		/* Control characters never reach the terminal raw. */
		{ ARGV("--count=\x1b[31m\n"), "--count: \"\\x1b[31m\\x0a\" is not "
		  "an integer" },
		{ ARGV("--no\tpe"), "--no\\x09pe: unknown flag (see --help)" },
		{ ARGV("--mode=\"q\\"), "--mode: \"\\\"q\\\\\" is not one of fast, "
		  "slow" },
	};
	struct tparse t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tparse(&t, cases[i].argv, NULL);
		if (t.rc != -1)
			fail_msg("case %zu: accepted", i);
		assert_string_equal(t.e.msg, cases[i].msg);
		assert_null(strchr(t.e.msg, '\n'));
		tfree(&t);
	}
}

static void
test_table_long_value_is_cut_in_message(void **state)
{
	char arg[600], *const *argv;
	struct tparse t;

	(void)state;
	memcpy(arg, "--count=", 8);
	memset(arg + 8, '7', sizeof(arg) - 9);
	arg[sizeof(arg) - 2] = 'x';
	arg[sizeof(arg) - 1] = '\0';
	argv = (char *const[]){ "prog", arg, NULL };
	tparse(&t, argv, NULL);
	assert_int_equal(t.rc, -1);
	assert_true(strlen(t.e.msg) < 140);
	assert_non_null(strstr(t.e.msg, "7777...\" is not an integer"));
	tfree(&t);
}

static void
test_table_message_cut_keeps_utf8_whole(void **state)
{
	char arg[400], *const *argv;
	struct tparse t;
	size_t i, w = 0;
	const char *q;

	(void)state;
	w = (size_t)snprintf(arg, sizeof(arg), "--count=");
	for (i = 0; i < 60; i++)	/* 120 bytes of 2-byte characters */
		w += (size_t)snprintf(arg + w, sizeof(arg) - w, "\xc3\xa9");
	argv = (char *const[]){ "prog", arg, NULL };
	tparse(&t, argv, NULL);
	assert_int_equal(t.rc, -1);
	q = strstr(t.e.msg, "...\"");
	assert_non_null(q);
	/* The byte before the cut ends a character: \xa9, never \xc3. */
	assert_int_equal((unsigned char)q[-1], 0xa9);
	tfree(&t);
}

static char *
help_text(void (*print)(FILE *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	print(f);
	fclose(f);
	return buf;
}

static void
print_test_help(FILE *f)
{
	config_table_help(tflags, NT, "prog [flags] [FILE...]", f);
}

static void
test_table_help_text(void **state)
{
	char *h = help_text(print_test_help);

	(void)state;
	assert_non_null(strstr(h, "Usage: prog [flags] [FILE...]\n"));
	assert_non_null(strstr(h, "  -n, --name string          A name. "
	    "(default \"anon\", env T_NAME)\n"));
	assert_non_null(strstr(h, "  -v, --verbose              Talk more. "
	    "(env T_VERBOSE)\n"));
	assert_non_null(strstr(h, "  -F, --force                Force. "
	    "(default true)\n"));
	assert_non_null(strstr(h, "  -w, --wait duration        Wait. "
	    "(default 1m30s, env T_WAIT)\n"));
	assert_non_null(strstr(h, "      --mode string          Mode. One of: "
	    "fast, slow. (default \"fast\", env T_MODE)\n"));
	assert_non_null(strstr(h, "  -f, --file stringArray     A file. "
	    "Repeatable.\n"));
	assert_non_null(strstr(h, "  -h, --help                 Show this "
	    "help and exit.\n"));
	free(h);
}

static void
test_table_json_has_every_flag_in_order(void **state)
{
	struct tparse t;
	const char *key;
	json_t *j, *v;
	size_t i = 0;

	(void)state;
	tparse(&t, ARGV("-f", "a", "-f", "b", "--wait=1h"), NULL);
	j = config_table_json(tflags, NT, &t.cfg);
	json_object_foreach(j, key, v) {
		(void)v;
		assert_true(i < NT);
		assert_string_equal(key, tflags[i].name);
		i++;
	}
	assert_int_equal(i, NT);
	assert_string_equal(json_string_value(json_object_get(j, "name")),
	    "anon");
	assert_int_equal(json_integer_value(json_object_get(j, "count")), 3);
	assert_true(json_is_false(json_object_get(j, "verbose")));
	assert_string_equal(json_string_value(json_object_get(j, "wait")),
	    "1h0m0s");
	assert_string_equal(json_string_value(json_array_get(
	    json_object_get(j, "file"), 1)), "b");
	json_decref(j);
	tfree(&t);
}

/* ---- the controller's flags ---- */

struct cparse {
	struct config cfg;
	struct err e;
	int rc;
};

static void
cparse(struct cparse *c, char *const argv[], char *const envp[])
{
	memset(c, 0x5a, sizeof(*c));
	c->e.msg[0] = '\0';
	c->rc = config_parse(&c->cfg, argv_count(argv), argv, envp, &c->e);
}

static void
test_controller_defaults_are_fluxs(void **state)
{
	struct cparse c;

	(void)state;
	cparse(&c, NOARGS, NULL);
	assert_int_equal(c.rc, CONFIG_OK);
	assert_string_equal(c.cfg.storage_path, "/data");
	assert_string_equal(c.cfg.storage_addr, ":9090");
	assert_string_equal(c.cfg.storage_adv_addr, "localhost:9090");
	assert_true(c.cfg.artifact_retention_ttl == DURATION_MIN);
	assert_int_equal(c.cfg.artifact_retention_records, 2);
	assert_string_equal(c.cfg.artifact_digest_algo, "sha256");
	assert_string_equal(c.cfg.log_level, "info");
	assert_string_equal(c.cfg.log_encoding, "json");
	config_free(&c.cfg);
}

static void
test_controller_every_flag(void **state)
{
	struct cparse c;

	(void)state;
	cparse(&c, ARGV("--storage-path=/var/artifacts", "--storage-addr",
	    ":9000", "--storage-adv-addr=artifacts.cluster.local:9000",
	    "--artifact-retention-ttl=1h", "--artifact-retention-records=5",
	    "--artifact-digest-algo=blake3", "--log-level=debug",
	    "--log-encoding=console"), NULL);
	assert_int_equal(c.rc, CONFIG_OK);
	assert_string_equal(c.cfg.storage_path, "/var/artifacts");
	assert_string_equal(c.cfg.storage_addr, ":9000");
	assert_string_equal(c.cfg.storage_adv_addr,
	    "artifacts.cluster.local:9000");
	assert_true(c.cfg.artifact_retention_ttl == DURATION_HOUR);
	assert_int_equal(c.cfg.artifact_retention_records, 5);
	assert_string_equal(c.cfg.artifact_digest_algo, "blake3");
	assert_string_equal(c.cfg.log_level, "debug");
	assert_string_equal(c.cfg.log_encoding, "console");
	config_free(&c.cfg);

	/* Flux's --log-level also takes trace; the digests are these four. */
	cparse(&c, ARGV("--log-level", "trace", "--artifact-digest-algo",
	    "sha1"), NULL);
	assert_int_equal(c.rc, CONFIG_OK);
	assert_string_equal(c.cfg.log_level, "trace");
	config_free(&c.cfg);
	cparse(&c, ARGV("--artifact-digest-algo=md5"), NULL);
	assert_int_equal(c.rc, -1);
	assert_string_equal(c.e.msg, "--artifact-digest-algo: \"md5\" is not "
	    "one of sha1, sha256, sha512, blake3");
	config_free(&c.cfg);
	cparse(&c, ARGV("--log-encoding=text"), NULL);
	assert_string_equal(c.e.msg, "--log-encoding: \"text\" is not one of "
	    "json, console");
	config_free(&c.cfg);
	cparse(&c, ARGV("--artifact-retention-records", "abc"), NULL);
	assert_string_equal(c.e.msg, "--artifact-retention-records: \"abc\" "
	    "is not an integer");
	config_free(&c.cfg);
}

/* source-watcher's own flags and the fluxcd/pkg options it binds. */
static void
test_controller_runtime_defaults_are_fluxs(void **state)
{
	struct cparse c;

	(void)state;
	cparse(&c, NOARGS, NULL);
	assert_int_equal(c.rc, CONFIG_OK);
	assert_true(c.cfg.kube_api_qps == 50.0);
	assert_int_equal(c.cfg.kube_api_burst, 300);
	assert_int_equal(c.cfg.concurrent, 10);
	assert_string_equal(c.cfg.metrics_addr, ":8080");
	assert_string_equal(c.cfg.health_addr, ":9440");
	assert_string_equal(c.cfg.events_addr, "");
	assert_int_equal(c.cfg.http_retry, 9);
	assert_true(c.cfg.reconciliation_timeout == 10 * DURATION_MIN);
	assert_true(c.cfg.requeue_dependency == 5 * DURATION_SEC);
	assert_false(c.cfg.no_cross_namespace_refs);
	assert_int_equal(c.cfg.feature_gates.len, 0);
	assert_false(c.cfg.feature_direct_source_fetch);
	assert_int_equal(c.cfg.interval_jitter_percentage, 5);
	assert_false(c.cfg.enable_leader_election);
	assert_true(c.cfg.leader_election_release_on_cancel);
	assert_true(c.cfg.leader_election_lease_duration == 35 * DURATION_SEC);
	assert_true(c.cfg.leader_election_renew_deadline == 30 * DURATION_SEC);
	assert_true(c.cfg.leader_election_retry_period == 5 * DURATION_SEC);
	assert_true(c.cfg.min_retry_delay == 750 * DURATION_MS);
	assert_true(c.cfg.max_retry_delay == 15 * DURATION_MIN);
	assert_true(c.cfg.watch_all_namespaces);
	assert_string_equal(c.cfg.watch_label_selector, "");
	assert_string_equal(c.cfg.watch_configs_label_selector,
	    "reconcile.fluxcd.io/watch=Enabled");
	config_free(&c.cfg);
}

static void
test_controller_runtime_flags_set(void **state)
{
	struct cparse c;

	(void)state;
	cparse(&c, ARGV("--kube-api-qps=12.5", "--kube-api-burst=20",
	    "--concurrent=4", "--metrics-addr=:18080", "--health-addr=:19440",
	    "--events-addr=http://notification-controller.flux-system.svc",
	    "--http-retry=0", "--reconciliation-timeout=90s",
	    "--requeue-dependency=1s", "--no-cross-namespace-refs",
	    "--feature-gates=DirectSourceFetch=true",
	    "--interval-jitter-percentage=0", "--enable-leader-election",
	    "--leader-election-release-on-cancel=false",
	    "--leader-election-lease-duration=1m",
	    "--leader-election-renew-deadline=50s",
	    "--leader-election-retry-period=2s", "--min-retry-delay=1s",
	    "--max-retry-delay=1m", "--watch-all-namespaces=false",
	    "--watch-label-selector=sharding.fluxcd.io/shard=shard1",
	    "--watch-configs-label-selector="), NULL);
	if (c.rc != CONFIG_OK)
		fail_msg("%s", c.e.msg);
	assert_true(c.cfg.kube_api_qps == 12.5);
	assert_int_equal(c.cfg.kube_api_burst, 20);
	assert_int_equal(c.cfg.concurrent, 4);
	assert_string_equal(c.cfg.metrics_addr, ":18080");
	assert_string_equal(c.cfg.health_addr, ":19440");
	assert_string_equal(c.cfg.events_addr,
	    "http://notification-controller.flux-system.svc");
	assert_int_equal(c.cfg.http_retry, 0);
	assert_true(c.cfg.reconciliation_timeout == 90 * DURATION_SEC);
	assert_true(c.cfg.requeue_dependency == DURATION_SEC);
	assert_true(c.cfg.no_cross_namespace_refs);
	assert_true(c.cfg.feature_direct_source_fetch);
	assert_int_equal(c.cfg.interval_jitter_percentage, 0);
	assert_true(c.cfg.enable_leader_election);
	assert_false(c.cfg.leader_election_release_on_cancel);
	assert_true(c.cfg.leader_election_lease_duration == DURATION_MIN);
	assert_true(c.cfg.leader_election_renew_deadline == 50 * DURATION_SEC);
	assert_true(c.cfg.leader_election_retry_period == 2 * DURATION_SEC);
	assert_true(c.cfg.min_retry_delay == DURATION_SEC);
	assert_true(c.cfg.max_retry_delay == DURATION_MIN);
	assert_false(c.cfg.watch_all_namespaces);
	assert_string_equal(c.cfg.watch_label_selector,
	    "sharding.fluxcd.io/shard=shard1");
	assert_string_equal(c.cfg.watch_configs_label_selector, "");
	config_free(&c.cfg);

	/* Repeated and comma-separated gates: the last pair wins. */
	cparse(&c, ARGV("--feature-gates", "DirectSourceFetch=true",
	    "--feature-gates= DirectSourceFetch = false ,DirectSourceFetch=1"),
	    NULL);
	assert_int_equal(c.rc, CONFIG_OK);
	assert_true(c.cfg.feature_direct_source_fetch);
	config_free(&c.cfg);
	cparse(&c, ARGV("--kube-api-qps", "1e2"), NULL);
	assert_true(c.cfg.kube_api_qps == 100.0);
	config_free(&c.cfg);
}

/* Each bad value is one line naming the flag. */
static void
test_controller_runtime_flags_invalid(void **state)
{
	static const struct {
		const char *arg, *msg;
	} cases[] = {
		{ "--kube-api-qps=fast",
		  "--kube-api-qps: \"fast\" is not a number" },
		{ "--kube-api-qps=nan", "--kube-api-qps: \"nan\" is not a number" },
		{ "--kube-api-qps=1e39",
		  "--kube-api-qps: \"1e39\" is out of range for a float32" },
		{ "--kube-api-qps=-1",
		  "--kube-api-qps: -1 is out of range (at least 0)" },
		{ "--concurrent=0",
		  "--concurrent: 0 is out of range (at least 1)" },
		{ "--concurrent=ten",
		  "--concurrent: \"ten\" is not an integer" },
		{ "--http-retry=-1",
		  "--http-retry: -1 is out of range (at least 0)" },
		{ "--interval-jitter-percentage=100",
		  "--interval-jitter-percentage: 100 is out of range (the "
		  "interval jitter percentage must be a non-negative value and "
		  "less than 100)" },
		{ "--reconciliation-timeout=-1s",
		  "--reconciliation-timeout: -1s is negative" },
		{ "--requeue-dependency=5",
		  "--requeue-dependency: \"5\" is not a valid duration: "
		  "missing unit (valid units are ns, us, µs, ms, s, m, h)" },
		{ "--min-retry-delay=0s",
		  "--min-retry-delay: 0s is out of range (must be positive)" },
		{ "--max-retry-delay=500ms",
		  "--max-retry-delay: 500ms is below --min-retry-delay 750ms" },
		{ "--no-cross-namespace-refs=yes",
		  "--no-cross-namespace-refs: \"yes\" is not a boolean (use "
		  "true or false)" },
		{ "--feature-gates=Nope=true",
		  "--feature-gates: feature-gate \"Nope\" not supported" },
		{ "--feature-gates=DirectSourceFetch",
		  "--feature-gates: missing bool value for "
		  "\"DirectSourceFetch\"" },
		{ "--feature-gates=DirectSourceFetch=maybe",
		  "--feature-gates: invalid value of DirectSourceFetch=\"maybe\": "
		  "not a boolean" },
		{ "--leader-election-lease-duration=soon",
		  "--leader-election-lease-duration: \"soon\" is not a valid "
		  "duration: expected a number and a unit, as in 1m30s" },
	};
	char arg[128];
	struct cparse c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(arg, sizeof(arg), "%s", cases[i].arg);
		cparse(&c, ARGV(arg), NULL);
		assert_int_equal(c.rc, -1);
		if (strcmp(c.e.msg, cases[i].msg) != 0)
			fail_msg("%s: got '%s', want '%s'", cases[i].arg,
			    c.e.msg, cases[i].msg);
		config_free(&c.cfg);
	}
}

static void
test_controller_env_vars(void **state)
{
	struct cparse c;

	(void)state;
	cparse(&c, NOARGS, ENV("STORAGE_PATH=/env/artifacts",
	    "STORAGE_ADDRESS=:8080", "STORAGE_ADV_ADDR=env.example.com:8080"));
	assert_int_equal(c.rc, CONFIG_OK);
	assert_string_equal(c.cfg.storage_path, "/env/artifacts");
	assert_string_equal(c.cfg.storage_addr, ":8080");
	assert_string_equal(c.cfg.storage_adv_addr, "env.example.com:8080");
	config_free(&c.cfg);

	cparse(&c, ARGV("--storage-path=/flag", "--storage-addr=:7070"),
	    ENV("STORAGE_PATH=/env", "STORAGE_ADDRESS=:8080",
	    "STORAGE_ADV_ADDR=env.example.com:8080"));
	assert_string_equal(c.cfg.storage_path, "/flag");
	assert_string_equal(c.cfg.storage_addr, ":7070");
	assert_string_equal(c.cfg.storage_adv_addr, "env.example.com:8080");
	config_free(&c.cfg);

	cparse(&c, NOARGS, ENV("STORAGE_PATH=", "STORAGE_ADDRESS=",
	    "STORAGE_ADV_ADDR="));
	assert_string_equal(c.cfg.storage_path, "/data");
	assert_string_equal(c.cfg.storage_addr, ":9090");
	assert_string_equal(c.cfg.storage_adv_addr, "localhost:9090");
	config_free(&c.cfg);
}

static void
test_controller_adv_addr_derivation(void **state)
{
	char host[256], want[300];
	struct cparse c;

	(void)state;
	cparse(&c, ARGV("--storage-addr=0.0.0.0:9090"),
	    ENV("HOSTNAME=source-watcher-7d9f-abcde"));
	assert_int_equal(c.rc, CONFIG_OK);
	assert_string_equal(c.cfg.storage_adv_addr,
	    "source-watcher-7d9f-abcde:9090");
	config_free(&c.cfg);

	/* Without $HOSTNAME (or with it empty): the kernel's hostname. */
	assert_int_equal(gethostname(host, sizeof(host)), 0);
	snprintf(want, sizeof(want), "%s:9090", host);
	cparse(&c, NOARGS, ENV("STORAGE_ADDRESS=0.0.0.0:9090", "HOSTNAME="));
	assert_string_equal(c.cfg.storage_adv_addr, want);
	config_free(&c.cfg);

	/* An explicit advertised address is kept as is. */
	cparse(&c, ARGV("--storage-addr=0.0.0.0:9090",
	    "--storage-adv-addr=sw.flux-system.svc.cluster.local."),
	    ENV("HOSTNAME=pod"));
	assert_string_equal(c.cfg.storage_adv_addr,
	    "sw.flux-system.svc.cluster.local.");
	config_free(&c.cfg);

	cparse(&c, ARGV("--storage-addr=9090"), NULL);
	assert_int_equal(c.rc, -1);
	assert_string_equal(c.e.msg, "--storage-addr: \"9090\" is not a "
	    "host:port address: missing port in address");
	config_free(&c.cfg);
}

static void
test_adv_addr_rules(void **state)
{
	static const struct {
		const char *addr, *hostname, *want, *err;
	} cases[] = {
		{ ":9090", "pod", "localhost:9090", NULL },
		{ "0.0.0.0:9090", "pod", "pod:9090", NULL },
		{ "127.0.0.1:80", "pod", "127.0.0.1:80", NULL },
		{ "example.com:443", "pod", "example.com:443", NULL },
		{ "[::1]:9090", "pod", "[::1]:9090", NULL },
		{ "[::]:9090", "pod", "[::]:9090", NULL },
		{ "[]:9090", "pod", "localhost:9090", NULL },
		{ "0.0.0.0:9090", "fe80::1", "[fe80::1]:9090", NULL },
		{ "host:", "pod", "host:", NULL },
		{ "9090", NULL, NULL, "missing port in address" },
		{ "", NULL, NULL, "missing port in address" },
		{ "a:b:9090", NULL, NULL, "too many colons in address" },
		{ "::1:9090", NULL, NULL, "too many colons in address" },
		{ "[::1", NULL, NULL, "missing ']' in address" },
		{ "[::1]", NULL, NULL, "missing port in address" },
		{ "[::1]x:9", NULL, NULL, "missing port in address" },
		{ "[::1]:9:9", NULL, NULL, "too many colons in address" },
		{ "a[b:9", NULL, NULL, "unexpected '[' in address" },
		{ "ab]:9", NULL, NULL, "unexpected ']' in address" },
		{ "[a[b]:9", NULL, NULL, "unexpected '[' in address" },
	};
	char want_err[256], *out;
	struct err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		out = NULL;
		if (cases[i].want != NULL) {
			if (config_adv_addr_derive(cases[i].addr,
			    cases[i].hostname, &out, &e) != 0)
				fail_msg("%s: %s", cases[i].addr, e.msg);
			assert_string_equal(out, cases[i].want);
			free(out);
			continue;
		}
		assert_int_equal(config_adv_addr_derive(cases[i].addr, "pod",
		    &out, &e), -1);
		snprintf(want_err, sizeof(want_err),
		    "\"%s\" is not a host:port address: %s", cases[i].addr,
		    cases[i].err);
		assert_string_equal(e.msg, want_err);
		assert_null(out);
	}
}

static void
test_controller_rejects_positional(void **state)
{
	struct cparse c;

	(void)state;
	cparse(&c, ARGV("--log-level=debug", "extra"), NULL);
	assert_int_equal(c.rc, -1);
	assert_string_equal(c.e.msg, "\"extra\": unexpected argument (flags "
	    "start with --)");
	config_free(&c.cfg);
}

static void
test_controller_help_lists_every_flag(void **state)
{
	static const char *const lines[] = {
		"      --storage-path string                       The path to the "
		"directory where artifacts will be stored. (default \"/data\", "
		"env STORAGE_PATH)\n",
		"      --storage-addr string                       The address the "
		"artifact server will bind to. (default \":9090\", env "
		"STORAGE_ADDRESS)\n",
		"(env STORAGE_ADV_ADDR)\n",
		"      --artifact-retention-ttl duration           The duration after "
		"which stale artifacts are garbage collected. (default 1m0s)\n",
		"      --artifact-retention-records int            The maximum number of "
		"artifacts to be kept in storage after a garbage collection. "
		"(default 2)\n",
		"One of: sha1, sha256, sha512, blake3. (default \"sha256\")\n",
		"      --log-level string                          Log verbosity level. "
		"One of: trace, debug, info, error. (default \"info\")\n",
		"      --log-encoding string                       Log encoding format. "
		"One of: json, console. (default \"json\")\n",
		"      --kubeconfig string                         Paths to a "
		"kubeconfig. Only required if out-of-cluster.\n",
		"      --kube-api-qps float32                      The maximum "
		"queries-per-second of requests sent to the Kubernetes API. "
		"(default 50)\n",
		"      --kube-api-burst int                        The maximum burst "
		"queries-per-second of requests sent to the Kubernetes API. "
		"(default 300)\n",
		"      --concurrent int                            "
		"The number of concurrent resource reconciles. (default 10)\n",
		"      --metrics-addr string                       "
		"The address the metric endpoint binds to. (default \":8080\")\n",
		"      --health-addr string                        "
		"The address the health endpoint binds to. (default \":9440\")\n",
		"      --events-addr string                        "
		"The address of the events receiver.\n",
		"      --http-retry int                            "
		"The maximum number of retries when failing to fetch artifacts "
		"over HTTP. (default 9)\n",
		"      --reconciliation-timeout duration           "
		"The maximum duration of a reconciliation. (default 10m0s)\n",
		"      --requeue-dependency duration               "
		"The interval at which failing dependencies are reevaluated. "
		"(default 5s)\n",
		"      --no-cross-namespace-refs                   "
		"When set to true, references between custom resources",
		"      --feature-gates stringArray                 "
		"A comma separated list of key=value pairs",
		"It cannot be negative, and must be less than 100. (default 5)\n",
		"      --enable-leader-election                    "
		"Enable leader election for controller manager.",
		"      --leader-election-release-on-cancel         "
		"Defines if the leader should step down voluntarily on "
		"controller manager shutdown. (default true)\n",
		"(duration string). (default 35s)\n",
		"(duration string). (default 30s)\n",
		"      --leader-election-retry-period duration     "
		"Duration the LeaderElector clients should wait between tries of "
		"actions (duration string). (default 5s)\n",
		"      --min-retry-delay duration                  "
		"The minimum amount of time for which an object being reconciled "
		"will have to wait before a retry. (default 750ms)\n",
		"      --max-retry-delay duration                  "
		"The maximum amount of time for which an object being reconciled "
		"will have to wait before a retry. (default 15m0s)\n",
		"      --watch-all-namespaces                      "
		"Watch for resources in all namespaces, if set to false it will "
		"only watch the runtime namespace. (default true)\n",
		"      --watch-label-selector string               "
		"Watch for resources with matching labels e.g. "
		"'sharding.fluxcd.io/shard=shard1'.\n",
		"      --watch-configs-label-selector string       "
		"Watch for ConfigMaps and Secrets with matching labels. (default "
		"\"reconcile.fluxcd.io/watch=Enabled\")\n",
	};
	char *h = help_text(config_help);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		if (strstr(h, lines[i]) == NULL)
			fail_msg("missing in --help: %s\n--help was:\n%s",
			    lines[i], h);
	free(h);
}

static void
test_controller_json_for_startup_log(void **state)
{
	struct cparse c;
	json_t *j;

	(void)state;
	cparse(&c, ARGV("--artifact-retention-ttl=90s"), NULL);
	j = config_json(&c.cfg);
	assert_string_equal(json_string_value(json_object_get(j,
	    "storage-adv-addr")), "localhost:9090");
	assert_string_equal(json_string_value(json_object_get(j,
	    "artifact-retention-ttl")), "1m30s");
	assert_int_equal(json_integer_value(json_object_get(j,
	    "artifact-retention-records")), 2);
	assert_true(json_number_value(json_object_get(j, "kube-api-qps")) ==
	    50.0);
	assert_int_equal(json_integer_value(json_object_get(j,
	    "kube-api-burst")), 300);
	assert_string_equal(json_string_value(json_object_get(j,
	    "kubeconfig")), "");
	assert_int_equal(json_object_size(j), 32);
	json_decref(j);
	config_free(&c.cfg);
}

/* ---- the binary (built by `make test` before the suites run) ---- */

#define BIN "./bin/artifact-generator"

static void
test_binary_help_and_usage_errors(void **state)
{
	char *out;
	int status;

	(void)state;
	out = tu_run(&status, BIN " --help 2>/dev/null");
	assert_int_equal(status, 0);
	assert_non_null(strstr(out, "Usage: artifact-generator [flags]"));
	assert_non_null(strstr(out, "--storage-adv-addr string"));
	assert_non_null(strstr(out, "(default 1m0s)"));
	free(out);

	out = tu_run(&status, BIN " --artifact-retention-records=abc "
	    "2>&1 >/dev/null");
	assert_int_equal(status, 2);
	assert_string_equal(out, "artifact-generator: "
	    "--artifact-retention-records: \"abc\" is not an integer");
	free(out);

	out = tu_run(&status, BIN " --no-such-flag 2>&1 >/dev/null");
	assert_int_equal(status, 2);
	assert_string_equal(out, "artifact-generator: --no-such-flag: "
	    "unknown flag (see --help)");
	free(out);

	/* A name from another revision of Flux's flags gets a hint. */
	out = tu_run(&status, BIN " --storage-address=:9000 2>&1 >/dev/null");
	assert_int_equal(status, 2);
	assert_string_equal(out, "artifact-generator: --storage-address: "
	    "unknown flag (did you mean --storage-addr?)");
	free(out);
}

static void
test_binary_startup_logs_effective_config(void **state)
{
	json_error_t jerr;
	char *out, *nl;
	json_t *j;
	int status;

	(void)state;
	/* no cluster to reach: the controller's startup fails after the
	 * configuration line, naming the kubeconfig, and exits 1 */
	out = tu_run(&status, "env -u KUBERNETES_SERVICE_HOST "
	    "KUBECONFIG=/nonexistent/kubeconfig STORAGE_PATH=/tmp/ag-store "
	    "HOSTNAME=pod-1 " BIN " --storage-addr=0.0.0.0:9999 2>&1 "
	    ">/dev/null");
	assert_int_equal(status, 1);
	nl = strchr(out, '\n');
	assert_non_null(nl);
	*nl = '\0';
	j = json_loads(out, 0, &jerr);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "level")),
	    "info");
	assert_string_equal(json_string_value(json_object_get(j, "logger")),
	    "setup");
	assert_string_equal(json_string_value(json_object_get(j,
	    "storage-path")), "/tmp/ag-store");
	assert_string_equal(json_string_value(json_object_get(j,
	    "storage-adv-addr")), "pod-1:9999");
	json_decref(j);
	j = json_loads(nl + 1, 0, &jerr);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "msg")),
	    "controller failed");
	assert_non_null(strstr(json_string_value(json_object_get(j, "error")),
	    "/nonexistent/kubeconfig"));
	json_decref(j);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_defaults),
		cmocka_unit_test(test_table_long_forms),
		cmocka_unit_test(test_table_bool_forms),
		cmocka_unit_test(test_table_short_forms),
		cmocka_unit_test(test_table_repeatable_lists),
		cmocka_unit_test(test_table_positionals_and_double_dash),
		cmocka_unit_test(test_table_env_fallback_and_precedence),
		cmocka_unit_test(test_table_help),
		cmocka_unit_test(test_table_error_messages),
		cmocka_unit_test(test_table_long_value_is_cut_in_message),
		cmocka_unit_test(test_table_message_cut_keeps_utf8_whole),
		cmocka_unit_test(test_table_help_text),
		cmocka_unit_test(test_table_json_has_every_flag_in_order),
		cmocka_unit_test(test_controller_defaults_are_fluxs),
		cmocka_unit_test(test_controller_every_flag),
		cmocka_unit_test(test_controller_runtime_defaults_are_fluxs),
		cmocka_unit_test(test_controller_runtime_flags_set),
		cmocka_unit_test(test_controller_runtime_flags_invalid),
		cmocka_unit_test(test_controller_env_vars),
		cmocka_unit_test(test_controller_adv_addr_derivation),
		cmocka_unit_test(test_adv_addr_rules),
		cmocka_unit_test(test_controller_rejects_positional),
		cmocka_unit_test(test_controller_help_lists_every_flag),
		cmocka_unit_test(test_controller_json_for_startup_log),
		cmocka_unit_test(test_binary_help_and_usage_errors),
		cmocka_unit_test(test_binary_startup_logs_effective_config),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
