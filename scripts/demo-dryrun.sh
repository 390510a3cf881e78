#!/usr/bin/env bash
# demo-dryrun: runs the bundled examples through `artifact-generator --dry-run`:
# composition (a chart packaged as a .tgz plus a values overlay merged into
# it) and decomposition (a monorepo split into one artifact per app and
# environment by a pathPattern). Prints the ExternalArtifacts and generators
# on stdout, the per-file copy report (--verbose) on stderr, then the
# storage layout. Offline: no cluster, no control plane. Called by
# `make demo-dryrun` after the binary is built (`make demo` is the
# controller on a local plane: scripts/demo.sh).
set -euo pipefail

cd "$(dirname "$0")/.."
bin=bin/artifact-generator
[ -x "$bin" ] || make "$bin"

work=$(mktemp -d "${TMPDIR:-/tmp}/artifact-generator-demo-XXXXXX")
trap 'rm -rf "$work"' EXIT

# The chart source arrives as a tarball, like a source-controller artifact.
tar -C examples/sources/chart -czf "$work/chart.tgz" .

set -x
"$bin" --dry-run \
	-f examples/generators/composition.yaml \
	-f examples/generators/decomposition.yaml \
	--source chart="$work/chart.tgz" \
	--source overlay=examples/sources/overlay \
	--source platform=examples/sources/platform \
	--source-revision platform=main@sha1:4f1c0f7d2a55c3e7d6b1c9a8e5f4d3c2b1a09876 \
	--source-revision overlay=main@sha1:0123456789abcdef0123456789abcdef01234567 \
	--source-origin-revision overlay=0123456789abcdef0123456789abcdef01234567 \
	--storage-path "$work/storage" \
	--verbose
set +x
echo "--- storage layout"
(cd "$work/storage" && find . -type f | sort)
