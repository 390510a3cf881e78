/*
 * Unit tests for src/storage/storage*.c: layout and secure path joining,
 * URLs, atomic copy/move, locks, existence and digest verification,
 * removal, retention GC (TTL, records, mtime order, lock files, the file
 * cap) and crash clean-up; planted symlinks are never followed. Every test
 * works in its own temp dir (the store is <tmp>/store, "outside" is
 * <tmp>/elsewhere).
 */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "storage/storage.h"

#define ART "externalartifact/ns/app"

static const struct storage_ref REF = { "ExternalArtifact", "ns", "app" };

struct fx {
	char *tmp;
	char *root;
	char *outside;
	struct storage s;
	struct err e;
};

static int
fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->tmp = tu_mkdtemp();
	f->root = tu_path(f->tmp, "store");
	f->outside = tu_path(f->tmp, "elsewhere");
	if (mkdir(f->outside, 0755) != 0)
		fail_msg("mkdir %s", f->outside);
	if (storage_init(&f->s, f->root, "localhost:9090", &f->e) != 0)
		fail_msg("storage_init: %s", f->e.msg);
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	storage_free(&f->s);
	free(f->root);
	free(f->outside);
	tu_rmtree(f->tmp);
	free(f);
	return 0;
}

/* Path below the store root (malloc'd). */
static char *
in_store(struct fx *f, const char *rel)
{
	return tu_path(f->root, rel);
}

static bool
path_exists(const char *dir, const char *rel)
{
	char *p = tu_path(dir, rel);
	struct stat st;
	bool ok = lstat(p, &st) == 0;

	free(p);
	return ok;
}

static mode_t
path_mode(const char *dir, const char *rel)
{
	char *p = tu_path(dir, rel);
	struct stat st;

	if (lstat(p, &st) != 0)
		fail_msg("lstat %s", p);
	free(p);
	return st.st_mode & 07777;
}

/* Number of entries of dir/rel whose name contains needle. */
static int
count_matching(const char *dir, const char *rel, const char *needle)
{
	char *p = tu_path(dir, rel);
	struct dirent *de;
	DIR *d = opendir(p);
	int n = 0;

	if (d == NULL)
		fail_msg("opendir %s", p);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0 &&
		    strstr(de->d_name, needle) != NULL)
			n++;
	closedir(d);
	free(p);
	return n;
}

static void
set_mtime(const char *dir, const char *rel, time_t t)
{
	struct timespec ts[2] = { { t, 0 }, { t, 0 } };
	char *p = tu_path(dir, rel);

	if (utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW) != 0)
		fail_msg("utimensat %s: %s", p, strerror(errno));
	free(p);
}

/* Writes an artifact file with the given mtime. */
static void
put_file(struct fx *f, const char *name, time_t mtime)
{
	char rel[512];

	snprintf(rel, sizeof(rel), ART "/%s", name);
	tu_write_str(f->root, rel, name);
	set_mtime(f->root, rel, mtime);
}

static void
run_ok(const char *fmt, const char *a, const char *b)
{
	char *out;
	int status;

	out = tu_run(&status, fmt, a, b);
	assert_int_equal(status, 0);
	free(out);
}

static char *
sha256_of(const char *path)
{
	char *out, *cmd_out;
	int status;

	cmd_out = tu_run(&status, "sha256sum '%s' | cut -d' ' -f1", path);
	assert_int_equal(status, 0);
	if (asprintf(&out, "sha256:%s", cmd_out) < 0)
		fail_msg("asprintf");
	free(cmd_out);
	return out;
}

/* ---- init, layout, joining ---- */

static void
test_init_creates_nested_root(void **state)
{
	struct fx *f = *state;
	struct storage s2;
	char *nested = tu_path(f->tmp, "a/b/c");

	assert_int_equal(storage_init(&s2, nested, "x", &f->e), 0);
	assert_string_equal(s2.root, nested);
	assert_true(s2.root_fd >= 0);
	assert_true(path_exists(f->tmp, "a/b/c"));
	storage_free(&s2);
	free(nested);
	assert_int_equal(storage_init(&s2, "", "x", &f->e), -1);
	assert_non_null(strstr(f->e.msg, "empty"));
}

static void
test_path_layout_lowercases_kind(void **state)
{
	struct fx *f = *state;
	char *p, *lp, *want;

	p = storage_path(&REF, "123.tar.gz", &f->e);
	assert_string_equal(p, "externalartifact/ns/app/123.tar.gz");
	free(p);
	p = storage_path(&REF, NULL, &f->e);
	assert_string_equal(p, "externalartifact/ns/app");
	free(p);
	lp = storage_local_path(&f->s, &REF, "1.tar.gz", &f->e);
	want = in_store(f, "externalartifact/ns/app/1.tar.gz");
	assert_string_equal(lp, want);
	free(lp);
	free(want);
}

