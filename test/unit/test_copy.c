/*
 * Unit tests for the copy engine (src/engine/copy*.c): every cp-like rule,
 * each glob form, each exclude rule, ordering and overwrite, the Merge and
 * Extract strategies, symlinks, the error messages, and an exclude that
 * never fails open (a glob budget that runs out fails the copy). Each case
 * has its own source files and the exact expected file map of the staged
 * tree.
 */
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/copy.h"
#include "copy_fixture.h"

#define OPS_MAX 4

struct op_spec {
	const char *from, *to;
	const char *exclude[4];
	enum copy_strategy strategy;
};

struct copy_case {
	const char *name;
	struct fx_file src[FX_MAX_FILES];	/* source "s" */
	struct fx_file other[FX_MAX_FILES];	/* source "o" */
	struct op_spec ops[OPS_MAX];
	struct fx_file want[FX_MAX_FILES];
	const char *error;			/* expected message */
};

#define COMMON_SRC { \
	{ "a.yaml", "A" }, \
	{ "configs/x.yaml", "X" }, \
	{ "configs/y.json", "Y" }, \
	{ "configs/sub/z.yaml", "Z" }, \
	{ "deploy/app.yaml", "D1" }, \
	{ "deploy/k/v.yaml", "D2" }, \
	{ "deploy/k/w.txt", "W" }, \
	{ "README.md", "R" }, \
	{ "docs/guide.md", "G" }, \
	{ NULL, NULL } }

