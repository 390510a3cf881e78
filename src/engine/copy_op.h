/*
 * copy_op: the state of one copy operation while it runs, shared by the
 * files of the copy engine (copy.c: parsing, walking, Overwrite and Merge;
 * copy_extract.c: the Extract strategy). Internal to the engine: build.c
 * only sees copy.h. Everything here lives on copy_apply's stack. The two
 * helpers both files use are inline here, so copy_extract.c needs nothing
 * from copy.c (no include cycle between them).
 */
#ifndef AG_COPY_OP_H
#define AG_COPY_OP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/copy.h"
#include "engine/copy_fs.h"
#include "base/glob.h"

/* Glob matching work of one copy operation: its `from` glob and every
 * exclude pattern share it; running out is an error naming the pattern. */
#define COPY_GLOB_STEPS (1L << 30)

struct copy_op {
	const struct copy_ctx *c;
	const struct gen_copy *op;
	int src_fd;			/* the source root */
	const char *alias;		/* points into alias_buf */
	char alias_buf[64];
	char pattern[COPY_PATH_MAX];	/* `from` after "@alias/" */
	bool literal;			/* no glob metacharacter */
	struct glob *glob;		/* for a glob `from` */
	struct glob **excl;		/* compiled exclude patterns */
	bool *excl_noslash;		/* pattern has no '/' */
	size_t n_excl;
	struct glob_work work;		/* budget of every glob match of the
					 * operation (COPY_GLOB_STEPS) */
	char base[COPY_PATH_MAX];	/* literal (non-glob) prefix of from */
	char dest[COPY_PATH_MAX];	/* normalized `to` path, "" = root */
	bool dest_slash;		/* `to` ends with '/' */
	size_t strip;			/* dir/GLOBSTAR: bytes of "dir/" to strip */
	size_t matches, excluded, skipped_dirs;
};

/* Reports one written file through the context's callback (if any). */
static inline void
copy_op_report(const struct copy_op *o, const char *path, uint64_t size)
{
	if (o->c->report != NULL)
		o->c->report(o->c->report_ctx, o->c->artifact, o->op->from,
		    o->op->to, path, size);
}

/* Fails with "cancelled" when the cancel flag is set. */
static inline int
copy_op_cancelled(const struct copy_op *o, struct err *e)
{
	if (cancel_requested(o->c->cancel))
		return err_set(e, "cancelled");
	return 0;
}

/* Extracts the tarball src_name of src_dirfd (src_rel in the source) into
 * the staging directory dest_rel: later files overwrite, directories
 * merge. */
int copy_extract(struct copy_op *o, int src_dirfd, const char *src_name,
    const char *src_rel, const char *dest_rel, struct err *e);

#endif
