/*
 * build_pool: parallel build_artifact over one generator's artifacts (see
 * build_pool.h). Workers take the next index under a mutex; the calling
 * thread is one of them. The shared state lives on the caller's stack for
 * the duration of build_pool_run.
 */
#include "artifact/build_pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct build_pool {
	const struct generator *g;
	const struct gen_artifact *arts;
	size_t n;
	const struct build_source *sources;
	size_t n_sources;
	struct storage *s;
	struct build_opts opts;		/* cancel points at .cancel */
	const volatile int *outer_cancel;
	struct artifact_record *recs;

	pthread_mutex_t mu;
	size_t next;			/* next artifact to start */
	volatile int cancel;		/* set on the first failure */
	int failed;
	struct err err;			/* the first failure's message */
};

/* The next index to build, or n when done or cancelled. */
static size_t
build_pool_take(struct build_pool *p)
{
	size_t i;

	pthread_mutex_lock(&p->mu);
	if (p->outer_cancel != NULL && *p->outer_cancel && !p->failed) {
		p->failed = 1;
		p->cancel = 1;
		err_set(&p->err, "build cancelled");
	}
	i = p->cancel ? p->n : p->next;
	if (i < p->n)
		p->next++;
	pthread_mutex_unlock(&p->mu);
	return i;
}

static void *
build_pool_worker(void *arg)
{
	struct build_pool *p = arg;
	struct err e;
	size_t i;

	while ((i = build_pool_take(p)) < p->n) {
		if (build_artifact(p->g, &p->arts[i], p->sources, p->n_sources,
		    p->s, &p->opts, &p->recs[i], &e) == 0)
			continue;
		pthread_mutex_lock(&p->mu);
		if (!p->failed) {	/* later failures may be our cancel */
			p->failed = 1;
			p->err = e;
		}
		p->cancel = 1;
		pthread_mutex_unlock(&p->mu);
	}
	return NULL;
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
	pthread_t th[BUILD_POOL_MAX_JOBS];
	int started = 0, rc;
	size_t i;

	memset(recs, 0, n * sizeof(*recs));
	p.opts.cancel = &p.cancel;
	if ((rc = pthread_mutex_init(&p.mu, NULL)) != 0)
		return err_sys(e, rc, "build: mutex");
	if (jobs > BUILD_POOL_MAX_JOBS)
		jobs = BUILD_POOL_MAX_JOBS;
	if ((size_t)jobs > n)
		jobs = (int)n;
	if (jobs > 1 && !build_pool_names_unique(arts, n))
		jobs = 1;
	/* extra threads; too few (EAGAIN) just means less parallelism */
	while (started + 1 < jobs && pthread_create(&th[started], NULL,
	    build_pool_worker, &p) == 0)
		started++;
	build_pool_worker(&p);
	while (started > 0)
		pthread_join(th[--started], NULL);
	pthread_mutex_destroy(&p.mu);
	if (!p.failed)
		return 0;
	for (i = 0; i < n; i++)
		artifact_record_free(&recs[i]);
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
