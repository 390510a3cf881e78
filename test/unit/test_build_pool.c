/*
 * Unit tests for src/controller/build_pool.c (also run under ThreadSanitizer, see
 * test/unit/variants.mk): parallel builds return every record in the
 * artifacts' order, the same as one at a time; the first failure fails the
 * run with that artifact's message and frees every record; a raised outer
 * cancel flag builds nothing.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/build_pool.h"

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
	v->opts = (struct build_opts){ .algo = DIGEST_SHA256,
	    .controller_name = "source-watcher" };
}

static void
env_teardown(struct env *v)
{
	storage_free(&v->storage);
	free(v->src);
	tu_rmtree(v->root);
}

static int
run(struct env *v, int jobs, struct artifact_record *recs, struct err *e)
{
	return build_pool_run(&v->gen, v->arts, N_ARTS, &v->source, 1,
	    &v->storage, &v->opts, jobs, recs, e);
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
	assert_int_equal(run(&v, 4, recs, &e), -1);
	assert_string_equal(e.msg, "build cancelled");
	out = tu_run(&status, "find '%s' -name '*.tar.gz' | wc -l", v.root);
	assert_string_equal(out, "0");
	free(out);
	env_teardown(&v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parallel_records_in_order),
		cmocka_unit_test(test_first_failure_fails_the_run),
		cmocka_unit_test(test_outer_cancel_builds_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
