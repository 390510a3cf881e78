/*
 * Unit tests for src/archive/tar_write.c and tar_read.c: normalized,
 * reproducible archives that GNU tar and Go's archive/tar (build/tools/
 * tarcheck) read as expected; digests equal to sha256sum/b3sum; atomic
 * output; round trips; and hostile archives (built here from raw headers)
 * rejected with the right message and nothing written outside the target.
 * Run from the repository root (make test does).
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
#include <zlib.h>

#include "archive/tar.h"
#include "base/dir_list.h"

#define TARCHECK "build/tools/tarcheck"

/* The fixture tree: what tar_write_dir must archive, in archive order. */
struct entry {
	char name[400];		/* archive name (dirs end with '/') */
	bool dir, exec;
	size_t size;
	uint64_t seed;		/* content: tu_random_bytes(seed) or text */
	bool text;
};

#define NENTRIES 18
static struct entry entries[NENTRIES];

static void *
entry_content(const struct entry *en)
{
	unsigned char *p = malloc(en->size + 1);
	size_t i;

	if (en->text)
		for (i = 0; i < en->size; i++)
			p[i] = (unsigned char)("key: value-"[i % 11] + (i / 11) % 3);
	else
		tu_random_bytes(en->seed, p, en->size);
	return p;
}

static void
entries_init(void)
{
	char d120[121], f140[141], f150[151], x99[100], y100[101];
	size_t n = 0;

#define DIR(nm) do { snprintf(entries[n].name, 400, "%s", nm); \
	entries[n++].dir = true; } while (0)
#define FILE_(nm, sz, txt, ex) do { snprintf(entries[n].name, 400, "%s", nm); \
	entries[n].size = sz; entries[n].text = txt; entries[n].exec = ex; \
	entries[n].seed = n + 1; n++; } while (0)
	memset(d120, 'd', 120), d120[120] = '\0';
	memset(f140, 'f', 140), f140[140] = '\0';
	memset(f150, 'g', 150), f150[150] = '\0';
	memset(x99, 'x', 99), x99[99] = '\0';
	memset(y100, 'y', 100), y100[100] = '\0';
	memset(entries, 0, sizeof(entries));
	DIR("a/");
	FILE_("a/b.yaml", 1000, true, false);
	DIR("a/c/");
	FILE_("a/c/deep.bin", 300000, false, false);
	FILE_("a.txt", 6, true, false);
	DIR("bin/");
	FILE_("bin/run.sh", 40, true, true);
	DIR("empty/");
	DIR("l1/");
	snprintf(entries[n].name, 400, "l1/%s/", d120);
	entries[n++].dir = true;
	{
		char nm[400];

		snprintf(nm, sizeof(nm), "l1/%s/%s", d120, f140);
		FILE_(nm, 513, false, false);
		DIR("long/");
		snprintf(nm, sizeof(nm), "long/%s", f150);
		FILE_(nm, 512, true, false);
	}
	DIR("sub/");
	FILE_(x99, 100, false, false);
	FILE_(y100, 1, true, false);
	FILE_("zero.dat", 0, false, false);
	assert_int_equal(n, NENTRIES - 1);
	entries[n].name[0] = '\0';	/* sentinel */
#undef DIR
#undef FILE_
}

static size_t
entries_count(void)
{
	size_t n = 0;

	while (n < NENTRIES && entries[n].name[0] != '\0')
		n++;
	return n;
}

static void
run_ok(const char *fmt, const char *arg)
{
	int status;
	char *out = tu_run(&status, fmt, arg);

	if (status != 0)
		fail_msg("command failed (%d): %s", status, out);
	free(out);
}

/*
 * Builds the fixture in dir, in an order and with metadata chosen by
 * `variant` (different modes, mtimes, creation order), plus the things the
 * writer must skip: a symlink, a fifo, VCS directories.
 */
static void
tree_make(const char *dir, int variant)
{
	size_t n = entries_count(), i, k;
	char *p, *q;

	for (k = 0; k < n; k++) {
		i = variant ? n - 1 - k : k;
		p = tu_path(dir, entries[i].name);
		if (entries[i].dir) {
			run_ok("mkdir -p '%s'", p);
		} else {
			void *c = entry_content(&entries[i]);

			tu_write(dir, entries[i].name, c, entries[i].size);
			free(c);
			chmod(p, entries[i].exec ? (variant ? 0711 : 0755) :
			    (variant ? 0644 : 0600));
		}
		free(p);
	}
	tu_write_str(dir, ".git/config", "[core]\n");
	tu_write_str(dir, "a/.git/HEAD", "ref\n");
	tu_write_str(dir, "sub/.svn/entries", "x\n");
	tu_write_str(dir, "sub/.hg/x", "x\n");
	tu_symlink(dir, "link-to-a", "a.txt");
	tu_symlink(dir, "a/escape", "/etc");
	p = tu_path(dir, "fifo");
	assert_int_equal(mkfifo(p, 0600), 0);
	free(p);
	if (variant) {
		run_ok("find '%s' -exec touch -h -d @123456789 {} +", dir);
		if (geteuid() == 0)
			run_ok("chown -hR 1234:5678 '%s'", dir);
		/* Directory modes must not matter either. */
		q = tu_path(dir, "a/c");
		chmod(q, 0777);
		free(q);
	}
}

static char *
sha256_hex(const void *data, size_t len)
{
	struct digest_ctx ctx;
	struct err e;
	char s[DIGEST_STRING_MAX];

	assert_int_equal(digest_init(&ctx, DIGEST_SHA256, &e), 0);
	digest_update(&ctx, data, len);
	digest_final_string(&ctx, s);
	return strdup(s + strlen("sha256:"));
}

static char *
write_fixture(char **tree, char **outdir, int variant,
    struct tar_write_result *res)
{
	struct tar_write_opts opts = { .algo = DIGEST_SHA256 };
	struct err e;
	char *dest;

	*tree = tu_mkdtemp();
	*outdir = tu_mkdtemp();
	tree_make(*tree, variant);
	dest = tu_path(*outdir, "out.tar.gz");
	if (tar_write_dir(*tree, dest, &opts, res, &e) != 0)
		fail_msg("tar_write_dir: %s", e.msg);
	return dest;
}

