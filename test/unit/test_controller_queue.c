/*
 * Unit tests for src/controller/queue.c on a real uv loop: keys are
 * de-duplicated, a key added while it runs runs once more afterwards (never
 * twice at once), at most `concurrent` runs are in flight, failures back off
 * exponentially up to the cap and success resets that, delayed adds run in
 * deadline order with earlier deadlines winning, the reconcile timeout calls
 * the cancel callback, and shutdown waits for in-flight runs and starts
 * nothing new. Every loop is bounded by an unref'd watchdog timer.
 */
#include "testutil.h"

#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "controller/queue.h"

#define MS		1000000LL
#define WATCHDOG_MS	5000
#define MAX_RUNS	64

/* What a test's run callback does with each run. */
enum mode {
	FINISH_NOW,		/* queue_done(success) inside the callback */
	FINISH_LATER,		/* queue_done(result) from a timer after hold */
	HOLD,			/* keep it until the test ends it */
};

struct rec {
	char key[64];
	uint64_t at;		/* loop ms when it started */
};

struct fx {
	uv_loop_t loop;
	uv_timer_t watchdog;
	bool timed_out;
	struct queue *q;
	enum mode mode;
	enum queue_result result;
	int64_t after;
	uint64_t hold_ms;
	int fail_times;		/* FINISH_LATER: fail this many, then result */

	struct rec runs[MAX_RUNS];
	int nruns;
	int inflight, max_inflight;
	struct queue_run *held[MAX_RUNS];
	int nheld;

	int ncancel;
	int cancel_status[MAX_RUNS];
	uint64_t cancel_at[MAX_RUNS];
	bool done_on_cancel;

	int drained;
	uint64_t start;
	void (*on_run)(struct fx *f, struct queue_run *run, const char *key);
};

struct later {
	uv_timer_t t;
	struct fx *f;
	struct queue_run *run;
	enum queue_result res;
};

static void
watchdog_cb(uv_timer_t *t)
{
	struct fx *f = t->data;

	f->timed_out = true;
	uv_stop(&f->loop);
}

static void
later_closed(uv_handle_t *h)
{
	free(h->data);
}

static void
finish(struct fx *f, struct queue_run *run, enum queue_result res)
{
	struct err e;

	f->inflight--;
	assert_int_equal(queue_done(f->q, run, res, f->after, &e), 0);
}

static void
later_cb(uv_timer_t *t)
{
	struct later *l = t->data;

	finish(l->f, l->run, l->res);
	uv_close((uv_handle_t *)t, later_closed);
}

static void
finish_after(struct fx *f, struct queue_run *run, uint64_t ms,
    enum queue_result res)
{
	struct later *l = calloc(1, sizeof(*l));

	assert_non_null(l);
	l->f = f;
	l->run = run;
	l->res = res;
	uv_timer_init(&f->loop, &l->t);
	l->t.data = l;
	uv_timer_start(&l->t, later_cb, ms, 0);
}

static void
run_cb(void *data, struct queue_run *run, const char *key)
{
	struct fx *f = data;
	enum queue_result res = f->result;
	int i;

	assert_true(f->nruns < MAX_RUNS);
	/* One run of a key at a time: no earlier run of it is still held. */
	for (i = 0; i < f->nheld; i++)
		assert_true(f->held[i] == NULL ||
		    strcmp(queue_run_key(f->held[i]), key) != 0);
	snprintf(f->runs[f->nruns].key, sizeof(f->runs[0].key), "%s", key);
	f->runs[f->nruns].at = uv_now(&f->loop) - f->start;
	f->nruns++;
	if (++f->inflight > f->max_inflight)
		f->max_inflight = f->inflight;
	if (f->on_run != NULL)
		f->on_run(f, run, key);
	switch (f->mode) {
	case FINISH_NOW:
		finish(f, run, res);
		break;
	case FINISH_LATER:
		if (f->fail_times > 0) {
			f->fail_times--;
			res = QUEUE_FAILURE;
		}
		finish_after(f, run, f->hold_ms, res);
		break;
	case HOLD:
		f->held[f->nheld++] = run;
		break;
	}
}

