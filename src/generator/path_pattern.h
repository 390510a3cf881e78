/*
 * path_pattern: spec.pathPattern, `@<alias>/apps/{app}/envs/{env}`.
 *
 * Parsing: the alias, then '/'-separated segments, each either a literal
 * (matched exactly) or a whole-segment capture `{name}` with name matching
 * [A-Za-z_][A-Za-z0-9_]* and being a valid label key; no duplicate names,
 * balanced braces, no empty, "." or ".." segments.
 *
 * Expansion: walks the source directory (openat, never following symlinks,
 * directories only, hidden entries skipped, bounded) for every directory the
 * pattern matches, in sorted order, and renders each artifact template of
 * the generator: `{name}` in the artifact name becomes the lower-cased
 * captured value, in `from` and `to` the original value (braces that are not
 * capture names, such as glob alternatives `{a,b}`, are left alone). Captured
 * values must be valid label values; rendered names must be DNS-1123
 * subdomains and unique. The lower-cased captures are attached to each
 * rendered artifact (they become labels: apps/Auth gives app=auth, as in
 * source-watcher). At most PATH_PATTERN_MAX_ARTIFACTS are rendered.
 *
 * Pure and thread-safe. The caller owns what parse/expand return.
 */
#ifndef AG_PATH_PATTERN_H
#define AG_PATH_PATTERN_H

#include <stdbool.h>
#include <stddef.h>

#include "generator/generator.h"
#include "base/err.h"

#define PATH_PATTERN_MAX_SEGMENTS 32
#define PATH_PATTERN_MAX_MATCHES 10000	/* matched directories */
#define PATH_PATTERN_MAX_ENTRIES 1000000 /* directory entries examined */
/* Rendered artifacts (matched directories x templates): beyond it the
 * expansion is refused before anything is rendered, so memory stays a few
 * MiB whatever the generator (10,000 directories x 100 templates used to
 * build a million artifacts up front). */
#define PATH_PATTERN_MAX_ARTIFACTS 10000

struct path_pattern_seg {
	char *text;		/* literal text, or the capture name */
	bool capture;
};

struct path_pattern {
	char *alias;
	struct path_pattern_seg *segs;
	size_t n_segs;
};

/* Parses pattern; messages name the problem (no field prefix). */
int path_pattern_parse(const char *pattern, struct path_pattern *out,
    struct err *e);
void path_pattern_free(struct path_pattern *p);
/* True when the pattern has a capture called name. */
bool path_pattern_has_capture(const struct path_pattern *p, const char *name);

/*
 * Checks an artifact name template: every `{x}` names a capture of p and no
 * brace is unbalanced. Messages name the problem (no field prefix).
 */
int path_pattern_check_template(const struct path_pattern *p,
    const char *tmpl, struct err *e);

/*
 * Expands g's artifact templates over the directories of source_dir (the
 * local tree of the pattern's alias) that g->path_pattern matches. *out is a
 * malloc'd array of *n_out concrete artifacts (gen_artifact_free each, then
 * free the array). No match yields zero artifacts.
 */
int path_pattern_expand(const struct generator *g, const char *source_dir,
    struct gen_artifact **out, size_t *n_out, struct err *e);

#endif
