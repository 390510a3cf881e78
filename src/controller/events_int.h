/*
 * events_int: what events.c (the recorder, client-go's correlator, the
 * core/v1 writes), events_lru.c (the bounded caches) and events_fwd.c (the
 * POSTs to --events-addr) share. Not for other modules.
 */
#ifndef AG_CONTROLLER_EVENTS_INT_H
#define AG_CONTROLLER_EVENTS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "controller/events.h"

/* ---- the LRU: fixed-size keys (a hash of the event's fields) ---- */

#define EV_KEY_LEN 16
#define EV_LRU_BUCKETS_MIN 16	/* the table's first size; it doubles */

struct ev_lru_node {
	uint8_t key[EV_KEY_LEN];
	struct ev_lru_node *hnext;		/* hash chain */
	TAILQ_ENTRY(ev_lru_node) link;		/* most recent first */
};

TAILQ_HEAD(ev_lru_list, ev_lru_node);

/* Called for a node pushed out (or left at ev_lru_free); frees it. */
typedef void (*ev_lru_evict_fn)(struct ev_lru_node *n, void *data);

struct ev_lru {
	struct ev_lru_node **buckets;
	size_t nbuckets;	/* a power of two, grows with n up to cap */
	size_t n, cap;
	struct ev_lru_list all;
	ev_lru_evict_fn evict;
	void *data;
};

int ev_lru_init(struct ev_lru *l, size_t cap, ev_lru_evict_fn evict,
    void *data, struct err *e);
/* Evicts every node, frees the table. */
void ev_lru_free(struct ev_lru *l);
/* The node for key, made most recent; NULL when absent. */
struct ev_lru_node *ev_lru_get(struct ev_lru *l, const uint8_t *key);
/* Inserts n (n->key set, not present) as most recent; evicts the least
 * recent beyond cap. */
void ev_lru_add(struct ev_lru *l, struct ev_lru_node *n);

/* The key of the strings parts[0..n) (BLAKE3, NUL-separated). */
void ev_key(uint8_t out[EV_KEY_LEN], const char *const *parts, size_t n);

/* ---- forwarding to notification-controller ---- */

struct ev_fwd;
TAILQ_HEAD(ev_fwd_list, ev_fwd);

struct events_recorder {
	uv_loop_t *loop;
	struct kube_client *kube;
	struct http_client *http;
	char *controller;
	char *instance;			/* reportingInstance: opts or hostname */
	char *addr;			/* NULL: no forwarding */
	struct events_opts o;		/* defaults filled in, strings not kept */
	struct ev_lru logs;		/* event key -> the Event on the server */
	struct ev_lru spam;		/* object key -> token bucket */
	TAILQ_HEAD(, ev_write) writes;	/* core/v1 writes in flight */
	struct ev_fwd_list fwds;	/* POSTs in flight or waiting to retry */
	unsigned nfwd;
	bool closing;
	struct events_stats st;
};

/* Now (ns since the epoch): opts.now_ns or the real clock. */
int64_t ev_now_ns(const struct events_recorder *r);
/* One log line for a failed write, and stats.failed. */
void ev_fail(struct events_recorder *r, const struct events_object *obj,
    const char *what, const char *why);
/* Frees r once closing and nothing is in flight. */
void ev_maybe_free(struct events_recorder *r);

/* The event in Flux's format (fluxcd/pkg/apis/event v1beta1); caller owns. */
json_t *ev_fwd_json(const struct events_recorder *r,
    const struct events_object *obj, const char *severity, const char *reason,
    const char *message, const json_t *metadata, int64_t now_ns);
/* POSTs body (stolen) to r->addr with Flux's retries; never fails the
 * caller (a refused start is counted and logged). */
void ev_fwd_start(struct events_recorder *r, const struct events_object *obj,
    json_t *body);
/* Cancels every forward (free). */
void ev_fwd_cancel_all(struct events_recorder *r);

#endif
