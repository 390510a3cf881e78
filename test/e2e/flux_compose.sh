#!/usr/bin/env bash
# End-to-end chain 1 (issue 10, "Real Flux, end to end"): composition.
# A real source-controller reconciles two GitRepositories from git
# repositories this test creates and serves over smart HTTP on loopback;
# bin/artifact-generator (the service account of manifests/rbac) composes
# them into one ExternalArtifact (a copy of each and a Merge of a ConfigMap
# overlay); a Kustomization with sourceRef.kind ExternalArtifact is reconciled
# by the real kustomize-controller (feature gate ExternalArtifact), which
# downloads the artifact from our server, verifies its digest, unpacks it
# with Flux's tar reader and applies it. Checks the ConfigMaps exist with the
# composed data, then that a commit (one changed, one deleted file) flows
# through to a changed and a pruned ConfigMap; and that kustomize-controller
# refuses bytes that do not match the artifact's digest. Ends with
# "flux-compose: N passed, N failed". Harness: e2e_lib.sh.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export PLANE_DIR
PLANE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ag-plane-e2e-compose.XXXXXX")
work=$(mktemp -d "${TMPDIR:-/tmp}/ag-e2e-compose.XXXXXX")
# shellcheck source=e2e_lib.sh
. "$ROOT/test/e2e/e2e_lib.sh"
SUITE=flux-compose

trap e2e_finish EXIT
trap 'exit 130' INT TERM

W=60	# seconds any one hop of the chain may take
NS=e2e APPS=apps

e2e_up "$NS" "$APPS" || exit 1

# fleet: the team's repository (an app and a settings overlay); base: the
# platform's (shared ConfigMaps and the settings the overlay refines).
repo_create fleet && repo_create base || bad "git repositories"
repo_write fleet apps/web.yaml "$(cm web color=blue)"
repo_write fleet apps/old.yaml "$(cm old keep=no)"
repo_write fleet overlay/settings.yaml "$(cm settings replicas=3)"
repo_push fleet "fleet: web and old, replicas 3" && fleet1=$e2e_sha || bad "push fleet"
repo_write base settings.yaml "$(cm settings replicas=1 region=eu)"
repo_write base common.yaml "$(cm common owner=platform)"
repo_push base "base: settings and common" && base1=$e2e_sha || bad "push base"
check "git http-backend serves the fleet repository" "$fleet1" \
	"$(git ls-remote "$(git_url fleet)" refs/heads/main 2>&1 | cut -f1)"

gitrepo_create "$NS" fleet fleet && gitrepo_create "$NS" base base || bad "GitRepositories"
flux_start || exit 1

wait_check "source-controller reconciles GitRepository fleet at the pushed commit" "$W" \
	eq_cmd "main@sha1:$fleet1" gitrepo_rev "$NS" fleet
wait_check "source-controller reconciles GitRepository base at the pushed commit" "$W" \
	eq_cmd "main@sha1:$base1" gitrepo_rev "$NS" base

ag_apply - <<YAML || bad "ArtifactGenerator bundle"
apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata:
  name: bundle
  namespace: $NS
spec:
  sources:
    - alias: fleet
      kind: GitRepository
      name: fleet
    - alias: base
      kind: GitRepository
      name: base
  artifacts:
    - name: bundle
      originRevision: "@fleet"
      copy:
        - from: "@base/"
          to: "@artifact/"
        - from: "@fleet/apps/**"
          to: "@artifact/apps/"
        - from: "@fleet/overlay/settings.yaml"
          to: "@artifact/settings.yaml"
          strategy: Merge
YAML
wait_check "generator bundle is Ready" "$W" ag_ready_is "$NS" bundle "True Succeeded"
wait_check "ExternalArtifact bundle has an artifact" "$W" ne_cmd "" ea_rev "$NS" bundle
rev1=$(ea_rev "$NS" bundle)
url=$(ea_field "$NS" bundle .status.artifact.url)
check "ExternalArtifact bundle's origin revision is fleet's commit" "main@sha1:$fleet1" \
	"$(ea_field "$NS" bundle "$ORIG_REV")"
