#!/usr/bin/env bash
# `make test` driver: runs the unit suites (plain and sanitized), then every
# integration suite (test/integration/*.sh), and ends with one summary line
# "tests: N passed, N failed" over all of them (the layering check,
# scripts/check-layers.sh, and the image check, scripts/image-check.sh, count
# as runners too). Each runner prints its own
# "<name>: N passed, N failed" line, which is what is summed here. Exit 1 on
# any failure, including a runner that dies without its summary line.
# The failures are repeated just above the summary line, with the runner
# that printed them, so a log's tail (all CI shows) names what failed.
#
# usage: scripts/test.sh UNIT_BIN... [-- INTEGRATION_SCRIPT...]
set -uo pipefail

unit=()
integ=()
while [ $# -gt 0 ]; do
	if [ "$1" = "--" ]; then shift; integ=("$@"); break; fi
	unit+=("$1"); shift
done

passed=0
failed=0
status=0
failures=()
tally() {	# tally NAME CMD...: runs CMD, adds its summary line to the totals
	local name=$1 out line p f rc
	shift
	out=$(mktemp)
	"$@" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^[a-z0-9_-]+: [0-9]+ passed, [0-9]+ failed' "$out" | tail -1)
	mapfile -t -O ${#failures[@]} failures < <(grep -E '^(FAIL |\[  FAILED  \] [a-z])|: FAILED on ' "$out" | sed "s/^/$name: /")
	rm -f "$out"
	if [ -z "$line" ]; then
		echo "$name: runner exited $rc without a summary line"
		failures+=("$name: runner exited $rc without a summary line")
		failed=$((failed + 1)); status=1; return
	fi
	p=$(sed -E 's/^[a-z0-9_-]+: ([0-9]+) passed.*/\1/' <<<"$line")
	f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
	passed=$((passed + p)); failed=$((failed + f))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		failed=$((failed + 1))
		failures+=("$name: runner exited $rc")
	fi
	[ "$rc" -eq 0 ] || status=1
}

tally layers scripts/check-layers.sh
# the Containerfile against the binary `make` built (static: no library to
# copy; as root, it runs and resolves a name in the image's files alone)
tally image-check scripts/image-check.sh
tally unit scripts/run-unit-tests.sh "${unit[@]}"
for t in "${integ[@]}"; do
	tally "$(basename "$t" .sh)" bash "$t"
done
echo
for l in "${failures[@]}"; do echo "failed: $l"; done
echo "tests: $passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
