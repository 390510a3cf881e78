/*
 * build_pool: several build_artifact calls at once on libuv's thread pool,
 * driven by the caller's loop (see build_pool.h).
 *
 * A pool has up to `jobs` slots; each running slot is one uv_queue_work
 * whose work callback runs build_artifact on a pool thread with everything
 * it needs in its own slot. The after-work callback, on the loop thread, is
 * the only place a result meets shared state: it keeps the first failure,
 * raises the cancel flag the running builds poll (the one value both sides
 * touch: an atomic, base/cancel.h), gives its thread back to the loop's
 * build_slots and lets the next waiting pool queue its next artifact. So
 * there is no lock and no thread of our own.
 *
 * build_slots keeps the pools that want a thread in a FIFO; a pool that got
 * one and wants more goes to the back, so generators take turns.
 */
#include "controller/build_pool.h"

#include <stdlib.h>
#include <string.h>

#include "controller/pool_size.h"

struct build_slot {
	uv_work_t work;
	struct build_pool *pool;
	size_t index;
	bool busy;
	int rc;
	struct err err;
};

struct build_pool {
	struct build_slots *slots;
	TAILQ_ENTRY(build_pool) link;
	bool waiting;			/* in slots->waiting */
	bool starting;			/* inside build_pool_start */
	struct build_pool_args a;
	struct build_opts opts;		/* .cancel points at cancel */
	const cancel_flag *outer_cancel;
	size_t next;			/* next artifact to queue */
	unsigned jobs, running;
	cancel_flag cancel;		/* raised on the first failure */
	bool failed;
	struct err err;			/* the first failure's message */
	build_pool_done_cb done_cb;
	void *data;
	struct build_slot slot[];	/* jobs of them */
};

static void build_slots_dispatch(struct build_slots *s);

void
build_slots_init(struct build_slots *s, uv_loop_t *loop, unsigned cap)
{
	int size;
	unsigned cpus;

	memset(s, 0, sizeof(*s));
	s->loop = loop;
	TAILQ_INIT(&s->waiting);
	if (cap == 0) {
		size = controller_pool_size();
		cap = size > 1 ? (unsigned)size - 1 : 1;
		/* Each build holds zlib's deflate state (256 KiB) and the tar
		 * writer: more compressions than CPUs buy no throughput. */
		cpus = (unsigned)controller_cpu_count();
		if (cap > cpus)
			cap = cpus;
	}
	s->cap = cap;
}

/* Records the first failure and stops every build of the pool. */
static void
build_pool_fail(struct build_pool *p, const struct err *e)
{
	if (!p->failed) {
		p->failed = true;
		p->err = *e;
	}
	cancel_raise(&p->cancel);
}

static bool
build_pool_wants(struct build_pool *p)
{
	struct err e;

	if (cancel_requested(p->outer_cancel) && !p->failed) {
		err_set(&e, "build cancelled");
		build_pool_fail(p, &e);
	}
	return !p->failed && p->next < p->a.n && p->running < p->jobs;
}

static void
build_pool_wait(struct build_pool *p)
{
	if (p->waiting)
		return;
	p->waiting = true;
	TAILQ_INSERT_TAIL(&p->slots->waiting, p, link);
}

static void
build_pool_unwait(struct build_pool *p)
{
	if (!p->waiting)
		return;
	p->waiting = false;
	TAILQ_REMOVE(&p->slots->waiting, p, link);
}

/* Ends the pool once nothing of it runs: done_cb, then free. */
static void
build_pool_finish(struct build_pool *p)
{
	size_t k;

	build_pool_unwait(p);
	if (p->starting)		/* build_pool_start returns -1 */
		return;
	if (p->failed)
		for (k = 0; k < p->a.n; k++)
			artifact_record_free(&p->a.recs[k]);
	p->done_cb(p, p->failed ? -1 : 0, p->failed ? &p->err : NULL,
	    p->data);
	free(p);
}

/* Pool thread: one artifact, into its own record and error slot. */
static void
build_pool_work(uv_work_t *work)
{
	struct build_slot *slot = work->data;
	struct build_pool *p = slot->pool;
	struct build_opts o = p->opts;

	if (p->a.known_digests != NULL)
		o.known_digest = p->a.known_digests[slot->index];
	slot->rc = build_artifact(p->a.g, &p->a.arts[slot->index],
	    p->a.sources, p->a.n_sources, p->a.storage, &o,
	    &p->a.recs[slot->index], &slot->err);
}

/* Loop thread: record the outcome, give the thread to whoever waits. */
static void
build_pool_done(uv_work_t *work, int status)
{
	struct build_slot *slot = work->data;
	struct build_pool *p = slot->pool;
	struct build_slots *s = p->slots;
	struct err e;

	slot->busy = false;
	p->running--;
	s->busy--;
	if (status != 0) {
		err_set(&e, "build of artifact '%s': %s",
		    p->a.arts[slot->index].name, uv_strerror(status));
		build_pool_fail(p, &e);
	} else if (slot->rc != 0) {
		build_pool_fail(p, &slot->err);
	}
	if (build_pool_wants(p))
		build_pool_wait(p);
	else if (p->running == 0)
		build_pool_finish(p);
	build_slots_dispatch(s);
}

