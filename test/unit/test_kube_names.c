/*
 * Unit tests for kube_names (src/generator/kube_names.c): the name and
 * label rules a user meets when an artifact name, a label or an alias is
 * refused, at their length boundaries and character classes.
 */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "generator/kube_names.h"

/* A string of n copies of c (n < 512). */
static const char *
rep(char c, size_t n)
{
	static char buf[512];

	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

static void
test_dns_label(void **state)
{
	(void)state;
	assert_true(gen_is_dns_label("a", 63));
	assert_true(gen_is_dns_label("a-0", 63));
	assert_true(gen_is_dns_label(rep('a', 63), 63));
	assert_false(gen_is_dns_label(rep('a', 64), 63));
	assert_true(gen_is_dns_label(rep('a', 64), 253));
	assert_false(gen_is_dns_label("", 63));
	assert_false(gen_is_dns_label("-a", 63));
	assert_false(gen_is_dns_label("a-", 63));
	assert_false(gen_is_dns_label("A", 63));
	assert_false(gen_is_dns_label("a.b", 63));
	assert_false(gen_is_dns_label("a_b", 63));
}

static void
test_dns_subdomain(void **state)
{
	char name[300];

	(void)state;
	assert_true(gen_is_dns_subdomain("podinfo"));
	assert_true(gen_is_dns_subdomain("a.b-c.d"));
	assert_false(gen_is_dns_subdomain(""));
	assert_false(gen_is_dns_subdomain("a..b"));
	assert_false(gen_is_dns_subdomain(".a"));
	assert_false(gen_is_dns_subdomain("a."));
	assert_false(gen_is_dns_subdomain("Auth-prod"));	/* upper case */
	assert_false(gen_is_dns_subdomain("a_b"));
	memcpy(name, rep('a', 253), 254);
	assert_true(gen_is_dns_subdomain(name));
	memcpy(name, rep('a', 254), 255);
	assert_false(gen_is_dns_subdomain(name));
}

static void
test_label_value(void **state)
{
	(void)state;
	assert_true(gen_is_label_value(""));
	assert_true(gen_is_label_value("Prod_1.x"));
	assert_true(gen_is_label_value("Auth"));
	assert_true(gen_is_label_value(rep('z', 63)));
	assert_false(gen_is_label_value(rep('z', 64)));
	assert_false(gen_is_label_value("x-"));
	assert_false(gen_is_label_value("_x"));
	assert_false(gen_is_label_value("a b"));
	assert_false(gen_is_label_value("a/b"));
}

static void
test_label_key(void **state)
{
	char key[600];

	(void)state;
	assert_true(gen_is_label_key("app"));
	assert_true(gen_is_label_key("App_1"));
	assert_true(gen_is_label_key("example.com/App_1"));
	assert_true(gen_is_label_key("app.kubernetes.io/managed-by"));
	assert_false(gen_is_label_key(""));
	assert_false(gen_is_label_key("/app"));
	assert_false(gen_is_label_key("example.com/"));
	assert_false(gen_is_label_key("Example.com/app"));
	assert_false(gen_is_label_key("a/b/c"));
	assert_false(gen_is_label_key(rep('k', 64)));
	snprintf(key, sizeof(key), "%s/x", rep('p', 253));
	assert_true(gen_is_label_key(key));
	snprintf(key, sizeof(key), "%s/x", rep('p', 254));
	assert_false(gen_is_label_key(key));
}

static void
test_alias(void **state)
{
	(void)state;
	assert_true(gen_is_alias("a_b-1"));
	assert_true(gen_is_alias(rep('a', 63)));
	assert_false(gen_is_alias(rep('a', 64)));
	assert_false(gen_is_alias(""));
	assert_false(gen_is_alias("_a"));
	assert_false(gen_is_alias("a_"));
	assert_false(gen_is_alias("A"));
	assert_false(gen_is_alias("a.b"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dns_label),
		cmocka_unit_test(test_dns_subdomain),
		cmocka_unit_test(test_label_value),
		cmocka_unit_test(test_label_key),
		cmocka_unit_test(test_alias),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
