#!/bin/sh
# fleet_gates.sh - the gates, one tick at a time on a pinned clock (--once --now):
# soak (staging waits until dev has soaked 2h), approval (prod waits for
# `fleet approve staging`), window (prod only Sat 02:00-06:00 UTC), maxConcurrent 1,
# a failed step (the cluster stops, its wave pauses, maxFailures 1 halts the fleet,
# nothing else starts), pause, retry + resume, and a BLOCKED plan held, never run.
#   $1: the kupgrade CLI, $2: the build directory (unused).
set -u
here=$(cd "$(dirname "$0")" && pwd)
K=${1:?usage: fleet_gates.sh CLI BUILD_DIR}
. "$here/lib/fleet.sh"
fleet_setup || exit 1
trap fleet_cleanup EXIT
cd "$W" || exit 1
rm -f clusters/*.yaml
for c in d1:1.34 s1:1.34 p1:1.34 p2:1.34 b1:1.36; do
	n=${c%%:*} v=${c#*:}
	cat >"clusters/$n.yaml" <<EOP
apiVersion: kupgrade.dev/v1alpha1
kind: ClusterProfile
metadata: {name: $n}
spec:
  provider: eks
  controlPlane: {version: "$v"}
  nodePools:
    - {name: general, version: "$v", count: 3}
EOP
done
# b2: the planner says BLOCKED (istio 1.13 cannot follow a 1.34 control plane)
sed -e 's/name: b1/name: b2/' -e 's/"1.36"/"1.34"/g' clusters/b1.yaml >clusters/b2.yaml
printf '  addons:\n    - {name: istio, version: "1.13"}\n' >>clusters/b2.yaml
cat >fleet.yaml <<'EOF2'
apiVersion: kupgrade.dev/v1alpha1
kind: Fleet
metadata: {name: gates}
spec:
  target: {version: "1.35"}
  clusters:
    - {name: d1, profile: clusters/d1.yaml, labels: {env: dev}}
    - {name: s1, profile: clusters/s1.yaml, labels: {env: staging}}
    - {name: p1, profile: clusters/p1.yaml, labels: {env: prod}}
    - {name: p2, profile: clusters/p2.yaml, labels: {env: prod}}
    - {name: b1, profile: clusters/b1.yaml, labels: {env: lab}}
    - {name: b2, profile: clusters/b2.yaml, labels: {env: lab}}
  waves:
    - {name: dev, selector: {env: dev}, soak: 2h}
    - {name: staging, selector: {env: staging}, approval: true}
    - {name: prod, selector: {env: prod}, maxConcurrent: 1, maxFailures: 1, window: "Sat 02:00-06:00 UTC"}
    - {name: lab, selector: {env: lab}}
  driver:
    control-plane: "sim/upgrade.sh {cluster} control-plane {component} {version}"
    nodepool: "sim/upgrade.sh {cluster} nodepool {pool} {version}"
    verify: "sim/verify.sh {cluster} {type} {component} {version}"
    timeout: 1h
EOF2
S="sqlite:$W/fleet.db"
fail=0
once() { n=$2; while [ "$n" -gt 0 ]; do "$K" fleet run fleet.yaml --store "$S" --once --now "$1" 2>>run.log; n=$((n - 1)); done; }
wait_of() { "$K" fleet status fleet.yaml --store "$S" --now "$2" -o json | grep "\"name\": \"$1\"" | sed 's/.*"wait": "\([^"]*\)".*/\1/'; }
state_of() { "$K" fleet status fleet.yaml --store "$S" --now "$2" -o json | grep "\"name\": \"$1\"" | sed 's/.*"state": "\([^"]*\)".*/\1/'; }
ran() { grep -q " start $1 " driver.log 2>/dev/null; }
expect() { [ "$1" = "$2" ] || { fleet_fail "$3: got '$1', expected '$2'"; fail=1; }; }

# Friday 20:00: dev rolls; staging waits for dev's 2h soak
once 2026-11-20T20:00:00Z 4
expect "$(state_of d1 2026-11-20T20:00:00Z)" done "d1 after four ticks"
expect "$(wait_of s1 2026-11-20T20:00:00Z)" "earlier wave soaking" "s1 right after dev"
once 2026-11-20T21:00:00Z 2
ran s1 && { fleet_fail "s1 ran during dev's soak"; fail=1; }
"$K" fleet plan fleet.yaml --store "$S" --now 2026-11-20T21:00:00Z | grep -q "wait   s1 (wave staging): waiting: wave dev soaks until 2026-11-20T2" ||
	{ fleet_fail "plan does not show the soak"; fail=1; }