/* Each role refuses "", ".", ".." and '/' with a message naming it. */
static void
test_path_refuses_bad_components(void **state)
{
	static const char *bad[] = { "", ".", "..", "a/b", "/", "../x" };
	struct fx *f = *state;
	struct storage_ref r;
	char want[64];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want), "\"%s\"", bad[i]);
		r = REF;
		r.namespace = bad[i];
		assert_null(storage_path(&r, "f", &f->e));
		assert_non_null(strstr(f->e.msg, "invalid namespace"));
		assert_non_null(strstr(f->e.msg, want));
		r = REF;
		r.name = bad[i];
		assert_null(storage_path(&r, "f", &f->e));
		assert_non_null(strstr(f->e.msg, "invalid name"));
		assert_non_null(strstr(f->e.msg, want));
		r = REF;
		r.kind = bad[i];
		assert_null(storage_path(&r, "f", &f->e));
		assert_non_null(strstr(f->e.msg, "invalid kind"));
		assert_null(storage_path(&REF, bad[i], &f->e));
		assert_non_null(strstr(f->e.msg, "invalid file name"));
		assert_non_null(strstr(f->e.msg, want));
		/* The operations refuse them too, creating nothing. */
		assert_int_equal(storage_artifact_dir_create(&f->s, &r, &f->e),
		    -1);
		assert_false(storage_exists(&f->s, &REF, bad[i]));
	}
	assert_int_equal(count_matching(f->root, ".", ""), 0);
}

static void
test_path_accepts_unicode_and_bounds_length(void **state)
{
	struct fx *f = *state;
	struct storage_ref r = REF;
	char long_name[300];
	char *p;

	r.name = "café-日本";
	p = storage_path(&r, "ñ.tar.gz", &f->e);
	assert_string_equal(p, "externalartifact/ns/café-日本/ñ.tar.gz");
	free(p);
	assert_int_equal(storage_artifact_dir_create(&f->s, &r, &f->e), 0);
	assert_true(path_exists(f->root, "externalartifact/ns/café-日本"));

	memset(long_name, 'n', 255);
	long_name[255] = '\0';
	r.name = long_name;
	assert_int_equal(storage_artifact_dir_create(&f->s, &r, &f->e), 0);
	long_name[255] = 'n';
	long_name[256] = '\0';
	assert_null(storage_path(&r, "f", &f->e));
	assert_non_null(strstr(f->e.msg, "invalid name \"nnnn"));
	assert_non_null(strstr(f->e.msg, "longer than 255 bytes"));
	assert_int_equal(storage_artifact_dir_create(&f->s, &r, &f->e), -1);
	assert_non_null(strstr(f->e.msg, "longer than 255 bytes"));
	assert_null(storage_path(&REF, long_name, &f->e));
	assert_non_null(strstr(f->e.msg, "invalid file name"));
}

static void
test_url_with_and_without_scheme(void **state)
{
	struct fx *f = *state;
	struct storage s2;
	char *u;

	u = storage_url(&f->s, "externalartifact/ns/app/1.tar.gz");
	assert_string_equal(u,
	    "http://localhost:9090/externalartifact/ns/app/1.tar.gz");
	free(u);
	u = storage_url(&f->s, "/externalartifact/ns/app/1.tar.gz");
	assert_string_equal(u,
	    "http://localhost:9090/externalartifact/ns/app/1.tar.gz");
	free(u);
	assert_int_equal(storage_init(&s2, f->root,
	    "https://artifacts.example.com", &f->e), 0);
	u = storage_url(&s2, "externalartifact/ns/app/1.tar.gz");
	assert_string_equal(u,
	    "https://artifacts.example.com/externalartifact/ns/app/1.tar.gz");
	free(u);
	storage_free(&s2);
	assert_int_equal(storage_init(&s2, f->root,
	    "http://sw.flux-system.svc", &f->e), 0);
	u = storage_url(&s2, "a/b/c/d");
	assert_string_equal(u, "http://sw.flux-system.svc/a/b/c/d");
	free(u);
	storage_free(&s2);
}

static void
test_dir_create_modes_ignore_umask(void **state)
{
	struct fx *f = *state;
	mode_t old = umask(077);

	assert_int_equal(storage_artifact_dir_create(&f->s, &REF, &f->e), 0);
	umask(old);
	assert_int_equal(path_mode(f->root, "externalartifact"), 0750);
	assert_int_equal(path_mode(f->root, "externalartifact/ns"), 0750);
	assert_int_equal(path_mode(f->root, ART), 0750);
	/* Idempotent. */
	assert_int_equal(storage_artifact_dir_create(&f->s, &REF, &f->e), 0);
}

/* ---- writing ---- */

