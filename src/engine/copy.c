/*
 * copy: one copy operation with source-watcher's cp-like semantics (see
 * copy.h). Parsing of `from`/`to`, exclude rules, the literal and glob
 * cases, recursive directory copies, Overwrite and Merge. Extract lives in
 * copy_extract.c, the file-system primitives in copy_fs.c.
 *
 * Destinations:
 *   literal file -> "dir/"          dir/<file>
 *   literal file -> "path"          path, or path/<file> if path is a
 *                                   directory already staged
 *   literal dir  -> "dest[/]"       dest/<dir>/... ("" from = the root:
 *                                   dest/...)
 *   glob dir/GLOBSTAR -> "dest"      dest/<path below dir>
 *   other glob   -> "dest"          dest/<full source-relative path>
 * A matched directory is copied whole; a glob match whose directory is
 * matched is not visited again below it. Walks are iterative (dir_walk):
 * sources nested deeper than TREE_DEPTH_MAX are refused.
 *
 * Exclude rules and the `from` glob share one glob work budget per
 * operation (COPY_GLOB_STEPS, or copy_ctx.glob_steps). Each entry is
 * decided once per exclude pattern, in one pass over its path; a match that
 * runs the budget out fails the operation ("exclude[K]: pattern '...': work
 * budget ... exhausted matching '<path>'"), it never counts as "not
 * excluded".
 */
#include "engine/copy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive/tar.h"
#include "base/dir_walk.h"
#include "engine/copy_op.h"
#include "engine/yaml_merge.h"

/* Normalizes a relative path: drops empty and "." components; ".." is an
 * error. out has COPY_PATH_MAX bytes. */
static int
copy_normalize(const char *in, char *out, const char *what, struct err *e)
{
	const char *s = in, *end;
	size_t n = 0, len;

	out[0] = '\0';
	while (*s != '\0') {
		end = strchrnul(s, '/');
		len = (size_t)(end - s);
		if (len == 2 && s[0] == '.' && s[1] == '.')
			return err_set(e, "%s path must not contain '..'", what);
		if (len > 0 && !(len == 1 && s[0] == '.')) {
			if (n + len + 2 > COPY_PATH_MAX)
				return err_set(e, "%s path is too long", what);
			if (n > 0)
				out[n++] = '/';
			memcpy(out + n, s, len);
			n += len;
			out[n] = '\0';
		}
		s = *end ? end + 1 : end;
	}
	return 0;
}

/* The literal prefix of pattern: the components before the first one with
 * a glob metacharacter. */
static void
copy_literal_prefix(const char *pattern, char *out)
{
	const char *s = pattern, *end;
	size_t n = 0;

	out[0] = '\0';
	while (*s != '\0') {
		end = strchrnul(s, '/');
		if (memchr(s, '*', (size_t)(end - s)) ||
		    memchr(s, '?', (size_t)(end - s)) ||
		    memchr(s, '[', (size_t)(end - s)) ||
		    memchr(s, '{', (size_t)(end - s)) ||
		    memchr(s, '\\', (size_t)(end - s)))
			break;
		if (end > s && !(end - s == 1 && *s == '.')) {
			if (n > 0)
				out[n++] = '/';
			memcpy(out + n, s, (size_t)(end - s));
			n += (size_t)(end - s);
			out[n] = '\0';
		}
		s = *end ? end + 1 : end;
	}
}

static const struct build_source *
copy_find_source(const struct copy_ctx *c, const char *alias)
{
	size_t i;

	for (i = 0; i < c->n_sources; i++)
		if (strcmp(c->sources[i].alias, alias) == 0)
			return &c->sources[i];
	return NULL;
}

