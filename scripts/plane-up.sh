#!/usr/bin/env bash
# Starts the integration control plane on loopback: etcd (data in a temp dir)
# and kube-apiserver (secure port only, RBAC, token, client-certificate and
# service-account auth), then applies the source-controller CRDs (from the Go
# module cache), manifests/crd and manifests/rbac, and waits for the CRDs to
# be Established. Binaries come from scripts/plane-build.sh (run if missing).
#
# State in $PLANE_DIR (default build/plane), for the tests to use:
#   plane.env              ports, pids, URLs, tokens, paths (shell syntax)
#   admin.kubeconfig       token of user "plane-admin" (group system:masters)
#   controller.kubeconfig  token of system:serviceaccount:flux-system:artifact-generator
#   client.kubeconfig      client certificate CN=ag-client, O=system:masters
#   ca.crt, client.crt, client.key, logs/{etcd,kube-apiserver,apply}.log
# Stop with scripts/plane-down.sh. On any failure this script stops what it
# started and removes its temp dir itself.
# PLANE_APF=true turns API Priority and Fairness on (the suites run without
# it, the benchmark with it); PLANE_PROFILING=true serves the API server's
# /debug/pprof to the admin token (to see where its CPU goes under a bench:
# `go tool pprof` on /debug/pprof/profile?seconds=N).
set -euo pipefail
. "$(dirname "$0")/plane/lib.sh"

plane_need go openssl curl sha256sum awk base64
t_start=$(date +%s.%N)
PLANE_DIR=${PLANE_DIR:-$PLANE_ROOT/build/plane}
mkdir -p "$PLANE_DIR"
PLANE_DIR=$(cd "$PLANE_DIR" && pwd)
if [ -f "$PLANE_DIR/plane.env" ]; then
	plane_die "a plane is already up in $PLANE_DIR (scripts/plane-down.sh stops it)"
fi

plane_versions
bin=$PLANE_CACHE/bin
planeapply=$bin/planeapply-$(plane_apply_hash)
if [ ! -x "$bin/kube-apiserver" ] || [ ! -x "$bin/etcd" ] || [ ! -x "$planeapply" ]; then
	"$PLANE_ROOT/scripts/plane-build.sh"
fi
sc_crds=$(plane_sc_crd_dir) || exit 1

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ag-plane.XXXXXX")
echo "$tmp" >"$PLANE_DIR/tmpdir"
logs=$PLANE_DIR/logs
mkdir -p "$logs" "$PLANE_DIR/pids"

