/*
 * Unit tests for src/controller/health.c: what a kubelet probe relies on.
 * /healthz answers 200 while the loop turns, and 500 naming the stall
 * after the loop was blocked; /readyz is 500 naming each failing check
 * (informers not synced, not leading) and 200 once all pass; other paths
 * are 404. Served through net/http_server on a loopback port.
 */
#include "testutil.h"

#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "controller/health.h"

struct flag {
	bool ok;
	const char *why;
};

static bool
check(void *data, char *why, size_t len)
{
	struct flag *f = data;

	if (!f->ok)
		snprintf(why, len, "%s", f->why);
	return f->ok;
}

static void
spin(uv_loop_t *loop, int ms)
{
	uint64_t end = uv_hrtime() + (uint64_t)ms * 1000000;

	while (uv_hrtime() < end)
		uv_run(loop, UV_RUN_NOWAIT), usleep(1000);
}

static void
test_liveness_follows_the_loop(void **state)
{
	uv_loop_t loop;
	struct health *h;
	struct err e;
	char why[256];

	(void)state;
	uv_loop_init(&loop);
	h = health_new(&loop, 10, 100, &e);
	assert_non_null(h);
	spin(&loop, 60);
	assert_true(health_live(h, uv_hrtime(), why, sizeof(why)));
	/* No tick for longer than stale: not live. */
	assert_false(health_live(h, uv_hrtime() + 200 * 1000000ull, why,
	    sizeof(why)));
	assert_non_null(strstr(why, "no timer tick"));
	/* The loop is blocked for 250 ms: the late tick marks a stall. */
	usleep(250 * 1000);
	spin(&loop, 20);
	assert_false(health_live(h, uv_hrtime(), why, sizeof(why)));
	assert_non_null(strstr(why, "late"));
	spin(&loop, 150);
	assert_true(health_live(h, uv_hrtime(), why, sizeof(why)));
	health_free(h);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void
test_readiness_names_every_failing_check(void **state)
{
	struct flag synced = { false, "informers not synced" };
	struct flag leader = { false, "not the leader" };
	uv_loop_t loop;
	struct health *h;
	struct err e;
	char why[512];

	(void)state;
	uv_loop_init(&loop);
	h = health_new(&loop, 0, 0, &e);
	assert_int_equal(health_add_check(h, "informers", check, &synced), 0);
	assert_int_equal(health_add_check(h, "leader", check, &leader), 0);
	assert_false(health_ready(h, why, sizeof(why)));
	assert_non_null(strstr(why, "[-]informers failed: informers not "
	    "synced"));
	assert_non_null(strstr(why, "[-]leader failed: not the leader"));
	synced.ok = true;
	assert_false(health_ready(h, why, sizeof(why)));
	assert_null(strstr(why, "informers"));
	leader.ok = true;
	assert_true(health_ready(h, why, sizeof(why)));
	health_free(h);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- over HTTP ---- */

struct probe {
	uv_loop_t loop;
	struct health *h;
	struct http_server *srv;
	int port;
};

static void
test_probes_over_http(void **state)
{
	struct flag synced = { false, "informers not synced (3 of 7 listed)" };
	struct http_server_opts so = { .addr = "127.0.0.1:0", .name = "health" };
	struct probe p;
	struct err e;
	char *body;
	int code;
	pid_t pid;

	(void)state;
	uv_loop_init(&p.loop);
	p.h = health_new(&p.loop, 10, 1000, &e);
	health_add_check(p.h, "informers", check, &synced);
	assert_int_equal(http_server_new(&p.loop, &so, health_handle, p.h,
	    &p.srv, &e), 0);
	p.port = http_server_port(p.srv);
	/* curl runs in a child while this loop serves. */
	for (int round = 0; round < 4; round++) {
		const char *paths[] = { "/healthz", "/readyz", "/readyz",
		    "/nope" };
		char cmd[256];

		if (round == 2)
			synced.ok = true;
		snprintf(cmd, sizeof(cmd), "curl -s -m 5 -w ' %%{http_code}' "
		    "http://127.0.0.1:%d%s > /tmp/health-%d.out", p.port,
		    paths[round], (int)getpid());
		pid = fork();
		if (pid == 0) {
			execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
			_exit(127);
		}
		for (int i = 0; i < 5000; i++) {
			int st;

			uv_run(&p.loop, UV_RUN_NOWAIT);
			if (waitpid(pid, &st, WNOHANG) == pid)
				break;
			usleep(1000);
		}
		snprintf(cmd, sizeof(cmd), "/tmp/health-%d.out", (int)getpid());
		body = tu_read(cmd, NULL);
		code = atoi(strrchr(body, ' ') + 1);
		if (round == 0)
			assert_int_equal(code, 200);
		if (round == 1) {
			assert_int_equal(code, 500);
			assert_non_null(strstr(body, "[-]informers failed: "
			    "informers not synced (3 of 7 listed)"));
		}
		if (round == 2) {
			assert_int_equal(code, 200);
			assert_non_null(strstr(body, "ok"));
		}
		if (round == 3)
			assert_int_equal(code, 404);
		free(body);
		unlink(cmd);
	}
	http_server_close(p.srv, 0, NULL, NULL);
	health_free(p.h);
	uv_run(&p.loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&p.loop), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_liveness_follows_the_loop),
		cmocka_unit_test(test_readiness_names_every_failing_check),
		cmocka_unit_test(test_probes_over_http),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
