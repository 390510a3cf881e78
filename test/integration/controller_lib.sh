# Harness of the controller integration suite (test/integration/controller.sh),
# sourced, never run: named checks and bounded polls, the admin's REST calls
# to the private plane, Flux source objects whose status the test sets, a
# loopback tarball server the test controls (stop, restart on the same port,
# wrong bytes, a GET log), the controller as its own process, the dry-run
# front end as the oracle of expected artifacts, and the API server's write
# counter. Every function that waits is bounded in count and time.
#
# Needs: $ROOT (the repo), $work (a private temp dir, removed by the caller),
# the plane's env (plane.env, sourced by ct_plane_up). State lives in
# variables named ct_* and files under $work.

# shellcheck source=../../scripts/plane/lib.sh
. "$ROOT/scripts/plane/lib.sh"

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }
# check NAME WANT GOT: passes when GOT equals WANT.
check() {
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: want '$2', got '$3'"; fi
}

# poll SECONDS CMD...: runs CMD every 0.2 s until it succeeds (0) or SECONDS
# pass (1), or the controller started by ctl_start has exited (1). CMD's
# output is dropped.
poll() {
	local n=$(($1 * 5)) i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		if [ -n "${ct_pid:-}" ] && ! ctl_running; then
			return 1
		fi
		sleep 0.2
	done
	return 1
}
# wait_check NAME SECONDS CMD...: a named check that CMD succeeds in time.
wait_check() {
	local name=$1 secs=$2
	shift 2
	if poll "$secs" "$@"; then ok "$name"; return 0; fi
	bad "$name: not within $secs s$(ctl_running || echo ' (the controller is not running)')"
	ct_why "$@"
	return 1
}
# eq_cmd WANT CMD...: CMD prints WANT; ne_cmd OLD CMD...: CMD prints
# something else than OLD; absent PATH...: none of the paths exists.
eq_cmd() { local w=$1; shift; [ "$("$@")" = "$w" ]; }
ne_cmd() { local o=$1 v; shift; v=$("$@"); [ -n "$v" ] && [ "$v" != "$o" ]; }
absent() { local p; for p in "$@"; do [ ! -e "$p" ] || return 1; done; }
# ct_why CMD...: runs CMD once more, showing what it printed (for FAIL lines).
ct_why() {
	case $1 in eq_cmd | ne_cmd) echo "     want $( [ "$1" = ne_cmd ] && echo 'not ')'$2', got:"; shift 2 ;; esac
	"$@" 2>&1 | head -c 600 | sed 's/^/     /'
	echo
}

# ---- the plane ---------------------------------------------------------------
ct_plane_up() {
	"$ROOT/scripts/plane-up.sh" || return 1
	set -a
	# shellcheck disable=SC1091
	. "$PLANE_DIR/plane.env"
	set +a
}

# api METHOD PATH [BODY [CONTENT-TYPE]]: the admin's request (CT_TOKEN's
# when set); body of the
# answer on stdout, HTTP status in $work/code.
api() {
	local m=$1 p=$2 body=${3:-} ct=${4:-application/json} args=()
	[ -z "$body" ] || args=(-H "Content-Type: $ct" --data-binary "$body")
	curl -s --max-time 10 --cacert "$PLANE_CA" -H "Authorization: Bearer ${CT_TOKEN:-$PLANE_ADMIN_TOKEN}" \
		-X "$m" -o "$work/body" -w '%{http_code}' "${args[@]}" "$PLANE_SERVER$p" >"$work/code" ||
		echo 000 >"$work/code"
	cat "$work/body"
}
code() { cat "$work/code"; }
# capi ARGS...: api as the controller's service account.
capi() { CT_TOKEN=$PLANE_CONTROLLER_TOKEN api "$@"; }
# api_ok METHOD PATH [BODY [CT]]: api, failing (and saying so) unless 2xx.
api_ok() {
	api "$@" >/dev/null
	case $(code) in 2*) return 0 ;; esac
	echo "api $1 $2: HTTP $(code): $(head -c 300 "$work/body")" >&2
	return 1
}
y2j() { python3 -c 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'; }

ns_create() {
	api_ok POST /api/v1/namespaces "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"$1\"}}"
}

# Resource paths. src_path KIND NS NAME; ag_path NS NAME; ea_path NS NAME.
src_plural() {
	case $1 in
	GitRepository) echo gitrepositories ;; OCIRepository) echo ocirepositories ;;
	Bucket) echo buckets ;; HelmChart) echo helmcharts ;; ExternalArtifact) echo externalartifacts ;;
	*) echo "unknown source kind $1" >&2; return 1 ;;
	esac
}
src_path() { echo "/apis/source.toolkit.fluxcd.io/v1/namespaces/$2/$(src_plural "$1")/$3"; }
ag_path() { echo "/apis/source.extensions.fluxcd.io/v1beta1/namespaces/$1/artifactgenerators${2:+/$2}"; }
ea_path() { echo "/apis/source.toolkit.fluxcd.io/v1/namespaces/$1/externalartifacts${2:+/$2}"; }

