/*
 * bench_informer: memory and time of an informer over many GitRepositories
 * (run by scripts/bench-informer.sh against the real plane).
 *
 *   bench_informer populate KUBECONFIG N NAMESPACES
 *       creates N GitRepository objects spread over NAMESPACES namespaces
 *       (created if needed), each with a realistic spec and status
 *       (artifact url/path/revision/digest/size/lastUpdateTime, Ready and
 *       ArtifactInStorage conditions), 64 requests in flight, no client
 *       rate limit.
 *   bench_informer measure KUBECONFIG N
 *       in a fresh process: RSS after the client is set up, then one
 *       informer on gitrepositories in every namespace, initial LIST
 *       (pages of 500) until synced; prints the time, the RSS growth, bytes
 *       per object, the summed size of the projected strings, bytes per
 *       object above them, and the process peak RSS. Exit 1 when the store
 *       does not hold N objects.
 *
 * The projection is what the controller needs of a source: namespace/name
 * (the store key), resourceVersion (kept by the informer), generation and
 * artifact {url, revision, digest}, in one allocation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <jansson.h>
#include <uv.h>

#include "err.h"
#include "kube/client.h"
#include "kube/informer.h"
#include "kube/kubeconfig.h"

#define GROUP "source.toolkit.fluxcd.io"
#define INFLIGHT 64

/* ---- the GitRepository projection ---- */

struct gitrepo {
	long long generation;
	const char *url;	/* into buf; "" when there is no artifact */
	const char *revision;
	const char *digest;
	char buf[];
};

static void *
gitrepo_project(const json_t *obj)
{
	const json_t *art = json_object_get(json_object_get(obj, "status"),
	    "artifact");
	const char *s[3] = {
		json_string_value(json_object_get(art, "url")),
		json_string_value(json_object_get(art, "revision")),
		json_string_value(json_object_get(art, "digest")),
	};
	size_t len[3], total = 0, i;
	struct gitrepo *g;
	char *p;

	for (i = 0; i < 3; i++) {
		len[i] = s[i] ? strlen(s[i]) : 0;
		total += len[i] + 1;
	}
	g = malloc(sizeof(*g) + total);
	if (g == NULL)
		return NULL;
	g->generation = json_integer_value(json_object_get(
	    json_object_get(obj, "metadata"), "generation"));
	p = g->buf;
	for (i = 0; i < 3; i++) {
		memcpy(p, s[i] ? s[i] : "", len[i] + 1);
		if (i == 0)
			g->url = p;
		else if (i == 1)
			g->revision = p;
		else
			g->digest = p;
		p += len[i] + 1;
	}
	return g;
}

/* ---- memory figures ---- */

static long long
rss_bytes(void)
{
	long long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL)
		return -1;
	if (fscanf(f, "%lld %lld", &size, &resident) != 2)
		resident = -1;
	fclose(f);
	return resident * sysconf(_SC_PAGESIZE);
}

static long long
peak_rss_bytes(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (long long)ru.ru_maxrss * 1024;
}

/* ---- shared setup ---- */

struct bench {
	uv_loop_t loop;
	struct kube_client *client;
	long total, next, inflight, created, failed, nns;
	char first_error[ERR_MSG_MAX];
};

static int
bench_client(struct bench *b, const char *kubeconfig)
{
	struct kube_config cfg = { 0 };
	struct kube_client_opts co = { .qps = 0 };
	struct err e;

	uv_loop_init(&b->loop);
	if (kube_config_load_file(&cfg, kubeconfig, NULL, &e) < 0 ||
	    kube_client_new(&b->client, &b->loop, &cfg, &co, &e) < 0) {
		fprintf(stderr, "bench_informer: %s\n", e.msg);
		kube_config_free(&cfg);
		return -1;
	}
	kube_config_free(&cfg);
	return 0;
}

static void
bench_close(struct bench *b)
{
	kube_client_destroy(b->client);
	uv_run(&b->loop, UV_RUN_DEFAULT);
	uv_loop_close(&b->loop);
}

/* ---- populate ---- */

struct obj_req {
	struct bench *b;
	long i;
	char ns[32], name[32];
};

static void
hex_of(long i, unsigned salt, char *out, size_t n)
{
	uint64_t x = (uint64_t)i * 0x9e3779b97f4a7c15ull + salt;
	size_t k;

	for (k = 0; k + 1 < n; k++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		out[k] = "0123456789abcdef"[x & 15];
	}
	out[n - 1] = '\0';
}

