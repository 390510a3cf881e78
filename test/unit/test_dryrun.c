/*
 * Tests for src/cmd/dryrun.c, run in-process through dryrun_main (so the
 * sanitizer variants check the dry-run and the build pool's threads too),
 * with captured output streams; one test runs the binary
 * (bin/artifact-generator, built by make before the suites; run from the
 * repository root) for its exit codes. YAML and JSON outputs parse back
 * (YAML with yaml_json_load) and carry the ExternalArtifact and generator
 * fields, labels included; the artifact names of source-watcher's golden
 * trees; default source revisions; stdin input; --verbose; parallel builds;
 * error exits and messages.
 */
#include "testutil.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/yaml_json.h"
#include "cmd/dryrun.h"
#include "golden.h"

#define BIN "bin/artifact-generator"
#define MAX_ARGS 128

struct fixture {
	char *dir;		/* sources, generator files, storage */
	char *storage;
};

static const char *const gen_yaml =
    "apiVersion: source.extensions.fluxcd.io/v1beta1\n"
    "kind: ArtifactGenerator\n"
    "metadata:\n"
    "  name: web\n"
    "spec:\n"
    "  sources:\n"
    "    - {alias: src, kind: GitRepository, name: repo}\n"
    "    - {alias: vals, kind: OCIRepository, name: values}\n"
    "  commonMetadata:\n"
    "    labels: {team: web}\n"
    "    annotations: {example.com/note: hello}\n"
    "  artifacts:\n"
    "    - name: web-config\n"
    "      originRevision: '@src'\n"
    "      copy:\n"
    "        - {from: '@src/a.txt', to: '@artifact/'}\n"
    "        - {from: '@vals/values.yaml', to: '@artifact/values.yaml'}\n"
    "    - name: web-vals\n"
    "      revision: '@vals'\n"
    "      copy: [{from: '@vals/*.yaml', to: '@artifact/cfg/'}]\n"
    "---\n"
    "apiVersion: source.extensions.fluxcd.io/v1beta1\n"
    "kind: ArtifactGenerator\n"
    "metadata: {name: mono, namespace: team-a, uid: 0b7f4d0e-1111-4222-"
    "8333-444455556666}\n"
    "spec:\n"
    "  sources: [{alias: src, kind: GitRepository, name: repo}]\n"
    "  pathPattern: '@src/apps/{app}'\n"
    "  artifacts:\n"
    "    - name: '{app}-manifests'\n"
    "      copy: [{from: '@src/apps/{app}/**', to: '@artifact/'}]\n";

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int status;
	char *out;

	f->dir = tu_mkdtemp();
	f->storage = tu_path(f->dir, "storage");
	tu_write_str(f->dir, "src/a.txt", "hi");
	tu_write_str(f->dir, "src/apps/Api/deploy.yaml", "kind: A\n");
	tu_write_str(f->dir, "src/apps/web/deploy.yaml", "kind: W\n");
	tu_write_str(f->dir, "vals/values.yaml", "replicas: 2\n");
	tu_write_str(f->dir, "gen.yaml", gen_yaml);
	out = tu_run(&status, "tar -C '%s/vals' -czf '%s/vals.tgz' values.yaml",
	    f->dir, f->dir);
	assert_int_equal(status, 0);
	free(out);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	free(f->storage);
	tu_rmtree(f->dir);
	free(f);
	return 0;
}

/* The whole contents of stream f (rewound; malloc'd, NUL-terminated). */
static char *
slurp(FILE *f)
{
	long n = -1;
	char *buf;

	if (fflush(f) == EOF || fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0)
		fail_msg("cannot read a captured stream");
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
		fail_msg("cannot read a captured stream");
	buf[n] = '\0';
	return buf;
}

/*
 * Runs dryrun_main in-process on "artifact-generator --dry-run <args>"
 * (args split on spaces: the test paths have none), with stdout and stderr
 * captured into *out and *err (malloc'd; either may be NULL to drop it).
 * With stdin_path, that file is descriptor 0 during the call. Returns the
 * exit status.
 */
