/*
 * build: builds one artifact (see build.h). Stages the copy operations into
 * the tree <storage root>/.staging/<name>-XXXXXX (the same file system as
 * the sources' fetch cache in the controller, so files are hard-linked
 * rather than copied when possible; Extract's scratch directories,
 * x-XXXXXX, go beside it in .staging, only while an Extract runs: one
 * directory made per build, as inode allocation is most of a small build's
 * cost), names
 * the archive by the tree's dirhash, writes it into the storage with
 * tar_write_dir (temp + rename) unless the same file is already stored, and
 * fills the record. The staging directory is removed on every path; on
 * failure no new file stands under a final name in the storage. As in
 * source-watcher, the dirhash covers every staged file while the archive
 * leaves out the SDK's default ignore patterns (build_ignore.c).
 *
 * Labels follow source-watcher: commonMetadata labels, then pathPattern
 * captures. The reserved ones (managed-by, generator uid) are set over them
 * where the object is made, in external_artifact.c.
 */
#include "engine/build.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs_tree.h"
#include "engine/build_ignore.h"
#include "engine/copy.h"
#include "engine/copy_fs.h"
#include "engine/dirhash.h"
#include "archive/tar.h"

#define BUILD_KIND "ExternalArtifact"

struct build_staging {
	int staging_fd;		/* <root>/.staging, opened without following
				 * a symlink */
	char *leaf;		/* <name>-XXXXXX inside it: the tree */
	char *tree;		/* <root>/.staging/<leaf> */
	char *scratch;		/* <root>/.staging: Extract makes x-XXXXXX
				 * there, only while it runs */
	int tree_fd;
};

static int
build_kv_set(struct kv_list *l, const char *key, const char *value,
    struct err *e)
{
	struct kv *grown;
	char *v;
	size_t i;

	if ((v = strdup(value)) == NULL)
		return err_set(e, "out of memory");
	for (i = 0; i < l->len; i++) {
		if (strcmp(l->items[i].key, key) == 0) {
			free(l->items[i].value);
			l->items[i].value = v;
			return 0;
		}
	}
	grown = realloc(l->items, (l->len + 1) * sizeof(*grown));
	if (grown == NULL || (grown[l->len].key = strdup(key)) == NULL) {
		if (grown != NULL)
			l->items = grown;
		free(v);
		return err_set(e, "out of memory");
	}
	grown[l->len].value = v;
	l->items = grown;
	l->len++;
	return 0;
}

static int
build_kv_merge(struct kv_list *dst, const struct kv_list *src, struct err *e)
{
	size_t i;

	for (i = 0; i < src->len; i++)
		if (build_kv_set(dst, src->items[i].key, src->items[i].value,
		    e) != 0)
			return -1;
	return 0;
}

static const struct build_source *
build_source_find(const struct build_source *sources, size_t n,
    const char *ref)
{
	size_t i;

	if (ref == NULL || ref[0] != '@')
		return NULL;
	for (i = 0; i < n; i++)
		if (strcmp(sources[i].alias, ref + 1) == 0)
			return &sources[i];
	return NULL;
}

static void
build_staging_remove(struct build_staging *st)
{
	struct err ignored;

	if (st->tree_fd >= 0)
		close(st->tree_fd);
	if (st->staging_fd >= 0) {
		if (st->leaf != NULL)
			fs_tree_remove(st->staging_fd, st->leaf, &ignored);
		close(st->staging_fd);
	}
	free(st->leaf);
	free(st->tree);
	free(st->scratch);
}

/* mkdtemp relative to a directory descriptor: creates <prefix>-XXXXXX in
 * dirfd with a fresh random suffix; *leaf is the malloc'd name. The prefix
 * (an artifact name, up to 253 bytes) is cut to 200 so the name fits
 * NAME_MAX. */
