#!/usr/bin/env bash
# The fresh-machine check: proves that the README's two commands work on
# their first run on a machine without the project's Debian packages.
#
# 1. Removes (apt-get remove) every package scripts/bootstrap.sh installs for
#    the test profile, except those the check itself runs on (make, git,
#    coreutils, tar, gzip, python3) and those whose removal would take other
#    packages with it (it says which, and why).
# 2. Clones the committed HEAD of this repository into a new directory.
# 3. Runs `make demo`, then `make test`, once each, in the clone: the
#    bootstrap has to install everything again, on the first run.
#
# The control plane's Go-built binaries stay in their cache
# (${XDG_CACHE_HOME:-~/.cache}/artifact-generator/plane): they are not
# Debian packages, and `make test` builds them (about 15 min) when missing.
# Needs root (it removes packages). CI (.ci/run) runs it before `make test`.
#
# usage: scripts/fresh-machine-check.sh
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
say() { echo "fresh-machine-check: $*"; }
die() { say "FAILED: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (it removes Debian packages)"
command -v apt-get >/dev/null || die "apt-get not found: this check is for Debian machines"

keep_tools=" make git coreutils tar gzip python3 "
mapfile -t profile < <("$root/scripts/bootstrap.sh" --list test)
in_profile() { printf '%s\n' "${profile[@]}" | grep -qx "$1"; }

installed() {
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

# removable PKG: true when apt-get would remove PKG and nothing outside the
# profile with it; prints what else it would take otherwise.
removable() {
	local sim other
	if ! sim=$(apt-get -s remove "$1" 2>&1); then
		say "keeping $1: apt-get cannot remove it without breaking other packages"
		return 1
	fi
	other=$(awk '/^Remv /{print $2}' <<<"$sim" |
		while read -r p; do in_profile "$p" || echo "$p"; done | head -5 | tr '\n' ' ')
	[ -z "$other" ] && return 0
	say "keeping $1: removing it would also remove ${other% }"
	return 1
}

remove=()
for p in "${profile[@]}"; do
	case "$keep_tools" in *" $p "*) continue ;; esac
	installed "$p" || continue
	removable "$p" && remove+=("$p")
done
if [ ${#remove[@]} -gt 0 ]; then
	say "removing ${remove[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq "${remove[@]}" >/dev/null ||
		die "apt-get remove ${remove[*]}"
fi
for p in "${remove[@]}"; do
	installed "$p" && die "$p is still installed after apt-get remove"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/artifact-generator-fresh-XXXXXX")
trap 'rm -rf "$work"' EXIT
git clone -q "$root" "$work/clone" || die "git clone $root"
say "clone of $(git -C "$work/clone" rev-parse --short HEAD) in $work/clone"

# run NAME CMD...: runs CMD once in the clone, its output in a log; prints
# the last lines and the time it took.
run() {
	local name=$1 t0 rc
	shift
	t0=$(date +%s)
	set +e
	(cd "$work/clone" && "$@") >"$work/$name.log" 2>&1
	rc=$?
	set -e
	tail -n 3 "$work/$name.log" | sed "s/^/fresh-machine-check: $name| /"
	say "$name: exit $rc after $(($(date +%s) - t0)) s"
	if [ "$rc" -ne 0 ]; then
		tail -n 40 "$work/$name.log" >&2
		die "'$*' failed on its first run"
	fi
}
run make-demo make demo
for p in "${remove[@]}"; do
	installed "$p" || die "make demo did not install $p"
done
run make-test make test
say "OK: make demo and make test passed on their first run (packages removed and reinstalled: ${#remove[@]})"
