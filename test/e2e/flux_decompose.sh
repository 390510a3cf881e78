#!/usr/bin/env bash
# End-to-end chain 2 (issue 10, "Real Flux, end to end"): decomposition.
# One monorepo, served over smart HTTP on loopback and reconciled by a real
# source-controller as one GitRepository; bin/artifact-generator splits it by
# pathPattern into one ExternalArtifact per app; the real kustomize-controller
# applies each through its own Kustomization (sourceRef.kind
# ExternalArtifact). A commit that changes one app's directory changes only
# that app's artifact, Kustomization revision and objects: the other apps'
# ExternalArtifacts, applied revisions and ConfigMap resourceVersions stay.
# Ends with "flux-decompose: N passed, N failed". Harness: e2e_lib.sh.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export PLANE_DIR
PLANE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ag-plane-e2e-decompose.XXXXXX")
work=$(mktemp -d "${TMPDIR:-/tmp}/ag-e2e-decompose.XXXXXX")
# shellcheck source=e2e_lib.sh
. "$ROOT/test/e2e/e2e_lib.sh"
SUITE=flux-decompose
trap e2e_finish EXIT
trap 'exit 130' INT TERM

W=60	# seconds any one hop of the chain may take
NS=e2e APPS=apps
APP_NAMES=(alpha beta gamma)

e2e_up "$NS" "$APPS" || exit 1

repo_create mono || bad "git repository mono"
for a in "${APP_NAMES[@]}"; do
	repo_write mono "apps/$a/cm.yaml" "$(cm "app-$a" app="$a" version=1)"
done
repo_write mono README.md "not an app"
repo_push mono "three apps at version 1" && mono1=$e2e_sha || bad "push mono"

gitrepo_create "$NS" mono mono || bad "GitRepository mono"
flux_start || exit 1
wait_check "source-controller reconciles GitRepository mono at the pushed commit" "$W" \
	eq_cmd "main@sha1:$mono1" gitrepo_rev "$NS" mono

ag_apply - <<YAML || bad "ArtifactGenerator mono"
apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata:
  name: mono
  namespace: $NS
spec:
  sources:
    - alias: mono
      kind: GitRepository
      name: mono
  pathPattern: "@mono/apps/{app}"
  artifacts:
    - name: "app-{app}"
      copy:
        - from: "@mono/apps/{app}/**"
          to: "@artifact/"
YAML
wait_check "generator mono is Ready" "$W" ag_ready_is "$NS" mono "True Succeeded"
check "one ExternalArtifact per app directory" "app-alpha app-beta app-gamma" \
	"$(ea_names "$NS" "$(ag_field "$NS" mono .metadata.uid)")"

declare -A rev rv
for a in "${APP_NAMES[@]}"; do
	rev[$a]=$(ea_rev "$NS" "app-$a")
	ks_create "$NS" "app-$a" "app-$a" "$APPS" || bad "Kustomization app-$a"
done
for a in "${APP_NAMES[@]}"; do
	wait_check "kustomize-controller applies ExternalArtifact app-$a" "$W" \
		ks_applied "$NS" "app-$a" "${rev[$a]}" || ks_status "$NS" "app-$a"
	check "ConfigMap app-$a is applied from its own artifact" "{\"app\":\"$a\",\"version\":\"1\"}" \
		"$(cm_data "$APPS" "app-$a")"
	rv[$a]=$(cm_rv "$APPS" "app-$a")
done

# A commit that touches only beta's directory (and a file outside every app).
repo_write mono apps/beta/cm.yaml "$(cm app-beta app=beta version=2)"
repo_write mono README.md "still not an app"
repo_push mono "beta: version 2" && mono2=$e2e_sha || bad "push mono 2"
reconcile_now "$(src_path GitRepository "$NS" mono)" || bad "requestedAt on GitRepository mono"
wait_check "source-controller reconciles the new commit" "$W" \
	eq_cmd "main@sha1:$mono2" gitrepo_rev "$NS" mono
wait_check "ExternalArtifact app-beta gets a new revision" "$W" ne_cmd "${rev[beta]}" ea_rev "$NS" app-beta
wait_check "kustomize-controller applies app-beta's new revision" "$W" \
	ks_applied "$NS" app-beta "$(ea_rev "$NS" app-beta)" || ks_status "$NS" app-beta
check "ConfigMap app-beta follows the commit" '{"app":"beta","version":"2"}' "$(cm_data "$APPS" app-beta)"
for a in alpha gamma; do
	check "ExternalArtifact app-$a keeps its revision" "${rev[$a]}" "$(ea_rev "$NS" "app-$a")"
	check "Kustomization app-$a keeps its applied revision" "${rev[$a]}" \
		"$(obj_field "$(ks_path "$NS" "app-$a")" .status.lastAppliedRevision)"
	check "ConfigMap app-$a is untouched (same resourceVersion)" "${rv[$a]}" "$(cm_rv "$APPS" "app-$a")"
done
check "our controller logged no error" 0 "$(grep -c '"level":"error"' "$ct_log")"
# Nobody but us writes the ExternalArtifacts here: every event of them during
# a reconcile is the echo of its own writes, and none runs the generator again.
check "our own ExternalArtifact writes never made a generator run again" 0 \
	"$(grep -c 'changed by someone else during the reconciliation' "$ct_log")"
