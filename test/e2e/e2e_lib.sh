# Harness of the end-to-end suites (test/e2e/*.sh), sourced, never run: real
# Flux (source-controller and kustomize-controller built by
# scripts/flux-build.sh) running as processes against the private plane, git
# repositories the test creates and serves over smart HTTP on loopback
# (git http-backend behind python3's CGI server), and helpers for
# GitRepository and Kustomization objects and the ConfigMaps Flux applies.
# The controller harness (named checks, bounded polls, the admin's REST
# calls, bin/artifact-generator as its own process) is
# test/integration/controller_lib.sh, sourced here. Every function that
# waits is bounded in count and time.
#
# Needs: $ROOT (the repo), $work (a private temp dir, removed by the caller).
# State lives in variables named e2e_* and files under $work.

# shellcheck source=../integration/controller_lib.sh
. "$ROOT/test/integration/controller_lib.sh"
# shellcheck source=../../scripts/flux/lib.sh
. "$ROOT/scripts/flux/lib.sh"

# ---- processes ---------------------------------------------------------------
# e2e_spawn NAME EXE ARG...: starts EXE in the background, log in
# $work/NAME.log, "pid exe" in $work/NAME.pid (stopped by e2e_stop NAME).
e2e_spawn() {
	local name=$1 exe=$2
	shift 2
	"$exe" "$@" >"$work/$name.log" 2>&1 </dev/null &
	echo "$! $exe" >"$work/$name.pid"
}
# e2e_alive NAME: the process e2e_spawn started is still that program.
e2e_alive() {
	local pid exe
	[ -f "$work/$1.pid" ] || return 1
	read -r pid exe <"$work/$1.pid"
	[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$(readlink -f "$exe")" ]
}
# e2e_stop NAME: TERM, then KILL after 10 s (only if it still is our program).
e2e_stop() { plane_stop_pidfile "$work/$1.pid"; }
# e2e_log_tail NAME [N]: the last N lines of NAME's log, for a failure.
e2e_log_tail() {
	[ -s "$work/$1.log" ] || return 0
	echo "--- last lines of $1's log"
	tail -n "${2:-30}" "$work/$1.log" | cut -c1-400
}

# ---- Flux ---------------------------------------------------------------------
# flux_init: the Flux binaries and the kustomize-controller CRD (from the
# pinned module) applied to the plane with planeapply; free ports for both.
flux_init() {
	flux_versions || return 1
	local b p crd
	for b in source-controller kustomize-controller; do
		[ -x "$FLUX_BIN/$b" ] || { echo "e2e: $FLUX_BIN/$b is not built (scripts/flux-build.sh)" >&2; return 1; }
	done
	crd=$(flux_kc_crds) || return 1
	plane_versions || return 1
	"$PLANE_CACHE/bin/planeapply-$(plane_apply_hash)" -kubeconfig "$PLANE_ADMIN_KUBECONFIG" \
		-timeout 60s "$crd" >"$work/kc-crd.log" 2>&1 || {
		echo "e2e: applying the Kustomization CRD failed: $(tail -n 3 "$work/kc-crd.log")" >&2
		return 1
	}
	mapfile -t p < <(plane_free_ports 5) && [ ${#p[@]} -eq 5 ] || return 1
	e2e_sc_port=${p[0]} e2e_sc_metrics=${p[1]} e2e_sc_health=${p[2]}
	e2e_kc_metrics=${p[3]} e2e_kc_health=${p[4]}
	mkdir -p "$work/sc-storage"
}
# sc_start: source-controller on the admin's kubeconfig, storage served on
# 127.0.0.1:$e2e_sc_port, watching every namespace, no leader election.
sc_start() {
	KUBECONFIG=$PLANE_ADMIN_KUBECONFIG RUNTIME_NAMESPACE=flux-system \
		e2e_spawn source-controller "$FLUX_BIN/source-controller" \
		--storage-path="$work/sc-storage" \
		--storage-addr="127.0.0.1:$e2e_sc_port" --storage-adv-addr="127.0.0.1:$e2e_sc_port" \
		--metrics-addr="127.0.0.1:$e2e_sc_metrics" --health-addr="127.0.0.1:$e2e_sc_health" \
		--events-addr= --watch-all-namespaces=true --enable-leader-election=false \
		--log-level=debug
}
# kc_start: kustomize-controller with the ExternalArtifact feature gate, which
# lets Kustomizations name an ExternalArtifact as their source.
kc_start() {
	KUBECONFIG=$PLANE_ADMIN_KUBECONFIG RUNTIME_NAMESPACE=flux-system \
		e2e_spawn kustomize-controller "$FLUX_BIN/kustomize-controller" \
		--feature-gates=ExternalArtifact=true \
		--metrics-addr="127.0.0.1:$e2e_kc_metrics" --health-addr="127.0.0.1:$e2e_kc_health" \
		--events-addr= --watch-all-namespaces=true --enable-leader-election=false \
		--requeue-dependency=2s --http-retry=2 --log-level=debug
}
# flux_healthy: both controllers answer their readiness probe.
flux_healthy() {
	e2e_alive source-controller && e2e_alive kustomize-controller &&
		curl -sf --max-time 2 -o /dev/null "http://127.0.0.1:$e2e_sc_health/readyz" &&
		curl -sf --max-time 2 -o /dev/null "http://127.0.0.1:$e2e_kc_health/readyz"
}
flux_stop() { e2e_stop kustomize-controller; e2e_stop source-controller; }

# ---- git over smart HTTP --------------------------------------------------------
# git_init: bare repositories live in $work/git (served at
# http://127.0.0.1:$e2e_git_port/git/<name>.git); work trees in $work/wt.
git_init() {
	e2e_git_root=$work/git
	mkdir -p "$e2e_git_root" "$work/wt" "$work/cgi/cgi-bin"
	cat >"$work/cgi/cgi-bin/git" <<'SH'
#!/bin/sh
exec git http-backend
SH
	chmod +x "$work/cgi/cgi-bin/git"
	cat >"$work/gitsrv.py" <<'PY'
import http.server, os, sys
os.chdir(sys.argv[1])
# CGI scripts run as the server's user (as root, http.server would drop to
# nobody, who cannot read the test's private work dir).
http.server.nobody_uid = os.getuid
class Handler(http.server.CGIHTTPRequestHandler):
    cgi_directories = ["/cgi-bin"]
    def log_message(self, fmt, *args):
        sys.stderr.write("%s\n" % (fmt % args))
srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[2])), Handler)
srv.serve_forever()
PY
	e2e_git_port=$(plane_free_ports 1) || return 1
}
git_start() {
	GIT_PROJECT_ROOT=$e2e_git_root GIT_HTTP_EXPORT_ALL=1 \
		e2e_spawn gitsrv /usr/bin/python3 "$work/gitsrv.py" "$work/cgi" "$e2e_git_port"
	local i
	for ((i = 0; i < 50; i++)); do
		curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$e2e_git_port/" && return 0
		sleep 0.2
	done
	echo "e2e: git server did not start on port $e2e_git_port: $(tail -n 3 "$work/gitsrv.log")" >&2
	return 1
}
git_url() { echo "http://127.0.0.1:$e2e_git_port/cgi-bin/git/$1.git"; }
# g NAME ARGS...: git in NAME's work tree, as a fixed test identity.
g() {
	local n=$1
	shift
	git -C "$work/wt/$n" -c user.name=e2e -c user.email=e2e@example.invalid \
		-c commit.gpgsign=false "$@"
}
# repo_create NAME: a bare repository and its work tree on branch main.
repo_create() {
	git init -q --bare -b main "$e2e_git_root/$1.git" &&
		git init -q -b main "$work/wt/$1" &&
		g "$1" remote add origin "$e2e_git_root/$1.git"
}
# repo_write NAME FILE CONTENT: writes FILE (CONTENT, a newline added).
repo_write() {
	mkdir -p "$(dirname "$work/wt/$1/$2")" && printf '%s\n' "$3" >"$work/wt/$1/$2"
}
# repo_push NAME MESSAGE: commits everything and pushes main; sets e2e_sha.
repo_push() {
	g "$1" add -A && g "$1" commit -q -m "$2" && g "$1" push -q origin main 2>/dev/null &&
		e2e_sha=$(g "$1" rev-parse HEAD)
}

