/*
 * Unit tests for src/kube/kubeconfig.c: every kubeconfig field a user sets
 * reaches struct kube_config (decoded, paths resolved against the file's
 * directory), every malformed field fails with a message naming the file and
 * the field, in-cluster config reads the service account directory, the
 * resolution order is --kubeconfig, $KUBECONFIG, in-cluster, ~/.kube/config,
 * and token files are read trimmed and bounded.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kubeconfig.h"

/* "hello-ca\n" and "CERT\n" / "KEY\n" in base64. */
#define CA_B64 "aGVsbG8tY2EK"
#define CERT_B64 "Q0VSVAo="
#define KEY_B64 "S0VZCg=="

static const char two_contexts[] =
	"apiVersion: v1\n"
	"kind: Config\n"
	"clusters:\n"
	"- name: a\n"
	"  cluster:\n"
	"    server: https://127.0.0.1:6443/\n"
	"    certificate-authority-data: " CA_B64 "\n"
	"- name: b\n"
	"  cluster:\n"
	"    server: https://kube.example:8443/prefix\n"
	"    insecure-skip-tls-verify: true\n"
	"    tls-server-name: kubernetes\n"
	"- name: d\n"
	"  cluster:\n"
	"    server: http://127.0.0.1:8080\n"
	"    certificate-authority: pki/ca.crt\n"
	"users:\n"
	"- name: tok\n"
	"  user:\n"
	"    token: abc123\n"
	"- name: cert\n"
	"  user:\n"
	"    client-certificate: pki/client.crt\n"
	"    client-key: /abs/client.key\n"
	"    tokenFile: tok.txt\n"
	"- name: certdata\n"
	"  user:\n"
	"    client-certificate-data: " CERT_B64 "\n"
	"    client-key-data: " KEY_B64 "\n"
	"contexts:\n"
	"- name: one\n"
	"  context: {cluster: a, user: tok, namespace: flux-system}\n"
	"- name: two\n"
	"  context: {cluster: b, user: cert}\n"
	"- name: three\n"
	"  context: {cluster: a, user: certdata}\n"
	"- name: four\n"
	"  context: {cluster: d}\n"
	"current-context: one\n";

static void
load_ok(struct kube_config *c, const char *text, const char *context)
{
	struct err e = { .msg = "" };

	if (kube_config_load_buf(c, "/etc/kc/config", text, strlen(text),
	    context, &e) < 0)
		fail_msg("unexpected error: %s", e.msg);
}

static void
test_current_context_token_and_ca_data(void **state)
{
	struct kube_config c;

	(void)state;
	load_ok(&c, two_contexts, NULL);
	assert_string_equal(c.server, "https://127.0.0.1:6443");
	assert_int_equal(c.ca_pem_len, 9);
	assert_string_equal(c.ca_pem, "hello-ca\n");
	assert_null(c.ca_file);
	assert_string_equal(c.token, "abc123");
	assert_null(c.token_file);
	assert_null(c.cert_file);
	assert_null(c.cert_pem);
	assert_false(c.insecure);
	assert_null(c.tls_server_name);
	assert_string_equal(c.namespace, "flux-system");
	assert_string_equal(c.origin, "kubeconfig /etc/kc/config context one");
	kube_config_free(&c);
	assert_null(c.server);
}

static void
test_named_context_files_relative_to_kubeconfig(void **state)
{
	struct kube_config c;

	(void)state;
	load_ok(&c, two_contexts, "two");
	assert_string_equal(c.server, "https://kube.example:8443/prefix");
	assert_null(c.ca_file);
	assert_null(c.ca_pem);
	assert_true(c.insecure);
	assert_string_equal(c.tls_server_name, "kubernetes");
	assert_string_equal(c.cert_file, "/etc/kc/pki/client.crt");
	assert_string_equal(c.key_file, "/abs/client.key");
	assert_string_equal(c.token_file, "/etc/kc/tok.txt");
	assert_null(c.token);
	assert_string_equal(c.namespace, "default");
	kube_config_free(&c);
	/* A CA file relative to the kubeconfig; a context without a user. */
	load_ok(&c, two_contexts, "four");
	assert_string_equal(c.server, "http://127.0.0.1:8080");
	assert_string_equal(c.ca_file, "/etc/kc/pki/ca.crt");
	assert_false(c.insecure);
	assert_null(c.token);
	assert_null(c.cert_file);
	kube_config_free(&c);
}