static void
cancel_cb(void *data, int status, struct queue_run *run, const char *key)
{
	struct fx *f = data;
	int i;

	assert_non_null(key);
	assert_true(f->ncancel < MAX_RUNS);
	f->cancel_status[f->ncancel] = status;
	f->cancel_at[f->ncancel] = uv_now(&f->loop) - f->start;
	f->ncancel++;
	if (!f->done_on_cancel)
		return;
	for (i = 0; i < f->nheld; i++)
		if (f->held[i] == run)
			f->held[i] = NULL;
	finish(f, run, QUEUE_SUCCESS);
}

static struct queue_config
cfg_small(void)
{
	struct queue_config c = {
		.concurrent = 10,
		.min_retry_delay = 20 * MS,
		.max_retry_delay = 80 * MS,
		.reconcile_timeout = 0,
		.jitter_percent = 5,
		.seed = 42,
	};
	return c;
}

static void
fx_init(struct fx *f, const struct queue_config *c)
{
	struct err e;

	memset(f, 0, sizeof(*f));
	assert_int_equal(uv_loop_init(&f->loop), 0);
	uv_timer_init(&f->loop, &f->watchdog);
	f->watchdog.data = f;
	uv_timer_start(&f->watchdog, watchdog_cb, WATCHDOG_MS, 0);
	uv_unref((uv_handle_t *)&f->watchdog);
	f->q = queue_new(&f->loop, c, run_cb, cancel_cb, f, &e);
	if (f->q == NULL)
		fail_msg("queue_new: %s", e.msg);
	uv_update_time(&f->loop);
	f->start = uv_now(&f->loop);
}

/* Runs the loop until nothing is left to do (or the watchdog fires). */
static void
fx_run(struct fx *f)
{
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_false(f->timed_out);
}

static void
fx_done(struct fx *f)
{
	queue_free(f->q);
	uv_close((uv_handle_t *)&f->watchdog, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
}

static void
add(struct fx *f, const char *key)
{
	struct err e;

	if (queue_add(f->q, key, &e) < 0)
		fail_msg("queue_add %s: %s", key, e.msg);
}

static void
add_after(struct fx *f, const char *key, int64_t delay)
{
	struct err e;

	if (queue_add_after(f->q, key, delay, &e) < 0)
		fail_msg("queue_add_after %s: %s", key, e.msg);
}

/* ---- de-duplication and dirty re-runs ---- */

static void
test_queue_dedups_waiting_keys(void **state)
{
	struct queue_config c = cfg_small();
	struct queue_stats st;
	struct fx f;

	(void)state;
	fx_init(&f, &c);
	add(&f, "ns/a");
	add(&f, "ns/a");
	add(&f, "ns/b");
	add(&f, "ns/a");
	queue_stats_get(f.q, &st);
	assert_int_equal(st.items, 2);
	assert_int_equal(st.waiting, 2);
	/* Nothing runs from inside queue_add. */
	assert_int_equal(f.nruns, 0);
	fx_run(&f);
	assert_int_equal(f.nruns, 2);
	assert_string_equal(f.runs[0].key, "ns/a");
	assert_string_equal(f.runs[1].key, "ns/b");
	queue_stats_get(f.q, &st);
	assert_int_equal(st.items, 0);
	fx_done(&f);
}

/* The first run of ns/a adds it twice more while running. */
static void
readd_while_running(struct fx *f, struct queue_run *run, const char *key)
{
	(void)run;
	if (f->nruns == 1) {
		add(f, key);
		add(f, key);
	}
}

static void
test_queue_dirty_key_runs_again_after_current_run(void **state)
{
	struct queue_config c = cfg_small();
	struct fx f;

	(void)state;
	fx_init(&f, &c);
	f.mode = FINISH_LATER;
	f.hold_ms = 30;
	f.result = QUEUE_SUCCESS;
	f.on_run = readd_while_running;
	add(&f, "ns/a");
	fx_run(&f);
	/* Twice, not three times, and the second after the first ended. */
	assert_int_equal(f.nruns, 2);
	assert_int_equal(f.max_inflight, 1);
	assert_true(f.runs[1].at >= f.runs[0].at + 30);
	fx_done(&f);
}

/* ---- concurrency ---- */

static void
test_queue_caps_runs_in_flight(void **state)
{
	struct queue_config c = cfg_small();
	char key[32];
	struct fx f;
	int i;

	(void)state;
	c.concurrent = 3;
	fx_init(&f, &c);
	f.mode = FINISH_LATER;
	f.hold_ms = 10;
	f.result = QUEUE_SUCCESS;
	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "ns/g%d", i);
		add(&f, key);
	}
	fx_run(&f);
	assert_int_equal(f.nruns, 10);
	assert_int_equal(f.max_inflight, 3);
	/* FIFO order. */
	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "ns/g%d", i);
		assert_string_equal(f.runs[i].key, key);
	}
	fx_done(&f);
}

