/*
 * Fuzz target for the HTTP response path (src/net/http_response.c): status
 * line, headers, content-length / chunked / until-close framing, the header
 * and body bounds. The first input byte picks the mode (HEAD request, body
 * buffering with a small limit, small header bound) and the feed split size;
 * the rest is fed as server bytes, then EOF. Header lookups walk the stored
 * block so that its invariants are checked too.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "net/http_response.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
fuzz_on_headers(void *d, const struct http_response *r, struct err *e)
{
	const char *n, *v;
	size_t pos = 0, total = 0;

	(void)d;
	(void)e;
	while (http_response_header_next(r, &pos, &n, &v))
		total += strlen(n) + strlen(v);
	(void)http_response_header(r, "content-type");
	return total > r->hdr_len ? -1 : 0;
}

static int
fuzz_on_body(void *d, const char *p, size_t len, struct err *e)
{
	size_t *sum = d;

	(void)e;
	for (size_t i = 0; i < len; i++)
		*sum += (unsigned char)p[i];
	return 0;
}

static const struct http_response_cbs fuzz_cbs = {
	fuzz_on_headers, fuzz_on_body,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_response_parser p;
	struct err e;
	size_t off, step, sum = 0;
	uint8_t mode;
	long n;

	if (size < 1)
		return 0;
	mode = data[0];
	data++;
	size--;
	step = (size_t)(mode >> 4) * 7 + 1;
	http_response_parser_init(&p, mode & 1, (mode & 4) ? 256 : 0,
	    (mode & 2) ? 64 : 0, &fuzz_cbs, &sum);
	for (off = 0; off < size && !p.complete; off += (size_t)n) {
		size_t k = size - off < step ? size - off : step;

		n = http_response_parser_feed(&p, (const char *)data + off, k, &e);
		if (n < 0)
			break;
		if (n == 0 && !p.complete)
			__builtin_trap();   /* no progress without completion */
	}
	if (p.fail == 0)
		(void)http_response_parser_eof(&p, &e);
	if (p.resp.body_len > 64 || p.resp.hdr_len > p.header_max)
		__builtin_trap();           /* bounds must hold */
	http_response_parser_free(&p);
	return 0;
}
