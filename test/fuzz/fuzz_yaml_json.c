/*
 * Fuzz target for src/base/yaml_json.c: any input either fails with a
 * message or loads into a tree that dumps to YAML which loads back equal.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/yaml_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yaml_json_limits lim = { .max_bytes = 1 << 16, .max_depth = 32,
	    .max_nodes = 10000 };
	json_t *docs, *back;
	struct err e;
	char *out;
	size_t len;

	if (yaml_json_load((const char *)data, size, &lim, &docs, &e) < 0)
		return 0;
	if (yaml_json_dump(docs, &out, &len, &e) == 0) {
		if (yaml_json_load(out, len, NULL, &back, &e) < 0)
			abort();
		if (!json_equal(docs, back))
			abort();
		json_decref(back);
		free(out);
	}
	json_decref(docs);
	return 0;
}