/* ---- backoff ---- */

static void
test_queue_backoff_sequence_is_exponential_and_capped(void **state)
{
	struct queue_config c = {
		.concurrent = 10,
		.min_retry_delay = 750 * MS,
		.max_retry_delay = 15LL * 60 * 1000 * MS,
	};
	static const int64_t want_ms[] = { 750, 1500, 3000, 6000, 12000,
	    24000, 48000, 96000, 192000, 384000, 768000, 900000, 900000 };
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(want_ms) / sizeof(want_ms[0]); i++)
		assert_int_equal(queue_backoff_delay(&c, i), want_ms[i] * MS);
	assert_int_equal(queue_backoff_delay(&c, 62), c.max_retry_delay);
	assert_int_equal(queue_backoff_delay(&c, 1000), c.max_retry_delay);
}

static void
test_queue_failures_back_off_then_success_resets(void **state)
{
	struct queue_config c = cfg_small();
	static const uint64_t want_gap[] = { 20, 40, 80, 80 };
	uint64_t gap;
	struct fx f;
	int i;

	(void)state;
	fx_init(&f, &c);
	f.mode = FINISH_NOW;
	f.result = QUEUE_FAILURE;
	add(&f, "ns/a");
	/* Runs at 0, +20, +40, +80, +80 (capped); stop after five. */
	while (f.nruns < 5 && !f.timed_out)
		uv_run(&f.loop, UV_RUN_ONCE);
	assert_false(f.timed_out);
	assert_int_equal(queue_failures(f.q, "ns/a"), 5);
	for (i = 0; i < 4; i++) {
		gap = f.runs[i + 1].at - f.runs[i].at;
		assert_true(gap >= want_gap[i]);
		assert_true(gap < want_gap[i] + 250);
	}
	/* The next run (due +80) succeeds: the backoff is forgotten. */
	f.result = QUEUE_SUCCESS;
	fx_run(&f);
	assert_int_equal(f.nruns, 6);
	assert_int_equal(queue_failures(f.q, "ns/a"), 0);
	/* One more failure waits the minimum again. */
	f.result = QUEUE_FAILURE;
	add(&f, "ns/a");
	while (f.nruns < 8 && !f.timed_out)
		uv_run(&f.loop, UV_RUN_ONCE);
	assert_false(f.timed_out);
	gap = f.runs[7].at - f.runs[6].at;
	assert_true(gap >= 20 && gap < 20 + 250);
	queue_shutdown(f.q, NULL, NULL);
	fx_run(&f);
	fx_done(&f);
}

/* A requeue-after result forgets the backoff and waits `after`. */
static void
test_queue_requeue_after_forgets_backoff(void **state)
{
	struct queue_config c = cfg_small();
	struct fx f;

	(void)state;
	fx_init(&f, &c);
	f.mode = FINISH_LATER;
	f.hold_ms = 1;
	f.fail_times = 2;
	f.result = QUEUE_REQUEUE_AFTER;
	f.after = 30 * MS;
	add(&f, "ns/a");
	while (f.nruns < 4 && !f.timed_out)
		uv_run(&f.loop, UV_RUN_ONCE);
	assert_false(f.timed_out);
	/* fail (20), fail (40), requeue (30). */
	assert_true(f.runs[3].at - f.runs[2].at >= 30);
	assert_int_equal(queue_failures(f.q, "ns/a"), 0);
	queue_shutdown(f.q, NULL, NULL);
	fx_run(&f);
	fx_done(&f);
}

/* ---- delayed adds ---- */