static int
copy_parse_from(struct copy_op *o, struct err *e)
{
	const char *from = o->op->from, *slash;
	const struct build_source *src;
	size_t alen;

	if (from[0] != '@' || (slash = strchr(from, '/')) == NULL)
		return err_set(e, "'from' must be '@<alias>/<pattern>'");
	alen = (size_t)(slash - from - 1);
	if (alen == 0 || alen >= sizeof(o->alias_buf))
		return err_set(e, "invalid source alias in 'from'");
	memcpy(o->alias_buf, from + 1, alen);
	o->alias_buf[alen] = '\0';
	o->alias = o->alias_buf;
	if ((src = copy_find_source(o->c, o->alias)) == NULL)
		return err_set(e, "source alias '%s' is not declared",
		    o->alias);
	if (strlen(slash + 1) >= COPY_PATH_MAX)
		return err_set(e, "'from' is too long");
	/* normalizing also refuses '..' in globs */
	if (copy_normalize(slash + 1, o->base, "source", e) != 0)
		return -1;
	o->literal = !glob_has_meta(slash + 1);
	if (o->literal) {
		strcpy(o->pattern, o->base);	/* a file: its own base */
		return 0;
	}
	strcpy(o->pattern, slash + 1);
	if (glob_compile(o->pattern, &o->glob, e) != 0)
		return -1;
	copy_literal_prefix(o->pattern, o->base);
	return 0;
}

/* "dir/" then a globstar (dir literal) strips "dir/" from matches. */
static void
copy_set_strip(struct copy_op *o)
{
	char norm[COPY_PATH_MAX];
	size_t n;
	struct err ignored;

	if (copy_normalize(o->pattern, norm, "source", &ignored) != 0)
		return;
	n = strlen(norm);
	if (n < 3 || strcmp(norm + n - 3, "/**") != 0)
		return;
	norm[n - 3] = '\0';
	if (!glob_has_meta(norm) && strcmp(norm, o->base) == 0)
		o->strip = strlen(norm) + 1;
}

static int
copy_parse_to(struct copy_op *o, struct err *e)
{
	const char *to = o->op->to;
	size_t n;

	if (strncmp(to, "@artifact/", 10) != 0)
		return err_set(e, "'to' must start with '@artifact/'");
	to += 10;
	n = strlen(to);
	if (n >= COPY_PATH_MAX)
		return err_set(e, "'to' is too long");
	o->dest_slash = n == 0 || to[n - 1] == '/';
	return copy_normalize(to, o->dest, "destination", e);
}

static int
copy_compile_excludes(struct copy_op *o, struct err *e)
{
	size_t i, n = o->op->n_exclude;

	if (n == 0)
		return 0;
	o->excl = calloc(n, sizeof(*o->excl));
	o->excl_noslash = calloc(n, sizeof(*o->excl_noslash));
	if (o->excl == NULL || o->excl_noslash == NULL)
		return err_set(e, "out of memory");
	for (i = 0; i < n; i++) {
		if (glob_compile(o->op->exclude[i], &o->excl[i], e) != 0)
			return err_prefix(e, "exclude");
		o->excl_noslash[i] = strchr(o->op->exclude[i], '/') == NULL;
		o->n_excl = i + 1;
	}
	return 0;
}

static size_t
copy_count_segments(const char *s)
{
	size_t n = 1;

	while ((s = strchr(s, '/')) != NULL) {
		n++;
		s++;
	}
	return n;
}

/* 1 when rel is excluded, 0 when not, -1 when matching fails (the budget
 * ran out): never "not excluded" on a failure. A pattern is tried in one
 * pass against rel, rel below the literal prefix and (without '/') the base
 * name: the tails of rel that skip 0, the prefix's or all but one
 * segments. */
