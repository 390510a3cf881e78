/*
 * bench_informer: memory and time of an informer over many GitRepositories
 * (run by scripts/bench-informer.sh, which creates them on the real plane).
 *
 *   bench_informer measure KUBECONFIG N [PAGE_SIZE]
 *       in a fresh process: RSS after the client is set up, then one
 *       informer on gitrepositories in every namespace, initial LIST
 *       (pages of PAGE_SIZE, default the informer's 500) until synced;
 *       prints the time, the RSS growth, bytes per object, the summed size
 *       of the projected strings (keys, resourceVersions and projections),
 *       bytes per object above them, and the process peak RSS (which the
 *       page of JSON in flight dominates). Exit 1 when the store does not
 *       hold N objects.
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

#include "base/err.h"
#include "kube/client.h"
#include "kube/informer.h"
#include "kube/kubeconfig.h"

#define GROUP "source.toolkit.fluxcd.io"

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
measure(const char *kubeconfig, long n, unsigned page)
{
	static const struct kube_informer_handlers h = {
		.project = gitrepo_project, .free = free,
		.on_synced = measure_synced, .on_error = measure_error,
	};
	struct kube_informer_opts o = { .group = GROUP, .version = "v1",
	    .resource = "gitrepositories", .namespaced = true,
	    .page_size = page };
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
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "measure") == 0)
		return measure(argv[2], atol(argv[3]),
		    argc == 5 ? (unsigned)atoi(argv[4]) : 0);
	fprintf(stderr, "usage: %s measure KUBECONFIG N [PAGE_SIZE]\n",
	    argv[0]);
	return 2;
}