static const struct copy_case cases[] = {
	{ "file to dir/", COMMON_SRC, {{0}},
	    {{ "@s/a.yaml", "@artifact/dir/", {0}, COPY_OVERWRITE }},
	    {{ "dir/a.yaml", "A" }}, NULL },
	{ "file to path", COMMON_SRC, {{0}},
	    {{ "@s/a.yaml", "@artifact/b.yaml", {0}, COPY_OVERWRITE }},
	    {{ "b.yaml", "A" }}, NULL },
	{ "file to an existing staged dir", COMMON_SRC, {{0}},
	    {{ "@s/configs/x.yaml", "@artifact/out/", {0}, COPY_OVERWRITE },
	     { "@s/a.yaml", "@artifact/out", {0}, COPY_OVERWRITE }},
	    {{ "out/x.yaml", "X" }, { "out/a.yaml", "A" }}, NULL },
	{ "dir to dest", COMMON_SRC, {{0}},
	    {{ "@s/configs", "@artifact/dest", {0}, COPY_OVERWRITE }},
	    {{ "dest/configs/x.yaml", "X" }, { "dest/configs/y.json", "Y" },
	     { "dest/configs/sub/z.yaml", "Z" }}, NULL },
	{ "dir/ to dest/", COMMON_SRC, {{0}},
	    {{ "@s/configs/", "@artifact/dest/", {0}, COPY_OVERWRITE }},
	    {{ "dest/configs/x.yaml", "X" }, { "dest/configs/y.json", "Y" },
	     { "dest/configs/sub/z.yaml", "Z" }}, NULL },
	{ "source root contents", {{ "a", "1" }, { "b/c", "2" }}, {{0}},
	    {{ "@s/", "@artifact/all/", {0}, COPY_OVERWRITE }},
	    {{ "all/a", "1" }, { "all/b/c", "2" }}, NULL },
	{ "dir/** strips the prefix", COMMON_SRC, {{0}},
	    {{ "@s/configs/**", "@artifact/d/", {0}, COPY_OVERWRITE }},
	    {{ "d/x.yaml", "X" }, { "d/y.json", "Y" }, { "d/sub/z.yaml", "Z" }},
	    NULL },
	{ "glob keeps the full path", COMMON_SRC, {{0}},
	    {{ "@s/configs/*.yaml", "@artifact/apps/", {0}, COPY_OVERWRITE }},
	    {{ "apps/configs/x.yaml", "X" }}, NULL },
	{ "glob matching a dir copies it", COMMON_SRC, {{0}},
	    {{ "@s/configs/*", "@artifact/", {0}, COPY_OVERWRITE }},
	    {{ "configs/x.yaml", "X" }, { "configs/y.json", "Y" },
	     { "configs/sub/z.yaml", "Z" }}, NULL },
	{ "** at any position", COMMON_SRC, {{0}},
	    {{ "@s/deploy/**/*.yaml", "@artifact/", {0}, COPY_OVERWRITE }},
	    {{ "deploy/app.yaml", "D1" }, { "deploy/k/v.yaml", "D2" }}, NULL },
	{ "leading **", COMMON_SRC, {{0}},
	    {{ "@s/**/*.md", "@artifact/md", {0}, COPY_OVERWRITE }},
	    {{ "md/README.md", "R" }, { "md/docs/guide.md", "G" }}, NULL },
	{ "? class and alternatives", COMMON_SRC, {{0}},
	    {{ "@s/configs/[xy].{yaml,json}", "@artifact/", {0},
	      COPY_OVERWRITE },
	     { "@s/?.yaml", "@artifact/q", {0}, COPY_OVERWRITE }},
	    {{ "configs/x.yaml", "X" }, { "configs/y.json", "Y" },
	     { "q/a.yaml", "A" }}, NULL },
	{ "exclude by base name at any depth", COMMON_SRC, {{0}},
	    {{ "@s/", "@artifact/", { "*.md", "*.json", "deploy" },
	      COPY_OVERWRITE }},
	    {{ "a.yaml", "A" }, { "configs/x.yaml", "X" },
	     { "configs/sub/z.yaml", "Z" }}, NULL },
	{ "exclude relative to the literal prefix", COMMON_SRC, {{0}},
	    {{ "@s/configs", "@artifact/", { "sub/*.yaml" }, COPY_OVERWRITE }},
	    {{ "configs/x.yaml", "X" }, { "configs/y.json", "Y" }}, NULL },
	{ "exclude relative to the source root", COMMON_SRC, {{0}},
	    {{ "@s/configs/**", "@artifact/", { "configs/y.json" },
	      COPY_OVERWRITE }},
	    {{ "x.yaml", "X" }, { "sub/z.yaml", "Z" }}, NULL },
	{ "excluded directory skipped whole", COMMON_SRC, {{0}},
	    {{ "@s/**/*.yaml", "@artifact/", { "deploy/k" },
	      COPY_OVERWRITE }},
	    {{ "a.yaml", "A" }, { "configs/x.yaml", "X" },
	     { "configs/sub/z.yaml", "Z" }, { "deploy/app.yaml", "D1" }},
	    NULL },
	{ "excluded literal file copies nothing", COMMON_SRC, {{0}},
	    {{ "@s/README.md", "@artifact/", { "*.md" }, COPY_OVERWRITE }},
	    {{ NULL, NULL }}, NULL },
	{ "every glob match excluded", COMMON_SRC, {{0}},
	    {{ "@s/docs/*", "@artifact/", { "*.md" }, COPY_OVERWRITE }},
	    {{ NULL, NULL }}, "artifact 'art': copy '@s/docs/*' -> "
	    "'@artifact/': all files matching pattern 'docs/*' in source 's' "
	    "were excluded" },
	{ "no match", COMMON_SRC, {{0}},
	    {{ "@s/*.toml", "@artifact/", {0}, COPY_OVERWRITE }},
	    {{ NULL, NULL }}, "artifact 'art': copy '@s/*.toml' -> "
	    "'@artifact/': no files match pattern '*.toml' in source 's'" },
	{ "missing literal path", COMMON_SRC, {{0}},
	    {{ "@s/nope.yaml", "@artifact/", {0}, COPY_OVERWRITE }},
	    {{ NULL, NULL }}, "artifact 'art': copy '@s/nope.yaml' -> "
	    "'@artifact/': 'nope.yaml' does not exist in source 's'" },
	{ "undeclared alias", COMMON_SRC, {{0}},
	    {{ "@nope/a.yaml", "@artifact/", {0}, COPY_OVERWRITE }},
	    {{ NULL, NULL }}, "artifact 'art': copy '@nope/a.yaml' -> "
	    "'@artifact/': source alias 'nope' is not declared" },
	{ "invalid pattern", COMMON_SRC, {{0}},
	    {{ "@s/[a.yaml", "@artifact/", {0}, COPY_OVERWRITE }},
	    {{ NULL, NULL }}, "artifact 'art': copy '@s/[a.yaml' -> "
	    "'@artifact/': invalid pattern '[a.yaml': unterminated '[' at "
	    "position 1" },
	{ "invalid exclude", COMMON_SRC, {{0}},
	    {{ "@s/a.yaml", "@artifact/", { "{x" }, COPY_OVERWRITE }},
	    {{ NULL, NULL }}, "artifact 'art': copy '@s/a.yaml' -> "
	    "'@artifact/': exclude: invalid pattern '{x': unterminated '{' at "
	    "position 1" },
	{ "'to' escaping the artifact", COMMON_SRC, {{0}},
	    {{ "@s/a.yaml", "@artifact/../x", {0}, COPY_OVERWRITE }},
	    {{ NULL, NULL }}, "artifact 'art': copy '@s/a.yaml' -> "
	    "'@artifact/../x': destination path must not contain '..'" },
	{ "later operations overwrite, directories merge",
	    {{ "f.yaml", "from s" }, { "configs/a", "s-a" },
	     { "configs/b", "s-b" }},
	    {{ "f.yaml", "from o" }, { "configs/b", "o-b" },
	     { "configs/c", "o-c" }},
	    {{ "@s/f.yaml", "@artifact/f.yaml", {0}, COPY_OVERWRITE },
	     { "@o/f.yaml", "@artifact/f.yaml", {0}, COPY_OVERWRITE },
	     { "@s/configs", "@artifact/", {0}, COPY_OVERWRITE },
	     { "@o/configs", "@artifact/", {0}, COPY_OVERWRITE }},
	    {{ "f.yaml", "from o" }, { "configs/a", "s-a" },
	     { "configs/b", "o-b" }, { "configs/c", "o-c" }}, NULL },
	{ "a file cannot replace a staged directory",
	    {{ "configs/a", "1" }}, {{ "configs", "file" }},
	    {{ "@s/configs", "@artifact/", {0}, COPY_OVERWRITE },
	     { "@o/config*", "@artifact/", {0}, COPY_OVERWRITE }},
	    {{ NULL, NULL }}, "artifact 'art': copy '@o/config*' -> "
	    "'@artifact/': copy 'configs' to 'configs': 'configs' is a "
	    "directory in the artifact" },
	{ "a directory cannot go below a staged file",
	    {{ "a.yaml", "A" }, { "configs/x", "X" }}, {{0}},
	    {{ "@s/a.yaml", "@artifact/d", {0}, COPY_OVERWRITE },
	     { "@s/configs", "@artifact/d/", {0}, COPY_OVERWRITE }},
	    {{ NULL, NULL }}, "artifact 'art': copy '@s/configs' -> "
	    "'@artifact/d/': 'd/configs' is not a directory (component 'd')" },
	{ "merge: nested maps, lists replaced, sorted keys",
	    {{ "values.yaml", "z: keep\na:\n  c: [1, 2]\n  b: 1\n" }},
	    {{ "values.yaml", "a:\n  d: new\n  c: [3]\nk: 'quoted'\n" }},
	    {{ "@s/values.yaml", "@artifact/values.yaml", {0},
	      COPY_OVERWRITE },
	     { "@o/values.yaml", "@artifact/values.yaml", {0}, COPY_MERGE }},
	    {{ "values.yaml", "a:\n  b: 1\n  c:\n  - 3\n  d: new\nk: 'quoted'\n"
	      "z: keep\n" }}, NULL },
	{ "merge: multi-document source merged in order",
	    {{ "v.yaml", "a: 1\n" }},
	    {{ "v.yaml", "b: {x: 1, y: 1}\n---\nb: {y: 2}\n---\n" }},
	    {{ "@s/v.yaml", "@artifact/", {0}, COPY_OVERWRITE },
	     { "@o/v.yaml", "@artifact/", {0}, COPY_MERGE }},
	    {{ "v.yaml", "a: 1\nb:\n  x: 1\n  y: 2\n" }}, NULL },
	{ "merge: missing destination is a plain copy", {{0}},
	    {{ "v.yaml", "# kept as is\nb: 2\n" }},
	    {{ "@o/v.yaml", "@artifact/", {0}, COPY_MERGE }},
	    {{ "v.yaml", "# kept as is\nb: 2\n" }}, NULL },
	{ "merge: invalid YAML names the file",
	    {{ "v.yaml", "a: 1\n" }}, {{ "v.yaml", "a: [1\n" }},
	    {{ "@s/v.yaml", "@artifact/", {0}, COPY_OVERWRITE },
	     { "@o/v.yaml", "@artifact/", {0}, COPY_MERGE }},
	    {{ NULL, NULL }}, "artifact 'art': copy '@o/v.yaml' -> "
	    "'@artifact/': merge 'v.yaml' into 'v.yaml': invalid YAML in "
	    "'v.yaml' at line 2, column 1: did not find expected ',' or ']'" },
	{ "merge: non-mapping document",
	    {{ "v.yaml", "- 1\n" }}, {{ "v.yaml", "a: 1\n" }},
	    {{ "@s/v.yaml", "@artifact/", {0}, COPY_OVERWRITE },
	     { "@o/v.yaml", "@artifact/", {0}, COPY_MERGE }},
	    {{ NULL, NULL }}, "artifact 'art': copy '@o/v.yaml' -> "
	    "'@artifact/': merge 'v.yaml' into 'v.yaml': document 1 of "
	    "'v.yaml' is not a mapping" },
	{ "merge over a directory of files",
	    {{ "env/a.yaml", "x: 1\n" }, { "env/b.yaml", "y: 1\n" }},
	    {{ "env/a.yaml", "x: 2\n" }, { "env/c.yaml", "z: 1\n" }},
	    {{ "@s/env", "@artifact/", {0}, COPY_OVERWRITE },
	     { "@o/env", "@artifact/", {0}, COPY_MERGE }},
	    {{ "env/a.yaml", "x: 2\n" }, { "env/b.yaml", "y: 1\n" },
	     { "env/c.yaml", "z: 1\n" }}, NULL },
};