static void
test_client_cert_and_key_data(void **state)
{
	struct kube_config c, d;
	struct err e;

	(void)state;
	load_ok(&c, two_contexts, "three");
	assert_string_equal(c.cert_pem, "CERT\n");
	assert_int_equal(c.cert_pem_len, 5);
	assert_string_equal(c.key_pem, "KEY\n");
	assert_int_equal(c.key_pem_len, 4);
	assert_null(c.token);
	/* A deep copy owns its own strings. */
	assert_int_equal(kube_config_copy(&d, &c, &e), 0);
	kube_config_free(&c);
	assert_string_equal(d.cert_pem, "CERT\n");
	assert_int_equal(d.key_pem_len, 4);
	assert_string_equal(d.server, "https://127.0.0.1:6443");
	assert_string_equal(d.origin, "kubeconfig /etc/kc/config context three");
	kube_config_free(&d);
}

/* Base document with one hole for the cluster body and one for the user. */
static char *
doc(const char *cluster, const char *user)
{
	char *s;

	if (asprintf(&s,
	    "clusters:\n- name: c\n  cluster:\n%s"
	    "users:\n- name: u\n  user:\n%s"
	    "contexts:\n- name: x\n  context: {cluster: c, user: u}\n"
	    "current-context: x\n", cluster, user) < 0)
		fail_msg("asprintf");
	return s;
}

struct bad_case {
	const char *cluster;
	const char *user;
	const char *msg;
};

#define SRV "    server: https://h:1\n"

static const struct bad_case bad_cases[] = {
	{ SRV, "    client-certificate-data: '%%%'\n    client-key-data: " KEY_B64 "\n",
	  "kubeconfig /x: users[0].user.client-certificate-data: invalid base64" },
	{ SRV, "    client-certificate-data: " CERT_B64 "\n    client-key-data: 'a b!'\n",
	  "kubeconfig /x: users[0].user.client-key-data: invalid base64" },
	{ SRV "    certificate-authority-data: 'no*'\n", "    token: t\n",
	  "kubeconfig /x: clusters[0].cluster.certificate-authority-data: invalid base64" },
	{ SRV "    certificate-authority-data: " CA_B64 "\n    certificate-authority: /ca\n",
	  "    token: t\n",
	  "kubeconfig /x: clusters[0].cluster.certificate-authority-data: both "
	  "certificate-authority and it are set" },
	{ SRV "    insecure-skip-tls-verify: true\n    certificate-authority: /ca\n",
	  "    token: t\n",
	  "kubeconfig /x: clusters[0].cluster.insecure-skip-tls-verify: cannot "
	  "be combined with a certificate-authority" },
	{ "    insecure-skip-tls-verify: yes please\n" SRV, "    token: t\n",
	  "kubeconfig /x: clusters[0].cluster.insecure-skip-tls-verify: not a boolean" },
	{ "    certificate-authority: /ca\n", "    token: t\n",
	  "kubeconfig /x: clusters[0].cluster.server: not set" },
	{ "    server: ftp://h\n", "    token: t\n",
	  "kubeconfig /x: clusters[0].cluster.server: \"ftp://h\" is not an http(s) URL" },
	{ "    server: [a]\n", "    token: t\n",
	  "kubeconfig /x: clusters[0].cluster.server: not a string" },
	{ SRV "    proxy-url: http://p:3128\n", "    token: t\n",
	  "kubeconfig /x: clusters[0].cluster.proxy-url: proxies are not supported" },
	{ SRV, "    token: 12\n",
	  "kubeconfig /x: users[0].user.token: not a string" },
	{ SRV, "    tokenFile: {a: 1}\n",
	  "kubeconfig /x: users[0].user.tokenFile: not a string" },
	{ SRV, "    client-certificate: /c.crt\n",
	  "kubeconfig /x: users[0].user.client-key: not set (a client "
	  "certificate needs both certificate and key)" },
	{ SRV, "    client-key-data: " KEY_B64 "\n",
	  "kubeconfig /x: users[0].user.client-certificate: not set (a client "
	  "certificate needs both certificate and key)" },
	{ SRV, "    exec:\n      command: aws\n",
	  "kubeconfig /x: users[0].user.exec: not supported (use a token, a "
	  "token file or a client certificate)" },
	{ SRV, "    username: admin\n    password: secret\n",
	  "kubeconfig /x: users[0].user.username: not supported (use a token, "
	  "a token file or a client certificate)" },
	{ SRV, "    auth-provider: {name: gcp}\n",
	  "kubeconfig /x: users[0].user.auth-provider: not supported (use a "
	  "token, a token file or a client certificate)" },
};

