/*
 * Unit tests for src/base/log.c: lines are JSON objects with Flux's key order,
 * escaping keeps one entry per line, levels filter, the console form matches
 * zap's, and lines from many threads never interleave.
 */
#include "testutil.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"

/* 2026-11-22T03:52:29.123Z, computed rather than typed. */
static int64_t
fixed_ts(void)
{
	struct tm tm = {
		.tm_year = 2026 - 1900, .tm_mon = 10, .tm_mday = 22,
		.tm_hour = 3, .tm_min = 52, .tm_sec = 29,
	};

	return (int64_t)timegm(&tm) * 1000000000 + 123456789;
}

struct sink {
	char *dir;
	char *path;
	FILE *f;
};

static int
sink_setup(void **state)
{
	struct sink *s = calloc(1, sizeof(*s));

	s->dir = tu_mkdtemp();
	s->path = tu_path(s->dir, "log");
	s->f = fopen(s->path, "a");
	assert_non_null(s->f);
	log_clock_set(fixed_ts);
	*state = s;
	return 0;
}

static int
sink_teardown(void **state)
{
	struct sink *s = *state;

	log_init(LOG_INFO, LOG_ENCODING_JSON, stderr);
	log_clock_set(NULL);
	fclose(s->f);
	free(s->path);
	tu_rmtree(s->dir);
	free(s);
	return 0;
}

static char *
sink_read(struct sink *s)
{
	return tu_read(s->path, NULL);
}

/* Asserts that obj's keys are exactly keys[], in that order. */
static void
assert_keys_in_order(json_t *obj, const char *const *keys, size_t n)
{
	const char *key;
	json_t *value;
	size_t i = 0;

	json_object_foreach(obj, key, value) {
		(void)value;
		assert_true(i < n);
		assert_string_equal(key, keys[i]);
		i++;
	}
	assert_int_equal(i, n);
}

/* Asserts that obj[key] is the string want. */
static void
assert_member(json_t *obj, const char *key, const char *want)
{
	const char *got = json_string_value(json_object_get(obj, key));

	if (got == NULL)
		fail_msg("no string member \"%s\"", key);
	assert_string_equal(got, want);
}

static json_t *
parse_line(const char *line)
{
	json_error_t jerr;
	json_t *j;

	j = json_loads(line, 0, &jerr);
	if (j == NULL)
		fail_msg("not JSON: %s (%s)", line, jerr.text);
	return j;
}

static void
test_log_json_line_exact(void **state)
{
	json_t *fields = json_pack("{s:s}", "path", "/data");
	char *line;

	(void)state;
	line = log_line_format(LOG_ENCODING_JSON, LOG_INFO, fixed_ts(), NULL,
	    NULL, "storage ready", fields);
	assert_string_equal(line, "{\"level\":\"info\","
	    "\"ts\":\"2026-11-22T03:52:29.123Z\",\"msg\":\"storage ready\","
	    "\"path\":\"/data\"}\n");
	free(line);
	json_decref(fields);
}

static void
test_log_info_writes_fields_in_order(void **state)
{
	static const char *const keys[] = {
		"level", "ts", "msg", "name", "namespace", "revision",
	};
	struct sink *s = *state;
	json_t *j;
	char *out;

	log_init(LOG_INFO, LOG_ENCODING_JSON, s->f);
	log_info("artifact built", "name", "web", "namespace", "apps",
	    "revision", "latest@sha256:ab", NULL);
	out = sink_read(s);
	assert_int_equal(strchr(out, '\n') - out, (long)strlen(out) - 1);
	j = parse_line(out);
	assert_keys_in_order(j, keys, 6);
	assert_member(j, "level", "info");
	assert_member(j, "ts", "2026-11-22T03:52:29.123Z");
	assert_member(j, "msg", "artifact built");
	assert_member(j, "namespace", "apps");
	json_decref(j);
	free(out);
}

static void
test_log_error_puts_error_after_fields(void **state)
{
	static const char *const keys[] = {
		"level", "ts", "msg", "name", "error",
	};
	struct sink *s = *state;
	json_t *j;
	char *out;

	log_init(LOG_INFO, LOG_ENCODING_JSON, s->f);
	log_error_kv("open /data: permission denied", "storage failed",
	    "name", "web", NULL);
	out = sink_read(s);
	j = parse_line(out);
	assert_keys_in_order(j, keys, 5);
	assert_member(j, "level", "error");
	assert_member(j, "error", "open /data: permission denied");
	json_decref(j);
	free(out);
}