struct copy_env {
	char *root, *s, *o, *tree, *scratch;
	int tree_fd;
	struct build_source sources[2];
	struct copy_ctx ctx;
};

static void
env_setup(struct copy_env *env)
{
	env->root = tu_mkdtemp();
	env->s = tu_path(env->root, "s");
	env->o = tu_path(env->root, "o");
	env->tree = tu_path(env->root, "tree");
	env->scratch = tu_path(env->root, "scratch");
	assert_int_equal(mkdir(env->s, 0755), 0);
	assert_int_equal(mkdir(env->o, 0755), 0);
	assert_int_equal(mkdir(env->tree, 0755), 0);
	assert_int_equal(mkdir(env->scratch, 0755), 0);
	env->sources[0] = (struct build_source){ "s", env->s, "r1", NULL };
	env->sources[1] = (struct build_source){ "o", env->o, "r2", NULL };
}

static void
env_open_tree(struct copy_env *env)
{
	env->tree_fd = open(env->tree, O_RDONLY | O_DIRECTORY);
	assert_true(env->tree_fd >= 0);
	env->ctx = (struct copy_ctx){
		.artifact = "art", .tree_fd = env->tree_fd,
		.scratch = env->scratch, .sources = env->sources,
		.n_sources = 2,
	};
}

