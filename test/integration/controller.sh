#!/usr/bin/env bash
# Controller integration suite (issue 8, "Tests on the real control plane"):
# a private plane (scripts/plane-up.sh), Flux source objects whose status
# the test sets, pointing at a loopback tarball server the test controls,
# and bin/artifact-generator running as its own process under the service
# account of manifests/rbac. Each scenario is a group of named checks;
# expected artifacts come from the dry-run front end (the oracle) on the same
# tarballs. Ends with "controller: N passed, N failed"; exits non-zero on any
# failure, showing the controller's log. Harness: controller_lib.sh.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export PLANE_DIR
PLANE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ag-plane-controller.XXXXXX")
work=$(mktemp -d "${TMPDIR:-/tmp}/ag-controller-work.XXXXXX")
# shellcheck source=controller_lib.sh
. "$ROOT/test/integration/controller_lib.sh"

finish() {
	[ "$BASHPID" = "$$" ] || exit 1	# never in a subshell of ours
	ctl_running && ctl_stop
	srv_stop
	[ "$failed" -eq 0 ] || ctl_log_tail 60
	"$ROOT/scripts/plane-down.sh" >/dev/null 2>&1 || true
	[ -n "${KEEP_WORK:-}" ] && echo "work dir kept: $work" || rm -rf "$work"
	rm -rf "$PLANE_DIR"
	echo "controller: $passed passed, $failed failed"
	# (a bare exit in an EXIT trap keeps the status from before the trap)
	[ "$failed" -eq 0 ] && exit 0
	exit 1
}
trap finish EXIT
trap 'exit 130' INT TERM

[ -x "$ROOT/bin/artifact-generator" ] || { bad "bin/artifact-generator is not built (make)"; exit 1; }
ct_plane_up || { bad "plane-up"; exit 1; }
srv_init && srv_start || { bad "tarball server"; exit 1; }
ctl_init || { bad "controller ports"; exit 1; }
ok "harness up (plane $PLANE_SERVER, tarballs on 127.0.0.1:$ct_srv_port)"

T=$work/trees
mkdir -p "$T"
# tree DIR FILE=CONTENT...: a fresh tree holding those files.
tree() {
	local d=$T/$1 kv
	shift
	rm -rf "$d"
	mkdir -p "$d"
	for kv in "$@"; do
		mkdir -p "$d/$(dirname "${kv%%=*}")"
		printf '%s\n' "${kv#*=}" >"$d/${kv%%=*}"
	done
}
# sources_digest ALIAS=DIGEST,REVISION,URL...: observedSourcesDigest as
# source-watcher computes it.
sources_digest() {
	local a
	for a in "$@"; do
		IFS=, read -r d r u <<<"${a#*=}"
		printf '%s=[digest=%s,revision=%s,url=%s]\n' "${a%%=*}" "$d" "$r" "$u"
	done | LC_ALL=C sort | paste -sd'|' | tr -d '\n' | sha256sum | sed 's/^/sha256:/; s/ .*//'
}
url_of() { echo "http://127.0.0.1:$ct_srv_port/${1#"$ct_srv_root"/}"; }
uid_of() { ag_field "$1" "$2" .metadata.uid; }
ORIG='.status.artifact.metadata["org.opencontainers.image.revision"]'

W=45	# seconds any one convergence may take

for ns in t-compose t-split t-helm t-extract t-pattern t-suspend t-delete t-xns t-xsrc \
	t-deps t-fetch t-restore t-fan; do
	ns_create "$ns" || bad "namespace $ns"
done

