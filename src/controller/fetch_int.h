/*
 * fetch_int: what fetch.c (cache, entries, requests, delivery) and
 * fetch_dl.c (one download + extraction) share. Not for other modules.
 */
#ifndef AG_CONTROLLER_FETCH_INT_H
#define AG_CONTROLLER_FETCH_INT_H

#include <stdbool.h>
#include <sys/queue.h>

#include "base/digest.h"
#include "controller/fetch.h"
#include "kube/store.h"

enum fetch_state {
	FETCH_DOWNLOADING,	/* a request in flight or a backoff timer */
	FETCH_EXTRACTING,	/* on the thread pool */
	FETCH_READY,		/* dir holds the tree */
	FETCH_FAILED,		/* fail holds the message */
};

enum fetch_req_state {
	FETCH_REQ_WAIT,		/* attached, entry not done */
	FETCH_REQ_NOTIFY,	/* in the cache's notify queue */
	FETCH_REQ_HELD,		/* success delivered, holds the tree */
};

struct fetch_entry;
struct fetch_dl;

struct fetch_req {
	struct fetch_entry *entry;	/* NULL once the cache is destroyed */
	TAILQ_ENTRY(fetch_req) link;	/* entry->reqs */
	TAILQ_ENTRY(fetch_req) qlink;	/* cache->notify */
	enum fetch_req_state state;
	fetch_cb cb;
	void *data;
	char *name;			/* the source, for messages */
};

TAILQ_HEAD(fetch_req_list, fetch_req);

struct fetch_entry {
	struct fetch_cache *c;
	TAILQ_ENTRY(fetch_entry) link;	/* cache->all */
	struct fetch_req_list reqs;
	unsigned refs;			/* requests attached */
	enum fetch_state state;
	bool in_table;
	bool superseded;		/* a newer digest of source came */
	bool idle;			/* ready, no request: in cache->idle */
	char key[DIGEST_STRING_MAX];	/* normalized "<algo>:<hex>" */
	char *dir;			/* ready: the tree's absolute path */
	char *fail;			/* failed: the message */
	struct fetch_dl *dl;		/* while downloading or extracting */
	uint64_t bytes;			/* ready: the tree's size on disk */
	char *source;			/* the first requester's source name */
	uint64_t idle_since;		/* uv_now when it went idle */
	TAILQ_ENTRY(fetch_entry) idle_link;	/* cache->idle, LRU first */
};

struct fetch_cache {
	uv_loop_t *loop;
	struct fetch_cache_opts o;	/* defaults filled in */
	char *localhost;		/* "" for none */
	char *path;			/* <root>/.fetch */
	int dir_fd;
	struct kube_store *table;	/* key -> entry */
	TAILQ_HEAD(, fetch_entry) all;	/* in the table or winding down */
	struct fetch_req_list notify;
	uv_timer_t notify_timer;
	TAILQ_HEAD(, fetch_entry) idle;	/* ready trees nobody holds, LRU */
	size_t n_idle;
	uint64_t idle_bytes;
	uv_timer_t idle_timer;		/* the TTL of the oldest idle tree */
	unsigned pending;		/* downloads, removals, the timer */
	uint64_t seq;			/* unique temp names */
	bool closing;
};

/* fetch_dl.c: starts the download of e (url already rewritten). -1 with
 * err set when nothing could be started. */
int fetch_dl_start(struct fetch_entry *en, const char *url,
    enum digest_algo algo, const uint8_t *want, struct err *err);
/* Asks the download to stop (no new attempt, the request cancelled). */
void fetch_dl_abort(struct fetch_dl *dl);
size_t fetch_dl_sizeof(void);

/* fetch.c, called by fetch_dl.c on the loop thread. bytes: the ready
 * tree's size on disk. */
void fetch_entry_done(struct fetch_entry *en, const char *dir,
    uint64_t bytes, const struct err *fail);
/* The download ended and its handles closed: en->dl is cleared. */
void fetch_entry_dl_gone(struct fetch_entry *en);
/* Renames name (in the cache dir) to a fresh <seq>.del and removes it on
 * the thread pool. */
void fetch_cache_trash(struct fetch_cache *c, const char *name);
void fetch_cache_unpend(struct fetch_cache *c);

#endif
