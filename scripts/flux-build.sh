#!/usr/bin/env bash
# Builds Flux's own controllers for the e2e suites (test/e2e) from the pinned
# Go modules in test/tools/flux/{source,kustomize}: source-controller and
# kustomize-controller, into
# ${XDG_CACHE_HOME:-$HOME/.cache}/artifact-generator/flux/<key>/bin, beside the
# plane's binaries; <key> names the pinned versions and hashes the
# go.mod/go.sum files and the Go version. Binaries already there are reused.
# Prints what it builds and how long each build took. Fails, naming the
# module, when the module proxy cannot serve one or a build fails.
#
# usage: scripts/flux-build.sh        (FLUX_QUIET=1: only print builds)
set -euo pipefail
. "$(dirname "$0")/flux/lib.sh"

die() { echo "flux-build: $*" >&2; exit 1; }
say() { [ "${FLUX_QUIET:-0}" = 1 ] || echo "flux-build: $*"; }
for t in go sha256sum awk; do
	command -v "$t" >/dev/null 2>&1 || die "required tool '$t' not found on PATH"
done
flux_versions || die "cannot read the pinned versions"
mkdir -p "$FLUX_BIN"

# build DIR MODULE: builds MODULE (pinned by test/tools/flux/DIR/go.mod) into
# $FLUX_BIN/<last element of MODULE>.
build() {
	local dir=$FLUX_MODS/$1 mod=$2 v
	v=$(plane_gomod_version "$dir" "$mod") || exit 1
	plane_go_build flux-build "$FLUX_BIN" "${mod##*/}" "$dir" "$mod" \
		"cannot fetch $mod@$v or its dependencies (test/tools/flux/$1/go.mod, see above): does the Go module proxy serve them?"
}

say "source-controller $FLUX_SC_VERSION, kustomize-controller $FLUX_KC_VERSION"
say "cache: $FLUX_CACHE"
for c in "${FLUX_CONTROLLERS[@]}"; do
	# shellcheck disable=SC2086
	build $c
done
crd=$(flux_kc_crds) || die "the kustomize-controller CRD is required by the e2e suites"
say "kustomize-controller CRD: $crd"
