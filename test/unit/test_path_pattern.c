/*
 * Unit tests for src/generator/path_pattern.c: directory discovery (only
 * directories, no symlinks, hidden entries skipped, sorted), rendering of
 * names and labels (lower-cased) and copy operations (original case, glob
 * braces kept), captures, invalid values, name collisions and the cap on
 * rendered artifacts.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "generator/generator_parse.h"
#include "generator/path_pattern.h"

static void
load_gen(const char *pattern, const char *artifacts, struct generator *g)
{
	char yaml[4096];
	struct generator *gs;
	size_t n;
	struct err e;

	snprintf(yaml, sizeof(yaml),
	    "apiVersion: source.extensions.fluxcd.io/v1beta1\n"
	    "kind: ArtifactGenerator\n"
	    "metadata: {name: gen, namespace: apps}\n"
	    "spec:\n"
	    "  sources: [{alias: repo, kind: GitRepository, name: mono}]\n"
	    "  pathPattern: '%s'\n"
	    "  artifacts:\n%s", pattern, artifacts);
	if (generator_parse_yaml(yaml, strlen(yaml), &gs, &n, &e) < 0)
		fail_msg("%s", e.msg);
	assert_int_equal(n, 1);
	*g = gs[0];
	free(gs);
}

static void
free_arts(struct gen_artifact *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		gen_artifact_free(&a[i]);
	free(a);
}

static const char *const two_templates =
    "    - name: '{app}-{env}'\n"
    "      revision: '@repo'\n"
    "      copy:\n"
    "        - from: '@repo/apps/{app}/envs/{env}/**'\n"
    "          to: '@artifact/{env}/'\n"
    "          exclude: ['*.md']\n"
    "          strategy: Merge\n"
    "    - name: '{app}-{env}-common'\n"
    "      copy:\n"
    "        - from: '@repo/apps/{app}/{base,common}/*.yaml'\n"
    "          to: '@artifact/'\n";

static char *
make_tree(void)
{
	char *root = tu_mkdtemp();

	tu_write_str(root, "apps/web/envs/prod/a.yaml", "a");
	tu_write_str(root, "apps/web/envs/Staging/a.yaml", "a");
	tu_write_str(root, "apps/api/envs/prod/a.yaml", "a");
	tu_write_str(root, "apps/api/envs/not-a-dir", "file");
	tu_write_str(root, "apps/.hidden/envs/prod/a.yaml", "a");
	tu_write_str(root, "apps/readme.md", "x");
	tu_write_str(root, "outside/envs/prod/a.yaml", "a");
	tu_symlink(root, "apps/link", "../outside");
	tu_symlink(root, "apps/web/envs/linked", "prod");
	return root;
}

static void
test_expand_renders_every_template_per_directory(void **state)
{
	static const char *const want[][3] = {
		{ "api-prod", "api", "prod" },
		{ "api-prod-common", "api", "prod" },
		{ "web-staging", "web", "staging" },	/* labels lower-cased */
		{ "web-staging-common", "web", "staging" },
		{ "web-prod", "web", "prod" },
		{ "web-prod-common", "web", "prod" },
	};
	char *root = make_tree();
	struct gen_artifact *a;
	struct generator g;
	struct err e;
	size_t n;

	(void)state;
	load_gen("@repo/apps/{app}/envs/{env}", two_templates, &g);
	if (path_pattern_expand(&g, root, &a, &n, &e) < 0)
		fail_msg("%s", e.msg);
	assert_int_equal(n, 6);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(a[i].name, want[i][0]);
		assert_int_equal(a[i].captures.len, 2);
		assert_string_equal(a[i].captures.items[0].key, "app");
		assert_string_equal(a[i].captures.items[0].value, want[i][1]);
		assert_string_equal(a[i].captures.items[1].key, "env");
		assert_string_equal(a[i].captures.items[1].value, want[i][2]);
	}
	/* from/to keep the original case; other fields are copied */
	assert_string_equal(a[2].copy[0].from, "@repo/apps/web/envs/Staging/**");
	assert_string_equal(a[2].copy[0].to, "@artifact/Staging/");
	assert_string_equal(a[2].revision, "@repo");
	assert_int_equal(a[2].copy[0].strategy, COPY_MERGE);
	assert_int_equal(a[2].copy[0].n_exclude, 1);
	assert_string_equal(a[2].copy[0].exclude[0], "*.md");
	/* glob alternatives are not captures */
	assert_string_equal(a[3].copy[0].from,
	    "@repo/apps/web/{base,common}/*.yaml");
	assert_null(a[3].revision);
	free_arts(a, n);
	generator_free(&g);
	tu_rmtree(root);
}