static void
test_copy_into_is_atomic_and_private(void **state)
{
	struct fx *f = *state;
	char data[100000];
	char *src = tu_path(f->tmp, "src.bin"), *dst, *got;
	size_t len;

	tu_random_bytes(7, data, sizeof(data));
	tu_write(f->tmp, "src.bin", data, sizeof(data));
	assert_int_equal(storage_copy_into(&f->s, &REF, "1.tar.gz", src,
	    &f->e), 0);
	dst = in_store(f, ART "/1.tar.gz");
	got = tu_read(dst, &len);
	assert_int_equal(len, sizeof(data));
	assert_memory_equal(got, data, len);
	free(got);
	assert_int_equal(path_mode(f->root, ART "/1.tar.gz"), 0600);
	assert_int_equal(count_matching(f->root, ART, STORAGE_TEMP_MARKER), 0);

	/* Replacing an existing file. */
	tu_write_str(f->tmp, "src.bin", "v2");
	assert_int_equal(storage_copy_into(&f->s, &REF, "1.tar.gz", src,
	    &f->e), 0);
	got = tu_read(dst, NULL);
	assert_string_equal(got, "v2");
	free(got);
	assert_int_equal(count_matching(f->root, ART, STORAGE_TEMP_MARKER), 0);
	free(dst);
	free(src);
}

static void
test_copy_into_failures_leave_no_temp(void **state)
{
	struct fx *f = *state;
	char *missing = tu_path(f->tmp, "nope.bin");
	char *src = tu_path(f->tmp, "src.bin"), *dst, *got;

	tu_write_str(f->root, ART "/1.tar.gz", "old");
	assert_int_equal(storage_copy_into(&f->s, &REF, "1.tar.gz", missing,
	    &f->e), -1);
	assert_non_null(strstr(f->e.msg,
	    "store artifact externalartifact/ns/app/1.tar.gz"));
	assert_non_null(strstr(f->e.msg, "nope.bin"));
	assert_non_null(strstr(f->e.msg, "No such file"));
	dst = in_store(f, ART "/1.tar.gz");
	got = tu_read(dst, NULL);
	assert_string_equal(got, "old");
	free(got);

	/* A source that is a directory. */
	assert_int_equal(storage_copy_into(&f->s, &REF, "2.tar.gz", f->tmp,
	    &f->e), -1);
	assert_non_null(strstr(f->e.msg, "not a regular file"));

	/* Failing at the rename: the final name is a directory. */
	tu_write_str(f->tmp, "src.bin", "new");
	tu_write_str(f->root, ART "/busy.tar.gz/inner", "x");
	assert_int_equal(storage_copy_into(&f->s, &REF, "busy.tar.gz", src,
	    &f->e), -1);
	assert_non_null(strstr(f->e.msg, "rename"));
	assert_int_equal(count_matching(f->root, ART, STORAGE_TEMP_MARKER), 0);
	free(dst);
	free(missing);
	free(src);
}

static void
test_move_into_renames_temp_in_place(void **state)
{
	struct fx *f = *state;
	char *tmp = in_store(f, ART "/9.tar.gz.tmp-abcdef"), *dst, *got;

	tu_write_str(f->root, ART "/9.tar.gz.tmp-abcdef", "archive");
	assert_int_equal(storage_move_into(&f->s, &REF, "9.tar.gz", tmp,
	    &f->e), 0);
	assert_false(path_exists(f->root, ART "/9.tar.gz.tmp-abcdef"));
	dst = in_store(f, ART "/9.tar.gz");
	got = tu_read(dst, NULL);
	assert_string_equal(got, "archive");
	assert_int_equal(path_mode(f->root, ART "/9.tar.gz"), 0600);
	free(got);
	free(dst);

	/* A source that vanished: clear error, nothing published. */
	assert_int_equal(storage_move_into(&f->s, &REF, "10.tar.gz", tmp,
	    &f->e), -1);
	assert_non_null(strstr(f->e.msg, "9.tar.gz.tmp-abcdef"));
	assert_false(path_exists(f->root, ART "/10.tar.gz"));
	free(tmp);
}

static void
test_move_into_from_another_directory(void **state)
{
	struct fx *f = *state;
	char *src = tu_path(f->tmp, "staged.tar.gz"), *dst, *got;

	tu_write_str(f->tmp, "staged.tar.gz", "payload");
	assert_int_equal(storage_move_into(&f->s, &REF, "1.tar.gz", src,
	    &f->e), 0);
	assert_false(path_exists(f->tmp, "staged.tar.gz"));
	dst = in_store(f, ART "/1.tar.gz");
	got = tu_read(dst, NULL);
	assert_string_equal(got, "payload");
	free(got);
	free(dst);
	free(src);
}

/* Across file systems (rename gives EXDEV): copied, then the source goes.
 * Skipped when /dev/shm is absent or on the store's file system. */