/* Go's archive/tar sees exactly the normalized entries, in order. */
static void
check_tarcheck(const char *archive)
{
	size_t n = entries_count(), i, cap = 1 << 16, len = 0;
	char *expect = malloc(cap), *out, *sum;
	int status;

	expect[0] = '\0';
	for (i = 0; i < n; i++) {
		void *c = entry_content(&entries[i]);

		sum = sha256_hex(c, entries[i].dir ? 0 : entries[i].size);
		len += (size_t)snprintf(expect + len, cap - len,
		    "%c %o 0/0 / 0 %zu %s %s\n", entries[i].dir ? '5' : '0',
		    entries[i].dir ? 0750 : entries[i].exec ? 0700 : 0600,
		    entries[i].dir ? 0 : entries[i].size, sum,
		    entries[i].name);
		free(sum);
		free(c);
	}
	expect[len - 1] = '\0';
	out = tu_run(&status, TARCHECK " '%s' 2>&1", archive);
	assert_int_equal(status, 0);
	assert_string_equal(out, expect);
	free(out);
	free(expect);
}

/* GNU tar lists the same, with numeric owners 0/0 and time zero. */
static void
check_gnu_tar(const char *archive)
{
	size_t n = entries_count(), i, cap = 1 << 16, len = 0;
	char *expect = malloc(cap), *out;
	int status;

	expect[0] = '\0';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(expect + len, cap - len,
		    "%s 0/0 %zu 1970-01-01 00:00 %s\n",
		    entries[i].dir ? "drwxr-x---" : entries[i].exec ?
		    "-rwx------" : "-rw-------", entries[i].size,
		    entries[i].name);
	expect[len - 1] = '\0';
	out = tu_run(&status, "TZ=UTC tar --numeric-owner -tvzf '%s' | "
	    "awk '{print $1, $2, $3, $4, $5, $6}'", archive);
	assert_int_equal(status, 0);
	assert_string_equal(out, expect);
	free(out);
	free(expect);
}

static char *
dir_listing(const char *dir)
{
	int status;
	char *out = tu_run(&status, "ls -A '%s'", dir);

	assert_int_equal(status, 0);
	return out;
}

static void
test_write_normalized_headers(void **state)
{
	struct tar_write_result res;
	char *tree, *outdir, *dest, *ls, *gz;
	size_t len;

	(void)state;
	dest = write_fixture(&tree, &outdir, 0, &res);
	check_tarcheck(dest);
	check_gnu_tar(dest);
	/* Fixed gzip header: magic, deflate, no flags, mtime 0, OS Unix. */
	gz = tu_read(dest, &len);
	assert_true(len > 18);
	assert_memory_equal(gz, "\x1f\x8b\x08\x00\x00\x00\x00\x00", 8);
	assert_int_equal((unsigned char)gz[9], 3);
	assert_int_equal(len, res.size);
	free(gz);
	/* Only the archive is left in the destination directory. */
	ls = dir_listing(outdir);
	assert_string_equal(ls, "out.tar.gz");
	free(ls);
	free(dest);
	tu_rmtree(tree);
	tu_rmtree(outdir);
}

static void
test_write_is_reproducible(void **state)
{
	struct tar_write_result r1, r2, r3;
	char *t1, *o1, *d1, *t2, *o2, *d2, *d3, *a, *b;
	size_t l1, l2;
	struct err e;
	struct tar_write_opts opts = { .algo = DIGEST_SHA256 };
	int status;

	(void)state;
	d1 = write_fixture(&t1, &o1, 0, &r1);
	d2 = write_fixture(&t2, &o2, 1, &r2);
	d3 = tu_path(o1, "again.tar.gz");
	assert_int_equal(tar_write_dir(t1, d3, &opts, &r3, &e), 0);
	a = tu_read(d1, &l1);
	b = tu_read(d2, &l2);
	assert_int_equal(l1, l2);
	assert_memory_equal(a, b, l1);
	assert_string_equal(r1.digest, r2.digest);
	assert_string_equal(r1.digest, r3.digest);
	free(tu_run(&status, "cmp '%s' '%s'", d1, d3));
	assert_int_equal(status, 0);
	check_tarcheck(d2);
	check_gnu_tar(d2);
	free(a);
	free(b);
	free(d1);
	free(d2);
	free(d3);
	tu_rmtree(t1);
	tu_rmtree(o1);
	tu_rmtree(t2);
	tu_rmtree(o2);
}

static void
test_digest_matches_reference_tools(void **state)
{
	static const struct {
		enum digest_algo algo;
		const char *tool, *prefix;
	} cases[] = {
		{ DIGEST_SHA256, "sha256sum", "sha256:" },
		{ DIGEST_SHA512, "sha512sum", "sha512:" },
		{ DIGEST_SHA1, "sha1sum", "sha1:" },
		{ DIGEST_BLAKE3, "b3sum", "blake3:" },
	};
	struct tar_write_result res;
	struct tar_write_opts opts = { .level = 9 };
	struct stat st;
	struct err e;
	char *tree = tu_mkdtemp(), *outdir = tu_mkdtemp(), *dest, *out;
	size_t i;
	int status;

	(void)state;
	tree_make(tree, 0);
	dest = tu_path(outdir, "x.tar.gz");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		opts.algo = cases[i].algo;
		assert_int_equal(tar_write_dir(tree, dest, &opts, &res, &e), 0);
		out = tu_run(&status, "%s '%s' | cut -d' ' -f1", cases[i].tool,
		    dest);
		assert_int_equal(status, 0);
		assert_int_equal(strncmp(res.digest, cases[i].prefix,
		    strlen(cases[i].prefix)), 0);
		assert_string_equal(res.digest + strlen(cases[i].prefix), out);
		assert_int_equal(stat(dest, &st), 0);
		assert_int_equal(st.st_size, (off_t)res.size);
		assert_int_equal(st.st_mode & 07777, 0600);
		free(out);
	}
	check_tarcheck(dest);
	check_gnu_tar(dest);
	free(dest);
	tu_rmtree(tree);
	tu_rmtree(outdir);
}

/* Extraction gives back every entry with normalized modes and the same
 * bytes; nothing that was skipped appears. */
