#!/usr/bin/env bash
# bench-serve: the artifact server against nginx on the same files, both on
# loopback, with wrk: 256 connections for $DURATION (20 s) on a 1 MiB and a
# 50 MiB artifact. Prints requests/s, MiB/s, p99 latency and errors for each,
# the artifact server's RSS growth over the runs, and the ratio to nginx
# (goal: >= 0.8x, 0 errors, RSS growth < 4 MiB). nginx runs as a plain
# process with a generated config in a temp dir (one worker: our server is
# one loop plus the libuv pool). Meanwhile the server's loop rebuilds an
# artifact over and over on the thread pool, as reconciles would (the count
# is printed). usage: scripts/bench-serve.sh BENCH_SERVE_BIN
set -euo pipefail
bin=$1
DURATION=${DURATION:-20s} CONNS=${CONNS:-256} THREADS=${THREADS:-2}
for t in wrk nginx; do command -v $t >/dev/null || [ -x /usr/sbin/$t ] ||
	{ echo "bench-serve: $t is not installed (scripts/bootstrap.sh bench)" >&2; exit 1; }; done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
store=$work/store d=$store/externalartifact/bench/app
mkdir -p "$d"
head -c $((1 << 20)) /dev/urandom >"$d/1m.tar.gz"
head -c $((50 << 20)) /dev/urandom >"$d/50m.tar.gz"
# nginx's workers run as nobody: the tree must be readable to them.
chmod 0755 "$work" "$store" "$store/externalartifact" "$store/externalartifact/bench" "$d"
chmod 0644 "$d"/*.tar.gz
# A reconcile's work on the same loop: the server rebuilds an artifact from
# this tree (200 files, 3.2 MiB) over and over while it serves.
src=$work/src
for i in $(seq 200); do mkdir -p "$src/d$((i % 10))"; head -c 16384 /dev/urandom >"$src/d$((i % 10))/f$i"; done
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ap=$(port) np=$(port)
"$bin" "$store" "127.0.0.1:$ap" "$src" 2>"$work/serve.log" & pids+=($!)
spid=$!
mkdir -p "$work/nginx/logs"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$np; root $store; }
}
CONF
"$NGINX" -p "$work/nginx" -c "$work/nginx/nginx.conf" & pids+=($!)
for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$ap/" &&
	curl -sf -o /dev/null "http://127.0.0.1:$np/externalartifact/bench/app/1m.tar.gz" && break; sleep 0.1; done
rss() { awk '/VmRSS/ {print $2}' /proc/$spid/status; }
# A Lua-free wrk run; the summary is parsed from its --latency output.
run() { # NAME URL -> "req/s MiB/s p99 errors"
	# a 50 MiB body shared by 256 connections takes seconds: wrk's
	# default 2 s timeout would count slow answers as errors
	wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --timeout 60s --latency "$2" \
		>"$work/$1.wrk" 2>&1
	awk '
	/Requests\/sec:/ {rps=$2}
	/Transfer\/sec:/ {v=$2; u=v; sub(/[0-9.]+/,"",u); sub(/[A-Za-z]+$/,"",v)
		m = (u=="GB") ? v*1024 : (u=="MB") ? v : (u=="KB") ? v/1024 : v/1048576}
	/^ +99%/ {p99=$2}
	/Socket errors:/ {gsub(/,/,""); err += $4 + $6 + $8 + $10}
	/Non-2xx/ {err += $NF}
	END {printf "%s %.1f %s %d\n", rps, m, p99, err+0}' "$work/$1.wrk"
}
rss0=$(rss)
fail=0
printf '%-6s %-8s %12s %10s %10s %7s\n' file server 'requests/s' 'MiB/s' p99 errors
for f in 1m 50m; do
	read -r ar am alat aerr < <(run "ag-$f" "http://127.0.0.1:$ap/externalartifact/bench/app/$f.tar.gz")
	read -r nr nm nlat nerr < <(run "ng-$f" "http://127.0.0.1:$np/externalartifact/bench/app/$f.tar.gz")
	printf '%-6s %-8s %12s %10s %10s %7s\n' "$f" ours "$ar" "$am" "$alat" "$aerr" "$f" nginx "$nr" "$nm" "$nlat" "$nerr"
	ratio=$(awk -v a="$am" -v n="$nm" 'BEGIN {printf "%.2f", (n > 0 ? a / n : 0)}')
	echo "$f: throughput ${ratio}x nginx (goal >= 0.8x)"
	awk -v r="$ratio" 'BEGIN {exit !(r >= 0.8)}' || fail=1
	[ "$aerr" = 0 ] || fail=1
	[ "$nerr" = 0 ] || { echo "bench-serve: nginx answered $nerr errors: the reference run is invalid" >&2; fail=1; }
done
growth=$(( ($(rss) - rss0) / 1024 ))
kill -TERM "$spid" 2>/dev/null; wait "$spid" 2>/dev/null || true
builds=$(sed -n 's/.* \([0-9]*\) builds on the same loop.*/\1/p' "$work/serve.log")
echo "builds done on the server's loop meanwhile: ${builds:-?}"
[ -n "$builds" ] && [ "$builds" -gt 0 ] || { echo "bench-serve: no build ran beside the server" >&2; fail=1; }
echo "artifact server RSS growth: ${growth} MiB (goal < 4 MiB)"
[ "$growth" -lt 4 ] || fail=1
[ $fail = 0 ] && echo "bench-serve: goals met" || echo "bench-serve: goals NOT met"
exit $fail
