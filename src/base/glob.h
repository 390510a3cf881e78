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
 * Matching is polynomial and, for the common forms, linear in the path:
 * alternatives are expanded at compile time into segment lists whose equal
 * segments and equal tails are shared, and a path is matched segment by
 * segment against the set of live pattern positions (each distinct segment
 * pattern is tried at most once per path segment). Within a segment the
 * texts between '*' runs are found leftmost-first (memmem for plain text).
 *
 * Every match is charged to a caller's struct glob_work: a step budget
 * shared by all the matches of one job (a copy operation), plus scratch
 * memory. A match that runs the budget out is an error naming the pattern
 * and the path, never a "no": callers must not read it as "not excluded".
 *
 * A struct glob is immutable once compiled and may be shared between threads;
 * the caller owns it and frees it with glob_free. A struct glob_work belongs
 * to one thread; glob_work_fini frees its scratch.
 */
#ifndef AG_GLOB_H
#define AG_GLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define GLOB_PATTERN_MAX 1024
#define GLOB_ALT_MAX 256	/* expansions of {..} groups */
#define GLOB_NEST_MAX 8		/* nesting of {..} groups */

struct glob;

/* The budget and scratch of a sequence of matches (one thread). */
struct glob_work {
	long left;		/* steps left; below 0 = exhausted */
	long budget;		/* the initial budget, for messages */
	uint32_t gen;		/* stamp of the current position set */
	uint32_t *mark;		/* per node: stamp when last added */
	uint32_t *set[2];	/* current and next position sets */
	size_t cap_nodes;
	uint32_t *memo_gen;	/* per segment pattern: stamp of memo */
	uint8_t *memo;		/* per segment pattern: matched */
	size_t cap_segs;
};

/* Compiles pattern; an empty, too long or unbalanced ('[' or '{') pattern, a
 * trailing '\' or too many alternatives is an error naming the pattern and
 * the 1-based position. *out is owned by the caller. */
int glob_compile(const char *pattern, struct glob **out, struct err *e);
void glob_free(struct glob *g);
/* The pattern text as compiled. */
const char *glob_pattern(const struct glob *g);

/* A work budget of `steps` (one step is about one character compared or one
 * pattern position visited), with no scratch yet. */
void glob_work_init(struct glob_work *w, long steps);
void glob_work_fini(struct glob_work *w);

/* 1 when the relative path (no leading '/') matches, 0 when not, -1 when the
 * budget runs out (or memory does): e names the pattern and the path. */
int glob_match(const struct glob *g, const char *path, struct glob_work *w,
    struct err *e);
/* Like glob_match for several tails of path at once: 1 when the pattern
 * matches path with its first skip[i] segments removed, for some i (0 is the
 * whole path). One pass over the path whatever n_skip. */
int glob_match_tails(const struct glob *g, const char *path,
    const size_t *skip, size_t n_skip, struct glob_work *w, struct err *e);
/* 1 when some path strictly below the directory dir could match (used to
 * prune directory walks; may answer 1 conservatively), 0 when none can, -1
 * as glob_match. dir "" is the root. */
int glob_match_below(const struct glob *g, const char *dir,
    struct glob_work *w, struct err *e);

/* True when s contains a glob metacharacter (* ? [ { or \). */
bool glob_has_meta(const char *s);

#endif
