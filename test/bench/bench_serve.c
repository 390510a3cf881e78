/*
 * bench_serve: the artifact server alone on one loop, for
 * scripts/bench-serve.sh: serves STORAGE_DIR on ADDR until SIGTERM or
 * SIGINT, then prints its counters. Usage: bench_serve STORAGE_DIR ADDR
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "controller/artifact_server.h"

static struct artifact_server *as;

static void
on_signal(uv_signal_t *s, int signum)
{
	const struct artifact_server_stats *st = artifact_server_stats(as);

	(void)signum;
	fprintf(stderr, "bench_serve: %llu requests, %llu bytes\n",
	    (unsigned long long)st->requests, (unsigned long long)st->bytes);
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

	if (argc != 3) {
		fprintf(stderr, "usage: bench_serve STORAGE_DIR ADDR\n");
		return 2;
	}
	if (storage_init(&st, argv[1], argv[2], &e) < 0)
		goto fail;
	o.addr = argv[2];
	o.storage = &st;
	o.http.max_conns = 4096;
	if (artifact_server_start(loop, &o, &as, &e) < 0)
		goto fail;
	uv_signal_init(loop, &sig);
	uv_signal_start(&sig, on_signal, SIGTERM);
	uv_run(loop, UV_RUN_DEFAULT);
	storage_free(&st);
	return 0;
fail:
	fprintf(stderr, "bench_serve: %s\n", e.msg);
	return 1;
}
