#!/usr/bin/env bash
# Smoke test of the integration control plane (scripts/plane-up.sh): brings
# it up in a private state dir, checks with curl what the controller's tests
# rely on (CRDs served, RBAC of the controller identity, TLS verification,
# token and client-certificate authentication, the ArtifactGenerator schema
# and its CEL rule), then brings it down and checks that nothing is left.
# Ends with "plane-smoke: N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export PLANE_DIR
PLANE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ag-plane-smoke.XXXXXX")
work=$(mktemp -d "${TMPDIR:-/tmp}/ag-plane-smoke-work.XXXXXX")
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
# check NAME WANT GOT: passes when GOT equals WANT.
# On failure it shows the start of the last response body (req keeps it).
check() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		bad "$1: want '$2', got '$3'"
		[ -s "$work/last" ] && head -c 400 "$work/last" | sed 's/^/     /' && echo
	fi
	rm -f "$work/last"
}
finish() {
	"$ROOT/scripts/plane-down.sh" >/dev/null 2>&1 || true
	rm -rf "$work" "$PLANE_DIR"
	echo "plane-smoke: $passed passed, $failed failed"
	[ "$failed" -eq 0 ] && exit 0
	exit 1
}
trap finish EXIT

t0=$(date +%s.%N)
if ! "$ROOT/scripts/plane-up.sh"; then
	bad "plane-up"
	exit 1
fi
t1=$(date +%s.%N)
ok "plane-up ($(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f s", b - a }'))"
# shellcheck disable=SC1091
. "$PLANE_DIR/plane.env"
S=$PLANE_SERVER

# req OUT ARGS...: curl with the plane's CA, body to OUT; prints the HTTP status.
req() {
	local out=$1
	shift
	curl -s -o "$out" -w '%{http_code}' --cacert "$PLANE_CA" "$@" || true
	cp -f "$out" "$work/last" 2>/dev/null || true
}
admin=(-H "Authorization: Bearer $PLANE_ADMIN_TOKEN")
ctrl=(-H "Authorization: Bearer $PLANE_CONTROLLER_TOKEN")

# The admin token sees every CRD we rely on.
check "admin lists CRDs" 200 "$(req "$work/crds" "${admin[@]}" \
	"$S/apis/apiextensions.k8s.io/v1/customresourcedefinitions")"
for crd in artifactgenerators.source.extensions.fluxcd.io \
	gitrepositories.source.toolkit.fluxcd.io ocirepositories.source.toolkit.fluxcd.io \
	buckets.source.toolkit.fluxcd.io helmcharts.source.toolkit.fluxcd.io \
	externalartifacts.source.toolkit.fluxcd.io; do
	if grep -q "\"name\": *\"$crd\"" "$work/crds"; then ok "CRD $crd served"; else bad "CRD $crd missing"; fi
done
check "ArtifactGenerator discoverable as v1beta1" 200 "$(req "$work/disc" "${admin[@]}" \
	"$S/apis/source.extensions.fluxcd.io/v1beta1")"
if tr -d ' \n' <"$work/disc" | grep -q '"shortNames":\["ag"\]'  && grep -q '"fluxcd-sources"' "$work/disc"; then
	ok "ArtifactGenerator shortName ag and categories"
else
	bad "ArtifactGenerator discovery lacks shortName ag or category fluxcd-sources"
fi

# The controller identity: what it needs, and nothing more.
check "unauthenticated request refused" 401 "$(req "$work/x" "$S/api/v1/namespaces")"
check "controller lists gitrepositories" 200 "$(req "$work/x" "${ctrl[@]}" \
	"$S/apis/source.toolkit.fluxcd.io/v1/gitrepositories")"
check "controller lists artifactgenerators" 200 "$(req "$work/x" "${ctrl[@]}" \
	"$S/apis/source.extensions.fluxcd.io/v1beta1/artifactgenerators")"
check "controller forbidden to list secrets" 403 "$(req "$work/x" "${ctrl[@]}" "$S/api/v1/secrets")"
check "controller forbidden to create artifactgenerators" 403 "$(req "$work/x" "${ctrl[@]}" \
	-X POST -H 'Content-Type: application/json' -d '{}' \
	"$S/apis/source.extensions.fluxcd.io/v1beta1/namespaces/flux-system/artifactgenerators")"
ea='{"apiVersion":"source.toolkit.fluxcd.io/v1","kind":"ExternalArtifact","metadata":{"name":"smoke"},"spec":{}}'
check "controller creates externalartifacts" 201 "$(req "$work/x" "${ctrl[@]}" \
	-X POST -H 'Content-Type: application/json' -d "$ea" \
	"$S/apis/source.toolkit.fluxcd.io/v1/namespaces/flux-system/externalartifacts")"
check "controller creates leases" 201 "$(req "$work/x" "${ctrl[@]}" \
	-X POST -H 'Content-Type: application/json' \
	-d '{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"smoke"}}' \
	"$S/apis/coordination.k8s.io/v1/namespaces/flux-system/leases")"
review='{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}'
req "$work/who" "${ctrl[@]}" -X POST -H 'Content-Type: application/json' -d "$review" \
	"$S/apis/authentication.k8s.io/v1/selfsubjectreviews" >/dev/null
if grep -q "\"username\": *\"$PLANE_CONTROLLER_USER\"" "$work/who"; then
	ok "controller token authenticates as $PLANE_CONTROLLER_USER"
else
	bad "controller token identity: $(head -c 300 "$work/who")"
fi

