/*
 * copy: applies one copy operation of an artifact (`from` -> `to`, with
 * exclude rules and a strategy) from the source trees into a staging tree,
 * with source-watcher's cp-like semantics (see the README, "Copy
 * semantics"). Called by build.c once per operation, in order.
 *
 * Sources are walked with openat/fdopendir and never followed through a
 * symlink (symlinks, devices, fifos and sockets are skipped). Files are
 * staged by hard link when possible; merged and extracted files are always
 * new files renamed into place, so a source file is never written.
 *
 * Pure and synchronous (thread-pool safe). Every error message names the
 * artifact, the operation "'<from>' -> '<to>'" and the reason.
 */
#ifndef AG_COPY_H
#define AG_COPY_H

#include <stddef.h>
#include <stdint.h>

#include "base/cancel.h"
#include "generator/generator.h"
#include "base/err.h"

/* One source's local contents and identity. */
struct build_source {
	const char *alias;
	const char *dir;		/* extracted source tree */
	const char *revision;		/* e.g. "main@sha1:..." */
	const char *origin_revision;	/* NULL when the source has none */
};

/* Called for each file a copy operation writes (for --verbose). */
typedef void (*build_report_fn)(void *ctx, const char *artifact,
    const char *from, const char *to, const char *path, uint64_t size);

struct copy_ctx {
	const char *artifact;		/* for messages and reports */
	int tree_fd;			/* the staging tree (not consumed) */
	const char *scratch;		/* directory for extraction scratch,
					 * on the same file system as the tree */
	const struct build_source *sources;
	size_t n_sources;
	const cancel_flag *cancel;	/* optional */
	build_report_fn report;		/* optional */
	void *report_ctx;
	long glob_steps;		/* optional: the glob work budget of each
					 * operation (0: COPY_GLOB_STEPS) */
};

int copy_apply(const struct copy_ctx *c, const struct gen_copy *op,
    struct err *e);

#endif
