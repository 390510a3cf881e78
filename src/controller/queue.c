/*
 * queue: the work queue of keys (see queue.h for the semantics).
 *
 * One struct queue_item per known key, in an intrusive hash table (chains
 * through hnext), possibly in the FIFO of waiting keys (rnext), possibly in
 * the min-heap of delayed keys (heap_idx). Runs use a fixed array of
 * cfg.concurrent slots; the slots in flight with a deadline form a list in
 * start order, which is also deadline order (every run gets the same
 * timeout), so one timer armed for the head serves them all. A uv_idle
 * handle starts runs and reports the drain from the loop, so that no
 * callback is ever called from inside queue_add or queue_done.
 *
 * Ownership: the queue owns items, slots, the heap and the table; items
 * are freed as soon as nothing refers to them (item_release).
 */
#include "controller/metrics.h"
#include "controller/queue.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define QI_WAITING	0x1u	/* in the FIFO */
#define QI_RUNNING	0x2u	/* a slot points at it */
#define QI_DIRTY	0x4u	/* added while running: run again after */

#define HEAP_NONE	UINT32_MAX
#define BUCKETS_MIN	64u
#define NS_PER_MS	1000000

struct queue_item {
	struct queue_item *hnext;	/* hash chain */
	struct queue_item *rnext;	/* FIFO of waiting keys */
	uint64_t due;			/* loop ms, while in the heap */
	uint32_t hash;
	uint32_t heap_idx;		/* HEAP_NONE: not delayed */
	uint16_t failures;		/* backoff exponent */
	uint64_t queued;		/* hrtime of the add, for metrics */
	uint8_t flags;			/* QI_* */
	char key[];
};

struct queue_run {
	struct queue_item *item;	/* NULL: a free slot */
	struct queue_run *prev, *next;	/* deadline list, or free list */
	uint64_t deadline;		/* loop ms */
	bool listed;			/* in the deadline list */
	bool cancelled;			/* the cancel callback was called */
	uint64_t started;		/* hrtime, for metrics */
};

struct queue {
	uv_loop_t *loop;
	struct queue_config cfg;
	queue_run_fn run_cb;
	queue_cancel_fn cancel_cb;
	void *data;

	uv_timer_t delay_timer;		/* the heap's earliest deadline */
	uv_timer_t timeout_timer;	/* the deadline list's head */
	uv_idle_t kick;			/* starts runs, reports the drain */
	int open_handles;		/* until all close, in queue_free */

	struct queue_item **buckets;
	size_t nbuckets;		/* a power of two */
	size_t nitems;

	struct queue_item **heap;
	size_t heap_len, heap_cap;

	struct queue_item *wait_head, *wait_tail;
	size_t nwaiting;

	struct queue_run *runs;		/* cfg.concurrent slots */
	struct queue_run *free_runs;
	struct queue_run *dl_head, *dl_tail;
	size_t nrunning;

	const struct ctl_metrics *m;	/* NULL: not counted */
	uint64_t rng;
	bool shutdown;
	bool drained_due;		/* drained not called yet */
	queue_drained_fn drained;
	void *drained_data;
};

/* ---- keys: the hash table ---- */

