#!/usr/bin/env bash
# demo: the controller end to end on a private local control plane (`make
# demo`). Starts etcd + kube-apiserver (scripts/plane-up.sh, its own
# PLANE_DIR), serves the sample sources of examples/sources as tarballs from
# a loopback HTTP server, creates the Flux source objects the examples name
# with a status pointing at those tarballs (as source-controller would),
# applies examples/generators/*.yaml, runs bin/artifact-generator as the
# service account of manifests/rbac, waits for Ready, prints the
# ExternalArtifacts, downloads one from the controller's own artifact server
# and lists its files, then changes one file of one app in the platform
# monorepo and prints every artifact before and after.
#
# Everything it starts (plane, tarball server, controller) is stopped and its
# temp dir removed on exit, also on Ctrl-C or failure (KEEP_WORK=1 keeps the
# dir). The example files in the repository are never modified: the
# monorepo is changed in a copy. Every wait is bounded. Python 3's standard
# library reads the JSON; nothing beyond the bootstrap's test packages.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/bin/artifact-generator
# shellcheck source=plane/lib.sh
. "$ROOT/scripts/plane/lib.sh"

NS=apps
WAIT=30	# seconds any one convergence may take
t0=$(date +%s.%N)
work=$(mktemp -d "${TMPDIR:-/tmp}/ag-demo.XXXXXX")
export PLANE_DIR=$work/plane
ctl_pid='' srv_pid='' srv_exe=''

step() { awk -v t0="$t0" -v now="$(date +%s.%N)" -v m="$*" 'BEGIN { printf "\n[%5.1f s] %s\n", now - t0, m }'; }
die() { echo "demo: FAILED: $*" >&2; exit 1; }

# ---- cleanup -------------------------------------------------------------------
# running PID EXE: PID is alive and still runs EXE (a reused pid is left alone).
running() { [ -n "$1" ] && [ -n "$2" ] && [ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$(readlink -f "$2")" ]; }
stop_pid() {
	local pid=$1 exe=$2 i
	running "$pid" "$exe" || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 100; i++)); do
		running "$pid" "$exe" || break
		sleep 0.1
	done
	running "$pid" "$exe" && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || true
}
# fds 3 and 4 keep the demo's stdout and stderr: a trap runs inside the
# redirections of the command it interrupts (poll's >/dev/null).
exec 3>&1 4>&2
finish() {
	local rc=$?
	trap - EXIT INT TERM
	exec 1>&3 2>&4
	if [ $rc -ne 0 ] && [ $rc -ne 130 ] && [ -s "$work/controller.log" ]; then
		echo "--- last lines of the controller's log" >&2
		tail -n 20 "$work/controller.log" | cut -c1-300 >&2
	fi
	stop_pid "$ctl_pid" "$BIN"
	stop_pid "$srv_pid" "$srv_exe"
	"$ROOT/scripts/plane-down.sh" >/dev/null 2>&1 || true
	if [ "${KEEP_WORK:-0}" = 1 ]; then echo "demo: work dir kept: $work"; else rm -rf "$work"; fi
	if [ $rc -eq 0 ]; then step "demo: passed, everything it started is stopped"
	else echo "demo: stopped everything it started (exit $rc)" >&2; fi
	exit $rc
}
trap finish EXIT
trap 'echo >&3; echo "demo: interrupted" >&4; exit 130' INT TERM