# ---- sources -----------------------------------------------------------------
# src_spec KIND: the smallest spec each CRD accepts.
src_spec() {
	case $1 in
	GitRepository) echo '{"interval":"1h","url":"https://example.invalid/repo.git"}' ;;
	OCIRepository) echo '{"interval":"1h","url":"oci://example.invalid/repo"}' ;;
	Bucket) echo '{"interval":"1h","bucketName":"b","endpoint":"example.invalid"}' ;;
	HelmChart) echo '{"interval":"1h","chart":"app","sourceRef":{"kind":"HelmRepository","name":"charts"}}' ;;
	ExternalArtifact) echo '{}' ;;
	esac
}
# src_create KIND NS NAME: the object, with no status (not ready).
src_create() {
	local body
	body=$(jq -nc --arg k "$1" --arg ns "$2" --arg n "$3" --argjson s "$(src_spec "$1")" \
		'{apiVersion:"source.toolkit.fluxcd.io/v1",kind:$k,metadata:{name:$n,namespace:$ns},spec:$s}')
	api_ok POST "$(dirname "$(src_path "$1" "$2" "$3")")" "$body"
}

# mk_tar DIR OUT: a reproducible tar.gz of DIR's contents.
mk_tar() {
	tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$1" -cf - . |
		gzip -n >"$2"
}

# src_publish KIND NS NAME TREE [REVISION [ORIGIN]]: builds TREE's tarball
# under the server's root (named by its digest, so old ones stay served),
# then sets the object's status.artifact (the origin revision in metadata when
# given) and Ready=True. Sets ct_tgz (the tarball), ct_digest, ct_rev.
# With CT_WRONG_BYTES set, the server gets other bytes under that name before
# the status names it (so no fetch can see the right ones); the right
# tarball is kept as $ct_tgz.good.
src_publish() {
	local kind=$1 ns=$2 name=$3 tree=$4 hex rel tmp
	tmp=$work/srv-tmp.tgz
	mk_tar "$tree" "$tmp" || return 1
	hex=$(sha256sum "$tmp" | cut -c1-64)
	rel=$(echo "$kind" | tr A-Z a-z)/$ns/$name/$hex.tar.gz
	mkdir -p "$ct_srv_root/$(dirname "$rel")"
	ct_tgz=$ct_srv_root/$rel
	if [ -n "${CT_WRONG_BYTES:-}" ]; then
		mv "$tmp" "$ct_tgz.good"
		echo "not the artifact" | gzip -n >"$ct_tgz"
	else
		mv "$tmp" "$ct_tgz"
	fi
	ct_digest=sha256:$hex
	ct_rev=${5:-main@sha1:$(echo "$hex" | cut -c1-40)}
	src_status "$kind" "$ns" "$name" "$rel" "$ct_digest" "$ct_rev" "${6:-}" "$(stat -c %s "$ct_tgz")"
}
# src_status KIND NS NAME REL DIGEST REVISION ORIGIN SIZE: status.artifact
# pointing at http://<server>/REL and a Ready=True condition.
src_status() {
	local now body
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	body=$(jq -nc --arg rel "$4" --arg url "http://127.0.0.1:$ct_srv_port/$4" --arg d "$5" \
		--arg r "$6" --arg o "$7" --argjson size "$8" --arg now "$now" '{status:{
		artifact:({path:$rel,url:$url,digest:$d,revision:$r,size:$size,lastUpdateTime:$now}
			+ (if $o == "" then {metadata:null} else {metadata:{"org.opencontainers.image.revision":$o}} end)),
		conditions:[{type:"Ready",status:"True",reason:"Succeeded",
			message:("stored artifact for revision " + $r),lastTransitionTime:$now}]}}')
	api_ok PATCH "$(src_path "$1" "$2" "$3")/status" "$body" application/merge-patch+json
}
# src_unready KIND NS NAME: no artifact, Ready=False (a failing source).
src_unready() {
	local now body
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	body=$(jq -nc --arg now "$now" '{status:{artifact:null,conditions:[{type:"Ready",
		status:"False",reason:"GitOperationFailed",message:"clone failed",lastTransitionTime:$now}]}}')
	api_ok PATCH "$(src_path "$1" "$2" "$3")/status" "$body" application/merge-patch+json
}

