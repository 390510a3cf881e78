/*
 * Unit tests for src/engine/build.c: the built archive holds exactly the
 * staged files, is named by the dirhash of exactly those files,
 * stored under externalartifact/<ns>/<name>/ with the right path, url,
 * digest, size and revision; revision/originRevision from sources; labels and
 * annotations with the reserved labels winning; reuse of an identical stored
 * artifact without rewriting; an empty artifact still archived; failures
 * leave nothing under a final name and no staging directory.
 */
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "engine/build.h"
#include "engine/dirhash.h"
#include "copy_fixture.h"

struct env {
	char *root, *s, *o, *store;
	struct storage storage;
	struct build_source sources[2];
	struct gen_copy copies[4];
	char *excl[2];
	struct kv glabels[2], gannot[1], caps[1];
	struct gen_artifact art;
	struct generator gen;
	struct build_opts opts;
};

static void
env_setup(struct env *v)
{
	struct err e;

	memset(v, 0, sizeof(*v));
	v->root = tu_mkdtemp();
	v->s = tu_path(v->root, "s");
	v->o = tu_path(v->root, "o");
	v->store = tu_path(v->root, "store");
	assert_int_equal(mkdir(v->s, 0755), 0);
	assert_int_equal(mkdir(v->o, 0755), 0);
	if (storage_init(&v->storage, v->store, "source-watcher.flux-system."
	    "svc.cluster.local.", &e) != 0)
		fail_msg("%s", e.msg);
	v->sources[0] = (struct build_source){ "s", v->s, "main@sha1:abc",
	    NULL };
	v->sources[1] = (struct build_source){ "o", v->o, "v1.0.0@sha256:def",
	    "main@sha1:123" };
	v->glabels[0] = (struct kv){ "team", "a" };
	v->glabels[1] = (struct kv){ LABEL_MANAGED_BY, "spoofed" };
	v->gannot[0] = (struct kv){ "note", "x" };
	v->caps[0] = (struct kv){ "env", "prod" };
	v->art = (struct gen_artifact){ .name = "web", .copy = v->copies };
	v->gen = (struct generator){ .name = "gen", .namespace = "apps",
	    .uid = "uid-1",
	    .labels = { v->glabels, 2 }, .annotations = { v->gannot, 1 } };
	v->opts = (struct build_opts){ .algo = DIGEST_SHA256 };
}

static void
env_add_copy(struct env *v, const char *from, const char *to)
{
	v->copies[v->art.n_copy++] = (struct gen_copy){ .from = (char *)from,
	    .to = (char *)to };
}

/* A source with one file "f" copied to the artifact root. */
static void
env_setup_one_file(struct env *v)
{
	struct fx_file src[] = {{ "f", "1" }, { NULL, NULL }};

	env_setup(v);
	fx_write_tree(v->s, src);
	env_add_copy(v, "@s/f", "@artifact/");
}

static void
env_teardown(struct env *v)
{
	storage_free(&v->storage);
	free(v->s);
	free(v->o);
	free(v->store);
	tu_rmtree(v->root);
}

static int
build(struct env *v, struct artifact_record *r, struct err *e)
{
	return build_artifact(&v->gen, &v->art, v->sources, 2, &v->storage,
	    &v->opts, r, e);
}

static const char *
kv_get(const struct kv_list *l, const char *key)
{
	size_t i;

	for (i = 0; i < l->len; i++)
		if (strcmp(l->items[i].key, key) == 0)
			return l->items[i].value;
	return NULL;
}

/* The artifact file name of a tree holding exactly files: the dirhash
 * (checked against source-watcher's own names in test_dirhash) of that tree
 * written afresh, so the name is compared with the staged contents. */
static void
expected_name(const char *prefix, const struct fx_file *files, char *out)
{
	char *dir = tu_mkdtemp(), sum[DIRHASH_STRING_MAX];
	struct err e;
	int fd;

	fx_write_tree(dir, files);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	if (dirhash_tree(fd, prefix, NULL, sum, &e) != 0)
		fail_msg("%s", e.msg);
	close(fd);
	sprintf(out, "%s.tar.gz", sum);
	tu_rmtree(dir);
}