static int
dr(char **out, char **err, const char *stdin_path, const char *fmt, ...)
{
	char *line, *argv[MAX_ARGS], *tok, *save = NULL;
	FILE *o = tmpfile(), *e = tmpfile();
	int argc = 0, rc, saved_in = -1, fd;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) < 0)
		fail_msg("vasprintf");
	va_end(ap);
	if (o == NULL || e == NULL)
		fail_msg("tmpfile");
	argv[argc++] = "artifact-generator";
	argv[argc++] = "--dry-run";
	for (tok = strtok_r(line, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save)) {
		if (argc == MAX_ARGS - 1)
			fail_msg("too many arguments");
		argv[argc++] = tok;
	}
	argv[argc] = NULL;
	if (stdin_path != NULL) {
		saved_in = dup(0);
		fd = open(stdin_path, O_RDONLY);
		assert_true(saved_in >= 0 && fd >= 0);
		assert_int_equal(dup2(fd, 0), 0);
		close(fd);
	}
	rc = dryrun_main(argc, argv, o, e);
	if (saved_in >= 0) {
		assert_int_equal(dup2(saved_in, 0), 0);
		close(saved_in);
	}
	if (out != NULL)
		*out = slurp(o);
	if (err != NULL)
		*err = slurp(e);
	fclose(o);
	fclose(e);
	free(line);
	return rc;
}

static const char *
str_at(json_t *obj, const char *path)
{
	char buf[256], *tok, *save = NULL;
	json_t *cur = obj;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && cur;
	    tok = strtok_r(NULL, ".", &save))
		cur = json_object_get(cur, tok);
	if (!json_is_string(cur))
		fail_msg("no string at %s", path);
	return json_string_value(cur);
}

/* metadata.<map>[key] (keys contain dots, so not through str_at). */
static const char *
label_of(json_t *obj, const char *map, const char *key)
{
	json_t *v = json_object_get(json_object_get(json_object_get(obj,
	    "metadata"), map), key);

	if (!json_is_string(v))
		fail_msg("no metadata.%s[%s]", map, key);
	return json_string_value(v);
}

static const char *
origin_of(json_t *ea)
{
	json_t *v = json_object_get(json_object_get(json_object_get(
	    json_object_get(ea, "status"), "artifact"), "metadata"),
	    "org.opencontainers.image.revision");

	if (!json_is_string(v))
		fail_msg("no origin revision in status.artifact.metadata");
	return json_string_value(v);
}

/* The fixture's run with extra flags; fails unless it exits 0. *err gets
 * stderr when err is not NULL. */
static char *
run_ok(struct fixture *f, const char *extra, char **err)
{
	char *out, *msg;
	int rc = dr(&out, &msg, NULL, "-f %s/gen.yaml --source src=%s/src "
	    "--source vals=%s/vals.tgz --storage-path %s %s", f->dir, f->dir,
	    f->dir, f->storage, extra);

	if (rc != 0)
		fail_msg("exit %d: %s", rc, msg);
	if (err != NULL)
		*err = msg;
	else
		free(msg);
	return out;
}

static char *
sha256_of(const char *path)
{
	int status;
	char *out = tu_run(&status, "sha256sum '%s' | cut -d' ' -f1", path);
	char *d;

	assert_int_equal(status, 0);
	if (asprintf(&d, "sha256:%s", out) < 0)
		fail_msg("asprintf");
	free(out);
	return d;
}

static json_t *
find_item(json_t *items, const char *kind, const char *name)
{
	size_t i;
	json_t *it;

	json_array_foreach(items, i, it) {
		if (strcmp(str_at(it, "kind"), kind) == 0 &&
		    strcmp(str_at(it, "metadata.name"), name) == 0)
			return it;
	}
	fail_msg("no %s %s in output", kind, name);
	return NULL;
}

static void
check_ready(json_t *obj, const char *message)
{
	json_t *c = json_array_get(json_object_get(json_object_get(obj,
	    "status"), "conditions"), 0);
	const char *t;

	assert_non_null(c);
	assert_string_equal(str_at(c, "type"), "Ready");
	assert_string_equal(str_at(c, "status"), "True");
	assert_string_equal(str_at(c, "reason"), "Succeeded");
	assert_string_equal(str_at(c, "message"), message);
	t = str_at(c, "lastTransitionTime");
	assert_int_equal(strlen(t), 20);
	assert_int_equal(t[10], 'T');
	assert_int_equal(t[19], 'Z');
}

