#!/usr/bin/env bash
# Runs the kube client integration program (test/integration/kube_client.c,
# built by test/integration/integration.mk; its path is $1) against a fresh
# control plane: scripts/plane-up.sh in a private state dir, always torn down
# by scripts/plane-down.sh on exit. The program prints one line per case and
# "kube-client: N passed, N failed"; this script fails if the plane does not
# come up (saying why), the program fails, or the run exceeds 240 s.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${1:-$ROOT/build/release/integration/kube_client}
[ -x "$BIN" ] || { echo "kube-client: $BIN not built" >&2; exit 1; }

export PLANE_DIR
PLANE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ag-kube-client.XXXXXX")
work=$(mktemp -d "${TMPDIR:-/tmp}/ag-kube-client-work.XXXXXX")
finish() {
	local rc=$?
	"$ROOT/scripts/plane-down.sh" >/dev/null 2>&1 || true
	rm -rf "$work" "$PLANE_DIR"
	exit $rc
}
trap finish EXIT

if ! "$ROOT/scripts/plane-up.sh"; then
	echo "kube-client: the control plane did not come up (see above)"
	echo "kube-client: 0 passed, 1 failed"
	exit 1
fi
# shellcheck disable=SC1091
. "$PLANE_DIR/plane.env"

# A CA that did not sign the API server's certificate.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=wrong-ca" \
	-keyout "$work/wrong.key" -out "$work/wrong-ca.crt" 2>/dev/null ||
	{ echo "kube-client: openssl failed"; exit 1; }

PLANE_ADMIN_KUBECONFIG=$PLANE_ADMIN_KUBECONFIG \
PLANE_CLIENT_KUBECONFIG=$PLANE_CLIENT_KUBECONFIG \
PLANE_CONTROLLER_KUBECONFIG=$PLANE_CONTROLLER_KUBECONFIG \
WRONG_CA=$work/wrong-ca.crt \
	timeout 240 "$BIN"
