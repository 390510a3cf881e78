/*
 * Unit tests for src/controller/artifact_server.c over loopback: GET and
 * HEAD of a published file (body, Content-Length/Type, ETag,
 * Last-Modified), 304 on If-None-Match and If-Modified-Since, single
 * ranges (206, suffix, open-ended, If-Range, 416), a multi-MiB body through
 * sendfile, the 404 rules (directories, lock and temp files, dot
 * components, every escape attempt, symlinks, long paths), 405, and GET /.
 */
#include "testutil.h"
#include "hclient.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "controller/artifact_server.h"

#define ART "externalartifact/ns/app/1234.tar.gz"

struct fx {
	uv_loop_t loop;
	char *dir;
	struct storage st;
	struct artifact_server *as;
	int port;
	char *big;
	size_t big_len;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct artifact_server_opts o = { .addr = "127.0.0.1:0" };
	struct err e = { 0 };

	f->dir = tu_mkdtemp();
	tu_write_str(f->dir, ART, "0123456789abcdef");
	tu_write_str(f->dir, "externalartifact/ns/app/1234.tar.gz.lock", "");
	tu_write_str(f->dir, "externalartifact/ns/app/x.tar.gz.tmp-abc", "t");
	tu_write_str(f->dir, ".staging/ns/app/f", "s");
	tu_write_str(f->dir, "externalartifact/ns/.hidden/f", "h");
	tu_write_str(f->dir, "outside", "secret");
	tu_symlink(f->dir, "externalartifact/ns/app/link.tar.gz", "1234.tar.gz");
	tu_symlink(f->dir, "externalartifact/ns/ln", "app");
	f->big_len = 3u << 20;
	f->big = malloc(f->big_len);
	tu_random_bytes(7, f->big, f->big_len);
	tu_write(f->dir, "externalartifact/ns/big/b.tar.gz", f->big,
	    f->big_len);
	assert_int_equal(storage_init(&f->st, f->dir, "127.0.0.1:1", &e), 0);
	uv_loop_init(&f->loop);
	o.storage = &f->st;
	assert_int_equal(artifact_server_start(&f->loop, &o, &f->as, &e), 0);
	f->port = artifact_server_port(f->as);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	artifact_server_close(f->as, 0, NULL, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	storage_free(&f->st);
	tu_rmtree(f->dir);
	free(f->big);
	free(f);
	return 0;
}

static void
get(struct fx *f, const char *method, const char *path, const char *hdrs,
    struct hc_result *r)
{
	char req[8192];

	snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: x\r\n%s\r\n",
	    method, path, hdrs ? hdrs : "");
	hc_exchange(&f->loop, f->port, req, strlen(req), true, 5000, r);
}

static char *
header_of(const struct hc_result *r, const char *name, char *out,
    size_t cap)
{
	const char *p = strstr(r->data, name), *e;

	out[0] = '\0';
	if (p == NULL)
		return out;
	p += strlen(name);
	e = strstr(p, "\r\n");
	snprintf(out, cap, "%.*s", (int)(e - p), p);
	return out;
}

