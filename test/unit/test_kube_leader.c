/*
 * Unit tests for src/kube/leader.c against the scripted loopback server of
 * tsrv.h, with short durations (lease 600 ms, renew deadline 400 ms, retry
 * 100 ms): an absent Lease is created and then renewed with one PUT that
 * keeps acquireTime; a Lease another instance keeps renewing is never
 * taken; one whose record stops changing is taken after the lease duration
 * (leaseTransitions + 1); a released one at once; a renewal that does not
 * succeed within the renew deadline, or a read showing another holder,
 * loses the lease once and sends nothing more; stop releases the Lease
 * (empty holder, 1 s), also with a renewal in flight, and a candidate
 * stops without a write; Flux's Lease names and controller-runtime's
 * identities; invalid durations refused naming the flag.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "kube/client.h"
#include "kube/leader.h"
#include "tsrv.h"

#define ME "me_0001"
#define LEASE_PATH "/apis/coordination.k8s.io/v1/namespaces/ns/leases"
#define NOT_FOUND "{\"kind\":\"Status\",\"status\":\"Failure\"," \
	"\"reason\":\"NotFound\",\"code\":404}"
#define CONFLICT "{\"kind\":\"Status\",\"status\":\"Failure\"," \
	"\"reason\":\"Conflict\",\"code\":409}"
#define LEASE(rv, holder, renew, trans) "{\"apiVersion\":" \
	"\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":" \
	"{\"name\":\"leader\",\"namespace\":\"ns\",\"resourceVersion\":\"" rv \
	"\"},\"spec\":{\"holderIdentity\":\"" holder "\"," \
	"\"leaseDurationSeconds\":1,\"acquireTime\":" \
	"\"2020-01-01T00:00:00.000000Z\",\"renewTime\":\"" renew "\"," \
	"\"leaseTransitions\":" trans "}}"
#define T1 "2020-01-01T00:00:01.000000Z"
#define T2 "2020-01-01T00:00:02.000000Z"

struct fx {
	uv_loop_t loop;
	struct tsrv srv;
	struct kube_client *c;
	struct kube_leader *l;
	char url[64];
	int started, lost, done;
	uint64_t started_at, lost_at;
	char leader_seen[64];
};

static void
on_started(void *data)
{
	struct fx *f = data;

	f->started++;
	f->started_at = uv_now(&f->loop);
}

static void
on_lost(void *data)
{
	struct fx *f = data;

	f->lost++;
	f->lost_at = uv_now(&f->loop);
}

static void
on_new_leader(void *data, const char *id)
{
	struct fx *f = data;

	snprintf(f->leader_seen, sizeof(f->leader_seen), "%s", id);
}

static void
on_done(void *data)
{
	((struct fx *)data)->done++;
}

static void
fx_start(struct fx *f, const struct tsrv_resp *script, size_t n,
    bool release)
{
	struct kube_config cfg = { 0 };
	struct kube_client_opts ko = { .qps = 0 };
	struct kube_leader_opts lo = { .namespace = "ns", .name = "leader",
	    .identity = ME, .lease_duration_ms = 600,
	    .renew_deadline_ms = 400, .retry_period_ms = 100,
	    .release_on_cancel = release, .on_started = on_started,
	    .on_lost = on_lost, .on_new_leader = on_new_leader, .data = f };
	struct err e = { .msg = "" };

	memset(f, 0, sizeof(*f));
	uv_loop_init(&f->loop);
	tsrv_start(&f->srv, &f->loop, script, n);
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d", f->srv.port);
	cfg.server = f->url;
	cfg.token = "sekret";
	if (kube_client_new(&f->c, &f->loop, &cfg, &ko, &e) < 0)
		fail_msg("kube_client_new: %s", e.msg);
	if (kube_leader_new(&f->l, &f->loop, f->c, &lo, &e) < 0)
		fail_msg("kube_leader_new: %s", e.msg);
	kube_leader_start(f->l);
}

static void
wake_cb(uv_timer_t *t)
{
	(void)t;
}

/* Runs the loop until *flag >= want or ms passed; returns *flag. */
static int
fx_until(struct fx *f, const int *flag, int want, uint64_t ms)
{
	uint64_t until = uv_now(&f->loop) + ms;
	uv_timer_t wake;

	uv_timer_init(&f->loop, &wake);
	uv_timer_start(&wake, wake_cb, 10, 10);
	while (*flag < want && uv_now(&f->loop) < until)
		uv_run(&f->loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&wake, NULL);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	return *flag;
}