fail_cleanup() {
	local rc=$?
	[ $rc -eq 0 ] && return 0
	echo "plane-up: failed (exit $rc); logs in $logs" >&2
	local f
	for f in "$logs"/*.log; do
		[ -s "$f" ] || continue
		echo "--- last lines of $f" >&2
		tail -n 15 "$f" >&2
	done
	PLANE_DIR=$PLANE_DIR "$PLANE_ROOT/scripts/plane-down.sh" >&2 || true
	exit $rc
}
trap fail_cleanup EXIT

# ---- credentials -----------------------------------------------------------
pki=$PLANE_DIR/pki
mkdir -p "$pki"
(
	cd "$pki"
	exec 2>"$logs/openssl.log"
	# RSA for everything a TLS client meets (widest support), generated in
	# parallel; P-256 for the service-account signing key (apiserver only).
	for k in ca serving client; do
		openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out $k.key &
	done
	openssl genpkey -quiet -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out sa.key
	wait
	openssl req -x509 -key ca.key -out ca.crt -days 7 \
		-subj "/CN=artifact-generator-plane-ca" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
	cat >serving.ext <<'EXT'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost
EXT
	openssl req -new -key serving.key -out serving.csr -subj "/CN=localhost"
	openssl x509 -req -in serving.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 7 \
		-extfile serving.ext -out serving.crt
	cat >client.ext <<'EXT'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth
EXT
	openssl req -new -key client.key -out client.csr -subj "/O=system:masters/CN=ag-client"
	openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 7 \
		-extfile client.ext -out client.crt
	openssl pkey -in sa.key -pubout -out sa.pub
	rm -f ./*.csr ./*.ext
	chmod 600 ./*.key
)
cp "$pki/ca.crt" "$pki/client.crt" "$pki/client.key" "$PLANE_DIR/"
admin_token=$(openssl rand -hex 24)
controller_token=$(openssl rand -hex 24)
sa_user=system:serviceaccount:flux-system:artifact-generator
umask 077
cat >"$pki/tokens.csv" <<CSV
$admin_token,plane-admin,plane-admin,"system:masters,system:authenticated"
$controller_token,$sa_user,artifact-generator,"system:serviceaccounts,system:serviceaccounts:flux-system,system:authenticated"
CSV
# PLANE_AUDIT=1: an audit log of every write (Metadata level) in
# $PLANE_AUDIT_LOG, and a second token of the controller's service account
# (controller2.kubeconfig) whose audit events carry user.uid
# artifact-generator-2, so a test tells two controller processes apart.
audit_args=()
audit_log=
controller2_token=
if [ "${PLANE_AUDIT:-0}" = 1 ]; then
	controller2_token=$(openssl rand -hex 24)
	echo "$controller2_token,$sa_user,artifact-generator-2,\"system:serviceaccounts,system:serviceaccounts:flux-system,system:authenticated\"" >>"$pki/tokens.csv"
	cat >"$pki/audit-policy.yaml" <<POLICY
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: None
  verbs: [get, list, watch]
- level: Metadata
POLICY
	audit_log=$logs/audit.log
	audit_args=(--audit-log-path "$audit_log" --audit-policy-file "$pki/audit-policy.yaml")
fi
umask 022
t_pki=$(date +%s.%N)

# wait_for WHAT PID SECONDS CMD...: polls CMD every 0.1 s while PID lives;
# returns 1 if PID exits first, 2 on timeout.
wait_for() {
	local what=$1 pid=$2 secs=$3 i
	shift 3
	for i in $(seq 1 $((secs * 10))); do
		"$@" >/dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || { echo "plane: $what exited before it was ready" >&2; return 1; }
		sleep 0.1
	done
	echo "plane: $what not ready after $secs s" >&2
	return 2
}

# A process that exited because its port was taken meanwhile (another program
# picked the same free port) is retried with new ports; anything else is fatal.
lost_port_race() { grep -q 'address already in use' "$1"; }

# ---- etcd --------------------------------------------------------------------
start_etcd() {
	etcd_client=$1 etcd_peer=$2
	rm -rf "$tmp/etcd"
	"$bin/etcd" --name plane --data-dir "$tmp/etcd" \
		--listen-client-urls "http://127.0.0.1:$etcd_client" \
		--advertise-client-urls "http://127.0.0.1:$etcd_client" \
		--listen-peer-urls "http://127.0.0.1:$etcd_peer" \
		--initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
		--initial-cluster "plane=http://127.0.0.1:$etcd_peer" \
		--unsafe-no-fsync --log-level warn >"$logs/etcd.log" 2>&1 </dev/null &
	etcd_pid=$!
	echo "$etcd_pid $bin/etcd" >"$PLANE_DIR/pids/etcd"
	wait_for etcd "$etcd_pid" 20 curl -sf "http://127.0.0.1:$etcd_client/health"
}

# ---- kube-apiserver ----------------------------------------------------------
start_apiserver() {
	api_port=$1
	"$bin/kube-apiserver" \
		--etcd-servers "http://127.0.0.1:$etcd_client" \
		--bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
		--cert-dir "$tmp/apiserver-certs" \
		--tls-cert-file "$pki/serving.crt" --tls-private-key-file "$pki/serving.key" \
		--client-ca-file "$pki/ca.crt" \
		--token-auth-file "$pki/tokens.csv" \
		--anonymous-auth=false \
		--authorization-mode RBAC \
		--service-account-issuer https://kubernetes.default.svc.cluster.local \
		--service-account-key-file "$pki/sa.pub" \
		--service-account-signing-key-file "$pki/sa.key" \
		--service-cluster-ip-range 10.96.0.0/24 \
		--endpoint-reconciler-type none \
		--enable-priority-and-fairness="${PLANE_APF:-false}" \
		--profiling="${PLANE_PROFILING:-false}" ${audit_args[@]+"${audit_args[@]}"} \
		>"$logs/kube-apiserver.log" 2>&1 </dev/null &
	api_pid=$!
	echo "$api_pid $bin/kube-apiserver" >"$PLANE_DIR/pids/kube-apiserver"
	server=https://127.0.0.1:$api_port
	wait_for kube-apiserver "$api_pid" 60 curl -sf --cacert "$pki/ca.crt" \
		-H "Authorization: Bearer $admin_token" "$server/readyz"
}

for attempt in 1 2 3; do
	mapfile -t ports < <(plane_free_ports 2) && [ ${#ports[@]} -eq 2 ] ||
		plane_die "no free loopback ports"
	start_etcd "${ports[0]}" "${ports[1]}" && break
	rc=$?
	plane_stop_pidfile "$PLANE_DIR/pids/etcd"
	{ [ $rc -eq 1 ] && lost_port_race "$logs/etcd.log" && [ $attempt -lt 3 ]; } ||
		plane_die "etcd did not start"
	echo "plane: etcd lost a port race, retrying with new ports" >&2
done
t_etcd=$(date +%s.%N)

for attempt in 1 2 3; do
	mapfile -t ports < <(plane_free_ports 1) && [ ${#ports[@]} -eq 1 ] ||
		plane_die "no free loopback port"
	start_apiserver "${ports[0]}" && break
	rc=$?
	plane_stop_pidfile "$PLANE_DIR/pids/kube-apiserver"
	{ [ $rc -eq 1 ] && lost_port_race "$logs/kube-apiserver.log" && [ $attempt -lt 3 ]; } ||
		plane_die "kube-apiserver did not start"
	echo "plane: kube-apiserver lost a port race, retrying with a new port" >&2
done
t_api=$(date +%s.%N)

# ---- kubeconfigs and env -----------------------------------------------------
b64() { base64 -w0 <"$1"; }
# kubeconfig FILE USER AUTH-LINES: a one-context kubeconfig for $server.
kubeconfig() {
	umask 077
	cat >"$PLANE_DIR/$1" <<KC
apiVersion: v1
kind: Config
clusters:
- name: plane
  cluster:
    server: $server
    certificate-authority-data: $(b64 "$pki/ca.crt")
users:
- name: $2
  user:
$3
contexts:
- name: plane
  context:
    cluster: plane
    user: $2
    namespace: flux-system
current-context: plane
KC
	umask 022
}
kubeconfig admin.kubeconfig plane-admin "    token: $admin_token"
kubeconfig controller.kubeconfig "$sa_user" "    token: $controller_token"
if [ -n "$controller2_token" ]; then
	kubeconfig controller2.kubeconfig "$sa_user" "    token: $controller2_token"
fi
kubeconfig client.kubeconfig ag-client "    client-certificate-data: $(b64 "$pki/client.crt")
    client-key-data: $(b64 "$pki/client.key")"

"$planeapply" -kubeconfig "$PLANE_DIR/admin.kubeconfig" -timeout 60s \
	"$sc_crds" "$PLANE_ROOT/manifests/crd" "$PLANE_ROOT/manifests/rbac" >"$logs/apply.log" 2>&1 ||
	plane_die "applying the CRDs and RBAC failed (see $logs/apply.log)"
t_end=$(date +%s.%N)

umask 077
cat >"$PLANE_DIR/plane.env.tmp" <<ENV
# Written by scripts/plane-up.sh; removed by scripts/plane-down.sh.
PLANE_DIR=$PLANE_DIR
PLANE_TMP=$tmp
PLANE_SERVER=$server
PLANE_API_PORT=$api_port
PLANE_ETCD_CLIENT_PORT=$etcd_client
PLANE_ETCD_PEER_PORT=$etcd_peer
PLANE_ETCD_PID=$etcd_pid
PLANE_APISERVER_PID=$api_pid
PLANE_CA=$PLANE_DIR/ca.crt
PLANE_CLIENT_CERT=$PLANE_DIR/client.crt
PLANE_CLIENT_KEY=$PLANE_DIR/client.key
PLANE_ADMIN_TOKEN=$admin_token
PLANE_CONTROLLER_TOKEN=$controller_token
PLANE_CONTROLLER_USER=$sa_user
PLANE_ADMIN_KUBECONFIG=$PLANE_DIR/admin.kubeconfig
PLANE_CONTROLLER_KUBECONFIG=$PLANE_DIR/controller.kubeconfig
PLANE_CLIENT_KUBECONFIG=$PLANE_DIR/client.kubeconfig
PLANE_AUDIT_LOG=$audit_log
PLANE_KUBE_VERSION=$KUBE_VERSION
PLANE_ETCD_VERSION=$ETCD_VERSION
PLANE_SOURCE_CONTROLLER_VERSION=$SOURCE_CONTROLLER_VERSION
ENV
mv "$PLANE_DIR/plane.env.tmp" "$PLANE_DIR/plane.env"
umask 022
trap - EXIT

awk -v s="$t_start" -v p="$t_pki" -v e="$t_etcd" -v a="$t_api" -v z="$t_end" -v srv="$server" 'BEGIN {
	printf "plane-up: %s ready in %.1f s (setup+certs %.1f s, etcd %.1f s, kube-apiserver %.1f s, apply %.1f s)\n",
		srv, z - s, p - s, e - p, a - e, z - a }'
echo "plane-up: state in $PLANE_DIR (source $PLANE_DIR/plane.env)"