# ---- objects -------------------------------------------------------------------
# gitrepo_create NS NAME REPO: a GitRepository of REPO's main branch, every 10 s.
gitrepo_create() {
	local body
	body=$(jq -nc --arg ns "$1" --arg n "$2" --arg u "$(git_url "$3")" \
		'{apiVersion:"source.toolkit.fluxcd.io/v1",kind:"GitRepository",
		metadata:{name:$n,namespace:$ns},spec:{interval:"10s",url:$u,ref:{branch:"main"}}}')
	api_ok POST "$(dirname "$(src_path GitRepository "$1" "$2")")" "$body"
}
# gitrepo_rev NS NAME: the revision of the GitRepository's artifact.
gitrepo_rev() { obj_field "$(src_path GitRepository "$1" "$2")" '.status.artifact.revision // empty'; }
# reconcile_now PATH: asks a Flux object (or a generator) to reconcile now.
reconcile_now() {
	api_ok PATCH "$1" "{\"metadata\":{\"annotations\":{\"reconcile.fluxcd.io/requestedAt\":\"$(date +%s.%N)\"}}}" \
		application/merge-patch+json
}
ks_path() { echo "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/$1/kustomizations${2:+/$2}"; }
# ks_create NS NAME ARTIFACT TARGET-NS: a Kustomization of the
# ExternalArtifact ARTIFACT (in NS) applied into TARGET-NS, pruning.
ks_create() {
	local body
	body=$(jq -nc --arg ns "$1" --arg n "$2" --arg a "$3" --arg t "$4" \
		'{apiVersion:"kustomize.toolkit.fluxcd.io/v1",kind:"Kustomization",
		metadata:{name:$n,namespace:$ns},spec:{interval:"10s",retryInterval:"2s",path:"./",
		prune:true,targetNamespace:$t,sourceRef:{kind:"ExternalArtifact",name:$a}}}')
	api_ok POST "$(ks_path "$1")" "$body"
}
# ks_applied NS NAME REVISION: the Kustomization is Ready and last applied REVISION.
ks_applied() {
	obj_field "$(ks_path "$1" "$2")" . | jq -e --arg r "$3" '.status.lastAppliedRevision == $r and
		([.status.conditions[]? | select(.type == "Ready" and .status == "True")] | length == 1)' >/dev/null
}
# ks_ready_says NS NAME STATUS TEXT: the Kustomization's Ready condition has
# STATUS and its message contains TEXT.
ks_ready_says() {
	obj_field "$(ks_path "$1" "$2")" . | jq -e --arg s "$3" --arg t "$4" \
		'[.status.conditions[]? | select(.type == "Ready" and .status == $s and
		(.message | contains($t)))] | length == 1' >/dev/null
}
# ks_status NS NAME: the Kustomization's revision and Ready condition, for FAIL lines.
ks_status() {
	obj_field "$(ks_path "$1" "$2")" '[.status.lastAppliedRevision // "-",
		(.status.conditions[]? | select(.type == "Ready") | "\(.status) \(.reason): \(.message)")] | join(" | ")'
}
# cm_data NS NAME: the ConfigMap's data as compact sorted JSON; fails when absent.
cm_data() { obj_field "/api/v1/namespaces/$1/configmaps/$2" '.data | tojson'; }
# cm_rv NS NAME: the ConfigMap's resourceVersion.
cm_rv() { obj_field "/api/v1/namespaces/$1/configmaps/$2" .metadata.resourceVersion; }
# ea_rev NS NAME: the ExternalArtifact's revision / digest.
ea_rev() { ea_field "$1" "$2" '.status.artifact.revision // empty'; }
ea_digest() { ea_field "$1" "$2" '.status.artifact.digest // empty'; }
# The jq path of an artifact's origin revision.
ORIG_REV='.status.artifact.metadata["org.opencontainers.image.revision"]'

