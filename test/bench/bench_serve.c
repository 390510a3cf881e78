/*
 * bench_serve: the artifact server on one loop, for scripts/bench-serve.sh:
 * serves STORAGE_DIR on ADDR until SIGTERM, then prints its counters. With
 * SOURCE_DIR, the same loop also rebuilds one artifact from that tree over
 * and over (build_pool on the thread pool, as a reconcile does), so the
 * server is measured while builds share its loop and pool; the number of
 * builds done is printed at the end.
 *
 * Usage: bench_serve STORAGE_DIR ADDR [SOURCE_DIR]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/artifact_server.h"
#include "controller/build_pool.h"

struct rebuild {
	struct build_slots slots;
	struct build_pool_args args;
	struct build_opts opts;
	struct build_source src;
	struct gen_copy copy;
	struct gen_artifact art;
	struct generator gen;
	struct artifact_record rec;
	unsigned long done, failed;
	bool stopping;
};

static struct artifact_server *as;
static struct rebuild rb;

static void rebuild_start(void);

static void
rebuild_done(struct build_pool *p, int status, const struct err *e,
    void *data)
{
	(void)p;
	(void)data;
	if (status == 0) {
		rb.done++;
		artifact_record_free(&rb.rec);
	} else if (rb.failed++ == 0) {
		fprintf(stderr, "bench_serve: build: %s\n", e->msg);
	}
	if (!rb.stopping && status == 0)
		rebuild_start();
}

static void
rebuild_start(void)
{
	struct err e;

	if (build_pool_start(&rb.slots, &rb.args, rebuild_done, NULL, NULL,
	    &e) < 0)
		fprintf(stderr, "bench_serve: build: %s\n", e.msg);
}

static void
rebuild_init(uv_loop_t *loop, struct storage *st, const char *dir)
{
	build_slots_init(&rb.slots, loop, 0);
	rb.src = (struct build_source){ "src", dir, "main@sha1:1", NULL };
	rb.copy = (struct gen_copy){ .from = "@src/**", .to = "@artifact/" };
	rb.art = (struct gen_artifact){ .name = "rebuilt", .copy = &rb.copy,
	    .n_copy = 1 };
	rb.gen = (struct generator){ .name = "bench", .namespace = "bench" };
	rb.opts = (struct build_opts){ .algo = DIGEST_SHA256 };
	rb.args = (struct build_pool_args){ .g = &rb.gen, .arts = &rb.art,
	    .n = 1, .sources = &rb.src, .n_sources = 1, .storage = st,
	    .opts = &rb.opts, .jobs = 1, .recs = &rb.rec };
	rebuild_start();
}

static void
on_signal(uv_signal_t *s, int signum)
{
	const struct artifact_server_stats *st = artifact_server_stats(as);

	(void)signum;
	rb.stopping = true;
	fprintf(stderr, "bench_serve: %llu requests, %llu bytes; %lu builds "
	    "on the same loop\n", (unsigned long long)st->requests,
	    (unsigned long long)st->bytes, rb.done);
	artifact_server_close(as, 1000, NULL, NULL);
	uv_close((uv_handle_t *)s, NULL);
}

int
main(int argc, char **argv)
{
	struct artifact_server_opts o = { 0 };
	struct storage st;
	struct err e = { 0 };
	uv_signal_t sig;
	uv_loop_t *loop = uv_default_loop();

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: bench_serve STORAGE_DIR ADDR "
		    "[SOURCE_DIR]\n");
		return 2;
	}
	if (storage_init(&st, argv[1], argv[2], &e) < 0)
		goto fail;
	o.addr = argv[2];
	o.storage = &st;
	o.http.max_conns = 4096;
	if (artifact_server_start(loop, &o, &as, &e) < 0)
		goto fail;
	if (argc == 4)
		rebuild_init(loop, &st, argv[3]);
	uv_signal_init(loop, &sig);
	uv_signal_start(&sig, on_signal, SIGTERM);
	uv_run(loop, UV_RUN_DEFAULT);
	storage_free(&st);
	return 0;
fail:
	fprintf(stderr, "bench_serve: %s\n", e.msg);
	return 1;
}