static void
test_move_into_across_file_systems(void **state)
{
	struct fx *f = *state;
	char src[] = "/dev/shm/ag-storage-test-XXXXXX";
	struct stat a, b;
	char *dst, *got;
	int fd;

	if (stat("/dev/shm", &a) != 0 || stat(f->root, &b) != 0 ||
	    a.st_dev == b.st_dev || (fd = mkstemp(src)) < 0) {
		skip();
		return;
	}
	if (write(fd, "across", 6) != 6)
		fail_msg("write %s", src);
	close(fd);
	assert_int_equal(storage_move_into(&f->s, &REF, "1.tar.gz", src,
	    &f->e), 0);
	assert_int_equal(access(src, F_OK), -1);
	dst = in_store(f, ART "/1.tar.gz");
	got = tu_read(dst, NULL);
	assert_string_equal(got, "across");
	assert_int_equal(path_mode(f->root, ART "/1.tar.gz"), 0600);
	assert_int_equal(count_matching(f->root, ART, STORAGE_TEMP_MARKER), 0);
	free(got);
	free(dst);
}

/* ---- locks ---- */

static void
test_lock_contention(void **state)
{
	struct fx *f = *state;
	int fd1, fd2, fd3;

	assert_int_equal(storage_lock(&f->s, &REF, "1.tar.gz", &fd1, &f->e), 0);
	assert_true(fd1 >= 0);
	assert_true(path_exists(f->root, ART "/1.tar.gz.lock"));
	assert_int_equal(storage_lock(&f->s, &REF, "1.tar.gz", &fd2, &f->e),
	    -1);
	assert_int_equal(fd2, -1);
	assert_string_equal(f->e.msg, "artifact "
	    "externalartifact/ns/app/1.tar.gz is locked by another writer "
	    "(1.tar.gz.lock is held)");
	/* Another artifact file is independent. */
	assert_int_equal(storage_lock(&f->s, &REF, "2.tar.gz", &fd3, &f->e), 0);
	storage_unlock(fd3);
	storage_unlock(fd1);
	assert_int_equal(storage_lock(&f->s, &REF, "1.tar.gz", &fd2, &f->e), 0);
	storage_unlock(fd2);
	storage_unlock(-1);
}

/* ---- exists, verify ---- */

static void
test_exists_only_for_regular_files(void **state)
{
	struct fx *f = *state;
	char *target = tu_path(f->outside, "real.tar.gz");

	assert_false(storage_exists(&f->s, &REF, "1.tar.gz"));
	tu_write_str(f->root, ART "/1.tar.gz", "x");
	assert_true(storage_exists(&f->s, &REF, "1.tar.gz"));
	tu_write_str(f->outside, "real.tar.gz", "y");
	tu_symlink(f->root, ART "/link.tar.gz", target);
	assert_false(storage_exists(&f->s, &REF, "link.tar.gz"));
	tu_write_str(f->root, ART "/dir.tar.gz/x", "z");
	assert_false(storage_exists(&f->s, &REF, "dir.tar.gz"));
	free(target);
}

static void
test_verify_digests(void **state)
{
	struct fx *f = *state;
	char *path, *good, *upper, *b3, *out;
	char bad[256];
	int status;
	size_t i;

	tu_write_str(f->root, ART "/1.tar.gz", "hello artifact");
	path = in_store(f, ART "/1.tar.gz");
	good = sha256_of(path);
	assert_int_equal(storage_verify(&f->s, &REF, "1.tar.gz", good, &f->e),
	    0);
	upper = strdup(good);
	for (i = strlen("sha256:"); upper[i]; i++)
		if (upper[i] >= 'a' && upper[i] <= 'f')
			upper[i] = (char)(upper[i] - 'a' + 'A');
	assert_int_equal(storage_verify(&f->s, &REF, "1.tar.gz", upper, &f->e),
	    0);

	out = tu_run(&status, "b3sum --no-names '%s'", path);
	assert_int_equal(status, 0);
	if (asprintf(&b3, "blake3:%s", out) < 0)
		fail_msg("asprintf");
	assert_int_equal(storage_verify(&f->s, &REF, "1.tar.gz", b3, &f->e), 0);

	snprintf(bad, sizeof(bad), "%s", good);
	bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == '0' ? '1' : '0';
	assert_int_equal(storage_verify(&f->s, &REF, "1.tar.gz", bad, &f->e),
	    -1);
	assert_non_null(strstr(f->e.msg,
	    "verify artifact externalartifact/ns/app/1.tar.gz"));
	assert_non_null(strstr(f->e.msg, "mismatch"));
	assert_non_null(strstr(f->e.msg, bad));
	assert_non_null(strstr(f->e.msg, good));

	assert_int_equal(storage_verify(&f->s, &REF, "2.tar.gz", good, &f->e),
	    -1);
	assert_non_null(strstr(f->e.msg, "2.tar.gz"));
	assert_non_null(strstr(f->e.msg, "No such file"));
	assert_int_equal(storage_verify(&f->s, &REF, "1.tar.gz", "md5:00",
	    &f->e), -1);
	assert_int_equal(storage_verify(&f->s, &REF, "1.tar.gz", "", &f->e),
	    -1);
	assert_non_null(strstr(f->e.msg, "no digest"));
	free(out);
	free(b3);
	free(upper);
	free(good);
	free(path);
}