/* Every field of one ExternalArtifact, against the stored file. */
static void
check_external_artifact(struct fixture *f, json_t *ea, const char *ns,
    const char *gen, const char *gen_uid)
{
	json_t *art = json_object_get(json_object_get(ea, "status"), "artifact");
	const char *name = str_at(ea, "metadata.name");
	char want_prefix[256], *file, *digest;
	struct stat st;

	assert_string_equal(str_at(ea, "apiVersion"),
	    "source.toolkit.fluxcd.io/v1");
	assert_string_equal(str_at(ea, "metadata.namespace"), ns);
	assert_string_equal(label_of(ea, "labels",
	    "app.kubernetes.io/managed-by"), "source-watcher");
	assert_string_equal(label_of(ea, "labels",
	    "source.extensions.fluxcd.io/generator"), gen_uid);
	assert_string_equal(str_at(ea, "spec.sourceRef.apiVersion"),
	    "source.extensions.fluxcd.io/v1beta1");
	assert_string_equal(str_at(ea, "spec.sourceRef.kind"),
	    "ArtifactGenerator");
	assert_string_equal(str_at(ea, "spec.sourceRef.name"), gen);
	assert_string_equal(str_at(ea, "spec.sourceRef.namespace"), ns);
	snprintf(want_prefix, sizeof(want_prefix), "externalartifact/%s/%s/",
	    ns, name);
	assert_memory_equal(str_at(art, "path"), want_prefix,
	    strlen(want_prefix));
	assert_non_null(strstr(str_at(art, "path"), ".tar.gz"));
	assert_non_null(strstr(str_at(art, "url"), str_at(art, "path")));
	file = tu_path(f->storage, str_at(art, "path"));
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(json_integer_value(json_object_get(art, "size")),
	    st.st_size);
	digest = sha256_of(file);
	assert_string_equal(str_at(art, "digest"), digest);
	assert_int_equal(strlen(str_at(art, "lastUpdateTime")), 20);
	check_ready(ea, "Artifact is ready");
	free(digest);
	free(file);
}

static void
check_output(struct fixture *f, json_t *items)
{
	json_t *web = find_item(items, "ExternalArtifact", "web-config");
	json_t *vals = find_item(items, "ExternalArtifact", "web-vals");
	json_t *api = find_item(items, "ExternalArtifact", "api-manifests");
	json_t *gen = find_item(items, "ArtifactGenerator", "web");
	json_t *inv;
	char *tgz = tu_path(f->dir, "vals.tgz"), *tgz_digest = sha256_of(tgz);
	char want[256];
	int status;
	char *src_digest;

	assert_int_equal(json_array_size(items), 6);
	/* ExternalArtifacts come first, then the generators */
	assert_string_equal(str_at(json_array_get(items, 3), "kind"),
	    "ExternalArtifact");
	assert_string_equal(str_at(json_array_get(items, 4), "kind"),
	    "ArtifactGenerator");
	/* web has no metadata.uid: the stand-in is the version 5 UUID of
	 * "default/web" in the URL namespace (Python: uuid.uuid5(
	 * uuid.NAMESPACE_URL, "default/web")); mono's uid is its own */
	check_external_artifact(f, web, "default", "web",
	    "b96bf486-0bab-55d8-bda7-fec205add294");
	check_external_artifact(f, vals, "default", "web",
	    "b96bf486-0bab-55d8-bda7-fec205add294");
	check_external_artifact(f, api, "team-a", "mono",
	    "0b7f4d0e-1111-4222-8333-444455556666");
	find_item(items, "ExternalArtifact", "web-manifests");
	assert_string_equal(label_of(web, "labels", "team"), "web");
	assert_string_equal(label_of(web, "annotations", "example.com/note"),
	    "hello");
	/* labels carry the lower-cased capture, as in source-watcher */
	assert_string_equal(label_of(api, "labels", "app"), "api");
	/* default revision of a tarball source: its digest */
	snprintf(want, sizeof(want), "latest@%s", tgz_digest);
	assert_string_equal(str_at(vals, "status.artifact.revision"), want);
	/* of a directory source: path NUL size NUL bytes, walk order */
	src_digest = tu_run(&status, "printf 'a.txt\\0002\\000hi"
	    "apps/Api/deploy.yaml\\0008\\000kind: A\\n"
	    "apps/web/deploy.yaml\\0008\\000kind: W\\n' | sha256sum | "
	    "cut -d' ' -f1");
	snprintf(want, sizeof(want), "latest@sha256:%s", src_digest);
	assert_string_equal(origin_of(web), want);
	/* the artifact's own revision is its digest */
	snprintf(want, sizeof(want), "latest@%s",
	    str_at(web, "status.artifact.digest"));
	assert_string_equal(str_at(web, "status.artifact.revision"), want);
	inv = json_object_get(json_object_get(gen, "status"), "inventory");
	assert_int_equal(json_array_size(inv), 2);
	assert_string_equal(str_at(json_array_get(inv, 0), "name"),
	    "web-config");
	assert_string_equal(str_at(json_array_get(inv, 0), "namespace"),
	    "default");
	assert_string_equal(str_at(json_array_get(inv, 0), "digest"),
	    str_at(web, "status.artifact.digest"));
	assert_non_null(strstr(str_at(web, "status.artifact.path"),
	    str_at(json_array_get(inv, 0), "filename")));
	check_ready(gen, "reconciliation succeeded, generated 2 artifact(s)");
	check_ready(find_item(items, "ArtifactGenerator", "mono"),
	    "reconciliation succeeded, generated 2 artifact(s)");
	free(src_digest);
	free(tgz_digest);
	free(tgz);
}