static void
test_malformed_fields_are_named(void **state)
{
	struct kube_config c;
	struct err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		char *text = doc(bad_cases[i].cluster, bad_cases[i].user);

		memset(&e, 0, sizeof(e));
		assert_int_equal(kube_config_load_buf(&c, "/x", text,
		    strlen(text), NULL, &e), -1);
		assert_string_equal(e.msg, bad_cases[i].msg);
		assert_null(c.server);	/* nothing half-filled survives */
		free(text);
	}
}

static void
expect_error(const char *text, const char *context, const char *msg)
{
	struct kube_config c;
	struct err e = { .msg = "" };

	assert_int_equal(kube_config_load_buf(&c, "/x", text, strlen(text),
	    context, &e), -1);
	assert_string_equal(e.msg, msg);
}

static void
test_context_resolution_errors(void **state)
{
	(void)state;
	expect_error("clusters: []\n", NULL,
	    "kubeconfig /x: current-context: not set (name a context with "
	    "--kube-context)");
	expect_error(two_contexts, "nope",
	    "kubeconfig /x: --kube-context: no context named \"nope\" in "
	    "contexts");
	expect_error("current-context: c\ncontexts:\n- name: c\n  context: "
	    "{cluster: gone}\n", NULL,
	    "kubeconfig /x: contexts[0].context.cluster: no cluster named "
	    "\"gone\" in clusters");
	expect_error("current-context: c\ncontexts:\n- name: c\n  context: "
	    "{cluster: k, user: who}\nclusters:\n- name: k\n  cluster: "
	    "{server: 'https://h'}\n", NULL,
	    "kubeconfig /x: contexts[0].context.user: no user named \"who\" "
	    "in users");
	expect_error("current-context: c\ncontexts:\n- name: c\n  context: "
	    "{user: u}\n", NULL,
	    "kubeconfig /x: contexts[0].context.cluster: not set");
	expect_error("current-context: c\ncontexts: 7\n", NULL,
	    "kubeconfig /x: contexts: not a list");
	expect_error("current-context: c\ncontexts:\n- name: c\n  context: "
	    "[1]\n", NULL, "kubeconfig /x: contexts[0].context: not a mapping");
	expect_error("- just\n- a list\n", NULL,
	    "kubeconfig /x: not a single YAML mapping");
}

static void
test_yaml_syntax_error_names_file(void **state)
{
	struct kube_config c;
	struct err e = { .msg = "" };
	const char *text = "clusters: [\n";

	(void)state;
	assert_int_equal(kube_config_load_buf(&c, "/x", text, strlen(text),
	    NULL, &e), -1);
	assert_true(strncmp(e.msg, "kubeconfig /x: ", 15) == 0);
	assert_non_null(strstr(e.msg, "line"));
}