static void
fx_run_ms(struct fx *f, uint64_t ms)
{
	int never = 0;

	fx_until(f, &never, 1, ms);
}

static void
fx_stop(struct fx *f)
{
	kube_leader_free(f->l);
	kube_client_destroy(f->c);
	tsrv_close(&f->srv);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
}

/* The index of the first request whose line starts with method. */
static int
first_req(const struct fx *f, const char *method, size_t from)
{
	for (size_t i = from; i < f->srv.nreq && i < TSRV_MAX_REQS; i++)
		if (strncmp(f->srv.reqs[i].line, method, strlen(method)) == 0)
			return (int)i;
	return -1;
}

static json_t *
req_json(const struct fx *f, int i)
{
	json_error_t je;
	json_t *j;

	assert_true(i >= 0);
	j = json_loads(f->srv.reqs[i].body, 0, &je);
	if (j == NULL)
		fail_msg("request %d body: %s", i, je.text);
	return j;
}

static const char *
spec_str(const json_t *b, const char *k)
{
	return json_string_value(json_object_get(json_object_get(b, "spec"),
	    k));
}

static json_int_t
spec_int(const json_t *b, const char *k)
{
	return json_integer_value(json_object_get(json_object_get(b, "spec"),
	    k));
}

static void
test_absent_lease_is_created_then_renewed_with_one_put(void **state)
{
	static const struct tsrv_resp script[] = {
		{ 404, NOT_FOUND, 0, NULL },
		{ 201, LEASE("1", ME, T1, "0"), 0, NULL },
		{ 200, LEASE("2", ME, T2, "0"), 0, NULL },
		{ 200, LEASE("3", ME, T2, "0"), 0, NULL },
	};
	struct fx f;
	json_t *b;

	(void)state;
	fx_start(&f, script, 4, false);
	assert_int_equal(fx_until(&f, &f.started, 1, 2000), 1);
	assert_true(kube_leader_leading(f.l));
	assert_string_equal(f.srv.reqs[0].line, "GET " LEASE_PATH "/leader");
	assert_string_equal(f.srv.reqs[1].line, "POST " LEASE_PATH);
	b = req_json(&f, 1);
	assert_string_equal(spec_str(b, "holderIdentity"), ME);
	assert_int_equal(spec_int(b, "leaseDurationSeconds"), 1);
	assert_int_equal(spec_int(b, "leaseTransitions"), 0);
	assert_non_null(spec_str(b, "acquireTime"));
	assert_string_equal(spec_str(b, "acquireTime"),
	    spec_str(b, "renewTime"));
	assert_int_equal(strlen(spec_str(b, "renewTime")),
	    strlen("2020-01-01T00:00:00.000000Z"));
	json_decref(b);
	/* Renewals: a PUT of what the server returned, every retry period,
	 * acquireTime kept, renewTime moved on. */
	fx_run_ms(&f, 350);
	assert_true(f.srv.nreq >= 4 && f.srv.nreq <= 5);
	assert_string_equal(f.srv.reqs[2].line, "PUT " LEASE_PATH "/leader");
	assert_true(f.srv.reqs[2].at_ms - f.srv.reqs[1].at_ms >= 95);
	b = req_json(&f, 2);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    b, "metadata"), "resourceVersion")), "1");
	assert_string_equal(spec_str(b, "acquireTime"),
	    "2020-01-01T00:00:00.000000Z");
	assert_string_not_equal(spec_str(b, "renewTime"), T1);
	assert_int_equal(spec_int(b, "leaseTransitions"), 0);
	json_decref(b);
	b = req_json(&f, 3);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    b, "metadata"), "resourceVersion")), "2");
	json_decref(b);
	assert_int_equal(f.lost, 0);
	fx_stop(&f);
}

/* Another instance renews (its record changes at every read): never
 * taken. */