# ---- the API, as the plane's admin ------------------------------------------------
# api METHOD PATH [BODY [CONTENT-TYPE]]: the answer's body on stdout; fails
# (naming the request) unless the status is 2xx.
api() {
	local args=() code
	[ -z "${3:-}" ] || args=(-H "Content-Type: ${4:-application/json}" --data-binary "$3")
	code=$(curl -s --max-time 10 --cacert "$PLANE_CA" -H "Authorization: Bearer $PLANE_ADMIN_TOKEN" \
		-X "$1" -o "$work/body" -w '%{http_code}' "${args[@]}" "$PLANE_SERVER$2") || code=000
	case $code in 2*) cat "$work/body" ;; *)
		echo "demo: $1 $2: HTTP $code: $(head -c 300 "$work/body")" >&2
		return 1 ;;
	esac
}
# py CODE: runs Python CODE with the JSON on stdin as `d`.
py() { python3 -c "import json, sys
d = json.load(sys.stdin)
$1"; }
AG=/apis/source.extensions.fluxcd.io/v1beta1/namespaces/$NS/artifactgenerators
EA=/apis/source.toolkit.fluxcd.io/v1/namespaces/$NS/externalartifacts
src_path() { echo "/apis/source.toolkit.fluxcd.io/v1/namespaces/$NS/$1"; }

# poll SECONDS CMD...: CMD every 0.2 s until it succeeds or SECONDS pass, or
# the controller exits.
poll() {
	local n=$(($1 * 5)) i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		[ -z "$ctl_pid" ] || running "$ctl_pid" "$BIN" || die "the controller exited"
		sleep 0.2
	done
	return 1
}

# ---- sources --------------------------------------------------------------------
# publish PLURAL KIND NAME TREE REV-PREFIX: a reproducible tarball of TREE
# under the server's root, named by its digest, then the object's
# status.artifact pointing at it and Ready=True. Prints the revision.
publish() {
	local plural=$1 kind=$2 name=$3 tree=$4 tmp=$work/tmp.tgz hex rel rev now body
	tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$tree" -cf - . | gzip -n >"$tmp"
	hex=$(sha256sum "$tmp" | cut -c1-64)
	rel=$(tr A-Z a-z <<<"$kind")/$NS/$name/$hex.tar.gz
	mkdir -p "$work/srv/$(dirname "$rel")"
	mv "$tmp" "$work/srv/$rel"
	case $5 in
	git) rev=main@sha1:${hex:0:40} ;;	# stands in for the commit id
	*) rev=$5@sha256:$hex ;;
	esac
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	body=$(printf '{"status":{"artifact":{"path":"%s","url":"http://127.0.0.1:%s/%s","digest":"sha256:%s","revision":"%s","size":%s,"lastUpdateTime":"%s"},"conditions":[{"type":"Ready","status":"True","reason":"Succeeded","message":"stored artifact for revision %s","lastTransitionTime":"%s"}]}}' \
		"$rel" "$srv_port" "$rel" "$hex" "$rev" "$(stat -c %s "$work/srv/$rel")" "$now" "$rev" "$now")
	api PATCH "$(src_path "$plural")/$name/status" "$body" application/merge-patch+json >/dev/null
	echo "$rev"
}
# source_create PLURAL KIND NAME SPEC: the object, no status yet.
source_create() {
	api POST "$(src_path "$1")" "{\"apiVersion\":\"source.toolkit.fluxcd.io/v1\",\"kind\":\"$2\",\"metadata\":{\"name\":\"$3\",\"namespace\":\"$NS\"},\"spec\":$4}" >/dev/null
}
srv_start() {
	mkdir -p "$work/srv"
	python3 -m http.server --bind 127.0.0.1 --directory "$work/srv" "$srv_port" >"$work/srv.log" 2>&1 &
	srv_pid=$!
	poll 10 curl -sf -o /dev/null "http://127.0.0.1:$srv_port/" ||
		die "the tarball server did not start on 127.0.0.1:$srv_port: $(tail -2 "$work/srv.log")"
	# python3 may be a wrapper (pyenv) that execs the interpreter: what runs now.
	srv_exe=$(readlink "/proc/$srv_pid/exe")
}

