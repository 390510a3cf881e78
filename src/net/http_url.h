/*
 * http_url: splits an http:// or https:// URL into scheme, host, port and
 * request target, with bounds. Pure; the result points into the caller's
 * struct (fixed-size fields), nothing to free.
 */
#ifndef AG_NET_HTTP_URL_H
#define AG_NET_HTTP_URL_H

#include "base/err.h"

#define HTTP_URL_MAX 8192
#define HTTP_HOST_MAX 256

struct http_url {
	int tls;                    /* https */
	char host[HTTP_HOST_MAX];   /* without IPv6 brackets */
	int port;
	int default_port;           /* port was omitted or is the scheme's */
	int ipv6;                   /* host was a bracketed literal */
	const char *target;         /* path and query, in the parsed string */
	size_t target_len;          /* fragment excluded */
};

/* Parses url; target points into url (which must outlive u). */
int http_url_parse(struct http_url *u, const char *url, struct err *e);

#endif