# ---- the harness alone (before the controller runs) ----------------------------------
# Sources with status, the tarball server (GET log, down and back on the same
# port), the oracle, and that the service account may do all the controller
# does: watch every kind, apply ExternalArtifacts and their status, patch
# generators and their status, record events.
scenario_harness() {
	local ns=t-xsrc rel y ea st
	tree h-src f.yaml="harness"
	src_create GitRepository $ns harness && src_publish GitRepository $ns harness "$T/h-src" ||
		{ bad "harness: source with status"; return; }
	rel=${ct_tgz#"$ct_srv_root"/}
	check "harness: source status.artifact set through the status subresource" "$ct_digest True" \
		"$(api GET "$(src_path GitRepository $ns harness)" | jq -r '"\(.status.artifact.digest) \(.status.conditions[0].status)"')"
	check "harness: tarball server serves the source's bytes" yes \
		"$(served_matches "$(url_of "$ct_tgz")" "$ct_digest" && echo yes)"
	check "harness: tarball server logs the GET" 1 "$(srv_gets "$rel")"
	srv_stop
	check "harness: tarball server down refuses (curl exit 7)" 7 \
		"$(curl -s -o /dev/null --max-time 3 "$(url_of "$ct_tgz")"; echo $?)"
	srv_start && check "harness: tarball server back on port $ct_srv_port" yes \
		"$(served_matches "$(url_of "$ct_tgz")" "$ct_digest" && echo yes)"
	y=$work/harness.yaml
	cat >"$y" <<EOF
apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata: {name: harness, namespace: $ns}
spec:
  sources: [{alias: s, kind: GitRepository, name: harness}]
  artifacts: [{name: harness-out, copy: [{from: "@s/**", to: "@artifact/"}]}]
EOF
	oracle "$y" "$work/harness.oracle" s="$ct_tgz" &&
		check "harness: oracle gives latest@<digest> and the storage layout" true \
		"$(jq '."harness-out" | (.revision == "latest@" + .digest) and
			(.path | test("^externalartifact/t-xsrc/harness-out/[0-9]+[.]tar[.]gz$"))' \
			"$work/harness.oracle")"
	ag_apply "$y" || bad "harness: generator created as admin"
	for k in GitRepository OCIRepository Bucket HelmChart ExternalArtifact; do
		capi GET "/apis/source.toolkit.fluxcd.io/v1/$(src_plural $k)?limit=1" >/dev/null
		check "rbac: controller lists $k in every namespace" 200 "$(code)"
		capi GET "/apis/source.toolkit.fluxcd.io/v1/$(src_plural $k)?watch=1&timeoutSeconds=1" >/dev/null
		check "rbac: controller watches $k" 200 "$(code)"
	done
	capi GET "/apis/source.extensions.fluxcd.io/v1beta1/artifactgenerators?watch=1&timeoutSeconds=1" >/dev/null
	check "rbac: controller watches ArtifactGenerators in every namespace" 200 "$(code)"
	capi PATCH "$(ag_path $ns harness)" '{"metadata":{"finalizers":["source.extensions.fluxcd.io/finalizer"]}}' \
		application/merge-patch+json >/dev/null
	check "rbac: controller adds the finalizer" 200 "$(code)"
	capi PATCH "$(ag_path $ns harness)/status" '{"status":{"observedSourcesDigest":"sha256:1"}}' \
		application/merge-patch+json >/dev/null
	check "rbac: controller patches generator status" 200 "$(code)"
	ea='{"apiVersion":"source.toolkit.fluxcd.io/v1","kind":"ExternalArtifact","metadata":{"name":"harness-out","namespace":"t-xsrc","labels":{"source.extensions.fluxcd.io/generator":"x"}},"spec":{"sourceRef":{"apiVersion":"source.extensions.fluxcd.io/v1beta1","kind":"ArtifactGenerator","name":"harness","namespace":"t-xsrc"}}}'
	capi PATCH "$(ea_path $ns harness-out)?fieldManager=source-watcher&force=true" "$ea" \
		application/apply-patch+yaml >/dev/null
	check "rbac: controller server-side applies an ExternalArtifact" 201 "$(code)"
	st=$(jq -c --argjson a "$(jq -c '."harness-out" + {lastUpdateTime: "2025-01-01T00:00:00Z"}' "$work/harness.oracle")" \
		'{apiVersion, kind, metadata: {name: .metadata.name, namespace: .metadata.namespace},
		status: {artifact: $a, conditions: [{type: "Ready", status: "True", reason: "Succeeded",
		message: "Artifact is ready", lastTransitionTime: "2025-01-01T00:00:00Z"}]}}' <<<"$ea")
	capi PATCH "$(ea_path $ns harness-out)/status?fieldManager=source-watcher&force=true" "$st" \
		application/apply-patch+yaml >/dev/null
	check "rbac: controller applies ExternalArtifact status" 200 "$(code)"
	capi DELETE "$(ea_path $ns harness-out)" >/dev/null
	check "rbac: controller deletes an ExternalArtifact" 200 "$(code)"
	capi POST /api/v1/namespaces/$ns/events '{"apiVersion":"v1","kind":"Event","metadata":{"name":"harness.1"},"involvedObject":{"apiVersion":"source.extensions.fluxcd.io/v1beta1","kind":"ArtifactGenerator","name":"harness","namespace":"t-xsrc"},"reason":"Succeeded","message":"m","type":"Normal","count":1}' >/dev/null
	check "rbac: controller creates events" 201 "$(code)"
	capi PATCH /api/v1/namespaces/$ns/events/harness.1 '{"count":2}' application/strategic-merge-patch+json >/dev/null
	check "rbac: controller patches events (aggregation)" 200 "$(code)"
	capi PATCH "$(ag_path $ns harness)" '{"metadata":{"finalizers":null}}' application/merge-patch+json >/dev/null
	check "rbac: controller removes the finalizer" 200 "$(code)"
	api_ok DELETE "$(ag_path $ns harness)" || bad "harness: generator deleted"
	check "harness: writes counted from apiserver_request_total" yes \
		"$([ "$(api_writes)" -ge 8 ] && echo yes || api_writes_detail)"
}

scenario_harness
[ "${CT_SCENARIOS:-}" = harness ] && exit
ctl_start
wait_check "controller is running after start" 5 ctl_running

# ---- composition of three sources --------------------------------------------
scenario_compose() {
	local ns=t-compose g=$work/compose.yaml tg to tb dg dob db rg ro rb
	tree c-app deploy/app.yaml="kind: Deployment" deploy/svc.yaml="kind: Service"
	tree c-cfg config/settings.env="LEVEL=info"
	tree c-data data/seed.csv="a,b"
	for k in GitRepository:app OCIRepository:cfg Bucket:data; do src_create "${k%%:*}" $ns "${k#*:}"; done
	src_publish GitRepository $ns app "$T/c-app" && tg=$ct_tgz dg=$ct_digest rg=$ct_rev
	src_publish OCIRepository $ns cfg "$T/c-cfg" && to=$ct_tgz dob=$ct_digest ro=$ct_rev
	src_publish Bucket $ns data "$T/c-data" && tb=$ct_tgz db=$ct_digest rb=$ct_rev
	cat >"$g" <<EOF
apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata: {name: bundle, namespace: $ns}
spec:
  sources:
    - {alias: app, kind: GitRepository, name: app}
    - {alias: cfg, kind: OCIRepository, name: cfg}
    - {alias: data, kind: Bucket, name: data}
  artifacts:
    - name: bundle
      copy:
        - {from: "@app/deploy/**", to: "@artifact/deploy/"}
        - {from: "@cfg/config/settings.env", to: "@artifact/config/"}
        - {from: "@data/data/", to: "@artifact/"}
EOF
	ag_apply "$g" || { bad "compose: generator created"; return; }
	oracle "$g" "$work/compose.oracle" app="$tg" cfg="$to" data="$tb" || bad "compose: oracle"
	wait_check "compose: Ready=True Succeeded" $W ag_ready_is $ns bundle \
		"True Succeeded reconciliation succeeded, generated 1 artifact(s)" || return
	wait_check "compose: ExternalArtifact matches the dry-run's" 10 ea_matches $ns bundle "$work/compose.oracle"
	local uid
	uid=$(uid_of $ns bundle)
	check "compose: label source.extensions.fluxcd.io/generator is the generator's uid" "$uid" \
		"$(ea_field $ns bundle '.metadata.labels["source.extensions.fluxcd.io/generator"]')"
	check "compose: label app.kubernetes.io/managed-by" source-watcher \
		"$(ea_field $ns bundle '.metadata.labels["app.kubernetes.io/managed-by"]')"
	check "compose: spec.sourceRef names the generator" "ArtifactGenerator/$ns/bundle" \
		"$(ea_field $ns bundle '.spec.sourceRef | "\(.kind)/\(.namespace)/\(.name)"')"
	check "compose: revision is latest@<digest>" "latest@$(ea_field $ns bundle .status.artifact.digest)" \
		"$(ea_field $ns bundle .status.artifact.revision)"
	check "compose: finalizer added" source.extensions.fluxcd.io/finalizer \
		"$(ag_field $ns bundle '.metadata.finalizers // [] | join(",")')"
	check "compose: inventory" "bundle $ns $(jq -r .bundle.digest "$work/compose.oracle") \
$(basename "$(jq -r .bundle.path "$work/compose.oracle")")" \
		"$(ag_field $ns bundle '.status.inventory // [] | map("\(.name) \(.namespace) \(.digest) \(.filename)") | join(";")')"
	check "compose: observedSourcesDigest as source-watcher computes it" \
		"$(sources_digest "app=$dg,$rg,$(url_of "$tg")" "cfg=$dob,$ro,$(url_of "$to")" "data=$db,$rb,$(url_of "$tb")")" \
		"$(ag_field $ns bundle .status.observedSourcesDigest)"
	local url digest
	url=$(ea_field $ns bundle .status.artifact.url) digest=$(ea_field $ns bundle .status.artifact.digest)
	if served_matches "$url" "$digest"; then ok "compose: status.artifact.url serves the artifact (digest matches)"
	else bad "compose: GET $url does not serve $digest"; fi
	check "compose: a path outside the published files is 404" 404 \
		"$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$ct_store_port/externalartifact/$ns/bundle/..%2f..%2fx")"
}