static uint32_t
key_hash(const char *key)
{
	uint32_t h = 2166136261u;

	for (; *key != '\0'; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h;
}

static struct queue_item *
item_find(const struct queue *q, const char *key, uint32_t h)
{
	struct queue_item *it = q->buckets[h & (q->nbuckets - 1)];

	for (; it != NULL; it = it->hnext)
		if (it->hash == h && strcmp(it->key, key) == 0)
			return it;
	return NULL;
}

/* Doubles the table when the load passes 1 (amortized O(1) per key). */
static int
table_grow(struct queue *q, struct err *e)
{
	size_t n = q->nbuckets * 2, i;
	struct queue_item **b, *it, *next;

	b = calloc(n, sizeof(*b));
	if (b == NULL)
		return err_set(e, "work queue: out of memory growing the key "
		    "table to %zu buckets", n);
	for (i = 0; i < q->nbuckets; i++) {
		for (it = q->buckets[i]; it != NULL; it = next) {
			next = it->hnext;
			it->hnext = b[it->hash & (n - 1)];
			b[it->hash & (n - 1)] = it;
		}
	}
	free(q->buckets);
	q->buckets = b;
	q->nbuckets = n;
	return 0;
}

static int
key_check(const char *key, size_t *len, struct err *e)
{
	if (key == NULL || key[0] == '\0')
		return err_setc(e, ERR_TERMINAL, "work queue: empty key");
	*len = strnlen(key, QUEUE_KEY_MAX + 1);
	if (*len > QUEUE_KEY_MAX)
		return err_setc(e, ERR_TERMINAL, "work queue: key \"%.64s...\" "
		    "is longer than %d bytes", key, QUEUE_KEY_MAX);
	return 0;
}

/* The item of key, created idle when new. */
static struct queue_item *
item_get(struct queue *q, const char *key, struct err *e)
{
	struct queue_item *it;
	size_t len = 0;
	uint32_t h;

	if (key_check(key, &len, e) < 0)
		return NULL;
	h = key_hash(key);
	it = item_find(q, key, h);
	if (it != NULL)
		return it;
	if (q->nitems >= QUEUE_ITEMS_MAX) {
		err_set(e, "work queue: %u keys already queued, cannot add "
		    "\"%s\"", QUEUE_ITEMS_MAX, key);
		return NULL;
	}
	if (q->nitems >= q->nbuckets && table_grow(q, e) < 0)
		return NULL;
	it = malloc(offsetof(struct queue_item, key) + len + 1);
	if (it == NULL) {
		err_set(e, "work queue: out of memory adding \"%s\"", key);
		return NULL;
	}
	memset(it, 0, offsetof(struct queue_item, key));
	memcpy(it->key, key, len + 1);
	it->hash = h;
	it->heap_idx = HEAP_NONE;
	it->hnext = q->buckets[h & (q->nbuckets - 1)];
	q->buckets[h & (q->nbuckets - 1)] = it;
	q->nitems++;
	return it;
}

/* Frees it when nothing refers to it any more (a remembered backoff keeps
 * it, except after shutdown). */
static void
item_release(struct queue *q, struct queue_item *it)
{
	struct queue_item **pp;

	if (it->flags != 0 || it->heap_idx != HEAP_NONE)
		return;
	if (it->failures != 0 && !q->shutdown)
		return;
	pp = &q->buckets[it->hash & (q->nbuckets - 1)];
	while (*pp != it)
		pp = &(*pp)->hnext;
	*pp = it->hnext;
	q->nitems--;
	free(it);
}

/* ---- delayed keys: the heap ---- */

static void
heap_set(struct queue *q, size_t i, struct queue_item *it)
{
	q->heap[i] = it;
	it->heap_idx = (uint32_t)i;
}

static void
heap_up(struct queue *q, size_t i)
{
	struct queue_item *it = q->heap[i];
	size_t parent;

	while (i > 0) {
		parent = (i - 1) / 2;
		if (q->heap[parent]->due <= it->due)
			break;
		heap_set(q, i, q->heap[parent]);
		i = parent;
	}
	heap_set(q, i, it);
}

static void
heap_down(struct queue *q, size_t i)
{
	struct queue_item *it = q->heap[i];
	size_t child;

	for (;;) {
		child = 2 * i + 1;
		if (child >= q->heap_len)
			break;
		if (child + 1 < q->heap_len &&
		    q->heap[child + 1]->due < q->heap[child]->due)
			child++;
		if (it->due <= q->heap[child]->due)
			break;
		heap_set(q, i, q->heap[child]);
		i = child;
	}
	heap_set(q, i, it);
}

static int
heap_push(struct queue *q, struct queue_item *it, struct err *e)
{
	struct queue_item **h;
	size_t cap;

	if (q->heap_len == q->heap_cap) {
		cap = q->heap_cap > 0 ? q->heap_cap * 2 : 64;
		h = realloc(q->heap, cap * sizeof(*h));
		if (h == NULL)
			return err_set(e, "work queue: out of memory delaying "
			    "\"%s\"", it->key);
		q->heap = h;
		q->heap_cap = cap;
	}
	heap_set(q, q->heap_len++, it);
	heap_up(q, q->heap_len - 1);
	return 0;
}

static void
heap_remove(struct queue *q, struct queue_item *it)
{
	size_t i = it->heap_idx;
	struct queue_item *last = q->heap[--q->heap_len];

	it->heap_idx = HEAP_NONE;
	if (last == it)
		return;
	heap_set(q, i, last);
	heap_up(q, i);
	heap_down(q, last->heap_idx);
}

static uint64_t
ns_to_ms(int64_t ns)
{
	if (ns <= 0)
		return 0;
	return (uint64_t)(ns / NS_PER_MS) + (ns % NS_PER_MS != 0);
}

static void delay_timer_cb(uv_timer_t *t);

static void
delay_timer_arm(struct queue *q)
{
	uint64_t now = uv_now(q->loop), due;

	if (q->heap_len == 0) {
		uv_timer_stop(&q->delay_timer);
		return;
	}
	due = q->heap[0]->due;
	uv_timer_start(&q->delay_timer, delay_timer_cb,
	    due > now ? due - now : 0, 0);
}

/* ---- waiting keys and starting runs ---- */

static void kick_cb(uv_idle_t *h);

/* Starts the idle handle when a run can start or the drain is due. */
static void
kick(struct queue *q)
{
	bool start = !q->shutdown && q->wait_head != NULL &&
	    q->free_runs != NULL;

	if (q->shutdown && q->drained_due && q->nrunning == 0)
		start = true;
	if (start && !uv_is_active((uv_handle_t *)&q->kick))
		uv_idle_start(&q->kick, kick_cb);
}

/* client-go's Add: once in the FIFO, or dirty while running. */
static void
item_add_now(struct queue *q, struct queue_item *it)
{
	if (it->flags & (QI_WAITING | QI_DIRTY))
		return;
	metric_inc(q->m != NULL ? q->m->wq_adds : NULL);
	it->queued = uv_hrtime();
	if (it->flags & QI_RUNNING) {
		it->flags |= QI_DIRTY;
		return;
	}
	it->flags |= QI_WAITING;
	it->rnext = NULL;
	if (q->wait_tail != NULL)
		q->wait_tail->rnext = it;
	else
		q->wait_head = it;
	q->wait_tail = it;
	q->nwaiting++;
	kick(q);
}

static struct queue_item *
wait_pop(struct queue *q)
{
	struct queue_item *it = q->wait_head;

	q->wait_head = it->rnext;
	if (q->wait_head == NULL)
		q->wait_tail = NULL;
	it->rnext = NULL;
	it->flags &= (uint8_t)~QI_WAITING;
	q->nwaiting--;
	return it;
}

static void timeout_timer_cb(uv_timer_t *t);

static void
timeout_timer_arm(struct queue *q)
{
	uint64_t now = uv_now(q->loop);

	if (q->dl_head == NULL) {
		uv_timer_stop(&q->timeout_timer);
		return;
	}
	uv_timer_start(&q->timeout_timer, timeout_timer_cb,
	    q->dl_head->deadline > now ? q->dl_head->deadline - now : 0, 0);
}

static void
dl_unlink(struct queue *q, struct queue_run *r)
{
	bool head = q->dl_head == r;

	if (!r->listed)
		return;
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		q->dl_head = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	else
		q->dl_tail = r->prev;
	r->prev = r->next = NULL;
	r->listed = false;
	if (head)
		timeout_timer_arm(q);
}

static void
dl_append(struct queue *q, struct queue_run *r)
{
	r->deadline = uv_now(q->loop) + ns_to_ms(q->cfg.reconcile_timeout);
	r->listed = true;
	r->next = NULL;
	r->prev = q->dl_tail;
	if (q->dl_tail != NULL)
		q->dl_tail->next = r;
	else
		q->dl_head = r;
	q->dl_tail = r;
	if (q->dl_head == r)
		timeout_timer_arm(q);
}

static void
run_start(struct queue *q)
{
	struct queue_item *it = wait_pop(q);
	struct queue_run *r = q->free_runs;

	q->free_runs = r->next;
	r->next = r->prev = NULL;
	r->item = it;
	r->cancelled = false;
	r->listed = false;
	r->started = uv_hrtime();
	metric_observe(q->m != NULL ? q->m->wq_queue_duration : NULL,
	    (double)(r->started - it->queued) / 1e9);
	it->flags |= QI_RUNNING;
	q->nrunning++;
	if (q->cfg.reconcile_timeout > 0)
		dl_append(q, r);
	q->run_cb(q->data, r, it->key);
}

/* Starts at most cfg.concurrent runs per loop iteration: a run that ends
 * and re-adds itself synchronously cannot spin here forever. */
static void
kick_cb(uv_idle_t *h)
{
	struct queue *q = h->data;
	int budget = q->cfg.concurrent;

	while (budget-- > 0 && !q->shutdown && q->wait_head != NULL &&
	    q->free_runs != NULL)
		run_start(q);
	if (q->shutdown && q->drained_due && q->nrunning == 0) {
		uv_idle_stop(h);
		q->drained_due = false;
		if (q->drained != NULL)
			q->drained(q->drained_data, 0);
		return;
	}
	if (q->shutdown || q->wait_head == NULL || q->free_runs == NULL)
		uv_idle_stop(h);
}

/* ---- timers ---- */

static void
delay_timer_cb(uv_timer_t *t)
{
	struct queue *q = t->data;
	uint64_t now = uv_now(q->loop);
	struct queue_item *it;

	while (q->heap_len > 0 && q->heap[0]->due <= now) {
		it = q->heap[0];
		heap_remove(q, it);
		item_add_now(q, it);
	}
	delay_timer_arm(q);
}

static void
timeout_timer_cb(uv_timer_t *t)
{
	struct queue *q = t->data;
	uint64_t now = uv_now(q->loop);
	struct queue_run *r;

	/* The callback may end runs (queue_done) or the list's head: read
	 * the head afresh each time. At most nrunning iterations. */
	while ((r = q->dl_head) != NULL && r->deadline <= now) {
		dl_unlink(q, r);
		r->cancelled = true;
		if (q->cancel_cb != NULL)
			q->cancel_cb(q->data, UV_ETIMEDOUT, r, r->item->key);
	}
	timeout_timer_arm(q);
}

/* ---- the API ---- */

static int
config_check(const struct queue_config *c, struct err *e)
{
	if (c->concurrent < 1 || c->concurrent > QUEUE_CONCURRENT_MAX)
		return err_setc(e, ERR_TERMINAL, "work queue: concurrent %d "
		    "is out of range (1 to %d)", c->concurrent,
		    QUEUE_CONCURRENT_MAX);
	if (c->min_retry_delay <= 0)
		return err_setc(e, ERR_TERMINAL, "work queue: the minimum "
		    "retry delay must be positive");
	if (c->max_retry_delay < c->min_retry_delay)
		return err_setc(e, ERR_TERMINAL, "work queue: the maximum "
		    "retry delay is below the minimum");
	if (c->reconcile_timeout < 0)
		return err_setc(e, ERR_TERMINAL, "work queue: the reconcile "
		    "timeout must not be negative");
	if (c->jitter_percent < 0 || c->jitter_percent >= 100)
		return err_setc(e, ERR_TERMINAL, "work queue: the interval "
		    "jitter percentage %d must be from 0 to 99",
		    c->jitter_percent);
	return 0;
}

static int
handles_init(struct queue *q, uv_loop_t *loop, struct err *e)
{
	int rc;

	if ((rc = uv_timer_init(loop, &q->delay_timer)) != 0)
		return err_set(e, "work queue: timer: %s", uv_strerror(rc));
	q->open_handles++;
	if ((rc = uv_timer_init(loop, &q->timeout_timer)) != 0)
		return err_set(e, "work queue: timer: %s", uv_strerror(rc));
	q->open_handles++;
	if ((rc = uv_idle_init(loop, &q->kick)) != 0)
		return err_set(e, "work queue: idle: %s", uv_strerror(rc));
	q->open_handles++;
	q->delay_timer.data = q->timeout_timer.data = q->kick.data = q;
	return 0;
}

struct queue *
queue_new(uv_loop_t *loop, const struct queue_config *cfg,
    queue_run_fn run, queue_cancel_fn cancel, void *data, struct err *e)
{
	struct queue *q;
	int i;

	if (config_check(cfg, e) < 0)
		return NULL;
	q = calloc(1, sizeof(*q));
	if (q == NULL) {
		err_set(e, "work queue: out of memory");
		return NULL;
	}
	q->loop = loop;
	q->cfg = *cfg;
	q->run_cb = run;
	q->cancel_cb = cancel;
	q->data = data;
	q->rng = cfg->seed != 0 ? cfg->seed : uv_hrtime() | 1;
	q->nbuckets = BUCKETS_MIN;
	q->buckets = calloc(q->nbuckets, sizeof(*q->buckets));
	q->runs = calloc((size_t)cfg->concurrent, sizeof(*q->runs));
	if (q->buckets == NULL || q->runs == NULL) {
		err_set(e, "work queue: out of memory");
		goto fail;
	}
	for (i = cfg->concurrent - 1; i >= 0; i--) {
		q->runs[i].next = q->free_runs;
		q->free_runs = &q->runs[i];
	}
	if (handles_init(q, loop, e) < 0)
		goto fail;
	return q;
fail:
	queue_free(q);
	return NULL;
}

static void
mem_free(struct queue *q)
{
	struct queue_item *it, *next;
	size_t i;

	for (i = 0; q->buckets != NULL && i < q->nbuckets; i++)
		for (it = q->buckets[i]; it != NULL; it = next) {
			next = it->hnext;
			free(it);
		}
	free(q->buckets);
	free(q->heap);
	free(q->runs);
	free(q);
}

static void
handle_closed(uv_handle_t *h)
{
	struct queue *q = h->data;

	if (--q->open_handles == 0)
		mem_free(q);
}

void
queue_free(struct queue *q)
{
	int n;

	if (q == NULL)
		return;
	n = q->open_handles;
	if (n == 0) {
		mem_free(q);
		return;
	}
	/* Handles were initialized in order; close the ones that were. */
	q->delay_timer.data = q->timeout_timer.data = q->kick.data = q;
	uv_close((uv_handle_t *)&q->delay_timer, handle_closed);
	if (n > 1)
		uv_close((uv_handle_t *)&q->timeout_timer, handle_closed);
	if (n > 2)
		uv_close((uv_handle_t *)&q->kick, handle_closed);
}

int
queue_add(struct queue *q, const char *key, struct err *e)
{
	struct queue_item *it;

	if (q->shutdown)
		return 0;
	it = item_get(q, key, e);
	if (it == NULL)
		return -1;
	item_add_now(q, it);
	return 0;
}

/* client-go's AddAfter for an item: an earlier deadline wins. */
static int
item_add_after(struct queue *q, struct queue_item *it, int64_t delay,
    struct err *e)
{
	uint64_t due;

	if (delay <= 0) {
		item_add_now(q, it);
		return 0;
	}
	due = uv_now(q->loop) + ns_to_ms(delay);
	if (it->heap_idx != HEAP_NONE) {
		if (due >= it->due)
			return 0;
		it->due = due;
		heap_up(q, it->heap_idx);
	} else {
		it->due = due;
		if (heap_push(q, it, e) < 0)
			return -1;
	}
	if (q->heap[0] == it)
		delay_timer_arm(q);
	return 0;
}

int
queue_add_after(struct queue *q, const char *key, int64_t delay,
    struct err *e)
{
	struct queue_item *it;

	if (q->shutdown)
		return 0;
	it = item_get(q, key, e);
	if (it == NULL)
		return -1;
	if (item_add_after(q, it, delay, e) < 0) {
		item_release(q, it);
		return -1;
	}
	return 0;
}

int64_t
queue_backoff_delay(const struct queue_config *cfg, unsigned failures)
{
	int64_t d = cfg->min_retry_delay;

	if (failures >= 63 || d > (INT64_MAX >> failures))
		return cfg->max_retry_delay;
	d <<= failures;
	return d > cfg->max_retry_delay ? cfg->max_retry_delay : d;
}

static bool
run_valid(const struct queue *q, const struct queue_run *r)
{
	return r >= q->runs && r < q->runs + q->cfg.concurrent &&
	    r->item != NULL;
}

/* The result's follow-up: forget, or delay by after or by the backoff. */
static int
result_apply(struct queue *q, struct queue_item *it, enum queue_result res,
    int64_t after, struct err *e)
{
	int64_t delay;

	switch (res) {
	case QUEUE_SUCCESS:
		it->failures = 0;
		return 0;
	case QUEUE_REQUEUE_AFTER:
		it->failures = 0;
		return q->shutdown ? 0 : item_add_after(q, it, after, e);
	case QUEUE_FAILURE:
		metric_inc(q->m != NULL ? q->m->wq_retries : NULL);
		delay = queue_backoff_delay(&q->cfg, it->failures);
		if (it->failures < UINT16_MAX)
			it->failures++;
		return q->shutdown ? 0 : item_add_after(q, it, delay, e);
	}
	return err_set(e, "work queue: unknown result %d for \"%s\"",
	    (int)res, it->key);
}

/* controller-runtime's reconcile counters and client-go's work duration. */
static void
run_count(const struct queue *q, const struct queue_run *r,
    enum queue_result res)
{
	static const enum ctl_result map[] = { [QUEUE_SUCCESS] = CTL_SUCCESS,
	    [QUEUE_REQUEUE_AFTER] = CTL_REQUEUE_AFTER,
	    [QUEUE_FAILURE] = CTL_ERROR };
	const char *key = r->item->key, *slash = strchr(key, '/');
	char ns[QUEUE_KEY_MAX + 1];
	double secs;

	if (q->m == NULL || (unsigned)res > QUEUE_FAILURE)
		return;
	secs = (double)(uv_hrtime() - r->started) / 1e9;
	metric_observe(q->m->wq_work_duration, secs);
	snprintf(ns, sizeof(ns), "%.*s", slash != NULL ? (int)(slash - key) :
	    0, key);
	ctl_metrics_reconciled(q->m, map[res], secs, "ArtifactGenerator", ns,
	    slash != NULL ? slash + 1 : key);
}

/* The gauges read on demand: depth, active workers, unfinished work. */
static void
queue_collect(void *data, struct metrics *reg)
{
	const struct queue *q = data;
	uint64_t now = uv_hrtime(), age, sum = 0, max = 0;
	int i;

	(void)reg;
	for (i = 0; i < q->cfg.concurrent; i++) {
		if (q->runs[i].item == NULL)
			continue;
		age = now - q->runs[i].started;
		sum += age;
		max = age > max ? age : max;
	}
	metric_set(q->m->wq_depth, (double)q->nwaiting);
	metric_set(q->m->active_workers, (double)q->nrunning);
	metric_set(q->m->wq_unfinished, (double)sum / 1e9);
	metric_set(q->m->wq_longest, (double)max / 1e9);
}

int
queue_set_metrics(struct queue *q, const struct ctl_metrics *m)
{
	q->m = m;
	return m != NULL ? metrics_on_collect(m->reg, queue_collect, q) : 0;
}

int
queue_done(struct queue *q, struct queue_run *r, enum queue_result res,
    int64_t after, struct err *e)
{
	struct queue_item *it;
	int rc;

	if (!run_valid(q, r))
		return err_set(e, "work queue: done for a run that is not in "
		    "flight");
	it = r->item;
	run_count(q, r, res);
	dl_unlink(q, r);
	r->item = NULL;
	r->next = q->free_runs;
	q->free_runs = r;
	q->nrunning--;
	it->flags &= (uint8_t)~QI_RUNNING;
	rc = result_apply(q, it, res, after, e);
	if (it->flags & QI_DIRTY) {
		it->flags &= (uint8_t)~QI_DIRTY;
		if (!q->shutdown)
			item_add_now(q, it);
	}
	item_release(q, it);
	kick(q);
	return rc;
}

unsigned
queue_failures(const struct queue *q, const char *key)
{
	const struct queue_item *it = item_find(q, key, key_hash(key));

	return it != NULL ? it->failures : 0;
}

/* splitmix64: small, fast, good enough to spread requeues. */
static uint64_t
rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

int64_t
queue_jitter(struct queue *q, int64_t interval)
{
	double u, span;

	if (interval <= 0 || q->cfg.jitter_percent <= 0)
		return interval;
	/* u in [-1, 1), from the top 53 bits. */
	u = (double)(rng_next(&q->rng) >> 11) * (1.0 / 9007199254740992.0);
	u = 2.0 * u - 1.0;
	span = (double)interval * q->cfg.jitter_percent / 100.0;
	return interval + (int64_t)(u * span);
}

static void
shutdown_drop(struct queue *q)
{
	struct queue_item *it;
	size_t i;

	while (q->wait_head != NULL)
		item_release(q, wait_pop(q));
	while (q->heap_len > 0) {
		it = q->heap[--q->heap_len];
		it->heap_idx = HEAP_NONE;
		item_release(q, it);
	}
	uv_timer_stop(&q->delay_timer);
	for (i = 0; i < (size_t)q->cfg.concurrent; i++)
		if (q->runs[i].item != NULL)
			q->runs[i].item->flags &= (uint8_t)~QI_DIRTY;
}

void
queue_shutdown(struct queue *q, queue_drained_fn drained, void *data)
{
	struct queue_run *r;
	size_t i;

	if (q->shutdown)
		return;
	q->shutdown = true;
	q->drained = drained;
	q->drained_data = data;
	q->drained_due = true;
	shutdown_drop(q);
	/* The callback may end runs: slots are checked one by one. */
	for (i = 0; i < (size_t)q->cfg.concurrent; i++) {
		r = &q->runs[i];
		if (r->item == NULL || r->cancelled)
			continue;
		dl_unlink(q, r);
		r->cancelled = true;
		if (q->cancel_cb != NULL)
			q->cancel_cb(q->data, UV_ECANCELED, r, r->item->key);
	}
	uv_timer_stop(&q->timeout_timer);
	kick(q);
}

void
queue_stats_get(const struct queue *q, struct queue_stats *st)
{
	st->items = q->nitems;
	st->waiting = q->nwaiting;
	st->running = q->nrunning;
	st->delayed = q->heap_len;
}

size_t
queue_mem_per_item(size_t keylen)
{
	/* Worst cases: the heap just doubled (two slots per key) and the
	 * table just doubled (two bucket pointers per key). */
	return offsetof(struct queue_item, key) + keylen + 1 +
	    2 * sizeof(struct queue_item *) + 2 * sizeof(struct queue_item *);
}

const char *
queue_run_key(const struct queue_run *run)
{
	return run->item != NULL ? run->item->key : NULL;
}
