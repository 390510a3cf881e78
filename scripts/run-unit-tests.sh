#!/usr/bin/env bash
# Runs cmocka suite binaries, shows their output, and ends with one summary
# line "N passed, N failed" summed over every suite. A suite that crashes or
# exits without cmocka's summary counts as one failure. Exit 1 on any failure.
set -uo pipefail

passed=0
failed=0
broken=()
for bin in "$@"; do
	echo "=== $bin"
	out=$("$bin" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	if [ -z "$p" ] && [ -z "$f" ]; then
		broken+=("$bin (exit $rc, no cmocka summary)")
		failed=$((failed + 1))
		continue
	fi
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	if [ $rc -ne 0 ] && [ -z "$f" ]; then
		broken+=("$bin (exit $rc)")
		failed=$((failed + 1))
	fi
done
for b in "${broken[@]}"; do echo "broken suite: $b"; done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