# ---- decomposition: one service's change re-revisions only its artifact ----------
scenario_split() {
	local ns=t-split g=$work/split.yaml r1 r2
	tree s-mono svc/api/main.yaml="api: 1" svc/web/main.yaml="web: 1" svc/db/main.yaml="db: 1"
	src_create GitRepository $ns mono && src_publish GitRepository $ns mono "$T/s-mono"
	cat >"$g" <<EOF
apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata: {name: services, namespace: $ns}
spec:
  sources: [{alias: mono, kind: GitRepository, name: mono}]
  artifacts:
    - {name: api, copy: [{from: "@mono/svc/api/**", to: "@artifact/"}]}
    - {name: web, copy: [{from: "@mono/svc/web/**", to: "@artifact/"}]}
    - {name: db, copy: [{from: "@mono/svc/db/**", to: "@artifact/"}]}
EOF
	ag_apply "$g" || { bad "split: generator created"; return; }
	wait_check "split: Ready with 3 artifacts" $W ag_ready_is $ns services \
		"True Succeeded reconciliation succeeded, generated 3 artifact(s)" || return
	r1=$(for a in api web db; do ea_field $ns $a .status.artifact.revision; done | paste -sd' ')
	local d1
	d1=$(ag_field $ns services .status.observedSourcesDigest)
	printf 'web: 2\n' >"$T/s-mono/svc/web/main.yaml"
	src_publish GitRepository $ns mono "$T/s-mono"
	oracle "$g" "$work/split.oracle" mono="$ct_tgz" || bad "split: oracle"
	wait_check "split: web gets the new content" $W ea_matches $ns web "$work/split.oracle"
	wait_check "split: generator Ready for the new sources digest" $W \
		ne_cmd "$d1" ag_field $ns services .status.observedSourcesDigest
	r2=$(for a in api web db; do ea_field $ns $a .status.artifact.revision; done | paste -sd' ')
	check "split: api keeps its revision" "$(cut -d' ' -f1 <<<"$r1")" "$(cut -d' ' -f1 <<<"$r2")"
	check "split: db keeps its revision" "$(cut -d' ' -f3 <<<"$r1")" "$(cut -d' ' -f3 <<<"$r2")"
	if [ "$(cut -d' ' -f2 <<<"$r1")" != "$(cut -d' ' -f2 <<<"$r2")" ]; then
		ok "split: web has a new revision"
	else
		bad "split: web kept revision $(cut -d' ' -f2 <<<"$r1")"
	fi
}