# ---- the tarball server --------------------------------------------------------
# A python3 http.server over $ct_srv_root on 127.0.0.1:$ct_srv_port; every
# request is one line "METHOD PATH CODE" in $ct_srv_log.
srv_init() {
	ct_srv_root=$work/srv
	ct_srv_log=$work/srv.log
	mkdir -p "$ct_srv_root"
	: >"$ct_srv_log"
	cat >"$work/srv.py" <<'PY'
import functools, http.server, sys
root, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
class Handler(http.server.SimpleHTTPRequestHandler):
    def log_request(self, code="-", size="-"):
        with open(log, "a") as f:
            f.write("%s %s %s\n" % (self.command, self.path, getattr(code, "value", code)))
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer.allow_reuse_address = True
srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(Handler, directory=root))
srv.serve_forever()
PY
	ct_srv_port=$(plane_free_ports 1) || return 1
}
srv_start() {
	python3 "$work/srv.py" "$ct_srv_root" "$ct_srv_port" "$ct_srv_log" >>"$work/srv.err" 2>&1 &
	ct_srv_pid=$!
	ct_pid='' poll 10 curl -s -o /dev/null "http://127.0.0.1:$ct_srv_port/" || {
		echo "tarball server did not start on port $ct_srv_port: $(tail -3 "$work/srv.err")" >&2
		return 1
	}
}
srv_stop() {
	[ -n "${ct_srv_pid:-}" ] || return 0
	kill "$ct_srv_pid" 2>/dev/null
	wait "$ct_srv_pid" 2>/dev/null
	ct_srv_pid=
}
# srv_gets REL: how many GETs of /REL the server answered.
srv_gets() { grep -c "^GET /$1 " "$ct_srv_log"; }

