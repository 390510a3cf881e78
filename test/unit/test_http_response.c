/*
 * Unit tests for src/net/http_response.c (the socket-free response parser)
 * and src/net/http_url.c: framing (content-length, chunked, until close,
 * HEAD, 204, 1xx), header storage and lookup, bounds (header block, buffered
 * body), malformed input, byte-at-a-time feeding, and URL splitting.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/http_response.h"
#include "net/http_url.h"

struct sink {
	int headers_calls;
	int status_at_headers;
	char body[4096];
	size_t body_len;
	int fail_body;
};

static int
sink_headers(void *data, const struct http_response *r, struct err *e)
{
	struct sink *s = data;

	(void)e;
	s->headers_calls++;
	s->status_at_headers = r->status;
	return 0;
}

static int
sink_body(void *data, const char *p, size_t len, struct err *e)
{
	struct sink *s = data;

	if (s->fail_body)
		return err_set(e, "disk full");
	assert_true(s->body_len + len < sizeof(s->body));
	memcpy(s->body + s->body_len, p, len);
	s->body_len += len;
	return 0;
}

static const struct http_response_cbs sink_cbs = { sink_headers, sink_body };

/* Feeds text whole (step 0) or step bytes at a time; returns the result of
 * the last feed (-1 on failure) and the total consumed in *used. */
static long
feed(struct http_response_parser *p, const char *text, size_t step,
    size_t *used, struct err *e)
{
	size_t len = strlen(text), off = 0;
	long n = 0;

	if (step == 0)
		step = len;
	while (off < len && !p->complete) {
		size_t k = len - off < step ? len - off : step;

		n = http_response_parser_feed(p, text + off, k, e);
		if (n < 0)
			return n;
		off += (size_t)n;
	}
	*used = off;
	return n;
}

/* Parses a whole response fed step bytes at a time; asserts completion. */
static void
parse_ok(struct http_response_parser *p, struct sink *s, const char *text,
    size_t step, size_t *used)
{
	struct err e;

	memset(s, 0, sizeof(*s));
	http_response_parser_init(p, 0, 0, 0, &sink_cbs, s);
	if (feed(p, text, step, used, &e) < 0)
		fail_msg("%s", e.msg);
	assert_true(p->complete);
}

static void
test_content_length_any_split(void **state)
{
	const char *resp = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
	    "X-Multi:  spaced value  \r\nx-multi: second\r\n\r\nhelloEXTRA";

	(void)state;
	for (size_t step = 0; step <= 7; step++) {
		struct http_response_parser p;
		struct sink s;
		size_t used;

		parse_ok(&p, &s, resp, step, &used);
		assert_int_equal(used, strlen(resp) - 5);  /* EXTRA unread */
		assert_int_equal(p.resp.status, 200);
		assert_int_equal(p.resp.content_length, 5);
		assert_true(p.resp.keep_alive);
		assert_int_equal(s.headers_calls, 1);
		assert_int_equal(s.body_len, 5);
		assert_memory_equal(s.body, "hello", 5);
		assert_string_equal(http_response_header(&p.resp, "x-multi"),
		    "spaced value");
		assert_string_equal(http_response_header(&p.resp,
		    "CONTENT-LENGTH"), "5");
		assert_null(http_response_header(&p.resp, "missing"));
		http_response_parser_free(&p);
	}
}

static void
test_header_iteration_and_empty_value(void **state)
{
	const char *resp = "HTTP/1.1 200 OK\r\nA: 1\r\nEmpty:\r\nB: 2\r\n"
	    "Content-Length: 0\r\n\r\n";
	struct http_response_parser p;
	const char *n, *v;
	size_t pos = 0, used;
	struct err e;
	int count = 0;

	(void)state;
	http_response_parser_init(&p, 0, 0, 0, NULL, NULL);
	assert_true(feed(&p, resp, 1, &used, &e) >= 0);
	assert_true(p.complete);
	assert_string_equal(http_response_header(&p.resp, "empty"), "");
	assert_string_equal(http_response_header(&p.resp, "b"), "2");
	while (http_response_header_next(&p.resp, &pos, &n, &v))
		count++;
	assert_int_equal(count, 4);
	http_response_parser_free(&p);
}

static void
test_chunked_with_trailer(void **state)
{
	const char *resp = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	    "\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\n";

	(void)state;
	for (size_t step = 0; step <= 3; step++) {
		struct http_response_parser p;
		struct sink s;
		size_t used;

		parse_ok(&p, &s, resp, step, &used);
		assert_int_equal(p.resp.content_length, -1);
		assert_int_equal(s.body_len, 11);
		assert_memory_equal(s.body, "hello world", 11);
		assert_null(http_response_header(&p.resp, "trailer"));
		http_response_parser_free(&p);
	}
}