static void
test_log_logger_name_between_ts_and_msg(void **state)
{
	static const char *const keys[] = { "level", "ts", "logger", "msg" };
	struct sink *s = *state;
	json_t *j;
	char *out;

	log_init(LOG_DEBUG, LOG_ENCODING_JSON, s->f);
	log_msg(LOG_INFO, "setup", NULL, "starting manager", NULL);
	out = sink_read(s);
	j = parse_line(out);
	assert_keys_in_order(j, keys, 4);
	assert_member(j, "logger", "setup");
	json_decref(j);
	free(out);
}

static void
test_log_null_value_ends_pairs(void **state)
{
	struct sink *s = *state;
	json_t *j;
	char *out;

	log_init(LOG_INFO, LOG_ENCODING_JSON, s->f);
	log_info("m", "a", "1", "b", NULL, "never", "read", NULL);
	out = sink_read(s);
	j = parse_line(out);
	assert_int_equal(json_object_size(j), 5);
	assert_true(json_is_null(json_object_get(j, "b")));
	assert_null(json_object_get(j, "never"));
	json_decref(j);
	free(out);
}

static void
test_log_escaping_round_trips(void **state)
{
	static const char *const nasty[] = {
		"say \"hi\"",
		"back\\slash",
		"two\nlines\r\n",
		"tab\there",
		"bell\x01 esc\x1b[31m del\x7f",
		"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		"</script> & '",
	};
	size_t i, nl;
	char *line, *p;
	json_t *fields, *j;

	(void)state;
	for (i = 0; i < sizeof(nasty) / sizeof(nasty[0]); i++) {
		fields = json_pack("{s:s}", "value", nasty[i]);
		line = log_line_format(LOG_ENCODING_JSON, LOG_INFO, fixed_ts(),
		    NULL, nasty[i], nasty[i], fields);
		for (nl = 0, p = line; *p; p++)
			nl += *p == '\n';
		assert_int_equal(nl, 1);
		assert_int_equal(line[strlen(line) - 1], '\n');
		j = parse_line(line);
		assert_member(j, "msg", nasty[i]);
		assert_member(j, "value", nasty[i]);
		assert_member(j, "error", nasty[i]);
		json_decref(j);
		json_decref(fields);
		free(line);
	}
}

static void
test_log_escapes_specific_characters(void **state)
{
	char *line;

	(void)state;
	line = log_line_format(LOG_ENCODING_JSON, LOG_INFO, fixed_ts(), NULL,
	    NULL, "q\" n\n t\t c\x01 \xc3\xa9", NULL);
	assert_non_null(strstr(line,
	    "\"msg\":\"q\\\" n\\n t\\t c\\u0001 \xc3\xa9\"}"));
	free(line);
}