static void
test_verify_refuses_symlinked_file(void **state)
{
	struct fx *f = *state;
	char *target = tu_path(f->outside, "real.tar.gz"), *good;

	tu_write_str(f->outside, "real.tar.gz", "outside data");
	good = sha256_of(target);
	tu_write_str(f->root, ART "/keep", "");
	tu_symlink(f->root, ART "/1.tar.gz", target);
	assert_int_equal(storage_verify(&f->s, &REF, "1.tar.gz", good, &f->e),
	    -1);
	assert_non_null(strstr(f->e.msg, "symbolic link"));
	free(good);
	free(target);
}

/* ---- removal ---- */

static void
test_remove_file_and_all(void **state)
{
	struct fx *f = *state;
	char *target = tu_path(f->outside, "precious");

	tu_write_str(f->root, ART "/1.tar.gz", "x");
	tu_write_str(f->root, ART "/2.tar.gz", "y");
	assert_int_equal(storage_remove(&f->s, &REF, "1.tar.gz", &f->e), 0);
	assert_false(path_exists(f->root, ART "/1.tar.gz"));
	assert_true(path_exists(f->root, ART "/2.tar.gz"));
	/* Missing file or directory: nothing to do. */
	assert_int_equal(storage_remove(&f->s, &REF, "1.tar.gz", &f->e), 0);
	struct storage_ref other = { "ExternalArtifact", "ns", "gone" };
	assert_int_equal(storage_remove(&f->s, &other, "1.tar.gz", &f->e), 0);
	assert_int_equal(storage_remove_all(&f->s, &other, &f->e), 0);

	/* A symlink inside is removed itself, its target survives. */
	tu_write_str(f->outside, "precious/file", "keep me");
	tu_symlink(f->root, ART "/link", target);
	tu_write_str(f->root, ART "/sub/deeper/x", "x");
	assert_int_equal(storage_remove_all(&f->s, &REF, &f->e), 0);
	assert_false(path_exists(f->root, ART));
	assert_true(path_exists(f->root, "externalartifact/ns"));
	assert_true(path_exists(f->outside, "precious/file"));
	free(target);
}

/* externalartifact/ns -> elsewhere: no operation goes through it. */
static void
test_planted_namespace_symlink_not_followed(void **state)
{
	struct fx *f = *state;
	char *src = tu_path(f->tmp, "src"), *good, *victim;
	int fd, deleted = -1;
	struct storage_gc_opts gc = { "new.tar.gz", 0, 1, 0 };

	tu_write_str(f->outside, "app/1.tar.gz", "victim");
	set_mtime(f->outside, "app/1.tar.gz", 1000);
	tu_write_str(f->outside, "app/2.tar.gz", "victim");
	set_mtime(f->outside, "app/2.tar.gz", 1000);
	victim = tu_path(f->outside, "app/1.tar.gz");
	good = sha256_of(victim);
	tu_write_str(f->tmp, "src", "data");
	if (mkdir(f->root, 0750) != 0 && errno != EEXIST)
		fail_msg("mkdir");
	tu_write_str(f->root, "externalartifact/.keep", "");
	tu_symlink(f->root, "externalartifact/ns", f->outside);

	assert_int_equal(storage_artifact_dir_create(&f->s, &REF, &f->e), -1);
	assert_string_equal(f->e.msg, "storage: externalartifact/ns is a "
	    "symbolic link, refusing to follow it");
	assert_false(storage_exists(&f->s, &REF, "1.tar.gz"));
	assert_int_equal(storage_verify(&f->s, &REF, "1.tar.gz", good, &f->e),
	    -1);
	assert_non_null(strstr(f->e.msg, "symbolic link"));
	assert_int_equal(storage_copy_into(&f->s, &REF, "3.tar.gz", src,
	    &f->e), -1);
	assert_int_equal(storage_lock(&f->s, &REF, "1.tar.gz", &fd, &f->e), -1);
	assert_int_equal(storage_remove(&f->s, &REF, "1.tar.gz", &f->e), -1);
	assert_non_null(strstr(f->e.msg, "symbolic link"));
	assert_int_equal(storage_gc(&f->s, &REF, &gc, &deleted, &f->e), -1);
	assert_int_equal(deleted, 0);
	assert_int_equal(storage_remove_all(&f->s, &REF, &f->e), -1);
	assert_non_null(strstr(f->e.msg, "symbolic link"));

	assert_true(path_exists(f->outside, "app/1.tar.gz"));
	assert_true(path_exists(f->outside, "app/2.tar.gz"));
	assert_false(path_exists(f->outside, "app/3.tar.gz"));
	assert_false(path_exists(f->outside, "app/1.tar.gz.lock"));
	assert_int_equal(count_matching(f->outside, "app", ""), 2);
	free(victim);
	free(good);
	free(src);
}