# ---- Helm chart composition with Merge ---------------------------------------------
scenario_helm() {
	local ns=t-helm g=$work/helm.yaml tc tv
	tree h-chart app/Chart.yaml="name: app" app/values.yaml="replicas: 1
image: {tag: v1, repo: app}" app/templates/d.yaml="kind: Deployment"
	tree h-vals prod/values.yaml="replicas: 3
image: {tag: v2}"
	src_create HelmChart $ns app && src_publish HelmChart $ns app "$T/h-chart" "1.0.0" && tc=$ct_tgz
	src_create GitRepository $ns vals && src_publish GitRepository $ns vals "$T/h-vals" && tv=$ct_tgz
	cat >"$g" <<EOF
apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata: {name: app-prod, namespace: $ns}
spec:
  sources:
    - {alias: chart, kind: HelmChart, name: app}
    - {alias: vals, kind: GitRepository, name: vals}
  artifacts:
    - name: app-prod
      revision: "@chart"
      copy:
        - {from: "@chart/app/", to: "@artifact/"}
        - {from: "@vals/prod/values.yaml", to: "@artifact/app/values.yaml", strategy: Merge}
EOF
	ag_apply "$g" || { bad "helm: generator created"; return; }
	oracle "$g" "$work/helm.oracle" chart="$tc=1.0.0" vals="$tv" || bad "helm: oracle"
	wait_check "helm: Ready" $W ag_ready_is $ns app-prod "True Succeeded" || return
	wait_check "helm: merged chart matches the dry-run's" 10 ea_matches $ns app-prod "$work/helm.oracle"
	check "helm: revision is the chart's" 1.0.0 "$(ea_field $ns app-prod .status.artifact.revision)"
	mkdir -p "$work/helm-x"
	tar -xzf "$ct_store/$(ea_field $ns app-prod .status.artifact.path)" -C "$work/helm-x" 2>/dev/null
	check "helm: values merged (overlay wins, chart keys kept)" "3 v2 app" \
		"$(python3 -c 'import sys, yaml; v = yaml.safe_load(open(sys.argv[1]))
print(v["replicas"], v["image"]["tag"], v["image"]["repo"])' "$work/helm-x/app/values.yaml" 2>&1)"
}

