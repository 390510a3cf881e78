#!/usr/bin/env bash
# Runs each libFuzzer binary for a bounded time and summarizes. Called by
# `make fuzz` with the binaries built from test/fuzz/fuzz_*.c.
#
# usage: scripts/run-fuzz.sh SECONDS BIN...
#
# For a binary named NAME: the working corpus is build/fuzz/corpus/NAME
# (created, and seeded from test/fuzz/corpus/NAME/ when that exists), crash
# reproducers go to build/fuzz/crashes/NAME-*, the full log to
# build/fuzz/logs/NAME.log. Prints one line per target; exits 1 if any target
# crashed (or failed to run), 2 on bad usage.
set -uo pipefail

if [ $# -lt 2 ] || ! [[ "$1" =~ ^[0-9]+$ ]] || [ "$1" -eq 0 ]; then
	echo "usage: $0 SECONDS BIN..." >&2
	exit 2
fi
seconds=$1
shift

root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/build/fuzz
mkdir -p "$out/corpus" "$out/crashes" "$out/logs"

failed=0
for bin in "$@"; do
	name=$(basename "$bin")
	corpus=$out/corpus/$name
	log=$out/logs/$name.log
	seeds=$root/test/fuzz/corpus/$name
	mkdir -p "$corpus"
	if [ -d "$seeds" ]; then
		cp -n "$seeds"/* "$corpus"/ 2>/dev/null || true
	fi
	before=$(find "$out/crashes" -maxdepth 1 -name "$name-*" | wc -l)

	"$bin" -max_total_time="$seconds" -timeout=25 -print_final_stats=1 \
	    -artifact_prefix="$out/crashes/$name-" "$corpus" >"$log" 2>&1
	rc=$?

	after=$(find "$out/crashes" -maxdepth 1 -name "$name-*" | wc -l)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	files=$(find "$corpus" -type f | wc -l)
	if [ $rc -ne 0 ] || [ "$after" -gt "$before" ]; then
		failed=1
		crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
		echo "$name: FAILED (exit $rc) ${crash:+reproducer $crash, }log $log"
	else
		echo "$name: ok, ${runs:-?} runs in ${seconds}s, corpus $files inputs"
	fi
done
exit $failed
