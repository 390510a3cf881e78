/*
 * Unit tests for run_writes (src/controller/run_writes.c): while a
 * generator's reconcile runs, an ExternalArtifact event is the echo of the
 * run's own write when the object and resourceVersion match one of its
 * writes, in whichever order event and answer came; anything else (another
 * version, another object, a deletion the run did not make) is someone
 * else's change and makes the generator run again. Running out of room
 * counts as a change: one reconcile too many, never an edit left in place.
 */
#include "testutil.h"

#include <stdio.h>

#include "controller/run_writes.h"

static void
test_echo_of_our_writes_in_either_order(void **state)
{
	struct run_writes w = { 0 };

	(void)state;
	assert_false(run_writes_foreign(&w));	/* nothing seen */
	run_writes_seen(&w, "ns", "app", "11");	/* the event first */
	run_writes_ours(&w, "ns", "app", "11");
	run_writes_ours(&w, "ns", "app", "12");	/* the answer first */
	run_writes_seen(&w, "ns", "app", "12");
	assert_false(run_writes_foreign(&w));
	run_writes_free(&w);
	assert_int_equal(w.n_ours + w.n_seen, 0);
}

static void
test_edit_by_someone_else_is_foreign(void **state)
{
	struct run_writes w = { 0 };

	(void)state;
	run_writes_ours(&w, "ns", "app", "11");
	run_writes_seen(&w, "ns", "app", "11");
	run_writes_seen(&w, "ns", "app", "13");	/* a hand edit after ours */
	assert_true(run_writes_foreign(&w));
	run_writes_free(&w);

	/* the same version of another object is not ours either */
	run_writes_ours(&w, "ns", "app", "11");
	run_writes_seen(&w, "ns", "other", "11");
	assert_true(run_writes_foreign(&w));
	run_writes_free(&w);
	run_writes_ours(&w, "ns", "app", "11");
	run_writes_seen(&w, "other-ns", "app", "11");
	assert_true(run_writes_foreign(&w));
	run_writes_free(&w);
}

static void
test_deletions(void **state)
{
	struct run_writes w = { 0 };

	(void)state;
	/* an orphan the run deleted */
	run_writes_ours(&w, "ns", "old", NULL);
	run_writes_seen(&w, "ns", "old", NULL);
	assert_false(run_writes_foreign(&w));
	/* one it did not delete, or only wrote */
	run_writes_ours(&w, "ns", "app", "11");
	run_writes_seen(&w, "ns", "app", NULL);
	assert_true(run_writes_foreign(&w));
	run_writes_free(&w);
	/* a version is not a deletion */
	run_writes_ours(&w, "ns", "old", NULL);
	run_writes_seen(&w, "ns", "old", "5");
	assert_true(run_writes_foreign(&w));
	run_writes_free(&w);
}

static void
test_out_of_room_counts_as_a_change(void **state)
{
	struct run_writes w = { 0 };
	char rv[16];

	(void)state;
	for (int i = 0; i < RUN_WRITES_MAX; i++) {
		snprintf(rv, sizeof(rv), "%d", i);
		run_writes_ours(&w, "ns", "app", rv);
		run_writes_seen(&w, "ns", "app", rv);
	}
	assert_false(run_writes_foreign(&w));	/* full, every event ours */
	run_writes_seen(&w, "ns", "app", "0");
	assert_true(w.overflow);
	assert_true(run_writes_foreign(&w));
	run_writes_free(&w);
	assert_false(w.overflow);
	assert_false(run_writes_foreign(&w));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_echo_of_our_writes_in_either_order),
		cmocka_unit_test(test_edit_by_someone_else_is_foreign),
		cmocka_unit_test(test_deletions),
		cmocka_unit_test(test_out_of_room_counts_as_a_change),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
