/*
 * kube_informer: keeps a local store of one resource (a group/version/
 * resource, one namespace or all, a label selector) in step with the API
 * server, the way client-go's reflector does, and tells the caller what
 * changed.
 *
 *   LIST (paginated, every item projected as its page arrives, so memory
 *   holds at most one page of JSON) -> on_synced once -> WATCH from the
 *   list's resourceVersion with bookmarks and a randomised timeoutSeconds;
 *   a watch the server ends normally is resumed from the last seen
 *   resourceVersion (events and bookmarks advance it); a dropped stream or
 *   a failed request is retried with exponential backoff and jitter (no
 *   busy loop while the server is down); 410 Gone (HTTP or an ERROR event)
 *   or an undecodable event re-LISTs and reconciles the store (kube_cache:
 *   synthesised deletes and updates).
 *
 * Created by the controller (one per watched resource) and by the tests.
 * The informer borrows the client (which must outlive it) and copies every
 * string of its options. kube_informer_free() cancels the request in flight
 * and the backoff timer; the memory is released once the loop has delivered
 * their completions, after which the informer holds no handle. No handler is
 * called after kube_informer_free() returns. Loop-thread only.
 */
#ifndef AG_KUBE_INFORMER_H
#define AG_KUBE_INFORMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "kube/cache.h"
#include "kube/client.h"

struct kube_informer_opts {
	const char *group;		/* "" or NULL: core */
	const char *version;
	const char *resource;		/* plural, e.g. "gitrepositories" */
	bool namespaced;
	const char *namespace;		/* NULL or "": all namespaces */
	const char *label_selector;	/* NULL: every object */
	unsigned page_size;		/* LIST limit; 0: 500 */
	/* Watch timeoutSeconds is drawn uniformly from [min, max]; 0: 300
	 * and 600 (client-go uses 5..10 minutes). */
	unsigned watch_timeout_min_s;
	unsigned watch_timeout_max_s;
	/* Retry delays: 0: 500 ms base, 30 s cap. */
	uint64_t backoff_base_ms;
	uint64_t backoff_cap_ms;
};

struct kube_informer_stats {
	unsigned long lists;		/* LISTs completed */
	unsigned long list_failures;
	unsigned long watches;		/* WATCH requests started */
	unsigned long watch_ends;	/* ended normally by the server */
	unsigned long watch_failures;	/* dropped or refused, not 410 */
	unsigned long gone;		/* 410 Gone: re-listed */
	unsigned long retries;		/* backoff waits scheduled */
	struct kube_cache_stats cache;
};

struct kube_informer;

/*
 * Creates an informer on loop (the client's); nothing is sent until kube_informer_start. h must
 * outlive the informer; data is handed to every handler. -1 with e for
 * missing options (version, resource, project/free).
 */
int kube_informer_new(struct kube_informer **out, uv_loop_t *loop,
    struct kube_client *c, const struct kube_informer_opts *o,
    const struct kube_informer_handlers *h, void *data, struct err *e);
/* Starts the first LIST. Call once. */
void kube_informer_start(struct kube_informer *inf);
/* Stops and releases (see above). Safe in a handler of this informer: the
 * release then waits until the handler has returned. NULL is a no-op. */
void kube_informer_free(struct kube_informer *inf);

bool kube_informer_synced(const struct kube_informer *inf);
/* The resourceVersion the next watch starts from ("" before the list). */
const char *kube_informer_resource_version(const struct kube_informer *inf);
/* The store, for lookups, index lookups (kube_cache_index_foreach) and
 * iteration (borrowed; do not modify). */
const struct kube_cache *kube_informer_cache(const struct kube_informer *inf);
void kube_informer_get_stats(const struct kube_informer *inf,
    struct kube_informer_stats *st);

#endif