static void
env_teardown(struct copy_env *env)
{
	close(env->tree_fd);
	free(env->s);
	free(env->o);
	free(env->tree);
	free(env->scratch);
	tu_rmtree(env->root);
}

static int
run_ops(struct copy_env *env, const struct op_spec *ops, struct err *e)
{
	struct gen_copy op;
	size_t i, n;

	for (i = 0; i < OPS_MAX && ops[i].from != NULL; i++) {
		for (n = 0; n < 4 && ops[i].exclude[n] != NULL; n++)
			;
		op = (struct gen_copy){
			.from = (char *)ops[i].from, .to = (char *)ops[i].to,
			.exclude = (char **)ops[i].exclude, .n_exclude = n,
			.strategy = ops[i].strategy,
		};
		if (copy_apply(&env->ctx, &op, e) != 0)
			return -1;
	}
	return 0;
}

static void
test_copy_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct copy_case *c = &cases[i];
		struct copy_env env;
		char *got, *want;
		struct err e;
		int rc;

		env_setup(&env);
		fx_write_tree(env.s, c->src);
		fx_write_tree(env.o, c->other);
		env_open_tree(&env);
		rc = run_ops(&env, c->ops, &e);
		if (c->error != NULL) {
			if (rc == 0)
				fail_msg("case '%s': expected an error",
				    c->name);
			if (strcmp(e.msg, c->error) != 0)
				fail_msg("case '%s': error\n  got  %s\n  want "
				    "%s", c->name, e.msg, c->error);
		} else {
			if (rc != 0)
				fail_msg("case '%s': %s", c->name, e.msg);
			got = fx_read_tree(env.tree);
			want = fx_expect(c->want);
			if (strcmp(got, want) != 0)
				fail_msg("case '%s':\n  got  %s\n  want %s",
				    c->name, got, want);
			free(got);
			free(want);
		}
		env_teardown(&env);
	}
}

static void
test_copy_symlinks_never_followed(void **state)
{
	struct fx_file src[] = {{ "configs/real.yaml", "R" }, { NULL, NULL }};
	struct fx_file want[] = {{ "configs/real.yaml", "R" }, { NULL, NULL }};
	struct op_spec dir_ops[OPS_MAX] = {{ "@s/configs", "@artifact/", {0},
	    COPY_OVERWRITE }};
	struct op_spec glob_ops[OPS_MAX] = {{ "@s/**", "@artifact/", {0},
	    COPY_OVERWRITE }};
	struct op_spec link_ops[OPS_MAX] = {{ "@s/configs/passwd.yaml",
	    "@artifact/", {0}, COPY_OVERWRITE }};
	struct op_spec via_ops[OPS_MAX] = {{ "@s/up/etc/hostname",
	    "@artifact/", {0}, COPY_OVERWRITE }};
	struct copy_env env;
	struct err e;
	int status;

	(void)state;
	env_setup(&env);
	fx_write_tree(env.s, src);
	free(tu_run(&status, "cd '%s' && ln -s /etc/passwd configs/passwd.yaml"
	    " && ln -s .. configs/loop && ln -s / up", env.s));
	assert_int_equal(status, 0);
	env_open_tree(&env);
	assert_int_equal(run_ops(&env, dir_ops, &e), 0);
	assert_int_equal(run_ops(&env, glob_ops, &e), 0);
	fx_assert_tree(env.tree, want);
	assert_int_equal(run_ops(&env, link_ops, &e), -1);
	assert_string_equal(e.msg, "artifact 'art': copy "
	    "'@s/configs/passwd.yaml' -> '@artifact/': 'configs/passwd.yaml' "
	    "in source 's' is a symlink or a special file (not followed)");
	assert_int_equal(run_ops(&env, via_ops, &e), -1);
	assert_non_null(strstr(e.msg, "'up/etc/hostname' does not exist in "
	    "source 's' (or a parent is a symlink or a file)"));
	env_teardown(&env);
}

/* Staged files may be hard links: an overwrite or a merge must never write
 * into the source file. */