wait_check "our artifact server serves bundle with the digest it claims" 10 \
	served_matches "$url" "$(ea_digest "$NS" bundle)"

ks_create "$NS" bundle bundle "$APPS" || bad "Kustomization bundle"
wait_check "kustomize-controller applies ExternalArtifact bundle's revision" "$W" \
	ks_applied "$NS" bundle "$rev1" || ks_status "$NS" bundle
check "ConfigMap web (from fleet) is applied" '{"color":"blue"}' "$(cm_data "$APPS" web)"
check "ConfigMap old (from fleet) is applied" '{"keep":"no"}' "$(cm_data "$APPS" old)"
check "ConfigMap common (from base) is applied" '{"owner":"platform"}' "$(cm_data "$APPS" common)"
check "ConfigMap settings is base's merged with fleet's overlay" '{"region":"eu","replicas":"3"}' \
	"$(cm_data "$APPS" settings)"
check "the Kustomization's objects carry its labels" "bundle" \
	"$(obj_field "/api/v1/namespaces/$APPS/configmaps/web" '.metadata.labels["kustomize.toolkit.fluxcd.io/name"]')"

# kustomize-controller verifies the digest of what it downloads from our
# server: other bytes under the artifact's path fail the Kustomization
# (nothing applied), the right bytes make it Ready again.
art=$ct_store/$(ea_field "$NS" bundle .status.artifact.path)
cp "$art" "$work/bundle.good"
echo "not the artifact" | gzip -n >"$art"
reconcile_now "$(ks_path "$NS" bundle)" || bad "requestedAt on Kustomization bundle"
wait_check "kustomize-controller rejects bytes that do not match the digest" "$W" \
	ks_ready_says "$NS" bundle False "computed digest doesn't match" || ks_status "$NS" bundle
cat "$work/bundle.good" >"$art"
reconcile_now "$(ks_path "$NS" bundle)" || bad "requestedAt on Kustomization bundle"
wait_check "kustomize-controller is Ready again with the artifact's own bytes" "$W" \
	ks_ready_says "$NS" bundle True "Applied revision: $rev1" || ks_status "$NS" bundle

# A commit: web changes, old is deleted. It flows git -> source-controller ->
# artifact-generator -> kustomize-controller -> the ConfigMaps.
settings_rv=$(cm_rv "$APPS" settings)
repo_write fleet apps/web.yaml "$(cm web color=green)"
rm -f "$work/wt/fleet/apps/old.yaml"
repo_push fleet "fleet: web green, old removed" && fleet2=$e2e_sha || bad "push fleet 2"
reconcile_now "$(src_path GitRepository "$NS" fleet)" || bad "requestedAt on GitRepository fleet"
wait_check "source-controller reconciles the new fleet commit" "$W" \
	eq_cmd "main@sha1:$fleet2" gitrepo_rev "$NS" fleet
wait_check "ExternalArtifact bundle gets a new revision" "$W" ne_cmd "$rev1" ea_rev "$NS" bundle
rev2=$(ea_rev "$NS" bundle)
check "ExternalArtifact bundle's origin revision follows the commit" "main@sha1:$fleet2" \
	"$(ea_field "$NS" bundle "$ORIG_REV")"
wait_check "kustomize-controller applies the new revision" "$W" ks_applied "$NS" bundle "$rev2" ||
	ks_status "$NS" bundle
check "ConfigMap web follows the commit" '{"color":"green"}' "$(cm_data "$APPS" web)"
wait_check "ConfigMap old, deleted in git, is pruned" 20 gone "/api/v1/namespaces/$APPS/configmaps/old"
check "ConfigMap settings is untouched by a commit that does not change it" "$settings_rv" \
	"$(cm_rv "$APPS" settings)"
check "our controller logged no error" 0 "$(grep -c '"level":"error"' "$ct_log")"
# Nobody but us writes the ExternalArtifacts here: every event of them during
# a reconcile is the echo of its own writes, and none runs the generator again.
check "our own ExternalArtifact writes never made a generator run again" 0 \
	"$(grep -c 'changed by someone else during the reconciliation' "$ct_log")"
