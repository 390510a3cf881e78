/*
 * glob: compiled path globs for copy operations and exclude rules.
 *
 * Syntax: '*' and '?' within one path segment, '[...]' classes with ranges
 * and negation ('[!...]' or '[^...]'), '{a,b}' alternatives (nested up to
 * GLOB_NEST_MAX, at most GLOB_ALT_MAX expansions in all), '**' as a whole
 * segment matching zero or more segments at any position, and '\' escaping
 * the next character. Paths are '/'-separated and relative; '*' and '?' never
 * match '/'. A dot file is matched like any other name.
 *
 * Matching is non-exponential: alternatives are expanded at compile time and
 * each one is matched with single-backtrack-point loops (one for '*' within a
 * segment, one for '**' across segments), under a step budget.
 *
 * A struct glob is immutable once compiled and may be shared between threads;
 * the caller owns it and frees it with glob_free.
 */
#ifndef AG_GLOB_H
#define AG_GLOB_H

#include <stdbool.h>

#include "base/err.h"

#define GLOB_PATTERN_MAX 1024
#define GLOB_ALT_MAX 256	/* expansions of {..} groups */
#define GLOB_NEST_MAX 8		/* nesting of {..} groups */

struct glob;

/* Compiles pattern; an empty, too long or unbalanced ('[' or '{') pattern, a
 * trailing '\' or too many alternatives is an error naming the pattern and
 * the 1-based position. *out is owned by the caller. */
int glob_compile(const char *pattern, struct glob **out, struct err *e);
void glob_free(struct glob *g);

/* True when the relative path (no leading '/') matches. */
bool glob_match(const struct glob *g, const char *path);
/* True when some path strictly below the directory dir could match (used to
 * prune directory walks; may answer true conservatively). dir "" is the
 * root. */
bool glob_match_below(const struct glob *g, const char *dir);

/* True when s contains a glob metacharacter (* ? [ { or \). */
bool glob_has_meta(const char *s);

#endif
