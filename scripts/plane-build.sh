#!/usr/bin/env bash
# Builds the integration control plane's binaries from the pinned Go modules
# (test/tools/plane/{kube,etcd}/go.mod): kube-apiserver, etcd and planeapply-<digest>,
# into ${XDG_CACHE_HOME:-$HOME/.cache}/artifact-generator/plane/<key>/bin,
# where <key> names the pinned versions (and hashes the go.mod/go.sum files
# and the Go version). Binaries already there are reused. Also fetches the
# pinned source-controller module, whose CRDs plane-up applies from the Go
# module cache. Prints what it builds and how long each build took. Fails,
# naming the module, when something cannot be fetched or built.
#
# usage: scripts/plane-build.sh        (PLANE_QUIET=1: only print builds)
set -euo pipefail
. "$(dirname "$0")/plane/lib.sh"

plane_need go sha256sum awk
plane_versions
bin=$PLANE_CACHE/bin
mkdir -p "$bin"
say() { [ "${PLANE_QUIET:-0}" = 1 ] || echo "plane-build: $*"; }

# build NAME MODDIR PKG: builds PKG of module MODDIR into $bin/NAME.
build() {
	plane_go_build plane-build "$bin" "$1" "$2" "$3" \
		"cannot fetch the modules of ${2#"$PLANE_ROOT"/}/go.mod (see above): is the Go module proxy reachable?"
}

say "kube-apiserver $KUBE_VERSION, etcd $ETCD_VERSION, $SOURCE_CONTROLLER_MODULE $SOURCE_CONTROLLER_VERSION"
say "cache: $PLANE_CACHE"
build etcd "$PLANE_MODS/etcd" go.etcd.io/etcd/server/v3
build kube-apiserver "$PLANE_MODS/kube" k8s.io/kubernetes/cmd/kube-apiserver
# planeapply is named by its sources' digest: worktrees at other commits
# share the cache without rebuilding over each other.
build "planeapply-$(plane_apply_hash)" "$PLANE_MODS/kube" ./cmd/planeapply
crds=$(plane_sc_crd_dir) || plane_die "the source-controller CRDs are required by plane-up"
say "source-controller CRDs: $crds"
