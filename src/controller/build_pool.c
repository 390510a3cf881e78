/*
 * build_pool: several build_artifact calls at once on libuv's thread pool,
 * the same way the controller runs builds (see build_pool.h).
 *
 * A private loop queues at most `jobs` builds with uv_queue_work. Each work
 * callback runs build_artifact on a pool thread with everything it needs in
 * its own slot; the after-work callback, on the calling thread, is the only
 * place a result meets shared state: it keeps the first failure, raises the
 * cancel flag the running builds poll (the one value both sides touch: an
 * atomic, base/cancel.h), and queues the next artifact. So there is no lock,
 * and no thread of our own.
 */
#include "controller/build_pool.h"

#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

struct build_pool;

struct build_slot {
	uv_work_t work;
	struct build_pool *pool;
	size_t index;
	int rc;
	struct err err;
};

struct build_pool {
	const struct generator *g;
	const struct gen_artifact *arts;
	size_t n;
	const struct build_source *sources;
	size_t n_sources;
	struct storage *s;
	struct build_opts opts;		/* .cancel points at cancel */
	const cancel_flag *outer_cancel;
	struct artifact_record *recs;
	uv_loop_t loop;
	size_t next;			/* next artifact to queue */
	cancel_flag cancel;		/* raised on the first failure */
	bool failed;
	struct err err;			/* the first failure's message */
};

static void build_pool_queue(struct build_pool *p, struct build_slot *slot);

/* Pool thread: one artifact, into its own record and error slot. */
static void
build_pool_work(uv_work_t *work)
{
	struct build_slot *slot = work->data;
	struct build_pool *p = slot->pool;

	slot->rc = build_artifact(p->g, &p->arts[slot->index], p->sources,
	    p->n_sources, p->s, &p->opts, &p->recs[slot->index], &slot->err);
}

/* Loop thread: record the outcome, then reuse the slot for the next one. */
static void
build_pool_done(uv_work_t *work, int status)
{
	struct build_slot *slot = work->data;
	struct build_pool *p = slot->pool;

	if ((status != 0 || slot->rc != 0) && !p->failed) {
		p->failed = true;
		if (status != 0)
			err_set(&p->err, "build: %s", uv_strerror(status));
		else
			p->err = slot->err;
	}
	if (p->failed)
		cancel_raise(&p->cancel);
	build_pool_queue(p, slot);
}

static void
build_pool_queue(struct build_pool *p, struct build_slot *slot)
{
	int rc;

	if (cancel_requested(p->outer_cancel) && !p->failed) {
		p->failed = true;
		cancel_raise(&p->cancel);
		err_set(&p->err, "build cancelled");
	}
	if (cancel_requested(&p->cancel) || p->next >= p->n)
		return;
	slot->index = p->next++;
	slot->work.data = slot;
	rc = uv_queue_work(&p->loop, &slot->work, build_pool_work,
	    build_pool_done);
	if (rc != 0 && !p->failed) {
		p->failed = true;
		cancel_raise(&p->cancel);
		err_set(&p->err, "build: cannot queue work: %s", uv_strerror(rc));
	}
}

static int
build_pool_name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* True when no two artifacts share a name. Two builds of one name would
 * contend for its lock file, so such a list is built one at a time, in
 * order, as a sequential run does (the later one wins). */
static bool
build_pool_names_unique(const struct gen_artifact *arts, size_t n)
{
	const char **names = malloc(n * sizeof(*names));
	bool unique = names != NULL;
	size_t i;

	for (i = 0; unique && i < n; i++)
		names[i] = arts[i].name;
	if (unique)
		qsort(names, n, sizeof(*names), build_pool_name_cmp);
	for (i = 1; unique && i < n; i++)
		unique = strcmp(names[i - 1], names[i]) != 0;
	free(names);
	return unique;
}

int
build_pool_run(const struct generator *g, const struct gen_artifact *arts,
    size_t n, const struct build_source *sources, size_t n_sources,
    struct storage *s, const struct build_opts *opts, int jobs,
    struct artifact_record *recs, struct err *e)
{
	struct build_pool p = { .g = g, .arts = arts, .n = n,
	    .sources = sources, .n_sources = n_sources, .s = s,
	    .opts = *opts, .outer_cancel = opts->cancel, .recs = recs };
	struct build_slot slots[BUILD_POOL_MAX_JOBS];
	int rc, i;
	size_t k;

	memset(recs, 0, n * sizeof(*recs));
	atomic_init(&p.cancel, 0);
	p.opts.cancel = &p.cancel;
	if ((rc = uv_loop_init(&p.loop)) != 0)
		return err_set(e, "build: event loop: %s", uv_strerror(rc));
	if (jobs < 1)
		jobs = 1;
	if (jobs > BUILD_POOL_MAX_JOBS)
		jobs = BUILD_POOL_MAX_JOBS;
	if ((size_t)jobs > n)
		jobs = (int)n;
	if (jobs > 1 && !build_pool_names_unique(arts, n))
		jobs = 1;
	for (i = 0; i < jobs; i++) {
		slots[i] = (struct build_slot){ .pool = &p };
		build_pool_queue(&p, &slots[i]);
	}
	uv_run(&p.loop, UV_RUN_DEFAULT);
	uv_loop_close(&p.loop);
	if (!p.failed)
		return 0;
	for (k = 0; k < n; k++)
		artifact_record_free(&recs[k]);
	*e = p.err;
	return -1;
}

int
build_pool_default_jobs(void)
{
	cpu_set_t set;
	long n;

	/* the CPUs this process may run on (as nproc), else those online */
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	else
		n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		return 1;
	return n > BUILD_POOL_MAX_JOBS ? BUILD_POOL_MAX_JOBS : (int)n;
}
