/*
 * kube_url: request URLs and headers of the Kubernetes REST client, pure so
 * that unit tests check them without a server. client.c is the caller.
 *
 * Paths: <server>/api/v1[/namespaces/<ns>]/<resource>[/<name>[/<sub>]] for
 * the core group, <server>/apis/<group>/<version>/... otherwise. Path
 * segments are validated like client-go's IsValidPathSegmentName (no "/",
 * no "%", not "." or "..") and percent-encoded beyond RFC 3986 unreserved
 * and sub-delim characters. Query values are escaped like Go's
 * url.QueryEscape (space as "+"), so label selectors such as
 * "app in (a,b),!x" travel intact.
 *
 * A kube_buf grows on the heap (bounded by KUBE_URL_MAX); its owner frees
 * buf.p. Headers are malloc'd lines freed with kube_headers_free.
 */
#ifndef AG_KUBE_URL_H
#define AG_KUBE_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "kube/client.h"

#define KUBE_URL_MAX 8192

struct kube_buf {
	char *p;
	size_t len;
	size_t cap;
	bool failed;		/* allocation failure or over KUBE_URL_MAX */
};

void kube_buf_free(struct kube_buf *b);
/* Appends s verbatim. */
void kube_buf_str(struct kube_buf *b, const char *s);

/*
 * Appends server and the resource path: the object (r->name, then
 * r->subresource) when r->name is set, else the collection (in r->namespace
 * when the resource is namespaced and a namespace is given). -1 with e set
 * naming the invalid field.
 */
int kube_url_path(struct kube_buf *b, const char *server,
    const struct kube_resource *r, struct err *e);

/* Appends "?key=value" or "&key=value", value query-escaped; NULL or ""
 * values are skipped. */
void kube_url_query(struct kube_buf *b, const char *key, const char *value);
void kube_url_query_uint(struct kube_buf *b, const char *key,
    unsigned long long value);

/* `<resource>[/<sub>] "<ns>/<name>"`, `<resource> in namespace "<ns>"` or
 * `<resource> in all namespaces`, for messages (truncated to cap). */
void kube_url_what(char *dst, size_t cap, const struct kube_resource *r);

#define KUBE_HEADERS_MAX 6

struct kube_headers {
	char *lines[KUBE_HEADERS_MAX];		/* owned */
	const char *vec[KUBE_HEADERS_MAX + 1];	/* NULL-ended view */
};

/*
 * Composes the request headers: Accept: application/json, User-Agent,
 * Authorization: Bearer <token> when token is non-empty, Content-Type when
 * content_type is non-NULL. A token or agent with CR, LF or NUL bytes is
 * refused (header injection). -1 with e set.
 */
int kube_headers_compose(struct kube_headers *h, const char *token,
    const char *user_agent, const char *content_type, struct err *e);
void kube_headers_free(struct kube_headers *h);

#endif
