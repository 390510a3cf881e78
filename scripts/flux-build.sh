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
	local dir=$FLUX_MODS/$1 mod=$2 name=${2##*/} v out t0 t1 tmp
	v=$(plane_gomod_version "$dir" "$mod") || exit 1
	if [ -x "$FLUX_BIN/$name" ]; then
		say "$name: cached ($FLUX_BIN/$name)"
		return 0
	fi
	if ! out=$(cd "$dir" && GOFLAGS=-mod=readonly go mod download 2>&1); then
		printf '%s\n' "$out" | tail -5 >&2
		die "cannot fetch $mod@$v or its dependencies (test/tools/flux/$1/go.mod, see above): does the Go module proxy serve them?"
	fi
	echo "flux-build: building $name ($mod@$v) ..."
	tmp=$FLUX_BIN/.$name.tmp.$$
	t0=$(date +%s.%N)
	if ! (cd "$dir" && GOFLAGS="${GOFLAGS:-} -mod=readonly" \
		go build -trimpath -ldflags='-s -w' -o "$tmp" "$mod"); then
		rm -f "$tmp"
		die "building $mod@$v from test/tools/flux/$1 failed"
	fi
	mv -f "$tmp" "$FLUX_BIN/$name"
	t1=$(date +%s.%N)
	awk -v n="$name" -v a="$t0" -v b="$t1" -v s="$(stat -c %s "$FLUX_BIN/$name")" \
		'BEGIN { printf "flux-build: built %s in %.1f s (%.0f MiB)\n", n, b - a, s / 1048576 }'
}

say "source-controller $FLUX_SC_VERSION, kustomize-controller $FLUX_KC_VERSION"
say "cache: $FLUX_CACHE"
for c in "${FLUX_CONTROLLERS[@]}"; do
	# shellcheck disable=SC2086
	build $c
done
crd=$(flux_kc_crds) || die "the kustomize-controller CRD is required by the e2e suites"
say "kustomize-controller CRD: $crd"
