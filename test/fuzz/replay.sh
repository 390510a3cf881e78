#!/usr/bin/env bash
# Replays the committed fuzz corpora: runs each replay binary (built by
# test/fuzz/replay.mk from test/fuzz/fuzz_NAME.c and replay_main.c, ASan+UBSan)
# once per file of test/fuzz/corpus/fuzz_NAME/, so one crashing input fails
# alone and is named. A target without a corpus directory is listed and
# skipped. Ends with "fuzz-replay: N passed, N failed" (scripts/test.sh sums
# it) and exits 1 on any failure.
#
# usage: test/fuzz/replay.sh [BIN...]   (default: build/asan/replay/fuzz_*)
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
bins=("$@")
if [ ${#bins[@]} -eq 0 ]; then
	for src in "$root"/test/fuzz/fuzz_*.c; do
		bins+=("$root/build/asan/replay/$(basename "$src" .c)")
	done
fi

passed=0
failed=0
for bin in "${bins[@]}"; do
	name=$(basename "$bin")
	corpus=$root/test/fuzz/corpus/$name
	if [ ! -x "$bin" ]; then
		echo "$name: replay binary missing ($bin)"
		failed=$((failed + 1))
		continue
	fi
	if [ ! -d "$corpus" ]; then
		echo "$name: no corpus (test/fuzz/corpus/$name), skipped"
		continue
	fi
	n=0
	bad=0
	for input in "$corpus"/*; do
		[ -f "$input" ] || continue
		n=$((n + 1))
		if out=$("$bin" "$input" 2>&1); then
			passed=$((passed + 1))
		else
			bad=$((bad + 1))
			failed=$((failed + 1))
			echo "$name: FAILED on $input"
			printf '%s\n' "$out" | tail -40
		fi
	done
	echo "$name: $n inputs, $bad failed"
done
echo "fuzz-replay: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