static void
test_get_and_head(void **state)
{
	struct fx *f = *state;
	struct hc_result r;
	char v[128];

	get(f, "GET", "/" ART, NULL, &r);
	assert_non_null(strstr(r.data, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(r.data, "Content-Length: 16\r\n"));
	assert_non_null(strstr(r.data, "Content-Type: application/gzip\r\n"));
	assert_non_null(strstr(r.data, "Accept-Ranges: bytes\r\n"));
	assert_string_not_equal(header_of(&r, "ETag: ", v, sizeof(v)), "");
	assert_true(strlen(header_of(&r, "Last-Modified: ", v, sizeof(v))) ==
	    29);
	assert_non_null(strstr(r.data, "\r\n\r\n0123456789abcdef"));
	hc_free(&r);
	get(f, "HEAD", "/" ART, NULL, &r);
	assert_non_null(strstr(r.data, "Content-Length: 16\r\n"));
	assert_null(strstr(r.data, "0123"));
	hc_free(&r);
	get(f, "GET", "/", NULL, &r);
	assert_non_null(strstr(r.data, "HTTP/1.1 200 OK\r\n"));
	hc_free(&r);
	get(f, "POST", "/" ART, "Content-Length: 0\r\n", &r);
	assert_non_null(strstr(r.data, "HTTP/1.1 405 "));
	assert_non_null(strstr(r.data, "Allow: GET, HEAD\r\n"));
	hc_free(&r);
}

static void
test_conditional(void **state)
{
	struct fx *f = *state;
	struct hc_result r;
	char etag[128], lm[64], h[256];

	get(f, "GET", "/" ART, NULL, &r);
	header_of(&r, "ETag: ", etag, sizeof(etag));
	header_of(&r, "Last-Modified: ", lm, sizeof(lm));
	hc_free(&r);
	snprintf(h, sizeof(h), "If-None-Match: \"x\", %s\r\n", etag);
	get(f, "GET", "/" ART, h, &r);
	assert_non_null(strstr(r.data, "HTTP/1.1 304 "));
	assert_null(strstr(r.data, "Content-Length"));
	assert_null(strstr(r.data, "0123"));
	hc_free(&r);
	get(f, "GET", "/" ART, "If-None-Match: \"other\"\r\n", &r);
	assert_non_null(strstr(r.data, "HTTP/1.1 200 "));
	hc_free(&r);
	snprintf(h, sizeof(h), "If-Modified-Since: %s\r\n", lm);
	get(f, "GET", "/" ART, h, &r);
	assert_non_null(strstr(r.data, "HTTP/1.1 304 "));
	hc_free(&r);
	get(f, "GET", "/" ART, "If-Modified-Since: Thu, 01 Jan 1970 00:00:01 "
	    "GMT\r\n", &r);
	assert_non_null(strstr(r.data, "HTTP/1.1 200 "));
	hc_free(&r);
}

static void
test_ranges(void **state)
{
	struct fx *f = *state;
	struct hc_result r;
	char h[256], etag[128];

	get(f, "GET", "/" ART, "Range: bytes=2-5\r\n", &r);
	assert_non_null(strstr(r.data, "HTTP/1.1 206 "));
	assert_non_null(strstr(r.data, "Content-Range: bytes 2-5/16\r\n"));
	assert_non_null(strstr(r.data, "Content-Length: 4\r\n"));
	assert_non_null(strstr(r.data, "\r\n\r\n2345"));
	assert_int_equal(strlen(strstr(r.data, "\r\n\r\n")), 8);
	hc_free(&r);
	get(f, "GET", "/" ART, "Range: bytes=-3\r\n", &r);
	assert_non_null(strstr(r.data, "Content-Range: bytes 13-15/16\r\n"));
	assert_non_null(strstr(r.data, "\r\n\r\ndef"));
	hc_free(&r);
	get(f, "GET", "/" ART, "Range: bytes=10-\r\n", &r);
	assert_non_null(strstr(r.data, "\r\n\r\nabcdef"));
	hc_free(&r);
	get(f, "GET", "/" ART, "Range: bytes=16-\r\n", &r);
	assert_non_null(strstr(r.data, "HTTP/1.1 416 "));
	assert_non_null(strstr(r.data, "Content-Range: bytes */16\r\n"));
	hc_free(&r);
	get(f, "GET", "/" ART, "Range: bytes=0-1,4-5\r\n", &r);
	assert_non_null(strstr(r.data, "HTTP/1.1 200 "));
	hc_free(&r);
	get(f, "GET", "/" ART, "Range: bytes=2-3\r\nIf-Range: \"stale\"\r\n",
	    &r);
	assert_non_null(strstr(r.data, "HTTP/1.1 200 "));
	hc_free(&r);
	get(f, "HEAD", "/" ART, NULL, &r);
	header_of(&r, "ETag: ", etag, sizeof(etag));
	hc_free(&r);
	snprintf(h, sizeof(h), "Range: bytes=2-3\r\nIf-Range: %s\r\n", etag);
	get(f, "GET", "/" ART, h, &r);
	assert_non_null(strstr(r.data, "HTTP/1.1 206 "));
	hc_free(&r);
}

static void
test_big_body_and_keepalive(void **state)
{
	struct fx *f = *state;
	const char *req = "GET /externalartifact/ns/big/b.tar.gz HTTP/1.1\r\n"
	    "Host: x\r\n\r\nGET /externalartifact/ns/big/b.tar.gz HTTP/1.1\r\n"
	    "Host: x\r\n\r\n";
	struct hc_result r;
	const char *b1, *b2;

	hc_exchange(&f->loop, f->port, req, strlen(req), true, 10000, &r);
	if (hc_count(&r, "HTTP/1.1 200 OK\r\n") != 2)
		fail_msg("len %zu closed %d reset %d ms %d: %.300s", r.len,
		    r.closed, r.reset, (int)r.ms, r.data);
	assert_int_equal(hc_count(&r, "HTTP/1.1 200 OK\r\n"), 2);
	b1 = strstr(r.data, "\r\n\r\n") + 4;
	assert_memory_equal(b1, f->big, f->big_len);
	b2 = memmem(b1 + f->big_len, 512, "\r\n\r\n", 4);
	assert_non_null(b2);
	b2 += 4;
	assert_int_equal((size_t)(r.data + r.len - b2), f->big_len);
	assert_memory_equal(b2, f->big, f->big_len);
	hc_free(&r);
	assert_true(artifact_server_stats(f->as)->bytes >= 2 * f->big_len);
}

static void
test_not_found(void **state)
{
	const char *paths[] = {
		"/externalartifact/ns/app", "/externalartifact/ns/app/",
		"/externalartifact/ns/app/missing.tar.gz",
		"/externalartifact/ns/app/1234.tar.gz.lock",
		"/externalartifact/ns/app/x.tar.gz.tmp-abc",
		"/.staging/ns/app/f", "/externalartifact/ns/.hidden/f",
		"/externalartifact/ns/app/../../../outside",
		"/externalartifact/ns/app/%2e%2e", "/externalartifact/%2E%2E/x/y",
		"/externalartifact/ns/app%2f1234.tar.gz/x",
		"/externalartifact//ns/app/1234.tar.gz",
		"/externalartifact/ns/app/..\\..\\outside",
		"/externalartifact/ns/app/%5c1234.tar.gz",
		"/externalartifact/ns/app/1234.tar.gz%00",
		"/externalartifact/ns/app/%zz", "/externalartifact/ns/app/%4",
		"/externalartifact/ns/app/link.tar.gz",
		"/externalartifact/ns/ln/1234.tar.gz",
		"/externalartifact/ns/app/1234.tar.gz/more", "/outside",
		"/externalartifact/ns/app/./1234.tar.gz",
	};
	struct fx *f = *state;
	struct hc_result r;
	char longp[1200];

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		get(f, "GET", paths[i], NULL, &r);
		if (strncmp(r.data, "HTTP/1.1 404 ", 13) != 0)
			fail_msg("%s: %.40s", paths[i], r.data);
		hc_free(&r);
	}
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	memcpy(longp, "/externalartifact/ns/app/", 25);
	get(f, "GET", longp, NULL, &r);
	assert_non_null(strstr(r.data, "HTTP/1.1 404 "));
	hc_free(&r);
	get(f, "GET", "/" ART, NULL, &r);       /* still serving */
	assert_non_null(strstr(r.data, "HTTP/1.1 200 "));
	hc_free(&r);
}

static void
test_path_split(void **state)
{
	char buf[1100];
	const char *c[4];

	(void)state;
	assert_int_equal(artifact_path_split("/a/b%41/c/d.tar.gz", buf,
	    sizeof(buf), c), 0);
	assert_string_equal(c[1], "bA");
	assert_string_equal(c[3], "d.tar.gz");
	assert_int_equal(artifact_path_split("/a/b/c/%2e", buf, sizeof(buf),
	    c), -1);
	assert_int_equal(artifact_path_split("/a/b/c", buf, sizeof(buf), c),
	    -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_get_and_head, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_conditional, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_ranges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_body_and_keepalive,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_found, setup,
		    teardown),
		cmocka_unit_test(test_path_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
