/*
 * Unit tests for src/controller/build_pool.c (also run under ThreadSanitizer,
 * see test/unit/variants.mk), on a real uv loop: parallel builds return every
 * record in the artifacts' order, the same as one at a time; the first
 * failure fails the run with that artifact's message and frees every record;
 * a raised outer cancel flag builds nothing; start returns before done_cb;
 * two generators' pools on one loop never occupy more pool threads than the
 * cap; build_pool_cancel ends a pool with "build cancelled"; the default
 * cap leaves a pool thread free and runs no more builds than CPUs.
 */
#include "testutil.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller/build_pool.h"
#include "controller/pool_size.h"

#define N_ARTS 8

struct env {
	char *root, *src;
	struct storage storage;
	struct build_source source;
	struct gen_copy copies[N_ARTS];
	struct gen_artifact arts[N_ARTS];
	char names[N_ARTS][16], froms[N_ARTS][32];
	struct generator gen;
	struct build_opts opts;
};

static void
env_setup(struct env *v)
{
	char rel[32], body[32];
	struct err e;

	memset(v, 0, sizeof(*v));
	v->root = tu_mkdtemp();
	v->src = tu_path(v->root, "src");
	for (int i = 0; i < N_ARTS; i++) {
		snprintf(rel, sizeof(rel), "src/a%d/x.txt", i);
		snprintf(body, sizeof(body), "artifact %d\n", i);
		tu_write_str(v->root, rel, body);
		snprintf(v->names[i], sizeof(v->names[i]), "a%d", i);
		snprintf(v->froms[i], sizeof(v->froms[i]), "@s/a%d/*.txt", i);
		v->copies[i] = (struct gen_copy){ .from = v->froms[i],
		    .to = "@artifact/" };
		v->arts[i] = (struct gen_artifact){ .name = v->names[i],
		    .copy = &v->copies[i], .n_copy = 1 };
	}
	if (storage_init(&v->storage, v->root, "h", &e) != 0)
		fail_msg("%s", e.msg);
	v->source = (struct build_source){ "s", v->src, "main@sha1:1", NULL };
	v->gen = (struct generator){ .name = "g", .namespace = "ns" };
	v->opts = (struct build_opts){ .algo = DIGEST_SHA256 };
}

static void
env_teardown(struct env *v)
{
	storage_free(&v->storage);
	free(v->src);
	tu_rmtree(v->root);
}

struct outcome {
	int calls;
	int status;
	struct err err;
};

static void
on_done(struct build_pool *p, int status, const struct err *e, void *data)
{
	struct outcome *o = data;

	(void)p;
	o->calls++;
	o->status = status;
	if (e != NULL)
		o->err = *e;
}

static struct build_pool_args
args_of(struct env *v, int jobs, struct artifact_record *recs)
{
	return (struct build_pool_args){ .g = &v->gen, .arts = v->arts,
	    .n = N_ARTS, .sources = &v->source, .n_sources = 1,
	    .storage = &v->storage, .opts = &v->opts, .jobs = jobs,
	    .recs = recs };
}

/* One pool on a loop of its own, run until done_cb. */
static int
run(struct env *v, int jobs, struct artifact_record *recs, struct err *e)
{
	struct build_pool_args a = args_of(v, jobs, recs);
	struct outcome o = { 0 };
	struct build_slots slots;
	uv_loop_t loop;

	assert_int_equal(uv_loop_init(&loop), 0);
	build_slots_init(&slots, &loop, 0);
	if (build_pool_start(&slots, &a, on_done, &o, NULL, e) != 0) {
		assert_int_equal(uv_loop_close(&loop), 0);
		return -1;
	}
	assert_int_equal(o.calls, 0);	/* never from inside start */
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_int_equal(o.calls, 1);
	if (o.status != 0)
		*e = o.err;
	return o.status;
}

static void
test_parallel_records_in_order(void **state)
{
	struct artifact_record one[N_ARTS], four[N_ARTS];
	struct env v;
	struct err e;

	(void)state;
	env_setup(&v);
	if (run(&v, 1, one, &e) != 0 || run(&v, 4, four, &e) != 0)
		fail_msg("%s", e.msg);
	for (int i = 0; i < N_ARTS; i++) {
		assert_string_equal(four[i].name, v.names[i]);
		assert_string_equal(four[i].digest, one[i].digest);
		assert_string_equal(four[i].filename, one[i].filename);
		assert_true(four[i].reused);	/* the same bytes, stored once */
		artifact_record_free(&one[i]);
		artifact_record_free(&four[i]);
	}
	env_teardown(&v);
}

static void
test_first_failure_fails_the_run(void **state)
{
	struct artifact_record recs[N_ARTS];
	struct env v;
	struct err e;

	(void)state;
	env_setup(&v);
	snprintf(v.froms[5], sizeof(v.froms[5]), "@s/a5/*.json");
	assert_int_equal(run(&v, 4, recs, &e), -1);
	assert_non_null(strstr(e.msg, "artifact 'a5'"));
	assert_non_null(strstr(e.msg, "no files match"));
	for (int i = 0; i < N_ARTS; i++)
		assert_null(recs[i].name);	/* freed and zeroed */
	env_teardown(&v);
}

