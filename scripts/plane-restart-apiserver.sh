#!/usr/bin/env bash
# Stops and starts only the kube-apiserver of the plane that
# scripts/plane-up.sh started in $PLANE_DIR (default build/plane), for tests
# of clients that must survive an API server outage. etcd keeps running.
#
#   plane-restart-apiserver.sh stop [--kill]   TERM (or KILL: connections
#                                              drop without a goodbye)
#   plane-restart-apiserver.sh start           same command line, waits for
#                                              /readyz (60 s at most)
#   plane-restart-apiserver.sh restart [--kill]
#
# The command line is taken from the running process at stop time and kept
# in $PLANE_DIR/apiserver.cmdline; start rewrites the pid file plane-down.sh
# uses, so plane-down.sh still stops whatever runs. Logs are appended to
# $PLANE_DIR/logs/kube-apiserver.log.
set -euo pipefail
. "$(dirname "$0")/plane/lib.sh"

PLANE_DIR=${PLANE_DIR:-$PLANE_ROOT/build/plane}
[ -f "$PLANE_DIR/plane.env" ] || plane_die "no plane is up in $PLANE_DIR"
# shellcheck disable=SC1091
. "$PLANE_DIR/plane.env"
pidfile=$PLANE_DIR/pids/kube-apiserver
saved=$PLANE_DIR/apiserver.cmdline

apiserver_stop() {
	local sig=TERM pid exe i
	[ "${1:-}" = "--kill" ] && sig=KILL
	[ -f "$pidfile" ] || plane_die "kube-apiserver is not running (no $pidfile)"
	read -r pid exe <"$pidfile"
	[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$exe" ] ||
		plane_die "pid $pid is not $exe any more"
	tr '\0' '\n' <"/proc/$pid/cmdline" >"$saved.tmp"
	mv "$saved.tmp" "$saved"
	kill -"$sig" "$pid"
	for i in $(seq 1 200); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	rm -f "$pidfile"
}

apiserver_start() {
	local pid i
	[ -f "$saved" ] || plane_die "no saved command line ($saved): stop first"
	[ -f "$pidfile" ] && plane_die "kube-apiserver already running ($pidfile)"
	mapfile -t argv <"$saved"
	"${argv[@]}" >>"$PLANE_DIR/logs/kube-apiserver.log" 2>&1 </dev/null &
	pid=$!
	echo "$pid ${argv[0]}" >"$pidfile"
	for i in $(seq 1 600); do
		if curl -sf --cacert "$PLANE_CA" -H "Authorization: Bearer $PLANE_ADMIN_TOKEN" \
			"$PLANE_SERVER/readyz" >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || plane_die "kube-apiserver exited on restart (see $PLANE_DIR/logs/kube-apiserver.log)"
		sleep 0.1
	done
	plane_die "kube-apiserver not ready 60 s after restart"
}

case "${1:-}" in
stop) apiserver_stop "${2:-}" ;;
start) apiserver_start ;;
restart) apiserver_stop "${2:-}"; apiserver_start ;;
*) echo "usage: $0 stop [--kill] | start | restart [--kill]" >&2; exit 2 ;;
esac
