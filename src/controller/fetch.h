/*
 * fetch: the controller's source fetch cache. Downloads a Flux source's
 * artifact (status.artifact url + digest) over HTTP on the loop, verifies
 * its digest while the bytes stream to a temp file, extracts it safely on
 * the thread pool and hands the requester the local directory.
 *
 * One fetch per source digest at a time, shared by every requester: a
 * reference-counted entry keyed by the normalized digest. Requesters attach
 * callbacks; the tree lives as long as one of them holds it, then stays
 * idle for the next requester of that digest (bounded by count, bytes on
 * disk and a TTL; see fetch_cache_opts.idle_max) and is removed on the
 * thread pool when it leaves. A requester may
 * cancel before its callback: the callback is never called, and the download
 * goes on only while someone else waits for it.
 *
 * Like source-watcher (fluxcd/pkg/http/fetch): the URL's host[:port] is
 * replaced by SOURCE_CONTROLLER_LOCALHOST when set; a digest without an
 * algorithm is sha256; network errors, 429 and 5xx (but 501) are retried
 * with exponential backoff (5 s doubling to 30 s, Retry-After honoured up to
 * the maximum) up to --http-retry times (default 9); any other status than
 * 200 fails at once, naming the URL and the status.
 *
 * Files live in <storage root>/.fetch/ (opened without following a symlink,
 * emptied when the cache is created: the controller creates it once at
 * startup): <seq>.part (download), <seq>.x (extraction), <algo>-<hex> (a
 * ready tree), <seq>.del (a tree being removed).
 *
 * Loop-thread only. The cache owns entries and requests; a request handle
 * is valid from fetch_req_start until its failure callback returns, or until
 * fetch_req_cancel / fetch_req_release.
 */
#ifndef AG_CONTROLLER_FETCH_H
#define AG_CONTROLLER_FETCH_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "archive/tar.h"
#include "base/err.h"
#include "net/http_client.h"
#include "storage/storage.h"

#define FETCH_DEFAULT_MAX_DOWNLOAD (100ULL << 20)	/* 100 MiB */
#define FETCH_DEFAULT_RETRIES 9				/* --http-retry */
#define FETCH_DEFAULT_BACKOFF_MIN_MS 5000
#define FETCH_DEFAULT_BACKOFF_MAX_MS 30000
#define FETCH_LOCALHOST_ENV "SOURCE_CONTROLLER_LOCALHOST"
/* What the controller keeps of ready trees nobody holds (see idle_max). */
#define FETCH_DEFAULT_IDLE_MAX 256
#define FETCH_DEFAULT_IDLE_BYTES (256ULL << 20)	/* 256 MiB on disk */
#define FETCH_DEFAULT_IDLE_TTL_MS (5ULL * 60 * 1000)

struct fetch_cache_opts {
	struct http_client *http;	/* borrowed, outlives the cache */
	struct tls_profile *tls;	/* for https sources; optional */
	struct storage *storage;	/* the cache goes in <root>/.fetch */
	uint64_t max_download;		/* tarball bytes; 0: 100 MiB */
	struct tar_read_limits untar;	/* 0s: archive/tar.h's defaults */
	int retries;			/* < 0: FETCH_DEFAULT_RETRIES */
	uint64_t backoff_min_ms;	/* 0: the defaults above */
	uint64_t backoff_max_ms;
	/* host[:port] replacing the URLs'; NULL: $SOURCE_CONTROLLER_LOCALHOST
	 * read at creation; "" for none. Copied. */
	const char *localhost;
	/* Ready trees kept after their last release, for the next requester
	 * of the same digest: at most idle_max of them (0: none, the tree goes
	 * with its last release), idle_max_bytes on disk in all (0: the
	 * default above), each for idle_ttl_ms (0: the default). The least
	 * recently released goes first; a tree whose source (fetch_source.name)
	 * was since asked for with another digest goes at its last release. */
	size_t idle_max;
	uint64_t idle_max_bytes;
	uint64_t idle_ttl_ms;
	const struct ctl_metrics *metrics;	/* optional, borrowed */
};

/* What to fetch. Strings are copied. */
struct fetch_source {
	const char *name;		/* for messages: "GitRepository/ns/name" */
	const char *url;		/* status.artifact.url */
	const char *digest;		/* status.artifact.digest */
};

struct fetch_cache;
struct fetch_req;

/* status 0: dir is the extracted tree, valid until fetch_req_release(req).
 * -1: e says what failed, prefixed with "source '<name>': "; req is gone
 * when the callback returns (do not release it). */
typedef void (*fetch_cb)(struct fetch_req *req, int status, const char *dir,
    const struct err *e, void *data);

/* Empties and opens <root>/.fetch. Frees with fetch_cache_destroy. */
int fetch_cache_new(struct fetch_cache **out, uv_loop_t *loop,
    const struct fetch_cache_opts *opts, struct err *e);
/* Drops every waiting request (callbacks not called), aborts downloads and
 * removes the trees; requests still held become inert (release them as
 * usual, their dir is gone). Memory goes once the loop has run the pending
 * callbacks. */
void fetch_cache_destroy(struct fetch_cache *c);

/* Asks for src's tree. 0: cb is called exactly once, from the loop, never
 * from inside this call (unless cancelled first). -1 with e (nothing
 * started, cb never called): empty or invalid digest or URL, out of memory,
 * the cache being destroyed. *out (may be NULL) is the request. */
int fetch_req_start(struct fetch_cache *c, const struct fetch_source *src,
    fetch_cb cb, void *data, struct fetch_req **out, struct err *e);
/* Before the callback: it will not be called. After a successful one: the
 * same as fetch_req_release. Frees req. */
void fetch_req_cancel(struct fetch_req *req);
/* Drops the reference a successful request holds on its tree; the last
 * one removes it. Frees req. */
void fetch_req_release(struct fetch_req *req);

/* Replaces the host[:port] of url (after "scheme://" and any "user@") with
 * host, as Go's url.URL.Host = host does. Returns a malloc'd string, or
 * NULL with e set for a URL without "://". */
char *fetch_url_rewrite(const char *url, const char *host, struct err *e);

/* Figures for memory reports. */
size_t fetch_entry_sizeof(void);	/* a ready entry */
size_t fetch_req_sizeof(void);		/* a request, without its name */
size_t fetch_download_sizeof(void);	/* while downloading/extracting */
/* Entries in the table (downloading, extracting or ready, idle included). */
size_t fetch_cache_len(const struct fetch_cache *c);
/* Ready trees nobody holds, and their bytes on disk. */
size_t fetch_cache_idle_len(const struct fetch_cache *c);
uint64_t fetch_cache_idle_bytes(const struct fetch_cache *c);

#endif
