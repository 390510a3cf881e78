# Shared helpers of scripts/flux-build.sh and the e2e suites (test/e2e):
# which Flux controllers are pinned (test/tools/flux/<name>/go.mod), where
# their binaries are cached (beside the plane's, keyed by the pinned versions,
# the go.mod/go.sum files and the Go version), and where a pinned module's
# files (CRDs) are in the Go module cache. Sourced, never run.
# Every function that fails prints one line naming what failed and returns 1.

# shellcheck source=../plane/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../plane/lib.sh"
FLUX_ROOT=$PLANE_ROOT
FLUX_MODS=$FLUX_ROOT/test/tools/flux
# The controllers, as "<dir under test/tools/flux> <module>".
FLUX_CONTROLLERS=(
	"source github.com/fluxcd/source-controller"
	"kustomize github.com/fluxcd/kustomize-controller"
)

# flux_versions: sets FLUX_SC_VERSION, FLUX_KC_VERSION, FLUX_KEY, FLUX_CACHE
# and FLUX_BIN (where source-controller and kustomize-controller are built).
flux_versions() {
	FLUX_SC_VERSION=$(plane_gomod_version "$FLUX_MODS/source" github.com/fluxcd/source-controller) || return 1
	FLUX_KC_VERSION=$(plane_gomod_version "$FLUX_MODS/kustomize" github.com/fluxcd/kustomize-controller) || return 1
	local sum
	sum=$( { cat "$FLUX_MODS"/source/go.mod "$FLUX_MODS"/source/go.sum \
		"$FLUX_MODS"/kustomize/go.mod "$FLUX_MODS"/kustomize/go.sum; go env GOVERSION; } \
		| sha256sum | cut -c1-12)
	FLUX_KEY=sc-$FLUX_SC_VERSION-kc-$FLUX_KC_VERSION-$sum
	FLUX_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/artifact-generator/flux/$FLUX_KEY
	FLUX_BIN=$FLUX_CACHE/bin
}

# flux_module_dir DIR MODULE: the Go module cache directory of MODULE at the
# version DIR/go.mod pins, downloading it if needed.
flux_module_dir() {
	local v json err dir
	v=$(plane_gomod_version "$1" "$2") || return 1
	json=$(cd "$1" && GOFLAGS=-mod=readonly go mod download -json "$2@$v" 2>&1) || true
	err=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p')
	dir=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
	if [ -n "$err" ] || [ -z "$dir" ]; then
		echo "flux: cannot fetch $2@$v: ${err:-$json}" >&2
		return 1
	fi
	echo "$dir"
}

# flux_kc_crds: the kustomize-controller CRD files (config/crd/bases).
flux_kc_crds() {
	local d f
	d=$(flux_module_dir "$FLUX_MODS/kustomize" github.com/fluxcd/kustomize-controller) || return 1
	f=$d/config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml
	[ -f "$f" ] || { echo "flux: kustomize-controller module lacks $f" >&2; return 1; }
	echo "$f"
}