/* Extracts the stored archive with GNU tar and compares its files. */
static void
assert_archive(struct env *v, const struct artifact_record *r,
    const struct fx_file *want)
{
	char *dir = tu_mkdtemp();
	int status;

	free(tu_run(&status, "tar -C '%s' -xzf '%s/%s'", dir, v->store,
	    r->path));
	assert_int_equal(status, 0);
	fx_assert_tree(dir, want);
	tu_rmtree(dir);
}

static char *
sha256_of(struct env *v, const struct artifact_record *r)
{
	int status;
	char *out = tu_run(&status, "printf 'sha256:'; sha256sum '%s/%s' | "
	    "cut -d' ' -f1", v->store, r->path);

	assert_int_equal(status, 0);
	return out;
}

static void
test_build_archive_identity_and_metadata(void **state)
{
	struct fx_file src[] = {{ "deploy/a.yaml", "a: 1\n" },
	    { "deploy/sub/b.yaml", "b: 2\n" }, { "README.md", "r" },
	    { NULL, NULL }};
	struct fx_file want[] = {{ "manifests/a.yaml", "a: 1\n" },
	    { "manifests/sub/b.yaml", "b: 2\n" }, { "README.md", "r" },
	    { NULL, NULL }};
	struct artifact_record r;
	char name[64], *url, *digest;
	struct stat st;
	struct env v;
	struct err e;

	(void)state;
	env_setup(&v);
	fx_write_tree(v.s, src);
	env_add_copy(&v, "@s/deploy/**", "@artifact/manifests/");
	env_add_copy(&v, "@s/README.md", "@artifact/");
	v.art.captures = (struct kv_list){ v.caps, 1 };
	if (build(&v, &r, &e) != 0)
		fail_msg("%s", e.msg);
	expected_name("web", want, name);
	assert_string_equal(r.filename, name);
	assert_string_equal(r.name, "web");
	assert_string_equal(r.namespace, "apps");
	assert_false(r.reused);
	if (asprintf(&url, "externalartifact/apps/web/%s", name) < 0)
		fail_msg("asprintf");
	assert_string_equal(r.path, url);
	free(url);
	if (asprintf(&url, "http://source-watcher.flux-system.svc.cluster."
	    "local./externalartifact/apps/web/%s", name) < 0)
		fail_msg("asprintf");
	assert_string_equal(r.url, url);
	free(url);
	digest = sha256_of(&v, &r);
	assert_string_equal(r.digest, digest);
	if (asprintf(&url, "latest@%s", digest) < 0)
		fail_msg("asprintf");
	assert_string_equal(r.revision, url);
	free(url);
	free(digest);
	url = tu_path(v.store, r.path);
	assert_int_equal(stat(url, &st), 0);
	assert_int_equal((uint64_t)st.st_size, r.size);
	assert_int_equal((int64_t)st.st_mtime, r.last_update_time);
	free(url);
	assert_archive(&v, &r, want);
	/* labels: common, then captures (the reserved ones are set over them
	 * by external_artifact_json); annotations from commonMetadata */
	assert_int_equal(r.labels.len, 3);
	assert_string_equal(kv_get(&r.labels, "team"), "a");
	assert_string_equal(kv_get(&r.labels, "env"), "prod");
	assert_int_equal(r.annotations.len, 1);
	assert_string_equal(kv_get(&r.annotations, "note"), "x");
	assert_int_equal(r.metadata.len, 0);
	artifact_record_free(&r);
	env_teardown(&v);
}