static json_t *
gitrepo_status(const char *ns, const char *name, long i)
{
	char sha1[41], sha256[65], url[384], path[256], rev[64], dig[80],
	    msg[128];

	hex_of(i, 1, sha1, sizeof(sha1));
	hex_of(i, 2, sha256, sizeof(sha256));
	snprintf(path, sizeof(path), "gitrepository/%s/%s/%s.tar.gz", ns, name,
	    sha1);
	snprintf(url, sizeof(url), "http://source-controller.flux-system.svc."
	    "cluster.local./%s", path);
	snprintf(rev, sizeof(rev), "main@sha1:%s", sha1);
	snprintf(dig, sizeof(dig), "sha256:%s", sha256);
	snprintf(msg, sizeof(msg), "stored artifact for revision '%s'", rev);
	return json_pack("{s:{s:i, s:[{s:s, s:s, s:i, s:s, s:s, s:s},"
	    "{s:s, s:s, s:i, s:s, s:s, s:s}], s:{s:s, s:s, s:s, s:s, s:s, "
	    "s:I}}}",
	    "status", "observedGeneration", 1, "conditions",
	    "type", "Ready", "status", "True", "observedGeneration", 1,
	    "lastTransitionTime", "2026-11-22T04:00:00Z", "reason", "Succeeded",
	    "message", msg,
	    "type", "ArtifactInStorage", "status", "True",
	    "observedGeneration", 1, "lastTransitionTime",
	    "2026-11-22T04:00:00Z", "reason", "Succeeded", "message", msg,
	    "artifact", "path", path, "url", url, "revision", rev, "digest",
	    dig, "lastUpdateTime", "2026-11-22T04:00:00Z", "size",
	    (json_int_t)(20000 + i % 5000));
}

static void populate_next(struct bench *b);

static void
populate_fail(struct obj_req *o, const struct err *e)
{
	if (o->b->failed++ == 0)
		snprintf(o->b->first_error, sizeof(o->b->first_error), "%s",
		    e ? e->msg : "?");
}

static void
status_done(void *data, int status, json_t *obj, const struct kube_status *st,
    const struct err *e)
{
	struct obj_req *o = data;
	struct bench *b = o->b;

	(void)obj;
	(void)st;
	if (status != KUBE_OK)
		populate_fail(o, e);
	else
		b->created++;
	b->inflight--;
	free(o);
	populate_next(b);
}

static void
create_done(void *data, int status, json_t *obj, const struct kube_status *st,
    const struct err *e)
{
	struct obj_req *o = data;
	struct kube_resource r = { .group = GROUP, .version = "v1",
	    .resource = "gitrepositories", .namespaced = true,
	    .namespace = o->ns, .name = o->name, .subresource = "status" };
	json_t *body;
	struct err pe;
	int rc;

	(void)obj;
	if (status != KUBE_OK && !(st != NULL && st->code == 409)) {
		populate_fail(o, e);
		o->b->inflight--;
		populate_next(o->b);
		free(o);
		return;
	}
	body = gitrepo_status(o->ns, o->name, o->i);
	rc = kube_patch_merge(o->b->client, &r, body, NULL, status_done, o,
	    NULL, &pe);
	json_decref(body);
	if (rc < 0)
		status_done(o, KUBE_EDECODE, NULL, NULL, &pe);
}

static void
populate_one(struct bench *b, long i)
{
	struct obj_req *o = calloc(1, sizeof(*o));
	struct kube_resource r = { .group = GROUP, .version = "v1",
	    .resource = "gitrepositories", .namespaced = true };
	char url[128];
	json_t *body;
	struct err e;

	if (o == NULL)
		abort();
	o->b = b;
	o->i = i;
	snprintf(o->ns, sizeof(o->ns), "bench-%02ld", i % b->nns);
	snprintf(o->name, sizeof(o->name), "repo-%05ld", i);
	snprintf(url, sizeof(url), "https://github.com/example-org/app-%05ld",
	    i);
	r.namespace = o->ns;
	body = json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s}}, s:{s:s, s:s, "
	    "s:s, s:{s:s}}}", "apiVersion", GROUP "/v1", "kind",
	    "GitRepository", "metadata", "name", o->name, "namespace", o->ns,
	    "labels", "app.kubernetes.io/part-of", "bench", "spec", "url", url,
	    "interval", "5m", "timeout", "60s", "ref", "branch", "main");
	b->inflight++;
	if (kube_create(b->client, &r, body, NULL, create_done, o, NULL,
	    &e) < 0)
		create_done(o, KUBE_EDECODE, NULL, NULL, &e);
	json_decref(body);
}

static void
populate_next(struct bench *b)
{
	while (b->inflight < INFLIGHT && b->next < b->total)
		populate_one(b, b->next++);
}