# ---- the controller --------------------------------------------------------------
# ctl_start [FLAG...]: bin/artifact-generator as the controller's service
# account, storage in $ct_store served on 127.0.0.1:$ct_store_port; log in
# $work/ctl.N.log (N counts starts; $ct_log is the current one).
ctl_init() {
	ct_store=$work/storage
	mkdir -p "$ct_store"
	local p
	mapfile -t p < <(plane_free_ports 3) && [ ${#p[@]} -eq 3 ] || return 1
	ct_store_port=${p[0]} ct_metrics_port=${p[1]} ct_health_port=${p[2]}
	ct_starts=0
}
ctl_start() {
	ct_starts=$((ct_starts + 1))
	ct_log=$work/ctl.$ct_starts.log
	RUNTIME_NAMESPACE=flux-system "$ROOT/bin/artifact-generator" \
		--kubeconfig="$PLANE_CONTROLLER_KUBECONFIG" \
		--storage-path="$ct_store" \
		--storage-addr="127.0.0.1:$ct_store_port" --storage-adv-addr="127.0.0.1:$ct_store_port" \
		--metrics-addr="127.0.0.1:$ct_metrics_port" --health-addr="127.0.0.1:$ct_health_port" \
		--requeue-dependency=1s --http-retry=1 --log-level=debug "$@" \
		>"$ct_log" 2>&1 </dev/null &
	ct_pid=$!
}
# ctl_running: the process started is alive and still the controller (a
# pid reused by another process, even one of ours, is never signalled).
ctl_running() {
	[ -n "${ct_pid:-}" ] &&
		[ "$(readlink "/proc/$ct_pid/exe" 2>/dev/null)" = "$(readlink -f "$ROOT/bin/artifact-generator")" ]
}
# ctl_stop: SIGTERM; a named check that it exits 0 within 10 s (KILL after).
ctl_stop() {
	local rc i
	[ -n "${ct_pid:-}" ] || return 0
	if ! ctl_running; then
		wait "$ct_pid" 2>/dev/null
		bad "controller (start $ct_starts) exited before SIGTERM, status $?"
		ct_pid=
		return
	fi
	kill -TERM "$ct_pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		ctl_running || break
		sleep 0.1
	done
	if ctl_running; then
		kill -KILL "$ct_pid" 2>/dev/null
		wait "$ct_pid" 2>/dev/null
		bad "controller (start $ct_starts) exits on SIGTERM within 10 s: still running, killed"
	else
		wait "$ct_pid"
		rc=$?
		check "controller (start $ct_starts) exits 0 on SIGTERM within 10 s" 0 "$rc"
	fi
	ct_pid=
}
# ctl_log_tail: the controller's last log lines, shown after a failure.
ctl_log_tail() {
	[ -n "${ct_log:-}" ] && [ -s "$ct_log" ] || return 0
	echo "--- last lines of the controller's log ($ct_log)"
	tail -n "${1:-40}" "$ct_log" | cut -c1-400
}

# ---- generators and what they publish --------------------------------------------------
# ag_apply YAML: creates or replaces the generator described by YAML (stdin
# when "-"), keeping the stored object's resourceVersion on an update.
ag_apply() {
	local j ns name cur
	if [ "${1:--}" = - ]; then j=$(y2j); else j=$(y2j <"$1"); fi || return 1
	ns=$(jq -r .metadata.namespace <<<"$j")
	name=$(jq -r .metadata.name <<<"$j")
	cur=$(api GET "$(ag_path "$ns" "$name")")
	if [ "$(code)" = 200 ]; then
		j=$(jq -c --argjson cur "$cur" '.metadata = ($cur.metadata + {labels: .metadata.labels,
			annotations: .metadata.annotations} | with_entries(select(.value != null)))' <<<"$j")
		api_ok PUT "$(ag_path "$ns" "$name")" "$j"
	else
		api_ok POST "$(ag_path "$ns")" "$j"
	fi
}
# ag_annotate NS NAME KEY VALUE: merge-patches one annotation (VALUE "null" removes it).
ag_annotate() {
	local v
	if [ "$4" = null ]; then v=null; else v=$(jq -nc --arg v "$4" '$v'); fi
	api_ok PATCH "$(ag_path "$1" "$2")" "{\"metadata\":{\"annotations\":{\"$3\":$v}}}" \
		application/merge-patch+json
}
# ag_cond NS NAME TYPE: "status reason message" of condition TYPE ("-" if none).
ag_cond() {
	obj_field "$(ag_path "$1" "$2")" . | jq -r --arg t "$3" \
		'[.status.conditions[]? | select(.type == $t)][0] // {} |
		"\(.status // "-") \(.reason // "-") \(.message // "-")"'
}
# ag_ready_is NS NAME WANT-PREFIX: condition Ready starts with WANT-PREFIX
# ("True Succeeded", "False SourceFetchFailed", ...) and, when True, its
# observedGeneration is the current generation.
ag_ready_is() {
	local j
	j=$(api GET "$(ag_path "$1" "$2")")
	jq -e --arg w "$3" '([.status.conditions[]? | select(.type == "Ready")][0] // {}) as $c |
		("\($c.status) \($c.reason) \($c.message)" | startswith($w)) and
		($c.status != "True" or $c.observedGeneration == .metadata.generation)' <<<"$j" >/dev/null
}
# ag_field NS NAME JQ / ea_field NS NAME JQ: a field of the object; nothing
# (and failure) when it cannot be read.
ag_field() { obj_field "$(ag_path "$1" "$2")" "$3"; }
ea_field() { obj_field "$(ea_path "$1" "$2")" "$3"; }
obj_field() {
	local b
	b=$(api GET "$1")
	[ "$(code)" = 200 ] || return 1
	jq -r "$2" <<<"$b"
}
# ea_names NS UID: sorted names of the ExternalArtifacts labelled with generator UID.
ea_names() {
	api GET "$(ea_path "$1")?labelSelector=source.extensions.fluxcd.io%2Fgenerator%3D$2" |
		jq -r '[.items[].metadata.name] | sort | join(" ")'
}
gone() { api GET "$1" >/dev/null; [ "$(code)" = 404 ]; }

# oracle YAML OUT ALIAS=TGZ[=REV[=ORIGIN]]...: the dry-run front end's
# ExternalArtifacts for the generator in YAML built from the same tarballs,
# with the controller's advertised address: a JSON object name -> artifact.
oracle() {
	local yaml=$1 out=$2 a args=() alias rest tgz rev orig
	shift 2
	for a in "$@"; do
		alias=${a%%=*} rest=${a#*=}
		IFS='=' read -r tgz rev orig <<<"$rest"
		args+=(--source "$alias=$tgz")
		[ -z "$rev" ] || args+=(--source-revision "$alias=$rev")
		[ -z "$orig" ] || args+=(--source-origin-revision "$alias=$orig")
	done
	rm -rf "$work/oracle-store"
	"$ROOT/bin/artifact-generator" --dry-run -f "$yaml" "${args[@]}" -o json \
		--storage-path "$work/oracle-store" --storage-adv-addr "127.0.0.1:$ct_store_port" \
		2>"$work/oracle.err" >"$work/oracle.json" || {
		echo "dry-run oracle failed: $(head -c 400 "$work/oracle.err")" >&2
		return 1
	}
	jq -c '[.items[] | select(.kind == "ExternalArtifact") |
		{key: .metadata.name, value: (.status.artifact | del(.lastUpdateTime))}] | from_entries' \
		"$work/oracle.json" >"$out"
}
# ea_matches NS NAME ORACLE-FILE: the published ExternalArtifact's
# status.artifact (but lastUpdateTime) equals the oracle's, it is Ready, and
# its stored file has the digest it claims.
ea_matches() {
	local j want path
	j=$(api GET "$(ea_path "$1" "$2")")
	[ "$(code)" = 200 ] || { echo "ExternalArtifact $1/$2: HTTP $(code)"; return 1; }
	want=$(jq -c --arg n "$2" '.[$n]' "$3")
	jq -e --argjson w "$want" '(.status.artifact | del(.lastUpdateTime)) == $w and
		([.status.conditions[]? | select(.type == "Ready" and .status == "True")] | length == 1)' \
		<<<"$j" >/dev/null || { echo "got $(jq -c .status <<<"$j") want $want"; return 1; }
	path=$(jq -r .path <<<"$want")
	[ "sha256:$(sha256sum <"$ct_store/$path" | cut -c1-64)" = "$(jq -r .digest <<<"$want")" ]
}
# served_matches URL DIGEST: the controller's artifact server serves the file.
served_matches() {
	[ "sha256:$(curl -sf --max-time 5 "$1" | sha256sum | cut -c1-64)" = "$2" ]
}

# ---- API writes --------------------------------------------------------------------------
# api_writes: the API server's count of write requests (every verb but GET,
# LIST, WATCH) on the Flux source groups and on events, from
# apiserver_request_total; the server's own writes (leases) are left out.
api_writes() {
	api GET /metrics | awk '/^apiserver_request_total\{/ {
		if ($0 ~ /verb="(GET|LIST|WATCH|CONNECT)"/) next
		if ($0 !~ /group="source\.(extensions|toolkit)\.fluxcd\.io"/ && $0 !~ /resource="events"/) next
		n += $NF } END { printf "%d\n", n }'
}
# api_writes_detail: the same series, one per line, for a FAIL message.
api_writes_detail() {
	api GET /metrics | grep '^apiserver_request_total{' | grep -Ev 'verb="(GET|LIST|WATCH|CONNECT)"' |
		grep -E 'group="source\.(extensions|toolkit)\.fluxcd\.io"|resource="events"' |
		sed -E 's/.*code="([0-9]+)".*resource="([^"]*)".*subresource="([^"]*)".*verb="([A-Z]+)".* ([0-9]+)$/\4 \2\/\3 \1: \5/'
}