static void
test_load_file_missing_and_oversized(void **state)
{
	struct kube_config c;
	struct err e = { .msg = "" };
	char *dir = tu_mkdtemp(), *p = tu_path(dir, "nope"), *big;

	(void)state;
	assert_int_equal(kube_config_load_file(&c, p, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "kubeconfig"));
	assert_non_null(strstr(e.msg, p));
	assert_non_null(strstr(e.msg, "No such file"));
	free(p);
	big = calloc(1, KUBECONFIG_MAX_BYTES + 10);
	memset(big, '#', KUBECONFIG_MAX_BYTES + 9);
	tu_write(dir, "big", big, KUBECONFIG_MAX_BYTES + 9);
	free(big);
	p = tu_path(dir, "big");
	assert_int_equal(kube_config_load_file(&c, p, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "larger than 4194304 bytes"));
	free(p);
	tu_write_str(dir, "ok", two_contexts);
	p = tu_path(dir, "ok");
	assert_int_equal(kube_config_load_file(&c, p, "two", &e), 0);
	/* Relative names resolve against the real file's directory. */
	assert_true(strncmp(c.cert_file, dir, strlen(dir)) == 0);
	assert_string_equal(c.cert_file + strlen(dir), "/pki/client.crt");
	kube_config_free(&c);
	free(p);
	tu_rmtree(dir);
}

static void
write_sa(const char *root, int with_ns)
{
	tu_write_str(root, "token", "  eyJtoken.part\n");
	tu_write_str(root, "ca.crt", "-----BEGIN CERTIFICATE-----\n");
	if (with_ns)
		tu_write_str(root, "namespace", "flux-system");
}

static void
test_in_cluster(void **state)
{
	struct kube_config c;
	struct err e = { .msg = "" };
	char *root = tu_mkdtemp(), *p;

	(void)state;
	write_sa(root, 1);
	assert_int_equal(kube_config_in_cluster(&c, "10.96.0.1", "443", root,
	    &e), 0);
	assert_string_equal(c.server, "https://10.96.0.1:443");
	p = tu_path(root, "token");
	assert_string_equal(c.token_file, p);
	free(p);
	p = tu_path(root, "ca.crt");
	assert_string_equal(c.ca_file, p);
	free(p);
	assert_null(c.token);
	assert_string_equal(c.namespace, "flux-system");
	assert_string_equal(c.origin, "in-cluster config");
	kube_config_free(&c);

	/* IPv6 service address; namespace file optional. */
	p = tu_path(root, "namespace");
	remove(p);
	free(p);
	assert_int_equal(kube_config_in_cluster(&c, "fd00::1", "6443", root,
	    &e), 0);
	assert_string_equal(c.server, "https://[fd00::1]:6443");
	assert_string_equal(c.namespace, "default");
	kube_config_free(&c);

	assert_int_equal(kube_config_in_cluster(&c, "h", "44x", root, &e), -1);
	assert_string_equal(e.msg, "in-cluster config: KUBERNETES_SERVICE_PORT "
	    "\"44x\" is not a port");
	assert_int_equal(kube_config_in_cluster(&c, "h", NULL, root, &e), -1);
	assert_string_equal(e.msg, "in-cluster config: KUBERNETES_SERVICE_HOST "
	    "and KUBERNETES_SERVICE_PORT must be set");
	p = tu_path(root, "token");
	remove(p);
	assert_int_equal(kube_config_in_cluster(&c, "h", "1", root, &e), -1);
	assert_true(strncmp(e.msg, "in-cluster config: ", 19) == 0);
	assert_non_null(strstr(e.msg, p));
	assert_null(c.server);
	free(p);
	tu_rmtree(root);
}