static void
test_build_revision_and_origin_revision(void **state)
{
	struct artifact_record r;
	struct env v;
	struct err e;

	(void)state;
	env_setup_one_file(&v);
	v.art.revision = "@o";
	v.art.origin_revision = "@o";
	if (build(&v, &r, &e) != 0)
		fail_msg("%s", e.msg);
	assert_string_equal(r.revision, "v1.0.0@sha256:def");
	assert_int_equal(r.metadata.len, 1);
	assert_string_equal(kv_get(&r.metadata, METADATA_ORIGIN_REVISION),
	    "main@sha1:123");
	artifact_record_free(&r);
	/* a source without an origin revision gives its revision */
	v.art.revision = "@s";
	v.art.origin_revision = "@s";
	if (build(&v, &r, &e) != 0)
		fail_msg("%s", e.msg);
	assert_string_equal(r.revision, "main@sha1:abc");
	assert_string_equal(kv_get(&r.metadata, METADATA_ORIGIN_REVISION),
	    "main@sha1:abc");
	artifact_record_free(&r);
	env_teardown(&v);
}

static void
test_build_reuses_identical_artifact(void **state)
{
	struct fx_file src[] = {{ "f", "content" }, { NULL, NULL }};
	struct artifact_record r1, r2;
	struct timeval old[2] = {{ 1000000, 0 }, { 1000000, 0 }};
	struct stat st;
	struct env v;
	struct err e;
	char *path, *listing;
	int status;

	(void)state;
	env_setup(&v);
	fx_write_tree(v.s, src);
	env_add_copy(&v, "@s/f", "@artifact/");
	if (build(&v, &r1, &e) != 0)
		fail_msg("%s", e.msg);
	path = tu_path(v.store, r1.path);
	assert_int_equal(utimes(path, old), 0);
	if (build(&v, &r2, &e) != 0)
		fail_msg("%s", e.msg);
	assert_true(r2.reused);
	assert_string_equal(r1.filename, r2.filename);
	assert_string_equal(r1.digest, r2.digest);
	assert_string_equal(r1.revision, r2.revision);
	assert_int_equal(r1.size, r2.size);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal((int64_t)st.st_mtime, 1000000);	/* not rewritten */
	assert_int_equal(r2.last_update_time, 1000000);
	listing = tu_run(&status, "ls -A '%s/externalartifact/apps/web' | "
	    "grep -v '\\.lock$'", v.store);
	assert_string_equal(listing, r1.filename);	/* no temp left */
	free(listing);
	artifact_record_free(&r2);
	/* with the published digest, the stored file is verified and kept */
	v.opts.known_digest = r1.digest;
	if (build(&v, &r2, &e) != 0)
		fail_msg("%s", e.msg);
	assert_true(r2.reused);
	assert_string_equal(r2.digest, r1.digest);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal((int64_t)st.st_mtime, 1000000);
	artifact_record_free(&r2);
	free(path);
	artifact_record_free(&r1);
	env_teardown(&v);
}

/* Adler-32 names can collide: a stored file with the same name but other
 * bytes is replaced, never served for the new content. */
static void
test_build_replaces_same_name_other_bytes(void **state)
{
	struct artifact_record r1, r2;
	struct env v;
	struct err e;
	char *path, *digest;
	FILE *f;

	(void)state;
	env_setup_one_file(&v);
	if (build(&v, &r1, &e) != 0)
		fail_msg("%s", e.msg);
	path = tu_path(v.store, r1.path);
	f = fopen(path, "wb");
	assert_non_null(f);
	fputs("not this artifact", f);
	fclose(f);
	v.opts.known_digest = r1.digest;	/* no longer verifies */
	if (build(&v, &r2, &e) != 0)
		fail_msg("%s", e.msg);
	assert_false(r2.reused);
	assert_string_equal(r2.filename, r1.filename);
	assert_string_equal(r2.digest, r1.digest);
	digest = sha256_of(&v, &r2);
	assert_string_equal(digest, r1.digest);
	free(digest);
	free(path);
	artifact_record_free(&r1);
	artifact_record_free(&r2);
	env_teardown(&v);
}

