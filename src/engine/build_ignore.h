/*
 * build_ignore: the files source-watcher leaves out of every archive it
 * writes. Its builder archives the staging tree through the Flux SDK's
 * SourceIgnoreFilter(nil, nil), i.e. fluxcd/pkg/sourceignore's default
 * matcher: VCS patterns (.git/, .gitignore, .gitmodules, .gitattributes) and
 * the default patterns (*.jpg, *.jpeg, *.gif, *.png, *.wmv, *.flv,
 * *.tar.gz, *.zip, .github/, .circleci/, .travis.yml, .gitlab-ci.yml,
 * appveyor.yml, .drone.yml, cloudbuild.yaml, codeship-services.yml,
 * codeship-steps.yml, .goreleaser.yml, .sops.yaml, .flux.yaml at any depth).
 * A path is ignored when any of its components matches (a pattern ending in
 * '/' only matches directories), so an ignored directory goes whole.
 *
 * The dirhash (the file name) is computed before this filter, over every
 * staged file, exactly as upstream. Called by build.c between the dirhash and
 * the archive; pure and reentrant.
 */
#ifndef AG_BUILD_IGNORE_H
#define AG_BUILD_IGNORE_H

#include <stdbool.h>

#include "base/err.h"

/* True when an entry of this name (a directory or not) is ignored. */
bool build_ignore_name(const char *name, bool is_dir);

/* Removes every ignored entry below tree_fd (not consumed). */
int build_ignore_apply(int tree_fd, struct err *e);

#endif