# ---- Extract ----------------------------------------------------------------------------
scenario_extract() {
	local ns=t-extract g=$work/extract.yaml
	tree e-inner manifests/cm.yaml="kind: ConfigMap"
	tree e-outer
	mk_tar "$T/e-inner" "$T/e-outer/bundle.tar.gz"
	src_create OCIRepository $ns bundle && src_publish OCIRepository $ns bundle "$T/e-outer"
	cat >"$g" <<EOF
apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata: {name: unpacked, namespace: $ns}
spec:
  sources: [{alias: oci, kind: OCIRepository, name: bundle}]
  artifacts:
    - name: unpacked
      copy: [{from: "@oci/bundle.tar.gz", to: "@artifact/", strategy: Extract}]
EOF
	ag_apply "$g" || { bad "extract: generator created"; return; }
	oracle "$g" "$work/extract.oracle" oci="$ct_tgz" || bad "extract: oracle"
	wait_check "extract: Ready" $W ag_ready_is $ns unpacked "True Succeeded" || return
	wait_check "extract: artifact matches the dry-run's" 10 ea_matches $ns unpacked "$work/extract.oracle"
	check "extract: the tarball's contents, not the tarball" "./manifests/cm.yaml" \
		"$(tar -tzf "$ct_store/$(ea_field $ns unpacked .status.artifact.path)" 2>&1 | grep -v '/$' | sed 's|^\([^.]\)|./\1|' | paste -sd,)"
}

# ---- pathPattern: directories added and removed; commonMetadata --------------------------------
scenario_pattern() {
	local ns=t-pattern g=$work/pattern.yaml uid
	tree p-repo apps/a/k.yaml="a" apps/b/k.yaml="b"
	src_create GitRepository $ns repo && src_publish GitRepository $ns repo "$T/p-repo"
	cat >"$g" <<EOF
apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata: {name: apps, namespace: $ns}
spec:
  sources: [{alias: repo, kind: GitRepository, name: repo}]
  pathPattern: "@repo/apps/{app}"
  commonMetadata:
    labels: {team: platform}
    annotations: {example.com/owner: ops}
  artifacts:
    - {name: "app-{app}", copy: [{from: "@repo/apps/{app}/**", to: "@artifact/"}]}
EOF
	ag_apply "$g" || { bad "pattern: generator created"; return; }
	wait_check "pattern: Ready with 2 artifacts" $W ag_ready_is $ns apps \
		"True Succeeded reconciliation succeeded, generated 2 artifact(s)" || return
	uid=$(uid_of $ns apps)
	check "pattern: one ExternalArtifact per directory" "app-a app-b" "$(ea_names $ns "$uid")"
	check "pattern: commonMetadata label and annotation on the ExternalArtifact" "platform ops" \
		"$(ea_field $ns app-a '"\(.metadata.labels.team) \(.metadata.annotations["example.com/owner"])"')"
	local sa
	sa=$ct_store/externalartifact/$ns/app-a
	mkdir -p "$T/p-repo/apps/c" && echo c >"$T/p-repo/apps/c/k.yaml"
	rm -rf "$T/p-repo/apps/a"
	src_publish GitRepository $ns repo "$T/p-repo"
	oracle "$g" "$work/pattern.oracle" repo="$ct_tgz" || bad "pattern: oracle"
	wait_check "pattern: directory added -> app-c, removed -> app-a deleted" $W \
		eq_cmd "app-b app-c" ea_names_cmd
	check "pattern: app-c matches the dry-run's" ok "$(ea_matches $ns app-c "$work/pattern.oracle" && echo ok)"
	wait_check "pattern: app-a's storage removed" 10 absent "$sa"
}
ea_names_cmd() { ea_names t-pattern "$(uid_of t-pattern apps)"; }