static void
test_yaml_output_parses_and_carries_the_fields(void **state)
{
	struct fixture *f = *state;
	char *out = run_ok(f, "", NULL);
	json_t *docs;
	struct err e;

	if (yaml_json_load(out, strlen(out), NULL, &docs, &e) < 0)
		fail_msg("output is not YAML: %s\n%s", e.msg, out);
	check_output(f, docs);
	json_decref(docs);
	free(out);
}

static void
test_json_output_is_one_list(void **state)
{
	struct fixture *f = *state;
	char *out = run_ok(f, "-o json", NULL);
	json_error_t je;
	json_t *list = json_loads(out, 0, &je);

	if (list == NULL)
		fail_msg("output is not JSON: %s", je.text);
	assert_string_equal(str_at(list, "apiVersion"), "v1");
	assert_string_equal(str_at(list, "kind"), "List");
	check_output(f, json_object_get(list, "items"));
	json_decref(list);
	free(out);
}

static void
test_revisions_from_flags_and_verbose_report(void **state)
{
	struct fixture *f = *state;
	char *err, *out = run_ok(f, "--source-revision src=main@sha1:abc "
	    "--source-origin-revision src=abc --source-revision vals=v1@sha256:"
	    "0f --verbose", &err);
	json_t *docs, *web, *vals;
	struct err e;

	if (yaml_json_load(out, strlen(out), NULL, &docs, &e) < 0)
		fail_msg("%s", e.msg);
	web = find_item(docs, "ExternalArtifact", "web-config");
	vals = find_item(docs, "ExternalArtifact", "web-vals");
	assert_string_equal(origin_of(web), "abc");
	assert_string_equal(str_at(vals, "status.artifact.revision"),
	    "v1@sha256:0f");
	assert_non_null(strstr(err, "default/web-config: copy '@src/a.txt' -> "
	    "'@artifact/': a.txt (2 bytes)"));
	assert_non_null(strstr(err, "default/web-vals: copy '@vals/*.yaml' -> "
	    "'@artifact/cfg/': cfg/values.yaml (12 bytes)"));
	json_decref(docs);
	free(err);
	free(out);
}

/* Sets TMPDIR to dir (NULL: restores the saved value into *saved). */
static void
tmpdir_set(const char *dir, char **saved)
{
	if (dir != NULL) {
		const char *t = getenv("TMPDIR");

		*saved = t ? strdup(t) : NULL;
		assert_int_equal(setenv("TMPDIR", dir, 1), 0);
		return;
	}
	if (*saved != NULL)
		assert_int_equal(setenv("TMPDIR", *saved, 1), 0);
	else
		assert_int_equal(unsetenv("TMPDIR"), 0);
	free(*saved);
}