static int
build_mkdtempat(int dirfd, const char *prefix, char **leaf, struct err *e)
{
	static const char set[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char rnd[6];
	char *name;
	size_t n;

	if (asprintf(&name, "%.200s-XXXXXX", prefix) < 0)
		return err_set(e, "out of memory");
	n = strlen(name);
	for (int tries = 0; tries < 64; tries++) {
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			break;
		for (size_t i = 0; i < sizeof(rnd); i++)
			name[n - 6 + i] = set[rnd[i] % (sizeof(set) - 1)];
		if (mkdirat(dirfd, name, 0700) == 0) {
			*leaf = name;
			return 0;
		}
		if (errno != EEXIST)
			break;
	}
	err_sys(e, errno, "create a staging directory like '%s'", name);
	free(name);
	return -1;
}

/* The staging paths handed to the archive writer and the extractor must
 * name the directories the descriptors hold. */
static int
build_staging_check(const struct build_staging *st, struct err *e)
{
	struct stat by_fd, by_path;

	if (fstat(st->tree_fd, &by_fd) != 0 || stat(st->tree, &by_path) != 0 ||
	    by_fd.st_dev != by_path.st_dev || by_fd.st_ino != by_path.st_ino)
		return err_set(e, "staging directory '%s' does not resolve to "
		    "the one created in the storage", st->tree);
	return 0;
}

static int
build_staging_create(struct storage *s, const char *name,
    struct build_staging *st, struct err *e)
{
	if (mkdirat(s->root_fd, ".staging", 0700) != 0 && errno != EEXIST)
		return err_sys(e, errno, "create '%s/.staging'", s->root);
	st->staging_fd = openat(s->root_fd, ".staging", O_RDONLY |
	    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (st->staging_fd < 0)
		return err_sys(e, errno, "open '%s/.staging' (it must be a "
		    "directory, not a symlink)", s->root);
	if (build_mkdtempat(st->staging_fd, name, &st->leaf, e) != 0)
		return -1;
	if (asprintf(&st->tree, "%s/.staging/%s", s->root, st->leaf) < 0)
		st->tree = NULL;
	if (asprintf(&st->scratch, "%s/.staging", s->root) < 0)
		st->scratch = NULL;
	if (st->tree == NULL || st->scratch == NULL)
		return err_set(e, "out of memory");
	st->tree_fd = openat(st->staging_fd, st->leaf, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC);
	if (st->tree_fd < 0)
		return err_sys(e, errno, "open staging tree '%s'", st->tree);
	return build_staging_check(st, e);
}

static int
build_stage(const struct gen_artifact *a, const struct build_source *sources,
    size_t n_sources, const struct build_opts *opts,
    const struct build_staging *st, struct err *e)
{
	struct copy_ctx c = {
		.artifact = a->name,
		.tree_fd = st->tree_fd,
		.scratch = st->scratch,
		.sources = sources,
		.n_sources = n_sources,
		.cancel = opts->cancel,
		.report = opts->report,
		.report_ctx = opts->report_ctx,
	};
	size_t i;

	for (i = 0; i < a->n_copy; i++)
		if (copy_apply(&c, &a->copy[i], e) != 0)
			return -1;
	return 0;
}

/*
 * Archives the tree as <file>, or keeps the stored <file> when it holds the
 * same bytes: either it verifies against opts->known_digest (no archiving),
 * or a fresh archive written beside it (a storage temp name) has the same
 * digest, and is dropped. A different archive replaces it atomically.
 */
static int
build_archive(struct storage *s, const struct storage_ref *ref,
    const struct build_staging *st, const struct build_opts *opts,
    const char *local, struct artifact_record *out, struct err *e)
{
	struct tar_write_opts topts = { .algo = opts->algo,
	    .cancel = opts->cancel };
	struct tar_write_result res;
	char existing[DIGEST_STRING_MAX], *cand;
	struct err ignored;
	int rc;

	if (!storage_exists(s, ref, out->filename)) {
		if (tar_write_dir(st->tree, local, &topts, &res, e) != 0)
			return -1;
		memcpy(out->digest, res.digest, sizeof(out->digest));
		return 0;
	}
	if (opts->known_digest != NULL && storage_verify(s, ref, out->filename,
	    opts->known_digest, &ignored) == 0) {
		snprintf(out->digest, sizeof(out->digest), "%s",
		    opts->known_digest);
		out->reused = true;
		return 0;
	}
	if (asprintf(&cand, "%s%sbuild", local, STORAGE_TEMP_MARKER) < 0)
		return err_set(e, "out of memory");
	rc = tar_write_dir(st->tree, cand, &topts, &res, e);
	if (rc == 0)
		memcpy(out->digest, res.digest, sizeof(out->digest));
	if (rc == 0 && digest_file(local, opts->algo, existing, &ignored) == 0 &&
	    strcmp(existing, res.digest) == 0) {
		out->reused = true;
		unlink(cand);
	} else if (rc == 0 && rename(cand, local) != 0) {
		rc = err_sys(e, errno, "rename '%s'", cand);
		unlink(cand);
	}
	free(cand);
	return rc;
}

/* Writes (or keeps) <file> in the storage; fills digest, size, time. */
static int
build_store(struct storage *s, const struct storage_ref *ref,
    const struct build_staging *st, const struct build_opts *opts,
    struct artifact_record *out, struct err *e)
{
	struct stat sb;
	char *local;
	int lock = -1, rc = -1;

	if (storage_artifact_dir_create(s, ref, e) != 0 ||
	    storage_lock(s, ref, out->filename, &lock, e) != 0)
		return -1;
	if ((local = storage_local_path(s, ref, out->filename, e)) == NULL)
		goto done;
	if (build_archive(s, ref, st, opts, local, out, e) != 0) {
		err_prefix(e, "archive");
		goto done;
	}
	if (lstat(local, &sb) != 0) {
		err_sys(e, errno, "stat '%s'", local);
		goto done;
	}
	out->size = (uint64_t)sb.st_size;
	out->last_update_time = (int64_t)sb.st_mtime;
	rc = 0;
done:
	free(local);
	storage_unlock(lock);
	return rc;
}

static int
build_identity(const struct generator *g, const struct gen_artifact *a,
    const char *hash, struct storage *s, struct artifact_record *out,
    struct err *e)
{
	struct storage_ref ref = { BUILD_KIND, g->namespace, a->name };

	if (asprintf(&out->filename, "%s.tar.gz", hash) < 0)
		out->filename = NULL;
	if ((out->name = strdup(a->name)) == NULL ||
	    (out->namespace = strdup(g->namespace)) == NULL ||
	    out->filename == NULL)
		return err_set(e, "out of memory");
	if ((out->path = storage_path(&ref, out->filename, e)) == NULL)
		return -1;
	if ((out->url = storage_url(s, out->path)) == NULL)
		return err_set(e, "out of memory");
	return 0;
}

static int
build_revision(const struct gen_artifact *a,
    const struct build_source *sources, size_t n,
    struct artifact_record *out, struct err *e)
{
	const struct build_source *src;
	const char *origin;

	if (a->revision != NULL) {
		if ((src = build_source_find(sources, n, a->revision)) == NULL ||
		    src->revision == NULL)
			return err_set(e, "revision '%s' does not name a source "
			    "with a revision", a->revision);
		out->revision = strdup(src->revision);
	} else if (asprintf(&out->revision, "latest@%s", out->digest) < 0)
		out->revision = NULL;
	if (out->revision == NULL)
		return err_set(e, "out of memory");
	if (a->origin_revision == NULL)
		return 0;
	if ((src = build_source_find(sources, n, a->origin_revision)) == NULL)
		return err_set(e, "originRevision '%s' does not name a source",
		    a->origin_revision);
	origin = src->origin_revision != NULL && *src->origin_revision ?
	    src->origin_revision : src->revision;
	if (origin == NULL)
		return 0;
	return build_kv_set(&out->metadata, METADATA_ORIGIN_REVISION, origin,
	    e);
}

static int
build_metadata(const struct generator *g, const struct gen_artifact *a,
    struct artifact_record *out, struct err *e)
{
	if (build_kv_merge(&out->labels, &g->labels, e) != 0 ||
	    build_kv_merge(&out->labels, &a->captures, e) != 0 ||
	    build_kv_merge(&out->annotations, &g->annotations, e) != 0)
		return -1;
	return 0;
}

int
build_artifact(const struct generator *g, const struct gen_artifact *a,
    const struct build_source *sources, size_t n_sources, struct storage *s,
    const struct build_opts *opts, struct artifact_record *out,
    struct err *e)
{
	struct build_staging st = { .staging_fd = -1, .tree_fd = -1 };
	struct storage_ref ref = { BUILD_KIND, g->namespace, a->name };
	char hash[DIRHASH_STRING_MAX];
	struct err ignored;
	bool written = false;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = build_staging_create(s, a->name, &st, e);
	if (rc == 0)
		rc = build_stage(a, sources, n_sources, opts, &st, e);
	if (rc == 0 && (rc = dirhash_tree(st.tree_fd, a->name, opts->cancel,
	    hash, e)) != 0)
		err_prefix(e, "artifact '%s'", a->name);
	/* hashed with every staged file, archived without the ignored ones */
	if (rc == 0 && (rc = build_ignore_apply(st.tree_fd, e)) != 0)
		err_prefix(e, "artifact '%s'", a->name);
	if (rc == 0)
		rc = build_identity(g, a, hash, s, out, e);
	if (rc == 0 && (rc = build_store(s, &ref, &st, opts, out, e)) != 0)
		err_prefix(e, "artifact '%s'", a->name);
	written = rc == 0 && !out->reused;
	if (rc == 0)
		rc = build_revision(a, sources, n_sources, out, e);
	if (rc == 0)
		rc = build_metadata(g, a, out, e);
	build_staging_remove(&st);
	if (rc != 0) {
		if (written)
			storage_remove(s, &ref, out->filename, &ignored);
		artifact_record_free(out);
		return -1;
	}
	return 0;
}

void
artifact_record_free(struct artifact_record *r)
{
	if (r == NULL)
		return;
	free(r->name);
	free(r->namespace);
	free(r->filename);
	free(r->path);
	free(r->url);
	free(r->revision);
	kv_list_free(&r->metadata);
	kv_list_free(&r->labels);
	kv_list_free(&r->annotations);
	memset(r, 0, sizeof(*r));
}

int
build_staging_cleanup(struct storage *s, struct err *e)
{
	if (fs_tree_remove(s->root_fd, ".staging", e) != 0)
		return err_prefix(e, "clean up '%s/.staging'", s->root);
	return 0;
}
