/*
 * kube_names: the Kubernetes name and label predicates (see kube_names.h).
 * ASCII only, no locale: the API server's rules are byte rules.
 */
#include "generator/kube_names.h"

#include <string.h>

static bool
is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool
is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

bool
gen_is_dns_label(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max || !is_lower_alnum(s[0]) ||
	    !is_lower_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

bool
gen_is_dns_subdomain(const char *s)
{
	size_t n = strlen(s), start = 0;

	if (n == 0 || n > GEN_MAX_NAME_LEN)
		return false;
	for (size_t i = 0; i <= n; i++) {
		char label[GEN_MAX_NAME_LEN + 1];

		if (i < n && s[i] != '.')
			continue;
		memcpy(label, s + start, i - start);
		label[i - start] = '\0';
		if (!gen_is_dns_label(label, GEN_MAX_NAME_LEN))
			return false;
		start = i + 1;
	}
	return true;
}

bool
gen_is_alias(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > GEN_MAX_LABEL_LEN || !is_lower_alnum(s[0]) ||
	    !is_lower_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-' && s[i] != '_')
			return false;
	return true;
}

bool
gen_is_label_value(const char *s)
{
	size_t n = strlen(s);

	if (n == 0)
		return true;
	if (n > GEN_MAX_LABEL_LEN || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && !strchr("-_.", s[i]))
			return false;
	return true;
}

bool
gen_is_label_key(const char *s)
{
	const char *slash = strchr(s, '/');
	char prefix[GEN_MAX_NAME_LEN + 1];
	size_t plen;

	if (slash == NULL)
		return *s != '\0' && gen_is_label_value(s);
	plen = (size_t)(slash - s);
	if (plen == 0 || plen > GEN_MAX_NAME_LEN)
		return false;
	memcpy(prefix, s, plen);
	prefix[plen] = '\0';
	return gen_is_dns_subdomain(prefix) && slash[1] != '\0' &&
	    gen_is_label_value(slash + 1);
}
