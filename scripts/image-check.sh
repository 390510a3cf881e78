#!/usr/bin/env bash
# Checks the Containerfile against what the binary and the bootstrap need,
# without a container engine (`make image-check`):
#   - the build stage is debian:bookworm and installs exactly the packages
#     of `scripts/bootstrap.sh --list build`;
#   - the final stage is FROM scratch (no shell, no package manager), runs
#     no command, runs as a numeric non-root UID, and copies the binary plus
#     exactly the shared libraries and loader `ldd BINARY` lists (none for
#     the static binary `make` builds);
#   - as root, those files alone run the binary (chroot, as that USER), and
#     it resolves a name from /etc/hosts there (as the kubelet mounts it);
# then prints the expected image size (stripped binary + libraries).
# Run on Debian 12 like the build stage (the sonames must be bookworm's).
# Ends with "image-check: N passed, N failed"; exits 1 on any failure.
#
# usage: scripts/image-check.sh [BINARY] [CONTAINERFILE]
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$ROOT/bin/artifact-generator}
CF=${2:-$ROOT/Containerfile}
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
finish() {
	echo "image-check: $passed passed, $failed failed"
	[ "$failed" -eq 0 ] && exit 0
	exit 1
}
trap finish EXIT
[ -x "$BIN" ] || { bad "binary $BIN not built (make)"; exit 1; }
[ -f "$CF" ] || { bad "no Containerfile at $CF"; exit 1; }

# instructions STAGE: the Containerfile's instructions, continuation lines
# joined and comments dropped; STAGE "build" is the first FROM's, "final"
# the last FROM's.
instructions() {
	awk '
	/^[[:space:]]*#/ { next }
	{ line = line $0 }
	/\\$/ { sub(/\\$/, " ", line); next }
	{ if (line ~ /[^[:space:]]/) print line; line = "" }' "$CF" |
		awk -v want="$1" '
	toupper($1) == "FROM" { n++ }
	{ lines[NR] = $0; stage[NR] = n; last = n }
	END { for (i = 1; i <= NR; i++)
		if ((want == "build" && stage[i] == 1) || (want == "final" && stage[i] == last)) print lines[i] }'
}
build=$(instructions build)
final=$(instructions final)
nstages=$(awk 'toupper($1) == "FROM"' "$CF" | wc -l)

# ---- the build stage ----------------------------------------------------------
[ "$nstages" -ge 2 ] && ok "multi-stage ($nstages stages)" || bad "Containerfile has $nstages stage(s), want a build and a run stage"
from=$(awk 'NR == 1 { print $2 }' <<<"$build")
[ "$from" = debian:bookworm ] && ok "build stage FROM debian:bookworm" || bad "build stage FROM '$from', want debian:bookworm"
# The packages: the words after `apt-get install` up to the next &&, less options.
cf_pkgs=$(grep -o 'apt-get install[^&]*' <<<"$build" | tr ' ' '\n' |
	grep -v -e '^-' -e '^$' -e '^apt-get$' -e '^install$' | sort -u)
boot_pkgs=$("$ROOT/scripts/bootstrap.sh" --list build | sort -u)
if [ -z "$cf_pkgs" ]; then
	bad "build stage installs no packages (no 'apt-get install' line)"
elif [ "$cf_pkgs" = "$boot_pkgs" ]; then
	ok "build stage installs exactly bootstrap.sh's build list ($(wc -l <<<"$cf_pkgs") packages)"
else
	bad "package lists differ (< Containerfile, > bootstrap.sh build):"
	diff <(echo "$cf_pkgs") <(echo "$boot_pkgs") | grep '^[<>]' | sed 's/^/     /'
fi

# ---- the final stage ------------------------------------------------------------
from=$(awk 'NR == 1 { print $2 }' <<<"$final")
[ "$from" = scratch ] && ok "final stage FROM scratch (no shell, no package manager)" ||
	bad "final stage FROM '$from', want scratch"
run=$(awk 'toupper($1) == "RUN"' <<<"$final")
[ -z "$run" ] && ok "final stage runs no command" || bad "final stage runs: $run"
user=$(awk 'toupper($1) == "USER" { u = $2 } END { print u }' <<<"$final")
if [[ $user =~ ^([0-9]+)(:[0-9]+)?$ ]] && [ "${BASH_REMATCH[1]}" -ne 0 ]; then
	ok "final stage runs as numeric non-root USER $user"
else
	bad "final stage USER '$user', want a numeric non-root UID[:GID]"
fi
# Sources of COPY --from=build: every word but the instruction, options and
# the destination.
copied=$(awk 'toupper($1) == "COPY" {
	n = 0
	for (i = 2; i <= NF; i++) if ($i !~ /^--/) w[++n] = $i
	for (i = 1; i < n; i++) print w[i] }' <<<"$final" | sort -u)
libs_copied=$(grep -v -x '/src/bin/artifact-generator' <<<"$copied")
grep -q -x '/src/bin/artifact-generator' <<<"$copied" && ok "final stage copies the binary" ||
	bad "final stage does not copy /src/bin/artifact-generator"

# ---- what ldd says the binary needs ----------------------------------------------
. /etc/os-release 2>/dev/null || true
if [ "${ID:-}" = debian ] && [ "${VERSION_ID:-}" = 12 ]; then
	ok "host is Debian 12, as the build stage"
else
	bad "host is ${PRETTY_NAME:-unknown}, not Debian 12: ldd here says nothing about bookworm's sonames"
