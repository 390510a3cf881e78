/*
 * Unit tests for src/kube/ratelimit.c: the token bucket lets a burst through,
 * then spaces requests at 1/qps; backoff doubles within jitter bounds up to
 * its cap and resets.
 */
#include "testutil.h"

#include "kube/ratelimit.h"

static void
test_burst_then_qps_spacing(void **state)
{
	struct kube_ratelimit rl;
	int i;

	(void)state;
	kube_ratelimit_init(&rl, 50, 300, 1000);
	for (i = 0; i < 300; i++)
		assert_int_equal(kube_ratelimit_take(&rl, 1000), 0);
	/* Bucket empty: the next reservations wait 20 ms, 40 ms, ... */
	assert_int_equal(kube_ratelimit_take(&rl, 1000), 20);
	assert_int_equal(kube_ratelimit_take(&rl, 1000), 40);
	/* 100 ms later two reservations are paid back and 3 more refilled. */
	assert_int_equal(kube_ratelimit_take(&rl, 1100), 0);
	assert_int_equal(kube_ratelimit_take(&rl, 1100), 0);
	assert_int_equal(kube_ratelimit_take(&rl, 1100), 0);
	assert_int_equal(kube_ratelimit_take(&rl, 1100), 20);
}

static void
test_refill_caps_at_burst(void **state)
{
	struct kube_ratelimit rl;
	int i;

	(void)state;
	kube_ratelimit_init(&rl, 10, 5, 0);
	for (i = 0; i < 5; i++)
		kube_ratelimit_take(&rl, 0);
	/* An hour idle refills only to burst. */
	for (i = 0; i < 5; i++)
		assert_int_equal(kube_ratelimit_take(&rl, 3600000), 0);
	assert_int_equal(kube_ratelimit_take(&rl, 3600000), 100);
}

static void
test_zero_qps_disables(void **state)
{
	struct kube_ratelimit rl;
	int i;

	(void)state;
	kube_ratelimit_init(&rl, 0, 1, 0);
	for (i = 0; i < 1000; i++)
		assert_int_equal(kube_ratelimit_take(&rl, 0), 0);
}

static void
test_backoff_doubles_with_jitter_and_caps(void **state)
{
	struct kube_backoff b;
	uint64_t d, want = 100;
	int i;

	(void)state;
	kube_backoff_init(&b, 100, 5000, 42);
	for (i = 0; i < 12; i++) {
		d = kube_backoff_next(&b);
		assert_true(d >= want / 2 && d <= want);
		want = want * 2 > 5000 ? 5000 : want * 2;
	}
	kube_backoff_reset(&b);
	d = kube_backoff_next(&b);
	assert_true(d >= 50 && d <= 100);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_qps_spacing),
		cmocka_unit_test(test_refill_caps_at_burst),
		cmocka_unit_test(test_zero_qps_disables),
		cmocka_unit_test(test_backoff_doubles_with_jitter_and_caps),
	};
	return cmocka_run_group_tests_name("kube_ratelimit", tests, NULL, NULL);
}