/* A source tarball whose entries make paths longer than PATH_MAX below the
 * temporary extraction directory: the run succeeds and leaves nothing in
 * TMPDIR (the tree is removed relative to directory descriptors). The
 * entry's name is 4,090 bytes, within the reader's limit; with the
 * extraction directory in front it passes 4,096. */
static void
test_long_paths_in_source_tarball_leave_nothing(void **state)
{
	struct fixture *f = *state;
	char *tmp = tu_path(f->dir, "tmp-long"), *saved, *out, *err, *left;
	int rc, status;

	(void)mkdir(tmp, 0700);
	out = tu_run(&status, "python3 -c 'import io, tarfile, sys\n"
	    "t = tarfile.open(sys.argv[1], \"w:gz\")\n"
	    "def add(name, data=b\"\"):\n"
	    "    i = tarfile.TarInfo(name); i.size = len(data)\n"
	    "    t.addfile(i, io.BytesIO(data))\n"
	    "add(\"values.yaml\", b\"a: 1\\n\")\n"
	    "add(\"/\".join([\"d\" * 200] * 20) + \"/\" + \"f\" * 70, "
	    "b\"x\")\n"
	    "t.close()' '%s/long.tgz'", f->dir);
	assert_int_equal(status, 0);
	free(out);
	tmpdir_set(tmp, &saved);
	rc = dr(&out, &err, NULL, "-f %s/gen.yaml --source src=%s/src "
	    "--source vals=%s/long.tgz --storage-path %s", f->dir, f->dir,
	    f->dir, f->storage);
	tmpdir_set(NULL, &saved);
	if (rc != 0)
		fail_msg("exit %d: %s", rc, err);
	left = tu_run(&status, "ls -A '%s'", tmp);
	assert_string_equal(left, "");
	free(left);
	free(out);
	free(err);
	free(tmp);
}

static void
test_stdin_and_default_storage(void **state)
{
	struct fixture *f = *state;
	char *out, *err, *saved, *tmp = tu_path(f->dir, "tmp"),
	    *in = tu_path(f->dir, "gen.yaml");
	int rc;

	(void)mkdir(tmp, 0700);
	tmpdir_set(tmp, &saved);
	rc = dr(&out, &err, in, "-f - --source src=%s/src --source vals=%s/vals "
	    "-o json", f->dir, f->dir);
	tmpdir_set(NULL, &saved);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(err, "artifact-generator: storage: "));
	assert_non_null(strstr(err, tmp));
	assert_non_null(strstr(out, "\"kind\": \"List\""));
	free(err);
	free(out);
	free(tmp);
	free(in);
}

/* Runs with args from within f->dir (TMPDIR too); checks the exit status
 * and that stderr holds needle. */
static void
expect_failure(struct fixture *f, int want_status, const char *needle,
    const char *fmt_args)
{
	char cwd[4096], *err, *saved;
	int rc;

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(f->dir), 0);
	tmpdir_set(f->dir, &saved);
	rc = dr(NULL, &err, NULL, "%s", fmt_args);
	tmpdir_set(NULL, &saved);
	assert_int_equal(chdir(cwd), 0);
	if (rc != want_status || strstr(err, needle) == NULL)
		fail_msg("args %s: exit %d, stderr '%s', want %d and '%s'",
		    fmt_args, rc, err, want_status, needle);
	free(err);
}

static void
expect_no_temp_storage(struct fixture *f)
{
	int status;
	char *out = tu_run(&status, "ls '%s' | grep -c "
	    "'^artifact-generator-storage'", f->dir);

	assert_string_equal(out, "0");
	free(out);
}