fi
lddout=$(ldd "$BIN" 2>&1) || { bad "ldd $BIN: $lddout"; exit 1; }
if grep -q 'not found' <<<"$lddout"; then
	bad "ldd: unresolved libraries: $(grep 'not found' <<<"$lddout" | tr -s ' \t\n' ' ')"
fi
needed=$(awk '$2 == "=>" && $3 ~ /^\// { print $3; next }
	$1 ~ /^\// { print $1 }' <<<"$lddout" | sort -u)
if grep -q 'statically linked' <<<"$lddout"; then
	[ -z "$libs_copied" ] && ok "the binary is static: no library is copied" ||
		bad "the binary is static, but the final stage copies: $(tr '\n' ' ' <<<"$libs_copied")"
else
	missing=$(comm -23 <(echo "$needed") <(echo "$libs_copied"))
	extra=$(comm -13 <(echo "$needed") <(echo "$libs_copied"))
	[ -z "$missing" ] && ok "every library ldd lists is copied ($(wc -l <<<"$needed"): $(xargs -n1 basename <<<"$needed" | tr '\n' ' '))" ||
		bad "libraries ldd lists but the final stage lacks: $(tr '\n' ' ' <<<"$missing")"
	[ -z "$extra" ] && ok "nothing else is copied" ||
		bad "copied but not listed by ldd: $(tr '\n' ' ' <<<"$extra")"
fi

# ---- the final stage's files suffice to run ----------------------------------------
# As root: a root directory holding only what the final stage copies (the
# binary from BINARY, the rest from this host, which is bookworm), and the
# binary run in it by chroot as the stage's USER. Others: skipped, said so.
if [ "$(id -u)" -eq 0 ] && command -v chroot >/dev/null; then
	root=$(mktemp -d "${TMPDIR:-/tmp}/ag-image-root.XXXXXX") && chmod 755 "$root"
	awk 'toupper($1) == "COPY" {
		n = 0
		for (i = 2; i <= NF; i++) if ($i !~ /^--/) w[++n] = $i
		for (i = 1; i < n; i++) print w[i], w[n] }' <<<"$final" |
		while read -r src dst; do
			from=$src
			[ "$src" = /src/bin/artifact-generator ] && from=$BIN
			case $dst in */) mkdir -p "$root$dst" && cp -L "$from" "$root$dst" ;;
			*) mkdir -p "$root$(dirname "$dst")" && cp -L "$from" "$root$dst" ;;
			esac
		done
	out=$(chroot --userspec="$user" "$root" /usr/local/bin/artifact-generator --help 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ] && grep -q '^Usage' <<<"$out"; then
		ok "the binary runs as $user in a root holding only the final stage's $(find "$root" -type f | wc -l) files"
	else
		bad "the binary in the final stage's files alone: exit $rc: $(head -c 300 <<<"$out")"
	fi
	# Names: the kubelet mounts /etc/hosts and /etc/resolv.conf, and the
	# binary must resolve from them with nothing else in the root (no
	# libnss_*.so): the API server's name from a kubeconfig, given by
	# /etc/hosts, must reach the connect step (port 1: refused, not
	# "cannot resolve host").
	mkdir -p "$root/etc" "$root/tmp" && chmod 1777 "$root/tmp"
	echo "127.0.0.1 ag-image-check.test" >"$root/etc/hosts"
	printf '%s\n' 'apiVersion: v1' 'kind: Config' 'current-context: c' \
		'clusters: [{name: c, cluster: {server: "https://ag-image-check.test:1", insecure-skip-tls-verify: true}}]' \
		'contexts: [{name: c, context: {cluster: c, user: u}}]' \
		'users: [{name: u, user: {token: image-check}}]' >"$root/tmp/kubeconfig"
	chmod 644 "$root/tmp/kubeconfig"
	out=$(timeout 3 chroot --userspec="$user" "$root" /usr/local/bin/artifact-generator \
		--kubeconfig /tmp/kubeconfig --storage-path /tmp/data --storage-addr 127.0.0.1:0 \
		--metrics-addr 0 --health-addr 0 2>&1)
	if grep -q 'cannot connect to ag-image-check.test:1: connection refused' <<<"$out"; then
		ok "the binary resolves a name from /etc/hosts alone (ag-image-check.test -> 127.0.0.1)"
	else
		bad "the binary did not resolve ag-image-check.test from /etc/hosts: $(grep -m2 -i 'resolv\|error' <<<"$out" | head -c 400)"
	fi
	rm -rf "$root"
else
	echo "skip the final stage's files run the binary (needs root for chroot)"
fi

# ---- expected size -------------------------------------------------------------------
tmp=$(mktemp "${TMPDIR:-/tmp}/ag-image-check.XXXXXX")
if strip -o "$tmp" "$BIN" 2>/dev/null; then
	bin_size=$(stat -c %s "$tmp")
	lib_size=0
	[ -n "$needed" ] && lib_size=$(xargs stat -L -c %s <<<"$needed" | awk '{ s += $1 } END { print s + 0 }')
	awk -v b="$bin_size" -v l="$lib_size" 'BEGIN {
		printf "image-check: expected image size %.1f MiB (stripped binary %.1f MiB + libraries %.1f MiB), uncompressed\n",
			(b + l) / 1048576, b / 1048576, l / 1048576 }'
fi
rm -f "$tmp"
