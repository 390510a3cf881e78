# Shared helpers of scripts/plane-*.sh and test/integration/plane_smoke.sh:
# where the pinned versions are read from, where the built binaries are
# cached, how the source-controller CRDs are found in the Go module cache,
# free loopback ports, and stopping processes by pid file. Sourced, never run.
# Every function that fails prints one line naming what failed and returns 1.

PLANE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PLANE_MODS=$PLANE_ROOT/test/tools/plane
# shellcheck source=versions.env
. "$PLANE_ROOT/scripts/plane/versions.env"

plane_die() { echo "plane: $*" >&2; exit 1; }

plane_need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || plane_die "required tool '$t' not found on PATH"
	done
}

# plane_gomod_version DIR MODULE: the version DIR/go.mod requires of MODULE.
plane_gomod_version() {
	local v
	v=$(awk -v m="$2" '$1 == "require" { $1 = ""; $0 = $0 }
		$1 == m && $2 ~ /^v[0-9]/ { print $2; exit }' "$1/go.mod")
	[ -n "$v" ] || { echo "plane: $1/go.mod does not require $2" >&2; return 1; }
	echo "$v"
}

# plane_versions: sets KUBE_VERSION, ETCD_VERSION, PLANE_KEY, PLANE_CACHE.
# The key changes whenever a go.mod/go.sum or the Go toolchain changes.
plane_versions() {
	KUBE_VERSION=$(plane_gomod_version "$PLANE_MODS/kube" k8s.io/kubernetes) || return 1
	ETCD_VERSION=$(plane_gomod_version "$PLANE_MODS/etcd" go.etcd.io/etcd/server/v3) || return 1
	local sum
	sum=$( { cat "$PLANE_MODS"/kube/go.mod "$PLANE_MODS"/kube/go.sum \
		"$PLANE_MODS"/etcd/go.mod "$PLANE_MODS"/etcd/go.sum; go env GOVERSION; } \
		| sha256sum | cut -c1-12)
	PLANE_KEY=kube-$KUBE_VERSION-etcd-$ETCD_VERSION-$sum
	PLANE_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/artifact-generator/plane/$PLANE_KEY
}

# plane_apply_hash: digest of planeapply's sources, so it is rebuilt on change.
plane_apply_hash() {
	cat "$PLANE_MODS"/kube/cmd/planeapply/*.go | sha256sum | cut -c1-12
}

# plane_sc_crd_dir: prints the config/crd directory of the pinned
# source-controller module, downloading it into the Go module cache if needed.
plane_sc_crd_dir() {
	local mod=$SOURCE_CONTROLLER_MODULE@$SOURCE_CONTROLLER_VERSION json dir err f
	json=$(cd "$PLANE_MODS/kube" && GOFLAGS=-mod=mod go mod download -json "$mod" 2>&1) || true
	err=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p')
	dir=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
	if [ -n "$err" ] || [ -z "$dir" ]; then
		echo "plane: cannot fetch $mod: ${err:-$json}" >&2
		return 1
	fi
	for f in gitrepositories ocirepositories buckets helmcharts externalartifacts; do
		f=$dir/config/crd/bases/source.toolkit.fluxcd.io_$f.yaml
		[ -f "$f" ] || { echo "plane: $mod lacks $f" >&2; return 1; }
	done
	echo "$dir/config/crd"
}

# plane_free_ports N: N distinct TCP ports (one per line) that no socket on
# this machine uses in any state (from /proc/net), drawn below the kernel's
# ephemeral range so that outgoing connections cannot take them between this
# check and the bind. A bind can still race another program picking ports the
# same way: plane-up retries the whole start with new ports when it does.
plane_free_ports() {
	local n=$1 used p i lo hi span picked=()
	local hex
	read -r lo hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || lo=32768
	span=$((lo - 20000))
	[ "$span" -ge 1000 ] || { echo "plane: ephemeral range starts too low ($lo)" >&2; return 1; }
	used=$(awk 'FNR > 1 { n = split($2, a, ":"); print a[n] }' \
		/proc/net/tcp /proc/net/tcp6 2>/dev/null | sort -u | while read -r hex; do
		echo $((16#$hex))
	done)
	for i in $(seq 1 500); do
		[ ${#picked[@]} -ge "$n" ] && break
		p=$((20000 + (RANDOM * 32768 + RANDOM) % span))
		grep -qx "$p" <<<"$used" && continue
		[[ " ${picked[*]} " == *" $p "* ]] && continue
		picked+=("$p")
	done
	if [ ${#picked[@]} -lt "$n" ]; then
		echo "plane: no free loopback port found" >&2
		return 1
	fi
	printf '%s\n' "${picked[@]}"
}

# plane_stop_pidfile FILE: stops the process FILE names, if it still is the
# program FILE was written for (FILE holds "pid exe"), TERM then KILL.
plane_stop_pidfile() {
	local f=$1 pid exe i run
	[ -f "$f" ] || return 0
	read -r pid exe <"$f" || true
	rm -f "$f"
	[ -n "$pid" ] || return 0
	# /proc/PID/exe is the resolved path, " (deleted)" once the file is replaced.
	run=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 0
	[ "${run% (deleted)}" = "$(readlink -f "$exe")" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	echo "plane: pid $pid ($exe) ignored TERM for 10 s, killing" >&2
	kill -KILL "$pid" 2>/dev/null || true
}

# plane_go_build TAG BINDIR NAME MODDIR PKG FETCH_FAIL: builds PKG of the Go
# module in MODDIR into BINDIR/NAME (-trimpath, stripped, -mod=readonly; a
# temp name, then a rename) unless it is there; prints the time it took,
# prefixed "TAG: ". FETCH_FAIL is the message when the module's dependencies
# cannot be downloaded. Used by plane-build.sh and flux-build.sh.
plane_go_build() {
	local tag=$1 bin=$2 name=$3 dir=$4 pkg=$5 fetch_fail=$6 out t0 t1 tmp
	if [ -x "$bin/$name" ]; then
		[ "${PLANE_QUIET:-0}" = 1 ] || [ "${FLUX_QUIET:-0}" = 1 ] ||
			echo "$tag: $name: cached ($bin/$name)"
		return 0
	fi
	if ! out=$(cd "$dir" && GOFLAGS="${GOFLAGS:-} -mod=readonly" go mod download 2>&1); then
		printf '%s\n' "$out" | tail -5 >&2
		echo "$tag: $fetch_fail" >&2
		exit 1
	fi
	echo "$tag: building $name ($pkg) ..."
	tmp=$bin/.$name.tmp.$$
	t0=$(date +%s.%N)
	if ! (cd "$dir" && GOFLAGS="${GOFLAGS:-} -mod=readonly" \
		go build -trimpath -ldflags='-s -w' -o "$tmp" "$pkg"); then
		rm -f "$tmp"
		echo "$tag: building $name ($pkg) from ${dir#"$PLANE_ROOT"/} failed" >&2
		exit 1
	fi
	mv -f "$tmp" "$bin/$name"
	t1=$(date +%s.%N)
	awk -v g="$tag" -v n="$name" -v a="$t0" -v b="$t1" -v s="$(stat -c %s "$bin/$name")" \
		'BEGIN { printf "%s: built %s in %.1f s (%.0f MiB)\n", g, n, b - a, s / 1048576 }'
}
