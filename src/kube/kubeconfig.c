/*
 * kubeconfig: kubeconfig files, in-cluster config and token files (see
 * kubeconfig.h); also kube_config_free/copy declared in client.h.
 */
#include "kube/kubeconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/base64.h>

#include "base/yaml_json.h"

#define FIELD_MAX 160

void
kube_config_free(struct kube_config *c)
{
	if (c == NULL)
		return;
	free(c->server);
	free(c->tls_server_name);
	free(c->ca_file);
	free(c->ca_pem);
	free(c->cert_file);
	free(c->cert_pem);
	free(c->key_file);
	free(c->key_pem);
	free(c->token);
	free(c->token_file);
	free(c->namespace);
	free(c->origin);
	memset(c, 0, sizeof(*c));
}

/* strdup of NULL is NULL; *ok cleared on allocation failure. */
static char *
dup_or_null(const char *s, size_t len, int *ok)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = malloc(len + 1);
	if (d == NULL) {
		*ok = 0;
		return NULL;
	}
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

#define DUP(f) dst->f = dup_or_null(src->f, src->f ? strlen(src->f) : 0, &ok)

int
kube_config_copy(struct kube_config *dst, const struct kube_config *src,
    struct err *e)
{
	int ok = 1;

	memset(dst, 0, sizeof(*dst));
	DUP(server);
	DUP(tls_server_name);
	DUP(ca_file);
	dst->ca_pem = dup_or_null(src->ca_pem, src->ca_pem_len, &ok);
	dst->ca_pem_len = src->ca_pem_len;
	DUP(cert_file);
	dst->cert_pem = dup_or_null(src->cert_pem, src->cert_pem_len, &ok);
	dst->cert_pem_len = src->cert_pem_len;
	DUP(key_file);
	dst->key_pem = dup_or_null(src->key_pem, src->key_pem_len, &ok);
	dst->key_pem_len = src->key_pem_len;
	DUP(token);
	DUP(token_file);
	dst->insecure = src->insecure;
	DUP(namespace);
	DUP(origin);
	if (!ok) {
		kube_config_free(dst);
		return err_set(e, "copying the API server config: out of memory");
	}
	return 0;
}

#undef DUP