static void
test_outer_cancel_builds_nothing(void **state)
{
	struct artifact_record recs[N_ARTS];
	cancel_flag cancel = 1;
	struct env v;
	struct err e;
	int status;
	char *out;

	(void)state;
	env_setup(&v);
	v.opts.cancel = &cancel;
	assert_int_equal(run(&v, 4, recs, &e), -1);	/* at start */
	assert_string_equal(e.msg, "build cancelled");
	out = tu_run(&status, "find '%s' -name '*.tar.gz' | wc -l", v.root);
	assert_string_equal(out, "0");
	free(out);
	env_teardown(&v);
}

/* Counts builds in progress from the report callback (one file per
 * artifact): each report holds its thread a little so overlaps show. */
struct overlap {
	atomic_int now, max, calls;
};

static void
overlap_report(void *ctx, const char *artifact, const char *from,
    const char *to, const char *path, uint64_t size)
{
	struct overlap *ov = ctx;
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int n = atomic_fetch_add(&ov->now, 1) + 1, m;

	(void)artifact, (void)from, (void)to, (void)path, (void)size;
	m = atomic_load(&ov->max);
	while (n > m && !atomic_compare_exchange_weak(&ov->max, &m, n))
		;
	nanosleep(&ts, NULL);
	atomic_fetch_sub(&ov->now, 1);
	atomic_fetch_add(&ov->calls, 1);
}

static void
test_two_pools_share_the_cap(void **state)
{
	struct artifact_record ra[N_ARTS], rb[N_ARTS];
	struct build_pool_args a, b;
	struct outcome oa = { 0 }, ob = { 0 };
	struct overlap ov = { 0 };
	struct build_slots slots;
	struct generator gb;
	uv_loop_t loop;
	struct env v;
	struct err e;

	(void)state;
	env_setup(&v);
	v.opts.report = overlap_report;
	v.opts.report_ctx = &ov;
	gb = (struct generator){ .name = "g2", .namespace = "other" };
	a = args_of(&v, 4, ra);
	b = args_of(&v, 4, rb);
	b.g = &gb;
	assert_int_equal(uv_loop_init(&loop), 0);
	build_slots_init(&slots, &loop, 2);
	if (build_pool_start(&slots, &a, on_done, &oa, NULL, &e) != 0 ||
	    build_pool_start(&slots, &b, on_done, &ob, NULL, &e) != 0)
		fail_msg("%s", e.msg);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_int_equal(oa.calls, 1);
	assert_int_equal(ob.calls, 1);
	assert_int_equal(oa.status, 0);
	assert_int_equal(ob.status, 0);
	assert_int_equal(atomic_load(&ov.calls), 2 * N_ARTS);
	assert_true(atomic_load(&ov.max) <= 2);
	assert_int_equal(slots.busy, 0);
	for (int i = 0; i < N_ARTS; i++) {
		assert_string_equal(ra[i].name, v.names[i]);
		assert_string_equal(rb[i].namespace, "other");
		artifact_record_free(&ra[i]);
		artifact_record_free(&rb[i]);
	}
	env_teardown(&v);
}

static void
test_cancel_ends_with_build_cancelled(void **state)
{
	struct artifact_record recs[N_ARTS];
	struct build_pool_args a;
	struct outcome o = { 0 };
	struct build_slots slots;
	struct build_pool *p;
	uv_loop_t loop;
	struct env v;
	struct err e;

	(void)state;
	env_setup(&v);
	a = args_of(&v, 2, recs);
	assert_int_equal(uv_loop_init(&loop), 0);
	build_slots_init(&slots, &loop, 2);
	if (build_pool_start(&slots, &a, on_done, &o, &p, &e) != 0)
		fail_msg("%s", e.msg);
	build_pool_cancel(p);
	assert_int_equal(o.calls, 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_int_equal(o.calls, 1);
	assert_int_equal(o.status, -1);
	assert_string_equal(o.err.msg, "build cancelled");
	for (int i = 0; i < N_ARTS; i++)
		assert_null(recs[i].name);
	env_teardown(&v);
}

/* Each build holds zlib's deflate state: the default is one per CPU, and
 * never every pool thread (the resolver and extraction need one). */
static void
test_default_cap_cpus_and_a_free_thread(void **state)
{
	struct build_slots slots;
	uv_loop_t loop;
	int pool = controller_pool_size();

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	build_slots_init(&slots, &loop, 0);
	assert_true(slots.cap >= 1);
	assert_true(slots.cap <= (unsigned)controller_cpu_count());
	if (pool > 1)
		assert_true(slots.cap < (unsigned)pool);
	build_slots_init(&slots, &loop, 5);
	assert_int_equal(slots.cap, 5);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parallel_records_in_order),
		cmocka_unit_test(test_first_failure_fails_the_run),
		cmocka_unit_test(test_outer_cancel_builds_nothing),
		cmocka_unit_test(test_two_pools_share_the_cap),
		cmocka_unit_test(test_cancel_ends_with_build_cancelled),
		cmocka_unit_test(test_default_cap_cpus_and_a_free_thread),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