# TLS: the plane's CA verifies the server, another CA does not.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/other.key" -out "$work/other.crt" \
	-days 1 -subj "/CN=other-ca" >/dev/null 2>&1
curl -s -o /dev/null --cacert "$work/other.crt" "${admin[@]}" "$S/readyz"
check "server refused with another CA (curl exit 60)" 60 "$?"

# Client certificate authentication (CN=ag-client, O=system:masters).
check "client certificate lists namespaces" 200 "$(req "$work/x" \
	--cert "$PLANE_CLIENT_CERT" --key "$PLANE_CLIENT_KEY" "$S/api/v1/namespaces")"
req "$work/who" --cert "$PLANE_CLIENT_CERT" --key "$PLANE_CLIENT_KEY" -X POST \
	-H 'Content-Type: application/json' -d "$review" \
	"$S/apis/authentication.k8s.io/v1/selfsubjectreviews" >/dev/null
if grep -q '"username": *"ag-client"' "$work/who" && grep -q '"system:masters"' "$work/who"; then
	ok "client certificate authenticates as ag-client in system:masters"
else
	bad "client certificate identity: $(head -c 300 "$work/who")"
fi

# The kubeconfigs carry working credentials and the plane's CA.
kc_field() { sed -n "s/^ *$1: //p" "$2" | head -1; }
check "controller.kubeconfig token is the controller's" "$PLANE_CONTROLLER_TOKEN" \
	"$(kc_field token "$PLANE_CONTROLLER_KUBECONFIG")"
kc_field certificate-authority-data "$PLANE_CLIENT_KUBECONFIG" | base64 -d >"$work/kc-ca.crt"
kc_field client-certificate-data "$PLANE_CLIENT_KUBECONFIG" | base64 -d >"$work/kc.crt"
kc_field client-key-data "$PLANE_CLIENT_KUBECONFIG" | base64 -d >"$work/kc.key"
check "client.kubeconfig CA and certificate authenticate" 200 "$(curl -s -o /dev/null -w '%{http_code}' \
	--cacert "$work/kc-ca.crt" --cert "$work/kc.crt" --key "$work/kc.key" \
	"$(kc_field server "$PLANE_CLIENT_KUBECONFIG")/api/v1/namespaces/flux-system")"

# The ArtifactGenerator schema: a valid object is accepted, the CEL rule and
# the field patterns reject invalid ones.
ag() { # ag NAME ARTIFACT-NAME TO [PATHPATTERN]
	local pp=""
	[ -z "${4:-}" ] || pp=",\"pathPattern\":\"$4\""
	printf '{"apiVersion":"source.extensions.fluxcd.io/v1beta1","kind":"ArtifactGenerator",'
	printf '"metadata":{"name":"%s"},"spec":{"sources":[{"alias":"repo","kind":"GitRepository","name":"app"}]%s,' "$1" "$pp"
	printf '"artifacts":[{"name":"%s","copy":[{"from":"@repo/deploy/**","to":"%s"}]}]}}' "$2" "$3"
}
agurl=$S/apis/source.extensions.fluxcd.io/v1beta1/namespaces/flux-system/artifactgenerators
post() { req "$work/ag" "${admin[@]}" -X POST -H 'Content-Type: application/json' -d "$1" "$agurl"; }
check "valid ArtifactGenerator accepted" 201 "$(post "$(ag smoke-ok app-manifests '@artifact/deploy/')")"
check "invalid artifact name without pathPattern rejected" 422 "$(post "$(ag smoke-cel '{app}-x' '@artifact/')")"
if grep -q 'artifact names must be valid Kubernetes object names' "$work/ag"; then
	ok "CEL rule message returned"
else
	bad "CEL rule message missing: $(head -c 300 "$work/ag")"
fi
check "placeholder artifact name with pathPattern accepted" 201 \
	"$(post "$(ag smoke-pp '{app}-x' '@artifact/' '@repo/apps/{app}')")"
check "'..' in copy.to rejected" 422 "$(post "$(ag smoke-dotdot app '@artifact/../x')")"
check "status subresource served" 200 "$(req "$work/x" "${admin[@]}" "$agurl/smoke-ok/status")"
check "controller patches artifactgenerator status" 200 "$(req "$work/x" "${ctrl[@]}" -X PATCH \
	-H 'Content-Type: application/merge-patch+json' \
	-d '{"status":{"observedSourcesDigest":"sha256:0"}}' "$agurl/smoke-ok/status")"
check "controller creates events" 201 "$(req "$work/x" "${ctrl[@]}" -X POST \
	-H 'Content-Type: application/json' \
	-d '{"apiVersion":"v1","kind":"Event","metadata":{"name":"smoke.1"},"involvedObject":{"kind":"ArtifactGenerator","name":"smoke-ok","namespace":"flux-system"},"reason":"Smoke","message":"smoke","type":"Normal"}' \
	"$S/api/v1/namespaces/flux-system/events")"

# plane-down stops both processes and removes the temp dir.
"$ROOT/scripts/plane-down.sh" >/dev/null
left=""
for pid in "$PLANE_ETCD_PID" "$PLANE_APISERVER_PID"; do
	kill -0 "$pid" 2>/dev/null && left="$left $pid"
done
check "plane-down stopped etcd and kube-apiserver" "" "$left"
check "plane-down removed the temp dir" no "$([ -e "$PLANE_TMP" ] && echo yes || echo no)"
check "plane-down removed plane.env" no "$([ -e "$PLANE_DIR/plane.env" ] && echo yes || echo no)"
