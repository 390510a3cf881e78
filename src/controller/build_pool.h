/*
 * build_pool: builds the artifacts of one generator on libuv's thread pool,
 * asynchronously on the caller's loop, with up to `jobs` build_artifact
 * calls in flight, so that one artifact's fsyncs and I/O waits overlap
 * another's compression. Called by the controller's reconciles and by the
 * dry-run front end (which runs its loop until done_cb).
 *
 * Every pool started on one loop draws on one struct build_slots: a cap on
 * the builds occupying pool threads at once, across generators (by default
 * the pool size minus one, so the resolver, source extraction and tree
 * removal are never starved, and no more than the CPUs: each build holds
 * zlib's 256 KiB deflate state, and extra compressions add no throughput). Waiting pools take turns, one build each, in
 * the order they asked (round robin).
 *
 * The records come back in the artifacts' order, whatever order the builds
 * finished in. The first failure cancels the builds in progress (their
 * staging is removed) and no new one starts; artifacts already written stay
 * in the storage, as they do when a sequential run stops at an error.
 * Artifacts sharing a name are built one at a time, in order (the later one
 * wins, as in a sequential run).
 *
 * Loop-thread only, except build_opts.report, which may run on several pool
 * threads at once. A pool owns its memory and frees it after done_cb.
 */
#ifndef AG_BUILD_POOL_H
#define AG_BUILD_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/queue.h>
#include <uv.h>

#include "engine/build.h"

#define BUILD_POOL_MAX_JOBS 16

struct build_pool;

/* The thread budget of every build on one loop (owned by the caller, who
 * keeps it alive while pools run; nothing to free). */
struct build_slots {
	uv_loop_t *loop;
	unsigned cap;		/* builds on pool threads at once */
	unsigned busy;		/* builds queued with uv_queue_work */
	bool dispatching;
	TAILQ_HEAD(, build_pool) waiting;
};

/* cap 0: controller_pool_size() - 1, at most the CPU count
 * (controller_cpu_count), at least 1. */
void build_slots_init(struct build_slots *s, uv_loop_t *loop, unsigned cap);

/* What to build. Everything is borrowed and must stay valid until done_cb
 * returns; recs (n entries) is filled in the artifacts' order. */
struct build_pool_args {
	const struct generator *g;
	const struct gen_artifact *arts;
	size_t n;
	const struct build_source *sources;
	size_t n_sources;
	struct storage *storage;
	const struct build_opts *opts;	/* copied; ->cancel honoured */
	int jobs;			/* < 1: 1; above n or the max: reduced */
	struct artifact_record *recs;
	/* Optional: per artifact (n entries, each may be NULL), the digest
	 * last published, overriding opts->known_digest (build.h). */
	const char *const *known_digests;
};

/* status 0: recs[0..n) are filled and the caller frees each with
 * artifact_record_free. -1: every record was freed and zeroed, e names the
 * failed artifact (or "build cancelled"). The pool is freed after return. */
typedef void (*build_pool_done_cb)(struct build_pool *p, int status,
    const struct err *e, void *data);

/*
 * Starts building a->arts[0..n) and returns at once. 0: done_cb will be
 * called exactly once, from the loop, never from inside this call; *out
 * (may be NULL) is valid until then. -1 with e (nothing started, done_cb
 * never called): n is 0, out of memory, the outer cancel flag is raised
 * ("build cancelled") or the first build cannot be queued.
 */
int build_pool_start(struct build_slots *slots, const struct build_pool_args *a,
    build_pool_done_cb done_cb, void *data, struct build_pool **out,
    struct err *e);

/* Asks the builds in progress to stop and starts no new one; done_cb follows
 * with -1 "build cancelled" (or the failure that came first). */
void build_pool_cancel(struct build_pool *p);

/* The number of CPUs this process may use, at least 1 and at most BUILD_POOL_MAX_JOBS. */
int build_pool_default_jobs(void);

/* Figures for memory reports: a pool with `jobs` build slots. */
size_t build_pool_sizeof(int jobs);

#endif