/* The same at the kind and name levels. */
static void
test_planted_kind_and_name_symlinks_not_followed(void **state)
{
	static const char *links[] = { "externalartifact",
	    "externalartifact/ns/app" };
	struct fx *f = *state;
	struct storage_gc_opts gc = { NULL, 0, 0, 0 };
	char *src = tu_path(f->tmp, "src");
	int deleted = -1;
	size_t i;

	tu_write_str(f->tmp, "src", "data");
	tu_write_str(f->outside, "1.tar.gz", "victim");
	set_mtime(f->outside, "1.tar.gz", 1000);
	for (i = 0; i < 2; i++) {
		if (i == 1)
			run_ok("rm '%s/externalartifact' && mkdir -p "
			    "'%s/externalartifact/ns'", f->root, f->root);
		tu_symlink(f->root, links[i], f->outside);
		assert_int_equal(storage_copy_into(&f->s, &REF, "2.tar.gz",
		    src, &f->e), -1);
		assert_non_null(strstr(f->e.msg, links[i]));
		assert_non_null(strstr(f->e.msg, "symbolic link"));
		assert_false(storage_exists(&f->s, &REF, "1.tar.gz"));
		assert_int_equal(storage_gc(&f->s, &REF, &gc, &deleted, &f->e),
		    -1);
		assert_int_equal(deleted, 0);
		assert_int_equal(storage_remove(&f->s, &REF, "1.tar.gz",
		    &f->e), -1);
		assert_true(path_exists(f->outside, "1.tar.gz"));
		assert_false(path_exists(f->outside, "2.tar.gz"));
	}
	/* remove_all drops the planted link itself, not what it points to. */
	assert_int_equal(storage_remove_all(&f->s, &REF, &f->e), 0);
	assert_false(path_exists(f->root, ART));
	assert_true(path_exists(f->outside, "1.tar.gz"));
	free(src);
}

/* ---- GC ---- */

static bool
art_has(struct fx *f, const char *name)
{
	char rel[512];

	snprintf(rel, sizeof(rel), ART "/%s", name);
	return path_exists(f->root, rel);
}

static void
test_gc_ttl_keeps_current(void **state)
{
	struct fx *f = *state;
	const time_t now = 1700000000;
	struct storage_gc_opts o = { "cur.tar.gz", 60, 10, now };
	int deleted;

	put_file(f, "cur.tar.gz", now - 500);	/* old but current */
	put_file(f, "a.tar.gz", now - 100);
	put_file(f, "b.tar.gz", now - 61);
	put_file(f, "c.tar.gz", now - 60);	/* exactly the TTL: kept */
	put_file(f, "d.tar.gz", now - 5);
	assert_int_equal(storage_gc(&f->s, &REF, &o, &deleted, &f->e), 0);
	assert_int_equal(deleted, 2);
	assert_true(art_has(f, "cur.tar.gz"));
	assert_false(art_has(f, "a.tar.gz"));
	assert_false(art_has(f, "b.tar.gz"));
	assert_true(art_has(f, "c.tar.gz"));
	assert_true(art_has(f, "d.tar.gz"));
}

/* Records keep the newest by mtime, not by name; the current counts. */
static void
test_gc_records_by_mtime(void **state)
{
	struct fx *f = *state;
	const time_t now = 1700000000;
	struct storage_gc_opts o = { "z.tar.gz", 3600, 3, now };
	int deleted;

	put_file(f, "a.tar.gz", now - 1);	/* newest */
	put_file(f, "b.tar.gz", now - 40);
	put_file(f, "c.tar.gz", now - 20);
	put_file(f, "d.tar.gz", now - 30);
	put_file(f, "z.tar.gz", now - 50);	/* current, oldest */
	assert_int_equal(storage_gc(&f->s, &REF, &o, &deleted, &f->e), 0);
	assert_int_equal(deleted, 2);
	assert_true(art_has(f, "z.tar.gz"));
	assert_true(art_has(f, "a.tar.gz"));
	assert_true(art_has(f, "c.tar.gz"));
	assert_false(art_has(f, "d.tar.gz"));
	assert_false(art_has(f, "b.tar.gz"));
	/* Stable: a second pass removes nothing. */
	assert_int_equal(storage_gc(&f->s, &REF, &o, &deleted, &f->e), 0);
	assert_int_equal(deleted, 0);
}