/* Queues the pool's next artifact on a free slot of its own. */
static void
build_pool_queue(struct build_pool *p)
{
	struct build_slot *slot = NULL;
	struct err e;
	unsigned i;
	int rc;

	for (i = 0; i < p->jobs && slot == NULL; i++)
		if (!p->slot[i].busy)
			slot = &p->slot[i];
	if (slot == NULL)		/* cannot be: running < jobs */
		return;
	slot->index = p->next;
	slot->work.data = slot;
	rc = uv_queue_work(p->slots->loop, &slot->work, build_pool_work,
	    build_pool_done);
	if (rc != 0) {
		err_set(&e, "build of artifact '%s': cannot queue work: %s",
		    p->a.arts[p->next].name, uv_strerror(rc));
		build_pool_fail(p, &e);
		return;
	}
	p->next++;
	slot->busy = true;
	p->running++;
	p->slots->busy++;
}

/* Hands free threads to waiting pools, one build at a time, in turn. A
 * done_cb that starts another pool lands here again: the outer call goes
 * on with the list, so there is no recursion. */
static void
build_slots_dispatch(struct build_slots *s)
{
	struct build_pool *p;

	if (s->dispatching)
		return;
	s->dispatching = true;
	while (s->busy < s->cap && (p = TAILQ_FIRST(&s->waiting)) != NULL) {
		build_pool_unwait(p);
		if (build_pool_wants(p))
			build_pool_queue(p);
		if (build_pool_wants(p))
			build_pool_wait(p);
		else if (p->running == 0)
			build_pool_finish(p);
	}
	s->dispatching = false;
}

/* True when no two artifacts share a name. Two builds of one name would
 * contend for its lock file, so such a list is built one at a time, in
 * order, as a sequential run does (the later one wins). */
static int
build_pool_name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

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

static unsigned
build_pool_jobs(const struct build_pool_args *a)
{
	int jobs = a->jobs;

	if (jobs < 1)
		jobs = 1;
	if (jobs > BUILD_POOL_MAX_JOBS)
		jobs = BUILD_POOL_MAX_JOBS;
	if ((size_t)jobs > a->n)
		jobs = (int)a->n;
	if (jobs > 1 && !build_pool_names_unique(a->arts, a->n))
		jobs = 1;
	return (unsigned)jobs;
}

size_t
build_pool_sizeof(int jobs)
{
	return sizeof(struct build_pool) +
	    (size_t)jobs * sizeof(struct build_slot);
}

int
build_pool_start(struct build_slots *slots, const struct build_pool_args *a,
    build_pool_done_cb done_cb, void *data, struct build_pool **out,
    struct err *e)
{
	struct build_pool *p;
	unsigned jobs, i;

	if (a->n == 0)
		return err_set(e, "build of generator '%s/%s': no artifacts",
		    a->g->namespace, a->g->name);
	if (cancel_requested(a->opts->cancel))
		return err_set(e, "build cancelled");
	memset(a->recs, 0, a->n * sizeof(*a->recs));
	jobs = build_pool_jobs(a);
	if ((p = calloc(1, build_pool_sizeof((int)jobs))) == NULL)
		return err_set(e, "build of generator '%s/%s': out of memory",
		    a->g->namespace, a->g->name);
	p->slots = slots;
	p->a = *a;
	p->opts = *a->opts;
	p->outer_cancel = a->opts->cancel;
	atomic_init(&p->cancel, 0);
	p->opts.cancel = &p->cancel;
	p->jobs = jobs;
	p->done_cb = done_cb;
	p->data = data;
	for (i = 0; i < jobs; i++)
		p->slot[i].pool = p;
	p->starting = true;
	build_pool_wait(p);
	build_slots_dispatch(slots);
	p->starting = false;
	if (p->failed && p->running == 0) {	/* the first queue failed */
		build_pool_unwait(p);
		*e = p->err;
		free(p);
		return -1;
	}
	if (out != NULL)
		*out = p;
	return 0;
}

void
build_pool_cancel(struct build_pool *p)
{
	struct err e;

	err_set(&e, "build cancelled");
	build_pool_fail(p, &e);
	/* A pool waiting for a thread with nothing running ends when the
	 * dispatcher reaches it: that happens once a running build of another
	 * pool ends (a pool waits only while every thread is taken). */
}

int
build_pool_default_jobs(void)
{
	int n = controller_cpu_count();

	return n > BUILD_POOL_MAX_JOBS ? BUILD_POOL_MAX_JOBS : n;
}
