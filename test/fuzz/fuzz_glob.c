/*
 * Fuzz target for src/base/glob.c: the first line of the input is a
 * pattern, every further line a path matched against it (and asked whether
 * something below it could match), all under one work budget. Compile
 * errors and an exhausted budget are fine; crashes, leaks and hangs are not.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/glob.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *line, *save = NULL;
	struct glob_work w;
	struct glob *g;
	struct err e;

	if (size > 8192)
		return 0;
	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	line = strtok_r(buf, "\n", &save);
	glob_work_init(&w, 1L << 22);
	if (line != NULL && glob_compile(line, &g, &e) == 0) {
		while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
			(void)glob_match(g, line, &w, &e);
			(void)glob_match_below(g, line, &w, &e);
		}
		glob_free(g);
	}
	glob_work_fini(&w);
	free(buf);
	return 0;
}