static void
test_queue_add_after_runs_in_deadline_order(void **state)
{
	struct queue_config c = cfg_small();
	struct queue_stats st;
	struct fx f;

	(void)state;
	fx_init(&f, &c);
	add_after(&f, "ns/c", 60 * MS);
	add_after(&f, "ns/a", 20 * MS);
	add_after(&f, "ns/b", 40 * MS);
	add_after(&f, "ns/now", 0);
	queue_stats_get(f.q, &st);
	assert_int_equal(st.delayed, 3);
	assert_int_equal(st.waiting, 1);
	fx_run(&f);
	assert_int_equal(f.nruns, 4);
	assert_string_equal(f.runs[0].key, "ns/now");
	assert_string_equal(f.runs[1].key, "ns/a");
	assert_string_equal(f.runs[2].key, "ns/b");
	assert_string_equal(f.runs[3].key, "ns/c");
	assert_true(f.runs[1].at >= 20);
	assert_true(f.runs[3].at >= 60);
	fx_done(&f);
}

static void
test_queue_add_after_earlier_deadline_wins(void **state)
{
	struct queue_config c = cfg_small();
	struct queue_stats st;
	struct fx f;

	(void)state;
	fx_init(&f, &c);
	add_after(&f, "ns/x", 2000 * MS);
	add_after(&f, "ns/x", 10 * MS);	/* replaces the later one */
	add_after(&f, "ns/y", 10 * MS);
	add_after(&f, "ns/y", 3000 * MS);	/* ignored */
	queue_stats_get(f.q, &st);
	assert_int_equal(st.delayed, 2);
	assert_int_equal(st.items, 2);
	/* The loop ends once both ran: no later deadline is left over. */
	fx_run(&f);
	assert_int_equal(f.nruns, 2);
	assert_true(f.runs[0].at < 1000 && f.runs[1].at < 1000);
	fx_done(&f);
}

/* Many delayed keys come out sorted (the heap under load). */
static void
test_queue_heap_orders_many_keys(void **state)
{
	struct queue_config c = cfg_small();
	char key[32];
	struct fx f;
	int i;

	(void)state;
	c.concurrent = 1;
	fx_init(&f, &c);
	for (i = 0; i < MAX_RUNS; i++) {
		snprintf(key, sizeof(key), "ns/k%02d", (i * 37) % MAX_RUNS);
		add_after(&f, key, (int64_t)(1 + (i * 37) % MAX_RUNS) * MS);
	}
	fx_run(&f);
	assert_int_equal(f.nruns, MAX_RUNS);
	for (i = 0; i < MAX_RUNS; i++) {
		snprintf(key, sizeof(key), "ns/k%02d", i);
		assert_string_equal(f.runs[i].key, key);
	}
	fx_done(&f);
}

/* ---- reconcile timeout ---- */

static void
test_queue_timeout_calls_cancel_once(void **state)
{
	struct queue_config c = cfg_small();
	struct fx f;

	(void)state;
	c.reconcile_timeout = 30 * MS;
	fx_init(&f, &c);
	f.mode = HOLD;
	f.done_on_cancel = true;
	add(&f, "ns/slow");
	add(&f, "ns/slow2");
	fx_run(&f);
	assert_int_equal(f.nruns, 2);
	assert_int_equal(f.ncancel, 2);
	assert_int_equal(f.cancel_status[0], UV_ETIMEDOUT);
	assert_int_equal(f.cancel_status[1], UV_ETIMEDOUT);
	assert_true(f.cancel_at[0] >= 30);
	fx_done(&f);
}

/* A run that ends in time is never cancelled. */
static void
test_queue_timeout_spares_runs_done_in_time(void **state)
{
	struct queue_config c = cfg_small();
	struct fx f;

	(void)state;
	c.reconcile_timeout = 200 * MS;
	fx_init(&f, &c);
	f.mode = FINISH_LATER;
	f.hold_ms = 5;
	f.result = QUEUE_SUCCESS;
	add(&f, "ns/a");
	fx_run(&f);
	assert_int_equal(f.nruns, 1);
	assert_int_equal(f.ncancel, 0);
	fx_done(&f);
}

/* ---- shutdown ---- */

static void
drained_cb(void *data, int status)
{
	struct fx *f = data;

	assert_int_equal(status, 0);
	assert_int_equal(f->inflight, 0);
	f->drained++;
}

struct stopper {
	uv_timer_t t;
	struct fx *f;
};

static void
release_held_cb(uv_timer_t *t)
{
	struct fx *f = t->data;
	int i;

	for (i = 0; i < f->nheld; i++) {
		if (f->held[i] == NULL)
			continue;
		/* A new add after shutdown starts nothing. */
		add(f, "ns/late");
		assert_int_equal(f->drained, 0);
		finish(f, f->held[i], QUEUE_FAILURE);
		f->held[i] = NULL;
	}
	uv_close((uv_handle_t *)t, NULL);
}

