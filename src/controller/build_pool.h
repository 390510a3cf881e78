/*
 * build_pool: builds the artifacts of one generator with up to `jobs`
 * build_artifact calls in flight on libuv's thread pool (the mechanism the
 * controller uses too), so that one artifact's fsyncs and I/O waits overlap
 * another's compression. Called by the dry-run front end. Parallelism is
 * also bounded by the pool's size (UV_THREADPOOL_SIZE, libuv's default 4).
 *
 * The records come back in the artifacts' order, whatever order the builds
 * finished in. The first failure cancels the builds in progress (their
 * staging is removed) and no new one starts; artifacts already written stay
 * in the storage, as they do when a sequential run stops at an error.
 * No global state: a private loop lives only during the call.
 */
#ifndef AG_BUILD_POOL_H
#define AG_BUILD_POOL_H

#include <stddef.h>

#include "engine/build.h"

#define BUILD_POOL_MAX_JOBS 16

/*
 * Builds arts[0..n) into recs[0..n) (caller-allocated; on success each is
 * filled and the caller frees them with artifact_record_free; on failure
 * they are all freed and zeroed). jobs < 1 means 1; more than n or
 * BUILD_POOL_MAX_JOBS is reduced; artifacts sharing a name are built one
 * at a time, in order. opts->cancel, when given, is honoured.
 * With opts->report set the caller's callback may run on several threads
 * at once. On failure e holds the failed artifact's message.
 */
int build_pool_run(const struct generator *g, const struct gen_artifact *arts,
    size_t n, const struct build_source *sources, size_t n_sources,
    struct storage *s, const struct build_opts *opts, int jobs,
    struct artifact_record *recs, struct err *e);

/* The number of CPUs this process may use, at least 1 and at most BUILD_POOL_MAX_JOBS. */
int build_pool_default_jobs(void);

#endif