/* Reads at most max bytes of path into a malloc'd NUL-terminated buffer. */
static int
read_bounded(const char *path, size_t max, char **out, size_t *outlen,
    struct err *e)
{
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(e, errno, "%s", path);
	buf = malloc(max + 2);
	if (buf == NULL) {
		close(fd);
		return err_set(e, "%s: out of memory", path);
	}
	while (len <= max) {
		n = read(fd, buf + len, max + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_sys(e, errno, "%s", path);
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		err_set(e, "%s: larger than %zu bytes", path, max);
		goto fail;
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
fail:
	close(fd);
	free(buf);
	return -1;
}

int
kube_token_read(const char *path, char **out, struct err *e)
{
	char *buf, *s, *end;
	size_t len;

	if (read_bounded(path, KUBE_TOKEN_MAX_BYTES, &buf, &len, e) < 0)
		return -1;
	if (strlen(buf) != len) {
		free(buf);
		return err_set(e, "%s: contains a NUL byte", path);
	}
	s = buf + strspn(buf, " \t\r\n");
	end = s + strlen(s);
	while (end > s && strchr(" \t\r\n", end[-1]) != NULL)
		end--;
	*end = '\0';
	if (*s == '\0') {
		free(buf);
		return err_set(e, "%s: empty", path);
	}
	memmove(buf, s, (size_t)(end - s) + 1);
	*out = buf;
	return 0;
}

/* ---- kubeconfig documents ---- */

/* State of one load: the file (for messages) and its directory. */
struct kc {
	const char *path;
	char dir[4096];
	struct err *e;
};

/* field = base + "." + key (or key alone for an empty base), truncated. */
static void
kc_field(char *field, const char *base, const char *key)
{
	size_t n = strlen(base);

	if (n >= FIELD_MAX - 1)
		n = FIELD_MAX - 2;
	memcpy(field, base, n);
	if (n > 0)
		field[n++] = '.';
	field[n] = '\0';
	strncat(field, key, FIELD_MAX - 1 - n);
}

static int
kc_fail(struct kc *k, const char *field, const char *fmt, const char *arg)
{
	char msg[256];

	snprintf(msg, sizeof(msg), fmt, arg ? arg : "");
	return err_set(k->e, "kubeconfig %s: %s%s%s", k->path, field,
	    field[0] ? ": " : "", msg);
}

/* Optional string member key of obj: *out NULL when absent or null. */
static int
kc_string(struct kc *k, const json_t *obj, const char *base, const char *key,
    const char **out)
{
	const json_t *v = json_object_get(obj, key);
	char field[FIELD_MAX];

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	kc_field(field, base, key);
	if (!json_is_string(v))
		return kc_fail(k, field, "not a string", NULL);
	*out = json_string_value(v);
	if (strlen(*out) != json_string_length(v))
		return kc_fail(k, field, "contains a NUL byte", NULL);
	if (**out == '\0')
		*out = NULL;
	return 0;
}

/* The item of list key whose name is name; *field gets "key[i].<sub>". */
static int
kc_find(struct kc *k, const json_t *root, const char *key, const char *sub,
    const char *name, const char *from, const json_t **out, char *field,
    size_t cap)
{
	const json_t *list = json_object_get(root, key), *item;
	size_t i;

	if (list != NULL && !json_is_null(list) && !json_is_array(list))
		return kc_fail(k, key, "not a list", NULL);
	json_array_foreach(list, i, item) {
		const json_t *n = json_object_get(item, "name");

		if (!json_is_string(n) || strcmp(json_string_value(n), name))
			continue;
		snprintf(field, cap, "%s[%zu].%s", key, i, sub);
		*out = json_object_get(item, sub);
		if (*out == NULL || json_is_null(*out))
			*out = json_null();
		else if (!json_is_object(*out))
			return kc_fail(k, field, "not a mapping", NULL);
		return 0;
	}
	return err_set(k->e, "kubeconfig %s: %s: no %s named \"%s\" in %s",
	    k->path, from, sub, name, key);
}

/* A file name from the kubeconfig, relative to its directory. */
static char *
kc_path(struct kc *k, const char *p)
{
	char *out;

	if (p[0] == '/' || k->dir[0] == '\0')
		return strdup(p);
	if (asprintf(&out, "%s/%s", k->dir, p) < 0)
		return NULL;
	return out;
}

/* Decodes base64 text into a malloc'd NUL-terminated buffer. */
static int
kc_base64(struct kc *k, const char *field, const char *text, char **out,
    size_t *outlen)
{
	const unsigned char *src = (const unsigned char *)text;
	size_t slen = strlen(text), need = 0;
	unsigned char *buf;
	int rc;

	rc = mbedtls_base64_decode(NULL, 0, &need, src, slen);
	if (rc == MBEDTLS_ERR_BASE64_INVALID_CHARACTER)
		return kc_fail(k, field, "invalid base64", NULL);
	buf = malloc(need + 1);
	if (buf == NULL)
		return kc_fail(k, field, "out of memory", NULL);
	rc = mbedtls_base64_decode(buf, need + 1, outlen, src, slen);
	if (rc != 0 || *outlen == 0) {
		free(buf);
		return kc_fail(k, field, rc ? "invalid base64" : "empty",
		    NULL);
	}
	buf[*outlen] = '\0';
	*out = (char *)buf;
	return 0;
}

/*
 * One of "<name>" (a file) or "<name>-data" (base64) of obj into *file or
 * *pem; both given is an error, as in client-go's validation.
 */
static int
kc_file_or_data(struct kc *k, const json_t *obj, const char *base,
    const char *name, char **file, char **pem, size_t *pem_len)
{
	char dkey[64], field[FIELD_MAX];
	const char *f, *d;

	snprintf(dkey, sizeof(dkey), "%s-data", name);
	if (kc_string(k, obj, base, name, &f) < 0 ||
	    kc_string(k, obj, base, dkey, &d) < 0)
		return -1;
	kc_field(field, base, dkey);
	if (f != NULL && d != NULL)
		return kc_fail(k, field, "both %s and it are set", name);
	if (d != NULL)
		return kc_base64(k, field, d, pem, pem_len);
	if (f != NULL && (*file = kc_path(k, f)) == NULL)
		return kc_fail(k, field, "out of memory", NULL);
	return 0;
}

static int
kc_cluster(struct kc *k, const json_t *cl, const char *base,
    struct kube_config *out)
{
	char field[FIELD_MAX];
	const json_t *ins;
	const char *server, *sni;
	size_t n;

	if (kc_string(k, cl, base, "server", &server) < 0)
		return -1;
	kc_field(field, base, "server");
	if (server == NULL)
		return kc_fail(k, field, "not set", NULL);
	if (strncmp(server, "https://", 8) && strncmp(server, "http://", 7))
		return kc_fail(k, field, "\"%s\" is not an http(s) URL",
		    server);
	n = strlen(server);
	while (n > 8 && server[n - 1] == '/')
		n--;
	if ((out->server = strndup(server, n)) == NULL)
		return kc_fail(k, field, "out of memory", NULL);
	if (kc_string(k, cl, base, "tls-server-name", &sni) < 0)
		return -1;
	if (sni != NULL && (out->tls_server_name = strdup(sni)) == NULL)
		return kc_fail(k, base, "out of memory", NULL);
	ins = json_object_get(cl, "insecure-skip-tls-verify");
	kc_field(field, base, "insecure-skip-tls-verify");
	if (ins != NULL && !json_is_null(ins) && !json_is_boolean(ins))
		return kc_fail(k, field, "not a boolean", NULL);
	out->insecure = json_is_true(ins);
	if (json_object_get(cl, "proxy-url") != NULL) {
		kc_field(field, base, "proxy-url");
		return kc_fail(k, field, "proxies are not supported", NULL);
	}
	if (kc_file_or_data(k, cl, base, "certificate-authority",
	    &out->ca_file, &out->ca_pem, &out->ca_pem_len) < 0)
		return -1;
	/* As client-go: skipping verification and trusting a CA conflict. */
	kc_field(field, base, "insecure-skip-tls-verify");
	if (out->insecure && (out->ca_file || out->ca_pem))
		return kc_fail(k, field, "cannot be combined with a "
		    "certificate-authority", NULL);
	return 0;
}

/* User fields naming authentication this client cannot do. */
static const char *const kc_unsupported_user[] = {
	"exec", "auth-provider", "username", "password", "as", "as-groups",
	NULL,
};

static int
kc_user(struct kc *k, const json_t *u, const char *base,
    struct kube_config *out)
{
	char field[FIELD_MAX];
	const char *tok, *tokfile;
	size_t i;

	for (i = 0; kc_unsupported_user[i] != NULL; i++) {
		const json_t *v = json_object_get(u, kc_unsupported_user[i]);

		if (v == NULL || json_is_null(v))
			continue;
		kc_field(field, base, kc_unsupported_user[i]);
		return kc_fail(k, field, "not supported (use a token, a "
		    "token file or a client certificate)", NULL);
	}
	if (kc_file_or_data(k, u, base, "client-certificate", &out->cert_file,
	    &out->cert_pem, &out->cert_pem_len) < 0 ||
	    kc_file_or_data(k, u, base, "client-key", &out->key_file,
	    &out->key_pem, &out->key_pem_len) < 0)
		return -1;
	if ((out->cert_file || out->cert_pem) != (out->key_file ||
	    out->key_pem)) {
		kc_field(field, base, out->cert_file || out->cert_pem ?
		    "client-key" : "client-certificate");
		return kc_fail(k, field, "not set (a client certificate "
		    "needs both certificate and key)", NULL);
	}
	if (kc_string(k, u, base, "token", &tok) < 0 ||
	    kc_string(k, u, base, "tokenFile", &tokfile) < 0)
		return -1;
	if (tok != NULL && (out->token = strdup(tok)) == NULL)
		return kc_fail(k, base, "out of memory", NULL);
	if (tokfile != NULL && (out->token_file = kc_path(k, tokfile)) == NULL)
		return kc_fail(k, base, "out of memory", NULL);
	return 0;
}

/* The context's cluster, user and namespace into out; from names where the
 * context name came from (current-context or --kube-context). */
static int
kc_context(struct kc *k, const json_t *root, const char *name,
    const char *from, struct kube_config *out)
{
	char cfield[FIELD_MAX], ref[FIELD_MAX], field[FIELD_MAX];
	const json_t *ctx, *cl, *u;
	const char *cname, *uname, *ns;

	if (kc_find(k, root, "contexts", "context", name, from, &ctx, cfield,
	    sizeof(cfield)) < 0)
		return -1;
	if (kc_string(k, ctx, cfield, "cluster", &cname) < 0 ||
	    kc_string(k, ctx, cfield, "user", &uname) < 0 ||
	    kc_string(k, ctx, cfield, "namespace", &ns) < 0)
		return -1;
	kc_field(ref, cfield, "cluster");
	if (cname == NULL)
		return kc_fail(k, ref, "not set", NULL);
	if (kc_find(k, root, "clusters", "cluster", cname, ref, &cl, field,
	    sizeof(field)) < 0 || kc_cluster(k, cl, field, out) < 0)
		return -1;
	kc_field(ref, cfield, "user");
	if (uname != NULL && (kc_find(k, root, "users", "user", uname, ref,
	    &u, field, sizeof(field)) < 0 || kc_user(k, u, field, out) < 0))
		return -1;
	if ((out->namespace = strdup(ns ? ns : "default")) == NULL)
		return kc_fail(k, cfield, "out of memory", NULL);
	if (asprintf(&out->origin, "kubeconfig %s context %s", k->path,
	    name) < 0) {
		out->origin = NULL;
		return kc_fail(k, cfield, "out of memory", NULL);
	}
	return 0;
}

int
kube_config_load_buf(struct kube_config *out, const char *path,
    const char *buf, size_t len, const char *context, struct err *e)
{
	struct yaml_json_limits lim = { .max_bytes = KUBECONFIG_MAX_BYTES };
	struct kc k = { .path = path, .e = e };
	const char *slash = strrchr(path, '/'), *cur, *from;
	json_t *docs = NULL, *root;

	memset(out, 0, sizeof(*out));
	if (slash != NULL)
		snprintf(k.dir, sizeof(k.dir), "%.*s", (int)(slash - path),
		    path);
	if (slash == path)
		snprintf(k.dir, sizeof(k.dir), "/");
	if (yaml_json_load(buf, len, &lim, &docs, e) < 0)
		return err_prefix(e, "kubeconfig %s", path);
	root = json_array_get(docs, 0);
	if (json_array_size(docs) != 1 || !json_is_object(root)) {
		json_decref(docs);
		return kc_fail(&k, "", "not a single YAML mapping", NULL);
	}
	from = "--kube-context";
	if (context == NULL || context[0] == '\0') {
		from = "current-context";
		if (kc_string(&k, root, "", "current-context", &cur) < 0)
			goto fail;
		if (cur == NULL) {
			kc_fail(&k, "current-context", "not set (name a "
			    "context with --kube-context)", NULL);
			goto fail;
		}
		context = cur;
	}
	if (kc_context(&k, root, context, from, out) < 0)
		goto fail;
	json_decref(docs);
	return 0;
fail:
	json_decref(docs);
	kube_config_free(out);
	return -1;
}

int
kube_config_load_file(struct kube_config *out, const char *path,
    const char *context, struct err *e)
{
	char *buf;
	size_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	if (read_bounded(path, KUBECONFIG_MAX_BYTES, &buf, &len, e) < 0)
		return err_prefix(e, "kubeconfig");
	rc = kube_config_load_buf(out, path, buf, len, context, e);
	free(buf);
	return rc;
}

/* ---- in-cluster ---- */

int
kube_config_in_cluster(struct kube_config *out, const char *host,
    const char *port, const char *root, struct err *e)
{
	char *path = NULL, *ns = NULL, *tok = NULL;
	int v6;

	memset(out, 0, sizeof(*out));
	if (root == NULL)
		root = KUBE_SA_ROOT;
	if (host == NULL || *host == '\0' || port == NULL || *port == '\0')
		return err_set(e, "in-cluster config: KUBERNETES_SERVICE_HOST "
		    "and KUBERNETES_SERVICE_PORT must be set");
	if (strspn(port, "0123456789") != strlen(port) || strlen(port) > 5)
		return err_set(e, "in-cluster config: KUBERNETES_SERVICE_PORT "
		    "\"%s\" is not a port", port);
	v6 = strchr(host, ':') != NULL;
	if (asprintf(&out->server, "https://%s%s%s:%s", v6 ? "[" : "", host,
	    v6 ? "]" : "", port) < 0 ||
	    asprintf(&out->token_file, "%s/token", root) < 0 ||
	    asprintf(&out->ca_file, "%s/ca.crt", root) < 0 ||
	    asprintf(&path, "%s/namespace", root) < 0 ||
	    (out->origin = strdup("in-cluster config")) == NULL)
		goto oom;
	/* The token must be readable now; the client re-reads it later. */
	if (kube_token_read(out->token_file, &tok, e) < 0) {
		err_prefix(e, "in-cluster config");
		goto fail;
	}
	free(tok);
	if (access(out->ca_file, R_OK) < 0) {
		err_sys(e, errno, "in-cluster config: %s", out->ca_file);
		goto fail;
	}
	if (kube_token_read(path, &ns, e) < 0)
		ns = NULL;	/* optional, like client-go */
	out->namespace = ns ? ns : strdup("default");
	free(path);
	if (out->namespace == NULL)
		goto oom;
	return 0;
oom:
	err_set(e, "in-cluster config: out of memory");
fail:
	free(path);
	kube_config_free(out);
	return -1;
}

/* ---- resolution ---- */

static const char *
env_get(char *const envp[], const char *name)
{
	size_t n = strlen(name), i;

	for (i = 0; envp != NULL && envp[i] != NULL; i++)
		if (!strncmp(envp[i], name, n) && envp[i][n] == '=')
			return envp[i] + n + 1;
	return NULL;
}

int
kube_config_resolve(struct kube_config *out, const char *flag_path,
    const char *context, char *const envp[], const char *sa_root,
    struct err *e)
{
	const char *kc = env_get(envp, "KUBECONFIG");
	const char *host = env_get(envp, "KUBERNETES_SERVICE_HOST");
	const char *home = env_get(envp, "HOME");
	char path[4096];
	size_t n;

	memset(out, 0, sizeof(*out));
	if (flag_path != NULL && flag_path[0] != '\0')
		return kube_config_load_file(out, flag_path, context, e);
	while (kc != NULL && *kc == ':')
		kc++;
	if (kc != NULL && *kc != '\0') {
		n = strcspn(kc, ":");
		if (n >= sizeof(path))
			return err_set(e, "KUBECONFIG: path too long");
		snprintf(path, sizeof(path), "%.*s", (int)n, kc);
		return kube_config_load_file(out, path, context, e);
	}
	if (host != NULL && *host != '\0')
		return kube_config_in_cluster(out, host,
		    env_get(envp, "KUBERNETES_SERVICE_PORT"), sa_root, e);
	if (home == NULL || *home == '\0')
		return err_set(e, "no API server config: no --kubeconfig, "
		    "KUBECONFIG, in-cluster environment or HOME");
	snprintf(path, sizeof(path), "%s/.kube/config", home);
	if (access(path, F_OK) < 0)
		return err_set(e, "no API server config: no --kubeconfig, "
		    "KUBECONFIG, in-cluster environment or %s", path);
	return kube_config_load_file(out, path, context, e);
}
