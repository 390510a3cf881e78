#!/usr/bin/env bash
# Informer integration suite: starts a private control plane
# (scripts/plane-up.sh; plane-down.sh on exit, whatever happens), runs
# build/release/integration/informer (built by test/integration/informer.mk)
# against it with a time bound, and ends with
# "informer: N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PROG=${INFORMER_IT:-$ROOT/build/release/integration/informer}
export PLANE_DIR
PLANE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ag-plane-informer.XXXXXX")
out=$(mktemp "${TMPDIR:-/tmp}/ag-informer-out.XXXXXX")
passed=0
failed=0

finish() {
	"$ROOT/scripts/plane-down.sh" >/dev/null 2>&1 || true
	rm -rf "$PLANE_DIR" "$out"
	echo "informer: $passed passed, $failed failed"
	# (a bare exit in an EXIT trap keeps the status from before the trap)
	[ "$failed" -eq 0 ] && exit 0
	exit 1
}
trap finish EXIT
trap 'exit 130' INT TERM

if [ ! -x "$PROG" ]; then
	echo "FAIL informer program $PROG is not built (make $PROG)"
	failed=1
	exit 1
fi
if ! "$ROOT/scripts/plane-up.sh"; then
	echo "FAIL plane-up"
	failed=1
	exit 1
fi
set -a
# shellcheck disable=SC1091
. "$PLANE_DIR/plane.env"
set +a
export AG_ROOT=$ROOT
timeout 300 "$PROG" 2>&1 | tee "$out"
rc=${PIPESTATUS[0]}
passed=$(grep -c '^ok ' "$out")
failed=$(grep -c '^FAIL ' "$out")
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	echo "FAIL informer program exited with status $rc"
	failed=1
fi
