/*
 * Unit tests for src/controller/metrics*.c: what a Prometheus scrape of the
 * controller relies on. The rendering parses with Prometheus' own text
 * parser (build/tools/promcheck, expfmt) and reads back the values
 * recorded; histogram buckets are cumulative with +Inf equal to _count;
 * bucket bounds print as client_golang prints them; label values are
 * escaped; a family stops at its series cap and says so; the controller's
 * set carries the names, labels and buckets Flux's dashboards query; the
 * process metrics are this process's.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "controller/metrics.h"

#define PROMCHECK "build/tools/promcheck"

/* promcheck's sorted sample lines for the rendering of m (asserts that it
 * parses). The caller frees. */
static char *
scrape(struct metrics *m)
{
	char *dir = tu_mkdtemp(), *text, *out;
	size_t len;
	struct err e;
	int status;

	assert_int_equal(metrics_render(m, &text, &len, &e), 0);
	assert_int_equal(strlen(text), len);
	tu_write(dir, "m.txt", text, len);
	out = tu_run(&status, PROMCHECK " %s/m.txt 2>&1", dir);
	if (status != 0)
		fail_msg("promcheck: %s\n--- rendering:\n%s", out, text);
	free(text);
	tu_rmtree(dir);
	return out;
}

static void
assert_line(const char *lines, const char *line)
{
	const char *p = lines;
	size_t n = strlen(line);

	for (; (p = strstr(p, line)) != NULL; p += n)
		if ((p == lines || p[-1] == '\n') &&
		    (p[n] == '\n' || p[n] == '\0'))
			return;
	fail_msg("no line \"%s\" in:\n%s", line, lines);
}

static void
test_counters_gauges_histograms_parse_and_read_back(void **state)
{
	struct metrics *m = metrics_new();
	struct metric_family *c, *g, *h;
	const double b[] = { 0.1, 1, 10 };
	struct err e;
	char *out;

	(void)state;
	c = metrics_family_new(m, METRIC_COUNTER, "t_requests_total",
	    "Requests.\nSecond line \\ backslash.", "code,path", NULL, 0, 0, &e);
	g = metrics_family_new(m, METRIC_GAUGE, "t_depth", "Depth.", NULL,
	    NULL, 0, 0, &e);
	h = metrics_family_new(m, METRIC_HISTOGRAM, "t_seconds", "Time.",
	    "op", b, 3, 0, &e);
	assert_non_null(c);
	assert_non_null(g);
	assert_non_null(h);
	metric_inc(metric_family_with(c, "200", "/a"));
	metric_add(metric_family_with(c, "200", "/a"), 2);
	metric_add(metric_family_with(c, "200", "/a"), -5);	/* ignored */
	metric_inc(metric_family_with(c, "404", "/q\"uo\\te\nnl"));
	metric_set(metric_family_with(g), -3.5);
	metric_observe(metric_family_with(h, "x"), 0.05);
	metric_observe(metric_family_with(h, "x"), 0.1);	/* le is <= */
	metric_observe(metric_family_with(h, "x"), 5);
	metric_observe(metric_family_with(h, "x"), 50);
	/* NULL series are no-ops: uninstrumented code passes them. */
	metric_inc(NULL);
	metric_observe(metric_family_with(NULL, "x"), 1);

	out = scrape(m);
	assert_line(out, "t_requests_total{code=\"200\",path=\"/a\"} 3");
	assert_line(out, "t_requests_total{code=\"404\","
	    "path=\"/q\\\"uo\\\\te\\nnl\"} 1");
	assert_line(out, "t_depth -3.5");
	assert_line(out, "t_seconds_bucket{le=\"0.1\",op=\"x\"} 2");
	assert_line(out, "t_seconds_bucket{le=\"1\",op=\"x\"} 2");
	assert_line(out, "t_seconds_bucket{le=\"10\",op=\"x\"} 3");
	assert_line(out, "t_seconds_bucket{le=\"+Inf\",op=\"x\"} 4");
	assert_line(out, "t_seconds_count{op=\"x\"} 4");
	assert_line(out, "t_seconds_sum{op=\"x\"} 55.15");
	free(out);
	metrics_free(m);
}

