# Helpers shared by the plane suites that drive bin/artifact-generator with
# kubectl (controller_smoke.sh, leader.sh): pass/fail counting, kubectl as
# the plane's admin, bounded waits. Sourced after plane.env, with ROOT set;
# not a suite.

# shellcheck source=../../scripts/plane/lib.sh
. "$ROOT/scripts/plane/lib.sh"

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
# source_repo NS: namespace NS with GitRepository "repo", Ready, whose
# artifact (deploy/cm.yaml in a tarball) is served on loopback by a python
# http.server from $work/www on a port no socket uses (plane_free_ports),
# answering before the status names it. Sets digest, port and srv_pid (the
# caller's cleanup kills it); returns the status patch's exit status.
source_repo() {
	local ns=$1 now
	k create namespace "$ns" >/dev/null
	mkdir -p "$work/src/deploy" "$work/www"
	printf 'kind: ConfigMap\n' >"$work/src/deploy/cm.yaml"
	tar -C "$work/src" -czf "$work/www/repo.tar.gz" .
	digest="sha256:$(sha256sum "$work/www/repo.tar.gz" | cut -d' ' -f1)"
	port=$(plane_free_ports 1) || return 1
	(cd "$work/www" && exec python3 -m http.server "$port" --bind 127.0.0.1) >/dev/null 2>&1 &
	srv_pid=$!
	wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$port/repo.tar.gz" || return 1
	k apply -f - >/dev/null <<YAML
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: repo, namespace: $ns}
spec: {url: https://example.invalid/repo, interval: 1h}
YAML
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	k patch gitrepository repo -n "$ns" --subresource=status --type=merge -p "{\"status\":{\"artifact\":{\"path\":\"x\",\"url\":\"http://127.0.0.1:$port/repo.tar.gz\",\"revision\":\"main@sha1:abc\",\"digest\":\"$digest\",\"lastUpdateTime\":\"$now\"},\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"reason\":\"Succeeded\",\"message\":\"ok\",\"lastTransitionTime\":\"$now\"}]}}" >/dev/null
}