static void
expect_expand_error(const char *pattern, const char *tmpl,
    const char *const *dirs, const char *msg)
{
	char *root = tu_mkdtemp();
	struct gen_artifact *a = NULL;
	struct generator g;
	struct err e;
	size_t n = 0;

	for (; *dirs != NULL; dirs++)
		tu_write_str(root, *dirs, "x");
	load_gen(pattern, tmpl, &g);
	assert_int_equal(path_pattern_expand(&g, root, &a, &n, &e), -1);
	assert_null(a);
	assert_string_equal(e.msg, msg);
	generator_free(&g);
	tu_rmtree(root);
}

static const char *const one_template =
    "    - name: '{app}'\n"
    "      copy: [{from: '@repo/apps/{app}/', to: '@artifact/'}]\n";

static void
test_two_directories_rendering_one_name_is_an_error(void **state)
{
	const char *dirs[] = { "apps/Web/f", "apps/web/f", NULL };

	(void)state;
	expect_expand_error("@repo/apps/{app}", one_template, dirs,
	    "spec.pathPattern '@repo/apps/{app}': artifact name 'web' is "
	    "rendered for both directory 'apps/Web' and directory 'apps/web'");
}

static void
test_invalid_captured_values_are_errors(void **state)
{
	const char *space[] = { "apps/my app/f", NULL };
	const char *underscore[] = { "apps/my_app/f", NULL };
	const char *dash[] = { "apps/app-/f", NULL };

	(void)state;
	expect_expand_error("@repo/apps/{app}", one_template, space,
	    "spec.pathPattern '@repo/apps/{app}': directory 'apps/my app': "
	    "captured value 'my app' of {app} is not a valid label value (at "
	    "most 63 characters of alphanumerics, '-', '_' and '.', starting "
	    "and ending alphanumeric)");
	expect_expand_error("@repo/apps/{app}", one_template, dash,
	    "spec.pathPattern '@repo/apps/{app}': directory 'apps/app-': "
	    "captured value 'app-' of {app} is not a valid label value (at "
	    "most 63 characters of alphanumerics, '-', '_' and '.', starting "
	    "and ending alphanumeric)");
	/* a valid label value that cannot be part of a DNS name */
	expect_expand_error("@repo/apps/{app}", one_template, underscore,
	    "spec.pathPattern '@repo/apps/{app}': artifact name 'my_app' "
	    "rendered from '{app}' for directory 'apps/my_app' is not a "
	    "DNS-1123 subdomain");
}

static void
test_no_match_and_symlinked_prefix_give_nothing(void **state)
{
	char *root = tu_mkdtemp();
	struct gen_artifact *a = NULL;
	struct generator g;
	struct err e;
	size_t n = 99;

	(void)state;
	tu_write_str(root, "real/web/f", "x");
	tu_symlink(root, "apps", "real");
	load_gen("@repo/apps/{app}", one_template, &g);
	if (path_pattern_expand(&g, root, &a, &n, &e) < 0)
		fail_msg("%s", e.msg);
	assert_int_equal(n, 0);
	free_arts(a, n);
	generator_free(&g);
	tu_rmtree(root);
}

/* source-watcher's parity: apps/Auth gives the name auth-svc and the label
 * app=auth, while the copy paths keep "Auth". */