static void
test_bad_definitions_are_refused_with_the_name(void **state)
{
	struct metrics *m = metrics_new();
	const double down[] = { 1, 0.5 };
	struct err e;

	(void)state;
	assert_null(metrics_family_new(m, METRIC_COUNTER, "9bad", "", NULL,
	    NULL, 0, 0, &e));
	assert_non_null(strstr(e.msg, "9bad"));
	assert_non_null(metrics_family_new(m, METRIC_GAUGE, "dup", "", NULL,
	    NULL, 0, 0, &e));
	assert_null(metrics_family_new(m, METRIC_GAUGE, "dup", "", NULL,
	    NULL, 0, 0, &e));
	assert_non_null(strstr(e.msg, "dup"));
	assert_null(metrics_family_new(m, METRIC_HISTOGRAM, "h", "", "le",
	    down, 1, 0, &e));
	assert_non_null(strstr(e.msg, "le"));
	assert_null(metrics_family_new(m, METRIC_HISTOGRAM, "h2", "", NULL,
	    down, 2, 0, &e));
	assert_non_null(strstr(e.msg, "h2"));
	assert_null(metrics_family_new(m, METRIC_COUNTER, "l", "", "a-b",
	    NULL, 0, 0, &e));
	metrics_free(m);
}

static void
test_series_cap_bounds_cardinality_and_is_reported(void **state)
{
	struct metrics *m = metrics_new();
	struct metric_family *f;
	char name[32], big[METRICS_LABEL_MAX + 2];
	struct err e;
	char *out;
	int i;

	(void)state;
	f = metrics_family_new(m, METRIC_COUNTER, "t_per_object_total", "",
	    "name", NULL, 0, 8, &e);
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "obj-%d", i);
		metric_inc(metric_family_with(f, name));
	}
	assert_int_equal(metric_family_len(f), 8);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_null(metric_family_with(f, big));
	/* An existing series still counts once the family is full. */
	metric_inc(metric_family_with(f, "obj-0"));
	/* A removed series frees its place. */
	metric_family_remove(f, "obj-1");
	assert_int_equal(metric_family_len(f), 7);
	assert_non_null(metric_family_with(f, "obj-19"));
	out = scrape(m);
	assert_line(out, "t_per_object_total{name=\"obj-0\"} 2");
	assert_null(strstr(out, "name=\"obj-1\""));
	assert_line(out, "t_per_object_total{name=\"obj-19\"} 0");
	assert_line(out, "metrics_series_dropped_total"
	    "{family=\"t_per_object_total\"} 13");
	free(out);
	metrics_free(m);
}

static void
test_numbers_print_as_client_golang(void **state)
{
	static const struct { double v; const char *s; } cases[] = {
		{ 0.005, "0.005" }, { 1, "1" }, { 60, "60" }, { 1e-08, "1e-08" },
		{ 1e-07, "1e-07" }, { 0.0001, "0.0001" }, { 100000, "100000" },
		{ 1e+06, "1e+06" }, { 123456789, "1.23456789e+08" },
		{ 1.5, "1.5" }, { -2, "-2" }, { 0, "0" },
		{ 1.0 / 0.0, "+Inf" }, { -1.0 / 0.0, "-Inf" },
	};
	static const char *const go_exp[12] = {
		"1e-08", "1e-07", "1e-06", "9.999999999999999e-06",
		"9.999999999999999e-05", "0.001", "0.01", "0.1", "1", "10",
		"100", "1000",
	};
	double b[12];
	char t[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		metrics_format_float(cases[i].v, t);
		assert_string_equal(t, cases[i].s);
	}
	/* ExponentialBuckets(10e-9, 10, 12): what Go computes and prints
	 * (strconv.FormatFloat(b, 'g', -1, 64) of client_golang's values). */
	metrics_exp_buckets(10e-9, 10, 12, b);
	for (i = 0; i < 12; i++) {
		metrics_format_float(b[i], t);
		assert_string_equal(t, go_exp[i]);
	}
}