static int
copy_excluded(struct copy_op *o, const char *rel, struct err *e)
{
	size_t i, blen = strlen(o->base), skip[3], n_skip, nsegs;
	int rc;

	if (o->n_excl == 0)
		return 0;
	nsegs = copy_count_segments(rel);
	skip[0] = 0;
	for (i = 0; i < o->n_excl; i++) {
		n_skip = 1;
		if (blen > 0 && strncmp(rel, o->base, blen) == 0 &&
		    rel[blen] == '/')
			skip[n_skip++] = copy_count_segments(o->base);
		if (o->excl_noslash[i])
			skip[n_skip++] = nsegs - 1;
		rc = glob_match_tails(o->excl[i], rel, skip, n_skip, &o->work,
		    e);
		if (rc != 0)
			return rc < 0 ? err_prefix(e, "exclude[%zu]", i) : 1;
	}
	return 0;
}

/* glob_match_below/glob_match on the `from` glob, errors prefixed. */
static int
copy_from_below(struct copy_op *o, const char *rel, struct err *e)
{
	int rc = glob_match_below(o->glob, rel, &o->work, e);

	return rc < 0 ? err_prefix(e, "from") : rc;
}

static int
copy_from_match(struct copy_op *o, const char *rel, struct err *e)
{
	int rc = glob_match(o->glob, rel, &o->work, e);

	return rc < 0 ? err_prefix(e, "from") : rc;
}

static void
copy_op_free(struct copy_op *o)
{
	size_t i;

	for (i = 0; i < o->n_excl; i++)
		glob_free(o->excl[i]);
	free(o->excl);
	free(o->excl_noslash);
	glob_free(o->glob);
	glob_work_fini(&o->work);
	if (o->src_fd >= 0)
		close(o->src_fd);
}

/* Merges (Merge strategy, destination present) or stages one file. */
static int
copy_file(struct copy_op *o, int src_dirfd, const char *src_name,
    const char *src_rel, int dst_dirfd, const char *dst_name,
    const char *dst_rel, struct err *e)
{
	char *base = NULL, *overlay = NULL, *merged = NULL;
	size_t blen, olen, mlen;
	enum copy_fs_kind kind;
	uint64_t size = 0;
	int rc;

	if (copy_op_cancelled(o, e) != 0)
		return -1;
	if (o->op->strategy != COPY_MERGE ||
	    copy_fs_kind(dst_dirfd, dst_name, &kind) != 0 ||
	    kind != COPY_FS_FILE) {
		if (copy_fs_stage_file(src_dirfd, src_name, dst_dirfd,
		    dst_name, o->c->report != NULL ? &size : NULL, e) != 0)
			return err_prefix(e, "copy '%s' to '%s'", src_rel,
			    dst_rel);
		copy_op_report(o, dst_rel, size);
		return 0;
	}
	rc = copy_fs_read_file(dst_dirfd, dst_name, YAML_MERGE_MAX_BYTES,
	    &base, &blen, e);
	if (rc == 0)
		rc = copy_fs_read_file(src_dirfd, src_name,
		    YAML_MERGE_MAX_BYTES, &overlay, &olen, e);
	if (rc == 0)
		rc = yaml_merge(base, blen, dst_rel, overlay, olen, src_rel,
		    &merged, &mlen, e);
	if (rc == 0)
		rc = copy_fs_write_file(dst_dirfd, dst_name, merged, mlen, e);
	if (rc == 0)
		copy_op_report(o, dst_rel, mlen);
	free(base);
	free(overlay);
	free(merged);
	return rc == 0 ? 0 : err_prefix(e, "merge '%s' into '%s'", src_rel,
	    dst_rel);
}

/* Splits rel into its parent (in the tree, created) and its last name. */
static int
copy_open_parent(struct copy_op *o, const char *rel, int *fd,
    const char **name, struct err *e)
{
	char parent[COPY_PATH_MAX];
	const char *slash = strrchr(rel, '/');

	if (*rel == '\0')
		return err_set(e, "empty destination file name");
	*name = slash ? slash + 1 : rel;
	memcpy(parent, rel, slash ? (size_t)(slash - rel) : 0);
	parent[slash ? (size_t)(slash - rel) : 0] = '\0';
	return copy_fs_open_dir(o->c->tree_fd, parent, true, fd, e);
}

