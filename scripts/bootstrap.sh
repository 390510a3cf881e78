#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and the benchmarks need.
# Called by every make target that needs them (through a stamp file), so a
# fresh machine needs nothing but the README's commands. As root it runs
# apt-get (after one `apt-get update`); otherwise it prints the exact command.
#
# usage: scripts/bootstrap.sh [--list] [build|test|fuzz|bench|all]
#   --list prints the profile's packages, one a line, and installs nothing
#   (scripts/fresh-machine-check.sh removes exactly these).
set -euo pipefail

list=0
if [ "${1:-}" = "--list" ]; then list=1; shift; fi
profile=${1:-test}

build_pkgs=(gcc make pkg-config libuv1-dev libyaml-dev zlib1g-dev libtar-dev
	libmbedtls-dev libjansson-dev node-llhttp)
# git: the e2e suites serve repositories with git http-backend; jq and
# python3-yaml: the integration and e2e harnesses read JSON and YAML.
test_pkgs=(libcmocka-dev coreutils b3sum tar gzip python3 openssl curl git jq python3-yaml)
fuzz_pkgs=(clang libclang-rt-14-dev)
bench_pkgs=(time wrk nginx)

case "$profile" in
build) want=("${build_pkgs[@]}") ;;
test) want=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
fuzz) want=("${build_pkgs[@]}" "${test_pkgs[@]}" "${fuzz_pkgs[@]}") ;;
bench) want=("${build_pkgs[@]}" "${test_pkgs[@]}" "${bench_pkgs[@]}") ;;
all) want=("${build_pkgs[@]}" "${test_pkgs[@]}" "${fuzz_pkgs[@]}" "${bench_pkgs[@]}") ;;
*) echo "bootstrap: unknown profile '$profile' (build|test|fuzz|bench|all)" >&2; exit 2 ;;
esac

if [ "$list" = 1 ]; then printf '%s\n' "${want[@]}"; exit 0; fi

missing=()
for p in "${want[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "bootstrap: missing Debian packages: ${missing[*]}" >&2
	echo "bootstrap: run: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi

echo "bootstrap: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
stamp=/var/lib/apt/periodic/artifact-generator-update-stamp
if [ ! -e "$stamp" ]; then
	apt-get update -qq
	mkdir -p "$(dirname "$stamp")" && touch "$stamp"
fi
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
	# The package lists may be stale on a reused machine: refresh once, retry.
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
