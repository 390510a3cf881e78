/*
 * Unit tests for src/net/http_server*.c over loopback: keep-alive and
 * pipelined requests answered in order, HEAD, the limits (header bytes and
 * count, target length, body), malformed and hostile input (garbage,
 * slowloris, 10,000 headers, a 1 MiB URL, pipelined garbage, NUL bytes,
 * HTTP/2 preface) each with its answer and the server serving afterwards,
 * the connection cap, idle timeout and graceful close.
 */
#include "testutil.h"
#include "hclient.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/http_server.h"
#include "net/http_server_int.h"

struct fx {
	uv_loop_t loop;
	struct http_server *srv;
	int port;
	int served;
	int closed;
	uv_timer_t slow;
	struct http_res *slow_res;
};

static void
slow_fire(uv_timer_t *t)
{
	struct fx *f = t->data;

	http_res_simple(f->slow_res, 200, "text/plain", NULL, "slow\n", 5);
	f->slow_res = NULL;
}

static void
handler(void *data, struct http_req *q, struct http_res *res)
{
	struct fx *f = data;
	const char *v;
	char buf[256];

	if (strcmp(q->path, "/slow") == 0) {
		f->slow_res = res;
		uv_timer_start(&f->slow, slow_fire, 50, 0);
		return;
	}
	if (strcmp(q->path, "/hdr") == 0) {
		v = http_req_header(q, "x-a");
		snprintf(buf, sizeof(buf), "[%s] [%s]\n", v ? v : "-",
		    q->query ? q->query : "-");
		http_res_simple(res, 200, "text/plain", NULL, buf,
		    strlen(buf));
		return;
	}
	http_res_simple(res, 200, "text/plain", "X-Path: ok\r\n", "hello\n",
	    6);
}

static void
on_served(void *data, const struct http_req *q, int status, uint64_t n,
    bool ok)
{
	(void)q; (void)status; (void)n; (void)ok;
	((struct fx *)data)->served++;
}

static void
fx_start(struct fx *f, const struct http_server_opts *extra)
{
	struct http_server_opts o = { .addr = "127.0.0.1:0",
	    .head_timeout_ms = 300, .idle_timeout_ms = 300 };
	struct err e = { 0 };

	if (extra != NULL)
		o = *extra;
	memset(f, 0, sizeof(*f));
	assert_int_equal(uv_loop_init(&f->loop), 0);
	uv_timer_init(&f->loop, &f->slow);
	f->slow.data = f;
	assert_int_equal(http_server_new(&f->loop, &o, handler, f, &f->srv,
	    &e), 0);
	http_server_on_served(f->srv, on_served);
	f->port = http_server_port(f->srv);
	assert_true(f->port > 0);
}

static void
closed_cb(struct http_server *srv, void *data)
{
	(void)srv;
	((struct fx *)data)->closed++;
}

