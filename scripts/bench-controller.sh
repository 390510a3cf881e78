#!/usr/bin/env bash
# `make bench-controller`: the controller on the real plane with 100, 500 and
# 1000 ArtifactGenerators, each composing two of N/5 GitRepositories whose
# small tarballs are served on loopback (test/bench/bench_controller.py does
# the work: creates, waits, measures). A fresh control plane per size
# (scripts/plane-up.sh; plane-down.sh on exit, whatever happens). Prints a
# line per phase, then one table over the sizes next to the goals of issue 8
# and source-watcher v2.2.1's figures measured on this workload (1000
# generators, same plane and machine).
#
# usage: scripts/bench-controller.sh [BINARY]   (SIZES="100 500 1000",
#        IDLE_SECONDS=30; BENCH_DUMP=DIR keeps the controller's smaps
#        and log, and its SIGUSR1 heap lines, at start, peak and idle)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$ROOT/bin/artifact-generator}
SIZES=${SIZES:-100 500 1000}
[ -x "$BIN" ] || { echo "bench-controller: $BIN is not built" >&2; exit 1; }
export PLANE_DIR
results=$(mktemp "${TMPDIR:-/tmp}/ag-bench-controller.XXXXXX")
PLANE_DIR=
work=
# Every size's directories are removed at exit, not between sizes: freeing
# thousands of inodes just before a run makes that run's file creations
# dearer (ext4 without a journal skips inodes freed in the last minute when
# it allocates; docs/ARCHITECTURE.md), a cost of the bench's own cleanup, not
# of the controller.
used=()
finish() {
	if [ -n "$PLANE_DIR" ]; then
		"$ROOT/scripts/plane-down.sh" >/dev/null 2>&1 || true
	fi
}
trap 'finish; rm -rf "${used[@]}"; rm -f "$results"' EXIT
trap 'exit 130' INT TERM

status=0
for n in $SIZES; do
	PLANE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ag-plane-bench.XXXXXX")
	work=$(mktemp -d "${TMPDIR:-/tmp}/ag-bench-work.XXXXXX")
	used+=("$PLANE_DIR" "$work")
	# API Priority and Fairness on, as every cluster has it by default since
	# Kubernetes 1.20 (the test suites' planes turn it off): Flux's clients
	# then leave flow control to the server (no client-side QPS limit).
	PLANE_APF=true PLANE_QUIET=1 "$ROOT/scripts/plane-up.sh" >/dev/null
	echo "== $n generators"
	if ! (set -a; . "$PLANE_DIR/plane.env"; set +a;
		python3 "$ROOT/test/bench/bench_controller.py" "$n" "$BIN" "$work") |
		tee "$work/out"; then
		status=1
		echo "bench-controller: the run with $n generators failed; last controller log lines:" >&2
		tail -n 20 "$work/controller.log" >&2 || true
	fi
	tail -n 1 "$work/out" >>"$results"
	if [ -n "${BENCH_DUMP:-}" ]; then
		cp "$work/controller.log" "$BENCH_DUMP/controller.log"
	fi
	finish
	PLANE_DIR=
	work=
done

echo
python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
cols = [("generators", "generators"), ("all_ready", "all Ready"),
        ("first_create_to_ready_s", "first create->Ready s"),
        ("last_create_to_ready_s", "last create->Ready s"),
        ("last_create_floor_s", "its floor here s"),
        ("peak_rss_mib", "peak RSS MiB"), ("cpu_s", "CPU s"),
        ("writes_per_generator", "writes/generator"),
        ("source_downloads", "downloads"),
        ("change_to_ready_s", "source change->Ready s"),
        ("idle_rss_mib", "idle RSS MiB"), ("idle_writes", "idle writes")]
print(" | ".join(h for _, h in cols))
for r in rows:
    print(" | ".join(str(r.get(k, "-")) for k, _ in cols))
for r in rows:
    print("requests by verb at %d: %s" % (r["generators"],
          json.dumps(r.get("requests", {}), sort_keys=True)))
print("goals at 1000: peak RSS < 8 MiB, CPU < 5 s, <= 5 writes/generator, "
      "all Ready within 3 s of the last create, idle RSS < 6 MiB, 0 idle writes")
print("source-watcher v2.2.1 at 1000 (issue 8): peak RSS 88.7 MiB, 26.4 CPU s, "
      "11.2 s last create->Ready, 9.5 writes/generator, idle 80 MiB")
PY
exit $status
