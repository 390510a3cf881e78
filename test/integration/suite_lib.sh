# Helpers shared by the plane suites that drive bin/artifact-generator with
# kubectl (controller_smoke.sh, leader.sh): pass/fail counting, kubectl as
# the plane's admin, bounded waits. Sourced after plane.env; not a suite.

passed=${passed:-0}
failed=${failed:-0}
ok() { echo "ok $*"; passed=$((passed + 1)); }
bad() { echo "FAIL $*"; failed=$((failed + 1)); }
# kubectl comes with this kind of machine's image, not from Debian.
command -v kubectl >/dev/null ||
	{ bad "kubectl not found on PATH (the suite reads the plane's objects with it)"; exit 1; }
k() { timeout 20 kubectl --kubeconfig "$PLANE_DIR/admin.kubeconfig" "$@"; }
# wait_for SECONDS CMD...: until CMD succeeds, polling every 0.1 s.
wait_for() {
	local n=$(($1 * 10)); shift
	while [ "$n" -gt 0 ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; n=$((n - 1)); done
	return 1
}