# 22:01: soaked, staging rolls; prod waits for approval of staging
once 2026-11-20T22:01:00Z 4
expect "$(state_of s1 2026-11-20T22:01:00Z)" done "s1 after the soak"
expect "$(wait_of p1 2026-11-20T22:01:00Z)" "earlier wave needs approval" "p1 before approval"
once 2026-11-20T22:30:00Z 2
ran p1 && { fleet_fail "p1 ran before approval"; fail=1; }
"$K" fleet approve staging --store "$S" --by carol >/dev/null
# 23:00 Friday: approved, but the window is closed
once 2026-11-20T23:00:00Z 2
expect "$(wait_of p1 2026-11-20T23:00:00Z)" "window closed" "p1 outside the window"
ran p1 && { fleet_fail "p1 ran outside its window"; fail=1; }
# a pause holds everything
"$K" fleet pause --store "$S" --by carol --reason "change freeze" >/dev/null
once 2026-11-21T02:30:00Z 2
ran p1 && { fleet_fail "p1 ran while the fleet was paused"; fail=1; }
"$K" fleet resume --store "$S" --by carol >/dev/null
# Saturday 02:30: the window is open; p1 starts alone (maxConcurrent 1) and fails
echo p1 >fail.list
once 2026-11-21T02:30:00Z 3
expect "$(state_of p1 2026-11-21T02:30:00Z)" failed "p1 with an injected failure"
ran p2 && { fleet_fail "p2 ran although p1 failed (maxFailures 1, maxConcurrent 1)"; fail=1; }
"$K" fleet status fleet.yaml --store "$S" --now 2026-11-21T02:30:00Z -o json >halt.json
rc=$?
expect "$rc" 3 "status exit code with a failed cluster"
grep -q '"halted": true' halt.json || { fleet_fail "status does not say halted"; fail=1; }
grep -q '"name": "p1".*"detail": "step control-plane control-plane 1.34 -> 1.35 failed (exit 1): simulated provider' halt.json ||
	{ fleet_fail "the failure reason is not shown"; grep p1 halt.json >&2; fail=1; }
"$K" fleet events --store "$S" >events.out
grep -q ' halt ' events.out || { fleet_fail "no halt event"; fail=1; }
grep -q ' step-failed .* p1 .*exit 1' events.out || { fleet_fail "no step-failed event with the exit code"; fail=1; }
once 2026-11-21T03:00:00Z 2
ran p2 && { fleet_fail "p2 ran while the fleet was halted"; fail=1; }
# fixed: retry p1 and resume; prod finishes one cluster at a time
rm -f fail.list
"$K" fleet retry p1 --store "$S" --by carol >/dev/null || { fleet_fail "retry failed"; fail=1; }
"$K" fleet resume --store "$S" --by carol >/dev/null
once 2026-11-21T03:00:00Z 8
expect "$(state_of p1 2026-11-21T03:00:00Z)" done "p1 after retry"
expect "$(state_of p2 2026-11-21T03:00:00Z)" done "p2"
p1_end=$(awk '$3=="end" && $4=="p1"' driver.log | sort -n | tail -1 | cut -d' ' -f1)
p2_start=$(awk '$3=="start" && $4=="p2"' driver.log | sort -n | head -1 | cut -d' ' -f1)
[ -n "$p1_end" ] && [ -n "$p2_start" ] && [ "$p2_start" -gt "$p1_end" ] ||
	{ fleet_fail "p2 started before p1 was done (maxConcurrent 1)"; fail=1; }
# the blocked cluster: held with its blocker, never run
expect "$(state_of b1 2026-11-21T03:00:00Z)" held "b1 (past the target)"
ran b1 && { fleet_fail "b1 ran although its plan is blocked"; fail=1; }
"$K" fleet status fleet.yaml --store "$S" --now 2026-11-21T03:00:00Z >final.out
grep -q 'b1 .* held .*blockers: .*1.36' final.out || { fleet_fail "b1's blockers are not shown"; cat final.out >&2; fail=1; }
expect "$(state_of b2 2026-11-21T03:00:00Z)" held "b2 (BLOCKED by the planner)"
ran b2 && { fleet_fail "b2 ran although its plan is BLOCKED"; fail=1; }
grep -q 'b2 .* held .*blockers: addon/istio: istio 1.13 cannot reach' final.out ||
	{ fleet_fail "b2's blockers are not shown"; grep b2 final.out >&2; fail=1; }
"$K" fleet events --store "$S" | grep -q ' held .* b2 .*addon/istio' || { fleet_fail "no held event for b2"; fail=1; }
fleet_exactly_once || fail=1
[ "$fail" = 0 ] && fleet_log "PASS"
exit $fail