static void
test_round_trip(void **state)
{
	struct tar_write_result res;
	char *tree, *outdir, *dest, *target = tu_mkdtemp(), *out, *expect;
	size_t n = entries_count(), i, cap = 1 << 16, len = 0, l1, l2;
	struct err e;
	int status;

	(void)state;
	dest = write_fixture(&tree, &outdir, 0, &res);
	if (targz_extract_file(dest, target, NULL, &e) != 0)
		fail_msg("extract: %s", e.msg);
	expect = malloc(cap);
	for (i = 0; i < n; i++) {
		char nm[400];

		memcpy(nm, entries[i].name, sizeof(nm));
		if (entries[i].dir)
			nm[strlen(nm) - 1] = '\0';
		len += (size_t)snprintf(expect + len, cap - len, "%s %o %s\n",
		    entries[i].dir ? "d" : "f", entries[i].dir ? 0750 :
		    entries[i].exec ? 0700 : 0600, nm);
		if (!entries[i].dir) {
			char *p1 = tu_path(tree, nm), *p2 = tu_path(target, nm);
			char *c1 = tu_read(p1, &l1), *c2 = tu_read(p2, &l2);

			assert_int_equal(l1, l2);
			assert_memory_equal(c1, c2, l1);
			free(c1);
			free(c2);
			free(p1);
			free(p2);
		}
	}
	expect[len - 1] = '\0';
	tu_write_str(outdir, "expect.txt", expect);
	out = tu_run(&status, "cd '%s' && find . -mindepth 1 -printf "
	    "'%%y %%m %%P\\n' | LC_ALL=C sort", target);
	assert_int_equal(status, 0);
	{
		char *p = tu_path(outdir, "expect.txt");
		char *sorted = tu_run(&status, "LC_ALL=C sort '%s'", p);

		assert_string_equal(out, sorted);
		free(sorted);
		free(p);
	}
	free(out);
	free(expect);
	free(dest);
	tu_rmtree(tree);
	tu_rmtree(outdir);
	tu_rmtree(target);
}

static void
test_writer_api_and_temp_files(void **state)
{
	struct tar_write_opts opts = { .algo = DIGEST_SHA256, .level = 1 };
	struct tar_write_result res;
	struct tar_writer *w;
	char *dir = tu_mkdtemp(), *outdir = tu_mkdtemp(), *dest, *src, *lnk;
	char *ls, *out;
	struct err e;
	int fd, status;

	(void)state;
	tu_write_str(dir, "f.txt", "content\n");
	src = tu_path(dir, "f.txt");
	lnk = tu_path(dir, "lnk");
	assert_int_equal(symlink(src, lnk), 0);
	dest = tu_path(outdir, "api.tar.gz");

	/* A symlink source is an error; abort leaves nothing behind. */
	assert_int_equal(tar_writer_open(dest, &opts, &w, &e), 0);
	assert_int_equal(tar_writer_add_file(w, "x", lnk, &e), -1);
	assert_non_null(strstr(e.msg, "symbolic link"));
	assert_int_equal(tar_writer_add_file(w, "../x", src, &e), -1);
	assert_non_null(strstr(e.msg, "'..'"));
	tar_writer_abort(w);
	ls = dir_listing(outdir);
	assert_string_equal(ls, "");
	free(ls);

	/* Entries in caller order, from paths and descriptors. */
	assert_int_equal(tar_writer_open(dest, &opts, &w, &e), 0);
	assert_int_equal(tar_writer_add_dir(w, "d", &e), 0);
	assert_int_equal(tar_writer_add_file(w, "d/f.txt", src, &e), 0);
	fd = open(src, O_RDONLY);
	assert_int_equal(tar_writer_add_fd(w, "d/g.sh", fd, true, &e), 0);
	close(fd);
	assert_int_equal(tar_writer_finish(w, &res, &e), 0);
	out = tu_run(&status, TARCHECK " '%s' | cut -d' ' -f1,2,3,6,8", dest);
	assert_int_equal(status, 0);
	assert_string_equal(out, "5 750 0/0 0 d/\n0 600 0/0 8 d/f.txt\n"
	    "0 700 0/0 8 d/g.sh");
	free(out);
	ls = dir_listing(outdir);
	assert_string_equal(ls, "api.tar.gz");
	free(ls);

	/* Cancelled: an error, the old archive untouched, no temp file. */
	{
		cancel_flag cancel = 1;
		struct tar_write_opts copts = { .algo = DIGEST_SHA256,
		    .cancel = &cancel };
		char *before = tu_read(dest, NULL);
		char *after;

		assert_int_equal(tar_write_dir(dir, dest, &copts, &res, &e), -1);
		assert_non_null(strstr(e.msg, "cancelled"));
		after = tu_read(dest, NULL);
		assert_string_equal(before, after);
		free(before);
		free(after);
	}
	ls = dir_listing(outdir);
	assert_string_equal(ls, "api.tar.gz");
	free(ls);
	assert_true(tar_is_vcs_dir(".git") && tar_is_vcs_dir("CVS") &&
	    tar_is_vcs_dir(".jj") && !tar_is_vcs_dir("git"));
	free(src);
	free(lnk);
	free(dest);
	tu_rmtree(dir);
	tu_rmtree(outdir);
}

/* tar_writer fed in tar_path_cmp order writes what tar_write_dir writes,
 * including for names where '/' and '-' or '.' compete. */
