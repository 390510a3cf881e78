#!/usr/bin/env bash
# `make bench-apiserver`: what each write the controller makes per generator
# costs the API server and etcd (CPU ms per request), on a private plane with
# API Priority and Fairness on, as bench-controller's (scripts/plane-up.sh;
# plane-down.sh on exit, whatever happens). test/bench/bench_apiserver.py does
# the work and prints the table, then the API server CPU one generator costs
# at least: the floor under bench-controller's time to Ready.
#
# usage: scripts/bench-apiserver.sh   (N=500 requests of each kind)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export PLANE_DIR
PLANE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ag-plane-bench.XXXXXX")
finish() {
	"$ROOT/scripts/plane-down.sh" >/dev/null 2>&1 || true
	rm -rf "$PLANE_DIR"
}
trap finish EXIT
trap 'exit 130' INT TERM

PLANE_APF=true PLANE_QUIET=1 "$ROOT/scripts/plane-up.sh" >/dev/null
sleep 3	# the API server's own start-up work settles
(set -a; . "$PLANE_DIR/plane.env"; set +a
	python3 "$ROOT/test/bench/bench_apiserver.py" "${N:-500}")