static void
test_copy_never_writes_sources(void **state)
{
	struct fx_file src[] = {{ "v.yaml", "a: 1\n" }, { NULL, NULL }};
	struct fx_file other[] = {{ "v.yaml", "b: 2\n" }, { NULL, NULL }};
	struct op_spec ops[OPS_MAX] = {
		{ "@s/v.yaml", "@artifact/", {0}, COPY_OVERWRITE },
		{ "@o/v.yaml", "@artifact/", {0}, COPY_MERGE },
		{ "@o/v.yaml", "@artifact/w.yaml", {0}, COPY_OVERWRITE },
		{ "@s/v.yaml", "@artifact/w.yaml", {0}, COPY_OVERWRITE },
	};
	struct fx_file want[] = {{ "v.yaml", "a: 1\nb: 2\n" },
	    { "w.yaml", "a: 1\n" }, { NULL, NULL }};
	struct stat sa, sb;
	struct copy_env env;
	struct err e;
	char *a, *b;

	(void)state;
	env_setup(&env);
	fx_write_tree(env.s, src);
	fx_write_tree(env.o, other);
	env_open_tree(&env);
	assert_int_equal(run_ops(&env, ops, &e), 0);
	fx_assert_tree(env.s, src);
	fx_assert_tree(env.o, other);
	fx_assert_tree(env.tree, want);
	/* same file system: w.yaml was staged as a hard link, v.yaml (merged)
	 * is a new file */
	a = tu_path(env.s, "v.yaml");
	b = tu_path(env.tree, "w.yaml");
	assert_int_equal(stat(a, &sa), 0);
	assert_int_equal(stat(b, &sb), 0);
	assert_true(sa.st_ino == sb.st_ino);
	free(b);
	b = tu_path(env.tree, "v.yaml");
	assert_int_equal(stat(b, &sb), 0);
	assert_true(sa.st_ino != sb.st_ino);
	free(a);
	free(b);
	env_teardown(&env);
}

/* Sources on another file system cannot be hard-linked: files are copied
 * by streaming, with the executable bit kept. */
static void
test_copy_across_file_systems(void **state)
{
	struct fx_file src[] = {{ "bin/run.sh", "#!/bin/sh\n" },
	    { "bin/data", "d" }, { NULL, NULL }};
	struct fx_file want[] = {{ "bin/run.sh", "#!/bin/sh\n" },
	    { "bin/data", "d" }, { NULL, NULL }};
	struct op_spec ops[OPS_MAX] = {{ "@s/bin", "@artifact/", {0},
	    COPY_OVERWRITE }};
	char shm[] = "/dev/shm/ag-test-XXXXXX", *p;
	struct stat a, b;
	struct copy_env env;
	struct err e;
	int status;

	(void)state;
	if (mkdtemp(shm) == NULL) {
		skip();
		return;
	}
	env_setup(&env);
	assert_int_equal(stat(shm, &a), 0);
	assert_int_equal(stat(env.tree, &b), 0);
	if (a.st_dev == b.st_dev) {
		rmdir(shm);
		env_teardown(&env);
		skip();
		return;
	}
	env.sources[0].dir = shm;
	fx_write_tree(shm, src);
	p = tu_path(shm, "bin/run.sh");
	assert_int_equal(chmod(p, 0755), 0);
	free(p);
	env_open_tree(&env);
	assert_int_equal(run_ops(&env, ops, &e), 0);
	fx_assert_tree(env.tree, want);
	p = tu_path(env.tree, "bin/run.sh");
	assert_int_equal(stat(p, &a), 0);
	assert_int_equal(a.st_mode & 0777, 0700);
	assert_int_equal(a.st_nlink, 1);
	free(p);
	free(tu_run(&status, "rm -rf '%s'", shm));
	env_teardown(&env);
}

struct report_log {
	char text[512];
};

static void
report_cb(void *ctx, const char *artifact, const char *from, const char *to,
    const char *path, uint64_t size)
{
	struct report_log *log = ctx;
	size_t n = strlen(log->text);

	snprintf(log->text + n, sizeof(log->text) - n, "%s|%s|%s|%s|%llu\n",
	    artifact, from, to, path, (unsigned long long)size);
}

static void
test_copy_reports_each_file(void **state)
{
	struct fx_file src[] = {{ "c/a.yaml", "12345" }, { "c/b.yaml", "1" },
	    { NULL, NULL }};
	struct op_spec ops[OPS_MAX] = {{ "@s/c/*.yaml", "@artifact/x/", {0},
	    COPY_OVERWRITE }};
	struct report_log log = { "" };
	struct copy_env env;
	struct err e;

	(void)state;
	env_setup(&env);
	fx_write_tree(env.s, src);
	env_open_tree(&env);
	env.ctx.report = report_cb;
	env.ctx.report_ctx = &log;
	assert_int_equal(run_ops(&env, ops, &e), 0);
	assert_string_equal(log.text,
	    "art|@s/c/*.yaml|@artifact/x/|x/c/a.yaml|5\n"
	    "art|@s/c/*.yaml|@artifact/x/|x/c/b.yaml|1\n");
	env_teardown(&env);
}