static void
test_resolve_order(void **state)
{
	struct kube_config c;
	struct err e = { .msg = "" };
	char *dir = tu_mkdtemp(), *sa = tu_mkdtemp();
	char *flag, *kenv, *home_env, *kc_env;

	(void)state;
	write_sa(sa, 1);
	tu_write_str(dir, "flag.yaml", two_contexts);
	tu_write_str(dir, "env.yaml", two_contexts);
	tu_write_str(dir, "home/.kube/config", two_contexts);
	flag = tu_path(dir, "flag.yaml");
	kenv = tu_path(dir, "env.yaml");
	if (asprintf(&kc_env, "KUBECONFIG=:%s:/other", kenv) < 0 ||
	    asprintf(&home_env, "HOME=%s/home", dir) < 0)
		fail_msg("asprintf");
	{
		char *all[] = { kc_env, "KUBERNETES_SERVICE_HOST=10.0.0.1",
		    "KUBERNETES_SERVICE_PORT=443", home_env, NULL };
		char *cluster[] = { "KUBERNETES_SERVICE_HOST=10.0.0.1",
		    "KUBERNETES_SERVICE_PORT=443", home_env, NULL };
		char *home[] = { home_env, NULL };
		char *none[] = { "HOME=/nonexistent-home", NULL };

		assert_int_equal(kube_config_resolve(&c, flag, "two", all, sa,
		    &e), 0);
		assert_non_null(strstr(c.origin, "flag.yaml context two"));
		kube_config_free(&c);
		assert_int_equal(kube_config_resolve(&c, "", NULL, all, sa,
		    &e), 0);
		assert_non_null(strstr(c.origin, "env.yaml context one"));
		kube_config_free(&c);
		assert_int_equal(kube_config_resolve(&c, NULL, NULL, cluster,
		    sa, &e), 0);
		assert_string_equal(c.origin, "in-cluster config");
		kube_config_free(&c);
		assert_int_equal(kube_config_resolve(&c, NULL, NULL, home, sa,
		    &e), 0);
		assert_non_null(strstr(c.origin, "/home/.kube/config context "
		    "one"));
		kube_config_free(&c);
		assert_int_equal(kube_config_resolve(&c, NULL, NULL, none, sa,
		    &e), -1);
		assert_string_equal(e.msg, "no API server config: no "
		    "--kubeconfig, KUBECONFIG, in-cluster environment or "
		    "/nonexistent-home/.kube/config");
		assert_int_equal(kube_config_resolve(&c, NULL, NULL, NULL, sa,
		    &e), -1);
		assert_string_equal(e.msg, "no API server config: no "
		    "--kubeconfig, KUBECONFIG, in-cluster environment or HOME");
	}
	free(flag);
	free(kenv);
	free(kc_env);
	free(home_env);
	tu_rmtree(dir);
	tu_rmtree(sa);
}

static void
test_token_read(void **state)
{
	struct err e = { .msg = "" };
	char *dir = tu_mkdtemp(), *p, *tok = NULL, *big;

	(void)state;
	tu_write_str(dir, "t", "\n\t tok-en.value \r\n");
	p = tu_path(dir, "t");
	assert_int_equal(kube_token_read(p, &tok, &e), 0);
	assert_string_equal(tok, "tok-en.value");
	free(tok);
	tu_write_str(dir, "t", " \n");
	assert_int_equal(kube_token_read(p, &tok, &e), -1);
	assert_non_null(strstr(e.msg, ": empty"));
	tu_write(dir, "t", "a\0b", 3);
	assert_int_equal(kube_token_read(p, &tok, &e), -1);
	assert_non_null(strstr(e.msg, "contains a NUL byte"));
	big = malloc(KUBE_TOKEN_MAX_BYTES + 1);
	memset(big, 'x', KUBE_TOKEN_MAX_BYTES + 1);
	tu_write(dir, "t", big, KUBE_TOKEN_MAX_BYTES + 1);
	free(big);
	assert_int_equal(kube_token_read(p, &tok, &e), -1);
	assert_non_null(strstr(e.msg, "larger than 65536 bytes"));
	free(p);
	tu_rmtree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_current_context_token_and_ca_data),
		cmocka_unit_test(test_named_context_files_relative_to_kubeconfig),
		cmocka_unit_test(test_client_cert_and_key_data),
		cmocka_unit_test(test_malformed_fields_are_named),
		cmocka_unit_test(test_context_resolution_errors),
		cmocka_unit_test(test_yaml_syntax_error_names_file),
		cmocka_unit_test(test_load_file_missing_and_oversized),
		cmocka_unit_test(test_in_cluster),
		cmocka_unit_test(test_resolve_order),
		cmocka_unit_test(test_token_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