static void
test_controller_set_has_flux_names_labels_and_buckets(void **state)
{
	struct ctl_metrics cm;
	struct err e;
	char *out;

	(void)state;
	assert_int_equal(ctl_metrics_init(&cm, "artifactgenerator", 10, &e),
	    0);
	ctl_metrics_reconciled(&cm, CTL_REQUEUE_AFTER, 0.2,
	    "ArtifactGenerator", "apps", "podinfo");
	ctl_metrics_reconciled(&cm, CTL_ERROR, 3, "ArtifactGenerator",
	    "apps", "podinfo");
	ctl_metrics_served(&cm, "artifact", 200, 1024);
	ctl_metrics_served(&cm, "artifact", 404, 9);
	metric_inc(cm.wq_adds);
	metric_inc(cm.built);
	metric_add(cm.archived_bytes, 4096);
	out = scrape(cm.reg);
	assert_line(out, "controller_runtime_reconcile_total"
	    "{controller=\"artifactgenerator\",result=\"requeue_after\"} 1");
	assert_line(out, "controller_runtime_reconcile_total"
	    "{controller=\"artifactgenerator\",result=\"error\"} 1");
	assert_line(out, "controller_runtime_reconcile_total"
	    "{controller=\"artifactgenerator\",result=\"success\"} 0");
	assert_line(out, "controller_runtime_reconcile_errors_total"
	    "{controller=\"artifactgenerator\"} 1");
	assert_line(out, "controller_runtime_max_concurrent_reconciles"
	    "{controller=\"artifactgenerator\"} 10");
	/* controller-runtime's 40 bounds, 0.005 to 60. */
	assert_line(out, "controller_runtime_reconcile_time_seconds_bucket"
	    "{controller=\"artifactgenerator\",le=\"0.005\"} 0");
	assert_line(out, "controller_runtime_reconcile_time_seconds_bucket"
	    "{controller=\"artifactgenerator\",le=\"0.2\"} 1");
	assert_line(out, "controller_runtime_reconcile_time_seconds_bucket"
	    "{controller=\"artifactgenerator\",le=\"3\"} 2");
	assert_line(out, "controller_runtime_reconcile_time_seconds_bucket"
	    "{controller=\"artifactgenerator\",le=\"60\"} 2");
	assert_line(out, "gotk_reconcile_duration_seconds_count"
	    "{kind=\"ArtifactGenerator\",name=\"podinfo\","
	    "namespace=\"apps\"} 2");
	assert_line(out, "gotk_reconcile_duration_seconds_bucket"
	    "{kind=\"ArtifactGenerator\",le=\"10\",name=\"podinfo\","
	    "namespace=\"apps\"} 2");
	assert_line(out, "workqueue_adds_total"
	    "{controller=\"artifactgenerator\",name=\"artifactgenerator\"} 1");
	assert_line(out, "workqueue_depth{controller=\"artifactgenerator\","
	    "name=\"artifactgenerator\",priority=\"\"} 0");
	assert_line(out, "artifact_generator_http_requests_total"
	    "{code=\"404\",server=\"artifact\"} 1");
	assert_line(out, "artifact_generator_http_response_bytes_total"
	    "{server=\"artifact\"} 1033");
	assert_line(out, "artifact_generator_artifacts_built_total 1");
	assert_line(out, "artifact_generator_archived_bytes_total 4096");
	free(out);
	ctl_metrics_free(&cm);
}

static double
value_of(const char *lines, const char *name)
{
	char key[128];
	const char *p;

	snprintf(key, sizeof(key), "\n%s ", name);
	p = strstr(lines, key);
	if (p == NULL)
		fail_msg("no %s in:\n%s", name, lines);
	return strtod(p + strlen(key), NULL);
}

static void
test_process_metrics_are_this_process(void **state)
{
	struct metrics *m = metrics_new();
	struct err e;
	double start, fds;
	char *out, *lines;
	int fd;

	(void)state;
	assert_int_equal(metrics_process_register(m, &e), 0);
	fd = dup(0);
	out = scrape(m);
	lines = malloc(strlen(out) + 2);
	sprintf(lines, "\n%s", out);
	assert_true(value_of(lines, "process_resident_memory_bytes") > 1e5);
	assert_true(value_of(lines, "process_virtual_memory_bytes") >
	    value_of(lines, "process_resident_memory_bytes"));
	start = value_of(lines, "process_start_time_seconds");
	assert_true(start > (double)time(NULL) - 600 &&
	    start <= (double)time(NULL) + 1);
	fds = value_of(lines, "process_open_fds");
	assert_true(fds >= 4 && fds < 1000);
	assert_true(value_of(lines, "process_max_fds") >= fds);
	assert_true(value_of(lines, "process_cpu_seconds_total") >= 0);
	close(fd);
	free(lines);
	free(out);
	metrics_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_counters_gauges_histograms_parse_and_read_back),
		cmocka_unit_test(test_bad_definitions_are_refused_with_the_name),
		cmocka_unit_test(
		    test_series_cap_bounds_cardinality_and_is_reported),
		cmocka_unit_test(test_numbers_print_as_client_golang),
		cmocka_unit_test(
		    test_controller_set_has_flux_names_labels_and_buckets),
		cmocka_unit_test(test_process_metrics_are_this_process),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
