#!/usr/bin/env bash
# Controller smoke test on a private control plane: one GitRepository whose
# status points at a tarball served on loopback, one ArtifactGenerator; the
# controller (bin/artifact-generator, as the service account of
# manifests/rbac) must publish the ExternalArtifact Ready with the tarball's
# content and the generator's status must say "reconciliation succeeded,
# generated 1 artifact(s)"; a second reconcile with nothing changed writes
# nothing; deleting the generator removes the ExternalArtifact and storage.
# AG_SMOKE_GATES (e.g. DirectSourceFetch=true, as controller_dsf.sh runs it)
# is passed as --feature-gates: with DirectSourceFetch each reconcile must GET
# the source from the API server, without it none may (the informer store).
# Ends with "controller-smoke: N passed, N failed".
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${AG_BIN:-$ROOT/bin/artifact-generator}
gates=${AG_SMOKE_GATES:-}
direct=false
case ",$gates," in *,DirectSourceFetch=true,*) direct=true ;; esac
export PLANE_DIR
PLANE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ag-plane-csmoke.XXXXXX")
work=$(mktemp -d "${TMPDIR:-/tmp}/ag-csmoke.XXXXXX")
passed=0
failed=0
ctl_pid=
srv_pid=
finish() {
	[ -n "$ctl_pid" ] && kill "$ctl_pid" 2>/dev/null
	[ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null
	"$ROOT/scripts/plane-down.sh" >/dev/null 2>&1 || true
	[ "$failed" -ne 0 ] && tail -n 30 "$work/ctl.log" 2>/dev/null
	rm -rf "$PLANE_DIR" "$work"
	echo "controller-smoke: $passed passed, $failed failed"
	# (a bare exit in an EXIT trap keeps the status from before the trap)
	[ "$failed" -eq 0 ] && exit 0
	exit 1
}
trap finish EXIT
trap 'exit 130' INT TERM
"$ROOT/scripts/plane-up.sh" >/dev/null || { echo "FAIL plane-up"; failed=$((failed + 1)); exit 1; }
# shellcheck disable=SC1091
. "$PLANE_DIR/plane.env"
# shellcheck source=suite_lib.sh
. "$ROOT/test/integration/suite_lib.sh"

ns=smoke
mkdir -p "$work/storage"
source_repo $ns && ok "GitRepository with an artifact on loopback" || bad "GitRepository status"
k apply -f - >/dev/null <<YAML
apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata: {name: gen, namespace: $ns}
spec:
  sources: [{alias: repo, kind: GitRepository, name: repo}]
  artifacts: [{name: app, copy: [{from: "@repo/deploy/**", to: "@artifact/"}]}]
YAML
mport=$((port + 1)); hport=$((port + 2))
"$BIN" --kubeconfig "$PLANE_DIR/controller.kubeconfig" --storage-path "$work/storage" \
	--storage-addr "127.0.0.1:0" --storage-adv-addr "127.0.0.1:9" --log-level debug \
	--metrics-addr "127.0.0.1:$mport" --health-addr "127.0.0.1:$hport" \
	${gates:+--feature-gates "$gates"} >"$work/ctl.log" 2>&1 &
ctl_pid=$!
ready() { [ "$(k get externalartifact app -n $ns -o jsonpath='{.status.conditions[0].status}')" = True ]; }
gen_ok() { k get artifactgenerator gen -n $ns -o jsonpath='{.status.conditions[?(@.type=="Ready")].message}' | grep -q "reconciliation succeeded, generated 1 artifact(s)"; }
wait_for 30 ready && ok "ExternalArtifact app Ready" || bad "ExternalArtifact app not Ready"
wait_for 10 gen_ok && ok "generator: reconciliation succeeded, generated 1 artifact(s)" || bad "generator status"
ea_digest=$(k get externalartifact app -n $ns -o jsonpath='{.status.artifact.digest}')
file=$(k get artifactgenerator gen -n $ns -o jsonpath='{.status.inventory[0].filename}')
inv_digest=$(k get artifactgenerator gen -n $ns -o jsonpath='{.status.inventory[0].digest}')
if [ -n "$ea_digest" ] && [ "$ea_digest" = "$inv_digest" ] && \
	[ "sha256:$(sha256sum "$work/storage/externalartifact/$ns/app/$file" | cut -d' ' -f1)" = "$ea_digest" ]; then
	ok "stored file matches the published digest $ea_digest"
else
	bad "digest: EA '$ea_digest' inventory '$inv_digest' file '$file'"
fi
if tar -tzf "$work/storage/externalartifact/$ns/app/$file" | grep -q 'cm.yaml'; then ok "artifact holds deploy/cm.yaml"; else bad "artifact content"; fi
rv1=$(k get artifactgenerator gen -n $ns -o jsonpath='{.metadata.resourceVersion}')
earv1=$(k get externalartifact app -n $ns -o jsonpath='{.metadata.resourceVersion}')
# source_gets: GETs of one GitRepository the API server has served (the
# test itself GETs none between two samples).
source_gets() {
	k get --raw /metrics | awk '/^apiserver_request_total\{/ && /verb="GET"/ &&
		/resource="gitrepositories"/ && /scope="resource"/ { n += $NF } END { printf "%d\n", n }'
}
gets1=$(source_gets)
k annotate artifactgenerator gen -n $ns reconcile.fluxcd.io/requestedAt=t1 >/dev/null
handled() { [ "$(k get artifactgenerator gen -n $ns -o jsonpath='{.status.lastHandledReconcileAt}')" = t1 ]; }
wait_for 10 handled && ok "requestedAt -> lastHandledReconcileAt" || bad "lastHandledReconcileAt"
gets2=$(source_gets)
if $direct; then
	[ $((gets2 - gets1)) -ge 1 ] && ok "DirectSourceFetch: the reconcile GET the source ($gets1 -> $gets2)" ||
		bad "DirectSourceFetch: no GET of the source ($gets1 -> $gets2)"
	grep -q "DirectSourceFetch feature gate is enabled" "$work/ctl.log" && ok "DirectSourceFetch log line" ||
		bad "no DirectSourceFetch log line"
else
	[ "$gets1" = "$gets2" ] && ok "informer store: the reconcile did not GET the source" ||
		bad "source GET without DirectSourceFetch ($gets1 -> $gets2)"
fi
# A generator whose source is missing: SourceFetchFailed naming it.
k apply -f - >/dev/null <<YAML
apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata: {name: gen-missing, namespace: $ns}
spec:
  sources: [{alias: repo, kind: GitRepository, name: nope}]
  artifacts: [{name: missing, copy: [{from: "@repo/**", to: "@artifact/"}]}]
YAML
missing() {
	k get artifactgenerator gen-missing -n $ns -o jsonpath='{.status.conditions[?(@.type=="Ready")].reason} {.status.conditions[?(@.type=="Ready")].message}' |
		grep -qF 'SourceFetchFailed get sources failed: gitrepositories.source.toolkit.fluxcd.io "nope" not found'
}
wait_for 15 missing && ok "missing source: Ready=False SourceFetchFailed naming it" ||
	bad "missing source: '$(k get artifactgenerator gen-missing -n $ns -o jsonpath='{.status.conditions}')'"
k delete artifactgenerator gen-missing -n $ns --wait=false >/dev/null
earv2=$(k get externalartifact app -n $ns -o jsonpath='{.metadata.resourceVersion}')
[ "$earv1" = "$earv2" ] && ok "no drift: ExternalArtifact not rewritten" || bad "ExternalArtifact rewritten ($earv1 -> $earv2)"
grep -q "No drift detected" "$work/ctl.log" && ok "no-drift log line" || bad "no no-drift log line"
: "$rv1"
# Probes and metrics of the running controller.
code() { curl -s -m 5 -o /dev/null -w '%{http_code}' "$1"; }
[ "$(code "http://127.0.0.1:$hport/healthz")" = 200 ] && ok "/healthz 200" || bad "/healthz"
[ "$(code "http://127.0.0.1:$hport/readyz")" = 200 ] && ok "/readyz 200 (informers synced)" || bad "/readyz"
if curl -s -m 5 "http://127.0.0.1:$mport/metrics" >"$work/metrics.txt" &&
	"$ROOT/build/tools/promcheck" "$work/metrics.txt" >"$work/metrics.lines" 2>&1; then
	ok "/metrics parses with expfmt ($(wc -l <"$work/metrics.lines") samples)"
else
	bad "/metrics: $(head -3 "$work/metrics.lines")"
fi
m() { awk -v k="$1" '$1 == k { print $2 }' "$work/metrics.lines"; }
ctl='{controller="artifactgenerator"'
[ "$(m "controller_runtime_max_concurrent_reconciles${ctl}}")" = 10 ] && ok "max_concurrent_reconciles 10" || bad "max_concurrent_reconciles"
[ "$(m "artifact_generator_artifacts_built_total")" -ge 1 ] 2>/dev/null && ok "artifacts_built_total >= 1" || bad "artifacts_built_total"
[ "$(m "artifact_generator_source_downloads_total")" -ge 1 ] 2>/dev/null && ok "source_downloads_total >= 1" || bad "source_downloads_total"
n=$(m "gotk_reconcile_duration_seconds_count{kind=\"ArtifactGenerator\",name=\"gen\",namespace=\"$ns\"}")
[ "${n:-0}" -ge 2 ] && ok "gotk_reconcile_duration_seconds_count $n for gen" || bad "gotk_reconcile_duration_seconds_count '$n'"
[ "$(m "controller_runtime_reconcile_total${ctl},result=\"error\"}")" = 0 ] && ok "no reconcile errors counted" || bad "reconcile errors counted"
k delete artifactgenerator gen -n $ns --wait=false >/dev/null
gone() { ! k get externalartifact app -n $ns >/dev/null 2>&1 && ! k get artifactgenerator gen -n $ns >/dev/null 2>&1; }
wait_for 20 gone && ok "deletion removed the ExternalArtifact and the finalizer" || bad "deletion"
[ ! -e "$work/storage/externalartifact/$ns/app" ] && ok "deletion removed the storage directory" || bad "storage directory left"
kill -TERM "$ctl_pid"
t0=$(date +%s)
wait "$ctl_pid"; rc=$?
ctl_pid=
[ "$rc" -eq 0 ] && [ $(($(date +%s) - t0)) -le 10 ] && ok "SIGTERM: exit 0 within 10 s" || bad "SIGTERM exit $rc"