static void
fx_stop(struct fx *f)
{
	http_server_close(f->srv, 1000, closed_cb, f);
	uv_close((uv_handle_t *)&f->slow, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(f->closed, 1);
	assert_int_equal(uv_loop_close(&f->loop), 0);
}

static void
xchg(struct fx *f, const char *req, struct hc_result *r)
{
	hc_exchange(&f->loop, f->port, req, strlen(req), true, 3000, r);
}

/* The server still answers a plain request. */
static void
still_serves(struct fx *f)
{
	struct hc_result r;

	xchg(f, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	assert_non_null(strstr(r.data, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(r.data, "\r\n\r\nhello\n"));
	hc_free(&r);
}

static void
test_keepalive_pipelined_in_order(void **state)
{
	struct fx f;
	struct hc_result r;
	char *slow, *fast;

	(void)state;
	fx_start(&f, NULL);
	xchg(&f, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
	    "GET /hdr?q=1 HTTP/1.1\r\nHost: x\r\nX-A:  v a \r\n\r\n"
	    "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	assert_int_equal(hc_count(&r, "HTTP/1.1 200 OK\r\n"), 3);
	slow = strstr(r.data, "slow\n");
	fast = strstr(r.data, "[v a] [q=1]\n");
	assert_non_null(slow);
	assert_non_null(fast);
	assert_true(slow < fast);
	/* HEAD: the length of the GET, no body. */
	assert_int_equal(hc_count(&r, "Content-Length: 6\r\n"), 1);
	assert_null(strstr(r.data, "hello"));
	assert_null(strstr(r.data, "Connection: close"));
	assert_true(r.closed && !r.reset);
	hc_free(&r);
	assert_int_equal(f.served, 3);
	fx_stop(&f);
}

static void
test_http10_and_close(void **state)
{
	struct fx f;
	struct hc_result r;

	(void)state;
	fx_start(&f, NULL);
	hc_exchange(&f.loop, f.port, "GET / HTTP/1.0\r\n\r\n", 18, false,
	    3000, &r);
	assert_non_null(strstr(r.data, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(r.data, "Connection: close\r\n"));
	assert_true(r.closed);
	assert_true(r.ms < 1000);
	hc_free(&r);
	xchg(&f, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
	    "GET / HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	assert_int_equal(hc_count(&r, "HTTP/1.1 200"), 1);
	hc_free(&r);
	fx_stop(&f);
}

struct hostile {
	const char *name;
	char *req;
	size_t len;
	const char *want;       /* status line prefix expected first */
};

static char *
repeat(const char *head, const char *unit, size_t n, const char *tail)
{
	size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
	char *b = malloc(hl + ul * n + tl + 1), *p = b;

	memcpy(p, head, hl);
	p += hl;
	for (size_t i = 0; i < n; i++, p += ul)
		memcpy(p, unit, ul);
	memcpy(p, tail, tl + 1);
	return b;
}

static void
test_hostile_requests(void **state)
{
	struct hostile cases[] = {
		{ "garbage", strdup("\x16\x03\x01\x02\x00 hello\r\n\r\n"),
		  0, "HTTP/1.1 400 " },
		{ "10000 headers", repeat("GET / HTTP/1.1\r\nHost: x\r\n",
		  "X-H: 1\r\n", 10000, "\r\n"), 0, "HTTP/1.1 431 " },
		{ "1 MiB URL", repeat("GET /", "a", 1 << 20,
		  " HTTP/1.1\r\nHost: x\r\n\r\n"), 0, "HTTP/1.1 414 " },
		{ "huge header", repeat("GET / HTTP/1.1\r\nHost: x\r\nX: ",
		  "b", 64 << 10, "\r\n\r\n"), 0, "HTTP/1.1 431 " },
		{ "NUL in target", NULL, 0, "HTTP/1.1 400 " },
		{ "HTTP/2 preface", strdup("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
		  0, "HTTP/1.1 " },
		{ "no Host", strdup("GET / HTTP/1.1\r\n\r\n"), 0,
		  "HTTP/1.1 400 " },
		{ "absolute-form target", strdup("GET http://x/ HTTP/1.1\r\n"
		  "Host: x\r\n\r\n"), 0, "HTTP/1.1 400 " },
		{ "bad chunked body", strdup("POST / HTTP/1.1\r\nHost: x\r\n"
		  "Transfer-Encoding: chunked\r\n\r\nzz\r\n"), 0,
		  "HTTP/1.1 400 " },
		{ "CL and TE", strdup("POST / HTTP/1.1\r\nHost: x\r\n"
		  "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
		  "0\r\n\r\n"), 0, "HTTP/1.1 400 " },
		{ "body too large", repeat("POST / HTTP/1.1\r\nHost: x\r\n"
		  "Content-Length: 200000\r\n\r\n", "c", 200000, ""), 0,
		  "HTTP/1.1 413 " },
		{ "CONNECT", strdup("CONNECT x:443 HTTP/1.1\r\nHost: x\r\n\r\n"),
		  0, "HTTP/1.1 405 " },
		{ "pipelined garbage", strdup("GET / HTTP/1.1\r\nHost: x\r\n\r\n"
		  "\x01\x02garbage\r\n\r\n"), 0, "HTTP/1.1 200 " },
	};
	struct fx f;
	struct hc_result r;
	size_t i;

	(void)state;
	cases[4].req = malloc(40);
	memcpy(cases[4].req, "GET /a\0b HTTP/1.1\r\nHost: x\r\n\r\n", 31);
	cases[4].len = 31;
	fx_start(&f, NULL);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = cases[i].len ? cases[i].len :
		    strlen(cases[i].req);

		hc_exchange(&f.loop, f.port, cases[i].req, len, true, 3000,
		    &r);
		if (strncmp(r.data, cases[i].want, strlen(cases[i].want)) != 0)
			fail_msg("%s: got \"%.60s\"", cases[i].name, r.data);
		if (!r.closed || r.ms > 2500)
			fail_msg("%s: connection not closed", cases[i].name);
		if (i == 12)
			assert_int_equal(hc_count(&r, "HTTP/1.1 400 "), 1);
		hc_free(&r);
		free(cases[i].req);
		still_serves(&f);
	}
	fx_stop(&f);
}

static void
test_slowloris_and_idle(void **state)
{
	struct fx f;
	struct hc_result r;

	(void)state;
	fx_start(&f, NULL);
	/* Half a head, never finished: 408 after the head timeout. */
	hc_exchange(&f.loop, f.port, "GET / HTTP/1.1\r\nHost: x\r\nX-", 27,
	    false, 3000, &r);
	assert_non_null(strstr(r.data, "HTTP/1.1 408 "));
	assert_true(r.closed && r.ms >= 250 && r.ms < 2000);
	hc_free(&r);
	/* Nothing at all: closed silently. */
	hc_exchange(&f.loop, f.port, "", 0, false, 3000, &r);
	assert_int_equal(r.len, 0);
	assert_true(r.closed && r.ms >= 250 && r.ms < 2000);
	hc_free(&r);
	still_serves(&f);
	fx_stop(&f);
}

static int
raw_connect(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
	    .sin_port = htons((uint16_t)port) };
	int s = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return s;
}

static void
test_connection_cap(void **state)
{
	struct http_server_opts o = { .addr = "127.0.0.1:0", .max_conns = 2,
	    .head_timeout_ms = 2000, .idle_timeout_ms = 2000 };
	struct fx f;
	struct hc_result r;
	int a, b;

	(void)state;
	fx_start(&f, &o);
	a = raw_connect(f.port);
	b = raw_connect(f.port);
	for (int i = 0; i < 20 && http_server_conn_count(f.srv) < 2; i++)
		uv_run(&f.loop, UV_RUN_NOWAIT);
	assert_int_equal(http_server_conn_count(f.srv), 2);
	xchg(&f, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	assert_non_null(strstr(r.data, "HTTP/1.1 503 "));
	assert_non_null(strstr(r.data, "Connection: close\r\n"));
	hc_free(&r);
	close(a);
	close(b);
	for (int i = 0; i < 50 && http_server_conn_count(f.srv) > 0; i++)
		uv_run(&f.loop, UV_RUN_ONCE);
	still_serves(&f);
	fx_stop(&f);
}

static void
stop_soon(uv_timer_t *t)
{
	struct fx *f = t->data;

	http_server_close(f->srv, 2000, closed_cb, f);
	uv_close((uv_handle_t *)t, NULL);
}

/* A response in flight finishes after close; no new connection gets in. */
static void
test_graceful_close(void **state)
{
	struct fx f;
	struct hc_result r;
	uv_timer_t t;

	(void)state;
	fx_start(&f, NULL);
	uv_timer_init(&f.loop, &t);
	t.data = &f;
	uv_timer_start(&t, stop_soon, 10, 0);
	xchg(&f, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n", &r);
	assert_non_null(strstr(r.data, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(r.data, "Connection: close\r\n"));
	assert_non_null(strstr(r.data, "slow\n"));
	hc_free(&r);
	uv_close((uv_handle_t *)&f.slow, NULL);
	uv_run(&f.loop, UV_RUN_DEFAULT);
	assert_int_equal(f.closed, 1);
	assert_int_equal(uv_loop_close(&f.loop), 0);
}

static void
test_addresses(void **state)
{
	const char *bad[] = { "9090", "host", ":", ":99999", "[::1:80",
	    "a:b:c", ":-1", "no-such-host.invalid:80" };
	struct http_server *srv;
	struct err e = { 0 };
	uv_loop_t loop;
	struct http_server_opts o = { .addr = "[::1]:0" };

	(void)state;
	uv_loop_init(&loop);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.addr = bad[i];
		o.name = "artifact server";
		if (http_server_new(&loop, &o, handler, NULL, &srv, &e) == 0)
			fail_msg("%s accepted", bad[i]);
		assert_non_null(strstr(e.msg, "artifact server"));
	}
	o.addr = ":0";
	assert_int_equal(http_server_new(&loop, &o, handler, NULL, &srv, &e),
	    0);
	http_server_close(srv, 0, NULL, NULL);
	o.addr = "localhost:0";
	assert_int_equal(http_server_new(&loop, &o, handler, NULL, &srv, &e),
	    0);
	http_server_close(srv, 0, NULL, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void
test_parser_byte_at_a_time(void **state)
{
	const char req[] = "GET /p?x=%20 HTTP/1.1\r\nHost: h\r\nA: 1\r\n"
	    "B:\r\n\r\nGET /n HTTP/1.1\r\nHost: h\r\n\r\n";
	struct http_reqp_limits lim = { 4096, 10, 100, 10 };
	struct http_reqp p;
	size_t used, i;
	enum http_reqp_rc rc = HTTP_REQP_MORE;

	(void)state;
	http_reqp_init(&p, &lim);
	for (i = 0; i < sizeof(req) - 1 && rc == HTTP_REQP_MORE; i++)
		rc = http_reqp_feed(&p, req + i, 1, &used);
	assert_int_equal(rc, HTTP_REQP_DONE);
	assert_string_equal(p.req.pub.method, "GET");
	assert_string_equal(p.req.pub.path, "/p");
	assert_string_equal(p.req.pub.query, "x=%20");
	assert_string_equal(http_req_header(&p.req.pub, "a"), "1");
	assert_string_equal(http_req_header(&p.req.pub, "B"), "");
	assert_null(http_req_header(&p.req.pub, "C"));
	http_reqp_next(&p);
	rc = http_reqp_feed(&p, req + i, sizeof(req) - 1 - i, &used);
	assert_int_equal(rc, HTTP_REQP_DONE);
	assert_string_equal(p.req.pub.path, "/n");
	http_reqp_free(&p);
}

static void
test_dates(void **state)
{
	char d[HTTP_DATE_LEN];
	int64_t t;

	(void)state;
	http_date_format(784111777, d);
	assert_string_equal(d, "Sun, 06 Nov 1994 08:49:37 GMT");
	assert_int_equal(http_date_parse(d, &t), 0);
	assert_int_equal(t, 784111777);
	assert_int_equal(http_date_parse("Sunday, 06-Nov-94 08:49:37 GMT",
	    &t), -1);
	assert_int_equal(http_date_parse("Sun, 06 Nov 1994 08:49:37 UTC",
	    &t), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keepalive_pipelined_in_order),
		cmocka_unit_test(test_http10_and_close),
		cmocka_unit_test(test_hostile_requests),
		cmocka_unit_test(test_slowloris_and_idle),
		cmocka_unit_test(test_connection_cap),
		cmocka_unit_test(test_graceful_close),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_parser_byte_at_a_time),
		cmocka_unit_test(test_dates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