static void
test_copy_cancel_stops(void **state)
{
	struct fx_file src[] = {{ "a", "1" }, { NULL, NULL }};
	struct op_spec ops[OPS_MAX] = {{ "@s/a", "@artifact/", {0},
	    COPY_OVERWRITE }};
	cancel_flag cancel = 1;
	struct copy_env env;
	struct err e;

	(void)state;
	env_setup(&env);
	fx_write_tree(env.s, src);
	env_open_tree(&env);
	env.ctx.cancel = &cancel;
	assert_int_equal(run_ops(&env, ops, &e), -1);
	assert_string_equal(e.msg, "artifact 'art': copy '@s/a' -> "
	    "'@artifact/': cancelled");
	env_teardown(&env);
}

/* Makes <dir>/<name> a .tar.gz of the files given as "path=content" pairs. */
static void
make_tarball(const char *dir, const char *name, const struct fx_file *files)
{
	char *work = tu_mkdtemp();
	int status;

	fx_write_tree(work, files);
	free(tu_run(&status, "tar -C '%s' -czf '%s/%s' .", work, dir, name));
	assert_int_equal(status, 0);
	tu_rmtree(work);
}

static void
test_copy_extract(void **state)
{
	struct fx_file chart[] = {{ "chart/Chart.yaml", "name: c" },
	    { "chart/values.yaml", "v: 1" }, { NULL, NULL }};
	struct fx_file other[] = {{ "x/a.txt", "A" }, { NULL, NULL }};
	struct fx_file plain[] = {{ "notes.txt", "n" }, { NULL, NULL }};
	struct fx_file want_single[] = {{ "out/chart/Chart.yaml", "name: c" },
	    { "out/chart/values.yaml", "v: 1" }, { NULL, NULL }};
	struct fx_file want_glob[] = {{ "chart/Chart.yaml", "name: c" },
	    { "chart/values.yaml", "v: 1" }, { "x/a.txt", "A" },
	    { NULL, NULL }};
	struct op_spec single[OPS_MAX] = {{ "@s/pkg/chart-1.0.0.tgz",
	    "@artifact/out/", {0}, COPY_EXTRACT }};
	struct op_spec glob[OPS_MAX] = {{ "@s/pkg/**", "@artifact/", {0},
	    COPY_EXTRACT }};
	struct op_spec not_tar[OPS_MAX] = {{ "@s/pkg/notes.txt",
	    "@artifact/", {0}, COPY_EXTRACT }};
	struct op_spec dir[OPS_MAX] = {{ "@s/pkg", "@artifact/", {0},
	    COPY_EXTRACT }};
	struct copy_env env;
	char *pkg;
	struct err e;

	(void)state;
	env_setup(&env);
	fx_write_tree(env.s, plain);
	pkg = tu_path(env.s, "pkg");
	fx_write_tree(pkg, plain);
	make_tarball(pkg, "chart-1.0.0.tgz", chart);
	make_tarball(pkg, "OTHER.TAR.GZ", other);
	env_open_tree(&env);

	assert_int_equal(run_ops(&env, single, &e), 0);
	fx_assert_tree(env.tree, want_single);
	env_teardown(&env);

	env_setup(&env);
	free(pkg);
	pkg = tu_path(env.s, "pkg");
	fx_write_tree(pkg, plain);
	make_tarball(pkg, "chart-1.0.0.tgz", chart);
	make_tarball(pkg, "OTHER.TAR.GZ", other);
	env_open_tree(&env);
	assert_int_equal(run_ops(&env, glob, &e), 0);	/* notes.txt skipped */
	fx_assert_tree(env.tree, want_glob);
	assert_int_equal(run_ops(&env, not_tar, &e), -1);
	assert_string_equal(e.msg, "artifact 'art': copy '@s/pkg/notes.txt' "
	    "-> '@artifact/': the Extract strategy requires a tarball (.tar.gz "
	    "or .tgz), got 'pkg/notes.txt'");
	assert_int_equal(run_ops(&env, dir, &e), -1);
	assert_string_equal(e.msg, "artifact 'art': copy '@s/pkg' -> "
	    "'@artifact/': the Extract strategy does not accept a directory "
	    "('pkg')");
	free(pkg);
	env_teardown(&env);
}

