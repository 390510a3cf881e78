/*
 * artifact_server: serves the artifact files of the storage over HTTP
 * (--storage-addr), with the URL layout storage_url() publishes in
 * status.artifact.url: /<kind>/<namespace>/<name>/<file>.
 *
 * GET and HEAD only (405 otherwise, with Allow). A request path is split on
 * '/' and each component percent-decoded; exactly four components, each
 * non-empty, at most 255 bytes, not starting with '.', without '/', '\\'
 * or NUL once decoded, the file not a lock or temp file, the whole path at
 * most 1024 bytes; anything else is 404. The file is opened relative to the
 * storage root's descriptor one component at a time with O_NOFOLLOW (a
 * symlink anywhere is 404), on the thread pool, and must be a regular file.
 * Responses: Content-Length, Content-Type (application/gzip for .tar.gz and
 * .tgz, else application/octet-stream), Last-Modified, a strong ETag from
 * size and modification time, Accept-Ranges; If-None-Match (or, without it,
 * If-Modified-Since) -> 304; one "bytes=" range -> 206 with Content-Range
 * (If-Range honoured; several ranges are answered with the whole file;
 * unsatisfiable -> 416). Bodies go out with http_res_sendfile. "GET /"
 * answers 200 while ready() says so (503 otherwise): the readiness probe
 * of Flux's Deployments.
 *
 * Called by the controller at startup; the storage is the controller's (it
 * must outlive the server). artifact_server_close frees the server after
 * its close callback.
 */
#ifndef AG_CONTROLLER_ARTIFACT_SERVER_H
#define AG_CONTROLLER_ARTIFACT_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "base/err.h"
#include "controller/metrics.h"
#include "net/http_server.h"
#include "storage/storage.h"

#define ARTIFACT_PATH_MAX 1024

struct artifact_server;

struct artifact_server_opts {
	const char *addr;               /* --storage-addr */
	struct storage *storage;        /* not owned */
	bool (*ready)(void *data);      /* NULL: always ready */
	void *ready_data;
	const struct ctl_metrics *metrics;	/* optional, borrowed */
	struct http_server_opts http;   /* limits; addr and name are set */
};

/* Counters for metrics. */
struct artifact_server_stats {
	uint64_t requests;
	uint64_t by_class[6];           /* [2] 2xx ... [5] 5xx, [0] other */
	uint64_t not_found;
	uint64_t not_modified;
	uint64_t partial;
	uint64_t bytes;                 /* body bytes sent */
};

int artifact_server_start(uv_loop_t *loop,
    const struct artifact_server_opts *o, struct artifact_server **out,
    struct err *e);
int artifact_server_port(const struct artifact_server *as);
const struct artifact_server_stats *artifact_server_stats(
    const struct artifact_server *as);
/* Stops serving (responses in flight get grace_ms), then calls cb. */
void artifact_server_close(struct artifact_server *as, uint64_t grace_ms,
    void (*cb)(void *data), void *data);

/* The request path check above, without I/O: 0 and the four decoded
 * components in out (each NUL-terminated, in buf), or -1. For tests. */
int artifact_path_split(const char *path, char *buf, size_t cap,
    const char *out[4]);

#endif
