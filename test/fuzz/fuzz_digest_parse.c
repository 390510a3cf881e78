/*
 * Fuzz target for digest_parse and digest_algo_parse: any input must be
 * either rejected with a non-empty, printable-ASCII message or parsed into
 * bytes that format back to the input's canonical (lower-case) form.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/digest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_check_round_trip(const char *s, enum digest_algo algo,
    const uint8_t *raw)
{
	char out[DIGEST_STRING_MAX];

	digest_format(algo, raw, out);
	if (strlen(out) != strlen(s) || strcasecmp(out, s) != 0)
		abort();
}

/* Aborts unless the message is non-empty printable ASCII. */
static void
fuzz_check_message(const struct err *e)
{
	const char *p;

	if (e->msg[0] == '\0')
		abort();
	for (p = e->msg; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t raw[DIGEST_RAW_MAX];
	enum digest_algo algo;
	struct err e;
	char *s;

	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	e.msg[0] = '\0';
	if (digest_parse(s, &algo, raw, &e) == 0)
		fuzz_check_round_trip(s, algo, raw);
	else
		fuzz_check_message(&e);
	e.msg[0] = '\0';
	if (digest_algo_parse(s, &algo, &e) == 0) {
		if (strcmp(digest_algo_name(algo), s) != 0)
			abort();
	} else {
		fuzz_check_message(&e);
	}
	free(s);
	return 0;
}