static void
test_gc_ttl_then_records(void **state)
{
	struct fx *f = *state;
	const time_t now = 1700000000;
	struct storage_gc_opts o = { "cur.tar.gz", 60, 2, now };
	int deleted;

	put_file(f, "old1.tar.gz", now - 1000);
	put_file(f, "old2.tar.gz", now - 900);
	put_file(f, "f1.tar.gz", now - 30);
	put_file(f, "f2.tar.gz", now - 20);
	put_file(f, "f3.tar.gz", now - 10);
	put_file(f, "cur.tar.gz", now);
	assert_int_equal(storage_gc(&f->s, &REF, &o, &deleted, &f->e), 0);
	/* Expired: old1, old2; then keep 2 of {f1, f2, f3, cur}. */
	assert_int_equal(deleted, 4);
	assert_true(art_has(f, "cur.tar.gz"));
	assert_true(art_has(f, "f3.tar.gz"));
	assert_false(art_has(f, "f2.tar.gz"));
	assert_false(art_has(f, "f1.tar.gz"));
	assert_false(art_has(f, "old1.tar.gz"));
	assert_false(art_has(f, "old2.tar.gz"));

	/* records <= 0: only the current one stays. */
	o.records = 0;
	assert_int_equal(storage_gc(&f->s, &REF, &o, &deleted, &f->e), 0);
	assert_int_equal(deleted, 1);
	assert_int_equal(count_matching(f->root, ART, ".tar.gz"), 1);
	assert_true(art_has(f, "cur.tar.gz"));
}

static void
test_gc_lock_files_go_with_artifacts(void **state)
{
	struct fx *f = *state;
	const time_t now = 1700000000;
	struct storage_gc_opts o = { "cur.tar.gz", 60, 5, now };
	int deleted;

	put_file(f, "old.tar.gz", now - 100);
	put_file(f, "old.tar.gz.lock", now - 1000);
	put_file(f, "cur.tar.gz", now - 100);
	put_file(f, "cur.tar.gz.lock", now - 1000);
	put_file(f, "orphan.tar.gz.lock", now - 1000);
	put_file(f, "x.tar.gz.tmp-abc123", now - 1000);
	assert_int_equal(storage_gc(&f->s, &REF, &o, &deleted, &f->e), 0);
	assert_int_equal(deleted, 1);
	assert_false(art_has(f, "old.tar.gz"));
	assert_false(art_has(f, "old.tar.gz.lock"));
	assert_true(art_has(f, "cur.tar.gz"));
	assert_true(art_has(f, "cur.tar.gz.lock"));
	/* Lock and temp files are not artifacts: never collected alone. */
	assert_true(art_has(f, "orphan.tar.gz.lock"));
	assert_true(art_has(f, "x.tar.gz.tmp-abc123"));

	/* Lock files do not count toward records. */
	put_file(f, "n1.tar.gz", now - 2);
	put_file(f, "n1.tar.gz.lock", now - 2);
	o.records = 2;
	assert_int_equal(storage_gc(&f->s, &REF, &o, &deleted, &f->e), 0);
	assert_int_equal(deleted, 0);
	assert_true(art_has(f, "n1.tar.gz"));
}

static void
test_gc_skips_subdirs_and_symlinks(void **state)
{
	struct fx *f = *state;
	const time_t now = 1700000000;
	struct storage_gc_opts o = { NULL, 60, 0, now };
	char *target = tu_path(f->outside, "t.tar.gz");
	char *tdir = tu_path(f->outside, "d");
	int deleted;

	tu_write_str(f->outside, "t.tar.gz", "x");
	set_mtime(f->outside, "t.tar.gz", now - 1000);
	tu_write_str(f->outside, "d/in.tar.gz", "x");
	set_mtime(f->outside, "d/in.tar.gz", now - 1000);
	put_file(f, "sub/deep.tar.gz", now - 1000);
	put_file(f, "old.tar.gz", now - 1000);
	tu_symlink(f->root, ART "/link.tar.gz", target);
	tu_symlink(f->root, ART "/linkdir", tdir);
	assert_int_equal(storage_gc(&f->s, &REF, &o, &deleted, &f->e), 0);
	assert_int_equal(deleted, 1);
	assert_false(art_has(f, "old.tar.gz"));
	assert_true(art_has(f, "sub/deep.tar.gz"));
	assert_true(art_has(f, "link.tar.gz"));
	assert_true(path_exists(f->outside, "t.tar.gz"));
	assert_true(path_exists(f->outside, "d/in.tar.gz"));
	free(target);
	free(tdir);
}

