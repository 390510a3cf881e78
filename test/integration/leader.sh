#!/usr/bin/env bash
# Leader election on a private control plane (PLANE_AUDIT=1: an audit log
# of every write, and two tokens of the controller's service account whose
# audit events differ by user.uid): two controller processes with
# --enable-leader-election and short durations (lease 6s, renew 4s, retry
# 1s) share one Lease in flux-system.
#   - exactly one holds the Lease and only it writes (audit log: no write by
#     the other uid but its Lease reads);
#   - SIGKILL of the leader: the standby holds the Lease within the lease
#     duration plus two retry periods, and reconciles (a requestedAt is
#     handled);
#   - SIGTERM of the leader: it exits 0 after releasing, the standby takes
#     over within a few seconds, and the old leader wrote nothing after its
#     release;
#   - the Lease taken away from the leader (an admin writes another holder):
#     it exits 1 and makes no write after that moment but its Lease reads
#     and its refused renewal.
# Ends with "leader: N passed, N failed".
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${AG_BIN:-$ROOT/bin/artifact-generator}
export PLANE_DIR PLANE_AUDIT=1
PLANE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/ag-plane-leader.XXXXXX")
work=$(mktemp -d "${TMPDIR:-/tmp}/ag-leader.XXXXXX")
passed=0
failed=0
declare -A pid
srv_pid=
finish() {
	for p in "${pid[@]}"; do kill -9 "$p" 2>/dev/null; done
	[ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null
	"$ROOT/scripts/plane-down.sh" >/dev/null 2>&1 || true
	if [ "$failed" -ne 0 ]; then
		for f in "$work"/ctl-*.log; do echo "== $f"; tail -n 15 "$f"; done
	fi
	rm -rf "$PLANE_DIR" "$work"
	echo "leader: $passed passed, $failed failed"
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
now_ms() { date +%s%3N; }

ns=le
source_repo $ns || bad "GitRepository status"
for g in one two; do
	k apply -f - >/dev/null <<YAML
apiVersion: source.extensions.fluxcd.io/v1beta1
kind: ArtifactGenerator
metadata: {name: $g, namespace: $ns}
spec:
  sources: [{alias: repo, kind: GitRepository, name: repo}]
  artifacts: [{name: $g, copy: [{from: "@repo/deploy/**", to: "@artifact/"}]}]
YAML
done

# start NAME KUBECONFIG: a controller process; its uid in the audit log is
# artifact-generator (controller.kubeconfig) or artifact-generator-2.
start() {
	mkdir -p "$work/storage-$1"
	RUNTIME_NAMESPACE=flux-system "$BIN" --kubeconfig "$PLANE_DIR/$2" \
		--storage-path "$work/storage-$1" --storage-adv-addr 127.0.0.1:9 \
		--storage-addr 127.0.0.1:0 --metrics-addr 0 --health-addr 0 \
		--enable-leader-election --leader-election-lease-duration=6s \
		--leader-election-renew-deadline=4s --leader-election-retry-period=1s \
		--log-level debug >"$work/ctl-$1.log" 2>&1 &
	pid[$1]=$!
}
lease_holder() { k get lease source-watcher-leader-election -n flux-system -o jsonpath='{.spec.holderIdentity}' 2>/dev/null; }
leads() { grep -q '"successfully acquired lease"' "$work/ctl-$1.log"; }
# writes UID [SINCE]: the writes of uid (not its Lease's) in the audit log
# after the RFC 3339 time SINCE, one "verb resource ns/name code" a line.
writes() {
	python3 - "$PLANE_AUDIT_LOG" "$1" "${2:-}" <<'PY'
import json, sys
log, uid, since = sys.argv[1], sys.argv[2], sys.argv[3]
for line in open(log):
    ev = json.loads(line)
    if ev.get("stage") != "ResponseComplete" or ev["user"].get("uid") != uid:
        continue
    if ev["verb"] not in ("create", "update", "patch", "delete", "deletecollection"):
        continue
    ref = ev.get("objectRef", {})
    if ref.get("resource") == "leases" or (since and ev["requestReceivedTimestamp"] <= since):
        continue
    print(ev["verb"], ref.get("resource"), "%s/%s" % (ref.get("namespace"), ref.get("name")),
          ev.get("responseStatus", {}).get("code"))
PY
}
# last_lease_write UID: when uid last wrote the Lease (audit time).
last_lease_write() {
	python3 - "$PLANE_AUDIT_LOG" "$1" <<'PY'
import json, sys
t = ""
for line in open(sys.argv[1]):
    ev = json.loads(line)
    if (ev.get("stage") == "ResponseComplete" and ev["user"].get("uid") == sys.argv[2]
            and ev["verb"] in ("update", "create") and ev.get("objectRef", {}).get("resource") == "leases"):
        t = ev["requestReceivedTimestamp"]
print(t)
PY
}
ready() { [ "$(k get externalartifact "$1" -n $ns -o jsonpath='{.status.conditions[0].status}')" = True ]; }
micro_now() { date -u +%Y-%m-%dT%H:%M:%S.%6NZ; }

# ---- one leader, one writer ----
start a controller.kubeconfig
start b controller2.kubeconfig
wait_for 30 ready one && wait_for 10 ready two && ok "two generators published" || bad "ExternalArtifacts not Ready"
if leads a && ! leads b; then leader=a standby=b; luid=artifact-generator suid=artifact-generator-2
elif leads b && ! leads a; then leader=b standby=a; luid=artifact-generator-2 suid=artifact-generator
else leader=; bad "exactly one instance must lead (a: $(leads a && echo yes), b: $(leads b && echo yes))"; fi
[ -n "$leader" ] || exit 1
ok "instance $leader leads, $standby stands by"
[ -n "$(lease_holder)" ] && ok "Lease source-watcher-leader-election held in flux-system" || bad "Lease holder empty"
sleep 3
[ -n "$(writes "$luid")" ] && ok "the leader wrote ($(writes "$luid" | wc -l) writes)" || bad "no write by the leader"
w=$(writes "$suid")
[ -z "$w" ] && ok "the standby wrote nothing" || bad "the standby wrote: $w"
grep -q '"caches synced, starting reconciles"' "$work/ctl-$standby.log" && bad "the standby started reconciles" || ok "the standby started no reconcile"

# ---- SIGKILL: the standby takes over within the lease duration ----
old=$(lease_holder)
t0=$(now_ms)
kill -9 "${pid[$leader]}"; wait "${pid[$leader]}" 2>/dev/null; unset "pid[$leader]"
wait_for 20 leads "$standby"
t1=$(now_ms)
[ "$(lease_holder)" != "$old" ] && leads "$standby" && [ $((t1 - t0)) -le 9000 ] &&
	ok "SIGKILL: $standby leads $((t1 - t0)) ms later (lease 6s + 2 x 1s retry at most)" ||
	bad "SIGKILL: handover took $((t1 - t0)) ms (holder $(lease_holder))"
gen_handled() { [ "$(k get artifactgenerator one -n $ns -o jsonpath='{.status.lastHandledReconcileAt}')" = "$1" ]; }
req=$(date +%s)
k annotate artifactgenerator one -n $ns --overwrite "reconcile.fluxcd.io/requestedAt=$req" >/dev/null
wait_for 20 gen_handled "$req" && ok "the new leader reconciles (requestedAt handled)" || bad "requestedAt not handled by the new leader"

# ---- SIGTERM: released, the restarted instance takes over in seconds ----
killed=$leader leader=$standby
if [ "$killed" = a ]; then start a controller.kubeconfig; else start b controller2.kubeconfig; fi
standby=$killed
tmp=$luid luid=$suid suid=$tmp
wait_for 10 grep -q '"attempting to acquire leader lease"' "$work/ctl-$standby.log"
sleep 2
t0=$(now_ms)
kill -TERM "${pid[$leader]}"
wait "${pid[$leader]}"; rc=$?
unset "pid[$leader]"
[ "$rc" -eq 0 ] && ok "SIGTERM: the leader exits 0" || bad "SIGTERM: exit status $rc"
grep -q '"lease released"' "$work/ctl-$leader.log" && ok "SIGTERM: lease released" || bad "SIGTERM: no release logged"
rel=$(last_lease_write "$luid")
wait_for 10 leads "$standby"
t1=$(now_ms)
leads "$standby" && [ $((t1 - t0)) -le 5000 ] &&
	ok "SIGTERM: $standby leads $((t1 - t0)) ms after the signal" ||
	bad "SIGTERM: handover took $((t1 - t0)) ms"
w=$(writes "$luid" "$rel")
[ -z "$w" ] && ok "SIGTERM: the old leader wrote nothing after its release" || bad "old leader wrote after release: $w"
leader=$standby luid=$suid

# ---- the Lease taken away: the leader exits 1, no write afterwards ----
sleep 2
stolen=$(micro_now)
k patch lease source-watcher-leader-election -n flux-system --type=merge \
	-p "{\"spec\":{\"holderIdentity\":\"thief\",\"renewTime\":\"$stolen\",\"leaseDurationSeconds\":60}}" >/dev/null
timeout 15 tail --pid="${pid[$leader]}" -f /dev/null
kill -0 "${pid[$leader]}" 2>/dev/null && rc=running || { wait "${pid[$leader]}"; rc=$?; }
unset "pid[$leader]"
[ "$rc" = 1 ] && ok "lease lost: the leader exits 1" || bad "lease lost: exit status $rc"
grep -q '"leader election lost"' "$work/ctl-$leader.log" && ok "lease lost: logged" || bad "lease lost: not logged"
w=$(writes "$luid" "$stolen")
[ -z "$w" ] && ok "lease lost: no write after the Lease was taken" || bad "writes after the loss: $w"