# ---- the suite's frame -------------------------------------------------------------
# e2e_up NS...: the plane, Flux's CRD and ports, the git server, our
# controller's ports and the namespaces; a failure is a FAIL line.
e2e_up() {
	local ns
	[ -x "$ROOT/bin/artifact-generator" ] || { bad "bin/artifact-generator is not built (make)"; return 1; }
	ct_plane_up || { bad "plane-up"; return 1; }
	flux_init || { bad "Flux binaries and the Kustomization CRD (scripts/flux-build.sh)"; return 1; }
	{ git_init && git_start; } || { bad "git server"; return 1; }
	ctl_init || { bad "controller ports"; return 1; }
	for ns in "$@"; do ns_create "$ns" || { bad "namespace $ns"; return 1; }; done
	ok "harness up (plane $PLANE_SERVER, git on 127.0.0.1:$e2e_git_port)"
}
# flux_start: source-controller, kustomize-controller and our controller,
# and a named check that both Flux controllers get ready.
flux_start() {
	sc_start
	kc_start
	ctl_start
	wait_check "source-controller and kustomize-controller are ready" 30 flux_healthy
}
# e2e_finish: the EXIT trap: stops everything started, shows the logs on a
# failure, removes the plane and the work dir, prints "$SUITE: N passed, N failed".
e2e_finish() {
	[ "$BASHPID" = "$$" ] || exit 1	# never in a subshell of ours
	ctl_running && ctl_stop
	flux_stop
	e2e_stop gitsrv
	if [ "$failed" -ne 0 ]; then
		ctl_log_tail 40
		e2e_log_tail source-controller 20
		e2e_log_tail kustomize-controller 20
		e2e_log_tail gitsrv 10
	fi
	"$ROOT/scripts/plane-down.sh" >/dev/null 2>&1 || true
	[ -n "${KEEP_WORK:-}" ] && echo "work dir kept: $work" || rm -rf "$work"
	rm -rf "$PLANE_DIR"
	echo "$SUITE: $passed passed, $failed failed"
	# (a bare exit in an EXIT trap keeps the status from before the trap)
	[ "$failed" -eq 0 ] && exit 0
	exit 1
}
# cm NAME KEY=VALUE...: a ConfigMap manifest.
cm() {
	local n=$1 kv
	shift
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n' "$n"
	for kv in "$@"; do printf '  %s: "%s"\n' "${kv%%=*}" "${kv#*=}"; done
}