static void
test_lease_renewed_by_another_is_not_taken(void **state)
{
	static struct tsrv_resp script[TSRV_MAX_REQS];
	struct fx f;

	(void)state;
	for (int i = 0; i < TSRV_MAX_REQS; i++)
		script[i] = (struct tsrv_resp){ 200, i % 2 ?
		    LEASE("5", "other", T1, "3") :
		    LEASE("6", "other", T2, "3"), 0, NULL };
	fx_start(&f, script, TSRV_MAX_REQS, true);
	fx_run_ms(&f, 1200);
	assert_int_equal(f.started, 0);
	assert_int_equal(first_req(&f, "PUT", 0), -1);
	assert_int_equal(first_req(&f, "POST", 0), -1);
	assert_true(f.srv.nreq >= 4);	/* a try every 100..220 ms */
	assert_string_equal(f.leader_seen, "other");
	/* A candidate's stop writes nothing, whatever release says. */
	kube_leader_stop(f.l, on_done, &f);
	assert_int_equal(fx_until(&f, &f.done, 1, 1000), 1);
	assert_int_equal(first_req(&f, "PUT", 0), -1);
	fx_stop(&f);
}

/* The holder stopped renewing: taken once the record is a lease duration
 * old on our clock, counting one transition. */
static void
test_expired_lease_is_taken_after_the_lease_duration(void **state)
{
	static struct tsrv_resp script[TSRV_MAX_REQS];
	struct fx f;
	json_t *b;
	int put;

	(void)state;
	for (int i = 0; i < TSRV_MAX_REQS; i++)
		script[i] = (struct tsrv_resp){ 200,
		    LEASE("5", "other", T1, "3"), 0, NULL };
	fx_start(&f, script, TSRV_MAX_REQS, false);
	assert_int_equal(fx_until(&f, &f.started, 1, 3000), 1);
	put = first_req(&f, "PUT", 0);
	assert_true(put > 0);
	print_message("expired lease taken %llu ms after the first read\n",
	    (unsigned long long)(f.srv.reqs[put].at_ms - f.srv.reqs[0].at_ms));
	assert_true(f.srv.reqs[put].at_ms - f.srv.reqs[0].at_ms >= 595);
	assert_true(f.srv.reqs[put].at_ms - f.srv.reqs[0].at_ms <= 600 + 300);
	b = req_json(&f, put);
	assert_string_equal(spec_str(b, "holderIdentity"), ME);
	assert_int_equal(spec_int(b, "leaseTransitions"), 4);
	assert_string_not_equal(spec_str(b, "acquireTime"),
	    "2020-01-01T00:00:00.000000Z");
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    b, "metadata"), "resourceVersion")), "5");
	json_decref(b);
	fx_stop(&f);
}

static void
test_released_lease_is_taken_at_once(void **state)
{
	static const struct tsrv_resp script[] = {
		{ 200, LEASE("9", "", T1, "2"), 0, NULL },
		{ 200, LEASE("10", ME, T2, "3"), 0, NULL },
	};
	struct fx f;
	json_t *b;

	(void)state;
	fx_start(&f, script, 2, false);
	assert_int_equal(fx_until(&f, &f.started, 1, 2000), 1);
	assert_string_equal(f.srv.reqs[1].line, "PUT " LEASE_PATH "/leader");
	/* At once: before the next retry tick (100 ms), not after it. */
	assert_true(f.srv.reqs[1].at_ms - f.srv.reqs[0].at_ms < 100);
	b = req_json(&f, 1);
	assert_string_equal(spec_str(b, "holderIdentity"), ME);
	assert_int_equal(spec_int(b, "leaseTransitions"), 3);
	json_decref(b);
	fx_stop(&f);
}

/* The renewal never answers: lost at the renew deadline counted from the
 * last successful write, once, and nothing is sent afterwards. */