static void
shutdown_cb(uv_timer_t *t)
{
	struct fx *f = t->data;
	static uv_timer_t release;

	queue_shutdown(f->q, drained_cb, f);
	assert_int_equal(f->ncancel, 2);
	uv_timer_init(&f->loop, &release);
	release.data = f;
	uv_timer_start(&release, release_held_cb, 30, 0);
	uv_close((uv_handle_t *)t, NULL);
}

static void
test_queue_shutdown_waits_for_runs_and_starts_nothing(void **state)
{
	struct queue_config c = cfg_small();
	struct queue_stats st;
	uv_timer_t stop;
	struct fx f;

	(void)state;
	c.concurrent = 2;
	fx_init(&f, &c);
	f.mode = HOLD;
	add(&f, "ns/a");
	add(&f, "ns/b");
	add(&f, "ns/c");		/* waits for a slot */
	add_after(&f, "ns/d", 10 * MS);	/* due before the shutdown */
	add_after(&f, "ns/e", 500 * MS);	/* due after it */
	uv_timer_init(&f.loop, &stop);
	stop.data = &f;
	uv_timer_start(&stop, shutdown_cb, 20, 0);
	fx_run(&f);
	assert_int_equal(f.nruns, 2);
	assert_string_equal(f.runs[0].key, "ns/a");
	assert_string_equal(f.runs[1].key, "ns/b");
	assert_int_equal(f.ncancel, 2);
	assert_int_equal(f.cancel_status[0], UV_ECANCELED);
	assert_int_equal(f.drained, 1);
	queue_stats_get(f.q, &st);
	assert_int_equal(st.items, 0);
	assert_int_equal(st.delayed, 0);
	queue_shutdown(f.q, drained_cb, &f);	/* ignored */
	fx_run(&f);
	assert_int_equal(f.drained, 1);
	fx_done(&f);
}

/* With nothing in flight the drain is reported from the loop. */
static void
test_queue_shutdown_idle_drains_from_loop(void **state)
{
	struct queue_config c = cfg_small();
	struct fx f;

	(void)state;
	fx_init(&f, &c);
	add_after(&f, "ns/a", 1000 * MS);
	queue_shutdown(f.q, drained_cb, &f);
	assert_int_equal(f.drained, 0);
	fx_run(&f);
	assert_int_equal(f.drained, 1);
	assert_int_equal(f.nruns, 0);
	fx_done(&f);
}

/* ---- errors, jitter, memory ---- */

