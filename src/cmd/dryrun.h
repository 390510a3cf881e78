/*
 * dryrun: the `--dry-run` front end. Reads ArtifactGenerator documents from
 * files (or stdin), maps their source aliases to local directories or
 * .tar.gz/.tgz files, validates each generator, expands its pathPattern,
 * builds every artifact with the same engine the controller uses
 * (build_artifact) into a storage directory, and prints the ExternalArtifact
 * objects and the generators with their status, as YAML or JSON.
 *
 *   artifact-generator --dry-run -f FILE [-f FILE ...] --source ALIAS=PATH ...
 *       [--source-revision ALIAS=REV] [--source-origin-revision ALIAS=REV]
 *       [--storage-path DIR] [--storage-adv-addr ADDR]
 *       [--artifact-digest-algo ALGO] [--no-cross-namespace-refs]
 *       [-o yaml|json] [--verbose]
 *
 * A source revision not given is `latest@<digest>`: for a tarball, the
 * digest of its bytes; for a directory, the digest of a deterministic stream
 * over its regular files in the order of a walk of bytewise-sorted directory
 * listings (for each file: its relative path, NUL, its size in decimal, NUL,
 * its bytes); symlinks and VCS directories are not part of it. The digest
 * algorithm is --artifact-digest-algo (sha256 by default).
 *
 * The ExternalArtifact objects come from external_artifact_json, as the
 * controller publishes them; the generator label is metadata.uid, or, when
 * the input has none, the version 5 UUID of "<namespace>/<name>" in the
 * RFC 4122 URL namespace.
 *
 * Exit status: 0 on success, 1 on any error (message on stderr naming the
 * file, generator, artifact, copy operation or field), 2 on a usage error.
 * Called by main() with stdout and stderr, and in-process by the tests with
 * files of their own; it owns everything it allocates and closes neither
 * stream. No global state: calls may follow one another in one process.
 * Stdin ("-f -") is file descriptor 0.
 */
#ifndef AG_DRYRUN_H
#define AG_DRYRUN_H

#include <stdio.h>

/* Runs the dry-run with argv as given to main (the "--dry-run" flag among
 * them); objects go to out, messages to err. Returns the exit status. */
int dryrun_main(int argc, char **argv, FILE *out, FILE *err);

#endif
