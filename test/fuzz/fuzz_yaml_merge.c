/*
 * Fuzz target for src/engine/yaml_merge.c: the input is split at the first
 * NUL byte into a base and an overlay document stream (no NUL: the input is
 * merged into itself). Errors are fine; crashes, leaks and hangs are not.
 * A successful merge must itself be valid input to another merge.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/yaml_merge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *nul;
	size_t blen = size, olen = size;
	const char *overlay = text;
	char *out = NULL, *again = NULL;
	size_t len, len2;
	struct err e;

	if (size > 65536)
		return 0;
	if ((nul = memchr(text, '\0', size)) != NULL) {
		blen = (size_t)(nul - text);
		overlay = nul + 1;
		olen = size - blen - 1;
	}
	if (yaml_merge(text, blen, "base", overlay, olen, "overlay", &out,
	    &len, &e) == 0) {
		if (yaml_merge(out, len, "merged", "", 0, "empty", &again,
		    &len2, &e) != 0)
			abort();	/* our own output must parse back */
		free(again);
	}
	free(out);
	return 0;
}
