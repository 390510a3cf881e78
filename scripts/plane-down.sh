#!/usr/bin/env bash
# Stops the integration control plane that scripts/plane-up.sh started in
# $PLANE_DIR (default build/plane): each process by its pid file (only if the
# pid still runs the same binary), then removes the temp dir, the credentials
# and the state files. Keeps $PLANE_DIR/logs for inspection. Safe to run
# when nothing is up.
set -euo pipefail
. "$(dirname "$0")/plane/lib.sh"

PLANE_DIR=${PLANE_DIR:-$PLANE_ROOT/build/plane}
[ -d "$PLANE_DIR" ] || exit 0
# The API server first, so that it does not log etcd errors while stopping.
plane_stop_pidfile "$PLANE_DIR/pids/kube-apiserver"
plane_stop_pidfile "$PLANE_DIR/pids/etcd"
if [ -f "$PLANE_DIR/tmpdir" ]; then
	tmp=$(cat "$PLANE_DIR/tmpdir")
	case "$tmp" in
	*/ag-plane.*) rm -rf -- "$tmp" ;;
	*) echo "plane-down: not removing unexpected temp dir '$tmp'" >&2 ;;
	esac
fi
rm -rf -- "$PLANE_DIR/pki" "$PLANE_DIR/pids"
rm -f -- "$PLANE_DIR"/{plane.env,plane.env.tmp,tmpdir,ca.crt,client.crt,client.key} "$PLANE_DIR"/*.kubeconfig
echo "plane-down: stopped ($PLANE_DIR)"