static void
test_gc_examines_at_most_1000_files(void **state)
{
	struct fx *f = *state;
	const time_t now = 1700000000;
	struct storage_gc_opts o = { NULL, 60, 0, now };
	char name[64];
	int i, deleted;

	assert_int_equal(STORAGE_GC_FILE_LIMIT, 1000);
	for (i = 0; i < 1010; i++) {
		snprintf(name, sizeof(name), "%04d.tar.gz", i);
		put_file(f, name, now - 1000 - i);
	}
	assert_int_equal(storage_gc(&f->s, &REF, &o, &deleted, &f->e), 0);
	assert_int_equal(deleted, 1000);
	assert_int_equal(count_matching(f->root, ART, ".tar.gz"), 10);
	assert_int_equal(storage_gc(&f->s, &REF, &o, &deleted, &f->e), 0);
	assert_int_equal(deleted, 10);
	assert_int_equal(count_matching(f->root, ART, ".tar.gz"), 0);
}

static void
test_gc_missing_dir_is_noop(void **state)
{
	struct fx *f = *state;
	struct storage_gc_opts o = { "x", 60, 2, 0 };
	int deleted = -1;

	assert_int_equal(storage_gc(&f->s, &REF, &o, &deleted, &f->e), 0);
	assert_int_equal(deleted, 0);
	/* now == 0 means the wall clock: a fresh file is not expired. */
	put_file(f, "fresh.tar.gz", time(NULL));
	o.records = 5;
	assert_int_equal(storage_gc(&f->s, &REF, &o, &deleted, &f->e), 0);
	assert_int_equal(deleted, 0);
}

/* ---- crash clean-up ---- */

static void
test_cleanup_temp_removes_leftovers_only(void **state)
{
	struct fx *f = *state;
	char *tdir = tu_path(f->outside, "d");
	int removed = -1;

	tu_write_str(f->root, ART "/1.tar.gz", "keep");
	tu_write_str(f->root, ART "/1.tar.gz.lock", "");
	tu_write_str(f->root, ART "/2.tar.gz.tmp-Ab12Cd", "crash");
	tu_write_str(f->root, ART "/.tmp-x", "crash");
	tu_write_str(f->root, "externalartifact/ns/stray.tmp-1", "crash");
	tu_write_str(f->root, "root.tmp-2", "crash");
	tu_write_str(f->root, "externalartifact/ns/other/ok.tar.gz", "keep");
	/* Too deep for the layout: left alone. */
	tu_write_str(f->root, ART "/sub/deep.tmp-3", "deep");
	/* Behind a symlink: not followed. */
	tu_write_str(f->outside, "d/out.tmp-4", "outside");
	tu_symlink(f->root, ART "/linkdir", tdir);
	assert_int_equal(storage_cleanup_temp(&f->s, &removed, &f->e), 0);
	assert_int_equal(removed, 4);
	assert_false(art_has(f, "2.tar.gz.tmp-Ab12Cd"));
	assert_false(art_has(f, ".tmp-x"));
	assert_false(path_exists(f->root, "externalartifact/ns/stray.tmp-1"));
	assert_false(path_exists(f->root, "root.tmp-2"));
	assert_true(art_has(f, "1.tar.gz"));
	assert_true(art_has(f, "1.tar.gz.lock"));
	assert_true(art_has(f, "sub/deep.tmp-3"));
	assert_true(path_exists(f->root, "externalartifact/ns/other/ok.tar.gz"));
	assert_true(path_exists(f->outside, "d/out.tmp-4"));
	assert_int_equal(storage_cleanup_temp(&f->s, &removed, &f->e), 0);
	assert_int_equal(removed, 0);
	free(tdir);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_init_creates_nested_root),
		T(test_path_layout_lowercases_kind),
		T(test_path_refuses_bad_components),
		T(test_path_accepts_unicode_and_bounds_length),
		T(test_url_with_and_without_scheme),
		T(test_dir_create_modes_ignore_umask),
		T(test_copy_into_is_atomic_and_private),
		T(test_copy_into_failures_leave_no_temp),
		T(test_move_into_renames_temp_in_place),
		T(test_move_into_from_another_directory),
		T(test_move_into_across_file_systems),
		T(test_lock_contention),
		T(test_exists_only_for_regular_files),
		T(test_verify_digests),
		T(test_verify_refuses_symlinked_file),
		T(test_remove_file_and_all),
		T(test_planted_namespace_symlink_not_followed),
		T(test_planted_kind_and_name_symlinks_not_followed),
		T(test_gc_ttl_keeps_current),
		T(test_gc_records_by_mtime),
		T(test_gc_ttl_then_records),
		T(test_gc_lock_files_go_with_artifacts),
		T(test_gc_skips_subdirs_and_symlinks),
		T(test_gc_examines_at_most_1000_files),
		T(test_gc_missing_dir_is_noop),
		T(test_cleanup_temp_removes_leftovers_only),
	};
	return cmocka_run_group_tests_name("storage", tests, NULL, NULL);
}