static void
test_body_until_close(void **state)
{
	const char *resp = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nabc";
	struct http_response_parser p;
	struct sink s = { 0 };
	struct err e;
	size_t used;

	(void)state;
	http_response_parser_init(&p, 0, 0, 0, &sink_cbs, &s);
	assert_true(feed(&p, resp, 0, &used, &e) >= 0);
	assert_false(p.complete);
	assert_int_equal(http_response_parser_eof(&p, &e), 0);
	assert_true(p.complete);
	assert_false(p.resp.keep_alive);
	assert_memory_equal(s.body, "abc", 3);
	http_response_parser_free(&p);
}

static void
test_truncated_body_is_an_error(void **state)
{
	struct http_response_parser p;
	struct err e;
	size_t used;

	(void)state;
	http_response_parser_init(&p, 0, 0, 0, NULL, NULL);
	assert_true(feed(&p, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"
	    "abc", 0, &used, &e) >= 0);
	assert_int_equal(http_response_parser_eof(&p, &e), -1);
	assert_int_equal(p.fail, HTTP_PARSE_TRUNCATED);
	assert_string_equal(e.msg, "connection closed before the response "
	    "body was complete");
	http_response_parser_free(&p);

	http_response_parser_init(&p, 0, 0, 0, NULL, NULL);
	assert_true(feed(&p, "HTTP/1.1 200 OK\r\nConte", 0, &used, &e) >= 0);
	assert_int_equal(http_response_parser_eof(&p, &e), -1);
	assert_string_equal(e.msg, "connection closed before the response "
	    "headers were complete");
	http_response_parser_free(&p);
}