static void
test_writer_order_matches_dir_walk(void **state)
{
	static const char *const paths[] = {
		"a.txt", "a.d/y", "a-b", "a/x", "a/x-y/z", "a/x.y", "a.d",
		"a", "a/x-y",
	};
	static const bool is_dir[] = {
		false, false, false, false, false, false, true, true, true,
	};
	size_t n = sizeof(paths) / sizeof(paths[0]), i, j;
	struct tar_write_opts opts = { .algo = DIGEST_SHA256 };
	struct tar_write_result r1, r2;
	struct tar_writer *w;
	const char *sorted[16];
	bool sdir[16];
	char *tree = tu_mkdtemp(), *outdir = tu_mkdtemp(), *d1, *d2, *out;
	struct err e;
	int status;

	(void)state;
	for (i = 0; i < n; i++) {
		char *p = tu_path(tree, paths[i]);

		if (is_dir[i])
			run_ok("mkdir -p '%s'", p);
		else
			tu_write_str(tree, paths[i], paths[i]);
		free(p);
		sorted[i] = paths[i];
		sdir[i] = is_dir[i];
	}
	/* Insertion sort with tar_path_cmp. */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && tar_path_cmp(sorted[j - 1], sorted[j]) > 0;
		    j--) {
			const char *t = sorted[j];
			bool b = sdir[j];

			sorted[j] = sorted[j - 1];
			sorted[j - 1] = t;
			sdir[j] = sdir[j - 1];
			sdir[j - 1] = b;
		}
	assert_true(tar_path_cmp("a/x", "a-b") < 0);
	assert_true(strcmp("a/x", "a-b") > 0);
	assert_true(tar_path_cmp("a", "a/x") < 0);
	assert_int_equal(tar_path_cmp("a/x", "a/x"), 0);
	d1 = tu_path(outdir, "walk.tar.gz");
	d2 = tu_path(outdir, "api.tar.gz");
	assert_int_equal(tar_write_dir(tree, d1, &opts, &r1, &e), 0);
	assert_int_equal(tar_writer_open(d2, &opts, &w, &e), 0);
	for (i = 0; i < n; i++) {
		char *p = tu_path(tree, sorted[i]);

		if (sdir[i])
			assert_int_equal(tar_writer_add_dir(w, sorted[i], &e), 0);
		else
			assert_int_equal(tar_writer_add_file(w, sorted[i], p,
			    &e), 0);
		free(p);
	}
	assert_int_equal(tar_writer_finish(w, &r2, &e), 0);
	assert_string_equal(r1.digest, r2.digest);
	out = tu_run(&status, TARCHECK " '%s' | awk '{print $NF}' | "
	    "tr '\\n' ' '", d1);
	assert_int_equal(status, 0);
	assert_string_equal(out, "a/ a/x a/x-y/ a/x-y/z a/x.y a-b a.d/ "
	    "a.d/y a.txt ");
	free(out);
	out = tu_run(&status, "tar -tzf '%s' | tr '\\n' ' '", d2);
	assert_int_equal(status, 0);
	assert_string_equal(out, "a/ a/x a/x-y/ a/x-y/z a/x.y a-b a.d/ "
	    "a.d/y a.txt ");
	free(out);
	/* An archive written inside its own source tree skips itself. */
	free(d1);
	d1 = tu_path(tree, "zz-self.tar.gz");
	assert_int_equal(tar_write_dir(tree, d1, &opts, &r2, &e), 0);
	assert_string_equal(r1.digest, r2.digest);
	free(d1);
	free(d2);
	tu_rmtree(tree);
	tu_rmtree(outdir);
}

/* Raw archives for the reader tests. */

struct rawtar {
	unsigned char *p;
	size_t len, cap;
};

static void
raw_put(struct rawtar *t, const void *d, size_t n)
{
	if (t->len + n > t->cap) {
		t->cap = (t->len + n) * 2 + 4096;
		t->p = realloc(t->p, t->cap);
	}
	memcpy(t->p + t->len, d, n);
	t->len += n;
}

/* One ustar header (+ data + padding). */
static void
raw_entry(struct rawtar *t, const char *name, char type, const void *data,
    size_t size, const char *link)
{
	unsigned char h[512], pad[512] = { 0 };
	unsigned sum = 0;
	size_t i;

	memset(h, 0, sizeof(h));
	memcpy(h, name, strnlen(name, 100));
	snprintf((char *)h + 100, 8, "%07o", type == '5' ? 0755 : 0644);
	snprintf((char *)h + 108, 8, "%07o", 0);
	snprintf((char *)h + 116, 8, "%07o", 0);
	snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)size);
	snprintf((char *)h + 136, 12, "%011o", 0);
	h[156] = (unsigned char)type;
	if (link)
		memcpy(h + 157, link, strnlen(link, 100));
	memcpy(h + 257, "ustar\0" "00", 8);
	memset(h + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	raw_put(t, h, 512);
	if (data != NULL) {
		raw_put(t, data, size);
		raw_put(t, pad, (512 - size % 512) % 512);
	}
}

static void
raw_end(struct rawtar *t)
{
	unsigned char z[1024] = { 0 };

	raw_put(t, z, sizeof(z));
}

/* A gzip deflate stream with its first input and output buffer set. */
static void
gz_begin(z_stream *zs, int level, const void *data, size_t len,
    unsigned char *out, size_t cap)
{
	memset(zs, 0, sizeof(*zs));
	assert_int_equal(deflateInit2(zs, level, Z_DEFLATED, 31, 8,
	    Z_DEFAULT_STRATEGY), Z_OK);
	zs->next_in = (Bytef *)(uintptr_t)data;
	zs->avail_in = (uInt)len;
	zs->next_out = out;
	zs->avail_out = (uInt)cap;
}

/* gzip (one member) of the bytes in t; malloc'd. */
static unsigned char *
gz(const void *data, size_t len, size_t *outlen)
{
	z_stream zs;
	size_t cap = len + len / 100 + 1024;
	unsigned char *out = malloc(cap);

	gz_begin(&zs, 6, data, len, out, cap);
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	*outlen = cap - zs.avail_out;
	deflateEnd(&zs);
	return out;
}

/*
 * A gzip member holding prefix followed by `mib` MiB of zeros, built without
 * compressing them all: after a full flush each MiB of zeros compresses to
 * the same bytes, which are repeated; the trailer CRC is combined.
 */