static void
test_usage_errors_exit_2(void **state)
{
	struct fixture *f = *state;

	expect_failure(f, 2, "at least one -f FILE is required",
	    "--source src=src");
	expect_failure(f, 2, "artifact-generator: --bogus: unknown flag",
	    "-f gen.yaml --bogus");
	expect_failure(f, 2, "-o: \"xml\" is not one of yaml, json",
	    "-f gen.yaml -o xml");
	expect_failure(f, 2, "unexpected argument 'extra'", "-f gen.yaml extra");
	expect_failure(f, 2, "--source expects ALIAS=PATH, got 'src'",
	    "-f gen.yaml --source src");
	expect_failure(f, 2, "--storage-path: missing value",
	    "-f gen.yaml --storage-path");
	expect_failure(f, 2, "--artifact-digest-algo", "-f gen.yaml "
	    "--artifact-digest-algo md5");
}

static void
test_help_lists_the_flags(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(dr(&out, NULL, NULL, "--help"), 0);
	assert_non_null(strstr(out, "Usage: artifact-generator --dry-run -f FILE"));
	assert_non_null(strstr(out, "--source-origin-revision"));
	assert_non_null(strstr(out, "--no-cross-namespace-refs"));
	/* The digest choices come from the digest module: exactly the
	 * supported algorithms (sha384 never was one). */
	assert_non_null(strstr(out, "One of: sha1, sha256, sha512, blake3."));
	assert_null(strstr(out, "sha384"));
	free(out);
}

static void
test_errors_exit_1_naming_the_problem(void **state)
{
	struct fixture *f = *state;

	tu_write_str(f->dir, "bad-alias.yaml",
	    "apiVersion: source.extensions.fluxcd.io/v1beta1\n"
	    "kind: ArtifactGenerator\nmetadata: {name: g}\nspec:\n"
	    "  sources: [{alias: src, kind: GitRepository, name: r}]\n"
	    "  artifacts: [{name: x, copy: [{from: '@nope/x', "
	    "to: '@artifact/'}]}]\n");
	tu_write_str(f->dir, "cm.yaml", "apiVersion: v1\nkind: ConfigMap\n");
	tu_write_str(f->dir, "nomatch.yaml",
	    "apiVersion: source.extensions.fluxcd.io/v1beta1\n"
	    "kind: ArtifactGenerator\nmetadata: {name: g, namespace: ns}\n"
	    "spec:\n"
	    "  sources: [{alias: src, kind: GitRepository, name: r, "
	    "namespace: other}]\n"
	    "  artifacts: [{name: x, copy: [{from: '@src/*.json', "
	    "to: '@artifact/'}]}]\n");
	expect_failure(f, 1, "ArtifactGenerator default/g: spec.artifacts[0]."
	    "copy[0].from '@nope/x': source alias 'nope' is not declared in "
	    "spec.sources", "-f bad-alias.yaml --source src=src");
	expect_failure(f, 1, "cm.yaml: document 1: kind 'ConfigMap' is not "
	    "ArtifactGenerator", "-f gen.yaml -f cm.yaml --source src=src");
	expect_failure(f, 1, "ArtifactGenerator default/web: spec.sources[1]."
	    "alias 'vals': no --source vals=PATH given",
	    "-f gen.yaml --source src=src --storage-path st");
	/* Caught before a temporary storage is created: none is left. */
	expect_failure(f, 1, "ArtifactGenerator default/web: spec.sources[1]."
	    "alias 'vals': no --source vals=PATH given",
	    "-f gen.yaml --source src=src");
	expect_no_temp_storage(f);
	expect_failure(f, 1, "ArtifactGenerator ns/g: spec.sources[0].namespace "
	    "'other': cross-namespace references are not allowed",
	    "-f nomatch.yaml --source src=src --no-cross-namespace-refs "
	    "--storage-path st");
	expect_failure(f, 1, "artifact-generator: dry-run failed: "
	    "ArtifactGenerator ns/g: artifact 'x': copy '@src/*.json' -> "
	    "'@artifact/': no files match pattern '*.json' in source 'src'",
	    "-f nomatch.yaml --source src=src --storage-path st");
	expect_failure(f, 1, "ArtifactGenerator default/web is given twice in "
	    "the input", "-f gen.yaml -f gen.yaml --source src=src");
	expect_failure(f, 1, "--source src: cannot access 'missing'",
	    "-f gen.yaml --source src=missing --source vals=src");
}