static void
test_renewal_past_the_deadline_loses_the_lease(void **state)
{
	static const struct tsrv_resp script[] = {
		{ 404, NOT_FOUND, 0, NULL },
		{ 201, LEASE("1", ME, T1, "0"), 0, NULL },
		{ 0, NULL, 1, NULL },
	};
	struct fx f;
	size_t n;

	(void)state;
	fx_start(&f, script, 3, true);
	assert_int_equal(fx_until(&f, &f.started, 1, 2000), 1);
	assert_int_equal(fx_until(&f, &f.lost, 1, 2000), 1);
	print_message("lost %llu ms after the last successful write\n",
	    (unsigned long long)(f.lost_at - f.srv.reqs[1].at_ms));
	/* The renew deadline (400 ms) counts from when the write was sent,
	 * which is before the server stamped it (by the loop's latency: up to
	 * ~20 ms seen on a loaded machine), so the gap to that stamp may be a
	 * little under 400 ms, never much less. */
	assert_true(f.lost_at - f.srv.reqs[1].at_ms >= 350);
	assert_true(f.lost_at - f.srv.reqs[1].at_ms < 600);
	assert_false(kube_leader_leading(f.l));
	n = f.srv.nreq;
	fx_run_ms(&f, 400);
	assert_int_equal(f.srv.nreq, n);
	assert_int_equal(f.lost, 1);
	/* Stopping after the loss releases nothing. */
	kube_leader_stop(f.l, on_done, &f);
	assert_int_equal(fx_until(&f, &f.done, 1, 1000), 1);
	assert_int_equal(f.srv.nreq, n);
	fx_stop(&f);
}

/* A renewal conflicts and the read shows another holder: lost at once. */
static void
test_another_holder_seen_while_leading_loses_at_once(void **state)
{
	static const struct tsrv_resp script[] = {
		{ 404, NOT_FOUND, 0, NULL },
		{ 201, LEASE("1", ME, T1, "0"), 0, NULL },
		{ 409, CONFLICT, 0, NULL },
		{ 200, LEASE("4", "other", T2, "1"), 0, NULL },
	};
	struct fx f;

	(void)state;
	fx_start(&f, script, 4, false);
	assert_int_equal(fx_until(&f, &f.lost, 1, 2000), 1);
	assert_int_equal(f.srv.nreq, 4);
	assert_string_equal(f.srv.reqs[3].line, "GET " LEASE_PATH "/leader");
	assert_true(f.lost_at - f.srv.reqs[1].at_ms < 390);
	fx_run_ms(&f, 300);
	assert_int_equal(f.srv.nreq, 4);
	fx_stop(&f);
}

static void
check_release(struct fx *f, int i, const char *rv)
{
	json_t *b = req_json(f, i);

	assert_string_equal(f->srv.reqs[i].line, "PUT " LEASE_PATH "/leader");
	assert_string_equal(spec_str(b, "holderIdentity"), "");
	assert_int_equal(spec_int(b, "leaseDurationSeconds"), 1);
	assert_int_equal(spec_int(b, "leaseTransitions"), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
	    b, "metadata"), "resourceVersion")), rv);
	json_decref(b);
}

static void
test_stop_releases_the_lease(void **state)
{
	static const struct tsrv_resp script[] = {
		{ 404, NOT_FOUND, 0, NULL },
		{ 201, LEASE("1", ME, T1, "0"), 0, NULL },
		{ 200, LEASE("2", "", T2, "0"), 0, NULL },
	};
	struct fx f;

	(void)state;
	fx_start(&f, script, 3, true);
	assert_int_equal(fx_until(&f, &f.started, 1, 2000), 1);
	kube_leader_stop(f.l, on_done, &f);
	assert_false(kube_leader_leading(f.l));
	assert_int_equal(fx_until(&f, &f.done, 1, 2000), 1);
	assert_int_equal(f.srv.nreq, 3);
	check_release(&f, 2, "1");
	fx_run_ms(&f, 250);
	assert_int_equal(f.srv.nreq, 3);
	assert_int_equal(f.lost, 0);
	fx_stop(&f);
}

/* A renewal is in flight (never answered) when stop comes: it is
 * cancelled and the release follows. */
static void
test_stop_during_a_renewal_still_releases(void **state)
{
	static const struct tsrv_resp script[] = {
		{ 404, NOT_FOUND, 0, NULL },
		{ 201, LEASE("1", ME, T1, "0"), 0, NULL },
		{ 0, NULL, 1, NULL },
		{ 200, LEASE("2", "", T2, "0"), 0, NULL },
	};
	struct fx f;

	(void)state;
	fx_start(&f, script, 4, true);
	assert_int_equal(fx_until(&f, &f.started, 1, 2000), 1);
	while (f.srv.nreq < 3)
		uv_run(&f.loop, UV_RUN_ONCE);
	kube_leader_stop(f.l, on_done, &f);
	assert_int_equal(fx_until(&f, &f.done, 1, 2000), 1);
	assert_int_equal(f.srv.nreq, 4);
	check_release(&f, 3, "1");
	assert_int_equal(f.lost, 0);
	fx_stop(&f);
}

