/*
 * build_ignore: removes from the staging tree what source-watcher's archive
 * filter leaves out (see build_ignore.h for the list and its origin), in
 * one iterative dir_walk.
 */
#include "engine/build_ignore.h"

#include <fnmatch.h>
#include <string.h>
#include <sys/stat.h>

#include "base/fs_tree.h"
#include "base/dir_walk.h"
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

/* Removes an ignored entry (a whole tree for a directory) and does not
 * descend into it. */
static int
build_ignore_visit(void *ctx, const struct dir_walk_entry *ent,
    struct err *e)
{
	(void)ctx;
	if (!build_ignore_name(ent->name, S_ISDIR(ent->st->st_mode)))
		return 0;
	if (fs_tree_remove(ent->dirfd, ent->name, e) != 0)
		return -1;
	return DIR_WALK_SKIP;
}

int
build_ignore_apply(int tree_fd, struct err *e)
{
	struct dir_walk_opts wo = { .visit = build_ignore_visit };

	return dir_walk(tree_fd, &wo, e);
}