static const char *const many_yaml =
    "apiVersion: source.extensions.fluxcd.io/v1beta1\n"
    "kind: ArtifactGenerator\n"
    "metadata: {name: many, namespace: ns}\n"
    "spec:\n"
    "  sources: [{alias: m, kind: GitRepository, name: repo}]\n"
    "  pathPattern: '@m/apps/{app}'\n"
    "  artifacts:\n"
    "    - name: '{app}'\n"
    "      copy: [{from: '@m/apps/{app}/*.json', to: '@artifact/'}]\n";

/* "name digest\n" per ExternalArtifact, in output order (malloc'd). */
static char *
names_and_digests(const char *json_text)
{
	json_error_t je;
	json_t *list = json_loads(json_text, 0, &je), *it;
	char *acc = calloc(1, 1), *next;
	size_t i;

	if (list == NULL)
		fail_msg("output is not JSON: %s", je.text);
	json_array_foreach(json_object_get(list, "items"), i, it) {
		if (strcmp(str_at(it, "kind"), "ExternalArtifact") != 0)
			continue;
		if (asprintf(&next, "%s%s %s\n", acc, str_at(it,
		    "metadata.name"), str_at(json_object_get(json_object_get(
		    it, "status"), "artifact"), "digest")) < 0)
			fail_msg("asprintf");
		free(acc);
		acc = next;
	}
	json_decref(list);
	return acc;
}

static char *
run_many(struct fixture *f, const char *jobs, const char *storage)
{
	char *out, *r;
	int rc = dr(&out, NULL, NULL, "-f %s/many.yaml --source m=%s/m "
	    "--storage-path %s/%s -o json %s", f->dir, f->dir, f->dir, storage,
	    jobs);

	assert_int_equal(rc, 0);
	r = names_and_digests(out);
	free(out);
	return r;
}

static void
test_parallel_builds_print_the_same_in_order(void **state)
{
	struct fixture *f = *state;
	char rel[64], body[64], want[64], *one, *four, *p, *prev;
	int i;

	tu_write_str(f->dir, "many.yaml", many_yaml);
	for (i = 0; i < 12; i++) {
		snprintf(rel, sizeof(rel), "m/apps/a%02d/x.json", i);
		snprintf(body, sizeof(body), "{\"n\": %d}\n", i);
		tu_write_str(f->dir, rel, body);
	}
	one = run_many(f, "-j 1", "st1");
	four = run_many(f, "--jobs 4", "st4");
	/* same artifacts, same archives, same (sorted) order */
	assert_string_equal(one, four);
	for (i = 0, prev = four; i < 12; i++, prev = p) {
		snprintf(want, sizeof(want), "a%02d sha256:", i);
		assert_non_null(p = strstr(four, want));
		assert_true(i == 0 || p > prev);
	}
	free(one);
	free(four);
	/* one failing artifact among parallel builds fails the run */
	tu_write_str(f->dir, "m/apps/a07/x.yaml", "no json here\n");
	p = tu_path(f->dir, "m/apps/a07/x.json");
	assert_int_equal(unlink(p), 0);
	free(p);
	expect_failure(f, 1, "artifact 'a07': copy '@m/apps/a07/*.json'",
	    "-f many.yaml --source m=m --storage-path st -j 4");
	expect_failure(f, 2, "--jobs: expected 0 to 16",
	    "-f many.yaml --source m=m -j 17");
}

/* The binary itself: main hands --dry-run over with the exit codes. */
static void
test_binary_exit_codes(void **state)
{
	struct fixture *f = *state;
	int status;
	char *out;

	out = tu_run(&status, BIN " --dry-run --help >/dev/null; echo $?");
	assert_string_equal(out, "0");
	free(out);
	out = tu_run(&status, BIN " --dry-run --bogus 2>/dev/null; echo $?");
	assert_string_equal(out, "2");
	free(out);
	out = tu_run(&status, BIN " --dry-run -f '%s/gen.yaml' --source "
	    "src='%s/src' --source vals='%s/missing' --storage-path '%s' "
	    "2>/dev/null; echo $?", f->dir, f->dir, f->dir, f->storage);
	assert_string_equal(out, "1");
	free(out);
	out = tu_run(&status, BIN " --dry-run -f '%s/gen.yaml' --source "
	    "src='%s/src' --source vals='%s/vals.tgz' --storage-path '%s' | "
	    "grep -c '^kind: ExternalArtifact'", f->dir, f->dir, f->dir,
	    f->storage);
	assert_string_equal(out, "4");
	free(out);
}

