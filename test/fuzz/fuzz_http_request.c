/*
 * Fuzz target for the server's request path: the llhttp request parser of
 * src/net/http_server_parse.c fed the way a connection feeds it (split
 * reads, several pipelined requests, the parser restarted after each), the
 * header lookups, and the artifact server's path rules
 * (artifact_path_split) on every parsed path. The first byte picks the
 * split size and small or default limits.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "controller/artifact_server.h"
#include "net/http_server_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_request(const struct http_reqp *p)
{
	const struct http_req *r = &p->req.pub;
	char buf[ARTIFACT_PATH_MAX + 8];
	const char *comp[4];

	(void)http_req_header(r, "host");
	(void)http_req_header(r, "range");
	if (r->path[0] != '/' || strlen(r->method) == 0)
		__builtin_trap();
	if (artifact_path_split(r->path, buf, sizeof(buf), comp) == 0) {
		for (int i = 0; i < 4; i++)
			if (comp[i][0] == '.' || strchr(comp[i], '/') != NULL)
				__builtin_trap();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_reqp_limits big = { HTTP_SERVER_HEAD_MAX,
	    HTTP_SERVER_HEADERS_MAX, HTTP_SERVER_TARGET_MAX,
	    HTTP_SERVER_BODY_MAX };
	struct http_reqp_limits small = { 256, 4, 64, 16 };
	struct http_reqp p;
	size_t split, off = 0, n, used;
	enum http_reqp_rc rc;
	int reqs = 0;

	if (size < 1)
		return 0;
	split = (data[0] & 0x7f) + 1;
	http_reqp_init(&p, (data[0] & 0x80) ? &small : &big);
	data++;
	size--;
	while (off < size && reqs < 64) {
		n = size - off < split ? size - off : split;
		rc = http_reqp_feed(&p, (const char *)data + off, n, &used);
		if (rc == HTTP_REQP_ERROR) {
			if (p.fail_status < 400 || p.fail_status > 599)
				__builtin_trap();
			break;
		}
		if (rc == HTTP_REQP_MORE) {
			off += n;
			continue;
		}
		if (used > n)
			__builtin_trap();
		check_request(&p);
		off += used;
		reqs++;
		http_reqp_next(&p);
	}
	http_reqp_free(&p);
	return 0;
}