static void
test_log_invalid_utf8_is_replaced(void **state)
{
	json_t *j;
	char *line;

	(void)state;
	/* A lone continuation byte, a truncated sequence, an overlong '/'
	 * and a UTF-16 surrogate. */
	line = log_line_format(LOG_ENCODING_JSON, LOG_INFO, fixed_ts(), NULL,
	    NULL, "a\x80" "b\xe2\x82" "c\xc0\xaf" "d\xed\xa0\x80", NULL);
	assert_non_null(line);
	j = parse_line(line);
	assert_member(j, "msg", "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd"
	    "c\xef\xbf\xbd\xef\xbf\xbd" "d\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	json_decref(j);
	free(line);
}

static void
test_log_long_value_is_cut(void **state)
{
	char *big = malloc(3 * LOG_VALUE_MAX);
	const char *msg;
	json_t *j;
	char *line;

	(void)state;
	memset(big, 'x', 3 * LOG_VALUE_MAX - 1);
	big[3 * LOG_VALUE_MAX - 1] = '\0';
	line = log_line_format(LOG_ENCODING_JSON, LOG_INFO, fixed_ts(), NULL,
	    NULL, big, NULL);
	j = parse_line(line);
	msg = json_string_value(json_object_get(j, "msg"));
	assert_int_equal(strlen(msg), LOG_VALUE_MAX + 3);
	assert_string_equal(msg + LOG_VALUE_MAX, "...");
	assert_memory_equal(msg, big, LOG_VALUE_MAX);
	json_decref(j);
	free(line);
	free(big);
}

static void
test_log_level_filtering(void **state)
{
	struct sink *s = *state;
	char *out;

	log_init(LOG_INFO, LOG_ENCODING_JSON, s->f);
	log_debug("hidden debug", NULL);
	log_trace("hidden trace", NULL);
	assert_false(log_enabled(LOG_DEBUG));
	assert_true(log_enabled(LOG_INFO));
	log_init(LOG_ERROR, LOG_ENCODING_JSON, s->f);
	log_info("hidden info", NULL);
	log_error_kv("boom", "shown error", NULL);
	log_init(LOG_DEBUG, LOG_ENCODING_JSON, s->f);
	log_debug("shown debug", NULL);
	log_trace("hidden trace 2", NULL);
	log_init(LOG_TRACE, LOG_ENCODING_JSON, s->f);
	log_trace("shown trace", NULL);
	out = sink_read(s);
	assert_null(strstr(out, "hidden"));
	assert_non_null(strstr(out, "{\"level\":\"error\","));
	assert_non_null(strstr(out, "\"msg\":\"shown error\""));
	assert_non_null(strstr(out, "{\"level\":\"debug\","));
	assert_non_null(strstr(out, "\"msg\":\"shown debug\""));
	/* zap prints the custom level -2 this way. */
	assert_non_null(strstr(out, "{\"level\":\"Level(-2)\","));
	assert_non_null(strstr(out, "\"msg\":\"shown trace\""));
	free(out);
}

static void
test_log_console_form(void **state)
{
	json_t *fields = json_pack("{s:s}", "k", "v");
	char *line;

	(void)state;
	line = log_line_format(LOG_ENCODING_CONSOLE, LOG_INFO, fixed_ts(),
	    NULL, NULL, "msg", fields);
	assert_string_equal(line,
	    "2026-11-22T03:52:29.123Z\tINFO\tmsg\t{\"k\":\"v\"}\n");
	free(line);
	line = log_line_format(LOG_ENCODING_CONSOLE, LOG_ERROR, fixed_ts(),
	    "setup", "bad \"x\"", "failed", fields);
	assert_string_equal(line, "2026-11-22T03:52:29.123Z\tERROR\tsetup\t"
	    "failed\t{\"k\":\"v\",\"error\":\"bad \\\"x\\\"\"}\n");
	free(line);
	line = log_line_format(LOG_ENCODING_CONSOLE, LOG_DEBUG, fixed_ts(),
	    NULL, NULL, "two\nlines\tand \"quotes\"", NULL);
	assert_string_equal(line, "2026-11-22T03:52:29.123Z\tDEBUG\t"
	    "two\\nlines\\tand \"quotes\"\n");
	free(line);
	json_decref(fields);
}

static void
test_log_console_through_init(void **state)
{
	struct sink *s = *state;
	char *out;

	log_init(LOG_INFO, LOG_ENCODING_CONSOLE, s->f);
	log_info("storage ready", "path", "/data", NULL);
	out = sink_read(s);
	assert_string_equal(out, "2026-11-22T03:52:29.123Z\tINFO\t"
	    "storage ready\t{\"path\":\"/data\"}\n");
	free(out);
}

static void
test_log_timestamp_milliseconds(void **state)
{
	int64_t base = fixed_ts() - 123456789;
	char *line;

	(void)state;
	line = log_line_format(LOG_ENCODING_JSON, LOG_INFO, base + 5000000,
	    NULL, NULL, "m", NULL);
	assert_non_null(strstr(line, "\"ts\":\"2026-11-22T03:52:29.005Z\""));
	free(line);
	line = log_line_format(LOG_ENCODING_JSON, LOG_INFO, base + 999999999,
	    NULL, NULL, "m", NULL);
	assert_non_null(strstr(line, "\"ts\":\"2026-11-22T03:52:29.999Z\""));
	free(line);
	line = log_line_format(LOG_ENCODING_JSON, LOG_INFO, 0, NULL, NULL, "m",
	    NULL);
	assert_non_null(strstr(line, "\"ts\":\"1970-01-01T00:00:00.000Z\""));
	free(line);
}

static void
test_log_real_clock_is_rfc3339_utc(void **state)
{
	struct sink *s = *state;
	const char *ts;
	time_t before, parsed;
	struct tm tm = { 0 };
	json_t *j;
	char *out, *end;

	log_clock_set(NULL);
	before = time(NULL);
	log_init(LOG_INFO, LOG_ENCODING_JSON, s->f);
	log_info("now", NULL);
	out = sink_read(s);
	j = parse_line(out);
	ts = json_string_value(json_object_get(j, "ts"));
	assert_int_equal(strlen(ts), 24);
	end = strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm);
	assert_non_null(end);
	assert_true(end[0] == '.' && end[4] == 'Z');
	parsed = timegm(&tm);
	assert_true(parsed >= before && parsed <= time(NULL));
	json_decref(j);
	free(out);
}