static void
test_build_identical_content_identical_bytes(void **state)
{
	struct fx_file src[] = {{ "x/a", "1" }, { "x/b", "2" }, { NULL, NULL }};
	struct artifact_record r1, r2;
	struct env v, w;
	struct err e;

	(void)state;
	env_setup(&v);
	env_setup(&w);
	fx_write_tree(v.s, src);
	fx_write_tree(w.s, src);
	env_add_copy(&v, "@s/x", "@artifact/");
	env_add_copy(&w, "@s/x", "@artifact/");
	if (build(&v, &r1, &e) != 0 || build(&w, &r2, &e) != 0)
		fail_msg("%s", e.msg);
	assert_string_equal(r1.filename, r2.filename);
	assert_string_equal(r1.digest, r2.digest);
	artifact_record_free(&r1);
	artifact_record_free(&r2);
	env_teardown(&v);
	env_teardown(&w);
}

static void
test_build_empty_artifact_is_archived(void **state)
{
	struct fx_file src[] = {{ "README.md", "r" }, { NULL, NULL }};
	struct fx_file none[] = {{ NULL, NULL }};
	struct artifact_record r;
	char *path;
	struct env v;
	struct err e;

	(void)state;
	env_setup(&v);
	fx_write_tree(v.s, src);
	env_add_copy(&v, "@s/README.md", "@artifact/");
	v.excl[0] = "*.md";
	v.copies[0].exclude = v.excl;
	v.copies[0].n_exclude = 1;
	if (build(&v, &r, &e) != 0)
		fail_msg("%s", e.msg);
	assert_string_equal(r.filename, "1.tar.gz");	/* adler32 of "" */
	path = tu_path(v.store, r.path);
	assert_int_equal(access(path, R_OK), 0);
	free(path);
	assert_archive(&v, &r, none);
	artifact_record_free(&r);
	env_teardown(&v);
}

/* No file (lock files aside) and no staging directory is left. */
static void
assert_store_empty(struct env *v)
{
	int status;
	char *out = tu_run(&status, "cd '%s' && find . -type f ! -name "
	    "'*.lock' -o -type d -path './.staging/*'", v->store);

	assert_string_equal(out, "");
	free(out);
}

static void
test_build_failure_leaves_nothing(void **state)
{
	struct artifact_record r;
	struct env v;
	struct err e;

	(void)state;
	env_setup_one_file(&v);
	env_add_copy(&v, "@s/*.none", "@artifact/");
	assert_int_equal(build(&v, &r, &e), -1);
	assert_string_equal(e.msg, "artifact 'web': copy '@s/*.none' -> "
	    "'@artifact/': no files match pattern '*.none' in source 's'");
	assert_null(r.filename);
	assert_store_empty(&v);
	env_teardown(&v);
}

static void
test_build_unknown_revision_source(void **state)
{
	struct artifact_record r;
	struct env v;
	struct err e;

	(void)state;
	env_setup_one_file(&v);
	v.art.revision = "@missing";
	assert_int_equal(build(&v, &r, &e), -1);
	assert_string_equal(e.msg, "revision '@missing' does not name a "
	    "source with a revision");
	assert_store_empty(&v);
	env_teardown(&v);
}

static void
test_build_staging_cleanup_removes_leftovers(void **state)
{
	struct fx_file junk[] = {{ ".staging/web-abc123/tree/f", "x" },
	    { NULL, NULL }};
	struct artifact_record r;
	struct env v;
	struct err e;
	char *dir, *out;
	int status;

	(void)state;
	env_setup_one_file(&v);
	fx_write_tree(v.store, junk);
	assert_int_equal(build_staging_cleanup(&v.storage, &e), 0);
	dir = tu_path(v.store, ".staging");
	assert_int_equal(access(dir, F_OK), -1);
	free(dir);
	/* a missing .staging is fine, and builds recreate it */
	assert_int_equal(build_staging_cleanup(&v.storage, &e), 0);
	if (build(&v, &r, &e) != 0)
		fail_msg("%s", e.msg);
	artifact_record_free(&r);
	out = tu_run(&status, "find '%s/.staging' -mindepth 1", v.store);
	assert_int_equal(status, 0);
	assert_string_equal(out, "");		/* the build's own is gone */
	free(out);
	env_teardown(&v);
}