static void
test_copy_extract_refuses_hostile_tarball(void **state)
{
	struct op_spec ops[OPS_MAX] = {{ "@s/evil.tgz", "@artifact/", {0},
	    COPY_EXTRACT }};
	struct copy_env env;
	char *got;
	struct err e;
	int status;

	(void)state;
	env_setup(&env);
	/* an entry escaping with '..' */
	free(tu_run(&status, "cd '%s' && mkdir -p w/in && echo x > w/esc && "
	    "tar -C w/in -czf evil.tgz --absolute-names ../esc 2>/dev/null; "
	    "rm -rf w", env.s));
	assert_int_equal(status, 0);
	env_open_tree(&env);
	assert_int_equal(run_ops(&env, ops, &e), -1);
	assert_non_null(strstr(e.msg, "artifact 'art': copy '@s/evil.tgz' -> "
	    "'@artifact/': extract tarball 'evil.tgz' to '/': "));
	got = fx_read_tree(env.tree);
	assert_string_equal(got, "");
	free(got);
	got = fx_read_tree(env.scratch);	/* scratch cleaned up */
	assert_string_equal(got, "");
	free(got);
	env_teardown(&env);
}

/* An exclude whose 243 costly alternatives come before the cheap one that
 * matches (*.yaml): with a private per-match budget this answered "no
 * match" and the file was copied. */
#define COSTLY_EXCLUDE "**/{*{a,aa,aaa}{a,aa,aaa}{a,aa,aaa}{a,aa,aaa}" \
	"{a,aa,aaa}aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab,*.yaml}"

/* An exclude that costs about 4M steps on a long name (256 distinct
 * alternatives, each scanned at every position) and matches the file. */
#define Q10 "??????????"
#define SLOW_EXCLUDE "**/*" Q10 Q10 Q10 Q10 Q10 Q10 Q10 Q10 Q10 Q10 \
	"{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{c,000.yaml}"

static void
write_long_yaml(struct copy_env *env, char *name)
{
	struct fx_file src[] = {{ name, "secret: 1\n" },
	    { "dir/keep.txt", "K" }, { NULL, NULL }};

	memcpy(name, "dir/", 4);
	memset(name + 4, 'a', 240);
	strcpy(name + 244, "000.yaml");
	fx_write_tree(env->s, src);
}

static void
test_copy_exclude_never_fails_open(void **state)
{
	char name[300], lit[320];
	const char *excl[] = { COSTLY_EXCLUDE, NULL };
	struct gen_copy ops[] = {
		{ .from = "@s/**", .to = "@artifact/" },
		{ .from = "@s/dir", .to = "@artifact/lit/" },
		{ .from = lit, .to = "@artifact/one/" },
	};
	struct fx_file want[] = {{ "dir/keep.txt", "K" },
	    { "lit/dir/keep.txt", "K" }, { NULL, NULL }};
	struct copy_env env;
	struct err e;
	size_t i;

	(void)state;
	env_setup(&env);
	write_long_yaml(&env, name);
	snprintf(lit, sizeof(lit), "@s/%s", name);
	env_open_tree(&env);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		ops[i].exclude = (char **)excl;
		ops[i].n_exclude = 1;
		if (copy_apply(&env.ctx, &ops[i], &e) != 0)
			fail_msg("op %zu: %s", i, e.msg);
	}
	fx_assert_tree(env.tree, want);
	env_teardown(&env);
}

static void
test_copy_glob_budget_exhausted_fails_naming_the_pattern(void **state)
{
	char name[300], *got;
	const char *excl[] = { "*.txt", SLOW_EXCLUDE, NULL };
	struct gen_copy op = { .from = "@s/**", .to = "@artifact/",
	    .exclude = (char **)excl, .n_exclude = 2 };
	struct gen_copy from_op = { .from = "@s/**/*.yaml",
	    .to = "@artifact/" };
	struct fx_file none[] = {{ NULL, NULL }};
	struct copy_env env;
	struct err e;

	(void)state;
	env_setup(&env);
	write_long_yaml(&env, name);
	env_open_tree(&env);
	env.ctx.glob_steps = 2000;
	assert_int_equal(copy_apply(&env.ctx, &op, &e), -1);
	assert_true(strncmp(e.msg, "artifact 'art': copy '@s/**' -> "
	    "'@artifact/': exclude[1]: pattern '" SLOW_EXCLUDE "': work "
	    "budget of 2000 steps exhausted matching '", 80) == 0);
	assert_non_null(strstr(e.msg, "exclude[1]: pattern '"
	    SLOW_EXCLUDE "': work budget of 2000 steps exhausted matching"));
	/* whatever was staged before the error, never the excluded file */
	got = fx_read_tree(env.tree);
	assert_null(strstr(got, "000.yaml"));
	free(got);
	/* the `from` glob shares the budget and fails the same way */
	env.ctx.glob_steps = 1;
	assert_int_equal(copy_apply(&env.ctx, &from_op, &e), -1);
	assert_string_equal(e.msg, "artifact 'art': copy '@s/**/*.yaml' -> "
	    "'@artifact/': from: pattern '**/*.yaml': work budget of 1 steps "
	    "exhausted matching 'dir'");
	/* with the default budget the same operation excludes the file */
	env.ctx.glob_steps = 0;
	if (copy_apply(&env.ctx, &op, &e) != 0)
		fail_msg("%s", e.msg);
	fx_assert_tree(env.tree, none);
	env_teardown(&env);
}