static int
copy_file_to(struct copy_op *o, int src_dirfd, const char *src_name,
    const char *src_rel, const char *dst_rel, struct err *e)
{
	const char *name;
	int fd, rc;

	if (copy_open_parent(o, dst_rel, &fd, &name, e) != 0)
		return -1;
	rc = copy_file(o, src_dirfd, src_name, src_rel, fd, name, dst_rel, e);
	close(fd);
	return rc;
}

/* A recursive directory copy as a dir_walk over the source: the staging
 * directory of the last file is kept open, since the files of one
 * directory come one after another. */
struct copy_tree_walk {
	struct copy_op *o;
	size_t src_len;			/* strlen of the copied root's rel */
	const char *dst_rel;		/* where the root goes */
	int dfd;			/* staging dir of dpath, or -1 */
	char dpath[COPY_PATH_MAX];
};

/* The staging path of source path srel (below the copied root). */
static int
copy_tree_dest(const struct copy_tree_walk *w, const char *srel, char *out,
    struct err *e)
{
	const char *sub = srel + w->src_len;

	return copy_path_join(out, w->dst_rel, *sub == '/' ? sub + 1 : sub, e);
}

/* Makes w->dfd the staging directory drel (created when missing). */
static int
copy_tree_open(struct copy_tree_walk *w, const char *drel, struct err *e)
{
	if (w->dfd >= 0 && strcmp(w->dpath, drel) == 0)
		return 0;
	if (w->dfd >= 0)
		close(w->dfd);
	w->dfd = -1;
	strcpy(w->dpath, drel);
	return copy_fs_open_dir(w->o->c->tree_fd, drel, true, &w->dfd, e);
}

static int
copy_tree_visit(void *ctx, const struct dir_walk_entry *ent, struct err *e)
{
	struct copy_tree_walk *w = ctx;
	char drel[COPY_PATH_MAX], parent[COPY_PATH_MAX];
	const char *slash;
	bool dir = S_ISDIR(ent->st->st_mode);
	int ex;

	if (!dir && !S_ISREG(ent->st->st_mode))
		return 0;	/* symlinks and special files are skipped */
	if ((ex = copy_excluded(w->o, ent->rel, e)) != 0)
		return ex < 0 ? -1 : DIR_WALK_SKIP;
	if (copy_tree_dest(w, ent->rel, drel, e) != 0)
		return -1;
	if (dir)
		return copy_tree_open(w, drel, e);
	slash = strrchr(drel, '/');
	memcpy(parent, drel, slash ? (size_t)(slash - drel) : 0);
	parent[slash ? (size_t)(slash - drel) : 0] = '\0';
	if (copy_tree_open(w, parent, e) != 0)
		return -1;
	return copy_file(w->o, ent->dirfd, ent->name, ent->rel, w->dfd,
	    ent->name, drel, e);
}

/* Copies the directory src_fd (src_rel) into the staging dir dst_rel. */
static int
copy_tree(struct copy_op *o, int src_fd, const char *src_rel,
    const char *dst_rel, struct err *e)
{
	struct copy_tree_walk w = { .o = o, .src_len = strlen(src_rel),
	    .dst_rel = dst_rel, .dfd = -1 };
	struct dir_walk_opts wo = { .prefix = src_rel, .cancel = o->c->cancel,
	    .visit = copy_tree_visit, .ctx = &w };
	int rc;

	rc = copy_tree_open(&w, dst_rel, e);
	if (rc == 0)
		rc = dir_walk(src_fd, &wo, e);
	if (w.dfd >= 0)
		close(w.dfd);
	return rc;
}

