/*
 * tsrv: a scripted loopback HTTP/1.1 server on a uv loop, for unit suites
 * that drive an API client (the kube client's, the informer's). The i-th
 * request received gets script[i]: an answer (code, optional extra header
 * lines, JSON body, Content-Length framed), no answer ever (hold 1: a watch
 * that stays open), or a closed connection (hold 2). Each request's line
 * ("GET /path?query"), header lines, body (Content-Length framed) and
 * arrival time are recorded.
 * Requests past the script get no answer. Test-only: fails the cmocka test
 * on unexpected input. Close with tsrv_close, then run the loop.
 */
#ifndef AG_TEST_TSRV_H
#define AG_TEST_TSRV_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define TSRV_MAX_REQS 64

struct tsrv_resp {
	int code;
	const char *body;
	int hold;		/* 1: never answer; 2: close the connection */
	const char *headers;	/* NULL, or extra lines each ending \r\n */
};

struct tsrv_req {
	char line[1024];	/* "GET /path?query" */
	char headers[2048];	/* the header lines, each ending \r\n */
	char body[2048];
	uint64_t at_ms;		/* uv_now at arrival */
};

struct tsrv {
	uv_loop_t *loop;
	uv_tcp_t tcp;
	int port;
	const struct tsrv_resp *script;
	const size_t *lens;	/* NULL, or body lengths (0: strlen) */
	size_t nscript;
	struct tsrv_req reqs[TSRV_MAX_REQS];
	size_t nreq;
};

/* Listens on 127.0.0.1 (a free port, in s->port); script is borrowed. */
void tsrv_start(struct tsrv *s, uv_loop_t *loop,
    const struct tsrv_resp *script, size_t n);
/* The same on a given port (0: a free one), with binary bodies: lens
 * (borrowed, n entries, or NULL) gives each body's length, 0 meaning
 * strlen. */
void tsrv_start_port(struct tsrv *s, uv_loop_t *loop, int port,
    const struct tsrv_resp *script, const size_t *lens, size_t n);
/* Closes the listener and every connection (run the loop afterwards). */
void tsrv_close(struct tsrv *s);

#endif
