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
		"      --storage-path string               The path to the "
		"directory where artifacts will be stored. (default \"/data\", "
		"env STORAGE_PATH)\n",
		"      --storage-addr string               The address the "
		"artifact server will bind to. (default \":9090\", env "
		"STORAGE_ADDRESS)\n",
		"(env STORAGE_ADV_ADDR)\n",
		"      --artifact-retention-ttl duration   The duration after "
		"which stale artifacts are garbage collected. (default 1m0s)\n",
		"      --artifact-retention-records int    The maximum number of "
		"artifacts to be kept in storage after a garbage collection. "
		"(default 2)\n",
		"One of: sha1, sha256, sha512, blake3. (default \"sha256\")\n",
		"      --log-level string                  Log verbosity level. "
		"One of: trace, debug, info, error. (default \"info\")\n",
		"      --log-encoding string               Log encoding format. "
		"One of: json, console. (default \"json\")\n",
		"      --kubeconfig string                 Paths to a "
		"kubeconfig. Only required if out-of-cluster.\n",
		"      --kube-api-qps int                  The maximum "
		"queries-per-second of requests sent to the Kubernetes API. "
		"(default 50)\n",
		"      --kube-api-burst int                The maximum burst "
		"queries-per-second of requests sent to the Kubernetes API. "
		"(default 300)\n",
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
	assert_int_equal(json_integer_value(json_object_get(j,
	    "kube-api-qps")), 50);
	assert_int_equal(json_integer_value(json_object_get(j,
	    "kube-api-burst")), 300);
	assert_string_equal(json_string_value(json_object_get(j,
	    "kubeconfig")), "");
	assert_int_equal(json_object_size(j), 12);
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
	out = tu_run(&status, "env STORAGE_PATH=/tmp/ag-store HOSTNAME=pod-1 "
	    BIN " --storage-addr=0.0.0.0:9999 2>&1 >/dev/null");
	assert_int_equal(status, 0);
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
	    "no controller yet");
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