static unsigned char *
gz_zero_bomb(const void *prefix, size_t plen, size_t mib, size_t *outlen)
{
	static unsigned char zeros[1 << 20];
	unsigned char *out, *chunk = malloc(1 << 16), *prev = malloc(1 << 16);
	size_t len = 0, clen = 0, plen2 = 0, i, cap;
	uLong crc, zcrc;
	z_stream zs;
	uint64_t total;

	cap = 1 << 20;
	out = malloc(cap);
	/* The prefix and the first MiB: the gzip header and history. */
	gz_begin(&zs, 9, prefix, plen, out, cap);
	assert_int_equal(deflate(&zs, Z_FULL_FLUSH), Z_OK);
	zs.next_in = zeros;
	zs.avail_in = sizeof(zeros);
	assert_int_equal(deflate(&zs, Z_FULL_FLUSH), Z_OK);
	len = cap - zs.avail_out;
	/* Two more MiB separately: they must compress identically. */
	for (i = 0; i < 2; i++) {
		zs.next_in = zeros;
		zs.avail_in = sizeof(zeros);
		zs.next_out = chunk;
		zs.avail_out = 1 << 16;
		assert_int_equal(deflate(&zs, Z_FULL_FLUSH), Z_OK);
		memcpy(prev, chunk, clen);
		plen2 = clen;
		clen = (1 << 16) - zs.avail_out;
	}
	assert_int_equal(plen2, clen);
	assert_memory_equal(prev, chunk, clen);
	out = realloc(out, len + clen * mib + 64);
	for (i = 1; i < mib; i++, len += clen)
		memcpy(out + len, chunk, clen);
	/* Final empty block, then our own trailer. */
	zs.next_in = NULL;
	zs.avail_in = 0;
	zs.next_out = out + len;
	zs.avail_out = 64;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	len += 64 - zs.avail_out - 8;	/* drop zlib's trailer */
	deflateEnd(&zs);
	crc = crc32(0, prefix, (uInt)plen);
	zcrc = crc32(0, zeros, sizeof(zeros));
	for (i = 0; i < mib; i++)
		crc = crc32_combine(crc, zcrc, sizeof(zeros));
	total = plen + (uint64_t)mib * sizeof(zeros);
	for (i = 0; i < 4; i++)
		out[len++] = (unsigned char)(crc >> (8 * i));
	for (i = 0; i < 4; i++)
		out[len++] = (unsigned char)(total >> (8 * i));
	free(chunk);
	free(prev);
	*outlen = len;
	return out;
}

struct hostile {
	char *base;		/* holds only target/ (and outside/) */
	char *target;
	char *archdir;
};

static void
hostile_setup(struct hostile *h)
{
	h->base = tu_mkdtemp();
	h->archdir = tu_mkdtemp();
	h->target = tu_path(h->base, "target");
	assert_int_equal(mkdir(h->target, 0750), 0);
}

static void
hostile_teardown(struct hostile *h)
{
	free(h->target);
	tu_rmtree(h->base);
	tu_rmtree(h->archdir);
}

/* Extracts bytes (written to a file outside base); returns 0 or -1. */
static int
hostile_extract(struct hostile *h, const void *bytes, size_t len,
    const struct tar_read_limits *lim, struct err *e)
{
	tu_write(h->archdir, "a.tar.gz", bytes, len);
	{
		char *p = tu_path(h->archdir, "a.tar.gz");
		int rc = targz_extract_file(p, h->target, lim, e);

		free(p);
		return rc;
	}
}

/* Nothing outside target, no temp file anywhere inside. */
static void
hostile_check_contained(struct hostile *h, const char *base_listing)
{
	char *ls = dir_listing(h->base), *out;
	int status;

	assert_string_equal(ls, base_listing);
	free(ls);
	out = tu_run(&status, "find '%s' -name '.ag-extract.tmp-*'", h->base);
	assert_string_equal(out, "");
	free(out);
}

/* One rejected single-entry archive: the message names the entry. */
static void
expect_rejected(const struct rawtar *t, const char *entry,
    const char *needle)
{
	struct hostile h;
	struct err e;
	unsigned char *z;
	size_t zl;
	char quoted[600];

	hostile_setup(&h);
	z = gz(t->p, t->len, &zl);
	assert_int_equal(hostile_extract(&h, z, zl, NULL, &e), -1);
	if (strstr(e.msg, needle) == NULL)
		fail_msg("expected '%s' in: %s", needle, e.msg);
	snprintf(quoted, sizeof(quoted), "'%s'", entry);
	if (entry != NULL && strstr(e.msg, quoted) == NULL)
		fail_msg("expected entry %s in: %s", quoted, e.msg);
	hostile_check_contained(&h, "target");
	free(z);
	hostile_teardown(&h);
}

static void
test_reject_traversal_and_absolute(void **state)
{
	struct rawtar t = { 0 };
	char abs[512];
	char *base;

	(void)state;
	raw_entry(&t, "ok.txt", '0', "hi", 2, NULL);
	raw_entry(&t, "../x", '0', "evil", 4, NULL);
	raw_end(&t);
	expect_rejected(&t, "../x", "'..'");
	t.len = 0;
	raw_entry(&t, "a/", '5', NULL, 0, NULL);
	raw_entry(&t, "a/../../x", '0', "evil", 4, NULL);
	raw_end(&t);
	expect_rejected(&t, "a/../../x", "'..'");
	/* An absolute name pointing at a place we can check. */
	base = tu_mkdtemp();
	snprintf(abs, sizeof(abs), "%s/abs-x", base);
	t.len = 0;
	raw_entry(&t, abs, '0', "evil", 4, NULL);
	raw_end(&t);
	expect_rejected(&t, abs, "absolute");
	assert_int_not_equal(access(abs, F_OK), 0);
	tu_rmtree(base);
	free(t.p);
}