# ---- origin revision only ---------------------------------------------------------------
scenario_origin() {
	local ns=t-compose g=$work/origin.yaml
	tree o-src x.yaml="x"
	src_create OCIRepository $ns oci && src_publish OCIRepository $ns oci "$T/o-src" "v1@sha256:aa" "abc123"
	cat >"$g" <<EOF
apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata: {name: origin, namespace: $ns}
spec:
  sources: [{alias: oci, kind: OCIRepository, name: oci}]
  artifacts:
    - {name: origin, originRevision: "@oci", copy: [{from: "@oci/x.yaml", to: "@artifact/"}]}
EOF
	ag_apply "$g" || { bad "origin: generator created"; return; }
	wait_check "origin: EA carries the source's origin revision" $W eq_cmd abc123 \
		ea_field $ns origin "$ORIG" || return
	# Same bytes, digest and revision: only the origin revision changes.
	src_status OCIRepository $ns oci "${ct_tgz#"$ct_srv_root"/}" "$ct_digest" "v1@sha256:aa" "def456" \
		"$(stat -c %s "$ct_tgz")"
	wait_check "origin: an origin-revision-only change is published" $W eq_cmd def456 \
		ea_field $ns origin "$ORIG"
}

# gen_one NS ARTIFACT FROM FILE: writes generator NS/gen with source alias s
# (GitRepository src) and one artifact copying FROM to @artifact/, applies it.
gen_one() {
	cat >"$4" <<EOF
apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata: {name: gen, namespace: $1}
spec:
  sources: [{alias: s, kind: GitRepository, name: src}]
  artifacts: [{name: $2, copy: [{from: "$3", to: "@artifact/"}]}]
EOF
	ag_apply "$4"
}

# ---- suspend / resume; requestedAt ----------------------------------------------------------
scenario_suspend() {
	local ns=t-suspend g=$work/suspend.yaml d1
	tree u-src f.yaml="1"
	src_create GitRepository $ns src && src_publish GitRepository $ns src "$T/u-src"
	gen_one $ns out "@s/f.yaml" "$g" || { bad "suspend: generator created"; return; }
	wait_check "suspend: Ready before suspending" $W ag_ready_is $ns gen "True Succeeded" || return
	ag_annotate $ns gen source.extensions.fluxcd.io/reconcile disabled
	sleep 2
	d1=$(ea_field $ns out .status.artifact.digest)
	echo 2 >"$T/u-src/f.yaml"
	src_publish GitRepository $ns src "$T/u-src"
	sleep 4
	check "suspend: a suspended generator does not publish a source change" "$d1" \
		"$(ea_field $ns out .status.artifact.digest)"
	wait_check "suspend: a ReconciliationDisabled event on the generator" $W eq_cmd \
		"Reconciliation is disabled" suspend_event $ns
	ag_annotate $ns gen source.extensions.fluxcd.io/reconcile null
	oracle "$g" "$work/suspend.oracle" s="$ct_tgz" || bad "suspend: oracle"
	wait_check "suspend: resume publishes the change" $W ea_matches $ns out "$work/suspend.oracle"
	ag_annotate $ns gen reconcile.fluxcd.io/requestedAt "2030-01-01T00:00:00Z"
	wait_check "requestedAt: status.lastHandledReconcileAt" $W eq_cmd 2030-01-01T00:00:00Z \
		ag_field $ns gen .status.lastHandledReconcileAt
}

# suspend_event NS: the message of the generator's ReconciliationDisabled event.
suspend_event() {
	api GET "/api/v1/namespaces/$1/events" | jq -r '[.items[] |
		select(.involvedObject.kind == "ArtifactGenerator" and .involvedObject.name == "gen"
			and .reason == "ReconciliationDisabled")][0].message // ""'
}

