/*
 * hclient: a raw loopback TCP client on a uv loop for the HTTP server
 * suites: sends bytes as given (garbage, pipelined requests, slow
 * clients), optionally half-closes, and collects everything the server
 * sends until it closes or a timeout passes. Test-only; the caller's
 * server runs on the same loop. Output is malloc'd (NUL-terminated).
 */
#ifndef AG_TEST_HCLIENT_H
#define AG_TEST_HCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct hc_result {
	char *data;		/* what the server sent (NUL-terminated) */
	size_t len;
	bool closed;		/* the server closed (EOF or reset) */
	bool reset;		/* ... with an error (ECONNRESET) */
	uint64_t ms;		/* from connect to close or timeout */
};

/* Sends req (len bytes) in one write, half-closes when half_close, and
 * reads until EOF or timeout_ms. */
void hc_exchange(uv_loop_t *loop, int port, const void *req, size_t len,
    bool half_close, uint64_t timeout_ms, struct hc_result *r);
/* Counts occurrences of needle in the result. */
int hc_count(const struct hc_result *r, const char *needle);
void hc_free(struct hc_result *r);

#endif