static int
copy_literal_dir(struct copy_op *o, int pfd, const char *name,
    const char *rel, struct err *e)
{
	char drel[COPY_PATH_MAX];
	int cfd, rc;

	if (o->op->strategy == COPY_EXTRACT)
		return err_set(e, "the Extract strategy does not accept a "
		    "directory ('%s')", *rel ? rel : "/");
	if (copy_path_join(drel, o->dest, name, e) != 0)
		return -1;
	cfd = openat(pfd, *name ? name : ".",
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (cfd < 0)
		return err_sys(e, errno, "open '%s'", rel);
	rc = copy_tree(o, cfd, rel, drel, e);
	close(cfd);
	return rc;
}

static int
copy_literal_file(struct copy_op *o, int pfd, const char *name,
    const char *rel, struct err *e)
{
	char drel[COPY_PATH_MAX];
	int dfd, ex;

	if ((ex = copy_excluded(o, rel, e)) != 0)
		return ex < 0 ? -1 : 0;
	if (o->op->strategy == COPY_EXTRACT) {
		if (!tar_name_is_tarball(name))
			return err_set(e, "the Extract strategy requires a "
			    "tarball (.tar.gz or .tgz), got '%s'", rel);
		return copy_extract(o, pfd, name, rel, o->dest, e);
	}
	if (o->dest_slash) {
		if (copy_path_join(drel, o->dest, name, e) != 0)
			return -1;
	} else if (copy_fs_open_dir(o->c->tree_fd, o->dest, false, &dfd,
	    e) == 0) {
		close(dfd);
		if (copy_path_join(drel, o->dest, name, e) != 0)
			return -1;
	} else
		strcpy(drel, o->dest);
	return copy_file_to(o, pfd, name, rel, drel, e);
}

static int
copy_literal(struct copy_op *o, struct err *e)
{
	char parent[COPY_PATH_MAX];
	const char *rel = o->pattern, *slash = strrchr(rel, '/'), *name;
	enum copy_fs_kind kind = COPY_FS_DIR;
	int pfd, rc;

	name = slash ? slash + 1 : rel;
	memcpy(parent, rel, slash ? (size_t)(slash - rel) : 0);
	parent[slash ? (size_t)(slash - rel) : 0] = '\0';
	if (copy_fs_open_dir(o->src_fd, parent, false, &pfd, e) != 0)
		return err_set(e, "'%s' does not exist in source '%s' (or a "
		    "parent is a symlink or a file)", rel, o->alias);
	if (*name != '\0' && copy_fs_kind(pfd, name, &kind) != 0)
		rc = err_set(e, "'%s' does not exist in source '%s'", rel,
		    o->alias);
	else if (kind == COPY_FS_OTHER)
		rc = err_set(e, "'%s' in source '%s' is a symlink or a special "
		    "file (not followed)", rel, o->alias);
	else if (kind == COPY_FS_DIR)
		rc = copy_literal_dir(o, pfd, name, rel, e);
	else
		rc = copy_literal_file(o, pfd, name, rel, e);
	close(pfd);
	return rc;
}

/* One entry that the `from` glob matched; for a directory, the result
 * tells the walk whether to descend (0) or not (DIR_WALK_SKIP). */
static int
copy_glob_hit(struct copy_op *o, const struct dir_walk_entry *ent,
    struct err *e)
{
	char drel[COPY_PATH_MAX];
	const char *rel = ent->rel;
	bool dir = S_ISDIR(ent->st->st_mode);
	int cfd, rc;

	o->matches++;
	if ((rc = copy_excluded(o, rel, e)) != 0) {
		o->excluded++;
		return rc < 0 ? -1 : DIR_WALK_SKIP;
	}
	if (o->op->strategy == COPY_EXTRACT) {
		if (dir) {
			if ((rc = copy_from_below(o, rel, e)) < 0)
				return -1;
			return rc ? 0 : DIR_WALK_SKIP;
		}
		if (!tar_name_is_tarball(ent->name))
			return 0;
		return copy_extract(o, ent->dirfd, ent->name, rel, o->dest, e);
	}
	if (copy_path_join(drel, o->dest, rel + (o->strip <= strlen(rel) ?
	    o->strip : 0), e) != 0)
		return -1;
	if (!dir)
		return copy_file_to(o, ent->dirfd, ent->name, rel, drel, e);
	cfd = openat(ent->dirfd, ent->name, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC);
	if (cfd < 0)
		return err_sys(e, errno, "open '%s'", rel);
	rc = copy_tree(o, cfd, rel, drel, e);
	close(cfd);
	return rc != 0 ? -1 : DIR_WALK_SKIP;	/* copied whole */
}

/* One entry below the glob's literal base: a hit, an excluded directory
 * (skipped whole), a directory to descend into, or nothing. Each entry is
 * checked against the excludes at most once. */
static int
copy_glob_visit(void *ctx, const struct dir_walk_entry *ent, struct err *e)
{
	struct copy_op *o = ctx;
	bool dir = S_ISDIR(ent->st->st_mode);
	int rc;

	if (!dir && !S_ISREG(ent->st->st_mode))
		return 0;
	if ((rc = copy_from_match(o, ent->rel, e)) != 0)
		return rc < 0 ? -1 : copy_glob_hit(o, ent, e);
	if (!dir)
		return 0;
	if ((rc = copy_excluded(o, ent->rel, e)) != 0) {
		o->skipped_dirs += rc > 0;
		return rc < 0 ? -1 : DIR_WALK_SKIP;
	}
	if ((rc = copy_from_below(o, ent->rel, e)) < 0)
		return -1;
	return rc ? 0 : DIR_WALK_SKIP;
}

static int
copy_glob(struct copy_op *o, struct err *e)
{
	struct dir_walk_opts wo = { .prefix = o->base, .cancel = o->c->cancel,
	    .visit = copy_glob_visit, .ctx = o };
	int fd, rc = 0;
	struct err ignored;

	copy_set_strip(o);
	if (copy_fs_open_dir(o->src_fd, o->base, false, &fd, &ignored) == 0) {
		rc = dir_walk(fd, &wo, e);
		close(fd);
	}
	if (rc != 0)
		return -1;
	if (o->matches == 0 && o->skipped_dirs == 0)
		return err_set(e, "no files match pattern '%s' in source '%s'",
		    o->pattern, o->alias);
	if (o->matches == o->excluded)
		return err_set(e, "all files matching pattern '%s' in source "
		    "'%s' were excluded", o->pattern, o->alias);
	return 0;
}

int
copy_apply(const struct copy_ctx *c, const struct gen_copy *op,
    struct err *e)
{
	/* on the heap: three paths of COPY_PATH_MAX, on a pool thread's
	 * stack under the tree walk's own buffers */
	struct copy_op *o = calloc(1, sizeof(*o));
	const struct build_source *src;
	int rc;

	if (o == NULL)
		return err_set(e, "artifact '%s': copy '%s' -> '%s': out of "
		    "memory", c->artifact, op->from, op->to);
	o->c = c;
	o->op = op;
	o->src_fd = -1;
	glob_work_init(&o->work, c->glob_steps > 0 ? c->glob_steps :
	    COPY_GLOB_STEPS);
	rc = copy_parse_from(o, e);
	if (rc == 0)
		rc = copy_parse_to(o, e);
	if (rc == 0)
		rc = copy_compile_excludes(o, e);
	if (rc == 0) {
		src = copy_find_source(c, o->alias);
		o->src_fd = open(src->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (o->src_fd < 0)
			rc = err_sys(e, errno, "open source '%s' directory '%s'",
			    o->alias, src->dir);
	}
	if (rc == 0)
		rc = o->literal ? copy_literal(o, e) : copy_glob(o, e);
	copy_op_free(o);
	free(o);
	if (rc != 0)
		return err_prefix(e, "artifact '%s': copy '%s' -> '%s'",
		    c->artifact, op->from, op->to);
	return 0;
}