# ---- deletion ---------------------------------------------------------------------------------
scenario_delete() {
	local ns=t-delete g=$work/delete.yaml
	tree d-src a/f="a" b/f="b"
	src_create GitRepository $ns src && src_publish GitRepository $ns src "$T/d-src"
	cat >"$g" <<EOF
apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata: {name: gen, namespace: $ns}
spec:
  sources: [{alias: s, kind: GitRepository, name: src}]
  artifacts:
    - {name: del-a, copy: [{from: "@s/a/**", to: "@artifact/"}]}
    - {name: del-b, copy: [{from: "@s/b/**", to: "@artifact/"}]}
EOF
	ag_apply "$g" || { bad "delete: generator created"; return; }
	wait_check "delete: Ready with 2 artifacts" $W ag_ready_is $ns gen "True Succeeded" || return
	api_ok DELETE "$(ag_path $ns gen)" || bad "delete: DELETE accepted"
	wait_check "delete: generator gone (finalizer removed)" $W gone "$(ag_path $ns gen)"
	wait_check "delete: ExternalArtifact del-a deleted" 10 gone "$(ea_path $ns del-a)"
	wait_check "delete: ExternalArtifact del-b deleted" 10 gone "$(ea_path $ns del-b)"
	wait_check "delete: storage removed" 10 \
		absent "$ct_store/externalartifact/$ns/del-a" "$ct_store/externalartifact/$ns/del-b"
}

# ---- a source not ready, then ready ----------------------------------------------------
scenario_deps() {
	local ns=t-deps g=$work/deps.yaml
	src_create GitRepository $ns late && src_unready GitRepository $ns late
	cat >"$g" <<EOF
apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata: {name: gen, namespace: $ns}
spec:
  sources: [{alias: s, kind: GitRepository, name: late}]
  artifacts: [{name: late-out, copy: [{from: "@s/**", to: "@artifact/"}]}]
EOF
	ag_apply "$g" || { bad "deps: generator created"; return; }
	wait_check "deps: Ready=False SourceFetchFailed while the source is not ready" $W \
		ag_ready_is $ns gen "False SourceFetchFailed"
	check "deps: the message names the source" yes \
		"$(ag_cond $ns gen Ready | grep -q "GitRepository/$ns/late" && echo yes || ag_cond $ns gen Ready)"
	tree n-src f="late"
	src_publish GitRepository $ns late "$T/n-src"
	wait_check "deps: Ready once the source is ready" $W ag_ready_is $ns gen "True Succeeded"
}

# ---- fetch failures: wrong bytes; the server down then back -------------------------------------
scenario_fetch() {
	local ns=t-fetch g=$work/fetch.yaml
	tree f-src f="1"
	src_create GitRepository $ns src && src_publish GitRepository $ns src "$T/f-src"
	gen_one $ns fetched "@s/**" "$g" || { bad "fetch: generator created"; return; }
	wait_check "fetch: Ready" $W ag_ready_is $ns gen "True Succeeded" || return
	# Wrong bytes: the status claims one digest, the server serves other bytes.
	echo 2 >"$T/f-src/f"
	CT_WRONG_BYTES=1 src_publish GitRepository $ns src "$T/f-src"
	wait_check "fetch: bytes not matching the digest -> Ready=False SourceFetchFailed" $W \
		ag_ready_is $ns gen "False SourceFetchFailed"
	mv "$ct_tgz.good" "$ct_tgz"
	wait_check "fetch: the right bytes -> Ready again" $W ag_ready_is $ns gen "True Succeeded"
	# The server down, a new revision, then the server back.
	srv_stop
	echo 3 >"$T/f-src/f"
	src_publish GitRepository $ns src "$T/f-src"
	wait_check "fetch: server down -> Ready=False SourceFetchFailed" $W \
		ag_ready_is $ns gen "False SourceFetchFailed"
	srv_start || bad "fetch: tarball server restarted on port $ct_srv_port"
	oracle "$g" "$work/fetch.oracle" s="$ct_tgz" || bad "fetch: oracle"
	wait_check "fetch: server back -> Ready with the new revision" $W ag_ready_is $ns gen "True Succeeded"
	wait_check "fetch: the new revision is published" 10 ea_matches $ns fetched "$work/fetch.oracle"
}

