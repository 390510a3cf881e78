/*
 * Unit tests for dir_walk (src/base/dir_walk.c): sorted depth-first order
 * with a custom order, directories before their contents, skipping,
 * symlinks never followed, hidden names left out on request, the depth
 * limit with its message, cancellation, and no descriptor left open.
 */
#include "testutil.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/dir_walk.h"

struct log {
	char text[1024];
	const char *skip;	/* directory name not to descend into */
	int fail_at;		/* visit number that fails, 0 = none */
	int visits;
};

static int
log_visit(void *ctx, const struct dir_walk_entry *ent, struct err *e)
{
	struct log *l = ctx;
	size_t n = strlen(l->text);
	bool dir = S_ISDIR(ent->st->st_mode);

	snprintf(l->text + n, sizeof(l->text) - n, "%s%s(%zu) ", ent->rel,
	    dir ? "/" : S_ISLNK(ent->st->st_mode) ? "@" : "", ent->depth);
	if (++l->visits == l->fail_at)
		return err_set(e, "stop at '%s'", ent->rel);
	return l->skip && dir && strcmp(ent->name, l->skip) == 0 ?
	    DIR_WALK_SKIP : 0;
}

/* '/' sorts first, as tar_path_cmp does. */
static int
slash_first(const char *a, const char *b)
{
	for (; *a && *a == *b; a++, b++)
		;
	if (*a == *b)
		return 0;
	return *a == '/' ? -1 : *b == '/' ? 1 : (unsigned char)*a -
	    (unsigned char)*b;
}

static int
open_dir(const char *p)
{
	int fd = open(p, O_RDONLY | O_DIRECTORY);

	assert_true(fd >= 0);
	return fd;
}

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

static void
test_order_skip_and_symlinks(void **state)
{
	char *root = tu_mkdtemp();
	struct log l = { .visits = 0 };
	struct dir_walk_opts o = { .prefix = "p", .visit = log_visit,
	    .ctx = &l };
	struct err e;
	int fd, before;

	(void)state;
	tu_write_str(root, "b/x", "1");
	tu_write_str(root, "a/c/y", "2");
	tu_write_str(root, "a.txt", "3");
	tu_write_str(root, ".h/z", "4");
	tu_symlink(root, "l", "a");
	fd = open_dir(root);
	before = count_fds();
	assert_int_equal(dir_walk(fd, &o, &e), 0);
	assert_string_equal(l.text, "p/.h/(0) p/.h/z(1) p/a/(0) p/a/c/(1) "
	    "p/a/c/y(2) p/a.txt(0) p/b/(0) p/b/x(1) p/l@(0) ");
	assert_int_equal(count_fds(), before);

	memset(&l, 0, sizeof(l));
	l.skip = "a";
	o = (struct dir_walk_opts){ .cmp = slash_first, .skip_hidden = true,
	    .visit = log_visit, .ctx = &l };
	assert_int_equal(dir_walk(fd, &o, &e), 0);
	assert_string_equal(l.text, "a/(0) a.txt(0) b/(0) b/x(1) l@(0) ");

	memset(&l, 0, sizeof(l));
	l.fail_at = 3;	/* two levels open */
	assert_int_equal(dir_walk(fd, &o, &e), -1);
	assert_string_equal(e.msg, "stop at 'a/c/y'");
	assert_int_equal(count_fds(), before);
	close(fd);
	tu_rmtree(root);
}

static void
test_depth_limit_and_cancel(void **state)
{
	char *root = tu_mkdtemp();
	struct log l = { .visits = 0 };
	cancel_flag cancel = 1;
	struct dir_walk_opts o = { .visit = log_visit, .ctx = &l };
	struct err e;
	int fd, dfd, before, status;
	char want[2 * TREE_DEPTH_MAX + 64];

	(void)state;
	/* TREE_DEPTH_MAX levels: fine; one more: refused, naming it */
	free(tu_run(&status, "cd '%s' && i=0 && while [ $i -lt %d ]; do "
	    "mkdir d && cd d && i=$((i+1)) || exit 1; done && printf x > f",
	    root, TREE_DEPTH_MAX));
	assert_int_equal(status, 0);
	fd = open_dir(root);
	before = count_fds();
	assert_int_equal(dir_walk(fd, &o, &e), 0);
	assert_int_equal(l.visits, TREE_DEPTH_MAX + 1);
	dfd = fd;
	for (int i = 0; i < TREE_DEPTH_MAX; i++) {
		int nfd = openat(dfd, "d", O_RDONLY | O_DIRECTORY);

		assert_true(nfd >= 0);
		if (dfd != fd)
			close(dfd);
		dfd = nfd;
	}
	assert_int_equal(unlinkat(dfd, "f", 0), 0);
	assert_int_equal(mkdirat(dfd, "d", 0755), 0);
	close(dfd);
	memset(&l, 0, sizeof(l));
	assert_int_equal(dir_walk(fd, &o, &e), -1);
	want[0] = '\0';
	strcat(want, "'");
	for (int i = 0; i <= TREE_DEPTH_MAX; i++)
		strcat(want, i ? "/d" : "d");
	strcat(want, "' is nested deeper than 256 levels");
	assert_string_equal(e.msg, want);
	assert_int_equal(count_fds(), before);

	o.cancel = &cancel;
	assert_int_equal(dir_walk(fd, &o, &e), -1);
	assert_string_equal(e.msg, "cancelled");
	close(fd);
	tu_rmtree(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_skip_and_symlinks),
		cmocka_unit_test(test_depth_limit_and_cancel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
