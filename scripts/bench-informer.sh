#!/usr/bin/env bash
# `make bench-informer`: memory and time of a fresh informer over 10,000
# GitRepositories. Starts a private control plane (scripts/plane-up.sh;
# plane-down.sh on exit, whatever happens), creates the objects with a
# realistic status through curl (HTTP/2, 64 in parallel; requests generated
# by scripts/bench/gitrepositories.awk), then runs the measuring program in
# a separate process: initial LIST + sync time, RSS growth, bytes per
# object, projected string bytes, process peak RSS.
#
# usage: scripts/bench-informer.sh [BENCH_PROGRAM]
# (environment: N=10000 objects, NS=10 namespaces, PAGE=500 LIST page size)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PROG=${1:-$ROOT/build/release/bench/bench_informer}
N=${N:-10000}
NS=${NS:-10}
[ -x "$PROG" ] || { echo "bench-informer: $PROG is not built" >&2; exit 1; }
export PLANE_DIR
PLANE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ag-plane-bench.XXXXXX")
work=$(mktemp -d "${TMPDIR:-/tmp}/ag-bench-informer.XXXXXX")	# holds the token
finish() {
	"$ROOT/scripts/plane-down.sh" >/dev/null 2>&1 || true
	rm -rf "$PLANE_DIR" "$work"
}
trap finish EXIT
trap 'exit 130' INT TERM

"$ROOT/scripts/plane-up.sh"
# shellcheck disable=SC1091
. "$PLANE_DIR/plane.env"

# run_phase PHASE: generates and runs one curl batch; fails unless every
# request answered 2xx.
run_phase() {
	local t0 t1 bad
	awk -v phase="$1" -v n="$N" -v nns="$NS" -v server="$PLANE_SERVER" \
		-v ca="$PLANE_CA" -v token="$PLANE_ADMIN_TOKEN" \
		-f "$ROOT/scripts/bench/gitrepositories.awk" >"$work/$1.cfg"
	t0=$(date +%s.%N)
	curl -s --no-progress-meter --parallel --parallel-max 64 -K "$work/$1.cfg" \
		>"$work/$1.codes" 2>"$work/$1.err" || true
	t1=$(date +%s.%N)
	bad=$(grep -vc '^2' "$work/$1.codes" || true)
	if [ "$(wc -l <"$work/$1.codes")" -ne "$N" ] || [ "$bad" -ne 0 ]; then
		echo "bench-informer: $1 phase: $bad of $N requests failed:" >&2
		sort "$work/$1.codes" | uniq -c >&2
		head -n 5 "$work/$1.err" >&2
		exit 1
	fi
	awk -v a="$t0" -v b="$t1" -v n="$N" -v p="$1" \
		'BEGIN { printf "populate: %s %d GitRepositories in %.1f s (%.0f/s)\n", p, n, b - a, n / (b - a) }'
}

for i in $(seq 0 $((NS - 1))); do
	curl -sf -o /dev/null --cacert "$PLANE_CA" -H "Authorization: Bearer $PLANE_ADMIN_TOKEN" \
		-H 'Content-Type: application/json' -X POST "$PLANE_SERVER/api/v1/namespaces" \
		-d "{\"metadata\":{\"name\":\"$(printf 'bench-%02d' "$i")\"}}"
done
run_phase create
run_phase status
"$PROG" measure "$PLANE_ADMIN_KUBECONFIG" "$N" ${PAGE:+"$PAGE"}