static void
test_reject_links_and_special_files(void **state)
{
	struct rawtar t = { 0 };

	static const struct {
		const char *name;
		char type;
		const char *link, *msg;
	} cases[] = {
		{ "s", '2', "/etc/passwd", "symbolic links are not allowed" },
		{ "h", '1', "f.txt", "hard links are not allowed" },
		{ "null", '3', NULL, "device files are not allowed" },
		{ "blk", '4', NULL, "device files are not allowed" },
		{ "p", '6', NULL, "fifos are not allowed" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t.len = 0;
		raw_entry(&t, "f.txt", '0', "x", 1, NULL);
		raw_entry(&t, cases[i].name, cases[i].type, NULL, 0,
		    cases[i].link);
		raw_end(&t);
		expect_rejected(&t, cases[i].name, cases[i].msg);
	}
	free(t.p);
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
test_reject_gzip_bombs(void **state)
{
	struct tar_read_limits lim = { .max_bytes = 1 << 20 };
	struct rawtar t = { 0 };
	struct hostile h;
	struct err e;
	unsigned char *z;
	size_t zl;
	double t0;

	(void)state;
	/* A 1 GiB file of zeros, about 1 MiB compressed. */
	raw_entry(&t, "bomb", '0', NULL, 1ULL << 30, NULL);
	z = gz_zero_bomb(t.p, t.len, 1024, &zl);
	assert_true(zl < (4u << 20));
	hostile_setup(&h);
	t0 = now_seconds();
	assert_int_equal(hostile_extract(&h, z, zl, &lim, &e), -1);
	assert_true(now_seconds() - t0 < 2.0);
	assert_non_null(strstr(e.msg, "'bomb'"));
	assert_non_null(strstr(e.msg, "max_bytes"));
	hostile_check_contained(&h, "target");
	{
		char *ls = dir_listing(h.target);

		assert_string_equal(ls, "");
		free(ls);
	}
	hostile_teardown(&h);
	free(z);
	/* 1 GiB of zeros as such: an end marker followed by more zeros. */
	z = gz_zero_bomb("", 0, 1024, &zl);
	hostile_setup(&h);
	t0 = now_seconds();
	assert_int_equal(hostile_extract(&h, z, zl, &lim, &e), -1);
	assert_true(now_seconds() - t0 < 2.0);
	assert_non_null(strstr(e.msg, "max_bytes"));
	hostile_check_contained(&h, "target");
	hostile_teardown(&h);
	free(z);
	/* Many entries each within the limit: the sum is checked. */
	{
		static unsigned char data[300000];

		t.len = 0;
		raw_entry(&t, "a", '0', data, sizeof(data), NULL);
		raw_entry(&t, "b", '0', data, sizeof(data), NULL);
		raw_entry(&t, "c", '0', data, sizeof(data), NULL);
		raw_entry(&t, "d", '0', data, sizeof(data), NULL);
		raw_end(&t);
		z = gz(t.p, t.len, &zl);
		hostile_setup(&h);
		assert_int_equal(hostile_extract(&h, z, zl, &lim, &e), -1);
		assert_non_null(strstr(e.msg, "'d'"));
		assert_non_null(strstr(e.msg, "max_bytes"));
		hostile_teardown(&h);
		free(z);
	}
	free(t.p);
}

static void
test_reject_too_many_entries(void **state)
{
	struct tar_read_limits lim = { .max_entries = 10 };
	struct rawtar t = { 0 };
	struct hostile h;
	struct err e;
	unsigned char *z;
	char name[16], *out;
	size_t zl;
	int i, status;

	(void)state;
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "f%02d", i);
		raw_entry(&t, name, '0', "x", 1, NULL);
	}
	raw_end(&t);
	z = gz(t.p, t.len, &zl);
	hostile_setup(&h);
	assert_int_equal(hostile_extract(&h, z, zl, &lim, &e), -1);
	assert_non_null(strstr(e.msg, "too many entries"));
	assert_non_null(strstr(e.msg, "'f10'"));
	out = tu_run(&status, "ls '%s' | wc -l", h.target);
	assert_string_equal(out, "10");
	free(out);
	hostile_teardown(&h);
	/* The same archive within a larger limit is fine. */
	lim.max_entries = 20;
	hostile_setup(&h);
	assert_int_equal(hostile_extract(&h, z, zl, &lim, &e), 0);
	hostile_teardown(&h);
	free(z);
	free(t.p);
}

/* A PAX 'x' header giving the next entry the path name. */
static void
raw_pax_path(struct rawtar *t, const char *name)
{
	char rec[4200];
	size_t body = strlen(" path=\n") + strlen(name), len = body + 1;

	while (len != body + (size_t)snprintf(NULL, 0, "%zu", len))
		len = body + (size_t)snprintf(NULL, 0, "%zu", len);
	snprintf(rec, sizeof(rec), "%zu path=%s\n", len, name);
	raw_entry(t, "PaxHeader", 'x', rec, strlen(rec), NULL);
}

/* "d/d/.../d" of levels components, plus "/f" when file. */
static void
deep_name(char *out, int levels, bool file)
{
	out[0] = '\0';
	for (int i = 0; i < levels; i++)
		strcat(out, i ? "/d" : "d");
	if (file)
		strcat(out, "/f");
}

/* Directories nest at most TREE_DEPTH_MAX (256) levels, for files and
 * directory entries alike; one more is refused with the same message the
 * copy engine gives, and nothing deeper is created. */
static void
test_reject_too_deep(void **state)
{
	struct rawtar t = { 0 };
	struct hostile h;
	struct err e;
	unsigned char *z;
	char name[1200], *out;
	size_t zl;
	int status;

	(void)state;
	deep_name(name, TREE_DEPTH_MAX, true);	/* 256 directories + file */
	raw_pax_path(&t, name);
	raw_entry(&t, "f", '0', "x", 1, NULL);
	deep_name(name, TREE_DEPTH_MAX, false);
	raw_pax_path(&t, name);
	raw_entry(&t, "d", '5', NULL, 0, NULL);
	raw_end(&t);
	z = gz(t.p, t.len, &zl);
	hostile_setup(&h);
	assert_int_equal(hostile_extract(&h, z, zl, NULL, &e), 0);
	hostile_teardown(&h);
	free(z);

	for (int file = 0; file < 2; file++) {
		t.len = 0;
		deep_name(name, TREE_DEPTH_MAX + 1, file);
		raw_pax_path(&t, name);
		raw_entry(&t, file ? "f" : "d", file ? '0' : '5', file ? "x" :
		    NULL, (size_t)file, NULL);
		raw_end(&t);
		z = gz(t.p, t.len, &zl);
		hostile_setup(&h);
		assert_int_equal(hostile_extract(&h, z, zl, NULL, &e), -1);
		assert_non_null(strstr(e.msg, "archive entry 'd/d/d/"));
		assert_non_null(strstr(e.msg, "...': nested deeper than 256 "
		    "levels"));
		out = tu_run(&status, "find '%s' -mindepth 257 | wc -l",
		    h.target);
		assert_string_equal(out, "0");
		free(out);
		hostile_check_contained(&h, "target");
		hostile_teardown(&h);
		free(z);
	}
	free(t.p);
}