# ---- the controller and what it publishes -------------------------------------------
ctl_start() {
	RUNTIME_NAMESPACE=flux-system "$BIN" --kubeconfig="$PLANE_CONTROLLER_KUBECONFIG" \
		--storage-path="$work/storage" \
		--storage-addr="127.0.0.1:$store_port" --storage-adv-addr="127.0.0.1:$store_port" \
		--metrics-addr="127.0.0.1:$metrics_port" --health-addr="127.0.0.1:$health_port" \
		--requeue-dependency=1s --log-encoding=console \
		>"$work/controller.log" 2>&1 </dev/null &
	ctl_pid=$!
}
# ready NAME: the generator's Ready condition is True for its generation.
ready() {
	api GET "$AG/$1" | py 'c = [x for x in d.get("status", {}).get("conditions", []) if x["type"] == "Ready"]
sys.exit(0 if c and c[0]["status"] == "True" and c[0].get("observedGeneration") == d["metadata"]["generation"] else 1)'
}
# sources_digest NAME: the generator's status.observedSourcesDigest.
sources_digest() { api GET "$AG/$1" | py 'print(d.get("status", {}).get("observedSourcesDigest", ""))'; }
sources_digest_is_not() { [ "$(sources_digest "$1")" != "$2" ] && ready "$1"; }
# artifacts: "name revision digest url" of each ExternalArtifact, sorted.
artifacts() {
	api GET "$EA" | py 'for o in sorted(d["items"], key=lambda o: o["metadata"]["name"]):
    a = o.get("status", {}).get("artifact", {})
    print(o["metadata"]["name"], a.get("revision", "-"), a.get("digest", "-"), a.get("url", "-"))'
}
metric() { curl -sf --max-time 5 "http://127.0.0.1:$metrics_port/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
# print_artifacts FILE: the table of an `artifacts` snapshot, URLs included.
print_artifacts() {
	local name rev digest url
	printf '  %-14s %-26s %-21s %s\n' NAME REVISION DIGEST URL
	while read -r name rev digest url; do
		printf '  %-14s %-26s %-21s %s\n' "$name" "$(cut -c1-24 <<<"$rev").." "$(cut -c1-19 <<<"$digest").." "$url"
	done <"$1"
}
# hex8 REV-OR-DIGEST: the first 8 hex digits after the last ':'.
hex8() { cut -c1-8 <<<"${1##*:}"; }
# print_change BEFORE AFTER: each artifact's revision and digest before and
# after, and whether its content changed.
print_change() {
	local name rev digest url rev2 digest2 what
	printf '  %-14s %-28s %-28s %s\n' NAME "REVISION before -> after" "DIGEST before -> after" CONTENT
	while read -r name rev digest url; do
		read -r _ rev2 digest2 _ < <(grep "^$name " "$2")
		what=unchanged
		[ "$digest" = "$digest2" ] || what="CHANGED"
		printf '  %-14s %-28s %-28s %s\n' "$name" "$(hex8 "$rev") -> $(hex8 "$rev2")" \
			"$(hex8 "$digest") -> $(hex8 "$digest2")" "$what"
	done <"$1"
}

# ---- the demo's steps ----------------------------------------------------------------
# plane_start: the private plane, its env, the demo's loopback ports.
plane_start() {
	local ports
	step "starting a private control plane (etcd + kube-apiserver on loopback, state in $PLANE_DIR)"
	"$ROOT/scripts/plane-up.sh" >"$work/plane-up.log" 2>&1 || { cat "$work/plane-up.log" >&2; die "plane-up"; }
	grep '^plane-up: .* ready in' "$work/plane-up.log" | sed 's/^/  /'
	set -a
	# shellcheck disable=SC1091
	. "$PLANE_DIR/plane.env"
	set +a
	mapfile -t ports < <(plane_free_ports 4) && [ ${#ports[@]} -eq 4 ] || die "no free loopback ports"
	srv_port=${ports[0]} store_port=${ports[1]} metrics_port=${ports[2]} health_port=${ports[3]}
}
# sources_start: the tarball server and the three Flux sources the examples name.
sources_start() {
	local git_spec
	step "serving examples/sources as tarballs on http://127.0.0.1:$srv_port (as source-controller would)"
	srv_start
	mkdir -p "$work/trees"
	cp -r "$ROOT/examples/sources/platform" "$work/trees/platform"	# changed below, in this copy
	api POST /api/v1/namespaces "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$NS\"}}" >/dev/null
	git_spec='{"interval":"1m","url":"https://example.invalid/repo.git","ref":{"branch":"main"}}'
	source_create ocirepositories OCIRepository podinfo-chart '{"interval":"1m","url":"oci://example.invalid/charts/podinfo"}'
	source_create gitrepositories GitRepository fleet-config "$git_spec"
	source_create gitrepositories GitRepository platform "$git_spec"
	printf '  OCIRepository %s/podinfo-chart  %s\n' "$NS" "$(publish ocirepositories OCIRepository podinfo-chart "$ROOT/examples/sources/chart" 6.7.0)"
	printf '  GitRepository %s/fleet-config   %s\n' "$NS" "$(publish gitrepositories GitRepository fleet-config "$ROOT/examples/sources/overlay" git)"
	printf '  GitRepository %s/platform       %s\n' "$NS" "$(publish gitrepositories GitRepository platform "$work/trees/platform" git)"
}
# generators_run: the examples applied, the controller started, Ready awaited.
generators_run() {
	local f g
	step "applying examples/generators/*.yaml"
	for f in "$ROOT"/examples/generators/*.yaml; do
		api POST "$AG" "$(cat "$f")" application/yaml | py 'print("  ArtifactGenerator %s/%s created" % (d["metadata"]["namespace"], d["metadata"]["name"]))'
	done
	step "running the controller: bin/artifact-generator as the service account of manifests/rbac"
	ctl_start
	echo "  artifacts served on http://127.0.0.1:$store_port, metrics on http://127.0.0.1:$metrics_port/metrics"
	echo "  log: $work/controller.log"
	for g in podinfo platform; do
		poll "$WAIT" ready "$g" || die "generator $NS/$g not Ready within $WAIT s: $(api GET "$AG/$g" | head -c 600)"
	done
	step "both generators are Ready; the ExternalArtifacts they published:"
	artifacts >"$work/before"
	print_artifacts "$work/before"
}
# download NAME: the artifact from the controller's server, checked and listed.
download() {
	local name=$1 digest url got
	read -r _ _ digest url < <(grep "^$name " "$work/before")
	step "downloading $name from the controller's artifact server"
	echo "  curl $url"
	curl -sf --max-time 10 -o "$work/$name.tar.gz" "$url" || die "GET $url failed"
	got=sha256:$(sha256sum "$work/$name.tar.gz" | cut -c1-64)
	[ "$got" = "$digest" ] || die "artifact $name: downloaded digest $got, status says $digest"
	echo "  $(stat -c %s "$work/$name.tar.gz") bytes, digest matches status.artifact.digest; tar -tzf:"
	tar -tzf "$work/$name.tar.gz" | sed 's/^/    /'
	echo "  values.yaml (the chart's values with the overlay deep-merged, strategy: Merge):"
	tar -xzOf "$work/$name.tar.gz" values.yaml | sed 's/^/    /'
}
# change_one_app: a file of backend's base in the monorepo, then every
# artifact before and after.
change_one_app() {
	local f=apps/backend/base/deployment.yaml old built0 reused0 built reused
	step "changing one file of one app in the platform monorepo: $f (image 1.0.0 -> 1.1.0)"
	built0=$(metric artifact_generator_artifacts_built_total)
	reused0=$(metric artifact_generator_artifacts_reused_total)
	old=$(sources_digest platform)
	sed -i 's/backend:1.0.0/backend:1.1.0/' "$work/trees/platform/$f"
	echo "  GitRepository $NS/platform now at $(publish gitrepositories GitRepository platform "$work/trees/platform" git)"
	poll "$WAIT" sources_digest_is_not platform "$old" ||
		die "generator $NS/platform did not follow the source change within $WAIT s"
	artifacts >"$work/after"
	step "after the change (first 8 hex digits of each revision and digest):"
	print_change "$work/before" "$work/after"
	built=$(($(metric artifact_generator_artifacts_built_total) - built0))
	reused=$(($(metric artifact_generator_artifacts_reused_total) - reused0))
	echo "  the controller archived $built new artifact(s) and reused $reused unchanged (artifact_generator_artifacts_{built,reused}_total)"
	echo "  Only backend's two artifacts have new content, so only they get a new revision"
	echo "  (latest@<digest of the content>; with revision: \"@platform\" every one would carry the commit)."
}

[ -x "$BIN" ] || die "$BIN is not built (make)"
plane_start
sources_start
generators_run
download podinfo-prod
change_one_app
step "stopping the controller, the tarball server and the plane"
