/*
 * Unit tests for src/base/duration.c: Go-syntax durations parse to the same
 * nanoseconds as Go's time.ParseDuration, invalid ones are rejected with a
 * reason, and formatting gives the same text as Go's Duration.String.
 *
 * The tables below are Go's own answers: each input was run through
 * time.ParseDuration and each value through time.Duration.String under
 * go1.26.8 (the small Go program is in the message of the commit that added
 * this file); "ok == false" means Go returns an error.
 */
#include "testutil.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "base/duration.h"

struct parse_case {
	const char *in;
	bool ok;
	int64_t ns;
};

struct format_case {
	int64_t ns;
	const char *out;
};

static const struct parse_case parse_cases[] = {
	{ "0", true, INT64_C(0) },
	{ "-0", true, INT64_C(0) },
	{ "+0", true, INT64_C(0) },
	{ "300ms", true, INT64_C(300000000) },
	{ "1.5s", true, INT64_C(1500000000) },
	{ "1m", true, INT64_C(60000000000) },
	{ "1h30m", true, INT64_C(5400000000000) },
	{ "2h45m30.5s", true, INT64_C(9930500000000) },
	{ ".5s", true, INT64_C(500000000) },
	{ "5.s", true, INT64_C(5000000000) },
	{ "1.s", true, INT64_C(1000000000) },
	{ "-1.5h", true, INT64_C(-5400000000000) },
	{ "+5s", true, INT64_C(5000000000) },
	{ "1ns", true, INT64_C(1) },
	{ "1us", true, INT64_C(1000) },
	{ "1µs", true, INT64_C(1000) },
	{ "1μs", true, INT64_C(1000) },
	{ "1ms", true, INT64_C(1000000) },
	{ "1s", true, INT64_C(1000000000) },
	{ "1m", true, INT64_C(60000000000) },
	{ "1h", true, INT64_C(3600000000000) },
	{ "0.000000001s", true, INT64_C(1) },
	{ "0.0000000001s", true, INT64_C(0) },
	{ "1.0000000009s", true, INT64_C(1000000000) },
	{ "9223372036854775807ns", true, INT64_C(9223372036854775807) },
	{ "9223372036854775808ns", false, 0 },
	{ "-9223372036854775808ns", true, INT64_MIN },
	{ "-9223372036854775809ns", false, 0 },
	{ "2562047h47m16.854775807s", true, INT64_C(9223372036854775807) },
	{ "2562047h47m16.854775808s", false, 0 },
	{ "-2562047h47m16.854775808s", true, INT64_MIN },
	{ "2562048h", false, 0 },
	{ "0.3333333333333333333h", true, INT64_C(1200000000000) },
	{ "1.00000000000000000000000000000001s", true, INT64_C(1000000000) },
	{ "100000000000000000000ns", false, 0 },
	{ "9223372036854775.807us", true, INT64_C(9223372036854775807) },
	{ "3000000h", false, 0 },
	{ "1h1h", true, INT64_C(7200000000000) },
	{ "1s500ms", true, INT64_C(1500000000) },
	{ "10m0s", true, INT64_C(600000000000) },
	{ "0s", true, INT64_C(0) },
	{ "00s", true, INT64_C(0) },
	{ "1e3s", false, 0 },
	{ "", false, 0 },
	{ "-", false, 0 },
	{ "+", false, 0 },
	{ "abc", false, 0 },
	{ "1", false, 0 },
	{ "1d", false, 0 },
	{ "1 s", false, 0 },
	{ "1.2.3s", false, 0 },
	{ ".s", false, 0 },
	{ "-.s", false, 0 },
	{ ".", false, 0 },
	{ "1hh", false, 0 },
	{ "s", false, 0 },
	{ "5m5", false, 0 },
	{ "1H", false, 0 },
	{ "1S", false, 0 },
	{ "1.5", false, 0 },
	{ " 1s", false, 0 },
	{ "1s ", false, 0 },
	{ "0.5ns", true, INT64_C(0) },
	{ "1.9ns", true, INT64_C(1) },
	{ "0.1us", true, INT64_C(100) },
	{ "999999999ns", true, INT64_C(999999999) },
	{ "1000000000ns", true, INT64_C(1000000000) },
	{ "59.999999999s", true, INT64_C(59999999999) },
	{ "61s", true, INT64_C(61000000000) },
	{ "3599s", true, INT64_C(3599000000000) },
	{ "3600s", true, INT64_C(3600000000000) },
	{ "86400s", true, INT64_C(86400000000000) },
};

