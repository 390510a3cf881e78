/*
 * kube_url: URL paths, query escaping and request headers (see url.h).
 */
#include "kube/url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bytes.h"

void
kube_buf_free(struct kube_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static void
buf_add(struct kube_buf *b, const char *s, size_t n)
{
	if (!b->failed && bytes_append(&b->p, &b->len, &b->cap, 256,
	    KUBE_URL_MAX, s, n) < 0)
		b->failed = true;
}

void
kube_buf_str(struct kube_buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

/* Appends s with every byte outside `keep` (and alphanumerics) as %XX;
 * space as '+' when plus is set. */
static void
buf_escape(struct kube_buf *b, const char *s, const char *keep, bool plus)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *u = (const unsigned char *)s;
	char enc[3];

	for (; *u; u++) {
		if ((*u >= 'a' && *u <= 'z') || (*u >= 'A' && *u <= 'Z') ||
		    (*u >= '0' && *u <= '9') || strchr(keep, *u) != NULL) {
			buf_add(b, (const char *)u, 1);
		} else if (*u == ' ' && plus) {
			buf_add(b, "+", 1);
		} else {
			enc[0] = '%';
			enc[1] = hex[*u >> 4];
			enc[2] = hex[*u & 15];
			buf_add(b, enc, 3);
		}
	}
}

/* Appends "/" and a validated, escaped path segment. */
static int
seg(struct kube_buf *b, const char *field, const char *v, struct err *e)
{
	if (v == NULL || *v == '\0')
		return err_set(e, "resource %s: empty", field);
	if (!strcmp(v, ".") || !strcmp(v, "..") || strchr(v, '/') ||
	    strchr(v, '%'))
		return err_set(e, "resource %s \"%s\": may not be '.' or '..' "
		    "or contain '/' or '%%'", field, v);
	buf_add(b, "/", 1);
	buf_escape(b, v, "-._~!$&'()*+,;=:@", false);
	return 0;
}

int
kube_url_path(struct kube_buf *b, const char *server,
    const struct kube_resource *r, struct err *e)
{
	bool core = r->group == NULL || r->group[0] == '\0';
	bool has_ns = r->namespace != NULL && r->namespace[0] != '\0';

	if (server == NULL || *server == '\0')
		return err_set(e, "no API server URL");
	kube_buf_str(b, server);
	kube_buf_str(b, core ? "/api" : "/apis");
	if ((!core && seg(b, "group", r->group, e) < 0) ||
	    seg(b, "version", r->version, e) < 0)
		return -1;
	if (r->namespaced && has_ns && (seg(b, "namespaces", "namespaces",
	    e) < 0 || seg(b, "namespace", r->namespace, e) < 0))
		return -1;
	if (!r->namespaced && has_ns)
		return err_set(e, "resource %s is cluster-scoped but a "
		    "namespace \"%s\" was given", r->resource ? r->resource :
		    "", r->namespace);
	if (seg(b, "resource", r->resource, e) < 0)
		return -1;
	if (r->name != NULL) {
		if (r->namespaced && !has_ns)
			return err_set(e, "%s \"%s\": namespace required",
			    r->resource, r->name);
		if (seg(b, "name", r->name, e) < 0)
			return -1;
	}
	if (r->subresource != NULL && r->name == NULL)
		return err_set(e, "resource %s: subresource \"%s\" needs an "
		    "object name", r->resource, r->subresource);
	if (r->subresource != NULL &&
	    seg(b, "subresource", r->subresource, e) < 0)
		return -1;
	if (b->failed)
		return err_set(e, "%s: URL too long or out of memory",
		    r->resource);
	return 0;
}

void
kube_url_query(struct kube_buf *b, const char *key, const char *value)
{
	if (value == NULL || *value == '\0')
		return;
	buf_add(b, b->p && strchr(b->p, '?') ? "&" : "?", 1);
	buf_escape(b, key, "-._~", true);
	buf_add(b, "=", 1);
	buf_escape(b, value, "-._~", true);
}

void
kube_url_query_uint(struct kube_buf *b, const char *key,
    unsigned long long value)
{
	char num[24];

	snprintf(num, sizeof(num), "%llu", value);
	kube_url_query(b, key, num);
}

void
kube_url_what(char *dst, size_t cap, const struct kube_resource *r)
{
	const char *res = r->resource ? r->resource : "";
	const char *ns = r->namespace ? r->namespace : "";

	if (r->name != NULL)
		snprintf(dst, cap, "%s%s%s \"%s%s%s\"", res,
		    r->subresource ? "/" : "",
		    r->subresource ? r->subresource : "", ns, *ns ? "/" : "",
		    r->name);
	else if (r->namespaced && *ns)
		snprintf(dst, cap, "%s in namespace \"%s\"", res, ns);
	else if (r->namespaced)
		snprintf(dst, cap, "%s in all namespaces", res);
	else
		snprintf(dst, cap, "%s", res);
}

static int
header_add(struct kube_headers *h, size_t *n, const char *name,
    const char *value, struct err *e)
{
	if (strpbrk(value, "\r\n") != NULL)
		return err_set(e, "%s header: value contains a line break",
		    name);
	if (asprintf(&h->lines[*n], "%s: %s", name, value) < 0) {
		h->lines[*n] = NULL;
		return err_set(e, "%s header: out of memory", name);
	}
	h->vec[*n] = h->lines[*n];
	(*n)++;
	return 0;
}

int
kube_headers_compose(struct kube_headers *h, const char *token,
    const char *user_agent, const char *content_type, struct err *e)
{
	char *bearer = NULL;
	size_t n = 0;

	memset(h, 0, sizeof(*h));
	if (header_add(h, &n, "Accept", "application/json", e) < 0 ||
	    header_add(h, &n, "User-Agent", user_agent, e) < 0)
		goto fail;
	if (token != NULL && *token != '\0') {
		if (asprintf(&bearer, "Bearer %s", token) < 0) {
			bearer = NULL;
			err_set(e, "Authorization header: out of memory");
			goto fail;
		}
		if (header_add(h, &n, "Authorization", bearer, e) < 0)
			goto fail;
	}
	if (content_type != NULL &&
	    header_add(h, &n, "Content-Type", content_type, e) < 0)
		goto fail;
	free(bearer);
	h->vec[n] = NULL;
	return 0;
fail:
	free(bearer);
	kube_headers_free(h);
	return -1;
}

void
kube_headers_free(struct kube_headers *h)
{
	size_t i;

	for (i = 0; i < KUBE_HEADERS_MAX; i++)
		free(h->lines[i]);
	memset(h, 0, sizeof(*h));
}
