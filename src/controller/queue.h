/*
 * queue: the controller's work queue of string keys ("namespace/name") on a
 * uv loop, with controller-runtime's semantics (client-go's workqueue with
 * an ItemExponentialFailureRateLimiter and MaxConcurrentReconciles):
 *
 *  - queue_add de-duplicates: a key waits in the queue at most once; a key
 *    added while it runs is marked dirty and runs once more after the
 *    current run ends, so one key never has two runs at once;
 *  - at most cfg.concurrent runs are in flight; a run starts with the run
 *    callback (key, token) from the loop, never from inside queue_add or
 *    queue_done, and ends when the user calls queue_done with the token and
 *    a result: success (forget the backoff), requeue after a duration, or
 *    failure (per-key exponential backoff min_retry_delay * 2^n, capped at
 *    max_retry_delay, reset by success or requeue);
 *  - queue_add_after delays an add; every delayed key sits in one min-heap
 *    of deadlines driven by one uv_timer; an earlier deadline replaces a
 *    later one for the same key, a later one is ignored (as AddAfter);
 *  - a run still going cfg.reconcile_timeout after it started gets the
 *    cancel callback (UV_ETIMEDOUT) once; it must still call queue_done;
 *  - queue_shutdown starts nothing more, drops waiting and delayed keys,
 *    cancels in-flight runs (UV_ECANCELED) and calls its callback once the
 *    last of them is done.
 *
 * Who calls it: the controller (informer handlers add keys, the reconcile
 * finishes runs). Everything runs on the loop thread; nothing here locks.
 *
 * Memory: one malloc per known key (struct plus key bytes), one heap slot
 * and one hash-bucket pointer; a key is freed as soon as it is neither
 * waiting, running, delayed nor backing off. queue_mem_per_item reports the
 * figure (see test_controller_queue.c). Lookups are an intrusive hash table
 * (O(1)), the delayed keys a binary heap (O(log n)), the waiting keys a
 * FIFO (O(1)); nothing walks all keys per operation.
 *
 * Ownership: queue_new returns the queue; queue_free closes its uv handles
 * and releases the memory from their close callbacks, so the loop must run
 * afterwards. Keys are copied; the key pointer given to the callbacks lives
 * until the run's queue_done.
 */
#ifndef AG_QUEUE_H
#define AG_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "base/err.h"

#define QUEUE_KEY_MAX		512	/* bytes of a key, without the NUL */
#define QUEUE_ITEMS_MAX		(1u << 24)	/* keys known at once */
#define QUEUE_CONCURRENT_MAX	4096

struct queue;
struct queue_run;	/* the token of one run, valid until queue_done */

/* From the flags of the same names (cmd/config.h). */
struct queue_config {
	int concurrent;			/* runs in flight, >= 1 */
	int64_t min_retry_delay;	/* ns, > 0 */
	int64_t max_retry_delay;	/* ns, >= min */
	int64_t reconcile_timeout;	/* ns, 0: none */
	int jitter_percent;		/* 0..99 */
	uint64_t seed;			/* jitter PRNG seed, 0: the clock */
};

/* A run of key starts; finish it with queue_done(q, run, ...). */
typedef void (*queue_run_fn)(void *data, struct queue_run *run,
    const char *key);
/* The run should stop: status is UV_ETIMEDOUT (reconcile timeout) or
 * UV_ECANCELED (shutdown). It still ends with queue_done. */
typedef void (*queue_cancel_fn)(void *data, int status, struct queue_run *run,
    const char *key);
/* queue_shutdown is complete: no run is in flight (status 0). */
typedef void (*queue_drained_fn)(void *data, int status);

enum queue_result {
	QUEUE_SUCCESS,		/* forget the backoff */
	QUEUE_REQUEUE_AFTER,	/* forget the backoff, add after `after` ns */
	QUEUE_FAILURE,		/* add after the key's next backoff delay */
};

/*
 * A queue on loop with cfg (checked: e names the bad field) and the
 * callbacks (cancel may be NULL). NULL with e set on a bad config or OOM.
 */
struct queue *queue_new(uv_loop_t *loop, const struct queue_config *cfg,
    queue_run_fn run, queue_cancel_fn cancel, void *data, struct err *e);

/* Closes the handles; memory goes in their close callbacks. In-flight runs
 * must be done (queue_shutdown first); tokens become invalid. */
void queue_free(struct queue *q);

/* Adds key now (see the top comment). 0, or -1 with e set for a key that is
 * empty or too long, too many keys, or OOM. Ignored (0) after shutdown. */
int queue_add(struct queue *q, const char *key, struct err *e);

/* Adds key after delay ns (<= 0: now). Same errors as queue_add. */
int queue_add_after(struct queue *q, const char *key, int64_t delay,
    struct err *e);

/* Ends a run (after: ns, for QUEUE_REQUEUE_AFTER). -1 with e set for a
 * token that is not in flight. */
int queue_done(struct queue *q, struct queue_run *run,
    enum queue_result result, int64_t after, struct err *e);

/* The key's backoff failures so far (0 when unknown), for conditions. */
unsigned queue_failures(const struct queue *q, const char *key);

/* The delay the next failure of a key with `failures` failures gets:
 * min * 2^failures, capped at max (ItemExponentialFailureRateLimiter). */
int64_t queue_backoff_delay(const struct queue_config *cfg,
    unsigned failures);

/* interval * (1 +/- jitter_percent%), uniformly drawn; interval itself when
 * the percentage is 0 or interval <= 0 (Flux's jitter.Percent). */
int64_t queue_jitter(struct queue *q, int64_t interval);

/*
 * Starts nothing more, drops waiting and delayed keys, calls the cancel
 * callback (UV_ECANCELED) for each run in flight and drained (from the loop)
 * once none is. A second call is ignored.
 */
void queue_shutdown(struct queue *q, queue_drained_fn drained, void *data);

/* Counts, for metrics and tests. */
struct queue_stats {
	size_t items;		/* keys known (waiting, running, delayed) */
	size_t waiting;		/* ready to run */
	size_t running;
	size_t delayed;		/* in the heap */
};
void queue_stats_get(const struct queue *q, struct queue_stats *st);

/* Bytes one idle delayed key of keylen bytes costs (struct, key, heap slot,
 * bucket pointer at the table's maximum load), malloc's overhead excluded. */
size_t queue_mem_per_item(size_t keylen);

/* Counts into m from now on (client-go's workqueue metrics and
 * controller-runtime's reconcile metrics; gauges through a collect hook of
 * m->reg, so the queue must outlive renderings). -1 when the registry has
 * no hook left. */
struct ctl_metrics;
int queue_set_metrics(struct queue *q, const struct ctl_metrics *m);

/* The key of a run. */
const char *queue_run_key(const struct queue_run *run);

#endif