# ---- drift: the ExternalArtifact edited or deleted; a stored file corrupted ----------------------
scenario_restore() {
	local ns=t-restore g=$work/restore.yaml file
	tree r-src f="keep"
	src_create GitRepository $ns src && src_publish GitRepository $ns src "$T/r-src"
	gen_one $ns kept "@s/**" "$g" || { bad "restore: generator created"; return; }
	oracle "$g" "$work/restore.oracle" s="$ct_tgz" || bad "restore: oracle"
	wait_check "restore: published" $W ea_matches $ns kept "$work/restore.oracle" || return
	api_ok PATCH "$(ea_path $ns kept)/status" \
		'{"status":{"artifact":{"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","revision":"edited"}}}' \
		application/merge-patch+json || bad "restore: status edited by hand"
	wait_check "restore: an ExternalArtifact edited by hand is restored" $W ea_matches $ns kept "$work/restore.oracle"
	api_ok DELETE "$(ea_path $ns kept)" || bad "restore: ExternalArtifact deleted by hand"
	wait_check "restore: an ExternalArtifact deleted by hand is recreated" $W ea_matches $ns kept "$work/restore.oracle"
	file=$ct_store/$(jq -r .kept.path "$work/restore.oracle")
	echo corrupted >"$file"
	ag_annotate $ns gen reconcile.fluxcd.io/requestedAt "corrupt-1"
	wait_check "restore: a stored file corrupted on disk is rebuilt" $W ea_matches $ns kept "$work/restore.oracle"
}

# ---- 50 generators sharing one source --------------------------------------------------------
scenario_fan() {
	local ns=t-fan i rel n
	tree fan-src shared/f.yaml="shared"
	src_create GitRepository $ns shared && src_publish GitRepository $ns shared "$T/fan-src"
	rel=${ct_tgz#"$ct_srv_root"/}
	for i in $(seq 1 50); do
		ag_apply - <<EOF || bad "fan: generator g$i created"
apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata: {name: g$i, namespace: $ns}
spec:
  sources: [{alias: s, kind: GitRepository, name: shared}]
  artifacts: [{name: out-$i, copy: [{from: "@s/shared/**", to: "@artifact/"}]}]
EOF
	done
	wait_check "fan: 50 generators Ready" 90 fan_all_ready
	check "fan: the shared source downloaded once" 1 "$(srv_gets "$rel")"
}
fan_all_ready() {
	[ "$(api GET "$(ag_path t-fan)" | jq '[.items[] | select(any(.status.conditions[]?;
		.type == "Ready" and .status == "True"))] | length')" = 50 ]
}

# ---- a restart with nothing changed makes no API write --------------------------------------
scenario_restart() {
	local before after
	ctl_stop
	before=$(api_writes)
	api_writes_detail >"$work/writes.before"
	ctl_start
	wait_check "restart: controller running" 5 ctl_running
	ct_ready=$(api GET /apis/source.extensions.fluxcd.io/v1beta1/artifactgenerators | jq '[.items[] |
		select(any(.status.conditions[]?; .type == "Ready" and .status == "True"))] | length')
	wait_check "restart: every Ready generator ($ct_ready) checked, no drift" 60 restart_settled || return
	sleep 3
	after=$(api_writes)
	api_writes_detail >"$work/writes.after"
	check "restart: no API write with nothing changed" "$before" "$after"
	[ "$before" = "$after" ] || diff "$work/writes.before" "$work/writes.after" | sed 's/^/     /'
}

restart_settled() { [ "$(grep -c 'No drift detected' "$ct_log")" -ge "$ct_ready" ]; }

# ---- cross-namespace refusal with --no-cross-namespace-refs ----------------------------------------
scenario_xns() {
	ctl_stop
	ctl_start --no-cross-namespace-refs
	tree x-src f="x"
	src_create GitRepository t-xsrc other && src_publish GitRepository t-xsrc other "$T/x-src"
	ag_apply - <<EOF || { bad "xns: generator created"; return; }
apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata: {name: gen, namespace: t-xns}
spec:
  sources: [{alias: s, kind: GitRepository, name: other, namespace: t-xsrc}]
  artifacts: [{name: xout, copy: [{from: "@s/**", to: "@artifact/"}]}]
EOF
	wait_check "xns: Ready=False AccessDenied" $W ag_ready_is t-xns gen "False AccessDenied"
	check "xns: Stalled=True AccessDenied" "True AccessDenied" \
		"$(ag_cond t-xns gen Stalled | cut -d' ' -f1,2)"
	check "xns: the message names the cross-namespace reference" yes \
		"$(ag_cond t-xns gen Ready | grep -q 'cross-namespace' && echo yes || ag_cond t-xns gen Ready)"
	check "xns: no ExternalArtifact published" 404 "$(api GET "$(ea_path t-xns xout)" >/dev/null; code)"
}

for s in ${CT_SCENARIOS:-compose split helm extract pattern origin suspend delete deps fetch restore fan restart xns}; do
	"scenario_$s"
	ctl_running || { bad "controller still running after scenario $s"; ctl_log_tail 30; ctl_start; }
done
ctl_stop