/* Duplicate file names: the last entry wins, and more than max_replaced
 * replacements (default 10000) are refused naming the entry, quickly. */
static void
test_reject_duplicate_flood(void **state)
{
	struct tar_read_limits lim = { .max_replaced = 3 };
	struct rawtar t = { 0 };
	struct hostile h;
	struct err e;
	unsigned char *z;
	char data[12], *p, *got;
	size_t zl;
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {	/* 3 replacements */
		snprintf(data, sizeof(data), "%d", i);
		raw_entry(&t, "dup.txt", '0', data, 1, NULL);
	}
	raw_end(&t);
	z = gz(t.p, t.len, &zl);
	hostile_setup(&h);
	assert_int_equal(hostile_extract(&h, z, zl, &lim, &e), 0);
	p = tu_path(h.target, "dup.txt");
	got = tu_read(p, NULL);
	assert_string_equal(got, "3");
	free(got);
	free(p);
	hostile_teardown(&h);
	free(z);

	t.len = 0;
	for (i = 0; i < (int)TAR_READ_DEFAULT_MAX_REPLACED + 3; i++)
		raw_entry(&t, i % 2 ? "b.txt" : "a.txt", '0', "x", 1, NULL);
	raw_end(&t);
	z = gz(t.p, t.len, &zl);
	hostile_setup(&h);
	assert_int_equal(hostile_extract(&h, z, zl, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "archive entry 'a.txt': more than 10000 "
	    "entries replace a file of the same name extracted earlier"));
	hostile_check_contained(&h, "target");
	hostile_teardown(&h);
	free(z);
	free(t.p);
}

static void
test_reject_corrupt_input(void **state)
{
	static unsigned char data[100000];
	struct rawtar t = { 0 };
	struct hostile h;
	struct err e;
	unsigned char *z, *z2;
	size_t zl, zl2;
	char *ls;

	(void)state;
	tu_random_bytes(7, data, sizeof(data));
	raw_entry(&t, "big.bin", '0', data, sizeof(data), NULL);
	raw_end(&t);
	z = gz(t.p, t.len, &zl);

	/* Truncated gzip: the member ends early. */
	hostile_setup(&h);
	assert_int_equal(hostile_extract(&h, z, zl / 2, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "truncated gzip"));
	assert_non_null(strstr(e.msg, "'big.bin'"));
	ls = dir_listing(h.target);
	assert_string_equal(ls, "");	/* no partial file, no temp file */
	free(ls);
	hostile_check_contained(&h, "target");
	hostile_teardown(&h);
	/* Only the gzip trailer missing. */
	hostile_setup(&h);
	assert_int_equal(hostile_extract(&h, z, zl - 4, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "truncated gzip"));
	hostile_teardown(&h);

	/* Truncated tar inside a complete gzip stream. */
	z2 = gz(t.p, 512 + 5000, &zl2);
	hostile_setup(&h);
	assert_int_equal(hostile_extract(&h, z2, zl2, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "truncated tar"));
	assert_non_null(strstr(e.msg, "'big.bin'"));
	ls = dir_listing(h.target);
	assert_string_equal(ls, "");
	free(ls);
	hostile_teardown(&h);
	free(z2);
	/* No end-of-archive marker. */
	z2 = gz(t.p, t.len - 1024, &zl2);
	hostile_setup(&h);
	assert_int_equal(hostile_extract(&h, z2, zl2, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "end-of-archive"));
	hostile_teardown(&h);
	free(z2);

	/* Not gzip at all. */
	hostile_setup(&h);
	assert_int_equal(hostile_extract(&h, t.p, t.len, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "not gzip-compressed"));
	hostile_teardown(&h);
	hostile_setup(&h);
	assert_int_equal(hostile_extract(&h, "", 0, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "not gzip-compressed"));
	hostile_teardown(&h);

	/* Trailing garbage after the gzip member. */
	z = realloc(z, zl + 4);
	memcpy(z + zl, "junk", 4);
	hostile_setup(&h);
	assert_int_equal(hostile_extract(&h, z, zl + 4, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "trailing garbage"));
	hostile_teardown(&h);
	free(z);

	/* Bad header checksum. */
	t.p[3] ^= 1;
	z = gz(t.p, t.len, &zl);
	hostile_setup(&h);
	assert_int_equal(hostile_extract(&h, z, zl, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "checksum"));
	hostile_check_contained(&h, "target");
	hostile_teardown(&h);
	free(z);
	free(t.p);
}

/* Symlinks already in the target are never followed. */
static void
test_preexisting_symlinks_not_followed(void **state)
{
	struct rawtar t = { 0 };
	struct hostile h;
	struct err e;
	unsigned char *z;
	char *outside, *p, *c;
	size_t zl;

	(void)state;
	hostile_setup(&h);
	outside = tu_path(h.base, "outside");
	assert_int_equal(mkdir(outside, 0750), 0);
	tu_write_str(outside, "secret", "keep");
	tu_symlink(h.target, "evil", outside);
	c = tu_path(outside, "secret");
	p = tu_path(h.target, "link");
	assert_int_equal(symlink(c, p), 0);

	/* A directory through the symlink: rejected. */
	raw_entry(&t, "evil/x", '0', "evil", 4, NULL);
	raw_end(&t);
	z = gz(t.p, t.len, &zl);
	assert_int_equal(hostile_extract(&h, z, zl, NULL, &e), -1);
	assert_non_null(strstr(e.msg, "not a directory"));
	assert_non_null(strstr(e.msg, "'evil/x'"));
	free(z);
	/* A file over the symlink: the link is replaced, not followed. */
	t.len = 0;
	raw_entry(&t, "link", '0', "new", 3, NULL);
	raw_end(&t);
	z = gz(t.p, t.len, &zl);
	assert_int_equal(hostile_extract(&h, z, zl, NULL, &e), 0);
	free(z);
	{
		char *s = tu_read(c, NULL), *l = tu_read(p, NULL), *ls;
		struct stat st;

		assert_string_equal(s, "keep");
		assert_string_equal(l, "new");
		assert_int_equal(lstat(p, &st), 0);
		assert_true(S_ISREG(st.st_mode));
		ls = dir_listing(outside);
		assert_string_equal(ls, "secret");
		free(ls);
		free(s);
		free(l);
	}
	hostile_check_contained(&h, "outside\ntarget");
	free(c);
	free(p);
	free(outside);
	free(t.p);
	hostile_teardown(&h);
}

