/*
 * Fuzz target for exclude decisions (src/base/glob.c as src/engine/copy.c
 * uses it): the first line of the input is an exclude pattern, every further
 * line a source-relative path. Each path is decided the way the copy engine
 * decides it (one pass over the whole path, the tail below a literal prefix
 * and the base name) under one work budget per input, and checked against:
 *
 * - the union: the one-pass answer equals the separate matches of each tail;
 * - pruning: when a path matches, glob_match_below says yes for every
 *   directory above it (a walk never prunes a match away);
 * - literals: the path with every metacharacter escaped, as a pattern,
 *   matches the path and not the path with one more character.
 *
 * An exhausted budget (-1) is an allowed answer, never mixed into a check;
 * crashes, leaks, hangs and broken invariants are not.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/glob.h"

#define FUZZ_STEPS (1L << 20)
#define FUZZ_PATH_MAX 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t
segments(const char *s)
{
	size_t n = 1;

	while ((s = strchr(s, '/')) != NULL) {
		n++;
		s++;
	}
	return n;
}

/* The path after its first k segments. */
static const char *
tail(const char *s, size_t k)
{
	while (k-- > 0 && (s = strchr(s, '/')) != NULL)
		s++;
	return s != NULL ? s : "";
}

/* A normalized relative path: no empty, "." or ".." segment. */
static int
normalized(const char *s)
{
	const char *end;

	if (*s == '\0')
		return 0;
	for (;;) {
		end = strchrnul(s, '/');
		if (end == s || (end - s == 1 && s[0] == '.') ||
		    (end - s == 2 && s[0] == '.' && s[1] == '.'))
			return 0;
		if (*end == '\0')
			return 1;
		s = end + 1;
	}
}

static void
check_union(const struct glob *g, const char *path, struct glob_work *w)
{
	size_t skip[2] = { 0, segments(path) - 1 };
	int all, a, b;
	struct err e;

	all = glob_match_tails(g, path, skip, 2, w, &e);
	a = glob_match(g, path, w, &e);
	b = glob_match(g, tail(path, skip[1]), w, &e);
	if (all < 0 || a < 0 || b < 0)
		return;
	if (all != (a || b))
		abort();
}

static void
check_pruning(const struct glob *g, const char *path, struct glob_work *w)
{
	char dir[FUZZ_PATH_MAX];
	const char *s = path;
	struct err e;
	size_t n;

	if (glob_match(g, path, w, &e) != 1)
		return;
	if (glob_match_below(g, "", w, &e) == 0)
		abort();
	while ((s = strchr(s, '/')) != NULL) {
		n = (size_t)(s - path);
		memcpy(dir, path, n);
		dir[n] = '\0';
		if (glob_match_below(g, dir, w, &e) == 0)
			abort();
		s++;
	}
}

static void
check_literal(const char *path)
{
	char pat[2 * FUZZ_PATH_MAX + 2], longer[FUZZ_PATH_MAX + 2];
	struct glob_work w;
	struct glob *g;
	struct err e;
	size_t i, n = 0;

	for (i = 0; path[i] != '\0'; i++) {
		if (strchr("*?[]{}\\,", path[i]) != NULL)
			pat[n++] = '\\';
		pat[n++] = path[i];
	}
	pat[n] = '\0';
	if (n > GLOB_PATTERN_MAX)
		return;
	if (glob_compile(pat, &g, &e) != 0)
		abort();
	snprintf(longer, sizeof(longer), "%sx", path);
	/* plain text costs a few steps per byte: never exhausted */
	glob_work_init(&w, FUZZ_STEPS);
	if (glob_match(g, path, &w, &e) != 1 ||
	    glob_match(g, longer, &w, &e) != 0)
		abort();
	glob_work_fini(&w);
	glob_free(g);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *line, *save = NULL;
	struct glob_work w;
	struct glob *g;
	struct err e;

	if (size > 4096 || (buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	line = strtok_r(buf, "\n", &save);
	if (line == NULL || glob_compile(line, &g, &e) != 0) {
		free(buf);
		return 0;
	}
	glob_work_init(&w, FUZZ_STEPS);
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		if (strlen(line) >= FUZZ_PATH_MAX || !normalized(line))
			continue;
		check_union(g, line, &w);
		check_pruning(g, line, &w);
		check_literal(line);
	}
	glob_work_fini(&w);
	glob_free(g);
	free(buf);
	return 0;
}