static void
test_head_204_304_have_no_body(void **state)
{
	static const struct { int head; const char *text; int status; } c[] = {
		{ 1, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", 200 },
		{ 0, "HTTP/1.1 204 No Content\r\n\r\n", 204 },
		{ 0, "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n",
		  304 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct http_response_parser p;
		struct err e;
		size_t used;

		http_response_parser_init(&p, c[i].head, 0, 0, NULL, NULL);
		assert_true(feed(&p, c[i].text, 0, &used, &e) >= 0);
		assert_true(p.complete);
		assert_true(p.resp.keep_alive);
		assert_int_equal(p.resp.status, c[i].status);
		http_response_parser_free(&p);
	}
}

static void
test_informational_response_skipped(void **state)
{
	struct http_response_parser p;
	struct sink s = { 0 };
	struct err e;
	size_t used;

	(void)state;
	http_response_parser_init(&p, 0, 0, 0, &sink_cbs, &s);
	assert_true(feed(&p, "HTTP/1.1 100 Continue\r\nX-A: 1\r\n\r\n"
	    "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", 0, &used,
	    &e) >= 0);
	assert_true(p.complete);
	assert_int_equal(s.headers_calls, 1);
	assert_int_equal(s.status_at_headers, 201);
	assert_null(http_response_header(&p.resp, "x-a"));
	http_response_parser_free(&p);
}

static void
test_malformed_reports_llhttp_reason(void **state)
{
	static const char *bad[] = {
		"HTTP/1.1 2x0 OK\r\n\r\n",
		"garbage\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"HTTP/1.1 200 OK\r\nX: a\001b\r\nContent-Length: 0\r\n\r\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct http_response_parser p;
		struct err e;
		size_t used;

		http_response_parser_init(&p, 0, 0, 0, NULL, NULL);
		assert_int_equal(feed(&p, bad[i], 0, &used, &e), -1);
		assert_int_equal(p.fail, HTTP_PARSE_MALFORMED);
		assert_non_null(strstr(e.msg, "malformed response: "));
		assert_non_null(strstr(e.msg, "(HPE_"));
		/* a failed parser stays failed */
		assert_int_equal(http_response_parser_feed(&p, "x", 1, &e), -1);
		http_response_parser_free(&p);
	}
}

static void
test_header_block_bounded(void **state)
{
	struct http_response_parser p;
	char line[200];
	struct err e;
	long n = 0;

	(void)state;
	http_response_parser_init(&p, 0, 1024, 0, NULL, NULL);
	n = http_response_parser_feed(&p, "HTTP/1.1 200 OK\r\n", 17, &e);
	for (int i = 0; i < 20 && n >= 0; i++) {
		snprintf(line, sizeof(line), "X-%02d: %0100d\r\n", i, 0);
		n = http_response_parser_feed(&p, line, strlen(line), &e);
	}
	assert_int_equal(n, -1);
	assert_int_equal(p.fail, HTTP_PARSE_HEADERS_TOO_BIG);
	assert_string_equal(e.msg, "response headers exceed 1024 bytes");
	assert_true(p.resp.hdr_cap <= 1024);
	http_response_parser_free(&p);
}

static void
test_buffered_body_limit(void **state)
{
	struct http_response_parser p;
	struct err e;
	size_t used;

	(void)state;
	http_response_parser_init(&p, 0, 0, 8, NULL, NULL);
	assert_true(feed(&p, "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n"
	    "12345678", 1, &used, &e) >= 0);
	assert_true(p.complete);
	assert_string_equal(p.resp.body, "12345678");
	assert_int_equal(p.resp.body_len, 8);
	http_response_parser_free(&p);

	/* declared too big: refused before any body byte */
	http_response_parser_init(&p, 0, 0, 8, NULL, NULL);
	assert_int_equal(feed(&p, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n",
	    0, &used, &e), -1);
	assert_int_equal(p.fail, HTTP_PARSE_BODY_TOO_BIG);
	assert_string_equal(e.msg, "response body exceeds 8 bytes");
	http_response_parser_free(&p);

	/* chunked: refused when the bytes cross the limit */
	http_response_parser_init(&p, 0, 0, 8, NULL, NULL);
	assert_int_equal(feed(&p, "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n5\r\n12345\r\n5\r\n67890\r\n", 2, &used, &e), -1);
	assert_int_equal(p.fail, HTTP_PARSE_BODY_TOO_BIG);
	http_response_parser_free(&p);
}

static void
test_callback_failure_propagates(void **state)
{
	struct http_response_parser p;
	struct sink s = { .fail_body = 1 };
	struct err e;
	size_t used;

	(void)state;
	http_response_parser_init(&p, 0, 0, 0, &sink_cbs, &s);
	assert_int_equal(feed(&p, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n"
	    "abc", 0, &used, &e), -1);
	assert_int_equal(p.fail, HTTP_PARSE_CALLBACK);
	assert_string_equal(e.msg, "disk full");
	http_response_parser_free(&p);
}

static void
test_url_parse(void **state)
{
	struct http_url u;
	struct err e;

	(void)state;
	assert_int_equal(http_url_parse(&u, "https://api.example:6443/api/v1"
	    "/pods?watch=1#frag", &e), 0);
	assert_true(u.tls);
	assert_string_equal(u.host, "api.example");
	assert_int_equal(u.port, 6443);
	assert_false(u.default_port);
	assert_int_equal(u.target_len, strlen("/api/v1/pods?watch=1"));
	assert_memory_equal(u.target, "/api/v1/pods?watch=1", u.target_len);

	assert_int_equal(http_url_parse(&u, "HTTP://[::1]/", &e), 0);
	assert_false(u.tls);
	assert_true(u.ipv6);
	assert_string_equal(u.host, "::1");
	assert_int_equal(u.port, 80);
	assert_true(u.default_port);

	assert_int_equal(http_url_parse(&u, "http://h?q", &e), 0);
	assert_memory_equal(u.target, "?q", 2);

	static const struct { const char *url, *msg; } bad[] = {
		{ "ftp://h/", "scheme must be http or https" },
		{ "http://:80/", "empty host" },
		{ "http://h:0/", "port out of range" },
		{ "http://h:65536/", "port out of range" },
		{ "http://h:8x/", "invalid port" },
		{ "http://u:p@h/", "credentials" },
		{ "http://[::1/", "unterminated" },
		{ "http://h/a b", "invalid character in path" },
		{ "http://h\"x/", "invalid character in host" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(http_url_parse(&u, bad[i].url, &e), -1);
		if (strstr(e.msg, bad[i].msg) == NULL)
			fail_msg("%s: '%s'", bad[i].url, e.msg);
	}
}

static void
test_url_bounds(void **state)
{
	char *url = malloc(HTTP_URL_MAX + 64);
	struct http_url u;
	struct err e;

	(void)state;
	strcpy(url, "http://");
	memset(url + 7, 'a', 300);
	strcpy(url + 307, "/");
	assert_int_equal(http_url_parse(&u, url, &e), -1);
	assert_non_null(strstr(e.msg, "host name too long"));
	strcpy(url, "http://h/");
	memset(url + 9, 'p', HTTP_URL_MAX);
	url[HTTP_URL_MAX + 9] = '\0';
	assert_int_equal(http_url_parse(&u, url, &e), -1);
	assert_non_null(strstr(e.msg, "URL too long"));
	free(url);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_content_length_any_split),
		cmocka_unit_test(test_header_iteration_and_empty_value),
		cmocka_unit_test(test_chunked_with_trailer),
		cmocka_unit_test(test_body_until_close),
		cmocka_unit_test(test_truncated_body_is_an_error),
		cmocka_unit_test(test_head_204_304_have_no_body),
		cmocka_unit_test(test_informational_response_skipped),
		cmocka_unit_test(test_malformed_reports_llhttp_reason),
		cmocka_unit_test(test_header_block_bounded),
		cmocka_unit_test(test_buffered_body_limit),
		cmocka_unit_test(test_callback_failure_propagates),
		cmocka_unit_test(test_url_parse),
		cmocka_unit_test(test_url_bounds),
	};
	return cmocka_run_group_tests_name("http_response", tests, NULL, NULL);
}