/* Makes <dir>/<name>: a .tar.gz of `levels` nested directories "d" with a
 * file "f" (content "deep") in the innermost. */
static void
make_deep_tarball(const char *dir, const char *name, int levels)
{
	char *work = tu_mkdtemp();
	int status;

	free(tu_run(&status, "cd '%s' && i=0 && while [ $i -lt %d ]; do "
	    "mkdir d && cd d && i=$((i+1)) || exit 1; done && printf deep > f "
	    "&& cd '%s' && tar -czf '%s/%s' d", work, levels, work, dir,
	    name));
	assert_int_equal(status, 0);
	free(tu_run(&status, "rm -rf '%s'", work));
	free(work);
}

/* A tarball 2000 levels deep (the crash of the recursive moves when the
 * open-files limit is high, as in containers) fails cleanly with the
 * source limit's message and leaves nothing in the tree or the scratch;
 * a tree within the limit is extracted whole. */
static void
test_copy_extract_deep_tarball(void **state)
{
	struct op_spec deep[OPS_MAX] = {{ "@s/deep.tgz", "@artifact/", {0},
	    COPY_EXTRACT }};
	struct op_spec ok[OPS_MAX] = {{ "@s/ok.tgz", "@artifact/x/", {0},
	    COPY_EXTRACT }};
	struct rlimit rl;
	struct copy_env env;
	char want[2 * 256 + 16], *got;
	struct err e;
	size_t n;

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rl.rlim_cur = rl.rlim_max < 20000 ? rl.rlim_max : 20000;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	env_setup(&env);
	make_deep_tarball(env.s, "deep.tgz", 2000);
	make_deep_tarball(env.s, "ok.tgz", 255);
	env_open_tree(&env);
	assert_int_equal(run_ops(&env, deep, &e), -1);
	assert_non_null(strstr(e.msg, "artifact 'art': copy '@s/deep.tgz' -> "
	    "'@artifact/': extract tarball 'deep.tgz' to '/': archive entry "
	    "'d/d/d/"));
	assert_non_null(strstr(e.msg, "': nested deeper than 256 levels"));
	got = fx_read_tree(env.tree);
	assert_string_equal(got, "");
	free(got);
	got = tu_run(&(int){0}, "ls -A '%s'", env.scratch);
	assert_string_equal(got, "");
	free(got);

	/* 255 directories inside "x": 256 levels, the limit itself */
	assert_int_equal(run_ops(&env, ok, &e), 0);
	for (n = 0, want[0] = '\0'; n < 255; n++)
		strcat(want, n ? "/d" : "x/d");
	strcat(want, "/f=deep;");
	got = fx_read_tree(env.tree);
	assert_string_equal(got, want);
	free(got);
	env_teardown(&env);
}

/* A source directory deeper than TREE_DEPTH_MAX is refused by the literal
 * and the glob forms alike, with the message tar_read gives for archives. */
static void
test_copy_deep_source_directory(void **state)
{
	struct op_spec lit[OPS_MAX] = {{ "@s/d", "@artifact/", {0},
	    COPY_OVERWRITE }};
	struct op_spec glob[OPS_MAX] = {{ "@s/**/f", "@artifact/", {0},
	    COPY_OVERWRITE }};
	struct copy_env env;
	char *got;
	struct err e;
	int status;

	(void)state;
	env_setup(&env);
	free(tu_run(&status, "cd '%s' && i=0 && while [ $i -lt 300 ]; do "
	    "mkdir d && cd d && i=$((i+1)) || exit 1; done && printf x > f",
	    env.s));
	assert_int_equal(status, 0);
	env_open_tree(&env);
	assert_int_equal(run_ops(&env, lit, &e), -1);
	assert_non_null(strstr(e.msg, "artifact 'art': copy '@s/d' -> "
	    "'@artifact/': 'd/d/d/"));
	assert_non_null(strstr(e.msg, "' is nested deeper than 256 levels"));
	assert_int_equal(run_ops(&env, glob, &e), -1);
	assert_non_null(strstr(e.msg, "' is nested deeper than 256 levels"));
	got = fx_read_tree(env.tree);
	assert_string_equal(got, "");
	free(got);
	env_teardown(&env);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_table),
		cmocka_unit_test(test_copy_symlinks_never_followed),
		cmocka_unit_test(test_copy_never_writes_sources),
		cmocka_unit_test(test_copy_across_file_systems),
		cmocka_unit_test(test_copy_reports_each_file),
		cmocka_unit_test(test_copy_cancel_stops),
		cmocka_unit_test(test_copy_extract),
		cmocka_unit_test(test_copy_extract_refuses_hostile_tarball),
		cmocka_unit_test(test_copy_exclude_never_fails_open),
		cmocka_unit_test(
		    test_copy_glob_budget_exhausted_fails_naming_the_pattern),
		cmocka_unit_test(test_copy_extract_deep_tarball),
		cmocka_unit_test(test_copy_deep_source_directory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
