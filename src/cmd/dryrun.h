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
 * Called by main() only; owns everything it allocates.
 */
#ifndef AG_DRYRUN_H
#define AG_DRYRUN_H

int dryrun_main(int argc, char **argv);

#endif