static int
ns_create(struct bench *b, const char *name)
{
	struct kube_resource r = { .version = "v1", .resource = "namespaces" };
	json_t *body = json_pack("{s:{s:s}}", "metadata", "name", name);
	struct obj_req *o = calloc(1, sizeof(*o));
	struct err e;

	o->b = b;
	b->inflight++;
	/* A 409 (exists) counts as done; the status step is skipped by
	 * using the namespace path: create_done is not used here. */
	if (kube_create(b->client, &r, body, NULL, status_done, o, NULL,
	    &e) < 0) {
		fprintf(stderr, "bench_informer: %s\n", e.msg);
		json_decref(body);
		free(o);
		return -1;
	}
	json_decref(body);
	return 0;
}

static int
populate(const char *kubeconfig, long n, long nns)
{
	struct bench b = { 0 };
	uint64_t t0;
	char ns[32];
	long i;

	if (bench_client(&b, kubeconfig) < 0)
		return 1;
	b.nns = nns;
	for (i = 0; i < nns; i++) {
		snprintf(ns, sizeof(ns), "bench-%02ld", i);
		ns_create(&b, ns);
	}
	while (b.inflight > 0)			/* namespaces first */
		uv_run(&b.loop, UV_RUN_ONCE);
	b.created = b.failed = 0;
	b.total = n;
	t0 = uv_hrtime();
	populate_next(&b);
	while (b.inflight > 0)
		uv_run(&b.loop, UV_RUN_ONCE);
	printf("populate: %ld GitRepositories with status in %.1f s "
	    "(%ld failed%s%s)\n", b.created, (uv_hrtime() - t0) / 1e9, b.failed,
	    b.failed ? ": " : "", b.first_error);
	bench_close(&b);
	return b.created == n ? 0 : 1;
}

/* ---- measure ---- */

struct measure {
	struct bench *b;
	int synced;
	long long strings;
};

static void
measure_synced(void *data)
{
	((struct measure *)data)->synced = 1;
}

static void
measure_error(void *data, const struct err *e)
{
	(void)data;
	fprintf(stderr, "# informer: %s\n", e->msg);
}

static void
sum_strings(void *ctx, const char *ns, const char *name, const char *rv,
    const void *p)
{
	const struct gitrepo *g = p;

	*(long long *)ctx += (long long)(strlen(ns) + 1 + strlen(name) + 1 +
	    strlen(rv) + 1 + strlen(g->url) + 1 + strlen(g->revision) + 1 +
	    strlen(g->digest) + 1);
}

static int
measure(const char *kubeconfig, long n)
{
	static const struct kube_informer_handlers h = {
		.project = gitrepo_project, .free = free,
		.on_synced = measure_synced, .on_error = measure_error,
	};
	struct kube_informer_opts o = { .group = GROUP, .version = "v1",
	    .resource = "gitrepositories", .namespaced = true };
	struct bench b = { 0 };
	struct measure m = { &b, 0, 0 };
	struct kube_informer *inf;
	long long rss0, rss1, growth, len;
	uint64_t t0, t1;
	struct err e;

	if (bench_client(&b, kubeconfig) < 0)
		return 1;
	if (kube_informer_new(&inf, &b.loop, b.client, &o, &h, &m, &e) < 0) {
		fprintf(stderr, "bench_informer: %s\n", e.msg);
		return 1;
	}
	rss0 = rss_bytes();
	t0 = uv_hrtime();
	kube_informer_start(inf);
	while (!m.synced)
		uv_run(&b.loop, UV_RUN_ONCE);
	t1 = uv_hrtime();
	rss1 = rss_bytes();
	len = (long long)kube_cache_len(kube_informer_cache(inf));
	kube_cache_foreach(kube_informer_cache(inf), sum_strings, &m.strings);
	growth = rss1 - rss0;
	printf("informer: %lld objects listed and synced in %.2f s\n", len,
	    (t1 - t0) / 1e9);
	printf("informer: RSS %.1f MiB -> %.1f MiB, growth %.2f MiB = %lld "
	    "bytes/object\n", rss0 / 1048576.0, rss1 / 1048576.0,
	    growth / 1048576.0, len ? growth / len : 0);
	printf("informer: projected strings %lld bytes (%lld bytes/object); "
	    "above them: %lld bytes/object (goal < 600)\n", m.strings,
	    len ? m.strings / len : 0, len ? (growth - m.strings) / len : 0);
	printf("informer: process peak RSS %.1f MiB (goal < 32 MiB)\n",
	    peak_rss_bytes() / 1048576.0);
	kube_informer_free(inf);
	bench_close(&b);
	return len == n ? 0 : 1;
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && strcmp(argv[1], "populate") == 0)
		return populate(argv[2], atol(argv[3]), atol(argv[4]));
	if (argc == 4 && strcmp(argv[1], "measure") == 0)
		return measure(argv[2], atol(argv[3]));
	fprintf(stderr, "usage: %s populate KUBECONFIG N NAMESPACES | "
	    "measure KUBECONFIG N\n", argv[0]);
	return 2;
}