static void
test_queue_rejects_bad_config_and_keys(void **state)
{
	struct queue_config c = cfg_small();
	char big[QUEUE_KEY_MAX + 2];
	struct err e;
	struct fx f;
	uv_loop_t loop;

	(void)state;
	uv_loop_init(&loop);
	c.concurrent = 0;
	assert_null(queue_new(&loop, &c, run_cb, NULL, NULL, &e));
	assert_non_null(strstr(e.msg, "concurrent 0"));
	c = cfg_small();
	c.max_retry_delay = c.min_retry_delay - 1;
	assert_null(queue_new(&loop, &c, run_cb, NULL, NULL, &e));
	assert_non_null(strstr(e.msg, "maximum retry delay"));
	c = cfg_small();
	c.jitter_percent = 100;
	assert_null(queue_new(&loop, &c, run_cb, NULL, NULL, &e));
	assert_non_null(strstr(e.msg, "jitter percentage 100"));
	assert_int_equal(uv_loop_close(&loop), 0);

	c = cfg_small();
	fx_init(&f, &c);
	memset(big, 'k', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(queue_add(f.q, big, &e), -1);
	assert_non_null(strstr(e.msg, "longer than 512 bytes"));
	assert_int_equal(queue_add_after(f.q, "", 5, &e), -1);
	assert_non_null(strstr(e.msg, "empty key"));
	assert_int_equal(queue_done(f.q, (struct queue_run *)&f, QUEUE_SUCCESS,
	    0, &e), -1);
	assert_non_null(strstr(e.msg, "not in flight"));
	/* A token is good for one queue_done. */
	f.mode = HOLD;
	add(&f, "ns/a");
	while (f.nheld == 0 && !f.timed_out)
		uv_run(&f.loop, UV_RUN_ONCE);
	assert_int_equal(queue_done(f.q, f.held[0], QUEUE_SUCCESS, 0, &e), 0);
	assert_int_equal(queue_done(f.q, f.held[0], QUEUE_SUCCESS, 0, &e), -1);
	assert_non_null(strstr(e.msg, "not in flight"));
	fx_run(&f);
	assert_int_equal(f.nruns, 1);
	fx_done(&f);
}

static void
test_queue_jitter_stays_within_percent(void **state)
{
	struct queue_config c = cfg_small();
	int64_t d, lo = 60000 * MS, hi = 0, iv = 60000 * MS;
	struct fx f;
	int i;

	(void)state;
	c.jitter_percent = 5;
	fx_init(&f, &c);
	for (i = 0; i < 10000; i++) {
		d = queue_jitter(f.q, iv);
		assert_true(d >= iv - iv / 20 && d <= iv + iv / 20);
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	/* Spread over most of the +/-5% range, both sides. */
	assert_true(lo < iv - iv / 25);
	assert_true(hi > iv + iv / 25);
	assert_int_equal(queue_jitter(f.q, 0), 0);
	fx_done(&f);
	c.jitter_percent = 0;
	fx_init(&f, &c);
	assert_int_equal(queue_jitter(f.q, iv), iv);
	fx_done(&f);
}

/*
 * Bytes per idle (delayed) key: the computed figure, and what malloc
 * actually handed out for N keys (struct, key, heap, table, malloc's own
 * overhead), printed for the record.
 */
static void
test_queue_memory_per_idle_key(void **state)
{
	struct queue_config c = cfg_small();
	const char *sample = "namespace-0001/generator-0001";
	size_t klen = strlen(sample), before, after, per;
	struct queue_stats st;
	enum { N = 10000 };
	char key[64];
	struct fx f;
	int i;

	(void)state;
	fx_init(&f, &c);
	before = mallinfo2().uordblks;
	for (i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "namespace-%04d/generator-%04d",
		    i / 100, i % 10000);
		add_after(&f, key, 600000 * MS);
	}
	after = mallinfo2().uordblks;
	queue_stats_get(f.q, &st);
	assert_int_equal(st.delayed, N);
	per = after > before ? (after - before) / N : 0;
	if (per == 0)	/* ASan's allocator keeps no mallinfo figures */
		printf("queue: an idle delayed key of %zu bytes costs %zu "
		    "bytes (computed worst case; malloc statistics "
		    "unavailable)\n", klen, queue_mem_per_item(klen));
	else
		printf("queue: an idle delayed key of %zu bytes costs %zu bytes "
	    "(computed worst case %zu; measured over %d keys, malloc's "
	    "overhead included)\n", klen, per, queue_mem_per_item(klen), N);
	assert_true(queue_mem_per_item(klen) < 100 + klen);
	assert_true(per < 100 + klen);
	queue_shutdown(f.q, NULL, NULL);
	fx_run(&f);
	fx_done(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queue_dedups_waiting_keys),
		cmocka_unit_test(
		    test_queue_dirty_key_runs_again_after_current_run),
		cmocka_unit_test(test_queue_caps_runs_in_flight),
		cmocka_unit_test(
		    test_queue_backoff_sequence_is_exponential_and_capped),
		cmocka_unit_test(
		    test_queue_failures_back_off_then_success_resets),
		cmocka_unit_test(test_queue_requeue_after_forgets_backoff),
		cmocka_unit_test(test_queue_add_after_runs_in_deadline_order),
		cmocka_unit_test(test_queue_add_after_earlier_deadline_wins),
		cmocka_unit_test(test_queue_heap_orders_many_keys),
		cmocka_unit_test(test_queue_timeout_calls_cancel_once),
		cmocka_unit_test(test_queue_timeout_spares_runs_done_in_time),
		cmocka_unit_test(
		    test_queue_shutdown_waits_for_runs_and_starts_nothing),
		cmocka_unit_test(test_queue_shutdown_idle_drains_from_loop),
		cmocka_unit_test(test_queue_rejects_bad_config_and_keys),
		cmocka_unit_test(test_queue_jitter_stays_within_percent),
		cmocka_unit_test(test_queue_memory_per_idle_key),
	};
	return cmocka_run_group_tests_name("controller_queue", tests, NULL,
	    NULL);
}