static void
test_labels_use_lower_cased_captures(void **state)
{
	char *root = tu_mkdtemp();
	struct gen_artifact *a;
	struct generator g;
	struct err e;
	size_t n;

	(void)state;
	tu_write_str(root, "apps/Auth/k.yaml", "k");
	load_gen("@repo/apps/{app}", "    - name: '{app}-svc'\n"
	    "      copy:\n"
	    "        - from: '@repo/apps/{app}/**'\n"
	    "          to: '@artifact/{app}/'\n", &g);
	if (path_pattern_expand(&g, root, &a, &n, &e) < 0)
		fail_msg("%s", e.msg);
	assert_int_equal(n, 1);
	assert_string_equal(a[0].name, "auth-svc");
	assert_int_equal(a[0].captures.len, 1);
	assert_string_equal(a[0].captures.items[0].key, "app");
	assert_string_equal(a[0].captures.items[0].value, "auth");
	assert_string_equal(a[0].copy[0].from, "@repo/apps/Auth/**");
	assert_string_equal(a[0].copy[0].to, "@artifact/Auth/");
	free_arts(a, n);
	generator_free(&g);
	tu_rmtree(root);
}

/* More than PATH_PATTERN_MAX_ARTIFACTS (directories x templates) is
 * refused before rendering, with the counts and the limit. */
static void
test_too_many_rendered_artifacts_is_an_error(void **state)
{
	char *root = tu_mkdtemp(), *apps = tu_path(root, "apps"), dir[64];
	struct gen_artifact *a = NULL;
	struct generator g;
	struct err e;
	size_t n = 0;
	int fd;

	(void)state;
	assert_int_equal(mkdir(apps, 0755), 0);
	fd = open(apps, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	for (int i = 0; i < PATH_PATTERN_MAX_ARTIFACTS / 2 + 1; i++) {
		snprintf(dir, sizeof(dir), "a%05d", i);
		assert_int_equal(mkdirat(fd, dir, 0755), 0);
	}
	close(fd);
	load_gen("@repo/apps/{app}", "    - name: '{app}-a'\n"
	    "      copy: [{from: '@repo/apps/{app}/**', to: '@artifact/'}]\n"
	    "    - name: '{app}-b'\n"
	    "      copy: [{from: '@repo/apps/{app}/**', to: '@artifact/'}]\n",
	    &g);
	assert_int_equal(path_pattern_expand(&g, root, &a, &n, &e), -1);
	assert_null(a);
	assert_string_equal(e.msg, "spec.pathPattern '@repo/apps/{app}': 5001 "
	    "matched directories x 2 artifact templates = 10002 artifacts, "
	    "more than the limit of 10000");
	generator_free(&g);
	free(apps);
	tu_rmtree(root);
}

static void
test_parse_segments(void **state)
{
	struct path_pattern p;
	struct err e;

	(void)state;
	assert_int_equal(path_pattern_parse("@repo/apps/{app}/envs/{env}/", &p,
	    &e), 0);
	assert_string_equal(p.alias, "repo");
	assert_int_equal(p.n_segs, 4);
	assert_false(p.segs[0].capture);
	assert_string_equal(p.segs[0].text, "apps");
	assert_true(p.segs[1].capture);
	assert_string_equal(p.segs[1].text, "app");
	assert_true(path_pattern_has_capture(&p, "env"));
	assert_false(path_pattern_has_capture(&p, "apps"));
	assert_int_equal(path_pattern_check_template(&p, "{app}-x-{env}", &e), 0);
	assert_int_equal(path_pattern_check_template(&p, "x}", &e), -1);
	assert_string_equal(e.msg, "unbalanced '}'");
	assert_int_equal(path_pattern_check_template(&p, "{a,b}", &e), -1);
	assert_string_equal(e.msg, "'{a,b}' is not a capture reference");
	path_pattern_free(&p);
	assert_int_equal(path_pattern_parse("@repo/", &p, &e), -1);
	assert_string_equal(e.msg, "no path after the source alias");
	assert_int_equal(path_pattern_parse("@Repo/x", &p, &e), -1);
	assert_string_equal(e.msg, "invalid source alias 'Repo'");
	assert_int_equal(path_pattern_parse("@r/a}{", &p, &e), -1);
	assert_string_equal(e.msg, "a capture must be a whole path segment "
	    "'{name}', got 'a}{'");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expand_renders_every_template_per_directory),
		cmocka_unit_test(test_two_directories_rendering_one_name_is_an_error),
		cmocka_unit_test(test_invalid_captured_values_are_errors),
		cmocka_unit_test(test_no_match_and_symlinked_prefix_give_nothing),
		cmocka_unit_test(test_labels_use_lower_cased_captures),
		cmocka_unit_test(test_too_many_rendered_artifacts_is_an_error),
		cmocka_unit_test(test_parse_segments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