static void
test_log_parse_names(void **state)
{
	enum log_level level;
	enum log_encoding enc;
	struct err e;

	(void)state;
	assert_int_equal(log_level_parse("trace", &level, &e), 0);
	assert_int_equal(level, LOG_TRACE);
	assert_int_equal(log_level_parse("error", &level, &e), 0);
	assert_int_equal(level, LOG_ERROR);
	assert_int_equal(log_level_parse("warn", &level, &e), -1);
	assert_string_equal(e.msg, "unknown log level \"warn\" (valid levels "
	    "are trace, debug, info, error)");
	assert_int_equal(log_encoding_parse("console", &enc, &e), 0);
	assert_int_equal(enc, LOG_ENCODING_CONSOLE);
	assert_int_equal(log_encoding_parse("text", &enc, &e), -1);
	assert_string_equal(e.msg, "unknown log encoding \"text\" (valid "
	    "encodings are json, console)");
}

#define THREADS 8
#define LINES_PER_THREAD 300

static void *
log_worker(void *arg)
{
	char id[16], seq[16], payload[1024];
	int i;

	snprintf(id, sizeof(id), "%d", (int)(intptr_t)arg);
	memset(payload, 'a' + (int)(intptr_t)arg, sizeof(payload) - 1);
	payload[sizeof(payload) - 1] = '\0';
	for (i = 0; i < LINES_PER_THREAD; i++) {
		snprintf(seq, sizeof(seq), "%d", i);
		log_info("tick", "thread", id, "seq", seq, "payload", payload,
		    NULL);
	}
	return NULL;
}

static void
test_log_threads_never_interleave(void **state)
{
	struct sink *s = *state;
	pthread_t t[THREADS];
	int counts[THREADS] = { 0 };
	char *out, *line, *save = NULL;
	size_t i, total = 0;
	json_t *j;

	log_init(LOG_INFO, LOG_ENCODING_JSON, s->f);
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, log_worker,
		    (void *)(intptr_t)i), 0);
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	out = sink_read(s);
	for (line = strtok_r(out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		int id;

		j = parse_line(line);
		id = atoi(json_string_value(json_object_get(j, "thread")));
		assert_true(id >= 0 && id < THREADS);
		assert_int_equal(json_string_value(json_object_get(j,
		    "payload"))[0], 'a' + id);
		assert_int_equal(atoi(json_string_value(json_object_get(j,
		    "seq"))), counts[id]);
		counts[id]++;
		total++;
		json_decref(j);
	}
	assert_int_equal(total, THREADS * LINES_PER_THREAD);
	free(out);
}

#define SINK_TEST(f) cmocka_unit_test_setup_teardown(f, sink_setup, sink_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_json_line_exact),
		SINK_TEST(test_log_info_writes_fields_in_order),
		SINK_TEST(test_log_error_puts_error_after_fields),
		SINK_TEST(test_log_logger_name_between_ts_and_msg),
		SINK_TEST(test_log_null_value_ends_pairs),
		cmocka_unit_test(test_log_escaping_round_trips),
		cmocka_unit_test(test_log_escapes_specific_characters),
		cmocka_unit_test(test_log_invalid_utf8_is_replaced),
		cmocka_unit_test(test_log_long_value_is_cut),
		SINK_TEST(test_log_level_filtering),
		cmocka_unit_test(test_log_console_form),
		SINK_TEST(test_log_console_through_init),
		cmocka_unit_test(test_log_timestamp_milliseconds),
		SINK_TEST(test_log_real_clock_is_rfc3339_utc),
		cmocka_unit_test(test_log_parse_names),
		SINK_TEST(test_log_threads_never_interleave),
	};
	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
