#!/usr/bin/env bash
# Manifests integration suite: renders manifests/ the way `kubectl apply -k`
# does (test/tools/kustomize: kbuild, the pinned kustomize API), checks what
# a user relies on in the rendered objects, server-side applies every one to
# a private control plane (scripts/plane-up.sh; the Deployment with
# dryRun=All: there is no kubelet), and checks on that plane that
#   - the Deployment's pod passes restricted Pod Security (a dry-run Pod in
#     a namespace that enforces it; a weakened copy is refused);
#   - the namespace can be changed by an overlay, subjects included;
#   - the optional admission policy (manifests/policies) refuses
#     ExternalArtifacts of generators written by another identity, or by the
#     controller pointing elsewhere, and accepts the controller's own: by
#     hand with its token, then bin/artifact-generator itself publishing a
#     generator's artifact under the Service address the Deployment uses.
# Ends with "manifests: N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export PATH=$PATH:/usr/local/go/bin
export PLANE_DIR
PLANE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ag-plane-manifests.XXXXXX")
work=$(mktemp -d "${TMPDIR:-/tmp}/ag-manifests.XXXXXX")
# Overlays live under build/ so their relative paths stay inside the repo
# (kustomize's default load restrictions, as kubectl applies them).
overlays=$(mktemp -d "$ROOT/build/manifests-overlays.XXXXXX")
passed=0
failed=0
FM=artifact-generator-manifests
BIN=${AG_BIN:-$ROOT/bin/artifact-generator}
ctl_pid=
srv_pid=

ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
# check NAME WANT GOT [BODY-FILE]: passes when GOT equals WANT; on failure
# shows the start of BODY-FILE (the last response).
check() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		bad "$1: want '$2', got '$3'"
		[ -n "${4:-}" ] && [ -s "$4" ] && head -c 400 "$4" | sed 's/^/     /' && echo
	fi
}
finish() {
	[ -n "$ctl_pid" ] && kill "$ctl_pid" 2>/dev/null && wait "$ctl_pid" 2>/dev/null
	[ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null && wait "$srv_pid" 2>/dev/null
	[ "$failed" -ne 0 ] && [ -s "$work/ctl.log" ] && tail -n 20 "$work/ctl.log"
	"$ROOT/scripts/plane-down.sh" >/dev/null 2>&1 || true
	rm -rf "$PLANE_DIR" "$work" "$overlays"
	echo "manifests: $passed passed, $failed failed"
	# (a bare exit in an EXIT trap keeps the status from before the trap)
	[ "$failed" -eq 0 ] && exit 0
	exit 1
}
trap finish EXIT
trap 'exit 130' INT TERM

# ---- kbuild, cached by the digest of its sources and the Go version ---------
tooldir=$ROOT/test/tools/kustomize
key=$( { cat "$tooldir"/go.mod "$tooldir"/go.sum "$tooldir"/*.go; go env GOVERSION; } |
	sha256sum | cut -c1-12)
KBUILD=${XDG_CACHE_HOME:-$HOME/.cache}/artifact-generator/tools/kbuild-$key
if [ ! -x "$KBUILD" ]; then
	mkdir -p "$(dirname "$KBUILD")"
	if ! (cd "$tooldir" && timeout 600 go build -trimpath -o "$KBUILD.tmp.$$" .) ||
		! mv -f "$KBUILD.tmp.$$" "$KBUILD"; then
		rm -f "$KBUILD.tmp.$$"
		bad "building kbuild from test/tools/kustomize (is the Go module proxy reachable?)"
		exit 1
	fi
fi

# render NAME DIR: renders DIR into $work/NAME/ and its index $work/NAME.list.
render() {
	if "$KBUILD" -out "$work/$1" "$2" >"$work/$1.list" 2>"$work/$1.err"; then
		ok "kustomize renders ${2#"$ROOT"/} ($(wc -l <"$work/$1.list") objects)"
	else
		bad "kustomize render of ${2#"$ROOT"/}: $(head -c 300 "$work/$1.err")"
		return 1
	fi
}
# overlay NAME NAMESPACE [COMPONENTS...]: an overlay of manifests/.
overlay() {
	local d=$overlays/$1 ns=$2 c
	shift 2
	mkdir -p "$d"
	{
		echo "apiVersion: kustomize.config.k8s.io/v1beta1"
		echo "kind: Kustomization"
		echo "namespace: $ns"
		echo "resources: [../../../manifests]"
		[ $# -eq 0 ] || echo "components:"
		for c in "$@"; do echo "- ../../../manifests/$c"; done
	} >"$d/kustomization.yaml"
	echo "$d"
}
render base "$ROOT/manifests" || exit 1
render policy "$(overlay policy flux-system policies)" || exit 1
render gitops "$(overlay gitops gitops)" || exit 1

# obj LIST KIND: the JSON file of the first object of KIND in a render.
obj() { awk -v k="$2" '$1 == k { print $5; exit }' "$work/$1.list"; }
# jq-like checks with python3: pyjson FILE EXPR prints EXPR over `o`.
pyjson() {
	python3 -c 'import json, sys
o = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$1" "$2" 2>&1
}

# ---- what the rendered objects promise --------------------------------------
kinds=$(awk '{ print $1 }' "$work/base.list" | sort | tr '\n' ' ')
check "manifests/ holds the CRD, RBAC, Deployment, Service and NetworkPolicy" \
	"ClusterRole ClusterRoleBinding CustomResourceDefinition Deployment Namespace NetworkPolicy Role RoleBinding Service ServiceAccount " \
	"$kinds"
dep=$(obj base Deployment)
c='o["spec"]["template"]["spec"]["containers"][0]'
p='o["spec"]["template"]["spec"]'
check "container: non-root, read-only root, no privilege escalation, all capabilities dropped, RuntimeDefault seccomp" \
	"True True False ['ALL'] RuntimeDefault" \
	"$(pyjson "$dep" "' '.join(str(x) for x in [$c['securityContext']['runAsNonRoot'], $c['securityContext']['readOnlyRootFilesystem'], $c['securityContext']['allowPrivilegeEscalation'], $c['securityContext']['capabilities']['drop'], $c['securityContext']['seccompProfile']['type']])")"
check "pod runs as numeric UID 65534, the Containerfile's USER" "65534 65534 True" \
	"$(pyjson "$dep" "' '.join(str(x) for x in [$p['securityContext']['runAsUser'], $p['securityContext']['runAsGroup'], $p['securityContext']['runAsNonRoot']])")"
grep -q '^USER 65534:65534$' "$ROOT/Containerfile" && ok "Containerfile's USER is 65534:65534" ||
	bad "Containerfile has no 'USER 65534:65534' line"
check "ports http 9090, http-prom 8080, healthz 9440" "http:9090 http-prom:8080 healthz:9440" \
	"$(pyjson "$dep" "' '.join(q['name'] + ':' + str(q['containerPort']) for q in $c['ports'])")"
check "liveness GET /healthz on healthz, readiness GET / on http" "/healthz healthz / http" \
	"$(pyjson "$dep" "' '.join([$c['livenessProbe']['httpGet']['path'], $c['livenessProbe']['httpGet']['port'], $c['readinessProbe']['httpGet']['path'], $c['readinessProbe']['httpGet']['port']])")"
check "RUNTIME_NAMESPACE from the downward API" "RUNTIME_NAMESPACE metadata.namespace" \
	"$(pyjson "$dep" "' '.join([$c['env'][0]['name'], $c['env'][0]['valueFrom']['fieldRef']['fieldPath']])")"
check "artifact URLs advertise the Service in the runtime namespace" \
	"--storage-adv-addr=artifact-generator.\$(RUNTIME_NAMESPACE).svc.cluster.local." \
	"$(pyjson "$dep" "[a for a in $c['args'] if a.startswith('--storage-adv-addr=')][0]")"
check "emptyDir volumes on /data and /tmp" "data:/data:{} tmp:/tmp:{}" \
	"$(pyjson "$dep" "' '.join(m['name'] + ':' + m['mountPath'] + ':' + str([v for v in $p['volumes'] if v['name'] == m['name']][0]['emptyDir']) for m in $c['volumeMounts'])")"
check "prometheus.io annotations name the metrics port" "true 8080" \
	"$(pyjson "$dep" "' '.join([o['spec']['template']['metadata']['annotations'][k] for k in ('prometheus.io/scrape', 'prometheus.io/port')])")"
check "requests and limits set" "50m 32Mi 1000m 256Mi" \
	"$(pyjson "$dep" "' '.join([$c['resources'][a][b] for a in ('requests', 'limits') for b in ('cpu', 'memory')])")"
check "Service exposes the artifact port as http on 80" "http 80 http" \
	"$(pyjson "$(obj base Service)" "' '.join(str(x) for x in [o['spec']['ports'][0]['name'], o['spec']['ports'][0]['port'], o['spec']['ports'][0]['targetPort']])")"
np=$(obj base NetworkPolicy)
check "NetworkPolicy: artifacts from kustomize- and helm-controller pods only" \
	"http ['kustomize-controller', 'helm-controller'] False" \
	"$(pyjson "$np" "' '.join(str(x) for x in [o['spec']['ingress'][0]['ports'][0]['port'], o['spec']['ingress'][0]['from'][0]['podSelector']['matchExpressions'][0]['values'], 'namespaceSelector' in o['spec']['ingress'][0]['from'][0]])")"
check "NetworkPolicy: metrics from the monitoring namespace only" "http-prom monitoring 2" \
	"$(pyjson "$np" "' '.join(str(x) for x in [o['spec']['ingress'][1]['ports'][0]['port'], o['spec']['ingress'][1]['from'][0]['namespaceSelector']['matchLabels']['kubernetes.io/metadata.name'], len(o['spec']['ingress'])])")"
leases="any('leases' in r['resources'] for r in o['rules'])"
check "leases: none in the ClusterRole, in the runtime namespace's Role" "False True" \
	"$(pyjson "$(obj base ClusterRole)" "$leases") $(pyjson "$(obj base Role)" "$leases")"

# The namespace overlay moves every namespaced object and every subject.
stray=$(cd "$work/gitops" && grep -l '"flux-system"' ./*.json | tr '\n' ' ')
check "overlay namespace gitops: no object mentions flux-system" "" "$stray"
check "overlay namespace gitops: ClusterRoleBinding subject in gitops" "gitops" \
	"$(pyjson "$(obj gitops ClusterRoleBinding)" "o['subjects'][0]['namespace']")"
check "overlay namespace gitops: Namespace object renamed" "gitops" \
	"$(pyjson "$(obj gitops Namespace)" "o['metadata']['name']")"

# ---- the plane ----------------------------------------------------------------
if ! "$ROOT/scripts/plane-up.sh" >"$work/plane-up.log" 2>&1; then
	bad "plane-up: $(tail -3 "$work/plane-up.log")"
	exit 1
fi
# shellcheck disable=SC1091
. "$PLANE_DIR/plane.env"
S=$PLANE_SERVER
admin=(-H "Authorization: Bearer $PLANE_ADMIN_TOKEN")
ctrl=(-H "Authorization: Bearer $PLANE_CONTROLLER_TOKEN")
# req OUT ARGS...: curl with the plane's CA, body to OUT, headers to OUT.h;
# prints the HTTP status.
req() {
	local out=$1
	shift
	curl -s --max-time 20 -o "$out" -D "$out.h" -w '%{http_code}' --cacert "$PLANE_CA" "$@" || true
}
# apply FILE PATH [QUERY]: server-side apply of one rendered object.
apply() {
	req "$work/r" "${admin[@]}" -X PATCH -H 'Content-Type: application/apply-patch+yaml' \
		--data-binary "@$1" "$S$2?fieldManager=$FM&force=true${3:-}"
}

# Restricted Pod Security enforced in the runtime namespace, so that the
# dry-run Pod below is judged by it (the Namespace manifest does not set it).
while read -r kind ns name path file; do
	q=""
	[ "$kind" = Deployment ] && q="&dryRun=All"
	code=$(apply "$file" "$path" "$q")
	case $code in 200 | 201) ok "server-side apply $kind $name${q:+ (dryRun=All)}" ;;
	*) bad "server-side apply $kind ${ns#-}/$name: HTTP $code: $(head -c 300 "$work/r")" ;;
	esac
	if [ "$kind" = Namespace ]; then
		code=$(req "$work/r" "${admin[@]}" -X PATCH -H 'Content-Type: application/merge-patch+json' \
			-d '{"metadata":{"labels":{"pod-security.kubernetes.io/enforce":"restricted","pod-security.kubernetes.io/warn":"restricted"}}}' \
			"$S$path")
		check "namespace $name enforces restricted Pod Security" 200 "$code" "$work/r"
	fi
	if [ "$kind" = Deployment ]; then
		w=$(grep -i '^warning:' "$work/r.h" | head -c 300)
		check "Deployment applies without Pod Security warnings" "" "$w"
	fi
done <"$work/base.list"

# The Deployment's pod template, as a Pod, admitted under restricted.
python3 - "$dep" "$work/pod.json" "$work/weak.json" <<'PY'
import copy, json, sys
d = json.load(open(sys.argv[1]))
pod = {"apiVersion": "v1", "kind": "Pod",
       "metadata": {"name": "artifact-generator-pss", "namespace": d["metadata"]["namespace"],
                    "labels": d["spec"]["template"]["metadata"]["labels"]},
       "spec": d["spec"]["template"]["spec"]}
json.dump(pod, open(sys.argv[2], "w"))
weak = copy.deepcopy(pod)
del weak["spec"]["securityContext"]["runAsNonRoot"]
sc = weak["spec"]["containers"][0]["securityContext"]
del sc["runAsNonRoot"], sc["capabilities"], sc["allowPrivilegeEscalation"]
json.dump(weak, open(sys.argv[3], "w"))
PY
pods=$S/api/v1/namespaces/flux-system/pods?dryRun=All
check "the Deployment's pod is admitted under restricted Pod Security (dryRun=All)" 201 \
	"$(req "$work/r" "${admin[@]}" -X POST -H 'Content-Type: application/json' \
		--data-binary "@$work/pod.json" "$pods")" "$work/r"
code=$(req "$work/r" "${admin[@]}" -X POST -H 'Content-Type: application/json' \
	--data-binary "@$work/weak.json" "$pods")
if [ "$code" = 403 ] && grep -q 'violates PodSecurity' "$work/r"; then
	ok "a copy without runAsNonRoot, capability drop and no-escalation is refused"
else
	bad "weakened pod: want 403 'violates PodSecurity', got $code: $(head -c 300 "$work/r")"
fi

# ---- the admission policy -------------------------------------------------------
while read -r kind ns name path file; do
	case $kind in ValidatingAdmissionPolicy*) ;; *) continue ;; esac
	code=$(apply "$file" "$path")
	case $code in 200 | 201) ok "server-side apply $kind $name" ;;
	*) bad "server-side apply $kind $name: HTTP $code: $(head -c 300 "$work/r")" ;;
	esac
done <"$work/policy.list"

eas=$S/apis/source.toolkit.fluxcd.io/v1/namespaces/flux-system/externalartifacts
prefix=http://artifact-generator.flux-system.svc.cluster.local.
ea() { # ea NAME SOURCE-KIND: an ExternalArtifact without status
	printf '{"apiVersion":"source.toolkit.fluxcd.io/v1","kind":"ExternalArtifact",'
	printf '"metadata":{"name":"%s","namespace":"flux-system"},' "$1"
	printf '"spec":{"sourceRef":{"apiVersion":"source.extensions.fluxcd.io/v1beta1","kind":"%s","name":"gen"}}}' "$2"
}
status() { # status URL: a merge patch of status.artifact
	printf '{"status":{"artifact":{"digest":"sha256:%064d","lastUpdateTime":"2025-01-01T00:00:00Z",' 0
	printf '"path":"externalartifact/flux-system/app/0.tar.gz","revision":"latest@sha256:%064d","url":"%s"}}}' 0 "$1"
}
create() { # create WHO-ARRAY-NAME NAME KIND [QUERY]
	local -n who=$1
	req "$work/r" "${who[@]}" -X POST -H 'Content-Type: application/json' -d "$(ea "$2" "$3")" "$eas${4:-}"
}
patch_status() { # patch_status WHO-ARRAY-NAME NAME URL
	local -n who=$1
	req "$work/r" "${who[@]}" -X PATCH -H 'Content-Type: application/merge-patch+json' \
		-d "$(status "$3")" "$eas/$2/status"
}
# The policy takes effect once the API server's policy cache has it: probe
# with a dry run until another identity's write is refused (at most 30 s).
for _ in $(seq 1 60); do
	code=$(create admin probe ArtifactGenerator "?dryRun=All")
	[ "$code" = 403 ] && break
	sleep 0.5
done
check "another identity (cluster admin) may not create a generator's ExternalArtifact" 403 "$code" "$work/r"
if grep -q 'only system:serviceaccount:flux-system:artifact-generator may write' "$work/r"; then
	ok "the refusal names the ExternalArtifact and the identity allowed"
else
	bad "refusal message: $(head -c 300 "$work/r")"
fi
check "the controller creates its ExternalArtifact" 201 "$(create ctrl app ArtifactGenerator)" "$work/r"
check "the controller writes a status URL under its Service address" 200 \
	"$(patch_status ctrl app "$prefix/externalartifact/flux-system/app/0.tar.gz")" "$work/r"
check "the controller may not point its ExternalArtifact elsewhere" 403 \
	"$(patch_status ctrl app "http://elsewhere.example/0.tar.gz")" "$work/r"
grep -q 'does not start with' "$work/r" && ok "the refusal names the URL" ||
	bad "URL refusal message: $(head -c 300 "$work/r")"
check "the controller's host as a prefix of another host is refused" 403 \
	"$(patch_status ctrl app "$prefix.evil.example/0.tar.gz")" "$work/r"
check "another identity may not rewrite the controller's ExternalArtifact status" 403 \
	"$(patch_status admin app "$prefix/externalartifact/flux-system/app/1.tar.gz")" "$work/r"
check "the controller may not write ExternalArtifacts of other producers" 403 \
	"$(create ctrl other-by-ctrl GitHubRelease "?dryRun=All")" "$work/r"
check "other producers' ExternalArtifacts are left alone" 201 "$(create admin other GitHubRelease)" "$work/r"
check "... but may not point at the controller's storage" 403 \
	"$(patch_status admin other "$prefix/externalartifact/flux-system/app/0.tar.gz")" "$work/r"
check "... and may point at their own" 200 \
	"$(patch_status admin other "http://other-producer.flux-system.svc/x.tar.gz")" "$work/r"
check "deletion stays with RBAC (the controller deletes its ExternalArtifact)" 200 \
	"$(req "$work/r" "${ctrl[@]}" -X DELETE "$eas/app")" "$work/r"

# The real controller, advertising its Service address as the Deployment
# does, publishes through the policy: a GitRepository with an artifact on
# loopback, one generator, and the ExternalArtifact must become Ready.
. "$ROOT/scripts/plane/lib.sh"
mapfile -t port < <(plane_free_ports 4)
mkdir -p "$work/src/deploy" "$work/www" "$work/storage"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\n' >"$work/src/deploy/cm.yaml"
tar -C "$work/src" -czf "$work/www/repo.tar.gz" .
sum=$(sha256sum "$work/www/repo.tar.gz" | cut -d' ' -f1)
python3 -m http.server "${port[0]}" --bind 127.0.0.1 --directory "$work/www" >/dev/null 2>&1 &
srv_pid=$!
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
post() { # post PATH JSON (as the admin)
	req "$work/r" "${admin[@]}" -X POST -H 'Content-Type: application/json' -d "$2" "$S$1"
}
git=/apis/source.toolkit.fluxcd.io/v1/namespaces/flux-system/gitrepositories
check "admin creates GitRepository repo" 201 "$(post "$git" \
	'{"apiVersion":"source.toolkit.fluxcd.io/v1","kind":"GitRepository","metadata":{"name":"repo"},"spec":{"url":"https://example.invalid/repo","interval":"1h"}}')" "$work/r"
check "GitRepository repo gets an artifact on loopback" 200 "$(req "$work/r" "${admin[@]}" -X PATCH \
	-H 'Content-Type: application/merge-patch+json' "$S$git/repo/status" -d \
	"{\"status\":{\"artifact\":{\"path\":\"x\",\"url\":\"http://127.0.0.1:${port[0]}/repo.tar.gz\",\"revision\":\"main@sha1:abc\",\"digest\":\"sha256:$sum\",\"lastUpdateTime\":\"$now\"},\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"reason\":\"Succeeded\",\"message\":\"ok\",\"lastTransitionTime\":\"$now\"}]}}")" "$work/r"
check "admin creates ArtifactGenerator gen" 201 "$(post /apis/source.extensions.fluxcd.io/v1beta1/namespaces/flux-system/artifactgenerators \
	'{"apiVersion":"source.extensions.fluxcd.io/v1beta1","kind":"ArtifactGenerator","metadata":{"name":"gen"},"spec":{"sources":[{"alias":"repo","kind":"GitRepository","name":"repo"}],"artifacts":[{"name":"gen-app","copy":[{"from":"@repo/deploy/**","to":"@artifact/"}]}]}}')" "$work/r"
RUNTIME_NAMESPACE=flux-system "$BIN" --kubeconfig "$PLANE_CONTROLLER_KUBECONFIG" \
	--storage-path "$work/storage" --storage-addr "127.0.0.1:${port[1]}" \
	--storage-adv-addr artifact-generator.flux-system.svc.cluster.local. \
	--metrics-addr "127.0.0.1:${port[2]}" --health-addr "127.0.0.1:${port[3]}" \
	--log-level debug >"$work/ctl.log" 2>&1 </dev/null &
ctl_pid=$!
ready=""
for _ in $(seq 1 150); do
	req "$work/r" "${admin[@]}" "$eas/gen-app" >/dev/null
	ready=$(pyjson "$work/r" "[c['status'] for c in o.get('status', {}).get('conditions', []) if c['type'] == 'Ready'] + [o.get('status', {}).get('artifact', {}).get('url', '')]")
	case $ready in "['True', '$prefix/"*) break ;; esac
	kill -0 "$ctl_pid" 2>/dev/null || break
	sleep 0.2
done
case $ready in
"['True', '$prefix/"*) ok "the controller's ExternalArtifact is admitted and Ready under $prefix/" ;;
*) bad "the controller's ExternalArtifact gen-app: $ready" ;;
esac
if grep -q 'artifact-generator-externalartifacts' "$work/ctl.log"; then
	bad "the controller met the policy: $(grep -m1 'artifact-generator-externalartifacts' "$work/ctl.log" | head -c 300)"
else
	ok "the controller's log shows no policy refusal"
fi