static void
test_lease_names_and_identities(void **state)
{
	char name[KUBE_LEADER_NAME_MAX], a[KUBE_LEADER_ID_MAX];
	char b[KUBE_LEADER_ID_MAX], host[256];
	struct err e;
	const char *u;

	(void)state;
	/* fluxcd/pkg/runtime/leaderelection's GenerateID vectors */
	assert_int_equal(kube_leader_lease_name(name, "foo", "bar", &e), 0);
	assert_string_equal(name, "foo-fcde2b2e");
	assert_int_equal(kube_leader_lease_name(name, "foo", "barbaz", &e), 0);
	assert_string_equal(name, "foo-c8f8b724");
	assert_int_equal(kube_leader_lease_name(name,
	    "source-watcher-leader-election", NULL, &e), 0);
	assert_string_equal(name, "source-watcher-leader-election");
	assert_int_equal(kube_leader_lease_name(name,
	    "source-watcher-leader-election", "", &e), 0);
	assert_string_equal(name, "source-watcher-leader-election");

	assert_int_equal(kube_leader_identity_make(a, &e), 0);
	assert_int_equal(kube_leader_identity_make(b, &e), 0);
	assert_string_not_equal(a, b);
	assert_int_equal(gethostname(host, sizeof(host)), 0);
	assert_int_equal(strncmp(a, host, strlen(host)), 0);
	assert_int_equal(a[strlen(host)], '_');
	u = a + strlen(host) + 1;
	assert_int_equal(strlen(u), 36);
	assert_int_equal(u[8], '-');
	assert_int_equal(u[14], '4');
	assert_non_null(strchr("89ab", u[19]));
}

static void
test_invalid_durations_are_refused(void **state)
{
	static const struct {
		uint64_t lease, renew, retry;
		const char *msg;
	} cases[] = {
		{ 30000, 30000, 5000, "--leader-election-lease-duration must "
		  "be greater than --leader-election-renew-deadline" },
		{ 35000, 6000, 5000, "--leader-election-renew-deadline must be "
		  "greater than 1.2 x --leader-election-retry-period" },
		{ 35000, 30000, 0, "--leader-election-retry-period must be "
		  "greater than zero" },
	};
	struct kube_leader_opts lo = { .namespace = "ns", .name = "leader",
	    .identity = ME };
	struct kube_leader *l;
	struct err e;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		lo.lease_duration_ms = cases[i].lease;
		lo.renew_deadline_ms = cases[i].renew;
		lo.retry_period_ms = cases[i].retry;
		assert_int_equal(kube_leader_new(&l, NULL, NULL, &lo, &e), -1);
		assert_null(l);
		assert_string_equal(e.msg, cases[i].msg);
	}
	lo.lease_duration_ms = 35000;
	lo.renew_deadline_ms = 30000;
	lo.retry_period_ms = 5000;
	lo.namespace = "";
	assert_int_equal(kube_leader_new(&l, NULL, NULL, &lo, &e), -1);
	assert_non_null(strstr(e.msg, "RUNTIME_NAMESPACE"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_absent_lease_is_created_then_renewed_with_one_put),
		cmocka_unit_test(test_lease_renewed_by_another_is_not_taken),
		cmocka_unit_test(test_expired_lease_is_taken_after_the_lease_duration),
		cmocka_unit_test(test_released_lease_is_taken_at_once),
		cmocka_unit_test(test_renewal_past_the_deadline_loses_the_lease),
		cmocka_unit_test(test_another_holder_seen_while_leading_loses_at_once),
		cmocka_unit_test(test_stop_releases_the_lease),
		cmocka_unit_test(test_stop_during_a_renewal_still_releases),
		cmocka_unit_test(test_lease_names_and_identities),
		cmocka_unit_test(test_invalid_durations_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