static const struct format_case format_cases[] = {
	{ INT64_C(0), "0s" },
	{ INT64_C(1), "1ns" },
	{ INT64_C(-1), "-1ns" },
	{ INT64_C(999), "999ns" },
	{ INT64_C(1000), "1µs" },
	{ INT64_C(1001), "1.001µs" },
	{ INT64_C(1500), "1.5µs" },
	{ INT64_C(999999), "999.999µs" },
	{ INT64_C(1000000), "1ms" },
	{ INT64_C(1500000), "1.5ms" },
	{ INT64_C(300000000), "300ms" },
	{ INT64_C(999999999), "999.999999ms" },
	{ INT64_C(1000000000), "1s" },
	{ INT64_C(1500000000), "1.5s" },
	{ INT64_C(60000000000), "1m0s" },
	{ INT64_C(61000000000), "1m1s" },
	{ INT64_C(3600000000000), "1h0m0s" },
	{ INT64_C(5400000000000), "1h30m0s" },
	{ INT64_C(9930500000000), "2h45m30.5s" },
	{ INT64_C(86400000000000), "24h0m0s" },
	{ INT64_C(-60000000000), "-1m0s" },
	{ INT64_C(1000000001), "1.000000001s" },
	{ INT64_C(3599999999999), "59m59.999999999s" },
	{ INT64_C(9223372036854775807), "2562047h47m16.854775807s" },
	{ INT64_MIN, "-2562047h47m16.854775808s" },
	{ INT64_C(1234567890123), "20m34.567890123s" },
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static void
test_duration_parse_matches_go(void **state)
{
	struct err e;
	int64_t ns;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(parse_cases); i++) {
		const struct parse_case *c = &parse_cases[i];
		int rc;

		ns = 42;
		e.msg[0] = '\0';
		rc = duration_parse(c->in, &ns, &e);
		if (c->ok) {
			if (rc != 0)
				fail_msg("\"%s\": unexpected error: %s", c->in, e.msg);
			if (ns != c->ns)
				fail_msg("\"%s\": got %lld want %lld", c->in,
				    (long long)ns, (long long)c->ns);
		} else {
			if (rc != -1)
				fail_msg("\"%s\": accepted as %lld, Go rejects it",
				    c->in, (long long)ns);
			if (e.msg[0] == '\0')
				fail_msg("\"%s\": rejected without a reason", c->in);
		}
	}
}

static void
test_duration_format_matches_go(void **state)
{
	char buf[DURATION_FMT_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(format_cases); i++) {
		memset(buf, 'x', sizeof(buf));
		assert_ptr_equal(duration_format(format_cases[i].ns, buf), buf);
		assert_string_equal(buf, format_cases[i].out);
	}
}

static void
test_duration_errors_name_the_problem(void **state)
{
	struct err e;
	int64_t ns;

	(void)state;
	assert_int_equal(duration_parse("1d", &ns, &e), -1);
	assert_string_equal(e.msg,
	    "unknown unit \"d\" (valid units are ns, us, µs, ms, s, m, h)");
	assert_int_equal(duration_parse("90", &ns, &e), -1);
	assert_string_equal(e.msg,
	    "missing unit (valid units are ns, us, µs, ms, s, m, h)");
	assert_int_equal(duration_parse("3000000h", &ns, &e), -1);
	assert_string_equal(e.msg, "out of range");
	assert_int_equal(duration_parse("", &ns, &e), -1);
	assert_string_equal(e.msg, "empty duration");
	assert_int_equal(duration_parse("-", &ns, &e), -1);
	assert_string_equal(e.msg, "empty duration");
	assert_int_equal(duration_parse("abc", &ns, &e), -1);
	assert_string_equal(e.msg, "expected a number and a unit, as in 1m30s");
	assert_int_equal(duration_parse("-.s", &ns, &e), -1);
	assert_string_equal(e.msg, "a number needs digits");
}

/* Whatever the value, formatting then parsing gives the value back. */
static void
test_duration_format_parse_round_trip(void **state)
{
	char buf[DURATION_FMT_MAX];
	uint64_t raw[2000];
	struct err e;
	int64_t ns, back;
	size_t i;

	(void)state;
	tu_random_bytes(7, raw, sizeof(raw));
	for (i = 0; i < NELEM(raw); i++) {
		/* Spread magnitudes: shift right by 0..63 bits. */
		ns = (int64_t)(raw[i] >> (raw[i] % 64));
		if (raw[i] & 1)
			ns = -ns;
		duration_format(ns, buf);
		if (duration_parse(buf, &back, &e) != 0)
			fail_msg("%lld -> \"%s\": %s", (long long)ns, buf, e.msg);
		if (back != ns)
			fail_msg("%lld -> \"%s\" -> %lld", (long long)ns, buf,
			    (long long)back);
	}
	duration_format(INT64_MIN, buf);
	assert_int_equal(duration_parse(buf, &back, &e), 0);
	assert_true(back == INT64_MIN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_parse_matches_go),
		cmocka_unit_test(test_duration_format_matches_go),
		cmocka_unit_test(test_duration_errors_name_the_problem),
		cmocka_unit_test(test_duration_format_parse_round_trip),
	};
	return cmocka_run_group_tests_name("duration", tests, NULL, NULL);
}