/* Archives from other writers: GNU tar (GNU and PAX formats, long names),
 * concatenated gzip members. */
static void
test_extract_foreign_archives(void **state)
{
	char *tree = tu_mkdtemp(), *arch = tu_mkdtemp(), *target, *out;
	const char *formats[] = { "gnu", "pax", "ustar" };
	char longname[300];
	struct rawtar t = { 0 };
	unsigned char *z1, *z2;
	size_t i, l1, l2;
	struct err e;
	int status;

	(void)state;
	memset(longname, 'L', 200);
	longname[200] = '\0';
	tu_write_str(tree, "dir/one.txt", "one\n");
	{
		char rel[320];

		snprintf(rel, sizeof(rel), "dir/%s", longname);
		tu_write_str(tree, rel, "long\n");
	}
	for (i = 0; i < 3; i++) {
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "--format=%s", formats[i]);
		target = tu_mkdtemp();
		out = tu_run(&status, "cd '%s' && tar %s -czf '%s/x.tgz' dir "
		    "2>&1", tree, cmd, arch);
		free(out);
		if (i == 2) {	/* ustar cannot hold a 204-byte name */
			assert_int_not_equal(status, 0);
			tu_rmtree(target);
			continue;
		}
		assert_int_equal(status, 0);
		{
			char *p = tu_path(arch, "x.tgz");

			if (targz_extract_file(p, target, NULL, &e) != 0)
				fail_msg("%s: %s", formats[i], e.msg);
			free(p);
		}
		out = tu_run(&status, "diff -r '%s/dir' '%s/dir'", tree,
		    target);
		assert_int_equal(status, 0);
		free(out);
		tu_rmtree(target);
	}
	/* Two gzip members, one tar stream. */
	raw_entry(&t, "m1", '0', "first", 5, NULL);
	z1 = gz(t.p, t.len, &l1);
	t.len = 0;
	raw_entry(&t, "m2", '0', "second", 6, NULL);
	raw_end(&t);
	z2 = gz(t.p, t.len, &l2);
	z1 = realloc(z1, l1 + l2);
	memcpy(z1 + l1, z2, l2);
	{
		struct hostile h;
		char *p;

		hostile_setup(&h);
		assert_int_equal(hostile_extract(&h, z1, l1 + l2, NULL, &e), 0);
		p = tu_path(h.target, "m2");
		out = tu_read(p, NULL);
		assert_string_equal(out, "second");
		free(out);
		free(p);
		hostile_teardown(&h);
	}
	free(z1);
	free(z2);
	free(t.p);
	tu_rmtree(tree);
	tu_rmtree(arch);
}

/* Appends one PAX record "<len> key=value\n" to buf. */
static size_t
pax_record(char *buf, const char *key, const char *value)
{
	size_t body = strlen(key) + strlen(value) + 3, len = body + 1;

	while ((size_t)snprintf(NULL, 0, "%zu", len) + body != len)
		len++;
	return (size_t)sprintf(buf, "%zu %s=%s\n", len, key, value);
}

/* PAX 'x' path= and size= override the header; 'g' is ignored; a broken
 * record is rejected. */
static void
test_extract_pax_records(void **state)
{
	char pax[1024], name[301], *p, *c;
	unsigned char pad[512] = { 0 };
	struct rawtar t = { 0 };
	struct hostile h;
	struct err e;
	unsigned char *z;
	size_t n, zl;

	(void)state;
	memset(name, 'p', 300);
	memcpy(name + 100, "/", 1);
	name[300] = '\0';
	n = pax_record(pax, "comment", "global");
	raw_entry(&t, "pax_global_header", 'g', pax, n, NULL);
	n = pax_record(pax, "path", name);
	n += pax_record(pax + n, "size", "3");
	n += pax_record(pax + n, "mtime", "1234.5");
	raw_entry(&t, "PaxHeaders/x", 'x', pax, n, NULL);
	raw_entry(&t, "short-name", '0', NULL, 0, NULL);	/* size 0 */
	raw_put(&t, "abc", 3);
	raw_put(&t, pad, 509);
	raw_end(&t);
	z = gz(t.p, t.len, &zl);
	hostile_setup(&h);
	if (hostile_extract(&h, z, zl, NULL, &e) != 0)
		fail_msg("%s", e.msg);
	p = tu_path(h.target, name);
	c = tu_read(p, NULL);
	assert_string_equal(c, "abc");
	free(c);
	free(p);
	hostile_teardown(&h);
	free(z);
	/* A record whose length runs past the header. */
	t.len = 0;
	raw_entry(&t, "PaxHeaders/y", 'x', "99 path=x\n", 10, NULL);
	raw_entry(&t, "y", '0', "y", 1, NULL);
	raw_end(&t);
	expect_rejected(&t, "PaxHeaders/y", "malformed PAX");
	free(t.p);
}

static int
setup(void **state)
{
	(void)state;
	entries_init();
	if (access(TARCHECK, X_OK) != 0) {
		fprintf(stderr, "%s missing: run `make tools` from the "
		    "repository root\n", TARCHECK);
		return -1;
	}
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_normalized_headers),
		cmocka_unit_test(test_write_is_reproducible),
		cmocka_unit_test(test_digest_matches_reference_tools),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_writer_api_and_temp_files),
		cmocka_unit_test(test_writer_order_matches_dir_walk),
		cmocka_unit_test(test_reject_traversal_and_absolute),
		cmocka_unit_test(test_reject_links_and_special_files),
		cmocka_unit_test(test_reject_gzip_bombs),
		cmocka_unit_test(test_reject_too_many_entries),
		cmocka_unit_test(test_reject_too_deep),
		cmocka_unit_test(test_reject_duplicate_flood),
		cmocka_unit_test(test_reject_corrupt_input),
		cmocka_unit_test(test_preexisting_symlinks_not_followed),
		cmocka_unit_test(test_extract_foreign_archives),
		cmocka_unit_test(test_extract_pax_records),
	};
	return cmocka_run_group_tests_name("tar", tests, setup, NULL);
}
