/*
 * http_url: bounded parsing of absolute http(s) URLs (see http_url.h).
 */
#include "net/http_url.h"

#include <string.h>
#include <strings.h>

static int
http_url_port(struct http_url *u, const char *p, const char *end,
    const char *url, struct err *e)
{
	long port = 0;

	if (p == end)
		return err_set(e, "URL %s: empty port", url);
	for (; p < end; p++) {
		if (*p < '0' || *p > '9')
			return err_set(e, "URL %s: invalid port", url);
		port = port * 10 + (*p - '0');
		if (port > 65535)
			return err_set(e, "URL %s: port out of range", url);
	}
	if (port == 0)
		return err_set(e, "URL %s: port out of range", url);
	u->default_port = port == (u->tls ? 443 : 80);
	u->port = (int)port;
	return 0;
}

static int
http_url_host(struct http_url *u, const char *p, const char *end,
    const char *url, struct err *e)
{
	const char *hend, *colon;
	size_t len;

	if (*p == '[') {
		if ((hend = memchr(p, ']', (size_t)(end - p))) == NULL)
			return err_set(e, "URL %s: unterminated '['", url);
		p++;
		colon = hend + 1 < end ? hend + 1 : NULL;
		if (colon != NULL && *colon != ':')
			return err_set(e, "URL %s: junk after ']'", url);
		u->ipv6 = 1;
	} else {
		colon = memchr(p, ':', (size_t)(end - p));
		hend = colon != NULL ? colon : end;
	}
	len = (size_t)(hend - p);
	if (len == 0)
		return err_set(e, "URL %s: empty host", url);
	if (len >= sizeof(u->host))
		return err_set(e, "URL %s: host name too long", url);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c <= ' ' || c >= 0x7f || strchr("\"<>\\^`{|}%", c))
			return err_set(e, "URL %s: invalid character in host",
			    url);
	}
	memcpy(u->host, p, len);
	u->host[len] = '\0';
	u->port = u->tls ? 443 : 80;
	u->default_port = 1;
	if (colon != NULL)
		return http_url_port(u, colon + 1, end, url, e);
	return 0;
}

int
http_url_parse(struct http_url *u, const char *url, struct err *e)
{
	size_t len = strnlen(url, HTTP_URL_MAX + 1);
	const char *p, *auth_end, *frag;

	memset(u, 0, sizeof(*u));
	if (len > HTTP_URL_MAX)
		return err_set(e, "URL too long (over %d bytes)", HTTP_URL_MAX);
	if (strncasecmp(url, "http://", 7) == 0) {
		p = url + 7;
	} else if (strncasecmp(url, "https://", 8) == 0) {
		p = url + 8;
		u->tls = 1;
	} else {
		return err_set(e, "URL %s: scheme must be http or https", url);
	}
	auth_end = p + strcspn(p, "/?#");
	if (memchr(p, '@', (size_t)(auth_end - p)) != NULL)
		return err_set(e, "URL %s: credentials in URLs are not "
		    "supported", url);
	if (http_url_host(u, p, auth_end, url, e) != 0)
		return -1;
	for (p = auth_end; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return err_set(e, "URL %s: invalid character in path",
			    url);
	frag = strchr(auth_end, '#');
	u->target = auth_end;
	u->target_len = (size_t)((frag != NULL ? frag : url + len) - auth_end);
	return 0;
}