/* The longest artifact names (DNS subdomains up to 253 bytes) still get a
 * staging directory: its name is cut to fit NAME_MAX. */
static void
test_build_longest_artifact_name(void **state)
{
	struct artifact_record r;
	char name[254];
	struct env v;
	struct err e;

	(void)state;
	env_setup_one_file(&v);
	memset(name, 'a', 253);
	name[253] = '\0';
	for (int i = 62; i < 253; i += 63)
		name[i] = '.';
	v.art.name = name;
	if (build(&v, &r, &e) != 0)
		fail_msg("%s", e.msg);
	assert_string_equal(r.name, name);
	artifact_record_free(&r);
	env_teardown(&v);
}

/* A .staging that is a symlink is refused, never followed: nothing is
 * staged outside the storage. */
static void
test_build_refuses_symlinked_staging(void **state)
{
	struct artifact_record r;
	struct env v;
	struct err e;
	char *outside, *out;
	int status;

	(void)state;
	env_setup_one_file(&v);
	outside = tu_mkdtemp();
	tu_symlink(v.store, ".staging", outside);
	assert_int_equal(build(&v, &r, &e), -1);
	assert_non_null(strstr(e.msg, "/.staging' (it must be a directory, "
	    "not a symlink)"));
	out = tu_run(&status, "find '%s' -mindepth 1", outside);
	assert_string_equal(out, "");
	free(out);
	out = tu_run(&status, "cd '%s' && find . -type f ! -name '*.lock'",
	    v.store);
	assert_string_equal(out, "");
	free(out);
	tu_rmtree(outside);
	env_teardown(&v);
}

/* As source-watcher: the name hashes every staged file, the archive leaves
 * out the SDK's default ignore patterns (case-sensitive, any depth). */
static void
test_build_archive_leaves_out_default_ignores(void **state)
{
	struct fx_file src[] = {
		{ "keep.yaml", "k" }, { "img/logo.png", "p" },
		{ "img/LOGO.PNG", "P" }, { "pkg/chart.tar.gz", "t" },
		{ "pkg/chart.tgz", "g" }, { "x/.github/workflows/ci.yml", "c" },
		{ "deep/er/.sops.yaml", "s" }, { "cloudbuild.yaml", "b" },
		{ "a.zip/inside.txt", "z" }, { NULL, NULL }};
	struct fx_file archived[] = {
		{ "keep.yaml", "k" }, { "img/LOGO.PNG", "P" },
		{ "pkg/chart.tgz", "g" }, { NULL, NULL }};
	struct artifact_record r;
	char name[64];
	struct env v;
	struct err e;

	(void)state;
	env_setup(&v);
	fx_write_tree(v.s, src);
	env_add_copy(&v, "@s/", "@artifact/");
	if (build(&v, &r, &e) != 0)
		fail_msg("%s", e.msg);
	expected_name("web", src, name);
	assert_string_equal(r.filename, name);
	assert_archive(&v, &r, archived);
	artifact_record_free(&r);
	env_teardown(&v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_archive_identity_and_metadata),
		cmocka_unit_test(test_build_revision_and_origin_revision),
		cmocka_unit_test(test_build_reuses_identical_artifact),
		cmocka_unit_test(test_build_replaces_same_name_other_bytes),
		cmocka_unit_test(test_build_identical_content_identical_bytes),
		cmocka_unit_test(test_build_empty_artifact_is_archived),
		cmocka_unit_test(test_build_failure_leaves_nothing),
		cmocka_unit_test(test_build_unknown_revision_source),
		cmocka_unit_test(test_build_staging_cleanup_removes_leftovers),
		cmocka_unit_test(test_build_archive_leaves_out_default_ignores),
		cmocka_unit_test(test_build_refuses_symlinked_staging),
		cmocka_unit_test(test_build_longest_artifact_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