/*
 * A whole dry-run build of source-watcher's golden trees: one generator
 * with one source per tree, each copied whole into the artifact of the
 * vector's name, must store exactly the file names source-watcher stored.
 */
static void
test_golden_trees_get_source_watcher_names(void **state)
{
	struct fixture *f = *state;
	json_t *doc = golden_load(), *vecs = golden_vectors(doc), *v, *list,
	    *ea, *inv;
	char *yaml = NULL, *next, *args = NULL, *dir, *out, *err, rel[64];
	size_t i;

	if (asprintf(&yaml, "apiVersion: source.extensions.fluxcd.io/v1beta1\n"
	    "kind: ArtifactGenerator\nmetadata: {name: golden}\nspec:\n"
	    "  sources:\n") < 0 || asprintf(&args, "-f %s/golden.yaml "
	    "--storage-path %s -o json -j 2", f->dir, f->storage) < 0)
		fail_msg("asprintf");
	json_array_foreach(vecs, i, v) {
		snprintf(rel, sizeof(rel), "golden/g%zu", i);
		dir = tu_path(f->dir, rel);
		golden_write_tree(v, dir);
		if (asprintf(&next, "%s    - {alias: g%zu, kind: GitRepository, "
		    "name: r%zu}\n", yaml, i, i) < 0)
			fail_msg("asprintf");
		free(yaml);
		yaml = next;
		if (asprintf(&next, "%s --source g%zu=%s", args, i, dir) < 0)
			fail_msg("asprintf");
		free(args);
		args = next;
		free(dir);
	}
	if (asprintf(&next, "%s  artifacts:\n", yaml) < 0)
		fail_msg("asprintf");
	free(yaml);
	yaml = next;
	json_array_foreach(vecs, i, v) {
		if (asprintf(&next, "%s    - name: %s\n      copy: [{from: "
		    "'@g%zu/**', to: '@artifact/'}]\n", yaml,
		    golden_artifact(v), i) < 0)
			fail_msg("asprintf");
		free(yaml);
		yaml = next;
	}
	tu_write_str(f->dir, "golden.yaml", yaml);
	if (dr(&out, &err, NULL, "%s", args) != 0)
		fail_msg("dry-run failed: %s", err);
	if ((list = json_loads(out, 0, NULL)) == NULL)
		fail_msg("output is not JSON");
	inv = json_object_get(json_object_get(find_item(json_object_get(list,
	    "items"), "ArtifactGenerator", "golden"), "status"), "inventory");
	assert_int_equal(json_array_size(inv), json_array_size(vecs));
	json_array_foreach(vecs, i, v) {
		const char *path, *want = golden_filename(v);

		ea = find_item(json_object_get(list, "items"), "ExternalArtifact",
		    golden_artifact(v));
		path = str_at(ea, "status.artifact.path");
		if (strlen(path) < strlen(want) ||
		    strcmp(path + strlen(path) - strlen(want), want) != 0)
			fail_msg("%s: stored %s, source-watcher stored %s",
			    golden_artifact(v), path, want);
		assert_string_equal(str_at(json_array_get(inv, i), "filename"),
		    want);
	}
	json_decref(list);
	json_decref(doc);
	free(out);
	free(err);
	free(yaml);
	free(args);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_yaml_output_parses_and_carries_the_fields, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_json_output_is_one_list,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_revisions_from_flags_and_verbose_report, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_long_paths_in_source_tarball_leave_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stdin_and_default_storage,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_usage_errors_exit_2, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_errors_exit_1_naming_the_problem, setup, teardown),
		cmocka_unit_test(test_help_lists_the_flags),
		cmocka_unit_test_setup_teardown(
		    test_parallel_builds_print_the_same_in_order, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_golden_trees_get_source_watcher_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_binary_exit_codes, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
