/*
 * build_ignore: removes from the staging tree what source-watcher's archive
 * filter leaves out (see build_ignore.h for the list and its origin).
 */
#include "engine/build_ignore.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <string.h>
#include <unistd.h>

#include "base/fs_tree.h"
#include "engine/copy_fs.h"

/* Patterns matched against one path component, any file or directory. */
static const char *const build_ignore_any[] = {
	".gitignore", ".gitmodules", ".gitattributes",
	"*.jpg", "*.jpeg", "*.gif", "*.png", "*.wmv", "*.flv", "*.tar.gz",
	"*.zip",
	".travis.yml", ".gitlab-ci.yml", "appveyor.yml", ".drone.yml",
	"cloudbuild.yaml", "codeship-services.yml", "codeship-steps.yml",
	".goreleaser.yml", ".sops.yaml", ".flux.yaml",
};

/* Patterns with a trailing '/': directories only. */
static const char *const build_ignore_dirs[] = {
	".git", ".github", ".circleci",
};

bool
build_ignore_name(const char *name, bool is_dir)
{
	size_t i;

	for (i = 0; i < sizeof(build_ignore_any) / sizeof(*build_ignore_any);
	    i++)
		if (fnmatch(build_ignore_any[i], name, 0) == 0)
			return true;
	if (!is_dir)
		return false;
	for (i = 0; i < sizeof(build_ignore_dirs) / sizeof(*build_ignore_dirs);
	    i++)
		if (strcmp(build_ignore_dirs[i], name) == 0)
			return true;
	return false;
}

static int
build_ignore_dir(int dirfd, const char *rel, int depth, struct err *e)
{
	char path[COPY_PATH_MAX];
	struct copy_fs_entry *l;
	size_t n, i;
	int fd, rc = 0;

	if (depth > COPY_PATH_MAX / 2)
		return err_set(e, "'%s' is nested too deep", rel);
	if (copy_fs_list(dirfd, *rel ? rel : ".", &l, &n, e) != 0)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		bool is_dir = l[i].kind == COPY_FS_DIR;

		if ((rc = copy_path_join(path, rel, l[i].name, e)) != 0)
			break;
		if (build_ignore_name(l[i].name, is_dir)) {
			rc = fs_tree_remove(dirfd, l[i].name, e);
			continue;
		}
		if (!is_dir)
			continue;
		fd = openat(dirfd, l[i].name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			rc = err_sys(e, errno, "open '%s'", path);
			break;
		}
		rc = build_ignore_dir(fd, path, depth + 1, e);
		close(fd);
	}
	copy_fs_list_free(l, n);
	return rc;
}

int
build_ignore_apply(int tree_fd, struct err *e)
{
	return build_ignore_dir(tree_fd, "", 0, e);
}
